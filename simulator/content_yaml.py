"""Reading a content YAML file within its limits, keeping where each key and value sits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator import limits
from simulator.content_problems import ContentProblem, Position, keyed_problem, limit_problem
from simulator.safe_yaml import YamlLimitError, check_yaml, over_limit

# libyaml's loader is several times faster and reports the same marks; pure Python is the fallback.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Positions:
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


def _index_positions(node: yaml.Node, path: tuple[str, ...], positions: Positions) -> None:
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
class ParsedFile:
    """A content file's YAML data, the name it is reported under, and where each of its values sits."""

    path: Path
    display: str
    data: Any
    positions: Positions


def display_path(path: Path) -> str:
    """Relative to the working directory when the file is below it, else absolute."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def parse_yaml(path: Path, problems: list[ContentProblem]) -> ParsedFile | None:
    """Read and parse ``path`` within the content limits; None (with ``problems`` appended) when it cannot."""
    display = display_path(path)
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
    positions = Positions()
    if node is not None:
        _index_positions(node, (), positions)
    for key, (line, col) in positions.duplicate_keys:
        problems.append(keyed_problem("content.duplicate_key", display, line, col, key=key))
    return ParsedFile(path=path, display=display, data=data, positions=positions)
