"""The cost estimate ``drill eval personas|grader --engine llm`` prints before it calls a model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from simulator.llm_cost import CallEstimate, PricesError, estimate_run, load_prices

#: Options both eval commands take.
PRICES_HELP = "Prices per million tokens (YAML like simulator/llm_prices.yaml) [default: the shipped list]."
ESTIMATE_HELP = "Print the estimated calls, tokens and cost, and stop before calling the model."


def announce(calls: Sequence[CallEstimate], prices_file: Path | None, *, stop: bool, caveat: str) -> bool:
    """Print the estimate (and ``caveat``) to stderr; return True when the command should stop (``--estimate``).

    A prices file that cannot be read is an error (exit 2), so a run never starts on a bad estimate.
    """
    try:
        prices = load_prices(prices_file)
    except PricesError as exc:
        raise click.UsageError(str(exc)) from exc
    estimate = estimate_run(calls, prices)
    click.echo(f"Estimate: {estimate.describe()} (prices as of {prices.as_of}; {caveat}).", err=True)
    return stop
