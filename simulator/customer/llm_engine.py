"""The LLM customer: a persona in a case, played by a chat model through ``simulator.llm``.

How a turn works:

- The system prompt (rules + persona + case, see ``llm_prompt``) is built once per session. The
  trainee's words go to the model only as user messages, never into the system prompt; earlier
  customer turns go back as assistant messages, with their state line, so the model keeps the
  format.
- The reply streams: visible text flows to the trainee as it arrives, while a possible state
  line or sentinel is held back (``reply_markers.MarkerFilter``), so neither ever reaches the
  screen, even when split across chunks.
- State comes without a second model call: the reply's last line ``<<state mood=N goal_met=..>>``
  is parsed strictly; when it is missing or malformed the mood stays where it was, the goal
  counts as not met, and the problem is recorded in ``warnings``. A sentinel sets the outcome.
- Only whole replies become turns: a stream that ends without ``finish_reason: stop`` (the
  connection broke, ``length``, ``content_filter``), takes longer than the reply budget
  (``DRILL_LLM_REPLY_TIMEOUT``), or is stopped by the trainee raises ``CustomerUnavailable``
  (``ReplyStopped`` for a stop) after the text streamed so far; that text is not a turn and the
  caller discards it. Faults (endpoint down, timeout, 429/5xx after retries, a context-length
  rejection, garbage or empty reply) raise ``CustomerUnavailable`` too; the conversation driver
  keeps the trainee's message for a retry.
- The opening line is the case's, with no model call, so a session starts instantly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator import llm
from simulator.config import Settings
from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.customer.llm_prompt import build_system_prompt, stage_direction
from simulator.customer.reply_markers import MarkerFilter, format_trailer, parse_markers
from simulator.errors import CustomerUnavailable, LanguageMismatch, LLMUnavailable, ReplyStopped
from simulator.models import Case, CustomerState, Persona, Turn

# Role-play needs variety between sessions (the seed still makes a session repeatable on servers
# that honour it); a low temperature makes every customer sound alike.
CUSTOMER_TEMPERATURE = 0.8
# A customer turn is a few sentences; the cap stops a looping model, with room for the
# <think> block of a local reasoning model.
CUSTOMER_MAX_TOKENS = 2048


class LLMCustomer(CustomerEngine):
    """A simulated customer played by the configured chat model."""

    name = "llm"

    def __init__(self, persona: Persona, case: Case, *, seed: int = 0, settings: Settings):
        if case.language not in persona.languages:
            raise LanguageMismatch(
                f"persona '{persona.id}' does not speak {case.language} (case '{case.id}'); "
                f"it speaks {', '.join(persona.languages)}"
            )
        super().__init__(persona, case, seed=seed)
        self.settings = settings
        self.system_prompt = build_system_prompt(persona, case)
        #: Tokens used by this customer's model calls.
        self.usage = llm.UsageLog()
        #: Problems with the model's replies (missing or malformed state lines, odd sentinels).
        self.warnings: list[str] = []
        #: The last reply exactly as the model wrote it (markers included), for troubleshooting.
        self.last_raw = ""
        self._model = llm.chat_model(
            settings,
            usage=self.usage,
            temperature=CUSTOMER_TEMPERATURE,
            seed=seed,
            max_tokens=CUSTOMER_MAX_TOKENS,
            client_retries=False,  # llm.stream_text retries within the reply's time budget
        )

    def opening(self) -> CustomerReply:
        """The case's opening line at the persona's starting mood (no model call)."""
        state = CustomerState(mood=self.persona.temperament.starting_mood, goal_met=False)
        return CustomerReply(text=self.case.opening_line, state=state)

    def messages(self, history: Sequence[Turn], agent_message: str) -> list[BaseMessage]:
        """The chat messages sent for the reply to ``agent_message``."""
        turns: list[tuple[str, str]] = []
        for turn in history:
            if turn.role == "customer":
                text = turn.text
                if turn.state is not None:
                    text = f"{text}\n{format_trailer(turn.state.mood, turn.state.goal_met)}"
                turns.append(("ai", text))
            else:
                turns.append(("human", turn.text))
        turns.append(("human", agent_message))
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
        messages = self.messages(history, agent_message)
        previous_mood = self._previous_mood(history)
        turn_index = len(history) + 1
        markers = MarkerFilter()
        raw: list[str] = []
        cancel = threading.Event()

        def deltas() -> Iterator[str]:
            shown = False
            try:
                for delta in llm.stream_text(
                    self._model, messages, self.settings, max_tokens=CUSTOMER_MAX_TOKENS, cancel=cancel
                ):
                    raw.append(delta)
                    visible = markers.feed(delta)
                    if visible:
                        shown = True
                        yield visible
                last = markers.close()
                self.last_raw = "".join(raw)
                if last:
                    shown = True
                    yield last
                if not shown:
                    if parse_markers(markers.tail).outcome is None:
                        raise llm.garbage_reply(
                            self.settings, f"the reply had no text for the trainee (got {self.last_raw[:120]!r})"
                        )
                    # The customer ended without a word: show that they left.
                    yield stage_direction(self.case, "end")
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
            parsed = parse_markers(markers.tail)
            for problem in parsed.problems:
                self.warnings.append(f"turn {turn_index}: {problem}")
            mood = parsed.mood if parsed.mood is not None else previous_mood
            # A customer who ends satisfied has met their goal, whatever the state line said.
            goal_met = bool(parsed.goal_met) or parsed.outcome == "resolved"
            state = CustomerState(mood=mood, goal_met=goal_met, outcome=parsed.outcome)
            return CustomerReply(text=text.strip(), state=state)

        return ReplyStream(deltas(), finish, cancel_event=cancel)

    def _previous_mood(self, history: Sequence[Turn]) -> int:
        for turn in reversed(history):
            if turn.role == "customer" and turn.state is not None:
                return turn.state.mood
        return self.persona.temperament.starting_mood
