"""Whose data is it: how much of what an agent sentence reads out the customer already gave.

A sentence alone does not say whose details it holds: "your number ending 0231" reads back what the
customer said, "your neighbour's number is 138…" gives someone else's. This module compares, by
structure only, the details of an agent sentence with what is *given* — the customer's turns so far
and, when a case exists, the customer's identity (name, how they are addressed):

- **details** are digit runs (separators inside a number ignored: "07700 900418"), e-mail addresses
  and, in English, capitalised words that do not open the sentence (names, streets);
- ``given_details`` — the share of the sentence's details found in what was given (a digit run
  counts when it lies inside a number the customer said: a tail is given by the whole number);
- ``new_details`` — 1 when at least one detail was not given;
- the case's customer identity (their name, how they are addressed) is a given detail wherever the
  sentence says it: "请问是罗女士吗？" has no capitals or digits to find.

The longest stretch of the sentence repeating what was given was tried as a third input and dropped:
the acts-corpus sentences the detectors also learn from have no customer line, so a stretch of any
length told the corpora apart rather than whose data ("Yes." echoing a customer's "yes" scored 1.0).

Which of these make a red line is learned: they are inputs of the ``other_person_data`` detector
(``red_line_detectors``), fitted with everything else it reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.models import Case

WHOSE_FEATURES: tuple[str, ...] = ("given_details", "new_details")

_NUMBER = re.compile(r"\d(?:[\d \-.]*\d)?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*")
_CAPITALISED = re.compile(r"(?<![\w'])[A-Z][a-z]+")
_OPENING = re.compile(r"^\W*[A-Z][a-z]*")
#: A run shorter than this is a count or a day, not a detail ("2 boxes", "the 9th").
_MIN_DIGITS = 2


def _numbers(text: str) -> list[str]:
    """Digit strings of the numbers in ``text``, separators inside a number removed."""
    found = [re.sub(r"\D", "", match.group()) for match in _NUMBER.finditer(text)]
    return [digits for digits in found if len(digits) >= _MIN_DIGITS]


def details(text: str) -> list[str]:
    """The details of one sentence: numbers, e-mail addresses, capitalised words not opening it."""
    found = _numbers(text) + [email.lower() for email in _EMAIL.findall(text)]
    body = _EMAIL.sub(" ", text)
    opening = _OPENING.match(body)
    rest = body[opening.end() :] if opening else body
    found += [word.lower() for word in _CAPITALISED.findall(rest)]
    return found


@dataclass(frozen=True)
class Given:
    """What the agent was given before a sentence: the customer's words and the case's identity."""

    said: str
    identity: tuple[str, ...] = ()


def given_text(customer_turns: Sequence[str], case: Case | None) -> Given:
    """What the agent was given: the customer's turns so far and the case's customer identity."""
    identity = (case.customer.name, case.customer.address_as) if case is not None else ()
    return Given("\n".join(customer_turns), identity)


def whose_features(sentence: str, given: Given) -> tuple[float, float]:
    """(given_details, new_details) of ``sentence`` against what was ``given``."""
    found = details(sentence)
    given_numbers = _numbers(given.said)
    said = given.said.lower()
    named = [name for name in given.identity if name and name.lower() in sentence.lower()]
    words = {word for name in named for word in details(f"x {name}")}

    def was_given(detail: str) -> bool:
        if detail.isdigit():
            return any(detail in number for number in given_numbers)
        return detail in said or detail in words

    known = [was_given(detail) for detail in found] + [True] * len(named)
    if not known:
        return 0.0, 0.0
    return sum(known) / len(known), float(not all(known))
