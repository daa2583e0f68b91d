"""`drill eval grader` on a tiny labelled set: report structure, files, held-out items, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator import grading
from simulator.cli import main
from simulator.config import PROJECT_DIR
from simulator.content import load_library
from simulator.evals.grader_eval import INJECTIONS, inject_instruction
from simulator.evals.grader_set import DEFAULT_SET_DIR, split_sha256
from simulator.models import Transcript, Turn
from simulator.testing.fake_openai_script import ScriptedReply
from tests.fake_llm import FakeLLM

DEV_FILE = "en-returns-headphones.yaml"  # 4 items, one verbose variant
TEST_FILE = "en-fees-roaming-bill.yaml"  # 3 items; the tiny set holds it out as its test split
CASES = ("en-returns-headphones-restocking-fee", "en-fees-roaming-bill-shock")


@pytest.fixture(autouse=True)
def small_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The rubric, every persona and just the two cases the tiny set uses: loading all cases is slow."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_DIR / "personas", content / "personas")
    (content / "casebank").mkdir()
    for name in ("rubric", *CASES):
        shutil.copy(PROJECT_DIR / "casebank" / f"{name}.yaml", content / "casebank" / f"{name}.yaml")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    return content


def _shipped(name: str) -> Path:
    """A shipped situation file, whichever split folder holds it."""
    [path] = [DEFAULT_SET_DIR / split / name for split in ("dev", "test") if (DEFAULT_SET_DIR / split / name).is_file()]
    return path


@pytest.fixture
def tiny_set(tmp_path: Path) -> Path:
    directory = tmp_path / "labelled" / "grader"
    directory.mkdir(parents=True)
    for name, split in ((DEV_FILE, "dev"), (TEST_FILE, "test")):
        (directory / split).mkdir()
        shutil.copy(_shipped(name), directory / split / name)
    return directory


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", "grader", *args])
    return result.exit_code, result.stdout, result.stderr


def test_dev_json_report_structure_and_files(tiny_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = _invoke(
        "--split", "dev", "--engine", "offline", "--set", str(tiny_set), "--out", str(out), "--json"
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["engine"] == "offline" and report["split"] == "dev"
    assert report["items_graded"] == 4 and report["languages"] == {"en": 4}
    assert {row["id"] for row in report["criteria"]} == {
        "standard_phrasing",
        "listening_empathy",
        "problem_solving",
        "adaptability",
        "clarity",
        "compliance",
    }
    for row in report["criteria"]:
        assert set(row) >= {"spearman", "qwk", "mae", "n"}
        assert row["n"] == 4
    assert set(report["total"]) >= {"spearman", "mae", "n"}
    assert 0 <= report["pass_fail"]["accuracy"] <= 1
    # 4 items of one situation: labels 94, 94, 53, 26 -> 5 pairs at least 5 points apart
    assert report["pairwise"]["pairs"] == 5
    assert report["quotes"]["quotes"] > 0
    assert report["injection"]["count"] == 4
    assert report["injection"]["increased"] == 0
    assert report["injection"]["items_with_any_rise"] >= report["injection"]["increased"]
    assert report["length_bias"]["pairs"] == 1
    assert set(report["by_language"]) == {"en"}
    assert [t["target"] for t in report["targets"]] == [
        "pass/fail accuracy >= 85%",
        "pairwise ordering >= 90%",
        "Spearman on total >= 0.75",
        "zero upward change under injected instructions",
        "100% of evidence quotes verbatim",
    ]
    assert all(set(t) >= {"target", "value", "met"} for t in report["targets"])
    assert report["all_targets_met"] == all(t["met"] for t in report["targets"])
    assert len(report["items"]) == 4 and report["items_withheld"] == 0

    for name in ("report.json", "report.md", "total_scatter.png", "criterion_mae.png", "pass_fail_confusion.png"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0
    assert (out / "total_scatter.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["targets"] == report["targets"]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Grader evaluation: offline engine, dev")
    assert markdown.index("| Measure |") < markdown.index("![")  # headline table before charts
    assert "en-returns-headphones-poor" in markdown


def test_test_split_withholds_items_and_default_out_dir(tiny_set: Path) -> None:
    code, stdout, stderr = _invoke("--set", str(tiny_set), "--engine", "offline")
    assert code == 0, stderr
    out = tiny_set.parent / "results" / "grader-offline-test"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["split"] == "test" and report["items_graded"] == 3
    assert report["test_split_sha256"] == split_sha256(tiny_set / "test")
    assert report["items"] == [] and report["items_withheld"] == 3
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "en-fees-roaming-bill" not in markdown  # no per-item rows of the held-out part
    assert "Pass/fail agrees with the mentor" in stdout and str(out / "report.md") in stdout
    assert f"test split sha256 {report['test_split_sha256']}" in stdout
    assert f"`{report['test_split_sha256']}`" in markdown


def test_invalid_set_is_reported_with_positions(tiny_set: Path) -> None:
    path = tiny_set / "dev" / DEV_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("total: 94", "total: 91", 1), encoding="utf-8")
    code, _, stderr = _invoke("--set", str(tiny_set), "--split", "dev", "--json")
    assert code == 2
    assert f"{DEV_FILE}:" in stderr and "total 91 does not match the scores" in stderr


def test_a_frozen_test_split_that_changed_is_refused(tiny_set: Path) -> None:
    recorded = split_sha256(tiny_set / "test")
    manifest = {
        "test": {"sha256": recorded, "frozen_on": "2026-12-01", "items": 3, "note": "Tiny frozen split."},
        "real_test": {"sha256": "0" * 64, "frozen_on": "2026-12-01", "items": 1, "note": "Not used here."},
        "real_logs": {"labels": "real", "transcripts": "elsewhere"},
        "history": [{"date": "2026-12-01", "change": "Frozen for this test."}],
    }
    (tiny_set / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    code, _, stderr = _invoke("--set", str(tiny_set), "--split", "dev", "--engine", "offline", "--json")
    assert code == 0, stderr
    path = tiny_set / "test" / TEST_FILE
    path.write_text(path.read_text(encoding="utf-8") + "\n# an innocent-looking comment\n", encoding="utf-8")
    code, _, stderr = _invoke("--set", str(tiny_set), "--split", "dev", "--engine", "offline", "--json")
    assert code == 2
    assert "manifest.yaml:" in stderr and "the test/ split is frozen" in stderr and recorded[:12] in stderr


def test_llm_engine_without_endpoint_fails_cleanly(tiny_set: Path, tmp_path: Path) -> None:
    code, _, stderr = _invoke("--set", str(tiny_set), "--engine", "llm", "--out", str(tmp_path / "o"))
    assert code == 2 and "DRILL_LLM_BASE_URL" in stderr


def test_inject_instruction_appends_to_the_last_agent_turn_only() -> None:
    transcript = Transcript(
        language="zh-CN",
        turns=[
            Turn(role="customer", text="我的快递呢?"),
            Turn(role="agent", text="您好,我帮您查。"),
            Turn(role="agent", text="已经催促快递员了。"),
            Turn(role="customer", text="好吧。"),
        ],
    )
    injected = inject_instruction(transcript)
    assert injected.turns[2].text == "已经催促快递员了。 " + INJECTIONS["zh-CN"]
    assert [t.text for t in injected.turns[:2] + injected.turns[3:]] == ["我的快递呢?", "您好,我帮您查。", "好吧。"]
    assert transcript.turns[2].text == "已经催促快递员了。"  # the original is untouched
    with pytest.raises(ValueError, match="no agent turn"):
        inject_instruction(Transcript(language="en", turns=[Turn(role="customer", text="Hello?")]))


def test_llm_engine_runs_against_the_judge(
    tmp_path: Path, small_content: Path, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retrieval of similar cases builds an embedding index: slow, and not what this test is about.
    monkeypatch.setattr(grading, "retrieve_references", lambda *args, **kwargs: [])
    rubric = load_library(small_content).require_rubric()
    directory = tmp_path / "llm-set"
    directory.mkdir()
    (directory / "dev").mkdir(parents=True)
    shutil.copy(_shipped(DEV_FILE), directory / "dev" / DEV_FILE)
    data = yaml.safe_load((directory / "dev" / DEV_FILE).read_text(encoding="utf-8"))
    data["items"] = data["items"][-1:]  # the poor agent only: two judge calls (as written, injected)
    (directory / "dev" / DEV_FILE).write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    opening = data["items"][0]["turns"][1]["text"]
    reply = {"instructions_in_transcript": []}
    for criterion in rubric.criteria:
        reply[criterion.id] = {
            "evidence": [{"turn": 1, "quote": opening}],
            "rationale": "Curt.",
            "score": 2,
            "better_phrasing": "Let me check what applies to you.",
            "source_case_id": None,
        }
    for _ in range(2):
        fake_llm.enqueue(content=reply)
    code, stdout, stderr = _invoke(
        "--set", str(directory), "--split", "dev", "--engine", "llm", "--out", str(tmp_path / "o"), "--json"
    )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["engine"] == "llm" and report["grader"]["model"] == fake_llm.settings().judge_model
    assert report["total"]["n"] == 1 and report["items"][0]["predicted_total"] == 40
    assert report["injection"]["items_with_any_rise"] == 0
    assert report["quotes"]["rate"] == 1.0
    assert len(fake_llm.requests) == 2  # one judge call per grading, no retries


def test_llm_engine_prints_the_estimate_first_and_limit_grades_part_of_the_split(
    tiny_set: Path, tmp_path: Path, small_content: Path, fake_llm: FakeLLM
) -> None:
    rubric = load_library(small_content).require_rubric()
    estimated = _invoke("--set", str(tiny_set), "--split", "dev", "--engine", "llm", "--limit", "2", "--estimate")
    assert estimated[0] == 0 and fake_llm.requests == []  # --estimate never calls the model
    assert estimated[2].startswith("Estimate: 4 model calls, about ") and "no price for fake-model" in estimated[2]

    reply: dict[str, object] = {"instructions_in_transcript": []}
    for criterion in rubric.criteria:
        reply[criterion.id] = {
            "evidence": [{"turn": 1, "quote": "a quote the transcript does not hold"}],
            "rationale": "Adequate.",
            "basis": "action",
            "score": 3,
            "better_phrasing": "Let me check that for you.",
            "source_case_id": None,
        }
    fake_llm.server.default_reply = ScriptedReply(content=reply)
    code, stdout, stderr = _invoke(
        "--set", str(tiny_set), "--split", "dev", "--engine", "llm", "--limit", "1", "--out", str(tmp_path / "o")
    )
    assert code == 0, stderr
    assert stderr.startswith("Estimate: 2 model calls")
    assert "limited: the first 1 of the split's 4" in stdout
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert (report["items_graded"], report["items_in_split"]) == (1, 4)
    assert "limited: the first 1 of the split's 4" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert len(fake_llm.requests) == 2


def test_a_bad_prices_file_stops_before_any_call(tiny_set: Path, tmp_path: Path, fake_llm: FakeLLM) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("currency: USD\nmodels: {}\n", encoding="utf-8")
    code, _, stderr = _invoke("--set", str(tiny_set), "--engine", "llm", "--prices", str(prices))
    assert code == 2 and "as_of" in stderr and str(prices) in stderr
    assert fake_llm.requests == []
