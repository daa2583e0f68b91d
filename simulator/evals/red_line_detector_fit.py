"""Fit the learned red-line detectors (``simulator.grading.red_line_detectors``) and choose their lines.

TRAIN: the labelled sentences of ``simulator/grading/red_line_sentences/`` (``red_line_corpus``). One
logistic regression per kind (its label vs every other item, near misses included); the
regularisation is chosen by cross-validation on train alone (``LogisticRegressionCV``, average
precision).

DEV (lines only, never fitted on): every credited agent sentence of the synthetic grader dev
transcripts — positive when it holds, lies inside or holds a sentence of a labelled critical error of the kind on its
turn; the other sentences of a transcript with such a label are left out (the mentor quotes one
sentence per red line, so they are unlabelled) — and every agent sentence of the real dev logs as a
negative (no real agent crossed these lines). Per kind and language the fail line is the lowest
probability whose dev precision reaches ``targets.red_line_precision``, the review line the same for
``targets.limit_breach_review_precision``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegressionCV

from simulator.content import Library
from simulator.evals.grader_set import GraderSet, split_sha256
from simulator.evals.grader_thresholds import LANGUAGES, Scored, confidence_threshold
from simulator.evals.real_log_set import RealLogSet
from simulator.grading.red_line_corpus import DETECTED, UNLABELLED_BY_ACT, corpus_hash, load_sentences
from simulator.grading.red_line_detectors import (
    DETECTORS_FILE,
    DetectedKind,
    Detector,
    DetectorFile,
    DetectorLine,
    customer_before,
    feature_rows,
    given_before,
    kind_rows,
    reading_units,
    sentence_probability,
)
from simulator.grading.rules import RuleContext
from simulator.grading.thresholds import Targets
from simulator.grading.whose_data import Given
from simulator.models import LEARNED_ACTS, DialogueAct, Language
from simulator.recognition.classifier import shipped_model
from simulator.recognition.corpus import load_corpus
from simulator.recognition.encoder import model_id
from simulator.recognition.sentence_acts import score_sentences
from simulator.recognition.sentences import sentence_texts
from simulator.standardised_logit import StandardisedLogit, fit_standardised


@dataclass(frozen=True)
class DevSentence:
    """One agent sentence of dev: where it is and which kinds it is labelled with."""

    item: str
    language: Language
    turn: int
    text: str
    customer: str
    given: Given  # what the customer gave before it (their turns so far, the case's identity)
    scores: dict[DialogueAct, float]
    positive: frozenset[str]
    unlabelled: frozenset[str]  # kinds labelled elsewhere in its transcript: neither positive nor negative
    real: bool


def _holds(quote: str, sentence: str) -> bool:
    """True when ``sentence`` holds the quote, lies inside it, or holds one of its sentences (a mentor's
    quote may run over a sentence break: "a Mr Gary Holroyd, he had a kettle. His mobile's 07700…")."""
    return quote in sentence or sentence in quote or any(piece in sentence for piece in sentence_texts(quote))


def _sentences_of(ctx: RuleContext, item: str, quotes: Sequence[tuple[str, int, str]], real: bool) -> list[DevSentence]:
    kinds = {kind for kind, _, _ in quotes}
    found = []
    for turn, recognized in ctx.credited.items():
        for sentence in recognized.sentences:
            positive = frozenset(k for k, t, q in quotes if t == turn and _holds(q, sentence.text))
            found.append(
                DevSentence(
                    item=item,
                    language=ctx.language,
                    turn=turn,
                    text=sentence.text,
                    customer=customer_before(ctx, turn),
                    given=given_before(ctx, turn),
                    scores=dict(sentence.scores),
                    positive=positive,
                    unlabelled=frozenset(kinds - positive),
                    real=real,
                )
            )
    return found


def collect_dev(grader_set: GraderSet, real_logs: RealLogSet | None, library: Library) -> list[DevSentence]:
    """Every agent sentence of the synthetic dev transcripts and the real dev logs."""
    rubric = library.require_rubric()
    found: list[DevSentence] = []
    for item in grader_set.items("dev"):
        transcript = item.transcript()
        case = library.case(transcript.case_id) if transcript.case_id else None
        errors = item.item.labels.critical_errors or []
        quotes = [(e.kind, e.turn, e.quote) for e in errors if e.kind in DETECTED]
        found += _sentences_of(RuleContext(transcript, rubric, case), item.id, quotes, real=False)
    for log in real_logs.graded("dev") if real_logs is not None else []:
        assert log.transcript is not None  # graded() keeps only logs with a transcript
        found += _sentences_of(RuleContext(log.transcript, rubric, None), log.id, [], real=True)
    return found


@dataclass(frozen=True)
class TrainMatrix:
    """Train rows, their labels, and per row the kinds it says nothing about (left out of their fit)."""

    x: np.ndarray
    labels: list[str]
    unlabelled: list[frozenset[str]]

    def for_kind(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows and 0/1 targets ``kind`` is fitted on."""
        keep = np.asarray([kind not in skip for skip in self.unlabelled], dtype=bool)
        y = np.asarray([label == kind for label in self.labels], dtype=bool)
        return self.x[keep], y[keep]


def _train_matrix(acts: Sequence[DialogueAct], customer_vector: bool, whose_data: bool) -> TrainMatrix:
    """The red-line sentences, and the acts corpus's train sentences as ordinary agent talk (``none``):
    the red-line files hold near misses on their topics only, and without everyday lines a greeting
    with a name read as another person's data. What the customer gave is their line (none for the
    acts corpus's sentences). An acts-corpus sentence with an act of ``UNLABELLED_BY_ACT[kind]`` is
    left out of that kind's fit."""
    lines = load_sentences()
    everyday = load_corpus(("train",))
    rows = []
    labels: list[str] = []
    unlabelled: list[frozenset[str]] = []
    for language in LANGUAGES:
        mine = [line for line in lines if line.language == language]
        named = {line.agent for line in mine}
        ordinary = [s for s in everyday.select("train", language) if s.text not in named]
        texts = [line.agent for line in mine] + [s.text for s in ordinary]
        customers = [line.customer for line in mine] + [""] * len(ordinary)
        scores = score_sentences(texts, language)
        given = [Given(text) for text in customers] if whose_data else None
        rows.append(feature_rows(texts, customers, scores, acts, customer_vector=customer_vector, given=given))
        labels += [line.label for line in mine] + ["none"] * len(ordinary)
        unlabelled += [frozenset()] * len(mine)
        unlabelled += [
            frozenset(kind for kind, skip in UNLABELLED_BY_ACT.items() if s.acts & set(skip)) for s in ordinary
        ]
    return TrainMatrix(np.vstack(rows), labels, unlabelled)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[StandardisedLogit, float]:
    """The regression, with C chosen by cross-validation on train, and that C."""
    search = LogisticRegressionCV(
        scoring="average_precision", max_iter=5000, l1_ratios=(0.0,), use_legacy_attributes=False
    )
    fitted = fit_standardised(x, y, search)
    return fitted, float(np.ravel(search.C_)[0])


def _line(scored: list[Scored], real: list[bool], precision: float) -> DetectorLine | None:
    chosen = confidence_threshold(scored, precision, 0.0)
    if chosen is None:
        return None
    lowest_kept, reached, recall = chosen
    # Halfway to the next score below: the same sentences are kept, and a sentence scored again at run
    # time (other batch, float noise) does not fall off the line it chose.
    below = [s.score for s in scored if s.score < lowest_kept]
    cut = (lowest_kept + max(below)) / 2 if below else lowest_kept
    return DetectorLine(
        min_probability=cut,
        precision=round(reached, 4),
        recall=round(recall, 4),
        positives=sum(1 for s in scored if s.positive),
        real_dev_flags=sum(1 for s, r in zip(scored, real, strict=True) if r and s.score >= cut),
    )


@dataclass(frozen=True)
class FittedDetectors:
    """The file to write and a report of what it achieved on dev."""

    fitted: DetectorFile
    report: dict[str, Any]


def fit_detectors(
    dev: Sequence[DevSentence],
    targets: Targets,
    *,
    dev_sha256: str,
    measured: str,
    customer_vector: bool,
    clauses: Sequence[DetectedKind],
    whose_data: Sequence[DetectedKind] = (),
) -> FittedDetectors:
    """Fit each kind on train, choose its lines on ``dev``; report recall, false flags and misses."""
    acts = [act for act in shipped_model().acts if act in LEARNED_ACTS]
    review_target = targets.limit_breach_review_precision
    shell = DetectorFile(
        encoder=model_id(),
        customer_vector=customer_vector,
        clauses=list(clauses),
        whose_data=list(whose_data),
        acts=acts,
        act_model=shipped_model().corpus_key,
        corpus_sha256=corpus_hash(),
        dev_sha256=dev_sha256,
        targets={
            "red_line_precision": targets.red_line_precision,
            **({"review_precision": review_target} if review_target is not None else {}),
        },
        measured=measured,
        detectors={},
    )
    train = _train_matrix(acts, customer_vector, bool(whose_data))
    by_language = {language: [s for s in dev if s.language == language] for language in LANGUAGES}
    units = {
        language: reading_units(
            [s.text for s in mine],
            [s.customer for s in mine],
            [s.scores for s in mine],
            language,
            shell,
            [s.given for s in mine],
        )
        for language, mine in by_language.items()
    }
    detectors: dict[DetectedKind, Detector] = {}
    report: dict[str, Any] = {
        "train_items": len(train.labels),
        "train_red_line_items": sum(1 for label in train.labels if label != "none"),
        "dev_sentences": len(dev),
        "clauses": list(clauses),
        "customer_vector": customer_vector,
        "whose_data": list(whose_data),
        "kinds": {},
    }
    for kind in DETECTED:
        x, y = train.for_kind(kind)
        reads_whose = kind in whose_data
        fitted, c = _fit(kind_rows(x, units["en"].whose_columns, reads_whose), y)
        detector = Detector(**fitted.model_dump())
        kind_report: dict[str, Any] = {"train_positives": int(y.sum()), "train_rows": len(y), "C": c}
        for language in LANGUAGES:
            probs = sentence_probability(
                detector, units[language], reads_whose=reads_whose, reads_clauses=kind in clauses
            )
            kept = [(s, float(p)) for s, p in zip(by_language[language], probs, strict=True)]
            kept = [(s, p) for s, p in kept if kind not in s.unlabelled]
            scored = [Scored(p, kind in s.positive) for s, p in kept]
            real = [s.real for s, _ in kept]
            fail = _line(scored, real, targets.red_line_precision)
            review = _line(scored, real, review_target) if review_target is not None else None
            if fail is not None:
                detector.fail[language] = fail
            if review is not None:
                detector.review[language] = review
            negatives = sorted(((p, s) for s, p in kept if kind not in s.positive), key=lambda t: -t[0])
            kind_report[language] = {
                "fail": fail.model_dump() if fail else None,
                "review": review.model_dump() if review else None,
                "positives": [(s.item, round(p, 4), s.text) for s, p in kept if kind in s.positive],
                "top_negatives": [(s.item, round(p, 4), s.text) for p, s in negatives[:8]],
            }
        detectors[kind] = detector
        report["kinds"][kind] = kind_report
    return FittedDetectors(shell.model_copy(update={"detectors": detectors}), report)


def dev_hash(grader_set: GraderSet) -> str:
    """The synthetic dev split's hash (what the lines were chosen on)."""
    return split_sha256(grader_set.directory / "dev")


def write_detectors(fitted: DetectorFile, path: Path = DETECTORS_FILE) -> None:
    """Write ``red_line_detectors.json`` (deterministic bytes for the same fit)."""
    path.write_text(json.dumps(fitted.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
