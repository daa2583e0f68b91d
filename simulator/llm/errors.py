"""Provider exceptions translated into :class:`simulator.errors.LLMUnavailable` that say what to check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import openai

from simulator.config import Settings
from simulator.errors import LLMFailure, LLMUnavailable
from simulator.llm.client import display_url, endpoint_url

_PROVIDER_MODULES = ("openai", "langchain_openai", "langchain_core", "httpx2")


def _raised_by_provider(exc: BaseException) -> bool:
    # A ValueError/TypeError only counts as a garbage reply when it came out of the provider
    # stack; one raised by our own code is a bug and must surface as such.
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".")[0] in _PROVIDER_MODULES:
            return True
        tb = tb.tb_next
    return False


def _detail(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        if isinstance(body, dict):
            message = body.get("message") or (body.get("error") or {}).get("message")
            if message:
                return str(message)[:300].rstrip(".")
    return (str(exc) or type(exc).__name__)[:300].rstrip(".")


# How OpenAI-compatible servers say that a request is longer than the model's context window (an
# HTTP 400 or 413): error codes and types (OpenAI, llama.cpp's server) and, for servers that send
# neither, the start of their messages (OpenAI, vLLM, DeepSeek: "maximum context length";
# llama.cpp: "exceeds the available context size"; LM Studio, TGI: "context length"/"too many
# tokens"; DashScope/Qwen: "range of input length"). Protocol strings, not language to understand.
_CONTEXT_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error", "string_above_max_length"})
_CONTEXT_PHRASES = (
    "maximum context length",
    "context length",
    "context window",
    "context size",
    "too many tokens",
    "range of input length",
    "prompt is too long",
)


def _error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error")
        return inner if isinstance(inner, dict) else body
    return {}


def is_context_length_error(exc: BaseException) -> bool:
    """True when ``exc`` is a provider's rejection of a request longer than the model's context."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 413, 422):
        return False
    body = _error_body(exc)
    if {str(body.get("code") or ""), str(body.get("type") or "")} & _CONTEXT_CODES:
        return True
    text = f"{body.get('message') or ''} {exc.message}".lower()
    return any(phrase in text for phrase in _CONTEXT_PHRASES)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw = headers.get("retry-after-ms")
    try:
        if raw is not None:
            return float(raw) / 1000
        raw = headers.get("retry-after")
        return float(raw) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: rare from model servers; the policy's own backoff applies


def translate_error(
    exc: BaseException,
    settings: Settings,
    *,
    model: str | None = None,
    retries: int | None = None,
    timeout_setting: str = "DRILL_LLM_TIMEOUT",
) -> LLMUnavailable | None:
    """The domain error for a provider exception, or None when ``exc`` is not a provider fault.

    ``retries`` is how many retries were made (default: the configured number, which the openai
    client makes itself); ``timeout_setting`` names the variable that set ``settings.llm_timeout_s``
    for this call, so a timeout says which one to raise.
    """
    name = model or settings.llm_model
    url = display_url(endpoint_url(settings))
    where = f"the LLM endpoint {url} (model {name})"
    count = settings.llm_max_retries if retries is None else retries
    retries_text = f"after {count} {'retry' if count == 1 else 'retries'}"
    reason: LLMFailure
    if isinstance(exc, openai.LengthFinishReasonError):
        reason = "cut_off"
        message = f"{where} stopped its reply at the length cap before the end (finish reason 'length')"
    elif isinstance(exc, openai.ContentFilterFinishReasonError):
        reason = "filtered"
        message = f"{where} stopped its reply with its content filter (finish reason 'content_filter')"
    elif isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        reason = "timeout"
        message = (
            f"{where} did not answer within {settings.llm_timeout_s:g} s ({retries_text}). The server may be "
            f"overloaded or still loading the model: try again, raise {timeout_setting}, or use a smaller model."
        )
    elif isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        reason = "down"
        message = (
            f"Cannot reach {where}, or the connection broke off ({retries_text}): {_detail(exc)}. Check that the "
            "server is running (for Ollama: `ollama serve`) and that DRILL_LLM_BASE_URL is right."
        )
    elif isinstance(exc, openai.RateLimitError):
        reason = "rate_limited"
        message = (
            f"{where} is rate-limiting requests (HTTP 429, {retries_text}): {_detail(exc)}. Wait a minute, "
            "run fewer sessions at once, or check the account's quota."
        )
    elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        reason = "auth"
        message = (
            f"{where} refused the API key (HTTP {exc.status_code}): {_detail(exc)}. "
            "Check DRILL_LLM_API_KEY (or OPENAI_API_KEY)."
        )
    elif isinstance(exc, openai.NotFoundError):
        reason = "not_found"
        message = (
            f"{where} answered HTTP 404: {_detail(exc)}. Check DRILL_LLM_MODEL (for Ollama: "
            f"`ollama pull {name}`) and that DRILL_LLM_BASE_URL ends with /v1."
        )
    elif isinstance(exc, openai.APIStatusError) and is_context_length_error(exc):
        reason = "context_length"
        message = (
            f"{where} refused the request because it is longer than the model's context window "
            f"(HTTP {exc.status_code}): {_detail(exc)}. Use a model with a larger context, or keep "
            "conversations shorter (see `drill limits`)."
        )
    elif isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        reason = "server_error"
        message = (
            f"{where} failed with HTTP {exc.status_code} ({retries_text}): {_detail(exc)}. "
            "Check the server's logs; try again in a moment."
        )
    elif isinstance(exc, openai.APIStatusError):
        reason = "bad_request"
        message = (
            f"{where} rejected the request (HTTP {exc.status_code}): {_detail(exc)}. The server or model "
            "may not support a feature drill asked for; for grading, try DRILL_STRUCTURED_OUTPUT=function_calling."
        )
    elif isinstance(exc, openai.APIError) and not isinstance(exc, openai.APIResponseValidationError):
        # An error event inside a stream ("data: {"error": ...}"), as vLLM sends when generation fails.
        reason = "server_error"
        message = f"{where} reported an error in the middle of its reply: {_detail(exc)}. Try again in a moment."
    elif isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError) or (
        isinstance(exc, ValueError | TypeError | KeyError) and _raised_by_provider(exc)
    ):
        reason = "garbage"
        message = (
            f"{where} sent a reply that is not a valid OpenAI-compatible response: {_detail(exc)}. "
            "Check that DRILL_LLM_BASE_URL points at an OpenAI-compatible API (it usually ends with /v1)."
        )
    else:
        return None
    return LLMUnavailable(
        message[0].upper() + message[1:], reason=reason, base_url=url, model=name, retry_after=_retry_after(exc)
    )


def garbage_reply(settings: Settings, detail: str, *, model: str | None = None) -> LLMUnavailable:
    """The domain error for a reply that arrived but cannot be used (e.g. empty)."""
    name = model or settings.llm_model
    url = display_url(endpoint_url(settings))
    return LLMUnavailable(
        f"The LLM endpoint {url} (model {name}) sent an unusable reply: {detail}. Try again; if it keeps "
        "happening, check that the model follows chat instructions (a chat/instruct model, not a base model).",
        reason="garbage",
        base_url=url,
        model=name,
    )


@contextmanager
def provider_errors(
    settings: Settings,
    *,
    model: str | None = None,
    retries: int | None = None,
    timeout_setting: str = "DRILL_LLM_TIMEOUT",
) -> Iterator[None]:
    """Turn provider exceptions raised inside the block into :class:`LLMUnavailable`."""
    try:
        yield
    except LLMUnavailable:
        raise
    except Exception as exc:
        error = translate_error(exc, settings, model=model, retries=retries, timeout_setting=timeout_setting)
        if error is None:
            raise
        raise error from exc
