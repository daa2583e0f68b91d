"""What the app's handlers share: settings, content, the session store, accounts, live drills.

One ``AppServices`` per process. Everything a handler needs goes through it, so the handlers
stay plain functions that tests call without Gradio. Authorization lives here too
(:meth:`AppServices.session_for`): a trainee gets only their own sessions, whatever id they ask
for, and a missing session and someone else's look the same.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from simulator import limits
from simulator.access import Access, decide
from simulator.account_table import accounts_for
from simulator.accounts import LOCAL, Accounts, AccountsUnavailable, User
from simulator.app.i18n import AppError
from simulator.app.live_drills import LiveDrills, LiveSession
from simulator.config import Settings
from simulator.content import Library, content_files, validate_files
from simulator.content_problems import ContentProblem, errors_only
from simulator.conversation import Conversation
from simulator.customer import EngineName, make_customer
from simulator.grading_claims import JobState, job_state
from simulator.models import GradeReport
from simulator.session_grading import SessionGrader
from simulator.store import SessionStore
from simulator.store_rows import DrillSession
from simulator.store_snapshots import grader_version, keep_snapshot, session_library

if TYPE_CHECKING:
    from simulator.programme.service import Programme

log = logging.getLogger(__name__)


class AccessDenied(AppError):
    """The signed-in user does not hold the role an action needs (or is not signed in)."""


class SessionNotFound(AppError):
    """No session with that id that this user may see (the two cases are not told apart)."""


class ContentUnavailable(AppError):
    """The content library cannot be used (no rubric)."""


# ---------------------------------------------------------------------------------------------
# Content that follows the files


@dataclass
class ContentSnapshot:
    """The library as loaded from the files at one moment, with the problems found."""

    library: Library
    problems: list[ContentProblem]
    signature: tuple[tuple[str, int, int], ...]


class ContentCache:
    """The content library, reloaded whenever a file under personas/ or casebank/ changes.

    Changes are detected by file list, modification time and size, checked on every access (a
    directory listing and a few ``stat`` calls), so a persona a trainer saves or drops into the
    folder appears in the trainee view without a restart. A broken file does not take the app
    down: valid items stay usable and the problems are kept for the trainer view.
    """

    def __init__(self, *roots: Path):
        self.roots = roots
        self._lock = threading.Lock()
        self._snapshot: ContentSnapshot | None = None
        self._reloading = False

    def _signature(self) -> tuple[tuple[str, int, int], ...]:
        entries = []
        for path in content_files(*self.roots):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def snapshot(self) -> ContentSnapshot:
        """The current library (reloaded first when the files changed).

        Files are parsed outside the lock, by one thread at a time: while a reload runs, other
        requests get the library as it was, so a slow or broken file never holds up other users.
        """
        signature = self._signature()
        with self._lock:
            current = self._snapshot
            if current is not None and (current.signature == signature or self._reloading):
                return current
            self._reloading = True
        try:
            library, problems = validate_files(content_files(*self.roots))
        finally:
            with self._lock:
                self._reloading = False
        fresh = ContentSnapshot(library, problems, signature)
        with self._lock:
            self._snapshot = fresh
        errors = errors_only(problems)
        if errors:
            log.warning("%d content problem(s); run `drill validate`", len(errors))
        return fresh

    def invalidate(self) -> None:
        """Forget the loaded library (the next access reloads)."""
        with self._lock:
            self._snapshot = None


# ---------------------------------------------------------------------------------------------
# Live drills


IndexSync = Callable[[Library], str]


class AppServices:
    """Shared state of one app process."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: SessionStore | None = None,
        accounts: Accounts | None = None,
        index_sync: IndexSync | None = None,
        access: Access | None = None,
    ):
        self.settings = settings
        self.store = store or SessionStore(settings.sqlalchemy_url)
        self.accounts = accounts or accounts_for(settings, self.store.engine)
        #: Decided once, here (``drill serve`` decides for its address and passes it in): whether
        #: people sign in never changes while the process runs, whatever happens to the store.
        self.access = access or decide(self.accounts)
        self.content = ContentCache(*settings.content_roots)
        self._index_sync = index_sync
        #: Open drills held in memory: a cache checked against the store before each turn.
        self.live_drills = LiveDrills()
        #: Grades stored sessions for this replica, claimed in the database (see session_grading).
        self.grader = SessionGrader(
            self.store, settings=settings, library=self.library, engine=lambda: self.grader_engine
        )

    # -- engines -------------------------------------------------------------------------------

    @property
    def customer_engine(self) -> EngineName:
        """``llm`` when an endpoint is configured, else ``offline``."""
        return "llm" if self.settings.llm_configured else "offline"

    @property
    def grader_engine(self) -> EngineName:
        """Same rule as the customer: the LLM judge when an endpoint is configured."""
        return "llm" if self.settings.llm_configured else "offline"

    def engine_description(self) -> str:
        """``offline`` or ``LLM: model @ url`` (credentials never shown)."""
        # the client module imports the OpenAI SDK only, not LangChain (which cost a loaded
        # machine 17 s of its first page load when the header imported all of simulator.llm)
        from simulator.llm.client import describe_engine

        return describe_engine(self.settings)

    # -- content -------------------------------------------------------------------------------

    def library(self) -> Library:
        """The content library as the files are now; ``ContentUnavailable`` when unusable."""
        library = self.content.snapshot().library
        if library.rubric is None:
            raise ContentUnavailable("content_unavailable", path=str(self.settings.casebank_dir / "rubric.yaml"))
        return library

    def library_for(self, row: DrillSession) -> Library:
        """The library to play or grade ``row`` with: its own persona and case as snapshotted when it
        started (whatever the files say now), and for an exam card's session the exam pool too."""
        library = self.library()
        library = library.with_exam_cases() if row.source == "exam" else library
        return session_library(self.store.engine, row, library)

    def content_problems(self) -> list[ContentProblem]:
        """Problems in the content files right now (empty when everything loads)."""
        return self.content.snapshot().problems

    def sync_case_index(self, library: Library) -> str:
        """Bring the case index up to date with ``library``; return a one-line summary.

        Raises whatever the index raises; callers treat a failure as a warning.
        """
        if self._index_sync is not None:
            return self._index_sync(library)
        from simulator.casebank_index import shared_index  # heavy (Chroma, embedder); only when needed

        # the sync reads the content again once it holds the index lease: never a stale library
        return str(shared_index(self.settings, library).sync(self.library).summary())

    @functools.cached_property
    def programme(self) -> Programme:
        """Quizzes, assessments, assignments, ratings and the team view over this store and these accounts."""
        from simulator.programme.service import Programme

        return Programme(self.store, self.accounts, single_user=self.local_mode)

    # -- users ---------------------------------------------------------------------------------

    @property
    def local_mode(self) -> bool:
        """True in single-user local mode (decided at start-up): one local user with every role."""
        return self.access.single_user

    def user(self, username: str | None) -> User:
        """The signed-in user (the local user in single-user mode); ``AccessDenied`` otherwise.

        With accounts on, a store that has gone missing or unreadable refuses everyone.
        """
        if self.access.single_user:
            return LOCAL
        if not username:
            raise AccessDenied("not_signed_in")
        try:
            found = self.accounts.get(username)
        except AccountsUnavailable as exc:
            log.error("access denied to %s: %s", username, exc)
            raise AccessDenied("accounts_unavailable", detail=str(exc)) from exc
        if found is None:
            raise AccessDenied("account_gone", name=username)
        return found

    def authenticate(self, username: str, password: str, address: str | None = None) -> bool:
        """Password check for the sign-in page; ``LoginThrottled`` while the name or address is paused."""
        try:
            return self.accounts.authenticate(username, password, address) is not None
        except AccountsUnavailable:
            log.exception("sign-in refused: the accounts store cannot be read")
            return False

    @staticmethod
    def require(user: User, role: str) -> None:
        """Raise ``AccessDenied`` unless ``user`` holds ``role``."""
        if not user.can(role):
            raise AccessDenied("access_denied", role=role, roles=", ".join(sorted(user.roles)))

    # -- sessions ------------------------------------------------------------------------------

    def session_for(self, user: User, session_id: str | None) -> DrillSession:
        """The session with ``session_id`` if ``user`` may see it, else ``SessionNotFound``.

        Mentors and trainers see every session; a trainee only their own.
        """
        if not session_id:
            raise SessionNotFound("no_session", id="")
        try:
            row = self.store.get_session(session_id)
        except KeyError:
            row = None
        if row is None or (row.user_name != user.name and not user.sees_all_sessions):
            raise SessionNotFound("no_session", id=session_id)
        return row

    def new_seed(self) -> int:
        """A fresh seed for a new drill (stored with the session, so it can be replayed)."""
        return secrets.randbelow(2**31)

    def start_drill(
        self, user: User, persona_id: str, case_id: str, *, seed: int | None = None, exam: bool = False
    ) -> LiveSession:
        """Create a session, add the customer's opening line (committed) and keep it live.

        ``exam=True`` plays a card of the exam pool (``casebank/exam/``) as a session whose
        ``source`` is ``exam``; callers check that the card was drawn for ``user``.
        """
        library = self.library()
        persona = library.persona(persona_id)
        case = library.exam_case(case_id) if exam else library.case(case_id)
        seed = self.new_seed() if seed is None else seed
        engine = make_customer(
            persona,
            case,
            engine=self.customer_engine,
            seed=seed,
            settings=self.settings,
            rubric=library.rubric,
        )
        # What this drill is played and graded with, kept apart from the files (docs/store.md).
        rubric = library.require_rubric()
        judge = self.settings.judge_model if self.grader_engine == "llm" else None
        session_id = self.store.create_session(
            persona_hash=keep_snapshot(self.store.engine, "persona", persona),
            case_hash=keep_snapshot(self.store.engine, "case", case),
            grader_version=grader_version(self.grader_engine, rubric, judge_model=judge),
            user_name=user.name,
            language=case.language,
            persona_id=persona.id,
            case_id=case.id,
            archetype=persona.archetype,
            scenario=case.title,
            customer_engine=engine.name,
            seed=seed,
            source="exam" if exam else "drill",
        )
        conversation = Conversation(engine, transcript_id=session_id)
        conversation.start()
        self.store.append_turn(session_id, conversation.turns[-1], expected_index=0)
        self.evict_idle_live()
        return self.live_drills.adopt(
            LiveSession(session_id, user.name, conversation, stored_turns=len(conversation.turns))
        )

    def live_session(self, user: User, session_id: str) -> LiveSession:
        """The open drill ``session_id`` of ``user``, checked against the store and rebuilt when stale.

        Only the owner may talk in a drill. The cached drill is used when the store holds exactly
        the turns it knows (one cheap query); when another replica, tab or process has written
        turns since, or closed the drill, it is rebuilt from the store instead of forking the
        transcript. The engine is rebuilt with the stored seed and given the stored turns as
        history: the offline engine replays them to restore its state, the LLM engine reads them
        as the conversation so far.
        """
        self.evict_idle_live()
        live = self.live_drills.get(session_id)
        if live is not None and live.user_name == user.name:
            version = self.store.drill_version(session_id)
            if version is not None and version.status == "open" and version.turns == live.stored_turns:
                return live
            self.live_drills.forget(session_id, only=live)
            log.info("drill %s changed in the store (%s); rebuilding it", session_id, version)
        row = self.session_for(user, session_id)
        if row.user_name != user.name:
            raise SessionNotFound("no_session", id=session_id)
        if row.status != "open":
            raise AppError("drill_not_open")
        library = self.library_for(row)
        persona = library.persona(row.persona_id or "")
        case = library.case(row.case_id or "")
        # An LLM drill resumed where no endpoint is configured any more continues offline.
        engine_name: EngineName = "llm" if row.customer_engine == "llm" and self.settings.llm_configured else "offline"
        engine = make_customer(
            persona,
            case,
            engine=engine_name,
            seed=row.seed,
            settings=self.settings,
            rubric=library.rubric,
        )
        conversation = Conversation(engine, transcript_id=row.id)
        stored = self.store.transcript(row.id).turns
        if stored:
            conversation.transcript.turns.extend(stored)
        else:
            conversation.start()
            self.store.append_turn(row.id, conversation.turns[-1], expected_index=0)
        return self.live_drills.adopt(
            LiveSession(row.id, user.name, conversation, stored_turns=len(conversation.turns))
        )

    def forget_live(self, session_id: str) -> None:
        """Drop a drill from memory (its turns are all in the store)."""
        self.live_drills.forget(session_id)

    def evict_idle_live(self) -> list[str]:
        """Drop drills unused for ``DRILL_MAX_LIVE_DRILL_IDLE_MINUTES`` from memory; return their ids.

        They stay open in the store: the next message rebuilds them (on this replica or another).
        """
        return self.live_drills.evict_idle(limits.LIVE_DRILL_IDLE_MINUTES.value * 60.0)

    def close_idle_drills(self) -> list[str]:
        """Close practice drills idle longer than ``DRILL_MAX_DRILL_IDLE_MINUTES`` as abandoned.

        Run before any list of sessions is shown and before a drill is resumed, so no list ever
        shows a drill "in progress" that nobody will finish. Drills that are no longer open in the
        store (closed here, or by another replica) are dropped from this process's memory too.
        """
        closed = self.store.close_idle_sessions(timedelta(minutes=limits.DRILL_IDLE_MINUTES.value))
        self.live_drills.forget_all(closed)
        cached = self.live_drills.ids()
        still_open = self.store.open_among(cached)
        self.live_drills.forget_all(sid for sid in cached if sid not in still_open)
        self.evict_idle_live()
        return closed

    def grade_session(self, session_id: str, *, again: bool = False) -> GradeReport:
        """Grade the stored transcript of a session and store the report (``again``: even if graded).

        Raises ``GradingBusy`` while another request or replica grades it, ``GradingFailed`` (recorded
        with its reason, nothing stored as a report) when grading failed.
        """
        return self.grader.grade(session_id, again=again)

    def grading_state(self, session_id: str) -> JobState | None:
        """How the last grading of ``session_id`` went (None: never attempted)."""
        return job_state(self.store, session_id)
