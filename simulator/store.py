"""Session store: users' drill sessions, turns, grade reports, mentor annotations and overrides.

SQLAlchemy 2 over SQLite (WAL) by default or any ``DRILL_DATABASE_URL`` (e.g. PostgreSQL). Every
turn is committed as it happens, so a killed server loses nothing and an open session can be
resumed. The tables are in ``simulator.store_rows``; the schema evolves through
``simulator.migrations.MIGRATIONS``, an append-only list recorded in ``schema_migrations``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from simulator.database_engine import create_database_engine
from simulator.errors import DrillError
from simulator.migrations import MIGRATIONS as MIGRATIONS
from simulator.migrations import SCHEMA_MIGRATIONS, migrate, prepare_sqlite_file
from simulator.models import CustomerState, GradeReport, Transcript, Turn
from simulator.sqlite_wal import use_wal
from simulator.store_rows import AnnotationRow, Base, DrillSession, GradeRow, OverrideRow, TurnRow, utcnow


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone columns; they were stored in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class TurnConflict(DrillError):
    """Another writer already wrote this turn of the session; nothing was written."""

    def __init__(self, session_id: str, expected: int, found: int | None):
        self.session_id = session_id
        self.expected = expected
        self.found = found
        now = f"; the session already has {found} turn(s)" if found is not None else ""
        super().__init__(
            f"expected to write turn {expected} of session {session_id}, but another writer (another tab, window "
            f"or server) already wrote it{now}. Reload the drill to continue from what is saved."
        )


#: How long a SQLite connection waits for another writer's lock before "database is locked": long
#: enough for replicas that start at once to migrate one after another, short enough that a stuck
#: writer surfaces as an error.
SQLITE_BUSY_TIMEOUT_S = 30


def _enable_sqlite_wal(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # The wait for another process's lock stays the connection's own (SQLITE_BUSY_TIMEOUT_S).
        use_wal(cursor, SQLITE_BUSY_TIMEOUT_S)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


# ---------------------------------------------------------------------------------------------
# Store


@dataclass(frozen=True)
class DrillVersion:
    """What a replica compares its cached drill with: the stored status and number of turns."""

    status: str
    turns: int


@dataclass(frozen=True)
class SessionFilter:
    """Mentor-view filters; None means no restriction."""

    user_name: str | None = None
    persona_id: str | None = None
    case_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    passed: bool | None = None
    min_total: float | None = None
    max_total: float | None = None
    status: str | None = None


class SessionStore:
    """All persistence for drill sessions. Safe to share across threads."""

    def __init__(self, url: str):
        is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = (
            {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}} if is_sqlite else {}
        )
        prepare_sqlite_file(url)
        # A server database can drop idle connections, so those are pinged before use; a SQLite
        # file cannot, and the ping was about a third of the cost of committing a turn.
        self.engine = create_database_engine(url, pool_pre_ping=not is_sqlite, **kwargs)
        if is_sqlite:
            _enable_sqlite_wal(self.engine)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def schema_version(self) -> int:
        """Highest applied migration version."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.max(SCHEMA_MIGRATIONS.c.version))).scalar() or 0)

    def table_names(self) -> list[str]:
        """Tables present in the database."""
        return sorted(inspect(self.engine).get_table_names())

    # -- sessions and turns -----------------------------------------------------------------

    def create_session(
        self,
        *,
        user_name: str,
        language: str,
        persona_id: str | None = None,
        case_id: str | None = None,
        archetype: str | None = None,
        scenario: str | None = None,
        customer_engine: str = "offline",
        seed: int = 0,
        source: str = "drill",
        persona_hash: str | None = None,
        case_hash: str | None = None,
        grader_version: dict[str, Any] | None = None,
    ) -> str:
        """Create an open session and return its id (with what it is played with: simulator.store_snapshots)."""
        session_id = str(uuid.uuid4())
        with self._tx() as db:
            db.add(
                DrillSession(
                    id=session_id,
                    user_name=user_name,
                    persona_id=persona_id,
                    case_id=case_id,
                    language=language,
                    archetype=archetype,
                    scenario=scenario,
                    customer_engine=customer_engine,
                    seed=seed,
                    source=source,
                    persona_hash=persona_hash,
                    case_hash=case_hash,
                    grader_version=grader_version,
                )
            )
        return session_id

    def append_turn(self, session_id: str, turn: Turn, *, expected_index: int | None = None) -> int:
        """Commit one turn now as the session's next turn; return its index.

        ``expected_index`` is where the caller believes the turn goes (how many turns it has
        seen committed). When another writer got there first — another tab, another server —
        ``TurnConflict`` says so and nothing is written; the database's unique (session, index)
        refuses a second row at one place even when both writers checked at the same moment.
        """
        index = -1
        try:
            with self._tx() as db:
                count = db.scalar(select(func.count()).select_from(TurnRow).where(TurnRow.session_id == session_id))
                index = int(count or 0)
                if expected_index is not None and expected_index != index:
                    raise TurnConflict(session_id, expected_index, index)
                state = turn.state
                db.add(
                    TurnRow(
                        session_id=session_id,
                        idx=index,
                        role=turn.role,
                        text=turn.text,
                        ts=datetime.fromisoformat(turn.ts) if turn.ts else utcnow(),
                        mood=state.mood if state else None,
                        goal_met=state.goal_met if state else None,
                        outcome=state.outcome if state else None,
                    )
                )
                if state is not None and state.outcome is not None:
                    row = db.get(DrillSession, session_id)
                    if row is not None:
                        row.outcome = state.outcome
        except IntegrityError as exc:
            raise TurnConflict(session_id, index, None) from exc
        return index

    def drill_version(self, session_id: str) -> DrillVersion | None:
        """The session's status and stored turn count in one indexed query (None: no such session)."""
        turns = select(func.count()).select_from(TurnRow).where(TurnRow.session_id == session_id).scalar_subquery()
        with self._sessions() as db:
            found = db.execute(select(DrillSession.status, turns).where(DrillSession.id == session_id)).first()
        return None if found is None else DrillVersion(status=found[0], turns=int(found[1] or 0))

    def open_among(self, session_ids: list[str]) -> set[str]:
        """Which of ``session_ids`` are still open (one query)."""
        if not session_ids:
            return set()
        with self._sessions() as db:
            query = select(DrillSession.id).where(DrillSession.id.in_(session_ids), DrillSession.status == "open")
            return set(db.scalars(query))

    def end_session(self, session_id: str, outcome: str | None = None) -> None:
        """Mark a session ended (the customer ended it, or the trainee did: 'abandoned' if unresolved)."""
        with self._tx() as db:
            row = self._get(db, session_id)
            if row.status == "open":
                row.status = "ended"
                row.ended_at = utcnow()
            if outcome and not row.outcome:
                row.outcome = outcome

    def close_idle_sessions(self, idle_for: timedelta, now: datetime | None = None) -> list[str]:
        """Close every open practice drill with no turn for ``idle_for`` as ``abandoned``; return their ids.

        The session and its turns are kept; ``ended_at`` is when it was last active. It can still
        be graded on demand (an abandoned drill is ended, not open).
        """
        cutoff = (now or utcnow()) - idle_for
        closed: list[str] = []
        with self._tx() as db:
            last_turn = (
                select(TurnRow.session_id, func.max(TurnRow.ts).label("last")).group_by(TurnRow.session_id).subquery()
            )
            rows = db.execute(
                select(DrillSession, last_turn.c.last)
                .outerjoin(last_turn, last_turn.c.session_id == DrillSession.id)
                .where(DrillSession.status == "open", DrillSession.source == "drill")
            ).all()
            for row, last in rows:
                active = _aware(last or row.started_at)
                if active < cutoff:
                    row.status = "abandoned"
                    row.ended_at = active
                    closed.append(row.id)
        return closed

    def delete_last_turn_if(self, session_id: str, role: str) -> bool:
        """Remove the last turn when it has ``role`` (used to retract nothing but a failed retry)."""
        with self._tx() as db:
            last = db.scalars(
                select(TurnRow).where(TurnRow.session_id == session_id).order_by(TurnRow.idx.desc()).limit(1)
            ).first()
            if last is None or last.role != role:
                return False
            db.delete(last)
            return True

    def get_session(self, session_id: str) -> DrillSession:
        """Load a session with its turns (KeyError if missing)."""
        with self._sessions() as db:
            row = self._get(db, session_id)
            _ = list(row.turns)
            return row

    def open_session_for(self, user_name: str, source: str | None = None) -> DrillSession | None:
        """The user's most recent open session (of ``source``, e.g. ``drill``), to resume after a restart."""
        with self._sessions() as db:
            query = select(DrillSession).where(DrillSession.user_name == user_name, DrillSession.status == "open")
            if source is not None:
                query = query.where(DrillSession.source == source)
            row = db.scalars(query.order_by(DrillSession.started_at.desc()).limit(1)).first()
            if row is not None:
                _ = list(row.turns)
            return row

    def transcript(self, session_id: str) -> Transcript:
        """The session as a DESIGN.md transcript."""
        row = self.get_session(session_id)
        turns = [
            Turn(
                role=turn.role,  # type: ignore[arg-type]
                text=turn.text,
                ts=_iso(turn.ts),
                state=CustomerState(mood=turn.mood, goal_met=bool(turn.goal_met), outcome=turn.outcome)  # type: ignore[arg-type]
                if turn.role == "customer" and turn.mood is not None
                else None,
            )
            for turn in row.turns
        ]
        return Transcript(
            language=row.language,  # type: ignore[arg-type]
            turns=turns,
            id=row.id,
            persona_id=row.persona_id,
            case_id=row.case_id,
            archetype=row.archetype,
            scenario=row.scenario,
        )

    def import_transcript(self, transcript: Transcript, *, user_name: str) -> str:
        """Store a real chat log (or any transcript) as an ended session; return its id."""
        session_id = self.create_session(
            user_name=user_name,
            language=transcript.language,
            persona_id=transcript.persona_id,
            case_id=transcript.case_id,
            archetype=transcript.archetype,
            scenario=transcript.scenario,
            customer_engine="none",
            source="import",
        )
        for index, turn in enumerate(transcript.turns):
            self.append_turn(session_id, turn, expected_index=index)
        self.end_session(session_id)
        return session_id

    def delete_imported(self, session_id: str) -> None:
        """Delete an imported chat log with its turns, reports, comments and overrides.

        Only sessions imported from a chat log (``source == "import"``) can be deleted: a trainee's
        drill is their record. Raises ``KeyError`` for an unknown id, ``ValueError`` for a drill.
        """
        with self._tx() as db:
            row = self._get(db, session_id)
            if row.source != "import":
                raise ValueError(
                    f"session {session_id} is a drill, not an imported chat log; only imports can be deleted"
                )
            for model in (GradeRow, AnnotationRow, OverrideRow):
                for child in db.scalars(select(model).where(model.session_id == session_id)):
                    db.delete(child)
            for name in ("grading_jobs", "turn_warnings"):  # tables of their own modules
                table = Base.metadata.tables.get(name)
                if table is not None:
                    db.execute(delete(table).where(table.c.session_id == session_id))
            db.delete(row)  # turns go with it (cascade)

    # -- grading -------------------------------------------------------------------------------

    def save_report(self, session_id: str, report: GradeReport) -> None:
        """Store a grade report (the grader's original; overrides are stored apart)."""
        with self._tx() as db:
            row = self._get(db, session_id)
            db.add(GradeRow(session_id=session_id, engine=report.grader.engine, report=report.model_dump(mode="json")))
            row.status = "graded"
            row.ended_at = row.ended_at or utcnow()
            row.total = report.total
            row.passed = report.passed

    def latest_report(self, session_id: str) -> GradeReport | None:
        """The grader's most recent report for a session, as stored (no overrides applied)."""
        with self._sessions() as db:
            row = db.scalars(
                select(GradeRow).where(GradeRow.session_id == session_id).order_by(GradeRow.id.desc()).limit(1)
            ).first()
            return GradeReport.model_validate(row.report) if row else None

    def add_override(
        self, session_id: str, *, criterion_id: str, new_score: int, reason: str, author: str
    ) -> OverrideRow:
        """Record a mentor's score override; the grader's original score is kept alongside."""
        if not 1 <= new_score <= 5:
            raise ValueError(f"override score must be 1-5, got {new_score}")
        if not reason.strip():
            raise ValueError("an override needs a reason (what the grader missed)")
        report = self.latest_report(session_id)
        if report is None:
            raise ValueError("this session has no grade report yet; grade it before overriding")
        original = next((c.score for c in report.criteria if c.id == criterion_id), None)
        if all(c.id != criterion_id for c in report.criteria):
            raise ValueError(f"unknown criterion '{criterion_id}'")
        with self._tx() as db:
            override = OverrideRow(
                session_id=session_id,
                criterion_id=criterion_id,
                original_score=original,
                new_score=new_score,
                reason=reason.strip(),
                author=author,
            )
            db.add(override)
        return override

    def overrides(self, session_id: str) -> list[OverrideRow]:
        """All overrides for a session, oldest first."""
        with self._sessions() as db:
            return list(
                db.scalars(select(OverrideRow).where(OverrideRow.session_id == session_id).order_by(OverrideRow.id))
            )

    def overridden_session_ids(self) -> list[str]:
        """Ids of the sessions with at least one mentor override, in the order of their first override."""
        with self._sessions() as db:
            first = func.min(OverrideRow.id)
            query = select(OverrideRow.session_id, first).group_by(OverrideRow.session_id).order_by(first)
            return [session_id for session_id, _ in db.execute(query)]

    def set_effective_total(self, session_id: str, total: float | None, passed: bool | None) -> None:
        """Update the list-view total after an override (the stored report stays the grader's)."""
        with self._tx() as db:
            row = self._get(db, session_id)
            row.total = total
            row.passed = passed

    # -- annotations -------------------------------------------------------------------------

    def add_annotation(
        self,
        session_id: str,
        *,
        author: str,
        text: str,
        turn_idx: int | None = None,
        visible_to_trainee: bool = True,
    ) -> None:
        """A mentor comment on one turn, or an overall note when ``turn_idx`` is None."""
        if not text.strip():
            raise ValueError("a comment cannot be empty")
        with self._tx() as db:
            row = self._get(db, session_id)
            if turn_idx is not None and not 0 <= turn_idx < len(row.turns):
                raise ValueError(f"turn {turn_idx} does not exist (this session has {len(row.turns)} turns)")
            db.add(
                AnnotationRow(
                    session_id=session_id,
                    turn_idx=turn_idx,
                    author=author,
                    text=text.strip(),
                    visible_to_trainee=visible_to_trainee,
                )
            )

    def annotations(self, session_id: str) -> list[AnnotationRow]:
        """All comments on a session, oldest first."""
        with self._sessions() as db:
            return list(
                db.scalars(
                    select(AnnotationRow).where(AnnotationRow.session_id == session_id).order_by(AnnotationRow.id)
                )
            )

    # -- listing --------------------------------------------------------------------------------

    def list_sessions(self, filters: SessionFilter = SessionFilter(), limit: int = 500) -> list[DrillSession]:
        """Sessions matching ``filters``, newest first."""
        query = select(DrillSession)
        equal = {
            DrillSession.user_name: filters.user_name,
            DrillSession.persona_id: filters.persona_id,
            DrillSession.case_id: filters.case_id,
            DrillSession.status: filters.status,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if filters.since is not None:
            query = query.where(DrillSession.started_at >= filters.since)
        if filters.until is not None:
            query = query.where(DrillSession.started_at <= filters.until)
        if filters.min_total is not None:
            query = query.where(DrillSession.total >= filters.min_total)
        if filters.max_total is not None:
            query = query.where(DrillSession.total <= filters.max_total)
        if filters.passed is not None:
            query = query.where(DrillSession.passed.is_(filters.passed))
        with self._sessions() as db:
            return list(db.scalars(query.order_by(DrillSession.started_at.desc()).limit(limit)))

    def reports_for_user(self, user_name: str) -> list[tuple[DrillSession, GradeReport]]:
        """Graded sessions of one trainee with their latest report, oldest first (for trends)."""
        rows = self.list_sessions(SessionFilter(user_name=user_name, status="graded"))
        result = []
        for row in reversed(rows):
            report = self.latest_report(row.id)
            if report is not None:
                result.append((row, report))
        return result

    @staticmethod
    def _get(db: Session, session_id: str) -> DrillSession:
        row = db.get(DrillSession, session_id)
        if row is None:
            raise KeyError(f"no session with id {session_id}")
        return row


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite drops the zone; everything is stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def dump_json(value: Any) -> str:
    """JSON for storage and export (UTF-8, stable key order)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
