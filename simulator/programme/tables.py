"""The programme's tables, on the session store's ``Base`` (created by migration 4 in ``simulator.migrations``).

- ``quiz_attempts``: one practice quiz or theory exam; the questions are copied in when drawn, so
  later edits to the bank never change an attempt's scoring or review;
- ``assessments``, ``assessment_candidates``, ``assessment_attempts``, ``assessment_items``: an
  assessment, each trainee in it, each attempt at a part (the first and any resit, all kept) and
  the cards and real chats of a practical attempt;
- ``assignments``: a drill or quiz assigned to a trainee with a due date and a target;
- ``scorecard_ratings``: a trainee's rating of their scorecard (fair? useful?).

Teams and roles are not here: they belong to the accounts (``simulator.accounts``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simulator.store_rows import Base, utcnow


class QuizAttemptRow(Base):
    """A practice quiz or a theory exam taken by one trainee."""

    __tablename__ = "quiz_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    mode: Mapped[str] = mapped_column(String(16))  # practice | exam
    language: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # tags, difficulty, count as drawn
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # full questions, answers included
    answers: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    checked: Mapped[list[str]] = mapped_column(JSON, default=list)  # practice: answers locked and explained
    assignment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | submitted | expired
    score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[int | None] = mapped_column(Integer)


class AssessmentRow(Base):
    """An assessment created by a mentor: its settings are copied in, so later policy edits don't move it."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class CandidateRow(Base):
    """One trainee in an assessment; ``result`` is frozen when the mentor closes it."""

    __tablename__ = "assessment_candidates"
    __table_args__ = (UniqueConstraint("assessment_id", "user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AttemptRow(Base):
    """One attempt at one part (theory or practical): number 1, then 2 for a resit."""

    __tablename__ = "assessment_attempts"
    __table_args__ = (UniqueConstraint("candidate_id", "part", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("assessment_candidates.id"), index=True)
    part: Mapped[str] = mapped_column(String(16))  # theory | practical
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    quiz_attempt_id: Mapped[str | None] = mapped_column(ForeignKey("quiz_attempts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set when its result was frozen
    score: Mapped[float | None] = mapped_column(Float)  # frozen at close
    passed: Mapped[bool | None] = mapped_column(Boolean)  # frozen at close: met its own pass mark


class AttemptItemRow(Base):
    """A scenario card drawn for a practical attempt, or a real chat scored in it."""

    __tablename__ = "assessment_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("assessment_attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # card | real_chat
    position: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[str | None] = mapped_column(String(96))
    persona_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), index=True)


class AssignmentRow(Base):
    """A drill or a quiz assigned to a trainee, alone or as part of a curriculum."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # drill | quiz
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # {case, persona} or {tags, difficulty, questions}
    target: Mapped[float] = mapped_column(Float)
    curriculum_id: Mapped[str | None] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RatingRow(Base):
    """A trainee's rating of the scorecard of one of their sessions (the latest rating counts)."""

    __tablename__ = "scorecard_ratings"
    __table_args__ = (UniqueConstraint("session_id", "user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    fair: Mapped[int] = mapped_column(Integer)
    useful: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: Every table of the programme, in creation order (foreign keys first).
PROGRAMME_TABLES: tuple[type[Base], ...] = (
    QuizAttemptRow,
    AssessmentRow,
    CandidateRow,
    AttemptRow,
    AttemptItemRow,
    AssignmentRow,
    RatingRow,
)
