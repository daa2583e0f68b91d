"""Personal data in imported chat logs: masking on import, and recognising masked values.

Real chat logs hold customers' phone numbers, e-mail addresses, street addresses, ID and card
numbers. ``drill grade`` and the mentor's import mask them by default before anything is graded or
stored (``--keep-personal-data`` keeps them). The patterns are structure — how such a value is
written — and live in ``simulator/lexicons/personal_data.yaml`` with a checksum per kind where one
exists (Luhn for card numbers, the resident-ID check digit), so an order or tracking number is not
taken for a card number.

A masked value is still a concrete value: the agent who said "I've sent it to [phone]" gave the
customer something specific. :func:`is_masked_value` and :data:`masked_value_pattern` are the one
place that says what a masked value looks like (our own masks and the common ones other tools
write, such as ``[数字x]`` or ``138****5678``); the grader reads them as concrete.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.config import LEXICON_DIR
from simulator.errors import DrillError
from simulator.lexicon import Regex
from simulator.models import Language, LocalizedText

PERSONAL_DATA_FILE = LEXICON_DIR / "personal_data.yaml"


class PersonalDataPatternsError(DrillError):
    """``personal_data.yaml`` is missing, malformed or has a pattern that does not compile."""


class _Kind(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mask: LocalizedText
    check: Literal["luhn", "cn_id"] | None = None
    patterns: list[Regex] = Field(min_length=1)


class _PatternFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: dict[str, _Kind] = Field(min_length=1)
    external_masks: list[Regex] = Field(default_factory=list)


@dataclass(frozen=True)
class _CompiledKind:
    name: str
    masks: dict[Language, str]
    check: str | None
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Compiled:
    kinds: tuple[_CompiledKind, ...]
    masked: re.Pattern[str]


def _load(path: Path) -> _PatternFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _PatternFile.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise PersonalDataPatternsError(f"{path}: cannot read personal-data patterns: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise PersonalDataPatternsError(f"{path}: {problems}") from exc


@cache
def _compiled(path: Path = PERSONAL_DATA_FILE) -> _Compiled:
    spec = _load(path)
    kinds = tuple(
        _CompiledKind(
            name=name,
            masks={"zh-CN": kind.mask.zh, "en": kind.mask.en},
            check=kind.check,
            pattern=re.compile("|".join(f"(?:{p})" for p in kind.patterns)),
        )
        for name, kind in spec.kinds.items()
    )
    own = [re.escape(mask) for kind in kinds for mask in kind.masks.values()]
    masked = re.compile("|".join([*own, *(f"(?:{p})" for p in spec.external_masks)]))
    return _Compiled(kinds, masked)


def masked_value_pattern() -> re.Pattern[str]:
    """The regular expression of a masked value (ours or another tool's), for the grader."""
    return _compiled().masked


def is_masked_value(text: str) -> bool:
    """True when ``text`` (stripped) is exactly one masked value, e.g. ``[电话]``, ``[数字x]``, ``138****5678``."""
    stripped = text.strip()
    return bool(stripped) and _compiled().masked.fullmatch(stripped) is not None


def contains_masked_value(text: str) -> bool:
    """True when ``text`` holds a masked value anywhere."""
    return _compiled().masked.search(text) is not None


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _cn_id(value: str) -> bool:
    body, check = value[:17], value[17].upper()
    return body.isdigit() and _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11] == check


def _passes(check: str | None, value: str) -> bool:
    if check == "luhn":
        digits = re.sub(r"\D", "", value)
        return 13 <= len(digits) <= 19 and _luhn(digits)
    if check == "cn_id":
        return _cn_id(value)
    return True


@dataclass(frozen=True)
class MaskResult:
    """Masked text and how many values of each kind were masked."""

    text: str
    counts: dict[str, int]


def mask_personal_data(text: str, language: Language) -> MaskResult:
    """``text`` with every phone number, e-mail, address, ID and card number replaced by its mask.

    Masks are in ``language`` (``[电话]`` / ``[phone]``). Values already masked by another tool are
    left alone.
    """
    compiled = _compiled()
    counts: Counter[str] = Counter()
    for kind in compiled.kinds:
        mask = kind.masks[language]

        def replace(match: re.Match[str], kind: _CompiledKind = kind, mask: str = mask) -> str:
            value = match.group(0)
            if not _passes(kind.check, value) or compiled.masked.fullmatch(value):
                return value
            counts[kind.name] += 1
            return mask

        text = kind.pattern.sub(replace, text)
    return MaskResult(text, dict(counts))


__all__ = [
    "MaskResult",
    "PersonalDataPatternsError",
    "contains_masked_value",
    "is_masked_value",
    "mask_personal_data",
    "masked_value_pattern",
]
