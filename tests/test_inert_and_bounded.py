"""Issue 10's remaining attacks: YAML bombs, unbounded comments, stored content that is not inert,
exports anyone could download, an import owner that is a path."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from simulator.accounts import Accounts, User
from simulator.app import mentor, trainee, trainer
from simulator.app.i18n import AppError
from simulator.app.report_export import ReportBundle, render_markdown
from simulator.app.ui import launch_app
from simulator.cli import main
from simulator.content import validate_files
from simulator.markdown_text import for_terminal, inert
from tests.test_app_e2e import PASSWORD, PERSONA, ZH_CASE, free_port, make_services
from tests.test_app_security import QueueCaller

BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(8)
)
EVIL = "<script>alert(1)</script> <img src=x onerror=alert(2)> ![t](https://tracker.example/p.png)"
MENTOR = User("mia", frozenset({"mentor"}))
ALICE = User("alice", frozenset({"trainee"}))


def test_a_yaml_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    assert len(BOMB.encode()) < 500
    path = tmp_path / "personas" / "bomb.yaml"
    path.parent.mkdir()
    path.write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    _, problems = validate_files([path])
    elapsed = time.perf_counter() - started
    assert (
        len(problems) == 1
        and "aliases expanded" in problems[0].message
        and "DRILL_MAX_YAML_NODES" in problems[0].message
    )
    print(f"bomb refused in {elapsed * 1000:.1f} ms")  # figure for the report; no timed assertion
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "DRILL_MAX_YAML_NODES" in result.output


def test_deep_nesting_and_big_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "casebank"
    folder.mkdir()
    deep = folder / "deep.yaml"
    deep.write_text("a: " + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
    big = folder / "big.yaml"
    big.write_text("a: " + "x" * 300_000 + "\n", encoding="utf-8")
    _, problems = validate_files([deep, big])
    messages = " ".join(p.message for p in problems)
    assert "DRILL_MAX_YAML_DEPTH" in messages and "DRILL_MAX_CONTENT_FILE_BYTES" in messages


def test_the_editor_refuses_a_bomb_and_a_huge_upload_before_parsing(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    checked = trainer.validate_yaml(services, "persona", BOMB, "")
    assert not checked.ok and "DRILL_MAX_YAML_NODES" in checked.problems[0].message
    huge = trainer.validate_yaml(services, "case", "id: x\n" + "#" * 10_000_000, "")
    assert not huge.ok and "DRILL_MAX_CONTENT_FILE_BYTES" in huge.problems[0].message


def test_the_editor_shows_a_yaml_limit_in_the_trainers_language(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    bomb = trainer.validate_yaml(services, "persona", BOMB, "bomb.yaml").problems[0]
    assert bomb.message.startswith("the document, with its aliases expanded, is ")
    assert (bomb.path, bomb.line) == ("personas/bomb.yaml", 5)  # e: its aliases expand to 9**5 nodes, past 20,000
    assert re.fullmatch(
        r"展开别名后的文档有 [\d,]+ 个节点,上限是 20,000 个节点\(可设置 DRILL_MAX_YAML_NODES 调整\)", bomb.text("zh-CN")
    )
    deep = trainer.validate_yaml(services, "case", "a: " + "[" * 100 + "]" * 100 + "\n", "deep.yaml").problems[0]
    assert (deep.line, deep.col) == (1, 43)  # the 40th bracket: level 41, under the top mapping
    assert deep.text("zh-CN") == "嵌套层级有 41 层,上限是 40 层(可设置 DRILL_MAX_YAML_DEPTH 调整)"
    assert (
        deep.text("en")
        == deep.message
        == ("the nesting is 41 levels; the limit is 40 levels (set DRILL_MAX_YAML_DEPTH to change it)")
    )
    huge = trainer.validate_yaml(services, "case", "id: x\n" + "#" * 300_000, "").problems[0]
    assert huge.text("zh-CN") == "文件有 300,006 字节,上限是 200,000 字节(可设置 DRILL_MAX_CONTENT_FILE_BYTES 调整)"
    # the content loader keeps the key too (a file on disk, checked by size before it is read)
    big = tmp_path / "casebank" / "big.yaml"
    big.parent.mkdir(exist_ok=True)
    big.write_text("a: " + "x" * 300_000 + "\n", encoding="utf-8")
    _, problems = validate_files([big])
    assert problems[0].text("zh-CN").startswith("文件有 300,004 字节,上限是 200,000 字节")


def test_a_bomb_in_the_folder_does_not_block_other_users(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    before = services.content.snapshot()
    (services.settings.personas_dir / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    after = services.content.snapshot()
    assert any("DRILL_MAX_YAML_NODES" in p.message for p in after.problems)
    assert set(after.library.personas) == set(before.library.personas)
    # while one thread reloads, another gets the library as it was instead of waiting
    services.content._reloading = True  # a reload in progress elsewhere
    (services.settings.personas_dir / "bomb.yaml").unlink()
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(services.content.snapshot()))
    thread.start()
    thread.join(10)
    assert got == [after]


def test_comments_and_override_reasons_are_bounded(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    view = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    list(trainee.send_message(services, ALICE, view.session_id, "您好,请问订单号是多少?"))
    trainee.end_session(services, ALICE, view.session_id)
    with pytest.raises(AppError) as caught:
        mentor.add_comment(services, MENTOR, view.session_id, None, "好" * 5_000_000)
    assert caught.value.key == "comment_too_long" and "DRILL_MAX_COMMENT_CHARS" in caught.value.message("zh-CN")
    with pytest.raises(AppError) as caught:
        mentor.override_score(services, MENTOR, view.session_id, "clarity", 3, "x" * 5_000)
    assert caught.value.key == "reason_too_long"
    assert services.store.annotations(view.session_id) == []


def test_stored_text_is_inert_in_the_markdown_export(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    view = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    list(trainee.send_message(services, ALICE, view.session_id, EVIL))
    trainee.end_session(services, ALICE, view.session_id)
    mentor.add_comment(services, MENTOR, view.session_id, 1, EVIL)
    replay = mentor.load_replay(services, MENTOR, view.session_id, "en")
    bundle = ReportBundle(replay.session, replay.transcript, replay.effective, replay.comments, replay.rubric, "en")
    text = render_markdown(bundle)
    assert "<script>" not in text and "<img" not in text and "![t](" not in text
    assert "&lt;script&gt;" in text and "!\\[t\\](https://tracker.example/p.png)" in text
    assert inert("[a](b)") == "\\[a\\](b)"


def test_an_import_owner_must_be_a_known_account(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    Accounts(users).add("mia", PASSWORD, ["mentor"])
    Accounts(users).add("alice", PASSWORD, ["trainee"])
    services = make_services(tmp_path, users_file=users)
    log = '{"language": "zh-CN", "turns": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "您好"}]}'
    for owner, key in (("../../x", "import_owner_invalid"), ("carol", "import_owner_unknown")):
        with pytest.raises(AppError) as caught:
            mentor.import_transcript(services, MENTOR, log, owner, "en")
        assert caught.value.key == key
    session_id, _ = mentor.import_transcript(services, MENTOR, log, "alice", "en")
    assert services.store.get_session(session_id).user_name == "alice"


def test_exports_are_served_to_their_author_only_and_pages_allow_no_outside_images(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    for name, role in (("mia", "mentor"), ("max", "mentor"), ("tom", "trainer"), ("alice", "trainee")):
        Accounts(users).add(name, PASSWORD, [role])  # type: ignore[list-item]
    services = make_services(tmp_path, users_file=users)
    view = trainee.start_session(services, ALICE, PERSONA, ZH_CASE)
    list(trainee.send_message(services, ALICE, view.session_id, "您好"))
    trainee.end_session(services, ALICE, view.session_id)
    demo, url = launch_app(services, port=free_port(), block=False, quiet=True)
    try:
        page = httpx.get(url, timeout=60)  # the default 5 s is a timed assertion on a loaded machine
        assert "img-src 'self' data: blob:" in page.headers["content-security-policy"]
        mia = QueueCaller(url, "mia")
        fn = {f.api_name: i for i, f in demo.fns.items()}
        opened = mia.call(fn["find_sessions"], ["any", "any", "any", "any", "", "", None, None, None])
        assert opened[-1]["success"], opened[-1]
        mia.call(fn["open_session"], [view.session_id, None])
        done = mia.call(fn["export_html"], [None, None])[-1]
        link = re.search(r"\((drill-exports/[^)]+)\)", str(done["output"]["data"][0])).group(1)  # type: ignore[union-attr]
        assert mia.http.get("/" + link).status_code == 200
        assert "default-src 'none'" in mia.http.get("/" + link).headers["content-security-policy"]
        for other in ("max", "tom", "alice"):
            assert QueueCaller(url, other).http.get("/" + link).status_code == 404
        assert httpx.get(url.rstrip("/") + "/" + link, timeout=60).status_code == 404  # not signed in
        assert (
            httpx.get(
                url.rstrip("/") + "/gradio_api/file=" + str(services.settings.data_dir / "exports"), timeout=60
            ).status_code
            != 200
        )
    finally:
        demo.close()


def test_terminal_text_shows_what_was_typed_without_control_characters() -> None:
    typed = "Q&A <b>bold</b> [link](x) \x1b[2J\x1b]0;owned\x07 done"
    shown = for_terminal(f"- quote: {inert(typed)}\n")
    assert shown == "- quote: Q&A <b>bold</b> [link](x) [2J]0;owned done\n"
    assert "&amp;" not in shown and "\x1b" not in shown and "\x07" not in shown
