"""Render a GradeReport as a Markdown scorecard in the transcript's language.

A pure function of the report (and, optionally, the rubric for criterion names and the
transcript for context); the CLI prints it, the app shows it and the report export embeds it.
"""

from __future__ import annotations

from simulator.markdown_text import inert
from simulator.models import CriterionScore, Finding, GradeReport, Language, RedLine, Rubric

_LABELS: dict[Language, dict[str, str]] = {
    "zh-CN": {
        "title": "评分卡",
        "total": "总分",
        "pass_mark": "及格线",
        "passed": "通过",
        "failed": "未通过",
        "incomplete": "评分不完整",
        "incomplete_note": "有评分项未能打分,不计算总分(不会用 0 分代替)。",
        "criterion": "评分项",
        "weight": "权重",
        "score": "得分",
        "unscored": "未评分",
        "evidence": "依据",
        "turn": "第 {n} 轮",
        "rationale": "理由",
        "suggestion": "建议",
        "from_case": "参考案例",
        "findings": "规则检查",
        "no_findings": "未发现问题。",
        "conversation": "整段对话",
        "references": "参考案例",
        "grader": "评分引擎",
        "rubric_version": "评分标准版本",
        "dropped": "以下引用在对话中找不到,已丢弃",
        "unsupported": "缺少依据,不能判为通过",
        "unsupported_note": "以下评分项依据的是客服说过或做过的事,但没有可核实的客服原话作证:",
        "violation": "违规",
        "warning": "提醒",
        "info": "说明",
        "red_lines": "红线:本次考核不通过",
        "review": "疑似红线:请带教老师复核",
        "red_line_failed": "未通过(触碰红线)",
        "confidence": "把握度 {value:.2f}",
        "judge": "评分模型报告",
    },
    "en": {
        "title": "Scorecard",
        "total": "Total",
        "pass_mark": "pass mark",
        "passed": "PASS",
        "failed": "FAIL",
        "incomplete": "INCOMPLETE",
        "incomplete_note": "At least one criterion could not be scored, so no total is given (never a made-up 0).",
        "criterion": "Criterion",
        "weight": "Weight",
        "score": "Score",
        "unscored": "unscored",
        "evidence": "Evidence",
        "turn": "turn {n}",
        "rationale": "Why",
        "suggestion": "Try instead",
        "from_case": "from case",
        "findings": "Rule checks",
        "no_findings": "No issues found.",
        "conversation": "whole conversation",
        "references": "Reference cases",
        "grader": "Grader",
        "rubric_version": "rubric version",
        "dropped": "Quotes dropped because they are not in the transcript",
        "unsupported": "UNSUPPORTED, cannot pass",
        "unsupported_note": "These criteria rest on something the agent did, but no verified agent quote backs them:",
        "violation": "violation",
        "warning": "warning",
        "info": "note",
        "red_lines": "Red lines: the session fails",
        "review": "Possible red lines: for a mentor's review",
        "red_line_failed": "FAIL (red line crossed)",
        "confidence": "confidence {value:.2f}",
        "judge": "reported by the LLM judge",
    },
}


def _criterion_title(score: CriterionScore, rubric: Rubric | None, language: Language) -> tuple[str, str]:
    if rubric is not None:
        try:
            criterion = rubric.criterion(score.id)
        except KeyError:
            return score.id, ""
        return criterion.name.get(language), str(criterion.weight)
    return score.id, ""


def _quote(text: str) -> str:
    # One line, so it cannot break the Markdown structure around it; inert, so it loads nothing.
    return inert(" ".join(text.split()))


def _score_text(score: CriterionScore, labels: dict[str, str]) -> str:
    return f"{score.score}/5" if score.score is not None else labels["unscored"]


def _finding_line(finding: Finding, labels: dict[str, str]) -> str:
    where = labels["turn"].format(n=finding.turn) if finding.turn is not None else labels["conversation"]
    quote = f" — “{_quote(finding.quote)}”" if finding.quote else ""
    return f"- **{labels[finding.severity]}** `{finding.rule}` ({where}){quote}: {inert(finding.message)}"


def _red_line(hit: RedLine, labels: dict[str, str]) -> str:
    sure = labels["judge"] if hit.confidence is None else labels["confidence"].format(value=hit.confidence)
    where = labels["turn"].format(n=hit.turn)
    return f"- **{inert(hit.name)}** ({where}, {sure}) — “{_quote(hit.quote)}”: {inert(hit.why)}"


def render_scorecard(report: GradeReport, rubric: Rubric | None = None) -> str:
    """The report as Markdown in the report's language.

    ``rubric`` (the one the report was graded with) supplies criterion names and weights; without
    it criteria are shown by id. Turn numbers are the 0-based transcript indices used everywhere
    else, so a mentor can match them in the replay view.
    """
    labels = _LABELS[report.language]
    lines = [f"# {labels['title']}", ""]
    # A red line decides the verdict, so it comes before everything else.
    if report.critical_errors:
        lines.append(f"## {labels['red_lines']}")
        lines.extend(_red_line(hit, labels) for hit in report.critical_errors)
        lines.append("")
    if report.review_flags:
        lines.append(f"## {labels['review']}")
        lines.extend(_red_line(hit, labels) for hit in report.review_flags)
        lines.append("")
    if report.complete and report.total is not None:
        verdict = labels["passed"] if report.passed else labels["failed"]
        if report.critical_errors:
            verdict = labels["red_line_failed"]
        if report.passed is None and report.unsupported:
            verdict = labels["unsupported"]
        lines.append(
            f"**{labels['total']}: {report.total:g}/100 — {verdict}** ({labels['pass_mark']} {report.pass_mark:g})"
        )
    else:
        lines.append(f"**{labels['total']}: — {labels['incomplete']}** ({labels['pass_mark']} {report.pass_mark:g})")
        lines.append("")
        lines.append(labels["incomplete_note"])
    lines.append("")
    if report.unsupported:
        names = [_criterion_title(score, rubric, report.language)[0] for score in report.criteria]
        by_id = dict(zip([score.id for score in report.criteria], names, strict=True))
        lines.append(f"{labels['unsupported_note']} {', '.join(by_id.get(cid, cid) for cid in report.unsupported)}")
        lines.append("")

    lines.append(f"| {labels['criterion']} | {labels['weight']} | {labels['score']} |")
    lines.append("|---|---|---|")
    for score in report.criteria:
        name, weight = _criterion_title(score, rubric, report.language)
        lines.append(f"| {name} | {weight} | {_score_text(score, labels)} |")
    lines.append("")

    for score in report.criteria:
        name, _ = _criterion_title(score, rubric, report.language)
        lines.append(f"## {name} — {_score_text(score, labels)}")
        if score.score is None and score.unscored_reason:
            lines.append(f"- {labels['unscored']}: {score.unscored_reason}")
        if score.evidence:
            lines.append(f"- {labels['evidence']}:")
            for evidence in score.evidence:
                lines.append(f"  - {labels['turn'].format(n=evidence.turn)}: “{_quote(evidence.quote)}”")
        if score.rationale:
            lines.append(f"- {labels['rationale']}: {inert(score.rationale)}")
        if score.suggestion:
            source = f" ({labels['from_case']} `{score.suggestion_case_id}`)" if score.suggestion_case_id else ""
            lines.append(f"- {labels['suggestion']}{source}: {inert(score.suggestion)}")
        lines.append("")

    lines.append(f"## {labels['findings']}")
    if report.findings:
        lines.extend(_finding_line(finding, labels) for finding in report.findings)
    else:
        lines.append(labels["no_findings"])
    lines.append("")

    if report.dropped_quotes:
        lines.append(f"## {labels['dropped']}")
        for evidence in report.dropped_quotes:
            lines.append(f"- {labels['turn'].format(n=evidence.turn)}: “{_quote(evidence.quote)}”")
        lines.append("")

    grader = report.grader
    parts: list[str] = [grader.engine]
    if grader.model:
        parts.append(grader.model)
    if grader.prompt_hash:
        parts.append(f"prompt {grader.prompt_hash[:12]}")
    footer = f"{labels['grader']}: {' · '.join(parts)} · {labels['rubric_version']} {grader.rubric_version}"
    if report.references:
        footer += f" · {labels['references']}: {', '.join(report.references)}"
    lines.append(f"_{footer}_")
    return "\n".join(lines) + "\n"
