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
Only ``type="value"`` is supported: an index means nothing against another replica's choices.
"""

from __future__ import annotations

from typing import Any

import gradio as gr


def _value_type(kwargs: dict[str, Any]) -> None:
    if kwargs.get("type", "value") != "value":
        raise ValueError("choices checked by the handler need type='value'")

from gradio.events import Dependency

class HandlerCheckedRadio(gr.Radio):
    """A ``gr.Radio`` whose value reaches the handler unchecked (see the module docstring)."""

    is_template = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _value_type(kwargs)
        super().__init__(*args, **kwargs)

    def preprocess(self, payload: str | int | float | None) -> str | int | float | None:
        """The browser's value as it came."""
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class HandlerCheckedCheckboxGroup(gr.CheckboxGroup):
    """A ``gr.CheckboxGroup`` whose values reach the handler unchecked (see the module docstring)."""

    is_template = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _value_type(kwargs)
        super().__init__(*args, **kwargs)

    def preprocess(self, payload: list[str | int | float] | None) -> list[str | int | float]:
        """The browser's values as they came (none: an empty list)."""
        return list(payload or [])
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


class HandlerCheckedDropdown(gr.Dropdown):
    """A ``gr.Dropdown`` whose value reaches the handler unchecked (see the module docstring).

    Unlike ``allow_custom_value=True`` the user cannot type a value of their own into it.
    """

    is_template = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _value_type(kwargs)
        super().__init__(*args, **kwargs)

    def preprocess(
        self, payload: str | int | float | list[str | int | float] | None
    ) -> str | int | float | list[str | int | float] | None:
        """The browser's value as it came."""
        return payload
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component