"""Who is grading which session: claims in the database, so no session is graded twice at once.

One row per session in ``grading_jobs`` (created by the store's migration list): its state
(``running``, ``failed`` or ``done``), the worker holding it, when that worker last showed it was
alive, how many attempts were made, and why the last one failed. Every app replica and every
``drill`` process is a *worker* with its own id.

- :func:`claim` takes a session for one worker in a single conditional write: a session nobody
  holds, one whose grading failed, or one whose holder stopped renewing its claim for longer than
  the lease (a replica killed mid-grading). Two workers racing for the same session: exactly one
  wins, on SQLite and on PostgreSQL alike.
- :func:`renew` is the holder's heartbeat (:class:`Heartbeat` runs it in a thread while the model
  is called), so a long grading keeps its claim and a dead worker's claim goes stale quickly.
- :func:`finish` / :func:`fail` record the end; a failure keeps its reason for the trainee and
  the mentor, and the session can be claimed again.
- :func:`pending_sessions` lists ended sessions without a report that nobody holds and that did
  not fail (those wait for a person to ask again): what a crash left ungraded.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from simulator.store import SessionStore
from simulator.store_rows import Base, DrillSession, GradeRow

#: A claim not renewed for this long belongs to a worker that is gone. Long enough that a busy
#: database never loses a live claim; short enough that a crashed grading is retried within minutes.
LEASE = timedelta(seconds=120)
#: How often a worker renews the claims it holds (several renewals fit in one lease).
HEARTBEAT_SECONDS = 30.0

RUNNING, FAILED, DONE = "running", "failed", "done"


class GradingJob(Base):
    """The grading state of one session (absent: never attempted)."""

    __tablename__ = "grading_jobs"

    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    worker: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def new_worker_id() -> str:
    """An id for this process: host, pid and a random part (pids are reused, containers share them)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class JobState:
    """A session's grading state as read from the store."""

    session_id: str
    state: str
    worker: str | None
    attempts: int
    reason: str | None


def claim(
    store: SessionStore,
    session_id: str,
    worker: str,
    *,
    retake: Collection[str] = (FAILED,),
    now: datetime | None = None,
) -> bool:
    """Take ``session_id`` for grading by ``worker``; False when that is not this worker's to do.

    A session never attempted, or one whose holder stopped renewing its claim, can always be
    taken. ``retake`` lists the finished states that may be taken again: ``failed`` for a person
    asking again (the default), ``failed`` and ``done`` for a regrade, nothing for the background
    sweep (so that a sweep working from an older list never redoes what another worker finished).
    """
    moment = now or _now()
    stale = moment - LEASE
    with store.engine.begin() as connection:
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(GradingJob).values(
                        session_id=session_id,
                        state=RUNNING,
                        worker=worker,
                        heartbeat_at=moment,
                        attempts=1,
                        updated_at=moment,
                    )
                )
            return True
        except IntegrityError:
            pass  # a row exists: take it over only if nobody is alive on it
        result = connection.execute(
            update(GradingJob)
            .where(
                GradingJob.session_id == session_id,
                or_(
                    GradingJob.state.in_([state for state in retake if state != RUNNING]),
                    (GradingJob.state == RUNNING) & (GradingJob.heartbeat_at < stale),
                ),
            )
            .values(
                state=RUNNING,
                worker=worker,
                heartbeat_at=moment,
                attempts=GradingJob.attempts + 1,
                reason=None,
                updated_at=moment,
            )
        )
        return bool(result.rowcount)


def renew(store: SessionStore, session_id: str, worker: str, *, now: datetime | None = None) -> bool:
    """Refresh ``worker``'s claim on ``session_id``; False when it no longer holds it."""
    moment = now or _now()
    with store.engine.begin() as connection:
        result = connection.execute(
            update(GradingJob)
            .where(GradingJob.session_id == session_id, GradingJob.worker == worker, GradingJob.state == RUNNING)
            .values(heartbeat_at=moment, updated_at=moment)
        )
        return bool(result.rowcount)


def _close(store: SessionStore, session_id: str, worker: str, state: str, reason: str | None) -> None:
    moment = _now()
    with store.engine.begin() as connection:
        connection.execute(
            update(GradingJob)
            .where(GradingJob.session_id == session_id, GradingJob.worker == worker)
            .values(state=state, reason=reason, heartbeat_at=None, updated_at=moment)
        )


def finish(store: SessionStore, session_id: str, worker: str) -> None:
    """Record that ``worker`` stored a report for ``session_id``."""
    _close(store, session_id, worker, DONE, None)


def fail(store: SessionStore, session_id: str, worker: str, reason: str) -> None:
    """Record that ``worker``'s grading of ``session_id`` failed, and why (it may be claimed again)."""
    _close(store, session_id, worker, FAILED, reason)


def job_state(store: SessionStore, session_id: str) -> JobState | None:
    """The grading state of ``session_id`` (None: never attempted)."""
    with store.engine.connect() as connection:
        row = connection.execute(select(GradingJob).where(GradingJob.session_id == session_id)).first()
    if row is None:
        return None
    job = row._mapping
    return JobState(job["session_id"], job["state"], job["worker"], int(job["attempts"] or 0), job["reason"])


def pending_sessions(store: SessionStore, *, now: datetime | None = None, limit: int = 100) -> list[str]:
    """Ended sessions with no report, no live claim and no recorded failure, oldest first."""
    stale = (now or _now()) - LEASE
    has_report = exists().where(GradeRow.session_id == DrillSession.id)
    live_or_failed = exists().where(
        GradingJob.session_id == DrillSession.id,
        or_(GradingJob.state == FAILED, GradingJob.state == DONE, GradingJob.heartbeat_at >= stale),
    )
    query = (
        select(DrillSession.id)
        .where(DrillSession.status == "ended", ~has_report, ~live_or_failed)
        .order_by(DrillSession.ended_at)
        .limit(limit)
    )
    with store.engine.connect() as connection:
        return [row[0] for row in connection.execute(query)]


class Heartbeat:
    """Renews one claim every ``HEARTBEAT_SECONDS`` in a daemon thread while the block runs."""

    def __init__(self, store: SessionStore, session_id: str, worker: str, *, every_s: float = HEARTBEAT_SECONDS):
        self._store = store
        self._session_id = session_id
        self._worker = worker
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"grading-heartbeat-{session_id[:8]}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            renew(self._store, self._session_id, self._worker)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
