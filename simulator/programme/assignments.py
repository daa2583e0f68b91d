"""Assignments: a curriculum or single drills and quizzes given to a trainee, with due dates.

A mentor assigns to trainees of the teams they coach (an admin to anyone). An item is **done**
once the trainee reaches its target: for a drill, a graded practice session of that case started
after the assignment (mentor overrides included); for a quiz, a practice quiz started from the
assignment. It is **overdue** when not done after its due date. Status is computed from the
records each time, so it is never out of step with what the trainee did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from simulator.accounts import User
from simulator.app.scoring import stored_effective_report
from simulator.content import Library
from simulator.models import Rubric
from simulator.programme.bank import matching_questions
from simulator.programme.coaching import coached_trainee, coaches
from simulator.programme.db import ProgrammeDB, aware
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.models import CurriculumItem, DrillSpec, QuizSpec
from simulator.programme.quiz_attempts import FindUser
from simulator.programme.tables import AssignmentRow, QuizAttemptRow
from simulator.store import SessionFilter
from simulator.store_rows import DrillSession

State = Literal["not_started", "in_progress", "done"]


@dataclass(frozen=True)
class AssignmentStatus:
    """One assignment and how far the trainee got."""

    id: int
    user_name: str
    kind: str
    title: str
    language: str
    spec: dict[str, Any]
    target: float
    due_on: date
    assigned_by: str
    curriculum_id: str | None
    state: State
    best: float | None
    attempts: int
    completed_at: datetime | None
    overdue: bool


class Assignments:
    """Giving trainees their curriculum and following it."""

    def __init__(self, db: ProgrammeDB, find_user: FindUser):
        self.db = db
        self.find_user = find_user

    # -- assigning ---------------------------------------------------------------------------------

    def assign_curriculum(
        self, user: User, library: Library, trainee: str, curriculum_id: str, *, start: date | None = None
    ) -> list[int]:
        """Assign every item of a curriculum; due dates count from ``start`` (today by default)."""
        person = coached_trainee(self.find_user, user, trainee)
        curriculum = library.curricula.get(curriculum_id)
        if curriculum is None:
            raise ProgrammeError(
                "assign_unknown_curriculum", id=curriculum_id, known=", ".join(sorted(library.curricula))
            )
        first = start or self.today()
        return [
            self._add(
                user,
                person.name,
                item,
                language=curriculum.language,
                due_on=first + timedelta(days=item.due_days),
                target=curriculum.target_of(item),
                curriculum_id=curriculum.id,
            )
            for item in curriculum.items
        ]

    def assign_drill(
        self, user: User, library: Library, trainee: str, case_id: str, *, due_on: date, target: float, title: str = ""
    ) -> int:
        """Assign one practice drill."""
        person = coached_trainee(self.find_user, user, trainee)
        case = library.cases.get(case_id)
        if case is None:
            raise ProgrammeError("assign_unknown_case", id=case_id)
        item = CurriculumItem(id="single", title=title or case.title, drill=DrillSpec(case=case_id), due_days=0)
        return self._add(user, person.name, item, language=case.language, due_on=due_on, target=target)

    def assign_quiz(
        self,
        user: User,
        library: Library,
        trainee: str,
        spec: QuizSpec,
        *,
        language: str,
        due_on: date,
        target: float,
        title: str,
    ) -> int:
        """Assign one practice quiz drawn by ``spec``."""
        person = coached_trainee(self.find_user, user, trainee)
        available = len(matching_questions(list(library.questions.values()), language, spec))
        if available < spec.questions:
            raise ProgrammeError("quiz_not_enough", available=available, asked=spec.questions, language=language)
        item = CurriculumItem(id="single", title=title, quiz=spec, due_days=0)
        return self._add(user, person.name, item, language=language, due_on=due_on, target=target)

    def cancel(self, user: User, assignment_id: int) -> None:
        """Withdraw an assignment (kept on record, no longer listed)."""
        with self.db.tx() as db:
            row = db.get(AssignmentRow, assignment_id)
            if row is None or row.cancelled_at is not None or not coaches(self.find_user, user, row.user_name):
                raise NotAllowed("assign_not_found")
            row.cancelled_at = self.db.now()

    # -- following ---------------------------------------------------------------------------------

    def for_trainee(self, user: User, trainee: str, rubric: Rubric | None) -> list[AssignmentStatus]:
        """The trainee's assignments (their own, or a coach's view), by due date."""
        if user.name != trainee and not coaches(self.find_user, user, trainee):
            raise NotAllowed("assign_not_found")
        with self.db.read() as db:
            rows = list(
                db.scalars(
                    select(AssignmentRow)
                    .where(AssignmentRow.user_name == trainee, AssignmentRow.cancelled_at.is_(None))
                    .order_by(AssignmentRow.due_on, AssignmentRow.id)
                )
            )
        sessions = self.db.store.list_sessions(SessionFilter(user_name=trainee, status="graded"), limit=5000)
        return [self._status(row, sessions, rubric) for row in rows]

    def overdue(self, user: User, trainees: list[str], rubric: Rubric | None) -> list[AssignmentStatus]:
        """Overdue items of ``trainees`` that ``user`` coaches."""
        found: list[AssignmentStatus] = []
        for trainee in trainees:
            if coaches(self.find_user, user, trainee):
                found += [status for status in self.for_trainee(user, trainee, rubric) if status.overdue]
        return found

    def get(self, user: User, assignment_id: int) -> AssignmentRow:
        """The assignment if ``user`` is its trainee or coaches them."""
        with self.db.read() as db:
            row = db.get(AssignmentRow, assignment_id)
        if row is None or row.cancelled_at is not None:
            raise NotAllowed("assign_not_found")
        if row.user_name != user.name and not coaches(self.find_user, user, row.user_name):
            raise NotAllowed("assign_not_found")
        return row

    def today(self) -> date:
        """Today's date where the server runs."""
        return self.db.now().astimezone().date()

    # -- internals -----------------------------------------------------------------------------------

    def _add(
        self,
        user: User,
        trainee: str,
        item: CurriculumItem,
        *,
        language: str,
        due_on: date,
        target: float,
        curriculum_id: str | None = None,
    ) -> int:
        spec = (
            item.drill.model_dump(mode="json") if item.drill else item.quiz.model_dump(mode="json") if item.quiz else {}
        )
        with self.db.tx() as db:
            row = AssignmentRow(
                user_name=trainee,
                assigned_by=user.name,
                created_at=self.db.now(),
                due_on=due_on,
                kind=item.kind,
                title=item.title,
                language=language,
                spec=spec,
                target=target,
                curriculum_id=curriculum_id,
                item_id=item.id if curriculum_id else None,
            )
            db.add(row)
            db.flush()
            return int(row.id)

    def _status(self, row: AssignmentRow, sessions: list[DrillSession], rubric: Rubric | None) -> AssignmentStatus:
        since = aware(row.created_at)
        scored: list[tuple[datetime, float]] = []
        attempts = 0
        if row.kind == "drill":
            for session in sessions:
                if session.case_id != row.spec.get("case") or session.source != "drill":
                    continue
                if aware(session.started_at) < since:
                    continue
                attempts += 1
                effective = stored_effective_report(self.db.store, rubric, session.id)
                if effective is not None and effective.report.total is not None:
                    scored.append((aware(session.ended_at or session.started_at), effective.report.total))
        else:
            with self.db.read() as db:
                quizzes = list(
                    db.scalars(
                        select(QuizAttemptRow).where(
                            QuizAttemptRow.assignment_id == row.id, QuizAttemptRow.user_name == row.user_name
                        )
                    )
                )
            attempts = len(quizzes)
            scored = [(aware(q.submitted_at), q.score) for q in quizzes if q.score is not None and q.submitted_at]
        reached = sorted(when for when, score in scored if score >= row.target)
        best = max((score for _, score in scored), default=None)
        state: State = "done" if reached else "in_progress" if attempts else "not_started"
        return AssignmentStatus(
            id=row.id,
            user_name=row.user_name,
            kind=row.kind,
            title=row.title,
            language=row.language,
            spec=dict(row.spec),
            target=row.target,
            due_on=row.due_on,
            assigned_by=row.assigned_by,
            curriculum_id=row.curriculum_id,
            state=state,
            best=best,
            attempts=attempts,
            completed_at=reached[0] if reached else None,
            overdue=state != "done" and self.today() > row.due_on,
        )
