"""Transactions on the session store's database for the programme's tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from simulator.store import SessionStore
from simulator.store_rows import utcnow

Clock = Callable[[], datetime]


class ProgrammeDB:
    """The session store plus a session factory for the programme's tables and a clock.

    The clock is injected so that tests decide what "now" is (timers, due dates, months) instead
    of waiting for it.
    """

    def __init__(self, store: SessionStore, clock: Clock = utcnow):
        self.store = store
        self.clock = clock
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """A transaction, committed on success."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session."""
        with self._sessions() as session:
            yield session

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        return aware(self.clock())


def aware(value: datetime) -> datetime:
    """``value`` with a timezone (SQLite gives naive datetimes back; everything is stored as UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
