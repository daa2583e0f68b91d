"""What drill adds to Gradio's web server: the caller's address for sign-in throttling, the
sign-in check itself, and sign-ins shared by every replica on one database.

Gradio hands its ``auth`` callable only a name and a password; the address comes from a small
ASGI middleware that records the client of each request in a context variable (behind a reverse
proxy on the same machine, uvicorn already puts the forwarded client there).

Gradio keeps sign-ins in one process (``App.tokens``, a cookie named after a random id);
:func:`shared_sign_ins` replaces both when the server starts, with the database-backed
:class:`~simulator.sign_in_tokens.SignInTokens`, and :func:`logout_route` signs out there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from simulator.app.services import AppServices
from simulator.login_throttle import LoginThrottled
from simulator.sign_in_tokens import SignInTokens

_client_address: ContextVar[str | None] = ContextVar("drill_client_address", default=None)


class ClientAddress:
    """ASGI middleware: remembers the client address of the request being served."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = _client_address.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            _client_address.reset(token)


def client_address() -> str | None:
    """The address of the client whose request is being served (None outside a request)."""
    return _client_address.get()


def sign_in_check(services: AppServices) -> Callable[[str, str], bool]:
    """The ``auth`` callable for ``Blocks.launch``: password check, throttled per name and address.

    A paused name or address gets HTTP 429 with the reason and ``Retry-After``, before any
    password is checked.
    """

    def check(username: str, password: str) -> bool:
        try:
            return services.authenticate(username, password, client_address())
        except LoginThrottled as exc:
            raise HTTPException(
                status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after_s)}
            ) from exc

    return check


def shared_sign_ins(tokens: SignInTokens) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan for Gradio's app: sign-ins live in ``tokens`` (the database), under a cookie name
    every replica of the deployment shares.

    It runs when the server starts, after Gradio has set up its own (per-process) ones and before
    the first request is served.
    """

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        app.tokens = tokens
        app.cookie_id = tokens.cookie_id
        yield

    return lifespan


def logout_route(tokens: SignInTokens) -> Route:
    """``GET /logout``: ends every sign-in of the account (on every replica) and returns to the sign-in page.

    Registered ahead of Gradio's own ``/logout``, which walks its dict of tokens (the database
    keeps only their hashes).
    """

    async def logout(request: Request) -> Response:
        names = [f"access-token-{tokens.cookie_id}", f"access-token-unsecure-{tokens.cookie_id}"]
        token = next((request.cookies[name] for name in names if name in request.cookies), None)
        user_name = tokens.get(token)
        if user_name is not None:
            tokens.sign_out(user_name)
        # relative, like the sign-out link: it also works behind a proxy path
        response = RedirectResponse(url="./", status_code=302)
        for name in names:
            response.delete_cookie(name, path="/")
        return response

    return Route("/logout", logout, methods=["GET"])


class ContentSecurityPolicy:
    """ASGI middleware: every page of the app may load images only from drill itself.

    Chat messages, scenario cards and comments are rendered as Markdown; a ``![](https://…)`` in
    one of them must not make browsers fetch from an outside host (tracking). Escaping covers the
    places drill renders itself; this header covers everything else.
    """

    POLICY = b"img-src 'self' data: blob:; media-src 'self' data: blob:; object-src 'none'; frame-ancestors 'self'"

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", self.POLICY))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)
