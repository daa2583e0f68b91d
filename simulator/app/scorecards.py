"""Scorecards: a graded session's effective report with the content it was played with.

Shared by the practice chat, a trainee's own sessions, the mentor's replay and the assessment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.accounts import User
from simulator.app.i18n import AppError
from simulator.app.scoring import EffectiveReport, stored_effective_report
from simulator.app.services import AppServices
from simulator.errors import DrillError, GradingBusy
from simulator.models import Case, Persona, Rubric
from simulator.store_snapshots import session_content


@dataclass(frozen=True)
class ScorecardView:
    """A graded session: the effective report (mentor overrides applied) and its context."""

    session_id: str
    effective: EffectiveReport
    rubric: Rubric | None
    persona: Persona | None
    case: Case | None
    #: Case id -> title, so reference cases are named, not shown as ids.
    case_titles: dict[str, str] = field(default_factory=dict)


def effective_report(services: AppServices, session_id: str) -> EffectiveReport | None:
    """The latest report of a session with mentor overrides applied (None when not graded)."""
    return stored_effective_report(services.store, services.content.snapshot().library.rubric, session_id)


def scorecard(services: AppServices, user: User, session_id: str) -> ScorecardView:
    """The scorecard of a graded session the user may see (``AppError`` when not graded yet)."""
    row = services.session_for(user, session_id)
    if row.source == "exam" and not services.programme.assessments.exam_session_visible(user, row):
        # its scorecard carries the exam case's recommended phrasing: not before the result is out
        raise AppError("exam_results_after_close")
    effective = effective_report(services, row.id)
    if effective is None:
        raise AppError("not_graded_yet")
    library = services.content.snapshot().library
    played_with = session_content(services.store.engine, row, library)  # as played, not as edited since
    return ScorecardView(
        session_id=row.id,
        effective=effective,
        rubric=library.rubric,
        persona=played_with.persona,
        case=played_with.case,
        case_titles=library.case_titles(),
    )


def grade_or_explain(services: AppServices, session_id: str, *, again: bool = False) -> None:
    """Grade a stored session now, or raise the ``AppError`` that says why not and what to do.

    ``again`` grades a session that already has a report anew (a mentor's regrade). A failed
    grading is recorded with its reason and no report; the same button asks again.
    """
    try:
        services.grade_session(session_id, again=again)
    except GradingBusy as exc:
        raise AppError("grading_in_progress") from exc
    except DrillError as exc:  # the endpoint failed, refused the prompt, or sent nothing usable
        raise AppError("grading_failed", detail=str(exc)) from exc
    except Exception as exc:  # the index or the store failed; the session is safe, retry later
        raise AppError("grading_failed", detail=f"{type(exc).__name__}: {exc}") from exc
