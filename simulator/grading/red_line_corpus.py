"""Labelled agent sentences the learned red-line detectors are fitted on (``red_line_detectors``).

Files live in ``simulator/grading/red_line_sentences/<source>[-<part>].<language>.yaml`` (written for
drill, MIT; a source too long for the content size limit is cut into parts): per item the customer's
line before, ONE agent sentence and its label — ``unsafe_advice``, ``other_person_data``,
``insult_or_threat`` or ``none`` (most ``none`` items are near misses on the same topics: safe advice, a
refusal to share a neighbour's number, the customer's own data read back, a brush-off or a firm boundary
with an abusive caller). Every file is the detectors' TRAIN split;
their lines are chosen on the synthetic grader dev transcripts, never here.

Loading checks each file against :class:`SentenceFile` (unknown keys rejected), that its name
matches its ``source`` and ``language``, and that no agent sentence repeats within a file; problems
are reported as ``path:line:col: message``. :func:`corpus_hash` (SHA-256 over relative paths and
bytes) keys the fitted detectors to the data, like the act model to its corpus.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import load_validated
from simulator.models import DialogueAct, Language
from simulator.recognition.corpus import Voice

SENTENCES_DIR = Path(__file__).resolve().parent / "red_line_sentences"
Label = Literal["unsafe_advice", "other_person_data", "insult_or_threat", "none"]
#: The red lines these detectors learn (rubric kinds).
DETECTED: tuple[Literal["unsafe_advice", "other_person_data", "insult_or_threat"], ...] = (
    "unsafe_advice",
    "other_person_data",
    "insult_or_threat",
)
#: Acts of the acts corpus whose sentences say nothing about a kind: the corpus's ``forbidden_phrase`` joins
#: brush-offs with insults and threats (docs/acts.md), so its sentences are neither evidence for nor
#: against ``insult_or_threat`` and are left out of that kind's fit (the red-line files hold the brush-offs).
UNLABELLED_BY_ACT: dict[str, tuple[DialogueAct, ...]] = {"insult_or_threat": (DialogueAct.forbidden_phrase,)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SentenceItem(_Strict):
    """One agent sentence, the customer's line it answers, and which red line it crosses (``none``)."""

    customer: str = Field(min_length=1, max_length=600, description="The customer's line before.")
    agent: str = Field(min_length=1, max_length=400, description="ONE agent sentence.")
    label: Label
    voice: Voice | None = None
    domain: str | None = Field(default=None, max_length=80)


class SentenceFile(_Strict):
    """One source's labelled sentences in one language (always the detectors' train split)."""

    language: Language
    split: Literal["train"]
    source: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    licence: str = Field(min_length=1)
    items: list[SentenceItem] = Field(min_length=1)


@dataclass(frozen=True)
class LabelledLine:
    """A corpus item with its language and where it is."""

    customer: str
    agent: str
    label: Label
    language: Language
    where: str  # path:line


def sentence_files(directory: Path = SENTENCES_DIR) -> list[Path]:
    """The corpus files, sorted by name."""
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def corpus_hash(directory: Path = SENTENCES_DIR) -> str:
    """SHA-256 (hex, first 16 characters) of the files: names and bytes."""
    digest = hashlib.sha256()
    for path in sentence_files(directory):
        digest.update(f"{path.name}\n".encode())
        digest.update(path.read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def load_sentences(directory: Path = SENTENCES_DIR) -> list[LabelledLine]:
    """Every labelled item; ``ContentError`` lists every problem."""
    problems: list[ContentProblem] = []
    found: list[LabelledLine] = []
    for path in sentence_files(directory):
        validated = load_validated(path, SentenceFile, "language, split, items", problems)
        if validated is None:
            continue
        parsed, loaded = validated
        stem = path.name.removesuffix(f".{loaded.language}.yaml")
        if stem == path.name or not (stem == loaded.source or stem.startswith(f"{loaded.source}-")):
            message = f"file name should be '{loaded.source}.{loaded.language}.yaml' or '{loaded.source}-<part>.…'"
            problems.append(ContentProblem(parsed.display, 1, 1, message))
        seen: dict[str, int] = {}
        for index, item in enumerate(loaded.items):
            line, col = parsed.positions.of_value(("items", str(index)))
            if item.agent in seen:
                message = f"agent sentence repeated from line {seen[item.agent]}: {item.agent!r}"
                problems.append(ContentProblem(parsed.display, line, col, message))
                continue
            seen[item.agent] = line
            found.append(
                LabelledLine(item.customer, item.agent, item.label, loaded.language, f"{parsed.display}:{line}")
            )
    if problems:
        raise ContentError(problems)
    return found
