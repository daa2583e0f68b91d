"""`drill quiz validate|list`: check and browse the question bank (``casebank/quizzes/``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simulator.cli.content_commands import context_files
from simulator.cli.root import echo_json, library_or_exit, settings
from simulator.content import QUIZ_FOLDER, content_files, expand_paths, validate_files
from simulator.models import LANGUAGES
from simulator.programme.models import QUESTION_TYPES, QuestionTag


@click.group("quiz")
def quiz_group() -> None:
    """Check and browse the theory question bank (casebank/quizzes/).

    Each question file holds one language's questions: single choice, multiple choice,
    true/false and "pick the best reply", each with its answer, explanation, tags and difficulty
    (`drill schema question` prints the schema).
    """


@quiz_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate_quiz(paths: tuple[Path, ...]) -> None:
    """Check question files; with no PATHS, every file in casebank/quizzes/.

    Each problem prints as `path:line:col: message` (exit 1); question ids are checked against
    the whole bank, so a new file cannot reuse an id.
    """
    current = settings()
    shipped = content_files(*current.content_roots)
    requested = expand_paths(paths) if paths else [path for path in shipped if path.parent.name == QUIZ_FOLDER]
    library, problems = validate_files([*context_files(paths, shipped), *requested], report_only=requested)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len({p.path for p in problems})} file(s).", err=True)
        sys.exit(1)
    count = sum(1 for entry in library.questions.values() if Path(entry.source).resolve() in _resolved(requested))
    click.echo(f"OK: {len(requested)} file(s), {count} question(s); the bank has {len(library.questions)}.")


def _resolved(paths: list[Path]) -> set[Path]:
    return {path.resolve() for path in paths}


@quiz_group.command("list")
@click.option("--language", type=click.Choice(list(LANGUAGES)), help="Only questions in this language.")
@click.option("--tag", type=click.Choice([tag.value for tag in QuestionTag]), help="Only questions with this tag.")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), help="Only this difficulty.")
@click.option("--type", "qtype", type=click.Choice(list(QUESTION_TYPES)), help="Only this question type.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (answers and explanations included).")
def list_quiz(language: str | None, tag: str | None, difficulty: str | None, qtype: str | None, as_json: bool) -> None:
    """List the bank's questions (one line each, or JSON)."""
    library = library_or_exit()
    selected = [
        entry
        for entry in sorted(library.questions.values(), key=lambda e: (e.language, e.id))
        if (language is None or entry.language == language)
        and (tag is None or tag in entry.question.tags)
        and (difficulty is None or entry.question.difficulty == difficulty)
        and (qtype is None or entry.question.type == qtype)
    ]
    if as_json:
        echo_json(
            [{**e.question.model_dump(mode="json"), "language": e.language, "source": e.source} for e in selected]
        )
        return
    for entry in selected:
        q = entry.question
        tags = ",".join(q.tags)
        click.echo(f"{q.id:36} {entry.language:5} {q.type:10} {q.difficulty:6} {tags:22} {q.prompt}")
    click.echo(f"{len(selected)} question(s).", err=True)
