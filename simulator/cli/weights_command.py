"""``drill weights``: fit the offline grader's weights on dev, export mentor overrides, refit a centre's weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click

from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.content_problems import ContentError
from simulator.errors import DrillError
from simulator.evals.grader_set import DEFAULT_SET_DIR, load_grader_set
from simulator.evals.real_log_set import load_real_log_set
from simulator.grading.weights import WEIGHTS_FILE, OfflineWeightsError, load_weights, weights_in_force
from simulator.store import SessionStore


@click.group("weights")
def weights_group() -> None:
    """Fit the offline grader's weights from labelled transcripts, and refit a centre's from its mentors."""


def _version(prefix: str, digest: str) -> str:
    from datetime import UTC, datetime

    return f"{prefix}-{datetime.now(UTC):%Y-%m-%d}-{digest[:8]}"


def _figures_line(name: str, figures: dict[str, Any]) -> str:
    total = figures["total"]
    levels = figures["levels"]["overall"]

    def shown(value: float | None, spec: str, scale: float = 1.0) -> str:
        return "n/a" if value is None else format(value * scale, spec)  # too few rows for the figure

    return (
        f"  {name:<34} Spearman {shown(total['spearman'], '.3f')}, mean abs. difference "
        f"{shown(total['mad'], '.2f')} points, sd {shown(total.get('sd_grader'), '.1f')} (mentor "
        f"{shown(total.get('sd_mentor'), '.1f')}), pass/fail {shown(total['pass_fail_accuracy'], '.1f', 100)}% "
        f"(kappa {shown(total['pass_fail_kappa'], '.2f')}), levels exact {shown(levels['exact'], '.1f', 100)}% / "
        f"mean abs. error {shown(levels['mae'], '.3f')}"
    )


@weights_group.command("fit")
@click.option(
    "--set",
    "set_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_SET_DIR,
    show_default=True,
    help="Labelled set; only its dev/ split is read.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=WEIGHTS_FILE,
    show_default=True,
    help="Weights file to write (the shipped one by default).",
)
@click.option(
    "--real-dev",
    is_flag=True,
    help="Fit the labelled real chat logs of <set>/real/dev too (transcripts from DRILL_REAL_LOGS_DIR), "
    "cross-validated by dataset.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the provenance (figures included) as JSON.")
@click.option(
    "--predictions",
    "predictions_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write every dev row's nested cross-validated levels and total beside the mentor's (JSON), "
    "for error analysis.",
)
def fit(set_dir: Path, out_path: Path, real_dev: bool, as_json: bool, predictions_path: Path | None) -> None:
    """Fit every criterion's weights on the dev split (cross-validated by situation) and write the weights file
    with its provenance: data hash, recogniser model digest, date, model, chosen alpha and cross-validated
    figures. The version is fitted-<date>-<data digest>-w<weights digest>-r<recogniser digest>: weights fitted
    on other data, by other code or through another act model never share a name.

    The frozen test splits (synthetic and real-log) are never read for fitting; their hashes are recorded.
    Exit 2 on an invalid set or a fit the data cannot support.
    """
    from simulator.weights_fit.fit_dev import fit_on_dev
    from simulator.weights_fit.model import WeightsFitError
    from simulator.weights_fit.weights_file import write_weights

    current = settings()
    library = library_or_exit(current)
    try:
        grader_set = load_grader_set(set_dir, rubric=library.require_rubric(), library=library)
        template = load_weights(out_path if out_path.is_file() else WEIGHTS_FILE)
        real_logs = (
            load_real_log_set(set_dir / "real", current.real_logs_dir, rubric=library.require_rubric())
            if real_dev
            else None
        )
        result = fit_on_dev(grader_set, library, template, real_logs=real_logs)
        if real_dev:
            result.provenance["command"] = "drill weights fit --real-dev"
        digest = result.provenance["training_data"]["data_sha256"]
        recogniser = result.provenance["recogniser"]["sha256"]
        # The same data and recogniser fitted by other code (signals, level map) give other weights: the
        # version names the fitted numbers too, so a figure quoted for one version is never read for another.
        fitted = result.weights.model_dump(mode="json", exclude={"digest", "provenance", "version"})
        numbers = hashlib.sha256(json.dumps(fitted, sort_keys=True).encode("utf-8")).hexdigest()
        version = f"{_version('fitted', digest)}-w{numbers[:8]}-r{recogniser[:8]}"
        written = write_weights(result.weights, result.provenance, version, out_path)
        if predictions_path is not None:
            predictions_path.write_text(
                json.dumps(result.predictions, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the labelled set {set_dir}")
        return
    except (WeightsFitError, OfflineWeightsError) as exc:
        fail(str(exc))
        return
    if as_json:
        echo_json(result.provenance)
        return
    data = result.provenance["training_data"]
    click.echo(
        f"Fitted on {data['used']} dev transcripts from {data['situations']} situations "
        f"(dev sha256 {data['split_sha256'][:16]}…; test split {grader_set.test_sha256[:16]}… not used)."
    )
    if isinstance(data["real_dev"], dict):
        real = data["real_dev"]
        absent = f"; absent: {', '.join(real['transcripts_absent'])}" if real["transcripts_absent"] else ""
        click.echo(f"  and {real['used']} real dev logs ({', '.join(real['groups'])}){absent}.")
    level_map = result.provenance["level_map"]
    candidates = level_map["candidates"].items()
    others = ", ".join(f"{name} {figures['mad']} points" for name, figures in candidates if name != level_map["chosen"])
    click.echo(f"Level map {level_map['chosen']} (nested CV mean abs. difference; other candidates: {others}).")
    without_case = result.provenance.get("without_case")
    if without_case:
        others = ", ".join(
            f"{name} {figures['mad']} points"
            for name, figures in without_case["candidates"].items()
            if name != without_case["chosen"]
        )
        click.echo(
            f"Case-less set {without_case['chosen']} (nested CV mean abs. difference; other candidates: {others})."
        )
    cv = result.provenance["cross_validation"]
    click.echo(_figures_line("cross-validated, fitted weights", cv))
    for part in ("synthetic", "real"):
        if cv.get(part):
            click.echo(_figures_line(f"  of which {part} dev", cv[part]))
    click.echo(_figures_line("previous weights (in-sample)", result.provenance["previous_weights_on_dev"]))
    click.echo(f"Wrote {out_path} (version {written.version}).")


@weights_group.command("export-overrides")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="JSON-lines file to write: one overridden session per line.",
)
def export_overrides_command(out_path: Path) -> None:
    """Export every mentor override in the store (DRILL_DATABASE_URL or the data dir) as labelled data:
    per session the transcript and, per criterion, the grader's level, the mentor's level and the reason.
    """
    from simulator.weights_fit.overrides import export_overrides, write_records

    current = settings()
    records = export_overrides(SessionStore(current.sqlalchemy_url))
    count = write_records(records, out_path)
    overridden = sum(label.kind == "override" for record in records for label in record.labels)
    click.echo(f"Wrote {count} session(s) with {overridden} override(s) to {out_path}.")


@weights_group.command("refit-centre")
@click.option(
    "--overrides",
    "overrides_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="A file written by `drill weights export-overrides`.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Weights file to write for this centre (point DRILL_OFFLINE_WEIGHTS at it).",
)
@click.option(
    "--weights",
    "shipped_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Weights to start from [default: the weights in force: DRILL_OFFLINE_WEIGHTS, else the shipped file].",
)
@click.option("--held-out", type=float, default=0.3, show_default=True, help="Share of sessions held out to measure.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the held-out draw.")
@click.option("--overrides-only", is_flag=True, help="Use only overridden criteria, not the levels mentors left.")
@click.option("--json", "as_json", is_flag=True, help="Print the provenance (figures included) as JSON.")
def refit_centre_command(
    overrides_path: Path,
    out_path: Path,
    shipped_path: Path | None,
    held_out: float,
    seed: int,
    overrides_only: bool,
    as_json: bool,
) -> None:
    """Refit the weights towards this centre's mentors and report agreement with them on held-out sessions,
    before (shipped weights) and after (refitted). Exit 2 on a bad file or too few overrides.
    """
    import hashlib

    from simulator.weights_fit.centre import refit_centre
    from simulator.weights_fit.model import WeightsFitError
    from simulator.weights_fit.overrides import OverrideExportError, read_records
    from simulator.weights_fit.weights_file import write_weights

    library = library_or_exit()
    try:
        records = read_records(overrides_path)
        shipped = load_weights(shipped_path or weights_in_force())
        digest = hashlib.sha256(overrides_path.read_bytes()).hexdigest()
        result = refit_centre(
            records,
            library,
            shipped,
            held_out_share=held_out,
            seed=seed,
            overrides_only=overrides_only,
            source=f"{overrides_path} (sha256 {digest})",
        )
        written = write_weights(result.weights, result.provenance, _version("centre", digest), out_path)
    except (OverrideExportError, OfflineWeightsError, WeightsFitError, DrillError) as exc:
        fail(str(exc))
        return
    if as_json:
        echo_json(result.provenance)
        return
    held = result.provenance["held_out"]
    click.echo(
        f"Held out {held['sessions']} session(s); agreement with the mentors there (exact level / mean abs. error):"
    )
    for label, key in (("every label", ""), ("overridden criteria", "overrides_")):
        before, after = held[f"{key}before"]["overall"], held[f"{key}after"]["overall"]
        if not before["n"]:
            click.echo(f"  {label}: none held out")
            continue
        click.echo(
            f"  {label} ({before['n']}): before {before['exact'] * 100:.1f}% / {before['mae']:.2f}, "
            f"after {after['exact'] * 100:.1f}% / {after['mae']:.2f}"
        )
    click.echo(f"Wrote {out_path} (version {written.version}).")
