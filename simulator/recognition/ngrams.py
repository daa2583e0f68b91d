"""Character and word n-grams of a sentence, weighted by TF-IDF learned on the train split.

The e5 vector carries the meaning of a sentence; n-grams carry the small function words and
particles that decide what it *does* (稍等, 吗, 麻烦, "could you", "sorry") and that a pooled
sentence vector blurs. Two kinds are supported:

- ``char_wb``: 1..n characters inside space-padded words (scikit-learn's ``char_wb`` analyzer),
  for both languages;
- ``word``: 1..n consecutive Latin-script words, lower-cased ("not my", "your fault", "cvv").
  Chinese has no spaces, so a zh-CN sentence contributes only the Latin words it contains (App,
  VIP, CVV); its character n-grams already cover it.

Which n-grams count and how much is learned from the train split (scikit-learn's
``TfidfVectorizer(sublinear_tf=True)`` at training time, with the same analyzers as here); this
module applies the stored vocabulary and IDF weights with plain Python and numpy, exactly as
scikit-learn does (a test checks that they agree).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

NgramKind = Literal["char_wb", "word"]
NGRAM_KINDS: tuple[NgramKind, ...] = ("char_wb", "word")

_WHITE_SPACES = re.compile(r"\s\s+")
# A Latin-script word: letters and digits, with an apostrophe inside ("don't", "we'll") kept.
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """n-grams of ``low``..``high`` characters inside space-padded words, lower-cased (scikit-learn's char_wb)."""
    document = _WHITE_SPACES.sub(" ", text.lower())
    grams: list[str] = []
    for word in document.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """n-grams of ``low``..``high`` consecutive Latin-script words, lower-cased, joined by a space."""
    words = [word.replace("’", "'") for word in _LATIN_WORD.findall(text.lower())]
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(" ".join(words[start : start + n]) for start in range(len(words) - n + 1))
    return grams


def analyzer(kind: NgramKind, low: int, high: int) -> Callable[[str], list[str]]:
    """The function that cuts a text into n-grams of ``kind`` (also handed to scikit-learn when fitting)."""
    cut = char_wb_ngrams if kind == "char_wb" else word_ngrams

    def grams(text: str) -> list[str]:
        return cut(text, low, high)

    return grams


@dataclass(frozen=True)
class Ngrams:
    """A fitted vocabulary (n-gram -> column) with IDF weights, of one kind and range."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    low: int
    high: int
    kind: NgramKind = "char_wb"

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text as (columns, L2-normalised sublinear TF-IDF values)."""
        cut = analyzer(self.kind, self.low, self.high)
        result = []
        for text in texts:
            counts = Counter(self.vocabulary[gram] for gram in cut(text) if gram in self.vocabulary)
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = np.asarray(
                [(1.0 + math.log(count)) * float(self.idf[column]) for column, count in counts.items()],
                dtype=np.float64,
            )
            norm = float(np.linalg.norm(values))
            result.append((columns, (values / norm if norm > 0 else values).astype(np.float32)))
        return result
