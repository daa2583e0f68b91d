"""The limits registry: env overrides, clear refusals, and every limit documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import limits
from simulator.cli import main
from simulator.config import PROJECT_DIR


def test_a_limit_follows_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.COMMENT_CHARS.value == limits.COMMENT_CHARS.default
    monkeypatch.setenv("DRILL_MAX_COMMENT_CHARS", "50")
    assert limits.COMMENT_CHARS.value == 50


@pytest.mark.parametrize("raw", ["many", "0", "-3", "1.5"])
def test_a_bad_override_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DRILL_MAX_COMMENT_CHARS", raw)
    with pytest.raises(limits.LimitConfigError, match="DRILL_MAX_COMMENT_CHARS must be a positive whole number"):
        _ = limits.COMMENT_CHARS.value


def test_too_long_says_what_how_much_the_limit_and_the_variable() -> None:
    message = limits.too_long("The comment", 5_000_000, limits.COMMENT_CHARS)
    assert "5,000,000 characters" in message and "2,000" in message and "DRILL_MAX_COMMENT_CHARS" in message


def test_every_limit_is_documented() -> None:
    text = (PROJECT_DIR / "docs" / "limits.md").read_text(encoding="utf-8")
    for limit in limits.REGISTRY.values():
        assert f"`{limit.name}` | {limit.default:,} {limit.unit} | `{limit.env}`" in text, limit.name


def test_drill_limits_prints_values_in_force(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRILL_MAX_DRILL_TURNS", "40")
    result = CliRunner().invoke(main, ["limits", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["drill_turns"]["value"] == 40 and rows["drill_turns"]["default"] == 100
    plain = CliRunner().invoke(main, ["limits"])
    assert "DRILL_MAX_DRILL_TURNS" in plain.output and "(default 100)" in plain.output
    monkeypatch.setenv("DRILL_MAX_DRILL_TURNS", "lots")
    bad = CliRunner().invoke(main, ["limits"])
    assert bad.exit_code == 2 and "DRILL_MAX_DRILL_TURNS" in bad.output
