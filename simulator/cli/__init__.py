"""The ``drill`` command line: a thin layer over the library modules.

Cheap commands register on ``main`` when ``content_commands`` is imported; the others (simulate,
grade, index, serve, eval, users) are listed in ``root.main`` and imported only when they run.
"""

from __future__ import annotations

from simulator.cli import content_commands  # noqa: F401  (registers validate, personas, cases, schema)
from simulator.cli.root import main

__all__ = ["main"]
