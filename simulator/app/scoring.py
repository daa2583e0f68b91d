"""Mentor overrides applied to a grade report, with the grader's original kept alongside.

The stored report always stays the grader's. What trainees, mentors and exports see is the
*effective* report: each overridden criterion carries the mentor's latest score, and the total
and pass flag are recomputed from the rubric weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simulator.grading.aggregate import verdict, weighted_total
from simulator.models import GradeReport, Rubric
from simulator.store import SessionStore


@dataclass(frozen=True)
class AppliedOverride:
    """One mentor override as shown next to the score."""

    criterion_id: str
    original_score: int | None
    new_score: int
    reason: str
    author: str
    created_at: datetime | None


@dataclass(frozen=True)
class EffectiveReport:
    """The report with overrides applied, the grader's report, and what changed."""

    report: GradeReport
    original: GradeReport
    overrides: list[AppliedOverride]

    @property
    def overridden(self) -> dict[str, AppliedOverride]:
        """Latest override per criterion id."""
        latest: dict[str, AppliedOverride] = {}
        for override in self.overrides:
            latest[override.criterion_id] = override
        return latest


def apply_overrides(
    report: GradeReport, overrides: Sequence[AppliedOverride], rubric: Rubric | None
) -> EffectiveReport:
    """Apply the latest override of each criterion to ``report``.

    The total is recomputed with ``rubric``'s weights when given (it must be the rubric the
    report was graded with); without it, only scores change and the grader's total stays.
    An override can complete an incomplete report: once every criterion has a score, the total
    and pass flag are computed. An overridden criterion is no longer unsupported.
    """
    if not overrides:
        return EffectiveReport(report, report, [])
    latest = {override.criterion_id: override for override in overrides}
    criteria = [
        score.model_copy(update={"score": latest[score.id].new_score, "unscored_reason": None})
        if score.id in latest
        else score
        for score in report.criteria
    ]
    # A mentor's score is their own judgement: it settles an unsupported criterion.
    unsupported = [criterion_id for criterion_id in report.unsupported if criterion_id not in latest]
    update: dict[str, object] = {"criteria": criteria, "unsupported": unsupported}
    if rubric is not None:
        total = weighted_total(criteria, rubric)
        update["total"] = total
        update["complete"] = total is not None
        update["passed"] = verdict(total, rubric, unsupported)
    return EffectiveReport(report.model_copy(update=update), report, list(overrides))


def stored_effective_report(store: SessionStore, rubric: Rubric | None, session_id: str) -> EffectiveReport | None:
    """A session's latest stored report with its overrides applied (None when not graded).

    ``rubric`` is the current one; when the report was graded on another rubric version the
    grader's total is kept rather than mixing two sets of weights.
    """
    report = store.latest_report(session_id)
    if report is None:
        return None
    overrides = [
        AppliedOverride(o.criterion_id, o.original_score, o.new_score, o.reason, o.author, o.created_at)
        for o in store.overrides(session_id)
    ]
    if rubric is not None and rubric.version != report.grader.rubric_version:
        rubric = None  # weights may differ: keep the grader's total rather than mix rubrics
    return apply_overrides(report, overrides, rubric)
