"""``drill eval personas``: the archetype classifier, the fidelity checks and the command.

The checks run on small hand-made transcripts (a leaked order number, an invented amount, a
premature "resolved" must each be caught); the command runs on the test content of
``tests/offline_fixtures.py`` filtered to a few conversations, with the offline engine and with
the LLM engine against the local fake OpenAI-compatible server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main
from simulator.config import PROJECT_DIR
from simulator.content import load_library
from simulator.content_problems import ContentError
from simulator.evals.archetype_classifier import ArchetypeClassifier, persona_profile_text
from simulator.evals.fact_tokens import Grounding, chinese_number, find_tokens
from simulator.evals.persona_checks import (
    customer_lines,
    empathy_ok,
    fact_leaks,
    final_outcome,
    forbidden_ok,
    invented_facts,
    mood_events,
    outcome_problems,
)
from simulator.evals.personas_eval import case_parts, plan_pairings
from simulator.evals.trainee_scripts import TraineeScripts, load_trainee_scripts, ordered_facts, render_style
from simulator.models import DialogueAct, Language, Persona, RecommendedPhrase, Transcript
from tests.offline_fixtures import en_case, persona, rubric, write_content, zh_case


def transcript(language: str, *turns: tuple[str, str] | tuple[str, str, dict[str, Any]]) -> Transcript:
    """A transcript from (role, text[, state]) tuples; customer turns default to a calm open state."""
    rows = []
    for turn in turns:
        role, text = turn[0], turn[1]
        row: dict[str, Any] = {"role": role, "text": text}
        if role == "customer":
            row["state"] = turn[2] if len(turn) > 2 else {"mood": 5, "goal_met": False}  # type: ignore[misc]
        rows.append(row)
    return Transcript.model_validate({"language": language, "turns": rows})


# ---------------------------------------------------------------------------------------------
# Classifier


def test_classifier_names_the_closer_profile_from_unseen_lines() -> None:
    classifier = ArchetypeClassifier(
        {
            "impatient": "说重点。然后呢?行不行给句话?店里还一堆事,快点。",
            "emotional": "你知道吗,我真的好委屈,孩子发烧一整晚,我等了好几天了。",
        },
        "zh-CN",
    )
    assert classifier.predict(["快点说重点,我店里忙。"]).label == "impatient"
    assert classifier.predict("我真的很委屈,孩子一直哭,你知道吗?").label == "emotional"


def test_english_classifier_uses_words_and_ignores_shared_filler() -> None:
    classifier = ArchetypeClassifier(
        {"elderly": "Oh dear, honey, slow down, my grandson set it up.", "hostile": "Are you deaf? Useless crooks."},
        "en",
    )
    prediction = classifier.predict("Honey, could you slow down a little, dear?")
    assert prediction.label == "elderly"
    assert prediction.scores["elderly"] > prediction.scores["hostile"]


def test_profile_text_is_the_persona_card_not_the_engine_script_nor_the_label() -> None:
    data_persona = persona("impatient", label={"zh": "赶时间的急性子", "en": "In a hurry"})
    zh = persona_profile_text(data_persona, "zh-CN")
    assert "快点。" in zh  # a sample line
    assert "赶时间的急性子" not in zh  # the display label is not a way of talking
    assert "扫地机器人" not in zh and "{fact_value}" not in zh  # no offline_script templates
    en = persona_profile_text(data_persona, "en")
    assert "Hurry up." in en and "In a hurry" not in en


def test_shipped_persona_sample_lines_name_their_own_archetype() -> None:
    files = sorted((PROJECT_DIR / "personas").glob("*.yaml"))
    if not files:
        pytest.skip("no shipped personas")
    personas = [Persona.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in files]
    classifier = ArchetypeClassifier.from_personas(personas, "zh-CN")
    for shipped in personas:
        lines = shipped.speech.sample_lines.get("zh-CN")
        assert classifier.predict(lines).label == shipped.archetype, shipped.id


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_shipped_offline_lines_sound_like_their_own_persona_card(language: Language) -> None:
    """All offline lines of a persona, pooled, are named as its archetype by the card-trained classifier.

    Guards identity: lines copied from another persona, or generic lines in every persona, fail it.
    """
    files = sorted((PROJECT_DIR / "personas").glob("*.yaml"))
    if not files:
        pytest.skip("no shipped personas")
    personas = [Persona.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in files]
    classifier = ArchetypeClassifier.from_personas(personas, language)
    for shipped in personas:
        script = shipped.offline_script.get(language)
        if script is None:
            continue
        lines: list[str] = []
        for category, value in script:
            lines += [line for _, prefixes in value for line in prefixes] if category == "opening_prefix" else value
        lines = [re.sub(r"\{\w+\}", " ", line) for line in lines]
        assert classifier.predict(lines).label == shipped.archetype, shipped.id


# ---------------------------------------------------------------------------------------------
# Fact tokens


def test_fact_tokens_find_references_amounts_and_dates() -> None:
    tokens = {(t.kind, t.text) for t in find_tokens("订单号2026041812345678,付了5999元,28号搬家,赔我五十块,下午3点半")}
    assert ("reference", "2026041812345678") in tokens
    assert ("amount", "5999元") in tokens and ("amount", "五十块") in tokens
    assert ("date", "28号") in tokens and ("date", "3点半") in tokens
    english = {(t.kind, t.text) for t in find_tokens("It was $412.80 on the 3rd of February, ref SR-7719034, by 4pm")}
    assert {("amount", "$412.80"), ("date", "3rd of February"), ("reference", "SR-7719034"), ("date", "4pm")} <= english
    assert not find_tokens("我们一块去,三号楼,十分钟")  # "together", a building, a duration: not facts


def test_grounding_matches_numbers_across_scripts_and_allows_public_hotlines() -> None:
    assert chinese_number("一千二百") == 1200 and chinese_number("二十八") == 28 and chinese_number("abc") is None
    grounding = Grounding(["实付5999元,补偿50元"])
    assert grounding.grounded(find_tokens("五十块")[0])
    assert not grounding.grounded(find_tokens("六十块")[0])
    assert grounding.grounded(find_tokens("我去12315投诉")[0])


# ---------------------------------------------------------------------------------------------
# Fidelity checks


def test_order_number_revealed_before_it_was_asked_is_caught() -> None:
    case = zh_case()
    leaked = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "您好,非常抱歉让您久等了。"),
        ("customer", "订单号2026110312345678,你们赶紧查。"),
    )
    leaks = fact_leaks(leaked, case, rubric())
    assert [(leak.fact_key, leak.turn) for leak in leaks] == [("order_no", 2)]


def test_fact_given_after_the_agent_asked_is_not_a_leak() -> None:
    case = zh_case()
    asked = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "麻烦您提供一下订单号。"),
        ("customer", "订单号是2026110312345678。"),
        ("agent", "好的,请问您是哪天下的单?"),
        ("customer", "11月3日下的单。"),
    )
    assert fact_leaks(asked, case, rubric()) == []


def test_invented_amount_and_reference_are_caught_but_case_and_agent_facts_are_not() -> None:
    case = zh_case()
    conversation = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "已经给您登记了工单,工单号GD20260412001。"),
        ("customer", "工单号GD20260412001我记下了。我付了1999元,你们还要我补888元运费,单号YT99887766也没用。"),
    )
    invented = invented_facts(conversation, case)
    assert {(item.kind, item.token) for item in invented} == {("amount", "888元"), ("reference", "YT99887766")}
    assert all(item.turn == 2 for item in invented)


def test_invented_date_in_english_is_caught() -> None:
    case = en_case()
    conversation = transcript(
        "en",
        ("customer", case.opening_line),
        ("agent", "Could you tell me the charge date?"),
        ("customer", "It was 2 March 2026. Oh, and a second charge on the 14th of April."),
    )
    assert [item.token for item in invented_facts(conversation, case)] == ["14th of April"]


def test_premature_resolution_is_caught() -> None:
    case = zh_case()
    premature = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "您好,我是客服小李。"),
        ("customer", "好,那就这样吧,再见。", {"mood": 3, "goal_met": True, "outcome": "resolved"}),
    )
    problems = outcome_problems(premature, case, rubric())
    assert [problem.problem for problem in problems] == ["premature_resolved"]
    assert final_outcome(premature) == "resolved"


def test_an_offer_the_act_classifier_missed_counts_as_offered_but_a_bare_value_does_not(
    act_labels: dict[str, set[DialogueAct]],
) -> None:
    # act_labels: unlisted sentences perform no act, as when the classifier misses an offer.
    case = zh_case()
    resolved = {"mood": 3, "goal_met": True, "outcome": "resolved"}
    offered = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "我这边马上给您重新寄一台新的，今天就发出，三天之内送到您家。"),
        ("customer", "好，就这样，再见。", resolved),
    )
    assert outcome_problems(offered, case, rubric()) == []
    bare = transcript(
        "zh-CN", ("customer", case.opening_line), ("agent", "1999元。"), ("customer", "好，再见。", resolved)
    )
    assert [problem.problem for problem in outcome_problems(bare, case, rubric())] == ["premature_resolved"]


def test_resolution_after_an_acceptable_offer_is_fine_and_state_contradictions_are_caught() -> None:
    case = zh_case()
    fine = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "我这边马上为您补发一台,三天内送到。"),
        ("customer", "行,就这么办。", {"mood": 3, "goal_met": True}),
        ("agent", "感谢您的来电,再见。"),
        ("customer", "好,再见。", {"mood": 2, "goal_met": True, "outcome": "resolved"}),
    )
    assert outcome_problems(fine, case, rubric()) == []
    contradictory = transcript(
        "zh-CN",
        ("customer", case.opening_line),
        ("agent", "我这边马上为您补发一台。"),
        ("customer", "算了,我不要了。", {"mood": 9, "goal_met": True, "outcome": "gave_up"}),
    )
    assert [p.problem for p in outcome_problems(contradictory, case, rubric())] == ["inconsistent_state"]


def test_mood_events_after_empathy_and_forbidden_phrase() -> None:
    case = zh_case()
    conversation = transcript(
        "zh-CN",
        ("customer", case.opening_line, {"mood": 6, "goal_met": False}),
        ("agent", "非常理解您的心情,换做是我也会着急。"),
        ("customer", "嗯,谢谢你理解。", {"mood": 4, "goal_met": False}),
        ("agent", "这是快递的问题,跟我们没关系。"),
        ("customer", "你这是什么态度?", {"mood": 4, "goal_met": False}),
    )
    events = mood_events(conversation, case, rubric())
    assert [(event.kind, event.delta) for event in events] == [("empathy", -2), ("forbidden", 0)]
    assert empathy_ok(events[0]) and not forbidden_ok(events[1])


def test_customer_lines_drop_the_case_text_the_customer_repeats() -> None:
    case = zh_case()
    conversation = transcript(
        "zh-CN",
        ("customer", "喂,你好。" + case.opening_line),
        ("agent", "请问订单号?"),
        ("customer", "订单号是2026110312345678。"),
    )
    assert customer_lines(conversation, case) == ["喂,你好。", "订单号是 。"]


# ---------------------------------------------------------------------------------------------
# Trainee scripts and planning


def test_shipped_trainee_scripts_render_for_every_case_with_facts_and_offers() -> None:
    scripts = load_trainee_scripts()
    assert set(scripts) == {"zh-CN", "en"}
    for case in (zh_case(), en_case()):
        styles = {style.id for style in scripts[case.language].styles}
        assert {"good", "cold_policy", "long_winded", "forbidden", "bare_promise", "role_probe"} <= styles
        good = render_style(scripts[case.language].style("good"), case)
        assert [line.fact_key for line in good if line.fact_key] == [f.key for f in ordered_facts(case)][:3]
        assert all("{" not in line.text for line in good)
        assert len(good) <= 10


def test_script_slots_are_filled_and_unacceptable_turns_skipped_when_the_case_has_none() -> None:
    scripts = TraineeScripts.model_validate(
        {
            "language": "zh-CN",
            "styles": [
                {
                    "id": "mini",
                    "family": "lexicon",
                    "quality": "poor",
                    "description": "测试",
                    "turns": [
                        {"say": "请告诉我{fact_label}。", "each_fact": 2},
                        {"say": "只能{unacceptable}。"},
                        {"say": "可以为您{resolution}:{resolution_text}。{forbidden}"},
                        {"say": "{own_offer}"},
                        {"say": "{own_offer_2}"},
                    ],
                }
            ],
        }
    )
    base = zh_case()
    solutions = ["我这边马上给您重新寄一台，今天就发。", "或者您不想等了，1999元全退给您。"]
    phrasing = [*base.recommended_phrasing, *(RecommendedPhrase(stage="solution", text=t) for t in solutions)]
    case = base.model_copy(update={"recommended_phrasing": phrasing})
    lines = [line.text for line in render_style(scripts.style("mini"), case)]
    offer = f"可以为您补发:{case.acceptable_resolutions[0].description}。{case.forbidden_phrasing[0]}"
    assert lines == ["请告诉我订单号。", "请告诉我下单日期。", "只能优惠券。", offer, *solutions]
    without = case.model_copy(update={"customer_refuses": []})
    assert len(render_style(scripts.style("mini"), without)) == len(lines) - 1
    single = case.model_copy(update={"recommended_phrasing": phrasing[:-1]})
    assert len(render_style(scripts.style("mini"), single)) == len(lines) - 1  # no second solution line
    bare = [line.text for line in render_style(scripts.style("mini"), base)]
    assert bare[-1] == case.acceptable_resolutions[0].description.rstrip("。")  # no solution line: the description


def test_bad_script_file_reports_path_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "zh-CN.yaml").write_text(
        "language: zh-CN\nstyles:\n  - id: bad\n    family: lexicon\n    quality: poor\n    description: x\n"
        "    turns:\n"
        "      - say: 你好{customer_name}\n      - say: 请问{fact_label}\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as raised:
        load_trainee_scripts(tmp_path)
    messages = [str(problem) for problem in raised.value.problems]
    assert any("zh-CN.yaml:8:" in m and "{customer_name}" in m for m in messages)
    assert any("zh-CN.yaml:9:" in m and "each_fact" in m for m in messages)
    assert any("colour" in m for m in messages)


def test_case_parts_alternate_within_each_language() -> None:
    parts = case_parts([zh_case(), en_case(), zh_case().model_copy(update={"id": "zh-test-z"})])
    assert parts == {"zh-test-late-parcel": "dev", "zh-test-z": "test", "en-test-double-charge": "dev"}


def test_plan_pairings_filters_and_rejects_unknown_ids(tmp_path: Path) -> None:
    library = load_library(write_content(tmp_path / "content"))
    scripts = load_trainee_scripts()
    everything = plan_pairings(library, scripts)
    assert len(everything) == 4 * 2 * len(scripts["zh-CN"].styles)
    chosen = plan_pairings(library, scripts, personas=["test_emotional"], languages=["en"], styles=["good"])
    assert [(p.persona.id, p.case.id, p.style.id) for p in chosen] == [
        ("test_emotional", "en-test-double-charge", "good")
    ]
    with pytest.raises(LookupError, match="valid ids"):
        plan_pairings(library, scripts, personas=["nobody"])
    with pytest.raises(LookupError, match="unknown style"):
        plan_pairings(library, scripts, styles=["telepath"])


# ---------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def content_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_content(tmp_path / "content")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(root))
    return root


def test_command_on_a_subset_prints_and_writes_the_report(content_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "personas",
            "--engine",
            "offline",
            "--case",
            "zh-test-late-parcel",
            "--style",
            "good",
            "--style",
            "forbidden",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["engine"] == "offline" and report["conversations"] == 8
    assert report["identification"]["n"] == 8
    assert set(report["identification"]["confusion"]["labels"]) <= {"rational", "emotional", "impatient", "skeptical"}
    assert report["fact_fidelity"]["invented_facts"] == 0
    assert report["outcomes"]["premature"] == 0
    assert (
        report["outcomes"]["by_style"]["good"]["resolution_rate"]
        > report["outcomes"]["by_style"]["forbidden"]["resolution_rate"]
    )
    assert report["mood"]["overall"]["forbidden"]["n"] >= 4
    assert (out / "report.json").is_file() and (out / "archetype_confusion.png").stat().st_size > 0
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "archetype_confusion.png" in markdown and "Fact fidelity" in markdown


def test_the_ci_subset_reports_paraphrase_and_gaming_styles_with_their_targets(
    content_env: Path, tmp_path: Path
) -> None:
    """The `--limit` subset CI runs: per style resolution, turns to resolution and mood trajectory."""
    styles = ["paraphrase_phone", "keyword_salad", "polite_shell", "one_word_offers"]
    args = ["eval", "personas", "--engine", "offline", "--language", "zh-CN", "--limit", "8", "--json"]
    result = CliRunner().invoke(main, [*args, *(f"--style={s}" for s in styles), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = report["style_outcomes"]
    assert set(rows) == set(styles)
    assert rows["paraphrase_phone"]["family"] == "paraphrase" and rows["keyword_salad"]["family"] == "gaming"
    for style in styles[1:]:
        assert rows[style]["resolution_rate"] == 0.0  # gaming never gets a complete offer accepted
    assert all(len(row["mood_trajectory"]) >= 2 for row in rows.values())
    assert report["early_resolutions"]["without_complete_offer"] == 0
    assert {"paraphrase_good_resolve_at_least_85", "gaming_resolve_at_most_10"} <= set(report["targets"])
    assert "Per trainee style" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


def test_command_rejects_unknown_ids_and_llm_without_endpoint(content_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["eval", "personas", "--persona", "nobody", "--out", str(tmp_path)])
    assert unknown.exit_code == 2 and "valid ids" in unknown.output
    llm = runner.invoke(main, ["eval", "personas", "--engine", "llm", "--limit", "1", "--out", str(tmp_path)])
    assert llm.exit_code == 2 and "DRILL_LLM_BASE_URL" in llm.output


def test_llm_engine_inventing_facts_is_reported_and_cannot_resolve_early(
    content_env: Path, tmp_path: Path, fake_llm: Any
) -> None:
    from simulator.testing.fake_openai_script import ScriptedReply

    fake_llm.default_reply = ScriptedReply(
        content="My order is ZX-99812 and I paid $120 on 9 May. Great, all sorted!\n###RESOLVED###\n"
        "<<state mood=2 goal_met=true>>"
    )
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "personas",
            "--engine",
            "llm",
            "--case",
            "en-test-double-charge",
            "--persona",
            "test_rational",
            "--style",
            "good",
            "--max-turns",
            "2",
            "--json",
            "--out",
            str(tmp_path / "llm"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["engine"] == "llm" and report["errors"] == 0
    kinds = {example["token"] for example in report["fact_fidelity"]["invented_examples"]}
    assert {"ZX-99812", "$120", "9 May"} <= kinds
    # The model claims the goal is met and ends at once: the state kept by code does not let it.
    assert report["outcomes"]["premature"] == 0
    corrected = report["model_warnings"]
    assert corrected["warnings"] >= 2 and "removed a state line" in corrected["by_kind"]
    assert any("ignored" in example["warning"] for example in corrected["examples"])
    assert "## Model replies corrected" in (tmp_path / "llm" / "report.md").read_text(encoding="utf-8")
    assert fake_llm.requests, "the LLM engine must have called the server"
