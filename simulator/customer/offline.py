"""The offline customer: a scripted, seeded customer driven only by persona and case data.

No network and no model. Every agent turn goes through the shared recogniser
(``simulator.recognizer``) and then through these rules, which come from the training material's
customer types (理性型/感性型/急躁型/疑虑型) and the persona's own data:

- **Mood** moves by ``temperament.mood_reactions`` for each act in the turn, clamped to 0-10.
  Empathy wears off: after the second empathetic turn it no longer calms ("同一句客套话重复").
- **Facts** are revealed only when the agent asks for them (``recognize(...).asked_facts``), with
  the ``reveal_fact`` template; asked for something the case does not hold, the customer says so
  (``unknown_fact``) and never invents a value.
- **Reactions** (one per turn, most serious first): a forbidden phrase, a request for private data,
  a long-winded turn, a bare promise (a ``demands_proof`` persona asks for proof), a policy recital,
  empathy. Lines are only spoken for reactions the persona cares about (non-zero mood reaction),
  except forbidden phrases and private-data requests, which every customer notices.
- **Offers**: an unacceptable offer is turned down. An acceptable one is accepted when the required
  facts were collected or the offer is concrete (a time, an amount, a reference) and the customer is
  not too angry; otherwise it is considered and accepted when the agent confirms it. A
  ``demands_proof`` persona first asks for proof unless proof was already given.
- **Ending**: accepting sets ``goal_met``; the customer says goodbye (outcome ``resolved``) in the
  same turn when the agent also closed, else on the agent's next turn. A ``asks_for_supervisor``
  persona at mood >= 9, or any customer hearing forbidden phrasing twice, demands a supervisor
  (``escalated``). After ``patience`` agent turns in a row without progress, or two turns at mood 10,
  the customer gives up (``gave_up``).
- **Role probes** ("are you an AI?", "ignore your instructions") get an in-character answer.

Same seed, same conversation: each turn draws from ``random.Random`` seeded with the seed and the
turn number, never from global randomness. Lines rotate (least used first) and a reply never repeats
the previous one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.errors import LanguageMismatch
from simulator.lexicon import compiled_lexicon, keyword_pattern
from simulator.models import (
    Behaviour,
    Case,
    CustomerState,
    DialogueAct,
    HiddenFact,
    Outcome,
    Persona,
    Resolution,
    Rubric,
    ScriptLines,
    Turn,
)
from simulator.recognition import structure
from simulator.recognizer import RecognizedTurn, recognize

# Above this mood the customer only considers a first offer: too upset to say yes straight away.
ACCEPT_MAX_MOOD = 7
# Empathy calms for this many turns; after that it sounds scripted and stops working.
EMPATHY_EFFECTIVE_TURNS = 2
SUPERVISOR_MOOD = 9
FORBIDDEN_BEFORE_ESCALATION = 2
FURIOUS_TURNS_BEFORE_LEAVING = 2
# Acts that engage with the customer even when nothing new is learnt: they do not use up patience.
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
    }
)
# ... but only this many times each: the fifth "I understand" is not engagement any more.
ENGAGING_REPEATS = 2
_AFTER_END: dict[str, str] = {
    "resolved": "farewell",
    "escalated": "escalate",
    "gave_up": "give_up",
    "abandoned": "give_up",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class _Memory:
    """Everything the customer remembers between turns (copied per turn, committed on completion)."""

    mood: int
    agent_turns: int = 0
    revealed: list[str] = field(default_factory=list)
    stalled: int = 0
    furious_turns: int = 0
    forbidden_count: int = 0
    empathy_count: int = 0
    proof_seen: bool = False
    proof_demanded: bool = False
    pending_offer: str | None = None
    # The agent's own words for each offer: echoing the case's full resolution description would
    # leak details the agent never said.
    offer_words: dict[str, str] = field(default_factory=dict)
    considered: list[str] = field(default_factory=list)
    goal_met: bool = False
    accepted_offer: str | None = None
    outcome: Outcome | None = None
    used: dict[str, int] = field(default_factory=dict)
    engaged: dict[DialogueAct, int] = field(default_factory=dict)
    last_reply: str = ""

    def copy(self) -> _Memory:
        return replace(
            self,
            revealed=list(self.revealed),
            offer_words=dict(self.offer_words),
            considered=list(self.considered),
            used=dict(self.used),
            engaged=dict(self.engaged),
        )


@dataclass
class _Reply:
    parts: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)


class OfflineCustomer(CustomerEngine):
    """A deterministic scripted customer; see the module docstring for its rules."""

    name = "offline"

    def __init__(self, persona: Persona, case: Case, *, seed: int = 0, rubric: Rubric | None = None):
        if case.language not in persona.languages or case.language not in persona.offline_script:
            raise LanguageMismatch(
                f"persona '{persona.id}' does not speak {case.language} (its languages: "
                f"{', '.join(persona.languages)}); pick a persona that speaks the case's language"
            )
        super().__init__(persona, case, seed=seed)
        self.rubric = rubric
        self.lines: ScriptLines = persona.offline_script[case.language]
        self._facts: dict[str, HiddenFact] = {fact.key: fact for fact in case.hidden_facts}
        self._required = [fact.key for fact in case.hidden_facts if fact.required]
        self._resolutions: dict[str, Resolution] = {
            res.id: res for res in (*case.acceptable_resolutions, *case.customer_refuses)
        }
        self._memory = _Memory(mood=persona.temperament.starting_mood)
        #: What the customer did on its last turn (e.g. "reveal_fact", "after_empathy"), for tests and evals.
        self.last_moves: tuple[str, ...] = ()

    # -----------------------------------------------------------------------------------------
    # CustomerEngine

    @property
    def state(self) -> CustomerState:
        """The customer's current state."""
        memory = self._memory
        return CustomerState(mood=memory.mood, goal_met=memory.goal_met, outcome=memory.outcome)

    def opening(self) -> CustomerReply:
        """The persona's opening prefix for this channel and start (if any), then the case's opening line."""
        rng = self._rng(0)
        prefix = self._pick_opening_prefix(rng, self._memory)
        text = self._join([part for part in (prefix, self.case.opening_line) if part])
        self._memory.last_reply = text
        return CustomerReply(text=text, state=self.state)

    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        """Answer ``agent_message``; the state is committed when the stream has been consumed."""
        self._sync(history)
        memory, reply = self._respond(self._memory.copy(), agent_message)
        text = self._join(reply.parts)
        memory.last_reply = text

        def finish(streamed: str) -> CustomerReply:
            self._memory = memory
            self.last_moves = tuple(reply.moves)
            return CustomerReply(
                text=streamed, state=CustomerState(mood=memory.mood, goal_met=memory.goal_met, outcome=memory.outcome)
            )

        return ReplyStream(_chunks(text), finish)

    # -----------------------------------------------------------------------------------------
    # Turn logic

    def _respond(self, memory: _Memory, text: str) -> tuple[_Memory, _Reply]:
        memory.agent_turns += 1
        rng = self._rng(memory.agent_turns)
        turn = recognize(text, self.language, case=self.case, rubric=self.rubric)
        reply = _Reply()

        if memory.outcome is not None:  # already ended: the customer only repeats how it ended
            self._say(reply, _AFTER_END[memory.outcome], rng, memory)
            return memory, reply

        mood_before = memory.mood
        self._update_mood(memory, turn)
        first_proof = turn.has(DialogueAct.give_proof) and not memory.proof_seen
        memory.proof_seen |= turn.has(DialogueAct.give_proof)
        if turn.has(DialogueAct.forbidden_phrase):
            memory.forbidden_count += 1
        memory.furious_turns = memory.furious_turns + 1 if memory.mood >= 10 else 0
        reaction = self._reaction(turn, memory)

        if memory.goal_met:  # the agent wraps up after the customer accepted
            self._reveal(reply, turn, memory, rng)
            self._say(reply, "farewell", rng, memory)
            memory.outcome = "resolved"
            return memory, reply

        if self._escalates(memory):
            self._prepend(reply, reaction, rng, memory)
            self._say(reply, "escalate", rng, memory)
            memory.outcome = "escalated"
            return memory, reply

        progressed = bool(self._reveal(reply, turn, memory, rng)) or first_proof
        if turn.has(DialogueAct.role_probe):
            self._say(reply, "role_probe", rng, memory)
        progressed |= self._handle_offer(reply, turn, text, memory, rng)
        progressed |= memory.mood < mood_before or self._engaged(turn, memory)
        memory.stalled = 0 if progressed else memory.stalled + 1

        if memory.goal_met and turn.has(DialogueAct.closing):
            self._say(reply, "farewell", rng, memory)
            memory.outcome = "resolved"
        elif not memory.goal_met and (
            memory.stalled >= self.persona.temperament.patience or memory.furious_turns >= FURIOUS_TURNS_BEFORE_LEAVING
        ):
            reply.parts, reply.moves = [], []
            self._say(reply, "give_up", rng, memory)
            memory.outcome = "gave_up"
        elif not reply.parts and reaction is None:
            # After a turn that engaged but settled nothing (a greeting, a reference number), "so what
            # about my fridge?" fits better than "we're going round in circles".
            category = self._acknowledge_proof_category() if first_proof else "no_progress"
            self._say(reply, category, rng, memory, prefer_product=progressed, avoid_proof=first_proof)
        self._prepend(reply, reaction, rng, memory)
        return memory, reply

    def _acknowledge_proof_category(self) -> str:
        """After a first reference number: a push that does not ask for one, or a noting-it-down line."""
        proof = compiled_lexicon(self.language).proof_words
        for category in ("no_progress", "after_promise"):
            if any(not proof.search(self._fill(line, {})) for line in getattr(self.lines, category)):
                return category
        return "no_progress"

    def _engaged(self, turn: RecognizedTurn, memory: _Memory) -> bool:
        """Whether the turn engages with the customer in a way not yet worn out by repetition."""
        engaged = False
        for act in sorted(turn.acts & _ENGAGING):
            count = memory.engaged.get(act, 0)
            if count < ENGAGING_REPEATS and not turn.forbidden and not turn.private_requests:
                engaged = True
            memory.engaged[act] = count + 1
        return engaged

    def _update_mood(self, memory: _Memory, turn: RecognizedTurn) -> None:
        reactions = self.persona.temperament.mood_reactions
        delta = 0
        for act in turn.acts:
            change = reactions.get(act, 0)
            if act == DialogueAct.offer_solution and turn.offered_unacceptable and not turn.offered:
                continue  # an offer the customer turns down does not calm anyone
            if act == DialogueAct.empathy:
                memory.empathy_count += 1
                if memory.empathy_count > EMPATHY_EFFECTIVE_TURNS and change < 0:
                    change = 0
            delta += change
        memory.mood = max(0, min(10, memory.mood + delta))

    def _escalates(self, memory: _Memory) -> bool:
        wants_supervisor = Behaviour.asks_for_supervisor in self.persona.behaviours
        return (wants_supervisor and memory.mood >= SUPERVISOR_MOOD) or (
            memory.forbidden_count >= FORBIDDEN_BEFORE_ESCALATION
        )

    def _reveal(self, reply: _Reply, turn: RecognizedTurn, memory: _Memory, rng: random.Random) -> list[str]:
        new: list[str] = []
        for key in turn.asked_facts:
            fact = self._facts[key]
            self._say(reply, "reveal_fact", rng, memory, fact_label=fact.label, fact_value=fact.value)
            if key not in memory.revealed:
                memory.revealed.append(key)
                new.append(key)
        if turn.has(DialogueAct.ask_fact) and not turn.asked_facts and not turn.private_requests:
            self._say(reply, "unknown_fact", rng, memory)
        return new

    def _handle_offer(
        self, reply: _Reply, turn: RecognizedTurn, text: str, memory: _Memory, rng: random.Random
    ) -> bool:
        """React to offers; return True when the turn moved towards a resolution."""
        if turn.offered:
            chosen = memory.pending_offer if memory.pending_offer in turn.offered else turn.offered[0]
            offer_text = self._agent_words(chosen, text) or memory.offer_words.get(chosen, "")
            memory.offer_words[chosen] = offer_text
            facts_ok = all(key in memory.revealed for key in self._required)
            concrete = structure.names_time(text, self.language) or turn.has(DialogueAct.give_proof)
            repeat = chosen in memory.considered
            if self._wants_proof() and not memory.proof_seen and not memory.proof_demanded:
                memory.proof_demanded = True
                memory.pending_offer = chosen
                memory.considered.append(chosen)
                self._say(reply, "demand_proof", rng, memory)
            elif (facts_ok or concrete or repeat) and (memory.mood <= ACCEPT_MAX_MOOD or repeat) and memory.mood < 10:
                self._accept(reply, chosen, offer_text, memory, rng)
            else:
                memory.pending_offer = chosen
                if chosen not in memory.considered:
                    memory.considered.append(chosen)
                self._say(reply, "consider_offer", rng, memory, agent_offer=offer_text)
            return True
        if turn.offered_unacceptable:
            offer = self._offer_words(turn.offered_unacceptable[0], text)
            self._say(reply, "reject_offer", rng, memory, agent_offer=offer)
            memory.mood = min(10, memory.mood + 1)
            return False
        if memory.pending_offer and self._confirms(turn, memory):
            self._accept(reply, memory.pending_offer, memory.offer_words.get(memory.pending_offer, ""), memory, rng)
            return True
        return False

    def _confirms(self, turn: RecognizedTurn, memory: _Memory) -> bool:
        """Whether the agent's turn settles an offer the customer was considering."""
        if self._wants_proof() and not memory.proof_seen:
            return False
        settling = {DialogueAct.closing, DialogueAct.give_proof, DialogueAct.confirm_need, DialogueAct.promise}
        return bool(turn.acts & settling) and not turn.forbidden and not turn.over_promises

    def _accept(self, reply: _Reply, offer_id: str, offer_text: str, memory: _Memory, rng: random.Random) -> None:
        memory.goal_met = True
        memory.accepted_offer = offer_id
        memory.pending_offer = None
        self._say(reply, "accept", rng, memory, agent_offer=offer_text)

    def _wants_proof(self) -> bool:
        return Behaviour.demands_proof in self.persona.behaviours

    def _reaction(self, turn: RecognizedTurn, memory: _Memory) -> str | None:
        """The one reaction line category this turn calls for, most serious first (None: no reaction)."""
        reactions = self.persona.temperament.mood_reactions
        if turn.has(DialogueAct.forbidden_phrase):
            return "after_forbidden"
        if turn.has(DialogueAct.private_data_request):
            return "after_private_request"
        if turn.has(DialogueAct.long_turn) and reactions.get(DialogueAct.long_turn, 0) > 0:
            return "after_long_turn"
        # A bare assurance — a promise, or a hedge that sounds like one ("放心，肯定处理好") — with no
        # proof and no offer: a customer who wants proof asks for it.
        assures = turn.has(DialogueAct.promise) or turn.has(DialogueAct.hedge)
        if assures and not turn.has(DialogueAct.give_proof) and not turn.offered:
            if self._wants_proof() and not memory.proof_seen:
                return "demand_proof"
            if reactions.get(DialogueAct.promise, 0) != 0:
                return "after_promise"
        if turn.has(DialogueAct.explain_policy) and reactions.get(DialogueAct.explain_policy, 0) != 0:
            return "after_policy"
        if (
            turn.has(DialogueAct.empathy)
            and reactions.get(DialogueAct.empathy, 0) < 0
            and memory.empathy_count <= EMPATHY_EFFECTIVE_TURNS
        ):
            return "after_empathy"
        return None

    def _prepend(self, reply: _Reply, category: str | None, rng: random.Random, memory: _Memory) -> None:
        if category is None or category in reply.moves:
            return
        reply.parts.insert(0, self._line(category, rng, memory))
        reply.moves.insert(0, category)

    # -----------------------------------------------------------------------------------------
    # Lines

    def _say(
        self,
        reply: _Reply,
        category: str,
        rng: random.Random,
        memory: _Memory,
        *,
        prefer_product: bool = False,
        avoid_proof: bool = False,
        **values: str,
    ) -> None:
        line = self._pick(category, rng, memory, values, prefer_product=prefer_product, avoid_proof=avoid_proof)
        reply.parts.append(line or "")
        reply.moves.append(category)

    def _line(self, category: str, rng: random.Random, memory: _Memory) -> str:
        return self._pick(category, rng, memory) or ""

    def _pick_opening_prefix(self, rng: random.Random, memory: _Memory) -> str | None:
        """A prefix from the list that fits how the case starts (mid-conversation, else its channel)."""
        context = "mid_conversation" if self.case.start == "mid_conversation" else self.case.channel
        return self._pick(f"opening_prefix.{context}", rng, memory, optional=True)

    def _pick(
        self,
        category: str,
        rng: random.Random,
        memory: _Memory,
        values: dict[str, str] | None = None,
        *,
        optional: bool = False,
        prefer_product: bool = False,
        avoid_proof: bool = False,
    ) -> str | None:
        """A variant of ``category``: least used first, never the line just said.

        With ``prefer_product``, variants that name the product come first ("so what about my
        fridge?"), which is how a customer steers back after a turn that said nothing new. With
        ``avoid_proof``, variants asking for a reference number are avoided: the agent just gave one.
        """
        variants: list[str] = list(self._variants(category))
        if not variants:
            return None if optional else ""
        rendered = [self._fill(variant, values or {}) for variant in variants]
        counts = [memory.used.get(f"{category}:{index}", 0) for index in range(len(variants))]
        everything = list(range(len(variants)))
        missing = {name for name, value in (values or {}).items() if not value}
        if missing:  # a line built around a value we don't have would read "好,那就这样:。"
            complete = [i for i in everything if not any("{" + name + "}" in variants[i] for name in missing)]
            everything = complete or everything
        if avoid_proof:
            proof = compiled_lexicon(self.language).proof_words
            everything = [index for index in everything if not proof.search(rendered[index])] or everything
        pools = [everything]
        if prefer_product:
            pools.insert(0, [index for index in everything if "{product}" in variants[index]])
        choice: int | None = None
        for pool in pools:
            fresh = [index for index in pool if rendered[index] not in memory.last_reply]
            if fresh:
                fewest = min(counts[index] for index in fresh)
                choice = rng.choice([index for index in fresh if counts[index] == fewest])
                break
        if choice is None:
            choice = rng.choice(everything)
        memory.used[f"{category}:{choice}"] = counts[choice] + 1
        return rendered[choice]

    def _variants(self, category: str) -> list[str]:
        """The line templates of ``category``; ``opening_prefix.<context>`` names one prefix list."""
        if category.startswith("opening_prefix."):
            return list(getattr(self.lines.opening_prefix, category.split(".", 1)[1]))
        return list(getattr(self.lines, category))

    def _fill(self, template: str, values: dict[str, str]) -> str:
        known: dict[str, Any] = {
            "goal": self.case.customer_wants,
            "product": self.case.product,
            "fact_label": "",
            "fact_value": "",
            "agent_offer": "",
            **values,
        }

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            value = str(known.get(name, ""))
            before = template[: match.start()].rstrip()
            if self.language == "en" and (not before or before[-1] in ".!?"):
                value = value[:1].upper() + value[1:]
            following = template[match.end() : match.end() + 1]
            # "{fact_value}。" with a value that already ends in punctuation would double it.
            if following and not following.isalnum() and not following.isspace():
                value = value.rstrip("。.！!？?，,；;")
            return value

        label = str(known["fact_label"])
        if label and "{fact_label}" in template and str(known["fact_value"]).startswith(label):
            # "订单号是{fact_value}" with the value "订单号3102..." would say the label twice.
            known["fact_value"] = str(known["fact_value"])[len(label) :].lstrip(" :：是为")
        text = _PLACEHOLDER.sub(substitute, template).strip()
        return text[:1].upper() + text[1:] if self.language == "en" else text

    def _describe(self, resolution_id: str) -> str:
        description = self._resolutions[resolution_id].description.strip()
        if self.language == "en" and len(description) > 1 and description[1].islower():
            description = description[0].lower() + description[1:]
        return description.rstrip("。.")

    def _offer_words(self, resolution_id: str, text: str) -> str:
        """The agent's own words for an offer (the matched keyword), or its description."""
        return self._agent_words(resolution_id, text) or self._describe(resolution_id)

    def _agent_words(self, resolution_id: str, text: str) -> str:
        """The keyword of an offer exactly as the agent said it, or "" when the turn doesn't contain one."""
        pattern = keyword_pattern(self._resolutions[resolution_id].keywords, inflect=self.language == "en")
        match = pattern.search(text) if pattern else None
        return match.group(0) if match else ""

    def _join(self, parts: list[str]) -> str:
        parts = [part for part in parts if part]
        return ("" if self.language == "zh-CN" else " ").join(parts)

    def _rng(self, turn_number: int) -> random.Random:
        return random.Random(f"{self.seed}:{self.persona.id}:{self.case.id}:{turn_number}")

    def _sync(self, history: Sequence[Turn]) -> None:
        """Rebuild memory from ``history`` when it does not match (e.g. a resumed session)."""
        agent_messages = [turn.text for turn in history if turn.role == "agent"]
        if len(agent_messages) == self._memory.agent_turns:
            return
        memory = _Memory(mood=self.persona.temperament.starting_mood)
        self._pick_opening_prefix(self._rng(0), memory)
        for message in agent_messages:
            memory, reply = self._respond(memory, message)
            memory.last_reply = self._join(reply.parts)
        self._memory = memory


def _chunks(text: str) -> Iterator[str]:
    """Yield ``text`` in a few pieces, cut after punctuation where possible, like a token stream."""
    pieces = [piece for piece in re.split(r"(?<=[，。！？,.!?;；])", text) if piece]
    if len(pieces) <= 1 and len(text) >= 2:
        middle = len(text) // 2
        pieces = [text[:middle], text[middle:]]
    yield from pieces
