"""Experiment (dev only): does reading each clause on its own recover a sentence's second act?

For every dev sentence, the shipped classifier's probabilities for the sentence and for each of its
clauses (``split_clauses``; a one-clause sentence is its own clause and costs nothing more). Variants:

- a: the sentence alone (today);
- b: union with any clause's acts at the sentence thresholds;
- c: union with per-act, per-language clause thresholds chosen on one dev author (the F1-best of
  the union on that author, or off when no threshold beats off) and measured on the other;
- d: as c, only for the acts the error analysis named.

Sentence thresholds stay the shipped ones in every variant (chosen on dev and out-of-author train
predictions), so the variants differ only in what the clauses add. Prints JSON.

    PYTHONPATH=. python benchmarks/clause_union.py [--cache /tmp/clauses.npz]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from simulator.models import LANGUAGES, LEARNED_ACTS, DialogueAct
from simulator.recognition.classifier import ActModel, shipped_model
from simulator.recognition.corpus import LabelledSentence, load_corpus
from simulator.recognition.features import feature_matrix
from simulator.recognition.sentences import Span, split_clauses
from simulator.recognition.training import _fit, f1_counts, f1_score, labelled_matrix, load_settings

NAMED = (
    DialogueAct.refusal,
    DialogueAct.promise,
    DialogueAct.give_proof,
    DialogueAct.offer_solution,
    DialogueAct.explain_policy,
    DialogueAct.hedge,
    DialogueAct.confirm_need,
)
GRID = np.round(np.arange(0.30, 0.991, 0.01), 3)
OFF = 2.0  # a clause threshold no probability reaches


def clause_probabilities(model: ActModel, sentences: Sequence[LabelledSentence]) -> dict[str, np.ndarray]:
    """Sentence and clause-max probabilities of ``sentences`` under ``model``."""
    data = labelled_matrix(sentences)
    sentence_p = model.probabilities(data.features, data.texts)
    clause_texts: list[str] = []
    owner: list[int] = []
    for index, text in enumerate(data.texts):
        clauses = split_clauses(Span(text, 0, len(text)))
        if len(clauses) > 1:
            clause_texts.extend(c.text for c in clauses)
            owner.extend([index] * len(clauses))
    languages = [data.languages[i] for i in owner]
    clause_max = np.zeros_like(sentence_p)  # 0 for a one-clause sentence: it adds nothing
    for start in range(0, len(clause_texts), 64):
        chunk = clause_texts[start : start + 64]
        part = model.probabilities(feature_matrix(chunk, languages[start : start + 64]), chunk)
        for row, index in enumerate(owner[start : start + 64]):
            clause_max[index] = np.maximum(clause_max[index], part[row])
    return {
        "sentence": sentence_p,
        "clause_max": clause_max,
        "labels": data.labels,
        "languages": np.asarray(data.languages),
        "sources": np.asarray([s.source for s in sentences]),
        "clauses": np.bincount(np.asarray(owner, dtype=int), minlength=len(data.texts)),
    }


def probabilities(cache: Path | None, held_out: list[str]) -> dict[str, np.ndarray]:
    """Dev under the shipped model, or ``held_out`` train authors under the candidate fitted without them."""
    if cache and cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    if held_out:
        settings = load_settings()
        train_sentences = load_corpus(("train",)).select("train")
        kept = [s for s in train_sentences if s.source not in held_out]
        model = _fit(settings.candidates[0], labelled_matrix(kept), settings.seed)
        result = clause_probabilities(model, [s for s in train_sentences if s.source in held_out])
    else:
        result = clause_probabilities(shipped_model(), load_corpus(("dev",)).select("dev"))
    if cache:
        np.savez_compressed(cache, **result)  # type: ignore[arg-type]
    return result


def per_act_f1(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """F1 of every act present in ``labels``."""
    out: dict[str, float | None] = {}
    for index, act in enumerate(LEARNED_ACTS):
        if labels[:, index].sum():
            out[act.value] = round(f1_score(*f1_counts(labels[:, index], predicted[:, index])), 4)
    return out


def macro(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean F1 over the acts present."""
    values = [v for v in per_act_f1(labels, predicted).values() if v is not None]
    return round(float(np.mean(values)), 4) if values else 0.0


def predict(sentence: np.ndarray, clause: np.ndarray, t_sentence: np.ndarray, t_clause: np.ndarray) -> np.ndarray:
    """Sentence acts at its thresholds, or any clause's at the clause thresholds."""
    return ((sentence >= t_sentence) | (clause >= t_clause)).astype(np.int8)


def choose_clause_thresholds(
    labels: np.ndarray, sentence: np.ndarray, clause: np.ndarray, t_sentence: np.ndarray, acts: set[int]
) -> np.ndarray:
    """Per act, the clause threshold whose union F1 is best on these sentences (off unless it beats off)."""
    chosen = np.full(len(LEARNED_ACTS), OFF)
    for index in acts:
        truth = labels[:, index]
        if not truth.sum():
            continue
        base = sentence[:, index] >= t_sentence[index]
        best = f1_score(*f1_counts(truth, base.astype(np.int8)))
        for threshold in GRID[::-1]:  # highest first: the most cautious of equal ones
            value = f1_score(*f1_counts(truth, (base | (clause[:, index] >= threshold)).astype(np.int8)))
            if value > best + 1e-9:
                best, chosen[index] = value, float(threshold)
    return chosen


def summary(languages: dict[str, dict[str, dict[str, dict]]], authors: list[str]) -> dict[str, object]:
    """Per language and variant: macro-F1 and per-act F1, the mean over measured authors (cross-author
    directions for c and d; a and b choose nothing, so their mean is over the authors themselves)."""
    out: dict[str, object] = {}
    for language, block in languages.items():
        rows: dict[str, object] = {}
        for variant, figures in block.items():
            measured = [figures[a] for a in authors] if variant in ("a", "b", "b_named") else list(figures.values())
            acts = sorted({act for row in measured for act in row["acts"]})
            rows[variant] = {
                "macro_f1": round(float(np.mean([row["macro_f1"] for row in measured])), 4),
                "acts": {
                    act: round(float(np.mean([row["acts"][act] for row in measured if act in row["acts"]])), 4)
                    for act in acts
                },
            }
        out[language] = rows
    return out


def main() -> None:
    """Run every variant on dev and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--hold-out", default="", help="comma-separated train authors (default: dev)")
    args = parser.parse_args()
    data = probabilities(args.cache, [name for name in args.hold_out.split(",") if name])
    model = shipped_model()
    sentence, clause = np.asarray(data["sentence"]), np.asarray(data["clause_max"])
    labels, languages, sources = np.asarray(data["labels"]), np.asarray(data["languages"]), np.asarray(data["sources"])
    clauses = np.asarray(data["clauses"])
    named = {LEARNED_ACTS.index(act) for act in NAMED}
    every = set(range(len(LEARNED_ACTS)))
    authors = sorted(set(sources.tolist()))
    report: dict[str, object] = {
        "model": model.corpus_key if not args.hold_out else f"fitted on train without {args.hold_out}",
        "sentences": int(len(sentence)),
        "multi_clause_sentences": int((clauses > 1).sum()),
        "extra_encoder_calls_per_sentence": round(float(clauses.sum()) / len(sentence), 3),
        "languages": {},
    }
    for language in LANGUAGES:
        in_language = languages == language
        t_sentence = model.thresholds[language]
        block: dict[str, object] = {}
        for name, acts in (("a", set()), ("b", every), ("b_named", named)):
            t_clause = np.where([i in acts for i in range(len(LEARNED_ACTS))], t_sentence, OFF)
            rows = {}
            for author in [*authors, "all"]:
                mask = in_language & ((sources == author) if author != "all" else True)
                predicted = predict(sentence[mask], clause[mask], t_sentence, t_clause)
                rows[author] = {"macro_f1": macro(labels[mask], predicted), "acts": per_act_f1(labels[mask], predicted)}
            block[name] = rows
        for name, acts in (("c", every), ("d", named)):
            rows = {}
            for chooser in authors:
                for measured in authors:
                    if chooser == measured:
                        continue
                    on = in_language & (sources == chooser)
                    t_clause = choose_clause_thresholds(labels[on], sentence[on], clause[on], t_sentence, acts)
                    off = in_language & (sources == measured)
                    predicted = predict(sentence[off], clause[off], t_sentence, t_clause)
                    rows[f"{chooser}->{measured}"] = {
                        "macro_f1": macro(labels[off], predicted),
                        "acts": per_act_f1(labels[off], predicted),
                        "clause_thresholds": {
                            LEARNED_ACTS[i].value: float(t_clause[i])
                            for i in range(len(LEARNED_ACTS))
                            if t_clause[i] < OFF
                        },
                    }
            block[name] = rows
        report["languages"][language] = block  # type: ignore[index]
    report["summary"] = summary(report["languages"], authors)  # type: ignore[arg-type]
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
