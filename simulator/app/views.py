"""Markdown and HTML snippets the app shows, built from plain data (no Gradio here).

Every function is pure and takes the UI language; text that comes from content or users is
escaped where it lands in HTML.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from simulator.app.i18n import label, t
from simulator.app.scorecards import ScorecardView
from simulator.content import Library
from simulator.content_problems import ContentProblem
from simulator.grading.scorecard import render_scorecard
from simulator.markdown_text import inert
from simulator.models import Case, GradeReport, Language, Persona, TraineeView
from simulator.mood_scale import mood_band, mood_legend, mood_text

MENTOR_COLUMNS = ("id", "started", "trainee", "persona", "case", "status", "outcome", "total", "result")
TRAINEE_COLUMNS = ("started", "persona", "case", "status", "outcome", "total", "result")


def session_frame(rows: list[dict[str, Any]], columns: tuple[str, ...], lang: Language) -> pd.DataFrame:
    """Session rows as a table with translated headers (headers shown even when empty)."""
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))
    if "id" in columns:
        frame["id"] = frame["id"].astype(str).str[:8]
    return frame.rename(columns=lambda c: t(f"col_{c}", lang))


def trend_svg(trend: list[dict[str, Any]], library: Library, lang: Language) -> str:
    """The score trend as an inline SVG: one dot per attempt joined by a line, and the pass mark.

    Drawn here rather than with ``gr.LinePlot``, which draws lines only: a trainee's first attempt
    (one point) would be an empty chart. Axis titles and the pass-mark label are in ``lang``.
    """
    title = f'<div class="drill-chart-title">{_e(t("score_trend", lang))}</div>'
    points = [(int(p["attempt"]), float(p["total"])) for p in trend or [] if p.get("total") is not None]
    if not points:
        return f'{title}<p class="drill-chart-empty">{_e(t("trend_empty", lang))}</p>'
    width, height, left, right, top, bottom = 560, 240, 44, 16, 12, 40
    first, last = points[0][0], max(points[-1][0], points[0][0] + 1)

    def x(attempt: float) -> float:
        return left + (width - left - right) * (attempt - first) / (last - first)

    def y(total: float) -> float:
        return top + (height - top - bottom) * (1 - total / 100)

    parts = [
        f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>'
        f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#6b7280">{v}</text>'
        for v in range(0, 101, 20)
    ]
    ticks = sorted({attempt for attempt, _ in points} | {first, last})
    parts += [
        f'<text x="{x(a):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" fill="#6b7280">{a}</text>'
        for a in ticks
    ]
    if library.rubric is not None:
        mark = library.rubric.pass_mark
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(mark):.1f}" y2="{y(mark):.1f}" stroke="#dc2626" '
            f'stroke-dasharray="6 4"/><text x="{width - right}" y="{y(mark) - 5:.1f}" text-anchor="end" '
            f'font-size="11" fill="#dc2626">{_e(t("series_pass_mark", lang, mark=f"{mark:g}"))}</text>'
        )
    path = " ".join(f"{x(a):.1f},{y(v):.1f}" for a, v in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#4f46e5" stroke-width="2"/>')
    parts += [
        f'<circle cx="{x(a):.1f}" cy="{y(v):.1f}" r="4.5" fill="#4f46e5">'
        f"<title>{_e(t('attempt', lang))} {a}: {v:g}</title></circle>"
        for a, v in points
    ]
    parts.append(
        f'<text x="{(left + width - right) / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="12" '
        f'fill="#374151">{_e(t("trend_x_title", lang))}</text>'
    )
    return (
        f'{title}<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_e(t("score_trend", lang))}">{"".join(parts)}</svg>'
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


# ---------------------------------------------------------------------------------------------
# Trainee


def scenario_card(persona: TraineeView | None, case: TraineeView | None, lang: Language) -> str:
    """The scenario card: what an agent would know before picking up (never hidden facts).

    Built from the trainee views only (``TRAINEE_FIELDS``): the case brief, industry, channel and
    how the drill starts, product, category, difficulty and the type of customer — not the
    customer's situation, identity, hidden facts or wants, nor the policy and agent systems (those
    are the answer key, like the resolutions).
    """
    if case is None:
        return t("card_empty", lang)
    lines = [
        f"### 🎫 {inert(case.title)}",
        "",
        f"**{t('industry', lang)}**: {label('industry', case.industry.value, lang)} · "
        f"**{t('channel', lang)}**: {label('channel', case.channel, lang)} · "
        f"**{t('start', lang)}**: {label('start', case.start, lang)}",
        "",
        f"**{t('category', lang)}**: {label('category', case.category.value, lang)} · "
        f"**{t('difficulty', lang)}**: {label('difficulty', case.difficulty, lang)} · "
        f"**{t('language', lang)}**: {label('language', case.language, lang)}",
        "",
        f"**{t('product', lang)}**: {inert(case.product)}",
        "",
        f"**{t('brief', lang)}**: {inert(case.brief)}",
    ]
    if persona is not None:
        lines += [
            "",
            f"**{t('customer', lang)}**: {inert(persona.label.get(case.language))}",
        ]
    return "\n".join(lines)


def patience_meter(mood: int | None, lang: Language, *, outcome: str | None = None) -> str:
    """An HTML calm-to-angry bar of the customer's mood (0-10, 10 = furious), with its legend."""
    if mood is None:
        return f'<div class="drill-meter drill-meter-empty">{_e(t("patience_unknown", lang))}</div>'
    mood = max(0, min(10, mood))
    band = mood_band(mood)
    # the same bands as the words: calm (green), annoyed (amber), angry or furious (red)
    colour = {"mood_calm": "#16a34a", "mood_annoyed": "#d97706"}.get(band, "#dc2626")
    ended = f" · {_e(label('outcome', outcome, lang))}" if outcome else ""
    return (
        f'<div class="drill-meter" role="meter" aria-valuemin="0" aria-valuemax="10" aria-valuenow="{mood}" '
        f'aria-valuetext="{_e(mood_text(mood, lang))}">'
        f'<div class="drill-meter-label"><b>{_e(t("patience", lang))}</b> {mood}/10 · {_e(t(band, lang))}{ended}</div>'
        f'<div class="drill-meter-track"><div class="drill-meter-fill" style="width:{mood * 10}%;'
        f'background:{colour}"></div></div>'
        f'<div class="drill-meter-legend"><small>{_e(mood_legend(lang))}</small></div></div>'
    )


def verdict_badge(report: GradeReport, lang: Language) -> str:
    """Big total and a pass/fail/incomplete/unsupported pill."""
    if report.total is not None and report.passed is None and report.unsupported:
        return (
            f'<div class="drill-verdict"><span class="drill-total">{report.total:g}</span>'
            '<span class="drill-of">/100</span>'
            f'<span class="drill-pill drill-incomplete">{_e(t("verdict_unsupported", lang))}</span>'
            f'<div class="drill-sub">{_e(t("unsupported_explained", lang))}</div></div>'
        )
    if report.total is None or report.passed is None:
        return (
            f'<div class="drill-verdict"><span class="drill-total">—</span>'
            f'<span class="drill-pill drill-incomplete">{_e(t("verdict_incomplete", lang))}</span>'
            f'<div class="drill-sub">{_e(t("incomplete_explained", lang))}</div></div>'
        )
    css = "drill-pass" if report.passed else "drill-fail"
    word = t("verdict_pass", lang) if report.passed else t("verdict_fail", lang)
    if report.critical_errors:
        word = t("scorecard.red_line_failed", lang)
    return (
        f'<div class="drill-verdict"><span class="drill-total">{report.total:g}</span>'
        '<span class="drill-of">/100</span>'
        f'<span class="drill-pill {css}">{_e(word)}</span>'
        f'<div class="drill-sub">{_e(t("pass_mark", lang))} {report.pass_mark:g}</div></div>'
    )


def scorecard_markdown(view: ScorecardView, lang: Language) -> str:
    """The scorecard in ``lang`` (labels; the grader's words stay in the session's language), with
    mentor overrides and the persona's coaching tips; the verdict badge above shows the total."""
    effective = view.effective
    text = render_scorecard(
        effective.report,
        lang,
        view.rubric,
        overrides=effective.overrides,
        case_titles=view.case_titles,
        header=False,
    )
    if view.persona is not None:
        session_lang = effective.report.language
        tips = view.persona.coaching_tips.get(session_lang)
        text += f"\n## {t('coaching_tips', lang)} — {view.persona.label.get(session_lang)}\n" + "\n".join(
            f"- {tip}" for tip in tips
        )
    return text


# ---------------------------------------------------------------------------------------------
# Header


def engine_banner(
    customer_engine: str, grader_engine: str, description: str, lang: Language, *, show_setup: bool = False
) -> str:
    """Which engines run; for trainers, how to switch to an LLM, folded away under "Setup"."""
    text = (
        f"**{t('customer_engine', lang)}**: {label('engine', customer_engine, lang)} · "
        f"**{t('grader_engine', lang)}**: {label('engine', grader_engine, lang)}"
    )
    if customer_engine != "offline":
        return text + f" · <small>{_e(description)}</small>"
    if not show_setup:
        return text
    return text + f"\n\n<details><summary>{t('setup', lang)}</summary>\n\n{t('how_to_llm', lang)}\n\n</details>"


def user_banner(
    name: str, roles: list[str], local_mode: bool, users_file: str, lang: Language, *, show_setup: bool = False
) -> str:
    """Who is signed in, or the single-user local mode notice (its how-to folded away, for trainers)."""
    if local_mode:
        if not show_setup:
            return f"🔓 {t('local_mode_short', lang)}"
        return (
            f"<details><summary>🔓 {t('local_mode_short', lang)}</summary>\n\n"
            f"{t('local_mode', lang, path=users_file)}\n\n</details>"
        )
    role_names = ", ".join(label("role", role, lang) for role in sorted(roles))
    # Gradio serves /logout when the app has a login; relative, so it also works behind a proxy path.
    return f"👤 {t('signed_in_as', lang, name=name, roles=role_names)} · [{t('sign_out', lang)}](logout)"


# ---------------------------------------------------------------------------------------------
# Trainer


def problems_markdown(problems: list[ContentProblem], text: str, lang: Language) -> str:
    """Validation problems with their line numbers and the offending line quoted."""
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        lines = [f"❌ **{t('yaml_problems', lang, count=len(errors))}**", ""]
    else:
        lines = [f"✅ {t('yaml_valid', lang)}", ""]
    if not problems:
        return lines[0]
    source = (text or "").splitlines()
    for problem in problems:
        mark = "" if problem.is_error else f"⚠️ {t('warning', lang)}: "
        lines.append(f"- **{t('line_col', lang, line=problem.line, col=problem.col)}** — {mark}{problem.text(lang)}")
        if 1 <= problem.line <= len(source) and source[problem.line - 1].strip():
            lines.append(f"  `{problem.line:>3} | {source[problem.line - 1].rstrip()[:120].replace('`', chr(39))}`")
    return "\n".join(lines)


def persona_detail(persona: Persona, lang: Language) -> str:
    """Everything about a persona, for trainers."""
    temper = persona.temperament
    reactions = ", ".join(f"{act}: {delta:+d}" for act, delta in temper.mood_reactions.items()) or "—"
    return "\n".join(
        [
            f"### {persona.label.get(lang)} (`{persona.id}`)",
            f"{label('archetype', persona.archetype, lang)} · {label('difficulty', persona.difficulty, lang)} · "
            f"{', '.join(persona.languages)}",
            f"**{t('fits', lang)}**: {', '.join(label('gender', g, lang) for g in persona.fits.genders)} · "
            f"{', '.join(persona.fits.age_ranges)} · "
            f"{', '.join(label('relation', r, lang) for r in persona.fits.relations)}",
            "",
            persona.portrait.get(lang),
            "",
            f"**{t('starting_mood', lang)}**: {temper.starting_mood}/10 ({mood_legend(lang)}) · "
            f"**{t('patience_turns', lang)}**: {temper.patience}",
            f"**{t('angered_by', lang)}**: {'; '.join(temper.angered_by.get(lang))}",
            f"**{t('calmed_by', lang)}**: {'; '.join(temper.calmed_by.get(lang))}",
            f"**{t('mood_reactions', lang)}**: {reactions}",
            f"**{t('behaviours', lang)}**: {', '.join(b.value for b in persona.behaviours) or '—'}",
            f"**{t('tone', lang)}**: {persona.speech.tone.get(lang)}",
            "",
            f"**{t('sample_lines', lang)}**:",
            *[f"> {line}" for line in persona.speech.sample_lines.get(lang)],
            "",
            f"**{t('satisfied_when', lang)}**: {'; '.join(persona.satisfied_when.get(lang))}",
            "",
            f"**{t('coaching_tips', lang)}**:",
            *[f"- {tip}" for tip in persona.coaching_tips.get(lang)],
        ]
    )


def case_detail(case: Case, lang: Language) -> str:
    """Everything about a case, hidden facts included (trainers only)."""
    facts = [
        f"- `{f.key}` {f.label}: **{f.value}**{'' if f.required else ' (' + t('optional', lang) + ')'}"
        for f in case.hidden_facts
    ]
    customer = case.customer
    systems = case.agent_systems
    ok = [f"- ✅ {r.description}" for r in case.acceptable_resolutions]
    bad = [f"- ❌ {r.description}" for r in case.customer_refuses]
    phrasing = [f"- *{p.stage.value}*: {p.text}" for p in case.recommended_phrasing]
    return "\n".join(
        [
            f"### {case.title} (`{case.id}`)",
            f"{label('category', case.category.value, lang)} · {label('industry', case.industry.value, lang)} · "
            f"{label('channel', case.channel, lang)} · {label('start', case.start, lang)} · "
            f"{label('difficulty', case.difficulty, lang)} · {case.language}",
            "",
            f"**{t('customer_identity', lang)}**: {customer.name} ({customer.address_as}) · "
            f"{label('gender', customer.gender.value, lang)} · {customer.age_range.value} · "
            f"{label('relation', customer.relation.value, lang)}",
            "",
            f"**{t('brief', lang)}**: {case.brief}",
            "",
            f"**{t('situation', lang)}**: {case.situation}",
            "",
            f"**{t('opening_line', lang)}**: “{case.opening_line}”",
            f"**{t('customer_wants', lang)}**: {case.customer_wants}",
            "",
            f"**{t('hidden_facts', lang)}**:",
            *facts,
            "",
            f"**{t('resolutions', lang)}**:",
            *ok,
            "",
            f"**{t('customer_refuses', lang)}**:",
            *(bad or ["- —"]),
            "",
            f"**{t('policy', lang)}**: " + "; ".join(case.policy.may_offer),
            f"**{t('must_not_promise', lang)}**: " + "; ".join(case.policy.must_not_promise),
            f"**{t('can_do', lang)}**: " + "; ".join(systems.can_do),
            f"**{t('can_look_up', lang)}**: " + "; ".join(systems.can_look_up),
            f"**{t('cannot_do', lang)}**: " + "; ".join(systems.cannot_do),
            "",
            f"**{t('expected_steps', lang)}**:",
            *[f"{i}. {step}" for i, step in enumerate(case.expected_steps, start=1)],
            "",
            f"**{t('recommended_phrasing', lang)}**:",
            *phrasing,
            "",
            f"**{t('forbidden_phrasing', lang)}**: " + "; ".join(case.forbidden_phrasing),
        ]
    )


def content_problems_note(library: Library, problems: list[ContentProblem], lang: Language) -> str:
    """A warning listing content files that do not load (empty when all is well); warnings left out."""
    problems = [problem for problem in problems if problem.is_error]
    if not problems:
        return t("library_summary", lang, personas=len(library.personas), cases=len(library.cases))
    shown = "\n".join(f"- `{problem}`" for problem in problems[:20])
    more = f"\n- … (+{len(problems) - 20})" if len(problems) > 20 else ""
    return f"⚠️ {t('content_problems', lang, count=len(problems))}\n\n{shown}{more}"
