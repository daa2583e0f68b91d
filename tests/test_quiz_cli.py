"""`drill quiz validate|list` and `drill schema question` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from tests.offline_fixtures import write_content
from tests.test_question_bank import ZH_QUESTIONS


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_content(tmp_path / "content")
    (root / "casebank" / "quizzes").mkdir()
    (root / "casebank" / "quizzes" / "zh-basics.yaml").write_text(ZH_QUESTIONS, encoding="utf-8")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(root))
    return root


def test_validate_the_bank(content: Path) -> None:
    result = CliRunner().invoke(main, ["quiz", "validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 1 file(s), 2 question(s); the bank has 2.")


def test_validate_a_new_file_against_the_bank(content: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(ZH_QUESTIONS.replace("answer: a", "answer: d"), encoding="utf-8")
    result = CliRunner().invoke(main, ["quiz", "validate", str(draft)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["draft.yaml:4:5: questions.0: answer d is not one of the options (a, b)"]
    assert "1 problem(s) in 1 file(s)." in result.stderr
    # a valid copy still clashes with the bank: its ids are taken
    draft.write_text(ZH_QUESTIONS, encoding="utf-8")
    result = CliRunner().invoke(main, ["quiz", "validate", str(draft)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("draft.yaml:") for line in lines), lines
    assert (
        "duplicate question id 'zh-q-order' (already used in content/casebank/quizzes/zh-basics.yaml:14:9)" in lines[1]
    )


def test_list_filters_and_prints_json(content: Path) -> None:
    result = CliRunner().invoke(main, ["quiz", "list", "--tag", "scenario", "--json"])
    assert result.exit_code == 0, result.output
    (question,) = json.loads(result.stdout)
    assert question["id"] == "zh-q-order" and question["answer"] is True and question["language"] == "zh-CN"
    table = CliRunner().invoke(main, ["quiz", "list", "--language", "en"])
    assert table.exit_code == 0 and table.stdout == "" and "0 question(s)." in table.stderr


def test_schema_question_is_a_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "question"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["questions"]["items"]["$ref"] == "#/$defs/Question"
    assert schema["$defs"]["Question"]["additionalProperties"] is False
