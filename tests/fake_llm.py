"""The ``fake_llm`` fixture: a local OpenAI-compatible server with scripted replies.

Loaded as a pytest plugin from ``tests/conftest.py``. One server runs per test session (starting
it takes a few milliseconds, but there is no reason to do it per test); each test gets it reset,
with ``DRILL_LLM_BASE_URL`` / ``DRILL_LLM_API_KEY`` / ``DRILL_LLM_MODEL`` pointing at it::

    def test_reply(fake_llm):
        fake_llm.enqueue("Where is my parcel?\\n<<state mood=6 goal_met=false>>")
        settings = fake_llm.settings()          # load_settings() + fast retries
        ...
        assert fake_llm.requests[-1]["messages"][0]["role"] == "system"
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.config import Settings, load_settings
from simulator.testing.fake_openai_script import Latency, RecordedRequest, ScriptedReply
from simulator.testing.fake_openai_server import FakeOpenAIServer

FAKE_MODEL = "fake-model"
FAKE_API_KEY = "test-key"

#: Retry waits in tests: enough to exercise the backoff path, too short to slow the suite.
FAST_RETRY = {"llm_retry_initial_delay_s": "0.001", "llm_retry_max_delay_s": "0.01"}


def unused_port() -> int:
    """A local TCP port nothing listens on (for "endpoint down" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeLLM:
    """The session's fake server, as one test sees it."""

    def __init__(self, server: FakeOpenAIServer) -> None:
        self.server = server

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return self.server.base_url

    def enqueue(self, content: str | dict[str, Any] | list[Any] | None = None, **options: Any) -> ScriptedReply:
        """Queue the next reply (see ``ScriptedReply`` for the options)."""
        return self.server.enqueue(content, **options)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Parsed JSON bodies of the chat-completion requests so far."""
        return self.server.requests

    @property
    def received(self) -> list[RecordedRequest]:
        """Every request so far, with path and headers."""
        return self.server.received

    @property
    def latency(self) -> Latency:
        """First-token and per-chunk delays (mutable)."""
        return self.server.latency

    @property
    def default_reply(self) -> ScriptedReply:
        """The reply sent when the queue is empty."""
        return self.server.default_reply

    @default_reply.setter
    def default_reply(self, reply: ScriptedReply) -> None:
        self.server.default_reply = reply

    def settings(self, **changes: Any) -> Settings:
        """``load_settings()`` for this server, with fast retries; ``changes`` override fields."""
        extra = {**FAST_RETRY, **changes.pop("extra", {})}
        return dataclasses.replace(load_settings(), extra=extra, **changes)


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeOpenAIServer]:
    """The session's fake OpenAI-compatible server."""
    with FakeOpenAIServer(model=FAKE_MODEL) as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    """The fake server, reset, with the DRILL_LLM_* environment pointing at it."""
    fake_llm_server.reset()
    monkeypatch.setenv("DRILL_LLM_BASE_URL", fake_llm_server.base_url)
    monkeypatch.setenv("DRILL_LLM_API_KEY", FAKE_API_KEY)
    monkeypatch.setenv("DRILL_LLM_MODEL", FAKE_MODEL)
    yield FakeLLM(fake_llm_server)
    fake_llm_server.reset()
