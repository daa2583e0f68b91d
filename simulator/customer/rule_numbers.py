"""The engine-wide numbers of the customer's rules (``customer/rules.yaml``), validated."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

RULES_FILE = Path(__file__).with_name("rules.yaml")


class RuleNumbers(BaseModel):
    """The engine-wide numbers of ``customer/rules.yaml``."""

    model_config = ConfigDict(extra="forbid")

    accept_max_mood: int = Field(ge=0, le=10)
    empathy_effective_turns: int = Field(ge=0)
    supervisor_mood: int = Field(ge=0, le=10)
    forbidden_before_escalation: int = Field(ge=1)
    furious_turns_before_leaving: int = Field(ge=1)
    engaging_repeats: int = Field(ge=0)
    word_list_parts: int = Field(ge=2)
    bare_term_words: int = Field(ge=1)
    bare_term_hanzi: int = Field(ge=1)


@lru_cache(maxsize=1)
def rule_numbers(path: Path = RULES_FILE) -> RuleNumbers:
    """The validated numbers of ``customer/rules.yaml``."""
    return RuleNumbers.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
