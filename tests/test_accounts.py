"""Accounts: bcrypt-hashed users file, roles, single-user local mode, `drill users`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.accounts import LOCAL, Accounts
from simulator.cli import main


def test_no_file_means_local_mode(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "users.yaml")
    assert accounts.local_mode
    assert accounts.get("local") == LOCAL
    assert LOCAL.can("trainee") and LOCAL.can("mentor") and LOCAL.can("trainer")


def test_add_and_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    accounts = Accounts(path)
    assert accounts.add("ann", "correct horse", ["trainee"])
    assert not accounts.local_mode
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
    real = yaml.safe_load
    monkeypatch.setattr(yaml, "safe_load", lambda text: parses.append(1) or real(text))
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
    assert "single-user local mode" in listed.output
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
