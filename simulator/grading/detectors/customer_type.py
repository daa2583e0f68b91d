"""Signals of fit to the customer type (see ``docs/grader-signals.md`` for each type)."""

from __future__ import annotations

from collections.abc import Callable

from simulator.grading.measure import (
    FEELING_ACTS,
    NOT_APPLICABLE,
    SUBSTANTIVE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, Evidence, PhraseStage


@register_signal("archetype_fit", kind="behaviour")
def measure_archetype_fit(m: Measure) -> SignalResult:
    """How well the agent's style suits the customer's type (``ARCHETYPE_FITS``, one reading per type)."""
    fit = ARCHETYPE_FITS.get(m.archetype or "")
    # Type unknown (a real log): the style was never tested, so no point either way (labelling guide:
    # adaptability is 3 when the customer's type never came into play). A fixed half credit here lifted
    # every real log's adaptability.
    return fit(m) if fit is not None else NOT_APPLICABLE


def _fit_impatient(m: Measure) -> SignalResult:
    """Straight to the point: something substantive in the first reply (half credit in the second), and
    never making the customer push for an answer. Wordiness is judged under clarity."""
    early = m.agent_turns[:2]
    first = bool(m.rec(early[0]).acts & set(SUBSTANTIVE))
    quick = first or any(m.rec(t).acts & set(SUBSTANTIVE) for t in early)
    quotes = [q for t in early for act in SUBSTANTIVE for q in m.act_quotes(act, [t])]
    pushed = m.signal("asks_again").value or m.signal("evasive_answer").value
    value = 0.5 * (1.0 if first else (0.5 if quick else 0.0)) + 0.5 * (0.0 if pushed else 1.0)
    return SignalResult(
        value, positive=quotes[:1], weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.solution)
    )


def _fit_emotional(m: Measure) -> SignalResult:
    """Feelings first: sympathy in the opening, else half for feelings before facts later."""
    opening_feel = [q for act in FEELING_ACTS for q in m.act_quotes(act, m.opening)]
    if opening_feel:
        return SignalResult(1.0, positive=opening_feel[:1])
    value = 0.5 if m.signal("feelings_first").value else 0.0
    return SignalResult(value, positive=m.signal("empathy").positive, weak=Moment(m.opening[0], PhraseStage.empathy))


def _fit_skeptical(m: Measure) -> SignalResult:
    """Evidence: a checked fact, else half for a rule explained."""
    proof = m.act_quotes(DialogueAct.give_proof)
    if proof:
        return SignalResult(1.0, positive=proof[:1])
    policy = m.act_quotes(DialogueAct.explain_policy)
    return SignalResult(
        0.5 if policy else 0.0, positive=policy[:1], weak=Moment(m.agent_turns[-1], PhraseStage.solution)
    )


def _fit_rational(m: Measure) -> SignalResult:
    """½ precise figures + ½ reasoning (a rule, a checked fact or the need checked back)."""
    numbers = m.marker_sentences("concrete")
    reasoning = (
        m.act_quotes(DialogueAct.explain_policy)
        + m.act_quotes(DialogueAct.give_proof)
        + m.act_quotes(DialogueAct.confirm_need)
    )
    value = 0.5 * bool(numbers) + 0.5 * bool(reasoning)
    return SignalResult(
        value,
        positive=(numbers[:1] + reasoning[:1]),
        weak=None if value >= 1 else Moment(m.agent_turns[-1], PhraseStage.solution),
    )


def _fit_elderly(m: Measure) -> SignalResult:
    """Plain and patient: no internal terms, and making sure she has understood — by confirming the
    need or by answering each of her questions. (Long turns cost clarity, not fit.)"""
    plain = 0.0 if m.findings_of("jargon") else 1.0
    confirm = m.signal("confirm_need")
    answered = m.signal("all_answered")
    understood = max(confirm.value, answered.value if answered.applicable else 0.0)
    value = 0.5 * plain + 0.5 * understood
    return SignalResult(
        value, positive=confirm.positive, weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.clarify)
    )


def _fit_bargainer(m: Measure) -> SignalResult:
    """½ a resolution offered + ½ staying within limits (no over-promise)."""
    offered = m.signal("resolution_offered")
    firm = 0.0 if m.findings_of("over_promise") else 1.0
    value = 0.5 * offered.value + 0.5 * firm
    return SignalResult(
        value,
        positive=offered.positive,
        weak=None if value >= 1 else Moment(m.agent_turns[-1], PhraseStage.solution),
    )


def _fit_hostile(m: Measure) -> SignalResult:
    """½ calm acknowledgement (empathy) + ½ clean wording."""
    calm = m.signal("empathy")
    clean = m.signal("clean_wording").value
    value = 0.5 * calm.value + 0.5 * clean
    return SignalResult(
        value, positive=calm.positive, weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.empathy)
    )


@register_signal("archetype_misfit", kind="penalty")
def measure_archetype_misfit(m: Measure) -> SignalResult:
    kind = m.archetype
    if kind == "elderly":
        hits = m.findings_of("jargon")
        negative = [e for f in hits for e in m.evidence(f.turn, f.quote)]
        return SignalResult(
            1.0 if hits else 0.0,
            negative=negative[:2],
            weak=Moment(hits[0].turn, PhraseStage.solution) if hits else None,
        )
    if kind == "emotional":
        # Ignoring the feelings altogether, or going to the facts first, is the classic mistake.
        feelings = m.signal("feelings_first")
        if feelings.value:
            return SignalResult(0.0)
        if m.first_act(FEELING_ACTS) is None:
            # Half: sympathy in words the lexicon does not know yet must not cost the full misfit.
            return SignalResult(0.5, weak=Moment(m.opening[0], PhraseStage.empathy))
        return SignalResult(1.0, negative=feelings.negative, weak=feelings.weak)
    if kind == "skeptical":
        if m.has_act(DialogueAct.give_proof):
            return SignalResult(0.0)
        promises = m.act_quotes(DialogueAct.promise)
        return SignalResult(
            1.0 if promises else 0.0,
            negative=promises[:1],
            weak=Moment(promises[0].turn, PhraseStage.solution) if promises else None,
        )
    if kind == "rational":
        feeling_turns = [t for t in m.agent_turns if m.rec(t).acts & set(FEELING_ACTS)]
        mostly = len(feeling_turns) > 0.6 * len(m.agent_turns) and len(m.agent_turns) >= 2
        misfit = mostly and not m.marker_sentences("concrete")
        return SignalResult(
            1.0 if misfit else 0.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution) if misfit else None
        )
    if kind in ("casual", "reticent", "hard_of_hearing"):
        # A lecture to a texter, a paragraph to a one-word customer, a long run of words down a phone line
        # to someone who cannot hear it: the long turn is these types' classic mistake.
        long_turns = m.finding_signal("long_turn", PhraseStage.solution)
        jargon = m.findings_of("jargon") if kind == "hard_of_hearing" else []
        misfit = bool(long_turns.value or jargon)
        return SignalResult(1.0 if misfit else 0.0, negative=long_turns.negative[:2], weak=long_turns.weak)
    if kind in ("bargainer", "hostile", "hesitant", "merchant"):
        # A hesitant buyer pushed with a promise beyond what can be kept, a seller told what he wants to hear.
        rule = "forbidden_phrase" if kind == "hostile" else "over_promise"
        found = m.finding_signal(rule, PhraseStage.solution)
        return SignalResult(1.0 if found.value else 0.0, negative=found.negative[:2], weak=found.weak)
    return NOT_APPLICABLE


# The persona types beyond the training material's seven fits above (personas/*.yaml: casual,
# reticent, hesitant, hard_of_hearing, merchant). Each fit reads what the persona's own portrait and mood
# reactions say calms it, and what its mentors credit (synthetic dev, 2026-12-03: "short messages for a
# texting shopper", "yes/no questions and short turns for a customer who answers in a word", "short
# sentences, repeats key points", "narrows it to two options ... reasons not pressure", "gives a seller who
# knows the rules the exact basis"). Without them these types' transcripts were not applicable, so the
# excellent agents who adapted earned nothing for it.


def _short_turns(m: Measure) -> float:
    """1 when no agent turn is long (no ``long_turn`` finding) and the turns are concise on average."""
    return 0.0 if m.findings_of("long_turn") else m.signal("concise").value


def _fit(m: Measure, parts: list[tuple[float, list[Evidence]]]) -> SignalResult:
    """The mean of equally weighted parts (value, quotes), with the first quote found as evidence."""
    value = sum(part for part, _ in parts) / len(parts)
    positive = [quote for _, quotes in parts for quote in quotes][:1]
    return SignalResult(
        value, positive=positive, weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.solution)
    )


def _fit_casual(m: Measure) -> SignalResult:
    """A texter: ½ short messages + ½ a substantive move in the first two replies (no script first)."""
    early = m.agent_turns[:2]
    quotes = [q for act in SUBSTANTIVE for q in m.act_quotes(act, early)]
    return _fit(m, [(_short_turns(m), []), (1.0 if quotes else 0.0, quotes)])


def _fit_reticent(m: Measure) -> SignalResult:
    """A one-word customer: ½ short turns + ½ the agent leads with closed questions (a choice, or the need
    checked back) instead of open ones the customer will not answer."""
    leads = m.act_quotes(DialogueAct.ask_choice) + m.act_quotes(DialogueAct.confirm_need)
    return _fit(m, [(_short_turns(m), []), (1.0 if leads else 0.0, leads)])


def _fit_hard_of_hearing(m: Measure) -> SignalResult:
    """A caller who cannot hear well: ½ short and plain (no long turn, no jargon) + ½ making sure the key
    points landed (the need or the details checked back, or every question answered)."""
    plain = 0.0 if m.findings_of("jargon") else _short_turns(m)
    confirm = m.signal("confirm_need")
    answered = m.signal("all_answered")
    understood = max(confirm.value, answered.value if answered.applicable else 0.0)
    return _fit(m, [(plain, []), (understood, confirm.positive)])


def _fit_hesitant(m: Measure) -> SignalResult:
    """A buyer afraid of choosing wrong: ½ reasons or evidence to decide on (a rule explained, a checked fact,
    something precise) + ½ the choice laid out (options put to the customer, or more than one resolution)."""
    reasons = m.act_quotes(DialogueAct.explain_policy) + m.act_quotes(DialogueAct.give_proof)
    reasons = reasons or m.marker_sentences("concrete")
    options = m.act_quotes(DialogueAct.ask_choice)
    alternative = m.signal("alternative")
    laid_out = 1.0 if options or (alternative.applicable and alternative.value) else 0.0
    return _fit(m, [(1.0 if reasons else 0.0, reasons), (laid_out, options or alternative.positive)])


def _fit_merchant(m: Measure) -> SignalResult:
    """A seller who knows the rules: ½ the exact basis (a checked fact, else a rule explained at half) + ½
    something precise done or said (an amount, a date, a time)."""
    proof = m.act_quotes(DialogueAct.give_proof)
    policy = m.act_quotes(DialogueAct.explain_policy)
    basis = 1.0 if proof else (0.5 if policy else 0.0)
    numbers = m.marker_sentences("concrete")
    return _fit(m, [(basis, proof or policy), (1.0 if numbers else 0.0, numbers)])


#: One fit per customer type (personas/*.yaml `archetype`); a type not listed is not applicable.
ARCHETYPE_FITS: dict[str, Callable[[Measure], SignalResult]] = {
    "impatient": _fit_impatient,
    "emotional": _fit_emotional,
    "skeptical": _fit_skeptical,
    "rational": _fit_rational,
    "elderly": _fit_elderly,
    "bargainer": _fit_bargainer,
    "hostile": _fit_hostile,
    "casual": _fit_casual,
    "reticent": _fit_reticent,
    "hard_of_hearing": _fit_hard_of_hearing,
    "hesitant": _fit_hesitant,
    "merchant": _fit_merchant,
}
