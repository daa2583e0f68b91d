"""A small sampling profiler for every thread of a process (cProfile only sees one thread).

Every ``interval_s`` it looks at ``sys._current_frames()`` and counts, per function, how often it
was on top of a stack (self) and anywhere in a stack (total). Threads that are only waiting (on a
lock, a socket, a sleep, the event loop's selector) are counted separately as idle, so the
figures show where the *busy* time of a server goes. Cheap enough to leave on during a benchmark
(one stack walk per thread per sample).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

# The event loop's top Python frame when the loop itself is C (uvloop): waiting or doing I/O in C.
_LOOP_FRAME = "run (.11/asyncio/runners.py"
# Frames that mean "this thread is waiting, not working".
_IDLE_FUNCTIONS = {
    "wait",
    "select",
    "poll",
    "_worker",
    "sleep",
    "acquire",
    "get",
    "accept",
    "recv",
    "readinto",
    "read",
    "_wait_for_tstate_lock",
    "join",
    "run_forever",
    "_run_once",
    "serve_forever",
    "epoll",
    "readline",
}


def _label(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    for marker in ("site-packages/", "/simulator/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/simulator/":
                path = "simulator/" + path
            break
    return f"{code.co_name} ({path}:{code.co_firstlineno})"


class Sampler:
    """Samples all other threads' stacks in a background thread until ``stop()``."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.self_counts: Counter[str] = Counter()
        self.total_counts: Counter[str] = Counter()
        self.stacks: Counter[tuple[str, ...]] = Counter()
        self.busy_samples = 0
        self.idle_samples = 0
        self.loop_samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    @property
    def started(self) -> bool:
        """True once sampling has begun."""
        return self._thread.is_alive() or self._stop.is_set()

    def start(self) -> Sampler:
        """Begin sampling (a second call does nothing)."""
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        own = threading.get_ident()
        while not self._stop.is_set():
            for ident, frame in sys._current_frames().items():
                if ident == own:
                    continue
                if frame.f_code.co_name in _IDLE_FUNCTIONS:
                    self.idle_samples += 1
                    continue
                top = _label(frame)
                if top.startswith(_LOOP_FRAME) or "asyncio/runners.py" in top:
                    self.loop_samples += 1
                    continue
                self.busy_samples += 1
                self.self_counts[top] += 1
                seen: set[str] = set()
                chain: list[str] = []
                current: FrameType | None = frame
                while current is not None:
                    label = _label(current)
                    if len(chain) < 10:
                        chain.append(label)
                    if label not in seen:
                        seen.add(label)
                        self.total_counts[label] += 1
                    current = current.f_back
                self.stacks[tuple(chain)] += 1
            time.sleep(self.interval_s)

    def summary(self, top: int = 25) -> str:
        """The busiest functions, by self and by total samples."""
        busy = max(self.busy_samples, 1)
        lines = [
            f"busy thread-samples: {self.busy_samples} (idle/waiting: {self.idle_samples}; event loop in C "
            f"code such as uvloop, busy or waiting: {self.loop_samples}), interval {self.interval_s * 1000:g} ms",
            "",
            "self % | function",
        ]
        lines += [f"{100 * count / busy:5.1f} | {label}" for label, count in self.self_counts.most_common(top)]
        lines += ["", "total % | function (on the stack)"]
        lines += [f"{100 * count / busy:5.1f} | {label}" for label, count in self.total_counts.most_common(top)]
        lines += ["", "busiest stacks (innermost first, 10 frames)"]
        for chain, count in self.stacks.most_common(12):
            lines.append(f"{100 * count / busy:5.1f} %")
            lines.extend(f"        {label}" for label in chain)
        return "\n".join(lines)

    def write(self, path: Path, top: int = 40) -> None:
        """Write :meth:`summary` to ``path``."""
        path.write_text(self.summary(top) + "\n", encoding="utf-8")
