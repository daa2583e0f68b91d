"""`drill assess`: the material's assessment, from creating it to the exported report.

create → (trainees take the theory exam and play their cards in the app; `add-chats` adds their
real chats) → status → close → resit (a failed part, once) → export.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import click

from simulator.cli.programme_common import actor, errors, programme_for, run
from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.errors import DrillError
from simulator.models import LANGUAGES, CaseCategory, Industry
from simulator.programme.assessment_report import render
from simulator.programme.assessment_views import CandidateView
from simulator.programme.cards import CardFilters
from simulator.session_grading import Engine, SessionGrader
from simulator.store_snapshots import grader_version, library_with_sessions, pin_imported_content
from simulator.transcript_import import read_transcript_file


@click.group("assess")
def assess_group() -> None:
    """Run the assessment: theory exam (30 %) + practical (70 %: scenario cards and real chats).

    A mentor creates it for trainees; each trainee takes a timed theory exam and plays scenario
    cards drawn at random from casebank/exam/ in the app (Assessment tab); 3-5 of their real
    chats may be added. Closing freezes the result; a failed part may be retaken once.
    Weights, pass marks and counts come from casebank/programme.yaml.
    """


@assess_group.command("create")
@click.option("--trainee", "trainees", multiple=True, required=True, help="Trainee account; repeat for several.")
@click.option("--title", required=True, help="What the assessment is called (e.g. '11月新人上岗考核').")
@click.option("--language", type=click.Choice(list(LANGUAGES)), default="zh-CN", show_default=True)
@click.option("--category", type=click.Choice([c.value for c in CaseCategory]), help="Draw cards of this category.")
@click.option("--industry", type=click.Choice([i.value for i in Industry]), help="Draw cards of this industry.")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), help="Draw cards of this difficulty.")
@click.option("--by", help="Mentor or admin account recorded as the author (default: the CLI administrator).")
@click.option("--seed", type=int, help="Seed for the card draw (repeatable draws for a demonstration).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create(
    trainees: tuple[str, ...],
    title: str,
    language: str,
    category: str | None,
    industry: str | None,
    difficulty: str | None,
    by: str | None,
    seed: int | None,
    as_json: bool,
) -> None:
    """Create an assessment; each trainee gets their own cards at once and their exam when they start it."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    filters = CardFilters(category=category, industry=industry, difficulty=difficulty)
    rng = random.Random(seed) if seed is not None else random.Random()
    assessment_id = run(
        lambda: programme.assessments.create(
            user, library, trainees=list(trainees), title=title, language=language, filters=filters, rng=rng
        )
    )
    views = run(lambda: programme.assessments.candidates(user, library, assessment_id))
    if as_json:
        echo_json({"id": assessment_id, "candidates": [_candidate_json(v) for v in views]})
        return
    click.echo(f"created assessment {assessment_id} ({title}, {language}) for {len(views)} trainee(s)")
    for view in views:
        cards = ", ".join(f"{i.case_id} ({i.persona_id})" for i in view.current("practical").items)
        click.echo(f"  {view.user_name}: cards {cards}")
    click.echo("trainees take it in the app's Assessment tab; follow it with `drill assess status ID`")


@assess_group.command("status")
@click.argument("assessment_id", required=False)
@click.option("--by", help="Show only trainees this mentor or admin account coaches.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(assessment_id: str | None, by: str | None, as_json: bool) -> None:
    """Without an id, list the assessments; with one, each trainee's parts, cards and result."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    if assessment_id is None:
        rows = run(lambda: programme.assessments.visible_to(user))
        if as_json:
            echo_json([{"id": i, "title": t, "language": lang, "created": c.isoformat()} for i, t, lang, c in rows])
            return
        for a_id, title, lang, created in rows:
            click.echo(f"{a_id}  {created:%Y-%m-%d %H:%M}  {lang:5}  {title}")
        click.echo(f"{len(rows)} assessment(s).", err=True)
        return
    views = run(lambda: programme.assessments.candidates(user, library, assessment_id))
    if as_json:
        echo_json([_candidate_json(view) for view in views])
        return
    for view in views:
        result = view.result
        verdict = "—" if result is None or result.passed is None else "passed" if result.passed else "not passed"
        click.echo(f"{view.user_name} [{view.status}]  result {_num(result.total if result else None)}  {verdict}")
        for attempt in view.attempts:
            click.echo(f"  {attempt.part} #{attempt.number}: {attempt.state}, score {_num(attempt.score)}")
            for item in attempt.items:
                what = item.case_id or item.session_id
                click.echo(f"    {item.kind} {item.position}: {what} {item.state} {_num(item.score)}")
        if result and result.resit_allowed and view.status == "closed":
            click.echo(f"  may retake: {', '.join(result.resit_allowed)}")


@assess_group.command("add-chats")
@click.argument("assessment_id")
@click.option("--trainee", required=True, help="Whose real chats these are.")
@click.option("--session", "sessions", multiple=True, help="An already imported chat (session id); repeatable.")
@click.option("--engine", type=click.Choice(["offline", "llm"]), help="Grader for new files (default as configured).")
@click.option("--by", help="Mentor or admin account doing it.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
def add_chats(
    assessment_id: str,
    trainee: str,
    sessions: tuple[str, ...],
    engine: str | None,
    by: str | None,
    files: tuple[Path, ...],
) -> None:
    """Add 3-5 of the trainee's real chats (transcript JSON files, or imported sessions) to their practical."""
    if not files and not sessions:
        fail("give transcript FILES or --session ids")
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    store = programme.db.store
    chosen = []
    for session_id in sessions:
        try:
            chosen.append(store.get_session(session_id))
        except KeyError:
            fail(f"no session {session_id}")
    chosen_engine: Engine = (
        "llm" if (engine or ("llm" if current.llm_configured else "offline")) == "llm" else "offline"
    )
    grader = SessionGrader(store, settings=current, library=lambda: library, engine=lambda: chosen_engine)
    imported = []
    for path in files:
        with errors():
            transcript = read_transcript_file(path).transcript
        if not transcript.agent_turn_indices():
            fail(f"{path}: the agent side is empty; nothing to score")
        if transcript.case_id and transcript.case_id not in library.cases:
            fail(f"{path}: case_id '{transcript.case_id}' is not a practice case")
        imported.append((path, transcript))
    for path, transcript in imported:
        session_id = store.import_transcript(transcript, user_name=trainee)
        judge = current.judge_model if chosen_engine == "llm" else None
        grader_now = grader_version(chosen_engine, library.require_rubric(), judge_model=judge)
        pin_imported_content(store.engine, session_id, library, grader_now)
        with errors():
            report = grader.grade(session_id)
        click.echo(f"{path}: imported as {session_id}, total {_num(report.total)}")
        chosen.append(store.get_session(session_id))
    count = run(lambda: programme.assessments.add_real_chats(user, library, assessment_id, trainee, chosen))
    low, high = library.programme.practical.real_chats_min, library.programme.practical.real_chats_max
    click.echo(f"{trainee} has {count} real chat(s) in this attempt ({low}-{high} count when used)")


@assess_group.command("close")
@click.argument("assessment_id")
@click.option("--trainee", "trainees", multiple=True, help="Close only these trainees (default: every open one).")
@click.option("--by", help="Mentor or admin account doing it.")
def close(assessment_id: str, trainees: tuple[str, ...], by: str | None) -> None:
    """Freeze the results: exams and cards not taken count 0; anything still running blocks it."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    views = run(lambda: programme.assessments.candidates(user, library, assessment_id))
    names = list(trainees) or [v.user_name for v in views if v.status == "open"]
    if not names:
        fail("every trainee's result is already closed")
    failed = 0
    for name in names:
        try:
            result = programme.assessments.close(user, library, assessment_id, name)
        except DrillError as exc:  # say why, and go on with the others
            click.echo(f"{name}: {exc}", err=True)
            failed += 1
            continue
        verdict = "passed" if result.passed else "not passed"
        retake = f"; may retake {', '.join(result.resit_allowed)}" if result.resit_allowed else ""
        click.echo(
            f"{name}: theory {_num(result.theory)}, practical {_num(result.practical)}, "
            f"result {_num(result.total)}: {verdict}{retake}"
        )
    if failed:
        sys.exit(2)


@assess_group.command("resit")
@click.argument("assessment_id")
@click.option("--trainee", required=True)
@click.option("--part", type=click.Choice(["theory", "practical"]), required=True)
@click.option("--by", help="Mentor or admin account doing it.")
def resit(assessment_id: str, trainee: str, part: str, by: str | None) -> None:
    """Open a resit of a failed part (new exam questions or new cards); the first result is kept."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    number = run(lambda: programme.assessments.resit(user, library, assessment_id, trainee, part))  # type: ignore[arg-type]
    click.echo(f"{trainee}: {part} attempt {number} is open; the trainee takes it in the app")


@assess_group.command("export")
@click.argument("assessment_id")
@click.option("--trainee", "trainees", multiple=True, help="Only these trainees (default: all).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="html", show_default=True)
@click.option("--language", type=click.Choice(list(LANGUAGES)), help="Report language (default: the assessment's).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Folder (default: <data dir>/exports).")
@click.option("--by", help="Mentor or admin account exporting it.")
def export(
    assessment_id: str, trainees: tuple[str, ...], fmt: str, language: str | None, out: Path | None, by: str | None
) -> None:
    """Write one report per trainee (result, every attempt, every card and chat, the rules)."""
    current = settings()
    library = library_or_exit(current)
    programme = programme_for(current)
    user = actor(programme, by)
    views = run(lambda: programme.assessments.candidates(user, library, assessment_id))
    chosen = [v for v in views if not trainees or v.user_name in trainees]
    missing = sorted(set(trainees) - {v.user_name for v in views})
    if missing:
        fail(f"not in this assessment (or not yours): {', '.join(missing)}")
    folder = out or current.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    for view in chosen:
        lang = language or view.language
        path = folder / f"assessment-{assessment_id[:8]}-{view.user_name}-{lang}.{fmt}"
        # cards are named as they were played, whatever the case files say now
        recorded = library_with_sessions(programme.db.store.engine, library, view.session_ids())
        path.write_text(render(view, recorded, lang, fmt), encoding="utf-8")  # type: ignore[arg-type]
        click.echo(str(path))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _candidate_json(view: CandidateView) -> dict[str, Any]:
    result = view.result
    return {
        "assessment_id": view.assessment_id,
        "title": view.title,
        "language": view.language,
        "trainee": view.user_name,
        "status": view.status,
        "attempts": [
            {
                "part": a.part,
                "number": a.number,
                "state": a.state,
                "score": a.score,
                "items": [
                    {
                        "kind": i.kind,
                        "position": i.position,
                        "case_id": i.case_id,
                        "persona_id": i.persona_id,
                        "session_id": i.session_id,
                        "state": i.state,
                        "score": i.score,
                    }
                    for i in a.items
                ],
            }
            for a in view.attempts
        ],
        "result": None
        if result is None
        else {
            "theory": result.theory,
            "practical": result.practical,
            "total": result.total,
            "passed": result.passed,
            "failed_parts": result.failed_parts,
            "resit_allowed": result.resit_allowed,
        },
        "policy": view.policy.model_dump(mode="json"),
    }
