"""A weight set of its own for transcripts graded without a case, chosen by nested cross-validation.

Graded without a case (a chat log), a transcript is a different measurement: no resolution of the
case, no case fact, no customer type can be measured, so the signals that remain carry the whole
raw sum and the shared cut points — fitted mostly on transcripts graded with a case — squeeze the
totals into a narrow band. Fitted in one shared fit, the few case-less rows are drowned by the
rows with a case. The candidates for the case-less set, from least to most freedom:

- ``shared``: no set of its own; the shared ``criteria`` grade both;
- ``own_cuts``: the shared weights, with cut points fitted on the case-less training rows alone
  (the same equipercentile rule, ``label_quantile_cuts``), so case-less levels are spread as the
  mentors spread them on case-less transcripts (``label_quantiles`` level map only);
- ``toward_shared``: weights, base and cut points fitted on the case-less rows alone with the ridge
  penalty pulling towards the shared weights (``PriorRidge``; alpha chosen by cross-validation
  grouped like the rest, i.e. by dataset), so a few logs move the weights a little;
- ``separate``: the same fit with the penalty pulling towards zero, as the shared fit does: the
  case-less rows alone decide (a signal that never fired in them keeps its shared weight).

Which one the shipped weights carry is chosen by nested cross-validation (``fit_dev``): the
case-less rows' totals, lowest mean absolute difference from the mentors' (ties: the simpler).
Transcripts graded with a case are graded by the shared weights whatever the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import GroupKFold

from simulator.grading.weights import CriterionWeights, LevelMap, OfflineWeights
from simulator.weights_fit.features import LabelledSignals
from simulator.weights_fit.model import (
    ALPHAS,
    FOLDS,
    WeightsFitError,
    fit_criterion,
    fit_weights,
    label_quantile_cuts,
    predict_levels,
    raw_sum,
    reserved_by_rules,
)

WithoutCaseVariant = Literal["shared", "own_cuts", "toward_shared", "separate"]
#: Candidates in order of freedom: a tie goes to the earlier one.
WITHOUT_CASE_VARIANTS: tuple[WithoutCaseVariant, ...] = ("shared", "own_cuts", "toward_shared", "separate")


def applicable_variants(level_map: LevelMap) -> tuple[WithoutCaseVariant, ...]:
    """The candidates that apply with ``level_map`` (cut points of their own need ``label_quantiles``)."""
    return tuple(v for v in WITHOUT_CASE_VARIANTS if level_map == "label_quantiles" or v != "own_cuts")


def fit_without_case(
    shared: OfflineWeights,
    rows: Sequence[LabelledSignals],
    variant: WithoutCaseVariant,
    *,
    alphas: Sequence[float] = ALPHAS,
    folds: int = FOLDS,
) -> tuple[dict[str, CriterionWeights] | None, dict[str, Any]]:
    """The case-less criteria of ``variant`` fitted on ``rows``' case-less rows, and per criterion how.

    ``None`` for ``shared``, or when no row is case-less. A criterion the case-less rows cannot fit
    (labels from fewer than two groups) keeps its shared weights and says so.
    """
    caseless = [row for row in rows if not row.with_case]
    if variant == "shared" or not caseless:
        return None, {}
    if variant == "own_cuts" and shared.level_map != "label_quantiles":
        raise WeightsFitError("cut points of their own need the label_quantiles level map")
    criteria: dict[str, CriterionWeights] = {}
    how: dict[str, Any] = {}
    for criterion, spec in shared.criteria.items():
        if variant == "own_cuts":
            usable = [
                r
                for r in caseless
                if criterion in r.levels and not reserved_by_rules(spec, r.values, r.levels[criterion])
            ]
            if not usable:
                criteria[criterion], how[criterion] = spec, {"rows": 0, "kept": "shared cut points"}
                continue
            cuts = label_quantile_cuts([raw_sum(spec, r.values) for r in usable], [r.levels[criterion] for r in usable])
            criteria[criterion] = spec.model_copy(update={"cuts": cuts})
            how[criterion] = {"rows": len(usable)}
            continue
        try:
            fit = fit_criterion(
                criterion,
                spec,
                caseless,
                prior=spec if variant == "toward_shared" else None,
                alphas=alphas,
                folds=folds,
                level_map=shared.level_map,
            )
        except WeightsFitError as exc:
            criteria[criterion], how[criterion] = spec, {"kept": f"shared weights: {exc}"}
            continue
        criteria[criterion] = fit.weights
        how[criterion] = {"alpha": round(fit.alpha, 4), "rows": fit.rows, "groups": fit.groups}
    return criteria, how


def cross_validated_variants(
    template: OfflineWeights,
    rows: Sequence[LabelledSignals],
    *,
    level_map: LevelMap,
    alphas: Sequence[float] = ALPHAS,
    folds: int = FOLDS,
) -> dict[WithoutCaseVariant, list[dict[str, int]]]:
    """Each candidate's nested cross-validated levels for every row.

    The outer folds are those of ``model.cross_validated_levels`` (grouped by situation or dataset);
    in each, the shared weights are fitted on the training part (alpha chosen inside it), then each
    candidate's case-less set on the training part's case-less rows, and the held-out rows are graded
    as the grader would: with a case by the shared weights, without by the candidate's set.
    """
    template = template.model_copy(update={"without_case": None})
    groups = [r.group for r in rows]
    distinct = len(set(groups))
    if distinct < 2:
        raise WeightsFitError(
            f"{len(rows)} labelled transcript(s) from {distinct} group(s); cross-validation needs two"
        )
    variants = applicable_variants(level_map)
    predicted: dict[WithoutCaseVariant, list[dict[str, int]]] = {v: [{} for _ in rows] for v in variants}
    splitter = GroupKFold(n_splits=min(folds, distinct))
    for train, held_out in splitter.split(np.zeros(len(rows)), groups=groups):
        training = [rows[i] for i in train]
        shared, _ = fit_weights(template, training, alphas=alphas, folds=folds, level_map=level_map)
        for variant in variants:
            own, _ = fit_without_case(shared, training, variant, alphas=alphas, folds=folds)
            weights = shared.model_copy(update={"without_case": own})
            for i in held_out:
                predicted[variant][i] = predict_levels(weights.for_grading(rows[i].with_case), rows[i].values)
    return predicted
