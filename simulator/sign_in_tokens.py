"""Sign-ins in the database, so that every replica on one database accepts a sign-in made on any.

Gradio keeps the token behind its sign-in cookie in a dict of one process (``App.tokens``) and
names the cookie after a random id drawn at start (``access-token-<cookie_id>``). Behind a proxy
with two replicas, a trainee whose replica goes down would meet the sign-in page on the other.
:class:`SignInTokens` takes the dict's place (``simulator/app/http.py`` installs it when the
server starts, before any request): Gradio still draws the token (128 random bits) and checks the
password through drill's ``auth`` callable (bcrypt, throttled); this class stores only the
token's SHA-256, the account name and an expiry in ``sign_in_tokens`` (migration
``_m11_sign_in_tokens``). A stolen copy of the table lets nobody in; a token past its expiry, or
whose row is gone, is no sign-in (fail closed), and the guard still looks the account up on every
event. The cookie's name comes from the database (its URL, password hidden), the same for every
replica of one deployment and different for another deployment on the same host.

Signing out (``/logout``, drill's own route) deletes every token of the account, on every replica.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from simulator import limits
from simulator.store_rows import Base, utcnow


class SignInTokenRow(Base):
    """One sign-in: the SHA-256 of its token, whose it is and until when it holds."""

    __tablename__ = "sign_in_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; every one drill writes is UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SignInTokens:
    """What Gradio's ``App.tokens`` dict is used as (``get``, ``in``, ``[token] = name``, ``del``), in the database.

    Only those operations: listing tokens is not possible (only their hashes are stored), so
    Gradio's own ``/logout``, which walks the dict, is replaced by drill's (``http.logout_route``).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def cookie_id(self) -> str:
        """The suffix of Gradio's cookie names: one per database, so every replica reads the same cookie."""
        where = self.engine.url.render_as_string(hide_password=True)
        return hashlib.sha256(f"drill sign-in {where}".encode()).hexdigest()[:32]

    def get(self, token: str | None, default: str | None = None) -> str | None:
        """The account signed in with ``token`` while it holds; ``default`` otherwise."""
        if not token:
            return default
        with self._sessions() as db:
            row = db.get(SignInTokenRow, _digest(token))
            if row is None or _aware(row.expires_at) <= utcnow():
                return default
            return row.user_name

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.get(token) is not None

    def __getitem__(self, token: str) -> str:
        name = self.get(token)
        if name is None:
            raise KeyError("no such sign-in")
        return name

    def __setitem__(self, token: str, user_name: str) -> None:
        """Record a sign-in Gradio has just granted; sign-ins past their expiry are cleared meanwhile."""
        now = utcnow()
        hours = limits.SIGN_IN_HOURS.value
        with self._sessions.begin() as db:
            db.execute(delete(SignInTokenRow).where(SignInTokenRow.expires_at < now))
            db.add(
                SignInTokenRow(
                    token_sha256=_digest(token),
                    user_name=user_name,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )

    def __delitem__(self, token: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(SignInTokenRow).where(SignInTokenRow.token_sha256 == _digest(token)))

    def sign_out(self, user_name: str) -> int:
        """End every sign-in of ``user_name`` (on every replica); how many there were."""
        with self._sessions.begin() as db:
            result = db.execute(delete(SignInTokenRow).where(SignInTokenRow.user_name == user_name))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def holders(self) -> list[str]:
        """Accounts with a sign-in that still holds (for ``drill users`` and the tests)."""
        with self._sessions() as db:
            rows = db.scalars(select(SignInTokenRow.user_name).where(SignInTokenRow.expires_at > utcnow()))
            return sorted(set(rows))
