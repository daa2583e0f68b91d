"""Token usage of model calls, collected per call through a LangChain callback."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import ChatGeneration, LLMResult


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


class UsageCallback(BaseCallbackHandler):
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
