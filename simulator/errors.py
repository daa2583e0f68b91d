"""Domain errors that the CLI and the app turn into clear messages for people.

Each error's message says what went wrong and what to do about it; callers print ``str(error)``.
"""

from __future__ import annotations

from typing import Literal

#: Kinds of LLM endpoint fault, as ``LLMUnavailable.reason``.
LLMFailure = Literal["down", "timeout", "rate_limited", "auth", "not_found", "bad_request", "server_error", "garbage"]


class DrillError(Exception):
    """Base class for errors a person can act on."""


class MessageRejected(DrillError, ValueError):
    """A trainee message was refused (empty, or longer than the documented limit)."""


class CustomerUnavailable(DrillError):
    """The simulated customer could not answer (endpoint down, slow, rate-limited, garbage).

    The trainee's message is kept in the transcript; the caller may retry the same turn.
    """


class ConversationEnded(DrillError):
    """A message was sent after the customer had already ended the conversation."""


class LanguageMismatch(DrillError, ValueError):
    """A persona was paired with a case in a language the persona does not speak."""


class LexiconError(DrillError):
    """A lexicon file in ``simulator/lexicons/`` is missing or invalid."""


class LLMUnavailable(DrillError):
    """The LLM endpoint gave no usable answer (after the configured retries).

    Raised by ``simulator.llm`` in place of provider exceptions. ``reason`` says which kind of
    fault it was (see ``LLMFailure``); ``base_url`` and ``model`` say which endpoint. The message
    names both and what to check.
    """

    def __init__(self, message: str, *, reason: LLMFailure, base_url: str, model: str):
        super().__init__(message)
        self.reason: LLMFailure = reason
        self.base_url = base_url
        self.model = model
