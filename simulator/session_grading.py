"""Grading stored sessions: claimed, stored as a report or as a failure with its reason, redone on demand.

The one path by which a stored session gets graded, for the app's End and Regrade, a mentor's
import and the background sweep:

1. the session is claimed for this worker (``grading_claims.claim``): another worker grading the
   same session right now makes this one refuse (:class:`~simulator.errors.GradingBusy`), so two
   replicas never grade a session twice;
2. the grader chain runs (``simulator.grading.grade``) while a heartbeat keeps the claim alive;
3. a report is stored and the claim closed as done — or, when grading failed (the endpoint is
   down, it refused the prompt, nothing it sent could be used), no report is stored: the failure
   and its reason are recorded and :class:`~simulator.errors.GradingFailed` is raised. Pressing End
   again, the mentor's Regrade or the next sweep grades it again.

The sweep (:meth:`SessionGrader.sweep`, run at app start and then every :data:`SWEEP_SECONDS` by
:meth:`SessionGrader.start_sweeper`) grades what a crash left behind: ended sessions with no
report whose claim, if any, went stale. Sessions whose grading failed wait for a person to ask
again, so a broken endpoint is not hammered in the background.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from simulator import grading_claims
from simulator.config import Settings
from simulator.content import Library
from simulator.errors import GradingBusy, GradingFailed
from simulator.models import GradeReport
from simulator.store import SessionStore
from simulator.store_snapshots import session_library

log = logging.getLogger(__name__)

#: How often a running app looks for sessions a crash left ungraded.
SWEEP_SECONDS = 60.0

Engine = Literal["offline", "llm"]


class SessionGrader:
    """Grades stored sessions for one worker (one app replica or one CLI process)."""

    def __init__(
        self,
        store: SessionStore,
        *,
        settings: Settings,
        library: Callable[[], Library],
        engine: Callable[[], Engine],
        worker: str | None = None,
    ):
        self.store = store
        self.settings = settings
        self._library = library
        self._engine = engine
        self.worker = worker or grading_claims.new_worker_id()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def grade(self, session_id: str, *, again: bool = False) -> GradeReport:
        """Claim, grade and store ``session_id``'s report.

        A session never graded, or whose grading failed, is graded; with ``again`` (a mentor's
        regrade) one already graded is graded anew too. Raises ``GradingBusy`` when another worker
        is grading it right now, or (without ``again``) has just finished it, and ``GradingFailed``
        (recorded with its reason, no report stored) when grading failed.
        """
        retake = (grading_claims.FAILED, grading_claims.DONE) if again else (grading_claims.FAILED,)
        return self._grade(session_id, retake)

    def _grade(self, session_id: str, retake: tuple[str, ...]) -> GradeReport:
        from simulator.grading import grade  # the grader chain loads rules and lexicons

        if not grading_claims.claim(self.store, session_id, self.worker, retake=retake):
            raise GradingBusy(f"session {session_id} is being graded right now by another request or server")
        try:
            with grading_claims.Heartbeat(self.store, session_id, self.worker):
                transcript = self.store.transcript(session_id)
                row = self.store.get_session(session_id)
                library = self._library()
                if row.source == "exam":
                    library = library.with_exam_cases()  # an exam card is graded against its exam case
                # its persona and case as they were when it was played, not as the files say today
                library = session_library(self.store.engine, row, library)
                report = grade(transcript, library=library, engine=self._engine(), settings=self.settings)
                self.store.save_report(session_id, report)
        except GradingFailed as exc:
            grading_claims.fail(self.store, session_id, self.worker, str(exc))
            raise
        except Exception as exc:
            grading_claims.fail(self.store, session_id, self.worker, f"{type(exc).__name__}: {exc}")
            raise
        grading_claims.finish(self.store, session_id, self.worker)
        return report

    def sweep(self) -> list[str]:
        """Grade every session a crash left ungraded; return the ids graded now (busy ones skipped)."""
        graded = []
        for session_id in grading_claims.pending_sessions(self.store):
            if self._stop.is_set():
                break
            try:
                self._grade(session_id, retake=())
            except GradingBusy:
                continue  # another replica took it first
            except Exception:  # recorded as failed with its reason; the sweep goes on
                log.warning("background grading of session %s failed", session_id, exc_info=True)
                continue
            graded.append(session_id)
        return graded

    def start_sweeper(self, interval_s: float = SWEEP_SECONDS) -> threading.Thread:
        """Sweep now and then every ``interval_s`` seconds in a daemon thread (until :meth:`stop`)."""

        def run() -> None:
            while not self._stop.is_set():
                try:
                    done = self.sweep()
                    if done:
                        log.info("graded %d session(s) left ungraded: %s", len(done), ", ".join(done))
                except Exception:  # a database hiccup must not end the sweeper
                    log.warning("grading sweep failed", exc_info=True)
                if self._stop.wait(interval_s):
                    return

        self._thread = threading.Thread(target=run, name="grading-sweeper", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop the sweeper (the grading in progress, if any, finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
