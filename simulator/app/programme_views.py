"""Plain renderings of the training programme for the app: Markdown, choices and DataFrames.

No Gradio here, so the views are tested as text. Everything a person or a content file wrote is
escaped before it goes into Markdown (``md``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from simulator.app.i18n import label, t
from simulator.content import Library
from simulator.models import Language
from simulator.programme.assessment_views import CandidateView, ItemView
from simulator.programme.assignments import AssignmentStatus
from simulator.programme.quiz_attempts import AttemptView, QuestionView
from simulator.programme.ratings import RatingSummary
from simulator.programme.team_view import TeamView

#: The "no restriction" choice of the programme's dropdowns. Not a word of the message catalogue:
#: Gradio translates a component's first string value in the browser when it matches a catalogue
#: key, and an event sent before the page load re-sets it would then carry the translation.
ANY = "*"


def md(value: object) -> str:
    """Markdown-safe text on one line: no HTML, no emphasis, no links, no table breaks."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    for char in "\\`*_[]|#~":
        text = text.replace(char, "\\" + char)
    return text


def score_text(value: float | None) -> str:
    """A score for display (— when missing)."""
    return "—" if value is None else f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Quizzes


def option_choices(question: dict[str, object], lang: Language) -> list[tuple[str, str]]:
    """(label, value) of a question's options; true/false as two choices."""
    if question.get("type") == "true_false":
        return [(t("quiz_true", lang), "true"), (t("quiz_false", lang), "false")]
    options = question.get("options") or {}
    assert isinstance(options, dict)
    return [(f"{key.upper()}. {text}", key) for key, text in options.items()]


def quiz_header(view: AttemptView, index: int, lang: Language) -> str:
    """Where the trainee is: question n of N, answered, time left (exams), or the mark."""
    parts = [t("quiz_progress", lang, number=index + 1, total=view.total, answered=view.answered)]
    if view.mode == "exam" and view.status == "open" and view.seconds_left is not None:
        minutes, seconds = divmod(view.seconds_left, 60)
        parts.append(t("quiz_time_left", lang, time=f"{minutes:02d}:{seconds:02d}"))
    if view.status != "open":
        parts.append(t("quiz_marked", lang, score=score_text(view.score), correct=view.correct, total=view.total))
        if view.status == "expired":
            parts.append(t("quiz_expired_note", lang))
    return " · ".join(parts)


def question_markdown(shown: QuestionView, lang: Language) -> str:
    """The question as the trainee reads it (its prompt, and the customer's line for a best reply)."""
    question = shown.question
    kind = label("qtype", str(question.get("type")), lang)
    lines = [f"**{shown.number}.** {md(question.get('prompt', ''))}  _({md(kind)})_"]
    if question.get("customer_line"):
        lines += ["", f"> 🗣️ {md(question['customer_line'])}"]
    return "\n".join(lines)


def feedback_markdown(shown: QuestionView, lang: Language) -> str:
    """Right or wrong and the explanation, once the viewer may see them (else empty)."""
    if shown.explanation is None:
        return ""
    mark = t("quiz_right", lang) if shown.correct else t("quiz_wrong", lang)
    answer = ", ".join(key.upper() if len(key) == 1 else t(f"quiz_{key}", lang) for key in shown.answer or [])
    return f"{mark} · {t('quiz_answer_is', lang, answer=answer)}\n\n{md(shown.explanation)}"


def review_markdown(view: AttemptView, lang: Language) -> str:
    """Every question with the given and the right answer and the explanation (after hand-in)."""
    if not view.reviewed:
        return t("quiz_key_later", lang) if view.status != "open" else ""
    lines = [f"### {t('quiz_review', lang)}"]
    for shown in view.questions:
        given = ", ".join(_answer_label(key, lang) for key in shown.given) or t("quiz_unanswered", lang)
        lines += [
            "",
            question_markdown(shown, lang),
            "",
            f"{t('quiz_your_answer', lang, answer=given)} · {feedback_markdown(shown, lang)}",
        ]
    return "\n".join(lines)


def _answer_label(key: str, lang: Language) -> str:
    return key.upper() if len(key) == 1 else t(f"quiz_{key}", lang)


# ---------------------------------------------------------------------------------------------
# The assessment, trainee side


def assessment_markdown(view: CandidateView, lang: Language) -> str:
    """The trainee's overview: parts, weights, what is done, and the result once it is out."""
    policy = view.policy
    lines = [
        f"### {md(view.title)}",
        t(
            "assess_rules_short",
            lang,
            theory=f"{policy.assessment.theory_weight:g}",
            practical=f"{policy.assessment.practical_weight:g}",
            mark=f"{policy.assessment.pass_mark:g}",
            questions=policy.theory.questions,
            minutes=policy.theory.minutes,
            cards=policy.practical.cards,
        ),
        "",
    ]
    theory, practical = view.current("theory"), view.current("practical")
    lines.append(
        f"- **{label('part', 'theory', lang)}** ({_attempt_word(theory.number, lang)}): "
        f"{label('state', theory.state, lang)} · {t('report.col_score', lang)} {score_text(theory.score)}"
    )
    cards = [item for item in practical.items if item.kind == "card"]
    done = sum(1 for item in cards if item.state in ("graded", "ended"))
    lines.append(
        f"- **{label('part', 'practical', lang)}** ({_attempt_word(practical.number, lang)}): "
        f"{t('assess_cards_done', lang, done=done, total=len(cards))}"
    )
    if view.status == "closed" and view.result is not None:
        result = view.result
        verdict = t("report.passed", lang) if result.passed else t("report.failed", lang)
        lines += [
            "",
            f"**{t('report.total', lang)}: {score_text(result.total)} / 100 · {verdict}** "
            f"({label('part', 'theory', lang)} {score_text(result.theory)}, "
            f"{label('part', 'practical', lang)} {score_text(result.practical)})",
        ]
        if result.resit_allowed:
            parts = ", ".join(label("part", p, lang) for p in result.resit_allowed)
            lines.append(t("assess_resit_possible", lang, parts=parts))
    else:
        lines += ["", t("assess_result_later", lang)]
    return "\n".join(lines)


def _attempt_word(number: int, lang: Language) -> str:
    return t("report.first_attempt", lang) if number == 1 else t("report.resit", lang, number=number - 1)


def card_choices(view: CandidateView, library: Library, lang: Language) -> list[tuple[str, int]]:
    """(label, position) of the current practical attempt's cards (exam case titles only)."""
    choices = []
    for item in view.current("practical").items:
        if item.kind != "card":
            continue
        case = library.exam_cases.get(item.case_id or "")
        title = case.title if case else t("assess_card", lang, number=item.position)
        choices.append((f"{item.position}. {title} · {label('state', item.state, lang)}", item.position))
    return choices


def card_item(view: CandidateView, position: int) -> ItemView | None:
    """The current attempt's card at ``position``."""
    return next((i for i in view.current("practical").items if i.kind == "card" and i.position == position), None)


# ---------------------------------------------------------------------------------------------
# Assignments

ASSIGNMENT_COLUMNS = ("col_due", "col_item", "col_kind", "col_state", "col_best", "col_target", "col_overdue")


def assignments_frame(rows: Sequence[AssignmentStatus], lang: Language, *, with_trainee: bool = False) -> pd.DataFrame:
    """Assignments as a table, in ``lang``."""
    columns = (["col_trainee"] if with_trainee else []) + list(ASSIGNMENT_COLUMNS)
    data = [
        ([row.user_name] if with_trainee else [])
        + [
            row.due_on.isoformat(),
            row.title,
            label("kind", row.kind, lang),
            label("state", row.state, lang),
            score_text(row.best),
            f"{row.target:g}",
            "⚠️" if row.overdue else "",
        ]
        for row in rows
    ]
    return pd.DataFrame(data, columns=[t(f"prog.{c}", lang) for c in columns])


def assignment_choices(rows: Sequence[AssignmentStatus]) -> list[tuple[str, int]]:
    """(label, id) of assignments not yet done."""
    return [(f"{row.due_on} · {row.title}", row.id) for row in rows if row.state != "done"]


# ---------------------------------------------------------------------------------------------
# The team view


TEAM_COLUMNS = (
    "col_trainee",
    "col_team",
    "col_theory",
    "col_practical",
    "col_result",
    "col_drills",
    "col_mean",
    "col_trend",
    "col_weakest",
    "col_overdue",
)


def team_frame(view: TeamView, library: Library, lang: Language) -> pd.DataFrame:
    """One row per trainee."""
    data = [
        [
            row.display_name,
            row.team,
            score_text(row.theory),
            score_text(row.practical),
            label("result", row.result, lang) if row.result != "—" else "—",
            row.drills,
            score_text(row.mean_total),
            "—" if row.trend is None else f"{row.trend:+g}",
            ", ".join(criterion_name(library, c, lang) for c in row.weakest) or "—",
            row.overdue,
        ]
        for row in view.trainees
    ]
    return pd.DataFrame(data, columns=[t(f"prog.{c}", lang) for c in TEAM_COLUMNS])


def criterion_name(library: Library, criterion_id: str, lang: Language) -> str:
    """A rubric criterion's name in ``lang`` (the id when unknown)."""
    if library.rubric is None:
        return criterion_id
    try:
        return library.rubric.criterion(criterion_id).name.get(lang)
    except KeyError:
        return criterion_id


def weakest_frame(view: TeamView, library: Library, lang: Language) -> pd.DataFrame:
    """The team's criteria from weakest (chart data)."""
    return pd.DataFrame(
        [
            {"criterion": criterion_name(library, c.criterion_id, lang), "average": c.average}
            for c in view.weakest_criteria
        ],
        columns=["criterion", "average"],
    )


def weekly_frame(view: TeamView) -> pd.DataFrame:
    """The team's mean total per week (chart data)."""
    return pd.DataFrame([{"week": w.week, "mean": w.mean_total} for w in view.weekly], columns=["week", "mean"])


def best_markdown(view: TeamView, lang: Language) -> str:
    """The month's best performers with the rule that picked them."""
    rule = view.rule
    lines = [
        f"### 🏆 {t('prog.best_title', lang, month=view.month)}",
        t("prog.best_rule", lang, drills=rule.min_graded_drills),
    ]
    if not view.best_performers:
        lines += ["", t("prog.best_none", lang)]
    for rank, row in enumerate(view.best_performers, start=1):
        rate = "—" if row.pass_rate is None else f"{100 * row.pass_rate:.0f} %"
        lines.append(
            f"{rank}. **{md(row.display_name)}** · {t('prog.col_mean', lang)} {score_text(row.mean_total)} · "
            f"{t('prog.pass_rate', lang)} {rate} · {t('prog.col_drills', lang)} {row.drills}"
        )
    return "\n".join(lines)


def hardest_markdown(view: TeamView, lang: Language) -> str:
    """The month's hardest cases for the team."""
    if not view.hardest_cases:
        return t("prog.no_sessions", lang)
    lines = [f"**{t('prog.hardest', lang)}**", ""]
    lines += [
        f"- {md(c.title)}: {score_text(c.mean_total)} ({t('prog.sessions', lang, count=c.sessions)})"
        for c in view.hardest_cases
    ]
    return "\n".join(lines)


def ratings_summary_markdown(summary: RatingSummary, lang: Language) -> str:
    """The ratings taken together."""
    if summary.count == 0:
        return t("prog.no_ratings", lang)
    return t(
        "prog.ratings_summary",
        lang,
        count=summary.count,
        fair=score_text(summary.mean_fair),
        useful=score_text(summary.mean_useful),
        unfair=summary.found_unfair,
    )
