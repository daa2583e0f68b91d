"""Agreement metrics for the grader eval, as pure functions.

Following inspect_ai, every function accepts empty or degenerate input and answers ``None``
(undefined) rather than crashing or inventing a 0: an eval with nothing to measure has no score.
Callers drop unscored predictions (``None``) before calling, and report how many they dropped.
Spearman is computed here from average ranks with numpy (scipy is not a dependency).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def _pairs(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if len(a) != len(b):
        raise ValueError(f"the two sequences differ in length ({len(a)} vs {len(b)})")
    return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


def _ranks(array: np.ndarray) -> np.ndarray:
    order = np.argsort(array, kind="mergesort")
    ranks = np.empty(len(array), dtype=float)
    sorted_values = array[order]
    start = 0
    while start < len(array):
        end = start
        while end + 1 < len(array) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks where tied values share the mean of the ranks they span."""
    return [float(rank) for rank in _ranks(np.asarray(values, dtype=float))]


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman rank correlation (Pearson on average ranks, so ties are handled).

    ``None`` with fewer than two pairs or when either side is constant (correlation undefined).
    """
    x, y = _pairs(a, b)
    if len(x) < 2:
        return None
    rx = _ranks(x) - (len(x) + 1) / 2
    ry = _ranks(y) - (len(y) + 1) / 2
    denominator = float(np.sqrt((rx**2).sum() * (ry**2).sum()))
    if denominator == 0:
        return None
    return float((rx * ry).sum() / denominator)


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], *, min_rating: int = 1, max_rating: int = 5
) -> float | None:
    """Cohen's kappa with quadratic weights for ordinal ratings in ``min_rating..max_rating``.

    ``None`` for no pairs, and when the expected disagreement is zero (both raters gave one and
    the same rating throughout: agreement beyond chance is undefined). Raises ``ValueError``
    for a rating outside the range.
    """
    x, y = _pairs(a, b)
    if len(x) == 0:
        return None
    size = max_rating - min_rating + 1
    for value in np.concatenate([x, y]):
        if value != int(value) or not min_rating <= value <= max_rating:
            raise ValueError(f"rating {value:g} is outside {min_rating}..{max_rating}")
    observed = np.zeros((size, size))
    for i, j in zip(x.astype(int) - min_rating, y.astype(int) - min_rating, strict=True):
        observed[i, j] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(x)
    index = np.arange(size)
    weights = (index[:, None] - index[None, :]) ** 2 / (size - 1) ** 2
    disagreement = float((weights * expected).sum())
    if disagreement == 0:
        return None
    return float(1 - (weights * observed).sum() / disagreement)


def mean_absolute_error(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Mean of ``|a - b|``; ``None`` for no pairs."""
    x, y = _pairs(a, b)
    if len(x) == 0:
        return None
    return float(np.abs(x - y).mean())


def accuracy(expected: Sequence[Hashable], predicted: Sequence[Hashable]) -> float | None:
    """Share of positions where ``predicted`` equals ``expected``; ``None`` for no pairs."""
    if len(expected) != len(predicted):
        raise ValueError(f"the two sequences differ in length ({len(expected)} vs {len(predicted)})")
    if not expected:
        return None
    return sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(expected)


@dataclass(frozen=True)
class Confusion:
    """Pass/fail confusion counts (positive = passed)."""

    true_pass: int
    false_pass: int
    false_fail: int
    true_fail: int

    def as_dict(self) -> dict[str, int]:
        """Plain dict for JSON."""
        return asdict(self)


def pass_fail_confusion(expected: Sequence[bool], predicted: Sequence[bool]) -> Confusion:
    """Counts of labelled pass/fail against predicted pass/fail (all zero for no pairs)."""
    if len(expected) != len(predicted):
        raise ValueError(f"the two sequences differ in length ({len(expected)} vs {len(predicted)})")
    pairs = list(zip(expected, predicted, strict=True))
    return Confusion(
        true_pass=sum(e and p for e, p in pairs),
        false_pass=sum((not e) and p for e, p in pairs),
        false_fail=sum(e and not p for e, p in pairs),
        true_fail=sum((not e) and not p for e, p in pairs),
    )


@dataclass(frozen=True)
class Rate:
    """``hits`` out of ``count``, with ``rate`` = hits/count or ``None`` when count is 0."""

    hits: int
    count: int

    @property
    def rate(self) -> float | None:
        """hits / count, or ``None`` when there was nothing to count."""
        return self.hits / self.count if self.count else None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {"hits": self.hits, "count": self.count, "rate": self.rate}


def pairwise_ordering(items: Sequence[tuple[Hashable, float, float | None]], *, min_gap: float = 5.0) -> Rate:
    """Within each group, do predictions order clearly different items the way the labels do?

    ``items`` are ``(group, labelled total, predicted total)``. Every pair of items of the same
    group whose labelled totals differ by at least ``min_gap`` points counts; it is a hit when
    the predicted totals differ in the same direction. A tie in the prediction, or a missing
    (unscored) prediction, counts as wrong: the grader failed to tell the two apart.
    """
    groups: dict[Hashable, list[tuple[float, float | None]]] = defaultdict(list)
    for group, label, prediction in items:
        groups[group].append((label, prediction))
    hits = count = 0
    for members in groups.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                (label_i, pred_i), (label_j, pred_j) = members[i], members[j]
                if abs(label_i - label_j) < min_gap:
                    continue
                count += 1
                if pred_i is None or pred_j is None or pred_i == pred_j:
                    continue
                hits += (label_i > label_j) == (pred_i > pred_j)
    return Rate(hits=hits, count=count)


def quote_validity(quotes: Sequence[tuple[str, str | None]]) -> Rate:
    """How many quotes are verbatim substrings of the turn they cite.

    ``quotes`` are ``(quote, text of the cited turn)``; the text is ``None`` when the cited turn
    does not exist, which makes the quote invalid. An empty quote is invalid too (it proves nothing).
    """
    hits = sum(bool(quote) and text is not None and quote in text for quote, text in quotes)
    return Rate(hits=hits, count=len(quotes))


@dataclass(frozen=True)
class ChangeSummary:
    """Score changes under a perturbation (here: an instruction to the grader appended to a turn)."""

    count: int
    increased: int
    decreased: int
    max_increase: float | None
    max_abs_change: float | None
    mean_change: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def change_summary(before: Sequence[float], after: Sequence[float]) -> ChangeSummary:
    """Summarise ``after - before`` per item: how many went up or down, the largest and the mean change.

    ``max_increase`` is the largest signed change (negative when every score went down); the
    statistics are ``None`` for no pairs.
    """
    x, y = _pairs(before, after)
    if len(x) == 0:
        return ChangeSummary(0, 0, 0, None, None, None)
    delta = y - x
    # Totals are rounded to 2 decimals by the aggregator; smaller differences are float noise.
    delta = np.where(np.abs(delta) < 1e-6, 0.0, delta)
    return ChangeSummary(
        count=len(delta),
        increased=int((delta > 0).sum()),
        decreased=int((delta < 0).sum()),
        max_increase=float(delta.max()),
        max_abs_change=float(np.abs(delta).max()),
        mean_change=float(delta.mean()),
    )


@dataclass(frozen=True)
class LengthBias:
    """Predicted minus labelled difference between verbose variants and their base items."""

    count: int
    mean_bias: float | None
    max_abs_bias: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def length_bias(pairs: Sequence[tuple[float, float, float, float]]) -> LengthBias:
    """Mean signed length bias in points.

    ``pairs`` are ``(labelled verbose, labelled base, predicted verbose, predicted base)``
    totals. Each pair's bias is ``(pred verbose - pred base) - (label verbose - label base)``:
    positive means the grader rewards the wordier version beyond what the mentor did, negative
    that it punishes it more. ``None`` statistics for no pairs.
    """
    if not pairs:
        return LengthBias(0, None, None)
    array = np.asarray(pairs, dtype=float)
    bias = (array[:, 2] - array[:, 3]) - (array[:, 0] - array[:, 1])
    return LengthBias(count=len(bias), mean_bias=float(bias.mean()), max_abs_bias=float(np.abs(bias).max()))
