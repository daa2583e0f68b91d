"""Real public chat logs labelled by a strict QA lead: the real-log part of the grader eval.

The labels (ours) live in ``evals/grader/real/<split>/<source>.yaml``, one file per public dataset,
with the dataset's address, licence, commit and, per item, the record it came from and the SHA-256
of the transcript file the labels were written against. The split is the folder, and whole datasets
go to one side (a dataset's collection protocol and agent scripts never straddle dev and test):
``dev`` may be used for fitting and choices, ``test`` is held out and frozen like the synthetic
test split (its hash is in ``manifest.yaml``). The transcripts themselves are third-party
data and are not kept in this repository: they live in ``Settings.real_logs_dir``
(``DRILL_REAL_LOGS_DIR``, default ``../shared/grader_real`` beside the checkout), one
``<id>.json`` transcript per item. ``docs/grader-data.md`` says why and how they get there.

The labels always load and are checked (totals, pass flags, critical errors). Transcripts are
attached when present: a transcript whose bytes do not hash to the recorded value, whose id or
language differs, or whose turns do not hold a labelled critical-error quote is a problem, not a
silent mismatch. When the folder is absent the set says so (``available`` is false and
``missing_reason`` tells where it looked), and an eval reports the real-log part as not run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import load_validated
from simulator.content_yaml import ParsedFile, display_path, parse_yaml
from simulator.evals.grader_manifest import frozen_split_problem, load_manifest
from simulator.evals.grader_set import (
    MANIFEST_NAME,
    SPLITS,
    Labels,
    Quality,
    Split,
    SplitChoice,
    Trap,
    check_rubric_criteria,
    check_total,
    critical_error_problems,
    set_files,
    split_sha256,
)
from simulator.models import Language, NonEmpty, Rubric, Slug, StrictModel, Transcript

Channel = Literal["chat", "phone"]
# The hand-made transcripts the labels hash were lost; evals/grader/real/rebuild.py rewrites them from the
# pinned source commits in one fixed form whose hashes this file records (docs/grader-data.md).
REBUILT_HASHES_NAME = "rebuilt_sha256.yaml"
Start = Literal["greeting", "mid_conversation"]


class RealLogItem(StrictModel):
    """One real conversation and its labels."""

    id: Slug = Field(description="Transcript id; the transcript file is <id>.json.")
    language: Language
    record: NonEmpty = Field(description="File and record id inside the source dataset.")
    transcript_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the transcript file's bytes.")
    industry: Slug = Field(description="e-commerce, banking, travel, food, transport, health, …")
    channel: Channel
    start: Start = Field(description="mid_conversation: no greeting is expected from the agent.")
    quality: Quality = Field(description="The QA lead's band for this agent.")
    traps: list[Trap] = Field(default_factory=list)
    labels: Labels


class RealLogSource(StrictModel):
    """One label file: a public dataset and the conversations taken from it."""

    dataset: NonEmpty
    url: NonEmpty
    licence: NonEmpty = Field(description="SPDX id or licence name, as stated in the source repository.")
    licence_file: NonEmpty = Field(description="Where in the source repository the licence is stated.")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$", description="Source repository commit read.")
    split_taken: NonEmpty = Field(description="Which split of the dataset the records come from.")
    conversion: NonEmpty = Field(description="How a record became a transcript (what was dropped or joined).")
    items: list[RealLogItem] = Field(min_length=1)


@dataclass(frozen=True)
class LabelledRealLog:
    """A labelled real log with its source and, when available, its transcript."""

    source: RealLogSource
    item: RealLogItem
    path: Path
    split: Split
    transcript: Transcript | None

    @property
    def id(self) -> str:
        """The transcript id."""
        return self.item.id


@dataclass(frozen=True)
class RealLogSet:
    """Every labelled real log; transcripts attached when ``transcripts_dir`` holds them."""

    labels_dir: Path
    transcripts_dir: Path
    logs: tuple[LabelledRealLog, ...]

    @property
    def test_sha256(self) -> str:
        """``split_sha256`` of the real-log test labels (what reports print beside the synthetic hash)."""
        return split_sha256(self.labels_dir / "test")

    @property
    def available(self) -> bool:
        """True when every labelled log has its transcript."""
        return bool(self.logs) and all(log.transcript is not None for log in self.logs)

    @property
    def missing_reason(self) -> str | None:
        """Why transcripts are missing, with the folder looked in (``None`` when all are there)."""
        missing = [log.id for log in self.logs if log.transcript is None]
        if not missing:
            return None
        return (
            f"{len(missing)} of {len(self.logs)} real-log transcripts are not in {self.transcripts_dir} "
            f"(e.g. {missing[0]}.json); set DRILL_REAL_LOGS_DIR or see docs/grader-data.md"
        )

    def items(self, split: SplitChoice = "all") -> list[LabelledRealLog]:
        """The logs of ``split`` (``all``: both), dev before test."""
        return [log for log in self.logs if split == "all" or log.split == split]

    def graded(self, split: SplitChoice = "all") -> list[LabelledRealLog]:
        """The logs of ``split`` whose transcripts are present."""
        return [log for log in self.items(split) if log.transcript is not None]


def transcript_sha256(path: Path) -> str:
    """SHA-256 of a transcript file's bytes (what ``transcript_sha256`` records)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_real_log_set(labels_dir: Path, transcripts_dir: Path, *, rubric: Rubric) -> RealLogSet:
    """Load every label file in ``labels_dir/dev`` and ``labels_dir/test``; attach transcripts from
    ``transcripts_dir``.

    Raises ``ContentError`` with every problem as ``path:line:col: message``.
    """
    if not labels_dir.is_dir():
        raise ContentError([ContentProblem(display_path(labels_dir), 1, 1, "real-log labels directory not found")])
    files = [(path, split) for split in SPLITS for path in set_files(labels_dir / split)]
    if not files:
        raise ContentError([ContentProblem(display_path(labels_dir), 1, 1, "no .yaml label files in dev/ or test/")])
    problems: list[ContentProblem] = check_rubric_criteria(rubric, display_path(labels_dir))
    rubric_fits = not problems
    rebuilt = _rebuilt_hashes(labels_dir, problems)
    logs: list[LabelledRealLog] = []
    seen: dict[str, str] = {}
    for path, split in files:
        validated = load_validated(path, RealLogSource, "source fields and 'items'", problems)
        if validated is None:
            continue
        parsed, source = validated
        for index, item in enumerate(source.items):
            base = ("items", str(index))
            line, col = parsed.positions.of_value((*base, "id"))
            if item.id in seen:
                message = f"id '{item.id}' is already used at {seen[item.id]}"
                problems.append(ContentProblem(parsed.display, line, col, message))
            seen.setdefault(item.id, f"{parsed.display}:{line}:{col}")
            if rubric_fits:
                problems.extend(check_total(parsed, base, item.id, item.labels, rubric))
            transcript = _attach(parsed, base, item, transcripts_dir, rebuilt.get(item.id), problems)
            logs.append(LabelledRealLog(source, item, path, split, transcript))
    problems.extend(_check_frozen_real_test(labels_dir))
    if problems:
        raise ContentError(problems)
    return RealLogSet(labels_dir=labels_dir, transcripts_dir=transcripts_dir, logs=tuple(logs))


def _check_frozen_real_test(labels_dir: Path) -> list[ContentProblem]:
    """The real-log test labels must still hash to ``real_test.sha256`` in the set's manifest (when there is one)."""
    manifest_path = labels_dir.parent / MANIFEST_NAME
    if not manifest_path.is_file():
        return []
    problems: list[ContentProblem] = []
    loaded = load_manifest(manifest_path, problems)
    if loaded is None:
        return problems
    manifest, parsed = loaded
    if manifest.real_test is None:
        # No real test split is frozen (the last one was retired to dev/): label files in real/test/
        # would be reported as held out without a recorded hash, so nothing could show they were never edited.
        unfrozen = set_files(labels_dir / "test")
        if not unfrozen:
            return problems
        line, col = parsed.positions.of_value(("real_test",))
        message = (
            f"real/test/ holds {len(unfrozen)} label file(s) ({unfrozen[0].name}, …) but the manifest records no "
            "frozen real test split (real_test: null); freeze it with its sha256 first (docs/grader-data.md)"
        )
        return [*problems, ContentProblem(parsed.display, line, col, message)]
    actual = split_sha256(labels_dir / "test")
    problem = frozen_split_problem(parsed, "real_test", manifest.real_test.sha256, actual, "real/test/")
    return problems if problem is None else [*problems, problem]


def _rebuilt_hashes(labels_dir: Path, problems: list[ContentProblem]) -> dict[str, str]:
    """``REBUILT_HASHES_NAME`` beside the labels: id -> SHA-256 of the transcript as ``rebuild.py`` writes it."""
    path = labels_dir / REBUILT_HASHES_NAME
    if not path.is_file():
        return {}
    parsed = parse_yaml(path, problems)
    if parsed is None:
        return {}
    data = parsed.data
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and len(value) == 64 for key, value in data.items()
    ):
        problems.append(ContentProblem(parsed.display, 1, 1, "expected a mapping of transcript id to a SHA-256"))
        return {}
    return dict(data)


def _attach(
    parsed: ParsedFile,
    base: tuple[str, ...],
    item: RealLogItem,
    transcripts_dir: Path,
    rebuilt_sha256: str | None,
    problems: list[ContentProblem],
) -> Transcript | None:
    """The item's transcript when its file exists and matches the labels (or the rebuilt form); problems
    otherwise."""
    path = transcripts_dir / f"{item.id}.json"
    if not path.is_file():
        return None

    def at(key: tuple[str, ...], message: str) -> None:
        line, col = parsed.positions.of_value(key)
        problems.append(ContentProblem(parsed.display, line, col, f"item '{item.id}': {message}"))

    actual = transcript_sha256(path)
    if actual not in (item.transcript_sha256, rebuilt_sha256):
        at(
            (*base, "transcript_sha256"),
            f"{path} hashes to {actual[:12]}…, not the recorded {item.transcript_sha256[:12]}…: the labels were "
            "written for other text; rebuild it (evals/grader/real/rebuild.py) or relabel it",
        )
        return None
    try:
        transcript = Transcript.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        at((*base, "id"), f"{path} is not a valid transcript: {str(exc).splitlines()[0]}")
        return None
    if transcript.id != item.id or transcript.language != item.language:
        at((*base, "id"), f"{path} has id {transcript.id!r} and language {transcript.language!r}")
        return None
    for error_index, message in critical_error_problems(item.labels, transcript.turns):
        at((*base, "labels", "critical_errors", str(error_index), "quote"), message)
    # The labels say how the contact went; the grader reads it from the transcript (no greeting is
    # expected in a chat or a log that starts part-way through: docs/commitments.md).
    return transcript.model_copy(
        update={"channel": transcript.channel or item.channel, "start": transcript.start or item.start}
    )
