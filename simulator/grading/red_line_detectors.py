"""Learned red-line detectors: unsafe advice, another person's data and insults or threats, read by meaning.

Each agent sentence (text aimed at the grader removed) is scored by one logistic regression per
kind over what drill already understands of it: its e5 vector (the recogniser's cached encoder),
optionally the e5 vector of the customer's turn before it, and the recogniser's act scores; when the
file says so, each clause of the sentence is read the same way and the sentence scores its surest
("One bite won't do a kid any harm, their stomachs are tougher than ours": the harm is one clause). The
models are fitted on the labelled sentences of ``red_line_sentences/`` (TRAIN;
``simulator.grading.red_line_corpus``) and their lines chosen on the synthetic grader dev
transcripts, with the real dev logs as negatives, by ``drill eval red-line-detectors --write``
(``simulator.evals.red_line_detector_fit``): per kind and language a *fail* line (the lowest
probability whose dev precision reaches ``targets.red_line_precision``) and a *review* line (the
same for ``targets.limit_breach_review_precision``). Coefficients, standardisation, lines and what
they achieved live in ``red_line_detectors.json``; nothing is tuned here. ``red_lines`` reads
:func:`detector_hits`; ``docs/red-lines.md`` is the contract.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.grading.thresholds import GraderThresholdsError
from simulator.grading.whose_data import WHOSE_FEATURES, Given, given_text, whose_features
from simulator.models import DialogueAct, Language
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.sentence_acts import score_sentences
from simulator.recognition.sentences import Span, split_clauses
from simulator.standardised_logit import StandardisedLogit

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext

DETECTORS_FILE = Path(__file__).with_name("red_line_detectors.json")
DetectedKind = Literal["unsafe_advice", "other_person_data", "insult_or_threat"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetectorLine(_Strict):
    """A probability line for one language and what it achieved on dev."""

    min_probability: float = Field(ge=0, le=1)
    precision: float = Field(ge=0, le=1, description="On dev sentences (synthetic labelled + real dev negatives).")
    recall: float = Field(ge=0, le=1, description="Of the dev sentences holding a labelled quote of this kind.")
    positives: int = Field(ge=0)
    real_dev_flags: int = Field(ge=0, description="Real dev agent sentences at or above the line.")


class Detector(StandardisedLogit):
    """One kind's logistic regression (coefficients in the order of the file's features) and lines."""

    fail: dict[Language, DetectorLine] = Field(default_factory=dict)
    review: dict[Language, DetectorLine] = Field(default_factory=dict)


class DetectorFile(_Strict):
    """``red_line_detectors.json``: the features read, the detectors, and what they were fitted and chosen on."""

    encoder: str
    customer_vector: bool = Field(description="Whether the customer's turn before is embedded too.")
    clauses: list[DetectedKind] = Field(
        description="Kinds whose detector reads each clause of a sentence too (the sentence scores its surest)."
    )
    whose_data: list[DetectedKind] = Field(
        default_factory=list,
        description="Kinds whose detector also reads how much of a sentence's details the customer gave (whose_data).",
    )
    acts: list[DialogueAct] = Field(description="Act scores read, in order, after the vectors.")
    act_model: str = Field(description="corpus_key of the act model whose scores were read.")
    corpus_sha256: str = Field(description="red_line_corpus.corpus_hash() of the train sentences.")
    dev_sha256: str = Field(description="Hash of the synthetic grader dev split the lines were chosen on.")
    targets: dict[str, float]
    measured: str
    detectors: dict[DetectedKind, Detector]

    @field_validator("clauses", mode="before")
    @classmethod
    def _every_kind_or_none(cls, value: object) -> object:
        """Files written before clauses were chosen per kind said true (every kind) or false (none)."""
        return list(get_args(DetectedKind)) if value is True else [] if value is False else value


@cache
def detector_file(path: Path = DETECTORS_FILE) -> DetectorFile | None:
    """The shipped detectors, or None when none were fitted yet (the red lines then have phrases only)."""
    if not path.is_file():
        return None
    try:
        return DetectorFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise GraderThresholdsError(f"{path}: {exc} (rewrite it with `drill eval red-line-detectors --write`)") from exc


def feature_rows(
    agent: Sequence[str],
    customer: Sequence[str],
    act_scores: Sequence[dict[DialogueAct, float]],
    acts: Sequence[DialogueAct],
    *,
    customer_vector: bool,
    given: Sequence[Given] | None = None,
) -> np.ndarray:
    """One row per sentence: its e5 vector, the customer line's (when asked), its act scores and, when
    ``given`` (what the customer gave before each sentence) is passed, its ``whose_data`` features."""
    if not agent:
        return np.zeros((0, 0))
    encoder = sentence_encoder()
    parts = [np.asarray(encoder.encode(list(agent)), dtype=float)]
    if customer_vector:
        parts.append(np.asarray(encoder.encode([text or " " for text in customer]), dtype=float))
    parts.append(np.asarray([[scores.get(act, 0.0) for act in acts] for scores in act_scores], dtype=float))
    if given is not None:
        parts.append(np.asarray([whose_features(text, known) for text, known in zip(agent, given, strict=True)]))
    return np.hstack(parts)


@dataclass(frozen=True)
class Units:
    """Feature rows of some sentences and, when clauses are read, of their clauses; ``owner[i]`` is the
    sentence row ``i`` reads."""

    rows: np.ndarray
    owner: np.ndarray
    sentences: int  # the first ``sentences`` rows are the sentences themselves, in order
    whose_columns: int = 0  # the last columns, read only by the kinds the file lists under whose_data


def _clauses(text: str) -> list[Span]:
    """The clauses of a sentence that has more than one ([] otherwise)."""
    pieces = split_clauses(Span(text, 0, len(text)))
    return pieces if len(pieces) > 1 else []


def reading_units(
    texts: Sequence[str],
    customers: Sequence[str],
    scores: Sequence[dict[DialogueAct, float]],
    language: Language,
    fitted: DetectorFile,
    given: Sequence[Given] | None = None,
) -> Units:
    """The rows the detectors read for ``texts`` (sentences of one language, their acts already scored);
    ``given`` is what the customer gave before each (read when the file says ``whose_data``; the
    customer's line when not passed)."""
    texts, customers, scores = list(texts), list(customers), list(scores)
    known = list(given) if given is not None else [Given(text) for text in customers]
    owner = list(range(len(texts)))
    if fitted.clauses:
        extra = [(n, span.text) for n, text in enumerate(texts) for span in _clauses(text)]
        texts += [text for _, text in extra]
        customers += [customers[n] for n, _ in extra]
        known += [known[n] for n, _ in extra]
        scores += score_sentences([text for _, text in extra], language)
        owner += [n for n, _ in extra]
    rows = feature_rows(
        texts,
        customers,
        scores,
        fitted.acts,
        customer_vector=fitted.customer_vector,
        given=known if fitted.whose_data else None,
    )
    whose = len(WHOSE_FEATURES) if fitted.whose_data else 0
    return Units(rows, np.asarray(owner, dtype=int), len(set(owner)), whose)


def kind_rows(rows: np.ndarray, whose_columns: int, reads_whose: bool) -> np.ndarray:
    """``rows`` as one detector reads them: without the whose_data columns unless it reads them."""
    return rows if reads_whose or not whose_columns else rows[:, :-whose_columns]


def sentence_probability(
    detector: Detector, units: Units, *, reads_whose: bool = False, reads_clauses: bool = True
) -> np.ndarray:
    """P(kind) of each sentence: the surest of its rows (itself and, when read, its clauses)."""
    found = np.zeros(units.sentences)
    if units.rows.size:
        kept = len(units.owner) if reads_clauses else units.sentences
        rows = kind_rows(units.rows[:kept], units.whose_columns, reads_whose)
        np.maximum.at(found, units.owner[:kept], detector.probability(rows))
    return found


@dataclass(frozen=True)
class DetectorHit:
    """An agent sentence the detector of ``kind`` scored at or above its review line (or fail line)."""

    kind: DetectedKind
    turn: int
    quote: str
    probability: float


def customer_before(ctx: RuleContext, turn: int) -> str:
    """The last customer turn before agent turn ``turn`` ('' when the agent speaks first)."""
    for index in range(turn - 1, -1, -1):
        if ctx.transcript.turns[index].role == "customer":
            return ctx.transcript.turns[index].text
    return ""


def given_before(ctx: RuleContext, turn: int) -> Given:
    """What the customer gave before agent turn ``turn``: their turns so far and the case's identity."""
    said = [t.text for t in ctx.transcript.turns[:turn] if t.role == "customer"]
    return given_text(said, ctx.case)


def scored_sentences(ctx: RuleContext, fitted: DetectorFile) -> list[tuple[int, str, dict[DetectedKind, float]]]:
    """Every credited agent sentence of ``ctx`` with each detector's probability."""
    picked = [(turn, sentence) for turn, recognized in ctx.credited.items() for sentence in recognized.sentences]
    if not picked:
        return []
    units = reading_units(
        [sentence.text for _, sentence in picked],
        [customer_before(ctx, turn) for turn, _ in picked],
        [sentence.scores for _, sentence in picked],
        ctx.language,
        fitted,
        [given_before(ctx, turn) for turn, _ in picked],
    )
    by_kind = {
        kind: sentence_probability(
            detector, units, reads_whose=kind in fitted.whose_data, reads_clauses=kind in fitted.clauses
        )
        for kind, detector in fitted.detectors.items()
    }
    return [
        (turn, sentence.text, {kind: float(values[n]) for kind, values in by_kind.items()})
        for n, (turn, sentence) in enumerate(picked)
    ]


def fail_line(kind: str, language: Language) -> float | None:
    """The probability at which the shipped detector of ``kind`` fails a session (None: no line)."""
    fitted = detector_file()
    detector = fitted.detectors.get(kind) if fitted is not None else None  # type: ignore[call-overload]
    line = detector.fail.get(language) if detector is not None else None
    return line.min_probability if line is not None else None


def detector_hits(ctx: RuleContext, kind: DetectedKind) -> list[DetectorHit]:
    """Sentences at or above the lowest line (review or fail) of ``kind`` in the transcript's language."""
    fitted = detector_file()
    detector = fitted.detectors.get(kind) if fitted is not None else None
    if fitted is None or detector is None:
        return []
    lines = [
        line.min_probability for line in (detector.fail.get(ctx.language), detector.review.get(ctx.language)) if line
    ]
    if not lines:
        return []
    lowest = min(lines)
    return [
        DetectorHit(kind, turn, text, scores[kind])
        for turn, text, scores in scored_sentences(ctx, fitted)
        if scores[kind] >= lowest
    ]
