"""Structured output for the judge: one runnable per method, and the order to fall back in."""

from __future__ import annotations

import dataclasses
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel, ValidationError

from simulator.config import Settings
from simulator.llm.chat import chat_model
from simulator.llm.errors import provider_errors
from simulator.llm.usage import UsageLog

#: Structured-output methods of ``ChatOpenAI.with_structured_output``, most to least exact.
STRUCTURED_METHODS: tuple[str, ...] = ("json_schema", "function_calling", "json_mode")


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
