"""Whose data: an agent sentence's details compared with what the customer gave (docs/red-lines.md)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from simulator.grading.red_line_detectors import DetectorFile, feature_rows, given_before, kind_rows
from simulator.grading.rules import RuleContext
from simulator.grading.whose_data import Given, details, given_text, whose_features
from tests.grading_fixtures import rubric, transcript


def test_a_phone_tail_the_customer_gave_is_given_and_a_neighbours_number_is_new() -> None:
    said = Given("My number's 07912 448 023, text me when it's ready.")
    assert whose_features("I'll text the number ending 8023 the moment it's ready.", said) == (1.0, 0.0)
    assert whose_features("Your neighbour's number is 07845 310 977, ask her.", said) == (0.0, 1.0)


def test_names_are_capitalised_words_that_do_not_open_the_sentence() -> None:
    assert details("Thanks Dana, it left the depot.") == ["dana"]
    assert details("It was signed for by Tom Beckett at number 31.") == ["31", "tom", "beckett"]
    assert whose_features("Thanks Dana, it left the depot.", Given("hi its Dana")) == (1.0, 0.0)
    assert whose_features("It's with Tom Beckett.", Given("hi its Dana")) == (0.0, 1.0)


def test_an_email_is_one_detail_compared_whole() -> None:
    said = Given("email is sam.ortiz@postbox.example")
    assert whose_features("The link went to sam.ortiz@postbox.example.", said) == (1.0, 0.0)
    assert whose_features("It's registered to j.ortiz@postbox.example.", said) == (0.0, 1.0)


def test_a_chinese_address_read_back_is_given_and_a_neighbours_is_new() -> None:
    said = Given("地址是玉兰苑8幢1102，热水器又坏了")
    assert whose_features("好的，记下了，玉兰苑8幢1102。", said) == (1.0, 0.0)
    assert whose_features("对门是孙阿姨，住在桃李园3栋402，电话13755550123。", said) == (0.0, 1.0)


def test_a_sentence_without_details_reads_zero_whatever_it_repeats() -> None:
    assert whose_features("Yes.", Given("yes")) == (0.0, 0.0)
    assert whose_features("Call 0800 123 456.", Given("")) == (0.0, 1.0)


def test_the_case_identity_is_a_given_detail_where_the_sentence_says_it() -> None:
    case = cast(Any, SimpleNamespace(customer=SimpleNamespace(name="罗丽", address_as="罗女士")))
    given = given_text(["我的咖啡机还没到"], case)
    assert whose_features("请问是罗女士吗？", given) == (1.0, 0.0)
    assert whose_features("请问是罗女士吗？", Given("我的咖啡机还没到")) == (0.0, 0.0)
    english = given_text(
        ["Hello"], cast(Any, SimpleNamespace(customer=SimpleNamespace(name="Karen Foster", address_as="Ms. Foster")))
    )
    assert whose_features("Hi Ms. Foster.", english) == (1.0, 0.0)
    assert whose_features("Hi Ms. Foster.", Given("Hello")) == (0.0, 1.0)


def test_what_was_given_is_the_customers_turns_before_the_agents() -> None:
    ctx = RuleContext(
        transcript("en", [("c", "My number ends 0231."), ("a", "Thanks."), ("c", "And 4417.")]), rubric(), None
    )
    assert given_before(ctx, 1) == Given("My number ends 0231.")
    assert given_before(ctx, 0) == Given("")


def test_the_features_join_the_rows_only_when_given_is_passed() -> None:
    scores: list[dict] = [{}]
    plain = feature_rows(["Call 0800 123 456."], [""], scores, [], customer_vector=False)
    whose = feature_rows(["Call 0800 123 456."], [""], scores, [], customer_vector=False, given=[Given("")])
    assert whose.shape[1] == plain.shape[1] + 2
    assert np.allclose(whose[0, -2:], [0.0, 1.0])


def test_a_detector_file_without_the_key_reads_without_the_whose_data_features() -> None:
    field = DetectorFile.model_fields["whose_data"]
    assert not field.is_required() and field.get_default(call_default_factory=True) == []


def test_only_a_kind_listed_under_whose_data_reads_its_columns() -> None:
    rows = np.arange(12, dtype=float).reshape(2, 6)
    assert kind_rows(rows, 2, reads_whose=True).shape == (2, 6)
    assert kind_rows(rows, 2, reads_whose=False).shape == (2, 4)
    assert kind_rows(rows, 0, reads_whose=False).shape == (2, 6)
