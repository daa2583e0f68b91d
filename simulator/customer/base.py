"""The one interface both customer engines (offline and LLM) implement."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from simulator.models import Case, CustomerState, Language, Persona, Turn


@dataclass(frozen=True)
class CustomerReply:
    """A complete customer turn: the text the trainee sees, the hidden state, and what went oddly.

    ``warnings`` say what the engine had to correct in a model's reply (a state line removed, an
    ending the state did not allow); they are stored with the turn and shown to mentors.
    """

    text: str
    state: CustomerState
    warnings: tuple[str, ...] = ()

    @property
    def ended(self) -> bool:
        """True when the customer ended the conversation with this turn."""
        return self.state.outcome is not None


class ReplyStream:
    """Text deltas of a customer reply as they are produced; ``reply`` is set once exhausted.

    Iterating yields only trainee-visible text (never sentinels or state trailers). The text is
    provisional until ``reply`` is set: a stream that fails (or is cancelled) midway raises, and
    whatever it yielded is not a turn. :meth:`cancel` asks the engine to stop at its next chunk.
    """

    def __init__(
        self,
        deltas: Iterator[str],
        finish: Callable[[str], CustomerReply],
        *,
        cancel_event: threading.Event | None = None,
    ):
        self._deltas = deltas
        self._finish = finish
        self._parts: list[str] = []
        self.reply: CustomerReply | None = None
        #: Set by :meth:`cancel`; engines that take time watch it between chunks.
        self.cancel_event = cancel_event or threading.Event()

    def cancel(self) -> None:
        """Ask the engine to stop this reply (it raises ``ReplyStopped`` at its next chunk)."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self.cancel_event.is_set()

    def __iter__(self) -> Iterator[str]:
        for delta in self._deltas:
            self._parts.append(delta)
            yield delta
        self.reply = self._finish("".join(self._parts))

    def collect(self) -> CustomerReply:
        """Consume the stream and return the complete reply."""
        for _ in self:
            pass
        assert self.reply is not None
        return self.reply


class CustomerEngine(ABC):
    """A simulated customer playing one persona in one case."""

    #: "offline" or "llm"; shown in the app header and recorded with sessions.
    name: str = "abstract"

    def __init__(self, persona: Persona, case: Case, *, seed: int = 0):
        self.persona = persona
        self.case = case
        self.seed = seed

    @property
    def language(self) -> Language:
        """The drill's language (the case's)."""
        return self.case.language

    @abstractmethod
    def opening(self) -> CustomerReply:
        """The customer's first line."""

    @abstractmethod
    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        """Stream the customer's answer to ``agent_message`` given the conversation so far.

        ``history`` holds every turn before ``agent_message`` (customer turns with their state).
        """

    def respond(self, history: Sequence[Turn], agent_message: str) -> CustomerReply:
        """The complete answer to ``agent_message`` (non-streaming convenience)."""
        return self.stream(history, agent_message).collect()
