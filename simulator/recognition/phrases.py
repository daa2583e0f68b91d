"""Trainer-owned phrase lists matched literally: the rubric's and the case's forbidden phrasing.

A phrase matches exactly (case-insensitive, any run of whitespace) or, when it is long, with
punctuation and spacing ignored ("这是快递的问题，跟我们没关系" matches "这是快递的问题 跟我们没关系!");
either way the quote is cut from the original text, so it is always verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Forbidden phrases at least this long (after dropping punctuation and spaces) also match when the
# trainee's punctuation or spacing differs; shorter ones would match too much by accident.
NORMALIZED_MATCH_MIN_CHARS = 6


def normalized(text: str) -> tuple[str, list[int]]:
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
class Phrase:
    """A forbidden phrase compiled for matching: exact pattern and normalized form (when long)."""

    exact: re.Pattern[str]
    normalized: str | None


def compile_phrase(phrase: str) -> Phrase | None:
    phrase = phrase.strip()
    if not phrase:
        return None
    exact = re.compile(r"\s+".join(re.escape(piece) for piece in phrase.split()), re.IGNORECASE)
    target, _ = normalized(phrase)
    return Phrase(exact, target if len(target) >= NORMALIZED_MATCH_MIN_CHARS else None)


def match_phrase(text: str, phrase: Phrase, normalized: tuple[str, list[int]] | None) -> str | None:
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
    compiled = compile_phrase(phrase)
    if compiled is None:
        return None
    return match_phrase(text, compiled, normalized(text) if compiled.normalized else None)


def compile_phrases(phrases: Iterable[str]) -> tuple[Phrase, ...]:
    """Compile a list of phrases, skipping blank ones."""
    return tuple(compiled for compiled in map(compile_phrase, phrases) if compiled is not None)


def find_phrases(text: str, phrases: Iterable[Phrase]) -> list[str]:
    """The verbatim quotes of ``text`` that say any of ``phrases`` (each once, in list order)."""
    compiled = list(phrases)
    index = normalized(text) if any(phrase.normalized for phrase in compiled) else None
    found: list[str] = []
    for phrase in compiled:
        quote = match_phrase(text, phrase, index)
        if quote and quote not in found:
            found.append(quote)
    return found
