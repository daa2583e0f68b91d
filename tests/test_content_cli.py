"""`drill validate / personas / cases / schema` through click's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def fixture_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the small fixture library the content directory for the CLI."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(target))
    return target


def test_validate_clean_library_prints_summary(runner: CliRunner, fixture_content: Path) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 3 file(s) checked; library has 1 personas, 1 cases")


def test_validate_reports_each_problem_and_exits_1(runner: CliRunner, fixture_content: Path) -> None:
    persona = fixture_content / "personas" / "calm_tester.yaml"
    persona.write_text(persona.read_text(encoding="utf-8").replace("patience: 6", "patience: 0"), encoding="utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 1
    assert (
        "content/personas/calm_tester.yaml:14:13: temperament.patience: "
        "Input should be greater than or equal to 1 (got 0)"
    ) in result.stdout
    assert "1 error(s) in 1 file(s)." in result.stderr


def test_validate_single_new_file_uses_the_library_as_context(
    runner: CliRunner, fixture_content: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "draft_case.yaml"
    text = (fixture_content / "casebank" / "zh-logistics-test-parcel.yaml").read_text(encoding="utf-8")
    draft.write_text(text.replace("id: zh-logistics-test-parcel", "id: draft_case"), encoding="utf-8")
    assert runner.invoke(main, ["validate", str(draft)]).exit_code == 0
    draft.write_text(
        text.replace("id: zh-logistics-test-parcel", "id: draft_case").replace("[calm_tester]", "[nobody]"),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", str(draft)])
    assert result.exit_code == 1
    assert "draft_case.yaml:8:12: unknown persona 'nobody'" in result.stdout


def test_validate_missing_file(runner: CliRunner, fixture_content: Path) -> None:
    result = runner.invoke(main, ["validate", "nope.yaml"])
    assert result.exit_code == 1
    assert "nope.yaml:1:1: file not found" in result.stdout


def test_personas_json(runner: CliRunner, fixture_content: Path) -> None:
    result = runner.invoke(main, ["personas", "--json"])
    assert result.exit_code == 0
    (persona,) = json.loads(result.stdout)
    assert persona["id"] == "calm_tester" and persona["archetype"] == "rational"


def test_cases_filters(runner: CliRunner, fixture_content: Path) -> None:
    listed = json.loads(runner.invoke(main, ["cases", "--json", "--category", "logistics"]).stdout)
    assert [case["id"] for case in listed] == ["zh-logistics-test-parcel"]
    assert json.loads(runner.invoke(main, ["cases", "--json", "--language", "en"]).stdout) == []
    bad = runner.invoke(main, ["cases", "--category", "nonsense"])
    assert bad.exit_code == 2 and "'nonsense' is not one of" in bad.output


def test_cases_filter_by_industry(runner: CliRunner, fixture_content: Path) -> None:
    listed = json.loads(runner.invoke(main, ["cases", "--json", "--industry", "e-commerce"]).stdout)
    assert [(case["id"], case["industry"], case["channel"], case["start"]) for case in listed] == [
        ("zh-logistics-test-parcel", "e-commerce", "chat", "greeting")
    ]
    assert json.loads(runner.invoke(main, ["cases", "--json", "--industry", "banking"]).stdout) == []
    table = runner.invoke(main, ["cases", "--industry", "e-commerce"]).stdout
    assert "zh-logistics-test-parcel" in table and "e-commerce" in table
    bad = runner.invoke(main, ["cases", "--industry", "retail"])
    assert bad.exit_code == 2 and "'retail' is not one of" in bad.output


def test_validate_prints_warnings_but_passes(runner: CliRunner, fixture_content: Path) -> None:
    case = fixture_content / "casebank" / "zh-logistics-test-parcel.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("怎么还没到？", "怎么还没到?"), encoding="utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "content/casebank/zh-logistics-test-parcel.yaml:12:15: warning: half-width punctuation in Chinese "
        "text ('?'→'？'): “…的台灯怎么还没到?”",
        "OK with 1 warning(s): 3 file(s) checked; library has 1 personas, 1 cases, rubric 2026.11-1; "
        "0 exam cases, 0 questions, 0 curricula.",
    ]


def test_validate_counts_errors_and_warnings_apart(runner: CliRunner, fixture_content: Path) -> None:
    case = fixture_content / "casebank" / "zh-logistics-test-parcel.yaml"
    text = case.read_text(encoding="utf-8").replace("怎么还没到？", "怎么还没到?").replace("李先生", "王先生")
    case.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 1
    assert "1 error(s) in 1 file(s) and 1 warning(s)." in result.stderr


def test_personas_json_has_label_and_fits(runner: CliRunner, fixture_content: Path) -> None:
    (persona,) = json.loads(runner.invoke(main, ["personas", "--json"]).stdout)
    assert persona["label"] == {"zh": "测试客户", "en": "Test customer"}
    assert persona["fits"] == {
        "genders": ["female", "male"],
        "age_ranges": ["30-39", "40-49"],
        "relations": ["account_holder"],
    }
    assert "names" not in persona


def test_broken_library_makes_listing_fail_cleanly(runner: CliRunner, fixture_content: Path) -> None:
    (fixture_content / "personas" / "calm_tester.yaml").write_text("id: [", encoding="utf-8")
    result = runner.invoke(main, ["personas"])
    assert result.exit_code == 1
    assert "content/personas/calm_tester.yaml:2:1: YAML syntax error" in result.stderr
    assert "run `drill validate`" in result.stderr


@pytest.mark.parametrize("kind", ["persona", "case", "rubric", "transcript"])
def test_schema_prints_json_schema(runner: CliRunner, kind: str) -> None:
    result = runner.invoke(main, ["schema", kind])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert all("description" in field for field in schema["properties"].values())
