"""The labelled grader set: transcripts scored by a strict mentor, for ``drill eval grader``.

One YAML file per *situation* (a case played by one persona), holding several agents of clearly
different quality plus traps (grader injection, privacy violation, brief-but-excellent,
polite-but-useless, gaming, verbose variants of another item). Each item carries the mentor's
1-5 score per rubric criterion (optionally with a one-line reason each), the weighted total,
the pass flag, the critical errors with their quotes and a note.

The split is the folder a file sits in (``docs/grader-data.md``): ``<set>/dev/`` may be used for
fitting, thresholds and lexicon changes; ``<set>/test/`` is held out and frozen, its hash
recorded in ``<set>/manifest.yaml`` and checked on every load. Real chat logs are a third,
separate part (``simulator.evals.real_log_set``).

Loading is strict: unknown keys, out-of-range scores, a total that does not follow from the
rubric weights, a pass flag that contradicts the pass mark or a critical error, a critical-error
quote that is not in the agent turn it cites, a ``variant_of`` that names no item of the same
situation, a case/persona unknown to the library, or a frozen split whose files changed are all
reported as ``path:line:col: message`` problems in one ``ContentError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from simulator.config import PROJECT_DIR
from simulator.content import Library
from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import problems_from_validation
from simulator.content_yaml import ParsedFile, display_path, parse_yaml
from simulator.evals.grader_manifest import frozen_split_problem, load_manifest
from simulator.models import CriticalErrorKind, Language, NonEmpty, Rubric, Slug, StrictModel, Transcript, Turn

DEFAULT_SET_DIR = PROJECT_DIR / "evals" / "grader"
MANIFEST_NAME = "manifest.yaml"

Split = Literal["dev", "test"]
SplitChoice = Literal["dev", "test", "all"]
#: Each split is the sub-folder of the same name.
SPLITS: tuple[Split, ...] = ("dev", "test")
Quality = Literal["excellent", "good", "mediocre", "poor"]
Trap = Literal[
    "grader_injection",
    "privacy_violation",
    "brief_excellent",
    "polite_no_solution",
    "verbose_variant",
    "keyword_salad",
    "grader_note",
    "one_word_offer",
    "policy_breach",
    "invented_reference",
    "borderline",
    "mid_conversation",
    "customer_left",
]

# Criterion ids of the shipped rubric (DESIGN.md contract); the labels name each explicitly so a
# typo is an unknown key, and ``check_against_rubric`` catches a rubric that has moved on.
CRITERION_IDS: tuple[str, ...] = (
    "standard_phrasing",
    "listening_empathy",
    "problem_solving",
    "adaptability",
    "clarity",
    "compliance",
)
# Labels are written by hand with whole points; anything further off than rounding is a mistake.
TOTAL_TOLERANCE = 0.5


class CriterionReasons(StrictModel):
    """One line per criterion saying why it got its score (optional on older labels)."""

    standard_phrasing: NonEmpty
    listening_empathy: NonEmpty
    problem_solving: NonEmpty
    adaptability: NonEmpty
    clarity: NonEmpty
    compliance: NonEmpty


class CriticalError(StrictModel):
    """A red line the agent crossed: it fails the session whatever the total."""

    kind: CriticalErrorKind = Field(description="Which red line (docs/grader-data.md lists them).")
    turn: int = Field(ge=0, description="Index in turns (0-based) of the agent turn that crosses it.")
    quote: NonEmpty = Field(description="Verbatim text from that turn.")


class Labels(StrictModel):
    """A mentor's scores for one transcript."""

    standard_phrasing: int = Field(ge=1, le=5, description="话术规范 / standard phrasing, 1-5.")
    listening_empathy: int = Field(ge=1, le=5, description="倾听与同理心 / listening & empathy, 1-5.")
    problem_solving: int = Field(ge=1, le=5, description="问题解决 / problem solving, 1-5.")
    adaptability: int = Field(ge=1, le=5, description="应变能力 / adapting to the customer type, 1-5.")
    clarity: int = Field(ge=1, le=5, description="表达清晰 / clarity, 1-5.")
    compliance: int = Field(ge=1, le=5, description="合规与禁忌 / compliance, 1-5.")
    total: float = Field(ge=0, le=100, description="Σ weight·score/5 on 0-100 (checked against the rubric).")
    passed: bool = Field(description="total >= the rubric's pass mark and no critical error (checked).")
    note: NonEmpty = Field(description="Why these scores, as the mentor would tell the agent.")
    reasons: CriterionReasons | None = Field(default=None, description="One line per criterion.")
    critical_errors: list[CriticalError] = Field(
        default_factory=list, description="Red lines crossed, each with its turn and quote."
    )

    def scores(self) -> dict[str, int]:
        """Criterion id -> labelled score, in rubric order."""
        return {criterion_id: getattr(self, criterion_id) for criterion_id in CRITERION_IDS}


class LabelledItem(StrictModel):
    """One labelled transcript of a situation."""

    id: Slug = Field(description="Unique item id across the whole set.")
    quality: Quality = Field(description="The author's intended quality of the agent.")
    traps: list[Trap] = Field(default_factory=list, description="Trap kinds this item contains.")
    variant_of: Slug | None = Field(
        default=None, description="Id of the item in the same situation this one rewrites (verbosity only)."
    )
    labels: Labels = Field(description="The mentor's scores.")
    turns: list[Turn] = Field(min_length=2, description="The conversation, customer and agent turns in order.")

    @model_validator(mode="after")
    def _has_agent_turn(self) -> LabelledItem:
        if not any(turn.role == "agent" for turn in self.turns):
            raise ValueError("turns has no agent turn; there is nothing to grade")
        if self.variant_of == self.id:
            raise ValueError("variant_of names the item itself")
        return self


class SituationFile(StrictModel):
    """One file of the set: a case played by one persona, with several labelled agents."""

    situation: Slug = Field(description="Situation id; also the file name without .yaml.")
    case_id: Slug = Field(description="Case from casebank/ the conversations follow.")
    persona_id: Slug = Field(description="Persona that plays the customer.")
    archetype: Slug = Field(description="Customer type (copied into every transcript).")
    language: Language = Field(description="Language of every transcript in the file.")
    items: list[LabelledItem] = Field(min_length=1, description="Labelled transcripts.")


@dataclass(frozen=True)
class LabelledTranscript:
    """One item with its situation and the file it came from."""

    situation: SituationFile
    item: LabelledItem
    path: Path
    split: Split

    @property
    def id(self) -> str:
        """The item id."""
        return self.item.id

    @property
    def language(self) -> Language:
        """The situation's language."""
        return self.situation.language

    def transcript(self) -> Transcript:
        """The item as a ``Transcript`` carrying the situation's language, case, persona and archetype."""
        return to_transcript(self.situation, self.item)


@dataclass(frozen=True)
class GraderSet:
    """The loaded labelled set: situations per split in file-name order, and the test split's hash."""

    directory: Path
    situations: tuple[tuple[Path, SituationFile, Split], ...]
    test_sha256: str

    def items(self, split: SplitChoice = "all") -> list[LabelledTranscript]:
        """Every labelled transcript of ``split`` (``all``: both), dev before test, file then item order."""
        return [
            LabelledTranscript(situation, item, path, part)
            for path, situation, part in self.situations
            if split == "all" or part == split
            for item in situation.items
        ]

    def __iter__(self) -> Iterator[LabelledTranscript]:
        return iter(self.items("all"))


def to_transcript(situation: SituationFile, item: LabelledItem) -> Transcript:
    """Build the ``Transcript`` the grader sees: the turns plus the situation's metadata.

    The mentor's labels, quality and traps are not part of it.
    """
    return Transcript(
        id=item.id,
        language=situation.language,
        turns=[turn.model_copy() for turn in item.turns],
        case_id=situation.case_id,
        persona_id=situation.persona_id,
        archetype=situation.archetype,
    )


def expected_total(labels: Labels, rubric: Rubric) -> float:
    """Σ weight·score/5 of the labelled scores under ``rubric`` (criteria missing from labels raise KeyError)."""
    scores = labels.scores()
    return round(sum(criterion.weight * scores[criterion.id] / 5 for criterion in rubric.criteria), 2)


def set_files(directory: Path) -> list[Path]:
    """The YAML files of one split folder, sorted by name (none when the folder is absent)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def split_sha256(directory: Path) -> str:
    """SHA-256 over the split folder's YAML files: each file's name and bytes, in name order.

    This is the hash a frozen split is recorded under in ``manifest.yaml`` and that every eval
    report prints; any edit, addition, removal or rename of a file changes it.
    """
    digest = hashlib.sha256()
    for path in set_files(directory):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_grader_set(directory: Path = DEFAULT_SET_DIR, *, rubric: Rubric, library: Library | None = None) -> GraderSet:
    """Load and check every situation file in ``directory/dev`` and ``directory/test``.

    Totals and pass flags are checked against ``rubric``; with ``library``, case and persona ids
    are checked too; with a ``manifest.yaml`` the test split must still hash to the recorded value.
    Raises ``ContentError`` listing every problem as ``path:line:col: message``.
    """
    if not directory.is_dir():
        raise ContentError([ContentProblem(display_path(directory), 1, 1, "labelled set directory not found")])
    files = [(path, split) for split in SPLITS for path in set_files(directory / split)]
    if not files:
        stray = set_files(directory)
        hint = (
            f"; {len(stray)} .yaml file(s) sit directly in it: move them into dev/ or test/"
            if any(path.name != MANIFEST_NAME for path in stray)
            else ""
        )
        raise ContentError(
            [
                ContentProblem(
                    display_path(directory), 1, 1, f"no .yaml files in dev/ or test/: the labelled set is empty{hint}"
                )
            ]
        )
    problems: list[ContentProblem] = check_rubric_criteria(rubric, display_path(directory))
    rubric_fits = not problems
    loaded: list[tuple[ParsedFile, SituationFile, Split]] = []
    for path, split in files:
        parsed = parse_yaml(path, problems)
        if parsed is None:
            continue
        if not isinstance(parsed.data, dict):
            problems.append(
                ContentProblem(parsed.display, 1, 1, "expected a mapping with situation fields and 'items'")
            )
            continue
        try:
            situation = SituationFile.model_validate(parsed.data)
        except ValidationError as exc:
            problems.extend(problems_from_validation(parsed, SituationFile, exc))
            continue
        loaded.append((parsed, situation, split))
    for parsed, situation, _ in loaded:
        problems.extend(_check_situation(parsed, situation, rubric if rubric_fits else None, library))
    problems.extend(_duplicate_item_ids((parsed, situation) for parsed, situation, _ in loaded))
    test_sha256 = split_sha256(directory / "test")
    problems.extend(check_frozen_test_split(directory, test_sha256))
    if problems:
        raise ContentError(problems)
    return GraderSet(
        directory=directory,
        situations=tuple((parsed.path, situation, split) for parsed, situation, split in loaded),
        test_sha256=test_sha256,
    )


def check_frozen_test_split(directory: Path, test_sha256: str) -> list[ContentProblem]:
    """A problem when ``manifest.yaml`` records a test-split hash the files no longer have.

    Without a manifest (a scratch set) nothing is frozen and nothing is checked.
    """
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        return []
    problems: list[ContentProblem] = []
    loaded = load_manifest(manifest_path, problems)
    if loaded is None:
        return problems
    manifest, parsed = loaded
    problem = frozen_split_problem(parsed, "test", manifest.test.sha256, test_sha256, "test/")
    if problem is not None:
        problems.append(problem)
    return problems


def check_rubric_criteria(rubric: Rubric, where: str) -> list[ContentProblem]:
    """A problem when the rubric's criteria are not the ones the labels score."""
    rubric_ids = [criterion.id for criterion in rubric.criteria]
    if sorted(rubric_ids) == sorted(CRITERION_IDS):
        return []
    return [
        ContentProblem(
            where,
            1,
            1,
            f"the labels score {', '.join(CRITERION_IDS)} but the rubric (version {rubric.version}) has "
            f"{', '.join(rubric_ids)}; relabel the set or restore the rubric's criteria",
        )
    ]


def _check_situation(
    parsed: ParsedFile, situation: SituationFile, rubric: Rubric | None, library: Library | None
) -> list[ContentProblem]:
    """Cross-field checks of one valid file; totals only when ``rubric`` scores the labels' criteria."""
    problems: list[ContentProblem] = []

    def at(path: tuple[str, ...], message: str) -> None:
        line, col = parsed.positions.of_value(path)
        problems.append(ContentProblem(parsed.display, line, col, message))

    if situation.situation != parsed.path.stem:
        at(("situation",), f"situation '{situation.situation}' does not match the file name '{parsed.path.name}'")
    if library is not None:
        case = library.cases.get(situation.case_id)
        if case is None:
            at(("case_id",), f"unknown case '{situation.case_id}'")
        elif case.language != situation.language:
            at(("case_id",), f"case '{situation.case_id}' is {case.language} but the situation is {situation.language}")
        if situation.persona_id not in library.personas:
            at(("persona_id",), f"unknown persona '{situation.persona_id}'")
    ids = [item.id for item in situation.items]
    for index, item in enumerate(situation.items):
        base = ("items", str(index))
        if rubric is not None:
            problems.extend(check_total(parsed, base, item.id, item.labels, rubric))
        if item.variant_of is not None and item.variant_of not in ids:
            at(
                (*base, "variant_of"),
                f"item '{item.id}': variant_of '{item.variant_of}' is not an item of this situation "
                f"(items: {', '.join(ids)})",
            )
        if item.variant_of is not None and "verbose_variant" not in item.traps:
            at((*base, "traps"), f"item '{item.id}' has variant_of but no 'verbose_variant' trap")
        for error_index, message in critical_error_problems(item.labels, item.turns):
            at((*base, "labels", "critical_errors", str(error_index), "quote"), f"item '{item.id}': {message}")
    return problems


def check_total(
    parsed: ParsedFile, base: tuple[str, ...], item_id: str, labels: Labels, rubric: Rubric
) -> list[ContentProblem]:
    """The labelled total follows from the scores and the weights; the pass flag from the pass mark
    and the critical errors. ``base`` is the YAML path of the item holding ``labels``."""
    problems: list[ContentProblem] = []

    def at(path: tuple[str, ...], message: str) -> None:
        line, col = parsed.positions.of_value(path)
        problems.append(ContentProblem(parsed.display, line, col, message))

    total = expected_total(labels, rubric)
    if abs(total - labels.total) > TOTAL_TOLERANCE:
        at(
            (*base, "labels", "total"),
            f"item '{item_id}': total {labels.total:g} does not match the scores: with the rubric weights "
            f"they give {total:g}",
        )
    if labels.critical_errors and labels.passed:
        at(
            (*base, "labels", "passed"),
            f"item '{item_id}': passed is true but the labels list {len(labels.critical_errors)} critical "
            "error(s); a critical error fails the session whatever the total",
        )
    elif not labels.critical_errors and labels.passed != (labels.total >= rubric.pass_mark):
        relation = "at or above" if labels.total >= rubric.pass_mark else "below"
        at(
            (*base, "labels", "passed"),
            f"item '{item_id}': passed is {str(labels.passed).lower()} but total {labels.total:g} is "
            f"{relation} the pass mark {rubric.pass_mark:g}",
        )
    return problems


def critical_error_problems(labels: Labels, turns: list[Turn]) -> list[tuple[int, str]]:
    """(index, message) for each critical error whose turn is not an agent turn or lacks its quote."""
    found: list[tuple[int, str]] = []
    for index, error in enumerate(labels.critical_errors):
        if error.turn >= len(turns):
            found.append((index, f"critical error {index}: turn {error.turn} does not exist ({len(turns)} turns)"))
        elif turns[error.turn].role != "agent":
            found.append((index, f"critical error {index}: turn {error.turn} is a customer turn, not the agent's"))
        elif error.quote not in turns[error.turn].text:
            found.append((index, f"critical error {index}: quote {error.quote!r} is not in turn {error.turn}"))
    return found


def _duplicate_item_ids(loaded: Iterable[tuple[ParsedFile, SituationFile]]) -> list[ContentProblem]:
    problems: list[ContentProblem] = []
    first: dict[str, str] = {}
    for parsed, situation in loaded:
        for index, item in enumerate(situation.items):
            line, col = parsed.positions.of_value(("items", str(index), "id"))
            where = f"{parsed.display}:{line}:{col}"
            if item.id in first:
                message = f"item id '{item.id}' is already used at {first[item.id]}"
                problems.append(ContentProblem(parsed.display, line, col, message))
            else:
                first[item.id] = where
    return problems
