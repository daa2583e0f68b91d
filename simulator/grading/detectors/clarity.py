"""Signals of clarity: length, concrete content, structure, vague wording, jargon."""

from __future__ import annotations

from simulator.grading.measure import (
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, PhraseStage


@register_signal("concise", kind="behaviour")
def measure_concise(m: Measure) -> SignalResult:
    limit = m.weights.thresholds.concise_ratio * m.long_turn_limit
    if m.mean_agent_chars <= limit:
        return SignalResult(1.0)
    longest = max(m.agent_turns, key=lambda t: len(m.rec(t).text))
    return SignalResult(0.0, weak=Moment(longest, PhraseStage.solution))


@register_signal("concrete", kind="behaviour")
def measure_concrete(m: Measure) -> SignalResult:
    found = m.marker_sentences("concrete")
    if found:
        return SignalResult(1.0, positive=found[:1])
    return SignalResult(0.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution))


@register_signal("structure", kind="behaviour")
def measure_structure(m: Measure) -> SignalResult:
    found = m.marker_sentences("structure")
    return SignalResult(1.0 if found else 0.0, positive=found[:1])


@register_signal("vague", kind="penalty")
def measure_vague(m: Measure) -> SignalResult:
    found = m.marker_sentences("vague")
    weak = Moment(found[0].turn, PhraseStage.solution, found[0].quote) if found else None
    return SignalResult(float(len(found)), negative=found, weak=weak)


@register_signal("jargon", kind="penalty", rule="jargon")
def measure_jargon(m: Measure) -> SignalResult:
    return m.finding_signal("jargon", PhraseStage.solution)


@register_signal("long_turn", kind="penalty", rule="long_turn")
def measure_long_turn(m: Measure) -> SignalResult:
    return m.finding_signal("long_turn", PhraseStage.solution)


@register_signal("unfilled_placeholder", kind="penalty", rule="unfilled_placeholder")
def measure_unfilled_placeholder(m: Measure) -> SignalResult:
    """``unfilled_placeholder`` findings: "预计是《到货时间》可以到货", "Hi {name}"."""
    return m.finding_signal("unfilled_placeholder", PhraseStage.solution)


@register_signal("repeated_reply", kind="penalty", rule="repeated_reply")
def measure_repeated_reply(m: Measure) -> SignalResult:
    """``repeated_reply`` findings: an agent turn repeating an earlier one word for word."""
    return m.finding_signal("repeated_reply", PhraseStage.solution)


@register_signal("reversal", kind="penalty")
def measure_reversal(m: Measure) -> SignalResult:
    """Refusals that take back what the agent had already committed to (a promise or a proof said earlier).

    "Your appointment with Dr. Morgan is booked for 3 pm." then "Unfortunately Dr. Morgan has no appointment
    available at 3 pm.": the customer cannot tell which stands (the labelling guide's clarity 1, "contradictory";
    the real logs' mentors give clarity 2). A refusal before any commitment is an answer, not a reversal.
    """
    committed = False
    found: list[tuple[int, str]] = []
    for turn in m.agent_turns:
        for sentence in m.rec(turn).sentences:
            if sentence.has(DialogueAct.refusal):
                if committed:
                    found.append((turn, sentence.text))
            elif sentence.has(DialogueAct.promise) or sentence.has(DialogueAct.give_proof):
                committed = True
    negative = [e for turn, sentence in found for e in m.evidence(turn, sentence)]
    weak = Moment(found[0][0], PhraseStage.solution, found[0][1]) if found else None
    return SignalResult(float(len(found)), negative=negative, weak=weak)
