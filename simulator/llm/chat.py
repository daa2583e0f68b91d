"""Chat models (``ChatOpenAI``) on the shared clients of the configured endpoint."""

from __future__ import annotations

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from simulator.config import Settings
from simulator.llm.client import PLACEHOLDER_API_KEY, endpoint_url, shared_clients
from simulator.llm.usage import UsageCallback, UsageLog


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
    sync_client, async_client = shared_clients(settings, None if client_retries else 0)
    callbacks: list[BaseCallbackHandler] | None = [UsageCallback(usage, name)] if usage is not None else None
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
