"""The transcript contract: a conversation's turns and the simulated customer's state (DESIGN.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.i18n import CatalogueValueError
from simulator.models.base import Language, Mood, StrictModel
from simulator.models.case import Channel, Start

Outcome = Literal["resolved", "gave_up", "escalated", "abandoned"]


class CustomerState(StrictModel):
    """The simulated customer's hidden state after one of its turns."""

    mood: Mood = Field(description="Mood after this turn, 0 (calm) to 10 (furious).")
    goal_met: bool = Field(description="Whether the customer's goal has been met.")
    outcome: Outcome | None = Field(default=None, description="Set when the conversation ended on this turn.")


class Turn(StrictModel):
    """One message of a conversation."""

    role: Literal["customer", "agent", "system"] = Field(
        description=(
            "Who spoke. 'system' is a line from the chat platform in an imported log (a transfer, "
            "a queue notice): shown to mentors, never graded and never quoted as evidence."
        )
    )
    text: str = Field(description="What was said.")
    ts: str | None = Field(default=None, description="ISO-8601 time the message was sent (optional).")
    state: CustomerState | None = Field(default=None, description="Customer state (customer turns only).")

    @model_validator(mode="after")
    def _state_only_on_customer(self) -> Turn:
        if self.state is not None and self.role != "customer":
            raise CatalogueValueError("model.state_on_agent")
        return self


class Transcript(StrictModel):
    """A conversation between a (simulated or real) customer and an agent."""

    language: Language = Field(description="Language of the conversation.")
    turns: list[Turn] = Field(description="Messages in order.")
    id: str | None = Field(default=None, description="Transcript or session id.")
    persona_id: str | None = Field(default=None, description="Persona that played the customer, if simulated.")
    case_id: str | None = Field(default=None, description="Case the conversation follows, if known.")
    archetype: str | None = Field(default=None, description="Customer type, e.g. rational, emotional.")
    scenario: str | None = Field(default=None, description="Free-text description of the situation.")
    channel: Channel | None = Field(
        default=None,
        description=(
            "How the contact happened, for a log without a case: phone, chat or outbound_call. "
            "Only a phone-style opening expects a greeting and a self-introduction (docs/commitments.md)."
        ),
    )
    start: Start | None = Field(
        default=None,
        description=(
            "greeting, or mid_conversation when the log starts part-way through (nobody greets). "
            "A transcript with a case_id follows its case's channel and start instead."
        ),
    )

    def agent_turn_indices(self) -> list[int]:
        """Indices of the agent's turns."""
        return [index for index, turn in enumerate(self.turns) if turn.role == "agent"]
