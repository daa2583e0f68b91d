"""Choice components whose value the handler checks, not Gradio against this process's choices.

Gradio refuses a Radio's, CheckboxGroup's or Dropdown's value that is not among the choices *this
process* last sent to the tab, before any handler runs, with an English "Value: … is not in the
list of choices: […]". Choices that an event set (a quiz question's options, a transcript's turns,
a search's sessions) live in the process that served the event. When a proxy sends the tab to
another replica (the first went down), that replica still has the choices the component was built
with, often none, and would refuse the value the trainee or mentor can see on screen.

These components skip that check and look the same in the browser (``is_template``: Gradio draws
them with the parent's component). Every handler that reads one checks the value itself, as it
must anyway, since anyone with a session can send any value: an answer against its question
(``quiz_attempts``), a turn against the transcript and a criterion against the report
(``mentor``), an id against what the user may see (``services.session_for``, the programme).
They pass the value through as ``type="value"`` does (the default, and the only type that means
anything against another replica's choices). No ``__init__`` here: Gradio records a component's
constructor arguments through ``__init__`` to rebuild it on every update.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr
from gradio import component_meta


@contextmanager
def _without_stub_files() -> Iterator[None]:
    """Gradio writes a ``.pyi`` stub beside the module of every component class defined (meant for
    custom-component packages): into the installed package, and one here would hide this module
    from mypy. drill's classes add no events, so there is nothing for a stub to say."""
    writer = getattr(component_meta, "create_or_modify_pyi", None)
    if writer is None:
        yield
        return
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        yield
    finally:
        component_meta.create_or_modify_pyi = writer


with _without_stub_files():

    class HandlerCheckedRadio(gr.Radio):
        """A ``gr.Radio`` whose value reaches the handler unchecked (see the module docstring)."""

        is_template = True

        def preprocess(self, payload: str | int | float | None) -> str | int | float | None:
            """The browser's value as it came."""
            return payload

    class HandlerCheckedCheckboxGroup(gr.CheckboxGroup):
        """A ``gr.CheckboxGroup`` whose values reach the handler unchecked (see the module docstring)."""

        is_template = True

        def preprocess(self, payload: list[str | int | float] | None) -> list[str | int | float]:
            """The browser's values as they came (none: an empty list)."""
            return list(payload or [])

    class HandlerCheckedDropdown(gr.Dropdown):
        """A ``gr.Dropdown`` whose value reaches the handler unchecked (see the module docstring).

        Unlike ``allow_custom_value=True`` the user cannot type a value of their own into it.
        """

        is_template = True

        def preprocess(
            self, payload: str | int | float | list[str | int | float] | None
        ) -> str | int | float | list[str | int | float] | None:
            """The browser's value as it came."""
            return payload
