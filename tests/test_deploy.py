"""The team deployment for real: deploy/team.sh starts PostgreSQL, Chroma's server, two replicas and nginx.

Through the proxy a trainer adds a persona (both replicas list it) and a trainee starts a drill;
the replica that served the drill is killed (SIGKILL); the trainee carries on through the proxy
with the same transcript and no sign-in page, and a mentor on the other replica sees the turns.
Skipped with the reason when nginx, PostgreSQL's server or Chroma's CLI is not installed
(``.ci/run`` installs them). About a minute and a half on a quiet 2-core machine, most of it the
two replicas starting.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from simulator.account_table import DatabaseAccountStore
from simulator.accounts import Accounts
from simulator.store import SessionStore
from tests.offline_fixtures import persona_data, write_content
from tests.test_app_e2e import PASSWORD, free_port
from tests.test_app_security import QueueCaller

pytestmark = pytest.mark.deploy

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEAM = PROJECT_DIR / "deploy" / "team.sh"
BIN = Path(sys.executable).parent
PERSONA, CASE = "test_rational", "zh-test-late-parcel"
NEW_PERSONA = "test_newcomer"


def _tool(name: str, *candidates: Path) -> str | None:
    return shutil.which(name) or next((str(path) for path in candidates if path.exists()), None)


NGINX = _tool("nginx", Path("/usr/sbin/nginx"))
CHROMA = _tool("chroma", BIN / "chroma")
DRILL = _tool("drill", BIN / "drill")
HAS_POSTGRES = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@pytest.fixture
def team() -> Iterator[tuple[str, Path, dict[str, str]]]:
    """The whole deployment in a temporary directory: its URL, its directory, its ports and database URL."""
    missing = [
        what
        for what, there in (
            ("nginx (apt-get install nginx)", NGINX),
            ("PostgreSQL's server (apt-get install postgresql)", HAS_POSTGRES),
            ("Chroma's CLI (pip install chromadb)", CHROMA),
            ("the drill command", DRILL),
        )
        if not there
    ]
    if missing:
        pytest.skip("the deployment test needs " + ", ".join(missing))
    # not under pytest's tmp_path: PostgreSQL runs as the 'postgres' user (when the tests run as
    # root), which must be able to reach its cluster's directory
    home = Path(tempfile.mkdtemp(prefix="drill-team-"))
    home.chmod(0o711)
    scrubbed = {key: value for key, value in os.environ.items() if not key.startswith("DRILL_")}
    scrubbed.pop("OPENAI_API_KEY", None)
    env = {
        **scrubbed,
        "DRILL": str(DRILL),
        "CHROMA": str(CHROMA),
        "DRILL_NGINX": str(NGINX),
        "PYTHON": sys.executable,
        "DRILL_TEAM_PORT": str(free_port()),
        "DRILL_SHIPPED_CONTENT_DIR": "none",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
    }

    def run(action: str) -> str:
        done = subprocess.run(
            ["bash", str(TEAM), action, str(home)], env=env, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            logs = "".join(
                f"\n--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in sorted(home.glob("*.log"))
            )
            raise AssertionError(f"team.sh {action} failed:\n{done.stderr}{logs}")
        return done.stdout

    try:
        run("db")
        database = _env_file(home / "env")["DRILL_DATABASE_URL"]
        write_content(home / "content")
        accounts = Accounts(DatabaseAccountStore(SessionStore(database).engine))
        for name, role in (("alice", "trainee"), ("mona", "mentor"), ("tina", "trainer")):
            accounts.add(name, PASSWORD, [role])  # type: ignore[list-item]
        url = run("start").strip().splitlines()[-1]
        yield url, home, {"database": database, **_env_file(home / "ports")}
    finally:
        run("stop")
        shutil.rmtree(home, ignore_errors=True)


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'")
    return values


class Page:
    """One browser tab: signed in, with the app's endpoints read from its config."""

    def __init__(self, url: str, name: str) -> None:
        self.caller = QueueCaller(url, name)
        config = self.caller.http.get("/config").json()
        self.states = {c["id"] for c in config["components"] if c.get("type") == "state"}
        self.endpoints = {d["api_name"]: d for d in config["dependencies"] if d.get("api_name")}
        self.defaults = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}

    def at(self, url: str) -> Page:
        """The same browser (cookies, Gradio session) talking to ``url``."""
        self.caller.http.base_url = httpx.URL(url.rstrip("/"))
        return self

    def call(self, api_name: str, *values: Any) -> list[Any]:
        """Run an event; its final outputs. ``values`` fill the non-state inputs in order, then the defaults."""
        endpoint = self.endpoints[api_name]
        remaining = list(values)
        data = [
            None if cid in self.states else remaining.pop(0) if remaining else self.defaults.get(cid)
            for cid in endpoint["inputs"]
        ]
        messages = self.caller.call(int(endpoint["id"]), data)
        done = next((m for m in messages if m.get("msg") == "process_completed"), None)
        assert done is not None and done.get("success") is True, messages[-3:]
        return list(done["output"]["data"])


def chat_texts(outputs: list[Any]) -> list[str]:
    conversation = next(value for value in outputs if isinstance(value, list))
    return ["".join(part["text"] for part in message["content"]) for message in conversation]


def served_by(home: Path, ports: dict[str, str]) -> str:
    """The replica that answered the last queue/join through the proxy (from nginx's access log)."""
    joins = [line for line in (home / "nginx-access.log").read_text().splitlines() if "queue/join" in line]
    port = joins[-1].split("upstream=")[1].split()[0].rsplit(":", 1)[1]
    return next(f"replica-{n}" for n in (1, 2) if ports[f"replica_{n}"] == port)


def test_a_drill_survives_the_replica_that_served_it(team: tuple[str, Path, dict[str, str]]) -> None:
    url, home, ports = team
    replica_url = {f"replica-{n}": f"http://127.0.0.1:{ports[f'replica_{n}']}/" for n in (1, 2)}

    # a trainer's new persona, saved through the proxy, is listed by both replicas at once
    tina, alice = Page(url, "tina"), Page(url, "alice")
    persona = persona_data("rational", persona_id=NEW_PERSONA)
    tina.call("save_yaml", "persona", yaml.safe_dump(persona, allow_unicode=True), f"{NEW_PERSONA}.yaml", False)
    for address in replica_url.values():
        drawn = alice.at(address).call("draw_card", "any", "any", "any", "any", True)
        assert NEW_PERSONA in str(drawn[0])

    # a trainee starts a drill through the proxy; the replica serving it dies
    alice.at(url).call("start_drill", PERSONA, CASE)
    before = chat_texts(alice.call("send_message", "您好,我是客服小王,让您久等了。"))
    victim = served_by(home, ports)
    os.kill(int((home / f"{victim}.pid").read_text()), signal.SIGKILL)

    # the same tab carries on through the proxy: still signed in, the same transcript
    assert alice.caller.http.get("/gradio_api/login_check").status_code == 200
    after = chat_texts(alice.call("send_message", "请问您的订单号是多少?"))
    assert after[: len(before)] == before and after[len(before)] == "请问您的订单号是多少?"
    assert len(after) == len(before) + 2  # the customer answered on the surviving replica
    survivor = next(name for name in replica_url if name != victim)
    assert served_by(home, ports) == survivor

    # a mentor on the other replica sees every turn
    session = SessionStore(ports["database"]).open_session_for("alice", source="drill")
    assert session is not None
    mona = Page(replica_url[survivor], "mona")
    mona.call("find_sessions")  # the search's defaults: every session
    replay = chat_texts(mona.call("open_session", session.id))
    # the replay adds the turn number (and the customer's mood) under each line
    assert [line.split("\n\n<sub>#")[0] for line in replay] == after
