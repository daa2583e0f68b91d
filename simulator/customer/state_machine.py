"""The customer's state machine: one set of rules for the offline and the LLM customer.

DESIGN.md: "The LLM engines replace the voice and the judge, never the recogniser, the state machine
or the rule checks." :class:`CustomerRules` reads each agent message through the recogniser and
keeps mood, patience, the facts told, the offers on the table, the customer's goals and the outcome.
It implements :class:`~simulator.customer.state.CustomerStateMachine` (``start`` / ``step`` /
``commit``); each :class:`~simulator.customer.state.StateStep` also lists the customer's *moves*
for the turn ("reveal_fact", "choose", "ask_offer_detail", ...), which the offline voice
(``customer/offline.py``) turns into persona lines and the LLM customer into its hidden note.

The rules (numbers from the persona's ``temperament`` and ``customer/rules.yaml``):

- **Mood** moves by the persona's ``mood_reactions`` for each act of the turn, by at most the
  persona's ``max_mood_step`` either way. A cold, deflecting or hedging turn (forbidden phrasing, a
  hedge, a refusal with nothing offered) never calms: only its angering reactions count. Empathy
  wears off after ``empathy_effective_turns``.
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
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from simulator.customer.state import Move, StateStep
from simulator.customer.wording import choice_options
from simulator.lexicon import compiled_lexicon
from simulator.models import Behaviour, Case, DialogueAct, Outcome, Persona, Resolution, Rubric, Turn
from simulator.recognition import structure
from simulator.recognition.encoder import sentence_encoder
from simulator.recognition.offer_match import match_offers
from simulator.recognizer import RecognizedTurn, recognize

RULES_FILE = Path(__file__).with_name("rules.yaml")

# Acts that engage with the customer even when nothing new is learnt: they do not use up patience
# (each only ``engaging_repeats`` times).
_ENGAGING = frozenset(
    {
        DialogueAct.apology,
        DialogueAct.empathy,
        DialogueAct.confirm_need,
        DialogueAct.ask_fact,
        DialogueAct.give_proof,
        DialogueAct.greeting,
        DialogueAct.explain_policy,
        DialogueAct.escalate,
        DialogueAct.hold,
    }
)
# Acts a turn of pure filler is made of ("好的，我看一下"); such a turn gets the filler reaction.
_FILLER = frozenset({DialogueAct.hold, DialogueAct.greeting, DialogueAct.self_intro})
# Sentences that may carry an offer: offering and promising, and also reporting what was just done
# ("I've booked Friday the 13th, 8 to 12"), explaining what applies ("your taxis are covered in
# full") and asking to pick a remedy. Which of the case's resolutions they carry, if any, is the
# matcher's call.
_OFFERING = (
    DialogueAct.offer_solution,
    DialogueAct.promise,
    DialogueAct.give_proof,
    DialogueAct.explain_policy,
    DialogueAct.ask_choice,
)
_COLD = frozenset({DialogueAct.forbidden_phrase, DialogueAct.hedge, DialogueAct.refusal})
_AFTER_END: dict[str, str] = {
    "resolved": "farewell",
    "escalated": "escalate",
    "gave_up": "give_up",
    "abandoned": "give_up",
}


class RuleNumbers(BaseModel):
    """The engine-wide numbers of ``customer/rules.yaml``."""

    model_config = ConfigDict(extra="forbid")

    accept_max_mood: int = Field(ge=0, le=10)
    empathy_effective_turns: int = Field(ge=0)
    supervisor_mood: int = Field(ge=0, le=10)
    forbidden_before_escalation: int = Field(ge=1)
    furious_turns_before_leaving: int = Field(ge=1)
    engaging_repeats: int = Field(ge=0)


@lru_cache(maxsize=1)
def rule_numbers(path: Path = RULES_FILE) -> RuleNumbers:
    """The validated numbers of ``customer/rules.yaml``."""
    return RuleNumbers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


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


@dataclass(frozen=True)
class _Offers:
    acceptable: tuple[str, ...]
    refused: tuple[str, ...]
    sentences: dict[str, str]


class CustomerRules:
    """The shared customer state machine (see the module docstring)."""

    def __init__(self, persona: Persona, case: Case, *, rubric: Rubric | None = None):
        self.persona = persona
        self.case = case
        self.rubric = rubric
        self.numbers = rule_numbers()
        self._acceptable: dict[str, Resolution] = {r.id: r for r in case.acceptable_resolutions}
        self._refused: dict[str, Resolution] = {r.id: r for r in case.customer_refuses}
        self._required = [fact.key for fact in case.hidden_facts if fact.required]
        self._facts = {fact.key: fact for fact in case.hidden_facts}
        compensation = compiled_lexicon(case.language).compensation
        self._compensation = tuple(
            r.id for r in case.acceptable_resolutions if compensation is not None and compensation.search(r.description)
        )
        self._memory = CustomerMemory(mood=persona.temperament.starting_mood)
        self._messages: tuple[str, ...] = ()
        # Embedded once per drill, so that no agent turn pays for them (cached across drills too).
        sentence_encoder().encode(
            [
                case.customer_wants,
                *(r.description.strip() for r in (*case.acceptable_resolutions, *case.customer_refuses)),
            ]
        )
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
        refused = next((self._refused[key].description for key in offers.refused), None)
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

    def _respond(self, memory: CustomerMemory, text: str) -> tuple[CustomerMemory, list[Move], RecognizedTurn, _Offers]:
        memory.agent_turns += 1
        turn = recognize(text, self.case.language, case=self.case, rubric=self.rubric)
        offers = self._offers(turn)
        moves: list[Move] = []
        if memory.outcome is not None:  # already ended: the customer only repeats how it ended
            moves.append(Move(_AFTER_END[memory.outcome]))
            return memory, moves, turn, offers

        mood_before = memory.mood
        complete_offer = bool(offers.acceptable) and (
            self._concrete(text) or any(key in memory.complete for key in offers.acceptable)
        )
        self._update_mood(memory, turn, offers, complete_offer)
        first_proof = turn.has(DialogueAct.give_proof) and not memory.proof_seen
        memory.proof_seen |= turn.has(DialogueAct.give_proof)
        if turn.has(DialogueAct.forbidden_phrase):
            memory.forbidden_count += 1
        memory.furious_turns = memory.furious_turns + 1 if memory.mood >= 10 else 0
        reaction = self._reaction(turn, memory, offers)

        if memory.goal_met:  # the agent wraps up after the customer got what it wanted
            moves.extend(self._facts_asked(turn, text, memory))
            moves.append(Move("farewell"))
            memory.outcome = "resolved"
            return self._finish(memory, moves, True), moves, turn, offers

        if self._escalates(memory):
            if reaction is not None:
                moves.append(reaction)
            if offers.refused and not offers.acceptable:  # "That's it? Get me your supervisor."
                words = self._keyword_words(offers.refused[0], text, refused=True)
                moves.append(Move("reject_offer", (("agent_offer", words),)))
            moves.append(Move("escalate"))
            memory.outcome = "escalated"
            return self._finish(memory, moves, False), moves, turn, offers

        fact_moves = self._facts_asked(turn, text, memory)
        progressed = any(move.category in ("reveal_fact", "confirm_readback") for move in fact_moves) or first_proof
        moves.extend(fact_moves)
        if turn.has(DialogueAct.role_probe):
            moves.append(Move("role_probe"))
        offer_moves, moved_on = self._handle_offers(turn, text, memory, offers)
        progressed |= moved_on
        if turn.has(DialogueAct.ask_choice) and len(offers.acceptable) <= 1:
            # A choice that is not between the case's remedies ("上午还是下午?"): answered by choosing,
            # before taking up an offer made in the same turn.
            choice = self._choose(turn)
            if choice.value("choice") or not offer_moves:
                offer_moves.insert(0, choice)
                progressed = True
        moves.extend(offer_moves)
        progressed |= memory.mood < mood_before or self._engaged(turn, memory)
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
    # Mood

    def _update_mood(self, memory: CustomerMemory, turn: RecognizedTurn, offers: _Offers, complete_offer: bool) -> None:
        reactions = self.persona.temperament.mood_reactions
        cold = bool(turn.acts & _COLD) and not offers.acceptable and not turn.has(DialogueAct.give_proof)
        delta = 0
        for act in turn.acts:
            change = reactions.get(act, 0)
            if act == DialogueAct.offer_solution and not complete_offer:
                continue  # an offer it turns down, a vague one ("补偿。") or nothing it can take calms nobody
            if act == DialogueAct.empathy:
                memory.empathy_count += 1
                if memory.empathy_count > self.numbers.empathy_effective_turns:
                    change = max(change, 0)
            if cold or turn.forbidden:
                change = max(change, 0)  # a cold, deflecting or hedging turn never calms
            delta += change
        if offers.refused and not offers.acceptable:
            delta += 1  # being offered what it already said it won't take
        step = self.persona.temperament.max_mood_step
        memory.mood = max(0, min(10, memory.mood + max(-step, min(step, delta))))

    def _escalates(self, memory: CustomerMemory) -> bool:
        wants_supervisor = Behaviour.asks_for_supervisor in self.persona.behaviours
        return (wants_supervisor and memory.mood >= self.numbers.supervisor_mood) or (
            memory.forbidden_count >= self.numbers.forbidden_before_escalation
        )

    def _engaged(self, turn: RecognizedTurn, memory: CustomerMemory) -> bool:
        engaged = False
        for act in sorted(turn.acts & _ENGAGING):
            count = memory.engaged.get(act, 0)
            if count < self.numbers.engaging_repeats and not turn.forbidden and not turn.private_requests:
                engaged = True
            memory.engaged[act] = count + 1
        return engaged

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
    # Offers, choices and goals

    def _offers(self, turn: RecognizedTurn) -> _Offers:
        """Acceptable and refused offers in the turn: by meaning in offering sentences, and by keyword hints."""
        acceptable = list(turn.offered)
        refused = list(turn.offered_unacceptable)
        sentences: dict[str, str] = {}
        offering = [
            s.text
            for s in turn.sentences
            if s.acts and any(s.has(act) for act in _OFFERING) and not s.has(DialogueAct.refusal)
        ]
        targets = [*self._acceptable.values(), *self._refused.values()]
        for match in match_offers(offering, targets):
            sentences.setdefault(match.resolution_id, match.sentence)
            bucket = acceptable if match.resolution_id in self._acceptable else refused
            if match.resolution_id not in bucket:
                bucket.append(match.resolution_id)
        for key in (*acceptable, *refused):
            if key not in sentences:
                sentences[key] = next((s for s in offering if s), turn.text)
        # Offered both ways in one breath ("退款可以，或者您再等等"): the acceptable one counts.
        refused = [key for key in refused if key not in acceptable]
        return _Offers(tuple(acceptable), tuple(refused), sentences)

    def _concrete(self, text: str) -> bool:
        language = self.case.language
        return (
            structure.names_time(text, language)
            or bool(structure.amounts(text, language))
            or structure.has_identifier(text)
        )

    def _handle_offers(
        self, turn: RecognizedTurn, text: str, memory: CustomerMemory, offers: _Offers
    ) -> tuple[list[Move], bool]:
        """Moves for the offers of the turn, and whether the turn moved towards a resolution."""
        if offers.acceptable:
            chosen = self._pick_offer(turn, memory, offers)
            memory.offer_words[chosen] = self._keyword_words(chosen, text) or memory.offer_words.get(chosen, "")
            memory.offer_sentences[chosen] = offers.sentences.get(chosen, text)
            if self._concrete(text) and chosen not in memory.complete:
                memory.complete.append(chosen)
            repeat = chosen in memory.considered
            offer = (("agent_offer", memory.offer_words[chosen]),)
            if chosen not in memory.complete:
                self._consider(memory, chosen)
                return [Move("ask_offer_detail", offer)], True
            if self._wants_proof() and not memory.proof_seen and not memory.proof_demanded:
                memory.proof_demanded = True
                self._consider(memory, chosen)
                return [Move("demand_proof")], True
            if memory.mood <= self.numbers.accept_max_mood or (repeat and memory.mood < 10):
                return self._accept(memory, chosen), True
            self._consider(memory, chosen)
            return [Move("consider_offer", offer)], True
        if offers.refused:
            words = self._keyword_words(offers.refused[0], text, refused=True)
            return [Move("reject_offer", (("agent_offer", words),))], False
        pending = memory.pending_offer
        if pending is not None:
            if pending not in memory.complete and self._concrete(text) and not turn.forbidden:
                memory.complete.append(pending)  # "…today before five" completes the offer on the table
            if pending in memory.complete and self._confirms(turn, memory):
                return self._accept(memory, pending), True
        if memory.goal_raised and not memory.goal_met and self._settles_goal(turn):
            memory.goal_met = True
            accepted = memory.accepted[-1] if memory.accepted else ""
            return [Move("accept", (("agent_offer", memory.offer_words.get(accepted, "")),))], True
        return [], False

    def _consider(self, memory: CustomerMemory, chosen: str) -> None:
        memory.pending_offer = chosen
        if chosen not in memory.considered:
            memory.considered.append(chosen)

    def _pick_offer(self, turn: RecognizedTurn, memory: CustomerMemory, offers: _Offers) -> str:
        """The offer the customer takes up: the one on the table, else (choosing) the closest to its wants."""
        fresh = [key for key in offers.acceptable if key not in memory.accepted] or list(offers.acceptable)
        if memory.pending_offer in fresh:
            return memory.pending_offer
        if memory.goal_raised:
            wanted = [key for key in fresh if key in self._compensation]
            if wanted:
                return wanted[0]
        if len(fresh) > 1:
            return fresh[self._closest_to_wants([self._acceptable[key].description for key in fresh])]
        return fresh[0]

    def _closest_to_wants(self, options: list[str]) -> int:
        encoder = sentence_encoder()
        vectors = encoder.encode([self.case.customer_wants, *options])
        return int(np.argmax(vectors[1:] @ vectors[0]))

    def _choose(self, turn: RecognizedTurn) -> Move:
        """Answer a choice question that offers nothing of the case's ("上午还是下午?") by choosing."""
        for sentence in turn.sentences:
            if sentence.has(DialogueAct.ask_choice):
                options = choice_options(sentence.text, self.case.language)
                if options:
                    return Move("choose", (("choice", options[self._closest_to_wants(options)]),))
        return Move("choose", (("choice", ""),))

    def _accept(self, memory: CustomerMemory, offer_id: str) -> list[Move]:
        memory.pending_offer = None
        if offer_id not in memory.accepted:
            memory.accepted.append(offer_id)
        words = (("agent_offer", memory.offer_words.get(offer_id, "")),)
        if self._goal_left(memory):
            memory.goal_raised = True
            return [Move("raise_goal", words)]
        memory.goal_met = True
        return [Move("accept", words)]

    def _goal_left(self, memory: CustomerMemory) -> bool:
        """Compensation still to come: the persona wants it, the case allows it, none accepted yet."""
        if Behaviour.asks_for_compensation not in self.persona.behaviours or not self._compensation:
            return False
        return not memory.goal_raised and not any(key in self._compensation for key in memory.accepted)

    def _settles_goal(self, turn: RecognizedTurn) -> bool:
        """After the customer raised compensation: a reason why not, without brushing it off."""
        reasons = turn.has(DialogueAct.explain_policy) or turn.has(DialogueAct.refusal)
        return reasons and not turn.forbidden

    def _confirms(self, turn: RecognizedTurn, memory: CustomerMemory) -> bool:
        """Whether the agent's turn settles an offer the customer was considering."""
        if self._wants_proof() and not memory.proof_seen:
            return False
        settling = {DialogueAct.closing, DialogueAct.give_proof, DialogueAct.confirm_need, DialogueAct.promise}
        return bool(turn.acts & settling) and not turn.forbidden and not turn.over_promises

    def _wants_proof(self) -> bool:
        return Behaviour.demands_proof in self.persona.behaviours

    def _keyword_words(self, resolution_id: str, text: str, *, refused: bool = False) -> str:
        """The offer's keyword exactly as the agent said it ("" when it said none of them)."""
        from simulator.lexicon import keyword_pattern

        resolution = (self._refused if refused else self._acceptable).get(resolution_id)
        if resolution is None:
            return ""
        pattern = keyword_pattern(resolution.keywords, inflect=self.case.language == "en")
        match = pattern.search(text) if pattern else None
        return match.group(0) if match else ""

    # -----------------------------------------------------------------------------------------
    # Reactions

    def _reaction(self, turn: RecognizedTurn, memory: CustomerMemory, offers: _Offers) -> Move | None:
        """The one reaction this turn calls for, most serious first (None: no reaction)."""
        reactions = self.persona.temperament.mood_reactions
        if turn.has(DialogueAct.forbidden_phrase):
            return Move("after_forbidden")
        if turn.has(DialogueAct.private_data_request):
            return Move("after_private_request")
        if turn.has(DialogueAct.long_turn) and reactions.get(DialogueAct.long_turn, 0) > 0:
            return Move("after_long_turn")
        if turn.has(DialogueAct.ask_repeat):
            return Move("repeat")
        if turn.has(DialogueAct.small_talk) and not offers.acceptable and not turn.asked_facts:
            return Move("after_small_talk")
        if turn.acts and turn.acts <= _FILLER and turn.has(DialogueAct.hold):
            return Move("after_hold")
        # A bare assurance (a promise, or a hedge that sounds like one) with no proof and no offer.
        assures = turn.has(DialogueAct.promise) or turn.has(DialogueAct.hedge)
        if assures and not turn.has(DialogueAct.give_proof) and not offers.acceptable:
            if self._wants_proof() and not memory.proof_seen:
                return Move("demand_proof")
            if reactions.get(DialogueAct.promise, 0) != 0 or reactions.get(DialogueAct.hedge, 0) != 0:
                return Move("after_promise")
        if (
            turn.has(DialogueAct.explain_policy)
            and reactions.get(DialogueAct.explain_policy, 0) != 0
            and not memory.goal_raised
        ):
            return Move("after_policy")
        if (
            turn.has(DialogueAct.empathy)
            and reactions.get(DialogueAct.empathy, 0) < 0
            and memory.empathy_count <= self.numbers.empathy_effective_turns
        ):
            return Move("after_empathy")
        return None

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
