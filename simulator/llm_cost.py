"""Tokens and money before a run: token counts estimated from characters, prices as data.

No tokenizer files can be downloaded here, so :func:`estimate_tokens` estimates from characters:
every non-ASCII character (Chinese, full-width punctuation) counts as one token and every four ASCII
characters as one. Measured tokenizers use fewer: GPT-4o's and Qwen's spend about 0.6-0.9 tokens
per Chinese character and English runs at about four characters per token, so budgets and cost
estimates made with it err on the high side.

Prices come from ``llm_prices.yaml`` (per million tokens, with the date they were copied and
where from); a deployment passes its own file (``--prices``) when the provider's prices differ or
its model is not listed. A model with no price gets no cost, and the estimate says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError

DEFAULT_PRICES = Path(__file__).with_name("llm_prices.yaml")


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` is likely to take, estimated from characters (an overestimate; see above)."""
    non_ascii = sum(1 for char in text if ord(char) > 127)
    return non_ascii + math.ceil((len(text) - non_ascii) / 4)


class ModelPrice(BaseModel):
    """What one model costs per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


class PriceList(BaseModel):
    """A prices file: when and where the prices were taken, and the prices by model name."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(min_length=1)
    as_of: str = Field(min_length=1, description="When the prices were copied (YYYY-MM).")
    source: str = Field(min_length=1, description="Where they were copied from.")
    models: dict[str, ModelPrice]

    def price(self, model: str) -> ModelPrice | None:
        """The price of ``model``: an exact name, else the longest listed name it starts with."""
        if model in self.models:
            return self.models[model]
        matches = [name for name in self.models if model.startswith(name)]
        return self.models[max(matches, key=len)] if matches else None


class PricesError(DrillError):
    """A prices file that cannot be read or does not fit the format."""


def load_prices(path: Path | None = None) -> PriceList:
    """The price list at ``path`` (default: the shipped ``llm_prices.yaml``)."""
    path = path or DEFAULT_PRICES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PriceList.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise PricesError(f"cannot read the prices file {path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PricesError(f"{path}: {problems}") from exc


@dataclass(frozen=True)
class CallEstimate:
    """One model call: its model, prompt tokens and (expected) reply tokens."""

    model: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class RunEstimate:
    """What a run of calls is expected to take, in tokens and (where priced) money."""

    calls: int
    input_tokens: int
    output_tokens: int
    cost: float | None
    currency: str
    unpriced: tuple[str, ...]

    def describe(self) -> str:
        """One line for the terminal, before the run starts."""
        money = (
            f"about {self.cost:.2f} {self.currency}"
            if self.cost is not None
            else f"no price for {', '.join(self.unpriced)} (pass --prices FILE to add one)"
        )
        if self.cost is not None and self.unpriced:
            money += f", not counting {', '.join(self.unpriced)} (no price)"
        return (
            f"{self.calls} model calls, about {self.input_tokens:,} prompt and {self.output_tokens:,} reply tokens "
            f"(estimated from characters); {money}"
        )


def estimate_run(calls: Iterable[CallEstimate], prices: PriceList) -> RunEstimate:
    """Sum ``calls`` and price them; models without a price are listed, never priced at 0."""
    items = list(calls)
    cost = 0.0
    priced = False
    unpriced: list[str] = []
    for call in items:
        price = prices.price(call.model)
        if price is None:
            if call.model not in unpriced:
                unpriced.append(call.model)
            continue
        priced = True
        cost += call.input_tokens * price.input_per_million / 1e6 + call.output_tokens * price.output_per_million / 1e6
    return RunEstimate(
        calls=len(items),
        input_tokens=sum(call.input_tokens for call in items),
        output_tokens=sum(call.output_tokens for call in items),
        cost=cost if priced else None,
        currency=prices.currency,
        unpriced=tuple(unpriced),
    )
