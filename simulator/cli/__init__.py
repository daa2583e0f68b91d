"""The ``drill`` command line: a thin layer over the library modules.

Each group of commands lives in its own module and registers itself on ``main``.
"""

from __future__ import annotations

from simulator.cli import content_commands  # noqa: F401  (registers validate, personas, cases, schema)
from simulator.cli.root import main

__all__ = ["main"]
from simulator.cli import users_command  # noqa: F401, E402  (registers users)
from simulator.cli import index_command  # noqa: F401, E402  (registers index)
from simulator.cli import eval_command  # noqa: F401, E402  (registers the eval group and eval retrieval)
from simulator.cli import simulate_command  # noqa: F401, E402  (registers simulate)
from simulator.cli import serve_command  # noqa: F401, E402  (registers serve)
from simulator.cli import eval_grader_command  # noqa: F401, E402  (registers eval grader)
from simulator.cli import grade_command  # noqa: F401, E402  (registers grade)
