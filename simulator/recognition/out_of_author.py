"""Out-of-author probabilities: what the classifier says about sentences of an author it never saw.

Thresholds chosen on two dev authors fit the authors train resembles: on a new blind author the
classifier's probabilities sit lower, and recall collapses (docs/acts.md, author-u). Grouping the
train sources into folds, fitting on all but one fold and predicting that fold gives, for every
train sentence, a probability from a model that never saw its author; thresholds chosen on those
pooled predictions (with dev's) are chosen on many authors instead of two (training.yaml).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from simulator.recognition.classifier import ActModel


def author_folds(sources: Sequence[str], folds: int) -> list[list[str]]:
    """Sources grouped into ``folds`` groups of similar sentence counts (largest source first, deterministic)."""
    counts = Counter(sources)
    groups: list[list[str]] = [[] for _ in range(max(1, min(folds, len(counts))))]
    sizes = [0] * len(groups)
    for source in sorted(counts, key=lambda name: (-counts[name], name)):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(source)
        sizes[smallest] += counts[source]
    return groups


def out_of_author_probabilities(
    sources: Sequence[str],
    folds: int,
    fit_without: Callable[[np.ndarray], ActModel],
    predict: Callable[[ActModel, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Per sentence, the probabilities of a model fitted without its source's fold.

    ``fit_without(mask)`` fits on the sentences where ``mask`` is False; ``predict(model, mask)``
    returns the model's probabilities for the sentences where ``mask`` is True.
    """
    column = np.asarray(sources)
    result: np.ndarray | None = None
    for group in author_folds(sources, folds):
        held = np.isin(column, group)
        if held.all():  # one source only: nothing to fit on
            continue
        predicted = predict(fit_without(held), held)
        if result is None:
            result = np.full((len(column), predicted.shape[1]), np.nan, dtype=np.float32)
        result[held] = predicted
    if result is None:
        raise ValueError("out-of-author probabilities need at least two sources")
    return result
