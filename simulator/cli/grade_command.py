"""`drill grade PATH...`: grade one transcript, several, or a folder of chat logs in one process."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

import click

from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.grading import GradingError
from simulator.grading.batch import FileResult, SummaryWriter, discover, grade_file, worst_exit_code
from simulator.grading.scorecard import render_scorecard
from simulator.markdown_text import for_terminal


def _verdict(result: FileResult) -> str:
    report = result.report
    if result.status == "malformed":
        return "MALFORMED"
    if report is None:
        return "FAILED"
    if result.status in ("unscored", "failed"):
        return result.status.upper()
    if report.passed is None and report.unsupported:
        return f"{report.total:g} UNSUPPORTED"
    return f"{report.total:g} {'PASS' if report.passed else 'FAIL'}"


def _report_problems(result: FileResult) -> None:
    for warning in result.warnings:
        click.echo(warning, err=True)
    if result.status in ("malformed", "failed") and result.error:
        click.echo(f"error: {result.error}", err=True)


@click.command("grade")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--engine",
    type=click.Choice(["offline", "llm"]),
    default=None,
    help="Grader engine (default: llm when an LLM endpoint is configured, else offline).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One file: the GradeReport as JSON. Several: one JSON object per line (file, status, report).",
)
@click.option("--summary-csv", type=click.Path(path_type=Path, dir_okay=False), help="Write one CSV row per file.")
@click.option(
    "--summary-jsonl", type=click.Path(path_type=Path, dir_okay=False), help="Write one JSON object per file."
)
@click.option(
    "--keep-personal-data",
    is_flag=True,
    help="Do not mask phone numbers, e-mails, addresses, ID and card numbers on import.",
)
def grade_command(
    paths: tuple[Path, ...],
    engine: Literal["offline", "llm"] | None,
    as_json: bool,
    summary_csv: Path | None,
    summary_jsonl: Path | None,
    keep_personal_data: bool,
) -> None:
    """Grade the agent's side of transcript JSON files on the rubric.

    PATHS are transcript files or folders (every *.json inside, recursively). A file holds
    {"language": "zh-CN"|"en", "turns": [{"role": "customer"|"agent"|"system", "text": ...}]}
    (see `drill schema transcript`); chat exports with "user"/"assistant" roles and "content" keys
    are read too, and personal data is masked unless --keep-personal-data.

    Exit codes: 0 graded (also when left unscored with a reason, e.g. an empty agent side),
    2 malformed input, 3 grading failed; with several files the worst of them.
    """
    current = settings()
    library = library_or_exit(current)
    library.require_rubric()
    if engine == "llm" and not current.llm_configured:
        fail(
            "the llm grader needs an LLM endpoint: set DRILL_LLM_BASE_URL (and DRILL_LLM_API_KEY), "
            "or use --engine offline"
        )
    files = discover(list(paths))
    single = len(paths) == 1 and len(files) == 1 and not paths[0].is_dir()
    criterion_ids = [criterion.id for criterion in library.require_rubric().criteria]
    writer = SummaryWriter(criterion_ids, csv_path=summary_csv, jsonl_path=summary_jsonl)
    mask = not keep_personal_data
    results: list[FileResult] = []
    try:
        if single:
            result = grade_file(files[0], library=library, settings=current, engine=engine, mask=mask)
            results.append(result)
            writer.write(result)
            _report_problems(result)
            if result.report is not None:
                if as_json:
                    echo_json(result.report.model_dump(mode="json"))
                else:
                    click.echo(
                        for_terminal(
                            render_scorecard(
                                result.report,
                                result.report.language,
                                library.rubric,
                                case_titles=library.case_titles(),
                            )
                        ),
                        nl=False,
                    )
        else:
            if not files:
                fail(f"no *.json files in {', '.join(str(p) for p in paths)}")
            with click.progressbar(
                files, label=f"Grading {len(files)} files", file=sys.stderr, show_pos=True, item_show_func=_name
            ) as bar:
                for path in bar:
                    result = grade_file(path, library=library, settings=current, engine=engine, mask=mask)
                    results.append(result)
                    writer.write(result)
            for result in results:
                _report_problems(result)
                if as_json:
                    click.echo(
                        json.dumps(
                            {
                                "file": str(result.path),
                                "status": result.status,
                                "exit_code": result.exit_code,
                                "report": result.report.model_dump(mode="json") if result.report else None,
                                "error": result.error,
                            },
                            ensure_ascii=False,
                        )
                    )
                else:
                    click.echo(f"{result.path}\t{_verdict(result)}")
            if not as_json:
                counts = {status: sum(1 for r in results if r.status == status) for status in _STATUSES}
                click.echo(", ".join(f"{count} {status}" for status, count in counts.items()), err=True)
    except GradingError as exc:
        fail(str(exc))
    finally:
        writer.close()
    sys.exit(worst_exit_code(results))


_STATUSES = ("graded", "unscored", "failed", "malformed")


def _name(path: Path | None) -> str | None:
    return path.name if path is not None else None
