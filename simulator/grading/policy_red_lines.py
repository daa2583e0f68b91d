"""The ``promise_beyond_policy`` red line's hook: promises beyond what the case allows.

This is the one place the red lines ask "did the agent promise more than the case's policy
permits?". Until the commitment matcher (issue 12, item 2: offers matched by meaning against the
case's resolutions, ``policy.must_not_promise`` and ``agent_systems.cannot_do``) lands, it reads
the rule checks' ``over_promise``: the case's forbidden promise wording or compensation above
``policy.max_compensation`` (an amount compared as a number). The matcher replaces the body of
``promises_beyond_policy``; its signature is the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext


def promises_beyond_policy(ctx: RuleContext) -> list[tuple[int, str]]:
    """(agent turn, verbatim sentence) for each promise beyond the case's policy; [] without a case."""
    from simulator.grading.rules import check_over_promises

    return [(f.turn, f.quote) for f in check_over_promises(ctx) if f.turn is not None and f.quote]
