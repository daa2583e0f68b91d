"""A small OpenAI-compatible HTTP server with scripted replies, for tests and benchmarks.

It speaks the three endpoints drill uses (``/v1/chat/completions`` with and without SSE streaming,
``/v1/embeddings``, ``/v1/models``) so that the real ``openai`` client and ``ChatOpenAI`` are
exercised end to end. Replies are scripted like simonw/llm's ``MockModel``: ``enqueue()`` what the
next request gets (text, a tool call, an HTTP error, a delay, explicit stream chunks or a garbage
body); when the queue is empty ``default_reply`` answers. Every request is recorded. The script
lives in ``simulator.testing.fake_openai_script``, the bodies in ``simulator.testing.fake_openai_bodies``.

Usage::

    with FakeOpenAIServer() as server:
        server.enqueue(content="Hello")
        client = OpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from simulator.testing.fake_openai_bodies import (
    completion_body,
    encode_embedding,
    error_response,
    estimate_tokens,
    hash_embedding,
    stream_response,
)
from simulator.testing.fake_openai_script import Endpoint, Latency, RecordedRequest, ReplyScript, ScriptedReply


def create_app(script: ReplyScript) -> FastAPI:
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
            return error_response(reply)
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        dim = int(body.get("dimensions") or script.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": encode_embedding(hash_embedding(str(text), dim), as_base64),
            }
            for i, text in enumerate(texts)
        ]
        tokens = sum(estimate_tokens(str(text)) for text in texts)
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
            return error_response(reply)
        if body.get("stream"):
            return stream_response(script, reply, body)
        if reply.raw_body is not None:
            return Response(reply.raw_body, media_type="application/json", headers=reply.headers)
        return JSONResponse(completion_body(script, reply, body), headers=reply.headers)

    return app


class FakeOpenAIServer:
    """Run the fake OpenAI-compatible server on 127.0.0.1 (a free port) in a background thread.

    Use as a context manager (or call ``start()``/``stop()``). ``base_url`` ends with ``/v1``.
    """

    def __init__(self, *, embedding_dim: int = 64, model: str = "fake-model") -> None:
        self._script = ReplyScript(embedding_dim=embedding_dim, model=model)
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
