"""Does an agent sentence offer one of the case's resolutions? Decided by meaning, on labelled pairs.

The pairs are the labelled sentences of ``simulator/recognition/offers/`` (``offer_pairs.py``: one
sentence, its casebank case and the targets it matches), restricted to the targets the customer
weighs: the case's acceptable resolutions and the offers it refuses. Each (sentence, target) pair
is described by three numbers:

- ``similarity``: the cosine of the e5 vectors of the sentence and the resolution's description;
- ``margin``: that cosine minus the best cosine of the sentence with the case's *other*
  resolutions (an offer is closer to what it offers than to its neighbours);
- ``overlap``: the share of the sentence's character bigrams (Chinese) or words and word pairs
  (English) that the description also has.

A logistic regression over the standardised three is fitted on the ``train`` pairs (on dev, the
two e5 features alone reached F1 0.877, with the overlap 0.907), the probability threshold
chosen on ``dev`` (best F1, middle of the best run), and both are shipped in
``simulator/recognition/model/offer_match.json`` with the hashes of the splits used. ``drill train
offers`` rebuilds it; ``drill eval offers --split dev|test`` reports precision, recall and F1 per
language with the split's hash. The ``test`` pairs are never read while fitting.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from simulator.errors import DrillError
from simulator.models import LANGUAGES, Resolution
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.evaluation import wilson
from simulator.recognition.offer_pairs import Split, load_offer_pairs, split_fingerprint
from simulator.recognition.training import f1_counts, f1_score

MODEL_FILE = Path(__file__).resolve().parent / "model" / "offer_match.json"
SETTINGS_FILE = Path(__file__).with_name("offer_match.yaml")


class FitSettings(BaseModel):
    """How the matcher is fitted and tuned (``offer_match.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    C: float = Field(gt=0)
    seed: int
    threshold_grid: dict[str, float]
    smoothing_steps: int = Field(ge=0)

    def grid(self) -> np.ndarray:
        """The thresholds tried on dev."""
        g = self.threshold_grid
        return np.round(np.arange(g["start"], g["stop"] + g["step"] / 2, g["step"]), 4)


def fit_settings(path: Path = SETTINGS_FILE) -> FitSettings:
    """The validated fitting settings."""
    return FitSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class OfferMatchError(DrillError):
    """The shipped offer matcher is missing or does not fit the labelled pairs."""


@dataclass(frozen=True)
class OfferMatcher:
    """The fitted matcher: weights, bias, threshold and where they came from."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    meta: dict[str, Any]

    @property
    def pairs_key(self) -> str:
        """Hash of the train and dev pairs it was fitted and tuned on."""
        return str(self.meta.get("pairs_key", ""))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Match probability of each row ``[similarity, margin, overlap]``."""
        if not len(features):
            return np.zeros(0)
        standard = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = standard @ np.asarray(self.weights) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-logits)))


_CJK = re.compile(r"[\u2e80-\u9fff]")


def _grams(text: str) -> frozenset[str]:
    """Character bigrams of Chinese text; words and word pairs of other text (lower-cased)."""
    kept = "".join(char for char in text.lower() if char.isalnum() or char.isspace())
    if _CJK.search(kept):
        letters = "".join(kept.split())
        return frozenset(letters[index : index + 2] for index in range(len(letters) - 1))
    words = kept.split()
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def overlap(sentence: str, description: str) -> float:
    """Share of the sentence's grams that the description also has (0 when the sentence has none)."""
    said = _grams(sentence)
    return len(said & _grams(description)) / len(said) if said else 0.0


def pair_features(
    sentence_vectors: np.ndarray,
    resolution_vectors: np.ndarray,
    sentences: Sequence[str],
    descriptions: Sequence[str],
) -> np.ndarray:
    """``(sentences, resolutions, 3)`` features: similarity, margin over the other resolutions, overlap."""
    similarity = sentence_vectors @ resolution_vectors.T
    count = similarity.shape[1]
    margin = np.zeros_like(similarity)
    for column in range(count):
        others = np.delete(similarity, column, axis=1)
        margin[:, column] = similarity[:, column] - (others.max(axis=1) if count > 1 else 0.0)
    shared = np.array([[overlap(sentence, description) for description in descriptions] for sentence in sentences])
    return np.stack([similarity, margin, shared.reshape(similarity.shape)], axis=-1)


#: The targets the customer weighs an offer against: what it accepts and what it turns down.
CUSTOMER_TARGETS = ("resolution", "refused")


@dataclass(frozen=True)
class LabelledOffer:
    """One labelled sentence and the customer's targets of its case, each with its label."""

    case_id: str
    language: str
    sentence: str
    targets: tuple[tuple[str, str, bool], ...]  # (key, text compared, matches)


def labelled_offers(split: Split, pairs_dir: Path | None = None) -> list[LabelledOffer]:
    """The sentences of ``split`` grouped with the resolution and refused targets of their case."""
    from simulator.config import PROJECT_DIR
    from simulator.content import load_library

    cases = load_library(PROJECT_DIR).cases
    pairs = load_offer_pairs(split, cases, **({"root": pairs_dir} if pairs_dir is not None else {}))
    grouped: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    languages: dict[tuple[str, str], str] = {}
    for pair in pairs:
        if pair.target.kind in CUSTOMER_TARGETS:
            key = (pair.case_id, pair.sentence)
            grouped.setdefault(key, []).append((pair.target.key, pair.target.text, pair.matches))
            languages[key] = pair.language
    return [
        LabelledOffer(case_id, languages[(case_id, sentence)], sentence, tuple(targets))
        for (case_id, sentence), targets in grouped.items()
        if len(targets) >= 2
    ]


def labelled_pairs(offers: Sequence[LabelledOffer]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features, labels and languages of every (sentence, target) pair of ``offers``."""
    features: list[np.ndarray] = []
    labels: list[int] = []
    languages: list[str] = []
    encoder = sentence_encoder()
    for offer in offers:
        descriptions = [text for _, text, _ in offer.targets]
        rows = pair_features(
            encoder.encode([offer.sentence]), encoder.encode(descriptions), [offer.sentence], descriptions
        )
        features.append(rows.reshape(-1, 3))
        labels.extend(int(matches) for _, _, matches in offer.targets)
        languages.extend([offer.language] * len(offer.targets))
    if not features:
        return np.zeros((0, 3)), np.zeros(0, dtype=np.int8), []
    return np.concatenate(features), np.array(labels, dtype=np.int8), languages


def pairs_key(pairs_dir: Path | None = None) -> str:
    """Hash of the train and dev pair files (what a shipped matcher was fitted and tuned on)."""
    root = {"root": pairs_dir} if pairs_dir is not None else {}
    return split_fingerprint("train", **root)[:8] + split_fingerprint("dev", **root)[:8]


def fit_matcher(pairs_dir: Path | None = None) -> OfferMatcher:
    """Fit on train, choose the threshold on dev; never reads the test pairs."""
    from sklearn.linear_model import LogisticRegression

    train_x, train_y, _ = labelled_pairs(labelled_offers("train", pairs_dir))
    dev_x, dev_y, _ = labelled_pairs(labelled_offers("dev", pairs_dir))
    if train_y.sum() == 0 or dev_y.sum() == 0:
        raise OfferMatchError("the train and dev offer pairs need matching pairs to fit and tune on")
    settings = fit_settings()
    mean = train_x.mean(axis=0)
    scale = np.where(train_x.std(axis=0) > 0, train_x.std(axis=0), 1.0)
    model = LogisticRegression(C=settings.C, class_weight="balanced", random_state=settings.seed)
    model.fit((train_x - mean) / scale, train_y)
    fitted = OfferMatcher(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(w) for w in model.coef_[0]),
        bias=float(model.intercept_[0]),
        threshold=0.5,
        meta={},
    )
    dev_p = fitted.probabilities(dev_x)
    grid = settings.grid()
    f1s = np.array([f1_score(*f1_counts(dev_y, (dev_p >= t).astype(np.int8))) for t in grid])
    width = settings.smoothing_steps
    # Only thresholds with a whole window either side: a truncated window at the grid's end would
    # weigh the spike it means to smooth out.
    inner = range(width, len(f1s) - width)
    smoothed = {i: float(f1s[i - width : i + width + 1].mean()) for i in inner}
    best = max(smoothed.values())
    run = [float(grid[i]) for i, f in smoothed.items() if f >= best - 1e-9]
    threshold = run[len(run) // 2]
    chosen_f1 = float(f1s[list(grid).index(threshold)])
    meta = {
        "format": 1,
        "pairs_key": pairs_key(pairs_dir),
        "encoder": sentence_encoder().model,
        "features": ["similarity", "margin", "overlap"],
        "fit": {"kind": "logreg", **settings.model_dump()},
        "train_pairs": int(len(train_y)),
        "dev_pairs": int(len(dev_y)),
        "dev_f1": round(chosen_f1, 4),
    }
    return OfferMatcher(fitted.mean, fitted.scale, fitted.weights, fitted.bias, threshold, meta)


def save_matcher(matcher: OfferMatcher, path: Path = MODEL_FILE) -> None:
    """Write the matcher as JSON (numbers and provenance only)."""
    payload = {
        **matcher.meta,
        "mean": [round(v, 6) for v in matcher.mean],
        "scale": [round(v, 6) for v in matcher.scale],
        "weights": [round(w, 6) for w in matcher.weights],
        "bias": round(matcher.bias, 6),
        "threshold": matcher.threshold,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_matcher(path: Path = MODEL_FILE) -> OfferMatcher:
    """Read a matcher written by :func:`save_matcher`; ``OfferMatchError`` when absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        arrays = {name: tuple(float(v) for v in data[name]) for name in ("mean", "scale", "weights")}
        if len({len(values) for values in arrays.values()}) != 1:
            raise ValueError("mean, scale and weights differ in length")
        return OfferMatcher(
            mean=arrays["mean"],
            scale=arrays["scale"],
            weights=arrays["weights"],
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            meta={k: v for k, v in data.items() if k not in ("mean", "scale", "weights", "bias", "threshold")},
        )
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise OfferMatchError(
            f"cannot read the offer matcher {path}: {exc}; rebuild it with `drill train offers`"
        ) from exc


_SHIPPED: OfferMatcher | None = None
_LOCK = threading.Lock()


def shipped_matcher() -> OfferMatcher:
    """The matcher shipped in the package (read once per process)."""
    global _SHIPPED
    with _LOCK:
        if _SHIPPED is None:
            _SHIPPED = load_matcher()
        return _SHIPPED


@dataclass(frozen=True)
class OfferMatch:
    """A resolution offered by one of the sentences, with the sentence and the match probability."""

    resolution_id: str
    sentence: str
    probability: float


def match_offers(sentences: Sequence[str], resolutions: Sequence[Resolution]) -> list[OfferMatch]:
    """The resolutions that ``sentences`` offer by meaning (each with its best sentence), surest first.

    ``resolutions`` should be every resolution of the case (acceptable and refused alike): the margin
    feature compares each one with its neighbours.
    """
    if not sentences or not resolutions:
        return []
    matcher = shipped_matcher()
    encoder = sentence_encoder()
    descriptions = [resolution.description.strip() for resolution in resolutions]
    features = pair_features(encoder.encode(list(sentences)), encoder.encode(descriptions), sentences, descriptions)
    probabilities = matcher.probabilities(features.reshape(-1, 3)).reshape(len(sentences), len(resolutions))
    found: list[OfferMatch] = []
    for column, resolution in enumerate(resolutions):
        row = int(np.argmax(probabilities[:, column]))
        probability = float(probabilities[row, column])
        if probability >= matcher.threshold:
            found.append(OfferMatch(resolution.id, sentences[row], round(probability, 4)))
    return sorted(found, key=lambda match: -match.probability)


def evaluate_matcher(split: Split, matcher: OfferMatcher | None = None) -> dict[str, Any]:
    """Precision, recall and F1 (Wilson 95 % intervals) per language on ``split``, with its hash."""
    chosen = matcher or shipped_matcher()
    features, labels, languages = labelled_pairs(labelled_offers(split))
    predicted = (chosen.probabilities(features) >= chosen.threshold).astype(np.int8)
    per_language: dict[str, Any] = {}
    for language in LANGUAGES:
        mask = np.array([item == language for item in languages], dtype=bool)
        if not mask.any():
            continue
        tp, fp, fn = f1_counts(labels[mask], predicted[mask])
        per_language[language] = {
            "pairs": int(mask.sum()),
            "matching": int(labels[mask].sum()),
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "precision_ci": wilson(tp, tp + fp),
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "recall_ci": wilson(tp, tp + fn),
            "f1": round(f1_score(tp, fp, fn), 4),
        }
    return {
        "split": split,
        "split_hash": split_fingerprint(split)[:16],
        "matcher_key": chosen.pairs_key,
        "threshold": chosen.threshold,
        "languages": per_language,
    }


def format_offer_report(report: dict[str, Any]) -> str:
    """The report of :func:`evaluate_matcher` as text."""

    def ci(interval: Sequence[float] | None) -> str:
        return f"[{interval[0] * 100:.0f}–{interval[1] * 100:.0f}]" if interval else ""

    lines = [
        f"offer–resolution matching, split {report['split']} (hash {report['split_hash']}), "
        f"matcher fitted on {report['matcher_key']}, threshold {report['threshold']:.2f}"
    ]
    for language, row in report["languages"].items():
        lines.append(
            f"  {language}: {row['pairs']} pairs ({row['matching']} matching)  "
            f"P {row['precision'] * 100:.1f}% {ci(row['precision_ci'])}  "
            f"R {row['recall'] * 100:.1f}% {ci(row['recall_ci'])}  F1 {row['f1']:.3f}"
        )
    return "\n".join(lines)
