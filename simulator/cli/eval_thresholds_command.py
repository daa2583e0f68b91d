"""``drill eval thresholds``: choose the grader's thresholds on dev data (and record them)."""

from __future__ import annotations

import click

from simulator.cli.root import fail
from simulator.errors import DrillError


@click.command("thresholds")
@click.option("--write", "write", is_flag=True, help="Record the chosen thresholds in grader_thresholds.yaml.")
def thresholds(write: bool) -> None:
    """Question-answer pairing and red-line confidence thresholds, chosen on dev for the file's targets."""
    from simulator.evals.grader_thresholds import choose_thresholds, current_targets, write_thresholds

    try:
        chosen = choose_thresholds(current_targets())
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
    if write:
        write_thresholds(chosen)
        click.echo("written: simulator/grading/grader_thresholds.yaml", err=True)
