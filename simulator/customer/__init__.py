"""Simulated customers: pick an engine for a persona in a case.

``make_customer`` is the one entry point the CLI and the app use. The LLM engine is imported
lazily so that the offline path never loads a provider SDK.
"""

from __future__ import annotations

from typing import Literal

from simulator.config import Settings
from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.errors import DrillError, LanguageMismatch
from simulator.models import Case, Persona, Rubric

EngineName = Literal["offline", "llm"]
ENGINES: tuple[EngineName, ...] = ("offline", "llm")

__all__ = ["ENGINES", "CustomerEngine", "CustomerReply", "EngineName", "ReplyStream", "make_customer"]


def make_customer(
    persona: Persona,
    case: Case,
    *,
    engine: EngineName | None,
    seed: int,
    settings: Settings,
    rubric: Rubric | None = None,
) -> CustomerEngine:
    """Build the customer engine for ``persona`` in ``case``.

    ``engine=None`` picks the LLM engine when an endpoint is configured, else the offline one.
    ``rubric`` lets the offline customer react to the rubric's forbidden phrases and long turns.
    Raises ``LanguageMismatch`` when the persona does not speak the case's language,
    ``DrillError`` when ``engine="llm"`` is asked for with no endpoint configured and
    ``ValueError`` for an unknown engine name.
    """
    if case.language not in persona.languages:
        raise LanguageMismatch(
            f"persona '{persona.id}' does not speak {case.language} (its languages: "
            f"{', '.join(persona.languages)}); pick a persona that speaks the case's language "
            f"or a case in {' or '.join(persona.languages)}"
        )
    chosen = engine or ("llm" if settings.llm_configured else "offline")
    if chosen == "offline":
        from simulator.customer.offline import OfflineCustomer

        return OfflineCustomer(persona, case, seed=seed, rubric=rubric)
    if chosen == "llm":
        if not settings.llm_configured:
            raise DrillError(
                "the llm customer engine needs an LLM endpoint: set DRILL_LLM_BASE_URL (and DRILL_LLM_API_KEY "
                "if the server wants one), or use --engine offline"
            )
        from simulator.customer.llm_engine import LLMCustomer

        return LLMCustomer(persona, case, seed=seed, settings=settings, rubric=rubric)
    raise ValueError(f"unknown customer engine '{chosen}'; choose one of: {', '.join(ENGINES)}")
