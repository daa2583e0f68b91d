"""Who the customer is (name, gender, age, relation to the account): owned by the case."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from simulator.models.base import NonEmpty, StrictModel


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
