"""What the programme's commands share: the services, who acts, and turning errors into one line.

Whoever runs these commands can already read the database and the users file, so by default
they act as an administrator named ``cli``; ``--by NAME`` records a mentor or admin account as
the author instead (and limits the command to the teams that account coaches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from simulator.account_table import accounts_for
from simulator.accounts import AccountsUnavailable, User
from simulator.cli.root import fail
from simulator.config import Settings
from simulator.errors import DrillError
from simulator.programme.service import Programme
from simulator.store import SessionStore

CLI_ACTOR = User(name="cli", roles=frozenset({"admin", "mentor"}), display_name="drill CLI")
T = TypeVar("T")


def programme_for(current: Settings) -> Programme:
    """The programme's services over the configured database and accounts."""
    store = SessionStore(current.sqlalchemy_url)
    return Programme(store, accounts_for(current, store.engine))


def actor(programme: Programme, by: str | None) -> User:
    """The user the command acts as: ``--by`` (a mentor or admin account), else the CLI administrator."""
    if not by:
        return CLI_ACTOR
    with errors():
        user = programme.find_user(by)
    if user is None or not (user.can("mentor") or user.is_admin):
        fail(f"--by {by}: no mentor or admin account of that name (see `drill users list`)")
        raise AssertionError  # fail() exits
    return user


@contextmanager
def errors() -> Iterator[None]:
    """Print a programme or accounts error as one line and exit 2."""
    try:
        yield
    except (DrillError, AccountsUnavailable) as exc:
        fail(str(exc))


def run(action: Callable[[], T]) -> T:
    """Call ``action``; a programme error becomes one line and exit code 2."""
    with errors():
        return action()
    raise AssertionError  # unreachable: errors() exits
