"""The question bank, curricula and exam cases load through the content loader with precise errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from simulator.config import PROJECT_DIR
from simulator.content import content_files, load_library, validate_files
from simulator.programme.models import QUESTION_TYPES, Question, QuestionTag
from tests.offline_fixtures import write_content, zh_case_data

QUIZ = "content/casebank/quizzes/zh-basics.yaml"

ZH_QUESTIONS = """\
# yaml-language-server: $schema=../../simulator/schemas/question.schema.json
language: zh-CN
questions:
  - id: zh-q-opening
    type: single
    tags: [phrasing]
    difficulty: easy
    prompt: 开场白必须包含哪三个要素？
    options:
      a: 问候、自报家门、询问需求
      b: 问候、报价、挂断
    answer: a
    explanation: 三要素让客户知道被谁接待、可以说需求了。
  - id: zh-q-order
    type: true_false
    tags: [scenario]
    difficulty: medium
    prompt: 投诉处理要先道歉，再倾听，后解决。
    answer: true
    explanation: 先接住情绪，才能听清问题。
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The small offline library plus one question file (cwd is tmp_path: paths print as content/...)."""
    root = write_content(tmp_path / "content")
    (root / "casebank" / "quizzes").mkdir()
    (root / "casebank" / "quizzes" / "zh-basics.yaml").write_text(ZH_QUESTIONS, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    _, problems = validate_files(content_files(root))
    return [str(problem) for problem in problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The shipped bank


def test_shipped_bank_has_enough_questions_of_every_type_in_both_languages() -> None:
    library = load_library(PROJECT_DIR)
    by_language = Counter(entry.language for entry in library.questions.values())
    assert by_language["zh-CN"] >= 60 and by_language["en"] >= 20
    for language in ("zh-CN", "en"):
        questions = [e.question for e in library.questions.values() if e.language == language]
        assert {q.type for q in questions} == set(QUESTION_TYPES), language
        assert {tag for q in questions for tag in q.tags} == set(QuestionTag), language
        assert {q.difficulty for q in questions} == {"easy", "medium", "hard"}, language


def test_shipped_curricula_cover_every_level_in_both_languages() -> None:
    library = load_library(PROJECT_DIR)
    levels = {(c.language, c.level) for c in library.curricula.values()}
    assert levels == {(lang, level) for lang in ("zh-CN", "en") for level in ("new_hire", "experienced", "senior")}
    for curriculum in library.curricula.values():
        assert {item.kind for item in curriculum.items} == {"drill", "quiz"}, curriculum.id


def test_shipped_answers_are_spread_over_the_options() -> None:
    # A bank whose answer is nearly always 'a' teaches trainees to guess 'a'.
    library = load_library(PROJECT_DIR)
    single = [e.question.answer for e in library.questions.values() if e.question.type in ("single", "best_reply")]
    most_common_share = Counter(single).most_common(1)[0][1] / len(single)
    assert most_common_share <= 0.5, Counter(single)
    true_false = [e.question.answer for e in library.questions.values() if e.question.type == "true_false"]
    assert 0.25 <= sum(true_false) / len(true_false) <= 0.75, Counter(true_false)


# ---------------------------------------------------------------------------------------------
# Question errors point at the spot


def test_fixture_bank_loads(content: Path) -> None:
    library = load_library(content)
    assert sorted(library.questions) == ["zh-q-opening", "zh-q-order"]
    assert library.questions["zh-q-order"].language == "zh-CN"
    assert library.questions["zh-q-order"].question.correct_keys() == {"true"}


def test_answer_that_is_not_an_option(content: Path) -> None:
    edit(content / "casebank/quizzes/zh-basics.yaml", "    answer: a", "    answer: c")
    assert problems_of(content) == [
        f"{QUIZ}:4:5: questions.0: answer c is not one of the options (a, b)",
    ]


def test_unknown_key_is_named_with_a_suggestion(content: Path) -> None:
    edit(content / "casebank/quizzes/zh-basics.yaml", "    explanation: 三要素", "    explaination: 三要素")
    (problem,) = [p for p in problems_of(content) if "explaination" in p]
    assert problem.startswith(f"{QUIZ}:13:5: unknown key 'explaination'; did you mean 'explanation'?")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    answer: true", "    answer: a", "a true_false answer is true or false"),
        ("    answer: true", "    answer: true\n    options: {a: 对, b: 错}", "a true_false question has no options"),
        ("    type: single", "    type: multiple", "a multiple question's answer is a list of two or more letters"),
        ("    type: single", "    type: best_reply", "a best_reply question needs customer_line"),
        ("    answer: a", "    answer: [a, b]\n", "a single question's answer is one letter"),
    ],
)
def test_answer_must_fit_the_type(content: Path, old: str, new: str, message: str) -> None:
    edit(content / "casebank/quizzes/zh-basics.yaml", old, new)
    problems = problems_of(content)
    assert any(message in p and p.startswith(f"{QUIZ}:") for p in problems), problems


def test_multiple_choice_needs_a_wrong_option() -> None:
    with pytest.raises(ValueError, match="leave at least one wrong option"):
        Question.model_validate(
            {
                "id": "q-all",
                "type": "multiple",
                "tags": ["phrasing"],
                "difficulty": "easy",
                "prompt": "p",
                "options": {"a": "x", "b": "y"},
                "answer": ["a", "b"],
                "explanation": "e",
            }
        )


def test_duplicate_question_ids_across_files(content: Path) -> None:
    copy = content / "casebank/quizzes/zh-more.yaml"
    copy.write_text(ZH_QUESTIONS, encoding="utf-8")
    problems = problems_of(content)
    assert (
        "content/casebank/quizzes/zh-more.yaml:4:9: duplicate question id 'zh-q-opening' "
        f"(already used in {QUIZ}:4:9); give each question its own id"
    ) in problems


def test_bad_tag_lists_the_allowed_ones(content: Path) -> None:
    edit(content / "casebank/quizzes/zh-basics.yaml", "tags: [phrasing]", "tags: [phrase]")
    (problem,) = problems_of(content)
    assert problem.startswith(f"{QUIZ}:6:12: questions.0.tags.0: Input should be 'phrasing', 'scenario'")


# ---------------------------------------------------------------------------------------------
# Curricula


def curriculum(**changes: object) -> dict:
    data: dict = {
        "id": "zh-starter",
        "level": "new_hire",
        "language": "zh-CN",
        "title": "新人第一周",
        "description": "先练开场。",
        "items": [
            {"id": "q1", "title": "小测", "quiz": {"tags": ["phrasing"], "questions": 1}, "due_days": 1},
            {"id": "d1", "title": "对练", "drill": {"case": "zh-test-late-parcel"}, "due_days": 2},
        ],
    }
    data.update(changes)
    return data


def test_curriculum_loads_and_knows_its_targets(content: Path) -> None:
    write_yaml(content / "casebank/curricula/zh-starter.yaml", curriculum(target=85))
    library = load_library(content)
    loaded = library.curricula["zh-starter"]
    assert [item.kind for item in loaded.items] == ["quiz", "drill"]
    assert loaded.target_of(loaded.items[0]) == 85


def test_curriculum_errors_point_at_the_item(content: Path) -> None:
    data = curriculum()
    data["items"][1]["drill"]["case"] = "zh-test-late-parcl"
    data["items"][0]["quiz"]["questions"] = 5
    write_yaml(content / "casebank/curricula/zh-starter.yaml", data)
    problems = problems_of(content)
    where = "content/casebank/curricula/zh-starter.yaml"
    assert any(
        p.startswith(f"{where}:") and "unknown case 'zh-test-late-parcl'; did you mean 'zh-test-late-parcel'?" in p
        for p in problems
    ), problems
    assert any(
        "the bank has 1 zh-CN question(s) with these tags and difficulty; this quiz asks for 5" in p for p in problems
    ), problems


def test_curriculum_item_needs_exactly_one_kind_and_matching_language(content: Path) -> None:
    data = curriculum(language="en")
    data["items"][0]["drill"] = {"case": "zh-test-late-parcel"}
    write_yaml(content / "casebank/curricula/zh-starter.yaml", data)
    problems = " | ".join(problems_of(content))
    assert "give exactly one of 'drill'" in problems
    data = curriculum(language="en")
    write_yaml(content / "casebank/curricula/zh-starter.yaml", data)
    problems = " | ".join(problems_of(content))
    assert "case 'zh-test-late-parcel' is in zh-CN; this curriculum is in en" in problems


# ---------------------------------------------------------------------------------------------
# Exam cases are kept apart


def exam_case(case_id: str = "zh-exam-late-parcel") -> dict:
    data = zh_case_data()
    data["id"] = case_id
    data["title"] = "考试卡：快递延误"
    return data


def test_exam_cases_are_kept_apart_from_practice(content: Path) -> None:
    write_yaml(content / "casebank/exam/zh-exam-late-parcel.yaml", exam_case())
    library = load_library(content)
    assert "zh-exam-late-parcel" in library.exam_cases
    assert "zh-exam-late-parcel" not in library.cases
    assert library.exam_case("zh-exam-late-parcel").title == "考试卡：快递延误"
    assert "zh-exam-late-parcel" in library.with_exam_cases().cases
    assert "zh-exam-late-parcel" not in library.cases  # the copy did not touch the original


def test_an_exam_case_cannot_share_an_id_or_be_assigned_for_practice(content: Path) -> None:
    write_yaml(content / "casebank/exam/zh-test-late-parcel.yaml", exam_case("zh-test-late-parcel"))
    assert any("duplicate case id 'zh-test-late-parcel'" in p for p in problems_of(content))
    (content / "casebank/exam/zh-test-late-parcel.yaml").unlink()
    write_yaml(content / "casebank/exam/zh-exam-late-parcel.yaml", exam_case())
    data = curriculum()
    data["items"][1]["drill"]["case"] = "zh-exam-late-parcel"
    write_yaml(content / "casebank/curricula/zh-starter.yaml", data)
    assert any(
        "is kept for exams (casebank/exam/) and cannot be assigned for practice" in p for p in problems_of(content)
    )


def test_an_exam_case_naming_an_unknown_persona_is_reported(content: Path) -> None:
    data = exam_case()
    data["personas"] = ["nobody_here"]
    write_yaml(content / "casebank/exam/zh-exam-late-parcel.yaml", data)
    assert any("unknown persona 'nobody_here'" in p for p in problems_of(content))


# ---------------------------------------------------------------------------------------------
# The programme policy


def test_policy_defaults_are_the_materials_figures(content: Path) -> None:
    policy = load_library(content).programme  # no programme.yaml: the defaults
    assert (policy.assessment.theory_weight, policy.assessment.practical_weight) == (30, 70)
    assert policy.assessment.pass_mark == 80 and policy.assessment.theory_pass_mark == 80
    assert policy.assessment.resits == 1
    assert (policy.practical.real_chats_min, policy.practical.real_chats_max) == (3, 5)


def test_policy_weights_must_add_up(content: Path) -> None:
    (content / "casebank/programme.yaml").write_text(
        "assessment:\n  theory_weight: 40\n  practical_weight: 70\n", encoding="utf-8"
    )
    assert problems_of(content) == [
        "content/casebank/programme.yaml:2:3: assessment: theory_weight + practical_weight must be 100 (got 40 + 70)"
    ]
