"""What the case index answers: search hits, a retrieval with its "does anything fit?" verdict, a sync report."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.case_fit import Fit


@dataclass(frozen=True)
class Hit:
    """A retrieved case with its cosine similarity to the query (higher is closer, at most 1)."""

    case_id: str
    score: float


@dataclass(frozen=True)
class Retrieval:
    """A search with its "does anything fit?" verdict (``simulator.case_fit``).

    ``hits`` are the cases to use as references: the best ``k`` when the nearest case fits, none
    when there is no close case. ``nearest`` is the best hit whatever the verdict (for reports).
    """

    hits: tuple[Hit, ...]
    nearest: Hit | None
    fit: Fit

    @property
    def no_close_case(self) -> bool:
        """True when nothing in the bank is close enough to borrow from."""
        return self.fit.no_close_case


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`CaseIndex.sync` did, as case ids (``busy``: another replica was syncing; nothing done)."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    busy: bool = False

    @property
    def changed(self) -> bool:
        """True when anything was embedded or deleted."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line: counts per kind."""
        if self.busy:
            return "another replica is syncing the index; searches use it as it is"
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}"
        )
