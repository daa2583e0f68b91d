"""The offline customer: the shared state machine, voiced with the persona's own lines.

No network and no model. Every agent turn goes through :class:`~simulator.customer.state_machine.
CustomerRules` (the same rules the LLM customer's state comes from: mood, patience, facts, offers,
goals, endings); this module only *voices* the moves of each step with the persona's
``offline_script`` lines for the case's language:

- one line per move, the reaction first ("after_forbidden", "repeat", "after_small_talk", …), then
  the facts, the offer or the choice, the ending;
- ``repeat`` (the agent asked to hear it again) says the persona's ``repeat_prefix`` and the
  customer's last line again;
- a line is only said when it is *grounded* (``wording.grounded``): no screenshots on a phone call,
  no recording in a chat, no staff number or refund reference nobody mentioned;
- template slots are filled grammatically: a value that repeats its label or the words before the
  slot loses them ("卡号后四位是卡号后四位3851" → "卡号后四位是3851"), English capitals only where
  a sentence starts.

Same seed, same conversation: each turn draws from ``random.Random`` seeded with the seed and the
turn number, never from global randomness. Lines rotate (least used first), a reply never repeats
the previous one, and two moves of one kind in a reply (two facts told) get two different lines.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.customer.state import Move, StateStep
from simulator.customer.state_machine import CustomerRules
from simulator.customer.wording import grounded
from simulator.errors import LanguageMismatch
from simulator.lexicon import compiled_lexicon
from simulator.models import Case, CustomerState, Persona, Rubric, ScriptLines, Turn

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class _Voice:
    """What the voice remembers: how often each line was used and what it said last."""

    used: dict[str, int] = field(default_factory=dict)
    last_reply: str = ""
    #: The last reply that was not itself a repetition (what "could you say that again?" gets).
    last_said: str = ""
    #: What the agent said so far (lines may refer only to what was said, ``wording.grounded``).
    heard: list[str] = field(default_factory=list)
    #: The variants picked for the reply being built ("category:index"): two facts told in one turn
    #: get two different lines, not the same template twice.
    this_turn: set[str] = field(default_factory=set)

    def copy(self) -> _Voice:
        return _Voice(
            used=dict(self.used), last_reply=self.last_reply, last_said=self.last_said, heard=list(self.heard)
        )


class OfflineCustomer(CustomerEngine):
    """A deterministic scripted customer; see the module docstring."""

    name = "offline"

    def __init__(self, persona: Persona, case: Case, *, seed: int = 0, rubric: Rubric | None = None):
        if case.language not in persona.languages or case.language not in persona.offline_script:
            raise LanguageMismatch(
                f"persona '{persona.id}' does not speak {case.language} (its languages: "
                f"{', '.join(persona.languages)}); pick a persona that speaks the case's language"
            )
        super().__init__(persona, case, seed=seed)
        self.rubric = rubric
        self.rules = CustomerRules(persona, case, rubric=rubric)
        self.lines: ScriptLines = persona.offline_script[case.language]
        self._voice = _Voice()
        self._grounds = " ".join(
            [
                case.situation,
                case.opening_line,
                case.customer_wants,
                *(f"{f.label} {f.value}" for f in case.hidden_facts),
            ]
        )
        self._agent_turns = 0
        #: What the customer did on its last turn (move categories, e.g. "reveal_fact"), for tests and evals.
        self.last_moves: tuple[str, ...] = ()
        #: The state step of the last turn (mood, goals, offers), for tests and evals.
        self.last_step: StateStep | None = None

    # -----------------------------------------------------------------------------------------
    # CustomerEngine

    @property
    def state(self) -> CustomerState:
        """The customer's current state."""
        memory = self.rules.memory
        return CustomerState(mood=memory.mood, goal_met=memory.goal_met, outcome=memory.outcome)

    def opening(self) -> CustomerReply:
        """The persona's opening prefix for this channel and start (if any), then the case's opening line."""
        prefix = self._pick_opening_prefix(self._rng(0), self._voice)
        text = self._join([part for part in (prefix, self.case.opening_line) if part])
        self._voice.last_reply = self._voice.last_said = text
        return CustomerReply(text=text, state=self.state)

    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        """Answer ``agent_message``; the state is committed when the stream has been consumed."""
        self._sync(history)
        step = self.rules.step(history, agent_message)
        voice = self._voice.copy()
        voice.heard.append(agent_message)
        text = self._speak(step, voice)
        self._remember(voice, step, text)

        def finish(streamed: str) -> CustomerReply:
            self.rules.commit(step)
            self._voice = voice
            self._agent_turns = step.agent_turns
            self.last_moves = tuple(move.category for move in step.moves)
            self.last_step = step
            return CustomerReply(
                text=streamed, state=CustomerState(mood=step.mood, goal_met=step.goal_met, outcome=step.outcome)
            )

        return ReplyStream(_chunks(text), finish)

    # -----------------------------------------------------------------------------------------
    # Speaking a step

    @staticmethod
    def _remember(voice: _Voice, step: StateStep, text: str) -> None:
        voice.last_reply = text
        if not any(move.category == "repeat" for move in step.moves):
            voice.last_said = text

    def _speak(self, step: StateStep, voice: _Voice) -> str:
        rng = self._rng(step.agent_turns)
        voice.this_turn = set()
        parts: list[str] = []
        for move in step.moves:
            parts.append(self._move_line(move, rng, voice))
        return self._join(parts)

    def _move_line(self, move: Move, rng: random.Random, voice: _Voice) -> str:
        if move.category == "repeat":
            prefix = self._pick("repeat_prefix", rng, voice) or ""
            return self._join([prefix, voice.last_said or self.case.opening_line])
        if move.category == "no_progress" and "just_got_proof" in move.hints:
            return self._pick(self._acknowledge_proof_category(), rng, voice, avoid_proof=True) or ""
        return (
            self._pick(move.category, rng, voice, dict(move.values), prefer_product="steer_to_product" in move.hints)
            or ""
        )

    def _acknowledge_proof_category(self) -> str:
        """After a first reference number: a push that does not ask for one, or a noting-it-down line."""
        proof = compiled_lexicon(self.language).proof_words
        for category in ("no_progress", "after_promise"):
            if any(not proof.search(self._fill(line, {})) for line in getattr(self.lines, category)):
                return category
        return "no_progress"

    def _pick_opening_prefix(self, rng: random.Random, voice: _Voice) -> str | None:
        """A prefix from the list that fits how the case starts (mid-conversation, else its channel)."""
        context = "mid_conversation" if self.case.start == "mid_conversation" else self.case.channel
        return self._pick(f"opening_prefix.{context}", rng, voice, optional=True)

    def _pick(
        self,
        category: str,
        rng: random.Random,
        voice: _Voice,
        values: dict[str, str] | None = None,
        *,
        optional: bool = False,
        prefer_product: bool = False,
        avoid_proof: bool = False,
    ) -> str | None:
        """A variant of ``category``: grounded, complete, least used first, never the line just said.

        With ``prefer_product``, variants that name the product come first ("so what about my
        fridge?"), which is how a customer steers back after a turn that said nothing new. With
        ``avoid_proof``, variants asking for a reference number are avoided: the agent just gave one.
        """
        variants: list[str] = list(self._variants(category))
        if not variants:
            return None if optional else ""
        rendered = [self._fill(variant, values or {}) for variant in variants]
        counts = [voice.used.get(f"{category}:{index}", 0) for index in range(len(variants))]
        everything = list(range(len(variants)))
        known = " ".join([self._grounds, *voice.heard])
        fitting = [i for i in everything if grounded(rendered[i], self.language, self.case.channel, known)]
        everything = fitting or everything
        fitting = [i for i in everything if _fits(variants[i], values or {}, self.language)]
        everything = fitting or everything
        missing = {name for name, value in (values or {}).items() if not value}
        if missing:  # a line built around a value we don't have would read "好,那就这样:。"
            complete = [i for i in everything if not any("{" + name + "}" in variants[i] for name in missing)]
            everything = complete or everything
        # A choice made must be said: "那就上午吧", not "都行".
        if (values or {}).get("choice"):
            everything = [i for i in everything if "{choice}" in variants[i]] or everything
        if avoid_proof:
            proof = compiled_lexicon(self.language).proof_words
            everything = [index for index in everything if not proof.search(rendered[index])] or everything
        pools = [everything]
        if prefer_product:
            pools.insert(0, [index for index in everything if "{product}" in variants[index]])
        choice: int | None = None
        for pool in pools:
            fresh = [
                index
                for index in pool
                if rendered[index] not in voice.last_reply and f"{category}:{index}" not in voice.this_turn
            ]
            if fresh:
                fewest = min(counts[index] for index in fresh)
                choice = rng.choice([index for index in fresh if counts[index] == fewest])
                break
        if choice is None:
            choice = rng.choice(everything)
        voice.used[f"{category}:{choice}"] = counts[choice] + 1
        voice.this_turn.add(f"{category}:{choice}")
        return rendered[choice]

    def _variants(self, category: str) -> list[str]:
        """The line templates of ``category``; ``opening_prefix.<context>`` names one prefix list."""
        if category.startswith("opening_prefix."):
            return list(getattr(self.lines.opening_prefix, category.split(".", 1)[1]))
        return list(getattr(self.lines, category))

    def _fill(self, template: str, values: dict[str, str]) -> str:
        """``template`` with its slots filled, grammatically (see the module docstring)."""
        return fill_template(
            template,
            {
                "goal": self.case.customer_wants,
                "product": self.case.product,
                "fact_label": "",
                "fact_value": "",
                "agent_offer": "",
                "choice": "",
                **values,
            },
            self.language,
        )

    def _join(self, parts: list[str]) -> str:
        parts = [part for part in parts if part]
        return ("" if self.language == "zh-CN" else " ").join(parts)

    def _rng(self, turn_number: int) -> random.Random:
        return random.Random(f"{self.seed}:{self.persona.id}:{self.case.id}:{turn_number}")

    def _sync(self, history: Sequence[Turn]) -> None:
        """Rebuild state and voice from ``history`` when it does not match (e.g. a resumed session)."""
        agent_messages = [turn.text for turn in history if turn.role == "agent"]
        if len(agent_messages) == self._agent_turns:
            return
        steps = self.rules.replay(agent_messages)
        voice = _Voice()
        prefix = self._pick_opening_prefix(self._rng(0), voice)
        voice.last_reply = voice.last_said = self._join([part for part in (prefix, self.case.opening_line) if part])
        for message, step in zip(agent_messages, steps, strict=True):
            voice.heard.append(message)
            self._remember(voice, step, self._speak(step, voice))
        self._voice = voice
        self._agent_turns = len(agent_messages)


def fill_template(template: str, values: dict[str, Any], language: str) -> str:
    """Fill ``{slot}`` placeholders so the sentence still reads right.

    - A value that starts with its label, or with the words just before the slot, drops them
      ("订单号是{fact_value}" with "订单号3102…" → "订单号是3102…"; "it's {fact_value}" with
      "It's #A-204117" → "it's #A-204117").
    - A value's final punctuation is dropped when the template puts its own right after the slot.
    - English: a value is capitalised where a sentence starts and otherwise left as written.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = str(values.get(name, "")).strip()
        before = template[: match.start()]
        if name == "fact_value":
            value = _drop_repeat(value, str(values.get("fact_label", "")), before)
        stripped_before = before.rstrip()
        if language == "en":
            starts = not stripped_before or stripped_before[-1] in ".!?"
            if starts:
                value = value[:1].upper() + value[1:]
        following = template[match.end() : match.end() + 1]
        if following and not following.isalnum() and not following.isspace():
            value = value.rstrip("。.！!？?，,；;")
        return value

    text = _PLACEHOLDER.sub(substitute, template).strip()
    return text[:1].upper() + text[1:] if language == "en" else text


#: An English value of this many words or more that starts with a capital is a sentence of its own
#: ("The internet light keeps flashing orange"), not a noun phrase ("March 3", "Visa ending 4417").
_SENTENCE_WORDS = 4


def sentence_like(value: str, language: str) -> bool:
    """Whether a fact's value is a whole sentence in the customer's words rather than a name or number."""
    value = value.strip()
    if language == "zh-CN":
        return "我" in value
    words = value.split()
    return len(words) >= _SENTENCE_WORDS and value[:1].isupper() and not words[0].isupper()


def _fits(template: str, values: dict[str, str], language: str) -> bool:
    """Whether ``template`` reads right with ``values``: a sentence-like fact value must start a sentence."""
    value = values.get("fact_value", "")
    if not value or "{fact_value}" not in template or not sentence_like(value, language):
        return True
    before = template[: template.index("{fact_value}")].rstrip()
    return not before or before[-1] in ".!?。！？…"


def _drop_repeat(value: str, label: str, before: str) -> str:
    """Drop from the front of ``value`` what the sentence already says: its label, or the words before the slot."""
    stripped = value
    # The longest end of the label, or of the text before the slot, that the value starts with.
    for said in (label, before.strip()):
        said_lower, value_lower = said.lower(), stripped.lower()
        for size in range(min(len(said), len(stripped)), 1, -1):
            if value_lower.startswith(said_lower[-size:]):
                rest = stripped[size:].lstrip(" :：是为")
                if rest:
                    stripped = rest
                break
    return stripped


def _chunks(text: str) -> Iterator[str]:
    """Yield ``text`` in a few pieces, cut after punctuation where possible, like a token stream."""
    pieces = [piece for piece in re.split(r"(?<=[，。！？,.!?;；])", text) if piece]
    if len(pieces) <= 1 and len(text) >= 2:
        middle = len(text) // 2
        pieces = [text[:middle], text[middle:]]
    yield from pieces
