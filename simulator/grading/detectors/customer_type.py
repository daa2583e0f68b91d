"""Signals of fit to the customer type (see ``docs/grader-signals.md`` for each type)."""

from __future__ import annotations

from simulator.grading.measure import (
    FEELING_ACTS,
    NOT_APPLICABLE,
    SUBSTANTIVE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import DialogueAct, PhraseStage


@register_signal("archetype_fit", kind="behaviour")
def measure_archetype_fit(m: Measure) -> SignalResult:
    kind = m.archetype
    early = m.agent_turns[:2]
    if kind == "impatient":
        # Straight to the point: something substantive in the first reply (half credit in the second),
        # and never making the customer push for an answer. Wordiness is judged under clarity.
        first = bool(m.rec(early[0]).acts & set(SUBSTANTIVE))
        quick = first or any(m.rec(t).acts & set(SUBSTANTIVE) for t in early)
        quotes = [q for t in early for act in SUBSTANTIVE for q in m.act_quotes(act, [t])]
        pushed = m.signal("asks_again").value or m.signal("evasive_answer").value
        value = 0.5 * (1.0 if first else (0.5 if quick else 0.0)) + 0.5 * (0.0 if pushed else 1.0)
        return SignalResult(
            value, positive=quotes[:1], weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.solution)
        )
    if kind == "emotional":
        opening_feel = [q for act in FEELING_ACTS for q in m.act_quotes(act, m.opening)]
        if opening_feel:
            return SignalResult(1.0, positive=opening_feel[:1])
        value = 0.5 if m.signal("feelings_first").value else 0.0
        return SignalResult(
            value, positive=m.signal("empathy").positive, weak=Moment(m.opening[0], PhraseStage.empathy)
        )
    if kind == "skeptical":
        proof = m.act_quotes(DialogueAct.give_proof)
        if proof:
            return SignalResult(1.0, positive=proof[:1])
        policy = m.act_quotes(DialogueAct.explain_policy)
        return SignalResult(
            0.5 if policy else 0.0, positive=policy[:1], weak=Moment(m.agent_turns[-1], PhraseStage.solution)
        )
    if kind == "rational":
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
    if kind == "elderly":
        # Plain and patient: no internal terms, and making sure she has understood — by confirming
        # the need or by answering each of her questions. (Long turns cost clarity, not fit.)
        plain = 0.0 if m.findings_of("jargon") else 1.0
        confirm = m.signal("confirm_need")
        answered = m.signal("all_answered")
        understood = max(confirm.value, answered.value if answered.applicable else 0.0)
        value = 0.5 * plain + 0.5 * understood
        return SignalResult(
            value, positive=confirm.positive, weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.clarify)
        )
    if kind == "bargainer":
        offered = m.signal("resolution_offered")
        firm = 0.0 if m.findings_of("over_promise") else 1.0
        value = 0.5 * offered.value + 0.5 * firm
        return SignalResult(
            value,
            positive=offered.positive,
            weak=None if value >= 1 else Moment(m.agent_turns[-1], PhraseStage.solution),
        )
    if kind == "hostile":
        calm = m.signal("empathy")
        clean = m.signal("clean_wording").value
        value = 0.5 * calm.value + 0.5 * clean
        return SignalResult(
            value, positive=calm.positive, weak=None if value >= 1 else Moment(m.agent_turns[0], PhraseStage.empathy)
        )
    # Type unknown (a real log): the style was never tested, so no point either way (labelling guide:
    # adaptability is 3 when the customer's type never came into play). A fixed half credit here lifted
    # every real log's adaptability.
    return NOT_APPLICABLE


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
    if kind in ("bargainer", "hostile"):
        rule = "over_promise" if kind == "bargainer" else "forbidden_phrase"
        found = m.finding_signal(rule, PhraseStage.solution)
        return SignalResult(1.0 if found.value else 0.0, negative=found.negative[:2], weak=found.weak)
    return NOT_APPLICABLE
