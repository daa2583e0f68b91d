"""What a model got wrong in a customer turn, stored with the turn for mentors and evals.

The LLM customer corrects its model's replies (a state line removed, an ending the state did not
allow) and says so in ``CustomerReply.warnings``. They are not part of the transcript contract
(DESIGN.md's transcript JSON has no place for them), so they live in their own table, one row per
warning, keyed by session and turn index, and the mentor's replay shows them on the turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from simulator.store import SessionStore
from simulator.store_rows import Base, utcnow

#: One warning's text is cut to this many characters (they quote model output, which is bounded
#: by the reply cap anyway; this keeps one row small).
WARNING_CHARS = 500


class TurnWarning(Base):
    """One warning about one turn."""

    __tablename__ = "turn_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    turn_idx: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def add_warnings(store: SessionStore, session_id: str, turn_idx: int, warnings: Sequence[str]) -> None:
    """Store ``warnings`` for turn ``turn_idx`` of ``session_id`` (nothing for an empty list)."""
    if not warnings:
        return
    rows = [
        {"session_id": session_id, "turn_idx": turn_idx, "text": text[:WARNING_CHARS], "created_at": utcnow()}
        for text in warnings
    ]
    with store.engine.begin() as connection:
        connection.execute(insert(TurnWarning), rows)


def warnings_for(store: SessionStore, session_id: str) -> dict[int, list[str]]:
    """The stored warnings of ``session_id`` by turn index, in the order they were stored."""
    query = (
        select(TurnWarning.turn_idx, TurnWarning.text)
        .where(TurnWarning.session_id == session_id)
        .order_by(TurnWarning.id)
    )
    found: dict[int, list[str]] = {}
    with store.engine.connect() as connection:
        for turn_idx, text in connection.execute(query):
            found.setdefault(int(turn_idx), []).append(str(text))
    return found
