"""Evidence quotes: normalised matching, whole-clause extension and agent-turn verification.

One module for every grader that cites the transcript (the offline grader, the LLM judge, the
rule findings a mentor reads), so a quote means the same thing whoever produced it. The contract
(issue 12 item 6, issue 13 item 1; documented in ``docs/quotes.md``):

* **Matching is normalised.** Before a quote is looked for in a turn both are folded: Unicode
  NFKC (full-width ``，？！：；（）`` become ASCII), the remaining CJK punctuation and every kind of
  quotation mark are folded (``。``→``.``, ``、``→``,``, ``“”「」『』《》``→``"``, ``‘’``→``'``), dashes
  and tildes are unified, case is folded, whitespace is ignored, and a run of dots or ellipses
  (``...``, ``…``, ``……``) counts as one ellipsis. Quotation marks and punctuation around the whole
  quote are ignored. An ellipsis *inside* a quote that the turn does not have is read as a join:
  the pieces must appear in the turn in that order.
* **The stored quote is always the turn's own text**, never the grader's version: the matched
  span of the turn, extended to whole clauses.
* **Whole clauses.** A quote is extended to the clause boundaries around it (``，。！？；：`` and
  ``, . ! ? ; :`` followed by a space, line breaks, ellipses), never cut inside a word or a URL,
  and then clause by clause until it holds at least :data:`MIN_CJK_CHARS` Chinese characters or
  :data:`MIN_WORDS` words — or is the whole turn, when the turn is shorter than that.
* **Agent turns only.** :func:`verify_agent_quote` accepts a quote only when the turn it cites
  exists and is an agent turn; the customer's words (and system lines) prove nothing about the
  agent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.models import Evidence, Transcript

#: A quote must hold at least this many Chinese characters ... (issue 12 item 6)
MIN_CJK_CHARS = 6
#: ... or at least this many words, unless it is the whole turn.
MIN_WORDS = 3

_FOLDS = {
    "。": ".",
    "｡": ".",
    "、": ",",
    "﹐": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "《": '"',
    "》": '"',
    "〈": '"',
    "〉": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "—": "-",
    "–": "-",
    "―": "-",
    "－": "-",
    "～": "~",
    "〜": "~",
}
_ELLIPSIS = "…"
_EDGE = "\"'.,!?;:…~-()[]{}<> "
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
# Clause ends: CJK punctuation always; Latin punctuation only before a space or the end of the text
# (so "1.5", "3,000" and "e.g.x" stay whole); line breaks; ellipses.
_CJK_BREAKS = frozenset("，。！？；：…\n\r\u2028")
_LATIN_BREAKS = frozenset(",.!?;:")
# Closing marks that belong to the clause they end (kept with it).
_CLOSERS = frozenset("\"'”’」』》）)]】")


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return "".join(_FOLDS.get(c, c) for c in folded).casefold()


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """``text`` normalised for matching, and for each of its characters the index in ``text``.

    See the module docstring for what is folded. Whitespace is dropped; a run of dots or
    ellipses becomes one ``…``.
    """
    chars: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        for folded in _fold_char(char):
            if folded.isspace():
                continue
            if folded in "." + _ELLIPSIS and chars and chars[-1] in "." + _ELLIPSIS:
                # A second dot in a row, or dots after an ellipsis: all one ellipsis, which keeps
                # the position of its first dot.
                chars[-1] = _ELLIPSIS
                continue
            chars.append(folded)
            where.append(index)
    return "".join(chars), where


def normalise(text: str) -> str:
    """``text`` as quotes are compared: folded, whitespace-free (see the module docstring)."""
    return normalise_with_map(text)[0]


def _fragments(quote: str) -> list[str]:
    core = normalise(quote).strip(_EDGE)
    return [piece.strip(_EDGE) for piece in core.split(_ELLIPSIS) if piece.strip(_EDGE)]


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) in ``text`` of what ``quote`` cites, compared normalised; None if absent.

    The whole quote is looked for first; failing that, a quote with ellipses is read as pieces
    joined by an elision and matches when every piece is found, in order. The span runs from the
    first piece to the end of the last.
    """
    haystack, where = normalise_with_map(text)
    whole = normalise(quote).strip(_EDGE)
    if not whole:
        return None
    position = haystack.find(whole)
    if position >= 0:
        return where[position], where[position + len(whole) - 1] + 1
    pieces = _fragments(quote)
    if len(pieces) < 2:
        return None
    cursor, start, end = 0, -1, -1
    for piece in pieces:
        found = haystack.find(piece, cursor)
        if found < 0:
            return None
        if start < 0:
            start = found
        cursor = found + len(piece)
        end = cursor
    return where[start], where[end - 1] + 1


def _url_spans(text: str) -> list[tuple[int, int]]:
    # Punctuation right after a URL ends the sentence, not the URL ("see https://x.cn/a, then").
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in ".,;:!?)]'":
            end -= 1
        spans.append((start, end))
    return spans


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _is_break(text: str, position: int, urls: Sequence[tuple[int, int]]) -> bool:
    char = text[position]
    if _inside(position, urls):
        return False
    if char in _CJK_BREAKS:
        return True
    if char in _LATIN_BREAKS:
        after = text[position + 1] if position + 1 < len(text) else " "
        return after.isspace() or after in _CLOSERS or not after.isascii()
    return False


def _clause_start(text: str, position: int, urls: Sequence[tuple[int, int]], edges: frozenset[int]) -> int:
    cursor = position
    while cursor > 0 and cursor not in edges and not _is_break(text, cursor - 1, urls):
        cursor -= 1
    while cursor < position and (text[cursor].isspace() or text[cursor] in _CLOSERS):
        cursor += 1
    return cursor


def _clause_end(text: str, position: int, urls: Sequence[tuple[int, int]], edges: frozenset[int]) -> int:
    cursor = max(position, 0)
    while cursor < len(text) and cursor not in edges and not _is_break(text, cursor, urls):
        cursor += 1
    # Keep the punctuation that ends the clause ("？！", "...") and a closing mark after it.
    while (
        cursor < len(text)
        and cursor not in edges
        and (_is_break(text, cursor, urls) or text[cursor] in _CLOSERS)
        and text[cursor] not in "\n\r\u2028"
    ):
        cursor += 1
    return cursor


def is_substantial(quote: str) -> bool:
    """True when ``quote`` holds at least ``MIN_CJK_CHARS`` CJK characters or ``MIN_WORDS`` words."""
    if len(_CJK.findall(quote)) >= MIN_CJK_CHARS:
        return True
    latin = _CJK.sub(" ", quote)
    return len(_WORD.findall(latin)) >= MIN_WORDS


def cites_enough(text: str, quote: str) -> bool:
    """True when ``quote``, as a grader cited it (before any widening), proves something by itself.

    It must hold at least ``MIN_CJK_CHARS`` CJK characters or ``MIN_WORDS`` words, or be the whole
    of ``text`` (compared normalised) when the turn is shorter than that. Widening to whole clauses
    makes a stored quote readable; it must not turn a one-letter "quote", which matches almost any
    turn, into evidence.
    """
    if is_substantial(quote):
        return True
    core = normalise(quote).strip(_EDGE)
    return bool(core) and core == normalise(text).strip(_EDGE)


def whole_clause_span(text: str, start: int, end: int, barriers: Sequence[tuple[int, int]] = ()) -> tuple[int, int]:
    """``(start, end)`` widened to whole clauses, then clause by clause until substantial.

    Never ends inside a word or a URL, and never crosses the edge of a ``barrier`` span (text that
    must not be quoted together with its neighbours, such as a note addressed to the grader).
    Returns the whole (stripped) turn, or barrier-bounded stretch, when that is shorter than the
    minimum.
    """
    urls = _url_spans(text)
    edges = frozenset(edge for span in barriers for edge in span)
    begin = _clause_start(text, min(start, len(text)), urls, edges)
    finish = _clause_end(text, max(end - 1, begin), urls, edges)
    finish = max(finish, min(end, len(text)))
    while not is_substantial(text[begin:finish]):
        if finish < len(text) and finish not in edges:
            finish = _clause_end(text, finish + 1, urls, edges)
        elif begin > 0 and begin not in edges:
            begin = _clause_start(text, begin - 1, urls, edges)
        else:
            break
    # Strip surrounding whitespace without losing the verbatim slice.
    while begin < finish and text[begin].isspace():
        begin += 1
    while finish > begin and text[finish - 1].isspace():
        finish -= 1
    return begin, finish


def whole_clause(text: str, start: int, end: int, barriers: Sequence[tuple[int, int]] = ()) -> str:
    """The verbatim text of :func:`whole_clause_span`."""
    begin, finish = whole_clause_span(text, start, end, barriers)
    return text[begin:finish]


def clause_quote(text: str, quote: str, barriers: Sequence[tuple[int, int]] = ()) -> str | None:
    """The whole-clause quote of ``text`` that ``quote`` cites (normalised match), else None."""
    span = locate(text, quote)
    if span is None:
        return None
    return whole_clause(text, *span, barriers=barriers) or None


Problem = Literal["empty", "no_such_turn", "not_agent_turn", "too_short", "not_found"]


@dataclass(frozen=True)
class QuoteCheck:
    """The outcome of checking one cited quote: verified evidence, or why it was refused."""

    evidence: Evidence | None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        """True when the quote was verified."""
        return self.evidence is not None


def verify_agent_quote(
    transcript: Transcript,
    turn: int,
    quote: str,
    *,
    barriers: Sequence[tuple[int, int]] = (),
    require_substantial: bool = False,
) -> QuoteCheck:
    """Check that ``quote`` is said in agent turn ``turn``; return whole-clause evidence if so.

    ``barriers`` are spans of that turn's text the whole clause must not run into or out of. With
    ``require_substantial`` the cited text itself must pass :func:`cites_enough` (a grader that
    cites quotes, such as the LLM judge, must not get evidence out of a one-letter quote).

    ``problem`` says why not: ``empty`` quote, ``no_such_turn``, ``not_agent_turn`` (a customer or
    system line), ``too_short`` (with ``require_substantial``), or ``not_found`` in that turn even
    after normalisation.
    """
    if not quote or not quote.strip() or not normalise(quote).strip(_EDGE):
        return QuoteCheck(None, "empty")
    if turn < 0 or turn >= len(transcript.turns):
        return QuoteCheck(None, "no_such_turn")
    spoken = transcript.turns[turn]
    if spoken.role != "agent":
        return QuoteCheck(None, "not_agent_turn")
    if require_substantial and not cites_enough(spoken.text, quote):
        return QuoteCheck(None, "too_short")
    found = clause_quote(spoken.text, quote, barriers)
    if found is None:
        return QuoteCheck(None, "not_found")
    return QuoteCheck(Evidence(turn=turn, quote=found))


def is_verified(transcript: Transcript, evidence: Evidence) -> bool:
    """True when ``evidence`` cites an agent turn and is found in it (normalised)."""
    return verify_agent_quote(transcript, evidence.turn, evidence.quote).ok


__all__ = [
    "MIN_CJK_CHARS",
    "MIN_WORDS",
    "QuoteCheck",
    "cites_enough",
    "clause_quote",
    "is_substantial",
    "is_verified",
    "locate",
    "normalise",
    "normalise_with_map",
    "verify_agent_quote",
    "whole_clause",
    "whole_clause_span",
]
