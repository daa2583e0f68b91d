"""The offline grader's weights: a data file (``offline_weights.yaml``) and its validation.

Each criterion starts at a base and moves by weight × value of its signals; the file names only
signals declared in ``simulator.grading.registry`` (a typo is an error naming the known ones).
"""

from __future__ import annotations

import hashlib
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.errors import DrillError
from simulator.grading.registry import registered_signals

WEIGHTS_FILE = Path(__file__).with_name("offline_weights.yaml")

#: How a criterion's raw sum becomes a level 1-5 (chosen by nested cross-validation when fitting,
#: docs/grader-weights.md): ``half_up`` rounds half up and clamps; ``label_quantiles`` uses cut points
#: fitted so that the training rows' levels are spread as the mentors' levels are.
#: ``ordinal`` fits the weights and the cut points together as a cumulative logit
#: (``simulator.weights_fit.ordinal``): the level is the median of the predicted distribution.
LevelMap = Literal["half_up", "label_quantiles", "ordinal"]
LEVEL_MAPS: tuple[LevelMap, ...] = ("half_up", "label_quantiles", "ordinal")


class OfflineWeightsError(DrillError):
    """The offline weights file is missing, malformed or names an unknown signal."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignalWeight(_Strict):
    """Points per unit of a signal, and an optional limit on its total contribution."""

    weight: float
    cap: float | None = Field(default=None, ge=0)


class CriterionWeights(_Strict):
    """Base score, signal weights and score caps for one criterion."""

    base: float = Field(ge=1, le=5)
    signals: dict[str, SignalWeight] = Field(min_length=1)
    score_caps: dict[str, int] = Field(default_factory=dict)
    cuts: list[float] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="Fitted cut points (level_map label_quantiles): a raw sum at or above the k-th is level k+1 up.",
    )

    @field_validator("cuts")
    @classmethod
    def _cuts_ascend(cls, cuts: list[float] | None) -> list[float] | None:
        if cuts is not None and any(later < earlier for earlier, later in zip(cuts, cuts[1:], strict=False)):
            raise ValueError(f"cut points must not decrease, got {cuts}")
        return cuts

    def level(self, raw: float) -> int:
        """The level 1-5 of a raw sum, before score caps: one level up at each cut point reached, or
        (no cut points) rounded half up and clamped to 1-5."""
        if self.cuts is None:
            return max(1, min(5, math.floor(raw + 0.5)))
        return 1 + sum(raw >= cut for cut in self.cuts)


class Thresholds(_Strict):
    """Measurement thresholds shared by several signals."""

    concise_ratio: float = Field(gt=0, le=1)
    mood_change: int = Field(ge=1, le=10)
    facts_full_share: float = Field(default=1.0, gt=0, le=1)
    unnamed_offer_credit: float = Field(default=0.0, ge=0, le=1)
    # Content words (en) or Han bigrams (zh-CN) a statement must add to what the customer said to inform them
    # (``concrete_replies``); chosen on real dev logs, 2026-12-03.
    new_information_tokens: int = Field(default=2, ge=1, le=10)
    max_evidence: int = Field(ge=1, le=20)


class WeightsProvenance(_Strict):
    """Where fitted weights come from: written by ``drill weights fit`` / ``refit-centre`` (docs/grader-weights.md)."""

    fitted_at: str
    command: str
    model: str
    training_data: dict[str, Any]
    recogniser: dict[str, str] = Field(
        default_factory=dict, description="The act recogniser model the signals were measured with (its sha256)."
    )
    not_used: dict[str, Any] = Field(default_factory=dict)
    carried_over: str = ""
    criteria: dict[str, Any] = Field(default_factory=dict)
    level_map: dict[str, Any] = Field(default_factory=dict)
    cross_validation: dict[str, Any] = Field(default_factory=dict)
    previous_weights_on_dev: dict[str, Any] = Field(default_factory=dict)
    held_out: dict[str, Any] = Field(default_factory=dict)
    without_case: dict[str, Any] = Field(default_factory=dict)


class OfflineWeights(_Strict):
    """The whole weights file."""

    version: str
    provenance: WeightsProvenance | None = None
    level_map: LevelMap = "half_up"
    thresholds: Thresholds
    criteria: dict[str, CriterionWeights]
    without_case: dict[str, CriterionWeights] | None = Field(
        default=None,
        description="Criteria used for a transcript graded without a case (a chat log), when the fit chose a set "
        "of its own (provenance.without_case says how); absent: ``criteria`` serve both.",
    )
    digest: str = ""  # sha256 of the file, filled in by load_weights

    def for_grading(self, with_case: bool) -> OfflineWeights:
        """The weights that grade a transcript with (``with_case``) or without a case.

        Without a case no resolution or case fact can be measured, so the totals are a different
        measurement: when the file has a ``without_case`` set, it replaces ``criteria``.
        """
        if with_case or self.without_case is None:
            return self
        return self.model_copy(update={"criteria": self.without_case})


def load_weights(path: Path = WEIGHTS_FILE) -> OfflineWeights:
    """Read and validate a weights file; unknown signal names are errors (typos must not pass)."""
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise OfflineWeightsError(f"{path}: cannot read offline weights: {exc}") from exc
    try:
        weights = OfflineWeights.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise OfflineWeightsError(f"{path}: {problems}") from exc
    signals = registered_signals()
    issues: list[str] = []
    for criterion_id, spec in weights.criteria.items():
        unknown = sorted(name for name in spec.signals if name not in signals)
        if unknown:
            issues.append(f"criteria.{criterion_id}: unknown signal(s) {', '.join(unknown)}")
        bad_caps = sorted(name for name in spec.score_caps if name not in spec.signals)
        if bad_caps:
            issues.append(f"criteria.{criterion_id}.score_caps: not a signal of this criterion: {', '.join(bad_caps)}")
        if (spec.cuts is None) != (weights.level_map == "half_up"):
            need = "no cut points" if weights.level_map == "half_up" else "four cut points"
            issues.append(f"criteria.{criterion_id}.cuts: level_map {weights.level_map} needs {need} (refit weights)")
    if weights.without_case is not None:
        for criterion_id, spec in weights.without_case.items():
            shared = weights.criteria.get(criterion_id)
            if shared is None or set(spec.signals) != set(shared.signals) or spec.score_caps != shared.score_caps:
                issues.append(
                    f"without_case.{criterion_id}: must be a criterion of criteria with the same signals and score caps"
                )
            if (spec.cuts is None) != (weights.level_map == "half_up"):
                issues.append(
                    f"without_case.{criterion_id}.cuts: level_map {weights.level_map} disagrees (refit weights)"
                )
    if issues:
        known = ", ".join(sorted(signals))
        raise OfflineWeightsError(f"{path}: " + "; ".join(issues) + f" (known signals: {known})")
    return weights.model_copy(update={"digest": hashlib.sha256(raw).hexdigest()})


def weights_in_force() -> Path:
    """The weights file the grader uses: ``DRILL_OFFLINE_WEIGHTS`` (a centre's refit) or the shipped one."""
    chosen = os.environ.get("DRILL_OFFLINE_WEIGHTS", "").strip()
    return Path(chosen).expanduser() if chosen else WEIGHTS_FILE


@lru_cache(maxsize=1)
def default_weights() -> OfflineWeights:
    """The weights in force (``weights_in_force``), loaded once per process."""
    return load_weights(weights_in_force())


def weights_fingerprint(weights: OfflineWeights | None = None) -> tuple[str, str]:
    """(version, sha256 prefix) of the weights, recorded in reports so offline scores stay comparable."""
    weights = weights or default_weights()
    return weights.version, weights.digest[:16]
