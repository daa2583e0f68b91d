"""Practice drills: start one, talk with streaming replies (retry, stop), end and score it, resume it.

Plain functions over :class:`~simulator.app.services.AppServices`; the Gradio layer only wires
them to components. Every function takes the signed-in user and checks what they may do. Choosing
the scenario is ``scenario_choice``, scorecards ``scorecards``, the trainee's own past sessions
``trainee_history``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from simulator.accounts import User
from simulator.app.i18n import AppError
from simulator.app.scorecards import ScorecardView, grade_or_explain, scorecard
from simulator.app.services import AppServices, LiveSession, SessionNotFound
from simulator.customer.base import ReplyStream
from simulator.errors import ConversationEnded, ConversationFull, CustomerUnavailable, DrillError, ReplyStopped
from simulator.limits import DRILL_TURNS, MESSAGE_CHARS
from simulator.models import Language, Turn
from simulator.store import TurnConflict
from simulator.store_rows import DrillSession
from simulator.turn_warnings import add_warnings


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
# Ending


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


def try_again(services: AppServices, user: User, session_id: str | None) -> DrillView:
    """A new drill on the same persona and case as ``session_id``."""
    if not session_id:
        raise AppError("no_open_session")
    row = services.session_for(user, session_id)
    return start_session(services, user, row.persona_id, row.case_id)
