"""Trainee handlers of the training programme: practice quizzes, the assessment, assignments, ratings.

Plain functions over :class:`~simulator.app.services.AppServices` (the Gradio layer only wires
them). Every function takes the signed-in user; the programme's services check what that user
may see and do (their own quizzes, assessments and assignments only), and nothing here returns an
exam's answers before it is handed in or an exam card's scorecard before the result is out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator.accounts import User
from simulator.app import trainee
from simulator.app.i18n import AppError
from simulator.app.programme_views import ANY
from simulator.app.scorecards import ScorecardView
from simulator.app.services import AppServices
from simulator.app.trainee import DrillView
from simulator.programme.assessment_views import CandidateView, ItemView
from simulator.programme.assignments import AssignmentStatus
from simulator.programme.cards import personas_for
from simulator.programme.errors import ProgrammeError
from simulator.programme.models import QuizSpec
from simulator.programme.quiz_attempts import AttemptView, Mode
from simulator.programme.ratings import Rating

#: Most questions a trainee may ask for in one practice quiz (the form's slider goes this far).
MAX_PRACTICE_QUESTIONS = 30


# ---------------------------------------------------------------------------------------------
# Practice quizzes


def start_practice_quiz(
    services: AppServices, user: User, language: str, tag: str | None, difficulty: str | None, count: int | float
) -> AttemptView:
    """A practice quiz drawn at random by tag and difficulty (each answer explained at once)."""
    services.require(user, "trainee")
    questions = int(count or 0)
    if not 1 <= questions <= MAX_PRACTICE_QUESTIONS:
        raise AppError("quiz_count_range", most=MAX_PRACTICE_QUESTIONS)
    spec = QuizSpec.model_validate(
        {
            "tags": [] if tag in (None, "", ANY) else [tag],
            "difficulty": None if difficulty in (None, "", ANY) else difficulty,
            "questions": questions,
        }
    )
    return services.programme.quizzes.start(user, services.library(), language=language, spec=spec, rng=random.Random())


def answer(
    services: AppServices, user: User, attempt_id: str | None, question_id: str | None, raw: object
) -> AttemptView:
    """Save one answer (explained at once in practice; kept closed in an exam)."""
    if not attempt_id or not question_id:
        raise AppError("quiz_none_open")
    return services.programme.quizzes.answer(user, attempt_id, question_id, raw)


def hand_in(services: AppServices, user: User, attempt_id: str | None) -> AttemptView:
    """Hand the quiz in and mark it."""
    if not attempt_id:
        raise AppError("quiz_none_open")
    return services.programme.quizzes.submit(user, attempt_id)


def quiz_view(services: AppServices, user: User, attempt_id: str | None) -> AttemptView:
    """The quiz as the user may see it now (an exam past its time is marked first)."""
    if not attempt_id:
        raise AppError("quiz_none_open")
    return services.programme.quizzes.view(user, attempt_id)


def open_quiz(services: AppServices, user: User, mode: Mode, *, assigned: bool) -> AttemptView | None:
    """The user's open quiz of ``mode`` (an assignment's or not) in the store, or None.

    A quiz panel keeps its attempt id in the tab's ``gr.State``, which is empty on a replica that
    took the tab over from one that went down: the panel then takes the quiz from here.
    """
    if not user.can("trainee"):
        return None
    attempt_id = services.programme.quizzes.open_attempt(user, mode=mode, assigned=assigned)
    return services.programme.quizzes.view(user, attempt_id) if attempt_id is not None else None


def resume_position(view: AttemptView) -> int:
    """Where to take an open quiz up again: its first question with no saved answer (else the last)."""
    return next((question.number - 1 for question in view.questions if not question.given), view.total - 1)


# ---------------------------------------------------------------------------------------------
# The assessment


def my_assessments(services: AppServices, user: User) -> list[CandidateView]:
    """The user's assessments, newest first."""
    services.require(user, "trainee")
    return services.programme.assessments.for_trainee(user, services.library())


def my_assessment(services: AppServices, user: User, assessment_id: str | None) -> CandidateView:
    """One of the user's own assessments."""
    if not assessment_id:
        raise AppError("assess_pick_one")
    return services.programme.assessments.candidate(user, services.library(), assessment_id, user.name)


def start_exam(services: AppServices, user: User, assessment_id: str | None) -> AttemptView:
    """Start (or go back to) the theory exam of an assessment: timed from the first start."""
    if not assessment_id:
        raise AppError("assess_pick_one")
    return services.programme.assessments.start_theory(user, services.library(), assessment_id)


@dataclass(frozen=True)
class CardDrill:
    """A scenario card being played: its position and the drill on screen."""

    assessment_id: str
    position: int
    view: DrillView


def play_card(services: AppServices, user: User, assessment_id: str | None, position: int | float | None) -> CardDrill:
    """Start the drill of a card (or return to it while it is open)."""
    if not assessment_id or not position:
        raise AppError("assess_pick_card")
    number = int(position)
    assessments = services.programme.assessments
    card = assessments.card(user, assessment_id, number)
    if card.session_id is not None:
        row = services.session_for(user, card.session_id)
        if row.status != "open":
            raise ProgrammeError("assess_card_started")
        return CardDrill(assessment_id, number, trainee.current_view(services, user, row.id))
    live = services.start_drill(user, card.persona_id or "", card.case_id or "", exam=True)
    try:
        assessments.link_card_session(user, assessment_id, number, services.store.get_session(live.session_id))
    except Exception:
        # another click linked the card first: this drill plays nothing, so it is closed at once
        services.store.end_session(live.session_id, "abandoned")
        services.forget_live(live.session_id)
        raise
    return CardDrill(assessment_id, number, trainee.current_view(services, user, live.session_id))


def open_card(
    services: AppServices, user: User, session_id: str | None, assessment_id: str | None
) -> tuple[str | None, str | None]:
    """The exam card drill on screen as (session id, assessment id).

    Both live in the tab's ``gr.State``, which is empty on a replica that took the tab over from
    one that went down: then they are the trainee's open exam card drill in the store (the latest
    started when several cards are open) and its assessment. The caller checks the card as for any drill.
    """
    if session_id or not user.can("trainee"):
        return session_id, assessment_id
    row = services.store.open_session_for(user.name, source="exam")
    if row is None:
        return session_id, assessment_id
    return row.id, services.programme.assessments.card_assessment(user, row.id)


def card_of(services: AppServices, user: User, assessment_id: str | None, session_id: str | None) -> ItemView:
    """The user's card in ``assessment_id`` played by ``session_id`` (``AppError`` when it is not)."""
    if not assessment_id or not session_id:
        raise AppError("assess_pick_card")
    view = my_assessment(services, user, assessment_id)
    for item in view.current("practical").items:
        if item.kind == "card" and item.session_id == session_id:
            return item
    raise ProgrammeError("assess_wrong_session")


def end_card(services: AppServices, user: User, assessment_id: str | None, session_id: str | None) -> str:
    """Hand in a card's drill: it is ended and graded; its scorecard waits for the result.

    Returns ``graded`` or ``grading_failed`` (a mentor's Regrade then grades it).
    """
    card_of(services, user, assessment_id, session_id)
    row = services.session_for(user, session_id)
    if row.status == "open":
        transcript = services.store.transcript(row.id)
        if not transcript.agent_turn_indices():
            raise AppError("nothing_to_grade")
        outcome = next((t.state.outcome for t in reversed(transcript.turns) if t.state and t.state.outcome), None)
        services.store.end_session(row.id, outcome or "abandoned")
        services.forget_live(row.id)
    if services.store.latest_report(row.id) is not None:
        return "graded"
    try:
        services.grade_session(row.id)
    except Exception:  # kept ended and ungraded: closing waits until a mentor regrades it
        return "grading_failed"
    return "graded"


# ---------------------------------------------------------------------------------------------
# Assignments


def my_assignments(services: AppServices, user: User) -> list[AssignmentStatus]:
    """The user's assignments with their state, by due date."""
    services.require(user, "trainee")
    return services.programme.assignments.for_trainee(user, user.name, services.library().rubric)


def start_assignment(
    services: AppServices, user: User, assignment_id: int | float | str | None
) -> AttemptView | DrillView:
    """Start an assignment: a practice quiz, or the drill of its case."""
    try:
        number = int(assignment_id or 0)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise AppError("assign_pick_one")
    programme = services.programme
    row = programme.assignments.get(user, number)
    if row.user_name != user.name:
        raise ProgrammeError("assign_not_found")
    if row.kind == "quiz":
        return programme.start_assignment_quiz(user, services.library(), row.id)
    library = services.library()
    case = library.case(str(row.spec.get("case", "")))
    persona_id = row.spec.get("persona")
    if not persona_id:
        fitting = personas_for(library, case)
        if not fitting:
            raise AppError("no_matching_case")
        persona_id = random.choice(fitting).id
    return trainee.start_session(services, user, persona_id, case.id)


# ---------------------------------------------------------------------------------------------
# Ratings


def rate(
    services: AppServices,
    user: User,
    session_id: str | None,
    fair: int | float | None,
    useful: int | float | None,
    comment: str | None,
) -> Rating:
    """Rate the scorecard of one of the user's own sessions."""
    if not session_id:
        raise AppError("rating_pick_session")
    if fair is None or useful is None:
        raise AppError("rating_both")
    return services.programme.ratings.rate(user, session_id, fair=int(fair), useful=int(useful), comment=comment or "")


def my_rating(services: AppServices, user: User, session_id: str | None) -> Rating | None:
    """The user's rating of a scorecard, if any."""
    if not session_id:
        return None
    rating = services.programme.ratings.of_session(user, session_id)
    return rating if rating is not None and rating.user_name == user.name else None


def assignment_scorecard(services: AppServices, user: User, session_id: str) -> ScorecardView:
    """End an assignment's drill and grade it (it is a practice drill: the scorecard is shown)."""
    return trainee.end_session(services, user, session_id)
