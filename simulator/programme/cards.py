"""Drawing scenario cards for the practical exam from the exam pool (``casebank/exam/``).

A card is a case with a customer persona to play it. Cards come only from the exam pool, which
practice never sees; each trainee gets their own random draw, and a resit draws cards the
trainee has not had before whenever the pool allows it.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

from simulator.content import Library
from simulator.models import Case, Persona
from simulator.programme.errors import ProgrammeError

ANY = "any"


@dataclass(frozen=True)
class CardFilters:
    """Which exam cases may be drawn; ``None``, ``""`` or ``"any"`` means no restriction."""

    category: str | None = None
    industry: str | None = None
    difficulty: str | None = None

    def matches(self, case: Case) -> bool:
        """True when ``case`` passes every filter."""
        return all(
            wanted in (None, "", ANY) or wanted == actual
            for wanted, actual in (
                (self.category, case.category.value),
                (self.industry, case.industry.value),
                (self.difficulty, case.difficulty),
            )
        )

    def as_dict(self) -> dict[str, str | None]:
        """Plain values for storage and reports (no restriction as None)."""
        return {
            name: (value if value not in ("", ANY) else None)
            for name, value in (
                ("category", self.category),
                ("industry", self.industry),
                ("difficulty", self.difficulty),
            )
        }


@dataclass(frozen=True)
class Card:
    """A drawn card: an exam case and the persona that plays the customer."""

    case_id: str
    persona_id: str


def personas_for(library: Library, case: Case) -> list[Persona]:
    """Personas that can play ``case``'s customer: those the case suggests when any fit, else any that fits."""
    fitting = [p for p in sorted(library.personas.values(), key=lambda p: p.id) if p.fits_case(case)]
    suggested = [p for p in fitting if p.id in case.personas]
    return suggested or fitting


def exam_pool(library: Library, language: str, filters: CardFilters) -> list[Case]:
    """Exam cases in ``language`` passing ``filters`` that some persona can play, by id."""
    return [
        case
        for case in sorted(library.exam_cases.values(), key=lambda c: c.id)
        if case.language == language and filters.matches(case) and personas_for(library, case)
    ]


def draw_cards(
    library: Library,
    language: str,
    filters: CardFilters,
    count: int,
    rng: random.Random,
    *,
    seen: Collection[str] = (),
) -> list[Card]:
    """``count`` different cards at random from the pool, preferring cases not in ``seen``.

    Raises ``ProgrammeError('assess_not_enough_cards')`` when the pool has fewer than ``count``.
    """
    pool = exam_pool(library, language, filters)
    if len(pool) < count:
        raise ProgrammeError(
            "assess_not_enough_cards", available=len(pool), asked=count, language=language, filters=_describe(filters)
        )
    fresh = [case for case in pool if case.id not in seen]
    again = [case for case in pool if case.id in seen]
    chosen = rng.sample(fresh, min(count, len(fresh)))
    if len(chosen) < count:
        chosen += rng.sample(again, count - len(chosen))
    return [Card(case.id, rng.choice(personas_for(library, case)).id) for case in chosen]


def _describe(filters: CardFilters) -> str:
    parts = [f"{name}={value}" for name, value in filters.as_dict().items() if value]
    return ", ".join(parts) or "none"
