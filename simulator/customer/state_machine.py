"""The customer's state machine: one set of rules for the offline and the LLM customer.

DESIGN.md: "The LLM engines replace the voice and the judge, never the recogniser, the state machine
or the rule checks." :class:`CustomerRules` reads each agent message through the recogniser and
keeps mood, patience, the facts told, the offers on the table, the customer's goals and the outcome.
It implements :class:`~simulator.customer.state.CustomerStateMachine` (``start`` / ``step`` /
``commit``); each :class:`~simulator.customer.state.StateStep` also lists the customer's *moves*
for the turn ("reveal_fact", "choose", "ask_offer_detail", ...), which the offline voice
(``customer/offline.py``) turns into persona lines and the LLM customer into its hidden note.
This module runs the turn; the rules it applies live beside it: ``mood_rules`` (mood, escalation,
engagement), ``offer_rules`` (offers, choices, goals), ``reactions``, ``memory`` (what is kept
between turns) and ``rule_numbers`` (``customer/rules.yaml``).

The rules (numbers from the persona's ``temperament`` and ``customer/rules.yaml``):

- **Mood** moves by the persona's ``mood_reactions`` for each act of the turn, by at most the
  persona's ``max_mood_step`` either way. A cold, deflecting or hedging turn (forbidden phrasing, a
  hedge, a refusal with nothing offered) never calms: only its angering reactions count. Empathy
  wears off after ``empathy_effective_turns``. A complete acceptable offer moves it as an offer
  whichever act its sentence was read as, and the explanation that comes with an acceptable remedy
  does not anger as a policy recital.
- **Facts** are given only when asked; a fact the agent just read back is confirmed, not repeated.
- **Offers** are matched to the case's resolutions by meaning (``recognition.offer_match``, the
  threshold chosen on labelled pairs) and by the resolutions' keyword hints. An acceptable offer is
  *complete* once the agent said what and when or how much (a time, a date, a duration, an amount
  or a reference); an incomplete one makes the customer ask for the missing detail ("补偿。" is
  not an offer anyone can accept). A ``demands_proof`` persona wants proof first; a customer above
  ``accept_max_mood`` only considers a first offer. Offers the customer refuses are turned down.
- **Choices**: a choice question is answered by choosing, by closeness to what the customer wants.
- **Goals**: a persona that ``asks_for_compensation`` in a case that allows compensation raises it
  after accepting another remedy, and is satisfied only when compensation is offered or a reason
  is given why not. ``goal_met`` (and the ``resolved`` ending) needs every goal met.
- **Reactions**, one per turn, most serious first: forbidden phrasing, a private-data request, a
  long turn, a request to repeat, small talk, a filler-only turn, a bare promise or hedge, a policy
  recital, empathy. A role probe ("are you an AI?") is answered in character besides.
- **Endings**: ``resolved`` once the goal is met and the agent closes (or on the agent's next turn);
  ``escalated`` for a supervisor-seeking persona at ``supervisor_mood`` or after repeated
  forbidden phrasing; ``gave_up`` after ``patience`` turns without progress or a furious streak.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.customer.memory import CustomerMemory
from simulator.customer.mood_rules import engaged, escalates, update_mood
from simulator.customer.offer_rules import OfferRules, TurnOffers
from simulator.customer.private_data import heard_requests
from simulator.customer.reactions import turn_reaction
from simulator.customer.rule_numbers import rule_numbers
from simulator.customer.state import Move, StateStep
from simulator.models import Behaviour, Case, DialogueAct, Outcome, Persona, Rubric, Turn
from simulator.recognizer import RecognizedTurn, recognize

_AFTER_END: dict[str, str] = {
    "resolved": "farewell",
    "escalated": "escalate",
    "gave_up": "give_up",
    "abandoned": "give_up",
}


class CustomerRules:
    """The shared customer state machine (see the module docstring)."""

    def __init__(self, persona: Persona, case: Case, *, rubric: Rubric | None = None):
        self.persona = persona
        self.case = case
        self.rubric = rubric
        self.numbers = rule_numbers()
        self._required = [fact.key for fact in case.hidden_facts if fact.required]
        self._facts = {fact.key: fact for fact in case.hidden_facts}
        self._memory = CustomerMemory(mood=persona.temperament.starting_mood)
        self._messages: tuple[str, ...] = ()
        self._offer_rules = OfferRules(persona, case, self.numbers)
        self._pending: tuple[StateStep, CustomerMemory, str] | None = None

    # -----------------------------------------------------------------------------------------
    # The state machine interface

    @property
    def memory(self) -> CustomerMemory:
        """The committed memory (read only: change it through :meth:`step` and :meth:`commit`)."""
        return self._memory

    def start(self) -> StateStep:
        """The persona's starting mood, nothing told, nothing offered."""
        return self._view(self._memory, (), asked=(), refused=None)

    def step(self, history: Sequence[Turn], agent_message: str) -> StateStep:
        """What ``agent_message`` does to the customer, given the turns before it; nothing is kept."""
        earlier = tuple(turn.text for turn in history if turn.role == "agent")
        if earlier != self._messages:
            self.replay(earlier)
        memory, moves, turn, offers = self._respond(self._memory.copy(), agent_message)
        refused = next((self._offer_rules.refused[key].description for key in offers.refused), None)
        step = self._view(memory, tuple(moves), asked=tuple(turn.asked_facts), refused=refused)
        self._pending = (step, memory, agent_message)
        return step

    def commit(self, step: StateStep) -> None:
        """Keep ``step``, the latest one :meth:`step` returned; ``RuntimeError`` for any other."""
        if self._pending is None or self._pending[0] is not step:
            raise RuntimeError("commit() takes the step returned by the latest step() call, once")
        _, memory, message = self._pending
        self._memory = memory
        self._messages = (*self._messages, message)
        self._pending = None

    def replay(self, messages: Sequence[str]) -> list[StateStep]:
        """Rebuild the memory from the agent's messages (a resumed session); the steps, in order."""
        self._memory = CustomerMemory(mood=self.persona.temperament.starting_mood)
        self._messages = ()
        steps = []
        for message in messages:
            memory, moves, turn, _ = self._respond(self._memory.copy(), message)
            steps.append(self._view(memory, tuple(moves), asked=tuple(turn.asked_facts), refused=None))
            self._memory = memory
            self._messages = (*self._messages, message)
        self._pending = None
        return steps

    # -----------------------------------------------------------------------------------------
    # One agent turn

    def _respond(
        self, memory: CustomerMemory, text: str
    ) -> tuple[CustomerMemory, list[Move], RecognizedTurn, TurnOffers]:
        memory.agent_turns += 1
        turn = heard_requests(recognize(text, self.case.language, case=self.case, rubric=self.rubric), self.rubric)
        offers = self._offer_rules.offers(turn)
        moves: list[Move] = []
        if memory.outcome is not None:  # already ended: the customer only repeats how it ended
            moves.append(Move(_AFTER_END[memory.outcome]))
            return memory, moves, turn, offers

        mood_before = memory.mood
        complete_offer = bool(offers.acceptable) and (
            self._offer_rules.concrete(text) or any(key in memory.complete for key in offers.acceptable)
        )
        update_mood(memory, turn, offers, complete_offer, self.persona, self.numbers)
        first_proof = turn.has(DialogueAct.give_proof) and not memory.proof_seen
        memory.proof_seen |= turn.has(DialogueAct.give_proof)
        if turn.has(DialogueAct.forbidden_phrase):
            memory.forbidden_count += 1
        memory.furious_turns = memory.furious_turns + 1 if memory.mood >= 10 else 0
        reaction = turn_reaction(turn, memory, offers, self.persona, self.numbers)

        if memory.goal_met:  # the agent wraps up after the customer got what it wanted
            moves.extend(self._facts_asked(turn, text, memory))
            moves.append(Move("farewell"))
            memory.outcome = "resolved"
            return self._finish(memory, moves, True), moves, turn, offers

        if escalates(memory, self.persona, self.numbers):
            if reaction is not None:
                moves.append(reaction)
            if offers.refused and not offers.acceptable:  # "That's it? Get me your supervisor."
                words = self._offer_rules.keyword_words(offers.refused[0], text, refused=True)
                moves.append(Move("reject_offer", (("agent_offer", words),)))
            moves.append(Move("escalate"))
            memory.outcome = "escalated"
            return self._finish(memory, moves, False), moves, turn, offers

        fact_moves = self._facts_asked(turn, text, memory)
        progressed = any(move.category in ("reveal_fact", "confirm_readback") for move in fact_moves) or first_proof
        moves.extend(fact_moves)
        if turn.has(DialogueAct.role_probe):
            moves.append(Move("role_probe"))
        offer_moves, moved_on = self._offer_rules.handle(turn, text, memory, offers)
        progressed |= moved_on
        if turn.has(DialogueAct.ask_choice) and len(offers.acceptable) <= 1:
            # A choice that is not between the case's remedies ("上午还是下午?"): answered by choosing,
            # before taking up an offer made in the same turn.
            choice = self._offer_rules.choose(turn)
            if choice.value("choice") or not offer_moves:
                offer_moves.insert(0, choice)
                progressed = True
        moves.extend(offer_moves)
        progressed |= memory.mood < mood_before or engaged(turn, memory, self.numbers)
        memory.stalled = 0 if progressed else memory.stalled + 1

        patience = self.persona.temperament.patience
        if memory.goal_met and turn.has(DialogueAct.closing):
            moves.append(Move("farewell"))
            memory.outcome = "resolved"
        elif not memory.goal_met and (
            memory.stalled >= patience or memory.furious_turns >= self.numbers.furious_turns_before_leaving
        ):
            moves = [Move("give_up")]
            memory.outcome = "gave_up"
        elif not moves and reaction is None:
            # After a turn that engaged but settled nothing (a greeting, a reference number), "so what
            # about my fridge?" fits better than "we're going round in circles".
            hints = {name for name, on in (("steer_to_product", progressed), ("just_got_proof", first_proof)) if on}
            moves.append(Move("no_progress", hints=frozenset(hints)))
        if (
            reaction is not None
            and memory.outcome != "gave_up"
            and reaction.category not in {m.category for m in moves}
        ):
            moves.insert(0, reaction)
        return self._finish(memory, moves, progressed), moves, turn, offers

    def _finish(self, memory: CustomerMemory, moves: list[Move], progressed: bool) -> CustomerMemory:
        memory.progress = (*memory.progress, progressed)
        return memory

    # -----------------------------------------------------------------------------------------
    # Facts

    def _facts_asked(self, turn: RecognizedTurn, text: str, memory: CustomerMemory) -> list[Move]:
        moves: list[Move] = []
        checking = turn.is_question or turn.has(DialogueAct.ask_fact) or turn.has(DialogueAct.confirm_need)
        # "您的订单号是2026…，对吗？" asks about a fact by reading it back, whether or not it names it.
        read = [key for key, fact in self._facts.items() if checking and read_back(fact.value, text)]
        for key in dict.fromkeys([*turn.asked_facts, *read]):
            fact = self._facts[key]
            category = "confirm_readback" if key in read else "reveal_fact"
            moves.append(Move(category, (("fact_label", fact.label), ("fact_value", fact.value))))
            if key not in memory.revealed:
                memory.revealed.append(key)
        if turn.has(DialogueAct.ask_fact) and not moves and not turn.private_requests:
            moves.append(Move("unknown_fact"))
        return moves

    # -----------------------------------------------------------------------------------------
    # The step as the LLM customer sees it

    def _view(
        self, memory: CustomerMemory, moves: tuple[Move, ...], *, asked: tuple[str, ...], refused: str | None
    ) -> StateStep:
        on_record = memory.accepted[-1] if memory.accepted else memory.pending_offer
        complete = [key for key in (*memory.accepted, *memory.considered) if key in memory.complete]
        offer_id = on_record if on_record in complete else (complete[-1] if complete else None)
        offer = memory.offer_sentences.get(offer_id, "") if offer_id else ""
        imposed: Outcome | None = memory.outcome if memory.outcome in ("gave_up", "escalated") else None
        allowed: set[Outcome] = {"resolved"} if memory.goal_met else set()
        patience = self.persona.temperament.patience
        if memory.mood >= self.numbers.supervisor_mood - 1 or memory.stalled * 2 >= patience:
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
            progress=memory.progress,
            revealed=tuple(memory.revealed),
            asked=asked,
            offer=offer or None,
            refused_offer=refused,
            goal_met=memory.goal_met,
            imposed=imposed,
            allowed=frozenset(allowed),
            moves=moves,
            outcome=memory.outcome,
            wants_more=memory.goal_raised and not memory.goal_met,
        )


def read_back(value: str, agent_text: str) -> bool:
    """Whether the agent's words already contain a fact's value (its digits, or the value itself)."""
    digits = [run for run in _digit_runs(value) if len(run) >= 4]
    spoken = "".join(char for char in agent_text if char.isdigit())
    if digits:
        return all(run in spoken for run in digits)
    squeeze = "".join(char for char in value.lower() if char.isalnum())
    return len(squeeze) >= 4 and squeeze in "".join(char for char in agent_text.lower() if char.isalnum())


def _digit_runs(text: str) -> list[str]:
    runs, current = [], ""
    for char in text:
        if char.isdigit():
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs
