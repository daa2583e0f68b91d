"""Refit a centre's offline weights from its mentors' overrides, measured on overrides held out from the refit.

A centre (one deployment, one store) whose mentors keep correcting the same criterion exports its
overrides (``overrides.export_overrides``). The refit:

1. measures the grader's signals on each overridden session's transcript (a session whose case the
   library does not know, or that the grader would leave unscored, is skipped and listed);
2. holds out a share of the *sessions* (``GroupShuffleSplit``, seeded), so no session's labels are
   in both parts;
3. refits each criterion that has labels from at least two training sessions, with the ridge
   penalty pulling towards the shipped weights (``PriorRidge``; alpha chosen by grouped CV on the
   training sessions), so a handful of overrides moves the weights a little and many move them more;
   other criteria keep the shipped weights;
4. reports agreement with the mentors on the held-out sessions before (shipped weights) and after
   (refitted): on every held-out label, and on the overridden criteria alone.

The weights written are the ones measured: fitted on the training sessions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sklearn.model_selection import GroupShuffleSplit

from simulator.content import Library
from simulator.grading.weights import OfflineWeights
from simulator.weights_fit.features import LabelledSignals, measure_signals
from simulator.weights_fit.figures import level_figures
from simulator.weights_fit.model import ALPHAS, FOLDS, WeightsFitError, fit_weights, predict_levels
from simulator.weights_fit.overrides import OverrideRecord

#: Share of the centre's sessions held out from the refit to measure it.
HELD_OUT_SHARE = 0.3


@dataclass(frozen=True)
class CentreRefit:
    """The refitted weights and the figures that say whether they help."""

    weights: OfflineWeights
    provenance: dict[str, Any]


def _rows(
    records: Sequence[OverrideRecord], library: Library, shipped: OfflineWeights, overrides_only: bool
) -> tuple[list[LabelledSignals], list[LabelledSignals], dict[str, str]]:
    """(rows with every label, the same rows with override labels only, skipped session -> why)."""
    rows: list[LabelledSignals] = []
    override_rows: list[LabelledSignals] = []
    skipped: dict[str, str] = {}
    for record in records:
        try:
            values = measure_signals(record.transcript, library, shipped)
        except LookupError as exc:
            skipped[record.session_id] = f"case not in this library: {exc}"
            continue
        if values is None:
            skipped[record.session_id] = "no agent turn, or too thin to grade"
            continue
        known = {c: level for c, level in record.levels(overrides_only=overrides_only).items() if c in shipped.criteria}
        if not known:
            skipped[record.session_id] = "no label for a criterion these weights score"
            continue
        with_case = bool(record.transcript.case_id)
        rows.append(LabelledSignals(record.session_id, record.session_id, values, known, with_case=with_case))
        overridden = {c: lvl for c, lvl in record.levels(overrides_only=True).items() if c in shipped.criteria}
        override_rows.append(
            LabelledSignals(record.session_id, record.session_id, values, overridden, with_case=with_case)
        )
    return rows, override_rows, skipped


def refit_centre(
    records: Sequence[OverrideRecord],
    library: Library,
    shipped: OfflineWeights,
    *,
    held_out_share: float = HELD_OUT_SHARE,
    seed: int = 0,
    overrides_only: bool = False,
    alphas: tuple[float, ...] = ALPHAS,
    folds: int = FOLDS,
    source: str = "",
) -> CentreRefit:
    """Refit ``shipped`` towards the centre's mentors; ``WeightsFitError`` when the data cannot support it."""
    if not 0 < held_out_share < 1:
        raise WeightsFitError(f"the held-out share must be between 0 and 1, got {held_out_share:g}")
    rows, override_rows, skipped = _rows(records, library, shipped, overrides_only)
    if len(rows) < 4:
        raise WeightsFitError(
            f"{len(rows)} usable overridden session(s) ({len(skipped)} skipped); a refit with a held-out "
            "measurement needs at least 4"
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=held_out_share, random_state=seed)
    train_index, held_index = next(splitter.split(rows, groups=[r.group for r in rows]))
    train = [rows[i] for i in train_index]
    refittable = [
        criterion for criterion in shipped.criteria if len({r.group for r in train if criterion in r.levels}) >= 2
    ]
    if not refittable:
        raise WeightsFitError(
            f"no criterion has labels from two training sessions ({len(train)} training sessions); "
            "export again when mentors have reviewed more sessions"
        )
    fitted, fits = fit_weights(shipped, train, prior=shipped, alphas=alphas, folds=folds, criteria=refittable)
    held = [rows[i] for i in held_index]
    held_overrides = [override_rows[i] for i in held_index]
    # The case-less set (``without_case``) is carried over unrefitted; held-out rows are graded as the grader would.
    before = [predict_levels(shipped.for_grading(r.with_case), r.values) for r in held]
    after = [predict_levels(fitted.for_grading(r.with_case), r.values) for r in held]
    provenance = {
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "drill weights refit-centre",
        "model": (
            "per criterion, least squares with non-negative oriented coefficients and a ridge penalty towards "
            f"the shipped weights; alpha chosen by GroupKFold by session from {len(alphas)} values"
        ),
        "training_data": {
            "source": source,
            "sessions": len(records),
            "used": len(rows),
            "skipped": skipped,
            "training_sessions": len(train),
            "labels": "overrides only" if overrides_only else "overrides and confirmed levels of the same sessions",
        },
        "carried_over": (
            f"starting point, signals, score caps and thresholds: weights version {shipped.version} "
            f"(sha256 {shipped.digest[:16]}); criteria not refitted keep it: "
            f"{', '.join(c for c in shipped.criteria if c not in refittable) or 'none'}"
        ),
        "criteria": {
            name: {
                "alpha": round(fit.alpha, 4),
                "rows": fit.rows,
                "sessions": fit.groups,
                "left_to_caps": fit.left_to_caps,
            }
            for name, fit in fits.items()
        },
        "held_out": {
            "sessions": len(held),
            "share": held_out_share,
            "seed": seed,
            "before": level_figures(held, before),
            "after": level_figures(held, after),
            "overrides_before": level_figures(held_overrides, before),
            "overrides_after": level_figures(held_overrides, after),
        },
    }
    return CentreRefit(fitted, provenance)
