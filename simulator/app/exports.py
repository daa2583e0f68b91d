"""Exported reports, served only to the mentor who made them.

An export is written to ``<data dir>/exports/<token>/`` with a file naming its author; the link
the mentor gets is ``drill-exports/<token>/<file>`` on the app's own address. The route checks the
signed-in user (Gradio's sign-in cookie) against the author before sending a byte: anyone else,
signed in or not, gets 404 as for a missing file. Reports are sent as downloads with a policy that
lets nothing in them run or load. The folder is not among Gradio's allowed paths.

Exports are kept ``export_keep_hours`` (``simulator/limits.py``) after they were written or last
downloaded (a download touches the export), and removed after that whenever a new export is
written and when the app starts: each replica cleans its own data directory.

With several replicas an export stays on the replica that wrote it (docs/deploy.md says why):
the link says so where it is shown (:func:`download_markdown`), and a replica asked for an
export it does not hold answers, in both languages, that the export must be made again.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulator import limits
from simulator.app.i18n import t
from simulator.app.services import AccessDenied, AppServices
from simulator.models import Language

ROUTE = "/drill-exports/{token}/{name}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,160}\.(html|md|csv)$")
_OWNER_FILE = ".author"
_REMOVING = ".removing-"
_MEDIA = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def new_export_folder(export_dir: Path, author: str) -> Path:
    """A fresh, unguessable folder for one export by ``author`` (old exports are removed first)."""
    remove_old_exports(export_dir)
    folder = export_dir / secrets.token_urlsafe(24)
    folder.mkdir(parents=True)
    (folder / _OWNER_FILE).write_text(author, encoding="utf-8")
    return folder


def remove_old_exports(export_dir: Path, *, now: float | None = None) -> int:
    """Remove the exports last written or downloaded more than ``export_keep_hours`` ago; return how many.

    Only export folders (a token name with an author file) are touched. A download already under
    way keeps streaming: an open file outlives its removal.
    """
    cutoff = (time.time() if now is None else now) - limits.EXPORT_KEEP_HOURS.value * 3600
    try:
        found = list(export_dir.iterdir())
    except OSError:
        return 0
    for leftover in (path for path in found if path.name.startswith(_REMOVING)):
        shutil.rmtree(leftover, ignore_errors=True)  # what an earlier removal could not finish
    folders = [folder for folder in found if _TOKEN.match(folder.name)]
    removed = 0
    for folder in folders:
        if not (folder / _OWNER_FILE).is_file() or _last_used(folder) >= cutoff:
            continue
        # renamed first (atomic), so a download that starts now finds no half-removed export
        doomed = folder.with_name(_REMOVING + folder.name)
        try:
            folder.rename(doomed)
        except OSError:
            continue  # removed by another thread meanwhile
        shutil.rmtree(doomed, ignore_errors=True)
        removed += 1
    return removed


def _last_used(folder: Path) -> float:
    """When the export was last written or downloaded (infinity when it cannot be read: kept)."""
    try:
        return max(path.stat().st_mtime for path in (folder, *folder.iterdir()))
    except OSError:
        return math.inf


def link_for(path: Path) -> str:
    """The relative link to an export (works behind a reverse proxy's path prefix too)."""
    return f"drill-exports/{path.parent.name}/{path.name}"


def download_markdown(path: Path, lang: Language, saved: str = "") -> str:
    """The link to an export as shown in the app, saying how long and from where it can be fetched."""
    note = t("export_kept_here", lang, hours=limits.EXPORT_KEEP_HOURS.value)
    return f"⬇️ [{path.name}]({link_for(path)})  \n<small>{' '.join(filter(None, [saved, note]))}</small>"


def _not_here() -> PlainTextResponse:
    # a plain-text page, outside the app and its language: the advice in both languages
    hours = limits.EXPORT_KEEP_HOURS.value
    text = "\n".join(t("export_not_here", lang, hours=hours) for lang in ("en", "zh-CN"))
    return PlainTextResponse(text, status_code=404)


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
        missing = _not_here()
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
        try:  # a download counts as a use: the export is kept export_keep_hours from now
            os.utime(folder / _OWNER_FILE)
        except OSError:
            return missing
        return FileResponse(
            path,
            media_type=_MEDIA[name.rsplit(".", 1)[1]],
            filename=name,
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
        )

    return Route(ROUTE, serve, methods=["GET"])
