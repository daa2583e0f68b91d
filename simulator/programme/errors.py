"""The programme's one error type: a message key with values, shown in the user's language.

The keys live with the app's other strings (``simulator.app.i18n``); the CLI prints the English
text, the app the user's language. Values named like a label kind (``part``) are shown translated.
"""

from __future__ import annotations

from typing import Any

from simulator.app.i18n import AppError, label, t

#: Value names whose values are translated as ``"{name}.{value}"`` labels (e.g. part.theory).
_LABELLED = ("part",)


class ProgrammeError(AppError):
    """A programme action that cannot be done as asked: what, why and what to do instead."""

    def __init__(self, key: str, **values: Any):
        super().__init__(key, **values)
        self.args = (self.message("en"),)

    def message(self, lang: str) -> str:
        """The message in ``lang``, with labelled values translated."""
        shown = {name: label(name, value, lang) if name in _LABELLED else value for name, value in self.values.items()}
        return t(self.key, lang, **shown)


class NotAllowed(ProgrammeError):
    """The user may not see or change this (another trainee's results, a team they don't coach).

    A record that does not exist and one the user may not see give the same message.
    """
