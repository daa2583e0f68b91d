"""The content loader: shipped files load, and each error class points at the exact spot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from simulator.config import PROJECT_DIR
from simulator.content import content_files, kind_of, load_library, parse_item, validate_files
from simulator.content_problems import ContentError
from simulator.schema_files import SCHEMA_MODELS, schema_for, schema_text

FIXTURE = Path(__file__).parent / "fixtures" / "content"
PERSONA = "content/personas/calm_tester.yaml"
CASE = "content/casebank/zh-logistics-test-parcel.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the small fixture library (cwd is tmp_path, so paths print as content/...)."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(content_dir: Path) -> list[str]:
    _, problems = validate_files(content_files(content_dir))
    return [str(problem) for problem in problems]


def test_fixture_library_is_clean(content: Path) -> None:
    library = load_library(content)
    assert list(library.personas) == ["calm_tester"]
    assert list(library.cases) == ["zh-logistics-test-parcel"]
    assert library.require_rubric().pass_mark == 80


def test_yaml_syntax_error_points_at_the_bad_spot(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "difficulty: easy", "difficulty: [easy")
    assert problems_of(content)[-1].startswith(f"{PERSONA}:8:10: YAML syntax error")


def test_unknown_key_points_at_the_key_and_suggests_the_right_one(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "  patience: 6", "  patiense: 6")
    problems = problems_of(content)
    assert f"{PERSONA}:14:3: unknown key 'patiense'; did you mean 'patience'?" in "\n".join(problems)
    assert f"{PERSONA}:12:1: missing required key 'patience' in temperament" in problems


def test_wrong_type_points_at_the_value(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "  patience: 6", "  patience: lots")
    assert problems_of(content) == [
        f"{PERSONA}:14:13: temperament.patience: Input should be a valid integer (got 'lots')"
    ]


def test_validation_problems_read_in_the_trainers_language_with_path_and_position_unchanged(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "starting_mood: 3", "starting_mood: 12")
    edit(content / "personas/calm_tester.yaml", "  patience: 6", "  patiense: 6")
    _, problems = validate_files(content_files(content))
    chinese = sorted(f"{p.line}:{p.col}: {p.text('zh-CN')}" for p in problems)
    english = sorted(f"{p.line}:{p.col}: {p.text('en')}" for p in problems)
    assert any("temperament.starting_mood:应小于或等于 10(实际为 12)" in line for line in chinese), chinese
    assert any("未知的键 'patiense';是不是想写 'patience'?" in line for line in chinese), chinese
    assert any("缺少必填键 'patience'(位于 temperament)" in line for line in chinese), chinese
    assert [line.split(": ")[0] for line in chinese] == [line.split(": ")[0] for line in english]
    assert all(p.text("en") == p.message for p in problems)


def test_our_own_rules_and_checks_read_in_the_trainers_language_too(content: Path) -> None:
    # a model validator (brackets in a label), a loader check (unknown persona) and a content
    # check (half-width punctuation in Chinese): each in Chinese for a Chinese UI, English as before
    edit(content / "personas/calm_tester.yaml", "  zh: 测试客户", "  zh: 测试客户(理性型)")
    edit(
        content / "casebank/zh-logistics-test-parcel.yaml",
        "brief: 客户咨询包裹为何还没到。",
        "brief: 客户咨询,包裹为何还没到。",
    )
    _, problems = validate_files(content_files(content))
    chinese = {p.text("zh-CN") for p in problems}
    assert any("label '测试客户(理性型)' 带有括号" in text for text in chinese), chinese
    assert "中文里用了半角标点(','→'，'):“客户咨询,包裹为何还没到。”" in chinese, chinese
    english = {p.text("en") for p in problems}
    assert any("label '测试客户(理性型)' has brackets" in text for text in english), english
    assert any(text.startswith("half-width punctuation in Chinese text") for text in english), english
    assert all(p.text("en") == p.message for p in problems)
    edit(content / "personas/calm_tester.yaml", "  zh: 测试客户(理性型)", "  zh: 测试客户")
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "personas: [calm_tester]", "personas: [calm_teste]")
    _, problems = validate_files(content_files(content))
    assert [p.text("zh-CN") for p in problems if p.is_error] == [
        "未知的客户画像 'calm_teste';是不是想写 'calm_tester'?已有的客户画像:calm_tester"
    ]


def test_missing_field_points_at_the_enclosing_mapping(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "customer_wants: 我就想知道包裹什么时候能到。\n", "")
    assert problems_of(content) == [f"{CASE}:2:1: missing required key 'customer_wants' in the top level"]


def test_out_of_range_value(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "starting_mood: 3", "starting_mood: 12")
    assert problems_of(content) == [
        f"{PERSONA}:13:18: temperament.starting_mood: Input should be less than or equal to 10 (got 12)"
    ]


def test_bad_enum_value_lists_the_choices(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "category: logistics", "category: shipping")
    (problem,) = problems_of(content)
    assert problem.startswith(f"{CASE}:4:11: category: Input should be 'presales', 'logistics'")
    assert problem.endswith("(got 'shipping')")


def test_duplicate_id_across_files(content: Path) -> None:
    copy = content / "personas" / "calm_tester_copy.yaml"
    shutil.copy(content / "personas/calm_tester.yaml", copy)
    problems = problems_of(content)
    assert problems == [
        "content/personas/calm_tester_copy.yaml:2:5: duplicate persona id 'calm_tester' (already defined at "
        f"{PERSONA}:2:5); give each persona its own id",
        "content/personas/calm_tester_copy.yaml:2:5: id 'calm_tester' does not match the file name "
        "'calm_tester_copy.yaml'; rename the file to 'calm_tester.yaml' or set id: calm_tester_copy",
    ]


def test_case_referring_to_unknown_persona(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "personas: [calm_tester]", "personas: [calm_teste]")
    assert problems_of(content) == [
        f"{CASE}:8:12: unknown persona 'calm_teste'; did you mean 'calm_tester'? known personas: calm_tester"
    ]


def test_case_referring_to_unknown_criterion(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "[problem_solving]", "[problem_solving, empathy]")
    (problem,) = problems_of(content)
    assert problem.startswith(f"{CASE}:9:35: unknown rubric criterion 'empathy'; criteria: adaptability")


def test_duplicate_key_in_one_mapping(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "channel: chat", "channel: chat\nchannel: phone")
    assert f"{CASE}:6:1: key 'channel' appears twice in the same mapping" in problems_of(content)


def test_all_errors_of_a_run_are_listed(content: Path) -> None:
    edit(content / "personas/calm_tester.yaml", "starting_mood: 3", "starting_mood: -1")
    edit(content / "personas/calm_tester.yaml", "difficulty: easy", "difficulty: extreme")
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "channel: chat", "channel: fax")
    problems = problems_of(content)
    assert [p.split(": ")[0] for p in problems] == [f"{CASE}:5:10", f"{PERSONA}:7:13", f"{PERSONA}:13:18"]
    with pytest.raises(ContentError) as excinfo:
        load_library(content)
    assert len(excinfo.value.problems) == 3


def test_rubric_weights_must_add_up(content: Path) -> None:
    edit(content / "casebank/rubric.yaml", "weight: 20", "weight: 25")
    (problem,) = problems_of(content)
    assert problem.endswith("criterion weights add up to 105; they must add up to 100")


def test_parse_item_validates_an_upload_before_saving() -> None:
    text = (FIXTURE / "personas/calm_tester.yaml").read_text(encoding="utf-8").replace("easy", "trivial", 1)
    item, problems = parse_item(text, "persona", "calm_tester.yaml")
    assert item is None
    assert [str(p) for p in problems] == [
        "calm_tester.yaml:7:13: difficulty: Input should be 'easy', 'medium' or 'hard' (got 'trivial')"
    ]


def test_kind_is_decided_by_folder_then_content(tmp_path: Path) -> None:
    assert kind_of(tmp_path / "personas" / "x.yaml", {}) == "persona"
    assert kind_of(tmp_path / "casebank" / "rubric.yaml", {}) == "rubric"
    assert kind_of(tmp_path / "draft.yaml", {"archetype": "rational"}) == "persona"
    assert kind_of(tmp_path / "draft.yaml", {"category": "fees"}) == "case"


# ----------------------------------------------------------------------------------------------
# Shipped content


def test_every_shipped_file_loads() -> None:
    library = load_library(PROJECT_DIR)
    assert len(library.personas) >= 6
    archetypes = {persona.archetype for persona in library.personas.values()}
    assert {"rational", "emotional", "impatient", "skeptical"} <= archetypes
    zh = [case for case in library.cases.values() if case.language == "zh-CN"]
    en = [case for case in library.cases.values() if case.language == "en"]
    assert len(zh) >= 40 and len(en) >= 12
    assert len({case.category for case in zh}) == 12


def test_every_shipped_file_names_its_schema() -> None:
    for path in content_files(PROJECT_DIR):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = kind_of(path, None)
        up = "../" * (len(path.relative_to(PROJECT_DIR).parts) - 1)
        assert first == f"# yaml-language-server: $schema={up}simulator/schemas/{kind}.schema.json", path


def test_json_schemas_validate_the_shipped_files() -> None:
    for path in content_files(PROJECT_DIR):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        kind = kind_of(path, data)
        # YAML gives int keys for rubric levels; JSON (what the schema describes) has string keys.
        jsonschema.validate(json.loads(json.dumps(data)), schema_for(kind))


@pytest.mark.parametrize("kind", list(SCHEMA_MODELS))
def test_schema_files_are_in_sync_with_the_models(kind: str) -> None:
    stored = (PROJECT_DIR / "simulator" / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert stored == schema_text(kind), "run `python -m simulator.schema_files` to refresh the schema files"


def test_unknown_key_inside_a_list_item_lists_that_items_keys(content: Path) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", "    kind: order_number", "    kindd: order_number")
    problems = problems_of(content)
    assert any(
        p.startswith(f"{CASE}:") and "unknown key 'kindd'; did you mean 'kind'? (allowed here: key, kind, label," in p
        for p in problems
    ), problems
