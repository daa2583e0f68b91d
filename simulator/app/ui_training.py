"""The Training tab (trainees): a practice quiz, the assessment, and "My assignments"."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import gradio as gr

from simulator.accounts import User
from simulator.app import training
from simulator.app.i18n import label, t
from simulator.app.programme_views import (
    ANY,
    assessment_markdown,
    assignment_choices,
    assignments_frame,
    card_choices,
    card_item,
)
from simulator.app.trainee import DrillView
from simulator.app.ui_choices import HandlerCheckedDropdown
from simulator.app.ui_common import UIContext, error_text, merge_updates
from simulator.app.ui_drill_panel import build_drill_panel
from simulator.app.ui_quiz_panel import build_quiz_panel
from simulator.app.views import scenario_card
from simulator.models import LANGUAGES, Language
from simulator.programme.models import QuestionTag
from simulator.programme.quiz_attempts import AttemptView

TAGS = [tag.value for tag in QuestionTag]
DIFFICULTIES = ["easy", "medium", "hard"]


def _choices(kind: str, values: Sequence[str], lang: Language, *, any_first: bool = True) -> list[tuple[str, str]]:
    first = [(t("any", lang), ANY)] if any_first else []
    return first + [(label(kind, value, lang), value) for value in values]


def build_training_tab(ctx: UIContext) -> gr.Tab:
    """Build the Training tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    with gr.Tab(tx("tab_training"), id="training", elem_id="tab-training") as tab:
        tx.bind(tab, label="tab_training")
        with gr.Tabs():
            with gr.Tab(tx("tab_quiz"), id="quiz") as quiz_tab:
                tx.bind(quiz_tab, label="tab_quiz")
                tx.bind(gr.Markdown(tx("quiz_intro_md")), value="quiz_intro_md")
                with gr.Row():
                    quiz_language = gr.Dropdown(
                        _choices("language", list(LANGUAGES), "en", any_first=False),
                        value="zh-CN",
                        label=tx("language"),
                    )
                    quiz_tag = gr.Dropdown(_choices("tag", TAGS, "en"), value=ANY, label=tx("quiz_tag"))
                    quiz_difficulty = gr.Dropdown(
                        _choices("difficulty", DIFFICULTIES, "en"), value=ANY, label=tx("difficulty")
                    )
                    quiz_count = gr.Slider(1, training.MAX_PRACTICE_QUESTIONS, value=10, step=1, label=tx("quiz_count"))
                tx.bind(quiz_language, label="language")
                tx.bind(quiz_tag, label="quiz_tag")
                tx.bind(quiz_difficulty, label="difficulty")
                tx.bind(quiz_count, label="quiz_count")
                quiz_start = tx.bind(
                    gr.Button(tx("quiz_start"), variant="primary", elem_id="quiz-start"), value="quiz_start"
                )
                quiz_status = gr.Markdown("", elem_id="quiz-start-status")
                practice = build_quiz_panel(ctx, "practice", "quiz")

            with gr.Tab(tx("tab_assessment"), id="assessment") as assess_tab:
                tx.bind(assess_tab, label="tab_assessment")
                # Both pickers take values outside their choices: a replica that took the tab over
                # from one that went down never sent it the choices, and the step after each card
                # turn reads them. Every handler checks the assessment and the card as the user's own.
                with gr.Row():
                    assessment = tx.bind(
                        gr.Dropdown(
                            [], label=tx("assess_mine"), scale=4, elem_id="assess-pick", allow_custom_value=True
                        ),
                        label="assess_mine",
                    )
                    assess_refresh = tx.bind(gr.Button(tx("refresh"), size="sm", scale=1), value="refresh")
                overview = gr.Markdown(tx("assess_none_md"), elem_id="assess-overview")
                with gr.Row():
                    exam_start = tx.bind(
                        gr.Button(tx("assess_start_exam"), variant="primary", elem_id="assess-start-exam"),
                        value="assess_start_exam",
                    )
                    card_pick = tx.bind(
                        gr.Dropdown([], label=tx("assess_card_pick"), scale=3, allow_custom_value=True),
                        label="assess_card_pick",
                    )
                    card_play = tx.bind(
                        gr.Button(tx("assess_play_card"), elem_id="assess-play-card"), value="assess_play_card"
                    )
                assess_status = gr.Markdown("", elem_id="assess-status")
                exam = build_quiz_panel(ctx, "exam", "exam")
                card_drill = build_drill_panel(ctx, "exam", "card")

            with gr.Tab(tx("tab_assignments"), id="assignments") as assign_tab:
                tx.bind(assign_tab, label="tab_assignments")
                tx.bind(gr.Markdown(tx("assign_intro_md")), value="assign_intro_md")
                assign_table = gr.Dataframe(
                    assignments_frame([], "en"), interactive=False, wrap=True, elem_id="assign-table"
                )
                with gr.Row():
                    assign_pick = tx.bind(
                        HandlerCheckedDropdown([], label=tx("assign_pick"), scale=4), label="assign_pick"
                    )
                    assign_start = tx.bind(
                        gr.Button(tx("assign_start"), variant="primary", scale=1, elem_id="assign-start"),
                        value="assign_start",
                    )
                assign_status = gr.Markdown("")
                assigned_quiz = build_quiz_panel(ctx, "practice", "assigned-quiz", assigned=True)
                assigned_drill = build_drill_panel(ctx, "practice", "assigned")

    # -- the practice quiz -------------------------------------------------------------------------

    def on_quiz_start(
        user: User, language: str, tag: str, difficulty: str, count: float, lang: Language
    ) -> dict[Any, Any]:
        try:
            view = training.start_practice_quiz(services, user, language, tag, difficulty, count)
        except Exception as exc:
            return {quiz_status: error_text(exc, lang)}
        return {quiz_status: "", **practice.render(view, 0, lang)}

    # -- the assessment ------------------------------------------------------------------------------

    def assessment_list(user: User, chosen: str | None, lang: Language) -> dict[Any, Any]:
        views = training.my_assessments(services, user)
        choices = [
            (f"{v.created_at:%Y-%m-%d} · {v.title} · {label('state', v.status, lang)}", v.assessment_id) for v in views
        ]
        value = chosen if chosen in [c[1] for c in choices] else (choices[0][1] if choices else None)
        updates: dict[Any, Any] = {assessment: gr.update(choices=choices, value=value)}
        return merge_updates(updates, assessment_detail(user, value, lang))

    def assessment_detail(
        user: User, assessment_id: str | None, lang: Language, card: int | None = None
    ) -> dict[Any, Any]:
        """The overview and the card list of one assessment (keeping the chosen card)."""
        if not assessment_id:
            return {overview: t("assess_none_md", lang), card_pick: gr.update(choices=[], value=None)}
        view = training.my_assessment(services, user, assessment_id)
        cards = card_choices(view, services.library(), lang)
        positions = [position for _, position in cards]
        chosen = card if card in positions else (positions[0] if positions else None)
        return {overview: assessment_markdown(view, lang), card_pick: gr.update(choices=cards, value=chosen)}

    def on_progress(user: User, assessment_id: str | None, card: int | None, lang: Language) -> dict[Any, Any]:
        """After an exam is handed in or a card is played: what is done now."""
        try:
            return assessment_detail(user, assessment_id, lang, card)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_assessments(user: User, chosen: str | None, lang: Language) -> dict[Any, Any]:
        try:
            return assessment_list(user, chosen, lang)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_assessment_pick(user: User, assessment_id: str | None, lang: Language) -> dict[Any, Any]:
        try:
            return {assess_status: "", **assessment_detail(user, assessment_id, lang)}
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_exam_start(user: User, assessment_id: str | None, lang: Language) -> dict[Any, Any]:
        try:
            view = training.start_exam(services, user, assessment_id)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}
        note = t("assess_exam_started", lang, minutes=(view.seconds_left or 0) // 60) if view.status == "open" else ""
        updates = {assess_status: note, card_drill.box: gr.update(visible=False), **exam.render(view, 0, lang)}
        return merge_updates(updates, on_progress(user, assessment_id, None, lang))

    def on_card_play(user: User, assessment_id: str | None, position: int | None, lang: Language) -> dict[Any, Any]:
        try:
            played = training.play_card(services, user, assessment_id, position)
            view = training.my_assessment(services, user, assessment_id)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}
        item = card_item(view, played.position)
        library = services.library()
        case = library.exam_cases.get(item.case_id or "") if item else None
        persona = library.personas.get(item.persona_id or "") if item else None
        brief = scenario_card(persona.trainee_view() if persona else None, case.trainee_view() if case else None, lang)
        updates = card_drill.show(played.view, brief, lang, context=played.assessment_id)
        updates.update({assess_status: t("assess_card_started_note", lang), exam.box: gr.update(visible=False)})
        return merge_updates(updates, on_progress(user, assessment_id, played.position, lang))

    # -- assignments ---------------------------------------------------------------------------------

    def assignment_values(user: User, lang: Language) -> dict[Any, Any]:
        rows = training.my_assignments(services, user)
        choices = assignment_choices(rows)
        return {
            assign_table: assignments_frame(rows, lang),
            assign_pick: gr.update(choices=choices, value=choices[0][1] if choices else None),
        }

    def on_assignments(user: User, lang: Language) -> dict[Any, Any]:
        try:
            return assignment_values(user, lang)
        except Exception as exc:
            return {assign_status: error_text(exc, lang)}

    def on_assignment_start(user: User, assignment_id: int | None, lang: Language) -> dict[Any, Any]:
        try:
            started = training.start_assignment(services, user, assignment_id)
        except Exception as exc:
            return {assign_status: error_text(exc, lang)}
        if isinstance(started, AttemptView):
            return {
                assign_status: "",
                assigned_drill.box: gr.update(visible=False),
                **assigned_quiz.render(started, 0, lang),
            }
        assert isinstance(started, DrillView)
        library = services.library()
        persona = library.personas.get(started.persona_id)
        case = library.cases.get(started.case_id)
        brief = scenario_card(persona.trainee_view() if persona else None, case.trainee_view() if case else None, lang)
        return {
            assign_status: t("drill_started", lang),
            assigned_quiz.box: gr.update(visible=False),
            **assigned_drill.show(started, brief, lang),
        }

    # -- wiring --------------------------------------------------------------------------------------

    on = functools.partial(ctx.on, role="trainee")
    quiz_inputs = [quiz_language, quiz_tag, quiz_difficulty, quiz_count, lang_state]
    on(quiz_start.click, on_quiz_start, quiz_inputs, [quiz_status, *practice.outputs], api_name="start_quiz")
    assess_outputs = [assessment, overview, card_pick, assess_status]
    on(assess_refresh.click, on_assessments, [assessment, lang_state], assess_outputs, api_name="my_assessments")
    on(assess_tab.select, on_assessments, [assessment, lang_state], assess_outputs, api_visibility="private")
    on(
        assessment.input,
        on_assessment_pick,
        [assessment, lang_state],
        [overview, card_pick, assess_status],
        api_visibility="private",
    )
    on(
        exam_start.click,
        on_exam_start,
        [assessment, lang_state],
        [assess_status, card_drill.box, overview, card_pick, *exam.outputs],
        api_name="start_exam",
    )
    on(
        card_play.click,
        on_card_play,
        [assessment, card_pick, lang_state],
        [assess_status, exam.box, overview, card_pick, *card_drill.outputs],
        api_name="play_card",
    )

    def on_exam_done(user: User, assessment_id: str | None, card: int | None, lang: Language) -> dict[Any, Any]:
        return {assess_status: "", **on_progress(user, assessment_id, card, lang)}  # the clock note is over

    for finished, step in [(exam.handed_in, on_exam_done), *((turn, on_progress) for turn in card_drill.turns)]:
        on(
            finished.then,
            step,
            [assessment, card_pick, lang_state],
            [overview, card_pick, assess_status],
            api_visibility="private",
            show_progress="hidden",
        )
    assign_outputs = [assign_table, assign_pick, assign_status]
    on(assign_tab.select, on_assignments, [lang_state], assign_outputs, api_name="my_assignments")
    on(
        assign_start.click,
        on_assignment_start,
        [assign_pick, lang_state],
        [assign_status, *assigned_quiz.outputs, *assigned_drill.outputs],
        api_name="start_assignment",
    )

    # -- page load and language switch -----------------------------------------------------------

    def relabel(lang: Language) -> dict[Any, Any]:
        return {
            quiz_language: gr.update(choices=_choices("language", list(LANGUAGES), lang, any_first=False)),
            quiz_tag: gr.update(choices=_choices("tag", TAGS, lang)),
            quiz_difficulty: gr.update(choices=_choices("difficulty", DIFFICULTIES, lang)),
        }

    def on_load(user: User, lang: Language) -> dict[Any, Any]:
        updates = relabel(lang)
        updates[quiz_language] = gr.update(
            choices=_choices("language", list(LANGUAGES), lang, any_first=False), value=lang
        )
        for step in (lambda: assessment_list(user, None, lang), lambda: assignment_values(user, lang)):
            try:
                merge_updates(updates, step())
            except Exception as exc:  # one failing panel must not blank the tab
                updates[assess_status] = error_text(exc, lang)
        return updates

    def on_language(user: User, chosen: str | None, lang: Language) -> dict[Any, Any]:
        updates = relabel(lang)
        try:
            merge_updates(updates, assessment_list(user, chosen, lang))
            merge_updates(updates, assignment_values(user, lang))
        except Exception as exc:
            updates[assess_status] = error_text(exc, lang)
        return updates

    load_outputs = [quiz_language, quiz_tag, quiz_difficulty, assessment, overview, card_pick, assess_status]
    load_outputs += [assign_table, assign_pick, assign_status]
    ctx.on_load("trainee", on_load, load_outputs)
    ctx.on_language("trainee", on_language, [assessment, lang_state], load_outputs)
    return tab
