"""The fulfilment pair files: both sources load, validate strictly and are hashed; the build's structure."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from simulator.grading.fulfilment import (
    GIVING_KINDS,
    PAIRS_DIR,
    FulfilmentError,
    load_pair_file,
    load_pairs,
    load_pairs_by_source,
    pair_files,
    pairs_key,
)
from simulator.grading.fulfilment_build import Template, _fill, _tellers


def _write(path: Path, split: str, pair: dict[str, object]) -> Path:
    header = {"split": split, "source": "test", "built_by": "test", "pairs": [pair]}
    path.write_text(yaml.safe_dump(header, allow_unicode=True), encoding="utf-8")
    return path


PAIR = {"language": "en", "request": "phone and address?", "reply": "01223 460 882, 4 kings parade", "gives": True}


@pytest.mark.parametrize("split", ["train", "dev"])
def test_both_sources_are_read_and_the_handwritten_pairs_hold_back_a_detail(split: str) -> None:
    by_source = load_pairs_by_source(split)
    assert set(by_source) == {"convlab", "handwritten"}
    assert len(load_pairs(split)) == sum(len(pairs) for pairs in by_source.values())
    for language in ("en", "zh-CN"):
        kinds = {pair.kind for pair in by_source["handwritten"] if pair.language == language}
        assert {"complete", "complete_masked", "partial"} <= kinds


def test_no_request_wording_is_in_both_handwritten_splits() -> None:
    train, dev = ({pair.request for pair in load_pairs_by_source(s)["handwritten"]} for s in ("train", "dev"))
    assert not train & dev


@pytest.mark.parametrize(
    "pair",
    [
        {**PAIR, "kind": "complete", "source": "extra key"},
        {**PAIR, "kind": "partial"},  # a held-back reply cannot give
        {**PAIR, "kind": "more_or_less"},
    ],
)
def test_a_pair_with_an_unknown_key_kind_or_a_label_against_its_kind_is_rejected(
    tmp_path: Path, pair: dict[str, object]
) -> None:
    with pytest.raises(FulfilmentError):
        load_pair_file(_write(tmp_path / "train.yaml", "train", pair), "train")


def test_a_file_of_the_other_split_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FulfilmentError):
        load_pair_file(_write(tmp_path / "dev.yaml", "dev", {**PAIR, "kind": "complete"}), "train")


def test_the_key_covers_the_handwritten_files(tmp_path: Path) -> None:
    for path in [*pair_files("train").values(), *pair_files("dev").values()]:
        shutil.copy(path, tmp_path / path.name)
    before = pairs_key(tmp_path)
    assert before == pairs_key(PAIRS_DIR)
    _write(tmp_path / "handwritten-dev.yaml", "dev", {**PAIR, "kind": "complete"})
    assert pairs_key(tmp_path) != before
    assert [p.kind in GIVING_KINDS for p in load_pairs_by_source("dev", tmp_path)["handwritten"]] == [True]


def test_a_numbered_crosswoz_list_slot_is_filled_from_its_values() -> None:
    values = {"周边餐馆": ["海底捞"], "default": ["这个"]}
    filled = _fill("周边的餐馆有[Inform+酒店+周边餐馆2], [Inform+酒店+周边餐馆1]。", "zh-CN", values, random.Random(0))
    assert filled == "周边的餐馆有海底捞, 海底捞。"


def test_a_booking_reply_tells_only_the_reference_for_another_domain() -> None:
    booked = Template("I was able to book a table for 6 at #BOOKING-BOOK-TIME#.", "booking", frozenset({"time"}))
    reference = Template("Reference number is #BOOKING-BOOK-REF#.", "booking", frozenset({"ref"}))
    travel = Template("The travel time is #TRAIN-INFORM-TIME#.", "train", frozenset({"time"}))
    templates = [booked, reference, travel]
    assert _tellers(templates, "train", "time", "en") == [travel]
    assert _tellers(templates, "train", "ref", "en") == [reference]
