"""Which of an agent turn's sentences the customer hears as asking for a secret.

The customer and the grader read a private-data request the same way (DESIGN.md: one recogniser for
the customer, the rules and the grader): a sentence the recogniser flags is judged again as the
grader judges it (``grading.private_requests.request_score``), with the rubric's clauses that say a
secret is not needed set aside and its ordinary references ("confirmation code", "billing ZIP code")
read as an order number. A booking's confirmation code asked for is no reason for "My password? No.".
"""

from __future__ import annotations

from dataclasses import replace

from simulator.grading.private_requests import request_score
from simulator.models import DialogueAct, Rubric
from simulator.recognizer import RecognizedTurn, not_request_clauses, ordinary_references

_ACT = DialogueAct.private_data_request


def heard_requests(turn: RecognizedTurn, rubric: Rubric | None) -> RecognizedTurn:
    """``turn`` with only the private-data requests the grader's reading keeps (unchanged without a rubric)."""
    if rubric is None or not turn.private_requests or not turn.sentences:
        return turn
    language = turn.sentences[0].language
    not_requests = not_request_clauses(rubric, language)
    references = ordinary_references(rubric, language)
    kept = tuple(
        sentence.text
        for sentence in turn.sentences
        if sentence.text in turn.private_requests and request_score(sentence, not_requests, references) is not None
    )
    if kept == turn.private_requests:
        return turn
    cleared = set(turn.private_requests) - set(kept)
    matches = tuple(m for m in turn.matches if not (m.act == _ACT and m.quote in cleared))
    acts = turn.acts if any(m.act == _ACT for m in matches) else turn.acts - {_ACT}
    return replace(turn, acts=acts, matches=matches, private_requests=kept)
