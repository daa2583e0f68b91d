"""Brush-off check: is a sentence read as a brush-off by meaning nearer a known brush-off or a known courtesy?

The recogniser flags forbidden phrasing by meaning alone (``RecognizedTurn.forbidden_by_meaning``), and on
real logs it flags lines that serve the customer: STAR's medication instructions ("If you experience
nausea, please contact your doctor immediately."), a description with a "but" ("It is expensive but very
classy."), an invitation to call again. This check reads such a sentence once more against labelled data,
nearest neighbours in e5 space:

- the *brush-offs*: the acts corpus's ``forbidden_phrase`` sentences of the train split, summarised as
  k-means centroids (``brush_off_check.yaml``: how many);
- the *not brush-offs*: the hand-written sentences of ``brush_off_check/train.yaml`` (advice that sends
  the customer to a doctor or the police, honest descriptions, invitations to get in touch again,
  instructions, a no-match that offers another search).

A flagged sentence whose nearest not-brush-off is closer than its nearest brush-off centroid is
*cleared*: ``rules.check_forbidden_phrases`` makes no finding of it, so no signal, score cap or per-turn
note counts it and the scorecard does not show it. Listed wording is never cleared.
``python -m simulator.grading.brush_off_check`` fits it and prints the dev figures (corpus dev brush-offs
cleared — should be none — and hand-written dev sentences cleared); the fitted file is
``brush_off_check.json``. Without that file nothing is cleared.
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
from pydantic import BaseModel, ConfigDict, Field

from simulator.recognition.encoder import sentence_encoder

DATA_DIR = Path(__file__).with_name("brush_off_check")
MODEL_FILE = Path(__file__).with_name("brush_off_check.json")
SETTINGS_FILE = Path(__file__).with_name("brush_off_check.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSettings(_Strict):
    """How the check is fitted (``brush_off_check.yaml``)."""

    brush_off_clusters: int = Field(gt=0)
    seed: int


class NotBrushOffFile(_Strict):
    """One split of hand-written sentences that are not brush-offs, by language."""

    split: str = Field(pattern=r"^(train|dev)$")
    source: str
    sentences: dict[str, list[str]]


def settings(path: Path = SETTINGS_FILE) -> CheckSettings:
    """The fit settings."""
    return CheckSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def not_brush_offs(split: str, data_dir: Path = DATA_DIR) -> list[str]:
    """The hand-written not-brush-off sentences of ``split`` (all languages)."""
    data = NotBrushOffFile.model_validate(yaml.safe_load((data_dir / f"{split}.yaml").read_text(encoding="utf-8")))
    return [sentence for sentences in data.sentences.values() for sentence in sentences]


def data_key(data_dir: Path = DATA_DIR) -> str:
    """SHA-256 (first 16 hex) of the hand-written files and the fit settings."""
    digest = hashlib.sha256()
    for path in (*sorted(data_dir.glob("*.yaml")), SETTINGS_FILE):
        digest.update(path.name.encode() + b"\n" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class BrushOffCheck:
    """Unit vectors of brush-off centroids and of not-brush-off sentences."""

    brush_offs: np.ndarray
    courtesies: np.ndarray
    meta: dict[str, Any]

    def margins(self, sentences: Sequence[str]) -> np.ndarray:
        """Nearest not-brush-off similarity minus nearest brush-off similarity, per sentence."""
        if not sentences:
            return np.zeros(0)
        vectors = sentence_encoder().encode(list(sentences))
        return np.asarray((vectors @ self.courtesies.T).max(axis=1) - (vectors @ self.brush_offs.T).max(axis=1))

    def cleared(self, sentences: Sequence[str]) -> list[bool]:
        """True for each sentence nearer a not-brush-off than any brush-off."""
        return [bool(margin > 0) for margin in self.margins(sentences)]


def _unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def fit_check(data_dir: Path = DATA_DIR) -> BrushOffCheck:
    """Fit on the corpus train split and the hand-written train sentences; measure on both dev splits."""
    from sklearn.cluster import KMeans

    from simulator.models import DialogueAct
    from simulator.recognition.corpus import load_corpus

    chosen = settings()
    encoder = sentence_encoder()
    corpus = load_corpus(("train", "dev"))
    train_brush_offs = [s.text for s in corpus.select("train") if DialogueAct.forbidden_phrase in s.acts]
    clusters = KMeans(chosen.brush_off_clusters, n_init=1, random_state=chosen.seed)
    clusters.fit(encoder.encode(train_brush_offs))
    check = BrushOffCheck(
        _unit(clusters.cluster_centers_), _unit(encoder.encode(not_brush_offs("train", data_dir))), {}
    )
    dev = corpus.select("dev")
    dev_brush_offs = [s.text for s in dev if DialogueAct.forbidden_phrase in s.acts]
    dev_others = [s.text for s in dev if DialogueAct.forbidden_phrase not in s.acts]
    hand_dev = not_brush_offs("dev", data_dir)
    meta = {
        "format": 1,
        "data_key": data_key(data_dir),
        "corpus_train_hash": corpus.hashes.get("train"),
        "encoder": encoder.model,
        "train_brush_offs": len(train_brush_offs),
        "train_not_brush_offs": len(check.courtesies),
        "dev_brush_offs_cleared": f"{sum(check.cleared(dev_brush_offs))}/{len(dev_brush_offs)}",
        "dev_other_corpus_cleared": f"{sum(check.cleared(dev_others))}/{len(dev_others)}",
        "dev_not_brush_offs_cleared": f"{sum(check.cleared(hand_dev))}/{len(hand_dev)}",
    }
    return BrushOffCheck(check.brush_offs, check.courtesies, meta)


def save_check(check: BrushOffCheck, path: Path = MODEL_FILE) -> None:
    """Write the check as JSON (vectors rounded, provenance)."""
    payload = {
        **check.meta,
        "brush_offs": [[round(float(x), 5) for x in row] for row in check.brush_offs],
        "courtesies": [[round(float(x), 5) for x in row] for row in check.courtesies],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_check(path: Path = MODEL_FILE) -> BrushOffCheck | None:
    """The fitted check, or None when none is shipped (then nothing is cleared)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = {key: value for key, value in data.items() if key not in ("brush_offs", "courtesies")}
    return BrushOffCheck(
        np.asarray(data["brush_offs"], dtype=np.float32), np.asarray(data["courtesies"], dtype=np.float32), meta
    )


def uncleared(sentences: Sequence[str], check: BrushOffCheck | None = None) -> list[str]:
    """The sentences read as brush-offs by meaning alone that the check does not clear (all of them
    when no check is fitted)."""
    check = check if check is not None else shipped_check()
    if check is None or not sentences:
        return list(sentences)
    return [sentence for sentence, cleared in zip(sentences, check.cleared(sentences), strict=True) if not cleared]


def main() -> None:
    """Fit, write ``brush_off_check.json`` and print its dev figures."""
    check = fit_check()
    save_check(check)
    print(json.dumps(check.meta, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
