"""The one reaction an agent turn calls for, most serious first."""

from __future__ import annotations

from simulator.customer.memory import CustomerMemory
from simulator.customer.offer_rules import TurnOffers, wants_proof
from simulator.customer.rule_numbers import RuleNumbers
from simulator.customer.state import Move
from simulator.models import DialogueAct, Persona
from simulator.recognizer import RecognizedTurn

# Acts a turn of pure filler is made of ("好的，我看一下"); such a turn gets the filler reaction.
_FILLER = frozenset({DialogueAct.hold, DialogueAct.greeting, DialogueAct.self_intro})


def turn_reaction(
    turn: RecognizedTurn, memory: CustomerMemory, offers: TurnOffers, persona: Persona, numbers: RuleNumbers
) -> Move | None:
    """The one reaction this turn calls for, most serious first (None: no reaction)."""
    reactions = persona.temperament.mood_reactions
    if turn.has(DialogueAct.forbidden_phrase):
        return Move("after_forbidden")
    if turn.has(DialogueAct.private_data_request):
        return Move("after_private_request")
    if turn.has(DialogueAct.long_turn) and reactions.get(DialogueAct.long_turn, 0) > 0:
        return Move("after_long_turn")
    if turn.has(DialogueAct.ask_repeat):
        return Move("repeat")
    if turn.has(DialogueAct.small_talk) and not offers.acceptable and not turn.asked_facts:
        return Move("after_small_talk")
    if turn.acts and turn.acts <= _FILLER and turn.has(DialogueAct.hold):
        return Move("after_hold")
    # A bare assurance (a promise, or a hedge that sounds like one) with no proof and no offer.
    assures = turn.has(DialogueAct.promise) or turn.has(DialogueAct.hedge)
    if assures and not turn.has(DialogueAct.give_proof) and not offers.acceptable:
        if wants_proof(persona) and not memory.proof_seen:
            return Move("demand_proof")
        if reactions.get(DialogueAct.promise, 0) != 0 or reactions.get(DialogueAct.hedge, 0) != 0:
            return Move("after_promise")
    if (
        turn.has(DialogueAct.explain_policy)
        and reactions.get(DialogueAct.explain_policy, 0) != 0
        and not memory.goal_raised
        and not offers.acceptable  # the reason for a remedy it would take is no recital
    ):
        return Move("after_policy")
    if (
        turn.has(DialogueAct.empathy)
        and reactions.get(DialogueAct.empathy, 0) < 0
        and memory.empathy_count <= numbers.empathy_effective_turns
    ):
        return Move("after_empathy")
    return None
