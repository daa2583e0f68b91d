"""Character n-grams of a sentence, weighted by TF-IDF learned on the train split.

The e5 vector carries the meaning of a sentence; character n-grams carry the small function words
and particles that decide what it *does* (稍等, 吗, 麻烦, "could you", "sorry") and that a pooled
sentence vector blurs. Which n-grams count and how much is learned from the train split (scikit-
learn's ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`` at training time); this module
applies the stored vocabulary and IDF weights with plain Python and numpy, exactly as scikit-learn
does (a test checks that they agree).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")


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


@dataclass(frozen=True)
class CharNgrams:
    """A fitted vocabulary (n-gram -> column) with IDF weights."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    low: int
    high: int

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text as (columns, L2-normalised sublinear TF-IDF values)."""
        result = []
        for text in texts:
            counts = Counter(
                self.vocabulary[gram] for gram in char_wb_ngrams(text, self.low, self.high) if gram in self.vocabulary
            )
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = np.asarray(
                [(1.0 + math.log(count)) * float(self.idf[column]) for column, count in counts.items()],
                dtype=np.float64,
            )
            norm = float(np.linalg.norm(values))
            result.append((columns, (values / norm if norm > 0 else values).astype(np.float32)))
        return result
