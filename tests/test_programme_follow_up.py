"""Assignments by level, ratings of scorecards, their agreement with overrides, and the team view."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from simulator.content import Library
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.feedback_eval import agreement_report, format_report, rated_sessions
from simulator.programme.models import QuizSpec
from simulator.programme.service import Programme
from simulator.programme.team_view import month_of, to_csv
from simulator.store import SessionStore
from tests.programme_fixtures import START, Clock, People, graded_session, load_programme_library, make_people


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
def programme(tmp_path: Path, clock: Clock, people: People) -> Programme:
    return Programme(SessionStore(f"sqlite:///{tmp_path / 'drill.db'}"), people.accounts, clock)


def store(programme: Programme) -> SessionStore:
    return programme.db.store


# ---------------------------------------------------------------------------------------------
# Assignments


def test_a_curriculum_becomes_dated_assignments_with_targets(
    programme: Programme, library: Library, people: People
) -> None:
    ids = programme.assignments.assign_curriculum(people.mia, library, "ann", "zh-starter")
    assert len(ids) == 2
    quiz, drill = programme.assignments.for_trainee(people.ann, "ann", library.rubric)
    today = START.astimezone().date()
    assert (quiz.kind, quiz.due_on, quiz.target, quiz.state) == ("quiz", today + timedelta(days=1), 80, "not_started")
    assert (drill.kind, drill.due_on, drill.spec["case"]) == ("drill", today + timedelta(days=3), "zh-test-late-parcel")
    assert quiz.curriculum_id == "zh-starter" and not quiz.overdue


def test_only_coaches_assign_and_see_and_unknown_items_are_refused(
    programme: Programme, library: Library, people: People
) -> None:
    with pytest.raises(NotAllowed):
        programme.assignments.assign_curriculum(people.sam, library, "ann", "zh-starter")
    with pytest.raises(ProgrammeError, match="curricula: zh-starter"):
        programme.assignments.assign_curriculum(people.mia, library, "ann", "zh-nothing")
    with pytest.raises(ProgrammeError, match="exam cards cannot be assigned"):
        programme.assignments.assign_drill(
            people.mia, library, "ann", "zh-exam-parcel-a", due_on=date(2026, 11, 9), target=80
        )
    programme.assignments.assign_drill(
        people.mia, library, "ann", "zh-test-late-parcel", due_on=date(2026, 11, 9), target=80
    )
    with pytest.raises(NotAllowed):
        programme.assignments.for_trainee(people.bo, "ann", library.rubric)
    with pytest.raises(NotAllowed):
        programme.assignments.for_trainee(people.sam, "ann", library.rubric)
    assert len(programme.assignments.for_trainee(people.root, "ann", library.rubric)) == 1


def test_a_drill_is_done_once_a_practice_session_reaches_the_target(
    programme: Programme, library: Library, people: People, clock: Clock
) -> None:
    graded_session(store(programme), "ann", total=95, case_id="zh-test-late-parcel", started=clock.now)  # before it
    clock.advance(minutes=5)
    assignment = programme.assignments.assign_drill(
        people.mia, library, "ann", "zh-test-late-parcel", due_on=date(2026, 11, 4), target=80
    )
    clock.advance(hours=1)

    def status():  # type: ignore[no-untyped-def]
        (found,) = [
            s for s in programme.assignments.for_trainee(people.ann, "ann", library.rubric) if s.id == assignment
        ]
        return found

    assert status().state == "not_started"
    graded_session(store(programme), "ann", total=72, case_id="zh-test-late-parcel", started=clock.now)
    assert (status().state, status().best, status().attempts) == ("in_progress", 72, 1)
    graded_session(store(programme), "ann", total=99, case_id="zh-test-late-parcel", source="exam", started=clock.now)
    assert status().state == "in_progress"  # an exam card is not practice
    clock.advance(days=3)  # past the due date
    assert status().overdue
    assert [s.id for s in programme.assignments.overdue(people.mia, ["ann", "cy"], library.rubric)] == [assignment]
    graded_session(store(programme), "ann", total=86, case_id="zh-test-late-parcel", started=clock.now)
    done = status()
    assert done.state == "done" and done.best == 86 and not done.overdue and done.completed_at is not None


def test_a_quiz_assignment_is_started_by_its_trainee_and_done_at_the_target(
    programme: Programme, library: Library, people: People
) -> None:
    assignment = programme.assignments.assign_quiz(
        people.mia,
        library,
        "ann",
        QuizSpec(tags=["scenario"], questions=3),
        language="zh-CN",
        due_on=date(2026, 11, 5),
        target=60,
        title="场景判断小测",
    )
    with pytest.raises(NotAllowed):
        programme.start_assignment_quiz(people.bo, library, assignment)
    attempt = programme.start_assignment_quiz(people.ann, library, assignment)
    assert attempt.mode == "practice" and attempt.total == 3 and attempt.assignment_id == assignment
    answers = {}
    for shown in attempt.questions:
        question = library.questions[shown.question["id"]].question
        keys = sorted(question.correct_keys())
        answers[question.id] = (
            question.answer if question.type == "true_false" else keys if question.type == "multiple" else keys[0]
        )
    programme.quizzes.submit(people.ann, attempt.id, answers)
    (status,) = programme.assignments.for_trainee(people.ann, "ann", library.rubric)
    assert status.state == "done" and status.best == 100.0


def test_a_cancelled_assignment_leaves_the_list(programme: Programme, library: Library, people: People) -> None:
    assignment = programme.assignments.assign_drill(
        people.mia, library, "ann", "zh-test-late-parcel", due_on=date(2026, 11, 9), target=80
    )
    with pytest.raises(NotAllowed):
        programme.assignments.cancel(people.ann, assignment)
    programme.assignments.cancel(people.mia, assignment)
    assert programme.assignments.for_trainee(people.ann, "ann", library.rubric) == []


# ---------------------------------------------------------------------------------------------
# Ratings


def test_a_trainee_rates_their_own_graded_scorecard(programme: Programme, people: People) -> None:
    sid = graded_session(store(programme), "ann", total=70)
    rating = programme.ratings.rate(people.ann, sid, fair=2, useful=4, comment="  扣分没说清楚  ")
    assert (rating.fair, rating.useful, rating.comment) == (2, 4, "扣分没说清楚")
    programme.ratings.rate(people.ann, sid, fair=3, useful=4)  # rating again replaces it
    assert programme.ratings.of_session(people.mia, sid).fair == 3  # type: ignore[union-attr]
    for intruder in (people.bo, people.mia):
        with pytest.raises(NotAllowed):
            programme.ratings.rate(intruder, sid, fair=5, useful=5)
    with pytest.raises(NotAllowed):
        programme.ratings.of_session(people.sam, sid)
    with pytest.raises(ProgrammeError, match="rated 1 to 5"):
        programme.ratings.rate(people.ann, sid, fair=6, useful=3)
    with pytest.raises(ProgrammeError, match="DRILL_MAX_COMMENT_CHARS"):
        programme.ratings.rate(people.ann, sid, fair=3, useful=3, comment="长" * 5000)


def test_an_exam_scorecard_is_rated_only_once_its_result_is_out(
    programme: Programme, library: Library, people: People
) -> None:
    assessment_id = programme.assessments.create(
        people.mia, library, trainees=["ann"], title="考核", language="zh-CN", rng=random.Random(3)
    )
    card = programme.assessments.card(people.ann, assessment_id, 1)
    sid = graded_session(store(programme), "ann", total=90, case_id=card.case_id, source="exam")
    programme.assessments.link_card_session(people.ann, assessment_id, 1, store(programme).get_session(sid))
    with pytest.raises(ProgrammeError, match="cannot be rated yet"):
        programme.ratings.rate(people.ann, sid, fair=4, useful=4)


def test_agreement_between_ratings_and_overrides(programme: Programme, people: People) -> None:
    db = store(programme)
    unfair_raised = graded_session(db, "ann", total=60)
    unfair_kept = graded_session(db, "ann", total=65)
    fair_kept = graded_session(db, "bo", total=90)
    fair_lowered = graded_session(db, "bo", total=95)
    db.add_override(unfair_raised, criterion_id="standard_phrasing", new_score=5, reason="问候完整", author="mia")
    db.add_override(fair_lowered, criterion_id="compliance", new_score=2, reason="漏了核验", author="mia")
    db.add_override(
        fair_kept, criterion_id="compliance", new_score=4, reason="same as before", author="mia"
    )  # no change
    for sid, user, fair in (
        (unfair_raised, people.ann, 1),
        (unfair_kept, people.ann, 2),
        (fair_kept, people.bo, 5),
        (fair_lowered, people.bo, 4),
    ):
        programme.ratings.rate(user, sid, fair=fair, useful=3)
    rows = rated_sessions(db, programme.ratings.all(), low_fairness_at_most=2)
    report = agreement_report(rows, low_fairness_at_most=2)
    assert (report.unfair_and_overridden, report.unfair_not_overridden) == (1, 1)
    assert (report.fair_but_overridden, report.fair_not_overridden) == (1, 1)
    assert report.agreement == 0.5 and report.kappa == 0.0
    assert (report.raised_when_unfair, report.lowered_when_unfair) == (1, 0)
    assert report.mean_fair_overridden == 2.5 and report.mean_fair_not_overridden == 3.5
    assert len(report.data_fingerprint) == 16
    assert "agreement: 50.0 %" in format_report(report)
    empty = agreement_report([], 2)
    assert empty.agreement is None and empty.kappa is None and "No rated scorecards yet" in format_report(empty)


# ---------------------------------------------------------------------------------------------
# The team view


def test_month_parsing() -> None:
    month = month_of("2026-11")
    assert (
        month.label == "2026-11"
        and month.previous.label == "2026-10"
        and month_of("2026-01").previous.label == "2025-12"
    )
    with pytest.raises(ProgrammeError, match="YYYY-MM"):
        month_of("Nov 2026")


def test_the_team_view_for_a_month(programme: Programme, library: Library, people: People, clock: Clock) -> None:
    db = store(programme)
    november = START + timedelta(days=3)
    october = START - timedelta(days=10)
    for total, scores in ((92, {"standard_phrasing": 5, "compliance": 4}), (88, None), (84, None)):
        graded_session(db, "ann", total=total, started=november, scores=scores)
    for total in (70, 75, 90):
        graded_session(db, "bo", total=total, started=november, scores={"standard_phrasing": 2, "compliance": 4})
    graded_session(db, "bo", total=60, started=october)
    graded_session(db, "cy", total=99, started=november)  # south: not mia's team
    programme.assignments.assign_drill(
        people.mia, library, "bo", "en-test-double-charge", due_on=date(2026, 11, 3), target=80
    )
    clock.advance(days=5)
    view = programme.team_view(people.mia, library, month_of("2026-11"))
    assert [row.name for row in view.trainees] == ["ann", "bo"]
    ann, bo = view.trainees
    assert (ann.drills, ann.mean_total, ann.pass_rate) == (3, 88.0, 1.0)
    assert (bo.drills, bo.mean_total, bo.trend, bo.overdue) == (3, 78.3, 18.3, 1)
    assert bo.weakest[0] == "standard_phrasing"
    assert view.weakest_criteria[0].criterion_id == "standard_phrasing"
    assert [row.name for row in view.best_performers] == ["ann", "bo"]
    assert view.hardest_cases[0].case_id == "zh-test-late-parcel" and view.hardest_cases[0].sessions == 6
    assert sum(week.sessions for week in view.weekly) == 6
    assert view.teams == ["north"]
    rows = list(csv.DictReader(io.StringIO(to_csv(view))))
    assert [(r["trainee"], r["best_performer_rank"], r["overdue"]) for r in rows] == [
        ("ann", "1", "0"),
        ("bo", "2", "1"),
    ]
    # an admin sees every team; another mentor only theirs
    assert [row.name for row in programme.team_view(people.root, library, month_of("2026-11")).trainees] == [
        "ann",
        "bo",
        "cy",
    ]
    assert [row.name for row in programme.team_view(people.sam, library, month_of("2026-11")).trainees] == ["cy"]
    assert programme.team_view(people.ann, library, month_of("2026-11")).trainees == []


def test_best_performers_need_enough_drills(programme: Programme, library: Library, people: People) -> None:
    db = store(programme)
    november = START + timedelta(days=1)
    graded_session(db, "ann", total=99, started=november)  # one drill only: not ranked
    for total in (81, 82, 83):
        graded_session(db, "bo", total=total, started=november)
    view = programme.team_view(people.mia, library, month_of("2026-11"))
    assert [row.name for row in view.best_performers] == ["bo"]
    assert view.rule.min_graded_drills == 3
