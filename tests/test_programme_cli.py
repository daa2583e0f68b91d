"""`drill assess|assign|team|eval feedback|users team` end to end on one database, through click's runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import main
from simulator.cli.programme_common import programme_for
from simulator.config import load_settings
from simulator.content import load_library
from simulator.programme.service import Programme
from tests.programme_fixtures import graded_session, make_people, write_programme_content


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    content = write_programme_content(tmp_path / "content")
    make_people(tmp_path / "users.yaml")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    monkeypatch.setenv("DRILL_USERS_FILE", str(tmp_path / "users.yaml"))
    return tmp_path


def drill(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def programme() -> Programme:
    return programme_for(load_settings())  # the database's accounts, where the CLI imported the users file


def test_the_whole_assessment_from_the_command_line(env: Path) -> None:
    created = CliRunner().invoke(
        main, ["assess", "create", "--trainee", "ann", "--title", "11月考核", "--seed", "3", "--json"]
    )
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    assessment_id = data["id"]
    (candidate,) = data["candidates"]
    cards = [item for attempt in candidate["attempts"] if attempt["part"] == "practical" for item in attempt["items"]]
    assert len(cards) == 2 and all(card["case_id"].startswith("zh-exam-") for card in cards)

    # ann takes the exam and plays her cards in the app (here: through the same services)
    services = programme()
    library = load_library(env / "content")
    ann = services.find_user("ann")
    assert ann is not None
    exam = services.assessments.start_theory(ann, library, assessment_id)
    answers = {}
    for shown in exam.questions:
        question = library.questions[shown.question["id"]].question
        keys = sorted(question.correct_keys())
        answers[question.id] = (
            question.answer if question.type == "true_false" else keys if question.type == "multiple" else keys[0]
        )
    services.quizzes.submit(ann, exam.id, answers)
    store = services.db.store
    for position, card in enumerate(cards, start=1):
        sid = graded_session(store, "ann", total=90, case_id=card["case_id"], source="exam")
        services.assessments.link_card_session(ann, assessment_id, position, store.get_session(sid))
    chats = [graded_session(store, "ann", total=total, source="import") for total in (70, 80)]

    chat_file = env / "chat.json"
    chat_file.write_text(
        json.dumps(
            {
                "language": "zh-CN",
                "turns": [
                    {"role": "customer", "text": "我的快递三天没动了。"},
                    {"role": "agent", "text": "您好，我是客服小林，让您久等了，非常抱歉。请问您的订单号是多少？"},
                    {"role": "customer", "text": "订单号是1234。"},
                    {"role": "agent", "text": "我马上帮您联系物流催件，今天下午五点前给您回电，您看可以吗？"},
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    added = drill(
        "assess",
        "add-chats",
        assessment_id,
        "--trainee",
        "ann",
        "--session",
        chats[0],
        "--session",
        chats[1],
        str(chat_file),
    )
    assert added.exit_code == 0, added.output
    assert "ann has 3 real chat(s) in this attempt (3-5 count when used)" in added.stdout

    status = drill("assess", "status", assessment_id)
    assert status.exit_code == 0 and "ann [open]" in status.stdout
    assert "card 1: zh-exam-" in status.stdout and "real_chat 3:" in status.stdout

    closed = drill("assess", "close", assessment_id)
    assert closed.exit_code == 0, closed.output
    assert closed.stdout.startswith("ann: theory 100, practical ")

    out = env / "reports"
    exported = drill("assess", "export", assessment_id, "--format", "md", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    report = Path(exported.stdout.strip()).read_text(encoding="utf-8")
    assert "# 11月考核 · ann" in report and "理论考核（占 30%）" in report and "考试卡" in report
    html_export = drill("assess", "export", assessment_id, "--language", "en", "--out", str(out))
    page = Path(html_export.stdout.strip()).read_text(encoding="utf-8")
    assert "<title>11月考核 · ann</title>" in page and "Theory (30 %)" in page and "<script" not in page

    listed = drill("assess", "status", "--json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [assessment_id]


def test_a_mentor_acts_for_their_own_team_only(env: Path) -> None:
    refused = drill("assess", "create", "--trainee", "cy", "--title", "t", "--by", "mia")
    assert refused.exit_code == 2
    assert "'cy' is not in a team you coach" in refused.stderr
    not_a_mentor = drill("assess", "create", "--trainee", "ann", "--title", "t", "--by", "ann")
    assert not_a_mentor.exit_code == 2 and "no mentor or admin account" in not_a_mentor.stderr
    too_few = drill("assess", "create", "--trainee", "ann", "--title", "t", "--difficulty", "hard")
    assert too_few.exit_code == 2 and "casebank/exam/" in too_few.stderr


def test_assign_and_follow_a_curriculum(env: Path) -> None:
    done = drill(
        "assign",
        "curriculum",
        "zh-starter",
        "--trainee",
        "ann",
        "--trainee",
        "bo",
        "--start",
        "2026-11-02",
        "--by",
        "mia",
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == ["ann: 2 item(s) of zh-starter assigned", "bo: 2 item(s) of zh-starter assigned"]
    drill("assign", "drill", "en-test-double-charge", "--trainee", "ann", "--due", "2026-11-03", "--target", "85")
    listed = drill("assign", "list", "--trainee", "ann", "--json")
    items = json.loads(listed.stdout)
    assert [(i["kind"], i["due_on"], i["target"]) for i in items] == [
        ("quiz", "2026-11-03", 80.0),
        ("drill", "2026-11-03", 85.0),
        ("drill", "2026-11-05", 80.0),
    ]
    overdue = drill("assign", "list", "--overdue", "--by", "mia")
    assert "OVERDUE" in overdue.stdout and "bo" in overdue.stdout
    bad = drill("assign", "drill", "zh-test-late-parcel", "--trainee", "ann", "--due", "next week")
    assert bad.exit_code == 2 and "write it as YYYY-MM-DD" in bad.output
    cancelled = drill("assign", "cancel", str(items[0]["id"]))
    assert cancelled.exit_code == 0


def test_team_month_as_csv_and_feedback_agreement(env: Path) -> None:
    services = programme()
    store = services.db.store
    sessions = [graded_session(store, "ann", total=total) for total in (92, 85, 88)]
    graded_session(store, "bo", total=70)
    ann = services.find_user("ann")
    assert ann is not None
    services.ratings.rate(ann, sessions[0], fair=1, useful=2, comment="不公平")
    store.add_override(sessions[0], criterion_id="standard_phrasing", new_score=5, reason="问候完整", author="mia")
    services.ratings.rate(ann, sessions[1], fair=5, useful=5)
    month = datetime.now().astimezone().strftime("%Y-%m")
    result = drill("team", "--month", month, "--by", "mia", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["trainee"], r["drills"], r["best_performer_rank"]) for r in rows] == [("ann", "3", "1"), ("bo", "1", "")]
    table = drill("team", "--month", month)
    assert "best performers" in table.stdout and "1. ann" in table.stdout
    assert "cy" in table.stdout  # the CLI administrator sees every team
    wrong = drill("team", "--month", "2026-13")
    assert wrong.exit_code == 2 and "YYYY-MM" in wrong.stderr
    feedback = drill("eval", "feedback", "--json")
    report = json.loads(feedback.stdout)
    assert report["sessions"] == 2 and report["unfair_and_overridden"] == 1 and report["fair_not_overridden"] == 1
    assert report["agreement"] == 1.0


def test_users_team_changes_teams_without_the_password(env: Path) -> None:
    moved = drill("users", "team", "bo", "--team", "south")
    assert moved.exit_code == 0 and "bo: team south" in moved.stdout
    coach = drill("users", "team", "mia", "--mentor-of", "north", "--mentor-of", "east")
    assert "coaches east, north" in coach.stdout
    listed = drill("users", "list")
    line = next(line for line in listed.stdout.splitlines() if line.startswith("bo "))
    assert "team south" in line
    assert drill("users", "team", "nobody", "--team", "x").exit_code == 2
    assert drill("users", "team", "bo", "--team", "Bad Team").exit_code == 2
