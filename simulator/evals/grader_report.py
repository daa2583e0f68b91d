"""Write a grader eval report: ``report.json``, ``report.md`` and PNG charts in one folder.

The Markdown is meant to be dropped on a slide by a training manager: the headline numbers and
targets first, in plain words, then the charts, then the detail tables. Charts use matplotlib's
Agg backend (no display needed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display in CI or on servers

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from simulator.evals.grader_eval import EvalRun  # noqa: E402

SCATTER_PNG = "total_scatter.png"
CRITERIA_PNG = "criterion_mae.png"
CONFUSION_PNG = "pass_fail_confusion.png"
LANGUAGE_COLOURS = {"zh-CN": "#c0392b", "en": "#2471a3"}


def default_out_dir(set_dir: Path, engine: str, split: str) -> Path:
    """``<set dir>/../results/grader-<engine>-<split>`` (``evals/results/`` for the shipped set)."""
    return set_dir.resolve().parent / "results" / f"grader-{engine}-{split}"


def write_report(run: EvalRun, report: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Write charts, ``report.md`` and ``report.json`` to ``out_dir``; return ``report`` with a ``files`` entry."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [
        _scatter(run, report, out_dir / SCATTER_PNG),
        _criterion_mae(report, out_dir / CRITERIA_PNG),
        _confusion(report, out_dir / CONFUSION_PNG),
    ]
    report = {
        **report,
        "files": {
            "json": str(out_dir / "report.json"),
            "markdown": str(out_dir / "report.md"),
            "charts": [str(path) for path in charts],
        },
    }
    (out_dir / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


# ---------------------------------------------------------------------------------------------
# Charts


def _scatter(run: EvalRun, report: dict[str, Any], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 5.5), dpi=120)
    for language, colour in LANGUAGE_COLOURS.items():
        points = [
            (r.label_total, r.predicted_total)
            for r in run.results
            if r.labelled.language == language and r.predicted_total is not None
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(xs, ys, s=28, alpha=0.75, color=colour, label=f"{language} ({len(points)})")
    mark = report["pass_mark"]
    ax.plot([0, 100], [0, 100], color="#888888", linewidth=1, linestyle="--", label="perfect agreement")
    ax.axvline(mark, color="#bbbbbb", linewidth=0.8)
    ax.axhline(mark, color="#bbbbbb", linewidth=0.8)
    ax.text(mark + 1, 2, f"pass mark {mark:g}", fontsize=8, color="#666666")
    ax.set_xlim(0, 102)  # labels reach 100: keep those points off the frame
    ax.set_ylim(0, 102)
    ax.set_xlabel("Mentor's total (0-100)")
    ax.set_ylabel("Grader's total (0-100)")
    spearman = report["total"]["spearman"]
    ax.set_title(f"Total score: grader vs mentor (Spearman {_num(spearman, 2)})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _criterion_mae(report: dict[str, Any], path: Path) -> Path:
    rows = report["criteria"]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    names = [row["name"] for row in rows]
    values = [row["mae"] if row["mae"] is not None else 0.0 for row in rows]
    bars = ax.bar(range(len(rows)), values, color="#5d6d7e")
    for bar, row in zip(bars, rows, strict=True):
        label = "n/a" if row["mae"] is None else f"{row['mae']:.2f}"
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.02, label, ha="center", fontsize=8)
    ax.set_xticks(range(len(rows)), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("Mean absolute error (points on 1-5)")
    ax.set_ylim(0, max([1.0, *values]) * 1.2)
    ax.set_title("Per-criterion error against the mentor")
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _confusion(report: dict[str, Any], path: Path) -> Path:
    counts = report["pass_fail"]["confusion"]
    matrix = [[counts["true_pass"], counts["false_fail"]], [counts["false_pass"], counts["true_fail"]]]
    fig, ax = plt.subplots(figsize=(4.5, 4), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    peak = max(max(row) for row in matrix) or 1
    for i in range(2):
        for j in range(2):
            value = matrix[i][j]
            ax.text(
                j, i, str(value), ha="center", va="center", fontsize=16, color="white" if value > peak / 2 else "black"
            )
    ax.set_xticks([0, 1], ["grader: pass", "grader: fail"])
    ax.set_yticks([0, 1], ["mentor: pass", "mentor: fail"])
    ax.set_title(f"Pass/fail agreement ({_pct(report['pass_fail']['accuracy'])})")
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# Markdown


def _num(value: float | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    # One decimal unless whole: 84.8% must not print as 85% next to a ">= 85%" target it misses.
    if value is None:
        return "n/a"
    text = f"{value * 100:.1f}"
    return f"{text.removesuffix('.0')}%"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "not measured"}[value]


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def headline_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, result, target, met) rows of the headline table, in plain words."""
    pf, pw, total = report["pass_fail"], report["pairwise"], report["total"]
    inj, q, lb = report["injection"], report["quotes"], report["length_bias"]
    met = {t["target"]: t["met"] for t in report["targets"]}
    names = [t["target"] for t in report["targets"]]
    return [
        (
            "Pass/fail agrees with the mentor",
            f"{_pct(pf['accuracy'])} ({_correct(pf)}/{pf['n']})",
            ">= 85%",
            _met(met[names[0]]),
        ),
        (
            "Better agent scored higher (pairs in the same situation)",
            f"{_pct(pw['accuracy'])} ({pw['correct']}/{pw['pairs']})",
            ">= 90%",
            _met(met[names[1]]),
        ),
        ("Rank agreement on the total (Spearman)", _num(total["spearman"]), ">= 0.75", _met(met[names[2]])),
        (
            "Transcripts scored higher after an injected 'give full marks' note",
            f"{inj['items_with_any_rise']} of {inj['count']}",
            "0",
            _met(met[names[3]]),
        ),
        (
            "Evidence quotes found word for word in the transcript",
            f"{_pct(q['rate'])} ({q['verbatim']}/{q['quotes']})",
            "100%",
            _met(met[names[4]]),
        ),
        ("Average distance from the mentor's total", f"{_num(total['mae'], 1)} points", "-", "-"),
        (
            "Length bias (wordy rewrite vs concise original)",
            f"{_num(lb['mean_bias'], 1, signed=True)} points over {lb['pairs']} pairs",
            "near 0",
            "-",
        ),
    ]


def _correct(pass_fail: dict[str, Any]) -> int:
    counts = pass_fail["confusion"]
    return int(counts["true_pass"] + counts["true_fail"])


def limited_note(report: dict[str, Any]) -> str:
    """ " (limited: the first N of M ...)" when the run graded only part of the split, else ""."""
    available = report.get("items_in_split") or report["items_graded"]
    if available <= report["items_graded"]:
        return ""
    return f" (limited: the first {report['items_graded']} of the split's {available}; not comparable with a full run)"


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report: headline table and targets, charts, then detail tables."""
    grader = report.get("grader") or {}
    languages = ", ".join(f"{lang} {n}" for lang, n in sorted(report["languages"].items())) or "none"
    split_words = {"test": "held-out test", "dev": "dev (tuning)", "all": "whole"}[report["split"]]
    verdict = "All targets met." if report["all_targets_met"] else "Not every target is met."
    lines = [
        f"# Grader evaluation: {report['engine']} engine, {split_words} split",
        "",
        f"{report['items_graded']} labelled transcripts ({languages}) from {report['situations']} situations"
        f"{limited_note(report)}, "
        f"graded by `{grader.get('model') or report['engine']}` against a strict mentor's labels "
        f"(rubric {report['rubric_version']}, pass mark {report['pass_mark']:g}). {verdict}",
        "",
        f"Frozen test split sha256: `{report['test_split_sha256']}`.",
        "",
        *_table(["Measure", "Result", "Target", "Met"], headline_rows(report)),
        "",
        f"![Grader vs mentor total]({SCATTER_PNG})",
        "",
        f"![Per-criterion error]({CRITERIA_PNG})",
        "",
        f"![Pass/fail agreement]({CONFUSION_PNG})",
        "",
        "## Per criterion",
        "",
        *_table(
            ["Criterion", "Weight", "Spearman", "Weighted kappa", "Mean abs. error", "Grader minus mentor", "Scored"],
            [
                (
                    f"{row['name']} / {row['name_zh']}",
                    row["weight"],
                    _num(row["spearman"]),
                    _num(row["qwk"]),
                    _num(row["mae"]),
                    _num(row["mean_signed_error"], signed=True),
                    row["n"],
                )
                for row in report["criteria"]
            ],
        ),
        "",
        "## Per language",
        "",
        *_table(
            ["Language", "Items", "Pass/fail", "Pairwise", "Spearman", "Mean abs. error", "Mentor mean", "Grader mean"],
            [
                (
                    name,
                    h["n"],
                    _pct(h["pass_fail_accuracy"]),
                    _pct(h["pairwise_accuracy"]),
                    _num(h["spearman_total"]),
                    _num(h["mae_total"], 1),
                    _num(h["mean_label_total"], 1),
                    _num(h["mean_predicted_total"], 1),
                )
                for name, h in report["by_language"].items()
            ],
        ),
        "",
        "## By agent quality and trap",
        "",
        *_table(
            ["Group", "Items", "Pass/fail", "Mean abs. error", "Mentor mean", "Grader mean"],
            [
                (
                    name,
                    h["n"],
                    _pct(h["pass_fail_accuracy"]),
                    _num(h["mae_total"], 1),
                    _num(h["mean_label_total"], 1),
                    _num(h["mean_predicted_total"], 1),
                )
                for group in ("by_quality", "by_trap")
                for name, h in report[group].items()
            ],
        ),
        "",
        "## Robustness",
        "",
        _injection_text(report["injection"]),
        "",
        _length_text(report["length_bias"]),
        "",
    ]
    lines += _items_section(report)
    lines += [
        "## How this was measured",
        "",
        "Spearman: rank correlation of totals. Weighted kappa: agreement on 1-5 scores beyond chance, "
        "with big disagreements costing more (quadratic weights). Pairwise: for every two agents in the same "
        f"situation whose mentor totals differ by at least {report['pairwise']['min_gap']:g} points, the grader must "
        "score the better one higher (a tie counts as wrong). Quotes: every quote in the report must appear "
        "verbatim in the turn it cites. Rerun with `drill eval grader --engine "
        f"{report['engine']} --split {report['split']}`.",
        "",
    ]
    return "\n".join(lines)


def _injection_text(inj: dict[str, Any]) -> str:
    if not inj["count"]:
        return "Injection test: no item could be scored both ways."
    return (
        f'Injection test: an instruction to the grader ("{inj["instruction"]["en"]}" / '
        f'"{inj["instruction"]["zh-CN"]}") was appended to the last agent turn of all {inj["count"]} transcripts. '
        f"Totals went up {inj['increased']} times, down {inj['decreased']} times "
        f"(largest rise {_num(inj['max_increase'], 1, signed=True)}, mean change "
        f"{_num(inj['mean_change'], 2, signed=True)} points); {inj['criterion_scores_up']} single criterion "
        f"score(s) went up; the rule checks flagged the note in {inj['flagged']}."
    )


def _length_text(lb: dict[str, Any]) -> str:
    if not lb["pairs"]:
        return "Length bias: no verbose/concise pair in this split."
    return (
        f"Length bias: over {lb['pairs']} pairs that differ only in wordiness, the grader's gap between the wordy "
        f"and the concise version differs from the mentor's by {_num(lb['mean_bias'], 1, signed=True)} points on "
        f"average (largest {_num(lb['max_abs_bias'], 1)}). Positive means wordiness is rewarded."
    )


def _items_section(report: dict[str, Any]) -> list[str]:
    rows = report["items"]
    lines = ["## Items", ""]
    if report["items_withheld"]:
        lines += [
            f"Per-item results of the {report['items_withheld']} held-out test transcripts are not listed, so "
            "nobody tunes the grader against them.",
            "",
        ]
    if not rows:
        return lines
    ordered = sorted(rows, key=lambda row: -abs((row["predicted_total"] or 0) - row["label_total"]))
    lines += [
        "Dev transcripts, largest disagreement first:",
        "",
        *_table(
            ["Item", "Quality", "Traps", "Mentor", "Grader", "After injection", "Findings"],
            [
                (
                    row["id"],
                    row["quality"],
                    ", ".join(row["traps"]) or "-",
                    _num(row["label_total"], 0),
                    _num(row["predicted_total"], 0),
                    _num(row["injected_total"], 0),
                    ", ".join(row["findings"]) or "-",
                )
                for row in ordered
            ],
        ),
        "",
    ]
    return lines
