"""The brush-off check: a sentence read as a brush-off by meaning, cleared when a labelled courtesy is nearer."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from simulator.grading import brush_off_check
from simulator.grading.brush_off_check import (
    DATA_DIR,
    BrushOffCheck,
    NotBrushOffFile,
    data_key,
    not_brush_offs,
    shipped_check,
    uncleared,
)
from simulator.grading.offline import Measure, default_weights
from simulator.grading.rules import run_rules
from simulator.models import DialogueAct, Transcript
from simulator.recognition.corpus import split_hash
from simulator.recognition.encoder import sentence_encoder
from tests.grading_fixtures import rubric, transcript

ADVICE = "If the headache gets worse tonight, please phone your doctor right away."
SHUT = "That's your problem, not ours."


def small_check() -> BrushOffCheck:
    """A check of two brush-offs and two courtesies, in both languages."""
    encoder = sentence_encoder()
    brush_offs = encoder.encode(["Not my problem, sort it out yourself.", "这事跟我们没关系，你自己找快递去。"])
    courtesies = encoder.encode(
        ["Should the pain come back, see your GP as soon as you can.", "如果还是头晕，请马上联系您的主治医生。"]
    )
    return BrushOffCheck(brush_offs, courtesies, {})


def test_advice_to_see_a_doctor_is_cleared_and_a_brush_off_is_not() -> None:
    check = small_check()
    assert check.cleared([ADVICE, "如果吃完药胃不舒服，请尽快联系医生。"]) == [True, True]
    assert check.cleared([SHUT, "这个我们管不了，你去找商家吧。"]) == [False, False]
    assert check.margins([]).shape == (0,)


def measure(t: Transcript) -> Measure:
    return Measure(t, rubric(), None, run_rules(t, rubric(), None), None, default_weights())


def test_a_cleared_reading_is_no_finding_and_counts_neither_as_forbidden_by_meaning_nor_against_clean_wording(
    corrected_acts: dict[str, set[DialogueAct]], monkeypatch: pytest.MonkeyPatch
) -> None:
    corrected_acts[ADVICE] = {DialogueAct.forbidden_phrase}
    corrected_acts[SHUT] = {DialogueAct.forbidden_phrase}
    monkeypatch.setattr(brush_off_check, "shipped_check", small_check)
    advice = measure(transcript("en", [("c", "What do I do if it gets worse?"), ("a", ADVICE)]))
    assert advice.signal("forbidden_by_meaning").value == 0.0
    assert advice.signal("clean_wording").value == 1.0
    assert advice.findings_of("forbidden_phrase") == []
    shut = measure(transcript("en", [("c", "The courier lost it, what now?"), ("a", SHUT)]))
    assert shut.signal("forbidden_by_meaning").value == 1.0
    assert shut.signal("clean_wording").value == 0.0
    assert [f.quote for f in shut.findings_of("forbidden_phrase")] == [SHUT]
    assert uncleared([ADVICE, SHUT], small_check()) == [SHUT]


def test_without_a_fitted_check_nothing_is_cleared(
    corrected_acts: dict[str, set[DialogueAct]], monkeypatch: pytest.MonkeyPatch
) -> None:
    corrected_acts[ADVICE] = {DialogueAct.forbidden_phrase}
    monkeypatch.setattr(brush_off_check, "shipped_check", lambda: None)
    advice = measure(transcript("en", [("c", "What do I do if it gets worse?"), ("a", ADVICE)]))
    assert advice.signal("forbidden_by_meaning").value == 1.0
    assert uncleared([ADVICE]) == [ADVICE]


@pytest.mark.parametrize("split", ["train", "dev"])
def test_the_hand_written_sentences_load_in_both_languages(split: str) -> None:
    data = NotBrushOffFile.model_validate(yaml.safe_load((DATA_DIR / f"{split}.yaml").read_text(encoding="utf-8")))
    assert set(data.sentences) == {"en", "zh-CN"}
    assert all(data.sentences.values())
    assert not set(not_brush_offs("train")) & set(not_brush_offs("dev"))


@pytest.mark.skipif(shipped_check() is None, reason="no fitted brush-off check shipped")
def test_the_shipped_check_was_fitted_on_the_files_in_the_repository() -> None:
    check = shipped_check()
    assert check is not None
    assert check.meta["data_key"] == data_key()
    # Its brush-off centroids come from the act corpus's train split: a retrained corpus means a refit.
    assert check.meta["corpus_train_hash"] == split_hash(["train"])
    assert check.courtesies.shape == (len(not_brush_offs("train")), check.brush_offs.shape[1])
    assert np.allclose(np.linalg.norm(check.brush_offs, axis=1), 1.0, atol=1e-3)
