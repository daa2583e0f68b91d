"""How well fitted (or shipped) weights agree with a mentor's levels: per criterion, on the total, pass/fail."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.evals import metrics
from simulator.evals.agreement import cohen_kappa
from simulator.models import Rubric
from simulator.weights_fit.features import LabelledSignals


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def level_figures(rows: Sequence[LabelledSignals], predicted: Sequence[Mapping[str, int]]) -> dict[str, Any]:
    """Per criterion the mentor labelled: how many, exact agreement, mean absolute error, weighted kappa.

    ``overall`` pools every (row, criterion) label: exact agreement and mean absolute error.
    """
    by_criterion: dict[str, list[tuple[int, int]]] = {}
    for row, levels in zip(rows, predicted, strict=True):
        for criterion, level in row.levels.items():
            if criterion in levels:
                by_criterion.setdefault(criterion, []).append((level, levels[criterion]))
    figures: dict[str, Any] = {}
    for criterion, pairs in sorted(by_criterion.items()):
        labels, guesses = [p[0] for p in pairs], [p[1] for p in pairs]
        figures[criterion] = {
            "n": len(pairs),
            "exact": _round(metrics.accuracy(labels, guesses)),
            "mae": _round(metrics.mean_absolute_error(labels, guesses), 3),
            "qwk": _round(metrics.quadratic_weighted_kappa(labels, guesses)),
        }
    pooled = [pair for pairs in by_criterion.values() for pair in pairs]
    figures["overall"] = {
        "n": len(pooled),
        "exact": _round(metrics.accuracy([p[0] for p in pooled], [p[1] for p in pooled])),
        "mae": _round(metrics.mean_absolute_error([p[0] for p in pooled], [p[1] for p in pooled]), 3),
    }
    return figures


def weighted_total(levels: Mapping[str, int], rubric: Rubric) -> float:
    """Σ weight·level/5 on 0-100, as the grader's report computes it."""
    return round(sum(c.weight * levels[c.id] / 5 for c in rubric.criteria), 2)


def total_figures(
    rows: Sequence[LabelledSignals], predicted: Sequence[Mapping[str, int]], rubric: Rubric
) -> dict[str, Any]:
    """Spearman and mean absolute difference of totals, their spread (standard deviations), pass/fail
    accuracy and kappa (total ≥ pass mark).

    Only rows the mentor labelled on every criterion count. Red lines and unsupported evidence are
    not part of this figure: it measures the weights alone.
    """
    ids = [c.id for c in rubric.criteria]
    full = [(row, levels) for row, levels in zip(rows, predicted, strict=True) if all(i in row.levels for i in ids)]
    labels = [weighted_total(row.levels, rubric) for row, _ in full]
    totals = [weighted_total(levels, rubric) for _, levels in full]
    expected = [t >= rubric.pass_mark for t in labels]
    guessed = [t >= rubric.pass_mark for t in totals]
    return {
        "n": len(full),
        "spearman": _round(metrics.spearman(labels, totals)),
        "mad": _round(metrics.mean_absolute_error(labels, totals), 2),
        # How far the totals spread: the mentors' and the grader's standard deviation (points).
        "sd_mentor": _round(statistics.pstdev(labels), 2) if labels else None,
        "sd_grader": _round(statistics.pstdev(totals), 2) if totals else None,
        "pass_fail_accuracy": _round(metrics.accuracy(expected, guessed)),
        "pass_fail_kappa": _round(cohen_kappa(expected, guessed)),
    }
