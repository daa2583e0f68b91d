"""A small OpenAI-compatible HTTP server with scripted replies, for tests and benchmarks.

It speaks the three endpoints drill uses (``/v1/chat/completions`` with and without SSE streaming,
``/v1/embeddings``, ``/v1/models``) so that the real ``openai`` client and ``ChatOpenAI`` are
exercised end to end. Replies are scripted like simonw/llm's ``MockModel``: ``enqueue()`` what the
next request gets (text, a tool call, an HTTP error, a delay, explicit stream chunks or a garbage
body); when the queue is empty ``default_reply`` answers. Every request is recorded.

Usage::

    with FakeOpenAIServer() as server:
        server.enqueue(content="Hello")
        client = OpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

Endpoint = Literal["chat", "embeddings"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


@dataclass
class ScriptedReply:
    """What the server answers to one request.

    ``content`` may be a string or a JSON-able object (sent as its JSON text). ``tool_call_args``
    (a dict or a raw JSON string) makes the reply a tool call to ``tool_name`` (default: the
    function named by the request's ``tool_choice``, else its first tool). A ``status`` other than
    200 sends an OpenAI-style error body (``error_message``) with ``headers``. ``raw_body`` is sent
    verbatim. ``chunks`` fixes how a streamed reply is split. ``fail_after_chunks`` drops the
    connection mid-stream after that many content chunks. ``usage`` is ``(prompt, completion)``
    token counts (default: estimated from the text).

    Faults of streamed replies, as real servers show them: ``omit_finish_reason`` ends the stream
    without any ``finish_reason`` and ``omit_done`` without the ``data: [DONE]`` line (both: a
    server that stopped mid-reply and closed the connection cleanly); ``finish_reason="length"``
    ends it as cut off by the token cap; ``error_event_after_chunks`` sends an error event (``data:
    {"error": ...}``, as vLLM does) after that many content chunks; ``chunk_delay_s`` makes a slow
    stream; ``stall_after_chunks`` with ``stall_s`` hangs the stream once (a stuck model).
    ``error_code`` / ``error_type`` fill the error body of a non-200 reply (e.g.
    ``context_length_exceeded``).
    """

    content: str | dict[str, Any] | list[Any] | None = None
    tool_call_args: dict[str, Any] | str | None = None
    tool_name: str | None = None
    status: int = 200
    error_message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    chunks: list[str] | None = None
    raw_body: str | None = None
    fail_after_chunks: int | None = None
    usage: tuple[int, int] | None = None
    finish_reason: str | None = None
    omit_finish_reason: bool = False
    omit_done: bool = False
    error_event_after_chunks: int | None = None
    chunk_delay_s: float = 0.0
    stall_after_chunks: int | None = None
    stall_s: float = 0.0
    error_code: str | None = None
    error_type: str | None = None

    def text(self) -> str:
        """The reply content as text ('' when the reply is a tool call only)."""
        if self.content is None:
            return "".join(self.chunks or [])
        if isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, ensure_ascii=False)


@dataclass
class Latency:
    """Delays added to every chat reply: before the first token and between stream chunks."""

    first_token_s: float = 0.0
    per_chunk_s: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class _Script:
    """Thread-safe state shared by the test thread and the server's event loop."""

    def __init__(self, embedding_dim: int, model: str) -> None:
        self.lock = threading.Lock()
        self.queues: dict[Endpoint, deque[ScriptedReply]] = {"chat": deque(), "embeddings": deque()}
        self.default_reply = ScriptedReply(content="OK")
        self.received: list[RecordedRequest] = []
        self.latency = Latency()
        self.embedding_dim = embedding_dim
        self.model = model
        self.chunk_chars = 4

    def next_reply(self, endpoint: Endpoint) -> ScriptedReply:
        with self.lock:
            queue = self.queues[endpoint]
            if queue:
                return queue.popleft()
            return replace(self.default_reply) if endpoint == "chat" else ScriptedReply()

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.received.append(request)


def hash_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for ``text`` (same text, same vector; different text, different)."""
    values: list[float] = []
    counter = 0
    while len(values) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    vector = values[:dim]
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _encode(vector: list[float], as_base64: bool) -> list[float] | str:
    # The openai client asks for base64 (little-endian float32), as OpenAI's API returns it.
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _prompt_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return "\n".join(parts)


def _tool_name(reply: ScriptedReply, body: dict[str, Any]) -> str:
    if reply.tool_name:
        return reply.tool_name
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name:
            return str(name)
    tools = body.get("tools") or []
    if tools:
        return str((tools[0].get("function") or {}).get("name", "tool"))
    return "tool"


def _split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _error_response(reply: ScriptedReply) -> Response:
    if reply.raw_body is not None:
        return Response(reply.raw_body, status_code=reply.status, headers=reply.headers)
    message = reply.error_message or f"scripted error {reply.status}"
    error = {
        "message": message,
        "type": reply.error_type or _ERROR_TYPES.get(reply.status, "server_error"),
        "code": reply.error_code,
    }
    return JSONResponse({"error": error}, status_code=reply.status, headers=reply.headers)


def create_app(script: _Script) -> FastAPI:
    """Build the FastAPI app serving ``script``'s replies."""
    app = FastAPI(title="fake OpenAI-compatible server")

    async def _body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        script.record(RecordedRequest(request.url.path, body, dict(request.headers)))
        return body

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": script.model, "object": "model", "owned_by": "fake"}]}

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body = await _body(request)
        reply = script.next_reply("embeddings")
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.status != 200 or reply.raw_body is not None:
            return _error_response(reply)
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        dim = int(body.get("dimensions") or script.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _encode(hash_embedding(str(text), dim), as_base64),
            }
            for i, text in enumerate(texts)
        ]
        tokens = sum(_estimate_tokens(str(text)) for text in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", script.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = await _body(request)
        reply = script.next_reply("chat")
        delay = reply.delay_s + script.latency.first_token_s
        if delay:
            await asyncio.sleep(delay)
        if reply.status != 200:
            return _error_response(reply)
        if body.get("stream"):
            return _stream_response(script, reply, body)
        if reply.raw_body is not None:
            return Response(reply.raw_body, media_type="application/json", headers=reply.headers)
        return JSONResponse(_completion(script, reply, body), headers=reply.headers)

    return app


def _usage(reply: ScriptedReply, body: dict[str, Any]) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        completion_text = reply.text() + (json.dumps(reply.tool_call_args) if reply.tool_call_args is not None else "")
        prompt, completion = _estimate_tokens(_prompt_text(body)), _estimate_tokens(completion_text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _arguments(reply: ScriptedReply) -> str:
    args = reply.tool_call_args
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


def _completion(script: _Script, reply: ScriptedReply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text() or None}
    finish = reply.finish_reason or "stop"
    if reply.tool_call_args is not None:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": _tool_name(reply, body), "arguments": _arguments(reply)},
            }
        ]
        finish = reply.finish_reason or "tool_calls"
    elif message["content"] is None:
        message["content"] = ""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", script.model),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _usage(reply, body),
    }


def _stream_response(script: _Script, reply: ScriptedReply, body: dict[str, Any]) -> Response:
    if reply.raw_body is not None:
        raw = reply.raw_body

        async def garbage() -> AsyncIterator[bytes]:
            yield raw.encode()

        return StreamingResponse(garbage(), media_type="text/event-stream", headers=reply.headers)
    return StreamingResponse(_sse_events(script, reply, body), media_type="text/event-stream", headers=reply.headers)


async def _sse_events(script: _Script, reply: ScriptedReply, body: dict[str, Any]) -> AsyncIterator[bytes]:
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
    created = int(time.time())
    model = body.get("model", script.model)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def event(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
        choices = [] if usage is not None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": choices,
        }
        if usage is not None:
            payload["usage"] = usage
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    deltas: list[dict[str, Any]]
    if reply.tool_call_args is not None:
        name = _tool_name(reply, body)
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        pieces = _split(_arguments(reply), 8)
        first = {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        deltas = [{"role": "assistant", "content": None, "tool_calls": [first]}]
        deltas += [{"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} for piece in pieces]
        finish = reply.finish_reason or "tool_calls"
    else:
        pieces = reply.chunks if reply.chunks is not None else _split(reply.text(), script.chunk_chars)
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": piece} for piece in pieces]
        finish = reply.finish_reason or "stop"

    for index, delta in enumerate(deltas):
        if reply.fail_after_chunks is not None and index > reply.fail_after_chunks:
            # Raising inside the body iterator makes uvicorn drop the connection mid-response,
            # which is what a crashed inference server looks like to the client.
            raise ConnectionAbortedError("scripted mid-stream failure")
        if reply.error_event_after_chunks is not None and index > reply.error_event_after_chunks:
            error = {"message": reply.error_message or "scripted mid-stream error", "type": "server_error"}
            yield f"data: {json.dumps({'error': error})}\n\n".encode()
            return
        if reply.stall_after_chunks is not None and index == reply.stall_after_chunks + 1:
            await asyncio.sleep(reply.stall_s)
        if index and (script.latency.per_chunk_s or reply.chunk_delay_s):
            await asyncio.sleep(script.latency.per_chunk_s + reply.chunk_delay_s)
        yield event(delta)
    if not reply.omit_finish_reason:
        yield event({}, finish)
    if include_usage:
        yield event({}, usage=_usage(reply, body))
    if not reply.omit_done:
        yield b"data: [DONE]\n\n"


class FakeOpenAIServer:
    """Run the fake OpenAI-compatible server on 127.0.0.1 (a free port) in a background thread.

    Use as a context manager (or call ``start()``/``stop()``). ``base_url`` ends with ``/v1``.
    """

    def __init__(self, *, embedding_dim: int = 64, model: str = "fake-model") -> None:
        self._script = _Script(embedding_dim=embedding_dim, model=model)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        """Start serving; returns once the socket is listening."""
        config = uvicorn.Config(
            create_app(self._script),
            host="127.0.0.1",
            port=0,
            # No logging config of its own: its error log goes through the root logger, which
            # pytest captures (a scripted mid-stream failure is logged as an ASGI error).
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-openai-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:54321/v1``."""
        if self.port is None:
            raise RuntimeError("the fake OpenAI server is not running; call start() first")
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(
        self,
        content: str | dict[str, Any] | list[Any] | None = None,
        *,
        endpoint: Endpoint = "chat",
        **options: Any,
    ) -> ScriptedReply:
        """Queue the reply to the next request on ``endpoint``; options are ``ScriptedReply`` fields."""
        reply = ScriptedReply(content=content, **options)
        with self._script.lock:
            self._script.queues[endpoint].append(reply)
        return reply

    def reset(self) -> None:
        """Forget queued replies and recorded requests; restore the default reply and latency."""
        with self._script.lock:
            for queue in self._script.queues.values():
                queue.clear()
            self._script.received.clear()
            self._script.default_reply = ScriptedReply(content="OK")
            self._script.latency = Latency()
            self._script.chunk_chars = 4

    @property
    def pending(self) -> int:
        """Number of queued replies not yet consumed (all endpoints)."""
        with self._script.lock:
            return sum(len(queue) for queue in self._script.queues.values())

    @property
    def default_reply(self) -> ScriptedReply:
        """What a chat request gets when the queue is empty."""
        return self._script.default_reply

    @default_reply.setter
    def default_reply(self, reply: ScriptedReply) -> None:
        self._script.default_reply = reply

    @property
    def latency(self) -> Latency:
        """Delays applied to every chat reply (mutable)."""
        return self._script.latency

    @latency.setter
    def latency(self, latency: Latency) -> None:
        self._script.latency = latency

    @property
    def chunk_chars(self) -> int:
        """How many characters each streamed chunk carries when ``chunks`` is not scripted."""
        return self._script.chunk_chars

    @chunk_chars.setter
    def chunk_chars(self, size: int) -> None:
        if size < 1:
            raise ValueError("chunk_chars must be at least 1")
        self._script.chunk_chars = size

    @property
    def embedding_dim(self) -> int:
        """Dimension of the vectors ``/v1/embeddings`` returns (unless the request sets one)."""
        return self._script.embedding_dim

    @embedding_dim.setter
    def embedding_dim(self, dim: int) -> None:
        self._script.embedding_dim = dim

    @property
    def received(self) -> list[RecordedRequest]:
        """Every request received so far (path, parsed JSON body, headers)."""
        with self._script.lock:
            return list(self._script.received)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Parsed JSON bodies of the chat-completion requests received so far."""
        return [r.body for r in self.received if r.path.endswith("/chat/completions")]
