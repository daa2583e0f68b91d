"""The Trainee tab: scenario picker, chat with a patience meter, scorecard, progress."""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gradio as gr
import pandas as pd

from simulator.accounts import User
from simulator.app import mentor, trainee
from simulator.app.i18n import AppError, label, t
from simulator.app.stream_pacing import StreamPacer
from simulator.app.trainee import ScenarioFilters
from simulator.app.ui_common import UIContext, empty_frame, error_text
from simulator.app.ui_rating import build_rating
from simulator.app.views import (
    TRAINEE_COLUMNS,
    patience_meter,
    scenario_card,
    scorecard_markdown,
    session_frame,
    trend_svg,
    verdict_badge,
)
from simulator.models import LANGUAGES, CaseCategory, Industry, Language

CATEGORIES = [category.value for category in CaseCategory]
#: A plot's axis titles cannot be changed once drawn (see on_progress), so the plots carry none:
#: each plot's label (re-sent on a language switch) says what its axes are, and the series names
#: in the legend are data, written in the user's language.
NO_AXIS_TITLE = " "
DIFFICULTIES = ["easy", "medium", "hard"]
#: Browser-side step run after a reply or the end of a drill: once the scorecard is shown (the
#: trainee or the customer ended the drill), scroll it into view. It is shown by the phase's own
#: round trip, after this event: so look for it a few times over some seconds.
SCROLL_TO_SCORECARD = """() => {
  let tries = 0;
  const look = () => {
    const card = document.querySelector('#trainee-scorecard');
    if (card && card.offsetParent !== null) {
      card.scrollIntoView({behavior: 'smooth', block: 'start'});
    } else if (++tries < 60) {
      setTimeout(look, 250);
    }
  };
  setTimeout(look, 250);
}"""
INDUSTRIES = [industry.value for industry in Industry]


def _choices(kind: str, values: Sequence[str], lang: Language) -> list[tuple[str, str]]:
    """(label, value) choices with an "any" first.

    Labels are plain text in ``lang`` (re-sent on a language switch): Gradio 6 submits the label
    of a choice whose label is an I18n marker instead of its value.
    """
    return [(t("any", lang), "any")] + [(label(kind, value, lang), value) for value in values]


def build_trainee_tab(ctx: UIContext) -> gr.Tab:
    """Build the Trainee tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    pacer = StreamPacer()
    # Every component, States included, is created inside the tab: a stray child of gr.Tabs
    # shifts Gradio 6's tab labels onto the wrong tabs.
    with gr.Tab(tx("tab_trainee"), id="trainee", elem_id="tab-trainee") as tab:
        drill_sid = gr.State(None)
        # {"session", "stage"} of the drill on screen; its changes drive the buttons and panels.
        phase = gr.State(None)
        # Changes whenever a trainee message is accepted; clears the textbox (in the browser).
        accepted = gr.State(None)
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
                                elem_id="trainee-filter-category",
                            )
                            industry = gr.Dropdown(
                                _choices("industry", INDUSTRIES, "en"),
                                value="any",
                                label=tx("industry"),
                                min_width=120,
                                elem_id="trainee-filter-industry",
                            )
                            language = gr.Dropdown(
                                _choices("language", list(LANGUAGES), "en"),
                                value="any",
                                label=tx("language"),
                                min_width=110,
                                elem_id="trainee-filter-language",
                            )
                            difficulty = gr.Dropdown(
                                _choices("difficulty", DIFFICULTIES, "en"),
                                value="any",
                                label=tx("difficulty"),
                                min_width=110,
                                elem_id="trainee-filter-difficulty",
                            )
                        # Their choices are re-labelled by on_filters, always with the value: choices sent
                        # without one make Gradio 6 blank the dropdown (and then submit its label).
                        tx.bind(category, label="category")
                        tx.bind(industry, label="industry")
                        tx.bind(language, label="language")
                        tx.bind(difficulty, label="difficulty")
                        persona = tx.bind(
                            # Their choices follow the filters: a value the browser still holds from
                            # before an update must reach the handler (which drops it), not raise
                            # Gradio's raw "not in the list of choices" error.
                            gr.Dropdown([], label=tx("persona"), elem_id="trainee-persona", allow_custom_value=True),
                            label="persona",
                        )
                        case = tx.bind(
                            gr.Dropdown([], label=tx("scenario"), elem_id="trainee-case", allow_custom_value=True),
                            label="scenario",
                        )
                        show_all = tx.bind(
                            gr.Checkbox(False, label=tx("show_all_pairs"), info=tx("show_all_pairs_info")),
                            label="show_all_pairs",
                            info="show_all_pairs_info",
                        )
                        with gr.Row():
                            draw_btn = tx.bind(gr.Button(tx("draw_card"), variant="secondary"), value="draw_card")
                            start_btn = tx.bind(gr.Button(tx("start_drill"), variant="primary"), value="start_drill")
                        # Empty until the page load writes it in the user's language: Gradio draws a
                        # Markdown marker in English until the load ends (17 s on a loaded machine).
                        card = gr.Markdown("", label="scenario_card", elem_classes="drill-card", elem_id="trainee-card")
                    with gr.Column(scale=3, min_width=360, elem_classes="drill-panel"):
                        meter = gr.HTML(
                            "",  # written by the page load in the user's language
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
                                # no floating label or toolbar over the first message (and no share)
                                show_label=False,
                                buttons=[],
                                elem_id="trainee-chat",
                            ),
                            label="conversation",
                            placeholder="chat_placeholder",
                        )
                        # lines=1 grows up to max_lines: Enter sends, Shift+Enter adds a line, as the
                        # hint says (a textbox that starts at 2+ lines sends on Shift+Enter instead).
                        message = gr.Textbox(
                            lines=1,
                            max_lines=8,
                            interactive=False,  # until a drill starts (see on_phase)
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
                            send_btn = tx.bind(
                                gr.Button(
                                    tx("send"), variant="primary", scale=2, interactive=False, elem_id="trainee-send"
                                ),
                                value="send",
                            )
                            retry_btn = tx.bind(
                                gr.Button(tx("retry"), visible=False, variant="secondary"), value="retry"
                            )
                            stop_btn = tx.bind(
                                gr.Button(tx("stop_reply"), visible=False, variant="secondary"), value="stop_reply"
                            )
                            end_btn = tx.bind(
                                gr.Button(tx("end_drill"), variant="stop", elem_id="trainee-end", interactive=False),
                                value="end_drill",
                            )
                        status = gr.Markdown("", label="status", elem_id="trainee-status")
                with gr.Column(visible=False, elem_classes="drill-panel", elem_id="trainee-scorecard") as score_col:
                    verdict = gr.HTML("", label="verdict", show_label=False)
                    score_md = gr.Markdown("", label="scorecard")
                    again_btn = tx.bind(gr.Button(tx("try_again"), variant="primary"), value="try_again")
                    build_rating(ctx, drill_sid, "practice")

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
                        gr.Dropdown([], label=tx("open_session"), scale=3, elem_id="progress-pick"),
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

    filters = [category, industry, language, difficulty]
    # drill_sid is an output of every turn: on another replica (see open_drill) it is set again
    turn_outputs = [drill_sid, chat, meter, status, verdict, score_md, phase, accepted]
    start_outputs = [drill_sid, chat, meter, status, verdict, score_md, card, message, phase]
    end_outputs = [drill_sid, status, verdict, score_md, phase]
    phase_outputs = [retry_btn, stop_btn, message, send_btn, end_btn, score_col]

    # -- helpers -------------------------------------------------------------------------------

    def filters_of(cat: str, ind: str, language_: str, diff: str, everything: bool) -> ScenarioFilters:
        return ScenarioFilters(
            category=cat, industry=ind, language=language_, difficulty=diff, show_all=bool(everything)
        )

    def card_for(persona_id: str | None, case_id: str | None, lang: Language) -> str:
        library = services.content.snapshot().library
        persona_ = library.personas.get(persona_id or "")
        case_ = library.cases.get(case_id or "")
        return scenario_card(
            persona_.trainee_view() if persona_ else None, case_.trainee_view() if case_ else None, lang
        )

    def lists(
        cat: str,
        ind: str,
        language_: str,
        diff: str,
        persona_id: str | None,
        case_id: str | None,
        everything: bool,
        lang: Language,
    ) -> dict:
        library = services.content.snapshot().library
        personas = trainee.persona_options(library, language_, lang)
        persona_ids = [value for _, value in personas]
        persona_id = persona_id if persona_id in persona_ids else None
        cases = trainee.case_options(library, filters_of(cat, ind, language_, diff, everything), persona_id, lang)
        case_id = case_id if case_id in [value for _, value in cases] else None
        return {
            persona: gr.update(choices=personas, value=persona_id),
            case: gr.update(choices=cases, value=case_id),
            card: card_for(persona_id, case_id, lang),
        }

    def phase_of(view: trainee.DrillView | trainee.ScorecardView) -> dict[str, str]:
        if isinstance(view, trainee.ScorecardView):
            stage = "graded"
        else:
            stage = "replying" if view.streaming else trainee.drill_stage(view)
        return {"session": view.session_id, "stage": stage}

    def turn_values(view: trainee.DrillView, lang: Language, note: str, extra: dict | None = None) -> dict:
        # Every output of a per-turn event gets a plain value: Gradio rebuilds a component for
        # each skipped or gr.update()-d output (about 1 ms of CPU apiece), on every yield.
        values = {
            drill_sid: view.session_id,
            chat: view.messages,
            meter: patience_meter(view.mood, lang, outcome=view.outcome),
            status: note,
            verdict: "",
            score_md: "",
        }
        values.update(extra or {})
        return values

    def started(view: trainee.DrillView, lang: Language, note: str) -> dict:
        values = turn_values(view, lang, note)
        values.update(
            {
                drill_sid: view.session_id,
                card: card_for(view.persona_id, view.case_id, lang),
                message: "",
                phase: phase_of(view),
            }
        )
        return values

    def scorecard_values(view: trainee.ScorecardView, lang: Language) -> dict:
        return {verdict: verdict_badge(view.effective.report, lang), score_md: scorecard_markdown(view, lang)}

    # -- handlers ------------------------------------------------------------------------------

    def on_filters(
        user: User,
        cat: str,
        ind: str,
        language_: str,
        diff: str,
        persona_id: str | None,
        case_id: str | None,
        everything: bool,
        lang: Language,
    ) -> dict:
        updates = lists(cat, ind, language_, diff, persona_id, case_id, everything, lang)
        for component, kind, values, current in (
            (category, "category", CATEGORIES, cat),
            (industry, "industry", INDUSTRIES, ind),
            (language, "language", list(LANGUAGES), language_),
            (difficulty, "difficulty", DIFFICULTIES, diff),
        ):
            # Choices are always sent with the value: without it Gradio 6 blanks the dropdown.
            updates[component] = gr.update(choices=_choices(kind, values, lang), value=current or "any")
        return updates

    def on_case_pick(user: User, persona_id: str | None, case_id: str | None, lang: Language) -> str:
        return card_for(persona_id, case_id, lang)

    def on_draw(user: User, cat: str, ind: str, language_: str, diff: str, everything: bool, lang: Language) -> dict:
        library = services.content.snapshot().library
        try:
            persona_id, case_id = trainee.draw_card(library, filters_of(cat, ind, language_, diff, everything))
        except AppError as exc:
            return {status: error_text(exc, lang)}
        updates = lists(cat, ind, language_, diff, persona_id, case_id, everything, lang)
        updates[status] = t("card_drawn", lang)
        return updates

    def on_start(user: User, persona_id: str | None, case_id: str | None, lang: Language) -> dict:
        try:
            view = trainee.start_session(services, user, persona_id, case_id)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return started(view, lang, t("drill_started", lang))

    def stream_turn(
        views: Iterator[trainee.DrillView], sid: str, lang: Language, user: User, *, accepted_message: bool
    ) -> Iterator[dict]:
        """The per-turn outputs while the customer's reply streams, then grading if the customer ended."""
        last = None
        sent_at = 0.0
        try:
            with pacer.streaming():
                for index, view in enumerate(views):
                    last = view
                    if index == 0:
                        first = turn_values(view, lang, t("customer_typing", lang), {phase: phase_of(view)})
                        if accepted_message:  # a new value clears the textbox in the browser (see wiring)
                            first[accepted] = f"{view.session_id}:{len(view.messages)}"
                        yield first
                        sent_at = time.monotonic()
                        continue
                    # The first characters go out at once; after that, as often as the pacer allows.
                    now = time.monotonic()
                    if index == 1 or now - sent_at >= pacer.interval_s():
                        yield turn_values(view, lang, t("customer_typing", lang))
                        sent_at = now
        except AppError as exc:
            if exc.key not in ("customer_unavailable", "reply_stopped"):
                yield {status: error_text(exc, lang)}
                return
            # The partial reply is not a turn: show the drill as stored, with Retry offered.
            stored = trainee.current_view(services, user, sid)
            yield turn_values(stored, lang, error_text(exc, lang), {phase: phase_of(stored)})
            return
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return
        if last is None:
            return
        if not last.ended:
            yield turn_values(last, lang, "", {phase: phase_of(last)})
            return
        ended = t("customer_ended", lang, outcome=label("outcome", last.outcome, lang))
        yield turn_values(last, lang, f"{ended} {t('grading', lang)}", {phase: phase_of(last)})
        try:
            card = trainee.end_session(services, user, sid)
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return
        # the status says where the scorecard is; the page scrolls to it (see the phase step below)
        note = f"{ended} {t('scorecard_below', lang)}"
        yield turn_values(last, lang, note, {**scorecard_values(card, lang), phase: phase_of(card)})

    def relay(
        start: Callable[[User], Iterator[trainee.DrillView]],
        sid: str | None,
        lang: Language,
        user: User,
        *,
        accepted_message: bool,
    ) -> Iterator[dict]:
        try:
            views = start(user)
            # Refusals surface on the first step, before anything is stored or cleared.
            first = next(views)
        except StopIteration:
            return
        except Exception as exc:
            yield {status: error_text(exc, lang)}
            return
        chained = itertools.chain([first], views)
        yield from stream_turn(chained, sid or "", lang, user, accepted_message=accepted_message)

    def open_drill(user: User, sid: str | None) -> str | None:
        # A gr.State lives in one server process. When the replica that served this tab went down
        # and the proxy sent the tab to another, the drill id is empty there: the trainee's open
        # drill is the one in the store (a trainee has one open practice drill at a time).
        if sid:
            return sid
        row = trainee.open_practice_drill(services, user)
        return row.id if row is not None else None

    def on_send(user: User, sid: str | None, text: str, lang: Language) -> Iterator[dict]:
        sid = open_drill(user, sid)

        def start(caller: User) -> Iterator[trainee.DrillView]:
            return trainee.send_message(services, caller, sid, text)

        yield from relay(start, sid, lang, user, accepted_message=True)

    def on_retry(user: User, sid: str | None, lang: Language) -> Iterator[dict]:
        sid = open_drill(user, sid)

        def start(caller: User) -> Iterator[trainee.DrillView]:
            return trainee.retry_reply(services, caller, sid)

        yield from relay(start, sid, lang, user, accepted_message=False)

    def on_stop(user: User, sid: str | None, lang: Language) -> dict:
        # The streaming event is cancelled by Gradio (cancels=...); this drops the partial reply
        # and shows the drill as stored, the trainee's message waiting for Retry.
        sid = open_drill(user, sid)
        try:
            view = trainee.stop_reply(services, user, sid)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return turn_values(view, lang, t("reply_stopped", lang), {phase: phase_of(view)})

    def on_end(user: User, sid: str | None, lang: Language) -> dict:
        sid = open_drill(user, sid)
        try:
            view = trainee.end_session(services, user, sid)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return {
            drill_sid: view.session_id,
            status: t("drill_ended", lang),
            **scorecard_values(view, lang),
            phase: phase_of(view),
        }

    def on_again(user: User, sid: str | None, lang: Language) -> dict:
        try:
            view = trainee.try_again(services, user, sid)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return started(view, lang, t("drill_started", lang))

    def on_phase(user: User, current: dict[str, str] | None) -> dict:
        # Buttons and the scorecard panel only change between stages (start, a failed reply, the
        # end), so their gr.update()s are sent here, not with every streamed chunk.
        stage = (current or {}).get("stage", "idle")
        can_write = stage in trainee.WRITABLE_STAGES
        return {
            retry_btn: gr.update(visible=stage == "pending"),
            stop_btn: gr.update(visible=stage == "replying"),
            # While the customer replies the trainee may type ahead, but not send.
            message: gr.update(interactive=can_write or stage == "replying"),
            send_btn: gr.update(interactive=can_write),
            end_btn: gr.update(interactive=stage in trainee.ENDABLE_STAGES),
            score_col: gr.update(visible=stage == "graded"),
        }

    def on_progress(user: User, lang: Language) -> dict:
        try:
            view = trainee.history(services, user, lang)
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
            replay = mentor.load_replay(services, user, sid, lang)
        except Exception as exc:
            return {own_replay: [], own_verdict: "", own_score: error_text(exc, lang)}
        updates: dict[Any, Any] = {own_replay: mentor.replay_messages(replay, None, lang)}
        try:
            # an ended or abandoned drill never scored is scored now, on demand
            view = trainee.score_now(services, user, sid)
        except Exception as exc:
            updates.update({own_verdict: "", own_score: error_text(exc, lang)})
            return updates
        updates.update(
            {own_verdict: verdict_badge(view.effective.report, lang), own_score: scorecard_markdown(view, lang)}
        )
        return updates

    # -- wiring --------------------------------------------------------------------------------

    list_outputs = [persona, case, card]
    filter_outputs = [*list_outputs, category, industry, language, difficulty]
    list_inputs = [*filters, persona, case, show_all, lang_state]
    # Every event needs the trainee role (see guard.py); ownership is checked by the handlers.
    on = functools.partial(ctx.on, role="trainee")
    for index, dropdown in enumerate([*filters, show_all]):
        # .input, not .change: only a person's choice refreshes the lists (updates sent by the
        # app itself would otherwise trigger a cascade of refreshes). The first is also the API
        # for "which personas and scenarios can I pick now".
        on(
            dropdown.input,
            on_filters,
            list_inputs,
            filter_outputs,
            show_progress="hidden",
            api_name="scenario_lists" if index == 0 else None,
            api_visibility="public" if index == 0 else "private",
        )
    on(persona.input, on_filters, list_inputs, filter_outputs, show_progress="hidden", api_visibility="private")
    on(
        case.input,
        on_case_pick,
        [persona, case, lang_state],
        card,
        show_progress="hidden",
        api_visibility="private",
    )
    on(draw_btn.click, on_draw, [*filters, show_all, lang_state], [*list_outputs, status], api_name="draw_card")
    on(start_btn.click, on_start, [persona, case, lang_state], start_outputs, api_name="start_drill")
    replies = [
        on(send_btn.click, on_send, [drill_sid, message, lang_state], turn_outputs, api_name="send_message"),
        on(message.submit, on_send, [drill_sid, message, lang_state], turn_outputs, api_visibility="private"),
        on(retry_btn.click, on_retry, [drill_sid, lang_state], turn_outputs, api_name="retry_reply"),
    ]
    on(stop_btn.click, on_stop, [drill_sid, lang_state], turn_outputs, cancels=replies, api_name="stop_reply")
    ended = on(end_btn.click, on_end, [drill_sid, lang_state], end_outputs, api_name="end_drill")
    on(again_btn.click, on_again, [drill_sid, lang_state], start_outputs, api_name="try_again")
    on(phase.change, on_phase, [phase], phase_outputs, api_visibility="private", show_progress="hidden")
    # In the browser only: once the drill is scored, bring the scorecard into view (it opens below
    # the chat, often below the fold), after Gradio has drawn it. Chained to the events that can end
    # a drill: a gr.State's change never reaches the browser, so it cannot carry this step.
    for finished in (*replies, ended):
        on(finished.then, None, None, None, js=SCROLL_TO_SCORECARD, api_visibility="private", show_progress="hidden")
    # In the browser only: clearing the textbox needs no round trip to the server.
    on(accepted.change, None, None, message, js="() => ''", api_visibility="private", show_progress="hidden")
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

    # -- page load and language switch ---------------------------------------------------------

    def on_load(user: User, lang: Language) -> dict:
        updates = on_filters(user, "any", "any", "any", "any", None, None, False, lang)
        updates[meter] = patience_meter(None, lang)
        view = trainee.resume_open_session(services, user)
        if view is not None:
            # A resumed drill may be a pair the trainee chose with "show all": list it anyway.
            updates.update(lists("any", "any", "any", "any", view.persona_id, view.case_id, True, lang))
            note = t("drill_resumed", lang) + (" " + t("reply_pending", lang) if view.pending else "")
            updates.update(started(view, lang, note))
        return updates

    def on_relanguage(
        user: User, sid: str | None, current: dict[str, str] | None, own_sid: str | None, lang: Language
    ) -> dict:
        # Everything on screen that handlers wrote (not the static labels) is written again in the
        # new language: the meter, the card, the scorecard, the progress view.
        updates: dict[Any, Any] = {status: "", meter: patience_meter(None, lang)}
        stage = (current or {}).get("stage")
        try:
            if sid:
                view = trainee.current_view(services, user, sid)
                updates[meter] = patience_meter(view.mood, lang, outcome=view.outcome)
                updates[card] = card_for(view.persona_id, view.case_id, lang)
                if stage == "graded":
                    updates.update(scorecard_values(trainee.scorecard(services, user, sid), lang))
            updates.update(on_progress(user, lang))
            if own_sid:
                updates[own_pick]["value"] = own_sid  # keep the session the trainee has open
                updates.update(on_own_open(user, own_sid, lang))
        except Exception as exc:
            updates[status] = error_text(exc, lang)
        return updates

    ctx.on_load("trainee", on_load, [*filter_outputs, *start_outputs])
    ctx.on_language("trainee", on_filters, list_inputs, filter_outputs)
    ctx.on_language(
        "trainee",
        on_relanguage,
        [drill_sid, phase, own_pick, lang_state],
        [status, meter, card, verdict, score_md, *progress_outputs, own_verdict, own_replay],
    )
    on(tab.select, on_filters, list_inputs, filter_outputs, api_visibility="private", show_progress="hidden")
    return tab
