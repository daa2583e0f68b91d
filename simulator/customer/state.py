"""The customer's state, kept by code: the interface both customer engines use.

DESIGN.md: "The LLM engines replace the voice and the judge, never the recogniser, the state
machine or the rule checks." So both customers ask one :class:`CustomerStateMachine`
(``state_machine.CustomerRules``) what each agent message did to the customer — mood, patience,
facts told, offers on the table, goals, the outcome. The offline customer voices the step's
:class:`Move` list with persona lines; the LLM customer passes the step to the model as a short
hidden note and accepts an ending the model signals only when the state allows it (``resolved``
needs the customer's goal met: a complete acceptable offer accepted).

The interface (documented in ``docs/llm.md``) is small on purpose:

- :meth:`CustomerStateMachine.start`: the state before the agent's first word;
- :meth:`CustomerStateMachine.step`: what the agent's next message does, *not* committed (a reply
  that fails is asked for again with the same message and must find the same state);
- :meth:`CustomerStateMachine.commit`: keep that step once its reply became a turn.

``state_machine.CustomerRules`` implements it for both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simulator.models import Outcome, Turn

#: How many recent agent turns the note looks back over ("no progress for 3 of the last 4 turns").
RECENT_TURNS = 4


@dataclass(frozen=True)
class Move:
    """Something the customer does in its reply, named by a persona line category.

    ``values`` fill the line's slots (``fact_value``, ``agent_offer``, ``choice``, …); ``hints``
    steer which variant fits (``steer_to_product`` after a turn that engaged but settled nothing,
    ``just_got_proof`` after a first reference number).
    """

    category: str
    values: tuple[tuple[str, str], ...] = ()
    hints: frozenset[str] = frozenset()

    def value(self, name: str) -> str:
        """The value of slot ``name`` ("" when not given)."""
        return dict(self.values).get(name, "")


@dataclass(frozen=True)
class StateStep:
    """The customer's state after one agent message (or before the first one)."""

    agent_turns: int
    mood: int
    patience: int
    #: Agent turns in a row without visible progress.
    stalled: int
    #: For each agent turn so far, whether it moved things on.
    progress: tuple[bool, ...]
    #: Keys of the hidden facts the customer has given (or been asked for) so far.
    revealed: tuple[str, ...]
    #: Keys of the hidden facts the latest agent message asked for.
    asked: tuple[str, ...]
    #: The agent's own words for the acceptable offer on record, if one was made.
    offer: str | None
    #: What the customer turns down (the case's words) when the latest message offered it.
    refused_offer: str | None
    #: The rules consider the goal met (a complete acceptable offer accepted, and any further goal).
    goal_met: bool
    #: An ending the rules impose now (patience run out, a supervisor demanded); None otherwise.
    imposed: Outcome | None
    #: Endings the model may signal now (``resolved`` only with an acceptable offer on record).
    allowed: frozenset[Outcome] = field(default_factory=frozenset)
    #: What the customer does in this reply, in order (the offline voice speaks them).
    moves: tuple[Move, ...] = ()
    #: The outcome the rules reached with this step (``resolved`` included), None while it goes on.
    outcome: Outcome | None = None
    #: The customer accepted a remedy but still wants more (e.g. compensation for the delay).
    wants_more: bool = False

    @property
    def recent_stalls(self) -> tuple[int, int]:
        """(agent turns without progress, agent turns looked at) over the last :data:`RECENT_TURNS`."""
        recent = self.progress[-RECENT_TURNS:]
        return sum(1 for moved in recent if not moved), len(recent)


class CustomerStateMachine(Protocol):
    """What the LLM customer needs from the shared customer state machine."""

    def start(self) -> StateStep:
        """The state before the agent's first message."""
        ...

    def step(self, history: Sequence[Turn], agent_message: str) -> StateStep:
        """The state after ``agent_message``, given the turns before it; nothing is committed."""
        ...

    def commit(self, step: StateStep) -> None:
        """Keep ``step``, the latest one :meth:`step` returned (its reply became a turn)."""
        ...
