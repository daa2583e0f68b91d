"""`drill simulate`: play trainee lines from a file against a simulated customer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from simulator.cli.root import echo_json, fail, library_or_exit, settings
from simulator.conversation import Conversation
from simulator.customer import ENGINES, EngineName, make_customer
from simulator.errors import CustomerUnavailable, DrillError, MessageRejected
from simulator.i18n import t
from simulator.limits import DRILL_TURNS
from simulator.models import Turn


def read_agent_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty lines of ``path`` with their 1-based line numbers; each must pass message validation."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DrillError(f"cannot read agent file {path}: {exc}") from exc
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            lines.append((number, Conversation.validate_agent_message(line)))
        except MessageRejected as exc:
            raise DrillError(f"{path}:{number}: {exc}") from exc
    if not lines:
        raise DrillError(f"agent file {path} has no non-empty lines; write one trainee message per line")
    # The customer's opening line plus one reply per message must fit in one drill; refusing
    # before the first call spares a long file one model call per line past the cap.
    most = max((DRILL_TURNS.value - 1) // 2, 0)
    if len(lines) > most:
        raise DrillError(
            f"{path}: {len(lines)} trainee messages do not fit in one drill: a drill holds at most "
            f"{DRILL_TURNS.value} turns (the opening line and a reply to each message), so at most {most} "
            f"messages (set {DRILL_TURNS.env} to change it). Shorten the file or split it into several drills."
        )
    return lines


@click.command("simulate")
@click.option("--persona", "persona_id", required=True, help="Persona id (see `drill personas`).")
@click.option("--case", "case_id", required=True, help="Case id (see `drill cases`).")
@click.option(
    "--agent-file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="UTF-8 text file with one trainee message per line (blank lines are skipped).",
)
@click.option(
    "--engine",
    type=click.Choice(list(ENGINES)),
    default=None,
    help="Customer engine (default: llm when an LLM endpoint is configured, else offline).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same offline conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript JSON (with per-turn customer state).")
def simulate(persona_id: str, case_id: str, agent_file: Path, engine: str | None, seed: int, as_json: bool) -> None:
    """Play each line of --agent-file as a trainee turn against a simulated customer.

    Stops early when the customer ends the conversation (resolved, gave up or escalated). Prints a
    readable dialogue, or with --json the transcript JSON that `drill grade` reads. Exit codes:
    0 played, 1 the customer became unavailable (the transcript so far is still printed),
    2 bad input (unknown persona or case, language mismatch, bad agent file).
    """
    current = settings()
    library = library_or_exit(current)
    try:
        persona = library.persona(persona_id)
        case = library.case(case_id)
        lines = read_agent_lines(agent_file)
        customer = make_customer(
            persona,
            case,
            engine=cast(EngineName | None, engine),
            seed=seed,
            settings=current,
            rubric=library.rubric,
        )
    except (LookupError, DrillError, ValueError) as exc:
        fail(str(exc).strip("'\""))
        return
    conversation = Conversation(customer)
    error: str | None = None
    try:
        conversation.start()
        for _, line in lines:
            if conversation.ended:
                break
            conversation.send(line).collect()
    except CustomerUnavailable as exc:
        error = str(exc)
    if as_json:
        echo_json(conversation.to_json())
    else:
        _print_dialogue(conversation, customer.name, seed)
    for index, warnings in sorted(conversation.turn_warnings.items()):
        for warning in warnings:  # what the engine corrected in the model's replies
            click.echo(f"warning: turn {index}: {warning}", err=True)
    if error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _print_dialogue(conversation: Conversation, engine_name: str, seed: int) -> None:
    transcript = conversation.transcript
    lang = transcript.language
    labels = {name: t(f"simulate.{name}", lang) for name in ("customer", "agent", "mood", "goal", "outcome")}
    click.echo(
        f"# {transcript.persona_id} ({transcript.archetype}) · {transcript.case_id} · "
        f"{engine_name} engine · seed {seed}"
    )
    for turn in conversation.turns:
        click.echo(_format_turn(turn, labels))
    state = conversation.state
    if state is not None:
        outcome = state.outcome or "-"
        click.echo(
            f"# {labels['outcome']}: {outcome} · {labels['goal']}: {state.goal_met} · {labels['mood']}: {state.mood}/10"
        )


def _format_turn(turn: Turn, labels: dict[str, str]) -> str:
    if turn.role == "agent":
        return f"{labels['agent']}: {turn.text}"
    mood = f" [{labels['mood']} {turn.state.mood}]" if turn.state is not None else ""
    return f"{labels['customer']}{mood}: {turn.text}"
