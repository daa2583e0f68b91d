"""Fail closed: the access mode is decided once, and a missing accounts store refuses everyone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from simulator import limits
from simulator.access import AccessMode, StartupRefused, check_host, decide, is_loopback
from simulator.accounts import Accounts
from simulator.app.services import AccessDenied, AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings
from tests.offline_fixtures import write_content
from tests.test_app_e2e import PASSWORD, free_port, make_services
from tests.test_app_security import QueueCaller


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "drill.example.org", ""])
def test_other_addresses(host: str) -> None:
    assert not is_loopback(host)


def test_the_decision(tmp_path: Path) -> None:
    none = Accounts(tmp_path / "none.yaml")
    assert decide(none, "127.0.0.1").mode is AccessMode.single_user
    with pytest.raises(StartupRefused, match=r"refusing to listen on 0\.0\.0\.0 without accounts.*--single-user"):
        decide(none, "0.0.0.0")
    explicit = decide(none, "0.0.0.0", single_user=True)
    assert explicit.single_user and explicit.explicit_single_user
    check_host(explicit, "0.0.0.0")
    with pytest.raises(StartupRefused, match="decided for loopback only"):
        check_host(decide(none, "127.0.0.1"), "0.0.0.0")
    some = Accounts(tmp_path / "users.yaml")
    some.add("ann", "correct horse", ["trainee"])
    assert decide(some, "0.0.0.0").mode is AccessMode.accounts
    assert decide(some, "127.0.0.1").mode is AccessMode.accounts  # accounts apply on loopback too
    with pytest.raises(StartupRefused, match="accounts exist"):
        decide(some, "127.0.0.1", single_user=True)


def test_launch_refuses_single_user_beyond_loopback(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    assert services.local_mode
    with pytest.raises(StartupRefused):
        launch_app(services, host="0.0.0.0", port=free_port(), block=False, quiet=True)


def drop_accounts(services: AppServices) -> None:
    """What a lost accounts table looks like to the app (a restored backup without it, a wrong database)."""
    with services.store.engine.begin() as connection:
        connection.execute(text("DROP TABLE accounts"))


def test_a_vanished_accounts_table_denies_everyone(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    Accounts(users).add("ann", "correct horse", ["trainee", "mentor", "trainer"])  # imported at start-up
    settings = dataclasses.replace(load_settings(), content_dir=write_content(tmp_path / "content"), users_file=users)
    services = AppServices(settings, index_sync=lambda library: "")
    assert services.user("ann").can("trainee")
    drop_accounts(services)
    assert not services.local_mode  # decided at start-up: never falls back to single-user mode
    with pytest.raises(AccessDenied) as denied:
        services.user("ann")
    assert denied.value.key == "accounts_unavailable" and "cannot be read" in denied.value.message("en")
    with pytest.raises(AccessDenied):
        services.user("local")
    assert not services.authenticate("ann", "correct horse")


def test_the_attack_removing_the_accounts_under_a_running_app(tmp_path: Path) -> None:
    """Issue 10: a trainee signed in, the accounts gone: the app must not turn into single-user mode."""
    users = tmp_path / "users.yaml"
    accounts = Accounts(users)
    for name, role in (("alice", "trainee"), ("tess", "trainee")):
        accounts.add(name, PASSWORD, [role])  # type: ignore[list-item]
    services = make_services(tmp_path, users_file=users)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    try:
        alice = QueueCaller(url, "alice")
        progress = next(i for i, fn in demo.fns.items() if fn.api_name == "my_progress")
        find = next(i for i, fn in demo.fns.items() if fn.api_name == "find_sessions")
        assert alice.call(progress, [None])[-1]["success"] is True
        assert "needs the mentor role" in str(alice.call(find, [None] * 9)[-1])

        # sign-in throttling, per account, before the password is even checked
        http = httpx.Client(base_url=url)
        for _ in range(limits.LOGIN_FAILURES_PER_USER.value):
            assert http.post("/login", data={"username": "tess", "password": "guess"}).status_code == 400
        paused = http.post("/login", data={"username": "tess", "password": PASSWORD})
        assert paused.status_code == 429 and "Too many failed sign-ins for this account" in paused.text
        assert int(paused.headers["retry-after"]) > 0

        users.unlink()  # imported at start-up: the file no longer matters
        assert alice.call(progress, [None])[-1]["success"] is True
        drop_accounts(services)
        denied = alice.call(progress, [None])[-1]
        assert denied["success"] is False and "Access is denied until the accounts are back" in str(denied)
        assert "Access is denied" in str(alice.call(find, [None] * 9)[-1])  # no mentor (nor anything else)
        assert http.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 400
    finally:
        demo.close()
