"""Aggregation: from criterion scores and findings to a GradeReport, as pure functions.

Nothing here grades. These functions take whatever a grader produced (offline or LLM, complete
or not) and turn it into the numbers and annotations of the report. Following inspect_ai, every
function accepts empty input, and an unscored criterion is never counted as 0: the total is
``None`` (reported as *incomplete*) as soon as one criterion has no score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from simulator.grading.registry import hurt_criteria
from simulator.grading.rules import RULES
from simulator.models import (
    CriterionScore,
    Evidence,
    Finding,
    GradeReport,
    GraderInfo,
    RedLine,
    Rubric,
    Transcript,
    TurnAnnotation,
)
from simulator.quotes import is_verified

# Evidence cited for a score at or above this counts as the turn helping the criterion; at or
# below HURT_AT it counts as the turn hurting it. A 3 is "adequate": its quotes show why it is
# not lower, so they count as help.
HELP_AT = 3
HURT_AT = 2


def weighted_total(scores: Iterable[CriterionScore], rubric: Rubric) -> float | None:
    """Weighted total on 0-100: Σ weight·score/5 over the rubric's criteria.

    Returns ``None`` when any rubric criterion is missing from ``scores`` or unscored — a
    missing score is never replaced by 0. Scores for ids the rubric does not know are ignored.
    """
    by_id = {score.id: score for score in scores}
    total = 0.0
    for criterion in rubric.criteria:
        score = by_id.get(criterion.id)
        if score is None or score.score is None:
            return None
        total += criterion.weight * score.score / 5
    return round(total, 2)


def passed(total: float | None, rubric: Rubric) -> bool | None:
    """True when ``total`` reaches the rubric's pass mark; ``None`` when the total is incomplete."""
    if total is None:
        return None
    return total >= rubric.pass_mark


def unsupported_criteria(scores: Iterable[CriterionScore], transcript: Transcript) -> list[str]:
    """Ids of scored criteria that rest on something the agent did but cite no verified agent quote.

    A level with ``basis == "absence"`` (nothing went wrong, or something was never done) needs no
    quote; any other scored level needs at least one quote that :func:`simulator.quotes.is_verified`
    accepts (an agent turn, found after normalisation).
    """
    return [
        score.id
        for score in scores
        if score.score is not None
        and score.basis != "absence"
        and not any(is_verified(transcript, evidence) for evidence in score.evidence)
    ]


def verdict(total: float | None, rubric: Rubric, unsupported: Sequence[str]) -> bool | None:
    """The pass flag: ``passed(total)``, except that an unsupported report cannot pass (``None``)."""
    result = passed(total, rubric)
    if result and unsupported:
        return None
    return result


def unscored(rubric: Rubric, reason: str) -> list[CriterionScore]:
    """One unscored entry per rubric criterion, all with the same ``reason``."""
    return [CriterionScore(id=criterion.id, unscored_reason=reason) for criterion in rubric.criteria]


def align_scores(scores: Iterable[CriterionScore], rubric: Rubric, *, missing_reason: str) -> list[CriterionScore]:
    """Scores in rubric order, one per criterion.

    A criterion the grader did not return becomes unscored with ``missing_reason``; a duplicate
    keeps the first entry; ids the rubric does not know are dropped.
    """
    by_id: dict[str, CriterionScore] = {}
    for score in scores:
        by_id.setdefault(score.id, score)
    aligned = []
    for criterion in rubric.criteria:
        given = by_id.get(criterion.id)
        if given is None:
            given = CriterionScore(id=criterion.id, unscored_reason=missing_reason)
        elif given.score is None and not given.unscored_reason:
            given = given.model_copy(update={"unscored_reason": missing_reason})
        aligned.append(given)
    return aligned


def annotate_turns(
    transcript: Transcript, criterion_scores: Sequence[CriterionScore], findings: Sequence[Finding]
) -> list[TurnAnnotation]:
    """For each agent turn: the criteria it helped or hurt and the rule ids found on it.

    A turn *hurts* a criterion when a warning or violation finding on it maps to that criterion
    (``registry.hurt_criteria``: the criteria whose weighted signals stand for that rule) or when
    it is quoted as evidence for a score of 2 or less. It *helps* when it is quoted as evidence for
    a score of 3 or more and does not hurt the same criterion. Only criteria present in ``criterion_scores`` are named.
    """
    known = {score.id for score in criterion_scores}
    agent_turns = transcript.agent_turn_indices()
    helped: dict[int, list[str]] = {index: [] for index in agent_turns}
    hurt: dict[int, list[str]] = {index: [] for index in agent_turns}
    found: dict[int, list[str]] = {index: [] for index in agent_turns}

    for finding in findings:
        if finding.turn not in found:
            continue
        if finding.rule not in found[finding.turn]:
            found[finding.turn].append(finding.rule)
        if finding.severity == "info":
            continue
        for criterion_id in hurt_criteria(finding.rule):
            if criterion_id in known and criterion_id not in hurt[finding.turn]:
                hurt[finding.turn].append(criterion_id)

    for score in criterion_scores:
        if score.score is None:
            continue
        for evidence in score.evidence:
            if evidence.turn not in helped:
                continue
            if score.score <= HURT_AT:
                target = hurt[evidence.turn]
            elif score.score >= HELP_AT and score.id not in hurt[evidence.turn]:
                target = helped[evidence.turn]
            else:
                continue
            if score.id not in target:
                target.append(score.id)

    return [
        TurnAnnotation(turn=index, helped=helped[index], hurt=hurt[index], findings=found[index])
        for index in agent_turns
    ]


def build_report(
    transcript: Transcript,
    rubric: Rubric,
    criterion_scores: Iterable[CriterionScore],
    findings: Sequence[Finding] = (),
    *,
    engine: Literal["offline", "llm"],
    model: str | None = None,
    prompt_hash: str | None = None,
    references: Sequence[str] = (),
    dropped_quotes: Sequence[Evidence] = (),
    no_close_case: bool = False,
    critical_errors: Sequence[RedLine] = (),
    review_flags: Sequence[RedLine] = (),
) -> GradeReport:
    """Assemble the GradeReport for ``transcript``.

    Scores are aligned to the rubric (missing criteria become unscored with a reason). A
    transcript without agent turns has nothing to grade, so every criterion is unscored whatever
    the grader returned. ``complete`` is true only when every criterion has a score; the total
    and pass flag are then computed, otherwise both are ``None``. Criteria that should cite a
    quote and cannot are listed in ``unsupported``; such a report cannot pass. A red line in
    ``critical_errors`` fails it whatever the total (``review_flags`` only ask a mentor to look).
    """
    if not transcript.agent_turn_indices():
        reason = (
            "the transcript is empty: there is nothing to grade"
            if not transcript.turns
            else "the transcript has no agent turns: there is nothing to grade"
        )
        scores = unscored(rubric, reason)
    else:
        scores = align_scores(criterion_scores, rubric, missing_reason="the grader returned no score")
    total = weighted_total(scores, rubric)
    unsupported = unsupported_criteria(scores, transcript)
    return GradeReport(
        total=total,
        passed=False if critical_errors else verdict(total, rubric, unsupported),
        complete=total is not None,
        pass_mark=rubric.pass_mark,
        criteria=scores,
        findings=sort_findings(findings),
        references=list(dict.fromkeys(references)),
        annotations=annotate_turns(transcript, scores, findings),
        dropped_quotes=list(dropped_quotes),
        unsupported=unsupported,
        no_close_case=no_close_case,
        grader=GraderInfo(engine=engine, model=model, prompt_hash=prompt_hash, rubric_version=rubric.version),
        language=transcript.language,
        critical_errors=list(critical_errors),
        review_flags=list(review_flags),
    )


_SEVERITY_ORDER = {"violation": 0, "warning": 1, "info": 2}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in turn order (whole-conversation findings last), most severe first within a turn."""
    return sorted(
        findings,
        key=lambda f: (
            f.turn if f.turn is not None else 1_000_000,
            _SEVERITY_ORDER.get(f.severity, 3),
            list(RULES).index(f.rule) if f.rule in RULES else len(RULES),
        ),
    )
