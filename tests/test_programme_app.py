"""The programme's app handlers on real services: exam cards played and kept back, quizzes, assignments,
ratings, and the mentor's team handlers, with who may do what."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.accounts import User
from simulator.app import scorecards, team, trainee, trainee_history, training
from simulator.app.i18n import AppError
from simulator.app.programme_views import ANY, assessment_markdown, md, question_markdown, review_markdown
from simulator.app.services import AppServices, SessionNotFound
from simulator.config import load_settings
from simulator.programme.errors import NotAllowed
from simulator.programme.quiz_attempts import AttemptView
from tests.programme_fixtures import People, make_people, write_programme_content

LINES = (
    "您好，我是客服小林，让您久等了，非常抱歉。",
    "请问您的订单号是多少？",
    "我马上帮您联系物流催件，今天下午五点前给您回电。",
)


@pytest.fixture
def people(tmp_path: Path) -> People:
    return make_people(tmp_path / "users.yaml")


@pytest.fixture
def services(tmp_path: Path, people: People) -> AppServices:
    settings = dataclasses.replace(
        load_settings(),
        content_dir=write_programme_content(tmp_path / "content"),
        data_dir=tmp_path / "data",
        database_url=None,
        llm_base_url=None,
        llm_api_key=None,
        users_file=tmp_path / "users.yaml",
    )
    return AppServices(settings, index_sync=lambda library: "")


def create(services: AppServices, people: People) -> str:
    return team.create_assessment(services, people.mia, ["ann"], "上岗考核", "zh-CN", ANY, ANY, ANY)


def play(services: AppServices, user: User, session_id: str) -> None:
    for line in LINES:
        list(trainee.send_message(services, user, session_id, line))


# ---------------------------------------------------------------------------------------------
# Exam cards


def test_an_exam_card_is_played_graded_and_kept_back_until_the_result_is_out(
    services: AppServices, people: People
) -> None:
    assessment_id = create(services, people)
    played = training.play_card(services, people.ann, assessment_id, 1)
    sid = played.view.session_id
    assert played.view.messages and played.view.case_id.startswith("zh-exam-")
    # the practice panel never resumes an exam card, and practice lists never show it
    assert trainee.resume_open_session(services, people.ann) is None
    play(services, people.ann, sid)
    assert training.end_card(services, people.ann, assessment_id, sid) == "graded"
    assert services.store.get_session(sid).status == "graded"
    assert all(row.source != "exam" for row in trainee_history.own_sessions(services, people.ann))
    with pytest.raises(SessionNotFound):  # nor does "My sessions" open it, whatever id the browser sends
        trainee_history.own_session(services, people.ann, sid)
    with pytest.raises(AppError) as caught:
        scorecards.scorecard(services, people.ann, sid)
    assert caught.value.key == "exam_results_after_close"
    with pytest.raises(AppError):
        training.rate(services, people.ann, sid, 3, 3, "")
    # the card cannot be played twice, nor by another trainee
    with pytest.raises(AppError, match="already been played"):
        training.play_card(services, people.ann, assessment_id, 1)
    with pytest.raises(NotAllowed):
        training.play_card(services, people.bo, assessment_id, 1)
    # a mentor sees it; once closed, the trainee too
    assert scorecards.scorecard(services, people.mia, sid).session_id == sid
    second = training.play_card(services, people.ann, assessment_id, 2)
    play(services, people.ann, second.view.session_id)
    training.end_card(services, people.ann, assessment_id, second.view.session_id)
    exam = training.start_exam(services, people.ann, assessment_id)
    training.hand_in(services, people.ann, exam.id)
    result = team.close(services, people.mia, assessment_id, "ann")
    assert result.theory == 0.0 and result.practical is not None
    card = scorecards.scorecard(services, people.ann, sid)
    assert card.case is None or card.case.id.startswith("zh-exam-")
    assert training.rate(services, people.ann, sid, 4, 5, "考核题目贴近实际").fair == 4


def test_an_exam_card_cannot_be_handed_in_through_another_assessment(services: AppServices, people: People) -> None:
    first = create(services, people)
    second = create(services, people)
    played = training.play_card(services, people.ann, first, 1)
    with pytest.raises(AppError, match="does not play this card"):
        training.end_card(services, people.ann, second, played.view.session_id)


# ---------------------------------------------------------------------------------------------
# Quizzes and assignments


def test_a_practice_quiz_is_bounded_and_never_sends_the_key_first(services: AppServices, people: People) -> None:
    with pytest.raises(AppError, match="1 to 30"):
        training.start_practice_quiz(services, people.ann, "zh-CN", ANY, ANY, 0)
    with pytest.raises(AppError):
        training.start_practice_quiz(services, people.mia, "zh-CN", ANY, ANY, 5)
    view = training.start_practice_quiz(services, people.ann, "zh-CN", "scenario", ANY, 3)
    assert view.total == 3 and all(q.explanation is None for q in view.questions)
    assert review_markdown(view, "zh-CN") == ""
    with pytest.raises(AppError):
        training.answer(services, people.ann, None, None, "a")


def test_assignments_start_a_quiz_or_a_practice_drill(services: AppServices, people: People) -> None:
    count = team.assign(services, people.mia, ["ann"], "zh-starter", None, "2026-11-02", None)
    assert count == 2
    quiz, drill = training.my_assignments(services, people.ann)
    started = training.start_assignment(services, people.ann, quiz.id)
    assert isinstance(started, AttemptView) and started.assignment_id == quiz.id
    view = training.start_assignment(services, people.ann, drill.id)
    assert not isinstance(view, AttemptView) and view.case_id == "zh-test-late-parcel"
    assert services.store.get_session(view.session_id).source == "drill"
    with pytest.raises(NotAllowed):
        training.start_assignment(services, people.bo, drill.id)
    with pytest.raises(AppError):
        training.start_assignment(services, people.ann, "not a number")
    with pytest.raises(AppError, match="due date"):
        team.assign(services, people.mia, ["ann"], ANY, "zh-test-late-parcel", "", 80)
    with pytest.raises(AppError, match="not a date"):
        team.assign(services, people.mia, ["ann"], ANY, "zh-test-late-parcel", "tomorrow", 80)


# ---------------------------------------------------------------------------------------------
# The mentor's side


def test_the_team_handlers_are_for_coaches_of_the_team(services: AppServices, people: People, tmp_path: Path) -> None:
    with pytest.raises(AppError):
        team.team_month(services, people.ann, None, None)
    with pytest.raises(AppError):
        team.create_assessment(services, people.tom, ["ann"], "t", "zh-CN", ANY, ANY, ANY)
    assert [p.name for p in team.my_trainees(services, people.mia)] == ["ann", "bo"]
    assert [p.name for p in team.my_trainees(services, people.root)] == ["ann", "bo", "cy"]
    assessment_id = create(services, people)
    assert team.assessment_choices(services, people.sam) == []
    with pytest.raises(NotAllowed):
        team.assessment_status(services, people.sam, assessment_id)
    with pytest.raises(NotAllowed):
        team.export(services, people.sam, assessment_id, "ann", "html", "en", tmp_path)
    out = tmp_path / "exports"
    out.mkdir()
    path = team.export(services, people.mia, assessment_id, "ann", "html", "zh-CN", out)
    assert path.parent.parent == out and "上岗考核" in path.read_text(encoding="utf-8")
    csv_path = team.team_csv(services, people.mia, "2026-11", "north", out)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbfmonth,trainee")
    # served by the export route to its author only, under a name the route accepts
    assert (csv_path.parent / ".author").read_text(encoding="utf-8") == "mia"
    assert csv_path.name == "team-2026-11-north.csv"
    assert team.file_part("华东 一组/../x") == "x" and team.file_part("li.na") == "li.na"


def test_real_chats_are_imported_graded_and_counted(services: AppServices, people: People) -> None:
    assessment_id = create(services, people)
    chat = {
        "language": "zh-CN",
        "turns": [
            {"role": "customer", "text": "我的快递三天没动了。"},
            {"role": "agent", "text": "您好，让您久等了，非常抱歉。请问订单号是多少？"},
            {"role": "customer", "text": "订单号1234。"},
            {"role": "agent", "text": "我马上帮您联系物流催件，今天下午给您回电。"},
        ],
    }
    text = json.dumps(chat, ensure_ascii=False)
    assert team.add_chat_texts(services, people.mia, assessment_id, "ann", [text] * 3, "zh-CN") == 3
    with pytest.raises(AppError, match="room for 2 more"):
        team.add_chat_texts(services, people.mia, assessment_id, "ann", [text] * 3, "zh-CN")
    with pytest.raises(AppError):
        team.add_chat_texts(services, people.sam, assessment_id, "ann", [text], "zh-CN")
    (view,) = team.assessment_status(services, people.mia, assessment_id)
    chats = [i for i in view.current("practical").items if i.kind == "real_chat"]
    assert len(chats) == 3 and all(i.state == "graded" and i.score is not None for i in chats)


def test_ratings_reach_the_coach_with_the_overrides(services: AppServices, people: People) -> None:
    view = trainee.start_session(services, people.ann, "test_emotional", "zh-test-late-parcel")
    play(services, people.ann, view.session_id)
    trainee.end_session(services, people.ann, view.session_id)
    training.rate(services, people.ann, view.session_id, 2, 4, "扣分理由不清楚")
    services.store.add_override(
        view.session_id, criterion_id="standard_phrasing", new_score=5, reason="问候完整", author="mia"
    )
    month = team.this_month()
    rows, summary = team.ratings(services, people.mia, month)
    assert [(r.rating.fair, r.overridden, r.rating.comment) for r in rows] == [(2, True, "扣分理由不清楚")]
    assert summary.count == 1 and summary.found_unfair == 1
    assert team.ratings(services, people.sam, month)[0] == []


# ---------------------------------------------------------------------------------------------
# Views


def test_views_escape_what_people_wrote(services: AppServices, people: People) -> None:
    assert md("<img src=x onerror=alert(1)> **bold** [link](http://x)") == (
        "&lt;img src=x onerror=alert(1)&gt; \\*\\*bold\\*\\* \\[link\\](http://x)"
    )
    view = training.start_practice_quiz(services, people.ann, "zh-CN", ANY, ANY, 1)
    assert question_markdown(view.questions[0], "zh-CN").startswith("**1.** 第")
    assessment_id = create(services, people)
    shown = assessment_markdown(training.my_assessment(services, people.ann, assessment_id), "zh-CN")
    assert "理论占 30%，实操占 70%" in shown and "带教老师结束考核后" in shown


def test_no_first_value_of_the_programme_tabs_is_a_catalogue_key(services: AppServices) -> None:
    """Gradio translates a component's first string value that matches a message key in the browser
    (so "any" would reach a handler as "Any" or "全部" until the page load re-sets it)."""
    from simulator.app.ui import build_app
    from simulator.app.ui_common import Texts

    keys = set().union(*(set(table) for table in Texts().i18n.translations.values()))
    demo = build_app(services)

    def walk(block: Any) -> Iterator[Any]:
        yield block
        for child in getattr(block, "children", []):
            yield from walk(child)

    tabs = [block for block in demo.blocks.values() if block.elem_id in ("tab-training", "tab-team")]
    assert len(tabs) == 2
    inside = [component for tab in tabs for component in walk(tab)]
    assert len(inside) > 50
    values = [(type(c).__name__, getattr(c, "value", None)) for c in inside]
    clashing = [(kind, value) for kind, value in values if isinstance(value, str) and value in keys]
    assert clashing == []
