"""The root ``drill`` command group and helpers shared by subcommands."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from simulator import __version__
from simulator.config import Settings, load_settings
from simulator.content import Library, load_library
from simulator.content_problems import ContentError


class LazyGroup(click.Group):
    """A click group whose heavier subcommands are imported only when they run.

    ``lazy`` maps a command name to ``(module:attribute, one-line help)``; the help line is shown
    in ``--help`` without importing the module, so `drill validate` never pays for Chroma or Gradio.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, attribute = self.lazy[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    lazy={
        "simulate": (
            "simulator.cli.simulate_command:simulate",
            "Play trainee lines from a file against a simulated customer.",
        ),
        "grade": (
            "simulator.cli.grade_command:grade_command",
            "Grade the agent's side of a transcript JSON file on the rubric.",
        ),
        "index": ("simulator.cli.index_command:index_command", "(Re)build the case index and say what changed."),
        "serve": ("simulator.cli.serve_command:serve", "Start the drill web app and print its URL."),
        "eval": ("simulator.cli.eval_command:eval_group", "Measure drill's parts against labelled data in evals/."),
        "users": ("simulator.cli.users_command:users", "Manage app accounts, roles and teams."),
        "db": ("simulator.cli.db_command:db_group", "Database maintenance: `drill db upgrade` applies migrations."),
        "limits": ("simulator.cli.limits_command:limits_command", "Print every input limit and how to change it."),
        "quiz": ("simulator.cli.quiz_command:quiz_group", "Check and browse the theory question bank."),
        "acts": ("simulator.cli.acts_command:acts_command", "Recognise the dialogue acts of agent texts, by sentence."),
        "train": (
            "simulator.cli.acts_command:train_group",
            "Rebuild learned models (the act classifier, the offer matcher).",
        ),
        "assess": ("simulator.cli.assess_command:assess_group", "Run the assessment: theory 30 % + practical 70 %."),
        "assign": ("simulator.cli.assign_command:assign_group", "Assign curricula, drills and quizzes; follow them."),
        "team": ("simulator.cli.team_command:team_command", "The team's month: results, weak spots, best performers."),
        "weights": (
            "simulator.cli.weights_command:weights_group",
            "Fit the offline grader's weights on dev; export mentor overrides; refit a centre's weights.",
        ),
    },
)
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
        return load_library(*current.content_roots)
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
