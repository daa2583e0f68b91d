"""SQLite's WAL mode, switched on safely when several processes open one file at once."""

from __future__ import annotations

import sqlite3
import time
from typing import Any


def use_wal(cursor: Any, wait_s: float) -> None:
    """Put the SQLite database of ``cursor``'s connection in WAL mode, waiting out other processes doing it too.

    On a brand-new file, processes that switch it to WAL at the same moment deadlock on SQLite's
    locks, and SQLite then answers "database is locked" at once instead of calling the busy handler
    (its documented deadlock avoidance): one of four replicas starting together failed that way. The
    switch is retried, with growing pauses, until ``wait_s`` seconds have passed.
    """
    deadline = time.monotonic() + wait_s
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
