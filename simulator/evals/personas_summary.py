"""The JSON report of a ``drill eval personas`` run: every measure over the played conversations.

Archetype identification (overall, per part, language, style and archetype, with the confusion
matrix), fact fidelity, outcomes per trainee style, mood direction and the LLM engine's
corrections, with the targets each is held to (``summarise``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from simulator.evals.persona_checks import (
    MoodEvent,
    OutcomeProblem,
    customer_lines,
    empathy_ok,
    forbidden_ok,
    summarize_events,
)
from simulator.evals.personas_styles import by_style, early_resolutions, style_targets

if TYPE_CHECKING:
    from simulator.evals.personas_eval import ConversationResult, PersonasEvalRun

IDENTIFICATION_TARGET = 0.95
EXAMPLES = 8
OUTCOMES = ("resolved", "gave_up", "escalated", "abandoned", "open")


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def identification(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """Accuracy overall, per language and per archetype, the confusion matrix and misses."""
    scored = [r for r in results if r.predicted is not None]
    labels = sorted({r.archetype for r in scored} | {r.predicted for r in scored if r.predicted})
    matrix = [[0] * len(labels) for _ in labels]
    for r in scored:
        matrix[labels.index(r.archetype)][labels.index(r.predicted or "")] += 1
    correct = sum(r.predicted == r.archetype for r in scored)
    per_archetype = {}
    for label in labels:
        rows = [r for r in scored if r.archetype == label]
        if rows:
            hits = sum(r.predicted == label for r in rows)
            confused = Counter(r.predicted for r in rows if r.predicted != label).most_common(2)
            per_archetype[label] = {
                "n": len(rows),
                "correct": hits,
                "accuracy": _rate(hits, len(rows)),
                "confused_with": {str(name): count for name, count in confused},
            }
    by_language = {}
    for language in sorted({r.pairing.case.language for r in scored}):
        rows = [r for r in scored if r.pairing.case.language == language]
        by_language[language] = {
            "n": len(rows),
            "accuracy": _rate(sum(r.predicted == r.archetype for r in rows), len(rows)),
        }
    by_part = {}
    for part in ("dev", "test"):
        rows = [r for r in scored if r.part == part]
        by_part[part] = {"n": len(rows), "accuracy": _rate(sum(r.predicted == r.archetype for r in rows), len(rows))}
    by_style = {}
    for style in _styles(scored):
        rows = [r for r in scored if r.pairing.style.id == style]
        by_style[style] = {"n": len(rows), "accuracy": _rate(sum(r.predicted == r.archetype for r in rows), len(rows))}
    misses = [
        {
            "conversation": r.pairing.label,
            "archetype": r.archetype,
            "predicted": r.predicted,
            "customer_lines": customer_lines(r.transcript, r.pairing.case)[:3],
        }
        for r in scored
        if r.predicted != r.archetype
    ]
    return {
        "method": "TF-IDF nearest profile over character n-grams (and English words), trained only on each persona "
        "card's sample lines, habits, tone, portrait and temperament triggers (not on engine lines, ids or state); "
        "case text the customer repeats (facts, product, offers) is removed before classifying",
        "n": len(scored),
        "correct": correct,
        "accuracy": _rate(correct, len(scored)),
        "target": IDENTIFICATION_TARGET,
        "by_part": by_part,
        "by_language": by_language,
        "by_style": by_style,
        "per_archetype": per_archetype,
        "confusion": {"labels": labels, "matrix": matrix},
        "misses": misses[:EXAMPLES],
        "missed": len(misses),
    }


def fidelity(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """Hidden facts stated before being asked for, and invented facts, with examples."""
    leaks = [(r, leak) for r in results for leak in r.leaks]
    invented = [(r, item) for r in results for item in r.invented]
    customer_turns = sum(turn.role == "customer" for r in results for turn in r.transcript.turns)
    return {
        "customer_turns": customer_turns,
        "fact_leaks": len(leaks),
        "conversations_with_leaks": sum(bool(r.leaks) for r in results),
        "leak_examples": [
            {
                "conversation": r.pairing.label,
                "turn": leak.turn,
                "fact": leak.fact_key,
                "marker": leak.marker,
                "text": leak.text,
            }
            for r, leak in leaks[:EXAMPLES]
        ],
        "invented_facts": len(invented),
        "invented_by_kind": dict(Counter(item.kind for _, item in invented)),
        "conversations_with_invented": sum(bool(r.invented) for r in results),
        "invented_examples": [
            {
                "conversation": r.pairing.label,
                "turn": item.turn,
                "kind": item.kind,
                "token": item.token,
                "text": item.text,
            }
            for r, item in invented[:EXAMPLES]
        ],
        "target_invented": 0,
    }


def outcomes(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """Premature endings, state problems, and how each trainee style ends."""
    problems = [(r, p) for r in results for p in r.problems]
    premature = [(r, p) for r, p in problems if p.problem.startswith("premature")]
    inconsistent = [(r, p) for r, p in problems if not p.problem.startswith("premature")]
    by_style: dict[str, Any] = {}
    for style in _styles(results):
        rows = [r for r in results if r.pairing.style.id == style]
        counts = Counter(r.outcome for r in rows)
        by_style[style] = {
            "quality": rows[0].pairing.style.quality,
            "n": len(rows),
            **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
            "resolution_rate": _rate(counts.get("resolved", 0), len(rows)),
            "mean_agent_turns": round(sum(r.agent_turns for r in rows) / len(rows), 2),
        }
    good = [row["resolution_rate"] for row in by_style.values() if row["quality"] == "good"]
    poor = {style: row["resolution_rate"] for style, row in by_style.items() if row["quality"] == "poor"}
    best_good = max((rate for rate in good if rate is not None), default=None)
    beats = (
        {style: rate is not None and best_good > rate for style, rate in poor.items()} if best_good is not None else {}
    )
    return {
        "premature": len(premature),
        "premature_examples": [_problem_row(r, p) for r, p in premature[:EXAMPLES]],
        "state_problems": len(inconsistent),
        "state_problem_examples": [_problem_row(r, p) for r, p in inconsistent[:EXAMPLES]],
        "ended_without_outcome": 0 if not results else sum(r.outcome == "open" for r in results),
        "by_style": by_style,
        "good_beats_each_poor_style": beats,
        "good_resolves_most": bool(beats) and all(beats.values()),
    }


def _problem_row(r: ConversationResult, problem: OutcomeProblem) -> dict[str, Any]:
    turns = r.transcript.turns
    agent = turns[problem.turn - 1].text if problem.turn > 0 else ""
    return {
        "conversation": r.pairing.label,
        "turn": problem.turn,
        "problem": problem.problem,
        "detail": problem.detail,
        "agent": agent,
        "customer": turns[problem.turn].text,
    }


def mood(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """Per archetype: how often empathy lowered/held the mood and a forbidden phrase raised it."""
    rows: dict[str, Any] = {}
    for archetype in sorted({r.archetype for r in results}):
        events = [event for r in results if r.archetype == archetype for event in r.mood]
        rows[archetype] = _mood_row(events)
    everything = [event for r in results for event in r.mood]
    return {"overall": _mood_row(everything), "per_archetype": rows}


def _mood_row(events: Sequence[MoodEvent]) -> dict[str, Any]:
    empathy = [event for event in events if event.kind == "empathy"]
    forbidden = [event for event in events if event.kind == "forbidden"]
    return {
        "empathy": {
            **summarize_events(empathy),
            "ok_rate": _rate(sum(map(empathy_ok, empathy)), len(empathy)),
            "mean_delta": _mean_delta(empathy),
        },
        "forbidden": {
            **summarize_events(forbidden),
            "ok_rate": _rate(sum(map(forbidden_ok, forbidden)), len(forbidden)),
            "mean_delta": _mean_delta(forbidden),
        },
    }


def _mean_delta(events: Sequence[MoodEvent]) -> float | None:
    return round(sum(event.delta for event in events) / len(events), 3) if events else None


def _styles(results: Iterable[ConversationResult]) -> list[str]:
    return list(dict.fromkeys(r.pairing.style.id for r in results))


def model_warnings(results: Sequence[ConversationResult]) -> dict[str, Any]:
    """What the LLM customer's engine had to correct: per kind, and examples (empty offline)."""
    kinds: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for result in results:
        for turn, warnings in sorted(result.model_warnings.items()):
            for warning in warnings:
                kind = re.split(r"[:'\"(]", warning, maxsplit=1)[0].strip()
                kinds[kind] = kinds.get(kind, 0) + 1
                if len(examples) < EXAMPLES:
                    examples.append({"conversation": result.pairing.label, "turn": turn, "warning": warning})
    return {
        "turns": sum(len(result.model_warnings) for result in results),
        "warnings": sum(kinds.values()),
        "by_kind": dict(sorted(kinds.items(), key=lambda item: -item[1])),
        "examples": examples,
    }


def summarise(run: PersonasEvalRun) -> dict[str, Any]:
    """The JSON report of a run (headline, targets and every measure)."""
    results = run.results
    ident = identification(results)
    facts = fidelity(results)
    ends = outcomes(results)
    styles = by_style(results, run.rubric)
    early = early_resolutions(results, run.rubric)
    targets = {
        "identification_at_least_95": ident["accuracy"] is not None and ident["accuracy"] >= IDENTIFICATION_TARGET,
        "zero_invented_facts": facts["invented_facts"] == 0,
        "zero_fact_leaks": facts["fact_leaks"] == 0,
        "zero_premature_resolution": ends["premature"] == 0,
        "good_agent_resolves_most": ends["good_resolves_most"],
        **style_targets(styles, early),
    }
    errors = [{"conversation": r.pairing.label, "error": r.error} for r in results if r.error]
    return {
        "eval": "personas",
        "engine": run.engine,
        "seed": run.seed,
        "max_turns": run.max_turns,
        "seconds": round(run.seconds, 2),
        "conversations": len(results),
        "personas": len({r.pairing.persona.id for r in results}),
        "cases": len({r.pairing.case.id for r in results}),
        "styles": _styles(results),
        "languages": sorted({r.pairing.case.language for r in results}),
        "agent_turns": sum(r.agent_turns for r in results),
        "errors": len(errors),
        "error_examples": errors[:EXAMPLES],
        "targets": targets,
        "all_targets_met": all(targets.values()),
        "identification": ident,
        "fact_fidelity": facts,
        "outcomes": ends,
        "style_outcomes": styles,
        "early_resolutions": early,
        "mood": mood(results),
        "model_warnings": model_warnings(results),
    }
