"""`drill serve`: start the web app (trainee practice, mentor review, trainer library)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import click

from simulator.cli.root import fail, settings

if TYPE_CHECKING:
    from simulator.app.services import AppServices


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 for all).")
@click.option("--port", default=None, type=int, help="Port [default: 7860, or the next free one].")
@click.option(
    "--single-user",
    is_flag=True,
    help="Run without accounts on a non-loopback address: everyone who can reach it holds every role.",
)
def serve(host: str, port: int | None, single_user: bool) -> None:
    """Start the drill web app and print its URL.

    Runs on the embedded defaults (SQLite, local Chroma, offline engines) unless an LLM endpoint
    or a database URL is configured. With accounts (`drill users add`) everyone signs in. Without
    accounts the app runs in single-user mode, and only on 127.0.0.1 unless --single-user is given:
    on any other address it refuses to start. The mode is decided here, once.
    """
    from simulator.access import StartupRefused, decide
    from simulator.account_table import accounts_for, accounts_note
    from simulator.accounts import AccountsUnavailable
    from simulator.app.services import AppServices
    from simulator.app.ui import launch_app
    from simulator.store import SessionStore

    current = settings()
    try:
        store = SessionStore(current.sqlalchemy_url)
    except Exception as exc:  # a bad database URL, a server that is down: say what and stop
        fail(f"cannot start: {exc}")
        return
    accounts = accounts_for(current, store.engine)
    try:
        note = accounts_note(accounts)
        access = decide(accounts, host, single_user=single_user)
        if not access.single_user:
            accounts.names()  # a store that exists but cannot be read stops the start, with the reason
    except (StartupRefused, AccountsUnavailable) as exc:
        fail(f"cannot start: {exc}")
        return
    if note:
        click.echo(f"warning: {note}", err=True)
    try:
        services = AppServices(current, store=store, accounts=accounts, access=access)
        library = services.library()
    except Exception as exc:  # a bad database URL or missing rubric: say what and stop
        fail(f"cannot start: {exc}")
        return
    problems = services.content_problems()
    if problems:
        click.echo(f"warning: {len(problems)} content problem(s); the items concerned are left out:", err=True)
        for problem in problems[:10]:
            click.echo(f"  {problem}", err=True)
    mode = access.reason
    click.echo(
        f"drill: {len(library.personas)} personas, {len(library.cases)} cases; customer engine "
        f"{services.customer_engine}, grader {services.grader_engine}; {mode}"
    )
    try:
        demo, url = launch_app(services, host=host, port=port, block=False, quiet=True)
    except StartupRefused as exc:
        fail(f"cannot start: {exc}")
        return
    click.echo(f"drill is running at {url}  (Ctrl+C to stop)")
    # Build or refresh the case index while people open the page, so the first trainer save or
    # chat-log import does not wait for the embedding model.
    threading.Thread(target=_warm_index, args=(services,), name="index-warmup", daemon=True).start()
    # Sessions ended while a server crashed mid-grading are graded now and then every minute,
    # each claimed in the database so that replicas sharing it never grade one twice.
    services.grader.start_sweeper()
    demo.block_thread()  # returns on Ctrl+C, after closing the server
    services.grader.stop()


def _warm_index(services: AppServices) -> None:
    try:
        summary = services.sync_case_index(services.library())
        click.echo(f"case index ready: {summary}")
    except Exception as exc:  # the app works without the index; say so and go on
        click.echo(f"warning: case index not built ({type(exc).__name__}: {exc}); run `drill index`", err=True)
