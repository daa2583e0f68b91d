"""Hidden markers in an LLM customer's reply: the state trailer and the stop sentinels.

The LLM customer ends every reply with one line of state, so mood and goal come without a second
model call::

    Fine, I'll wait for the courier then.
    ###RESOLVED###
    <<state mood=3 goal_met=true>>

:class:`MarkerFilter` lets the visible text stream through while it holds back anything that
could be the start of a marker (``<<``, ``###``, a ``<think>`` block of a reasoning model), so a
marker split over several chunks never reaches the trainee. :func:`parse_markers` then reads the
held-back tail strictly: a trailer that does not match the format exactly is reported, not
guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.config import STOP_ESCALATE, STOP_GAVE_UP, STOP_RESOLVED
from simulator.models import Outcome

#: The exact trailer format (also stated in the prompt).
TRAILER_FORMAT = "<<state mood=N goal_met=true|false>>"
TRAILER_RE = re.compile(r"<<state mood=(?P<mood>\d{1,2}) goal_met=(?P<goal>true|false)>>")
# Anything in double angle brackets, or an unterminated one at the very end (a reply cut off by
# the token limit), is hidden state, whatever its shape.
_ANY_TRAILER_RE = re.compile(r"<<[^<>]*>>|<<[^<>]*$")
_ANY_SENTINEL_RE = re.compile(r"###[A-Z][A-Z_-]*(?:###)?")
_THINK_RE = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)


def format_trailer(mood: int, goal_met: bool) -> str:
    """The state line for ``mood`` and ``goal_met``, exactly as the model is told to write it."""
    return f"<<state mood={mood} goal_met={'true' if goal_met else 'false'}>>"


SENTINEL_OUTCOMES: dict[str, Outcome] = {
    STOP_RESOLVED: "resolved",
    STOP_GAVE_UP: "gave_up",
    STOP_ESCALATE: "escalated",
}

_MARKER_STARTS = ("<<", "###")
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


def _held_suffix(text: str, markers: tuple[str, ...]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of one of ``markers``."""
    longest = 0
    for marker in markers:
        for size in range(1, len(marker)):
            if size > longest and text.endswith(marker[:size]):
                longest = size
    return longest


class MarkerFilter:
    """Streams visible text and keeps everything from the first marker on as the *tail*.

    ``feed(delta)`` returns the text that is safe to show now (possibly ``""``); ``close()``
    returns the last visible text recovered from the tail, plus the tail itself for parsing.
    Leading and trailing whitespace is held back too, so the shown text is already stripped.
    """

    def __init__(self) -> None:
        self._pending = ""
        self._tail: str | None = None
        self._in_think = False
        self._shown_any = False

    @property
    def tail(self) -> str:
        """Everything from the first marker on (``""`` while no marker has been seen)."""
        return self._tail or ""

    def feed(self, delta: str) -> str:
        """Take the next chunk of model output; return the visible text that can be shown now."""
        if self._tail is not None:
            self._tail += delta
            return ""
        self._pending += delta
        out: list[str] = []
        while True:
            if self._in_think:
                end = self._pending.find(_THINK_CLOSE)
                if end < 0:
                    keep = _held_suffix(self._pending, (_THINK_CLOSE,))
                    self._pending = self._pending[len(self._pending) - keep :] if keep else ""
                    break
                self._pending = self._pending[end + len(_THINK_CLOSE) :]
                self._in_think = False
                continue
            think = self._pending.find(_THINK_OPEN)
            marker = min((i for i in (self._pending.find(m) for m in _MARKER_STARTS) if i >= 0), default=-1)
            if think >= 0 and (marker < 0 or think < marker):
                out.append(self._pending[:think])
                self._pending = self._pending[think + len(_THINK_OPEN) :]
                self._in_think = True
                continue
            if marker >= 0:
                out.append(self._pending[:marker].rstrip())
                self._tail = self._pending[marker:]
                self._pending = ""
                break
            keep = _held_suffix(self._pending, (*_MARKER_STARTS, _THINK_OPEN))
            ready = self._pending[: len(self._pending) - keep]
            stripped = ready.rstrip()
            out.append(stripped)
            self._pending = ready[len(stripped) :] + self._pending[len(ready) :]
            break
        return self._emit("".join(out))

    def _emit(self, text: str) -> str:
        if not self._shown_any:
            text = text.lstrip()
            if not text:
                return ""
            self._shown_any = True
            return text
        # Whitespace held back earlier is released only when visible text follows it.
        return text

    def close(self) -> str:
        """End of the stream: the remaining visible text (markers removed), to show last."""
        if self._tail is not None:
            rest = strip_markers(self._tail)
            separator = " "
        elif self._in_think:  # an unterminated think block is never shown
            rest, separator = "", ""
        else:
            # What is still held is ordinary text after all (e.g. a lone "#" at the very end),
            # together with the whitespace that separated it from what was shown.
            rest, separator = self._pending.strip(), self._pending[: len(self._pending) - len(self._pending.lstrip())]
        self._pending = ""
        if not rest:
            return ""
        if not self._shown_any:
            self._shown_any = True
            return rest
        return (separator or " ") + rest


def strip_markers(text: str) -> str:
    """``text`` without trailers, sentinels and think blocks, whitespace-trimmed."""
    text = _THINK_RE.sub("", text)
    text = _ANY_TRAILER_RE.sub("", text)
    text = _ANY_SENTINEL_RE.sub("", text)
    return re.sub(r"[ \t]*\n\s*\n+", "\n", text).strip()


@dataclass
class ParsedMarkers:
    """What the tail of a reply said about the customer's state."""

    mood: int | None = None
    goal_met: bool | None = None
    outcome: Outcome | None = None
    problems: list[str] = field(default_factory=list)


def parse_markers(tail: str) -> ParsedMarkers:
    """Read the state trailer and any sentinel from ``tail``, strictly.

    The trailer must match :data:`TRAILER_FORMAT` exactly with a mood of 0-10; otherwise mood and
    goal stay ``None`` and ``problems`` says why. The last known sentinel sets the outcome.
    """
    parsed = ParsedMarkers()
    tail = _THINK_RE.sub("", tail)
    trailers = list(TRAILER_RE.finditer(tail))
    loose = _ANY_TRAILER_RE.findall(tail)
    if trailers:
        last = trailers[-1]
        mood = int(last.group("mood"))
        if 0 <= mood <= 10:
            parsed.mood = mood
            parsed.goal_met = last.group("goal") == "true"
        else:
            parsed.problems.append(f"state trailer mood {mood} is outside 0-10: {last.group(0)!r}")
        if len(trailers) > 1:
            parsed.problems.append(f"{len(trailers)} state trailers in one reply; used the last")
    elif loose:
        parsed.problems.append(f"malformed state trailer {loose[-1]!r}; expected {TRAILER_FORMAT}")
    else:
        parsed.problems.append(f"missing state trailer; expected a last line {TRAILER_FORMAT}")

    found = _ANY_SENTINEL_RE.findall(tail)
    known = [SENTINEL_OUTCOMES[s] for s in found if s in SENTINEL_OUTCOMES]
    unknown = [s for s in found if s not in SENTINEL_OUTCOMES]
    if unknown:
        parsed.problems.append(f"unknown sentinel(s) ignored: {', '.join(unknown)}")
    if known:
        parsed.outcome = known[-1]
        if len(set(known)) > 1:
            parsed.problems.append(f"conflicting sentinels {', '.join(found)}; used the last")
    return parsed
