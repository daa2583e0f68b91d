"""The weights fit on synthetic signal values: orientation, prior, score caps, grouped CV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulator.grading.weights import (
    WEIGHTS_FILE,
    CriterionWeights,
    LevelMap,
    OfflineWeightsError,
    SignalWeight,
    default_weights,
    load_weights,
)
from simulator.weights_fit.features import LabelledSignals, signal_sign
from simulator.weights_fit.model import (
    PriorRidge,
    WeightsFitError,
    capped,
    criterion_score,
    cross_validated_levels,
    fit_criterion,
    fit_weights,
    label_quantile_cuts,
)

SPEC = CriterionWeights(
    base=2.0,
    signals={"greeting": SignalWeight(weight=1.0), "forbidden_phrase": SignalWeight(weight=-1.0, cap=2.0)},
    score_caps={"forbidden_phrase": 2},
)


def _rows(count: int = 24) -> list[LabelledSignals]:
    """Mentor levels that follow 1 + 3·greeting, lowered by a forbidden phrase; 8 situations."""
    rng = np.random.default_rng(3)
    rows = []
    for index in range(count):
        greeting = float(rng.integers(0, 2))
        level = int(1 + 3 * greeting)
        rows.append(
            LabelledSignals(
                f"item-{index}", f"situation-{index % 8}", {"greeting": greeting, "forbidden_phrase": 0.0}, {"c": level}
            )
        )
    return rows


def test_penalties_are_oriented_against() -> None:
    assert signal_sign("forbidden_phrase") == -1 and signal_sign("greeting") == 1 and signal_sign("mood_trend") == 1


def test_criterion_score_follows_the_graders_formula() -> None:
    assert criterion_score(SPEC, {"greeting": 1.0, "forbidden_phrase": 0.0}) == 3
    assert criterion_score(SPEC, {"greeting": 1.0, "forbidden_phrase": 5.0}) == 1  # contribution capped at -2, then 1
    assert criterion_score(SPEC, {"greeting": None, "forbidden_phrase": None}) == 2  # not applicable: skipped
    high = CriterionWeights(base=5.0, signals=SPEC.signals, score_caps={"forbidden_phrase": 2})
    assert criterion_score(high, {"greeting": 1.0, "forbidden_phrase": 1.0}) == 2  # the rubric's cap
    assert capped(high, {"forbidden_phrase": 1.0}, 2) and not capped(high, {"forbidden_phrase": 1.0}, 4)


def test_prior_ridge_recovers_a_relation_and_never_flips_a_sign() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    y = 1.5 + 2.0 * X[:, 0] - 1.0 * X[:, 1]  # the second feature hurts, but coefficients must be >= 0
    model = PriorRidge(alpha=1e-6).fit(X, y)
    assert model.coef_[0] == pytest.approx(2.0, abs=0.3)
    assert model.coef_[1] >= 0 and model.coef_[1] == pytest.approx(0.0, abs=1e-6)
    pulled = PriorRidge(alpha=1e6, prior=np.array([0.5, 0.25])).fit(X, y)
    assert pulled.coef_ == pytest.approx([0.5, 0.25], abs=1e-2)  # a strong penalty keeps the prior


def test_fit_learns_weights_and_keeps_caps_and_rules() -> None:
    fit = fit_criterion("c", SPEC, _rows())
    assert fit.weights.signals["greeting"].weight == pytest.approx(3.0, abs=0.3)
    assert fit.weights.base == pytest.approx(1.0, abs=0.3)
    assert fit.no_evidence == ("forbidden_phrase",)  # never fired in the data: listed, and the template's kept
    assert fit.weights.signals["forbidden_phrase"] == SPEC.signals["forbidden_phrase"]
    assert fit.weights.score_caps == {"forbidden_phrase": 2}
    assert fit.groups == 8 and fit.rows == 24


def test_a_penalty_is_never_rewarded() -> None:
    rows = [
        LabelledSignals(f"i{n}", f"s{n % 4}", {"greeting": 0.0, "forbidden_phrase": float(n % 3)}, {"c": 1 + n % 3})
        for n in range(12)
    ]  # more forbidden phrases, *higher* levels: the fit must not learn to reward them
    uncapped = CriterionWeights(base=SPEC.base, signals=SPEC.signals)
    fit = fit_criterion("c", uncapped, rows, alphas=(0.01, 1.0), folds=3)
    assert fit.rows == 12 and fit.weights.signals["forbidden_phrase"].weight == 0.0


def test_a_level_the_score_cap_decides_is_left_to_the_rule() -> None:
    rows = [*_rows(), LabelledSignals("capped", "situation-9", {"greeting": 1.0, "forbidden_phrase": 1.0}, {"c": 1})]
    fit = fit_criterion("c", SPEC, rows)
    assert fit.left_to_caps == 1 and fit.rows == 24


def test_level_one_is_the_red_lines_alone_where_a_cap_sets_it() -> None:
    # Levels 2..5 follow the greeting; the level-1 rows are red lines the signals did not see.
    red_line = SPEC.model_copy(update={"score_caps": {"forbidden_phrase": 1}})
    rows = [
        LabelledSignals(
            f"i{n}", f"situation-{n % 8}", {"greeting": float(n % 4) / 3, "forbidden_phrase": 0.0}, {"c": 2 + n % 4}
        )
        for n in range(24)
    ]
    missed = [
        LabelledSignals(f"m{n}", f"situation-{n % 8}", {"greeting": 0.0, "forbidden_phrase": 0.0}, {"c": 1})
        for n in range(8)
    ]
    fit = fit_criterion("c", red_line, [*rows, *missed], level_map="label_quantiles")
    assert fit.rows == 24 and fit.left_to_caps == 8
    # No sum the fitted weights give reaches level 1: only the cap does.
    assert criterion_score(fit.weights, {"greeting": 0.0, "forbidden_phrase": 0.0}) == 2
    assert criterion_score(fit.weights, {"greeting": 0.0, "forbidden_phrase": 1.0}) == 1
    # A cap at 2 reserves nothing: a level-1 row without the rule firing is fitted.
    assert fit_criterion("c", SPEC, [*rows, *missed], level_map="label_quantiles").rows == 32


def test_one_situation_cannot_be_cross_validated() -> None:
    rows = [LabelledSignals(f"i{n}", "only", {"greeting": float(n % 2)}, {"c": 3}) for n in range(6)]
    with pytest.raises(WeightsFitError, match="at least two"):
        fit_criterion("c", SPEC, rows)


def test_cross_validated_levels_never_see_their_own_situation() -> None:
    # situation-0 alone says greeting is worth nothing; every other situation says it is worth 3 points
    rows = [r for r in _rows() if r.group != "situation-0"]
    odd = [
        LabelledSignals(f"odd-{n}", "situation-0", {"greeting": 1.0, "forbidden_phrase": 0.0}, {"c": 1})
        for n in range(3)
    ]
    template = default_weights().model_copy(update={"criteria": {"c": SPEC}})
    levels = cross_validated_levels(template, [*rows, *odd], alphas=(0.01, 1.0), folds=3)
    assert [levels[len(rows) + n]["c"] for n in range(3)] == [4, 4, 4]  # predicted from the others only
    fitted, fits = fit_weights(template, [*rows, *odd], alphas=(0.01, 1.0), folds=3)
    assert set(fits) == {"c"} and fitted.criteria["c"].signals["greeting"].weight < 3.0


# -- from a raw sum to a level ------------------------------------------------------------------------


def test_label_quantile_cuts_give_the_rows_the_mentors_spread() -> None:
    raw = [2.6, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4]  # a shrunk sum: rounded half up, every one is 3
    levels = [1, 1, 2, 3, 3, 4, 5, 5]
    cuts = label_quantile_cuts(raw, levels)
    spec = CriterionWeights(base=1.0, signals={"greeting": SignalWeight(weight=1.0)}, cuts=cuts)
    assert [spec.level(value) for value in raw] == levels
    rounded = CriterionWeights(base=1.0, signals={"greeting": SignalWeight(weight=1.0)})
    assert {rounded.level(value) for value in raw} == {3}


def test_tied_raw_sums_stay_at_one_level_and_cuts_never_decrease() -> None:
    cuts = label_quantile_cuts([1.0, 1.0, 1.0, 2.0], [1, 2, 3, 5])
    assert cuts == sorted(cuts)
    spec = CriterionWeights(base=1.0, signals={"greeting": SignalWeight(weight=1.0)}, cuts=cuts)
    assert len({spec.level(1.0)}) == 1 and spec.level(2.0) == 5


def test_a_block_of_equal_sums_goes_to_the_level_most_of_it_has() -> None:
    # Four clean transcripts share one raw sum; the mentors gave three of them 4 and one 5: the block
    # is level 4 (one row off), not 5 (three rows off).
    raw = [1.0, 2.0, 3.0, 3.0, 3.0, 3.0]
    spec = CriterionWeights(
        base=1.0, signals={"greeting": SignalWeight(weight=1.0)}, cuts=label_quantile_cuts(raw, [1, 2, 4, 4, 4, 5])
    )
    assert [spec.level(value) for value in raw] == [1, 2, 4, 4, 4, 4]


def test_cut_points_are_validated() -> None:
    with pytest.raises(ValueError, match="must not decrease"):
        CriterionWeights(base=1.0, signals={"greeting": SignalWeight(weight=1.0)}, cuts=[1.0, 3.0, 2.0, 4.0])
    with pytest.raises(ValueError):
        CriterionWeights(base=1.0, signals={"greeting": SignalWeight(weight=1.0)}, cuts=[1.0, 2.0])


def test_a_weights_file_whose_cuts_disagree_with_its_level_map_is_rejected(tmp_path: Path) -> None:
    shipped = yaml.safe_load(WEIGHTS_FILE.read_text(encoding="utf-8"))
    flipped = "half_up" if shipped.get("level_map", "half_up") == "label_quantiles" else "label_quantiles"
    shipped["level_map"] = flipped
    path = tmp_path / "weights.yaml"
    path.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    with pytest.raises(OfflineWeightsError, match="level_map"):
        load_weights(path)


def test_fitted_cut_points_spread_levels_that_half_up_rounding_piles_in_the_middle() -> None:
    # A weak signal: least squares shrinks its sum towards the mean, and rounding that at half points
    # leaves the levels in the middle; cut points fitted on the same rows spread them as the labels are.
    rng = np.random.default_rng(7)
    rows = []
    for index in range(60):
        level = int(rng.integers(1, 6))
        greeting = float(rng.random() < 0.2 + 0.15 * (level - 1))
        rows.append(LabelledSignals(f"item-{index}", f"s-{index % 10}", {"greeting": greeting}, {"c": level}))
    spec = CriterionWeights(base=3.0, signals={"greeting": SignalWeight(weight=1.0)})
    labels = np.array([r.levels["c"] for r in rows])

    def spread(level_map: LevelMap) -> float:
        fit = fit_criterion("c", spec, rows, alphas=(0.01,), folds=3, level_map=level_map)
        assert (fit.weights.cuts is None) == (level_map == "half_up")
        return float(np.std([criterion_score(fit.weights, r.values) for r in rows]))

    assert spread("half_up") < spread("label_quantiles") <= labels.std() + 1e-9


def _two_parts() -> list[LabelledSignals]:
    """Rows with a case follow 1 + 3·greeting; case-less rows (4 datasets) follow 5 - 3·greeting."""
    rows = _rows(32)
    for index in range(24):
        greeting = float(index % 2)
        rows.append(
            LabelledSignals(
                f"log-{index}",
                f"real:d{index % 4}",
                {"greeting": greeting, "forbidden_phrase": float(index % 3 == 0)},
                {"c": int(5 - 3 * greeting) if index % 3 else 1},
                with_case=False,
            )
        )
    return rows


def test_case_less_candidates_leave_rows_with_a_case_to_the_shared_weights() -> None:
    from simulator.weights_fit.without_case import (
        WITHOUT_CASE_VARIANTS,
        applicable_variants,
        cross_validated_variants,
        fit_without_case,
    )

    template = default_weights().model_copy(update={"criteria": {"c": SPEC}, "without_case": None})
    rows = _two_parts()
    shared, _ = fit_weights(template, rows, alphas=(0.01, 1.0), folds=3, level_map="label_quantiles")
    assert fit_without_case(shared, rows, "shared") == (None, {})
    for variant in ("own_cuts", "toward_shared", "separate"):
        own, how = fit_without_case(shared, rows, variant, alphas=(0.01, 1.0), folds=3)
        assert own is not None and set(own) == set(shared.criteria) and "c" in how
        assert set(own["c"].signals) == set(shared.criteria["c"].signals)
    assert applicable_variants("half_up") == tuple(v for v in WITHOUT_CASE_VARIANTS if v != "own_cuts")
    predicted = cross_validated_variants(template, rows, level_map="label_quantiles", alphas=(0.01, 1.0), folds=3)
    with_case = [i for i, row in enumerate(rows) if row.with_case]
    first = predicted["shared"]
    for levels in predicted.values():
        assert [levels[i] for i in with_case] == [first[i] for i in with_case]
    # A greeting lowers the case-less mentors' level: a separate fit cannot reward it less than the shared one.
    separate, _ = fit_without_case(shared, rows, "separate", alphas=(0.01, 1.0), folds=3)
    assert (
        separate is not None
        and separate["c"].signals["greeting"].weight <= shared.criteria["c"].signals["greeting"].weight
    )
