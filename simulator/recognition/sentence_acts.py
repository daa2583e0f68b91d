"""Sentence by sentence: which learned acts does each sentence of a text perform, and how surely.

``recognize_text`` splits a text with the project's one splitter, embeds every sentence (cached),
runs the shipped classifier and returns a :class:`TextActs`: per sentence a score in 0..1 for
every learned act (0.5 = the act's threshold chosen on dev; at or above it the act is recognised),
plus question-ness. Nothing here knows about cases or rubrics; ``simulator.recognizer`` adds those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.models import DialogueAct, Language
from simulator.recognition.classifier import RECOGNISED, ActModel, shipped_model
from simulator.recognition.features import feature_matrix
from simulator.recognition.sentences import Span, split_sentences
from simulator.recognition.structure import lone_word, question_form

# Acts that ask the customer something: a sentence doing one of them is a question, with or
# without a question mark ("Your full name and ZIP code will do").
ASKING_ACTS: frozenset[DialogueAct] = frozenset(
    {
        DialogueAct.ask_fact,
        DialogueAct.ask_choice,
        DialogueAct.ask_repeat,
        DialogueAct.confirm_need,
        DialogueAct.private_data_request,
    }
)


@dataclass(frozen=True)
class ActScore:
    """One act and how surely it was recognised (0..1; recognised at 0.5 and above)."""

    act: DialogueAct
    score: float

    def to_json(self) -> dict[str, Any]:
        """``{"act", "score"}`` as ``drill acts --json`` prints it."""
        return {"act": self.act.value, "score": round(self.score, 3)}


@dataclass(frozen=True)
class SentenceActs:
    """One sentence of a text: where it is, every learned act's score, and whether it asks."""

    span: Span
    language: Language
    scores: dict[DialogueAct, float]

    @property
    def text(self) -> str:
        """The sentence, verbatim."""
        return self.span.text

    @property
    def acts(self) -> tuple[ActScore, ...]:
        """The recognised acts, surest first."""
        found = [ActScore(act, score) for act, score in self.scores.items() if score >= RECOGNISED]
        return tuple(sorted(found, key=lambda item: -item.score))

    def has(self, act: DialogueAct | str) -> bool:
        """True when the sentence performs ``act``."""
        return self.scores.get(DialogueAct(act), 0.0) >= RECOGNISED

    def score(self, act: DialogueAct | str) -> float:
        """The score of ``act`` (0 for an act the classifier does not learn)."""
        return self.scores.get(DialogueAct(act), 0.0)

    @property
    def is_question(self) -> bool:
        """True when the sentence asks: the form of a question, or an asking act (not for a lone word such as
        "Correct.", which confirms; ``structure.lone_word``)."""
        if question_form(self.text, self.language):
            return True
        return not lone_word(self.text) and any(self.has(act) for act in ASKING_ACTS)

    def to_json(self) -> dict[str, Any]:
        """``{"text", "acts": [{"act", "score"}]}`` as ``drill acts --json`` prints it."""
        return {"text": self.text, "acts": [item.to_json() for item in self.acts]}


@dataclass(frozen=True)
class TextActs:
    """A whole text (one turn): its sentences and the acts of the text as a whole."""

    text: str
    language: Language
    sentences: tuple[SentenceActs, ...]

    @property
    def acts(self) -> tuple[ActScore, ...]:
        """Acts recognised in any sentence, each with its best sentence score, surest first."""
        best: dict[DialogueAct, float] = {}
        for sentence in self.sentences:
            for item in sentence.acts:
                best[item.act] = max(best.get(item.act, 0.0), item.score)
        return tuple(sorted((ActScore(act, score) for act, score in best.items()), key=lambda item: -item.score))

    def has(self, act: DialogueAct | str) -> bool:
        """True when any sentence performs ``act``."""
        return any(sentence.has(act) for sentence in self.sentences)

    def with_act(self, act: DialogueAct | str) -> list[SentenceActs]:
        """The sentences that perform ``act``, in order."""
        return [sentence for sentence in self.sentences if sentence.has(act)]

    @property
    def is_question(self) -> bool:
        """True when any sentence asks."""
        return any(sentence.is_question for sentence in self.sentences)

    def to_json(self) -> dict[str, Any]:
        """The ``drill acts --json`` object for this text."""
        return {
            "text": self.text,
            "sentences": [sentence.to_json() for sentence in self.sentences],
            "acts": [item.to_json() for item in self.acts],
        }


def score_sentences(
    texts: Sequence[str], language: Language, model: ActModel | None = None
) -> list[dict[DialogueAct, float]]:
    """Scores of every learned act for each of ``texts`` (already single sentences)."""
    if not texts:
        return []
    model = model or shipped_model()
    languages: list[Language] = [language] * len(texts)
    probabilities = model.probabilities(feature_matrix(texts, languages), texts)
    scores = model.scores(probabilities, languages)
    return [dict(zip(model.acts, (float(v) for v in row), strict=True)) for row in np.asarray(scores)]


def recognize_spans(spans: Sequence[Span], language: Language, model: ActModel | None = None) -> list[SentenceActs]:
    """Classify sentences already cut from a text."""
    scored = score_sentences([span.text for span in spans], language, model)
    return [SentenceActs(span, language, scores) for span, scores in zip(spans, scored, strict=True)]


def recognize_texts(texts: Sequence[str], language: Language, model: ActModel | None = None) -> list[TextActs]:
    """Split and classify several texts at once (one pass over the encoder)."""
    pieces = [split_sentences(text) for text in texts]
    flat = [span for spans in pieces for span in spans]
    classified = iter(recognize_spans(flat, language, model))
    return [
        TextActs(text, language, tuple(next(classified) for _ in spans))
        for text, spans in zip(texts, pieces, strict=True)
    ]


def recognize_text(text: str, language: Language, model: ActModel | None = None) -> TextActs:
    """Split ``text`` into sentences and classify each one."""
    return recognize_texts([text], language, model)[0]


def is_question(sentence: str, language: Language) -> bool:
    """True when ``sentence`` asks something: a question's form, or (by meaning) an asking act."""
    if question_form(sentence, language):
        return True
    spans = split_sentences(sentence)
    return any(item.is_question for item in recognize_spans(spans, language))
