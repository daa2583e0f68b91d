"""`drill serve`: wiring, the printed URL and clean failures (the server itself is tested in test_app_e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator.app.ui import CONCURRENCY_LIMIT, build_app, launch_options
from simulator.cli import main
from tests.offline_fixtures import write_content


class FakeDemo:
    def __init__(self) -> None:
        self.blocked = False

    def block_thread(self) -> None:
        self.blocked = True


def test_serve_prints_the_url_engines_and_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(write_content(tmp_path / "content")))
    calls: list[dict[str, Any]] = []
    demo = FakeDemo()

    def fake_launch(services: Any, **kwargs: Any) -> tuple[FakeDemo, str]:
        calls.append(kwargs)
        return demo, f"http://{kwargs['host']}:{kwargs['port']}/"

    monkeypatch.setattr("simulator.app.ui.launch_app", fake_launch)
    result = CliRunner().invoke(main, ["serve", "--host", "127.0.0.1", "--port", "7999"])
    assert result.exit_code == 0, result.output
    assert "drill is running at http://127.0.0.1:7999/" in result.output
    assert "4 personas, 2 cases" in result.output and "customer engine offline" in result.output
    assert "single-user local mode" in result.output
    assert calls[0]["block"] is False and demo.blocked


def test_serve_fails_cleanly_without_a_rubric(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = write_content(tmp_path / "content")
    (content / "casebank" / "rubric.yaml").unlink()
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2 and "cannot start" in result.output and "rubric" in result.output


def test_accounts_turn_on_login_and_the_queue_runs_drills_side_by_side(tmp_path: Path) -> None:
    from dataclasses import replace

    from simulator.accounts import Accounts
    from simulator.app.services import AppServices
    from simulator.config import load_settings

    users = tmp_path / "users.yaml"
    settings = replace(load_settings(), content_dir=write_content(tmp_path / "content"), users_file=users)
    services = AppServices(settings, index_sync=lambda library: "")
    assert "auth" not in launch_options(services)  # no users file: single-user local mode
    Accounts(users).add("alice", "long-enough-pw", ["trainee"])
    assert "auth" not in launch_options(services)  # the mode was decided at start-up
    services = AppServices(settings, index_sync=lambda library: "")
    options = launch_options(services)
    assert options["auth"]("alice", "long-enough-pw") and not options["auth"]("alice", "wrong")
    demo = build_app(services)
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    # the chat events take the queue's default: many trainees' replies stream at the same time
    assert demo._queue.default_concurrency_limit == CONCURRENCY_LIMIT >= 8
    send = next(fn for fn in demo.fns.values() if fn.api_name == "send_message")
    assert send.concurrency_limit == "default"


def fake_launch(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    started: list[Any] = []

    def launch(services: Any, **kwargs: Any) -> tuple[FakeDemo, str]:
        from simulator.access import check_host

        check_host(services.access, kwargs["host"])  # what the real launch_app checks first
        started.append(services)
        return FakeDemo(), f"http://{kwargs['host']}:7860/"

    monkeypatch.setattr("simulator.app.ui.launch_app", launch)
    return started


def test_serve_refuses_an_open_address_without_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(write_content(tmp_path / "content")))
    started = fake_launch(monkeypatch)
    refused = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and not started
    assert "refusing to listen on 0.0.0.0 without accounts" in refused.output and "drill users add" in refused.output
    allowed = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--single-user"])
    assert allowed.exit_code == 0, allowed.output
    assert "single-user mode (--single-user)" in allowed.output and started[0].local_mode


def test_serve_with_accounts_never_runs_single_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.accounts import Accounts

    monkeypatch.setenv("DRILL_CONTENT_DIR", str(write_content(tmp_path / "content")))
    users = tmp_path / "users.yaml"
    monkeypatch.setenv("DRILL_USERS_FILE", str(users))
    Accounts(users).add("alice", "long-enough-pw", ["trainee"])
    started = fake_launch(monkeypatch)
    both = CliRunner().invoke(main, ["serve", "--single-user"])
    assert both.exit_code == 2 and "--single-user was given, but accounts exist" in both.output
    served = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    # the users file was imported into the database once; the app reads the database
    assert served.exit_code == 0 and "accounts from the accounts table of sqlite:///" in served.output
    assert not started[0].local_mode and "warning" not in served.output
    # an edit to the imported file does nothing, and the start says so
    Accounts(users).add("bob", "long-enough-pw", ["trainee"])
    edited = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert edited.exit_code == 0 and f"warning: {users} is not read: accounts live in" in edited.output
    assert started[1].accounts.get("bob") is None
    # a users file that cannot be imported stops the start, with the reason
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "another-data-dir"))
    users.write_text("users: [oops", encoding="utf-8")
    broken = CliRunner().invoke(main, ["serve"])
    assert broken.exit_code == 2 and "is not valid" in broken.output and str(users) in broken.output
    assert len(started) == 2
