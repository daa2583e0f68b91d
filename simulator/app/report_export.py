"""A session report for the coaching talk: transcript, scorecard, overrides, comments.

Two renderings of the same :class:`ReportBundle`: Markdown (pastes into any wiki or chat) and a
self-contained HTML page (inline CSS and an inline SVG mood curve; no scripts, fonts or links to
fetch, so it opens offline and prints cleanly). All text from the session is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from simulator.app.i18n import t
from simulator.app.scoring import EffectiveReport
from simulator.grading.scorecard import display_turn, render_scorecard, render_scorecard_html
from simulator.markdown_text import inert
from simulator.models import GradeReport, Language, Rubric, Transcript
from simulator.mood_scale import mood_text


@dataclass(frozen=True)
class ReportBundle:
    """Everything a report shows. ``comments`` are objects with ``turn``, ``author``, ``text``, ``created_at``."""

    session: dict[str, Any]
    transcript: Transcript
    effective: EffectiveReport | None
    comments: list[Any]
    rubric: Rubric | None
    language: Language
    #: Case id -> title, so reference cases are named, not shown as ids.
    case_titles: dict[str, str] = field(default_factory=dict)

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
        mood = f" · {mood_text(turn.state.mood, lang)}" if turn.state else ""
        lines.append(f"**#{display_turn(index)} {who}**{mood}")
        lines.append("")
        lines.append("> " + "\n> ".join(inert(line) for line in turn.text.splitlines() or [""]))
        for comment in bundle.comments_on(index):
            lines.append(f"\n💬 *{_md(comment.author)}*: {_md(comment.text)}")
        lines.append("")

    if bundle.effective is None:
        lines.append(f"_{t('not_graded_yet', lang)}_")
        return "\n".join(lines) + "\n"

    effective = bundle.effective
    card = render_scorecard(
        effective.report, lang, bundle.rubric, overrides=effective.overrides, case_titles=bundle.case_titles
    )
    # the scorecard's headings become sections of this report, one level down
    lines.extend("#" + line if line.startswith("#") else line for line in card.splitlines())
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
    if report.critical_errors:
        word = t("scorecard.red_line_failed", lang)
    return f'<span class="verdict {css}">{report.total:g}/100 · {_e(word)}</span>'


def _scorecard_html(bundle: ReportBundle) -> list[str]:
    effective = bundle.effective
    assert effective is not None
    card = render_scorecard_html(
        effective.report, bundle.language, bundle.rubric, overrides=effective.overrides, case_titles=bundle.case_titles
    )
    # the scorecard's title becomes a section of this report
    card = card.replace("<h2>", "<h3>").replace("</h2>", "</h3>").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return [card]


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
        mood = f" · {_e(mood_text(turn.state.mood, lang))}" if turn.state else ""
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
            f'<div class="turn {css}"><div class="who">#{display_turn(index)} {_e(who)}{mood}</div>'
            f"{text}{notes}{comments}</div>"
        )

    if bundle.effective is not None:
        parts.extend(_scorecard_html(bundle))
    else:
        parts.append(f"<p><i>{_e(t('not_graded_yet', lang))}</i></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
