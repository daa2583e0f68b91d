"""Agreement figures of the grader eval: Cohen's kappa, bootstrap intervals, spread, withheld verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.evals import metrics
from simulator.evals.agreement import (
    Graded,
    agreement,
    bootstrap_interval,
    cohen_kappa,
    mad_along,
    spearman_along,
    spread,
    widest_band_share,
)


def test_cohen_kappa_corrects_for_chance() -> None:
    # 3 of 4 agree; chance agreement is 0.5: kappa (0.75 - 0.5) / 0.5 = 0.5
    assert cohen_kappa([True, True, False, False], [True, False, False, False]) == pytest.approx(0.5)
    # a grader that fails everyone agrees 96 % with a mentor who passes 1 in 25, and is worth nothing
    mentor = [True] + [False] * 24
    assert cohen_kappa(mentor, [False] * 25) == pytest.approx(0.0)


def test_cohen_kappa_is_none_when_undefined_or_empty() -> None:
    assert cohen_kappa([False, False], [False, False]) is None
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa([True], [])


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible() -> None:
    labels = [20.0, 35, 41, 50, 52, 60, 66, 71, 80, 95]
    predicted = [30.0, 33, 45, 47, 58, 55, 70, 69, 85, 90]
    interval = bootstrap_interval(mad_along, labels, predicted)
    assert interval is not None
    estimate = metrics.mean_absolute_error(labels, predicted)
    assert estimate is not None and interval[0] <= estimate <= interval[1]
    assert bootstrap_interval(mad_along, labels, predicted) == interval
    assert bootstrap_interval(spearman_along, [1.0, 2.0], [2.0, 1.0]) is None  # too few pairs
    rho = bootstrap_interval(spearman_along, labels, predicted)
    assert rho is not None and rho[0] <= metrics.spearman(labels, predicted) <= rho[1]  # type: ignore[operator]


def test_batched_spearman_agrees_with_the_one_at_a_time_version() -> None:
    labels, predicted = [3.0, 1, 2, 2, 5], [2.0, 1, 3, 3, 4]
    assert float(spearman_along(np.array(labels), np.array(predicted))) == pytest.approx(
        metrics.spearman(labels, predicted)
    )
    assert np.isnan(spearman_along(np.array([1.0, 1, 1]), np.array([1.0, 2, 3])))


def test_spread_reports_the_widest_band() -> None:
    assert widest_band_share([36, 40, 50, 60, 66, 90]) == pytest.approx(5 / 6)
    assert widest_band_share([]) is None
    figures = spread([36.0, 40, 50, 60, 66, 90])
    assert figures["min"] == 36 and figures["max"] == 90 and figures["widest_band_share"] == pytest.approx(0.8333)
    assert spread([]) == {"n": 0}


def test_agreement_counts_withheld_verdicts_honestly() -> None:
    items = [
        Graded(85, True, 88, True),
        Graded(40, False, 45, False),
        Graded(30, False, 50, False),
        Graded(90, True, None, None),  # unscored: no total, no verdict
        Graded(75, True, 80, None),  # unsupported: a total but no verdict
    ]
    figures = agreement(items)
    assert figures["pass_fail"]["n"] == 3 and figures["pass_fail"]["accuracy"] == 1.0
    assert figures["pass_fail"]["accuracy_all"] == pytest.approx(0.6)  # a withheld verdict is a disagreement
    assert figures["withheld"] == {
        "unscored": 1,
        "unscored_labelled_pass": 1,
        "unsupported": 1,
        "unsupported_labelled_pass": 1,
    }
    assert figures["total"]["n"] == 4
    assert figures["spread"]["label"]["n"] == 5 and figures["spread"]["predicted"]["n"] == 4


def test_agreement_of_nothing_is_undefined_not_zero() -> None:
    figures = agreement([])
    assert figures["pass_fail"]["accuracy"] is None and figures["pass_fail"]["kappa"] is None
    assert figures["total"]["spearman"] is None and figures["total"]["spearman_ci"] is None
