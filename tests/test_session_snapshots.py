"""Each session keeps the persona and case it was played with, and the grader version in force.

Editing or deleting a persona or case file after a drill never changes that drill's continuation,
replay, regrade or scorecard; sessions stored before snapshots existed keep working with the
current files and say so to the mentor. SQLite and PostgreSQL (``database_url``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from simulator.accounts import User
from simulator.app import mentor, scorecards, trainee
from simulator.app.i18n import t
from simulator.app.services import AppServices
from simulator.config import load_settings
from simulator.content import load_library
from simulator.models import Case
from simulator.store_snapshots import ContentSnapshotRow, content_hash, uses_current_content
from tests.offline_fixtures import write_content

ALICE = User("alice", frozenset({"trainee"}))
MENTOR = User("maria", frozenset({"mentor"}))
PERSONA, CASE = "test_rational", "zh-test-late-parcel"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content(tmp_path / "content")


def _services(content_dir: Path, database_url: str) -> AppServices:
    settings = dataclasses.replace(load_settings(), content_dir=content_dir, database_url=database_url)
    return AppServices(settings, index_sync=lambda library: "")


def _case_file(content_dir: Path) -> Path:
    return content_dir / "casebank" / f"{CASE}.yaml"


def _edit_case(content_dir: Path, **changes: object) -> None:
    path = _case_file(content_dir)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _played(services: AppServices) -> str:
    view = trainee.start_session(services, ALICE, PERSONA, CASE)
    for text in ("您好,这里是售后,请问您的订单号是多少?", "非常抱歉让您久等了,我马上帮您查物流。"):
        list(trainee.send_message(services, ALICE, view.session_id, text))
    return view.session_id


def test_a_drill_records_its_content_and_grader(content_dir: Path, database_url: str) -> None:
    services = _services(content_dir, database_url)
    first, second = _played(services), _played(services)
    library = load_library(content_dir)
    row = services.store.get_session(first)
    assert row.persona_hash == content_hash(library.persona(PERSONA))
    assert row.case_hash == content_hash(library.case(CASE))
    grader = row.grader_version or {}
    assert grader["engine"] == "offline"
    assert grader["rubric"] == {"version": library.require_rubric().version, "hash": content_hash(library.rubric)}  # type: ignore[arg-type]
    assert len(grader["weights"]["hash"]) == 16 and grader["weights"]["version"]
    assert len(grader["recogniser"]["model_hash"]) == 16 and grader["recogniser"]["encoder"]
    # one snapshot per distinct content, however many sessions use it
    assert services.store.get_session(second).case_hash == row.case_hash
    with Session(services.store.engine) as db:
        assert db.scalar(select(func.count()).select_from(ContentSnapshotRow)) == 2
        stored_case = db.get(ContentSnapshotRow, row.case_hash)
        assert stored_case is not None and stored_case.kind == "case" and stored_case.item_id == CASE
        assert Case.model_validate(stored_case.body) == library.case(CASE)
    assert not uses_current_content(row)


def test_editing_the_case_after_a_drill_changes_neither_replay_nor_regrade(
    content_dir: Path, database_url: str
) -> None:
    services = _services(content_dir, database_url)
    session_id = _played(services)
    card = trainee.end_session(services, ALICE, session_id)
    before = services.store.latest_report(session_id)
    assert before is not None and card.case is not None and card.case.title == "扫地机器人迟迟未到"

    _edit_case(content_dir, title="改过的标题", situation="客户昨天下单,今天就来催。")
    assert services.library().case(CASE).title == "改过的标题"  # the app sees the edit at once

    regraded = services.grade_session(session_id, again=True)
    assert regraded.model_dump(exclude={"grader"}) == before.model_dump(exclude={"grader"})
    replay = mentor.load_replay(services, MENTOR, session_id, "zh-CN")
    assert replay.case is not None and replay.case.title == "扫地机器人迟迟未到"
    assert replay.case.situation.startswith("客户11月3日下单")
    assert replay.session["case"] == "扫地机器人迟迟未到"  # the header, and the exported report
    assert not replay.current_content
    assert scorecards.scorecard(services, ALICE, session_id).case.title == "扫地机器人迟迟未到"  # type: ignore[union-attr]


def test_deleted_content_still_replays_regrades_and_plays_on(content_dir: Path, database_url: str) -> None:
    services = _services(content_dir, database_url)
    finished = _played(services)
    trainee.end_session(services, ALICE, finished)
    still_open = _played(services)
    _case_file(content_dir).unlink()
    (content_dir / "personas" / f"{PERSONA}.yaml").unlink()
    assert CASE not in services.library().cases and PERSONA not in services.library().personas

    report = services.grade_session(finished, again=True)  # graded against the snapshot, not refused
    assert report.references[:1] == [CASE]
    replay = mentor.load_replay(services, MENTOR, finished, "en")
    assert replay.case is not None and replay.persona is not None and replay.persona.id == PERSONA
    # an open drill whose files are gone goes on (rebuilt from the store and its snapshots)
    services.forget_live(still_open)
    after = list(trainee.send_message(services, ALICE, still_open, "我帮您申请加急配送,今天之内联系您。"))[-1]
    assert len(after.messages) == 7
    card = trainee.end_session(services, ALICE, still_open)
    assert card.case is not None and card.case.id == CASE


def test_a_session_from_before_snapshots_uses_current_content_and_says_so(content_dir: Path, database_url: str) -> None:
    services = _services(content_dir, database_url)
    session_id = _played(services)
    with Session(services.store.engine) as db:  # what migration 10 leaves on an earlier session
        row = db.get(type(services.store.get_session(session_id)), session_id)
        assert row is not None
        row.persona_hash = row.case_hash = None
        row.grader_version = None
        db.commit()
    _edit_case(content_dir, title="改过的标题")
    trainee.end_session(services, ALICE, session_id)  # graded with today's case
    replay = mentor.load_replay(services, MENTOR, session_id, "zh-CN")
    assert replay.current_content and replay.case is not None and replay.case.title == "改过的标题"
    assert "before drill kept a copy" in t("content_not_snapshotted", "en")
    assert "当前的客户设定与案例文件" in t("content_not_snapshotted", "zh-CN")
    # a chat log with no persona or case has nothing to snapshot and no notice
    imported = services.store.create_session(user_name="alice", language="zh-CN", source="import")
    assert not uses_current_content(services.store.get_session(imported))


def test_migration_10_upgrades_a_database_with_sessions_from_before(database_url: str) -> None:
    from sqlalchemy import text

    from simulator.migrations import MIGRATIONS, _m10_session_snapshots
    from simulator.store import SessionStore

    version = MIGRATIONS.index(_m10_session_snapshots) + 1

    store = SessionStore(database_url)
    old = store.create_session(user_name="alice", language="zh-CN", persona_id=PERSONA, case_id=CASE)
    with store.engine.begin() as connection:  # back to the schema of version 9, with that session in it
        connection.execute(text("DROP TABLE content_snapshots"))
        for column in ("persona_hash", "case_hash", "grader_version"):
            connection.execute(text(f"ALTER TABLE sessions DROP COLUMN {column}"))
        connection.execute(text("DELETE FROM schema_migrations WHERE version = :v"), {"v": version})
    store.engine.dispose()

    upgraded = SessionStore(database_url)
    assert upgraded.schema_version() == len(MIGRATIONS)
    columns = {column["name"] for column in inspect(upgraded.engine).get_columns("sessions")}
    assert {"persona_hash", "case_hash", "grader_version"} <= columns
    assert "content_snapshots" in upgraded.table_names()
    row = upgraded.get_session(old)
    assert row.persona_hash is None and row.grader_version is None and uses_current_content(row)


def test_an_assessment_record_names_and_regrades_an_exam_card_as_played(tmp_path: Path) -> None:
    from simulator.app import team, training
    from simulator.app.programme_views import ANY
    from tests.programme_fixtures import make_people, write_programme_content

    people = make_people(tmp_path / "users.yaml")
    settings = dataclasses.replace(
        load_settings(),
        content_dir=write_programme_content(tmp_path / "content"),
        data_dir=tmp_path / "data",
        database_url=None,
        users_file=tmp_path / "users.yaml",
    )
    services = AppServices(settings, index_sync=lambda library: "")
    assessment_id = team.create_assessment(services, people.mia, ["ann"], "上岗考核", "zh-CN", ANY, ANY, ANY)
    played = training.play_card(services, people.ann, assessment_id, 1)
    session_id, case_id = played.view.session_id, played.view.case_id
    for line in ("您好,我是客服小林,让您久等了。", "请问您的订单号是多少?"):
        list(trainee.send_message(services, people.ann, session_id, line))
    training.end_card(services, people.ann, assessment_id, session_id)
    title = load_library(settings.content_dir).exam_case(case_id).title
    (settings.content_dir / "casebank" / "exam" / f"{case_id}.yaml").unlink()  # the card is retired

    assert services.grade_session(session_id, again=True).references[:1] == [case_id]
    out = tmp_path / "exports"
    out.mkdir()
    report = team.export(services, people.mia, assessment_id, "ann", "md", "zh-CN", out).read_text(encoding="utf-8")
    assert title in report


def test_an_imported_chat_log_pins_the_case_it_names(content_dir: Path, database_url: str) -> None:
    import json

    services = _services(content_dir, database_url)
    chat = {
        "language": "zh-CN",
        "case_id": CASE,
        "turns": [
            {"role": "customer", "text": "我买的扫地机器人一个星期了还没到。"},
            {"role": "agent", "text": "非常抱歉让您久等了,请问您的订单号是多少?"},
            {"role": "customer", "text": "2026110312345678。"},
            {"role": "agent", "text": "我马上帮您催物流,今天下午五点前给您回电。"},
        ],
    }
    session_id, _ = mentor.import_transcript(services, MENTOR, json.dumps(chat, ensure_ascii=False), "alice", "zh-CN")
    row = services.store.get_session(session_id)
    assert row.case_hash == content_hash(load_library(content_dir).case(CASE)) and row.persona_hash is None
    assert (row.grader_version or {})["engine"] == "offline"
    _case_file(content_dir).unlink()
    assert services.grade_session(session_id, again=True).references[:1] == [CASE]
    assert not mentor.load_replay(services, MENTOR, session_id, "en").current_content
