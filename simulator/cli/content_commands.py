"""Commands for trainers: validate content, list personas and cases, print schemas."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli.root import echo_json, library_or_exit, main, settings
from simulator.content import RUBRIC_FILE_NAME, content_files, expand_paths, validate_files
from simulator.content_problems import errors_only
from simulator.models import LANGUAGES, CaseCategory, Industry
from simulator.schema_files import SCHEMA_MODELS, schema_text


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check persona, case and rubric YAML files.

    With no PATHS, checks everything under personas/ and casebank/. PATHS may be files or
    folders. Each problem prints as `path:line:col: message` (warnings as `path:line:col: warning:
    message`); the exit code is 1 when there are errors and 0 otherwise (warnings do not fail).
    """
    current = settings()
    shipped = content_files(*current.content_roots)
    requested = expand_paths(paths) if paths else shipped
    library, problems = validate_files([*context_files(paths, shipped), *requested], report_only=requested)
    for problem in problems:
        click.echo(str(problem))
    errors = errors_only(problems)
    warnings = len(problems) - len(errors)
    if errors:
        files = len({problem.path for problem in errors})
        also = f" and {warnings} warning(s)" if warnings else ""
        click.echo(f"{len(errors)} error(s) in {files} file(s){also}.", err=True)
        sys.exit(1)
    with_warnings = f" with {warnings} warning(s)" if warnings else ""
    click.echo(
        f"OK{with_warnings}: {len(requested)} file(s) checked; library has {len(library.personas)} personas, "
        f"{len(library.cases)} cases, rubric {library.rubric.version if library.rubric else '(missing)'}; "
        f"{len(library.exam_cases)} exam cases, {len(library.questions)} questions, "
        f"{len(library.curricula)} curricula."
    )


def context_files(paths: tuple[Path, ...], shipped: list[Path]) -> list[Path]:
    """Shipped files loaded alongside the requested ones, so a new case can refer to shipped personas.

    A whole content root (a folder with personas/ or casebank/) or a rubric file stands alone.
    """
    standalone = any(
        (path.is_dir() and ((path / "personas").is_dir() or (path / "casebank").is_dir()))
        or path.name == RUBRIC_FILE_NAME
        for path in paths
    )
    return [] if standalone else shipped


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def personas(as_json: bool) -> None:
    """List the customer personas."""
    library = library_or_exit()
    if as_json:
        echo_json([persona.model_dump(mode="json") for persona in library.personas.values()])
        return
    for persona in sorted(library.personas.values(), key=lambda p: p.id):
        click.echo(
            f"{persona.id:24} {persona.archetype:11} {persona.difficulty:7} {persona.label.zh} / {persona.label.en}"
        )


@main.command()
@click.option("--category", type=click.Choice([c.value for c in CaseCategory]), help="Only this scenario family.")
@click.option("--industry", type=click.Choice([i.value for i in Industry]), help="Only cases of this industry.")
@click.option("--language", type=click.Choice(list(LANGUAGES)), help="Only cases in this language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cases(category: str | None, industry: str | None, language: str | None, as_json: bool) -> None:
    """List the cases in the case bank."""
    library = library_or_exit()
    selected = [
        case
        for case in sorted(library.cases.values(), key=lambda c: c.id)
        if (category is None or case.category == category)
        and (industry is None or case.industry == industry)
        and (language is None or case.language == language)
    ]
    if as_json:
        echo_json([case.model_dump(mode="json") for case in selected])
        return
    for case in selected:
        click.echo(
            f"{case.id:40} {case.category:11} {case.industry:17} {case.channel:13} {case.language:5} "
            f"{case.difficulty:7} {case.title}"
        )


@main.command()
@click.argument("kind", type=click.Choice(list(SCHEMA_MODELS)))
def schema(kind: str) -> None:
    """Print the JSON Schema for persona, case, rubric, transcript or grade-report files."""
    click.echo(schema_text(kind), nl=False)
