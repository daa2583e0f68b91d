"""Accounts in the database, on SQLite and PostgreSQL: one row per account, a users file imported once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from simulator.access import AccessMode, decide
from simulator.account_table import DatabaseAccountStore
from simulator.accounts import Accounts, AccountsUnavailable, UserEntry
from simulator.cli import main
from simulator.store import SessionStore

PASSWORD = "long-enough-pw"


def database_accounts(url: str, import_file: Path | None = None) -> Accounts:
    return Accounts(DatabaseAccountStore(SessionStore(url).engine, import_file=import_file))


def test_accounts_round_trip_and_stay_on_when_emptied(database_url: str) -> None:
    accounts = database_accounts(database_url)
    assert not accounts.has_accounts()
    assert decide(accounts, "127.0.0.1").mode is AccessMode.single_user
    assert accounts.add("ann", PASSWORD, ["trainee"], "Ann", team="north")
    assert not accounts.add("ann", PASSWORD, ["trainee", "mentor"], "Ann", mentor_of=["south", "north"])
    ann = accounts.authenticate("ann", PASSWORD)
    assert ann is not None and ann.roles == {"trainee", "mentor"} and ann.mentor_of == {"north", "south"}
    assert ann.team is None and ann.display_name == "Ann"
    assert accounts.authenticate("ann", "wrong password") is None
    assert accounts.set_teams("ann", team="east", mentor_of=None).team == "east"
    accounts.set_password("ann", "another-password")
    assert accounts.authenticate("ann", "another-password") is not None
    assert decide(accounts, "0.0.0.0").mode is AccessMode.accounts
    assert accounts.remove("ann") and not accounts.remove("ann")
    # removing the last account never turns the deployment into single-user mode
    assert accounts.has_accounts() and accounts.users() == []
    assert decide(accounts, "127.0.0.1").mode is AccessMode.accounts


def test_a_users_file_is_imported_once(database_url: str, tmp_path: Path) -> None:
    users_file = tmp_path / "users.yaml"
    Accounts(users_file).add("ann", PASSWORD, ["trainee"], team="north")
    Accounts(users_file).add("mia", PASSWORD, ["mentor"], mentor_of=["north"])
    imported = database_accounts(database_url, users_file)
    assert imported.has_accounts() and [user.name for user in imported.users()] == ["ann", "mia"]
    assert imported.authenticate("ann", PASSWORD) is not None  # the bcrypt hash came along
    record = DatabaseAccountStore(SessionStore(database_url).engine).import_record()
    assert record is not None and record.imported_from == str(users_file) and record.imported_count == 2
    # the file is not read again: its later changes, or its removal, change nothing
    Accounts(users_file).add("bob", PASSWORD, ["trainee"])
    assert imported.get("bob") is None and database_accounts(database_url, users_file).get("bob") is None
    users_file.unlink()
    assert [user.name for user in database_accounts(database_url, users_file).users()] == ["ann", "mia"]


def test_a_broken_users_file_is_not_imported_and_refuses_everyone(database_url: str, tmp_path: Path) -> None:
    users_file = tmp_path / "users.yaml"
    users_file.write_text("users: [oops", encoding="utf-8")
    accounts = database_accounts(database_url, users_file)
    with pytest.raises(AccountsUnavailable, match="is not valid"):
        accounts.has_accounts()  # `drill serve` stops here instead of starting in single-user mode
    with pytest.raises(AccountsUnavailable, match="is not valid"):
        accounts.add("ann", PASSWORD, ["trainee"])  # nor does an add hide the file's accounts
    users_file.unlink()
    Accounts(users_file).add("ann", PASSWORD, ["trainee"])
    assert [user.name for user in accounts.users()] == ["ann"]


def test_a_lost_or_tampered_accounts_table_refuses_everyone(database_url: str) -> None:
    accounts = database_accounts(database_url)
    accounts.add("ann", PASSWORD, ["trainee"])
    store = SessionStore(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET roles = '[\"boss\"]' WHERE name = 'ann'"))
    with pytest.raises(AccountsUnavailable, match="'ann' .* is not valid"):
        accounts.get("ann")
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE accounts"))
    with pytest.raises(AccountsUnavailable, match="cannot be read"):
        accounts.get("ann")
    with pytest.raises(AccountsUnavailable, match="cannot be read"):
        accounts.authenticate("ann", PASSWORD)


def _import_and_add(url: str, users_file: Path, prefix: str, password_hash: str, barrier: threading.Barrier) -> None:
    store = DatabaseAccountStore(SessionStore(url).engine, import_file=users_file)  # an engine of its own
    barrier.wait(60)
    for index in range(4):  # straight to the store: bcrypt would only slow the collision down
        store.put(UserEntry(name=f"{prefix}{index}", roles=["trainee"], password_hash=password_hash))


def test_writers_importing_and_adding_at_once_lose_nothing(database_url: str, tmp_path: Path) -> None:
    """Two writers with connections of their own (as two replicas or two `drill users add`) collide in the database."""
    users_file = tmp_path / "users.yaml"
    Accounts(users_file).add("old", PASSWORD, ["mentor"])
    (old,) = Accounts(users_file).store.entries()
    SessionStore(database_url)  # migrated once here, so that the writers collide on accounts alone
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            _import_and_add(database_url, users_file, prefix, old.password_hash, barrier)
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(prefix,)) for prefix in "abc"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    names = [user.name for user in database_accounts(database_url).users()]
    assert names == [f"{p}{i}" for p in "abc" for i in range(4)] + ["old"]


def test_drill_users_writes_to_the_database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILL_DATABASE_URL", database_url)
    monkeypatch.setenv("DRILL_USERS_FILE", str(tmp_path / "users.yaml"))
    runner = CliRunner()
    assert "single-user mode on 127.0.0.1" in runner.invoke(main, ["users", "list"]).output
    added = runner.invoke(
        main, ["users", "add", "mia", "--role", "mentor", "--mentor-of", "north", "--password", PASSWORD]
    )
    assert added.exit_code == 0, added.output
    assert "added mia (mentor) in the accounts table of" in added.output
    if "@" in database_url:  # a server URL: its password is never printed
        assert database_url.split(":")[2].split("@")[0] not in added.output
    assert not (tmp_path / "users.yaml").exists()
    listed = runner.invoke(main, ["users", "list"])
    assert "mia" in listed.output and "coaches north" in listed.output
    assert database_accounts(database_url).authenticate("mia", PASSWORD) is not None
    assert runner.invoke(main, ["users", "remove", "mia"]).exit_code == 0
    assert runner.invoke(main, ["users", "remove", "mia"]).exit_code == 2
