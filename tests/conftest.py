"""Shared fixtures: every test runs offline with all state in ``tmp_path``."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from simulator.config import NO_SHIPPED_CONTENT, PROJECT_DIR
from simulator.models import LEARNED_ACTS, DialogueAct, Language

pytest_plugins = ["tests.fake_llm"]  # the `fake_llm` fixture: a local OpenAI-compatible server

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_LLM_VARS = (
    "DRILL_LLM_BASE_URL",
    "DRILL_LLM_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "DRILL_LLM_MODEL",
    "DRILL_GRADER_MODEL",
    "DRILL_EMBEDDING_MODEL",
    "DRILL_DATABASE_URL",
    "DRILL_CHROMA_HOST",
    "DRILL_CHROMA_PORT",
    "DRILL_USERS_FILE",
    "DRILL_CONTENT_DIR",
    "DRILL_SHIPPED_CONTENT_DIR",
)

_real_connect = socket.socket.connect


def _loopback_only_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise ConnectionRefusedError(f"tests are offline: connection to {address!r} blocked")
    _real_connect(self, address)  # type: ignore[arg-type]


# One on-disk cache of sentence vectors for the whole run (and the next runs, and every CLI subprocess):
# the recogniser embeds the same agent lines in many tests, and e5 costs ~30 ms a sentence.
EMBEDDING_CACHE = PROJECT_DIR / ".cache" / "test-sentence-vectors.sqlite3"


@pytest.fixture(autouse=True)
def offline_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Path]:
    """Point all drill state at ``tmp_path``, clear LLM settings and block non-loopback sockets.

    Tests marked ``real_llm`` keep the environment and the network.
    """
    if request.node.get_closest_marker("real_llm"):
        yield tmp_path
        return
    for name in _LLM_VARS:
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "drill-data"
    monkeypatch.setenv("DRILL_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DRILL_EMBEDDING_CACHE", str(EMBEDDING_CACHE))
    # One content root per test, as before the shipped/writable overlay: the checkout's content
    # unless a test points DRILL_CONTENT_DIR (or Settings.content_dir) at content of its own, which
    # then stands alone. tests/test_content_overlay.py sets both roots explicitly.
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("DRILL_SHIPPED_CONTENT_DIR", NO_SHIPPED_CONTENT)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # a stray .env in the checkout must not leak into tests
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)
    yield tmp_path


def _labelled_scores(monkeypatch: pytest.MonkeyPatch, *, fallback: bool) -> dict[str, set[DialogueAct]]:
    from simulator.recognition import sentence_acts

    labels: dict[str, set[DialogueAct]] = {}
    model_scores = sentence_acts.score_sentences

    def scored(texts: Sequence[str], language: Language, model: object = None) -> list[dict[DialogueAct, float]]:
        unknown = [text for text in texts if text not in labels] if fallback else []
        learned = dict(zip(unknown, model_scores(unknown, language), strict=True)) if unknown else {}
        return [
            learned[text] if text in learned else {act: float(act in labels.get(text, ())) for act in LEARNED_ACTS}
            for text in texts
        ]

    monkeypatch.setattr(sentence_acts, "score_sentences", scored)
    return labels


@pytest.fixture
def act_labels(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[DialogueAct]]:
    """Sentence acts from a dict (sentence or clause text -> acts) instead of the trained model.

    For tests of what is built on the acts (case facts, offers, lists), so they do not move when
    the classifier is retrained. Unlisted sentences perform no act.
    """
    return _labelled_scores(monkeypatch, fallback=False)


@pytest.fixture
def corrected_acts(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[DialogueAct]]:
    """The shipped model, with the sentences it is known to get wrong labelled as docs/acts.md says.

    Tests of the customer, the rules and the grader use it so they test their own logic; the
    misses themselves are listed in ``tests/known_misses.py`` and measured by `drill eval acts`.
    """
    from tests.known_misses import KNOWN_MISSES

    labels = _labelled_scores(monkeypatch, fallback=True)
    labels.update(KNOWN_MISSES)
    return labels


@pytest.fixture
def shipped_content_dir() -> Path:
    """The repository's content root (personas/ and casebank/)."""
    return PROJECT_DIR


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip real-LLM tests with a reason when no endpoint is configured."""
    if os.environ.get("DRILL_LLM_BASE_URL"):
        return
    skip = pytest.mark.skip(reason="needs a real LLM endpoint: set DRILL_LLM_BASE_URL (and a key) to run")
    for item in items:
        if item.get_closest_marker("real_llm"):
            item.add_marker(skip)


def _patient_url_ok(url: str) -> bool:
    """Gradio's start-up reachability check with room for a loaded machine.

    ``gradio.networking.url_ok`` gives up after one 3-second HEAD timeout and ``launch()`` then
    refuses to start ("When localhost is not accessible, a shareable link must be created"); with
    every core busy the app's first answer can take longer than that.
    """
    import time

    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.head(url, timeout=10, verify=False).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


@pytest.fixture(autouse=True, scope="session")
def patient_gradio_start() -> Iterator[None]:
    """Apply `_patient_url_ok` for the whole run (only app-launching tests reach it)."""
    import gradio.networking

    original = gradio.networking.url_ok
    gradio.networking.url_ok = _patient_url_ok
    yield
    gradio.networking.url_ok = original
