"""`drill limits`: print every input cap in force and the variable that changes it."""

from __future__ import annotations

import click

from simulator.cli.root import echo_json, fail
from simulator.limits import LimitConfigError, describe


@click.command("limits")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def limits_command(as_json: bool) -> None:
    """Print every input limit (message length, uploads, imported logs, judge prompt, sign-in throttling).

    Each can be changed with its DRILL_MAX_* environment variable (see docs/limits.md).
    """
    try:
        rows = describe()
    except LimitConfigError as exc:
        fail(str(exc))
        return
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        changed = "" if row["value"] == row["default"] else f"  (default {row['default']:,})"
        click.echo(f"{row['name']:28} {row['value']:>10,} {row['unit']:11} {row['env']}{changed}")
