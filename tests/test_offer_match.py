"""The offer–resolution matcher: shipped with the pairs it was fitted on, strict pair files, by meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.recognition.offer_match import load_matcher, match_offers, pairs_key, shipped_matcher
from simulator.recognition.offer_pairs import OfferPairsError, load_offer_pairs
from tests.offline_fixtures import zh_case


def test_the_shipped_matcher_was_fitted_on_the_current_train_and_dev_pairs() -> None:
    assert shipped_matcher().pairs_key == pairs_key(), (
        "simulator/recognition/offers/ changed since the matcher was fitted: run `drill train offers` "
        "and commit simulator/recognition/model/offer_match.json"
    )


def test_a_pairs_file_naming_an_unknown_target_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "dev"
    folder.mkdir()
    (folder / "x.zh-CN.yaml").write_text(
        "language: zh-CN\nsplit: dev\nsource: x\nlicence: test\nsentences:\n"
        "  - {case: zh-test-late-parcel, text: 给您补发。, matches: [resolution:nope]}\n",
        encoding="utf-8",
    )
    case = zh_case()
    with pytest.raises(OfferPairsError, match="resolution:nope"):
        load_offer_pairs("dev", {case.id: case}, root=tmp_path)


def test_an_unreadable_matcher_says_how_to_rebuild_it(tmp_path: Path) -> None:
    broken = tmp_path / "offer_match.json"
    broken.write_text("{}", encoding="utf-8")
    with pytest.raises(Exception, match="drill train offers"):
        load_matcher(broken)


def test_offers_match_by_meaning_and_refusals_do_not_match_what_they_refuse() -> None:
    case = zh_case()
    targets = [*case.acceptable_resolutions, *case.customer_refuses]
    said = ["我现在就给您重新寄一台新的过去，今天发货，三天之内到您家。"]
    assert [m.resolution_id for m in match_offers(said, targets)][:1] == ["resend"]
    assert "resend" not in [m.resolution_id for m in match_offers(["今天天气不错。"], targets)]
