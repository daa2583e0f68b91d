"""Glue shared by the Gradio tabs: the UI context, translatable labels and error display.

Static text is rendered through ``gr.I18n`` so that the page follows the browser's language.
The language switch re-sends every registered label as plain text in the chosen language, and
handlers write their own (dynamic) text in the language held in ``UIContext.lang``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import gradio as gr
import pandas as pd

from simulator.app.guard import Guard, RoleNeed
from simulator.app.i18n import AppError, gradio_i18n, resolve_language, static_text, t
from simulator.app.services import AppServices
from simulator.errors import DrillError
from simulator.models import Language

Value = str | Callable[[Language], Any]


class Texts:
    """Component attributes that carry UI text, so a language switch can re-send them."""

    def __init__(self) -> None:
        self.i18n = gradio_i18n()
        self._bound: list[tuple[gr.components.Component | gr.blocks.BlockContext, dict[str, Value]]] = []

    def __call__(self, key: str) -> Any:
        """The ``gr.I18n`` marker for ``key`` (translated in the browser)."""
        return self.i18n(key)

    def bind(self, component: Any, **attrs: Value) -> Any:
        """Register ``component``'s attributes: a key (str) or a function of the language."""
        self._bound.append((component, attrs))
        return component

    @property
    def components(self) -> list[Any]:
        """Every registered component, in registration order."""
        return [component for component, _ in self._bound]

    def updates(self, lang: Language) -> dict[Any, Any]:
        """One ``gr.update`` per registered component with its text in ``lang``."""
        result: dict[Any, Any] = {}
        for component, attrs in self._bound:
            values = {
                name: value(lang) if callable(value) else static_text(value, lang) for name, value in attrs.items()
            }
            result[component] = cast(Any, gr.update)(**values)
        return result


@dataclass
class PageStep:
    """A step that runs for users holding ``role``: at page load ``fn(user, lang)``, at a language
    switch ``fn(user, *inputs)``; it may update ``outputs``."""

    role: RoleNeed
    fn: Callable[..., Any]
    outputs: list[Any]
    inputs: list[Any] = field(default_factory=list)


@dataclass
class UIContext:
    """What every tab builder needs.

    Register every event with :meth:`on` (never ``component.click(...)`` directly): it puts the
    role check of :class:`~simulator.app.guard.Guard` in front of the handler, which then gets
    the signed-in user as its first argument. ``tests/test_app_security.py`` fails otherwise.
    """

    services: AppServices
    texts: Texts
    lang: gr.State
    guard: Guard
    #: Page-load steps (``fn(user, lang) -> {component: update}``), run for users with the role.
    loaders: list[PageStep] = field(default_factory=list)
    #: Language-switch steps, run after the labels are re-sent, for users with the role.
    relang: list[PageStep] = field(default_factory=list)

    def on(self, trigger: Callable[..., Any], fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> Any:
        """Register ``fn`` on ``trigger`` behind the role check (see :meth:`Guard.on`)."""
        return self.guard.on(trigger, fn, *args, **kwargs)

    def on_load(self, role: RoleNeed, fn: Callable[..., dict[Any, Any]], outputs: list[Any]) -> None:
        """Run ``fn(user, lang)`` at page load for users holding ``role``."""
        self.loaders.append(PageStep(role, fn, outputs))

    def on_language(self, role: RoleNeed, fn: Callable[..., Any], inputs: list[Any], outputs: list[Any]) -> None:
        """Run ``fn(user, *inputs)`` after a language switch for users holding ``role``."""
        self.relang.append(PageStep(role, fn, outputs, inputs))


def merge_updates(target: dict[Any, Any], source: dict[Any, Any]) -> dict[Any, Any]:
    """Add ``source``'s component updates to ``target``, combining two updates of one component.

    A plain value counts as ``gr.update(value=...)``, so a label update and a value update of the
    same component both survive.
    """
    for component, update in source.items():
        if component not in target:
            target[component] = update
            continue
        before, after = target[component], update
        if isinstance(before, dict) and before.get("__type__") == "update":
            after = after if isinstance(after, dict) and after.get("__type__") == "update" else {"value": after}
            target[component] = {**before, **after}
        else:
            target[component] = after
    return target


#: Plots carry no axis titles: a title cannot be changed once drawn, so it would stay in the language
#: of the first load; each plot's label (re-sent on a language switch) says what its axes are, and
#: legend series names are data in the user's language.
NO_AXIS_TITLE = " "


def empty_frame(**dtypes: str) -> pd.DataFrame:
    """An empty DataFrame with typed columns, as a plot's first value.

    A plot's axis types come from its first value: untyped empty columns are floats, and a plot
    started with them never draws the (e.g. text) values it is updated with later.
    """
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def error_text(exc: BaseException, lang: Language) -> str:
    """A short, actionable message for the status line."""
    if isinstance(exc, AppError):
        return f"⚠️ {exc.message(lang)}"
    if isinstance(exc, DrillError | LookupError | ValueError):
        return f"⚠️ {exc}"
    return f"⚠️ {t('unexpected_error', lang)} ({type(exc).__name__}: {exc})"


def ui_language(choice: str | None, request: gr.Request | None) -> Language:
    """The UI language: the switch's choice, else the browser's Accept-Language."""
    header = ""
    if request is not None:
        try:
            header = request.headers.get("accept-language", "") or ""
        except Exception:  # a request without headers (e.g. in tests) follows the default
            header = ""
    return resolve_language(choice, header)
