"""Does any case in the bank fit this conversation? The "no close case" decision of the case index.

Cosine similarity alone does not say it: with the default embedder, a TV-show recommendation scores
0.72-0.78 against its nearest case, as high as many real matches. What separates them, measured on
the dev queries of ``evals/retrieval.yaml`` (``drill eval retrieval --choose-threshold``), is how far
the nearest case stands out from the next few: a conversation about a case in the bank is much
closer to that case than to the others; one the bank does not cover is about equally far from all.

The *margin* of a search is the top score minus the mean score of the next ``window`` hits. A margin
below the embedder's threshold means **no close case**: the grader then uses no reference case and
the coaching is phrased from the rubric and the trainee's own words (never from another case's facts).

Window and threshold per embedder are data, with their provenance, in
``simulator/retrieval_thresholds.yaml``. An embedder without an entry (an endpoint model nobody has
measured) never reports "no close case": the state is then ``unmeasured``, and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from simulator.config import PACKAGE_DIR
from simulator.errors import DrillError
from simulator.models import StrictModel

THRESHOLDS_FILE = PACKAGE_DIR / "retrieval_thresholds.yaml"


class ThresholdFileError(DrillError):
    """``retrieval_thresholds.yaml`` is missing or malformed."""


class FitThreshold(StrictModel):
    """The measured "no close case" rule for one embedder."""

    window: int = Field(ge=1, description="How many hits after the first the margin is taken against.")
    margin: float = Field(description="A search whose margin is below this has no close case.")
    chosen_on: Literal["dev"] = Field(description="Split the threshold was chosen on.")
    eval_file_sha256: str = Field(description="Hash of evals/retrieval.yaml when it was measured.")
    cases: int = Field(ge=0, description="Cases in the bank when it was measured.")
    close_queries: int = Field(ge=0, description="Dev queries with a relevant case.")
    no_close_queries: int = Field(ge=0, description="Dev queries with no relevant case.")
    close_kept: float = Field(ge=0, le=1, description="Share of close queries whose margin reached the threshold.")
    no_close_caught: float = Field(ge=0, le=1, description="Share of no-close queries below the threshold.")
    measured: str = Field(description="Date of the measurement (YYYY-MM-DD).")


class ThresholdFile(StrictModel):
    """``simulator/retrieval_thresholds.yaml``."""

    thresholds: dict[str, FitThreshold] = Field(description="Embedder name -> its measured threshold.")


def load_thresholds(path: Path = THRESHOLDS_FILE) -> ThresholdFile:
    """Read and validate the thresholds file; raise ``ThresholdFileError`` naming the problem."""
    try:
        return ThresholdFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise ThresholdFileError(f"{path}: cannot read retrieval thresholds: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise ThresholdFileError(f"{path}: {problems}") from exc


@cache
def threshold_for(embedder_name: str) -> FitThreshold | None:
    """The shipped threshold for ``embedder_name``, or None when it was never measured."""
    return load_thresholds().thresholds.get(embedder_name)


def margin(scores: Sequence[float], window: int) -> float | None:
    """Top score minus the mean of the next ``window`` scores (fewer when fewer exist); None for < 2 scores."""
    if len(scores) < 2:
        return None
    rest = scores[1 : 1 + window]
    return scores[0] - sum(rest) / len(rest)


FitState = Literal["close", "no_close_case", "unmeasured", "undecided"]


@dataclass(frozen=True)
class Fit:
    """Whether the nearest case fits: ``close``, ``no_close_case``, ``unmeasured`` (no threshold for
    this embedder) or ``undecided`` (fewer than two cases to compare)."""

    state: FitState
    margin: float | None = None
    threshold: float | None = None

    @property
    def no_close_case(self) -> bool:
        """True when the search found nothing close enough to borrow from."""
        return self.state == "no_close_case"


def judge_fit(scores: Sequence[float], threshold: FitThreshold | None) -> Fit:
    """Decide :class:`Fit` from a search's scores (best first) and the embedder's threshold."""
    if threshold is None:
        return Fit("unmeasured")
    value = margin(scores, threshold.window)
    if value is None:
        return Fit("undecided", None, threshold.margin)
    return Fit("close" if value >= threshold.margin else "no_close_case", value, threshold.margin)


__all__ = [
    "Fit",
    "FitState",
    "FitThreshold",
    "ThresholdFile",
    "ThresholdFileError",
    "judge_fit",
    "load_thresholds",
    "margin",
    "threshold_for",
]
