"""Per-language word lists in ``simulator/lexicons/<language>.yaml``, validated and compiled.

What an agent sentence *does* is learned (``simulator.recognition``); these files keep only what
is not an act: the default long-turn limit, how each kind of hidden fact is named (so that a
question recognised as ``ask_fact`` can be tied to the case's fact), the words that make an amount
compensation, and the proof words the offline customer avoids repeating. The schema rejects
unknown keys and requires every fact kind. ``keyword_pattern`` also compiles the trainer-owned
lists of cases and the rubric (forbidden phrasing, resolution hints, jargon).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.config import LEXICON_DIR
from simulator.errors import LexiconError
from simulator.models import FactKind, Language

FLAGS = re.IGNORECASE | re.MULTILINE


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, FLAGS)
    except re.error as exc:
        raise ValueError(f"regular expression {pattern!r} does not compile: {exc}") from exc
    return pattern


Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Lexicon(_Strict):
    """One language's lexicon file."""

    language: Language
    long_turn_chars: int = Field(ge=20)
    fact_kinds: dict[FactKind, list[str]]
    compensation_words: list[str] = Field(min_length=1)
    proof_words: list[Regex] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Lexicon:
        missing_kinds = sorted(kind.value for kind in FactKind if kind not in self.fact_kinds)
        if missing_kinds:
            raise ValueError(f"fact_kinds is missing {', '.join(missing_kinds)}")
        return self


def lexicon_path(language: Language) -> Path:
    """The YAML file holding ``language``'s lexicon."""
    return LEXICON_DIR / f"{language}.yaml"


def load_lexicon(language: Language, path: Path | None = None) -> Lexicon:
    """Read and validate a lexicon file; raise ``LexiconError`` naming the file and the problem."""
    path = path or lexicon_path(language)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read lexicon: {exc}") from exc
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: YAML syntax error: {exc}") from exc
    try:
        lexicon = Lexicon.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise LexiconError(f"{path}: invalid lexicon: {problems}") from exc
    if lexicon.language != language:
        raise LexiconError(f"{path}: declares language {lexicon.language!r}, expected {language!r}")
    return lexicon


def union(patterns: list[str]) -> re.Pattern[str] | None:
    """One compiled alternation of ``patterns`` (None when empty)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), FLAGS)


# Function characters an agent may slip into a Chinese phrase without changing it: "联系一下骑手"
# still says 联系骑手, "在您身边" still says 在身边.
_FILLER = "[您你的一下了个们]{0,2}"
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{3,}")


def keyword_pattern(words: list[str], *, inflect: bool = False, loose: bool = False) -> re.Pattern[str] | None:
    """A pattern matching any of ``words`` literally (case-insensitive, flexible whitespace).

    Words that start or end with a Latin letter or digit only match as whole words, so "pin"
    does not match inside "spinning"; with ``inflect``, English endings (-s, -ed, -ing) are allowed;
    with ``loose``, a Chinese word of three or more characters also matches with up to two function
    characters (您你的一下了个们) between its characters.
    """
    parts = []
    for word in sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True):
        if loose and _HAN_WORD.fullmatch(word):
            parts.append(_FILLER.join(re.escape(char) for char in word))
            continue
        body = r"\s+".join(re.escape(piece) for piece in word.split())
        if re.match(r"[A-Za-z0-9]", word):
            body = r"(?<![A-Za-z0-9])" + body
        if re.search(r"[A-Za-z0-9]$", word):
            suffix = r"(?:s|es|d|ed|ing)?" if inflect and re.search(r"[A-Za-z]$", word) else ""
            body = body + suffix + r"(?![A-Za-z0-9])"
        parts.append(body)
    return re.compile("|".join(parts), FLAGS) if parts else None


@dataclass(frozen=True)
class CompiledLexicon:
    """A lexicon with every pattern compiled once."""

    language: Language
    long_turn_chars: int
    fact_kinds: dict[FactKind, list[str]]
    any_fact_kind: re.Pattern[str] | None
    compensation: re.Pattern[str] | None
    proof_words: re.Pattern[str]


def compile_lexicon(lexicon: Lexicon) -> CompiledLexicon:
    """Compile a validated lexicon."""
    proof = union(lexicon.proof_words)
    if proof is None:  # guarded by min_length=1 in the schema
        raise LexiconError("proof_words is empty")
    return CompiledLexicon(
        language=lexicon.language,
        long_turn_chars=lexicon.long_turn_chars,
        fact_kinds=dict(lexicon.fact_kinds),
        any_fact_kind=keyword_pattern([word for words in lexicon.fact_kinds.values() for word in words]),
        compensation=keyword_pattern(lexicon.compensation_words),
        proof_words=proof,
    )


@cache
def compiled_lexicon(language: Language) -> CompiledLexicon:
    """The shipped lexicon for ``language``, loaded and compiled once per process."""
    return compile_lexicon(load_lexicon(language))
