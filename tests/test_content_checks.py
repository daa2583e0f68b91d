"""Coherent pairings and openings: each check of ``simulator.content_checks`` with its exact message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.config import PROJECT_DIR
from simulator.content import content_files, load_library, validate_files

FIXTURE = Path(__file__).parent / "fixtures" / "content"
PERSONA = "content/personas/calm_tester.yaml"
CASE = "content/casebank/zh-logistics-test-parcel.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A private copy of the small fixture library (cwd is tmp_path, so paths print as content/...)."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def edit(path: Path, *pairs: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, f"fixture text {old!r} not found in {path}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def problems_of(content_dir: Path) -> list[str]:
    _, problems = validate_files(content_files(content_dir))
    return [str(problem) for problem in problems]


def edit_case(content: Path, *pairs: tuple[str, str]) -> None:
    edit(content / "casebank/zh-logistics-test-parcel.yaml", *pairs)


def edit_persona(content: Path, *pairs: tuple[str, str]) -> None:
    edit(content / "personas/calm_tester.yaml", *pairs)


# ---------------------------------------------------------------------------------------------
# Case against the personas it suggests


def test_suggested_persona_must_fit_the_customers_age(content: Path) -> None:
    edit_case(content, ("age_range: 30-39", "age_range: 70+"))
    assert problems_of(content) == [
        f"{CASE}:8:12: persona 'calm_tester' does not fit this customer (李明): age_range '70+' "
        "(fits: 30-39, 40-49); suggest a persona that fits or change customer"
    ]


def test_suggested_persona_must_fit_gender_and_relation(content: Path) -> None:
    edit_persona(content, ("genders: [female, male]", "genders: [female]"))
    edit_case(content, ("relation: account_holder", "relation: family_member"))
    assert problems_of(content) == [
        f"{CASE}:8:12: persona 'calm_tester' does not fit this customer (李明): gender 'male' (fits: female); "
        "relation 'family_member' (fits: account_holder); suggest a persona that fits or change customer"
    ]
    # the trainer's editor in Chinese: the whole message, each conflict too, in Chinese
    _, problems = validate_files(content_files(content))
    assert [problem.text("zh-CN") for problem in problems] == [
        "客户画像 'calm_tester' 与这位客户(李明)不相符:gender 是 'male'(适配:female);"
        "relation 是 'family_member'(适配:account_holder);请换一个相符的客户画像,或修改 customer"
    ]


def test_an_unspecified_gender_fits_any_persona(content: Path) -> None:
    edit_persona(content, ("genders: [female, male]", "genders: [female]"))
    edit_case(content, ("gender: male", "gender: unspecified"), ("address_as: 李先生", "address_as: 李明"))
    assert problems_of(content) == []


# ---------------------------------------------------------------------------------------------
# The customer's name and honorifics


def test_address_as_must_use_the_customers_name(content: Path) -> None:
    edit_case(content, ("address_as: 李先生", "address_as: 王先生"))
    assert problems_of(content) == [
        f"{CASE}:41:15: address_as '王先生' does not use the customer's name '李明'; "
        "address them by name (e.g. surname and honorific)"
    ]


def test_address_as_must_match_the_customers_gender(content: Path) -> None:
    edit_case(content, ("address_as: 李先生", "address_as: 李女士"))
    assert problems_of(content) == [f"{CASE}:41:15: address_as '李女士' says '女士' (female) but the customer is male"]


def test_unspecified_gender_needs_a_neutral_address(content: Path) -> None:
    edit_case(content, ("gender: male", "gender: unspecified"))
    assert problems_of(content) == [
        f"{CASE}:41:15: address_as '李先生' says '先生' (male) but gender is unspecified; "
        "set customer.gender or address them neutrally"
    ]


def test_case_text_may_not_address_the_customer_with_the_other_gender(content: Path) -> None:
    edit_case(content, ("text: 您好，我是客服小李。", "text: 李女士您好，我是客服小李。"))
    assert problems_of(content) == [
        f"{CASE}:30:11: '李女士' addresses the customer as female, but customer.gender is male (address_as: 李先生)"
    ]


# ---------------------------------------------------------------------------------------------
# Opening lines against channel and start


def test_phone_words_do_not_open_a_chat(content: Path) -> None:
    edit_case(content, ("opening_line: 我的台灯", "opening_line: 喂，我的台灯"))
    assert problems_of(content) == [
        f"{CASE}:12:15: opening_line '喂' is only said on the phone (chat); "
        "reword the opening line or change channel/start"
    ]


def test_a_customer_the_agent_rang_did_not_make_the_contact(content: Path) -> None:
    edit_case(
        content,
        ("channel: chat", "channel: outbound_call"),
        ("opening_line: 我的台灯", "opening_line: 我是不是找对地方了？我的台灯"),
    )
    assert problems_of(content) == [
        f"{CASE}:12:15: opening_line '我是不是找对地方了' is said by a customer who made the contact, not one the "
        "agent rang (outbound_call); reword the opening line or change channel/start"
    ]


def test_no_greeting_mid_conversation(content: Path) -> None:
    edit_case(
        content, ("start: greeting", "start: mid_conversation"), ("opening_line: 我的", "opening_line: 你好，我的")
    )
    assert problems_of(content) == [
        f"{CASE}:12:15: opening_line '你好' is a greeting, and this drill starts mid-conversation "
        "(mid_conversation); reword the opening line or change channel/start"
    ]


def test_polite_words_that_only_look_like_a_greeting_pass(content: Path) -> None:
    # "你好像" is not "你好": cues are whole clauses.
    edit_case(
        content, ("start: greeting", "start: mid_conversation"), ("opening_line: 我的", "opening_line: 你好像忘了我的")
    )
    assert problems_of(content) == []


def test_persona_opening_prefix_must_fit_its_list(content: Path) -> None:
    edit_persona(
        content,
        (
            "  zh-CN: &lines\n",
            "  zh-CN: &lines\n    opening_prefix:\n      outbound_call: [你好，请问是客服吗？]\n      chat: [在吗？]\n",
        ),
    )
    assert problems_of(content) == [
        f"{PERSONA}:45:23: opening prefix '请问是客服吗' is said by a customer who made the contact, not one the agent "
        "rang (outbound_call); reword it or move it to another list"
    ]


# ---------------------------------------------------------------------------------------------
# Persona text: no name, second person, gendered words only where fits allows


def test_persona_label_has_no_brackets(content: Path) -> None:
    edit_persona(content, ("  zh: 测试客户\n", "  zh: 测试客户(理性型)\n"))
    assert problems_of(content) == [
        f"{PERSONA}:4:3: label: label '测试客户(理性型)' has brackets; a label is the customer type in a few "
        "words, with no person name and no archetype in brackets (the archetype has its own key)"
    ]


def test_persona_names_nobody(content: Path) -> None:
    edit_persona(content, ("[我想问一下订单的情况。]", "[我叫王芳，想问一下订单的情况。]"))
    assert problems_of(content) == [
        f"{PERSONA}:33:10: '我叫' names the customer; a persona has no name (the case gives it)"
    ]


def test_persona_portrait_is_in_the_second_person(content: Path) -> None:
    edit_persona(content, ("  zh: 你说话平和，是测试用的客户。", "  zh: 一位说话平和的测试客户。"))
    assert problems_of(content) == [
        f"{PERSONA}:10:7: the portrait speaks about the customer; write it to them in the second person (你…) "
        "so the model plays it"
    ]


def test_gendered_self_description_needs_a_matching_fit(content: Path) -> None:
    edit_persona(content, ("[我想问一下订单的情况。]", "[我一个老太太，想问一下订单的情况。]"))
    assert problems_of(content) == [
        f"{PERSONA}:33:10: '老太太' makes the customer female, but fits.genders is [female, male]; "
        "reword it or fit female only"
    ]


def test_gendered_self_description_is_fine_when_the_persona_fits_that_gender_only(content: Path) -> None:
    edit_persona(
        content,
        ("[我想问一下订单的情况。]", "[我一个老太太，想问一下订单的情况。]"),
        ("genders: [female, male]", "genders: [female]"),
    )
    edit_case(content, ("gender: male", "gender: female"), ("address_as: 李先生", "address_as: 李女士"))
    assert problems_of(content) == []


# ---------------------------------------------------------------------------------------------
# Chinese punctuation: a warning, never a failure


def test_half_width_punctuation_in_chinese_is_a_warning(content: Path) -> None:
    edit_case(content, ("text: 您好，我是客服小李。", "text: 您好,我是客服小李(工号3021)。"))
    assert problems_of(content) == [
        f"{CASE}:30:11: warning: half-width punctuation in Chinese text (','→'，' '('→'（' ')'→'）'): "
        "“您好,我是客服小李(工…”"
    ]
    assert load_library(content).cases  # warnings do not stop the library from loading


def test_numbers_and_english_keep_their_punctuation(content: Path) -> None:
    edit_case(content, ("text: 您好，我是客服小李。", "text: 您好，运费3.5元，6:05前到，SKU A-1,200件。"))
    assert problems_of(content) == []


def test_a_forbidden_promise_keyword_inside_the_cases_own_acceptable_line_is_reported(content: Path) -> None:
    # "补发" is what the case may offer; as a forbidden keyword it would read the right offer as a red line.
    edit_case(
        content,
        (
            "  must_not_promise: [当天送达]",
            "  must_not_promise: [当天送达]\n  forbidden_promise_keywords: [当天到, 补发]",
        ),
        ("    description: 补发", "    description: 免费补发一件同款"),
    )
    problems = problems_of(content)
    assert len(problems) == 2
    where = f"{CASE}:27:37: warning: forbidden promise keyword '补发' occurs in this case's own acceptable line "
    assert problems[0] == where + (
        "acceptable_resolutions.0.description ('补发' in “免费补发一件同款”): an agent who says the acceptable "
        "thing would be read as breaking the limit; make the keyword name the promise itself "
        "(e.g. 'i guarantee' or 'guaranteed by friday' instead of 'guarantee')"
    )
    assert problems[1].startswith(where + "policy.may_offer.0 ('补发' in “补发”)")
    assert load_library(content).cases  # a warning: the library still loads


def test_a_specific_keyword_that_the_acceptable_lines_do_not_contain_passes(content: Path) -> None:
    edit_case(
        content,
        (
            "  must_not_promise: [当天送达]",
            "  must_not_promise: [当天送达]\n  forbidden_promise_keywords: [今天肯定到]",
        ),
    )
    assert problems_of(content) == []


def test_resolution_ids_are_unique_across_accepts_and_refusals(content: Path) -> None:
    edit_case(
        content,
        (
            "forbidden_phrasing: [你去找快递]",
            "forbidden_phrasing: [你去找快递]\ncustomer_refuses:\n  - id: resend\n    description: 再等等",
        ),
    )
    (problem,) = problems_of(content)
    assert problem == (
        f"{CASE}:2:1: (file): resolution id(s) resend used twice across acceptable_resolutions and customer_refuses; "
        "give each its own id"
    )


# ---------------------------------------------------------------------------------------------
# The shipped library


def test_the_shipped_library_is_coherent_without_warnings() -> None:
    _, problems = validate_files(content_files(PROJECT_DIR))
    assert [str(problem) for problem in problems] == []


def test_every_shipped_case_suggests_personas_that_fit() -> None:
    library = load_library(PROJECT_DIR)
    for case in library.cases.values():
        assert case.personas, case.id
        assert all(library.personas[pid].fits_case(case) for pid in case.personas), case.id
