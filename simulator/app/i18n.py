"""The app's side of the message catalogue: the browser's language, ``gr.I18n`` and errors by key.

The strings themselves live in the catalogue (``simulator/i18n/<language>/*.yaml``, read through
:mod:`simulator.i18n`); static labels go to the browser as ``gr.I18n`` markers and handlers call
:func:`t` for text they build, in the language the user picked or the browser asked for.
:class:`AppError` carries a message key so that errors reach the user in their language.
Importing this module does not import Gradio.
"""

from __future__ import annotations

from typing import Any, cast

from simulator.errors import DrillError
from simulator.i18n import keys, label, t
from simulator.limits import MESSAGE_CHARS
from simulator.models import LANGUAGES, Language

__all__ = [
    "AppError",
    "gradio_i18n",
    "keys",
    "label",
    "language_from_header",
    "resolve_language",
    "static_text",
    "t",
    "translations",
]


def _static_values(key: str) -> dict[str, Any]:
    # Static labels go to the browser as gr.I18n markers, which cannot be formatted: the few that
    # name a setting get its value here, once per page.
    if key == "reply_info":
        return {"limit": MESSAGE_CHARS.value}
    return {}


def static_text(key: str, lang: str) -> str:
    """A static label's text in ``lang``, with the settings it names filled in."""
    return t(key, lang, **_static_values(key))


def translations(lang: Language) -> dict[str, str]:
    """All strings of one language as static labels (for ``gr.I18n``)."""
    return {key: static_text(key, lang) for key in keys()}


def gradio_i18n() -> Any:
    """A ``gr.I18n`` with every string; ``zh`` and ``zh-TW`` browsers get the Simplified text too."""
    import gradio as gr

    chinese = translations("zh-CN")
    return gr.I18n(en=translations("en"), **{"zh-CN": chinese, "zh-TW": chinese, "zh": chinese})


def language_from_header(accept_language: str | None) -> Language:
    """zh-CN when the browser's Accept-Language prefers Chinese over English, else en."""
    best: tuple[float, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, number = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        lang: Language | None = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is None:
            continue
        rank = quality - position * 1e-6  # earlier wins among equal qualities
        if best is None or rank > best[0]:
            best = (rank, lang)
    return best[1] if best else "en"


def resolve_language(choice: str | None, accept_language: str | None) -> Language:
    """The UI language: an explicit choice (zh-CN/en), else what the browser asks for."""
    if choice in LANGUAGES:
        return cast(Language, choice)
    return language_from_header(accept_language)


class AppError(DrillError):
    """An error with a message key, shown to the user in their language."""

    def __init__(self, key: str, **values: Any):
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def message(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.values)
