"""Estimates before a run against a real model: tokens from characters, prices as data (issue 13 item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.llm_cost import CallEstimate, PricesError, estimate_run, estimate_tokens, load_prices
from tests.fake_llm import FakeLLM
from tests.offline_fixtures import write_content


def test_tokens_are_estimated_from_characters() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1 and estimate_tokens("abcde") == 2
    assert estimate_tokens("你好，世界") == 5  # every non-ASCII character is a token
    assert estimate_tokens("订单号 BL-88213") == 3 + 3  # three Chinese characters, twelve ASCII ones


def test_shipped_prices_load_and_match_by_name_or_prefix() -> None:
    prices = load_prices()
    assert prices.currency == "USD" and prices.as_of and prices.source
    mini = prices.price("gpt-4o-mini")
    assert mini is not None and mini.input_per_million == 0.15
    assert prices.price("gpt-4o-mini-2024-07-18") == mini  # a dated name falls back to its family
    local = prices.price("qwen2.5:7b")
    assert local is not None and local.input_per_million == 0
    assert prices.price("my-own-model") is None


def test_unpriced_models_are_named_never_priced_at_zero() -> None:
    prices = load_prices()
    run = estimate_run([CallEstimate("gpt-4o-mini", 1_000_000, 100_000), CallEstimate("my-own-model", 500, 50)], prices)
    assert run.cost == pytest.approx(0.15 + 0.06)
    assert run.unpriced == ("my-own-model",)
    assert "not counting my-own-model" in run.describe()
    alone = estimate_run([CallEstimate("my-own-model", 500, 50)], prices)
    assert alone.cost is None and "no price for my-own-model" in alone.describe() and "--prices" in alone.describe()


def test_a_broken_prices_file_says_where_and_what(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("currency: USD\nas_of: '2026-01'\nsource: x\nmodels:\n  m: {input_per_million: -1}\n", "utf-8")
    with pytest.raises(PricesError) as caught:
        load_prices(path)
    message = str(caught.value)
    assert str(path) in message and "models.m.input_per_million" in message and "output_per_million" in message


def test_personas_eval_prints_the_estimate_and_can_stop_there(
    fake_llm: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(write_content(tmp_path / "content")))
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "currency: EUR\nas_of: '2026-11'\nsource: our contract\nmodels:\n"
        "  fake-model: {input_per_million: 1000, output_per_million: 2000}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["eval", "personas", "--engine", "llm", "--limit", "2", "--prices", str(prices), "--estimate"],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Estimate: ") and " EUR " in result.stderr and "as of 2026-11" in result.stderr
    assert fake_llm.requests == []  # nothing was played
