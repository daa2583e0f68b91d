"""Feedback on the feedback: trainees rate their scorecards; mentors read the ratings.

After a scorecard the trainee may say whether it was fair and whether it was useful (1-5 each)
and leave a comment. One rating per session and trainee (rating again replaces it). Mentors see
the ratings of the teams they coach, per session and together; ``drill eval feedback`` compares
them with mentor overrides (:mod:`simulator.programme.feedback_eval`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from simulator import limits
from simulator.accounts import User
from simulator.programme.coaching import coaches
from simulator.programme.db import ProgrammeDB, aware
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.quiz_attempts import FindUser
from simulator.programme.results import mean
from simulator.programme.tables import RatingRow
from simulator.store_rows import DrillSession

#: May this user see that exam session's scorecard yet? (the assessment decides)
ExamVisible = Callable[[User, DrillSession], bool]


@dataclass(frozen=True)
class Rating:
    """One trainee's rating of one scorecard."""

    session_id: str
    user_name: str
    fair: int
    useful: int
    comment: str
    rated_at: datetime


@dataclass(frozen=True)
class RatingSummary:
    """Ratings taken together; means are None without ratings."""

    count: int
    mean_fair: float | None
    mean_useful: float | None
    found_unfair: int


def summarise(ratings: Sequence[Rating], low_fairness_at_most: int) -> RatingSummary:
    """Count, mean fairness and usefulness, and how many found their scorecard unfair."""
    return RatingSummary(
        count=len(ratings),
        mean_fair=_round(mean([r.fair for r in ratings])),
        mean_useful=_round(mean([r.useful for r in ratings])),
        found_unfair=sum(1 for r in ratings if r.fair <= low_fairness_at_most),
    )


class Ratings:
    """Storing and reading scorecard ratings."""

    def __init__(self, db: ProgrammeDB, find_user: FindUser, exam_visible: ExamVisible):
        self.db = db
        self.find_user = find_user
        self.exam_visible = exam_visible

    def rate(self, user: User, session_id: str, *, fair: int, useful: int, comment: str = "") -> Rating:
        """Record (or replace) ``user``'s rating of the scorecard of their own graded session."""
        session = self._session(session_id)
        if session is None or session.user_name != user.name:
            raise NotAllowed("rating_no_session")
        if session.status != "graded" or (session.source == "exam" and not self.exam_visible(user, session)):
            raise ProgrammeError("rating_not_graded")
        for name, value in (("fair", fair), ("useful", useful)):
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ProgrammeError("rating_range", name=name, value=value)
        text = (comment or "").strip()
        if len(text) > limits.COMMENT_CHARS.value:
            raise ProgrammeError("rating_comment_long", length=len(text), limit=limits.COMMENT_CHARS.value)
        now = self.db.now()
        with self.db.tx() as db:
            row = db.scalars(
                select(RatingRow).where(RatingRow.session_id == session_id, RatingRow.user_name == user.name)
            ).first()
            if row is None:
                row = RatingRow(session_id=session_id, user_name=user.name, created_at=now)
                db.add(row)
            row.fair, row.useful, row.comment, row.updated_at = fair, useful, text, now
        return Rating(session_id, user.name, fair, useful, text, now)

    def of_session(self, user: User, session_id: str) -> Rating | None:
        """The rating of a session, for its trainee or a coach of theirs."""
        session = self._session(session_id)
        if session is None or (session.user_name != user.name and not coaches(self.find_user, user, session.user_name)):
            raise NotAllowed("rating_no_session")
        with self.db.read() as db:
            row = db.scalars(select(RatingRow).where(RatingRow.session_id == session_id)).first()
        return _rating(row) if row else None

    def for_trainees(
        self, user: User, trainees: Sequence[str], *, since: datetime | None = None, until: datetime | None = None
    ) -> list[Rating]:
        """Ratings by ``trainees`` that ``user`` coaches, newest first (``since``/``until``: rating time)."""
        names = [name for name in trainees if coaches(self.find_user, user, name)]
        if not names:
            return []
        with self.db.read() as db:
            query = select(RatingRow).where(RatingRow.user_name.in_(names))
            if since is not None:
                query = query.where(RatingRow.updated_at >= since)
            if until is not None:
                query = query.where(RatingRow.updated_at < until)
            rows = list(db.scalars(query.order_by(RatingRow.updated_at.desc())))
        return [_rating(row) for row in rows]

    def all(self) -> list[Rating]:
        """Every rating (for the evaluation, which runs with access to the whole database)."""
        with self.db.read() as db:
            return [_rating(row) for row in db.scalars(select(RatingRow).order_by(RatingRow.id))]

    def _session(self, session_id: str) -> DrillSession | None:
        try:
            return self.db.store.get_session(session_id)
        except KeyError:
            return None


def _rating(row: RatingRow) -> Rating:
    return Rating(row.session_id, row.user_name, row.fair, row.useful, row.comment, aware(row.updated_at))


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
