"""Mentor overrides exported from a store as labelled data, and read back for a centre's refit.

One JSON line per session that a mentor overrode at least once (``docs/grader-weights.md`` is the
contract): the session's transcript and one label per criterion —

- ``kind: override``: the mentor changed the grader's level; ``grader_level`` is the level the
  grader had given (as stored with the override), ``mentor_level`` the mentor's, with the reason,
  the mentor and when. When a criterion was overridden more than once the latest override counts.
- ``kind: confirmed``: a criterion of the same session the mentor left as the grader scored it in
  the latest report. A mentor who overrides one criterion has read the scorecard; taking the
  others as accepted is an assumption, so these rows are marked and ``--overrides-only`` leaves
  them out of a refit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from simulator import limits
from simulator.errors import DrillError
from simulator.models import StrictModel, Transcript
from simulator.store import SessionStore

LabelKind = Literal["override", "confirmed"]


class OverrideExportError(DrillError):
    """An exported overrides file cannot be read (missing, too large, or a line that is not a valid record)."""


class OverrideLabel(StrictModel):
    """A mentor's level for one criterion of one session."""

    criterion: str
    kind: LabelKind
    grader_level: int | None = Field(ge=1, le=5, description="The grader's level before the mentor's decision.")
    mentor_level: int = Field(ge=1, le=5)
    reason: str | None = None
    author: str | None = None
    at: str | None = Field(default=None, description="When the override was made (ISO 8601, UTC).")


class OverrideRecord(StrictModel):
    """One session: its transcript, where it came from, and the mentor's levels."""

    session_id: str
    source: str = Field(description="drill (a trainee's session) or import (a real chat log).")
    engine: str | None = Field(description="Engine of the latest grade report (offline or llm).")
    transcript: Transcript
    labels: list[OverrideLabel] = Field(min_length=1)

    def levels(self, *, overrides_only: bool = False) -> dict[str, int]:
        """Criterion id -> the mentor's level (only overridden criteria with ``overrides_only``)."""
        return {
            label.criterion: label.mentor_level
            for label in self.labels
            if not overrides_only or label.kind == "override"
        }


def export_overrides(store: SessionStore) -> list[OverrideRecord]:
    """Every session of ``store`` with a mentor override, as labelled records."""
    records: list[OverrideRecord] = []
    for session_id in store.overridden_session_ids():
        session = store.get_session(session_id)
        report = store.latest_report(session_id)
        latest: dict[str, OverrideLabel] = {}
        for row in store.overrides(session_id):  # oldest first: a later override replaces an earlier one
            latest[row.criterion_id] = OverrideLabel(
                criterion=row.criterion_id,
                kind="override",
                grader_level=row.original_score,
                mentor_level=row.new_score,
                reason=row.reason,
                author=row.author,
                at=row.created_at.isoformat(timespec="seconds") if row.created_at else None,
            )
        confirmed = [
            OverrideLabel(criterion=c.id, kind="confirmed", grader_level=c.score, mentor_level=c.score)
            for c in (report.criteria if report else [])
            if c.score is not None and c.id not in latest
        ]
        records.append(
            OverrideRecord(
                session_id=session_id,
                source=session.source,
                engine=report.grader.engine if report else None,
                transcript=store.transcript(session_id),
                labels=[*latest.values(), *confirmed],
            )
        )
    return records


def write_records(records: Iterable[OverrideRecord], path: Path) -> int:
    """Write ``records`` as JSON lines to ``path``; return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(record.model_dump_json(exclude_none=True) + "\n")
            count += 1
    return count


def read_records(path: Path) -> list[OverrideRecord]:
    """Read an export back; ``OverrideExportError`` names the line and the problem of a bad record."""
    if not path.is_file():
        raise OverrideExportError(f"{path}: no such file (write one with `drill weights export-overrides`)")
    line_cap = limits.TRANSCRIPT_BYTES.value * 2
    sessions_cap = limits.OVERRIDE_EXPORT_SESSIONS.value
    records: list[OverrideRecord] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > line_cap:
                raise OverrideExportError(
                    f"{path}:{number}: the line is {len(raw):,} bytes; the limit is {line_cap:,} "
                    f"(twice {limits.TRANSCRIPT_BYTES.env})"
                )
            if not raw.strip():
                continue
            if len(records) >= sessions_cap:
                raise OverrideExportError(
                    f"{path}:{number}: more than {sessions_cap:,} sessions; split the file or raise "
                    f"{limits.OVERRIDE_EXPORT_SESSIONS.env}"
                )
            try:
                records.append(OverrideRecord.model_validate(json.loads(raw.decode("utf-8"))))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise OverrideExportError(f"{path}:{number}: not a UTF-8 JSON line: {exc}") from exc
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(part) for part in first["loc"])
                raise OverrideExportError(f"{path}:{number}: {where}: {first['msg']}") from exc
    return records
