"""Signals of listening: sympathy, feelings before facts, the need confirmed, questions answered."""

from __future__ import annotations

from simulator.grading import signals
from simulator.grading.measure import (
    FACT_ACTS,
    FEELING_ACTS,
    NOT_APPLICABLE,
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.grading.rules import COURTESY_ACTS
from simulator.models import DialogueAct, PhraseStage
from simulator.quotes import normalise


@register_signal("empathy", kind="behaviour")
def measure_empathy(m: Measure) -> SignalResult:
    first = m.first_act(FEELING_ACTS)
    if first is None:
        after_customer = next((t for t in m.agent_turns if t > 0), m.agent_turns[0])
        return SignalResult(0.0, weak=Moment(after_customer, PhraseStage.empathy))
    # Full credit when the sympathy names the customer's own situation ("让您饿着肚子干等半个多小时",
    # or "I'm so sorry. A missing bag two days before the wedding..."); a stock formula on its own
    # ("理解您的心情") earns half.
    # An apology that softens a refusal ("I'm very sorry, but there is no room available at the Old Town Inn")
    # names the request, not the customer's situation: the real logs' mentors call it "a stock 'sorry to
    # inform you'", so it earns the stock half at most.
    for turn in m.agent_turns:
        refusing = {part.text for part in m.rec(turn).sentences if part.has(DialogueAct.refusal)}
        for act in FEELING_ACTS:
            for quote in m.rec(turn).quotes(act):
                for sentence in m.sentences_from(turn, quote, 1):
                    if m.specific(sentence, turn) and not any(sentence in r or r in sentence for r in refusing):
                        return SignalResult(1.0, positive=m.evidence(turn, sentence))
    return SignalResult(0.5, positive=m.evidence(first[0], first[2]), weak=Moment(first[0], PhraseStage.empathy))


@register_signal("feelings_first", kind="behaviour")
def measure_feelings_first(m: Measure) -> SignalResult:
    feeling = m.first_act(FEELING_ACTS)
    fact = m.first_act(FACT_ACTS)
    if fact is None or (feeling is not None and feeling[:2] <= fact[:2]):
        if feeling is None:
            return SignalResult(0.0, weak=Moment(m.agent_turns[0], PhraseStage.empathy))
        return SignalResult(1.0, positive=m.evidence(feeling[0], feeling[2]))
    return SignalResult(0.0, negative=m.evidence(fact[0], fact[2]), weak=Moment(fact[0], PhraseStage.empathy))


@register_signal("confirm_need", kind="behaviour")
def measure_confirm_need(m: Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.confirm_need)
    if quotes:
        return SignalResult(1.0, positive=quotes[:1])
    asking = next((t for t in m.agent_turns if m.rec(t).has(DialogueAct.ask_fact)), m.agent_turns[0])
    # Cases have no "confirm" stage; their empathy line is the one that names the customer's need.
    return SignalResult(0.0, weak=Moment(asking, PhraseStage.empathy))


@register_signal("own_words", kind="behaviour")
def measure_own_words(m: Measure) -> SignalResult:
    """Share of the agent's replies that pick up what the customer said: a sentence, not only courtesy,
    that carries the customer's own content words from before it (``Measure.specific``).

    The labelling guide's listening 5 "restates the need, names the customer's actual worry or loss";
    an agent who answers with the customer's own terms ("the payroll on Friday", "4米铜管") has listened,
    whether or not a sympathy formula the recogniser knows is there. Replies before any customer
    word are not counted.
    """
    replies = [turn for turn in m.agent_turns if m.customer_text_before(turn).strip()]
    if not replies:
        return NOT_APPLICABLE
    picked: list[tuple[int, str]] = []
    missed: list[int] = []
    for turn in replies:
        found = next(
            (
                sentence.text
                for sentence in m.rec(turn).sentences
                if not ({item.act for item in sentence.acts} and {item.act for item in sentence.acts} <= COURTESY_ACTS)
                and m.specific(sentence.text, turn)
            ),
            None,
        )
        if found is None:
            missed.append(turn)
        else:
            picked.append((turn, found))
    value = len(picked) / len(replies)
    positive = [e for turn, sentence in picked[:1] for e in m.evidence(turn, sentence)]
    weak = Moment(missed[0], PhraseStage.empathy) if missed else None
    return SignalResult(value, positive=positive, weak=weak)


@register_signal("mood_trend", kind="trend")
def measure_mood_trend(m: Measure) -> SignalResult:
    if len(m.moods) < 2:
        return NOT_APPLICABLE
    change = m.moods[-1] - m.moods[0]
    step = m.weights.thresholds.mood_change
    if change <= -step:
        return SignalResult(1.0)
    if change >= step:
        return SignalResult(-1.0, weak=Moment(None, PhraseStage.empathy))
    return SignalResult(0.0)


@register_signal("unanswered_question", kind="penalty", rule="unanswered_question")
def measure_unanswered_question(m: Measure) -> SignalResult:
    return m.finding_signal("unanswered_question", PhraseStage.clarify)


@register_signal("all_answered", kind="behaviour", rule="unanswered_question")
def measure_all_answered(m: Measure) -> SignalResult:
    """Every customer question got an answer: no unanswered question, none dodged with a non-number."""
    asked = any(
        signals.is_question(sentence, m.language)
        for turn in m.transcript.turns
        if turn.role == "customer"
        for sentence in signals.sentences(turn.text, m.language)
    )
    if not asked:
        return NOT_APPLICABLE
    unanswered = m.signal("unanswered_question")
    evasive = m.signal("evasive_answer")
    if unanswered.value or evasive.value:
        return SignalResult(0.0, weak=unanswered.weak or evasive.weak)
    return SignalResult(1.0)


@register_signal("rule_first", kind="penalty")
def measure_rule_first(m: Measure) -> SignalResult:
    """The first reply leads with a rule or a refusal before asking or acknowledging anything.

    Not applicable to a rational customer: for them the facts and the rule come first by design.
    """
    if m.archetype == "rational":
        return NOT_APPLICABLE
    listening = {DialogueAct.ask_fact, DialogueAct.confirm_need, *FEELING_ACTS}
    for turn in m.opening:
        for match in m.rec(turn).matches:
            if match.act in listening:
                return SignalResult(0.0)
            if match.act in (DialogueAct.explain_policy, DialogueAct.refusal):
                quote = m.sentence_of(turn, match.quote)
                return SignalResult(1.0, negative=m.evidence(turn, quote), weak=Moment(turn, PhraseStage.empathy))
    return SignalResult(0.0)


@register_signal("asks_again", kind="penalty")
def measure_asks_again(m: Measure) -> SignalResult:
    """Customer replies that say the agent's last answer did not land ("你就说怎么改")."""
    pattern = signals.grading_patterns(m.language).asks_again
    missed: list[int] = []
    previous_agent: int | None = None
    for index, turn in enumerate(m.transcript.turns):
        if turn.role == "agent":
            previous_agent = index
        # A customer who says "just tell me" after a concrete answer is impatient by nature; it
        # counts against the agent only when the answer before it gave nothing concrete.
        elif (
            previous_agent is not None
            and pattern.search(turn.text)
            and not m.concrete_answer(m.rec(previous_agent).text)
        ):
            missed.append(previous_agent)
    negative = [e for turn in missed for e in m.first_sentence(turn)]
    weak = Moment(missed[0], PhraseStage.solution) if missed else None
    return SignalResult(float(len(missed)), negative=negative, weak=weak)


@register_signal("evasive_answer", kind="penalty")
def measure_evasive_answer(m: Measure) -> SignalResult:
    """Customer questions that want a number, time or date, answered with neither (nor an honest limit)."""
    patterns = signals.grading_patterns(m.language)
    evasive: list[int] = []
    for customer, burst in m.replies:
        asked = [
            sentence
            for sentence in signals.sentences(m.text(customer), m.language)
            if signals.is_question(sentence, m.language) and patterns.quantity_question.search(sentence)
        ]
        # Asking back for a fact needed to answer is not dodging the question.
        asks_back = any(m.rec(t).has(DialogueAct.ask_fact) for t in burst)
        if asked and not asks_back and not m.concrete_answer("\n".join(m.rec(t).text for t in burst)):
            evasive.append(burst[0])
    negative = [e for turn in evasive for e in m.first_sentence(turn)]
    weak = Moment(evasive[0], PhraseStage.solution) if evasive else None
    return SignalResult(float(len(evasive)), negative=negative, weak=weak)


@register_signal("repeated_question", kind="penalty")
def measure_repeated_question(m: Measure) -> SignalResult:
    """Agent questions asked again word for word after the customer had answered them.

    The labelling guide's listening 1 "asks again for what was answered" and adaptability 1 "loops on a
    script": STAR's template agents send "What doctor would you like to see?" or "When are you arriving?"
    a second time after the customer's reply. A question is one the recogniser or its form reads as asking;
    a sentence that is only courtesy ("Is there anything else that I can do for you?") is not counted, nor
    a question inside a turn that repeats a whole earlier turn (``repeated_reply`` counts that one).
    """
    repeated_turns = {f.turn for f in m.findings_of("repeated_reply")}
    asked: dict[str, int] = {}
    again: list[tuple[int, str]] = []
    for turn in m.agent_turns:
        for sentence in m.rec(turn).sentences:
            acts = {item.act for item in sentence.acts}
            key = normalise(sentence.text).strip()
            if not key or not sentence.is_question or (acts and acts <= COURTESY_ACTS):
                continue
            first = asked.setdefault(key, turn)
            answered = any(t.role == "customer" for t in m.transcript.turns[first:turn])
            if first < turn and answered and turn not in repeated_turns:
                again.append((turn, sentence.text))
    negative = [e for turn, sentence in again for e in m.evidence(turn, sentence)]
    weak = Moment(again[0][0], PhraseStage.clarify, again[0][1]) if again else None
    return SignalResult(float(len(again)), negative=negative, weak=weak)


@register_signal("asked_for_given", kind="penalty")
def measure_asked_for_given(m: Measure) -> SignalResult:
    """Agent questions for a fact the customer had already given: the customer's reply only repeats it.

    The real logs' mentors mark "asks for the price range the customer gave in the first line" (WOZ 2.0,
    CamRest676: listening 2, the labelling guide's "asks again for what was answered"). Whether a question
    asks for something given cannot be read from the question alone (asking by meaning fired on most STAR
    logs: "May I have your name?" is close to any request), but the customer's answer shows it: every content
    word of the reply ("Cheap.", "I don't care.") was already in what the customer said before the question.
    A question that checks back (``confirm_need``) is no such question: reading a detail back is care.
    """
    found: list[tuple[int, str]] = []
    turns = m.transcript.turns
    for turn in m.agent_turns:
        # A choice put to the customer ("the address on file or the new one?") is answered with words of the
        # question or of the request: on synthetic dev that read two excellent agents as asking again.
        asking = [
            s for s in m.rec(turn).sentences if s.has(DialogueAct.ask_fact) and not s.has(DialogueAct.confirm_need)
        ]
        reply = next((t for t in turns[turn + 1 :] if t.role != "agent"), None)
        if not asking or reply is None or reply.role != "customer":
            continue
        given = signals.content_tokens(m.customer_text_before(turn), m.language)
        answer = signals.content_tokens(reply.text, m.language)
        if given and answer and answer <= given:
            found.append((turn, asking[-1].text))
    negative = [e for turn, sentence in found for e in m.evidence(turn, sentence)]
    weak = Moment(found[0][0], PhraseStage.clarify, found[0][1]) if found else None
    return SignalResult(float(len(found)), negative=negative, weak=weak)
