"""An assessment report for one trainee, in Markdown or self-contained HTML, in zh-CN or English.

Like the session report, it is for the coaching talk and the file: the result and how it was
reached (each attempt at each part, every card and real chat with its score, the rules in force).
Everything that came from people or content (titles, names) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Literal

from simulator.app.i18n import label, t
from simulator.content import Library
from simulator.models import Language
from simulator.programme.assessment_views import CandidateView, ItemView, PartAttemptView
from simulator.programme.results import AssessmentResult

Format = Literal["md", "html"]


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _verdict(result: AssessmentResult | None, lang: Language) -> str:
    if result is None or result.passed is None:
        return t("report.incomplete", lang)
    return t("report.passed", lang) if result.passed else t("report.failed", lang)


def _item_name(item: ItemView, library: Library, lang: Language) -> str:
    cases = {**library.cases, **library.exam_cases}
    if item.kind == "card" and item.case_id:
        case = cases.get(item.case_id)
        return case.title if case else item.case_id
    return t("report.real_chat", lang, session=(item.session_id or "")[:8])


def _persona_name(item: ItemView, library: Library, lang: Language) -> str:
    persona = library.personas.get(item.persona_id or "")
    return persona.label.get(lang) if persona else "—"


Section = tuple[str, list[str], list[list[str]]]


def _sections(view: CandidateView, library: Library, lang: Language) -> Iterable[Section]:
    """(title, column headers, rows) for the theory attempts and each practical attempt."""
    theory = [a for a in view.attempts if a.part == "theory"]
    yield (
        t("report.theory", lang, weight=f"{view.policy.assessment.theory_weight:g}"),
        [t(f"report.col_{name}", lang) for name in ("attempt", "state", "score")],
        [[_attempt_name(a, lang), label("state", a.state, lang), _score(a.score)] for a in theory],
    )
    headers = [t(f"report.col_{name}", lang) for name in ("item", "scenario", "customer", "state", "score")]
    for attempt in (a for a in view.attempts if a.part == "practical"):
        rows = [
            [
                f"{label('kind', item.kind, lang)} {item.position}",
                _item_name(item, library, lang),
                _persona_name(item, library, lang) if item.kind == "card" else "—",
                label("state", item.state, lang),
                _score(item.score),
            ]
            for item in attempt.items
        ]
        rows.append(
            [t("report.practical_score", lang), "", "", label("state", attempt.state, lang), _score(attempt.score)]
        )
        weight = f"{view.policy.assessment.practical_weight:g}"
        yield (f"{t('report.practical', lang, weight=weight)} · {_attempt_name(attempt, lang)}", headers, rows)


def _attempt_name(attempt: PartAttemptView, lang: Language) -> str:
    return (
        t("report.first_attempt", lang) if attempt.number == 1 else t("report.resit", lang, number=attempt.number - 1)
    )


def _rules(view: CandidateView, lang: Language) -> str:
    a, p = view.policy.assessment, view.policy
    own = t("report.own_mark", lang, mark=_score(a.theory_pass_mark)) if a.theory_pass_mark is not None else ""
    return t(
        "report.rules",
        lang,
        theory=f"{a.theory_weight:g}",
        practical=f"{a.practical_weight:g}",
        mark=f"{a.pass_mark:g}",
        own=own,
        resits=a.resits,
        questions=p.theory.questions,
        minutes=p.theory.minutes,
        cards=p.practical.cards,
        low=p.practical.real_chats_min,
        high=p.practical.real_chats_max,
        chat_share=f"{p.practical.real_chat_weight:g}",
    )


def _summary(view: CandidateView, lang: Language) -> list[tuple[str, str]]:
    result = view.result
    parts = ", ".join(label("part", part, lang) for part in (result.failed_parts if result else []))
    resits = ", ".join(label("part", part, lang) for part in (result.resit_allowed if result else []))
    return [
        (t("report.trainee", lang), view.user_name),
        (t("report.status", lang), label("state", view.status, lang)),
        (t("report.total", lang), f"{_score(result.total if result else None)} / 100"),
        (t("report.verdict", lang), _verdict(result, lang)),
        (t("report.failed_parts", lang), parts or "—"),
        (t("report.resits_open", lang), resits or "—"),
        (t("report.created", lang), f"{view.created_by} · {view.created_at:%Y-%m-%d %H:%M}"),
    ]


def render_markdown(view: CandidateView, library: Library, lang: Language) -> str:
    """The report as Markdown (text from people and content escaped)."""
    lines = [f"# {_md(view.title)} · {_md(view.user_name)}", ""]
    lines += [f"- **{_md(key)}**: {_md(value)}" for key, value in _summary(view, lang)]
    for title, headers, rows in _sections(view, library, lang):
        lines += ["", f"## {_md(title)}", ""]
        lines += ["| " + " | ".join(_md(h) for h in headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    lines += ["", f"_{_md(_rules(view, lang))}_", ""]
    return "\n".join(lines)


def render_html(view: CandidateView, library: Library, lang: Language) -> str:
    """The report as one self-contained HTML page (no scripts, nothing fetched)."""
    e = html.escape
    verdict_class = "pass" if view.result and view.result.passed else "fail" if view.result else "open"
    parts = [
        "<!doctype html>",
        f'<html lang="{e(lang)}"><head><meta charset="utf-8">',
        f"<title>{e(view.title)} · {e(view.user_name)}</title>",
        "<style>body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:960px;margin:2rem auto;"
        "padding:0 1rem;color:#1f2937}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
        "td,th{border:1px solid #d1d5db;padding:.35rem .6rem;text-align:left}.pass{color:#15803d}"
        ".fail{color:#b91c1c}.open{color:#92400e}.rules{color:#6b7280;font-size:.9rem}</style></head><body>",
        f"<h1>{e(view.title)} · {e(view.user_name)}</h1>",
        "<table>",
    ]
    for key, value in _summary(view, lang):
        css = f' class="{verdict_class}"' if key == t("report.verdict", lang) else ""
        parts.append(f"<tr><th>{e(key)}</th><td{css}>{e(value)}</td></tr>")
    parts.append("</table>")
    for title, headers, rows in _sections(view, library, lang):
        parts.append(f"<h2>{e(title)}</h2><table>")
        parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in rows]
        parts.append("</table>")
    parts.append(f'<p class="rules">{e(_rules(view, lang))}</p></body></html>')
    return "\n".join(parts) + "\n"


def render(view: CandidateView, library: Library, lang: Language, fmt: Format) -> str:
    """The report in ``fmt``."""
    return render_html(view, library, lang) if fmt == "html" else render_markdown(view, library, lang)


def _md(value: object) -> str:
    """Markdown-safe: no HTML, no table breaks, one line."""
    text = " ".join(str(value).split())
    return html.escape(text).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")
