"""Signals of standard phrasing: the opening, the close, forbidden and stock wording."""

from __future__ import annotations

from simulator.grading import fairness, signals
from simulator.grading.measure import (
    NOT_APPLICABLE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, Evidence, PhraseStage


@register_signal("greeting", kind="behaviour", rule="missing_greeting")
def measure_greeting(m: Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.greeting, m.opening)
    if not quotes and not fairness.opening_expected(m.case, m.transcript).greeting:
        # Excused (mid-conversation, online chat): neither marked down nor credited for what was not done.
        return NOT_APPLICABLE
    return SignalResult(
        1.0 if quotes else 0.0, positive=quotes[:1], weak=None if quotes else Moment(m.opening[0], PhraseStage.opening)
    )


@register_signal("missing_greeting", kind="penalty", rule="missing_greeting")
def measure_missing_greeting(m: Measure) -> SignalResult:
    """A greeting forgotten where one was expected (a ``missing_greeting`` finding).

    ``greeting`` alone reads 0 both when it was forgotten and — not applicable — when it was excused
    (a chat, a drill that starts mid-way), and the fitted sum cannot tell the two apart; this
    penalty fires only for the forgotten one, so the fit can weigh it.
    """
    return m.finding_signal("missing_greeting", PhraseStage.opening)


@register_signal("missing_self_intro", kind="penalty", rule="missing_self_intro")
def measure_missing_self_intro(m: Measure) -> SignalResult:
    """A phone opening without the agent's name or staff number (a ``missing_self_intro`` finding);
    like ``missing_greeting``, it separates the forgotten from the excused."""
    return m.finding_signal("missing_self_intro", PhraseStage.opening)


@register_signal("self_intro", kind="behaviour", rule="missing_self_intro")
def measure_self_intro(m: Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.self_intro, m.opening)
    if not fairness.opening_expected(m.case, m.transcript).self_intro:
        # Excused (no phone-style opening): credited when given anyway, else left out of the sum;
        # a free full credit made every chat's phrasing look better than its lines (real dev logs).
        return SignalResult(1.0, positive=quotes[:1]) if quotes else NOT_APPLICABLE
    if not quotes:
        return SignalResult(0.0, weak=Moment(m.opening[0], PhraseStage.opening))
    if m.language == "zh-CN":
        # The standard Chinese opening gives both a name and a staff number (工号); one of them is half.
        number = any("工号" in e.quote for e in quotes)
        name = any("工号" not in e.quote for e in quotes)
        if not (number and name):
            return SignalResult(0.5, positive=quotes[:1], weak=Moment(m.opening[0], PhraseStage.opening))
    return SignalResult(1.0, positive=quotes[:1])


@register_signal("closing", kind="behaviour", rule="missing_closing")
def measure_closing(m: Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.closing, m.closing_burst)
    if quotes:
        return SignalResult(1.0, positive=quotes[-1:])
    last = m.closing_burst[-1]
    courteous = signals.closes_courteously(m.rec(last).text, m.language)
    if courteous:
        return SignalResult(1.0, positive=m.evidence(last, courteous))
    if fairness.customer_ended_after(m.transcript, last):
        return SignalResult(1.0)  # excused: the customer hung up or left before the agent could close
    return SignalResult(0.0, weak=Moment(m.closing_burst[-1], PhraseStage.closing))


@register_signal("clean_wording", kind="behaviour", rule="forbidden_phrase")
def measure_clean_wording(m: Measure) -> SignalResult:
    return SignalResult(0.0 if m.findings_of("forbidden_phrase") else 1.0)


@register_signal("forbidden_phrase", kind="penalty", rule="forbidden_phrase")
def measure_forbidden_phrase(m: Measure) -> SignalResult:
    """``forbidden_phrase`` findings on listed wording: the rubric's phrases and brush-offs, the case's phrasing.

    Listed wording is certain, so this is the signal a score cap may read (compliance at 2).
    """
    return m.finding_signal("forbidden_phrase", PhraseStage.solution, lambda f: not m.by_meaning_alone(f))


@register_signal("forbidden_by_meaning", kind="penalty", rule="forbidden_phrase")
def measure_forbidden_by_meaning(m: Measure) -> SignalResult:
    """``forbidden_phrase`` findings on sentences the recogniser flagged by meaning alone (no listed wording).

    Weighed by the fit, never a score cap: at the confidence chosen on the acts corpus (precision 0.9
    there) the recogniser still reads firm, correct lines of excellent agents as brush-offs ("You won't
    have to.", "Neither of us decides.", "那高空费不该收。"); as a cap each such reading put compliance
    at 2 (synthetic dev with v4, 2026-12-02: of the 40 transcripts whose only forbidden phrasing was read by
    meaning, the mentor gave 16 compliance 4 or 5).

    A reading in a turn where the agent commits to something solid (an unhedged offer, promise or
    checked fact, ``Measure.said``) is left out: there the firm line comes with the solution ("You won't
    have to. I'll have them carry it in."), and a brush-off deflects instead of solving. On synthetic dev
    (2026-12-03) 28 of the 44 readings in excellent or good agents' turns sat beside a solid commitment,
    5 of the 68 in mediocre or poor agents' turns.

    A reading the brush-off check clears is no finding at all (``rules.check_forbidden_phrases``).
    """
    solid_turns = {item.turn for item in m.said if item.solid}
    return m.finding_signal(
        "forbidden_phrase", PhraseStage.solution, lambda f: m.by_meaning_alone(f) and f.turn not in solid_turns
    )


@register_signal("stock_phrase", kind="penalty")
def measure_stock_phrase(m: Measure) -> SignalResult:
    """Sentences built on a canned formula that stands in for an answer ("请您耐心等待")."""
    patterns = signals.grading_patterns(m.language)
    found: list[Evidence] = []
    for turn in m.agent_turns:
        for sentence in signals.sentences(m.rec(turn).text, m.language):
            # With a time or an amount in it, a set phrase carries an answer ("预计10分钟,请您耐心等待").
            if patterns.stock_phrases.search(sentence) and not patterns.concrete_markers.search(sentence):
                found.extend(m.evidence(turn, sentence))
    weak = Moment(found[0].turn, PhraseStage.solution, found[0].quote) if found else None
    return SignalResult(float(len(found)), negative=found, weak=weak)


@register_signal("addresses_customer", kind="behaviour")
def measure_addresses_customer(m: Measure) -> SignalResult:
    """The agent addresses the customer by title and name ("Ms. Foster", "林女士"; ``address_forms`` of
    ``lexicons/grading.yaml``) in a sentence no rule finding faults.

    The labelling guide's standard phrasing 5 "addresses the customer". A chat needs no greeting or name of
    the agent's (``greeting`` and ``self_intro`` are then not applicable), so an excellent chat agent had
    nothing in standard phrasing to tell it from a mediocre one but the close: synthetic dev (2026-12-03),
    agents who address the customer by name have a mentor's standard phrasing of 4.2 (en, 76) and 4.0
    (zh-CN, 119) against 3.3 for the others.
    """
    pattern = signals.grading_patterns(m.language).address_forms
    for turn in m.agent_turns:
        for sentence in signals.sentences(m.rec(turn).text, m.language):
            if pattern.search(signals.without_abbreviation_dots(sentence)) and m.creditable(turn, sentence):
                return SignalResult(1.0, positive=m.evidence(turn, sentence))
    return SignalResult(0.0, weak=Moment(m.agent_turns[0], PhraseStage.opening))
