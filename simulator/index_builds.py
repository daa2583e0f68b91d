"""Who syncs the case index now: a lease in the database, so replicas sharing one Chroma take turns.

One row per Chroma collection in ``index_builds`` (created by the store's migration list):

- the *holder* (a worker id, as in ``simulator.grading_claims``) and when it last showed it was
  alive: :meth:`IndexBuilds.claim` takes the collection in one conditional write, when nobody
  holds it or its holder stopped renewing for longer than :data:`LEASE` (a replica killed
  mid-build); two replicas racing: exactly one wins, on SQLite and on PostgreSQL alike. No
  transaction stays open during a build, so turns and sign-ins are never held up by one;
- the *fingerprint* of the content the last complete sync brought the collection to, and how many
  cases that was: a replica whose content has the same fingerprint, and whose collection holds
  that many records, knows the index is current without reading every record.

Searches never look at this table: they read the collection as it is, during a build too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Integer, String, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from simulator.grading_claims import new_worker_id
from simulator.store_rows import Base, utcnow

#: A build whose holder has not renewed for this long belongs to a replica that is gone. A first
#: build embeds for over a minute on two cores, renewing after every batch; a renewal is far
#: more frequent than this, and a crashed build is taken over within minutes.
LEASE = timedelta(seconds=300)


class IndexBuild(Base):
    """The sync state of one Chroma collection."""

    __tablename__ = "index_builds"

    collection: Mapped[str] = mapped_column(String(512), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    cases: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class BuildState:
    """What the last complete sync left in a collection (None: never synced)."""

    fingerprint: str | None
    cases: int | None
    holder: str | None


def content_fingerprint(hashes: Iterable[tuple[str, str]]) -> str:
    """One hash over (case id, content hash) pairs, whatever their order."""
    digest = hashlib.sha256()
    for case_id, content_hash in sorted(hashes):
        digest.update(f"{case_id}\0{content_hash}\n".encode())
    return digest.hexdigest()


class IndexBuilds:
    """Claims and results of case-index syncs in ``engine``'s database, for one worker."""

    def __init__(self, engine: Engine, worker: str | None = None):
        self.engine = engine
        self.worker = worker or new_worker_id()
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def state(self, collection: str) -> BuildState:
        """The collection's last complete sync and its current holder."""
        with self._sessions() as db:
            row = db.get(IndexBuild, collection)
            if row is None:
                return BuildState(None, None, None)
            holder = row.holder if row.heartbeat_at is not None and not _expired(row.heartbeat_at) else None
            return BuildState(row.fingerprint, row.cases, holder)

    def claim(self, collection: str) -> bool:
        """Take the collection for this worker; False while another live worker holds it."""
        try:
            with self._sessions.begin() as db:
                if db.get(IndexBuild, collection) is None:
                    db.add(IndexBuild(collection=collection))
        except IntegrityError:
            pass  # another worker created the row at the same moment; the update below decides
        now = utcnow()
        with self._sessions.begin() as db:
            taken = db.execute(
                update(IndexBuild)
                .where(
                    IndexBuild.collection == collection,
                    or_(
                        IndexBuild.holder.is_(None),
                        IndexBuild.holder == self.worker,
                        IndexBuild.heartbeat_at.is_(None),
                        IndexBuild.heartbeat_at < now - LEASE,
                    ),
                )
                .values(holder=self.worker, heartbeat_at=now)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def renew(self, collection: str) -> None:
        """Show that this worker's build is alive (between batches)."""
        with self._sessions.begin() as db:
            db.execute(
                update(IndexBuild)
                .where(IndexBuild.collection == collection, IndexBuild.holder == self.worker)
                .values(heartbeat_at=utcnow())
            )

    def finish(self, collection: str, fingerprint: str, cases: int) -> None:
        """Record a complete sync to ``fingerprint`` and let go of the collection."""
        with self._sessions.begin() as db:
            db.execute(
                update(IndexBuild)
                .where(IndexBuild.collection == collection, IndexBuild.holder == self.worker)
                .values(holder=None, heartbeat_at=None, fingerprint=fingerprint, cases=cases, finished_at=utcnow())
            )

    def release(self, collection: str) -> None:
        """Let go of the collection without recording a result (a failed build)."""
        with self._sessions.begin() as db:
            db.execute(
                update(IndexBuild)
                .where(IndexBuild.collection == collection, IndexBuild.holder == self.worker)
                .values(holder=None, heartbeat_at=None)
            )

    def forget(self, collection: str) -> None:
        """The collection was dropped: its recorded fingerprint no longer describes anything."""
        with self._sessions.begin() as db:
            forgotten = update(IndexBuild).where(IndexBuild.collection == collection)
            db.execute(forgotten.values(fingerprint=None, cases=None))


def _expired(heartbeat: datetime) -> bool:
    aware = heartbeat if heartbeat.tzinfo is not None else heartbeat.replace(tzinfo=UTC)
    return aware < datetime.now(UTC) - LEASE
