"""One writer per turn, and migrations under a lock: several processes on one database.

Reproduces issue 10: two processes appending to one session both wrote turn 0 (no unique
constraint), and two fresh starts on one database crashed one of them
(``table schema_migrations already exists``). Processes are real (``spawn``) and wait on a
barrier so that they really collide.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import traceback
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from simulator.cli import main
from simulator.migrations import MIGRATIONS
from simulator.models import CustomerState, Turn
from simulator.sqlite_wal import use_wal
from simulator.store import SessionStore, TurnConflict

CONTEXT = multiprocessing.get_context("spawn")


def _open_store(url: str, barrier: Any, results: Any) -> None:
    barrier.wait(30)
    try:
        store = SessionStore(url)
        results.put(("ok", store.schema_version()))
    except Exception as exc:  # reported to the test, which shows it with where it was raised
        results.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-8)}"))


def _append(url: str, session_id: str, expected: int | None, barrier: Any, results: Any, count: int = 1) -> None:
    store = SessionStore(url)
    barrier.wait(30)
    for _ in range(count):
        try:
            index = store.append_turn(
                session_id, Turn(role="agent", text=f"pid {os.getpid()}"), expected_index=expected
            )
            results.put(("ok", index))
        except TurnConflict as exc:
            results.put(("conflict", str(exc)))


def _run(target: Any, args_for: list[tuple[Any, ...]], barrier: Any) -> None:
    workers = [CONTEXT.Process(target=target, args=args) for args in args_for]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0


def _drain(results: Any, n: int) -> list[tuple[str, Any]]:
    return [results.get(timeout=30) for _ in range(n)]


def test_fresh_starts_at_once_on_one_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drill.db'}"
    processes = 4
    barrier, results = CONTEXT.Barrier(processes), CONTEXT.Queue()
    _run(_open_store, [(url, barrier, results)] * processes, barrier)
    outcomes = _drain(results, processes)
    assert outcomes == [("ok", len(MIGRATIONS))] * processes, outcomes


def test_two_writers_of_one_turn_one_wins_the_other_is_told(database_url: str) -> None:
    url = database_url  # SQLite, then PostgreSQL when there is one (tests/database_fixtures.py)
    store = SessionStore(url)
    session_id = store.create_session(user_name="alice", language="zh-CN")
    barrier, results = CONTEXT.Barrier(2), CONTEXT.Queue()
    _run(_append, [(url, session_id, 0, barrier, results)] * 2, barrier)
    outcomes = sorted(_drain(results, 2))
    assert [kind for kind, _ in outcomes] == ["conflict", "ok"]
    assert "turn 0" in outcomes[0][1] and "already" in outcomes[0][1]
    assert [turn.idx for turn in store.get_session(session_id).turns] == [0]


def test_many_appending_processes_never_share_an_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drill.db'}"
    store = SessionStore(url)
    session_id = store.create_session(user_name="alice", language="zh-CN")
    processes, each = 3, 5
    barrier, results = CONTEXT.Barrier(processes), CONTEXT.Queue()
    _run(_append, [(url, session_id, None, barrier, results, each)] * processes, barrier)
    outcomes = _drain(results, processes * each)
    written = sorted(index for kind, index in outcomes if kind == "ok")
    indices = [turn.idx for turn in store.get_session(session_id).turns]
    assert indices == list(range(len(indices))) == written  # contiguous, unique, all accounted for
    assert all(kind in ("ok", "conflict") for kind, _ in outcomes)


def test_append_with_a_stale_index_is_refused_clearly(database_url: str) -> None:
    store = SessionStore(database_url)
    session_id = store.create_session(user_name="alice", language="en")
    assert (
        store.append_turn(
            session_id, Turn(role="customer", text="hi", state=CustomerState(mood=3, goal_met=False)), expected_index=0
        )
        == 0
    )
    with pytest.raises(TurnConflict, match=r"expected to write turn 0 .* already has 1 turn"):
        store.append_turn(session_id, Turn(role="agent", text="hello"), expected_index=0)
    assert store.append_turn(session_id, Turn(role="agent", text="hello"), expected_index=1) == 1


def test_the_migration_renumbers_duplicate_turns_of_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(128), applied_at DATETIME);
        INSERT INTO schema_migrations VALUES (1, '_m1_initial', '2026-01-01'), (2, '_m2_mentor_tables', '2026-01-01');
        CREATE TABLE sessions (id VARCHAR(36) PRIMARY KEY, user_name VARCHAR(64), persona_id VARCHAR(64),
          case_id VARCHAR(96), language VARCHAR(8), archetype VARCHAR(64), scenario TEXT, customer_engine VARCHAR(16),
          seed INTEGER, source VARCHAR(16), status VARCHAR(16), outcome VARCHAR(16), started_at DATETIME,
          ended_at DATETIME, total FLOAT, passed BOOLEAN, note TEXT);
        CREATE TABLE turns (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id VARCHAR(36) REFERENCES sessions(id),
          idx INTEGER, role VARCHAR(16), text TEXT, ts DATETIME, mood INTEGER, goal_met BOOLEAN, outcome VARCHAR(16));
        CREATE TABLE grade_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id VARCHAR(36), created_at DATETIME,
          engine VARCHAR(16), report JSON);
        CREATE TABLE annotations (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id VARCHAR(36), turn_idx INTEGER,
          author VARCHAR(64), text TEXT, created_at DATETIME);
        CREATE TABLE score_overrides (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id VARCHAR(36),
          criterion_id VARCHAR(64), original_score INTEGER, new_score INTEGER, reason TEXT, author VARCHAR(64),
          created_at DATETIME);
        INSERT INTO sessions (id, user_name, language, status, seed, source, customer_engine, started_at)
          VALUES ('s1', 'alice', 'zh-CN', 'open', 0, 'drill', 'offline', '2026-01-01 10:00:00');
        INSERT INTO turns (session_id, idx, role, text, ts) VALUES
          ('s1', 0, 'customer', 'first', '2026-01-01 10:00:00'),
          ('s1', 1, 'agent', 'second (process A)', '2026-01-01 10:00:01'),
          ('s1', 1, 'agent', 'third (process B, same idx)', '2026-01-01 10:00:01'),
          ('s1', 2, 'customer', 'fourth', '2026-01-01 10:00:02');
        """
    )
    old.commit()
    old.close()
    store = SessionStore(f"sqlite:///{path}")
    assert store.schema_version() == len(MIGRATIONS)
    turns = store.get_session("s1").turns
    assert [(t.idx, t.text) for t in turns] == [
        (0, "first"),
        (1, "second (process A)"),
        (2, "third (process B, same idx)"),
        (3, "fourth"),
    ]
    indexes = inspect(create_engine(f"sqlite:///{path}")).get_indexes("turns")
    assert any(index["unique"] and index["column_names"] == ["session_id", "idx"] for index in indexes)


def test_drill_db_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DRILL_DATABASE_URL", url)
    first = CliRunner().invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"schema version {len(MIGRATIONS)}" in first.output and "applied" in first.output
    again = CliRunner().invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0 and "already up to date" in again.output
    monkeypatch.setenv("DRILL_DATABASE_URL", "postgresql+psycopg://drill:secret-pw@127.0.0.1:1/drill")
    down = CliRunner().invoke(main, ["db", "upgrade"])
    assert down.exit_code == 2 and "cannot upgrade" in down.output and "secret-pw" not in down.output


def _postgres_url() -> str | None:
    url = os.environ.get("DRILL_TEST_POSTGRES_URL")
    if not url:
        return None
    try:
        create_engine(url).connect().close()
    except Exception:
        return None
    return url


@pytest.mark.postgres
def test_postgres_fresh_starts_and_appends(tmp_path: Path) -> None:
    url = _postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL server: set DRILL_TEST_POSTGRES_URL to a database this test may fill")
    processes = 3
    barrier, results = CONTEXT.Barrier(processes), CONTEXT.Queue()
    _run(_open_store, [(url, barrier, results)] * processes, barrier)
    assert [kind for kind, _ in _drain(results, processes)] == ["ok"] * processes
    store = SessionStore(url)
    session_id = store.create_session(user_name="alice", language="zh-CN")
    barrier, results = CONTEXT.Barrier(2), CONTEXT.Queue()
    _run(_append, [(url, session_id, 0, barrier, results)] * 2, barrier)
    assert sorted(kind for kind, _ in _drain(results, 2)) == ["conflict", "ok"]


def test_drill_db_upgrade_names_a_missing_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL whose driver is not installed says what to install instead of a traceback."""
    monkeypatch.setenv("DRILL_DATABASE_URL", "mysql+mysqldb://drill:secret-pw@127.0.0.1:1/drill")
    missing = CliRunner().invoke(main, ["db", "upgrade"])
    assert missing.exit_code == 2, missing.output
    assert "is not installed" in missing.output and "MySQLdb" in missing.output
    monkeypatch.setenv("DRILL_DATABASE_URL", "mysql+notadriver://drill:secret-pw@127.0.0.1:1/drill")
    unknown = CliRunner().invoke(main, ["db", "upgrade"])
    assert unknown.exit_code == 2 and "postgresql+psycopg://" in unknown.output, unknown.output


class _BusyCursor:
    """A cursor whose WAL switch meets SQLite's immediate "database is locked" a given number of times."""

    def __init__(self, busy: int, message: str = "database is locked"):
        self.busy, self.message, self.calls = busy, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.busy:
            raise sqlite3.OperationalError(self.message)


def test_the_wal_switch_waits_out_a_simultaneous_switch_and_reports_anything_else() -> None:
    # Processes switching a brand-new file to WAL at the same moment deadlock, and SQLite answers
    # "database is locked" at once without calling the busy handler (about one fresh start in four
    # with four processes): the switch is retried until its wait has passed.
    cursor = _BusyCursor(busy=3)
    use_wal(cursor, wait_s=5)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(_BusyCursor(busy=1000), wait_s=0.05)
    other = _BusyCursor(busy=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        use_wal(other, wait_s=5)
    assert other.calls == 1
