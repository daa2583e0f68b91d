"""The Trainer tab: persona and case libraries, a YAML editor with inline validation, preview, save."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, cast

import gradio as gr
import pandas as pd

from simulator.accounts import User
from simulator.app import trainer
from simulator.app.i18n import AppError, t
from simulator.app.ui_choices import HandlerCheckedDropdown
from simulator.app.ui_common import UIContext, error_text
from simulator.app.views import case_detail, content_problems_note, persona_detail, problems_markdown
from simulator.models import Language
from simulator.mood_scale import mood_legend, mood_text

PERSONA_COLUMNS = ["id", "persona", "archetype", "difficulty", "languages", "starting_mood", "patience"]
CASE_COLUMNS = ["id", "title", "category", "industry", "language", "difficulty", "channel", "start", "personas"]


def _kind_choices(lang: Language) -> list[tuple[str, str]]:
    # Plain-text labels: Gradio 6 sends an I18n-marked choice's label instead of its value.
    return [(t("kind.persona", lang), "persona"), (t("kind.case", lang), "case")]


def build_trainer_tab(ctx: UIContext) -> gr.Tab:
    """Build the Trainer tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang

    # Every component, States included, is created inside the tab (see ui_trainee).
    with gr.Tab(tx("tab_trainer"), id="trainer", elem_id="tab-trainer") as tab:
        sent = gr.State([])
        tx.bind(tab, label="tab_trainer")
        note = gr.Markdown("", label="library_note", elem_id="trainer-note")
        with gr.Tabs():
            with gr.Tab(tx("personas"), id="personas") as personas_tab:
                tx.bind(personas_tab, label="personas")
                persona_table = tx.bind(
                    gr.Dataframe(label=tx("personas"), interactive=False, wrap=True, max_height=300), label="personas"
                )
                persona_pick = tx.bind(HandlerCheckedDropdown([], label=tx("details_of")), label="details_of")
                persona_md = gr.Markdown("", label="persona_detail")
            with gr.Tab(tx("cases"), id="cases") as cases_tab:
                tx.bind(cases_tab, label="cases")
                case_table = tx.bind(
                    gr.Dataframe(label=tx("cases"), interactive=False, wrap=True, max_height=300), label="cases"
                )
                case_pick = tx.bind(HandlerCheckedDropdown([], label=tx("details_of")), label="details_of")
                case_md = gr.Markdown("", label="case_detail")
            with gr.Tab(tx("editor"), id="editor") as editor_tab:
                tx.bind(editor_tab, label="editor")
                editor_help = tx.bind(gr.Markdown(tx("editor_help")), value="editor_help")
                del editor_help
                with gr.Row():
                    kind = gr.Radio(_kind_choices("en"), value="persona", label=tx("kind"))
                    tx.bind(kind, label="kind")  # choices re-labelled by on_refresh, with the value
                    template = tx.bind(HandlerCheckedDropdown([], label=tx("start_from")), label="start_from")
                    load_btn = tx.bind(gr.Button(tx("load")), value="load")
                    upload = tx.bind(
                        gr.UploadButton(tx("upload_yaml"), file_types=[".yaml", ".yml"]), label="upload_yaml"
                    )
                file_name = tx.bind(
                    gr.Textbox(label=tx("file_name"), placeholder="night_shift_nurse.yaml"), label="file_name"
                )
                editor = gr.Code("", language="yaml", lines=22, max_lines=40, label="YAML", elem_id="trainer-editor")
                with gr.Row():
                    validate_btn = tx.bind(gr.Button(tx("validate")), value="validate")
                    replace = tx.bind(gr.Checkbox(False, label=tx("replace_existing")), label="replace_existing")
                    save_btn = tx.bind(gr.Button(tx("save"), variant="primary"), value="save")
                problems = gr.Markdown("", label="problems", elem_id="trainer-problems")
                with gr.Accordion(tx("preview"), open=False) as preview_box:
                    tx.bind(preview_box, label="preview")
                    preview_help = tx.bind(gr.Markdown(tx("preview_help")), value="preview_help")
                    del preview_help
                    partner = tx.bind(HandlerCheckedDropdown([], label=tx("preview_partner")), label="preview_partner")
                    preview_chat = tx.bind(
                        gr.Chatbot(
                            [], height=320, label=tx("preview"), placeholder=tx("preview_placeholder"), buttons=[]
                        ),
                        label="preview",
                        placeholder="preview_placeholder",
                    )
                    with gr.Row():
                        preview_text = tx.bind(gr.Textbox(label=tx("your_reply"), scale=4), label="your_reply")
                        preview_send = tx.bind(gr.Button(tx("send"), scale=1), value="send")
                        preview_reset = tx.bind(gr.Button(tx("restart"), scale=1), value="restart")
                    preview_status = gr.Markdown("", label="preview_status")

    # -- helpers -------------------------------------------------------------------------------

    def library_updates(lang: Language, kind_value: str | None) -> dict:
        snapshot = services.content.snapshot()
        library = snapshot.library
        personas = pd.DataFrame(trainer.persona_rows(library, lang), columns=PERSONA_COLUMNS)
        cases = pd.DataFrame(trainer.case_rows(library, lang), columns=CASE_COLUMNS)
        persona_choices = [
            (f"{p.label.get(lang)} ({p.id})", p.id) for p in sorted(library.personas.values(), key=lambda p: p.id)
        ]
        case_choices = [(f"{c.title} ({c.id})", c.id) for c in sorted(library.cases.values(), key=lambda c: c.id)]
        templates = persona_choices if kind_value != "case" else case_choices
        partners = case_choices if kind_value != "case" else persona_choices
        return {
            note: content_problems_note(library, snapshot.problems, lang),
            persona_table: personas.rename(columns=lambda c: t(f"col_{c}", lang)),
            case_table: cases.rename(columns=lambda c: t(f"col_{c}", lang)),
            persona_pick: gr.update(choices=persona_choices),
            case_pick: gr.update(choices=case_choices),
            template: gr.update(choices=templates),
            partner: gr.update(choices=partners),
        }

    library_outputs = [note, persona_table, case_table, persona_pick, case_pick, template, partner]

    # -- handlers ------------------------------------------------------------------------------

    def on_refresh(user: User, kind_value: str, lang: Language) -> dict:
        updates = library_updates(lang, kind_value)
        updates[kind] = gr.update(choices=_kind_choices(lang), value=kind_value or "persona")
        return updates

    def on_kind(user: User, kind_value: str, lang: Language) -> dict:
        updates = library_updates(lang, kind_value)
        updates.update(
            {
                template: gr.update(choices=updates[template]["choices"], value=None),
                partner: gr.update(choices=updates[partner]["choices"], value=None),
            }
        )
        return updates

    def on_persona_pick(user: User, pid: str | None, lang: Language) -> str:
        persona = services.content.snapshot().library.personas.get(pid or "")
        return persona_detail(persona, lang) if persona else ""

    def on_case_pick(user: User, cid: str | None, lang: Language) -> str:
        case = services.content.snapshot().library.cases.get(cid or "")
        return case_detail(case, lang) if case else ""

    def on_load_template(user: User, kind_value: str, item_id: str | None, lang: Language) -> dict:
        try:
            if not item_id:
                raise AppError("choose_template")
            name, text = trainer.source_text(services, kind_value, item_id)  # type: ignore[arg-type]
        except Exception as exc:
            return {problems: error_text(exc, lang)}
        return {editor: text, file_name: name, problems: t("template_loaded", lang, name=name), replace: False}

    def on_upload(user: User, path: str | None, lang: Language) -> dict:
        if not path:
            return {}
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return {problems: error_text(exc, lang)}
        return {editor: text, file_name: Path(path).name, problems: t("uploaded", lang, name=Path(path).name)}

    def on_validate(user: User, kind_value: str, text: str, name: str, lang: Language) -> str:
        try:
            checked = trainer.validate_yaml(services, kind_value, text, name)  # type: ignore[arg-type]
        except Exception as exc:
            return error_text(exc, lang)
        message = problems_markdown(checked.problems, text, lang)
        if checked.ok and checked.replaces is not None:
            message += "\n\n" + t("will_replace", lang, name=checked.file_name)
        return message

    def on_save(user: User, kind_value: str, text: str, name: str, replace_existing: bool, lang: Language) -> dict:
        try:
            checked = trainer.validate_yaml(services, kind_value, text, name)  # type: ignore[arg-type]
            if not checked.ok:
                return {problems: problems_markdown(checked.problems, text, lang)}
            result = trainer.save_yaml(services, user, kind_value, text, name, replace=bool(replace_existing))  # type: ignore[arg-type]
        except Exception as exc:
            return {problems: error_text(exc, lang)}
        message = "✅ " + t("saved", lang, path=str(result.path), id=result.item_id)
        if result.index_summary:
            message += "\n\n" + t("index_synced", lang, summary=result.index_summary)
        for warning in result.warnings:
            message += "\n\n⚠️ " + t("index_failed", lang, detail=warning)
        updates = library_updates(lang, kind_value)
        updates.update({problems: message, file_name: result.path.name, replace: False})
        return updates

    def play(
        user: User, kind_value: str, text: str, partner_id: str | None, messages: list[str], lang: Language
    ) -> dict:
        try:
            preview = trainer.preview_conversation(
                services,
                user,
                cast(trainer.Kind, kind_value),
                text,
                partner_id,
                messages,
            )
        except Exception as exc:
            return {preview_status: error_text(exc, lang)}
        state = f"{mood_text(preview.mood, lang)} ({mood_legend(lang)})" if preview.mood is not None else ""
        if preview.outcome:
            state += f" · {t('outcome.' + preview.outcome, lang)}"
        return {preview_chat: preview.messages, sent: messages, preview_status: state, preview_text: ""}

    def on_preview_send(
        user: User,
        kind_value: str,
        text: str,
        partner_id: str | None,
        messages: list[str],
        shown: list[Any] | None,
        line: str,
        lang: Language,
    ) -> dict:
        line = (line or "").strip()
        if not line:
            return {preview_status: error_text(AppError("message_empty"), lang)}
        # ``sent`` lives in this process: after the proxy moved the page to another replica it is
        # empty there, and the trainer's lines are the ones the preview on screen shows (the
        # preview is replayed from them anyway, so nothing else is needed to continue it)
        earlier = messages or trainer.agent_lines(shown)
        return play(user, kind_value, text, partner_id, [*earlier, line], lang)

    def on_preview_reset(user: User, kind_value: str, text: str, partner_id: str | None, lang: Language) -> dict:
        return play(user, kind_value, text, partner_id, [], lang)

    # -- wiring --------------------------------------------------------------------------------

    # Every event needs the trainer role (see guard.py).
    on = functools.partial(ctx.on, role="trainer")
    on(tab.select, on_refresh, [kind, lang_state], [*library_outputs, kind], api_visibility="private")
    on(kind.input, on_kind, [kind, lang_state], library_outputs, api_visibility="private")
    on(persona_pick.input, on_persona_pick, [persona_pick, lang_state], persona_md, api_visibility="private")
    on(case_pick.input, on_case_pick, [case_pick, lang_state], case_md, api_visibility="private")
    on(
        load_btn.click,
        on_load_template,
        [kind, template, lang_state],
        [editor, file_name, problems, replace],
        api_name="load_template",
    )
    on(upload.upload, on_upload, [upload, lang_state], [editor, file_name, problems], api_visibility="private")
    on(validate_btn.click, on_validate, [kind, editor, file_name, lang_state], problems, api_name="validate_yaml")
    on(
        save_btn.click,
        on_save,
        [kind, editor, file_name, replace, lang_state],
        [*library_outputs, problems, file_name, replace],
        api_name="save_yaml",
    )
    preview_outputs = [preview_chat, sent, preview_status, preview_text]
    on(
        preview_send.click,
        on_preview_send,
        [kind, editor, partner, sent, preview_chat, preview_text, lang_state],
        preview_outputs,
        api_name="preview_send",
    )
    on(
        preview_text.submit,
        on_preview_send,
        [kind, editor, partner, sent, preview_chat, preview_text, lang_state],
        preview_outputs,
        api_visibility="private",
    )
    on(
        preview_reset.click,
        on_preview_reset,
        [kind, editor, partner, lang_state],
        preview_outputs,
        api_name="preview_start",
    )
    on(partner.input, on_preview_reset, [kind, editor, partner, lang_state], preview_outputs, api_visibility="private")

    def on_load(user: User, lang: Language) -> dict:
        return on_refresh(user, "persona", lang)

    ctx.on_load("trainer", on_load, [*library_outputs, kind])
    ctx.on_language("trainer", on_refresh, [kind, lang_state], [*library_outputs, kind])
    return tab
