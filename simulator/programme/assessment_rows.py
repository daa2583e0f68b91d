"""Reading and writing an assessment's rows: a trainee's candidate row, attempts, items, frozen result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.programme.cards import Card
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.results import AssessmentResult
from simulator.programme.tables import AssessmentRow, AttemptItemRow, AttemptRow, CandidateRow


def assessment_and_candidate(db: Session, assessment_id: str, user_name: str) -> tuple[AssessmentRow, CandidateRow]:
    """The assessment and the trainee's row in it (NotAllowed when either is missing)."""
    assessment = db.get(AssessmentRow, assessment_id)
    candidate = db.scalars(
        select(CandidateRow).where(CandidateRow.assessment_id == assessment_id, CandidateRow.user_name == user_name)
    ).first()
    if assessment is None or candidate is None:
        raise NotAllowed("assess_not_found")
    return assessment, candidate


def current_attempt(db: Session, candidate_id: int, part: str) -> AttemptRow:
    """The latest attempt of a candidate at ``part``."""
    attempt = db.scalars(
        select(AttemptRow)
        .where(AttemptRow.candidate_id == candidate_id, AttemptRow.part == part)
        .order_by(AttemptRow.number.desc())
        .limit(1)
    ).first()
    if attempt is None:
        raise NotAllowed("assess_not_found")
    return attempt


def attempt_items(db: Session, attempt_id: int) -> list[AttemptItemRow]:
    """The cards and real chats of an attempt."""
    return list(db.scalars(select(AttemptItemRow).where(AttemptItemRow.attempt_id == attempt_id)))


def attempt_item(db: Session, attempt_id: int, kind: str, position: int) -> AttemptItemRow:
    """The item of an attempt at ``kind`` and ``position`` (ProgrammeError when there is none)."""
    for item in attempt_items(db, attempt_id):
        if item.kind == kind and item.position == position:
            return item
    raise ProgrammeError("assess_no_such_card", position=position)


def add_cards(db: Session, attempt_id: int, cards: Sequence[Card]) -> None:
    """Add ``cards`` to an attempt, numbered from 1."""
    for position, card in enumerate(cards, start=1):
        db.add(
            AttemptItemRow(
                attempt_id=attempt_id, kind="card", position=position, case_id=card.case_id, persona_id=card.persona_id
            )
        )


def result_json(result: AssessmentResult) -> dict[str, Any]:
    """The frozen result as stored in the candidate row."""
    return {
        "theory": result.theory,
        "practical": result.practical,
        "total": result.total,
        "passed": result.passed,
        "failed_parts": list(result.failed_parts),
        "resit_allowed": list(result.resit_allowed),
        "attempts": [{"part": a.part, "number": a.number, "score": a.score} for a in result.attempts],
    }
