"""Domain errors that the CLI and the app turn into clear messages for people.

Each error's message says what went wrong and what to do about it; callers print ``str(error)``.
"""

from __future__ import annotations

from typing import Literal

#: Kinds of LLM endpoint fault, as ``LLMUnavailable.reason``. ``context_length``: the request is
#: longer than the model's context window; ``incomplete``: a streamed reply ended before its end
#: (no ``finish_reason``); ``cut_off``: it hit the token cap (``finish_reason: length``);
#: ``filtered``: the provider's content filter stopped it; ``stopped``: the user pressed Stop.
LLMFailure = Literal[
    "down",
    "timeout",
    "rate_limited",
    "auth",
    "not_found",
    "bad_request",
    "context_length",
    "server_error",
    "garbage",
    "incomplete",
    "cut_off",
    "filtered",
    "stopped",
]


class DrillError(Exception):
    """Base class for errors a person can act on."""


class MessageRejected(DrillError, ValueError):
    """A trainee message was refused (empty, or longer than the documented limit)."""


class CustomerUnavailable(DrillError):
    """The simulated customer could not answer (endpoint down, slow, rate-limited, garbage).

    The trainee's message is kept in the transcript; the caller may retry the same turn.
    """


class ReplyStopped(CustomerUnavailable):
    """The trainee stopped a customer reply that took too long; their message is kept for a retry."""


class ConversationFull(DrillError):
    """A message was refused because the drill already holds the most turns a drill may have."""


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

    def __init__(
        self, message: str, *, reason: LLMFailure, base_url: str, model: str, retry_after: float | None = None
    ):
        super().__init__(message)
        self.reason: LLMFailure = reason
        self.base_url = base_url
        self.model = model
        #: Seconds the server asked to wait before trying again (``Retry-After``), when it said.
        self.retry_after = retry_after


class PromptTooLong(DrillError):
    """A model prompt would exceed its documented cap (``limits``); it was not sent."""


class GradingFailed(DrillError):
    """Grading produced no report: the LLM endpoint failed, refused the prompt, or sent nothing usable.

    Nothing is stored as a report; the session keeps the failure with its reason and can be
    graded again (End, the mentor's Regrade, or the background sweep).
    """


class GradingBusy(DrillError):
    """The session is being graded right now by another request or another server."""
