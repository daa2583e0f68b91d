"""Who may sync a case-index collection now: in memory for a local index, a database lease for a shared server.

A local (``PersistentClient``) index belongs to one process, so :class:`ProcessBuilds` keeps turns
in memory; replicas sharing one Chroma server coordinate through ``simulator.index_builds``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from simulator.index_builds import BuildState

if TYPE_CHECKING:
    from simulator.config import Settings


class BuildCoordinator(Protocol):
    """Who may sync a collection now, and what its last complete sync reached (``index_builds``)."""

    def state(self, collection: str) -> BuildState: ...
    def claim(self, collection: str) -> bool: ...
    def renew(self, collection: str) -> None: ...
    def finish(self, collection: str, fingerprint: str, cases: int) -> None: ...
    def release(self, collection: str) -> None: ...
    def forget(self, collection: str) -> None: ...


class ProcessBuilds:
    """The coordinator of a local (``PersistentClient``) index, which one process owns: in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        self._done: dict[str, tuple[str, int]] = {}

    def state(self, collection: str) -> BuildState:
        with self._lock:
            fingerprint, cases = self._done.get(collection, (None, None))
            holder = self._holders.get(collection)
            return BuildState(fingerprint, cases, str(holder) if holder is not None else None)

    def claim(self, collection: str) -> bool:
        with self._lock:
            holder = self._holders.setdefault(collection, threading.get_ident())
            return holder == threading.get_ident()

    def renew(self, collection: str) -> None:
        return None

    def finish(self, collection: str, fingerprint: str, cases: int) -> None:
        with self._lock:
            self._done[collection] = (fingerprint, cases)
            self._holders.pop(collection, None)

    def release(self, collection: str) -> None:
        with self._lock:
            self._holders.pop(collection, None)

    def forget(self, collection: str) -> None:
        with self._lock:
            self._done.pop(collection, None)


def default_builds(settings: Settings) -> BuildCoordinator:
    """Replicas share a Chroma server, so they coordinate in the database; a local index is one process's."""
    if not settings.chroma_host:
        return ProcessBuilds()
    from simulator.index_builds import IndexBuilds
    from simulator.store import SessionStore

    return IndexBuilds(SessionStore(settings.sqlalchemy_url).engine)
