"""Many simulated trainees at once through the running app, against a model with fixed latency.

``drill serve`` runs in its own process on 127.0.0.1 with the LLM customer pointed at the fake
OpenAI-compatible server (also its own process). ``--trainees`` browser sessions (the browser's
queue protocol, ``_gradio_wire``, all in one asyncio loop here) each start a drill, then, released
together, send ``--turns`` messages one after another, each as soon as the previous reply has
finished streaming. Everything stays on loopback and is bounded by ``--timeout-s``.

The ideal is set by the model alone: every trainee waits one model latency per turn, so
``ideal = trainees x turns / (turns x latency) = trainees / latency`` turns per second, where
``latency`` is the raw streaming call's mean time measured just before the run.

    .venv/bin/python benchmarks/concurrent_trainees.py --trainees 50 --turns 5 --latency-ms 300
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
from _common import (
    AppProcess,
    FakeModelProcess,
    Report,
    Stats,
    customer_reply,
    ms,
    parser,
    peak_rss_mb,
    scrub_environment,
    temp_dir,
)
from _gradio_wire import EventResult, GradioApp, Trainee

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
        stream = client.chat.completions.create(model="fake-model", stream=True,
                                                messages=[{"role": "user", "content": LINES[0]}])
        for _ in stream:
            pass
        if index:  # the first call opens the connection
            times.append(time.perf_counter() - started)
    return Stats.of(times)


async def run_trainees(url: str, trainees: int, turns: int, timeout_s: float, connections: int,
                       on_release: Any = None) -> tuple[list[EventResult], list[EventResult], float, list[str]]:
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
    args.add_argument("--profile-app", type=Path, default=None,
                      help="run the app with the sampling profiler and write its busiest functions here")
    args.add_argument("--what-if-coalesce-ms", type=float, default=None,
                      help="what-if: patch the app (in its process only) to send at most one chat update per "
                           "this many ms while a reply streams")
    options = args.parse_args()
    scrub_environment()
    report = Report("concurrent_trainees", "Concurrent trainees through the running app", params={
        "trainees": options.trainees, "turns each": options.turns, "model first-token latency ms": options.latency_ms,
        "per-chunk ms": options.per_chunk_ms,
        "what-if coalesce ms": options.what_if_coalesce_ms if options.what_if_coalesce_ms is not None else "off",
    })
    with FakeModelProcess(first_token_ms=options.latency_ms, per_chunk_ms=options.per_chunk_ms,
                          reply=customer_reply("en")) as fake, temp_dir("load") as data_dir:
        model = raw_latency(fake.base_url, 5)
        env = {"DRILL_LLM_BASE_URL": fake.base_url, "DRILL_LLM_API_KEY": "bench", "DRILL_LLM_MODEL": "fake-model",
               "DRILL_LLM_MAX_RETRIES": "0"}
        app = AppProcess(data_dir / "app", env=env, profile_to=options.profile_app,
                         coalesce_ms=options.what_if_coalesce_ms)
        try:
            if app.started_s is None:
                report.note(f"the app did not start; its log ends:\n{app.log_tail()}")
                report.finish(options.json)
                return
            marks: dict[str, float] = {}

            def release() -> None:  # the measured run starts now: profile and count CPU from here
                app.start_profiling()
                marks["server"], marks["client"] = app.cpu_seconds(), time.process_time()

            starts, results, wall, errors = asyncio.run(run_trainees(
                app.url, options.trainees, options.turns, options.timeout_s, options.trainees * 2 + 4, release))
            server_cpu = app.cpu_seconds() - marks["server"]
            client_cpu = time.process_time() - marks["client"]
        finally:
            app.stop()

    ok = [r for r in results if r.success]
    latency_s = model.mean
    ideal = options.trainees / latency_s
    throughput = len(ok) / wall if wall > 0 else float("nan")
    pct = 100.0 * throughput / ideal
    turn = Stats.of([ms(r.total_s) for r in ok])
    first = Stats.of([ms(r.first_s) for r in ok if r.first_s is not None])
    start = Stats.of([ms(r.total_s) for r in starts if r.success])
    messages = Stats.of([float(r.messages) for r in ok])

    summary = report.table(f"Throughput (target: at least {TARGET_PCT_OF_IDEAL:g} % of ideal)",
                           ["trainees", "turns done", "errors", "wall s", "model latency ms (raw call)",
                            "ideal turns/s", "measured turns/s", "% of ideal", "target met"])
    summary.add(options.trainees, len(ok), len(errors), wall, ms(latency_s), ideal, throughput, pct,
                "yes" if pct >= TARGET_PCT_OF_IDEAL else "no")
    lat = report.table("Latency per turn under load, ms",
                       ["measure", "n", "mean", "p50", "p95", "max"])
    lat.add("turn (send -> reply fully streamed)", turn.n, turn.mean, turn.p50, turn.p95, turn.max)
    lat.add("first visible customer character", first.n, first.mean, first.p50, first.p95, first.max)
    lat.add("open page + start drill (all at once, before the run)", start.n, start.mean, start.p50, start.p95,
            start.max)
    lat.add("model alone (raw streaming call, idle)", model.n, ms(model.mean), ms(model.p50), ms(model.p95),
            ms(model.max))
    cpu = report.table("Where the CPU went during the run", ["process", "CPU s", "cores busy (avg)", "CPU ms per turn"])
    cpu.add("app server (drill serve)", server_cpu, server_cpu / wall if wall else float("nan"),
            ms(server_cpu) / max(len(ok), 1))
    cpu.add("load generator (this process)", client_cpu, client_cpu / wall if wall else float("nan"),
            ms(client_cpu) / max(len(ok), 1))
    per_turn_ms = ms(server_cpu) / max(len(ok), 1)
    bound = 1000.0 / per_turn_ms if per_turn_ms > 0 else float("nan")
    budget = 1000.0 / (ideal * TARGET_PCT_OF_IDEAL / 100)
    capacity = report.table("CPU bound of one app process (independent of machine load)",
                            ["server CPU ms per turn", "max turns/s on one core (GIL)", "% of ideal at best",
                             f"CPU budget per turn for {TARGET_PCT_OF_IDEAL:g} % of ideal, ms"])
    capacity.add(per_turn_ms, bound, 100.0 * bound / ideal, budget)
    report.note(f"Each turn streamed {messages.mean:.0f} Gradio messages on average (one per model chunk of "
                "4 characters, plus start and end).")
    if errors:
        report.note(f"{len(errors)} error(s), first: {errors[0]}")
    if options.profile_app is not None:
        report.note(f"Sampling profile of the app server written to {options.profile_app}.")
    report.finish(options.json, child_rss_mb=peak_rss_mb(children=True))


if __name__ == "__main__":
    main()
