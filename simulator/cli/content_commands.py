"""Commands for trainers: validate content, list personas and cases, print schemas."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli.root import echo_json, library_or_exit, main, settings
from simulator.content import RUBRIC_FILE_NAME, content_files, expand_paths, validate_files
from simulator.models import LANGUAGES, CaseCategory
from simulator.schema_files import SCHEMA_MODELS, schema_text


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check persona, case and rubric YAML files.

    With no PATHS, checks everything under personas/ and casebank/. PATHS may be files or
    folders. Each problem prints as `path:line:col: message`; the exit code is 1 when there are
    problems and 0 when everything is clean.
    """
    current = settings()
    shipped = content_files(current.content_dir)
    requested = expand_paths(paths) if paths else shipped
    library, problems = validate_files([*context_files(paths, shipped), *requested], report_only=requested)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        files = len({problem.path for problem in problems})
        click.echo(f"{len(problems)} problem(s) in {files} file(s).", err=True)
        sys.exit(1)
    click.echo(
        f"OK: {len(requested)} file(s) checked; library has {len(library.personas)} personas, "
        f"{len(library.cases)} cases, rubric {library.rubric.version if library.rubric else '(missing)'}."
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
            f"{persona.id:24} {persona.archetype:11} {persona.difficulty:7} {persona.names.zh} / {persona.names.en}"
        )


@main.command()
@click.option("--category", type=click.Choice([c.value for c in CaseCategory]), help="Only this scenario family.")
@click.option("--language", type=click.Choice(list(LANGUAGES)), help="Only cases in this language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cases(category: str | None, language: str | None, as_json: bool) -> None:
    """List the cases in the case bank."""
    library = library_or_exit()
    selected = [
        case
        for case in sorted(library.cases.values(), key=lambda c: c.id)
        if (category is None or case.category == category) and (language is None or case.language == language)
    ]
    if as_json:
        echo_json([case.model_dump(mode="json") for case in selected])
        return
    for case in selected:
        click.echo(f"{case.id:40} {case.category:11} {case.language:5} {case.difficulty:7} {case.title}")


@main.command()
@click.argument("kind", type=click.Choice(list(SCHEMA_MODELS)))
def schema(kind: str) -> None:
    """Print the JSON Schema for persona, case, rubric, transcript or grade-report files."""
    click.echo(schema_text(kind), nl=False)
