"""The trainee stress run against one replica and against two behind nginx (the team deployment).

``deploy/team.sh`` brings up PostgreSQL, Chroma's server, ``drill serve`` replicas and nginx in
one directory; the LLM customer talks to the fake OpenAI-compatible server (its own process, the
same latency for both runs). Each simulated trainee has an account and a browser of its own
(its cookies: the sign-in and nginx's sticky ``drill_replica``): it signs in through the proxy,
opens the page and starts a drill. Then all are released at once and send ``--turns`` messages
each, every message the moment the previous reply has finished (a stress test of the servers).
The run is made with 1 replica, then with 2 (the same database, index and proxy; other trainee
accounts), and prints for each: throughput, p95 turn time, and the CPU each process spent per
turn (replicas, nginx, PostgreSQL, Chroma, the fake model, this load generator); then the ratio
of the two throughputs, also per core used (the load generator and the fake model share these
cores with the servers).

    .venv/bin/python benchmarks/replicas.py --trainees 50 --turns 5 --latency-ms 300

Needs what the deployment needs (nginx, PostgreSQL's server, Chroma's CLI); says what is missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import PROJECT_DIR, Report, Stats, clean_env, free_port, ms, parser
from _gradio_wire import EventResult, GradioApp, Trainee
from _processes import FakeModelProcess, customer_reply, drill_command, process_cpu_seconds
from concurrent_trainees import CASE, LINES, PERSONA

TEAM = PROJECT_DIR / "deploy" / "team.sh"
PASSWORD = "bench-password-1"


@dataclass
class Run:
    """One configuration's figures."""

    replicas: int
    wall_s: float = float("nan")
    turns: list[EventResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: process group -> CPU seconds spent during the measured run
    cpu_s: dict[str, float] = field(default_factory=dict)
    #: replica -> turns it served (from nginx's access log)
    served: dict[str, int] = field(default_factory=dict)


class Team:
    """``deploy/team.sh`` on one directory, for both runs."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env

    def run(self, action: str, **extra: str) -> str:
        done = subprocess.run(
            ["bash", str(TEAM), action, str(self.home)],
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"team.sh {action} failed: {done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def database_url(self) -> str:
        for line in (self.home / "env").read_text(encoding="utf-8").splitlines():
            if line.startswith("export DRILL_DATABASE_URL="):
                return line.split("=", 1)[1].strip("'")
        raise RuntimeError("team.sh db wrote no DRILL_DATABASE_URL")

    def pids(self, replicas: int) -> dict[str, list[int]]:
        """Process group -> pids (children included: nginx's workers, PostgreSQL's backends)."""

        def with_children(pid: int) -> list[int]:
            found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
            return [pid, *(int(child) for child in found)]

        def pid_file(path: Path) -> int:
            return int(path.read_text().split()[0])

        groups = {f"replica {n}": [pid_file(self.home / f"replica-{n}.pid")] for n in range(1, replicas + 1)}
        groups["nginx"] = with_children(pid_file(self.home / "nginx.pid"))
        groups["postgresql"] = with_children(pid_file(self.home / "postgres" / "data" / "postmaster.pid"))
        groups["chroma"] = [pid_file(self.home / "chroma.pid")]
        return groups


def cpu_of(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {name: {pid: process_cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}


def wait_index(home: Path, replicas: int, timeout_s: float = 900.0) -> None:
    """Until every replica's start-up case-index sync has ended (the measured run sees steady state)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        logs = [(home / f"replica-{n}.log").read_text(errors="replace") for n in range(1, replicas + 1)]
        if all("case index ready" in log or "case index not built" in log for log in logs):
            return
        time.sleep(0.5)


async def stress(url: str, names: list[str], turns: int, timeout_s: float, on_release: Any) -> Run:
    """Sign every trainee in, open the page, start a drill; then release all their turns at once."""
    run = Run(0)
    clients = [httpx.AsyncClient(base_url=url, timeout=timeout_s) for _ in names]
    try:
        for client, name in zip(clients, names, strict=True):
            signed_in = await client.post("login", data={"username": name, "password": PASSWORD})
            signed_in.raise_for_status()
        config = (await clients[0].get("config")).json()
        app = GradioApp(url, config)
        chat = app.component_id("trainee-chat")
        people = [Trainee(app, client, chat) for client in clients]

        async def begin(person: Trainee) -> EventResult:
            pages = await person.open_page(timeout_s=timeout_s)
            failed = next((page for page in pages if not page.success), None)
            return failed or await person.call("start_drill", [PERSONA, CASE], timeout_s=timeout_s)

        starts = await asyncio.gather(*(begin(person) for person in people))
        run.errors += [f"start: {result.error}" for result in starts if not result.success]

        async def practise(person: Trainee, offset: int) -> None:
            for turn in range(turns):
                result = await person.call("send_message", [LINES[(offset + turn) % len(LINES)]], timeout_s=timeout_s)
                run.turns.append(result)
                if not result.success:
                    run.errors.append(f"send: {result.error}")
                    return

        on_release()
        started = time.perf_counter()
        await asyncio.gather(*(practise(person, i) for i, person in enumerate(people)))
        run.wall_s = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return run


def served_turns(home: Path, since_line: int, ports: dict[str, str]) -> dict[str, int]:
    """Joins of send_message-sized events per replica since ``since_line`` of nginx's access log."""
    counts: dict[str, int] = {}
    lines = (home / "nginx-access.log").read_text().splitlines()[since_line:]
    by_port = {port: name.replace("replica_", "replica ") for name, port in ports.items() if name.startswith("replica")}
    for line in lines:
        if "queue/join" in line and "upstream=" in line:
            port = line.split("upstream=")[1].split()[0].rsplit(":", 1)[-1]
            counts[by_port.get(port, port)] = counts.get(by_port.get(port, port), 0) + 1
    return counts


def measure(team: Team, replicas: int, trainees: int, turns: int, timeout_s: float, fake_pid: int) -> Run:
    """Bring ``replicas`` replicas up behind nginx, stress them, bring them down."""
    from simulator.account_table import DatabaseAccountStore
    from simulator.accounts import Accounts
    from simulator.store import SessionStore

    team.run("db")  # the previous run stopped everything
    # fresh accounts for every run (a kept directory holds the drills of earlier runs)
    stamp = time.strftime("%H%M%S")
    names = [f"bench-{stamp}-r{replicas}-{i:03d}" for i in range(trainees)]
    accounts = Accounts(DatabaseAccountStore(SessionStore(team.database_url()).engine))
    for name in names:
        accounts.add(name, PASSWORD, ["trainee"])
    url = team.run("start", DRILL_TEAM_REPLICAS=str(replicas))
    try:
        wait_index(team.home, replicas)
        access_lines = len((team.home / "nginx-access.log").read_text().splitlines())
        marks: dict[str, Any] = {}

        def release() -> None:
            # workers and backends that exist now; the turns are measured from here
            marks["groups"] = team.pids(replicas) | {"fake model": [fake_pid]}
            marks["cpu"] = cpu_of(marks["groups"])
            marks["client"] = time.process_time()

        run = asyncio.run(stress(url, names, turns, timeout_s, release))
        run.replicas = replicas
        after_groups = team.pids(replicas) | {"fake model": [fake_pid]}
        before = marks["cpu"]
        for name, pids in after_groups.items():
            spent = 0.0
            for pid in pids:
                spent += process_cpu_seconds(pid) - before.get(name, {}).get(pid, 0.0)
            run.cpu_s[name] = spent
        run.cpu_s["load generator"] = time.process_time() - marks["client"]
        ports = dict(line.split("=", 1) for line in (team.home / "ports").read_text().split())
        run.served = served_turns(team.home, access_lines, ports)
        return run
    finally:
        team.run("stop")


def main() -> None:
    """Run the stress test with 1 and 2 replicas and print the comparison."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--trainees", type=int, default=50)
    args.add_argument("--turns", type=int, default=5, help="messages per trainee")
    args.add_argument("--latency-ms", type=float, default=300.0, help="model latency to the first token")
    args.add_argument("--timeout-s", type=float, default=900.0, help="bound on each run")
    args.add_argument("--keep", type=Path, default=None, help="use (and keep) this directory for the deployment")
    options = args.parse_args()
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    missing = [
        what
        for what, there in (
            ("nginx", shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
            ("PostgreSQL's server", any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
            ("Chroma's CLI", Path(chroma).exists()),
        )
        if not there
    ]
    report = Report(
        "replicas",
        "Stress run: one replica vs two behind nginx (PostgreSQL, Chroma server)",
        params={"trainees": options.trainees, "turns each": options.turns, "model latency ms": options.latency_ms},
    )
    if missing:
        report.note("not run: needs " + ", ".join(missing) + " (see docs/deploy.md)")
        report.finish(options.json)
        return
    home = options.keep or Path(tempfile.mkdtemp(prefix="drill-bench-team-"))
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o711)
    runs: list[Run] = []
    with FakeModelProcess(first_token_ms=options.latency_ms, reply=customer_reply("en")) as fake:
        env = clean_env(
            DRILL=drill_command()[0],
            CHROMA=chroma,
            DRILL_NGINX=shutil.which("nginx") or "/usr/sbin/nginx",
            PYTHON=sys.executable,
            DRILL_TEAM_PORT=str(free_port()),
            DRILL_LLM_BASE_URL=fake.base_url,
            DRILL_LLM_API_KEY="bench",
            DRILL_LLM_MODEL="fake-model",
            DRILL_LLM_MAX_RETRIES="0",
        )
        team = Team(home, env)
        try:
            team.run("db")
            os.environ["DRILL_DATABASE_URL"] = team.database_url()
            for replicas in (1, 2):
                runs.append(
                    measure(team, replicas, options.trainees, options.turns, options.timeout_s, fake.process.pid)
                )
        finally:
            team.run("stop")
            if options.keep is None:
                shutil.rmtree(home, ignore_errors=True)
    summarise(report, runs, options.latency_ms)
    report.finish(options.json)


def summarise(report: Report, runs: list[Run], latency_ms: float) -> None:
    """The tables: throughput and p95 per run, CPU per turn per process, and the ratios."""
    main_table = report.table(
        "Throughput and turn time",
        ["replicas", "turns done", "errors", "wall s", "turns/s", "p95 turn ms", "cores used", "turns/s per core"],
    )
    per_core: dict[int, float] = {}
    throughput: dict[int, float] = {}
    for run in runs:
        ok = [turn for turn in run.turns if turn.success]
        rate = len(ok) / run.wall_s if run.wall_s > 0 else float("nan")
        cores = sum(run.cpu_s.values()) / run.wall_s if run.wall_s > 0 else float("nan")
        throughput[run.replicas], per_core[run.replicas] = rate, rate / cores if cores else float("nan")
        p95 = Stats.of([ms(turn.total_s) for turn in ok]).p95
        main_table.add(run.replicas, len(ok), len(run.errors), run.wall_s, rate, p95, cores, per_core[run.replicas])
        if run.errors:
            report.note(f"{run.replicas} replica(s): {len(run.errors)} error(s), first: {run.errors[0]}")
    cpu = report.table("CPU per turn of each process, ms", ["process", *(f"{run.replicas} replica(s)" for run in runs)])
    names = list(dict.fromkeys(name for run in runs for name in run.cpu_s))
    for name in names:
        cells = []
        for run in runs:
            done = max(sum(turn.success for turn in run.turns), 1)
            cells.append(ms(run.cpu_s[name]) / done if name in run.cpu_s else float("nan"))
        cpu.add(name, *cells)
    if 1 in throughput and 2 in throughput:
        ratio = report.table("Two replicas against one", ["measure", "ratio (2 / 1)"])
        ratio.add("throughput", throughput[2] / throughput[1])
        ratio.add("throughput per core used", per_core[2] / per_core[1])
    for run in runs:
        report.note(f"{run.replicas} replica(s): queue/join requests per replica (nginx's access log): {run.served}")
    report.note(
        f"Ideal throughput with no server cost: trainees / model latency ({latency_ms:g} ms). Every process of the "
        "deployment, the fake model and this load generator share the machine's cores; 'cores used' is their "
        "CPU seconds over the wall time."
    )


if __name__ == "__main__":
    main()
