"""A lean asyncio client for a Gradio app's queue protocol (what the browser's JS client speaks).

``gradio_client`` is the supported Python client, but as a load generator it is costly: it spends
~100+ ms of CPU per streamed turn and polls its message queue every 50 ms, which would put the
client, not the app, in the measurements. This client does only what a browser does: ``POST
queue/join`` with the event's inputs (``None`` for ``gr.State`` inputs, which the server keeps per
session), then reads ``queue/data`` as server-sent events until the event completes, applying the
streamed diffs. Like the browser, it then runs the server-side ``.change`` listeners of any
``gr.State`` the event changed (``changed_state_ids``). Many trainees share one ``httpx.AsyncClient``.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Endpoint:
    """One named event of the app: its function index and input/output component ids."""

    fn_index: int
    inputs: list[int]
    outputs: list[int]


class GradioApp:
    """The app's config: endpoints by api_name and which components are ``gr.State``."""

    def __init__(self, url: str, config: dict[str, Any]) -> None:
        self.url = url.rstrip("/") + "/"
        self.config = config
        prefix = str(config.get("api_prefix", "/gradio_api")).strip("/")
        self.api = self.url + (prefix + "/" if prefix else "")
        self.state_ids = {c["id"] for c in config.get("components", []) if c.get("type") == "state"}
        self.endpoints: dict[str, Endpoint] = {}
        self.load_events: list[Endpoint] = []
        #: state component id -> the server-side listeners of its .change event
        self.state_listeners: dict[int, list[Endpoint]] = {}
        for index, dependency in enumerate(config.get("dependencies", [])):
            endpoint = Endpoint(
                int(dependency.get("id", index)), list(dependency["inputs"]), list(dependency["outputs"])
            )
            name = dependency.get("api_name")
            if name:
                self.endpoints[str(name)] = endpoint
            targets = [target for target in dependency.get("targets", []) if len(target) > 1]
            if any(target[1] == "load" for target in targets):
                self.load_events.append(endpoint)
            if dependency.get("backend_fn", True):
                for target in targets:
                    if target[1] == "change" and target[0] in self.state_ids:
                        self.state_listeners.setdefault(int(target[0]), []).append(endpoint)
        self._defaults = {c["id"]: c.get("props", {}).get("value") for c in config.get("components", [])}

    @classmethod
    async def load(cls, client: httpx.AsyncClient, url: str) -> GradioApp:
        """Fetch ``/config``."""
        response = await client.get(url.rstrip("/") + "/config")
        response.raise_for_status()
        return cls(url, response.json())

    def component_id(self, elem_id: str) -> int:
        """The component id of the element with ``elem_id`` (e.g. the trainee's Chatbot)."""
        for component in self.config.get("components", []):
            if component.get("props", {}).get("elem_id") == elem_id:
                return int(component["id"])
        raise LookupError(f"no component with elem_id {elem_id!r} in the app")

    def data(self, api_name: str, values: list[Any]) -> list[Any]:
        """The event's input list: ``values`` in order for the non-state inputs, None for states."""
        endpoint = self.endpoints[api_name]
        remaining = list(values)
        return [None if cid in self.state_ids else remaining.pop(0) for cid in endpoint.inputs]


@dataclass
class EventResult:
    """Timing of one event: first message showing customer text, completion, message count."""

    first_s: float | None
    total_s: float
    messages: int
    success: bool
    error: str = ""
    final: list[Any] | None = None
    changed_states: tuple[int, ...] = ()


def _apply(target: Any, diff: list[list[Any]]) -> Any:
    for action, path, value in diff:
        if not path:
            if action == "replace":
                target = value
            elif action == "append":
                target = target + value
            continue
        current = target
        for key in path[:-1]:
            current = current[key]
        last = path[-1]
        if action == "replace":
            current[last] = value
        elif action == "append":
            current[last] += value
        elif action == "add":
            if isinstance(current, list):
                current.insert(int(last), value)
            else:
                current[last] = value
        elif action == "delete":
            del current[int(last) if isinstance(current, list) else last]
    return target


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio 6 messages: [{"type": "text", "text": ...}]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content or "")


def customer_text_streaming(chat: Any) -> bool:
    """True when the chat's last message is the customer's, after a trainee message, with real text."""
    if not isinstance(chat, list) or len(chat) < 2:
        return False
    last, before = chat[-1], chat[-2]
    if not isinstance(last, dict) or not isinstance(before, dict):
        return False
    if last.get("role") != "assistant" or before.get("role") != "user":
        return False
    text = _text(last.get("content"))
    return bool(text) and text != "…"


class Trainee:
    """One browser session (its own ``session_hash``, so its own ``gr.State`` values)."""

    def __init__(self, app: GradioApp, client: httpx.AsyncClient, chat_output: int) -> None:
        self.app = app
        self.client = client
        self.session_hash = secrets.token_hex(6)
        self.chat_output = chat_output  # component id of the Chatbot among the outputs

    async def open_page(self, *, timeout_s: float = 120.0) -> list[EventResult]:
        """Run the page's load events, as a browser does on opening the page (they fill the choices)."""
        results = []
        for endpoint in self.app.load_events:
            data = [None if cid in self.app.state_ids else self.app._defaults.get(cid) for cid in endpoint.inputs]
            results.append(await self._run(endpoint, data, timeout_s))
        return results

    async def call(self, api_name: str, values: list[Any], *, timeout_s: float = 120.0) -> EventResult:
        """Run one named event to completion and time it, then the listeners of states it changed.

        The result (and its timing) is the named event's; the ``.change`` listeners run after it,
        as the browser runs them, and count as this trainee's time between events.
        """
        endpoint = self.app.endpoints[api_name]
        result = await self._run(endpoint, self.app.data(api_name, values), timeout_s)
        for state_id in result.changed_states:
            for listener in self.app.state_listeners.get(state_id, []):
                data = [None if cid in self.app.state_ids else self.app._defaults.get(cid) for cid in listener.inputs]
                await self._run(listener, data, timeout_s)
        return result

    async def _run(self, endpoint: Endpoint, data: list[Any], timeout_s: float) -> EventResult:
        chat_position = endpoint.outputs.index(self.chat_output) if self.chat_output in endpoint.outputs else None
        started = time.perf_counter()
        payload = {
            "data": data,
            "event_data": None,
            "fn_index": endpoint.fn_index,
            "trigger_id": None,
            "session_hash": self.session_hash,
        }
        joined = await self.client.post(self.app.api + "queue/join", json=payload, timeout=timeout_s)
        if joined.status_code != 200:
            return EventResult(None, time.perf_counter() - started, 0, False, f"join HTTP {joined.status_code}")
        event_id = joined.json()["event_id"]
        first: float | None = None
        outputs: list[Any] | None = None
        count = 0
        changed: set[int] = set()
        async with self.client.stream(
            "GET", self.app.api + "queue/data", params={"session_hash": self.session_hash}, timeout=timeout_s
        ) as response:
            buffer = ""
            async for chunk in response.aiter_text():
                buffer += chunk
                while "\n\n" in buffer:
                    line, buffer = buffer.split("\n\n", 1)
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    kind = message.get("msg")
                    if kind == "close_stream":
                        return EventResult(first, time.perf_counter() - started, count, False, "stream closed early")
                    if message.get("event_id") != event_id:
                        continue
                    changed.update(message.get("output", {}).get("changed_state_ids") or [])
                    if kind == "process_generating":
                        count += 1
                        data = message.get("output", {}).get("data", [])
                        if outputs is None:
                            outputs = list(data)
                        else:
                            for index, diff in enumerate(data):
                                outputs[index] = _apply(outputs[index], diff)
                        if (
                            first is None
                            and chat_position is not None
                            and customer_text_streaming(outputs[chat_position])
                        ):
                            first = time.perf_counter() - started
                    elif kind == "process_completed":
                        count += 1
                        success = bool(message.get("success", True))
                        output = message.get("output", {})
                        final = output.get("data") if success else None
                        error = "" if success else str(output.get("error") or output)[:300]
                        return EventResult(
                            first, time.perf_counter() - started, count, success, error, final, tuple(sorted(changed))
                        )
        return EventResult(first, time.perf_counter() - started, count, False, "stream ended without completion")
