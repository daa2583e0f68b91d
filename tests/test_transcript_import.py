"""The import path for real chat logs: BOM, aliases, system lines, masking, caps, bad input of every shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.grading.transcript_file import TranscriptFileError
from simulator.privacy_mask import contains_masked_value, is_masked_value, mask_personal_data
from simulator.transcript_import import (
    plausibility_warnings,
    read_transcript_bytes,
    read_transcript_file,
    read_transcript_text,
)

OPENAI_SHAPE = {
    "language": "zh-CN",
    "turns": [
        {"role": "system", "content": "会话已接入人工客服。"},
        {"role": "user", "content": "我的快递三天没动了，手机号13812345678，你们查一下"},
        {"role": "assistant", "content": "您好，我是客服小李，让您久等了，我马上帮您查物流。"},
    ],
}


def _write(path: Path, data: object, *, bom: bool = False) -> Path:
    text = json.dumps(data, ensure_ascii=False)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _problem(callable_: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(TranscriptFileError) as caught:
        callable_(*args, **kwargs)  # type: ignore[operator]
    (line,) = caught.value.problems
    return line


def test_bom_aliases_and_system_lines_are_normalised(tmp_path: Path) -> None:
    imported = read_transcript_file(_write(tmp_path / "log.json", OPENAI_SHAPE, bom=True))
    roles = [turn.role for turn in imported.transcript.turns]
    assert roles == ["system", "customer", "agent"]
    assert imported.transcript.turns[0].text == "会话已接入人工客服。"
    assert imported.aliases == {"content->text": 3, "user->customer": 1, "assistant->agent": 1}
    assert imported.transcript.agent_turn_indices() == [2]


def test_phone_numbers_are_masked_by_default_and_kept_on_request(tmp_path: Path) -> None:
    path = _write(tmp_path / "log.json", OPENAI_SHAPE)
    masked = read_transcript_file(path)
    assert "13812345678" not in masked.transcript.turns[1].text and "[电话]" in masked.transcript.turns[1].text
    assert masked.masked == {"phone": 1}
    kept = read_transcript_file(path, mask=False)
    assert "13812345678" in kept.transcript.turns[1].text and kept.masked == {}


@pytest.mark.parametrize(
    ("text", "language", "gone", "kinds"),
    [
        ("邮箱是 wang.li@example.cn 呀", "zh-CN", "wang.li@example.cn", {"email": 1}),
        ("寄到北京市朝阳区建国路88号院3号楼2单元501室吧", "zh-CN", "建国路88号", {"address": 1}),
        ("身份证号11010519491231002X", "zh-CN", "11010519491231002X", {"id_number": 1}),
        ("Card 4111 1111 1111 1111, exp 09/27", "en", "4111 1111 1111 1111", {"card_number": 1}),
        ("Ring me on (415) 555-0134 after six", "en", "555-0134", {"phone": 1}),
        ("I'm at 221 Baker Street, Apt 4B", "en", "221 Baker Street", {"address": 1}),
        ("固话 010-62345678", "zh-CN", "62345678", {"phone": 1}),
    ],
)
def test_each_kind_of_personal_data_is_masked(text: str, language: str, gone: str, kinds: dict[str, int]) -> None:
    result = mask_personal_data(text, language)  # type: ignore[arg-type]
    assert gone not in result.text and result.counts == kinds
    assert contains_masked_value(result.text)


def test_order_numbers_that_fail_the_card_checksum_stay() -> None:
    # 16 digits like a card number, but not Luhn-valid: an order number, which grading needs.
    text = "订单号2026110312345678"
    assert mask_personal_data(text, "zh-CN").text == text


@pytest.mark.parametrize("value", ["[电话]", "[phone]", "[数字x]", "[数字1]", "138****5678", "****1234", "<PHONE_2>"])
def test_masked_values_are_recognised(value: str) -> None:
    assert is_masked_value(value)
    assert mask_personal_data(f"号码 {value}", "zh-CN").counts == {}


@pytest.mark.parametrize("value", ["《到货时间》", "{name}", "[到货时间]", "13812345678", "明天"])
def test_placeholders_and_real_values_are_not_masked_values(value: str) -> None:
    assert not is_masked_value(value)


def test_masked_values_count_as_concrete_for_the_grader() -> None:
    from simulator.grading.signals import grading_patterns

    assert grading_patterns("zh-CN").concrete_markers.search("验证码已经发到[电话]上了")
    assert grading_patterns("en").concrete_markers.search("I sent the link to [email] just now")
    assert not grading_patterns("zh-CN").concrete_markers.search("预计是《到货时间》可以到货")


# -- bad input of every shape: one clear line, never a traceback -------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"{not json", "invalid JSON"),
        (b"", "invalid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b"[1, 2]", "expected a JSON object"),
        (b'"hello"', "expected a JSON object"),
        (b"null", "got null"),
        (b'{"language": "zh-CN", "turns": [{"role": "user", "text": "a", "content": "b"}]}', "both 'text' and"),
    ],
)
def test_malformed_input_is_one_clear_line(payload: bytes, expected: str) -> None:
    line = _problem(read_transcript_bytes, payload, "log.json")
    assert line.startswith("log.json") and expected in line and "\n" not in line


def test_wrong_keys_and_values_point_at_the_place() -> None:
    text = '{"language": "zh-CN",\n "turns": [{"role": "bot", "text": "hi"}], "messages": []}'
    with pytest.raises(TranscriptFileError) as caught:
        read_transcript_text(text, "log.json")
    problems = caught.value.problems
    assert any("unknown key 'messages'" in p and p.startswith("log.json:2:") for p in problems)
    assert any("turns[0].role" in p for p in problems)


def test_oversize_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILL_MAX_TRANSCRIPT_BYTES", "100")
    path = _write(tmp_path / "big.json", {"language": "en", "turns": [{"role": "agent", "text": "x" * 200}]})
    line = _problem(read_transcript_file, path)
    assert "DRILL_MAX_TRANSCRIPT_BYTES" in line and "limit is 100 bytes" in line


def test_too_many_turns_and_characters_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    many = {"language": "en", "turns": [{"role": "agent", "text": "Hello there."}] * 6}
    monkeypatch.setenv("DRILL_MAX_TRANSCRIPT_TURNS", "5")
    assert "DRILL_MAX_TRANSCRIPT_TURNS" in _problem(read_transcript_text, json.dumps(many), "log.json")
    monkeypatch.delenv("DRILL_MAX_TRANSCRIPT_TURNS")
    monkeypatch.setenv("DRILL_MAX_TRANSCRIPT_CHARS", "50")
    assert "DRILL_MAX_TRANSCRIPT_CHARS" in _problem(read_transcript_text, json.dumps(many), "log.json")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "file not found" in _problem(read_transcript_file, tmp_path / "nope.json")
    assert "not a regular file" in _problem(read_transcript_file, tmp_path)


# -- plausibility warnings ------------------------------------------------------------------------------


def _warnings(data: dict[str, object]) -> list[str]:
    imported = read_transcript_text(json.dumps(data, ensure_ascii=False), "log.json")
    return [warning.code for warning in imported.warnings]


def test_language_mismatch_is_warned() -> None:
    data = {
        "language": "zh-CN",
        "turns": [
            {"role": "customer", "text": "My parcel has not moved for three days, can you check it?"},
            {"role": "agent", "text": "Hello, I am sorry about the wait, let me look it up for you now."},
        ],
    }
    assert _warnings(data) == ["language"]
    imported = read_transcript_text(json.dumps(data), "log.json")
    assert "English" in imported.warnings[0].message("en") and "英文" in imported.warnings[0].message("zh-CN")


def test_one_sided_and_swapped_roles_are_warned() -> None:
    assert "no_agent" in _warnings({"language": "en", "turns": [{"role": "user", "text": "Where is my order?"}]})
    swapped = {
        "language": "en",
        "turns": [
            {"role": "customer", "text": "Hello, thank you for contacting us, my name is Dana. How can I help?"},
            {"role": "agent", "text": "My order never arrived and I want my money back."},
            {"role": "customer", "text": "I'm so sorry about that. I can refund the full amount today."},
            {"role": "agent", "text": "Fine, do it."},
        ],
    }
    assert _warnings(swapped) == ["swapped"]


def test_a_poor_agent_next_to_a_polite_customer_is_not_a_swap() -> None:
    poor = {
        "language": "en",
        "turns": [
            {"role": "customer", "text": "Hi, my suitcase didn't arrive and the wedding is on Saturday."},
            {"role": "agent", "text": "Bags usually turn up within a few days, I wouldn't worry about it."},
            {"role": "customer", "text": "Can you at least tell me where it is?"},
            {"role": "agent", "text": "Check the tracker tomorrow."},
        ],
    }
    assert _warnings(poor) == []


def test_a_plausible_log_has_no_warnings() -> None:
    assert plausibility_warnings(read_transcript_text(json.dumps(OPENAI_SHAPE), "x").transcript) == []
