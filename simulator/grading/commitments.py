"""The agent's commitments: what it offered, promised, claimed, refused or hedged, matched to the case.

Every agent sentence that offers, promises, claims a checked fact, refuses or hedges (its dialogue
acts, ``docs/acts.md``) is a *commitment*. With a case, each commitment carries the case targets it
matches by meaning (``simulator.grading.commitment_matching``); a refusal never matches a policy
limit or a systems limit: "我不能把钱退到您女儿的卡上" is close in meaning to the limit it respects.
Sentences of text aimed at the grader are never read.

From the commitments this module reads what the agent delivered of the case's offers: the
acceptable resolutions it committed to without hedging (:func:`credited_resolutions`) and its
offers of something the customer refuses (:func:`unacceptable_offers`, rule
``unacceptable_offer``). What breaks the case's limits is ``simulator.grading.commitment_checks``
(contract in ``docs/commitments.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.grading import commitment_matching, signals
from simulator.grading.commitment_matching import LIMIT_KINDS, TargetMatch, matched_targets, similarities
from simulator.lexicon import keyword_pattern
from simulator.models import DialogueAct, Language
from simulator.recognition import structure
from simulator.recognition.offer_pairs import TargetKind, case_targets

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext

PROMISING = frozenset({DialogueAct.offer_solution, DialogueAct.promise})
COMMITTING = PROMISING | {DialogueAct.give_proof}
RESPECTING = frozenset({DialogueAct.refusal, DialogueAct.explain_policy})  # acts that keep to a limit
CONSIDERED = COMMITTING | RESPECTING | {DialogueAct.hedge}


@dataclass(frozen=True)
class Commitment:
    """One agent sentence that offers, promises, claims, refuses or hedges."""

    turn: int
    quote: str  # the sentence, verbatim in the turn
    acts: frozenset[DialogueAct]
    concrete: bool  # names a when, a how much or a reference (not a guessed one)
    matches: tuple[TargetMatch, ...] = ()

    @property
    def commits(self) -> bool:
        """Offers, promises or claims something, and is not only a refusal."""
        return bool(self.acts & COMMITTING) and DialogueAct.refusal not in self.acts

    @property
    def promises(self) -> bool:
        """Offers or promises something, and is not only a refusal: what a policy limit constrains.

        A claim of a checked fact alone (``give_proof``: "navy is out of stock until the 24th")
        states a limit honestly and promises nothing, so it cannot break a ``must_not_promise``
        limit; it can still claim what the systems cannot do (``claim_beyond_systems``).
        """
        return bool(self.acts & PROMISING) and DialogueAct.refusal not in self.acts

    @property
    def vague(self) -> bool:
        """A hedge with no concrete what, when or how much: not a solution."""
        return DialogueAct.hedge in self.acts and not self.concrete

    @property
    def solid(self) -> bool:
        """A commitment the customer can hold the agent to: it commits and is not vague."""
        return self.commits and not self.vague

    def matched(self, kind: TargetKind) -> list[TargetMatch]:
        """Matches of one target kind."""
        return [match for match in self.matches if match.kind == kind]


def is_concrete(text: str, language: Language) -> bool:
    """True when ``text`` names a time, an amount, a reference or a masked value, and not as a guess."""
    specific = (
        structure.names_time(text, language)
        or bool(structure.amounts(text, language))
        or structure.has_identifier(text)
        or structure.has_mask(text)
    )
    return specific and not signals.grading_patterns(language).strong_vague_markers.search(text)


def commitments_in(ctx: RuleContext) -> list[Commitment]:
    """Every commitment of the agent's turns (text aimed at the grader removed), matched to the case."""
    found: list[Commitment] = []
    for turn, recognized in ctx.credited.items():
        guesses = signals.grading_patterns(ctx.language).strong_vague_markers
        for sentence in recognized.sentences:
            acts = frozenset(item.act for item in sentence.acts)
            if guesses.search(sentence.text):
                # "1个工作日左右吧": a guessed figure hedges whatever the classifier made of it.
                acts |= {DialogueAct.hedge}
            if acts & CONSIDERED:
                found.append(Commitment(turn, sentence.text, acts, is_concrete(sentence.text, ctx.language)))
    if ctx.case is None or not found:
        return found
    targets = case_targets(ctx.case)
    # Through the module, so that one swap of the lines (tests fix them) reaches every caller.
    limits = commitment_matching.thresholds_for(ctx.language)
    table = similarities([c.quote for c in found], targets)
    matched: list[Commitment] = []
    for commitment, row in zip(found, table, strict=True):
        matches = matched_targets(row, targets, limits)
        if not commitment.commits:
            matches = [match for match in matches if match.kind not in LIMIT_KINDS]
        matched.append(
            Commitment(commitment.turn, commitment.quote, commitment.acts, commitment.concrete, tuple(matches))
        )
    return matched


def credited_resolutions(ctx: RuleContext, commitments: Sequence[Commitment]) -> dict[str, Commitment]:
    """Acceptable resolutions the agent committed to without hedging: id -> the first sentence.

    A resolution counts when a solid commitment matches it by meaning or names one of its keyword
    hints; "补发或者全额退款都可以为您安排，具体要看情况" names two and commits to neither.
    """
    if ctx.case is None:
        return {}
    hints = [
        (res.id, keyword_pattern(res.keywords, inflect=ctx.language == "en", loose=True))
        for res in ctx.case.acceptable_resolutions
    ]
    credited: dict[str, Commitment] = {}
    for commitment in commitments:
        if not _delivers(commitment):
            continue
        ids = [match.target.key.split(":", 1)[1] for match in commitment.matched("resolution")]
        ids += [res_id for res_id, pattern in hints if pattern is not None and pattern.search(commitment.quote)]
        for res_id in ids:
            credited.setdefault(res_id, commitment)
    return credited


def _delivers(commitment: Commitment) -> bool:
    """The sentence puts a resolution to the customer without hedging: offers or promises it, reports it done
    (``give_proof``: "I've put a security hold on it"), or sets out the route the policy gives ("用妈妈的手机
    打开App……没拆的可以申请7天无理由退货", ``explain_policy``) — the last two used to earn nothing, and
    excellent agents who acted or guided instead of offering had problem solving 2 (synthetic dev, 2026-12-03)."""
    if commitment.vague or DialogueAct.refusal in commitment.acts:
        return False
    return bool(commitment.acts & (COMMITTING | {DialogueAct.explain_policy}))


def unacceptable_offers(ctx: RuleContext, commitments: Sequence[Commitment] | None = None) -> list[tuple[int, str]]:
    """(turn, sentence) of every offer of something the customer refuses (``customer_refuses``).

    By meaning (the sentence matches a refused offer), or by its keyword hints when the sentence
    matches no acceptable resolution: "不用您先寄回：我今天先给您发新锁" names "先寄回" and offers the
    opposite. Only a sentence that offers or promises can offer it: one that states what happened or
    what the customer faces ("查到了，2199元那台，商家十号拒了您的退货申请。", "Navy in a 6 is out of stock
    until the 24th") or refuses names the refused offer without making it.
    """
    case = ctx.case
    if case is None or not case.customer_refuses:
        return []
    inflect = ctx.language == "en"
    hints = [keyword_pattern(res.keywords, inflect=inflect) for res in case.customer_refuses]
    found: list[tuple[int, str]] = []
    for commitment in commitments if commitments is not None else commitments_in(ctx):
        if not commitment.promises:
            continue
        named = any(p is not None and p.search(commitment.quote) for p in hints)
        if commitment.matched("refused") or (named and not commitment.matched("resolution")):
            found.append((commitment.turn, commitment.quote))
    return found
