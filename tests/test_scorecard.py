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
    text = render_scorecard(_report("en"), "en", rubric())
    assert text.startswith("# Scorecard")
    assert "**Total: 100/100 — PASS** (pass mark 80)" in text
    assert "| listening & empathy | 20 | 5/5 |" in text
    # evidence.turn is the 0-based index 1: the chat shows it as message 2
    assert "message 2: “it arrives tomorrow”" in text
    assert "from case case-1" in text
    assert "No issues found." in text


def test_failing_report_in_chinese() -> None:
    text = render_scorecard(_report("zh-CN", score=2), "zh-CN", rubric())
    assert text.startswith("# 评分卡")
    assert "总分: 40/100 — 未通过" in text
    assert "第 2 条: “明天送到”" in text


def test_the_display_language_labels_and_the_report_keeps_its_own_language() -> None:
    report = _report("zh-CN", score=2)
    text = render_scorecard(report, "en", rubric(), case_titles={"case-1": "Late parcel"})
    assert text.startswith("# Scorecard") and "评分卡" not in text
    assert "message 2: “明天送到”" in text  # the session's own words stay as said
    assert "from case Late parcel" in text  # a title, not an id
    assert report.language == "zh-CN"  # never rewritten to switch


def test_incomplete_report_shows_no_total_and_the_reason() -> None:
    text = render_scorecard(_report("en", score=None), "en", rubric())
    assert "INCOMPLETE" in text and "/100" not in text
    assert "unscored: reply unparsable" in text


def test_without_rubric_criteria_show_by_id() -> None:
    text = render_scorecard(_report("en"), "en")
    assert "## problem_solving — 5/5" in text


def test_findings_show_rule_names_in_the_display_language_and_quotes_stay_on_one_line() -> None:
    findings = [
        Finding(rule="jargon", severity="warning", turn=1, quote="it arrives\ntomorrow", message="m1"),
        Finding(rule="reference_retrieval_failed", severity="info", message="index down"),
    ]
    report = _report("en", findings=findings, references=["case-a"])
    text = render_scorecard(report, "en", rubric(), case_titles={"case-a": "Case A title"})
    assert "- **warning** · Internal jargon (message 2) — “it arrives tomorrow”: m1" in text
    assert "- **note** · Reference cases unavailable (whole conversation): index down" in text
    assert "Reference cases: Case A title" in text
    chinese = render_scorecard(report, "zh-CN", rubric())
    assert "内部术语(第 2 条)" in chinese.replace(" (", "(").replace(") ", ")") or "内部术语 (第 2 条)" in chinese
    assert "jargon" not in chinese.split("## 规则检查")[1].split("\n")[1]


def test_an_override_shows_the_mentor_score_and_marks_the_grader_reasoning() -> None:
    from simulator.app.scoring import AppliedOverride, apply_overrides

    override = AppliedOverride("problem_solving", 5, 2, "never checked the order", "wang.lei", None)
    effective = apply_overrides(_report("en"), [override], rubric())
    text = render_scorecard(effective.report, "en", rubric(), overrides=effective.overrides)
    section = text.split("## problem solving — 2/5")[1].split("## ")[0]
    assert "Mentor wang.lei set 2/5: never checked the order" in section
    assert "Grader's reasoning (for its 5/5): r" in section
    assert "- Why:" not in section
    assert "| problem solving | 25 | 2/5 ✎ (grader gave 5/5) |" in text


def test_html_rendering_escapes_transcript_text() -> None:
    from simulator.grading.scorecard import render_scorecard_html

    findings = [Finding(rule="jargon", severity="warning", turn=1, quote="<script>x</script>", message="<b>m</b>")]
    html = render_scorecard_html(_report("en", findings=findings), "en", rubric())
    assert "<table>" in html and "<h1>Scorecard</h1>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
