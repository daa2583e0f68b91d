"""Which of a case's targets an agent sentence matches by meaning, at the lines chosen on dev.

A sentence is compared by meaning (e5 cosine) with the case's targets
(``simulator.recognition.offer_pairs.case_targets``): acceptable resolutions, offers the customer
refuses, the policy's ``must_not_promise`` limits and what the agent's systems ``cannot_do``. A
target matches when its similarity reaches ``min_similarity`` and lies within ``max_gap`` of the
sentence's best target. The two numbers are chosen per language and per group on the labelled dev
pairs (``commitment_thresholds.yaml``, ``drill eval commitments --write``): for *offers*
(resolutions, refused offers) at the best F1, for *limits* (policy and systems: red lines) at the
best recall that keeps precision at ``LIMITS_MIN_PRECISION``. This module reads those lines and
applies them; what the matches mean for the grade is ``simulator.grading.commitments`` and
``simulator.grading.commitment_checks`` (``docs/commitments.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError
from simulator.models import Language
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.offer_pairs import Target, TargetKind

THRESHOLDS_FILE = Path(__file__).with_name("commitment_thresholds.yaml")

#: Target kinds only a committing sentence can match (a refusal respects the limit it resembles).
LIMIT_KINDS: frozenset[TargetKind] = frozenset({"must_not_promise", "cannot_do"})

#: Limits are red lines: their line is drawn where precision on the dev pairs stays at least this.
LIMITS_MIN_PRECISION = 0.95


class CommitmentThresholdsError(DrillError):
    """``commitment_thresholds.yaml`` is missing, malformed or has no entry for a language."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


TargetGroup = Literal["offers", "limits"]


def group_of(kind: TargetKind) -> TargetGroup:
    """``limits`` for policy and systems limits (red lines: precision first), ``offers`` otherwise."""
    return "limits" if kind in LIMIT_KINDS else "offers"


class GroupThresholds(_Strict):
    """Where a sentence matches a target of one group, and how that line measured on dev."""

    min_similarity: float = Field(ge=-1, le=1)
    max_gap: float = Field(ge=0, le=2)
    positives: int
    precision: float
    recall: float
    f1: float


class LanguageThresholds(_Strict):
    """Both groups' lines for one language, with their provenance."""

    offers: GroupThresholds
    limits: GroupThresholds
    chosen_on: str
    pairs_sha256: str
    embedder: str
    pairs: int
    measured: str

    def group(self, kind: TargetKind) -> GroupThresholds:
        """The lines of ``kind``'s group."""
        return self.limits if group_of(kind) == "limits" else self.offers


class CommitmentThresholds(_Strict):
    """The whole thresholds file."""

    thresholds: dict[Language, LanguageThresholds]


@lru_cache(maxsize=4)
def load_thresholds(path: Path = THRESHOLDS_FILE) -> CommitmentThresholds:
    """Read and validate the thresholds file; raise ``CommitmentThresholdsError`` naming the problem."""
    try:
        return CommitmentThresholds.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise CommitmentThresholdsError(f"{path}: cannot read: {exc}; run `drill eval commitments --write`") from exc
    except ValidationError as exc:
        raise CommitmentThresholdsError(f"{path}: {exc}") from exc


def thresholds_for(language: Language, path: Path = THRESHOLDS_FILE) -> LanguageThresholds:
    """The thresholds of ``language``."""
    found = load_thresholds(path).thresholds.get(language)
    if found is None:
        raise CommitmentThresholdsError(f"{path}: no thresholds for {language}; run `drill eval commitments --write`")
    return found


@dataclass(frozen=True)
class TargetMatch:
    """A case target a sentence matches, how similar it is, and how far below the sentence's best."""

    target: Target
    similarity: float
    gap: float

    @property
    def kind(self) -> TargetKind:
        """resolution, refused, must_not_promise or cannot_do."""
        return self.target.kind


def similarities(sentences: Sequence[str], targets: Sequence[Target]) -> np.ndarray:
    """Cosine of every sentence (rows) with every target text (columns); shape (n, m)."""
    if not sentences or not targets:
        return np.zeros((len(sentences), len(targets)), dtype=np.float32)
    encoder = sentence_encoder()
    said = encoder.encode(list(sentences))
    wanted = encoder.encode([target.text for target in targets])
    return np.asarray(said @ wanted.T)


def matched_targets(row: np.ndarray, targets: Sequence[Target], limits: LanguageThresholds) -> list[TargetMatch]:
    """The targets one sentence matches (similarity row over ``targets``), most similar first."""
    if len(targets) == 0:
        return []
    best = float(row.max())
    found = []
    for target, value in zip(targets, row, strict=True):
        line = limits.group(target.kind)
        if value >= line.min_similarity and best - value <= line.max_gap:
            found.append(TargetMatch(target, round(float(value), 4), round(best - float(value), 4)))
    return sorted(found, key=lambda match: -match.similarity)
