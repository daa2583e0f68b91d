"""Load personas, cases, the rubric and the programme's files from YAML, with ``path:line:col`` errors.

One loader for all content. Every problem of a run is collected (YAML syntax, unknown keys, wrong
types, missing fields, out-of-range values, duplicate ids across files, references to unknown
personas or criteria) and reported against the exact key or value in the file, so a trainer can
fix a file from the messages alone.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from simulator.content_checks import Issue, case_issues, persona_issues, punctuation_issues
from simulator.content_problems import (
    ContentError,
    ContentProblem,
    errors_only,
    issue_problems,
    keyed_problem,
)
from simulator.content_validation import problems_from_validation
from simulator.content_yaml import ParsedFile, display_path, parse_yaml
from simulator.models import Case, Persona, Rubric
from simulator.programme.bank import BankQuestion, ProgrammeEntry, register
from simulator.programme.models import Curriculum, ProgrammePolicy, QuestionFile

Kind = Literal["persona", "case", "rubric", "question", "curriculum", "programme"]
MODEL_FOR_KIND: dict[str, type[BaseModel]] = {
    "persona": Persona,
    "case": Case,
    "rubric": Rubric,
    "question": QuestionFile,
    "curriculum": Curriculum,
    "programme": ProgrammePolicy,
}
RUBRIC_FILE_NAME = "rubric.yaml"
PROGRAMME_FILE_NAME = "programme.yaml"
#: Sub-folders of ``casebank/``: exam-only cases, question sets, curricula.
EXAM_FOLDER, QUIZ_FOLDER, CURRICULUM_FOLDER = "exam", "quizzes", "curricula"
_FOLDER_KINDS: dict[str, Kind] = {EXAM_FOLDER: "case", QUIZ_FOLDER: "question", CURRICULUM_FOLDER: "curriculum"}


@dataclass
class Library:
    """All loaded content: personas and cases by id, the rubric, and where each came from.

    ``cases`` holds the practice cases only. Cases in ``casebank/exam/`` are kept apart in
    ``exam_cases``: nothing that lists, draws, indexes or cites practice cases can reach them;
    the assessment code asks for them by name.
    """

    personas: dict[str, Persona] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    rubric: Rubric | None = None
    sources: dict[str, Path] = field(default_factory=dict)
    exam_cases: dict[str, Case] = field(default_factory=dict)
    questions: dict[str, BankQuestion] = field(default_factory=dict)
    curricula: dict[str, Curriculum] = field(default_factory=dict)
    programme: ProgrammePolicy = field(default_factory=ProgrammePolicy)

    def persona(self, persona_id: str) -> Persona:
        """Return a persona, or raise ``LookupError`` listing the valid ids."""
        if persona_id not in self.personas:
            raise LookupError(
                f"unknown persona '{persona_id}'; valid ids: {', '.join(sorted(self.personas)) or '(none)'}"
            )
        return self.personas[persona_id]

    def case(self, case_id: str) -> Case:
        """Return a case, or raise ``LookupError`` listing the valid ids."""
        if case_id not in self.cases:
            raise LookupError(f"unknown case '{case_id}'; valid ids: {', '.join(sorted(self.cases)) or '(none)'}")
        return self.cases[case_id]

    def case_titles(self) -> dict[str, str]:
        """Practice case id -> title (how reports name their reference cases)."""
        return {case_id: case.title for case_id, case in self.cases.items()}

    def exam_case(self, case_id: str) -> Case:
        """Return an exam-only case, or raise ``LookupError``."""
        if case_id not in self.exam_cases:
            raise LookupError(f"unknown exam case '{case_id}' (exam cases live in casebank/{EXAM_FOLDER}/)")
        return self.exam_cases[case_id]

    def with_exam_cases(self) -> Library:
        """A copy whose ``cases`` also holds the exam cases: for playing and grading an exam card."""
        return dataclasses.replace(self, cases={**self.cases, **self.exam_cases})

    def require_rubric(self) -> Rubric:
        """Return the rubric, or raise ``LookupError`` when none was loaded."""
        if self.rubric is None:
            raise LookupError(f"no rubric loaded; add casebank/{RUBRIC_FILE_NAME}")
        return self.rubric


# ---------------------------------------------------------------------------------------------
# Discovery and loading


def kind_of(path: Path, data: Any) -> Kind:
    """Decide what a file holds: by its name or folder, else by its top-level keys."""
    if path.name == RUBRIC_FILE_NAME:
        return "rubric"
    if path.name == PROGRAMME_FILE_NAME:
        return "programme"
    if path.parent.name == "personas":
        return "persona"
    if path.parent.name == "casebank":
        return "case"
    if path.parent.name in _FOLDER_KINDS and path.parent.parent.name == "casebank":
        return _FOLDER_KINDS[path.parent.name]
    if isinstance(data, dict) and "archetype" in data:
        return "persona"
    if isinstance(data, dict) and "criteria" in data:
        return "rubric"
    if isinstance(data, dict) and "questions" in data:
        return "question"
    if isinstance(data, dict) and "level" in data and "items" in data:
        return "curriculum"
    return "case"


def is_exam_file(path: Path) -> bool:
    """True for a case file in ``casebank/exam/`` (kept for assessments, never offered for practice)."""
    return path.parent.name == EXAM_FOLDER and path.parent.parent.name == "casebank"


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def content_files(*roots: Path) -> list[Path]:
    """All content YAML files of one or more content roots: ``personas/``, ``casebank/`` and the
    ``casebank/`` sub-folders ``exam/``, ``quizzes/`` and ``curricula/``.

    With several roots (the shipped content first, then the writable content directory), a file in
    a later root replaces the file at the same path in an earlier one: personas and cases are named
    by their id, so a trainer's save of persona ``x`` replaces the shipped ``personas/x.yaml``.
    """
    by_place: dict[str, Path] = {}
    for root in roots:
        casebank = root / "casebank"
        files = _yaml_files(root / "personas") + _yaml_files(casebank)
        for sub in _FOLDER_KINDS:
            files.extend(_yaml_files(casebank / sub))
        for path in files:
            by_place[path.relative_to(root).as_posix()] = path
    return list(by_place.values())


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Turn files and folders (content roots, personas/ or casebank/) into YAML file paths."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inner = content_files(path)
            files.extend(inner or sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


@dataclass
class _Loaded:
    parsed: ParsedFile
    kind: Kind
    item: BaseModel

    @property
    def exam(self) -> bool:
        return self.kind == "case" and is_exam_file(self.parsed.path)


@dataclass
class _LoadResult:
    loaded: list[_Loaded] = field(default_factory=list)
    # ids of files that exist but failed validation: references to them are not reported again
    failed_ids: set[tuple[str, str]] = field(default_factory=set)


def _load_files(files: Sequence[Path], problems: list[ContentProblem]) -> _LoadResult:
    result = _LoadResult()
    loaded = result.loaded
    for path in files:
        if not path.exists():
            problems.append(keyed_problem("content.file_not_found", display_path(path), 1, 1))
            continue
        parsed = parse_yaml(path, problems)
        if parsed is None:
            result.failed_ids.add((kind_of(path, None), path.stem))
            continue
        kind = kind_of(path, parsed.data)
        model = MODEL_FOR_KIND[kind]
        if not isinstance(parsed.data, dict):
            problems.append(keyed_problem("content.not_a_mapping", parsed.display, 1, 1, kind=kind))
            continue
        try:
            item = model.model_validate(parsed.data)
        except ValidationError as exc:
            problems.extend(problems_from_validation(parsed, model, exc))
            result.failed_ids.add((kind, str(parsed.data.get("id", parsed.path.stem))))
            continue
        loaded.append(_Loaded(parsed, kind, item))
    return result


def _cross_check(result: _LoadResult, problems: list[ContentProblem]) -> Library:
    loaded = result.loaded
    library = Library()
    first_seen: dict[tuple[str, str], _Loaded] = {}
    programme: list[ProgrammeEntry] = []
    for entry in loaded:
        if isinstance(entry.item, QuestionFile | Curriculum | ProgrammePolicy):
            programme.append(
                ProgrammeEntry(
                    entry.item, entry.parsed.display, entry.parsed.path.stem, entry.parsed.positions.of_value
                )
            )
            continue
        if entry.kind == "rubric":
            if library.rubric is not None:
                line, col = entry.parsed.positions.of_value(())
                problems.append(keyed_problem("content.second_rubric", entry.parsed.display, line, col))
                continue
            assert isinstance(entry.item, Rubric)
            library.rubric = entry.item
            library.sources["rubric"] = entry.parsed.path
            continue
        assert isinstance(entry.item, Persona | Case)
        item_id = entry.item.id
        line, col = entry.parsed.positions.of_value(("id",))
        stem = entry.parsed.path.stem
        if item_id != stem:
            problems.append(
                keyed_problem(
                    "content.id_mismatch",
                    entry.parsed.display,
                    line,
                    col,
                    id=item_id,
                    file=entry.parsed.path.name,
                    stem=stem,
                )
            )
        earlier = first_seen.get((entry.kind, item_id))
        if earlier is not None:
            e_line, e_col = earlier.parsed.positions.of_value(("id",))
            where = f"{earlier.parsed.display}:{e_line}:{e_col}"
            problems.append(
                keyed_problem(
                    "content.duplicate_id", entry.parsed.display, line, col, kind=entry.kind, id=item_id, where=where
                )
            )
            continue
        first_seen[(entry.kind, item_id)] = entry
        if isinstance(entry.item, Persona):
            library.personas[item_id] = entry.item
        elif isinstance(entry.item, Case):
            (library.exam_cases if entry.exam else library.cases)[item_id] = entry.item
        library.sources[f"{entry.kind}:{item_id}"] = entry.parsed.path

    _coherence(loaded, library, problems)
    criterion_ids = {criterion.id for criterion in library.rubric.criteria} if library.rubric else set()
    for entry in loaded:
        if not isinstance(entry.item, Case):
            continue
        if (library.exam_cases if entry.exam else library.cases).get(entry.item.id) is not entry.item:
            continue
        case = entry.item
        for index, persona_id in enumerate(case.personas):
            persona = library.personas.get(persona_id)
            line, col = entry.parsed.positions.of_value(("personas", str(index)))
            if persona is None and ("persona", persona_id) in result.failed_ids:
                continue  # the persona file itself is broken and already reported
            if persona is None:
                close = difflib.get_close_matches(persona_id, list(library.personas), n=1)
                known = ", ".join(sorted(library.personas)) or "—"
                if close:
                    problem = keyed_problem(
                        "content.unknown_persona_close", entry.parsed.display, line, col,
                        id=persona_id, close=close[0], known=known,
                    )  # fmt: skip
                else:
                    problem = keyed_problem(
                        "content.unknown_persona", entry.parsed.display, line, col, id=persona_id, known=known
                    )
                problems.append(problem)
            elif case.language not in persona.languages:
                problems.append(
                    keyed_problem(
                        "content.persona_language",
                        entry.parsed.display,
                        line,
                        col,
                        id=persona_id,
                        language=case.language,
                        languages=", ".join(persona.languages),
                    )  # fmt: skip
                )
        if library.rubric is not None:
            for index, criterion_id in enumerate(case.focus_criteria):
                if criterion_id not in criterion_ids:
                    line, col = entry.parsed.positions.of_value(("focus_criteria", str(index)))
                    problems.append(
                        keyed_problem(
                            "content.unknown_criterion",
                            entry.parsed.display,
                            line,
                            col,
                            id=criterion_id,
                            known=", ".join(sorted(criterion_ids)),
                        )  # fmt: skip
                    )
    problems.extend(ContentProblem(*problem) for problem in register(programme, library))
    return library


def _coherence(loaded: Sequence[_Loaded], library: Library, problems: list[ContentProblem]) -> None:
    """Pairing, opening and punctuation checks of every loaded item (see ``content_checks``)."""
    for entry in loaded:
        item, positions = entry.item, entry.parsed.positions
        issues: list[Issue] = punctuation_issues(entry.parsed.data)
        if isinstance(item, Persona) and library.personas.get(item.id) is item:
            issues += persona_issues(item, library.rubric)
        elif isinstance(item, Case) and item in (library.cases.get(item.id), library.exam_cases.get(item.id)):
            issues += case_issues(item, library.personas, library.rubric)
        problems.extend(issue_problems(entry.parsed.display, issues, positions.of_value))


def validate_files(
    files: Sequence[Path], report_only: Iterable[Path] | None = None
) -> tuple[Library, list[ContentProblem]]:
    """Load ``files`` together; return the library and all problems.

    With ``report_only``, problems are kept only for those files (the others serve as context,
    e.g. the shipped personas a new case refers to).
    """
    problems: list[ContentProblem] = []
    unique = list(dict.fromkeys(path.resolve() for path in files))
    result = _load_files(unique, problems)
    library = _cross_check(result, problems)
    if report_only is not None:
        wanted = {display_path(path.resolve()) for path in report_only}
        problems = [problem for problem in problems if problem.path in wanted]
    return library, sorted(set(problems))


def load_library(*roots: Path) -> Library:
    """Load all content under the content roots (later roots override earlier ones, see
    ``content_files``); raise ``ContentError`` listing every problem."""
    library, problems = validate_files(content_files(*roots))
    if errors_only(problems):
        raise ContentError(errors_only(problems))
    if library.rubric is None:
        raise ContentError(
            [ContentProblem(display_path(roots[-1] / "casebank" / RUBRIC_FILE_NAME), 1, 1, "rubric file missing")]
        )
    return library


def parse_item(text: str, kind: Kind, display_name: str = "<upload>") -> tuple[BaseModel | None, list[ContentProblem]]:
    """Validate one persona/case/rubric given as YAML text (used by the trainer view before saving)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / ("personas" if kind == "persona" else "casebank")
        folder.mkdir()
        name = RUBRIC_FILE_NAME if kind == "rubric" else Path(display_name).name
        path = folder / (name if name.endswith((".yaml", ".yml")) else name + ".yaml")
        path.write_text(text, encoding="utf-8")
        problems: list[ContentProblem] = []
        result = _load_files([path], problems)
        shown = display_path(path)
        # the same problems under the name the trainer gave, keeping their catalogue key (language)
        renamed = [dataclasses.replace(p, path=display_name) for p in problems if p.path == shown]
        return (result.loaded[0].item if result.loaded else None), renamed
