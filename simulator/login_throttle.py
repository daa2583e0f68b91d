"""Sign-in throttling: too many failed sign-ins pause an account, or an address, for a while.

Failures are counted per account name and per network address over a sliding window
(``limits.LOGIN_WINDOW_SECONDS``); at ``LOGIN_FAILURES_PER_USER`` failures for one name, or
``LOGIN_FAILURES_PER_ADDRESS`` from one address, further attempts are refused without checking the
password until the oldest failure leaves the window. A success clears that name's failures (not
the address's: one good password must not reset a guessing run from the same address). Kept in
memory, per process; the scale-out work moves it next to the accounts in the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from simulator import limits
from simulator.errors import DrillError

#: Above this many remembered names and addresses, expired ones are dropped at the next failure.
_SWEEP_AT = 10_000


class LoginThrottled(DrillError):
    """Sign-in is paused for this account or address; ``retry_after_s`` says for how long."""

    def __init__(self, what: str, retry_after_s: float):
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        minutes = max(1, math.ceil(self.retry_after_s / 60))
        super().__init__(
            f"Too many failed sign-ins {what}; try again in about {minutes} minute(s), "
            "or ask an administrator to reset the password (`drill users reset-password NAME`)."
        )


class LoginThrottle:
    """Counts failed sign-ins per name and per address; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        window = limits.LOGIN_WINDOW_SECONDS.value
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, name: str, address: str | None) -> None:
        """Raise ``LoginThrottled`` when the name or the address is paused."""
        now = self._clock()
        window = limits.LOGIN_WINDOW_SECONDS.value
        with self._lock:
            for key, cap, what in (
                (("user", name), limits.LOGIN_FAILURES_PER_USER.value, "for this account"),
                (("address", address or ""), limits.LOGIN_FAILURES_PER_ADDRESS.value, "from this address"),
            ):
                if key == ("address", ""):
                    continue
                times = self._recent(key, now)
                if len(times) >= cap:
                    raise LoginThrottled(what, times[-cap] + window - now)

    def failed(self, name: str, address: str | None) -> None:
        """Record a failed sign-in."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > _SWEEP_AT:  # guessing with ever new names must not fill memory
                for key in list(self._failures):
                    self._recent(key, now)
            keys = [("user", name)] + ([("address", address)] if address else [])
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str, address: str | None) -> None:
        """Clear the name's failures after a good password (or a reset)."""
        with self._lock:
            self._failures.pop(("user", name), None)
