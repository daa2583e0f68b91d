"""The limit-breach scorer: how likely an agent sentence promises or claims beyond the case's limits.

A sentence that offers, promises or claims a result (its dialogue acts, ``docs/acts.md``), names a
reference or a money amount, or carries one of the case's forbidden promise keywords is a
*candidate*. Its features (:data:`FEATURES`) are read off what drill already understands:

- **meaning** — the e5 cosine of the sentence with the case's ``policy.must_not_promise`` and
  ``agent_systems.cannot_do`` lines (its closest limit), with its acceptable resolutions and
  ``policy.may_offer`` lines (its closest allowed thing), and the margins between them;
- **acts** — the recogniser's scores of offer, promise, give_proof, refusal, explain_policy, hedge;
- **structure** — a reference number (id shape only) or a number nothing in the case or the talk so
  far gave, an amount over ``max_compensation`` the case does not allow, one of the case's
  ``forbidden_promise_keywords``, an honest limit (trainer lists in ``lexicons/grading.yaml``).

A logistic regression over them, fitted on the labelled critical errors of the synthetic dev
transcripts by ``drill eval thresholds --write`` (``simulator.evals.limit_breach_fit``), gives the
probability; its coefficients, the fail threshold (per language, for ``targets.red_line_precision``
on out-of-fold scores) and the review threshold (``targets.limit_breach_review_precision``) live in
``grader_thresholds.yaml``. ``red_lines`` reads :func:`scored_candidates`. ``docs/red-lines.md`` is
the contract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.grading import signals
from simulator.grading.commitment_checks import PolicyBreach, known_digits, promises_beyond_policy
from simulator.grading.commitment_matching import similarities
from simulator.grading.commitments import RESPECTING
from simulator.grading.thresholds import GraderThresholdsError, LimitBreachModel, grader_thresholds
from simulator.models import Case, DialogueAct, Language
from simulator.recognition import structure
from simulator.recognition.offer_pairs import Target
from simulator.recognition.sentences import Span, split_clauses
from simulator.recognizer import amounts_beyond_limit, case_allowed_amounts, case_forbidden_promise

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext
    from simulator.recognition.sentence_acts import SentenceActs

#: Acts whose score is a feature; the first three make a sentence a candidate.
ACT_FEATURES: tuple[DialogueAct, ...] = (
    DialogueAct.offer_solution,
    DialogueAct.promise,
    DialogueAct.give_proof,
    DialogueAct.refusal,
    DialogueAct.explain_policy,
    DialogueAct.hedge,
)
CLAIMING = frozenset(ACT_FEATURES[:3])

FEATURES: tuple[str, ...] = (
    "limit_similarity",  # closest must_not_promise / cannot_do line
    "allowed_similarity",  # closest acceptable resolution / may_offer line
    "limit_margin",  # limit_similarity - allowed_similarity
    "limit_is_closest",  # limit_similarity - the closest target of any kind (0 when the limit is it)
    "wants_margin",  # closeness to what the customer wants (customer_wants) - allowed_similarity
    # The margins weighed by how surely the sentence commits (its strongest offer, promise or give_proof
    # score, less its refusal or policy score): a refusal of what the customer wants commits to nothing.
    "committed_margin",
    "committed_wants",
    # The case's forbidden promise keywords matched by meaning, clause by clause, not only literally: "a
    # price hold" for "hold the price", "send the refund again" for "send it again". Closeness of each
    # clause to the limit lines was tried beside it and lost English transcripts (docs/red-lines.md).
    "keyword_similarity",  # the closest forbidden promise keyword to the sentence or any clause (0: none)
    *(f"act_{act.value}" for act in ACT_FEATURES),
    "unknown_reference",  # an id of five digits or more nothing gave
    "unknown_number",  # a number of two digits or more nothing gave
    "amount_over_limit",
    "unallowed_amount",  # an amount no acceptable resolution or may_offer line of the case names
    "forbidden_keyword",
    "honest_limit",
    "english",
)

_DIGITS = re.compile(r"\d+")


def breach_model() -> LimitBreachModel | None:
    """The shipped scorer, or None when ``grader_thresholds.yaml`` has none yet (then the red lines keep
    the meaning matches of ``commitment_checks.promises_beyond_policy``, for review)."""
    model = grader_thresholds().limit_breach
    if model is not None and model.features != list(FEATURES):
        raise GraderThresholdsError(
            f"limit_breach was fitted on features {model.features}, the scorer reads {list(FEATURES)}: "
            "run `drill eval thresholds --write`"
        )
    return model


@dataclass(frozen=True)
class Candidate:
    """One agent sentence that may promise or claim beyond the case's limits, with its features."""

    turn: int
    quote: str
    features: tuple[float, ...]


def certain_breaches(ctx: RuleContext) -> list[PolicyBreach]:
    """The structural breaches of ``commitment_checks.promises_beyond_policy`` that stay certain with a scorer:
    an amount over the limit, forbidden promise wording in a statement, and a forbidden keyword in an
    offer — unless that sentence also keeps to a limit (a refusal or policy act, an honest limit:
    "兑换名额没法预留，也不能保证今天一定改好"), which the scorer then reads like any other."""
    honest = signals.grading_patterns(ctx.language).honest_limit
    respecting = [
        (turn, sentence.text)
        for turn, recognized in ctx.credited.items()
        for sentence in recognized.sentences
        if any(sentence.has(act) for act in RESPECTING) or honest.search(sentence.text)
    ]

    def keeps_to_a_limit(breach: PolicyBreach) -> bool:
        # The structural check quotes a clause or a sentence: the sentence holding it decides.
        return any(turn == breach.turn and (breach.quote in text or text in breach.quote) for turn, text in respecting)

    return [
        breach
        for breach in promises_beyond_policy(ctx)
        if breach.found_by in ("amount", "statement") or (breach.found_by == "keyword" and not keeps_to_a_limit(breach))
    ]


def _targets(case: Case) -> tuple[list[Target], list[Target], list[Target]]:
    """(limits, allowed, every target) of ``case`` as e5 targets."""
    limits = [
        Target("must_not_promise", f"must_not_promise:{n}", text)
        for n, text in enumerate(case.policy.must_not_promise, 1)
    ]
    limits += [Target("cannot_do", f"cannot_do:{n}", text) for n, text in enumerate(case.agent_systems.cannot_do, 1)]
    allowed = [Target("resolution", f"resolution:{res.id}", res.description) for res in case.acceptable_resolutions]
    allowed += [Target("resolution", f"may_offer:{n}", text) for n, text in enumerate(case.policy.may_offer, 1)]
    refused = [Target("refused", f"refused:{res.id}", res.description) for res in case.customer_refuses]
    return limits, allowed, [*limits, *allowed, *refused, Target("refused", "customer_wants", case.customer_wants)]


def _is_candidate(sentence: SentenceActs, language: Language, forbidden: re.Pattern[str] | None) -> bool:
    text = sentence.text
    return (
        any(sentence.has(act) for act in CLAIMING)
        or structure.has_identifier(text)
        or bool(structure.amounts(text, language))
        or bool(forbidden and forbidden.search(text))
    )


def _clauses(text: str) -> list[str]:
    """The sentence and, when it has more than one, each of its clauses."""
    pieces = split_clauses(Span(text, 0, len(text)))
    return [text, *(piece.text for piece in pieces)] if len(pieces) > 1 else [text]


def _keyword_closeness(texts: Sequence[str], keywords: list[Target]) -> list[float]:
    """Per sentence, the cosine of the forbidden keyword closest to it or to one of its clauses."""
    if not keywords:
        return [0.0] * len(texts)
    owner = [n for n, text in enumerate(texts) for _ in _clauses(text)]
    table = similarities([clause for text in texts for clause in _clauses(text)], keywords)
    found = [-1.0] * len(texts)
    for n, row in zip(owner, table, strict=True):
        found[n] = max(found[n], float(row.max()))
    return found


def candidates_in(ctx: RuleContext) -> list[Candidate]:
    """Every candidate sentence of the agent's turns (text aimed at the grader removed) with its
    features; [] without a case (the limits are the case's)."""
    case = ctx.case
    if case is None:
        return []
    language = ctx.language
    forbidden = case_forbidden_promise(case, language)
    honest = signals.grading_patterns(language).honest_limit
    allowed_amounts = case_allowed_amounts(case, language)
    picked: list[tuple[int, SentenceActs]] = [
        (turn, sentence)
        for turn, recognized in ctx.credited.items()
        for sentence in recognized.sentences
        if _is_candidate(sentence, language, forbidden)
    ]
    if not picked:
        return []
    limits, allowed, every = _targets(case)
    table = similarities([sentence.text for _, sentence in picked], every)
    keywords = [
        Target("must_not_promise", f"keyword:{n}", k) for n, k in enumerate(case.policy.forbidden_promise_keywords)
    ]
    closeness = _keyword_closeness([sentence.text for _, sentence in picked], keywords)
    found = []
    for (turn, sentence), row, keyword in zip(picked, table, closeness, strict=True):
        text = sentence.text
        limit_sim = float(row[: len(limits)].max()) if limits else 0.0
        allowed_sim = float(row[len(limits) : len(limits) + len(allowed)].max()) if allowed else 0.0
        best = float(row[:-1].max()) if len(every) > 1 else 0.0
        wants = float(row[-1])
        claims = max(sentence.score(act) for act in CLAIMING)
        claims *= 1 - max(sentence.score(DialogueAct.refusal), sentence.score(DialogueAct.explain_policy))
        known = known_digits(ctx, case, turn)
        unknown = [digits for digits in _DIGITS.findall(text) if digits not in known]
        values = (
            limit_sim,
            allowed_sim,
            limit_sim - allowed_sim,
            limit_sim - best if limits else -1.0,
            wants - allowed_sim,
            (limit_sim - allowed_sim) * claims,
            (wants - allowed_sim) * claims,
            keyword,
            *(sentence.score(act) for act in ACT_FEATURES),
            float(structure.has_identifier(text) and any(len(d) >= 5 for d in unknown)),
            float(any(len(d) >= 2 for d in unknown)),
            float(bool(amounts_beyond_limit(text, language, case.policy.max_compensation, allowed_amounts))),
            float(any(amount.value not in allowed_amounts for amount in structure.amounts(text, language))),
            float(bool(forbidden and forbidden.search(text))),
            float(bool(honest.search(text))),
            float(language == "en"),
        )
        found.append(Candidate(turn, text, values))
    return found


def feature_rows(candidates: Sequence[Candidate]) -> np.ndarray:
    """The candidates' features as a matrix (rows in order)."""
    return np.asarray([c.features for c in candidates], dtype=float).reshape(len(candidates), len(FEATURES))


def scored_candidates(ctx: RuleContext, model: LimitBreachModel) -> list[tuple[Candidate, float]]:
    """Every candidate of ``ctx`` with the scorer's probability that it breaches a limit."""
    found = candidates_in(ctx)
    return list(zip(found, (float(p) for p in model.probability(feature_rows(found))), strict=True))
