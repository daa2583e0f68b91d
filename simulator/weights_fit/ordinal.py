"""An ordinal model of a criterion's level: a cumulative logit with non-negative oriented weights.

Least squares treats the levels 1-5 as numbers and shrinks every prediction towards the mean; cut
points fitted afterwards (``label_quantile_cuts``) spread the levels as the mentors' are spread, but
they are placed by counting rows, not by where the evidence changes from one level to the next. A
cumulative (proportional-odds) logit fits the weights and the cut points together, by likelihood:

    P(level ≤ k) = σ(θ_k − x·w),  k = 1..4,

so a row is at level k+1 or above exactly when the median of its predicted distribution is, i.e.
when ``x·w ≥ θ_k`` — the grader's own form (``base + Σ weight × value`` against cut points), with
the cut points the thresholds θ. As in ``PriorRidge``, the oriented weights are constrained to be
non-negative and a ridge penalty ``alpha·‖w − prior‖²`` pulls them towards a prior (zero for a fit
from scratch). Only scikit-learn's own dependencies are used (scipy's L-BFGS-B).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin

LEVELS = (1, 2, 3, 4, 5)


class OrdinalLogit(RegressorMixin, BaseEstimator):
    """Cumulative logit of levels 1-5 on oriented features; ``predict`` gives the median level.

    After ``fit``: ``coef_`` (non-negative), ``cuts_`` (four non-decreasing thresholds on ``x·w``: a
    row at or above the k-th is level k+1 or higher). A level below the lowest (above the highest)
    level seen in training gets a cut far below (above) every training row's sum, so it is never
    predicted: there is no evidence for it.
    """

    def __init__(self, alpha: float = 1.0, prior: np.ndarray | None = None):
        self.alpha = alpha
        self.prior = prior

    def fit(self, X: np.ndarray, y: np.ndarray) -> OrdinalLogit:
        """Fit on oriented features ``X`` (rows × signals) and integer levels ``y`` (1-5)."""
        X = np.asarray(X, dtype=float)
        levels = np.asarray(y, dtype=float).round().astype(int)
        rows, width = X.shape
        prior = np.zeros(width) if self.prior is None else np.asarray(self.prior, dtype=float)
        seen = sorted(set(levels.tolist()))
        classes = np.searchsorted(seen, levels)  # 0..K-1 over the levels seen
        inner = len(seen) - 1  # thresholds between the levels seen
        if inner == 0:
            self.coef_ = np.zeros(width)
            self.cuts_ = self._full_cuts(seen, np.zeros(0), X)
            return self
        # Parameters: w (width, ≥ 0), θ_1 (free), then θ_j − θ_{j−1} ≥ 0: the bounds keep the order.
        start_theta = np.log(np.maximum(np.arange(1, inner + 1) / (inner + 1), 1e-6)) - np.log(
            np.maximum(1 - np.arange(1, inner + 1) / (inner + 1), 1e-6)
        )
        start = np.concatenate([prior.clip(min=0), [start_theta[0]], np.diff(start_theta)])
        bounds = [(0.0, None)] * width + [(None, None)] + [(0.0, None)] * (inner - 1)
        alpha = float(self.alpha)

        def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
            w = params[:width]
            theta = np.cumsum(params[width:])
            eta = X @ w
            upper = np.where(classes < inner, theta[np.minimum(classes, inner - 1)], np.inf)
            lower = np.where(classes > 0, theta[np.maximum(classes - 1, 0)], -np.inf)
            p_up, p_low = expit(upper - eta), expit(lower - eta)
            prob = np.maximum(p_up - p_low, 1e-12)
            loss = -np.log(prob).sum() + alpha * float(((w - prior) ** 2).sum())
            # d σ(t)/dt = σ(1 − σ); each row's probability depends on its two bounding thresholds.
            d_up, d_low = p_up * (1 - p_up) / prob, p_low * (1 - p_low) / prob
            grad_eta = d_up - d_low  # d(−log p)/dη
            grad_w = X.T @ grad_eta + 2 * alpha * (w - prior)
            grad_theta = np.bincount(classes, weights=-d_up, minlength=inner + 1)[:inner]
            grad_theta += np.bincount(classes, weights=d_low, minlength=inner + 1)[1:]
            # θ = cumsum(params): the gradient of a step parameter is the sum over the thresholds after it.
            grad_steps = np.cumsum(grad_theta[::-1])[::-1]
            return loss, np.concatenate([grad_w, grad_steps])

        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
        self.coef_ = result.x[:width]
        self.cuts_ = self._full_cuts(seen, np.cumsum(result.x[width:]), X)
        return self

    def _full_cuts(self, seen: list[int], theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Four cuts on ``x·w`` for levels 1-5 from the thresholds between the levels seen."""
        sums = X @ self.coef_ if len(X) else np.zeros(1)
        below, above = float(sums.min()) - 1.0, float(sums.max()) + 1.0
        cuts = []
        for k in LEVELS[:-1]:  # cut k: level k+1 or higher
            if k < seen[0]:
                cuts.append(below)
            elif k >= seen[-1]:
                cuts.append(max(above, float(theta[-1]) + 1.0) if len(theta) else above)
            else:
                # Between seen[j] and seen[j+1]: the threshold above the highest seen level ≤ k.
                cuts.append(float(theta[int(np.searchsorted(seen, k, side="right")) - 1]))
        return np.maximum.accumulate(np.array(cuts))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The median level of each row's predicted distribution (1-5)."""
        eta = np.asarray(X, dtype=float) @ self.coef_
        return 1 + (eta[:, None] >= self.cuts_[None, :]).sum(axis=1)
