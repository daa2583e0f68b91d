"""Per-turn overhead of drill's path over the raw model call, at a configurable model latency.

The fake OpenAI-compatible server runs in its own process and streams the same customer reply
(with its hidden state line) after ``--latency-ms`` to the first token. For every turn the same
messages go out along each path, one after the other (order alternating), and the paired
difference to the raw call is the overhead:

- ``raw``: the ``openai`` client streaming the exact messages the LLM customer would send;
- ``engine``: ``Conversation`` + ``LLMCustomer`` + ``SessionStore`` commits (agent turn before the
  call, customer turn after), i.e. ChatOpenAI, the marker filter, state parsing and SQLite;
- ``handlers``: the app's own handler ``simulator.app.trainee.send_message`` (what a Gradio event
  runs: live-session lookup, per-delta views, persistence), without Gradio;
- ``gradio``: the running app (``drill serve`` subprocess) driven by ``gradio_client``, through
  Gradio's queue and SSE (``--gradio-turns`` turns; 0 skips it).

"First visible" is when the first trainee-visible character arrives, compared with the model's
first token as the raw client sees it. CPU ms per turn (this process) shows where the time goes.
The in-process paths live in ``_turn_paths``, the running-app paths in ``_turn_app``.

    .venv/bin/python benchmarks/turn_overhead.py --latency-ms 300 --turns 40
"""

from __future__ import annotations

import cProfile
import io
import pstats
from pathlib import Path

from _common import Report, Stats, ms, parser, peak_rss_mb, scrub_environment, temp_dir
from _processes import FakeModelProcess, customer_reply
from _turn_app import run_gradio
from _turn_paths import Path_, Sample, Setup

TARGET_OVERHEAD_PCT = 2.0
TARGET_FIRST_CHAR_MS = 50.0


def main() -> None:
    """Measure the paths and print the tables."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--latency-ms", type=float, default=300.0, help="model latency to the first token")
    args.add_argument("--per-chunk-ms", type=float, default=0.0, help="model delay between stream chunks")
    args.add_argument("--turns", type=int, default=40, help="measured turns per in-process path")
    args.add_argument("--gradio-turns", type=int, default=20, help="measured turns through the running app (0: skip)")
    args.add_argument("--warmup", type=int, default=3, help="unmeasured turns first, per path")
    args.add_argument("--reset-every", type=int, default=8, help="start a new drill after this many turns")
    args.add_argument("--language", choices=["en", "zh-CN"], default="en")
    args.add_argument("--profile", type=Path, default=None, help="write a cProfile of the handler path here")
    args.add_argument(
        "--profile-app",
        type=Path,
        default=None,
        help="run the app with the sampling profiler and write its busiest functions here",
    )
    options = args.parse_args()
    scrub_environment()

    report = Report(
        "turn_overhead",
        "Per-turn overhead over the raw model call",
        params={
            "model first-token latency ms": options.latency_ms,
            "per-chunk ms": options.per_chunk_ms,
            "turns per path": options.turns,
            "gradio turns": options.gradio_turns,
            "language": options.language,
            "new drill every": options.reset_every,
        },
    )
    reply = customer_reply(options.language)
    with (
        FakeModelProcess(first_token_ms=options.latency_ms, per_chunk_ms=options.per_chunk_ms, reply=reply) as fake,
        temp_dir("turns") as data_dir,
    ):
        setup = Setup(fake.base_url, data_dir, options.language)
        paths = {
            name: Path_(name, label)
            for name, label in (
                ("raw", "raw openai stream"),
                ("langchain", "ChatOpenAI stream only (llm.stream_text)"),
                ("engine", "Conversation + LLMCustomer + store"),
                ("handlers", "app handler send_message (no Gradio)"),
            )
        }
        raw_for: dict[str, list[Sample]] = {"langchain": [], "engine": [], "handlers": []}
        profiler = cProfile.Profile() if options.profile else None
        for turn in range(options.warmup + options.turns):
            message = setup.next_line(turn)
            measured = turn >= options.warmup
            names = ("langchain", "engine", "handlers")
            for name in names if turn % 2 == 0 else tuple(reversed(names)):
                raw = setup.raw_turn(message)
                if name == "langchain":
                    app = setup.langchain_turn(message)
                elif name == "engine":
                    app = setup.engine_turn(message, options.reset_every)
                else:
                    if profiler is not None and measured:
                        profiler.enable()
                    app = setup.handler_turn(message, options.reset_every)
                    if profiler is not None and measured:
                        profiler.disable()
                if measured:
                    paths["raw"].samples.append(raw)
                    paths[name].samples.append(app)
                    raw_for[name].append(raw)

        commit_wall, commit_cpu = setup.commit_times(max(options.turns, 10))
        gradio_note = None
        if options.gradio_turns > 0:
            gradio_results, gradio_note = run_gradio(setup, fake.base_url, options, data_dir)
            labels = {
                "wire": "running app, browser-protocol client",
                "gradio_client": "running app, gradio_client",
                "bare": "bare Gradio chat (framework floor), browser-protocol client",
            }
            for name, (samples, raws) in gradio_results.items():
                if samples:
                    paths[name] = Path_(name, labels[name], samples)
                    raw_for[name] = raws
                    paths["raw"].samples.extend(raws)

    per_path = report.table(
        "Per-turn time, ms (model: first token after the latency, then the stream)",
        [
            "path",
            "turns",
            "first visible mean",
            "p50",
            "p95",
            "total mean",
            "p50",
            "p95",
            "CPU ms/turn (client process)",
            "CPU ms/turn (app server process)",
        ],
    )
    for item in paths.values():
        first = Stats.of([ms(s.first_s) for s in item.samples])
        total = Stats.of([ms(s.total_s) for s in item.samples])
        cpu = Stats.of([ms(s.cpu_s) for s in item.samples])
        server = Stats.of([ms(s.server_cpu_s) for s in item.samples if s.server_cpu_s is not None])
        per_path.add(
            item.label,
            first.n,
            first.mean,
            first.p50,
            first.p95,
            total.mean,
            total.p50,
            total.p95,
            cpu.mean,
            server.mean,
        )

    overhead = report.table(
        f"Overhead over the paired raw call (targets: < {TARGET_OVERHEAD_PCT:g} % of the turn, "
        f"first visible character < {TARGET_FIRST_CHAR_MS:g} ms after the model's first token)",
        [
            "path",
            "overhead mean ms",
            "p50",
            "p95",
            "overhead % (mean)",
            "first-char delay mean ms",
            "p50",
            "p95",
            "targets met",
        ],
    )
    mean_overhead: dict[str, float] = {}
    for name, raws in raw_for.items():
        if name not in paths:
            continue
        apps = paths[name].samples
        diffs = [ms(a.total_s - r.total_s) for a, r in zip(apps, raws, strict=True)]
        delays = [ms(a.first_s - r.first_s) for a, r in zip(apps, raws, strict=True)]
        d, f = Stats.of(diffs), Stats.of(delays)
        raw_mean = Stats.of([ms(r.total_s) for r in raws]).mean
        pct = 100.0 * d.mean / raw_mean if raw_mean else float("nan")
        met = (
            "yes"
            if pct < TARGET_OVERHEAD_PCT and f.p95 < TARGET_FIRST_CHAR_MS
            else (
                "overhead only"
                if pct < TARGET_OVERHEAD_PCT
                else ("first char only" if f.p95 < TARGET_FIRST_CHAR_MS else "no")
            )
        )
        overhead.add(paths[name].label, d.mean, d.p50, d.p95, pct, f.mean, f.p50, f.p95, met)
        mean_overhead[name] = d.mean
    commits = report.table(
        "One SessionStore.append_turn (a committed turn; the engine path does two per turn), ms",
        ["n", "wall mean", "p95", "CPU mean"],
    )
    commits.add(commit_wall.n, commit_wall.mean, commit_wall.p95, commit_cpu.mean)
    report.note(
        "Overhead = path total minus the raw call made just before it with the same messages; "
        "the first-char delay compares first visible character with the raw client's first token. "
        "The target for the first character is checked at p95."
    )
    if gradio_note:
        report.note(gradio_note)
    if "wire" in mean_overhead and "bare" in mean_overhead:
        report.note(
            f"The bare Gradio chat (_bare_chat_app.py: one Chatbot, the raw openai stream, the same pushes) "
            f"costs {mean_overhead['bare']:.1f} ms per turn over the raw call: the framework's floor. drill "
            f"adds {mean_overhead['wire'] - mean_overhead['bare']:.1f} ms on top (persona prompt, session "
            "lookups, two committed turns, patience meter, status and scorecard outputs)."
        )
    if options.profile is not None and profiler is not None:
        profiler.dump_stats(str(options.profile))
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(12)
        report.note(
            f"cProfile of the handler path written to {options.profile}; top functions by own time:\n"
            + stream.getvalue()
        )
    report.finish(options.json, child_rss_mb=peak_rss_mb(children=True))


if __name__ == "__main__":
    main()
