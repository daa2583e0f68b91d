"""The conversation driver: validation, turn order, faults that never lose the trainee's message."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import pytest

from simulator.conversation import Conversation
from simulator.customer.base import CustomerEngine, CustomerReply, ReplyStream
from simulator.customer.offline import OfflineCustomer
from simulator.errors import ConversationEnded, CustomerUnavailable, DrillError, MessageRejected
from simulator.limits import MESSAGE_CHARS
from simulator.models import CustomerState, Transcript, Turn
from tests.offline_fixtures import persona, rubric, zh_case


def offline_conversation(archetype: str = "rational", seed: int = 0) -> Conversation:
    return Conversation(OfflineCustomer(persona(archetype), zh_case(), seed=seed, rubric=rubric()))


class FlakyEngine(CustomerEngine):
    """Fails the first ``failures`` calls (at call time or mid-stream), then answers."""

    name = "flaky"

    def __init__(self, failures: int, *, mid_stream: bool, error: Exception | None = None):
        super().__init__(persona("rational"), zh_case(), seed=0)
        self.failures = failures
        self.mid_stream = mid_stream
        self.error = error or ConnectionError("endpoint down")
        self.calls: list[tuple[int, str]] = []

    def opening(self) -> CustomerReply:
        return CustomerReply("开场白。", CustomerState(mood=5, goal_met=False))

    def stream(self, history: Sequence[Turn], agent_message: str) -> ReplyStream:
        self.calls.append((len(history), agent_message))
        failing = len(self.calls) <= self.failures
        if failing and not self.mid_stream:
            raise self.error

        def deltas() -> Iterator[str]:
            yield "好的，"
            if failing:
                raise self.error
            yield "我知道了。"

        return ReplyStream(deltas(), lambda text: CustomerReply(text, CustomerState(mood=4, goal_met=False)))


def test_start_adds_the_opening_once_with_state_and_metadata() -> None:
    conversation = offline_conversation("emotional")
    reply = conversation.start()
    assert conversation.start() == reply
    assert len(conversation.turns) == 1
    first = conversation.turns[0]
    assert first.role == "customer" and first.state == reply.state and first.ts
    datetime.fromisoformat(first.ts)
    transcript = conversation.transcript
    assert (transcript.persona_id, transcript.case_id, transcript.archetype) == (
        "test_emotional",
        "zh-test-late-parcel",
        "emotional",
    )
    assert transcript.language == "zh-CN"


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_messages_are_refused(text: str) -> None:
    with pytest.raises(MessageRejected, match="empty"):
        Conversation.validate_agent_message(text)


def test_long_messages_are_refused_with_limit_and_length() -> None:
    text = "好" * (MESSAGE_CHARS.value + 5)
    with pytest.raises(MessageRejected) as info:
        Conversation.validate_agent_message(text)
    assert str(MESSAGE_CHARS.value) in str(info.value) and str(MESSAGE_CHARS.value + 5) in str(info.value)
    assert Conversation.validate_agent_message("  好的  ") == "好的"
    assert Conversation.validate_agent_message("好" * MESSAGE_CHARS.value) == "好" * MESSAGE_CHARS.value


def test_rejected_message_adds_no_turn() -> None:
    conversation = offline_conversation()
    conversation.start()
    with pytest.raises(MessageRejected):
        conversation.send("  ")
    assert len(conversation.turns) == 1


def test_send_streams_and_appends_both_turns() -> None:
    conversation = offline_conversation()
    conversation.start()
    stream = conversation.send("请问您的订单号是多少？")
    assert conversation.turns[-1].role == "agent" and conversation.pending
    text = "".join(stream)
    assert not conversation.pending
    last = conversation.turns[-1]
    assert last.role == "customer" and last.text == text and last.state is not None
    assert "2026110312345678" in text
    assert [turn.role for turn in conversation.turns] == ["customer", "agent", "customer"]


def test_send_starts_the_conversation_if_needed() -> None:
    conversation = offline_conversation()
    conversation.send("您好。").collect()
    assert [turn.role for turn in conversation.turns] == ["customer", "agent", "customer"]


@pytest.mark.parametrize("mid_stream", [False, True])
def test_engine_failure_keeps_the_agent_turn_and_retry_answers_it(mid_stream: bool) -> None:
    engine = FlakyEngine(failures=1, mid_stream=mid_stream)
    conversation = Conversation(engine)
    conversation.start()
    with pytest.raises(CustomerUnavailable) as info:
        conversation.send("您好，请问有什么可以帮您？").collect()
    assert "kept" in str(info.value) and "endpoint down" in str(info.value)
    assert conversation.turns[-1].role == "agent" and conversation.turns[-1].text == "您好，请问有什么可以帮您？"
    assert conversation.pending and len(conversation.turns) == 2
    reply = conversation.retry_last().collect()
    assert reply.text == "好的，我知道了。"
    assert [turn.role for turn in conversation.turns] == ["customer", "agent", "customer"]
    assert engine.calls == [(1, "您好，请问有什么可以帮您？"), (1, "您好，请问有什么可以帮您？")]


def test_customer_unavailable_from_the_engine_passes_through_unchanged() -> None:
    error = CustomerUnavailable("endpoint timed out; retry")
    conversation = Conversation(FlakyEngine(failures=1, mid_stream=True, error=error))
    conversation.start()
    with pytest.raises(CustomerUnavailable) as info:
        conversation.send("您好").collect()
    assert info.value is error
    assert conversation.pending


def test_retry_without_pending_message_is_an_error() -> None:
    conversation = offline_conversation()
    conversation.start()
    with pytest.raises(DrillError, match="no unanswered message"):
        conversation.retry_last()


def test_ended_conversation_refuses_new_messages() -> None:
    conversation = offline_conversation()
    conversation.start()
    conversation.send("我们规定就是这样。").collect()
    conversation.send("你去找快递。").collect()
    assert conversation.ended and conversation.state is not None
    assert conversation.state.outcome == "escalated"
    with pytest.raises(ConversationEnded):
        conversation.send("还有什么可以帮您？")
    assert conversation.turns[-1].role == "customer"


def test_to_json_matches_the_transcript_contract() -> None:
    conversation = offline_conversation()
    conversation.start()
    conversation.send("请问您的订单号是多少？").collect()
    data = conversation.to_json()
    assert set(data) == {"language", "persona_id", "case_id", "archetype", "scenario", "turns"}
    customer_turns = [turn for turn in data["turns"] if turn["role"] == "customer"]
    assert all(set(turn["state"]) == {"mood", "goal_met", "outcome"} for turn in customer_turns)
    assert all("state" not in turn for turn in data["turns"] if turn["role"] == "agent")
    assert Transcript.model_validate(data).turns[1].text == "请问您的订单号是多少？"


def test_injected_clock_stamps_turns() -> None:
    stamps = iter(["2026-03-01T10:00:00+00:00", "2026-03-01T10:00:05+00:00", "2026-03-01T10:00:09+00:00"])
    conversation = Conversation(OfflineCustomer(persona("rational"), zh_case(), seed=0), clock=lambda: next(stamps))
    conversation.send("您好。").collect()
    assert [turn.ts for turn in conversation.turns] == [
        "2026-03-01T10:00:00+00:00",
        "2026-03-01T10:00:05+00:00",
        "2026-03-01T10:00:09+00:00",
    ]
