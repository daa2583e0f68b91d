"""The real-log part of the grader eval: shipped labels load; transcripts are matched by hash."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from simulator.config import PROJECT_DIR, load_settings
from simulator.content import Library, load_library
from simulator.content_problems import ContentError
from simulator.evals.grader_set import DEFAULT_SET_DIR, Split, expected_total, set_files, split_sha256
from simulator.evals.real_log_set import REBUILT_HASHES_NAME, RealLogSet, load_real_log_set, transcript_sha256

REAL_DIR = DEFAULT_SET_DIR / "real"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(PROJECT_DIR)


@pytest.fixture(scope="module")
def shipped_labels(library: Library, tmp_path_factory: pytest.TempPathFactory) -> RealLogSet:
    # An empty folder: the labels must load and check on their own, without any transcript.
    return load_real_log_set(REAL_DIR, tmp_path_factory.mktemp("none"), rubric=library.require_rubric())


def test_shipped_real_logs_are_many_bilingual_and_spread(shipped_labels: RealLogSet, library: Library) -> None:
    logs = shipped_labels.logs
    assert len(logs) >= 60
    assert {log.item.language for log in logs} == {"zh-CN", "en"}
    assert len({log.source.dataset for log in logs}) >= 5
    rubric = library.require_rubric()
    totals = [log.item.labels.total for log in logs]
    assert max(totals) - min(totals) >= 40, "real agents of every quality, not one band"
    for log in logs:
        labels = log.item.labels
        assert labels.total == pytest.approx(expected_total(labels, rubric), abs=0.5), log.id
        assert labels.reasons is not None, f"{log.id}: every real-log label carries a reason per criterion"
    bands = Counter(log.item.quality for log in logs)
    assert bands["poor"] and bands["mediocre"] and (bands["good"] + bands["excellent"])
    assert any(log.item.labels.critical_errors for log in logs)
    assert not shipped_labels.available and "DRILL_REAL_LOGS_DIR" in (shipped_labels.missing_reason or "")


def _manifest() -> dict[str, object]:
    loaded = yaml.safe_load((DEFAULT_SET_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


# Datasets allowed on both sides, each as stated selections that cannot meet (real/SOURCES.md): STAR by the
# rank of its qualifying DialogueID per task and scenario, CamRest676 and WOZ 2.0 by consecutive runs of train
# dialogues, ABCD by the two releases of its training-set sample. The record check below keeps them apart.
SPLIT_BY_SELECTION_RULE = {
    "STAR (Schema-Guided Dialog Dataset for Transfer Learning)",
    "CamRest676 (via ConvLab-3 unified format)",
    "WOZ 2.0 (Neural Belief Tracker release)",
    "ABCD (Action-Based Conversations Dataset)",
}


def test_real_splits_keep_each_dataset_on_one_side(shipped_labels: RealLogSet) -> None:
    dev = {log.source.dataset for log in shipped_labels.items("dev")}
    test = {log.source.dataset for log in shipped_labels.items("test")}
    if _manifest()["real_test"] is None:
        # The last real test split was retired to dev/ (manifest history) and no new one is frozen yet.
        assert not test and len(dev) >= 5
        assert {log.item.language for log in shipped_labels.items("dev")} == {"zh-CN", "en"}
        return
    assert dev and test and dev & test <= SPLIT_BY_SELECTION_RULE
    # Since real test v3 every test dataset is also in dev (by a disjoint selection rule), so no
    # "dataset only in test" check: what is held out is the records, checked here.

    def records(split: Split) -> set[tuple[str, str]]:
        return {(log.source.dataset, log.item.record) for log in shipped_labels.items(split)}

    assert not records("dev") & records("test")
    assert len(shipped_labels.items("test")) >= 30
    # No permissively licensed Chinese train split is reachable for a second real test (real/SOURCES.md);
    # the whole real set stays bilingual (test above).
    assert "en" in {log.item.language for log in shipped_labels.items("test")}


def test_the_real_test_labels_are_frozen_in_the_manifest(shipped_labels: RealLogSet) -> None:
    frozen = _manifest()["real_test"]
    if frozen is None:
        assert shipped_labels.items("test") == [] and not set_files(REAL_DIR / "test")
        return
    assert isinstance(frozen, dict)
    assert frozen["sha256"] == shipped_labels.test_sha256
    assert frozen["items"] == len(shipped_labels.items("test"))


def test_label_files_in_real_test_need_a_frozen_hash(tmp_path: Path, library: Library) -> None:
    labels_dir, transcripts = _tiny(tmp_path)
    frozen = {"sha256": "0" * 64, "frozen_on": "2026-12-01", "items": 1, "note": "Tiny."}
    manifest = {
        "test": frozen,
        "real_test": None,
        "real_logs": {"labels": "real", "transcripts": "transcripts"},
        "history": [{"date": "2026-12-02", "change": "Real test retired for this test."}],
    }
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    # An empty (or absent) real/test/ is what a retired split leaves: the labels load.
    assert load_real_log_set(labels_dir, transcripts, rubric=library.require_rubric()).items("dev")
    (labels_dir / "test").mkdir()
    (labels_dir / "dev" / "tiny.yaml").rename(labels_dir / "test" / "tiny.yaml")
    problems = _problems(labels_dir, transcripts, library)
    assert "manifest.yaml:" in problems and "records no frozen real test split" in problems


def test_edited_real_test_labels_are_refused(tmp_path: Path, library: Library) -> None:
    labels_dir, transcripts = _tiny(tmp_path)
    (labels_dir / "dev" / "tiny.yaml").rename(labels_dir / "test.yaml")
    (labels_dir / "test").mkdir()
    (labels_dir / "test.yaml").rename(labels_dir / "test" / "tiny.yaml")
    frozen = {"sha256": split_sha256(labels_dir / "test"), "frozen_on": "2026-12-01", "items": 1, "note": "Tiny."}
    manifest = {
        "test": frozen,
        "real_test": frozen,
        "real_logs": {"labels": "real", "transcripts": "transcripts"},
        "history": [{"date": "2026-12-01", "change": "Frozen for this test."}],
    }
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    assert load_real_log_set(labels_dir, transcripts, rubric=library.require_rubric()).items("test")
    path = labels_dir / "test" / "tiny.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Asks for the PIN.", "Asks for the PIN!"), encoding="utf-8"
    )
    problems = _problems(labels_dir, transcripts, library)
    assert "manifest.yaml:" in problems and "the real/test/ split is frozen" in problems


def test_every_source_has_a_permissive_licence(shipped_labels: RealLogSet) -> None:
    permissive = {"MIT", "Apache-2.0", "CC-BY-4.0", "CC0-1.0", "BSD-3-Clause"}
    for log in shipped_labels.logs:
        assert log.source.licence in permissive, f"{log.path.name}: licence {log.source.licence!r}"


def test_shipped_transcripts_match_their_labels(library: Library) -> None:
    transcripts = load_settings().real_logs_dir
    if not transcripts.is_dir():
        pytest.skip(f"real-log transcripts are not on this machine ({transcripts}); see docs/grader-data.md")
    loaded = load_real_log_set(REAL_DIR, transcripts, rubric=library.require_rubric())
    # Harper Valley Bank's repository is too large to snapshot: its logs may be absent (rebuild.py).
    absent = [log.id for log in loaded.logs if log.transcript is None]
    assert all(i.startswith("real-hvb-") for i in absent), loaded.missing_reason
    for log in loaded.graded():
        assert log.transcript is not None and log.transcript.agent_turn_indices(), log.id


# ---------------------------------------------------------------------------------------------
# A tiny set written here


def _tiny(tmp_path: Path, *, passed: bool = False, quote: str = "Tell me your PIN.") -> tuple[Path, Path]:
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir(parents=True)
    transcript = {
        "id": "real-tiny-1",
        "language": "en",
        "turns": [
            {"role": "customer", "text": "My card was stolen."},
            {"role": "agent", "text": "Sorry to hear that. Tell me your PIN."},
        ],
    }
    path = transcripts / "real-tiny-1.json"
    path.write_text(json.dumps(transcript), encoding="utf-8")
    scores = {"standard_phrasing": 3, "listening_empathy": 3, "problem_solving": 2}
    scores |= {"adaptability": 2, "clarity": 4, "compliance": 1}
    labels = scores | {
        "total": 50,
        "passed": passed,
        "note": "Asks for the PIN.",
        "critical_errors": [{"kind": "private_data_request", "turn": 1, "quote": quote}],
    }
    source = {
        "dataset": "Tiny",
        "url": "https://example.org/tiny",
        "licence": "MIT",
        "licence_file": "LICENSE",
        "commit": "0" * 40,
        "split_taken": "train",
        "conversion": "none",
        "items": [
            {
                "id": "real-tiny-1",
                "language": "en",
                "record": "tiny.json #1",
                "transcript_sha256": transcript_sha256(path),
                "industry": "banking",
                "channel": "chat",
                "start": "mid_conversation",
                "quality": "poor",
                "labels": labels,
            }
        ],
    }
    labels_dir = tmp_path / "real"
    (labels_dir / "dev").mkdir(parents=True)
    (labels_dir / "dev" / "tiny.yaml").write_text(yaml.safe_dump(source), encoding="utf-8")
    return labels_dir, transcripts


def _problems(labels_dir: Path, transcripts: Path, library: Library) -> str:
    with pytest.raises(ContentError) as caught:
        load_real_log_set(labels_dir, transcripts, rubric=library.require_rubric())
    return "\n".join(str(problem) for problem in caught.value.problems)


def test_a_tiny_set_loads_with_its_transcript(tmp_path: Path, library: Library) -> None:
    labels_dir, transcripts = _tiny(tmp_path)
    loaded = load_real_log_set(labels_dir, transcripts, rubric=library.require_rubric())
    [log] = loaded.logs
    assert loaded.available and log.transcript is not None and log.transcript.turns[1].role == "agent"
    # How the contact went reaches the grader: a mid-way chat expects no greeting.
    assert (log.transcript.channel, log.transcript.start) == ("chat", "mid_conversation")


def test_an_edited_transcript_no_longer_matches_its_labels(tmp_path: Path, library: Library) -> None:
    labels_dir, transcripts = _tiny(tmp_path)
    path = transcripts / "real-tiny-1.json"
    path.write_text(path.read_text(encoding="utf-8").replace("stolen", "lost"), encoding="utf-8")
    problems = _problems(labels_dir, transcripts, library)
    assert "tiny.yaml:" in problems and "the labels were written for other text" in problems


def test_a_critical_error_fails_the_session_and_its_quote_is_checked(tmp_path: Path, library: Library) -> None:
    labels_dir, transcripts = _tiny(tmp_path / "a", passed=True)
    assert "a critical error fails the session whatever the total" in _problems(labels_dir, transcripts, library)
    labels_dir, transcripts = _tiny(tmp_path / "b", quote="Tell me your password.")
    assert "quote 'Tell me your password.' is not in turn 1" in _problems(labels_dir, transcripts, library)


def test_a_rebuilt_transcript_matches_through_the_rebuilt_hashes(tmp_path: Path, library: Library) -> None:
    # The hand-made transcripts were lost; rebuild.py writes them again in one fixed form whose hashes
    # sit beside the labels. Such a file loads; any other text still does not.
    labels_dir, transcripts = _tiny(tmp_path)
    path = transcripts / "real-tiny-1.json"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "the labels were written for other text" in _problems(labels_dir, transcripts, library)
    rebuilt = labels_dir / REBUILT_HASHES_NAME
    rebuilt.write_text(yaml.safe_dump({"real-tiny-1": transcript_sha256(path)}), encoding="utf-8")
    [log] = load_real_log_set(labels_dir, transcripts, rubric=library.require_rubric()).logs
    assert log.transcript is not None
    path.write_text(path.read_text(encoding="utf-8").replace("stolen", "lost"), encoding="utf-8")
    assert "rebuild it (evals/grader/real/rebuild.py)" in _problems(labels_dir, transcripts, library)
    rebuilt.write_text("real-tiny-1: not-a-hash\n", encoding="utf-8")
    assert "expected a mapping of transcript id to a SHA-256" in _problems(labels_dir, transcripts, library)


def test_every_labelled_real_log_has_a_rebuilt_hash() -> None:
    rebuilt = yaml.safe_load((REAL_DIR / REBUILT_HASHES_NAME).read_text(encoding="utf-8"))
    labelled = {
        item["id"]
        for path in sorted(REAL_DIR.glob("*/*.yaml"))
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    }
    # Harper Valley Bank is too large to snapshot; its four logs have no rebuilt form yet.
    assert set(rebuilt) == {i for i in labelled if not i.startswith("real-hvb-")}
