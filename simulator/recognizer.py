"""What does an agent turn do? One recogniser for the customer, the rules and the grader.

``recognize(text, language, case=..., rubric=...)`` returns a :class:`RecognizedTurn`: the acts of
the turn, learned by meaning and found sentence by sentence (``simulator.recognition``), each with
its sentence as the quote, plus what only the case and the rubric can tell:

- **hidden facts asked for**: a sentence that asks for a fact (``ask_fact``, or a question's form)
  and names one of the case's facts (its label or ``ask_keywords``), else names a kind of fact
  (``lexicons/<language>.yaml``), in which case the fact of that kind whose words it shares most;
- **resolutions offered**: a sentence recognised as an offer or a promise that names one of the
  case's resolutions (its keyword hints); when the sentence also refuses, only the clauses the
  classifier reads as offering count ("我们无法退款，但可以为您补发" offers only 补发);
- **forbidden phrasing**: sentences recognised as ``forbidden_phrase`` by meaning, and the
  rubric's and the case's literal lists (``simulator.recognition.phrases``; the rubric's
  brush-offs only as a whole clause, ``simulator.clauses``);
- **private-data requests**, **notes to the grader**, **rating requests**: sentences so recognised;
- **over-promises**: an offering or promising sentence with one of the case's forbidden promise
  keywords, or compensation above ``policy.max_compensation``;
- ``long_turn`` (longer than the rubric's limit) and ``jargon`` (the rubric's list): structural.

Every quote is a verbatim substring of the turn. Sentences are embedded once and cached, so
recognising the same text again costs only the classifier.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from simulator.clauses import ClauseMatcher, clause_matcher
from simulator.lexicon import CompiledLexicon, compiled_lexicon, keyword_pattern
from simulator.models import Case, DialogueAct, Language, Rubric
from simulator.recognition import structure
from simulator.recognition.clause_reading import reread_without
from simulator.recognition.phrases import Phrase, compile_phrases, find_phrase, find_phrases
from simulator.recognition.sentence_acts import SentenceActs, recognize_spans, recognize_text
from simulator.recognition.sentences import split_clauses

__all__ = ["ActMatch", "RecognizedTurn", "find_phrase", "recognize"]

_OFFERING = frozenset({DialogueAct.offer_solution, DialogueAct.promise})


@dataclass(frozen=True)
class ActMatch:
    """One act found in a turn, with the exact text that carries it (its sentence or a listed phrase)."""

    act: DialogueAct
    quote: str


@dataclass(frozen=True)
class RecognizedTurn:
    """Everything recognised in one agent turn. Every quote is a verbatim substring of ``text``."""

    text: str
    acts: frozenset[DialogueAct]
    matches: tuple[ActMatch, ...]
    sentences: tuple[SentenceActs, ...] = ()
    asked_facts: tuple[str, ...] = ()
    offered: tuple[str, ...] = ()
    offered_unacceptable: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    # The sentences of ``forbidden`` flagged by meaning alone (no listed phrase in them), with the
    # recogniser's score: the grader counts them only at a confidence chosen on dev.
    forbidden_by_meaning: tuple[tuple[str, float], ...] = ()
    private_requests: tuple[str, ...] = ()
    over_promises: tuple[str, ...] = ()
    grader_notes: tuple[str, ...] = ()
    rating_requests: tuple[str, ...] = ()
    is_question: bool = False

    def has(self, act: DialogueAct | str) -> bool:
        """True when the turn performs ``act``."""
        return DialogueAct(act) in self.acts

    def quotes(self, act: DialogueAct | str) -> tuple[str, ...]:
        """The quotes that carry ``act`` (empty when the act is absent)."""
        wanted = DialogueAct(act)
        return tuple(match.quote for match in self.matches if match.act == wanted)


# ---------------------------------------------------------------------------------------------
# Case and rubric lists, compiled once per object


@dataclass(frozen=True)
class _FactPatterns:
    key: str
    kind: str
    specific: re.Pattern[str] | None  # the fact's own ask_keywords and label
    generic: re.Pattern[str] | None  # how any fact of its kind is named
    hint_grams: frozenset[str] = frozenset()  # character bigrams of the label and ask_keywords


@dataclass(frozen=True)
class _CaseKit:
    facts: tuple[_FactPatterns, ...]
    acceptable: tuple[tuple[str, re.Pattern[str] | None], ...]
    unacceptable: tuple[tuple[str, re.Pattern[str] | None], ...]
    forbidden: tuple[Phrase, ...]
    forbidden_promise: re.Pattern[str] | None
    max_compensation: float | None
    allowed_amounts: frozenset[float] = frozenset()


@dataclass(frozen=True)
class OrdinaryReferences:
    """The rubric's ``ordinary_references`` of one language: where they occur, and the name read instead."""

    pattern: re.Pattern[str]
    stand_in: str


@dataclass(frozen=True)
class _RubricKit:
    forbidden: tuple[Phrase, ...]
    jargon: re.Pattern[str] | None
    long_turn_chars: int | None
    brush_offs: ClauseMatcher | None = None
    not_requests: ClauseMatcher | None = None
    not_brush_offs: ClauseMatcher | None = None
    references: OrdinaryReferences | None = None


@dataclass
class _IdentityCache:
    """A small LRU keyed by object identity; holds the object so its id cannot be reused."""

    size: int = 64
    entries: OrderedDict[tuple[int, str], tuple[Any, Any]] = field(default_factory=OrderedDict)

    def get(self, obj: Any, language: str, build: Any) -> Any:
        key = (id(obj), language)
        entry = self.entries.get(key)
        if entry is not None and entry[0] is obj:
            self.entries.move_to_end(key)
            return entry[1]
        value = build()
        self.entries[key] = (obj, value)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


_CASE_CACHE = _IdentityCache()
_RUBRIC_CACHE = _IdentityCache()


def _case_kit(case: Case, lex: CompiledLexicon) -> _CaseKit:
    def build() -> _CaseKit:
        inflect = lex.language == "en"
        return _CaseKit(
            facts=tuple(
                _FactPatterns(
                    key=fact.key,
                    kind=fact.kind.value,
                    specific=keyword_pattern([*fact.ask_keywords, fact.label], loose=True),
                    generic=keyword_pattern(lex.fact_kinds.get(fact.kind, [])),
                    hint_grams=_bigrams(" ".join([fact.label, *fact.ask_keywords])),
                )
                for fact in case.hidden_facts
            ),
            acceptable=tuple(
                (res.id, keyword_pattern(res.keywords, inflect=inflect, loose=True))
                for res in case.acceptable_resolutions
            ),
            unacceptable=tuple(
                (res.id, keyword_pattern(res.keywords, inflect=inflect)) for res in case.customer_refuses
            ),
            forbidden=compile_phrases(case.forbidden_phrasing),
            forbidden_promise=keyword_pattern(case.policy.forbidden_promise_keywords),
            max_compensation=case.policy.max_compensation,
            allowed_amounts=policy_amounts(case, lex.language),
        )

    kit: _CaseKit = _CASE_CACHE.get(case, lex.language, build)
    return kit


def _rubric_kit(rubric: Rubric, lex: CompiledLexicon) -> _RubricKit:
    def build() -> _RubricKit:
        rules = rubric.rules.get(lex.language)
        leading, trailing = (rules.clause_fillers.leading, rules.clause_fillers.trailing) if rules else ((), ())
        secret_rule = next(
            (r for r in rubric.critical_errors.get(lex.language, []) if r.kind == "private_data_request"), None
        )
        not_requests = (
            clause_matcher(secret_rule.not_requests, leading, trailing)
            if secret_rule is not None and secret_rule.not_requests
            else None
        )
        references = _ordinary_references(secret_rule.ordinary_references if secret_rule else [])
        if rules is None:
            return _RubricKit((), None, None, None, not_requests, references=references)
        brush_offs = clause_matcher(rules.brush_offs, leading, trailing) if rules.brush_offs else None
        courtesy = clause_matcher(rules.not_brush_offs, leading, trailing) if rules.not_brush_offs else None
        return _RubricKit(
            compile_phrases(rules.forbidden_phrases),
            keyword_pattern(rules.jargon),
            rules.long_turn_chars,
            brush_offs,
            not_requests,
            courtesy,
            references,
        )

    kit: _RubricKit = _RUBRIC_CACHE.get(rubric, lex.language, build)
    return kit


def not_request_clauses(rubric: Rubric, language: Language) -> ClauseMatcher | None:
    """The rubric's clauses saying a secret is not needed (``critical_errors`` ``private_data_request``
    ``not_requests``), compiled once per rubric and language; None when it lists none."""
    return _rubric_kit(rubric, compiled_lexicon(language)).not_requests


def ordinary_references(rubric: Rubric, language: Language) -> OrdinaryReferences | None:
    """The rubric's names of ordinary references (``critical_errors`` ``private_data_request``
    ``ordinary_references``) compiled once per rubric and language; None when it lists none."""
    return _rubric_kit(rubric, compiled_lexicon(language)).references


def _ordinary_references(names: list[str]) -> OrdinaryReferences | None:
    # keyword_pattern matches Latin-script names as whole words ("pin code" is no "code").
    pattern = keyword_pattern(names)
    return OrdinaryReferences(pattern, names[0]) if pattern is not None else None


def case_forbidden_promise(case: Case, language: Language) -> re.Pattern[str] | None:
    """The case's ``forbidden_promise_keywords`` as one pattern, compiled once per case and language."""
    return _case_kit(case, compiled_lexicon(language)).forbidden_promise


def case_allowed_amounts(case: Case, language: Language) -> frozenset[float]:
    """:func:`policy_amounts` of ``case``, computed once per case and language."""
    return _case_kit(case, compiled_lexicon(language)).allowed_amounts


# ---------------------------------------------------------------------------------------------
# Case-specific findings


def _bigrams(text: str) -> frozenset[str]:
    """Lower-cased character bigrams of the letters and digits in ``text``."""
    letters = "".join(char for char in text.lower() if char.isalnum())
    return frozenset(letters[index : index + 2] for index in range(len(letters) - 1))


def _facts_in(body: str, kit: _CaseKit) -> list[str]:
    """Facts a question asks for.

    A fact's own words win; a question that only names a kind of fact ("哪天", "what date") picks one
    fact of that kind, so one question never draws out two different dates: the one whose label and
    keywords share the most character bigrams with the question, the first one on a tie.
    """
    specific = [fact.key for fact in kit.facts if fact.specific is not None and fact.specific.search(body)]
    if specific:
        return specific
    question_grams = _bigrams(body)
    chosen: dict[str, tuple[int, str]] = {}
    for fact in kit.facts:
        if fact.generic is None or not fact.generic.search(body):
            continue
        overlap = len(question_grams & fact.hint_grams)
        if fact.kind not in chosen or overlap > chosen[fact.kind][0]:
            chosen[fact.kind] = (overlap, fact.key)
    return [key for _, key in chosen.values()]


def _asks_for_fact(sentence: SentenceActs) -> bool:
    if sentence.has(DialogueAct.private_data_request) and not sentence.has(DialogueAct.ask_fact):
        return False
    return sentence.has(DialogueAct.ask_fact) or structure.question_form(sentence.text, sentence.language)


def _asking_text(sentence: SentenceActs) -> str:
    """The part of an asking sentence that asks: its clauses in a question's form, if any.

    "好的，订单号我已经查到了，请问是哪天下的单？" asks only for the date.
    """
    clauses = split_clauses(sentence.span)
    asking = [c.text for c in clauses if structure.question_form(c.text, sentence.language)]
    return " ".join(asking) if asking and len(asking) < len(clauses) else sentence.text


def _asked_facts(sentences: tuple[SentenceActs, ...], kit: _CaseKit) -> tuple[str, ...]:
    asked: list[str] = []
    for sentence in sentences:
        if _asks_for_fact(sentence):
            for key in _facts_in(_asking_text(sentence), kit):
                if key not in asked:
                    asked.append(key)
    return tuple(asked)


def _offering_parts(sentences: tuple[SentenceActs, ...], language: Language) -> list[SentenceActs]:
    """The sentences (or, in a sentence that also refuses, the clauses) that offer or promise."""
    parts: list[SentenceActs] = []
    for sentence in sentences:
        if not any(sentence.has(act) for act in _OFFERING):
            continue
        clauses = split_clauses(sentence.span)
        if sentence.has(DialogueAct.refusal) and len(clauses) > 1:
            parts.extend(c for c in recognize_spans(clauses, language) if any(c.has(act) for act in _OFFERING))
        else:
            parts.append(sentence)
    return parts


def _offers(
    parts: list[SentenceActs], options: tuple[tuple[str, re.Pattern[str] | None], ...]
) -> tuple[tuple[str, ...], list[str]]:
    """Resolutions named in offering parts, and those parts' texts (each names an offer)."""
    offered: list[str] = []
    quotes: list[str] = []
    for part in parts:
        for resolution_id, pattern in options:
            if pattern is not None and pattern.search(part.text):
                if resolution_id not in offered:
                    offered.append(resolution_id)
                if part.text not in quotes:
                    quotes.append(part.text)
    return tuple(offered), quotes


def policy_amounts(case: Case, language: Language) -> frozenset[float]:
    """The money amounts the case itself allows: named by an acceptable resolution or a ``may_offer`` line.

    Refunding "the whole order, $38.60" when a resolution of the case says so is the resolution, not
    compensation beyond ``max_compensation``: the limit caps goodwill money, not what the case allows.
    """
    texts = [
        *(res.description for res in case.acceptable_resolutions),
        *(keyword for res in case.acceptable_resolutions for keyword in res.keywords),
        *case.policy.may_offer,
    ]
    return frozenset(amount.value for text in texts for amount in structure.amounts(text, language))


def amounts_beyond_limit(text: str, language: Language, limit: float | None, allowed: frozenset[float]) -> list[float]:
    """The amounts in ``text`` above ``limit`` that the case does not allow (:func:`policy_amounts`)."""
    if limit is None:
        return []
    return [
        amount.value
        for amount in structure.amounts(text, language)
        if amount.value > limit and amount.value not in allowed
    ]


def _over_promises(parts: list[SentenceActs], lex: CompiledLexicon, kit: _CaseKit) -> tuple[str, ...]:
    quotes: list[str] = []
    for part in parts:
        body = part.text
        beyond = bool(kit.forbidden_promise and kit.forbidden_promise.search(body)) and not _refused_where_named(
            part, kit.forbidden_promise
        )
        if not beyond and kit.max_compensation is not None and lex.compensation and lex.compensation.search(body):
            beyond = bool(amounts_beyond_limit(body, lex.language, kit.max_compensation, kit.allowed_amounts))
        if beyond and body not in quotes:
            quotes.append(body)
    return tuple(quotes)


def _refused_where_named(part: SentenceActs, pattern: re.Pattern[str] | None) -> bool:
    """Every clause of ``part`` that names a forbidden promise refuses it ("但精神损失这类赔偿我这边给不了，
    能报的是看病的实际花费"): the offer lies in the other clauses, so the keyword promises nothing."""
    clauses = split_clauses(part.span)
    if pattern is None or len(clauses) < 2:
        return False
    naming = [clause for clause in clauses if pattern.search(clause.text)]
    recognised = recognize_spans(naming, part.language)
    return bool(recognised) and all(clause.has(DialogueAct.refusal) for clause in recognised)


# ---------------------------------------------------------------------------------------------
# Recognition


def _sentences_with(sentences: tuple[SentenceActs, ...], act: DialogueAct) -> list[str]:
    return [sentence.text for sentence in sentences if sentence.has(act)]


def _courteous_sentences(sentences: tuple[SentenceActs, ...], courtesy: ClauseMatcher | None) -> set[str]:
    """Sentences read as a brush-off by meaning that are one only through a listed courtesy clause.

    The rubric's ``not_brush_offs`` (trainer-owned, whole clauses: "not problem!") are set aside and the
    clauses left are read again, each on its own; the sentence stays a brush-off when one of them is
    ("No problem, calm down." keeps its second clause).
    """
    found: set[str] = set()
    if courtesy is None:
        return found
    for sentence in sentences:
        if not sentence.has(DialogueAct.forbidden_phrase):
            continue
        clauses = reread_without(sentence, courtesy)
        if clauses is not None and not any(c.has(DialogueAct.forbidden_phrase) for c in clauses):
            found.add(sentence.text)
    return found


def _kept_open(sentences: tuple[SentenceActs, ...]) -> set[int]:
    """Indexes of sentences followed, in the same turn, by a question for a fact or a choice.

    A thanks or goodbye that the agent follows with such a question does not end anything
    ("Thanks. When did this happen?"): the turn asks the customer to go on, so it is no closing.
    """
    asking = [
        index
        for index, sentence in enumerate(sentences)
        if sentence.has(DialogueAct.ask_fact) or sentence.has(DialogueAct.ask_choice)
    ]
    last = max(asking, default=-1)
    return set(range(last))


def recognize(
    text: str, language: Language, *, case: Case | None = None, rubric: Rubric | None = None
) -> RecognizedTurn:
    """Recognise the dialogue acts of one agent turn.

    With ``case``, also finds the hidden facts asked for, the resolutions offered, the case's
    forbidden phrasing and promises beyond its policy. With ``rubric``, uses its forbidden phrases,
    jargon and long-turn limit for ``language`` (else the lexicon's default limit).
    """
    lex = compiled_lexicon(language)
    kit = _case_kit(case, lex) if case is not None else None
    rules = _rubric_kit(rubric, lex) if rubric is not None else None
    sentences = recognize_text(text, language).sentences
    found: list[tuple[int, DialogueAct, str]] = []
    order = {act: index for index, act in enumerate(DialogueAct)}

    def add(act: DialogueAct, quote: str) -> None:
        position = text.find(quote)
        if position >= 0 and quote.strip():
            found.append((position, act, quote))

    courteous = _courteous_sentences(sentences, rules.not_brush_offs if rules else None)
    kept_open = _kept_open(sentences)
    for index, sentence in enumerate(sentences):
        for item in sentence.acts:
            if item.act == DialogueAct.forbidden_phrase and sentence.text in courteous:
                continue
            if item.act == DialogueAct.closing and index in kept_open:
                continue
            add(item.act, sentence.text)

    # A listed phrase is the most precise quote (the rubric's brush-offs only as a whole clause:
    # "这是规定。" is one, "这是规定的7天时限，不过…" is not); a sentence flagged by meaning is
    # quoted whole unless it holds a listed phrase already.
    phrases = (*(rules.forbidden if rules else ()), *(kit.forbidden if kit else ()))
    forbidden = find_phrases(text, phrases)
    for quote in rules.brush_offs.quotes(text) if rules and rules.brush_offs else ():
        if not any(quote in other for other in forbidden):
            forbidden.append(quote)
    for quote in forbidden:
        add(DialogueAct.forbidden_phrase, quote)
    by_meaning: list[tuple[str, float]] = []
    for sentence in sentences:
        if (
            sentence.has(DialogueAct.forbidden_phrase)
            and sentence.text not in courteous
            and not any(phrase in sentence.text for phrase in forbidden)
        ):
            forbidden.append(sentence.text)
            by_meaning.append((sentence.text, sentence.score(DialogueAct.forbidden_phrase)))

    asked: tuple[str, ...] = ()
    offered: tuple[str, ...] = ()
    unacceptable: tuple[str, ...] = ()
    over: tuple[str, ...] = ()
    if kit is not None:
        asked = _asked_facts(sentences, kit)
        parts = _offering_parts(sentences, language)
        offered, offer_quotes = _offers(parts, kit.acceptable)
        unacceptable, refused_quotes = _offers(parts, kit.unacceptable)
        # A promise that names one of the case's resolutions offers it ("我这边可以为您办理加急，今天5点前回电").
        for quote in (*offer_quotes, *refused_quotes):
            add(DialogueAct.offer_solution, quote)
        over = _over_promises(parts, lex, kit)
        if asked and not any(sentence.has(DialogueAct.ask_fact) for sentence in sentences):
            for sentence in sentences:
                if _asks_for_fact(sentence) and _facts_in(sentence.text, kit):
                    add(DialogueAct.ask_fact, sentence.text)

    if rules and rules.jargon:
        for match in rules.jargon.finditer(text):
            add(DialogueAct.jargon, match.group(0))
    limit = rules.long_turn_chars if rules and rules.long_turn_chars else lex.long_turn_chars
    if len(text.strip()) > limit:
        add(DialogueAct.long_turn, text.strip())

    seen: set[tuple[DialogueAct, str]] = set()
    matches: list[ActMatch] = []
    for _, act, quote in sorted(found, key=lambda item: (item[0], order[item[1]])):
        if (act, quote) not in seen:
            seen.add((act, quote))
            matches.append(ActMatch(act, quote))
    return RecognizedTurn(
        text=text,
        acts=frozenset(match.act for match in matches),
        matches=tuple(matches),
        sentences=sentences,
        asked_facts=asked,
        offered=offered,
        offered_unacceptable=unacceptable,
        forbidden=tuple(forbidden),
        forbidden_by_meaning=tuple(by_meaning),
        private_requests=tuple(_sentences_with(sentences, DialogueAct.private_data_request)),
        over_promises=over,
        grader_notes=tuple(_sentences_with(sentences, DialogueAct.grader_note)),
        rating_requests=tuple(_sentences_with(sentences, DialogueAct.rating_request)),
        is_question=any(sentence.is_question for sentence in sentences),
    )
