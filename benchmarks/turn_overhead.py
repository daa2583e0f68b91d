"""Per-turn overhead of drill's path over the raw model call, at a configurable model latency.

The fake OpenAI-compatible server runs in its own process and streams the same customer reply
(with its hidden state line) after ``--latency-ms`` to the first token. For every turn the same
messages go out along each path, one after the other (order alternating), and the paired
difference to the raw call is the overhead:

- ``raw``: the ``openai`` client streaming the exact messages the LLM customer would send;
- ``engine``: ``Conversation`` + ``LLMCustomer`` + ``SessionStore`` commits (agent turn before the
  call, customer turn after), i.e. ChatOpenAI, the marker filter, state parsing and SQLite;
- ``handlers``: the app's own handler ``simulator.app.trainee.send_message`` (what a Gradio event
  runs: live-session lookup, per-delta views, persistence), without Gradio;
- ``gradio``: the running app (``drill serve`` subprocess) driven by ``gradio_client``, through
  Gradio's queue and SSE (``--gradio-turns`` turns; 0 skips it).

"First visible" is when the first trainee-visible character arrives, compared with the model's
first token as the raw client sees it. CPU ms per turn (this process) shows where the time goes.

    .venv/bin/python benchmarks/turn_overhead.py --latency-ms 300 --turns 40
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    PROJECT_DIR,
    AppProcess,
    FakeModelProcess,
    Report,
    Stats,
    customer_reply,
    ms,
    parser,
    peak_rss_mb,
    scrub_environment,
    temp_dir,
)

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
TARGET_OVERHEAD_PCT = 2.0
TARGET_FIRST_CHAR_MS = 50.0


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


def _timed(run: Callable[[], float | None]) -> Sample:
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

        return _timed(run)

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

        return _timed(run)

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

        sample = _timed(run)
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

        sample = _timed(run)
        self._handler_turns += 1
        return sample


# ---------------------------------------------------------------------------------------------
# Gradio


class GradioDriver:
    """One trainee in the running app, through ``gradio_client`` (the app's public API)."""

    def __init__(self, url: str, persona_id: str, case_id: str, language: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False)
        self.persona_id, self.case_id, self.language = persona_id, case_id, language

    def start(self) -> None:
        """Start a drill (``/start_drill``); the app keeps its id in this client's session state.

        ``gradio_client`` cannot run the page's load event (it has no API name), which is what fills
        the persona and scenario choices; ``/draw_card`` fills them for this session instead.
        """
        drawn = self.client.predict("any", "any", self.language, "any", False, api_name="/draw_card")
        personas = [value for _, value in drawn[0].get("choices", [])]
        cases = [value for _, value in drawn[1].get("choices", [])]
        persona = self.persona_id if self.persona_id in personas else drawn[0].get("value")
        case = self.case_id if self.case_id in cases else drawn[1].get("value")
        self.client.predict(persona, case, api_name="/start_drill")

    def turn(self, message: str) -> Sample:
        """Send one message (``/send_message``) and stream the reply to the end."""

        def run() -> float | None:
            first = None
            job = self.client.submit(message, api_name="/send_message")
            for output in job:  # gradio_client yields each streamed output as it arrives
                if first is None and partial_customer_text(output):
                    first = time.perf_counter()
            job.result()  # raises if the event failed
            return first

        return _timed(run)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio 6 messages: [{"type": "text", "text": ...}]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def partial_customer_text(output: Any) -> bool:
    """True when a streamed ``/send_message`` output shows customer text after the trainee's message."""
    items = output if isinstance(output, list | tuple) else [output]
    chat = items[0] if items and isinstance(items[0], list) else None
    if not chat or len(chat) < 2 or not isinstance(chat[-1], dict):
        return False
    if chat[-1].get("role") != "assistant" or chat[-2].get("role") != "user":
        return False
    text = _text(chat[-1].get("content"))
    return bool(text) and text != "…"


# ---------------------------------------------------------------------------------------------
# Main


def main() -> None:
    """Measure the paths and print the tables."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--latency-ms", type=float, default=300.0, help="model latency to the first token")
    args.add_argument("--per-chunk-ms", type=float, default=0.0, help="model delay between stream chunks")
    args.add_argument("--turns", type=int, default=40, help="measured turns per in-process path")
    args.add_argument("--gradio-turns", type=int, default=20, help="measured turns through the running app (0: skip)")
    args.add_argument("--warmup", type=int, default=3, help="unmeasured turns first, per path")
    args.add_argument("--reset-every", type=int, default=8, help="start a new drill after this many turns")
    args.add_argument("--language", choices=["en", "zh-CN"], default="en")
    args.add_argument("--profile", type=Path, default=None, help="write a cProfile of the handler path here")
    args.add_argument(
        "--profile-app",
        type=Path,
        default=None,
        help="run the app with the sampling profiler and write its busiest functions here",
    )
    options = args.parse_args()
    scrub_environment()

    report = Report(
        "turn_overhead",
        "Per-turn overhead over the raw model call",
        params={
            "model first-token latency ms": options.latency_ms,
            "per-chunk ms": options.per_chunk_ms,
            "turns per path": options.turns,
            "gradio turns": options.gradio_turns,
            "language": options.language,
            "new drill every": options.reset_every,
        },
    )
    reply = customer_reply(options.language)
    with (
        FakeModelProcess(first_token_ms=options.latency_ms, per_chunk_ms=options.per_chunk_ms, reply=reply) as fake,
        temp_dir("turns") as data_dir,
    ):
        setup = Setup(fake.base_url, data_dir, options.language)
        paths = {
            name: Path_(name, label)
            for name, label in (
                ("raw", "raw openai stream"),
                ("langchain", "ChatOpenAI stream only (llm.stream_text)"),
                ("engine", "Conversation + LLMCustomer + store"),
                ("handlers", "app handler send_message (no Gradio)"),
            )
        }
        raw_for: dict[str, list[Sample]] = {"langchain": [], "engine": [], "handlers": []}
        profiler = cProfile.Profile() if options.profile else None
        for turn in range(options.warmup + options.turns):
            message = setup.next_line(turn)
            measured = turn >= options.warmup
            names = ("langchain", "engine", "handlers")
            for name in names if turn % 2 == 0 else tuple(reversed(names)):
                raw = setup.raw_turn(message)
                if name == "langchain":
                    app = setup.langchain_turn(message)
                elif name == "engine":
                    app = setup.engine_turn(message, options.reset_every)
                else:
                    if profiler is not None and measured:
                        profiler.enable()
                    app = setup.handler_turn(message, options.reset_every)
                    if profiler is not None and measured:
                        profiler.disable()
                if measured:
                    paths["raw"].samples.append(raw)
                    paths[name].samples.append(app)
                    raw_for[name].append(raw)

        commit_wall, commit_cpu = setup.commit_times(max(options.turns, 10))
        gradio_note = None
        if options.gradio_turns > 0:
            gradio_results, gradio_note = run_gradio(setup, fake.base_url, options, data_dir)
            labels = {
                "wire": "running app, browser-protocol client",
                "gradio_client": "running app, gradio_client",
                "bare": "bare Gradio chat (framework floor), browser-protocol client",
            }
            for name, (samples, raws) in gradio_results.items():
                if samples:
                    paths[name] = Path_(name, labels[name], samples)
                    raw_for[name] = raws
                    paths["raw"].samples.extend(raws)

    per_path = report.table(
        "Per-turn time, ms (model: first token after the latency, then the stream)",
        [
            "path",
            "turns",
            "first visible mean",
            "p50",
            "p95",
            "total mean",
            "p50",
            "p95",
            "CPU ms/turn (client process)",
            "CPU ms/turn (app server process)",
        ],
    )
    for item in paths.values():
        first = Stats.of([ms(s.first_s) for s in item.samples])
        total = Stats.of([ms(s.total_s) for s in item.samples])
        cpu = Stats.of([ms(s.cpu_s) for s in item.samples])
        server = Stats.of([ms(s.server_cpu_s) for s in item.samples if s.server_cpu_s is not None])
        per_path.add(
            item.label,
            first.n,
            first.mean,
            first.p50,
            first.p95,
            total.mean,
            total.p50,
            total.p95,
            cpu.mean,
            server.mean,
        )

    overhead = report.table(
        f"Overhead over the paired raw call (targets: < {TARGET_OVERHEAD_PCT:g} % of the turn, "
        f"first visible character < {TARGET_FIRST_CHAR_MS:g} ms after the model's first token)",
        [
            "path",
            "overhead mean ms",
            "p50",
            "p95",
            "overhead % (mean)",
            "first-char delay mean ms",
            "p50",
            "p95",
            "targets met",
        ],
    )
    mean_overhead: dict[str, float] = {}
    for name, raws in raw_for.items():
        if name not in paths:
            continue
        apps = paths[name].samples
        diffs = [ms(a.total_s - r.total_s) for a, r in zip(apps, raws, strict=True)]
        delays = [ms(a.first_s - r.first_s) for a, r in zip(apps, raws, strict=True)]
        d, f = Stats.of(diffs), Stats.of(delays)
        raw_mean = Stats.of([ms(r.total_s) for r in raws]).mean
        pct = 100.0 * d.mean / raw_mean if raw_mean else float("nan")
        met = (
            "yes"
            if pct < TARGET_OVERHEAD_PCT and f.p95 < TARGET_FIRST_CHAR_MS
            else (
                "overhead only"
                if pct < TARGET_OVERHEAD_PCT
                else ("first char only" if f.p95 < TARGET_FIRST_CHAR_MS else "no")
            )
        )
        overhead.add(paths[name].label, d.mean, d.p50, d.p95, pct, f.mean, f.p50, f.p95, met)
        mean_overhead[name] = d.mean
    commits = report.table(
        "One SessionStore.append_turn (a committed turn; the engine path does two per turn), ms",
        ["n", "wall mean", "p95", "CPU mean"],
    )
    commits.add(commit_wall.n, commit_wall.mean, commit_wall.p95, commit_cpu.mean)
    report.note(
        "Overhead = path total minus the raw call made just before it with the same messages; "
        "the first-char delay compares first visible character with the raw client's first token. "
        "The target for the first character is checked at p95."
    )
    if gradio_note:
        report.note(gradio_note)
    if "wire" in mean_overhead and "bare" in mean_overhead:
        report.note(
            f"The bare Gradio chat (_bare_chat_app.py: one Chatbot, the raw openai stream, the same pushes) "
            f"costs {mean_overhead['bare']:.1f} ms per turn over the raw call: the framework's floor. drill "
            f"adds {mean_overhead['wire'] - mean_overhead['bare']:.1f} ms on top (persona prompt, session "
            "lookups, two committed turns, patience meter, status and scorecard outputs)."
        )
    if options.profile is not None and profiler is not None:
        profiler.dump_stats(str(options.profile))
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
        report.note(
            f"cProfile of the handler path written to {options.profile}; top functions by own time:\n"
            + stream.getvalue()
        )
    report.finish(options.json, child_rss_mb=peak_rss_mb(children=True))


class WireDriver:
    """One trainee in the running app through the browser's queue protocol (``_gradio_wire``)."""

    def __init__(self, url: str, persona_id: str, case_id: str) -> None:
        import asyncio

        import httpx
        from _gradio_wire import GradioApp, Trainee

        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient()
        app = self.loop.run_until_complete(GradioApp.load(self.client, url))
        self.trainee = Trainee(app, self.client, app.component_id("trainee-chat"))
        self.loop.run_until_complete(self.trainee.open_page())
        self.persona_id, self.case_id = persona_id, case_id

    def start(self) -> None:
        """Start a drill in this session."""
        result = self.loop.run_until_complete(self.trainee.call("start_drill", [self.persona_id, self.case_id]))
        if not result.success:
            raise RuntimeError(f"/start_drill failed: {result.error}")

    def turn(self, message: str) -> Sample:
        """Send one message and read the streamed reply to completion."""
        cpu0 = time.process_time()
        result = self.loop.run_until_complete(self.trainee.call("send_message", [message]))
        if not result.success:
            raise RuntimeError(f"/send_message failed: {result.error}")
        first = result.first_s if result.first_s is not None else result.total_s
        return Sample(first_s=first, total_s=result.total_s, cpu_s=time.process_time() - cpu0)

    def close(self) -> None:
        """Close the HTTP client and the loop."""
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def run_gradio(
    setup: Setup, base_url: str, options: Any, data_dir: Path
) -> tuple[dict[str, tuple[list[Sample], list[Sample]]], str]:
    """Turns through ``drill serve`` (a subprocess), each paired with a raw call made just before it.

    Two clients take turns, each in its own drill: the browser's queue protocol (``wire``) and
    ``gradio_client`` (``gradio_client``). Returns samples per client and a note.
    """
    env = {
        "DRILL_LLM_BASE_URL": base_url,
        "DRILL_LLM_API_KEY": "bench",
        "DRILL_LLM_MODEL": "fake-model",
        "DRILL_LLM_MAX_RETRIES": "0",
    }
    app = AppProcess(data_dir / "app", env=env, profile_to=options.profile_app)
    bare = AppProcess(data_dir / "bare", env=env, script="_bare_chat_app.py", log_name="bare.log")
    results: dict[str, tuple[list[Sample], list[Sample]]] = {}
    try:
        if app.started_s is None:
            return results, f"the app did not start; its log ends:\n{app.log_tail()}"
        drivers: dict[str, Any] = {"wire": WireDriver(app.url, setup.persona.id, setup.case.id)}
        if bare.started_s is not None:
            drivers["bare"] = WireDriver(bare.url, setup.persona.id, setup.case.id)
        with contextlib.suppress(ImportError):  # gradio_client ships with gradio, but is optional here
            drivers["gradio_client"] = GradioDriver(app.url, setup.persona.id, setup.case.id, setup.language)
        for name in drivers:
            results[name] = ([], [])
        for turn in range(options.warmup + options.gradio_turns):
            if turn % options.reset_every == 0:
                for driver in drivers.values():
                    driver.start()
                setup._fresh_conversation()  # the raw calls mirror a fresh drill too
            if turn == options.warmup:
                app.start_profiling()
            message = setup.next_line(turn)
            order = list(drivers) if turn % 2 == 0 else list(reversed(drivers))
            for name in order:
                raw = setup.raw_turn(message)
                server = bare if name == "bare" else app
                server_cpu = server.cpu_seconds()
                sample = drivers[name].turn(message)
                sample.server_cpu_s = server.cpu_seconds() - server_cpu
                if turn >= options.warmup:
                    results[name][0].append(sample)
                    results[name][1].append(raw)
            # Keep the raw calls' message history in step with the app's drills.
            setup.engine_turn(message, reset_every=10**6)
        drivers["wire"].close()
        if "bare" in drivers:
            drivers["bare"].close()
        note = (
            "Running app: drill serve in its own process (its peak RSS is the 'largest child' below). The "
            "browser-protocol client speaks Gradio's queue protocol directly (what the browser does); "
            "gradio_client polls its message queue every 50 ms, so its first-character and total times "
            "include up to 50 ms of client-side polling per event."
        )
        if app.index_ready_s is not None:
            note += (
                f" The app was up after {app.started_s:.1f} s; measuring began after its start-up case-index "
                f"build ended ({app.index_ready_s:.1f} s after start)."
            )
        if options.profile_app is not None:
            note += f" Sampling profile of the app server written to {options.profile_app}."
        return results, note
    except Exception as exc:  # report what failed rather than losing the other figures
        return results, f"the running-app path failed: {type(exc).__name__}: {exc}\n{app.log_tail()}"
    finally:
        app.stop()
        bare.stop()


if __name__ == "__main__":
    main()
