"""The one seam between drill and LLM providers.

Everything that talks to a model goes through here: chat models (``ChatOpenAI``), embeddings
(``OpenAIEmbeddings``) and structured output, for any OpenAI-compatible endpoint (OpenAI,
DeepSeek, Qwen's compatible mode, Ollama, vLLM, llama.cpp's server). No other module imports
``openai`` or ``langchain_openai``; provider exceptions are translated into
:class:`simulator.errors.LLMUnavailable` with a message that says what to check.

Retries: the ``openai`` client retries 408/409/429/5xx replies and connection errors itself
(``Settings.llm_max_retries`` times), honouring ``Retry-After``. Its own backoff is
``0.5 s * 2**n`` capped at 8 s, and it obeys a server's ``Retry-After`` of up to two minutes —
too long for a trainee waiting on a customer's reply — so the client here uses a
:class:`RetryPolicy` that caps every wait (``Settings.extra`` can shrink it, which tests do).
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic import BaseModel, SecretStr, ValidationError

from simulator.config import Settings
from simulator.errors import LLMFailure, LLMUnavailable

#: Sent when no key is configured: keyless local servers (Ollama, vLLM, llama.cpp) ignore it,
#: but the openai client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"

#: Structured-output methods of ``ChatOpenAI.with_structured_output``, most to least exact.
STRUCTURED_METHODS: tuple[str, ...] = ("json_schema", "function_calling", "json_mode")


# ---------------------------------------------------------------------------------------------
# Retry policy


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff between the openai client's retries.

    The wait before retry ``n`` (0-based) is ``initial_delay_s * 2**n`` minus up to 25 % jitter,
    never more than ``max_delay_s``; a server's ``Retry-After`` is honoured up to ``max_delay_s``.
    """

    initial_delay_s: float = 0.5
    max_delay_s: float = 8.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """Read ``llm_retry_initial_delay_s`` / ``llm_retry_max_delay_s`` from ``settings.extra``."""
        extra = settings.extra
        try:
            return cls(
                initial_delay_s=float(extra.get("llm_retry_initial_delay_s", cls.initial_delay_s)),
                max_delay_s=float(extra.get("llm_retry_max_delay_s", cls.max_delay_s)),
            )
        except ValueError as exc:
            raise ValueError(f"retry delays in settings must be numbers of seconds: {exc}") from exc

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_delay_s)
        base = min(self.initial_delay_s * (2.0 ** min(attempt, 60)), self.max_delay_s)
        return max(0.0, base * (1 - 0.25 * random.random()))


class _BoundedRetryMixin:
    """Replaces the openai client's backoff with the class's ``retry_policy``."""

    retry_policy: RetryPolicy = RetryPolicy()

    # Overrides a private hook of openai's base client (checked against openai 3.x, where the
    # retry loop calls it for both error replies and connection errors); the signature is kept.
    def _calculate_retry_timeout(self, remaining_retries: int, options: Any, response_headers: Any = None) -> float:
        max_retries = options.get_max_retries(self.max_retries)  # type: ignore[attr-defined]
        retry_after = self._parse_retry_after_header(response_headers)  # type: ignore[attr-defined]
        return self.retry_policy.delay(max_retries - remaining_retries, retry_after)


@lru_cache(maxsize=16)
def _client_classes(policy: RetryPolicy) -> tuple[type[openai.OpenAI], type[openai.AsyncOpenAI]]:
    # Classes (not instances) carry the policy so that the client's own copy()/with_options(),
    # which rebuild through ``self.__class__``, keep it.
    sync = type("BoundedRetryOpenAI", (_BoundedRetryMixin, openai.OpenAI), {"retry_policy": policy})
    async_ = type("BoundedRetryAsyncOpenAI", (_BoundedRetryMixin, openai.AsyncOpenAI), {"retry_policy": policy})
    return sync, async_


def _clients(settings: Settings, max_retries: int | None = None) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    return _cached_clients(
        settings.llm_api_key or PLACEHOLDER_API_KEY,
        endpoint_url(settings),
        settings.llm_timeout_s,
        settings.llm_max_retries if max_retries is None else max_retries,
        RetryPolicy.from_settings(settings),
    )


@lru_cache(maxsize=8)
def _cached_clients(
    api_key: str, base_url: str, timeout: float, max_retries: int, policy: RetryPolicy
) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    # Building a client costs ~0.1 s (an SSL context each); the clients are thread-safe and
    # keep a connection pool, so every model with the same endpoint settings shares one pair.
    sync_cls, async_cls = _client_classes(policy)
    params: dict[str, Any] = {
        "api_key": api_key,
        "base_url": base_url,
        "timeout": timeout,
        "max_retries": max_retries,
    }
    return sync_cls(**params), async_cls(**params)


# ---------------------------------------------------------------------------------------------
# Token usage


@dataclass(frozen=True)
class UsageRecord:
    """Tokens of one model call."""

    model: str
    input_tokens: int
    output_tokens: int


@dataclass
class UsageLog:
    """Token usage collected per call (thread-safe); attach with ``chat_model(..., usage=log)``."""

    records: list[UsageRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, record: UsageRecord) -> None:
        """Append one call's usage."""
        with self._lock:
            self.records.append(record)

    @property
    def calls(self) -> int:
        """Number of calls recorded."""
        return len(self.records)

    @property
    def input_tokens(self) -> int:
        """Prompt tokens over all calls."""
        return sum(r.input_tokens for r in self.records)

    @property
    def output_tokens(self) -> int:
        """Completion tokens over all calls."""
        return sum(r.output_tokens for r in self.records)


class _UsageCallback(BaseCallbackHandler):
    """Reads LangChain's ``usage_metadata`` at the end of every call (streamed or not)."""

    def __init__(self, log: UsageLog, model: str) -> None:
        self.log = log
        self.model = model

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                if not isinstance(generation, ChatGeneration):
                    continue
                message = generation.message
                usage = getattr(message, "usage_metadata", None)
                if not usage:
                    continue
                model = (message.response_metadata or {}).get("model_name")
                self.log.add(
                    UsageRecord(
                        model=str(model or self.model),
                        input_tokens=int(usage.get("input_tokens", 0)),
                        output_tokens=int(usage.get("output_tokens", 0)),
                    )
                )


# ---------------------------------------------------------------------------------------------
# Models


def endpoint_url(settings: Settings) -> str:
    """The base URL requests go to (OpenAI's when only a key is configured)."""
    return (settings.llm_base_url or DEFAULT_BASE_URL).rstrip("/")


def _display_url(url: str) -> str:
    # Credentials in a URL (http://user:pass@host) must never reach a screen or a log.
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def describe_engine(settings: Settings) -> str:
    """One line for the app header, e.g. ``LLM: qwen2.5:7b @ http://localhost:11434/v1`` or ``offline``."""
    if not settings.llm_configured:
        return "offline"
    return f"LLM: {settings.llm_model} @ {_display_url(endpoint_url(settings))}"


def chat_model(
    settings: Settings,
    *,
    model: str | None = None,
    usage: UsageLog | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    max_tokens: int | None = None,
    client_retries: bool = True,
) -> BaseChatModel:
    """A ``ChatOpenAI`` for the configured endpoint (``model`` defaults to ``settings.llm_model``).

    Streaming reports token usage (``stream_usage=True``); with ``usage`` every call's tokens are
    appended to that log. Wrap calls in :func:`provider_errors` to get domain errors.
    ``client_retries=False`` leaves retrying to the caller (:func:`stream_text` does it within
    the reply's time budget).
    """
    name = model or settings.llm_model
    sync_client, async_client = _clients(settings, None if client_retries else 0)
    callbacks: list[BaseCallbackHandler] | None = [_UsageCallback(usage, name)] if usage is not None else None
    return ChatOpenAI(
        model=name,
        root_client=sync_client,
        client=sync_client.chat.completions,
        root_async_client=async_client,
        async_client=async_client.chat.completions,
        # The clients above are ours; these mirror them so LangChain's own checks agree.
        base_url=endpoint_url(settings),
        api_key=SecretStr(settings.llm_api_key or PLACEHOLDER_API_KEY),
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries if client_retries else 0,
        stream_usage=True,
        use_responses_api=False,  # OpenAI-compatible servers speak Chat Completions only
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        # Sent as max_completion_tokens (OpenAI's current name); servers that only know
        # max_tokens ignore it, which merely lifts the cap.
        max_completion_tokens=max_tokens,
        callbacks=callbacks,
    )


def make_embeddings(settings: Settings, *, dimensions: int | None = None) -> Embeddings:
    """Embeddings from the configured endpoint (model ``settings.embedding_model``).

    ``check_embedding_ctx_length=False`` sends raw text: OpenAI-compatible local servers do not
    accept tiktoken token ids. Errors come out as :class:`LLMUnavailable`.
    """
    sync_client, async_client = _clients(settings)
    model = settings.embedding_model or DEFAULT_EMBEDDING_MODEL
    inner = OpenAIEmbeddings(
        model=model,
        client=sync_client.embeddings,
        async_client=async_client.embeddings,
        base_url=endpoint_url(settings),
        api_key=SecretStr(settings.llm_api_key or PLACEHOLDER_API_KEY),
        check_embedding_ctx_length=False,
        dimensions=dimensions,
        max_retries=settings.llm_max_retries,
    )
    return _GuardedEmbeddings(inner, settings, model)


class _GuardedEmbeddings(Embeddings):
    """Delegates to ``OpenAIEmbeddings`` and translates provider errors."""

    def __init__(self, inner: Embeddings, settings: Settings, model: str) -> None:
        self._inner = inner
        self._settings = settings
        self._model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with provider_errors(self._settings, model=self._model):
            return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with provider_errors(self._settings, model=self._model):
            return self._inner.embed_query(text)


# ---------------------------------------------------------------------------------------------
# Structured output


def fallback_chain(first: str) -> tuple[str, ...]:
    """Methods to try in order: ``first``, then the others in ``STRUCTURED_METHODS`` order.

    ``json_schema`` is exact but some servers (llama.cpp's, DeepSeek's) reject it;
    ``function_calling`` works more widely; ``json_mode`` only promises JSON.
    """
    if first not in STRUCTURED_METHODS:
        raise ValueError(
            f"unknown structured output method {first!r} (DRILL_STRUCTURED_OUTPUT); "
            f"use one of: {', '.join(STRUCTURED_METHODS)}"
        )
    return (first, *(method for method in STRUCTURED_METHODS if method != first))


def structured_model(
    settings: Settings,
    schema: type[BaseModel] | dict[str, Any],
    method: str,
    *,
    model: str | None = None,
    usage: UsageLog | None = None,
    max_tokens: int | None = None,
    strict: bool = False,
) -> Runnable[Any, dict[str, Any]]:
    """A runnable returning ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.

    Built with ``with_structured_output(..., method=method, include_raw=True)`` on the judge model
    (``model`` defaults to ``settings.judge_model``). ``schema`` is a pydantic class (``parsed``
    is then an instance of it) or a JSON schema dict (``parsed`` is a dict). A reply that does not
    fit gives ``parsed=None`` with ``parsing_error`` saying why, and ``raw`` keeps the reply, so
    the caller can mark it unscored. Invoking raises :class:`LLMUnavailable` for provider faults;
    a server that rejects ``method`` raises it with ``reason == "bad_request"``: try the next
    method of :func:`fallback_chain`. With ``json_mode`` the prompt must describe the JSON.
    ``strict=True`` asks ``json_schema`` and ``function_calling`` for OpenAI's strict mode (the schema
    must then close every object and require every property); ``max_tokens`` caps the reply
    (sent as ``max_completion_tokens``). Each request may take ``settings.judge_timeout_s``
    (``DRILL_JUDGE_TIMEOUT``) instead of ``llm_timeout_s``.
    """
    if method not in STRUCTURED_METHODS:
        fallback_chain(method)  # raises the explanatory ValueError
    name = model or settings.judge_model
    # The verdict comes back whole, not streamed: each request waits up to the judge's own timeout.
    settings = dataclasses.replace(settings, llm_timeout_s=settings.judge_timeout_s)
    llm = chat_model(settings, model=name, usage=usage, temperature=0, max_tokens=max_tokens)
    pydantic_schema = schema if isinstance(schema, type) and issubclass(schema, BaseModel) else None
    # A pydantic class would make the openai client validate a json_schema reply itself and raise,
    # losing the raw reply; as a plain JSON schema it comes back raw and is validated below.
    json_schema = pydantic_schema.model_json_schema() if pydantic_schema is not None else schema
    # json_mode has no schema to be strict about; LangChain refuses the flag there.
    inner = llm.with_structured_output(
        json_schema, method=method, include_raw=True, strict=strict if method != "json_mode" else None
    )

    def invoke(value: Any) -> dict[str, Any]:
        with provider_errors(settings, model=name, timeout_setting="DRILL_JUDGE_TIMEOUT"):
            result = dict(inner.invoke(value))
        return _checked(result, pydantic_schema)

    return RunnableLambda(invoke, name=f"structured_{method}")


def _checked(result: dict[str, Any], schema: type[BaseModel] | None) -> dict[str, Any]:
    parsed, error = result.get("parsed"), result.get("parsing_error")
    if schema is not None and isinstance(parsed, dict):
        try:
            parsed = schema.model_validate(parsed)
        except ValidationError as exc:
            parsed, error = None, exc
    if parsed is None and error is None:
        raw = result.get("raw")
        invalid = [str(call.get("error") or "") for call in getattr(raw, "invalid_tool_calls", None) or []]
        detail = f": {invalid[0][:300]}" if invalid and invalid[0] else ""
        error = ValueError(f"the reply holds no structured output{detail}")
    return {**result, "parsed": parsed, "parsing_error": error}


# ---------------------------------------------------------------------------------------------
# Errors


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
    url = _display_url(endpoint_url(settings))
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
    url = _display_url(endpoint_url(settings))
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


# ---------------------------------------------------------------------------------------------
# Streaming a reply that a person is waiting for

#: Finish reasons of a reply that ended where the model meant it to: OpenAI's and most servers'
#: "stop" (also sent when a stop sequence matched), and the names a few OpenAI-compatible
#: servers pass through from their own engines (TGI, and gateways in front of other APIs).
NORMAL_FINISH = frozenset({"stop", "eos_token", "stop_sequence", "end_turn"})
#: Faults worth another attempt while nothing has been shown yet (the openai client's own set).
_RETRYABLE: frozenset[LLMFailure] = frozenset({"down", "timeout", "rate_limited", "server_error"})


def _fault(settings: Settings, name: str, reason: LLMFailure, detail: str) -> LLMUnavailable:
    url = _display_url(endpoint_url(settings))
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
