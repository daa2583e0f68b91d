"""The session store's tables: drill sessions, turns, grade reports, mentor annotations and overrides.

Every table of drill lives on this module's ``Base`` (domain modules add theirs); ``simulator.migrations``
creates and evolves them, and ``simulator.store.SessionStore`` reads and writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware current time (stored as UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData()


class DrillSession(Base):
    """One drill (or an imported real chat log) by one trainee."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    persona_id: Mapped[str | None] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(String(96), index=True)
    language: Mapped[str] = mapped_column(String(8))
    archetype: Mapped[str | None] = mapped_column(String(64))
    scenario: Mapped[str | None] = mapped_column(Text)
    customer_engine: Mapped[str] = mapped_column(String(16), default="offline")
    seed: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="drill")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    #: sha256 of the persona and case snapshots this session was played with (``content_snapshots``);
    #: None for sessions stored before snapshots existed (migration 10) and for chat logs without them.
    persona_hash: Mapped[str | None] = mapped_column(String(64))
    case_hash: Mapped[str | None] = mapped_column(String(64))
    #: The grader in force when the session started (rubric hash, weights, recogniser, engine).
    grader_version: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    turns: Mapped[list[TurnRow]] = relationship(order_by="TurnRow.idx", cascade="all, delete-orphan")


class TurnRow(Base):
    __tablename__ = "turns"
    #: One writer per turn: a second row for the same place in a session is refused by the database.
    __table_args__ = (Index("uq_turns_session_idx", "session_id", "idx", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    mood: Mapped[int | None] = mapped_column(Integer)
    goal_met: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(16))


class GradeRow(Base):
    __tablename__ = "grade_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    engine: Mapped[str] = mapped_column(String(16))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)


class AnnotationRow(Base):
    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    turn_idx: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Shown to the trainee in their own history (a mentor may keep a comment private). Comments
    #: written before the trainee could see any stay private (the migration's default).
    visible_to_trainee: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())


class OverrideRow(Base):
    __tablename__ = "score_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(64))
    original_score: Mapped[int | None] = mapped_column(Integer)
    new_score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
