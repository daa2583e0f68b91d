"""Quiz attempts on the server: start, answer, submit, and what each person may see of them.

A **practice** quiz explains each answer as soon as it is given (the answer is then locked, so
the score is the first try). An **exam** is timed and closed: the deadline is set on the server
when the exam starts, answers are saved on the server as the trainee goes, nothing after the
deadline is accepted, and an exam left open past its deadline is marked with the answers saved
before it. Until an exam is submitted its questions leave the server without answers or
explanations; after that the trainee sees them when the assessment's settings say so.

Every function takes the signed-in user: a trainee acts on their own attempts only; a mentor
who coaches the trainee's team (or an admin) may look at them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from simulator.accounts import User
from simulator.content import Library
from simulator.programme import quiz
from simulator.programme.db import ProgrammeDB, aware
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.models import Question, QuizSpec
from simulator.programme.tables import QuizAttemptRow

Mode = Literal["practice", "exam"]
#: Decides whether ``viewer`` may see the answer key of a submitted exam (the assessment knows).
ReviewRule = Callable[[QuizAttemptRow, User], bool]
#: Looks a user up by name (the accounts), to check a mentor's teams.
FindUser = Callable[[str], User | None]


@dataclass(frozen=True)
class QuestionView:
    """One question as shown to the viewer; ``answer`` and ``explanation`` only when allowed."""

    number: int
    question: dict[str, Any]
    given: list[str]
    answer: list[str] | None = None
    explanation: str | None = None
    correct: bool | None = None


@dataclass(frozen=True)
class AttemptView:
    """A quiz attempt as the viewer may see it."""

    id: str
    user_name: str
    mode: Mode
    language: str
    status: str
    questions: list[QuestionView]
    started_at: datetime
    deadline_at: datetime | None
    seconds_left: int | None
    score: float | None
    correct: int | None
    total: int
    reviewed: bool
    assignment_id: int | None = None
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        """How many questions have an answer saved."""
        return sum(1 for question in self.questions if question.given)


class QuizAttempts:
    """Practice quizzes and exams of every trainee."""

    def __init__(self, db: ProgrammeDB, find_user: FindUser, review_rule: ReviewRule | None = None):
        self.db = db
        self.find_user = find_user
        # Without an assessment to ask, a submitted exam is reviewable at once.
        self.review_rule: ReviewRule = review_rule or (lambda row, viewer: True)

    # -- starting -------------------------------------------------------------------------------

    def start(
        self,
        user: User,
        library: Library,
        *,
        language: str,
        spec: QuizSpec,
        mode: Mode = "practice",
        minutes: int | None = None,
        assignment_id: int | None = None,
        rng: random.Random | None = None,
    ) -> AttemptView:
        """Draw the questions and open an attempt for ``user`` (a trainee).

        An exam needs ``minutes``; its deadline is fixed now. Raises ``ProgrammeError`` when the
        bank cannot fill the quiz.
        """
        if not user.can("trainee"):
            raise NotAllowed("quiz_trainees_only")
        if mode == "exam" and not minutes:
            raise ValueError("an exam needs a time limit in minutes")
        drawn = quiz.draw(list(library.questions.values()), language, spec, rng or random.Random())
        now = self.db.now()
        row = QuizAttemptRow(
            id=str(uuid.uuid4()),
            user_name=user.name,
            mode=mode,
            language=language,
            spec=spec.model_dump(mode="json"),
            questions=[question.model_dump(mode="json") for question in drawn],
            answers={},
            checked=[],
            assignment_id=assignment_id,
            started_at=now,
            deadline_at=now + timedelta(minutes=minutes) if mode == "exam" and minutes else None,
            status="open",
        )
        with self.db.tx() as db:
            db.add(row)
        return self._view(row, user)

    # -- answering ------------------------------------------------------------------------------

    def answer(self, user: User, attempt_id: str, question_id: str, raw: Any) -> AttemptView:
        """Save the owner's answer to one question.

        In practice the answer is checked and explained at once and cannot change afterwards; in
        an exam it may change until submission. After the deadline nothing is saved: the exam is
        closed with the answers saved before it and ``ProgrammeError('quiz_time_up')`` is raised.
        """
        self._expire_if_due(attempt_id)
        with self.db.tx() as db:
            row = self._own_open(db, user, attempt_id)
            question = _question(row, question_id)
            given = quiz.read_answer(question, raw)
            if row.mode == "practice" and question_id in (row.checked or []):
                raise ProgrammeError("quiz_already_checked")
            row.answers = {**(row.answers or {}), question_id: given}
            if row.mode == "practice" and given:
                row.checked = [*(row.checked or []), question_id]
        return self.view(user, attempt_id)

    def submit(self, user: User, attempt_id: str, answers: Mapping[str, Any] | None = None) -> AttemptView:
        """Save any last ``answers`` (question id → answer), mark the attempt and return it.

        Submitting an exam after its deadline keeps only the answers saved before it.
        """
        self._expire_if_due(attempt_id)
        with self.db.tx() as db:
            row = self._own(db, user, attempt_id)
            if row.status == "expired":
                return self._view(row, user)  # marked at the deadline with the answers saved before it
            if row.status != "open":
                raise ProgrammeError("quiz_closed")
            late = self._past_deadline(row)
            if answers and not late:
                saved = dict(row.answers or {})
                for question_id, raw in answers.items():
                    question = _question(row, question_id)
                    if row.mode == "practice" and question_id in (row.checked or []):
                        continue  # a practice answer is locked once explained
                    saved[question_id] = quiz.read_answer(question, raw)
                row.answers = saved
            self._mark(row, "expired" if late else "submitted")
        return self.view(user, attempt_id)

    # -- reading ----------------------------------------------------------------------------------

    def view(self, user: User, attempt_id: str) -> AttemptView:
        """The attempt as ``user`` may see it (an exam past its deadline is marked first)."""
        self._expire_if_due(attempt_id)
        row = self.row(attempt_id)
        if row is None or not self._may_see(user, row):
            raise NotAllowed("quiz_not_found")
        return self._view(row, user)

    def for_user(self, user: User, user_name: str, *, mode: Mode | None = None) -> list[AttemptView]:
        """Attempts of ``user_name`` that ``user`` may see, newest first (open exams past due are marked)."""
        with self.db.read() as db:
            query = db.query(QuizAttemptRow).filter(QuizAttemptRow.user_name == user_name)
            if mode is not None:
                query = query.filter(QuizAttemptRow.mode == mode)
            ids = [row.id for row in query.order_by(QuizAttemptRow.started_at.desc())]
        return [self.view(user, attempt_id) for attempt_id in ids if self._may_see_id(user, attempt_id)]

    def open_attempt(self, user: User, *, mode: Mode, assigned: bool) -> str | None:
        """The id of ``user``'s own latest open attempt of ``mode`` (an assignment's or not), or None.

        An open exam past its deadline still counts: viewing it marks it (time up).
        """
        with self.db.read() as db:
            query = db.query(QuizAttemptRow.id).filter(
                QuizAttemptRow.user_name == user.name, QuizAttemptRow.mode == mode, QuizAttemptRow.status == "open"
            )
            linked = QuizAttemptRow.assignment_id
            query = query.filter(linked.is_not(None) if assigned else linked.is_(None))
            found = query.order_by(QuizAttemptRow.started_at.desc()).first()
        return found[0] if found is not None else None

    def row(self, attempt_id: str) -> QuizAttemptRow | None:
        """The stored attempt, unchecked (for code that has checked access itself)."""
        with self.db.read() as db:
            return db.get(QuizAttemptRow, attempt_id)

    def current_row(self, attempt_id: str) -> QuizAttemptRow | None:
        """The stored attempt after marking it if its deadline has passed (unchecked, like :meth:`row`)."""
        self._expire_if_due(attempt_id)
        return self.row(attempt_id)

    # -- internals --------------------------------------------------------------------------------

    def _may_see_id(self, user: User, attempt_id: str) -> bool:
        row = self.row(attempt_id)
        return row is not None and self._may_see(user, row)

    def _may_see(self, user: User, row: QuizAttemptRow) -> bool:
        if row.user_name == user.name:
            return True
        owner = self.find_user(row.user_name)
        return owner is not None and user.coaches(owner)

    def _own(self, db: Any, user: User, attempt_id: str) -> QuizAttemptRow:
        row = db.get(QuizAttemptRow, attempt_id)
        if row is None or row.user_name != user.name:
            raise NotAllowed("quiz_not_found")
        return row

    def _own_open(self, db: Any, user: User, attempt_id: str) -> QuizAttemptRow:
        row = self._own(db, user, attempt_id)
        # The deadline is checked again here: it may pass between the expiry check and this write.
        if row.status == "expired" or (row.status == "open" and self._past_deadline(row)):
            raise ProgrammeError("quiz_time_up", deadline=_clock_time(row.deadline_at))
        if row.status != "open":
            raise ProgrammeError("quiz_closed")
        return row

    def _expire_if_due(self, attempt_id: str) -> None:
        """Mark an open exam whose deadline has passed, with the answers saved before it."""
        with self.db.tx() as db:
            row = db.get(QuizAttemptRow, attempt_id)
            if row is not None and row.status == "open" and self._past_deadline(row):
                self._mark(row, "expired")

    def _past_deadline(self, row: QuizAttemptRow) -> bool:
        return row.deadline_at is not None and self.db.now() > aware(row.deadline_at)

    def _mark(self, row: QuizAttemptRow, status: str) -> None:
        questions = _questions(row)
        marked = quiz.score(questions, row.answers or {})
        row.status = status
        row.submitted_at = self.db.now()
        row.score = marked.score
        row.correct = marked.correct

    def _view(self, row: QuizAttemptRow, viewer: User) -> AttemptView:
        questions = _questions(row)
        answers: dict[str, list[str]] = row.answers or {}
        reviewed = row.status != "open" and (row.mode == "practice" or self._reviewable(row, viewer))
        views = []
        for number, question in enumerate(questions, start=1):
            given = answers.get(question.id, [])
            explained = reviewed or (row.mode == "practice" and question.id in (row.checked or []))
            views.append(
                QuestionView(
                    number=number,
                    question=quiz.public_question(question),
                    given=given,
                    answer=sorted(question.correct_keys()) if explained else None,
                    explanation=question.explanation if explained else None,
                    correct=quiz.is_correct(question, given) if explained else None,
                )
            )
        left = None
        if row.status == "open" and row.deadline_at is not None:
            left = max(0, int((aware(row.deadline_at) - self.db.now()).total_seconds()))
        return AttemptView(
            id=row.id,
            user_name=row.user_name,
            mode=row.mode,  # type: ignore[arg-type]
            language=row.language,
            status=row.status,
            questions=views,
            started_at=aware(row.started_at),
            deadline_at=aware(row.deadline_at) if row.deadline_at else None,
            seconds_left=left,
            score=row.score if row.status != "open" else None,
            correct=row.correct if row.status != "open" else None,
            total=len(questions),
            reviewed=reviewed,
            assignment_id=row.assignment_id,
            spec=dict(row.spec or {}),
        )

    def _reviewable(self, row: QuizAttemptRow, viewer: User) -> bool:
        if viewer.name != row.user_name:
            return True  # a coach of the trainee sees the key
        return self.review_rule(row, viewer)


def _questions(row: QuizAttemptRow) -> list[Question]:
    return [Question.model_validate(data) for data in row.questions]


def _question(row: QuizAttemptRow, question_id: str) -> Question:
    for data in row.questions:
        if data.get("id") == question_id:
            return Question.model_validate(data)
    raise ProgrammeError("quiz_unknown_question", question=question_id)


def _clock_time(value: datetime | None) -> str:
    return aware(value).astimezone().strftime("%H:%M:%S") if value else ""
