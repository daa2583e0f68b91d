"""Plain-words rendering of the agreement figures (``simulator.evals.agreement``) for the console and Markdown.

The synthetic part and the real-log part are rendered by the same functions, one after the other,
each under its own heading: they are never pooled into one figure.
"""

from __future__ import annotations

from typing import Any


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _ci(interval: list[float] | None, digits: int = 2) -> str:
    return "" if interval is None else f" [{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def agreement_rows(ag: dict[str, Any]) -> list[tuple[str, str]]:
    """(measure, result) rows of one part, in plain words."""
    pf, withheld, total, spread = ag["pass_fail"], ag["withheld"], ag["total"], ag["spread"]
    confidence = f"{total['confidence'] * 100:.0f}%"
    label, predicted = spread["label"], spread["predicted"]
    return [
        (
            "Pass/fail: agreement, Cohen's kappa",
            f"{_pct(pf['accuracy'])} of {pf['n']} with a verdict, kappa {_num(pf['kappa'])}; "
            f"{_pct(pf['accuracy_all'])} of all {ag['n']} (a withheld verdict counts as a disagreement)",
        ),
        (
            "Verdicts withheld",
            f"{withheld['unscored']} unscored (mentor passed {withheld['unscored_labelled_pass']}), "
            f"{withheld['unsupported']} unsupported (mentor passed {withheld['unsupported_labelled_pass']})",
        ),
        (
            f"Spearman on the total ({confidence} bootstrap interval)",
            f"{_num(total['spearman'])}{_ci(total['spearman_ci'])} over {total['n']} scored",
        ),
        (
            f"Mean absolute difference of totals ({confidence} interval)",
            f"{_num(total['mad'], 1)}{_ci(total['mad_ci'], 1)} points",
        ),
        ("Spread of totals: mentor", _spread_text(label)),
        ("Spread of totals: grader", _spread_text(predicted)),
    ]


def _spread_text(spread: dict[str, Any]) -> str:
    if not spread.get("n"):
        return "no totals"
    return (
        f"sd {_num(spread['sd'], 1)}, {spread['min']:g}-{spread['max']:g} (quartiles {spread['q1']:g} / "
        f"{spread['median']:g} / {spread['q3']:g}), {_pct(spread['widest_band_share'])} within "
        f"{spread['band_width']:g} points"
    )


def console_lines(title: str, ag: dict[str, Any]) -> list[str]:
    """Indented console lines for one part under ``title``."""
    rows = agreement_rows(ag)
    width = max(len(name) for name, _ in rows)
    return [title, *(f"  {name.ljust(width)}  {value}" for name, value in rows)]


def markdown_lines(ag: dict[str, Any]) -> list[str]:
    """A Markdown table of one part."""
    return [
        "| Measure | Result |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in agreement_rows(ag)),
    ]


def real_logs_console(section: dict[str, Any] | None) -> list[str]:
    """Console lines for the real-log part: its figures, or why it did not run."""
    if section is None:
        return ["Real chat logs: not measured (no real/ labels beside this set)."]
    head = f"Real chat logs ({section['split']} split), real-log test labels sha256 {section['real_test_sha256']}"
    if not section["run"]:
        return [head, f"  not run: {section['reason']}"]
    lines = console_lines(f"{head}: {section['items_graded']} logs graded without a case", section["agreement"])
    if section.get("items_missing"):
        lines.append(f"    not graded (transcript absent): {', '.join(section['items_missing'])}")
    for name, row in section["by_dataset"].items():
        lines.append(
            f"    {name} ({row['split']}): {row['n']} logs, mentor mean {row['mean_label_total']:g}, "
            f"grader mean {_num(row['mean_predicted_total'], 1)}"
        )
    return lines


def real_logs_markdown(section: dict[str, Any] | None) -> list[str]:
    """The Markdown section of the real-log part."""
    lines = ["## Real chat logs (reported apart)", ""]
    if section is None:
        return [*lines, "Not measured: the set has no `real/` labels.", ""]
    lines += [f"Real-log test labels sha256: `{section['real_test_sha256']}`; split: {section['split']}.", ""]
    if not section["run"]:
        return [*lines, f"Not run: {section['reason']}.", ""]
    lines += [
        f"{section['items_graded']} real public chats graded without a case (as `drill grade` grades an "
        "imported log). Few real agents pass, so read rank, distance and spread before pass/fail.",
        "",
        *(
            [f"Not graded (transcript absent): {', '.join(section['items_missing'])}.", ""]
            if section.get("items_missing")
            else []
        ),
        *markdown_lines(section["agreement"]),
        "",
        "| Dataset | Split | Logs | Mentor mean | Grader mean |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {row['split']} | {row['n']} | {row['mean_label_total']:g} | "
            f"{_num(row['mean_predicted_total'], 1)} |"
            for name, row in section["by_dataset"].items()
        ),
        "",
    ]
    return lines
