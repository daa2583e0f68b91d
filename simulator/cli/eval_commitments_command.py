"""``drill eval commitments``: agent sentences matched to their case's targets by meaning."""

from __future__ import annotations

import click

from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.errors import DrillError
from simulator.evals.commitments_eval import evaluate, format_results, pairs_fingerprint, results_json, write_thresholds


@click.command("commitments")
@click.option(
    "--split",
    type=click.Choice(["train", "dev", "test"]),
    default="dev",
    show_default=True,
    help="Labelled offer pairs: <split>/ of simulator/grading/commitment_pairs/ and of simulator/recognition/offers/.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Choose the thresholds on dev (best F1) and record them in simulator/grading/commitment_thresholds.yaml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures and every miss as JSON.")
def commitments(split: str, write: bool, as_json: bool) -> None:
    """Offer, promise and claim matching: precision, recall and F1 per language and target kind.

    A target (acceptable resolution, refused offer, policy limit, systems limit) matches a sentence
    when their e5 similarity reaches min_similarity and lies within max_gap of the sentence's best
    target. --write chooses both numbers on the dev split; the split's hash is printed.
    """
    library = library_or_exit(settings())
    try:
        if write:
            if split != "dev":
                fail("--write chooses thresholds on the dev split only; drop --split or use --split dev")
            results = write_thresholds(library.cases)
        else:
            results = evaluate(split, library.cases)  # type: ignore[arg-type]
        digest = pairs_fingerprint(split)  # type: ignore[arg-type]
    except DrillError as exc:
        fail(str(exc))
        return
    if not results:
        fail(
            f"no offer pairs for split {split} in simulator/grading/commitment_pairs/ or simulator/recognition/offers/"
        )
    if as_json:
        echo_json(results_json(results, split, digest))
    else:
        click.echo(format_results(results, split, digest))
        if write:
            click.echo("written: simulator/grading/commitment_thresholds.yaml")
