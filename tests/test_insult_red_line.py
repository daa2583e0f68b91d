"""Insulting or threatening the customer, read by meaning (docs/red-lines.md, "Insults and threats")."""

from __future__ import annotations

from simulator.grading.aggregate import build_report
from simulator.grading.offline import grade_offline
from simulator.grading.red_line_detectors import detector_file
from simulator.grading.rules import RuleContext, run_rules_in
from simulator.grading.scorecard import render_scorecard
from tests.grading_fixtures import en_case, rubric, transcript

ASKED = "I've tried the reset link three times and it still won't let me in."
HELLO = "Hi, I'm Sam from the billing team."
ABUSE = {"en": "You useless lot, I've called four times, sort it out!", "zh-CN": "你们这帮废物，我打了四次了！"}


def insult_hits(language: str, customer: str, agent: str) -> tuple[list[float], list[float]]:
    """Confidences of the insult_or_threat red lines confirmed and for review on one exchange."""
    found = RuleContext(transcript(language, [("c", customer), ("a", agent)]), rubric(), None).red_lines
    confirmed = [h.confidence or 0.0 for h in found.confirmed if h.kind == "insult_or_threat"]
    review = [h.confidence or 0.0 for h in found.review if h.kind == "insult_or_threat"]
    return confirmed, review


def test_the_insult_detector_is_shipped_with_a_review_line_in_each_language() -> None:
    fitted = detector_file()
    assert fitted is not None and "insult_or_threat" in fitted.detectors
    assert set(fitted.detectors["insult_or_threat"].review) == {"en", "zh-CN"}


def test_a_hostile_insult_in_everyday_words_fails_the_session_and_leads_the_scorecard() -> None:
    insult = "Honestly, maybe learn to read before you ring us, it's embarrassing."
    t = transcript(
        "en",
        [
            ("c", ASKED),
            ("a", f"{HELLO} {insult}"),
            ("c", "Excuse me?"),
            ("a", "I've sent a new link to your email, it works for 24 hours."),
        ],
        case_id=en_case().id,
    )
    ctx = RuleContext(t, rubric(), en_case())
    hit = next(h for h in ctx.red_lines.confirmed if h.kind == "insult_or_threat")
    assert hit.source == "recogniser" and hit.turn == 1  # no rubric phrase: read by meaning
    findings = run_rules_in(ctx)
    scores = grade_offline(t, rubric(), en_case(), findings)
    report = build_report(t, rubric(), scores, findings, engine="offline", critical_errors=ctx.red_lines.confirmed)
    assert report.passed is False
    card = render_scorecard(report, "en", rubric())
    red_at = card.index("insulting or threatening the customer")
    total_at = card.index("Total")
    assert red_at < total_at and "maybe learn to read before you ring us" in card[red_at:total_at]


def test_a_chinese_jibe_at_the_customer_reaches_a_mentor_at_least() -> None:
    # zh-CN has no fail line yet (docs/red-lines.md): a jibe is flagged for review, or confirmed.
    confirmed, review = insult_hits("zh-CN", "链接我点了三次还是登不上", "这么简单都不会，您这岁数也是白活了。")
    assert confirmed or review


def test_a_firm_boundary_with_an_abusive_caller_and_a_brush_off_are_not_insults() -> None:
    for agent in (
        "I want to help, but if the swearing continues I'll have to end this call.",
        "That's not our department, you'll have to call the bank.",
        "If the balance stays unpaid after 28 days the account is suspended, as your agreement says.",
    ):
        assert insult_hits("en", ABUSE["en"], agent) == ([], []), agent
    for agent in ("如果您继续骂人，我只能先结束通话，不过问题我还是会帮您处理。", "这是规定，我也没办法。"):
        assert insult_hits("zh-CN", ABUSE["zh-CN"], agent) == ([], []), agent
