"""The app's handlers without Gradio: drills, scorecards, authorization, mentor and trainer actions."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import yaml

from simulator.accounts import User
from simulator.app import mentor, scenario_choice, scorecards, trainee, trainee_history, trainer
from simulator.app.i18n import AppError, keys, language_from_header, resolve_language, t
from simulator.app.mentor import MentorFilters
from simulator.app.report_export import mood_svg
from simulator.app.scenario_choice import ScenarioFilters
from simulator.app.services import AccessDenied, AppServices, SessionNotFound
from simulator.app.views import patience_meter, problems_markdown, scenario_card, trend_svg
from simulator.config import load_settings
from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.limits import MESSAGE_CHARS
from simulator.models import CustomerState, Turn
from tests.offline_fixtures import persona_data, write_content

ZH_CASE = "zh-test-late-parcel"
EN_CASE = "en-test-double-charge"
PERSONA = "test_rational"

ALICE = User("alice", frozenset({"trainee"}))
BOB = User("bob", frozenset({"trainee"}))
MENTOR = User("mia", frozenset({"mentor"}))
TRAINER = User("tom", frozenset({"trainer"}))


class RecordingIndex:
    """Stands in for the Chroma index: records syncs, optionally fails."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.synced: list[list[str]] = []

    def __call__(self, library: object) -> str:
        if self.fail:
            raise RuntimeError("chroma is down")
        self.synced.append(sorted(library.cases))  # type: ignore[attr-defined]
        return f"{len(self.synced[-1])} cases"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content(tmp_path / "content")


@pytest.fixture
def index() -> RecordingIndex:
    return RecordingIndex()


@pytest.fixture
def services(content_dir: Path, index: RecordingIndex) -> AppServices:
    settings = dataclasses.replace(load_settings(), content_dir=content_dir)
    return AppServices(settings, index_sync=index)


def drill(services: AppServices, user: User, *messages: str, case_id: str = ZH_CASE) -> trainee.DrillView:
    view = trainee.start_session(services, user, PERSONA, case_id)
    for message in messages:
        view = list(trainee.send_message(services, user, view.session_id, message))[-1]
    return view


GOOD = ["您好,我是客服小王,让您久等了,非常抱歉。", "请问您的订单号是多少?", "我马上帮您催件,今天下午给您回电。"]


# ---------------------------------------------------------------------------------------------
# Choosing a scenario


def test_case_options_follow_filters_and_the_personas_language(services: AppServices) -> None:
    library = services.library()
    every = [value for _, value in scenario_choice.case_options(library, ScenarioFilters(), None, "en")]
    assert every == [EN_CASE, ZH_CASE]
    english = scenario_choice.case_options(library, ScenarioFilters(language="en"), None, "en")
    assert [value for _, value in english] == [EN_CASE]
    assert scenario_choice.case_options(library, ScenarioFilters(category="privacy"), None, "en") == []


def test_draw_card_respects_filters_and_says_when_nothing_matches(services: AppServices) -> None:
    library = services.library()
    for seed in range(10):
        persona_id, case_id = scenario_choice.draw_card(library, ScenarioFilters(language="zh-CN"), random.Random(seed))
        assert case_id == ZH_CASE and "zh-CN" in library.personas[persona_id].languages
    with pytest.raises(AppError) as caught:
        scenario_choice.draw_card(library, ScenarioFilters(difficulty="hard"))
    assert caught.value.key == "no_matching_case"


def test_scenario_card_shows_the_brief_but_never_the_hidden_side(services: AppServices) -> None:
    library = services.library()
    case = library.cases[ZH_CASE]
    card = scenario_card(library.personas[PERSONA].trainee_view(), case.trainee_view(), "zh-CN")
    assert case.brief in card and case.product in card and "电话" in card
    for secret in [case.situation, case.customer_wants, *(fact.value for fact in case.hidden_facts)]:
        assert secret not in card


# ---------------------------------------------------------------------------------------------
# Drilling


def test_start_chat_end_gives_a_scorecard_and_every_turn_is_stored(services: AppServices) -> None:
    start = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    assert [m["role"] for m in start.messages] == ["assistant"] and start.mood is not None

    views = list(trainee.send_message(services, ALICE, start.session_id, GOOD[0]))
    assert views[0].streaming and views[0].messages[-1]["role"] == "assistant"
    assert views[0].messages[-2] == {"role": "user", "content": GOOD[0]}
    final = views[-1]
    assert not final.streaming and len(final.messages) == 3
    # the streamed text adds up to the stored reply
    assert views[-2].messages[-1]["content"] == final.messages[-1]["content"]
    assert len(services.store.get_session(start.session_id).turns) == 3

    card = trainee.end_session(services, ALICE, start.session_id)
    report = card.effective.report
    assert [c.id for c in report.criteria] == [c.id for c in services.library().require_rubric().criteria]
    assert (report.total is None) == (report.passed is None)
    row = services.store.get_session(start.session_id)
    assert row.status == "graded" and row.outcome == "abandoned"
    # ending again returns the same scorecard rather than grading twice
    assert trainee.end_session(services, ALICE, start.session_id).effective.report == report


def test_refused_messages_say_why_and_store_nothing(services: AppServices) -> None:
    view = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    for text, key in (("   ", "message_empty"), ("字" * (MESSAGE_CHARS.value + 1), "message_too_long")):
        with pytest.raises(AppError) as caught:
            list(trainee.send_message(services, ALICE, view.session_id, text))
        assert caught.value.key == key
    assert str(MESSAGE_CHARS.value) in AppError("message_too_long", length=2001, limit=MESSAGE_CHARS.value).message(
        "zh-CN"
    )
    assert len(services.store.get_session(view.session_id).turns) == 1


def test_a_customer_who_ends_the_call_ends_the_drill(services: AppServices) -> None:
    view = drill(services, ALICE, "我们规定就是这样。", "你去找快递。")
    assert view.ended and view.outcome == "escalated"
    with pytest.raises(AppError) as caught:
        list(trainee.send_message(services, ALICE, view.session_id, "还有什么可以帮您?"))
    assert caught.value.key == "customer_already_left"
    card = trainee.end_session(services, ALICE, view.session_id)
    assert services.store.get_session(card.session_id).outcome == "escalated"
    assert any(f.rule for f in card.effective.report.findings)


class FlakyEngine(CustomerEngine):
    """Fails mid-stream on the first reply, then answers."""

    name = "offline"

    def __init__(self, persona: object, case: object, **_: object) -> None:
        super().__init__(persona, case, seed=0)  # type: ignore[arg-type]
        self.calls = 0

    def opening(self) -> CustomerReply:
        return CustomerReply("我的包裹呢?", CustomerState(mood=6, goal_met=False))

    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        self.calls += 1
        failing = self.calls == 1

        def deltas() -> Iterator[str]:
            yield "嗯……"
            if failing:
                raise ConnectionError("endpoint down")
            yield "好的。"

        return ReplyStream(deltas(), lambda text: CustomerReply(text, CustomerState(mood=5, goal_met=False)))


def test_endpoint_failure_keeps_the_message_and_retry_answers_it(
    services: AppServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("simulator.app.services.make_customer", lambda persona, case, **kw: FlakyEngine(persona, case))
    view = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    with pytest.raises(AppError) as caught:
        list(trainee.send_message(services, ALICE, view.session_id, "您好,请问订单号?"))
    assert caught.value.key == "customer_unavailable" and "endpoint down" in caught.value.message("en")
    stored = trainee.current_view(services, ALICE, view.session_id)
    assert stored.pending and stored.messages[-1] == {"role": "user", "content": "您好,请问订单号?"}
    with pytest.raises(AppError) as blocked:  # a new message first needs the retry
        list(trainee.send_message(services, ALICE, view.session_id, "在吗?"))
    assert blocked.value.key == "retry_first"

    final = list(trainee.retry_reply(services, ALICE, view.session_id))[-1]
    assert final.messages[-1] == {"role": "assistant", "content": "嗯……好的。"} and not final.pending
    assert [turn.role for turn in services.store.transcript(view.session_id).turns] == ["customer", "agent", "customer"]


def test_a_restarted_app_resumes_the_open_drill_exactly(services: AppServices, content_dir: Path) -> None:
    first = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    list(trainee.send_message(services, ALICE, first.session_id, GOOD[0]))
    seed = services.store.get_session(first.session_id).seed

    restarted = AppServices(services.settings, index_sync=RecordingIndex())
    resumed = trainee.resume_open_session(restarted, ALICE)
    assert resumed is not None and resumed.session_id == first.session_id and len(resumed.messages) == 3
    after_restart = list(trainee.send_message(restarted, ALICE, first.session_id, GOOD[1]))[-1]

    # the same drill without a restart gives the same customer reply
    control = AppServices(services.settings, index_sync=RecordingIndex())
    live = control.start_drill(ALICE, PERSONA, ZH_CASE, seed=seed)
    live.conversation.send(GOOD[0]).collect()
    expected = live.conversation.send(GOOD[1]).collect()
    assert after_restart.messages[-1]["content"] == expected.text
    assert after_restart.mood == expected.state.mood


def test_try_again_starts_a_new_drill_on_the_same_scenario(services: AppServices) -> None:
    first = drill(services, ALICE, GOOD[0])
    trainee.end_session(services, ALICE, first.session_id)
    again = trainee.try_again(services, ALICE, first.session_id)
    assert again.session_id != first.session_id
    assert (again.persona_id, again.case_id) == (PERSONA, ZH_CASE) and len(again.messages) == 1


def test_history_has_a_trend_and_criterion_averages(services: AppServices) -> None:
    for _ in range(2):
        view = drill(services, ALICE, *GOOD)
        trainee.end_session(services, ALICE, view.session_id)
    drill(services, BOB, GOOD[0])
    view = trainee_history.history(services, ALICE, "zh-CN")
    assert len(view.sessions) == 2 and {s["trainee"] for s in view.sessions} == {"alice"}
    assert [point["attempt"] for point in view.trend] == [1, 2]
    rubric = services.library().require_rubric()
    assert {a["criterion"] for a in view.criterion_averages} <= {c.name.zh for c in rubric.criteria}
    assert all(1 <= a["average"] <= 5 for a in view.criterion_averages)


def test_the_trend_chart_shows_a_first_attempt_and_the_pass_mark_in_the_ui_language(services: AppServices) -> None:
    library = services.library()
    mark = library.require_rubric().pass_mark
    one = trend_svg([{"attempt": 1, "total": 62.5}], library, "zh-CN")
    # a single attempt is a dot (a line plot would draw nothing), with the pass mark as a line
    assert one.count("<circle") == 1 and "62.5" in one
    assert f"及格线({mark:g})" in one and "stroke-dasharray" in one and "第几次练习" in one
    two = trend_svg([{"attempt": 1, "total": 40}, {"attempt": 2, "total": 90}], library, "en")
    assert two.count("<circle") == 2 and "<polyline" in two and f"pass mark ({mark:g})" in two
    assert "Your totals appear here" in trend_svg([], library, "en")
    # nothing a trainee typed reaches the chart, but escaping still holds for the labels
    assert "<script" not in two


def test_two_drills_stream_at_the_same_time(services: AppServices) -> None:
    views = {user.name: trainee.start_session(services, user, PERSONA, ZH_CASE) for user in (ALICE, BOB)}
    errors: list[BaseException] = []

    def run(user: User) -> None:
        try:
            for message in GOOD:
                list(trainee.send_message(services, user, views[user.name].session_id, message))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(user,)) for user in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for view in views.values():
        turns = services.store.transcript(view.session_id).turns
        assert [turn.role for turn in turns] == ["customer", "agent"] * 3 + ["customer"]


# ---------------------------------------------------------------------------------------------
# Authorization


def test_a_trainee_gets_nothing_of_another_trainees_session(services: AppServices, tmp_path: Path) -> None:
    view = drill(services, ALICE, GOOD[0])
    sid = view.session_id
    attempts = [
        lambda: services.session_for(BOB, sid),
        lambda: trainee.current_view(services, BOB, sid),
        lambda: list(trainee.send_message(services, BOB, sid, "你好")),
        lambda: list(trainee.retry_reply(services, BOB, sid)),
        lambda: trainee.end_session(services, BOB, sid),
        lambda: scorecards.scorecard(services, BOB, sid),
        lambda: trainee.try_again(services, BOB, sid),
        lambda: mentor.load_replay(services, BOB, sid, "en"),
        lambda: mentor.export_report(services, BOB, sid, "html", "en", tmp_path),
    ]
    for attempt in attempts:
        with pytest.raises(SessionNotFound) as caught:
            attempt()
        # the same answer as for a session that does not exist
        assert caught.value.key == "no_session"
    assert mentor.find_sessions(services, BOB, MentorFilters(trainee="alice"), "en") == []
    assert mentor.trainee_names(services, BOB) == ["bob"]
    assert trainee_history.history(services, BOB, "en").sessions == []
    assert not list(tmp_path.glob("*.html"))


def test_my_sessions_opens_only_the_users_own_session(services: AppServices) -> None:
    sid = drill(services, ALICE, GOOD[0]).session_id
    trainee.end_session(services, ALICE, sid)
    assert trainee_history.own_session(services, ALICE, sid).id == sid
    # a trainee who is also a mentor may open alice's session as a mentor, never as "my session"
    both = User("bo", frozenset({"trainee", "mentor"}))
    assert services.session_for(both, sid).id == sid
    for user in (BOB, both):
        with pytest.raises(SessionNotFound) as caught:
            trainee_history.own_session(services, user, sid)
        assert caught.value.key == "no_session"
    with pytest.raises(AppError) as nothing:
        trainee_history.own_session(services, ALICE, None)
    assert nothing.value.key == "no_session_chosen"


def test_mentors_see_everything_but_only_owners_drill(services: AppServices) -> None:
    view = drill(services, ALICE, GOOD[0])
    assert mentor.load_replay(services, MENTOR, view.session_id, "en").session["trainee"] == "alice"
    assert [row["id"] for row in mentor.find_sessions(services, MENTOR, MentorFilters(), "en")] == [view.session_id]
    with pytest.raises(SessionNotFound):
        list(trainee.send_message(services, MENTOR, view.session_id, "我来替你说"))


def test_only_mentors_comment_override_and_import_and_only_trainers_save(services: AppServices) -> None:
    view = drill(services, ALICE, GOOD[0])
    trainee.end_session(services, ALICE, view.session_id)
    for attempt in (
        lambda: mentor.add_comment(services, ALICE, view.session_id, None, "我觉得不错"),
        lambda: mentor.override_score(services, ALICE, view.session_id, "standard_phrasing", 5, "me"),
        lambda: mentor.import_transcript(services, ALICE, "{}", None, "en"),
        lambda: trainer.save_yaml(services, MENTOR, "persona", "id: x", "x.yaml"),
        lambda: trainee.start_session(services, MENTOR, PERSONA, ZH_CASE),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert services.store.annotations(view.session_id) == [] and services.store.overrides(view.session_id) == []


# ---------------------------------------------------------------------------------------------
# Mentor


def test_mentor_filters(services: AppServices) -> None:
    graded = drill(services, ALICE, *GOOD)
    trainee.end_session(services, ALICE, graded.session_id)
    drill(services, BOB, GOOD[0], case_id=EN_CASE)

    def ids(**filters: object) -> set[str]:
        return {row["trainee"] for row in mentor.find_sessions(services, MENTOR, MentorFilters(**filters), "en")}

    assert ids() == {"alice", "bob"}
    assert ids(trainee="bob") == {"bob"}
    assert ids(case_id=EN_CASE) == {"bob"}
    assert ids(result="ungraded") == {"bob"}
    assert ids(since="2000-01-01", until="2999-12-31") == {"alice", "bob"}
    assert ids(until="2000-01-01") == set()
    total = services.store.get_session(graded.session_id).total
    if total is not None:
        assert ids(min_total=total, max_total=total) == {"alice"}
        assert ids(min_total=total + 0.01) == set()
    with pytest.raises(AppError) as caught:
        ids(since="yesterday")
    assert caught.value.key == "bad_date"


def test_replay_steps_through_turns_with_notes_and_mood(services: AppServices) -> None:
    view = drill(services, ALICE, "我们规定就是这样。", "你去找快递。")
    trainee.end_session(services, ALICE, view.session_id)
    mentor.add_comment(services, MENTOR, view.session_id, 1, "不要推诿")
    replay = mentor.load_replay(services, MENTOR, view.session_id, "zh-CN")
    assert [point["turn"] for point in replay.mood_points] == [1, 3, 5]  # message numbers as the chat shows them
    first_two = mentor.replay_messages(replay, 1, "zh-CN")
    assert first_two[0]["role"] == "assistant" and first_two[1] == {
        "role": "user",
        "content": "我们规定就是这样。\n\n<sub>#2</sub>",
    }
    notes = [m for m in first_two if "metadata" in m]
    assert notes and "不要推诿" in notes[0]["content"]
    assert "forbidden_phrase" in replay.turn_notes(1, "en")["findings"][0] or replay.turn_notes(1, "en")["hurt"]
    everything = mentor.replay_messages(replay, None, "zh-CN")
    assert len([m for m in everything if "metadata" not in m]) == 5


def test_override_keeps_the_graders_score_and_recomputes_the_total(services: AppServices) -> None:
    view = drill(services, ALICE, *GOOD)
    card = trainee.end_session(services, ALICE, view.session_id)
    original = {c.id: c.score for c in card.effective.report.criteria}
    target = "standard_phrasing"
    new = 1 if original[target] != 1 else 5
    for bad, key in ((7, "bad_override_score"), (None, "bad_override_score")):
        with pytest.raises(AppError) as caught:
            mentor.override_score(services, MENTOR, view.session_id, target, bad, "reason")
        assert caught.value.key == key
    with pytest.raises(AppError) as caught:
        mentor.override_score(services, MENTOR, view.session_id, target, new, "  ")
    assert caught.value.key == "override_needs_reason"

    effective = mentor.override_score(services, MENTOR, view.session_id, target, new, "澄清得不够")
    assert next(c.score for c in effective.report.criteria if c.id == target) == new
    assert next(c.score for c in effective.original.criteria if c.id == target) == original[target]
    assert services.store.latest_report(view.session_id) == card.effective.report  # stored report untouched
    rubric = services.library().require_rubric()
    if effective.report.complete:
        scores = {c.id: c.score for c in effective.report.criteria}
        expected = round(sum(c.weight * scores[c.id] / 5 for c in rubric.criteria), 2)
        assert effective.report.total == expected
        assert services.store.get_session(view.session_id).total == expected
    # the trainee sees the mentor's score, with the grader's alongside
    seen = scorecards.scorecard(services, ALICE, view.session_id)
    assert seen.effective.overridden[target].original_score == original[target]


def test_export_html_and_markdown_are_complete_and_escaped(services: AppServices, tmp_path: Path) -> None:
    view = drill(services, ALICE, "<script>alert(1)</script>您好", *GOOD[1:])
    trainee.end_session(services, ALICE, view.session_id)
    mentor.add_comment(services, MENTOR, view.session_id, 1, "开场要自报工号")
    mentor.add_comment(services, MENTOR, view.session_id, None, "整体不错,继续加油")
    mentor.override_score(services, MENTOR, view.session_id, "standard_phrasing", 4, "表达其实很清楚")

    page = mentor.export_report(services, MENTOR, view.session_id, "html", "zh-CN", tmp_path).read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script>alert" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # self-contained
    for expected in ("开场要自报工号", "整体不错", "表达其实很清楚", GOOD[1], "<svg", "评分卡"):
        assert expected in page
    markdown = mentor.export_report(services, MENTOR, view.session_id, "md", "en", tmp_path).read_text("utf-8")
    for expected in (
        "# Drill report",
        "## Transcript",
        "set 4/5: 表达其实很清楚",
        "(grader gave",
        "表达其实很清楚",
        "开场要自报工号",
        GOOD[2],
    ):
        assert expected in markdown


def test_import_a_real_chat_log_and_grade_it(services: AppServices) -> None:
    log = {
        "language": "zh-CN",
        "case_id": ZH_CASE,
        "turns": [
            {"role": "customer", "text": "我的扫地机器人还没到。"},
            {"role": "agent", "text": "您好,非常抱歉让您久等了,请问订单号是多少?"},
            {"role": "customer", "text": "2026110312345678。"},
            {"role": "agent", "text": "我马上帮您催件,今天下午给您回电。"},
        ],
    }
    sid, effective = mentor.import_transcript(services, MENTOR, json.dumps(log, ensure_ascii=False), "alice", "zh-CN")
    row = services.store.get_session(sid)
    assert row.user_name == "alice" and row.source == "import" and row.status == "graded"
    assert effective is not None
    assert len(effective.report.criteria) == len(services.library().require_rubric().criteria)
    assert scorecards.scorecard(services, ALICE, sid).session_id == sid  # the trainee sees it as theirs

    with pytest.raises(AppError) as caught:
        mentor.import_transcript(services, MENTOR, '{"language": "fr", "turns": [], "extra": 1}', None, "en")
    assert caught.value.key == "import_invalid" and "extra" in caught.value.message("en")
    with pytest.raises(AppError) as caught:
        mentor.import_transcript(services, MENTOR, json.dumps({**log, "case_id": "nope"}), None, "en")
    assert caught.value.key == "unknown_case"


def test_mentor_import_uses_the_import_path_and_a_mentor_can_delete_it(services: AppServices) -> None:
    log = {
        "language": "zh-CN",
        "turns": [
            {"role": "system", "content": "会话已转接人工客服"},
            {"role": "user", "content": "我的快递三天没动了，电话13812345678，你们查一下"},
            {"role": "assistant", "content": "您好，我是客服小王，让您久等了，非常抱歉。请问您的订单号是多少？"},
            {"role": "user", "content": "2026110312345678"},
            {"role": "assistant", "content": "我马上帮您催件，今天下午给您回电。"},
        ],
    }
    text = "\ufeff" + json.dumps(log, ensure_ascii=False)
    sid, effective = mentor.import_transcript(services, MENTOR, text, "alice", "zh-CN")
    stored = services.store.transcript(sid)
    assert [turn.role for turn in stored.turns] == ["system", "customer", "agent", "customer", "agent"]
    assert "13812345678" not in stored.turns[1].text and "[电话]" in stored.turns[1].text
    assert effective is not None
    assert all(e.turn in (2, 4) for c in effective.report.criteria for e in c.evidence)  # never the system line
    (note,) = services.store.annotations(sid)
    assert note.author == mentor.IMPORT_AUTHOR and "1 处个人信息" in note.text
    messages = mentor.replay_messages(mentor.load_replay(services, MENTOR, sid, "zh-CN"), None, "zh-CN")
    assert any("系统" in str(m["content"]) and "转接" in str(m["content"]) for m in messages)

    # Only a mentor deletes, and only imports: a trainee's drill stays on record.
    with pytest.raises(AccessDenied):
        mentor.delete_import(services, ALICE, sid)
    own = drill(services, ALICE, *GOOD)
    with pytest.raises(AppError) as caught:
        mentor.delete_import(services, MENTOR, own.session_id)
    assert caught.value.key == "delete_not_import"
    mentor.delete_import(services, MENTOR, sid)
    with pytest.raises(SessionNotFound):
        mentor.load_replay(services, MENTOR, sid, "en")
    assert services.store.latest_report(sid) is None and services.store.annotations(sid) == []
    with pytest.raises(SessionNotFound):
        mentor.delete_import(services, MENTOR, sid)


def test_mentor_import_refuses_deep_and_oversize_json(services: AppServices, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AppError) as caught:
        mentor.import_transcript(services, MENTOR, "[" * 100_000 + "]" * 100_000, None, "en")
    assert "nested too deeply" in caught.value.message("en")
    monkeypatch.setenv("DRILL_MAX_TRANSCRIPT_BYTES", "100")
    with pytest.raises(AppError) as caught:
        mentor.import_transcript(
            services, MENTOR, json.dumps({"language": "en", "turns": [], "x": "y" * 200}), None, "en"
        )
    assert "DRILL_MAX_TRANSCRIPT_BYTES" in caught.value.message("en")


# ---------------------------------------------------------------------------------------------
# Trainer


def persona_yaml(persona_id: str = "night_nurse", **overrides: object) -> str:
    data = persona_data("impatient", persona_id=persona_id, **overrides)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_validation_reports_problems_with_line_numbers_before_saving(services: AppServices) -> None:
    text = persona_yaml().replace("patience:", "patiense:", 1)
    checked = trainer.validate_yaml(services, "persona", text)
    assert not checked.ok
    typo = next(p for p in checked.problems if "patiense" in p.message)
    assert text.splitlines()[typo.line - 1].strip().startswith("patiense:")
    assert "did you mean 'patience'" in typo.message
    rendered = problems_markdown(checked.problems, text, "zh-CN")
    assert f"第 {typo.line} 行" in rendered and "patiense" in rendered
    # the editor's problems read in the trainer's language (the regression: they kept English)
    assert "未知的键 'patiense';是不是想写 'patience'?" in rendered and "did you mean" not in rendered
    assert "did you mean 'patience'" in problems_markdown(checked.problems, text, "en")

    mismatch = trainer.validate_yaml(services, "persona", persona_yaml(), "other_name.yaml")
    assert any("does not match the file name" in p.message for p in mismatch.problems)
    taken = trainer.validate_yaml(services, "persona", persona_yaml(PERSONA), "copy_of_rational.yaml")
    assert any("already used" in p.message or "does not match" in p.message for p in taken.problems)
    assert "与文件名 'other_name.yaml' 不一致" in problems_markdown(mismatch.problems, "", "zh-CN")
    syntax = trainer.validate_yaml(services, "persona", "id: [unclosed\n", "broken.yaml")
    assert syntax.problems and syntax.problems[0].line >= 1
    assert "YAML 语法错误" in problems_markdown(syntax.problems, "id: [unclosed\n", "zh-CN")
    with pytest.raises(AppError):
        trainer.save_yaml(services, TRAINER, "persona", text, "night_nurse.yaml")
    assert not (services.settings.personas_dir / "night_nurse.yaml").exists()


def test_a_case_must_name_known_personas_and_criteria(services: AppServices, content_dir: Path) -> None:
    data = yaml.safe_load((content_dir / "casebank" / f"{ZH_CASE}.yaml").read_text("utf-8"))
    data.update(id="zh-test-new-case", personas=["test_rational", "ghost"])
    data.update(focus_criteria=["standard_phrasing", "charm"])
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    checked = trainer.validate_yaml(services, "case", text)
    messages = [p.message for p in checked.problems]
    assert any("unknown persona 'ghost'" in m for m in messages)
    assert any("unknown rubric criterion 'charm'" in m for m in messages)
    ghost = next(p for p in checked.problems if "ghost" in p.message)
    assert "ghost" in text.splitlines()[ghost.line - 1]


def test_a_saved_persona_appears_for_trainees_without_a_restart(services: AppServices) -> None:
    assert "night_nurse" not in dict((v, k) for k, v in scenario_choice.persona_options(services.library(), None, "en"))
    result = trainer.save_yaml(services, TRAINER, "persona", persona_yaml(), None)
    assert result.path == services.settings.personas_dir / "night_nurse.yaml" and not result.replaced
    options = [value for _, value in scenario_choice.persona_options(services.library(), None, "en")]
    assert "night_nurse" in options
    view = trainee.start_session(services, ALICE, "night_nurse", ZH_CASE)
    assert view.persona_id == "night_nurse"
    with pytest.raises(AppError) as caught:
        trainer.save_yaml(services, TRAINER, "persona", persona_yaml(), None)
    assert caught.value.key == "file_exists"
    again = trainer.save_yaml(
        services, TRAINER, "persona", persona_yaml(label={"zh": "夜班护士", "en": "Nurse"}), None, replace=True
    )
    assert again.replaced and services.library().personas["night_nurse"].label.en == "Nurse"


def test_a_file_dropped_into_the_folder_is_picked_up(services: AppServices) -> None:
    services.library()
    (services.settings.personas_dir / "dropped_in.yaml").write_text(persona_yaml("dropped_in"), encoding="utf-8")
    assert "dropped_in" in services.library().personas


def test_saving_a_case_syncs_the_index_and_survives_an_index_failure(
    services: AppServices, index: RecordingIndex, content_dir: Path
) -> None:
    data = yaml.safe_load((content_dir / "casebank" / f"{ZH_CASE}.yaml").read_text("utf-8"))
    data["id"] = "zh-test-second-case"
    result = trainer.save_yaml(services, TRAINER, "case", yaml.safe_dump(data, allow_unicode=True), None)
    assert result.index_summary == "3 cases" and "zh-test-second-case" in index.synced[-1]
    index.fail = True
    data["id"] = "zh-test-third-case"
    result = trainer.save_yaml(services, TRAINER, "case", yaml.safe_dump(data, allow_unicode=True), None)
    assert result.warnings and "chroma is down" in result.warnings[0]
    assert "zh-test-third-case" in services.library().cases


def test_preview_plays_an_unsaved_persona_offline(services: AppServices) -> None:
    preview = trainer.preview_conversation(services, TRAINER, "persona", persona_yaml(), ZH_CASE, ["请问订单号是多少?"])
    assert [m["role"] for m in preview.messages] == ["assistant", "user", "assistant"]
    assert "2026110312345678" in preview.messages[-1]["content"]
    assert not (services.settings.personas_dir / "night_nurse.yaml").exists()
    with pytest.raises(AppError):
        trainer.preview_conversation(services, TRAINER, "persona", "id: 1", ZH_CASE, [])


def test_trainer_library_rows(services: AppServices) -> None:
    library = services.library()
    assert [row[0] for row in trainer.persona_rows(library, "en")] == sorted(library.personas)
    assert {row[2] for row in trainer.case_rows(library, "zh-CN")} == {"物流配送", "费用争议"}
    assert {row[3] for row in trainer.case_rows(library, "zh-CN")} == {"电商零售"}
    # types and languages read in the UI language, not as ids
    zh_rows = trainer.persona_rows(library, "zh-CN")
    assert {row[2] for row in zh_rows} <= {"理性型", "感性型", "急躁型", "疑虑型", "老年客户", "索赔型", "敌对型"}
    assert all(row[4] in ("中文, 英文", "中文", "英文") for row in zh_rows)
    assert {row[4] for row in trainer.case_rows(library, "zh-CN")} <= {"中文", "英文"}
    name, text = trainer.source_text(services, "case", ZH_CASE)
    assert name == f"{ZH_CASE}.yaml" and "hidden_facts" in text


# ---------------------------------------------------------------------------------------------
# Languages and small views


def test_every_ui_string_exists_in_both_languages() -> None:
    for key in keys():
        assert t(key, "en").strip() and t(key, "zh-CN").strip()
        assert t(key, "zh-CN") != t(key, "en") or key in {"export_html"}
    source = "\n".join(p.read_text("utf-8") for p in (Path(__file__).parents[1] / "simulator" / "app").glob("*.py"))
    calls = r"""(?:\bt|tx|texts|AppError|SessionNotFound|AccessDenied)\(\s*["']([a-z_.]+[a-z])["']"""
    used = set(re.findall(calls, source))
    # keyword values naming a string key; plain component labels used only as API names are left out
    api_labels = {
        "status", "verdict", "scorecard", "patience_meter", "scenario_card", "library_note", "problems",
        "persona_detail", "case_detail", "preview_status", "comment_status", "override_status",
    }  # fmt: skip
    keyword = r'(?:label|value|placeholder)="([a-z_]+)"'
    used |= set(re.findall(keyword, source)) - {"auto", "any", "overall"} - api_labels
    missing = sorted(key for key in used if key not in keys())
    assert not missing


def test_language_follows_the_switch_then_the_browser() -> None:
    assert language_from_header("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert language_from_header("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert language_from_header("fr-FR,zh;q=0.5") == "zh-CN"
    assert language_from_header("") == "en"
    assert resolve_language("en", "zh-CN") == "en"
    assert resolve_language("auto", "zh-CN") == "zh-CN"


def test_patience_meter_and_mood_curve() -> None:
    calm, furious = patience_meter(1, "en"), patience_meter(10, "zh-CN")
    # one scale everywhere: the number is the mood, 10 = furious, with its legend
    assert 'aria-valuenow="1"' in calm and "1/10 · calm" in calm and "10 = furious" in calm
    assert 'aria-valuenow="10"' in furious and "10/10 · 暴怒" in furious and "10 = 暴怒" in furious
    assert mood_svg([]) == "" and mood_svg([(0, 5), (2, 7)]).count("<circle") == 2


def test_the_headers_engine_line_does_not_load_langchain() -> None:
    # The header is written at every page load: describing an offline engine must not import the
    # LLM stack (LangChain took 17 s of a loaded machine's first page load).
    import subprocess
    import sys

    code = (
        "import sys; from types import SimpleNamespace; from simulator.app.services import AppServices; "
        "settings = SimpleNamespace(llm_configured=False); "
        "print(AppServices.engine_description(SimpleNamespace(settings=settings)), 'langchain_core' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["offline", "False"]
