"""The LLM judge reports the commitment checks too (issue 13 item 6, issue 12 item 2).

Against the local fault server: the schema enumerates exactly the checks the rule checks know, the
prompt describes them, and a flag becomes a finding only with a verified agent quote and only
where the rules did not already find it; it asks a mentor to review and costs the trainee nothing.
"""

from __future__ import annotations

from simulator.grading import judge_commitments
from simulator.grading.aggregate import build_report
from simulator.grading.judge_commitments import COMMITMENTS_KEY, FLAG_RULE, reportable_rules, texts
from simulator.grading.rules import RULES
from simulator.models import Case, Finding, Rubric
from tests.fake_llm import FakeLLM
from tests.test_judge import (  # the judge's shared test helpers and fixtures
    case,
    library,
    make_transcript,
    rubric,
    run_judge,
    system_message,
    verdict,
)

__all__ = ["case", "library", "rubric"]  # fixtures re-exported for pytest

FIRST = "您好，我是客服小李。请问您的订单号是多少？我马上帮您查一下物流。"
WAIT = "您再耐心等几天吧，留意一下物流信息就行，到了自然会派送的。"


def test_both_languages_describe_the_same_checks_and_only_known_rules_are_offered() -> None:
    english, chinese = texts("en"), texts("zh-CN")
    assert (
        set(english["labels"]) == set(english["descriptions"]) == set(chinese["labels"]) == set(chinese["descriptions"])
    )
    assert reportable_rules() == tuple(rule for rule in RULES if rule in english["descriptions"])
    assert "unacceptable_offer" in reportable_rules()  # on the rule checks since the first grader
    for language in ("en", "zh-CN"):
        assert "{rules}" in texts(language)["prompt"] and COMMITMENTS_KEY in texts(language)["prompt"]
        assert "<!--" not in texts(language)["prompt"]


def test_the_schema_and_the_prompt_carry_the_checks(fake_llm: FakeLLM, rubric: Rubric, case: Case) -> None:
    fake_llm.enqueue(content=verdict(rubric))
    run_judge(make_transcript(FIRST), rubric, case, fake_llm.settings(), findings=[])
    request = fake_llm.requests[0]

    schema = request["response_format"]["json_schema"]["schema"]
    assert COMMITMENTS_KEY in schema["required"]
    flags = schema["properties"][COMMITMENTS_KEY]
    assert flags["maxItems"] == judge_commitments.MAX_FLAGS
    item = flags["items"]
    assert item["additionalProperties"] is False and set(item["required"]) == {"rule", "turn", "quote"}
    assert item["properties"]["rule"]["enum"] == list(reportable_rules())

    system = system_message(request)
    for rule in reportable_rules():
        assert f"`{rule}`: {texts('zh-CN')['descriptions'][rule]}" in system
    assert "{rules}" not in system


def test_a_flag_the_rules_missed_goes_to_a_mentor_and_costs_nothing(
    fake_llm: FakeLLM, rubric: Rubric, case: Case
) -> None:
    transcript = make_transcript(FIRST, WAIT)
    reply = verdict(rubric)
    reply[COMMITMENTS_KEY] = [
        {"rule": "unacceptable_offer", "turn": 3, "quote": "您再耐心等几天吧,留意一下物流信息就行"},
        {"rule": "unacceptable_offer", "turn": 3, "quote": "到了自然会派送的"},  # the same turn again
        {"rule": "unacceptable_offer", "turn": 1, "quote": "我们保证今天一定送到您家门口"},  # not in the turn
        {"rule": "unacceptable_offer", "turn": 1, "quote": "查"},  # too short to prove anything
        {"rule": "unacceptable_offer", "turn": 2, "quote": "订单号是2026110312345678"},  # the customer's words
        {"rule": "private_data_request", "turn": 1, "quote": "请问您的订单号是多少"},  # not a commitment check
    ]
    fake_llm.enqueue(content=reply)
    result = run_judge(transcript, rubric, case, fake_llm.settings(), findings=[])

    (finding,) = result.findings
    assert (finding.rule, finding.severity, finding.turn) == (FLAG_RULE, "info", 3)
    assert finding.quote == "您再耐心等几天吧，留意一下物流信息就行，"  # the turn's own whole clauses
    assert texts("zh-CN")["labels"]["unacceptable_offer"] in finding.message
    report = build_report(transcript, rubric, result.scores, result.findings, engine="llm")
    assert report.passed is True  # an unmeasured judge points a mentor at the turn, never fails it alone


def test_a_flag_the_rules_already_raised_adds_nothing(fake_llm: FakeLLM, rubric: Rubric, case: Case) -> None:
    transcript = make_transcript(FIRST, WAIT)
    found = Finding(rule="unacceptable_offer", severity="warning", turn=3, quote=WAIT, message="已发现")
    reply = verdict(rubric)
    reply[COMMITMENTS_KEY] = [{"rule": "unacceptable_offer", "turn": 3, "quote": WAIT}]
    fake_llm.enqueue(content=reply)
    result = run_judge(transcript, rubric, case, fake_llm.settings(), findings=[found])
    assert result.findings == []
