"""An offline customer that listens (issue 11, item 5): one test per behaviour.

Acts are pinned with ``act_labels`` where a test is about what the customer does with them, so the
tests do not move when the act classifier is retrained; offers are matched by the shipped
offer–resolution matcher (its figures are `drill eval offers`'s business).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.content import load_library
from simulator.customer.offer_rules import heard_as_possible_offer
from simulator.customer.offline import OfflineCustomer, _fits, fill_template
from simulator.customer.rule_numbers import rule_numbers
from simulator.customer.state_machine import CustomerRules
from simulator.customer.wording import choice_options, grounded, word_list
from simulator.models import Case, CustomerState, DialogueAct, Persona, Rubric, Turn
from simulator.recognition import Span
from simulator.recognition.sentence_acts import SentenceActs
from tests.offline_fixtures import en_case, persona, rubric, rubric_data, zh_case

A = DialogueAct


class Session:
    """Drives an engine like the conversation driver does."""

    def __init__(self, engine: OfflineCustomer):
        self.engine = engine
        opening = engine.opening()
        self.history: list[Turn] = [Turn(role="customer", text=opening.text, state=opening.state)]

    def say(self, text: str) -> tuple[str, CustomerState]:
        reply = self.engine.respond(self.history, text)
        self.history += [Turn(role="agent", text=text), Turn(role="customer", text=reply.text, state=reply.state)]
        return reply.text, reply.state


def customer(who: Persona | str, case: Case | None = None, seed: int = 0) -> OfflineCustomer:
    chosen = persona(who) if isinstance(who, str) else who
    return OfflineCustomer(chosen, case or zh_case(), seed=seed, rubric=rubric())


def with_compensation(case: Case) -> Case:
    """The Chinese test case with a delay compensation among its acceptable resolutions."""
    extra = case.acceptable_resolutions[0].model_copy(
        update={"id": "delay_red_packet", "description": "延误补偿20元无门槛红包", "keywords": ["红包"]}
    )
    return case.model_copy(update={"acceptable_resolutions": [*case.acceptable_resolutions, extra]})


# --- accepts only a complete acceptable offer the agent actually made ------------------------


@pytest.mark.parametrize(("case", "word"), [(zh_case(), "补发。"), (en_case(), "Refund.")])
def test_a_one_word_offer_is_not_an_offer_anyone_accepts(
    act_labels: dict[str, set[DialogueAct]], case: Case, word: str
) -> None:
    closing = "好的，再见。" if case.language == "zh-CN" else "Great, bye."
    act_labels.update({word: {A.offer_solution}, closing: {A.closing}})
    session = Session(customer("rational", case))
    for _ in range(2):
        _, state = session.say(word)
        assert not state.goal_met
    _, state = session.say(closing)
    assert state.outcome != "resolved" and not state.goal_met


def test_nothing_is_accepted_when_only_digits_were_asked_for(act_labels: dict[str, set[DialogueAct]]) -> None:
    ask = "麻烦报一下您手机号后四位。"
    act_labels[ask] = {A.ask_fact}
    engine = customer("rational")
    _, state = Session(engine).say(ask)
    assert "accept" not in engine.last_moves and not state.goal_met


def test_an_offer_in_the_agents_own_words_is_matched_by_meaning() -> None:
    engine = customer("rational")
    offer = "我现在就给您重新寄一台新的过去，今天发货，三天之内到您家。"
    assert not any(word in offer for word in zh_case().acceptable_resolutions[0].keywords)  # no keyword hint
    session = Session(engine)
    session.say("请问您的订单号和下单时间？")
    _, state = session.say(offer)
    assert engine.last_moves[-1] == "accept" and state.goal_met


def test_no_resolution_within_two_turns_without_a_complete_offer(act_labels: dict[str, set[DialogueAct]]) -> None:
    lines = ["您好，很高兴为您服务，这边一定给您处理好。", "补偿补发退款，您放心，再见。"]
    act_labels.update({lines[0]: {A.greeting, A.hedge}, lines[1]: {A.hedge, A.closing}})
    session = Session(customer("rational"))
    states = [session.say(line)[1] for line in lines]
    assert all(state.outcome != "resolved" and not state.goal_met for state in states)


@pytest.mark.parametrize(
    ("case", "salad", "sentence"),
    [
        (zh_case(), "明天补发，加急，补偿，退款，凭证，回电。", "明天给您补发一台新的，三天内送到。"),
        (
            en_case(),
            "Refund today, expedite, compensation, apology, reference, callback.",
            "I'll refund the double charge to your card today; it shows within 3 days.",
        ),
    ],
)
def test_a_list_of_remedy_words_is_no_offer_even_with_a_keyword_and_a_time(
    act_labels: dict[str, set[DialogueAct]], case: Case, salad: str, sentence: str
) -> None:
    closing = "好的，再见。" if case.language == "zh-CN" else "Great, bye."
    act_labels.update({salad: {A.offer_solution, A.promise}, sentence: {A.offer_solution}, closing: {A.closing}})
    engine = customer("rational", case)
    session = Session(engine)
    _, state = session.say(salad)
    assert not {"accept", "consider_offer", "ask_offer_detail"} & set(engine.last_moves) and not state.goal_met
    _, state = session.say(closing)
    assert state.outcome != "resolved"
    # The same remedy said as a sentence is an offer the customer takes.
    engine = customer("rational", case)
    Session(engine).say(sentence)
    assert "accept" in engine.last_moves


def test_an_offer_the_act_classifier_missed_is_still_heard_but_a_bare_value_is_not(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    # act_labels: sentences not listed perform no act, as when the classifier misses an offer.
    engine = customer("rational")
    Session(engine).say("我这边马上给您重新寄一台新的，今天就发出，三天之内送到您家。")
    assert "accept" in engine.last_moves
    engine = customer("rational")
    _, state = Session(engine).say("1999元。")
    assert not {"accept", "consider_offer", "ask_offer_detail"} & set(engine.last_moves) and not state.goal_met


def test_a_question_with_no_act_offers_nothing(
    act_labels: dict[str, set[DialogueAct]], shipped_content_dir: Path
) -> None:
    # "So, what can I help you with today?" matched this case's escalation at 0.60 in the offer
    # matcher; heard as an offer, it settled a long-winded agent's opener as a resolution.
    library = load_library(shipped_content_dir)
    case = library.case("en-authority-cancelled-flight-hotel")
    engine = OfflineCustomer(library.persona("emotional_mother"), case, seed=0, rubric=library.rubric)
    _, state = Session(engine).say("So, what can I help you with today?")
    assert not {"accept", "consider_offer", "ask_offer_detail"} & set(engine.last_moves) and not state.goal_met


def test_a_sentence_leaning_to_a_hedge_is_not_heard_as_an_offer() -> None:
    # No act recognised, and the best reading short of the line is a hedge: vague by definition, it
    # offers nothing ("we really value each and every one of our customers…" matched an account
    # recovery remedy at 0.68 and settled a long-winded agent's opener). Leaning to an offer, the
    # same sentence still goes to the matcher.
    text = "Before we start I'd like to say that we really value each and every one of our customers."
    span = Span(text, 0, len(text))
    leaning_hedge = SentenceActs(span, "en", {A.hedge: 0.4, A.offer_solution: 0.1})
    leaning_offer = SentenceActs(span, "en", {A.hedge: 0.1, A.offer_solution: 0.4})
    assert not heard_as_possible_offer(leaning_hedge, "en")
    assert heard_as_possible_offer(leaning_offer, "en")


def test_a_sentence_leaning_to_thanks_or_a_closing_is_not_heard_as_an_offer() -> None:
    # "Right, okay, I see, thank you for explaining all of that." shares a word with a remedy that
    # "explains politely" and settled six long-winded drills in two turns; it leans to a closing.
    text = "Right, okay, I see, thank you for explaining all of that."
    span = Span(text, 0, len(text))
    leaning_closing = SentenceActs(span, "en", {A.closing: 0.14, A.empathy: 0.12, A.explain_policy: 0.05})
    leaning_done_task = SentenceActs(span, "en", {A.closing: 0.05, A.give_proof: 0.3})
    assert not heard_as_possible_offer(leaning_closing, "en")
    assert heard_as_possible_offer(leaning_done_task, "en")


def test_word_lists_are_told_from_sentences_by_their_shape() -> None:
    shape = rule_numbers()
    sizes = {
        "min_parts": shape.word_list_parts,
        "term_words": shape.bare_term_words,
        "term_hanzi": shape.bare_term_hanzi,
    }
    assert word_list("补偿30元，加急，补偿，退款，凭证，回电。", "zh-CN", **sizes)
    assert word_list("$111.01, expedite, compensation, refund, reference, callback.", "en", **sizes)
    assert not word_list("退款，三天内，原路返回。", "zh-CN", **sizes)  # terse, but a real offer
    assert not word_list("Callback booked: Friday 13 March, 8 am to 12 pm, reference CS-1.", "en", **sizes)
    assert not word_list("好的，明天上午给您补发，顺丰包邮，三天内到，单号稍后短信发您。", "zh-CN", **sizes)


# --- answers a choice by choosing; raises what is still owed before closing --------------------


def test_a_choice_question_is_answered_by_choosing(act_labels: dict[str, set[DialogueAct]]) -> None:
    question = "您看是上午还是下午方便？"
    act_labels[question] = {A.ask_choice}
    engine = customer("rational")
    text, _ = Session(engine).say(question)
    assert engine.last_moves == ("choose",)
    assert "上午" in text or "下午" in text
    assert "再见" not in text


def test_an_english_choice_is_answered_by_choosing(act_labels: dict[str, set[DialogueAct]]) -> None:
    question = "Would you prefer a call in the morning or the afternoon?"
    act_labels[question] = {A.ask_choice}
    engine = customer("rational", en_case())
    text, _ = Session(engine).say(question)
    assert engine.last_moves == ("choose",)
    assert "morning" in text or "afternoon" in text


def test_choice_options_are_cut_from_the_question() -> None:
    assert choice_options("好的，我查到了，您看是上午还是下午方便？", "zh-CN") == ["上午", "下午"]
    assert choice_options("您是要换新还是退款呢？", "zh-CN") == ["换新", "退款"]
    assert choice_options("Would you prefer a refund or a replacement?", "en") == ["a refund", "a replacement"]
    assert choice_options("我们给您补发。", "zh-CN") == []


def test_a_compensation_seeker_raises_compensation_before_closing() -> None:
    wants_more = persona("rational", behaviours=["checks_details", "asks_for_compensation"])
    engine = customer(wants_more, with_compensation(zh_case()))
    session = Session(engine)
    session.say("请问您的订单号和下单时间？")
    _, state = session.say("我马上为您补发一台，今天发出，三天内送到。")
    assert engine.last_moves[-1] == "raise_goal" and not state.goal_met
    _, state = session.say("感谢您的来电，再见。")
    assert state.outcome != "resolved"
    _, state = session.say("延误这几天给您补偿20元无门槛红包，今天就发到您账户。")
    assert engine.last_moves[-1] == "accept" and state.goal_met
    _, state = session.say("感谢您的来电，再见。")
    assert state.outcome == "resolved"


def test_a_reason_why_not_settles_the_compensation_question(act_labels: dict[str, set[DialogueAct]]) -> None:
    reason = "延误补偿要等物流核实责任后才能申请，这次我没办法直接给您。"
    act_labels.update(
        {
            reason: {A.explain_policy, A.refusal},
            "请问您的订单号和下单时间？": {A.ask_fact},
            "我马上为您补发一台，今天发出，三天内送到。": {A.offer_solution, A.promise},
        }
    )
    wants_more = persona("rational", behaviours=["checks_details", "asks_for_compensation"])
    engine = customer(wants_more, with_compensation(zh_case()))
    session = Session(engine)
    session.say("请问您的订单号和下单时间？")
    _, state = session.say("我马上为您补发一台，今天发出，三天内送到。")
    assert engine.last_moves[-1] == "raise_goal"
    _, state = session.say(reason)
    assert state.goal_met and engine.last_moves[-1] == "accept"


# --- bounded mood; cold, deflecting or hedging turns never calm --------------------------------


def test_mood_moves_at_most_the_personas_step_per_turn(act_labels: dict[str, set[DialogueAct]]) -> None:
    line = "真的非常抱歉，您的心情我完全理解。"
    act_labels[line] = {A.apology, A.empathy}  # -2 and -3 for the emotional persona: -5 unbounded
    engine = customer("emotional")
    start = engine.state.mood
    _, state = Session(engine).say(line)
    assert start - state.mood == engine.persona.temperament.max_mood_step == 3


@pytest.mark.parametrize(
    ("line", "acts"),
    [
        ("理解您的心情，不过具体要看情况。", {A.empathy, A.hedge}),
        ("理解您，但业务员怎么说的我们管不着。", {A.empathy, A.forbidden_phrase}),
        ("很理解您，这个我们办不了。", {A.empathy, A.refusal}),
    ],
)
def test_cold_deflecting_or_hedging_turns_never_calm(
    act_labels: dict[str, set[DialogueAct]], line: str, acts: set[DialogueAct]
) -> None:
    act_labels[line] = acts
    engine = customer("rational")
    start = engine.state.mood
    _, state = Session(engine).say(line)
    assert state.mood >= start


def _mood_change_of_a_policy_line(act_labels: dict[str, set[DialogueAct]], line: str) -> tuple[int, list[str]]:
    """The emotional customer's mood change and moves after ``line``, read only as explaining a rule."""
    act_labels[line] = {A.explain_policy}
    engine = customer("emotional")
    start = engine.state.mood
    _, state = Session(engine).say(line)
    return state.mood - start, list(engine.last_moves)


def test_a_remedy_explained_as_what_applies_calms_as_an_offer(act_labels: dict[str, set[DialogueAct]]) -> None:
    # The matcher hears the refund, and the emotional persona (policy +2, offer -1) is calmed by the
    # offer instead of angered by a "recital".
    change, moves = _mood_change_of_a_policy_line(
        act_labels, "因为是我们这边发货耽误了，按规定给您全额退款1999元，三天内原路退回。"
    )
    assert change < 0 and "after_policy" not in moves


def test_a_rule_recited_with_no_remedy_still_angers(act_labels: dict[str, set[DialogueAct]]) -> None:
    change, moves = _mood_change_of_a_policy_line(act_labels, "按照平台规定，物流问题需要先和快递公司核实。")
    assert change > 0 and moves[0] == "after_policy"


def _rubric_with_references() -> Rubric:
    data = rubric_data()
    data["critical_errors"] = {
        "en": [
            {
                "kind": "private_data_request",
                "name": "asking for private data",
                "why": "It is what fraudsters ask.",
                "ordinary_references": ["order number", "confirmation code"],
            }
        ]
    }
    return Rubric.model_validate(data)


def test_a_reference_the_grader_reads_as_ordinary_is_no_secret_to_the_customer(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    # Misread as a secrets request; the grader reads it with "order number" in its place (no request),
    # and so does the customer: no "My password? No.", no anger.
    asked, secret = "What's the confirmation code?", "What's the code we just texted you?"
    act_labels.update({asked: {A.private_data_request}, secret: {A.private_data_request}})
    for line, suspicious in ((asked, False), (secret, True)):
        engine = OfflineCustomer(persona("rational"), en_case(), seed=0, rubric=_rubric_with_references())
        start = engine.state.mood
        _, state = Session(engine).say(line)
        assert ("after_private_request" in engine.last_moves) is suspicious, line
        assert (state.mood > start) is suspicious, line


# --- reacts in character, differently, to small talk, filler, repeats and role probes ------------


def test_small_talk_filler_repeat_and_role_probe_each_get_their_own_reaction(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    turns = {
        "哈哈，今天天气真不错。": ({A.small_talk}, "after_small_talk"),
        "好的，我看一下。": ({A.hold}, "after_hold"),
        "不好意思，您能再说一遍吗？": ({A.ask_repeat}, "repeat"),
        "你是不是机器人？": ({A.role_probe}, "role_probe"),
    }
    act_labels.update({line: acts for line, (acts, _) in turns.items()})
    engine = customer("rational")
    session = Session(engine)
    replies = []
    for line, (_, move) in turns.items():
        text, _ = session.say(line)
        assert engine.last_moves[0] == move, line
        replies.append(text)
    assert len(set(replies)) == len(replies)


def test_a_joke_gets_an_in_character_reaction_not_the_stock_line_again(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    jokes = ["哈哈，给您讲个笑话：快递小哥说他比您还急。", "您猜扫地机器人为什么总迟到，因为它一路都在扫街嘛。"]
    act_labels.update({joke: {A.small_talk} for joke in jokes})
    engine = customer("rational")
    session = Session(engine)
    replies = []
    for joke in jokes:
        text, state = session.say(joke)
        assert engine.last_moves[0] == "after_small_talk" and not state.goal_met
        replies.append(text)
    assert replies[0] != replies[1]  # not the same stock line twice
    assert all(reply in persona("rational").offline_script["zh-CN"].after_small_talk for reply in replies)


def test_asked_to_repeat_the_customer_says_its_last_line_again(act_labels: dict[str, set[DialogueAct]]) -> None:
    act_labels.update({"哈哈，今天天气真不错。": {A.small_talk}, "您能再说一遍吗？": {A.ask_repeat}})
    session = Session(customer("rational"))
    said, _ = session.say("哈哈，今天天气真不错。")
    again, _ = session.say("您能再说一遍吗？")
    assert again.endswith(said)


def test_a_request_without_a_question_mark_is_answered(act_labels: dict[str, set[DialogueAct]]) -> None:
    request = "Your order number and the card's last four will do."
    act_labels[request] = {A.ask_fact}
    engine = customer("rational", en_case())
    text, _ = Session(engine).say(request)
    assert "reveal_fact" in engine.last_moves
    assert "BL-88213" in text


# --- refers only to what was said; grammatical fills; no repeating a read-back -----------------


def test_no_screenshots_on_a_phone_call_and_no_staff_number_nobody_gave() -> None:
    lines = persona("rational").offline_script["zh-CN"]
    screenshot = lines.model_copy(
        update={"no_progress": ["这段聊天我都截图了。", "你工号我记着。", "所以到底怎么办？"]}
    )
    screenshotter = persona(
        "rational", offline_script={"zh-CN": screenshot, "en": persona("rational").offline_script["en"]}
    )
    for seed in range(6):
        session = Session(customer(screenshotter, zh_case(), seed=seed))  # zh_case is a phone call
        text, _ = session.say("嗯。")
        assert "截图" not in text and "工号" not in text


@pytest.mark.parametrize(
    ("case", "promise", "invented"),
    [
        (zh_case(), "放心，这个我们一定处理好。", "那退款的流水号是多少？"),
        (en_case(), "Don't worry, we'll definitely sort it.", "What's the transaction reference for the refund?"),
    ],
)
def test_no_refund_reference_nobody_mentioned(
    act_labels: dict[str, set[DialogueAct]], case: Case, promise: str, invented: str
) -> None:
    act_labels[promise] = {A.promise}
    language = case.language
    lines = persona("skeptical").offline_script[language]
    asking = lines.model_copy(update={"demand_proof": [invented, lines.demand_proof[1]]})
    scripts = {**persona("skeptical").offline_script, language: asking}
    doubter = persona("skeptical", offline_script=scripts)
    for seed in range(6):
        engine = customer(doubter, case, seed=seed)
        text, _ = Session(engine).say(promise)
        assert engine.last_moves[0] == "demand_proof"
        assert invented not in text
    assert grounded(invented, language, case.channel, "退款已经原路退回，流水号R8812；transaction reference R8812")


def test_every_shipped_reaction_has_lines_that_need_no_reference_nobody_gave(shipped_content_dir: Path) -> None:
    """A line naming a ticket or staff number is kept back until one was given; two others must remain.

    Otherwise the one line left is said turn after turn ("判定的依据是什么？" four times running).
    """
    from simulator.customer.wording import words

    library = load_library(shipped_content_dir)
    for persona_item in library.personas.values():
        for language, script in persona_item.offline_script.items():
            needs_grounds = [word.lower() for word in words(language).references.mentioned]
            for category, lines in script:
                if category == "opening_prefix":
                    continue
                free = [line for line in lines if not any(word in line.lower() for word in needs_grounds)]
                assert len(free) >= min(2, len(lines)), (persona_item.id, language, category)


def test_a_reference_becomes_speakable_once_the_agent_gave_it() -> None:
    assert not grounded("你工号我记着。", "zh-CN", "phone", "客户来电询问扫地机器人")
    assert grounded("你工号我记着。", "zh-CN", "phone", "我是客服小陈，工号1035")
    assert not grounded("I've got a screenshot of this.", "en", "phone", "")
    assert grounded("I've got a screenshot of this.", "en", "chat", "")


def test_template_fills_do_not_repeat_the_label_or_the_words_before_the_slot() -> None:
    values = {"fact_label": "信用卡卡号后四位", "fact_value": "卡号后四位3851"}
    assert fill_template("{fact_label}是{fact_value}。", values, "zh-CN") == "信用卡卡号后四位是3851。"
    assert fill_template("Yes, it's {fact_value}.", {"fact_value": "It's #A-204117"}, "en") == "Yes, it's #A-204117."
    assert fill_template("{fact_value}, that's it.", {"fact_value": "order BL-1"}, "en") == "Order BL-1, that's it."


def test_every_shipped_fact_reads_right_in_every_shipped_reveal_line(shipped_content_dir: Path) -> None:
    library = load_library(shipped_content_dir)
    for persona_item in library.personas.values():
        for case in library.cases.values():
            lines = persona_item.offline_script.get(case.language)
            if lines is None:
                continue
            for fact in case.hidden_facts:
                values = {"fact_label": fact.label, "fact_value": fact.value}
                fitting = [t for t in lines.reveal_fact if _fits(t, values, case.language)]
                assert fitting, f"{persona_item.id} has no reveal_fact line that fits {case.id}'s {fact.key}"
                for template in fitting:
                    text = fill_template(template, values, case.language)
                    assert f"{fact.label}是{fact.label}" not in text, text
                    assert f"{fact.label}：{fact.label}" not in text, text
                    if case.language == "en":
                        assert "it's It's" not in text and "is The " not in text, text


def test_the_cases_product_reads_right_in_every_shipped_chinese_line(shipped_content_dir: Path) -> None:
    """Products carry their own determiner ("那台咖啡机"): no line may put another before them ("我这个那台…")."""
    library = load_library(shipped_content_dir)
    products = [case.product for case in library.cases.values() if case.language == "zh-CN"]
    assert any(product.startswith("那") for product in products)
    for persona_item in library.personas.values():
        script = persona_item.offline_script.get("zh-CN")
        if script is None:
            continue
        templates = [line for category, lines in script if category != "opening_prefix" for line in lines]
        for template in (t for t in templates if "{product}" in t):
            for product in products:
                text = fill_template(template, {"product": product}, "zh-CN")
                assert not re.search(f"(这个|那个|这|那){re.escape(product)}", text), (persona_item.id, text)


def test_two_facts_told_in_one_reply_get_two_different_lines() -> None:
    for seed in range(8):
        engine = customer("rational", seed=seed)
        session = Session(engine)
        session.say("请问您的订单号？")  # one reveal line used once: the two now tie for "least used"
        text, _ = session.say("请问您的下单时间和付款金额？")
        assert engine.last_moves.count("reveal_fact") == 2
        assert text.count("我看一下") == 1, text  # one of each of the persona's two reveal lines


def test_a_fact_the_agent_read_back_is_confirmed_not_repeated(act_labels: dict[str, set[DialogueAct]]) -> None:
    check = "您的订单号是2026110312345678，对吗？"
    act_labels[check] = {A.ask_fact, A.confirm_need}
    engine = customer("rational")
    text, _ = Session(engine).say(check)
    assert engine.last_moves[0] == "confirm_readback"
    assert "2026110312345678" not in text


# --- one state machine for both engines ---------------------------------------------------------


def test_the_offline_voice_speaks_exactly_the_state_machines_moves() -> None:
    engine = customer("rational")
    rules = CustomerRules(persona("rational"), zh_case(), rubric=rubric())
    session = Session(engine)
    for line in ("请问您的订单号和下单时间？", "我马上为您补发一台，今天发出，三天内送到。"):
        history = list(session.history)
        step = rules.step(history, line)
        rules.commit(step)
        session.say(line)
        assert engine.last_moves == tuple(move.category for move in step.moves)
        assert (engine.state.mood, engine.state.goal_met) == (step.mood, step.goal_met)


def test_the_llm_note_carries_the_choice_the_missing_detail_and_what_is_still_wanted() -> None:
    import dataclasses

    from simulator.customer.llm_prompt import EXAMPLE_STEP, state_note
    from simulator.customer.state import Move

    step = dataclasses.replace(
        EXAMPLE_STEP,
        moves=(Move("choose", (("choice", "上午"),)), Move("ask_offer_detail")),
        wants_more=True,
    )
    note = state_note(step, zh_case())
    assert "选上午" in note and "什么时候" in note and "说法" in note
    english = state_note(dataclasses.replace(step, moves=(Move("choose", (("choice", "the morning"),)),)), en_case())
    assert "pick the morning" in english and "still want" in english
