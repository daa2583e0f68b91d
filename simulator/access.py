"""How the app decides, once at start-up, whether people sign in.

- Accounts exist (the store is set up): everyone signs in, whatever the address. From then on a
  missing or unreadable store refuses everyone; it never falls back to single-user mode.
- No accounts, bound to a loopback address (127.0.0.1, ::1, localhost): single-user local mode, so
  the quick start works on one's own machine.
- No accounts, ``--single-user`` given: single-user mode on any address, because someone said so.
- No accounts, any other address: drill refuses to start and says why.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from simulator.accounts import Accounts
from simulator.errors import DrillError


class AccessMode(StrEnum):
    """Single-user local mode (one user with every role) or accounts (everyone signs in)."""

    single_user = "single-user"
    accounts = "accounts"


class StartupRefused(DrillError):
    """The app would be open to everyone who can reach it; it does not start."""


@dataclass(frozen=True)
class Access:
    """The access decision of one process."""

    mode: AccessMode
    reason: str
    explicit_single_user: bool = False

    @property
    def single_user(self) -> bool:
        """True in single-user local mode."""
        return self.mode is AccessMode.single_user


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def decide(accounts: Accounts, host: str = "127.0.0.1", *, single_user: bool = False) -> Access:
    """The access mode for serving on ``host``; ``StartupRefused`` when it would be unsafe."""
    if accounts.has_accounts():
        if single_user:
            raise StartupRefused(
                f"--single-user was given, but accounts exist ({accounts.location}): drop --single-user so "
                "that everyone signs in, or point DRILL_DATABASE_URL at a database without accounts"
            )
        return Access(AccessMode.accounts, f"accounts from {accounts.location}")
    if single_user:
        return Access(AccessMode.single_user, "single-user mode (--single-user)", explicit_single_user=True)
    if is_loopback(host):
        return Access(AccessMode.single_user, f"single-user local mode (no accounts; listening on {host} only)")
    raise StartupRefused(
        f"refusing to listen on {host} without accounts: anyone who can reach it would hold every role "
        f"(trainee, mentor, trainer) and see every session. Add accounts with `drill users add NAME --role "
        f"trainee` ({accounts.location}), listen on 127.0.0.1, or pass --single-user to accept that explicitly"
    )


def check_host(access: Access, host: str) -> None:
    """Refuse to serve single-user mode on a non-loopback address unless it was asked for explicitly."""
    if access.single_user and not access.explicit_single_user and not is_loopback(host):
        raise StartupRefused(
            f"refusing to listen on {host} in single-user mode: it was decided for loopback only; "
            "add accounts (`drill users add`) or pass --single-user"
        )
