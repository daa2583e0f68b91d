"""``drill eval grader``: agreement of the grader with the labelled set in ``evals/grader/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import click

from simulator.cli.llm_estimate_option import ESTIMATE_HELP, PRICES_HELP, announce
from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.config import Settings
from simulator.content import Library
from simulator.content_problems import ContentError
from simulator.errors import DrillError
from simulator.evals.agreement_report import console_lines, real_logs_console
from simulator.evals.grader_eval import Engine, run_grader_eval, summarise
from simulator.evals.grader_set import DEFAULT_SET_DIR, SplitChoice, load_grader_set
from simulator.evals.real_log_eval import RealLogRun, run_real_log_eval, summarise_real_logs
from simulator.evals.real_log_set import load_real_log_set
from simulator.grading import GradingError


@click.command("grader")
@click.option(
    "--engine",
    type=click.Choice(["offline", "llm"]),
    default=None,
    help="Grader engine (default: llm when an LLM endpoint is configured, else offline).",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default="test",
    show_default=True,
    help="Part of the labelled set: dev (tune against it), test (held out, report it) or all.",
)
@click.option(
    "--set",
    "set_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_SET_DIR,
    show_default=True,
    help="Labelled set folder (situation files in dev/ and test/, manifest.yaml).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for report.json, report.md and charts [default: <set>/../results/grader-ENGINE-SPLIT].",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Grade at most this many items of the split.")
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help=PRICES_HELP)
@click.option("--estimate", "estimate_only", is_flag=True, help=ESTIMATE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of a summary.")
def grader(
    engine: str | None,
    split: str,
    set_dir: Path,
    out_dir: Path | None,
    limit: int | None,
    prices_file: Path | None,
    estimate_only: bool,
    as_json: bool,
) -> None:
    """Grader vs mentor labels: Spearman, weighted kappa and error per criterion and on the total,
    pass/fail accuracy and Cohen's kappa, bootstrap intervals, the spread of totals, pairwise ordering,
    quote validity, injection and length-bias checks. The real chat logs in <set>/real (transcripts
    from DRILL_REAL_LOGS_DIR) are graded and reported apart; the report prints the test split hashes.

    Exit codes: 0 ran (whether or not targets are met), 1 invalid content, 2 invalid labelled set or
    grading impossible (e.g. --engine llm without an endpoint). With --limit the report says how many
    items of the split it covers. With --engine llm the estimated calls, tokens and cost are printed
    first (--estimate: only that).
    """
    # matplotlib takes a second or more to import: only this command pays for it.
    from simulator.evals.grader_report import default_out_dir, write_report

    current = settings()
    library = library_or_exit(current)
    try:
        labelled = load_grader_set(set_dir, rubric=library.require_rubric(), library=library)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the labelled set {set_dir}")
        return
    except LookupError as exc:
        fail(str(exc))
        return
    chosen = cast(Engine, engine or ("llm" if current.llm_configured else "offline"))
    part = cast(SplitChoice, split)
    if not labelled.items(part):
        fail(f"the labelled set {set_dir} has no {split} items")
        return

    if chosen == "llm":
        if not current.llm_configured:
            fail("--engine llm needs an LLM endpoint: set DRILL_LLM_BASE_URL (and DRILL_LLM_API_KEY)")
            return
        from simulator.evals.llm_estimate import grader_calls

        items = labelled.items(part)[:limit] if limit else labelled.items(part)
        calls = grader_calls(items, library, model=current.judge_model)
        caveat = "two judge calls per item; a verdict asked for again adds one"
        if announce(calls, prices_file, stop=estimate_only, caveat=caveat):
            return

    def progress(done: int, total: int, item_id: str) -> None:
        if not as_json and chosen == "llm":
            click.echo(f"  graded {done}/{total}: {item_id}", err=True)

    try:
        run = run_grader_eval(
            labelled,
            library=library,
            settings=current,
            engine=chosen,
            split=part,
            limit=limit,
            progress=progress,
        )
    except (GradingError, DrillError) as exc:
        fail(str(exc))
        return
    real_section = _real_logs_section(set_dir, library, current, chosen, part, as_json, limit)
    report = write_report(
        run, summarise(run, library, real_section), out_dir or default_out_dir(set_dir, chosen, split)
    )
    if as_json:
        echo_json(report)
    else:
        click.echo(_summary(report))


def _real_logs_section(
    set_dir: Path,
    library: Library,
    current: Settings,
    engine: Engine,
    split: SplitChoice,
    quiet: bool,
    limit: int | None,
) -> dict[str, Any] | None:
    """Grade the real logs of ``split`` (transcripts from ``DRILL_REAL_LOGS_DIR``); ``None`` without labels.

    The real logs are measurement data only: nothing here feeds the weights or any threshold.
    """
    labels_dir = set_dir / "real"
    if not labels_dir.is_dir():
        return None
    try:
        real_logs = load_real_log_set(labels_dir, current.real_logs_dir, rubric=library.require_rubric())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the real-log labels {labels_dir}")
        return None

    if limit is not None:  # a smoke run: its estimate counted synthetic items only
        skipped = RealLogRun(split, str(labels_dir), str(current.real_logs_dir), real_logs.test_sha256)
        skipped.not_run = "--limit makes this a smoke run of synthetic items; run without it to grade the real logs"
        return summarise_real_logs(skipped)

    def progress(done: int, total: int, item_id: str) -> None:
        if not quiet and engine == "llm":
            click.echo(f"  graded real log {done}/{total}: {item_id}", err=True)

    try:
        run = run_real_log_eval(
            real_logs, library=library, settings=current, engine=engine, split=split, progress=progress
        )
    except (GradingError, DrillError) as exc:
        fail(str(exc))
        return None
    return summarise_real_logs(run)


def _summary(report: dict[str, Any]) -> str:
    from simulator.evals.grader_report import headline_rows, limited_note

    lines = [
        f"Grader eval: {report['engine']} engine, {report['split']} split, {report['items_graded']} transcripts "
        f"({report['situations']} situations){limited_note(report)} in {report['seconds']:.1f}s",
        f"  test split sha256 {report['test_split_sha256']}",
        "",
    ]
    rows = headline_rows(report)
    width = max(len(row[0]) for row in rows)
    for measure, result, target, met in rows:
        suffix = f"  (target {target}: {met.strip('*')})" if met != "-" else ""
        lines.append(f"  {measure.ljust(width)}  {result}{suffix}")
    lines += ["", "  Per criterion (mean abs. error / weighted kappa):"]
    for row in report["criteria"]:
        mae = "n/a" if row["mae"] is None else f"{row['mae']:.2f}"
        qwk = "n/a" if row["qwk"] is None else f"{row['qwk']:.2f}"
        lines.append(f"    {row['name']:<32} {mae:>5} / {qwk}")
    lines += ["", *console_lines("  Synthetic transcripts: kappa, intervals, spread", report["agreement"])]
    lines += ["", *real_logs_console(report["real_logs"])]
    lines += [
        "",
        f"{'All targets met.' if report['all_targets_met'] else 'Not every target is met.'} "
        f"Report: {report['files']['markdown']}",
    ]
    return "\n".join(lines)
