"""Signals for real chat logs graded without a case: questions asked again, one-word confirmations."""

from __future__ import annotations

import pytest

from simulator.grading import signals
from simulator.grading.offline import Measure, default_weights
from simulator.grading.rules import run_rules
from simulator.models import Case, Transcript
from simulator.recognition.structure import lone_word
from tests.grading_fixtures import rubric, transcript

pytestmark = pytest.mark.usefixtures("corrected_acts")


def measure(t: Transcript, case: Case | None = None) -> Measure:
    return Measure(t, rubric(), case, run_rules(t, rubric(), case), None, default_weights())


def test_a_question_asked_again_after_the_customer_answered_is_counted() -> None:
    t = transcript(
        "en",
        [
            ("c", "I need to see a doctor about my knee."),
            ("a", "What doctor would you like to see?"),
            ("c", "Dr. Morgan, please."),
            ("a", "Sure. What doctor would you like to see?"),
            ("c", "I just said, Dr. Morgan."),
            ("a", "Booked with Dr. Morgan at 3 pm on Monday."),
        ],
    )
    result = measure(t).signal("repeated_question")
    assert result.value == 1.0
    assert result.negative and "What doctor" in result.negative[0].quote
    assert result.weak is not None and result.weak.turn == 3


def test_courtesy_questions_and_questions_in_one_burst_are_not_counted() -> None:
    t = transcript(
        "en",
        [
            ("c", "Can you book a table at Tamarind?"),
            ("a", "Booked for 7 pm. Is there anything else that I can do for you?"),
            ("c", "What time was it?"),
            ("a", "7 pm. Is there anything else that I can do for you?"),
        ],
    )
    assert measure(t).signal("repeated_question").value == 0.0


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [("Correct.", False), ("Correct", False), ("Right!", False), ("Correct?", True), ("Your name and ZIP code?", True)],
)
def test_a_lone_word_asks_only_by_its_form(sentence: str, asks: bool) -> None:
    assert lone_word(sentence) is (sentence[-1] != "?")
    assert signals.is_question(sentence, "en") is asks


def test_concrete_replies_does_not_credit_a_reply_the_customer_calls_no_answer() -> None:
    t = transcript(
        "en",
        [
            ("c", "My Plus membership renewed without me realising. How much can I get back?"),
            ("a", "Refund, ticket, policy, membership, cancellation, understand, sorry, resolve, priority, thank you."),
            ("c", "What? That's not an answer."),
            ("a", "You get the full 49.99 back within 5 business days."),
            ("c", "Fine."),
        ],
    )
    result = measure(t).signal("concrete_replies")
    # The salad names service words the customer never said, but the customer says it answered nothing.
    assert result.value == pytest.approx(1 / 2)
    assert result.weak is not None and result.weak.turn == 1


def test_a_refusal_with_nothing_after_it_is_a_dead_end() -> None:
    refused = [
        ("c", "I want to reserve flight 921."),
        ("a", "Sorry, but the flight with id 921 is not available any more."),
        ("c", "Oh well, thanks."),
        ("a", "Is there anything else that I can do for you?"),
    ]
    result = measure(transcript("en", refused)).signal("dead_end")
    assert result.value == 1.0
    assert result.negative and "921" in result.negative[0].quote
    rerouted = [
        *refused[:2],
        ("c", "What else is there?"),
        ("a", "I can book you on flight 924, leaving at 9:40 tomorrow for the same fare. Shall I reserve it?"),
    ]
    assert measure(transcript("en", rerouted)).signal("dead_end").value == 0.0


def test_a_refusal_that_takes_back_a_commitment_is_a_reversal() -> None:
    booked = ("a", "Great, your appointment with Dr. Morgan is booked for 3 pm on Monday.")
    took_back = ("a", "Unfortunately Dr. Morgan has no appointment available at 3 pm.")
    t = transcript("en", [("c", "Can I see Dr. Morgan at 3 pm?"), booked, ("c", "And my son?"), took_back])
    result = measure(t).signal("reversal")
    assert result.value == 1.0
    assert result.negative and "no appointment" in result.negative[0].quote
    refused_first = transcript("en", [("c", "Can I see Dr. Morgan at 3 pm?"), took_back])
    assert measure(refused_first).signal("reversal").value == 0.0


def test_without_a_case_a_reply_the_customer_calls_no_answer_is_no_resolution() -> None:
    t = transcript(
        "en",
        [
            ("c", "My Plus membership renewed without me realising. How much can I get back?"),
            ("a", "Your refund, ticket, membership and cancellation options are a priority for us."),
            ("c", "What? That's not an answer."),
        ],
    )
    assert measure(t).signal("resolution_offered").value == 0.0


def test_an_apology_that_softens_a_refusal_is_no_sympathy_for_the_customers_situation() -> None:
    asked = ("c", "I'd like a room at the Old Town Inn from May 8th, it's my birthday.")
    refusal = ("a", "I'm very sorry, but there is no room available at the Old Town Inn for your requested date.")
    assert measure(transcript("en", [asked, refusal])).signal("empathy").value == 0.5
    sympathy = ("a", "I'm so sorry, a birthday at the Old Town Inn deserves better than a full house.")
    assert measure(transcript("en", [asked, sympathy])).signal("empathy").value == 1.0
