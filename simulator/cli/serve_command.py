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
def serve(host: str, port: int | None) -> None:
    """Start the drill web app and print its URL.

    Runs on the embedded defaults (SQLite, local Chroma, offline engines) unless an LLM endpoint
    or a database URL is configured. With a users file (`drill users add`) everyone signs in;
    without one the app runs in single-user local mode.
    """
    from simulator.app.services import AppServices
    from simulator.app.ui import launch_app

    current = settings()
    try:
        services = AppServices(current)
        library = services.library()
    except Exception as exc:  # a bad database URL or missing rubric: say what and stop
        fail(f"cannot start: {exc}")
        return
    problems = services.content_problems()
    if problems:
        click.echo(f"warning: {len(problems)} content problem(s); the items concerned are left out:", err=True)
        for problem in problems[:10]:
            click.echo(f"  {problem}", err=True)
    mode = "single-user local mode" if services.local_mode else f"accounts from {services.accounts.path}"
    click.echo(
        f"drill: {len(library.personas)} personas, {len(library.cases)} cases; customer engine "
        f"{services.customer_engine}, grader {services.grader_engine}; {mode}"
    )
    demo, url = launch_app(services, host=host, port=port, block=False, quiet=True)
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
