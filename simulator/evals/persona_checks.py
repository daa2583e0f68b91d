"""Fidelity checks on one simulated conversation: facts, outcome and mood.

Pure functions of a transcript and its case (plus the rubric, for the recogniser), so they work
the same on the offline engine, the LLM engine or a hand-made transcript in a test:

- ``fact_leaks``: a hidden fact's value said by the customer before the agent asked for it.
- ``invented_facts``: an order/reference number, amount or date in a customer line that neither
  the case nor the agent's earlier turns contain.
- ``outcome_problems``: the customer declared the goal met or the conversation resolved before
  the agent offered an acceptable resolution; inconsistent or missing state.
- ``mood_events``: the mood change after each empathy turn and each forbidden-phrase turn.

"Asked for" uses the shared recogniser (``asked_facts`` of every agent turn so far) and, more
leniently, the fact's label or ``ask_keywords`` appearing in an agent turn. "Offered" uses the
recogniser's ``offered`` (acceptable resolutions, negated clauses excluded).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.evals.fact_tokens import FactToken, Grounding, find_tokens, normalize
from simulator.models import Case, DialogueAct, HiddenFact, Rubric, Transcript
from simulator.recognizer import RecognizedTurn, recognize

# A marker shorter than this (after normalising) would match by accident ("5", "ok").
MIN_MARKER_CHARS = 2
MIN_CORE_CHARS = 4
# Acts that can move the mood up on their own; an "empathy turn" must have none of them, so that a
# rise after it is the empathy's fault and not the policy recital's next to it.
_SPOILERS = frozenset(
    {
        DialogueAct.forbidden_phrase,
        DialogueAct.private_data_request,
        DialogueAct.long_turn,
        DialogueAct.refusal,
        DialogueAct.explain_policy,
        DialogueAct.promise,
        DialogueAct.jargon,
        DialogueAct.role_probe,
    }
)


@dataclass(frozen=True)
class FactLeak:
    """A hidden fact said by the customer before it was asked for."""

    turn: int
    fact_key: str
    marker: str
    text: str


@dataclass(frozen=True)
class InventedFact:
    """A fact-like token in a customer line that nothing in the case or the agent's turns backs."""

    turn: int
    kind: str
    token: str
    text: str


@dataclass(frozen=True)
class OutcomeProblem:
    """Something wrong with how the conversation ended (or claimed to)."""

    turn: int
    problem: Literal["premature_goal_met", "premature_resolved", "missing_state", "inconsistent_state"]
    detail: str


@dataclass(frozen=True)
class MoodEvent:
    """The mood before and after an agent turn of interest."""

    turn: int
    kind: Literal["empathy", "forbidden"]
    before: int
    after: int

    @property
    def delta(self) -> int:
        """After minus before (positive: angrier)."""
        return self.after - self.before


_CACHE_SIZE = 20000
# Keyed by object identity; the entry keeps the case and rubric alive so an id cannot be reused.
_recognized: dict[tuple[int, int, str], tuple[Case, Rubric | None, RecognizedTurn]] = {}


def recognize_agent(text: str, case: Case, rubric: Rubric | None) -> RecognizedTurn:
    """The recogniser's reading of one agent turn (cached: the same script lines recur)."""
    key = (id(case), id(rubric), text)
    entry = _recognized.get(key)
    if entry is not None and entry[0] is case and entry[1] is rubric:
        return entry[2]
    result = recognize(text, case.language, case=case, rubric=rubric)
    if len(_recognized) >= _CACHE_SIZE:
        _recognized.clear()
    _recognized[key] = (case, rubric, result)
    return result


def _core(fact: HiddenFact) -> str:
    value = fact.value.strip()
    if value.startswith(fact.label):
        value = value[len(fact.label) :].lstrip(" :：是为")
    return value.rstrip("。.！!？?，,")


@dataclass(frozen=True)
class Marker:
    """Text that, found in a customer line, means a hidden fact was stated."""

    text: str
    whole_value: bool  # the fact's whole value (matched as a substring), else one token of it


def fact_markers(case: Case) -> dict[str, list[Marker]]:
    """Per hidden fact, the strings whose presence in a customer line means the fact was stated.

    The fact's whole value (when long enough) and each fact-like token in it (numbers, dates,
    codes), minus anything already public: the opening line, the agent's brief, the product.
    """
    public = Grounding([case.opening_line, case.brief, case.product])
    markers: dict[str, list[Marker]] = {}
    for fact in case.hidden_facts:
        found: list[Marker] = []
        core = _core(fact)
        if len(normalize(core)) >= MIN_CORE_CHARS and not public.contains(core):
            found.append(Marker(core, whole_value=True))
        for token in find_tokens(fact.value):
            if len(normalize(token.text)) >= MIN_MARKER_CHARS and not public.contains(token.text):
                found.append(Marker(token.text, whole_value=False))
        markers[fact.key] = list(dict.fromkeys(found))
    return markers


def _asked_in(text: str, case: Case, rubric: Rubric | None) -> set[str]:
    asked = set(recognize_agent(text, case, rubric).asked_facts)
    folded = text.lower()
    for fact in case.hidden_facts:
        if any(word.lower() in folded for word in (*fact.ask_keywords, fact.label)):
            asked.add(fact.key)
    return asked


def _says(line: str, marker: str) -> bool:
    """``marker`` occurs in ``line`` as a whole number ("12" is not in "12315")."""
    pattern = re.escape(marker)
    if marker[:1].isdigit():
        pattern = r"(?<![\d.])" + pattern
    if marker[-1:].isdigit():
        pattern += r"(?![\d])"
    return re.search(pattern, line) is not None


def fact_leaks(transcript: Transcript, case: Case, rubric: Rubric | None = None) -> list[FactLeak]:
    """Hidden facts the customer stated before the agent asked for them (or said them first)."""
    markers = fact_markers(case)
    values = {fact.key: normalize(fact.value) for fact in case.hidden_facts}
    asked: set[str] = set()
    agent_said = Grounding([])
    leaks: list[FactLeak] = []
    for index, turn in enumerate(transcript.turns):
        if turn.role == "agent":
            asked |= _asked_in(turn.text, case, rubric)
            agent_said.add([turn.text])
            continue
        line = normalize(turn.text)
        # Tokens compare whole: "48分贝" in a fact is not "48小时" in an offer the customer repeats.
        line_tokens = {normalize(token.text) for token in find_tokens(turn.text)}
        for key, fact_markers_ in markers.items():
            if key in asked:
                continue
            for marker in fact_markers_:
                folded = normalize(marker.text)
                said = _says(line, folded) if marker.whole_value else folded in line_tokens
                if not said or agent_said.contains(marker.text):
                    continue
                if any(folded in values[other] for other in asked):
                    continue  # the same words belong to a fact that was asked for
                leaks.append(FactLeak(index, key, marker.text, turn.text))
                break
    return leaks


def case_grounding(case: Case) -> Grounding:
    """Everything in the case a customer may state: story, opening, facts, resolutions, goal."""
    texts = [case.title, case.situation, case.opening_line, case.brief, case.product, case.customer_wants]
    for fact in case.hidden_facts:
        texts += [fact.label, fact.value]
    for resolution in (*case.acceptable_resolutions, *case.customer_refuses):
        texts += [resolution.description, *resolution.keywords]
    return Grounding(texts)


def invented_facts(transcript: Transcript, case: Case) -> list[InventedFact]:
    """Order numbers, amounts and dates in customer lines that neither the case nor the agent gave."""
    grounding = case_grounding(case)
    invented: list[InventedFact] = []
    for index, turn in enumerate(transcript.turns):
        if turn.role == "agent":
            grounding.add([turn.text])  # echoing the agent's own reference or time is not inventing
            continue
        tokens: list[FactToken] = find_tokens(turn.text)
        invented += [
            InventedFact(index, token.kind, token.text, turn.text) for token in tokens if not grounding.grounded(token)
        ]
    return invented


def offered_turns(transcript: Transcript, case: Case, rubric: Rubric | None = None) -> list[int]:
    """Indices of agent turns that offer an acceptable resolution (by its keyword hints or by meaning).

    "By meaning" is the offer matcher's call on every sentence that does not refuse, also one the act
    classifier gave no act ("With your go-ahead, I'll suspend that staff login right away."), as
    the customer hears it (``offer_rules.heard_as_possible_offer``: not a bare fragment, not a question).
    """
    from simulator.customer.offer_rules import heard_as_possible_offer
    from simulator.recognition.offer_match import match_offers

    acceptable = {resolution.id for resolution in case.acceptable_resolutions}
    targets = [*case.acceptable_resolutions, *case.customer_refuses]
    found = []
    for index, turn in enumerate(transcript.turns):
        if turn.role != "agent":
            continue
        recognized = recognize_agent(turn.text, case, rubric)
        sentences = [
            s.text
            for s in recognized.sentences
            if not s.has(DialogueAct.refusal) and (s.acts or heard_as_possible_offer(s, case.language))
        ]
        if recognized.offered or acceptable & {m.resolution_id for m in match_offers(sentences, targets)}:
            found.append(index)
    return found


def outcome_problems(transcript: Transcript, case: Case, rubric: Rubric | None = None) -> list[OutcomeProblem]:
    """Premature goal_met/resolved (before an acceptable offer), missing or contradictory state."""
    offers = offered_turns(transcript, case, rubric)
    problems: list[OutcomeProblem] = []
    was_met = False
    customer_turns = [index for index, turn in enumerate(transcript.turns) if turn.role == "customer"]
    for index in customer_turns:
        state = transcript.turns[index].state
        if state is None:
            problems.append(OutcomeProblem(index, "missing_state", "customer turn without state"))
            continue
        offered_before = any(offer < index for offer in offers)
        if state.outcome == "resolved" and not offered_before:
            problems.append(
                OutcomeProblem(index, "premature_resolved", "resolved before any acceptable resolution was offered")
            )
        elif state.goal_met and not was_met and not offered_before:
            problems.append(
                OutcomeProblem(index, "premature_goal_met", "goal met before any acceptable resolution was offered")
            )
        if state.outcome == "resolved" and not state.goal_met:
            problems.append(OutcomeProblem(index, "inconsistent_state", "outcome resolved but goal_met is false"))
        if state.outcome in ("gave_up", "escalated") and state.goal_met:
            problems.append(OutcomeProblem(index, "inconsistent_state", f"outcome {state.outcome} with goal_met true"))
        if was_met and not state.goal_met:
            problems.append(OutcomeProblem(index, "inconsistent_state", "goal_met went back from true to false"))
        if state.outcome is not None and index != customer_turns[-1]:
            problems.append(OutcomeProblem(index, "inconsistent_state", "the customer spoke again after ending"))
        was_met = was_met or state.goal_met
    return problems


def final_outcome(transcript: Transcript) -> str:
    """The outcome of the last customer turn, or ``open`` when the conversation did not end."""
    for turn in reversed(transcript.turns):
        if turn.role == "customer":
            return turn.state.outcome if turn.state is not None and turn.state.outcome else "open"
    return "open"


def mood_events(transcript: Transcript, case: Case, rubric: Rubric | None = None) -> list[MoodEvent]:
    """Mood before and after every clean empathy turn and every forbidden-phrase turn.

    A clean empathy turn shows empathy and nothing that angers on its own (policy, promise,
    refusal, ...). Turns after the customer already ended are skipped.
    """
    events: list[MoodEvent] = []
    turns = transcript.turns
    for index, turn in enumerate(turns):
        if turn.role != "agent" or index == 0 or index + 1 >= len(turns):
            continue
        before, after = turns[index - 1].state, turns[index + 1].state
        if before is None or after is None or before.outcome is not None:
            continue
        acts = recognize_agent(turn.text, case, rubric).acts
        if DialogueAct.forbidden_phrase in acts:
            events.append(MoodEvent(index, "forbidden", before.mood, after.mood))
        elif DialogueAct.empathy in acts and not acts & _SPOILERS:
            events.append(MoodEvent(index, "empathy", before.mood, after.mood))
    return events


def case_phrases(case: Case) -> list[str]:
    """Case text a customer may repeat word for word (facts, product, offers), longest first."""
    phrases: set[str] = {case.opening_line, case.product}
    for fact in case.hidden_facts:
        phrases |= {fact.value, _core(fact)}
    for resolution in (*case.acceptable_resolutions, *case.customer_refuses):
        description = resolution.description.strip().rstrip("。.")
        phrases |= {description, description[:1].lower() + description[1:]}
    return sorted((phrase for phrase in phrases if phrase), key=len, reverse=True)


def customer_lines(transcript: Transcript, case: Case | None = None) -> list[str]:
    """What the customer said in its own words.

    With ``case``, text the customer repeats from the case (its opening line, hidden fact values,
    the product, an offer's description) is cut out: it belongs to the case, not to the persona,
    and would only blur a judgement of the persona's style.
    """
    lines = [turn.text for turn in transcript.turns if turn.role == "customer"]
    if case is not None:
        phrases = case_phrases(case)
        for index, line in enumerate(lines):
            for phrase in phrases:
                line = line.replace(phrase, " ")
            lines[index] = line.strip()
    return [line for line in lines if line]


def forbidden_ok(event: MoodEvent) -> bool:
    """A forbidden phrase should anger: the mood rose, or was already at the top."""
    return event.delta > 0 or event.before >= 10


def empathy_ok(event: MoodEvent) -> bool:
    """Empathy should calm or at least not anger."""
    return event.delta <= 0


def summarize_events(events: Sequence[MoodEvent]) -> dict[str, int]:
    """Counts of lowered / held / raised mood."""
    return {
        "n": len(events),
        "lowered": sum(event.delta < 0 for event in events),
        "held": sum(event.delta == 0 for event in events),
        "raised": sum(event.delta > 0 for event in events),
        "at_max_before": sum(event.before >= 10 for event in events),
    }
