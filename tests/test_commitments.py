"""Commitments checked against the case (grading/commitments.py, commitment_checks.py,
commitment_matching.py), fair expectations (grading/fairness.py), the labelled offer pairs and their
eval, and whole-clause finding quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.evals.commitments_eval import (
    ScoredPair,
    choose,
    evaluate,
    load_pairs,
    measure,
    pairs_fingerprint,
    write_thresholds,
)
from simulator.grading import commitments, fairness
from simulator.grading.commitment_checks import promises_beyond_policy
from simulator.grading.commitment_matching import LIMITS_MIN_PRECISION, load_thresholds
from simulator.grading.offline import grade_offline
from simulator.grading.registry import signal_label
from simulator.grading.rules import RuleContext, run_rules
from simulator.models import Case, DialogueAct, Transcript
from simulator.quotes import cites_enough
from simulator.recognition.encoder import model_id
from simulator.recognition.offer_pairs import (
    OfferPair,
    OfferPairsError,
    Target,
    case_targets,
    load_offer_pairs,
)
from tests.grading_fixtures import en_case, fixed_commitment_thresholds, rubric, transcript, zh_case, zh_case_data

ZH_HELLO = "您好，我是客服小李，工号1024。"
ZH_BYE = "请问还有什么可以帮您？"

ACTS: dict[str, set[DialogueAct]] = {
    ZH_HELLO: {DialogueAct.greeting, DialogueAct.self_intro},
    ZH_BYE: {DialogueAct.closing},
    "放心，包您明天之内送上门。": {DialogueAct.promise},
    "我们没法保证明天送到，我先帮您催一下。": {DialogueAct.refusal, DialogueAct.promise},
    "给您补偿50元红包。": {DialogueAct.offer_solution},
    "补发或者退款都可以为您安排，具体要看情况，工单号稍后会短信发给您。": {
        DialogueAct.offer_solution,
        DialogueAct.hedge,
    },
    "1个工作日左右吧，具体以系统为准。": {DialogueAct.promise, DialogueAct.hedge},
    "我马上给您加急补发一台，三天内送到。": {DialogueAct.offer_solution},
    "不想等的话，我帮您把订单取消，1999元全额退回。": {DialogueAct.offer_solution},
    "请问订单号是多少？": {DialogueAct.ask_fact},
    "好的。": set(),
}


@pytest.fixture(autouse=True)
def _acts(act_labels: dict[str, set[DialogueAct]]) -> None:
    act_labels.update(ACTS)


@pytest.fixture(autouse=True)
def _fixed_commitment_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commitment rows test the mechanism at fixed lines; the shipped lines move with the dev pairs."""
    from simulator.grading import commitment_matching

    fixed = fixed_commitment_thresholds()
    monkeypatch.setattr(commitment_matching, "thresholds_for", lambda language, path=None: fixed.thresholds[language])


def _zh(*agent: str, case: Case | None = None, ending: dict[str, Any] | None = None) -> Transcript:
    turns: list[dict[str, Any]] = [{"role": "customer", "text": "我的扫地机器人还没到。"}]
    turns += [{"role": "agent", "text": text} for text in agent]
    if ending is not None:
        turns.append(ending)
    return Transcript.model_validate({"language": "zh-CN", "case_id": case.id if case else None, "turns": turns})


# -- the labelled pairs and the thresholds -----------------------------------------------------------


def test_shipped_thresholds_were_chosen_on_the_current_dev_pairs() -> None:
    shipped = load_thresholds().thresholds
    assert set(shipped) == {"zh-CN", "en"}
    for limits in shipped.values():
        assert limits.chosen_on == "dev"
        assert limits.pairs_sha256 == pairs_fingerprint("dev"), (
            "dev pairs changed: run `drill eval commitments --write`"
        )
        assert limits.embedder == model_id()


def test_every_dev_pair_names_a_real_case_and_target(shipped_content_dir: Path) -> None:
    from simulator.content import load_library

    library = load_library(shipped_content_dir)
    pairs = load_pairs("dev", library.cases)
    kinds = {pair.target.kind for pair in pairs if pair.matches}
    assert kinds == {"resolution", "refused", "must_not_promise", "cannot_do"}
    assert {pair.language for pair in pairs} == {"zh-CN", "en"}


def _pairs_file(root: Path, body: str, split: str = "dev") -> None:
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / split / "t.zh-CN.yaml").write_text(body, encoding="utf-8")


HEAD = "language: zh-CN\nsplit: dev\nsource: t\nlicence: test\nsentences:\n"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('  - {case: nope, text: "给您补发", matches: []}\n', "unknown case 'nope'"),
        ('  - {case: zh-grading-late-parcel, text: "给您补发", matches: [resolution:zzz]}\n', "'resolution:zzz'"),
        ('  - {case: zh-grading-late-parcel, text: "给您补发", matches: [], extra: 1}\n', "extra"),
        ('  - {case: en-grading-double-charge, text: "给您补发", matches: []}\n', "is en, the file is zh-CN"),
    ],
)
def test_bad_offer_pairs_are_refused_with_file_and_entry(tmp_path: Path, entry: str, problem: str) -> None:
    _pairs_file(tmp_path, HEAD + entry)
    cases = {case.id: case for case in (zh_case(), en_case())}
    with pytest.raises(OfferPairsError) as caught:
        load_offer_pairs("dev", cases, tmp_path)
    assert problem in str(caught.value)
    assert "t.zh-CN.yaml" in str(caught.value)


def test_a_labelled_sentence_is_paired_with_every_target_of_its_case(tmp_path: Path) -> None:
    _pairs_file(tmp_path, HEAD + '  - {case: zh-grading-late-parcel, text: "给您补发", matches: [resolution:resend]}\n')
    pairs = load_offer_pairs("dev", {zh_case().id: zh_case()}, tmp_path)
    assert [p.target.key for p in pairs] == [t.key for t in case_targets(zh_case())]
    assert [p.target.key for p in pairs if p.matches] == ["resolution:resend"]
    assert {t.key for t in case_targets(zh_case())} >= {"must_not_promise:1", "cannot_do:1", "refused:wait_more"}


def _scored(similarity: float, best: float, matches: bool, kind: str = "resolution") -> ScoredPair:
    target = Target(kind, f"{kind}:x", "x")  # type: ignore[arg-type]
    return ScoredPair(OfferPair("c", "en", f"s{similarity}{best}{kind}", target, matches), similarity, best)


def test_offer_lines_are_chosen_for_the_best_f1_and_measured_as_chosen() -> None:
    scored = [
        _scored(0.95, 0.95, True),
        _scored(0.93, 0.95, True),  # a second target close to the best one
        _scored(0.90, 0.95, False),
        _scored(0.88, 0.88, False),  # a sentence that offers nothing of the case
    ]
    chosen = choose(scored, "en")
    low, gap = chosen.lines["offers"]
    assert chosen.by_group["offers"].f1 == 1.0
    assert 0.88 < low <= 0.93 and 0.02 <= gap < 0.05
    again = measure(scored, "en", {"offers": (low, gap)})
    assert (again.overall.tp, again.overall.fp, again.overall.fn) == (2, 0, 0)
    strict = measure(scored, "en", {"offers": (0.99, 0.0)})
    assert strict.overall.fn == 2 and strict.misses


def test_limit_lines_keep_precision_before_recall() -> None:
    scored = [
        _scored(0.95, 0.95, True, "must_not_promise"),
        _scored(0.93, 0.93, True, "cannot_do"),
        _scored(0.92, 0.92, False, "must_not_promise"),  # a sentence that keeps within the limit
        _scored(0.91, 0.91, True, "must_not_promise"),
    ]
    chosen = choose(scored, "en")
    limits = chosen.by_group["limits"]
    assert limits.precision >= LIMITS_MIN_PRECISION
    assert (limits.tp, limits.fp, limits.fn) == (2, 0, 1), "best F1 would take the false match to win the third"


def test_write_thresholds_records_provenance_and_evaluate_reads_them_back(tmp_path: Path) -> None:
    _pairs_file(
        tmp_path,
        HEAD
        + '  - {case: zh-grading-late-parcel, text: "我马上给您加急补发一台。", matches: [resolution:resend]}\n'
        + '  - {case: zh-grading-late-parcel, text: "您再耐心等等吧。", matches: [refused:wait_more]}\n'
        + '  - {case: zh-grading-late-parcel, text: "明天一定给您送到。", matches: [must_not_promise:1]}\n',
    )
    path = tmp_path / "thresholds.yaml"
    cases = {zh_case().id: zh_case()}
    written = write_thresholds(cases, path=path, roots=(tmp_path,))
    recorded = load_thresholds(path).thresholds["zh-CN"]
    assert recorded.pairs_sha256 == pairs_fingerprint("dev", (tmp_path,))
    assert (recorded.offers.min_similarity, recorded.offers.max_gap) == written[0].lines["offers"]
    assert recorded.limits.f1 == round(written[0].by_group["limits"].f1, 4)
    (result,) = evaluate("dev", cases, path=path, roots=(tmp_path,))
    assert result.overall.f1 == written[0].overall.f1


# -- commitments against the case -------------------------------------------------------------------


def test_a_promise_beyond_policy_is_found_by_meaning_and_a_refusal_is_not() -> None:
    case = zh_case()
    said = _zh(ZH_HELLO, "放心，包您明天之内送上门。", "我们没法保证明天送到，我先帮您催一下。", ZH_BYE, case=case)
    breaches = promises_beyond_policy(RuleContext(said, rubric(), case))
    assert [(b.turn, b.quote, b.found_by) for b in breaches] == [(2, "放心，包您明天之内送上门。", "meaning")]
    assert breaches[0].limit == "明天一定送到" and breaches[0].similarity is not None
    assert breaches[0].confidence == 1  # the fixed test line "measured" precision 1


def test_an_amount_above_the_limit_is_a_structural_breach() -> None:
    case = zh_case()
    said = _zh(ZH_HELLO, "给您补偿50元红包。", ZH_BYE, case=case)
    (breach,) = promises_beyond_policy(RuleContext(said, rubric(), case))
    assert breach.found_by == "amount" and breach.similarity is None and "20" in breach.limit
    assert breach.confidence == 1.0


def test_a_forbidden_keyword_in_a_sentence_with_no_offer_act_is_a_breach_unless_it_keeps_to_the_limit(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    case = zh_case()
    policy = case.policy.model_copy(update={"forbidden_promise_keywords": ["以后都免"]})
    case = case.model_copy(update={"policy": policy})
    stated = "我给您账户备注好了，以后都免运费。"  # no act: a standing promise all the same
    refused = "以后都免运费这个我们做不到。"  # a refusal, by its act
    honest = "以后都免运费，这个我不能给您保证。"  # no act, but an honest limit (lexicons/grading.yaml)
    act_labels[refused] = {DialogueAct.refusal}
    said = _zh(ZH_HELLO, refused, honest, stated, ZH_BYE, case=case)
    breaches = promises_beyond_policy(RuleContext(said, rubric(), case))
    assert [(b.turn, b.quote, b.found_by, b.limit) for b in breaches] == [(4, stated, "statement", "以后都免")]
    findings = [f for f in run_rules(said, rubric(), case) if f.rule == "over_promise"]
    assert [(f.turn, f.quote) for f in findings] == [(4, stated)]


def test_a_forbidden_keyword_in_a_clause_that_refuses_or_warns_against_it_promises_nothing(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    case = zh_case()
    policy = case.policy.model_copy(update={"forbidden_promise_keywords": ["精神损失", "内部票"]})
    case = case.model_copy(update={"policy": policy})
    # Synthetic dev, excellent agents: the keyword sits in the clause that refuses it, or the sentence warns.
    refused = "但精神损失这类赔偿我这边给不了，能报的是看病的实际花费，您的车费全额报。"
    warned = "另外要是有人私下说能出“内部票”，让您转账的，千万别信，我们没有这种票。"
    offered = "精神损失费我也给您申请。"
    act_labels[refused] = {DialogueAct.offer_solution}
    act_labels["但精神损失这类赔偿我这边给不了"] = {DialogueAct.refusal}
    act_labels["我们没有这种票。"] = {DialogueAct.refusal}
    act_labels[offered] = {DialogueAct.offer_solution}
    said = _zh(ZH_HELLO, refused, warned, offered, ZH_BYE, case=case)
    breaches = promises_beyond_policy(RuleContext(said, rubric(), case))
    assert [(b.quote, b.found_by) for b in breaches] == [(offered, "keyword")]


def test_a_resolution_reported_done_or_set_out_as_the_route_is_credited_and_a_refusal_of_it_is_not(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    case = zh_case()
    done = "补发的那台已经给您安排上了，三天内送到。"  # reported done: give_proof
    route = "您在订单页点申请退款，1999元原路退回。"  # the route the policy gives: explain_policy
    refused = "退款这个我们办不了。"
    act_labels[done] = {DialogueAct.give_proof}
    act_labels[route] = {DialogueAct.explain_policy}
    act_labels[refused] = {DialogueAct.refusal, DialogueAct.explain_policy}
    for sentence, expected in ((done, {"resend"}), (route, {"refund"}), (refused, set())):
        said = _zh(ZH_HELLO, sentence, ZH_BYE, case=case)
        ctx = RuleContext(said, rubric(), case)
        assert set(commitments.credited_resolutions(ctx, commitments.commitments_in(ctx))) == expected, sentence


def test_only_a_sentence_that_offers_can_offer_what_the_customer_refuses(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    case = zh_case()
    told = "查到了，上次给您的是一张5元优惠券。"  # states what happened: give_proof
    offered = "我再给您一张5元优惠券。"
    act_labels[told] = {DialogueAct.give_proof}
    act_labels[offered] = {DialogueAct.offer_solution}
    said = _zh(ZH_HELLO, told, offered, ZH_BYE, case=case)
    assert commitments.unacceptable_offers(RuleContext(said, rubric(), case)) == [(3, offered)]


def test_a_sentence_that_matches_a_limit_only_in_the_clause_that_refuses_it_keeps_to_the_limit(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    case = zh_case()
    kept = "明天一定送到我不能答应，包您明天之内送上门这种话也不说。"
    broken = "放心，包您明天之内送上门。"
    act_labels[kept] = {DialogueAct.promise}
    act_labels["明天一定送到我不能答应"] = {DialogueAct.refusal}
    act_labels["包您明天之内送上门这种话也不说。"] = {DialogueAct.refusal}
    act_labels[broken] = {DialogueAct.promise}
    said = _zh(ZH_HELLO, kept, broken, ZH_BYE, case=case)
    breaches = promises_beyond_policy(RuleContext(said, rubric(), case))
    assert [(b.quote, b.found_by) for b in breaches] == [(broken, "meaning")]


def test_without_a_case_there_is_no_policy_to_break() -> None:
    said = _zh(ZH_HELLO, "放心，包您明天之内送上门。", ZH_BYE)
    assert promises_beyond_policy(RuleContext(said, rubric(), None)) == []


def test_a_polite_shell_is_vague_and_earns_no_resolution() -> None:
    case = zh_case()
    shell = _zh(
        ZH_HELLO,
        "补发或者退款都可以为您安排，具体要看情况，工单号稍后会短信发给您。",
        "1个工作日左右吧，具体以系统为准。",
        ZH_BYE,
        case=case,
    )
    ctx = RuleContext(shell, rubric(), case)
    said = commitments.commitments_in(ctx)
    assert [c.vague for c in said] == [True, True]
    assert commitments.credited_resolutions(ctx, said) == {}
    findings = run_rules(shell, rubric(), case)
    assert [f.turn for f in findings if f.rule == "vague_commitment"] == [2, 3]

    solid = _zh(
        ZH_HELLO,
        "我马上给您加急补发一台，三天内送到。",
        "不想等的话，我帮您把订单取消，1999元全额退回。",
        ZH_BYE,
        case=case,
    )
    solid_ctx = RuleContext(solid, rubric(), case)
    assert set(commitments.credited_resolutions(solid_ctx, commitments.commitments_in(solid_ctx))) == {
        "resend",
        "refund",
    }

    def problem_solving(t: Transcript) -> int:
        scores = grade_offline(t, rubric(), case, run_rules(t, rubric(), case))
        score = next(s for s in scores if s.id == "problem_solving").score
        assert score is not None
        return score

    assert problem_solving(shell) < problem_solving(solid)


def test_without_a_case_only_a_concrete_offer_counts_as_a_solution() -> None:
    shell = _zh(ZH_HELLO, "补发或者退款都可以为您安排，具体要看情况，工单号稍后会短信发给您。", ZH_BYE)
    solid = _zh(ZH_HELLO, "我马上给您加急补发一台，三天内送到。", ZH_BYE)
    assert [f.rule for f in run_rules(shell, rubric(), None) if f.rule == "vague_commitment"] == ["vague_commitment"]
    assert not [f for f in run_rules(solid, rubric(), None) if f.rule == "vague_commitment"]


# -- fair expectations at the ends of a conversation ------------------------------------------------


def _case(**changes: Any) -> Case:
    return Case.model_validate({**zh_case_data(), **changes})


@pytest.mark.parametrize(
    ("channel", "start", "expected"),
    [
        ("phone", "greeting", True),
        ("outbound_call", "greeting", True),
        ("chat", "greeting", False),
        ("phone", "mid_conversation", False),
    ],
)
def test_greeting_and_self_intro_are_expected_only_in_a_phone_style_opening(
    channel: str, start: str, expected: bool
) -> None:
    case = _case(channel=channel, start=start)
    said = _zh("请问订单号是多少？", ZH_BYE, case=case)
    rules = {f.rule for f in run_rules(said, rubric(), case)}
    assert ("missing_greeting" in rules) is expected
    assert ("missing_self_intro" in rules) is expected
    scores = {s.id: s for s in grade_offline(said, rubric(), case, run_rules(said, rubric(), case))}
    assert fairness.opening_expected(case).greeting is expected
    if not expected:
        # Nothing missing: the opening moves are excused, not absent — neither listed as missing nor
        # credited as done (a free credit lifted every real chat's phrasing above the mentor's level).
        phrasing = scores["standard_phrasing"]
        rationale = phrasing.rationale or ""
        for name in ("greeting", "self_intro"):
            assert signal_label(name, "zh-CN") not in rationale, rationale
        phone = said.model_copy(update={"case_id": None, "channel": "phone", "start": "greeting"})
        on_phone = {s.id: s for s in grade_offline(phone, rubric(), None, run_rules(phone, rubric(), None))}
        assert phrasing.score is not None and phrasing.score >= (on_phone["standard_phrasing"].score or 0)


def test_no_case_expects_the_phone_opening_unless_the_log_says_otherwise() -> None:
    assert fairness.opening_expected(None) == fairness.OpeningExpectation(greeting=True, self_intro=True)
    for declared, expected in (({}, True), ({"channel": "chat"}, False), ({"start": "mid_conversation"}, False)):
        log = _zh("请问订单号是多少？", ZH_BYE).model_copy(update=declared)
        rules = {f.rule for f in run_rules(log, rubric(), None)}
        assert ("missing_greeting" in rules) is expected, declared
        assert ("missing_self_intro" in rules) is expected, declared


@pytest.mark.parametrize(
    ("ending", "excused"),
    [
        ({"role": "customer", "text": "算了。", "state": {"mood": 9, "goal_met": False, "outcome": "gave_up"}}, True),
        (
            {"role": "customer", "text": "好，谢谢。", "state": {"mood": 2, "goal_met": True, "outcome": "resolved"}},
            True,
        ),
        ({"role": "system", "text": "用户 138****5678 已挂断"}, True),
        ({"role": "system", "text": "客服已结束会话"}, False),
        ({"role": "customer", "text": "嗯。"}, False),
    ],
)
def test_a_customer_who_hangs_up_does_not_cost_the_closing(ending: dict[str, Any], excused: bool) -> None:
    case = zh_case()
    said = _zh(ZH_HELLO, "我马上给您加急补发一台，三天内送到。", case=case, ending=ending)
    assert fairness.customer_ended_after(said, 2) is excused
    findings = run_rules(said, rubric(), case)
    assert ("missing_closing" in {f.rule for f in findings}) is not excused
    scores = {s.id: s for s in grade_offline(said, rubric(), case, findings)}
    # Credited, whatever the fitted weight of the closing signal (offline_weights.yaml).
    assert ("规范结束语 (+" in scores["standard_phrasing"].rationale) is excused


def test_english_platform_lines_name_the_customer() -> None:
    said = Transcript.model_validate(
        {
            "language": "en",
            "turns": [
                {"role": "customer", "text": "Where is it?"},
                {"role": "agent", "text": "Checking now."},
                {"role": "system", "text": "The customer left the chat."},
            ],
        }
    )
    assert fairness.customer_ended_after(said, 1)
    agent_left = said.model_copy(
        update={"turns": [*said.turns[:2], said.turns[2].model_copy(update={"text": "Agent closed the chat."})]}
    )
    assert not fairness.customer_ended_after(agent_left, 1)


# -- whole-clause quotes in findings ----------------------------------------------------------------


def test_finding_quotes_are_whole_clauses_never_cut_in_a_url() -> None:
    url = "https://help.example.com/rma,form?id=SKU"
    text = f"SKU 见 {url} 填一下。"
    said = transcript("zh-CN", [("c", "怎么办？"), ("a", ZH_HELLO), ("a", text), ("a", ZH_BYE)])
    (jargon,) = [f for f in run_rules(said, rubric(), None) if f.rule == "jargon"][:1]
    assert "SKU" in jargon.message
    assert jargon.quote is not None and jargon.quote in text and cites_enough(text, jargon.quote)
    assert jargon.quote != "SKU"
    if "https" in jargon.quote:
        assert url in jargon.quote


def test_a_reference_is_invented_unless_it_records_a_resolution_committed_to(
    shipped_content_dir: Path, act_labels: dict[str, set[DialogueAct]]
) -> None:
    from simulator.content import load_library

    case = load_library(shipped_content_dir).case("zh-authority-waive-penalty")
    recorded = "已提交,申请单号JM0518206,调令照片请在短信链接里上传。"
    bare = "您的工单号是88372615，您记一下。"
    act_labels.update({recorded: {DialogueAct.give_proof, DialogueAct.promise}, bare: {DialogueAct.give_proof}})
    for text, invented in ((recorded, False), (bare, True)):
        said = Transcript.model_validate(
            {
                "language": "zh-CN",
                "case_id": case.id,
                "turns": [{"role": "customer", "text": "违约金能不能免？"}, {"role": "agent", "text": text}],
            }
        )
        rules = {f.rule for f in run_rules(said, rubric(), case)}
        assert ("invented_detail" in rules) is invented, text


def test_an_offer_is_unacceptable_by_meaning_not_because_it_names_what_it_spares(
    shipped_content_dir: Path, act_labels: dict[str, set[DialogueAct]]
) -> None:
    from simulator.content import load_library

    case = load_library(shipped_content_dir).case("zh-logistics-wrong-lock-model")
    spares = "不用您先寄回：我今天16点前先给您发C3 Pro，江浙沪次日达，7月8号能到。"
    refused = "要不您就留着标准版，我给您退600块差价，也能用。"
    act_labels.update({spares: {DialogueAct.promise}, refused: {DialogueAct.offer_solution}})
    for text, unacceptable in ((spares, False), (refused, True)):
        said = Transcript.model_validate(
            {
                "language": "zh-CN",
                "case_id": case.id,
                "turns": [{"role": "customer", "text": "你就说现在怎么弄吧。"}, {"role": "agent", "text": text}],
            }
        )
        rules = {f.rule for f in run_rules(said, rubric(), case)}
        assert ("unacceptable_offer" in rules) is unacceptable, text
