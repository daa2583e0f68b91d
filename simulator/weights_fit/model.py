"""One regularised linear model per criterion, fitted on signal values, and scoring with its weights.

The grader scores a criterion as ``base + Σ clip(weight × value, ±cap)``, rounded half up, clamped
to 1..5 and then capped by the criterion's ``score_caps`` (a rubric rule such as "asking for a
verification code caps compliance at 1"). The fit keeps that form and learns ``base`` and the
weights:

- each signal enters with its orientation (a penalty counts against, a behaviour or trend for),
  and the oriented coefficients are constrained to be non-negative, so a fitted weight never
  rewards a fault or punishes a good behaviour;
- the penalty is ridge towards a prior: zero for a fit from scratch, the shipped weights when a
  centre refits from its mentors' overrides (``PriorRidge``); the strength ``alpha`` is chosen by
  cross-validation grouped by situation (or session), so no situation is in both the training and
  the validation part of a fold;
- a transcript whose level a score cap decides (the rule fired and holds the level down), or whose
  level is 1 where a score cap gives 1 (compliance: a red line), is left out of that criterion's fit: the rule, not
  the weights, sets that level (``reserved_by_rules``);
- a signal's ``cap`` becomes its largest contribution seen in the training data, so scoring never
  extrapolates beyond the data the weights were fitted on;
- a signal that never fired in the training data has no evidence either way: it keeps the
  template's weight, and the fit lists it (``CriterionFit.no_evidence``) for the provenance;
- the raw sum becomes a level by the weights' ``level_map``: rounded half up, or at cut points
  fitted on the same training rows so that their levels are spread as the mentors' levels are
  (``label_quantile_cuts``). Least squares shrinks every prediction towards the mean by the
  correlation it achieves; rounding that shrunk sum at fixed half points piled the levels in the
  middle and squeezed the totals (synthetic dev: sd 18 points against the mentors' 27). Which map
  the shipped weights use is chosen by nested cross-validation (``simulator.weights_fit.fit_dev``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from simulator.errors import DrillError
from simulator.grading.weights import CriterionWeights, LevelMap, OfflineWeights, SignalWeight
from simulator.weights_fit.features import LabelledSignals, SignalValues, signal_sign
from simulator.weights_fit.ordinal import OrdinalLogit

#: Ridge strengths searched by cross-validation (the chosen one is recorded with the weights).
ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-3, 3, 13))
#: Folds of the grouped cross-validation (fewer when there are fewer groups).
FOLDS = 5


class WeightsFitError(DrillError):
    """The labelled data cannot support a fit (too few rows or groups for a criterion)."""


class PriorRidge(RegressorMixin, BaseEstimator):
    """Least squares with non-negative coefficients and a ridge penalty towards ``prior``.

    Minimises ``‖y − Xw − b‖² + alpha·‖w − prior‖²`` subject to ``w ≥ 0`` (the intercept ``b`` is
    not penalised), by solving the equivalent augmented problem with scikit-learn's non-negative
    ``LinearRegression``. ``prior=None`` means zeros: an ordinary non-negative ridge.
    """

    def __init__(self, alpha: float = 1.0, prior: np.ndarray | None = None):
        self.alpha = alpha
        self.prior = prior

    def fit(self, X: np.ndarray, y: np.ndarray) -> PriorRidge:
        """Fit on oriented features ``X`` (rows × signals) and levels ``y``."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        rows, width = X.shape
        prior = np.zeros(width) if self.prior is None else np.asarray(self.prior, dtype=float)
        root = math.sqrt(self.alpha)
        # The intercept is a column of ones in the data rows and zeros in the penalty rows.
        design = np.vstack(
            [np.hstack([X, np.ones((rows, 1))]), np.hstack([root * np.eye(width), np.zeros((width, 1))])]
        )
        target = np.concatenate([y, root * prior])
        solver = LinearRegression(fit_intercept=False, positive=True).fit(design, target)
        self.coef_ = solver.coef_[:width]
        self.intercept_ = float(solver.coef_[width])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Continuous levels before rounding and clamping."""
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_


def raw_sum(spec: CriterionWeights, values: SignalValues) -> float:
    """``base + Σ clip(weight × value, ±cap)`` over the signals that apply (the sum of ``grade_offline``)."""
    raw = spec.base
    for name, weight in spec.signals.items():
        value = values.get(name)
        if value is None:
            continue
        points = weight.weight * value
        if weight.cap is not None:
            points = max(-weight.cap, min(weight.cap, points))
        raw += points
    return raw


def criterion_score(spec: CriterionWeights, values: SignalValues) -> int:
    """The grader's level for one criterion from signal values (the formula of ``grade_offline``)."""
    score = spec.level(raw_sum(spec, values))
    for name, cap in spec.score_caps.items():
        value = values.get(name)
        if value is not None and value > 0 and score > cap:
            score = cap
    return score


def capped(spec: CriterionWeights, values: SignalValues, level: int) -> bool:
    """True when a score cap of the criterion fired and the mentor's level is within it (the rule decided)."""
    return any((values.get(name) or 0) > 0 and level <= cap for name, cap in spec.score_caps.items())


def reserved_by_rules(spec: CriterionWeights, values: SignalValues, level: int) -> bool:
    """True when the rules, not the weights, give the mentor's ``level``: a score cap fired and the level is
    within it (``capped``), or the level is 1 and a score cap of the criterion sets 1 (compliance 1: a
    critical error or a private-data request) — the lowest level is then the rules' alone.

    The labelling guide gives compliance 1 for a critical error only. A row the mentor put there whose red
    line the grader did not find carries a fault no signal measures; fitted among the others, it made the
    cut points give level 1 to whatever penalty sum was lowest, so one misread sentence of an excellent
    agent was scored as a red line (synthetic dev with v4, 2026-12-02).
    """
    return capped(spec, values, level) or (level == 1 and 1 in spec.score_caps.values())


def label_quantile_cuts(raw: Sequence[float], levels: Sequence[int]) -> list[float]:
    """Cut points on the raw sums that give the rows' levels the mentors' spread (equipercentile).

    The k-th cut (k = 1..4) leaves below it as close as it can to the number of rows the mentors put
    at level k or lower. Rows with the same raw sum stay together, so a cut goes between two distinct
    sums, half-way; when a block of equal sums straddles the target, it goes to the side that misses
    the target by less, the lower level on a tie (many transcripts where nothing went wrong share
    one sum: pushing them all up by default put every clean real log at compliance 5).
    """
    if not raw or len(raw) != len(levels):
        raise WeightsFitError(f"cut points need one level per raw sum, got {len(raw)} sums and {len(levels)} levels")
    distinct = sorted(set(raw))
    # (rows below the cut, the cut) for every place a cut can go: below all sums, between two, above all.
    places = [(0, distinct[0] - 1.0)]
    places += [
        (sum(value <= lower for value in raw), (lower + upper) / 2)
        for lower, upper in zip(distinct, distinct[1:], strict=False)
    ]
    places.append((len(raw), distinct[-1] + 1.0))
    cuts: list[float] = []
    for k in range(1, 5):
        target = sum(level <= k for level in levels)
        _, cut = min(places, key=lambda place: (abs(place[0] - target), -place[0]))
        cuts.append(round(max(cut, cuts[-1]) if cuts else cut, 4))
    return cuts


def design_matrix(spec: CriterionWeights, rows: Sequence[SignalValues]) -> np.ndarray:
    """Oriented signal values (rows × the criterion's signals); a signal that does not apply is 0."""
    return np.array(
        [[signal_sign(name) * (values.get(name) or 0.0) for name in spec.signals] for values in rows], dtype=float
    ).reshape(len(rows), len(spec.signals))


@dataclass(frozen=True)
class CriterionFit:
    """The fitted weights of one criterion and how they were chosen."""

    criterion: str
    weights: CriterionWeights
    alpha: float
    rows: int
    groups: int
    left_to_caps: int
    no_evidence: tuple[str, ...]  # signals that never fired in the training rows: the template's weight kept


def _training_rows(criterion: str, spec: CriterionWeights, rows: Sequence[LabelledSignals]) -> list[LabelledSignals]:
    return [r for r in rows if criterion in r.levels and not reserved_by_rules(spec, r.values, r.levels[criterion])]


def fit_criterion(
    criterion: str,
    spec: CriterionWeights,
    rows: Sequence[LabelledSignals],
    *,
    prior: CriterionWeights | None = None,
    alphas: Sequence[float] = ALPHAS,
    folds: int = FOLDS,
    level_map: LevelMap = "half_up",
) -> CriterionFit:
    """Fit ``criterion``'s base and weights on ``rows`` (its signals and score caps come from ``spec``).

    With ``prior`` the penalty pulls towards the prior's weights (a centre's refit); without it,
    towards zero. With ``level_map`` ``label_quantiles`` the cut points are fitted on the same rows
    (``label_quantile_cuts``). Raises ``WeightsFitError`` when fewer than two groups label the criterion.
    """
    usable = _training_rows(criterion, spec, rows)
    groups = [r.group for r in usable]
    distinct = len(set(groups))
    if distinct < 2:
        raise WeightsFitError(
            f"criterion {criterion}: {len(usable)} labelled transcript(s) from {distinct} situation(s) or "
            "session(s); a cross-validated fit needs at least two"
        )
    X = design_matrix(spec, [r.values for r in usable])
    y = np.array([r.levels[criterion] for r in usable], dtype=float)
    prior_coef = (
        None
        if prior is None
        else np.array([signal_sign(n) * (prior.signals[n].weight if n in prior.signals else 0.0) for n in spec.signals])
    )
    estimator: PriorRidge | OrdinalLogit = (
        OrdinalLogit(prior=prior_coef) if level_map == "ordinal" else PriorRidge(prior=prior_coef)
    )
    search = GridSearchCV(
        estimator,
        {"alpha": list(alphas)},
        cv=GroupKFold(n_splits=min(folds, distinct)),
        scoring="neg_mean_absolute_error",
    )
    search.fit(X, y, groups=groups)
    alpha = float(search.best_params_["alpha"])
    model = estimator.set_params(alpha=alpha).fit(X, y)
    largest = np.abs(X).max(axis=0) if len(X) else np.zeros(len(spec.signals))
    silent = tuple(name for index, name in enumerate(spec.signals) if largest[index] == 0)
    signals: dict[str, SignalWeight] = {}
    for index, name in enumerate(spec.signals):
        if name in silent:
            # No evidence either way (e.g. the customer's mood: labelled transcripts carry no simulator
            # state): the template's weight is carried over, and the provenance lists it as such.
            signals[name] = spec.signals[name]
            continue
        weight = round(float(signal_sign(name) * model.coef_[index]), 4) + 0.0  # + 0.0: no "-0.0" in the file
        signals[name] = SignalWeight(weight=weight, cap=round(abs(weight) * float(largest[index]), 4))
    if isinstance(model, OrdinalLogit):
        # The cumulative logit has no intercept of its own (the thresholds carry it): the base is the
        # mentors' mean level and the cut points move with it, so the raw sum reads on the levels' scale.
        base = round(min(5.0, max(1.0, float(y.mean()))), 4)
        fitted = CriterionWeights(
            base=base,
            signals=signals,
            score_caps=dict(spec.score_caps),
            cuts=[round(base + float(cut), 4) for cut in model.cuts_],
        )
    else:
        base = round(min(5.0, max(1.0, model.intercept_)), 4)
        fitted = CriterionWeights(base=base, signals=signals, score_caps=dict(spec.score_caps))
    if level_map == "label_quantiles":
        raw = [raw_sum(fitted, r.values) for r in usable]
        fitted = fitted.model_copy(update={"cuts": label_quantile_cuts(raw, [int(level) for level in y])})
    left = sum(criterion in r.levels for r in rows) - len(usable)
    return CriterionFit(criterion, fitted, alpha, len(usable), distinct, left, silent)


def fit_weights(
    template: OfflineWeights,
    rows: Sequence[LabelledSignals],
    *,
    prior: OfflineWeights | None = None,
    alphas: Sequence[float] = ALPHAS,
    folds: int = FOLDS,
    criteria: Sequence[str] | None = None,
    level_map: LevelMap | None = None,
) -> tuple[OfflineWeights, dict[str, CriterionFit]]:
    """Fit every criterion of ``template`` (or only ``criteria``; the rest keep the template's weights).

    ``template`` gives each criterion's signals, score caps and the measurement thresholds, and the
    level map unless ``level_map`` is given (a criterion not refitted keeps its cut points, so only a
    full fit may change the map).
    """
    chosen = list(template.criteria) if criteria is None else list(criteria)
    level_map = template.level_map if level_map is None else level_map
    if level_map != template.level_map and set(chosen) != set(template.criteria):
        raise WeightsFitError(f"changing the level map to {level_map} needs every criterion refitted")
    fits = {
        criterion: fit_criterion(
            criterion,
            template.criteria[criterion],
            rows,
            prior=None if prior is None else prior.criteria[criterion],
            alphas=alphas,
            folds=folds,
            level_map=level_map,
        )
        for criterion in chosen
    }
    merged = {name: fits[name].weights if name in fits else spec for name, spec in template.criteria.items()}
    return template.model_copy(update={"criteria": merged, "digest": "", "level_map": level_map}), fits


def predict_levels(weights: OfflineWeights, values: SignalValues) -> dict[str, int]:
    """Criterion id -> the level the grader gives with ``weights``."""
    return {name: criterion_score(spec, values) for name, spec in weights.criteria.items()}


def cross_validated_levels(
    template: OfflineWeights,
    rows: Sequence[LabelledSignals],
    *,
    prior: OfflineWeights | None = None,
    alphas: Sequence[float] = ALPHAS,
    folds: int = FOLDS,
    criteria: Sequence[str] | None = None,
    level_map: LevelMap | None = None,
) -> list[dict[str, int]]:
    """Each row's levels from weights fitted without its group (outer folds grouped like the inner ones)."""
    groups = [r.group for r in rows]
    distinct = len(set(groups))
    if distinct < 2:
        raise WeightsFitError(
            f"{len(rows)} labelled transcript(s) from {distinct} situation(s) or session(s); a cross-validated fit "
            "needs at least two"
        )
    predicted: list[dict[str, int]] = [{} for _ in rows]
    splitter = GroupKFold(n_splits=min(folds, distinct))
    for train, held_out in splitter.split(np.zeros(len(rows)), groups=groups):
        fitted, _ = fit_weights(
            template,
            [rows[i] for i in train],
            prior=prior,
            alphas=alphas,
            folds=folds,
            criteria=criteria,
            level_map=level_map,
        )
        for i in held_out:
            predicted[i] = predict_levels(fitted.for_grading(rows[i].with_case), rows[i].values)
    return predicted
