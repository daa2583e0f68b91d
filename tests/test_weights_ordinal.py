"""The cumulative-logit level model: order, signs, unseen levels, and the grader's own formula."""

from __future__ import annotations

import numpy as np

from simulator.grading.weights import CriterionWeights, SignalWeight
from simulator.weights_fit.features import LabelledSignals
from simulator.weights_fit.model import criterion_score, fit_criterion
from simulator.weights_fit.ordinal import OrdinalLogit


def _levels(X: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = X @ np.array([3.0, 0.0, 4.0]) + rng.logistic(size=len(X)) * 0.4
    return 1 + np.digitize(latent, [1.5, 3.0, 4.5, 6.0])


def test_ordinal_logit_ranks_rows_and_never_flips_a_sign() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((300, 3))
    X[:, 1] = -X[:, 1]  # an oriented feature that hurts: its coefficient must stay at 0, not turn negative
    y = _levels(X)
    model = OrdinalLogit(alpha=0.01).fit(X, y)
    assert (model.coef_ >= 0).all() and model.coef_[1] < 1e-6
    assert model.coef_[2] > model.coef_[0] > 0
    assert list(model.cuts_) == sorted(model.cuts_)
    predicted = model.predict(X)
    assert np.mean(np.abs(predicted - y)) < 0.5
    assert set(predicted.tolist()) <= {1, 2, 3, 4, 5}


def test_a_level_never_seen_in_training_is_never_predicted() -> None:
    rng = np.random.default_rng(2)
    X = rng.random((200, 3))
    y = np.maximum(_levels(X), 2)  # no row at level 1
    model = OrdinalLogit(alpha=0.01).fit(X, y)
    assert model.predict(np.vstack([X, np.zeros((1, 3))])).min() == 2


def test_fitted_ordinal_weights_score_as_the_grader_does() -> None:
    rng = np.random.default_rng(3)
    spec = CriterionWeights(
        base=3.0, signals={"greeting": SignalWeight(weight=1.0), "own_words": SignalWeight(weight=1.0)}
    )
    rows = []
    for index in range(120):
        greeting, own = float(rng.random() < 0.5), float(rng.random())
        level = int(np.clip(round(1 + 2 * greeting + 2 * own + rng.normal(0, 0.3)), 1, 5))
        rows.append(
            LabelledSignals(f"i{index}", f"s{index % 8}", {"greeting": greeting, "own_words": own}, {"c": level})
        )
    fit = fit_criterion("c", spec, rows, alphas=(0.01, 1.0), folds=3, level_map="ordinal")
    cuts = fit.weights.cuts
    assert cuts is not None and len(cuts) == 4 and cuts == sorted(cuts)
    assert all(w.weight >= 0 for w in fit.weights.signals.values())
    scored = np.array([criterion_score(fit.weights, r.values) for r in rows])
    labels = np.array([r.levels["c"] for r in rows])
    assert np.mean(scored == labels) > 0.6
    # The levels follow the mentors' order: a row with more of both signals never scores lower.
    assert criterion_score(fit.weights, {"greeting": 1.0, "own_words": 1.0}) >= criterion_score(
        fit.weights, {"greeting": 0.0, "own_words": 0.2}
    )
