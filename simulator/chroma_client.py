"""Where the case index is stored: a local ``PersistentClient`` or a Chroma server, and the collection name.

Storage is a local ``PersistentClient`` under ``settings.chroma_dir``, or a Chroma server
(``HttpClient``) when ``DRILL_CHROMA_HOST`` is set. The collection name includes the embedder
name, so switching embedders never mixes vectors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import chromadb
from chromadb.config import Settings as ChromaSettings

if TYPE_CHECKING:
    from simulator.config import Settings

COLLECTION_PREFIX = "drill-cases"


def collection_name(embedder_name: str) -> str:
    """Chroma collection name for an embedder (Chroma allows ``[a-zA-Z0-9._-]``, 3-512 chars)."""
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", embedder_name).strip("-._") or "default"
    return f"{COLLECTION_PREFIX}-{slug}"[:512]


def make_chroma_client(settings: Settings) -> chromadb.ClientAPI:
    """A Chroma server client when ``chroma_host`` is set, else a local persistent client."""
    # Telemetry would try to reach the internet; drill runs offline.
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def chroma_location(settings: Settings) -> str:
    """Where the index lives, for messages."""
    if settings.chroma_host:
        return f"Chroma server http://{settings.chroma_host}:{settings.chroma_port}"
    return f"local directory {settings.chroma_dir}"
