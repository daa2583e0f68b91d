"""The assessment: a theory exam and a practical part per trainee, combined 30/70, with resits.

A mentor (for trainees of the teams they coach) or an admin creates an assessment for one or
more trainees. Each trainee gets their own theory exam (drawn when they start it, timed on the
server) and their own scenario cards, drawn at random from the exam pool; the mentor may add 3-5
of the trainee's imported real chats. The trainee sees their theory score once they hand it in,
but a card's scorecard (which carries the exam case's recommended phrasing) only once their
result is closed. Closing freezes the result (:mod:`simulator.programme.results`); a failed part
may then be retaken as the policy allows, and every attempt stays on record.

The settings (weights, pass marks, resits, exam length, card count) are copied into the
assessment when it is created, so editing ``casebank/programme.yaml`` never moves a running one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.accounts import User
from simulator.content import Library
from simulator.programme.assessment_rows import (
    add_cards,
    assessment_and_candidate,
    attempt_item,
    attempt_items,
    current_attempt,
    result_json,
)
from simulator.programme.assessment_views import CandidateView, ItemView, PartAttemptView, attempt_view
from simulator.programme.bank import matching_questions
from simulator.programme.cards import Card, CardFilters, draw_cards
from simulator.programme.coaching import coached_trainee, coaches
from simulator.programme.db import ProgrammeDB, aware
from simulator.programme.errors import NotAllowed, ProgrammeError
from simulator.programme.models import ProgrammePolicy, QuizSpec
from simulator.programme.quiz_attempts import AttemptView, FindUser, QuizAttempts
from simulator.programme.results import AssessmentResult, AttemptScore, Part, combine, own_mark, practical_score
from simulator.programme.tables import AssessmentRow, AttemptItemRow, AttemptRow, CandidateRow, QuizAttemptRow
from simulator.store_rows import DrillSession

NO_FILTERS = CardFilters()


class Assessments:
    """Creating, taking, closing and retaking assessments."""

    def __init__(self, db: ProgrammeDB, find_user: FindUser):
        self.db = db
        self.find_user = find_user
        self.quizzes = QuizAttempts(db, find_user, review_rule=self._may_review_exam)

    # -- creating -------------------------------------------------------------------------------

    def create(
        self,
        user: User,
        library: Library,
        *,
        trainees: Sequence[str],
        title: str,
        language: str,
        filters: CardFilters = NO_FILTERS,
        rng: random.Random | None = None,
    ) -> str:
        """Create an assessment for ``trainees`` (each drawn their own cards); return its id."""
        names = list(dict.fromkeys(name.strip() for name in trainees if name.strip()))
        if not names:
            raise ProgrammeError("assess_no_trainees")
        if not title.strip():
            raise ProgrammeError("assess_no_title")
        people = [coached_trainee(self.find_user, user, name) for name in names]
        policy = library.programme
        spec = self._theory_spec(policy)
        available = len(matching_questions(list(library.questions.values()), language, spec))
        if available < spec.questions:
            raise ProgrammeError("quiz_not_enough", available=available, asked=spec.questions, language=language)
        rng = rng or random.Random()
        draws = {person.name: draw_cards(library, language, filters, policy.practical.cards, rng) for person in people}
        assessment_id = str(uuid.uuid4())
        with self.db.tx() as db:
            db.add(
                AssessmentRow(
                    id=assessment_id,
                    title=title.strip(),
                    language=language,
                    policy=policy.model_dump(mode="json"),
                    filters=filters.as_dict(),
                    created_by=user.name,
                    created_at=self.db.now(),
                )
            )
            db.flush()
            for person in people:
                candidate = CandidateRow(assessment_id=assessment_id, user_name=person.name, status="open")
                db.add(candidate)
                db.flush()
                db.add(AttemptRow(candidate_id=candidate.id, part="theory", number=1, created_at=self.db.now()))
                practical = AttemptRow(candidate_id=candidate.id, part="practical", number=1, created_at=self.db.now())
                db.add(practical)
                db.flush()
                add_cards(db, practical.id, draws[person.name])
        return assessment_id

    # -- the trainee's side ---------------------------------------------------------------------------

    def start_theory(self, user: User, library: Library, assessment_id: str) -> AttemptView:
        """Start (or return) the trainee's current theory exam: drawn now, timed from now."""
        with self.db.read() as db:
            assessment, candidate = self._own_open_candidate(db, user, assessment_id)
            attempt = current_attempt(db, candidate.id, "theory")
            policy = ProgrammePolicy.model_validate(assessment.policy)
            language = assessment.language
        if attempt.quiz_attempt_id is not None:
            return self.quizzes.view(user, attempt.quiz_attempt_id)
        started = self.quizzes.start(
            user,
            library,
            language=language,
            spec=self._theory_spec(policy),
            mode="exam",
            minutes=policy.theory.minutes,
            rng=random.Random(),
        )
        with self.db.tx() as db:
            row = db.get(AttemptRow, attempt.id)
            assert row is not None
            if row.quiz_attempt_id is None:  # two clicks at once keep the first exam
                row.quiz_attempt_id = started.id
                return started
            keep = row.quiz_attempt_id
        return self.quizzes.view(user, keep)

    def card(self, user: User, assessment_id: str, position: int) -> ItemView:
        """A card of the trainee's current practical attempt (their own, assessment open)."""
        with self.db.read() as db:
            _, candidate = self._own_open_candidate(db, user, assessment_id)
            attempt = current_attempt(db, candidate.id, "practical")
            item = attempt_item(db, attempt.id, "card", position)
            return ItemView(item.position, item.kind, item.case_id, item.persona_id, item.session_id, "", None)

    def link_card_session(self, user: User, assessment_id: str, position: int, session: DrillSession) -> None:
        """Record that ``session`` (the trainee's exam drill of that card) plays the card."""
        with self.db.tx() as db:
            _, candidate = self._own_open_candidate(db, user, assessment_id)
            item = attempt_item(db, current_attempt(db, candidate.id, "practical").id, "card", position)
            if session.user_name != user.name or session.source != "exam" or session.case_id != item.case_id:
                raise ProgrammeError("assess_wrong_session")
            if item.session_id is not None:
                raise ProgrammeError("assess_card_started")
            item.session_id = session.id

    def card_assessment(self, user: User, session_id: str) -> str | None:
        """The id of ``user``'s own assessment with a card played by ``session_id`` (None when there is none)."""
        with self.db.read() as db:
            found = db.execute(
                select(CandidateRow.assessment_id)
                .join(AttemptRow, AttemptRow.candidate_id == CandidateRow.id)
                .join(AttemptItemRow, AttemptItemRow.attempt_id == AttemptRow.id)
                .where(
                    AttemptItemRow.session_id == session_id,
                    AttemptItemRow.kind == "card",
                    CandidateRow.user_name == user.name,
                )
            ).first()
        return found[0] if found is not None else None

    def for_trainee(self, user: User, library: Library) -> list[CandidateView]:
        """The user's own assessments, newest first."""
        with self.db.read() as db:
            rows = db.execute(
                select(CandidateRow.assessment_id)
                .join(AssessmentRow, AssessmentRow.id == CandidateRow.assessment_id)
                .where(CandidateRow.user_name == user.name)
                .order_by(AssessmentRow.created_at.desc())
            ).all()
        return [self.candidate(user, library, assessment_id, user.name) for (assessment_id,) in rows]

    # -- the mentor's side ----------------------------------------------------------------------------

    def visible_to(self, user: User) -> list[tuple[str, str, str, datetime]]:
        """(id, title, language, created) of the assessments with a trainee ``user`` coaches, newest first."""
        with self.db.read() as db:
            rows = db.execute(
                select(
                    AssessmentRow.id, AssessmentRow.title, AssessmentRow.language, AssessmentRow.created_at
                ).order_by(AssessmentRow.created_at.desc())
            ).all()
            names = {
                a_id: [c.user_name for c in db.scalars(select(CandidateRow).where(CandidateRow.assessment_id == a_id))]
                for a_id, *_ in rows
            }
        return [
            (a_id, title, lang, aware(created))
            for a_id, title, lang, created in rows
            if any(coaches(self.find_user, user, name) for name in names[a_id])
        ]

    def candidates(self, user: User, library: Library, assessment_id: str) -> list[CandidateView]:
        """Every trainee of the assessment that ``user`` coaches (NotAllowed when none)."""
        with self.db.read() as db:
            names = [
                c.user_name for c in db.scalars(select(CandidateRow).where(CandidateRow.assessment_id == assessment_id))
            ]
        visible = [name for name in names if coaches(self.find_user, user, name)]
        if not visible:
            raise NotAllowed("assess_not_found")
        return [self.candidate(user, library, assessment_id, name) for name in visible]

    def candidate(self, user: User, library: Library, assessment_id: str, trainee: str) -> CandidateView:
        """One trainee's side of an assessment, as ``user`` (that trainee or a coach) may see it."""
        coach = coaches(self.find_user, user, trainee) and user.name != trainee
        if user.name != trainee and not coach:
            raise NotAllowed("assess_not_found")
        with self.db.read() as db:
            assessment, candidate = assessment_and_candidate(db, assessment_id, trainee)
            attempts = list(db.scalars(select(AttemptRow).where(AttemptRow.candidate_id == candidate.id)))
            items = {
                attempt.id: list(
                    db.scalars(
                        select(AttemptItemRow)
                        .where(AttemptItemRow.attempt_id == attempt.id)
                        .order_by(AttemptItemRow.kind, AttemptItemRow.position)
                    )
                )
                for attempt in attempts
            }
        policy = ProgrammePolicy.model_validate(assessment.policy)
        views = [
            attempt_view(
                self.db,
                self.quizzes,
                attempt,
                items[attempt.id],
                library.rubric,
                show=coach or attempt.closed_at is not None,
            )
            for attempt in sorted(attempts, key=lambda a: (a.part, a.number))
        ]
        result: AssessmentResult | None
        if candidate.status == "closed" or coach:
            result = combine(policy.assessment, [AttemptScore(v.part, v.number, v.score) for v in views])
        else:
            result = None
        return CandidateView(
            assessment_id=assessment.id,
            title=assessment.title,
            language=assessment.language,
            created_by=assessment.created_by,
            created_at=aware(assessment.created_at),
            user_name=trainee,
            status=candidate.status,
            attempts=views,
            policy=policy,
            filters=dict(assessment.filters or {}),
            result=result,
        )

    def add_real_chats(
        self, user: User, library: Library, assessment_id: str, trainee: str, sessions: Sequence[DrillSession]
    ) -> int:
        """Add the trainee's imported real chats to their current practical attempt; return how many it has."""
        if not coaches(self.find_user, user, trainee) or user.name == trainee:
            raise NotAllowed("assess_not_found")
        with self.db.tx() as db:
            assessment, candidate = assessment_and_candidate(db, assessment_id, trainee)
            if candidate.status != "open":
                raise ProgrammeError("assess_closed")
            policy = ProgrammePolicy.model_validate(assessment.policy)
            attempt = current_attempt(db, candidate.id, "practical")
            chats = [i for i in attempt_items(db, attempt.id) if i.kind == "real_chat"]
            linked = {i.session_id for i in chats}
            for session in sessions:
                if session.user_name != trainee or session.source != "import":
                    raise ProgrammeError("assess_not_a_real_chat", session=session.id[:8], trainee=trainee)
                if session.language != assessment.language:
                    raise ProgrammeError("assess_chat_language", session=session.id[:8], language=assessment.language)
            new = [s for s in sessions if s.id not in linked]
            if len(chats) + len(new) > policy.practical.real_chats_max:
                raise ProgrammeError("assess_too_many_chats", most=policy.practical.real_chats_max)
            for offset, session in enumerate(new, start=len(chats) + 1):
                db.add(AttemptItemRow(attempt_id=attempt.id, kind="real_chat", position=offset, session_id=session.id))
            return len(chats) + len(new)

    def close(self, user: User, library: Library, assessment_id: str, trainee: str) -> AssessmentResult:
        """Freeze the trainee's result: cards and exams not taken count 0; anything in progress blocks it."""
        view = self.candidate(user, library, assessment_id, trainee)
        if user.name == trainee:
            raise NotAllowed("assess_not_found")
        if view.status == "closed":
            raise ProgrammeError("assess_closed")
        chats = [i for i in view.current("practical").items if i.kind == "real_chat"]
        low = view.policy.practical.real_chats_min
        if 0 < len(chats) < low:
            raise ProgrammeError("assess_too_few_chats", count=len(chats), least=low)
        scores: dict[Part, float] = {}
        for part in ("theory", "practical"):
            attempt = view.current(part)
            blocking = [item for item in attempt.items if item.state in ("in_progress", "ended")]
            if (part == "theory" and attempt.state == "in_progress") or blocking:
                raise ProgrammeError("assess_in_progress", trainee=trainee, part=part)
            score = self._score_at_close(attempt, view.policy)
            if score is None:
                raise ProgrammeError("assess_unscored", trainee=trainee, part=part)
            scores[part] = score
        frozen = [
            AttemptScore(a.part, a.number, scores[a.part] if a is view.current(a.part) else a.score)
            for a in view.attempts
        ]
        result = combine(view.policy.assessment, frozen)
        now = self.db.now()
        with self.db.tx() as db:
            _, candidate = assessment_and_candidate(db, assessment_id, trainee)
            for part, score in scores.items():
                row = current_attempt(db, candidate.id, part)
                row.score = score
                row.closed_at = now
                mark = own_mark(view.policy.assessment, part)
                row.passed = score >= mark if mark is not None else None
            candidate.status = "closed"
            candidate.closed_at = now
            candidate.closed_by = user.name
            candidate.result = result_json(result)
        return result

    def resit(self, user: User, library: Library, assessment_id: str, trainee: str, part: Part) -> int:
        """Open the next attempt at a failed ``part`` (as the policy allows); return its number."""
        view = self.candidate(user, library, assessment_id, trainee)
        if user.name == trainee:
            raise NotAllowed("assess_not_found")
        if view.status != "closed" or view.result is None:
            raise ProgrammeError("assess_resit_not_closed")
        if part not in view.result.resit_allowed:
            raise ProgrammeError("assess_no_resit", part=part, resits=view.policy.assessment.resits)
        number = view.current(part).number + 1
        cards: list[Card] = []
        if part == "practical":
            seen = {item.case_id for a in view.attempts for item in a.items if item.case_id}
            filters = CardFilters(
                **{k: v for k, v in view.filters.items() if k in ("category", "industry", "difficulty")}
            )
            cards = draw_cards(library, view.language, filters, view.policy.practical.cards, random.Random(), seen=seen)
        with self.db.tx() as db:
            _, candidate = assessment_and_candidate(db, assessment_id, trainee)
            attempt = AttemptRow(candidate_id=candidate.id, part=part, number=number, created_at=self.db.now())
            db.add(attempt)
            db.flush()
            add_cards(db, attempt.id, cards)
            candidate.status = "open"
        return number

    # -- rules ------------------------------------------------------------------------------------------

    def exam_session_visible(self, user: User, session: DrillSession) -> bool:
        """May ``user`` see the scorecard of exam drill ``session``? Coaches always; the trainee once closed."""
        if session.user_name != user.name:
            owner = self.find_user(session.user_name)
            return owner is not None and user.coaches(owner)
        with self.db.read() as db:
            closed = db.execute(
                select(AttemptRow.closed_at)
                .join(AttemptItemRow, AttemptItemRow.attempt_id == AttemptRow.id)
                .where(AttemptItemRow.session_id == session.id)
            ).first()
        return closed is not None and closed[0] is not None

    def _may_review_exam(self, row: QuizAttemptRow, viewer: User) -> bool:
        with self.db.read() as db:
            found = db.execute(
                select(AssessmentRow.policy, AttemptRow.closed_at)
                .join(CandidateRow, CandidateRow.assessment_id == AssessmentRow.id)
                .join(AttemptRow, AttemptRow.candidate_id == CandidateRow.id)
                .where(AttemptRow.quiz_attempt_id == row.id)
            ).first()
        if found is None:
            return True  # an exam taken outside an assessment
        policy = ProgrammePolicy.model_validate(found[0])
        return policy.theory.show_answers == "after_submit" or found[1] is not None

    def _own_open_candidate(self, db: Session, user: User, assessment_id: str) -> tuple[AssessmentRow, CandidateRow]:
        assessment, candidate = assessment_and_candidate(db, assessment_id, user.name)
        if candidate.status != "open":
            raise ProgrammeError("assess_closed")
        return assessment, candidate

    @staticmethod
    def _theory_spec(policy: ProgrammePolicy) -> QuizSpec:
        return QuizSpec(tags=policy.theory.tags, questions=policy.theory.questions)

    def _score_at_close(self, attempt: PartAttemptView, policy: ProgrammePolicy) -> float | None:
        if attempt.part == "theory":
            return 0.0 if attempt.state == "not_started" else attempt.score
        cards = [0.0 if i.state == "not_started" else i.score for i in attempt.items if i.kind == "card"]
        chats = [i.score for i in attempt.items if i.kind == "real_chat"]
        return practical_score(cards, chats, policy.practical)
