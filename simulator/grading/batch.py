"""Grading many chat logs in one process: file discovery, per-file results, CSV / JSONL summaries.

``drill grade`` is a thin shell over this module. One process grades every file so the case
index and the embedding model load once. Every file gets a :class:`FileResult` whatever happens
to it — a bad file is a row with its error, never the end of the run — and the run's exit code is
the worst of the files' codes (``EXIT_*``; documented in the README):

* ``0`` graded, or left unscored because of the input (no agent turns, an agent side too thin to
  judge: the report says why);
* ``2`` malformed input of any shape (unreadable, not UTF-8, bad or too deeply nested JSON, wrong
  keys, over a size cap, an unknown case id);
* ``3`` grading failed (endpoint down, a verdict that could not be read, any other failure).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulator.config import Settings
from simulator.content import Library
from simulator.errors import DrillError
from simulator.grading import GradingError, grade, grading_outcome
from simulator.grading.transcript_file import TranscriptFileError
from simulator.models import GradeReport
from simulator.transcript_import import ImportedTranscript, read_transcript_file

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_MALFORMED = 2
EXIT_FAILED = 3

Status = Literal["graded", "unscored", "failed", "malformed"]
_EXIT_CODES: dict[Status, int] = {
    "graded": EXIT_OK,
    "unscored": EXIT_OK,
    "failed": EXIT_FAILED,
    "malformed": EXIT_MALFORMED,
}

#: File names ``drill grade FOLDER`` picks up (recursively).
TRANSCRIPT_GLOB = "*.json"


@dataclass(frozen=True)
class FileResult:
    """What became of one file: its report, or why there is none."""

    path: Path
    status: Status
    report: GradeReport | None = None
    imported: ImportedTranscript | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """This file's exit code (see the module docstring)."""
        return _EXIT_CODES[self.status]


def discover(paths: Sequence[Path]) -> list[Path]:
    """The files to grade: each path that is not a folder as given, each folder's ``*.json`` (sorted).

    Paths that do not exist are kept, so they are reported as malformed rather than skipped.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(TRANSCRIPT_GLOB) if p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def grade_file(
    path: Path, *, library: Library, settings: Settings, engine: Literal["offline", "llm"] | None, mask: bool = True
) -> FileResult:
    """Import and grade one file; never raises for anything the file or the grader does."""
    try:
        imported = read_transcript_file(path, mask=mask)
    except TranscriptFileError as exc:
        return FileResult(path, "malformed", error="; ".join(exc.problems))
    warnings = [f"{path}: warning: {warning.message('en')}" for warning in imported.warnings]
    transcript = imported.transcript
    try:
        report = grade(transcript, library=library, engine=engine, settings=settings)
    except GradingError as exc:
        return FileResult(path, "malformed", imported=imported, error=f"{path}: {exc}", warnings=warnings)
    except DrillError as exc:
        return FileResult(path, "failed", imported=imported, error=f"{path}: grading failed: {exc}", warnings=warnings)
    except Exception as exc:  # a bug must not stop a month of logs; it is logged with its traceback
        log.exception("grading %s failed", path)
        return FileResult(
            path,
            "failed",
            imported=imported,
            error=f"{path}: grading failed: {type(exc).__name__}: {exc}",
            warnings=warnings,
        )
    outcome = grading_outcome(report, transcript)
    error = None
    if outcome != "graded":
        reasons = dict.fromkeys(c.unscored_reason for c in report.criteria if c.score is None and c.unscored_reason)
        error = f"{path}: {'; '.join(r for r in reasons if r)}"
    return FileResult(path, outcome, report=report, imported=imported, error=error, warnings=warnings)


def grade_files(
    paths: Iterable[Path],
    *,
    library: Library,
    settings: Settings,
    engine: Literal["offline", "llm"] | None,
    mask: bool = True,
) -> Iterator[FileResult]:
    """:func:`grade_file` for each path, in order."""
    for path in paths:
        yield grade_file(path, library=library, settings=settings, engine=engine, mask=mask)


def worst_exit_code(results: Iterable[FileResult]) -> int:
    """The highest exit code of ``results`` (0 for none)."""
    return max((result.exit_code for result in results), default=EXIT_OK)


# ---------------------------------------------------------------------------------------------
# Summaries


def summary_row(result: FileResult, criterion_ids: Sequence[str]) -> dict[str, Any]:
    """One summary row: the file, what happened, the total, each criterion's score, counts."""
    report = result.report
    transcript = result.imported.transcript if result.imported else None
    scores = {c.id: c.score for c in report.criteria} if report else {}
    row: dict[str, Any] = {
        "file": str(result.path),
        "id": transcript.id if transcript else None,
        "language": transcript.language if transcript else None,
        "status": result.status,
        "exit_code": result.exit_code,
        "total": report.total if report else None,
        "passed": report.passed if report else None,
        "complete": report.complete if report else None,
        "unsupported": list(report.unsupported) if report else [],
        "no_close_case": report.no_close_case if report else None,
    }
    for criterion_id in criterion_ids:
        row[criterion_id] = scores.get(criterion_id)
    row["violations"] = sum(1 for f in report.findings if f.severity == "violation") if report else None
    row["agent_turns"] = len(transcript.agent_turn_indices()) if transcript else None
    row["masked"] = result.imported.masked_total if result.imported else None
    row["references"] = list(report.references) if report else []
    row["warnings"] = list(result.warnings)
    row["error"] = result.error
    return row


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if value is None:
        return ""
    return value


class SummaryWriter:
    """Writes summary rows to a CSV and/or JSONL file as results come in (a crash keeps what was done)."""

    def __init__(self, criterion_ids: Sequence[str], *, csv_path: Path | None, jsonl_path: Path | None):
        self.criterion_ids = list(criterion_ids)
        self._csv_file = csv_path.open("w", encoding="utf-8-sig", newline="") if csv_path else None
        self._jsonl_file = jsonl_path.open("w", encoding="utf-8") if jsonl_path else None
        self._csv: csv.DictWriter[str] | None = None
        if self._csv_file is not None:
            fields = list(summary_row(FileResult(Path(), "malformed"), self.criterion_ids))
            self._csv = csv.DictWriter(self._csv_file, fieldnames=fields)
            self._csv.writeheader()

    def write(self, result: FileResult) -> None:
        """Append ``result``'s row to every open summary."""
        row = summary_row(result, self.criterion_ids)
        if self._csv is not None and self._csv_file is not None:
            self._csv.writerow({key: _csv_cell(value) for key, value in row.items()})
            self._csv_file.flush()
        if self._jsonl_file is not None:
            self._jsonl_file.write(json.dumps(row, ensure_ascii=False) + "\n")
            self._jsonl_file.flush()

    def close(self) -> None:
        """Close the files."""
        for handle in (self._csv_file, self._jsonl_file):
            if handle is not None:
                handle.close()


__all__ = [
    "EXIT_FAILED",
    "EXIT_MALFORMED",
    "EXIT_OK",
    "FileResult",
    "SummaryWriter",
    "discover",
    "grade_file",
    "grade_files",
    "summary_row",
    "worst_exit_code",
]
