"""The message catalogue: every user-facing string of drill, one folder per language.

Layout: ``simulator/i18n/<language>/<domain>.yaml`` (``en/`` and ``zh-CN/``), each file a flat
mapping ``key: text``. Domains only split the catalogue into files of a readable size (``app``,
``programme``, ``grading``, ``scorecard``, ``cli``, ``validation``…); keys are global, so a key may
be defined in one file of a language only, and every key exists in every language with the same
``{placeholders}`` (``tests/test_catalogue.py`` holds that, and that every key the code names
exists). To add strings: add the key to the same domain file of both languages, or add a new
domain file to both folders; nothing else needs registering.

Everything that shows text to a person — the app, the CLI, the grader's findings and the exports
— reads it here through :func:`t`. Importing this module loads two small folders of YAML once.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import DrillError

#: The languages of the catalogue (same spelling as ``models.LANGUAGES``).
CATALOGUE_LANGUAGES: tuple[str, ...] = ("en", "zh-CN")
#: Where the catalogue lives.
CATALOGUE_DIR = Path(__file__).parent

_PLACEHOLDER = re.compile(r"(?<!{){(\w+)(?:[!:][^}]*)?}(?!})")


class CatalogueError(DrillError):
    """A catalogue file that is not a flat mapping of strings, or a key defined twice."""


def _read_language(language: str) -> dict[str, str]:
    strings: dict[str, str] = {}
    origin: dict[str, str] = {}
    folder = CATALOGUE_DIR / language
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise CatalogueError(f"{path}: the catalogue file must be a mapping of key: text")
        for key, text in data.items():
            if not isinstance(key, str) or not isinstance(text, str):
                raise CatalogueError(f"{path}: {key!r} must map a string key to a string")
            if key in strings:
                raise CatalogueError(f"{path}: key {key!r} is already defined in {origin[key]}")
            strings[key] = text
            origin[key] = path.name
    if not strings:
        raise CatalogueError(f"{folder}: no catalogue files")
    return strings


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every string of ``language`` (``en`` for any language the catalogue does not have)."""
    return _read_language(language if language in CATALOGUE_LANGUAGES else "en")


def keys() -> list[str]:
    """Every key of the catalogue (the English set; the test holds every language to the same)."""
    return list(catalogue("en"))


def has(key: str) -> bool:
    """True when ``key`` is in the catalogue."""
    return key in catalogue("en")


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a catalogue text."""
    return set(_PLACEHOLDER.findall(text))


def t(key: str, lang: str, /, **values: Any) -> str:
    """The string ``key`` in ``lang`` (English for unknown languages), formatted with ``values``.

    An unknown key is returned as is, so a missing string shows up on screen instead of crashing a
    handler; ``tests/test_catalogue.py`` fails on any key the code names that is not here.
    """
    text = catalogue(lang).get(key)
    if text is None:
        return key
    return text.format(**values) if values else text


def label(kind: str, value: str | None, lang: str) -> str:
    """Display name of a value of a vocabulary (``category``, ``difficulty``…): key ``kind.value``.

    The value itself when the catalogue has no name for it (a trainer's own category, say).
    """
    if value is None:
        return ""
    key = f"{kind}.{value}"
    return t(key, lang) if has(key) else value


def render(key: str, lang: str, values: dict[str, str]) -> str:
    """``t(key, lang, **values)`` where a value named ``<name>_key`` is itself a catalogue key: it is
    rendered in ``lang`` first and fills ``{<name>}`` (a message built from translated parts).

    A value named ``<name>_keys`` is several keys separated by spaces: each is rendered the same way
    and they fill ``{<name>}`` joined by the language's ``list.separator``.
    """
    shown = dict(values)
    for name, inner in values.items():
        if name.endswith("_key"):
            shown[name.removesuffix("_key")] = t(inner, lang, **values)
        elif name.endswith("_keys"):
            parts = [t(part, lang, **values) for part in inner.split()]
            shown[name.removesuffix("_keys")] = t("list.separator", lang).join(parts)
    return t(key, lang, **shown)


class CatalogueValueError(ValueError):
    """A ``ValueError`` whose message is a catalogue key with values, so whoever shows it can use
    the reader's language; ``str()`` is the English text (what logs and the CLI print).

    Raised by the content models' own validators: pydantic wraps it, and the content loader turns
    it back into a problem in the trainer's language (``simulator.content``).
    """

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = {name: str(value) for name, value in values.items()}
        super().__init__(render(key, "en", self.values))


def translations(lang: str) -> dict[str, str]:
    """All strings of one language (for ``gr.I18n``)."""
    return dict(catalogue(lang))
