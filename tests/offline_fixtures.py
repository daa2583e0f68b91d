"""Small, self-contained content for the recogniser, offline-customer, conversation and CLI tests.

Built in code (not read from the shipped files) so that these tests do not move when trainers
edit personas or cases. ``write_content`` writes the same items as YAML for CLI tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.models import Case, Persona, Rubric

ARCHETYPES = ("rational", "emotional", "impatient", "skeptical")

# Per archetype: starting mood, patience, the largest mood change per turn, mood reactions, behaviours.
_TEMPERAMENT: dict[str, dict[str, Any]] = {
    "rational": {
        "max_mood_step": 3,
        "starting_mood": 4,
        "patience": 8,
        "mood_reactions": {
            "empathy": -1,
            "ask_fact": -1,
            "offer_solution": -2,
            "long_turn": 1,
            "forbidden_phrase": 3,
            "private_data_request": 2,
            "give_proof": -1,
        },
        "behaviours": ["checks_details"],
    },
    "emotional": {
        "max_mood_step": 3,
        "starting_mood": 6,
        "patience": 7,
        "mood_reactions": {
            "empathy": -3,
            "apology": -2,
            "explain_policy": 2,
            "long_turn": 1,
            "forbidden_phrase": 4,
            "private_data_request": 3,
            "offer_solution": -1,
        },
        "behaviours": ["seeks_reassurance", "repeats_complaint"],
    },
    "impatient": {
        "max_mood_step": 3,
        "starting_mood": 7,
        "patience": 4,
        "mood_reactions": {
            "empathy": -1,
            "long_turn": 3,
            "offer_solution": -2,
            "explain_policy": 2,
            "forbidden_phrase": 3,
            "private_data_request": 2,
            "ask_fact": 0,
        },
        "behaviours": ["interrupts", "asks_for_supervisor"],
    },
    "skeptical": {
        "max_mood_step": 4,
        "starting_mood": 5,
        "patience": 6,
        "mood_reactions": {
            "empathy": -1,
            "promise": 2,
            "hedge": 2,
            "give_proof": -3,
            "explain_policy": -1,
            "forbidden_phrase": 3,
            "private_data_request": 4,
            "long_turn": 1,
        },
        "behaviours": ["demands_proof", "checks_details"],
    },
}

_ZH_LINES: dict[str, list[str]] = {
    "opening_prefix": {"phone": ["喂，你好。"], "chat": ["你好。"], "outbound_call": ["喂？"]},
    "reveal_fact": ["{fact_label}是{fact_value}。", "我看一下……{fact_label}：{fact_value}。"],
    "unknown_fact": ["这个我手上没有。", "这个我真不清楚。"],
    "no_progress": ["所以{product}到底怎么处理？", "我想要的是：{goal}", "你说这些，我的问题还是没解决啊。"],
    "after_empathy": ["嗯，谢谢你理解。", "你能理解就好。"],
    "after_forbidden": ["你这是什么态度？", "这话说得可不太好听。"],
    "after_private_request": ["验证码我不会给你的。", "密码这种东西怎么能告诉别人？"],
    "after_long_turn": ["说重点好吗？", "太长了，直接说结果。"],
    "after_policy": ["规定我知道，问题怎么解决？", "别跟我讲规定。"],
    "after_promise": ["好，我记住你这句话了。", "希望你说到做到。"],
    "demand_proof": ["空口无凭，给我个工单号。", "你说安排了，有什么凭证？"],
    "reject_offer": ["{agent_offer}？这个我不接受。", "就这？不行。"],
    "consider_offer": ["{agent_offer}，听起来还行，大概要多久？", "这个方案可以考虑，具体怎么弄？"],
    "accept": ["行，就按你说的办：{agent_offer}。", "好，那就这么定了。"],
    "give_up": ["算了，不说了。", "我不想再浪费时间了。"],
    "escalate": ["叫你们主管来。", "我要找你们经理。"],
    "role_probe": ["什么机器人？我是来说{product}的事的。", "你别扯别的，我问的是{product}。"],
    "farewell": ["好，再见。", "行，谢谢，再见。"],
    "choose": ["那就{choice}吧。", "都行，你们看着办。"],
    "ask_offer_detail": ["{agent_offer}？具体哪天，多少钱？", "那是什么时候？"],
    "raise_goal": ["这个可以。那耽误的这些天，有没有补偿？", "行。不过延误的事总得有个说法吧？"],
    "confirm_readback": ["对，没错。", "是这个。"],
    "after_small_talk": ["先别聊这个，说正事。", "我的事还没解决呢。"],
    "after_hold": ["好，你查吧。", "还要多久？"],
    "repeat_prefix": ["我刚才说，", "我再说一遍："],
}

_EN_LINES: dict[str, list[str]] = {
    "opening_prefix": {"phone": ["Hello."], "chat": ["Hello."], "outbound_call": ["Yes?"]},
    "reveal_fact": ["The {fact_label} is {fact_value}", "Let me check... {fact_label}: {fact_value}"],
    "unknown_fact": ["I don't have that to hand.", "No idea, sorry."],
    "no_progress": ["So what happens with {product}?", "What I want is this: {goal}", "That doesn't solve anything."],
    "after_empathy": ["Thanks, I appreciate that.", "Okay, at least you get it."],
    "after_forbidden": ["Excuse me? That's not acceptable.", "I can't believe you just said that."],
    "after_private_request": ["I'm not giving you my code.", "Why would you need my password?"],
    "after_long_turn": ["Get to the point, please.", "Too long. What's the answer?"],
    "after_policy": ["I know the policy, what's the fix?", "Don't read me the rules."],
    "after_promise": ["I'll hold you to that.", "Fine, I'm noting that down."],
    "demand_proof": ["Words are cheap. Give me a reference number.", "Prove it. Where's the confirmation?"],
    "reject_offer": ["{agent_offer}? No, that won't do.", "That's not good enough."],
    "consider_offer": ["{agent_offer} could work. How long will it take?", "Okay, that might do. What's next?"],
    "accept": ["Fine, let's do that: {agent_offer}.", "Alright, deal."],
    "give_up": ["Forget it, I'm done.", "I'm wasting my time here. Bye."],
    "escalate": ["Get me your supervisor.", "I want to speak to a manager."],
    "role_probe": ["A robot? I'm a real person calling about {product}.", "Stop that, I'm asking about {product}."],
    "farewell": ["Okay, bye.", "Thanks, goodbye."],
    "choose": ["{choice}, please.", "Either is fine."],
    "ask_offer_detail": ["{agent_offer}? When, and how much?", "And when would that be?"],
    "raise_goal": ["Fine. And what about compensation for the delay?", "Okay. Is there anything for the trouble?"],
    "confirm_readback": ["Yes, that's right.", "Correct."],
    "after_small_talk": ["Let's stick to my problem.", "Can we get back to my order?"],
    "after_hold": ["Okay, go ahead.", "Still checking?"],
    "repeat_prefix": ["I said,", "Again:"],
}


def persona_data(archetype: str, *, persona_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid persona of ``archetype`` speaking both languages, as a plain dict."""
    temper = _TEMPERAMENT[archetype]
    data: dict[str, Any] = {
        "id": persona_id or f"test_{archetype}",
        "label": {"zh": f"测试{archetype}", "en": f"Test {archetype}"},
        "archetype": archetype,
        "difficulty": "medium",
        "languages": ["zh-CN", "en"],
        "fits": {
            "genders": ["female", "male"],
            "age_ranges": ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"],
            "relations": ["account_holder", "family_member", "representative", "prospect"],
        },
        "portrait": {"zh": "你是测试用的客户。", "en": "You are a customer for tests."},
        "temperament": {
            "starting_mood": temper["starting_mood"],
            "patience": temper["patience"],
            "angered_by": {"zh": ["被敷衍"], "en": ["being fobbed off"]},
            "calmed_by": {"zh": ["被理解"], "en": ["being understood"]},
            "mood_reactions": dict(temper["mood_reactions"]),
            "max_mood_step": temper["max_mood_step"],
        },
        "speech": {
            "sentence_length": "short",
            "tone": {"zh": "直接", "en": "direct"},
            "habits": {"zh": ["说话直接"], "en": ["talks straight"]},
            "sample_lines": {"zh": ["快点。"], "en": ["Hurry up."]},
        },
        "behaviours": list(temper["behaviours"]),
        "satisfied_when": {"zh": ["问题解决"], "en": ["the problem is solved"]},
        "coaching_tips": {"zh": ["先共情"], "en": ["empathise first"]},
        "offline_script": {"zh-CN": _ZH_LINES, "en": _EN_LINES},
    }
    data.update(overrides)
    return data


def persona(archetype: str, **overrides: Any) -> Persona:
    """A validated persona of ``archetype`` (see ``persona_data``)."""
    return Persona.model_validate(persona_data(archetype, **overrides))


def zh_case_data() -> dict[str, Any]:
    """A Chinese logistics case with three hidden facts and both kinds of resolution."""
    return {
        "id": "zh-test-late-parcel",
        "title": "扫地机器人迟迟未到",
        "category": "logistics",
        "industry": "e-commerce",
        "channel": "phone",
        "start": "greeting",
        "customer": {
            "name": "张伟",
            "gender": "male",
            "age_range": "30-39",
            "relation": "account_holder",
            "address_as": "张先生",
        },
        "language": "zh-CN",
        "difficulty": "medium",
        "brief": "客户来电询问扫地机器人为何还没送到。",
        "situation": "客户11月3日下单一台扫地机器人，付了1999元，承诺三天到，现在过了一周还没到。",
        "opening_line": "我买的扫地机器人一个星期了还没到，怎么回事？",
        "product": "扫地机器人",
        "hidden_facts": [
            {
                "key": "order_no",
                "kind": "order_number",
                "label": "订单号",
                "value": "2026110312345678",
                "ask_keywords": ["订单编号"],
            },
            {
                "key": "order_date",
                "kind": "date",
                "label": "下单日期",
                "value": "11月3日",
                "ask_keywords": ["下单时间", "哪天下的单"],
            },
            {"key": "paid", "kind": "amount", "label": "付款金额", "value": "1999元", "required": False},
        ],
        "customer_wants": "尽快拿到扫地机器人，或者退款。",
        "acceptable_resolutions": [
            {"id": "resend", "description": "加急补发一台，三天内送到", "keywords": ["补发", "重新发货"]},
            {"id": "refund", "description": "全额退款1999元", "keywords": ["退款", "退钱"]},
        ],
        "customer_refuses": [
            {"id": "coupon_only", "description": "只给一张5元优惠券", "keywords": ["优惠券"]},
            {"id": "wait_more", "description": "让客户继续等", "keywords": ["再等等", "耐心等待"]},
        ],
        "policy": {
            "may_offer": ["补发", "退款", "不超过20元的补偿"],
            "must_not_promise": ["明天一定送到"],
            "forbidden_promise_keywords": ["保证明天到", "明天一定送到", "全额赔偿"],
            "max_compensation": 20,
            "currency": "CNY",
        },
        "agent_systems": {
            "can_do": ["补发", "退款", "发放20元以内的补偿"],
            "can_look_up": ["订单和物流轨迹"],
            "cannot_do": ["指定快递的送达日期"],
        },
        "expected_steps": ["致歉并安抚", "核实订单号", "给出补发或退款方案", "确认并结束"],
        "recommended_phrasing": [
            {"stage": "opening", "text": "您好，我是客服小李，很高兴为您服务。"},
            {"stage": "closing", "text": "请问还有什么可以帮您？"},
        ],
        "forbidden_phrasing": ["这是快递的问题，跟我们没关系", "你去找快递"],
    }


def en_case_data() -> dict[str, Any]:
    """An English billing case with three hidden facts and both kinds of resolution."""
    return {
        "id": "en-test-double-charge",
        "title": "Charged twice for one blender",
        "category": "fees",
        "industry": "e-commerce",
        "channel": "chat",
        "start": "greeting",
        "customer": {
            "name": "Alex Morgan",
            "gender": "unspecified",
            "age_range": "30-39",
            "relation": "account_holder",
            "address_as": "Alex",
        },
        "language": "en",
        "difficulty": "medium",
        "brief": "A customer says their card was charged twice.",
        "situation": "On 2 March 2026 you bought a blender for $89.99 and your card shows two charges.",
        "opening_line": "I've been charged twice for my blender and I want it sorted.",
        "product": "the blender",
        "hidden_facts": [
            {"key": "order_no", "kind": "order_number", "label": "order number", "value": "BL-88213"},
            {
                "key": "charge_date",
                "kind": "date",
                "label": "charge date",
                "value": "2 March 2026",
                "ask_keywords": ["charged on"],
            },
            {
                "key": "card_last4",
                "kind": "payment_method",
                "label": "card",
                "value": "a Visa ending 4417",
                "ask_keywords": ["card ending", "last four"],
                "required": False,
            },
        ],
        "customer_wants": "Get the duplicate $89.99 charge refunded.",
        "acceptable_resolutions": [
            {
                "id": "refund_duplicate",
                "description": "Refund the duplicate $89.99 charge within 3-5 days",
                "keywords": ["refund the duplicate", "refund", "reverse the charge"],
            },
        ],
        "customer_refuses": [
            {"id": "store_credit", "description": "Store credit instead of a refund", "keywords": ["store credit"]},
        ],
        "policy": {
            "may_offer": ["a refund of the duplicate charge", "up to $10 goodwill credit"],
            "must_not_promise": ["the money back today"],
            "forbidden_promise_keywords": ["back today", "guarantee"],
            "max_compensation": 10,
            "currency": "USD",
        },
        "agent_systems": {
            "can_do": ["Refund a duplicate charge", "Issue up to $10 goodwill credit"],
            "can_look_up": ["The order and the card charges"],
            "cannot_do": ["Speed up the bank's refund time"],
        },
        "expected_steps": ["Acknowledge", "Ask for the order number", "Refund the duplicate", "Close"],
        "recommended_phrasing": [
            {"stage": "opening", "text": "Hi, I'm Sam from the billing team."},
            {"stage": "closing", "text": "Is there anything else I can help with?"},
        ],
        "forbidden_phrasing": ["That's the bank's problem, not ours", "You must have clicked twice"],
    }


def zh_case() -> Case:
    """The Chinese test case."""
    return Case.model_validate(zh_case_data())


def en_case() -> Case:
    """The English test case."""
    return Case.model_validate(en_case_data())


def rubric_data() -> dict[str, Any]:
    """A minimal valid rubric with forbidden phrases, jargon and long-turn limits."""
    levels = {level: {"zh": f"{level}分", "en": f"score {level}"} for level in range(1, 6)}
    return {
        "version": "test-1",
        "pass_mark": 80,
        "criteria": [
            {
                "id": "standard_phrasing",
                "name": {"zh": "话术规范", "en": "standard phrasing"},
                "weight": 50,
                "description": {"zh": "话术", "en": "phrasing"},
                "levels": levels,
            },
            {
                "id": "compliance",
                "name": {"zh": "合规", "en": "compliance"},
                "weight": 50,
                "description": {"zh": "合规", "en": "compliance"},
                "levels": levels,
            },
        ],
        "rules": {
            "zh-CN": {
                "forbidden_phrases": ["我们规定", "不归我管", "你听不懂吗"],
                "jargon": ["SKU", "逆向物流"],
                "long_turn_chars": 80,
            },
            "en": {
                "forbidden_phrases": ["calm down", "not my problem", "there's nothing I can do"],
                "jargon": ["RMA", "SLA breach"],
                "long_turn_chars": 300,
            },
        },
    }


def rubric() -> Rubric:
    """The test rubric."""
    return Rubric.model_validate(rubric_data())


def write_content(root: Path) -> Path:
    """Write the four archetype personas, both cases and the rubric under ``root``; return ``root``."""
    (root / "personas").mkdir(parents=True, exist_ok=True)
    (root / "casebank").mkdir(parents=True, exist_ok=True)
    for archetype in ARCHETYPES:
        data = persona_data(archetype)
        _dump(root / "personas" / f"{data['id']}.yaml", data)
    _dump(root / "casebank" / "zh-test-late-parcel.yaml", zh_case_data())
    _dump(root / "casebank" / "en-test-double-charge.yaml", en_case_data())
    _dump(root / "casebank" / "rubric.yaml", rubric_data())
    return root


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
