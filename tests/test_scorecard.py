"""The Markdown scorecard: language, verdict, incomplete reports, quotes and findings."""

from __future__ import annotations

from simulator.grading.aggregate import build_report
from simulator.grading.scorecard import render_scorecard
from simulator.models import CriterionScore, Evidence, Finding
from tests.grading_fixtures import CRITERION_IDS, rubric, transcript


def _report(language: str, score: int | None = 5, **kwargs):
    t = transcript(
        language,
        [
            ("c", "还没到？" if language == "zh-CN" else "Where is it?"),
            ("a", "您好，明天送到。" if language == "zh-CN" else "Hello, it arrives tomorrow."),
        ],
    )
    quote = "明天送到" if language == "zh-CN" else "it arrives tomorrow"
    scores = [
        CriterionScore(
            id=cid,
            score=score,
            unscored_reason=None if score else "reply unparsable",
            evidence=[Evidence(turn=1, quote=quote)],
            rationale="r",
            suggestion="s",
            suggestion_case_id="case-1",
        )
        for cid in CRITERION_IDS
    ]
    return build_report(t, rubric(), scores, kwargs.pop("findings", []), engine="offline", **kwargs)


def test_passing_report_in_english() -> None:
    text = render_scorecard(_report("en"), rubric())
    assert text.startswith("# Scorecard")
    assert "**Total: 100/100 — PASS** (pass mark 80)" in text
    assert "| listening & empathy | 20 | 5/5 |" in text
    assert "turn 1: “it arrives tomorrow”" in text
    assert "from case `case-1`" in text
    assert "No issues found." in text


def test_failing_report_in_chinese() -> None:
    text = render_scorecard(_report("zh-CN", score=2), rubric())
    assert text.startswith("# 评分卡")
    assert "总分: 40/100 — 未通过" in text
    assert "第 1 轮: “明天送到”" in text


def test_incomplete_report_shows_no_total_and_the_reason() -> None:
    text = render_scorecard(_report("en", score=None), rubric())
    assert "INCOMPLETE" in text and "/100" not in text
    assert "unscored: reply unparsable" in text


def test_without_rubric_criteria_show_by_id() -> None:
    text = render_scorecard(_report("en"))
    assert "## problem_solving — 5/5" in text


def test_findings_and_references_are_listed_and_quotes_stay_on_one_line() -> None:
    findings = [
        Finding(rule="jargon", severity="warning", turn=1, quote="it arrives\ntomorrow", message="m1"),
        Finding(rule="reference_retrieval_failed", severity="info", message="index down"),
    ]
    text = render_scorecard(_report("en", findings=findings, references=["case-a"]), rubric())
    assert "- **warning** `jargon` (turn 1) — “it arrives tomorrow”: m1" in text
    assert "- **note** `reference_retrieval_failed` (whole conversation): index down" in text
    assert "Reference cases: case-a" in text
