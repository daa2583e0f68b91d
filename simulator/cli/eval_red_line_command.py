"""``drill eval red-line-detectors``: fit the learned red-line detectors (``DETECTED``), choose their lines."""

from __future__ import annotations

import json

import click

from simulator.cli.root import fail, library_or_exit, settings
from simulator.content_problems import ContentError
from simulator.errors import DrillError
from simulator.grading.red_line_corpus import DETECTED


@click.command("red-line-detectors")
@click.option(
    "--write", "write", is_flag=True, help="Record the detectors in simulator/grading/red_line_detectors.json."
)
@click.option(
    "--customer-vector/--no-customer-vector",
    default=False,
    show_default=True,
    help="Embed the customer's turn before each agent sentence too.",
)
@click.option(
    "--clauses",
    "clauses",
    multiple=True,
    type=click.Choice([*DETECTED, "none"]),
    default=("other_person_data",),
    show_default=True,
    help="Kinds whose detector also reads each clause, the sentence scoring its surest (repeat; none: no kind).",
)
@click.option(
    "--whose-data/--no-whose-data",
    default=True,
    show_default=True,
    help="Let the other-person's-data detector compare each sentence's details with what the customer gave.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report (positives, top negatives) as JSON.")
def red_line_detectors(
    write: bool, customer_vector: bool, clauses: tuple[str, ...], whose_data: bool, as_json: bool
) -> None:
    """Fit on the labelled red-line sentences (train); lines chosen on synthetic dev with real dev logs as negatives."""
    from datetime import date

    from simulator.evals.grader_set import DEFAULT_SET_DIR, load_grader_set
    from simulator.evals.grader_thresholds import current_targets
    from simulator.evals.real_log_set import load_real_log_set
    from simulator.evals.red_line_detector_fit import collect_dev, dev_hash, fit_detectors, write_detectors

    library = library_or_exit()
    rubric = library.require_rubric()
    try:
        grader_set = load_grader_set(DEFAULT_SET_DIR, rubric=rubric, library=library)
        labels_dir = DEFAULT_SET_DIR / "real"
        real = load_real_log_set(labels_dir, settings().real_logs_dir, rubric=rubric) if labels_dir.is_dir() else None
        dev = collect_dev(grader_set, real, library)
        result = fit_detectors(
            dev,
            current_targets(),
            dev_sha256=dev_hash(grader_set)[:16],
            measured=date.today().isoformat(),
            customer_vector=customer_vector,
            clauses=[kind for kind in DETECTED if kind in clauses],
            whose_data=("other_person_data",) if whose_data else (),
        )
    except ContentError as exc:
        fail("\n".join(str(problem) for problem in exc.problems))
        return
    except DrillError as exc:
        fail(str(exc))
        return
    report = result.report
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        click.echo(f"train items {report['train_items']}, dev sentences {report['dev_sentences']}")
        for kind, by_kind in report["kinds"].items():
            click.echo(f"{kind} (train positives {by_kind['train_positives']}, C {by_kind['C']:.4g}):")
            for language in ("zh-CN", "en"):
                for name in ("fail", "review"):
                    line = by_kind[language][name]
                    if line is None:
                        click.echo(f"  {language} {name}: no line reaches the target")
                        continue
                    click.echo(
                        f"  {language} {name}: p >= {line['min_probability']:.4f} — precision {line['precision']:.3f}, "
                        f"recall {line['recall']:.3f} of {line['positives']}, real dev flags {line['real_dev_flags']}"
                    )
    if write:
        write_detectors(result.fitted)
        click.echo("written: simulator/grading/red_line_detectors.json", err=True)
