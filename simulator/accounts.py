"""User accounts: who may sign in, with which roles.

Accounts live behind one :class:`AccountStore` interface. The app and ``drill users`` keep them
in the database (``simulator.account_table.DatabaseAccountStore``, shared by every replica);
``UsersFileStore`` is a YAML file (bcrypt hashes, written atomically with 0600 permissions), the
store of earlier versions, which the database store imports once.
:class:`Accounts` adds what every store needs on top: password checks with throttling, roles,
password rules.

Teams belong to the account: a trainee is in one ``team``; a mentor coaches the teams listed in
``mentor_of`` (one or more); an ``admin`` sees every team.

Whether the app uses accounts at all is decided once at start-up (``simulator.access``); once
it does, a store that is missing or unreadable refuses everyone (:class:`AccountsUnavailable`)
instead of falling back to single-user mode.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import bcrypt
import yaml
from pydantic import Field, ValidationError, field_validator

from simulator import limits
from simulator.errors import DrillError
from simulator.login_throttle import LoginThrottle
from simulator.models import StrictModel
from simulator.safe_yaml import YamlLimitError, load_bounded

Role = Literal["trainee", "mentor", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "mentor", "trainer", "admin")
TEAM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
LOCAL_USER = "local"
MIN_PASSWORD_CHARS = 8


class AccountsUnavailable(DrillError):
    """The accounts store cannot be read while accounts are on: nobody is let in."""


class UserEntry(StrictModel):
    """One account."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{2,64}$", description="Login name.")
    display_name: str | None = Field(default=None, max_length=120, description="Name shown in the app.")
    roles: list[Role] = Field(min_length=1, description="trainee, mentor, trainer and/or admin.")
    password_hash: str = Field(max_length=200, description="bcrypt hash; set with `drill users add`.")
    team: str | None = Field(default=None, pattern=TEAM_PATTERN, description="The team a trainee belongs to.")
    mentor_of: list[str] = Field(
        default_factory=list, max_length=100, description="Teams this mentor coaches (ids like the trainees' team)."
    )

    @field_validator("mentor_of")
    @classmethod
    def _team_ids(cls, teams: list[str]) -> list[str]:
        bad = [team for team in teams if not re.match(TEAM_PATTERN, team)]
        if bad:
            raise ValueError(f"team ids are lower-case letters, digits, '-' or '_': {', '.join(bad)}")
        return sorted(set(teams))


class UsersFile(StrictModel):
    """The users file (``DRILL_USERS_FILE``, default ``<data dir>/users.yaml``)."""

    users: list[UserEntry] = Field(default_factory=list, description="Accounts.")


@dataclass(frozen=True)
class User:
    """A signed-in user (or the local user in single-user mode)."""

    name: str
    roles: frozenset[str]
    display_name: str | None = None
    team: str | None = None
    mentor_of: frozenset[str] = frozenset()

    def can(self, role: str) -> bool:
        """True when the user holds ``role``."""
        return role in self.roles

    @property
    def sees_all_sessions(self) -> bool:
        """Mentors, trainers and admins see every trainee's sessions; trainees only their own."""
        return self.can("mentor") or self.can("trainer") or self.can("admin")

    @property
    def is_admin(self) -> bool:
        """Admins see every team."""
        return "admin" in self.roles

    def coaches(self, trainee: User) -> bool:
        """True when this user may follow ``trainee``'s training: an admin, or a mentor of their team."""
        if self.is_admin:
            return True
        return self.can("mentor") and trainee.team is not None and trainee.team in self.mentor_of


LOCAL = User(name=LOCAL_USER, roles=frozenset(ROLES), display_name="local")


# ---------------------------------------------------------------------------------------------
# Stores


class AccountStore(Protocol):
    """Where accounts are kept. Every method raises ``AccountsUnavailable`` when the store cannot be read."""

    @property
    def location(self) -> str:
        """Where the accounts are, for messages (a path, a database table)."""
        ...

    def exists(self) -> bool:
        """True when the store has been set up (it may still turn out unreadable)."""
        ...

    def entries(self) -> list[UserEntry]:
        """Every account."""
        ...

    def entry(self, name: str) -> UserEntry | None:
        """The account ``name``, or None."""
        ...

    def put(self, entry: UserEntry) -> bool:
        """Add or replace the account ``entry.name``; True when it is new."""
        ...

    def delete(self, name: str) -> bool:
        """Remove an account; True when there was one."""
        ...


class UsersFileStore:
    """Accounts in a YAML file, re-read only when it changes; every write atomic and private (0600)."""

    def __init__(self, path: Path):
        self.path = path
        self._cache: tuple[tuple[int, int], list[UserEntry]] | None = None

    @property
    def location(self) -> str:
        return f"users file {self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    def entries(self) -> list[UserEntry]:
        try:
            stat = self.path.stat()
        except FileNotFoundError as exc:
            raise AccountsUnavailable(
                f"the users file {self.path} is missing; restore it (or add an account with `drill users add`)"
            ) from exc
        except OSError as exc:
            raise AccountsUnavailable(f"the users file {self.path} cannot be read: {exc}") from exc
        signature = (stat.st_mtime_ns, stat.st_size)
        if self._cache is not None and self._cache[0] == signature:
            return self._cache[1]
        entries = self._read(stat.st_size)
        self._cache = (signature, entries)
        return entries

    def _read(self, size: int) -> list[UserEntry]:
        cap = limits.USERS_FILE_BYTES
        if size > cap.value:
            raise AccountsUnavailable(f"{self.path}: " + limits.too_long("the users file", size, cap))
        try:
            text = self.path.read_text(encoding="utf-8")
            data = load_bounded(text, str(self.path), limits.USERS_FILE_BYTES) or {}
            return UsersFile.model_validate(data).users
        except (OSError, UnicodeDecodeError) as exc:
            raise AccountsUnavailable(f"the users file {self.path} cannot be read: {exc}") from exc
        except (yaml.YAMLError, YamlLimitError, ValidationError, ValueError) as exc:
            raise AccountsUnavailable(f"the users file {self.path} is not valid: {exc}") from exc

    def entry(self, name: str) -> UserEntry | None:
        return next((e for e in self.entries() if e.name == name), None)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes (two `drill users add` at once lose nothing)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _current(self) -> list[UserEntry]:
        self._cache = None
        return self.entries() if self.exists() else []

    def put(self, entry: UserEntry) -> bool:
        with self._locked():
            current = self._current()
            kept = [u for u in current if u.name != entry.name]
            self._write([*kept, entry])
            return len(kept) == len(current)

    def delete(self, name: str) -> bool:
        with self._locked():
            current = self._current()
            kept = [u for u in current if u.name != name]
            if len(kept) == len(current):
                return False
            self._write(kept)
            return True

    def _write(self, entries: list[UserEntry]) -> None:
        text = yaml.safe_dump(
            UsersFile(users=entries).model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False
        )
        # A temporary file in the same folder (mkstemp creates it 0600), synced, then renamed over
        # the old one: a reader sees the old file or the new one, never half of one.
        handle, temp = tempfile.mkstemp(prefix=".users-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._cache = None


# ---------------------------------------------------------------------------------------------
# Accounts


class Accounts:
    """Check, add and change accounts in an :class:`AccountStore`."""

    def __init__(self, store: AccountStore | Path, throttle: LoginThrottle | None = None):
        self.store: AccountStore = UsersFileStore(store) if isinstance(store, Path) else store
        self.throttle = throttle or LoginThrottle()

    @property
    def location(self) -> str:
        """Where the accounts are (for messages)."""
        return self.store.location

    @property
    def path(self) -> Path | None:
        """The users file, for the file store (None for another store)."""
        return getattr(self.store, "path", None)

    def has_accounts(self) -> bool:
        """True when the store exists (accounts are on)."""
        return self.store.exists()

    def authenticate(self, name: str, password: str, address: str | None = None) -> User | None:
        """The user when the password matches, else None.

        Raises ``LoginThrottled`` (before any password check) while the account or the address is
        paused after too many failures, and ``AccountsUnavailable`` when the store cannot be read.
        """
        self.throttle.check(name, address)
        entry = self.store.entry(name)
        # bcrypt runs for unknown names too, so a wrong name and a wrong password take as long
        hashed = entry.password_hash if entry is not None else _DUMMY_HASH
        matches = bcrypt.checkpw(password.encode()[:72], hashed.encode())
        if entry is None or not matches:
            self.throttle.failed(name, address)
            return None
        self.throttle.succeeded(name, address)
        return _user(entry)

    def get(self, name: str) -> User | None:
        """Look a signed-in user up by name (``AccountsUnavailable`` when the store cannot be read)."""
        entry = self.store.entry(name)
        return _user(entry) if entry is not None else None

    def users(self) -> list[User]:
        """Every account, by name (``AccountsUnavailable`` when the store cannot be read)."""
        return sorted((_user(entry) for entry in self.store.entries()), key=lambda user: user.name)

    def add(
        self,
        name: str,
        password: str,
        roles: list[Role],
        display_name: str | None = None,
        *,
        team: str | None = None,
        mentor_of: list[str] | None = None,
    ) -> bool:
        """Add or update a user; return True when the user is new."""
        entry = UserEntry(
            name=name,
            display_name=display_name,
            roles=sorted(set(roles)),
            password_hash=_hash(password),
            team=team,
            mentor_of=mentor_of or [],
        )
        return self.store.put(entry)

    def set_teams(self, name: str, *, team: str | None, mentor_of: list[str] | None) -> User:
        """Change a user's team (``""`` clears it) and/or the teams they mentor; None leaves a value as is."""
        entry = self.store.entry(name) if self.store.exists() else None
        if entry is None:
            raise KeyError(name)
        changes: dict[str, object] = {}
        if team is not None:
            changes["team"] = team or None
        if mentor_of is not None:
            changes["mentor_of"] = mentor_of
        updated = UserEntry.model_validate({**entry.model_dump(), **changes})
        self.store.put(updated)
        return _user(updated)

    def set_password(self, name: str, password: str) -> None:
        """Give an existing user a new password (roles unchanged); ``KeyError`` when there is no such user."""
        entry = self.store.entry(name) if self.store.exists() else None
        if entry is None:
            raise KeyError(name)
        self.store.put(entry.model_copy(update={"password_hash": _hash(password)}))
        self.throttle.succeeded(name, None)  # a reset lifts the account's pause

    def remove(self, name: str) -> bool:
        """Delete a user; return True when one was removed."""
        return self.store.exists() and self.store.delete(name)

    def names(self) -> list[tuple[str, list[str]]]:
        """(name, roles) of every account."""
        return [(u.name, list(u.roles)) for u in self.store.entries()]

    def known(self, name: str) -> bool:
        """True when ``name`` is an account."""
        return self.get(name) is not None


def _user(entry: UserEntry) -> User:
    return User(entry.name, frozenset(entry.roles), entry.display_name, entry.team, frozenset(entry.mentor_of))


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password.encode()) > 72:
        raise ValueError("password must be at most 72 bytes (bcrypt ignores the rest)")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt()).decode()
