"""Recognising what agent sentences do, by meaning: the one recogniser of drill.

Public API (``docs/acts.md`` documents it for the engines built on it):

- :func:`split_sentences` / :func:`split_clauses` — the project's one splitter (verbatim spans);
- :func:`recognize_text` / :func:`recognize_texts` — :class:`TextActs` with per-sentence
  :class:`SentenceActs` (a 0..1 score for every learned act; recognised at 0.5 and above);
- :func:`is_question` — a question by form or by an asking act;
- :func:`match_resolutions` — how closely agent sentences match a case's resolutions by meaning;
- :mod:`simulator.recognition.structure` — amounts, times, ids, tails and masks (form only).

The turn-level view with a case and a rubric (facts asked, resolutions offered, forbidden and
private-data quotes, over-promises, long turns, jargon) is ``simulator.recognizer.recognize``.
"""

from simulator.recognition.matching import ResolutionMatch, match_resolutions
from simulator.recognition.sentence_acts import (
    ASKING_ACTS,
    ActScore,
    SentenceActs,
    TextActs,
    is_question,
    recognize_spans,
    recognize_text,
    recognize_texts,
)
from simulator.recognition.sentences import Span, sentence_texts, split_clauses, split_sentences

__all__ = [
    "ASKING_ACTS",
    "ActScore",
    "ResolutionMatch",
    "SentenceActs",
    "Span",
    "TextActs",
    "is_question",
    "match_resolutions",
    "recognize_spans",
    "recognize_text",
    "recognize_texts",
    "sentence_texts",
    "split_clauses",
    "split_sentences",
]
