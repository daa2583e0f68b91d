"""Aggregation: weighted total, pass flag, per-turn annotations and the report, with empty and partial input."""

from __future__ import annotations

import pytest

from simulator.grading.aggregate import (
    align_scores,
    annotate_turns,
    build_report,
    passed,
    sort_findings,
    weighted_total,
)
from simulator.models import CriterionScore, Evidence, Finding, GradeReport
from tests.grading_fixtures import CRITERION_IDS, rubric, transcript


def scores(**values: int | None) -> list[CriterionScore]:
    """One CriterionScore per keyword; None means unscored. Levels rest on absence (need no quote)."""
    return [
        CriterionScore(
            id=cid,
            score=value,
            basis="absence",
            unscored_reason=None if value is not None else "judge reply unparsable",
        )
        for cid, value in values.items()
    ]


FULL = dict.fromkeys(CRITERION_IDS, 5)


def test_weighted_total_full_marks_is_100() -> None:
    assert weighted_total(scores(**FULL), rubric()) == 100.0


def test_weighted_total_uses_the_rubric_weights() -> None:
    # weights 20/20/25/15/10/10; Σ weight·score/5
    values = dict(standard_phrasing=4, listening_empathy=3, problem_solving=5, adaptability=2, clarity=1, compliance=5)
    expected = (20 * 4 + 20 * 3 + 25 * 5 + 15 * 2 + 10 * 1 + 10 * 5) / 5
    assert weighted_total(scores(**values), rubric()) == pytest.approx(expected)


def test_weighted_total_all_ones_is_20() -> None:
    assert weighted_total(scores(**dict.fromkeys(CRITERION_IDS, 1)), rubric()) == 20.0


@pytest.mark.parametrize(
    "given",
    [
        [],  # empty input
        scores(**{**FULL, "clarity": None}),  # one unscored
        scores(**{cid: 5 for cid in CRITERION_IDS[:-1]}),  # one missing
    ],
    ids=["empty", "one-unscored", "one-missing"],
)
def test_weighted_total_is_none_when_incomplete(given: list[CriterionScore]) -> None:
    assert weighted_total(given, rubric()) is None


def test_weighted_total_ignores_unknown_criteria() -> None:
    extra = [*scores(**FULL), CriterionScore(id="charm", score=1)]
    assert weighted_total(extra, rubric()) == 100.0


@pytest.mark.parametrize(
    ("total", "expected"), [(80.0, True), (79.99, False), (100.0, True), (0.0, False), (None, None)]
)
def test_passed_at_the_pass_mark(total: float | None, expected: bool | None) -> None:
    assert passed(total, rubric()) is expected


def test_align_scores_orders_fills_and_dedupes() -> None:
    given = [
        CriterionScore(id="compliance", score=2),
        CriterionScore(id="compliance", score=5),
        CriterionScore(id="charm", score=3),
        CriterionScore(id="clarity"),
    ]
    aligned = align_scores(given, rubric(), missing_reason="not returned")
    assert [s.id for s in aligned] == list(CRITERION_IDS)
    by_id = {s.id: s for s in aligned}
    assert by_id["compliance"].score == 2  # the first of a duplicate wins
    assert by_id["standard_phrasing"].score is None and by_id["standard_phrasing"].unscored_reason == "not returned"
    assert by_id["clarity"].unscored_reason == "not returned"  # unscored without a reason gets one


def _conversation():
    return transcript(
        "en",
        [
            ("c", "My blender was charged twice."),
            ("a", "Hi, I'm Sam. I'm sorry about that."),
            ("c", "Fix it."),
            ("a", "Calm down. I'll refund it."),
        ],
    )


def test_annotate_turns_empty_transcript() -> None:
    assert annotate_turns(transcript("en", []), [], []) == []


def test_annotate_turns_customer_only() -> None:
    assert annotate_turns(transcript("en", [("c", "Hello?")]), scores(**FULL), []) == []


def test_annotate_turns_helped_hurt_and_findings() -> None:
    t = _conversation()
    given = [
        CriterionScore(id="listening_empathy", score=4, evidence=[Evidence(turn=1, quote="I'm sorry about that.")]),
        CriterionScore(id="problem_solving", score=2, evidence=[Evidence(turn=3, quote="I'll refund it.")]),
        CriterionScore(id="compliance", score=3, evidence=[Evidence(turn=3, quote="Calm down.")]),
        CriterionScore(id="clarity", score=None, unscored_reason="x", evidence=[Evidence(turn=1, quote="Hi")]),
    ]
    findings = [
        Finding(rule="forbidden_phrase", severity="violation", turn=3, quote="Calm down", message="m"),
        Finding(rule="missing_closing", severity="warning", turn=3, quote="I'll refund it.", message="m"),
        Finding(rule="reference_retrieval_failed", severity="info", message="m"),
    ]
    notes = {a.turn: a for a in annotate_turns(t, given, findings)}
    assert sorted(notes) == [1, 3]
    assert notes[1].helped == ["listening_empathy"] and notes[1].hurt == []
    # a violation on the turn hurts compliance even though compliance's score cites that turn
    assert "compliance" in notes[3].hurt and "compliance" not in notes[3].helped
    assert "problem_solving" in notes[3].hurt  # evidence for a score of 2
    assert "standard_phrasing" not in notes[3].hurt  # not among the given criteria
    assert notes[3].findings == ["forbidden_phrase", "missing_closing"]
    assert "clarity" not in notes[1].helped  # unscored criteria annotate nothing


def test_build_report_full() -> None:
    t = _conversation()
    report = build_report(t, rubric(), scores(**FULL), [], engine="offline", references=["a", "a", "b"])
    assert isinstance(report, GradeReport)
    assert report.total == 100.0 and report.passed is True and report.complete is True
    assert report.references == ["a", "b"]
    assert report.grader.rubric_version == "grading-test-1" and report.grader.engine == "offline"
    assert [a.turn for a in report.annotations] == [1, 3]
    GradeReport.model_validate(report.model_dump(mode="json"))  # round-trips as the JSON contract


def test_build_report_partial_is_incomplete_never_zero() -> None:
    t = _conversation()
    report = build_report(
        t, rubric(), scores(**{**FULL, "problem_solving": None}), [], engine="llm", model="judge-1", prompt_hash="abc"
    )
    assert report.total is None and report.passed is None and report.complete is False
    ps = next(c for c in report.criteria if c.id == "problem_solving")
    assert ps.score is None and ps.unscored_reason
    assert report.grader.model == "judge-1" and report.grader.prompt_hash == "abc"


def test_build_report_missing_criteria_become_unscored() -> None:
    t = _conversation()
    report = build_report(t, rubric(), [CriterionScore(id="clarity", score=4)], [], engine="offline")
    assert len(report.criteria) == len(CRITERION_IDS)
    assert report.total is None
    assert all(c.unscored_reason for c in report.criteria if c.id != "clarity")


@pytest.mark.parametrize(
    ("turns", "reason"),
    [([], "empty"), ([("c", "Hello? Anyone?")], "no agent turns")],
    ids=["empty", "customer-only"],
)
def test_build_report_nothing_to_grade(turns, reason: str) -> None:
    t = transcript("en", turns)
    # Even if a grader returned scores, there is nothing to grade: all unscored with the reason.
    report = build_report(t, rubric(), scores(**FULL), [], engine="offline")
    assert report.total is None and report.passed is None and report.complete is False
    assert all(c.score is None and reason in c.unscored_reason for c in report.criteria)
    assert report.annotations == []


def test_sort_findings_turn_order_then_severity() -> None:
    findings = [
        Finding(rule="jargon", severity="warning", turn=3, message="m"),
        Finding(rule="reference_retrieval_failed", severity="info", message="m"),
        Finding(rule="forbidden_phrase", severity="violation", turn=3, message="m"),
        Finding(rule="missing_greeting", severity="warning", turn=1, message="m"),
    ]
    assert [(f.turn, f.rule) for f in sort_findings(findings)] == [
        (1, "missing_greeting"),
        (3, "forbidden_phrase"),
        (3, "jargon"),
        (None, "reference_retrieval_failed"),
    ]
    assert sort_findings([]) == []
