"""What an agent can fairly be expected to say at the two ends of a conversation.

A drill that starts part-way through (case ``start: mid_conversation``) has no opening to greet
in; an online chat has no phone opening (greeting formula, name and staff number); and when the
customer hangs up or leaves the chat, the agent gets no turn to close. In each of these the
greeting, self-introduction or closing is *excused*: the rule checks report nothing missing, and
the offline grader counts the behaviour as met (``basis: absence``), so the trainee loses nothing
for a step the conversation never offered (``docs/commitments.md``, "Fair expectations").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.errors import DrillError
from simulator.models import Case, Language, Transcript

PLATFORM_LINES = Path(__file__).resolve().parent.parent / "lexicons" / "platform_lines.yaml"

#: Phone-style openings: the agent answers or places a call and is expected to greet and give a name.
PHONE_OPENING_CHANNELS = frozenset({"phone", "outbound_call"})


class PlatformLinesError(DrillError):
    """``lexicons/platform_lines.yaml`` is malformed."""


class _LanguageLines(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_left: list[str] = Field(min_length=1)

    @field_validator("customer_left")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{pattern}' is not a valid regular expression: {exc}") from exc
        return patterns


@lru_cache(maxsize=4)
def _customer_left_pattern(path: Path, language: Language) -> re.Pattern[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        lines = _LanguageLines.model_validate((data or {}).get(language))
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise PlatformLinesError(f"{path}: cannot read platform lines: {exc}") from exc
    except ValidationError as exc:
        raise PlatformLinesError(f"{path}: {language}: {exc}") from exc
    return re.compile("|".join(f"(?:{p})" for p in lines.customer_left), re.IGNORECASE)


@dataclass(frozen=True)
class OpeningExpectation:
    """Which opening moves the conversation gives the agent a chance (and a duty) to make."""

    greeting: bool
    self_intro: bool


def opening_expected(case: Case | None, transcript: Transcript | None = None) -> OpeningExpectation:
    """Greeting and self-introduction are expected only when the agent opens a phone-style contact.

    The case's ``channel`` and ``start`` decide; without a case, the transcript's own optional
    ``channel`` and ``start`` (a QA lead can declare them for a chat export); when nothing says
    otherwise, both are expected (the default of a call log).
    """
    channel = case.channel if case is not None else (transcript.channel if transcript is not None else None)
    start = case.start if case is not None else (transcript.start if transcript is not None else None)
    phone_opening = (start or "greeting") == "greeting" and (channel or "phone") in PHONE_OPENING_CHANNELS
    return OpeningExpectation(greeting=phone_opening, self_intro=phone_opening)


def customer_ended_after(transcript: Transcript, turn: int, *, lines: Path = PLATFORM_LINES) -> bool:
    """True when the customer ended the conversation after agent turn ``turn``.

    Either the simulated customer's state records an ending (resolved, gave up, escalated,
    abandoned: the drill stops there, so the agent could not answer), or a platform line of an
    imported log says the customer hung up or left (``lexicons/platform_lines.yaml``).
    """
    after = transcript.turns[turn + 1 :]
    if any(t.role == "customer" and t.state is not None and t.state.outcome is not None for t in after):
        return True
    pattern = _customer_left_pattern(lines, transcript.language)
    return any(t.role == "system" and pattern.search(t.text) for t in after)
