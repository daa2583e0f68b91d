"""Trainee handlers: pick or draw a scenario, drill with streaming replies, end, score, progress.

Plain functions over :class:`~simulator.app.services.AppServices`; the Gradio layer only wires
them to components. Every function takes the signed-in user and checks what they may do.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.accounts import User
from simulator.app.i18n import AppError
from simulator.app.scoring import EffectiveReport, stored_effective_report
from simulator.app.services import AppServices, LiveSession, SessionNotFound
from simulator.content import Library
from simulator.customer.base import ReplyStream
from simulator.errors import (
    ConversationEnded,
    ConversationFull,
    CustomerUnavailable,
    DrillError,
    GradingBusy,
    ReplyStopped,
)
from simulator.limits import DRILL_TURNS, MESSAGE_CHARS
from simulator.models import Case, Language, Persona, Rubric, TraineeView, Turn
from simulator.store import SessionFilter, TurnConflict
from simulator.store_rows import DrillSession
from simulator.store_snapshots import session_content
from simulator.turn_warnings import add_warnings

ANY = "any"


@dataclass(frozen=True)
class ScenarioFilters:
    """Filters for scenario lists and random cards; ``None`` or ``"any"`` means no restriction.

    ``show_all`` also lists persona-scenario pairs whose identities do not fit (an elderly persona
    for a thirty-year-old customer); by default only coherent pairs are offered.
    """

    category: str | None = None
    language: str | None = None
    difficulty: str | None = None
    industry: str | None = None
    show_all: bool = False

    def matches(self, case: Case | TraineeView) -> bool:
        """True when ``case`` passes every filter."""
        return all(
            wanted in (None, "", ANY) or wanted == actual
            for wanted, actual in (
                (self.category, case.category.value),
                (self.language, case.language),
                (self.difficulty, case.difficulty),
                (self.industry, case.industry.value),
            )
        )


@dataclass(frozen=True)
class DrillView:
    """What the chat panel shows for one drill."""

    session_id: str
    persona_id: str
    case_id: str
    language: Language
    messages: list[dict[str, str]]
    mood: int | None
    ended: bool
    outcome: str | None
    pending: bool
    open: bool
    streaming: bool = False


#: Stages of a drill on screen in which the trainee may write (see :func:`drill_stage`).
WRITABLE_STAGES = frozenset({"talking", "pending"})
#: Stages in which a drill is open and can be ended and scored.
ENDABLE_STAGES = frozenset({"talking", "pending", "replying", "closed"})


def drill_stage(view: DrillView) -> str:
    """Where a drill stands for the chat panel.

    ``talking`` (the trainee may write), ``pending`` (the customer's reply failed: the trainee
    retries it), ``closed`` (the customer left or the drill was ended; no more messages). The
    app adds ``idle`` (no drill yet) and ``graded`` (the scorecard is shown).
    """
    if not view.open or view.ended:
        return "closed"
    return "pending" if view.pending else "talking"


@dataclass(frozen=True)
class ScorecardView:
    """A graded session: the effective report (mentor overrides applied) and its context."""

    session_id: str
    effective: EffectiveReport
    rubric: Rubric | None
    persona: Persona | None
    case: Case | None
    #: Case id -> title, so reference cases are named, not shown as ids.
    case_titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryView:
    """A trainee's own sessions, score trend and per-criterion averages."""

    sessions: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    criterion_averages: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Choosing a scenario


def persona_options(library: Library, language: str | None, lang: Language) -> list[tuple[str, str]]:
    """(label, id) of personas that speak ``language`` (any language when ``None``/``any``)."""

    options = []
    for persona in trainee_personas(library):
        if language not in (None, "", ANY) and language not in persona.languages:
            continue
        # the label is the type of customer ("anxious new mother"); no archetype tag repeated after it
        options.append((persona.label.get(lang), persona.id))
    return options


def case_options(
    library: Library, filters: ScenarioFilters, persona_id: str | None, lang: Language
) -> list[tuple[str, str]]:
    """(label, id) of cases passing ``filters`` that the chosen persona can play.

    The persona must speak the case's language and, unless ``filters.show_all``, fit its customer.
    """
    from simulator.app.i18n import label

    persona = library.personas.get(persona_id or "")
    options = []
    for _, full in sorted(library.cases.items()):
        case = full.trainee_view()  # what the trainee is shown; the fit is decided on the full case
        if not filters.matches(case):
            continue
        if persona is not None and not _playable(persona, full, filters.show_all):
            continue
        tags = f"{label('category', case.category.value, lang)} · {label('difficulty', case.difficulty, lang)}"
        options.append((f"{case.title} ({tags})", case.id))
    return options


def trainee_personas(library: Library) -> list[TraineeView]:
    """What a trainee may see of every persona (``Persona.TRAINEE_FIELDS``), by id."""
    return [persona.trainee_view() for _, persona in sorted(library.personas.items())]


def draw_card(library: Library, filters: ScenarioFilters, rng: random.Random | None = None) -> tuple[str, str]:
    """A random (persona id, case id) passing ``filters``, like drawing an exam card.

    The persona is one the case names as suited when any of those can play it, else any persona
    that can (speaks its language and, unless ``show_all``, fits its customer). Raises
    ``AppError('no_matching_case')`` when nothing matches.
    """
    rng = rng or random.Random()
    cases = [case for case in sorted(library.cases.values(), key=lambda c: c.id) if filters.matches(case)]
    playable = [(case, _personas_for(library, case, filters.show_all)) for case in cases]
    playable = [(case, personas) for case, personas in playable if personas]
    if not playable:
        raise AppError("no_matching_case")
    case, personas = rng.choice(playable)
    return rng.choice(personas).id, case.id


def _playable(persona: Persona, case: Case, show_all: bool) -> bool:
    return case.language in persona.languages and (show_all or persona.fits_case(case))


def _personas_for(library: Library, case: Case, show_all: bool = False) -> list[Persona]:
    able = [p for p in sorted(library.personas.values(), key=lambda p: p.id) if _playable(p, case, show_all)]
    suited = [p for p in able if p.id in case.personas]
    return suited or able


# ---------------------------------------------------------------------------------------------
# Drilling


def _messages(turns: list[Turn]) -> list[dict[str, str]]:
    # The trainee is the chat's "user" (right side), the customer the "assistant".
    return [{"role": "user" if turn.role == "agent" else "assistant", "content": turn.text} for turn in turns]


def _view(live: LiveSession, *, partial: str | None = None) -> DrillView:
    conversation = live.conversation
    messages = _messages(conversation.turns)
    if partial is not None:
        messages.append({"role": "assistant", "content": partial or "…"})
    state = conversation.state
    transcript = conversation.transcript
    return DrillView(
        session_id=live.session_id,
        persona_id=transcript.persona_id or "",
        case_id=transcript.case_id or "",
        language=transcript.language,
        messages=messages,
        mood=state.mood if state else None,
        ended=conversation.ended,
        outcome=state.outcome if state else None,
        pending=conversation.pending and partial is None,
        open=True,
        streaming=partial is not None,
    )


def _stored_view(services: AppServices, row: DrillSession) -> DrillView:
    transcript = services.store.transcript(row.id)
    state = next((t.state for t in reversed(transcript.turns) if t.role == "customer" and t.state), None)
    return DrillView(
        session_id=row.id,
        persona_id=row.persona_id or "",
        case_id=row.case_id or "",
        language=transcript.language,
        messages=_messages(transcript.turns),
        mood=state.mood if state else None,
        ended=bool(state and state.outcome) or row.status != "open",
        outcome=row.outcome,
        pending=bool(transcript.turns) and transcript.turns[-1].role == "agent",
        open=row.status == "open",
    )


def start_session(services: AppServices, user: User, persona_id: str | None, case_id: str | None) -> DrillView:
    """Start a drill: the session is created and the customer's opening line stored."""
    services.require(user, "trainee")
    if not persona_id or not case_id:
        raise AppError("choose_persona_and_case")
    library = services.library()
    if persona_id not in library.personas:
        raise AppError("unknown_persona", id=persona_id)
    if case_id not in library.cases:
        raise AppError("unknown_case", id=case_id)
    if library.cases[case_id].language not in library.personas[persona_id].languages:
        raise AppError("persona_language", persona=persona_id, language=library.cases[case_id].language)
    return _view(services.start_drill(user, persona_id, case_id))


def check_message(text: str | None) -> str:
    """The message stripped, or ``AppError`` saying why it is refused (nothing is sent or stored)."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise AppError("message_empty")
    if len(cleaned) > MESSAGE_CHARS.value:
        raise AppError("message_too_long", length=len(cleaned), limit=MESSAGE_CHARS.value)
    return cleaned


def _persist(services: AppServices, live: LiveSession) -> None:
    """Commit every in-memory turn the store does not have yet (one row per turn, in order).

    Each turn is written at the index this drill expects; when another writer (a second tab or
    replica on the same drill) got there first, nothing is written, the reply this drill started is
    cancelled, this copy is dropped from memory and the trainee is told (the message stays in their
    textbox); the next action rebuilds the drill from what the store holds.
    """
    for turn in live.conversation.turns[live.stored_turns :]:
        try:
            index = services.store.append_turn(live.session_id, turn, expected_index=live.stored_turns)
        except TurnConflict as exc:
            stream = live.active
            if stream is not None:
                stream.cancel()
            services.live_drills.forget(live.session_id, only=live)
            raise AppError("turn_conflict") from exc
        add_warnings(services.store, live.session_id, index, live.conversation.turn_warnings.get(live.stored_turns, ()))
        live.stored_turns += 1


def _stream_reply(services: AppServices, live: LiveSession, stream: ReplyStream) -> Iterator[DrillView]:
    shown = ""
    yield _view(live, partial="")
    try:
        for delta in stream:
            shown += delta
            yield _view(live, partial=shown)
    except ReplyStopped as exc:
        raise AppError("reply_stopped") from exc
    except CustomerUnavailable as exc:
        raise AppError("customer_unavailable", detail=str(exc)) from exc
    _persist(services, live)
    yield _view(live)


def _begin_reply(live: LiveSession, ask: Callable[[], ReplyStream]) -> ReplyStream:
    """Start a customer reply with ``ask`` unless one is already being written for this drill.

    The drill's lock is held only while the reply starts, not while it streams, so that
    :func:`stop_reply` can free the drill at once: a stopped reply whose model call is still
    blocked on the network ends on its own later and is never stored.
    """
    with live.lock:
        if live.active is not None and not live.active.cancelled:
            raise AppError("reply_in_progress")
        stream = ask()
        live.active = stream
        return stream


def _end_reply(live: LiveSession, stream: ReplyStream) -> None:
    with live.lock:
        if live.active is stream:
            live.active = None


def send_message(services: AppServices, user: User, session_id: str | None, text: str | None) -> Iterator[DrillView]:
    """Send the trainee's message and stream the customer's reply, one view per delta.

    The message is checked first (``AppError`` before anything is stored, so the UI keeps it in
    the textbox). The trainee's turn is committed before the customer is asked; the customer's
    turn once complete. An endpoint fault, or the trainee's Stop, raises
    ``AppError('customer_unavailable')`` / ``AppError('reply_stopped')`` with the partial reply
    dropped and the trainee's turn kept, pending: :func:`retry_reply` asks again.
    """
    message = check_message(text)
    if not session_id:
        raise AppError("no_open_session")
    live = services.live_session(user, session_id)

    def ask() -> ReplyStream:
        if live.conversation.pending:
            raise AppError("retry_first")
        try:
            return live.conversation.send(message)
        except ConversationEnded as exc:
            raise AppError("customer_already_left") from exc
        except ConversationFull as exc:
            raise AppError("drill_too_long", limit=DRILL_TURNS.value, env=DRILL_TURNS.env) from exc
        except CustomerUnavailable as exc:
            _persist(services, live)
            raise AppError("customer_unavailable", detail=str(exc)) from exc

    stream = _begin_reply(live, ask)
    try:
        _persist(services, live)
        yield from _stream_reply(services, live, stream)
    finally:
        _end_reply(live, stream)


def retry_reply(services: AppServices, user: User, session_id: str | None) -> Iterator[DrillView]:
    """Ask the customer again for the trainee's last (unanswered) message."""
    if not session_id:
        raise AppError("no_open_session")
    live = services.live_session(user, session_id)

    def ask() -> ReplyStream:
        if not live.conversation.pending:
            raise AppError("nothing_to_retry")
        try:
            return live.conversation.retry_last()
        except CustomerUnavailable as exc:
            raise AppError("customer_unavailable", detail=str(exc)) from exc

    stream = _begin_reply(live, ask)
    try:
        yield from _stream_reply(services, live, stream)
    finally:
        _end_reply(live, stream)


def stop_reply(services: AppServices, user: User, session_id: str | None) -> DrillView:
    """Stop the customer's reply being written (it takes too long): the partial text is dropped.

    The trainee's message stays, unanswered: Retry asks again. Only the drill's owner can stop
    it (``live_session`` checks). ``AppError('nothing_to_stop')`` when no reply is being written.
    """
    if not session_id:
        raise AppError("no_open_session")
    live = services.live_session(user, session_id)
    with live.lock:
        stream = live.active
        if stream is None or stream.cancelled:
            raise AppError("nothing_to_stop")
        stream.cancel()
        live.active = None
    return _view(live)


def current_view(services: AppServices, user: User, session_id: str) -> DrillView:
    """The drill as stored (for any session the user may see)."""
    row = services.session_for(user, session_id)
    return _stored_view(services, row)


def open_practice_drill(services: AppServices, user: User) -> DrillSession | None:
    """The trainee's open practice drill in the store (a trainee has one at a time), or None.

    An open exam card is not one: it is resumed in the assessment view.
    """
    if not user.can("trainee"):
        return None
    return services.store.open_session_for(user.name, source="drill")


def resume_open_session(services: AppServices, user: User) -> DrillView | None:
    """The user's open practice drill, ready to continue (after a page reload or a server restart)."""
    if not user.can("trainee"):
        return None
    services.close_idle_drills()
    row = open_practice_drill(services, user)
    if row is None:
        return None
    try:
        return _view(services.live_session(user, row.id))
    except (LookupError, DrillError):
        # The persona or case file is gone: show the transcript read-only; it can still be ended.
        return _stored_view(services, row)


# ---------------------------------------------------------------------------------------------
# Ending and scoring


def effective_report(services: AppServices, session_id: str) -> EffectiveReport | None:
    """The latest report of a session with mentor overrides applied (None when not graded)."""
    return stored_effective_report(services.store, services.content.snapshot().library.rubric, session_id)


def scorecard(services: AppServices, user: User, session_id: str) -> ScorecardView:
    """The scorecard of a graded session the user may see (``AppError`` when not graded yet)."""
    row = services.session_for(user, session_id)
    if row.source == "exam" and not services.programme.assessments.exam_session_visible(user, row):
        # its scorecard carries the exam case's recommended phrasing: not before the result is out
        raise AppError("exam_results_after_close")
    effective = effective_report(services, row.id)
    if effective is None:
        raise AppError("not_graded_yet")
    library = services.content.snapshot().library
    played_with = session_content(services.store.engine, row, library)  # as played, not as edited since
    return ScorecardView(
        session_id=row.id,
        effective=effective,
        rubric=library.rubric,
        persona=played_with.persona,
        case=played_with.case,
        case_titles=library.case_titles(),
    )


def score_now(services: AppServices, user: User, session_id: str | None) -> ScorecardView:
    """A trainee's own ended or abandoned drill, graded now if it never was (on demand)."""
    if not session_id:
        raise AppError("no_session_chosen")
    row = services.session_for(user, session_id)
    if row.user_name != user.name:
        raise SessionNotFound("no_session", id=session_id)
    if row.status == "open":
        raise AppError("session_still_open")
    if row.source == "exam":
        return scorecard(services, user, row.id)
    if services.store.latest_report(row.id) is None:
        grade_or_explain(services, row.id)
    return scorecard(services, user, row.id)


def end_session(services: AppServices, user: User, session_id: str | None) -> ScorecardView:
    """End the drill (if still open) and grade it; calling it again returns the same scorecard.

    A drill the customer did not close is recorded as ``abandoned``. When grading fails the
    session stays ended and ungraded with the failure's reason recorded, and ending it again
    calls the grader again.
    """
    if not session_id:
        raise AppError("no_open_session")
    row = services.session_for(user, session_id)
    if row.user_name != user.name:
        raise SessionNotFound("no_session", id=session_id)
    if row.status == "open":
        transcript = services.store.transcript(row.id)
        if not transcript.agent_turn_indices():
            raise AppError("nothing_to_grade")
        outcome = next((t.state.outcome for t in reversed(transcript.turns) if t.state and t.state.outcome), None)
        services.store.end_session(row.id, outcome or "abandoned")
        services.forget_live(row.id)
    if services.store.latest_report(row.id) is None:
        grade_or_explain(services, row.id)
    return scorecard(services, user, row.id)


def grade_or_explain(services: AppServices, session_id: str, *, again: bool = False) -> None:
    """Grade a stored session now, or raise the ``AppError`` that says why not and what to do.

    ``again`` grades a session that already has a report anew (a mentor's regrade). A failed
    grading is recorded with its reason and no report; the same button asks again.
    """
    try:
        services.grade_session(session_id, again=again)
    except GradingBusy as exc:
        raise AppError("grading_in_progress") from exc
    except DrillError as exc:  # the endpoint failed, refused the prompt, or sent nothing usable
        raise AppError("grading_failed", detail=str(exc)) from exc
    except Exception as exc:  # the index or the store failed; the session is safe, retry later
        raise AppError("grading_failed", detail=f"{type(exc).__name__}: {exc}") from exc


def try_again(services: AppServices, user: User, session_id: str | None) -> DrillView:
    """A new drill on the same persona and case as ``session_id``."""
    if not session_id:
        raise AppError("no_open_session")
    row = services.session_for(user, session_id)
    return start_session(services, user, row.persona_id, row.case_id)


# ---------------------------------------------------------------------------------------------
# Progress


def own_sessions(services: AppServices, user: User) -> list[DrillSession]:
    """The user's own practice sessions and imported chats, newest first (exam cards live in the assessment)."""
    services.close_idle_drills()
    return [row for row in services.store.list_sessions(SessionFilter(user_name=user.name)) if row.source != "exam"]


def history(services: AppServices, user: User, lang: Language) -> HistoryView:
    """The user's sessions, score trend (oldest first) and average score per criterion.

    Scores include mentor overrides; incomplete reports have no total and are left out of the
    trend, but their scored criteria count in the averages.
    """
    library = services.content.snapshot().library
    rows = own_sessions(services, user)
    sessions = [session_summary(row, library, lang) for row in rows]
    trend: list[dict[str, Any]] = []
    per_criterion: dict[str, list[int]] = {}
    for row in reversed(rows):
        if row.status != "graded":
            continue
        effective = effective_report(services, row.id)
        if effective is None:
            continue
        report = effective.report
        if report.total is not None:
            trend.append(
                {
                    "attempt": len(trend) + 1,
                    "total": report.total,
                    "started": _local_time(row.started_at),
                    "case": row.case_id or "",
                }
            )
        for score in report.criteria:
            if score.score is not None:
                per_criterion.setdefault(score.id, []).append(score.score)
    averages = []
    rubric = library.rubric
    for criterion_id, scores in per_criterion.items():
        name = criterion_id
        if rubric is not None:
            with contextlib.suppress(KeyError):
                name = rubric.criterion(criterion_id).name.get(lang)
        averages.append({"criterion": name, "average": round(sum(scores) / len(scores), 2), "sessions": len(scores)})
    return HistoryView(sessions=sessions, trend=trend, criterion_averages=averages)


def customer_name(persona: Persona | None, case: Case | None, fallback: str = "—") -> str:
    """Who the customer was in a session, in the session's language: the case's customer (the case
    owns identity) and the persona's type label, e.g. ``王振华 · 较真的退休老人``."""
    if case is None:
        return persona.label.get(persona.languages[0]) if persona else fallback
    parts = [case.customer.name]
    if persona is not None:
        parts.append(persona.label.get(case.language))
    return " · ".join(parts)


def session_summary(row: DrillSession, library: Library, lang: Language) -> dict[str, Any]:
    """One session as a table row: labels in ``lang``; the session's own content (customer,
    scenario) in the session's language, as the trainee met it."""
    from simulator.app.i18n import label

    persona = library.personas.get(row.persona_id or "")
    case = library.cases.get(row.case_id or "") or library.exam_cases.get(row.case_id or "")
    return {
        "id": row.id,
        "trainee": row.user_name,
        "started": _local_time(row.started_at),
        "persona": customer_name(persona, case, row.persona_id or "—"),
        "case": case.title if case else (row.case_id or row.scenario or "—"),
        "status": label("status", row.status, lang),
        "outcome": label("outcome", row.outcome, lang) if row.outcome else "—",
        "total": row.total,
        "result": label("result", _result(row), lang),
        "source": row.source,
    }


def _result(row: DrillSession) -> str:
    if row.status != "graded":
        return "ungraded"
    if row.passed is None:
        return "incomplete"
    return "pass" if row.passed else "fail"


def _local_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
