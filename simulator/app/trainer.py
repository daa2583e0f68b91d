"""Trainer handlers: browse the persona and case libraries, validate, preview and save YAML.

Validation runs before anything touches ``personas/`` or ``casebank/``: the schema checks of
``content.parse_item`` (with ``line:col`` positions) plus the library-wide checks a single file
cannot do alone — the id must match the file name, must not be taken by another file, and a case
may only name personas and rubric criteria that exist. A saved file is picked up by the trainee
view at once (the content cache follows file changes) and a saved case is synced into the index.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from simulator.accounts import User
from simulator.app.i18n import AppError
from simulator.app.services import AppServices
from simulator.content import Library, parse_item
from simulator.content_checks import case_issues, persona_issues, punctuation_issues
from simulator.content_problems import ContentProblem, errors_only, issue_problems, keyed_problem, limit_problem
from simulator.conversation import Conversation
from simulator.customer import make_customer
from simulator.errors import ConversationEnded, ConversationFull, DrillError
from simulator.limits import DRILL_TURNS
from simulator.models import Case, Language, Persona
from simulator.safe_yaml import YamlLimitError, check_yaml

Kind = Literal["persona", "case"]
FOLDERS: dict[str, str] = {"persona": "personas", "case": "casebank"}
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}\.ya?ml$")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Validation:
    """Result of checking one YAML text: the item when valid, else the problems."""

    kind: Kind
    file_name: str
    item: Persona | Case | None
    problems: list[ContentProblem] = field(default_factory=list)
    replaces: Path | None = None

    @property
    def ok(self) -> bool:
        """True when the text can be saved (warnings do not stop a save)."""
        return self.item is not None and not errors_only(self.problems)


@dataclass(frozen=True)
class SaveResult:
    """Where a file was saved and what followed."""

    path: Path
    item_id: str
    replaced: bool
    index_summary: str | None
    warnings: list[str]


# ---------------------------------------------------------------------------------------------
# Library views


def persona_rows(library: Library, lang: Language) -> list[list[Any]]:
    """One row per persona: id, label, archetype, difficulty, languages, starting mood, patience."""
    from simulator.app.i18n import label

    return [
        [
            p.id,
            p.label.get(lang),
            label("archetype", p.archetype, lang),
            label("difficulty", p.difficulty, lang),
            ", ".join(label("language", language, lang) for language in p.languages),
            p.temperament.starting_mood,
            p.temperament.patience,
        ]
        for p in sorted(library.personas.values(), key=lambda p: p.id)
    ]


def case_rows(library: Library, lang: Language) -> list[list[Any]]:
    """One row per case: id, title, category, industry, language, difficulty, channel, start, suited personas."""
    from simulator.app.i18n import label

    return [
        [
            c.id,
            c.title,
            label("category", c.category.value, lang),
            label("industry", c.industry.value, lang),
            label("language", c.language, lang),
            label("difficulty", c.difficulty, lang),
            label("channel", c.channel, lang),
            label("start", c.start, lang),
            ", ".join(c.personas) or "—",
        ]
        for c in sorted(library.cases.values(), key=lambda c: c.id)
    ]


def source_text(services: AppServices, kind: Kind, item_id: str) -> tuple[str, str]:
    """(file name, YAML text) of a library item, to start a new one from or edit it."""
    library = services.library()
    path = library.sources.get(f"{kind}:{item_id}")
    if path is None:
        raise AppError("unknown_item", kind=kind, id=item_id)
    return path.name, path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Validation


def _positions(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Line/column (1-based) of every value in a YAML text; empty when it does not parse."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    found: dict[tuple[str, ...], tuple[int, int]] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        found[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, (*path, str(index)))

    if root is not None:
        walk(root, ())
    return found


def _file_name_for(text: str, file_name: str | None) -> str:
    name = (file_name or "").strip()
    if name:
        return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        data = None
    item_id = data.get("id") if isinstance(data, dict) else None
    return f"{item_id}.yaml" if isinstance(item_id, str) and item_id else "new.yaml"


def validate_yaml(services: AppServices, kind: Kind, text: str, file_name: str | None = None) -> Validation:
    """Check a persona or case YAML text against the schema and the current library.

    ``file_name`` defaults to ``<id>.yaml``. Problems carry 1-based line and column numbers in
    the text. Nothing is written.
    """
    if kind not in FOLDERS:
        raise AppError("bad_kind", kind=kind)
    try:
        check_yaml(text or "")  # size, anchors/aliases, nodes and depth: before any parsing
    except YamlLimitError as exc:
        name = (file_name or "").strip()[:80] or "new.yaml"
        return Validation(kind, name, None, [limit_problem(f"{FOLDERS[kind]}/{name}", exc)])
    name = _file_name_for(text or "", file_name)
    display = f"{FOLDERS[kind]}/{name}"
    if not (text or "").strip():
        return Validation(kind, name, None, [keyed_problem("content.empty_file", display, 1, 1)])
    if not FILE_NAME.match(name):
        problem = keyed_problem("content.bad_file_name", display, 1, 1, name=name)
        return Validation(kind, name, None, [problem])
    item, problems = parse_item(text, kind, display)
    problems = list(problems)
    library = services.library()
    # The same place in any content root: a save there replaces (overrides) that file.
    same_place = [root / FOLDERS[kind] / name for root in services.settings.content_roots]
    replaces = next((path for path in reversed(same_place) if path.exists()), None)
    if isinstance(item, Persona | Case):
        positions = _positions(text)
        id_at = positions.get(("id",), (1, 1))
        if item.id != Path(name).stem:
            problems.append(
                keyed_problem("content.id_mismatch", display, *id_at, id=item.id, file=name, stem=Path(name).stem)
            )
        existing = library.sources.get(f"{kind}:{item.id}")
        if existing is not None and existing.resolve() not in {path.resolve() for path in same_place}:
            problems.append(
                keyed_problem("content.id_taken", display, *id_at, kind=kind, id=item.id, file=existing.name)
            )
        if isinstance(item, Case):
            problems.extend(_case_references(item, library, positions, display))
        problems.extend(_coherence(item, library, positions, display))
    problems.sort()
    return Validation(kind, name, item if isinstance(item, Persona | Case) else None, problems, replaces)


def _coherence(
    item: Persona | Case, library: Library, positions: dict[tuple[str, ...], tuple[int, int]], display: str
) -> list[ContentProblem]:
    """The same pairing, opening and punctuation checks as ``drill validate`` (``content_checks``)."""

    def at(path: tuple[str, ...]) -> tuple[int, int]:
        while path and path not in positions:
            path = path[:-1]
        return positions.get(path, (1, 1))

    issues = punctuation_issues(item.model_dump(mode="json"))
    if isinstance(item, Persona):
        issues += persona_issues(item, library.rubric)
    else:
        issues += case_issues(item, library.personas, library.rubric)
    return issue_problems(display, issues, at)


def _case_references(
    case: Case, library: Library, positions: dict[tuple[str, ...], tuple[int, int]], display: str
) -> list[ContentProblem]:
    problems = []
    for index, persona_id in enumerate(case.personas):
        at = positions.get(("personas", str(index)), (1, 1))
        persona = library.personas.get(persona_id)
        if persona is None:
            known = ", ".join(sorted(library.personas)) or "—"
            problems.append(keyed_problem("content.unknown_persona", display, *at, id=persona_id, known=known))
        elif case.language not in persona.languages:
            problems.append(
                keyed_problem(
                    "content.persona_language",
                    display,
                    *at,
                    id=persona_id,
                    language=case.language,
                    languages=", ".join(persona.languages),
                )  # fmt: skip
            )
    if library.rubric is not None:
        criteria = {criterion.id for criterion in library.rubric.criteria}
        for index, criterion_id in enumerate(case.focus_criteria):
            if criterion_id not in criteria:
                at = positions.get(("focus_criteria", str(index)), (1, 1))
                known = ", ".join(sorted(criteria))
                problems.append(keyed_problem("content.unknown_criterion", display, *at, id=criterion_id, known=known))
    return problems


# ---------------------------------------------------------------------------------------------
# Saving


def save_yaml(
    services: AppServices, user: User, kind: Kind, text: str, file_name: str | None = None, *, replace: bool = False
) -> SaveResult:
    """Validate and write the file into ``personas/`` or ``casebank/`` (trainers only).

    Refuses with ``AppError`` when there are problems, or when the file exists and ``replace``
    is false. The write is atomic (a temporary file renamed into place). After a case is saved
    the case index is synced; when that fails the file stays saved and a warning is returned.
    """
    services.require(user, "trainer")
    checked = validate_yaml(services, kind, text, file_name)
    if not checked.ok:
        raise AppError("fix_problems_first", count=len(errors_only(checked.problems)))
    if checked.replaces is not None and not replace:
        raise AppError("file_exists", name=checked.file_name)
    folder = services.settings.content_dir / FOLDERS[kind]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / checked.file_name
    handle, temp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    services.content.invalidate()
    library = services.library()
    assert checked.item is not None
    warnings: list[str] = []
    summary = None
    if kind == "case":
        try:
            summary = services.sync_case_index(library)
        except Exception as exc:  # the file is saved; the index catches up at the next sync
            warnings.append(f"{type(exc).__name__}: {exc}")
    return SaveResult(target, checked.item.id, checked.replaces is not None, summary, warnings)


# ---------------------------------------------------------------------------------------------
# Preview


@dataclass(frozen=True)
class Preview:
    """A preview conversation with the offline engine."""

    messages: list[dict[str, str]]
    mood: int | None
    outcome: str | None


def agent_lines(shown: list[Any] | None) -> list[str]:
    """The trainer's lines in a preview as the chat on screen shows it (Gradio's messages format).

    The preview keeps the lines it replays in the tab's state; a replica that took the page over
    has none, and continues from the chat the browser sends. Bounded like the preview itself.
    """
    lines: list[str] = []
    for message in shown or []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        parts = content if isinstance(content, list) else [content]
        text = " ".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in parts
            if isinstance(part, str | dict)
        ).strip()
        if text:
            lines.append(text)
    return lines[: DRILL_TURNS.value]


def preview_conversation(
    services: AppServices,
    user: User,
    kind: Kind,
    text: str,
    partner_id: str | None,
    agent_messages: list[str],
    *,
    seed: int = 0,
) -> Preview:
    """Play the unsaved item against a library partner with the offline engine.

    For a persona the partner is a case id, for a case a persona id. The conversation is replayed
    from ``agent_messages`` each time (the offline engine is deterministic), so no state is kept.
    """
    services.require(user, "trainer")
    item, problems = parse_item(text or "", kind, f"{FOLDERS.get(kind, kind)}/preview.yaml")
    if item is None or errors_only(problems):
        raise AppError("fix_problems_first", count=len(errors_only(problems)) or 1)
    library = services.library()
    if not partner_id:
        raise AppError("choose_partner")
    try:
        if isinstance(item, Persona):
            persona, case = item, library.case(partner_id)
        else:
            assert isinstance(item, Case)
            persona, case = library.persona(partner_id), item
        engine = make_customer(
            persona, case, engine="offline", seed=seed, settings=services.settings, rubric=library.rubric
        )
    except (LookupError, DrillError) as exc:
        raise AppError("preview_failed", detail=str(exc)) from exc
    conversation = Conversation(engine)
    conversation.start()
    for message in agent_messages:
        try:
            conversation.send(message).collect()
        except ConversationEnded:
            break
        except ConversationFull as exc:
            raise AppError("drill_too_long", limit=DRILL_TURNS.value, env=DRILL_TURNS.env) from exc
    messages = [
        {"role": "user" if turn.role == "agent" else "assistant", "content": turn.text} for turn in conversation.turns
    ]
    state = conversation.state
    return Preview(messages, state.mood if state else None, state.outcome if state else None)
