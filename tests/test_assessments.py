"""The assessment service: creating for a team, the exam pool, hidden results, closing, resits, real chats."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from simulator.content import Library
from simulator.programme.assessment_views import CandidateView
from simulator.programme.assessments import Assessments
from simulator.programme.cards import CardFilters
from simulator.programme.db import ProgrammeDB
from simulator.programme.errors import NotAllowed, ProgrammeError
from tests.programme_fixtures import Clock, People, graded_session, load_programme_library, make_db, make_people


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
def db(tmp_path: Path, clock: Clock) -> ProgrammeDB:
    return make_db(tmp_path, clock)


@pytest.fixture
def service(db: ProgrammeDB, people: People) -> Assessments:
    return Assessments(db, people.accounts.get)


def create(service: Assessments, library: Library, people: People, *names: str, seed: int = 1) -> str:
    return service.create(
        people.mia,
        library,
        trainees=list(names) or ["ann"],
        title="11月上岗考核",
        language="zh-CN",
        rng=random.Random(seed),
    )


def take_theory(service: Assessments, library: Library, people: People, assessment_id: str, right: int) -> float:
    """Start ann's exam and answer ``right`` questions correctly (the rest wrongly)."""
    exam = service.start_theory(people.ann, library, assessment_id)
    answers = {}
    for number, shown in enumerate(exam.questions):
        question = library.questions[shown.question["id"]].question
        good = sorted(question.correct_keys())
        if number < right:
            answers[question.id] = good if question.type == "multiple" else good[0]
        else:
            wrong = [k for k in (question.options or {"true": "", "false": ""}) if k not in good]
            answers[question.id] = wrong[0]
    done = service.quizzes.submit(people.ann, exam.id, answers)
    assert done.score is not None
    return done.score


def play_cards(
    service: Assessments, library: Library, people: People, assessment_id: str, totals: list[float | None]
) -> None:
    """Play ann's cards as graded exam drills with the given totals (None: leave the card unplayed)."""
    view = service.candidate(people.ann, library, assessment_id, "ann")
    store = service.db.store
    cards = [item for item in view.current("practical").items if item.kind == "card"]
    for item, total in zip(cards, totals, strict=True):
        if total is None:
            continue
        sid = graded_session(store, "ann", total=total, case_id=item.case_id, source="exam")
        service.link_card_session(people.ann, assessment_id, item.position, store.get_session(sid))


# ---------------------------------------------------------------------------------------------
# Creating


def test_each_trainee_gets_their_own_cards_from_the_exam_pool_only(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people, "ann", "bo")
    for name in ("ann", "bo"):
        view = service.candidate(people.mia, library, assessment_id, name)
        cards = view.current("practical").items
        assert len(cards) == library.programme.practical.cards == 2
        assert all(card.case_id in library.exam_cases and card.case_id not in library.cases for card in cards)
        assert all(card.case_id and card.case_id.startswith("zh-") for card in cards)
        assert len({card.case_id for card in cards}) == 2
        assert view.policy.assessment.theory_weight == 30 and view.status == "open"


def test_only_a_coach_creates_for_their_own_team(service: Assessments, library: Library, people: People) -> None:
    with pytest.raises(NotAllowed, match="not in a team you coach"):
        service.create(people.mia, library, trainees=["cy"], title="t", language="zh-CN")
    with pytest.raises(NotAllowed):
        service.create(people.tom, library, trainees=["ann"], title="t", language="zh-CN")
    with pytest.raises(ProgrammeError, match="not a trainee account"):
        service.create(people.mia, library, trainees=["mia"], title="t", language="zh-CN")
    assert service.create(people.root, library, trainees=["cy", "ann"], title="t", language="zh-CN")  # admin


def test_a_small_pool_is_refused_with_the_numbers(service: Assessments, library: Library, people: People) -> None:
    with pytest.raises(ProgrammeError) as caught:
        service.create(
            people.mia, library, trainees=["ann"], title="t", language="zh-CN", filters=CardFilters(difficulty="hard")
        )
    assert caught.value.key == "assess_not_enough_cards"
    assert "difficulty=hard" in str(caught.value) and "casebank/exam/" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# What the trainee sees


def test_the_trainee_sees_the_theory_score_but_no_card_score_until_closed(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    score = take_theory(service, library, people, assessment_id, right=18)
    play_cards(service, library, people, assessment_id, [90, 84])
    mine = service.candidate(people.ann, library, assessment_id, "ann")
    assert mine.current("theory").score == score == 90.0
    assert mine.current("practical").state == "done"
    assert mine.current("practical").score is None
    assert all(item.score is None for item in mine.current("practical").items)
    assert mine.result is None
    coach = service.candidate(people.mia, library, assessment_id, "ann")
    assert [item.score for item in coach.current("practical").items] == [90, 84]
    assert coach.result is not None and coach.result.total == 0.3 * 90 + 0.7 * 87
    with pytest.raises(NotAllowed):
        service.candidate(people.bo, library, assessment_id, "ann")
    with pytest.raises(NotAllowed):
        service.candidate(people.sam, library, assessment_id, "ann")


def test_an_exam_card_scorecard_stays_hidden_from_the_trainee_until_closed(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    take_theory(service, library, people, assessment_id, right=20)
    play_cards(service, library, people, assessment_id, [85, 85])
    card = service.candidate(people.mia, library, assessment_id, "ann").current("practical").items[0]
    session = service.db.store.get_session(card.session_id or "")
    assert not service.exam_session_visible(people.ann, session)
    assert not service.exam_session_visible(people.bo, session)
    assert service.exam_session_visible(people.mia, session)
    service.close(people.mia, library, assessment_id, "ann")
    assert service.exam_session_visible(people.ann, session)


def test_a_card_takes_only_the_trainees_own_exam_drill_of_that_card(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    card = service.card(people.ann, assessment_id, 1)
    store = service.db.store
    practice = store.get_session(graded_session(store, "ann", total=99, case_id=card.case_id, source="drill"))
    with pytest.raises(ProgrammeError, match="does not play this card"):
        service.link_card_session(people.ann, assessment_id, 1, practice)
    others = store.get_session(graded_session(store, "bo", total=99, case_id=card.case_id, source="exam"))
    with pytest.raises(ProgrammeError, match="does not play this card"):
        service.link_card_session(people.ann, assessment_id, 1, others)
    with pytest.raises(NotAllowed):
        service.card(people.bo, assessment_id, 1)


# ---------------------------------------------------------------------------------------------
# Closing


def test_close_freezes_the_30_70_result(service: Assessments, library: Library, people: People) -> None:
    assessment_id = create(service, library, people)
    take_theory(service, library, people, assessment_id, right=17)  # 85
    play_cards(service, library, people, assessment_id, [80, 70])  # practical 75
    result = service.close(people.mia, library, assessment_id, "ann")
    assert (result.theory, result.practical, result.total) == (85.0, 75.0, 78.0)
    assert result.passed is False and result.failed_parts == ["practical"] and result.resit_allowed == ["practical"]
    mine = service.candidate(people.ann, library, assessment_id, "ann")
    assert mine.status == "closed" and mine.result is not None and mine.result.total == 78.0
    assert [item.score for item in mine.current("practical").items] == [80, 70]
    with pytest.raises(ProgrammeError, match="closed"):
        service.close(people.mia, library, assessment_id, "ann")
    with pytest.raises(ProgrammeError, match="closed"):
        service.start_theory(people.ann, library, assessment_id)


def test_what_was_not_taken_counts_zero_and_what_runs_blocks_closing(
    service: Assessments, library: Library, people: People, clock: Clock
) -> None:
    assessment_id = create(service, library, people)
    exam = service.start_theory(people.ann, library, assessment_id)
    with pytest.raises(ProgrammeError, match="still in progress"):
        service.close(people.mia, library, assessment_id, "ann")
    clock.advance(minutes=library.programme.theory.minutes + 1)  # the exam runs out unanswered
    assert service.quizzes.view(people.ann, exam.id).status == "expired"
    play_cards(service, library, people, assessment_id, [90, None])  # the second card never played
    result = service.close(people.mia, library, assessment_id, "ann")
    assert (result.theory, result.practical) == (0.0, 45.0)
    assert result.failed_parts == ["theory"]


def test_an_unscored_card_must_be_completed_by_a_mentor_first(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    take_theory(service, library, people, assessment_id, right=20)
    play_cards(service, library, people, assessment_id, [90, None])
    second = service.card(people.ann, assessment_id, 2)
    store = service.db.store
    sid = graded_session(store, "ann", total=None, case_id=second.case_id, source="exam")
    service.link_card_session(people.ann, assessment_id, 2, store.get_session(sid))
    with pytest.raises(ProgrammeError, match="unscored criteria"):
        service.close(people.mia, library, assessment_id, "ann")
    store.add_override(sid, criterion_id="standard_phrasing", new_score=4, reason="checked by hand", author="mia")
    assert service.close(people.mia, library, assessment_id, "ann").practical is not None


# ---------------------------------------------------------------------------------------------
# Resits


def test_a_failed_part_is_retaken_once_with_new_cards_and_both_results_kept(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    take_theory(service, library, people, assessment_id, right=19)  # 95
    play_cards(service, library, people, assessment_id, [70, 70])
    first = service.close(people.mia, library, assessment_id, "ann")
    assert first.total == 77.5 and first.resit_allowed == ["practical"]
    with pytest.raises(ProgrammeError, match="cannot be retaken"):
        service.resit(people.mia, library, assessment_id, "ann", "theory")
    with pytest.raises(NotAllowed):
        service.resit(people.ann, library, assessment_id, "ann", "practical")
    old_cards = {
        i.case_id for i in service.candidate(people.mia, library, assessment_id, "ann").current("practical").items
    }
    assert service.resit(people.mia, library, assessment_id, "ann", "practical") == 2
    view = service.candidate(people.ann, library, assessment_id, "ann")
    assert view.status == "open" and view.current("practical").number == 2
    new_cards = {i.case_id for i in view.current("practical").items}
    assert new_cards - old_cards, "the resit draws cards the trainee has not had when the pool allows"
    play_cards(service, library, people, assessment_id, [85, 90])
    second = service.close(people.mia, library, assessment_id, "ann")
    assert second.practical == 87.5 and second.total == 89.8 and second.passed
    assert [(a.part, a.number, a.score) for a in second.attempts] == [
        ("practical", 1, 70.0),
        ("practical", 2, 87.5),
        ("theory", 1, 95.0),
    ]
    assert second.resit_allowed == []


def test_no_second_resit_by_default(service: Assessments, library: Library, people: People) -> None:
    assessment_id = create(service, library, people)
    take_theory(service, library, people, assessment_id, right=10)  # 50
    play_cards(service, library, people, assessment_id, [90, 90])
    assert service.close(people.mia, library, assessment_id, "ann").resit_allowed == ["theory"]
    service.resit(people.mia, library, assessment_id, "ann", "theory")
    take_theory(service, library, people, assessment_id, right=14)  # 70: fails again
    again = service.close(people.mia, library, assessment_id, "ann")
    assert again.theory == 70.0 and again.passed is False and again.resit_allowed == []
    with pytest.raises(ProgrammeError, match="resit"):
        service.resit(people.mia, library, assessment_id, "ann", "theory")


# ---------------------------------------------------------------------------------------------
# Real chats


def test_real_chats_count_half_of_the_practical_and_need_three_to_five(
    service: Assessments, library: Library, people: People
) -> None:
    assessment_id = create(service, library, people)
    store = service.db.store
    chats = [store.get_session(graded_session(store, "ann", total=t, source="import")) for t in (60, 70, 80, 90)]
    assert service.add_real_chats(people.mia, library, assessment_id, "ann", chats[:2]) == 2
    take_theory(service, library, people, assessment_id, right=20)
    play_cards(service, library, people, assessment_id, [90, 90])
    with pytest.raises(ProgrammeError, match="at least 3"):
        service.close(people.mia, library, assessment_id, "ann")
    assert service.add_real_chats(people.mia, library, assessment_id, "ann", chats[1:3]) == 3  # one already in
    result = service.close(people.mia, library, assessment_id, "ann")
    assert result.practical == 80.0  # cards 90, chats 70: half each


def test_real_chats_must_be_the_trainees_imported_logs(service: Assessments, library: Library, people: People) -> None:
    assessment_id = create(service, library, people)
    store = service.db.store
    drill = store.get_session(graded_session(store, "ann", total=90, source="drill"))
    with pytest.raises(ProgrammeError, match="not an imported real chat of ann"):
        service.add_real_chats(people.mia, library, assessment_id, "ann", [drill])
    boss = store.get_session(graded_session(store, "bo", total=90, source="import"))
    with pytest.raises(ProgrammeError, match="not an imported real chat"):
        service.add_real_chats(people.mia, library, assessment_id, "ann", [boss])
    english = store.get_session(graded_session(store, "ann", total=90, source="import", language="en"))
    with pytest.raises(ProgrammeError, match="not in zh-CN"):
        service.add_real_chats(people.mia, library, assessment_id, "ann", [english])
    many = [store.get_session(graded_session(store, "ann", total=90, source="import")) for _ in range(6)]
    with pytest.raises(ProgrammeError, match="At most 5"):
        service.add_real_chats(people.mia, library, assessment_id, "ann", many)
    with pytest.raises(NotAllowed):
        service.add_real_chats(people.sam, library, assessment_id, "ann", many[:3])


# ---------------------------------------------------------------------------------------------
# The theory key and the policy snapshot


def test_after_close_policy_keeps_the_key_until_the_result_is_closed(
    tmp_path: Path, library: Library, people: People, db: ProgrammeDB
) -> None:
    import dataclasses

    policy = library.programme.model_copy(
        update={"theory": library.programme.theory.model_copy(update={"show_answers": "after_close"})}
    )
    closed_book = dataclasses.replace(library, programme=policy)
    service = Assessments(db, people.accounts.get)
    assessment_id = create(service, closed_book, people)
    take_theory(service, closed_book, people, assessment_id, right=20)
    exam_id = service.candidate(people.ann, closed_book, assessment_id, "ann").current("theory").quiz_attempt_id
    assert exam_id is not None
    assert not service.quizzes.view(people.ann, exam_id).reviewed
    play_cards(service, library, people, assessment_id, [90, 90])
    service.close(people.mia, closed_book, assessment_id, "ann")
    assert service.quizzes.view(people.ann, exam_id).reviewed


def test_trainees_list_their_own_assessments(service: Assessments, library: Library, people: People) -> None:
    first = create(service, library, people, "ann", "bo")
    create(service, library, people, "bo")
    mine: list[CandidateView] = service.for_trainee(people.ann, library)
    assert [view.assessment_id for view in mine] == [first]
    assert len(service.for_trainee(people.bo, library)) == 2
    assert [row[0] for row in service.visible_to(people.sam)] == []
    assert len(service.visible_to(people.mia)) == 2
