"""How closely agent sentences match a case's resolutions, by meaning (e5 cosine similarity).

The offline customer needs to know whether what the agent offered is one of the outcomes the case
accepts, however it was worded ("给您补发一台" against the resolution "补发新冰箱"). This module
gives the similarity of every resolution to its closest offering sentence; where to draw the line
is the caller's, chosen on a labelled set of offer–resolution pairs (``docs/acts.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.models import Resolution
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.sentences import Span


@dataclass(frozen=True)
class ResolutionMatch:
    """A resolution and the sentence closest to it in meaning."""

    resolution_id: str
    similarity: float  # cosine of the two e5 vectors, -1..1 (unrelated sentences sit near 0.7-0.8 with e5)
    sentence: Span


def resolution_text(resolution: Resolution) -> str:
    """What a resolution is compared on: its description (the keywords are only hints)."""
    return resolution.description.strip()


def match_resolutions(sentences: Sequence[Span], resolutions: Sequence[Resolution]) -> list[ResolutionMatch]:
    """For each resolution, its best-matching sentence; most similar first. Empty input gives []."""
    if not sentences or not resolutions:
        return []
    encoder = sentence_encoder()
    said = encoder.encode([span.text for span in sentences])
    wanted = encoder.encode([resolution_text(resolution) for resolution in resolutions])
    similarity = wanted @ said.T  # unit vectors: dot product = cosine
    matches = []
    for row, resolution in enumerate(resolutions):
        best = int(np.argmax(similarity[row]))
        matches.append(ResolutionMatch(resolution.id, round(float(similarity[row, best]), 4), sentences[best]))
    return sorted(matches, key=lambda match: -match.similarity)
