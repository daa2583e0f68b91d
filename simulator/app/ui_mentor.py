"""The Mentor tab: find sessions, replay with notes and mood curve, comment, override, export, import."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from simulator.accounts import User
from simulator.app import mentor
from simulator.app.exports import download_markdown, new_export_folder
from simulator.app.i18n import AppError, t
from simulator.app.mentor import MentorFilters
from simulator.app.scorecards import ScorecardView
from simulator.app.ui_choices import HandlerCheckedDropdown
from simulator.app.ui_common import UIContext, empty_frame, error_text
from simulator.app.views import MENTOR_COLUMNS, scorecard_markdown, session_frame, verdict_badge
from simulator.grading.scorecard import display_turn
from simulator.models import Language

RESULTS = ["any", "pass", "fail", "incomplete", "ungraded"]


def _result_choices(lang: Language) -> list[tuple[str, str]]:
    # Plain-text labels: Gradio 6 sends an I18n-marked choice's label instead of its value.
    return [(t(f"result.{r}", lang), r) for r in RESULTS]


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def build_mentor_tab(ctx: UIContext, export_dir: Path) -> gr.Tab:
    """Build the Mentor tab inside the current Blocks; return the tab."""
    services, tx, lang_state = ctx.services, ctx.texts, ctx.lang

    # Every component, States included, is created inside the tab (see ui_trainee).
    with gr.Tab(tx("tab_mentor"), id="mentor", elem_id="tab-mentor") as tab:
        session_sid = gr.State(None)
        not_all = gr.State(False)
        tx.bind(tab, label="tab_mentor")
        with gr.Accordion(tx("find_sessions"), open=True) as filters_box:
            tx.bind(filters_box, label="find_sessions")
            with gr.Row():
                f_trainee = tx.bind(
                    HandlerCheckedDropdown([(t("any", "en"), "any")], value="any", label=tx("col_trainee")),
                    label="col_trainee",
                )
                f_persona = tx.bind(
                    HandlerCheckedDropdown([(t("any", "en"), "any")], value="any", label=tx("persona")),
                    label="persona",
                )
                f_case = tx.bind(
                    HandlerCheckedDropdown([(t("any", "en"), "any")], value="any", label=tx("scenario")),
                    label="scenario",
                )
                f_result = gr.Dropdown(_result_choices("en"), value="any", label=tx("col_result"))
                tx.bind(f_result, label="col_result")
            with gr.Row():
                f_since = tx.bind(gr.Textbox(label=tx("since"), placeholder="2026-01-31"), label="since")
                f_until = tx.bind(gr.Textbox(label=tx("until"), placeholder="2026-12-31"), label="until")
                f_min = tx.bind(gr.Number(0, label=tx("min_score"), minimum=0, maximum=100), label="min_score")
                f_max = tx.bind(gr.Number(100, label=tx("max_score"), minimum=0, maximum=100), label="max_score")
                search_btn = tx.bind(gr.Button(tx("search"), variant="primary"), value="search")
        table = tx.bind(
            gr.Dataframe(
                session_frame([], MENTOR_COLUMNS, "en"),
                label=tx("sessions"),
                interactive=False,
                wrap=True,
                max_height=320,
                # shares of the width, so the table fits the page (1280 px and up) with no column cut off
                column_widths=["7%", "11%", "9%", "17%", "22%", "9%", "10%", "6%", "9%"],
                elem_id="mentor-sessions",
            ),
            label="sessions",
        )
        with gr.Row():
            pick = tx.bind(
                HandlerCheckedDropdown([], label=tx("open_session"), scale=4, elem_id="mentor-pick"),
                label="open_session",
            )
            open_btn = tx.bind(gr.Button(tx("open"), variant="primary", scale=1, elem_id="mentor-open"), value="open")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, elem_classes="drill-panel"):
                replay = tx.bind(
                    gr.Chatbot(
                        [],
                        label=tx("replay"),
                        placeholder=tx("replay_placeholder"),
                        height=460,
                        buttons=[],
                        elem_id="mentor-replay",
                    ),
                    label="replay",
                    placeholder="replay_placeholder",
                )
                with gr.Row():
                    prev_btn = gr.Button("◀", size="sm", min_width=60)
                    # numbered as the replay numbers its messages: from 1
                    step = tx.bind(gr.Slider(1, 2, value=1, step=1, label=tx("step"), scale=4), label="step")
                    next_btn = gr.Button("▶", size="sm", min_width=60)
                    show_all = tx.bind(gr.Checkbox(True, label=tx("show_all")), label="show_all")
            with gr.Column(scale=2, elem_classes="drill-panel"):
                verdict = gr.HTML("", label="verdict", show_label=False)
                mood = gr.LinePlot(
                    empty_frame(turn="int", mood="int"),
                    x="turn",
                    y="mood",
                    y_lim=[0, 10],
                    x_axis_format="d",
                    # no axis titles (they cannot follow a language switch): the label says what the
                    # axes are, in the user's language
                    x_title=" ",
                    y_title=" ",
                    label=tx("mood_curve"),
                )
                tx.bind(mood, label="mood_curve")
                score_md = gr.Markdown("", label="scorecard", elem_id="mentor-scorecard")
        with gr.Row(equal_height=False):
            with gr.Column(elem_classes="drill-panel"):
                comment_heading = tx.bind(gr.Markdown(tx("comment_md")), value="comment_md")
                del comment_heading
                comment_turn = tx.bind(HandlerCheckedDropdown([], label=tx("comment_on")), label="comment_on")
                comment_text = tx.bind(gr.Textbox(lines=2, label=tx("comment")), label="comment")
                comment_visible = tx.bind(
                    gr.Checkbox(True, label=tx("comment_visible"), info=tx("comment_visible_info")),
                    label="comment_visible",
                    info="comment_visible_info",
                )
                comment_btn = tx.bind(gr.Button(tx("add_comment")), value="add_comment")
                # each action's message appears beside its button, not at the foot of the page
                comment_status = gr.Markdown("", label="comment_status", elem_id="mentor-comment-status")
            with gr.Column(elem_classes="drill-panel"):
                override_heading = tx.bind(gr.Markdown(tx("override_md")), value="override_md")
                del override_heading
                criterion = tx.bind(HandlerCheckedDropdown([], label=tx("criterion")), label="criterion")
                new_score = tx.bind(gr.Slider(1, 5, value=3, step=1, label=tx("new_score")), label="new_score")
                reason = tx.bind(
                    gr.Textbox(lines=2, label=tx("reason"), placeholder=tx("reason_placeholder")),
                    label="reason",
                    placeholder="reason_placeholder",
                )
                override_btn = tx.bind(gr.Button(tx("override")), value="override")
                override_status = gr.Markdown("", label="override_status", elem_id="mentor-override-status")
        with gr.Row():
            export_html = tx.bind(gr.Button(tx("export_html")), value="export_html")
            export_md = tx.bind(gr.Button(tx("export_md")), value="export_md")
            regrade_btn = tx.bind(gr.Button(tx("regrade")), value="regrade")
            # shown only for an imported chat log: a trainee's drill cannot be deleted
            delete_btn = tx.bind(gr.Button(tx("delete_import"), variant="stop", visible=False), value="delete_import")
            export_file = gr.Markdown("", label="report_file", elem_id="mentor-report-link")
        with gr.Accordion(tx("import_title"), open=False) as import_box:
            tx.bind(import_box, label="import_title")
            import_help = tx.bind(gr.Markdown(tx("import_help")), value="import_help")
            del import_help
            with gr.Row():
                import_file = tx.bind(
                    gr.File(label=tx("transcript_file"), file_types=[".json"], type="filepath"), label="transcript_file"
                )
                with gr.Column():
                    import_text = tx.bind(gr.Textbox(lines=6, label=tx("or_paste_json")), label="or_paste_json")
                    import_owner = tx.bind(gr.Textbox(label=tx("import_owner")), label="import_owner")
                    import_btn = tx.bind(gr.Button(tx("import_and_grade"), variant="primary"), value="import_and_grade")
        status = gr.Markdown("", label="status", elem_id="mentor-status")

    filter_inputs = [f_trainee, f_persona, f_case, f_result, f_since, f_until, f_min, f_max]

    # -- helpers -------------------------------------------------------------------------------

    def filter_choices(
        user: Any, lang: Language, current: tuple[Any, Any, Any] = ("any", "any", "any"), result: Any = "any"
    ) -> dict:
        """Fresh choices for the trainee/persona/case filters, keeping what is selected."""
        library = services.content.snapshot().library
        anyone = (t("any", lang), "any")
        options = [
            [anyone, *[(n, n) for n in mentor.trainee_names(services, user)]],
            [anyone, *[(p.label.get(lang), p.id) for p in sorted(library.personas.values(), key=lambda p: p.id)]],
            [anyone, *[(c.title, c.id) for c in sorted(library.cases.values(), key=lambda c: c.id)]],
        ]
        # Choices are always sent with the value: without it Gradio 6 blanks the dropdown.
        updates = {f_result: gr.update(choices=_result_choices(lang), value=result if result in RESULTS else "any")}
        for component, choices, selected in zip((f_trainee, f_persona, f_case), options, current, strict=True):
            values = [value for _, value in choices]
            updates[component] = gr.update(choices=choices, value=selected if selected in values else "any")
        return updates

    def search(user: Any, values: list[Any], lang: Language) -> dict:
        trainee_, persona_, case_, result, since, until, low, high = values
        filters = MentorFilters(
            trainee=trainee_,
            persona_id=persona_,
            case_id=case_,
            since=since,
            until=until,
            result=result or "any",
            # 0-100 is the whole range: no restriction, so ungraded sessions are listed too.
            min_total=None if _number(low) in (None, 0) else _number(low),
            max_total=None if _number(high) in (None, 100) else _number(high),
        )
        rows = mentor.find_sessions(services, user, filters, lang)
        frame = session_frame(rows, MENTOR_COLUMNS, lang)
        choices = [(f"{r['started']} · {r['trainee']} · {r['case']} · {r['result']}", r["id"]) for r in rows]
        return {
            table: frame,
            pick: gr.update(choices=choices, value=choices[0][1] if choices else None),
            status: t("found_sessions", lang, count=len(rows)),
        }

    def show(user: Any, sid: str | None, at: int | None, everything: bool, lang: Language) -> dict:
        # ``at`` is a transcript index; the slider shows it as the message number on screen (+1)
        data = mentor.load_replay(services, user, sid, lang)
        last = max(len(data.transcript.turns) - 1, 0)
        at = last if at is None else max(0, min(int(at), last))
        messages = mentor.replay_messages(data, None if everything else at, lang)
        updates: dict[Any, Any] = {
            session_sid: data.session["id"],
            replay: messages,
            step: gr.update(minimum=1, maximum=max(display_turn(last), 2), value=display_turn(at)),
            # A bare DataFrame: Gradio 6 draws nothing for gr.update(value=frame, ...).
            mood: pd.DataFrame(data.mood_points or [], columns=["turn", "mood"]),
            comment_turn: gr.update(
                choices=[(t("overall_note", lang), "overall")]
                + [
                    (
                        f"#{i + 1} {t('speaker_' + turn.role, lang)}: {turn.text[:40]}",
                        str(i),
                    )
                    for i, turn in enumerate(data.transcript.turns)
                ],
                value="overall",
            ),
            criterion: gr.update(choices=mentor.criterion_options(data, lang), value=None),
            delete_btn: gr.update(visible=data.session.get("source") == "import"),
        }
        if data.effective is None:
            updates[verdict] = ""
            updates[score_md] = (
                t("grading_failed_note", lang, detail=data.grading_failure)
                if data.grading_failure
                else t("not_graded_yet", lang)
            )
        else:
            library = services.content.snapshot().library
            card = ScorecardView(
                session_id=data.session["id"],
                effective=data.effective,
                rubric=library.rubric,
                persona=data.persona,
                case=data.case,
                case_titles=library.case_titles(),
            )
            updates[verdict] = verdict_badge(data.effective.report, lang)
            updates[score_md] = scorecard_markdown(card, lang)
        if data.current_content:  # played before snapshots: what is shown follows today's files
            updates[score_md] = f"ℹ️ {t('content_not_snapshotted', lang)}\n\n{updates[score_md]}"
        return updates

    def opened(sid: str | None) -> str:
        """The session on screen; the replay's id lives in this process's ``gr.State``, so after the
        proxy moved the page to another replica it is empty there and the mentor is told to open
        the session again (nothing is done to another session; what they typed stays)."""
        if not sid:
            raise AppError("replay_reopen")
        return sid

    # -- handlers ------------------------------------------------------------------------------

    def on_search(
        user: User,
        trainee_: str | None,
        persona_: str | None,
        case_: str | None,
        result: str | None,
        since: str,
        until: str,
        low: float | None,
        high: float | None,
        lang: Language,
    ) -> dict:
        try:
            updates = filter_choices(user, lang, (trainee_, persona_, case_), result)
            updates.update(search(user, [trainee_, persona_, case_, result, since, until, low, high], lang))
            return updates
        except Exception as exc:
            return {status: error_text(exc, lang)}

    def on_open(user: User, sid: str | None, lang: Language) -> dict:
        try:
            updates = show(user, sid, None, True, lang)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        updates[show_all] = True
        updates[status] = ""
        return updates

    def on_step(user: User, sid: str | None, at: int, everything: bool, delta: int, lang: Language) -> dict:
        try:
            updates = show(user, opened(sid), int(at or 1) - 1 + delta, everything and delta == 0, lang)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        if delta:
            updates[show_all] = False
        return updates

    def on_comment(
        user: User, sid: str | None, turn: str | None, text: str, visible: bool, at: int, lang: Language
    ) -> dict:
        try:
            where = None if turn in (None, "", "overall") else int(turn)
            mentor.add_comment(services, user, opened(sid), where, text, visible_to_trainee=bool(visible))
            updates = show(user, sid, None, True, lang)
        except Exception as exc:
            return {comment_status: error_text(exc, lang)}
        updates.update({comment_text: "", comment_status: f"✅ {t('comment_saved', lang)}", show_all: True})
        return updates

    def on_override(user: User, sid: str | None, crit: str | None, score: float, why: str, lang: Language) -> dict:
        try:
            mentor.override_score(services, user, opened(sid), crit, int(score) if score is not None else None, why)
            updates = show(user, sid, None, True, lang)
        except Exception as exc:
            return {override_status: error_text(exc, lang)}
        updates.update({reason: "", override_status: f"✅ {t('override_saved', lang)}", show_all: True})
        return updates

    def export(fmt: str) -> Any:
        def run(user: User, sid: str | None, lang: Language) -> dict:
            try:
                session_id = opened(sid)
                folder = new_export_folder(export_dir, user.name)
                path = mentor.export_report(services, user, session_id, fmt, lang, folder)  # type: ignore[arg-type]
            except Exception as exc:
                return {export_file: error_text(exc, lang)}
            saved = t("exported", lang, name=path.name, folder=str(path.parent))
            return {export_file: download_markdown(path, lang, saved)}

        return run

    def on_regrade(user: User, sid: str | None, lang: Language) -> dict:
        try:
            mentor.regrade(services, user, opened(sid))
            updates = show(user, sid, None, True, lang)
        except Exception as exc:
            return {export_file: error_text(exc, lang)}
        updates[export_file] = f"✅ {t('graded', lang)}"
        return updates

    def on_delete(user: User, sid: str | None, lang: Language) -> dict:
        # The role and the session's origin are checked in mentor.delete_import, not by the button.
        try:
            mentor.delete_import(services, user, opened(sid))
        except Exception as exc:
            return {status: error_text(exc, lang)}
        return {
            session_sid: None,
            replay: [],
            score_md: "",
            verdict: "",
            pick: gr.update(value=None),
            status: t("import_deleted", lang),
            delete_btn: gr.update(visible=False),
        }

    def on_import(user: User, path: str | None, pasted: str, owner: str, lang: Language) -> dict:
        try:
            if path:
                text = Path(path).read_text(encoding="utf-8")
            elif (pasted or "").strip():
                text = pasted
            else:
                return {status: error_text(ValueError(t("import_nothing", lang)), lang)}
            session_id, _ = mentor.import_transcript(services, user, text, owner, lang)
            updates = show(user, session_id, None, True, lang)
        except Exception as exc:
            return {status: error_text(exc, lang)}
        updates.update(
            {status: t("imported", lang), pick: gr.update(choices=[(session_id, session_id)], value=session_id)}
        )
        return updates

    # -- wiring --------------------------------------------------------------------------------

    replay_outputs = [session_sid, replay, step, mood, comment_turn, criterion, verdict, score_md, show_all, status]
    replay_outputs.append(delete_btn)
    search_outputs = [table, pick, status, f_trainee, f_persona, f_case, f_result]
    # Every event needs the mentor role (see guard.py).
    on = functools.partial(ctx.on, role="mentor")
    on(search_btn.click, on_search, [*filter_inputs, lang_state], search_outputs, api_name="find_sessions")
    on(tab.select, on_search, [*filter_inputs, lang_state], search_outputs, api_visibility="private")
    on(open_btn.click, on_open, [pick, lang_state], replay_outputs, api_name="open_session")
    on(pick.input, on_open, [pick, lang_state], replay_outputs, api_visibility="private")

    def stepper(delta: int) -> Any:
        def replay_step(user: User, sid: str | None, at: int, everything: bool, lang: Language) -> dict:
            return on_step(user, sid, at, everything, delta, lang)

        return replay_step

    step_inputs = [session_sid, step, show_all, lang_state]
    on(prev_btn.click, stepper(-1), step_inputs, replay_outputs, api_visibility="private")
    on(next_btn.click, stepper(+1), step_inputs, replay_outputs, api_visibility="private")
    on(step.release, stepper(0), [session_sid, step, not_all, lang_state], replay_outputs, api_name="replay_step")
    on(show_all.input, stepper(0), step_inputs, replay_outputs, api_visibility="private")
    on(
        comment_btn.click,
        on_comment,
        [session_sid, comment_turn, comment_text, comment_visible, step, lang_state],
        [*replay_outputs, comment_text, comment_status],
        api_name="add_comment",
    )
    on(
        override_btn.click,
        on_override,
        [session_sid, criterion, new_score, reason, lang_state],
        [*replay_outputs, reason, override_status],
        api_name="override_score",
    )
    on(export_html.click, export("html"), [session_sid, lang_state], [export_file], api_name="export_html")
    on(export_md.click, export("md"), [session_sid, lang_state], [export_file], api_name="export_markdown")
    on(regrade_btn.click, on_regrade, [session_sid, lang_state], [*replay_outputs, export_file], api_name="regrade")
    on(
        delete_btn.click,
        on_delete,
        [session_sid, lang_state],
        [session_sid, replay, score_md, verdict, pick, status, delete_btn],
        api_name="delete_import",
    )
    on(
        import_btn.click,
        on_import,
        [import_file, import_text, import_owner, lang_state],
        [*replay_outputs, pick],
        api_name="import_transcript",
    )

    def on_load(user: User, lang: Language) -> dict:
        return filter_choices(user, lang)

    ctx.on_load("mentor", on_load, [f_trainee, f_persona, f_case, f_result])
    ctx.on_language("mentor", on_search, [*filter_inputs, lang_state], search_outputs)
    return tab
