"""The practice tab: the scenario picker, the chat with a patience meter, the scorecard below it.

The drill on screen is held in ``gr.State`` values of the process that served the tab; on another
replica (the first went down) they are empty, and the trainee's open drill is taken from the store
(``open_drill``). Ownership is checked by the handlers in ``trainee``.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from simulator.accounts import User
from simulator.app import trainee
from simulator.app.i18n import AppError, label, t
from simulator.app.scorecards import ScorecardView, scorecard
from simulator.app.stream_pacing import StreamPacer
from simulator.app.ui_common import UIContext, error_text
from simulator.app.ui_rating import build_rating
from simulator.app.ui_scenario_picker import ScenarioPicker, build_scenario_picker
from simulator.app.views import patience_meter, scorecard_markdown, verdict_badge
from simulator.models import Language

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


def build_practice_tab(ctx: UIContext) -> ScenarioPicker:
    """Build the practice tab inside the current ``gr.Tabs`` and wire it; return its picker."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    pacer = StreamPacer()
    with gr.Tab(tx("tab_practice"), id="practice") as practice_tab:
        tx.bind(practice_tab, label="tab_practice")
        drill_sid = gr.State(None)
        # {"session", "stage"} of the drill on screen; its changes drive the buttons and panels.
        phase = gr.State(None)
        # Changes whenever a trainee message is accepted; clears the textbox (in the browser).
        accepted = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320, elem_classes="drill-panel"):
                picker = build_scenario_picker(ctx)
                card = picker.card
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
                        gr.Button(tx("send"), variant="primary", scale=2, interactive=False, elem_id="trainee-send"),
                        value="send",
                    )
                    retry_btn = tx.bind(gr.Button(tx("retry"), visible=False, variant="secondary"), value="retry")
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

    # drill_sid is an output of every turn: on another replica (see open_drill) it is set again
    turn_outputs = [drill_sid, chat, meter, status, verdict, score_md, phase, accepted]
    start_outputs = [drill_sid, chat, meter, status, verdict, score_md, card, message, phase]
    end_outputs = [drill_sid, status, verdict, score_md, phase]
    phase_outputs = [retry_btn, stop_btn, message, send_btn, end_btn, score_col]

    # -- helpers -------------------------------------------------------------------------------

    def phase_of(view: trainee.DrillView | ScorecardView) -> dict[str, str]:
        if isinstance(view, ScorecardView):
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
                card: picker.card_for(view.persona_id, view.case_id, lang),
                message: "",
                phase: phase_of(view),
            }
        )
        return values

    def scorecard_values(view: ScorecardView, lang: Language) -> dict:
        return {verdict: verdict_badge(view.effective.report, lang), score_md: scorecard_markdown(view, lang)}

    # -- handlers ------------------------------------------------------------------------------

    def on_draw(user: User, cat: str, ind: str, language_: str, diff: str, everything: bool, lang: Language) -> dict:
        try:
            updates = picker.drawn(cat, ind, language_, diff, everything, lang)
        except AppError as exc:
            return {status: error_text(exc, lang)}
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

    def on_load(user: User, lang: Language) -> dict:
        updates = picker.reset(user, lang)
        updates[meter] = patience_meter(None, lang)
        view = trainee.resume_open_session(services, user)
        if view is not None:
            # A resumed drill may be a pair the trainee chose with "show all": list it anyway.
            updates.update(picker.show_pair(view.persona_id, view.case_id, lang))
            note = t("drill_resumed", lang) + (" " + t("reply_pending", lang) if view.pending else "")
            updates.update(started(view, lang, note))
        return updates

    def on_relanguage(user: User, sid: str | None, current: dict[str, str] | None, lang: Language) -> dict:
        # Everything on screen that handlers wrote (not the static labels) is written again in the
        # new language: the meter, the card, the scorecard.
        updates: dict[Any, Any] = {status: "", meter: patience_meter(None, lang)}
        if not sid:
            return updates
        try:
            view = trainee.current_view(services, user, sid)
            updates[meter] = patience_meter(view.mood, lang, outcome=view.outcome)
            updates[card] = picker.card_for(view.persona_id, view.case_id, lang)
            if (current or {}).get("stage") == "graded":
                updates.update(scorecard_values(scorecard(services, user, sid), lang))
        except Exception as exc:
            updates[status] = error_text(exc, lang)
        return updates

    # -- wiring --------------------------------------------------------------------------------

    # Every event needs the trainee role (see guard.py); ownership is checked by the handlers.
    on = functools.partial(ctx.on, role="trainee")
    draw_inputs = [*picker.filters, picker.show_all, lang_state]
    on(picker.draw.click, on_draw, draw_inputs, [*picker.list_outputs, status], api_name="draw_card")
    start_inputs = [picker.persona, picker.case, lang_state]
    on(picker.start.click, on_start, start_inputs, start_outputs, api_name="start_drill")
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
    ctx.on_load("trainee", on_load, [*picker.filter_outputs, *start_outputs])
    relanguage_outputs = [status, meter, card, verdict, score_md]
    ctx.on_language("trainee", on_relanguage, [drill_sid, phase, lang_state], relanguage_outputs)
    return picker
