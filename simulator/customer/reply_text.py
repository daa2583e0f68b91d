"""What the trainee sees of an LLM customer's reply: the words, never a marker or state residue.

The model is told to write only the customer's words, and to end a conversation with a sentinel
on its own line (``###RESOLVED###``, ``###GAVE_UP###``, ``###ESCALATE###``). Small models do not
always manage. What they were seen to write instead (issue 13): state lines in every shape
(``<<state mood=3 goal_met=true>>``, ``<< state mood = 6 ... >>``, ``<state mood=4 goal_met=false>``,
``State: mood=4``, ``[State: mood 4, goal met: no]``, ``(mood: 6)``, ``mood=3, goal_met``,
``goal_met=False``, the literal ``mood=N``, ``【状态：情绪5】``), sentinels in every shape
(``###resolved###``, ``###RESOLVED`` with no closing marks, a bare ``RESOLVED``, ``[RESOLVED]``,
``**RESOLVED**``), Markdown (``**``, code fences), stage directions (``*sighs*``) and the
``<think>`` block of a reasoning model.

:func:`clean_reply` removes all of it from the complete reply and reads the ending signal; every
removal becomes a warning (stored with the turn, shown to mentors). Only structure is matched here:
our own marker vocabulary and bracket shapes, never the meaning of the customer's words.

:class:`ReplyFilter` does the same while the reply streams: it shows text only once nothing before
it could still turn out to be part of a marker (an open bracket, a ``#`` run, a word that may
become ``mood=`` or ``RESOLVED``), so a marker split across chunks never reaches the screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Signal = Literal["resolved", "gave_up", "escalated"]

#: The sentinels as the prompt spells them.
SENTINELS: dict[str, Signal] = {
    "###RESOLVED###": "resolved",
    "###GAVE_UP###": "gave_up",
    "###ESCALATE###": "escalated",
}

# Our marker vocabulary (the words the prompts and older trailers use), in any case.
_STATE_WORDS = r"state|mood|goal[_ ]?met|goal|情绪|心情|状态|目标达成|目标"
_SENTINEL_WORD = r"RESOLVED|GAVE[_ -]?UP|ESCALATED?"
_SIGNALS: dict[str, Signal] = {
    "RESOLVED": "resolved",
    "GAVEUP": "gave_up",
    "ESCALATE": "escalated",
    "ESCALATED": "escalated",
}

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_DOUBLE_ANGLE = re.compile(r"<<[^<>]*(?:>>|\Z)")
_STATE_TAG = re.compile(rf"</?\s*(?:{_STATE_WORDS})\b[^<>\n]*>?", re.IGNORECASE)
# A bracketed span whose content names our state vocabulary: [State: mood 4], (mood: 6), 【状态】.
_BRACKETED_STATE = re.compile(
    rf"[\[【(（{{<]\s*(?:{_STATE_WORDS})[^\[\]【】()（）{{}}<>\n]{{0,160}}[\]】)）}}>]", re.IGNORECASE
)
# A line, or the tail of one, that is a state assignment: "State: mood=4", "mood=3, goal_met".
_STATE_ASSIGNMENT = re.compile(
    rf"(?:^|(?<=[\s,.;，。；]))(?:{_STATE_WORDS})\s*(?:[:=：]|(?=\s*\d))[^\n]*", re.IGNORECASE | re.MULTILINE
)
_SENTINEL = re.compile(
    rf"(?P<open>#{{2,}}|\[|【|<|\*\*|\()?[ \t]*(?P<word>{_SENTINEL_WORD})[ \t]*(?P<close>#{{2,}}|\]|】|>|\*\*|\))?",
    re.IGNORECASE,
)
_FENCE = re.compile(r"`{3,}[a-zA-Z]*|`+")
_BOLD = re.compile(r"\*\*(?P<inner>[^*\n]{1,200}?)\*\*|__(?P<inner2>[^_\n]{1,200}?)__")
_STAGE = re.compile(r"(?<![\w*])\*(?P<inner>[^*\n]{1,80}?)\*(?![\w*])")
_STRAY = re.compile(r"\*+|#{2,}")
# A speaker label the model put before its own words: "Customer: ...", "顾客：...".
_SPEAKER = re.compile(r"\A\s*(?:customer|顾客|客户)\s*[:：]\s*", re.IGNORECASE)
_SPEAKER_LABELS = ("customer", "顾客", "客户")


@dataclass
class CleanReply:
    """A reply as the trainee sees it, the ending it signals and what had to be removed."""

    text: str
    signal: Signal | None = None
    warnings: list[str] = field(default_factory=list)


def _signal_of(word: str) -> Signal | None:
    return _SIGNALS.get(re.sub(r"[_ -]", "", word.upper()))


def _sentinels(text: str, found: CleanReply) -> str:
    def replace(match: re.Match[str]) -> str:
        word, opening, closing = match.group("word"), match.group("open"), match.group("close")
        bare = opening is None and closing is None
        # A bare word counts only in capitals ("RESOLVED"), never the customer saying "resolved".
        if bare and word != word.upper():
            return match.group(0)
        signal = _signal_of(word)
        if signal is None:
            return match.group(0)
        found.signal = signal
        if match.group(0).strip() not in SENTINELS:
            canonical = next(key for key, value in SENTINELS.items() if value == signal)
            found.warnings.append(f"ending marker written as {match.group(0).strip()!r} (expected {canonical})")
        return " "

    return _SENTINEL.sub(replace, text)


def _remove(pattern: re.Pattern[str], text: str, found: CleanReply, what: str) -> str:
    def replace(match: re.Match[str]) -> str:
        piece = match.group(0).strip()
        if piece:
            found.warnings.append(f"removed {what} {piece[:80]!r}")
        return " "

    return pattern.sub(replace, text)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000]{2,}", " ", line).strip() for line in text.splitlines()]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    # A space left before punctuation where something was cut out: "Fine ." -> "Fine."
    text = re.sub(r" +([,.!?;:，。！？；：])", r"\1", text)
    return text.strip()


def clean_reply(raw: str) -> CleanReply:
    """The trainee-visible text of ``raw``, its ending signal (the last one) and the warnings."""
    found = CleanReply(text="")
    text = raw
    if _THINK.search(text):
        text = _THINK.sub(" ", text)  # a reasoning model's thoughts: expected, no warning
    text = _remove(_SPEAKER, text, found, "a speaker label")
    text = _remove(_DOUBLE_ANGLE, text, found, "a state line")
    text = _sentinels(text, found)
    text = _remove(_STATE_TAG, text, found, "a state tag")
    text = _remove(_BRACKETED_STATE, text, found, "a state note")
    text = _remove(_STATE_ASSIGNMENT, text, found, "a state line")
    if _FENCE.search(text):
        found.warnings.append("removed Markdown code marks")
        text = _FENCE.sub(" ", text)

    def unbold(match: re.Match[str]) -> str:
        found.warnings.append(f"removed Markdown emphasis around {match.group(0)[:80]!r}")
        return match.group("inner") or match.group("inner2") or ""

    text = _BOLD.sub(unbold, text)
    text = _remove(_STAGE, text, found, "a stage direction")
    if _STRAY.search(text):
        found.warnings.append("removed stray Markdown marks")
        text = _STRAY.sub(" ", text)
    found.text = _tidy(text)
    return found


# ---------------------------------------------------------------------------------------------
# Streaming

_OPENERS = {"<": ">", "[": "]", "【": "】", "(": ")", "（": "）", "{": "}"}
#: An open bracket waits this many characters for its closing mark before it counts as text.
MAX_SPAN = 160
_KEYWORDS = ("state", "mood", "goal_met", "goal", "resolved", "gave_up", "gave", "escalate", "escalated")
_CJK_KEYWORDS = ("情绪", "心情", "状态", "目标")
_WORD_CHAR = re.compile(r"[A-Za-z_]")


def _undecided_label(raw: str) -> bool:
    """True while the start of ``raw`` may still become a speaker label ("Customer:")."""
    head = raw.lstrip()
    for label in _SPEAKER_LABELS:
        if len(head) <= len(label) and label.startswith(head.lower()):
            return True
        if head.lower().startswith(label) and not head[len(label) :].strip():
            return True
    return False


def _decided(raw: str) -> int:
    """How much of ``raw`` can be shown now: up to the first place a marker might still be forming."""
    if _undecided_label(raw):
        return 0
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if raw.startswith("<think>", i) or raw.lower().startswith("<think>", i):
            end = raw.find("</think>", i)
            if end < 0:
                return i
            i = end + len("</think>")
            continue
        if char in _OPENERS:
            closing = ">>" if raw.startswith("<<", i) else _OPENERS[char]
            end = raw.find(closing, i + 1, i + 1 + MAX_SPAN)
            newline = raw.find("\n", i + 1, i + 1 + MAX_SPAN)
            if end >= 0 and (newline < 0 or end < newline):
                i = end + len(closing)
                continue
            if newline < 0 and n - i < MAX_SPAN:
                return i  # still open: wait for the close
            i += 1
            continue
        if char in "#*`_":
            run = i
            while run < n and raw[run] == char:
                run += 1
            if run == n:
                return i
            if char == "#":
                match = re.match(rf"#+[ \t]*(?:{_SENTINEL_WORD})?[ \t]*#*", raw[i:], re.IGNORECASE)
                end = i + (match.end() if match else 1)
                if end >= n:
                    return i
                i = end
                continue
            if char == "*":
                close = raw.find("*" * (run - i), run, run + MAX_SPAN)
                newline = raw.find("\n", run, run + MAX_SPAN)
                if close >= 0 and (newline < 0 or close < newline):
                    i = close + (run - i)
                    continue
                if newline < 0 and n - i < MAX_SPAN:
                    return i
            i = run
            continue
        if _WORD_CHAR.match(char) and (i == 0 or not _WORD_CHAR.match(raw[i - 1])):
            end = i
            while end < n and _WORD_CHAR.match(raw[end]):
                end += 1
            word = raw[i:end].lower()
            if end == n:
                if any(keyword.startswith(word) for keyword in _KEYWORDS):
                    return i
                return n
            rest = raw[end : end + 3]
            if raw[i:end] == "GAVE" and any(tail.startswith(rest) for tail in (" UP", "-UP")) and len(rest) < 3:
                return i  # may still become "GAVE UP"
            if word in ("state", "mood", "goal_met", "goal"):
                after = raw[end:].lstrip(" \t")
                if not after:
                    return i
                if after[0] in "=:：" or after[0].isdigit():
                    line_end = raw.find("\n", end)
                    if line_end < 0:
                        return i
                    i = line_end
                    continue
            i = end
            continue
        for keyword in _CJK_KEYWORDS:
            if keyword.startswith(raw[i : i + len(keyword)]) and i + len(keyword) > n:
                return i  # the start of a keyword at the very end
            if raw.startswith(keyword, i):
                rest = raw[i + len(keyword) :].lstrip(" \t")
                if not rest:
                    return i
                if rest[0] in "=:：" or rest[0].isdigit():
                    line_end = raw.find("\n", i)
                    if line_end < 0:
                        return i
                    i = line_end
                break
        i += 1
    # Trailing whitespace waits: it is shown only if text follows it.
    return len(raw.rstrip())


class ReplyFilter:
    """Streams the visible text of a reply; :meth:`close` gives the final :class:`CleanReply`.

    ``feed`` returns the text that may be shown now (possibly ``""``); everything shown is a
    prefix of the final text, which the caller stores.
    """

    def __init__(self) -> None:
        self._raw: list[str] = []
        self.shown = ""

    @property
    def raw(self) -> str:
        """Everything the model wrote so far."""
        return "".join(self._raw)

    def feed(self, delta: str) -> str:
        """Take the next chunk; return the newly visible text."""
        self._raw.append(delta)
        raw = self.raw
        visible = clean_reply(raw[: _decided(raw)]).text
        return self._advance(visible)

    def close(self) -> tuple[str, CleanReply]:
        """End of the stream: the last visible text to show, and the complete cleaned reply."""
        final = clean_reply(self.raw)
        return self._advance(final.text), final

    def _advance(self, visible: str) -> str:
        if not visible.startswith(self.shown):
            return ""  # never take back what was shown; the stored text is the final one
        new = visible[len(self.shown) :]
        self.shown = visible
        return new
