"""A trainee's own sessions ("My sessions"): the list, the score trend, averages per criterion,
and one session opened with its scorecard (graded on demand when it never was).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from simulator.accounts import User
from simulator.app.i18n import AppError, label
from simulator.app.scorecards import ScorecardView, effective_report, grade_or_explain, scorecard
from simulator.app.services import AppServices, SessionNotFound
from simulator.content import Library
from simulator.models import Case, Language, Persona
from simulator.store import SessionFilter
from simulator.store_rows import DrillSession


@dataclass(frozen=True)
class HistoryView:
    """A trainee's own sessions, score trend and per-criterion averages."""

    sessions: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    criterion_averages: list[dict[str, Any]] = field(default_factory=list)


def own_sessions(services: AppServices, user: User) -> list[DrillSession]:
    """The user's own practice sessions and imported chats, newest first (exam cards live in the assessment)."""
    services.close_idle_drills()
    return [row for row in services.store.list_sessions(SessionFilter(user_name=user.name)) if row.source != "exam"]


def own_session(services: AppServices, user: User, session_id: str | None) -> DrillSession:
    """One of the sessions :func:`own_sessions` lists, by id, else ``SessionNotFound``.

    The "My sessions" picker sends whatever id the browser holds (another replica never sent its
    choices, so nothing else checks it): a mentor's or another trainee's session is refused here
    like an unknown id, and so is an exam card (it lives in the assessment view).
    """
    if not session_id:
        raise AppError("no_session_chosen")
    row = services.session_for(user, session_id)
    if row.user_name != user.name or row.source == "exam":
        raise SessionNotFound("no_session", id=session_id)
    return row


def score_now(services: AppServices, user: User, session_id: str | None) -> ScorecardView:
    """A trainee's own ended or abandoned drill, graded now if it never was (on demand)."""
    if not session_id:
        raise AppError("no_session_chosen")
    row = services.session_for(user, session_id)
    if row.user_name != user.name:
        raise SessionNotFound("no_session", id=session_id)
    if row.status == "open":
        raise AppError("session_still_open")
    if row.source == "exam":
        return scorecard(services, user, row.id)
    if services.store.latest_report(row.id) is None:
        grade_or_explain(services, row.id)
    return scorecard(services, user, row.id)


def history(services: AppServices, user: User, lang: Language) -> HistoryView:
    """The user's sessions, score trend (oldest first) and average score per criterion.

    Scores include mentor overrides; incomplete reports have no total and are left out of the
    trend, but their scored criteria count in the averages.
    """
    library = services.content.snapshot().library
    rows = own_sessions(services, user)
    sessions = [session_summary(row, library, lang) for row in rows]
    trend: list[dict[str, Any]] = []
    per_criterion: dict[str, list[int]] = {}
    for row in reversed(rows):
        if row.status != "graded":
            continue
        effective = effective_report(services, row.id)
        if effective is None:
            continue
        report = effective.report
        if report.total is not None:
            trend.append(
                {
                    "attempt": len(trend) + 1,
                    "total": report.total,
                    "started": _local_time(row.started_at),
                    "case": row.case_id or "",
                }
            )
        for score in report.criteria:
            if score.score is not None:
                per_criterion.setdefault(score.id, []).append(score.score)
    averages = []
    rubric = library.rubric
    for criterion_id, scores in per_criterion.items():
        name = criterion_id
        if rubric is not None:
            with contextlib.suppress(KeyError):
                name = rubric.criterion(criterion_id).name.get(lang)
        averages.append({"criterion": name, "average": round(sum(scores) / len(scores), 2), "sessions": len(scores)})
    return HistoryView(sessions=sessions, trend=trend, criterion_averages=averages)


def customer_name(persona: Persona | None, case: Case | None, fallback: str = "—") -> str:
    """Who the customer was in a session, in the session's language: the case's customer (the case
    owns identity) and the persona's type label, e.g. ``王振华 · 较真的退休老人``."""
    if case is None:
        return persona.label.get(persona.languages[0]) if persona else fallback
    parts = [case.customer.name]
    if persona is not None:
        parts.append(persona.label.get(case.language))
    return " · ".join(parts)


def session_summary(row: DrillSession, library: Library, lang: Language) -> dict[str, Any]:
    """One session as a table row: labels in ``lang``; the session's own content (customer,
    scenario) in the session's language, as the trainee met it."""
    persona = library.personas.get(row.persona_id or "")
    case = library.cases.get(row.case_id or "") or library.exam_cases.get(row.case_id or "")
    return {
        "id": row.id,
        "trainee": row.user_name,
        "started": _local_time(row.started_at),
        "persona": customer_name(persona, case, row.persona_id or "—"),
        "case": case.title if case else (row.case_id or row.scenario or "—"),
        "status": label("status", row.status, lang),
        "outcome": label("outcome", row.outcome, lang) if row.outcome else "—",
        "total": row.total,
        "result": label("result", _result(row), lang),
        "source": row.source,
    }


def _result(row: DrillSession) -> str:
    if row.status != "graded":
        return "ungraded"
    if row.passed is None:
        return "incomplete"
    return "pass" if row.passed else "fail"


def _local_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
