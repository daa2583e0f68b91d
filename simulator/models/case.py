"""The case schema: one drill scenario with its hidden facts, resolutions, policy and agent systems."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulator.i18n import CatalogueValueError
from simulator.models.base import Difficulty, Language, NonEmpty, Slug, StrictModel, TraineeView
from simulator.models.identity import CustomerIdentity


class CaseCategory(StrEnum):
    """Scenario families from the training material."""

    presales = "presales"
    logistics = "logistics"
    quality = "quality"
    returns = "returns"
    fees = "fees"
    promotions = "promotions"
    privacy = "privacy"
    authority = "authority"
    outage = "outage"
    abusive = "abusive"
    followup = "followup"
    membership = "membership"


class Industry(StrEnum):
    """The business the agent works for; trainers filter the library by it."""

    e_commerce = "e-commerce"
    food_delivery = "food-delivery"
    telecom = "telecom"
    banking = "banking"
    travel = "travel"
    education = "education"
    appliances = "appliances"
    internet_services = "internet-services"
    fitness = "fitness"


Channel = Literal["phone", "chat", "outbound_call"]
CHANNELS: tuple[Channel, ...] = ("phone", "chat", "outbound_call")
Start = Literal["greeting", "mid_conversation"]


class FactKind(StrEnum):
    """What sort of fact the customer holds; the recogniser knows how agents ask for each."""

    order_number = "order_number"
    tracking_number = "tracking_number"
    date = "date"
    amount = "amount"
    product = "product"
    account = "account"
    phone = "phone"
    address = "address"
    name = "name"
    payment_method = "payment_method"
    photo = "photo"
    other = "other"


class HiddenFact(StrictModel):
    """Something the customer knows and says only when the agent asks for it."""

    key: Slug = Field(description="Short id for this fact within the case.")
    kind: FactKind = Field(description="Kind of fact; decides which questions count as asking for it.")
    label: NonEmpty = Field(description="What the fact is, in the case's language (e.g. 订单号).")
    value: NonEmpty = Field(description="The fact itself, exactly as the customer would say it.")
    ask_keywords: list[NonEmpty] = Field(
        default_factory=list,
        description="Optional hints: words that, in an agent question, suggest asking for this fact.",
    )
    required: bool = Field(default=True, description="A good agent must ask for this fact to solve the case.")


class Resolution(StrictModel):
    """An outcome the agent could offer."""

    id: Slug = Field(description="Short id for this resolution within the case.")
    description: NonEmpty = Field(description="What is offered, in the case's language.")
    keywords: list[NonEmpty] = Field(
        default_factory=list,
        description="Optional hints: words an agent might use when offering this (offers are matched by meaning).",
    )


class PolicyLimits(StrictModel):
    """What the agent may and may not do in this case."""

    may_offer: list[NonEmpty] = Field(min_length=1, description="What the agent is allowed to offer.")
    must_not_promise: list[NonEmpty] = Field(min_length=1, description="What the agent must never promise.")
    forbidden_promise_keywords: list[NonEmpty] = Field(
        default_factory=list,
        description="Words that, inside an agent promise, show a promise beyond policy (e.g. 全额赔偿).",
    )
    max_compensation: float | None = Field(
        default=None, ge=0, description="Highest amount of money the agent may offer, if any."
    )
    currency: str = Field(default="CNY", description="Currency of amounts in this case (CNY, USD, ...).")


class AgentSystems(StrictModel):
    """What the agent's tools allow in this case, so that nobody claims what the systems cannot do.

    The trainee sees these on the scenario card (an agent knows their own systems); the grader
    checks claims against them (a refund that needs approval cannot be "already issued").
    """

    can_do: list[NonEmpty] = Field(min_length=1, description="Actions the agent can take directly.")
    can_look_up: list[NonEmpty] = Field(min_length=1, description="What the agent can see in the systems.")
    cannot_do: list[NonEmpty] = Field(
        min_length=1, description="What the agent cannot do, or only through someone else (approval, another team)."
    )


class PhraseStage(StrEnum):
    """Stages of a service conversation, in order."""

    opening = "opening"
    empathy = "empathy"
    clarify = "clarify"
    solution = "solution"
    closing = "closing"


class RecommendedPhrase(StrictModel):
    """A line a good agent would say at a given stage."""

    stage: PhraseStage = Field(description="Conversation stage this line belongs to.")
    text: NonEmpty = Field(description="The recommended wording.")


class Case(StrictModel):
    """One drill scenario, authored as a YAML file in ``casebank/``.

    The case owns the customer's identity (``customer``); the persona suggested for it adds
    temperament and speech. What the simulated customer is told is the situation, the opening
    line, ``customer_wants`` (in their own words), the hidden facts and ``customer_refuses``;
    ``acceptable_resolutions``, ``policy`` and ``agent_systems`` are for the agent and the grader.
    """

    #: The agent brief: what a trainee may see before and during a drill. Every other field (the
    #: customer's identity, situation, opening line and wants, hidden facts, resolutions, what the
    #: customer refuses, policy, agent systems, expected steps, recommended and forbidden phrasing,
    #: suited personas, tags) is hidden, and so is any field added later until it is listed here
    #: (see docs/security.md).
    TRAINEE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "title", "category", "industry", "channel", "start", "language", "difficulty", "product", "brief"}
    )

    id: Slug = Field(description="Unique case id; also the file name without .yaml.")
    title: NonEmpty = Field(description="Short title in the case's language.")
    category: CaseCategory = Field(description="Scenario family.")
    industry: Industry = Field(description="The business the agent works for (filterable in the app and CLI).")
    channel: Channel = Field(
        description="phone (the customer rang), chat (online chat) or outbound_call (the agent rang the customer)."
    )
    start: Start = Field(
        description=(
            "greeting: the drill starts at the first words; mid_conversation: it starts part-way through "
            "(the brief says what has happened so far, and nobody greets)."
        )
    )
    language: Language = Field(description="Language the drill is held in.")
    difficulty: Difficulty = Field(description="How hard the case is for a new agent.")
    personas: list[Slug] = Field(
        default_factory=list,
        description="Persona ids this case suits best (empty: any persona); each must fit the customer.",
    )
    focus_criteria: list[Slug] = Field(
        default_factory=list, description="Rubric criterion ids this case exercises most."
    )
    customer: CustomerIdentity = Field(
        description="Who the customer is: name, gender, age range, relation to the account holder, how to address them."
    )
    brief: NonEmpty = Field(description="What the agent sees before the conversation (no hidden facts).")
    situation: NonEmpty = Field(
        description="The customer's side of the story in the second person, for the simulated customer only."
    )
    opening_line: NonEmpty = Field(description="The customer's first line; it must fit the channel and start.")
    product: NonEmpty = Field(description="Product or service concerned, as the customer names it.")
    hidden_facts: list[HiddenFact] = Field(
        min_length=1, description="Facts the customer gives only when asked (order number, dates, amounts)."
    )
    customer_wants: NonEmpty = Field(
        description=(
            "What the customer wants, in their own words and as vague as a real customer would be "
            "(no policy, no amounts they could not know). The simulated customer is told this."
        )
    )
    acceptable_resolutions: list[Resolution] = Field(
        min_length=1, description="Outcomes the customer would accept (for the grader and the customer's state)."
    )
    customer_refuses: list[Resolution] = Field(
        default_factory=list,
        description=(
            "Offers the customer turns down (a token coupon, 'just wait'). Not policy violations: what the "
            "agent must never do goes in policy.must_not_promise."
        ),
    )
    policy: PolicyLimits = Field(description="What the agent may offer and must not promise.")
    agent_systems: AgentSystems = Field(description="What the agent can do, can look up and cannot do.")
    expected_steps: list[NonEmpty] = Field(min_length=2, description="Service steps a good agent follows.")
    recommended_phrasing: list[RecommendedPhrase] = Field(min_length=2, description="Good wording per stage.")
    forbidden_phrasing: list[NonEmpty] = Field(
        min_length=1, description="Wording that must never be used in this case."
    )
    tags: list[NonEmpty] = Field(default_factory=list, description="Free tags for search and filtering.")

    def trainee_view(self) -> TraineeView:
        """Only the fields in ``TRAINEE_FIELDS`` (the agent brief)."""
        return TraineeView("case", {name: getattr(self, name) for name in sorted(self.TRAINEE_FIELDS)})

    @field_validator("hidden_facts")
    @classmethod
    def _unique_fact_keys(cls, facts: list[HiddenFact]) -> list[HiddenFact]:
        seen: set[str] = set()
        for fact in facts:
            if fact.key in seen:
                raise CatalogueValueError("model.fact_key_twice", key=fact.key)
            seen.add(fact.key)
        return facts

    @model_validator(mode="after")
    def _unique_resolution_ids(self) -> Case:
        ids = [resolution.id for resolution in (*self.acceptable_resolutions, *self.customer_refuses)]
        duplicates = sorted({rid for rid in ids if ids.count(rid) > 1})
        if duplicates:
            raise CatalogueValueError("model.resolution_ids_twice", ids=", ".join(duplicates))
        return self
