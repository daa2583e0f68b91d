"""`drill users`: manage accounts (add, list, remove, reset a password)."""

from __future__ import annotations

import click

from simulator.accounts import ROLES, Accounts, AccountsUnavailable
from simulator.cli.root import fail, settings


def _accounts() -> Accounts:
    from simulator.account_table import accounts_for
    from simulator.database_engine import DatabaseDriverMissing
    from simulator.store import SessionStore

    current = settings()
    try:
        store = SessionStore(current.sqlalchemy_url)
    except DatabaseDriverMissing as exc:
        fail(str(exc))
        raise
    except Exception as exc:  # a server that is down, a wrong password: say why, without the URL's password
        fail(f"cannot open the database: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise
    return accounts_for(current, store.engine)


@click.group()
def users() -> None:
    """Manage app accounts (trainee, mentor, trainer, admin roles) and teams.

    Accounts live in the database (DRILL_DATABASE_URL, default SQLite in the data dir) with
    bcrypt-hashed passwords, shared by every app replica on that database. A users file of
    earlier versions (DRILL_USERS_FILE, default <data dir>/users.yaml) is imported automatically
    the first time the database's accounts are opened, then ignored. Without accounts the app
    runs in single-user mode on 127.0.0.1 only; once accounts exist everyone signs in.
    A trainee belongs to one team (--team); a mentor coaches one or more teams (--mentor-of); an
    admin sees every team.
    """


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several.")
@click.option("--display-name", help="Name shown in the app.")
@click.option("--team", help="The team a trainee belongs to (e.g. north-1).")
@click.option("--mentor-of", "mentor_of", multiple=True, help="A team this mentor coaches; repeat for several.")
@click.password_option(help="Password (asked for when omitted; at least 8 characters).")
def add_user(
    name: str,
    roles: tuple[str, ...],
    display_name: str | None,
    team: str | None,
    mentor_of: tuple[str, ...],
    password: str,
) -> None:
    """Add a user, or update an existing user's roles, teams and password."""
    accounts = _accounts()
    try:
        is_new = accounts.add(
            name,
            password,
            list(roles),  # type: ignore[arg-type]
            display_name,
            team=team,
            mentor_of=list(mentor_of),
        )
    except (ValueError, AccountsUnavailable) as exc:
        fail(str(exc))
    click.echo(f"{'added' if is_new else 'updated'} {name} ({', '.join(sorted(roles))}) in {accounts.location}")


@users.command("reset-password")
@click.argument("name")
@click.password_option("--password", help="New password (asked for when omitted; at least 8 characters).")
def reset_password(name: str, password: str) -> None:
    """Give an existing user a new password (their roles stay); lifts a sign-in pause for the account.

    For a mentor or an administrator with access to the accounts, when someone forgot theirs.
    """
    accounts = _accounts()
    try:
        accounts.set_password(name, password)
    except KeyError:
        fail(f"no user named '{name}' in {accounts.location}; add one with `drill users add {name} --role trainee`")
    except (ValueError, AccountsUnavailable) as exc:
        fail(str(exc))
    ended = _sign_out(accounts, name)
    click.echo(
        f"password of {name} reset in {accounts.location}; {ended} sign-in(s) with the old one ended on every replica"
    )


def _sign_out(accounts: Accounts, name: str) -> int:
    """End every sign-in of ``name`` (they live in the database; see simulator/sign_in_tokens.py)."""
    from simulator.account_table import DatabaseAccountStore
    from simulator.sign_in_tokens import SignInTokens

    if not isinstance(accounts.store, DatabaseAccountStore):
        return 0
    return SignInTokens(accounts.store.engine).sign_out(name)


@users.command("team")
@click.argument("name")
@click.option("--team", help="The team this trainee belongs to ('' to clear).")
@click.option("--mentor-of", "mentor_of", multiple=True, help="A team this mentor coaches; repeat for several.")
@click.option("--no-mentees", is_flag=True, help="Clear the teams this user coaches.")
def set_team(name: str, team: str | None, mentor_of: tuple[str, ...], no_mentees: bool) -> None:
    """Change a user's team or the teams they coach (the password stays as it is)."""
    if team is None and not mentor_of and not no_mentees:
        fail("give --team, --mentor-of or --no-mentees")
    accounts = _accounts()
    try:
        user = accounts.set_teams(name, team=team, mentor_of=[] if no_mentees else (list(mentor_of) or None))
    except KeyError:
        fail(f"no user named '{name}' in {accounts.location}")
        return
    except (ValueError, AccountsUnavailable) as exc:
        fail(str(exc))
        return
    click.echo(f"{user.name}: team {user.team or '—'}; coaches {', '.join(sorted(user.mentor_of)) or '—'}")


@users.command("list")
def list_users() -> None:
    """List accounts and their roles."""
    accounts = _accounts()
    if not accounts.has_accounts():
        click.echo(f"no accounts ({accounts.location} is empty): the app runs in single-user mode on 127.0.0.1")
        return
    try:
        for user in accounts.users():
            teams = f"team {user.team or '—'}"
            if user.mentor_of:
                teams += f"; coaches {', '.join(sorted(user.mentor_of))}"
            click.echo(f"{user.name:24} {', '.join(sorted(user.roles)):30} {teams}")
    except AccountsUnavailable as exc:
        fail(str(exc))


@users.command("remove")
@click.argument("name")
def remove_user(name: str) -> None:
    """Remove an account."""
    accounts = _accounts()
    try:
        removed = accounts.remove(name)
    except AccountsUnavailable as exc:
        fail(str(exc))
        return
    if not removed:
        fail(f"no user named '{name}' in {accounts.location}")
    click.echo(f"removed {name}")
