"""Where requests go and how the shared openai clients retry: endpoint, retry policy, client pair.

Retries: the ``openai`` client retries 408/409/429/5xx replies and connection errors itself
(``Settings.llm_max_retries`` times), honouring ``Retry-After``. Its own backoff is
``0.5 s * 2**n`` capped at 8 s, and it obeys a server's ``Retry-After`` of up to two minutes —
too long for a trainee waiting on a customer's reply — so the client here uses a
:class:`RetryPolicy` that caps every wait (``Settings.extra`` can shrink it, which tests do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai

from simulator.config import Settings

#: Sent when no key is configured: keyless local servers (Ollama, vLLM, llama.cpp) ignore it,
#: but the openai client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


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


def shared_clients(settings: Settings, max_retries: int | None = None) -> tuple[openai.OpenAI, openai.AsyncOpenAI]:
    """The sync and async openai clients for ``settings``' endpoint (``max_retries`` overrides the setting)."""
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


def endpoint_url(settings: Settings) -> str:
    """The base URL requests go to (OpenAI's when only a key is configured)."""
    return (settings.llm_base_url or DEFAULT_BASE_URL).rstrip("/")


def display_url(url: str) -> str:
    """``url`` without its credentials, query and fragment: safe to show or log."""
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
    return f"LLM: {settings.llm_model} @ {display_url(endpoint_url(settings))}"
