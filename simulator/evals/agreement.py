"""Agreement of grader totals and verdicts with a mentor's: the figures every part of the grader eval prints.

One function, ``agreement``, summarises one part (synthetic or real logs) the same way:

- pass/fail: accuracy and Cohen's kappa (chance-corrected, ``sklearn.metrics.cohen_kappa_score``)
  over the items that got a verdict, with the confusion table;
- honest about missing verdicts: items left *unscored* (no total: an empty or too-thin agent side,
  a failed judge) and *unsupported* (a total, but ``passed`` is null because a level cites no quote)
  are counted apart, with how many of each the mentor passed, and ``accuracy_all`` counts a
  withheld verdict as a disagreement;
- on the total: Spearman and mean absolute difference, each with a percentile bootstrap interval
  (``scipy.stats.bootstrap``, items resampled in pairs);
- the spread of the totals, labelled and predicted: standard deviation, range, quartiles and the
  largest share of items inside any band of ``BAND_WIDTH`` points (a grader that puts every real
  agent between 36 and 67 shows it here).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import bootstrap, rankdata
from sklearn.metrics import cohen_kappa_score

from simulator.evals import metrics

#: Resamples and confidence of the bootstrap intervals; the seed makes reports reproducible.
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 12
#: Width of the band the spread figure looks at (the issue's "no band of 30 points holding everything").
BAND_WIDTH = 30.0


@dataclass(frozen=True)
class Graded:
    """One item as the agreement figures see it: the mentor's total and verdict beside the grader's."""

    label_total: float
    label_passed: bool
    predicted_total: float | None  # None: unscored
    predicted_passed: bool | None  # None: unscored, or unsupported when a total exists


def cohen_kappa(expected: Sequence[bool], predicted: Sequence[bool]) -> float | None:
    """Cohen's kappa for two pass/fail raters; ``None`` for no pairs or when it is undefined.

    Kappa is undefined when chance agreement is total (both raters gave one and the same verdict
    to every item); sklearn answers NaN there, which becomes ``None``.
    """
    if len(expected) != len(predicted):
        raise ValueError(f"the two sequences differ in length ({len(expected)} vs {len(predicted)})")
    if not expected:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on a single label; the NaN below says it
        value = float(cohen_kappa_score(list(expected), list(predicted), labels=[False, True]))
    return None if math.isnan(value) else value


def spearman_along(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman correlation along ``axis`` (average ranks, so ties are handled); NaN where a side is constant."""
    rx = rankdata(x, axis=axis)
    ry = rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    denominator = np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator == 0, np.nan, (rx * ry).sum(axis=axis) / denominator)


def mad_along(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean absolute difference along ``axis``."""
    return np.abs(np.asarray(x) - np.asarray(y)).mean(axis=axis)


def bootstrap_interval(
    statistic: Callable[[np.ndarray, np.ndarray, int], np.ndarray],
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``statistic(a, b)`` with pairs resampled together.

    ``statistic`` works along an axis (``spearman_along``, ``mad_along``), so all resamples are
    computed at once. ``None`` with fewer than three pairs, or when the statistic is undefined on
    too many resamples for an interval (e.g. Spearman when most resamples hold one value).
    """
    if len(a) != len(b):
        raise ValueError(f"the two sequences differ in length ({len(a)} vs {len(b)})")
    if len(a) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate resamples; a NaN interval says it below
        result = bootstrap(
            (np.asarray(a, dtype=float), np.asarray(b, dtype=float)),
            statistic,
            paired=True,
            vectorized=True,
            n_resamples=resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if math.isnan(low) or math.isnan(high):
        return None
    return low, high


def widest_band_share(values: Sequence[float], width: float = BAND_WIDTH) -> float | None:
    """The largest share of ``values`` inside any closed band ``[v, v + width]``; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    best = 0
    end = 0
    for start, low in enumerate(ordered):
        while end < len(ordered) and ordered[end] <= low + width + 1e-9:
            end += 1
        best = max(best, end - start)
    return best / len(ordered)


def spread(values: Sequence[float]) -> dict[str, Any]:
    """How the totals spread: n, mean, standard deviation, min, quartiles, max, widest band share."""
    if not values:
        return {"n": 0}
    array = np.asarray(values, dtype=float)
    q1, median, q3 = (float(v) for v in np.percentile(array, [25, 50, 75]))
    return {
        "n": len(array),
        "mean": round(float(array.mean()), 2),
        "sd": round(float(array.std(ddof=1)), 2) if len(array) > 1 else None,
        "min": round(float(array.min()), 2),
        "q1": round(q1, 2),
        "median": round(median, 2),
        "q3": round(q3, 2),
        "max": round(float(array.max()), 2),
        "band_width": BAND_WIDTH,
        "widest_band_share": _round(widest_band_share(list(array))),
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _interval(interval: tuple[float, float] | None, digits: int) -> list[float] | None:
    return None if interval is None else [round(interval[0], digits), round(interval[1], digits)]


def agreement(items: Sequence[Graded]) -> dict[str, Any]:
    """Pass/fail, rank and distance agreement of one part of the eval, with intervals and spread."""
    scored = [item for item in items if item.predicted_total is not None]
    unsupported = [item for item in scored if item.predicted_passed is None]
    unscored = [item for item in items if item.predicted_total is None]
    verdicts = [item for item in items if item.predicted_passed is not None]
    expected = [item.label_passed for item in verdicts]
    predicted = [bool(item.predicted_passed) for item in verdicts]
    labels = [item.label_total for item in scored]
    totals = [float(item.predicted_total) for item in scored if item.predicted_total is not None]
    hits = sum(e == p for e, p in zip(expected, predicted, strict=True))
    return {
        "n": len(items),
        "pass_fail": {
            "n": len(verdicts),
            "accuracy": _round(metrics.accuracy(expected, predicted)),
            "accuracy_all": _round(hits / len(items)) if items else None,
            "kappa": _round(cohen_kappa(expected, predicted)),
            "confusion": metrics.pass_fail_confusion(expected, predicted).as_dict(),
            "labelled_pass_rate": _round(sum(i.label_passed for i in items) / len(items)) if items else None,
        },
        "withheld": {
            "unscored": len(unscored),
            "unscored_labelled_pass": sum(i.label_passed for i in unscored),
            "unsupported": len(unsupported),
            "unsupported_labelled_pass": sum(i.label_passed for i in unsupported),
        },
        "total": {
            "n": len(scored),
            "spearman": _round(metrics.spearman(labels, totals)),
            "spearman_ci": _interval(bootstrap_interval(spearman_along, labels, totals), 4),
            "mad": _round(metrics.mean_absolute_error(labels, totals), 2),
            "mad_ci": _interval(bootstrap_interval(mad_along, labels, totals), 2),
            "confidence": CONFIDENCE,
        },
        "spread": {"label": spread([i.label_total for i in items]), "predicted": spread(totals)},
    }
