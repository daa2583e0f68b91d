"""Two app replicas on one database: the store is the truth, each process's live drill a checked cache.

Two ``AppServices`` stand for two replicas behind a proxy whose sticky sessions broke (a replica
restarted, a trainee's cookie changed): each keeps its own in-memory drills, both write the same
database. Each test runs on SQLite and on PostgreSQL (``database_url``; PostgreSQL skips without
a server).
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator.accounts import User
from simulator.app import trainee
from simulator.app.i18n import AppError
from simulator.app.services import AppServices
from simulator.config import load_settings
from simulator.store_rows import utcnow
from tests.offline_fixtures import write_content

ALICE = User("alice", frozenset({"trainee"}))
PERSONA, CASE = "test_rational", "zh-test-late-parcel"


class FakeClock:
    """A monotonic clock the test moves by hand (no sleeping, no timed assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _replicas(tmp_path: Path, database_url: str, count: int = 2) -> list[AppServices]:
    settings = dataclasses.replace(
        load_settings(), content_dir=write_content(tmp_path / "content"), database_url=database_url
    )
    return [AppServices(settings, index_sync=lambda library: "") for _ in range(count)]


def _send(services: AppServices, session_id: str, text: str) -> trainee.DrillView:
    return list(trainee.send_message(services, ALICE, session_id, text))[-1]


def _stored(services: AppServices, session_id: str) -> list[tuple[int, str, str]]:
    return [(turn.idx, turn.role, turn.text) for turn in services.store.get_session(session_id).turns]


def test_a_drill_moves_between_replicas_as_one_transcript(tmp_path: Path, database_url: str) -> None:
    a, b = _replicas(tmp_path, database_url)
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    _send(a, session_id, "您好,这里是售后,请问您的订单号是多少?")
    on_b = _send(b, session_id, "我马上帮您查一下物流。")  # the proxy sent her to the other replica
    back_on_a = _send(a, session_id, "查到了,包裹在转运中心,明天送到。")  # and back again

    stored = _stored(a, session_id)
    assert [idx for idx, _, _ in stored] == list(range(7))  # contiguous: no fork, no turn lost
    assert [role for _, role, _ in stored] == [
        "customer",
        "agent",
        "customer",
        "agent",
        "customer",
        "agent",
        "customer",
    ]
    assert [text for _, role, text in stored if role == "agent"] == [
        "您好,这里是售后,请问您的订单号是多少?",
        "我马上帮您查一下物流。",
        "查到了,包裹在转运中心,明天送到。",
    ]
    # each replica showed the whole drill, including what the other one wrote
    assert [m["content"] for m in on_b.messages][:3] == [text for _, _, text in stored[:3]]
    assert [m["content"] for m in back_on_a.messages] == [text for _, _, text in stored]
    # replica A's stale copy was rebuilt, not extended: it now knows every stored turn
    assert a.live_drills.get(session_id) is not None
    assert a.live_session(ALICE, session_id).stored_turns == 7


def test_an_unchanged_drill_is_served_from_memory(tmp_path: Path, database_url: str) -> None:
    (a,) = _replicas(tmp_path, database_url, count=1)
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    cached = a.live_session(ALICE, session_id)
    _send(a, session_id, "您好,请问有什么可以帮您?")
    assert a.live_session(ALICE, session_id) is cached  # same engine and conversation: no rebuild
    assert cached.stored_turns == len(_stored(a, session_id)) == 3


def test_both_replicas_sending_at_once_one_wins_the_other_is_told(tmp_path: Path, database_url: str) -> None:
    a, b = _replicas(tmp_path, database_url)
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    b.live_session(ALICE, session_id)  # both replicas hold the drill, both up to date
    # Both pass the freshness check before either writes: each waits here for the other.
    both_checked = threading.Barrier(2, timeout=60)
    waited: set[str] = set()
    for replica in (a, b):
        original = replica.store.append_turn

        def append_after_both(*args: Any, _original: Any = original, **kwargs: Any) -> int:
            name = threading.current_thread().name
            if name.startswith("sender") and name not in waited:  # the trainee's turn of each sender
                waited.add(name)
                both_checked.wait()
            return int(_original(*args, **kwargs))

        replica.store.append_turn = append_after_both  # type: ignore[method-assign]
    outcomes: dict[str, Any] = {}

    def send(name: str, replica: AppServices, text: str) -> None:
        views = trainee.send_message(replica, ALICE, session_id, text)
        try:
            first = next(views)  # the trainee's turn is committed (or refused) before this returns
        except AppError as exc:
            outcomes[name] = exc
            return
        outcomes[name] = [first, *views][-1]

    threads = [
        threading.Thread(target=send, args=("a", a, "您好,我是客服小李。"), name="sender-a"),
        threading.Thread(target=send, args=("b", b, "您好,我是客服小王。"), name="sender-b"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, AppError)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    loser = refused[0]
    winner = "b" if loser == "a" else "a"
    error = outcomes[loser]
    assert error.key == "turn_conflict"
    assert "still in the box" in error.message("en") and "仍留在输入框里" in error.message("zh-CN")
    winner_text = {"a": "您好,我是客服小李。", "b": "您好,我是客服小王。"}
    stored = _stored(a, session_id)
    assert [(idx, role) for idx, role, _ in stored] == [(0, "customer"), (1, "agent"), (2, "customer")]
    assert stored[1][2] == winner_text[winner]  # one transcript: only the winner's turn, answered once
    # the loser's text was refused before anything was stored or shown; sending it again works
    losing_replica = {"a": a, "b": b}[loser]
    again = _send(losing_replica, session_id, winner_text[loser])
    assert [m["content"] for m in again.messages][3] == winner_text[loser]
    assert [idx for idx, _, _ in _stored(b, session_id)] == list(range(5))


def test_idle_drills_leave_memory_and_come_back_from_the_store(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a,) = _replicas(tmp_path, database_url, count=1)
    clock = FakeClock()
    a.live_drills.clock = clock
    monkeypatch.setenv("DRILL_MAX_LIVE_DRILL_IDLE_MINUTES", "5")
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    _send(a, session_id, "您好,请问您的订单号是多少?")
    clock.now += 4 * 60
    assert a.evict_idle_live() == [] and session_id in a.live_drills
    clock.now += 5 * 60 + 1
    assert a.evict_idle_live() == [session_id]
    assert session_id not in a.live_drills and len(a.live_drills) == 0
    # still open in the store: the next message rebuilds it and the drill goes on where it was
    after = _send(a, session_id, "我马上帮您查一下。")
    assert [role for _, role, _ in _stored(a, session_id)] == ["customer", "agent", "customer", "agent", "customer"]
    assert len(after.messages) == 5 and session_id in a.live_drills


def test_a_streaming_drill_is_never_evicted(tmp_path: Path, database_url: str) -> None:
    (a,) = _replicas(tmp_path, database_url, count=1)
    clock = FakeClock()
    a.live_drills.clock = clock
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    views = trainee.send_message(a, ALICE, session_id, "您好,请问您的订单号是多少?")
    next(views)  # the reply is being written
    clock.now += 24 * 60 * 60
    assert a.evict_idle_live() == [] and session_id in a.live_drills
    list(views)
    clock.now += 24 * 60 * 60
    assert a.evict_idle_live() == [session_id]


def test_a_drill_closed_by_another_replica_leaves_this_ones_memory(tmp_path: Path, database_url: str) -> None:
    a, b = _replicas(tmp_path, database_url)
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    _send(a, session_id, "您好,请问您的订单号是多少?")
    # replica B's sweep closes it as abandoned (as it would three hours later)
    assert b.store.close_idle_sessions(timedelta(minutes=120), now=utcnow() + timedelta(hours=3)) == [session_id]
    assert session_id in a.live_drills
    a.close_idle_drills()  # run before every list and resume
    assert session_id not in a.live_drills
    # and a message sent from a page that still shows it is refused, not written
    with pytest.raises(AppError) as refused:
        _send(a, session_id, "还在吗?")
    assert refused.value.key == "drill_not_open"
    assert len(_stored(a, session_id)) == 3


def test_a_cached_drill_closed_elsewhere_is_refused_at_once(tmp_path: Path, database_url: str) -> None:
    a, b = _replicas(tmp_path, database_url)
    session_id = trainee.start_session(a, ALICE, PERSONA, CASE).session_id
    _send(a, session_id, "您好,请问您的订单号是多少?")
    trainee.end_session(b, ALICE, session_id)  # she pressed End on the other replica
    with pytest.raises(AppError) as refused:
        _send(a, session_id, "还有别的问题吗?")
    assert refused.value.key == "drill_not_open"
    assert session_id not in a.live_drills
    assert len(_stored(a, session_id)) == 3
