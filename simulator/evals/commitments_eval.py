"""How well agent sentences are matched to their case's targets by meaning, and where to draw the line.

``drill eval commitments`` measures the rule of ``simulator.grading.commitments`` (a target
matches when its e5 similarity reaches ``min_similarity`` and lies within ``max_gap`` of the
sentence's best target) on the labelled offer–resolution pairs of a split
(``simulator.recognition.offer_pairs``): precision, recall and F1 per language and per target
kind. ``--write`` chooses the two numbers per language on the **dev** split (best F1 over a grid,
ties to the higher precision) and records them with the split's hash in
``simulator/grading/commitment_thresholds.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from simulator.grading.commitments import THRESHOLDS_FILE, LanguageThresholds, similarities
from simulator.models import Case, Language
from simulator.recognition.encoder import model_id
from simulator.recognition.offer_pairs import (
    OFFERS_DIR,
    TARGET_KINDS,
    OfferPair,
    Split,
    load_offer_pairs,
    split_fingerprint,
)

#: The grid searched for the two numbers (cosine of e5 query vectors lies in about 0.75..1).
SIMILARITY_GRID = tuple(round(value, 4) for value in np.arange(0.80, 0.98, 0.0025))
GAP_GRID = tuple(round(value, 4) for value in np.arange(0.0, 0.0625, 0.0025))


@dataclass(frozen=True)
class ScoredPair:
    """A labelled pair with its similarity and the best similarity of its sentence in its case."""

    pair: OfferPair
    similarity: float
    best: float


@dataclass
class Counts:
    """True and false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, float | int]:
        """Counts and rates, rounded."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class LanguageResult:
    """Figures of one language at one pair of thresholds."""

    language: Language
    min_similarity: float
    max_gap: float
    sentences: int
    pairs: int
    overall: Counts = field(default_factory=Counts)
    by_kind: dict[str, Counts] = field(default_factory=dict)
    misses: list[dict[str, object]] = field(default_factory=list)


def score_pairs(pairs: Sequence[OfferPair]) -> list[ScoredPair]:
    """Every pair with its similarity (one encoder pass over all sentences and targets)."""
    by_sentence: dict[tuple[str, str], list[OfferPair]] = defaultdict(list)
    for pair in pairs:
        by_sentence[(pair.case_id, pair.sentence)].append(pair)
    scored: list[ScoredPair] = []
    for (_, sentence), group in by_sentence.items():
        row = similarities([sentence], [pair.target for pair in group])[0]
        best = float(row.max())
        scored.extend(ScoredPair(pair, float(value), best) for pair, value in zip(group, row, strict=True))
    return scored


def _predicted(item: ScoredPair, min_similarity: float, max_gap: float) -> bool:
    return item.similarity >= min_similarity and item.best - item.similarity <= max_gap


def measure(scored: Iterable[ScoredPair], language: Language, min_similarity: float, max_gap: float) -> LanguageResult:
    """Precision, recall and F1 of one language's pairs at the given thresholds."""
    items = [item for item in scored if item.pair.language == language]
    result = LanguageResult(
        language,
        min_similarity,
        max_gap,
        sentences=len({(i.pair.case_id, i.pair.sentence) for i in items}),
        pairs=len(items),
    )
    result.by_kind = {kind: Counts() for kind in TARGET_KINDS}
    for item in items:
        predicted = _predicted(item, min_similarity, max_gap)
        for counts in (result.overall, result.by_kind[item.pair.target.kind]):
            counts.tp += predicted and item.pair.matches
            counts.fp += predicted and not item.pair.matches
            counts.fn += (not predicted) and item.pair.matches
        if predicted != item.pair.matches:
            result.misses.append(
                {
                    "case": item.pair.case_id,
                    "sentence": item.pair.sentence,
                    "target": item.pair.target.key,
                    "labelled": item.pair.matches,
                    "similarity": round(item.similarity, 4),
                    "gap": round(item.best - item.similarity, 4),
                }
            )
    return result


def choose(scored: Sequence[ScoredPair], language: Language) -> LanguageResult:
    """The grid point with the best F1 for ``language`` (ties: higher precision, then the stricter line)."""
    best: tuple[tuple[float, float, float, float], LanguageResult] | None = None
    for min_similarity in SIMILARITY_GRID:
        for max_gap in GAP_GRID:
            result = measure(scored, language, min_similarity, max_gap)
            key = (result.overall.f1, result.overall.precision, min_similarity, -max_gap)
            if best is None or key > best[0]:
                best = (key, result)
    if best is None:
        raise ValueError("the grid is empty")
    return best[1]


def evaluate(
    split: Split, cases: Mapping[str, Case], *, path: Path = THRESHOLDS_FILE, root: Path = OFFERS_DIR
) -> list[LanguageResult]:
    """The shipped thresholds measured on ``split``, per language present in it."""
    from simulator.grading.commitments import load_thresholds

    thresholds = load_thresholds(path).thresholds
    scored = score_pairs(load_offer_pairs(split, cases, root))
    results = []
    for language in sorted({item.pair.language for item in scored}):
        limits = thresholds.get(language)
        if limits is not None:
            results.append(measure(scored, language, limits.min_similarity, limits.max_gap))
    return results


def write_thresholds(
    cases: Mapping[str, Case], *, path: Path = THRESHOLDS_FILE, root: Path = OFFERS_DIR
) -> list[LanguageResult]:
    """Choose the thresholds on the dev split and write them, with provenance, to ``path``."""
    scored = score_pairs(load_offer_pairs("dev", cases, root))
    digest = split_fingerprint("dev", root)
    chosen = [choose(scored, language) for language in sorted({item.pair.language for item in scored})]
    today = dt.date.today().isoformat()
    entries = {
        result.language: LanguageThresholds(
            min_similarity=result.min_similarity,
            max_gap=result.max_gap,
            chosen_on="dev",
            pairs_sha256=digest,
            embedder=model_id(),
            pairs=result.pairs,
            precision=round(result.overall.precision, 4),
            recall=round(result.overall.recall, 4),
            f1=round(result.overall.f1, 4),
            measured=today,
        ).model_dump()
        for result in chosen
    }
    header = (
        "# Where an agent sentence matches a case target by meaning (simulator/grading/commitments.py):\n"
        "# e5 cosine >= min_similarity and within max_gap of the sentence's best target in its case.\n"
        "# Written by `drill eval commitments --write` from the dev offer pairs\n"
        "# (simulator/recognition/offers/dev/); do not edit by hand: measure again after changing the\n"
        "# pairs, the cases they cite or the embedder.\n"
    )
    path.write_text(header + yaml.safe_dump({"thresholds": entries}, allow_unicode=True, sort_keys=False), "utf-8")
    from simulator.grading.commitments import load_thresholds

    load_thresholds.cache_clear()
    return chosen


def format_results(results: Sequence[LanguageResult], split: str, digest: str) -> str:
    """A plain-text table of the figures."""
    lines = [f"offer pairs: split {split}, sha256 {digest}"]
    for result in results:
        lines.append(
            f"{result.language}: {result.sentences} sentences, {result.pairs} pairs; "
            f"min_similarity {result.min_similarity}, max_gap {result.max_gap}"
        )
        rows = [("all", result.overall), *result.by_kind.items()]
        for name, counts in rows:
            lines.append(
                f"  {name:<17} P {counts.precision:.3f}  R {counts.recall:.3f}  F1 {counts.f1:.3f}"
                f"  (tp {counts.tp}, fp {counts.fp}, fn {counts.fn})"
            )
    return "\n".join(lines)


def results_json(results: Sequence[LanguageResult], split: str, digest: str) -> dict[str, object]:
    """The figures and misses as JSON."""
    return {
        "split": split,
        "pairs_sha256": digest,
        "languages": [
            {
                "language": r.language,
                "min_similarity": r.min_similarity,
                "max_gap": r.max_gap,
                "sentences": r.sentences,
                "pairs": r.pairs,
                "overall": r.overall.to_json(),
                "by_kind": {kind: counts.to_json() for kind, counts in r.by_kind.items()},
                "misses": r.misses,
            }
            for r in results
        ],
    }
