"""Mentor handlers of the training programme: the team's month, assessments, assignments, ratings.

Plain functions over :class:`~simulator.app.services.AppServices`. A mentor acts on the trainees
of the teams they coach, an admin on everyone: the programme's services refuse the rest, and
lists are filtered to what the user coaches before anything is shown.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from simulator.accounts import User
from simulator.app import mentor
from simulator.app.exports import new_export_folder
from simulator.app.i18n import AppError
from simulator.app.programme_views import ANY
from simulator.app.services import AppServices
from simulator.models import Language
from simulator.programme.assessment_report import render
from simulator.programme.assessment_views import CandidateView
from simulator.programme.assignments import AssignmentStatus
from simulator.programme.cards import CardFilters
from simulator.programme.ratings import Rating, RatingSummary, summarise
from simulator.programme.results import AssessmentResult, Part
from simulator.programme.team_view import TeamView, month_of, to_csv
from simulator.store_snapshots import library_with_sessions


def require_coach(services: AppServices, user: User) -> None:
    """Mentors and admins only."""
    if not (user.can("mentor") or user.is_admin):
        services.require(user, "mentor")


def this_month() -> str:
    """The current month as YYYY-MM (server time)."""
    return datetime.now().astimezone().strftime("%Y-%m")


def my_trainees(services: AppServices, user: User) -> list[User]:
    """The trainees the user coaches."""
    require_coach(services, user)
    return services.programme.trainees_of(user)


# ---------------------------------------------------------------------------------------------
# The month


def team_month(services: AppServices, user: User, month: str | None, team: str | None) -> TeamView:
    """The team view for ``month`` (YYYY-MM; this month when empty), optionally one team."""
    require_coach(services, user)
    chosen = month_of(month or this_month())
    return services.programme.team_view(user, services.library(), chosen, None if team in (None, "", ANY) else team)


def file_part(text: str) -> str:
    """``text`` as a piece of an export's file name (the export route serves plain ASCII names only)."""
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("_.") or "x"


def team_csv(services: AppServices, user: User, month: str | None, team: str | None, out_root: Path) -> Path:
    """Write the month's CSV to a fresh, unguessable folder of ``user``'s under ``out_root``; return the file."""
    view = team_month(services, user, month, team)
    folder = new_export_folder(out_root, user.name)
    path = folder / f"team-{view.month}{'-' + file_part(team) if team and team != ANY else ''}.csv"
    # UTF-8 with a byte-order mark: spreadsheet programs then read the Chinese names correctly.
    path.write_text(to_csv(view), encoding="utf-8-sig")
    return path


# ---------------------------------------------------------------------------------------------
# Assessments


def create_assessment(
    services: AppServices,
    user: User,
    trainees: list[str] | None,
    title: str | None,
    language: str | None,
    category: str | None,
    industry: str | None,
    difficulty: str | None,
) -> str:
    """Create an assessment for trainees the user coaches; return its id."""
    require_coach(services, user)
    if language not in ("zh-CN", "en"):
        raise AppError("assess_pick_language")
    chosen = {"category": category, "industry": industry, "difficulty": difficulty}
    filters = CardFilters(**{k: None if v in (None, "", ANY) else v for k, v in chosen.items()})
    return services.programme.assessments.create(
        user,
        services.library(),
        trainees=list(trainees or []),
        title=(title or "").strip(),
        language=language,
        filters=filters,
        rng=random.Random(),
    )


def assessment_choices(services: AppServices, user: User) -> list[tuple[str, str]]:
    """(label, id) of the assessments with trainees the user coaches, newest first."""
    require_coach(services, user)
    return [
        (f"{created:%Y-%m-%d} · {title} · {language}", assessment_id)
        for assessment_id, title, language, created in services.programme.assessments.visible_to(user)
    ]


def assessment_status(services: AppServices, user: User, assessment_id: str | None) -> list[CandidateView]:
    """Every trainee of the assessment the user coaches, with running results."""
    require_coach(services, user)
    if not assessment_id:
        raise AppError("assess_pick_one")
    return services.programme.assessments.candidates(user, services.library(), assessment_id)


def close(services: AppServices, user: User, assessment_id: str | None, trainee: str | None) -> AssessmentResult:
    """Close one trainee's result."""
    require_coach(services, user)
    if not assessment_id or not trainee:
        raise AppError("assess_pick_trainee")
    return services.programme.assessments.close(user, services.library(), assessment_id, trainee)


def resit(services: AppServices, user: User, assessment_id: str | None, trainee: str | None, part: str | None) -> int:
    """Open a resit of one failed part."""
    require_coach(services, user)
    if not assessment_id or not trainee or part not in ("theory", "practical"):
        raise AppError("assess_pick_trainee")
    chosen: Part = "theory" if part == "theory" else "practical"
    return services.programme.assessments.resit(user, services.library(), assessment_id, trainee, chosen)


def add_chat_texts(
    services: AppServices, user: User, assessment_id: str | None, trainee: str | None, texts: list[str], lang: Language
) -> int:
    """Import real chats (transcript JSON texts) for the trainee, grade them and add them; return the count."""
    require_coach(services, user)
    if not assessment_id or not trainee:
        raise AppError("assess_pick_trainee")
    if not texts:
        raise AppError("assess_no_files")
    person = services.programme.find_user(trainee)
    if person is None or not user.coaches(person):
        raise AppError("assess_not_found")
    # nothing is imported unless the assessment will take it (open, room for these chats)
    view = services.programme.assessments.candidate(user, services.library(), assessment_id, trainee)
    room = view.policy.practical.real_chats_max - sum(
        1 for i in view.current("practical").items if i.kind == "real_chat"
    )
    if view.status != "open" or len(texts) > room:
        raise AppError("assess_chats_no_room", room=max(room, 0) if view.status == "open" else 0)
    imported = [mentor.import_transcript(services, user, text, trainee, lang)[0] for text in texts]
    sessions = [services.store.get_session(session_id) for session_id in imported]
    return services.programme.assessments.add_real_chats(user, services.library(), assessment_id, trainee, sessions)


def export(
    services: AppServices,
    user: User,
    assessment_id: str | None,
    trainee: str | None,
    fmt: Literal["html", "md"],
    lang: Language,
    out_root: Path,
) -> Path:
    """Write one trainee's assessment report to a fresh, unguessable folder of ``user``'s; return the file."""
    require_coach(services, user)
    if not assessment_id or not trainee:
        raise AppError("assess_pick_trainee")
    library = services.library()
    view = services.programme.assessments.candidate(user, library, assessment_id, trainee)
    if view.user_name == user.name:
        raise AppError("assess_not_found")
    folder = new_export_folder(out_root, user.name)
    path = folder / f"assessment-{file_part(assessment_id[:8])}-{file_part(trainee)}.{fmt}"
    # cards are named as they were played, whatever the case files say now
    recorded = library_with_sessions(services.store.engine, library, view.session_ids())
    path.write_text(render(view, recorded, lang, fmt), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Assignments


def assign(
    services: AppServices,
    user: User,
    trainees: list[str] | None,
    curriculum_id: str | None,
    case_id: str | None,
    when: str | None,
    target: float | None,
) -> int:
    """Assign a curriculum (``when`` = first day) or one drill (``when`` = due date); return how many items."""
    require_coach(services, user)
    names = list(trainees or [])
    if not names:
        raise AppError("assess_no_trainees")
    day = _date(when)
    library = services.library()
    assignments = services.programme.assignments
    count = 0
    for name in names:
        if curriculum_id and curriculum_id != ANY:
            count += len(assignments.assign_curriculum(user, library, name, curriculum_id, start=day))
        elif case_id and case_id != ANY:
            if day is None:
                raise AppError("assign_due_needed")
            assignments.assign_drill(user, library, name, case_id, due_on=day, target=float(target or 80))
            count += 1
        else:
            raise AppError("assign_pick_item")
    return count


def all_assignments(services: AppServices, user: User, overdue_only: bool) -> list[AssignmentStatus]:
    """The assignments of every trainee the user coaches."""
    rubric = services.library().rubric
    found: list[AssignmentStatus] = []
    for person in my_trainees(services, user):
        found += services.programme.assignments.for_trainee(user, person.name, rubric)
    return [status for status in found if status.overdue] if overdue_only else found


def _date(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise AppError("bad_date", value=text) from None


# ---------------------------------------------------------------------------------------------
# Ratings


@dataclass(frozen=True)
class RatingRow:
    """One rating with what a mentor did to the scorecard."""

    rating: Rating
    case_title: str
    total: float | None
    overridden: bool


def ratings(services: AppServices, user: User, month: str | None) -> tuple[list[RatingRow], RatingSummary]:
    """The month's ratings by trainees the user coaches, with the summary."""
    require_coach(services, user)
    chosen = month_of(month or this_month())
    names = [p.name for p in services.programme.trainees_of(user)]
    found = services.programme.ratings.for_trainees(user, names, since=chosen.start, until=chosen.end)
    library = services.library()
    cases = {**library.cases, **library.exam_cases}
    rows = []
    for rating in found:
        session = services.store.get_session(rating.session_id)
        case = cases.get(session.case_id or "")
        overridden = any(o.new_score != o.original_score for o in services.store.overrides(session.id))
        rows.append(RatingRow(rating, case.title if case else (session.scenario or "—"), session.total, overridden))
    return rows, summarise(found, library.programme.feedback.low_fairness_at_most)
