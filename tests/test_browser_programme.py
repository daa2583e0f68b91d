"""Headless Chromium through the training programme, in English and Chinese, with screenshots.

A practice quiz answered and explained; the assessment's theory exam handed in and a scenario
card played and handed in; the mentor's team view for the month with its CSV. Screenshots are
written under the test's tmp dir (``-s`` prints their paths). Skipped without Debian's chromium.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.accounts import LOCAL
from simulator.app import trainee, trainee_history
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings
from tests.programme_fixtures import write_programme_content
from tests.test_browser import CHROMEDRIVER, CHROMIUM, ELEMENT, Browser, driver_url, free_port

__all__ = ["driver_url"]  # the WebDriver fixture, shared with test_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() or not Path(CHROMEDRIVER).exists(),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]

TEXT = {
    "en": {
        "training": "Training",
        "quiz": "Quiz",
        "start_quiz": "Start the quiz",
        "explained": "answer:",
        "assessment": "Assessment",
        "exam": "Theory exam",
        "time_left": "left",
        "save_next": "Save and next",
        "marked": "Score",
        "card_on": "The card is on",
        "send": "Send",
        "handed_in": "Card handed in",
        "team": "Team",
        "best": "Best performers",
        "csv": "CSV",
        "rating": "How was this scorecard?",
    },
    "zh-CN": {
        "training": "培训",
        "quiz": "理论小测",
        "start_quiz": "开始答题",
        "explained": "正确答案",
        "assessment": "考核",
        "exam": "理论考试",
        "time_left": "剩余",
        "save_next": "保存并下一题",
        "marked": "得分",
        "card_on": "卡片已开始",
        "send": "发送",
        "handed_in": "卡片已交卷",
        "team": "团队",
        "best": "月度之星",
        "csv": "导出 CSV",
        "rating": "这份评分卡怎么样",
    },
}


@pytest.fixture(scope="module")
def programme_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, AppServices]]:
    """The app in single-user local mode (the local user holds every role, admin included)."""
    root = tmp_path_factory.mktemp("browser-programme")
    settings = dataclasses.replace(
        load_settings(),
        content_dir=write_programme_content(root / "content"),
        shipped_content_dir=None,
        data_dir=root / "data",
        database_url=None,
        llm_base_url=None,
        llm_api_key=None,
        users_file=root / "no-users.yaml",
    )
    services = AppServices(settings, index_sync=lambda library: "")
    # a month with graded drills, so that the team view has something to show
    for _ in range(3):
        view = trainee.start_session(services, LOCAL, "test_emotional", "zh-test-late-parcel")
        for line in (
            "您好，我是客服小王，让您久等了，非常抱歉。",
            "请问您的订单号是多少？",
            "我马上帮您催件，今天下午给您回电。",
        ):
            list(trainee.send_message(services, LOCAL, view.session_id, line))
        trainee.end_session(services, LOCAL, view.session_id)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    yield url, services
    demo.close()


def open_app(driver: str, url: str, language: str) -> Browser:
    browser = Browser(driver, language)
    browser.open(url)
    browser.wait_for("return (document.querySelector('#drill-engines') || {}).innerText?.length > 0")
    return browser


def type_into(browser: Browser, selector: str, text: str) -> None:
    element = browser._session("/element", {"using": "css selector", "value": selector})
    browser._session(f"/element/{element[ELEMENT]}/value", {"text": text})


def pick_first_option(browser: Browser, panel: str) -> None:
    """Tick the first option of the question on screen (a radio, or the first checkbox)."""
    clicked = browser.script(
        "const box = document.querySelector(arguments[0]);"
        "const input = [...box.querySelectorAll('input[type=radio], input[type=checkbox]')]"
        "  .find(i => i.offsetParent !== null);"
        "if (!input) return false; input.click(); return true;",
        f"#{panel}-panel",
    )
    assert clicked, f"no option to tick in #{panel}-panel"


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_practice_quiz_explains_each_answer(
    programme_app: tuple[str, AppServices], driver_url: str, tmp_path: Path, language: str
) -> None:
    url, _ = programme_app
    words = TEXT[language]
    browser = open_app(driver_url, url, language)
    try:
        browser.click_text("button[role='tab']", words["training"])
        browser.click_text("button[role='tab']", words["quiz"])
        browser.click_text("button", words["start_quiz"])
        browser.wait_for("return document.querySelector('#quiz-panel').offsetParent !== null")
        browser.wait_for("return document.querySelector('#quiz-header').innerText.includes('10')")
        # nothing of the answer is on the page before the trainee answers
        assert "explanation" not in browser.script("return document.querySelector('#quiz-panel').innerText")
        pick_first_option(browser, "quiz")
        browser.script("document.querySelector('#quiz-check').click()")
        browser.wait_for(f"return document.querySelector('#quiz-feedback').innerText.includes('{words['explained']}')")
        assert "explanation" in browser.script("return document.querySelector('#quiz-feedback').innerText")
        shot = browser.screenshot(tmp_path / f"quiz-{language}.png")
        print(shot)
        assert shot.stat().st_size > 20_000
    finally:
        browser.close()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_assessment_exam_and_a_card(
    programme_app: tuple[str, AppServices], driver_url: str, tmp_path: Path, language: str
) -> None:
    url, services = programme_app
    words = TEXT[language]
    title = f"Browser assessment {language}"
    assessment_id = services.programme.assessments.create(
        LOCAL, services.library(), trainees=["local"], title=title, language="zh-CN", rng=random.Random(5)
    )
    browser = open_app(driver_url, url, language)
    try:
        browser.click_text("button[role='tab']", words["training"])
        browser.click_text("button[role='tab']", words["assessment"])
        browser.wait_for(f"return document.querySelector('#assess-overview').innerText.includes('{title}')")
        # the theory exam: timed on the server, no key on the page, answers saved as one moves on
        browser.script("document.querySelector('#assess-start-exam').click()")
        browser.wait_for(f"return document.querySelector('#exam-header').innerText.includes('{words['time_left']}')")
        pick_first_option(browser, "exam")
        browser.script("document.querySelector('#exam-check').click()")
        browser.wait_for("return document.querySelector('#exam-header').innerText.includes('2')")
        panel = browser.script("return document.querySelector('#exam-panel').innerText")
        assert "explanation" not in panel
        browser.screenshot(tmp_path / f"exam-{language}.png")
        browser.script("document.querySelector('#exam-hand-in').click()")
        browser.wait_for(f"return document.querySelector('#exam-header').innerText.includes('{words['marked']}')")
        browser.wait_for("return document.querySelector('#exam-review').innerText.includes('explanation')")
        print(browser.screenshot(tmp_path / f"exam-marked-{language}.png"))
        (exam,) = services.programme.quizzes.for_user(LOCAL, "local", mode="exam")[:1]
        assert exam.status == "submitted"
        # a scenario card: the brief, a message, the customer's answer, handed in
        browser.script("document.querySelector('#assess-play-card').click()")
        browser.wait_for(f"return document.querySelector('#assess-status').innerText.includes('{words['card_on']}')")
        browser.wait_for("return document.querySelectorAll('#card-chat .message').length >= 1")
        # Enter sends here too, as the hint under the box says
        type_into(browser, "#card-message textarea", "您好，我是客服小林，让您久等了，请问您的订单号是多少？\ue007")
        browser.wait_for("return document.querySelector('#card-chat').innerText.includes('请问您的订单号是多少')")
        browser.wait_for("return document.querySelector('#card-send').disabled === false")
        browser.wait_for("return document.querySelector('#card-status').innerText.trim() === ''")
        print(browser.screenshot(tmp_path / f"card-{language}.png"))
        browser.script("document.querySelector('#card-end').click()")
        browser.wait_for(f"return document.querySelector('#card-status').innerText.includes('{words['handed_in']}')")
        # handed in, graded, and its scorecard nowhere on the page
        view = services.programme.assessments.candidate(LOCAL, services.library(), assessment_id, "local")
        assert view.current("practical").items[0].state == "graded"
        assert "EXAM-KEY" not in browser.page_text()
    finally:
        browser.close()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_team_view_for_the_month(
    programme_app: tuple[str, AppServices], driver_url: str, tmp_path: Path, language: str
) -> None:
    url, _ = programme_app
    words = TEXT[language]
    browser = open_app(driver_url, url, language)
    try:
        browser.click_text("button[role='tab']", words["team"])
        browser.wait_for(f"return document.querySelector('#team-best').innerText.includes('{words['best']}')")
        browser.wait_for("return document.querySelector('#team-table').innerText.includes('local')")
        browser.wait_for("return document.querySelectorAll('#team-weakest canvas, #team-weakest svg').length > 0")
        print(browser.screenshot(tmp_path / f"team-{language}.png"))
        browser.script("document.querySelector('#team-csv').click()")
        browser.wait_for("return document.querySelector('#team-status').innerText.includes('.csv')")
        # the link downloads the CSV through drill's export route (its author only)
        status, body = browser.script(
            "return fetch(document.querySelector('#team-csv-link a').href)"
            "  .then(r => r.text().then(text => [r.status, text]));"
        )
        assert status == 200 and body.lstrip("\ufeff").startswith("month,trainee")
    finally:
        browser.close()


#: Gradio's spinner over a component while an event that updates it runs.
LOADER = 'svg[viewBox="-1200 -1200 3000 3000"]'


def click(browser: Browser, selector: str) -> None:
    """A real (WebDriver) click on the first element matching ``selector``."""
    element = browser._session("/element", {"using": "css selector", "value": selector})
    browser._session(f"/element/{element[ELEMENT]}/click", {})


def tick(browser: Browser, group: str, value: str) -> None:
    """Tick the option labelled ``value`` of the radio group ``#group``."""
    clicked = browser.script(
        "const label = [...document.querySelectorAll(arguments[0] + ' label')]"
        "  .find(l => l.innerText.trim() === arguments[1]);"
        "if (!label) return false; label.querySelector('input').click(); return true;",
        f"#{group}",
        value,
    )
    assert clicked, f"no option {value!r} in #{group}"


def test_a_practice_scorecard_is_rated_from_my_progress(
    programme_app: tuple[str, AppServices], driver_url: str, tmp_path: Path
) -> None:
    url, services = programme_app
    browser = open_app(driver_url, url, "zh-CN")
    try:
        browser.click_text("button[role='tab']", "练习")
        browser.click_text("button[role='tab']", "我的进步")
        browser.wait_for("return document.querySelector('#progress-rating').innerText.includes('这份评分卡怎么样')")
        # open the first scorecard of the list, then rate it
        # the list is refilled when the tab opens: wait until that is done (no loader on the picker)
        browser.wait_for(f"return !document.querySelector('#progress-pick {LOADER}')")
        click(browser, "#progress-pick input")
        type_into(browser, "#progress-pick input", "\ue015\ue007")  # arrow down, enter: the first session
        browser.wait_for("return document.querySelector('#progress-pick input').value.length > 0")
        browser.script("document.querySelector('#progress-show').click()")
        browser.wait_for("return document.querySelector('#progress-scorecard').innerText.length > 0")
        browser.wait_for(f"return !document.querySelector('#progress-rating {LOADER}')")
        tick(browser, "progress-fair", "2")
        tick(browser, "progress-useful", "5")
        type_into(browser, "#progress-rating textarea", "扣分理由写得很清楚，但开场白那项判得太严。")
        browser.script("document.querySelector('#progress-rate').click()")
        browser.wait_for("return document.querySelector('#progress-rating-status').innerText.includes('已保存')")
        print(browser.screenshot(tmp_path / "rating-zh-CN.png"))
        rated = [
            services.programme.ratings.of_session(LOCAL, row.id)
            for row in trainee_history.own_sessions(services, LOCAL)
        ]
        (rating,) = [r for r in rated if r is not None]
        assert (rating.fair, rating.useful, rating.comment) == (2, 5, "扣分理由写得很清楚，但开场白那项判得太严。")
    finally:
        browser.close()
