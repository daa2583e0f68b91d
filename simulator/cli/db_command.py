"""`drill db upgrade`: bring the database schema up to date, under a lock."""

from __future__ import annotations

import click

from simulator.cli.root import fail, settings


@click.group("db")
def db_group() -> None:
    """Database maintenance (SQLite by default, or DRILL_DATABASE_URL)."""


@db_group.command("upgrade")
def upgrade() -> None:
    """Apply pending schema migrations, then print the schema version.

    Migrations run under a lock (SQLite: an exclusive transaction; PostgreSQL: an advisory lock),
    so this is safe while apps start; each app start also migrates. Run it once before starting
    several replicas on a new version, so none of them waits on the others.
    """
    from simulator.database_engine import DatabaseDriverMissing, create_database_engine
    from simulator.migrations import MIGRATIONS, migrate, prepare_sqlite_file

    current = settings()
    url = current.sqlalchemy_url
    prepare_sqlite_file(url)
    try:
        engine = create_database_engine(url)
    except DatabaseDriverMissing as exc:
        fail(str(exc))
        return
    shown = engine.url.render_as_string(hide_password=True)
    try:
        applied = migrate(engine)
    except Exception as exc:  # a server that is down, a wrong password: say which database and why
        fail(f"cannot upgrade {shown}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return
    finally:
        engine.dispose()
    names = {version: migration.__name__.lstrip("_") for version, migration in enumerate(MIGRATIONS, start=1)}
    if applied:
        click.echo(
            f"{shown}: applied {', '.join(f'{v} ({names[v]})' for v in applied)}; schema version {len(MIGRATIONS)}"
        )
    else:
        click.echo(f"{shown}: already up to date (schema version {len(MIGRATIONS)})")
