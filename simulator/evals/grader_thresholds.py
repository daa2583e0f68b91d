"""Choose the grader's thresholds on dev data and write ``grader_thresholds.yaml``.

- **Answer pairing** (unanswered questions): per language, the highest e5 similarity at which the
  labelled answers in ``simulator/grading/answer_pairs/dev.<language>.yaml`` are still accepted at
  the target recall (an "unanswered" finding must not accuse a reply that answers).
- **Red lines by meaning** (``private_data_request``): per language, the lowest recogniser score
  at which the act's precision on the acts corpus's dev split reaches the target precision; hits
  below it go to a mentor's review instead of failing the session.
- **Violations by meaning** (``forbidden_phrase``): per language, the lowest recogniser score at
  which the act's precision on the acts corpus's dev split reaches ``targets.violation_precision``;
  a sentence flagged by meaning alone below it is not a finding (listed phrases always are). The
  recogniser's own cut (0.5) is tuned for recall; a violation caps compliance, so it needs precision.

The targets are in the thresholds file itself (``targets``); ``drill eval thresholds`` prints what
would be chosen and ``--write`` records it with the data's hash and the date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from simulator.grading.answering import load_answer_pairs, pairs_file, similarities
from simulator.grading.thresholds import (
    THRESHOLDS_FILE,
    AnswerThreshold,
    ConfidenceThreshold,
    GraderThresholds,
    Targets,
    load_thresholds,
)
from simulator.models import CriticalErrorKind, DialogueAct, Language
from simulator.recognition import recognize_spans
from simulator.recognition.corpus import load_corpus, split_hash
from simulator.recognition.sentence_acts import SentenceActs
from simulator.recognition.sentences import Span

LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
# Red lines recognised by meaning, and the act that recognises each.
RED_LINE_ACTS: dict[CriticalErrorKind, DialogueAct] = {"private_data_request": DialogueAct.private_data_request}
# Violations whose findings may rest on the recogniser's meaning alone.
VIOLATION_ACTS: tuple[DialogueAct, ...] = (DialogueAct.forbidden_phrase,)


@dataclass(frozen=True)
class Scored:
    """A score and whether the item is a true positive."""

    score: float
    positive: bool


def answer_threshold(items: Sequence[Scored], min_recall: float) -> tuple[float, float, float]:
    """(similarity, answer recall, unanswered precision): the highest similarity keeping ``min_recall``."""
    answers = [item for item in items if item.positive]
    if not answers:
        raise ValueError("no labelled answers to choose a similarity on")
    best = min(item.score for item in items)
    for candidate in sorted({item.score for item in items}):
        recall = sum(1 for item in answers if item.score >= candidate) / len(answers)
        if recall >= min_recall:
            best = candidate
    below = [item for item in items if item.score < best]
    precision = sum(1 for item in below if not item.positive) / len(below) if below else 1.0
    recall = sum(1 for item in answers if item.score >= best) / len(answers)
    return best, recall, precision


def confidence_threshold(
    items: Sequence[Scored], min_precision: float, floor: float
) -> tuple[float, float, float] | None:
    """(threshold, precision, recall): the lowest score >= ``floor`` whose precision reaches
    ``min_precision`` (None when no score does, or nothing is positive)."""
    positives = sum(1 for item in items if item.positive)
    if not positives:
        return None
    for candidate in sorted({item.score for item in items if item.score >= floor}):
        kept = [item for item in items if item.score >= candidate]
        precision = sum(1 for item in kept if item.positive) / len(kept)
        if precision >= min_precision:
            recall = sum(1 for item in kept if item.positive) / positives
            return candidate, precision, recall
    return None


def choose_thresholds(targets: Targets, *, floor: float = 0.5, today: str | None = None) -> GraderThresholds:
    """Choose every threshold on dev data for ``targets``; ``floor`` is where the recogniser says an act is
    present (below it nothing is a hit at all)."""
    measured = today or date.today().isoformat()
    answers: dict[Language, AnswerThreshold] = {}
    for language in LANGUAGES:
        labelled, digest = load_answer_pairs(pairs_file(language))
        matrix = [similarities([pair.question], [pair.reply])[0][0] for pair in labelled.pairs]
        items = [Scored(score, pair.answers) for score, pair in zip(matrix, labelled.pairs, strict=True)]
        similarity, recall, precision = answer_threshold(items, targets.answer_recall)
        answers[language] = AnswerThreshold(
            similarity=round(similarity, 4),
            chosen_on="dev",
            data_sha256=digest,
            pairs=len(items),
            answer_recall=round(recall, 4),
            unanswered_precision=round(precision, 4),
            measured=measured,
        )
    corpus = load_corpus(("dev",))
    corpus_digest = split_hash(("dev",))
    scored_by_language: dict[Language, list[tuple[SentenceActs, frozenset[DialogueAct]]]] = {}
    for language in LANGUAGES:
        sentences = [s for s in corpus.sentences if s.language == language]
        scored = recognize_spans([Span(s.text, 0, len(s.text)) for s in sentences], language)
        scored_by_language[language] = [(acts, frozenset(s.acts)) for acts, s in zip(scored, sentences, strict=True)]

    def chosen_for(act: DialogueAct, language: Language, precision_target: float) -> dict[str, object] | None:
        items = [Scored(acts.score(act), act in labels) for acts, labels in scored_by_language[language]]
        chosen = confidence_threshold(items, precision_target, floor)
        if chosen is None:
            return None
        threshold, precision, recall = chosen
        return {
            "min_confidence": round(threshold, 4),
            "chosen_on": "dev",
            "data_sha256": corpus_digest,
            "positives": sum(1 for item in items if item.positive),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "measured": measured,
        }

    red_lines: dict[CriticalErrorKind, dict[Language, ConfidenceThreshold]] = {}
    for kind, act in RED_LINE_ACTS.items():
        for language in LANGUAGES:
            if (found := chosen_for(act, language, targets.red_line_precision)) is not None:
                red_lines.setdefault(kind, {})[language] = ConfidenceThreshold.model_validate(found)
    violations: dict[DialogueAct, dict[Language, ConfidenceThreshold]] = {}
    for act in VIOLATION_ACTS:
        for language in LANGUAGES:
            if (found := chosen_for(act, language, targets.violation_precision)) is not None:
                violations.setdefault(act, {})[language] = ConfidenceThreshold.model_validate(found)
    return GraderThresholds(
        targets=targets, answer_similarity=answers, red_lines=red_lines, violations_by_meaning=violations
    )


HEADER = """\
# Thresholds of the grader's checks, each chosen on dev data. Written by
# `drill eval thresholds --write` (simulator/evals/grader_thresholds.py); do not edit the numbers by
# hand: change the data or the targets and run it again.
#   targets.answer_recall       share of labelled answers the question-answer pairing must accept
#   targets.red_line_precision  precision a red line recognised by meaning needs to fail a session
#   targets.violation_precision precision a violation recognised by meaning alone needs to count
#   targets.limit_breach_review_precision  precision a limit breach below the fail line needs to be
#                               flagged for a mentor (limit_breach: the scorer, its review lines)
"""


def write_thresholds(chosen: GraderThresholds, path: Path = THRESHOLDS_FILE) -> None:
    """Write ``chosen`` with its header comment."""
    body = yaml.safe_dump(chosen.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    path.write_text(HEADER + body, encoding="utf-8")


def current_targets(path: Path = THRESHOLDS_FILE) -> Targets:
    """The targets recorded in the thresholds file."""
    return load_thresholds(path).targets
