"""Commitments that break the case: promises beyond its policy, claims beyond its systems, invented
details and hedges that stand in for a solution; the findings of :func:`check_commitments`.

What it finds (rule ids in ``simulator.grading.rules``; contract in ``docs/commitments.md``):

- ``over_promise``: a promise beyond the policy — a sentence that offers or promises (a claim of a
  checked fact alone promises nothing) and matches a ``must_not_promise`` limit by meaning,
  besides the recogniser's structural findings (compensation above ``max_compensation``, the
  case's forbidden promise keywords) and those keywords in any sentence that neither offers nor
  keeps to a limit (no refusal or policy act, no honest limit); :func:`promises_beyond_policy` is
  the API the red lines call;
- ``claim_beyond_systems``: a committing sentence that matches what the systems ``cannot_do`` (a
  refund "already issued" where approval is needed, a delivery slot only the carrier books);
- ``invented_detail``: a ticket or reference number (five digits or more) nothing gave, before the
  agent committed to anything the case accepts (a ticket for nothing), or a number in a claim of a
  checked fact ("系统显示25号到仓") that the case does not show;
- ``vague_commitment``: in a conversation where the agent committed to nothing solid, each hedge
  with no concrete what, when or how much ("具体要看情况", "1个工作日左右吧，具体以系统为准") —
  with or without a case: a hedge is not a solution.

The commitments and their meaning matches come from ``simulator.grading.commitments``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

# ``commitment_matching.thresholds_for`` through the module, so that one swap of the lines reaches every caller.
from simulator.grading import commitment_matching, signals
from simulator.grading.commitment_matching import matched_targets, similarities
from simulator.grading.commitments import PROMISING, RESPECTING, Commitment, commitments_in, credited_resolutions
from simulator.models import Case, DialogueAct, Finding, Language
from simulator.recognition.offer_pairs import case_targets
from simulator.recognition.sentence_acts import SentenceActs, recognize_spans
from simulator.recognition.sentences import Span, split_clauses
from simulator.recognizer import amounts_beyond_limit, case_allowed_amounts, case_forbidden_promise

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class PolicyBreach:
    """A promise beyond the case's policy limits, with how it was found.

    ``found_by``: ``amount`` (compensation above ``max_compensation``), ``keyword`` (one of the
    case's forbidden promise keywords in an offer or promise) and ``statement`` (one in a sentence
    the recogniser gives no offer or promise act) are structural and certain (``similarity`` None);
    ``meaning`` is a match to ``limit`` by meaning, with its similarity and its gap below the
    sentence's best target (0 when the limit is the closest thing the case has to the sentence).
    ``confidence`` is 1 for the structural ones and, for a meaning match, the precision its line
    measured on the dev pairs (``commitment_thresholds.yaml``): how often such a flag is right.
    """

    turn: int
    quote: str
    limit: str
    found_by: Literal["amount", "keyword", "statement", "meaning"]
    similarity: float | None = None
    gap: float | None = None
    confidence: float = 1.0  # structural: 1; meaning: the precision of the limits line on dev


def promises_beyond_policy(ctx: RuleContext, commitments: Sequence[Commitment] | None = None) -> list[PolicyBreach]:
    """Every promise beyond the case's policy limits in the agent's turns; [] without a case.

    Structural findings first (the recogniser's ``over_promises``: an amount over
    ``max_compensation`` or a forbidden promise keyword), then meaning matches to
    ``policy.must_not_promise`` of offering or promising sentences, each sentence once.
    """
    case = ctx.case
    if case is None:
        return []
    breaches: list[PolicyBreach] = []
    seen: set[tuple[int, str]] = set()
    for turn, recognized in ctx.recognized.items():
        for quote in recognized.over_promises:
            if (turn, quote) in seen:
                continue
            seen.add((turn, quote))
            over_amount = bool(
                amounts_beyond_limit(
                    quote, ctx.language, case.policy.max_compensation, case_allowed_amounts(case, ctx.language)
                )
            )
            breaches.append(
                PolicyBreach(turn, quote, _limit_text(case, over_amount), "amount" if over_amount else "keyword")
            )
    for breach in _stated_promises(ctx, case):
        if (breach.turn, breach.quote) not in seen:
            seen.add((breach.turn, breach.quote))
            breaches.append(breach)
    for commitment in commitments if commitments is not None else commitments_in(ctx):
        if not commitment.promises or (commitment.turn, commitment.quote) in seen:
            continue
        limits = commitment.matched("must_not_promise")
        if limits and _limit_only_in_refusing_clauses(commitment, case, ctx.language):
            continue
        if limits:
            seen.add((commitment.turn, commitment.quote))
            best = limits[0]
            breaches.append(
                PolicyBreach(
                    commitment.turn,
                    commitment.quote,
                    best.target.text,
                    "meaning",
                    best.similarity,
                    best.gap,
                    commitment_matching.thresholds_for(ctx.language).limits.precision,
                )
            )
    return sorted(breaches, key=lambda breach: breach.turn)


def _stated_promises(ctx: RuleContext, case: Case) -> list[PolicyBreach]:
    """Forbidden promise keywords in sentences the recogniser gives no offer or promise act.

    "I've put a note so any late fee will be waived automatically" commits as surely as an offer.
    A refusal or an explanation of policy (by its act, in the sentence or in one of its clauses), or an
    honest limit ("I can't promise it runs perfectly": ``honest_limit`` of ``lexicons/grading.yaml``),
    respects the limit it names.
    """
    pattern = case_forbidden_promise(case, ctx.language)
    if pattern is None:
        return []
    honest = signals.grading_patterns(ctx.language).honest_limit
    found = []
    for turn, recognized in ctx.credited.items():
        for sentence in recognized.sentences:
            if {item.act for item in sentence.acts} & (PROMISING | RESPECTING) or honest.search(sentence.text):
                continue
            if pattern.search(sentence.text) and not _respected_in_a_clause(sentence):
                found.append(PolicyBreach(turn, sentence.text, _limit_text(case, False), "statement"))
    return found


def _limit_only_in_refusing_clauses(commitment: Commitment, case: Case, language: Language) -> bool:
    """The sentence refuses in one clause and offers in another, and only what it refuses matches a
    ``must_not_promise`` limit: "但精神损失这类赔偿我这边给不了，能报的是看病的实际花费，最多200元" keeps
    to the limit "超过200元的就医报销，或精神损失费等额外赔偿" it resembles."""
    clauses = split_clauses(Span(commitment.quote, 0, len(commitment.quote)))
    if len(clauses) < 2:
        return False
    recognised = recognize_spans(clauses, language)
    if not any(clause.has(DialogueAct.refusal) for clause in recognised):
        return False
    kept = [clause.text for clause in recognised if not clause.has(DialogueAct.refusal)]
    targets = case_targets(case)
    limits = commitment_matching.thresholds_for(language)
    return not any(
        match.kind == "must_not_promise"
        for row in similarities(kept, targets)
        for match in matched_targets(row, targets, limits)
    )


def _respected_in_a_clause(sentence: SentenceActs) -> bool:
    """A clause of ``sentence`` refuses or explains the policy, as a whole sentence would: "要是有人私下说能出
    “内部票”……千万别信，我们没有这种票" warns against the forbidden promise it names."""
    clauses = split_clauses(sentence.span)
    if len(clauses) < 2:
        return False
    recognised = recognize_spans(clauses, sentence.language)
    return any({item.act for item in clause.acts} & RESPECTING for clause in recognised)


def _limit_text(case: Case, over_amount: bool) -> str:
    if over_amount and case.policy.max_compensation is not None:
        return f"max_compensation {case.policy.max_compensation:g} {case.policy.currency}"
    return "; ".join(case.policy.forbidden_promise_keywords)


def known_digits(ctx: RuleContext, case: Case, before_turn: int) -> set[str]:
    """Digit runs that ``case`` and the conversation before ``before_turn`` give the agent: a number
    among them is no invented reference."""
    texts = [case.brief, case.situation, case.opening_line, case.product, case.customer_wants]
    texts += [fact.value for fact in case.hidden_facts]
    texts += [res.description for res in (*case.acceptable_resolutions, *case.customer_refuses)]
    texts += [*case.policy.may_offer, *case.policy.must_not_promise, *case.agent_systems.can_do]
    texts += [*case.agent_systems.can_look_up, *case.agent_systems.cannot_do, *case.expected_steps]
    texts += [phrase.text for phrase in case.recommended_phrasing]
    texts += [turn.text for turn in ctx.transcript.turns[:before_turn]]
    return {digits for text in texts for digits in _DIGITS.findall(text)}


def invented_details(ctx: RuleContext, commitments: Sequence[Commitment]) -> list[Commitment]:
    """Commitments that state a reference or a checked figure nothing in the case or the talk gave.

    A reference (five digits or more) is invented when the agent had not yet committed to any of
    the case's acceptable resolutions (:func:`credited_resolutions`) by that sentence: a ticket for
    nothing the systems were asked to do ("工单号是2024120188" next to a promise of 200 yuan), while
    "已提交,申请单号JM0518206" records the application just made. A number of two digits or more in a
    claim of a checked fact (``give_proof``) is invented when nothing gave it ("系统显示25号到仓").
    """
    if ctx.case is None:
        return []
    credited = credited_resolutions(ctx, commitments)
    first_record = min((c.turn for c in credited.values()), default=None)
    invented: list[Commitment] = []
    for commitment in commitments:
        digits = _DIGITS.findall(commitment.quote)
        if not digits or DialogueAct.refusal in commitment.acts:
            continue
        known = known_digits(ctx, ctx.case, commitment.turn)
        references = [d for d in digits if len(d) >= 5 and d not in known]
        claimed = [d for d in digits if len(d) >= 2 and d not in known and d not in references]
        unrecorded = first_record is None or first_record > commitment.turn
        if (claimed and DialogueAct.give_proof in commitment.acts) or (references and unrecorded):
            invented.append(commitment)
    return invented


def _finding(ctx: RuleContext, rule: str, commitment_turn: int, quote: str, key: str, **values: str) -> Finding:
    from simulator.grading.rules import RULES

    return Finding(
        rule=rule,
        severity=RULES[rule].severity,
        turn=commitment_turn,
        quote=quote,
        message=ctx.message(key, quote=quote, **values),
    )


def check_commitments(ctx: RuleContext) -> list[Finding]:
    """Meaning-based policy breaches, claims beyond the systems, invented details and vague hedges.

    The structural over-promises (amount, keywords) stay with ``rules.check_over_promises``; this
    adds the ones only meaning finds, each sentence reported under one rule at most, the most
    serious first.
    """
    commitments = commitments_in(ctx)
    findings: list[Finding] = []
    reported: set[tuple[int, str]] = {(t, q) for t, r in ctx.recognized.items() for q in r.over_promises}
    for breach in promises_beyond_policy(ctx, commitments):
        if breach.found_by in ("statement", "meaning") and (breach.turn, breach.quote) not in reported:
            reported.add((breach.turn, breach.quote))
            findings.append(
                _finding(ctx, "over_promise", breach.turn, breach.quote, "over_promise_meaning", limit=breach.limit)
            )
    for commitment in commitments:
        systems = commitment.matched("cannot_do") if commitment.commits else []
        if systems and (commitment.turn, commitment.quote) not in reported:
            reported.add((commitment.turn, commitment.quote))
            findings.append(
                _finding(
                    ctx,
                    "claim_beyond_systems",
                    commitment.turn,
                    commitment.quote,
                    "claim_beyond_systems",
                    limit=systems[0].target.text,
                )
            )
    for commitment in invented_details(ctx, commitments):
        if (commitment.turn, commitment.quote) not in reported:
            reported.add((commitment.turn, commitment.quote))
            findings.append(_finding(ctx, "invented_detail", commitment.turn, commitment.quote, "invented_detail"))
    # Hedges count against the agent when they stand in for a solution: in a conversation where
    # the agent never committed to anything solid (a hedge next to a solid commitment is a
    # matter of clarity, measured there).
    shell = not any(commitment.solid for commitment in commitments)
    for commitment in commitments:
        if shell and commitment.vague and (commitment.turn, commitment.quote) not in reported:
            reported.add((commitment.turn, commitment.quote))
            findings.append(_finding(ctx, "vague_commitment", commitment.turn, commitment.quote, "vague_commitment"))
    return findings
