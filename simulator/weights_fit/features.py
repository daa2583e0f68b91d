"""The offline grader's signals measured on one transcript: the features the weights are fitted on.

A signal's value is what the grader multiplies by its weight (0..1 for a behaviour, a count for a
penalty, -1..1 for a trend); ``None`` when the signal does not apply to this transcript (the grader
skips it, so it contributes nothing). The measuring is the grader's own (``simulator.grading``):
nothing here re-implements a signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulator.content import Library
from simulator.grading import agent_side_too_thin, resolve_archetype
from simulator.grading.measure import Measure
from simulator.grading.registry import registered_signals
from simulator.grading.rules import run_rules
from simulator.grading.weights import OfflineWeights
from simulator.models import Transcript

SignalValues = Mapping[str, float | None]


@dataclass(frozen=True)
class LabelledSignals:
    """One transcript's signal values beside a mentor's levels for some (or all) criteria."""

    item_id: str
    group: str  # the cross-validation group: a situation, or a session of a centre
    values: SignalValues
    levels: Mapping[str, int]  # criterion id -> the mentor's level, 1-5
    with_case: bool = True  # graded with its case (a drill, a synthetic transcript) or without (a chat log)
    language: str = ""  # the transcript's language, for figures per language ("" when not known)


def signal_sign(name: str) -> int:
    """+1 when more of the signal is better (a behaviour, a trend), -1 for a penalty (the registry's ``kind``)."""
    return -1 if registered_signals()[name].kind == "penalty" else 1


def weighted_signals(weights: OfflineWeights) -> list[str]:
    """Every signal some criterion of ``weights`` uses, in file order, each once."""
    return list(dict.fromkeys(name for spec in weights.criteria.values() for name in spec.signals))


def measure_signals(
    transcript: Transcript, library: Library, weights: OfflineWeights
) -> dict[str, float | None] | None:
    """Every signal of ``weights`` measured on ``transcript``; ``None`` when the grader would not score it.

    The grader leaves a transcript unscored when it has no agent turn or the agent side is too thin to
    quote; such transcripts carry no evidence about the weights. Raises ``LookupError`` for a
    ``case_id`` the library does not know.
    """
    if not transcript.agent_turn_indices() or agent_side_too_thin(transcript):
        return None
    rubric = library.require_rubric()
    case = library.case(transcript.case_id) if transcript.case_id else None
    findings = run_rules(transcript, rubric, case)
    measure = Measure(transcript, rubric, case, findings, resolve_archetype(transcript, library), weights)
    values: dict[str, float | None] = {}
    for name in weighted_signals(weights):
        result = measure.signal(name)  # the weights file names only registered signals (load_weights checks)
        values[name] = float(result.value) if result.applicable else None
    return values
