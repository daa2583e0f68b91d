"""Importing a chat log: from a file's bytes to a strict ``Transcript`` that is safe to grade and store.

The one import path for ``drill grade`` and the mentor's import in the app (``docs/import.md``):

1. **Bounded.** The file's size is checked against ``limits.TRANSCRIPT_BYTES`` before it is read,
   its turns and characters against ``TRANSCRIPT_TURNS`` and ``TRANSCRIPT_CHARS`` after parsing.
2. **Decoded.** UTF-8, with or without a byte-order mark.
3. **Parsed** as JSON; JSON nested too deeply for the parser is refused with a message, never a
   ``RecursionError``.
4. **Aliases normalised.** Chat exports often use the OpenAI message shape: role ``user`` is read as
   ``customer``, ``assistant`` as ``agent``, and a turn's ``content`` key as ``text``; ``system``
   lines are kept (shown to mentors, never graded). Nothing else is renamed: the transcript schema
   stays strict, so any other unknown key or value is an error with its line and column.
5. **Masked.** Phone numbers, e-mail addresses, street addresses, ID and card numbers are replaced
   by masks (``simulator.privacy_mask``) unless the caller keeps them.
6. **Checked for plausibility.** Warnings (never errors) when the declared language does not match
   the text's script, or the roles look wrong (one side only, or the customer's side doing what
   agents do: greeting, apologising, offering, closing).

Every problem raises ``TranscriptFileError`` whose ``problems`` are ``path[:line:col]: message``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.grading.transcript_file import TranscriptFileError, describe_validation_error, load_json
from simulator.i18n import t
from simulator.limits import TRANSCRIPT_BYTES, TRANSCRIPT_CHARS, TRANSCRIPT_TURNS, too_long
from simulator.models import DialogueAct, Language, Transcript
from simulator.privacy_mask import mask_personal_data

#: Role values read as another role (documented aliases; nothing else is renamed).
ROLE_ALIASES: dict[str, str] = {"user": "customer", "assistant": "agent"}
#: Turn keys read as another key.
TURN_KEY_ALIASES: dict[str, str] = {"content": "text"}

# What agents do and customers rarely do: the roles look swapped when most customer turns do these,
# and more often (per turn) than the agent's turns.
_AGENT_MOVES = frozenset(
    {
        DialogueAct.greeting,
        DialogueAct.self_intro,
        DialogueAct.apology,
        DialogueAct.offer_solution,
        DialogueAct.explain_policy,
        DialogueAct.closing,
    }
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class ImportWarning:
    """Something that looks wrong in an imported log but does not stop it being graded."""

    code: str
    values: dict[str, object] = field(default_factory=dict)

    def message(self, language: Language = "en") -> str:
        """The warning in ``language``."""
        values = dict(self.values)
        if self.code == "language":
            values = {"declared": values["declared"], "found": t(f"script.{values['found']}", language)}
        return t(f"import.{self.code}", language, **values)


@dataclass(frozen=True)
class ImportedTranscript:
    """A transcript read through the import path, with what was done to it on the way."""

    transcript: Transcript
    warnings: list[ImportWarning] = field(default_factory=list)
    masked: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)

    @property
    def masked_total(self) -> int:
        """How many personal values were masked."""
        return sum(self.masked.values())


# ---------------------------------------------------------------------------------------------
# Reading


def read_transcript_file(path: Path, *, mask: bool = True) -> ImportedTranscript:
    """Import the chat log at ``path`` (see the module docstring); raise ``TranscriptFileError``."""
    display = str(path)
    try:
        if not path.is_file():
            reason = "file not found" if not path.exists() else "not a regular file"
            raise TranscriptFileError([f"{display}: {reason}"])
        size = path.stat().st_size
        if size > TRANSCRIPT_BYTES.value:
            raise TranscriptFileError([f"{display}: {too_long('the file', size, TRANSCRIPT_BYTES)}"])
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptFileError([f"{display}: cannot read file: {exc.strerror or exc}"]) from exc
    return read_transcript_bytes(data, display, mask=mask)


def read_transcript_bytes(data: bytes, display: str = "<transcript>", *, mask: bool = True) -> ImportedTranscript:
    """Import a chat log from its raw bytes (UTF-8, a byte-order mark allowed)."""
    if len(data) > TRANSCRIPT_BYTES.value:
        raise TranscriptFileError([f"{display}: {too_long('the transcript', len(data), TRANSCRIPT_BYTES)}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptFileError(
            [f"{display}: not UTF-8 text (byte {exc.start} is {data[exc.start : exc.start + 1]!r}); save it as UTF-8"]
        ) from exc
    return read_transcript_text(text, display, mask=mask)


def read_transcript_text(text: str, display: str = "<transcript>", *, mask: bool = True) -> ImportedTranscript:
    """Import a chat log from its text (a leading byte-order mark is ignored)."""
    text = text.removeprefix("\ufeff")
    if len(text.encode("utf-8")) > TRANSCRIPT_BYTES.value:
        raise TranscriptFileError(
            [f"{display}: {too_long('the transcript', len(text.encode('utf-8')), TRANSCRIPT_BYTES)}"]
        )
    data = load_json(text, display)
    if not isinstance(data, dict):
        raise TranscriptFileError(
            [f"{display}:1:1: expected a JSON object with 'language' and 'turns', got {_json_type(data)}"]
        )
    aliases = _normalise_aliases(data, display)
    _check_size(data, display)
    try:
        transcript = Transcript.model_validate(data)
    except ValidationError as exc:
        raise TranscriptFileError(describe_validation_error(exc, text, display)) from exc
    masked: dict[str, int] = {}
    if mask:
        transcript, masked = _masked(transcript)
    return ImportedTranscript(transcript, plausibility_warnings(transcript), masked, aliases)


def _json_type(value: Any) -> str:
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _normalise_aliases(data: dict[str, Any], display: str) -> dict[str, int]:
    """Rename the documented aliases in place; count each. Conflicts are errors."""
    used: dict[str, int] = {}
    turns = data.get("turns")
    if not isinstance(turns, list):
        return used
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict):
            continue
        for alias, key in TURN_KEY_ALIASES.items():
            if alias in turn:
                if key in turn:
                    raise TranscriptFileError(
                        [f"{display}: turns[{index}] has both '{key}' and '{alias}' (an alias of '{key}'); keep one"]
                    )
                turn[key] = turn.pop(alias)
                used[f"{alias}->{key}"] = used.get(f"{alias}->{key}", 0) + 1
        role = turn.get("role")
        if isinstance(role, str) and role in ROLE_ALIASES:
            turn["role"] = ROLE_ALIASES[role]
            used[f"{role}->{turn['role']}"] = used.get(f"{role}->{turn['role']}", 0) + 1
    return used


def _check_size(data: dict[str, Any], display: str) -> None:
    turns = data.get("turns")
    if not isinstance(turns, list):
        return
    if len(turns) > TRANSCRIPT_TURNS.value:
        raise TranscriptFileError([f"{display}: {too_long('the transcript', len(turns), TRANSCRIPT_TURNS)}"])
    chars = sum(len(turn["text"]) for turn in turns if isinstance(turn, dict) and isinstance(turn.get("text"), str))
    if chars > TRANSCRIPT_CHARS.value:
        raise TranscriptFileError([f"{display}: {too_long('the text of all turns', chars, TRANSCRIPT_CHARS)}"])


def _masked(transcript: Transcript) -> tuple[Transcript, dict[str, int]]:
    counts: dict[str, int] = {}

    def mask(text: str) -> str:
        result = mask_personal_data(text, transcript.language)
        for kind, count in result.counts.items():
            counts[kind] = counts.get(kind, 0) + count
        return result.text

    turns = [turn.model_copy(update={"text": mask(turn.text)}) for turn in transcript.turns]
    scenario = mask(transcript.scenario) if transcript.scenario else transcript.scenario
    return transcript.model_copy(update={"turns": turns, "scenario": scenario}), counts


# ---------------------------------------------------------------------------------------------
# Plausibility


def script_of(texts: Sequence[str]) -> Language | None:
    """The script most of ``texts`` is written in: Chinese characters against English words; None if neither."""
    joined = "\n".join(texts)
    cjk = len(_CJK.findall(joined))
    words = len(_LATIN_WORD.findall(joined))
    if cjk == words:
        return None
    return "zh-CN" if cjk > words else "en"


def plausibility_warnings(transcript: Transcript) -> list[ImportWarning]:
    """Warnings for a declared language that does not match the text, and roles that look wrong."""
    warnings: list[ImportWarning] = []
    found = script_of([turn.text for turn in transcript.turns])
    if found is not None and found != transcript.language:
        warnings.append(ImportWarning("language", {"declared": transcript.language, "found": found}))
    agent = [turn.text for turn in transcript.turns if turn.role == "agent"]
    customer = [turn.text for turn in transcript.turns if turn.role == "customer"]
    if not agent:
        warnings.append(ImportWarning("no_agent"))
    if not customer:
        warnings.append(ImportWarning("no_customer"))
    if agent and customer:
        agent_moves = _turns_with_agent_moves(agent, transcript.language)
        customer_moves = _turns_with_agent_moves(customer, transcript.language)
        # Swapped when most of the customer's turns do what agents do, and more of them (per turn,
        # cross-multiplied) than the agent's: a customer's "Hi" or "thanks" next to a poor agent who
        # never greets or offers anything is not a swap.
        if 2 * customer_moves > len(customer) and customer_moves * len(agent) > agent_moves * len(customer):
            warnings.append(
                ImportWarning(
                    "swapped",
                    {
                        "customer": customer_moves,
                        "customer_turns": len(customer),
                        "agent": agent_moves,
                        "agent_turns": len(agent),
                    },
                )
            )
    return warnings


def _turns_with_agent_moves(texts: Sequence[str], language: Language) -> int:
    from simulator.recognizer import recognize

    return sum(1 for text in texts if text.strip() and recognize(text, language).acts & _AGENT_MOVES)


__all__ = [
    "ROLE_ALIASES",
    "TURN_KEY_ALIASES",
    "ImportWarning",
    "ImportedTranscript",
    "load_json",
    "plausibility_warnings",
    "read_transcript_bytes",
    "read_transcript_file",
    "read_transcript_text",
    "script_of",
]
