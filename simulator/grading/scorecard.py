"""The one scorecard renderer: a GradeReport (with any mentor overrides) as Markdown or HTML.

A pure function of the report and the **display language**: labels come from the message
catalogue in that language, while what the grader wrote (rationales, suggestions, finding
messages) stays in the session's language, as it was written. The report is never rewritten to
switch language. The CLI prints the Markdown, the app shows it under its verdict badge
(``header=False``), and both session exports embed it (the HTML one through markdown-it, with raw
HTML disabled so nothing from a transcript can become markup).

Turn numbers are shown as the trainee saw them on screen: message 1 is the first line of the chat
(``Evidence.turn`` + 1); the JSON contract keeps its 0-based indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from markdown_it import MarkdownIt

from simulator.i18n import has, label, t
from simulator.markdown_text import inert
from simulator.models import CriterionScore, Finding, GradeReport, Language, RedLine, Rubric


class OverrideLike(Protocol):
    """A mentor override as the renderer shows it (``simulator.app.scoring.AppliedOverride``)."""

    @property
    def criterion_id(self) -> str: ...  # noqa: D102

    @property
    def original_score(self) -> int | None: ...  # noqa: D102

    @property
    def new_score(self) -> int: ...  # noqa: D102

    @property
    def reason(self) -> str: ...  # noqa: D102

    @property
    def author(self) -> str: ...  # noqa: D102

    @property
    def created_at(self) -> datetime | None: ...  # noqa: D102


def display_turn(turn: int) -> int:
    """The number a transcript index has on screen (the chat numbers its messages from 1)."""
    return turn + 1


def turn_label(turn: int | None, lang: str) -> str:
    """``message 3`` / ``第 3 条`` for transcript index 2; "whole conversation" for ``None``."""
    if turn is None:
        return t("scorecard.conversation", lang)
    return t("scorecard.turn", lang, n=display_turn(turn))


def rule_name(rule_id: str, lang: str) -> str:
    """A rule check's display name (the id itself for a rule the catalogue does not name)."""
    return label("rule", rule_id, lang)


def criterion_name(criterion_id: str, rubric: Rubric | None, lang: Language) -> str:
    """A criterion's name in ``lang`` from the rubric (its id without one)."""
    if rubric is not None:
        try:
            return rubric.criterion(criterion_id).name.get(lang)
        except KeyError:
            pass
    return criterion_id


def _weight(criterion_id: str, rubric: Rubric | None) -> str:
    if rubric is None:
        return ""
    try:
        return str(rubric.criterion(criterion_id).weight)
    except KeyError:
        return ""


def _quote(text: str) -> str:
    # One line, so it cannot break the Markdown structure around it (nor a table: no "|");
    # inert, so it loads nothing.
    return inert(" ".join(text.split()).replace("|", "/"))


def _or_dash(score: int | None) -> str:
    return "—" if score is None else str(score)


def _flat(text: str) -> str:
    return inert(" ".join(text.split()))


def _score_text(score: CriterionScore, lang: str) -> str:
    return f"{score.score}/5" if score.score is not None else t("scorecard.unscored", lang)


def _finding_line(finding: Finding, lang: str) -> str:
    quote = f" — “{_quote(finding.quote)}”" if finding.quote else ""
    severity = t(f"scorecard.{finding.severity}", lang)
    where = turn_label(finding.turn, lang)
    return f"- **{severity}** · {rule_name(finding.rule, lang)} ({where}){quote}: {inert(finding.message)}"


def _red_line(hit: RedLine, lang: str) -> str:
    if hit.confidence is None:
        sure = t("scorecard.red_line_by_judge", lang)
    else:
        sure = t("scorecard.red_line_confidence", lang, value=hit.confidence)
    return f"- **{inert(hit.name)}** ({turn_label(hit.turn, lang)}, {sure}) — “{_quote(hit.quote)}”: {inert(hit.why)}"


def _red_line_sections(report: GradeReport, lang: str) -> list[str]:
    # A red line decides the verdict, so it comes before everything else.
    lines: list[str] = []
    if report.critical_errors:
        lines.append(f"## {t('scorecard.red_lines', lang)}")
        lines.extend(_red_line(hit, lang) for hit in report.critical_errors)
        lines.append("")
    if report.review_flags:
        lines.append(f"## {t('scorecard.red_line_review', lang)}")
        lines.extend(_red_line(hit, lang) for hit in report.review_flags)
        lines.append("")
    return lines


def _verdict_line(report: GradeReport, lang: str) -> list[str]:
    pass_mark = f"({t('scorecard.pass_mark', lang)} {report.pass_mark:g})"
    if report.complete and report.total is not None:
        verdict = t("scorecard.passed", lang) if report.passed else t("scorecard.failed", lang)
        if report.critical_errors:
            verdict = t("scorecard.red_line_failed", lang)
        if report.passed is None and report.unsupported:
            verdict = t("scorecard.unsupported", lang)
        return [f"**{t('scorecard.total', lang)}: {report.total:g}/100 — {verdict}** {pass_mark}", ""]
    return [
        f"**{t('scorecard.total', lang)}: — {t('scorecard.incomplete', lang)}** {pass_mark}",
        "",
        t("scorecard.incomplete_note", lang),
        "",
    ]


def _grader_footer(report: GradeReport, lang: str, case_titles: Mapping[str, str]) -> str:
    grader = report.grader
    engine = label("engine", grader.engine, lang) if has(f"engine.{grader.engine}") else grader.engine
    parts: list[str] = [engine]
    if grader.model:
        parts.append(grader.model)
    if grader.prompt_hash:
        parts.append(f"prompt {grader.prompt_hash[:12]}")
    footer = (
        f"{t('scorecard.grader', lang)}: {' · '.join(parts)} · {t('scorecard.rubric_version', lang)} "
        f"{grader.rubric_version}"
    )
    if report.references:
        titles = [case_titles.get(case_id, case_id) for case_id in report.references]
        footer += f" · {t('scorecard.references', lang)}: {'; '.join(titles)}"
    return f"_{footer}_"


def render_scorecard(
    report: GradeReport,
    lang: Language,
    rubric: Rubric | None = None,
    *,
    overrides: Sequence[OverrideLike] = (),
    case_titles: Mapping[str, str] | None = None,
    header: bool = True,
) -> str:
    """The scorecard as Markdown, labelled in ``lang``.

    ``report`` is the report as it stands (with overrides applied, if any); ``overrides`` are the
    mentor's changes in order, so an overridden criterion shows the mentor's score and reason
    above the grader's reasoning, which is marked as the grader's. ``rubric`` (the one the report
    was graded with) supplies criterion names and weights; ``case_titles`` maps case ids to titles
    for the reference cases. ``header=False`` leaves out the title and the total line, for a view
    that shows them itself.
    """
    titles = case_titles or {}
    latest = {override.criterion_id: override for override in overrides}
    lines: list[str] = []
    if header:
        lines += [f"# {t('scorecard.title', lang)}", ""]
    lines += _red_line_sections(report, lang)
    if header:
        lines += _verdict_line(report, lang)
    if report.unsupported:
        names = ", ".join(criterion_name(cid, rubric, lang) for cid in report.unsupported)
        lines += [f"{t('scorecard.unsupported_note', lang)} {names}", ""]

    lines.append(f"| {t('scorecard.criterion', lang)} | {t('scorecard.weight', lang)} | {t('scorecard.score', lang)} |")
    lines.append("|---|---|---|")
    for score in report.criteria:
        shown = _score_text(score, lang)
        if score.id in latest:
            before = latest[score.id].original_score
            shown = f"{shown} ✎ ({t('scorecard.grader_gave', lang)} {before if before is not None else '—'}/5)"
        lines.append(f"| {criterion_name(score.id, rubric, lang)} | {_weight(score.id, rubric)} | {shown} |")
    lines.append("")

    for score in report.criteria:
        lines.append(f"## {criterion_name(score.id, rubric, lang)} — {_score_text(score, lang)}")
        override = latest.get(score.id)
        if override is not None:
            lines.append(
                f"- ✎ {t('scorecard.mentor_override', lang, author=inert(override.author), score=override.new_score)}: "
                f"{_flat(override.reason)}"
            )
        if score.score is None and score.unscored_reason:
            lines.append(f"- {t('scorecard.unscored', lang)}: {inert(score.unscored_reason)}")
        if score.evidence:
            lines.append(f"- {t('scorecard.evidence', lang)}:")
            for evidence in score.evidence:
                lines.append(f"  - {turn_label(evidence.turn, lang)}: “{_quote(evidence.quote)}”")
        if score.rationale:
            if override is not None:
                why = t("scorecard.grader_rationale", lang, score=_or_dash(override.original_score))
            else:
                why = t("scorecard.rationale", lang)
            lines.append(f"- {why}: {inert(score.rationale)}")
        if score.suggestion:
            case_id = score.suggestion_case_id
            source = f" ({t('scorecard.from_case', lang)} {titles.get(case_id, case_id)})" if case_id else ""
            lines.append(f"- {t('scorecard.suggestion', lang)}{source}: {inert(score.suggestion)}")
        lines.append("")

    lines.append(f"## {t('scorecard.findings', lang)}")
    if report.findings:
        lines.extend(_finding_line(finding, lang) for finding in report.findings)
    else:
        lines.append(t("scorecard.no_findings", lang))
    lines.append("")

    if report.dropped_quotes:
        lines.append(f"## {t('scorecard.dropped', lang)}")
        for evidence in report.dropped_quotes:
            lines.append(f"- {turn_label(evidence.turn, lang)}: “{_quote(evidence.quote)}”")
        lines.append("")

    if len(overrides) > len(latest):
        # Earlier overrides of the same criterion stay on record; list the whole history.
        lines.append(f"## {t('scorecard.override_history', lang)}")
        for o in overrides:
            when = o.created_at.strftime("%Y-%m-%d %H:%M") if o.created_at else ""
            lines.append(
                f"- {criterion_name(o.criterion_id, rubric, lang)}: {_or_dash(o.original_score)}/5 → {o.new_score}/5 · "
                f"{inert(o.author)} {when}: {_flat(o.reason)}"
            )
        lines.append("")

    lines.append(_grader_footer(report, lang, titles))
    return "\n".join(lines) + "\n"


def markdown_to_html(text: str) -> str:
    """Markdown rendered to HTML with tables and without raw HTML (quotes cannot become markup)."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough").render(text)


def render_scorecard_html(
    report: GradeReport,
    lang: Language,
    rubric: Rubric | None = None,
    *,
    overrides: Sequence[OverrideLike] = (),
    case_titles: Mapping[str, str] | None = None,
    header: bool = True,
) -> str:
    """The same scorecard as :func:`render_scorecard`, as an HTML fragment."""
    return markdown_to_html(
        render_scorecard(report, lang, rubric, overrides=overrides, case_titles=case_titles, header=header)
    )
