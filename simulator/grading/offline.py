"""The offline grader: scores every rubric criterion 1-5 without an LLM.

Each criterion starts at a base and moves with *signals*: behaviours recognised in the agent's
turns by ``simulator.recognizer`` (greeting, empathy, asking for the case's facts, offering an
acceptable resolution, ...), rule findings from ``simulator.grading.rules``, the customer's mood
when the simulator recorded it, and the fit to the customer type. The weights are data in
``offline_weights.yaml`` (with a table of every signal), so the evals can tune them without
touching this module; this module only says how each signal is measured.

Customer-type fit (``archetype_fit`` value, ``archetype_misfit`` = the type's classic mistake),
after the training material's four types plus the three other persona types:

- impatient — fit: ½ a substantive move in the first reply (¼ in the second) + ½ the customer
  never had to push (no ``asks_again``, no ``evasive_answer``); no misfit of its own (wordiness
  costs clarity, not fit).
- emotional — fit: 1 empathy in the opening reply, ½ empathy before facts later; misfit: facts
  before feelings (1), or no empathy recognised at all (½).
- skeptical — fit: 1 proof (reference number, written confirmation), ½ a policy explained;
  misfit: a guarantee with no proof.
- rational — fit: ½ concrete numbers/times + ½ a policy explained, proof or the need confirmed;
  misfit: sympathy in most turns with no concrete content.
- elderly — fit: ½ no internal jargon + ½ making sure she understood (need confirmed, or every
  question answered); misfit: jargon.
- bargainer — fit: ½ a resolution offered + ½ no over-promise; misfit: an over-promise.
- hostile — fit: ½ empathy or apology + ½ no forbidden phrase; misfit: a forbidden phrase.
- unknown type — fit 0.5; no misfit.

Each measured behaviour counts against one or two criteria only (see the weights file), so a
single misread sentence cannot cascade through the whole scorecard.

Rules the grader keeps:
- Every evidence quote is whole clauses of the agent turn it names (``simulator.quotes``). A level
  that a signal with a quote moved rests on what the agent did (``basis: action``) and cites it;
  one that rests only on missing behaviour or on nothing going wrong is ``basis: absence``.
  A score of 3 or more cites what earned it (plus rule findings against it); a score of 2 or less
  cites what cost it, so the per-turn annotations read the right way.
- Text aimed at a grader is removed (``signals.without_grader_instructions``: a bracketed aside,
  else its sentence) before anything is measured — acts, concrete or vague wording, length,
  structure, refusals — so it can neither earn a point nor hide a shortcoming; its finding lowers
  compliance (and caps it).
- A criterion the weights file does not know is *unscored* with a reason, never 0.
- The suggestion for a criterion below 5 is the case's recommended phrasing for the stage of its
  weakest moment; without a case, the same from the first reference case in the transcript's
  language, marked as an example from another case (``suggestion_case_id`` says which); with no
  reference case at all (no close case), it is phrased from the rubric's top level and the
  trainee's own words, so no other case's facts are put in the trainee's mouth.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError
from simulator.grading import signals
from simulator.grading.rules import RuleContext
from simulator.models import (
    Case,
    CriterionScore,
    DialogueAct,
    Evidence,
    Finding,
    Language,
    PhraseStage,
    Rubric,
    Transcript,
)
from simulator.quotes import verify_agent_quote
from simulator.recognizer import RecognizedTurn

WEIGHTS_FILE = Path(__file__).with_name("offline_weights.yaml")

# Acts that deal with the facts of the matter; empathy should come no later than the first of them.
FACT_ACTS = (DialogueAct.ask_fact, DialogueAct.offer_solution, DialogueAct.explain_policy)
SUBSTANTIVE = (
    DialogueAct.ask_fact,
    DialogueAct.offer_solution,
    DialogueAct.explain_policy,
    DialogueAct.give_proof,
    DialogueAct.confirm_need,
)
FEELING_ACTS = (DialogueAct.empathy, DialogueAct.apology)


class OfflineWeightsError(DrillError):
    """The offline weights file is missing, malformed or names an unknown signal."""


# ---------------------------------------------------------------------------------------------
# Weights (data)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignalWeight(_Strict):
    """Points per unit of a signal, and an optional limit on its total contribution."""

    weight: float
    cap: float | None = Field(default=None, ge=0)


class CriterionWeights(_Strict):
    """Base score, signal weights and score caps for one criterion."""

    base: float = Field(ge=1, le=5)
    signals: dict[str, SignalWeight] = Field(min_length=1)
    score_caps: dict[str, int] = Field(default_factory=dict)


class Thresholds(_Strict):
    """Measurement thresholds shared by several signals."""

    concise_ratio: float = Field(gt=0, le=1)
    mood_change: int = Field(ge=1, le=10)
    facts_full_share: float = Field(default=1.0, gt=0, le=1)
    unnamed_offer_credit: float = Field(default=0.0, ge=0, le=1)
    max_evidence: int = Field(ge=1, le=20)


class WeightsProvenance(_Strict):
    """Where fitted weights come from: written by ``drill weights fit`` / ``refit-centre``."""

    fitted_at: str
    command: str
    model: str
    training_data: dict[str, Any]
    not_used: dict[str, Any] = Field(default_factory=dict)
    carried_over: str = ""
    criteria: dict[str, Any] = Field(default_factory=dict)
    cross_validation: dict[str, Any] = Field(default_factory=dict)
    previous_weights_on_dev: dict[str, Any] = Field(default_factory=dict)
    held_out: dict[str, Any] = Field(default_factory=dict)


class OfflineWeights(_Strict):
    """The whole weights file."""

    version: str
    provenance: WeightsProvenance | None = None
    thresholds: Thresholds
    criteria: dict[str, CriterionWeights]
    digest: str = ""  # sha256 of the file, filled in by load_weights


def load_weights(path: Path = WEIGHTS_FILE) -> OfflineWeights:
    """Read and validate a weights file; unknown signal names are errors (typos must not pass)."""
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise OfflineWeightsError(f"{path}: cannot read offline weights: {exc}") from exc
    try:
        weights = OfflineWeights.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise OfflineWeightsError(f"{path}: {problems}") from exc
    issues: list[str] = []
    for criterion_id, spec in weights.criteria.items():
        unknown = sorted(name for name in spec.signals if name not in SIGNALS)
        if unknown:
            issues.append(f"criteria.{criterion_id}: unknown signal(s) {', '.join(unknown)}")
        bad_caps = sorted(name for name in spec.score_caps if name not in spec.signals)
        if bad_caps:
            issues.append(f"criteria.{criterion_id}.score_caps: not a signal of this criterion: {', '.join(bad_caps)}")
    if issues:
        known = ", ".join(sorted(SIGNALS))
        raise OfflineWeightsError(f"{path}: " + "; ".join(issues) + f" (known signals: {known})")
    return weights.model_copy(update={"digest": hashlib.sha256(raw).hexdigest()})


def weights_in_force() -> Path:
    """The weights file the grader uses: ``DRILL_OFFLINE_WEIGHTS`` (a centre's refit) or the shipped one."""
    chosen = os.environ.get("DRILL_OFFLINE_WEIGHTS", "").strip()
    return Path(chosen).expanduser() if chosen else WEIGHTS_FILE


@lru_cache(maxsize=1)
def default_weights() -> OfflineWeights:
    """The weights in force (``weights_in_force``), loaded once per process."""
    return load_weights(weights_in_force())


# ---------------------------------------------------------------------------------------------
# Signals


@dataclass(frozen=True)
class Moment:
    """Where a criterion fell short: an agent turn (or None) and the conversation stage."""

    turn: int | None
    stage: PhraseStage
    quote: str | None = None  # what was said there, when the shortfall is something said


@dataclass
class SignalResult:
    """One measured signal: its value, the quotes for and against, and the weak moment if any."""

    value: float
    positive: list[Evidence] = field(default_factory=list)
    negative: list[Evidence] = field(default_factory=list)
    weak: Moment | None = None
    applicable: bool = True


NOT_APPLICABLE = SignalResult(0.0, applicable=False)


class _Measure:
    """Measures signals on one transcript; every signal is computed at most once."""

    def __init__(
        self,
        transcript: Transcript,
        rubric: Rubric,
        case: Case | None,
        findings: Sequence[Finding],
        archetype: str | None,
        weights: OfflineWeights,
    ):
        self.transcript = transcript
        self.language: Language = transcript.language
        self.rubric = rubric
        self.case = case
        self.findings = list(findings)
        self.archetype = (archetype or "").strip().lower() or None
        self.weights = weights
        self.agent_turns = transcript.agent_turn_indices()
        self._cache: dict[str, SignalResult] = {}
        # Creditable acts are looked for only in agent text with grader-directed sentences removed.
        clean_turns = [
            turn.model_copy(update={"text": signals.without_grader_instructions(turn.text, self.language)})
            if turn.role == "agent"
            else turn
            for turn in transcript.turns
        ]
        self.clean = RuleContext(transcript.model_copy(update={"turns": clean_turns}), rubric, case)

    # -- helpers ---------------------------------------------------------------------------------

    def signal(self, name: str) -> SignalResult:
        """The named signal, measured once."""
        if name not in self._cache:
            self._cache[name] = SIGNALS[name](self)
        return self._cache[name]

    def text(self, turn: int) -> str:
        return self.transcript.turns[turn].text

    def evidence(self, turn: int | None, quote: str | None) -> list[Evidence]:
        """``[Evidence]`` (whole clauses, see ``simulator.quotes``) when ``quote`` is in agent turn ``turn``."""
        if turn is None or not quote or not quote.strip():
            return []
        # A clause never runs into a note to the grader glued to it ("...for you.Note to the grader").
        barriers = signals.grader_instruction_spans(self.text(turn), self.language) if turn in self.agent_turns else []
        checked = verify_agent_quote(self.transcript, turn, quote, barriers=barriers)
        return [checked.evidence] if checked.evidence is not None else []

    def first_sentence(self, turn: int) -> list[Evidence]:
        """The first sentence of the turn's clean text (never grader-directed text)."""
        return self.evidence(turn, signals.first_sentence(self.rec(turn).text, self.language))

    def rec(self, turn: int) -> RecognizedTurn:
        return self.clean.recognized[turn]

    def first_act(self, acts: Iterable[DialogueAct]) -> tuple[int, int, str] | None:
        """(turn, position, quote) of the earliest of ``acts`` in the clean agent text."""
        wanted = tuple(acts)
        for turn in self.agent_turns:
            recognized = self.rec(turn)
            best: tuple[int, str] | None = None
            for match in recognized.matches:
                if match.act in wanted:
                    position = recognized.text.find(match.quote)
                    if best is None or position < best[0]:
                        best = (position, match.quote)
            if best is not None:
                return turn, best[0], best[1]
        return None

    def act_quotes(self, act: DialogueAct, turns: Iterable[int] | None = None) -> list[Evidence]:
        found: list[Evidence] = []
        for turn in self.agent_turns if turns is None else turns:
            for quote in self.rec(turn).quotes(act):
                found.extend(self.evidence(turn, quote))
        return found

    def has_act(self, act: DialogueAct, turns: Iterable[int] | None = None) -> bool:
        return any(self.rec(turn).has(act) for turn in (self.agent_turns if turns is None else turns))

    def findings_of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def finding_signal(self, rule: str, stage: PhraseStage) -> SignalResult:
        found = self.findings_of(rule)
        negative: list[Evidence] = []
        for finding in found:
            negative.extend(self.evidence(finding.turn, finding.quote))
        agent_found = [f for f in found if f.turn in self.agent_turns]
        if agent_found:
            weak: Moment | None = Moment(agent_found[0].turn, stage, agent_found[0].quote)
        else:
            weak = Moment(None, stage) if found else None
        return SignalResult(float(len(found)), negative=negative, weak=weak)

    @cached_property
    def opening(self) -> list[int]:
        return self.clean.bursts[0] if self.clean.bursts else []

    @cached_property
    def closing_burst(self) -> list[int]:
        return self.clean.bursts[-1] if self.clean.bursts else []

    @cached_property
    def moods(self) -> list[int]:
        return [turn.state.mood for turn in self.transcript.turns if turn.role == "customer" and turn.state]

    @cached_property
    def mean_agent_chars(self) -> float:
        lengths = [len(self.rec(turn).text.strip()) for turn in self.agent_turns]
        return sum(lengths) / len(lengths) if lengths else 0.0

    @cached_property
    def long_turn_limit(self) -> int:
        limit = self.clean.long_turn_chars
        if limit is None:
            from simulator.lexicon import compiled_lexicon

            limit = compiled_lexicon(self.language).long_turn_chars
        return limit

    @cached_property
    def flagged(self) -> dict[int, list[str]]:
        """Agent turn -> quotes of warning/violation findings on it."""
        flagged: dict[int, list[str]] = {}
        for finding in self.findings:
            if finding.severity != "info" and finding.turn is not None and finding.quote:
                flagged.setdefault(finding.turn, []).append(finding.quote)
        return flagged

    def creditable(self, turn: int, sentence: str) -> bool:
        """False when ``sentence`` overlaps a rule finding: a violation never earns a point.

        Overlap is by position in the turn, so a finding whose quote runs on into neighbouring
        text (a note to the grader glued to the sentence) still covers the sentence.
        """
        raw = self.text(turn)
        start = raw.find(sentence)
        if start < 0:
            return not any(q in sentence or sentence in q for q in self.flagged.get(turn, []))
        end = start + len(sentence)
        for quote in self.flagged.get(turn, []):
            at = raw.find(quote)
            if at >= 0 and at < end and start < at + len(quote):
                return False
        return True

    def marker_sentences(self, kind: str, turns: Iterable[int] | None = None) -> list[Evidence]:
        """Sentences of the clean agent text by grading marker.

        ``concrete`` and ``structure``: creditable sentences with a concrete / structure marker;
        ``vague``: sentences with a hedge and nothing concrete in them.
        """
        patterns = signals.grading_patterns(self.language)
        found: list[Evidence] = []
        for turn in self.agent_turns if turns is None else turns:
            # Grader-directed text is gone from the clean text, so it can neither earn credit nor,
            # with a digit of its own, hide a hedge next to it.
            for sentence in signals.sentences(self.rec(turn).text, self.language):
                if kind == "vague":
                    # A hedge inside a question ("您大概几点提交的?") asks; it commits to nothing.
                    hedged = bool(patterns.vague_markers.search(sentence)) and not signals.is_question(
                        sentence, self.language
                    )
                    strong = bool(patterns.strong_vague_markers.search(sentence))
                    hit = hedged and (strong or not patterns.concrete_markers.search(sentence))
                else:
                    pattern = patterns.concrete_markers if kind == "concrete" else patterns.structure_markers
                    hit = bool(pattern.search(sentence)) and self.creditable(turn, sentence)
                if hit:
                    found.extend(self.evidence(turn, sentence))
        return found

    @cached_property
    def plain_offers(self) -> list[Evidence]:
        """offer_solution sentences with no negation and no rule finding in them (any wording)."""
        from simulator.lexicon import compiled_lexicon

        negation = compiled_lexicon(self.language).negation
        found: list[Evidence] = []
        for turn in self.agent_turns:
            for quote in self.rec(turn).quotes(DialogueAct.offer_solution):
                sentence = self.sentence_of(turn, quote)
                if not negation.search(sentence) and self.creditable(turn, sentence):
                    found.extend(self.evidence(turn, sentence))
        return found

    @cached_property
    def volunteered(self) -> set[str]:
        """Keys of the case's facts the customer stated without being asked for them.

        Counted where nobody had to ask: in the customer's opening message, or in an answer to
        the agent's question about something else (the agent's question drew it out).
        """
        if self.case is None:
            return set()
        asked_before = True  # the opening message needs no question before it
        found: set[str] = set()
        for index, turn in enumerate(self.transcript.turns):
            if turn.role == "agent":
                follows_customer = index == 0 or self.transcript.turns[index - 1].role == "customer"
                asks = index in self.agent_turns and self.rec(index).has(DialogueAct.ask_fact)
                asked_before = asks or (asked_before and not follows_customer)
                continue
            if asked_before:
                for fact in self.case.hidden_facts:
                    if signals.states_value(turn.text, fact.value, self.language):
                        found.add(fact.key)
        return found

    @cached_property
    def replies(self) -> list[tuple[int, list[int]]]:
        """(customer turn, the agent burst right after it) for every customer turn an agent answers."""
        starts = {burst[0]: burst for burst in self.clean.bursts}
        pairs: list[tuple[int, list[int]]] = []
        for index, turn in enumerate(self.transcript.turns):
            if turn.role == "customer" and index + 1 in starts:
                pairs.append((index, starts[index + 1]))
        return pairs

    def customer_text_before(self, turn: int) -> str:
        """Everything the customer said before agent turn ``turn``."""
        return "\n".join(t.text for t in self.transcript.turns[:turn] if t.role == "customer")

    def concrete_answer(self, text: str) -> bool:
        """True when ``text`` commits to something precise (not a guessed number) or names a limit honestly."""
        patterns = signals.grading_patterns(self.language)
        if patterns.honest_limit.search(text):
            return True
        return any(
            patterns.concrete_markers.search(sentence) and not patterns.strong_vague_markers.search(sentence)
            for sentence in signals.sentences(text, self.language)
        )

    def specific(self, sentence: str, turn: int) -> bool:
        """True when ``sentence`` picks up the customer's own words from before agent turn ``turn``."""
        said = signals.content_tokens(self.customer_text_before(turn), self.language)
        shared = said & signals.content_tokens(sentence, self.language)
        return len(shared) >= (2 if self.language == "zh-CN" else 1)

    def sentence_of(self, turn: int, quote: str) -> str:
        """The sentence of agent turn ``turn`` (clean text) that contains ``quote`` (``quote`` if none)."""
        return next(iter(self.sentences_from(turn, quote, 1)), quote)

    def sentences_from(self, turn: int, quote: str, count: int) -> list[str]:
        """Up to ``count`` sentences of agent turn ``turn`` (clean text), from the one with ``quote`` on."""
        found = signals.sentences(self.rec(turn).text, self.language)
        for index, sentence in enumerate(found):
            if quote in sentence:
                return found[index : index + count]
        return []


# -- individual signals (each documented in offline_weights.yaml) ---------------------------------


def _greeting(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.greeting, m.opening)
    return SignalResult(
        1.0 if quotes else 0.0, positive=quotes[:1], weak=None if quotes else Moment(m.opening[0], PhraseStage.opening)
    )


def _self_intro(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.self_intro, m.opening)
    if not quotes:
        return SignalResult(0.0, weak=Moment(m.opening[0], PhraseStage.opening))
    if m.language == "zh-CN":
        # The standard Chinese opening gives both a name and a staff number (工号); one of them is half.
        number = any("工号" in e.quote for e in quotes)
        name = any("工号" not in e.quote for e in quotes)
        if not (number and name):
            return SignalResult(0.5, positive=quotes[:1], weak=Moment(m.opening[0], PhraseStage.opening))
    return SignalResult(1.0, positive=quotes[:1])


def _closing(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.closing, m.closing_burst)
    if quotes:
        return SignalResult(1.0, positive=quotes[-1:])
    last = m.closing_burst[-1]
    courteous = signals.closes_courteously(m.rec(last).text, m.language)
    if courteous:
        return SignalResult(1.0, positive=m.evidence(last, courteous))
    return SignalResult(0.0, weak=Moment(m.closing_burst[-1], PhraseStage.closing))


def _clean_wording(m: _Measure) -> SignalResult:
    return SignalResult(0.0 if m.findings_of("forbidden_phrase") else 1.0)


def _forbidden(m: _Measure) -> SignalResult:
    return m.finding_signal("forbidden_phrase", PhraseStage.solution)


def _empathy(m: _Measure) -> SignalResult:
    first = m.first_act(FEELING_ACTS)
    if first is None:
        after_customer = next((t for t in m.agent_turns if t > 0), m.agent_turns[0])
        return SignalResult(0.0, weak=Moment(after_customer, PhraseStage.empathy))
    # Full credit when the sympathy names the customer's own situation ("让您饿着肚子干等半个多小时",
    # or "I'm so sorry. A missing bag two days before the wedding..."); a stock formula on its own
    # ("理解您的心情") earns half.
    for turn in m.agent_turns:
        for act in FEELING_ACTS:
            for quote in m.rec(turn).quotes(act):
                for sentence in m.sentences_from(turn, quote, 1):
                    if m.specific(sentence, turn):
                        return SignalResult(1.0, positive=m.evidence(turn, sentence))
    return SignalResult(0.5, positive=m.evidence(first[0], first[2]), weak=Moment(first[0], PhraseStage.empathy))


def _feelings_first(m: _Measure) -> SignalResult:
    feeling = m.first_act(FEELING_ACTS)
    fact = m.first_act(FACT_ACTS)
    if fact is None or (feeling is not None and feeling[:2] <= fact[:2]):
        if feeling is None:
            return SignalResult(0.0, weak=Moment(m.agent_turns[0], PhraseStage.empathy))
        return SignalResult(1.0, positive=m.evidence(feeling[0], feeling[2]))
    return SignalResult(0.0, negative=m.evidence(fact[0], fact[2]), weak=Moment(fact[0], PhraseStage.empathy))


def _confirm_need(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.confirm_need)
    if quotes:
        return SignalResult(1.0, positive=quotes[:1])
    asking = next((t for t in m.agent_turns if m.rec(t).has(DialogueAct.ask_fact)), m.agent_turns[0])
    # Cases have no "confirm" stage; their empathy line is the one that names the customer's need.
    return SignalResult(0.0, weak=Moment(asking, PhraseStage.empathy))


def _mood_trend(m: _Measure) -> SignalResult:
    if len(m.moods) < 2:
        return NOT_APPLICABLE
    change = m.moods[-1] - m.moods[0]
    step = m.weights.thresholds.mood_change
    if change <= -step:
        return SignalResult(1.0)
    if change >= step:
        return SignalResult(-1.0, weak=Moment(None, PhraseStage.empathy))
    return SignalResult(0.0)


def _unanswered(m: _Measure) -> SignalResult:
    return m.finding_signal("unanswered_question", PhraseStage.clarify)


def _facts_asked(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.ask_fact)
    first_offer = m.first_act((DialogueAct.offer_solution,))
    weak_turn = first_offer[0] if first_offer else m.agent_turns[0]
    if m.case is None:
        if quotes:
            return SignalResult(1.0, positive=quotes[:2])
        return SignalResult(0.0, weak=Moment(weak_turn, PhraseStage.clarify))
    required = [fact.key for fact in m.case.hidden_facts if fact.required]
    if not required:
        return NOT_APPLICABLE
    asked = {key for turn in m.agent_turns for key in m.rec(turn).asked_facts} | m.volunteered
    share = sum(1 for key in required if key in asked) / len(required)
    # A good agent asks only for what the system does not already show, so covering
    # ``facts_full_share`` of the required facts earns full credit.
    value = min(1.0, share / m.weights.thresholds.facts_full_share)
    return SignalResult(value, positive=quotes[:2], weak=None if value >= 1 else Moment(weak_turn, PhraseStage.clarify))


def _resolution_offered(m: _Measure) -> SignalResult:
    quotes = m.act_quotes(DialogueAct.offer_solution)
    last = m.closing_burst[0] if m.closing_burst else m.agent_turns[-1]
    if m.case is None:
        return SignalResult(
            1.0 if quotes else 0.0, positive=quotes[:2], weak=None if quotes else Moment(last, PhraseStage.solution)
        )
    offering = [turn for turn in m.agent_turns if m.rec(turn).offered]
    if not offering:
        # An offer the case's keywords do not name is still an offer: the case lists the usual
        # wording, not every way of putting it. Half credit, so a named resolution still counts more.
        generic = m.plain_offers
        if generic:
            return SignalResult(
                m.weights.thresholds.unnamed_offer_credit,
                positive=generic[:1],
                weak=Moment(last, PhraseStage.solution),
            )
        return SignalResult(0.0, weak=Moment(last, PhraseStage.solution))
    positive: list[Evidence] = []
    for turn in offering:
        positive.extend(m.act_quotes(DialogueAct.offer_solution, [turn])[:1])
    return SignalResult(1.0, positive=positive[:2])


def _concrete_next_step(m: _Measure) -> SignalResult:
    turns = [
        t
        for t in m.agent_turns
        if m.rec(t).acts & {DialogueAct.offer_solution, DialogueAct.promise, DialogueAct.give_proof}
    ]
    proof = m.act_quotes(DialogueAct.give_proof, turns)
    concrete = m.marker_sentences("concrete", turns)
    if proof or concrete:
        return SignalResult(1.0, positive=(proof + concrete)[:1])
    weak_turn = turns[0] if turns else (m.closing_burst[0] if m.closing_burst else m.agent_turns[-1])
    return SignalResult(0.0, weak=Moment(weak_turn, PhraseStage.solution))


def _escalation(m: _Measure) -> SignalResult:
    if m.case is None or m.case.category != "authority":
        return NOT_APPLICABLE
    quotes = m.act_quotes(DialogueAct.escalate)
    if quotes:
        return SignalResult(1.0, positive=quotes[:1])
    return SignalResult(-1.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution))


def _outcome(m: _Measure) -> SignalResult:
    states = [turn.state for turn in m.transcript.turns if turn.role == "customer" and turn.state]
    if not states:
        return NOT_APPLICABLE
    if any(state.goal_met or state.outcome == "resolved" for state in states):
        return SignalResult(1.0)
    if any(state.outcome in ("gave_up", "abandoned") for state in states):
        return SignalResult(-1.0, weak=Moment(None, PhraseStage.solution))
    return SignalResult(0.0)


def _unacceptable(m: _Measure) -> SignalResult:
    return m.finding_signal("unacceptable_offer", PhraseStage.solution)


def _over_promise(m: _Measure) -> SignalResult:
    return m.finding_signal("over_promise", PhraseStage.solution)


def _archetype_fit(m: _Measure) -> SignalResult:
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
    return SignalResult(0.5)


def _archetype_misfit(m: _Measure) -> SignalResult:
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


def _refusals(m: _Measure) -> tuple[list[int], list[int]]:
    alternatives = {
        DialogueAct.offer_solution,
        DialogueAct.escalate,
        DialogueAct.explain_policy,
        DialogueAct.give_proof,
    }
    refusing = [t for t in m.agent_turns if m.rec(t).has(DialogueAct.refusal)]
    bare = [t for t in refusing if not (m.rec(t).acts & alternatives)]
    return refusing, bare


def _refusal_no_offer(m: _Measure) -> SignalResult:
    """Refusals with nothing offered or escalated in the same turn (a reason alone solves nothing)."""
    refusing, _ = _refusals(m)
    helped = {DialogueAct.offer_solution, DialogueAct.escalate}
    empty = [t for t in refusing if not (m.rec(t).acts & helped)]
    negative = [e for t in empty for e in m.act_quotes(DialogueAct.refusal, [t])[:1]]
    return SignalResult(
        float(len(empty)), negative=negative, weak=Moment(empty[0], PhraseStage.solution) if empty else None
    )


def _refusal_alternative(m: _Measure) -> SignalResult:
    refusing, bare = _refusals(m)
    if not refusing:
        return NOT_APPLICABLE
    if bare:
        return SignalResult(0.0, weak=Moment(bare[0], PhraseStage.solution))
    return SignalResult(1.0, positive=m.act_quotes(DialogueAct.refusal, refusing[:1])[:1])


def _bare_refusal(m: _Measure) -> SignalResult:
    _, bare = _refusals(m)
    negative = [e for t in bare for e in m.act_quotes(DialogueAct.refusal, [t])[:1]]
    return SignalResult(
        float(len(bare)), negative=negative, weak=Moment(bare[0], PhraseStage.solution) if bare else None
    )


def _concise(m: _Measure) -> SignalResult:
    limit = m.weights.thresholds.concise_ratio * m.long_turn_limit
    if m.mean_agent_chars <= limit:
        return SignalResult(1.0)
    longest = max(m.agent_turns, key=lambda t: len(m.rec(t).text))
    return SignalResult(0.0, weak=Moment(longest, PhraseStage.solution))


def _concrete(m: _Measure) -> SignalResult:
    found = m.marker_sentences("concrete")
    if found:
        return SignalResult(1.0, positive=found[:1])
    return SignalResult(0.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution))


def _structure(m: _Measure) -> SignalResult:
    found = m.marker_sentences("structure")
    return SignalResult(1.0 if found else 0.0, positive=found[:1])


def _vague(m: _Measure) -> SignalResult:
    found = m.marker_sentences("vague")
    weak = Moment(found[0].turn, PhraseStage.solution, found[0].quote) if found else None
    return SignalResult(float(len(found)), negative=found, weak=weak)


def _jargon(m: _Measure) -> SignalResult:
    return m.finding_signal("jargon", PhraseStage.solution)


def _long_turn(m: _Measure) -> SignalResult:
    return m.finding_signal("long_turn", PhraseStage.solution)


def _risk_notice(m: _Measure) -> SignalResult:
    # A warning about codes and passwords is the mark of full compliance where privacy is at stake;
    # elsewhere it would be beside the point, and a clean transcript needs no such bonus.
    if m.case is not None and m.case.category != "privacy":
        return NOT_APPLICABLE
    pattern = signals.grading_patterns(m.language).risk_notice
    for turn in m.agent_turns:
        for sentence in signals.sentences(m.rec(turn).text, m.language):
            if pattern.search(sentence):
                return SignalResult(1.0, positive=m.evidence(turn, sentence))
    return SignalResult(0.0)


def _vague_guarantee(m: _Measure) -> SignalResult:
    flagged = {f.turn for f in m.findings_of("over_promise")}
    quotes = [e for e in m.act_quotes(DialogueAct.promise) if e.turn not in flagged]
    return SignalResult(
        1.0 if quotes else 0.0,
        negative=quotes[:1],
        weak=Moment(quotes[0].turn, PhraseStage.solution) if quotes else None,
    )


def _private(m: _Measure) -> SignalResult:
    return m.finding_signal("private_data_request", PhraseStage.clarify)


def _grader_instruction(m: _Measure) -> SignalResult:
    return m.finding_signal("grader_instruction", PhraseStage.solution)


def _evasive_answer(m: _Measure) -> SignalResult:
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


def _stock_phrase(m: _Measure) -> SignalResult:
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


def _rule_first(m: _Measure) -> SignalResult:
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


def _all_answered(m: _Measure) -> SignalResult:
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


def _asks_again(m: _Measure) -> SignalResult:
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


def _follow_up(m: _Measure) -> SignalResult:
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


def _alternative(m: _Measure) -> SignalResult:
    """More than one of the case's acceptable resolutions was put to the customer (a choice)."""
    if m.case is None or len(m.case.acceptable_resolutions) < 2:
        return NOT_APPLICABLE
    offered: list[str] = []
    turns: list[int] = []
    for turn in m.agent_turns:
        for resolution_id in m.rec(turn).offered:
            if resolution_id not in offered:
                offered.append(resolution_id)
                turns.append(turn)
    if len(offered) >= 2:
        positive = [e for turn in turns[:2] for e in m.act_quotes(DialogueAct.offer_solution, [turn])[:1]]
        return SignalResult(1.0, positive=positive)
    last = m.closing_burst[0] if m.closing_burst else m.agent_turns[-1]
    return SignalResult(0.0, weak=Moment(last, PhraseStage.solution))


SIGNALS: dict[str, Callable[[_Measure], SignalResult]] = {
    "greeting": _greeting,
    "self_intro": _self_intro,
    "closing": _closing,
    "clean_wording": _clean_wording,
    "forbidden_phrase": _forbidden,
    "empathy": _empathy,
    "feelings_first": _feelings_first,
    "confirm_need": _confirm_need,
    "mood_trend": _mood_trend,
    "unanswered_question": _unanswered,
    "facts_asked": _facts_asked,
    "resolution_offered": _resolution_offered,
    "concrete_next_step": _concrete_next_step,
    "escalation": _escalation,
    "outcome": _outcome,
    "unacceptable_offer": _unacceptable,
    "over_promise": _over_promise,
    "archetype_fit": _archetype_fit,
    "archetype_misfit": _archetype_misfit,
    "refusal_alternative": _refusal_alternative,
    "bare_refusal": _bare_refusal,
    "concise": _concise,
    "concrete": _concrete,
    "structure": _structure,
    "vague": _vague,
    "jargon": _jargon,
    "long_turn": _long_turn,
    "risk_notice": _risk_notice,
    "vague_guarantee": _vague_guarantee,
    "private_data_request": _private,
    "grader_instruction": _grader_instruction,
    "evasive_answer": _evasive_answer,
    "stock_phrase": _stock_phrase,
    "rule_first": _rule_first,
    "all_answered": _all_answered,
    "asks_again": _asks_again,
    "follow_up": _follow_up,
    "refusal_no_offer": _refusal_no_offer,
    "alternative": _alternative,
}

# Signals that are counts of rule findings (a penalty per occurrence, never "missing").
_PENALTIES = {
    "forbidden_phrase",
    "unanswered_question",
    "unacceptable_offer",
    "over_promise",
    "archetype_misfit",
    "bare_refusal",
    "jargon",
    "long_turn",
    "vague_guarantee",
    "vague",
    "private_data_request",
    "grader_instruction",
    "evasive_answer",
    "stock_phrase",
    "rule_first",
    "asks_again",
    "refusal_no_offer",
}
# Signals that can go either way; a zero is neutral, not a shortfall.
_TRENDS = {"mood_trend", "outcome", "escalation"}


# ---------------------------------------------------------------------------------------------
# Scoring one criterion


_LABELS: dict[Language, dict[str, str]] = {
    "zh-CN": {
        "greeting": "开场问候",
        "self_intro": "自我介绍",
        "closing": "规范结束语",
        "clean_wording": "没有禁忌话术",
        "forbidden_phrase": "禁忌话术",
        "empathy": "安抚客户情绪",
        "feelings_first": "先处理情绪再处理事情",
        "confirm_need": "复述确认客户需求",
        "mood_trend": "客户情绪变化",
        "unanswered_question": "客户的问题没有回应",
        "facts_asked": "询问解决问题所需的信息",
        "resolution_offered": "给出可接受的解决方案",
        "concrete_next_step": "说明时限、金额或凭证",
        "escalation": "按权限上报或转接",
        "outcome": "客户问题是否解决",
        "unacceptable_offer": "客户难以接受的方案",
        "over_promise": "超出权限的承诺",
        "archetype_fit": "贴合客户类型的沟通方式",
        "archetype_misfit": "与客户类型相冲突的做法",
        "refusal_alternative": "拒绝时给出替代途径",
        "bare_refusal": "生硬拒绝,没有替代方案",
        "concise": "表达简洁",
        "concrete": "信息具体(时间、金额、步骤)",
        "structure": "条理清楚(先后步骤)",
        "vague": "含糊其辞,没有具体时限或数字",
        "jargon": "内部术语",
        "long_turn": "长篇大段",
        "risk_notice": "主动做隐私/风险提示",
        "vague_guarantee": "模糊的保证",
        "private_data_request": "索要隐私信息",
        "grader_instruction": "针对评分者的指令",
        "evasive_answer": "客户问时间、金额,回答里却没有具体数字",
        "stock_phrase": "用套话代替回答",
        "rule_first": "开口先讲规定或拒绝,没先了解和安抚",
        "all_answered": "客户的每个问题都有回应",
        "asks_again": "客户不得不追问才明白",
        "follow_up": "用单号、书面确认或回访时间落实结果",
        "refusal_no_offer": "拒绝后没有给出任何办法",
        "alternative": "给出不止一个可行方案供客户选择",
        "did": "做到",
        "missing": "欠缺",
        "lost": "扣分",
        "base": "基础分",
        "result": "合计",
        "capped": "因“{signal}”最高只能得 {cap} 分",
        "archetype": "客户类型:{kind}",
        "archetype_unknown": "客户类型未知,应变按中性处理",
        "sep": ";",
        "join": "、",
        "try": "第 {turn} 轮可以这样说:“{text}”",
        "instead": "第 {turn} 轮不要说“{quote}”,可以这样说:“{text}”",
        "try_no_turn": "可以这样说:“{text}”",
        "other_case": "(以下是另一个案例“{title}”中的示范说法,人名、金额、地点、日期请换成本次对话的实际情况)",
        "rubric_turn": "第 {turn} 轮你说的是“{quote}”。按“{criterion}”的最高档要求:{level}",
        "rubric_no_turn": "按“{criterion}”的最高档要求:{level}",
        "no_agent": "对话中没有客服发言,无法评分",
        "unknown_criterion": "离线评分器没有“{criterion}”这一项的评分信号(offline_weights.yaml 中未配置)",
    },
    "en": {
        "greeting": "greeting in the opening",
        "self_intro": "self-introduction",
        "closing": "a proper close",
        "clean_wording": "no forbidden phrasing",
        "forbidden_phrase": "forbidden phrasing",
        "empathy": "acknowledging the customer's feelings",
        "feelings_first": "feelings before facts",
        "confirm_need": "restating and confirming the need",
        "mood_trend": "the customer's mood",
        "unanswered_question": "customer questions left unanswered",
        "facts_asked": "asking for the facts needed",
        "resolution_offered": "offering a workable resolution",
        "concrete_next_step": "a time frame, amount or reference number",
        "escalation": "escalating beyond own authority",
        "outcome": "whether the customer's problem was solved",
        "unacceptable_offer": "an offer the customer cannot accept",
        "over_promise": "promises beyond policy",
        "archetype_fit": "style suited to the customer type",
        "archetype_misfit": "the classic mistake with this customer type",
        "refusal_alternative": "an alternative whenever saying no",
        "bare_refusal": "a flat refusal with no alternative",
        "concise": "concise turns",
        "concrete": "concrete information (times, amounts, steps)",
        "structure": "clear order of steps",
        "vague": "vague wording with no time frame or number",
        "jargon": "internal jargon",
        "long_turn": "long-winded turns",
        "risk_notice": "a proactive privacy/risk notice",
        "vague_guarantee": "vague guarantees",
        "private_data_request": "asking for private data",
        "grader_instruction": "instructions aimed at the grader",
        "evasive_answer": "a question about when or how much answered without a number",
        "stock_phrase": "stock phrases in place of an answer",
        "rule_first": "opening with a rule or a refusal before listening",
        "all_answered": "every customer question answered",
        "asks_again": "the customer had to ask again",
        "follow_up": "a reference number, written confirmation or follow-up time",
        "refusal_no_offer": "a refusal with nothing offered instead",
        "alternative": "more than one workable option offered",
        "did": "Did",
        "missing": "Missing",
        "lost": "Lost points",
        "base": "base",
        "result": "total",
        "capped": "capped at {cap} because of {signal}",
        "archetype": "customer type: {kind}",
        "archetype_unknown": "customer type unknown, adaptability judged neutrally",
        "sep": "; ",
        "join": ", ",
        "try": 'At turn {turn}, try: "{text}"',
        "instead": 'At turn {turn}, instead of "{quote}", try: "{text}"',
        "try_no_turn": 'Try: "{text}"',
        "other_case": (
            '(An example from another case, "{title}": replace its names, amounts, places and dates with '
            "this conversation's own.)"
        ),
        "rubric_turn": 'At turn {turn} you said "{quote}". The top level of {criterion} asks for this: {level}',
        "rubric_no_turn": "The top level of {criterion} asks for this: {level}",
        "no_agent": "the transcript has no agent turns: there is nothing to grade",
        "unknown_criterion": (
            "the offline grader has no signals for criterion '{criterion}' (not in offline_weights.yaml)"
        ),
    },
}


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


@dataclass
class _Scored:
    score: int
    raw: float
    contributions: list[tuple[str, float, SignalResult]]
    capped_by: tuple[str, int] | None


def _score(m: _Measure, spec: CriterionWeights) -> _Scored:
    raw = spec.base
    contributions = []
    for name, weight in spec.signals.items():
        result = m.signal(name)
        if not result.applicable:
            continue
        points = weight.weight * result.value
        if weight.cap is not None:
            points = max(-weight.cap, min(weight.cap, points))
        raw += points
        contributions.append((name, points, result))
    score = max(1, min(5, _round_half_up(raw)))
    capped_by = None
    for name, cap in spec.score_caps.items():
        result = m.signal(name)
        if result.applicable and result.value > 0 and score > cap:
            score, capped_by = cap, (name, cap)
    return _Scored(score, raw, contributions, capped_by)


def _shortfalls(scored: _Scored, spec: CriterionWeights) -> list[tuple[float, str, SignalResult]]:
    """Signals that cost points, biggest loss first: fired penalties and missed behaviours."""
    lost = []
    for name, points, result in scored.contributions:
        if points < 0:
            lost.append((-points, name, result))
        elif name not in _PENALTIES and name not in _TRENDS and result.value < 1:
            lost.append((spec.signals[name].weight * (1 - result.value), name, result))
    # On a tie, something said (a fired penalty, with its quote) comes before something missing.
    return sorted(lost, key=lambda item: (-item[0], item[1] not in _PENALTIES))


def _choose_evidence(m: _Measure, scored: _Scored, shortfalls: list[tuple[float, str, SignalResult]]) -> list[Evidence]:
    limit = m.weights.thresholds.max_evidence
    chosen: list[Evidence] = []

    def add(items: Iterable[Evidence]) -> None:
        for item in items:
            if len(chosen) >= limit:
                return
            # One quote per moment: skip a quote inside (or around) one already chosen.
            if not any(c.turn == item.turn and (c.quote in item.quote or item.quote in c.quote) for c in chosen):
                chosen.append(item)

    ordered = sorted(scored.contributions, key=lambda c: -abs(c[1]))
    if scored.score >= 3:
        add(e for _, points, result in ordered if points > 0 for e in result.positive)
        # Rule-backed negatives are annotated as hurting through their findings, whatever the score.
        add(e for name, points, result in ordered if points < 0 and name in _PENALTIES for e in result.negative)
    else:
        add(e for _, points, result in ordered if points < 0 for e in result.negative)
        add(e for _, _, result in shortfalls for e in result.negative)
        for _, _, result in shortfalls:
            if result.weak and result.weak.turn is not None:
                add(m.first_sentence(result.weak.turn))
    if not chosen:
        for _, _, result in shortfalls:
            if result.weak and result.weak.turn is not None:
                add(m.first_sentence(result.weak.turn))
                break
    if not chosen:
        substantive = next((t for t in m.agent_turns if m.rec(t).acts & set(SUBSTANTIVE)), m.agent_turns[0])
        add(m.first_sentence(substantive))
    return chosen


def _basis(scored: _Scored) -> Literal["action", "absence"]:
    """``action`` when a signal that moved the score carries a quote of what the agent said."""
    for _, points, result in scored.contributions:
        if (points > 0 and result.positive) or (points < 0 and result.negative):
            return "action"
    return "absence"


def _fmt_points(points: float) -> str:
    return f"{points:+.2f}".rstrip("0").rstrip(".")


def _rationale(m: _Measure, criterion_id: str, spec: CriterionWeights, scored: _Scored) -> str:
    labels = _LABELS[m.language]
    did, missing, lost = [], [], []
    for name, points, result in scored.contributions:
        label = labels.get(name, name)
        if points > 0:
            did.append(f"{label} ({_fmt_points(points)})")
        elif points < 0:
            count = f" ×{int(result.value)}" if name in _PENALTIES and result.value > 1 else ""
            lost.append(f"{label}{count} ({_fmt_points(points)})")
        elif name not in _PENALTIES and name not in _TRENDS and result.value < 1:
            missing.append(label)
    parts = []
    if criterion_id == "adaptability" or "archetype_fit" in spec.signals:
        parts.append(labels["archetype"].format(kind=m.archetype) if m.archetype else labels["archetype_unknown"])
    if did:
        parts.append(f"{labels['did']}: {labels['join'].join(did)}")
    if missing:
        parts.append(f"{labels['missing']}: {labels['join'].join(missing)}")
    if lost:
        parts.append(f"{labels['lost']}: {labels['join'].join(lost)}")
    tail = f"{labels['base']} {spec.base:g} → {scored.raw:.2f} → {scored.score}/5"
    if scored.capped_by:
        name, cap = scored.capped_by
        tail += f" ({labels['capped'].format(signal=labels.get(name, name), cap=cap)})"
    parts.append(tail)
    return labels["sep"].join(parts)


# ---------------------------------------------------------------------------------------------
# Suggestions


def _phrase_for(case: Case, stage: PhraseStage, hint: set[str]) -> str | None:
    """The case's recommended line for ``stage`` (the one sharing most with ``hint``), or a neighbour's."""
    order = list(PhraseStage)
    for distance in range(len(order)):
        for candidate in (order.index(stage) - distance, order.index(stage) + distance):
            if not 0 <= candidate < len(order):
                continue
            lines = [p.text for p in case.recommended_phrasing if p.stage == order[candidate]]
            if lines:
                return max(lines, key=lambda text: sum(1 for word in hint if word and word in text))
    return None


def _rubric_suggestion(m: _Measure, criterion_id: str, weak: Moment) -> str:
    """Coaching from the rubric's top level and the trainee's own words: no case's facts in it."""
    labels = _LABELS[m.language]
    criterion = m.rubric.criterion(criterion_id)
    level = criterion.levels[5].get(m.language)
    name = criterion.name.get(m.language)
    if weak.turn is not None and weak.quote:
        return labels["rubric_turn"].format(turn=weak.turn, quote=weak.quote, criterion=name, level=level)
    return labels["rubric_no_turn"].format(criterion=name, level=level)


def _suggestion(
    m: _Measure, shortfalls: list[tuple[float, str, SignalResult]], references: Sequence[Case], criterion_id: str
) -> tuple[str, str | None]:
    """A better phrasing for the weakest moment, and the case it comes from.

    From the transcript's own case when it has one. Otherwise another case's recommended line is
    shown only marked as an example from that case (its facts are not this customer's); with no
    reference case (no close case in the bank), the coaching comes from the rubric's top level and
    the trainee's own words.
    """
    weak = next((result.weak for _, _, result in shortfalls if result.weak is not None), None)
    if weak is None:
        return "", None
    sources = [m.case] if m.case is not None else [ref for ref in references if ref.language == m.language]
    if not sources:
        return _rubric_suggestion(m, criterion_id, weak), None
    source = sources[0]
    hint: set[str] = set()
    if weak.stage == PhraseStage.clarify and m.case is not None:
        asked = {key for turn in m.agent_turns for key in m.rec(turn).asked_facts}
        for fact in m.case.hidden_facts:
            if fact.required and fact.key not in asked:
                hint.update([fact.label, *fact.ask_keywords])
    elif weak.stage == PhraseStage.solution and m.case is not None:
        offered = {rid for turn in m.agent_turns for rid in m.rec(turn).offered}
        for resolution in m.case.acceptable_resolutions:
            if resolution.id not in offered:
                hint.update(resolution.keywords)
    text = _phrase_for(source, weak.stage, hint)
    if text is None:
        return "", None
    labels = _LABELS[m.language]
    if weak.turn is None:
        template = labels["try_no_turn"]
    elif weak.quote:
        template = labels["instead"]
    else:
        template = labels["try"]
    suggestion = template.format(turn=weak.turn, quote=weak.quote, text=text.strip())
    if m.case is None:
        suggestion = f"{labels['other_case'].format(title=source.title)} {suggestion}"
    return suggestion, source.id


# ---------------------------------------------------------------------------------------------
# Entry point


def grade_offline(
    transcript: Transcript,
    rubric: Rubric,
    case: Case | None,
    findings: Sequence[Finding],
    *,
    references: Sequence[Case] = (),
    archetype: str | None = None,
    weights: OfflineWeights | None = None,
) -> list[CriterionScore]:
    """Score every rubric criterion from ``findings`` and signals measured in ``transcript``.

    ``findings`` are the rule findings for this transcript (``rules.run_rules``); ``references``
    are reference cases used for suggestions when ``case`` is None; ``archetype`` is the customer
    type (transcript or persona); ``weights`` defaults to the shipped ``offline_weights.yaml``.
    Returns one CriterionScore per rubric criterion, in rubric order.
    """
    weights = weights or default_weights()
    labels = _LABELS[transcript.language]
    if not transcript.agent_turn_indices():
        return [CriterionScore(id=c.id, unscored_reason=labels["no_agent"]) for c in rubric.criteria]
    measure = _Measure(transcript, rubric, case, findings, archetype, weights)
    scores = []
    for criterion in rubric.criteria:
        spec = weights.criteria.get(criterion.id)
        if spec is None:
            scores.append(
                CriterionScore(
                    id=criterion.id, unscored_reason=labels["unknown_criterion"].format(criterion=criterion.id)
                )
            )
            continue
        scored = _score(measure, spec)
        shortfalls = _shortfalls(scored, spec)
        suggestion, suggestion_case = (
            _suggestion(measure, shortfalls, references, criterion.id) if scored.score < 5 else ("", None)
        )
        scores.append(
            CriterionScore(
                id=criterion.id,
                score=scored.score,
                basis=_basis(scored),
                evidence=_choose_evidence(measure, scored, shortfalls),
                rationale=_rationale(measure, criterion.id, spec, scored),
                suggestion=suggestion,
                suggestion_case_id=suggestion_case,
            )
        )
    return scores


def weights_fingerprint(weights: OfflineWeights | None = None) -> tuple[str, str]:
    """(version, sha256 prefix) of the weights, recorded in reports so offline scores stay comparable."""
    weights = weights or default_weights()
    return weights.version, weights.digest[:16]
