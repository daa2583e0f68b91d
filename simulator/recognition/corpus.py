"""The labelled corpus of agent sentences that the recogniser learns from (format: ``docs/acts.md``).

Files live in ``simulator/recognition/corpus/<split>/<source>.<language>.yaml``. Loading checks
every file against :class:`CorpusFile` (unknown keys rejected, act names from ``DialogueAct``,
structural acts refused), that the folder, the file name and the file's own ``split``, ``source``
and ``language`` agree, and that no source appears in two splits of the same language; every problem is reported as
``path:line:col: message``.

Each split has a hash (SHA-256 over its files' relative paths and bytes): the shipped model
records the hash of what it was fitted and tuned on, and every eval report prints the hash of the
split it measured. Hashing reads bytes only, so checking the model against the corpus is cheap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import problems_from_validation as _problems_from_validation
from simulator.content_yaml import display_path as _display_path
from simulator.content_yaml import parse_yaml as _parse_yaml
from simulator.models import LANGUAGES, LEARNED_ACTS, DialogueAct, Language

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")


class Voice(StrEnum):
    """How a sentence is spoken (see docs/acts.md)."""

    everyday = "everyday"
    phone = "phone"
    chat = "chat"
    log = "log"
    curt = "curt"
    wordy = "wordy"
    hostile = "hostile"
    gaming = "gaming"


def _learned(act: DialogueAct) -> DialogueAct:
    if act not in LEARNED_ACTS:
        raise ValueError(f"'{act.value}' is structural (decided by length or the rubric's list) and is not labelled")
    return act


LearnedAct = Annotated[DialogueAct, AfterValidator(_learned)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CorpusEntry(_Strict):
    """One agent sentence and every act it performs (``[]``: none)."""

    text: str = Field(min_length=1, max_length=400, description="One sentence, as a splitter would cut it.")
    acts: list[LearnedAct] = Field(description="The acts of the sentence; [] when it does none.")
    voice: Voice | None = Field(default=None, description="How it is spoken (defaults to the file's voice).")


class CorpusFile(_Strict):
    """One source's sentences in one language and split."""

    language: Language
    split: Split
    source: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", description="Who or what wrote these lines.")
    licence: str = Field(min_length=1)
    voice: Voice | None = None
    sentences: list[CorpusEntry] = Field(min_length=1)


@dataclass(frozen=True)
class LabelledSentence:
    """A corpus sentence with where it came from."""

    text: str
    language: Language
    acts: frozenset[DialogueAct]
    voice: Voice | None
    source: str
    split: Split
    where: str  # path:line


@dataclass(frozen=True)
class Corpus:
    """Labelled sentences of some splits, with each split's hash."""

    sentences: tuple[LabelledSentence, ...]
    hashes: dict[str, str]

    def select(self, split: Split | None = None, language: Language | None = None) -> list[LabelledSentence]:
        """Sentences of ``split`` and ``language`` (None: all)."""
        return [
            s
            for s in self.sentences
            if (split is None or s.split == split) and (language is None or s.language == language)
        ]


def split_files(split: Split, corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """The corpus files of ``split``, sorted by name."""
    folder = corpus_dir / split
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def split_hash(splits: Iterable[Split], corpus_dir: Path = CORPUS_DIR) -> str:
    """SHA-256 (hex, first 16 characters) of the files of ``splits``: relative paths and bytes."""
    digest = hashlib.sha256()
    for split in splits:
        for path in split_files(split, corpus_dir):
            digest.update(f"{split}/{path.name}\n".encode())
            digest.update(path.read_bytes())
            digest.update(b"\n")
    return digest.hexdigest()[:16]


def load_corpus(splits: Sequence[Split] = SPLITS, corpus_dir: Path = CORPUS_DIR) -> Corpus:
    """Load and check the files of ``splits``; raise ``ContentError`` listing every problem."""
    problems: list[ContentProblem] = []
    sentences: list[LabelledSentence] = []
    # (source, language) -> (split, display path): one author may write train in one language and
    # dev in the other, but never two splits of the same language.
    sources: dict[tuple[str, str], tuple[str, str]] = {}
    for split in splits:
        for path in split_files(split, corpus_dir):
            loaded = _load_file(path, split, problems)
            if loaded is None:
                continue
            parsed_display, corpus_file, lines = loaded
            key = (corpus_file.source, corpus_file.language)
            seen = sources.get(key)
            if seen is not None and seen[0] != split:
                problems.append(
                    ContentProblem(
                        parsed_display,
                        1,
                        1,
                        f"source '{corpus_file.source}' already has {corpus_file.language} sentences in the {seen[0]} "
                        f"split ({seen[1]}); in one language a source belongs to one split only",
                    )
                )
                continue
            sources[key] = (split, parsed_display)
            for entry, line in zip(corpus_file.sentences, lines, strict=True):
                sentences.append(
                    LabelledSentence(
                        text=entry.text,
                        language=corpus_file.language,
                        acts=frozenset(entry.acts),
                        voice=entry.voice or corpus_file.voice,
                        source=corpus_file.source,
                        split=split,
                        where=f"{parsed_display}:{line}",
                    )
                )
    if problems:
        raise ContentError(problems)
    return Corpus(tuple(sentences), {split: split_hash([split], corpus_dir) for split in splits})


def _load_file(path: Path, split: Split, problems: list[ContentProblem]) -> tuple[str, CorpusFile, list[int]] | None:
    parsed = _parse_yaml(path, problems)
    if parsed is None:
        return None
    if not isinstance(parsed.data, dict):
        problems.append(ContentProblem(parsed.display, 1, 1, "expected a mapping with language, split, source, …"))
        return None
    try:
        corpus_file = CorpusFile.model_validate(parsed.data)
    except ValidationError as exc:
        problems.extend(_problems_from_validation(parsed, CorpusFile, exc))
        return None
    suffix = f".{corpus_file.language}.yaml"
    stem = path.name.removesuffix(suffix)
    named = path.name.endswith(suffix) and (stem == corpus_file.source or stem.startswith(corpus_file.source + "-"))
    if corpus_file.split != split:
        line, col = parsed.positions.of_value(("split",))
        problems.append(
            ContentProblem(parsed.display, line, col, f"split is '{corpus_file.split}' but the file is in {split}/")
        )
    if not named:
        problems.append(
            ContentProblem(
                parsed.display,
                1,
                1,
                f"file name should be '{corpus_file.source}{suffix}' or '{corpus_file.source}-<topic>{suffix}' "
                "(source, optional topic, language)",
            )
        )
    seen: dict[str, int] = {}
    lines = []
    for index, entry in enumerate(corpus_file.sentences):
        line, col = parsed.positions.of_value(("sentences", str(index)))
        lines.append(line)
        if entry.text in seen:
            problems.append(
                ContentProblem(
                    parsed.display, line, col, f"sentence repeated from line {seen[entry.text]}: {entry.text!r}"
                )
            )
        seen.setdefault(entry.text, line)
    return parsed.display, corpus_file, lines


def corpus_summary(corpus: Corpus) -> dict[str, dict[str, dict[str, int]]]:
    """split -> language -> act (and ``sentences``) -> count, for reports and the coverage check."""
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for split in SPLITS:
        for language in LANGUAGES:
            items = corpus.select(split, language)
            if not items:
                continue
            counts = {"sentences": len(items)}
            for act in LEARNED_ACTS:
                counts[act.value] = sum(1 for s in items if act in s.acts)
            summary.setdefault(split, {})[language] = counts
    return summary


def display(path: Path) -> str:
    """How a corpus path is shown in messages."""
    return _display_path(path)
