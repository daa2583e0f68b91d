"""The 30/70 combination, pass rules and resits as pure functions."""

from __future__ import annotations

import pytest

from simulator.programme.models import AssessmentPolicy, PracticalPolicy
from simulator.programme.results import AttemptScore, combine, practical_score

DEFAULT = AssessmentPolicy()


def result(theory: float | None, practical: float | None, policy: AssessmentPolicy = DEFAULT, extra=()):  # type: ignore[no-untyped-def]
    return combine(policy, [AttemptScore("theory", 1, theory), AttemptScore("practical", 1, practical), *extra])


def test_practical_is_half_cards_half_real_chats_by_default() -> None:
    policy = PracticalPolicy()
    assert practical_score([80, 90], [70, 70, 76], policy) == 78.5  # (mean 85 + mean 72) / 2
    assert practical_score([80, 90], [], policy) == 85.0  # no real chats: the cards alone
    assert practical_score([], [60, 80, 70], policy) == 70.0
    assert practical_score([80, None], [70], policy) is None  # a card not scored yet
    assert practical_score([], [], policy) is None
    weighted = PracticalPolicy(card_weight=70, real_chat_weight=30)
    assert practical_score([100], [50], weighted) == 85.0


@pytest.mark.parametrize(
    ("theory", "practical", "total", "passed", "failed"),
    [
        (90, 85, 86.5, True, []),
        (80, 80, 80.0, True, []),
        (95, 75, 81.0, True, []),  # the practical has no pass mark of its own by default
        (78, 95, 89.9, False, ["theory"]),  # theory must reach 80 on its own
        (90, 70, 76.0, False, ["practical"]),  # fails overall; theory met its mark, so the practical failed
        (60, 60, 60.0, False, ["theory"]),  # theory is below its own mark: that part is the one to retake
    ],
)
def test_the_material_rule_30_70_overall_80_theory_80(
    theory: float, practical: float, total: float, passed: bool, failed: list[str]
) -> None:
    combined = result(theory, practical)
    assert combined.total == total and combined.passed is passed
    assert combined.failed_parts == failed and combined.resit_allowed == failed


def test_incomplete_parts_give_no_result() -> None:
    combined = result(90, None)
    assert combined.total is None and combined.passed is None and not combined.complete


def test_own_pass_marks_are_configurable() -> None:
    strict = AssessmentPolicy(practical_pass_mark=80)
    combined = result(100, 78, strict)
    assert combined.total == 84.6 and combined.passed is False and combined.failed_parts == ["practical"]
    lenient = AssessmentPolicy(theory_pass_mark=None, theory_weight=50, practical_weight=50, pass_mark=70)
    assert result(50, 95, lenient).passed is True


def test_the_resit_counts_and_the_first_attempt_is_kept() -> None:
    combined = result(70, 90, extra=[AttemptScore("theory", 2, 85)])
    assert combined.theory == 85 and combined.total == 88.5 and combined.passed
    assert [(a.part, a.number, a.score) for a in combined.attempts] == [
        ("theory", 1, 70),
        ("practical", 1, 90),
        ("theory", 2, 85),
    ]


def test_only_as_many_resits_as_the_policy_allows() -> None:
    failed_again = result(70, 90, extra=[AttemptScore("theory", 2, 75)])
    assert failed_again.failed_parts == ["theory"] and failed_again.resit_allowed == []
    twice = AssessmentPolicy(resits=2)
    assert result(70, 90, twice, extra=[AttemptScore("theory", 2, 75)]).resit_allowed == ["theory"]
    never = AssessmentPolicy(resits=0)
    assert result(70, 90, never).resit_allowed == []


def test_weights_must_add_up_to_100() -> None:
    with pytest.raises(ValueError, match="must be 100"):
        AssessmentPolicy(theory_weight=30, practical_weight=60)
    with pytest.raises(ValueError, match="must be 100"):
        PracticalPolicy(card_weight=50, real_chat_weight=40)
