"""Text from people, logs or models made inert inside Markdown.

A chat message, a comment, a case brief or a judge's rationale may contain ``<script>``,
``<img onerror=…>`` or ``![](https://tracker/…)``. Wherever such text is placed into Markdown
(the scorecard, the scenario card, the replay, the Markdown export), :func:`inert` turns HTML into
entities and link/image brackets into literal brackets, so it shows as typed and loads nothing.
(The app also sends a Content-Security-Policy that lets images load only from drill itself.)
A terminal renders no Markdown, so :func:`for_terminal` shows such text as typed again, without the
control characters a hostile log could use to rewrite the screen.
"""

from __future__ import annotations

import html
import re

#: C0/C1 control characters except tab and newline: escape sequences that move the cursor or recolour.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: object) -> str:
    """``text`` with HTML escaped and ``[``/``]`` backslash-escaped (no tags, links or images)."""
    escaped = html.escape("" if text is None else str(text), quote=False)
    return escaped.replace("[", "\\[").replace("]", "\\]")


def for_terminal(markdown: str) -> str:
    """Markdown built with :func:`inert` made readable in a terminal.

    The HTML entities and bracket escapes :func:`inert` added are undone (a terminal shows
    ``&amp;`` literally) and control characters are dropped, so a log cannot send escape sequences.
    """
    plain = html.unescape(markdown.replace("\\[", "[").replace("\\]", "]"))
    return _CONTROL.sub("", plain)
