"""One way to open a SQLAlchemy engine, with a clear error when the database's driver is missing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from simulator.errors import DrillError

#: The pip extra that installs each server database's driver.
DRIVER_EXTRAS: dict[str, str] = {"postgresql": "postgres"}


class DatabaseDriverMissing(DrillError):
    """DRILL_DATABASE_URL names a database whose Python driver is not installed."""


def create_database_engine(url: str, **kwargs: Any) -> Engine:
    """``create_engine(url, **kwargs)``; a missing driver becomes a message that says what to install."""
    try:
        return create_engine(url, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        # The URL itself is not repeated: it may hold a password.
        raise DatabaseDriverMissing(
            "DRILL_DATABASE_URL is not a database URL drill can open; use sqlite:///path/to/drill.db "
            "or postgresql+psycopg://user:password@host/dbname"
        ) from exc
    except ModuleNotFoundError as exc:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        extra = DRIVER_EXTRAS.get(backend)
        how = f"pip install 'drill[{extra}]'" if extra else f"install the Python package {exc.name!r}"
        raise DatabaseDriverMissing(
            f"DRILL_DATABASE_URL uses {parsed.drivername!r}, but its driver ({exc.name}) is not installed: {how}"
        ) from exc
