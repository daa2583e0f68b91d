"""Many simulated trainees at once through the running app, against a model with fixed latency.

``drill serve`` runs in its own process on 127.0.0.1 with the LLM customer pointed at the fake
OpenAI-compatible server (also its own process). ``--trainees`` browser sessions (the browser's
queue protocol, ``_gradio_wire``, all in one asyncio loop here) each start a drill, then, released
together, send ``--turns`` messages one after another. Before each message (the first answers
the customer's opening line) a trainee reads and types for ``--think-s`` seconds on average (each
pause drawn from 0.5x to 1.5x of it, seeded, so trainees drift apart as real ones do);
``--think-s 0`` sends each message the moment the previous reply has finished, all trainees at
once: a stress test of the server, not a picture of trainees.
Everything stays on loopback and is bounded by ``--timeout-s``.

The ideal is what the run would take if the app added nothing: each trainee's turns cost one model
latency each (the raw streaming call's mean, measured just before the run) plus its own pauses, so
``ideal wall = max over trainees of (turns x latency + its pauses)`` and
``% of ideal = ideal wall / measured wall``. With no pauses that is ``trainees / latency`` turns/s.

    .venv/bin/python benchmarks/concurrent_trainees.py --trainees 50 --turns 5 --latency-ms 300
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import httpx
from _common import Report, Stats, ms, parser, peak_rss_mb, scrub_environment, temp_dir
from _gradio_wire import EventResult, GradioApp, Trainee
from _processes import AppProcess, FakeModelProcess, customer_reply

TARGET_PCT_OF_IDEAL = 90.0
LINES = [
    "Hello, this is Sam from customer care. I'm sorry about this, let me help.",
    "Could you give me your order number, please?",
    "Thank you, I can see the order. Let me check where it is.",
    "I understand. I'll open a priority ticket for you right now.",
    "The courier will call you before 6 pm today; I'll follow up tomorrow.",
    "Is there anything else I can help you with?",
]
PERSONA, CASE = "rational_engineer", "en-logistics-parcel-wrong-door"


def raw_latency(base_url: str, calls: int) -> Stats:
    """Mean time of a raw streaming call to the fake model (the model latency the ideal uses)."""
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
    times = []
    for index in range(calls + 1):
        started = time.perf_counter()
        stream = client.chat.completions.create(
            model="fake-model", stream=True, messages=[{"role": "user", "content": LINES[0]}]
        )
        for _ in stream:
            pass
        if index:  # the first call opens the connection
            times.append(time.perf_counter() - started)
    return Stats.of(times)


def think_times(trainees: int, turns: int, think_s: float, seed: int = 7) -> list[list[float]]:
    """Each trainee's pause before each of its messages: 0.5x to 1.5x ``think_s``, seeded."""
    rng = random.Random(seed)
    return [[think_s * rng.uniform(0.5, 1.5) for _ in range(turns)] for _ in range(trainees)]


async def run_trainees(
    url: str,
    trainees: int,
    turns: int,
    timeout_s: float,
    connections: int,
    pauses: list[list[float]],
    on_release: Any = None,
) -> tuple[list[EventResult], list[EventResult], float, list[str]]:
    """Start every drill, then run all trainees' turns concurrently; return results and the wall time."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=timeout_s) as client:
        app = await GradioApp.load(client, url)
        chat = app.component_id("trainee-chat")
        people = [Trainee(app, client, chat) for _ in range(trainees)]

        async def begin(person: Trainee) -> EventResult:
            pages = await person.open_page(timeout_s=timeout_s)
            failed = next((page for page in pages if not page.success), None)
            return failed or await person.call("start_drill", [PERSONA, CASE], timeout_s=timeout_s)

        starts = await asyncio.gather(*(begin(person) for person in people))
        errors = [f"start: {result.error}" for result in starts if not result.success]
        results: list[EventResult] = []

        async def practise(person: Trainee, offset: int) -> None:
            for turn in range(turns):
                if pauses[offset][turn]:
                    await asyncio.sleep(pauses[offset][turn])
                result = await person.call("send_message", [LINES[(offset + turn) % len(LINES)]], timeout_s=timeout_s)
                results.append(result)
                if not result.success:
                    errors.append(f"send: {result.error}")
                    return

        if on_release is not None:
            on_release()
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(practise(p, i) for i, p in enumerate(people))), timeout_s)
        except TimeoutError:
            errors.append(f"timed out after {timeout_s:g} s")
        wall = time.perf_counter() - started
        return list(starts), results, wall, errors


def main() -> None:
    """Run the load and print throughput against the ideal."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--trainees", type=int, default=50)
    args.add_argument("--turns", type=int, default=5, help="messages per trainee")
    args.add_argument("--latency-ms", type=float, default=300.0, help="model latency to the first token")
    args.add_argument("--per-chunk-ms", type=float, default=0.0, help="model delay between stream chunks")
    args.add_argument("--timeout-s", type=float, default=900.0, help="bound on the whole run")
    args.add_argument(
        "--profile-app",
        type=Path,
        default=None,
        help="run the app with the sampling profiler and write its busiest functions here",
    )
    args.add_argument(
        "--think-s",
        type=float,
        default=0.0,
        help="mean pause between a reply and the trainee's next message (0: a stress test)",
    )
    options = args.parse_args()
    scrub_environment()
    report = Report(
        "concurrent_trainees",
        "Concurrent trainees through the running app",
        params={
            "trainees": options.trainees,
            "turns each": options.turns,
            "model first-token latency ms": options.latency_ms,
            "per-chunk ms": options.per_chunk_ms,
            "think s (mean pause between turns)": options.think_s,
        },
    )
    with (
        FakeModelProcess(
            first_token_ms=options.latency_ms, per_chunk_ms=options.per_chunk_ms, reply=customer_reply("en")
        ) as fake,
        temp_dir("load") as data_dir,
    ):
        model = raw_latency(fake.base_url, 5)
        pauses = think_times(options.trainees, options.turns, options.think_s)
        env = {
            "DRILL_LLM_BASE_URL": fake.base_url,
            "DRILL_LLM_API_KEY": "bench",
            "DRILL_LLM_MODEL": "fake-model",
            "DRILL_LLM_MAX_RETRIES": "0",
        }
        app = AppProcess(data_dir / "app", env=env, profile_to=options.profile_app)
        try:
            if app.started_s is None:
                report.note(f"the app did not start; its log ends:\n{app.log_tail()}")
                report.finish(options.json)
                return
            if app.index_ready_s is not None:
                report.note(
                    f"App up (HTTP 200) after {app.started_s:.1f} s; its start-up case-index build ended "
                    f"at {app.index_ready_s:.1f} s, and the trainees started after that (steady state)."
                )
            marks: dict[str, float] = {}

            def release() -> None:  # the measured run starts now: profile and count CPU from here
                app.start_profiling()
                marks["server"], marks["client"] = app.cpu_seconds(), time.process_time()

            starts, results, wall, errors = asyncio.run(
                run_trainees(
                    app.url,
                    options.trainees,
                    options.turns,
                    options.timeout_s,
                    options.trainees * 2 + 4,
                    pauses,
                    release,
                )
            )
            server_cpu = app.cpu_seconds() - marks["server"]
            client_cpu = time.process_time() - marks["client"]
        finally:
            app.stop()

    ok = [r for r in results if r.success]
    latency_s = model.mean
    ideal_wall = max(options.turns * latency_s + sum(own) for own in pauses)
    ideal = options.trainees * options.turns / ideal_wall
    throughput = len(ok) / wall if wall > 0 else float("nan")
    pct = 100.0 * throughput / ideal
    turn = Stats.of([ms(r.total_s) for r in ok])
    first = Stats.of([ms(r.first_s) for r in ok if r.first_s is not None])
    start = Stats.of([ms(r.total_s) for r in starts if r.success])
    messages = Stats.of([float(r.messages) for r in ok])

    summary = report.table(
        f"Throughput (target: at least {TARGET_PCT_OF_IDEAL:g} % of ideal)",
        [
            "trainees",
            "turns done",
            "errors",
            "wall s",
            "model latency ms (raw call)",
            "ideal turns/s",
            "measured turns/s",
            "% of ideal",
            "target met",
        ],
    )
    summary.add(
        options.trainees,
        len(ok),
        len(errors),
        wall,
        ms(latency_s),
        ideal,
        throughput,
        pct,
        "yes" if pct >= TARGET_PCT_OF_IDEAL else "no",
    )
    lat = report.table("Latency per turn under load, ms", ["measure", "n", "mean", "p50", "p95", "max"])
    lat.add("turn (send -> reply fully streamed)", turn.n, turn.mean, turn.p50, turn.p95, turn.max)
    lat.add(
        "  of which over the model alone",
        turn.n,
        turn.mean - ms(latency_s),
        turn.p50 - ms(latency_s),
        turn.p95 - ms(latency_s),
        turn.max - ms(latency_s),
    )
    lat.add("first visible customer character", first.n, first.mean, first.p50, first.p95, first.max)
    lat.add(
        "open page + start drill (all at once, before the run)", start.n, start.mean, start.p50, start.p95, start.max
    )
    lat.add(
        "model alone (raw streaming call, idle)", model.n, ms(model.mean), ms(model.p50), ms(model.p95), ms(model.max)
    )
    cpu = report.table("Where the CPU went during the run", ["process", "CPU s", "cores busy (avg)", "CPU ms per turn"])
    cpu.add(
        "app server (drill serve)",
        server_cpu,
        server_cpu / wall if wall else float("nan"),
        ms(server_cpu) / max(len(ok), 1),
    )
    cpu.add(
        "load generator (this process)",
        client_cpu,
        client_cpu / wall if wall else float("nan"),
        ms(client_cpu) / max(len(ok), 1),
    )
    per_turn_ms = ms(server_cpu) / max(len(ok), 1)
    bound = 1000.0 / per_turn_ms if per_turn_ms > 0 else float("nan")
    budget = 1000.0 / (ideal * TARGET_PCT_OF_IDEAL / 100)
    capacity = report.table(
        "CPU bound of one app process (independent of machine load)",
        [
            "server CPU ms per turn",
            "max turns/s on one core (GIL)",
            "% of ideal at best",
            f"CPU budget per turn for {TARGET_PCT_OF_IDEAL:g} % of ideal, ms",
        ],
    )
    capacity.add(per_turn_ms, bound, 100.0 * bound / ideal, budget)
    report.note(
        f"Each turn took {messages.mean:.1f} Gradio messages on average: the trainee's line, the first "
        "customer characters, paced updates while the reply streams (the app shares a budget of updates "
        "per second among the replies streaming at once), and the final state."
    )
    if errors:
        report.note(f"{len(errors)} error(s), first: {errors[0]}")
    if options.profile_app is not None:
        report.note(f"Sampling profile of the app server written to {options.profile_app}.")
    report.finish(options.json, child_rss_mb=peak_rss_mb(children=True))


if __name__ == "__main__":
    main()
