"""The LLM customer: a persona in a case, voiced by a chat model, its state kept by code.

How a turn works:

- The state machine (``state_machine.CustomerRules``, the same one the offline customer voices)
  reads the agent's message: mood, patience, facts asked and told, offers on the table, goals, and
  which endings it allows. Nothing is committed yet.
- The model gets the system prompt (``llm_prompt``: persona, case, rules and output rules, built
  once per session), the conversation so far (customer turns as the customer's words only) and the
  agent's message with a short hidden note from that state ("turn 5 · no progress for 3 of the
  last 4 turns · you feel 6/10 · ..."). The trainee's words go to the model only as user messages.
- The reply streams through ``reply_text.ReplyFilter``: only the customer's words reach the trainee,
  never a marker, a state line in any shape, Markdown or a reasoning block, even split over chunks.
  What had to be removed becomes a warning stored with the turn.
- The model may signal an ending (``###RESOLVED###`` …). It is accepted only when the state allows
  it (``resolved`` needs an acceptable offer on record); an ending the rules impose (patience run
  out) holds whatever the model wrote. Mood and goal come from the state, never from the model.
- Only whole replies become turns: a stream that ends without ``finish_reason: stop`` (the
  connection broke, ``length``, ``content_filter``), takes longer than the reply budget
  (``DRILL_LLM_REPLY_TIMEOUT``), or is stopped by the trainee raises ``CustomerUnavailable``
  (``ReplyStopped`` for a stop) after the text streamed so far; that text is not a turn, the state
  is not committed, and the caller discards it. Faults (endpoint down, 429/5xx after retries, a
  context-length rejection, garbage or an empty reply) raise ``CustomerUnavailable`` too.
- The opening line is the case's, with no model call, so a session starts instantly.
- Sampling (temperature, top_p, length cap, stop sequences) comes from ``customer/sampling.yaml``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from simulator.config import Settings
from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.customer.llm_prompt import build_system_prompt, stage_direction, state_note
from simulator.customer.reply_text import CleanReply, ReplyFilter, Signal
from simulator.customer.state import CustomerStateMachine, StateStep
from simulator.errors import CustomerUnavailable, LanguageMismatch, LLMUnavailable, ReplyStopped
from simulator.llm.chat import chat_model
from simulator.llm.errors import garbage_reply
from simulator.llm.streaming import stream_text
from simulator.llm.usage import UsageLog
from simulator.models import Case, CustomerState, Language, Outcome, Persona, Rubric, Turn

SAMPLING_FILE = Path(__file__).with_name("sampling.yaml")


class Sampling(BaseModel):
    """How the customer's replies are sampled (``customer/sampling.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(ge=0, le=2)
    top_p: float = Field(gt=0, le=1)
    max_completion_tokens: int = Field(ge=64)
    stop: dict[Language, list[str]] = Field(description="Stop sequences per language (at most 4: OpenAI's limit).")

    def stops(self, language: Language) -> list[str]:
        """The stop sequences for ``language`` (at most four)."""
        return self.stop.get(language, [])[:4]


@lru_cache(maxsize=1)
def sampling() -> Sampling:
    """The customer's sampling settings, validated."""
    return Sampling.model_validate(yaml.safe_load(SAMPLING_FILE.read_text(encoding="utf-8")))


def decide_ending(step: StateStep, signal: Signal | None) -> tuple[Outcome | None, list[str]]:
    """The outcome of a turn from the state and the model's signal, and why a signal was not taken."""
    if step.imposed is not None:
        kept = (
            []
            if signal in (None, step.imposed)
            else [f"ending {signal!r} ignored: the rules ended it as {step.imposed!r}"]
        )
        return step.imposed, kept
    if signal is None:
        return None, []
    if signal in step.allowed:
        return signal, []
    why = (
        "no acceptable offer is on record"
        if signal == "resolved"
        else f"the customer is not fed up enough yet (mood {step.mood}/10, {step.stalled} turn(s) without progress)"
    )
    return None, [f"ending {signal!r} ignored: {why}; the conversation goes on"]


class LLMCustomer(CustomerEngine):
    """A simulated customer voiced by the configured chat model."""

    name = "llm"

    def __init__(
        self,
        persona: Persona,
        case: Case,
        *,
        seed: int = 0,
        settings: Settings,
        rubric: Rubric | None = None,
        state: CustomerStateMachine | None = None,
    ):
        if case.language not in persona.languages:
            raise LanguageMismatch(
                f"persona '{persona.id}' does not speak {case.language} (case '{case.id}'); "
                f"it speaks {', '.join(persona.languages)}"
            )
        super().__init__(persona, case, seed=seed)
        self.settings = settings
        self.system_prompt = build_system_prompt(persona, case)
        if state is None:
            from simulator.customer.state_machine import CustomerRules  # loads the recogniser

            state = CustomerRules(persona, case, rubric=rubric)
        self.state_machine = state
        #: Tokens used by this customer's model calls.
        self.usage = UsageLog()
        #: The last reply exactly as the model wrote it (markers included), for troubleshooting.
        self.last_raw = ""
        self.sampling = sampling()
        self._model = chat_model(
            settings,
            usage=self.usage,
            temperature=self.sampling.temperature,
            top_p=self.sampling.top_p,
            seed=seed,
            max_tokens=self.sampling.max_completion_tokens,
            client_retries=False,  # stream_text retries within the reply's time budget
        )

    def opening(self) -> CustomerReply:
        """The case's opening line at the state's starting mood (no model call)."""
        start = self.state_machine.start()
        return CustomerReply(text=self.case.opening_line, state=CustomerState(mood=start.mood, goal_met=False))

    def messages(self, history: Sequence[Turn], agent_message: str, note: str = "") -> list[BaseMessage]:
        """The chat messages sent for the reply to ``agent_message`` (the note goes before it)."""
        turns: list[tuple[str, str]] = [
            ("ai" if turn.role == "customer" else "human", turn.text) for turn in history if turn.role != "system"
        ]
        turns.append(("human", f"{note}\n{agent_message}" if note else agent_message))
        if turns[0][0] == "ai":
            # Some chat templates (Mistral's, for one) require the first message after the system
            # prompt to be the user's; the customer speaks first here, so the agent "picks up".
            turns.insert(0, ("human", stage_direction(self.case, "start")))
        merged: list[tuple[str, str]] = []
        for role, text in turns:
            # Strict templates also require alternating roles: two agent messages in a row (one
            # re-sent after a failed reply) become one message.
            if merged and merged[-1][0] == role:
                merged[-1] = (role, f"{merged[-1][1]}\n\n{text}")
            else:
                merged.append((role, text))
        conversation: list[BaseMessage] = [SystemMessage(self.system_prompt)]
        conversation.extend(AIMessage(text) if role == "ai" else HumanMessage(text) for role, text in merged)
        return conversation

    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        """Stream the customer's answer; iterating raises ``CustomerUnavailable`` on faults."""
        step = self.state_machine.step(history, agent_message)
        messages = self.messages(history, agent_message, state_note(step, self.case))
        shown = ReplyFilter()
        cancel = threading.Event()
        outcome: dict[str, CleanReply] = {}

        def deltas() -> Iterator[str]:
            try:
                for delta in stream_text(
                    self._model,
                    messages,
                    self.settings,
                    stop=self.sampling.stops(self.language),
                    max_tokens=self.sampling.max_completion_tokens,
                    cancel=cancel,
                ):
                    visible = shown.feed(delta)
                    if visible:
                        yield visible
                last, clean = shown.close()
                self.last_raw = shown.raw
                outcome["clean"] = clean
                if last:
                    yield last
                if not clean.text:
                    if clean.signal is None:
                        raise garbage_reply(
                            self.settings, f"the reply had no text for the trainee (got {self.last_raw[:120]!r})"
                        )
                    yield stage_direction(self.case, "end")  # the customer left without a word
            except LLMUnavailable as exc:
                if exc.reason == "stopped":
                    raise ReplyStopped(
                        "You stopped the customer's reply. Your message was kept; press Retry to ask again."
                    ) from exc
                raise CustomerUnavailable(
                    f"The customer could not answer: {exc} Your message was kept; send it again "
                    "once the endpoint is back."
                ) from exc

        def finish(text: str) -> CustomerReply:
            clean = outcome["clean"]
            ending, ignored = decide_ending(step, clean.signal)
            self.state_machine.commit(step)
            state = CustomerState(mood=step.mood, goal_met=step.goal_met or ending == "resolved", outcome=ending)
            return CustomerReply(text=text.strip(), state=state, warnings=(*clean.warnings, *ignored))

        return ReplyStream(deltas(), finish, cancel_event=cancel)
