"""``drill index``: build or refresh the Chroma index of the case bank."""

from __future__ import annotations

import time

import click

from simulator.casebank_index import CaseIndex
from simulator.cli.root import fail, library_or_exit, settings
from simulator.embedders import EmbedderError, make_embedder

SHOW_IDS = 8  # a first build lists every case otherwise


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Drop the collection and embed every case again.")
@click.option(
    "--embedder",
    "embedder_name",
    metavar="NAME",
    help="Embedder to index with (default: the endpoint's if DRILL_EMBEDDING_MODEL is set, else e5-small).",
)
def index_command(rebuild: bool, embedder_name: str | None) -> None:
    """(Re)build the case index and say what changed.

    Only cases whose content changed since the last run are embedded again; deleted cases are
    removed. The index lives under the data directory, or on the Chroma server named by
    DRILL_CHROMA_HOST / DRILL_CHROMA_PORT.
    """
    current = settings()
    library = library_or_exit(current)
    try:
        embedder = make_embedder(current, embedder_name)
        index = CaseIndex(current, embedder)
    except EmbedderError as exc:
        fail(str(exc))
        return
    except Exception as exc:  # chromadb raises plain exceptions for an unreachable server
        fail(f"cannot open the case index at {current.chroma_host or current.chroma_dir}: {exc}")
        return
    started = time.perf_counter()
    report = index.rebuild(library) if rebuild else index.sync(library)
    elapsed = time.perf_counter() - started
    click.echo(f"Case index: collection {index.collection_name} ({index.location}), embedder {embedder.name}.")
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        if ids:
            shown = ", ".join(ids[:SHOW_IDS]) + (f" (+{len(ids) - SHOW_IDS} more)" if len(ids) > SHOW_IDS else "")
            click.echo(f"  {label} {len(ids)}: {shown}")
    verb = "Rebuilt" if rebuild else ("Synced" if report.changed else "Up to date")
    click.echo(f"{verb}: {report.summary()} ({index.count()} cases indexed, {elapsed:.1f} s).")
