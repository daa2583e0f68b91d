"""Write a persona-fidelity report: ``report.json``, ``report.md`` and PNG charts in one folder.

The Markdown leads with the numbers a training manager would put on a slide (identification
accuracy, invented facts, premature resolutions, mood direction), then the charts, then detail
and examples. Charts use matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display in CI or on servers

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from simulator.config import PROJECT_DIR  # noqa: E402

CONFUSION_PNG = "archetype_confusion.png"
OUTCOMES_PNG = "outcomes_by_style.png"
OUTCOME_COLOURS = {
    "resolved": "#27ae60",
    "escalated": "#e67e22",
    "gave_up": "#c0392b",
    "abandoned": "#7f8c8d",
    "open": "#bdc3c7",
}


def default_out_dir(engine: str) -> Path:
    """``evals/results/personas-<engine>`` in the project (gitignored)."""
    return PROJECT_DIR / "evals" / "results" / f"personas-{engine}"


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Write charts, ``report.md`` and ``report.json`` to ``out_dir``; return ``report`` with a ``files`` entry."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [
        _confusion_chart(report["identification"]["confusion"], out_dir / CONFUSION_PNG),
        _outcome_chart(report["outcomes"]["by_style"], out_dir / OUTCOMES_PNG),
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


def _confusion_chart(confusion: dict[str, Any], path: Path) -> Path:
    labels: list[str] = confusion["labels"]
    matrix: list[list[int]] = confusion["matrix"]
    size = max(4.0, 0.8 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size, size * 0.9), dpi=120)
    if labels:
        rates = [[cell / (sum(row) or 1) for cell in row] for row in matrix]
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for i, row in enumerate(matrix):
            for j, cell in enumerate(row):
                colour = "white" if rates[i][j] > 0.6 else "black"
                ax.text(j, i, str(cell), ha="center", va="center", fontsize=9, color=colour)
        ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
        ax.set_yticks(range(len(labels)), labels)
    else:
        ax.text(0.5, 0.5, "no conversations", ha="center", va="center")
    ax.set_xlabel("Archetype named by the classifier")
    ax.set_ylabel("Persona's archetype")
    ax.set_title("Who is this customer? (counts; colour = row share)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _outcome_chart(by_style: dict[str, Any], path: Path) -> Path:
    styles = list(by_style)
    fig, ax = plt.subplots(figsize=(7, 0.55 * max(len(styles), 2) + 1.5), dpi=120)
    left = [0.0] * len(styles)
    for outcome, colour in OUTCOME_COLOURS.items():
        shares = [by_style[style].get(outcome, 0) / (by_style[style]["n"] or 1) for style in styles]
        ax.barh(styles, shares, left=left, color=colour, label=outcome)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("Share of conversations")
    ax.set_title("How the customer ends, by trainee style")
    ax.legend(loc="lower right", fontsize=8, ncols=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# Markdown


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += [
        "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows
    ]
    return lines + [""]


def headline_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, result, target, met) rows for the summary table and the CLI."""
    ident = report["identification"]
    facts = report["fact_fidelity"]
    ends = report["outcomes"]
    mood = report["mood"]["overall"]
    targets = report["targets"]

    def met(key: str) -> str:
        return "yes" if targets[key] else "**no**"

    return [
        ("Archetype identified (all cases)", _pct(ident["accuracy"]), ">= 95%", met("identification_at_least_95")),
        (
            "  dev cases / held-out test cases",
            f"{_pct(ident['by_part']['dev']['accuracy'])} / {_pct(ident['by_part']['test']['accuracy'])}",
            "",
            "",
        ),
        ("Invented facts (order no., amount, date)", str(facts["invented_facts"]), "0", met("zero_invented_facts")),
        ("Hidden facts stated before being asked", str(facts["fact_leaks"]), "0", met("zero_fact_leaks")),
        ("Premature resolution / goal met", str(ends["premature"]), "0", met("zero_premature_resolution")),
        (
            "Good agent resolves more than every poor style",
            "yes" if ends["good_resolves_most"] else "no",
            "yes",
            met("good_agent_resolves_most"),
        ),
        *_style_rows(report, met),
        ("Empathy lowers or holds the mood", _pct(mood["empathy"]["ok_rate"]), "", ""),
        ("Forbidden phrase raises the mood", _pct(mood["forbidden"]["ok_rate"]), "", ""),
        (
            "Model replies corrected (markers, state lines, refused endings)",
            str(report.get("model_warnings", {}).get("warnings", 0)),
            "",
            "",
        ),
    ]


def _style_rows(report: dict[str, Any], met: Any) -> list[tuple[str, str, str, str]]:
    styles = report.get("style_outcomes", {})
    early = report.get("early_resolutions", {})
    if not styles:
        return []

    def rates(family: str, quality: str | None = None) -> str:
        chosen = [
            f"{name} {_pct(row['resolution_rate'])}"
            for name, row in styles.items()
            if row["family"] == family and (quality is None or row["quality"] == quality)
        ]
        return ", ".join(chosen) or "n/a"

    return [
        (
            "Paraphrasing good agents resolve",
            rates("paraphrase", "good"),
            ">= 85%",
            met("paraphrase_good_resolve_at_least_85"),
        ),
        ("Gaming agents resolve", rates("gaming"), "<= 10%", met("gaming_resolve_at_most_10")),
        (
            f"Resolved within {early.get('within_turns', 2)} agent turns without a complete offer",
            f"{early.get('without_complete_offer', 0)} (of {early.get('resolved_early', 0)} early)",
            "0",
            met("no_early_resolution_without_complete_offer"),
        ),
    ]


def style_table(report: dict[str, Any]) -> list[str]:
    """Per style: family, resolution rate, turns to resolution, mean mood after each agent turn."""
    rows = [
        [
            name,
            row["family"],
            row["quality"],
            row["n"],
            _pct(row["resolution_rate"]),
            "-" if row["mean_turns_to_resolution"] is None else row["mean_turns_to_resolution"],
            " → ".join(f"{value:g}" for value in row["mood_trajectory"]),
        ]
        for name, row in report.get("style_outcomes", {}).items()
    ]
    header = ["Style", "Family", "Quality", "Drills", "Resolved", "Agent turns to resolution", "Mean mood per turn"]
    return _table(header, rows)


def render_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown (headline, charts, per-archetype and per-style tables, examples)."""
    ident = report["identification"]
    facts = report["fact_fidelity"]
    ends = report["outcomes"]
    mood = report["mood"]
    lines = [
        f"# Simulated customer fidelity — {report['engine']} engine",
        "",
        f"{report['conversations']} conversations ({report['personas']} personas x {report['cases']} cases of the "
        f"same language x {len(report['styles'])} scripted trainee styles, up to {report['max_turns']} agent turns, "
        f"seed {report['seed']}), {report['agent_turns']} agent turns in {report['seconds']:.1f}s. "
        f"Engine errors: {report['errors']}.",
        "",
        "## Headline",
        "",
        *_table(["Measure", "Result", "Target", "Met"], headline_rows(report)),
        f"**{'All targets met.' if report['all_targets_met'] else 'Not every target is met.'}**",
        "",
        f"![Archetype confusion matrix]({CONFUSION_PNG})",
        "",
        f"![Outcomes by trainee style]({OUTCOMES_PNG})",
        "",
        "## Per trainee style",
        "",
        *style_table(report),
        "## Archetype recognisability",
        "",
        f"Method: {ident['method']}.",
        "",
        *_table(
            ["Archetype", "Conversations", "Identified", "Most often taken for"],
            [
                [
                    name,
                    row["n"],
                    _pct(row["accuracy"]),
                    ", ".join(f"{other} ({count})" for other, count in row["confused_with"].items()) or "-",
                ]
                for name, row in ident["per_archetype"].items()
            ],
        ),
        *_table(
            ["Slice", "Conversations", "Identified"],
            [[f"language {name}", row["n"], _pct(row["accuracy"])] for name, row in ident["by_language"].items()]
            + [[f"style {name}", row["n"], _pct(row["accuracy"])] for name, row in ident["by_style"].items()]
            + [[f"{name} cases", row["n"], _pct(row["accuracy"])] for name, row in ident["by_part"].items()],
        ),
    ]
    if ident["misses"]:
        lines += ["Examples of misidentified conversations (customer's first lines, case text removed):", ""]
        lines += _table(
            ["Conversation", "Archetype", "Named", "Customer said"],
            [
                [m["conversation"], m["archetype"], m["predicted"], " / ".join(m["customer_lines"])]
                for m in ident["misses"]
            ],
        )
    lines += [
        "## Fact fidelity",
        "",
        f"Customer turns checked: {facts['customer_turns']}. Invented facts: {facts['invented_facts']} "
        f"in {facts['conversations_with_invented']} conversations {facts['invented_by_kind'] or ''}. "
        f"Hidden facts stated before the agent asked: {facts['fact_leaks']} in "
        f"{facts['conversations_with_leaks']} conversations.",
        "",
    ]
    if facts["invented_examples"]:
        lines += _table(
            ["Conversation", "Turn", "Kind", "Token", "Customer said"],
            [[e["conversation"], e["turn"], e["kind"], e["token"], e["text"]] for e in facts["invented_examples"]],
        )
    if facts["leak_examples"]:
        lines += _table(
            ["Conversation", "Turn", "Fact", "Said", "Customer said"],
            [[e["conversation"], e["turn"], e["fact"], e["marker"], e["text"]] for e in facts["leak_examples"]],
        )
    lines += [
        "## Outcomes",
        "",
        f"Premature resolutions: {ends['premature']}. State problems: {ends['state_problems']}. "
        f"Conversations still open after the script: {ends['ended_without_outcome']}.",
        "",
        *_table(
            [
                "Style",
                "Quality",
                "n",
                "Resolved",
                "Escalated",
                "Gave up",
                "Open",
                "Resolution rate",
                "Mean agent turns",
            ],
            [
                [
                    style,
                    row["quality"],
                    row["n"],
                    row["resolved"],
                    row["escalated"],
                    row["gave_up"],
                    row["open"],
                    _pct(row["resolution_rate"]),
                    row["mean_agent_turns"],
                ]
                for style, row in ends["by_style"].items()
            ],
        ),
    ]
    for title, key in (("Premature endings", "premature_examples"), ("State problems", "state_problem_examples")):
        if ends[key]:
            lines += [f"{title}:", ""]
            lines += _table(
                ["Conversation", "Turn", "Problem", "Agent said", "Customer said"],
                [[e["conversation"], e["turn"], e["problem"], e["agent"], e["customer"]] for e in ends[key]],
            )
    corrected = report.get("model_warnings") or {}
    if corrected.get("warnings"):
        lines += [
            "## Model replies corrected",
            "",
            f"The LLM customer's engine corrected {corrected['warnings']} thing(s) in {corrected['turns']} "
            "customer turn(s): markers or state lines the trainee never saw, endings the state did not allow. "
            "Many of one kind mean the model does not follow the output rules; look at the examples.",
            "",
            *_table(["Kind", "Count"], [[kind, count] for kind, count in corrected["by_kind"].items()]),
            *_table(
                ["Conversation", "Turn", "Warning"],
                [[e["conversation"], e["turn"], e["warning"]] for e in corrected["examples"]],
            ),
        ]
    lines += [
        "## Mood direction",
        "",
        "Mood change (0 calm - 10 furious) right after a clean empathy turn (empathy with nothing that angers on "
        "its own) and after a forbidden-phrase turn. Empathy should lower or hold the mood; a forbidden phrase "
        "should raise it (or find it already at 10).",
        "",
        *_table(
            [
                "Archetype",
                "Empathy turns",
                "Lowered / held / raised",
                "OK",
                "Mean change",
                "Forbidden turns",
                "Raised",
                "OK",
                "Mean change",
            ],
            [
                [
                    name,
                    row["empathy"]["n"],
                    f"{row['empathy']['lowered']} / {row['empathy']['held']} / {row['empathy']['raised']}",
                    _pct(row["empathy"]["ok_rate"]),
                    row["empathy"]["mean_delta"],
                    row["forbidden"]["n"],
                    row["forbidden"]["raised"],
                    _pct(row["forbidden"]["ok_rate"]),
                    row["forbidden"]["mean_delta"],
                ]
                for name, row in {**mood["per_archetype"], "all": mood["overall"]}.items()
            ],
        ),
    ]
    if report["error_examples"]:
        lines += ["## Engine errors", ""]
        lines += _table(["Conversation", "Error"], [[e["conversation"], e["error"]] for e in report["error_examples"]])
    lines += [
        "Rerun: `drill eval personas --engine offline` (add `--json` for the JSON report).",
        "",
    ]
    return "\n".join(lines)
