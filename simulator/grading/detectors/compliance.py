"""Signals of compliance: privacy notices, guarantees, private data, notes to the grader, rating pleas."""

from __future__ import annotations

from simulator.grading import signals
from simulator.grading.measure import (
    NOT_APPLICABLE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, PhraseStage


@register_signal("risk_notice", kind="behaviour")
def measure_risk_notice(m: Measure) -> SignalResult:
    """A warning about codes and passwords, given unprompted: the labelling guide's compliance 5.

    Where privacy is at stake (a privacy case, or no case) a missing notice reads 0. Elsewhere it is
    credited when given and otherwise not applicable — not missing, so the scorecard never asks every
    call for one: a card-fee or billing agent who adds "任何人找您要验证码…都不要给" gets compliance 5 from
    the mentors as well (synthetic dev, 2026-12-02: the three non-privacy transcripts with such a notice
    all have compliance 5), and was not credited for it.
    """
    pattern = signals.grading_patterns(m.language).risk_notice
    for turn in m.agent_turns:
        for sentence in signals.sentences(m.rec(turn).text, m.language):
            if pattern.search(sentence):
                return SignalResult(1.0, positive=m.evidence(turn, sentence))
    if m.case is not None and m.case.category != "privacy":
        return NOT_APPLICABLE
    return SignalResult(0.0)


@register_signal("vague_guarantee", kind="penalty")
def measure_vague_guarantee(m: Measure) -> SignalResult:
    flagged = {f.turn for f in m.findings_of("over_promise")}
    quotes = [e for e in m.act_quotes(DialogueAct.promise) if e.turn not in flagged]
    return SignalResult(
        1.0 if quotes else 0.0,
        negative=quotes[:1],
        weak=Moment(quotes[0].turn, PhraseStage.solution) if quotes else None,
    )


@register_signal("private_data_request", kind="penalty", rule="private_data_request")
def measure_private_data_request(m: Measure) -> SignalResult:
    return m.finding_signal("private_data_request", PhraseStage.clarify)


@register_signal("grader_instruction", kind="penalty", rule="grader_instruction")
def measure_grader_instruction(m: Measure) -> SignalResult:
    return m.finding_signal("grader_instruction", PhraseStage.solution)


@register_signal("rating_request", kind="penalty", rule="rating_request")
def measure_rating_request(m: Measure) -> SignalResult:
    """``rating_request`` findings: each plea for five stars or a top survey score counts."""
    return m.finding_signal("rating_request", PhraseStage.closing)


@register_signal("critical_error", kind="penalty", rule="critical_error")
def measure_critical_error(m: Measure) -> SignalResult:
    """Red lines crossed with high confidence (``critical_error`` findings; the session fails too)."""
    return m.finding_signal("critical_error", PhraseStage.solution)
