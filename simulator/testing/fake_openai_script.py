"""What the fake OpenAI-compatible server answers: scripted replies, latency and recorded requests.

``ReplyScript`` is the state the test thread and the server's event loop share: one queue of
``ScriptedReply`` per endpoint, the default reply, the latency and every request received.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Endpoint = Literal["chat", "embeddings"]


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


class ReplyScript:
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
        """The queued reply for ``endpoint``, else (chat) a copy of the default reply."""
        with self.lock:
            queue = self.queues[endpoint]
            if queue:
                return queue.popleft()
            return replace(self.default_reply) if endpoint == "chat" else ScriptedReply()

    def record(self, request: RecordedRequest) -> None:
        """Keep ``request`` for the test to inspect."""
        with self.lock:
            self.received.append(request)
