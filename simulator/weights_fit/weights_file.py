"""Write a fitted weights file: the weights, the thresholds carried over, and the provenance that explains them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.grading.weights import OfflineWeights, load_weights

HEADER = """\
# Weights of the offline grader, FITTED by `{command}` — do not edit by hand; refit instead
# (docs/grader-weights.md). Each criterion starts at `base`; every signal adds weight × value
# (value 0..1 for a behaviour, a count for a penalty, -1..1 for a trend), its contribution limited
# to ±cap (the largest contribution seen in the training data). The sum becomes a level 1..5 by
# `level_map`: half_up rounds it half up and clamps it; label_quantiles counts the criterion's fitted
# `cuts` it reaches (provenance.level_map says how the map was chosen). `score_caps` (rubric rules,
# not fitted) then limit the level when their signal fired. A signal that never fired in the
# training data keeps its previous weight (listed under provenance.criteria.*.no_evidence). What
# each signal measures: simulator/grading/detectors/. `without_case` (when present) replaces
# `criteria` for a transcript graded without a case (a chat log; provenance.without_case says how it
# was chosen). `provenance` records the data, the model and the cross-validated figures.
"""


def weights_document(weights: OfflineWeights, provenance: dict[str, Any], version: str) -> dict[str, Any]:
    """The YAML document: version, provenance, thresholds, criteria (in that order)."""
    body = weights.model_dump(mode="json", exclude={"digest", "provenance"}, exclude_none=True)
    return {
        "version": version,
        "provenance": provenance,
        "level_map": body["level_map"],
        "thresholds": body["thresholds"],
        "criteria": body["criteria"],
        **({"without_case": body["without_case"]} if "without_case" in body else {}),
    }


def write_weights(weights: OfflineWeights, provenance: dict[str, Any], version: str, path: Path) -> OfflineWeights:
    """Write the weights file and read it back through the grader's own loader (so it is known to load)."""
    document = weights_document(weights, provenance, version)
    text = HEADER.format(command=provenance.get("command", "drill weights")) + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_weights(path)
