"""The one sentence splitter of drill: agent and customer turns are cut here and nowhere else.

Splitting is structure, so it is done with punctuation alone, the same way for Chinese and English:

- a sentence ends after a run of ``。！？!?；;`` (with any closing quotes or brackets that follow),
  after an ellipsis (``…`` or three dots), or at a line break;
- a full stop ``.`` ends a sentence only when whitespace or the end of the text follows (or, typed
  without a space, a capitalised word or an opening bracket: "please.Note", "them.(Note") and
  the word before it is not an abbreviation ("Mr.", "e.g.", "No.") or a lone initial, so "$49.99",
  "Mr. Wang" and "v2.1" stay whole;
- the pieces are verbatim substrings of the text with surrounding whitespace trimmed; pieces made
  of punctuation alone are dropped.

Clauses (for the rare sentence that both refuses and offers) are cut at commas, colons and the
ideographic enumeration comma. Every span keeps its offsets into the original text, so quotes are
always exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentence-final punctuation, with any closing quotes or brackets that belong to the sentence.
_CLOSERS = re.escape("”’\"')）】」』]")
_FINAL = re.compile(rf"[。！？!?；;]+[{_CLOSERS}]*|(?:…+|\.{{3,}})[{_CLOSERS}]*|\n+")
_FULL_STOP = re.compile(rf"\.[{_CLOSERS}]*(?=\s|$)|(?<=[a-z])\.(?=[A-Z][a-z]|[(（【\[])")
# Words that end with a full stop without ending the sentence (lower-cased, without the dot).
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vs", "etc", "e.g", "i.e", "approx", "dept", "ref", "jr", "sr"}
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_CLAUSE = re.compile(r"[，,、：:]+")
_ONLY_PUNCTUATION = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Span:
    """A verbatim piece of a text: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


def _trimmed(source: str, start: int, end: int) -> Span | None:
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    piece = source[start:end]
    if not piece or _ONLY_PUNCTUATION.fullmatch(piece):
        return None
    return Span(piece, start, end)


def _ends_sentence(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` ends a sentence (not an abbreviation or an initial)."""
    word = _WORD_BEFORE.search(text, 0, dot)
    if word is None:
        return True
    token = word.group(1).lower()
    if token in _ABBREVIATIONS:
        return False
    return not (len(token) == 1 and word.group(1).isupper())  # "J. Smith"


def _boundaries(text: str) -> list[int]:
    ends = {match.end() for match in _FINAL.finditer(text)}
    ends |= {match.end() for match in _FULL_STOP.finditer(text) if _ends_sentence(text, match.start())}
    return sorted(ends)


def split_sentences(text: str) -> list[Span]:
    """The sentences of ``text``, in order, each with its end punctuation and its offsets."""
    spans: list[Span] = []
    cursor = 0
    for end in [*_boundaries(text), len(text)]:
        if end <= cursor:
            continue
        span = _trimmed(text, cursor, end)
        if span is not None:
            spans.append(span)
        cursor = end
    return spans


def without_abbreviation_dots(text: str) -> str:
    """``text`` without the full stop after an abbreviation or a lone initial ("Mr.", "Ms.", "J."), for
    patterns that read every dot as the end of a sentence ("Thanks for calling, Mr. Ortega.")."""
    dots = [m.start() for m in re.finditer(r"\.(?=\s)", text) if not _ends_sentence(text, m.start())]
    for dot in reversed(dots):
        text = text[:dot] + text[dot + 1 :]
    return text


def sentence_texts(text: str) -> list[str]:
    """Just the sentence strings of ``text`` (see :func:`split_sentences`)."""
    return [span.text for span in split_sentences(text)]


def split_clauses(sentence: Span) -> list[Span]:
    """The clauses of one sentence (cut at commas and colons), offsets still into the turn."""
    clauses: list[Span] = []
    cursor = 0
    body = sentence.text
    for match in [*_CLAUSE.finditer(body), None]:
        end = match.start() if match else len(body)
        span = _trimmed(body, cursor, end)
        if span is not None:
            clauses.append(Span(span.text, sentence.start + span.start, sentence.start + span.end))
        cursor = match.end() if match else len(body)
    return clauses or [sentence]
