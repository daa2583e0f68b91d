"""Exports are removed ``export_keep_hours`` after they were written or last downloaded: when the next
export is written and when the app starts; a download keeps an export, anything else in the folder stays."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from simulator import limits
from simulator.accounts import Accounts
from simulator.app.exports import export_route, link_for, new_export_folder, remove_old_exports
from simulator.app.services import AppServices
from simulator.app.ui import build_app
from simulator.config import load_settings
from tests.offline_fixtures import write_content
from tests.test_app_e2e import PASSWORD

HOUR = 3600.0


def export(export_dir: Path, author: str, name: str, *, hours_ago: float) -> Path:
    """One export by ``author`` written ``hours_ago``."""
    path = new_export_folder(export_dir, author) / name
    path.write_text("<p>report</p>", encoding="utf-8")
    age(path, hours_ago)
    return path


def age(path: Path, hours_ago: float) -> None:
    """Date the export of ``path`` (its folder and files) ``hours_ago``."""
    then = time.time() - hours_ago * HOUR
    for written in (path, path.parent / ".author", path.parent):
        os.utime(written, (then, then))


@pytest.fixture
def services(tmp_path: Path) -> AppServices:
    users = tmp_path / "users.yaml"
    Accounts(users).add("mia", PASSWORD, ["mentor"])
    settings = dataclasses.replace(
        load_settings(),
        content_dir=write_content(tmp_path / "content"),
        data_dir=tmp_path / "data",
        database_url=None,
        users_file=users,
        llm_base_url=None,
        llm_api_key=None,
        shipped_content_dir=None,
    )
    return AppServices(settings, index_sync=lambda library: "")


def test_old_exports_go_when_a_new_one_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.EXPORT_KEEP_HOURS.env, "24")
    exports = tmp_path / "exports"
    fresh = export(exports, "mia", "recent.md", hours_ago=23)
    stale = export(exports, "mia", "old.html", hours_ago=25)  # dated after it was written
    unrelated = exports / "notes"  # not an export: no token name, no author
    unrelated.mkdir()
    assert stale.is_file() and fresh.is_file()

    newest = new_export_folder(exports, "mia")
    assert not stale.parent.exists()
    assert fresh.is_file() and newest.is_dir() and unrelated.is_dir()
    assert not [path for path in exports.iterdir() if path.name.startswith(".")]  # nothing half-removed left

    # the limit follows its variable: at 12 hours the 23-hour-old export goes too
    monkeypatch.setenv(limits.EXPORT_KEEP_HOURS.env, "12")
    assert remove_old_exports(exports) == 1
    assert not fresh.parent.exists() and newest.is_dir()


def test_a_download_keeps_an_export_and_the_app_cleans_at_start(
    services: AppServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(limits.EXPORT_KEEP_HOURS.env, "24")
    exports = services.settings.data_dir / "exports"
    downloaded = export(exports, "mia", "report.html", hours_ago=20)
    forgotten = export(exports, "mia", "other.html", hours_ago=20)

    app = Starlette(routes=[export_route(services, exports)])
    # what Gradio's app carries once drill's sign-ins are installed (simulator/app/http.py)
    app.tokens = {"mia-token": "mia"}  # type: ignore[attr-defined]
    app.cookie_id = "test"  # type: ignore[attr-defined]
    client = TestClient(app, cookies={"access-token-test": "mia-token"})
    assert client.get("/" + link_for(downloaded)).status_code == 200

    # five hours on, past 24 hours since both were written: only the one never downloaded goes
    assert remove_old_exports(exports, now=time.time() + 5 * HOUR) == 1
    assert downloaded.is_file() and not forgotten.parent.exists()
    assert client.get("/" + link_for(downloaded)).status_code == 200

    # an app starting on this data directory removes what has outlived the limit
    age(downloaded, 30)
    build_app(services)
    assert not downloaded.parent.exists()
    assert client.get("/" + link_for(downloaded)).status_code == 404
