"""Signals of clarity: length, concrete content, structure, vague wording, jargon."""

from __future__ import annotations

import re

from simulator.grading import signals
from simulator.grading.fairness import PHONE_OPENING_CHANNELS
from simulator.grading.measure import (
    NOT_APPLICABLE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, Language, PhraseStage

# The written form of Latin-script text, never its words: a sentence that opens in lower case, a turn that
# stops without closing punctuation, a space before a full stop or comma ("They serve Mexican food .").
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LOWER_START = re.compile(r"^[\"'(\[]*[a-z]")
_CLOSED = re.compile(r"[.?!)\]\"'\u2019\u201d:;~]\s*$")
_SPACE_BEFORE_MARK = re.compile(r"\w\s+[.,?!](?!\w)")


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


def _careless(text: str, language: Language) -> bool:
    """True when a Latin-script turn is written carelessly: a sentence opening in lower case, no closing
    punctuation, or a space before a full stop, comma or question mark."""
    if _CJK.search(text) or not _LATIN_LETTER.search(text):
        return False
    parts = signals.sentences(text, language)
    return (
        any(_LOWER_START.match(part.strip()) for part in parts)
        or not _CLOSED.search(text.strip())
        or bool(_SPACE_BEFORE_MARK.search(text))
    )


@register_signal("careless_writing", kind="penalty")
def measure_careless_writing(m: Measure) -> SignalResult:
    """Share of the agent's written turns in Latin script that look careless on the page.

    The real logs' mentors mark "lower-case names", "bare fragments without full stops", "'They serve indian
    food .'" under standard phrasing and clarity (the labelling guide's clarity 3: "a typo-ridden line"); on
    real dev the share of such turns goes with a lower standard-phrasing level within WOZ 2.0, CamRest676,
    STAR, MultiWOZ and Taskmaster alike. Only form is read, never words. Not applicable to a call (the
    guide: lower case in a speech transcript costs nothing) or when no agent turn is in Latin script
    (Chinese chat often ends a message without a full stop).
    """
    channel = m.case.channel if m.case is not None else m.transcript.channel
    if channel in PHONE_OPENING_CHANNELS:
        return NOT_APPLICABLE
    written = [t for t in m.agent_turns if _LATIN_LETTER.search(m.rec(t).text) and not _CJK.search(m.rec(t).text)]
    if not written:
        return NOT_APPLICABLE
    careless = [t for t in written if _careless(m.rec(t).text, m.language)]
    negative = [e for t in careless[:1] for e in m.first_sentence(t)]
    weak = Moment(careless[0], PhraseStage.solution) if careless else None
    return SignalResult(len(careless) / len(written), negative=negative, weak=weak)
