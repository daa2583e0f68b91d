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

``run_personas_eval`` plays the conversations; ``simulator.evals.personas_summary.summarise`` turns
them into the JSON report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

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
    fact_leaks,
    final_outcome,
    invented_facts,
    mood_events,
    outcome_problems,
)
from simulator.evals.trainee_scripts import ScriptStyle, TraineeScripts, render_style
from simulator.models import Case, Language, Persona, Rubric, Transcript

Engine = Literal["offline", "llm"]
MAX_TURNS = 10
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
