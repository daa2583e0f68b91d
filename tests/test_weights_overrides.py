"""Mentor overrides exported from a synthetic store, read back, and a centre's refit measured on held-out sessions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main
from simulator.config import PROJECT_DIR, load_settings
from simulator.content import Library, load_library
from simulator.evals.grader_set import DEFAULT_SET_DIR, SituationFile, to_transcript
from simulator.grading import grade
from simulator.grading.weights import default_weights, load_weights
from simulator.store import SessionStore
from simulator.weights_fit.centre import refit_centre
from simulator.weights_fit.overrides import OverrideExportError, export_overrides, read_records, write_records

SITUATIONS = ("en-abusive-broadband", "en-logistics-wedding-bag", "en-membership-renewal", "en-promotions-sale-code")


def _situations() -> list[SituationFile]:
    return [
        SituationFile.model_validate(yaml.safe_load((DEFAULT_SET_DIR / "dev" / f"{name}.yaml").read_text("utf-8")))
        for name in SITUATIONS
    ]


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rubric, the personas and only the cases the four situations use (loading every case is slow)."""
    root = tmp_path_factory.mktemp("content")
    shutil.copytree(PROJECT_DIR / "personas", root / "personas")
    (root / "casebank").mkdir()
    for name in ("rubric", *(s.case_id for s in _situations())):
        shutil.copy(PROJECT_DIR / "casebank" / f"{name}.yaml", root / "casebank" / f"{name}.yaml")
    return root


@pytest.fixture(scope="module")
def centre(content: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Library]:
    """A centre whose mentors are one level stricter on clarity than the grader in every session they review."""
    library = load_library(content)
    url = f"sqlite:///{tmp_path_factory.mktemp('centre') / 'centre.db'}"
    store = SessionStore(url)
    settings = load_settings()
    for situation in _situations():
        for item in situation.items:
            transcript = to_transcript(situation, item)
            session_id = store.import_transcript(transcript, user_name="qa")
            report = grade(transcript, library=library, engine="offline", settings=settings, references=[])
            store.save_report(session_id, report)
            clarity = next(c.score for c in report.criteria if c.id == "clarity")
            assert clarity is not None
            store.add_override(session_id, criterion_id="clarity", new_score=5, reason="first look", author="mia")
            store.add_override(
                session_id,
                criterion_id="clarity",
                new_score=max(1, clarity - 1),
                reason="the next step was never said plainly",
                author="mia",
            )
    return url, library


def test_export_writes_overrides_and_confirmed_levels(centre: tuple[str, Library], tmp_path: Path) -> None:
    url, _ = centre
    records = export_overrides(SessionStore(url))
    assert len(records) == sum(len(s.items) for s in _situations())
    record = records[0]
    [override] = [label for label in record.labels if label.kind == "override"]
    assert override.criterion == "clarity" and override.reason == "the next step was never said plainly"
    assert override.mentor_level != 5 and override.author == "mia"  # the later override replaces the first
    assert override.grader_level is not None and override.mentor_level == max(1, override.grader_level - 1)
    assert {label.criterion for label in record.labels if label.kind == "confirmed"} == {
        "standard_phrasing",
        "listening_empathy",
        "problem_solving",
        "adaptability",
        "compliance",
    }
    assert record.levels(overrides_only=True) == {"clarity": override.mentor_level}
    path = tmp_path / "overrides.jsonl"
    assert write_records(records, path) == len(records)
    assert read_records(path) == records


def test_a_bad_export_line_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "overrides.jsonl"
    path.write_text('{"session_id": "a"}\n', encoding="utf-8")
    with pytest.raises(OverrideExportError, match=r"overrides.jsonl:1: source: Field required"):
        read_records(path)
    path.write_text("\n{not json\n", encoding="utf-8")
    with pytest.raises(OverrideExportError, match=r"overrides.jsonl:2: not a UTF-8 JSON line"):
        read_records(path)
    monkeypatch.setenv("DRILL_MAX_TRANSCRIPT_BYTES", "10")
    path.write_text('{"session_id": "a-long-line"}\n', encoding="utf-8")
    with pytest.raises(OverrideExportError, match="DRILL_MAX_TRANSCRIPT_BYTES"):
        read_records(path)
    with pytest.raises(OverrideExportError, match="no such file"):
        read_records(tmp_path / "missing.jsonl")


def test_centre_refit_learns_the_centres_strictness_on_held_out_sessions(centre: tuple[str, Library]) -> None:
    url, library = centre
    records = export_overrides(SessionStore(url))
    result = refit_centre(records, library, default_weights(), alphas=(0.01, 1.0, 100.0), folds=3)
    held = result.provenance["held_out"]
    assert held["sessions"] >= 4
    before, after = held["overrides_before"]["clarity"], held["overrides_after"]["clarity"]
    assert before["n"] == after["n"] == held["sessions"]
    assert before["exact"] < 0.5  # the shipped weights give the grader's level, one above the mentors'
    assert after["exact"] > before["exact"] and after["mae"] < before["mae"]
    assert result.weights.criteria["clarity"].base < default_weights().criteria["clarity"].base
    assert result.provenance["training_data"]["training_sessions"] + held["sessions"] == len(records)


def test_cli_exports_and_refits_a_centre(
    centre: tuple[str, Library], content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = centre
    monkeypatch.setenv("DRILL_DATABASE_URL", url)
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    export = tmp_path / "overrides.jsonl"
    result = CliRunner().invoke(main, ["weights", "export-overrides", "--out", str(export)])
    assert result.exit_code == 0, result.output
    sessions = sum(len(s.items) for s in _situations())
    assert f"Wrote {sessions} session(s) with {sessions} override(s)" in result.output
    out = tmp_path / "centre_weights.yaml"
    refit = CliRunner().invoke(main, ["weights", "refit-centre", "--overrides", str(export), "--out", str(out)])
    assert refit.exit_code == 0, refit.output
    assert "overridden criteria" in refit.output and "before" in refit.output and "after" in refit.output
    weights = load_weights(out)
    assert weights.provenance is not None and weights.provenance.command == "drill weights refit-centre"
    assert weights.version.startswith("centre-")
    assert str(export) in weights.provenance.training_data["source"]
    few = tmp_path / "few.jsonl"
    few.write_text("".join(export.read_text("utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    refused = CliRunner().invoke(main, ["weights", "refit-centre", "--overrides", str(few), "--out", str(out)])
    assert refused.exit_code == 2 and "needs at least 4" in refused.output
    assert json.loads(export.read_text("utf-8").splitlines()[0])["labels"][0]["kind"] == "override"
