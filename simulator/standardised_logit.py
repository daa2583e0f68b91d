"""A logistic regression over standardised features, as a fitting command writes it and a scorer reads it.

The limit-breach scorer (``grading.limit_breach``) and the red-line detectors
(``grading.red_line_detectors``) each ship one in a data file: the features' means and scales, one
coefficient per feature and an intercept. This is the one home for fitting and applying it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

#: Decimals kept in the written file (enough that a rescored sentence stays on its side of a line).
DECIMALS = 6


class _Estimator(Protocol):
    coef_: np.ndarray
    intercept_: np.ndarray

    def fit(self, x: np.ndarray, y: np.ndarray) -> object: ...


class StandardisedLogit(BaseModel):
    """Standardisation and logistic-regression coefficients, one value per feature, in the file's order."""

    model_config = ConfigDict(extra="forbid")

    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float

    @model_validator(mode="after")
    def _one_value_per_feature(self) -> StandardisedLogit:
        if not len(self.means) == len(self.scales) == len(self.coefficients):
            raise ValueError("means, scales and coefficients need one value per feature")
        return self

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """P(positive) for each feature row (shape (n, features)); empty for no rows."""
        if rows.size == 0:
            return np.zeros(0)
        scaled = (rows - np.asarray(self.means)) / np.asarray(self.scales)
        logits = scaled @ np.asarray(self.coefficients) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logits)))


def fit_standardised(x: np.ndarray, y: np.ndarray, estimator: _Estimator) -> StandardisedLogit:
    """Standardise ``x``, fit ``estimator`` (a scikit-learn logistic regression) on it, return the parameters.

    The estimator is fitted in place, so a caller can still read what it chose (e.g. ``C_``).
    """
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    estimator.fit((x - means) / scales, y)
    return StandardisedLogit(
        means=[round(float(v), DECIMALS) for v in means],
        scales=[round(float(v), DECIMALS) for v in scales],
        coefficients=[round(float(v), DECIMALS) for v in np.ravel(estimator.coef_)],
        intercept=round(float(np.ravel(estimator.intercept_)[0]), DECIMALS),
    )
