"""What a session was played and graded with: content snapshots and the grader version, per session.

A persona or case file can be edited or deleted after a drill; the drill's replay, regrade and
assessment record must not change with it. So when a drill starts, the persona and the case it is
played with are stored as snapshots in ``content_snapshots`` — the validated item as JSON, keyed
by the sha256 of that JSON, so a thousand drills of one unchanged case share one row — and the
session records both hashes and the grader version in force (rubric hash, offline weights
version and provenance, recogniser model, engine). Whatever later reads the session's persona or
case reads the snapshot (:func:`session_library`). Sessions stored before snapshots existed have
none: they use the current content, and :func:`uses_current_content` says so for the mentor.
See docs/store.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import JSON, DateTime, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from simulator.content import Library
from simulator.models import Case, Persona, Rubric
from simulator.store_rows import Base, DrillSession, utcnow

SnapshotKind = Literal["persona", "case"]


class ContentSnapshotRow(Base):
    """One persona or case exactly as some session used it, shared by every session that used it."""

    __tablename__ = "content_snapshots"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(96), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def canonical_body(item: BaseModel) -> dict[str, Any]:
    """The validated item as JSON data (what is hashed and stored; it validates back to an equal item)."""
    return item.model_dump(mode="json")


def content_hash(item: BaseModel) -> str:
    """sha256 of the item's canonical JSON: equal content, equal hash, whatever the file's layout."""
    text = json.dumps(canonical_body(item), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def keep_snapshot(engine: Any, kind: SnapshotKind, item: Persona | Case) -> str:
    """Store ``item`` unless a snapshot with its hash exists; return the hash.

    Two replicas storing the same new content at once both succeed: the second insert is refused
    by the primary key and the row the first wrote is the one kept (the content is the same).
    """
    digest = content_hash(item)
    with Session(engine) as db:
        if db.get(ContentSnapshotRow, digest) is not None:
            return digest
        db.add(ContentSnapshotRow(content_hash=digest, kind=kind, item_id=item.id, body=canonical_body(item)))
        try:
            db.commit()
        except IntegrityError:
            db.rollback()  # another writer stored the same content first
    return digest


def load_snapshot(engine: Any, content_hash_: str) -> dict[str, Any] | None:
    """The stored body of a snapshot (None when there is none with that hash)."""
    with Session(engine) as db:
        row = db.get(ContentSnapshotRow, content_hash_)
        return dict(row.body) if row is not None else None


def snapshot_hashes(engine: Any, session_id: str) -> tuple[str | None, str | None]:
    """(persona hash, case hash) a session recorded (None for a session stored before snapshots)."""
    with Session(engine) as db:
        found = db.execute(
            select(DrillSession.persona_hash, DrillSession.case_hash).where(DrillSession.id == session_id)
        ).first()
    return (found[0], found[1]) if found is not None else (None, None)


# ---------------------------------------------------------------------------------------------
# The grader version


@lru_cache(maxsize=1)
def _recogniser_fingerprint() -> dict[str, str]:
    from simulator.recognition.classifier import MODEL_DIR  # only the path: the model is not loaded

    digest = hashlib.sha256()
    for name in ("acts.json", "acts.npz"):
        digest.update(name.encode())
        digest.update((MODEL_DIR / name).read_bytes())
    meta = json.loads((MODEL_DIR / "acts.json").read_text(encoding="utf-8"))
    return {
        "model_hash": digest.hexdigest()[:16],
        "corpus_key": str(meta.get("corpus", {}).get("key", "")),
        "encoder": str(meta.get("encoder", "")),
    }


def grader_version(engine: str, rubric: Rubric, *, judge_model: str | None = None) -> dict[str, Any]:
    """The grader in force now, as recorded with a session: enough to tell two graders apart."""
    from simulator.grading.weights import default_weights, weights_in_force

    weights = default_weights()
    provenance = weights.provenance
    version: dict[str, Any] = {
        "engine": engine,
        "rubric": {"version": rubric.version, "hash": content_hash(rubric)},
        "weights": {
            "version": weights.version,
            "hash": weights.digest[:16],
            "file": weights_in_force().name,
            "fitted_at": provenance.fitted_at if provenance else None,
            "command": provenance.command if provenance else None,
        },
        "recogniser": _recogniser_fingerprint(),
    }
    if engine == "llm":
        version["judge_model"] = judge_model
    return version


def pin_imported_content(engine: Any, session_id: str, library: Library, grader: dict[str, Any]) -> None:
    """Record, for an imported chat log, the snapshots of the persona and case it names (if the library
    has them) and the grader version, as ``start_drill`` does for a drill."""
    with Session(engine) as db:
        row = db.get(DrillSession, session_id)
        if row is None:
            raise KeyError(f"no session with id {session_id}")
        persona = library.personas.get(row.persona_id or "")
        case = library.cases.get(row.case_id or "")
    values: dict[str, Any] = {"grader_version": grader}
    if persona is not None:
        values["persona_hash"] = keep_snapshot(engine, "persona", persona)
    if case is not None:
        values["case_hash"] = keep_snapshot(engine, "case", case)
    with Session(engine) as db, db.begin():
        db.execute(update(DrillSession).where(DrillSession.id == session_id).values(**values))


# ---------------------------------------------------------------------------------------------
# Reading a session's content


@dataclasses.dataclass(frozen=True)
class SessionContent:
    """The persona and case a session was played with, and whether they came from its snapshot."""

    persona: Persona | None
    case: Case | None
    from_snapshot: bool


def uses_current_content(row: DrillSession) -> bool:
    """True for a session that names a persona or case but recorded no snapshot (stored before them)."""
    names_content = bool(row.persona_id or row.case_id)
    return names_content and not (row.persona_hash or row.case_hash)


def session_content(engine: Any, row: DrillSession, library: Library) -> SessionContent:
    """The session's persona and case: its snapshots when it has them, else the library's current ones."""
    persona_body = load_snapshot(engine, row.persona_hash) if row.persona_hash else None
    case_body = load_snapshot(engine, row.case_hash) if row.case_hash else None
    cases = {**library.cases, **library.exam_cases}
    persona = Persona.model_validate(persona_body) if persona_body else library.personas.get(row.persona_id or "")
    case = Case.model_validate(case_body) if case_body else cases.get(row.case_id or "")
    return SessionContent(persona, case, from_snapshot=persona_body is not None or case_body is not None)


def session_library(engine: Any, row: DrillSession, library: Library) -> Library:
    """``library`` with the session's own persona and case in place of today's files (added if deleted).

    Playing on, grading and regrading a session read their persona and case through this, so an
    edit or a deletion after the session never reaches it. Everything else (the rubric, other
    cases used as references) is the library as it is.
    """
    content = session_content(engine, row, library)
    personas = dict(library.personas)
    cases = dict(library.cases)
    if content.persona is not None:
        personas[content.persona.id] = content.persona
    if content.case is not None:
        cases[content.case.id] = content.case
    return dataclasses.replace(library, personas=personas, cases=cases)


def library_with_sessions(engine: Any, library: Library, session_ids: Iterable[str]) -> Library:
    """``library`` naming each of these sessions' personas and cases as they were played (for records
    that list many sessions, e.g. an assessment report): one query for the sessions, one per snapshot."""
    wanted = sorted({session_id for session_id in session_ids if session_id})
    if not wanted:
        return library
    with Session(engine) as db:
        found = db.execute(
            select(DrillSession.persona_hash, DrillSession.case_hash).where(DrillSession.id.in_(wanted))
        ).all()
    personas = dict(library.personas)
    exam_cases = dict(library.exam_cases)
    cases = dict(library.cases)
    for persona_hash, case_hash in found:
        persona_body = load_snapshot(engine, persona_hash) if persona_hash else None
        if persona_body is not None:
            persona = Persona.model_validate(persona_body)
            personas[persona.id] = persona
        case_body = load_snapshot(engine, case_hash) if case_hash else None
        if case_body is not None:
            case = Case.model_validate(case_body)
            # a practice case stays among the practice cases; an exam card's case, or a case whose
            # file is gone, goes to the exam side (a report only reads names from this library)
            (exam_cases if case.id in library.exam_cases or case.id not in library.cases else cases)[case.id] = case
    return dataclasses.replace(library, personas=personas, cases=cases, exam_cases=exam_cases)
