"""`drill grade FILE [--engine offline|llm] [--json]`: scorecard, JSON report and located input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.models import GradeReport
from tests.grading_fixtures import EN_AGENTS, ZH_AGENTS, en_case, write_content, zh_case

# Recognition misses of the shipped model are corrected (tests/known_misses.py): these tests check
# what is built on the acts.
pytestmark = pytest.mark.usefixtures("corrected_acts")


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_content(tmp_path / "content")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(root))
    return root


def write_transcript(path: Path, language: str, turns, **extra) -> Path:
    data = {"language": language, "turns": [{"role": {"c": "customer", "a": "agent"}[r], "text": t} for r, t in turns]}
    data.update(extra)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["grade", *args])


def test_scorecard_in_chinese(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "zh-CN", ZH_AGENTS["poor"], case_id=zh_case().id)
    result = run(str(file))
    assert result.exit_code == 0, result.output
    assert "# 评分卡" in result.output and "总分" in result.output and "未通过" in result.output
    assert "话术规范" in result.output  # criterion names from the rubric
    assert "我们规定" in result.output  # quoted evidence / findings


def test_scorecard_in_english(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "en", EN_AGENTS["excellent"], case_id=en_case().id)
    result = run(str(file), "--engine", "offline")
    assert result.exit_code == 0, result.output
    assert "# Scorecard" in result.output and "PASS" in result.output


def test_json_report(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "en", EN_AGENTS["mediocre"], case_id=en_case().id)
    result = run(str(file), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    report = GradeReport.model_validate(data)
    assert set(data) >= {"total", "passed", "criteria", "findings", "references"}
    assert report.references == [en_case().id]
    assert {c["id"] for c in data["criteria"]} == {
        "standard_phrasing",
        "listening_empathy",
        "problem_solving",
        "adaptability",
        "clarity",
        "compliance",
    }
    for criterion in data["criteria"]:
        assert set(criterion) >= {"id", "score", "evidence", "rationale", "suggestion"}
        for evidence in criterion["evidence"]:
            assert set(evidence) == {"turn", "quote"}


def test_empty_transcript_is_incomplete_not_zero(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "en", [])
    result = run(str(file), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stderr warns that no turn is the agent's
    assert "no turn has role 'agent'" in result.stderr
    assert data["total"] is None and data["passed"] is None and data["complete"] is False
    assert all(c["score"] is None and c["unscored_reason"] for c in data["criteria"])
    text = run(str(file)).output
    assert "INCOMPLETE" in text


def test_transcript_without_case_uses_the_index(content: Path, tmp_path: Path, monkeypatch) -> None:
    import simulator.casebank_index as index_module

    class FakeIndex:
        def __init__(self, settings, **kwargs):
            pass

        def fitting_transcript(self, transcript, k=3):
            from simulator.case_fit import Fit
            from simulator.case_index_results import Hit, Retrieval

            hit = Hit(en_case().id, 0.8)
            return Retrieval(hits=(hit,), nearest=hit, fit=Fit("close"))

    monkeypatch.setattr(index_module, "shared_index", lambda settings, library=None: FakeIndex(settings))
    file = write_transcript(tmp_path / "t.json", "en", EN_AGENTS["mediocre"])
    result = run(str(file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["references"] == [en_case().id]


def test_invalid_json_points_at_line_and_column(content: Path, tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text(
        '{\n  "language": "en",\n  "turns": [\n    {"role": "agent" "text": "hi"}\n  ]\n}\n', encoding="utf-8"
    )
    result = run(str(file))
    assert result.exit_code == 2
    assert f"{file}:4:22: invalid JSON" in result.output


def test_unknown_key_is_rejected_with_its_location(content: Path, tmp_path: Path) -> None:
    file = tmp_path / "t.json"
    file.write_text(
        '{\n  "language": "en",\n  "turns": [\n    {"role": "agent", "text": "hi", "speaker": "Sam"}\n  ]\n}\n',
        encoding="utf-8",
    )
    result = run(str(file))
    assert result.exit_code == 2
    assert "unknown key 'speaker' in turns[0]" in result.output
    assert f"{file}:4:37:" in result.output
    assert "allowed: role, text, ts, state" in result.output


def test_schema_errors_name_the_path(content: Path, tmp_path: Path) -> None:
    file = tmp_path / "t.json"
    file.write_text(json.dumps({"language": "fr", "turns": [{"role": "bot", "text": "hi"}]}), encoding="utf-8")
    result = run(str(file))
    assert result.exit_code == 2
    assert "language:" in result.output and "turns[0].role:" in result.output


def test_missing_key_and_non_object(content: Path, tmp_path: Path) -> None:
    missing = tmp_path / "m.json"
    missing.write_text('{"turns": []}', encoding="utf-8")
    result = run(str(missing))
    assert result.exit_code == 2 and "missing required key 'language'" in result.output
    array = tmp_path / "a.json"
    array.write_text("[]", encoding="utf-8")
    result = run(str(array))
    assert result.exit_code == 2 and "expected a JSON object" in result.output


def test_missing_file(content: Path, tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "file not found" in result.output


def test_unknown_case_id(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "en", EN_AGENTS["poor"], case_id="no-such-case")
    result = run(str(file))
    assert result.exit_code == 2
    assert "no-such-case" in result.output and en_case().id in result.output  # lists the valid ids


def test_llm_engine_without_endpoint(content: Path, tmp_path: Path) -> None:
    file = write_transcript(tmp_path / "t.json", "en", EN_AGENTS["poor"], case_id=en_case().id)
    result = run(str(file), "--engine", "llm")
    assert result.exit_code == 2
    assert "DRILL_LLM_BASE_URL" in result.output


def test_terminal_scorecard_shows_ampersands_and_drops_escape_sequences(content: Path, tmp_path: Path) -> None:
    turns = [
        ("c", "My order never came and I want my money back."),
        ("a", "Sorry \x1b[31mto hear that & we will look into it <soon>, it is what it is."),
        ("c", "That's it? When?"),
        ("a", "Not our problem & nothing I can do, contact the courier yourself."),
    ]
    file = write_transcript(tmp_path / "t.json", "en", turns, case_id=en_case().id)
    result = run(str(file), "--engine", "offline")
    assert result.exit_code == 0, result.output
    assert "&amp;" not in result.output and "&lt;" not in result.output and "\x1b" not in result.output
    assert " & " in result.output  # the quoted agent text, as typed
