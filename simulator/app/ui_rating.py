"""Rating a scorecard: was it fair, was it useful (1-5 each), and an optional comment.

Placed under every scorecard a trainee sees. The session it rates is whatever the owning panel
shows (a ``gr.State`` or a dropdown); the server checks that it is the trainee's own graded
session (and, for an exam card, that the result is out).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import gradio as gr

from simulator.accounts import User
from simulator.app import training
from simulator.app.i18n import t
from simulator.app.ui_common import UIContext, error_text
from simulator.limits import COMMENT_CHARS
from simulator.models import Language

SCALE = [1, 2, 3, 4, 5]


@dataclass
class RatingWidgets:
    """The rating form under a scorecard."""

    box: gr.Column
    fair: gr.Radio
    useful: gr.Radio
    comment: gr.Textbox
    status: gr.Markdown

    @property
    def fields(self) -> list[Any]:
        """The components a refresh fills."""
        return [self.fair, self.useful, self.comment, self.status]

    def fill(self, user: User, services: Any, session_id: str | None, lang: Language) -> dict[Any, Any]:
        """The form as the trainee left it for ``session_id`` (empty when not rated yet)."""
        try:
            rating = training.my_rating(services, user, session_id)
        except Exception:
            rating = None
        if rating is None:
            return {self.fair: None, self.useful: None, self.comment: "", self.status: ""}
        return {
            self.fair: rating.fair,
            self.useful: rating.useful,
            self.comment: rating.comment,
            self.status: t("rating_saved", lang),
        }


def build_rating(ctx: UIContext, session: Any, elem_prefix: str) -> RatingWidgets:
    """The rating form for the session held by ``session``; refreshed whenever it changes."""
    tx, services, lang_state = ctx.texts, ctx.services, ctx.lang
    with gr.Column(elem_classes="drill-card", elem_id=f"{elem_prefix}-rating") as box:
        tx.bind(gr.Markdown(tx("rating_title_md")), value="rating_title_md")
        with gr.Row():
            fair = tx.bind(gr.Radio(SCALE, label=tx("rating_fair"), elem_id=f"{elem_prefix}-fair"), label="rating_fair")
            useful = tx.bind(
                gr.Radio(SCALE, label=tx("rating_useful"), elem_id=f"{elem_prefix}-useful"), label="rating_useful"
            )
        comment = tx.bind(
            gr.Textbox(lines=2, max_length=COMMENT_CHARS.value, label=tx("rating_comment")), label="rating_comment"
        )
        submit = tx.bind(
            gr.Button(tx("rating_submit"), size="sm", elem_id=f"{elem_prefix}-rate"), value="rating_submit"
        )
        status = gr.Markdown("", elem_id=f"{elem_prefix}-rating-status")
    widgets = RatingWidgets(box, fair, useful, comment, status)

    def on_rate(
        user: User, session_id: str | None, fair_: int | None, useful_: int | None, text: str | None, lang: Language
    ) -> str:
        try:
            training.rate(services, user, session_id, fair_, useful_, text)
        except Exception as exc:
            return error_text(exc, lang)
        return t("rating_thanks", lang)

    def on_session(user: User, session_id: str | None, lang: Language) -> dict[Any, Any]:
        return widgets.fill(user, services, session_id, lang)

    on = functools.partial(ctx.on, role="trainee")
    on(submit.click, on_rate, [session, fair, useful, comment, lang_state], status, api_name=f"rate_{elem_prefix}")
    on(
        session.change,
        on_session,
        [session, lang_state],
        widgets.fields,
        api_visibility="private",
        show_progress="hidden",
    )
    return widgets
