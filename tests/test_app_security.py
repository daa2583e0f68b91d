"""Every event of the app, called through Gradio's queue as an attacker would, as each role.

Gradio runs any registered dependency for anyone with a session: a hidden tab or
``api_visibility="private"`` hides nothing. These tests sign in as a trainee, a mentor and a
trainer, and post to ``/gradio_api/queue/join`` with each ``fn_index`` of the Blocks and plausible
arguments (ids of cases, personas and another trainee's session, case YAML, a chat log, an
uploaded file). They assert that role-restricted events are refused, that no trainee or mentor
response carries a hidden field of any case or persona (what ``TRAINEE_FIELDS`` leaves out) beyond
what that user legitimately holds (their own conversations and graded reports), and that a
trainee never sees another trainee's session. A new event registered without the guard fails
``test_every_dependency_is_registered_through_the_guard``; one registered with a too-wide role
leaks here.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
import httpx
import pytest
import yaml

from simulator.accounts import Accounts, User
from simulator.app import mentor, trainee, trainee_history
from simulator.app.guard import UNRESOLVED_LANGUAGE, Guard, rule_of, unguarded
from simulator.app.services import AppServices
from simulator.app.ui import CONCURRENCY_LIMIT, build_app, launch_options
from simulator.models import Case, Persona
from tests.offline_fixtures import persona, zh_case, zh_case_data
from tests.test_app_e2e import PASSWORD, PERSONA, ZH_CASE, free_port, make_services

ROLES = {"alice": "trainee", "mia": "mentor", "tom": "trainer"}
VICTIM = "vera"
VICTIM_SECRET = "vera的私人备注7731号楼"
MENTOR_NOTE = "带教私下评语:vera需要重练开场"
ROUNDS = 2


# ---------------------------------------------------------------------------------------------
# Registration


def test_every_dependency_is_registered_through_the_guard(tmp_path: Path) -> None:
    demo = build_app(make_services(tmp_path))
    assert demo.fns, "the app registers events"
    assert unguarded(demo) == []
    for block_fn in demo.fns.values():
        assert block_fn.fn is None or rule_of(block_fn.fn) is not None


def test_an_event_registered_without_the_guard_is_caught(tmp_path: Path) -> None:
    services = make_services(tmp_path)
    with gr.Blocks() as demo:
        button, box = gr.Button(), gr.Markdown()
        Guard(services).on(button.click, lambda user: "ok", None, box, role="trainee")
        button.click(lambda: "leak", None, box)  # the mistake the check exists for
        box.change(None, None, None, js="() => {}")  # browser-only: nothing to call
    problems = unguarded(demo)
    assert len(problems) == 1 and "without Guard.on" in problems[0]


def test_a_quiet_refusal_changes_nothing_on_screen(tmp_path: Path) -> None:
    # The language-switch steps run for every signed-in user and refuse quietly those without
    # their role: what Gradio sends back for each output must change nothing, whatever the
    # component (HTML meters and cards, plots, tables, chats, dropdowns).
    users = tmp_path / "users.yaml"
    accounts = Accounts(users)
    for name, role in ROLES.items():
        accounts.add(name, PASSWORD, [role])  # type: ignore[list-item]
    services = make_services(tmp_path, users_file=users)
    demo = build_app(services)
    refused: set[str] = set()
    for block_fn in demo.fns.values():
        rule = rule_of(block_fn.fn)
        if rule is None or not rule.quiet:
            continue
        for name in ROLES:
            if rule.admits(services.user(name)):
                continue
            request = SimpleNamespace(username=name, headers={})
            returned = block_fn.fn(request, *([None] * len(block_fn.inputs)))
            sent = asyncio.run(demo.postprocess_data(block_fn, returned, None))
            changed = [type(o).__name__ for o, u in zip(block_fn.outputs, sent, strict=True) if not changes_nothing(u)]
            assert changed == [], f"{name} refused {rule.handler}, yet {changed} changed"
            refused.add(rule.handler)
    # the trainee view's language step (HTML meter, card and verdicts among its outputs) is one
    assert any(handler.endswith("on_relanguage") for handler in refused), refused


def test_a_handler_that_runs_before_the_page_load_gets_the_browsers_language(tmp_path: Path) -> None:
    # Gradio fires a tab's select as the page mounts, before the page load has resolved the
    # language: such a handler gets the browser's language, never a default one (it used to write
    # the scenario card in English for a Chinese browser until the load ended).
    services = make_services(tmp_path)
    seen: list[tuple[str, str]] = []
    with gr.Blocks() as demo:
        lang = gr.State(UNRESOLVED_LANGUAGE)
        button, box = gr.Button(), gr.Markdown()
        Guard(services, language_state=lang).on(
            button.click, lambda user, text, lg: seen.append((text, lg)), [box, lang], None, role="trainee"
        )
    (block_fn,) = demo.fns.values()
    chinese = SimpleNamespace(username=None, headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    block_fn.fn(chinese, "auto", UNRESOLVED_LANGUAGE)  # only the language state's value is resolved
    block_fn.fn(chinese, "x", "en")  # a resolved language is kept
    block_fn.fn(SimpleNamespace(username=None, headers={"accept-language": "en-GB"}), "y", UNRESOLVED_LANGUAGE)
    assert seen == [("auto", "zh-CN"), ("x", "en"), ("y", "en")]


def test_the_first_page_carries_no_english_text_in_the_practice_view(tmp_path: Path) -> None:
    # What a browser shows before the page load ends: the card and the meter are written by the
    # load in the user's language, and the language switch's "follow the browser" label is a
    # marker the browser translates.
    config = build_app(make_services(tmp_path)).get_config_file()
    props = {c["props"].get("elem_id"): c["props"] for c in config["components"] if c["props"].get("elem_id")}
    assert props["trainee-card"]["value"] == ""
    assert props["trainee-meter"]["value"] == ""
    follow_browser = props["drill-language"]["choices"][0][0]
    assert "__i18n__" in str(follow_browser) and "lang_auto" in str(follow_browser)


def test_a_role_name_typo_fails_at_registration(tmp_path: Path) -> None:
    with gr.Blocks(), pytest.raises(ValueError, match="role must be one of"):
        Guard(make_services(tmp_path)).on(gr.Button().click, lambda user: None, None, None, role="mentors")


def test_a_trainee_view_holds_only_the_declared_fields() -> None:
    for item in (zh_case(), persona("rational")):
        assert set(type(item).model_fields) >= item.TRAINEE_FIELDS, "TRAINEE_FIELDS names real fields"
        view = item.trainee_view()
        assert set(view) == item.TRAINEE_FIELDS
        hidden = sorted(set(type(item).model_fields) - item.TRAINEE_FIELDS)
        assert hidden, "something stays hidden"
        for name in hidden:
            with pytest.raises(AttributeError, match="not visible to trainees"):
                getattr(view, name)
    case = zh_case().trainee_view()
    assert case.brief == zh_case().brief and case.title == zh_case().title


# ---------------------------------------------------------------------------------------------
# The attacker's client: plain HTTP, the queue protocol, any fn_index


class QueueCaller:
    """Signs in with a password and calls dependencies by ``fn_index`` through the queue."""

    def __init__(self, url: str, name: str) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=60)
        signed_in = self.http.post("/login", data={"username": name, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        self.session_hash = secrets.token_hex(8)

    def upload(self, name: str, text: str) -> dict[str, Any]:
        response = self.http.post("/gradio_api/upload", files={"files": (name, text.encode("utf-8"))})
        response.raise_for_status()
        path = response.json()[0]
        return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    def call(self, fn_index: int, data: list[Any]) -> list[dict[str, Any]]:
        """Every message of one event: the generating steps and the completion."""
        joined = self.http.post(
            "/gradio_api/queue/join",
            json={"data": data, "fn_index": fn_index, "session_hash": self.session_hash, "event_data": None},
        )
        if joined.status_code != 200:
            return [{"msg": "refused_at_join", "status": joined.status_code, "text": joined.text}]
        event_id = joined.json()["event_id"]
        messages: list[dict[str, Any]] = []
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") not in (None, event_id):
                    continue
                messages.append(message)
                if message.get("msg") in ("process_completed", "close_stream"):
                    break
        return messages


@dataclass
class Outcome:
    fn_index: int
    api_name: str | None
    data: list[Any]
    messages: list[dict[str, Any]]

    @property
    def completion(self) -> dict[str, Any]:
        return next((m for m in self.messages if m.get("msg") == "process_completed"), {})

    @property
    def text(self) -> str:
        return json.dumps(self.messages, ensure_ascii=False)


@dataclass
class Run:
    user: User
    outcomes: list[Outcome] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Plausible arguments per component type


def plausible(component: Any, round_: int, pools: dict[str, list[Any]], by_label: dict[str, Any]) -> Any:
    """Round 0 fills the session's choices; later rounds aim each input at what it is for."""
    label = getattr(getattr(component, "label", None), "key", None)
    if round_ == 1 and label in by_label:
        return by_label[label]
    kind = type(component).__name__
    if kind == "CheckboxGroup":
        return []  # nothing ticked: the value every checkbox group accepts
    pool = pools.get(kind, [None])
    value = pool[round_ % len(pool)]
    if kind == "Radio" and value is not None and value not in [offered for _, offered in component.choices]:
        # Gradio refuses a radio value it does not offer before any handler runs; an empty choice
        # reaches the handler, so that the role check is what answers.
        return None
    return value


def victim_session(services: AppServices) -> str:
    vera = User(VICTIM, frozenset({"trainee"}))
    view = trainee.start_session(services, vera, PERSONA, ZH_CASE)
    for text in ("您好,我是客服小王,请问订单号是多少?", VICTIM_SECRET):
        list(trainee.send_message(services, vera, view.session_id, text))
    trainee.end_session(services, vera, view.session_id)
    mia = User("mia", frozenset({"mentor"}))
    mentor.add_comment(services, mia, view.session_id, None, MENTOR_NOTE)
    return view.session_id


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServices, dict[str, Run], str]]:
    """Every dependency called ROUNDS times by each role; the app, the runs and the victim's session id."""
    root = tmp_path_factory.mktemp("security-app")
    users = root / "users.yaml"
    accounts = Accounts(users)
    for name, role in (*ROLES.items(), (VICTIM, "trainee")):
        accounts.add(name, PASSWORD, [role])  # type: ignore[list-item]
    services = make_services(root, users_file=users)
    victim_sid = victim_session(services)
    demo = build_app(services)
    # Gradio refuses a dropdown value it did not offer this session; an attacker who gets a list
    # filled by another event passes that check, so it is switched off here: every refusal seen
    # below is the handler's own.
    for block in demo.blocks.values():
        if isinstance(block, gr.Dropdown):  # the instance and the copies a label update makes
            block.allow_custom_value = True
            block.constructor_args["allow_custom_value"] = True
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    _, url, _ = demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        **launch_options(services),
    )
    case_yaml = yaml.safe_dump(zh_case_data(), allow_unicode=True, sort_keys=False)
    chat_log = json.dumps(
        {"language": "zh-CN", "turns": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "您好"}]},
        ensure_ascii=False,
    )
    by_label = {
        "scenario": ZH_CASE,
        "persona": PERSONA,
        "open_session": victim_sid,
        "details_of": ZH_CASE,
        "start_from": ZH_CASE,
        "preview_partner": PERSONA,
        "comment_on": "1",
        "criterion": "standard_phrasing",
        "col_trainee": VICTIM,
        "comment": VICTIM_SECRET,
        "import_owner": VICTIM,
        "your_reply": "请问您的订单号是多少?",
        "since": "",
        "until": "",
        "col_result": "any",
        "reason": "mentor-reason-0427",
    }

    def attack(name: str, role: str) -> Run:
        caller = QueueCaller(url, name)
        pools: dict[str, list[Any]] = {
            "Dropdown": [None, victim_sid],
            "Radio": ["persona", "case", "zh-CN"],
            "Textbox": ["", chat_log],
            "Code": [case_yaml],
            "Checkbox": [True, False],
            "Slider": [1, 5],
            "Number": [None],
            "File": [None, caller.upload("log.json", chat_log)],
            "UploadButton": [caller.upload("zh-test-late-parcel.yaml", case_yaml)],
        }
        run = Run(User(name, frozenset({role})))
        for round_ in range(ROUNDS):
            for fn_index, block_fn in sorted(demo.fns.items()):
                data = [plausible(component, round_, pools, by_label) for component in block_fn.inputs]
                run.outcomes.append(Outcome(fn_index, block_fn.api_name, data, caller.call(fn_index, data)))
        return run

    try:
        # the three roles attack at once, as three people would
        with ThreadPoolExecutor(max_workers=len(ROLES)) as pool:
            futures = {role: pool.submit(attack, name, role) for name, role in ROLES.items()}
            runs = {role: future.result() for role, future in futures.items()}
        yield services, runs, victim_sid
    finally:
        demo.close()


# ---------------------------------------------------------------------------------------------
# What must never leak


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def hidden_strings(item: Persona | Case) -> set[str]:
    """Text of every field the model does not list as trainee-visible (ids and short labels left out)."""
    dumped = item.model_dump(mode="json", exclude=set(item.TRAINEE_FIELDS))
    return {
        text
        for text in _strings(dumped)
        if not re.fullmatch(r"[a-z0-9_.-]+", text)
        and (len(text) >= 8 or len(re.findall(r"[\u4e00-\u9fff]", text)) >= 4)
    }


def legitimately_seen(services: AppServices, user: User) -> str:
    """What ``user`` may hold: conversations and graded reports they can open (the report's tips too)."""
    rows = services.store.list_sessions() if user.sees_all_sessions else trainee_history.own_sessions(services, user)
    library = services.library()
    parts = []
    for row in rows:
        parts.extend(turn.text for turn in services.store.transcript(row.id).turns)
        report = services.store.latest_report(row.id)
        if report is not None:
            parts.append(report.model_dump_json())
            persona = library.personas.get(row.persona_id or "")
            if persona is not None:
                parts.extend(persona.coaching_tips.zh + persona.coaching_tips.en)
        parts.extend(a.text for a in services.store.annotations(row.id))
    return "\n".join(parts)


def leaks(run: Run, services: AppServices, secrets_: set[str]) -> list[str]:
    allowed = legitimately_seen(services, run.user)
    found = []
    for outcome in run.outcomes:
        text = outcome.text
        for secret in secrets_:
            if secret in text and secret not in allowed and json.dumps(secret, ensure_ascii=False)[1:-1] not in allowed:
                found.append(f"fn_index {outcome.fn_index} ({outcome.api_name}) with {outcome.data!r}: {secret[:60]}")
    return found


def content_secrets(services: AppServices) -> set[str]:
    library = services.library()
    found: set[str] = set()
    for item in [*library.personas.values(), *library.cases.values()]:
        found |= hidden_strings(item)
    return found


# ---------------------------------------------------------------------------------------------
# The assertions


def changes_nothing(update: Any) -> bool:
    """True for ``gr.skip()`` as Gradio 6 sends it: ``{"__type__": "update"}``.

    For a ``gr.HTML`` output Gradio's ``postprocess_update_dict`` also copies that marker into the
    component's custom ``props`` (``{"props": {"__type__": "update"}, ...}``): still no value, no
    attribute, nothing on screen changes, so it counts as no change too.
    """
    if not isinstance(update, dict) or update.get("__type__") != "update":
        return False
    rest = {key: value for key, value in update.items() if key != "__type__"}
    return rest in ({}, {"props": {"__type__": "update"}})


def guard_refusal(outcome: Outcome, role_word: str) -> bool:
    """Refused by the role check: the access-denied error, or (quiet events) nothing changed."""
    completion = outcome.completion
    if completion.get("success") is False:
        return f"needs the {role_word} role" in json.dumps(completion, ensure_ascii=False)
    data = (completion.get("output") or {}).get("data", [])
    return all(changes_nothing(d) for d in data)


def test_every_dependency_was_called_as_every_role(attacked: tuple[AppServices, dict[str, Run], str]) -> None:
    _, runs, _ = attacked
    for run in runs.values():
        completed = [o for o in run.outcomes if o.completion]
        assert len(completed) == len(run.outcomes), [o.messages for o in run.outcomes if not o.completion][:3]


def test_role_restricted_events_are_refused(attacked: tuple[AppServices, dict[str, Run], str]) -> None:
    services, runs, _ = attacked
    demo = build_app(services)  # the same wiring: rules by fn_index
    checked = set()
    for role, run in runs.items():
        by_index: dict[int, list[Outcome]] = {}
        for outcome in run.outcomes:
            by_index.setdefault(outcome.fn_index, []).append(outcome)
        for fn_index, outcomes in by_index.items():
            rule = rule_of(demo.fns[fn_index].fn)
            if rule is None or rule.admits(run.user):
                continue
            word = " / ".join(rule.roles)
            for outcome in outcomes:
                # Gradio may refuse first (a Radio value it did not offer); whatever runs, nothing
                # may come back but a refusal.
                completion = outcome.completion
                assert completion.get("success") is False or guard_refusal(outcome, word), (
                    f"{role} ran {outcome.api_name} (needs {word}): {outcome.text[:300]}"
                )
            # and the guard itself said no at least once with plausible arguments
            assert any(guard_refusal(o, word) for o in outcomes), f"{role}: {outcomes[0].api_name} never refused"
            checked.add((role, fn_index))
    # each role is refused the other two roles' tabs: a dozen events or more apiece
    assert len(checked) >= 3 * 12


def test_a_trainee_sees_no_hidden_field_and_no_other_trainees_session(
    attacked: tuple[AppServices, dict[str, Run], str],
) -> None:
    services, runs, victim_sid = attacked
    secrets_ = content_secrets(services) | {VICTIM_SECRET, MENTOR_NOTE}
    assert len(secrets_) > 50  # the check has teeth: situations, facts, policy, phrasing, persona cards
    assert leaks(runs["trainee"], services, secrets_) == []
    # the attacker did aim at the victim's session (and at every case and persona)
    assert any(victim_sid in json.dumps(o.data) for o in runs["trainee"].outcomes)


def test_a_mentor_sees_sessions_but_no_case_or_persona_card(attacked: tuple[AppServices, dict[str, Run], str]) -> None:
    services, runs, _ = attacked
    assert leaks(runs["mentor"], services, content_secrets(services)) == []
    opened = [o for o in runs["mentor"].outcomes if o.api_name == "open_session" and VICTIM_SECRET in o.text]
    assert opened, "a mentor can open a trainee's session"


def test_the_trainer_still_sees_the_whole_library(attacked: tuple[AppServices, dict[str, Run], str]) -> None:
    services, runs, _ = attacked
    case = services.library().cases[ZH_CASE]
    assert any(case.situation in o.text for o in runs["trainer"].outcomes)
