"""The Chroma case index: built from a temporary case set, kept in sync, filtered, offline."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.types import DefaultEmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from click.testing import CliRunner

from simulator.case_documents import DOCUMENT_RECIPES, case_document, transcript_query
from simulator.casebank_index import CaseIndex
from simulator.chroma_client import collection_name
from simulator.cli import main
from simulator.config import PROJECT_DIR, Settings, load_settings
from simulator.content import Library, validate_files
from simulator.embedders import (
    DrillEmbeddingFunction,
    E5Embedder,
    EmbedderError,
    NgramHashEmbedder,
    make_embedder,
)
from simulator.models import Transcript
from tests.fake_llm import FakeLLM, unused_port

CASES = {
    "zh-logistics-lost-parcel": dict(
        language="zh-CN",
        category="logistics",
        title="快递显示签收但没收到",
        situation="物流显示包裹已经签收，可是你根本没有收到快递，门口和快递柜都找过了。",
        goal="找回包裹或者重新发货。",
        tags=["签收", "快递"],
    ),
    "zh-quality-broken-kettle": dict(
        language="zh-CN",
        category="quality",
        title="电水壶用了三天就漏水",
        situation="新买的电水壶用了三天，底部开始漏水，插电的时候还跳闸，你很担心安全。",
        goal="退货退款或者换一个新的。",
        tags=["质量", "家电"],
    ),
    "en-logistics-late-parcel": dict(
        language="en",
        category="logistics",
        title="Parcel stuck in the depot for a week",
        situation="Your parcel has been stuck at the courier depot for a week and tracking has not moved.",
        goal="Get the parcel delivered before the weekend.",
        tags=["courier", "tracking"],
    ),
    "en-fees-surprise-charge": dict(
        language="en",
        category="fees",
        title="An unexpected monthly service fee",
        situation="Your bank statement shows a new monthly service fee of 12 dollars that nobody told you about.",
        goal="Have the fee refunded and removed.",
        tags=["bank", "fee"],
    ),
}


def case_yaml(
    case_id: str, language: str, category: str, title: str, situation: str, goal: str, tags: list[str]
) -> str:
    """A minimal valid case file."""
    return f"""id: {case_id}
title: {title}
category: {category}
industry: e-commerce
channel: chat
start: greeting
customer: {{name: Sam Lee, gender: unspecified, age_range: 30-39, relation: account_holder, address_as: Sam}}
language: {language}
difficulty: easy
brief: {title}
situation: {situation}
opening_line: {title}
product: item
hidden_facts:
  - key: order
    kind: order_number
    label: order
    value: "123"
customer_wants: {goal}
acceptable_resolutions:
  - id: fix
    description: {goal}
    keywords: [fix]
policy:
  may_offer: [a fix]
  must_not_promise: [money]
agent_systems: {{can_do: [a fix], can_look_up: [the order], cannot_do: [refunds]}}
expected_steps: [listen, solve]
recommended_phrasing:
  - stage: opening
    text: {title}
  - stage: closing
    text: {goal}
forbidden_phrasing: [not my problem]
tags: [{", ".join(tags)}]
"""


class CountingNgram(NgramHashEmbedder):
    """The n-gram embedder, counting how many documents it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return super().embed_documents(texts)


@pytest.fixture
def casebank(tmp_path: Path) -> Path:
    folder = tmp_path / "content" / "casebank"
    folder.mkdir(parents=True)
    for case_id, fields in CASES.items():
        (folder / f"{case_id}.yaml").write_text(case_yaml(case_id, **fields), encoding="utf-8")
    return folder


def load(folder: Path) -> Library:
    library, problems = validate_files(sorted(folder.glob("*.yaml")))
    assert problems == []
    return library


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_first_sync_embeds_every_case_and_reopening_embeds_none(casebank: Path, settings: Settings) -> None:
    library = load(casebank)
    embedder = CountingNgram()
    report = CaseIndex(settings, embedder).sync(library)
    assert sorted(report.added) == sorted(CASES)
    assert len(embedder.embedded) == len(CASES)

    again = CountingNgram()
    reopened = CaseIndex(settings, again)
    second = reopened.sync(library)
    assert second.added == second.updated == second.removed == ()
    assert sorted(second.unchanged) == sorted(CASES)
    assert again.embedded == []
    assert reopened.count() == len(CASES)
    assert settings.chroma_dir.is_dir()


def test_editing_a_case_reembeds_only_that_case(casebank: Path, settings: Settings) -> None:
    embedder = CountingNgram()
    index = CaseIndex(settings, embedder)
    index.sync(load(casebank))
    embedder.embedded.clear()

    path = casebank / "zh-quality-broken-kettle.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("跳闸", "冒烟还有焦糊味"), encoding="utf-8")
    report = index.sync(load(casebank))

    assert report.updated == ("zh-quality-broken-kettle",)
    assert report.added == report.removed == ()
    assert len(report.unchanged) == len(CASES) - 1
    assert len(embedder.embedded) == 1 and "焦糊味" in embedder.embedded[0]
    assert index.search("水壶冒烟有焦糊味", k=1, language="zh-CN")[0].case_id == "zh-quality-broken-kettle"


def test_deleted_case_is_removed(casebank: Path, settings: Settings) -> None:
    index = CaseIndex(settings, CountingNgram())
    index.sync(load(casebank))
    (casebank / "en-fees-surprise-charge.yaml").unlink()

    report = index.sync(load(casebank))

    assert report.removed == ("en-fees-surprise-charge",)
    assert index.count() == len(CASES) - 1
    hits = index.search("a monthly service fee on my bank statement", k=5)
    assert "en-fees-surprise-charge" not in {hit.case_id for hit in hits}


def test_search_builds_on_first_use_and_ranks_the_matching_case_first(casebank: Path, settings: Settings) -> None:
    index = CaseIndex(settings, CountingNgram(), library=load(casebank))
    hits = index.search("我的快递明明没收到，怎么显示签收了", k=2)
    assert hits[0].case_id == "zh-logistics-lost-parcel"
    assert hits[0].score > hits[1].score
    assert -1.0 <= hits[1].score <= 1.0


def test_search_filters_by_language_category_and_excluded_ids(casebank: Path, settings: Settings) -> None:
    index = CaseIndex(settings, CountingNgram(), library=load(casebank))
    english = index.search("parcel tracking courier", k=10, language="en")
    assert {hit.case_id for hit in english} == {"en-logistics-late-parcel", "en-fees-surprise-charge"}
    logistics = index.search("parcel", k=10, category="logistics")
    assert {hit.case_id for hit in logistics} == {"en-logistics-late-parcel", "zh-logistics-lost-parcel"}
    narrowed = index.search(
        "parcel", k=10, language="en", category="logistics", exclude_ids=["en-logistics-late-parcel"]
    )
    assert narrowed == []
    excluded = index.search("parcel", k=10, exclude_ids=["en-logistics-late-parcel", "zh-logistics-lost-parcel"])
    assert {hit.case_id for hit in excluded} == {"zh-quality-broken-kettle", "en-fees-surprise-charge"}


def test_bad_search_arguments_are_rejected(casebank: Path, settings: Settings) -> None:
    index = CaseIndex(settings, CountingNgram(), library=load(casebank))
    with pytest.raises(ValueError, match="empty"):
        index.search("   ")
    with pytest.raises(ValueError, match="k must be"):
        index.search("parcel", k=0)
    with pytest.raises(ValueError, match="recipe"):
        CaseIndex(settings, CountingNgram(), recipe="everything")


def test_sync_without_a_library_says_so(settings: Settings) -> None:
    with pytest.raises(ValueError, match="needs a library"):
        CaseIndex(settings, CountingNgram()).sync()


def test_empty_index_without_library_returns_no_hits(settings: Settings) -> None:
    assert CaseIndex(settings, CountingNgram()).search("anything") == []


def test_similar_to_transcript_uses_customer_turns_language_and_skips_own_case(
    casebank: Path, settings: Settings
) -> None:
    index = CaseIndex(settings, CountingNgram(), library=load(casebank))
    transcript = Transcript.model_validate(
        {
            "language": "zh-CN",
            "case_id": "zh-logistics-lost-parcel",
            "turns": [
                {"role": "customer", "text": "我的快递显示签收了，可我没收到。"},
                {"role": "agent", "text": "您好，电水壶漏水跳闸的问题我来帮您处理。"},
            ],
        }
    )
    assert transcript_query(transcript) == "我的快递显示签收了，可我没收到。"
    hits = index.similar_to_transcript(transcript, k=3)
    assert [hit.case_id for hit in hits] == ["zh-quality-broken-kettle"]
    with_own = index.similar_to_transcript(transcript, k=1, exclude_own_case=False)
    assert with_own[0].case_id == "zh-logistics-lost-parcel"
    empty = Transcript.model_validate({"language": "en", "turns": [{"role": "agent", "text": "Hello"}]})
    assert index.similar_to_transcript(empty) == []


def test_concurrent_first_searches_build_once_and_agree(casebank: Path, settings: Settings) -> None:
    embedder = CountingNgram()
    index = CaseIndex(settings, embedder, library=load(casebank))
    queries = ["快递显示签收了我没收到"] * 6 + ["a monthly service fee on my bank statement"] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        found = list(pool.map(lambda query: index.search(query, k=1)[0].case_id, queries))
    assert found == ["zh-logistics-lost-parcel"] * 6 + ["en-fees-surprise-charge"] * 6
    assert len(embedder.embedded) == len(CASES)  # one build, not one per thread


def test_embedders_get_separate_collections(casebank: Path, settings: Settings) -> None:
    library = load(casebank)
    first = CaseIndex(settings, NgramHashEmbedder(), library=library)
    second = CaseIndex(settings, NgramHashEmbedder(dim=512), library=library)
    assert first.collection_name != second.collection_name
    assert collection_name("ngram") == "drill-cases-ngram"
    first.sync()
    assert second.count() == 0


def test_rebuild_embeds_everything_again(casebank: Path, settings: Settings) -> None:
    embedder = CountingNgram()
    index = CaseIndex(settings, embedder)
    index.sync(load(casebank))
    report = index.rebuild(load(casebank))
    assert sorted(report.added) == sorted(CASES)
    assert len(embedder.embedded) == 2 * len(CASES)


def test_reopened_collection_rebuilds_the_drill_embedder_without_warnings(
    casebank: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_default(self: object, input: object) -> None:  # noqa: A002
        raise AssertionError("Chroma's default (downloading) embedding function was used")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", no_default)
    index = CaseIndex(settings, NgramHashEmbedder(), library=load(casebank))
    index.sync()

    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        collection = client.get_collection(index.collection_name)
        function = collection.configuration.get("embedding_function")
        assert isinstance(function, DrillEmbeddingFunction)
        assert function.get_config()["embedder"] == "ngram"
        # Plain Chroma queries by text embed with the rebuilt drill embedder.
        result = collection.query(query_texts=["快递签收了没收到"], n_results=1)
    assert result["ids"][0] == ["zh-logistics-lost-parcel"]
    assert collection.configuration.get("hnsw", {}).get("space") == "cosine"


def test_default_document_holds_the_situation_and_goal(casebank: Path) -> None:
    case = load(casebank).cases["en-fees-surprise-charge"]
    text = case_document(case)
    assert "12 dollars" in text and "Have the fee refunded" in text
    assert set(DOCUMENT_RECIPES) >= {"brief", "story", "story+phrasing", "full"}
    assert len(case_document(case, "brief")) < len(case_document(case, "full"))


# ---------------------------------------------------------------------------------------------
# Embedders


def test_ngram_embedder_is_deterministic_normalised_and_bilingual() -> None:
    embedder = NgramHashEmbedder()
    first = np.array(embedder.embed_query("快递显示签收，但我没收到"))
    assert first.shape == (4096,)
    assert np.isclose(np.linalg.norm(first), 1.0)
    assert np.allclose(first, NgramHashEmbedder().embed_documents(["快递显示签收，但我没收到"])[0])
    near = np.array(embedder.embed_query("显示已经签收了，快递我没收到"))
    far = np.array(embedder.embed_query("电水壶漏水"))
    assert first @ near > first @ far
    english = np.array(embedder.embed_query("Parcel stuck in the depot"))
    assert english @ np.array(embedder.embed_query("PARCEL stuck at depot!")) > 0.7
    assert not np.any(embedder.embed_query("。，！ "))
    with pytest.raises(ValueError):
        NgramHashEmbedder(weights=(0, 0, 0))


def test_make_embedder_by_name_and_errors(settings: Settings) -> None:
    assert make_embedder(settings, "ngram").name == "ngram"
    with pytest.raises(EmbedderError, match="unknown embedder 'bert'"):
        make_embedder(settings, "bert")
    with pytest.raises(EmbedderError, match="DRILL_EMBEDDING_MODEL"):
        make_embedder(settings, "api")


def test_e5_loads_offline_and_embeds_chinese() -> None:
    embedder = E5Embedder()
    query = np.array(embedder.embed_query("快递显示已签收，可是我根本没收到"))
    docs = np.array(embedder.embed_documents(["物流显示签收但客户没收到包裹", "电水壶用了三天底部漏水"]))
    assert query.shape == (384,) and np.isclose(np.linalg.norm(query), 1.0, atol=1e-3)
    assert docs[0] @ query > docs[1] @ query


def test_default_offline_embedder_blends_e5_and_ngrams(settings: Settings) -> None:
    embedder = make_embedder(settings)
    assert embedder.name == "e5-ngram"
    vector = np.array(embedder.embed_query("快递显示已签收"))
    assert vector.shape == (384 + 4096,)
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-3)
    assert DrillEmbeddingFunction.build_from_config(embedder.chroma_config())._embedder().name == "e5-ngram"


# ---------------------------------------------------------------------------------------------
# CLI


def test_drill_index_reports_what_it_did(tmp_path: Path, casebank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(PROJECT_DIR / "casebank" / "rubric.yaml", casebank / "rubric.yaml")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(casebank.parent))
    runner = CliRunner()

    first = runner.invoke(main, ["index", "--embedder", "ngram"])
    assert first.exit_code == 0, first.output
    assert "added 4" in first.output and "embedder ngram" in first.output
    assert str(tmp_path / "drill-data" / "chroma") in first.output

    second = runner.invoke(main, ["index", "--embedder", "ngram"])
    assert "Up to date: added 0, updated 0, removed 0, unchanged 4" in second.output

    rebuilt = runner.invoke(main, ["index", "--embedder", "ngram", "--rebuild"])
    assert "Rebuilt: added 4" in rebuilt.output

    bad = runner.invoke(main, ["index", "--embedder", "nope"])
    assert bad.exit_code == 2 and "unknown embedder 'nope'" in bad.output


def test_endpoint_embedder_is_the_default_when_configured(casebank: Path, fake_llm: FakeLLM) -> None:
    settings = fake_llm.settings(embedding_model="embed-small")
    embedder = make_embedder(settings)
    assert embedder.name == "api-embed-small"
    index = CaseIndex(settings, embedder, library=load(casebank))
    assert index.collection_name == "drill-cases-api-embed-small"
    assert sorted(index.sync().added) == sorted(CASES)
    assert len(index.search("parcel", k=2, language="en")) == 2
    bodies = [request.body for request in fake_llm.received if request.path.endswith("/embeddings")]
    assert bodies and all(body["model"] == "embed-small" for body in bodies)


@pytest.mark.slow
def test_chroma_server_mode_uses_the_http_client(
    casebank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma CLI is not installed next to this Python")
    port = unused_port()
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("chroma server did not start")
                time.sleep(0.2)
        monkeypatch.setenv("DRILL_CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("DRILL_CHROMA_PORT", str(port))
        settings = load_settings()
        index = CaseIndex(settings, NgramHashEmbedder(), library=load(casebank))
        assert index.location == f"Chroma server http://127.0.0.1:{port}"
        assert len(index.sync().added) == len(CASES)
        assert index.search("快递签收了没收到", k=1, language="zh-CN")[0].case_id == "zh-logistics-lost-parcel"
        assert CaseIndex(settings, NgramHashEmbedder()).sync(load(casebank)).added == ()
        assert not settings.chroma_dir.exists()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_shared_index_is_built_once_per_location(tmp_path: Path) -> None:
    from simulator.casebank_index import shared_index
    from simulator.config import load_settings

    settings = load_settings()
    first = shared_index(settings)
    assert shared_index(settings) is first
    other = dataclasses.replace(settings, data_dir=tmp_path / "elsewhere")
    assert shared_index(other) is not first


def test_sync_adds_in_batches_below_chromas_limit(
    casebank: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.casebank_index as index_module

    monkeypatch.setattr(index_module, "ADD_BATCH", 2)
    index = CaseIndex(settings, CountingNgram())
    report = index.sync(load(casebank))
    assert sorted(report.added) == sorted(CASES)
    assert index.count() == len(CASES)
