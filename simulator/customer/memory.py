"""What the customer's rules remember between agent turns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from simulator.models import DialogueAct, Outcome


@dataclass
class CustomerMemory:
    """Everything the rules remember between turns (copied per step, kept on commit)."""

    mood: int
    agent_turns: int = 0
    revealed: list[str] = field(default_factory=list)
    stalled: int = 0
    progress: tuple[bool, ...] = ()
    furious_turns: int = 0
    forbidden_count: int = 0
    empathy_count: int = 0
    proof_seen: bool = False
    proof_demanded: bool = False
    pending_offer: str | None = None
    #: The agent's own words for each offer: its keyword as said (for short line fills) and its sentence.
    offer_words: dict[str, str] = field(default_factory=dict)
    offer_sentences: dict[str, str] = field(default_factory=dict)
    #: Offers the agent made concrete (what, and when or how much).
    complete: list[str] = field(default_factory=list)
    considered: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    goal_raised: bool = False
    goal_met: bool = False
    outcome: Outcome | None = None
    engaged: dict[DialogueAct, int] = field(default_factory=dict)

    def copy(self) -> CustomerMemory:
        """A deep enough copy to change without touching this one."""
        return replace(
            self,
            revealed=list(self.revealed),
            offer_words=dict(self.offer_words),
            offer_sentences=dict(self.offer_sentences),
            complete=list(self.complete),
            considered=list(self.considered),
            accepted=list(self.accepted),
            engaged=dict(self.engaged),
        )
