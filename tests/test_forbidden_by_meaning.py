"""A forbidden phrase recognised by meaning alone counts only at the confidence chosen on dev.

The recogniser flags a sentence at 0.5; a ``forbidden_phrase`` finding caps compliance, so the
grader asks for the precision target of ``grader_thresholds.yaml`` (``violations_by_meaning``).
Listed phrases (the rubric's and the case's) always count. Only listed wording is the
``forbidden_phrase`` signal that caps compliance; a sentence read by meaning alone is the
``forbidden_by_meaning`` signal, weighed by the fit.
"""

from __future__ import annotations

import pytest

from simulator.grading import rules as rules_module
from simulator.grading.measure import Measure
from simulator.grading.offline import default_weights
from simulator.grading.rules import run_rules
from simulator.grading.thresholds import load_thresholds
from simulator.models import DialogueAct
from simulator.recognizer import recognize
from tests.grading_fixtures import rubric, transcript

# Ordinary questions of a booking chat that an earlier recogniser scored as forbidden phrasing
# between its own cut (0.5) and the threshold chosen on dev for English.
BOOKING_QUESTIONS = ("When are you arriving?", "OK, and where are you departing from?")
# Blame in words no list holds: found by meaning alone, whatever the threshold's exact value.
BLAME = "If you had read the email you would not be in this mess."


def _forbidden_quotes(text: str, language: str = "en") -> list[str | None]:
    customer = "I'd like to book a hotel room." if language == "en" else "我想订个房间。"
    t = transcript(language, [("c", customer), ("a", text)])
    return [f.quote for f in run_rules(t, rubric()) if f.rule == "forbidden_phrase"]


def test_the_shipped_violation_thresholds_record_their_provenance() -> None:
    shipped = load_thresholds()
    chosen = shipped.violations_by_meaning[DialogueAct.forbidden_phrase]
    assert set(chosen) == {"zh-CN", "en"}
    for cut in chosen.values():
        assert cut.chosen_on == "dev" and cut.precision >= shipped.targets.violation_precision
        assert 0.5 <= cut.min_confidence <= 1


@pytest.mark.parametrize("question", BOOKING_QUESTIONS)
def test_an_ordinary_booking_question_is_no_forbidden_phrase(question: str) -> None:
    assert _forbidden_quotes(question) == []


def test_the_threshold_decides_a_sentence_flagged_by_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    recognized = recognize(BLAME, "en", rubric=rubric())
    score = dict(recognized.forbidden_by_meaning).get(BLAME)
    assert score is not None, "blame in everyday words must be found by meaning (no list holds it)"
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: score)
    assert _forbidden_quotes(BLAME) == [BLAME]
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: min(1.0, score + 0.01))
    assert _forbidden_quotes(BLAME) == []
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: None)
    assert _forbidden_quotes(BLAME) == [BLAME]


def test_a_listed_phrase_counts_whatever_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: 1.0)
    # A threshold of 1.0 holds back every sentence flagged by meaning alone: these come from the lists.
    assert _forbidden_quotes("Please calm down.") != []
    assert _forbidden_quotes("这个我们规定不能退。", "zh-CN") != []


def _signals(text: str, language: str = "en") -> tuple[float, float]:
    customer = "I'd like to book a hotel room." if language == "en" else "我想订个房间。"
    t = transcript(language, [("c", customer), ("a", text)])
    m = Measure(t, rubric(), None, run_rules(t, rubric()), None, default_weights())
    return m.signal("forbidden_phrase").value, m.signal("forbidden_by_meaning").value


def test_a_sentence_flagged_by_meaning_alone_is_its_own_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    score = dict(recognize(BLAME, "en", rubric=rubric()).forbidden_by_meaning).get(BLAME)
    assert score is not None
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: score)
    # The finding is there, but it is read by meaning: it is weighed by the fit and caps nothing.
    assert _forbidden_quotes(BLAME) == [BLAME]
    assert _signals(BLAME) == (0.0, 1.0)


def test_listed_wording_is_the_forbidden_phrase_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_module, "violation_threshold", lambda act, language: 1.0)
    assert _signals("Please calm down.") == (1.0, 0.0)
    assert _signals("这个我们规定不能退。", "zh-CN") == (1.0, 0.0)


def test_only_listed_wording_caps_a_criterion() -> None:
    weights = default_weights()
    for spec in (*weights.criteria.values(), *(weights.without_case or {}).values()):
        assert "forbidden_by_meaning" not in spec.score_caps
    assert weights.criteria["compliance"].score_caps.get("forbidden_phrase") == 2


def test_listed_courtesy_is_set_aside_before_a_sentence_counts_as_a_brush_off_by_meaning() -> None:
    # "not problem!" (a typo of "no problem", ABCD) reads as "not my problem" by meaning: a rubric whose
    # not_brush_offs lists it sees no brush-off; a brush-off in another clause of the sentence still is one.
    plain = rubric()
    en = plain.rules["en"].model_copy(update={"not_brush_offs": ["no problem", "not problem"]})
    listing = plain.model_copy(update={"rules": {**plain.rules, "en": en}})
    assert recognize("not problem!", "en", rubric=plain).forbidden
    assert not recognize("not problem!", "en", rubric=listing).forbidden
    assert recognize(f"No problem, {BLAME[0].lower()}{BLAME[1:]}", "en", rubric=listing).forbidden
