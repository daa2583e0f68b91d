"""The running-app paths of ``turn_overhead``: ``drill serve`` (and the bare Gradio chat) driven by the
browser's queue protocol and by ``gradio_client``, each turn paired with a raw model call.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from _processes import AppProcess
from _turn_paths import Sample, Setup, timed


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

        return timed(run)


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
