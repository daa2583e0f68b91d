"""`drill eval grader` reports real chat logs apart from the synthetic part, or says why it did not."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main
from simulator.config import PROJECT_DIR
from simulator.evals.grader_set import DEFAULT_SET_DIR, split_sha256

SITUATION = "en-returns-headphones"  # 4 items; one becomes a "real log" of the tiny set
CASE = "en-returns-headphones-restocking-fee"


@pytest.fixture
def real_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A tiny set: one dev situation, and one real-log label file whose transcript sits in another folder.

    The "real log" is a synthetic transcript (third-party logs are not in the repository); it keeps
    its case id so that the test does not build an embedding index for retrieval.
    """
    content = tmp_path / "content"
    shutil.copytree(PROJECT_DIR / "personas", content / "personas")
    (content / "casebank").mkdir()
    for name in ("rubric", CASE):
        shutil.copy(PROJECT_DIR / "casebank" / f"{name}.yaml", content / "casebank" / f"{name}.yaml")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    directory = tmp_path / "set"
    (directory / "dev").mkdir(parents=True)
    source = DEFAULT_SET_DIR / "dev" / f"{SITUATION}.yaml"
    shutil.copy(source, directory / "dev" / source.name)
    situation = yaml.safe_load(source.read_text("utf-8"))
    transcripts = tmp_path / "real-transcripts"
    transcripts.mkdir()
    items = []
    for item in situation["items"][:3]:
        log_id = f"real-{item['id']}"
        transcript = {"id": log_id, "language": "en", "case_id": CASE, "turns": item["turns"]}
        path = transcripts / f"{log_id}.json"
        path.write_text(json.dumps(transcript, ensure_ascii=False), encoding="utf-8")
        items.append(
            {
                "id": log_id,
                "language": "en",
                "record": f"{source.name} #{item['id']}",
                "transcript_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "industry": "e-commerce",
                "channel": "chat",
                "start": "greeting",
                "quality": item["quality"],
                "traps": [],
                "labels": item["labels"],
            }
        )
    labels = {
        "dataset": "Tiny stand-in",
        "url": "https://example.org/tiny",
        "licence": "MIT",
        "licence_file": "LICENSE (MIT)",
        "commit": "0" * 40,
        "split_taken": "three items of one situation",
        "conversion": "turns copied unchanged",
        "items": items,
    }
    (directory / "real" / "dev").mkdir(parents=True)
    (directory / "real" / "test").mkdir()
    (directory / "real" / "dev" / "tiny.yaml").write_text(yaml.safe_dump(labels, allow_unicode=True), encoding="utf-8")
    return directory, transcripts


def _run(directory: Path, out: Path) -> tuple[int, dict, str]:
    result = CliRunner().invoke(
        main, ["eval", "grader", "--split", "dev", "--engine", "offline", "--set", str(directory), "--out", str(out)]
    )
    report = json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").is_file() else {}
    return result.exit_code, report, result.output


def test_real_logs_are_graded_and_reported_apart(
    real_set: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, transcripts = real_set
    monkeypatch.setenv("DRILL_REAL_LOGS_DIR", str(transcripts))
    code, report, output = _run(directory, tmp_path / "out")
    assert code == 0, output
    real = report["real_logs"]
    assert real["run"] is True and real["items_graded"] == 3
    assert real["real_test_sha256"] == split_sha256(directory / "real" / "test")
    agreement = real["agreement"]
    assert agreement["n"] == 3 and agreement["total"]["n"] + agreement["withheld"]["unscored"] == 3
    assert set(agreement["pass_fail"]) >= {"accuracy", "accuracy_all", "kappa", "confusion"}
    assert set(agreement["spread"]) == {"label", "predicted"}
    assert [row["id"] for row in real["items"]] == [
        f"real-{SITUATION}-{s}" for s in ("excellent", "excellent-wordy", "mediocre")
    ]
    assert report["agreement"]["n"] == 4  # the synthetic part: its own figures, never pooled with the logs
    assert "Real chat logs (dev split)" in output and "Cohen's kappa" in output
    assert f"real-log test labels sha256 {real['real_test_sha256']}" in output
    markdown = (tmp_path / "out" / "report.md").read_text("utf-8")
    assert "## Real chat logs (reported apart)" in markdown and "Spearman on the total" in markdown


def test_real_logs_without_transcripts_are_not_run_and_say_where_they_looked(
    real_set: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, _ = real_set
    empty = tmp_path / "nowhere"
    monkeypatch.setenv("DRILL_REAL_LOGS_DIR", str(empty))
    code, report, output = _run(directory, tmp_path / "out")
    assert code == 0, output
    assert report["real_logs"]["run"] is False
    assert str(empty) in report["real_logs"]["reason"] and "DRILL_REAL_LOGS_DIR" in report["real_logs"]["reason"]
    assert "not run:" in output


def test_a_real_log_that_changed_is_refused(
    real_set: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, transcripts = real_set
    monkeypatch.setenv("DRILL_REAL_LOGS_DIR", str(transcripts))
    path = sorted(transcripts.iterdir())[0]
    path.write_text(path.read_text("utf-8").replace("}", " }", 1), encoding="utf-8")
    code, _, output = _run(directory, tmp_path / "out")
    assert code == 2 and "hashes to" in output and "problem(s) in the real-log labels" in output
