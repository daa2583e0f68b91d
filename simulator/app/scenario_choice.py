"""Choosing a scenario: filters, the persona and scenario lists a trainee picks from, a random card.

Pure functions of the content library (no store, no user): the practice tab and the API use them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator.app.i18n import AppError, label
from simulator.content import Library
from simulator.models import Case, Language, Persona, TraineeView

ANY = "any"


@dataclass(frozen=True)
class ScenarioFilters:
    """Filters for scenario lists and random cards; ``None`` or ``"any"`` means no restriction.

    ``show_all`` also lists persona-scenario pairs whose identities do not fit (an elderly persona
    for a thirty-year-old customer); by default only coherent pairs are offered.
    """

    category: str | None = None
    language: str | None = None
    difficulty: str | None = None
    industry: str | None = None
    show_all: bool = False

    def matches(self, case: Case | TraineeView) -> bool:
        """True when ``case`` passes every filter."""
        return all(
            wanted in (None, "", ANY) or wanted == actual
            for wanted, actual in (
                (self.category, case.category.value),
                (self.language, case.language),
                (self.difficulty, case.difficulty),
                (self.industry, case.industry.value),
            )
        )


def persona_options(library: Library, language: str | None, lang: Language) -> list[tuple[str, str]]:
    """(label, id) of personas that speak ``language`` (any language when ``None``/``any``)."""
    options = []
    for persona in trainee_personas(library):
        if language not in (None, "", ANY) and language not in persona.languages:
            continue
        # the label is the type of customer ("anxious new mother"); no archetype tag repeated after it
        options.append((persona.label.get(lang), persona.id))
    return options


def case_options(
    library: Library, filters: ScenarioFilters, persona_id: str | None, lang: Language
) -> list[tuple[str, str]]:
    """(label, id) of cases passing ``filters`` that the chosen persona can play.

    The persona must speak the case's language and, unless ``filters.show_all``, fit its customer.
    """
    persona = library.personas.get(persona_id or "")
    options = []
    for _, full in sorted(library.cases.items()):
        case = full.trainee_view()  # what the trainee is shown; the fit is decided on the full case
        if not filters.matches(case):
            continue
        if persona is not None and not _playable(persona, full, filters.show_all):
            continue
        tags = f"{label('category', case.category.value, lang)} · {label('difficulty', case.difficulty, lang)}"
        options.append((f"{case.title} ({tags})", case.id))
    return options


def trainee_personas(library: Library) -> list[TraineeView]:
    """What a trainee may see of every persona (``Persona.TRAINEE_FIELDS``), by id."""
    return [persona.trainee_view() for _, persona in sorted(library.personas.items())]


def draw_card(library: Library, filters: ScenarioFilters, rng: random.Random | None = None) -> tuple[str, str]:
    """A random (persona id, case id) passing ``filters``, like drawing an exam card.

    The persona is one the case names as suited when any of those can play it, else any persona
    that can (speaks its language and, unless ``show_all``, fits its customer). Raises
    ``AppError('no_matching_case')`` when nothing matches.
    """
    rng = rng or random.Random()
    cases = [case for case in sorted(library.cases.values(), key=lambda c: c.id) if filters.matches(case)]
    playable = [(case, _personas_for(library, case, filters.show_all)) for case in cases]
    playable = [(case, personas) for case, personas in playable if personas]
    if not playable:
        raise AppError("no_matching_case")
    case, personas = rng.choice(playable)
    return rng.choice(personas).id, case.id


def _playable(persona: Persona, case: Case, show_all: bool) -> bool:
    return case.language in persona.languages and (show_all or persona.fits_case(case))


def _personas_for(library: Library, case: Case, show_all: bool = False) -> list[Persona]:
    able = [p for p in sorted(library.personas.values(), key=lambda p: p.id) if _playable(p, case, show_all)]
    suited = [p for p in able if p.id in case.personas]
    return suited or able
