"""Headless Chromium loads each view of the app, in English and Chinese, and saves a screenshot.

Uses Debian's ``chromium`` and ``chromium-driver`` packages through the W3C WebDriver HTTP API
(no Selenium needed). Skipped with a reason when they are not installed.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.accounts import LOCAL
from simulator.app import mentor, trainee
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings
from tests.offline_fixtures import write_content

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or not Path(CHROMEDRIVER).exists(),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",  # the narrowest desktop the views must fit (issue 14)
]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """A minimal W3C WebDriver client for one Chromium session."""

    def __init__(self, driver_url: str, language: str) -> None:
        self.http = httpx.Client(base_url=driver_url, timeout=60)
        options = {
            "binary": str(CHROMIUM),
            "args": [*CHROME_FLAGS, f"--lang={language}"],
            "prefs": {"intl.accept_languages": language},
        }
        reply = self._post("/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})
        self.session = reply["sessionId"]

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        data = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"webdriver {path}: {data}")
        return data["value"] if "sessionId" not in data.get("value", {}) else data["value"]

    def _session(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"/session/{self.session}{path}"
        response = self.http.get(url) if body is None else self.http.post(url, json=body)
        data = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"webdriver {path}: {data.get('value', data)}")
        return data["value"]

    def open(self, url: str) -> None:
        self._session("/url", {"url": url})

    def script(self, source: str, *args: Any) -> Any:
        return self._session("/execute/sync", {"script": source, "args": list(args)})

    def wait_for(self, source: str, timeout: float = 300) -> Any:
        """Poll a JS expression (``return ...``) until it is truthy (a cap for a loaded machine, not a
        speed requirement: the first page load alone has taken over a minute on a busy CI box)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.script(f"try {{ {source} }} catch (error) {{ return false; }}")
            if value:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for: {source}")

    def click_text(self, selector: str, text: str) -> None:
        """Click the first element matching ``selector`` whose text contains ``text``."""
        clicked = self.script(
            "const [sel, text] = arguments;"
            "const el = [...document.querySelectorAll(sel)]"
            "  .find(e => e.offsetParent !== null && e.innerText.includes(text));"
            "if (!el) return false; el.click(); return true;",
            selector,
            text,
        )
        assert clicked, f"no {selector} with text {text!r}"

    def choose(self, elem_id: str, option: str) -> None:
        """Pick the option whose text contains ``option`` in the dropdown ``#elem_id`` as a person does
        (open it, then press the option; both events fire, as a quick double click would)."""
        self.script(f"const i = document.querySelector('#{elem_id} input'); i.focus(); i.click();")
        self.wait_for(
            f"return [...document.querySelectorAll('[role=option]')].some(e => e.innerText.includes({option!r}))"
        )
        self.script(
            "const [text] = arguments;"
            "const li = [...document.querySelectorAll('[role=option]')].find(e => e.innerText.includes(text));"
            "li.dispatchEvent(new MouseEvent('mousedown', {bubbles: true})); li.click();",
            option,
        )

    def type_keys(self, selector: str, keys: str) -> None:
        """Send keystrokes to the element (WebDriver key codes: \ue007 Enter, \ue008 Shift, \ue000 release)."""
        element = self._session("/element", {"using": "css selector", "value": selector})
        self._session(f"/element/{element[ELEMENT]}/value", {"text": keys})

    def error_toasts(self) -> str:
        return str(
            self.script("return [...document.querySelectorAll('.toast-body')].map(e => e.innerText).join(' | ')")
        )

    def page_text(self) -> str:
        return str(self.script("return document.body.innerText"))

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._session("/screenshot")))
        return path

    def close(self) -> None:
        try:
            self.http.delete(f"/session/{self.session}")
        finally:
            self.http.close()


PRIVATE_NOTE = "只给带教看的备注:语速偏快"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app in local mode with one graded drill (for the mentor view) and one open drill."""
    root = tmp_path_factory.mktemp("browser-app")
    content = write_content(root / "content")
    # built before the autouse fixture clears the environment: pin everything that could leak in
    settings = dataclasses.replace(
        load_settings(),
        content_dir=content,
        shipped_content_dir=None,
        data_dir=root / "data",
        database_url=None,
        llm_base_url=None,
        llm_api_key=None,
        users_file=root / "no-users.yaml",
    )
    services = AppServices(settings, index_sync=lambda library: "")
    # the open drill first: the mentor list shows the newest (graded) session first
    open_drill = trainee.start_session(services, LOCAL, "test_impatient", "en-test-double-charge")
    list(
        trainee.send_message(services, LOCAL, open_drill.session_id, "Hi, I'm Sam. Sorry about that, what's the order?")
    )
    done = trainee.start_session(services, LOCAL, "test_emotional", "zh-test-late-parcel")
    for line in (
        "您好,我是客服小王,让您久等了,非常抱歉。",
        "请问您的订单号是多少?",
        "我马上帮您催件,今天下午给您回电。",
    ):
        list(trainee.send_message(services, LOCAL, done.session_id, line))
    trainee.end_session(services, LOCAL, done.session_id)
    mentor.add_comment(services, LOCAL, done.session_id, 1, "先道歉再问单号,顺序很好。")
    mentor.add_comment(services, LOCAL, done.session_id, None, PRIVATE_NOTE, visible_to_trainee=False)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def driver_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/status", timeout=2).json()["value"]["ready"]:
                break
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


VIEWS = {
    # language: (tab labels, text expected in each view)
    "en": {
        "trainee": ("Practice", ["Customer mood", "End and score", "Single-user local mode"]),
        "mentor": ("Mentor review", ["Find sessions", "Override a score", "Export HTML", "Notes on message #2"]),
        "trainer": ("Content library", ["Personas", "Cases", "Add or edit"]),
    },
    "zh-CN": {
        "trainee": ("练习", ["客户情绪", "结束并评分", "单用户本地模式"]),
        "mentor": ("带教复盘", ["查找练习记录", "修改评分", "导出 HTML", "第 2 条消息的点评"]),
        "trainer": ("内容库", ["客户画像", "案例库", "新增/编辑"]),
    },
}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_each_view_loads_and_is_captured(app_url: str, driver_url: str, tmp_path: Path, language: str) -> None:
    browser = Browser(driver_url, language)
    try:
        browser.open(app_url)
        # the page has loaded when the header names the engines (set by the load event)
        browser.wait_for(
            "return (document.querySelector('#drill-engines') || {}).textContent?.includes('DRILL_LLM_BASE_URL')"
        )
        # the open drill was resumed into the chat
        browser.wait_for('return document.body.innerText.includes("what\'s the order")')
        for view, (tab, expected) in VIEWS[language].items():
            browser.click_text("button[role='tab']", tab)
            if view == "mentor":
                browser.wait_for(
                    "return document.body.innerText.includes('test_emotional') || "
                    "document.body.innerText.includes('测试emotional') || "
                    "document.body.innerText.includes('Test emotional')"
                )
                browser.script("document.querySelector('#mentor-open').click()")
                # the replay shows the drill with the grader's notes on the agent's turns
                browser.wait_for("return document.body.innerText.includes('请问您的订单号是多少')")
                browser.wait_for("return document.querySelector('#mentor-scorecard').innerText.length > 100")
            if view == "trainer":
                browser.wait_for("return document.body.innerText.includes('test_rational')")
            text = browser.page_text()
            for snippet in expected:
                assert snippet in text, f"{view} ({language}) lacks {snippet!r}"
            if view == "mentor":
                # the sessions table fits the window: Total and Result are on screen
                browser.wait_for(
                    "const t = document.querySelector('#mentor-sessions table');"
                    "return t && t.getBoundingClientRect().right <= window.innerWidth"
                )
            shot = browser.screenshot(tmp_path / f"{view}-{language}.png")
            print(f"screenshot: {shot}")
            assert shot.stat().st_size > 20_000
            if view == "mentor":
                browser.script("document.querySelector('#mentor-scorecard').scrollIntoView()")
                print(f"screenshot: {browser.screenshot(tmp_path / f'mentor-scorecard-{language}.png')}")
            if view == "trainee":
                capture_progress(browser, tmp_path, language)
                browser.click_text("button[role='tab']", PROGRESS_TABS[language][1])
        # the trainer's editor, and (last, as it ends the shared open drill) the trainee's scorecard
        browser.click_text("button[role='tab']", "Add or edit" if language == "en" else "新增/编辑")
        browser.wait_for("return document.querySelector('#trainer-editor') !== null")
        capture_validation(browser, tmp_path, language)
        if language == "en":
            # the switch re-labels the page without a reload, and the choice survives one
            browser.click_text("label", "中文")
            browser.wait_for("return document.body.innerText.includes('带教复盘')")
            browser.open(app_url)
            browser.wait_for("return document.body.innerText.includes('带教复盘')")
        if language == "zh-CN":
            browser.click_text("button[role='tab']", "练习")
            browser.script("document.querySelector('#trainee-end').click()")
            browser.wait_for("return document.querySelector('#trainee-scorecard').innerText.includes('/100')")
            assert "应对要点" in browser.page_text()
            browser.screenshot(tmp_path / "scorecard-zh-CN.png")
    finally:
        browser.close()


PROGRESS_TABS = {"en": ("My progress", "Drill"), "zh-CN": ("我的进步", "对练")}
#: A persona with a misspelt key and a mood out of range: what the trainer sees, per language.
BAD_PERSONA = "id: night_nurse\ntemperament:\n  starting_mood: 12\n  patiense: 3\n"
VALIDATION_TEXT = {
    "en": ("unknown key 'patiense'", "less than or equal to 10"),
    "zh-CN": ("未知的键 'patiense'", "应小于或等于 10"),
}


def capture_progress(browser: Browser, tmp_path: Path, language: str) -> None:
    """The trainee's own history: the graded drill's transcript with the mentor's visible comment."""
    browser.click_text("button[role='tab']", PROGRESS_TABS[language][0])
    browser.wait_for("return document.querySelector('#progress-pick input') !== null")
    browser.choose("progress-pick", "扫地机器人")
    browser.script("document.querySelector('#progress-show').click()")
    browser.wait_for("return document.body.innerText.includes('先道歉再问单号')")
    text = browser.page_text()
    assert PRIVATE_NOTE not in text, "a comment the mentor kept private reached the trainee"
    print(f"screenshot: {browser.screenshot(tmp_path / f'progress-{language}.png')}")


def capture_validation(browser: Browser, tmp_path: Path, language: str) -> None:
    """A persona with mistakes, validated in the editor: the problems read in the UI language."""
    browser.script(
        "const view = document.querySelector('#trainer-editor .cm-content');"
        "view.focus(); document.execCommand('selectAll'); document.execCommand('insertText', false, arguments[0]);",
        BAD_PERSONA,
    )
    browser.wait_for("return document.querySelector('#trainer-editor .cm-content').innerText.includes('patiense')")
    browser.click_text("button", "Validate" if language == "en" else "校验")
    for snippet in VALIDATION_TEXT[language]:
        browser.wait_for(f"return document.querySelector('#trainer-problems').innerText.includes({snippet!r})")
    browser.script("document.querySelector('#trainer-problems').scrollIntoView()")
    print(f"screenshot: {browser.screenshot(tmp_path / f'trainer-editor-{language}.png')}")


@pytest.fixture(scope="module")
def drill_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppServices]]:
    """A second app in local mode whose only drill is open and not yet answered."""
    root = tmp_path_factory.mktemp("browser-drill")
    settings = dataclasses.replace(
        load_settings(),
        content_dir=write_content(root / "content"),
        shipped_content_dir=None,
        data_dir=root / "data",
        database_url=None,
        llm_base_url=None,
        llm_api_key=None,
        users_file=root / "no-users.yaml",
    )
    services = AppServices(settings, index_sync=lambda library: "")
    trainee.start_session(services, LOCAL, "test_rational", "zh-test-late-parcel")
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    yield url, services
    demo.close()


def test_a_trainee_types_sends_and_ends_in_the_browser(
    drill_app: tuple[str, AppServices], driver_url: str, tmp_path: Path
) -> None:
    url, services = drill_app
    browser = Browser(driver_url, "en")
    box = "document.querySelector('#trainee-message textarea')"
    chat = "document.querySelector('#trainee-chat').innerText"
    try:
        browser.open(url)
        resumed = "document.body.innerText.includes('restored where you left it')"
        browser.wait_for(f"return {box} && !{box}.disabled && {resumed}")
        sid = services.store.list_sessions()[0].id

        # Enter sends, as the hint under the box says
        line = "您好,我是客服小王,让您久等了,非常抱歉。"
        browser.type_keys("#trainee-message textarea", line + "\ue007")
        browser.wait_for(f"return {chat}.includes('{line}')")
        browser.wait_for("return document.querySelectorAll('#trainee-chat .message').length >= 3")
        browser.wait_for(f"return {box}.value === ''")
        assert [turn.role for turn in services.store.get_session(sid).turns] == ["customer", "agent", "customer"]

        # Shift+Enter adds a line and sends nothing; Enter then sends both lines as one message
        browser.type_keys("#trainee-message textarea", "请问订单号是多少?\ue008\ue007\ue000我帮您查一下。")
        browser.wait_for(f"return {box}.value.includes('\\n')")
        assert len(services.store.get_session(sid).turns) == 3
        browser.type_keys("#trainee-message textarea", "\ue007")
        browser.wait_for(f"return {chat}.includes('我帮您查一下')")
        browser.wait_for(f"return {box}.value === ''")
        agent_lines = [t.text for t in services.store.get_session(sid).turns if t.role == "agent"]
        assert agent_lines[-1] == "请问订单号是多少?\n我帮您查一下。"
        turns = len(services.store.get_session(sid).turns)

        browser.click_text("button", "Send")  # nothing typed: refused, nothing stored
        browser.wait_for("return document.querySelector('#trainee-status').innerText.includes('empty')")
        assert len(services.store.get_session(sid).turns) == turns

        browser.script("document.querySelector('#trainee-end').click()")
        browser.wait_for("return document.querySelector('#trainee-scorecard').innerText.includes('/100')")
        # a cue says where the scorecard is, and the page brings it into view
        browser.wait_for("return document.querySelector('#trainee-status').innerText.includes('⬇')")
        browser.wait_for(
            "const r = document.querySelector('#trainee-scorecard').getBoundingClientRect();"
            "return r.top >= -5 && r.top < window.innerHeight / 2"
        )
        # turn numbers on the scorecard are those of the chat: message 1 is the customer's opening
        card = str(browser.script("return document.querySelector('#trainee-scorecard').innerText"))
        assert re.search(r"message [1-9]", card) and "message 0" not in card
        shot = browser.screenshot(tmp_path / "trainee-scorecard-en.png")
        print(f"screenshot: {shot}")
        # a graded drill takes no more messages until the trainee starts again
        browser.wait_for(f"return {box}.disabled")
        assert services.store.get_session(sid).status == "graded"

        # a fresh page with no drill: nothing to send or end yet
        browser.open(url)
        browser.wait_for("return (document.querySelector('#drill-engines') || {}).textContent?.includes('offline')")
        browser.wait_for(
            f"return {box}.disabled && document.querySelector('#trainee-send').disabled"
            " && document.querySelector('#trainee-end').disabled"
        )
        # picking a scenario, then changing a filter, never raises an error
        browser.choose("trainee-persona", "Test emotional")
        browser.choose("trainee-case", "扫地机器人")
        browser.wait_for("return document.querySelector('#trainee-card').innerText.includes('扫地机器人')")
        browser.choose("trainee-filter-language", "English")
        browser.wait_for("return document.querySelector('#trainee-case input').value === ''")
        shot = browser.screenshot(tmp_path / "trainee-filters-en.png")
        print(f"screenshot: {shot}")
        assert browser.error_toasts() == ""
    finally:
        browser.close()
