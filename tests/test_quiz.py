"""Quiz drawing, answer reading and scoring, and quiz attempts on the server (timers, visibility)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from simulator.content import Library
from simulator.programme import quiz
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.models import Question, QuizSpec
from simulator.programme.quiz_attempts import QuizAttempts
from tests.programme_fixtures import Clock, People, load_programme_library, make_db, make_people


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return load_programme_library(tmp_path_factory.mktemp("content"))


@pytest.fixture
def people(tmp_path: Path) -> People:
    return make_people(tmp_path / "users.yaml")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def attempts(tmp_path: Path, clock: Clock, people: People) -> QuizAttempts:
    return QuizAttempts(make_db(tmp_path, clock), people.accounts.get)


def bank_question(library: Library, qid: str) -> Question:
    return library.questions[qid].question


# ---------------------------------------------------------------------------------------------
# Pure rules


def test_draw_respects_language_tags_difficulty_and_is_seeded(library: Library) -> None:
    bank = list(library.questions.values())
    spec = QuizSpec(tags=["phrasing"], difficulty="easy", questions=2)
    first = quiz.draw(bank, "zh-CN", spec, random.Random(7))
    assert len(first) == 2
    for question in first:
        assert "phrasing" in question.tags and question.difficulty == "easy" and question.id.startswith("zh-")
    assert [q.id for q in quiz.draw(bank, "zh-CN", spec, random.Random(7))] == [q.id for q in first]


def test_draw_says_how_many_fit_when_too_few(library: Library) -> None:
    spec = QuizSpec(tags=["phrasing"], difficulty="easy", questions=50)
    with pytest.raises(ProgrammeError) as caught:
        quiz.draw(list(library.questions.values()), "en", spec, random.Random(1))
    assert caught.value.key == "quiz_not_enough" and caught.value.values["asked"] == 50
    assert "Add questions to casebank/quizzes/" in str(caught.value)


def test_read_answer_accepts_the_forms_the_app_sends(library: Library) -> None:
    single = bank_question(library, "zh-q00")  # single
    multiple = bank_question(library, "zh-q01")  # multiple
    true_false = bank_question(library, "zh-q02")  # true/false
    assert quiz.read_answer(single, "b") == ["b"]
    assert quiz.read_answer(multiple, ["c", "a", "c"]) == ["a", "c"]
    assert quiz.read_answer(true_false, "True") == ["true"] and quiz.read_answer(true_false, False) == ["false"]
    assert quiz.read_answer(single, None) == [] and quiz.read_answer(multiple, []) == []
    with pytest.raises(ProgrammeError, match="not one of its options"):
        quiz.read_answer(single, "z")
    with pytest.raises(ProgrammeError, match="takes one answer"):
        quiz.read_answer(single, ["a", "b"])
    with pytest.raises(ProgrammeError, match="true, false"):
        quiz.read_answer(true_false, "maybe")


def test_score_is_all_or_nothing_per_question(library: Library) -> None:
    questions = [bank_question(library, qid) for qid in ("zh-q00", "zh-q01", "zh-q02", "zh-q03")]
    right = {q.id: sorted(q.correct_keys()) for q in questions}
    assert quiz.score(questions, right).score == 100.0
    partial = {**right, "zh-q01": ["a"]}  # multiple: one of the two right options only
    marked = quiz.score(questions, partial)
    assert (marked.score, marked.correct, marked.total) == (75.0, 3, 4)
    assert [r.correct for r in marked.results] == [True, False, True, True]
    assert quiz.score(questions, {}).score == 0.0
    assert quiz.score([], {}).score == 0.0


def test_public_question_has_no_answer_or_explanation(library: Library) -> None:
    shown = quiz.public_question(bank_question(library, "zh-q03"))
    assert set(shown) == {"id", "type", "tags", "difficulty", "prompt", "customer_line", "options"}
    assert shown["customer_line"] == "customer line 3"


# ---------------------------------------------------------------------------------------------
# Practice


def test_practice_explains_each_answer_at_once_and_locks_it(
    attempts: QuizAttempts, library: Library, people: People
) -> None:
    view = attempts.start(people.ann, library, language="zh-CN", spec=QuizSpec(questions=3), rng=random.Random(3))
    assert view.mode == "practice" and view.deadline_at is None and view.total == 3
    assert all(q.answer is None and q.explanation is None for q in view.questions)
    first = view.questions[0]
    question = bank_question(library, first.question["id"])
    wrong = next(key for key in question.options or {"x": ""} if key not in question.correct_keys())
    raw = wrong if question.type != "true_false" else str(not question.answer)
    after = attempts.answer(people.ann, view.id, question.id, raw)
    shown = after.questions[0]
    assert shown.correct is False and shown.explanation == question.explanation
    assert shown.answer == sorted(question.correct_keys())
    assert after.questions[1].explanation is None  # not answered yet: still closed
    with pytest.raises(ProgrammeError, match="already answered"):
        attempts.answer(people.ann, view.id, question.id, sorted(question.correct_keys())[0])
    done = attempts.submit(people.ann, view.id)
    assert done.status == "submitted" and done.score == 0.0 and done.reviewed


# ---------------------------------------------------------------------------------------------
# Exams: closed, timed on the server


def test_an_exam_never_shows_the_key_before_it_is_handed_in(
    attempts: QuizAttempts, library: Library, people: People
) -> None:
    view = attempts.start(
        people.ann, library, language="zh-CN", spec=QuizSpec(questions=4), mode="exam", minutes=30, rng=random.Random(1)
    )
    assert view.seconds_left == 30 * 60
    for question in view.questions:
        assert question.answer is None and question.explanation is None and question.correct is None
        assert "answer" not in question.question and "explanation" not in question.question
        answered = attempts.answer(people.ann, view.id, question.question["id"], _right(library, question.question))
        assert all(q.answer is None and q.explanation is None for q in answered.questions)
    # an answer may change until the exam is handed in
    qid = view.questions[0].question["id"]
    attempts.answer(people.ann, view.id, qid, _right(library, view.questions[0].question))
    done = attempts.submit(people.ann, view.id)
    assert done.status == "submitted" and done.score == 100.0 and done.correct == 4
    assert all(q.explanation for q in done.questions)
    with pytest.raises(ProgrammeError, match="handed in"):
        attempts.answer(people.ann, view.id, qid, "a")


def test_the_deadline_is_kept_by_the_server(
    attempts: QuizAttempts, library: Library, people: People, clock: Clock
) -> None:
    view = attempts.start(
        people.ann, library, language="en", spec=QuizSpec(questions=2), mode="exam", minutes=10, rng=random.Random(2)
    )
    first, second = (q.question for q in view.questions)
    attempts.answer(people.ann, view.id, first["id"], _right(library, first))
    clock.advance(minutes=9, seconds=59)
    assert attempts.view(people.ann, view.id).seconds_left == 1
    clock.advance(seconds=2)
    with pytest.raises(ProgrammeError) as caught:
        attempts.answer(people.ann, view.id, second["id"], _right(library, second))
    assert caught.value.key == "quiz_time_up"
    marked = attempts.view(people.ann, view.id)
    assert marked.status == "expired" and marked.score == 50.0  # only the answer saved in time counts
    # handing in late keeps the mark made at the deadline and ignores the late answers
    late = attempts.submit(people.ann, view.id, {second["id"]: _right(library, second)})
    assert late.status == "expired" and late.score == 50.0


def test_an_exam_left_open_is_marked_when_next_read(
    attempts: QuizAttempts, library: Library, people: People, clock: Clock
) -> None:
    view = attempts.start(
        people.bo, library, language="zh-CN", spec=QuizSpec(questions=2), mode="exam", minutes=5, rng=random.Random(4)
    )
    clock.advance(minutes=6)
    (listed,) = attempts.for_user(people.bo, "bo", mode="exam")
    assert listed.id == view.id and listed.status == "expired" and listed.score == 0.0


def test_the_key_waits_for_the_review_rule(tmp_path: Path, clock: Clock, library: Library, people: People) -> None:
    closed = QuizAttempts(make_db(tmp_path, clock), people.accounts.get, review_rule=lambda row, viewer: False)
    view = closed.start(
        people.ann, library, language="zh-CN", spec=QuizSpec(questions=2), mode="exam", minutes=5, rng=random.Random(5)
    )
    done = closed.submit(people.ann, view.id, {q.question["id"]: "a" for q in view.questions if q.question["options"]})
    assert done.score is not None and not done.reviewed
    assert all(q.explanation is None and q.answer is None for q in done.questions)
    # the mentor of ann's team sees the key at once
    assert closed.view(people.mia, view.id).reviewed


# ---------------------------------------------------------------------------------------------
# Who may see what


def test_only_the_owner_answers_and_only_their_coaches_look(
    attempts: QuizAttempts, library: Library, people: People
) -> None:
    view = attempts.start(people.ann, library, language="zh-CN", spec=QuizSpec(questions=1), rng=random.Random(6))
    qid = view.questions[0].question["id"]
    for intruder in (people.bo, people.mia, people.root):
        with pytest.raises(NotAllowed):
            attempts.answer(intruder, view.id, qid, "a")
    for outsider in (people.bo, people.sam, people.tom):
        with pytest.raises(NotAllowed):
            attempts.view(outsider, view.id)
    assert attempts.view(people.mia, view.id).user_name == "ann"  # coaches north
    assert attempts.view(people.root, view.id).user_name == "ann"  # admin
    assert attempts.for_user(people.sam, "ann") == []
    with pytest.raises(NotAllowed):
        attempts.start(people.mia, library, language="zh-CN", spec=QuizSpec(questions=1))


def _right(library: Library, shown: dict) -> object:
    question = library.questions[shown["id"]].question
    if question.type == "true_false":
        return question.answer
    keys = sorted(question.correct_keys())
    return keys if question.type == "multiple" else keys[0]
