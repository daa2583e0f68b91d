"""Accounts in the database: the ``accounts`` table, shared by every replica and every ``drill users``.

:class:`DatabaseAccountStore` implements :class:`~simulator.accounts.AccountStore` over the
session store's database (SQLite or PostgreSQL), so replicas that share the database share the
accounts, and two ``drill users add`` at once each write their own row (nothing is read, changed
and written back whole, as with a file).

Accounts are *on* once the one-row table ``accounts_setup`` holds its row: the first account
written sets it, and it stays when the last account is removed (removing every account never
turns a deployment into single-user mode). A users YAML file (``DRILL_USERS_FILE``, default
``<data dir>/users.yaml``, the store of earlier versions) is imported automatically, once: the
first time a process opens the accounts of a database that has no setup row yet. The setup row
records the file, its SHA-256 and how many accounts came from it; later changes to the file are
ignored. Two processes importing at once: the setup row's primary key lets one win; the other's
transaction rolls back and it reads what the winner wrote.

Every row is validated as a :class:`~simulator.accounts.UserEntry` when read; a row that is not
valid, a table that is gone or a database that cannot be reached raise
:class:`~simulator.accounts.AccountsUnavailable` (everyone is refused, never let in).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from simulator import limits
from simulator.accounts import Accounts, AccountsUnavailable, UserEntry, UsersFileStore
from simulator.config import Settings
from simulator.store_rows import Base, utcnow

#: How often a write that collided with another writer's insert (same account, or the first
#: account of a database) is retried; the second attempt finds the other row and updates it.
_WRITE_ATTEMPTS = 3


class AccountRow(Base):
    """One account (the fields of :class:`~simulator.accounts.UserEntry`)."""

    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(120))
    roles: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    mentor_of: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccountsSetup(Base):
    """One row (id 1) once accounts are on; where they were imported from, if anywhere."""

    __tablename__ = "accounts_setup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_from: Mapped[str | None] = mapped_column(Text)
    imported_sha256: Mapped[str | None] = mapped_column(String(64))
    imported_count: Mapped[int | None] = mapped_column(Integer)


ACCOUNT_TABLES = (AccountRow, AccountsSetup)
_SETUP_ID = 1


class DatabaseAccountStore:
    """Accounts in the ``accounts`` table of ``engine``'s database (see the module docstring)."""

    def __init__(self, engine: Engine, *, import_file: Path | None = None):
        self.engine = engine
        self.import_file = import_file
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._checked_import = False

    @property
    def location(self) -> str:
        return f"the accounts table of {self.engine.url.render_as_string(hide_password=True)}"

    @contextmanager
    def _db(self, *, write: bool = False) -> Iterator[Session]:
        """A session (a transaction when ``write``); database errors become ``AccountsUnavailable``."""
        try:
            if write:
                with self._sessions.begin() as db:
                    yield db
            else:
                with self._sessions() as db:
                    yield db
        except (IntegrityError, AccountsUnavailable):
            raise
        except SQLAlchemyError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise AccountsUnavailable(f"{self.location} cannot be read: {type(exc).__name__}: {first_line}") from exc

    def _import_once(self) -> None:
        """Import the users file the first time this database's accounts are opened (see module docstring)."""
        if self._checked_import:
            return
        with self._db() as db:
            is_set_up = db.get(AccountsSetup, _SETUP_ID) is not None
        if not is_set_up and self.import_file is not None and self.import_file.exists():
            entries = UsersFileStore(self.import_file).entries()  # bounded and validated; AccountsUnavailable if not
            digest = hashlib.sha256(self.import_file.read_bytes()).hexdigest()
            try:
                with self._db(write=True) as db:
                    db.add(
                        AccountsSetup(
                            id=_SETUP_ID,
                            imported_from=str(self.import_file),
                            imported_sha256=digest,
                            imported_count=len(entries),
                        )
                    )
                    db.flush()  # the setup row first: a second importer stops here
                    db.add_all(_row(entry) for entry in entries)
            except IntegrityError:
                pass  # another process set the accounts up first; theirs are the accounts
        self._checked_import = True

    def import_record(self) -> AccountsSetup | None:
        """The setup row (when accounts are on): when, and from which file they were imported."""
        self._import_once()
        with self._db() as db:
            return db.get(AccountsSetup, _SETUP_ID)

    def exists(self) -> bool:
        return self.import_record() is not None

    def ignored_file_note(self) -> str | None:
        """A note when the users file is there but not what was imported (edits to it do nothing now)."""
        if self.import_file is None or not self.import_file.exists():
            return None
        record = self.import_record()
        if record is None:
            return None
        # a file beyond the size limit was never imported, so it is not read to compare
        unchanged = (
            self.import_file.stat().st_size <= limits.USERS_FILE_BYTES.value
            and record.imported_sha256 == hashlib.sha256(self.import_file.read_bytes()).hexdigest()
        )
        if unchanged:
            return None
        since = f"imported from it on {record.created_at:%Y-%m-%d}" if record.imported_from else "set up"
        return (
            f"{self.import_file} is not read: accounts live in {self.location} ({since}); "
            "change them with `drill users`, and delete the file"
        )

    def entries(self) -> list[UserEntry]:
        self._import_once()
        with self._db() as db:
            return [self._entry(row) for row in db.scalars(select(AccountRow).order_by(AccountRow.name))]

    def entry(self, name: str) -> UserEntry | None:
        self._import_once()
        with self._db() as db:
            row = db.get(AccountRow, name)
            return self._entry(row) if row is not None else None

    def put(self, entry: UserEntry) -> bool:
        self._import_once()
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self._db(write=True) as db:
                    if db.get(AccountsSetup, _SETUP_ID) is None:
                        db.add(AccountsSetup(id=_SETUP_ID))
                    row = db.get(AccountRow, entry.name)
                    if row is None:
                        db.add(_row(entry))
                        return True
                    for key, value in _values(entry).items():
                        setattr(row, key, value)
                    row.updated_at = utcnow()
                    return False
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise AccountsUnavailable(
                        f"{self.location}: the account {entry.name} kept colliding with other writers; try again"
                    ) from None
        raise AssertionError("unreachable")

    def delete(self, name: str) -> bool:
        self._import_once()
        with self._db(write=True) as db:
            return bool(db.execute(delete(AccountRow).where(AccountRow.name == name)).rowcount)  # type: ignore[attr-defined]

    def _entry(self, row: AccountRow) -> UserEntry:
        try:
            return UserEntry.model_validate(_values_of(row))
        except ValidationError as exc:
            raise AccountsUnavailable(
                f"the account {row.name!r} in {self.location} is not valid: {exc}; fix it with `drill users add` "
                "or remove it with `drill users remove`"
            ) from exc


def accounts_for(settings: Settings, engine: Engine) -> Accounts:
    """The accounts of a deployment: its database's, importing ``DRILL_USERS_FILE`` once (module docstring)."""
    return Accounts(DatabaseAccountStore(engine, import_file=settings.users_file or settings.data_dir / "users.yaml"))


def accounts_note(accounts: Accounts) -> str | None:
    """What to tell whoever starts the app about an ignored users file (None: nothing)."""
    store = accounts.store
    return store.ignored_file_note() if isinstance(store, DatabaseAccountStore) else None


def _values(entry: UserEntry) -> dict[str, Any]:
    return {
        "display_name": entry.display_name,
        "roles": list(entry.roles),
        "password_hash": entry.password_hash,
        "team": entry.team,
        "mentor_of": list(entry.mentor_of),
    }


def _row(entry: UserEntry) -> AccountRow:
    return AccountRow(name=entry.name, **_values(entry))


def _values_of(row: AccountRow) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": row.name,
        "roles": row.roles,
        "password_hash": row.password_hash,
        "mentor_of": row.mentor_of or [],
    }
    if row.display_name is not None:
        values["display_name"] = row.display_name
    if row.team is not None:
        values["team"] = row.team
    return values
