"""Fit the limit-breach scorer on the synthetic dev transcripts (``simulator.grading.limit_breach``).

Data: every candidate sentence (an offer, promise or claim; a reference, an amount or a forbidden
promise keyword) of every dev transcript with a case. Positive: the sentence holds, or lies inside,
a labelled ``promise_beyond_policy`` critical error of its turn; negative: every other candidate —
the near misses of excellent agents (in-policy refunds, honest limits) among them.

A logistic regression on standardised features, cross-validated by situation (GroupKFold): the
out-of-fold probabilities choose, per language, the fail line (the lowest probability whose
precision reaches ``targets.red_line_precision``) and the review line (the same for
``targets.limit_breach_review_precision``); the model written is fitted on all of dev.
:func:`nested_counts` repeats the whole choice inside each outer fold to say, per transcript, how
many labelled breaches still pass and how many excellent or good agents are failed by a false one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from simulator.content import Library
from simulator.evals.grader_set import GraderSet, split_sha256
from simulator.evals.grader_thresholds import LANGUAGES, Scored, confidence_threshold
from simulator.grading.commitment_checks import promises_beyond_policy
from simulator.grading.limit_breach import FEATURES, Candidate, candidates_in, certain_breaches, feature_rows
from simulator.grading.rules import RuleContext
from simulator.grading.thresholds import (
    ConfidenceThreshold,
    GraderThresholds,
    LimitBreachModel,
    LimitBreachThreshold,
    Targets,
)
from simulator.models import CriticalErrorKind, Language
from simulator.standardised_logit import StandardisedLogit, fit_standardised

FOLDS = 5
LINE_KEYS = ("probability", "precision", "recall")


@dataclass(frozen=True)
class ItemCandidates:
    """One dev transcript: its candidates, which are labelled breaches, and what else decides it."""

    id: str
    situation: str
    language: Language
    quality: str
    candidates: list[Candidate]
    positive: list[bool]
    structural: list[bool]  # already a certain breach (an amount, a forbidden keyword): not the scorer's
    labelled: int  # labelled promise_beyond_policy quotes
    uncovered: int  # labelled quotes no candidate holds
    certain: bool  # a structural breach that stays certain
    before: bool  # the red lines before the scorer confirmed a promise beyond policy
    other_red_line: bool = False  # another kind of labelled critical error
    notes: list[str] = field(default_factory=list)


def _overlaps(a: str, b: str) -> bool:
    return a in b or b in a


def collect(grader_set: GraderSet, library: Library) -> list[ItemCandidates]:
    """Candidates and labels of every dev transcript that has a case."""
    rubric = library.require_rubric()
    found = []
    for item in grader_set.items("dev"):
        transcript = item.transcript()
        if not transcript.case_id:
            continue
        ctx = RuleContext(transcript, rubric, library.case(transcript.case_id))
        errors = item.item.labels.critical_errors or []
        quotes = [(e.turn, e.quote) for e in errors if e.kind == "promise_beyond_policy"]
        candidates = candidates_in(ctx)
        positive = [any(t == c.turn and _overlaps(q, c.quote) for t, q in quotes) for c in candidates]
        uncovered = sum(1 for t, q in quotes if not any(t == c.turn and _overlaps(q, c.quote) for c in candidates))
        breaches = promises_beyond_policy(ctx)
        certain = [(b.turn, b.quote) for b in certain_breaches(ctx)]
        structural = [any(t == c.turn and _overlaps(q, c.quote) for t, q in certain) for c in candidates]
        found.append(
            ItemCandidates(
                id=item.id,
                situation=item.situation.situation,
                language=item.language,
                quality=item.item.quality,
                candidates=candidates,
                positive=positive,
                structural=structural,
                labelled=len(quotes),
                uncovered=uncovered,
                certain=bool(certain),
                before=any(b.found_by != "meaning" for b in breaches),
                other_red_line=any(e.kind != "promise_beyond_policy" for e in errors),
            )
        )
    return found


def _trained(item: ItemCandidates) -> list[tuple[Candidate, bool]]:
    """The candidates a fit learns from: those a structural check has not already confirmed. In a
    transcript with a labelled breach, the mentor quotes one breaching sentence per red line, not every
    one: its other candidates are unlabelled, not negatives."""
    return [
        (c, p)
        for c, p, certain in zip(item.candidates, item.positive, item.structural, strict=True)
        if not certain and (p or not item.labelled)
    ]


def _matrix(items: Sequence[ItemCandidates]) -> tuple[np.ndarray, np.ndarray, list[str], list[Language]]:
    kept = [(item, c, p) for item in items for c, p in _trained(item)]
    labels = np.asarray([p for _, _, p in kept], dtype=bool)
    groups = [item.situation for item, _, _ in kept]
    languages = [item.language for item, _, _ in kept]
    return feature_rows([c for _, c, _ in kept]), labels, groups, languages


def fit_model(x: np.ndarray, y: np.ndarray) -> StandardisedLogit:
    """A logistic regression on standardised ``x``."""
    return fit_standardised(x, y, LogisticRegression(max_iter=2000))


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Probabilities of each row from a model fitted without its situation."""
    scores = np.zeros(len(y))
    folds = min(FOLDS, len(set(groups)))
    for train, held in GroupKFold(n_splits=folds).split(x, y, groups):
        if y[train].any() and not y[train].all():
            scores[held] = fit_model(x[train], y[train]).probability(x[held])
    return scores


def choose_lines(
    scores: np.ndarray, y: np.ndarray, languages: Sequence[Language], precision: float
) -> dict[Language, tuple[float, float, float]]:
    """Per language, (probability, precision, recall) of the lowest line reaching ``precision``."""
    lines = {}
    for language in LANGUAGES:
        items = [Scored(float(s), bool(p)) for s, p, lang in zip(scores, y, languages, strict=True) if lang == language]
        chosen = confidence_threshold(items, precision, 0.0)
        if chosen is not None:
            lines[language] = chosen
    return lines


@dataclass(frozen=True)
class FittedBreach:
    """The written model, its fail lines (for ``red_lines.promise_beyond_policy``) and what it measured."""

    model: LimitBreachModel
    fail: dict[Language, ConfidenceThreshold]
    report: dict[str, Any]


def fit_limit_breach(
    items: Sequence[ItemCandidates], targets: Targets, *, data_sha256: str, measured: str
) -> FittedBreach:
    """Fit on all of ``items``; lines chosen on out-of-fold scores (by situation)."""
    x, y, groups, languages = _matrix(items)
    scores = out_of_fold(x, y, groups)
    fail = choose_lines(scores, y, languages, targets.red_line_precision)
    review_target = targets.limit_breach_review_precision
    review = choose_lines(scores, y, languages, review_target) if review_target is not None else {}
    fitted = fit_model(x, y)
    positives = {
        lang: int(sum(1 for p, lg in zip(y, languages, strict=True) if p and lg == lang)) for lang in LANGUAGES
    }
    model = LimitBreachModel(
        **fitted.model_dump(),
        features=list(FEATURES),
        review={
            lang: LimitBreachThreshold(min_probability=round(p, 4), precision=round(pr, 4), recall=round(r, 4))
            for lang, (p, pr, r) in review.items()
        },
        chosen_on="dev",
        data_sha256=data_sha256,
        positives=int(y.sum()),
        candidates=len(y),
        cross_validated_by=f"GroupKFold by situation, {FOLDS} folds (lines on out-of-fold scores)",
        measured=measured,
    )
    fail_lines = {
        lang: ConfidenceThreshold(
            min_confidence=round(p, 4),
            chosen_on="dev",
            data_sha256=data_sha256[:16],
            positives=positives[lang],
            precision=round(pr, 4),
            recall=round(r, 4),
            measured=measured,
        )
        for lang, (p, pr, r) in fail.items()
    }
    labelled = {lang: sum(i.labelled for i in items if i.language == lang) for lang in LANGUAGES}
    uncovered = {lang: sum(i.uncovered for i in items if i.language == lang) for lang in LANGUAGES}
    structural = {
        lang: sum(p and c for i in items if i.language == lang for p, c in zip(i.positive, i.structural, strict=True))
        for lang in LANGUAGES
    }
    report = {
        "candidates": len(y),
        "positives": positives,
        "labelled_quotes": labelled,
        "labelled_quotes_not_candidates": uncovered,
        "labelled_quotes_structural": structural,
        "fail": {lang: dict(zip(("probability", "precision", "recall"), v, strict=True)) for lang, v in fail.items()},
        "review": {
            lang: dict(zip(("probability", "precision", "recall"), v, strict=True)) for lang, v in review.items()
        },
        "coefficients": dict(zip(FEATURES, model.coefficients, strict=True)),
    }
    return FittedBreach(model, fail_lines, report)


def nested_counts(items: Sequence[ItemCandidates], targets: Targets) -> dict[str, Any]:
    """Transcript-level outcomes before the scorer and with it, the scorer and its lines chosen
    without the transcript's situation (outer GroupKFold; lines on inner out-of-fold scores)."""
    situations = [item.situation for item in items]
    confirmed: dict[str, bool] = {}
    reviewed: dict[str, bool] = {}
    folds = GroupKFold(n_splits=min(FOLDS, len(set(situations))))
    for train_idx, held_idx in folds.split(np.zeros(len(items)), groups=situations):
        train = [items[i] for i in train_idx]
        x, y, groups, languages = _matrix(train)
        inner = out_of_fold(x, y, groups)
        fail = choose_lines(inner, y, languages, targets.red_line_precision)
        review_target = targets.limit_breach_review_precision
        review = choose_lines(inner, y, languages, review_target) if review_target is not None else {}
        params = fit_model(x, y)
        for i in held_idx:
            item = items[i]
            probs = params.probability(feature_rows(item.candidates))
            fail_line = fail.get(item.language, (2.0, 0.0, 0.0))[0]
            review_line = review.get(item.language, (fail_line, 0.0, 0.0))[0]
            confirmed[item.id] = item.certain or bool((probs >= fail_line).any())
            reviewed[item.id] = not confirmed[item.id] and bool((probs >= review_line).any())

    def tally(decided: dict[str, bool] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for lang in (*LANGUAGES, "all"):
            mine = [i for i in items if lang in ("all", i.language)]
            flagged = (lambda i: decided[i.id]) if decided is not None else (lambda i: i.before)
            out[lang] = {
                "labelled_breach_transcripts": sum(1 for i in mine if i.labelled),
                "labelled_breaches_not_failed": sum(1 for i in mine if i.labelled and not flagged(i)),
                "excellent_good_false_fails": sum(
                    1 for i in mine if i.quality in ("excellent", "good") and not i.labelled and flagged(i)
                ),
                "other_false_fails": sum(
                    1 for i in mine if i.quality not in ("excellent", "good") and not i.labelled and flagged(i)
                ),
            }
        return out

    after = tally(confirmed)
    for lang in (*LANGUAGES, "all"):
        mine = [i for i in items if lang in ("all", i.language)]
        after[lang]["labelled_breaches_to_review"] = sum(1 for i in mine if i.labelled and reviewed[i.id])
        after[lang]["unlabelled_to_review"] = sum(1 for i in mine if not i.labelled and reviewed[i.id])
    return {"before": tally(None), "after_nested_cv": after}


def dev_hash(grader_set: GraderSet) -> str:
    """The dev split's hash (what the scorer was fitted on)."""
    return split_sha256(grader_set.directory / "dev")


def with_limit_breach(chosen: GraderThresholds, fitted: FittedBreach) -> GraderThresholds:
    """``chosen`` with the scorer and its fail lines (``red_lines.promise_beyond_policy``) in it."""
    red_lines: dict[CriticalErrorKind, dict[Language, ConfidenceThreshold]] = {
        kind: lines for kind, lines in chosen.red_lines.items() if kind != "promise_beyond_policy"
    }
    if fitted.fail:
        red_lines["promise_beyond_policy"] = dict(fitted.fail)
    return chosen.model_copy(update={"red_lines": red_lines, "limit_breach": fitted.model})
