"""Processes the benchmarks run: the fake model server and ``drill serve`` (or another app script).

Both run in subprocesses with a scrubbed environment (``_common.clean_env``), on 127.0.0.1, and
stop on ``stop()`` or at the end of a ``with`` block. Also: waiting for a page, a process's CPU time.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, PROJECT_DIR, PYTHON, clean_env, free_port


class FakeModelProcess:
    """The fake OpenAI-compatible server in its own process (like a real model server would be).

    Runs ``_fake_server_proc.py``; ``base_url`` is known once it has printed its address. Stop it
    with ``stop()`` (or use as a context manager); it also exits when this process closes its stdin.
    """

    def __init__(
        self, *, first_token_ms: float, per_chunk_ms: float = 0.0, reply: str | None = None, chunk_chars: int = 4
    ) -> None:
        command = [
            PYTHON,
            str(BENCH_DIR / "_fake_server_proc.py"),
            "--first-token-ms",
            str(first_token_ms),
            "--per-chunk-ms",
            str(per_chunk_ms),
            "--chunk-chars",
            str(chunk_chars),
        ]
        if reply is not None:
            command += ["--reply", reply]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"fake model server did not start (said {line!r})")
        self.base_url = line

    def stop(self) -> None:
        """Ask the server to exit and wait for it."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                self.process.wait(timeout=10)

    def __enter__(self) -> FakeModelProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def customer_reply(language: str = "en") -> str:
    """A typical LLM customer reply with its hidden state line (what the fake model sends)."""
    if language == "zh-CN":
        return "好吧,那你们到底什么时候能给我处理好?我今天下午还要出门,别让我一直等。\n<<state mood=6 goal_met=false>>"
    return (
        "Okay, but I still need this sorted today. When exactly will someone get back to me, "
        "and what do I do if it doesn't arrive?\n<<state mood=6 goal_met=false>>"
    )


def wait_http_ok(url: str, timeout_s: float, *, process: subprocess.Popen[Any] | None = None) -> float | None:
    """Poll ``url`` until it answers HTTP 200; return the time it took, or None on timeout/exit."""
    import httpx

    started = time.perf_counter()
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if process is not None and process.poll() is not None:
            return None
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    return None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


#: Lines ``drill serve`` prints when its start-up index build has ended (either way).
INDEX_READY_MARKERS = ("case index ready", "case index not built")


def serve_warms_index() -> bool:
    """True when ``drill serve`` builds the case index in the background at start-up."""
    try:
        from simulator.cli import serve_command
    except ImportError:
        return False
    return hasattr(serve_command, "_warm_index")


def drill_command() -> list[str]:
    """How to run the ``drill`` CLI with this interpreter (the venv's entry point when present)."""
    entry = Path(PYTHON).parent / "drill"
    if entry.exists():
        return [str(entry)]
    return [PYTHON, "-c", "import sys; from simulator.cli import main; sys.argv[0] = 'drill'; main()"]


class AppProcess:
    """``drill serve`` on 127.0.0.1 in a subprocess, with its own data directory and environment.

    ``started_s`` is the time from process start to the page answering HTTP 200 (None when it
    never did within ``timeout_s``). ``drill serve`` builds the case index in a background thread
    after start-up, which keeps the CPU busy for a while (minutes with the e5 embedder on a fresh
    data directory); with ``wait_index`` the constructor also waits for that to finish, so that
    measurements see the app in its steady state. With ``script`` a benchmark script that takes
    the port is launched instead (e.g. ``_bare_chat_app.py``). Stop it with ``stop()`` (SIGINT).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        timeout_s: float = 180.0,
        log_name: str = "serve.log",
        profile_to: Path | None = None,
        wait_index: bool = True,
        index_timeout_s: float = 900.0,
        script: str | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = data_dir / log_name
        data_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w", encoding="utf-8")
        environment = clean_env(DRILL_DATA_DIR=str(data_dir), **(env or {}))
        self.profiled = profile_to is not None
        if script is not None:  # another app (a script taking the port) in the same harness
            command = [PYTHON, str(BENCH_DIR / script), str(self.port)]
            wait_index = False
        elif profile_to is None:
            command = [*drill_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        else:  # the same app, launched by a script that samples its threads
            command = [PYTHON, str(BENCH_DIR / "_serve_profiled.py"), str(self.port), str(profile_to)]
        started = time.perf_counter()
        self.launched_at = started
        self.process = subprocess.Popen(
            command,
            cwd=str(PROJECT_DIR),
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        waited = wait_http_ok(self.url, timeout_s, process=self.process)
        self.started_s = None if waited is None else time.perf_counter() - started
        #: Seconds from process start until the start-up case-index build finished (None: not waited).
        self.index_ready_s: float | None = None
        waits = self.started_s is not None and wait_index and serve_warms_index()
        if waits and self._wait_for_log(INDEX_READY_MARKERS, index_timeout_s):
            self.index_ready_s = time.perf_counter() - started

    def _wait_for_log(self, markers: tuple[str, ...], timeout_s: float) -> bool:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline and self.process.poll() is None:
            self._log.flush()
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            if any(marker in text for marker in markers):
                return True
            time.sleep(0.2)
        return False

    def start_profiling(self) -> None:
        """Begin sampling the server (when launched with ``profile_to``)."""
        import signal

        if self.profiled and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (all its threads)."""
        return process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server printed."""
        self._log.flush()
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Interrupt the server and wait for it to exit."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
