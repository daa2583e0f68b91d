"""Offline signals that keep excellent agents from being scored low for what the grader could not read:
the persona types beyond the training material's seven, addressing the customer by name,
and a question for a detail the customer had already given (docs/grader-signals.md, "Fair scores")."""

from __future__ import annotations

import pytest

from simulator.grading.offline import Measure, default_weights
from simulator.grading.rules import run_rules
from simulator.models import Case, Transcript
from tests.grading_fixtures import en_case, rubric, transcript

# Recognition misses of the shipped model are corrected (tests/known_misses.py): these tests check
# what is built on the acts.
pytestmark = pytest.mark.usefixtures("corrected_acts")

LONG = (
    "Thank you for contacting us today about your order, we really do appreciate your patience while we look "
    "into this for you, and I want to reassure you that our team takes every single report like this very "
    "seriously, so we will review the whole history of the account, check every record that we hold, talk to "
    "the warehouse and the courier, and then get back to you with a full and detailed explanation of what "
    "happened and what the available options are under our standard policy for cases of this kind."
)


def measure(t: Transcript, case: Case | None, archetype: str | None = None) -> Measure:
    return Measure(t, rubric(), case, run_rules(t, rubric(), case), archetype, default_weights())


@pytest.mark.parametrize("archetype", ["casual", "reticent", "hesitant", "hard_of_hearing", "merchant"])
def test_the_other_persona_types_are_measured(archetype: str) -> None:
    log = transcript("en", [("c", "shoes wrong size"), ("a", "Sorry about that. Swap or refund?")])
    assert measure(log, None, archetype=archetype).signal("archetype_fit").applicable
    assert measure(log, None, archetype=archetype).signal("archetype_misfit").applicable


def test_a_one_word_customer_is_better_served_by_short_closed_questions_than_by_a_paragraph() -> None:
    short = transcript(
        "en",
        [("c", "wrong shoes"), ("a", "Sorry about that. Would you like a swap or a refund?"), ("c", "swap")],
    )
    lecture = transcript("en", [("c", "wrong shoes"), ("a", LONG), ("c", "ok")])
    fits = measure(short, None, archetype="reticent"), measure(lecture, None, archetype="reticent")
    assert fits[0].signal("archetype_fit").value > fits[1].signal("archetype_fit").value
    assert (fits[0].signal("archetype_misfit").value, fits[1].signal("archetype_misfit").value) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("language", "line", "addressed"),
    [
        ("en", "Hello Ms. Foster, I'm Sam. Let's sort this out.", 1.0),
        ("en", "Hello, I'm Sam. I miss the days when this was simple.", 0.0),
        ("zh-CN", "林女士您好，我是小王，马上帮您查。", 1.0),
        ("zh-CN", "您好，请问您先生在家吗？", 0.0),
    ],
)
def test_addressing_the_customer_by_title_and_name_is_credited(language: str, line: str, addressed: float) -> None:
    log = transcript(language, [("c", "Hi" if language == "en" else "你好"), ("a", line)])
    assert measure(log, None).signal("addresses_customer").value == addressed


def test_a_question_for_a_detail_already_given_shows_in_the_customers_repeated_answer() -> None:
    again = transcript(
        "en",
        [
            ("c", "My order number is 55821 and the parcel never came."),
            ("a", "What is your order number?"),
            ("c", "55821."),
            ("a", "Thanks. It left our depot on Monday and arrives tomorrow before noon."),
        ],
    )
    new = transcript(
        "en",
        [
            ("c", "The parcel never came."),
            ("a", "What is your order number?"),
            ("c", "55821."),
            ("a", "Thanks. It left our depot on Monday and arrives tomorrow before noon."),
        ],
    )
    assert measure(again, None).signal("asked_for_given").value == 1.0
    assert measure(again, None).signal("asked_for_given").negative
    assert measure(new, None).signal("asked_for_given").value == 0.0


def test_with_a_single_acceptable_resolution_committing_to_it_is_the_alternative_too() -> None:
    case = en_case()
    assert len(case.acceptable_resolutions) == 1
    opening = ("c", "I've been charged twice for my blender.")
    solved = transcript(
        "en", [opening, ("a", "I'll refund the duplicate charge now; it is back on your card within 3 business days.")]
    )
    stalled = transcript("en", [opening, ("a", "I see. Thanks for letting us know.")])
    solved_alternative = measure(solved.model_copy(update={"case_id": case.id}), case).signal("alternative")
    stalled_alternative = measure(stalled.model_copy(update={"case_id": case.id}), case).signal("alternative")
    assert solved_alternative.applicable and solved_alternative.value == 1.0
    assert stalled_alternative.applicable and stalled_alternative.value == 0.0
