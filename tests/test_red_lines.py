"""Red lines (issue 12, item 1): confirmed ones fail the session, unsure ones go to a mentor."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.evals.grader_thresholds import Scored, answer_threshold, confidence_threshold
from simulator.grading import red_lines
from simulator.grading import rules as rules_module
from simulator.grading.aggregate import build_report
from simulator.grading.offline import grade_offline
from simulator.grading.rules import RuleContext, run_rules_in
from simulator.grading.scorecard import render_scorecard
from simulator.grading.thresholds import GraderThresholdsError, load_thresholds
from simulator.models import Rubric
from tests.grading_fixtures import en_case, rubric, transcript, zh_case

ZH_HELLO = "您好，我是客服小李。"
EN_HELLO = "Hi, I'm Sam from the billing team."


def scan(language: str, *agent: str, case: bool = True) -> red_lines.RedLineScan:
    turns = [("c", "我的扫地机器人还没到。" if language == "zh-CN" else "My blender was charged twice.")]
    turns += [("a", text) for text in agent]
    own = (zh_case() if language == "zh-CN" else en_case()) if case else None
    return RuleContext(transcript(language, turns), rubric(), own).red_lines


def test_a_cvv_request_is_confirmed_with_its_quote_and_why() -> None:
    found = scan("en", f"{EN_HELLO} To refund it, could you give me the card's expiry date and the CVV on the back?")
    assert [(hit.kind, hit.turn, hit.source) for hit in found.confirmed] == [("private_data_request", 1, "recogniser")]
    hit = found.confirmed[0]
    assert "CVV" in hit.quote and hit.why == rubric().critical_errors["en"][0].why
    assert hit.confidence is not None and hit.confidence >= 0.9


def test_a_warning_never_to_share_a_code_crosses_nothing() -> None:
    found = scan("zh-CN", f"{ZH_HELLO}提醒您，验证码千万不要告诉任何人，我们也不会索要。")
    assert found.confirmed == [] and found.review == []


def test_listed_phrases_and_the_case_policy_are_confirmed() -> None:
    insult = scan("zh-CN", f"{ZH_HELLO}你是不是傻，说了多少遍了。")
    assert [(hit.kind, hit.source, hit.confidence) for hit in insult.confirmed] == [
        ("insult_or_threat", "phrase_list", 1.0)
    ]
    promise = scan("zh-CN", f"{ZH_HELLO}我保证明天到，再给您全额赔偿。")
    assert ("promise_beyond_policy", "policy") in {(hit.kind, hit.source) for hit in promise.confirmed}
    # Without a case there is no policy to go beyond.
    assert scan("zh-CN", f"{ZH_HELLO}我保证明天到，再给您全额赔偿。", case=False).confirmed == []


def test_a_clause_saying_no_secret_is_needed_is_set_aside_before_judging_the_request() -> None:
    # Asks only for the card's tail and says no password or code is needed: nothing is crossed.
    tail_only = scan("zh-CN", f"{ZH_HELLO}麻烦您报一下卡号后四位，不需要密码和验证码。")
    assert tail_only.confirmed == [] and tail_only.review == []
    # The same reassurance tacked onto a real request hides nothing: the request is judged alone.
    tacked = scan("zh-CN", f"{ZH_HELLO}您把手机收到的验证码发我一下，不需要密码。")
    assert [(hit.kind, hit.source) for hit in tacked.confirmed] == [("private_data_request", "recogniser")]


def test_items_listed_with_the_enumeration_comma_are_set_aside_with_the_clause_that_ends_the_list() -> None:
    # "完整卡号、密码、验证码都不用给我": none of the three is asked for (synthetic dev, an excellent agent).
    listed = scan("zh-CN", f"{ZH_HELLO}您只需要告诉我卡号后四位就行，完整卡号、密码、验证码都不用给我。")
    assert listed.confirmed == []
    asked = scan("zh-CN", f"{ZH_HELLO}把完整卡号、密码发给我。")
    assert [(hit.kind, hit.source) for hit in asked.confirmed] == [("private_data_request", "recogniser")]
    told = scan("en", f"{EN_HELLO} You're signed in, so I won't need your card number or any code from you.")
    assert told.confirmed == []


def test_a_secret_said_to_be_not_needed_with_other_verbs_of_handing_over_is_no_request() -> None:
    # Synthetic dev (t9, d9): excellent agents telling the customer what not to send were failed on a red line.
    for told in (
        "只需要确认尾号，完整卡号和验证码都不用发我哦。",
        "卡背面的数字、有效期、密码和验证码都不用报，以后谁在电话里要这些，您都别给。",
    ):
        assert scan("zh-CN", f"{ZH_HELLO}{told}").confirmed == [], told
    asked = scan("zh-CN", f"{ZH_HELLO}把完整卡号和验证码发我一下。")
    assert [(hit.kind, hit.source) for hit in asked.confirmed] == [("private_data_request", "recogniser")]


def test_a_service_requests_number_is_ordinary_verification() -> None:
    asked = "Could you give me the service request number so I can see everything?"  # synthetic dev
    assert scan("en", f"{EN_HELLO} {asked}").confirmed == []


def test_a_parcels_pickup_code_is_an_ordinary_reference_but_the_sms_code_is_not() -> None:
    # docs/acts.md: a pickup code opens one parcel, not an account; the rubric lists it as an ordinary reference.
    asked = "取件码发我一下，我帮您查查。"
    pickup = scan("zh-CN", f"{ZH_HELLO}{asked}")
    assert pickup.confirmed == [] and pickup.review == [], asked
    sms = scan("zh-CN", f"{ZH_HELLO}把手机刚收到的短信验证码念给我听一下。")
    assert [hit.kind for hit in sms.confirmed] == ["private_data_request"]


def test_a_bookings_confirmation_code_is_an_ordinary_reference_but_a_code_sent_by_sms_beside_it_is_not() -> None:
    # Synthetic dev: excellent airline agents opening a claim ask for the booking's confirmation code.
    for asked in ("What's your confirmation code?", "Your confirmation code, please, and I'll get straight to it."):
        booking = scan("en", f"{EN_HELLO} {asked}")
        assert booking.confirmed == [] and booking.review == [], asked
    both = scan("en", f"{EN_HELLO} Can I have your confirmation code and the code we just texted you?")
    assert [(hit.kind, hit.source) for hit in both.confirmed] == [("private_data_request", "recogniser")]
    # The billing ZIP code is ordinary verification too (synthetic dev).
    asked = "First I need to verify the account: the phone number and the billing zip code, please."
    assert scan("en", f"{EN_HELLO} {asked}").confirmed == [], asked
    # The secrets still fail: a PIN, a password, the CVV and expiry, a code sent by SMS.
    for secret in (
        "Right, and your PIN as well please.",
        "What's your online banking password?",
        "Could you read me the CVV and the expiry date on the card?",
        "Read me the verification code we just texted you.",
    ):
        found = scan("en", f"{EN_HELLO} {secret}")
        assert [hit.kind for hit in found.confirmed] == ["private_data_request"], secret


def test_an_amount_the_cases_resolution_names_is_not_beyond_the_compensation_limit() -> None:
    # The case's resolution refunds the duplicate $89.99 and its limit caps goodwill money at $10:
    # refunding what the resolution names is the resolution, a goodwill sum above the limit is not.
    allowed = scan("en", f"{EN_HELLO} I'm refunding the duplicate $89.99 charge and adding a $10 goodwill credit.")
    assert "promise_beyond_policy" not in {hit.kind for hit in [*allowed.confirmed, *allowed.review]}
    over = scan("en", f"{EN_HELLO} I'm refunding the duplicate charge and adding a $50 goodwill credit.")
    assert ("promise_beyond_policy", "policy") in {(hit.kind, hit.source) for hit in over.confirmed}


def test_a_recognised_hit_below_the_threshold_goes_to_review(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(red_lines, "red_line_threshold", lambda kind, language: 1.01)
    found = scan("en", f"{EN_HELLO} Could you read me the verification code we just sent?")
    assert found.confirmed == [] and [hit.kind for hit in found.review] == ["private_data_request"]
    t = transcript("en", [("c", "Hi"), ("a", f"{EN_HELLO} Could you read me the verification code we just sent?")])
    ctx = RuleContext(t, rubric(), en_case())
    findings = run_rules_in(ctx)
    assert "red_line_review" in {f.rule for f in findings} and "critical_error" not in {f.rule for f in findings}


def test_a_rubric_without_red_lines_finds_none() -> None:
    bare = Rubric.model_validate({**rubric().model_dump(mode="json"), "critical_errors": {}})
    t = transcript("en", [("c", "Hi"), ("a", "What's the CVV on the back of your card?")])
    assert RuleContext(t, bare, None).red_lines.confirmed == []


def test_a_red_line_listed_twice_is_rejected() -> None:
    data = rubric().model_dump(mode="json")
    data["critical_errors"]["en"].append(dict(data["critical_errors"]["en"][0]))
    with pytest.raises(ValueError, match="listed twice: private_data_request"):
        Rubric.model_validate(data)


def test_a_confirmed_red_line_fails_the_session_and_leads_the_scorecard() -> None:
    t = transcript(
        "zh-CN",
        [
            ("c", "我的扫地机器人还没到。"),
            ("a", f"{ZH_HELLO}非常抱歉让您久等了，我马上帮您查。为了核实身份，麻烦把卡背面的三位安全码报一下。"),
            ("c", "好吧。"),
            ("a", "已经帮您催了快递，明天下午送到，请问还有什么可以帮您？"),
        ],
        case_id=zh_case().id,
    )
    ctx = RuleContext(t, rubric(), zh_case())
    findings = run_rules_in(ctx)
    scores = grade_offline(t, rubric(), zh_case(), findings)
    report = build_report(t, rubric(), scores, findings, engine="offline", critical_errors=ctx.red_lines.confirmed)
    assert report.passed is False and report.critical_errors
    assert {s.id: s.score for s in report.criteria}["compliance"] == 1
    card = render_scorecard(report, "zh-CN", rubric())
    red_at = card.index("红线")
    assert red_at < card.index("总分") and "卡背面的三位安全码" in card[red_at : card.index("总分")]
    assert "未通过(触碰红线)" in card


def test_a_doubtful_private_data_request_is_reviewed_and_deducts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # docs/red-lines.md: below the confidence threshold the turn is flagged for a mentor's review and
    # nothing is deducted; the same sentence above it fails the session and caps compliance at 1.
    ask = "为了核实身份，麻烦把卡背面的三位安全码报一下。"
    t = transcript(
        "zh-CN",
        [
            ("c", "我的扫地机器人还没到。"),
            ("a", f"{ZH_HELLO}非常抱歉让您久等了，我马上帮您查。{ask}"),
            ("c", "好吧。"),
            ("a", "已经帮您催了快递，明天下午送到，请问还有什么可以帮您？"),
        ],
        case_id=zh_case().id,
    )

    def graded() -> tuple[set[str], int | None]:
        ctx = RuleContext(t, rubric(), zh_case())
        findings = run_rules_in(ctx)
        scores = grade_offline(t, rubric(), zh_case(), findings)
        return {f.rule for f in findings}, {s.id: s.score for s in scores}["compliance"]

    sure_rules, sure_compliance = graded()
    assert {"private_data_request", "critical_error"} <= sure_rules and sure_compliance == 1
    for module in (red_lines, rules_module):
        monkeypatch.setattr(module, "red_line_threshold", lambda kind, language: 1.01)
    doubtful_rules, doubtful_compliance = graded()
    assert "red_line_review" in doubtful_rules
    assert not {"private_data_request", "critical_error"} & doubtful_rules
    assert doubtful_compliance is not None and doubtful_compliance > 1


def test_thresholds_are_chosen_for_their_targets() -> None:
    items = [Scored(0.95, True), Scored(0.9, True), Scored(0.85, False), Scored(0.8, True), Scored(0.7, False)]
    similarity, recall, precision = answer_threshold(items, min_recall=0.6)
    assert similarity == 0.9 and recall == pytest.approx(2 / 3) and precision == pytest.approx(2 / 3)
    assert confidence_threshold(items, min_precision=0.98, floor=0.5) == (0.9, 1.0, pytest.approx(2 / 3))
    assert confidence_threshold([Scored(0.9, False)], min_precision=0.98, floor=0.5) is None


def test_the_shipped_thresholds_record_their_provenance() -> None:
    shipped = load_thresholds()
    assert shipped.targets.red_line_precision == 0.98
    for chosen in shipped.answer_similarity.values():
        assert chosen.chosen_on == "dev" and chosen.answer_recall >= shipped.targets.answer_recall
    for by_language in shipped.red_lines.values():
        for line in by_language.values():
            assert line.chosen_on == "dev" and line.precision >= shipped.targets.red_line_precision


def test_a_malformed_thresholds_file_says_how_to_fix_it(tmp_path: Path) -> None:
    bad = tmp_path / "thresholds.yaml"
    bad.write_text("targets: {answer_recall: 2}\n", encoding="utf-8")
    with pytest.raises(GraderThresholdsError, match="drill eval thresholds --write"):
        load_thresholds(bad)
