"""Embeddings (``OpenAIEmbeddings``) from the configured endpoint, with provider errors translated."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings
from langchain_openai import OpenAIEmbeddings
from pydantic import SecretStr

from simulator.config import Settings
from simulator.llm.client import DEFAULT_EMBEDDING_MODEL, PLACEHOLDER_API_KEY, endpoint_url, shared_clients
from simulator.llm.errors import provider_errors


def make_embeddings(settings: Settings, *, dimensions: int | None = None) -> Embeddings:
    """Embeddings from the configured endpoint (model ``settings.embedding_model``).

    ``check_embedding_ctx_length=False`` sends raw text: OpenAI-compatible local servers do not
    accept tiktoken token ids. Errors come out as :class:`LLMUnavailable`.
    """
    sync_client, async_client = shared_clients(settings)
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
