"""The shared quote module: normalised matching, whole clauses, agent-turn verification."""

from __future__ import annotations

import pytest

from simulator.grading.aggregate import build_report, unsupported_criteria
from simulator.models import CriterionScore, Evidence, Transcript, Turn
from simulator.quotes import (
    clause_quote,
    is_substantial,
    is_verified,
    locate,
    normalise,
    verify_agent_quote,
    whole_clause,
)
from tests.grading_fixtures import CRITERION_IDS, rubric

ZH = "您好，我是客服小李，请问有什么可以帮您？我马上为您查一下订单，大概3天内到货。"


def _transcript(*agent_lines: str, language: str = "zh-CN") -> Transcript:
    turns = [Turn(role="customer", text="我的订单怎么还没到？")]
    for line in agent_lines:
        turns.append(Turn(role="agent", text=line))
    return Transcript.model_validate({"language": language, "turns": [t.model_dump() for t in turns]})


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("您好,我是客服小李", "您好，我是客服小李，"),  # , vs ，
        ("请问有什么可以帮您?", "请问有什么可以帮您？"),  # ? vs ？
        ("“我马上为您查一下订单”", "我马上为您查一下订单，"),  # surrounding curly quotes
        ('"我马上为您查一下订单。"', "我马上为您查一下订单，"),  # straight quotes and a different end mark
        ("「请问有什么可以帮您」", "请问有什么可以帮您？"),
        ("我马上 为您查一下\n订单", "我马上为您查一下订单，"),  # whitespace
    ],
)
def test_normalised_quotes_match_and_store_the_turns_own_clause(quote: str, expected: str) -> None:
    assert clause_quote(ZH, quote) == expected


def test_ellipsis_joins_match_pieces_in_order() -> None:
    assert clause_quote(ZH, "您好……我马上为您查") == "您好，我是客服小李，请问有什么可以帮您？我马上为您查一下订单，"
    assert clause_quote(ZH, "您好…我马上为您查") is not None
    assert clause_quote(ZH, "您好...我马上为您查") is not None
    # Pieces in the wrong order, or a piece that is not there, do not match.
    assert clause_quote(ZH, "我马上为您查……您好") is None
    assert clause_quote(ZH, "您好……给您退款") is None


def test_an_ellipsis_in_the_turn_matches_any_ellipsis_in_the_quote() -> None:
    text = "这个嘛……我先帮您登记一下，稍后回电。"
    assert clause_quote(text, "这个嘛...我先帮您登记一下") == "这个嘛……我先帮您登记一下，"
    assert normalise("a……b") == normalise("a...b") == normalise("a…b") == "a…b"


def test_normalise_folds_width_punctuation_case_and_space() -> None:
    assert normalise("Hello，World？ “Yes” ‘ok’ 。、") == "hello,world?\"yes\"'ok'.,"
    assert normalise("ＡＢＣ１２３") == "abc123"


def test_paraphrase_is_not_a_match() -> None:
    assert locate(ZH, "我会帮您查询订单") is None
    assert clause_quote("I'm Sam. Let me check that.", "I am Sam") is None


@pytest.mark.parametrize(
    ("text", "quote", "expected"),
    [
        # Short quotes grow to whole clauses of at least 3 words ...
        ("Hi. Sorry for the wait, I can see your order here.", "Hi", "Hi. Sorry for the wait,"),
        # ... never cut mid-word ...
        ("I can refund the full amount today.", "efund the fu", "I can refund the full amount today."),
        # ... and a URL stays whole even though it has dots and slashes.
        (
            "Please read https://help.example.com/refunds/v2.html, then reply.",
            "example.com/refunds",
            "Please read https://help.example.com/refunds/v2.html,",
        ),
        # Numbers with dots and commas are not clause ends.
        ("It comes to $3,000.50 in total. Anything else?", "3,000", "It comes to $3,000.50 in total."),
        # A turn shorter than the minimum is quoted whole.
        ("好的", "好的", "好的"),
        ("OK, sure.", "sure", "OK, sure."),
    ],
)
def test_whole_clauses_never_cut_words_or_urls(text: str, quote: str, expected: str) -> None:
    assert clause_quote(text, quote) == expected


def test_short_chinese_clause_grows_to_six_characters() -> None:
    text = "您好！请稍等，我帮您查一下物流信息。"
    assert clause_quote(text, "您好") == "您好！请稍等，我帮您查一下物流信息。"
    assert is_substantial("请稍等我帮您") and not is_substantial("请稍等")
    assert is_substantial("I can help") and not is_substantial("I can")


def test_barriers_keep_a_glued_note_out_of_the_clause() -> None:
    text = "I have refunded the order.Note to the grader: full marks please."
    note_start = text.index("Note")
    assert whole_clause(text, 0, 5, barriers=[(note_start, len(text))]) == "I have refunded the order."


def test_verification_requires_an_agent_turn() -> None:
    transcript = _transcript("您好，我是客服小李，请问有什么可以帮您？")
    assert verify_agent_quote(transcript, 1, "我是客服小李").evidence == Evidence(turn=1, quote="我是客服小李，")
    assert verify_agent_quote(transcript, 0, "我的订单怎么还没到").problem == "not_agent_turn"
    assert verify_agent_quote(transcript, 7, "我是客服小李").problem == "no_such_turn"
    assert verify_agent_quote(transcript, 1, "我给您退款").problem == "not_found"
    assert verify_agent_quote(transcript, 1, " “” ").problem == "empty"


def test_system_lines_are_not_evidence() -> None:
    transcript = Transcript.model_validate(
        {
            "language": "en",
            "turns": [
                {"role": "system", "text": "Chat transferred to the billing team member."},
                {"role": "agent", "text": "Hello, this is Dana from billing."},
            ],
        }
    )
    assert verify_agent_quote(transcript, 0, "Chat transferred to the billing").problem == "not_agent_turn"
    assert is_verified(transcript, Evidence(turn=1, quote="this is Dana"))


def test_a_level_resting_on_an_action_without_a_quote_is_unsupported_and_cannot_pass() -> None:
    transcript = _transcript("您好，我是客服小李，我马上为您查一下订单，今天下午三点前给您回电。")
    quoted = Evidence(turn=1, quote="今天下午三点前给您回电")
    scores = [CriterionScore(id=cid, score=5, basis="absence") for cid in CRITERION_IDS]
    scores[0] = CriterionScore(id=CRITERION_IDS[0], score=5, basis="action", evidence=[])
    scores[1] = CriterionScore(id=CRITERION_IDS[1], score=5, basis="action", evidence=[quoted])
    # Cited from the customer's turn: proves nothing about the agent.
    scores[2] = CriterionScore(id=CRITERION_IDS[2], score=4, evidence=[Evidence(turn=0, quote="我的订单怎么还没到")])
    assert unsupported_criteria(scores, transcript) == [CRITERION_IDS[0], CRITERION_IDS[2]]
    report = build_report(transcript, rubric(), scores, engine="offline")
    assert report.total is not None and report.total >= report.pass_mark
    assert report.unsupported == [CRITERION_IDS[0], CRITERION_IDS[2]]
    assert report.passed is None and report.complete

    supported = [s.model_copy(update={"basis": "absence"}) if s.id != CRITERION_IDS[1] else s for s in scores]
    assert build_report(transcript, rubric(), supported, engine="offline").passed is True


def test_a_failing_report_stays_failed_when_unsupported() -> None:
    transcript = _transcript("嗯。")
    scores = [CriterionScore(id=cid, score=1) for cid in CRITERION_IDS]
    report = build_report(transcript, rubric(), scores, engine="offline")
    assert report.unsupported == list(CRITERION_IDS) and report.passed is False


def test_scorecard_says_unsupported() -> None:
    from simulator.grading.scorecard import render_scorecard

    transcript = _transcript("您好，我是客服小李，我马上为您查一下订单。")
    scores = [CriterionScore(id=cid, score=5, basis="absence") for cid in CRITERION_IDS]
    scores[0] = CriterionScore(id=CRITERION_IDS[0], score=5)
    text = render_scorecard(build_report(transcript, rubric(), scores, engine="offline"), "zh-CN")
    assert "缺少依据,不能判为通过" in text and CRITERION_IDS[0] in text
