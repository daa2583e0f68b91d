"""The trainee's Progress tab: score trend, averages per criterion, and "My sessions".

"My sessions" lists the trainee's own sessions; one picked and shown opens its transcript (with the
comments meant for the trainee) and its scorecard, graded now if it never was. The picker's
choices are set by an event of the process that served it, so it is a ``ui_choices`` dropdown:
after a replica switch "Show" still works, and the handler checks the id is the trainee's own
(``trainee_history.own_session``), as it must since anyone signed in can send any value.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr
import pandas as pd

from simulator.accounts import User
from simulator.app import mentor, trainee_history
from simulator.app.ui_choices import HandlerCheckedDropdown
from simulator.app.ui_common import UIContext, empty_frame, error_text
from simulator.app.ui_rating import build_rating
from simulator.app.views import TRAINEE_COLUMNS, scorecard_markdown, session_frame, trend_svg, verdict_badge
from simulator.models import Language

#: A plot's axis titles cannot be changed once drawn (see on_progress), so the plots carry none:
#: each plot's label (re-sent on a language switch) says what its axes are, and the series names
#: in the legend are data, written in the user's language.
NO_AXIS_TITLE = " "


def build_progress_tab(ctx: UIContext) -> gr.Tab:
    """Build the Progress tab inside the current ``gr.Tabs`` and wire it (the trainee role)."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    with gr.Tab(tx("tab_progress"), id="progress") as progress_tab:
        tx.bind(progress_tab, label="tab_progress")
        refresh_btn = tx.bind(gr.Button(tx("refresh"), size="sm"), value="refresh")
        with gr.Row():
            trend = gr.HTML("", elem_id="trainee-trend")  # drawn in the UI language on tab select
            averages = gr.BarPlot(
                empty_frame(criterion="object", average="float"),
                x="criterion",
                y="average",
                y_lim=[0, 5],
                x_title=NO_AXIS_TITLE,
                y_title=NO_AXIS_TITLE,
                x_label_angle=-30,
                height=320,
                label=tx("criterion_averages"),
                elem_id="trainee-averages",
            )
        tx.bind(averages, label="criterion_averages")
        own_table = tx.bind(
            gr.Dataframe(
                session_frame([], TRAINEE_COLUMNS, "en"),
                label=tx("my_sessions"),
                interactive=False,
                wrap=True,
                # shares of the width, as in the mentor's table: no header broken mid-word
                column_widths=["14%", "19%", "24%", "10%", "15%", "8%", "10%"],
                elem_id="progress-sessions",
            ),
            label="my_sessions",
        )
        with gr.Row():
            own_pick = tx.bind(
                HandlerCheckedDropdown([], label=tx("open_session"), scale=3, elem_id="progress-pick"),
                label="open_session",
            )
            own_open = tx.bind(gr.Button(tx("show"), scale=1, elem_id="progress-show"), value="show")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                # the trainee's own session: transcript, the grader's notes and the
                # mentor's comments meant for them
                own_replay = tx.bind(
                    gr.Chatbot(
                        [],
                        label=tx("own_replay"),
                        placeholder=tx("own_replay_placeholder"),
                        height=420,
                        buttons=[],
                        feedback_options=None,
                        elem_id="trainee-own-replay",
                    ),
                    label="own_replay",
                    placeholder="own_replay_placeholder",
                )
            with gr.Column(scale=2):
                own_verdict = gr.HTML("", label="verdict", show_label=False)
                own_score = gr.Markdown("", label="scorecard", elem_id="progress-scorecard")
                build_rating(ctx, own_pick, "progress")

    def on_progress(user: User, lang: Language) -> dict:
        try:
            view = trainee_history.history(services, user, lang)
        except Exception as exc:
            return {own_score: error_text(exc, lang)}
        rows = session_frame(view.sessions, TRAINEE_COLUMNS, lang)
        choices = [(f"{s['started']} · {s['case']} · {s['result']}", s["id"]) for s in view.sessions]
        avg_df = pd.DataFrame(view.criterion_averages or [], columns=["criterion", "average", "sessions"])
        return {
            trend: trend_svg(view.trend, services.content.snapshot().library, lang),
            # A plot takes a bare DataFrame: Gradio 6 draws nothing for gr.update(value=frame, ...).
            averages: avg_df,
            own_table: rows,
            own_pick: gr.update(choices=choices, value=None),
        }

    def on_own_open(user: User, sid: str | None, lang: Language) -> dict:
        try:
            # the browser's value, unchecked by Gradio (see the module docstring): the trainee's own only
            row = trainee_history.own_session(services, user, sid)
            replay = mentor.load_replay(services, user, row.id, lang)
        except Exception as exc:
            return {own_replay: [], own_verdict: "", own_score: error_text(exc, lang)}
        updates: dict[Any, Any] = {own_replay: mentor.replay_messages(replay, None, lang)}
        try:
            # an ended or abandoned drill never scored is scored now, on demand
            view = trainee_history.score_now(services, user, row.id)
        except Exception as exc:
            updates.update({own_verdict: "", own_score: error_text(exc, lang)})
            return updates
        updates.update(
            {own_verdict: verdict_badge(view.effective.report, lang), own_score: scorecard_markdown(view, lang)}
        )
        return updates

    def on_relanguage(user: User, own_sid: str | None, lang: Language) -> dict:
        # What the handlers wrote is written again in the new language, the session shown kept open.
        updates = on_progress(user, lang)
        if own_sid and own_pick in updates:
            updates[own_pick]["value"] = own_sid
            updates.update(on_own_open(user, own_sid, lang))
        return updates

    on = functools.partial(ctx.on, role="trainee")
    progress_outputs = [trend, averages, own_table, own_pick, own_score]
    on(refresh_btn.click, on_progress, [lang_state], progress_outputs, api_name="my_progress")
    on(progress_tab.select, on_progress, [lang_state], progress_outputs, api_visibility="private")
    on(
        own_open.click,
        on_own_open,
        [own_pick, lang_state],
        [own_replay, own_verdict, own_score],
        api_name="my_scorecard",
    )
    ctx.on_language("trainee", on_relanguage, [own_pick, lang_state], [*progress_outputs, own_verdict, own_replay])
    return progress_tab
