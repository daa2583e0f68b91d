"""Signals of clarity: length, concrete content, structure, vague wording, jargon."""

from __future__ import annotations

from simulator.grading.measure import (
    Measure,
    Moment,
    SignalResult,
)
from simulator.grading.registry import register_signal
from simulator.models import PhraseStage


@register_signal("concise", kind="behaviour", labels={"zh-CN": "表达简洁", "en": "concise turns"})
def measure_concise(m: Measure) -> SignalResult:
    limit = m.weights.thresholds.concise_ratio * m.long_turn_limit
    if m.mean_agent_chars <= limit:
        return SignalResult(1.0)
    longest = max(m.agent_turns, key=lambda t: len(m.rec(t).text))
    return SignalResult(0.0, weak=Moment(longest, PhraseStage.solution))


@register_signal(
    "concrete",
    kind="behaviour",
    labels={"zh-CN": "信息具体(时间、金额、步骤)", "en": "concrete information (times, amounts, steps)"},
)
def measure_concrete(m: Measure) -> SignalResult:
    found = m.marker_sentences("concrete")
    if found:
        return SignalResult(1.0, positive=found[:1])
    return SignalResult(0.0, weak=Moment(m.agent_turns[-1], PhraseStage.solution))


@register_signal("structure", kind="behaviour", labels={"zh-CN": "条理清楚(先后步骤)", "en": "clear order of steps"})
def measure_structure(m: Measure) -> SignalResult:
    found = m.marker_sentences("structure")
    return SignalResult(1.0 if found else 0.0, positive=found[:1])


@register_signal(
    "vague",
    kind="penalty",
    labels={"zh-CN": "含糊其辞,没有具体时限或数字", "en": "vague wording with no time frame or number"},
)
def measure_vague(m: Measure) -> SignalResult:
    found = m.marker_sentences("vague")
    weak = Moment(found[0].turn, PhraseStage.solution, found[0].quote) if found else None
    return SignalResult(float(len(found)), negative=found, weak=weak)


@register_signal("jargon", kind="penalty", rule="jargon", labels={"zh-CN": "内部术语", "en": "internal jargon"})
def measure_jargon(m: Measure) -> SignalResult:
    return m.finding_signal("jargon", PhraseStage.solution)


@register_signal("long_turn", kind="penalty", rule="long_turn", labels={"zh-CN": "长篇大段", "en": "long-winded turns"})
def measure_long_turn(m: Measure) -> SignalResult:
    return m.finding_signal("long_turn", PhraseStage.solution)


@register_signal(
    "unfilled_placeholder",
    kind="penalty",
    rule="unfilled_placeholder",
    labels={"zh-CN": "模板占位内容没有替换", "en": "a template placeholder left unfilled"},
)
def measure_unfilled_placeholder(m: Measure) -> SignalResult:
    """``unfilled_placeholder`` findings: "预计是《到货时间》可以到货", "Hi {name}"."""
    return m.finding_signal("unfilled_placeholder", PhraseStage.solution)


@register_signal(
    "repeated_reply",
    kind="penalty",
    rule="repeated_reply",
    labels={"zh-CN": "重复发送同一段话", "en": "the same reply sent again"},
)
def measure_repeated_reply(m: Measure) -> SignalResult:
    """``repeated_reply`` findings: an agent turn repeating an earlier one word for word."""
    return m.finding_signal("repeated_reply", PhraseStage.solution)
