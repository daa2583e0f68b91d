"""Whole-clause matching for the literal lists that trainers own (brush-offs, opening cues).

A brush-off such as "这是规定" is a brush-off when it stands as a clause of its own ("这是规定。",
"没办法，这是规定的"), not when the same words open a polite explanation ("这是规定的7天时限，
不过我可以帮您申请…"). So these lists are compared with whole clauses — the text between two
punctuation marks — after folding case, width and curly quotes and after stripping the fillers the
rubric lists ("那", "啊", "sorry", …). A phrase may start or end with ``*`` to let anything precede
or follow it inside the clause ("I'm calling about*").

Splitting at punctuation is structure, not understanding: what a clause *means* is the
recogniser's job. This module only decides whether a trainer's literal phrase was said as a clause.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Clause boundaries: CJK and Latin punctuation, line breaks and dashes. An ASCII period, comma or
# colon between digits ("1.5", "1,200", "6:05") does not end a clause.
CLAUSE_BREAK = re.compile(
    r"[，。！？；：、…～\n\r!?;~]+"
    r"|\.(?!\d)|(?<!\d),|,(?!\d)|:(?!\d)"
    r"|\s+[-–—]+\s+|——"
)
_QUOTE_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "「": '"', "」": '"'})
_EDGE = " \"'()（）[]【】《》<>*"
WILDCARD = "*"


def normalize(text: str) -> str:
    """NFKC, case-folded, curly quotes folded, whitespace collapsed, edge quotes and brackets dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTE_FOLD)
    return " ".join(folded.split()).strip(_EDGE)


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _starts_with_word(text: str, word: str) -> bool:
    """``text`` starts with ``word``, and a Latin word is not cut in the middle ("so" ≠ "sorry")."""
    if not text.startswith(word):
        return False
    rest = text[len(word) :]
    return not (rest and word and _is_word_char(word[-1]) and _is_word_char(rest[0]))


def _ends_with_word(text: str, word: str) -> bool:
    if not text.endswith(word):
        return False
    rest = text[: len(text) - len(word)]
    return not (rest and word and _is_word_char(word[0]) and _is_word_char(rest[-1]))


@dataclass(frozen=True)
class Fillers:
    """Normalised fillers, longest first, stripped repeatedly from either end of a clause."""

    leading: tuple[str, ...] = ()
    trailing: tuple[str, ...] = ()

    @classmethod
    def of(cls, leading: Iterable[str] = (), trailing: Iterable[str] = ()) -> Fillers:
        """Fillers from the rubric's lists (normalised, empty entries dropped)."""

        def prepare(words: Iterable[str]) -> tuple[str, ...]:
            return tuple(sorted({normalize(w) for w in words if normalize(w)}, key=len, reverse=True))

        return cls(prepare(leading), prepare(trailing))

    def strip(self, text: str) -> str:
        """``text`` without leading and trailing fillers (and the spaces they leave)."""
        changed = True
        while changed and text:
            changed = False
            for word in self.leading:
                if _starts_with_word(text, word) and len(text) > len(word):
                    text, changed = text[len(word) :].strip(_EDGE), True
                    break
            for word in self.trailing:
                if _ends_with_word(text, word) and len(text) > len(word):
                    text, changed = text[: len(text) - len(word)].strip(_EDGE), True
                    break
        return text


@dataclass(frozen=True)
class ClausePattern:
    """One trainer phrase: its normalised core and whether anything may precede or follow it."""

    phrase: str
    core: str
    open_start: bool
    open_end: bool

    def matches(self, clause: str) -> bool:
        """Whether a normalised, filler-stripped clause says this phrase."""
        if not self.core:
            return False
        if self.open_start and self.open_end:
            start = clause.find(self.core)
            while start >= 0:
                end = start + len(self.core)
                before, after = clause[start - 1 : start], clause[end : end + 1]
                cut_before = bool(before) and _is_word_char(before) and _is_word_char(self.core[0])
                cut_after = bool(after) and _is_word_char(after) and _is_word_char(self.core[-1])
                if not cut_before and not cut_after:
                    return True
                start = clause.find(self.core, start + 1)
            return False
        if self.open_end:
            return _starts_with_word(clause, self.core)
        if self.open_start:
            return _ends_with_word(clause, self.core)
        return clause == self.core


def compile_phrase(phrase: str, fillers: Fillers) -> ClausePattern:
    """A trainer phrase ready for matching (``*`` at either end marks an open end).

    Fillers are stripped from the phrase's closed ends, as they are from clauses, so "我也没办法了"
    in the list still matches "那我也没办法啊".
    """
    text = phrase.strip()
    open_start = text.startswith(WILDCARD)
    open_end = text.endswith(WILDCARD) and len(text) > 1
    core = normalize(text.strip(WILDCARD))
    closed_ends = Fillers(() if open_start else fillers.leading, () if open_end else fillers.trailing)
    return ClausePattern(phrase, closed_ends.strip(core), open_start, open_end)


@dataclass(frozen=True)
class Clause:
    """A clause of a text: its verbatim wording and where it starts."""

    text: str
    start: int


def clauses(text: str) -> list[Clause]:
    """The clauses of ``text`` in order, verbatim and stripped of surrounding whitespace."""
    found: list[Clause] = []
    cursor = 0
    for boundary in [*CLAUSE_BREAK.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        piece = text[cursor:end]
        stripped = piece.strip()
        if stripped:
            found.append(Clause(stripped, cursor + piece.index(stripped)))
        if boundary:
            cursor = boundary.end()
    return found


@dataclass(frozen=True)
class ClauseMatcher:
    """A list of trainer phrases compiled once, matched against the clauses of a text."""

    patterns: tuple[ClausePattern, ...]
    fillers: Fillers

    def find(self, text: str) -> list[tuple[str, str]]:
        """``(verbatim clause, phrase)`` for every clause of ``text`` that says one of the phrases."""
        hits: list[tuple[str, str]] = []
        for clause in clauses(text):
            normalized = self.fillers.strip(normalize(clause.text))
            for pattern in self.patterns:
                if pattern.matches(normalized):
                    hits.append((clause.text, pattern.phrase))
                    break
        return hits

    def quotes(self, text: str) -> list[str]:
        """The verbatim clauses of ``text`` that say one of the phrases."""
        return [quote for quote, _ in self.find(text)]


def clause_matcher(phrases: Sequence[str], leading: Iterable[str] = (), trailing: Iterable[str] = ()) -> ClauseMatcher:
    """Compile ``phrases`` with the given fillers."""
    fillers = Fillers.of(leading, trailing)
    return ClauseMatcher(tuple(compile_phrase(phrase, fillers) for phrase in phrases if phrase.strip()), fillers)
