"""Reading a sentence again without the clauses a trainer's list sets aside.

A sentence the recogniser reads as a whole may owe its reading to one clause that a trainer's list
says means nothing of the kind: a reassurance ("完整卡号、密码、验证码都不用给我") beside a request, a
courtesy ("not problem!") beside a brush-off. Such clauses (matched as whole clauses,
``simulator.clauses.ClauseMatcher``) are set aside and the clauses left are recognised again, each on
its own. Items listed with the enumeration comma share the clause that ends the list, so they are set
aside with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.recognition.sentence_acts import SentenceActs, recognize_spans
from simulator.recognition.sentences import Span, split_clauses

if TYPE_CHECKING:
    from simulator.clauses import ClauseMatcher

_ENUMERATION_COMMA = "、"


def reread_without(sentence: SentenceActs, set_aside: ClauseMatcher) -> list[SentenceActs] | None:
    """The clauses of ``sentence`` that ``set_aside`` does not quote, each recognised on its own; None
    when no clause is set aside (the sentence's own reading stands), [] when every clause is."""
    spans = _enumerations(sentence.span.text, split_clauses(sentence.span), sentence.span.start)
    kept = [span for span in spans if not set_aside.quotes(span.text)]
    if len(kept) == len(spans):
        return None
    return recognize_spans(kept, sentence.language) if kept else []


def _enumerations(text: str, clauses: list[Span], offset: int) -> list[Span]:
    """``clauses`` with runs joined only by the enumeration comma merged into one span (offsets into the turn)."""
    merged: list[Span] = []
    for clause in clauses:
        if merged:
            gap = text[merged[-1].end - offset : clause.start - offset]
            if gap.strip() and set(gap.strip()) <= {_ENUMERATION_COMMA}:
                last = merged[-1]
                merged[-1] = Span(text[last.start - offset : clause.end - offset], last.start, clause.end)
                continue
        merged.append(clause)
    return merged
