"""The in-process paths of ``turn_overhead``: the raw model call, LangChain's stream, the engine with
its store commits and the app's ``send_message`` handler, each timed as one turn (a ``Sample``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import PROJECT_DIR, Stats, ms

TRAINEE_LINES = {
    "en": [
        "Hello, this is Sam from customer care. I'm sorry to hear that, let me help you right away.",
        "Could you give me your order number, please?",
        "Thank you. I can see the order; let me check where it is.",
        "I understand how frustrating this is. I'll open a priority ticket for you now.",
        "The courier will call you before 6 pm today, and I'll follow up myself tomorrow morning.",
        "Is there anything else I can help you with?",
    ],
    "zh-CN": [
        "您好,我是客服小李,非常抱歉给您带来不便,我马上帮您处理。",
        "请您提供一下订单号,我帮您查一下。",
        "好的,我已经看到您的订单了,正在核实物流情况。",
        "非常理解您的心情,我现在给您加急处理。",
        "快递员今天下午6点前会联系您,明天上午我也会亲自回访。",
        "请问还有其他可以帮您的吗?",
    ],
}


@dataclass
class Sample:
    """One turn along one path: time to the first visible character, total, CPU used here."""

    first_s: float
    total_s: float
    cpu_s: float
    server_cpu_s: float | None = None


@dataclass
class Path_:
    """Samples of one path."""

    name: str
    label: str
    samples: list[Sample] = field(default_factory=list)


def timed(run: Callable[[], float | None]) -> Sample:
    """Run one turn; ``run`` returns the first-visible time (perf_counter) or None."""
    cpu0 = time.process_time()
    started = time.perf_counter()
    first = run()
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    return Sample(first_s=(first - started) if first is not None else total, total_s=total, cpu_s=cpu)


def _to_openai(messages: list[Any]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles[m.type], "content": str(m.content)} for m in messages]


class Setup:
    """Content, settings and the three in-process paths against one fake model server."""

    def __init__(self, base_url: str, data_dir: Path, language: str) -> None:
        import openai

        from simulator.config import Settings
        from simulator.content import load_library
        from simulator.store import SessionStore

        self.settings = Settings(
            data_dir=data_dir,
            content_dir=PROJECT_DIR,
            llm_base_url=base_url,
            llm_api_key="bench",
            llm_model="fake-model",
            llm_max_retries=0,
        )
        self.library = load_library(PROJECT_DIR)
        self.language = language
        self.case = next(c for c in sorted(self.library.cases.values(), key=lambda c: c.id) if c.language == language)
        self.persona = next(
            p for p in sorted(self.library.personas.values(), key=lambda p: p.id) if language in p.languages
        )
        self.store = SessionStore(self.settings.sqlalchemy_url)
        self.raw_client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
        self.lines = TRAINEE_LINES[language]
        self._conversation: Any = None
        self._session_id = ""
        self._engine_turns = 0
        self._services: Any = None
        self._handler_sid = ""
        self._handler_turns = 0

    # -- paths -----------------------------------------------------------------------------------

    def _fresh_conversation(self) -> None:
        from simulator.conversation import Conversation
        from simulator.customer.llm_engine import LLMCustomer

        engine = LLMCustomer(self.persona, self.case, seed=7, settings=self.settings)
        self._session_id = self.store.create_session(
            user_name="bench",
            language=self.case.language,
            persona_id=self.persona.id,
            case_id=self.case.id,
            customer_engine="llm",
            seed=7,
        )
        self._conversation = Conversation(engine, transcript_id=self._session_id)
        self._conversation.start()
        self.store.append_turn(self._session_id, self._conversation.turns[-1])
        self._engine_turns = 0

    def next_line(self, turn: int) -> str:
        """The trainee's message for turn number ``turn``."""
        return self.lines[turn % len(self.lines)]

    def raw_turn(self, message: str) -> Sample:
        """The raw streaming call with the messages the engine path would send now."""
        if self._conversation is None:
            self._fresh_conversation()
        payload = _to_openai(self._conversation.engine.messages(self._conversation.turns, message))

        def run() -> float | None:
            first = None
            stream = self.raw_client.chat.completions.create(
                model="fake-model",
                messages=payload,
                stream=True,
                temperature=0.8,
                seed=7,
                max_completion_tokens=2048,
                stream_options={"include_usage": True},
            )
            for chunk in stream:
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.perf_counter()
            return first

        return timed(run)

    def langchain_turn(self, message: str) -> Sample:
        """``llm.stream_text`` on the customer's ChatOpenAI with the same messages (no engine, no store)."""
        from simulator.llm.streaming import stream_text

        if self._conversation is None:
            self._fresh_conversation()
        engine = self._conversation.engine
        messages = engine.messages(self._conversation.turns, message)

        def run() -> float | None:
            first = None
            for delta in stream_text(engine._model, messages, self.settings):
                if first is None and delta:
                    first = time.perf_counter()
            return first

        return timed(run)

    def commit_times(self, count: int) -> tuple[Stats, Stats]:
        """Wall and CPU ms of ``SessionStore.append_turn`` (one committed turn), ``count`` times."""
        from simulator.models import Turn

        session_id = self.store.create_session(user_name="bench-commit", language=self.language)
        walls, cpus = [], []
        for index in range(count):
            cpu0, started = time.process_time(), time.perf_counter()
            self.store.append_turn(session_id, Turn(role="agent", text=self.next_line(index)))
            walls.append(ms(time.perf_counter() - started))
            cpus.append(ms(time.process_time() - cpu0))
        return Stats.of(walls), Stats.of(cpus)

    def engine_turn(self, message: str, reset_every: int) -> Sample:
        """Conversation + LLMCustomer + SessionStore commits, as one turn."""
        if self._conversation is None or self._engine_turns >= reset_every:
            self._fresh_conversation()
        conversation, session_id = self._conversation, self._session_id

        def run() -> float | None:
            first = None
            stream = conversation.send(message)
            self.store.append_turn(session_id, conversation.turns[-1])  # the agent turn, before the model call
            for delta in stream:
                if first is None and delta.strip():
                    first = time.perf_counter()
            self.store.append_turn(session_id, conversation.turns[-1])  # the customer turn, once complete
            return first

        sample = timed(run)
        self._engine_turns += 1
        return sample

    def handler_turn(self, message: str, reset_every: int) -> Sample:
        """The app's ``send_message`` handler (no Gradio), consumed like Gradio consumes it."""
        from simulator.accounts import LOCAL
        from simulator.app import trainee
        from simulator.app.services import AppServices

        if self._services is None:
            self._services = AppServices(self.settings, store=self.store)
        if not self._handler_sid or self._handler_turns >= reset_every:
            view = trainee.start_session(self._services, LOCAL, self.persona.id, self.case.id)
            self._handler_sid = view.session_id
            self._handler_turns = 0
        services, sid = self._services, self._handler_sid

        def run() -> float | None:
            first = None
            for view in trainee.send_message(services, LOCAL, sid, message):
                if first is None and view.streaming:
                    text = view.messages[-1]["content"] if view.messages else ""
                    if text and text != "…":
                        first = time.perf_counter()
            return first

        sample = timed(run)
        self._handler_turns += 1
        return sample
