"""Two replicas on one database: the Training tab's assigned drill and quizzes, the trainee's "My
sessions", the mentor's open replay and the trainer's editor after the replica that served the tab
went down.

As in ``test_replica_switch.py``: two apps, each with a data directory of its own, share one
database; the browser (its cookies and its Gradio session, whose ``gr.State`` values the second
app never had) carries on with the second. Each panel either continues from the store and what the
request carries, or says in the user's language what to open again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.accounts import Accounts, User
from simulator.app import team, trainee, trainer, training
from simulator.app.programme_views import ANY, option_choices
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from tests.database_fixtures import database_url  # noqa: F401  (a fixture)
from tests.programme_fixtures import write_programme_content
from tests.test_app_e2e import PASSWORD, free_port
from tests.test_app_security import QueueCaller
from tests.test_replica_switch import CASE, PERSONA, chat_lines, completed, fn_clicked_by, fn_index, replica


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

    def caller(self, name: str, *, first: bool = False) -> QueueCaller:
        """A new tab on the second replica (or the first), in a browser set to Chinese."""
        tab = QueueCaller(self.url_a if first else self.url_b, name)
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
    ann = replicas.caller("ann", first=True)
    completed(ann.call(fn_index(replicas.demo_a, "my_assignments"), ["zh-CN"]))  # fills the picker
    completed(ann.call(fn_index(replicas.demo_a, "start_assignment"), [assignment.id, "zh-CN"]))
    opened = first.store.open_session_for("ann", source="drill")
    assert opened is not None
    session_id = opened.id
    # the panel's states are this replica's: the browser sends none
    before = chat_lines(
        ann.call(fn_clicked_by(replicas.demo_a, "assigned-send"), [None, None, "您好，我是客服小王。", "zh-CN"])
    )
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


def an_answer(question: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Inputs (single, multiple) that answer ``question`` with its first option."""
    value = option_choices(question, "zh-CN")[0][1]
    return (None, [value]) if question.get("type") == "multiple" else (value, [])


def test_an_open_quiz_continues_on_another_replica(replicas: Replicas) -> None:
    first, second = replicas.first, replicas.second
    ann_user = replicas.user("ann")
    ann = replicas.caller("ann", first=True)
    completed(ann.call(fn_index(replicas.demo_a, "start_quiz"), ["zh-CN", ANY, ANY, 4, "zh-CN"]))
    practice = training.open_quiz(first, ann_user, "practice", assigned=False)
    assert practice is not None
    check_a = fn_clicked_by(replicas.demo_a, "quiz-check")
    completed(ann.call(check_a, [None, 0, *an_answer(practice.questions[0].question), "zh-CN"]))
    # an assigned quiz started later is another panel's: the practice panel never takes it up
    team.assign(first, replicas.user("mia"), ["ann"], "zh-starter", None, "2026-11-02", None)
    quiz_assignment = next(row for row in training.my_assignments(first, ann_user) if row.kind == "quiz")
    training.start_assignment(first, ann_user, quiz_assignment.id)

    replicas.switch(ann)
    check_b = fn_clicked_by(replicas.demo_b, "quiz-check")
    # another trainee with an empty panel is told to start a quiz
    refused = outputs(replicas.caller("bo").call(check_b, [None, 0, "a", [], "zh-CN"]))
    assert "请先开始一次测验" in str(refused)

    # the tab's state is empty here: the choice on screen (sent for a question this replica cannot
    # know) is not saved; the quiz comes back from the store at its first unanswered question
    second_question = practice.questions[1].question
    shown = outputs(ann.call(check_b, [None, 0, *an_answer(second_question), "zh-CN"]))
    assert "第 2/4 题" in str(shown) and "此测验已转到" in str(shown)
    again = training.quiz_view(second, ann_user, practice.id)
    assert again.questions[0].given and not again.questions[1].given
    # the panel's states are set again: the next check answers the question shown
    completed(ann.call(check_b, [None, 0, *an_answer(second_question), "zh-CN"]))
    assert training.quiz_view(second, ann_user, practice.id).questions[1].given


def a_graded_drill(services: AppServices, user: User, line: str) -> str:
    """The id of a drill ``user`` played (one line) and ended, graded."""
    started = trainee.start_session(services, user, PERSONA, CASE)
    list(trainee.send_message(services, user, started.session_id, line))
    trainee.end_session(services, user, started.session_id)
    return started.session_id


def test_my_sessions_shows_a_session_on_another_replica_and_only_the_trainees_own(replicas: Replicas) -> None:
    first = replicas.first
    own = a_graded_drill(first, replicas.user("ann"), "您好，我是客服小王，请问有什么可以帮您？")
    others = a_graded_drill(first, replicas.user("bo"), "您好，这里是售后服务。")
    ann = replicas.caller("ann", first=True)
    listed = outputs(ann.call(fn_index(replicas.demo_a, "my_progress"), ["zh-CN"]))
    picker = next(value for value in listed if isinstance(value, dict) and "choices" in value)
    assert [value for _, value in picker["choices"]] == [own]  # the picker offers ann's own only

    replicas.switch(ann)
    show_b = fn_index(replicas.demo_b, "my_scorecard")
    # this replica never sent the picker's choices: the session picked before the switch opens
    replay, verdict, scorecard = outputs(ann.call(show_b, [own, "zh-CN"]))
    assert "请问有什么可以帮您" in str(replay) and "drill-total" in verdict and scorecard

    # the browser can send any id: another trainee's session is refused, in the page's language
    replay, verdict, refusal = outputs(ann.call(show_b, [others, "zh-CN"]))
    assert replay == [] and verdict == "" and f"没有你可查看的记录 '{others}'" in refusal
    assert "售后服务" not in str(refusal)


def test_the_mentors_replay_says_to_open_the_session_again_and_then_continues(replicas: Replicas) -> None:
    first, second = replicas.first, replicas.second
    ann_user = replicas.user("ann")
    started = trainee.start_session(first, ann_user, PERSONA, CASE)
    list(trainee.send_message(first, ann_user, started.session_id, "您好，我是客服小王，请问有什么可以帮您？"))
    trainee.end_session(first, ann_user, started.session_id)
    mia = replicas.caller("mia", first=True)
    completed(mia.call(fn_index(replicas.demo_a, "open_session"), [started.session_id, "zh-CN"]))
    # an export made on the first replica says where it lives, and is served there
    shown = outputs(mia.call(fn_index(replicas.demo_a, "export_html"), [None, "zh-CN"]))[0]
    assert "24 小时" in shown and "重新导出" in shown
    link = "/" + re.search(r"\]\((drill-exports/[^)]+)\)", shown).group(1)  # type: ignore[union-attr]
    assert mia.http.get(link).status_code == 200

    replicas.switch(mia)
    demo_b = replicas.demo_b
    # the other replica does not hold it, and says what to do (in both languages: no page language here)
    elsewhere = mia.http.get(link)
    assert elsewhere.status_code == 404 and "export again" in elsewhere.text and "重新导出" in elsewhere.text
    # the turn and criterion pickers hold values whose choices this replica never sent: the
    # handler runs, and tells the mentor what to do (Gradio would refuse them in English)
    comment = outputs(mia.call(fn_index(demo_b, "add_comment"), [None, "1", "开场很好", True, 2, "zh-CN"]))
    assert "重新" in comment[-1] and "打开" in comment[-1]
    assert second.store.annotations(started.session_id) == []
    override = outputs(
        mia.call(fn_index(demo_b, "override_score"), [None, "standard_phrasing", 4, "开场规范", "zh-CN"])
    )
    assert "重新" in override[-1]
    exported = outputs(mia.call(fn_index(demo_b, "export_html"), [None, "zh-CN"]))
    assert "重新" in exported[0] and not any((second.settings.data_dir / "exports").glob("*/*.html"))

    # opened again here (the picker's value is the browser's): the comment is stored
    completed(mia.call(fn_index(demo_b, "open_session"), [started.session_id, "zh-CN"]))
    completed(mia.call(fn_index(demo_b, "add_comment"), [None, "1", "开场很好", True, 2, "zh-CN"]))
    assert [note.text for note in second.store.annotations(started.session_id)] == ["开场很好"]


def test_the_trainers_editor_and_preview_continue_on_another_replica(replicas: Replicas) -> None:
    first, second = replicas.first, replicas.second
    name, text = trainer.source_text(first, "persona", PERSONA)
    edited = text.replace(f"id: {PERSONA}", "id: test_rational_copy")
    assert edited != text
    tess = replicas.caller("tess", first=True)
    preview_send_a = fn_index(replicas.demo_a, "preview_send")
    completed(tess.call(fn_index(replicas.demo_a, "preview_start"), ["persona", edited, CASE, "zh-CN"]))
    shown = outputs(
        tess.call(preview_send_a, ["persona", edited, CASE, None, None, "您好，请问有什么可以帮您？", "zh-CN"])
    )
    chat = shown[0]
    assert sum(1 for message in chat if message["role"] == "user") == 1

    replicas.switch(tess)
    demo_b = replicas.demo_b
    # the preview's lines were this replica's state: the chat on screen carries them, and the
    # case picked (a value this replica never offered) is checked by the preview itself
    line = "请问您的订单号是多少？"
    shown_b = outputs(tess.call(fn_index(demo_b, "preview_send"), ["persona", edited, CASE, None, chat, line, "zh-CN"]))
    lines_b = [message for message in shown_b[0] if message["role"] == "user"]
    assert len(lines_b) == 2 and line in str(lines_b[1]) and shown_b[0][: len(chat)] == chat

    # the YAML being edited is in the request: saving it works on this replica
    saved = outputs(
        tess.call(fn_index(demo_b, "save_yaml"), ["persona", edited, "test_rational_copy.yaml", False, "zh-CN"])
    )
    assert "test_rational_copy" in str(saved)
    assert "test_rational_copy" in second.library().personas


def test_choice_components_pass_the_browsers_value_and_look_like_gradios_own() -> None:
    import simulator.app.ui_choices as choices

    radio = choices.HandlerCheckedRadio(["a", "b"])
    boxes = choices.HandlerCheckedCheckboxGroup(["a", "b"])
    menu = choices.HandlerCheckedDropdown([("Any", "any")], value="any")
    assert (radio.get_block_name(), boxes.get_block_name(), menu.get_block_name()) == (
        "radio",
        "checkboxgroup",
        "dropdown",
    )
    assert menu.choices == [("Any", "any")]  # constructor arguments kept (Gradio rebuilds from them)
    assert radio.preprocess("c") == "c" and boxes.preprocess(["c"]) == ["c"] and menu.preprocess("x") == "x"
    # Gradio writes a .pyi stub beside a module that defines components; none may appear in the package
    assert not list(Path(choices.__file__).parent.glob("*.pyi"))
