"""The rubric schema: scored criteria, per-language rule lists and red lines."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from simulator.i18n import CatalogueValueError
from simulator.models.base import Language, LocalizedText, NonEmpty, Slug, StrictModel


class Criterion(StrictModel):
    """One scored dimension of the practical rubric."""

    id: Slug = Field(description="Stable criterion id used in reports and by outside tools.")
    name: LocalizedText = Field(description="Display name.")
    weight: int = Field(ge=0, le=100, description="Weight in the 0-100 total; weights sum to 100.")
    description: LocalizedText = Field(description="What this criterion looks at.")
    levels: dict[Annotated[int, Field(ge=1, le=5)], LocalizedText] = Field(
        description="Anchored description of each score 1-5, so mentors score consistently."
    )

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, LocalizedText]) -> dict[int, LocalizedText]:
        missing = [str(level) for level in range(1, 6) if level not in levels]
        if missing:
            raise CatalogueValueError("model.levels_missing", missing=", ".join(missing))
        return levels


ClausePhrase = Annotated[
    str,
    Field(
        min_length=1,
        pattern=r"^\*?[^*]+\*?$",
        description=(
            "A whole clause (the text between two punctuation marks). A leading or trailing '*' lets "
            "anything precede or follow inside the clause: 'I'm calling about*'."
        ),
    ),
]


class ClauseFillers(StrictModel):
    """Words that may open or close a clause without changing what it says ("那我也没办法啊")."""

    leading: list[NonEmpty] = Field(default_factory=list, description="Stripped from the start of a clause.")
    trailing: list[NonEmpty] = Field(default_factory=list, description="Stripped from the end of a clause.")


class GenderedWords(StrictModel):
    """Words that make the person they describe a woman or a man."""

    female: list[NonEmpty] = Field(default_factory=list, description="Words for a woman.")
    male: list[NonEmpty] = Field(default_factory=list, description="Words for a man.")


class ContentCues(StrictModel):
    """Literal lists ``drill validate`` uses to check content; never used for grading.

    Opening cues are whole clauses (see :data:`ClausePhrase`); the other lists match anywhere in a
    text (Latin words as whole words).
    """

    phone_only: list[ClausePhrase] = Field(
        default_factory=list, description="Clauses only said on the phone (喂, can you hear me): not in a chat."
    )
    customer_initiated: list[ClausePhrase] = Field(
        default_factory=list,
        description="Clauses of a customer who made contact (是客服吗, I'm calling about*): not on an outbound call.",
    )
    greeting: list[ClausePhrase] = Field(
        default_factory=list, description="Greeting clauses (你好, hi): not in a drill that starts mid-conversation."
    )
    self_naming: list[NonEmpty] = Field(
        default_factory=list, description="Words a customer names themself with (我叫, my name is): not in a persona."
    )
    honorifics: GenderedWords = Field(
        default_factory=GenderedWords,
        description="Honorifics by gender (女士, 先生, Mrs, Mr): checked against the customer's gender.",
    )
    self_descriptions: GenderedWords = Field(
        default_factory=GenderedWords,
        description=(
            "Gendered self-descriptions (老太太, 当爹的, old lady): a persona may use them only if it fits that gender."
        ),
    )


class LanguageRules(StrictModel):
    """Rubric-wide lists for one language, used by the rule checks."""

    forbidden_phrases: list[NonEmpty] = Field(
        min_length=1, description="Never acceptable in any case; matched anywhere in an agent turn."
    )
    brush_offs: list[ClausePhrase] = Field(
        default_factory=list,
        description=(
            "Forbidden brush-offs matched only as a whole clause: '这是规定' is forbidden, "
            "'这是规定的7天时限，不过…' is not."
        ),
    )
    not_brush_offs: list[ClausePhrase] = Field(
        default_factory=list,
        description=(
            "Courtesy said as a whole clause that the recogniser may read as a brush-off by meaning "
            "('not problem!', a typo of 'no problem'): such clauses are set aside before a sentence counts "
            "as a brush-off by meaning. Listed brush-offs are not affected."
        ),
    )
    clause_fillers: ClauseFillers = Field(
        default_factory=ClauseFillers, description="Fillers ignored when a clause is compared with a brush-off or cue."
    )
    content_checks: ContentCues = Field(
        default_factory=ContentCues, description="Lists drill validate checks personas and cases with."
    )
    jargon: list[NonEmpty] = Field(default_factory=list, description="Internal terms customers don't know.")
    long_turn_chars: int = Field(
        ge=20, description="An agent turn longer than this many characters counts as long-winded."
    )


CriticalErrorKind = Literal[
    "private_data_request",
    "insult_or_threat",
    "unsafe_advice",
    "other_person_data",
    "promise_beyond_policy",
]


class CriticalErrorRule(StrictModel):
    """One red line of the rubric in one language: crossing it fails the session whatever the total.

    How each kind is detected is in ``docs/red-lines.md``: by meaning (the recogniser), by the
    case's policy, and by ``phrases`` — a list trainers own, matched literally in agent turns.
    """

    kind: CriticalErrorKind = Field(description="Which red line.")
    name: NonEmpty = Field(description="Its name on the scorecard.")
    why: NonEmpty = Field(description="Why it fails the session, shown with the quote.")
    phrases: list[NonEmpty] = Field(
        default_factory=list, description="Wording that always crosses this line (matched literally)."
    )
    not_requests: list[ClausePhrase] = Field(
        default_factory=list,
        description=(
            "private_data_request only: clauses saying a secret is not needed or must not be shared "
            "(matched as a whole clause); set aside before the rest of the sentence is judged by meaning."
        ),
    )
    ordinary_references: list[NonEmpty] = Field(
        default_factory=list,
        description=(
            "private_data_request only: names of references a customer may read out for ordinary "
            "verification (an order number, a booking's confirmation code), matched literally; each is "
            "read as the first of them before the sentence is judged by meaning, so 'confirmation code' "
            "is not taken for a code sent by SMS."
        ),
    )


class Rubric(StrictModel):
    """The practical assessment rubric (``casebank/rubric.yaml``)."""

    version: NonEmpty = Field(description="Rubric version recorded in every grade report.")
    pass_mark: float = Field(ge=0, le=100, description="Total (0-100) at or above which a drill passes.")
    criteria: list[Criterion] = Field(min_length=1, description="Scored criteria.")
    rules: dict[Language, LanguageRules] = Field(description="Forbidden phrases, jargon, length limits.")
    critical_errors: dict[Language, list[CriticalErrorRule]] = Field(
        default_factory=dict, description="Red lines per language (docs/red-lines.md)."
    )

    @model_validator(mode="after")
    def _weights_and_ids(self) -> Rubric:
        for language, red_lines in self.critical_errors.items():
            kinds = [rule.kind for rule in red_lines]
            twice = sorted({kind for kind in kinds if kinds.count(kind) > 1})
            if twice:
                raise CatalogueValueError("model.red_lines_twice", language=language, kinds=", ".join(twice))
        ids = [criterion.id for criterion in self.criteria]
        duplicates = sorted({cid for cid in ids if ids.count(cid) > 1})
        if duplicates:
            raise CatalogueValueError("model.criterion_ids_twice", ids=", ".join(duplicates))
        total = sum(criterion.weight for criterion in self.criteria)
        if total != 100:
            raise CatalogueValueError("model.weights_sum", total=total)
        return self

    def criterion(self, criterion_id: str) -> Criterion:
        """Return the criterion with ``criterion_id`` (KeyError if unknown)."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)
