"""Content and transcripts for the grading tests, built in code so trainers' edits don't move them.

The rubric has the six criteria of DESIGN.md; the two cases (zh-CN late parcel, en double charge)
carry recommended phrasing for every stage so suggestions can be checked. Both cases and the rubric
rules are those of ``tests.offline_fixtures`` with only the differences spelled out here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.config import PROJECT_DIR
from simulator.content import Library
from simulator.models import Case, Rubric, Transcript
from tests import offline_fixtures

CRITERIA = (
    ("standard_phrasing", "话术规范", "standard phrasing", 20),
    ("listening_empathy", "倾听与同理心", "listening & empathy", 20),
    ("problem_solving", "问题解决", "problem solving", 25),
    ("adaptability", "应变能力", "adaptability", 15),
    ("clarity", "表达清晰", "clarity", 10),
    ("compliance", "合规与禁忌", "compliance", 10),
)
CRITERION_IDS = tuple(c[0] for c in CRITERIA)


def shipped_red_lines() -> dict[str, Any]:
    """The shipped rubric's red lines (``critical_errors``), so the tests check the trainers' list."""
    shipped = yaml.safe_load((PROJECT_DIR / "casebank" / "rubric.yaml").read_text(encoding="utf-8"))
    return dict(shipped["critical_errors"])


def rubric_data() -> dict[str, Any]:
    """The six-criterion rubric; level anchors and rules as in the offline rubric, red lines as shipped."""
    base = offline_fixtures.rubric_data()
    levels = base["criteria"][0]["levels"]  # one dict shared by every criterion, as there
    return {
        **base,
        "version": "grading-test-1",
        "criteria": [
            {
                "id": cid,
                "name": {"zh": zh, "en": en},
                "weight": weight,
                "description": {"zh": zh, "en": en},
                "levels": levels,
            }
            for cid, zh, en, weight in CRITERIA
        ],
        "critical_errors": shipped_red_lines(),
    }


def rubric() -> Rubric:
    """The test rubric."""
    return Rubric.model_validate(rubric_data())


def zh_case_data() -> dict[str, Any]:
    """A Chinese logistics case: a robot vacuum a week late (the offline case, phrasing for every stage)."""
    return {
        **offline_fixtures.zh_case_data(),
        "id": "zh-grading-late-parcel",
        "opening_line": "我买的扫地机器人一个星期了还没到，到底怎么回事？",
        "expected_steps": ["致歉并安抚", "核实订单号和下单日期", "给出补发或退款方案", "确认并结束"],
        "recommended_phrasing": [
            {"stage": "opening", "text": "您好，我是客服小李，很高兴为您服务。"},
            {"stage": "empathy", "text": "等了一个星期还没收到，换作是我也会着急，真的很抱歉。"},
            {"stage": "clarify", "text": "麻烦您提供一下订单号，我马上帮您查物流。"},
            {"stage": "clarify", "text": "请问您是哪天下的单？我核对一下承诺的送达时间。"},
            {"stage": "solution", "text": "我马上为您加急补发一台，三天内送到；如果您不想等，也可以直接为您办理退款。"},
            {"stage": "closing", "text": "请问还有什么可以帮您？感谢您的来电。"},
        ],
    }


def en_case_data() -> dict[str, Any]:
    """An English billing case: charged twice for one blender (the offline case, phrasing for every stage)."""
    base = offline_fixtures.en_case_data()
    order_no, charge_date, card = base["hidden_facts"]
    (refund,) = base["acceptable_resolutions"]
    return {
        **base,
        "id": "en-grading-double-charge",
        "opening_line": "I've been charged twice for my blender. Why does this keep happening?",
        "hidden_facts": [order_no, {**charge_date, "ask_keywords": ["charged on", "when"]}, card],
        "acceptable_resolutions": [{**refund, "keywords": ["refund the duplicate", "reverse the charge"]}],
        "policy": {**base["policy"], "forbidden_promise_keywords": ["back today", "refund today"]},
        "expected_steps": ["Acknowledge", "Ask for the order number and date", "Refund the duplicate", "Close"],
        "recommended_phrasing": [
            {"stage": "opening", "text": "Hi, I'm Sam from the billing team."},
            {"stage": "empathy", "text": "Being charged twice is really frustrating, I'm sorry about that."},
            {"stage": "clarify", "text": "Could you give me the order number so I can find both charges?"},
            {
                "stage": "solution",
                "text": "I'll refund the duplicate charge now; it shows on your card in 3 to 5 business days.",
            },
            {"stage": "closing", "text": "Is there anything else I can help with?"},
        ],
    }


def zh_case() -> Case:
    """The Chinese test case."""
    return Case.model_validate(zh_case_data())


def en_case() -> Case:
    """The English test case."""
    return Case.model_validate(en_case_data())


def library() -> Library:
    """A library with the rubric and both cases (no personas needed for grading)."""
    zh, en = zh_case(), en_case()
    return Library(cases={zh.id: zh, en.id: en}, rubric=rubric())


def write_content(root: Path) -> Path:
    """Write the rubric and both cases as YAML under ``root`` (for CLI tests); return ``root``."""
    (root / "personas").mkdir(parents=True, exist_ok=True)
    (root / "casebank").mkdir(parents=True, exist_ok=True)
    for name, data in (
        ("rubric", rubric_data()),
        (zh_case_data()["id"], zh_case_data()),
        (en_case_data()["id"], en_case_data()),
    ):
        path = root / "casebank" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def transcript(
    language: str,
    turns: list[tuple[str, str]],
    *,
    case_id: str | None = None,
    archetype: str | None = None,
    **extra: Any,
) -> Transcript:
    """A transcript from (role, text) pairs; role 'c' or 'customer', 'a' or 'agent'."""
    roles = {"c": "customer", "a": "agent", "customer": "customer", "agent": "agent"}
    return Transcript.model_validate(
        {
            "language": language,
            "case_id": case_id,
            "archetype": archetype,
            "turns": [{"role": roles[role], "text": text} for role, text in turns],
            **extra,
        }
    )


ZH_OPENING = "我买的扫地机器人一个星期了还没到，到底怎么回事？"
EN_OPENING = "I've been charged twice for my blender. Why does this keep happening?"

# Three agents on the same zh-CN case, from best to worst.
ZH_AGENTS: dict[str, list[tuple[str, str]]] = {
    "excellent": [
        ("c", ZH_OPENING),
        (
            "a",
            "您好，我是客服小李，很高兴为您服务。等了一个星期还没收到，换作是我也会着急，真的很抱歉。"
            "麻烦您提供一下订单号，我马上帮您查物流。",
        ),
        ("c", "订单号2026110312345678。"),
        ("a", "好的，请问您是哪天下的单？"),
        ("c", "11月3日。"),
        (
            "a",
            "我跟您确认一下，您是希望尽快收到机器人，对吗？我马上为您加急补发一台，三天内送到，"
            "稍后会给您发送短信通知和运单号。",
        ),
        ("c", "好的，那就补发吧。"),
        ("a", "已经为您办理好了。请问还有什么可以帮您？感谢您的来电。"),
    ],
    "mediocre": [
        ("c", ZH_OPENING),
        ("a", "你好，订单号多少？"),
        ("c", "2026110312345678，怎么还没到？"),
        ("a", "物流在路上，您再等等吧。"),
        ("c", "我已经等了一个星期了！"),
        ("a", "不好意思，那我给您补发一台。"),
    ],
    "poor": [
        ("c", ZH_OPENING),
        ("a", "什么事？"),
        ("c", "扫地机器人一个星期还没到，怎么回事？"),
        ("a", "我们规定超过七天才能查。这是快递的问题，跟我们没关系，你去找快递。"),
        ("c", "你们怎么能这样？"),
        ("a", "把你的支付密码和短信验证码告诉我，我保证明天到，再给你全额赔偿。"),
    ],
}

EN_AGENTS: dict[str, list[tuple[str, str]]] = {
    "excellent": [
        ("c", EN_OPENING),
        (
            "a",
            "Hi, I'm Sam from the billing team. Being charged twice is really frustrating, I'm sorry about that. "
            "Could you give me the order number so I can find both charges?",
        ),
        ("c", "It's BL-88213."),
        ("a", "Thanks. And when were you charged?"),
        ("c", "On 2 March."),
        (
            "a",
            "Just to confirm, you'd like the second charge back. I'll refund the duplicate charge now; it shows "
            "on your card in 3 to 5 business days, and you'll receive a confirmation email with reference RF-2210.",
        ),
        ("c", "Great, thanks."),
        ("a", "You're welcome. Is there anything else I can help with?"),
    ],
    "mediocre": [
        ("c", EN_OPENING),
        ("a", "Hello. What's the order number?"),
        ("c", "BL-88213. Can you fix it?"),
        ("a", "OK, I see two charges. I can give you store credit for one of them."),
        ("c", "I don't want store credit, I want my money."),
        ("a", "Fine, I'll reverse the charge then."),
    ],
    "poor": [
        ("c", EN_OPENING),
        ("a", "What?"),
        ("c", "I was charged twice! When will I get my money back?"),
        ("a", "Calm down. That's the bank's problem, not ours. You must have clicked twice."),
        ("c", "That's ridiculous."),
        ("a", "Give me your password and the verification code and I'll refund today, guaranteed."),
    ],
}


def fixed_commitment_thresholds() -> Any:
    """Fixed lines for tests of the commitment checks' mechanism (the shipped ones move with the dev pairs)."""
    from simulator.grading.commitment_matching import CommitmentThresholds

    def language(offers: tuple[float, float], limits: tuple[float, float]) -> dict[str, Any]:
        def group(line: tuple[float, float]) -> dict[str, Any]:
            return {"min_similarity": line[0], "max_gap": line[1], "positives": 1, "precision": 1, "recall": 1, "f1": 1}

        return {
            "offers": group(offers),
            "limits": group(limits),
            "chosen_on": "test",
            "pairs_sha256": "0" * 64,
            "embedder": "test",
            "pairs": 1,
            "measured": "2026-12-02",
        }

    return CommitmentThresholds.model_validate(
        {
            "thresholds": {
                "zh-CN": language((0.9175, 0.0375), (0.9175, 0.0375)),
                "en": language((0.855, 0.0075), (0.855, 0.0075)),
            }
        }
    )
