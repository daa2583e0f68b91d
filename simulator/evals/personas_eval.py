"""``drill eval personas``: is the simulated customer faithful to its persona and its case?

Every persona x case of the same language is played with every scripted trainee style of
``evals/trainee_scripts/`` (a good agent and five kinds of poor one) for up to ten agent turns,
and each conversation is measured:

- **Archetype recognisability**: ``ArchetypeClassifier`` (trained on the persona cards' own
  words, never on engine lines, ids or state) names the archetype from the customer's lines.
- **Fact fidelity**: hidden facts only after being asked for; no invented order numbers,
  amounts or dates (``persona_checks``).
- **Outcome sanity**: no goal met / resolution before an acceptable offer, consistent state, and
  the good agent resolves more often than each poor one.
- **Per style** (``personas_styles``): resolution rate, turns to resolution and the mood after
  each agent turn; paraphrasing good agents resolve >= 85 %, gaming ones <= 10 %, and no drill
  resolves within two agent turns without a complete acceptable offer.
- **Mood direction**: empathy lowers or holds the mood, a forbidden phrase raises it.

``run_personas_eval`` plays the conversations; ``summarise`` turns them into the JSON report.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from simulator.config import Settings
from simulator.content import Library
from simulator.conversation import Conversation
from simulator.customer import make_customer
from simulator.errors import DrillError
from simulator.evals.archetype_classifier import ArchetypeClassifier
from simulator.evals.persona_checks import (
    FactLeak,
    InventedFact,
    MoodEvent,
    OutcomeProblem,
    customer_lines,
    empathy_ok,
    fact_leaks,
    final_outcome,
    forbidden_ok,
    invented_facts,
    mood_events,
    outcome_problems,
    summarize_events,
)
from simulator.evals.personas_styles import by_style, early_resolutions, style_targets
from simulator.evals.trainee_scripts import ScriptStyle, TraineeScripts, render_style
from simulator.models import Case, Language, Persona, Rubric, Transcript

Engine = Literal["offline", "llm"]
MAX_TURNS = 10
IDENTIFICATION_TARGET = 0.95
EXAMPLES = 8
OUTCOMES = ("resolved", "gave_up", "escalated", "abandoned", "open")
Progress = Callable[[int, int, str], None]
Part = Literal["dev", "test"]


def case_parts(cases: Iterable[Case]) -> dict[str, Part]:
    """Split the cases into a dev part (tune persona lines against it) and a held-out test part.

    Within each language, cases sorted by id alternate dev, test, dev, ... — ids start with the
    scenario family, so both parts cover the families evenly.
    """
    parts: dict[str, Part] = {}
    by_language: dict[str, list[str]] = {}
    for case in cases:
        by_language.setdefault(case.language, []).append(case.id)
    for ids in by_language.values():
        for index, case_id in enumerate(sorted(ids)):
            parts[case_id] = "dev" if index % 2 == 0 else "test"
    return parts


@dataclass(frozen=True)
class Pairing:
    """One conversation to play: a persona, a case of a language it speaks, a trainee style."""

    persona: Persona
    case: Case
    style: ScriptStyle

    @property
    def label(self) -> str:
        """``persona / case / style``, for progress lines and examples."""
        return f"{self.persona.id} / {self.case.id} / {self.style.id}"


@dataclass
class ConversationResult:
    """One played conversation and what the checks found in it."""

    pairing: Pairing
    transcript: Transcript
    part: Part = "dev"
    error: str | None = None
    predicted: str | None = None
    leaks: list[FactLeak] = field(default_factory=list)
    invented: list[InventedFact] = field(default_factory=list)
    problems: list[OutcomeProblem] = field(default_factory=list)
    mood: list[MoodEvent] = field(default_factory=list)
    #: What the LLM customer's engine corrected in its model's replies, by customer turn index.
    model_warnings: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def archetype(self) -> str:
        """The persona's true archetype (the label the classifier must find)."""
        return self.pairing.persona.archetype

    @property
    def outcome(self) -> str:
        """How the conversation ended (``open`` when it ran out of agent lines)."""
        return final_outcome(self.transcript)

    @property
    def agent_turns(self) -> int:
        """Agent turns played."""
        return sum(turn.role == "agent" for turn in self.transcript.turns)


@dataclass
class PersonasEvalRun:
    """All conversations of one ``drill eval personas`` run."""

    engine: Engine
    seed: int
    max_turns: int
    results: list[ConversationResult]
    seconds: float
    classifier_labels: dict[str, tuple[str, ...]]
    rubric: Rubric | None = None


def plan_pairings(
    library: Library,
    scripts: dict[Language, TraineeScripts],
    *,
    personas: Sequence[str] = (),
    cases: Sequence[str] = (),
    styles: Sequence[str] = (),
    languages: Sequence[str] = (),
    limit: int | None = None,
) -> list[Pairing]:
    """Every persona x case of the same language x style, filtered; sorted for stable output.

    Unknown persona, case or style ids raise ``LookupError`` listing the valid ones.
    """
    for persona_id in personas:
        library.persona(persona_id)
    for case_id in cases:
        library.case(case_id)
    known_styles = {style.id for script in scripts.values() for style in script.styles}
    for style_id in styles:
        if style_id not in known_styles:
            raise LookupError(f"unknown style '{style_id}'; valid: {', '.join(sorted(known_styles))}")
    pairings: list[Pairing] = []
    for case in sorted(library.cases.values(), key=lambda c: c.id):
        if (cases and case.id not in cases) or (languages and case.language not in languages):
            continue
        script = scripts.get(case.language)
        if script is None:
            continue
        for persona in sorted(library.personas.values(), key=lambda p: p.id):
            if case.language not in persona.languages or (personas and persona.id not in personas):
                continue
            pairings += [Pairing(persona, case, style) for style in script.styles if not styles or style.id in styles]
    return pairings[:limit] if limit is not None else pairings


def play(
    pairing: Pairing,
    *,
    engine: Engine,
    seed: int,
    settings: Settings,
    rubric: Rubric | None,
    max_turns: int = MAX_TURNS,
) -> tuple[Transcript, str | None, dict[int, tuple[str, ...]]]:
    """Play the style's lines against the customer until it ends or the lines run out.

    Returns the transcript, the error when the engine failed (the transcript so far is kept) and
    the warnings of the LLM customer's engine by turn (what it corrected in the model's replies).
    """
    customer = make_customer(pairing.persona, pairing.case, engine=engine, seed=seed, settings=settings, rubric=rubric)
    conversation = Conversation(customer, transcript_id=f"{pairing.persona.id}.{pairing.case.id}.{pairing.style.id}")
    try:
        conversation.start()
        for line in render_style(pairing.style, pairing.case, max_turns=max_turns):
            if conversation.ended:
                break
            conversation.send(line.text).collect()
    except DrillError as exc:
        if conversation.pending:
            conversation.turns.pop()  # an unanswered agent turn has no customer reaction to measure
        return conversation.transcript, f"{type(exc).__name__}: {exc}", conversation.turn_warnings
    return conversation.transcript, None, conversation.turn_warnings


def run_personas_eval(
    library: Library,
    scripts: dict[Language, TraineeScripts],
    pairings: Sequence[Pairing],
    *,
    engine: Engine,
    seed: int,
    settings: Settings,
    max_turns: int = MAX_TURNS,
    progress: Progress | None = None,
) -> PersonasEvalRun:
    """Play every pairing and run every check on it."""
    started = time.perf_counter()
    rubric = library.rubric
    classifiers = _classifiers(library.personas.values(), {pairing.case.language for pairing in pairings})
    parts = case_parts(library.cases.values())
    results: list[ConversationResult] = []
    for number, pairing in enumerate(pairings, start=1):
        transcript, error, warnings = play(
            pairing, engine=engine, seed=seed, settings=settings, rubric=rubric, max_turns=max_turns
        )
        result = check(pairing, transcript, error, classifiers[pairing.case.language], rubric)
        result.part = parts[pairing.case.id]
        result.model_warnings = warnings
        results.append(result)
        if progress is not None:
            progress(number, len(pairings), pairing.label)
    return PersonasEvalRun(
        engine=engine,
        seed=seed,
        max_turns=max_turns,
        results=results,
        seconds=time.perf_counter() - started,
        classifier_labels={language: classifier.labels for language, classifier in classifiers.items()},
        rubric=rubric,
    )


def _classifiers(personas: Iterable[Persona], languages: Iterable[Language]) -> dict[Language, ArchetypeClassifier]:
    pool = list(personas)
    return {language: ArchetypeClassifier.from_personas(pool, language) for language in sorted(languages)}


def check(
    pairing: Pairing,
    transcript: Transcript,
    error: str | None,
    classifier: ArchetypeClassifier,
    rubric: Rubric | None,
) -> ConversationResult:
    """Run the classifier and every fidelity check on one played conversation."""
    case = pairing.case
    lines = customer_lines(transcript, case)
    return ConversationResult(
        pairing=pairing,
        transcript=transcript,
        error=error,
        predicted=classifier.predict(lines).label if lines else None,
        leaks=fact_leaks(transcript, case, rubric),
        invented=invented_facts(transcript, case),
        problems=outcome_problems(transcript, case, rubric),
        mood=mood_events(transcript, case, rubric),
    )


# ---------------------------------------------------------------------------------------------
# Report


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
