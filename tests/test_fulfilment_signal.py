"""The request-fulfilment signal ``details_given``: details asked for and given, withheld or pending."""

from __future__ import annotations

import pytest

from simulator.grading.fulfilment import load_pairs, pairs_key, shipped_model
from simulator.grading.offline import Measure, default_weights
from simulator.grading.rules import run_rules
from simulator.models import Transcript
from tests.grading_fixtures import rubric, transcript

needs_model = pytest.mark.skipif(
    shipped_model() is None, reason="no fitted fulfilment model shipped (drill train fulfilment)"
)


def details_given(t: Transcript) -> float | None:
    result = Measure(t, rubric(), None, run_rules(t, rubric(), None), None, default_weights()).signal("details_given")
    return result.value if result.applicable else None


ASKED = {
    "en": [
        ("c", "hi, i'm after somewhere cheap to eat in the centre"),
        ("a", "Hello! The Rice Boat is a cheap Indian place in the centre."),
        ("c", "sounds good. could I have their phone number and the address please?"),
    ],
    "zh-CN": [
        ("c", "你好，帮我找个海淀区的川菜馆，人均一百以内的"),
        ("a", "您好，蜀香园在中关村那边，人均七十左右。"),
        ("c", "行，把他们的电话和地址发我一下吧"),
    ],
}
COMPLETE = {
    "en": "Sure, the phone number is 01223 553 382 and they're at 72 Regent Street, cb2 1dp.",
    "zh-CN": "好的，电话是010-62558871，地址是海淀区中关村南大街12号。",
}
WITHHELD = {
    "en": "Sure, they're at 72 Regent Street.",
    "zh-CN": "好的，地址是海淀区中关村南大街12号。",
}


@needs_model
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_complete_answer_scores_above_one_that_holds_back_a_detail(language: str) -> None:
    complete = details_given(transcript(language, [*ASKED[language], ("a", COMPLETE[language])]))
    withheld = details_given(transcript(language, [*ASKED[language], ("a", WITHHELD[language])]))
    assert complete is not None and withheld is not None
    assert complete > withheld


@needs_model
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_request_no_agent_turn_follows_counts_as_pending(language: str) -> None:
    pending = details_given(transcript(language, ASKED[language]))
    complete = details_given(transcript(language, [*ASKED[language], ("a", COMPLETE[language])]))
    assert pending is not None and complete is not None and pending < complete


@needs_model
@pytest.mark.parametrize(
    ("language", "turns"),
    [
        ("en", [("c", "Thanks, that's all sorted then."), ("a", "Glad to help, have a lovely evening!")]),
        ("zh-CN", [("c", "好的谢谢啦，没别的事了"), ("a", "不客气哦，祝您生活愉快~")]),
    ],
)
def test_a_transcript_without_requests_is_neutral(language: str, turns: list[tuple[str, str]]) -> None:
    assert details_given(transcript(language, turns)) is None


@pytest.mark.parametrize("split", ["train", "dev"])
def test_the_pair_files_load_with_both_labels_in_both_languages(split: str) -> None:
    pairs = load_pairs(split)
    for language in ("en", "zh-CN"):
        labels = {pair.gives for pair in pairs if pair.language == language}
        assert labels == {True, False}


@needs_model
def test_the_shipped_model_was_fitted_on_the_pair_files_in_the_repository() -> None:
    model = shipped_model()
    assert model is not None
    assert model.meta["pairs_key"] == pairs_key(), "pair files changed: rerun `drill train fulfilment`"
