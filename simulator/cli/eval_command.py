"""``drill eval``: offline evaluations. This module owns the group and its ``retrieval`` command;
``grader`` and ``personas`` live in their own modules and load only when they run."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.case_documents import DEFAULT_RECIPE, DOCUMENT_RECIPES
from simulator.cli.root import LazyGroup, echo_json, fail, library_or_exit, settings
from simulator.content_problems import ContentError
from simulator.embedders import OFFLINE_EMBEDDERS, EmbedderError, default_embedder_name
from simulator.evals.retrieval import (
    DEFAULT_EVAL_FILE,
    evaluate_retrieval,
    format_table,
    load_retrieval_set,
    unknown_case_ids,
    write_thresholds,
)


@click.group(
    "eval",
    cls=LazyGroup,
    lazy={
        "grader": (
            "simulator.cli.eval_grader_command:grader",
            "Grader vs mentor labels: Spearman, weighted kappa, pass/fail, ordering, injection, length bias.",
        ),
        "acts": (
            "simulator.cli.acts_command:eval_acts",
            "Dialogue-act recogniser: per-act precision/recall/F1 with intervals, macro-F1, confusions, speed.",
        ),
        "commitments": (
            "simulator.cli.eval_commitments_command:commitments",
            "Offers, promises and claims matched to the case by meaning: precision/recall/F1, thresholds.",
        ),
        "thresholds": (
            "simulator.cli.eval_thresholds_command:thresholds",
            "Grader thresholds chosen on dev: question-answer pairing, red-line confidence (--write records).",
        ),
        "red-line-detectors": (
            "simulator.cli.eval_red_line_command:red_line_detectors",
            "Unsafe-advice and other-person's-data detectors: fit on train sentences, lines chosen on dev.",
        ),
        "offers": (
            "simulator.cli.offers_command:eval_offers",
            "Offer–resolution matching of the customer: precision/recall/F1 per language on labelled pairs.",
        ),
        "feedback": (
            "simulator.cli.eval_feedback_command:feedback",
            "Trainees' scorecard ratings against mentor overrides: agreement and Cohen's kappa.",
        ),
        "personas": (
            "simulator.cli.eval_personas_command:personas",
            "Simulator fidelity over every persona x case: archetype, facts, outcomes, mood.",
        ),
    },
)
def eval_group() -> None:
    """Measure drill's parts against labelled data in evals/."""


@eval_group.command("retrieval")
@click.option(
    "--embedder",
    "embedders",
    multiple=True,
    metavar="NAME",
    help=f"Embedder to measure (repeatable): {', '.join(OFFLINE_EMBEDDERS)}, api. "
    "Default: the n-gram baseline and the default embedder.",
)
@click.option("--all", "all_offline", is_flag=True, help="Measure every offline embedder.")
@click.option(
    "--recipe",
    "recipes",
    multiple=True,
    type=click.Choice(list(DOCUMENT_RECIPES)),
    help=f"Case text to embed (repeatable; default {DEFAULT_RECIPE}).",
)
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_EVAL_FILE,
    show_default=True,
    help="Labelled queries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result (with misses) as JSON.")
@click.option(
    "--write-threshold",
    is_flag=True,
    help="Record each embedder's no-close-case rule (chosen on dev) in simulator/retrieval_thresholds.yaml.",
)
def retrieval(
    embedders: tuple[str, ...],
    all_offline: bool,
    recipes: tuple[str, ...],
    path: Path,
    as_json: bool,
    write_threshold: bool,
) -> None:
    """Case retrieval quality: MRR and recall@1/3/5 per language, build time, query latency.

    Each embedder gets a fresh in-memory index (your own index is not touched).
    """
    current = settings()
    library = library_or_exit(current)
    try:
        labelled = load_retrieval_set(path)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in {path}")
        return
    mismatches = unknown_case_ids(labelled.queries, library)
    if mismatches:
        for mismatch in mismatches:
            click.echo(f"{path}: {mismatch}", err=True)
        fail(f"{len(mismatches)} label(s) in {path} do not match the case bank")
        return
    names = list(embedders) or (
        list(OFFLINE_EMBEDDERS) if all_offline else list(dict.fromkeys(["ngram", default_embedder_name(current)]))
    )
    try:
        result = evaluate_retrieval(library, labelled, names, recipes=recipes or (DEFAULT_RECIPE,), settings=current)
    except EmbedderError as exc:
        fail(str(exc))
        return
    if as_json:
        echo_json(result)
    else:
        click.echo(format_table(result))
    if write_threshold:
        written = write_thresholds(result, path)
        click.echo(f"no-close-case thresholds written for: {', '.join(written) or 'none'}", err=True)
