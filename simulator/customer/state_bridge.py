"""The offline customer's rules as the LLM customer's state machine, until the shared one lands.

:class:`OfflineRulesMachine` implements :class:`~simulator.customer.state.CustomerStateMachine` by
running the offline customer's own rules (``customer/offline.py``: mood reactions, empathy that
wears off, patience, facts revealed when asked, offers matched to the case's resolutions,
escalation) on the agent's messages and reading the result; the lines that engine would say are
thrown away. Same messages, same state, whichever engine voices the customer — which is what
DESIGN.md asks of the one state machine. It reaches into the offline engine's memory (its one
private dependency), so it lives in a module of its own: when the shared state machine of issue 11
item 5 is on main, it replaces this module and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.customer.offline import SUPERVISOR_MOOD, OfflineCustomer, _Memory
from simulator.customer.state import StateStep
from simulator.models import Behaviour, Case, Outcome, Persona, Rubric, Turn
from simulator.recognizer import recognize


class OfflineRulesMachine:
    """The offline rules as a state machine (see the module docstring).

    It depends only on the agent's messages, so a resumed session (the stored turns as history)
    reaches the same state. Endings: the rules' own ``gave_up`` / ``escalated`` is imposed; short of
    that the customer may walk away once it is nearly angry enough to demand a supervisor, or once
    half its patience went by without progress; ``resolved`` needs an acceptable offer on record.
    """

    def __init__(self, persona: Persona, case: Case, *, seed: int = 0, rubric: Rubric | None = None):
        self.persona = persona
        self.case = case
        self._rules = OfflineCustomer(persona, case, seed=seed, rubric=rubric)
        self._memory = _Memory(mood=persona.temperament.starting_mood)
        self._progress: tuple[bool, ...] = ()
        self._messages: tuple[str, ...] = ()
        self._pending: tuple[StateStep, _Memory, str] | None = None
        self._refuses = {resolution.id: resolution.description for resolution in case.customer_refuses}

    def start(self) -> StateStep:
        """The persona's starting mood, nothing told, nothing offered."""
        return self._view(self._memory, (), asked=(), refused=None)

    def step(self, history: Sequence[Turn], agent_message: str) -> StateStep:
        """Run the rules on ``agent_message`` (after replaying ``history`` when it is not the one known)."""
        earlier = tuple(turn.text for turn in history if turn.role == "agent")
        if earlier != self._messages:
            self._replay(earlier)
        after, _lines = self._rules._respond(self._memory.copy(), agent_message)
        recognized = recognize(agent_message, self.case.language, case=self.case, rubric=self._rules.rubric)
        refused = next((self._refuses[key] for key in recognized.offered_unacceptable if key in self._refuses), None)
        progress = (*self._progress, after.stalled == 0)
        step = self._view(after, progress, asked=tuple(recognized.asked_facts), refused=refused)
        self._pending = (step, after, agent_message)
        return step

    def commit(self, step: StateStep) -> None:
        """Keep the latest :meth:`step`; ``RuntimeError`` for any other step."""
        if self._pending is None or self._pending[0] is not step:
            raise RuntimeError("commit() takes the step returned by the latest step() call, once")
        _, memory, message = self._pending
        self._memory, self._progress = memory, step.progress
        self._messages = (*self._messages, message)
        self._pending = None

    def _replay(self, messages: tuple[str, ...]) -> None:
        memory = _Memory(mood=self.persona.temperament.starting_mood)
        progress: list[bool] = []
        for message in messages:
            memory, _lines = self._rules._respond(memory.copy(), message)
            progress.append(memory.stalled == 0)
        self._memory, self._progress, self._messages = memory, tuple(progress), messages

    def _view(
        self, memory: _Memory, progress: tuple[bool, ...], *, asked: tuple[str, ...], refused: str | None
    ) -> StateStep:
        offer_id = (
            memory.accepted_offer or memory.pending_offer or (memory.considered[-1] if memory.considered else None)
        )
        offer = memory.offer_words.get(offer_id, "") if offer_id else ""
        imposed: Outcome | None = memory.outcome if memory.outcome in ("gave_up", "escalated") else None
        allowed: set[Outcome] = {"resolved"} if offer_id else set()
        patience = self.persona.temperament.patience
        if memory.mood >= SUPERVISOR_MOOD - 1 or memory.stalled * 2 >= patience:
            allowed.add("gave_up")
            if Behaviour.asks_for_supervisor in self.persona.behaviours or memory.forbidden_count:
                allowed.add("escalated")
        if imposed is not None:
            allowed = {imposed}
        return StateStep(
            agent_turns=memory.agent_turns,
            mood=memory.mood,
            patience=patience,
            stalled=memory.stalled,
            progress=progress,
            revealed=tuple(memory.revealed),
            asked=asked,
            offer=offer or None,
            refused_offer=refused,
            goal_met=memory.goal_met,
            imposed=imposed,
            allowed=frozenset(allowed),
        )
