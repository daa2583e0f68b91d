"""State kept by code for the LLM customer (issue 13 item 4): the same rules as the offline customer,
a hidden note from them, and endings that need the state's consent."""

from __future__ import annotations

import dataclasses

import pytest

from simulator.customer.llm_prompt import EXAMPLE_STEP, state_note
from simulator.customer.offline import OfflineCustomer
from simulator.customer.state_machine import CustomerRules
from simulator.models import CustomerState, Turn
from tests.offline_fixtures import en_case, persona, zh_case

ZH_AGENT = [
    "您好，我是客服小王，非常抱歉让您久等了。",
    "请问您的订单号是多少？",
    "这个我们也没办法。",
    "我马上给您安排加急补发一台，三天内送到。",
]


def _play(machine: CustomerRules, messages: list[str]) -> list[Turn]:
    history: list[Turn] = [Turn(role="customer", text="我的冰箱呢？", state=CustomerState(mood=6, goal_met=False))]
    for message in messages:
        step = machine.step(history, message)
        machine.commit(step)
        history += [
            Turn(role="agent", text=message),
            Turn(role="customer", text="……", state=CustomerState(mood=step.mood, goal_met=step.goal_met)),
        ]
    return history


def test_the_llm_customers_state_is_the_offline_customers() -> None:
    for archetype in ("rational", "emotional", "impatient", "skeptical"):
        offline = OfflineCustomer(persona(archetype), zh_case(), seed=3)
        machine = CustomerRules(persona(archetype), zh_case())
        history: list[Turn] = [Turn(role="customer", text=offline.opening().text, state=offline.state)]
        for message in ZH_AGENT:
            reply = offline.respond(history, message)
            step = machine.step(history, message)
            machine.commit(step)
            assert (step.mood, step.goal_met) == (reply.state.mood, reply.state.goal_met), (archetype, message)
            history += [Turn(role="agent", text=message), Turn(role="customer", text=reply.text, state=reply.state)]


def test_a_step_is_not_kept_until_committed_and_a_retry_finds_the_same_state() -> None:
    machine = CustomerRules(persona("emotional"), zh_case())
    history = _play(machine, ZH_AGENT[:1])
    first = machine.step(history, "这个我们也没办法。")
    again = machine.step(history, "这个我们也没办法。")  # the reply failed; the trainee retries
    assert dataclasses.astuple(first) == dataclasses.astuple(again)
    with pytest.raises(RuntimeError, match="latest step"):
        machine.commit(first)
    machine.commit(again)
    assert machine.step(_play_history(history, "这个我们也没办法。", again.mood), "好的。").agent_turns == 3


def _play_history(history: list[Turn], message: str, mood: int) -> list[Turn]:
    return [
        *history,
        Turn(role="agent", text=message),
        Turn(role="customer", text="……", state=CustomerState(mood=mood, goal_met=False)),
    ]


def test_a_resumed_session_reaches_the_same_state() -> None:
    first = CustomerRules(persona("skeptical"), zh_case())
    history = _play(first, ZH_AGENT[:3])
    resumed = CustomerRules(persona("skeptical"), zh_case())  # a new process after a restart
    a = first.step(history, ZH_AGENT[3])
    b = resumed.step(history, ZH_AGENT[3])
    assert dataclasses.astuple(a) == dataclasses.astuple(b)


def test_resolved_needs_an_acceptable_offer_on_record() -> None:
    machine = CustomerRules(persona("rational"), zh_case())
    history = _play(machine, ZH_AGENT[:2])
    before = machine.step(history, "好的，那就这样吧，祝您生活愉快。")
    assert "resolved" not in before.allowed and before.offer is None
    offered = machine.step(history, ZH_AGENT[3])
    assert "resolved" in offered.allowed and offered.offer and "补发" in offered.offer


def test_an_offer_the_customer_turns_down_is_named_in_the_state() -> None:
    machine = CustomerRules(persona("rational"), zh_case())
    history = _play(machine, ZH_AGENT[:2])
    step = machine.step(history, "给您一张5元优惠券，您看行吗？")
    assert step.refused_offer == "只给一张5元优惠券" and "resolved" not in step.allowed


def test_patience_run_out_imposes_the_ending() -> None:
    impatient = persona("impatient")
    machine = CustomerRules(impatient, zh_case())
    history = _play(machine, ["嗯。"] * (impatient.temperament.patience - 1))
    step = machine.step(history, "嗯。")
    assert step.imposed in ("gave_up", "escalated") and step.allowed == frozenset({step.imposed})


# ---------------------------------------------------------------------------------------------
# The note


def test_the_note_carries_turn_progress_mood_facts_offer_and_endings() -> None:
    step = dataclasses.replace(
        EXAMPLE_STEP,
        agent_turns=5,
        mood=6,
        patience=6,
        stalled=3,
        progress=(True, False, True, False, False),
        revealed=("order_no", "charge_date"),
        asked=("charge_date",),
        offer="refund the duplicate charge by Friday",
        allowed=frozenset({"resolved"}),
    )
    note = state_note(step, en_case())
    assert note == (
        "[state · turn 5 · no progress for 3 of the last 4 turns · 3 more like that and you've had enough · "
        "you feel 6/10 · told them: order number · they just asked for: charge date · "
        'on the table: "refund the duplicate charge by Friday" · '
        "you may end it with ###RESOLVED### if you accept the offer]"
    )


def test_the_chinese_note() -> None:
    step = dataclasses.replace(EXAMPLE_STEP, imposed="escalated", allowed=frozenset({"escalated"}))
    note = state_note(step, zh_case())
    assert note.startswith("【状态 · 第3轮 · 最近3轮里有2轮没进展 · ")
    assert note.endswith("你现在就要找主管：说出来，并用 ###ESCALATE### 结束】")
    assert "现在还不能结束对话" not in note
