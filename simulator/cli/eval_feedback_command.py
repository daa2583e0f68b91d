"""`drill eval feedback`: trainees' scorecard ratings against mentors' overrides (the reaction level)."""

from __future__ import annotations

import click

from simulator.cli.programme_common import programme_for
from simulator.cli.root import echo_json, library_or_exit, settings
from simulator.programme.feedback_eval import agreement_report, format_report, rated_sessions


@click.command("feedback")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feedback(as_json: bool) -> None:
    """Do trainees who find a scorecard unfair point at the ones mentors correct?

    Over every rated scorecard in the database: a 2x2 table of 'found unfair' (fairness at or
    below feedback.low_fairness_at_most in casebank/programme.yaml) against 'a mentor changed a
    score', the agreement, Cohen's kappa, which way the overrides went, and a fingerprint of the
    data. Nothing is fitted: this reports on live data.
    """
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    threshold = library.programme.feedback.low_fairness_at_most
    report = agreement_report(rated_sessions(programme.db.store, programme.ratings.all(), threshold), threshold)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(format_report(report), nl=False)
