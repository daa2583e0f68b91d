"""Streaming a reply that a person is waiting for: accepted only whole, retried within its time budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from simulator.config import Settings
from simulator.errors import LLMFailure, LLMUnavailable
from simulator.llm.client import RetryPolicy, display_url, endpoint_url
from simulator.llm.errors import provider_errors

#: Finish reasons of a reply that ended where the model meant it to: OpenAI's and most servers'
#: "stop" (also sent when a stop sequence matched), and the names a few OpenAI-compatible
#: servers pass through from their own engines (TGI, and gateways in front of other APIs).
NORMAL_FINISH = frozenset({"stop", "eos_token", "stop_sequence", "end_turn"})
#: Faults worth another attempt while nothing has been shown yet (the openai client's own set).
_RETRYABLE: frozenset[LLMFailure] = frozenset({"down", "timeout", "rate_limited", "server_error"})


def _fault(settings: Settings, name: str, reason: LLMFailure, detail: str) -> LLMUnavailable:
    url = display_url(endpoint_url(settings))
    return LLMUnavailable(f"The LLM endpoint {url} (model {name}) {detail}", reason=reason, base_url=url, model=name)


def _unfinished(settings: Settings, name: str, finish: str | None, max_tokens: int | None) -> LLMUnavailable:
    if finish is None:
        return _fault(
            settings,
            name,
            "incomplete",
            "stopped sending before the end of its reply (the stream ended with no finish reason): the "
            "server or the connection broke off. The partial reply was discarded; try again.",
        )
    if finish == "length":
        cap = f" of {max_tokens} tokens" if max_tokens else ""
        return _fault(
            settings,
            name,
            "cut_off",
            f"was cut off at the reply length cap{cap} (finish reason 'length'). The partial reply was "
            "discarded; try again. If it keeps happening the model is rambling or thinking at length: try "
            "another model.",
        )
    if finish == "content_filter":
        return _fault(
            settings,
            name,
            "filtered",
            "stopped its reply with its content filter (finish reason 'content_filter'). The partial reply "
            "was discarded; rephrase the message and try again.",
        )
    return _fault(
        settings,
        name,
        "incomplete",
        f"ended its reply with the unexpected finish reason {finish!r}. The partial reply was discarded; try again.",
    )


def _stopped(settings: Settings, name: str) -> LLMUnavailable:
    return _fault(settings, name, "stopped", "was still answering when the reply was stopped.")


def stream_text(
    llm: BaseChatModel,
    messages: Sequence[Any],
    settings: Settings,
    *,
    model: str | None = None,
    stop: Sequence[str] | None = None,
    max_tokens: int | None = None,
    budget_s: float | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[str]:
    """Text deltas of ``llm.stream(messages)``, accepted only as a whole reply.

    Raises :class:`LLMUnavailable` (after the deltas so far) unless the stream ended normally
    (``finish_reason == "stop"``): a stream that simply stops, or ends with ``length`` or
    ``content_filter``, is not a reply, and the caller must discard what it showed.

    Time: the whole reply, retries included, gets ``budget_s`` seconds (default
    ``settings.llm_reply_timeout_s``); each wait for the server is at most ``llm_timeout_s`` and never
    past the budget. ``llm`` should be built with ``client_retries=False``: retries happen here, with
    :class:`RetryPolicy` backoff and ``Retry-After``, only while nothing has been yielded and only
    while the budget lasts. Setting ``cancel`` stops the reply at the next chunk or retry
    (``reason == "stopped"``).
    """
    name = model or settings.llm_model
    budget = settings.llm_reply_timeout_s if budget_s is None else budget_s
    deadline = time.monotonic() + budget
    policy = RetryPolicy.from_settings(settings)
    retries = 0
    while True:
        remaining = deadline - time.monotonic()
        if cancel is not None and cancel.is_set():
            raise _stopped(settings, name)
        shown = False
        finish: str | None = None
        try:
            with provider_errors(settings, model=name, retries=retries):
                chunks = llm.stream(
                    list(messages), stop=list(stop) if stop else None, timeout=min(settings.llm_timeout_s, remaining)
                )
                for chunk in chunks:
                    finish = chunk.response_metadata.get("finish_reason") or finish
                    text = str(chunk.text)
                    if text:
                        shown = True
                        yield text
                    if cancel is not None and cancel.is_set():
                        raise _stopped(settings, name)
                    if time.monotonic() > deadline:
                        raise _fault(
                            settings,
                            name,
                            "timeout",
                            f"did not finish its reply within {budget:g} s (DRILL_LLM_REPLY_TIMEOUT). The "
                            "partial reply was discarded; try again, or use a faster model.",
                        )
        except LLMUnavailable as exc:
            if shown or exc.reason not in _RETRYABLE or retries >= settings.llm_max_retries:
                raise
            wait = policy.delay(retries, exc.retry_after)
            if time.monotonic() + wait >= deadline:
                raise
            retries += 1
            if cancel is not None and cancel.wait(wait):
                raise _stopped(settings, name) from exc
            if cancel is None:
                time.sleep(wait)
            continue
        if finish not in NORMAL_FINISH:
            raise _unfinished(settings, name, finish, max_tokens)
        return
