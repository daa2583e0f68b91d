"""Signals of problem solving: facts asked, resolutions offered and pinned down, refusals, limits."""

from __future__ import annotations

from collections.abc import Iterable

from simulator.grading import answering, signals
from simulator.grading.measure import (
    NOT_APPLICABLE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.grading.rules import COURTESY_ACTS
from simulator.models import DialogueAct, Evidence, Language, PhraseStage
from simulator.recognition.sentence_acts import ActScore, recognize_spans
from simulator.recognition.sentences import Span


def refusals(m: Measure) -> tuple[list[int], list[int]]:
    alternatives = {
        DialogueAct.offer_solution,
        DialogueAct.escalate,
        DialogueAct.explain_policy,
        DialogueAct.give_proof,
    }
    refusing = [t for t in m.agent_turns if m.rec(t).has(DialogueAct.refusal)]
    bare = [t for t in refusing if not (m.rec(t).acts & alternatives)]
    return refusing, bare


@register_signal("facts_asked", kind="behaviour")
def measure_facts_asked(m: Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.ask_fact)
    first_offer = m.first_act((DialogueAct.offer_solution,))
    weak_turn = first_offer[0] if first_offer else m.agent_turns[0]
    if m.case is None:
        # Which facts a problem needs is the case's to say; without one, asking is no evidence of solving
        # (STAR's scripted agents ask every slot, CrossWOZ's customers state theirs unasked, and the
        # mentors credit neither: real dev logs, 2026-12-02, nested CV by dataset).
        return NOT_APPLICABLE
    required = [fact.key for fact in m.case.hidden_facts if fact.required]
    if not required:
        return NOT_APPLICABLE
    asked = {key for turn in m.agent_turns for key in m.rec(turn).asked_facts} | m.volunteered
    share = sum(1 for key in required if key in asked) / len(required)
    # A good agent asks only for what the system does not already show, so covering
    # ``facts_full_share`` of the required facts earns full credit.
    value = min(1.0, share / m.weights.thresholds.facts_full_share)
    return SignalResult(value, positive=quotes[:2], weak=None if value >= 1 else Moment(weak_turn, PhraseStage.clarify))


# A sentence doing any of these is not an answer to what the customer asked, whatever its meaning.
NOT_AN_ANSWER: frozenset[DialogueAct] = frozenset(
    {DialogueAct.hedge, DialogueAct.refusal, DialogueAct.forbidden_phrase, DialogueAct.private_data_request}
)


def answers_given(m: Measure) -> list[Evidence]:
    """Agent statements that answer what the customer just asked or asked for, paired by meaning.

    Without a case, a request for information is solved by the information: "Dr. Alexis has an
    opening on Friday at 8 am" answers "is there any other time?". A statement counts when it is
    not a question, not only courtesy, carries no hedge, refusal or red-line act, and is at least
    as close in meaning to one of the customer's sentences since the agent last spoke as the
    question-answer similarity chosen on dev (``answering.any_answers``), unless the customer's next turn
    says the reply was no answer (``_pushed_back``).
    """
    found: list[Evidence] = []
    asked: list[str] = []
    for index, turn in enumerate(m.transcript.turns):
        if turn.role == "customer":
            asked.extend(signals.sentences(turn.text, m.language))
            continue
        if turn.role != "agent" or not asked:
            continue
        if _pushed_back(m, index):
            asked = []
            continue  # the customer says this reply was no answer, whatever it resembles
        for sentence in m.rec(index).sentences:
            if not _statement(sentence.acts, sentence.is_question):
                continue
            if answering.any_answers(asked, [sentence.text], m.language) and m.creditable(index, sentence.text):
                found.extend(m.evidence(index, sentence.text))
        asked = []
    return found


def informs(m: Measure, sentence: str, turn: int) -> bool:
    """True when ``sentence`` tells the customer something they did not say themselves before agent turn
    ``turn``: at least ``thresholds.new_information_tokens`` content tokens of its own (a name, a place, an
    amount, a masked value such as "__email__" or "#CX")."""
    said = signals.content_tokens(m.customer_text_before(turn), m.language)
    return len(signals.content_tokens(sentence, m.language) - said) >= m.weights.thresholds.new_information_tokens


@register_signal("concrete_replies", kind="behaviour")
def measure_concrete_replies(m: Measure) -> SignalResult:
    """Without a case: the share of the agent's replies that give the customer something — a statement that
    answers by meaning what the customer said since the agent last spoke, or informs them (``informs``),
    unless the customer's next turn says it was no answer (``_pushed_back``).

    A statement here is what ``answers_given`` accepts: not a question, not only courtesy, no hedge,
    refusal, brush-off or private-data act, no rule finding on it. A reply that only asks the next slot,
    repeats a stock line or says goodbye gives nothing. Real logs' mentors reward the agent who answers
    each request with specifics ("Chiquito Restaurant Bar is a Mexican restaurant in the south part of
    town") and mark down the one whose side is thin or only reads slots; a single answer somewhere
    (``resolution_offered``) cannot tell those apart. With a case, the case's resolutions say what solving
    is: not applicable.
    """
    if m.case is not None:
        return NOT_APPLICABLE
    gave: list[Evidence] = []
    missed: list[int] = []
    counted = 0
    for customer, burst in m.replies:
        asked = [s for t in _customer_run(m, customer) for s in signals.sentences(t, m.language)]
        if _only_courtesy(asked, m.language):
            continue  # "Thanks, bye." asks for nothing: a goodbye in reply gives nothing and misses nothing
        counted += 1
        found = next(
            (
                (turn, sentence.text)
                for turn in burst
                for sentence in m.rec(turn).sentences
                if _statement(sentence.acts, sentence.is_question)
                and m.creditable(turn, sentence.text)
                and (informs(m, sentence.text, turn) or answering.any_answers(asked, [sentence.text], m.language))
            ),
            None,
        )
        if found is None or _pushed_back(m, burst[-1]):
            missed.append(burst[0])
        elif len(gave) < m.weights.thresholds.max_evidence:
            gave.extend(m.evidence(*found))
    if not counted:
        return NOT_APPLICABLE
    value = 1 - len(missed) / counted
    weak = Moment(missed[0], PhraseStage.solution) if missed else None
    return SignalResult(value, positive=gave[:2], weak=weak)


def _pushed_back(m: Measure, last: int) -> bool:
    """True when the customer's first turn after agent turn ``last`` says the reply was no answer (the trainers'
    ``asks_again`` list: "What? That's not an answer.", "Yes or no?", "说了等于没说").

    Keyword salad ("Refund, ticket, policy, membership, cancellation, understand, sorry, resolve, priority")
    carries words the customer did not say and is close in meaning to anything about service, so neither
    ``informs`` nor the question-answer similarity can tell it from an answer; the customer can.
    """
    after = next((t for t in m.transcript.turns[last + 1 :] if t.role == "customer"), None)
    return after is not None and bool(signals.grading_patterns(m.language).asks_again.search(after.text))


def _customer_run(m: Measure, customer: int) -> list[str]:
    """The customer's turns since the agent last spoke, ending with turn ``customer``."""
    run: list[str] = []
    for turn in reversed(m.transcript.turns[: customer + 1]):
        if turn.role == "agent":
            break
        if turn.role == "customer":
            run.insert(0, turn.text)
    return run


def _only_courtesy(said: list[str], language: Language) -> bool:
    """True when every sentence the customer said is recognised, and only as courtesy (thanks, goodbye)."""
    if not said:
        return False
    read = recognize_spans([Span(text, 0, len(text)) for text in said], language)
    return all(part.acts and {item.act for item in part.acts} <= COURTESY_ACTS for part in read)


def _statement(acts: Iterable[ActScore], is_question: bool) -> bool:
    """True when a sentence with these acts states something: not a question, not only courtesy, no act
    that answers nothing (``NOT_AN_ANSWER``)."""
    found = {item.act for item in acts}
    return not (is_question or found & NOT_AN_ANSWER or (found and found <= COURTESY_ACTS))


@register_signal("resolution_offered", kind="behaviour")
def measure_resolution_offered(m: Measure) -> SignalResult:
    # A hedge is not a solution: only offers and promises with a concrete what, when or how much
    # count ("补发或者全额退款都可以为您安排，具体要看情况" counts for nothing; docs/commitments.md).
    quotes = m.solid_offers()
    last = m.closing_burst[0] if m.closing_burst else m.agent_turns[-1]
    if m.case is None:
        # Without a case, what the customer asked for answered is the resolution too (issue 12, item 2:
        # "judge whether each customer question got an answer and whether the commitment is concrete").
        quotes = quotes or answers_given(m)
        return SignalResult(
            1.0 if quotes else 0.0, positive=quotes[:2], weak=None if quotes else Moment(last, PhraseStage.solution)
        )
    credited = m.credited_resolutions
    if not credited:
        # An offer that matches none of the case's resolutions is still an offer: half credit, so
        # a resolution of the case still counts more.
        solid = [c.quote for c in m.said if c.solid]
        generic = [e for e in m.plain_offers if any(e.quote in q or q in e.quote for q in solid)]
        if generic:
            return SignalResult(
                m.weights.thresholds.unnamed_offer_credit,
                positive=generic[:1],
                weak=Moment(last, PhraseStage.solution),
            )
        return SignalResult(0.0, weak=Moment(last, PhraseStage.solution))
    positive: list[Evidence] = []
    for item in credited.values():
        positive.extend(m.evidence(item.turn, item.quote))
    return SignalResult(1.0, positive=positive[:2])


@register_signal("alternative", kind="behaviour")
def measure_alternative(m: Measure) -> SignalResult:
    """More than one of the case's acceptable resolutions was put to the customer (a choice).

    A case with a single acceptable resolution has no alternative to offer (the labelling guide's "an
    alternative where useful"): there the one resolution, committed to, is all there was to give. Not
    applicable, it added nothing, so an excellent agent in such a case could not reach what one in a case
    with two could (synthetic dev, 2026-12-03).
    """
    if m.case is None:
        return NOT_APPLICABLE
    if len(m.case.acceptable_resolutions) < 2:
        only = list(m.credited_resolutions.values())[:1]
        return SignalResult(1.0 if only else 0.0, positive=[e for c in only for e in m.evidence(c.turn, c.quote)])
    credited = list(m.credited_resolutions.values())
    if len(credited) >= 2:
        positive = [e for item in credited[:2] for e in m.evidence(item.turn, item.quote)]
        return SignalResult(1.0, positive=positive)
    last = m.closing_burst[0] if m.closing_burst else m.agent_turns[-1]
    return SignalResult(0.0, weak=Moment(last, PhraseStage.solution))


@register_signal("concrete_next_step", kind="behaviour")
def measure_concrete_next_step(m: Measure) -> SignalResult:
    """A proof, or something precise, where the agent offers, promises or proves.

    Without a case an answer to what the customer asked is the resolution (``resolution_offered``),
    so a precise answer ("营业时间为：周一至周日 09:00-21:00") is the concrete next step too: an
    information desk's answers are statements, not offers, and CrossWOZ agents who gave every time,
    address and rating asked for had none (real dev logs, 2026-12-02: problem solving 1.3 levels under
    the mentor). A guessed number does not count.
    """
    turns = [
        t
        for t in m.agent_turns
        if m.rec(t).acts & {DialogueAct.offer_solution, DialogueAct.promise, DialogueAct.give_proof}
    ]
    proof = m.act_quotes(DialogueAct.give_proof, turns)
    concrete = m.marker_sentences("concrete", turns)
    if m.case is None and not (proof or concrete):
        patterns = signals.grading_patterns(m.language)
        concrete = [
            e
            for e in answers_given(m)
            if patterns.concrete_markers.search(e.quote) and not patterns.strong_vague_markers.search(e.quote)
        ]
    if proof or concrete:
        return SignalResult(1.0, positive=(proof + concrete)[:1])
    weak_turn = turns[0] if turns else (m.closing_burst[0] if m.closing_burst else m.agent_turns[-1])
    return SignalResult(0.0, weak=Moment(weak_turn, PhraseStage.solution))


@register_signal("follow_up", kind="behaviour")
def measure_follow_up(m: Measure) -> SignalResult:
    """The outcome is pinned down: a reference number, a written confirmation or a set follow-up."""
    proof = m.act_quotes(DialogueAct.give_proof)
    if proof:
        return SignalResult(1.0, positive=proof[:1])
    pattern = signals.grading_patterns(m.language).follow_up
    for turn in m.agent_turns:
        for sentence in signals.sentences(m.rec(turn).text, m.language):
            if pattern.search(sentence) and m.creditable(turn, sentence):
                return SignalResult(1.0, positive=m.evidence(turn, sentence))
    last = m.closing_burst[0] if m.closing_burst else m.agent_turns[-1]
    return SignalResult(0.0, weak=Moment(last, PhraseStage.closing))


@register_signal("escalation", kind="trend")
def measure_escalation(m: Measure) -> SignalResult:
    if m.case is None or m.case.category != "authority":
        return NOT_APPLICABLE
    quotes = m.act_quotes(DialogueAct.escalate)
    if quotes:
        return SignalResult(1.0, positive=quotes[:1])
    return SignalResult(-1.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution))


@register_signal("outcome", kind="trend")
def measure_outcome(m: Measure) -> SignalResult:
    states = [turn.state for turn in m.transcript.turns if turn.role == "customer" and turn.state]
    if not states:
        return NOT_APPLICABLE
    if any(state.goal_met or state.outcome == "resolved" for state in states):
        return SignalResult(1.0)
    if any(state.outcome in ("gave_up", "abandoned") for state in states):
        return SignalResult(-1.0, weak=Moment(None, PhraseStage.solution))
    return SignalResult(0.0)


@register_signal("unacceptable_offer", kind="penalty", rule="unacceptable_offer")
def measure_unacceptable_offer(m: Measure) -> SignalResult:
    return m.finding_signal("unacceptable_offer", PhraseStage.solution)


@register_signal("over_promise", kind="penalty", rule="over_promise")
def measure_over_promise(m: Measure) -> SignalResult:
    return m.finding_signal("over_promise", PhraseStage.solution)


@register_signal("claim_beyond_systems", kind="penalty", rule="claim_beyond_systems")
def measure_claim_beyond_systems(m: Measure) -> SignalResult:
    return m.finding_signal("claim_beyond_systems", PhraseStage.solution)


@register_signal("invented_detail", kind="penalty", rule="invented_detail")
def measure_invented_detail(m: Measure) -> SignalResult:
    return m.finding_signal("invented_detail", PhraseStage.solution)


@register_signal("vague_commitment", kind="penalty", rule="vague_commitment")
def measure_vague_commitment(m: Measure) -> SignalResult:
    return m.finding_signal("vague_commitment", PhraseStage.solution)


@register_signal("refusal_no_offer", kind="penalty")
def measure_refusal_no_offer(m: Measure) -> SignalResult:
    """Refusals with nothing offered or escalated in the same turn (a reason alone solves nothing)."""
    refusing, _ = refusals(m)
    helped = {DialogueAct.offer_solution, DialogueAct.escalate}
    empty = [t for t in refusing if not (m.rec(t).acts & helped)]
    negative = [e for t in empty for e in m.act_quotes(DialogueAct.refusal, [t])[:1]]
    return SignalResult(
        float(len(empty)), negative=negative, weak=Moment(empty[0], PhraseStage.solution) if empty else None
    )


@register_signal("refusal_alternative", kind="behaviour")
def measure_refusal_alternative(m: Measure) -> SignalResult:
    refusing, bare = refusals(m)
    if not refusing:
        return NOT_APPLICABLE
    if bare:
        return SignalResult(0.0, weak=Moment(bare[0], PhraseStage.solution))
    return SignalResult(1.0, positive=m.act_quotes(DialogueAct.refusal, refusing[:1])[:1])


@register_signal("bare_refusal", kind="penalty")
def measure_bare_refusal(m: Measure) -> SignalResult:
    _, bare = refusals(m)
    negative = [e for t in bare for e in m.act_quotes(DialogueAct.refusal, [t])[:1]]
    return SignalResult(
        float(len(bare)), negative=negative, weak=Moment(bare[0], PhraseStage.solution) if bare else None
    )


# Acts that take the customer somewhere after a "no": another option, a commitment, a proof, a handover.
ROUTES_ON: frozenset[DialogueAct] = frozenset(
    {
        DialogueAct.offer_solution,
        DialogueAct.promise,
        DialogueAct.give_proof,
        DialogueAct.ask_choice,
        DialogueAct.escalate,
    }
)


@register_signal("dead_end", kind="penalty")
def measure_dead_end(m: Measure) -> SignalResult:
    """1 when the agent's last refusal stands: nothing offered, promised, proved, proposed or handed over after it.

    The real logs' mentors mark "Sorry, but the flight with id '921' is not available any more." followed only
    by "Is there anything else?" as a dead end (problem solving 2: "no other flight or date offered"), while a
    refusal followed by another slot, hotel or cuisine is help. ``refusal_no_offer`` looks at the refusal's own
    turn only, so a no-results line whose alternative comes in the next turn and one whose alternative never
    comes read alike; this reads the conversation's order.
    """
    standing: tuple[int, str] | None = None
    for turn in m.agent_turns:
        for sentence in m.rec(turn).sentences:
            if sentence.has(DialogueAct.refusal):
                standing = (turn, sentence.text)
            elif standing is not None and any(sentence.has(act) for act in ROUTES_ON):
                standing = None
    if standing is None:
        return SignalResult(0.0)
    return SignalResult(1.0, negative=m.evidence(*standing), weak=Moment(standing[0], PhraseStage.solution))
