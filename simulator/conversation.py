"""One drill conversation: the transcript being built between a trainee and a customer engine.

The driver's one promise is that no fault loses a turn: the trainee's message is appended to the
transcript *before* the customer engine is called, and the customer's reply only once its stream
has completed normally. When the engine fails, or the trainee stops a slow reply, the agent turn
stays, the partial reply is dropped, the error surfaces as ``CustomerUnavailable`` (``ReplyStopped``
for a stop), and ``retry_last()`` asks the customer again for the same message. A drill holds at
most ``limits.DRILL_TURNS`` turns: the message that would pass it is refused (``ConversationFull``)
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.errors import (
    ConversationEnded,
    ConversationFull,
    CustomerUnavailable,
    DrillError,
    MessageRejected,
    ReplyStopped,
)
from simulator.limits import DRILL_TURNS, MESSAGE_CHARS, too_long
from simulator.models import CustomerState, Transcript, Turn


def utc_now_iso() -> str:
    """The current time as ISO-8601 with a UTC offset, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Conversation:
    """A transcript in progress between a trainee and ``engine``."""

    def __init__(
        self,
        engine: CustomerEngine,
        *,
        transcript_id: str | None = None,
        clock: Callable[[], str] = utc_now_iso,
    ):
        self.engine = engine
        self._clock = clock
        #: What the engine corrected in each customer turn, by turn index (see CustomerReply.warnings).
        self.turn_warnings: dict[int, tuple[str, ...]] = {}
        self.transcript = Transcript(
            language=engine.language,
            turns=[],
            id=transcript_id,
            persona_id=engine.persona.id,
            case_id=engine.case.id,
            archetype=engine.persona.archetype,
            scenario=engine.case.title,
        )

    # -----------------------------------------------------------------------------------------
    # State

    @property
    def turns(self) -> list[Turn]:
        """The turns so far (the transcript's own list)."""
        return self.transcript.turns

    @property
    def started(self) -> bool:
        """True once the customer's opening line is in the transcript."""
        return bool(self.turns)

    @property
    def state(self) -> CustomerState | None:
        """The customer's state after its latest turn (None before the opening)."""
        for turn in reversed(self.turns):
            if turn.role == "customer":
                return turn.state
        return None

    @property
    def ended(self) -> bool:
        """True when the customer ended the conversation (its state carries an outcome)."""
        state = self.state
        return state is not None and state.outcome is not None

    @property
    def pending(self) -> bool:
        """True when the last turn is the trainee's and still waits for the customer's answer."""
        return bool(self.turns) and self.turns[-1].role == "agent"

    # -----------------------------------------------------------------------------------------
    # Actions

    def start(self) -> CustomerReply:
        """Add the customer's opening line; calling it again returns the same opening."""
        if self.started:
            first = self.turns[0]
            if first.state is None:  # only a transcript built elsewhere could lack it
                raise DrillError("this transcript's first turn has no customer state; start a new session")
            return CustomerReply(text=first.text, state=first.state)
        reply = self.engine.opening()
        self._append_customer(reply)
        return reply

    @staticmethod
    def validate_agent_message(text: str) -> str:
        """Return the message without surrounding whitespace, or raise ``MessageRejected``.

        Empty messages are refused, and so are messages over ``limits.MESSAGE_CHARS`` characters:
        they are never cut silently.
        """
        cleaned = (text or "").strip()
        if not cleaned:
            raise MessageRejected("The message is empty. Type what you would say to the customer.")
        limit = MESSAGE_CHARS.value
        if len(cleaned) > limit:
            raise MessageRejected(
                f"The message is {len(cleaned)} characters long; the limit is {limit}. "
                "Shorten it or split it into several turns (a real customer would not read a wall of text)."
            )
        return cleaned

    def send(self, text: str) -> ReplyStream:
        """Add the trainee's message, then stream the customer's reply.

        The agent turn is in the transcript before the engine is called; the customer turn is
        added when the returned stream has been consumed. Engine faults raise
        ``CustomerUnavailable`` (immediately or while iterating) and leave the agent turn pending.
        """
        message = self.validate_agent_message(text)
        if not self.started:
            self.start()
        if self.ended:
            raise ConversationEnded(
                "The customer has already ended this conversation. End the session to see your "
                "scorecard, or start a new one."
            )
        self.check_room()
        self.turns.append(Turn(role="agent", text=message, ts=self._clock()))
        return self._ask_customer()

    def check_room(self) -> None:
        """Raise ``ConversationFull`` when a message and its reply would pass ``limits.DRILL_TURNS``."""
        limit = DRILL_TURNS.value
        if len(self.turns) + 2 > limit:
            detail = too_long("This drill", len(self.turns) + 2, DRILL_TURNS)
            raise ConversationFull(
                f"{detail}. End it to see your scorecard; a real conversation is settled long before this."
            )

    def retry_last(self) -> ReplyStream:
        """Ask the customer again for the pending agent turn (after ``CustomerUnavailable``)."""
        if not self.pending:
            raise DrillError("There is no unanswered message to retry; send a new message instead.")
        return self._ask_customer()

    def to_json(self) -> dict[str, Any]:
        """The transcript as DESIGN.md's JSON (customer turns always carry their state)."""
        data: dict[str, Any] = {"language": self.transcript.language}
        for key in ("id", "persona_id", "case_id", "archetype", "scenario"):
            value = getattr(self.transcript, key)
            if value is not None:
                data[key] = value
        data["turns"] = [turn_json(turn) for turn in self.turns]
        return data

    # -----------------------------------------------------------------------------------------
    # Internals

    def _ask_customer(self) -> ReplyStream:
        history = list(self.turns[:-1])
        message = self.turns[-1].text
        try:
            inner = self.engine.stream(history, message)
        except CustomerUnavailable:
            raise
        except Exception as exc:  # any engine failure must keep the trainee's turn
            raise _unavailable(exc) from exc
        return ReplyStream(self._relay(inner), lambda _text: self._complete(inner), cancel_event=inner.cancel_event)

    def _relay(self, inner: ReplyStream) -> Iterator[str]:
        try:
            yield from inner
        except CustomerUnavailable:
            raise
        except Exception as exc:
            raise _unavailable(exc) from exc

    def _complete(self, inner: ReplyStream) -> CustomerReply:
        if inner.cancelled:  # stopped after its last chunk: still not a turn the trainee accepted
            raise ReplyStopped("You stopped the customer's reply. Your message was kept; press Retry to ask again.")
        if inner.reply is None:  # the inner stream always sets it once exhausted
            raise CustomerUnavailable("The customer's reply was incomplete. Your message was kept; retry.")
        self._append_customer(inner.reply)
        return inner.reply

    def _append_customer(self, reply: CustomerReply) -> None:
        if reply.warnings:
            self.turn_warnings[len(self.turns)] = reply.warnings
        self.turns.append(Turn(role="customer", text=reply.text, ts=self._clock(), state=reply.state))


def turn_json(turn: Turn) -> dict[str, Any]:
    """One turn as transcript JSON: ``ts`` when known, ``state`` (with ``outcome``) on customer turns."""
    data: dict[str, Any] = {"role": turn.role, "text": turn.text}
    if turn.ts is not None:
        data["ts"] = turn.ts
    if turn.state is not None:
        data["state"] = turn.state.model_dump(mode="json")
    return data


def _unavailable(exc: Exception) -> CustomerUnavailable:
    return CustomerUnavailable(
        f"The customer could not answer ({type(exc).__name__}: {exc}). Your message was kept; "
        "retry it, or switch to the offline engine (--engine offline) if the endpoint stays down."
    )
