"""The grade-report contract: criterion scores, findings, red lines and grader info (DESIGN.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.models.base import Language, StrictModel
from simulator.models.rubric import CriticalErrorKind


class Evidence(StrictModel):
    """A verbatim quote from one turn."""

    turn: int = Field(ge=0, description="Index of the turn in the transcript (0-based).")
    quote: str = Field(min_length=1, description="Exact text copied from that turn.")


class Finding(StrictModel):
    """A deterministic rule check result."""

    rule: str = Field(description="Rule id, e.g. forbidden_phrase, private_data_request, missing_greeting.")
    severity: Literal["info", "warning", "violation"] = Field(description="How serious the finding is.")
    turn: int | None = Field(default=None, description="Turn index concerned (None: the whole conversation).")
    quote: str | None = Field(default=None, description="Exact text the finding is about.")
    message: str = Field(description="What was found and why it matters, for the trainee.")


class RedLine(StrictModel):
    """A red line found in an agent turn: confirmed (fails the session) or for a mentor's review."""

    kind: CriticalErrorKind = Field(description="Which red line.")
    name: str = Field(description="Its name in the report's language.")
    turn: int = Field(ge=0, description="Agent turn index.")
    quote: str = Field(min_length=1, description="Verbatim from that turn (the whole turn when it is short).")
    why: str = Field(description="Why it matters, for the trainee.")
    confidence: float | None = Field(
        ge=0,
        le=1,
        description="How sure the detector is (1 for a listed phrase; null for the LLM judge: not measured).",
    )
    source: Literal["recogniser", "phrase_list", "policy", "judge"] = Field(description="What found it.")


class CriterionScore(StrictModel):
    """One criterion's score with its evidence."""

    id: str = Field(description="Criterion id from the rubric.")
    score: int | None = Field(default=None, ge=1, le=5, description="1-5, or null when unscored.")
    evidence: list[Evidence] = Field(default_factory=list, description="Quotes that justify the score.")
    rationale: str = Field(default="", description="Why this score.")
    suggestion: str = Field(default="", description="A better phrasing for the weakest moment.")
    suggestion_case_id: str | None = Field(default=None, description="Case the suggestion draws on.")
    unscored_reason: str | None = Field(default=None, description="Why no score could be given.")
    basis: Literal["action", "absence"] | None = Field(
        default=None,
        description=(
            "What the level rests on: 'action' (something the agent said or did, which must be quoted) "
            "or 'absence' (nothing went wrong, or something was never done; needs no quote). "
            "Unset counts as 'action'."
        ),
    )


class TurnAnnotation(StrictModel):
    """What one agent turn did for the score, for the replay view."""

    turn: int = Field(ge=0, description="Agent turn index.")
    helped: list[str] = Field(default_factory=list, description="Criterion ids this turn helped.")
    hurt: list[str] = Field(default_factory=list, description="Criterion ids this turn hurt.")
    findings: list[str] = Field(default_factory=list, description="Rule ids found on this turn.")


class GraderInfo(StrictModel):
    """Which grader produced a report, so scores stay comparable over time."""

    engine: Literal["offline", "llm"] = Field(description="Grader engine.")
    model: str | None = Field(default=None, description="Judge model name (llm engine).")
    prompt_hash: str | None = Field(default=None, description="Hash of the judge prompt template.")
    rubric_version: str = Field(description="Version of the rubric used.")


class GradeReport(StrictModel):
    """The scorecard for one transcript."""

    total: float | None = Field(description="Weighted total 0-100, or null when a criterion is unscored.")
    passed: bool | None = Field(
        description=(
            "total >= pass mark; null when incomplete, or when the total reaches the pass mark but a "
            "criterion is unsupported (such a report cannot pass)."
        )
    )
    complete: bool = Field(description="Every criterion was scored.")
    pass_mark: float = Field(description="Pass mark of the rubric used.")
    criteria: list[CriterionScore] = Field(description="One entry per rubric criterion.")
    findings: list[Finding] = Field(default_factory=list, description="Rule check findings.")
    references: list[str] = Field(default_factory=list, description="Case ids used as reference material.")
    annotations: list[TurnAnnotation] = Field(default_factory=list, description="Per agent turn effects.")
    dropped_quotes: list[Evidence] = Field(
        default_factory=list, description="Quotes the judge gave that are not in the transcript."
    )
    no_close_case: bool = Field(
        default=False,
        description=(
            "The transcript has no case_id and the case index found no case close to it: no reference case "
            "was used, and suggestions come from the rubric and the agent's own words."
        ),
    )
    unsupported: list[str] = Field(
        default_factory=list,
        description=(
            "Criterion ids whose level rests on something the agent did but which cite no verified "
            "agent quote. A report with any is not passed (passed is null) until a mentor reviews it."
        ),
    )
    grader: GraderInfo = Field(description="Engine, model, prompt hash and rubric version.")
    language: Language = Field(description="Language of the graded transcript.")
    critical_errors: list[RedLine] = Field(
        default_factory=list,
        description="Red lines crossed with high confidence: the session fails whatever the total.",
    )
    review_flags: list[RedLine] = Field(
        default_factory=list, description="Possible red lines below the confidence threshold: for a mentor's review."
    )
