"""Coaching for a criterion below 5: a better phrasing for its weakest moment.

The suggestion is the case's recommended phrasing for the stage of the weakest moment; without a
case, the same from the first reference case in the transcript's language, marked as an example
from another case (``suggestion_case_id`` says which); with no reference case at all (no close
case), it is phrased from the rubric's top level and the trainee's own words, so no other case's
facts are put in the trainee's mouth.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.grading.measure import Measure, Moment, SignalResult
from simulator.grading.scorecard import display_turn
from simulator.i18n import t
from simulator.models import Case, PhraseStage


def _phrase_for(case: Case, stage: PhraseStage, hint: set[str]) -> str | None:
    """The case's recommended line for ``stage`` (the one sharing most with ``hint``), or a neighbour's."""
    order = list(PhraseStage)
    for distance in range(len(order)):
        for candidate in (order.index(stage) - distance, order.index(stage) + distance):
            if not 0 <= candidate < len(order):
                continue
            lines = [p.text for p in case.recommended_phrasing if p.stage == order[candidate]]
            if lines:
                return max(lines, key=lambda text: sum(1 for word in hint if word and word in text))
    return None


def _rubric_suggestion(m: Measure, criterion_id: str, weak: Moment) -> str:
    """Coaching from the rubric's top level and the trainee's own words: no case's facts in it."""
    criterion = m.rubric.criterion(criterion_id)
    level = criterion.levels[5].get(m.language)
    name = criterion.name.get(m.language)
    if weak.turn is not None and weak.quote:
        return t(
            "suggestion.rubric_turn",
            m.language,
            turn=display_turn(weak.turn),
            quote=weak.quote,
            criterion=name,
            level=level,
        )
    return t("suggestion.rubric_no_turn", m.language, criterion=name, level=level)


def suggest(
    m: Measure, shortfalls: list[tuple[float, str, SignalResult]], references: Sequence[Case], criterion_id: str
) -> tuple[str, str | None]:
    """A better phrasing for the weakest moment, and the case it comes from.

    From the transcript's own case when it has one. Otherwise another case's recommended line is
    shown only marked as an example from that case (its facts are not this customer's); with no
    reference case (no close case in the bank), the coaching comes from the rubric's top level and
    the trainee's own words.
    """
    weak = next((result.weak for _, _, result in shortfalls if result.weak is not None), None)
    if weak is None:
        return "", None
    sources = [m.case] if m.case is not None else [ref for ref in references if ref.language == m.language]
    if not sources:
        return _rubric_suggestion(m, criterion_id, weak), None
    source = sources[0]
    hint: set[str] = set()
    if weak.stage == PhraseStage.clarify and m.case is not None:
        asked = {key for turn in m.agent_turns for key in m.rec(turn).asked_facts}
        for fact in m.case.hidden_facts:
            if fact.required and fact.key not in asked:
                hint.update([fact.label, *fact.ask_keywords])
    elif weak.stage == PhraseStage.solution and m.case is not None:
        offered = {rid for turn in m.agent_turns for rid in m.rec(turn).offered}
        for resolution in m.case.acceptable_resolutions:
            if resolution.id not in offered:
                hint.update(resolution.keywords)
    text = _phrase_for(source, weak.stage, hint)
    if text is None:
        return "", None
    if weak.turn is None:
        suggestion = t("suggestion.try_no_turn", m.language, text=text.strip())
    elif weak.quote:
        suggestion = t(
            "suggestion.instead", m.language, turn=display_turn(weak.turn), quote=weak.quote, text=text.strip()
        )
    else:
        suggestion = t("suggestion.try", m.language, turn=display_turn(weak.turn), text=text.strip())
    if m.case is None:
        suggestion = f"{t('suggestion.other_case', m.language, title=source.title)} {suggestion}"
    return suggestion, source.id
