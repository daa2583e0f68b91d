"""The root ``drill`` command group and helpers shared by subcommands."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from simulator import __version__
from simulator.config import Settings, load_settings
from simulator.content import ContentError, Library, load_library


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="drill")
def main() -> None:
    """drill - customer-service role-play drills with a simulated customer and a rubric grader.

    Content lives in personas/ and casebank/ (one YAML file per persona or case); check your
    edits with `drill validate`. Runs offline by default; set DRILL_LLM_BASE_URL to use an LLM.
    """


def settings() -> Settings:
    """Settings for this invocation."""
    return load_settings()


def library_or_exit(current: Settings | None = None) -> Library:
    """Load the content library, or print every problem and exit 1."""
    current = current or settings()
    try:
        return load_library(current.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in the content; run `drill validate` after fixing.", err=True)
        sys.exit(1)


def echo_json(value: Any) -> None:
    """Print ``value`` as pretty UTF-8 JSON."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def fail(message: str, code: int = 2) -> None:
    """Print an error and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
