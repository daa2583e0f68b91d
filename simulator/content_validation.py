"""Pydantic validation errors of a content file as problems at the offending key or value."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from simulator.content_problems import ContentProblem, shown_values
from simulator.content_yaml import ParsedFile, parse_yaml
from simulator.i18n import CatalogueValueError, render


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


def _validation_problem(parsed: ParsedFile, line: int, col: int, key: str, values: dict[str, Any]) -> ContentProblem:
    shown = tuple((name, str(value)) for name, value in values.items())
    message = render(key, "en", shown_values(dict(shown), "en"))
    return ContentProblem(parsed.display, line, col, message, key=key, values=shown)


def problems_from_validation(
    parsed: ParsedFile, model: type[BaseModel], error: ValidationError
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


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_validated(
    path: Path, model: type[ModelT], expected: str, problems: list[ContentProblem]
) -> tuple[ParsedFile, ModelT] | None:
    """Parse ``path`` and validate it as ``model``; None (with ``problems`` appended) when it cannot.

    ``expected`` names what the top-level mapping holds, for the message when the file is not one.
    """
    parsed = parse_yaml(path, problems)
    if parsed is None:
        return None
    if not isinstance(parsed.data, dict):
        problems.append(ContentProblem(parsed.display, 1, 1, f"expected a mapping with {expected}"))
        return None
    try:
        return parsed, model.model_validate(parsed.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(parsed, model, exc))
        return None
