"""How often a streaming customer reply is pushed to the browser.

Each push costs the server a Gradio update (postprocess, diff and send of the whole chat), so
the app shares a fixed budget of pushes per second among the replies streaming at that moment:
one reply alone is pushed every ``min_interval_s``; fifty at once are each pushed less often,
and the server's CPU stays bounded instead of growing with the number of trainees. The first
characters of a reply are never held back (see ``ui_practice``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StreamPacer:
    """Counts the replies streaming now and says how far apart one reply's pushes should be."""

    def __init__(self, *, min_interval_s: float = 0.05, pushes_per_s: float = 100.0) -> None:
        if min_interval_s <= 0 or pushes_per_s <= 0:
            raise ValueError("min_interval_s and pushes_per_s must be positive")
        self.min_interval_s = min_interval_s
        self.pushes_per_s = pushes_per_s
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        """Replies streaming now."""
        return self._active

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Count one reply as streaming for the duration of the ``with`` block."""
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1

    def interval_s(self) -> float:
        """Shortest gap between two pushes of one reply, given the replies streaming now."""
        return max(self.min_interval_s, self._active / self.pushes_per_s)
