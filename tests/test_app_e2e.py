"""The launched app driven over HTTP with ``gradio_client``: offline, with accounts, and with an LLM.

Each app runs in-process on 127.0.0.1 (a free port) and is shared by the tests of one scenario.
Outputs are looked up by component label (see ``Driver.call``), not by position.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from gradio_client import Client

from simulator.accounts import Accounts
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings
from tests.fake_llm import FakeLLM
from tests.offline_fixtures import persona_data, write_content

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

PERSONA = "test_rational"
ZH_CASE = "zh-test-late-parcel"
GOOD = ["您好,我是客服小王,让您久等了,非常抱歉。", "请问您的订单号是多少?", "我马上帮您催件,今天下午给您回电。"]
PASSWORD = "correct-horse-1"


def wait_until(condition: Any, limit_s: float = 60) -> None:
    """Poll ``condition`` until it holds (a safety limit only; nothing asserts on durations)."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Driver:
    """A gradio_client session with outputs keyed by component label."""

    def __init__(self, url: str, downloads: Path, auth: tuple[str, str] | None = None) -> None:
        # a generous read timeout: the config of the whole app (every tab) is large, and CI machines are busy
        self.client = Client(
            url,
            auth=auth,
            verbose=False,
            download_files=str(downloads),
            analytics_enabled=False,
            httpx_kwargs={"timeout": 60},
        )
        self._returns = {
            name: [self._label(r) for r in info["returns"]]
            for name, info in self.client.view_api(print_info=False, return_format="dict")["named_endpoints"].items()
        }

    @staticmethod
    def _label(info: dict[str, Any]) -> str:
        label = info.get("label")
        return str(label.get("key")) if isinstance(label, dict) else str(label)

    def call(self, api: str, *args: Any) -> dict[str, Any]:
        """Run an endpoint; return {label: final value}."""
        result = self.client.predict(*args, api_name=api)
        values = result if isinstance(result, tuple | list) and len(self._returns[api]) > 1 else (result,)
        return dict(zip(self._returns[api], values, strict=True))

    def stream(self, api: str, *args: Any) -> list[dict[str, Any]]:
        """Run a streaming endpoint; return every intermediate output, keyed by label."""
        job = self.client.submit(*args, api_name=api)
        job.result()
        return [dict(zip(self._returns[api], output, strict=True)) for output in job.outputs()]


def texts(chat: Any) -> list[tuple[str, str]]:
    """(role, text) of Chatbot messages as the client returns them."""
    result = []
    for message in chat:
        content = message["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        result.append((message["role"], content))
    return result


def unchanged(value: Any) -> bool:
    """True when an output was left as it was (nothing sent to this client)."""
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def exported(url: str, result: dict[str, Any], cookies: Any = None) -> str:
    """The text of the report an export event links to, fetched over HTTP as the browser would."""
    link = re.search(r"\((drill-exports/[^)]+)\)", result["report_file"])
    assert link is not None, result
    response = httpx.get(url.rstrip("/") + "/" + link.group(1), cookies=cookies, timeout=60)
    assert response.status_code == 200, response.text
    return response.text


def choices(update: Any) -> list[str]:
    return [value for _, value in update["choices"]]


def make_services(root: Path, **changes: Any) -> AppServices:
    """Services on fixture content under ``root``; offline and without accounts unless ``changes`` say so.

    Module-scoped apps are built before the autouse fixture clears the environment, so every
    setting that could leak in from it is fixed here.
    """
    content = write_content(root / "content")
    defaults: dict[str, Any] = {
        "llm_base_url": None,
        "llm_api_key": None,
        "users_file": root / "no-users.yaml",
        "shipped_content_dir": None,
    }
    settings = dataclasses.replace(
        load_settings(), content_dir=content, data_dir=root / "data", database_url=None, **{**defaults, **changes}
    )
    return AppServices(settings, index_sync=lambda library: f"{len(library.cases)} cases")


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppServices, Path]]:
    """The app in single-user local mode with the offline engines."""
    root = tmp_path_factory.mktemp("local-app")
    services = make_services(root)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    yield url, services, root / "downloads"
    demo.close()


@pytest.fixture(scope="module")
def accounts_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppServices, Path]]:
    """The app with a users file: two trainees, a mentor and a trainer."""
    root = tmp_path_factory.mktemp("accounts-app")
    users = root / "users.yaml"
    accounts = Accounts(users)
    for name, role in (("alice", "trainee"), ("bob", "trainee"), ("mia", "mentor"), ("tom", "trainer")):
        accounts.add(name, PASSWORD, [role])  # type: ignore[list-item]
    services = make_services(root, users_file=users)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    yield url, services, root / "downloads"
    demo.close()


# ---------------------------------------------------------------------------------------------
# Offline, single-user local mode


def test_offline_drill_from_start_to_scorecard(local_app: tuple[str, AppServices, Path]) -> None:
    url, services, downloads = local_app
    app = Driver(url, downloads)
    lists = app.call("/scenario_lists", "any", "any", "zh-CN", "any", None, None, False)
    assert PERSONA in choices(lists["persona"]) and choices(lists["scenario"]) == [ZH_CASE]

    started = app.call("/start_drill", PERSONA, ZH_CASE)
    assert [role for role, _ in texts(started["conversation"])] == ["assistant"]
    assert "aria-valuenow" in started["patience_meter"] and "扫地机器人" in started["scenario_card"]

    refused = app.call("/send_message", "   ")
    assert "empty" in refused["status"]

    steps = app.stream("/send_message", GOOD[0])
    # The trainee's line shows at once, then the reply; the offline customer answers within a few
    # milliseconds, so its chunks are coalesced into the final update (see StreamPacer).
    assert len(steps) >= 2
    assert ("user", GOOD[0]) in texts(steps[0]["conversation"])
    final = texts(steps[-1]["conversation"])
    assert final[1] == ("user", GOOD[0]) and final[2][0] == "assistant" and final[2][1]
    app.call("/send_message", GOOD[1])

    ended = app.call("/end_drill")
    assert "/100" in ended["verdict"] or "INCOMPLETE" in ended["verdict"]
    assert "Rule checks" in ended["scorecard"] and "Coaching tips" in ended["scorecard"]
    rows = services.store.list_sessions()
    assert len(rows) == 1 and rows[0].status == "graded"
    assert len(services.store.get_session(rows[0].id).turns) == 5

    progress = app.call("/my_progress")
    assert progress["my_sessions"]["data"]


def test_offline_mentor_review_override_and_export(local_app: tuple[str, AppServices, Path]) -> None:
    url, services, downloads = local_app
    app = Driver(url, downloads)
    app.call("/scenario_lists", "any", "any", "any", "any", None, None, False)
    app.call("/start_drill", PERSONA, ZH_CASE)
    app.call("/send_message", GOOD[0])
    app.call("/end_drill")

    found = app.call("/find_sessions", "any", "any", "any", "any", "", "", 0, 100)
    sid = found["open_session"]["value"]
    assert sid and len(found["sessions"]["data"]) >= 1

    opened = app.call("/open_session", sid)
    assert texts(opened["replay"])[0][0] == "assistant" and opened["mood_curve"]["data"]
    criterion = choices(opened["criterion"])[0]
    overridden = app.call("/override_score", criterion, 1, "漏掉了开场自报工号")
    assert "漏掉了开场自报工号" in overridden["scorecard"] and "✎" in overridden["scorecard"]
    assert "Override saved" in overridden["override_status"]
    commented = app.call("/add_comment", "1", "这里可以先道歉")
    assert "Comment saved" in commented["comment_status"]  # beside its button

    html = app.call("/export_html")
    page = exported(url, html)
    assert page.startswith("<!DOCTYPE html>") and GOOD[0] in page and "这里可以先道歉" in page
    markdown = exported(url, app.call("/export_markdown"))
    assert "漏掉了开场自报工号" in markdown
    assert services.store.overrides(sid)[0].original_score is not None or services.store.latest_report(sid)


def test_offline_import_and_trainer_save(local_app: tuple[str, AppServices, Path]) -> None:
    url, services, downloads = local_app
    app = Driver(url, downloads)
    log = {
        "language": "zh-CN",
        "turns": [
            {"role": "customer", "text": "我的扫地机器人还没到。"},
            {"role": "agent", "text": "您好,非常抱歉,请问订单号是多少?"},
        ],
    }
    imported = app.call("/import_transcript", None, json.dumps(log, ensure_ascii=False), "carol")
    assert "Imported" in imported["status"] and imported["scorecard"]
    assert any(row.user_name == "carol" and row.source == "import" for row in services.store.list_sessions())

    text = yaml.safe_dump(persona_data("skeptical", persona_id="night_nurse"), allow_unicode=True, sort_keys=False)
    broken = text.replace("patience:", "patiense:", 1)
    checked = app.call("/validate_yaml", "persona", broken, "night_nurse.yaml")
    assert "patiense" in checked["problems"] and "line" in checked["problems"]
    refused = app.call("/save_yaml", "persona", broken, "night_nurse.yaml", False)
    assert not (services.settings.personas_dir / "night_nurse.yaml").exists() and "patiense" in refused["problems"]

    saved = app.call("/save_yaml", "persona", text, "night_nurse.yaml", False)
    assert "Saved" in saved["problems"] and (services.settings.personas_dir / "night_nurse.yaml").exists()
    lists = Driver(url, downloads).call("/scenario_lists", "any", "any", "any", "any", None, None, False)
    assert "night_nurse" in choices(lists["persona"])


# ---------------------------------------------------------------------------------------------
# Accounts: who sees what


def test_a_trainee_cannot_reach_another_trainees_session(accounts_app: tuple[str, AppServices, Path]) -> None:
    url, services, downloads = accounts_app
    alice = Driver(url, downloads, auth=("alice", PASSWORD))
    alice.call("/scenario_lists", "any", "any", "any", "any", None, None, False)
    alice.call("/start_drill", PERSONA, ZH_CASE)
    alice.call("/send_message", GOOD[0])
    alice.call("/end_drill")
    sid = next(row.id for row in services.store.list_sessions() if row.user_name == "alice")

    bob = Driver(url, downloads, auth=("bob", PASSWORD))
    # mentor events refuse a trainee whatever the arguments (see test_app_security for every event)
    for endpoint, args in (("/find_sessions", ("any", "any", "any", "any", "", "", 0, 100)), ("/export_html", ())):
        with pytest.raises(Exception, match="needs the mentor role"):
            bob.call(endpoint, *args)
    # "My sessions" passes the browser's id to its handler (another replica may have served the
    # list, see test_replica_switch_panels): the handler refuses alice's id as unknown to bob
    refused = bob.call("/my_scorecard", sid)
    assert refused["scorecard"] == f"⚠️ No session '{sid}' that you can open." and refused["verdict"] == ""
    assert GOOD[0] not in str(refused)
    with pytest.raises(Exception, match="needs the trainer role"):
        bob.call("/save_yaml", "persona", "id: x", "x.yaml", False)

    mia = Driver(url, downloads, auth=("mia", PASSWORD))
    found = mia.call("/find_sessions", "any", "any", "any", "any", "", "", 0, 100)
    assert found["open_session"]["value"] == sid
    opened = mia.call("/open_session", sid)
    assert texts(opened["replay"])[1] == ("user", f"{GOOD[0]}\n\n<sub>#2</sub>")
    with pytest.raises(Exception, match="needs the trainee role"):
        mia.call("/scenario_lists", "any", "any", "any", "any", None, None, False)

    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the login must fail
        Driver(url, downloads, auth=("alice", "wrong-password"))


# ---------------------------------------------------------------------------------------------
# LLM mode against the local OpenAI-compatible server


def verdict(score: int) -> dict[str, Any]:
    reply: dict[str, Any] = {"instructions_in_transcript": []}
    for criterion in ("standard_phrasing", "compliance"):
        reply[criterion] = {
            # A level of 4 rests on what the agent said: it needs a verified agent quote.
            "evidence": [{"turn": 1, "quote": "请问您的订单号是多少"}],
            "rationale": "开场有问候。",
            "score": score,
            "better_phrasing": "您好,我是客服小王,很高兴为您服务。",
            "source_case_id": ZH_CASE,
        }
    return reply


OFFER = "我马上给您安排加急补发一台,三天内送到,今天下午给您回电确认。"


def test_llm_mode_drill_with_a_failure_retry_and_a_judged_scorecard(fake_llm: FakeLLM, tmp_path: Path) -> None:
    settings_changes = dataclasses.asdict(fake_llm.settings())
    services = make_services(
        tmp_path,
        llm_base_url=settings_changes["llm_base_url"],
        llm_api_key=settings_changes["llm_api_key"],
        llm_model=settings_changes["llm_model"],
        llm_max_retries=1,
        extra=settings_changes["extra"],
    )
    assert services.customer_engine == "llm"
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    try:
        app = Driver(url, tmp_path / "downloads")
        app.call("/scenario_lists", "any", "any", "any", "any", None, None, False)
        app.call("/start_drill", PERSONA, ZH_CASE)
        fake_llm.enqueue("订单号是2026110312345678,你快点查。\n<<state mood=5 goal_met=false>>")
        replied = app.call("/send_message", GOOD[1])
        assert texts(replied["conversation"])[-1] == ("assistant", "订单号是2026110312345678,你快点查。")
        sent = json.dumps(fake_llm.requests[-1]["messages"], ensure_ascii=False)
        assert GOOD[1] in sent and "<<state" not in texts(replied["conversation"])[-1][1]

        for _ in range(2):  # the first try and the one retry both fail
            fake_llm.enqueue(status=500, error_message="model crashed")
        failed = app.call("/send_message", OFFER)
        assert "could not answer" in failed["status"]
        assert texts(failed["conversation"])[-1] == ("user", OFFER)  # the message is kept
        # The offer is on record, so the state lets the customer end the call as resolved.
        fake_llm.enqueue("好吧,那我等你电话。\n###RESOLVED###")
        fake_llm.enqueue(content=verdict(4))  # the customer ends the call, so the judge is next
        retried = app.call("/retry_reply")
        assert texts(retried["conversation"])[-1] == ("assistant", "好吧,那我等你电话。")
        assert (
            "80/100" in retried["verdict"].replace('</span><span class="drill-of">', "")
            and "PASS" in retried["verdict"]
        )
        assert "Mentor overrides" not in retried["scorecard"] and "开场有问候" in retried["scorecard"]

        row = services.store.list_sessions()[0]
        assert row.outcome == "resolved" and row.status == "graded"
        report = services.store.latest_report(row.id)
        assert report is not None and report.grader.engine == "llm" and report.total == 80

        found = app.call("/find_sessions", "any", "any", "any", "pass", "", "", 0, 100)
        assert found["open_session"]["value"] == row.id
        app.call("/open_session", row.id)
        overridden = app.call("/override_score", "compliance", 2, "承诺回电却没给时间点")
        assert "FAIL" in overridden["verdict"] and "承诺回电却没给时间点" in overridden["scorecard"]
        assert services.store.get_session(row.id).total == 60
        assert "承诺回电却没给时间点" in exported(url, app.call("/export_html"))

        # one trainee waiting on a slow model does not hold up another
        slow, quick = (Driver(url, tmp_path / "downloads") for _ in range(2))
        for driver in (slow, quick):
            driver.call("/scenario_lists", "any", "any", "any", "any", None, None, False)
            driver.call("/start_drill", PERSONA, ZH_CASE)
        fake_llm.enqueue("我慢慢说……", delay_s=4)
        fake_llm.enqueue("好的。")
        before = len(fake_llm.requests)
        waiting = slow.client.submit(GOOD[0], api_name="/send_message")
        wait_until(lambda: len(fake_llm.requests) > before or waiting.done())  # the slow reply is asked for
        assert not waiting.done()
        answered = quick.call("/send_message", GOOD[0])
        assert texts(answered["conversation"])[-1] == ("assistant", "好的。")
        assert not waiting.done()  # still waiting on its model while the other trainee got an answer
        assert texts(dict(zip(slow._returns["/send_message"], waiting.result(), strict=True))["conversation"])[-1] == (
            "assistant",
            "我慢慢说……",
        )
    finally:
        demo.close()
