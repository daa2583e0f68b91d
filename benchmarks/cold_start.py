"""App cold start: ``drill serve`` process start -> the page answers HTTP 200.

Two data directories: a fresh one (empty ``DRILL_DATA_DIR``: the database and exports folder are
created at start) and a warmed one (used by a previous start, with the case index built by
``drill index``, the way a deployed instance looks). Runs alternate between the two. Also timed:
the imports alone (``import gradio``; ``import simulator.app.ui``), so the start-up can be split
into imports and the rest, and the first drill started after the page is up (lazy imports and the
first database writes), on the embedded defaults (offline engines).

    .venv/bin/python benchmarks/cold_start.py --runs 3
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx
from _common import PROJECT_DIR, PYTHON, Report, Stats, clean_env, parser, peak_rss_mb, scrub_environment, temp_dir
from _gradio_wire import GradioApp, Trainee
from _processes import INDEX_READY_MARKERS, AppProcess, drill_command, serve_warms_index

PERSONA, CASE = "rational_engineer", "en-logistics-parcel-wrong-door"


def import_time(module: str) -> float:
    """Seconds for a fresh interpreter to import ``module`` and exit."""
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", f"import {module}"], check=True, env=clean_env(), cwd=str(PROJECT_DIR))
    return time.perf_counter() - started


async def first_drill(url: str) -> float:
    """Seconds for the first /start_drill after the page is up (and its load event has run)."""
    async with httpx.AsyncClient(timeout=120) as client:
        app = await GradioApp.load(client, url)
        trainee = Trainee(app, client, app.component_id("trainee-chat"))
        await trainee.open_page()
        result = await trainee.call("start_drill", [PERSONA, CASE])
        if not result.success:
            raise RuntimeError(f"/start_drill failed: {result.error}")
        return result.total_s


def main() -> None:
    """Time the starts and print the table."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--runs", type=int, default=3, help="starts per data-directory state")
    args.add_argument("--index-embedder", default="e5-small", help="embedder `drill index` builds the warm index with")
    args.add_argument("--timeout-s", type=float, default=300.0, help="give up on one start after this long")
    options = args.parse_args()
    scrub_environment()
    report = Report(
        "cold_start",
        "App cold start (process start -> HTTP 200)",
        params={
            "runs per state": options.runs,
            "warm index embedder": options.index_embedder,
        },
    )
    starts: dict[str, list[float]] = {"fresh data dir": [], "warm data dir + built index": []}
    drills: dict[str, list[float]] = {key: [] for key in starts}
    ready: dict[str, list[float]] = {key: [] for key in starts}
    failures: list[str] = []
    with temp_dir("cold") as root:
        warm = root / "warm"
        # A first start creates the database (and builds the index, like a first deployment).
        first = AppProcess(warm, timeout_s=options.timeout_s, index_timeout_s=options.timeout_s * 3)
        first.stop()
        started = time.perf_counter()
        built = subprocess.run(
            [*drill_command(), "index", "--embedder", options.index_embedder],
            env=clean_env(DRILL_DATA_DIR=str(warm)),
            cwd=str(PROJECT_DIR),
            capture_output=True,
            text=True,
        )
        index_s = time.perf_counter() - started
        if built.returncode != 0:
            failures.append(f"drill index failed: {built.stderr.strip()[-300:]}")
        for run in range(options.runs):
            for state in list(starts) if run % 2 == 0 else list(reversed(starts)):
                data_dir = root / f"fresh-{run}" if state.startswith("fresh") else warm
                app = AppProcess(data_dir, timeout_s=options.timeout_s, log_name=f"serve-{run}.log", wait_index=False)
                try:
                    if app.started_s is None:
                        failures.append(f"{state}: no HTTP 200 within {options.timeout_s:g} s: {app.log_tail(5)}")
                        continue
                    starts[state].append(app.started_s)
                    drills[state].append(asyncio.run(first_drill(app.url)))
                    if serve_warms_index() and app._wait_for_log(INDEX_READY_MARKERS, options.timeout_s * 3):
                        ready[state].append(time.perf_counter() - app.launched_at)
                finally:
                    app.stop()
        imports = {
            module: Stats.of([import_time(module) for _ in range(options.runs)])
            for module in ("gradio", "simulator.app.ui")
        }

    table = report.table(
        "Cold start, seconds",
        [
            "data directory",
            "runs",
            "start -> HTTP 200 mean",
            "min",
            "max",
            "first drill right after, mean s",
            "start -> start-up index build done, mean s",
        ],
    )
    for state, values in starts.items():
        s = Stats.of(values)
        table.add(
            state,
            s.n,
            s.mean,
            min(values) if values else float("nan"),
            s.max,
            Stats.of(drills[state]).mean,
            Stats.of(ready[state]).mean,
        )
    parts = report.table("Where start-up time goes, seconds (fresh interpreter each)", ["step", "mean", "max"])
    for module, s in imports.items():
        parts.add(f"python -c 'import {module}'", s.mean, s.max)
    parts.add(f"drill index ({options.index_embedder}, all shipped cases, once)", index_s, index_s)
    report.note(
        "start -> HTTP 200 includes the interpreter, imports (gradio, pandas, matplotlib, chromadb "
        "via the app modules), reading the content, building the Blocks and starting uvicorn. After "
        "that, drill serve builds or refreshes the case index in a background thread (the default "
        "embedder, e5-small); with a fresh data directory that embeds every case and keeps the CPU busy "
        "while the first trainees arrive; with a built index it only compares content hashes."
    )
    for failure in failures:
        report.note(failure)
    report.finish(options.json, child_rss_mb=peak_rss_mb(children=True))


if __name__ == "__main__":
    main()
