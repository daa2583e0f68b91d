"""``drill train offers`` and ``drill eval offers``: the offer–resolution matcher of the customer."""

from __future__ import annotations

import click

from simulator.cli.root import echo_json, fail
from simulator.content_problems import ContentError
from simulator.errors import DrillError


def _problems(exc: ContentError) -> None:
    for problem in exc.problems:
        click.echo(str(problem), err=True)


@click.command("offers")
@click.option("--json", "as_json", is_flag=True, help="Print the matcher's summary as JSON.")
def train_offers(as_json: bool) -> None:
    """Refit the offer–resolution matcher on the train pairs, choose its threshold on dev, ship it.

    Writes simulator/recognition/model/offer_match.json, keyed by the hash of the train and dev
    pair files (simulator/recognition/offers/). The test pairs are never read.
    """
    from simulator.recognition.offer_match import fit_matcher, save_matcher
    from simulator.recognition.offer_pairs import OfferPairsError

    try:
        matcher = fit_matcher()
    except ContentError as exc:
        _problems(exc)
        fail(f"{len(exc.problems)} problem(s) in the content the pairs refer to")
        return
    except (OfferPairsError, DrillError) as exc:
        fail(str(exc))
        return
    save_matcher(matcher)
    if as_json:
        echo_json({**matcher.meta, "threshold": matcher.threshold})
        return
    meta = matcher.meta
    click.echo(
        f"offer matcher: threshold {matcher.threshold:.2f}, dev F1 {meta['dev_f1']:.3f} "
        f"({meta['train_pairs']} train, {meta['dev_pairs']} dev pairs); key {meta['pairs_key']}"
    )


@click.command("offers")
@click.option("--split", type=click.Choice(["dev", "test"]), default="dev", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_offers(split: str, as_json: bool) -> None:
    """Precision, recall and F1 (95 % intervals) of offer–resolution matching, per language.

    The test split is frozen: report it, never tune on it. Its hash is printed with every report.
    """
    from simulator.recognition.offer_match import evaluate_matcher, format_offer_report
    from simulator.recognition.offer_pairs import OfferPairsError

    try:
        report = evaluate_matcher(split)  # type: ignore[arg-type]
    except ContentError as exc:
        _problems(exc)
        fail(f"{len(exc.problems)} problem(s) in the content the pairs refer to")
        return
    except (OfferPairsError, DrillError) as exc:
        fail(str(exc), code=3)
        return
    if not report["languages"]:
        fail(f"the {split} split has no offer pairs yet (simulator/recognition/offers/{split}/)")
    if as_json:
        echo_json(report)
    else:
        click.echo(format_offer_report(report))
