"""Accounts: the bcrypt-hashed users file store, roles, single-user local mode, `drill users`."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import accounts as accounts_module
from simulator import limits
from simulator.account_table import accounts_for
from simulator.accounts import LOCAL, Accounts, AccountsUnavailable
from simulator.cli import main
from simulator.config import load_settings
from simulator.login_throttle import LoginThrottle, LoginThrottled
from simulator.sign_in_tokens import SignInTokens
from simulator.store import SessionStore


def test_no_file_means_no_accounts(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "users.yaml")
    assert not accounts.has_accounts()
    with pytest.raises(AccountsUnavailable, match="is missing"):
        accounts.get("local")  # nobody is let in through a store that is not there
    assert LOCAL.can("trainee") and LOCAL.can("mentor") and LOCAL.can("trainer")


def test_add_and_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    accounts = Accounts(path)
    assert accounts.add("ann", "correct horse", ["trainee"])
    assert accounts.has_accounts()
    assert "correct horse" not in path.read_text()
    user = accounts.authenticate("ann", "correct horse")
    assert user is not None and user.roles == {"trainee"} and not user.sees_all_sessions
    assert accounts.authenticate("ann", "wrong password") is None
    assert accounts.authenticate("nobody", "correct horse") is None
    assert not accounts.add("ann", "another pass", ["mentor", "trainer"])
    updated = accounts.authenticate("ann", "another pass")
    assert updated is not None and updated.sees_all_sessions and updated.can("trainer")


def test_the_file_is_parsed_again_only_when_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "users.yaml"
    app_side = Accounts(path)
    Accounts(path).add("ann", "correct horse", ["trainee"])  # e.g. `drill users add` while the app runs
    parses = []
    real = accounts_module.load_bounded
    monkeypatch.setattr(accounts_module, "load_bounded", lambda *args: parses.append(1) or real(*args))
    for _ in range(3):
        assert app_side.get("ann") is not None
    assert len(parses) == 1
    Accounts(path).add("bob", "battery staple", ["mentor"])  # another process changes the file
    parses.clear()
    assert app_side.get("bob") is not None and app_side.get("bob") is not None
    assert len(parses) == 1
    assert Accounts(path).remove("bob")
    assert app_side.get("bob") is None


def test_short_password_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        Accounts(tmp_path / "u.yaml").add("ann", "short", ["trainee"])


def test_users_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "users.yaml"
    monkeypatch.setenv("DRILL_USERS_FILE", str(users_file))
    runner = CliRunner()
    listed = runner.invoke(main, ["users", "list"])
    assert "single-user mode on 127.0.0.1" in listed.output
    added = runner.invoke(
        main, ["users", "add", "mia", "--role", "mentor", "--role", "trainer", "--password", "s3cret-pass"]
    )
    assert added.exit_code == 0, added.output
    assert "added mia (mentor, trainer)" in added.output
    assert "mia" in runner.invoke(main, ["users", "list"]).output
    bad = runner.invoke(main, ["users", "add", "bob", "--role", "boss", "--password", "s3cret-pass"])
    assert bad.exit_code == 2 and "'boss' is not one of" in bad.output
    assert runner.invoke(main, ["users", "remove", "mia"]).exit_code == 0
    assert runner.invoke(main, ["users", "remove", "mia"]).exit_code == 2


def test_the_users_file_is_private_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    accounts = Accounts(path)
    accounts.add("ann", "correct horse", ["trainee"])
    accounts.add("bob", "battery staple", ["mentor"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.yaml", "users.yaml.lock"]  # no temp file left
    assert [name for name, _ in Accounts(path).names()] == ["ann", "bob"]


def _add_many(path: str, prefix: str) -> None:
    accounts = Accounts(Path(path))
    for index in range(4):
        accounts.add(f"{prefix}{index}", "long-enough-pw", ["trainee"])


def test_two_processes_adding_users_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_many, args=(str(path), prefix)) for prefix in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sorted(name for name, _ in Accounts(path).names()) == [f"{p}{i}" for p in "ab" for i in range(4)]


def test_a_broken_or_huge_users_file_is_unavailable_not_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users: [oops", encoding="utf-8")
    with pytest.raises(AccountsUnavailable, match="is not valid"):
        Accounts(path).get("ann")
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
    )
    path.write_text(bomb, encoding="utf-8")
    with pytest.raises(AccountsUnavailable, match="aliases expanded"):
        Accounts(path).get("ann")
    monkeypatch.setenv("DRILL_MAX_USERS_FILE_BYTES", "10")
    path.write_text("users: []\n# padding\n", encoding="utf-8")
    with pytest.raises(AccountsUnavailable, match="DRILL_MAX_USERS_FILE_BYTES"):
        Accounts(path).get("ann")


def test_reset_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "users.yaml"
    monkeypatch.setenv("DRILL_USERS_FILE", str(users_file))
    Accounts(users_file).add("ann", "old-password", ["trainee", "mentor"])
    signed_in = SignInTokens(SessionStore(load_settings().sqlalchemy_url).engine)
    signed_in["a-token-from-the-old-password"] = "ann"
    runner = CliRunner()
    reset = runner.invoke(main, ["users", "reset-password", "ann", "--password", "new-password"])
    assert reset.exit_code == 0, reset.output
    assert "password of ann reset" in reset.output and "1 sign-in(s) with the old one ended" in reset.output
    assert signed_in.get("a-token-from-the-old-password") is None  # on every replica: the table is shared
    accounts = accounts_for(load_settings(), SessionStore(load_settings().sqlalchemy_url).engine)
    user = accounts.authenticate("ann", "new-password")  # in the database, where the users file was imported
    assert user is not None and user.roles == {"trainee", "mentor"}
    assert accounts.authenticate("ann", "old-password") is None
    unknown = runner.invoke(main, ["users", "reset-password", "nobody", "--password", "new-password"])
    assert unknown.exit_code == 2 and "no user named 'nobody'" in unknown.output
    short = runner.invoke(main, ["users", "reset-password", "ann", "--password", "short"])
    assert short.exit_code == 2 and "at least 8" in short.output


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_sign_ins_pause_the_account_then_expire(tmp_path: Path) -> None:
    clock = Clock()
    accounts = Accounts(tmp_path / "users.yaml", throttle=LoginThrottle(clock))
    accounts.add("ann", "correct horse", ["trainee"])
    for _ in range(limits.LOGIN_FAILURES_PER_USER.value):
        assert accounts.authenticate("ann", "guess", "10.0.0.9") is None
    with pytest.raises(LoginThrottled, match="for this account") as paused:
        accounts.authenticate("ann", "correct horse", "10.0.0.7")  # even the right password waits
    assert 0 < paused.value.retry_after_s <= limits.LOGIN_WINDOW_SECONDS.value
    clock.now += limits.LOGIN_WINDOW_SECONDS.value + 1
    assert accounts.authenticate("ann", "correct horse", "10.0.0.7") is not None


def test_failed_sign_ins_from_one_address_pause_that_address(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "users.yaml", throttle=LoginThrottle(Clock()))
    accounts.add("ann", "correct horse", ["trainee"])
    for index in range(limits.LOGIN_FAILURES_PER_ADDRESS.value):
        assert accounts.authenticate(f"guess{index}", "guess", "10.0.0.9") is None  # a new name each time
    with pytest.raises(LoginThrottled, match="from this address"):
        accounts.authenticate("ann", "correct horse", "10.0.0.9")
    assert accounts.authenticate("ann", "correct horse", "10.0.0.8") is not None  # another address is fine


def test_a_good_password_clears_the_accounts_failures(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "users.yaml", throttle=LoginThrottle(Clock()))
    accounts.add("ann", "correct horse", ["trainee"])
    for _ in range(3):
        for _ in range(limits.LOGIN_FAILURES_PER_USER.value - 1):
            accounts.authenticate("ann", "typo", None)
        assert accounts.authenticate("ann", "correct horse", None) is not None
