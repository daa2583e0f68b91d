"""`drill grade` over several files and folders: exit codes, summaries, thin agent sides, bad files."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from tests.grading_fixtures import EN_AGENTS, ZH_AGENTS, en_case, write_content, zh_case


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_content(tmp_path / "content")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(root))
    return root


def _log(path: Path, language: str, turns: list[tuple[str, str]], **extra: object) -> Path:
    """A chat export in the OpenAI message shape (user/assistant, content), with a BOM."""
    roles = {"c": "user", "a": "assistant"}
    data = {"language": language, "turns": [{"role": roles[r], "content": t} for r, t in turns], **extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False).encode("utf-8"))
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["grade", *args])


def _folder(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    _log(logs / "a-good.json", "zh-CN", ZH_AGENTS["excellent"], case_id=zh_case().id)
    _log(logs / "b-poor.json", "en", EN_AGENTS["poor"], case_id=en_case().id)
    _log(logs / "nested" / "c-thin.json", "en", [("c", "Where is my refund?"), ("a", "ok"), ("a", "ok")])
    (logs / "d-broken.json").write_text('{"language": "en", "turns": [', encoding="utf-8")
    (logs / "e-deep.json").write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    (logs / "f-keys.json").write_text('{"language": "en", "messages": []}', encoding="utf-8")
    (logs / "notes.txt").write_text("not a transcript", encoding="utf-8")
    return logs


def test_a_folder_goes_on_past_bad_files_and_exits_with_the_worst_code(content: Path, tmp_path: Path) -> None:
    logs = _folder(tmp_path)
    summary_csv, summary_jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    result = run(str(logs), "--summary-csv", str(summary_csv), "--summary-jsonl", str(summary_jsonl))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    lines = dict(line.split("\t") for line in result.stdout.splitlines())
    assert set(lines) == {str(p) for p in sorted(logs.rglob("*.json"))}
    assert lines[str(logs / "a-good.json")].endswith(("PASS", "FAIL"))
    assert lines[str(logs / "nested" / "c-thin.json")] == "UNSCORED"
    for bad in ("d-broken.json", "e-deep.json", "f-keys.json"):
        assert lines[str(logs / bad)] == "MALFORMED"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and all(str(logs) in line for line in errors)
    assert any("nested too deeply" in line for line in errors)
    assert any("unknown key 'messages'" in line for line in errors)
    assert "3 graded" not in result.stderr and "2 graded, 1 unscored, 0 failed, 3 malformed" in result.stderr

    rows = list(csv.DictReader(summary_csv.open(encoding="utf-8-sig")))
    # Rows follow the files in discovery order: each folder's *.json, recursively, sorted by path.
    assert [Path(row["file"]).name for row in rows] == [Path(p).name for p in sorted(logs.rglob("*.json"))]
    by_name = {Path(row["file"]).name: row for row in rows}
    assert by_name["a-good.json"]["status"] == "graded" and float(by_name["a-good.json"]["total"]) > 0
    assert by_name["a-good.json"]["problem_solving"] in {"1", "2", "3", "4", "5"}
    assert by_name["c-thin.json"]["status"] == "unscored" and "too thin" in by_name["c-thin.json"]["error"]
    assert by_name["c-thin.json"]["exit_code"] == "0"
    assert by_name["d-broken.json"]["exit_code"] == "2" and "invalid JSON" in by_name["d-broken.json"]["error"]

    records = [json.loads(line) for line in summary_jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6
    good = next(r for r in records if r["file"].endswith("a-good.json"))
    assert good["language"] == "zh-CN" and isinstance(good["total"], float) and good["agent_turns"] > 0


def test_several_files_with_json_lines(content: Path, tmp_path: Path) -> None:
    first = _log(tmp_path / "one.json", "en", EN_AGENTS["excellent"], case_id=en_case().id)
    second = _log(tmp_path / "two.json", "en", [("c", "Hello?"), ("a", "")])
    result = run(str(first), str(second), "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in records] == ["graded", "unscored"]
    assert records[0]["report"]["complete"] is True
    reasons = {c["unscored_reason"] for c in records[1]["report"]["criteria"]}
    assert len(reasons) == 1 and "too thin" in reasons.pop()


def test_an_empty_agent_side_is_unscored_with_its_reason_and_exit_0(content: Path, tmp_path: Path) -> None:
    path = _log(tmp_path / "empty.json", "zh-CN", [("c", "在吗？我的订单呢"), ("a", ""), ("a", " "), ("c", "人呢")])
    result = run(str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"] is None and report["complete"] is False
    assert all("太少" in c["unscored_reason"] for c in report["criteria"])


def test_malformed_single_file_is_one_line_and_exit_2(content: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 30_000 + "1" + "}" * 30_000, encoding="utf-8")
    result = run(str(deep))
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "nested too deeply" in result.stderr


def test_grading_failure_exits_3(content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port with nothing listening: the endpoint is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DRILL_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("DRILL_LLM_MAX_RETRIES", "0")
    good = _log(tmp_path / "logs" / "good.json", "en", EN_AGENTS["excellent"], case_id=en_case().id)
    (tmp_path / "logs" / "bad.json").write_text("{", encoding="utf-8")
    single = run(str(good), "--engine", "llm")
    assert single.exit_code == 3, single.output
    assert "error:" in single.stderr and "Traceback" not in single.output
    both = run(str(tmp_path / "logs"), "--engine", "llm")
    assert both.exit_code == 3  # the worst of 2 (malformed) and 3 (failed)


def test_personal_data_is_masked_unless_kept(content: Path, tmp_path: Path) -> None:
    turns = [("c", "I'm at 221 Baker Street, call me on (415) 555-0134"), *EN_AGENTS["excellent"][1:]]
    path = _log(tmp_path / "pii.json", "en", turns, case_id=en_case().id)
    summary = tmp_path / "s.jsonl"
    masked = run(str(path), "--json", "--summary-jsonl", str(summary))
    assert "555-0134" not in masked.stdout and json.loads(summary.read_text())["masked"] == 2
    kept = run(str(path), "--json", "--keep-personal-data", "--summary-jsonl", str(summary))
    assert kept.exit_code == 0 and json.loads(summary.read_text())["masked"] == 0


def test_language_warning_goes_to_stderr(content: Path, tmp_path: Path) -> None:
    path = _log(tmp_path / "lang.json", "zh-CN", EN_AGENTS["excellent"])
    result = run(str(path), "--json")
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "language zh-CN" in result.stderr
    json.loads(result.stdout)


def test_an_empty_folder_is_a_clear_error(content: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run(str(tmp_path / "empty"), str(tmp_path / "empty2"))
    assert result.exit_code == 2
    assert "MALFORMED" in result.stdout and "file not found" in result.stderr
