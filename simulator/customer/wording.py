"""Form-only word lists of the customer (``customer/customer_words.yaml``): choice options, references.

Two jobs, both about *form*, never meaning (the recogniser says what a sentence does):

- :func:`choice_options` cuts a sentence the recogniser read as ``ask_choice`` into its options
  ("您看是上午还是下午方便？" -> ["上午", "下午"]), so the customer can answer by choosing;
- :func:`grounded` says whether a customer line only refers to what the conversation gives it
  grounds for: no screenshots of a phone call, no recording of a chat, no staff number or refund
  reference nobody mentioned;
- :func:`word_list` says whether a sentence is a list of bare terms ("补偿30元，加急，补偿，退款，
  凭证，回电。") rather than a sentence: a list of remedy words offers nothing, even when one of
  them is a resolution's keyword hint with an amount in it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from simulator.models import Channel, Language

WORDS_FILE = Path(__file__).with_name("customer_words.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceWords(_Strict):
    """How a choice question is cut into options."""

    joiners: list[str] = Field(min_length=1)
    lead_ins: list[str] = Field(default_factory=list)
    trailers: list[str] = Field(default_factory=list)


class ReferenceWords(_Strict):
    """Words a line may use only with grounds (see the YAML file's comment)."""

    chat_only: list[str] = Field(default_factory=list)
    voice_only: list[str] = Field(default_factory=list)
    mentioned: list[str] = Field(default_factory=list)


class LanguageWords(_Strict):
    """The lists of one language."""

    choice: ChoiceWords
    references: ReferenceWords


@lru_cache(maxsize=4)
def words(language: Language, path: Path = WORDS_FILE) -> LanguageWords:
    """The validated lists of ``language``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return LanguageWords.model_validate(data[language])


_EDGE = "，,。.！!？?~～ \t"


def _strip_lead(text: str, lead_ins: list[str]) -> str:
    lowered = text.lower()
    for lead in sorted(lead_ins, key=len, reverse=True):
        position = lowered.rfind(lead.lower())
        # A lead-in counts at the start or after a comma ("好的，您看是上午…").
        if position >= 0 and (position == 0 or text[position - 1] in _EDGE):
            return text[position + len(lead) :].strip(_EDGE)
    return text


def _strip_trail(text: str, trailers: list[str]) -> str:
    changed = True
    while changed and text:
        changed = False
        for trailer in sorted(trailers, key=len, reverse=True):
            if text.lower().endswith(trailer.lower()) and len(text) > len(trailer):
                text = text[: -len(trailer)].strip(_EDGE)
                changed = True
    return text


def choice_options(sentence: str, language: Language) -> list[str]:
    """The options of a choice question, as said; ``[]`` when it cannot be cut into two or more."""
    listed = words(language).choice
    body = sentence.strip(_EDGE)
    # The last clause holds the question: "好的，我查到了，您看是上午还是下午方便？"
    clauses = [clause for clause in re.split(r"[，,；;:：]", body) if clause.strip()]
    question = next((c for c in reversed(clauses) if any(j in c for j in listed.joiners)), "")
    if not question:
        return []
    pattern = "|".join(re.escape(joiner) for joiner in sorted(listed.joiners, key=len, reverse=True))
    parts = [part.strip(_EDGE) for part in re.split(pattern, question, flags=re.IGNORECASE)]
    if len(parts) < 2:
        return []
    parts[0] = _strip_lead(parts[0], listed.lead_ins)
    parts[-1] = _strip_trail(parts[-1], listed.trailers)
    options = [part for part in parts if part]
    return options if len(options) >= 2 else []


def grounded(line: str, language: Language, channel: Channel, known: str) -> bool:
    """Whether ``line`` refers only to what exists on this channel and what ``known`` mentions.

    ``known`` is everything the customer may refer to: what the agent said so far and what the case
    gives the customer (situation, opening line, wants, hidden facts).
    """
    listed = words(language).references
    lowered = line.lower()
    if channel != "chat" and any(word.lower() in lowered for word in listed.chat_only):
        return False
    if channel == "chat" and any(word.lower() in lowered for word in listed.voice_only):
        return False
    known_lower = known.lower()
    return all(word.lower() not in lowered or word.lower() in known_lower for word in listed.mentioned)


_LIST_SEPARATOR = re.compile(r"[，,、]+")
_HANZI = re.compile(r"[\u3400-\u9fff]")
_ENGLISH_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def word_list(sentence: str, language: Language, *, min_parts: int, term_words: int, term_hanzi: int) -> bool:
    """Whether ``sentence`` is a list of bare terms, not a sentence (structure only, see the module docstring).

    Cut at commas and enumeration commas, it has at least ``min_parts`` parts and every part is a
    bare term: at most ``term_words`` English words, or ``term_hanzi`` Chinese characters (digits,
    symbols and spaces are not counted, so "补偿30元" and "$111.01" are terms). The numbers live in
    ``customer/rules.yaml`` with the measurement that chose them.
    """
    parts = [part for part in _LIST_SEPARATOR.split(sentence) if part.strip(_EDGE + "…")]
    if len(parts) < min_parts:
        return False
    if language == "zh-CN":
        return all(len(_HANZI.findall(part)) <= term_hanzi for part in parts)
    return all(len(_ENGLISH_WORD.findall(part)) <= term_words for part in parts)
