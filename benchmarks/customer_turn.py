"""Offline customer turn time with the learned recogniser and the shared state machine.

Plays the scripted trainee styles of ``evals/trainee_scripts/`` (default: the everyday-paraphrase
and gaming styles) against persona x case pairs of the same language through ``Conversation`` +
``OfflineCustomer`` and times every customer reply from ``send`` until the stream is consumed: the
recogniser (sentence split, e5, classifier), offer matching, the state machine and the voice.
The on-disk vector cache is off, so a sentence is embedded the first time this process meets it
(the generic lines of a style recur across drills and are then served from memory, as in a real
team's drills; each case's own offers are new). Turns whose sentences were all seen before are
reported apart. Issue 11's target: p95 <= 150 ms.

    .venv/bin/python benchmarks/customer_turn.py --pairs 60
"""

from __future__ import annotations

import os
import random
import time

from _common import PROJECT_DIR, Report, Stats, ms, parser, scrub_environment

DEFAULT_STYLES = ("paraphrase_phone", "paraphrase_chat", "keyword_salad", "polite_shell", "one_word_offers")


def main() -> None:
    """Play the pairs and print turn-time statistics."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--pairs", type=int, default=60, help="persona x case pairs, drawn at random (seed 0)")
    args.add_argument("--style", action="append", help="trainee style id (repeatable)")
    options = args.parse_args()
    scrub_environment()
    os.environ["DRILL_EMBEDDING_CACHE"] = "off"

    from simulator.content import load_library
    from simulator.conversation import Conversation
    from simulator.customer.offline import OfflineCustomer
    from simulator.evals.trainee_scripts import load_trainee_scripts, render_style
    from simulator.recognition.encoder import sentence_encoder

    library = load_library(PROJECT_DIR)
    rubric = library.require_rubric()
    scripts = load_trainee_scripts()
    styles = tuple(options.style or DEFAULT_STYLES)
    pairs = [
        (persona, case)
        for case in sorted(library.cases.values(), key=lambda c: c.id)
        for persona in sorted(library.personas.values(), key=lambda p: p.id)
        if case.language in persona.languages
    ]
    random.Random(0).shuffle(pairs)
    pairs = pairs[: options.pairs]
    encoder = sentence_encoder()
    encoder.encode(["warm-up"])  # load the model before timing
    report = Report(
        "customer_turn",
        "Offline customer turn with the recogniser and the state machine (disk cache off)",
        params={"pairs": len(pairs), "styles": ", ".join(styles)},
    )
    fresh: list[float] = []
    seen: list[float] = []
    setups: list[float] = []
    started_all = time.perf_counter()
    for persona, case in pairs:
        script = scripts[case.language]
        for style_id in styles:
            started = time.perf_counter()
            conversation = Conversation(OfflineCustomer(persona, case, seed=0, rubric=rubric))
            conversation.start()
            setups.append(ms(time.perf_counter() - started))
            for line in render_style(script.style(style_id), case):
                if conversation.ended:
                    break
                before = encoder.computed
                started = time.perf_counter()
                conversation.send(line.text).collect()
                elapsed = ms(time.perf_counter() - started)
                (fresh if encoder.computed > before else seen).append(elapsed)
    wall = time.perf_counter() - started_all
    table = report.table("Customer turn (send -> reply complete), ms", ["turns", "n", "mean", "p50", "p95", "max"])
    for label, values in (("all", fresh + seen), ("with a new sentence", fresh), ("all sentences seen", seen)):
        s = Stats.of(values)
        table.add(label, s.n, s.mean, s.p50, s.p95, s.max)
    s = Stats.of(setups)
    report.table("Drill set-up (rules, voice, opening line), ms", ["drills", "mean", "p95"]).add(s.n, s.mean, s.p95)
    report.note(f"{len(pairs) * len(styles)} drills in {wall:.1f} s; load average {os.getloadavg()[0]:.1f}.")
    report.finish(options.json)


if __name__ == "__main__":
    main()
