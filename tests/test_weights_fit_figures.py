"""Nested-CV figures per language and the per-row predictions written for error analysis."""

from __future__ import annotations

from simulator.config import load_settings
from simulator.content import load_library
from simulator.weights_fit.features import LabelledSignals
from simulator.weights_fit.fit_dev import _part_figures, nested_predictions

CRITERIA = ("standard_phrasing", "listening_empathy", "problem_solving", "adaptability", "clarity", "compliance")


def _row(index: int, language: str, level: int) -> LabelledSignals:
    return LabelledSignals(f"i{index}", f"s{index}", {}, dict.fromkeys(CRITERIA, level), language=language)


def test_synthetic_figures_are_also_given_per_language() -> None:
    rubric = load_library(load_settings().content_dir).require_rubric()
    rows = [_row(0, "en", 5), _row(1, "en", 3), _row(2, "zh-CN", 4), _row(3, "zh-CN", 2)]
    # English rows predicted exactly, Chinese ones a level too high: only zh-CN shows a distance.
    predicted = [
        dict(r.levels) if r.language == "en" else dict.fromkeys(CRITERIA, r.levels["clarity"] + 1) for r in rows
    ]
    figures = _part_figures(rows, predicted, rubric, real=False)
    assert set(figures["by_language"]) == {"en", "zh-CN"}
    assert figures["by_language"]["en"]["mad"] == 0 and figures["by_language"]["zh-CN"]["mad"] == 20
    records = nested_predictions(rows, predicted, rubric)
    assert records[2]["language"] == "zh-CN" and records[2]["mentor_total"] == 80 and records[2]["grader_total"] == 100
