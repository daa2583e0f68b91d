"""Commitments checked against the case: what the agent offered, promised or claimed, by meaning.

Every agent sentence that offers, promises, claims a checked fact, refuses or hedges (its dialogue
acts, ``docs/acts.md``) is a *commitment*. With a case, each commitment is compared by meaning (e5
cosine) with the case's targets (``simulator.recognition.offer_pairs.case_targets``): acceptable
resolutions, offers the customer refuses, the policy's ``must_not_promise`` limits and what the
agent's systems ``cannot_do``. A target matches when its similarity reaches ``min_similarity`` and
lies within ``max_gap`` of the sentence's best target. The two numbers are chosen per language and
per group on the labelled dev pairs (``commitment_thresholds.yaml``, ``drill eval commitments
--write``): for *offers* (resolutions, refused offers) at the best F1, for *limits* (policy and
systems: red lines) at the best recall that keeps precision at ``LIMITS_MIN_PRECISION``.

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

A refusal never matches a policy limit or a systems limit: "我不能把钱退到您女儿的卡上" is close
in meaning to the limit it respects. Sentences of text aimed at the grader are never read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError
from simulator.grading import signals
from simulator.lexicon import keyword_pattern
from simulator.models import Case, DialogueAct, Finding, Language
from simulator.recognition import structure
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.offer_pairs import Target, TargetKind, case_targets
from simulator.recognition.sentence_acts import SentenceActs, recognize_spans
from simulator.recognition.sentences import Span, split_clauses
from simulator.recognizer import amounts_beyond_limit, case_allowed_amounts, case_forbidden_promise

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext

THRESHOLDS_FILE = Path(__file__).with_name("commitment_thresholds.yaml")

PROMISING = frozenset({DialogueAct.offer_solution, DialogueAct.promise})
COMMITTING = PROMISING | {DialogueAct.give_proof}
RESPECTING = frozenset({DialogueAct.refusal, DialogueAct.explain_policy})  # acts that keep to a limit
CONSIDERED = COMMITTING | RESPECTING | {DialogueAct.hedge}
#: Target kinds only a committing sentence can match (a refusal respects the limit it resembles).
LIMIT_KINDS: frozenset[TargetKind] = frozenset({"must_not_promise", "cannot_do"})

_DIGITS = re.compile(r"\d+")

#: Limits are red lines: their line is drawn where precision on the dev pairs stays at least this.
LIMITS_MIN_PRECISION = 0.95


class CommitmentThresholdsError(DrillError):
    """``commitment_thresholds.yaml`` is missing, malformed or has no entry for a language."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


TargetGroup = Literal["offers", "limits"]


def group_of(kind: TargetKind) -> TargetGroup:
    """``limits`` for policy and systems limits (red lines: precision first), ``offers`` otherwise."""
    return "limits" if kind in LIMIT_KINDS else "offers"


class GroupThresholds(_Strict):
    """Where a sentence matches a target of one group, and how that line measured on dev."""

    min_similarity: float = Field(ge=-1, le=1)
    max_gap: float = Field(ge=0, le=2)
    positives: int
    precision: float
    recall: float
    f1: float


class LanguageThresholds(_Strict):
    """Both groups' lines for one language, with their provenance."""

    offers: GroupThresholds
    limits: GroupThresholds
    chosen_on: str
    pairs_sha256: str
    embedder: str
    pairs: int
    measured: str

    def group(self, kind: TargetKind) -> GroupThresholds:
        """The lines of ``kind``'s group."""
        return self.limits if group_of(kind) == "limits" else self.offers


class CommitmentThresholds(_Strict):
    """The whole thresholds file."""

    thresholds: dict[Language, LanguageThresholds]


@lru_cache(maxsize=4)
def load_thresholds(path: Path = THRESHOLDS_FILE) -> CommitmentThresholds:
    """Read and validate the thresholds file; raise ``CommitmentThresholdsError`` naming the problem."""
    try:
        return CommitmentThresholds.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise CommitmentThresholdsError(f"{path}: cannot read: {exc}; run `drill eval commitments --write`") from exc
    except ValidationError as exc:
        raise CommitmentThresholdsError(f"{path}: {exc}") from exc


def thresholds_for(language: Language, path: Path = THRESHOLDS_FILE) -> LanguageThresholds:
    """The thresholds of ``language``."""
    found = load_thresholds(path).thresholds.get(language)
    if found is None:
        raise CommitmentThresholdsError(f"{path}: no thresholds for {language}; run `drill eval commitments --write`")
    return found


# ---------------------------------------------------------------------------------------------
# Matching sentences to a case's targets


@dataclass(frozen=True)
class TargetMatch:
    """A case target a sentence matches, how similar it is, and how far below the sentence's best."""

    target: Target
    similarity: float
    gap: float

    @property
    def kind(self) -> TargetKind:
        """resolution, refused, must_not_promise or cannot_do."""
        return self.target.kind


def similarities(sentences: Sequence[str], targets: Sequence[Target]) -> np.ndarray:
    """Cosine of every sentence (rows) with every target text (columns); shape (n, m)."""
    if not sentences or not targets:
        return np.zeros((len(sentences), len(targets)), dtype=np.float32)
    encoder = sentence_encoder()
    said = encoder.encode(list(sentences))
    wanted = encoder.encode([target.text for target in targets])
    return np.asarray(said @ wanted.T)


def matched_targets(row: np.ndarray, targets: Sequence[Target], limits: LanguageThresholds) -> list[TargetMatch]:
    """The targets one sentence matches (similarity row over ``targets``), most similar first."""
    if len(targets) == 0:
        return []
    best = float(row.max())
    found = []
    for target, value in zip(targets, row, strict=True):
        line = limits.group(target.kind)
        if value >= line.min_similarity and best - value <= line.max_gap:
            found.append(TargetMatch(target, round(float(value), 4), round(best - float(value), 4)))
    return sorted(found, key=lambda match: -match.similarity)


# ---------------------------------------------------------------------------------------------
# Commitments in a transcript


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
    limits = thresholds_for(ctx.language)
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


# ---------------------------------------------------------------------------------------------
# Promises beyond the policy (the red lines' API) and the findings


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
                    thresholds_for(ctx.language).limits.precision,
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
    limits = thresholds_for(language)
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


def _known_digits(ctx: RuleContext, before_turn: int) -> set[str]:
    """Digit runs the case and the conversation so far give the agent."""
    case = ctx.case
    assert case is not None
    texts = [case.brief, case.situation, case.opening_line, case.product, case.customer_wants]
    texts += [fact.value for fact in case.hidden_facts]
    texts += [res.description for res in (*case.acceptable_resolutions, *case.customer_refuses)]
    texts += [*case.policy.may_offer, *case.policy.must_not_promise, *case.agent_systems.can_do]
    texts += [*case.agent_systems.can_look_up, *case.agent_systems.cannot_do, *case.expected_steps]
    texts += [phrase.text for phrase in case.recommended_phrasing]
    texts += [turn.text for turn in ctx.transcript.turns[:before_turn]]
    known: set[str] = set()
    for text in texts:
        known.update(_DIGITS.findall(text))
    return known


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
        known = _known_digits(ctx, commitment.turn)
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
