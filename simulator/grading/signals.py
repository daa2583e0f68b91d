"""Grading patterns beyond the dialogue acts, and the text helpers the rules and the grader share.

The dialogue acts of a turn come from ``simulator.recognizer`` (one recogniser for the customer,
the rules and the grader). This module adds what only grading needs, as data in
``simulator/lexicons/grading.yaml``: text aimed at a grader, proactive risk notices, markers of a
concrete answer and of structure, and the stopwords for "is this reply about the same thing as
the question". It also splits turns into verbatim sentences and removes grader-directed text
before the offline grader looks for anything that could earn points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from simulator.config import LEXICON_DIR
from simulator.errors import DrillError
from simulator.lexicon import FLAGS, compiled_lexicon, union
from simulator.models import Language

GRADING_LEXICON = LEXICON_DIR / "grading.yaml"


class GradingLexiconError(DrillError):
    """``grading.yaml`` is missing, malformed or has a pattern that does not compile."""


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, FLAGS)
    except re.error as exc:
        raise ValueError(f"regular expression {pattern!r} does not compile: {exc}") from exc
    return pattern


Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class GradingPatterns(BaseModel):
    """One language's grading patterns."""

    model_config = ConfigDict(extra="forbid")

    grader_instruction: list[Regex] = Field(min_length=1)
    risk_notice: list[Regex] = Field(min_length=1)
    answer_markers: list[Regex] = Field(min_length=1)
    structure_markers: list[Regex] = Field(min_length=1)
    overlap_stopwords: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class CompiledGrading:
    """Compiled grading patterns for one language."""

    language: Language
    grader_instruction: re.Pattern[str]
    risk_notice: re.Pattern[str]
    answer_markers: re.Pattern[str]
    structure_markers: re.Pattern[str]
    stopwords: frozenset[str]


def load_grading_patterns(path: Path = GRADING_LEXICON) -> dict[Language, GradingPatterns]:
    """Read and validate ``grading.yaml``; raise ``GradingLexiconError`` naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GradingLexiconError(f"{path}: cannot read grading patterns: {exc}") from exc
    if not isinstance(data, dict):
        raise GradingLexiconError(f"{path}: expected a mapping of language -> patterns")
    result: dict[Language, GradingPatterns] = {}
    for language in ("zh-CN", "en"):
        if language not in data:
            raise GradingLexiconError(f"{path}: no patterns for language {language}")
        try:
            result[language] = GradingPatterns.model_validate(data[language])
        except ValidationError as exc:
            problems = "; ".join(
                f"{language}.{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise GradingLexiconError(f"{path}: {problems}") from exc
    unknown = sorted(set(data) - {"zh-CN", "en"})
    if unknown:
        raise GradingLexiconError(f"{path}: unknown language key(s) {', '.join(unknown)}")
    return result


def _must(pattern: re.Pattern[str] | None) -> re.Pattern[str]:
    if pattern is None:  # guarded by min_length=1
        raise GradingLexiconError("a required grading pattern list is empty")
    return pattern


@cache
def grading_patterns(language: Language) -> CompiledGrading:
    """The shipped grading patterns for ``language``, compiled once per process."""
    spec = load_grading_patterns()[language]
    return CompiledGrading(
        language=language,
        grader_instruction=_must(union(spec.grader_instruction)),
        risk_notice=_must(union(spec.risk_notice)),
        answer_markers=_must(union(spec.answer_markers)),
        structure_markers=_must(union(spec.structure_markers)),
        stopwords=frozenset(word.lower() for word in spec.overlap_stopwords),
    )


# ---------------------------------------------------------------------------------------------
# Text helpers


def sentences(text: str, language: Language) -> list[str]:
    """The sentences of ``text`` with their end punctuation, each a verbatim substring of ``text``."""
    splitter = compiled_lexicon(language).sentence_split
    result: list[str] = []
    cursor = 0
    for match in splitter.finditer(text):
        if match.end() == match.start():
            continue
        piece = text[cursor : match.end()].strip()
        cursor = match.end()
        if piece and not splitter.fullmatch(piece):
            result.append(piece)
    tail = text[cursor:].strip()
    if tail:
        result.append(tail)
    return result


def first_sentence(text: str, language: Language, limit: int = 80) -> str:
    """The first sentence of ``text`` (cut to ``limit`` characters), verbatim; '' for blank text."""
    found = sentences(text, language)
    return (found[0] if found else text.strip())[:limit].strip()


def last_sentence(text: str, language: Language, limit: int = 80) -> str:
    """The last sentence of ``text`` (its last ``limit`` characters), verbatim; '' for blank text."""
    found = sentences(text, language)
    return (found[-1] if found else text.strip())[-limit:].strip()


def is_question(sentence: str, language: Language) -> bool:
    """True when ``sentence`` asks something, by the recogniser's lexicon."""
    return bool(compiled_lexicon(language).question.search(sentence))


_HAN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|\d[\d.,:/-]*")


def content_tokens(text: str, language: Language) -> set[str]:
    """Tokens that say what ``text`` is about: content words (en) or Han bigrams (zh-CN).

    Latin words and numbers count in both languages (order numbers, product names). Stopwords from
    ``grading.yaml`` are left out, as are English words shorter than three letters.
    """
    patterns = grading_patterns(language)
    tokens: set[str] = set()
    for word in _WORD.findall(text):
        lowered = word.lower().strip("'’-.,:/")
        if len(lowered) >= 3 and lowered not in patterns.stopwords:
            tokens.add(_stem(lowered) if language == "en" else lowered)
    if language == "zh-CN":
        for run in _HAN.findall(text):
            for index in range(len(run) - 1):
                bigram = run[index : index + 2]
                if bigram not in patterns.stopwords:
                    tokens.add(bigram)
    return tokens


def _stem(word: str) -> str:
    # Crude on purpose: enough that "refund"/"refunds"/"refunded" meet, no dictionary needed.
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def grader_instructions(text: str, language: Language) -> list[str]:
    """Sentences of ``text`` that address a grader instead of the customer (verbatim)."""
    pattern = grading_patterns(language).grader_instruction
    # Grader-directed text may be written in either language whatever the drill's language.
    other = grading_patterns("en" if language == "zh-CN" else "zh-CN").grader_instruction
    return [s for s in sentences(text, language) if pattern.search(s) or other.search(s)]


def without_grader_instructions(text: str, language: Language) -> str:
    """``text`` with grader-directed sentences blanked out (each replaced by a line break).

    The offline grader looks for creditable acts only in what remains, so an instruction to the
    grader can never earn a point; quotes found in the result are still verbatim in ``text``
    unless they would span a removed sentence (those are dropped by the caller's check).
    """
    for sentence in grader_instructions(text, language):
        text = text.replace(sentence, "\n")
    return text
