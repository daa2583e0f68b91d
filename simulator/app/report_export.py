"""A session report for the coaching talk: transcript, scorecard, overrides, comments.

Two renderings of the same :class:`ReportBundle`: Markdown (pastes into any wiki or chat) and a
self-contained HTML page (inline CSS and an inline SVG mood curve; no scripts, fonts or links to
fetch, so it opens offline and prints cleanly). All text from the session is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from simulator.app.i18n import t
from simulator.app.scoring import EffectiveReport
from simulator.grading.scorecard import render_scorecard
from simulator.markdown_text import inert
from simulator.models import GradeReport, Language, Rubric, Transcript


@dataclass(frozen=True)
class ReportBundle:
    """Everything a report shows. ``comments`` are objects with ``turn``, ``author``, ``text``, ``created_at``."""

    session: dict[str, Any]
    transcript: Transcript
    effective: EffectiveReport | None
    comments: list[Any]
    rubric: Rubric | None
    language: Language

    def criterion_name(self, criterion_id: str) -> str:
        """Display name of a criterion in the report language."""
        if self.rubric is not None:
            try:
                return self.rubric.criterion(criterion_id).name.get(self.language)
            except KeyError:
                pass
        return criterion_id

    def comments_on(self, turn: int | None) -> list[Any]:
        """Comments on turn ``turn`` (``None``: overall notes)."""
        return [c for c in self.comments if c.turn == turn]


def _scorecard_in(report: GradeReport, language: Language) -> GradeReport:
    # The scorecard renderer labels in the report's language; show it in the reader's.
    return report.model_copy(update={"language": language})


def _flat(text: str) -> str:
    return " ".join(text.split())


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


# ---------------------------------------------------------------------------------------------
# Markdown


def _meta(session: dict[str, Any]) -> list[tuple[str, str]]:
    """(label key, shown value) of the session facts both exports list first; a dash when empty."""
    keys = ("trainee", "persona", "case", "started", "outcome", "result")
    return [(f"col_{key}", "—" if session.get(key) in (None, "") else str(session.get(key))) for key in keys]


def _md(text: object) -> str:
    """One line of untrusted text for the Markdown report: no HTML, links or images."""
    return inert(_flat(str(text or "")))


def render_markdown(bundle: ReportBundle) -> str:
    """The report as Markdown."""
    lang = bundle.language
    s = bundle.session
    lines = [f"# {t('report_title', lang)}", ""]
    for key, value in _meta(s):
        lines.append(f"- **{t(key, lang)}**: {_md(value)}")
    lines.append("")

    overall = bundle.comments_on(None)
    if overall:
        lines.append(f"## {t('overall_notes', lang)}")
        lines.extend(f"- **{_md(c.author)}** ({_when(c.created_at)}): {_md(c.text)}" for c in overall)
        lines.append("")

    lines.append(f"## {t('transcript', lang)}")
    lines.append("")
    for index, turn in enumerate(bundle.transcript.turns):
        who = t(f"speaker_{turn.role}", lang)
        mood = f" · {t('mood', lang)} {turn.state.mood}/10" if turn.state else ""
        lines.append(f"**#{index} {who}**{mood}")
        lines.append("")
        lines.append("> " + "\n> ".join(inert(line) for line in turn.text.splitlines() or [""]))
        for comment in bundle.comments_on(index):
            lines.append(f"\n💬 *{_md(comment.author)}*: {_md(comment.text)}")
        lines.append("")

    if bundle.effective is None:
        lines.append(f"_{t('not_graded_yet', lang)}_")
        return "\n".join(lines) + "\n"

    card = render_scorecard(_scorecard_in(bundle.effective.report, lang), bundle.rubric)
    lines.append("#" + card)  # the scorecard's title becomes a section of this report
    if bundle.effective.overrides:
        lines.append(f"## {t('overrides', lang)}")
        lines.append("")
        lines.append(
            f"| {t('criterion', lang)} | {t('grader_score', lang)} | {t('mentor_score', lang)} | "
            f"{t('reason', lang)} | {t('by', lang)} |"
        )
        lines.append("|---|---|---|---|---|")
        for o in bundle.effective.overrides:
            original = f"{o.original_score}/5" if o.original_score is not None else "—"
            lines.append(
                f"| {bundle.criterion_name(o.criterion_id)} | {original} | {o.new_score}/5 | "
                f"{_md(o.reason).replace('|', '/')} | {_md(o.author)} {_when(o.created_at)} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
max-width:920px;margin:2rem auto;padding:0 1rem;color:#1f2937;line-height:1.55}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.3rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;color:#374151}
.meta dt{font-weight:600}.meta dd{margin:0}
.verdict{display:inline-block;padding:.35rem .8rem;border-radius:999px;font-weight:700;color:#fff}
.pass{background:#15803d}.fail{background:#b91c1c}.incomplete{background:#92400e}
.turn{margin:.6rem 0;padding:.6rem .8rem;border-radius:10px;max-width:78%}
.customer{background:#f3f4f6}.agent{background:#dbeafe;margin-left:auto}
.system{background:#fff;border:1px dashed #9ca3af;font-style:italic}
.who{font-size:.8rem;color:#6b7280}.comment{font-size:.85rem;color:#7c2d12;margin-top:.3rem}
.notes{font-size:.8rem;color:#374151;margin-top:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f9fafb}.orig{color:#6b7280;text-decoration:line-through;margin-right:.3rem}
blockquote{margin:.2rem 0 .2rem 1rem;color:#374151}
.sev-violation{color:#b91c1c}.sev-warning{color:#b45309}.sev-info{color:#6b7280}
@media print{.turn{break-inside:avoid}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def mood_svg(points: list[tuple[int, int]], width: int = 640, height: int = 160) -> str:
    """An inline SVG line of mood (0-10) per turn; empty string when there are no points."""
    if not points:
        return ""
    pad = 28
    max_turn = max(turn for turn, _ in points) or 1
    coords = [
        (pad + (width - 2 * pad) * turn / max_turn, height - pad - (height - 2 * pad) * mood / 10)
        for turn, mood in points
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#dc2626"/>' for x, y in coords)
    grid = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad - (height - 2 * pad) * m / 10:.1f}" '
        f'y2="{height - pad - (height - 2 * pad) * m / 10:.1f}" stroke="#e5e7eb"/>'
        f'<text x="4" y="{height - pad - (height - 2 * pad) * m / 10 + 4:.1f}" font-size="10" fill="#6b7280">{m}</text>'
        for m in (0, 5, 10)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{grid}<polyline points="{path}" fill="none" stroke="#dc2626" stroke-width="2"/>{dots}</svg>'
    )


def _verdict_html(report: GradeReport, lang: Language) -> str:
    if report.total is None or report.passed is None:
        return f'<span class="verdict incomplete">{_e(t("verdict_incomplete", lang))}</span>'
    css = "pass" if report.passed else "fail"
    word = t("verdict_pass", lang) if report.passed else t("verdict_fail", lang)
    return f'<span class="verdict {css}">{report.total:g}/100 · {_e(word)}</span>'


def _scorecard_html(bundle: ReportBundle) -> list[str]:
    lang = bundle.language
    effective = bundle.effective
    assert effective is not None
    report = effective.report
    overridden = effective.overridden
    parts = [
        f"<h2>{_e(t('scorecard', lang))}</h2>",
        f"<p>{_verdict_html(report, lang)} <small>{_e(t('pass_mark', lang))} {report.pass_mark:g}</small></p>",
    ]
    parts.append(
        f"<table><tr><th>{_e(t('criterion', lang))}</th><th>{_e(t('weight', lang))}</th>"
        f"<th>{_e(t('score', lang))}</th><th>{_e(t('evidence', lang))}</th><th>{_e(t('try_instead', lang))}</th></tr>"
    )
    for score in report.criteria:
        weight = ""
        if bundle.rubric is not None:
            try:
                weight = str(bundle.rubric.criterion(score.id).weight)
            except KeyError:
                weight = ""
        shown = f"{score.score}/5" if score.score is not None else _e(t("unscored", lang))
        if score.id in overridden:
            o = overridden[score.id]
            original = f"{o.original_score}/5" if o.original_score is not None else "—"
            note = f"{_e(t('mentor_score', lang))}: {_e(o.reason)} — {_e(o.author)}"
            shown = f'<span class="orig">{original}</span>{shown}<br><small>{note}</small>'
        elif score.unscored_reason:
            shown += f"<br><small>{_e(score.unscored_reason)}</small>"
        evidence = "".join(f"<blockquote>#{ev.turn} “{_e(ev.quote)}”</blockquote>" for ev in score.evidence)
        if score.rationale:
            evidence += f"<div><small>{_e(score.rationale)}</small></div>"
        suggestion = _e(score.suggestion)
        if score.suggestion and score.suggestion_case_id:
            suggestion += f"<br><small>{_e(t('from_case', lang))} <code>{_e(score.suggestion_case_id)}</code></small>"
        parts.append(
            f"<tr><td>{_e(bundle.criterion_name(score.id))}</td><td>{weight}</td><td>{shown}</td>"
            f"<td>{evidence}</td><td>{suggestion}</td></tr>"
        )
    parts.append("</table>")
    parts.append(f"<h2>{_e(t('findings', lang))}</h2>")
    if report.findings:
        parts.append("<ul>")
        for f in report.findings:
            where = f"#{f.turn}" if f.turn is not None else _e(t("whole_conversation", lang))
            quote = f" — “{_e(f.quote)}”" if f.quote else ""
            parts.append(
                f'<li><span class="sev-{_e(f.severity)}">{_e(t("severity_" + f.severity, lang))}</span> '
                f"<code>{_e(f.rule)}</code> ({where}){quote}: {_e(f.message)}</li>"
            )
        parts.append("</ul>")
    else:
        parts.append(f"<p>{_e(t('no_findings', lang))}</p>")
    if effective.overrides:
        parts.append(
            f"<h2>{_e(t('overrides', lang))}</h2><table><tr><th>{_e(t('criterion', lang))}</th>"
            f"<th>{_e(t('grader_score', lang))}</th><th>{_e(t('mentor_score', lang))}</th>"
            f"<th>{_e(t('reason', lang))}</th><th>{_e(t('by', lang))}</th></tr>"
        )
        for o in effective.overrides:
            original = f"{o.original_score}/5" if o.original_score is not None else "—"
            parts.append(
                f"<tr><td>{_e(bundle.criterion_name(o.criterion_id))}</td><td>{original}</td><td>{o.new_score}/5</td>"
                f"<td>{_e(o.reason)}</td><td>{_e(o.author)} {_e(_when(o.created_at))}</td></tr>"
            )
        parts.append("</table>")
    grader = report.grader
    parts.append(
        f"<p><small>{_e(t('grader', lang))}: {_e(grader.engine)}{(' · ' + _e(grader.model)) if grader.model else ''}"
        f" · {_e(t('rubric_version', lang))} {_e(grader.rubric_version)}"
        f"{(' · ' + _e(t('references', lang)) + ': ' + _e(', '.join(report.references))) if report.references else ''}"
        "</small></p>"
    )
    return parts


def render_html(bundle: ReportBundle) -> str:
    """The report as one self-contained HTML page."""
    lang = bundle.language
    s = bundle.session
    title = f"{t('report_title', lang)} — {s.get('trainee', '')} — {s.get('case', '')}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}"><head><meta charset="utf-8"><title>{_e(title)}</title>',
        # Opened from a download folder or a mail: nothing in it may run or load anything.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(t('report_title', lang))}</h1>",
        '<dl class="meta">',
    ]
    for key, value in _meta(s):
        parts.append(f"<dt>{_e(t(key, lang))}</dt><dd>{_e(value)}</dd>")
    parts.append("</dl>")
    if bundle.effective is not None:
        report = bundle.effective.report
        parts.append(f"<p>{_verdict_html(report, lang)}</p>")

    overall = bundle.comments_on(None)
    if overall:
        parts.append(f"<h2>{_e(t('overall_notes', lang))}</h2><ul>")
        parts.extend(f"<li><b>{_e(c.author)}</b> ({_e(_when(c.created_at))}): {_e(c.text)}</li>" for c in overall)
        parts.append("</ul>")

    points = [(i, turn.state.mood) for i, turn in enumerate(bundle.transcript.turns) if turn.state is not None]
    if points:
        parts.append(f"<h2>{_e(t('mood_curve', lang))}</h2>{mood_svg(points)}")

    parts.append(f"<h2>{_e(t('transcript', lang))}</h2>")
    annotations = {a.turn: a for a in bundle.effective.report.annotations} if bundle.effective else {}
    for index, turn in enumerate(bundle.transcript.turns):
        css = turn.role
        who = t(f"speaker_{turn.role}", lang)
        mood = f" · {_e(t('mood', lang))} {turn.state.mood}/10" if turn.state else ""
        text = _e(turn.text).replace("\n", "<br>")
        notes = ""
        annotation = annotations.get(index)
        if annotation is not None and (annotation.helped or annotation.hurt or annotation.findings):
            bits = []
            if annotation.helped:
                bits.append("✅ " + _e(", ".join(bundle.criterion_name(c) for c in annotation.helped)))
            if annotation.hurt:
                bits.append("⚠️ " + _e(", ".join(bundle.criterion_name(c) for c in annotation.hurt)))
            if annotation.findings:
                bits.append("🔎 " + _e(", ".join(annotation.findings)))
            notes = f'<div class="notes">{" · ".join(bits)}</div>'
        comments = "".join(
            f'<div class="comment">💬 {_e(c.author)}: {_e(c.text)}</div>' for c in bundle.comments_on(index)
        )
        parts.append(
            f'<div class="turn {css}"><div class="who">#{index} {_e(who)}{mood}</div>{text}{notes}{comments}</div>'
        )

    if bundle.effective is not None:
        parts.extend(_scorecard_html(bundle))
    else:
        parts.append(f"<p><i>{_e(t('not_graded_yet', lang))}</i></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
