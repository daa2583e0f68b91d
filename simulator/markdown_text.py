"""Text from people, logs or models made inert inside Markdown.

A chat message, a comment, a case brief or a judge's rationale may contain ``<script>``,
``<img onerror=…>`` or ``![](https://tracker/…)``. Wherever such text is placed into Markdown
(the scorecard, the scenario card, the replay, the Markdown export), :func:`inert` turns HTML into
entities and link/image brackets into literal brackets, so it shows as typed and loads nothing.
(The app also sends a Content-Security-Policy that lets images load only from drill itself.)
"""

from __future__ import annotations

import html


def inert(text: object) -> str:
    """``text`` with HTML escaped and ``[``/``]`` backslash-escaped (no tags, links or images)."""
    escaped = html.escape("" if text is None else str(text), quote=False)
    return escaped.replace("[", "\\[").replace("]", "\\]")
