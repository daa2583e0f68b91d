"""The texts the case index compares: a case's embedded document and metadata, a conversation's query.

A case becomes one document by a *recipe* (:data:`DOCUMENT_RECIPES`, the default chosen by the
retrieval eval: :data:`DEFAULT_RECIPE`) with filterable metadata ``id``, ``category``,
``language``, ``difficulty``, ``tags`` (comma-separated), ``title`` and ``content_hash``. A
conversation is searched by its scenario and customer turns (:func:`transcript_query`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.models import Case, Transcript

# Customer turns beyond this many characters add little (the story is told early) and would
# drown the opening in small talk.
TRANSCRIPT_QUERY_CHARS = 1200


def _phrasing(case: Case) -> str:
    return "\n".join(phrase.text for phrase in case.recommended_phrasing)


def _recipe_brief(case: Case) -> str:
    return f"{case.title}\n{case.brief}"


def _recipe_story(case: Case) -> str:
    return "\n".join([case.title, case.product, case.brief, case.situation, case.customer_wants, case.opening_line])


def _recipe_story_phrasing(case: Case) -> str:
    return "\n".join([_recipe_story(case), _phrasing(case), ", ".join(case.tags)])


def _recipe_full(case: Case) -> str:
    resolutions = "\n".join(r.description for r in case.acceptable_resolutions)
    steps = "\n".join(case.expected_steps)
    return "\n".join([_recipe_story_phrasing(case), resolutions, steps])


DOCUMENT_RECIPES: dict[str, Callable[[Case], str]] = {
    "brief": _recipe_brief,
    "story": _recipe_story,
    "story+phrasing": _recipe_story_phrasing,
    "full": _recipe_full,
}
"""Ways to turn a case into the text that is embedded (compared by the retrieval eval)."""

# Measured (evals/retrieval.yaml): with e5 the story alone beat story+phrasing and full (the
# agent's recommended lines describe the reply, not the situation, and dilute it) and embeds
# 3x faster; with n-grams the recipes were within noise. Brief-only was clearly worst.
DEFAULT_RECIPE = "story"


def case_document(case: Case, recipe: str = DEFAULT_RECIPE) -> str:
    """The text embedded for ``case`` under ``recipe`` (see :data:`DOCUMENT_RECIPES`)."""
    try:
        return DOCUMENT_RECIPES[recipe](case)
    except KeyError:
        raise ValueError(f"unknown document recipe '{recipe}'; choose one of: {', '.join(DOCUMENT_RECIPES)}") from None


def case_metadata(case: Case, document: str) -> dict[str, str]:
    """Filterable metadata for ``case``, with a hash of everything stored for it."""
    metadata = {
        "id": case.id,
        "title": case.title,
        "category": str(case.category),
        "language": case.language,
        "difficulty": case.difficulty,
        "tags": ",".join(case.tags),
    }
    payload = json.dumps([document, metadata], ensure_ascii=False, sort_keys=True)
    metadata["content_hash"] = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return metadata


def transcript_query(transcript: Transcript, limit: int = TRANSCRIPT_QUERY_CHARS) -> str:
    """Search text for a transcript: its scenario, then customer turns, cut at ``limit`` chars."""
    parts = [transcript.scenario or ""] + [turn.text for turn in transcript.turns if turn.role == "customer"]
    return "\n".join(part.strip() for part in parts if part and part.strip())[:limit].strip()
