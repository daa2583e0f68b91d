"""The bodies the fake OpenAI-compatible server sends: completions, SSE streams, errors, embeddings.

Each is built from a ``ScriptedReply`` and the request body, as the OpenAI API shapes them, with
the faults a reply scripts (cut streams, error events, stalls, missing ``finish_reason``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import struct
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import JSONResponse, Response, StreamingResponse

from simulator.testing.fake_openai_script import ReplyScript, ScriptedReply

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


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


def encode_embedding(vector: list[float], as_base64: bool) -> list[float] | str:
    """``vector`` as a JSON list, or as base64 of little-endian float32 when ``as_base64``."""
    # The openai client asks for base64 (little-endian float32), as OpenAI's API returns it.
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def estimate_tokens(text: str) -> int:
    """A rough token count (four characters a token), for ``usage`` fields."""
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


def error_response(reply: ScriptedReply) -> Response:
    """An OpenAI-style error body with the reply's status (or its raw body verbatim)."""
    if reply.raw_body is not None:
        return Response(reply.raw_body, status_code=reply.status, headers=reply.headers)
    message = reply.error_message or f"scripted error {reply.status}"
    error = {
        "message": message,
        "type": reply.error_type or _ERROR_TYPES.get(reply.status, "server_error"),
        "code": reply.error_code,
    }
    return JSONResponse({"error": error}, status_code=reply.status, headers=reply.headers)


def _usage(reply: ScriptedReply, body: dict[str, Any]) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        completion_text = reply.text() + (json.dumps(reply.tool_call_args) if reply.tool_call_args is not None else "")
        prompt, completion = estimate_tokens(_prompt_text(body)), estimate_tokens(completion_text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _arguments(reply: ScriptedReply) -> str:
    args = reply.tool_call_args
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


def completion_body(script: ReplyScript, reply: ScriptedReply, body: dict[str, Any]) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` for ``reply`` (text or a tool call), with usage."""
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


def stream_response(script: ReplyScript, reply: ScriptedReply, body: dict[str, Any]) -> Response:
    """The SSE stream of ``chat.completion.chunk`` events for ``reply``, with its scripted faults."""
    if reply.raw_body is not None:
        raw = reply.raw_body

        async def garbage() -> AsyncIterator[bytes]:
            yield raw.encode()

        return StreamingResponse(garbage(), media_type="text/event-stream", headers=reply.headers)
    return StreamingResponse(_sse_events(script, reply, body), media_type="text/event-stream", headers=reply.headers)


async def _sse_events(script: ReplyScript, reply: ScriptedReply, body: dict[str, Any]) -> AsyncIterator[bytes]:
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
