"""Theory quizzes as pure functions: draw questions, read a trainee's answer, score a quiz.

Scoring follows the way written tests are marked: every question counts the same; a multiple-
choice question scores only when exactly the right options are chosen; an unanswered question
scores nothing. The score is 0-100 with one decimal.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.programme.bank import BankQuestion, matching_questions
from simulator.programme.errors import ProgrammeError
from simulator.programme.models import Question, QuizSpec


def draw(
    bank: Sequence[BankQuestion],
    language: str,
    spec: QuizSpec,
    rng: random.Random,
    *,
    exclude: frozenset[str] = frozenset(),
) -> list[Question]:
    """``spec.questions`` questions at random from the bank's matching ones (none of ``exclude``).

    Raises ``ProgrammeError('quiz_not_enough')`` when the bank has too few.
    """
    candidates = [entry for entry in matching_questions(bank, language, spec) if entry.id not in exclude]
    candidates.sort(key=lambda entry: entry.id)  # the same seed draws the same questions
    if len(candidates) < spec.questions:
        raise ProgrammeError("quiz_not_enough", available=len(candidates), asked=spec.questions, language=language)
    return [entry.question for entry in rng.sample(candidates, spec.questions)]


def read_answer(question: Question, raw: Any) -> list[str]:
    """A trainee's answer as a sorted list of option letters (``["true"]``/``["false"]`` for true/false).

    Accepts a letter, a list of letters, or a boolean / ``"true"`` / ``"false"``; an empty answer
    is ``[]``. Anything that is not one of the question's options raises ``ProgrammeError``.
    """
    if raw is None or raw == "" or raw == []:
        return []
    if question.type == "true_false":
        if isinstance(raw, bool):
            return ["true" if raw else "false"]
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return [raw.strip().lower()]
        raise ProgrammeError("quiz_bad_answer", question=question.id, allowed="true, false")
    given = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else None
    if given is None or not all(isinstance(item, str) and item in question.options for item in given):
        raise ProgrammeError("quiz_bad_answer", question=question.id, allowed=", ".join(question.options))
    if question.type != "multiple" and len(given) > 1:
        raise ProgrammeError("quiz_one_answer", question=question.id)
    return sorted(set(given))


def is_correct(question: Question, given: Sequence[str]) -> bool:
    """True when ``given`` is exactly the question's answer."""
    return frozenset(given) == question.correct_keys()


@dataclass(frozen=True)
class QuestionResult:
    """How one question went."""

    question_id: str
    given: list[str]
    expected: list[str]
    correct: bool


@dataclass(frozen=True)
class QuizScore:
    """The marked quiz."""

    score: float
    correct: int
    total: int
    results: list[QuestionResult]


def score(questions: Sequence[Question], answers: Mapping[str, Sequence[str]]) -> QuizScore:
    """Mark ``answers`` (question id → letters) against ``questions``; 0 for an empty quiz."""
    results = [
        QuestionResult(
            question.id,
            list(answers.get(question.id, [])),
            sorted(question.correct_keys()),
            is_correct(question, answers.get(question.id, [])),
        )
        for question in questions
    ]
    right = sum(result.correct for result in results)
    total = len(results)
    return QuizScore(round(100 * right / total, 1) if total else 0.0, right, total, results)


def public_question(question: Question) -> dict[str, Any]:
    """The question as a trainee may see it before submitting: no answer, no explanation."""
    return {name: value for name, value in question.model_dump(mode="json").items() if name in Question.TRAINEE_FIELDS}
