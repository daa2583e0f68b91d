"""Per trainee style, how the customer ended: resolution rate, turns to resolution, mood trajectory.

Issue 11's targets for the offline customer that listens, measured on ``drill eval personas``:

- trainees who speak in everyday paraphrase (family ``paraphrase``, quality ``good``) resolve at
  least :data:`PARAPHRASE_TARGET` of their drills;
- trainees who game the scoring (family ``gaming``: keyword salad, polite shells, one-word offers)
  resolve at most :data:`GAMING_TARGET`;
- no drill resolves within :data:`EARLY_TURNS` agent turns unless the agent made a complete
  acceptable offer (a case resolution, matched by meaning or by its keyword hints, with a when or
  a how much) — checked here from the transcript, apart from the state machine that decided it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from simulator.models import Case, DialogueAct, Rubric, Transcript
from simulator.recognition import structure
from simulator.recognition.offer_match import match_offers
from simulator.recognizer import recognize

if TYPE_CHECKING:
    from simulator.evals.personas_eval import ConversationResult

PARAPHRASE_TARGET = 0.85
GAMING_TARGET = 0.10
EARLY_TURNS = 2
EXAMPLES = 8


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def resolved_at(transcript: Transcript) -> int | None:
    """The agent turn (1-based) after which the customer ended as resolved; None when it did not."""
    agent_turns = 0
    for turn in transcript.turns:
        if turn.role == "agent":
            agent_turns += 1
        elif turn.role == "customer" and turn.state is not None and turn.state.outcome == "resolved":
            return agent_turns
    return None


def mood_trajectory(transcript: Transcript) -> list[int]:
    """The customer's mood after each agent turn (the opening mood first)."""
    return [turn.state.mood for turn in transcript.turns if turn.role == "customer" and turn.state is not None]


def complete_offer_made(transcript: Transcript, case: Case, rubric: Rubric | None, upto: int) -> bool:
    """Whether one of the first ``upto`` agent turns offered an acceptable resolution with a when or how much."""
    targets = [*case.acceptable_resolutions, *case.customer_refuses]
    acceptable = {resolution.id for resolution in case.acceptable_resolutions}
    agent = [turn.text for turn in transcript.turns if turn.role == "agent"][:upto]
    for text in agent:
        turn = recognize(text, case.language, case=case, rubric=rubric)
        offering = [s.text for s in turn.sentences if s.has(DialogueAct.offer_solution) or s.has(DialogueAct.promise)]
        offered = set(turn.offered) | {m.resolution_id for m in match_offers(offering, targets)}
        concrete = (
            structure.names_time(text, case.language)
            or bool(structure.amounts(text, case.language))
            or structure.has_identifier(text)
        )
        if offered & acceptable and concrete:
            return True
    return False


def by_style(results: Sequence[ConversationResult], rubric: Rubric | None) -> dict[str, Any]:
    """Per style: family, quality, resolution rate, turns to resolution and the mean mood after each agent turn."""
    rows: dict[str, Any] = {}
    for style in dict.fromkeys(r.pairing.style.id for r in results):
        chosen = [r for r in results if r.pairing.style.id == style]
        resolved = [turns for r in chosen if (turns := resolved_at(r.transcript)) is not None]
        trajectories = [mood_trajectory(r.transcript) for r in chosen]
        longest = max((len(t) for t in trajectories), default=0)
        mean_mood = []
        for index in range(longest):
            values = [t[index] for t in trajectories if len(t) > index]
            mean_mood.append(round(sum(values) / len(values), 2))
        first = chosen[0].pairing.style
        rows[style] = {
            "family": first.family,
            "quality": first.quality,
            "n": len(chosen),
            "resolved": len(resolved),
            "resolution_rate": _rate(len(resolved), len(chosen)),
            "mean_turns_to_resolution": round(sum(resolved) / len(resolved), 2) if resolved else None,
            "mood_trajectory": mean_mood,
        }
    return rows


def early_resolutions(results: Sequence[ConversationResult], rubric: Rubric | None) -> dict[str, Any]:
    """Drills resolved within :data:`EARLY_TURNS` agent turns, and those without a complete acceptable offer."""
    early = [(r, turns) for r in results if (turns := resolved_at(r.transcript)) is not None and turns <= EARLY_TURNS]
    unearned = [r for r, turns in early if not complete_offer_made(r.transcript, r.pairing.case, rubric, upto=turns)]
    return {
        "within_turns": EARLY_TURNS,
        "resolved_early": len(early),
        "without_complete_offer": len(unearned),
        "examples": [r.pairing.label for r in unearned[:EXAMPLES]],
    }


def style_targets(rows: dict[str, Any], early: dict[str, Any]) -> dict[str, bool]:
    """The issue's targets on these rows (a family with no drill in the run does not count as met)."""
    paraphrase = [row for row in rows.values() if row["family"] == "paraphrase" and row["quality"] == "good"]
    gaming = [row for row in rows.values() if row["family"] == "gaming"]
    return {
        "paraphrase_good_resolve_at_least_85": bool(paraphrase)
        and all((row["resolution_rate"] or 0) >= PARAPHRASE_TARGET for row in paraphrase),
        "gaming_resolve_at_most_10": bool(gaming)
        and all((row["resolution_rate"] or 0) <= GAMING_TARGET for row in gaming),
        "no_early_resolution_without_complete_offer": early["without_complete_offer"] == 0,
    }
