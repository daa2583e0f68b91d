"""Grader eval metrics: hand-computed values, plus empty and degenerate input."""

from __future__ import annotations

import math

import pytest

from simulator.evals import metrics

# ---------------------------------------------------------------------------------------------
# Ranks and Spearman


def test_average_ranks_share_ties() -> None:
    assert metrics.average_ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert metrics.average_ranks([]) == []


def test_spearman_with_ties_matches_hand_computation() -> None:
    # ranks of b: [1, 2, 3.5, 5, 3.5]; centred: rx = [-2,-1,0,1,2], ry = [-2,-1,.5,2,.5]
    # sum(rx*ry) = 8, sum(rx^2) = 10, sum(ry^2) = 9.5  ->  8 / sqrt(95)
    assert metrics.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))


def test_spearman_perfect_and_reversed() -> None:
    assert metrics.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert metrics.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)


@pytest.mark.parametrize(("a", "b"), [([], []), ([3], [4]), ([1, 1, 1], [1, 2, 3]), ([1, 2, 3], [5, 5, 5])])
def test_spearman_is_undefined_for_empty_single_or_constant(a: list[float], b: list[float]) -> None:
    assert metrics.spearman(a, b) is None


def test_metrics_reject_sequences_of_different_length() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        metrics.spearman([1, 2], [1])
    with pytest.raises(ValueError, match="differ in length"):
        metrics.accuracy([True], [])


# ---------------------------------------------------------------------------------------------
# Quadratic weighted kappa


def test_qwk_hand_computed() -> None:
    # observed: (1,1), (1,2), (2,2) x2; expected from marginals a={1:2, 2:2}, b={1:1, 2:3}:
    # E(1,2) = 1.5, E(2,1) = 0.5; weight for a one-step miss on 1..5 = 1/16
    # kappa = 1 - (1 * 1/16) / ((1.5 + 0.5) * 1/16) = 0.5
    assert metrics.quadratic_weighted_kappa([1, 1, 2, 2], [1, 2, 2, 2]) == pytest.approx(0.5)


def test_qwk_perfect_and_opposite() -> None:
    assert metrics.quadratic_weighted_kappa([1, 3, 5], [1, 3, 5]) == pytest.approx(1.0)
    assert metrics.quadratic_weighted_kappa([1, 5], [5, 1]) == pytest.approx(-1.0)


def test_qwk_constant_rater_has_no_agreement_beyond_chance() -> None:
    assert metrics.quadratic_weighted_kappa([3, 3], [2, 4]) == pytest.approx(0.0)


def test_qwk_undefined_for_empty_or_both_constant() -> None:
    assert metrics.quadratic_weighted_kappa([], []) is None
    assert metrics.quadratic_weighted_kappa([4, 4, 4], [4, 4, 4]) is None


def test_qwk_rejects_out_of_range_rating() -> None:
    with pytest.raises(ValueError, match="outside 1..5"):
        metrics.quadratic_weighted_kappa([1, 6], [1, 5])


# ---------------------------------------------------------------------------------------------
# MAE, accuracy, confusion


def test_mean_absolute_error() -> None:
    assert metrics.mean_absolute_error([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert metrics.mean_absolute_error([], []) is None


def test_accuracy() -> None:
    assert metrics.accuracy([True, False, True, False], [True, True, True, False]) == pytest.approx(0.75)
    assert metrics.accuracy([], []) is None


def test_pass_fail_confusion() -> None:
    confusion = metrics.pass_fail_confusion([True, True, False, False, False], [True, False, True, False, False])
    assert confusion.as_dict() == {"true_pass": 1, "false_pass": 1, "false_fail": 1, "true_fail": 2}
    assert metrics.pass_fail_confusion([], []).as_dict() == {
        "true_pass": 0,
        "false_pass": 0,
        "false_fail": 0,
        "true_fail": 0,
    }


# ---------------------------------------------------------------------------------------------
# Pairwise ordering


def test_pairwise_ordering_counts_clear_pairs_within_groups_only() -> None:
    items = [
        ("A", 90, 80),
        ("A", 50, 60),
        ("A", 30, 60),  # tie with the 50 item in prediction: wrong
        ("A", 88, 70),  # only 2 points from the 90 item: that pair is not counted
        ("B", 80, None),  # unscored: its pair is wrong
        ("B", 40, 30),
    ]
    # A: (90,50) ok, (90,30) ok, (50,30) tie, (50,88) ok, (30,88) ok -> 4/5; B: 0/1; no cross-group pairs
    rate = metrics.pairwise_ordering(items)
    assert (rate.hits, rate.count) == (4, 6)
    assert rate.rate == pytest.approx(4 / 6)


def test_pairwise_ordering_gap_is_inclusive_and_reversal_is_wrong() -> None:
    rate = metrics.pairwise_ordering([("A", 55, 40), ("A", 50, 60)], min_gap=5)
    assert (rate.hits, rate.count) == (0, 1)


def test_pairwise_ordering_empty() -> None:
    rate = metrics.pairwise_ordering([])
    assert (rate.hits, rate.count, rate.rate) == (0, 0, None)
    assert metrics.pairwise_ordering([("A", 50, 50), ("A", 52, 10)]).rate is None


# ---------------------------------------------------------------------------------------------
# Quotes


def test_quote_validity_is_exact_substring_of_the_cited_turn() -> None:
    rate = metrics.quote_validity(
        [
            ("您好", "您好,请问有什么可以帮您?"),
            ("hello", "Hello there"),  # case differs: not verbatim
            ("anything", None),  # the cited turn does not exist
            ("", "abc"),  # an empty quote proves nothing
        ]
    )
    assert (rate.hits, rate.count) == (1, 4)
    assert rate.as_dict() == {"hits": 1, "count": 4, "rate": 0.25}
    assert metrics.quote_validity([]).rate is None


# ---------------------------------------------------------------------------------------------
# Injection changes and length bias


def test_change_summary() -> None:
    summary = metrics.change_summary([50, 60, 70], [50, 55, 72.5])
    assert summary.count == 3
    assert (summary.increased, summary.decreased) == (1, 1)
    assert summary.max_increase == pytest.approx(2.5)
    assert summary.max_abs_change == pytest.approx(5.0)
    assert summary.mean_change == pytest.approx(-2.5 / 3)


def test_change_summary_all_down_and_empty() -> None:
    down = metrics.change_summary([50, 60], [40, 58])
    assert (down.increased, down.decreased, down.max_increase) == (0, 2, pytest.approx(-2.0))
    empty = metrics.change_summary([], [])
    assert empty.as_dict() == {
        "count": 0,
        "increased": 0,
        "decreased": 0,
        "max_increase": None,
        "max_abs_change": None,
        "mean_change": None,
    }


def test_change_summary_ignores_float_noise() -> None:
    assert metrics.change_summary([0.1 + 0.2], [0.3]).increased == 0


def test_length_bias() -> None:
    # (84-81) - (94-94) = 3; (74-69) - (48-50) = 7
    bias = metrics.length_bias([(94, 94, 84, 81), (48, 50, 74, 69)])
    assert bias.count == 2
    assert bias.mean_bias == pytest.approx(5.0)
    assert bias.max_abs_bias == pytest.approx(7.0)
    assert metrics.length_bias([]).as_dict() == {"count": 0, "mean_bias": None, "max_abs_bias": None}
