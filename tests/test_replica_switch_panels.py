"""Two replicas on one database: the Training tab's assigned drill and quizzes, the mentor's open
replay and the trainer's editor after the replica that served the tab went down.

As in ``test_replica_switch.py``: two apps, each with a data directory of its own, share one
database; the browser (its cookies and its Gradio session, whose ``gr.State`` values the second
app never had) carries on with the second. Each panel either continues from the store and what the
request carries, or says in the user's language what to open again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.accounts import Accounts, User
from simulator.app import team, training
from simulator.app.programme_views import ANY
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from tests.database_fixtures import database_url  # noqa: F401  (a fixture)
from tests.programme_fixtures import write_programme_content
from tests.test_app_e2e import PASSWORD, free_port
from tests.test_app_security import QueueCaller
from tests.test_replica_switch import chat_lines, completed, fn_clicked_by, fn_index, replica


@dataclass
class Replicas:
    """Two running apps on one database, and the people signed in on them."""

    first: AppServices
    second: AppServices
    demo_a: Any
    demo_b: Any
    url_a: str
    url_b: str
    accounts: Accounts

    def user(self, name: str) -> User:
        found = self.accounts.get(name)
        assert found is not None
        return found

    def switch(self, caller: QueueCaller) -> None:
        """The same browser, sent to the second replica (the first goes down)."""
        self.demo_a.close()
        caller.http.base_url = httpx.URL(self.url_b.rstrip("/"))
        caller.http.headers["accept-language"] = "zh-CN,zh;q=0.9"

    def caller(self, name: str) -> QueueCaller:
        """A new tab on the second replica, in a browser set to Chinese."""
        tab = QueueCaller(self.url_b, name)
        tab.http.headers["accept-language"] = "zh-CN,zh;q=0.9"
        return tab


@pytest.fixture
def replicas(tmp_path: Path, database_url: str) -> Iterator[Replicas]:  # noqa: F811  (the fixture)
    users = tmp_path / "users.yaml"
    accounts = Accounts(users)
    accounts.add("ann", PASSWORD, ["trainee"], team="north")
    accounts.add("bo", PASSWORD, ["trainee"], team="north")
    accounts.add("mia", PASSWORD, ["mentor"], mentor_of=["north"])
    accounts.add("tess", PASSWORD, ["trainer"])
    first = replica(tmp_path / "a", database_url, users, write_programme_content)
    second = replica(tmp_path / "b", database_url, users, write_programme_content)
    demo_a, url_a = launch_app(first, port=free_port(), block=False, quiet=True)
    demo_b, url_b = launch_app(second, port=free_port(), block=False, quiet=True)
    try:
        yield Replicas(first, second, demo_a, demo_b, url_a, url_b, first.accounts)
    finally:
        demo_a.close()
        demo_b.close()


def outputs(messages: list[dict[str, Any]]) -> list[Any]:
    return list(completed(messages)["output"]["data"])


def test_an_assigned_drill_continues_on_another_replica(replicas: Replicas) -> None:
    first, second = replicas.first, replicas.second
    team.assign(first, replicas.user("mia"), ["ann"], ANY, "zh-test-late-parcel", "2026-12-31", 80)
    (assignment,) = training.my_assignments(first, replicas.user("ann"))
    ann = QueueCaller(replicas.url_a, "ann")
    completed(ann.call(fn_index(replicas.demo_a, "my_assignments"), ["zh-CN"]))  # fills the picker
    completed(ann.call(fn_index(replicas.demo_a, "start_assignment"), [assignment.id, "zh-CN"]))
    opened = first.store.open_session_for("ann", source="drill")
    assert opened is not None
    session_id = opened.id
    # the panel's states are this replica's: the browser sends none
    before = chat_lines(ann.call(fn_clicked_by(replicas.demo_a, "assigned-send"), [None, None, "您好，我是客服小王。", "zh-CN"]))
    assert len(before) >= 3

    replicas.switch(ann)
    demo_b = replicas.demo_b
    send_b, finish_b = fn_clicked_by(demo_b, "assigned-send"), fn_clicked_by(demo_b, "assigned-end")
    # another trainee with an empty panel reaches nothing of ann's, and is told to start a drill
    bo = replicas.caller("bo")
    refused = outputs(bo.call(send_b, [None, None, "请问您的订单号是多少？", "zh-CN"]))
    assert not any(isinstance(value, list) for value in refused) and "请先开始对练" in str(refused)
    assert [turn.text for turn in second.store.get_session(session_id).turns] == before

    # ann's tab on this replica has empty states: the assigned drill continues from the store
    after = chat_lines(ann.call(send_b, [None, None, "请问您的订单号是多少？", "zh-CN"]))
    assert after[: len(before)] == before and "请问您的订单号是多少？" in after
    assert [turn.text for turn in second.store.get_session(session_id).turns] == after
    session_state = demo_b.fns[send_b].inputs[0]
    assert demo_b.state_holder[ann.session_hash][session_state._id] == session_id  # set again here

    # finishing from a fresh tab state on this replica ends and grades it, and shows the scorecard
    fresh = replicas.caller("ann")
    finished = outputs(fresh.call(finish_b, [None, None, "zh-CN"]))
    assert demo_b.state_holder[fresh.session_hash][session_state._id] == session_id
    assert second.store.get_session(session_id).status == "graded"
    assert second.store.latest_report(session_id) is not None
    status, verdict, scorecard = finished[2:5]
    assert "对练已结束" in status and "drill-total" in verdict and scorecard
