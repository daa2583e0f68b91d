"""Exported reports, served only to the mentor who made them.

An export is written to ``<data dir>/exports/<token>/`` with a file naming its author; the link
the mentor gets is ``drill-exports/<token>/<file>`` on the app's own address. The route checks the
signed-in user (Gradio's sign-in cookie) against the author before sending a byte: anyone else,
signed in or not, gets 404 as for a missing file. Reports are sent as downloads with a policy that
lets nothing in them run or load. The folder is not among Gradio's allowed paths.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulator.app.services import AccessDenied, AppServices

ROUTE = "/drill-exports/{token}/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,160}\.(html|md|csv)$")
_OWNER_FILE = ".author"
_MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def new_export_folder(export_dir: Path, author: str) -> Path:
    """A fresh, unguessable folder for one export by ``author``."""
    folder = export_dir / secrets.token_urlsafe(24)
    folder.mkdir(parents=True)
    (folder / _OWNER_FILE).write_text(author, encoding="utf-8")
    return folder


def link_for(path: Path) -> str:
    """The relative link to an export (works behind a reverse proxy's path prefix too)."""
    return f"drill-exports/{path.parent.name}/{path.name}"


def _signed_in_name(request: Request) -> str | None:
    app: Any = request.app
    cookie_id = getattr(app, "cookie_id", None)
    tokens = getattr(app, "tokens", None)
    if cookie_id is None or tokens is None:
        return None
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return tokens.get(token) if token else None


def export_route(services: AppServices, export_dir: Path) -> Route:
    """The Starlette route that serves an export to its author only."""

    async def serve(request: Request) -> Response:
        token, name = request.path_params["token"], request.path_params["name"]
        missing = PlainTextResponse("No such export.", status_code=404)
        if not _TOKEN.match(token) or not _NAME.match(name):
            return missing
        try:
            user = services.user(_signed_in_name(request))
        except AccessDenied:
            return missing
        folder = export_dir / token
        try:
            author = (folder / _OWNER_FILE).read_text(encoding="utf-8")
        except OSError:
            return missing
        path = folder / name
        if author != user.name or not path.is_file():
            return missing
        return FileResponse(
            path,
            media_type=_MEDIA[name.rsplit(".", 1)[1]],
            filename=name,
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
        )

    return Route(ROUTE, serve, methods=["GET"])
