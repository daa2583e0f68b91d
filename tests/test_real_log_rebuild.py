"""evals/grader/real/rebuild.py: each dataset's record becomes drill's transcript as its label file says."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from simulator.config import PROJECT_DIR
from simulator.models import Transcript


@pytest.fixture(scope="module")
def rebuild() -> ModuleType:
    path = PROJECT_DIR / "evals" / "grader" / "real" / "rebuild.py"
    spec = importlib.util.spec_from_file_location("real_log_rebuild", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_records_name_a_file_and_an_id(rebuild: ModuleType) -> None:
    assert rebuild.parse_record("dialogues/7.json #7") == ("dialogues/7.json", "7")
    record = "data/unified_datasets/tm1/dummy_data.json #tm1-train-0 (original id dlg-3369f6e3)"
    assert rebuild.parse_record(record) == ("data/unified_datasets/tm1/dummy_data.json", "tm1-train-0")
    with pytest.raises(ValueError, match="has no ' #<id>' part"):
        rebuild.parse_record("dialogues/7.json")


def test_star_keeps_what_was_said_to_the_other_side(rebuild: ModuleType) -> None:
    dialogue = {
        "Events": [
            {"Action": "instruct", "Agent": "UserGuide", "Text": "Act confused."},
            {"Action": "utter", "Agent": "User", "Text": "Hello"},
            {"Action": "request_suggestions", "Agent": "Wizard", "Text": "typed, not sent"},
            {"Action": "pick_suggestion", "Agent": "Wizard", "Text": "Hello, how can I help?"},
            {"Action": "query", "Agent": "Wizard", "Text": ""},
        ]
    }
    assert rebuild.star_turns(dialogue, "7") == [
        {"role": "customer", "text": "Hello"},
        {"role": "agent", "text": "Hello, how can I help?"},
    ]


def test_abcd_drops_actions_and_strips(rebuild: ModuleType) -> None:
    conversations = [
        {"convo_id": 1, "original": [["agent", "x"]]},
        {"convo_id": 3592, "original": [["agent", " Hi! "], ["action", "Account pulled up."], ["customer", "hey"]]},
    ]
    assert rebuild.abcd_turns(conversations, "3592") == [
        {"role": "agent", "text": "Hi!"},
        {"role": "customer", "text": "hey"},
    ]
    with pytest.raises(LookupError, match="0 matches"):
        rebuild.abcd_turns(conversations, "9")


def test_abcd_first_release_names_the_lines_raw(rebuild: ModuleType) -> None:
    conversations = [
        {
            "convo_id": 8360,
            "raw": [
                ["agent", "Hello ", None, None],
                ["action", "Searching the FAQ pages ...", "search-faq", []],
                ["customer", "hi", None, None],
            ],
        }
    ]
    assert rebuild.abcd_turns(conversations, "8360") == [
        {"role": "agent", "text": "Hello"},
        {"role": "customer", "text": "hi"},
    ]


def test_convlab_and_harper_valley(rebuild: ModuleType) -> None:
    dialogues = [
        {
            "dialogue_id": "x-train-0",
            "turns": [{"speaker": "user", "utterance": "hi"}, {"speaker": "system", "utterance": "hello"}],
        }
    ]
    assert [t["role"] for t in rebuild.convlab_turns(dialogues, "x-train-0")] == ["customer", "agent"]
    segments = [
        {"index": 2, "speaker_role": "agent", "human_transcript": "my name is ann"},
        {"index": 1, "speaker_role": "agent", "human_transcript": "harper valley bank"},
        {"index": 3, "speaker_role": "caller", "human_transcript": "[noise]"},
        {"index": 4, "speaker_role": "caller", "human_transcript": "hi"},
    ]
    assert rebuild.hvb_turns(segments, "0002") == [
        {"role": "agent", "text": "harper valley bank my name is ann"},
        {"role": "customer", "text": "hi"},
    ]


def test_woz_puts_each_wizard_line_before_the_user_turn_it_is_stored_with(rebuild: ModuleType) -> None:
    dialogues = [
        {
            "dialogue_idx": 3,
            "dialogue": [
                {"turn_idx": 1, "system_transcript": "Golden Wok. ", "transcript": "Thanks, bye"},
                {"turn_idx": 0, "system_transcript": "", "transcript": "Any chinese place?"},
            ],
        }
    ]
    assert rebuild.woz_turns(dialogues, "3") == [
        {"role": "customer", "text": "Any chinese place?"},
        {"role": "agent", "text": "Golden Wok."},
        {"role": "customer", "text": "Thanks, bye"},
    ]


def test_a_record_inside_a_committed_zip_keeps_its_member_path(rebuild: ModuleType) -> None:
    record = "data/unified_datasets/camrest/data.zip!data/dialogues.json #camrest-train-0 (original id 0)"
    assert rebuild.parse_record(record) == (
        "data/unified_datasets/camrest/data.zip!data/dialogues.json",
        "camrest-train-0",
    )


def test_the_written_form_is_fixed_and_a_valid_transcript(rebuild: ModuleType) -> None:
    turns = [{"role": "customer", "text": "你好"}, {"role": "agent", "text": "您好"}]
    blob = rebuild.serialise("real-x-1", "zh-CN", turns)
    assert blob == rebuild.serialise("real-x-1", "zh-CN", [dict(t) for t in turns])
    assert blob.endswith(b"}\n") and "你好".encode() in blob  # UTF-8 as is, not \\u escapes
    transcript = Transcript.model_validate(json.loads(blob))
    assert transcript.id == "real-x-1" and len(transcript.turns) == 2
    assert hashlib.sha256(blob).hexdigest() != hashlib.sha256(blob.strip()).hexdigest()


def test_a_further_selection_uses_its_datasets_source(rebuild: ModuleType) -> None:
    assert rebuild.source_of("star-d") == rebuild.SOURCES["star"]
    assert rebuild.source_of("woz-c") == rebuild.SOURCES["woz"]
    assert rebuild.source_of("harper-valley-bank") == rebuild.SOURCES["harper-valley-bank"]
    with pytest.raises(KeyError, match="no source known"):
        rebuild.source_of("nosuch-d")


def test_label_files_can_come_from_a_staged_folder(rebuild: ModuleType, tmp_path: Path) -> None:
    labels = tmp_path / "test-next"
    labels.mkdir()
    (labels / "harper-valley-bank.yaml").write_text(
        "commit: abc\nitems:\n- {id: real-hvb-x, language: en, record: 'data/transcript/x.json #x'}\n",
        encoding="utf-8",
    )
    hvb = tmp_path / "hvb"
    hvb.mkdir()
    segments = [{"index": 0, "speaker_role": "agent", "human_transcript": "hello"}]
    (hvb / "x.json").write_text(json.dumps(segments), encoding="utf-8")
    out = tmp_path / "out"
    written, missing = rebuild.rebuild(tmp_path, out, hvb, label_dirs=[labels])
    # only the staged file is read, not dev/ or test/ beside the script
    assert list(written) == ["real-hvb-x"] and missing == []
    assert json.loads((out / "real-hvb-x.json").read_text(encoding="utf-8"))["turns"][0]["text"] == "hello"
