"""Read a transcript JSON file with errors that point at the exact place.

Invalid JSON reports the line and column the parser stopped at; schema errors (wrong types,
missing fields, unknown keys — which DESIGN.md makes an error) report the JSON path and, when the
text can be mapped, the line and column of the offending key or value.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from simulator.errors import DrillError
from simulator.models import CustomerState, Transcript, Turn


class TranscriptFileError(DrillError):
    """A transcript file that cannot be read; ``problems`` holds one message per error."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _json_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _inside(loc: Sequence[str | int]) -> str:
    return f"in {_json_path(loc)}" if loc else "at the top level"


def _positions(text: str) -> tuple[dict[tuple[str, ...], tuple[int, int]], dict[tuple[str, ...], tuple[int, int]]]:
    """Line/column of every value and every key, found by reading the JSON as YAML (best effort)."""
    values: dict[tuple[str, ...], tuple[int, int]] = {}
    keys: dict[tuple[str, ...], tuple[int, int]] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return values, keys

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                keys[(*path, str(key_node.value))] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                walk(value_node, (*path, str(key_node.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, str(index)))

    if root is not None:
        # Positions are a courtesy; without them the messages still name the JSON path.
        with contextlib.suppress(RecursionError):
            walk(root, ())
    return values, keys


_MODELS_AT_DEPTH: dict[str, type[BaseModel]] = {"turns": Turn, "state": CustomerState}


def _allowed(loc: Sequence[str | int]) -> list[str]:
    model: type[BaseModel] = Transcript
    for part in loc:
        if isinstance(part, str) and part in _MODELS_AT_DEPTH:
            model = _MODELS_AT_DEPTH[part]
    return list(model.model_fields)


def describe_validation_error(error: ValidationError, text: str, display: str) -> list[str]:
    """One ``display:line:col: message`` line per schema error of ``text`` (line and column when found)."""
    values, keys = _positions(text)
    problems = []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        str_loc = tuple(str(part) for part in loc)
        if item["type"] == "extra_forbidden":
            where = keys.get(str_loc) or values.get(str_loc)
            message = f"unknown key '{loc[-1]}' {_inside(loc[:-1])} (allowed: {', '.join(_allowed(loc[:-1]))})"
        elif item["type"] == "missing":
            parent_loc = str_loc[:-1]
            where = values.get(parent_loc)
            message = f"missing required key '{loc[-1]}' {_inside(loc[:-1])}"
        else:
            probe = str_loc
            while probe and probe not in values:
                probe = probe[:-1]
            where = values.get(probe)
            reason = item["msg"].removeprefix("Value error, ")
            value = item.get("input")
            got = "" if isinstance(value, dict | list) else f" (got {json.dumps(value, ensure_ascii=False)[:60]})"
            message = f"{_json_path(loc)}: {reason}{got}"
        prefix = f"{display}:{where[0]}:{where[1]}" if where else display
        problems.append(f"{prefix}: {message}")
    return problems


def load_json(text: str, display: str) -> Any:
    """``json.loads`` with every failure as a ``TranscriptFileError`` (deep nesting included)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFileError([f"{display}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from exc
    except RecursionError as exc:
        raise TranscriptFileError(
            [f"{display}: JSON nested too deeply to read (a transcript nests 4 levels: object, turns, turn, state)"]
        ) from exc


def parse_transcript(text: str, display: str = "<transcript>") -> Transcript:
    """Parse transcript JSON text strictly (no aliases); raise ``TranscriptFileError`` with located messages.

    Real chat logs go through ``simulator.transcript_import`` instead (aliases, masking, caps).
    """
    data: Any = load_json(text, display)
    if not isinstance(data, dict):
        raise TranscriptFileError(
            [f"{display}:1:1: expected a JSON object with 'language' and 'turns', got {type(data).__name__}"]
        )
    try:
        return Transcript.model_validate(data)
    except ValidationError as exc:
        raise TranscriptFileError(describe_validation_error(exc, text, display)) from exc


def load_transcript(path: Path) -> Transcript:
    """Read and validate the transcript JSON file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TranscriptFileError([f"{path}: file not found"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptFileError([f"{path}: cannot read file: {exc}"]) from exc
    return parse_transcript(text, str(path))
