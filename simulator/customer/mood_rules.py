"""How an agent turn moves the customer's mood, and when the customer escalates or feels engaged."""

from __future__ import annotations

from simulator.customer.memory import CustomerMemory
from simulator.customer.offer_rules import TurnOffers
from simulator.customer.rule_numbers import RuleNumbers
from simulator.models import Behaviour, DialogueAct, Persona
from simulator.recognizer import RecognizedTurn

# Acts that engage with the customer even when nothing new is learnt: they do not use up patience
# (each only ``engaging_repeats`` times).
_ENGAGING = frozenset(
    {
        DialogueAct.apology,
        DialogueAct.empathy,
        DialogueAct.confirm_need,
        DialogueAct.ask_fact,
        DialogueAct.give_proof,
        DialogueAct.greeting,
        DialogueAct.explain_policy,
        DialogueAct.escalate,
        DialogueAct.hold,
    }
)
_COLD = frozenset({DialogueAct.forbidden_phrase, DialogueAct.hedge, DialogueAct.refusal})


def update_mood(
    memory: CustomerMemory,
    turn: RecognizedTurn,
    offers: TurnOffers,
    complete_offer: bool,
    persona: Persona,
    numbers: RuleNumbers,
) -> None:
    """Move ``memory.mood`` by the persona's reactions to the turn's acts, at most ``max_mood_step`` either way.

    The offer is the matcher's call, not the act classifier's: a complete acceptable offer moves the mood
    as an offer even in a sentence read only as explaining what applies ("Because the order used free
    shipping, we deduct $7.99: that's $111.01 back on your Visa."), and an explanation that brings an
    acceptable remedy is its reason, not a policy recital, so it does not anger.
    """
    reactions = persona.temperament.mood_reactions
    cold = bool(turn.acts & _COLD) and not offers.acceptable and not turn.has(DialogueAct.give_proof)
    acts = turn.acts | {DialogueAct.offer_solution} if complete_offer else turn.acts
    delta = 0
    for act in acts:
        change = reactions.get(act, 0)
        if act == DialogueAct.offer_solution and not complete_offer:
            continue  # an offer it turns down, a vague one ("补偿。") or nothing it can take calms nobody
        if act == DialogueAct.explain_policy and offers.acceptable:
            change = min(change, 0)
        if act == DialogueAct.empathy:
            memory.empathy_count += 1
            if memory.empathy_count > numbers.empathy_effective_turns:
                change = max(change, 0)
        if cold or turn.forbidden:
            change = max(change, 0)  # a cold, deflecting or hedging turn never calms
        delta += change
    if offers.refused and not offers.acceptable:
        delta += 1  # being offered what it already said it won't take
    step = persona.temperament.max_mood_step
    memory.mood = max(0, min(10, memory.mood + max(-step, min(step, delta))))


def escalates(memory: CustomerMemory, persona: Persona, numbers: RuleNumbers) -> bool:
    """Whether the customer demands a supervisor now (its mood, or repeated forbidden phrasing)."""
    wants_supervisor = Behaviour.asks_for_supervisor in persona.behaviours
    return (wants_supervisor and memory.mood >= numbers.supervisor_mood) or (
        memory.forbidden_count >= numbers.forbidden_before_escalation
    )


def engaged(turn: RecognizedTurn, memory: CustomerMemory, numbers: RuleNumbers) -> bool:
    """Whether the turn engaged with the customer (each engaging act counts ``engaging_repeats`` times)."""
    engaging = False
    for act in sorted(turn.acts & _ENGAGING):
        count = memory.engaged.get(act, 0)
        if count < numbers.engaging_repeats and not turn.forbidden and not turn.private_requests:
            engaging = True
        memory.engaged[act] = count + 1
    return engaging
