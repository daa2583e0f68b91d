"""Signal of listening and problem solving: the details the customer asked for were given.

Each customer sentence the request reader (``simulator.grading.fulfilment``) reads as a request for
information ("could I get their phone and postcode?", "地址也发我一下") is paired with the agent
burst that follows the customer's turn(s); the fulfilment reader gives the probability that the
burst tells what was asked. A request no agent turn follows is still pending at the end and counts
0. The value is the mean over requests; a transcript without requests is not applicable.
"""

from __future__ import annotations

from simulator.grading import signals
from simulator.grading.fulfilment import shipped_model
from simulator.grading.measure import NOT_APPLICABLE, Measure, Moment, SignalResult
from simulator.grading.registry import register_signal
from simulator.models import PhraseStage


def requests_and_replies(m: Measure) -> list[tuple[str, int | None, str]]:
    """(request sentence, first turn of the agent burst after it or None, that burst's clean text)."""
    model = shipped_model()
    if model is None:
        return []
    starts = {burst[0]: burst for burst in m.clean.bursts}
    pending: list[str] = []
    found: list[tuple[str, int | None, str]] = []
    for index, turn in enumerate(m.transcript.turns):
        if turn.role == "customer":
            said = signals.sentences(turn.text, m.language)
            if said:
                chances = model.request_probabilities(said)
                pending.extend(s for s, p in zip(said, chances, strict=True) if p >= model.request_threshold)
        elif index in starts and pending:
            reply = " ".join(m.rec(t).text for t in starts[index]).strip()
            found.extend((request, index, reply) for request in pending)
            pending = []
    found.extend((request, None, "") for request in pending)
    return found


@register_signal("details_given", kind="behaviour")
def measure_details_given(m: Measure) -> SignalResult:
    """Mean probability that each request for information got the details asked for (pending: 0)."""
    model = shipped_model()
    asked = requests_and_replies(m)
    if model is None or not asked:
        return NOT_APPLICABLE
    answered = [(request, turn, reply) for request, turn, reply in asked if turn is not None and reply]
    chances: dict[tuple[str, int | None], float] = dict(
        zip(
            [(r, t) for r, t, _ in answered],
            model.fulfil_probabilities([r for r, _, _ in answered], [reply for _, _, reply in answered]).tolist(),
            strict=True,
        )
    )
    scores = [chances.get((request, turn), 0.0) for request, turn, _ in asked]
    value = sum(scores) / len(scores)
    worst = min(range(len(asked)), key=lambda i: scores[i])
    weak = None
    if scores[worst] < 0.5:
        turn = asked[worst][1]
        weak = Moment(
            turn,
            PhraseStage.solution,
            signals.first_sentence(m.rec(turn).text, m.language) if turn is not None else None,
        )
    return SignalResult(round(value, 4), weak=weak)
