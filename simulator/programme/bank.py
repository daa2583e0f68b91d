"""The programme's content in a loaded library: the question bank, curricula and the policy.

The content loader (:mod:`simulator.content`) parses and validates each file against its schema;
this module takes the valid ones, fills the library and runs the checks that need more than one
file: question ids unique across the bank, curricula that name existing practice cases and
personas in their language, quiz items the bank can actually fill.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.models import Language
from simulator.programme.models import Curriculum, ProgrammePolicy, Question, QuestionFile, QuizSpec

if TYPE_CHECKING:
    from simulator.content import Library

#: Where in a file a value sits: (line, column), found from a path of keys and list indices.
Locate = Callable[[tuple[str, ...]], tuple[int, int]]
#: One problem: file as displayed, line, column, message.
Problem = tuple[str, int, int, str]


@dataclass(frozen=True)
class BankQuestion:
    """A question of the bank with the language of the file it came from."""

    question: Question
    language: Language
    source: str

    @property
    def id(self) -> str:
        """The question id."""
        return self.question.id


@dataclass(frozen=True)
class ProgrammeEntry:
    """A programme file that passed its schema, as the content loader hands it over."""

    item: QuestionFile | Curriculum | ProgrammePolicy
    display: str
    stem: str
    at: Locate


def matching_questions(
    questions: Sequence[BankQuestion], language: str, spec: QuizSpec | None = None
) -> list[BankQuestion]:
    """The bank's questions in ``language`` that fit ``spec``'s tags (any of them) and difficulty."""
    found = []
    for entry in questions:
        if entry.language != language:
            continue
        if spec is not None:
            if spec.tags and not set(spec.tags) & set(entry.question.tags):
                continue
            if spec.difficulty is not None and entry.question.difficulty != spec.difficulty:
                continue
        found.append(entry)
    return found


def register(entries: Sequence[ProgrammeEntry], library: Library) -> list[Problem]:
    """Add the programme files to ``library`` and return the problems found across files.

    Call after the library's personas and cases are in place (curricula refer to them).
    """
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry.item, ProgrammePolicy):
            library.programme = entry.item
        elif isinstance(entry.item, QuestionFile):
            for index, question in enumerate(entry.item.questions):
                line, col = entry.at(("questions", str(index), "id"))
                if question.id in first_seen:
                    problems.append(
                        (
                            entry.display,
                            line,
                            col,
                            f"duplicate question id '{question.id}' (already used in {first_seen[question.id]}); "
                            "give each question its own id",
                        )
                    )
                    continue
                first_seen[question.id] = f"{entry.display}:{line}:{col}"
                library.questions[question.id] = BankQuestion(question, entry.item.language, entry.display)
    for entry in entries:
        if isinstance(entry.item, Curriculum):
            problems.extend(_register_curriculum(entry, entry.item, library))
    return problems


def _register_curriculum(entry: ProgrammeEntry, curriculum: Curriculum, library: Library) -> list[Problem]:
    problems: list[Problem] = []

    def problem(path: tuple[str, ...], message: str) -> None:
        line, col = entry.at(path)
        problems.append((entry.display, line, col, message))

    if curriculum.id != entry.stem:
        problem(
            ("id",),
            f"id '{curriculum.id}' does not match the file name '{entry.stem}.yaml'; "
            f"rename the file to '{curriculum.id}.yaml' or set id: {entry.stem}",
        )
    if curriculum.id in library.curricula:
        problem(("id",), f"duplicate curriculum id '{curriculum.id}'; give each curriculum its own id")
        return problems
    bank = list(library.questions.values())
    for index, item in enumerate(curriculum.items):
        where = ("items", str(index))
        if item.drill is not None:
            case_id = item.drill.case
            case = library.cases.get(case_id)
            if case is None:
                if case_id in library.exam_cases:
                    problem(
                        (*where, "drill", "case"),
                        f"case '{case_id}' is kept for exams (casebank/exam/) and cannot be assigned for practice",
                    )
                else:
                    close = difflib.get_close_matches(case_id, list(library.cases), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problem((*where, "drill", "case"), f"unknown case '{case_id}'{hint}")
                continue
            if case.language != curriculum.language:
                problem(
                    (*where, "drill", "case"),
                    f"case '{case_id}' is in {case.language}; this curriculum is in {curriculum.language}",
                )
            persona_id = item.drill.persona
            if persona_id is not None:
                persona = library.personas.get(persona_id)
                if persona is None:
                    problem((*where, "drill", "persona"), f"unknown persona '{persona_id}'")
                elif case.language not in persona.languages:
                    problem((*where, "drill", "persona"), f"persona '{persona_id}' does not speak {case.language}")
        elif item.quiz is not None:
            available = len(matching_questions(bank, curriculum.language, item.quiz))
            if available < item.quiz.questions:
                problem(
                    (*where, "quiz", "questions"),
                    f"the bank has {available} {curriculum.language} question(s) with these tags and difficulty; "
                    f"this quiz asks for {item.quiz.questions} (add questions or ask for fewer)",
                )
    library.curricula[curriculum.id] = curriculum
    return problems
