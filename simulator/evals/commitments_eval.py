"""How well agent sentences are matched to their case's targets by meaning, and where to draw the line.

``drill eval commitments`` measures the rule of ``simulator.grading.commitments`` (a target
matches when its e5 similarity reaches ``min_similarity`` and lies within ``max_gap`` of the
sentence's best target) on the labelled offer–resolution pairs of a split
(``simulator.recognition.offer_pairs``): precision, recall and F1 per language, per target group
and per target kind. ``--write`` chooses the two numbers per language and group on the **dev**
split over a grid — offers at the best F1, limits at the best recall with precision at least
``LIMITS_MIN_PRECISION`` (ties to the higher precision, then the stricter line) — and records them
with the split's hash in ``simulator/grading/commitment_thresholds.yaml``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from simulator.grading.commitment_matching import (
    LIMITS_MIN_PRECISION,
    THRESHOLDS_FILE,
    GroupThresholds,
    LanguageThresholds,
    TargetGroup,
    group_of,
    similarities,
)
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
GROUPS: tuple[TargetGroup, ...] = ("offers", "limits")
#: Where the grader's labelled pairs live (policy and systems limits labelled), and the customer's
#: (resolutions and refused offers labelled; limits all true negatives). Both are read; only the
#: customer's folder feeds the customer's own matcher (``simulator.recognition.offer_match``).
COMMITMENT_PAIRS_DIR = Path(__file__).resolve().parent.parent / "grading" / "commitment_pairs"
PAIR_ROOTS: tuple[Path, ...] = (COMMITMENT_PAIRS_DIR, OFFERS_DIR)


def load_pairs(split: Split, cases: Mapping[str, Case], roots: Sequence[Path] = PAIR_ROOTS) -> list[OfferPair]:
    """The labelled pairs of ``split`` from every root."""
    return [pair for root in roots for pair in load_offer_pairs(split, cases, root)]


def pairs_fingerprint(split: Split, roots: Sequence[Path] = PAIR_ROOTS) -> str:
    """sha256 over every root's split fingerprint, in order."""
    digest = hashlib.sha256()
    for root in roots:
        digest.update(split_fingerprint(split, root).encode())
    return digest.hexdigest()


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
    """Figures of one language at one set of thresholds (per target group)."""

    language: Language
    lines: dict[TargetGroup, tuple[float, float]]  # group -> (min_similarity, max_gap)
    sentences: int
    pairs: int
    overall: Counts = field(default_factory=Counts)
    by_group: dict[str, Counts] = field(default_factory=dict)
    by_kind: dict[str, Counts] = field(default_factory=dict)
    misses: list[dict[str, object]] = field(default_factory=list)


def score_pairs(pairs: Sequence[OfferPair]) -> list[ScoredPair]:
    """Every pair with its similarity (one encoder pass over all sentences and targets)."""
    by_sentence: dict[tuple[str, str], list[OfferPair]] = defaultdict(list)
    for pair in pairs:
        by_sentence[(pair.case_id, pair.sentence)].append(pair)
    sentences = [sentence for _, sentence in by_sentence]
    targets = list({pair.target.text: pair.target for pair in pairs}.values())
    table = similarities(sentences, targets)
    column = {target.text: index for index, target in enumerate(targets)}
    scored: list[ScoredPair] = []
    for row, group in zip(table, by_sentence.values(), strict=True):
        values = [float(row[column[pair.target.text]]) for pair in group]
        best = max(values)
        scored.extend(ScoredPair(pair, value, best) for pair, value in zip(group, values, strict=True))
    return scored


def _predicted(item: ScoredPair, min_similarity: float, max_gap: float) -> bool:
    return item.similarity >= min_similarity and item.best - item.similarity <= max_gap


def measure(
    scored: Iterable[ScoredPair], language: Language, lines: Mapping[TargetGroup, tuple[float, float]]
) -> LanguageResult:
    """Precision, recall and F1 of one language's pairs, each target group at its own line."""
    items = [item for item in scored if item.pair.language == language]
    result = LanguageResult(
        language,
        dict(lines),
        sentences=len({(i.pair.case_id, i.pair.sentence) for i in items}),
        pairs=len(items),
    )
    result.by_group = {group: Counts() for group in GROUPS}
    result.by_kind = {kind: Counts() for kind in TARGET_KINDS}
    for item in items:
        group = group_of(item.pair.target.kind)
        if group not in lines:
            continue
        predicted = _predicted(item, *lines[group])
        for counts in (result.overall, result.by_group[group], result.by_kind[item.pair.target.kind]):
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


def _choice_key(group: TargetGroup, counts: Counts, line: tuple[float, float]) -> tuple[float, ...]:
    """What a better line means: offers by F1; limits by recall at enough precision (red lines)."""
    stricter = (line[0], -line[1])
    if group == "limits":
        enough = counts.precision >= LIMITS_MIN_PRECISION
        return (float(enough), counts.recall if enough else counts.precision, counts.precision, *stricter)
    return (counts.f1, counts.precision, *stricter)


def choose(scored: Sequence[ScoredPair], language: Language) -> LanguageResult:
    """Each group's best grid point for ``language`` (the groups' predictions are independent)."""
    lines: dict[TargetGroup, tuple[float, float]] = {}
    for group in GROUPS:
        best: tuple[tuple[float, ...], tuple[float, float]] | None = None
        for min_similarity in SIMILARITY_GRID:
            for max_gap in GAP_GRID:
                line = (min_similarity, max_gap)
                counts = measure(scored, language, {group: line}).by_group[group]
                key = _choice_key(group, counts, line)
                if best is None or key > best[0]:
                    best = (key, line)
        if best is None:
            raise ValueError("the grid is empty")
        lines[group] = best[1]
    return measure(scored, language, lines)


def evaluate(
    split: Split, cases: Mapping[str, Case], *, path: Path = THRESHOLDS_FILE, roots: Sequence[Path] = PAIR_ROOTS
) -> list[LanguageResult]:
    """The shipped thresholds measured on ``split``, per language present in it."""
    from simulator.grading.commitment_matching import load_thresholds

    thresholds = load_thresholds(path).thresholds
    scored = score_pairs(load_pairs(split, cases, roots))
    results = []
    for language in sorted({item.pair.language for item in scored}):
        limits = thresholds.get(language)
        if limits is not None:
            lines: dict[TargetGroup, tuple[float, float]] = {
                "offers": (limits.offers.min_similarity, limits.offers.max_gap),
                "limits": (limits.limits.min_similarity, limits.limits.max_gap),
            }
            results.append(measure(scored, language, lines))
    return results


def _group_entry(result: LanguageResult, group: TargetGroup) -> GroupThresholds:
    counts = result.by_group[group]
    return GroupThresholds(
        min_similarity=result.lines[group][0],
        max_gap=result.lines[group][1],
        positives=counts.tp + counts.fn,
        precision=round(counts.precision, 4),
        recall=round(counts.recall, 4),
        f1=round(counts.f1, 4),
    )


def write_thresholds(
    cases: Mapping[str, Case], *, path: Path = THRESHOLDS_FILE, roots: Sequence[Path] = PAIR_ROOTS
) -> list[LanguageResult]:
    """Choose the thresholds on the dev split and write them, with provenance, to ``path``."""
    scored = score_pairs(load_pairs("dev", cases, roots))
    digest = pairs_fingerprint("dev", roots)
    chosen = [choose(scored, language) for language in sorted({item.pair.language for item in scored})]
    today = dt.date.today().isoformat()
    entries = {
        result.language: LanguageThresholds(
            offers=_group_entry(result, "offers"),
            limits=_group_entry(result, "limits"),
            chosen_on="dev",
            pairs_sha256=digest,
            embedder=model_id(),
            pairs=result.pairs,
            measured=today,
        ).model_dump()
        for result in chosen
    }
    header = (
        "# Where an agent sentence matches a case target by meaning (simulator/grading/commitment_matching.py):\n"
        "# e5 cosine >= min_similarity and within max_gap of the sentence's best target in its case;\n"
        "# offers (resolutions, refused offers) at the best F1, limits (must_not_promise, cannot_do) at\n"
        f"# the best recall with precision >= {LIMITS_MIN_PRECISION}. Written by `drill eval commitments --write`\n"
        "# from the dev offer pairs (simulator/grading/commitment_pairs/dev/ and simulator/recognition/offers/dev/);\n"
        "# do not edit by hand: measure\n"
        "# again after changing the pairs, the cases they cite or the embedder.\n"
    )
    path.write_text(header + yaml.safe_dump({"thresholds": entries}, allow_unicode=True, sort_keys=False), "utf-8")
    from simulator.grading.commitment_matching import load_thresholds

    load_thresholds.cache_clear()
    return chosen


def format_results(results: Sequence[LanguageResult], split: str, digest: str) -> str:
    """A plain-text table of the figures."""
    lines = [f"offer pairs: split {split}, sha256 {digest}"]
    for result in results:
        drawn = ", ".join(f"{group} >= {line[0]} within {line[1]}" for group, line in result.lines.items())
        lines.append(f"{result.language}: {result.sentences} sentences, {result.pairs} pairs; {drawn}")
        rows = [("all", result.overall), *result.by_group.items(), *result.by_kind.items()]
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
        "limits_min_precision": LIMITS_MIN_PRECISION,
        "languages": [
            {
                "language": r.language,
                "lines": {group: {"min_similarity": line[0], "max_gap": line[1]} for group, line in r.lines.items()},
                "sentences": r.sentences,
                "pairs": r.pairs,
                "overall": r.overall.to_json(),
                "by_group": {group: counts.to_json() for group, counts in r.by_group.items()},
                "by_kind": {kind: counts.to_json() for kind, counts in r.by_kind.items()},
                "misses": r.misses,
            }
            for r in results
        ],
    }
