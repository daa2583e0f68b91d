"""Kill the app process mid-drill with SIGKILL; a new process resumes the open session with nothing lost."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from simulator.accounts import User
from simulator.app import trainee
from simulator.app.services import AppServices
from simulator.config import load_settings
from tests.offline_fixtures import write_content

PERSONA = "test_rational"
CASE = "zh-test-late-parcel"
SEED = 1234
FIRST = "您好,我是客服小王,让您久等了,非常抱歉。"
SECOND = "请问您的订单号是多少?"
ALICE = User("alice", frozenset({"trainee"}))

# Runs the handlers in a separate process and stops in the middle of the customer's second reply.
CHILD = """
import dataclasses, sys, time
from pathlib import Path
from simulator.accounts import User
from simulator.app import trainee
from simulator.app.services import AppServices
from simulator.config import load_settings

settings = dataclasses.replace(load_settings(), content_dir=Path(sys.argv[1]))
services = AppServices(settings, index_sync=lambda library: "")
user = User("alice", frozenset({"trainee"}))
live = services.start_drill(user, "test_rational", "zh-test-late-parcel", seed=int(sys.argv[2]))
for _ in trainee.send_message(services, user, live.session_id, sys.argv[3]):
    pass
views = trainee.send_message(services, user, live.session_id, sys.argv[4])
next(views)
next(views)
print("MIDSTREAM", live.session_id, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_reply_loses_nothing_and_the_drill_resumes(tmp_path: Path) -> None:
    content = write_content(tmp_path / "content")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(content), str(SEED), FIRST, SECOND],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("MIDSTREAM"):
            child.kill()
            pytest.fail(f"child did not reach the reply: {line!r} {child.stderr.read() if child.stderr else ''}")
        session_id = line.split()[1]
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()

    settings = dataclasses.replace(load_settings(), content_dir=content)
    services = AppServices(settings, index_sync=lambda library: "")
    with services.store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    # every committed turn is there, including the trainee's unanswered message
    transcript = services.store.transcript(session_id)
    assert [(t.role, t.text) for t in transcript.turns if t.role == "agent"] == [("agent", FIRST), ("agent", SECOND)]
    assert [t.role for t in transcript.turns] == ["customer", "agent", "customer", "agent"]

    resumed = trainee.resume_open_session(services, ALICE)
    assert resumed is not None and resumed.session_id == session_id and resumed.pending
    answered = list(trainee.retry_reply(services, ALICE, session_id))[-1]
    assert not answered.pending and answered.messages[-2] == {"role": "user", "content": SECOND}

    # the resumed customer says exactly what an uninterrupted one would have said
    control = AppServices(dataclasses.replace(settings, data_dir=tmp_path / "control"), index_sync=lambda library: "")
    live = control.start_drill(ALICE, PERSONA, CASE, seed=SEED)
    live.conversation.send(FIRST).collect()
    expected = live.conversation.send(SECOND).collect()
    assert answered.messages[-1]["content"] == expected.text and answered.mood == expected.state.mood
    assert len(services.store.get_session(session_id).turns) == 5
