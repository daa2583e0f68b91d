"""Signals of compliance: a limit stated honestly, with its reason.

An agent who says plainly what it cannot do and why ("I can't do today: approved claims are paid within
7 to 10 business days", "票是实时卖的，我这边没有办法单独给您留票") keeps to the policy out loud; the
labelling guide credits that under compliance. Without this signal such an agent earned nothing for it,
while the same refusal, misread as a brush-off, could still cost it (synthetic dev, 2026-12-03).
"""

from __future__ import annotations

from simulator.grading import signals
from simulator.grading.measure import NOT_APPLICABLE, Measure, SignalResult
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, Evidence
from simulator.recognizer import RecognizedTurn

# Acts that give the reason for a limit: the rule itself, or the checked fact behind it.
_REASONS = (DialogueAct.explain_policy, DialogueAct.give_proof)


@register_signal("limits_stated", kind="behaviour")
def measure_limits_stated(m: Measure) -> SignalResult:
    """1 when the agent states a limit (a refusal, or an honest limit such as "I can't promise the day")
    together with its reason (a policy or a checked fact in the same or a neighbouring sentence of the turn),
    in a sentence no rule finding faults; not applicable otherwise, since many calls need no limit at all.
    """
    found = stated_limits(m)
    if not found:
        return NOT_APPLICABLE
    return SignalResult(1.0, positive=found[:1])


def stated_limits(m: Measure) -> list[Evidence]:
    """Quotes of every limit the agent stated with its reason (see ``measure_limits_stated``)."""
    honest = signals.grading_patterns(m.language).honest_limit
    found: list[Evidence] = []
    for turn in m.agent_turns:
        recognized = m.rec(turn)
        parts = recognized.sentences
        for index, part in enumerate(parts):
            limit = part.has(DialogueAct.refusal) or bool(honest.search(part.text))
            # A sentence a finding faults (a brush-off, a red line) earns nothing, however candid it sounds.
            if limit and m.creditable(turn, part.text) and _reason_near(recognized, index):
                found.extend(m.evidence(turn, part.text))
    return found


def _reason_near(recognized: RecognizedTurn, index: int) -> bool:
    """The sentence at ``index`` or one beside it gives a reason (a policy or a checked fact)."""
    parts = recognized.sentences
    near = parts[max(0, index - 1) : index + 2]
    return any(part.has(act) for part in near for act in _REASONS)
