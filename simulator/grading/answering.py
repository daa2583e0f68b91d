"""Does a reply answer a question? Question–answer pairing by meaning (e5 cosine similarity).

Short answers count: "那熄屏了呢?" → "息屏正常录像哦", "how long till it is refunded?" → "less than
a week" share no word with their question. The rule check for unanswered questions asks this only
for sentences of the reply that do more than courtesy; the similarity a sentence needs is chosen on
the labelled pairs in ``answer_pairs/dev.<language>.yaml`` (``drill eval thresholds``) and read
from ``grader_thresholds.yaml``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError
from simulator.grading.thresholds import grader_thresholds
from simulator.models import Language, NonEmpty
from simulator.recognition.encoder import sentence_encoder

PAIRS_DIR = Path(__file__).with_name("answer_pairs")


class AnswerPairsError(DrillError):
    """An answer-pairs file is missing or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnswerPair(_Strict):
    """A customer question and one sentence of the agent's next reply."""

    question: NonEmpty
    reply: NonEmpty
    answers: bool = Field(description="Whether the sentence answers the question.")


class AnswerPairsFile(_Strict):
    """One file of labelled pairs (one language, one split)."""

    language: Language
    split: str = Field(pattern=r"^(train|dev|test)$")
    source: NonEmpty
    pairs: list[AnswerPair] = Field(min_length=1)


def pairs_file(language: Language, split: str = "dev", pairs_dir: Path = PAIRS_DIR) -> Path:
    """Where the labelled pairs of ``language`` and ``split`` live."""
    return pairs_dir / f"{split}.{language}.yaml"


def load_answer_pairs(path: Path) -> tuple[AnswerPairsFile, str]:
    """The validated pairs file and the SHA-256 of its bytes."""
    try:
        raw = path.read_bytes()
        data = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise AnswerPairsError(f"{path}: cannot read answer pairs: {exc}") from exc
    try:
        return AnswerPairsFile.model_validate(data), hashlib.sha256(raw).hexdigest()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        raise AnswerPairsError(f"{path}: {problems}") from exc


def similarities(questions: Sequence[str], sentences: Sequence[str]) -> list[list[float]]:
    """Cosine similarity of every question (rows) to every sentence (columns)."""
    if not questions or not sentences:
        return [[] for _ in questions]
    encoder = sentence_encoder()
    asked = encoder.encode(list(questions))
    said = encoder.encode(list(sentences))
    return (asked @ said.T).tolist()


def any_answers(questions: Sequence[str], sentences: Sequence[str], language: Language) -> bool:
    """True when some sentence answers some question by meaning (at or above the chosen similarity)."""
    if not questions or not sentences:
        return False
    chosen = grader_thresholds().answer_similarity.get(language)
    if chosen is None:
        return False
    return any(value >= chosen.similarity for row in similarities(questions, sentences) for value in row)
