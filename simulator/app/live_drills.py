"""Open drills held in one process's memory: a cache of the session store, never the truth.

The store (``sessions`` and ``turns``) is the only record of a drill. A :class:`LiveSession` keeps
what is costly to rebuild for every message (the customer engine with its state, the conversation,
the reply being streamed) and remembers how many turns it knows are committed. Before it is used
for a trainee turn, :class:`~simulator.app.services.AppServices` compares that count with the
store's; when another replica has written turns (or closed the drill) the entry is dropped and
rebuilt from the store, so two replicas never fork one transcript. Entries idle longer than
``DRILL_MAX_LIVE_DRILL_IDLE_MINUTES`` are dropped from memory (the drill stays open in the store
and is rebuilt on its next message). See docs/store.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from simulator.conversation import Conversation
from simulator.customer import ReplyStream


@dataclass
class LiveSession:
    """An open drill in memory: its conversation and the customer reply being written, if any."""

    session_id: str
    user_name: str
    conversation: Conversation
    #: How many of the conversation's turns are committed to the store.
    stored_turns: int = 0
    #: Guards ``active`` and the start of a reply (held briefly, never while a reply streams).
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: The customer reply being streamed now (one at a time per drill; Stop cancels it).
    active: ReplyStream | None = None
    #: ``time.monotonic()`` of the last use by this process (set by :class:`LiveDrills`).
    last_used: float = 0.0

    @property
    def streaming(self) -> bool:
        """True while a customer reply for this drill is being written in this process."""
        stream = self.active
        return stream is not None and not stream.cancelled


class LiveDrills:
    """The live drills of one process by session id, with their idle times. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._drills: dict[str, LiveSession] = {}

    def get(self, session_id: str) -> LiveSession | None:
        """The cached drill (marked as used now), or None."""
        with self._lock:
            live = self._drills.get(session_id)
            if live is not None:
                live.last_used = self.clock()
            return live

    def adopt(self, live: LiveSession) -> LiveSession:
        """Cache ``live``, a drill just built from the store; return the entry to use.

        When another thread of this process cached the same drill at the same committed turn
        meanwhile, that entry wins (one lock and one reply stream per drill); an entry that knows
        fewer or other turns is replaced.
        """
        with self._lock:
            current = self._drills.get(live.session_id)
            if current is not None and current.stored_turns == live.stored_turns:
                current.last_used = self.clock()
                return current
            live.last_used = self.clock()
            self._drills[live.session_id] = live
            return live

    def forget(self, session_id: str, only: LiveSession | None = None) -> None:
        """Drop a drill from memory (``only``: only when that is still the cached entry)."""
        with self._lock:
            if only is None or self._drills.get(session_id) is only:
                self._drills.pop(session_id, None)

    def forget_all(self, session_ids: Iterable[str]) -> None:
        """Drop these drills from memory."""
        with self._lock:
            for session_id in session_ids:
                self._drills.pop(session_id, None)

    def evict_idle(self, idle_seconds: float) -> list[str]:
        """Drop drills unused for ``idle_seconds`` or more; return their ids.

        A drill whose reply is streaming now is kept, however long the model takes.
        """
        cutoff = self.clock() - idle_seconds
        with self._lock:
            idle = [sid for sid, live in self._drills.items() if live.last_used <= cutoff and not live.streaming]
            for session_id in idle:
                del self._drills[session_id]
        return idle

    def ids(self) -> list[str]:
        """Ids of the drills held now."""
        with self._lock:
            return list(self._drills)

    def __len__(self) -> int:
        with self._lock:
            return len(self._drills)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._drills
