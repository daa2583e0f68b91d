"""``drill eval acts``: how well the shipped classifier recognises the acts of a held-out split.

Per act and language: precision and recall with Wilson 95 % intervals, F1 with a bootstrap 95 %
interval (sentences resampled, seeded); macro-F1 per language (mean over the acts present, with
its bootstrap interval); the most confused pairs (a sentence of act A recognised as B while A was
missed); speed (the encoder on uncached sentences, the classifier alone). Every report carries the
split's hash, the frozen test split's hash (also in a dev report) and the model's corpus key, so a
figure always says which data and which model made it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from simulator.e5_model import e5_query_vectors
from simulator.models import LANGUAGES, LEARNED_ACTS
from simulator.recognition.classifier import ActModel, shipped_model
from simulator.recognition.corpus import CORPUS_DIR, Split, load_corpus, split_files, split_hash
from simulator.recognition.training import f1_counts, f1_score, labelled_matrix

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 11
Z95 = 1.959964
SPEED_SAMPLE = 30


def wilson(successes: int, total: int) -> tuple[float, float] | None:
    """Wilson 95 % interval of a proportion (None when ``total`` is 0)."""
    if total <= 0:
        return None
    p = successes / total
    denominator = 1 + Z95**2 / total
    centre = (p + Z95**2 / (2 * total)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / total + Z95**2 / (4 * total**2)) / denominator
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def _f1_per_act(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    tp = ((labels == 1) & (predicted == 1)).sum(0)
    fp = ((labels == 0) & (predicted == 1)).sum(0)
    fn = ((labels == 1) & (predicted == 0)).sum(0)
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)


def _bootstrap(labels: np.ndarray, predicted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap F1 per act, shape ``(samples, acts)``; NaN where a resample has no positive."""
    n = labels.shape[0]
    out = np.full((BOOTSTRAP_SAMPLES, labels.shape[1]), np.nan)
    for sample in range(BOOTSTRAP_SAMPLES):
        index = rng.integers(0, n, n)
        y, p = labels[index], predicted[index]
        present = y.sum(0) > 0
        out[sample, present] = _f1_per_act(y, p)[present]
    return out


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    return (round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4))


def _confusions(labels: np.ndarray, predicted: np.ndarray, limit: int = 10) -> list[dict[str, Any]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for truth, guess in zip(labels, predicted, strict=True):
        missed = [LEARNED_ACTS[i].value for i in np.flatnonzero((truth == 1) & (guess == 0))]
        wrong = [LEARNED_ACTS[i].value for i in np.flatnonzero((truth == 0) & (guess == 1))]
        for expected in missed or ["(none)"]:
            for got in wrong:
                pairs[(expected, got)] += 1
        if missed and not wrong:
            for expected in missed:
                pairs[(expected, "(none)")] += 1
    return [{"expected": e, "recognised": g, "count": c} for (e, g), c in pairs.most_common(limit)]


def _speed(texts: list[str], features: np.ndarray, model: ActModel) -> dict[str, float]:
    sample = texts[:SPEED_SAMPLE]
    started = time.perf_counter()
    for text in sample:
        e5_query_vectors([text])
    encode_ms = (time.perf_counter() - started) * 1000 / max(1, len(sample))
    started = time.perf_counter()
    for row, text in zip(features[:SPEED_SAMPLE], texts[:SPEED_SAMPLE], strict=False):
        model.probabilities(row[None, :], [text])
    classify_ms = (time.perf_counter() - started) * 1000 / max(1, min(SPEED_SAMPLE, len(features)))
    return {
        "sentences_timed": len(sample),
        "encode_ms_per_sentence": round(encode_ms, 1),
        "classify_ms_per_sentence": round(classify_ms, 3),
        "three_sentence_turn_ms": round(3 * (encode_ms + classify_ms), 1),
    }


def evaluate_split(
    split: Split = "dev", model: ActModel | None = None, *, timed: bool = True, corpus_dir: Path = CORPUS_DIR
) -> dict[str, Any]:
    """Measure ``model`` (default: the shipped one) on ``split``; a JSON-ready report."""
    model = model or shipped_model()
    corpus = load_corpus((split,), corpus_dir)
    sentences = corpus.select(split)
    data = labelled_matrix(sentences)
    languages = np.asarray(data.languages)
    probabilities = (
        model.probabilities(data.features, data.texts) if len(sentences) else np.zeros((0, len(LEARNED_ACTS)))
    )
    report: dict[str, Any] = {
        "split": split,
        "split_hash": split_hash([split], corpus_dir),
        # The frozen test split's hash in every report, also of dev: which test split existed (or
        # none yet) when a figure was made, and that the model's key does not cover it.
        "test_split_hash": split_hash(["test"], corpus_dir) if split_files("test", corpus_dir) else None,
        "model_corpus_key": model.corpus_key,
        "model_classifier": model.meta.get("classifier"),
        "sentences": len(sentences),
        "sources": sorted({s.source for s in sentences}),
        "languages": {},
    }
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    for language in LANGUAGES:
        mask = languages == language
        if not mask.any():
            continue
        labels = data.labels[mask]
        predicted = (probabilities[mask] >= model.thresholds[language]).astype(np.int8)
        boot = _bootstrap(labels, predicted, rng)
        acts = {}
        for index, act in enumerate(LEARNED_ACTS):
            tp, fp, fn = f1_counts(labels[:, index], predicted[:, index])
            acts[act.value] = {
                "support": tp + fn,
                "precision": round(tp / (tp + fp), 4) if tp + fp else None,
                "precision_ci": wilson(tp, tp + fp),
                "recall": round(tp / (tp + fn), 4) if tp + fn else None,
                "recall_ci": wilson(tp, tp + fn),
                "f1": round(f1_score(tp, fp, fn), 4) if tp + fn else None,
                "f1_ci": _interval(boot[:, index]) if tp + fn else None,
            }
        present = labels.sum(0) > 0
        macro = float(np.mean(_f1_per_act(labels, predicted)[present])) if present.any() else None
        macro_boot = np.nanmean(np.where(present, boot, np.nan), axis=1)
        report["languages"][language] = {
            "sentences": int(mask.sum()),
            "macro_f1": round(macro, 4) if macro is not None else None,
            "macro_f1_ci": _interval(macro_boot) if macro is not None else None,
            "acts": acts,
            "confused": _confusions(labels, predicted),
        }
    if timed and len(sentences):
        report["speed"] = _speed(data.texts, data.features, model)
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as a readable table."""

    def pct(value: float | None) -> str:
        return "  —  " if value is None else f"{value:5.3f}"

    def ci(interval: list[float] | tuple[float, float] | None) -> str:
        return "" if not interval else f"[{interval[0]:.2f}–{interval[1]:.2f}]"

    lines = [
        f"acts eval — split {report['split']} (hash {report['split_hash']}), {report['sentences']} sentences",
        f"model: {report['model_classifier']} (corpus key {report['model_corpus_key']}: train, dev, training.yaml)",
        f"frozen test split: {'hash ' + report['test_split_hash'] if report.get('test_split_hash') else 'none yet'}",
    ]
    for language, block in report["languages"].items():
        lines.append("")
        lines.append(
            f"{language}: {block['sentences']} sentences, macro-F1 {pct(block['macro_f1'])} {ci(block['macro_f1_ci'])}"
        )
        lines.append(f"  {'act':22} {'n':>4}  {'precision':18} {'recall':18} {'F1':18}")
        for act, row in block["acts"].items():
            if not row["support"] and row["precision"] is None:
                continue
            lines.append(
                f"  {act:22} {row['support']:>4}  {pct(row['precision'])} {ci(row['precision_ci']):12} "
                f"{pct(row['recall'])} {ci(row['recall_ci']):12} {pct(row['f1'])} {ci(row['f1_ci']):12}"
            )
        if block["confused"]:
            pairs = ", ".join(f"{c['expected']}→{c['recognised']} ×{c['count']}" for c in block["confused"][:6])
            lines.append(f"  most confused: {pairs}")
    speed = report.get("speed")
    if speed:
        lines.append("")
        lines.append(
            f"speed: encoder {speed['encode_ms_per_sentence']} ms/sentence (uncached), classifier "
            f"{speed['classify_ms_per_sentence']} ms/sentence; "
            f"a three-sentence turn ≈ {speed['three_sentence_turn_ms']} ms"
        )
    return "\n".join(lines)
