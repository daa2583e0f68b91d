"""Two replicas on one database: a sign-in, an open drill and an open exam card survive the replica
that served them (the Training tab's other panels, the mentor's replay and the trainer's editor:
``test_replica_switch_panels.py``).

In process: two apps, each with a data directory of its own, share one database. A trainee signs
in and starts a drill (or plays an exam card) on the first; the first is closed; the same browser
(its cookies and its Gradio session) carries on with the second: no sign-in page, the same transcript.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from simulator.accounts import Accounts
from simulator.app import team
from simulator.app.programme_views import ANY
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings
from simulator.sign_in_tokens import SignInTokenRow, SignInTokens
from simulator.store import SessionStore
from simulator.store_rows import utcnow
from tests.database_fixtures import database_url  # noqa: F401  (a fixture)
from tests.offline_fixtures import write_content
from tests.programme_fixtures import write_programme_content
from tests.test_app_e2e import PASSWORD, free_port
from tests.test_app_security import QueueCaller

PERSONA = "test_rational"
CASE = "zh-test-late-parcel"


def replica(root: Path, database: str, users: Path, content: Callable[[Path], Path] = write_content) -> AppServices:
    """One replica: its own data directory, the shared database."""
    settings = dataclasses.replace(
        load_settings(),
        content_dir=content(root / "content"),
        data_dir=root / "data",
        database_url=database,
        users_file=users,
        llm_base_url=None,
        llm_api_key=None,
        shipped_content_dir=None,
    )
    return AppServices(settings, index_sync=lambda library: f"{len(library.cases)} cases")


def fn_index(demo: Any, api_name: str) -> int:
    return next(i for i, fn in demo.fns.items() if fn.api_name == api_name)


def fn_clicked_by(demo: Any, elem_id: str) -> int:
    """The event of the button with ``elem_id`` (the drill panels' events have no API name)."""
    return next(
        i
        for i, fn in demo.fns.items()
        if any(getattr(demo.blocks.get(block), "elem_id", None) == elem_id for block, _ in fn.targets)
    )


def completed(messages: list[dict[str, Any]]) -> dict[str, Any]:
    done = next(m for m in messages if m.get("msg") == "process_completed")
    assert done["success"] is True, done
    return done


def chat_lines(messages: list[dict[str, Any]]) -> list[str]:
    """The conversation as the last step of an event shows it (the first output of a turn is the drill id)."""
    output = completed(messages)["output"]["data"]
    conversation = next(value for value in output if isinstance(value, list))
    return [" ".join(part["text"] for part in message["content"]) for message in conversation]


def test_sign_in_and_the_open_drill_survive_a_replica_switch(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shared' / 'drill.db'}"
    users = tmp_path / "users.yaml"
    Accounts(users).add("alice", PASSWORD, ["trainee"])
    Accounts(users).add("mona", PASSWORD, ["mentor"])
    first = replica(tmp_path / "a", database, users)
    second = replica(tmp_path / "b", database, users)
    demo_a, url_a = launch_app(first, port=free_port(), block=False, quiet=True)
    demo_b, url_b = launch_app(second, port=free_port(), block=False, quiet=True)
    try:
        alice = QueueCaller(url_a, "alice")  # signs in on the first replica
        completed(alice.call(fn_index(demo_a, "start_drill"), [PERSONA, CASE, "zh-CN"]))
        opened = first.store.open_session_for("alice", source="drill")
        assert opened is not None
        session_id = opened.id
        before = chat_lines(alice.call(fn_index(demo_a, "send_message"), [session_id, "您好,我是客服小王。", "zh-CN"]))
        assert len(before) >= 3  # the customer's opening, the trainee's line, the customer's answer
    finally:
        demo_a.close()

    try:
        # the same browser on the second replica: its cookie, its Gradio session (whose gr.State is
        # empty here), no sign-in
        alice.http.base_url = httpx.URL(url_b.rstrip("/"))
        alice.http.headers["accept-language"] = "zh-CN,zh;q=0.9"
        assert alice.http.get("/gradio_api/login_check").status_code == 200
        assert alice.http.get("/gradio_api/user").json() == "alice"
        turn = alice.call(fn_index(demo_b, "send_message"), [None, "请问您的订单号是多少?", "zh-CN"])
        after = chat_lines(turn)
        meter = completed(turn)["output"]["data"][2]
        assert "客户情绪" in meter  # the page's language, although this replica never loaded the page
        assert after[: len(before)] == before and "请问您的订单号是多少?" in after
        stored = second.store.get_session(session_id)
        assert [turn.text for turn in stored.turns][: len(before)] == before

        # a stranger's cookie jar is still refused on the second replica
        stranger = httpx.Client(base_url=url_b.rstrip("/"))
        assert stranger.get("/gradio_api/login_check").status_code == 401

        # signing out on the second replica ends the sign-in everywhere
        signed_out = alice.http.get("/logout")
        assert signed_out.status_code == 302
        assert "alice" not in SignInTokens(second.store.engine).holders()
    finally:
        demo_b.close()


def test_an_open_exam_card_continues_on_another_replica(
    tmp_path: Path,
    database_url: str,  # noqa: F811  (the fixture: SQLite, then PostgreSQL when there is one)
) -> None:
    database = database_url
    users = tmp_path / "users.yaml"
    accounts = Accounts(users)
    accounts.add("ann", PASSWORD, ["trainee"], team="north")
    accounts.add("bo", PASSWORD, ["trainee"], team="north")
    accounts.add("mia", PASSWORD, ["mentor"], mentor_of=["north"])
    mia = accounts.get("mia")
    assert mia is not None
    first = replica(tmp_path / "a", database, users, write_programme_content)
    second = replica(tmp_path / "b", database, users, write_programme_content)
    assessment_id = team.create_assessment(first, mia, ["ann"], "上岗考核", "zh-CN", ANY, ANY, ANY)
    demo_a, url_a = launch_app(first, port=free_port(), block=False, quiet=True)
    demo_b, url_b = launch_app(second, port=free_port(), block=False, quiet=True)
    try:
        ann = QueueCaller(url_a, "ann")
        completed(ann.call(fn_index(demo_a, "my_assessments"), [None, "zh-CN"]))  # fills the pickers
        completed(ann.call(fn_index(demo_a, "play_card"), [assessment_id, 1, "zh-CN"]))
        opened = first.store.open_session_for("ann", source="exam")
        assert opened is not None
        session_id = opened.id
        # the card's own states (drill id, assessment id) are this replica's: the browser sends none
        sent = ann.call(fn_clicked_by(demo_a, "card-send"), [None, None, "您好，我是客服小王。", "zh-CN"])
        before = chat_lines(sent)
        assert len(before) >= 3
    finally:
        demo_a.close()

    try:
        ann.http.base_url = httpx.URL(url_b.rstrip("/"))
        send_b, hand_in_b = fn_clicked_by(demo_b, "card-send"), fn_clicked_by(demo_b, "card-end")
        # another trainee with an empty card on screen reaches nothing of ann's
        bo = QueueCaller(url_b, "bo")
        refused = completed(bo.call(send_b, [None, None, "请问您的订单号是多少？", "zh-CN"]))["output"]["data"]
        assert not any(isinstance(value, list) for value in refused) and any(refused)
        assert [turn.text for turn in second.store.get_session(session_id).turns] == before

        # ann's tab on this replica has empty states: the card continues from the store
        turn = ann.call(send_b, [None, None, "请问您的订单号是多少？", "zh-CN"])
        # the card's states are set again on this replica (Gradio keeps them server-side)
        panel_states = [demo_b.state_holder[ann.session_hash][block._id] for block in demo_b.fns[send_b].inputs[:2]]
        assert panel_states == [session_id, assessment_id]
        after = chat_lines(turn)
        assert after[: len(before)] == before and "请问您的订单号是多少？" in after
        assert [turn.text for turn in second.store.get_session(session_id).turns] == after
        # the step after the turn reads the assessment and card pickers, whose choices this
        # replica never sent to the tab: the browser's values are still accepted (and checked)
        progress = next(i for i, fn in demo_b.fns.items() if fn.trigger_after == send_b)
        overview = completed(ann.call(progress, [assessment_id, 1, "zh-CN"]))["output"]["data"][0]
        assert "上岗考核" in str(overview)
        refused = completed(bo.call(progress, [assessment_id, 1, "zh-CN"]))["output"]["data"]
        assert "上岗考核" not in str(refused)

        # handing in from a fresh tab state on this replica: the card is ended and graded
        completed(QueueCaller(url_b, "ann").call(hand_in_b, [None, None, "zh-CN"]))
        assert second.store.get_session(session_id).status != "open"
        assert second.store.latest_report(session_id) is not None
    finally:
        demo_b.close()


def test_sign_ins_are_stored_hashed_expire_and_end_together(
    database_url: str,  # noqa: F811  (the fixture)
) -> None:
    store = SessionStore(database_url)
    tokens = SignInTokens(store.engine)
    tokens["secret-token-1"] = "alice"
    tokens["secret-token-2"] = "alice"
    tokens["secret-token-3"] = "mona"
    assert tokens.get("secret-token-1") == "alice" and "secret-token-3" in tokens
    assert tokens.get("guess") is None and tokens.get(None) is None and "guess" not in tokens
    with pytest.raises(KeyError):
        _ = tokens["guess"]
    # only hashes are stored: the table lets nobody in
    with store.engine.connect() as connection:
        stored = [
            row[0]
            for row in connection.execute(
                SignInTokenRow.__table__.select().with_only_columns(SignInTokenRow.token_sha256)
            )
        ]
    assert len(stored) == 3 and not any("secret" in digest for digest in stored)
    # every process on the database names the cookie alike; another database, another name
    assert SignInTokens(SessionStore(database_url).engine).cookie_id == tokens.cookie_id

    # a sign-in past its expiry is no sign-in
    with store.engine.begin() as connection:
        connection.execute(
            update(SignInTokenRow)
            .where(SignInTokenRow.user_name == "mona")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert tokens.get("secret-token-3") is None and tokens.holders() == ["alice"]

    assert tokens.sign_out("alice") == 2
    assert tokens.get("secret-token-1") is None and tokens.holders() == []
    del tokens["secret-token-3"]
