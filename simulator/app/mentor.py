"""Mentor handlers: find sessions, replay them with the grader's notes, comment, override, export, import.

Mentors (and trainers) see every session; a trainee who reaches these functions sees only their
own sessions and cannot comment, override or import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

from simulator import limits
from simulator.accounts import User
from simulator.app.i18n import AppError, label, t
from simulator.app.report_export import ReportBundle, render_html, render_markdown
from simulator.app.scorecards import effective_report, grade_or_explain
from simulator.app.scoring import EffectiveReport
from simulator.app.services import AppServices
from simulator.app.trainee_history import session_summary
from simulator.grading.scorecard import display_turn, rule_name
from simulator.grading.transcript_file import TranscriptFileError
from simulator.models import Case, Language, Persona, Rubric, Transcript
from simulator.mood_scale import mood_text
from simulator.store import SessionFilter
from simulator.store_snapshots import (
    grader_version,
    pin_imported_content,
    session_content,
    session_library,
    uses_current_content,
)
from simulator.transcript_import import read_transcript_text
from simulator.turn_warnings import warnings_for

Result = Literal["any", "pass", "fail", "incomplete", "ungraded"]

#: What an imported log's owner must look like: an account name (see ``accounts.UserEntry``).
OWNER_NAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")

#: Author of the comment that records an import's warnings and masking.
IMPORT_AUTHOR = "drill import"


@dataclass(frozen=True)
class MentorFilters:
    """Filters of the session list; empty values mean no restriction. Dates are ``YYYY-MM-DD``."""

    trainee: str | None = None
    persona_id: str | None = None
    case_id: str | None = None
    since: str | None = None
    until: str | None = None
    result: Result = "any"
    min_total: float | None = None
    max_total: float | None = None


@dataclass(frozen=True)
class Comment:
    """A mentor comment on one turn (``turn`` None: an overall note)."""

    turn: int | None
    author: str
    text: str
    created_at: datetime | None
    #: Whether the trainee sees it in their own history.
    visible_to_trainee: bool = True


@dataclass(frozen=True)
class Replay:
    """Everything the replay panel shows for one session."""

    session: dict[str, Any]
    transcript: Transcript
    effective: EffectiveReport | None
    comments: list[Comment]
    rubric: Rubric | None = None
    #: Why the last grading failed, while the session has no report (None otherwise).
    grading_failure: str | None = None
    #: What the LLM customer's engine corrected in its model's replies, by turn (mentors only).
    model_warnings: dict[int, list[str]] = field(default_factory=dict)
    #: The persona and case the session was played with (its snapshots; today's files for older sessions).
    persona: Persona | None = None
    case: Case | None = None
    #: The session predates content snapshots: persona and case are today's files, which may have changed.
    current_content: bool = False

    def criterion_name(self, criterion_id: str, lang: Language) -> str:
        """The criterion's display name in ``lang`` (its id when the rubric does not know it)."""
        if self.rubric is not None:
            try:
                return self.rubric.criterion(criterion_id).name.get(lang)
            except KeyError:
                pass
        return criterion_id

    @property
    def mood_points(self) -> list[dict[str, int]]:
        """(message number as shown, mood) of every customer turn that carries a state."""
        return [
            {"turn": display_turn(index), "mood": turn.state.mood}
            for index, turn in enumerate(self.transcript.turns)
            if turn.role == "customer" and turn.state is not None
        ]

    def turn_notes(self, index: int, lang: Language) -> dict[str, list[str]]:
        """The grader's notes on turn ``index``: criteria helped/hurt, rule findings, comments."""
        notes: dict[str, list[str]] = {"helped": [], "hurt": [], "findings": [], "comments": []}
        if self.effective is not None:
            report = self.effective.report
            for annotation in report.annotations:
                if annotation.turn == index:
                    notes["helped"] = list(annotation.helped)
                    notes["hurt"] = list(annotation.hurt)
            notes["findings"] = [f"{rule_name(f.rule, lang)}: {f.message}" for f in report.findings if f.turn == index]
        notes["comments"] = [
            f"{'' if c.visible_to_trainee else '🔒 '}{c.author}: {c.text}" for c in self.comments if c.turn == index
        ]
        return notes


def _parse_date(text: str | None, *, end: bool) -> datetime | None:
    if not text or not str(text).strip():
        return None
    try:
        day = date.fromisoformat(str(text).strip()[:10])
    except ValueError as exc:
        raise AppError("bad_date", value=str(text)) from exc
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == "any"


def find_sessions(services: AppServices, user: User, filters: MentorFilters, lang: Language) -> list[dict[str, Any]]:
    """Sessions matching ``filters`` as table rows, newest first (a trainee: only their own)."""
    trainee = None if _empty(filters.trainee) else filters.trainee
    if not user.sees_all_sessions:
        trainee = user.name
    if filters.min_total is not None and filters.max_total is not None and filters.min_total > filters.max_total:
        raise AppError("bad_score_range", low=filters.min_total, high=filters.max_total)
    store_filter = SessionFilter(
        user_name=trainee,
        persona_id=None if _empty(filters.persona_id) else filters.persona_id,
        case_id=None if _empty(filters.case_id) else filters.case_id,
        since=_parse_date(filters.since, end=False),
        until=_parse_date(filters.until, end=True),
        passed={"pass": True, "fail": False}.get(filters.result),
        min_total=filters.min_total,
        max_total=filters.max_total,
        status="graded" if filters.result in ("pass", "fail", "incomplete") else None,
    )
    services.close_idle_drills()
    rows = services.store.list_sessions(store_filter)
    if filters.result == "incomplete":
        rows = [row for row in rows if row.passed is None]
    elif filters.result == "ungraded":
        rows = [row for row in rows if row.status != "graded"]
    library = services.content.snapshot().library
    return [session_summary(row, library, lang) for row in rows]


def trainee_names(services: AppServices, user: User) -> list[str]:
    """Names with at least one session (only the user's own for a trainee)."""
    if not user.sees_all_sessions:
        return [user.name]
    return sorted({row.user_name for row in services.store.list_sessions(limit=5000)})


def load_replay(services: AppServices, user: User, session_id: str | None, lang: Language) -> Replay:
    """The session with its transcript, effective report and comments."""
    row = services.session_for(user, session_id)
    library = services.content.snapshot().library
    # A trainee reading their own session sees only the comments meant for them.
    reviewer = user.can("mentor") or user.can("trainer")
    comments = [
        Comment(a.turn_idx, a.author, a.text, a.created_at, a.visible_to_trainee)
        for a in services.store.annotations(row.id)
        if reviewer or a.visible_to_trainee
    ]
    effective = effective_report(services, row.id)
    job = services.grading_state(row.id) if effective is None else None
    played_with = session_content(services.store.engine, row, library)
    return Replay(
        # the header names the customer and scenario as played (the export reuses it)
        session=session_summary(row, session_library(services.store.engine, row, library), lang),
        transcript=services.store.transcript(row.id),
        effective=effective,
        comments=comments,
        rubric=library.rubric,
        grading_failure=job.reason if job is not None and job.state == "failed" else None,
        model_warnings=warnings_for(services.store, row.id) if user.can("mentor") else {},
        persona=played_with.persona,
        case=played_with.case,
        current_content=uses_current_content(row),
    )


def replay_messages(replay: Replay, step: int | None, lang: Language) -> list[dict[str, Any]]:
    """Chat messages up to turn ``step`` (all with ``None``), agent turns followed by their notes.

    Notes ride on a collapsible message (Gradio's ``metadata.title``) so a mentor can open them.
    """
    from simulator.app.i18n import t

    last = len(replay.transcript.turns) - 1 if step is None else min(step, len(replay.transcript.turns) - 1)
    messages: list[dict[str, Any]] = []
    for index, turn in enumerate(replay.transcript.turns[: last + 1]):
        if turn.role == "agent":
            messages.append({"role": "user", "content": f"{turn.text}\n\n<sub>#{display_turn(index)}</sub>"})
            body = notes_markdown(replay.turn_notes(index, lang), replay, lang)
            if body:
                messages.append(
                    {
                        "role": "user",
                        "content": body,
                        "metadata": {"title": t("notes_on_turn", lang, n=display_turn(index))},
                    }
                )
        else:
            mood = f" · {mood_text(turn.state.mood, lang)}" if turn.state else ""
            # A platform line from an imported log is shown for context, marked, and never graded.
            shown = f"*{t('speaker_system', lang)}:* {turn.text}" if turn.role == "system" else turn.text
            messages.append({"role": "assistant", "content": f"{shown}\n\n<sub>#{display_turn(index)}{mood}</sub>"})
            corrected = replay.model_warnings.get(index, [])
            if corrected:
                messages.append(
                    {
                        "role": "assistant",
                        "content": "\n".join(f"- ⚙️ {warning}" for warning in corrected),
                        "metadata": {"title": t("model_notes", lang, n=display_turn(index))},
                    }
                )
            comments = replay.turn_notes(index, lang)["comments"]
            if comments:
                messages.append(
                    {
                        "role": "assistant",
                        "content": "\n".join(f"- {c}" for c in comments),
                        "metadata": {"title": t("notes_on_turn", lang, n=display_turn(index))},
                    }
                )
    return messages


def notes_markdown(notes: dict[str, list[str]], replay: Replay, lang: Language) -> str:
    """The notes of one turn as Markdown lines (empty when there are none)."""
    from simulator.app.i18n import t

    rubric_names = _criterion_names(replay, lang)
    lines = []
    if notes["helped"]:
        lines.append(f"✅ {t('helped', lang)}: " + ", ".join(rubric_names.get(c, c) for c in notes["helped"]))
    if notes["hurt"]:
        lines.append(f"⚠️ {t('hurt', lang)}: " + ", ".join(rubric_names.get(c, c) for c in notes["hurt"]))
    lines.extend(f"🔎 {finding}" for finding in notes["findings"])
    lines.extend(f"💬 {comment}" for comment in notes["comments"])
    return "\n\n".join(lines)


def _criterion_names(replay: Replay, lang: Language) -> dict[str, str]:
    if replay.effective is None:
        return {}
    return {score.id: replay.criterion_name(score.id, lang) for score in replay.effective.report.criteria}


# ---------------------------------------------------------------------------------------------
# Changing things


def add_comment(
    services: AppServices,
    user: User,
    session_id: str | None,
    turn: int | None,
    text: str,
    *,
    visible_to_trainee: bool = True,
) -> None:
    """A mentor's comment on turn ``turn`` (``None``: an overall note on the session); the trainee
    sees it in their history unless ``visible_to_trainee`` is False."""
    services.require(user, "mentor")
    row = services.session_for(user, session_id)
    if not (text or "").strip():
        raise AppError("comment_empty")
    if len(text.strip()) > limits.COMMENT_CHARS.value:
        cap = limits.COMMENT_CHARS
        raise AppError("comment_too_long", length=len(text.strip()), limit=cap.value, env=cap.env)
    turns = len(services.store.get_session(row.id).turns)
    if turn is not None and not 0 <= turn < turns:
        raise AppError("no_such_turn", n=turn, count=turns)
    services.store.add_annotation(
        row.id, author=user.name, text=text, turn_idx=turn, visible_to_trainee=visible_to_trainee
    )


def override_score(
    services: AppServices, user: User, session_id: str | None, criterion_id: str | None, score: int | None, reason: str
) -> EffectiveReport:
    """Record a mentor's score for one criterion (the grader's score is kept) and refresh the total."""
    services.require(user, "mentor")
    row = services.session_for(user, session_id)
    if services.store.latest_report(row.id) is None:
        raise AppError("not_graded_yet")
    if not criterion_id:
        raise AppError("choose_criterion")
    if score is None or int(score) != score or not 1 <= int(score) <= 5:
        raise AppError("bad_override_score", value=score)
    if not (reason or "").strip():
        raise AppError("override_needs_reason")
    if len(reason.strip()) > limits.OVERRIDE_REASON_CHARS.value:
        cap = limits.OVERRIDE_REASON_CHARS
        raise AppError("reason_too_long", length=len(reason.strip()), limit=cap.value, env=cap.env)
    try:
        services.store.add_override(
            row.id, criterion_id=criterion_id, new_score=int(score), reason=reason, author=user.name
        )
    except ValueError as exc:
        raise AppError("override_failed", detail=str(exc)) from exc
    effective = effective_report(services, row.id)
    assert effective is not None  # a report exists: checked above
    report = effective.report
    services.store.set_effective_total(row.id, report.total, report.passed)
    return effective


def _bundle(services: AppServices, user: User, session_id: str | None, lang: Language) -> ReportBundle:
    replay = load_replay(services, user, session_id, lang)
    return ReportBundle(
        session=replay.session,
        transcript=replay.transcript,
        effective=replay.effective,
        comments=replay.comments,
        rubric=replay.rubric,
        language=lang,
    )


def export_report(
    services: AppServices, user: User, session_id: str | None, fmt: Literal["html", "md"], lang: Language, out_dir: Path
) -> Path:
    """Write the session's report (transcript, scorecard, comments) to ``out_dir``; return the file."""
    bundle = _bundle(services, user, session_id, lang)
    text = render_html(bundle) if fmt == "html" else render_markdown(bundle)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = str(bundle.session.get("started", "")).replace(":", "").replace(" ", "-")
    trainee = re.sub(r"[^A-Za-z0-9_@-]", "_", str(bundle.session["trainee"]))  # a name is never a path
    path = out_dir / f"drill-{trainee}-{stamp}-{str(bundle.session['id'])[:8]}.{fmt}"
    path.write_text(text, encoding="utf-8")
    return path


def import_transcript(
    services: AppServices, user: User, text: str, trainee: str | None, lang: Language
) -> tuple[str, EffectiveReport | None]:
    """Store a real chat log (transcript JSON) under ``trainee`` and grade it like a drill.

    The log goes through the same import path as ``drill grade`` (``simulator.transcript_import``:
    size caps, byte-order mark, ``user``/``assistant``/``content`` aliases, ``system`` lines,
    personal data masked). Its warnings and what was masked are stored as a comment on the
    session, so the mentor who opens it sees them. Returns the new session id and its report.
    Parsing problems raise ``AppError`` listing them (nothing is stored); a grading failure leaves
    the session stored and ungraded.
    """
    services.require(user, "mentor")
    try:
        imported = read_transcript_text(text, "transcript.json")
    except TranscriptFileError as exc:
        raise AppError("import_invalid", detail="\n".join(exc.problems)) from exc
    transcript = imported.transcript
    library = services.library()
    if transcript.case_id and transcript.case_id not in library.cases:
        raise AppError("unknown_case", id=transcript.case_id)
    if not transcript.agent_turn_indices():
        raise AppError("import_no_agent")
    owner = (trainee or "").strip() or user.name
    if not OWNER_NAME.fullmatch(owner):
        raise AppError("import_owner_invalid", name=owner[:80])
    if not services.local_mode and not services.accounts.known(owner):
        raise AppError("import_owner_unknown", name=owner)
    session_id = services.store.import_transcript(transcript, user_name=owner)
    judge = services.settings.judge_model if services.grader_engine == "llm" else None
    grader = grader_version(services.grader_engine, library.require_rubric(), judge_model=judge)
    pin_imported_content(services.store.engine, session_id, library, grader)
    notes = [warning.message(lang) for warning in imported.warnings]
    if imported.masked_total:
        notes.append(t("import_masked", lang, count=imported.masked_total))
    if notes:
        services.store.add_annotation(session_id, author=IMPORT_AUTHOR, text="\n".join(notes), visible_to_trainee=False)
    grade_or_explain(services, session_id)  # on failure the log stays stored; Regrade retries
    return session_id, effective_report(services, session_id)


def delete_import(services: AppServices, user: User, session_id: str | None) -> None:
    """Delete an imported chat log with its report, comments and overrides (mentors only).

    A trainee's drill cannot be deleted this way: only sessions that came from an import.
    """
    services.require(user, "mentor")
    row = services.session_for(user, session_id)
    if row.source != "import":
        raise AppError("delete_not_import")
    services.store.delete_imported(row.id)


def regrade(services: AppServices, user: User, session_id: str | None) -> EffectiveReport | None:
    """Grade an ended session again: the grader is called anew and its report becomes the latest.

    Earlier reports and the mentors' overrides are kept (overrides apply to the new report). A
    failed grading stores no report and records why; pressing the button again retries.
    """
    services.require(user, "mentor")
    row = services.session_for(user, session_id)
    if row.status == "open":
        raise AppError("session_still_open")
    grade_or_explain(services, row.id, again=True)
    return effective_report(services, row.id)


def criterion_options(replay: Replay, lang: Language) -> list[tuple[str, str]]:
    """(label, id) of the criteria of the session's report, with the current score."""
    if replay.effective is None:
        return []
    options = []
    overridden = replay.effective.overridden
    for score in replay.effective.report.criteria:
        original = next((c.score for c in replay.effective.original.criteria if c.id == score.id), None)
        shown = f"{score.score if score.score is not None else '—'}/5"
        if score.id in overridden:
            shown += f" ({label('result', 'override', lang)}; {original if original is not None else '—'}/5)"
        options.append((f"{replay.criterion_name(score.id, lang)} — {shown}", score.id))
    return options


__all__ = [
    "Comment",
    "MentorFilters",
    "Replay",
    "add_comment",
    "criterion_options",
    "delete_import",
    "export_report",
    "find_sessions",
    "import_transcript",
    "load_replay",
    "override_score",
    "regrade",
    "replay_messages",
    "trainee_names",
]
