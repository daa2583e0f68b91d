"""Fit the act classifier on the train split and choose it and its thresholds on dev.

``train_model`` reads ``training.yaml`` (the candidates, the threshold grid and the recall-first
acts), fits every candidate on train with scikit-learn, picks per-language per-act thresholds on
dev, keeps the candidate with the best mean macro-F1 over the languages and returns it as an
:class:`~simulator.recognition.classifier.ActModel` keyed by :func:`model_key` (train, dev and
``training.yaml``). The test split is never loaded here. scikit-learn is imported only when training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from simulator.errors import DrillError
from simulator.models import LANGUAGES, LEARNED_ACTS, DialogueAct, Language
from simulator.recognition.classifier import ActModel, NgramBlock
from simulator.recognition.corpus import CORPUS_DIR, LabelledSentence, load_corpus, split_hash
from simulator.recognition.encoder import model_id
from simulator.recognition.features import FEATURE_NAMES, feature_matrix
from simulator.recognition.ngrams import NgramKind, Ngrams, analyzer
from simulator.recognition.out_of_author import out_of_author_probabilities

TRAINING_FILE = Path(__file__).resolve().parent / "training.yaml"
EMBED_CHUNK = 64


class TrainingError(DrillError):
    """The corpus or the training settings do not allow a model to be fitted."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Candidate(_Strict):
    """One classifier to try."""

    kind: Literal["logreg", "mlp"]
    C: float = Field(default=1.0, gt=0)
    hidden: int = Field(default=256, ge=8)
    alpha: float = Field(default=0.001, ge=0)
    ngrams: bool = False
    ngram_range: tuple[int, int] = (1, 3)
    ngram_min_df: int = Field(default=2, ge=1)
    dense_weight: float = Field(default=1.0, gt=0)
    word_ngrams: bool = False
    word_ngram_range: tuple[int, int] = (1, 2)
    word_ngram_min_df: int = Field(default=2, ge=1)
    word_ngram_weight: float = Field(default=1.0, gt=0)
    class_weight: Literal["balanced", "none"] = "balanced"

    def label(self) -> str:
        base = f"logreg C={self.C:g}" if self.kind == "logreg" else f"mlp hidden={self.hidden} alpha={self.alpha:g}"
        if self.ngrams:
            low, high = self.ngram_range
            base += f" + char {low}-{high}-grams"
        if self.word_ngrams:
            low, high = self.word_ngram_range
            base += f" + word {low}-{high}-grams (weight {self.word_ngram_weight:g})"
        if self.ngrams or self.word_ngrams:
            base += f" (dense weight {self.dense_weight:g})"
        if self.class_weight != "balanced":
            base += f" (class weight {self.class_weight})"
        return base

    def ngram_kinds(self) -> list[tuple[NgramKind, tuple[int, int], int, float]]:
        """The n-gram blocks this candidate adds: (kind, range, min_df, weight)."""
        blocks: list[tuple[NgramKind, tuple[int, int], int, float]] = []
        if self.ngrams:
            blocks.append(("char_wb", self.ngram_range, self.ngram_min_df, 1.0))
        if self.word_ngrams:
            blocks.append(("word", self.word_ngram_range, self.word_ngram_min_df, self.word_ngram_weight))
        return blocks


class Grid(_Strict):
    start: float = Field(gt=0, lt=1)
    stop: float = Field(gt=0, lt=1)
    step: float = Field(gt=0, lt=1)

    def values(self) -> np.ndarray:
        return np.round(np.arange(self.start, self.stop + self.step / 2, self.step), 4)


class RecallFirst(_Strict):
    min_recall: float = Field(gt=0, le=1)
    min_precision: float = Field(gt=0, le=1)


class TrainingSettings(_Strict):
    """``training.yaml``."""

    candidates: list[Candidate] = Field(min_length=1)
    threshold_grid: Grid
    threshold_scope: Literal["pooled", "language", "shared"] = "pooled"
    # With `shared` scope: how far each act's own dev threshold pulls it away from its language's
    # shared threshold (0: the shared threshold alone; 1: the act's own, as `language` scope).
    act_threshold_weight: float = Field(default=0.0, ge=0, le=1)
    min_dev_positives: int = Field(ge=1)
    default_threshold: float = Field(gt=0, lt=1)
    recall_first: dict[DialogueAct, RecallFirst] = Field(default_factory=dict)
    # `dev`: the candidate with the best mean macro-F1 on dev, thresholds chosen on dev itself.
    # `cross_author`: thresholds chosen on one dev author and measured on another, mean over every
    # ordered pair of dev authors (needs two; with one, `dev`).
    choose_by: Literal["dev", "cross_author"] = "dev"
    # `dev`: thresholds chosen on dev's probabilities alone. `dev_and_out_of_author`: on dev's pooled
    # with every train sentence's out-of-author probability (train sources in `author_folds` folds,
    # each predicted by the candidate fitted without its fold): chosen on many authors, not two.
    thresholds_from: Literal["dev", "dev_and_out_of_author"] = "dev"
    author_folds: int = Field(default=5, ge=2)
    seed: int = 0


def model_key(corpus_dir: Path = CORPUS_DIR, training_file: Path = TRAINING_FILE) -> str:
    """What a shipped model is keyed by: a hash of the train and dev splits and ``training.yaml``.

    Exactly what the model was fitted and chosen on (the settings as validated, so comments do not
    count), nothing else: the test split is left out, so
    adding or replacing a frozen test split never makes the shipped model look stale (its hash is
    printed by ``drill eval acts`` on its own).
    """
    digest = hashlib.sha256(split_hash(["train", "dev"], corpus_dir).encode())
    digest.update(b"\ntraining.yaml\n")
    # The validated settings, not the file's bytes: the measurement notes in its comments may grow
    # without making the shipped model stale.
    digest.update(load_settings(training_file).model_dump_json().encode())
    return digest.hexdigest()[:16]


def load_settings(path: Path = TRAINING_FILE) -> TrainingSettings:
    """Read and validate the training settings."""
    try:
        return TrainingSettings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise TrainingError(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class Labelled:
    """Features and 0/1 labels of one split."""

    features: np.ndarray
    labels: np.ndarray  # (n, len(LEARNED_ACTS))
    languages: list[Language]
    texts: list[str]


def labelled_matrix(
    sentences: Sequence[LabelledSentence], progress: Callable[[int, int], None] | None = None
) -> Labelled:
    """Embed ``sentences`` (in chunks, so an interrupted run keeps its cached vectors)."""
    texts = [s.text for s in sentences]
    languages: list[Language] = [s.language for s in sentences]
    parts = []
    for start in range(0, len(texts), EMBED_CHUNK):
        parts.append(feature_matrix(texts[start : start + EMBED_CHUNK], languages[start : start + EMBED_CHUNK]))
        if progress:
            progress(min(start + EMBED_CHUNK, len(texts)), len(texts))
    features = np.vstack(parts) if parts else np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    labels = np.asarray([[act in s.acts for act in LEARNED_ACTS] for s in sentences], dtype=np.int8)
    return Labelled(features, labels.reshape(len(sentences), len(LEARNED_ACTS)), languages, texts)


def f1_counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of two 0/1 vectors."""
    tp = int(np.sum((truth == 1) & (predicted == 1)))
    fp = int(np.sum((truth == 0) & (predicted == 1)))
    fn = int(np.sum((truth == 1) & (predicted == 0)))
    return tp, fp, fn


def f1_score(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (0 when there is nothing to find and nothing was found wrongly... or at all)."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_threshold(truth: np.ndarray, probabilities: np.ndarray, grid: np.ndarray, rule: RecallFirst | None) -> float:
    """The threshold for one act on dev: F1-best (middle of the best run), or recall-first.

    Recall-first: among thresholds that keep precision at ``min_precision``, the highest one that
    reaches ``min_recall``; if none reaches it, the one with the best recall (the highest on a tie).
    """
    f1s = [f1_score(*f1_counts(truth, (probabilities >= threshold).astype(np.int8))) for threshold in grid]
    if rule is not None:
        feasible: list[tuple[float, float]] = []  # (recall, threshold)
        for threshold in grid:
            tp, fp, fn = f1_counts(truth, (probabilities >= threshold).astype(np.int8))
            recall = tp / (tp + fn) if tp + fn else 0.0
            precision = tp / (tp + fp) if tp + fp else 0.0
            if precision >= rule.min_precision:
                feasible.append((recall, float(threshold)))
        reaching = [threshold for recall, threshold in feasible if recall >= rule.min_recall]
        if reaching:
            return max(reaching)
        if feasible:
            return max(feasible)[1]
    best = max(f1s)
    run = [float(t) for t, f in zip(grid, f1s, strict=True) if f >= best - 1e-9]
    return run[len(run) // 2]


def shared_threshold(labels: np.ndarray, probabilities: np.ndarray, grid: np.ndarray, skip: set[int]) -> float | None:
    """One threshold for every act but ``skip``: the grid value with the best macro-F1 (middle of the best run)."""
    keep = [index for index in range(labels.shape[1]) if index not in skip and labels[:, index].sum()]
    if not keep:
        return None
    scores = [macro_f1(labels[:, keep], (probabilities[:, keep] >= threshold).astype(np.int8)) for threshold in grid]
    best = max(scores)
    run = [float(t) for t, f in zip(grid, scores, strict=True) if f >= best - 1e-9]
    return run[len(run) // 2]


def choose_thresholds(
    dev: Labelled, probabilities: np.ndarray, settings: TrainingSettings
) -> dict[Language, np.ndarray]:
    """Per-language, per-act thresholds chosen on dev (pooled or default when positives are few).

    ``shared`` scope: one threshold per language for every act without a recall-first rule, pulled
    toward each act's own dev threshold by ``act_threshold_weight``; recall-first acts keep their own.
    """
    grid = settings.threshold_grid.values()
    languages = np.asarray(dev.languages)
    per_language = settings.threshold_scope in ("language", "shared")
    ruled = {index for index, act in enumerate(LEARNED_ACTS) if act in settings.recall_first}
    result: dict[Language, np.ndarray] = {}
    for language in LANGUAGES:
        row = []
        mask = languages == language
        for index, act in enumerate(LEARNED_ACTS):
            rule = settings.recall_first.get(act)
            truth, probs = dev.labels[mask, index], probabilities[mask, index]
            if per_language and truth.sum() >= settings.min_dev_positives:
                row.append(choose_threshold(truth, probs, grid, rule))
            elif dev.labels[:, index].sum() >= settings.min_dev_positives:
                row.append(choose_threshold(dev.labels[:, index], probabilities[:, index], grid, rule))
            else:
                row.append(settings.default_threshold)
        thresholds = np.asarray(row, dtype=np.float32)
        shared = (
            shared_threshold(dev.labels[mask], probabilities[mask], grid, ruled)
            if settings.threshold_scope == "shared"
            else None
        )
        if shared is not None:
            weight = settings.act_threshold_weight
            for index in range(len(LEARNED_ACTS)):
                if index not in ruled:
                    thresholds[index] = shared + weight * (thresholds[index] - shared)
        result[language] = thresholds
    return result


def macro_f1(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean F1 over the acts that occur in ``labels``."""
    scores = [
        f1_score(*f1_counts(labels[:, index], predicted[:, index]))
        for index in range(labels.shape[1])
        if labels[:, index].sum()
    ]
    return float(np.mean(scores)) if scores else 0.0


def _subset(data: Labelled, mask: np.ndarray) -> Labelled:
    rows = np.flatnonzero(mask)
    return Labelled(
        data.features[rows], data.labels[rows], [data.languages[i] for i in rows], [data.texts[i] for i in rows]
    )


def macro_by_language(
    data: Labelled, probabilities: np.ndarray, thresholds: dict[Language, np.ndarray]
) -> dict[Language, float]:
    """Macro-F1 per language of ``data`` at ``thresholds``."""
    result: dict[Language, float] = {}
    for language in LANGUAGES:
        mask = np.asarray(data.languages) == language
        if mask.any():
            predicted = (probabilities[mask] >= thresholds[language]).astype(np.int8)
            result[language] = round(macro_f1(data.labels[mask], predicted), 4)
    return result


def _joined(first: Labelled, second: Labelled) -> Labelled:
    return Labelled(
        np.vstack([first.features, second.features]),
        np.vstack([first.labels, second.labels]),
        [*first.languages, *second.languages],
        [*first.texts, *second.texts],
    )


def cross_author_f1(
    dev: Labelled,
    probabilities: np.ndarray,
    sources: Sequence[str],
    settings: TrainingSettings,
    pooled: tuple[Labelled, np.ndarray] | None = None,
) -> dict[Language, float]:
    """Per language, the mean macro-F1 on one dev author at thresholds chosen on another (every ordered pair).

    How a threshold policy and a candidate carry to an author that chose nothing: the honest check
    of what dev alone would flatter. ``pooled`` (out-of-author train predictions) joins every
    chooser, as it does when the shipped thresholds are chosen. Empty with fewer than two dev authors.
    """
    names = sorted(set(sources))
    column = np.asarray(sources)
    figures: dict[Language, list[float]] = {}
    for chooser in names:
        for measured in names:
            if chooser == measured:
                continue
            choose_mask, measure_mask = column == chooser, column == measured
            chosen_on, chosen_probabilities = _subset(dev, choose_mask), probabilities[choose_mask]
            if pooled is not None:
                chosen_on = _joined(pooled[0], chosen_on)
                chosen_probabilities = np.vstack([pooled[1], chosen_probabilities])
            thresholds = choose_thresholds(chosen_on, chosen_probabilities, settings)
            scored = macro_by_language(_subset(dev, measure_mask), probabilities[measure_mask], thresholds)
            for language, value in scored.items():
                figures.setdefault(language, []).append(value)
    return {language: round(float(np.mean(values)), 4) for language, values in figures.items()}


def _fit(candidate: Candidate, train: Labelled, seed: int) -> ActModel:
    """Fit one candidate on train; thresholds are left empty (chosen on dev by the caller)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train.features)
    dense = scaler.transform(train.features) * candidate.dense_weight
    mean = scaler.mean_.astype(np.float32)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0).astype(np.float32)
    n_acts = train.labels.shape[1]
    fitted_ngrams: list[tuple[Ngrams, float]] = []  # each block and the weight its values are scaled by
    x: Any = dense
    if candidate.ngram_kinds():
        from scipy.sparse import csr_matrix, hstack

        parts: list[Any] = [csr_matrix(dense)]
        for kind, (low, high), min_df, block_weight in candidate.ngram_kinds():
            vectorizer = TfidfVectorizer(analyzer=analyzer(kind, low, high), min_df=min_df, sublinear_tf=True)
            parts.append(vectorizer.fit_transform(train.texts) * block_weight)
            vocabulary = {gram: int(column) for gram, column in vectorizer.vocabulary_.items()}
            idf = vectorizer.idf_.astype(np.float32)
            fitted_ngrams.append((Ngrams(vocabulary, idf, low, high, kind), block_weight))
        x = hstack(parts).tocsr()
    width = dense.shape[1]
    if candidate.kind == "logreg":
        weights = np.zeros((x.shape[1], n_acts), dtype=np.float32)
        bias = np.full(n_acts, -20.0, dtype=np.float32)  # an act without train positives never fires
        for index in range(n_acts):
            y = train.labels[:, index]
            if 0 < y.sum() < len(y):
                fitted = LogisticRegression(
                    C=candidate.C,
                    max_iter=3000,
                    class_weight="balanced" if candidate.class_weight == "balanced" else None,
                ).fit(x, y)
                weights[:, index] = fitted.coef_[0]
                bias[index] = fitted.intercept_[0]
        layers = [(weights[:width], bias)]
        sparse_weights = weights[width:]
    else:
        mlp = MLPClassifier(
            hidden_layer_sizes=(candidate.hidden,), alpha=candidate.alpha, max_iter=300, random_state=seed
        ).fit(x, train.labels)
        fitted_layers = [
            (w.astype(np.float32), b.astype(np.float32)) for w, b in zip(mlp.coefs_, mlp.intercepts_, strict=True)
        ]
        first, first_bias = fitted_layers[0]
        layers = [(first[:width], first_bias), *fitted_layers[1:]]
        sparse_weights = first[width:]
    blocks = []
    offset = 0
    for ngrams, block_weight in fitted_ngrams:
        size = len(ngrams.vocabulary)
        # The block's scale is folded into its weights, so applying the model needs no extra setting.
        blocks.append(NgramBlock(ngrams, (sparse_weights[offset : offset + size] * block_weight).astype(np.float32)))
        offset += size
    return ActModel(
        LEARNED_ACTS,
        FEATURE_NAMES,
        mean,
        scale,
        tuple(layers),
        {},
        {},
        ngram_blocks=tuple(blocks),
        dense_weight=candidate.dense_weight,
    )


def _out_of_author(
    candidate: Candidate, train: Labelled, sources: Sequence[str], settings: TrainingSettings
) -> np.ndarray:
    """Every train sentence's probabilities from ``candidate`` fitted without its source's fold."""

    def fit_without(held: np.ndarray) -> ActModel:
        return _fit(candidate, _subset(train, ~held), settings.seed)

    def predict(model: ActModel, held: np.ndarray) -> np.ndarray:
        part = _subset(train, held)
        return model.probabilities(part.features, part.texts)

    return out_of_author_probabilities(sources, settings.author_folds, fit_without, predict)


@dataclass(frozen=True)
class TrainingRun:
    """The chosen model and how every candidate did on dev."""

    model: ActModel
    candidates: list[dict[str, Any]]


def train_model(
    corpus_dir: Path = CORPUS_DIR,
    settings: TrainingSettings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainingRun:
    """Fit every candidate on train, choose on dev, return the best as an ``ActModel``."""
    settings = settings or load_settings()
    corpus = load_corpus(("train", "dev"), corpus_dir)
    train_sentences, dev_sentences = corpus.select("train"), corpus.select("dev")
    if not train_sentences:
        raise TrainingError(f"no train sentences under {corpus_dir}/train; the classifier has nothing to learn from")

    def step(name: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(name, done, total)) if progress else None

    train = labelled_matrix(train_sentences, step("embedding train"))
    dev = labelled_matrix(dev_sentences, step("embedding dev")) if dev_sentences else None
    dev_sources = [s.source for s in dev_sentences]
    tuned_on = dev or train  # without a dev split, thresholds come from train (reported as such)
    results: list[dict[str, Any]] = []
    models: list[ActModel] = []
    for candidate in settings.candidates:
        draft = _fit(candidate, train, settings.seed)
        probabilities = draft.probabilities(tuned_on.features, tuned_on.texts)
        pooled = (
            (train, _out_of_author(candidate, train, [s.source for s in train_sentences], settings))
            if settings.thresholds_from == "dev_and_out_of_author" and dev is not None
            else None
        )
        chosen_on, chosen_probabilities = (
            (_joined(pooled[0], tuned_on), np.vstack([pooled[1], probabilities]))
            if pooled
            else (tuned_on, probabilities)
        )
        thresholds = choose_thresholds(chosen_on, chosen_probabilities, settings)
        per_language = macro_by_language(tuned_on, probabilities, thresholds)
        row: dict[str, Any] = {"candidate": candidate.label(), "dev_macro_f1": per_language}
        if pooled:
            # Thresholds chosen on train's out-of-author predictions alone, measured on dev: no dev
            # sentence chose them.
            alone = choose_thresholds(pooled[0], pooled[1], settings)
            row["dev_macro_f1_out_of_author_thresholds"] = macro_by_language(tuned_on, probabilities, alone)
        cross = cross_author_f1(tuned_on, probabilities, dev_sources, settings, pooled) if dev is not None else {}
        if cross:
            row["cross_author_macro_f1"] = cross
        ranked = cross if settings.choose_by == "cross_author" and cross else per_language
        row["mean"] = round(float(np.mean(list(ranked.values()))) if ranked else 0.0, 4)
        results.append(row)
        models.append(replace(draft, thresholds=thresholds))
    chosen = max(range(len(results)), key=lambda i: (results[i]["mean"], -i))  # the first of the best
    meta = {
        "corpus": {
            "key": model_key(corpus_dir),
            "covers": "train and dev splits and training.yaml (never the test split)",
            "train": split_hash(["train"], corpus_dir),
            "dev": split_hash(["dev"], corpus_dir),
            "train_sentences": len(train_sentences),
            "dev_sentences": len(dev_sentences),
        },
        "encoder": model_id(),
        "classifier": results[chosen]["candidate"],
        "thresholds_from": (settings.thresholds_from if dev is not None else "train (no dev split yet)"),
        "chosen_by": "cross_author"
        if settings.choose_by == "cross_author" and "cross_author_macro_f1" in results[chosen]
        else "dev",
        "candidates": results,
    }
    return TrainingRun(replace(models[chosen], meta=meta), results)
