"""The dialogue-act vocabulary: what an agent sentence does."""

from __future__ import annotations

from enum import StrEnum


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
