"""``red_line_doubt``: red lines flagged for a mentor's review count as a penalty the fit weighs, never a cap."""

from __future__ import annotations

from simulator.grading.offline import Measure, default_weights
from simulator.grading.registry import hurt_criteria, registered_signals
from simulator.models import Finding
from tests.grading_fixtures import rubric, transcript

TURNS = [
    ("c", "My washer is leaking again, third time this month."),
    ("a", "Honestly, at your age you should just stop doing laundry. I'll book a visit for Friday."),
    ("c", "Fine."),
    ("a", "Booked for Friday between 8 and 12."),
]


def _review(turn: int, quote: str) -> Finding:
    return Finding(rule="red_line_review", severity="info", turn=turn, quote=quote, message="for review")


def test_each_flag_for_review_counts_and_is_quoted() -> None:
    t = transcript("en", TURNS)
    flagged = "Honestly, at your age you should just stop doing laundry."
    m = Measure(t, rubric(), None, [_review(1, flagged)], None, default_weights())
    result = m.signal("red_line_doubt")
    assert result.value == 1.0
    assert [e.quote for e in result.negative] == [flagged]
    assert result.weak is not None and result.weak.turn == 1


def test_no_flag_reads_zero() -> None:
    t = transcript("en", TURNS)
    m = Measure(t, rubric(), None, [], None, default_weights())
    assert m.signal("red_line_doubt").value == 0.0


def test_it_is_a_penalty_and_never_a_score_cap_or_a_hurt_note() -> None:
    spec = registered_signals()["red_line_doubt"]
    assert spec.kind == "penalty" and spec.rule is None
    weights = default_weights()
    assert all("red_line_doubt" not in c.score_caps for c in weights.criteria.values())
    assert hurt_criteria("red_line_review") == ()
