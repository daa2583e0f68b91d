"""What a trainee or a coach sees of an assessment: the view types, built from the stored rows.

A card's score is shown to the trainee only once the attempt is closed (the scorecard carries the
exam case's recommended phrasing); coaches always see it. The theory score is shown once handed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from simulator.app.scoring import stored_effective_report
from simulator.models import Rubric
from simulator.programme.db import ProgrammeDB
from simulator.programme.models import ProgrammePolicy
from simulator.programme.quiz_attempts import QuizAttempts
from simulator.programme.results import AssessmentResult, Part, practical_score
from simulator.programme.tables import AssessmentRow, AttemptItemRow, AttemptRow, CandidateRow
from simulator.store import SessionStore


@dataclass(frozen=True)
class ItemView:
    """A card or a real chat of a practical attempt; ``score`` is None while hidden or unscored."""

    position: int
    kind: str
    case_id: str | None
    persona_id: str | None
    session_id: str | None
    state: str  # not_started | in_progress | ended | graded
    score: float | None


@dataclass(frozen=True)
class PartAttemptView:
    """One attempt at a part as the viewer may see it."""

    part: Part
    number: int
    state: str  # not_started | in_progress | done | closed
    score: float | None
    quiz_attempt_id: str | None = None
    items: list[ItemView] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateView:
    """One trainee's side of one assessment."""

    assessment_id: str
    title: str
    language: str
    created_by: str
    created_at: datetime
    user_name: str
    status: str  # open | closed
    attempts: list[PartAttemptView]
    policy: ProgrammePolicy
    filters: dict[str, Any]
    result: AssessmentResult | None  # the frozen result once closed; the running one for coaches

    def session_ids(self) -> list[str]:
        """Ids of the sessions behind this trainee's cards and real chats (for their recorded content)."""
        return [item.session_id for attempt in self.attempts for item in attempt.items if item.session_id]

    def current(self, part: Part) -> PartAttemptView:
        """The latest attempt at ``part``."""
        return max((a for a in self.attempts if a.part == part), key=lambda a: a.number)


def attempt_view(
    db: ProgrammeDB,
    quizzes: QuizAttempts,
    attempt: AttemptRow,
    items: list[AttemptItemRow],
    rubric: Rubric | None,
    *,
    show: bool,
) -> PartAttemptView:
    """One attempt at a part as the viewer sees it (``show``: scores visible to them)."""
    if attempt.part == "theory":
        quiz = quizzes.current_row(attempt.quiz_attempt_id) if attempt.quiz_attempt_id else None
        state = "not_started" if quiz is None else "in_progress" if quiz.status == "open" else "done"
        score = attempt.score if attempt.closed_at else (quiz.score if quiz and quiz.status != "open" else None)
        if attempt.closed_at:
            state = "closed"
        # the trainee sees their theory score once handed in: it carries no answer key
        return PartAttemptView("theory", attempt.number, state, score, attempt.quiz_attempt_id)
    views = [item_view(db.store, item, rubric, show) for item in items]
    cards = [v for v in views if v.kind == "card"]
    if attempt.closed_at:
        state = "closed"
    elif all(v.state == "not_started" for v in cards):
        state = "not_started"
    elif all(v.state == "graded" for v in cards):
        state = "done"
    else:
        state = "in_progress"
    score = attempt.score if attempt.closed_at else None
    if score is None and show and state == "done":
        score = practical_score(
            [v.score for v in views if v.kind == "card"],
            [v.score for v in views if v.kind == "real_chat"],
            policy_of(db, attempt).practical,
        )
    return PartAttemptView("practical", attempt.number, state, score if show else None, None, views)


def item_view(store: SessionStore, item: AttemptItemRow, rubric: Rubric | None, show: bool) -> ItemView:
    """A card or real chat with the state of its drill session and, when ``show``, its score."""
    state, score = "not_started", None
    if item.session_id is not None:
        session = store.get_session(item.session_id)
        if session.status == "open":
            state = "in_progress"
        elif session.status != "graded":
            state = "ended"
        else:
            state = "graded"
            effective = stored_effective_report(store, rubric, session.id)
            score = effective.report.total if effective else None
    return ItemView(
        item.position, item.kind, item.case_id, item.persona_id, item.session_id, state, score if show else None
    )


def policy_of(db: ProgrammeDB, attempt: AttemptRow) -> ProgrammePolicy:
    """The policy copied into the assessment ``attempt`` belongs to."""
    with db.read() as session:
        policy = session.execute(
            select(AssessmentRow.policy)
            .join(CandidateRow, CandidateRow.assessment_id == AssessmentRow.id)
            .where(CandidateRow.id == attempt.candidate_id)
        ).scalar_one()
    return ProgrammePolicy.model_validate(policy)
