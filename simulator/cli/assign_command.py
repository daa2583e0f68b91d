"""`drill assign`: give trainees a curriculum, a drill or a quiz with a due date, and follow it."""

from __future__ import annotations

import dataclasses
from datetime import date

import click

from simulator.cli.programme_common import actor, errors, programme_for, run
from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.models import LANGUAGES
from simulator.programme.models import QuestionTag, QuizSpec


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD") from None


@click.group("assign")
def assign_group() -> None:
    """Assign curricula (new hire / experienced / senior) or single drills and quizzes, with due dates.

    Curricula live in casebank/curricula/; an item is done once the trainee reaches its target
    score, and overdue when not done after its due date. Trainees see theirs under
    'My assignments' in the app.
    """


@assign_group.command("curriculum")
@click.argument("curriculum_id")
@click.option("--trainee", "trainees", multiple=True, required=True, help="Trainee account; repeat for several.")
@click.option("--start", callback=_date, help="First day (YYYY-MM-DD); items fall due from it. Default: today.")
@click.option("--by", help="Mentor or admin account assigning it (default: the CLI administrator).")
def assign_curriculum(curriculum_id: str, trainees: tuple[str, ...], start: date | None, by: str | None) -> None:
    """Assign every item of a curriculum to each trainee."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    for trainee in trainees:
        with errors():
            ids = programme.assignments.assign_curriculum(user, library, trainee, curriculum_id, start=start)
        click.echo(f"{trainee}: {len(ids)} item(s) of {curriculum_id} assigned")


@assign_group.command("drill")
@click.argument("case_id")
@click.option("--trainee", "trainees", multiple=True, required=True, help="Trainee account; repeat for several.")
@click.option("--due", callback=_date, required=True, help="Due date (YYYY-MM-DD).")
@click.option("--target", type=click.FloatRange(0, 100), default=80, show_default=True, help="Score that completes it.")
@click.option("--by", help="Mentor or admin account assigning it.")
def assign_drill(case_id: str, trainees: tuple[str, ...], due: date, target: float, by: str | None) -> None:
    """Assign one practice drill (a case id from `drill cases`)."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    for trainee in trainees:
        with errors():
            programme.assignments.assign_drill(user, library, trainee, case_id, due_on=due, target=target)
        click.echo(f"{trainee}: drill {case_id} due {due}, target {target:g}")


@assign_group.command("quiz")
@click.option("--trainee", "trainees", multiple=True, required=True, help="Trainee account; repeat for several.")
@click.option("--title", required=True, help="What the trainee sees in 'My assignments'.")
@click.option("--language", type=click.Choice(list(LANGUAGES)), default="zh-CN", show_default=True)
@click.option("--tag", "tags", multiple=True, type=click.Choice([t.value for t in QuestionTag]), help="Repeatable.")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]))
@click.option("--questions", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--due", callback=_date, required=True, help="Due date (YYYY-MM-DD).")
@click.option("--target", type=click.FloatRange(0, 100), default=80, show_default=True)
@click.option("--by", help="Mentor or admin account assigning it.")
def assign_quiz(
    trainees: tuple[str, ...],
    title: str,
    language: str,
    tags: tuple[str, ...],
    difficulty: str | None,
    questions: int,
    due: date,
    target: float,
    by: str | None,
) -> None:
    """Assign one practice quiz drawn from the bank by tag and difficulty."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    spec = QuizSpec.model_validate({"tags": list(tags), "difficulty": difficulty, "questions": questions})
    for trainee in trainees:
        with errors():
            programme.assignments.assign_quiz(
                user, library, trainee, spec, language=language, due_on=due, target=target, title=title
            )
        click.echo(f"{trainee}: quiz '{title}' ({questions} questions) due {due}, target {target:g}")


@assign_group.command("list")
@click.option("--trainee", "trainees", multiple=True, help="Only these trainees (default: all you coach).")
@click.option("--overdue", is_flag=True, help="Only overdue items.")
@click.option("--by", help="Show as this mentor or admin account (their teams only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_assignments(trainees: tuple[str, ...], overdue: bool, by: str | None, as_json: bool) -> None:
    """Each trainee's assignments with their state, best score and due date."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    names = list(trainees) or [p.name for p in run(lambda: programme.trainees_of(user))]
    found = []
    for name in names:
        with errors():
            found += programme.assignments.for_trainee(user, name, library.rubric)
    if overdue:
        found = [status for status in found if status.overdue]
    if as_json:
        echo_json([{**dataclasses.asdict(s), "due_on": s.due_on.isoformat(), "completed_at": _iso(s)} for s in found])
        return
    for s in found:
        best = "—" if s.best is None else f"{s.best:g}"
        flag = "  OVERDUE" if s.overdue else ""
        score = f"best {best:>5}/{s.target:g}"
        click.echo(f"{s.id:5} {s.user_name:16} {s.kind:5} due {s.due_on}  {s.state:11} {score}  {s.title}{flag}")
    click.echo(f"{len(found)} assignment(s).", err=True)


@assign_group.command("cancel")
@click.argument("assignment_id", type=int)
@click.option("--by", help="Mentor or admin account doing it.")
def cancel(assignment_id: int, by: str | None) -> None:
    """Withdraw an assignment (kept on record, no longer listed)."""
    current = settings()
    programme = programme_for(current)
    user = actor(programme, by)
    run(lambda: programme.assignments.cancel(user, assignment_id))
    click.echo(f"assignment {assignment_id} withdrawn")


def _iso(status: object) -> str | None:
    value = getattr(status, "completed_at", None)
    return value.isoformat() if value is not None else None


__all__ = ["assign_group", "fail"]
