"""The mentor's team view for one month: each trainee, the team's weak spots and the best performers.

A mentor sees the trainees of the teams they coach; an admin sees every trainee. Scores are the
effective ones (mentor overrides applied). "Drills" are graded simulated drills (practice and
exam cards) started in the month; real chats count for the criteria but not as drills.

Best performers follow the rule in ``casebank/programme.yaml`` (``monthly_review``): among
trainees with at least ``min_graded_drills`` drills in the month, highest mean total first, then
higher pass rate, then more drills, then name; the first ``top`` are named. The rule is printed
with the list, so nobody has to guess why someone is on it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from simulator.accounts import User
from simulator.app.scoring import stored_effective_report
from simulator.content import Library
from simulator.models import GradeReport
from simulator.programme.assignments import Assignments
from simulator.programme.db import ProgrammeDB, aware
from simulator.programme.errors import ProgrammeError
from simulator.programme.models import MonthlyReview
from simulator.programme.ratings import Ratings, RatingSummary, summarise
from simulator.programme.results import mean
from simulator.programme.tables import AssessmentRow, AttemptRow, CandidateRow, QuizAttemptRow
from simulator.store import SessionFilter
from simulator.store_rows import DrillSession

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: How many of a trainee's lowest criteria are listed as their weakest.
WEAKEST_SHOWN = 2
#: How many cases are listed as the month's hardest.
HARDEST_SHOWN = 5


@dataclass(frozen=True)
class Month:
    """A calendar month in the server's timezone."""

    label: str
    start: datetime
    end: datetime

    @property
    def previous(self) -> Month:
        """The month before."""
        return month_of((self.start - timedelta(days=1)).strftime("%Y-%m"))


def month_of(text: str) -> Month:
    """Parse ``YYYY-MM``; ``ProgrammeError`` otherwise."""
    match = _MONTH.match(text.strip())
    if not match:
        raise ProgrammeError("team_bad_month", month=text)
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1).astimezone()
    end = datetime(year + (number == 12), number % 12 + 1, 1).astimezone()
    return Month(f"{year:04d}-{number:02d}", start, end)


@dataclass(frozen=True)
class TraineeRow:
    """One trainee's month."""

    name: str
    display_name: str
    team: str
    theory: float | None
    practical: float | None
    result: str  # pass | fail | —
    drills: int
    mean_total: float | None
    pass_rate: float | None
    trend: float | None  # mean this month minus mean last month
    weakest: list[str]
    overdue: int


@dataclass(frozen=True)
class CriterionAverage:
    """A criterion's mean score (1-5) over the month's graded sessions."""

    criterion_id: str
    average: float
    sessions: int


@dataclass(frozen=True)
class CaseAverage:
    """A case's mean total over the month."""

    case_id: str
    title: str
    mean_total: float
    sessions: int


@dataclass(frozen=True)
class WeekAverage:
    """The team's mean total in one week (starting Monday) of the month."""

    week: str
    mean_total: float
    sessions: int


@dataclass(frozen=True)
class TeamView:
    """Everything the mentor's team view shows for a month."""

    month: str
    trainees: list[TraineeRow]
    weakest_criteria: list[CriterionAverage]
    hardest_cases: list[CaseAverage]
    best_performers: list[TraineeRow]
    weekly: list[WeekAverage]
    ratings: RatingSummary
    rule: MonthlyReview
    teams: list[str] = field(default_factory=list)


@dataclass
class _Graded:
    session: DrillSession
    report: GradeReport


def visible_trainees(user: User, people: Sequence[User]) -> list[User]:
    """The trainees ``user`` coaches (an admin: all), by name."""
    return sorted((p for p in people if p.can("trainee") and user.coaches(p)), key=lambda p: p.name)


class TeamViews:
    """Builds the team view from the store."""

    def __init__(self, db: ProgrammeDB, assignments: Assignments, ratings: Ratings):
        self.db = db
        self.assignments = assignments
        self.ratings = ratings

    def build(
        self, user: User, people: Sequence[User], library: Library, month: Month, *, team: str | None = None
    ) -> TeamView:
        """The month for the trainees ``user`` coaches (optionally one ``team`` of them)."""
        trainees = [t for t in visible_trainees(user, people) if team is None or t.team == team]
        rule = library.programme.monthly_review
        rows: list[TraineeRow] = []
        team_graded: list[_Graded] = []
        for trainee in trainees:
            graded = self._graded(trainee.name, library, month)
            before = self._graded(trainee.name, library, month.previous)
            team_graded += graded
            rows.append(self._row(user, trainee, library, graded, before))
        ratings = self.ratings.for_trainees(user, [t.name for t in trainees], since=month.start, until=month.end)
        return TeamView(
            month=month.label,
            trainees=rows,
            weakest_criteria=_criterion_averages(team_graded),
            hardest_cases=_hardest_cases(team_graded, library),
            best_performers=best_performers(rows, rule),
            weekly=_weekly(team_graded),
            ratings=summarise(ratings, library.programme.feedback.low_fairness_at_most),
            rule=rule,
            teams=sorted({t.team for t in trainees if t.team}),
        )

    # -- internals -------------------------------------------------------------------------------

    def _graded(self, name: str, library: Library, month: Month) -> list[_Graded]:
        sessions = self.db.store.list_sessions(
            SessionFilter(user_name=name, status="graded", since=month.start, until=month.end), limit=5000
        )
        found = []
        for session in sessions:
            if aware(session.started_at) >= month.end:
                continue
            effective = stored_effective_report(self.db.store, library.rubric, session.id)
            if effective is not None:
                found.append(_Graded(session, effective.report))
        return found

    def _row(
        self, user: User, trainee: User, library: Library, graded: list[_Graded], before: list[_Graded]
    ) -> TraineeRow:
        drills = [g for g in graded if g.session.source in ("drill", "exam") and g.report.total is not None]
        totals = [g.report.total for g in drills if g.report.total is not None]
        previous = [
            g.report.total for g in before if g.session.source in ("drill", "exam") and g.report.total is not None
        ]
        month_mean, last_mean = mean(totals), mean(previous)
        theory, practical, result = self._latest_assessment(trainee.name)
        overdue = [s for s in self.assignments.for_trainee(user, trainee.name, library.rubric) if s.overdue]
        averages = _criterion_averages(graded)
        return TraineeRow(
            name=trainee.name,
            display_name=trainee.display_name or trainee.name,
            team=trainee.team or "",
            theory=theory,
            practical=practical,
            result=result,
            drills=len(drills),
            mean_total=_round(month_mean),
            pass_rate=_round(sum(1 for g in drills if g.report.passed) / len(drills)) if drills else None,
            trend=_round(month_mean - last_mean) if month_mean is not None and last_mean is not None else None,
            weakest=[a.criterion_id for a in averages[:WEAKEST_SHOWN]],
            overdue=len(overdue),
        )

    def _latest_assessment(self, name: str) -> tuple[float | None, float | None, str]:
        """Latest exam score, latest closed practical score, and the latest closed result."""
        with self.db.read() as db:
            exam = db.scalars(
                select(QuizAttemptRow)
                .where(
                    QuizAttemptRow.user_name == name, QuizAttemptRow.mode == "exam", QuizAttemptRow.score.is_not(None)
                )
                .order_by(QuizAttemptRow.submitted_at.desc())
                .limit(1)
            ).first()
            practical = db.scalars(
                select(AttemptRow)
                .join(CandidateRow, CandidateRow.id == AttemptRow.candidate_id)
                .where(
                    CandidateRow.user_name == name, AttemptRow.part == "practical", AttemptRow.closed_at.is_not(None)
                )
                .order_by(AttemptRow.closed_at.desc())
                .limit(1)
            ).first()
            closed = db.scalars(
                select(CandidateRow)
                .join(AssessmentRow, AssessmentRow.id == CandidateRow.assessment_id)
                .where(CandidateRow.user_name == name, CandidateRow.status == "closed")
                .order_by(CandidateRow.closed_at.desc())
                .limit(1)
            ).first()
        passed = (closed.result or {}).get("passed") if closed is not None else None
        result = "—" if passed is None else "pass" if passed else "fail"
        return (exam.score if exam else None), (practical.score if practical else None), result


def best_performers(rows: Sequence[TraineeRow], rule: MonthlyReview) -> list[TraineeRow]:
    """The month's best performers by the published rule (see the module docstring)."""
    ranked = [row for row in rows if row.drills >= rule.min_graded_drills and row.mean_total is not None]
    ranked.sort(key=lambda r: (-(r.mean_total or 0.0), -(r.pass_rate or 0.0), -r.drills, r.name))
    return ranked[: rule.top]


def _criterion_averages(graded: Sequence[_Graded]) -> list[CriterionAverage]:
    scores: dict[str, list[int]] = defaultdict(list)
    for item in graded:
        for criterion in item.report.criteria:
            if criterion.score is not None:
                scores[criterion.id].append(criterion.score)
    averages = [CriterionAverage(cid, round(sum(v) / len(v), 2), len(v)) for cid, v in scores.items()]
    return sorted(averages, key=lambda a: (a.average, a.criterion_id))


def _hardest_cases(graded: Sequence[_Graded], library: Library) -> list[CaseAverage]:
    totals: dict[str, list[float]] = defaultdict(list)
    for item in graded:
        if item.session.case_id and item.report.total is not None:
            totals[item.session.case_id].append(item.report.total)
    cases = {**library.cases, **library.exam_cases}
    averages = [
        CaseAverage(case_id, cases[case_id].title if case_id in cases else case_id, round(sum(v) / len(v), 1), len(v))
        for case_id, v in totals.items()
    ]
    return sorted(averages, key=lambda a: (a.mean_total, a.case_id))[:HARDEST_SHOWN]


def _weekly(graded: Sequence[_Graded]) -> list[WeekAverage]:
    weeks: dict[str, list[float]] = defaultdict(list)
    for item in graded:
        if item.report.total is None or item.session.source not in ("drill", "exam"):
            continue
        day = aware(item.session.started_at).astimezone().date()
        weeks[(day - timedelta(days=day.weekday())).isoformat()].append(item.report.total)
    return [WeekAverage(week, round(sum(v) / len(v), 1), len(v)) for week, v in sorted(weeks.items())]


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


CSV_COLUMNS = (
    "month",
    "trainee",
    "team",
    "theory",
    "practical",
    "result",
    "drills",
    "mean_total",
    "pass_rate",
    "trend",
    "weakest_criteria",
    "overdue",
    "best_performer_rank",
)


def to_csv(view: TeamView) -> str:
    """One row per trainee (plain values, UTF-8 text) for spreadsheets."""
    ranks = {row.name: rank for rank, row in enumerate(view.best_performers, start=1)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in view.trainees:
        writer.writerow(
            [
                view.month,
                row.name,
                row.team,
                _cell(row.theory),
                _cell(row.practical),
                row.result,
                row.drills,
                _cell(row.mean_total),
                _cell(row.pass_rate),
                _cell(row.trend),
                " ".join(row.weakest),
                row.overdue,
                ranks.get(row.name, ""),
            ]
        )
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
