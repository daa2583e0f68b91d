"""The ``database_url`` fixture: a test that takes it runs once on SQLite and once on PostgreSQL.

The PostgreSQL run needs a server: ``DRILL_TEST_POSTGRES_URL`` names a database on it whose user
may create databases (``.ci/run`` starts a throwaway cluster on loopback and sets it). Each test
gets a database of its own, created for it and dropped after it. Without the variable, or when
the server cannot be reached, the PostgreSQL run is skipped and says why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POSTGRES_URL_VARIABLE = "DRILL_TEST_POSTGRES_URL"


def postgres_server_url() -> str:
    """The server's URL from ``DRILL_TEST_POSTGRES_URL``; skips the test when it is not set."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_URL_VARIABLE} (.ci/run starts one with .ci/postgres)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in ``tmp_path``, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'drill.db'}"
        return
    server = make_url(postgres_server_url())
    name = f"drill_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a server that is down, a user that may not create databases
        admin.dispose()
        pytest.skip(f"cannot create a test database on the PostgreSQL server: {type(exc).__name__}: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE closes what the test left open (stores are not disposed by every test)
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
