"""The real-log part of the grader eval: real public chats graded without a case, reported apart.

Real agents are judged on what a QA lead can judge without knowing the case (docs/grader-data.md):
the grader sees each transcript as ``drill grade`` would see an imported chat log. Few real agents
pass, so pass/fail agreement says little on its own: the figures that matter here are the rank and
distance agreement with intervals and the spread of the totals (``simulator.evals.agreement``).

The transcripts are third-party data kept outside the repository (``DRILL_REAL_LOGS_DIR``); when
they are absent the part is reported as not run, with the reason, never as a zero. Per-item rows
are kept for the dev split only, as for the synthetic part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.config import Settings
from simulator.content import Library
from simulator.errors import GradingFailed
from simulator.evals.agreement import Graded, agreement
from simulator.evals.grader_eval import Engine
from simulator.evals.grader_set import CRITERION_IDS, SplitChoice
from simulator.evals.real_log_set import LabelledRealLog, RealLogSet
from simulator.grading import grade
from simulator.grading.aggregate import build_report, unscored
from simulator.models import GradeReport


@dataclass(frozen=True)
class RealLogResult:
    """The grader's report for one labelled real log."""

    log: LabelledRealLog
    report: GradeReport
    seconds: float

    def graded(self) -> Graded:
        """The item as the agreement figures see it."""
        labels = self.log.item.labels
        return Graded(labels.total, labels.passed, self.report.total, self.report.passed)


@dataclass
class RealLogRun:
    """One run over the real logs of a split, or the reason it did not run."""

    split: SplitChoice
    labels_dir: str
    transcripts_dir: str
    test_sha256: str
    results: list[RealLogResult] = field(default_factory=list)
    not_run: str | None = None
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_real_log_eval(
    real_logs: RealLogSet,
    *,
    library: Library,
    settings: Settings,
    engine: Engine,
    split: SplitChoice,
    progress: Callable[[int, int, str], None] | None = None,
) -> RealLogRun:
    """Grade every real log of ``split`` whose transcript is present; list the absent ones (a source too
    large to snapshot), and say why when none is present."""
    run = RealLogRun(
        split=split,
        labels_dir=str(real_logs.labels_dir),
        transcripts_dir=str(real_logs.transcripts_dir),
        test_sha256=real_logs.test_sha256,
    )
    logs = real_logs.items(split)
    if not logs:
        run.not_run = f"no real-log labels in the {split} split of {real_logs.labels_dir}"
        return run
    run.missing = [log.id for log in logs if log.transcript is None]
    present = [log for log in logs if log.transcript is not None]
    if not present:
        run.not_run = (
            f"none of the {len(logs)} real-log transcripts of the {split} split is in "
            f"{real_logs.transcripts_dir} (e.g. {logs[0].id}.json); set DRILL_REAL_LOGS_DIR or rebuild them "
            "(docs/grader-data.md)"
        )
        return run
    clock = time.perf_counter()
    for done, log in enumerate(present, start=1):
        assert log.transcript is not None  # filtered above
        start = time.perf_counter()
        try:
            report = grade(log.transcript, library=library, engine=engine, settings=settings)
        except GradingFailed as exc:
            rubric = library.require_rubric()
            report = build_report(log.transcript, rubric, unscored(rubric, str(exc)), engine=engine)
        run.results.append(RealLogResult(log, report, time.perf_counter() - start))
        if progress is not None:
            progress(done, len(present), log.id)
    run.seconds = time.perf_counter() - clock
    return run


def _item_row(result: RealLogResult) -> dict[str, Any]:
    item = result.log.item
    predicted = {score.id: score.score for score in result.report.criteria}
    return {
        "id": item.id,
        "dataset": result.log.source.dataset,
        "language": item.language,
        "quality": item.quality,
        "label_total": item.labels.total,
        "predicted_total": result.report.total,
        "label_passed": item.labels.passed,
        "predicted_passed": result.report.passed,
        "unsupported": list(result.report.unsupported),
        "criteria": {
            cid: {"label": item.labels.scores()[cid], "predicted": predicted.get(cid)} for cid in CRITERION_IDS
        },
    }


def summarise_real_logs(run: RealLogRun) -> dict[str, Any]:
    """The ``real_logs`` section of the eval report (``run: false`` with the reason when not run)."""
    base: dict[str, Any] = {
        "split": run.split,
        "labels_dir": run.labels_dir,
        "transcripts_dir": run.transcripts_dir,
        "real_test_sha256": run.test_sha256,
    }
    if run.not_run is not None:
        return {**base, "run": False, "reason": run.not_run}
    datasets: dict[str, list[RealLogResult]] = {}
    for result in run.results:
        datasets.setdefault(result.log.source.dataset, []).append(result)
    dev_rows = [_item_row(r) for r in run.results if r.log.split == "dev"]
    return {
        **base,
        "run": True,
        "seconds": round(run.seconds, 2),
        "items_graded": len(run.results),
        "items_missing": run.missing,
        "agreement": agreement([r.graded() for r in run.results]),
        "by_dataset": {
            name: {
                "n": len(members),
                "split": members[0].log.split,
                "mean_label_total": round(sum(r.log.item.labels.total for r in members) / len(members), 2),
                "mean_predicted_total": _mean([r.report.total for r in members]),
            }
            for name, members in sorted(datasets.items())
        },
        "items": dev_rows,
        "items_withheld": len(run.results) - len(dev_rows),
    }


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None
