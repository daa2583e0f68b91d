"""`drill team --month YYYY-MM`: how the team did this month, as a table or CSV."""

from __future__ import annotations

import dataclasses

import click

from simulator.cli.programme_common import actor, programme_for, run
from simulator.cli.root import echo_json, library_or_exit, settings
from simulator.programme.team_view import month_of, to_csv


@click.command("team")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--team", help="Only this team.")
@click.option("--by", help="As this mentor or admin account (their teams only; default: every team).")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per trainee (for spreadsheets).")
@click.option("--json", "as_json", is_flag=True, help="Everything as JSON.")
def team_command(month: str, team: str | None, by: str | None, as_csv: bool, as_json: bool) -> None:
    """Each trainee's latest theory and practical results, drills, trend, weakest criteria and overdue
    items; the team's weakest criteria and hardest cases; the month's best performers.

    Best performers: among trainees with at least `monthly_review.min_graded_drills` graded drills in
    the month (casebank/programme.yaml), highest mean total, then pass rate, then number of drills.
    """
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    view = run(lambda: programme.team_view(user, library, month_of(month), team))
    if as_csv:
        click.echo(to_csv(view), nl=False)
        return
    if as_json:
        echo_json(dataclasses.asdict(view))
        return
    click.echo(f"{view.month} · teams: {', '.join(view.teams) or '—'} · {len(view.trainees)} trainee(s)")
    click.echo(
        f"{'trainee':16} {'team':10} {'theory':>6} {'pract.':>6} {'result':6} {'drills':>6} {'mean':>6} "
        f"{'trend':>6} {'overdue':>7}  weakest"
    )
    for row in view.trainees:
        click.echo(
            f"{row.name:16} {row.team:10} {_n(row.theory):>6} {_n(row.practical):>6} {row.result:6} {row.drills:>6} "
            f"{_n(row.mean_total):>6} {_n(row.trend, sign=True):>6} {row.overdue:>7}  {', '.join(row.weakest) or '—'}"
        )
    rule = view.rule
    click.echo(f"\nbest performers (≥ {rule.min_graded_drills} drills; mean, then pass rate, then drills):")
    for rank, row in enumerate(view.best_performers, start=1):
        click.echo(
            f"  {rank}. {row.name}  mean {_n(row.mean_total)}  pass rate {_n(row.pass_rate)}  drills {row.drills}"
        )
    if not view.best_performers:
        click.echo("  nobody has enough drills this month")
    click.echo(
        "\nteam's weakest criteria: "
        + (", ".join(f"{c.criterion_id} {c.average:g}/5" for c in view.weakest_criteria[:3]) or "—")
    )
    click.echo(
        "hardest cases: "
        + (", ".join(f"{c.case_id} {c.mean_total:g} ({c.sessions})" for c in view.hardest_cases) or "—")
    )
    r = view.ratings
    click.echo(
        f"scorecard ratings: {r.count}; fair {_n(r.mean_fair)}/5, useful {_n(r.mean_useful)}/5, "
        f"found unfair {r.found_unfair}"
    )


def _n(value: float | None, *, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+g}" if sign else f"{value:g}"
