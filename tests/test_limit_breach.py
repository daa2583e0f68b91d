"""The limit-breach scorer: its features, its file entry, its fit and how the red lines read it."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.evals import limit_breach_fit as fit
from simulator.grading import limit_breach, red_lines
from simulator.grading.commitment_checks import promises_beyond_policy
from simulator.grading.commitment_matching import similarities
from simulator.grading.limit_breach import FEATURES, Candidate, candidates_in
from simulator.grading.rules import RuleContext
from simulator.grading.thresholds import (
    GraderThresholdsError,
    LimitBreachModel,
    LimitBreachThreshold,
    grader_thresholds,
)
from simulator.recognition.offer_pairs import Target
from tests.grading_fixtures import en_case, rubric, transcript

EN_HELLO = "Hi, I'm Sam from the billing team."


def _model(weights: dict[str, float], intercept: float = 0.0, review: float | None = None) -> LimitBreachModel:
    n = len(FEATURES)
    return LimitBreachModel(
        features=list(FEATURES),
        means=[0.0] * n,
        scales=[1.0] * n,
        coefficients=[weights.get(name, 0.0) for name in FEATURES],
        intercept=intercept,
        review={"en": LimitBreachThreshold(min_probability=review, precision=0.6, recall=0.5)} if review else {},
        chosen_on="dev",
        data_sha256="x",
        positives=1,
        candidates=2,
        cross_validated_by="test",
        measured="today",
    )


def _ctx(*agent: str) -> RuleContext:
    turns = [("c", "My blender was charged twice."), *(("a", text) for text in agent)]
    return RuleContext(transcript("en", turns), rubric(), en_case())


def test_a_reference_nothing_gave_is_a_feature_and_one_the_customer_gave_is_not() -> None:
    invented = candidates_in(_ctx(f"{EN_HELLO} I've refunded it, your reference is RF-4471902."))
    said = _ctx(f"{EN_HELLO} Thanks.")
    said_turns = [("c", "My order 4471902 was charged twice."), ("a", "I've refunded order 4471902.")]
    given = candidates_in(RuleContext(transcript("en", said_turns), rubric(), en_case()))
    at = FEATURES.index("unknown_reference")
    assert [c.features[at] for c in invented if "RF-" in c.quote] == [1.0]
    assert [c.features[at] for c in given] == [0.0]
    assert candidates_in(RuleContext(said.transcript, rubric(), None)) == []


def test_a_model_with_other_features_or_lengths_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="one value per feature"):
        LimitBreachModel.model_validate({**_model({}).model_dump(), "coefficients": [1.0]})
    stale = _model({}).model_copy(update={"features": ["old", *FEATURES[1:]]})
    monkeypatch.setattr(
        limit_breach, "grader_thresholds", lambda: grader_thresholds().model_copy(update={"limit_breach": stale})
    )
    with pytest.raises(GraderThresholdsError, match="drill eval thresholds --write"):
        limit_breach.breach_model()


def test_probability_follows_the_coefficients() -> None:
    model = _model({"forbidden_keyword": 4.0}, intercept=-2.0)
    rows = np.zeros((2, len(FEATURES)))
    rows[1, FEATURES.index("forbidden_keyword")] = 1.0
    low, high = model.probability(rows)
    assert low < 0.5 < high


def test_the_scorer_fails_above_its_line_and_flags_between_the_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    sentence = "I've refunded it, your reference is RF-4471902."
    sure = _model({"unknown_reference": 10.0}, intercept=-5.0, review=0.2)
    monkeypatch.setattr(red_lines, "breach_model", lambda: sure)
    monkeypatch.setattr(red_lines, "red_line_threshold", lambda kind, language: 0.9)
    found = _ctx(f"{EN_HELLO} {sentence}").red_lines
    hits = [(h.kind, h.source, h.quote) for h in found.confirmed if h.kind == "promise_beyond_policy"]
    assert len(hits) == 1 and hits[0][1] == "recogniser" and "RF-4471902" in hits[0][2]
    monkeypatch.setattr(red_lines, "red_line_threshold", lambda kind, language: 0.999999)
    found = _ctx(f"{EN_HELLO} {sentence}").red_lines
    assert "promise_beyond_policy" not in {h.kind for h in found.confirmed}
    assert "promise_beyond_policy" in {h.kind for h in found.review}
    # Below both lines the sentence is neither failed nor flagged.
    monkeypatch.setattr(red_lines, "breach_model", lambda: _model({}, intercept=-5.0, review=0.2))
    found = _ctx(f"{EN_HELLO} {sentence}").red_lines
    assert "promise_beyond_policy" not in {h.kind for h in [*found.confirmed, *found.review]}


def test_lines_are_the_lowest_probability_reaching_the_precision() -> None:
    scores = np.asarray([0.95, 0.9, 0.8, 0.7, 0.3, 0.2])
    labels = np.asarray([True, True, False, True, False, False])
    lines = fit.choose_lines(scores, labels, ["en"] * 6, 0.98)
    assert lines["en"][0] == pytest.approx(0.9) and lines["en"][2] == pytest.approx(2 / 3)
    assert fit.choose_lines(scores, labels, ["en"] * 6, 0.7)["en"][0] == pytest.approx(0.7)


def test_the_fit_learns_a_separable_feature_and_the_lines_land_in_the_file() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, len(FEATURES)))
    y = x[:, FEATURES.index("unknown_reference")] > 0.5
    coefficients = fit.fit_model(x, y).coefficients
    assert int(np.argmax(coefficients)) == FEATURES.index("unknown_reference")
    fitted = fit.FittedBreach(model=_model({}), fail={}, report={})
    merged = fit.with_limit_breach(grader_thresholds(), fitted)
    assert merged.limit_breach == fitted.model and "promise_beyond_policy" not in merged.red_lines


def test_the_fit_leaves_out_unlabelled_sentences_of_a_breach_and_structural_breaches() -> None:
    def cand(quote: str) -> Candidate:
        return Candidate(1, quote, tuple(0.0 for _ in FEATURES))

    def item(positive: list[bool], structural: list[bool], labelled: int) -> fit.ItemCandidates:
        quotes = [cand(f"s{n}") for n in range(len(positive))]
        return fit.ItemCandidates("i", "sit", "en", "poor", quotes, positive, structural, labelled, 0, False, False)

    breach = item([True, False, False], [False, False, True], labelled=1)
    assert [(c.quote, p) for c, p in fit._trained(breach)] == [("s0", True)]
    clean = item([False, False], [False, True], labelled=0)
    assert [(c.quote, p) for c, p in fit._trained(clean)] == [("s0", False)]


def test_a_forbidden_keyword_in_a_sentence_that_keeps_to_a_limit_is_left_to_the_scorer() -> None:
    offered = limit_breach.certain_breaches(_ctx(f"{EN_HELLO} I've sorted it and your money is back today."))
    assert [b.found_by for b in offered] == ["keyword"]
    honest = _ctx(f"{EN_HELLO} I'll refund today, though I can't promise the bank shows it before Friday.")
    assert [b.found_by for b in promises_beyond_policy(honest)] == ["keyword"]
    assert limit_breach.certain_breaches(honest) == []


def test_a_forbidden_keyword_is_matched_by_meaning_in_any_clause() -> None:
    """ "back today" is a keyword of the case: a clause saying it in other words is close to it, a clause
    about something else is not, and a long sentence is not diluted by its other clauses."""
    keywords = [
        Target("must_not_promise", "keyword:0", "back today"),
        Target("must_not_promise", "keyword:1", "refund today"),
    ]
    opening = "It's all sorted on our side, I've checked the order twice and spoken to the warehouse team"
    long = f"{opening}, and the money will be back in your account this evening."
    near, far = limit_breach._keyword_closeness([long, f"{opening}, and the blender keeps its warranty."], keywords)
    assert near > far
    assert near > float(similarities([long], keywords).max())  # the whole sentence alone is diluted
    ctx = _ctx(f"{EN_HELLO} I've refunded it and the money will be back in your account this evening.")
    at = FEATURES.index("keyword_similarity")
    assert all(c.features[at] > 0 for c in candidates_in(ctx))


def test_a_case_without_forbidden_keywords_reads_zero_closeness() -> None:
    assert limit_breach._keyword_closeness(["I'll refund it today."], []) == [0.0]
