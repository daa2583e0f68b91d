"""The Gradio app: a header (engines, user, language) and the Trainee / Mentor / Trainer tabs.

Thin by design: the tabs live in ``ui_trainee``, ``ui_mentor`` and ``ui_trainer``, and all logic
in the handler modules. ``launch_app`` is what ``drill serve`` and the end-to-end tests call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from simulator import limits
from simulator.access import check_host
from simulator.accounts import User
from simulator.app.exports import export_route, remove_old_exports
from simulator.app.guard import SIGNED_IN, UNRESOLVED_LANGUAGE, Guard, UnguardedEvent, rule_for, unguarded
from simulator.app.http import ClientAddress, ContentSecurityPolicy, logout_route, shared_sign_ins, sign_in_check
from simulator.app.i18n import t
from simulator.app.services import AppServices
from simulator.app.ui_common import Texts, UIContext, merge_updates, ui_language
from simulator.app.ui_mentor import build_mentor_tab
from simulator.app.ui_team import COACH, build_team_tab
from simulator.app.ui_trainee import build_trainee_tab
from simulator.app.ui_trainer import build_trainer_tab
from simulator.app.ui_training import build_training_tab
from simulator.app.views import engine_banner, user_banner
from simulator.models import LANGUAGES, Language
from simulator.sign_in_tokens import SignInTokens

#: Drills waiting on an LLM reply run side by side up to this many; a slow customer for one
#: trainee never holds up another (Gradio's own default is 1 per event).
CONCURRENCY_LIMIT = 32
#: Worker threads for the sync handlers; above the concurrency limit so that quick events
#: (dropdowns, tab switches) still find a thread while many replies stream.
MAX_THREADS = 64

CSS = """
.drill-header {align-items: center; border-bottom: 1px solid var(--border-color-primary); margin-bottom: 6px}
.drill-header h1 {margin: 0 0 2px 0; font-size: 1.55rem}
.drill-panel {border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px}
.drill-card {background: var(--background-fill-secondary); border-radius: 10px; padding: 10px 14px}
.drill-meter {padding: 6px 2px}
.drill-meter-label {font-size: .9rem; margin-bottom: 4px}
.drill-meter-track {height: 10px; border-radius: 999px; background: var(--neutral-200); overflow: hidden}
.drill-meter-fill {height: 100%; border-radius: 999px; transition: width .4s ease}
.drill-meter-empty {color: var(--body-text-color-subdued); font-size: .9rem}
.drill-verdict {display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap}
.drill-total {font-size: 2.6rem; font-weight: 800}
.drill-of {color: var(--body-text-color-subdued)}
.drill-pill {padding: 4px 12px; border-radius: 999px; color: #fff; font-weight: 700}
.drill-pass {background: #15803d} .drill-fail {background: #b91c1c} .drill-incomplete {background: #92400e}
.drill-sub {flex-basis: 100%; color: var(--body-text-color-subdued); font-size: .85rem}
.drill-meter-legend {color: var(--body-text-color-subdued); margin-top: 2px}
#mentor-sessions th, #mentor-sessions td,
#progress-sessions th, #progress-sessions td {font-size: .85rem; padding: 4px 6px}
#mentor-sessions th, #progress-sessions th {word-break: keep-all; overflow-wrap: normal}
#trainee-trend {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px}
.drill-chart-title {font-weight: 600; font-size: .9rem; margin-bottom: 6px}
.drill-chart-empty {color: var(--body-text-color-subdued); font-size: .9rem}
/* the live chat numbers its messages as the scorecard and the replay do (#1 = the first line) */
#trainee-chat .message-wrap {counter-reset: drill-message}
/* the innermost .message: Gradio also marks the bubble that groups a speaker's messages */
#trainee-chat .message:not(:has(.message)) {counter-increment: drill-message}
#trainee-chat .message:not(:has(.message))::after {
  content: "#" counter(drill-message); display: block; margin-top: 2px;
  font-size: .72rem; color: var(--body-text-color-subdued);
}
/* the chat's clear (trash) button would only hide the transcript from view: the drill goes on.
   Its aria-label is Gradio's "common.clear" in the browser's language (en, zh-CN). */
:is(#trainee-chat, #mentor-replay, #trainee-own-replay, #card-chat, #assigned-chat)
  button:is([aria-label="Clear"], [aria-label="清除"], [aria-label="清空对话"]) {display: none}
"""

ROLE_TABS = {"trainee": "trainee", "mentor": "mentor", "trainer": "trainer"}


def build_app(services: AppServices, *, export_dir: Path | None = None) -> gr.Blocks:
    """The whole app as a ``gr.Blocks`` (not launched)."""
    texts = Texts()
    export_dir = export_dir or services.settings.data_dir / "exports"
    export_dir.mkdir(parents=True, exist_ok=True)
    remove_old_exports(export_dir)
    with gr.Blocks(title="drill") as demo:
        lang = gr.State(UNRESOLVED_LANGUAGE)
        pref = gr.BrowserState("auto", storage_key="drill-ui-language", secret="drill-ui-language")
        ctx = UIContext(services, texts, lang, Guard(services, language_state=lang))
        with gr.Row(elem_classes="drill-header"):
            with gr.Column(scale=5):
                texts.bind(gr.Markdown(texts("app_title_md")), value="app_title_md")
                engines = gr.Markdown("", elem_id="drill-engines")
                who = gr.Markdown("", elem_id="drill-user")
            with gr.Column(scale=1, min_width=220):
                switch = gr.Radio(
                    # a marker, not English: the browser shows it in its language before the page load ends
                    [(texts("lang_auto"), "auto"), ("中文", "zh-CN"), ("English", "en")],
                    value="auto",
                    label=texts("ui_language"),
                    elem_id="drill-language",
                )
                texts.bind(switch, label="ui_language")
        with gr.Tabs() as tabs:
            # (roles that see it, tab id, tab): a tab is shown to users holding any of its roles
            role_tabs = [
                (("trainee",), "trainee", build_trainee_tab(ctx)),
                (("trainee",), "training", build_training_tab(ctx)),
                (("mentor",), "mentor", build_mentor_tab(ctx, export_dir)),
                (COACH, "team", build_team_tab(ctx, export_dir)),
                (("trainer",), "trainer", build_trainer_tab(ctx)),
            ]

        def header(user: User, lg: Language) -> dict[Any, Any]:
            return {
                # the setup how-to is for whoever runs the app, folded away and never shown to trainees
                engines: engine_banner(
                    services.customer_engine,
                    services.grader_engine,
                    services.engine_description(),
                    lg,
                    show_setup=user.can("trainer"),
                ),
                who: user_banner(
                    user.name,
                    sorted(user.roles),
                    services.local_mode,
                    services.accounts.location,
                    lg,
                    show_setup=user.can("trainer"),
                ),
            }

        def on_load(user: User, choice: str | None, *, request: gr.Request) -> dict[Any, Any]:
            lg = ui_language(choice, request)
            updates = header(user, lg)
            updates[lang] = lg
            # Plain text in the resolved language for every label (choices cannot carry I18n markers).
            merge_updates(updates, texts.updates(lg))
            merge_updates(updates, {switch: switch_update(choice, lg)})
            # Showing only the user's tabs is for clarity; access is checked in every handler.
            shown = [tab_id for roles, tab_id, tab in role_tabs if any(user.can(role) for role in roles)]
            for _, tab_id, tab in role_tabs:
                if tab_id not in shown:
                    merge_updates(updates, {tab: gr.update(visible=False)})
            first = shown[0] if shown else None
            if first not in (None, "trainee"):  # the first tab is hidden: open the first one shown
                updates[tabs] = gr.update(selected=first)
            for step in ctx.loaders:
                if not rule_for(step.role).admits(user):
                    continue
                try:
                    merge_updates(updates, step.fn(user, lg))
                except Exception:  # one failing panel must not blank the whole page
                    import logging

                    logging.getLogger(__name__).exception("page load step failed")
            return updates

        def on_switch(user: User, choice: str, *, request: gr.Request) -> dict[Any, Any]:
            lg = ui_language(choice, request)
            updates = texts.updates(lg)
            updates.update(header(user, lg))
            updates[lang] = lg
            updates[pref] = choice
            return merge_updates(updates, {switch: switch_update(choice, lg)})

        load_outputs = _unique(
            [lang, switch, engines, who, tabs, *(tab for _, _, tab in role_tabs), *texts.components]
            + [c for step in ctx.loaders for c in step.outputs]
        )
        ctx.on(
            demo.load, on_load, [pref], load_outputs, role=SIGNED_IN, api_visibility="private", show_progress="minimal"
        )
        switched = ctx.on(
            switch.input,
            on_switch,
            [switch],
            _unique([lang, pref, engines, who, *texts.components]),
            role=SIGNED_IN,
            api_name="set_language",
        )
        for step in ctx.relang:
            # quiet: a user without the step's role simply has nothing to re-label there
            ctx.on(
                switched.then,
                step.fn,
                step.inputs,
                step.outputs,
                role=step.role,
                quiet=True,
                api_visibility="private",
                show_progress="hidden",
            )
    problems = unguarded(demo)
    if problems:  # fail closed: an event without a role check would be open to every session
        raise UnguardedEvent("; ".join(problems))
    return demo


def switch_update(choice: str | None, lang: Language) -> dict[str, Any]:
    """The language switch relabelled in ``lang``, keeping its value (Gradio 6 blanks it otherwise)."""
    return gr.update(
        choices=[(t("lang_auto", lang), "auto"), ("中文", "zh-CN"), ("English", "en")],
        value=choice if choice in ("auto", *LANGUAGES) else "auto",
    )


def _unique(components: list[Any]) -> list[Any]:
    seen: set[int] = set()
    result = []
    for component in components:
        if id(component) not in seen:
            seen.add(id(component))
            result.append(component)
    return result


def launch_options(services: AppServices) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: auth (when accounts exist; sign-ins in the database), i18n, CSS."""
    options: dict[str, Any] = {
        "i18n": Texts().i18n,
        # System fonts only: the app must look right offline, with nothing fetched from font CDNs.
        "theme": gr.themes.Soft(
            primary_hue="indigo",
            secondary_hue="slate",
            font=["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"],
            font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
        ),
        "css": CSS,
        "max_threads": MAX_THREADS,
        # No Gradio footer links: its settings panel follows the browser's language, not the app's.
        "footer_links": [],
        "show_error": True,
        # Uploads (a YAML file for the editor, a chat log to import) are refused past this size
        # by Gradio itself, before any handler reads them.
        "max_file_size": limits.UPLOAD_BYTES.value,
        "app_kwargs": {
            "middleware": [Middleware(ClientAddress), Middleware(ContentSecurityPolicy)],
            # reports are served by drill's own route, to their author only (never via allowed_paths)
            "routes": [export_route(services, services.settings.data_dir / "exports")],
        },
    }
    if not services.local_mode:
        options["auth"] = sign_in_check(services)
        options["auth_message"] = t("login_message", "zh-CN") + " / " + t("login_message", "en")
        # Sign-ins in the database: a trainee whose replica goes down stays signed in on another.
        tokens = SignInTokens(services.store.engine)
        options["app_kwargs"]["lifespan"] = shared_sign_ins(tokens)
        options["app_kwargs"]["routes"].insert(0, logout_route(tokens))
    return options


def launch_app(
    services: AppServices, *, host: str = "127.0.0.1", port: int | None = None, block: bool = True, quiet: bool = False
) -> tuple[gr.Blocks, str]:
    """Build, queue and launch the app; return it and its local URL.

    With ``block=False`` the server runs in a background thread (tests close it with
    ``demo.close()``). ``StartupRefused`` when single-user mode would listen beyond loopback
    without having been asked for explicitly.
    """
    check_host(services.access, host)
    demo = build_app(services)
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, prevent_thread_lock=True, quiet=quiet, **launch_options(services)
    )
    if block:
        demo.block_thread()
    return demo, url
