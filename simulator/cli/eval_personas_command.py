"""``drill eval personas``: how faithful the simulated customer is to its persona and its case."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import click

from simulator.cli.llm_estimate_option import ESTIMATE_HELP, PRICES_HELP, announce
from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.content_problems import ContentError
from simulator.errors import DrillError
from simulator.evals.personas_eval import MAX_TURNS, Engine, plan_pairings, run_personas_eval
from simulator.evals.personas_summary import summarise
from simulator.evals.trainee_scripts import DEFAULT_SCRIPTS_DIR, load_trainee_scripts


@click.command("personas")
@click.option(
    "--engine",
    type=click.Choice(["offline", "llm"]),
    default=None,
    help="Customer engine (default: llm when an LLM endpoint is configured, else offline).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for every conversation.")
@click.option("--persona", "personas", multiple=True, metavar="ID", help="Only this persona (repeatable).")
@click.option("--case", "cases", multiple=True, metavar="ID", help="Only this case (repeatable).")
@click.option("--style", "styles", multiple=True, metavar="ID", help="Only this trainee style (repeatable).")
@click.option(
    "--language",
    "languages",
    multiple=True,
    type=click.Choice(["zh-CN", "en"]),
    help="Only cases in this language (repeatable).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Play at most this many conversations.")
@click.option(
    "--max-turns",
    type=click.IntRange(min=1, max=30),
    default=MAX_TURNS,
    show_default=True,
    help="Agent turns per conversation at most.",
)
@click.option(
    "--scripts",
    "scripts_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_SCRIPTS_DIR,
    show_default=True,
    help="Folder of scripted trainee lines.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for report.json, report.md and charts [default: evals/results/personas-ENGINE].",
)
@click.option("--prices", "prices_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help=PRICES_HELP)
@click.option("--estimate", "estimate_only", is_flag=True, help=ESTIMATE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of a summary.")
def personas(
    engine: str | None,
    seed: int,
    personas: tuple[str, ...],
    cases: tuple[str, ...],
    styles: tuple[str, ...],
    languages: tuple[str, ...],
    limit: int | None,
    max_turns: int,
    scripts_dir: Path,
    out_dir: Path | None,
    prices_file: Path | None,
    estimate_only: bool,
    as_json: bool,
) -> None:
    """Simulator fidelity over every persona x case of the same language and every scripted trainee
    style: archetype identification (accuracy, confusion matrix), invented facts and hidden facts
    stated before being asked, premature resolutions, mood after empathy vs after forbidden phrases.

    Exit codes: 0 ran (whether or not targets are met), 1 invalid content, 2 invalid scripts, unknown
    ids, nothing to play, or --engine llm without an endpoint.

    With --engine llm the estimated calls, tokens and cost are printed first (--estimate: only that).
    """
    # matplotlib takes a second or more to import: only this command pays for it.
    from simulator.evals.personas_report import default_out_dir, write_report

    current = settings()
    library = library_or_exit(current)
    try:
        scripts = load_trainee_scripts(scripts_dir)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the trainee scripts {scripts_dir}")
        return
    try:
        pairings = plan_pairings(
            library, scripts, personas=personas, cases=cases, styles=styles, languages=languages, limit=limit
        )
    except LookupError as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
        return
    if not pairings:
        fail("nothing to play: no persona speaks the language of the selected cases, or the filters exclude all")
        return
    chosen = cast(Engine, engine or ("llm" if current.llm_configured else "offline"))
    if chosen == "llm" and not current.llm_configured:
        fail(
            "--engine llm needs an LLM endpoint: set DRILL_LLM_BASE_URL (and DRILL_LLM_API_KEY), "
            "or use --engine offline"
        )
        return

    if chosen == "llm":
        from simulator.evals.llm_estimate import personas_calls

        calls = personas_calls(pairings, model=current.llm_model, max_turns=max_turns)
        caveat = "an upper estimate: a conversation the customer ends early makes fewer calls"
        if announce(calls, prices_file, stop=estimate_only, caveat=caveat):
            return

    def progress(done: int, total: int, label: str) -> None:
        if not as_json and (chosen == "llm" or done % 200 == 0 or done == total):
            click.echo(f"  played {done}/{total}: {label}", err=True)

    try:
        run = run_personas_eval(
            library,
            scripts,
            pairings,
            engine=chosen,
            seed=seed,
            settings=current,
            max_turns=max_turns,
            progress=progress,
        )
    except DrillError as exc:
        fail(str(exc))
        return
    report = write_report(summarise(run), out_dir or default_out_dir(chosen))
    if as_json:
        echo_json(report)
    else:
        click.echo(_summary(report))


def _summary(report: dict[str, Any]) -> str:
    from simulator.evals.personas_report import headline_rows

    lines = [
        f"Persona eval: {report['engine']} engine, {report['conversations']} conversations "
        f"({report['personas']} personas, {report['cases']} cases, {len(report['styles'])} styles) "
        f"in {report['seconds']:.1f}s",
        "",
    ]
    rows = headline_rows(report)
    width = max(len(row[0]) for row in rows)
    for measure, result, target, met in rows:
        suffix = f"  (target {target}: {met.strip('*')})" if target else ""
        lines.append(f"  {measure.ljust(width)}  {result}{suffix}")
    lines += ["", "  Identified per archetype:"]
    for name, row in report["identification"]["per_archetype"].items():
        lines.append(f"    {name:<12} {100 * (row['accuracy'] or 0):5.1f}%  (n={row['n']})")
    lines += ["", "  Resolution rate per trainee style:"]
    for style, row in report["outcomes"]["by_style"].items():
        rate = row["resolution_rate"]
        lines.append(f"    {style:<14} {'n/a' if rate is None else f'{100 * rate:5.1f}%'}  ({row['quality']})")
    lines += [
        "",
        f"{'All targets met.' if report['all_targets_met'] else 'Not every target is met.'} "
        f"Report: {report['files']['markdown']}",
    ]
    return "\n".join(lines)
