"""Request fulfilment: did the agent give the details the customer asked for? Learned from labelled pairs.

Two logistic regressions over e5 sentence vectors (``simulator.recognition.encoder``):

- the *request reader* tells a customer sentence that asks for information ("may I have their phone
  and address?", "和地址发我一下") from one that states, books or thanks; features: the sentence's
  vector. Its probability threshold is chosen on the dev pairs (best F1).
- the *fulfilment reader* gives the probability that an agent reply tells what a request asked for;
  features: the reply's vector, the element-wise product and the absolute difference of the two
  vectors (which detail was asked and whether the reply carries it).

Both are fitted on the train pairs and measured on the dev pairs of two sources
(``fulfilment_pairs/SOURCES.md``): ``train.yaml``/``dev.yaml`` derived from public dialogue-act
annotations, and ``handwritten-train.yaml``/``handwritten-dev.yaml`` written for this project (several
details asked at once, one held back, masked values). The model is shipped in ``fulfilment_model.json``
keyed by the hash of the four files. ``drill train fulfilment`` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.errors import DrillError
from simulator.recognition.encoder import sentence_encoder
from simulator.safe_yaml import LOADER

PAIRS_DIR = Path(__file__).with_name("fulfilment_pairs")
MODEL_FILE = Path(__file__).with_name("fulfilment_model.json")
SETTINGS_FILE = Path(__file__).with_name("fulfilment.yaml")
NOT_A_REQUEST = "not_a_request"
# Pair files by source: the file of each split is ``<prefix><split>.yaml``.
PAIR_SOURCES = {"convlab": "", "handwritten": "handwritten-"}
# Kinds of pair and whether the reply gives what was asked (a masked value counts as given).
GIVING_KINDS = frozenset({"complete", "complete_one", "complete_masked"})
WITHHOLDING_KINDS = frozenset({"partial", "other_slots", "other_question", "no_information", "deflect", NOT_A_REQUEST})
# The hard case: a reply that gives every detail against one that holds one back.
HELD_BACK_CASE = GIVING_KINDS | {"partial"}


class FulfilmentError(DrillError):
    """The fulfilment pairs or the shipped model are missing or malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FulfilmentPair(_Strict):
    """A customer sentence, the agent reply after it, and whether the reply gives what was asked."""

    language: str
    request: str = Field(min_length=1)
    reply: str
    gives: bool
    kind: str

    @model_validator(mode="after")
    def _label_matches_kind(self) -> FulfilmentPair:
        if self.kind not in GIVING_KINDS | WITHHOLDING_KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.gives != (self.kind in GIVING_KINDS):
            raise ValueError(f"kind {self.kind!r} with gives={self.gives}")
        return self


class FulfilmentPairsFile(_Strict):
    """One split of labelled pairs."""

    split: str = Field(pattern=r"^(train|dev)$")
    source: str
    built_by: str
    pairs: list[FulfilmentPair] = Field(min_length=1)


class FitSettings(_Strict):
    """How the two readers are fitted (``fulfilment.yaml``)."""

    C_request: float = Field(gt=0)
    C_fulfilment: float = Field(gt=0)
    seed: int
    threshold_grid: dict[str, float]


def fit_settings(path: Path = SETTINGS_FILE) -> FitSettings:
    """The validated fitting settings."""
    return FitSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def pair_files(split: str, pairs_dir: Path = PAIRS_DIR) -> dict[str, Path]:
    """The pair file of ``split`` of each source, by source name."""
    return {source: pairs_dir / f"{prefix}{split}.yaml" for source, prefix in PAIR_SOURCES.items()}


def load_pair_file(path: Path, split: str) -> list[FulfilmentPair]:
    """The validated pairs of one file, which must be of ``split``."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)  # noqa: S506 (a safe loader)
        parsed = FulfilmentPairsFile.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise FulfilmentError(f"{path}: cannot read fulfilment pairs: {exc}") from exc
    if parsed.split != split:
        raise FulfilmentError(f"{path}: holds the {parsed.split} split, expected {split}")
    return parsed.pairs


def load_pairs_by_source(split: str, pairs_dir: Path = PAIRS_DIR) -> dict[str, list[FulfilmentPair]]:
    """The labelled pairs of ``split`` (``train`` or ``dev``) by source."""
    return {source: load_pair_file(path, split) for source, path in pair_files(split, pairs_dir).items()}


def load_pairs(split: str, pairs_dir: Path = PAIRS_DIR) -> list[FulfilmentPair]:
    """The labelled pairs of ``split`` (``train`` or ``dev``), all sources."""
    return [pair for pairs in load_pairs_by_source(split, pairs_dir).values() for pair in pairs]


def pairs_key(pairs_dir: Path = PAIRS_DIR) -> str:
    """Hash of every pair file (what a shipped model was fitted and measured on)."""
    digest = hashlib.sha256()
    for split in ("train", "dev"):
        for path in pair_files(split, pairs_dir).values():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pair_features(requests: np.ndarray, replies: np.ndarray) -> np.ndarray:
    """Rows of [reply, request × reply, |request − reply|] for aligned request and reply vectors."""
    return np.concatenate([replies, requests * replies, np.abs(requests - replies)], axis=1)


@dataclass(frozen=True)
class FulfilmentModel:
    """The two fitted readers and where they came from."""

    request_weights: np.ndarray
    request_bias: float
    request_threshold: float
    fulfil_weights: np.ndarray
    fulfil_bias: float
    meta: dict[str, Any]

    def request_probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        """Probability that each customer sentence asks for information."""
        if not sentences:
            return np.zeros(0)
        vectors = sentence_encoder().encode(list(sentences))
        return _sigmoid(vectors @ self.request_weights + self.request_bias)

    def fulfil_probabilities(self, requests: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        """Probability that each reply gives what the request before it asked for."""
        if not requests:
            return np.zeros(0)
        encoder = sentence_encoder()
        features = pair_features(encoder.encode(list(requests)), encoder.encode(list(replies)))
        return _sigmoid(features @ self.fulfil_weights + self.fulfil_bias)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-logits)))


def _request_data(pairs: Sequence[FulfilmentPair]) -> tuple[list[str], np.ndarray]:
    labels: dict[str, int] = {}
    for pair in pairs:
        labels[pair.request] = int(pair.kind != NOT_A_REQUEST)
    return list(labels), np.array(list(labels.values()), dtype=np.int8)


def _fulfil_data(pairs: Sequence[FulfilmentPair]) -> tuple[np.ndarray, np.ndarray]:
    kept = [pair for pair in pairs if pair.kind != NOT_A_REQUEST]
    encoder = sentence_encoder()
    features = pair_features(encoder.encode([p.request for p in kept]), encoder.encode([p.reply for p in kept]))
    return features, np.array([int(p.gives) for p in kept], dtype=np.int8)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def _request_labels_and_calls(
    model: FulfilmentModel, pairs: Sequence[FulfilmentPair], language: str, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    texts, labels = _request_data([pair for pair in pairs if pair.language == language])
    return labels, (model.request_probabilities(texts) >= threshold).astype(np.int8)


def _fulfil_figures(model: FulfilmentModel, pairs: Sequence[FulfilmentPair]) -> dict[str, dict[str, float]]:
    """Per language: AUC and accuracy of the fulfilment reader, and AUC of complete against one held back."""
    kept = [pair for pair in pairs if pair.kind != NOT_A_REQUEST]
    features, labels = _fulfil_data(kept)
    scores = _sigmoid(features @ model.fulfil_weights + model.fulfil_bias)
    figures: dict[str, dict[str, float]] = {}
    for language in sorted({pair.language for pair in kept}):
        mask = np.array([pair.language == language for pair in kept])
        held_back = np.array([pair.kind in HELD_BACK_CASE for pair in kept]) & mask
        figures[language] = {
            "pairs": int(mask.sum()),
            "auc": round(_auc(labels[mask], scores[mask]), 4),
            "accuracy": round(float(((scores[mask] >= 0.5) == labels[mask]).mean()), 4),
            "auc_complete_vs_partial": round(_auc(labels[held_back], scores[held_back]), 4),
        }
    return figures


def fit_model(pairs_dir: Path = PAIRS_DIR) -> FulfilmentModel:
    """Fit both readers on train, choose the request threshold on dev and measure both there."""
    from sklearn.linear_model import LogisticRegression

    # The act trainer's F1 (one home for it); imported here so grading never loads the trainer.
    from simulator.recognition.training import f1_counts, f1_score

    settings = fit_settings()
    train, dev = load_pairs("train", pairs_dir), load_pairs("dev", pairs_dir)
    encoder = sentence_encoder()
    texts, labels = _request_data(train)
    reader = LogisticRegression(
        C=settings.C_request, class_weight="balanced", random_state=settings.seed, max_iter=2000
    )
    reader.fit(encoder.encode(texts), labels)
    train_x, train_y = _fulfil_data(train)
    fulfil = LogisticRegression(
        C=settings.C_fulfilment, class_weight="balanced", random_state=settings.seed, max_iter=2000
    )
    fulfil.fit(train_x, train_y)
    model = FulfilmentModel(
        request_weights=reader.coef_[0].astype(np.float64),
        request_bias=float(reader.intercept_[0]),
        request_threshold=0.5,
        fulfil_weights=fulfil.coef_[0].astype(np.float64),
        fulfil_bias=float(fulfil.intercept_[0]),
        meta={},
    )
    dev_texts, dev_labels = _request_data(dev)
    dev_request_p = model.request_probabilities(dev_texts)
    g = settings.threshold_grid
    grid = np.round(np.arange(g["start"], g["stop"] + g["step"] / 2, g["step"]), 4)
    f1s = [f1_score(*f1_counts(dev_labels, (dev_request_p >= t).astype(np.int8))) for t in grid]
    threshold = float(grid[int(np.argmax(f1s))])
    dev_by_source = load_pairs_by_source("dev", pairs_dir)
    by_source = {source: _fulfil_figures(model, pairs) for source, pairs in dev_by_source.items()}
    request_f1 = {
        language: round(f1_score(*f1_counts(*_request_labels_and_calls(model, dev, language, threshold))), 4)
        for language in sorted({pair.language for pair in dev})
    }
    meta = {
        "format": 2,
        "pairs_key": pairs_key(pairs_dir),
        "encoder": encoder.model,
        "fit": {"kind": "logreg", **settings.model_dump()},
        "train_pairs": len(train),
        "dev_pairs": len(dev),
        "dev_request_f1": round(max(f1s), 4),
        "dev_request_f1_by_language": request_f1,
        "dev_fulfilment": by_source,
    }
    return FulfilmentModel(
        model.request_weights, model.request_bias, threshold, model.fulfil_weights, model.fulfil_bias, meta
    )


def save_model(model: FulfilmentModel, path: Path = MODEL_FILE) -> None:
    """Write the model as JSON (numbers and provenance only)."""
    payload = {
        **model.meta,
        "request_threshold": model.request_threshold,
        "request_bias": round(model.request_bias, 6),
        "request_weights": [round(float(w), 6) for w in model.request_weights],
        "fulfil_bias": round(model.fulfil_bias, 6),
        "fulfil_weights": [round(float(w), 6) for w in model.fulfil_weights],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_model(path: Path = MODEL_FILE) -> FulfilmentModel | None:
    """The shipped model, or None when none is shipped (the signal is then not applicable)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = {key: value for key, value in data.items() if not key.startswith(("request_", "fulfil_"))}
    return FulfilmentModel(
        request_weights=np.asarray(data["request_weights"], dtype=np.float32),
        request_bias=float(data["request_bias"]),
        request_threshold=float(data["request_threshold"]),
        fulfil_weights=np.asarray(data["fulfil_weights"], dtype=np.float32),
        fulfil_bias=float(data["fulfil_bias"]),
        meta=meta,
    )
