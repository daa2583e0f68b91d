"""What does an agent turn do? One dialogue-act recogniser for the customer, the rules and the grader.

``recognize(text, language, case=..., rubric=...)`` returns the acts a trainee's turn performs
(greeting, empathy, asking for a fact, offering a resolution, a forbidden phrase, a request for
private data, ...), each with a quote copied verbatim from the turn, plus case-specific results:
which hidden facts were asked for, which resolutions were offered, which promises go beyond policy.

The patterns live in ``simulator/lexicons/<language>.yaml`` (see ``simulator.lexicon``); this module
holds the logic that the data cannot express:

- Sentences decide *question-ness* (a fact keyword counts as a question only inside a sentence that
  asks or requests); clauses decide *negation* ("我们无法退款，但可以为您补发" offers only 补发) and
  *reported speech* (a clause that repeats what the customer was told promises nothing).
- A pattern match that overlaps one of its act's ``suppress`` patterns is dropped ("不能保证" is
  not a promise, "we will never ask for your code" is not a private-data request).
- Forbidden phrases match exactly (case-insensitive) or, when long, with punctuation and spaces
  ignored; either way the quote is cut from the original text. The rubric's brush-offs match only
  as a whole clause (``simulator.clauses``).

Recognition is deterministic and fast: lexicons compile once per language, case and rubric
patterns once per object.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.clauses import ClauseMatcher, clause_matcher
from simulator.lexicon import CompiledLexicon, compiled_lexicon, keyword_pattern
from simulator.models import Case, DialogueAct, Language, Rubric

# Forbidden phrases at least this long (after dropping punctuation and spaces) also match when the
# trainee's punctuation or spacing differs; shorter ones would match too much by accident.
NORMALIZED_MATCH_MIN_CHARS = 6
# Sentence-final punctuation left out of clauses, so clause quotes read cleanly.
_END_PUNCTUATION = frozenset("。！？!?；;.…")


@dataclass(frozen=True)
class ActMatch:
    """One act found in a turn, with the exact text that triggered it."""

    act: DialogueAct
    quote: str


@dataclass(frozen=True)
class RecognizedTurn:
    """Everything recognised in one agent turn. Every quote is a verbatim substring of ``text``."""

    text: str
    acts: frozenset[DialogueAct]
    matches: tuple[ActMatch, ...]
    asked_facts: tuple[str, ...] = ()
    offered: tuple[str, ...] = ()
    offered_unacceptable: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    private_requests: tuple[str, ...] = ()
    over_promises: tuple[str, ...] = ()
    is_question: bool = False

    def has(self, act: DialogueAct | str) -> bool:
        """True when the turn performs ``act``."""
        return DialogueAct(act) in self.acts

    def quotes(self, act: DialogueAct | str) -> tuple[str, ...]:
        """The quotes that triggered ``act`` (empty when the act is absent)."""
        wanted = DialogueAct(act)
        return tuple(match.quote for match in self.matches if match.act == wanted)


# ---------------------------------------------------------------------------------------------
# Segmentation


@dataclass(frozen=True)
class _Span:
    start: int
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


def _strip_span(text: str, start: int, end: int) -> _Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return _Span(start, end) if end > start else None


def _split(text: str, start: int, end: int, splitter: re.Pattern[str], keep_separator: bool) -> list[_Span]:
    """Split ``text[start:end]`` at ``splitter``; sentences keep their end punctuation."""
    spans: list[_Span] = []
    cursor = start
    for match in splitter.finditer(text, start, end):
        if match.end() == match.start() and match.start() == cursor:
            continue
        piece_end = match.end() if keep_separator else match.start()
        span = _strip_span(text, cursor, piece_end)
        if span:
            spans.append(span)
        cursor = match.end()
    tail = _strip_span(text, cursor, end)
    if tail:
        spans.append(tail)
    return spans


@dataclass(frozen=True)
class _Sentence:
    span: _Span
    clauses: tuple[_Span, ...]
    asking: bool  # a question or a request
    question: bool


def _sentences(text: str, lex: CompiledLexicon) -> list[_Sentence]:
    result = []
    for span in _split(text, 0, len(text), lex.sentence_split, keep_separator=True):
        body = span.text(text)
        question = bool(lex.question.search(body))
        asking = question or bool(lex.request.search(body))
        end = span.end
        while end > span.start and text[end - 1] in _END_PUNCTUATION:
            end -= 1
        clauses = tuple(_split(text, span.start, end, lex.clause_split, keep_separator=False)) or (span,)
        result.append(_Sentence(span, clauses, asking, question))
    return result


# ---------------------------------------------------------------------------------------------
# Case and rubric patterns, compiled once per object


@dataclass(frozen=True)
class _FactPatterns:
    key: str
    kind: str
    specific: re.Pattern[str] | None  # the fact's own ask_keywords and label
    generic: re.Pattern[str] | None  # how agents ask for any fact of its kind
    hint_grams: frozenset[str] = frozenset()  # character bigrams of the label and ask_keywords


@dataclass(frozen=True)
class _CaseKit:
    facts: tuple[_FactPatterns, ...]
    acceptable: tuple[tuple[str, re.Pattern[str] | None], ...]
    unacceptable: tuple[tuple[str, re.Pattern[str] | None], ...]
    forbidden: tuple[_Phrase, ...]
    forbidden_promise: re.Pattern[str] | None
    max_compensation: float | None


@dataclass(frozen=True)
class _RubricKit:
    forbidden: tuple[_Phrase, ...]
    jargon: re.Pattern[str] | None
    long_turn_chars: int | None
    brush_offs: ClauseMatcher | None = None


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


def _compile_phrases(phrases: Iterable[str]) -> tuple[_Phrase, ...]:
    return tuple(compiled for compiled in map(_compile_phrase, phrases) if compiled is not None)


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
            forbidden=_compile_phrases(case.forbidden_phrasing),
            forbidden_promise=keyword_pattern(case.policy.forbidden_promise_keywords),
            max_compensation=case.policy.max_compensation,
        )

    kit: _CaseKit = _CASE_CACHE.get(case, lex.language, build)
    return kit


def _rubric_kit(rubric: Rubric, lex: CompiledLexicon) -> _RubricKit:
    def build() -> _RubricKit:
        rules = rubric.rules.get(lex.language)
        if rules is None:
            return _RubricKit((), None, None)
        forbidden = _compile_phrases(rules.forbidden_phrases)
        fillers = rules.clause_fillers
        brush_offs = clause_matcher(rules.brush_offs, fillers.leading, fillers.trailing) if rules.brush_offs else None
        return _RubricKit(forbidden, keyword_pattern(rules.jargon), rules.long_turn_chars, brush_offs)

    kit: _RubricKit = _RUBRIC_CACHE.get(rubric, lex.language, build)
    return kit


# ---------------------------------------------------------------------------------------------
# Forbidden phrases


def _normalized(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, lower-cased, with each kept character's index in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        if char.isalnum():
            lowered = char.lower()
            chars.append(lowered if len(lowered) == 1 else char)
            index.append(position)
    return "".join(chars), index


@dataclass(frozen=True)
class _Phrase:
    """A forbidden phrase compiled for matching: exact pattern and normalized form (when long)."""

    exact: re.Pattern[str]
    normalized: str | None


def _compile_phrase(phrase: str) -> _Phrase | None:
    phrase = phrase.strip()
    if not phrase:
        return None
    exact = re.compile(r"\s+".join(re.escape(piece) for piece in phrase.split()), re.IGNORECASE)
    target, _ = _normalized(phrase)
    return _Phrase(exact, target if len(target) >= NORMALIZED_MATCH_MIN_CHARS else None)


def _match_phrase(text: str, phrase: _Phrase, normalized: tuple[str, list[int]] | None) -> str | None:
    exact = phrase.exact.search(text)
    if exact:
        return exact.group(0)
    if phrase.normalized is None or normalized is None:
        return None
    haystack, index = normalized
    position = haystack.find(phrase.normalized)
    if position < 0:
        return None
    return text[index[position] : index[position + len(phrase.normalized) - 1] + 1]


def find_phrase(text: str, phrase: str) -> str | None:
    """The verbatim part of ``text`` that says ``phrase``, or None.

    Matches exactly (ignoring case and runs of whitespace) or, for long phrases, with all
    punctuation and whitespace ignored ("这是快递的问题，跟我们没关系" matches
    "这是快递的问题 跟我们没关系!").
    """
    compiled = _compile_phrase(phrase)
    if compiled is None:
        return None
    return _match_phrase(text, compiled, _normalized(text) if compiled.normalized else None)


# ---------------------------------------------------------------------------------------------
# Recognition


@dataclass
class _Collector:
    text: str
    found: list[tuple[int, int, DialogueAct, str]] = field(default_factory=list)

    def add(self, act: DialogueAct, start: int, end: int) -> None:
        span = _strip_span(self.text, start, end)
        if span:
            self.found.append((span.start, list(DialogueAct).index(act), act, span.text(self.text)))

    def add_quote(self, act: DialogueAct, quote: str) -> None:
        start = self.text.find(quote)
        self.add(act, start, start + len(quote))

    def matches(self) -> tuple[ActMatch, ...]:
        seen: set[tuple[DialogueAct, str]] = set()
        result = []
        for _, _, act, quote in sorted(self.found, key=lambda item: (item[0], item[1])):
            if (act, quote) not in seen:
                seen.add((act, quote))
                result.append(ActMatch(act, quote))
        return tuple(result)


def _pattern_acts(text: str, lex: CompiledLexicon, out: _Collector) -> None:
    for act, (pattern, suppress) in lex.acts.items():
        blocked = [_Span(*m.span()) for m in suppress.finditer(text)] if suppress else []
        for match in pattern.finditer(text):
            if match.end() == match.start():
                continue
            if any(span.overlaps(match.start(), match.end()) for span in blocked):
                continue
            out.add(act, match.start(), match.end())


def _asked_facts(
    text: str, sentences: list[_Sentence], lex: CompiledLexicon, kit: _CaseKit | None, out: _Collector
) -> tuple[str, ...]:
    asked: list[str] = []
    for sentence in sentences:
        if not sentence.asking:
            continue
        for clause in sentence.clauses:
            body = clause.text(text)
            if lex.ask_fact_suppress and lex.ask_fact_suppress.search(body):
                continue
            found = _facts_in_clause(body, kit) if kit is not None else []
            for key in found:
                if key not in asked:
                    asked.append(key)
            if found or (lex.any_fact_kind is not None and lex.any_fact_kind.search(body)):
                out.add(DialogueAct.ask_fact, sentence.span.start, sentence.span.end)
    return tuple(asked)


def _facts_in_clause(body: str, kit: _CaseKit) -> list[str]:
    """Facts a question clause asks for.

    A fact's own keywords win; a generic question ("哪天", "what date") picks one fact of that kind,
    so one question never draws out two different dates: the one whose label and keywords share
    the most character bigrams with the question ("最晚哪天必须用上冰箱" → the date the fridge is
    needed by, not the promised delivery date), the first one on a tie.
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


def _bigrams(text: str) -> frozenset[str]:
    """Lower-cased character bigrams of the letters and digits in ``text``."""
    letters = "".join(char for char in text.lower() if char.isalnum())
    return frozenset(letters[index : index + 2] for index in range(len(letters) - 1))


def _offers(
    text: str,
    sentences: list[_Sentence],
    lex: CompiledLexicon,
    options: Iterable[tuple[str, re.Pattern[str] | None]],
    out: _Collector,
) -> tuple[str, ...]:
    offered: list[str] = []
    for sentence in sentences:
        for clause in sentence.clauses:
            body = clause.text(text)
            if lex.negation.search(body):
                continue
            for resolution_id, pattern in options:
                match = pattern.search(body) if pattern is not None else None
                if match:
                    out.add(DialogueAct.offer_solution, clause.start, clause.end)
                    if resolution_id not in offered:
                        offered.append(resolution_id)
    return tuple(offered)


def _private_requests(text: str, sentences: list[_Sentence], lex: CompiledLexicon, out: _Collector) -> tuple[str, ...]:
    quotes: list[str] = []
    for sentence in sentences:
        if not sentence.asking:
            continue
        sentence_safe = bool(lex.private_safe.search(sentence.span.text(text)))
        clauses = sentence.clauses
        for position, clause in enumerate(clauses):
            body = clause.text(text)
            if not lex.private_targets.search(body):
                continue
            if lex.private_safe.search(body):
                continue
            following = clauses[position + 1].text(text) if position + 1 < len(clauses) else ""
            if following and lex.private_safe.search(following):
                continue
            if sentence_safe and not (lex.request.search(body) or lex.question.search(body)):
                continue
            quote = sentence.span.text(text)
            out.add(DialogueAct.private_data_request, sentence.span.start, sentence.span.end)
            if quote not in quotes:
                quotes.append(quote)
            break
    return tuple(quotes)


def _over_promises(text: str, sentences: list[_Sentence], lex: CompiledLexicon, kit: _CaseKit) -> tuple[str, ...]:
    quotes: list[str] = []
    for sentence in sentences:
        for clause in sentence.clauses:
            body = clause.text(text)
            if lex.negation.search(body):
                continue
            # "办卡时听到的是终身免年费" reports what the customer was told; it promises nothing.
            if lex.reported_speech is not None and lex.reported_speech.search(body):
                continue
            beyond = bool(kit.forbidden_promise and kit.forbidden_promise.search(body))
            if not beyond and kit.max_compensation is not None and lex.compensation and lex.compensation.search(body):
                for match in lex.amount.finditer(body):
                    number = next((value for name, value in match.groupdict().items() if value), None)
                    if number is not None and float(number) > kit.max_compensation:
                        beyond = True
            if beyond and body not in quotes:
                quotes.append(body)
    return tuple(quotes)


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
    out = _Collector(text)
    sentences = _sentences(text, lex)

    _pattern_acts(text, lex, out)
    asked = _asked_facts(text, sentences, lex, kit, out)
    offered = _offers(text, sentences, lex, kit.acceptable, out) if kit else ()
    unacceptable = _offers(text, sentences, lex, kit.unacceptable, out) if kit else ()
    private = _private_requests(text, sentences, lex, out)
    over = _over_promises(text, sentences, lex, kit) if kit else ()

    forbidden: list[str] = []
    phrases = (*(rules.forbidden if rules else ()), *(kit.forbidden if kit else ()))
    normalized = _normalized(text) if any(phrase.normalized for phrase in phrases) else None
    for phrase in phrases:
        quote = _match_phrase(text, phrase, normalized)
        if quote and quote not in forbidden:
            forbidden.append(quote)
            out.add_quote(DialogueAct.forbidden_phrase, quote)
    # Brush-offs count only as a whole clause: "这是规定。" is one, "这是规定的7天时限，不过…" is not.
    for quote in rules.brush_offs.quotes(text) if rules and rules.brush_offs else ():
        if quote not in forbidden:
            forbidden.append(quote)
            out.add_quote(DialogueAct.forbidden_phrase, quote)

    if rules and rules.jargon:
        for match in rules.jargon.finditer(text):
            out.add(DialogueAct.jargon, match.start(), match.end())

    limit = rules.long_turn_chars if rules and rules.long_turn_chars else lex.long_turn_chars
    if len(text.strip()) > limit:
        out.add(DialogueAct.long_turn, 0, len(text))

    matches = out.matches()
    return RecognizedTurn(
        text=text,
        acts=frozenset(match.act for match in matches),
        matches=matches,
        asked_facts=asked,
        offered=offered,
        offered_unacceptable=unacceptable,
        forbidden=tuple(forbidden),
        private_requests=private,
        over_promises=over,
        is_question=any(sentence.question for sentence in sentences),
    )
