"""A Stop button for a customer reply that takes too long (issue 13 item 7), against the fault server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from simulator.accounts import User
from simulator.app import trainee
from simulator.app.i18n import AppError
from simulator.app.services import AppServices
from tests.fake_llm import FakeLLM
from tests.offline_fixtures import write_content

ALICE = User("alice", frozenset({"trainee"}))
BOB = User("bob", frozenset({"trainee"}))
PERSONA = "test_rational"
EN_CASE = "en-test-double-charge"
LINE = "Hi, I'm Sam from billing. What happened?"
WHOLE = "I was charged twice for the same order."


@pytest.fixture
def services(fake_llm: FakeLLM, tmp_path: Path) -> AppServices:
    settings = fake_llm.settings(content_dir=write_content(tmp_path / "content"))
    return AppServices(settings, index_sync=lambda library: "")


def test_stop_drops_the_partial_reply_and_retry_asks_again(services: AppServices, fake_llm: FakeLLM) -> None:
    view = trainee.start_session(services, ALICE, PERSONA, EN_CASE)
    fake_llm.enqueue("Well, " * 60, chunk_delay_s=0.02)
    views = trainee.send_message(services, ALICE, view.session_id, LINE)
    next(views)
    partial = next(views)
    assert partial.streaming

    with pytest.raises(AppError) as foreign:  # only the drill's owner can stop it
        trainee.stop_reply(services, BOB, view.session_id)
    assert foreign.value.key == "no_session"
    stopped = trainee.stop_reply(services, ALICE, view.session_id)
    assert stopped.pending and stopped.messages[-1] == {"role": "user", "content": LINE}
    with pytest.raises(AppError) as caught:
        list(views)
    assert caught.value.key == "reply_stopped"
    assert [t.role for t in services.store.transcript(view.session_id).turns] == ["customer", "agent"]

    fake_llm.enqueue(WHOLE)
    final = list(trainee.retry_reply(services, ALICE, view.session_id))[-1]
    assert final.messages[-1] == {"role": "assistant", "content": WHOLE} and not final.pending


def test_stop_frees_the_drill_at_once_even_while_the_model_is_silent(services: AppServices, fake_llm: FakeLLM) -> None:
    view = trainee.start_session(services, ALICE, PERSONA, EN_CASE)
    fake_llm.enqueue("Hmm. " + WHOLE, stall_after_chunks=1, stall_s=2)
    outcome: list[str] = []

    def consume() -> None:
        try:
            list(trainee.send_message(services, ALICE, view.session_id, LINE))
            outcome.append("finished")
        except AppError as exc:
            outcome.append(exc.key)

    worker = threading.Thread(target=consume)
    worker.start()
    while not fake_llm.requests:  # the reply has started and the model went quiet
        worker.join(0.01)
    with pytest.raises(AppError) as refused:
        list(trainee.send_message(services, ALICE, view.session_id, "Hello?"))
    assert refused.value.key in ("reply_in_progress", "retry_first")

    trainee.stop_reply(services, ALICE, view.session_id)  # returns without waiting for the model
    fake_llm.enqueue(WHOLE)
    final = list(trainee.retry_reply(services, ALICE, view.session_id))[-1]
    assert final.messages[-1]["content"] == WHOLE

    worker.join(10)
    assert outcome == ["reply_stopped"]  # the silenced reply ended on its own and was never stored
    roles = [t.role for t in services.store.transcript(view.session_id).turns]
    assert roles == ["customer", "agent", "customer"]


def test_nothing_to_stop_is_a_clear_message(services: AppServices) -> None:
    view = trainee.start_session(services, ALICE, PERSONA, EN_CASE)
    with pytest.raises(AppError) as caught:
        trainee.stop_reply(services, ALICE, view.session_id)
    assert caught.value.key == "nothing_to_stop"
