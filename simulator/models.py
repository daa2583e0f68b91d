"""Pydantic schemas for everything drill reads or writes.

Content (personas, cases, rubric) is authored by trainers as YAML and validated here with
unknown keys rejected; transcripts and grade reports are the JSON contracts of DESIGN.md.
Every field carries a description so that the generated JSON Schema documents itself for
editors (see ``simulator/schemas/``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.i18n import CatalogueValueError

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
Difficulty = Literal["easy", "medium", "hard"]
Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", description="Lower-case id: letters, digits, '-' or '_'."),
]
Mood = Annotated[int, Field(ge=0, le=10, description="0 = calm and content, 10 = furious.")]
NonEmpty = Annotated[str, Field(min_length=1)]


class StrictModel(BaseModel):
    """Base for every schema: unknown keys are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TraineeView(Mapping[str, Any]):
    """The trainee-visible fields of a persona or a case, and nothing else.

    What the trainee side of the app shows about content is built from this view, so a field a
    model does not list in its ``TRAINEE_FIELDS`` (hidden facts, resolutions, policy, recommended
    phrasing, the persona card…) cannot reach a trainee by accident: asking for it raises
    ``AttributeError``. A trainee meets those fields only inside their own graded report.
    """

    def __init__(self, kind: str, values: dict[str, Any]):
        self._kind = kind
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._kind}.{name} is not visible to trainees (see TRAINEE_FIELDS)") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class LocalizedText(StrictModel):
    """The same text in Chinese and English."""

    zh: NonEmpty = Field(description="Simplified Chinese text.")
    en: NonEmpty = Field(description="English text.")

    def get(self, language: Language) -> str:
        """Return the text for ``language``."""
        return self.zh if language == "zh-CN" else self.en


class LocalizedList(StrictModel):
    """The same list of items in Chinese and English (lists may differ in length)."""

    zh: list[NonEmpty] = Field(min_length=1, description="Items in Simplified Chinese.")
    en: list[NonEmpty] = Field(min_length=1, description="Items in English.")

    def get(self, language: Language) -> list[str]:
        """Return the items for ``language``."""
        return self.zh if language == "zh-CN" else self.en


class DialogueAct(StrEnum):
    """What an agent sentence does (``docs/acts.md`` defines each one; ``simulator.recognition`` finds them).

    One vocabulary shared by the offline customer, the rule checks and the offline grader. All
    but the two structural acts (:data:`STRUCTURAL_ACTS`) are learned from the labelled corpus.
    """

    greeting = "greeting"
    self_intro = "self_intro"
    apology = "apology"
    empathy = "empathy"
    ask_fact = "ask_fact"
    ask_choice = "ask_choice"
    confirm_need = "confirm_need"
    hold = "hold"
    ask_repeat = "ask_repeat"
    give_proof = "give_proof"
    explain_policy = "explain_policy"
    offer_solution = "offer_solution"
    promise = "promise"
    hedge = "hedge"
    refusal = "refusal"
    escalate = "escalate"
    closing = "closing"
    small_talk = "small_talk"
    forbidden_phrase = "forbidden_phrase"
    private_data_request = "private_data_request"
    role_probe = "role_probe"
    grader_note = "grader_note"
    rating_request = "rating_request"
    long_turn = "long_turn"
    jargon = "jargon"


STRUCTURAL_ACTS: frozenset[DialogueAct] = frozenset({DialogueAct.long_turn, DialogueAct.jargon})
"""Acts decided by the turn's length and the rubric's jargon list, not learned from the corpus."""
LEARNED_ACTS: tuple[DialogueAct, ...] = tuple(act for act in DialogueAct if act not in STRUCTURAL_ACTS)
"""Acts the recogniser learns from the labelled corpus, in ``DialogueAct`` order."""


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


class Gender(StrEnum):
    """The customer's gender, as the case states it (``unspecified``: the case does not say)."""

    female = "female"
    male = "male"
    unspecified = "unspecified"


class AgeRange(StrEnum):
    """The customer's age band."""

    under_18 = "under-18"
    from_18 = "18-29"
    from_30 = "30-39"
    from_40 = "40-49"
    from_50 = "50-59"
    from_60 = "60-69"
    from_70 = "70+"


class Relation(StrEnum):
    """Who the customer is to the account (or order, card, line) the conversation is about."""

    account_holder = "account_holder"
    family_member = "family_member"
    representative = "representative"
    prospect = "prospect"
    impostor = "impostor"


class CustomerIdentity(StrictModel):
    """Who the customer is: the case owns this, the persona only adds temperament and speech."""

    name: NonEmpty = Field(description="The customer's full name as they would give it (周敏, Karen Lee).")
    gender: Gender = Field(description="female, male or unspecified (then address_as must be neutral).")
    age_range: AgeRange = Field(description="Age band: under-18, 18-29, 30-39, 40-49, 50-59, 60-69 or 70+.")
    relation: Relation = Field(
        description=(
            "Relation to the account holder: account_holder, family_member, representative (acting for "
            "someone else), prospect (no account yet) or impostor (claims to be the holder)."
        )
    )
    address_as: NonEmpty = Field(
        description="How the agent addresses the customer, using their name (周女士, 许大爷, Mr. Walsh, Karen)."
    )


# ---------------------------------------------------------------------------------------------
# Persona


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


# ---------------------------------------------------------------------------------------------
# Case


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


# ---------------------------------------------------------------------------------------------
# Rubric


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


# ---------------------------------------------------------------------------------------------
# Transcript


Outcome = Literal["resolved", "gave_up", "escalated", "abandoned"]


class CustomerState(StrictModel):
    """The simulated customer's hidden state after one of its turns."""

    mood: Mood = Field(description="Mood after this turn, 0 (calm) to 10 (furious).")
    goal_met: bool = Field(description="Whether the customer's goal has been met.")
    outcome: Outcome | None = Field(default=None, description="Set when the conversation ended on this turn.")


class Turn(StrictModel):
    """One message of a conversation."""

    role: Literal["customer", "agent", "system"] = Field(
        description=(
            "Who spoke. 'system' is a line from the chat platform in an imported log (a transfer, "
            "a queue notice): shown to mentors, never graded and never quoted as evidence."
        )
    )
    text: str = Field(description="What was said.")
    ts: str | None = Field(default=None, description="ISO-8601 time the message was sent (optional).")
    state: CustomerState | None = Field(default=None, description="Customer state (customer turns only).")

    @model_validator(mode="after")
    def _state_only_on_customer(self) -> Turn:
        if self.state is not None and self.role != "customer":
            raise CatalogueValueError("model.state_on_agent")
        return self


class Transcript(StrictModel):
    """A conversation between a (simulated or real) customer and an agent."""

    language: Language = Field(description="Language of the conversation.")
    turns: list[Turn] = Field(description="Messages in order.")
    id: str | None = Field(default=None, description="Transcript or session id.")
    persona_id: str | None = Field(default=None, description="Persona that played the customer, if simulated.")
    case_id: str | None = Field(default=None, description="Case the conversation follows, if known.")
    archetype: str | None = Field(default=None, description="Customer type, e.g. rational, emotional.")
    scenario: str | None = Field(default=None, description="Free-text description of the situation.")
    channel: Channel | None = Field(
        default=None,
        description=(
            "How the contact happened, for a log without a case: phone, chat or outbound_call. "
            "Only a phone-style opening expects a greeting and a self-introduction (docs/commitments.md)."
        ),
    )
    start: Start | None = Field(
        default=None,
        description=(
            "greeting, or mid_conversation when the log starts part-way through (nobody greets). "
            "A transcript with a case_id follows its case's channel and start instead."
        ),
    )

    def agent_turn_indices(self) -> list[int]:
        """Indices of the agent's turns."""
        return [index for index, turn in enumerate(self.turns) if turn.role == "agent"]


# ---------------------------------------------------------------------------------------------
# Grade report


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
