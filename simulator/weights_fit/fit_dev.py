"""Fit the shipped offline weights on the grader set's dev split, with cross-validated figures and provenance.

Only ``dev/`` is read (``GraderSet.items("dev")``): the frozen test split is never used for fitting,
for choosing alpha or for anything else here; its hash is recorded so the weights can be traced to
the split they were *not* fitted on. Real chat logs are measurement data only and are not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sklearn

from simulator.config import PROJECT_DIR
from simulator.content import Library
from simulator.evals.grader_set import GraderSet, split_sha256
from simulator.grading.weights import OfflineWeights
from simulator.weights_fit import model as fit_model
from simulator.weights_fit.features import LabelledSignals, measure_signals
from simulator.weights_fit.figures import level_figures, total_figures
from simulator.weights_fit.model import CriterionFit, cross_validated_levels, fit_weights, predict_levels


@dataclass(frozen=True)
class DevFit:
    """Fitted weights, how each criterion was fitted, and the figures that justify them."""

    weights: OfflineWeights
    fits: dict[str, CriterionFit]
    provenance: dict[str, Any]


def dev_signals(
    grader_set: GraderSet, library: Library, template: OfflineWeights
) -> tuple[list[LabelledSignals], list[str]]:
    """Signal values and mentor levels of every dev transcript; ids the grader would leave unscored apart.

    The cross-validation group is the situation: one case played by one persona.
    """
    rows: list[LabelledSignals] = []
    skipped: list[str] = []
    for labelled in grader_set.items("dev"):
        values = measure_signals(labelled.transcript(), library, template)
        if values is None:
            skipped.append(labelled.id)
            continue
        rows.append(LabelledSignals(labelled.id, labelled.situation.situation, values, labelled.item.labels.scores()))
    return rows, skipped


def fit_on_dev(
    grader_set: GraderSet,
    library: Library,
    template: OfflineWeights,
    *,
    alphas: tuple[float, ...] | None = None,
    folds: int | None = None,
) -> DevFit:
    """Fit every criterion on dev; report grouped cross-validated figures beside the template's own.

    ``alphas`` and ``folds`` default to ``model.ALPHAS`` and ``model.FOLDS``.
    """
    alphas = fit_model.ALPHAS if alphas is None else alphas
    folds = fit_model.FOLDS if folds is None else folds
    rubric = library.require_rubric()
    rows, skipped = dev_signals(grader_set, library, template)
    weights, fits = fit_weights(template, rows, alphas=alphas, folds=folds)
    cv_levels = cross_validated_levels(template, rows, alphas=alphas, folds=folds)
    template_levels = [predict_levels(template, row.values) for row in rows]
    dev_dir = grader_set.directory / "dev"
    provenance = {
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "drill weights fit",
        "model": (
            f"per criterion, least squares with non-negative oriented coefficients and a ridge penalty "
            f"(scikit-learn {sklearn.__version__}); alpha chosen by GroupKFold by situation from "
            f"{len(alphas)} values {alphas[0]:g}..{alphas[-1]:g}"
        ),
        "training_data": {
            "set": _shown(grader_set.directory),
            "split": "dev",
            "split_sha256": split_sha256(dev_dir),
            "transcripts": len(rows) + len(skipped),
            "used": len(rows),
            "unscorable": skipped,
            "situations": len({row.group for row in rows}),
        },
        "not_used": {
            "test_split_sha256": grader_set.test_sha256,
            "real_logs": "measurement only; never read by the fit",
        },
        "carried_over": (
            f"signals per criterion, score caps (rubric rules) and thresholds from weights version "
            f"{template.version} (sha256 {template.digest[:16]})"
        ),
        "criteria": {
            name: {
                "alpha": round(fit.alpha, 4),
                "rows": fit.rows,
                "groups": fit.groups,
                "left_to_caps": fit.left_to_caps,
                "no_evidence": list(fit.no_evidence),
            }
            for name, fit in fits.items()
        },
        "cross_validation": {
            "scheme": f"GroupKFold by situation, {min(folds, len({r.group for r in rows}))} outer folds; "
            "alpha chosen again inside each outer training part",
            "levels": level_figures(rows, cv_levels),
            "total": total_figures(rows, cv_levels, rubric),
        },
        "previous_weights_on_dev": {
            "note": f"version {template.version}, tuned by hand while reading dev: in-sample, optimistic",
            "levels": level_figures(rows, template_levels),
            "total": total_figures(rows, template_levels, rubric),
        },
    }
    return DevFit(weights, fits, provenance)


def _shown(directory: Path) -> str:
    """``directory`` relative to the checkout when it is inside it (the weights file is committed)."""
    resolved = directory.resolve()
    return (
        str(resolved.relative_to(PROJECT_DIR.resolve()))
        if resolved.is_relative_to(PROJECT_DIR.resolve())
        else str(directory)
    )
