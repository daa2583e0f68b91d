"""Find fact-like tokens in text — order/reference numbers, amounts, dates, bare numbers — and ground them.

Used by ``drill eval personas`` to catch a simulated customer that *invents* facts: any such token
in a customer line must be backed by the case (or by something the agent said first). Matching
is deliberately broad (Chinese and English patterns run on every text) because a miss here would
hide an invented fact; grounding is by exact text or, failing that, by every number in the token
appearing in the allowed text (so "五十块" is grounded by "50元", "$1,000" by "1000").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["amount", "date", "reference", "number"]

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTHS_SHORT = "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
_WEEKDAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER = r"\d[\d,]*(?:\.\d+)?"

# Order matters: earlier patterns win where spans overlap ("5999元" is an amount, not a reference).
_SOURCES: tuple[tuple[TokenKind, str], ...] = (
    ("amount", rf"[¥￥$£€]\s*{_NUMBER}"),
    (
        "amount",
        rf"(?<![\d.]){_NUMBER}\s*(?:元|块(?!儿)|美元|英镑|欧元|%|\s?(?:dollars?|bucks|pounds|quid|euros?|cents)\b)",
    ),
    ("amount", rf"(?<![{_CN_NUMERAL}])(?!一块)[{_CN_NUMERAL}]+\s*(?:元|块(?!儿))"),
    ("date", r"(?<![\d.])\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?"),
    ("date", r"(?<![\d.])\d{1,2}\s*月\s*\d{1,2}\s*[日号]?"),
    ("date", r"(?<![\d.])\d{1,2}\s*[日号](?![楼线码床门位机店幢栋单室])"),
    ("date", rf"(?<![{_CN_NUMERAL}])[一二三四五六七八九十]{{1,3}}\s*号(?![楼线码床门位机店幢栋单室])"),
    ("date", r"(?<![\d.])\d{1,2}\s*[:：]\s*\d{2}(?:\s*(?:am|pm|a\.m\.|p\.m\.))?"),
    ("date", r"(?<![\d.])\d{1,2}\s*点(?:\s*半|\s*\d{1,2}\s*分)?"),
    ("date", r"(?:周|星期|礼拜)[一二三四五六日天]"),
    ("date", rf"\b(?:{_MONTHS}|{_MONTHS_SHORT})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"),
    ("date", rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS}|{_MONTHS_SHORT})\b"),
    ("date", r"\b\d{1,2}(?:st|nd|rd|th)\b"),
    ("date", r"\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)"),
    ("date", rf"\b(?:{_WEEKDAYS_EN})\b"),
    ("date", r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),
    ("date", r"(?<![\d.])\d+\s*(?:个?工作日|天|周|个?星期|个月|小时)"),
    ("date", r"\b\d+\s*(?:business\s+|working\s+)?(?:days?|weeks?|months?|hours?)\b"),
    ("reference", r"[A-Za-z#]*[A-Za-z0-9#][A-Za-z0-9#-]*\d[A-Za-z0-9#-]*"),
    # A bare number of two or three digits ("they gave me 50"): an amount without its unit.
    ("number", r"(?<![\d.])\d{2,3}(?:\.\d+)?(?![\d])"),
)
_PATTERNS: tuple[tuple[TokenKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _SOURCES
)
# Public hotlines every customer may name (consumer complaints, city services, anti-fraud,
# emergencies): world knowledge, not facts of a case.
PUBLIC_NUMBERS = frozenset({"12315", "12345", "12321", "12306", "12358", "96110", "110", "119", "120", "911", "999"})
_MIN_REFERENCE_DIGITS = 4
_MIN_CODE_LENGTH = 5


@dataclass(frozen=True)
class FactToken:
    """A fact-like token found in a text."""

    kind: TokenKind
    text: str
    start: int


def normalize(text: str) -> str:
    """NFKC, lower case, no whitespace, no thousands separators: the form tokens are compared in."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"(?<=\d),(?=\d{3})", "", folded)
    return re.sub(r"\s+", "", folded)


def _is_reference(token: str) -> bool:
    digits = sum(char.isdigit() for char in token)
    letters = sum(char.isalpha() for char in token)
    if digits >= _MIN_REFERENCE_DIGITS:
        return True
    # Short mixed codes: "QX7P2M", "SR-77", "A204" — letters and at least two digits.
    return letters >= 1 and digits >= 2 and len(token.strip("#-")) >= _MIN_CODE_LENGTH


def find_tokens(text: str) -> list[FactToken]:
    """Every amount-, date- or reference-like token in ``text``, in order, without overlaps."""
    taken: list[tuple[int, int]] = []
    found: list[FactToken] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            token = match.group(0).strip()
            if not token or any(start < stop and begin < end for begin, stop in taken):
                continue
            if kind == "reference" and not _is_reference(token):
                continue
            taken.append((start, end))
            found.append(FactToken(kind, token, start))
    return sorted(found, key=lambda token: token.start)


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral such as 五十, 两百, 一千二百, 二十八 (None if not one)."""
    if not text or any(char not in _CN_DIGITS and char not in _CN_UNITS for char in text):
        return None
    total, section, digit = 0, 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
            continue
        unit = _CN_UNITS[char]
        if unit == 10000:
            total += (section + (digit or 0)) * unit
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def numbers_in(text: str) -> set[float]:
    """Every number written in ``text``, in digits or as a Chinese numeral."""
    folded = normalize(text)
    values = {float(number) for number in re.findall(r"\d+(?:\.\d+)?", folded)}
    for numeral in re.findall(f"[{_CN_NUMERAL}]+", folded):
        value = chinese_number(numeral)
        if value is not None:
            values.add(float(value))
    return values


_WEEKDAY_CN = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")


def _weekday_form(text: str) -> str:
    return _WEEKDAY_CN.sub(lambda match: "周" + ("日" if match.group(1) == "天" else match.group(1)), text)


class Grounding:
    """Text a customer may draw facts from, indexed for fast grounding checks."""

    def __init__(self, texts: Iterable[str]):
        self._text = ""
        self._numbers: set[float] = set()
        self.add(texts)

    def add(self, texts: Iterable[str]) -> None:
        """Allow more text (e.g. what the agent just said)."""
        for text in texts:
            self._text += "\n" + _weekday_form(normalize(text))
            self._numbers |= numbers_in(text)

    def grounded(self, token: FactToken) -> bool:
        """True when ``token`` is a public hotline, is in the allowed text, or every number in it is."""
        if normalize(token.text) in PUBLIC_NUMBERS:
            return True
        if _weekday_form(normalize(token.text)) in self._text:
            return True
        numbers = numbers_in(token.text)
        return bool(numbers) and numbers <= self._numbers

    def contains(self, text: str) -> bool:
        """True when ``text`` (normalized) is a substring of the allowed text."""
        return _weekday_form(normalize(text)) in self._text
