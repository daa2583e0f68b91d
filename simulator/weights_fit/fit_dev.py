"""Fit the shipped offline weights on the grader set's dev split, with cross-validated figures and provenance.

Only ``dev/`` is read (``GraderSet.items("dev")``): the frozen test split is never used for fitting,
for choosing alpha or for anything else here; its hash is recorded so the weights can be traced to
the split they were *not* fitted on. With ``real_logs`` the labelled real chat logs of ``real/dev``
join the synthetic dev rows (one cross-validation group per dataset), so the weights are not fitted
to the synthetic style alone; ``real/test`` is never read. The signals are measured through the act
recogniser, so the weights depend on its model: the provenance and the version name its digest.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sklearn

from simulator.config import PROJECT_DIR
from simulator.content import Library
from simulator.evals.agreement import bootstrap_interval, spearman_along
from simulator.evals.grader_set import GraderSet, split_sha256
from simulator.evals.real_log_set import RealLogSet
from simulator.grading.weights import LEVEL_MAPS, LevelMap, OfflineWeights
from simulator.models import Rubric
from simulator.recognition.classifier import MODEL_DIR
from simulator.weights_fit import model as fit_model
from simulator.weights_fit.features import LabelledSignals, measure_signals
from simulator.weights_fit.figures import level_figures, total_figures, weighted_total
from simulator.weights_fit.model import CriterionFit, cross_validated_levels, fit_weights, predict_levels
from simulator.weights_fit.without_case import WITHOUT_CASE_VARIANTS, cross_validated_variants, fit_without_case


@dataclass(frozen=True)
class DevFit:
    """Fitted weights, how each criterion was fitted, and the figures that justify them."""

    weights: OfflineWeights
    fits: dict[str, CriterionFit]
    provenance: dict[str, Any]
    #: Every row's nested cross-validated levels beside the mentor's (``nested_predictions``): the figures'
    #: per-item source, for error analysis; not written to the weights file.
    predictions: list[dict[str, Any]] = field(default_factory=list)


def dev_signals(
    grader_set: GraderSet, library: Library, template: OfflineWeights
) -> tuple[list[LabelledSignals], list[str]]:
    """Signal values and mentor levels of every dev transcript; ids the grader would leave unscored apart.

    The cross-validation group is the situation: one case played by one persona.
    """
    rows: list[LabelledSignals] = []
    skipped: list[str] = []
    for labelled in grader_set.items("dev"):
        transcript = labelled.transcript()
        values = measure_signals(transcript, library, template)
        if values is None:
            skipped.append(labelled.id)
            continue
        rows.append(
            LabelledSignals(
                labelled.id,
                labelled.situation.situation,
                values,
                labelled.item.labels.scores(),
                with_case=bool(transcript.case_id),
                language=str(transcript.language),
            )
        )
    return rows, skipped


#: Cross-validation groups of real logs start with this, then the label file's name (its dataset).
REAL_GROUP_PREFIX = "real:"


def real_dev_signals(
    real_logs: RealLogSet, library: Library, template: OfflineWeights
) -> tuple[list[LabelledSignals], list[str], list[str]]:
    """Rows of the real-log dev split whose transcripts are present, grouped by dataset; then the ids the
    grader would leave unscored and the ids whose transcripts are absent."""
    rows: list[LabelledSignals] = []
    skipped: list[str] = []
    missing: list[str] = []
    for log in real_logs.items("dev"):
        if log.transcript is None:
            missing.append(log.id)
            continue
        values = measure_signals(log.transcript, library, template)
        if values is None:
            skipped.append(log.id)
            continue
        rows.append(
            LabelledSignals(
                log.id,
                REAL_GROUP_PREFIX + log.path.stem,
                values,
                log.item.labels.scores(),
                with_case=bool(log.transcript.case_id),
                language=str(log.transcript.language),
            )
        )
    return rows, skipped, missing


def dataset_of(group: str) -> str:
    """The dataset a real-log group belongs to: its label file's stem without a one-letter selection
    suffix ("real:star-b" -> "star"; docs/grader-data.md)."""
    stem = group.removeprefix(REAL_GROUP_PREFIX)
    head, _, tail = stem.rpartition("-")
    return head if head and len(tail) == 1 and tail.isalpha() else stem


def recogniser_digest(model_dir: Path = MODEL_DIR) -> str:
    """SHA-256 over the act recogniser's model files (name and bytes, in name order): what the signals read."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _part_figures(
    rows: list[LabelledSignals], predicted: list[dict[str, int]], rubric: Any, real: bool
) -> dict[str, Any]:
    chosen = [(r, p) for r, p in zip(rows, predicted, strict=True) if r.group.startswith(REAL_GROUP_PREFIX) == real]
    if not chosen:
        return {}
    part_rows, part_levels = [r for r, _ in chosen], [p for _, p in chosen]
    figures = {"levels": level_figures(part_rows, part_levels), "total": total_figures(part_rows, part_levels, rubric)}
    languages = sorted({r.language for r in part_rows if r.language})
    if len(languages) > 1:
        # Pass/fail near the mark differs by language (English agents were passed more often than the
        # mentor passed them, 2026-12-03): each language's totals apart.
        figures["by_language"] = {
            language: total_figures(
                [r for r in part_rows if r.language == language],
                [p for r, p in zip(part_rows, part_levels, strict=True) if r.language == language],
                rubric,
            )
            for language in languages
        }
    if real:
        figures["total"]["spearman_interval"] = _spearman_interval(part_rows, part_levels, rubric)
        # Pooled over datasets, a Spearman also rewards telling the datasets apart; within each one it
        # says whether the grader ranks that dataset's agents as its mentor did.
        datasets = [dataset_of(r.group) for r in part_rows]
        figures["by_dataset"] = {
            name: total_figures(
                [r for r, d in zip(part_rows, datasets, strict=True) if d == name],
                [p for p, d in zip(part_levels, datasets, strict=True) if d == name],
                rubric,
            )
            for name in sorted(set(datasets))
        }
    return figures


def _spearman_interval(rows: list[LabelledSignals], levels: list[dict[str, int]], rubric: Any) -> list[float] | None:
    """The bootstrap interval of the totals' Spearman (``agreement.bootstrap_interval``), rounded."""
    interval = bootstrap_interval(
        spearman_along,
        [weighted_total(row.levels, rubric) for row in rows],
        [weighted_total(level, rubric) for level in levels],
    )
    return None if interval is None else [round(bound, 4) for bound in interval]


def _choose_without_case(
    template: OfflineWeights,
    rows: list[LabelledSignals],
    rubric: Any,
    level_map: LevelMap,
    alphas: tuple[float, ...],
    folds: int,
) -> tuple[list[dict[str, int]], dict[str, Any]]:
    """The case-less candidate whose nested cross-validated case-less totals are closest to the mentors'
    (lowest mean absolute difference; ties: the simpler), with its levels for every row and every
    candidate's case-less figures (Spearman with its bootstrap interval)."""
    cv_by_variant = cross_validated_variants(template, rows, level_map=level_map, alphas=alphas, folds=folds)
    caseless = [i for i, row in enumerate(rows) if not row.with_case]
    candidates: dict[str, Any] = {}
    for variant, predicted in cv_by_variant.items():
        part_rows, part_levels = [rows[i] for i in caseless], [predicted[i] for i in caseless]
        figures = total_figures(part_rows, part_levels, rubric)
        figures["spearman_interval"] = _spearman_interval(part_rows, part_levels, rubric)
        candidates[variant] = figures
    chosen = min(
        cv_by_variant,
        key=lambda v: (
            math.inf if candidates[v]["mad"] is None else candidates[v]["mad"],
            WITHOUT_CASE_VARIANTS.index(v),
        ),
    )
    return cv_by_variant[chosen], {
        "chosen": chosen,
        "chosen_by": "lowest mean absolute difference of the case-less rows' totals in the nested cross-validation "
        "(outer folds as below; ties: the candidate with less freedom); rows graded with a case use the shared "
        "criteria whatever the choice",
        "candidates": candidates,
    }


def fit_on_dev(
    grader_set: GraderSet,
    library: Library,
    template: OfflineWeights,
    *,
    alphas: tuple[float, ...] | None = None,
    folds: int | None = None,
    real_logs: RealLogSet | None = None,
) -> DevFit:
    """Fit every criterion on dev; report grouped cross-validated figures beside the template's own.

    ``alphas`` and ``folds`` default to ``model.ALPHAS`` and ``model.FOLDS``. With ``real_logs``, the
    real-log dev rows are fitted too (grouped by dataset) and the figures are also given per part.
    """
    alphas = fit_model.ALPHAS if alphas is None else alphas
    folds = fit_model.FOLDS if folds is None else folds
    rubric = library.require_rubric()
    rows, skipped = dev_signals(grader_set, library, template)
    synthetic_rows = len(rows)
    real_part: dict[str, Any] | None = None
    if real_logs is not None:
        real_rows, real_skipped, real_missing = real_dev_signals(real_logs, library, template)
        rows += real_rows
        real_part = {
            "labels": _shown(real_logs.labels_dir / "dev"),
            "labels_sha256": split_sha256(real_logs.labels_dir / "dev"),
            "used": len(real_rows),
            "unscorable": real_skipped,
            "transcripts_absent": real_missing,
            "groups": sorted({row.group for row in real_rows}),
        }
    # The level map is chosen like alpha, by what held-out data says: each candidate's nested
    # cross-validated totals, the lowest mean absolute difference from the mentors' (ties: the first).
    # It is chosen on the shared weights alone; the case-less set is chosen after it, under that map.
    shared_template = template.model_copy(update={"without_case": None})
    cv_by_map = {
        level_map: cross_validated_levels(shared_template, rows, alphas=alphas, folds=folds, level_map=level_map)
        for level_map in LEVEL_MAPS
    }
    totals_by_map = {level_map: total_figures(rows, cv, rubric) for level_map, cv in cv_by_map.items()}
    chosen = min(
        LEVEL_MAPS,
        key=lambda level_map: (
            math.inf if totals_by_map[level_map]["mad"] is None else totals_by_map[level_map]["mad"],
            LEVEL_MAPS.index(level_map),
        ),
    )
    weights, fits = fit_weights(shared_template, rows, alphas=alphas, folds=folds, level_map=chosen)
    cv_levels = cv_by_map[chosen]
    without_case: dict[str, Any] = {}
    if any(not row.with_case for row in rows):
        cv_levels, without_case = _choose_without_case(shared_template, rows, rubric, chosen, alphas, folds)
        own, how = fit_without_case(weights, rows, without_case["chosen"], alphas=alphas, folds=folds)
        weights = weights.model_copy(update={"without_case": own})
        without_case["criteria"] = how
    template_levels = [predict_levels(template.for_grading(row.with_case), row.values) for row in rows]
    dev_dir = grader_set.directory / "dev"
    recogniser = recogniser_digest()
    data = hashlib.sha256(split_sha256(dev_dir).encode("ascii"))
    if real_part is not None:
        data.update(real_part["labels_sha256"].encode("ascii"))
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
            "transcripts": synthetic_rows + len(skipped),
            "used": synthetic_rows,
            "unscorable": skipped,
            "situations": len({row.group for row in rows[:synthetic_rows]}),
            "real_dev": real_part or "not used (drill weights fit --real-dev adds it)",
            "data_sha256": data.hexdigest(),
        },
        "recogniser": {"model_dir": _shown(MODEL_DIR), "sha256": recogniser},
        "not_used": {
            "test_split_sha256": grader_set.test_sha256,
            "real_logs": (
                "real/test never read"
                if real_logs is None
                else "real/test never read (no label files: no real-log test split is frozen)"
                if not real_logs.items("test")
                else f"real/test never read (labels sha256 {real_logs.test_sha256})"
            ),
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
        "level_map": {
            "chosen": chosen,
            "chosen_by": "lowest mean absolute difference of totals in the nested cross-validation below",
            "candidates": totals_by_map,
        },
        **({"without_case": without_case} if without_case else {}),
        "cross_validation": {
            "scheme": f"GroupKFold by situation (real logs: by dataset), {min(folds, len({r.group for r in rows}))} "
            "outer folds; alpha chosen again inside each outer training part",
            "levels": level_figures(rows, cv_levels),
            "total": total_figures(rows, cv_levels, rubric),
            **(
                {
                    "synthetic": _part_figures(rows, cv_levels, rubric, real=False),
                    "real": _part_figures(rows, cv_levels, rubric, real=True),
                }
                if real_part is not None
                else {}
            ),
        },
        "previous_weights_on_dev": {
            "note": f"version {template.version} (the weights this fit replaces) on the same rows: in-sample",
            "levels": level_figures(rows, template_levels),
            "total": total_figures(rows, template_levels, rubric),
        },
    }
    return DevFit(weights, fits, provenance, nested_predictions(rows, cv_levels, rubric))


def nested_predictions(
    rows: list[LabelledSignals], levels: list[dict[str, int]], rubric: Rubric
) -> list[dict[str, Any]]:
    """One record per row: id, group, graded with a case or not, the mentor's and the nested-CV levels and
    totals (``None`` when the mentor left a criterion unlabelled), and the row's measured signal values."""
    ids = [c.id for c in rubric.criteria]
    records: list[dict[str, Any]] = []
    for row, predicted in zip(rows, levels, strict=True):
        full = all(i in row.levels for i in ids)
        records.append(
            {
                "id": row.item_id,
                "group": row.group,
                "with_case": row.with_case,
                "language": row.language,
                "mentor": dict(row.levels),
                "grader": dict(predicted),
                "mentor_total": weighted_total(row.levels, rubric) if full else None,
                "grader_total": weighted_total(predicted, rubric),
                "signals": dict(row.values),
            }
        )
    return records


def _shown(directory: Path) -> str:
    """``directory`` relative to the checkout when it is inside it (the weights file is committed)."""
    resolved = directory.resolve()
    return (
        str(resolved.relative_to(PROJECT_DIR.resolve()))
        if resolved.is_relative_to(PROJECT_DIR.resolve())
        else str(directory)
    )
