"""Retrieval that knows when nothing fits: the margin rule, its measured threshold, and coaching
that never puts another case's facts into the trainee's mouth."""

from __future__ import annotations

from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from simulator.case_fit import Fit, FitThreshold, judge_fit, load_thresholds, margin, threshold_for
from simulator.case_index_results import Hit, Retrieval
from simulator.casebank_index import CaseIndex
from simulator.config import PROJECT_DIR, Settings, load_settings
from simulator.content import load_library
from simulator.embedders import DEFAULT_OFFLINE_EMBEDDER, make_embedder
from simulator.evals.retrieval import choose_threshold, evaluate_retrieval, load_retrieval_set
from simulator.grading import grade
from simulator.grading.judge_reply import read_criterion
from simulator.models import Transcript
from tests.grading_fixtures import EN_AGENTS, en_case, library, transcript

NO_CLOSE_EXAMPLES = [
    ("zh-CN", "最近有什么好看的电视剧推荐吗？想看悬疑类的，最好是已经完结的"),
    ("en", "My software licence key says it has already been activated, and now I can't move it to my new laptop."),
]


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", content_dir=tmp_path)


def _threshold(window: int, value: float) -> FitThreshold:
    return FitThreshold(
        window=window,
        margin=value,
        chosen_on="dev",
        eval_file_sha256="x",
        cases=1,
        close_queries=1,
        no_close_queries=1,
        close_kept=1,
        no_close_caught=1,
        measured="2026-12-01",
    )


def test_margin_is_the_top_score_over_the_next_ones() -> None:
    assert margin([0.9, 0.5, 0.3], 2) == pytest.approx(0.5)
    assert margin([0.9, 0.5, 0.3], 5) == pytest.approx(0.5)  # fewer than the window: what there is
    assert margin([0.9], 3) is None and margin([], 1) is None


def test_judge_fit_states() -> None:
    rule = _threshold(2, 0.1)
    assert judge_fit([0.80, 0.60, 0.60], rule) == Fit("close", pytest.approx(0.2), 0.1)
    assert judge_fit([0.76, 0.75, 0.74], rule).no_close_case
    assert judge_fit([0.76, 0.75], None).state == "unmeasured"
    assert judge_fit([0.76], rule).state == "undecided"


def test_choose_threshold_balances_and_prefers_catching_no_close() -> None:
    chosen = choose_threshold([0.05, 0.04, 0.03], [0.01, 0.02])
    assert chosen is not None and 0.02 < chosen["threshold"] < 0.03
    assert chosen["close_kept"] == 1 and chosen["no_close_caught"] == 1
    # Overlap: a tie in balanced accuracy goes to catching the no-close query.
    overlap = choose_threshold([0.05, 0.02], [0.03])
    assert overlap is not None and overlap["no_close_caught"] == 1
    assert choose_threshold([], [0.1]) is None


def test_shipped_thresholds_cover_the_offline_embedders_with_provenance() -> None:
    shipped = load_thresholds()
    for name in (DEFAULT_OFFLINE_EMBEDDER, "ngram"):
        entry = shipped.thresholds[name]
        assert entry.chosen_on == "dev" and entry.no_close_queries >= 20 and entry.close_queries >= 100
        assert entry.no_close_caught >= 0.9 and entry.close_kept >= 0.6


def test_the_eval_set_has_no_close_queries_in_both_languages() -> None:
    queries = load_retrieval_set().queries
    for language in ("zh-CN", "en"):
        assert sum(1 for q in queries if q.language == language and not q.relevant) >= 10
    assert {q.split for q in queries} == {"dev"}


@pytest.fixture(scope="module")
def ngram_index() -> CaseIndex:
    current = load_settings()
    index = CaseIndex(
        current,
        make_embedder(current, "ngram"),
        client=chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False)),
    )
    index.rebuild(load_library(PROJECT_DIR))
    return index


@pytest.mark.parametrize(("language", "query"), NO_CLOSE_EXAMPLES)
def test_off_topic_queries_have_no_close_case(ngram_index: CaseIndex, language: str, query: str) -> None:
    found = ngram_index.fitting(query, k=3, language=language)
    assert found.no_close_case and found.hits == () and found.nearest is not None


def test_a_real_situation_has_a_close_case(ngram_index: CaseIndex) -> None:
    found = ngram_index.fitting("冰箱买了半个月还没送到，我后天就搬家了", k=3, language="zh-CN")
    assert not found.no_close_case and found.hits[0].case_id == "zh-logistics-delayed-fridge"


def test_the_eval_reports_the_fit_rule(ngram_index: CaseIndex) -> None:
    shipped = load_library(PROJECT_DIR)
    items = [q for q in load_retrieval_set().queries if q.language == "en"]
    result = evaluate_retrieval(shipped, items, ["ngram"])
    fit = result["runs"][0]["fit"]
    assert fit["chosen"]["no_close_queries"] == sum(1 for q in items if not q.relevant)
    assert set(fit["windows"]) == {1, 3, 5, 10}
    assert result["runs"][0]["metrics"]["all"]["n"] == sum(1 for q in items if q.relevant)


# -- the grader with no close case ------------------------------------------------------------------


class _NothingFits:
    def __init__(self, settings: object, **kwargs: object) -> None:
        pass

    def fitting_transcript(self, transcript: Transcript, k: int = 3) -> Retrieval:
        return Retrieval(hits=(), nearest=Hit(en_case().id, 0.77), fit=Fit("no_close_case", 0.004, 0.02))


def test_no_close_case_reaches_the_report_and_coaching_uses_no_case_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.casebank_index as index_module

    monkeypatch.setattr(index_module, "CaseIndex", _NothingFits)
    report = grade(
        transcript("en", EN_AGENTS["poor"]), library=library(), engine="offline", settings=settings(tmp_path)
    )
    assert report.no_close_case and report.references == []
    assert any(f.rule == "no_close_case" and f.severity == "info" for f in report.findings)
    case = en_case()
    case_facts = [fact.value for fact in case.hidden_facts] + [p.text for p in case.recommended_phrasing]
    suggestions = [c.suggestion for c in report.criteria if c.suggestion]
    assert suggestions and all(c.suggestion_case_id is None for c in report.criteria)
    for suggestion in suggestions:
        assert "top level of" in suggestion
        assert not any(fact in suggestion for fact in case_facts)


def test_the_judge_marks_a_suggestion_from_another_case() -> None:
    t = Transcript.model_validate(
        {
            "language": "zh-CN",
            "turns": [
                {"role": "customer", "text": "我的行车记录仪熄屏后还录不录？"},
                {"role": "agent", "text": "您好，我帮您查一下这款记录仪的说明。"},
            ],
        }
    )
    entry = {
        "evidence": [{"turn": 1, "quote": "我帮您查一下这款记录仪的说明"}],
        "rationale": "ok",
        "score": 3,
        "better_phrasing": "冰箱已经排进27号的送装单了。",
        "source_case_id": "zh-logistics-delayed-fridge",
    }
    reading = read_criterion("problem_solving", entry, t, known_case_ids=["zh-logistics-delayed-fridge"])
    assert reading.score is not None
    assert reading.score.suggestion.startswith("(参考另一个案例 zh-logistics-delayed-fridge")
    own = t.model_copy(update={"case_id": "zh-logistics-delayed-fridge"})
    reading = read_criterion("problem_solving", entry, own, known_case_ids=["zh-logistics-delayed-fridge"])
    assert reading.score is not None and reading.score.suggestion == "冰箱已经排进27号的送装单了。"


def test_an_unmeasured_embedder_never_claims_no_close_case() -> None:
    assert threshold_for("api-some-model") is None
