"""Rule checks on how the conversation runs: the opening, the closing, questions left unanswered, long
and repeated agent turns (the rule table is in ``simulator.grading.rules``).

Unanswered questions: the customer turns between two agent bursts are scanned for question
sentences (by form or by an asking act). The agent burst that follows answers them when it does
something substantive (asks for a fact, confirms the need, offers, explains a policy, gives proof,
promises, refuses, escalates), gives a concrete value (a number, a date, a masked value:
``concrete_markers``, structure only), shares a content word (en) or a two-character piece
(zh-CN) with the question, or — by meaning — one of its sentences that is not mere courtesy
(greeting, apology, sympathy, hold, closing, small talk) pairs with the question
(``simulator.grading.answering``: "那熄屏了呢?" → "息屏正常录像哦"). A burst of only greetings,
apologies and sympathy leaves it unanswered. A question that no agent turn follows is reported on
the customer turn unless the customer ended the conversation there.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.grading import answering, fairness, signals
from simulator.grading.rule_context import COURTESY_ACTS, RULES, SUBSTANTIVE_ACTS, RuleContext
from simulator.models import DialogueAct, Finding
from simulator.quotes import cites_enough, normalise


def check_long_turns(ctx: RuleContext) -> list[Finding]:
    """Agent turns longer than the rubric's limit for the language."""
    limit = ctx.long_turn_chars
    findings = []
    for index, recognized in ctx.recognized.items():
        if not recognized.has(DialogueAct.long_turn):
            continue
        text = ctx.transcript.turns[index].text
        findings.append(
            ctx.finding(
                "long_turn",
                index,
                signals.first_sentence(ctx.spoken(index), ctx.language),
                length=len(text.strip()),
                limit=limit if limit is not None else "?",
            )
        )
    return findings


def _burst_has(ctx: RuleContext, burst: Sequence[int], act: DialogueAct) -> bool:
    return any(ctx.credited[index].has(act) for index in burst)


def check_opening(ctx: RuleContext) -> list[Finding]:
    """Greeting and self-introduction in the agent's opening turn(s)."""
    if not ctx.bursts:
        return []
    opening = ctx.bursts[0]
    first = opening[0]
    quote = signals.first_sentence(ctx.spoken(first), ctx.language)
    expected = fairness.opening_expected(ctx.case, ctx.transcript)
    findings = []
    if expected.greeting and not _burst_has(ctx, opening, DialogueAct.greeting):
        findings.append(ctx.finding("missing_greeting", first, quote))
    if expected.self_intro and not _burst_has(ctx, opening, DialogueAct.self_intro):
        findings.append(ctx.finding("missing_self_intro", first, quote))
    return findings


def check_closing(ctx: RuleContext) -> list[Finding]:
    """A closing in the agent's last turn(s), unless the customer ended the conversation after them."""
    if not ctx.bursts:
        return []
    last = ctx.bursts[-1]
    if fairness.customer_ended_after(ctx.transcript, last[-1]):
        return []
    if _burst_has(ctx, last, DialogueAct.closing):
        return []
    index = last[-1]
    if signals.closes_courteously(ctx.spoken(index), ctx.language):
        return []
    return [ctx.finding("missing_closing", index, signals.last_sentence(ctx.spoken(index), ctx.language))]


def _addresses(ctx: RuleContext, burst: Sequence[int], questions: Sequence[str]) -> bool:
    question_tokens: set[str] = set()
    for question in questions:
        question_tokens |= signals.content_tokens(question, ctx.language)
    content: list[str] = []
    for index in burst:
        recognized = ctx.credited[index]
        if recognized.acts & SUBSTANTIVE_ACTS:
            return True
        text = recognized.text
        if signals.grading_patterns(ctx.language).concrete_markers.search(text):
            return True
        if question_tokens & signals.content_tokens(text, ctx.language):
            return True
        content.extend(
            sentence.text
            for sentence in recognized.sentences
            if not ({item.act for item in sentence.acts} and {item.act for item in sentence.acts} <= COURTESY_ACTS)
        )
    return answering.any_answers(questions, content, ctx.language)


def check_unanswered_questions(ctx: RuleContext) -> list[Finding]:
    """Customer questions that the following agent turn(s) do not address (heuristic in the module doc)."""
    turns = ctx.transcript.turns
    findings: list[Finding] = []
    pending: list[tuple[int, str]] = []  # (customer turn, question sentence)

    def flush(burst: Sequence[int] | None) -> None:
        if not pending:
            return
        if burst is None:
            question_turn, question = pending[-1]
            state = turns[question_turn].state
            ended = state is not None and state.outcome is not None
            if not ended:
                findings.append(
                    Finding(
                        rule="unanswered_question",
                        severity=RULES["unanswered_question"].severity,
                        turn=question_turn,
                        quote=question,
                        message=ctx.message("unanswered_trailing", question=question),
                    )
                )
        elif not _addresses(ctx, burst, [question for _, question in pending]):
            question_turn, question = pending[0]
            first = burst[0]
            findings.append(
                ctx.finding(
                    "unanswered_question",
                    first,
                    signals.first_sentence(ctx.spoken(first), ctx.language),
                    question=question,
                    # the message is read on screen, where the chat numbers messages from 1
                    question_turn=question_turn + 1,
                )
            )
        pending.clear()

    burst_by_start = {burst[0]: burst for burst in ctx.bursts}
    for index, turn in enumerate(turns):
        if turn.role == "customer":
            for sentence in signals.sentences(turn.text, ctx.language):
                if signals.is_question(sentence, ctx.language):
                    pending.append((index, sentence))
        elif index in burst_by_start:
            flush(burst_by_start[index])
    flush(None)
    return findings


def check_repeated_replies(ctx: RuleContext) -> list[Finding]:
    """Agent turns that repeat an earlier agent turn word for word (only turns worth quoting alone)."""
    first_seen: dict[str, int] = {}
    findings = []
    for index in ctx.recognized:
        spoken = ctx.spoken(index).strip()
        key = normalise(spoken).strip()
        if not key or not cites_enough(spoken, spoken):
            continue
        if key in first_seen:
            # the message is read on screen, where the chat numbers messages from 1
            findings.append(ctx.finding("repeated_reply", index, spoken, first=first_seen[key] + 1))
        else:
            first_seen[key] = index
    return findings
