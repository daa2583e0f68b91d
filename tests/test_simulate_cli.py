"""`drill simulate`: plays an agent file, prints transcript JSON or a dialogue, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main
from simulator.models import Transcript
from tests.offline_fixtures import persona_data, write_content

ZH_LINES = [
    "您好，我是客服小李，工号2051。",
    "",
    "非常理解您的心情，换做是我也会着急。",
    "请问您的订单号和下单时间？",
    "   ",
    "我马上为您补发一台，今天发出，工单号GD001。",
    "请问还有什么可以帮您？感谢您的来电。",
    "这一行不会被播放。",
]


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_content(tmp_path / "content")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(root))
    return root


def agent_file(tmp_path: Path, lines: list[str], name: str = "agent.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["simulate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_transcript_with_state_and_early_stop(content: Path, tmp_path: Path) -> None:
    path = agent_file(tmp_path, ZH_LINES)
    code, out, err = run(
        "--persona", "test_rational", "--case", "zh-test-late-parcel", "--agent-file", str(path), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    transcript = Transcript.model_validate(data)
    assert data["persona_id"] == "test_rational" and data["case_id"] == "zh-test-late-parcel"
    assert data["archetype"] == "rational" and data["language"] == "zh-CN"
    agent_texts = [turn.text for turn in transcript.turns if turn.role == "agent"]
    assert agent_texts == [line for line in ZH_LINES if line.strip()][:5]  # blank lines skipped, stop at the end
    customers = [turn for turn in data["turns"] if turn["role"] == "customer"]
    assert all("state" in turn and "outcome" in turn["state"] for turn in customers)
    assert customers[-1]["state"]["outcome"] == "resolved"
    assert all(turn.ts for turn in transcript.turns)


def test_same_seed_same_output_and_engine_flag(content: Path, tmp_path: Path) -> None:
    path = agent_file(tmp_path, ["您好。", "嗯。", "请问订单号？", "好的。"])
    args = ("--persona", "test_emotional", "--case", "zh-test-late-parcel", "--agent-file", str(path), "--json")
    first = json.loads(run(*args, "--seed", "4", "--engine", "offline")[1])
    second = json.loads(run(*args, "--seed", "4", "--engine", "offline")[1])
    strip = [[(t["role"], t["text"], t.get("state")) for t in data["turns"]] for data in (first, second)]
    assert strip[0] == strip[1]


def test_readable_dialogue(content: Path, tmp_path: Path) -> None:
    path = agent_file(tmp_path, ["Hi, I'm Sam from billing.", "Could you give me the order number?"])
    code, out, _ = run("--persona", "test_skeptical", "--case", "en-test-double-charge", "--agent-file", str(path))
    assert code == 0
    assert "Agent: Hi, I'm Sam from billing." in out
    assert "Customer [mood " in out and "BL-88213" in out
    assert "offline engine" in out and "# outcome:" in out


@pytest.mark.parametrize(
    ("flag", "value", "listed"),
    [("--persona", "nobody", "test_emotional"), ("--case", "no-such-case", "zh-test-late-parcel")],
)
def test_unknown_ids_list_the_valid_ones(content: Path, tmp_path: Path, flag: str, value: str, listed: str) -> None:
    path = agent_file(tmp_path, ["您好。"])
    args = {"--persona": "test_rational", "--case": "zh-test-late-parcel"}
    args[flag] = value
    code, out, err = run("--persona", args["--persona"], "--case", args["--case"], "--agent-file", str(path))
    assert code == 2 and out == ""
    assert f"unknown {flag[2:]} '{value}'" in err and listed in err


def test_language_mismatch_is_a_clear_error(content: Path, tmp_path: Path) -> None:
    data = persona_data("rational", persona_id="zh_only_rational", languages=["zh-CN"])
    data["offline_script"] = {"zh-CN": data["offline_script"]["zh-CN"]}
    (content / "personas" / "zh_only_rational.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    path = agent_file(tmp_path, ["Hello."])
    code, _, err = run("--persona", "zh_only_rational", "--case", "en-test-double-charge", "--agent-file", str(path))
    assert code == 2
    assert "does not speak en" in err


def test_agent_file_problems(content: Path, tmp_path: Path) -> None:
    base = ("--persona", "test_rational", "--case", "zh-test-late-parcel", "--agent-file")
    empty = agent_file(tmp_path, ["", "   "], "empty.txt")
    code, _, err = run(*base, str(empty))
    assert code == 2 and "no non-empty lines" in err
    long = agent_file(tmp_path, ["您好。", "好" * 2500], "long.txt")
    code, _, err = run(*base, str(long))
    assert code == 2 and "long.txt:2:" in err and "2500" in err
    code, _, err = run(*base, str(tmp_path / "missing.txt"))
    assert code == 2 and "does not exist" in err


def test_unknown_engine_is_refused(content: Path, tmp_path: Path) -> None:
    path = agent_file(tmp_path, ["您好。"])
    code, out, err = run(
        "--persona", "test_rational", "--case", "zh-test-late-parcel", "--agent-file", str(path), "--engine", "bogus"
    )
    assert code == 2 and "bogus" in err


def test_llm_engine_without_endpoint_is_a_clear_error(content: Path, tmp_path: Path) -> None:
    path = agent_file(tmp_path, ["您好。"])
    code, out, err = run(
        "--persona", "test_rational", "--case", "zh-test-late-parcel", "--agent-file", str(path), "--engine", "llm"
    )
    assert code == 2 and out == ""
    assert "DRILL_LLM_BASE_URL" in err and "--engine offline" in err
