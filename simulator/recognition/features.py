"""What the act classifier sees of a sentence: its e5 vector plus a few marks of form.

The vector carries the meaning; the structural marks (a question mark, a number, a masked value,
an id, a money amount, a time, the length) are cheap facts that e5 only half sees and that separate
acts meaning alone blurs (asking for an order number vs reading one out). Feature names are stored
with the model, so a model never meets features it was not trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simulator.models import Language
from simulator.recognition import structure
from simulator.recognition.encoder import DIMENSIONS, sentence_encoder

STRUCTURAL_FEATURES: tuple[str, ...] = (
    "question_mark",
    "question_form",
    "digit",
    "time",
    "identifier",
    "mask",
    "amount",
    "tail",
    "log_length",
    "chinese",
)
FEATURE_NAMES: tuple[str, ...] = (*(f"e5_{index}" for index in range(DIMENSIONS)), *STRUCTURAL_FEATURES)


def structural_row(text: str, language: Language) -> list[float]:
    """The structural marks of one sentence, in :data:`STRUCTURAL_FEATURES` order."""
    return [
        float("?" in text or "？" in text),
        float(structure.question_form(text, language)),
        float(structure.has_digit(text)),
        float(structure.names_time(text, language)),
        float(structure.has_identifier(text)),
        float(structure.has_mask(text)),
        float(bool(structure.amounts(text, language))),
        float(structure.has_tail(text)),
        math.log1p(len(text)),
        float(language == "zh-CN"),
    ]


def feature_matrix(texts: Sequence[str], languages: Sequence[Language]) -> np.ndarray:
    """Features of ``texts`` (each in its language), shape ``(len(texts), len(FEATURE_NAMES))``."""
    vectors = sentence_encoder().encode(texts)
    marks = np.asarray([structural_row(t, lang) for t, lang in zip(texts, languages, strict=True)], dtype=np.float32)
    return np.hstack([vectors, marks.reshape(len(texts), len(STRUCTURAL_FEATURES))]).astype(np.float32)
