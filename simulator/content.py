"""Load personas, cases, the rubric and the programme's files from YAML, with ``path:line:col`` errors.

One loader for all content. Every problem of a run is collected (YAML syntax, unknown keys, wrong
types, missing fields, out-of-range values, duplicate ids across files, references to unknown
personas or criteria) and reported against the exact key or value in the file, so a trainer can
fix a file from the messages alone.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from simulator import limits
from simulator.content_checks import Issue, Severity, case_issues, persona_issues, punctuation_issues
from simulator.i18n import CatalogueValueError, render, t
from simulator.models import Case, Persona, Rubric
from simulator.programme.bank import BankQuestion, ProgrammeEntry, register
from simulator.programme.models import Curriculum, ProgrammePolicy, QuestionFile
from simulator.safe_yaml import YamlLimitError, check_yaml, over_limit

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
# libyaml's loader is several times faster and reports the same marks; pure Python is the fallback.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One problem in one content file, at a 1-based line and column.

    An ``error`` stops the file from loading; a ``warning`` (e.g. half-width punctuation in
    Chinese text) is printed with a ``warning:`` prefix and loads anyway.
    """

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"
    #: Catalogue key and values of the message, when it has one (``text`` renders it per language).
    key: str = field(default="", compare=False)
    values: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning."""
        return self.severity == "error"

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the English ``message`` when it has no catalogue key)."""
        if not self.key:
            return self.message
        return render(self.key, lang, _shown_values(dict(self.values), lang))

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


def errors_only(problems: Iterable[ContentProblem]) -> list[ContentProblem]:
    """The problems that are errors (warnings dropped)."""
    return [problem for problem in problems if problem.is_error]


class ContentError(Exception):
    """Raised when content does not load; carries every problem found."""

    def __init__(self, problems: Sequence[ContentProblem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


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
# YAML with positions

Position = tuple[int, int]


@dataclass
class _Positions:
    """Where each value and each mapping key sits in a YAML document (1-based)."""

    values: dict[tuple[str, ...], Position] = field(default_factory=dict)
    keys: dict[tuple[str, ...], Position] = field(default_factory=dict)
    duplicate_keys: list[tuple[str, Position]] = field(default_factory=list)

    def of_value(self, path: tuple[str, ...]) -> Position:
        """Position of the value at ``path``, or of its nearest ancestor."""
        while path and path not in self.values:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def of_key(self, path: tuple[str, ...]) -> Position:
        """Position of the key that introduces ``path`` (falls back to the value)."""
        return self.keys.get(path) or self.of_value(path)


def _mark(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _index_positions(node: yaml.Node, path: tuple[str, ...], positions: _Positions) -> None:
    positions.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                positions.duplicate_keys.append((key, _mark(key_node)))
            seen.add(key)
            positions.keys[(*path, key)] = _mark(key_node)
            _index_positions(value_node, (*path, key), positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_positions(item, (*path, str(index)), positions)


@dataclass
class _ParsedFile:
    path: Path
    display: str
    data: Any
    positions: _Positions


def _display_path(path: Path) -> str:
    """Relative to the working directory when the file is below it, else absolute."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def _parse_yaml(path: Path, problems: list[ContentProblem]) -> _ParsedFile | None:
    display = _display_path(path)
    try:
        size = path.stat().st_size
        if size > limits.CONTENT_FILE_BYTES.value:  # checked before a byte is read
            problems.append(limit_problem(display, over_limit("limit.what.file", size, limits.CONTENT_FILE_BYTES)))
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(keyed_problem("content.cannot_read", display, 1, 1, detail=exc))
        return None
    try:
        check_yaml(text)  # anchors, aliases, node count and depth, before anything is built
    except YamlLimitError as exc:
        problems.append(limit_problem(display, exc))
        return None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        problems.append(keyed_problem("content.yaml_syntax", display, line, col, reason=reason))
        return None
    except yaml.YAMLError as exc:
        problems.append(keyed_problem("content.yaml_error", display, 1, 1, detail=exc))
        return None
    positions = _Positions()
    if node is not None:
        _index_positions(node, (), positions)
    for key, (line, col) in positions.duplicate_keys:
        problems.append(keyed_problem("content.duplicate_key", display, line, col, key=key))
    return _ParsedFile(path=path, display=display, data=data, positions=positions)


# ---------------------------------------------------------------------------------------------
# Validation errors -> problems


def _allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the sub-model that ``loc`` points into (best effort, for suggestions)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                continue  # a list index or dict key: stay on the item model it leads into
            current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """Find a BaseModel inside ``list[X]``, ``dict[K, X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe_input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: pydantic error types with a message of their own in the catalogue (``validation.<type>``); the
#: context values they name come from the error's ``ctx``. Others keep pydantic's English reason.
_MAPPED_ERRORS = frozenset(
    {
        "less_than_equal",
        "greater_than_equal",
        "less_than",
        "greater_than",
        "string_too_short",
        "string_too_long",
        "too_short",
        "too_long",
        "literal_error",
        "enum",
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "string_type",
        "bool_parsing",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
    }
)


def _shown_values(values: dict[str, str], lang: str) -> dict[str, str]:
    # ``got`` holds the offending input (or nothing); it is shown as " (got 12)" in ``lang``.
    if "got" in values:
        values["got"] = t("validation.got", lang, value=values["got"]) if values["got"] else ""
    return values


def _validation_problem(parsed: _ParsedFile, line: int, col: int, key: str, values: dict[str, Any]) -> ContentProblem:
    shown = tuple((name, str(value)) for name, value in values.items())
    message = render(key, "en", _shown_values(dict(shown), "en"))
    return ContentProblem(parsed.display, line, col, message, key=key, values=shown)


def keyed_problem(key: str, display: str, line: int, col: int, /, **values: object) -> ContentProblem:
    """A problem whose message is catalogue ``key`` (English in ``message``, any language by ``text``)."""
    shown = tuple((name, str(value)) for name, value in values.items())
    return ContentProblem(display, line, col, render(key, "en", dict(shown)), key=key, values=shown)


def limit_problem(display: str, error: YamlLimitError) -> ContentProblem:
    """A YAML text over a limit as a problem at its line:col, its message in any language (``text``)."""
    return ContentProblem(display, error.line, error.col, error.reason, key=error.key, values=error.values)


def _problems_from_validation(
    parsed: _ParsedFile, model: type[BaseModel], error: ValidationError
) -> list[ContentProblem]:
    """One problem per pydantic error, at its line:col, with a catalogue message (any language)."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(str(part) for part in item["loc"])
        dotted = ".".join(loc) or "(file)"
        kind = item["type"]
        if kind == "missing":
            line, col = parsed.positions.of_key(loc[:-1])
            where = ".".join(loc[:-1])
            key = "validation.missing" if where else "validation.missing_top"
            problems.append(_validation_problem(parsed, line, col, key, {"key": loc[-1], "where": where}))
        elif kind == "extra_forbidden":
            line, col = parsed.positions.of_key(loc)
            allowed = _allowed_keys(model, item["loc"][:-1])
            close = difflib.get_close_matches(loc[-1], allowed, n=1)
            values: dict[str, Any] = {"key": loc[-1], "allowed": ", ".join(allowed)}
            if close:
                values["close"] = close[0]
            key = "validation.extra_forbidden_close" if close else "validation.extra_forbidden"
            problems.append(_validation_problem(parsed, line, col, key, values))
        else:
            line, col = parsed.positions.of_value(loc)
            shows_input = not isinstance(item["input"], dict | list)
            got = _describe_input(item["input"]) if shows_input else ""
            context = {name: _context_value(value) for name, value in (item.get("ctx") or {}).items()}
            own_rule = (item.get("ctx") or {}).get("error")
            if kind in _MAPPED_ERRORS:
                values = {"path": dotted, **context, "got": got}
                key = f"validation.{kind}"
            elif isinstance(own_rule, CatalogueValueError):
                # one of our validators: its message in the reader's language, after the path
                values = {"path": dotted, "reason_key": own_rule.key, **own_rule.values, "got": got}
                key = "validation.other"
            else:
                values = {"path": dotted, "reason": item["msg"].removeprefix("Value error, "), "got": got}
                key = "validation.other"
            problems.append(_validation_problem(parsed, line, col, key, values))
    return problems


def _context_value(value: Any) -> str:
    return value if isinstance(value, str) else repr(value) if isinstance(value, Enum) else str(value)


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
    parsed: _ParsedFile
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
            problems.append(keyed_problem("content.file_not_found", _display_path(path), 1, 1))
            continue
        parsed = _parse_yaml(path, problems)
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
            problems.extend(_problems_from_validation(parsed, model, exc))
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


def issue_problems(
    display: str, issues: Iterable[Issue], at: Callable[[tuple[str, ...]], Position]
) -> list[ContentProblem]:
    """Turn content-check issues into problems located in the file."""
    return [
        ContentProblem(display, *at(issue.path), issue.message, issue.severity, key=issue.key, values=issue.values)
        for issue in issues
    ]


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
        wanted = {_display_path(path.resolve()) for path in report_only}
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
            [ContentProblem(_display_path(roots[-1] / "casebank" / RUBRIC_FILE_NAME), 1, 1, "rubric file missing")]
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
        shown = _display_path(path)
        # the same problems under the name the trainer gave, keeping their catalogue key (language)
        renamed = [dataclasses.replace(p, path=display_name) for p in problems if p.path == shown]
        return (result.loaded[0].item if result.loaded else None), renamed
