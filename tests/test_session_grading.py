"""Grading can be redone (issue 13 item 2): failures are recorded, not stored as reports; claims
in the database keep two workers from grading one session; a crash's leftovers are swept up."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from simulator import grading_claims
from simulator.accounts import User
from simulator.app import mentor, trainee
from simulator.app.i18n import AppError
from simulator.app.services import AppServices
from simulator.config import PROJECT_DIR, Settings
from simulator.content import load_library
from simulator.errors import GradingBusy, GradingFailed
from simulator.grading import grade
from simulator.grading_claims import GradingJob
from simulator.models import CustomerState, Transcript, Turn
from simulator.store import SessionStore
from simulator.store_rows import GradeRow
from tests.fake_llm import FakeLLM
from tests.offline_fixtures import write_content

ALICE = User("alice", frozenset({"trainee"}))
MIA = User("mia", frozenset({"mentor"}))
EN_CASE = "en-test-double-charge"
AGENT_LINE = "Hi, I'm Sam from billing, and I'm sorry about the double charge."
TURNS = [
    Turn(role="customer", text="I was charged twice!", state=CustomerState(mood=7, goal_met=False)),
    Turn(role="agent", text=AGENT_LINE),
    Turn(role="customer", text="So fix it.", state=CustomerState(mood=6, goal_met=False)),
    Turn(role="agent", text="I have sent the refund for the duplicate charge; it reaches your card in 3-5 days."),
]


@pytest.fixture
def settings(fake_llm: FakeLLM, tmp_path: Path) -> Settings:
    return fake_llm.settings(content_dir=write_content(tmp_path / "content"), llm_max_retries=0)


@pytest.fixture
def services(settings: Settings) -> AppServices:
    return AppServices(settings, index_sync=lambda library: "")


def verdict(services: AppServices) -> dict[str, Any]:
    reply: dict[str, Any] = {"instructions_in_transcript": []}
    for criterion in services.library().require_rubric().criteria:
        reply[criterion.id] = {
            "evidence": [{"turn": 1, "quote": "I'm Sam from billing"}],
            "rationale": "Clear and polite.",
            "basis": "action",
            "score": 4,
            "better_phrasing": "I'm Sam; let me fix that for you now.",
            "source_case_id": None,
        }
    return reply


def stored_session(store: SessionStore, *, user: str = "alice", ended: bool = False) -> str:
    session_id = store.create_session(
        user_name=user, language="en", persona_id="test_rational", case_id=EN_CASE, customer_engine="llm"
    )
    for turn in TURNS:
        store.append_turn(session_id, turn)
    if ended:
        store.end_session(session_id, "abandoned")
    return session_id


def reports(store: SessionStore, session_id: str) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(GradeRow).where(GradeRow.session_id == session_id)
            ).scalar_one()
        )


def judge_requests(fake_llm: FakeLLM) -> int:
    return sum(1 for request in fake_llm.requests if "response_format" in request or "tools" in request)


# ---------------------------------------------------------------------------------------------
# A failed grading is no report, and End / Regrade call the model again


def test_a_failed_grading_is_recorded_with_its_reason_and_end_grades_again(
    services: AppServices, fake_llm: FakeLLM
) -> None:
    session_id = stored_session(services.store)
    fake_llm.enqueue(status=500, error_message="model crashed")

    with pytest.raises(AppError) as caught:
        trainee.end_session(services, ALICE, session_id)
    assert caught.value.key == "grading_failed" and "model crashed" in caught.value.message("en")
    assert services.store.latest_report(session_id) is None  # no all-unscored "report"
    assert services.store.get_session(session_id).status == "ended"
    job = services.grading_state(session_id)
    assert job is not None and job.state == "failed" and "HTTP 500" in (job.reason or "")
    replay = mentor.load_replay(services, MIA, session_id, "en")
    assert replay.grading_failure and "model crashed" in replay.grading_failure

    fake_llm.enqueue(content=verdict(services))
    card = trainee.end_session(services, ALICE, session_id)  # pressing End again calls the judge again
    assert card.effective.report.total == 80 and card.effective.report.grader.engine == "llm"
    assert judge_requests(fake_llm) == 2
    assert services.store.get_session(session_id).status == "graded"
    job = services.grading_state(session_id)
    assert job is not None and (job.state, job.attempts, job.reason) == ("done", 2, None)

    trainee.end_session(services, ALICE, session_id)  # a stored report is shown, not redone
    assert judge_requests(fake_llm) == 2


def test_regrade_calls_the_judge_again_and_keeps_the_earlier_report(services: AppServices, fake_llm: FakeLLM) -> None:
    session_id = stored_session(services.store, ended=True)
    fake_llm.enqueue(content=verdict(services))
    services.grade_session(session_id)
    better = verdict(services)
    better["compliance"]["score"] = 5
    fake_llm.enqueue(content=better)

    effective = mentor.regrade(services, MIA, session_id)
    assert effective is not None and {c.id: c.score for c in effective.report.criteria}["compliance"] == 5
    assert reports(services.store, session_id) == 2 and judge_requests(fake_llm) == 2


def test_grade_raises_instead_of_returning_an_unscored_report(settings: Settings, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=503, error_message="overloaded")
    transcript = Transcript(language="en", case_id=EN_CASE, turns=TURNS)
    with pytest.raises(GradingFailed, match="overloaded"):
        grade(transcript, library=load_library(settings.content_dir), engine="llm", settings=settings)


def test_a_judge_whose_replies_are_all_unusable_is_a_failed_grading(settings: Settings, fake_llm: FakeLLM) -> None:
    for _ in range(3):
        fake_llm.enqueue(content="I would give this agent a four.")
    transcript = Transcript(language="en", case_id=EN_CASE, turns=TURNS)
    with pytest.raises(GradingFailed, match="not a JSON object"):
        grade(transcript, library=load_library(settings.content_dir), engine="llm", settings=settings)


# ---------------------------------------------------------------------------------------------
# Claims


def test_two_workers_racing_for_one_session_claim_it_once(database_url: str) -> None:
    stores = [SessionStore(database_url) for _ in range(2)]  # SQLite, then PostgreSQL when there is one
    session_id = stored_session(stores[0], ended=True)
    results: list[bool] = []
    barrier = threading.Barrier(len(stores))

    def race(store: SessionStore, worker: str) -> None:
        barrier.wait()
        results.append(grading_claims.claim(store, session_id, worker))

    threads = [threading.Thread(target=race, args=(store, f"w{n}")) for n, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_a_live_claim_blocks_a_second_grading_and_a_stale_one_is_taken_over(services: AppServices) -> None:
    store = services.store
    session_id = stored_session(store, ended=True)
    assert grading_claims.claim(store, session_id, "replica-a")
    with pytest.raises(GradingBusy):
        services.grade_session(session_id)
    with pytest.raises(AppError) as caught:
        mentor.regrade(services, MIA, session_id)
    assert caught.value.key == "grading_in_progress"

    later = datetime.now(UTC) + grading_claims.LEASE + timedelta(seconds=1)
    assert grading_claims.claim(store, session_id, "replica-b", now=later)  # replica-a stopped renewing
    assert not grading_claims.renew(store, session_id, "replica-a")
    job = grading_claims.job_state(store, session_id)
    assert job is not None and (job.worker, job.attempts) == ("replica-b", 2)


def test_a_heartbeat_keeps_a_long_grading_claimed(settings: Settings) -> None:
    store = SessionStore(settings.sqlalchemy_url)
    session_id = stored_session(store, ended=True)
    old = datetime.now(UTC) - grading_claims.LEASE - timedelta(seconds=5)
    assert grading_claims.claim(store, session_id, "slow", now=old)
    renewed = threading.Event()
    with grading_claims.Heartbeat(store, session_id, "slow", every_s=0.01):
        while not renewed.wait(0.01):
            with store.engine.connect() as connection:
                beat = connection.execute(select(GradingJob.heartbeat_at)).scalar_one()
            if beat is not None and beat.replace(tzinfo=UTC) > old + timedelta(seconds=1):
                renewed.set()
    assert not grading_claims.claim(store, session_id, "other")


# ---------------------------------------------------------------------------------------------
# The sweep: what a crash left ungraded


def test_the_sweep_grades_what_a_crash_left_and_nothing_else(services: AppServices, fake_llm: FakeLLM) -> None:
    store = services.store
    crashed = stored_session(store, ended=True)
    assert grading_claims.claim(store, crashed, "dead-replica")  # killed mid-grading: never renewed
    with store.engine.begin() as connection:
        connection.execute(
            update(GradingJob).values(heartbeat_at=datetime.now(UTC) - grading_claims.LEASE - timedelta(seconds=1))
        )
    never = stored_session(store, ended=True)  # ended by a crash before grading began
    busy = stored_session(store, ended=True)
    assert grading_claims.claim(store, busy, "live-replica")
    failed = stored_session(store, ended=True)
    assert grading_claims.claim(store, failed, "replica-c")
    grading_claims.fail(store, failed, "replica-c", "endpoint down")
    still_open = stored_session(store)
    fake_llm.server.default_reply = dataclasses.replace(fake_llm.default_reply, content=verdict(services))

    graded = services.grader.sweep()

    assert sorted(graded) == sorted([crashed, never])
    assert all(reports(store, sid) == 1 for sid in (crashed, never))
    assert all(reports(store, sid) == 0 for sid in (busy, failed, still_open))
    assert services.grader.sweep() == []  # nothing left to do


SWEEPER = """
import dataclasses, sys
from pathlib import Path
from simulator.config import load_settings
from simulator.content import load_library
from simulator.session_grading import SessionGrader
from simulator.store import SessionStore

extra = {"llm_retry_initial_delay_s": "0.001", "llm_retry_max_delay_s": "0.01"}
settings = dataclasses.replace(load_settings(), content_dir=Path(sys.argv[1]), extra=extra)
store = SessionStore(settings.sqlalchemy_url)
library = load_library(settings.content_dir)
grader = SessionGrader(store, settings=settings, library=lambda: library, engine=lambda: "llm")
print(len(grader.sweep()), flush=True)
"""


def test_two_processes_sweeping_one_database_grade_each_session_once(
    services: AppServices, settings: Settings, fake_llm: FakeLLM
) -> None:
    sessions = [stored_session(services.store, ended=True) for _ in range(4)]
    fake_llm.server.default_reply = dataclasses.replace(fake_llm.default_reply, content=verdict(services))
    fake_llm.latency.first_token_s = 0.4  # long enough for the two processes to overlap
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEPER, str(settings.content_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},  # this checkout, whatever is installed
        )
        for _ in range(2)
    ]
    counts = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        counts.append(int(out.strip().splitlines()[-1]))

    assert sum(counts) == len(sessions)
    assert all(reports(services.store, sid) == 1 for sid in sessions)
    assert judge_requests(fake_llm) == len(sessions)
