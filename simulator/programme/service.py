"""One entry point to the programme for the app and the CLI: every service over one database."""

from __future__ import annotations

import random

from simulator.accounts import LOCAL, Accounts, User
from simulator.content import Library
from simulator.programme.assessments import Assessments
from simulator.programme.assignments import Assignments
from simulator.programme.db import Clock, ProgrammeDB
from simulator.programme.errors import ProgrammeError
from simulator.programme.models import QuizSpec
from simulator.programme.quiz_attempts import AttemptView
from simulator.programme.ratings import Ratings
from simulator.programme.team_view import Month, TeamView, TeamViews
from simulator.store import SessionStore
from simulator.store_rows import utcnow


class Programme:
    """Quizzes, assessments, assignments, ratings and the team view over one store and the accounts.

    People (roles, teams) come from the accounts; the records from the store's database. In
    single-user mode (no accounts; by default when the accounts store does not exist) the one
    local user holds every role, admin included.
    """

    def __init__(
        self, store: SessionStore, accounts: Accounts, clock: Clock = utcnow, *, single_user: bool | None = None
    ):
        self.db = ProgrammeDB(store, clock)
        self.accounts = accounts
        self.single_user = not accounts.has_accounts() if single_user is None else single_user
        self.assessments = Assessments(self.db, self.find_user)
        self.quizzes = self.assessments.quizzes
        self.assignments = Assignments(self.db, self.find_user)
        self.ratings = Ratings(self.db, self.find_user, self.assessments.exam_session_visible)
        self.teams = TeamViews(self.db, self.assignments, self.ratings)

    def find_user(self, name: str) -> User | None:
        """The account called ``name`` (the local user in single-user mode), or None."""
        if self.single_user:
            return LOCAL if name == LOCAL.name else None
        return self.accounts.get(name)

    def people(self) -> list[User]:
        """Every account (the local user alone in single-user mode)."""
        return [LOCAL] if self.single_user else self.accounts.users()

    def trainees_of(self, user: User) -> list[User]:
        """The trainees ``user`` coaches (an admin: all), by name."""
        return sorted((p for p in self.people() if p.can("trainee") and user.coaches(p)), key=lambda p: p.name)

    def start_assignment_quiz(self, user: User, library: Library, assignment_id: int) -> AttemptView:
        """Start a practice quiz for the user's own quiz assignment."""
        row = self.assignments.get(user, assignment_id)
        if row.user_name != user.name or row.kind != "quiz":
            raise ProgrammeError("assign_not_a_quiz")
        spec = QuizSpec.model_validate(row.spec)
        return self.quizzes.start(
            user, library, language=row.language, spec=spec, assignment_id=row.id, rng=random.Random()
        )

    def team_view(self, user: User, library: Library, month: Month, team: str | None = None) -> TeamView:
        """The month's team view for the trainees ``user`` coaches."""
        return self.teams.build(user, self.people(), library, month, team=team)
