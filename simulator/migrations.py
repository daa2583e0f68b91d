"""Schema migrations of the session store: the append-only ``MIGRATIONS`` list, recorded in ``schema_migrations``.

Each entry gets the next version number; never edit a shipped one. ``migrate`` applies the pending
ones in order under a database-wide lock, so servers starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from simulator.sqlite_wal import use_wal
from simulator.store_rows import AnnotationRow, Base, DrillSession, GradeRow, OverrideRow, TurnRow, utcnow


def _create(connection: Connection, *models: type[Base]) -> None:
    for model in models:
        Base.metadata.tables[model.__tablename__].create(connection, checkfirst=True)


def _m1_initial(connection: Connection) -> None:
    _create(connection, DrillSession, TurnRow, GradeRow)


def _m2_mentor_tables(connection: Connection) -> None:
    _create(connection, AnnotationRow, OverrideRow)


def _m3_grading_jobs(connection: Connection) -> None:
    from simulator import grading_claims  # the table's own module (loaded only when migrating)

    _create(connection, grading_claims.GradingJob)


def _m4_programme_tables(connection: Connection) -> None:
    from simulator.programme.tables import PROGRAMME_TABLES  # registers the tables on Base

    _create(connection, *PROGRAMME_TABLES)


def _m5_turn_warnings(connection: Connection) -> None:
    from simulator import turn_warnings  # the table's own module (loaded only when migrating)

    _create(connection, turn_warnings.TurnWarning)


def _m6_one_row_per_turn(connection: Connection) -> None:
    """Renumber the turns of any session that holds two rows at one index, then make (session, idx) unique.

    Duplicates came from two writers appending at once before the constraint existed; they are
    kept, in the order they were written (row id), and the session's later turns move up.
    """
    rows = connection.execute(
        select(TurnRow.id, TurnRow.session_id, TurnRow.idx).order_by(TurnRow.session_id, TurnRow.idx, TurnRow.id)
    ).all()
    position: dict[str, int] = {}
    for row_id, session_id, idx in rows:
        wanted = position.get(session_id, 0)
        position[session_id] = wanted + 1
        if idx != wanted:
            connection.execute(update(TurnRow).where(TurnRow.id == row_id).values(idx=wanted))
    for index in Base.metadata.tables[TurnRow.__tablename__].indexes:
        index.create(connection, checkfirst=True)


def _m7_accounts(connection: Connection) -> None:
    """Accounts move into the database (``accounts``, ``accounts_setup``); a users file is imported on first use."""
    from simulator.account_table import ACCOUNT_TABLES  # the tables' own module (loaded only when migrating)

    _create(connection, *ACCOUNT_TABLES)


def _m8_index_builds(connection: Connection) -> None:
    """Replicas on one Chroma server take turns syncing the case index (a lease per collection)."""
    from simulator import index_builds  # the table's own module (loaded only when migrating)

    _create(connection, index_builds.IndexBuild)


def _m9_comment_visibility(connection: Connection) -> None:
    """Mentor comments gain ``visible_to_trainee``; earlier comments stay private (they were written
    when no trainee could read them)."""
    columns = {column["name"] for column in inspect(connection).get_columns(AnnotationRow.__tablename__)}
    if "visible_to_trainee" not in columns:
        connection.execute(text("ALTER TABLE annotations ADD COLUMN visible_to_trainee BOOLEAN NOT NULL DEFAULT FALSE"))


def _m10_session_snapshots(connection: Connection) -> None:
    """Sessions record what they were played with: ``content_snapshots`` (persona and case bodies by
    content hash) and, on ``sessions``, ``persona_hash``, ``case_hash`` and ``grader_version``. Earlier
    sessions keep NULLs: they are read with the current content, and say so (docs/store.md)."""
    from simulator import store_snapshots  # the table's own module (loaded only when migrating)

    _create(connection, store_snapshots.ContentSnapshotRow)
    columns = {column["name"] for column in inspect(connection).get_columns(DrillSession.__tablename__)}
    for name, kind in (("persona_hash", "VARCHAR(64)"), ("case_hash", "VARCHAR(64)"), ("grader_version", "JSON")):
        if name not in columns:
            connection.execute(text(f"ALTER TABLE sessions ADD COLUMN {name} {kind}"))


def _m11_sign_in_tokens(connection: Connection) -> None:
    """Sign-ins move into the database (``sign_in_tokens``): any replica accepts a sign-in made on another."""
    from simulator.sign_in_tokens import SignInTokenRow  # the table's own module (loaded only when migrating)

    _create(connection, SignInTokenRow)


MIGRATIONS: list[Callable[[Connection], None]] = [
    _m1_initial,
    _m2_mentor_tables,
    _m3_grading_jobs,
    _m4_programme_tables,
    _m5_turn_warnings,
    _m6_one_row_per_turn,
    _m7_accounts,
    _m8_index_builds,
    _m9_comment_visibility,
    _m10_session_snapshots,
    _m11_sign_in_tokens,
]

_migrations_table = MetaData()

SCHEMA_MIGRATIONS = Table(
    "schema_migrations",
    _migrations_table,
    Column("version", Integer, primary_key=True),
    Column("name", String(128)),
    Column("applied_at", DateTime(timezone=True)),
)


#: How long a process waits for another one's migration of the same SQLite file before giving up.
MIGRATION_LOCK_WAIT_S = 120

#: Key of the PostgreSQL advisory lock held while migrating ("drill" in ASCII).
MIGRATION_LOCK_KEY = 0x6472696C6C


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds the database's migration lock until it commits.

    SQLite: ``BEGIN EXCLUSIVE`` on a connection of its own (Python's sqlite3 would otherwise open
    the transaction lazily, after the check of what is applied). PostgreSQL: a transaction-scoped
    advisory lock. Another process migrating at the same time waits, then finds nothing to do.
    """
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        locking = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": MIGRATION_LOCK_WAIT_S})

        @event.listens_for(locking, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are opened below, explicitly
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={MIGRATION_LOCK_WAIT_S * 1000}")
            use_wal(cursor, MIGRATION_LOCK_WAIT_S)
            cursor.close()

        @event.listens_for(locking, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN EXCLUSIVE")

        try:
            with locking.begin() as connection:
                yield connection
        finally:
            locking.dispose()
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        yield connection


def prepare_sqlite_file(url: str) -> None:
    """Create the folder of a SQLite database file (SQLite creates the file, not its folder)."""
    if url.startswith("sqlite") and ":///" in url and not url.endswith(":memory:"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def migrate(engine: Engine) -> list[int]:
    """Apply pending migrations in order, under the migration lock; return the versions applied now."""
    applied_now: list[int] = []
    with _migration_transaction(engine) as connection:
        SCHEMA_MIGRATIONS.create(connection, checkfirst=True)
        done = {row[0] for row in connection.execute(select(SCHEMA_MIGRATIONS.c.version))}
        for version, migration in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            migration(connection)
            connection.execute(
                SCHEMA_MIGRATIONS.insert().values(version=version, name=migration.__name__, applied_at=utcnow())
            )
            applied_now.append(version)
    return applied_now
