"""``drill train fulfilment``: the request-fulfilment readers of the offline grader."""

from __future__ import annotations

import click

from simulator.cli.root import echo_json, fail
from simulator.errors import DrillError


@click.command("fulfilment")
@click.option("--json", "as_json", is_flag=True, help="Print the model's summary as JSON.")
def train_fulfilment(as_json: bool) -> None:
    """Refit the request and fulfilment readers on the train pairs, measure them on dev, ship them.

    Writes simulator/grading/fulfilment_model.json, keyed by the hash of the pair files in
    simulator/grading/fulfilment_pairs/ (rebuilt from a ConvLab-3 snapshot by
    `python -m simulator.grading.fulfilment_build`).
    """
    from simulator.grading.fulfilment import fit_model, save_model

    try:
        model = fit_model()
    except DrillError as exc:
        fail(str(exc))
        return
    save_model(model)
    meta = model.meta
    if as_json:
        echo_json({**meta, "request_threshold": model.request_threshold})
        return
    click.echo(
        f"fulfilment readers: request threshold {model.request_threshold:.2f} (dev F1 {meta['dev_request_f1']:.3f}), "
        f"dev fulfilment {meta['dev_fulfilment']}; key {meta['pairs_key']}"
    )
