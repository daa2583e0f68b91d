"""`drill acts`, `drill train acts` and `drill eval acts`: the dialogue-act recogniser from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import click

from simulator.cli.root import echo_json, fail
from simulator.config import PROJECT_DIR
from simulator.content_problems import ContentError
from simulator.errors import DrillError
from simulator.limits import ACTS_TEXTS, MESSAGE_CHARS, too_long
from simulator.models import LANGUAGES


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc} (expected a UTF-8 text file, one text per line)")
        return []
    return [line for line in text.splitlines() if line.strip()]


@click.command("acts")
@click.argument("texts", nargs=-1)
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A UTF-8 text file with one text per line (blank lines skipped), read after TEXT arguments.",
)
@click.option("--language", type=click.Choice(list(LANGUAGES)), required=True, help="Language of the texts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per text, in input order.")
def acts_command(texts: tuple[str, ...], path: Path | None, language: str, as_json: bool) -> None:
    """Recognise the dialogue acts of agent texts, sentence by sentence.

    Each TEXT (and each line of --file) is split into sentences; each sentence gets the acts it
    performs with a score from 0 to 1 (an act is recognised at 0.5 and above). Act names and what
    they mean: docs/acts.md.
    """
    items = [*texts, *(_read_lines(path) if path else [])]
    if not items:
        fail("give at least one TEXT or --file FILE (one text per line)")
    if len(items) > ACTS_TEXTS.value:
        fail(too_long("the input", len(items), ACTS_TEXTS) + "; split the file")
    for number, item in enumerate(items, 1):
        if len(item) > MESSAGE_CHARS.value:
            fail(too_long(f"text {number}", len(item), MESSAGE_CHARS))
    from simulator.recognition import recognize_texts

    try:
        results = recognize_texts(items, language)  # type: ignore[arg-type]
    except DrillError as exc:
        fail(str(exc), code=3)
        return
    if as_json:
        echo_json([result.to_json() for result in results])
        return
    for number, result in enumerate(results, 1):
        click.echo(f"[{number}] {result.text}")
        for sentence in result.sentences:
            acts = ", ".join(f"{item.act.value} {item.score:.2f}" for item in sentence.acts) or "(no act)"
            click.echo(f"    {sentence.text}  →  {acts}")
        summary = ", ".join(item.act.value for item in result.acts) or "(no act)"
        click.echo(f"    acts: {summary}")


@click.group("train")
def train_group() -> None:
    """Rebuild learned models from their labelled data."""


def _offers_command() -> click.Command:
    from simulator.cli.offers_command import train_offers

    return train_offers


train_group.add_command(_offers_command())


def _fulfilment_command() -> click.Command:
    from simulator.cli.fulfilment_command import train_fulfilment

    return train_fulfilment


train_group.add_command(_fulfilment_command())


@train_group.command("acts")
@click.option("--json", "as_json", is_flag=True, help="Print the chosen model's summary as JSON.")
def train_acts(as_json: bool) -> None:
    """Refit the act classifier on the corpus's train split, choose it on dev, ship it.

    Writes simulator/recognition/model/acts.json and acts.npz, keyed by a hash of the train and dev
    splits and training.yaml. The test split is never read. Vectors are cached on disk, so a rerun after adding a
    few sentences only embeds the new ones.
    """
    from simulator.recognition.classifier import save_model
    from simulator.recognition.training import TrainingError, train_model

    def progress(step: str, done: int, total: int) -> None:
        click.echo(f"\r{step}: {done}/{total}", nl=done >= total, err=True)

    try:
        run = train_model(progress=progress)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the corpus; fix them and run again")
        return
    except TrainingError as exc:
        fail(str(exc))
        return
    save_model(run.model)
    meta = run.model.meta
    if as_json:
        echo_json(meta)
        return
    for row in run.candidates:
        cross = f"; cross-author {row['cross_author_macro_f1']}" if "cross_author_macro_f1" in row else ""
        click.echo(f"  {row['candidate']:32} dev macro-F1 {row['dev_macro_f1']}{cross}")
    corpus = meta["corpus"]
    click.echo(
        f"chose {meta['classifier']} (by {meta.get('chosen_by', 'dev')}; thresholds from {meta['thresholds_from']}); "
        f"corpus key {corpus['key']} "
        f"({corpus['train_sentences']} train, {corpus['dev_sentences']} dev sentences)"
    )


@click.command("acts")
@click.option("--split", type=click.Choice(["dev", "test"]), default="dev", show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for report.json and report.md [default: evals/results/acts-SPLIT].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def eval_acts(split: str, out_dir: Path | None, as_json: bool) -> None:
    """Per-act precision, recall and F1 (95 % intervals), macro-F1 per language, confusions, speed.

    The test split is frozen: report it, never tune on it. Its hash is printed with every report.
    """
    from simulator.recognition.corpus import split_files
    from simulator.recognition.evaluation import evaluate_split, format_report

    if not split_files(split):  # type: ignore[arg-type]
        # A retired test split leaves the folder empty until the next frozen one lands: say so
        # plainly instead of scoring nothing.
        note = " (the last frozen test split was retired; a new one is added before any scoring)"
        fail(
            f"no {split} split is present: simulator/recognition/corpus/{split}/ holds no corpus files"
            + (note if split == "test" else "")
        )
        return
    try:
        report = evaluate_split(split)  # type: ignore[arg-type]
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in the corpus")
        return
    except DrillError as exc:
        fail(str(exc), code=3)
        return
    if not report["sentences"]:
        fail(f"the {split} split has no sentences yet (simulator/recognition/corpus/{split}/)")
    target = out_dir or PROJECT_DIR / "evals" / "results" / f"acts-{split}"
    target.mkdir(parents=True, exist_ok=True)
    (target / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (target / "report.md").write_text(f"```\n{format_report(report)}\n```\n", encoding="utf-8")
    if as_json:
        echo_json(report)
    else:
        click.echo(format_report(report))
        click.echo(f"\nreport: {target / 'report.md'}")
