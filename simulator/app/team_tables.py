"""Tables of the Team tab as DataFrames: an assessment's trainees and the scorecard ratings.

No Gradio here, so they are tested as data.
"""

from __future__ import annotations

import pandas as pd

from simulator.app import team
from simulator.app.i18n import label, t
from simulator.app.programme_views import score_text
from simulator.models import Language
from simulator.programme.assessment_views import CandidateView


def candidates_frame(views: list[CandidateView], lang: Language) -> pd.DataFrame:
    """One row per trainee of an assessment."""
    rows = []
    for view in views:
        theory, practical = view.current("theory"), view.current("practical")
        result = view.result
        verdict = (
            "—"
            if result is None or result.passed is None
            else t("report.passed" if result.passed else "report.failed", lang)
        )
        rows.append(
            [
                view.user_name,
                label("state", view.status, lang),
                f"{label('state', theory.state, lang)} · {score_text(theory.score)}",
                f"{label('state', practical.state, lang)} · {score_text(practical.score)}",
                score_text(result.total if result else None),
                verdict,
                ", ".join(
                    label("part", p, lang) for p in (result.resit_allowed if result and view.status == "closed" else [])
                )
                or "—",
            ]
        )
    columns = ["col_trainee", "col_status", "col_theory", "col_practical", "col_total", "col_verdict", "col_resit"]
    return pd.DataFrame(rows, columns=[t(f"prog.{c}", lang) for c in columns])


def ratings_frame(rows: list[team.RatingRow], lang: Language) -> pd.DataFrame:
    """One row per rated scorecard."""
    data = [
        [
            f"{row.rating.rated_at.astimezone():%Y-%m-%d %H:%M}",
            row.rating.user_name,
            row.case_title,
            score_text(row.total),
            row.rating.fair,
            row.rating.useful,
            "✓" if row.overridden else "",
            row.rating.comment,
        ]
        for row in rows
    ]
    columns = [
        "col_when",
        "col_trainee",
        "col_scenario",
        "col_total",
        "col_fair",
        "col_useful",
        "col_overridden",
        "col_comment",
    ]
    return pd.DataFrame(data, columns=[t(f"prog.{c}", lang) for c in columns])
