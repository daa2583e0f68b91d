"""`drill users`: manage accounts in the users file."""

from __future__ import annotations

import click

from simulator.accounts import ROLES, Accounts
from simulator.cli.root import fail, settings


@click.group()
def users() -> None:
    """Manage app accounts (trainee, mentor, trainer roles).

    Accounts live in DRILL_USERS_FILE (default: <data dir>/users.yaml) with bcrypt-hashed
    passwords. Without a users file the app runs in single-user local mode.
    """


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several.")
@click.option("--display-name", help="Name shown in the app.")
@click.password_option(help="Password (asked for when omitted; at least 8 characters).")
def add_user(name: str, roles: tuple[str, ...], display_name: str | None, password: str) -> None:
    """Add a user, or update an existing user's roles and password."""
    accounts = Accounts(settings().users_file)
    try:
        is_new = accounts.add(name, password, list(roles), display_name)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(str(exc))
    click.echo(f"{'added' if is_new else 'updated'} {name} ({', '.join(sorted(roles))}) in {accounts.path}")


@users.command("list")
def list_users() -> None:
    """List accounts and their roles."""
    accounts = Accounts(settings().users_file)
    if accounts.local_mode:
        click.echo(f"no users file at {accounts.path}: the app runs in single-user local mode")
        return
    for name, roles in accounts.names():
        click.echo(f"{name:24} {', '.join(roles)}")


@users.command("remove")
@click.argument("name")
def remove_user(name: str) -> None:
    """Remove an account."""
    accounts = Accounts(settings().users_file)
    if not accounts.remove(name):
        fail(f"no user named '{name}' in {accounts.path}")
    click.echo(f"removed {name}")
