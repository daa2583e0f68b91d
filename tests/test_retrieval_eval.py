"""Retrieval eval: pure metrics, the labelled set, and the `drill eval retrieval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.cli.eval_command import eval_group
from simulator.config import PROJECT_DIR
from simulator.content import Library, load_library
from simulator.content_problems import ContentError
from simulator.evals.retrieval import (
    DEFAULT_EVAL_FILE,
    RetrievalQuery,
    evaluate_retrieval,
    format_table,
    load_retrieval_set,
    mean,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarise,
    unknown_case_ids,
)
from simulator.models import Case

# ---------------------------------------------------------------------------------------------
# Metrics


@pytest.mark.parametrize(
    ("ranked", "relevant", "expected"),
    [
        (["a", "b", "c"], ["a"], 1.0),
        (["a", "b", "c"], ["c"], 1 / 3),
        (["a", "b", "c"], ["b", "c"], 0.5),
        (["a", "b"], ["z"], 0.0),
        ([], ["a"], 0.0),
        (["a"], [], 0.0),
    ],
)
def test_reciprocal_rank(ranked: list[str], relevant: list[str], expected: float) -> None:
    assert reciprocal_rank(ranked, relevant) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], ["c"], 3, 1.0),
        (["a", "b", "c"], ["c"], 2, 0.0),
        (["a", "b", "c"], ["a", "c", "z"], 3, 2 / 3),
        (["a", "b"], ["a", "b"], 1, 0.5),
        ([], ["a"], 3, 0.0),
        (["a"], [], 3, 0.0),
        (["a"], ["a"], 0, 0.0),
    ],
)
def test_recall_at_k(ranked: list[str], relevant: list[str], k: int, expected: float) -> None:
    assert recall_at_k(ranked, relevant, k) == pytest.approx(expected)


def test_aggregates_handle_empty_input() -> None:
    assert mean([]) is None
    assert mean([1.0, 0.0]) == 0.5
    assert percentile([], 0.95) is None
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    empty = summarise([])
    assert empty == {"n": 0, "mrr": None, "recall@1": None, "recall@3": None, "recall@5": None}
    both = summarise([(["a", "b"], ["b"]), (["c"], ["z"])], ks=(1, 2))
    assert both == {"n": 2, "mrr": 0.25, "recall@1": 0.0, "recall@2": 0.5}


# ---------------------------------------------------------------------------------------------
# The shipped labelled set


def test_shipped_eval_set_validates_and_names_only_existing_cases(shipped: Library) -> None:
    labelled = load_retrieval_set(DEFAULT_EVAL_FILE)
    languages = [item.language for item in labelled.queries]
    assert languages.count("zh-CN") >= 40
    assert languages.count("en") >= 10
    library = shipped
    assert unknown_case_ids(labelled.queries, library) == []
    queries = [item.query for item in labelled.queries]
    assert len(set(queries)) == len(queries), "duplicate queries"
    titles = {case.title for case in library.cases.values()}
    assert not titles.intersection(queries), "a query copies a case title"


def test_eval_set_errors_point_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "retrieval.yaml"
    path.write_text(
        "queries:\n  - query: hello\n    language: en\n    relevant: [en-a]\n    score: 3\n"
        "  - query: hi\n    language: fr\n    relevant: [en-a]\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_retrieval_set(path)
    messages = [str(problem) for problem in caught.value.problems]
    assert any(":5:5: unknown key 'score'" in message for message in messages), messages
    assert any(":7:15: " in message and "language" in message for message in messages), messages


def test_unknown_and_wrong_language_labels_are_reported(shipped: Library) -> None:
    library = shipped
    english_id = next(cid for cid, case in library.cases.items() if case.language == "en")
    problems = unknown_case_ids(
        [
            RetrievalQuery(query="x", language="en", relevant=["en-no-such-case"]),
            RetrievalQuery(query="y", language="zh-CN", relevant=[english_id]),
        ],
        library,
    )
    assert len(problems) == 2
    assert "unknown case id 'en-no-such-case'" in problems[0]
    assert f"case '{english_id}' is en, query is zh-CN" in problems[1]


# ---------------------------------------------------------------------------------------------
# Running it


@pytest.fixture(scope="module")
def shipped() -> Library:
    return load_library(PROJECT_DIR)


def _tiny_library(shipped: Library) -> Library:
    zh = sorted(cid for cid in shipped.cases if cid.startswith("zh-"))[:2]
    wanted = zh + sorted(cid for cid in shipped.cases if cid.startswith("en-"))[:2]
    cases: dict[str, Case] = {cid: shipped.cases[cid] for cid in wanted}
    return Library(cases=cases, rubric=shipped.rubric)


def test_evaluate_retrieval_reports_metrics_per_language_and_timing(shipped: Library) -> None:
    library = _tiny_library(shipped)
    queries = [
        RetrievalQuery(query=case.opening_line, language=case.language, relevant=[case.id])
        for case in library.cases.values()
    ]
    result = evaluate_retrieval(library, queries, ["ngram"], recipes=("story", "brief"))
    assert result["cases"] == 4
    assert set(result["queries"]) == {case.language for case in library.cases.values()}
    assert [(run["embedder"], run["recipe"]) for run in result["runs"]] == [("ngram", "story"), ("ngram", "brief")]
    story = result["runs"][0]
    # A case's own opening line is in its story document, so the n-gram baseline finds it.
    assert story["metrics"]["all"]["mrr"] == 1.0 and story["metrics"]["all"]["n"] == 4
    assert story["build_seconds"] >= 0 and story["query_ms_mean"] > 0
    assert story["misses"] == []
    table = format_table(result)
    assert "ngram" in table and "MRR all" in table


def test_eval_command_group_is_importable_and_runs(tmp_path: Path, shipped: Library) -> None:
    assert "retrieval" in eval_group.commands
    library = shipped
    case = library.cases[sorted(cid for cid in library.cases if cid.startswith("en-"))[0]]
    path = tmp_path / "tiny.yaml"
    path.write_text(
        json.dumps({"queries": [{"query": case.opening_line, "language": "en", "relevant": [case.id]}]}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["eval", "retrieval", "--embedder", "ngram", "--file", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["queries"] == {"en": 1}
    assert data["runs"][0]["metrics"]["en"]["recall@5"] == 1.0

    bad = tmp_path / "bad.yaml"
    bad.write_text("queries:\n  - query: hi\n    language: en\n    relevant: [en-nope]\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["eval", "retrieval", "--embedder", "ngram", "--file", str(bad)])
    assert refused.exit_code == 2
    assert "unknown case id 'en-nope'" in refused.output
