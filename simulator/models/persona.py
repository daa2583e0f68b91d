"""The persona schema: a customer type's temperament, speech, behaviours and offline script."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulator.i18n import CatalogueValueError
from simulator.models.acts import DialogueAct
from simulator.models.base import (
    Difficulty,
    Language,
    LocalizedList,
    LocalizedText,
    Mood,
    NonEmpty,
    Slug,
    StrictModel,
    TraineeView,
)
from simulator.models.identity import AgeRange, CustomerIdentity, Gender, Relation

if TYPE_CHECKING:
    from simulator.models.case import Case


class Archetype(StrEnum):
    """The four customer types of the training material; trainers may add others as free text."""

    rational = "rational"
    emotional = "emotional"
    impatient = "impatient"
    skeptical = "skeptical"


class Behaviour(StrEnum):
    """Recurring behaviours a persona shows; the engines turn each into concrete moves."""

    demands_proof = "demands_proof"
    interrupts = "interrupts"
    asks_for_supervisor = "asks_for_supervisor"
    repeats_complaint = "repeats_complaint"
    threatens_to_leave = "threatens_to_leave"
    threatens_public_review = "threatens_public_review"
    compares_competitors = "compares_competitors"
    asks_for_compensation = "asks_for_compensation"
    checks_details = "checks_details"
    goes_off_topic = "goes_off_topic"
    insults_agent = "insults_agent"
    seeks_reassurance = "seeks_reassurance"


class Temperament(StrictModel):
    """How the customer's mood starts and moves."""

    starting_mood: Mood = Field(description="Mood at the first line, 0 (calm) to 10 (furious).")
    patience: int = Field(
        ge=1,
        le=20,
        description="How many agent turns without visible progress the customer tolerates before giving up.",
    )
    angered_by: LocalizedList = Field(description="What makes this customer angrier, in plain words.")
    calmed_by: LocalizedList = Field(description="What calms this customer down, in plain words.")
    mood_reactions: dict[DialogueAct, Annotated[int, Field(ge=-4, le=4)]] = Field(
        default_factory=dict,
        description=(
            "Mood change when an agent turn does this act (negative calms, positive angers). "
            "Acts not listed leave the mood unchanged."
        ),
    )
    max_mood_step: int = Field(
        ge=1,
        le=4,
        description=(
            "The most the mood moves in one agent turn, either way: one line of sympathy never takes "
            "an angry customer from 6 to 0, one clumsy line never from calm to furious."
        ),
    )


class SpeechStyle(StrictModel):
    """How the customer talks."""

    sentence_length: Literal["short", "medium", "long"] = Field(description="Typical length of a line.")
    tone: LocalizedText = Field(description="Register and tone, e.g. polite but firm, blunt, colloquial.")
    habits: LocalizedList = Field(description="Verbal habits: pet phrases, rhetorical questions, numbers, etc.")
    sample_lines: LocalizedList = Field(description="Lines this customer would really say, for prompt and review.")


class OpeningPrefixes(StrictModel):
    """What the customer says before the case's opening line, per way the conversation starts.

    The offline engine picks from the list that fits the case: ``mid_conversation`` when the case
    starts mid-conversation, else the list of the case's channel. An empty list means no prefix.
    ``drill validate`` checks each list against the rubric's opening cues (no "喂" in a chat, no
    "是客服吗" on an outbound call, no greeting mid-conversation).
    """

    phone: list[NonEmpty] = Field(default_factory=list, description="The customer rang the service line.")
    chat: list[NonEmpty] = Field(default_factory=list, description="The customer opened an online chat.")
    outbound_call: list[NonEmpty] = Field(
        default_factory=list, description="The agent rang the customer, who has just picked up."
    )
    mid_conversation: list[NonEmpty] = Field(
        default_factory=list, description="The drill starts in the middle of a conversation: no greeting here."
    )


class ScriptLines(StrictModel):
    """Line templates the offline engine speaks, in one language.

    Templates may use ``{fact_label}``, ``{fact_value}``, ``{product}``, ``{agent_offer}`` and ``{goal}``
    (the case's ``customer_wants``).
    Each list gives variants; the seeded engine picks one. Lines never name the customer or give
    their gender, age or family: the case owns that identity.
    """

    opening_prefix: OpeningPrefixes = Field(
        default_factory=OpeningPrefixes,
        description="Said before the case's opening line, per channel and start (any list may be empty).",
    )
    reveal_fact: list[NonEmpty] = Field(min_length=1, description="Answering a question: uses {fact_value}.")
    unknown_fact: list[NonEmpty] = Field(min_length=1, description="Asked for something the case does not give.")
    no_progress: list[NonEmpty] = Field(min_length=1, description="The agent's turn did not move things on.")
    after_empathy: list[NonEmpty] = Field(min_length=1, description="The agent acknowledged the feelings.")
    after_forbidden: list[NonEmpty] = Field(min_length=1, description="The agent said something forbidden.")
    after_private_request: list[NonEmpty] = Field(
        min_length=1, description="The agent asked for a password, full ID number or verification code."
    )
    after_long_turn: list[NonEmpty] = Field(min_length=1, description="The agent's turn was long-winded.")
    after_policy: list[NonEmpty] = Field(min_length=1, description="The agent explained a rule or policy.")
    after_promise: list[NonEmpty] = Field(min_length=1, description="The agent promised something.")
    demand_proof: list[NonEmpty] = Field(min_length=1, description="Asking the agent to back a claim up.")
    reject_offer: list[NonEmpty] = Field(min_length=1, description="Turning down an unacceptable offer.")
    consider_offer: list[NonEmpty] = Field(min_length=1, description="An acceptable offer, not yet settled.")
    accept: list[NonEmpty] = Field(min_length=1, description="Accepting a resolution and closing.")
    give_up: list[NonEmpty] = Field(min_length=1, description="Giving up and leaving.")
    escalate: list[NonEmpty] = Field(min_length=1, description="Demanding a supervisor.")
    role_probe: list[NonEmpty] = Field(
        min_length=1, description="Answering in character when asked whether they are an AI or told to drop the role."
    )
    farewell: list[NonEmpty] = Field(min_length=1, description="Replying to the agent's closing words.")
    choose: list[NonEmpty] = Field(
        min_length=1,
        description="Answering a choice question by choosing: uses {choice} (the option as the agent said it); "
        "give one variant without {choice} for questions whose options could not be cut out.",
    )
    ask_offer_detail: list[NonEmpty] = Field(
        min_length=1,
        description="An acceptable offer without a when or a how much: asking for it (may use {agent_offer}).",
    )
    raise_goal: list[NonEmpty] = Field(
        min_length=1,
        description="Taking a remedy but raising what is still owed, e.g. compensation for the delay (no slots).",
    )
    confirm_readback: list[NonEmpty] = Field(
        min_length=1, description="The agent read a fact back: confirming it without saying it again."
    )
    after_small_talk: list[NonEmpty] = Field(
        min_length=1, description="The agent made small talk, a joke or an off-topic remark."
    )
    after_hold: list[NonEmpty] = Field(
        min_length=1, description='The agent only said filler ("好的，我看一下", "one moment").'
    )
    repeat_prefix: list[NonEmpty] = Field(
        min_length=1, description="Said before repeating the last line when the agent asks to hear it again."
    )


class PersonaFits(StrictModel):
    """The customer identities a persona can play without contradicting itself.

    A case that suggests the persona must have a customer inside these lists (``drill validate``
    checks it) and the app offers only fitting pairs by default. A case whose gender is
    ``unspecified`` fits any persona.
    """

    genders: list[Literal[Gender.female, Gender.male]] = Field(
        min_length=1, description="Genders this persona's portrait and lines fit: female, male or both."
    )
    age_ranges: list[AgeRange] = Field(min_length=1, description="Age ranges this persona's portrait and lines fit.")
    relations: list[Relation] = Field(
        min_length=1, description="Relations to the account holder this persona can play."
    )

    def conflicts(self, customer: CustomerIdentity) -> list[str]:
        """The fields of ``customer`` this persona does not fit (``gender``, ``age_range``,
        ``relation``; empty: it fits). ``content_checks`` words them as ``check.fit.<field>``."""
        found = []
        if customer.gender != Gender.unspecified and customer.gender not in self.genders:
            found.append("gender")
        if customer.age_range not in self.age_ranges:
            found.append("age_range")
        if customer.relation not in self.relations:
            found.append("relation")
        return found


class Persona(StrictModel):
    """A customer type a trainee can drill against, authored as one YAML file in ``personas/``.

    The persona owns temperament, speech and behaviour; the case owns who the customer is (name,
    gender, age, relation to the account holder). So the label carries no person name and no
    archetype in brackets, the portrait speaks to the customer in the second person, and ``fits``
    says which identities the portrait and lines can be combined with.
    """

    #: What a trainee may see before and during a drill: the display label and the filters. Every
    #: other field (who it fits, portrait, temperament, speech, behaviours, tips, script) is hidden,
    #: and so is any field added later until it is listed here (see docs/security.md).
    TRAINEE_FIELDS: ClassVar[frozenset[str]] = frozenset({"id", "label", "archetype", "difficulty", "languages"})

    id: Slug = Field(description="Unique persona id; also the file name without .yaml.")
    label: LocalizedText = Field(
        description="Display label in the app: the type of customer in a few words, no person name, no brackets."
    )
    archetype: Slug = Field(
        description="Customer type: rational, emotional, impatient, skeptical, or another that trainers use."
    )
    difficulty: Difficulty = Field(description="How hard this customer is for a new agent.")
    languages: list[Language] = Field(min_length=1, description="Languages this persona can be played in.")
    fits: PersonaFits = Field(description="Customer identities (gender, age range, relation) this persona fits.")
    portrait: LocalizedText = Field(
        description=(
            "One paragraph in the second person ('你…' / 'You…'): temperament, habits, how this customer "
            "comes across. No name, and nothing about gender, age or family beyond what fits declares."
        )
    )
    temperament: Temperament = Field(description="Starting mood, patience, triggers and mood reactions.")
    speech: SpeechStyle = Field(description="Sentence length, register, habits and sample lines.")
    behaviours: list[Behaviour] = Field(default_factory=list, description="Recurring behaviours in a drill.")
    satisfied_when: LocalizedList = Field(description="What would satisfy this customer.")
    coaching_tips: LocalizedList = Field(description="What a trainee should do with this customer type.")
    offline_script: dict[Language, ScriptLines] = Field(
        description="Line templates for the offline engine, one set per language this persona speaks."
    )

    def fits_case(self, case: Case) -> bool:
        """True when this persona speaks the case's language and fits its customer."""
        return case.language in self.languages and not self.fits.conflicts(case.customer)

    @field_validator("label")
    @classmethod
    def _plain_label(cls, label: LocalizedText) -> LocalizedText:
        for text in (label.zh, label.en):
            if any(bracket in text for bracket in "()（）[]【】"):
                raise CatalogueValueError("model.label_brackets", text=text)
        return label

    def trainee_view(self) -> TraineeView:
        """Only the fields in ``TRAINEE_FIELDS``."""
        return TraineeView("persona", {name: getattr(self, name) for name in sorted(self.TRAINEE_FIELDS)})

    @model_validator(mode="after")
    def _script_covers_languages(self) -> Persona:
        missing = [lang for lang in self.languages if lang not in self.offline_script]
        if missing:
            raise CatalogueValueError("model.script_languages", languages=", ".join(missing))
        return self
