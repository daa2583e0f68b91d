"""`drill grade FILE`: grade a transcript and print the scorecard or the GradeReport JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.errors import DrillError
from simulator.grading import GradingError, grade
from simulator.grading.scorecard import render_scorecard
from simulator.grading.transcript_file import TranscriptFileError, load_transcript


@click.command("grade")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--engine",
    type=click.Choice(["offline", "llm"]),
    default=None,
    help="Grader engine (default: llm when an LLM endpoint is configured, else offline).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the GradeReport as JSON instead of a scorecard.")
def grade_command(file: Path, engine: str | None, as_json: bool) -> None:
    """Grade the agent's side of a transcript JSON file on the rubric.

    FILE holds {"language": "zh-CN"|"en", "turns": [{"role": "customer"|"agent", "text": ...}]}
    with optional id, persona_id, case_id, archetype and scenario (see `drill schema transcript`).
    Exit codes: 0 graded, 2 bad input (invalid JSON, schema error, unknown case, no LLM configured
    for --engine llm).
    """
    try:
        transcript = load_transcript(file)
    except TranscriptFileError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    current = settings()
    library = library_or_exit(current)
    try:
        report = grade(transcript, library=library, engine=engine, settings=current)  # type: ignore[arg-type]
    except (GradingError, DrillError) as exc:
        fail(str(exc))
        return
    if as_json:
        echo_json(report.model_dump(mode="json"))
    else:
        click.echo(render_scorecard(report, library.rubric), nl=False)
