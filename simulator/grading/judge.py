"""The LLM judge: one structured-output call per transcript scores every rubric criterion.

``judge_transcript`` runs the LangChain runnable ``judge_chain`` (``ChatPromptTemplate`` |
``simulator.llm.structured_model``) with the prompt of ``judge_prompt`` — the rubric with its
level anchors, the rule findings, the reference cases and the transcript as delimited data — and
reads the reply with ``judge_reply``: per criterion, evidence first (turn + exact quote), then the
rationale, the 1-5 score and one better phrasing with the case id it drew on. Quotes are verified
against the transcript; invented ones are dropped and reported.

Structured-output method and fallback. The first method is ``settings.structured_output_method``
(``DRILL_STRUCTURED_OUTPUT``: json_schema, function_calling or json_mode); ``simulator.llm.fallback_chain``
gives the order of the others. The judge moves to the next method when the server rejects the
current one (HTTP 4xx, ``LLMUnavailable.reason == "bad_request"``; not counted as an attempt) or
when a reply holds no JSON object at all. A reply that parses but leaves criteria unusable
(missing, score outside 1-5, an extreme score with no verifiable quote) is retried with the same
method and a note saying what was wrong; later replies only fill the criteria still open. At most
``judge_max_attempts`` replies are requested (``DRILL_JUDGE_MAX_ATTEMPTS``, default 3). Criteria still open
after that are returned **unscored** with the reason, so the report's total is incomplete — never
computed with a made-up 0.

Errors. A provider fault other than a rejected method (endpoint down, timeout, rate limit, bad
key, unknown model) raises :class:`~simulator.errors.LLMUnavailable` with a message that says what
to check; so does a server that rejects every method. A reply that is not a valid
OpenAI-compatible response counts as a malformed reply (retried); if no reply at all was a valid
response, the last such error is raised, since the URL is then most likely wrong. A request the
server refuses as longer than the model's context (``reason == "context_length"``) is raised at
once: another structured-output method would be just as long. The facade
(``simulator.grading.grade``) decides what to make of a raised error.

Bounds. The whole prompt is measured before anything is sent: past ``limits.JUDGE_PROMPT_CHARS``
it raises :class:`~simulator.errors.PromptTooLong` naming the limit. The verdict is capped at
``judge_max_tokens`` (``DRILL_JUDGE_MAX_TOKENS``, default :data:`DEFAULT_MAX_TOKENS`); a verdict cut off at
the cap is asked for again. The schema is strict (closed objects, scores ``enum [1..5]``, one to
four quotes per criterion) and sent in strict mode where the method has one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.runnables import Runnable

from simulator.config import Settings
from simulator.errors import LLMUnavailable, PromptTooLong
from simulator.grading import judge_commitments, judge_prompt
from simulator.grading.judge_prompt import INSTRUCTIONS_KEY, RED_LINES_KEY, JudgePrompt, build_prompt
from simulator.grading.judge_reply import check_evidence, message, payload_from, read_criterion, unwrap
from simulator.grading.signals import turn_grader_spans
from simulator.i18n import t
from simulator.limits import JUDGE_PROMPT_CHARS, too_long
from simulator.llm.structured import fallback_chain, structured_model
from simulator.llm.usage import UsageLog
from simulator.models import Case, CriterionScore, Evidence, Finding, RedLine, Rubric, Transcript
from simulator.quotes import locate

__all__ = ["Attempt", "JudgeResult", "judge_chain", "judge_transcript", "prompt_hash"]

log = logging.getLogger(__name__)

#: Replies requested per transcript (the first plus retries) unless ``judge_max_attempts`` is set.
DEFAULT_MAX_ATTEMPTS = 3
#: The verdict's length cap (``max_completion_tokens``) unless ``judge_max_tokens`` is set. Six
#: criteria with four quotes, a rationale and a better line each take 1.5-3k tokens (Chinese runs
#: longer); the rest is room for the reasoning of a model that thinks before it answers. A verdict
#: cut off at the cap cannot be parsed and is asked for again, shorter.
DEFAULT_MAX_TOKENS = 6000

#: Rule id of a judge report that the recogniser does not confirm (shown to mentors, costs nothing).
UNCONFIRMED_RULE = "judge_unconfirmed_instruction"


def prompt_hash() -> str:
    """sha256 of the judge's prompt templates and output schema (recorded in every LLM grade report)."""
    return judge_prompt.prompt_hash()


@dataclass(frozen=True)
class Attempt:
    """One request to the judge model and what became of it."""

    method: str
    outcome: str  # "ok", "partial", "rejected", "not_json", "cut_off" or "garbage"
    detail: str = ""


@dataclass
class JudgeResult:
    """What the judge produced for one transcript.

    ``scores`` has one entry per rubric criterion, in rubric order (unscored entries carry
    ``unscored_reason``); ``dropped_quotes`` are the quotes not found in the transcript (from every
    attempt); ``findings`` are ``grader_instruction`` findings for text the judge reported as aimed
    at it, verified and not already found by the rule checks on that turn, and ``info`` findings for
    the commitments it flagged that the rule checks did not find (``judge_commitments``).
    """

    scores: list[CriterionScore]
    dropped_quotes: list[Evidence]
    findings: list[Finding]
    model: str
    prompt_hash: str
    method: str | None
    attempts: list[Attempt] = field(default_factory=list)
    red_lines: list[RedLine] = field(default_factory=list)
    usage: UsageLog = field(default_factory=UsageLog)

    @property
    def complete(self) -> bool:
        """True when every criterion got a score."""
        return all(score.score is not None for score in self.scores)


def judge_chain(
    settings: Settings, schema: dict[str, Any], language: str, method: str, *, usage: UsageLog | None = None
) -> Runnable[dict[str, str], dict[str, Any]]:
    """The runnable ``prompt | structured model`` for one structured-output ``method``.

    Its input is ``JudgePrompt.variables``; its output is ``{"raw", "parsed", "parsing_error"}``.
    The schema goes in as a plain JSON schema so that validation happens per criterion here; it is
    sent in strict mode (``json_schema``, ``function_calling``) with the verdict's token cap.
    """
    model = structured_model(
        settings, cast(Any, schema), method, usage=usage, strict=True, max_tokens=_max_tokens(settings)
    )
    return judge_prompt.chat_prompt(language) | model  # type: ignore[arg-type]


def _max_attempts(settings: Settings) -> int:
    value = settings.extra.get("judge_max_attempts", DEFAULT_MAX_ATTEMPTS)
    try:
        attempts = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"judge_max_attempts must be a whole number, got {value!r}") from exc
    if attempts < 1:
        raise ValueError(f"judge_max_attempts must be at least 1, got {attempts}")
    return attempts


def _max_tokens(settings: Settings) -> int:
    value = settings.extra.get("judge_max_tokens", DEFAULT_MAX_TOKENS)
    try:
        tokens = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"judge_max_tokens must be a whole number, got {value!r}") from exc
    if tokens < 1:
        raise ValueError(f"judge_max_tokens must be at least 1, got {tokens}")
    return tokens


def prompt_text(prompt: JudgePrompt) -> str:
    """The judge's whole prompt (system and user message) for ``prompt``, as sent on a first try."""
    messages = judge_prompt.chat_prompt(prompt.language).format_messages(**prompt.with_retry_note([]))
    return "\n".join(str(message.content) for message in messages)


def prompt_chars(prompt: JudgePrompt) -> int:
    """Characters of the judge's whole prompt (system and user message) for ``prompt``."""
    messages = judge_prompt.chat_prompt(prompt.language).format_messages(**prompt.with_retry_note([]))
    return sum(len(str(message.content)) for message in messages)


def check_prompt_size(prompt: JudgePrompt) -> int:
    """The prompt's size in characters; ``PromptTooLong`` when it passes ``limits.JUDGE_PROMPT_CHARS``.

    Checked before anything is sent: a transcript too long for the judge is refused with the
    limit's name, never sent to be rejected as a context-length (or "format") error.
    """
    size = prompt_chars(prompt)
    if size > JUDGE_PROMPT_CHARS.value:
        detail = too_long("The LLM judge's prompt for this transcript", size, JUDGE_PROMPT_CHARS)
        raise PromptTooLong(
            f"{detail}. It was not sent. Grade it with the offline grader (--engine offline), split the "
            "conversation, or raise the limit if the judge model's context window holds it."
        )
    return size


def _too_long_for_the_model(exc: LLMUnavailable, prompt: JudgePrompt, settings: Settings) -> LLMUnavailable:
    """``exc`` (a context-length rejection) with what the judge sent and the two settings that fit it."""
    return LLMUnavailable(
        f"{exc} The judge's prompt was {prompt_chars(prompt):,} characters and it reserves "
        f"{_max_tokens(settings):,} tokens for the verdict: for a model with a small context window lower "
        f"DRILL_JUDGE_MAX_TOKENS, and set {JUDGE_PROMPT_CHARS.env} so that longer transcripts are refused "
        "before they are sent.",
        reason="context_length",
        base_url=exc.base_url,
        model=exc.model,
    )


def _rejected_everywhere(rejections: Sequence[tuple[str, LLMUnavailable]]) -> LLMUnavailable:
    last = rejections[-1][1]
    tried = "; ".join(f"{method}: {error}" for method, error in rejections)
    return LLMUnavailable(
        f"The LLM endpoint {last.base_url} (model {last.model}) rejected every structured-output method "
        f"the judge can use ({tried}). Check that the model supports JSON output or tool calls.",
        reason="bad_request",
        base_url=last.base_url,
        model=last.model,
    )


def _instruction_confirmed(transcript: Transcript, evidence: Evidence) -> bool:
    """True when the quoted text overlaps a part of the turn the recogniser reads as aimed at a grader.

    The seam to the shared recogniser: ``signals.grader_instruction_spans`` (the ``grader_note``
    act once the learned recogniser is in place) decides, not the judge, so a judge that calls
    ordinary service text "an instruction" cannot turn it into a violation.
    """
    text = transcript.turns[evidence.turn].text
    span = locate(text, evidence.quote)
    if span is None:
        return False
    start, end = span
    return any(a < end and start < b for a, b in turn_grader_spans(transcript, evidence.turn))


def _reported_findings(
    payload: dict[str, Any], body: dict[str, Any], transcript: Transcript, findings: Sequence[Finding]
) -> list[Finding]:
    """Findings for the text the judge says is aimed at a grader.

    A report counts only with a verified, substantial quote from an agent turn. Confirmed by the
    recogniser, it is a ``grader_instruction`` violation (once per turn, unless the rule checks
    already found one there); unconfirmed, it is an ``info`` finding for a mentor to look at and
    costs the trainee nothing.
    """
    items = payload.get(INSTRUCTIONS_KEY, body.get(INSTRUCTIONS_KEY))
    already = {f.turn for f in findings if f.rule in ("grader_instruction", UNCONFIRMED_RULE)}
    result = []
    for evidence in check_evidence(items, transcript).kept:
        if evidence.turn in already:
            continue
        already.add(evidence.turn)
        confirmed = _instruction_confirmed(transcript, evidence)
        key = "judge.instruction_finding" if confirmed else "judge.unconfirmed_finding"
        result.append(
            Finding(
                rule="grader_instruction" if confirmed else UNCONFIRMED_RULE,
                severity="violation" if confirmed else "info",
                turn=evidence.turn,
                quote=evidence.quote,
                message=t(key, transcript.language, quote=evidence.quote),
            )
        )
    return result


def _reported_red_lines(
    payload: dict[str, Any], body: dict[str, Any], transcript: Transcript, rubric: Rubric
) -> list[RedLine]:
    """Red lines the judge reports, each with a verified, substantial quote from an agent turn.

    They go to a mentor's review, never straight to a fail: the judge's precision on red lines has
    not been measured (``red_lines.confirmed``), unlike the recogniser's.
    """
    items = payload.get(RED_LINES_KEY, body.get(RED_LINES_KEY))
    if not isinstance(items, list):
        return []
    rules = {rule.kind: rule for rule in rubric.critical_errors.get(transcript.language, [])}
    found: list[RedLine] = []
    for item in items:
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in rules:
            continue
        for evidence in check_evidence([item], transcript).kept:
            rule = rules[kind]
            hit = RedLine(
                kind=rule.kind,
                name=rule.name,
                turn=evidence.turn,
                quote=evidence.quote,
                why=rule.why,
                confidence=None,
                source="judge",
            )
            if all((h.kind, h.turn) != (hit.kind, hit.turn) for h in found):
                found.append(hit)
    return found


def _anchor_absence_claims(scores: dict[str, CriterionScore]) -> None:
    """Void the ``absence`` basis of every criterion that cites no verified agent quote of its own.

    ``absence`` (nothing went wrong, a step never taken) needs no quote of what the agent did, but
    the judge is asked to quote the agent turn closest to the point, and the schema makes it cite
    one. A criterion whose every quote was dropped has not been read against the transcript, so
    its absence claim is not believed: it counts as resting on action and is reported unsupported.
    Per criterion, not per verdict: one real quote on the greeting must not vouch for a "nothing
    went wrong" 4 on every other criterion.
    """
    for criterion_id, score in scores.items():
        if score.basis == "absence" and not score.evidence:
            scores[criterion_id] = score.model_copy(update={"basis": "action"})


def judge_transcript(
    transcript: Transcript,
    *,
    rubric: Rubric,
    case: Case | None,
    findings: Sequence[Finding],
    references: Sequence[Case],
    settings: Settings,
) -> JudgeResult:
    """Score every criterion of ``rubric`` for the agent in ``transcript`` with one LLM call (plus retries).

    ``case`` is the transcript's own case (or None), ``references`` the similar cases retrieved for
    it, ``findings`` the rule checks' results. Raises :class:`LLMUnavailable` when the endpoint
    cannot be used (see the module docstring); malformed replies never raise.
    """
    language = transcript.language
    prompt: JudgePrompt = build_prompt(transcript, rubric=rubric, case=case, findings=findings, references=references)
    check_prompt_size(prompt)
    known_case_ids = [c.id for c in ([case] if case else []) + list(references)]
    usage = UsageLog()
    methods = list(fallback_chain(settings.structured_output_method))
    budget = _max_attempts(settings)

    scored: dict[str, CriterionScore] = {}
    problems: dict[str, str] = {cid: message(language, "missing") for cid in prompt.criterion_ids}
    dropped: list[Evidence] = []
    reported: list[Finding] = []
    red_lines: list[RedLine] = []
    attempts: list[Attempt] = []
    rejections: list[tuple[str, LLMUnavailable]] = []
    model_name = settings.judge_model
    used_method: str | None = None
    replies = 0
    last_garbage: LLMUnavailable | None = None
    note: list[str] = []

    while problems and methods and replies < budget:
        method = methods[0]
        chain = judge_chain(settings, prompt.schema, language, method, usage=usage)
        try:
            output = chain.invoke(prompt.with_retry_note(note))
        except LLMUnavailable as exc:
            if exc.reason == "bad_request":
                log.info("judge: the server rejected structured output method %s: %s", method, exc)
                rejections.append((method, exc))
                attempts.append(Attempt(method, "rejected", str(exc)))
                methods.pop(0)
                continue
            if exc.reason == "cut_off":
                # Cut off at the token cap: the method is fine, the verdict was too long.
                replies += 1
                attempts.append(Attempt(method, "cut_off", str(exc)))
                note = [message(language, "cut_off", tokens=_max_tokens(settings))]
                problems = dict.fromkeys(problems, note[0])
                continue
            if exc.reason == "context_length":
                raise _too_long_for_the_model(exc, prompt, settings) from exc
            if exc.reason != "garbage":
                raise
            replies += 1
            last_garbage = exc
            attempts.append(Attempt(method, "garbage", str(exc)))
            note = [message(language, "garbage")]
            problems = dict.fromkeys(problems, note[0])
            continue
        replies += 1
        raw = output.get("raw")
        metadata = getattr(raw, "response_metadata", {}) or {}
        model_name = str(metadata.get("model_name") or model_name)
        payload = payload_from(output)
        if payload is None and metadata.get("finish_reason") == "length":
            # Cut off at the token cap: the method is fine, the verdict was too long.
            attempts.append(Attempt(method, "cut_off"))
            note = [message(language, "cut_off", tokens=_max_tokens(settings))]
            problems = dict.fromkeys(problems, note[0])
            continue
        if payload is None:
            attempts.append(Attempt(method, "not_json"))
            note = [message(language, "not_json")]
            problems = dict.fromkeys(problems, note[0])
            if len(methods) > 1:
                methods.pop(0)  # this server may not honour the method: try the next one
            continue

        body = unwrap(payload, prompt.criterion_ids)
        for criterion_id in list(problems):
            reading = read_criterion(criterion_id, body.get(criterion_id), transcript, known_case_ids=known_case_ids)
            for evidence in reading.dropped:
                if evidence not in dropped:
                    dropped.append(evidence)
            if reading.score is not None:
                scored[criterion_id] = reading.score
                del problems[criterion_id]
                used_method = used_method or method
            else:
                problems[criterion_id] = reading.problem or message(language, "missing")
        reported += _reported_findings(payload, body, transcript, [*findings, *reported])
        reported += judge_commitments.reported(payload, body, transcript, [*findings, *reported])
        red_lines += [
            hit
            for hit in _reported_red_lines(payload, body, transcript, rubric)
            if all((h.kind, h.turn) != (hit.kind, hit.turn) for h in red_lines)
        ]
        attempts.append(Attempt(method, "partial" if problems else "ok"))
        note = [f"{cid}: {reason}" for cid, reason in problems.items()]

    _anchor_absence_claims(scored)
    if problems and replies == 0 and rejections:
        raise _rejected_everywhere(rejections)
    if last_garbage is not None and all(a.outcome in ("garbage", "rejected") for a in attempts):
        # Not one reply was an OpenAI-compatible response: a wrong URL, not a judge that erred.
        raise last_garbage

    suffix = message(language, "attempts", attempts=replies)
    scores = [
        scored.get(cid) or CriterionScore(id=cid, unscored_reason=f"{problems[cid]} {suffix}")
        for cid in prompt.criterion_ids
    ]
    return JudgeResult(
        scores=scores,
        dropped_quotes=dropped,
        findings=reported,
        model=model_name,
        prompt_hash=prompt_hash(),
        method=used_method,
        attempts=attempts,
        usage=usage,
        red_lines=red_lines,
    )
