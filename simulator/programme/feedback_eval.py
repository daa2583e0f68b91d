"""The reaction level, measured: do trainees' fairness ratings agree with mentors' overrides?

For every rated scorecard the trainee either found it unfair (fairness at or below the policy's
``low_fairness_at_most``) or not, and a mentor either overrode a criterion score (with a score
different from the grader's) or not. When the two agree, a low rating is a signal worth a
mentor's look and the scorecard's fairness is being checked where it matters; when they do not,
either trainees dislike fair scorecards or mentors miss unfair ones. The report gives the 2×2
table, the share of agreement, Cohen's kappa (chance-corrected agreement), the direction of the
overrides on sessions found unfair, and a fingerprint of the data it was computed on.

This is a report over the live database, not a fitted model: nothing here is tuned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from simulator.programme.ratings import Rating
from simulator.store import SessionStore


@dataclass(frozen=True)
class RatedSession:
    """One rated scorecard with what the mentors did to it."""

    session_id: str
    fair: int
    useful: int
    found_unfair: bool
    overridden: bool
    override_shift: int  # sum of (mentor score - grader score) over the overridden criteria


@dataclass(frozen=True)
class AgreementReport:
    """Ratings against overrides."""

    sessions: int
    low_fairness_at_most: int
    unfair_and_overridden: int
    unfair_not_overridden: int
    fair_but_overridden: int
    fair_not_overridden: int
    agreement: float | None
    kappa: float | None
    kappa_note: str
    raised_when_unfair: int
    lowered_when_unfair: int
    mean_fair_overridden: float | None
    mean_fair_not_overridden: float | None
    data_fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return asdict(self)


def rated_sessions(store: SessionStore, ratings: Sequence[Rating], low_fairness_at_most: int) -> list[RatedSession]:
    """Join each rating with the overrides of its session."""
    found = []
    for rating in ratings:
        changed = [o for o in store.overrides(rating.session_id) if o.new_score != o.original_score]
        latest: dict[str, int] = {}
        original: dict[str, int | None] = {}
        for override in changed:
            latest[override.criterion_id] = override.new_score
            original.setdefault(override.criterion_id, override.original_score)
        shift = sum(score - (original[cid] or score) for cid, score in latest.items())
        found.append(
            RatedSession(
                rating.session_id,
                rating.fair,
                rating.useful,
                rating.fair <= low_fairness_at_most,
                bool(changed),
                shift,
            )
        )
    return found


def agreement_report(rows: Sequence[RatedSession], low_fairness_at_most: int) -> AgreementReport:
    """The 2×2 table, agreement, Cohen's kappa and override direction (works on an empty list)."""
    both = sum(1 for r in rows if r.found_unfair and r.overridden)
    unfair_only = sum(1 for r in rows if r.found_unfair and not r.overridden)
    override_only = sum(1 for r in rows if not r.found_unfair and r.overridden)
    neither = sum(1 for r in rows if not r.found_unfair and not r.overridden)
    n = len(rows)
    kappa, note = _kappa(rows)
    overridden = [r.fair for r in rows if r.overridden]
    kept = [r.fair for r in rows if not r.overridden]
    return AgreementReport(
        sessions=n,
        low_fairness_at_most=low_fairness_at_most,
        unfair_and_overridden=both,
        unfair_not_overridden=unfair_only,
        fair_but_overridden=override_only,
        fair_not_overridden=neither,
        agreement=round((both + neither) / n, 3) if n else None,
        kappa=kappa,
        kappa_note=note,
        raised_when_unfair=sum(1 for r in rows if r.found_unfair and r.override_shift > 0),
        lowered_when_unfair=sum(1 for r in rows if r.found_unfair and r.override_shift < 0),
        mean_fair_overridden=round(sum(overridden) / len(overridden), 2) if overridden else None,
        mean_fair_not_overridden=round(sum(kept) / len(kept), 2) if kept else None,
        data_fingerprint=fingerprint(rows),
    )


def fingerprint(rows: Sequence[RatedSession]) -> str:
    """A short hash of exactly the data the report was computed on."""
    payload = json.dumps([asdict(r) for r in sorted(rows, key=lambda r: r.session_id)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _kappa(rows: Sequence[RatedSession]) -> tuple[float | None, str]:
    if len(rows) < 2:
        return None, "fewer than two rated scorecards"
    unfair = [int(r.found_unfair) for r in rows]
    overridden = [int(r.overridden) for r in rows]
    if len(set(unfair)) < 2 or len(set(overridden)) < 2:
        return None, "undefined: every rating, or every override decision, is the same"
    from sklearn.metrics import cohen_kappa_score  # only this report needs scikit-learn

    return round(float(cohen_kappa_score(unfair, overridden)), 3), ""


def format_report(report: AgreementReport) -> str:
    """The report as text for the terminal."""
    if report.sessions == 0:
        return "No rated scorecards yet: trainees rate a scorecard under it in the app.\n"

    def share(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.1f} %"

    lines = [
        f"Scorecard ratings against mentor overrides ({report.sessions} rated scorecards; "
        f"'unfair' = fairness {report.low_fairness_at_most} or lower)",
        "",
        "                      overridden   not overridden",
        f"  found unfair        {report.unfair_and_overridden:>10}   {report.unfair_not_overridden:>14}",
        f"  found fair          {report.fair_but_overridden:>10}   {report.fair_not_overridden:>14}",
        "",
        f"agreement: {share(report.agreement)}",
        f"Cohen's kappa: {report.kappa if report.kappa is not None else '—'}"
        + (f" ({report.kappa_note})" if report.kappa_note else ""),
        f"found unfair and the mentor raised the score: {report.raised_when_unfair}; lowered it: "
        f"{report.lowered_when_unfair}",
        f"mean fairness: overridden {report.mean_fair_overridden or '—'}, "
        f"not overridden {report.mean_fair_not_overridden or '—'}",
        f"data fingerprint: {report.data_fingerprint}",
    ]
    return "\n".join(lines) + "\n"
