"""YAML that cannot blow up: size checked first, anchors and aliases refused, nodes and depth capped.

A few hundred bytes of YAML with nested aliases (the "billion laughs") expand into gigabytes when
loaded, and deep nesting exhausts the parser's stack. Content files never need anchors or
aliases much, so :func:`check_yaml` reads the document's events first (a streaming pass that never
builds the document) and counts the nodes loading would build, each alias as the whole subtree it
repeats: past ``limits.YAML_NODES`` nodes or ``limits.YAML_DEPTH`` levels it refuses, with the line
and column. Only then is the text composed or loaded. Used by the content loader, ``drill validate``, the
trainer's editor and the users file.
"""

from __future__ import annotations

from typing import Any

import yaml

from simulator import limits
from simulator.errors import DrillError
from simulator.i18n import render

#: libyaml's parser when available (several times faster), else the pure-Python one.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(DrillError):
    """A YAML text over a limit; ``line`` and ``col`` are 1-based.

    Its message is catalogue ``key`` with ``values`` (``limit.too_long``: what, how big, the cap and
    the environment variable that changes it), so the trainer's editor shows it in the UI language;
    ``reason`` is the English text, after ``prefix`` (what logs and the CLI print).
    """

    def __init__(self, key: str, values: dict[str, str], line: int = 1, col: int = 1, prefix: str = ""):
        self.line = line
        self.col = col
        self.key = key
        self.values = tuple(values.items())
        self.reason = prefix + render(key, "en", values)
        super().__init__(f"{line}:{col}: {self.reason}")


def over_limit(what_key: str, length: int, limit: limits.Limit, line: int = 1, col: int = 1) -> YamlLimitError:
    """The error for ``what_key`` (a catalogue key: "the file", "the nesting"…) at ``length`` past ``limit``."""
    values = {
        "what_key": what_key,
        "length": f"{length:,}",
        "limit": f"{limit.value:,}",
        "unit_key": f"limit.unit.{limit.unit}",
        "env": limit.env,
    }
    return YamlLimitError("limit.too_long", values, line, col)


def _at(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def check_yaml(text: str, size_limit: limits.Limit = limits.CONTENT_FILE_BYTES) -> None:
    """Raise ``YamlLimitError`` when ``text`` is too big, uses anchors/aliases, or has too many nodes or levels.

    YAML syntax errors are left to the real parse that follows (it reports them with positions).
    """
    size = len(text.encode("utf-8"))
    if size > size_limit.value:
        raise over_limit("limit.what.file", size, size_limit)
    # the node cap scales with a larger size cap (the users file): it bounds work, not content
    max_nodes = limits.YAML_NODES.value * max(1, size_limit.value // limits.CONTENT_FILE_BYTES.value)
    max_depth = limits.YAML_DEPTH.value
    nodes = depth = 0
    # Nodes are counted as loading would build them: an alias counts the whole subtree its anchor
    # names, so a harmless repeated anchor passes and a "billion laughs" is stopped at once.
    sizes: dict[str, int] = {}
    open_anchors: list[tuple[str | None, int]] = []
    try:
        for event in yaml.parse(text, Loader=LOADER):
            if isinstance(event, yaml.AliasEvent):
                nodes += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                nodes += 1
                depth += 1
                open_anchors.append((event.anchor, nodes - 1))
                if depth > max_depth:
                    raise over_limit("limit.what.nesting", depth, limits.YAML_DEPTH, *_at(event))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, started = open_anchors.pop()
                if anchor is not None:
                    sizes[anchor] = nodes - started
            if nodes > max_nodes:
                raise over_limit("limit.what.expanded", nodes, limits.YAML_NODES, *_at(event))
    except yaml.YAMLError:
        return  # a syntax error: the caller's parse reports it where it is


def load_bounded(text: str, display: str = "<yaml>", size_limit: limits.Limit = limits.CONTENT_FILE_BYTES) -> Any:
    """``yaml.safe_load`` after :func:`check_yaml` (``YamlLimitError`` names ``display``)."""
    try:
        check_yaml(text, size_limit)
    except YamlLimitError as exc:
        raise YamlLimitError(exc.key, dict(exc.values), exc.line, exc.col, f"{display}: ") from None
    return yaml.load(text, Loader=LOADER)
