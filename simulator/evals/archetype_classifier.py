"""Name a customer's archetype from what the customer said, and nothing else.

The classifier is built only from each persona's *own description* in its YAML file — sample
lines, verbal habits, tone, portrait and what angers or calms the customer, in the drill's
language — never from the offline engine's script lines, never from persona ids or engine
state. So it asks the honest question: do the customer's lines sound like the customer type the
persona card describes?

Method: TF-IDF over character n-grams (1-3 grams for Chinese; 2-4 grams inside words plus word
unigrams and bigrams for English), one profile vector per archetype (all personas of an archetype
pooled), cosine similarity, highest score wins. The idf is zero for a feature found in every
profile, so shared filler ("I'm", "你们") carries no weight. These choices were made on the
eval's dev cases only (see ``simulator.evals.personas_eval.case_parts``). Persona names are
removed from the training text so that a customer saying their own name cannot give the type
away.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from simulator.models import Language, Persona

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_WORD = re.compile(r"[a-z0-9']+")
_DIGITS = re.compile(r"\d+")


def _ngram_range(language: Language) -> tuple[int, int]:
    return (1, 3) if language == "zh-CN" else (2, 4)


def features(text: str, language: Language) -> Counter[str]:
    """Feature counts of ``text``: character n-grams (lower-cased, digits folded to '0', punctuation
    as space) and, for English, words and word pairs."""
    cleaned = _DIGITS.sub("0", text.lower())
    low, high = _ngram_range(language)
    grams: Counter[str] = Counter()
    if language == "zh-CN":
        for chunk in _PUNCTUATION.split(cleaned):
            for size in range(low, high + 1):
                grams.update(chunk[i : i + size] for i in range(len(chunk) - size + 1))
        return grams
    for word in _PUNCTUATION.sub(" ", cleaned).split():
        padded = f" {word} "
        for size in range(low, high + 1):
            grams.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    words = _WORD.findall(cleaned)
    grams.update(f"w:{word}" for word in words)
    grams.update(f"b:{first}_{second}" for first, second in zip(words, words[1:], strict=False))
    return grams


def persona_profile_text(persona: Persona, language: Language) -> str:
    """The persona card's own words about how this customer talks and reacts (no offline script lines).

    Personas carry no names (the case owns identity), so nothing has to be stripped out.
    """
    parts: list[str] = [
        *persona.speech.sample_lines.get(language),
        *persona.speech.habits.get(language),
        persona.speech.tone.get(language),
        persona.portrait.get(language),
        *persona.temperament.angered_by.get(language),
        *persona.temperament.calmed_by.get(language),
    ]
    return "\n".join(parts)


@dataclass(frozen=True)
class Prediction:
    """The archetype named for a text, with every archetype's similarity."""

    label: str
    scores: Mapping[str, float]


class ArchetypeClassifier:
    """Nearest-profile classifier over character n-gram TF-IDF vectors (see the module docstring)."""

    def __init__(self, profiles: Mapping[str, str], language: Language):
        if not profiles:
            raise ValueError("no profiles to train on: the classifier needs at least one archetype")
        self.language = language
        self.labels: tuple[str, ...] = tuple(sorted(profiles))
        counts = {label: features(text, language) for label, text in profiles.items()}
        documents = len(counts)
        frequency: Counter[str] = Counter()
        for grams in counts.values():
            frequency.update(grams.keys())
        # A feature in every profile says nothing about the type: its idf is zero.
        self._idf = {gram: math.log((1 + documents) / (1 + df)) for gram, df in frequency.items()}
        self._profiles = {label: self._vector(grams) for label, grams in counts.items()}

    @classmethod
    def from_personas(cls, personas: Iterable[Persona], language: Language) -> ArchetypeClassifier:
        """Train on the personas that speak ``language``, one profile per archetype."""
        texts: dict[str, list[str]] = {}
        for persona in personas:
            if language in persona.languages:
                texts.setdefault(persona.archetype, []).append(persona_profile_text(persona, language))
        return cls({label: "\n".join(parts) for label, parts in texts.items()}, language)

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        # Sub-linear tf: a pet phrase said five times is strong evidence, not five times the evidence.
        vector = {gram: (1.0 + math.log(count)) * self._idf[gram] for gram, count in grams.items() if gram in self._idf}
        norm = math.sqrt(sum(value * value for value in vector.values()))
        return {gram: value / norm for gram, value in vector.items()} if norm else {}

    def predict(self, lines: str | Sequence[str]) -> Prediction:
        """The archetype whose profile is closest to ``lines`` (a text or the customer's turns)."""
        text = lines if isinstance(lines, str) else "\n".join(lines)
        vector = self._vector(features(text, self.language))
        scores = {
            label: sum(weight * profile.get(gram, 0.0) for gram, weight in vector.items())
            for label, profile in self._profiles.items()
        }
        best = max(self.labels, key=lambda label: (scores[label], -self.labels.index(label)))
        return Prediction(label=best, scores=scores)
