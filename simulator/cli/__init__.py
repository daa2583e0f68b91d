"""The ``drill`` command line: a thin layer over the library modules.

Each group of commands lives in its own module and registers itself on ``main``.
"""

from __future__ import annotations

from simulator.cli import content_commands  # noqa: F401  (registers validate, personas, cases, schema)
from simulator.cli.root import main

__all__ = ["main"]
from simulator.cli import (
    eval_command,  # noqa: F401, E402  (registers the eval group and eval retrieval)
    eval_grader_command,  # noqa: F401, E402  (registers eval grader)
    eval_personas_command,  # noqa: F401, E402  (registers eval personas)
    grade_command,  # noqa: F401, E402  (registers grade)
    index_command,  # noqa: F401, E402  (registers index)
    serve_command,  # noqa: F401, E402  (registers serve)
    simulate_command,  # noqa: F401, E402  (registers simulate)
    users_command,  # noqa: F401, E402  (registers users)
)
