"""``drill eval thresholds``: choose the grader's thresholds on dev data (and record them)."""

from __future__ import annotations

import json
from typing import Any

import click

from simulator.cli.root import fail, library_or_exit
from simulator.errors import DrillError


@click.command("thresholds")
@click.option("--write", "write", is_flag=True, help="Record the chosen thresholds in grader_thresholds.yaml.")
def thresholds(write: bool) -> None:
    """Question-answer pairing, red-line and violation confidence thresholds, chosen on dev for the file's targets."""
    from datetime import date

    from simulator.evals.grader_set import DEFAULT_SET_DIR, load_grader_set
    from simulator.evals.grader_thresholds import choose_thresholds, current_targets, write_thresholds
    from simulator.evals.limit_breach_fit import collect, dev_hash, fit_limit_breach, nested_counts, with_limit_breach

    library = library_or_exit()
    try:
        chosen = choose_thresholds(current_targets())
        grader_set = load_grader_set(DEFAULT_SET_DIR, rubric=library.require_rubric(), library=library)
        items = collect(grader_set, library)
        fitted = fit_limit_breach(
            items, chosen.targets, data_sha256=dev_hash(grader_set), measured=date.today().isoformat()
        )
        chosen = with_limit_breach(chosen, fitted)
    except DrillError as exc:
        fail(str(exc))
        return
    targets = chosen.targets
    click.echo(f"answer pairing (target answer recall {targets.answer_recall:g}, dev pairs):")
    for language, answer in chosen.answer_similarity.items():
        click.echo(
            f"  {language}: similarity >= {answer.similarity:.4f} — answer recall {answer.answer_recall:.3f}, "
            f"unanswered precision {answer.unanswered_precision:.3f} on {answer.pairs} pairs "
            f"(sha256 {answer.data_sha256[:16]})"
        )
    click.echo(f"red lines by meaning (target precision {targets.red_line_precision:g}, acts corpus dev split):")
    for kind, by_language in chosen.red_lines.items():
        for language, line in by_language.items():
            click.echo(
                f"  {kind} {language}: confidence >= {line.min_confidence:.4f} — precision {line.precision:.3f}, "
                f"recall {line.recall:.3f} of {line.positives} positives (dev hash {line.data_sha256})"
            )
    click.echo(
        f"violations by meaning alone (target precision {targets.violation_precision:g}, acts corpus dev split):"
    )
    for act, cuts in chosen.violations_by_meaning.items():
        for language, cut in cuts.items():
            click.echo(
                f"  {act.value} {language}: confidence >= {cut.min_confidence:.4f} — precision {cut.precision:.3f}, "
                f"recall {cut.recall:.3f} of {cut.positives} positives (dev hash {cut.data_sha256})"
            )
    _echo_limit_breach(fitted.report, nested_counts(items, chosen.targets), targets.limit_breach_review_precision)
    if write:
        write_thresholds(chosen)
        click.echo("written: simulator/grading/grader_thresholds.yaml", err=True)


def _echo_limit_breach(report: dict[str, Any], counts: dict[str, Any], review_target: float | None) -> None:
    click.echo(
        f"limit-breach scorer (synthetic dev transcripts, {report['candidates']} candidate sentences, "
        f"out-of-fold by situation; review target {review_target if review_target is not None else 'none'}):"
    )
    for language, labelled in report["labelled_quotes"].items():
        click.echo(
            f"  {language}: of {labelled} labelled breaches, {report['labelled_quotes_structural'][language]} "
            f"are confirmed structurally, {report['labelled_quotes_not_candidates'][language]} are no candidate, "
            f"{report['positives'][language]} are the scorer's"
        )
        for name in ("fail", "review"):
            line = report[name].get(language)
            if line is None:
                click.echo(f"    {name}: no line reaches the target")
            else:
                click.echo(
                    f"    {name}: p >= {line['probability']:.4f} — precision {line['precision']:.3f}, "
                    f"recall {line['recall']:.3f}"
                )
    for stage in ("before", "after_nested_cv"):
        click.echo(f"  transcripts, {stage.replace('_', ' ')}: " + json.dumps(counts[stage]["all"]))
