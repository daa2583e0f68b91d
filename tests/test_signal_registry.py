"""The signal registry, the weights file and the labels agree (issue 12, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.grading.measure import Measure, SignalResult
from simulator.grading.registry import (
    LANGUAGES,
    SignalRegistryError,
    hurt_criteria,
    label_key,
    register_signal,
    registered_signals,
    signal_label,
)
from simulator.grading.rules import RULES
from simulator.grading.weights import WEIGHTS_FILE, OfflineWeightsError, default_weights, load_weights
from simulator.i18n import CATALOGUE_LANGUAGES, catalogue


def test_every_weighted_signal_is_declared_with_labels_in_both_languages() -> None:
    signals = registered_signals()
    for criterion, spec in default_weights().criteria.items():
        for name in spec.signals:
            assert name in signals, f"{criterion}: {name} is weighted but not declared"
            for language in LANGUAGES:
                assert signal_label(name, language).strip()
                assert signal_label(name, language) != label_key(name)


def test_signal_labels_live_in_the_catalogue_under_one_key_per_signal() -> None:
    for name, spec in registered_signals().items():
        assert spec.label_key == f"signal.{name}"
        for language in CATALOGUE_LANGUAGES:
            assert catalogue(language)[spec.label_key].strip(), f"{language}: no label for {name}"
    assert signal_label("rating_request", "zh-CN") == catalogue("zh-CN")["signal.rating_request"]
    assert signal_label("rating_request", "en") == catalogue("en")["signal.rating_request"]
    # No label is left over from a signal that no longer exists.
    declared = {spec.label_key for spec in registered_signals().values()}
    assert {key for key in catalogue("en") if key.startswith("signal.")} == declared


def test_every_declared_signal_is_weighted_somewhere() -> None:
    weighted = {name for spec in default_weights().criteria.values() for name in spec.signals}
    assert set(registered_signals()) == weighted


def test_weight_signs_agree_with_the_kind_of_signal() -> None:
    kinds = {name: spec.kind for name, spec in registered_signals().items()}
    for criterion, spec in default_weights().criteria.items():
        for name, weight in spec.signals.items():
            # Fitted weights may be exactly 0 (the dev data show no effect); never the wrong sign.
            if kinds[name] == "penalty":
                assert weight.weight <= 0, f"{criterion}.{name}: a penalty must never raise the score"
            elif kinds[name] == "behaviour":
                assert weight.weight >= 0, f"{criterion}.{name}: a behaviour must never lower the score"


def test_every_graded_rule_is_stood_for_by_a_weighted_signal() -> None:
    # Each warning or violation must move at least one score, or its per-turn "hurt" note lies.
    for rule_id, spec in RULES.items():
        if spec.severity != "info":
            assert hurt_criteria(rule_id), f"{rule_id}: no weighted signal stands for it"
        else:
            assert hurt_criteria(rule_id) == ()


def test_hurt_notes_follow_the_weights_not_a_parallel_table(tmp_path: Path) -> None:
    text = WEIGHTS_FILE.read_text(encoding="utf-8").replace(
        "      jargon: {weight: -0.75, cap: 1.5}",
        "      jargon: {weight: -0.75, cap: 1.5}\n      long_turn: {weight: -0.5}",
        1,
    )
    moved = tmp_path / "weights.yaml"
    moved.write_text(text, encoding="utf-8")
    weights = load_weights(moved)
    assert hurt_criteria("jargon", weights) == ("clarity",)
    assert "clarity" in hurt_criteria("long_turn", weights)
    assert hurt_criteria("rating_request", weights) == ("compliance",)
    assert hurt_criteria("no-such-rule", weights) == ()


def test_weights_naming_an_undeclared_signal_are_rejected_with_the_known_ones(tmp_path: Path) -> None:
    bad = tmp_path / "weights.yaml"
    bad.write_text(
        "version: x\nthresholds: {concise_ratio: 0.6, mood_change: 2, max_evidence: 4}\n"
        "criteria:\n  clarity:\n    base: 2\n    signals:\n      concretness: {weight: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(OfflineWeightsError, match=r"unknown signal\(s\) concretness.*known signals: .*concrete"):
        load_weights(bad)


def _measure_nothing(m: Measure) -> SignalResult:
    return SignalResult(0.0)


def test_a_declaration_needs_catalogue_labels_and_a_known_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SignalRegistryError, match=r"no label 'signal.test_only' .* for en, zh-CN"):
        register_signal("test_only", kind="behaviour")
    english_only = {**catalogue("en"), "signal.test_only": "test"}
    monkeypatch.setattr(
        "simulator.grading.registry.catalogue",
        lambda language: english_only if language == "en" else catalogue(language),
    )
    with pytest.raises(SignalRegistryError, match=r"no label 'signal.test_only' .* for zh-CN"):
        register_signal("test_only", kind="behaviour")
    with pytest.raises(SignalRegistryError, match="unknown rule 'no_such_rule'"):
        register_signal("greeting", kind="penalty", rule="no_such_rule")
    assert "test_only" not in registered_signals()


def test_a_signal_name_cannot_be_declared_twice() -> None:
    with pytest.raises(SignalRegistryError, match="'greeting' is declared twice"):
        register_signal("greeting", kind="behaviour")(_measure_nothing)
