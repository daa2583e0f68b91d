"""User accounts from a YAML file with bcrypt-hashed passwords.

With no users file the app runs in single-user local mode: one local user who holds every role.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import bcrypt
import yaml
from pydantic import Field

from simulator.models import StrictModel

Role = Literal["trainee", "mentor", "trainer"]
ROLES: tuple[Role, ...] = ("trainee", "mentor", "trainer")
LOCAL_USER = "local"


class UserEntry(StrictModel):
    """One account in the users file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{2,64}$", description="Login name.")
    display_name: str | None = Field(default=None, description="Name shown in the app.")
    roles: list[Role] = Field(min_length=1, description="trainee, mentor and/or trainer.")
    password_hash: str = Field(description="bcrypt hash; set with `drill users add`.")


class UsersFile(StrictModel):
    """The users file (``DRILL_USERS_FILE``, default ``<data dir>/users.yaml``)."""

    users: list[UserEntry] = Field(default_factory=list, description="Accounts.")


@dataclass(frozen=True)
class User:
    """A signed-in user (or the local user in single-user mode)."""

    name: str
    roles: frozenset[str]
    display_name: str | None = None

    def can(self, role: str) -> bool:
        """True when the user holds ``role``."""
        return role in self.roles

    @property
    def sees_all_sessions(self) -> bool:
        """Mentors (and trainers) see every trainee's sessions; trainees only their own."""
        return self.can("mentor") or self.can("trainer")


LOCAL = User(name=LOCAL_USER, roles=frozenset(ROLES), display_name="local")


class Accounts:
    """Load, check and update the users file."""

    def __init__(self, path: Path | None):
        self.path = path
        # Every app event looks its user up; the file is parsed again only when it changed.
        self._cache: tuple[tuple[int, int], UsersFile] | None = None

    @property
    def local_mode(self) -> bool:
        """True when there is no users file: single-user local mode."""
        return self.path is None or not self.path.exists()

    def load(self) -> UsersFile:
        """Read the users file (empty when missing); raise ValueError with the path on bad content."""
        if self.path is None:
            return UsersFile()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return UsersFile()
        signature = (stat.st_mtime_ns, stat.st_size)
        if self._cache is not None and self._cache[0] == signature:
            return self._cache[1]
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            users = UsersFile.model_validate(data)
        except (yaml.YAMLError, ValueError) as exc:
            raise ValueError(f"{self.path}: invalid users file: {exc}") from exc
        self._cache = (signature, users)
        return users

    def authenticate(self, name: str, password: str) -> User | None:
        """Return the user when the password matches, else None."""
        for entry in self.load().users:
            if entry.name == name and bcrypt.checkpw(password.encode(), entry.password_hash.encode()):
                return User(entry.name, frozenset(entry.roles), entry.display_name)
        return None

    def get(self, name: str) -> User | None:
        """Look a user up by name (no password check; for sessions already signed in)."""
        if self.local_mode and name == LOCAL_USER:
            return LOCAL
        for entry in self.load().users:
            if entry.name == name:
                return User(entry.name, frozenset(entry.roles), entry.display_name)
        return None

    def add(self, name: str, password: str, roles: list[Role], display_name: str | None = None) -> bool:
        """Add or update a user; return True when the user is new."""
        if len(password) < 8:
            raise ValueError("password must be at least 8 characters")
        users = self.load()
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
        entry = UserEntry(name=name, display_name=display_name, roles=sorted(set(roles)), password_hash=hashed)
        existing = [u for u in users.users if u.name != name]
        is_new = len(existing) == len(users.users)
        self._save(UsersFile(users=[*existing, entry]))
        return is_new

    def remove(self, name: str) -> bool:
        """Delete a user; return True when one was removed."""
        users = self.load()
        kept = [u for u in users.users if u.name != name]
        if len(kept) == len(users.users):
            return False
        self._save(UsersFile(users=kept))
        return True

    def _save(self, users: UsersFile) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            yaml.safe_dump(users.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        self._cache = None  # a write within the clock's resolution could keep mtime and size

    def names(self) -> list[tuple[str, list[str]]]:
        """(name, roles) of every account."""
        return [(u.name, list(u.roles)) for u in self.load().users]
