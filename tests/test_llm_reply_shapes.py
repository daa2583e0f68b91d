"""Only whole customer turns, within bounds (issue 13 items 3 and 7), against the fault server.

Each shape is scripted on the local OpenAI-compatible server and played through ``Conversation``
with the real LLM customer: a reply is a turn only when its stream finished normally; otherwise
the partial text is discarded, the trainee's message stays pending and a retry asks again.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.conversation import Conversation
from simulator.customer.llm_engine import LLMCustomer
from simulator.errors import ConversationFull, CustomerUnavailable, ReplyStopped
from tests.fake_llm import FakeLLM
from tests.offline_fixtures import en_case, persona, write_content

LINE = "Hi, this is Sam from billing. What seems to be the problem?"
WHOLE = "I was charged twice for the same order.\n<<state mood=6 goal_met=false>>"
HALF = "Look, I have told yo"


def _conversation(fake_llm: FakeLLM, **settings: Any) -> Conversation:
    customer = LLMCustomer(persona("emotional"), en_case(), seed=1, settings=fake_llm.settings(**settings))
    conversation = Conversation(customer)
    conversation.start()
    return conversation


def _assert_pending_then_retry_works(conversation: Conversation, fake_llm: FakeLLM) -> None:
    assert conversation.pending and [t.role for t in conversation.turns] == ["customer", "agent"]
    fake_llm.enqueue(WHOLE)
    reply = conversation.retry_last().collect()
    assert reply.text == "I was charged twice for the same order."
    assert [t.role for t in conversation.turns] == ["customer", "agent", "customer"]


REFUSED_SHAPES: dict[str, tuple[dict[str, Any], str]] = {
    "ends without finish_reason or [DONE]": (
        {"content": HALF, "omit_finish_reason": True, "omit_done": True},
        "no finish reason",
    ),
    "ends without finish_reason, with [DONE]": ({"content": HALF, "omit_finish_reason": True}, "no finish reason"),
    "finish_reason length": ({"content": HALF, "finish_reason": "length"}, "length cap of 2048 tokens"),
    "finish_reason content_filter": ({"content": HALF, "finish_reason": "content_filter"}, "content filter"),
    "an unknown finish_reason": ({"content": HALF, "finish_reason": "abort"}, "'abort'"),
    "an error event mid-stream": (
        {"content": HALF + " and again", "error_event_after_chunks": 2, "error_message": "CUDA out of memory"},
        "CUDA out of memory",
    ),
    "the connection drops mid-stream": ({"content": HALF + " and again", "fail_after_chunks": 2}, "broke off"),
    "a context-length 400": (
        {
            "status": 400,
            "error_message": "This model's maximum context length is 8192 tokens. However, you requested 9100 tokens.",
            "error_code": "context_length_exceeded",
        },
        "context window",
    ),
}


@pytest.mark.parametrize("shape", list(REFUSED_SHAPES))
def test_a_reply_that_did_not_finish_normally_is_not_a_turn(fake_llm: FakeLLM, shape: str) -> None:
    script, expected = REFUSED_SHAPES[shape]
    fake_llm.enqueue(**script)
    conversation = _conversation(fake_llm, llm_max_retries=0)

    shown: list[str] = []
    with pytest.raises(CustomerUnavailable) as caught:
        for delta in conversation.send(LINE):
            shown.append(delta)
    assert expected in str(caught.value)
    assert "Your message was kept" in str(caught.value)
    assert all(turn.text != "".join(shown) or not shown for turn in conversation.turns)  # the partial is dropped
    _assert_pending_then_retry_works(conversation, fake_llm)


def test_a_finished_reply_without_done_is_whole(fake_llm: FakeLLM) -> None:
    # finish_reason "stop" says the reply is complete; the missing [DONE] line only ends the stream.
    fake_llm.enqueue(WHOLE, omit_done=True)
    conversation = _conversation(fake_llm)
    assert conversation.send(LINE).collect().text == "I was charged twice for the same order."
    assert not conversation.pending


def test_a_slow_stream_is_given_up_within_the_reply_budget(fake_llm: FakeLLM) -> None:
    # The first chunk must arrive well inside the budget even on a loaded machine (at 0.2 s it did
    # not always, and the reply was then "not answered" instead of "not finished").
    fake_llm.enqueue("So. " * 30 + "\n<<state mood=6 goal_met=false>>", chunk_delay_s=0.3)
    conversation = _conversation(fake_llm, llm_reply_timeout_s=1.5)
    with pytest.raises(CustomerUnavailable, match=r"did not finish its reply within 1\.5 s"):
        conversation.send(LINE).collect()
    assert len(fake_llm.requests) == 1  # text was already shown: never re-asked behind the trainee's back
    _assert_pending_then_retry_works(conversation, fake_llm)


def test_a_stalled_model_is_given_up_without_retrying_past_the_budget(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(WHOLE, stall_after_chunks=0, stall_s=3)
    conversation = _conversation(fake_llm, llm_reply_timeout_s=0.3, llm_max_retries=3)
    with pytest.raises(CustomerUnavailable) as caught:
        conversation.send(LINE).collect()
    assert "did not answer" in str(caught.value) or "did not finish" in str(caught.value)
    assert conversation.pending


def test_server_errors_before_any_text_are_retried_within_the_budget(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=503, error_message="loading model")
    fake_llm.enqueue(status=429, error_message="slow down", headers={"retry-after": "0"})
    fake_llm.enqueue(WHOLE)
    conversation = _conversation(fake_llm, llm_max_retries=3)
    assert conversation.send(LINE).collect().text.startswith("I was charged twice")
    assert len(fake_llm.requests) == 3
    assert fake_llm.requests[0]["max_completion_tokens"] == 2048


def test_retries_stop_at_the_configured_count(fake_llm: FakeLLM) -> None:
    for _ in range(3):
        fake_llm.enqueue(status=500, error_message="boom")
    conversation = _conversation(fake_llm, llm_max_retries=1)
    with pytest.raises(CustomerUnavailable, match="after 1 retry"):
        conversation.send(LINE).collect()
    assert len(fake_llm.requests) == 2


def test_stop_discards_the_reply_and_keeps_the_message(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("Well, " * 40 + "\n<<state mood=6 goal_met=false>>", chunk_delay_s=0.01)
    conversation = _conversation(fake_llm)
    stream = conversation.send(LINE)
    with pytest.raises(ReplyStopped, match="You stopped"):
        for index, _ in enumerate(stream):
            if index == 1:
                stream.cancel()
    _assert_pending_then_retry_works(conversation, fake_llm)


def test_stop_from_another_thread_interrupts_a_retry_wait(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=503, error_message="busy")
    conversation = _conversation(
        fake_llm, llm_max_retries=3, extra={"llm_retry_initial_delay_s": "30", "llm_retry_max_delay_s": "30"}
    )
    stream = conversation.send(LINE)
    threading.Timer(0.05, stream.cancel).start()
    with pytest.raises(ReplyStopped):
        stream.collect()
    assert len(fake_llm.requests) == 1


def test_a_drill_refuses_the_message_that_would_pass_the_turn_cap(
    fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILL_MAX_DRILL_TURNS", "5")
    fake_llm.server.default_reply = dataclasses.replace(fake_llm.default_reply, content=WHOLE)
    conversation = _conversation(fake_llm)
    conversation.send(LINE).collect()
    conversation.send("Could I have the order number?").collect()
    with pytest.raises(ConversationFull, match="DRILL_MAX_DRILL_TURNS") as caught:
        conversation.send("Thanks.")
    assert "End it to see your scorecard" in str(caught.value)
    assert len(conversation.turns) == 5 and len(fake_llm.requests) == 2


def test_simulate_refuses_an_agent_file_past_the_cap_before_any_call(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(write_content(tmp_path / "content")))
    path = tmp_path / "agent.txt"
    path.write_text("\n".join(f"Line {n}, please hold on." for n in range(300)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["simulate", "--persona", "test_emotional", "--case", "en-test-double-charge", "--agent-file", str(path)],
    )
    assert result.exit_code == 2
    assert "300 trainee messages do not fit in one drill" in result.stderr
    assert "at most 49 messages" in result.stderr and "DRILL_MAX_DRILL_TURNS" in result.stderr
    assert fake_llm.requests == []
