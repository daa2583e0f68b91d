"""The Team tab (mentors and admins): the team's month, assessments, assignments and ratings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from simulator.accounts import User
from simulator.app import team
from simulator.app.exports import download_markdown
from simulator.app.i18n import label, t
from simulator.app.programme_views import (
    ANY,
    assignments_frame,
    best_markdown,
    hardest_markdown,
    md,
    ratings_summary_markdown,
    score_text,
    team_frame,
    weakest_frame,
    weekly_frame,
)
from simulator.app.team_tables import candidates_frame, ratings_frame
from simulator.app.ui_choices import HandlerCheckedCheckboxGroup, HandlerCheckedDropdown
from simulator.app.ui_common import UIContext, empty_frame, error_text, merge_updates
from simulator.models import LANGUAGES, CaseCategory, Industry, Language
from simulator.programme.results import PARTS

COACH = ("mentor", "admin")
#: No axis titles: the chart's label (in the UI language, re-sent on a language switch) says what
#: it shows, where a title in both languages at once ("评分项 · criterion") read as clutter.
NO_AXIS_TITLE = " "
CATEGORIES = [c.value for c in CaseCategory]
INDUSTRIES = [i.value for i in Industry]
DIFFICULTIES = ["easy", "medium", "hard"]


def _any(kind: str, values: list[str], lang: Language) -> list[tuple[str, str]]:
    return [(t("any", lang), ANY)] + [(label(kind, v, lang), v) for v in values]


def build_team_tab(ctx: UIContext, export_dir: Path) -> gr.Tab:
    """Build the Team tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang
    with gr.Tab(tx("tab_team"), id="team", elem_id="tab-team") as tab:
        tx.bind(tab, label="tab_team")
        with gr.Tabs():
            with gr.Tab(tx("tab_month"), id="month") as month_tab:
                tx.bind(month_tab, label="tab_month")
                with gr.Row():
                    month = tx.bind(
                        gr.Textbox(team.this_month(), label=tx("prog.month"), max_lines=1, max_length=7, scale=1),
                        label="prog.month",
                    )
                    team_pick = tx.bind(
                        HandlerCheckedDropdown([(t("any", "en"), ANY)], value=ANY, label=tx("prog.team"), scale=1),
                        label="prog.team",
                    )
                    month_refresh = tx.bind(gr.Button(tx("refresh"), scale=1, elem_id="team-refresh"), value="refresh")
                    csv_btn = tx.bind(gr.Button(tx("prog.csv"), scale=1, elem_id="team-csv"), value="prog.csv")
                csv_file = gr.Markdown("", elem_id="team-csv-link")
                month_status = gr.Markdown("", elem_id="team-status")
                with gr.Row():
                    best = gr.Markdown("", elem_id="team-best")
                    hardest = gr.Markdown("", elem_id="team-hardest")
                with gr.Row():
                    weakest_plot = gr.BarPlot(
                        empty_frame(criterion="object", average="float"),
                        x="criterion",
                        sort="y",  # weakest first, as the data comes (the default sorts by name)
                        y="average",
                        y_lim=[0, 5],
                        x_title=NO_AXIS_TITLE,
                        y_title=NO_AXIS_TITLE,
                        label=tx("prog.weakest_chart"),
                        elem_id="team-weakest",
                    )
                    # bars, not a line: a month has four or five weeks, and a line of one point is invisible
                    weekly_plot = gr.BarPlot(
                        empty_frame(week="object", mean="float"),
                        x="week",
                        y="mean",
                        y_lim=[0, 100],
                        x_title=NO_AXIS_TITLE,
                        y_title=NO_AXIS_TITLE,
                        label=tx("prog.weekly_chart"),
                        elem_id="team-weekly",
                    )
                tx.bind(weakest_plot, label="prog.weakest_chart")
                tx.bind(weekly_plot, label="prog.weekly_chart")
                team_table = gr.Dataframe(pd.DataFrame(), interactive=False, wrap=True, elem_id="team-table")
                feedback = gr.Markdown("", elem_id="team-feedback")

            with gr.Tab(tx("tab_assessments"), id="assessments") as assessments_tab:
                tx.bind(assessments_tab, label="tab_assessments")
                with gr.Accordion(tx("prog.create_assessment"), open=False) as create_box:
                    tx.bind(create_box, label="prog.create_assessment")
                    new_trainees = tx.bind(
                        HandlerCheckedCheckboxGroup([], label=tx("prog.trainees")), label="prog.trainees"
                    )
                    with gr.Row():
                        new_title = tx.bind(
                            gr.Textbox(label=tx("prog.title"), max_length=200, scale=3), label="prog.title"
                        )
                        new_language = gr.Dropdown(
                            [(label("language", v, "en"), v) for v in LANGUAGES],
                            value="zh-CN",
                            label=tx("language"),
                            scale=1,
                        )
                        tx.bind(new_language, label="language")
                    with gr.Row():
                        new_category = tx.bind(
                            gr.Dropdown(_any("category", CATEGORIES, "en"), value=ANY, label=tx("category")),
                            label="category",
                        )
                        new_industry = tx.bind(
                            gr.Dropdown(_any("industry", INDUSTRIES, "en"), value=ANY, label=tx("industry")),
                            label="industry",
                        )
                        new_difficulty = tx.bind(
                            gr.Dropdown(_any("difficulty", DIFFICULTIES, "en"), value=ANY, label=tx("difficulty")),
                            label="difficulty",
                        )
                    create_btn = tx.bind(
                        gr.Button(tx("prog.create"), variant="primary", elem_id="team-create"), value="prog.create"
                    )
                with gr.Row():
                    assessment = tx.bind(
                        HandlerCheckedDropdown([], label=tx("prog.assessment"), scale=4, elem_id="team-assessment"),
                        label="prog.assessment",
                    )
                    assess_refresh = tx.bind(gr.Button(tx("refresh"), scale=1), value="refresh")
                assess_table = gr.Dataframe(pd.DataFrame(), interactive=False, wrap=True, elem_id="team-candidates")
                with gr.Row():
                    candidate = tx.bind(
                        HandlerCheckedDropdown([], label=tx("prog.col_trainee"), scale=2), label="prog.col_trainee"
                    )
                    close_btn = tx.bind(
                        gr.Button(tx("prog.close"), variant="stop", scale=1, elem_id="team-close"), value="prog.close"
                    )
                    part = gr.Radio(
                        [(label("part", p, "en"), p) for p in PARTS], value=PARTS[0], label=tx("prog.part"), scale=2
                    )
                    tx.bind(part, label="prog.part")
                    resit_btn = tx.bind(gr.Button(tx("prog.resit"), scale=1), value="prog.resit")
                with gr.Row():
                    chats = tx.bind(
                        gr.File(label=tx("prog.real_chats"), file_count="multiple", file_types=[".json"], scale=3),
                        label="prog.real_chats",
                    )
                    chats_btn = tx.bind(gr.Button(tx("prog.add_chats"), scale=1), value="prog.add_chats")
                    export_btn = tx.bind(
                        gr.Button(tx("prog.export"), scale=1, elem_id="team-export"), value="prog.export"
                    )
                report_file = gr.Markdown("", elem_id="team-report-link")
                assess_status = gr.Markdown("", elem_id="team-assess-status")

            with gr.Tab(tx("tab_team_assignments"), id="team-assignments") as assign_tab:
                tx.bind(assign_tab, label="tab_team_assignments")
                assign_trainees = tx.bind(
                    HandlerCheckedCheckboxGroup([], label=tx("prog.trainees")), label="prog.trainees"
                )
                with gr.Row():
                    curriculum = tx.bind(
                        HandlerCheckedDropdown([], label=tx("prog.curriculum"), scale=2), label="prog.curriculum"
                    )
                    drill_case = tx.bind(
                        HandlerCheckedDropdown([], label=tx("prog.single_drill"), scale=2), label="prog.single_drill"
                    )
                    when = tx.bind(
                        gr.Textbox(label=tx("prog.when"), info=tx("prog.when_info"), max_length=10, scale=1),
                        label="prog.when",
                        info="prog.when_info",
                    )
                    target = tx.bind(
                        gr.Number(80, minimum=0, maximum=100, label=tx("prog.col_target"), scale=1),
                        label="prog.col_target",
                    )
                assign_btn = tx.bind(gr.Button(tx("prog.assign"), variant="primary"), value="prog.assign")
                assign_status = gr.Markdown("")
                overdue_only = tx.bind(gr.Checkbox(False, label=tx("prog.overdue_only")), label="prog.overdue_only")
                assign_table = gr.Dataframe(
                    pd.DataFrame(), interactive=False, wrap=True, elem_id="team-assignments-table"
                )

            with gr.Tab(tx("tab_ratings"), id="ratings") as ratings_tab:
                tx.bind(ratings_tab, label="tab_ratings")
                with gr.Row():
                    ratings_month = tx.bind(
                        gr.Textbox(team.this_month(), label=tx("prog.month"), max_length=7, scale=1), label="prog.month"
                    )
                    ratings_refresh = tx.bind(gr.Button(tx("refresh"), scale=1), value="refresh")
                ratings_summary = gr.Markdown("")
                ratings_table = gr.Dataframe(pd.DataFrame(), interactive=False, wrap=True, elem_id="team-ratings")

    # -- the month ---------------------------------------------------------------------------------

    def month_values(user: User, month_: str | None, team_: str | None, lang: Language) -> dict[Any, Any]:
        view = team.team_month(services, user, month_, team_)
        library = services.library()
        choices = [(t("any", lang), ANY)] + [(name, name) for name in view.teams]
        chosen = team_ if team_ in [c[1] for c in choices] else ANY
        return {
            team_pick: gr.update(choices=choices, value=chosen) if team_ in (None, "", ANY) else gr.update(),
            month_status: t(
                "prog.month_summary",
                lang,
                month=view.month,
                count=len(view.trainees),
                teams=", ".join(md(x) for x in view.teams) or "—",
            ),
            best: best_markdown(view, lang),
            hardest: hardest_markdown(view, lang),
            weakest_plot: weakest_frame(view, library, lang),
            weekly_plot: weekly_frame(view),
            team_table: team_frame(view, library, lang),
            feedback: ratings_summary_markdown(view.ratings, lang),
        }

    def on_month(user: User, month_: str | None, team_: str | None, lang: Language) -> dict[Any, Any]:
        try:
            return month_values(user, month_, team_, lang)
        except Exception as exc:
            return {month_status: error_text(exc, lang)}

    def on_csv(user: User, month_: str | None, team_: str | None, lang: Language) -> dict[Any, Any]:
        try:
            path = team.team_csv(services, user, month_, team_, export_dir)
        except Exception as exc:
            return {month_status: error_text(exc, lang)}
        return {
            csv_file: download_markdown(path, lang),
            month_status: t("exported", lang, name=path.name, folder=str(path.parent)),
        }

    # -- assessments -----------------------------------------------------------------------------

    def assessment_values(user: User, chosen: str | None, lang: Language) -> dict[Any, Any]:
        choices = team.assessment_choices(services, user)
        value = chosen if chosen in [c[1] for c in choices] else (choices[0][1] if choices else None)
        updates: dict[Any, Any] = {assessment: gr.update(choices=choices, value=value)}
        return merge_updates(updates, candidate_values(user, value, None, lang))

    def candidate_values(user: User, assessment_id: str | None, current: str | None, lang: Language) -> dict[Any, Any]:
        if not assessment_id:
            return {assess_table: pd.DataFrame(), candidate: gr.update(choices=[], value=None)}
        views = team.assessment_status(services, user, assessment_id)
        names = [v.user_name for v in views]
        return {
            assess_table: candidates_frame(views, lang),
            candidate: gr.update(choices=names, value=current if current in names else (names[0] if names else None)),
        }

    def on_assessments(user: User, chosen: str | None, lang: Language) -> dict[Any, Any]:
        try:
            return assessment_values(user, chosen, lang)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_assessment_pick(user: User, assessment_id: str | None, lang: Language) -> dict[Any, Any]:
        try:
            return {assess_status: "", **candidate_values(user, assessment_id, None, lang)}
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_create(
        user: User,
        names: list[str],
        title: str,
        language: str,
        category: str,
        industry: str,
        difficulty: str,
        lang: Language,
    ) -> dict[Any, Any]:
        try:
            created = team.create_assessment(services, user, names, title, language, category, industry, difficulty)
            updates = assessment_values(user, created, lang)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}
        return {**updates, assess_status: t("prog.created", lang, count=len(names or []))}

    def after(user: User, assessment_id: str | None, name: str | None, note: str, lang: Language) -> dict[Any, Any]:
        return {assess_status: note, **candidate_values(user, assessment_id, name, lang)}

    def on_close(user: User, assessment_id: str | None, name: str | None, lang: Language) -> dict[Any, Any]:
        try:
            result = team.close(services, user, assessment_id, name)
            verdict = t("report.passed" if result.passed else "report.failed", lang)
            return after(
                user,
                assessment_id,
                name,
                t("prog.closed", lang, name=name, total=score_text(result.total), verdict=verdict),
                lang,
            )
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_resit(
        user: User, assessment_id: str | None, name: str | None, part_: str | None, lang: Language
    ) -> dict[Any, Any]:
        try:
            number = team.resit(services, user, assessment_id, name, part_)
            note = t("prog.resit_open", lang, name=name, part=label("part", part_, lang), number=number - 1)
            return after(user, assessment_id, name, note, lang)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_chats(
        user: User, assessment_id: str | None, name: str | None, files: list[Any] | None, lang: Language
    ) -> dict[Any, Any]:
        try:
            texts = [Path(getattr(f, "name", f)).read_text(encoding="utf-8-sig") for f in (files or [])]
            count = team.add_chat_texts(services, user, assessment_id, name, texts, lang)
            return after(user, assessment_id, name, t("prog.chats_added", lang, name=name, count=count), lang)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}

    def on_export(user: User, assessment_id: str | None, name: str | None, lang: Language) -> dict[Any, Any]:
        try:
            path = team.export(services, user, assessment_id, name, "html", lang, export_dir)
        except Exception as exc:
            return {assess_status: error_text(exc, lang)}
        return {
            report_file: download_markdown(path, lang),
            assess_status: t("exported", lang, name=path.name, folder=str(path.parent)),
        }

    # -- assignments ----------------------------------------------------------------------------------

    def assignment_table(user: User, overdue: bool, lang: Language) -> Any:
        return assignments_frame(team.all_assignments(services, user, bool(overdue)), lang, with_trainee=True)

    def on_assign(
        user: User,
        names: list[str],
        curriculum_id: str | None,
        case_id: str | None,
        when_: str,
        target_: float | None,
        overdue: bool,
        lang: Language,
    ) -> dict[Any, Any]:
        try:
            count = team.assign(services, user, names, curriculum_id, case_id, when_, target_)
            return {
                assign_status: t("prog.assigned", lang, count=count),
                assign_table: assignment_table(user, overdue, lang),
            }
        except Exception as exc:
            return {assign_status: error_text(exc, lang)}

    def on_assignments(user: User, overdue: bool, lang: Language) -> dict[Any, Any]:
        try:
            return {assign_table: assignment_table(user, overdue, lang)}
        except Exception as exc:
            return {assign_status: error_text(exc, lang)}

    # -- ratings -------------------------------------------------------------------------------------

    def on_ratings(user: User, month_: str | None, lang: Language) -> dict[Any, Any]:
        try:
            rows, summary = team.ratings(services, user, month_)
        except Exception as exc:
            return {ratings_summary: error_text(exc, lang)}
        return {ratings_summary: ratings_summary_markdown(summary, lang), ratings_table: ratings_frame(rows, lang)}

    # -- wiring --------------------------------------------------------------------------------------

    on = functools.partial(ctx.on, role=COACH)
    month_outputs = [team_pick, month_status, best, hardest, weakest_plot, weekly_plot, team_table, feedback]
    on(month_refresh.click, on_month, [month, team_pick, lang_state], month_outputs, api_name="team_month")
    on(month_tab.select, on_month, [month, team_pick, lang_state], month_outputs, api_visibility="private")
    on(csv_btn.click, on_csv, [month, team_pick, lang_state], [csv_file, month_status], api_name="team_csv")
    assess_outputs = [assessment, assess_table, candidate, assess_status]
    on(assess_refresh.click, on_assessments, [assessment, lang_state], assess_outputs, api_name="team_assessments")
    on(assessments_tab.select, on_assessments, [assessment, lang_state], assess_outputs, api_visibility="private")
    on(
        assessment.input,
        on_assessment_pick,
        [assessment, lang_state],
        [assess_table, candidate, assess_status],
        api_visibility="private",
    )
    create_inputs = [new_trainees, new_title, new_language, new_category, new_industry, new_difficulty, lang_state]
    on(create_btn.click, on_create, create_inputs, assess_outputs, api_name="create_assessment")
    act_outputs = [assess_status, assess_table, candidate]
    on(close_btn.click, on_close, [assessment, candidate, lang_state], act_outputs, api_name="close_assessment")
    on(resit_btn.click, on_resit, [assessment, candidate, part, lang_state], act_outputs, api_name="open_resit")
    on(chats_btn.click, on_chats, [assessment, candidate, chats, lang_state], act_outputs, api_name="add_real_chats")
    on(
        export_btn.click,
        on_export,
        [assessment, candidate, lang_state],
        [report_file, assess_status],
        api_name="export_assessment",
    )
    assign_inputs = [assign_trainees, curriculum, drill_case, when, target, overdue_only, lang_state]
    on(assign_btn.click, on_assign, assign_inputs, [assign_status, assign_table], api_name="assign")
    on(
        assign_tab.select,
        on_assignments,
        [overdue_only, lang_state],
        [assign_table, assign_status],
        api_visibility="private",
    )
    on(
        overdue_only.input,
        on_assignments,
        [overdue_only, lang_state],
        [assign_table, assign_status],
        api_name="team_assignments",
    )
    on(
        ratings_refresh.click,
        on_ratings,
        [ratings_month, lang_state],
        [ratings_summary, ratings_table],
        api_name="team_ratings",
    )
    on(
        ratings_tab.select,
        on_ratings,
        [ratings_month, lang_state],
        [ratings_summary, ratings_table],
        api_visibility="private",
    )

    # -- page load and language switch -----------------------------------------------------------------

    def choice_values(user: User, lang: Language) -> dict[Any, Any]:
        library = services.library()
        people = [(f"{p.display_name or p.name} · {p.team or '—'}", p.name) for p in team.my_trainees(services, user)]
        curricula = [(t("prog.none", lang), ANY)] + [
            (f"{c.title} ({label('level', c.level, lang)}, {c.language})", c.id)
            for c in sorted(library.curricula.values(), key=lambda c: c.id)
        ]
        cases = [(t("prog.none", lang), ANY)] + [
            (f"{c.title} ({c.id})", c.id) for c in sorted(library.cases.values(), key=lambda c: c.id)
        ]
        return {
            new_trainees: gr.update(choices=people),
            assign_trainees: gr.update(choices=people),
            curriculum: gr.update(choices=curricula, value=ANY),
            drill_case: gr.update(choices=cases, value=ANY),
            new_language: gr.update(choices=[(label("language", v, lang), v) for v in LANGUAGES]),
            new_category: gr.update(choices=_any("category", CATEGORIES, lang)),
            new_industry: gr.update(choices=_any("industry", INDUSTRIES, lang)),
            new_difficulty: gr.update(choices=_any("difficulty", DIFFICULTIES, lang)),
            part: gr.update(choices=[(label("part", p, lang), p) for p in PARTS]),
        }

    def on_load(user: User, lang: Language) -> dict[Any, Any]:
        updates: dict[Any, Any] = {}
        for step in (
            lambda: choice_values(user, lang),
            lambda: month_values(user, None, None, lang),
            lambda: assessment_values(user, None, lang),
        ):
            try:
                merge_updates(updates, step())
            except Exception as exc:  # one failing panel must not blank the tab
                updates[month_status] = error_text(exc, lang)
        return updates

    def on_language(
        user: User, month_: str | None, team_: str | None, chosen: str | None, lang: Language
    ) -> dict[Any, Any]:
        updates: dict[Any, Any] = {}
        try:
            merge_updates(updates, choice_values(user, lang))
            merge_updates(updates, month_values(user, month_, team_, lang))
            merge_updates(updates, assessment_values(user, chosen, lang))
        except Exception as exc:
            updates[month_status] = error_text(exc, lang)
        return updates

    load_outputs = [
        new_trainees, assign_trainees, curriculum, drill_case, new_language, new_category, new_industry,
        new_difficulty, part, *month_outputs, *assess_outputs,
    ]  # fmt: skip
    load_outputs = list({id(c): c for c in load_outputs}.values())
    ctx.on_load(COACH, on_load, load_outputs)
    ctx.on_language(COACH, on_language, [month, team_pick, assessment, lang_state], load_outputs)
    return tab
