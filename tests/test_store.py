"""Session store: migrations, turn-by-turn durability, overrides, annotations, filters, threads."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from simulator.migrations import MIGRATIONS
from simulator.models import CriterionScore, CustomerState, GradeReport, GraderInfo, Transcript, Turn
from simulator.store import SessionFilter, SessionStore


@pytest.fixture
def store(database_url: str) -> SessionStore:
    """A store on a fresh database: SQLite, then PostgreSQL when there is one (tests/database_fixtures.py)."""
    return SessionStore(database_url)


def report(total: float | None, scores: dict[str, int | None]) -> GradeReport:
    return GradeReport(
        total=total,
        passed=None if total is None else total >= 80,
        complete=total is not None,
        pass_mark=80,
        criteria=[CriterionScore(id=cid, score=score) for cid, score in scores.items()],
        grader=GraderInfo(engine="offline", rubric_version="t"),
        language="zh-CN",
    )


def test_migrations_are_versioned_and_idempotent(database_url: str) -> None:
    url = database_url
    first = SessionStore(url)
    assert first.schema_version() == len(MIGRATIONS)
    assert {"sessions", "turns", "grade_reports", "annotations", "score_overrides", "accounts"} <= set(
        first.table_names()
    )
    again = SessionStore(url)
    assert again.schema_version() == len(MIGRATIONS)


def test_wal_mode_is_on(store: SessionStore) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's journal mode")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_turns_round_trip_as_transcript(store: SessionStore) -> None:
    sid = store.create_session(user_name="ann", language="zh-CN", persona_id="p", case_id="c", archetype="rational")
    store.append_turn(sid, Turn(role="customer", text="我的货呢?", state=CustomerState(mood=6, goal_met=False)))
    store.append_turn(sid, Turn(role="agent", text="您好,我帮您查。"))
    store.append_turn(
        sid, Turn(role="customer", text="好的,谢谢", state=CustomerState(mood=2, goal_met=True, outcome="resolved"))
    )
    transcript = store.transcript(sid)
    assert [t.role for t in transcript.turns] == ["customer", "agent", "customer"]
    assert transcript.turns[0].state == CustomerState(mood=6, goal_met=False)
    assert transcript.turns[1].state is None
    assert transcript.turns[2].state is not None and transcript.turns[2].state.outcome == "resolved"
    assert store.get_session(sid).outcome == "resolved"
    Transcript.model_validate_json(transcript.model_dump_json())


def test_open_session_survives_a_killed_process(database_url: str) -> None:
    """A separate process writes turns and is killed without any shutdown; nothing is lost."""
    url = database_url
    script = (
        "import os, sys\n"
        "from simulator.store import SessionStore\n"
        "from simulator.models import Turn\n"
        f"store = SessionStore({url!r})\n"
        "sid = store.create_session(user_name='bob', language='en')\n"
        "store.append_turn(sid, Turn(role='customer', text='Where is my parcel?'))\n"
        "store.append_turn(sid, Turn(role='agent', text='Let me check that for you.'))\n"
        "print(sid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9
    sid = result.stdout.strip()
    reopened = SessionStore(url)
    resumed = reopened.open_session_for("bob")
    assert resumed is not None and resumed.id == sid
    assert [t.text for t in resumed.turns] == ["Where is my parcel?", "Let me check that for you."]


def test_override_keeps_the_graders_original(store: SessionStore) -> None:
    sid = store.create_session(user_name="ann", language="zh-CN")
    store.save_report(sid, report(70.0, {"problem_solving": 3, "compliance": 4}))
    store.add_override(sid, criterion_id="problem_solving", new_score=4, reason="offered resend", author="mia")
    (override,) = store.overrides(sid)
    assert (override.original_score, override.new_score, override.author) == (3, 4, "mia")
    latest = store.latest_report(sid)
    assert latest is not None and latest.criteria[0].score == 3
    with pytest.raises(ValueError, match="needs a reason"):
        store.add_override(sid, criterion_id="compliance", new_score=5, reason=" ", author="mia")
    with pytest.raises(ValueError, match="unknown criterion"):
        store.add_override(sid, criterion_id="nope", new_score=5, reason="x", author="mia")
    with pytest.raises(ValueError, match="1-5"):
        store.add_override(sid, criterion_id="compliance", new_score=7, reason="x", author="mia")


def test_annotations_on_turns_and_overall(store: SessionStore) -> None:
    sid = store.create_session(user_name="ann", language="en")
    store.append_turn(sid, Turn(role="customer", text="Hi"))
    store.add_annotation(sid, author="mia", text="Greet first next time.", turn_idx=0)
    store.add_annotation(sid, author="mia", text="Good recovery overall.")
    notes = store.annotations(sid)
    assert [(n.turn_idx, n.text) for n in notes] == [(0, "Greet first next time."), (None, "Good recovery overall.")]
    with pytest.raises(ValueError, match="turn 5 does not exist"):
        store.add_annotation(sid, author="mia", text="x", turn_idx=5)


def test_filters(store: SessionStore) -> None:
    a = store.create_session(user_name="ann", language="zh-CN", persona_id="p1", case_id="c1")
    b = store.create_session(user_name="bob", language="en", persona_id="p2", case_id="c2")
    store.save_report(a, report(85.0, {"clarity": 5}))
    store.save_report(b, report(60.0, {"clarity": 2}))
    assert [s.id for s in store.list_sessions(SessionFilter(user_name="ann"))] == [a]
    assert [s.id for s in store.list_sessions(SessionFilter(passed=False))] == [b]
    assert [s.id for s in store.list_sessions(SessionFilter(min_total=70))] == [a]
    assert [s.id for s in store.list_sessions(SessionFilter(case_id="c2"))] == [b]
    assert [row.id for row, _ in store.reports_for_user("ann")] == [a]


def test_concurrent_sessions_do_not_collide(store: SessionStore) -> None:
    def drill(name: str) -> None:
        sid = store.create_session(user_name=name, language="en")
        for n in range(10):
            store.append_turn(sid, Turn(role="agent" if n % 2 else "customer", text=f"{name}-{n}"))

    threads = [threading.Thread(target=drill, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sessions = store.list_sessions()
    assert len(sessions) == 8
    for row in sessions:
        texts = [t.text for t in store.get_session(row.id).turns]
        assert texts == [f"{row.user_name}-{n}" for n in range(10)]


def test_import_transcript(store: SessionStore) -> None:
    transcript = Transcript(language="en", turns=[Turn(role="customer", text="hello"), Turn(role="agent", text="hi")])
    sid = store.import_transcript(transcript, user_name="mentor")
    row = store.get_session(sid)
    assert (row.source, row.status, len(row.turns)) == ("import", "ended", 2)


def test_idle_drills_are_closed_as_abandoned_and_kept(store: SessionStore) -> None:
    from datetime import UTC, datetime, timedelta

    idle = store.create_session(user_name="ann", language="zh-CN", persona_id="p", case_id="c", archetype="rational")
    store.append_turn(idle, Turn(role="customer", text="我的货呢?", ts="2026-01-01T08:00:00+00:00"))
    store.append_turn(idle, Turn(role="agent", text="您好,我帮您查。", ts="2026-01-01T08:01:00+00:00"))
    fresh = store.create_session(user_name="ann", language="zh-CN", persona_id="p", case_id="c", archetype="rational")
    store.append_turn(fresh, Turn(role="customer", text="在吗?", ts="2026-01-01T09:59:00+00:00"))
    now = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert store.close_idle_sessions(timedelta(minutes=120), now=now) == [idle]
    row = store.get_session(idle)
    assert row.status == "abandoned" and len(row.turns) == 2
    assert row.ended_at is not None and row.ended_at.replace(tzinfo=UTC) == datetime(2026, 1, 1, 8, 1, tzinfo=UTC)
    assert store.get_session(fresh).status == "open"
    assert store.open_session_for("ann") is not None and store.open_session_for("ann").id == fresh
    assert store.close_idle_sessions(timedelta(minutes=120), now=now) == []  # already closed
