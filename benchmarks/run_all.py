"""Run every benchmark and write ``benchmarks/results.md`` (and ``results.json``) with the figures.

Each benchmark runs in its own process (so peak memory is its own) with the options below; the
figures are printed as they come and collected into the Markdown file with the machine's details
and the load average, because these numbers only mean something next to the machine they came
from. ``--only NAME ...`` reruns some of them and keeps the others' last figures.

    .venv/bin/python benchmarks/run_all.py            # everything (~30-60 min on 2 busy cores)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller counts, a few minutes
    .venv/bin/python benchmarks/run_all.py --only grading retrieval
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import BENCH_DIR, PYTHON, Table, clean_env, machine_info

# name -> (script, full options, quick options)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "turn_overhead": (
        "turn_overhead.py",
        ["--latency-ms", "300", "--turns", "40", "--gradio-turns", "20"],
        ["--latency-ms", "300", "--turns", "10", "--gradio-turns", "6"],
    ),
    "concurrent_trainees": (
        "concurrent_trainees.py",
        ["--trainees", "50", "--turns", "5", "--latency-ms", "300"],
        ["--trainees", "20", "--turns", "3", "--latency-ms", "300"],
    ),
    "concurrent_trainees_streaming": (
        "concurrent_trainees.py",
        ["--trainees", "50", "--turns", "5", "--latency-ms", "300", "--per-chunk-ms", "20"],
        ["--trainees", "20", "--turns", "3", "--latency-ms", "300", "--per-chunk-ms", "20"],
    ),
    "concurrent_trainees_typing": (
        "concurrent_trainees.py",
        ["--trainees", "50", "--turns", "5", "--latency-ms", "300", "--per-chunk-ms", "20", "--think-s", "5"],
        ["--trainees", "20", "--turns", "3", "--latency-ms", "300", "--per-chunk-ms", "20", "--think-s", "5"],
    ),
    "grading": ("grading.py", ["--latency-ms", "300", "--runs", "5"], ["--latency-ms", "300", "--runs", "2"]),
    "retrieval": (
        "retrieval.py",
        ["--sizes", "100", "1000", "10000", "--embedders", "ngram", "e5-small"],
        ["--sizes", "100", "1000", "--embedders", "ngram", "--queries", "10"],
    ),
    "offline_engine": ("offline_engine.py", ["--seeds", "2"], ["--seeds", "1"]),
    "recognition": ("recognition.py", ["--turns", "40"], ["--turns", "10"]),
    "customer_turn": ("customer_turn.py", ["--pairs", "60"], ["--pairs", "10"]),
    "cold_start": ("cold_start.py", ["--runs", "3"], ["--runs", "1", "--index-embedder", "ngram"]),
}

RESULTS_MD = BENCH_DIR / "results.md"
RESULTS_JSON = BENCH_DIR / "results.json"


def run(name: str, quick: bool, timeout_s: float) -> dict[str, Any]:
    """Run one benchmark in a subprocess; return its JSON report (or a failure record)."""
    script, full, short = BENCHMARKS[name]
    options = short if quick else full
    with tempfile.TemporaryDirectory(prefix="drill-bench-json-") as tmp:
        out = Path(tmp) / f"{name}.json"
        command = [PYTHON, str(BENCH_DIR / script), *options, "--json", str(out)]
        shown = f".venv/bin/python benchmarks/{script} {' '.join(options)}"
        print(f"\n### {name}: {shown}", flush=True)
        started = time.perf_counter()
        try:
            completed = subprocess.run(command, cwd=str(BENCH_DIR.parent), env=clean_env(), timeout=timeout_s)
            code = completed.returncode
        except subprocess.TimeoutExpired:
            code = -1
        elapsed = time.perf_counter() - started
        if code == 0 and out.exists():
            data = json.loads(out.read_text(encoding="utf-8"))
        else:
            data = {
                "name": name,
                "title": name,
                "tables": [],
                "params": {},
                "notes": [f"FAILED (exit code {code}) after {elapsed:.0f} s; rerun the command to see why."],
            }
    data["command"] = shown
    data["ran_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    data["quick"] = quick
    return data


def markdown(results: dict[str, dict[str, Any]], machine: dict[str, str]) -> str:
    """The results file."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `benchmarks/run_all.py`; figures are printed by the scripts, not asserted. "
        "Run on the machine below, usually while other work shared its two cores: compare figures "
        "from the same run, and read them next to the load average.",
        "",
        "## Machine",
        "",
    ]
    lines += [f"- **{key}**: {value}" for key, value in machine.items()]
    for name in BENCHMARKS:
        data = results.get(name)
        if data is None:
            continue
        lines += [
            "",
            f"## {data.get('title', name)} (`{name}`)",
            "",
            f"`{data['command']}`" + (" (quick)" if data.get("quick") else ""),
            "",
            f"Ran {data.get('ran_at', '?')} in {data.get('seconds', '?')} s; load average before "
            f"{data.get('load_before', '?')}, after {data.get('load_after', '?')}.",
        ]
        if data.get("params"):
            lines += ["", "Parameters: " + ", ".join(f"{k} = {v}" for k, v in data["params"].items()) + "."]
        for table in data.get("tables", []):
            lines += ["", Table(table["title"], table["headers"], table["rows"]).markdown()]
        for note in data.get("notes", []):
            if "\n" in note:
                head, _, body = note.partition("\n")
                lines += ["", f"> {head}", "", "```", body.rstrip(), "```"]
            else:
                lines += ["", f"> {note}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the chosen benchmarks and write the results files."""
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    args.add_argument("--quick", action="store_true", help="smaller counts (a smoke run, not for the README)")
    args.add_argument("--timeout-s", type=float, default=3 * 3600, help="give up on one benchmark after this long")
    options = args.parse_args()
    results: dict[str, dict[str, Any]] = {}
    if RESULTS_JSON.exists():
        kept = json.loads(RESULTS_JSON.read_text(encoding="utf-8")).get("results", {})
        results = {name: data for name, data in kept.items() if name in BENCHMARKS}  # drop retired benchmarks
    for name in options.only or list(BENCHMARKS):
        results[name] = run(name, options.quick, options.timeout_s)
        machine = machine_info()
        RESULTS_JSON.write_text(
            json.dumps({"machine": machine, "results": results}, ensure_ascii=False, indent=1, default=str),
            encoding="utf-8",
        )
        RESULTS_MD.write_text(markdown(results, machine), encoding="utf-8")
    print(f"\nwrote {RESULTS_MD.relative_to(BENCH_DIR.parent)} and {RESULTS_JSON.relative_to(BENCH_DIR.parent)}")
    sys.exit(0)


if __name__ == "__main__":
    main()
