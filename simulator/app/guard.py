"""The one door into the app's handlers: every Gradio event is registered through :class:`Guard`.

Gradio runs any registered event for anyone who holds a session: an event on a hidden tab, or one
registered with ``api_visibility="private"``, is still callable through
``/gradio_api/queue/join`` with its ``fn_index``. So access is decided *inside* the call, here,
before the handler runs: the caller's account is looked up (a missing or unreadable accounts store
refuses everyone), the event's role is checked, and only then is the handler called, with the
signed-in :class:`~simulator.accounts.User` as its first argument. Ownership (whose session, whose
export) is checked by the handler with that user (see ``AppServices.session_for``).

    ctx.on(send_btn.click, on_send, [drill_sid, message, lang_state], outputs, role="trainee",
           api_name="send_message")

    def on_send(user: User, sid: str | None, text: str, lang: Language) -> ...

``role`` is one of ``trainee``, ``mentor``, ``trainer`` (or a tuple: any of them) or ``SIGNED_IN``
for events every signed-in person may run (the page load, the language switch). A refused call
raises ``gr.Error`` with the reason (the browser shows it; an API caller gets it as the error),
unless the event is registered ``quiet=True`` (follow-up steps such as a language switch's
re-labelling of a tab the user does not have), which then changes nothing. ``docs/security.md``
describes the contract; ``tests/test_app_security.py`` fails on any dependency of the app that
was not registered here.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import gradio as gr

from simulator.accounts import ROLES, User
from simulator.app.services import AccessDenied, AppServices
from simulator.models import LANGUAGES

log = logging.getLogger(__name__)

SIGNED_IN: Literal["signed_in"] = "signed_in"
#: The language state's value before the page load has resolved the user's language.
UNRESOLVED_LANGUAGE = "auto"
RoleNeed = str | tuple[str, ...]

#: Attribute set on every function the guard hands to Gradio; the security test looks for it.
GUARD_ATTRIBUTE = "__drill_guard__"


@dataclass(frozen=True)
class Rule:
    """Who may run one event."""

    roles: tuple[str, ...]
    quiet: bool = False
    handler: str = ""

    @property
    def signed_in_only(self) -> bool:
        """True when any signed-in user may run the event."""
        return self.roles == (SIGNED_IN,)

    def admits(self, user: User) -> bool:
        """True when ``user`` may run the event."""
        return self.signed_in_only or any(user.can(role) for role in self.roles)


def rule_for(role: RoleNeed, quiet: bool = False, handler: str = "") -> Rule:
    """The rule for a role need (validated: a typo in a role name fails at start-up)."""
    roles = (role,) if isinstance(role, str) else tuple(role)
    if not roles:
        raise ValueError("an event needs a role: trainee, mentor, trainer or SIGNED_IN")
    unknown = [r for r in roles if r not in ROLES and r != SIGNED_IN]
    if unknown or (SIGNED_IN in roles and len(roles) > 1):
        raise ValueError(f"role must be one of {', '.join(ROLES)} (or a tuple of them) or SIGNED_IN, got {role!r}")
    return Rule(roles, quiet, handler)


def _language(request: gr.Request | None) -> str:
    from simulator.app.ui_common import ui_language  # ui_common imports this module's neighbours

    return ui_language(None, request)


@dataclass
class Guard:
    """Registers events with a role check in front of the handler; remembers what it registered."""

    services: AppServices
    #: The page's language ``gr.State``. Until the page load has resolved it, it holds a value that is
    #: not a language (:data:`UNRESOLVED_LANGUAGE`); a handler that runs before then (Gradio fires a
    #: tab's ``select`` as the page mounts) gets the browser's language instead, never a default. A
    #: State lives in one server process, so a replica that takes over a page from one that went
    #: down starts with the unresolved value too, and its handlers also get the browser's language.
    language_state: Any = None
    #: Dependency ids registered without a server function (``js=`` only): nothing to call.
    js_only: set[int] = field(default_factory=set)

    def on(
        self,
        trigger: Callable[..., Any],
        fn: Callable[..., Any] | None,
        inputs: Any = None,
        outputs: Any = None,
        *,
        role: RoleNeed,
        quiet: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Register ``fn`` on ``trigger`` (e.g. ``button.click``, ``demo.load``, ``dep.then``).

        ``fn`` receives the signed-in user first, then the input values. ``fn=None`` is allowed
        only with ``js=`` (a browser-side step that never reaches the server).
        """
        if fn is None:
            if not kwargs.get("js"):
                raise ValueError("an event without a server function must have js=")
            dependency = trigger(None, inputs, outputs, **kwargs)
            self.js_only.add(int(dependency["id"]))
            return dependency
        rule = rule_for(role, quiet, getattr(fn, "__qualname__", repr(fn)))
        count = len(outputs) if isinstance(outputs, Sequence) else (0 if outputs is None else 1)
        listed = inputs if isinstance(inputs, Sequence) else [] if inputs is None else [inputs]
        language_at = tuple(
            i for i, c in enumerate(listed) if self.language_state is not None and c is self.language_state
        )
        wrapped = self._wrap(fn, rule, count, language_at)
        return trigger(wrapped, inputs, outputs, **kwargs)

    def admit(self, rule: Rule, request: gr.Request | None) -> User | None:
        """The user when ``rule`` lets them in; None for a quiet refusal; ``gr.Error`` otherwise."""
        username = getattr(request, "username", None) if request is not None else None
        try:
            user = self.services.user(username)
            if rule.admits(user):
                return user
            need = " / ".join(rule.roles)
            raise AccessDenied("access_denied", role=need, roles=", ".join(sorted(user.roles)) or "—")
        except AccessDenied as exc:
            log.info("refused %s for %r: %s", rule.handler, username, exc)
            if rule.quiet:
                return None
            raise gr.Error(exc.message(_language(request)), print_exception=False) from None

    def _wrap(
        self, fn: Callable[..., Any], rule: Rule, outputs: int, language_at: tuple[int, ...] = ()
    ) -> Callable[..., Any]:
        guard = self

        def resolved(request: gr.Request, args: tuple[Any, ...]) -> tuple[Any, ...]:
            if not any(args[i] not in LANGUAGES for i in language_at if i < len(args)):
                return args
            lang = _language(request)
            return tuple(lang if i in language_at and value not in LANGUAGES else value for i, value in enumerate(args))

        def nothing() -> Any:
            return None if outputs == 0 else gr.skip()

        # A handler that needs the request itself (e.g. for the browser's language) declares a
        # keyword-only ``request`` parameter.
        wants_request = "request" in inspect.signature(fn).parameters
        if inspect.isgeneratorfunction(fn):

            def guarded_stream(request: gr.Request, *args: Any) -> Iterator[Any]:
                user = guard.admit(rule, request)
                if user is None:
                    yield nothing()
                    return
                args = resolved(request, args)
                yield from fn(user, *args, request=request) if wants_request else fn(user, *args)

            wrapped: Callable[..., Any] = guarded_stream
        else:

            def guarded(request: gr.Request, *args: Any) -> Any:
                user = guard.admit(rule, request)
                if user is None:
                    return nothing()
                args = resolved(request, args)
                return fn(user, *args, request=request) if wants_request else fn(user, *args)

            wrapped = guarded
        # Not functools.wraps: Gradio reads the signature (the request must stay the first
        # parameter) and would follow __wrapped__ to the handler's own.
        wrapped.__name__ = getattr(fn, "__name__", "handler")
        wrapped.__qualname__ = getattr(fn, "__qualname__", wrapped.__name__)
        wrapped.__doc__ = fn.__doc__
        setattr(wrapped, GUARD_ATTRIBUTE, rule)
        return wrapped


def rule_of(fn: Any) -> Rule | None:
    """The rule a function was registered with, or None when it did not go through the guard."""
    rule = getattr(fn, GUARD_ATTRIBUTE, None)
    return rule if isinstance(rule, Rule) else None


def unguarded(blocks: gr.Blocks) -> list[str]:
    """Every dependency of ``blocks`` that runs server code without the guard (empty when all is well).

    A dependency with no server function (``js=`` only) has nothing to call and passes, and so does
    the cancel step Gradio adds for ``cancels=[...]``: it runs none of our code, and only cancels
    the caller's own running events (Gradio matches them by the caller's session).
    """
    found = []
    for fn_index, block_fn in sorted(blocks.fns.items()):
        if block_fn.fn is None and (block_fn.js or block_fn.is_cancel_function):
            continue
        if rule_of(block_fn.fn) is None:
            name = getattr(block_fn.fn, "__qualname__", repr(block_fn.fn))
            found.append(f"fn_index {fn_index} ({block_fn.api_name or name}) was registered without Guard.on")
    return found


class UnguardedEvent(RuntimeError):
    """The app has an event handler that skips the role check; it refuses to start."""


__all__ = ["GUARD_ATTRIBUTE", "SIGNED_IN", "Guard", "Rule", "UnguardedEvent", "rule_for", "rule_of", "unguarded"]
