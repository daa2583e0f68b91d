"""Content, people and a settable clock for the programme's tests.

The library is the small offline one (four personas, one zh-CN and one en case, the rubric) plus
a question file per language, two exam cards per language and one curriculum, written as YAML so
that it loads through the real content loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from simulator.accounts import Accounts, User
from simulator.content import Library, load_library
from simulator.programme.db import ProgrammeDB
from simulator.store import SessionStore
from tests.offline_fixtures import en_case_data, write_content, zh_case_data

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _question(qid: str, kind: str, tag: str, difficulty: str, lang: str, n: int) -> dict[str, Any]:
    prompt = f"第{n}题：哪种说法对？" if lang == "zh-CN" else f"Question {n}: which is right?"
    base: dict[str, Any] = {"id": qid, "type": kind, "tags": [tag], "difficulty": difficulty, "prompt": prompt}
    if kind == "true_false":
        return {**base, "answer": n % 2 == 0, "explanation": f"explanation {n}"}
    options = {"a": f"option a{n}", "b": f"option b{n}", "c": f"option c{n}", "d": f"option d{n}"}
    if kind == "multiple":
        return {**base, "options": options, "answer": ["a", "c"], "explanation": f"explanation {n}"}
    extra = {"customer_line": f"customer line {n}"} if kind == "best_reply" else {}
    return {**base, **extra, "options": options, "answer": "bcda"[n % 4], "explanation": f"explanation {n}"}


KINDS = ("single", "multiple", "true_false", "best_reply")
TAGS = ("phrasing", "scenario", "compliance", "product")


def question_file(lang: str, count: int = 24) -> dict[str, Any]:
    """``count`` questions cycling through every type, tag and difficulty."""
    prefix = "zh" if lang == "zh-CN" else "en"
    questions = [
        _question(f"{prefix}-q{n:02d}", KINDS[n % 4], TAGS[(n // 4) % 4], ("easy", "medium", "hard")[n % 3], lang, n)
        for n in range(count)
    ]
    return {"language": lang, "questions": questions}


def exam_case(base: dict[str, Any], case_id: str, title: str, category: str | None = None) -> dict[str, Any]:
    data = {**base, "id": case_id, "title": title}
    if category:
        data["category"] = category
    data["recommended_phrasing"] = [
        {"stage": "opening", "text": f"EXAM-KEY {case_id} opening line"},
        {"stage": "solution", "text": f"EXAM-KEY {case_id} solution line"},
    ]
    return data


def curriculum() -> dict[str, Any]:
    return {
        "id": "zh-starter",
        "level": "new_hire",
        "language": "zh-CN",
        "title": "新人第一周",
        "description": "开场、合规，再来一场对练。",
        "target": 80,
        "items": [
            {"id": "basics", "title": "小测：基本话术", "quiz": {"tags": ["phrasing"], "questions": 4}, "due_days": 1},
            {"id": "parcel", "title": "对练：快递延误", "drill": {"case": "zh-test-late-parcel"}, "due_days": 3},
        ],
    }


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_programme_content(root: Path) -> Path:
    """The offline library plus questions, exam cards and a curriculum under ``root``."""
    write_content(root)
    casebank = root / "casebank"
    _dump(casebank / "quizzes" / "zh-test.yaml", question_file("zh-CN"))
    _dump(casebank / "quizzes" / "en-test.yaml", question_file("en"))
    zh, en = zh_case_data(), en_case_data()
    for data in (
        exam_case(zh, "zh-exam-parcel-a", "考试卡A：快递延误"),
        exam_case(zh, "zh-exam-parcel-b", "考试卡B：快递丢失"),
        exam_case(zh, "zh-exam-parcel-c", "考试卡C：快递破损"),
        exam_case(en, "en-exam-charge-a", "Exam card A: double charge"),
        exam_case(en, "en-exam-charge-b", "Exam card B: charged twice again"),
    ):
        _dump(casebank / "exam" / f"{data['id']}.yaml", data)
    _dump(casebank / "curricula" / "zh-starter.yaml", curriculum())
    return root


def load_programme_library(root: Path) -> Library:
    return load_library(write_programme_content(root))


@dataclass
class People:
    """A users file with two teams: north (ann, bo; coached by mia) and south (cy; coached by sam)."""

    accounts: Accounts
    ann: User
    bo: User
    cy: User
    mia: User
    sam: User
    root: User
    tom: User


_USERS_FILE_TEXT: list[str] = []  # bcrypt is slow on purpose: hash the people once per test run


def make_people(path: Path) -> People:
    if _USERS_FILE_TEXT:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_USERS_FILE_TEXT[0], encoding="utf-8")
    else:
        accounts = Accounts(path)
        accounts.add("ann", PASSWORD, ["trainee"], team="north")
        accounts.add("bo", PASSWORD, ["trainee"], team="north")
        accounts.add("cy", PASSWORD, ["trainee"], team="south")
        accounts.add("mia", PASSWORD, ["mentor"], mentor_of=["north"])
        accounts.add("sam", PASSWORD, ["mentor"], mentor_of=["south", "west"])
        accounts.add("root", PASSWORD, ["admin", "mentor"])
        accounts.add("tom", PASSWORD, ["trainer"])
        _USERS_FILE_TEXT.append(path.read_text(encoding="utf-8"))
    accounts = Accounts(path)

    def get(name: str) -> User:
        user = accounts.get(name)
        assert user is not None
        return user

    return People(accounts, get("ann"), get("bo"), get("cy"), get("mia"), get("sam"), get("root"), get("tom"))


def make_db(tmp_path: Path, clock: Clock) -> ProgrammeDB:
    return ProgrammeDB(SessionStore(f"sqlite:///{tmp_path / 'drill.db'}"), clock)


def graded_session(
    store: SessionStore,
    user: str,
    *,
    total: float | None,
    case_id: str | None = "zh-test-late-parcel",
    source: str = "drill",
    language: str = "zh-CN",
    rubric_version: str = "test-1",
    scores: dict[str, int | None] | None = None,
    started: datetime | None = None,
) -> str:
    """A stored, ended and graded session whose report has ``total`` (None: incomplete)."""
    from simulator.models import CriterionScore, GradeReport, GraderInfo, Turn

    session_id = store.create_session(user_name=user, language=language, case_id=case_id, source=source)
    store.append_turn(session_id, Turn(role="customer", text="你好"))
    store.append_turn(session_id, Turn(role="agent", text="您好，请问有什么可以帮您？"))
    store.end_session(session_id)
    # the offline test rubric's two criteria; an incomplete report leaves the first unscored
    scores = scores or {"standard_phrasing": None if total is None else 4, "compliance": 4}
    criteria = [
        CriterionScore(
            id=criterion,
            score=score,
            basis="absence",
            unscored_reason=None if score is not None else "the judge's reply could not be read",
        )
        for criterion, score in scores.items()
    ]
    report = GradeReport(
        total=total,
        passed=None if total is None else total >= 80,
        complete=total is not None,
        pass_mark=80,
        criteria=criteria,
        grader=GraderInfo(engine="offline", rubric_version=rubric_version),
        language=language,  # type: ignore[arg-type]
    )
    store.save_report(session_id, report)
    if started is not None:
        _set_started(store, session_id, started)
    return session_id


def _set_started(store: SessionStore, session_id: str, started: datetime) -> None:
    from sqlalchemy import update

    from simulator.store_rows import DrillSession

    with store.engine.begin() as connection:
        connection.execute(update(DrillSession).where(DrillSession.id == session_id).values(started_at=started))
