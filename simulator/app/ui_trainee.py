"""The Trainee tab: scenario picker, chat with a patience meter, scorecard, progress."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr
import pandas as pd

from simulator.app import trainee
from simulator.app.i18n import AppError, label, t
from simulator.app.trainee import ScenarioFilters
from simulator.app.ui_common import UIContext, empty_frame, error_text
from simulator.app.views import (
    TRAINEE_COLUMNS,
    patience_meter,
    scenario_card,
    scorecard_markdown,
    session_frame,
    verdict_badge,
)
from simulator.models import LANGUAGES, CaseCategory, Language

CATEGORIES = [category.value for category in CaseCategory]
#: Plot axis titles in both languages (a plot cannot be re-labelled once drawn, see on_progress).
AXIS = {key: f"{t(key, 'zh-CN')} · {t(key, 'en')}" for key in ("attempt", "total", "criterion", "average")}
DIFFICULTIES = ["easy", "medium", "hard"]


#: Shortest gap between two mid-stream chat updates sent to the browser.
STREAM_INTERVAL_S = 0.05


def _choices(kind: str, values: Sequence[str], lang: Language) -> list[tuple[str, str]]:
    """(label, value) choices with an "any" first.

    Labels are plain text in ``lang`` (re-sent on a language switch): Gradio 6 submits the label
    of a choice whose label is an I18n marker instead of its value.
    """
    return [(t("any", lang), "any")] + [(label(kind, value, lang), value) for value in values]


def build_trainee_tab(ctx: UIContext) -> gr.Tab:
    """Build the Trainee tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    # Every component, States included, is created inside the tab: a stray child of gr.Tabs
    # shifts Gradio 6's tab labels onto the wrong tabs.
    with gr.Tab(tx("tab_trainee"), id="trainee", elem_id="tab-trainee") as tab:
        drill_sid = gr.State(None)
        tx.bind(tab, label="tab_trainee")
        with gr.Tabs():
            with gr.Tab(tx("tab_practice"), id="practice") as practice_tab:
                tx.bind(practice_tab, label="tab_practice")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=320, elem_classes="drill-panel"):
                        intro = tx.bind(gr.Markdown(tx("pick_scenario_md")), value="pick_scenario_md")
                        del intro
                        with gr.Row():
                            category = gr.Dropdown(
                                _choices("category", CATEGORIES, "en"),
                                value="any",
                                label=tx("category"),
                                min_width=120,
                            )
                            language = gr.Dropdown(
                                _choices("language", list(LANGUAGES), "en"),
                                value="any",
                                label=tx("language"),
                                min_width=110,
                            )
                            difficulty = gr.Dropdown(
                                _choices("difficulty", DIFFICULTIES, "en"),
                                value="any",
                                label=tx("difficulty"),
                                min_width=110,
                            )
                        # Their choices are re-labelled by on_filters, always with the value: choices sent
                        # without one make Gradio 6 blank the dropdown (and then submit its label).
                        tx.bind(category, label="category")
                        tx.bind(language, label="language")
                        tx.bind(difficulty, label="difficulty")
                        persona = tx.bind(
                            gr.Dropdown([], label=tx("persona"), elem_id="trainee-persona"),
                            label="persona",
                        )
                        case = tx.bind(
                            gr.Dropdown([], label=tx("scenario"), elem_id="trainee-case"),
                            label="scenario",
                        )
                        with gr.Row():
                            draw_btn = tx.bind(gr.Button(tx("draw_card"), variant="secondary"), value="draw_card")
                            start_btn = tx.bind(gr.Button(tx("start_drill"), variant="primary"), value="start_drill")
                        card = gr.Markdown(
                            tx("card_empty"), label="scenario_card", elem_classes="drill-card", elem_id="trainee-card"
                        )
                    with gr.Column(scale=3, min_width=360, elem_classes="drill-panel"):
                        meter = gr.HTML(
                            patience_meter(None, "en"),
                            label="patience_meter",
                            show_label=False,
                            elem_id="trainee-meter",
                        )
                        chat = tx.bind(
                            gr.Chatbot(
                                [],
                                label=tx("conversation"),
                                placeholder=tx("chat_placeholder"),
                                height=440,
                                elem_id="trainee-chat",
                            ),
                            label="conversation",
                            placeholder="chat_placeholder",
                        )
                        message = gr.Textbox(
                            lines=2,
                            max_lines=8,
                            label=tx("your_reply"),
                            placeholder=tx("reply_placeholder"),
                            info=tx("reply_info"),
                            elem_id="trainee-message",
                        )
                        tx.bind(
                            message,
                            label="your_reply",
                            placeholder="reply_placeholder",
                            info="reply_info",
                        )
                        with gr.Row():
                            send_btn = tx.bind(gr.Button(tx("send"), variant="primary", scale=2), value="send")
                            retry_btn = tx.bind(
                                gr.Button(tx("retry"), visible=False, variant="secondary"), value="retry"
                            )
                            end_btn = tx.bind(
                                gr.Button(tx("end_drill"), variant="stop", elem_id="trainee-end"), value="end_drill"
                            )
                        status = gr.Markdown("", label="status", elem_id="trainee-status")
                with gr.Column(visible=False, elem_classes="drill-panel", elem_id="trainee-scorecard") as score_col:
                    verdict = gr.HTML("", label="verdict", show_label=False)
                    score_md = gr.Markdown("", label="scorecard")
                    again_btn = tx.bind(gr.Button(tx("try_again"), variant="primary"), value="try_again")

            with gr.Tab(tx("tab_progress"), id="progress") as progress_tab:
                tx.bind(progress_tab, label="tab_progress")
                refresh_btn = tx.bind(gr.Button(tx("refresh"), size="sm"), value="refresh")
                with gr.Row():
                    trend = gr.LinePlot(
                        empty_frame(attempt="int", total="float"),
                        x="attempt",
                        y="total",
                        y_lim=[0, 100],
                        x_axis_format="d",
                        x_title=AXIS["attempt"],
                        y_title=AXIS["total"],
                        label=tx("score_trend"),
                    )
                    averages = gr.BarPlot(
                        empty_frame(criterion="object", average="float"),
                        x="criterion",
                        y="average",
                        y_lim=[0, 5],
                        x_title=AXIS["criterion"],
                        y_title=AXIS["average"],
                        label=tx("criterion_averages"),
                    )
                tx.bind(trend, label="score_trend")
                tx.bind(averages, label="criterion_averages")
                own_table = tx.bind(
                    gr.Dataframe(
                        session_frame([], TRAINEE_COLUMNS, "en"), label=tx("my_sessions"), interactive=False, wrap=True
                    ),
                    label="my_sessions",
                )
                with gr.Row():
                    own_pick = tx.bind(
                        gr.Dropdown([], label=tx("open_session"), scale=3),
                        label="open_session",
                    )
                    own_open = tx.bind(gr.Button(tx("show"), scale=1), value="show")
                own_verdict = gr.HTML("", label="verdict", show_label=False)
                own_score = gr.Markdown("", label="scorecard")

    filters = [category, language, difficulty]
    chat_outputs = [drill_sid, chat, meter, status, retry_btn, message, send_btn, score_col, verdict, score_md, card]

    # -- helpers -------------------------------------------------------------------------------

    def filters_of(cat: str, language_: str, diff: str) -> ScenarioFilters:
        return ScenarioFilters(category=cat, language=language_, difficulty=diff)

    def card_for(persona_id: str | None, case_id: str | None, lang: Language) -> str:
        library = services.content.snapshot().library
        return scenario_card(library.personas.get(persona_id or ""), library.cases.get(case_id or ""), lang)

    def lists(cat: str, language_: str, diff: str, persona_id: str | None, case_id: str | None, lang: Language) -> dict:
        library = services.content.snapshot().library
        personas = trainee.persona_options(library, language_, lang)
        persona_ids = [value for _, value in personas]
        persona_id = persona_id if persona_id in persona_ids else None
        cases = trainee.case_options(library, filters_of(cat, language_, diff), persona_id, lang)
        case_id = case_id if case_id in [value for _, value in cases] else None
        return {
            persona: gr.update(choices=personas, value=persona_id),
            case: gr.update(choices=cases, value=case_id),
            card: card_for(persona_id, case_id, lang),
        }

    def drill_updates(view: trainee.DrillView, lang: Language) -> dict:
        return {
            drill_sid: view.session_id,
            chat: view.messages,
            meter: patience_meter(view.mood, lang, outcome=view.outcome),
            retry_btn: gr.update(visible=view.pending and view.open),
            message: gr.update(interactive=view.open and not view.ended),
            send_btn: gr.update(interactive=view.open and not view.ended),
        }

    def scorecard_updates(view: trainee.ScorecardView, lang: Language) -> dict:
        return {
            score_col: gr.update(visible=True),
            verdict: verdict_badge(view.effective.report, lang),
            score_md: scorecard_markdown(view, lang),
            message: gr.update(interactive=False),
            send_btn: gr.update(interactive=False),
            retry_btn: gr.update(visible=False),
        }

    def started(view: trainee.DrillView, lang: Language) -> dict:
        updates = drill_updates(view, lang)
        updates.update(
            {
                status: t("drill_started", lang),
                score_col: gr.update(visible=False),
                card: card_for(view.persona_id, view.case_id, lang),
                message: gr.update(value="", interactive=True),
            }
        )
        return updates

    # -- handlers ------------------------------------------------------------------------------

    def on_filters(
        cat: str, language_: str, diff: str, persona_id: str | None, case_id: str | None, lang: Language
    ) -> dict:
        updates = lists(cat, language_, diff, persona_id, case_id, lang)
        for component, kind, values, current in (
            (category, "category", CATEGORIES, cat),
            (language, "language", list(LANGUAGES), language_),
            (difficulty, "difficulty", DIFFICULTIES, diff),
        ):
            # Choices are always sent with the value: without it Gradio 6 blanks the dropdown.
            updates[component] = gr.update(choices=_choices(kind, values, lang), value=current or "any")
        return updates

    def on_draw(cat: str, language_: str, diff: str, lang: Language) -> dict:
        library = services.content.snapshot().library
        try:
            persona_id, case_id = trainee.draw_card(library, filters_of(cat, language_, diff))
        except AppError as exc:
            return {status: error_text(exc, lang)}
        updates = lists(cat, language_, diff, persona_id, case_id, lang)
        updates[status] = t("card_drawn", lang)
        return updates

    def on_start(persona_id: str | None, case_id: str | None, lang: Language, request: gr.Request) -> dict:
        try:
            view = trainee.start_session(services, ctx.user(request), persona_id, case_id)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return started(view, lang)

    def stream_updates(
        views: Iterator[trainee.DrillView], sid: str, lang: Language, request: gr.Request
    ) -> Iterator[dict]:
        user = ctx.user(request)
        last = None
        sent_at = 0.0
        try:
            for index, view in enumerate(views):
                last = view
                if index == 0:
                    updates = drill_updates(view, lang)
                    updates[message] = gr.update(value="")
                    updates[status] = t("customer_typing", lang)
                    yield updates
                    sent_at = time.monotonic()
                    continue
                # Mid-stream only the chat changes, and at most every STREAM_INTERVAL_S: Gradio
                # re-sends and diffs the whole conversation on every yield, which cost the server
                # ~14 ms of CPU per model chunk. The first characters still go out at once.
                now = time.monotonic()
                if now - sent_at >= STREAM_INTERVAL_S:
                    yield {chat: view.messages}
                    sent_at = now
        except AppError as exc:
            if exc.key != "customer_unavailable":
                yield {status: error_text(exc, lang)}
                return
            stored = trainee.current_view(services, user, sid)
            updates = drill_updates(stored, lang)
            updates.update({status: error_text(exc, lang), retry_btn: gr.update(visible=True)})
            yield updates
            return
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return
        if last is None:
            return
        final = drill_updates(last, lang)  # the complete state last, so the final output says it all
        if not last.ended:
            final[status] = ""
            yield final
            return
        ended = t("customer_ended", lang, outcome=label("outcome", last.outcome, lang))
        final[status] = f"{ended} {t('grading', lang)}"
        yield final
        try:
            card = trainee.end_session(services, user, sid)
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return
        updates = {**drill_updates(last, lang), **scorecard_updates(card, lang)}
        updates[status] = t("customer_ended", lang, outcome=label("outcome", last.outcome, lang))
        yield updates

    def on_send(sid: str | None, text: str, lang: Language, request: gr.Request) -> Iterator[dict]:
        try:
            user = ctx.user(request)
            trainee.check_message(text)
            views = trainee.send_message(services, user, sid, text)
            # Refusals surface on the first step, before anything is stored or cleared.
            first = next(views)
        except StopIteration:
            return
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return

        def chained() -> Iterator[trainee.DrillView]:
            yield first
            yield from views

        yield from stream_updates(chained(), sid or "", lang, request)

    def on_retry(sid: str | None, lang: Language, request: gr.Request) -> Iterator[dict]:
        try:
            user = ctx.user(request)
            views = trainee.retry_reply(services, user, sid)
            first = next(views)
        except StopIteration:
            return
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return

        def chained() -> Iterator[trainee.DrillView]:
            yield first
            yield from views

        yield from stream_updates(chained(), sid or "", lang, request)

    def on_end(sid: str | None, lang: Language, request: gr.Request) -> dict:
        try:
            view = trainee.end_session(services, ctx.user(request), sid)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        updates = scorecard_updates(view, lang)
        updates[status] = t("drill_ended", lang)
        return updates

    def on_again(sid: str | None, lang: Language, request: gr.Request) -> dict:
        try:
            view = trainee.try_again(services, ctx.user(request), sid)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return started(view, lang)

    def on_progress(lang: Language, request: gr.Request) -> dict:
        try:
            view = trainee.history(services, ctx.user(request), lang)
        except Exception as exc:
            return {own_score: error_text(exc, lang)}
        rows = session_frame(view.sessions, TRAINEE_COLUMNS, lang)
        choices = [(f"{s['started']} · {s['case']} · {s['result']}", s["id"]) for s in view.sessions]
        trend_df = pd.DataFrame(view.trend or [], columns=["attempt", "total", "started", "case"])
        avg_df = pd.DataFrame(view.criterion_averages or [], columns=["criterion", "average", "sessions"])
        return {
            # Plots take a bare DataFrame: Gradio 6 draws nothing for gr.update(value=frame, ...).
            trend: trend_df,
            averages: avg_df,
            own_table: rows,
            own_pick: gr.update(choices=choices, value=None),
        }

    def on_own_open(sid: str | None, lang: Language, request: gr.Request) -> dict:
        try:
            view = trainee.scorecard(services, ctx.user(request), sid or "")
        except Exception as exc:
            return {own_verdict: "", own_score: error_text(exc, lang)}
        return {own_verdict: verdict_badge(view.effective.report, lang), own_score: scorecard_markdown(view, lang)}

    # -- wiring --------------------------------------------------------------------------------

    list_outputs = [persona, case, card]
    filter_outputs = [*list_outputs, category, language, difficulty]
    list_inputs = [*filters, persona, case, lang_state]
    for index, dropdown in enumerate(filters):
        # .input, not .change: only a person's choice refreshes the lists (updates sent by the
        # app itself would otherwise trigger a cascade of refreshes). The first is also the API
        # for "which personas and scenarios can I pick now".
        dropdown.input(
            on_filters,
            list_inputs,
            filter_outputs,
            show_progress="hidden",
            api_name="scenario_lists" if index == 0 else None,
            api_visibility="public" if index == 0 else "private",
        )
    persona.input(on_filters, list_inputs, filter_outputs, show_progress="hidden", api_visibility="private")
    case.input(
        lambda p, c, lang: card_for(p, c, lang),
        [persona, case, lang_state],
        card,
        show_progress="hidden",
        api_visibility="private",
    )
    draw_btn.click(on_draw, [*filters, lang_state], [*list_outputs, status], api_name="draw_card")
    start_btn.click(on_start, [persona, case, lang_state], chat_outputs, api_name="start_drill")
    send_btn.click(on_send, [drill_sid, message, lang_state], chat_outputs, api_name="send_message")
    message.submit(on_send, [drill_sid, message, lang_state], chat_outputs, api_visibility="private")
    retry_btn.click(on_retry, [drill_sid, lang_state], chat_outputs, api_name="retry_reply")
    end_btn.click(on_end, [drill_sid, lang_state], chat_outputs, api_name="end_drill")
    again_btn.click(on_again, [drill_sid, lang_state], chat_outputs, api_name="try_again")
    progress_outputs = [trend, averages, own_table, own_pick, own_score]
    refresh_btn.click(on_progress, [lang_state], progress_outputs, api_name="my_progress")
    progress_tab.select(on_progress, [lang_state], progress_outputs, api_visibility="private")
    own_open.click(on_own_open, [own_pick, lang_state], [own_verdict, own_score], api_name="my_scorecard")

    # -- page load and language switch ---------------------------------------------------------

    def on_load(user: Any, lang: Language) -> dict:
        updates = on_filters("any", "any", "any", None, None, lang)
        updates[meter] = patience_meter(None, lang)
        view = trainee.resume_open_session(services, user) if user is not None else None
        if view is not None:
            updates.update(lists("any", "any", "any", view.persona_id, view.case_id, lang))
            updates.update(drill_updates(view, lang))
            updates[status] = t("drill_resumed", lang) + (" " + t("reply_pending", lang) if view.pending else "")
        return updates

    ctx.loaders.append((on_load, [*filter_outputs, meter, *chat_outputs]))
    ctx.relang.append((on_filters, list_inputs, filter_outputs))
    tab.select(on_filters, list_inputs, filter_outputs, api_visibility="private", show_progress="hidden")
    return tab
