"""A quiz on screen, one question at a time: a practice quiz or a timed, closed theory exam.

The panel keeps only the attempt id and the question number in the tab's state; every answer is saved
on the server as the trainee goes (an exam's answer when they move on, a practice answer when
they check it), and the server decides what may be shown: the explanation right after a practice
answer, nothing of an exam's key before it is handed in. The countdown is refreshed from the
server, which alone enforces the deadline.

That state lives in one server process. On a replica that took the tab over from one that went
down it is empty: the panel then takes the trainee's open quiz of its kind from the store and shows
its first question with no saved answer, saying so; the choice sent with that first request is not
saved, since nothing says which question it answered.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import gradio as gr

from simulator.accounts import User
from simulator.app import training
from simulator.app.i18n import AppError, t
from simulator.app.programme_views import (
    feedback_markdown,
    option_choices,
    question_markdown,
    quiz_header,
    review_markdown,
)
from simulator.app.ui_choices import HandlerCheckedCheckboxGroup, HandlerCheckedRadio
from simulator.app.ui_common import UIContext, error_text
from simulator.models import Language
from simulator.programme.quiz_attempts import AttemptView

Mode = Literal["practice", "exam"]
#: How often an open exam's countdown is refreshed from the server, in seconds.
TICK_SECONDS = 5


@dataclass
class QuizPanel:
    """The components of one quiz panel; :meth:`render` fills them from an attempt."""

    mode: Mode
    box: gr.Column
    attempt: gr.State
    index: gr.State
    header: gr.Markdown
    question: gr.Markdown
    single: gr.Radio
    multi: gr.CheckboxGroup
    feedback: gr.Markdown
    review: gr.Markdown
    status: gr.Markdown
    check: gr.Button
    previous: gr.Button
    following: gr.Button
    hand_in: gr.Button
    timer: gr.Timer
    #: The hand-in event, for steps that follow it (``handed_in.then``); set when the panel is wired.
    handed_in: Any = None

    @property
    def outputs(self) -> list[Any]:
        """Every component :meth:`render` updates."""
        return [
            self.box,
            self.attempt,
            self.index,
            self.header,
            self.question,
            self.single,
            self.multi,
            self.feedback,
            self.review,
            self.status,
            self.check,
            self.hand_in,
            self.timer,
        ]

    def render(self, view: AttemptView, index: int, lang: Language, note: str = "") -> dict[Any, Any]:
        """Show question ``index`` of ``view`` (clamped) as the viewer may see it."""
        index = max(0, min(index, view.total - 1))
        shown = view.questions[index]
        question = shown.question
        multiple = question.get("type") == "multiple"
        is_open = view.status == "open"
        locked = not is_open or (view.mode == "practice" and shown.explanation is not None)
        choices = option_choices(question, lang)
        return {
            self.box: gr.update(visible=True),
            self.attempt: view.id,
            self.index: index,
            self.header: quiz_header(view, index, lang),
            self.question: question_markdown(shown, lang),
            self.single: gr.update(
                choices=choices,
                value=shown.given[0] if shown.given and not multiple else None,
                visible=not multiple,
                interactive=not locked,
            ),
            self.multi: gr.update(
                choices=choices, value=list(shown.given) if multiple else [], visible=multiple, interactive=not locked
            ),
            self.feedback: feedback_markdown(shown, lang),
            self.review: review_markdown(view, lang) if not is_open else "",
            self.status: note,
            self.check: gr.update(interactive=is_open and not locked),
            self.hand_in: gr.update(interactive=is_open),
            self.timer: gr.Timer(active=view.mode == "exam" and is_open),
        }

    def hidden(self) -> dict[Any, Any]:
        """The panel emptied and hidden (no quiz chosen)."""
        return {
            self.box: gr.update(visible=False),
            self.attempt: None,
            self.index: 0,
            self.timer: gr.Timer(active=False),
        }


def build_quiz_panel(ctx: UIContext, mode: Mode, elem_prefix: str, *, assigned: bool = False) -> QuizPanel:
    """Build a quiz panel inside the current layout and wire its buttons (trainee role).

    ``assigned``: the panel shows quizzes of assignments (else quizzes the trainee started).
    """
    tx, services, lang_state = ctx.texts, ctx.services, ctx.lang
    with gr.Column(visible=False, elem_classes="drill-panel", elem_id=f"{elem_prefix}-panel") as box:
        attempt = gr.State(None)
        index = gr.State(0)
        header = gr.Markdown("", elem_id=f"{elem_prefix}-header")
        question = gr.Markdown("", elem_id=f"{elem_prefix}-question")
        # the options are each question's: checked against the question, not this process's choices
        single = tx.bind(
            HandlerCheckedRadio([], label=tx("quiz_choose"), elem_id=f"{elem_prefix}-single"), label="quiz_choose"
        )
        multi = tx.bind(
            HandlerCheckedCheckboxGroup([], label=tx("quiz_choose_all"), visible=False, elem_id=f"{elem_prefix}-multi"),
            label="quiz_choose_all",
        )
        feedback = gr.Markdown("", elem_id=f"{elem_prefix}-feedback")
        with gr.Row():
            previous = tx.bind(gr.Button(tx("quiz_previous"), size="sm"), value="quiz_previous")
            check_key = "quiz_check" if mode == "practice" else "quiz_save_next"
            check = tx.bind(
                gr.Button(tx(check_key), variant="primary", elem_id=f"{elem_prefix}-check"), value=check_key
            )
            following = tx.bind(gr.Button(tx("quiz_next"), size="sm"), value="quiz_next")
            hand_in = tx.bind(
                gr.Button(tx("quiz_hand_in"), variant="stop", elem_id=f"{elem_prefix}-hand-in"), value="quiz_hand_in"
            )
        status = gr.Markdown("", elem_id=f"{elem_prefix}-status")
        review = gr.Markdown("", elem_id=f"{elem_prefix}-review")
        timer = gr.Timer(TICK_SECONDS, active=False)
    panel = QuizPanel(
        mode, box, attempt, index, header, question, single, multi, feedback, review, status, check, previous,
        following, hand_in, timer,
    )  # fmt: skip

    def taken_over(user: User, lang: Language) -> dict[Any, Any]:
        """The tab's attempt id is empty here: the open quiz of this panel's kind, from the store."""
        view = training.open_quiz(services, user, mode, assigned=assigned)
        if view is None:
            raise AppError("quiz_none_open")
        return panel.render(view, training.resume_position(view), lang, t("quiz_taken_over", lang))

    def answer_of(single_value: str | None, multi_value: list[str] | None) -> object:
        return multi_value if multi_value else single_value

    def current_question(view: AttemptView, position: int) -> str | None:
        if not view.questions:
            return None
        return str(view.questions[max(0, min(position, view.total - 1))].question["id"])

    def save_current(
        user: User, attempt_id: str | None, position: int, single_value: Any, multi_value: Any
    ) -> AttemptView:
        """An exam saves the shown answer before moving; a practice quiz only on Check."""
        view = training.quiz_view(services, user, attempt_id)
        value = answer_of(single_value, multi_value)
        if mode == "exam" and view.status == "open" and value not in (None, "", []):
            view = training.answer(services, user, attempt_id, current_question(view, position), value)
        return view

    def on_check(
        user: User, attempt_id: str | None, position: int, single_value: Any, multi_value: Any, lang: Language
    ) -> dict[Any, Any]:
        try:
            if not attempt_id:
                return taken_over(user, lang)
            view = training.quiz_view(services, user, attempt_id)
            value = answer_of(single_value, multi_value)
            if value in (None, "", []):
                return {status: f"⚠️ {t('quiz_pick_first', lang)}"}
            view = training.answer(services, user, attempt_id, current_question(view, position), value)
        except Exception as exc:
            return _after_error(user, attempt_id, position, exc, lang)
        following_index = position if mode == "practice" else min(position + 1, view.total - 1)
        note = t("quiz_saved", lang) if mode == "exam" else ""
        return panel.render(view, following_index, lang, note)

    def move(step: int) -> Callable[..., dict[Any, Any]]:
        def on_move(
            user: User, attempt_id: str | None, position: int, single_value: Any, multi_value: Any, lang: Language
        ) -> dict[Any, Any]:
            try:
                if not attempt_id:
                    return taken_over(user, lang)
                view = save_current(user, attempt_id, position, single_value, multi_value)
            except Exception as exc:
                return _after_error(user, attempt_id, position, exc, lang)
            return panel.render(view, position + step, lang)

        on_move.__name__ = on_move.__qualname__ = f"on_quiz_{'next' if step > 0 else 'previous'}_{elem_prefix}"
        return on_move

    def on_hand_in(
        user: User, attempt_id: str | None, position: int, single_value: Any, multi_value: Any, lang: Language
    ) -> dict[Any, Any]:
        try:
            if not attempt_id:  # shown first: handing in is the trainee's next click
                return taken_over(user, lang)
            save_current(user, attempt_id, position, single_value, multi_value)
            view = training.hand_in(services, user, attempt_id)
        except Exception as exc:
            return _after_error(user, attempt_id, position, exc, lang)
        return panel.render(view, position, lang, t("quiz_handed_in", lang))

    def on_tick(user: User, attempt_id: str | None, position: int, lang: Language) -> dict[Any, Any]:
        try:
            if not attempt_id:  # an exam's clock ticking in a tab this replica took over
                return taken_over(user, lang)
            view = training.quiz_view(services, user, attempt_id)
        except Exception:
            return {timer: gr.Timer(active=False)}
        if view.status == "open":
            return {header: quiz_header(view, position, lang)}
        if view.status != "expired":  # handed in meanwhile: the hand-in has already shown the result
            return {timer: gr.Timer(active=False)}
        return panel.render(view, position, lang, t("quiz_time_up_note", lang))

    def _after_error(
        user: User, attempt_id: str | None, position: int, exc: Exception, lang: Language
    ) -> dict[Any, Any]:
        """Show the error; if the exam has just run out, show it marked."""
        try:
            view = training.quiz_view(services, user, attempt_id)
        except Exception:
            return {status: error_text(exc, lang)}
        return panel.render(view, position, lang, error_text(exc, lang))

    on = functools.partial(ctx.on, role="trainee", api_visibility="private")
    inputs = [attempt, index, single, multi, lang_state]
    on(check.click, on_check, inputs, panel.outputs)
    on(previous.click, move(-1), inputs, panel.outputs)
    on(following.click, move(+1), inputs, panel.outputs)
    panel.handed_in = on(hand_in.click, on_hand_in, inputs, panel.outputs)
    on(timer.tick, on_tick, [attempt, index, lang_state], panel.outputs, show_progress="hidden")
    return panel
