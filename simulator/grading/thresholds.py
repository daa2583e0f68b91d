"""Thresholds the grader's checks read, each chosen on dev data (``grader_thresholds.yaml``).

The file is written by ``drill eval thresholds --write`` (``simulator.evals.grader_thresholds``)
and records, next to every number, the data it was chosen on (its SHA-256), the target it was
chosen for and what it achieved there. Nothing here is set by hand.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.errors import DrillError
from simulator.models import CriticalErrorKind, DialogueAct, Language
from simulator.standardised_logit import StandardisedLogit

THRESHOLDS_FILE = Path(__file__).with_name("grader_thresholds.yaml")


class GraderThresholdsError(DrillError):
    """``grader_thresholds.yaml`` is missing or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Targets(_Strict):
    """What each threshold is chosen for (the issue's targets, not tuned numbers)."""

    answer_recall: float = Field(gt=0, le=1, description="Share of real answers the pairing must accept.")
    red_line_precision: float = Field(gt=0, le=1, description="Precision a red line needs to fail a session.")
    violation_precision: float = Field(
        gt=0, le=1, description="Precision a violation recognised by meaning alone needs to count as a finding."
    )
    limit_breach_review_precision: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Precision a limit breach scored below the fail line needs to be flagged for a mentor.",
    )


class AnswerThreshold(_Strict):
    """Question–answer pairing by meaning for one language."""

    similarity: float = Field(ge=-1, le=1, description="e5 cosine at or above which a sentence answers.")
    chosen_on: str
    data_sha256: str
    pairs: int = Field(ge=1)
    answer_recall: float = Field(ge=0, le=1)
    unanswered_precision: float = Field(
        ge=0, le=1, description="Of the pairs below it, the share that are not answers."
    )
    measured: str


class ConfidenceThreshold(_Strict):
    """Recogniser confidence at or above which an act found by meaning alone counts, for one language.

    Used for the red lines (a hit fails the session) and for violations by meaning (a hit is a
    finding); each is chosen on dev for its own precision target in ``Targets``.
    """

    min_confidence: float = Field(ge=0, le=1)
    chosen_on: str
    data_sha256: str
    positives: int = Field(ge=0)
    precision: float = Field(ge=0, le=1)
    recall: float = Field(ge=0, le=1)
    measured: str


class LimitBreachThreshold(_Strict):
    """A probability line of the limit-breach scorer for one language, and what it achieved on
    out-of-fold dev scores."""

    min_probability: float = Field(ge=0, le=1)
    precision: float = Field(ge=0, le=1)
    recall: float = Field(ge=0, le=1)


class LimitBreachModel(StandardisedLogit):
    """The fitted limit-breach scorer (``simulator.grading.limit_breach``): standardisation, logistic
    regression coefficients (one per feature, in order), the review lines, provenance. Its fail lines
    are ``red_lines.promise_beyond_policy``."""

    features: list[str]
    review: dict[Language, LimitBreachThreshold] = Field(default_factory=dict)
    chosen_on: str
    data_sha256: str
    positives: int = Field(ge=0)
    candidates: int = Field(ge=0)
    cross_validated_by: str
    measured: str

    @model_validator(mode="after")
    def _one_coefficient_per_named_feature(self) -> LimitBreachModel:
        if len(self.coefficients) != len(self.features):
            raise ValueError("means, scales and coefficients need one value per feature")
        return self


class GraderThresholds(_Strict):
    """The whole file."""

    targets: Targets
    answer_similarity: dict[Language, AnswerThreshold]
    red_lines: dict[CriticalErrorKind, dict[Language, ConfidenceThreshold]] = Field(default_factory=dict)
    violations_by_meaning: dict[DialogueAct, dict[Language, ConfidenceThreshold]] = Field(default_factory=dict)
    limit_breach: LimitBreachModel | None = None


def load_thresholds(path: Path = THRESHOLDS_FILE) -> GraderThresholds:
    """Read and validate a thresholds file; ``GraderThresholdsError`` says what is wrong and where."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GraderThresholdsError(f"{path}: cannot read grader thresholds: {exc}") from exc
    try:
        return GraderThresholds.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise GraderThresholdsError(f"{path}: {problems} (rewrite it with `drill eval thresholds --write`)") from exc


@cache
def grader_thresholds() -> GraderThresholds:
    """The shipped thresholds, loaded once per process."""
    return load_thresholds()


def red_line_threshold(kind: CriticalErrorKind, language: Language) -> float | None:
    """The confidence a recognised ``kind`` needs to fail a session, or None when none was chosen."""
    by_language = grader_thresholds().red_lines.get(kind, {})
    chosen = by_language.get(language)
    return chosen.min_confidence if chosen else None


def violation_threshold(act: DialogueAct, language: Language) -> float | None:
    """The recogniser score a violation ``act`` flagged by meaning alone needs to count as a finding, or
    None when none was chosen (then every sentence the recogniser flags counts)."""
    chosen = grader_thresholds().violations_by_meaning.get(act, {}).get(language)
    return chosen.min_confidence if chosen else None
