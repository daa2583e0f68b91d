"""Schemas of the programme's data files: question sets, curricula and the programme policy.

Trainers own these files as YAML (validated like personas and cases: unknown keys rejected,
``path:line:col`` errors, a JSON Schema per kind for editors):

- ``casebank/quizzes/*.yaml``: a question set (:class:`QuestionFile`), one language per file;
- ``casebank/curricula/*.yaml``: one curriculum per level and language (:class:`Curriculum`);
- ``casebank/programme.yaml``: weights, pass marks, resits, quiz length and timing, the monthly
  review's rule and what counts as a low rating (:class:`ProgrammePolicy`). Every default is the
  training material's figure where it gives one, and says so in its description.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulator.models import Difficulty, Language, NonEmpty, Slug, StrictModel

# ---------------------------------------------------------------------------------------------
# Questions

QuestionType = Literal["single", "multiple", "true_false", "best_reply"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("single", "multiple", "true_false", "best_reply")
OptionKey = Annotated[str, Field(pattern=r"^[a-f]$", description="Option letter, a to f.")]


class QuestionTag(StrEnum):
    """What a question tests; quizzes and curricula draw by these."""

    phrasing = "phrasing"
    scenario = "scenario"
    compliance = "compliance"
    product = "product"


class Question(StrictModel):
    """One theory question with its answer key and explanation.

    ``single`` and ``best_reply`` have one correct option, ``multiple`` two or more (scored all or
    nothing, as written tests usually are), ``true_false`` has no options and a ``true``/``false``
    answer. ``best_reply`` shows a customer's line (``customer_line``) and asks for the best reply.
    """

    #: What a trainee may see before submitting: never the answer or the explanation.
    TRAINEE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "type", "tags", "difficulty", "prompt", "customer_line", "options"}
    )

    id: Slug = Field(description="Unique question id across the whole bank.")
    type: QuestionType = Field(description="single, multiple, true_false or best_reply.")
    tags: list[QuestionTag] = Field(
        min_length=1, description="What it tests: phrasing, scenario (judgement), compliance, product."
    )
    difficulty: Difficulty = Field(description="easy, medium or hard.")
    prompt: NonEmpty = Field(description="The question as the trainee reads it.")
    customer_line: NonEmpty | None = Field(default=None, description="best_reply only: what the customer just said.")
    options: dict[OptionKey, NonEmpty] = Field(
        default_factory=dict, description="Options by letter (a-f); empty for true_false."
    )
    answer: bool | OptionKey | list[OptionKey] = Field(
        description="true/false for true_false; one letter for single and best_reply; a list of letters for multiple."
    )
    explanation: NonEmpty = Field(description="Why the answer is right, shown after the quiz (or at once in practice).")

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[QuestionTag]) -> list[QuestionTag]:
        if len(set(tags)) != len(tags):
            raise ValueError("a tag is listed twice")
        return tags

    @model_validator(mode="after")
    def _answer_fits_type(self) -> Question:
        if self.type == "best_reply" and self.customer_line is None:
            raise ValueError("a best_reply question needs customer_line: what the customer said")
        if self.type != "best_reply" and self.customer_line is not None:
            raise ValueError(f"customer_line belongs to best_reply questions; this one is {self.type}")
        if self.type == "true_false":
            if self.options:
                raise ValueError("a true_false question has no options; remove them")
            if not isinstance(self.answer, bool):
                raise ValueError(f"a true_false answer is true or false (got {self.answer!r})")
            return self
        if len(self.options) < 2:
            raise ValueError(f"a {self.type} question needs at least two options")
        if self.type == "multiple":
            if not isinstance(self.answer, list) or len(self.answer) < 2:
                raise ValueError("a multiple question's answer is a list of two or more letters, e.g. [a, c]")
            if len(set(self.answer)) != len(self.answer):
                raise ValueError("a letter is listed twice in the answer")
            if len(self.answer) == len(self.options):
                raise ValueError("every option is correct; leave at least one wrong option")
            keys = self.answer
        else:
            if not isinstance(self.answer, str):
                raise ValueError(f"a {self.type} question's answer is one letter, e.g. b (got {self.answer!r})")
            keys = [self.answer]
        missing = [key for key in keys if key not in self.options]
        if missing:
            raise ValueError(f"answer {', '.join(missing)} is not one of the options ({', '.join(self.options)})")
        return self

    def correct_keys(self) -> frozenset[str]:
        """The answer as a set of strings: option letters, or ``{"true"}`` / ``{"false"}``."""
        if isinstance(self.answer, bool):
            return frozenset({"true" if self.answer else "false"})
        if isinstance(self.answer, list):
            return frozenset(self.answer)
        return frozenset({self.answer})


class QuestionFile(StrictModel):
    """A question set: one YAML file in ``casebank/quizzes/``, all in one language."""

    language: Language = Field(description="Language of every question in this file.")
    questions: list[Question] = Field(min_length=1, description="The questions.")


# ---------------------------------------------------------------------------------------------
# Curricula

Level = Literal["new_hire", "experienced", "senior"]
LEVELS: tuple[Level, ...] = ("new_hire", "experienced", "senior")


class DrillSpec(StrictModel):
    """A drill to do: one practice case, optionally with a given customer persona."""

    case: Slug = Field(description="Practice case id (not an exam-only case).")
    persona: Slug | None = Field(default=None, description="Persona id; empty: any persona the case suits.")


class QuizSpec(StrictModel):
    """A practice quiz to take: questions drawn at random from the bank in the curriculum's language."""

    tags: list[QuestionTag] = Field(default_factory=list, description="Draw only questions with one of these tags.")
    difficulty: Difficulty | None = Field(default=None, description="Draw only questions of this difficulty.")
    questions: int = Field(ge=1, le=50, description="How many questions.")


class CurriculumItem(StrictModel):
    """One step of a curriculum: a drill or a quiz, a target score and a due date."""

    id: Slug = Field(description="Item id, unique within the curriculum.")
    title: NonEmpty = Field(description="What the trainee sees in 'My assignments'.")
    drill: DrillSpec | None = Field(default=None, description="Set for a drill (exactly one of drill and quiz).")
    quiz: QuizSpec | None = Field(default=None, description="Set for a quiz (exactly one of drill and quiz).")
    target: float | None = Field(
        default=None, ge=0, le=100, description="Score (0-100) that completes the item; empty: the curriculum's."
    )
    due_days: int = Field(ge=0, le=365, description="Days after assignment the item is due.")

    @model_validator(mode="after")
    def _one_kind(self) -> CurriculumItem:
        if (self.drill is None) == (self.quiz is None):
            raise ValueError("give exactly one of 'drill' (a case to play) and 'quiz' (questions to answer)")
        return self

    @property
    def kind(self) -> Literal["drill", "quiz"]:
        """``drill`` or ``quiz``."""
        return "drill" if self.drill is not None else "quiz"


class Curriculum(StrictModel):
    """A level's programme (new hire, experienced agent, senior): one YAML file in ``casebank/curricula/``."""

    id: Slug = Field(description="Curriculum id; also the file name without .yaml.")
    level: Level = Field(description="new_hire, experienced or senior.")
    language: Language = Field(description="Language of its drills and quizzes.")
    title: NonEmpty = Field(description="Title in the curriculum's language.")
    description: NonEmpty = Field(description="Who it is for and what it builds, in the curriculum's language.")
    target: float = Field(default=80, ge=0, le=100, description="Default target score of each item (the pass line).")
    items: list[CurriculumItem] = Field(min_length=1, description="Drills and quizzes, in the order to do them.")

    @field_validator("items")
    @classmethod
    def _unique_item_ids(cls, items: list[CurriculumItem]) -> list[CurriculumItem]:
        ids = [item.id for item in items]
        twice = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
        if twice:
            raise ValueError(f"item id(s) used twice: {', '.join(twice)}")
        return items

    def target_of(self, item: CurriculumItem) -> float:
        """The item's target score, or the curriculum's default."""
        return self.target if item.target is None else item.target


# ---------------------------------------------------------------------------------------------
# Programme policy


class TheoryPolicy(StrictModel):
    """The theory exam of an assessment."""

    questions: int = Field(default=20, ge=1, le=100, description="Questions drawn per exam.")
    minutes: int = Field(default=30, ge=1, le=240, description="Time allowed, enforced on the server.")
    tags: list[QuestionTag] = Field(default_factory=list, description="Draw only these tags (empty: all).")
    show_answers: Literal["after_submit", "after_close"] = Field(
        default="after_submit",
        description="When a trainee sees the answer key of their exam: once submitted, or once the assessment closes.",
    )


class PracticalPolicy(StrictModel):
    """The practical part: drawn scenario cards and the trainee's real chats."""

    cards: int = Field(default=2, ge=1, le=10, description="Scenario cards drawn per trainee.")
    card_weight: float = Field(
        default=50, ge=0, le=100, description="Share of the cards in the practical score when real chats are scored."
    )
    real_chat_weight: float = Field(default=50, ge=0, le=100, description="Share of the real chats.")
    real_chats_min: int = Field(
        default=3, ge=1, le=20, description="Fewest real chats when any are used (the material: 3-5)."
    )
    real_chats_max: int = Field(default=5, ge=1, le=20, description="Most real chats per attempt.")

    @model_validator(mode="after")
    def _consistent(self) -> PracticalPolicy:
        if abs(self.card_weight + self.real_chat_weight - 100) > 1e-6:
            raise ValueError(
                f"card_weight + real_chat_weight must be 100 (got {self.card_weight:g} + {self.real_chat_weight:g})"
            )
        if self.real_chats_min > self.real_chats_max:
            raise ValueError("real_chats_min is above real_chats_max")
        return self


class AssessmentPolicy(StrictModel):
    """How the two parts combine into the assessment result."""

    theory_weight: float = Field(default=30, ge=0, le=100, description="Theory share of the result (material: 30).")
    practical_weight: float = Field(
        default=70, ge=0, le=100, description="Practical share of the result (material: 70)."
    )
    pass_mark: float = Field(default=80, ge=0, le=100, description="Overall result needed to pass (material: 80).")
    theory_pass_mark: float | None = Field(
        default=80, ge=0, le=100, description="Theory must reach this on its own (material: 80); empty: no own mark."
    )
    practical_pass_mark: float | None = Field(
        default=None, ge=0, le=100, description="Practical must reach this on its own; empty: no own mark."
    )
    resits: int = Field(
        default=1, ge=0, le=3, description="Times a failed part may be retaken (material: one resit); all results kept."
    )

    @model_validator(mode="after")
    def _weights(self) -> AssessmentPolicy:
        if abs(self.theory_weight + self.practical_weight - 100) > 1e-6:
            raise ValueError(
                f"theory_weight + practical_weight must be 100 (got {self.theory_weight:g} + {self.practical_weight:g})"
            )
        return self


class MonthlyReview(StrictModel):
    """The month's best performers, by a rule everyone can read.

    Among trainees with at least ``min_graded_drills`` graded drills in the month, rank by mean
    total, then by pass rate, then by number of drills; the first ``top`` are named.
    """

    min_graded_drills: int = Field(default=3, ge=1, le=100, description="Drills needed in the month to be ranked.")
    top: int = Field(default=3, ge=1, le=20, description="How many best performers to name.")


class FeedbackPolicy(StrictModel):
    """How trainees' ratings of their scorecards are read."""

    low_fairness_at_most: int = Field(
        default=2, ge=1, le=4, description="A fairness rating at or below this counts as 'found it unfair'."
    )


class ProgrammePolicy(StrictModel):
    """``casebank/programme.yaml``: the assessment, quiz and review settings in one file."""

    assessment: AssessmentPolicy = Field(default_factory=AssessmentPolicy, description="Weights, pass marks, resits.")
    theory: TheoryPolicy = Field(default_factory=TheoryPolicy, description="The theory exam.")
    practical: PracticalPolicy = Field(default_factory=PracticalPolicy, description="Cards and real chats.")
    monthly_review: MonthlyReview = Field(default_factory=MonthlyReview, description="Best performers of a month.")
    feedback: FeedbackPolicy = Field(default_factory=FeedbackPolicy, description="Reading scorecard ratings.")
