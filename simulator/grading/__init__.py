"""The grader chain: rule checks, then a grader engine, then aggregation into a GradeReport.

``grade()`` is the one entry point for the CLI, the app and the evals:

1. the deterministic rule checks (``rules.run_rules``) run on every transcript, whatever the engine;
2. reference cases are gathered: the transcript's own case when ``case_id`` is known, plus the
   ids the caller passes, or (when none are passed) the cases the index finds similar;
3. the engine scores each criterion — ``offline`` (``offline.grade_offline``, no LLM) or ``llm``
   (``judge.judge_transcript``, imported lazily so the offline path never needs it);
4. ``aggregate.build_report`` aligns the scores with the rubric and computes total, pass flag and
   per-turn annotations.

Retrieval is best effort: when the index cannot be used the report still comes out, with an
``info`` finding saying why. Bad input (an unknown case id, ``llm`` without an endpoint) raises
``GradingError`` with a message for the user.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.config import Settings
from simulator.content import Library
from simulator.errors import DrillError, GradingFailed
from simulator.grading.aggregate import build_report, unscored
from simulator.grading.offline import grade_offline, weights_fingerprint
from simulator.grading.rules import RuleContext, run_rules_in
from simulator.i18n import t
from simulator.models import Case, CriterionScore, Evidence, Finding, GradeReport, RedLine, Rubric, Transcript
from simulator.quotes import is_substantial

__all__ = [
    "GradingError",
    "agent_side_too_thin",
    "grade",
    "grading_outcome",
    "resolve_archetype",
    "retrieve_references",
]

log = logging.getLogger(__name__)

Engine = Literal["offline", "llm"]

#: How many similar cases the index is asked for when the caller passes no references.
REFERENCE_K = 3


class GradingError(DrillError):
    """The transcript cannot be graded as asked (unknown case, no LLM endpoint for ``llm``)."""


def resolve_archetype(transcript: Transcript, library: Library) -> str | None:
    """The customer type: the transcript's ``archetype``, else its persona's, else ``None``."""
    if transcript.archetype:
        return transcript.archetype.strip().lower() or None
    if transcript.persona_id and transcript.persona_id in library.personas:
        return library.personas[transcript.persona_id].archetype
    return None


@dataclass(frozen=True)
class References:
    """Reference case ids from the index, and whether it found no close case at all."""

    ids: list[str]
    no_close_case: bool = False


def retrieve_references(
    transcript: Transcript, library: Library, settings: Settings, findings: list[Finding]
) -> References:
    """Case ids close to ``transcript`` from the case index, or none when no case fits.

    When the index finds no close case (``CaseIndex.fitting_transcript``), an info finding says so
    and no case is used: nothing of another situation's facts can reach the report. Grading must not
    depend on the index being available, so every failure — the module missing, the embedder
    failing, Chroma unreachable — is recorded in ``findings`` instead of raised.
    """
    try:
        module = importlib.import_module("simulator.casebank_index")
        index = module.shared_index(settings, library)
        found = index.fitting_transcript(transcript, k=REFERENCE_K)
        if found.no_close_case:
            findings.append(
                Finding(rule="no_close_case", severity="info", message=_message(transcript, "no_close_case"))
            )
            return References([], no_close_case=True)
        return References([hit.case_id for hit in found.hits])
    except Exception as exc:  # any failure of an optional component; grading goes on without it
        log.warning("reference retrieval failed: %s", exc, exc_info=True)
        findings.append(
            Finding(
                rule="reference_retrieval_failed",
                severity="info",
                message=_message(transcript, "retrieval_failed").format(error=f"{type(exc).__name__}: {exc}"),
            )
        )
        return References([])


def agent_side_too_thin(transcript: Transcript) -> bool:
    """True when the transcript has agent turns but their distinct text makes no quotable clause.

    The measure is the evidence rule itself (``simulator.quotes.is_substantial``): when not one
    quote could back a level, there is nothing to grade. Repeated identical turns count once.
    """
    texts = [transcript.turns[index].text.strip() for index in transcript.agent_turn_indices()]
    if not texts:
        return False
    return not is_substantial("\n".join(dict.fromkeys(text for text in texts if text)))


def _message(transcript: Transcript, key: str) -> str:
    return t(f"grading.{key}", transcript.language)


def _reference_cases(
    transcript: Transcript, library: Library, ids: Sequence[str], own: Case | None, findings: list[Finding]
) -> list[Case]:
    cases: list[Case] = []
    for case_id in dict.fromkeys(ids):
        if own is not None and case_id == own.id:
            continue
        if case_id not in library.cases:
            findings.append(
                Finding(
                    rule="unknown_reference",
                    severity="info",
                    message=_message(transcript, "unknown_reference").format(case_id=case_id),
                )
            )
            continue
        cases.append(library.cases[case_id])
    return cases


@dataclass(frozen=True)
class _Judged:
    scores: list[CriterionScore]
    dropped_quotes: list[Evidence]
    findings: list[Finding]
    model: str
    prompt_hash: str | None
    red_lines: list[RedLine]


def _run_judge(
    transcript: Transcript,
    *,
    rubric: Rubric,
    case: Case | None,
    findings: list[Finding],
    references: list[Case],
    settings: Settings,
) -> _Judged:
    """Call the LLM judge (imported here, so the offline path never loads LangChain).

    ``simulator.grading.judge.judge_transcript`` returns a ``JudgeResult`` (scores with unscored
    entries carrying their reason, dropped quotes, extra ``grader_instruction`` findings, the model
    that answered and the prompt hash). When it raises a ``DrillError`` (endpoint down, every
    structured-output method rejected, a prompt past its cap, ...) or no reply scored a single
    criterion, the grading failed: ``GradingFailed`` is raised with the reason, and no report is
    made of it (a report of nothing but "unscored" would look like a result and never be redone).
    Other exceptions are bugs and propagate.
    """
    judge = importlib.import_module("simulator.grading.judge")
    try:
        result = judge.judge_transcript(
            transcript, rubric=rubric, case=case, findings=findings, references=references, settings=settings
        )
    except DrillError as exc:
        log.warning("LLM judge failed: %s", exc)
        raise GradingFailed(_message(transcript, "judge_failed").format(error=str(exc))) from exc
    if all(score.score is None for score in result.scores):
        reasons = "; ".join(dict.fromkeys(s.unscored_reason for s in result.scores if s.unscored_reason))
        raise GradingFailed(_message(transcript, "judge_failed").format(error=reasons))
    return _Judged(
        list(result.scores),
        list(result.dropped_quotes),
        list(result.findings),
        result.model or settings.judge_model,
        result.prompt_hash,
        list(result.red_lines),
    )


def grade(
    transcript: Transcript,
    *,
    library: Library,
    engine: Engine | None = None,
    settings: Settings,
    references: list[str] | None = None,
) -> GradeReport:
    """Grade the agent's side of ``transcript`` on the library's rubric.

    ``engine`` defaults to ``llm`` when an LLM endpoint is configured, else ``offline``.
    ``references`` are case ids to use as reference material; when ``None`` the case index is
    asked for similar cases only when the transcript has no ``case_id`` (the case itself is the
    better reference, and other cases' facts must not reach its coaching). Raises ``GradingError``
    for an unknown ``case_id`` or ``engine="llm"`` without an endpoint, and ``GradingFailed`` when
    the LLM judge produced nothing usable (no report is made: grade it again later).
    """
    rubric = library.require_rubric()
    chosen: Engine = engine or ("llm" if settings.llm_configured else "offline")
    if chosen == "llm" and not settings.llm_configured:
        raise GradingError(
            "the llm grader needs an LLM endpoint: set DRILL_LLM_BASE_URL (and DRILL_LLM_API_KEY), "
            "or use --engine offline"
        )
    case: Case | None = None
    if transcript.case_id:
        try:
            case = library.case(transcript.case_id)
        except LookupError as exc:
            raise GradingError(f"transcript case_id: {exc}") from exc

    context = RuleContext(transcript, rubric, case)
    findings = run_rules_in(context)
    red_lines = context.red_lines
    # With its own case known, a transcript is graded against that case alone: similar cases would
    # only lend their facts to the coaching. The index is asked only when the case is unknown.
    no_close_case = False
    if references is None and transcript.agent_turn_indices() and case is None:
        found = retrieve_references(transcript, library, settings, findings)
        references = found.ids
        no_close_case = found.no_close_case
    reference_cases = _reference_cases(transcript, library, references or [], case, findings)
    reference_ids = ([case.id] if case else []) + [ref.id for ref in reference_cases]

    if not transcript.agent_turn_indices():
        # Nothing to grade; build_report marks every criterion unscored with the reason.
        return build_report(
            transcript, rubric, [], findings, engine=chosen, references=reference_ids, no_close_case=no_close_case
        )
    if agent_side_too_thin(transcript):
        return build_report(
            transcript,
            rubric,
            unscored(rubric, _message(transcript, "thin_agent")),
            findings,
            engine=chosen,
            references=reference_ids,
            no_close_case=no_close_case,
            critical_errors=red_lines.confirmed,
            review_flags=red_lines.review,
        )

    if chosen == "offline":
        scores = grade_offline(
            transcript,
            rubric,
            case,
            findings,
            references=reference_cases,
            archetype=resolve_archetype(transcript, library),
        )
        # The offline "model" is the weights file: its version and hash keep scores comparable.
        version, digest = weights_fingerprint()
        return build_report(
            transcript,
            rubric,
            scores,
            findings,
            engine="offline",
            model=f"offline-weights/{version}",
            prompt_hash=digest,
            references=reference_ids,
            no_close_case=no_close_case,
            critical_errors=red_lines.confirmed,
            review_flags=red_lines.review,
        )

    judged = _run_judge(
        transcript, rubric=rubric, case=case, findings=findings, references=reference_cases, settings=settings
    )
    return build_report(
        transcript,
        rubric,
        judged.scores,
        [*findings, *judged.findings],
        engine="llm",
        model=judged.model,
        prompt_hash=judged.prompt_hash,
        references=reference_ids,
        dropped_quotes=judged.dropped_quotes,
        no_close_case=no_close_case,
        critical_errors=red_lines.confirmed,
        review_flags=[*red_lines.review, *judged.red_lines],
    )


Outcome = Literal["graded", "unscored", "failed"]


def grading_outcome(report: GradeReport, transcript: Transcript) -> Outcome:
    """How a grading went, for exit codes and summaries.

    ``graded``: every criterion scored. ``unscored``: left unscored because of the input (no agent
    turns, or an agent side too thin to judge) — the report says why, and that is a result.
    ``failed``: anything else left a criterion unscored (endpoint down, a verdict that could not
    be read).
    """
    if report.complete:
        return "graded"
    if not transcript.agent_turn_indices() or agent_side_too_thin(transcript):
        return "unscored"
    return "failed"
