"""Out-of-author probabilities and thresholds chosen with them (no encoder, no fitting)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from simulator.models import LEARNED_ACTS
from simulator.recognition.classifier import ActModel
from simulator.recognition.out_of_author import author_folds, out_of_author_probabilities
from simulator.recognition.training import Labelled, cross_author_f1, load_settings


def test_author_folds_keep_each_source_whole_and_balance_sizes() -> None:
    sources = ["a"] * 50 + ["b"] * 30 + ["c"] * 25 + ["d"] * 5
    groups = author_folds(sources, 2)
    assert sorted(name for group in groups for name in group) == ["a", "b", "c", "d"]
    sizes = sorted(sum(sources.count(name) for name in group) for group in groups)
    assert sizes == [55, 55]
    assert author_folds(sources, 9) == author_folds(sources, 4) and len(author_folds(sources, 9)) == 4


def test_every_sentence_is_predicted_by_a_model_that_never_saw_its_source() -> None:
    sources = ["a", "a", "b", "c", "c", "d"]
    seen_by: dict[int, set[int]] = {}

    def fit_without(held: np.ndarray) -> ActModel:
        model_id = len(seen_by)
        seen_by[model_id] = set(np.flatnonzero(~held).tolist())
        return cast(ActModel, model_id)

    def predict(model: Any, held: np.ndarray) -> np.ndarray:
        return np.full((int(held.sum()), 1), float(model))

    probabilities = out_of_author_probabilities(sources, 3, fit_without, predict)
    assert not np.isnan(probabilities).any()
    for row, model_id in enumerate(probabilities[:, 0].astype(int)):
        trained_on = {sources[i] for i in seen_by[model_id]}
        assert sources[row] not in trained_on and trained_on


def test_pooled_out_of_author_predictions_join_every_cross_author_chooser() -> None:
    acts = len(LEARNED_ACTS)
    # Act 0 fires at 0.8 for dev author d and at 0.3 for dev author q: chosen on d alone, q is missed.
    dev_probabilities = np.zeros((8, acts))
    dev_probabilities[:, 0] = [0.8, 0.8, 0.1, 0.1, 0.3, 0.3, 0.1, 0.1]
    labels = np.zeros((8, acts), dtype=np.int8)
    labels[[0, 1, 4, 5], 0] = 1
    dev = Labelled(np.zeros((8, 1)), labels, ["en"] * 8, [str(i) for i in range(8)])
    settings = load_settings().model_copy(
        update={"recall_first": {}, "min_dev_positives": 1, "threshold_scope": "language"}
    )
    sources = ["d"] * 4 + ["q"] * 4
    alone = cross_author_f1(dev, dev_probabilities, sources, settings)["en"]
    # Out-of-author train predictions where the act's positives sit as low as q's.
    train_probabilities = np.zeros((40, acts))
    train_probabilities[:20, 0] = 0.3
    train_probabilities[20:, 0] = 0.1
    train_labels = np.zeros((40, acts), dtype=np.int8)
    train_labels[:20, 0] = 1
    train = Labelled(np.zeros((40, 1)), train_labels, ["en"] * 40, [f"t{i}" for i in range(40)])
    pooled = cross_author_f1(dev, dev_probabilities, sources, settings, (train, train_probabilities))["en"]
    assert alone < 1.0 and pooled == 1.0
