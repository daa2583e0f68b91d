"""Coherent persona-case pairs in the app, industry filters, and openings that fit how a drill starts."""

from __future__ import annotations

import random

import pytest

from simulator.app import scenario_choice
from simulator.app.i18n import AppError
from simulator.app.scenario_choice import ScenarioFilters
from simulator.app.views import case_detail, scenario_card
from simulator.config import PROJECT_DIR
from simulator.content import Library, load_library
from simulator.customer.llm_prompt import build_system_prompt, stage_direction
from simulator.customer.offline import OfflineCustomer
from simulator.models import Industry


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(PROJECT_DIR)


def case_ids(options: list[tuple[str, str]]) -> list[str]:
    return [value for _, value in options]


def test_only_fitting_scenarios_are_offered_for_a_persona(library: Library) -> None:
    elderly = library.persona("elderly_newcomer")
    offered = case_ids(scenario_choice.case_options(library, ScenarioFilters(), elderly.id, "zh-CN"))
    assert offered and all(elderly.fits_case(library.case(case_id)) for case_id in offered)
    # 周敏 is 38: an elderly persona would contradict her story
    assert "zh-privacy-family-order-lookup" not in offered
    everything = case_ids(scenario_choice.case_options(library, ScenarioFilters(show_all=True), elderly.id, "zh-CN"))
    assert "zh-privacy-family-order-lookup" in everything and set(offered) < set(everything)


def test_a_female_only_persona_is_never_offered_a_male_customer(library: Library) -> None:
    offered = case_ids(scenario_choice.case_options(library, ScenarioFilters(), "emotional_mother", "en"))
    genders = {library.case(case_id).customer.gender for case_id in offered}
    assert genders and genders <= {"female", "unspecified"}


def test_industry_filter(library: Library) -> None:
    banking = case_ids(scenario_choice.case_options(library, ScenarioFilters(industry="banking"), None, "en"))
    assert banking and all(library.case(case_id).industry == Industry.banking for case_id in banking)
    assert "zh-outage-double-charge" in banking and "zh-logistics-delayed-fridge" not in banking


def test_drawn_cards_are_coherent_and_follow_the_industry(library: Library) -> None:
    rng = random.Random(7)
    for _ in range(40):
        persona_id, case_id = scenario_choice.draw_card(library, ScenarioFilters(industry="e-commerce"), rng)
        case = library.case(case_id)
        assert case.industry == Industry.e_commerce
        assert library.persona(persona_id).fits_case(case)


def test_nothing_to_draw_says_so(library: Library) -> None:
    with pytest.raises(AppError) as caught:
        scenario_choice.draw_card(library, ScenarioFilters(industry="fitness", language="en"))
    assert caught.value.key == "no_matching_case"


def test_every_shipped_case_has_a_coherent_persona_in_its_language(library: Library) -> None:
    for case in library.cases.values():
        assert any(persona.fits_case(case) for persona in library.personas.values()), case.id


# ---------------------------------------------------------------------------------------------
# What the trainee sees and what the customer says first


def test_scenario_card_shows_industry_channel_and_start_but_no_answers(library: Library) -> None:
    case = library.case("zh-followup-satisfaction-survey-complaint")
    card = scenario_card(library.persona("elderly_newcomer"), case, "zh-CN")
    assert "通信运营商" in card and "外呼电话" in card and "从问候开始" in card
    assert "不太会用手机的老人家" in card
    hidden_texts = (case.situation, case.customer_wants, case.customer.name, *case.policy.must_not_promise)
    for hidden in (*hidden_texts, *case.agent_systems.can_do, *case.agent_systems.cannot_do):
        assert hidden not in card


def test_trainer_case_detail_shows_the_identity(library: Library) -> None:
    detail = case_detail(library.case("en-privacy-daughter-fathers-card"), "en")
    assert "Karen Price (Ms. Price)" in detail and "family member of the holder" in detail


def test_an_outbound_call_opens_with_the_personas_outbound_prefix(library: Library) -> None:
    persona = library.persona("elderly_newcomer")
    case = library.case("zh-followup-satisfaction-survey-complaint")
    opening = OfflineCustomer(persona, case, seed=3).opening().text
    outbound = persona.offline_script["zh-CN"].opening_prefix.outbound_call
    assert any(opening.startswith(prefix) for prefix in outbound)
    assert opening.endswith(case.opening_line)
    assert "找对地方" not in opening


def test_a_mid_conversation_drill_opens_without_a_greeting(library: Library) -> None:
    persona = library.persona("elderly_newcomer")
    case = library.case("zh-authority-private-wechat")
    assert case.start == "mid_conversation"
    for seed in range(5):
        opening = OfflineCustomer(persona, case, seed=seed).opening().text
        prefixes = persona.offline_script["zh-CN"].opening_prefix.mid_conversation
        assert opening in {f"{prefix}{case.opening_line}" for prefix in prefixes}
        assert not any(word in opening for word in ("你好", "您好", "喂"))


def test_the_llm_customer_is_told_the_cases_identity(library: Library) -> None:
    case = library.case("zh-followup-satisfaction-survey-complaint")
    prompt = build_system_prompt(library.persona("elderly_newcomer"), case)
    assert "你是许国栋，男性，七十岁以上，账户本人。客服应该称呼你“许大爷”。" in prompt
    assert case.customer_wants in prompt
    assert "不太会用手机的老人家" not in prompt  # the label is for the app
    assert stage_direction(case, "start") == "（你接起电话，是客服打来的）"
    assert stage_direction(library.case("zh-authority-private-wechat"), "start").startswith("（对话已经进行了一会儿")
