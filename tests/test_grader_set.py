"""The labelled grader set: the shipped files load and are consistent; bad files get precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.config import PROJECT_DIR
from simulator.content import Library, load_library
from simulator.content_problems import ContentError
from simulator.evals.grader_set import (
    CRITERION_IDS,
    DEFAULT_SET_DIR,
    GraderSet,
    expected_total,
    load_grader_set,
    split_sha256,
)


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(PROJECT_DIR)


@pytest.fixture(scope="module")
def shipped(library: Library) -> GraderSet:
    return load_grader_set(DEFAULT_SET_DIR, rubric=library.require_rubric(), library=library)


# ---------------------------------------------------------------------------------------------
# The shipped set


def test_shipped_set_is_large_bilingual_and_split(shipped: GraderSet) -> None:
    items = shipped.items("all")
    assert len(items) >= 60
    assert {item.language for item in items} == {"zh-CN", "en"}
    for split in ("dev", "test"):
        part = shipped.items(split)
        assert part, f"the {split} split is empty"
        assert {item.language for item in part} == {"zh-CN", "en"}, f"{split} split misses a language"
    assert len(shipped.items("dev")) + len(shipped.items("test")) == len(items)


def test_shipped_test_split_is_fresh_frozen_and_full_of_traps(shipped: GraderSet, library: Library) -> None:
    manifest = yaml.safe_load((DEFAULT_SET_DIR / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["test"]["sha256"] == shipped.test_sha256 == split_sha256(DEFAULT_SET_DIR / "test")
    test = shipped.items("test")
    assert len(test) >= 48 and manifest["test"]["items"] == len(test)
    # A situation is one case x persona (docs/grader-data.md); no pair repeats. A test situation may
    # reuse a dev case (with a persona never paired with it) only in a language where dev already uses
    # every practice case not already in the test split: test v5's English situations do, because every
    # English case was in use, and v8's Chinese ones, whose last two unused cases v8 itself plays.
    dev_pairs = {(item.situation.case_id, item.situation.persona_id) for item in shipped.items("dev")}
    test_pairs = {(item.situation.case_id, item.situation.persona_id) for item in test}
    assert not test_pairs & dev_pairs, "test situations repeat a dev case x persona"
    dev_cases = {case for case, _persona in dev_pairs}
    used_cases = dev_cases | {case for case, _persona in test_pairs}
    for case_id, _persona in test_pairs:
        if case_id in dev_cases:
            language = library.cases[case_id].language
            unused = [c for c, case in library.cases.items() if case.language == language and c not in used_cases]
            assert not unused, f"test reuses dev case {case_id} while {language} cases {unused} are unused"
    traps = {trap for item in test for trap in item.item.traps}
    assert {"polite_no_solution", "keyword_salad", "grader_note", "one_word_offer", "policy_breach"} <= traps
    assert {"invented_reference", "privacy_violation", "borderline", "mid_conversation"} <= traps
    kinds = {error.kind for item in test for error in item.item.labels.critical_errors}
    assert kinds == {
        "private_data_request",
        "insult_or_threat",
        "unsafe_advice",
        "other_person_data",
        "promise_beyond_policy",
    }
    assert {item.item.quality for item in test} == {"excellent", "good", "mediocre", "poor"}
    assert all(item.item.labels.reasons is not None for item in test)
    passes = [item.item.labels.passed for item in test]
    assert 0 < sum(passes) < len(passes)


def test_shipped_totals_and_pass_flags_follow_the_rubric(shipped: GraderSet, library: Library) -> None:
    rubric = library.require_rubric()
    for labelled in shipped:
        labels = labelled.item.labels
        assert labels.total == pytest.approx(expected_total(labels, rubric), abs=0.5), labelled.id
        # A red line fails the session whatever the total (docs/labelling-guide.md, critical errors).
        assert labels.passed == (labels.total >= rubric.pass_mark and not labels.critical_errors), labelled.id


def test_shipped_situations_have_clearly_different_agents_and_traps(shipped: GraderSet) -> None:
    traps = {trap for labelled in shipped for trap in labelled.item.traps}
    assert {"grader_injection", "privacy_violation", "brief_excellent", "polite_no_solution"} <= traps
    for path, situation, _split in shipped.situations:
        totals = [item.labels.total for item in situation.items]
        assert max(totals) - min(totals) >= 30, f"{path.name}: agents are not clearly different"
    assert len({labelled.id for labelled in shipped}) == len(shipped.items())


def test_items_become_transcripts_with_the_situation_metadata(shipped: GraderSet) -> None:
    labelled = shipped.items("dev")[0]
    transcript = labelled.transcript()
    assert transcript.id == labelled.id
    assert transcript.language == labelled.situation.language
    assert transcript.case_id == labelled.situation.case_id
    assert transcript.persona_id == labelled.situation.persona_id
    assert transcript.archetype == labelled.situation.archetype
    assert [turn.text for turn in transcript.turns] == [turn.text for turn in labelled.item.turns]
    assert transcript.agent_turn_indices()


# ---------------------------------------------------------------------------------------------
# Errors


def _situation(**overrides: object) -> dict[str, object]:
    labels = {cid: 5 for cid in CRITERION_IDS} | {"total": 100, "passed": True, "note": "Flawless."}
    data: dict[str, object] = {
        "situation": "tiny",
        "case_id": "en-returns-headphones-restocking-fee",
        "persona_id": "compensation_hunter",
        "archetype": "bargainer",
        "language": "en",
        "items": [
            {
                "id": "tiny-excellent",
                "quality": "excellent",
                "traps": [],
                "variant_of": None,
                "labels": labels,
                "turns": [{"role": "customer", "text": "Hi."}, {"role": "agent", "text": "Hello, how can I help?"}],
            }
        ],
    }
    data.update(overrides)
    return data


def _write(directory: Path, data: dict[str, object], name: str = "tiny.yaml", split: str = "dev") -> Path:
    (directory / split).mkdir(parents=True, exist_ok=True)
    path = directory / split / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _problems(directory: Path, library: Library) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_grader_set(directory, rubric=library.require_rubric(), library=library)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_tiny_set_loads(tmp_path: Path, library: Library) -> None:
    _write(tmp_path / "set", _situation())
    loaded = load_grader_set(tmp_path / "set", rubric=library.require_rubric(), library=library)
    assert [item.id for item in loaded.items("dev")] == ["tiny-excellent"]
    assert loaded.items("test") == []


def test_wrong_total_is_reported_with_position_and_expected_value(tmp_path: Path, library: Library) -> None:
    data = _situation()
    data["items"][0]["labels"]["clarity"] = 3  # type: ignore[index]
    _write(tmp_path / "set", data)
    [problem] = _problems(tmp_path / "set", library)
    assert "tiny.yaml:" in problem
    assert "total 100 does not match the scores" in problem and "give 96" in problem


def test_pass_flag_contradicting_the_pass_mark(tmp_path: Path, library: Library) -> None:
    data = _situation()
    labels = data["items"][0]["labels"]  # type: ignore[index]
    labels.update({cid: 3 for cid in CRITERION_IDS} | {"total": 60, "passed": True})
    _write(tmp_path / "set", data)
    [problem] = _problems(tmp_path / "set", library)
    assert "passed is true but total 60 is below the pass mark 80" in problem


def test_unknown_key_and_out_of_range_score(tmp_path: Path, library: Library) -> None:
    data = _situation()
    data["items"][0]["labels"]["empathy"] = 4  # type: ignore[index]
    data["items"][0]["labels"]["clarity"] = 6  # type: ignore[index]
    _write(tmp_path / "set", data)
    problems = _problems(tmp_path / "set", library)
    assert any("unknown key 'empathy'" in p for p in problems)
    assert any("clarity" in p and "less than or equal to 5" in p for p in problems)
    assert all(p.startswith(str(tmp_path / "set" / "tiny.yaml")) or "tiny.yaml:" in p for p in problems)


def test_cross_checks(tmp_path: Path, library: Library) -> None:
    data = _situation(case_id="no-such-case", persona_id="nobody", situation="other")
    data["items"][0]["variant_of"] = "missing-item"  # type: ignore[index]
    _write(tmp_path / "set", data)
    problems = "\n".join(_problems(tmp_path / "set", library))
    assert "unknown case 'no-such-case'" in problems
    assert "unknown persona 'nobody'" in problems
    assert "does not match the file name 'tiny.yaml'" in problems
    assert "variant_of 'missing-item' is not an item of this situation" in problems


def test_duplicate_item_ids_across_files(tmp_path: Path, library: Library) -> None:
    _write(tmp_path / "set", _situation())
    _write(tmp_path / "set", _situation(situation="tiny2"), name="tiny2.yaml")
    [problem] = _problems(tmp_path / "set", library)
    assert "tiny2.yaml" in problem and "item id 'tiny-excellent' is already used at" in problem


def test_missing_or_empty_directory(tmp_path: Path, library: Library) -> None:
    assert "not found" in _problems(tmp_path / "absent", library)[0]
    (tmp_path / "empty").mkdir()
    assert "the labelled set is empty" in _problems(tmp_path / "empty", library)[0]


def test_no_agent_turn_is_an_error(tmp_path: Path, library: Library) -> None:
    data = _situation()
    data["items"][0]["turns"] = [{"role": "customer", "text": "Hi."}, {"role": "customer", "text": "Hello?"}]  # type: ignore[index]
    _write(tmp_path / "set", data)
    assert any("no agent turn" in p for p in _problems(tmp_path / "set", library))


def test_files_left_directly_in_the_set_folder_get_a_hint(tmp_path: Path, library: Library) -> None:
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "tiny.yaml").write_text(yaml.safe_dump(_situation()), encoding="utf-8")
    [problem] = _problems(tmp_path / "set", library)
    assert "move them into dev/ or test/" in problem


def test_critical_errors_fail_the_item_and_quote_an_agent_turn(tmp_path: Path, library: Library) -> None:
    data = _situation()
    labels = data["items"][0]["labels"]  # type: ignore[index]
    labels["critical_errors"] = [{"kind": "private_data_request", "turn": 0, "quote": "Hi."}]
    _write(tmp_path / "set", data)
    problems = "\n".join(_problems(tmp_path / "set", library))
    assert "a critical error fails the session whatever the total" in problems
    assert "turn 0 is a customer turn, not the agent's" in problems
    labels["passed"] = False
    labels["critical_errors"] = [{"kind": "private_data_request", "turn": 1, "quote": "your PIN"}]
    _write(tmp_path / "set", data)
    [problem] = _problems(tmp_path / "set", library)
    assert "quote 'your PIN' is not in turn 1" in problem
    data["items"][0]["turns"][1]["text"] = "Hello, tell me your PIN."  # type: ignore[index]
    _write(tmp_path / "set", data)
    [item] = load_grader_set(tmp_path / "set", rubric=library.require_rubric(), library=library).items("dev")
    assert item.item.labels.critical_errors[0].kind == "private_data_request" and not item.item.labels.passed


def _pairs(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.add((data["case_id"], data["persona_id"]))
    return found


def test_held_dev_situations_wait_only_for_a_split_that_plays_their_pair() -> None:
    held = _pairs(DEFAULT_SET_DIR / "dev-held")
    held_out = _pairs(DEFAULT_SET_DIR / "test") | _pairs(DEFAULT_SET_DIR / "test-next")
    assert held <= held_out, f"dev-held/ situations whose pair no test split plays belong in dev/: {held - held_out}"
    assert not _pairs(DEFAULT_SET_DIR / "dev") & _pairs(DEFAULT_SET_DIR / "test-next")
