"""What the offline grader's signals read: one transcript measured once.

``Measure`` holds the transcript, its rule findings, each agent turn recognised once (with text
aimed at the grader removed first, so it can neither earn a point nor hide a shortcoming) and the
helpers signals share (quotes as evidence, acts by turn, concrete / vague sentences, replies to the
customer's questions). ``SignalResult`` is what a signal returns; ``Moment`` is where a criterion
fell short, for the coaching suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from simulator.grading import commitments, signals
from simulator.grading.registry import registered_signals
from simulator.grading.rule_context import RULES, RuleContext
from simulator.models import Case, DialogueAct, Evidence, Finding, Language, PhraseStage, Rubric, Transcript
from simulator.quotes import verify_agent_quote
from simulator.recognizer import RecognizedTurn

if TYPE_CHECKING:
    from simulator.grading.weights import OfflineWeights

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


class Measure:
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
            turn.model_copy(
                update={
                    "text": signals.without_grader_instructions(
                        turn.text, self.language, signals.asked_before(transcript.turns, index, self.language)
                    )
                }
            )
            if turn.role == "agent"
            else turn
            for index, turn in enumerate(transcript.turns)
        ]
        self.clean = RuleContext(transcript.model_copy(update={"turns": clean_turns}), rubric, case)

    # -- helpers ---------------------------------------------------------------------------------

    def signal(self, name: str) -> SignalResult:
        """The named signal, measured once."""
        if name not in self._cache:
            self._cache[name] = registered_signals()[name].measure(self)
        return self._cache[name]

    def text(self, turn: int) -> str:
        return self.transcript.turns[turn].text

    def evidence(self, turn: int | None, quote: str | None) -> list[Evidence]:
        """``[Evidence]`` (whole clauses, see ``simulator.quotes``) when ``quote`` is in agent turn ``turn``."""
        if turn is None or not quote or not quote.strip():
            return []
        # A clause never runs into a note to the grader glued to it ("...for you.Note to the grader").
        barriers = signals.turn_grader_spans(self.transcript, turn) if turn in self.agent_turns else []
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

    def by_meaning_alone(self, finding: Finding) -> bool:
        """True when ``finding`` quotes a sentence the recogniser flagged as forbidden phrasing by meaning
        alone (no listed phrase of the rubric or the case in it)."""
        if finding.turn is None or finding.turn not in self.agent_turns or not finding.quote:
            return False
        # A finding may quote more than the flagged sentence (a short "不会。" is cited with the clause
        # after it), so the flagged quotes are looked for inside the finding's quote.
        recognized = self.rec(finding.turn)
        by_meaning = {quote for quote, _ in recognized.forbidden_by_meaning}
        inside = [quote for quote in recognized.forbidden if quote in finding.quote]
        return bool(inside) and all(quote in by_meaning for quote in inside)

    def finding_signal(
        self, rule: str, stage: PhraseStage, keep: Callable[[Finding], bool] | None = None
    ) -> SignalResult:
        """The findings of ``rule`` (those ``keep`` accepts, when given) as a penalty: count, quotes, first moment."""
        found = [f for f in self.findings_of(rule) if keep is None or keep(f)]
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
    def said(self) -> list[commitments.Commitment]:
        """Offers, promises, claims, refusals and hedges of the clean agent text, matched to the case."""
        return commitments.commitments_in(self.clean)

    @cached_property
    def credited_resolutions(self) -> dict[str, commitments.Commitment]:
        """Acceptable resolutions committed to without hedging (by meaning or keyword hints)."""
        return commitments.credited_resolutions(self.clean, self.said)

    def solid_offers(self) -> list[Evidence]:
        """Quotes of unhedged offers and promises that refuse nothing and have no rule finding in them."""
        found: list[Evidence] = []
        for item in self.said:
            offers = item.acts & {DialogueAct.offer_solution, DialogueAct.promise}
            if offers and item.solid and self.creditable(item.turn, item.quote):
                found.extend(self.evidence(item.turn, item.quote))
        return found

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
        """Agent turn -> quotes of warning/violation findings on it whose quote is the fault itself.

        A finding of an absence (``RuleSpec.quote_at_fault`` False: a missing greeting or closing, an
        unanswered question) quotes a sentence only to say where; that sentence keeps its credit.
        """
        flagged: dict[int, list[str]] = {}
        for finding in self.findings:
            spec = RULES.get(finding.rule)
            at_fault = spec is None or spec.quote_at_fault
            if finding.severity != "info" and at_fault and finding.turn is not None and finding.quote:
                flagged.setdefault(finding.turn, []).append(finding.quote)
        return flagged

    def creditable(self, turn: int, sentence: str) -> bool:
        """False when ``sentence`` overlaps a rule finding whose quote is at fault: a fault never earns a point.

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
                    # A hedge by meaning (the recogniser's ``hedge`` act), unless a precise number or
                    # date in it makes it a commitment; a guessed number ("大概吧") stays vague.
                    hedged = any(
                        part.has(DialogueAct.hedge) for part in self.rec(turn).sentences if part.text == sentence
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
        """offer_solution sentences that refuse nothing and have no rule finding in them (any wording)."""
        found: list[Evidence] = []
        for turn in self.agent_turns:
            for part in self.rec(turn).sentences:
                offers = part.has(DialogueAct.offer_solution) and not part.has(DialogueAct.refusal)
                if offers and self.creditable(turn, part.text):
                    found.extend(self.evidence(turn, part.text))
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
