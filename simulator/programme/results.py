"""How an assessment's parts combine into its result: pure functions over scores and the policy.

- The **practical** score is the mean of the drawn cards and the mean of the real chats, weighted
  by the policy (half each by default); with no real chats it is the cards' mean alone.
- The **result** is ``theory_weight`` % of the theory score plus ``practical_weight`` % of the
  practical score (30/70 by default). It passes when it reaches the pass mark and every part with
  a pass mark of its own reaches that too (theory 80 by default).
- A part may be **retaken** (``resits`` times, once by default) when it is below its own pass mark,
  or, when the result fails although no part is below its own mark, when it is below the overall
  pass mark. The latest attempt at a part counts; every attempt is kept and shown.

A score of ``None`` means "not complete yet" (a card not played, a chat not graded): the result
is then incomplete, never computed with a made-up zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from simulator.programme.models import AssessmentPolicy, PracticalPolicy

Part = Literal["theory", "practical"]
PARTS: tuple[Part, ...] = ("theory", "practical")


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None


def practical_score(
    cards: Sequence[float | None], real_chats: Sequence[float | None], policy: PracticalPolicy
) -> float | None:
    """The practical part's score (0-100, one decimal), or None while anything is unscored."""
    if any(score is None for score in (*cards, *real_chats)) or not (cards or real_chats):
        return None
    card_mean = mean([s for s in cards if s is not None])
    chat_mean = mean([s for s in real_chats if s is not None])
    if card_mean is None:
        return round(chat_mean or 0.0, 1)
    if chat_mean is None:
        return round(card_mean, 1)
    return round((policy.card_weight * card_mean + policy.real_chat_weight * chat_mean) / 100, 1)


@dataclass(frozen=True)
class AttemptScore:
    """One attempt at one part: 1 is the first, 2 the first resit."""

    part: Part
    number: int
    score: float | None


@dataclass(frozen=True)
class AssessmentResult:
    """Each part's attempts, the scores that count, the combined result and what may be retaken."""

    attempts: list[AttemptScore]
    theory: float | None
    practical: float | None
    total: float | None
    passed: bool | None
    failed_parts: list[Part] = field(default_factory=list)
    resit_allowed: list[Part] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when both parts have a score."""
        return self.total is not None


def own_mark(policy: AssessmentPolicy, part: Part) -> float | None:
    """The pass mark a part must reach on its own, if any."""
    return policy.theory_pass_mark if part == "theory" else policy.practical_pass_mark


def combine(policy: AssessmentPolicy, attempts: Sequence[AttemptScore]) -> AssessmentResult:
    """The result from every attempt at every part (the latest attempt of a part counts)."""
    latest: dict[Part, AttemptScore] = {}
    for attempt in sorted(attempts, key=lambda a: a.number):
        latest[attempt.part] = attempt
    theory = latest["theory"].score if "theory" in latest else None
    practical = latest["practical"].score if "practical" in latest else None
    if theory is None or practical is None:
        return AssessmentResult(list(attempts), theory, practical, None, None)
    total = round((policy.theory_weight * theory + policy.practical_weight * practical) / 100, 1)
    scores: dict[Part, float] = {"theory": theory, "practical": practical}
    below_own = [part for part in PARTS if (mark := own_mark(policy, part)) is not None and scores[part] < mark]
    passed = total >= policy.pass_mark and not below_own
    failed = below_own
    if not passed and not failed:
        # The result fails although each part met its own mark: the parts under the overall mark fail.
        failed = [part for part in PARTS if scores[part] < policy.pass_mark]
    used = {part: sum(1 for a in attempts if a.part == part) for part in PARTS}
    resits = [part for part in failed if used[part] <= policy.resits]
    return AssessmentResult(list(attempts), theory, practical, total, passed, failed, resits)
