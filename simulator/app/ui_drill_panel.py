"""A compact drill on screen for a scenario card of the assessment or an assigned drill.

The conversation runs through the same handlers as practice (``trainee.send_message``); only the
end differs. An **exam** card is handed in: ended and graded, its scorecard kept back until the
trainee's result is out. An **assigned** drill is a practice drill: its scorecard is shown at
once, with the rating form under it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import gradio as gr

from simulator.accounts import User
from simulator.app import trainee, training
from simulator.app.i18n import t
from simulator.app.stream_pacing import StreamPacer
from simulator.app.trainee import DrillView
from simulator.app.ui_common import UIContext, error_text
from simulator.app.ui_rating import RatingWidgets, build_rating
from simulator.app.views import scorecard_markdown, verdict_badge
from simulator.models import Language

Mode = Literal["exam", "practice"]


@dataclass
class DrillPanel:
    """The components of one compact drill panel."""

    mode: Mode
    box: gr.Column
    session: gr.State
    context: gr.State  # the assessment id of an exam card
    card: gr.Markdown
    chat: gr.Chatbot
    message: gr.Textbox
    send: gr.Button
    end: gr.Button
    status: gr.Markdown
    verdict: gr.HTML
    scorecard: gr.Markdown
    rating: RatingWidgets | None
    #: The events after which the drill may have ended (send, hand in), for steps that follow them.
    turns: list[Any] = field(default_factory=list)

    @property
    def outputs(self) -> list[Any]:
        """Every component :meth:`show` sets."""
        found = [self.box, self.session, self.context, self.card, self.chat, self.message, self.status]
        return found + [self.verdict, self.scorecard, self.send, self.end]

    def show(
        self, view: DrillView, card: str, lang: Language, *, context: str | None = None, note: str = ""
    ) -> dict[Any, Any]:
        """Put a drill on screen."""
        writable = trainee.drill_stage(view) != "closed"
        return {
            self.box: gr.update(visible=True),
            self.session: view.session_id,
            self.context: context,
            self.card: card,
            self.chat: view.messages,
            self.message: "",
            self.status: note,
            self.verdict: "",
            self.scorecard: "",
            self.send: gr.update(interactive=writable),
            self.end: gr.update(interactive=writable),
        }


def build_drill_panel(ctx: UIContext, mode: Mode, elem_prefix: str) -> DrillPanel:
    """Build a compact drill panel inside the current layout and wire it (trainee role)."""
    tx, services, lang_state = ctx.texts, ctx.services, ctx.lang
    pacer = StreamPacer()
    with gr.Column(visible=False, elem_classes="drill-panel", elem_id=f"{elem_prefix}-drill") as box:
        session = gr.State(None)
        context = gr.State(None)
        card = gr.Markdown("", elem_classes="drill-card", elem_id=f"{elem_prefix}-card")
        chat = tx.bind(
            # as in the practice view: no floating label or toolbar (its trash button cleared the
            # transcript from view) over the first message
            gr.Chatbot(
                [], label=tx("conversation"), height=360, show_label=False, buttons=[], elem_id=f"{elem_prefix}-chat"
            ),
            label="conversation",
        )
        message = tx.bind(
            gr.Textbox(
                # lines=1 grows up to max_lines: Enter sends and Shift+Enter adds a line, as the hint
                # says (a textbox that starts at 2+ lines sends on Shift+Enter instead)
                lines=1,
                max_lines=6,
                label=tx("your_reply"),
                info=tx("reply_info"),
                elem_id=f"{elem_prefix}-message",
            ),
            label="your_reply",
            info="reply_info",
        )
        with gr.Row():
            send = tx.bind(gr.Button(tx("send"), variant="primary", elem_id=f"{elem_prefix}-send"), value="send")
            end_key = "card_hand_in" if mode == "exam" else "end_drill"
            end = tx.bind(gr.Button(tx(end_key), variant="stop", elem_id=f"{elem_prefix}-end"), value=end_key)
        status = gr.Markdown("", elem_id=f"{elem_prefix}-status")
        verdict = gr.HTML("", show_label=False)
        scorecard = gr.Markdown("", elem_id=f"{elem_prefix}-scorecard")
        rating = build_rating(ctx, session, elem_prefix) if mode == "practice" else None
    panel = DrillPanel(mode, box, session, context, card, chat, message, send, end, status, verdict, scorecard, rating)

    def finish(user: User, sid: str | None, assessment_id: str | None, lang: Language) -> dict[Any, Any]:
        """End the drill: hand an exam card in, or show an assigned drill's scorecard."""
        closed = {send: gr.update(interactive=False), end: gr.update(interactive=False)}
        if mode == "exam":
            outcome = training.end_card(services, user, assessment_id, sid)
            return {status: t(f"card_{outcome}", lang), **closed}
        view = training.assignment_scorecard(services, user, sid or "")
        return {
            status: t("drill_ended", lang),
            verdict: verdict_badge(view.effective.report, lang),
            scorecard: scorecard_markdown(view, lang),
            **closed,
        }

    def on_screen(user: User, sid: str | None, assessment_id: str | None) -> tuple[str | None, str | None]:
        # On a replica that took this tab over from one that went down the panel's states are
        # empty: an exam card continues from the store (see training.open_card), an assigned
        # drill too, as the trainee's open practice drill (an assigned drill is one; a trainee
        # has one at a time). The states are outputs of every turn and set again.
        if mode == "exam":
            return training.open_card(services, user, sid, assessment_id)
        if sid:
            return sid, assessment_id
        row = trainee.open_practice_drill(services, user)
        return (row.id if row is not None else None), assessment_id

    def on_send(
        user: User, sid: str | None, assessment_id: str | None, text: str, lang: Language
    ) -> Iterator[dict[Any, Any]]:
        try:
            sid, assessment_id = on_screen(user, sid, assessment_id)
            if mode == "exam":
                training.card_of(services, user, assessment_id, sid)
            views = trainee.send_message(services, user, sid, text)
            last: DrillView | None = None
            sent_at = 0.0
            with pacer.streaming():
                for number, view in enumerate(views):
                    last = view
                    now = time.monotonic()
                    if number == 0:
                        yield {
                            session: sid,
                            context: assessment_id,
                            chat: view.messages,
                            message: "",
                            status: t("customer_typing", lang),
                        }
                        sent_at = now
                    elif now - sent_at >= pacer.interval_s():
                        yield {chat: view.messages}
                        sent_at = now
            if last is None:
                return
            yield {chat: last.messages, status: ""}
            if last.ended:
                yield finish(user, sid, assessment_id, lang)
        except Exception as exc:
            yield {status: error_text(exc, lang)}

    def on_end(user: User, sid: str | None, assessment_id: str | None, lang: Language) -> dict[Any, Any]:
        try:
            sid, assessment_id = on_screen(user, sid, assessment_id)
            return {session: sid, context: assessment_id, **finish(user, sid, assessment_id, lang)}
        except Exception as exc:
            return {status: error_text(exc, lang)}

    on = functools.partial(ctx.on, role="trainee", api_visibility="private")
    turn = [session, context, chat, message, status, verdict, scorecard, send, end]
    hand_in = [session, context, status, verdict, scorecard, send, end]
    panel.turns = [
        on(send.click, on_send, [session, context, message, lang_state], turn),
        on(message.submit, on_send, [session, context, message, lang_state], turn),
        on(end.click, on_end, [session, context, lang_state], hand_in),
    ]
    return panel
