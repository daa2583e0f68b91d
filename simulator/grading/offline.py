"""The offline grader: scores every rubric criterion 1-5 without an LLM.

Each criterion starts at a base and moves with *signals*: behaviours recognised in the agent's
turns (greeting, empathy, asking for the case's facts, offering an acceptable resolution, ...),
rule findings from ``simulator.grading.rules``, the customer's mood when the simulator recorded it,
and the fit to the customer type. Each signal is declared once in the registry
(``simulator.grading.registry``; the measures live in ``simulator.grading.detectors``), its
weights are data (``offline_weights.yaml``, loaded by ``simulator.grading.weights``), and this
module only adds them up, picks the evidence and writes the rationale. Each measured behaviour
counts against one or two criteria only (see the weights file), so a single misread sentence cannot
cascade through the whole scorecard. ``docs/grader-signals.md`` describes every signal.

Rules the grader keeps:
- Every evidence quote is whole clauses of the agent turn it names (``simulator.quotes``). A level
  that a signal with a quote moved rests on what the agent did (``basis: action``) and cites it;
  one that rests only on missing behaviour or on nothing going wrong is ``basis: absence``.
  A score of 3 or more cites what earned it (plus rule findings against it); a score of 2 or less
  cites what cost it, so the per-turn annotations read the right way.
- Text aimed at a grader is removed (``signals.without_grader_instructions``: a bracketed aside,
  else its sentence) before anything is measured — acts, concrete or vague wording, length,
  structure, refusals — so it can neither earn a point nor hide a shortcoming; its finding lowers
  compliance (and caps it).
- A criterion the weights file does not know is *unscored* with a reason, never 0.
- The suggestion for a criterion below 5 comes from ``simulator.grading.suggestions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.grading.measure import SUBSTANTIVE, Measure, SignalResult
from simulator.grading.registry import registered_signals, signal_label
from simulator.grading.suggestions import suggest
from simulator.grading.weights import (
    CriterionWeights,
    OfflineWeights,
    OfflineWeightsError,
    default_weights,
    load_weights,
    weights_fingerprint,
)
from simulator.i18n import label, t
from simulator.models import Case, CriterionScore, Evidence, Finding, Rubric, Transcript

__all__ = [
    "Measure",
    "OfflineWeights",
    "OfflineWeightsError",
    "default_weights",
    "grade_offline",
    "load_weights",
    "weights_fingerprint",
]


def _is_penalty(name: str) -> bool:
    return registered_signals()[name].kind == "penalty"


def _reads_as_missing(name: str) -> bool:
    """A behaviour below 1 is something missing; a penalty or trend at 0 is not."""
    return registered_signals()[name].kind == "behaviour"


@dataclass
class _Scored:
    score: int
    raw: float
    contributions: list[tuple[str, float, SignalResult]]
    capped_by: tuple[str, int] | None


def _score(m: Measure, spec: CriterionWeights) -> _Scored:
    raw = spec.base
    contributions = []
    for name, weight in spec.signals.items():
        result = m.signal(name)
        if not result.applicable:
            continue
        points = weight.weight * result.value
        if weight.cap is not None:
            points = max(-weight.cap, min(weight.cap, points))
        raw += points
        contributions.append((name, points, result))
    score = spec.level(raw)
    capped_by = None
    for name, cap in spec.score_caps.items():
        result = m.signal(name)
        if result.applicable and result.value > 0 and score > cap:
            score, capped_by = cap, (name, cap)
    return _Scored(score, raw, contributions, capped_by)


def _shortfalls(scored: _Scored, spec: CriterionWeights) -> list[tuple[float, str, SignalResult]]:
    """Signals that cost points, biggest loss first: fired penalties and missed behaviours."""
    lost = []
    for name, points, result in scored.contributions:
        if points < 0:
            lost.append((-points, name, result))
        elif _reads_as_missing(name) and result.value < 1:
            lost.append((spec.signals[name].weight * (1 - result.value), name, result))
    # On a tie, something said (a fired penalty, with its quote) comes before something missing.
    return sorted(lost, key=lambda item: (-item[0], not _is_penalty(item[1])))


def _choose_evidence(m: Measure, scored: _Scored, shortfalls: list[tuple[float, str, SignalResult]]) -> list[Evidence]:
    limit = m.weights.thresholds.max_evidence
    chosen: list[Evidence] = []

    def add(items: Iterable[Evidence]) -> None:
        for item in items:
            if len(chosen) >= limit:
                return
            # One quote per moment: skip a quote inside (or around) one already chosen.
            if not any(c.turn == item.turn and (c.quote in item.quote or item.quote in c.quote) for c in chosen):
                chosen.append(item)

    ordered = sorted(scored.contributions, key=lambda c: -abs(c[1]))
    if scored.score >= 3:
        add(e for _, points, result in ordered if points > 0 for e in result.positive)
        # Rule-backed negatives are annotated as hurting through their findings, whatever the score.
        add(e for name, points, result in ordered if points < 0 and _is_penalty(name) for e in result.negative)
    else:
        add(e for _, points, result in ordered if points < 0 for e in result.negative)
        add(e for _, _, result in shortfalls for e in result.negative)
        for _, _, result in shortfalls:
            if result.weak and result.weak.turn is not None:
                add(m.first_sentence(result.weak.turn))
    if not chosen:
        for _, _, result in shortfalls:
            if result.weak and result.weak.turn is not None:
                add(m.first_sentence(result.weak.turn))
                break
    if not chosen:
        substantive = next((t for t in m.agent_turns if m.rec(t).acts & set(SUBSTANTIVE)), m.agent_turns[0])
        add(m.first_sentence(substantive))
    return chosen


def _basis(scored: _Scored) -> Literal["action", "absence"]:
    """``action`` when a signal that moved the score carries a quote of what the agent said."""
    for _, points, result in scored.contributions:
        if (points > 0 and result.positive) or (points < 0 and result.negative):
            return "action"
    return "absence"


def _fmt_points(points: float) -> str:
    return f"{points:+.2f}".rstrip("0").rstrip(".")


def _rationale(m: Measure, criterion_id: str, spec: CriterionWeights, scored: _Scored) -> str:
    lang = m.language
    did, missing, lost = [], [], []
    for name, exact_points, result in scored.contributions:
        name_shown = signal_label(name, lang)
        # What the mentor reads is the rounded figure: a contribution that rounds to zero moved nothing
        # (a cap it triggers is stated in the tail), so it is neither "did" nor "lost" ("-0" read as a bug).
        points = round(exact_points, 2)
        if points > 0:
            did.append(f"{name_shown} ({_fmt_points(points)})")
        elif points < 0:
            count = f" ×{int(result.value)}" if _is_penalty(name) and result.value > 1 else ""
            lost.append(f"{name_shown}{count} ({_fmt_points(points)})")
        elif _reads_as_missing(name) and result.value < 1:
            missing.append(name_shown)
    parts = []
    if criterion_id == "adaptability" or "archetype_fit" in spec.signals:
        if m.archetype:
            parts.append(t("offline.archetype", lang, kind=label("archetype", m.archetype, lang)))
        else:
            parts.append(t("offline.archetype_unknown", lang))
    join = t("offline.join", lang)
    if did:
        parts.append(f"{t('offline.did', lang)}: {join.join(did)}")
    if missing:
        parts.append(f"{t('offline.missing', lang)}: {join.join(missing)}")
    if lost:
        parts.append(f"{t('offline.lost', lang)}: {join.join(lost)}")
    tail = f"{t('offline.base', lang)} {spec.base:.2f} → {scored.raw:.2f} → {scored.score}/5"
    if scored.capped_by:
        name, cap = scored.capped_by
        tail += f" ({t('offline.capped', lang, signal=signal_label(name, lang), cap=cap)})"
    parts.append(tail)
    return t("offline.sep", lang).join(parts)


def grade_offline(
    transcript: Transcript,
    rubric: Rubric,
    case: Case | None,
    findings: Sequence[Finding],
    *,
    references: Sequence[Case] = (),
    archetype: str | None = None,
    weights: OfflineWeights | None = None,
) -> list[CriterionScore]:
    """Score every rubric criterion from ``findings`` and signals measured in ``transcript``.

    ``findings`` are the rule findings for this transcript (``rules.run_rules``); ``references``
    are reference cases used for suggestions when ``case`` is None; ``archetype`` is the customer
    type (transcript or persona); ``weights`` defaults to the shipped ``offline_weights.yaml``.
    Returns one CriterionScore per rubric criterion, in rubric order.
    """
    weights = (weights or default_weights()).for_grading(with_case=case is not None)
    lang = transcript.language
    if not transcript.agent_turn_indices():
        return [CriterionScore(id=c.id, unscored_reason=t("offline.no_agent", lang)) for c in rubric.criteria]
    measure = Measure(transcript, rubric, case, findings, archetype, weights)
    scores = []
    for criterion in rubric.criteria:
        spec = weights.criteria.get(criterion.id)
        if spec is None:
            scores.append(
                CriterionScore(
                    id=criterion.id, unscored_reason=t("offline.unknown_criterion", lang, criterion=criterion.id)
                )
            )
            continue
        scored = _score(measure, spec)
        shortfalls = _shortfalls(scored, spec)
        suggestion, suggestion_case = (
            suggest(measure, shortfalls, references, criterion.id) if scored.score < 5 else ("", None)
        )
        scores.append(
            CriterionScore(
                id=criterion.id,
                score=scored.score,
                basis=_basis(scored),
                evidence=_choose_evidence(measure, scored, shortfalls),
                rationale=_rationale(measure, criterion.id, spec, scored),
                suggestion=suggestion,
                suggestion_case_id=suggestion_case,
            )
        )
    return scores
