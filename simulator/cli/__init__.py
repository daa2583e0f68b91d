"""The ``drill`` command line: a thin layer over the library modules.

Each group of commands lives in its own module and registers itself on ``main`` when imported here.
"""

from __future__ import annotations

from simulator.cli import content_commands, users_command  # noqa: F401  (register their commands)
from simulator.cli.root import main

__all__ = ["main"]
