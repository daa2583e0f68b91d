"""The trained act classifier, shipped in the package and applied with numpy alone.

Two files in ``simulator/recognition/model/`` hold it, written by ``drill train acts``:

- ``acts.json``: the format version, the hash of what it was fitted and chosen on (the *corpus
  key*: the train and dev splits and ``training.yaml``, never the test split), the encoder, the
  feature names, the act order, the layer activations, the per-language thresholds chosen on dev,
  the training settings and the dev figures;
- ``acts.npz``: the arrays (feature centring and scaling, each layer's weights and biases, and,
  for each n-gram block — character, word — its IDF weights and its weights into the first
  layer), read with ``allow_pickle=False``; each block's kind, range and vocabulary are in
  ``acts.json``.

A forward pass is: standardise the dense features and scale them by ``dense_weight``, add each
n-gram block's TF-IDF values times its weights, then the layers (ReLU between, sigmoid at the end):
one probability per act. The *score* callers see rescales each probability piecewise-linearly so that the act's own
threshold sits at 0.5: an act is recognised exactly when its score is at least 0.5, whatever
threshold dev chose for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.errors import DrillError
from simulator.models import LANGUAGES, DialogueAct, Language
from simulator.recognition.ngrams import NGRAM_KINDS, Ngrams

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FORMAT = 2  # 2: a list of n-gram blocks (character, word) instead of one character block
RECOGNISED = 0.5  # a score at or above this means the act is recognised


class ActModelError(DrillError):
    """The shipped act model is missing, unreadable or does not fit this code."""


@dataclass(frozen=True)
class NgramBlock:
    """One kind of n-grams and their weights into the first layer, shape ``(vocabulary, width)``."""

    ngrams: Ngrams
    weights: np.ndarray


@dataclass(frozen=True)
class ActModel:
    """A loaded classifier: arrays, thresholds and where they came from."""

    acts: tuple[DialogueAct, ...]
    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    thresholds: dict[Language, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    ngram_blocks: tuple[NgramBlock, ...] = ()
    dense_weight: float = 1.0

    @property
    def corpus_key(self) -> str:
        """Hash of what this model was fitted and chosen on: the train and dev splits and ``training.yaml``."""
        return str(self.meta.get("corpus", {}).get("key", ""))

    def probabilities(self, features: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Per-act probabilities for ``(n, features)`` dense features of ``texts``: ``(n, acts)``."""
        hidden = self.dense_weight * (features - self.mean) / self.scale
        for index, (weights, bias) in enumerate(self.layers):
            hidden = hidden @ weights + bias
            if index == 0:
                for block in self.ngram_blocks:
                    for row, (columns, values) in enumerate(block.ngrams.rows(texts)):
                        if columns.size:
                            hidden[row] += values @ block.weights[columns]
            if index < len(self.layers) - 1:
                hidden = np.maximum(hidden, 0.0)
        return 1.0 / (1.0 + np.exp(-np.clip(hidden, -40, 40)))

    def scores(self, probabilities: np.ndarray, languages: list[Language]) -> np.ndarray:
        """Probabilities rescaled per act and language so that each threshold maps to 0.5."""
        thresholds = np.vstack([self.thresholds[language] for language in languages])
        return rescale(probabilities, thresholds)


def rescale(probabilities: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Piecewise-linear map of [0, t] onto [0, 0.5] and [t, 1] onto [0.5, 1], elementwise."""
    t = np.clip(thresholds, 1e-6, 1 - 1e-6)
    below = 0.5 * probabilities / t
    above = 0.5 + 0.5 * (probabilities - t) / (1 - t)
    return np.where(probabilities < t, below, above)


def save_model(model: ActModel, directory: Path = MODEL_DIR) -> None:
    """Write ``acts.json`` and ``acts.npz`` (deterministic bytes for the same model)."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {"mean": model.mean, "scale": model.scale}
    for index, (weights, bias) in enumerate(model.layers):
        arrays[f"w{index}"] = weights.astype(np.float32)
        arrays[f"b{index}"] = bias.astype(np.float32)
    for index, block in enumerate(model.ngram_blocks):
        arrays[f"ngram{index}_idf"] = block.ngrams.idf.astype(np.float32)
        arrays[f"ngram{index}_w"] = block.weights.astype(np.float32)
    np.savez_compressed(directory / "acts.npz", **arrays)  # type: ignore[arg-type]
    meta = dict(model.meta)
    meta.update(
        {
            "format": MODEL_FORMAT,
            "acts": [act.value for act in model.acts],
            "features": list(model.feature_names),
            "layers": len(model.layers),
            "dense_weight": model.dense_weight,
            "ngrams": [
                {
                    "kind": block.ngrams.kind,
                    "range": [block.ngrams.low, block.ngrams.high],
                    "vocabulary": sorted(block.ngrams.vocabulary, key=block.ngrams.vocabulary.__getitem__),
                }
                for block in model.ngram_blocks
            ],
            "thresholds": {
                language: {
                    act.value: round(float(t), 4) for act, t in zip(model.acts, model.thresholds[language], strict=True)
                }
                for language in LANGUAGES
            },
        }
    )
    (directory / "acts.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_model(directory: Path = MODEL_DIR) -> ActModel:
    """Read the model files; raise ``ActModelError`` saying what is wrong and how to rebuild."""
    rebuild = "rebuild it with `drill train acts`"
    try:
        meta = json.loads((directory / "acts.json").read_text(encoding="utf-8"))
        with np.load(directory / "acts.npz", allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise ActModelError(f"cannot read the act model in {directory}: {exc}; {rebuild}") from exc
    if meta.get("format") != MODEL_FORMAT:
        raise ActModelError(
            f"{directory}/acts.json has format {meta.get('format')}, expected {MODEL_FORMAT}; {rebuild}"
        )
    try:
        acts = tuple(DialogueAct(name) for name in meta["acts"])
        layers = tuple((arrays[f"w{i}"], arrays[f"b{i}"]) for i in range(int(meta["layers"])))
        thresholds: dict[Language, np.ndarray] = {
            language: np.asarray([meta["thresholds"][language][act.value] for act in acts], dtype=np.float32)
            for language in LANGUAGES
        }
        blocks = []
        for index, block in enumerate(meta.get("ngrams") or []):
            kind = next((known for known in NGRAM_KINDS if known == block["kind"]), None)
            if kind is None:
                raise ValueError(f"n-gram kind {block['kind']!r}")
            ngrams = Ngrams(
                vocabulary={gram: column for column, gram in enumerate(block["vocabulary"])},
                idf=arrays[f"ngram{index}_idf"],
                low=int(block["range"][0]),
                high=int(block["range"][1]),
                kind=kind,
            )
            blocks.append(NgramBlock(ngrams, arrays[f"ngram{index}_w"]))
        model = ActModel(
            acts=acts,
            feature_names=tuple(meta["features"]),
            mean=arrays["mean"],
            scale=arrays["scale"],
            layers=layers,
            thresholds=thresholds,
            meta=meta,
            ngram_blocks=tuple(blocks),
            dense_weight=float(meta.get("dense_weight", 1.0)),
        )
    except (KeyError, ValueError) as exc:
        raise ActModelError(
            f"the act model in {directory} is incomplete or names an unknown act or n-gram kind ({exc}); {rebuild}"
        ) from exc
    if layers[-1][0].shape[1] != len(acts) or layers[0][0].shape[0] != len(model.feature_names):
        raise ActModelError(
            f"the act model in {directory} has arrays that do not fit its act and feature lists; {rebuild}"
        )
    return model


_MODEL: ActModel | None = None
_LOCK = threading.Lock()


def shipped_model() -> ActModel:
    """The model shipped in the package, loaded once per process."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            _MODEL = load_model()
        return _MODEL
