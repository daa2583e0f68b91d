"""Per-language dialogue-act lexicons: YAML data in ``simulator/lexicons/``, validated and compiled.

The patterns are data so that trainers and developers can improve recognition without touching
code; the schema below rejects unknown keys and regular expressions that do not compile, and
requires every pattern-driven act and every fact kind to be present.
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
from simulator.models import DialogueAct, FactKind, Language

# Acts that come from patterns in the lexicon. The others are computed by the recogniser from
# the case, the rubric or the turn's length; offer_solution uses both patterns and the case.
PATTERN_ACTS: frozenset[DialogueAct] = frozenset(
    {
        DialogueAct.greeting,
        DialogueAct.self_intro,
        DialogueAct.apology,
        DialogueAct.empathy,
        DialogueAct.confirm_need,
        DialogueAct.offer_solution,
        DialogueAct.explain_policy,
        DialogueAct.give_proof,
        DialogueAct.promise,
        DialogueAct.refusal,
        DialogueAct.escalate,
        DialogueAct.closing,
        DialogueAct.role_probe,
    }
)
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


class ActPatterns(_Strict):
    """Patterns for one act; a match overlapping a ``suppress`` match does not count."""

    patterns: list[Regex] = Field(min_length=1)
    suppress: list[Regex] = Field(default_factory=list)


class PrivateDataPatterns(_Strict):
    """What must never be asked for, and the contexts where mentioning it is fine."""

    targets: list[Regex] = Field(min_length=1)
    safe: list[Regex] = Field(min_length=1)


class Lexicon(_Strict):
    """One language's lexicon file."""

    language: Language
    long_turn_chars: int = Field(ge=20)
    sentence_split: Regex
    clause_split: Regex
    question: list[Regex] = Field(min_length=1)
    request: list[Regex] = Field(min_length=1)
    negation: list[Regex] = Field(min_length=1)
    ask_fact_suppress: list[Regex] = Field(default_factory=list)
    reported_speech: list[Regex] = Field(default_factory=list)
    fact_kinds: dict[FactKind, list[str]]
    acts: dict[DialogueAct, ActPatterns]
    private_data: PrivateDataPatterns
    amount_pattern: Regex
    compensation_words: list[str] = Field(min_length=1)
    concrete: list[Regex] = Field(min_length=1)
    proof_words: list[Regex] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Lexicon:
        missing_kinds = sorted(kind.value for kind in FactKind if kind not in self.fact_kinds)
        if missing_kinds:
            raise ValueError(f"fact_kinds is missing {', '.join(missing_kinds)}")
        missing_acts = sorted(act.value for act in PATTERN_ACTS if act not in self.acts)
        if missing_acts:
            raise ValueError(f"acts is missing {', '.join(missing_acts)}")
        computed = sorted(act.value for act in self.acts if act not in PATTERN_ACTS)
        if computed:
            raise ValueError(f"acts {', '.join(computed)} are computed by the recogniser and take no patterns here")
        groups = re.compile(self.amount_pattern).groupindex
        if not any(name.startswith("a") for name in groups):
            raise ValueError("amount_pattern needs named groups a1, a2, ... holding the number")
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
    sentence_split: re.Pattern[str]
    clause_split: re.Pattern[str]
    question: re.Pattern[str]
    request: re.Pattern[str]
    negation: re.Pattern[str]
    ask_fact_suppress: re.Pattern[str] | None
    reported_speech: re.Pattern[str] | None
    fact_kinds: dict[FactKind, list[str]]
    any_fact_kind: re.Pattern[str] | None
    acts: dict[DialogueAct, tuple[re.Pattern[str], re.Pattern[str] | None]]
    private_targets: re.Pattern[str]
    private_safe: re.Pattern[str]
    amount: re.Pattern[str]
    compensation: re.Pattern[str] | None
    concrete: re.Pattern[str]
    proof_words: re.Pattern[str]


def _must(pattern: re.Pattern[str] | None) -> re.Pattern[str]:
    if pattern is None:  # guarded by min_length=1 in the schema
        raise LexiconError("a required pattern list is empty")
    return pattern


def compile_lexicon(lexicon: Lexicon) -> CompiledLexicon:
    """Compile a validated lexicon."""
    return CompiledLexicon(
        language=lexicon.language,
        long_turn_chars=lexicon.long_turn_chars,
        sentence_split=re.compile(lexicon.sentence_split, FLAGS),
        clause_split=re.compile(lexicon.clause_split, FLAGS),
        question=_must(union(lexicon.question)),
        request=_must(union(lexicon.request)),
        negation=_must(union(lexicon.negation)),
        ask_fact_suppress=union(lexicon.ask_fact_suppress),
        reported_speech=union(lexicon.reported_speech),
        fact_kinds=dict(lexicon.fact_kinds),
        any_fact_kind=keyword_pattern([word for words in lexicon.fact_kinds.values() for word in words]),
        acts={act: (_must(union(spec.patterns)), union(spec.suppress)) for act, spec in lexicon.acts.items()},
        private_targets=_must(union(lexicon.private_data.targets)),
        private_safe=_must(union(lexicon.private_data.safe)),
        amount=re.compile(lexicon.amount_pattern, FLAGS),
        compensation=keyword_pattern(lexicon.compensation_words),
        concrete=_must(union(lexicon.concrete)),
        proof_words=_must(union(lexicon.proof_words)),
    )


@cache
def compiled_lexicon(language: Language) -> CompiledLexicon:
    """The shipped lexicon for ``language``, loaded and compiled once per process."""
    return compile_lexicon(load_lexicon(language))
