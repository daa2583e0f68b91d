"""Learned red-line detectors: unsafe advice, another person's data, insults (docs/red-lines.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.content_problems import ContentError
from simulator.evals.grader_thresholds import Scored
from simulator.evals.red_line_detector_fit import TrainMatrix, _holds, _line
from simulator.grading import red_line_detectors, red_lines
from simulator.grading.red_line_corpus import DETECTED, UNLABELLED_BY_ACT, corpus_hash, load_sentences
from simulator.grading.red_line_detectors import (
    DetectorFile,
    DetectorLine,
    detector_file,
    reading_units,
    sentence_probability,
)
from simulator.grading.rules import RuleContext
from simulator.grading.whose_data import WHOSE_FEATURES, Given
from simulator.models import Language
from simulator.recognition.classifier import shipped_model
from simulator.recognition.encoder import DIMENSIONS, model_id
from simulator.recognition.sentence_acts import score_sentences
from tests.grading_fixtures import rubric, transcript

FILE = """\
language: en
split: train
source: tiny
licence: written for drill (MIT)
items:
  - customer: "Can I eat it?"
    agent: "Please don't eat it."
    label: none
"""


def scan(language: str, customer: str, agent: str) -> red_lines.RedLineScan:
    return RuleContext(transcript(language, [("c", customer), ("a", agent)]), rubric(), None).red_lines


def kinds(found: red_lines.RedLineScan) -> set[str]:
    return {hit.kind for hit in [*found.confirmed, *found.review]}


def test_the_shipped_detectors_were_fitted_on_this_corpus_with_this_encoder_and_act_model() -> None:
    fitted = detector_file()
    assert fitted is not None
    assert fitted.corpus_sha256 == corpus_hash()
    assert fitted.encoder == model_id()
    assert fitted.act_model == shipped_model().corpus_key
    width = DIMENSIONS * (2 if fitted.customer_vector else 1) + len(fitted.acts)
    assert set(fitted.detectors) == set(DETECTED)
    for kind, detector in fitted.detectors.items():
        assert len(detector.coefficients) == width + (len(WHOSE_FEATURES) if kind in fitted.whose_data else 0)
        for line in detector.fail.values():
            assert line.precision >= fitted.targets["red_line_precision"]


def test_the_corpus_has_both_languages_and_every_label() -> None:
    lines = load_sentences()
    for language in ("en", "zh-CN"):
        labels = {line.label for line in lines if line.language == language}
        assert labels == {"unsafe_advice", "other_person_data", "insult_or_threat", "none"}


def test_a_corpus_file_with_an_unknown_key_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "tiny.en.yaml").write_text(FILE.replace("label: none", "label: none\n    severity: high"), "utf-8")
    with pytest.raises(ContentError, match="severity"):
        load_sentences(tmp_path)


def test_a_corpus_file_with_a_wrong_label_or_name_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "tiny.en.yaml").write_text(FILE.replace("label: none", "label: rude"), "utf-8")
    with pytest.raises(ContentError, match="label"):
        load_sentences(tmp_path)
    (tmp_path / "tiny.en.yaml").unlink()
    (tmp_path / "other.en.yaml").write_text(FILE, "utf-8")
    with pytest.raises(ContentError, match="file name"):
        load_sentences(tmp_path)


def test_one_bite_is_fine_is_unsafe_advice_and_please_do_not_eat_it_is_not() -> None:
    asked = "The chicken was still pink in the middle and my son already ate some, is he okay?"
    unsafe = scan("en", asked, "Honestly one bite is fine, just let him finish it.")
    safe = scan("en", asked, "Please don't let him eat any more of it; if he feels unwell, call your doctor.")
    assert "unsafe_advice" in kinds(unsafe)
    # The safe answer never fails the session. On the lines fitted 2026-12-03 (11 English positives on
    # dev) it can reach the mentor-review line (docs/red-lines.md, "Known weak spots"), so the check is
    # that it fails nothing and reads clearly below the unsafe answer.
    assert not [line for line in safe.confirmed if line.kind == "unsafe_advice"]
    unsafe_confidence = max(
        line.confidence for line in unsafe.confirmed + unsafe.review if line.kind == "unsafe_advice"
    )
    safe_confidence = max((line.confidence for line in safe.review if line.kind == "unsafe_advice"), default=0.0)
    assert safe_confidence < unsafe_confidence - 0.1


def probabilities(language: Language, *texts: str) -> dict[str, list[float]]:
    fitted = detector_file()
    assert fitted is not None
    units = reading_units(texts, [""] * len(texts), score_sentences(texts, language), language, fitted)
    return {
        kind: list(
            sentence_probability(d, units, reads_whose=kind in fitted.whose_data, reads_clauses=kind in fitted.clauses)
        )
        for kind, d in fitted.detectors.items()
    }


# Fixed by the redmiss sentences (the caller's own details on file read back, 2026-12-04): 0.9243 against the
# English review line 0.9387 (was 0.9481 against 0.9472); docs/red-lines.md.
def test_the_customers_own_address_on_file_is_not_flagged() -> None:
    own = "I'll send it to your address on file, 12 Elm Street, so you don't have to go next door."
    fitted = detector_file()
    assert fitted is not None
    review = fitted.detectors["other_person_data"].review["en"].min_probability
    assert probabilities("en", own)["other_person_data"][0] < review


def test_a_neighbours_name_and_phone_is_another_persons_data_and_a_refusal_is_not() -> None:
    leak = "It was signed for by a Mrs Julia Patel at number 14, her mobile is 07700 900123."
    refusal = "I can't share your neighbour's details, but I'll ask the courier to collect it for you."
    found = probabilities("en", leak, refusal)["other_person_data"]
    assert found[0] > 0.5 > found[1]
    zh = probabilities(
        "zh-CN",
        "隔壁502的王女士签收的，她电话是13912345678，您直接打给她。",
        "邻居的电话我不能告诉您，我让快递员去联系她。",
    )
    assert zh["other_person_data"][0] > 0.5 > zh["other_person_data"][1]


def test_details_the_customer_gave_read_back_score_lower_than_the_same_details_unheard() -> None:
    fitted = detector_file()
    assert fitted is not None and "other_person_data" in fitted.whose_data
    text = "记下了，玉兰苑8幢1102，手机13912340231，明天上午师傅上门。"
    said = "地址是玉兰苑8幢1102，手机13912340231，热水器坏了"
    scores = score_sentences([text, text], "zh-CN")
    units = reading_units([text, text], [said, ""], scores, "zh-CN", fitted, [Given(said), Given("")])
    heard, unheard = sentence_probability(
        fitted.detectors["other_person_data"], units, reads_whose=True, reads_clauses=True
    )
    assert heard < unheard


def test_unsafe_advice_in_chinese_is_read_by_meaning() -> None:
    found = probabilities(
        "zh-CN",
        "有点糊味没事的，插头发烫正常，您接着用就行。",
        "闻到糊味请先拔掉插头，别再用了，我们安排师傅上门检测。",
    )
    assert found["unsafe_advice"][0] > 0.5 > found["unsafe_advice"][1]


def test_a_hit_at_the_fail_line_is_confirmed_and_below_it_goes_to_review(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = detector_file()
    assert shipped is not None
    detector = shipped.detectors["unsafe_advice"]
    agent = "Honestly one bite is fine, just let him finish it."
    asked = "The chicken was still pink in the middle, is he okay?"
    found = scan("en", asked, agent)
    hit = next(h for h in [*found.confirmed, *found.review] if h.kind == "unsafe_advice")
    assert hit.quote and hit.why and hit.source == "recogniser"
    for line, where in ((hit.confidence or 0.0) - 1e-6, "confirmed"), ((hit.confidence or 0.0) + 1e-6, "review"):
        at = DetectorLine(min_probability=max(line, 0.0), precision=1, recall=1, positives=1, real_dev_flags=0)
        review = DetectorLine(min_probability=0.0, precision=1, recall=1, positives=1, real_dev_flags=0)
        changed = detector.model_copy(update={"fail": {"en": at}, "review": {"en": review}})
        patched = shipped.model_copy(update={"detectors": {**shipped.detectors, "unsafe_advice": changed}})
        monkeypatch.setattr(red_line_detectors, "detector_file", lambda patched=patched: patched)
        again = scan("en", asked, agent)
        assert any(h.kind == "unsafe_advice" for h in getattr(again, where))


def test_without_a_fitted_file_the_detectors_find_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(red_line_detectors, "detector_file", lambda: None)
    assert "unsafe_advice" not in kinds(scan("en", "Is it safe?", "Honestly one bite is fine, just let him finish it."))


def test_a_malformed_detector_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "red_line_detectors.json"
    bad.write_text('{"encoder": "x"}', "utf-8")
    with pytest.raises(Exception, match="red-line-detectors --write"):
        detector_file.__wrapped__(bad)
    assert DetectorFile.model_fields["customer_vector"].is_required()


def test_a_mentors_quote_over_a_sentence_break_marks_each_sentence_it_holds() -> None:
    quote = "a Mr Gary Holroyd, he had a kettle from us last week. His mobile's 07700 900418"
    assert _holds(
        quote,
        "Hang on, our system has a customer at 41 Elm Grove, a Mr Gary Holroyd, he had a kettle from us last week.",
    )
    assert _holds(quote, "His mobile's 07700 900418 if you want to give him a ring.")
    assert not _holds(quote, "Sorry again for the mix-up.")


def test_a_line_lies_halfway_below_the_lowest_sentence_it_keeps() -> None:
    scored = [Scored(0.95, True), Scored(0.9, True), Scored(0.8, False), Scored(0.1, False)]
    line = _line(scored, [False, False, True, False], 0.98)
    assert line is not None and line.min_probability == pytest.approx(0.85)
    assert (line.precision, line.recall, line.positives, line.real_dev_flags) == (1.0, 1.0, 2, 0)
    assert _line([Scored(0.9, False), Scored(0.5, True)], [True, False], 0.98) is None


def test_clauses_are_read_per_kind_and_an_older_file_saying_true_or_false_still_reads() -> None:
    shipped = detector_file()
    assert shipped is not None
    raw = shipped.model_dump(mode="json")
    assert DetectorFile.model_validate({**raw, "clauses": True}).clauses == list(DETECTED)
    assert DetectorFile.model_validate({**raw, "clauses": False}).clauses == []
    assert DetectorFile.model_validate({**raw, "clauses": ["other_person_data"]}).clauses == ["other_person_data"]


def test_a_kind_that_reads_sentences_only_ignores_the_clause_rows() -> None:
    detector = red_line_detectors.Detector(means=[0.0], scales=[1.0], coefficients=[1.0], intercept=0.0)
    # Two sentences; the second has a clause row that scores far higher than the sentence itself.
    units = red_line_detectors.Units(np.asarray([[0.0], [-1.0], [5.0]]), np.asarray([0, 1, 1]), 2)
    with_clauses = sentence_probability(detector, units, reads_clauses=True)
    without = sentence_probability(detector, units, reads_clauses=False)
    assert with_clauses[1] > 0.99 > 0.5 > without[1]
    assert with_clauses[0] == without[0] == 0.5


def test_acts_corpus_brush_offs_and_insults_are_left_out_of_the_insult_fit_only() -> None:
    train = TrainMatrix(
        np.asarray([[1.0], [2.0], [3.0]]),
        ["insult_or_threat", "none", "none"],
        [frozenset(), frozenset({"insult_or_threat"}), frozenset()],
    )
    x, y = train.for_kind("insult_or_threat")
    assert x[:, 0].tolist() == [1.0, 3.0] and y.tolist() == [True, False]
    x, y = train.for_kind("unsafe_advice")
    assert x[:, 0].tolist() == [1.0, 2.0, 3.0] and not y.any()
    assert "forbidden_phrase" in UNLABELLED_BY_ACT["insult_or_threat"]
