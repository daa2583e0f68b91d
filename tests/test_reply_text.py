"""No marker or state residue ever reaches the trainee (issue 13 item 4): the variants small models
write, cleaned whole and while streaming, however the stream is cut."""

from __future__ import annotations

import itertools

import pytest

from simulator.customer.reply_text import SENTINELS, ReplyFilter, clean_reply
from tests.fake_llm import FakeLLM

# (what a model wrote, what the trainee sees, the ending it signals)
VARIANTS: list[tuple[str, str, str | None]] = [
    # the sixteen variants of the audit
    ("Fine, I'll wait.\n<<state mood=3 goal_met=true>>", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\ngoal_met=False", "Fine, I'll wait.", None),
    ("Fine, I'll wait. mood=3, goal_met", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\n<< state mood = 6 … >>", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\n<<state mood=12 goal_met=false>>", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\nmood=N", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\n<state mood=4 goal_met=false>", "Fine, I'll wait.", None),
    ("Fine, I'll wait.\nState: mood=4, goal_met=false", "Fine, I'll wait.", None),
    ("Fine, I'll wait. [State: mood 4, goal met: no]", "Fine, I'll wait.", None),
    ("Fine, I'll wait. (mood: 6)", "Fine, I'll wait.", None),
    ("OK, that works for me.\n###resolved###", "OK, that works for me.", "resolved"),
    ("OK, that works for me.\nRESOLVED", "OK, that works for me.", "resolved"),
    ("```\nOK, that works for me.\n```", "OK, that works for me.", None),
    ("**OK**, that works for me.", "OK, that works for me.", None),
    ("OK, that works for me.\n###RESOLVED", "OK, that works for me.", "resolved"),
    ("OK, that works for me.\n###RESOLVED###\n<<state mood=2 goal_met=true>>", "OK, that works for me.", "resolved"),
    # more shapes seen from Qwen-class models, and the Chinese ones
    ("*sighs* Fine, whatever you say.", "Fine, whatever you say.", None),
    ("Customer: Where is my refund?", "Where is my refund?", None),
    ("That's it, I'm done.\n###GAVE_UP###", "That's it, I'm done.", "gave_up"),
    ("That's it, I'm done. GAVE UP", "That's it, I'm done.", "gave_up"),
    ("Get me your manager. [ESCALATE]", "Get me your manager.", "escalated"),
    ("Fine.\n**RESOLVED**", "Fine.", "resolved"),
    ("<think>They offered a refund; accept.</think>Fine, refund it.\n###RESOLVED###", "Fine, refund it.", "resolved"),
    ("[state · turn 3 · you feel 7/10] Where is it?", "Where is it?", None),
    ("行吧，那就这样。\n【状态：情绪5，目标达成：否】", "行吧，那就这样。", None),
    ("行吧。\n情绪：5", "行吧。", None),
    ("顾客：我的货到底什么时候到？", "我的货到底什么时候到？", None),
    ("算了，我不跟你说了。\n###GAVE_UP###", "算了，我不跟你说了。", "gave_up"),
    # ordinary words that look a little like markers stay
    ("I'm not in the mood for jokes. Where is my refund?", "I'm not in the mood for jokes. Where is my refund?", None),
    ("Has it been resolved yet? No.", "Has it been resolved yet? No.", None),
    ("I called (twice!) already, #3 in the queue.", "I called (twice!) already, #3 in the queue.", None),
    ("The state of this app is a joke.", "The state of this app is a joke.", None),
    ("客户服务就这个水平？我的心情你能理解吗？", "客户服务就这个水平？我的心情你能理解吗？", None),
]


@pytest.mark.parametrize(("raw", "shown", "signal"), VARIANTS)
def test_every_variant_is_cleaned_and_its_ending_read(raw: str, shown: str, signal: str | None) -> None:
    cleaned = clean_reply(raw)
    assert cleaned.text == shown
    assert cleaned.signal == signal
    canonical = raw
    for sentinel in SENTINELS:
        canonical = canonical.replace(sentinel, "")
    if canonical.strip() != shown and not raw.startswith("<think>"):
        assert cleaned.warnings  # every correction beyond a well-formed ending marker is reported


def _streamed(pieces: list[str]) -> tuple[str, list[str]]:
    stream = ReplyFilter()
    out = [stream.feed(piece) for piece in pieces]
    last, final = stream.close()
    out.append(last)
    return final.text, out


@pytest.mark.parametrize(("raw", "shown", "signal"), VARIANTS)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_streaming_never_shows_what_the_whole_reply_removes(
    raw: str, shown: str, signal: str | None, size: int
) -> None:
    final, out = _streamed([raw[i : i + size] for i in range(0, len(raw), size)])
    assert final == shown
    assert "".join(out) == shown  # everything shown on the way is the final text, and nothing else


@pytest.mark.parametrize(
    "raw",
    [
        "Ok.\n<<state mood=3 goal_met=false>>",
        "Bye ###GAVE_UP### for good",
        "Sure (mood: 4) go on",
        "多少钱？\n【状态：情绪3】",
    ],
)
def test_any_two_cuts(raw: str) -> None:
    expected = clean_reply(raw).text
    for first, second in itertools.combinations(range(1, len(raw)), 2):
        _, out = _streamed([raw[:first], raw[first:second], raw[second:]])
        assert "".join(out) == expected, (first, second)


def test_ordinary_text_streams_as_it_comes() -> None:
    stream = ReplyFilter()
    assert stream.feed("I have waited ") == "I have waited"
    assert stream.feed("a week, and") == " a week, and"
    assert stream.feed(" (again!) nobody") == " (again!) nobody"


def test_the_engine_shows_none_of_it(fake_llm: FakeLLM) -> None:
    from simulator.customer.llm_engine import LLMCustomer
    from simulator.models import CustomerState, Turn
    from tests.offline_fixtures import en_case, persona

    case = en_case()
    customer = LLMCustomer(persona("emotional"), case, settings=fake_llm.settings())
    history = [Turn(role="customer", text=case.opening_line, state=CustomerState(mood=6, goal_met=False))]
    for raw, shown, _ in VARIANTS[:16]:
        fake_llm.server.chunk_chars = 3
        fake_llm.enqueue(raw)
        stream = customer.stream(history, "Let me look into that for you.")
        assert "".join(stream) == shown
        assert stream.reply is not None and stream.reply.text == shown
