"""Index sync that replicas can share: a lease in the database, a content fingerprint, upserts, no blocked search."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from simulator.casebank_index import CaseIndex
from simulator.config import Settings, load_settings
from simulator.content import Library
from simulator.index_builds import LEASE, IndexBuild, IndexBuilds
from simulator.store import SessionStore
from simulator.store_rows import utcnow
from tests.test_casebank_index import CASES, CountingNgram, case_yaml, load


@pytest.fixture
def casebank(tmp_path: Path) -> Path:
    folder = tmp_path / "content" / "casebank"
    folder.mkdir(parents=True)
    for case_id, fields in CASES.items():
        (folder / f"{case_id}.yaml").write_text(case_yaml(case_id, **fields), encoding="utf-8")
    return folder


def edit_case(casebank: Path, case_id: str, **changes: object) -> Library:
    fields = {**CASES[case_id], **changes}
    (casebank / f"{case_id}.yaml").write_text(case_yaml(case_id, **fields), encoding="utf-8")  # type: ignore[arg-type]
    return load(casebank)


def replica(settings: Settings, worker: str, embedder: CountingNgram | None = None) -> CaseIndex:
    """A replica's index: the shared collection, coordinating through the shared database."""
    builds = IndexBuilds(SessionStore(settings.sqlalchemy_url).engine, worker=worker)
    return CaseIndex(settings, embedder or CountingNgram(), builds=builds)


def test_one_holder_at_a_time_and_a_dead_holder_is_taken_over(database_url: str) -> None:
    engine = SessionStore(database_url).engine
    first, second = IndexBuilds(engine, worker="replica-1"), IndexBuilds(engine, worker="replica-2")
    assert first.claim("cases") and first.claim("cases")  # a holder may claim again
    assert not second.claim("cases") and second.state("cases").holder == "replica-1"
    first.renew("cases")
    with engine.begin() as connection:  # replica-1 dies: its heartbeat goes stale
        connection.execute(update(IndexBuild).values(heartbeat_at=utcnow() - LEASE - timedelta(seconds=1)))
    assert second.state("cases").holder is None
    assert second.claim("cases")
    first.finish("cases", "stale-fingerprint", 9)  # no longer the holder: records nothing
    assert second.state("cases").fingerprint is None
    second.finish("cases", "f" * 64, 3)
    state = first.state("cases")
    assert (state.fingerprint, state.cases, state.holder) == ("f" * 64, 3, None)
    assert first.claim("cases")
    first.release("cases")
    assert second.claim("cases")
    second.forget("cases")
    assert first.state("cases").fingerprint is None


def test_replicas_take_turns_and_skip_what_another_finished(casebank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    library = load(casebank)
    a_embedder, b_embedder = CountingNgram(), CountingNgram()
    a, b = replica(settings, "replica-a", a_embedder), replica(settings, "replica-b", b_embedder)
    assert sorted(a.sync(library).added) == sorted(CASES)

    # the fingerprint says B's content is indexed: B reads no record and embeds nothing
    monkeypatch.setattr(b, "stored_hashes", lambda: pytest.fail("read every record of an up-to-date index"))
    assert sorted(b.sync(library).unchanged) == sorted(CASES) and b_embedder.embedded == []
    monkeypatch.undo()

    # while another replica holds the lease, B does not sync, and its searches still answer
    holder = IndexBuilds(SessionStore(settings.sqlalchemy_url).engine, worker="replica-c")
    assert holder.claim(b.collection_name)
    edited = edit_case(casebank, "en-fees-surprise-charge", title="A fee I never agreed to")
    busy = b.sync(edited, wait=False)
    assert busy.busy and "another replica" in busy.summary() and b_embedder.embedded == []
    assert b.search("parcel tracking courier", k=1, language="en")[0].case_id == "en-logistics-late-parcel"
    holder.release(b.collection_name)
    assert b.sync(edited).updated == ("en-fees-surprise-charge",)
    assert b_embedder.embedded == [b_embedder.embedded[0]] and len(a_embedder.embedded) == len(CASES)


def test_a_sync_reads_the_content_again_once_it_holds_the_lease(casebank: Path) -> None:
    """A replica whose content was read before another replica added a case never deletes that case."""
    settings = load_settings()
    a, b = replica(settings, "replica-a"), replica(settings, "replica-b")
    stale = load(casebank)
    a.sync(stale)
    (casebank / "en-new-case.yaml").write_text(
        case_yaml("en-new-case", **{**CASES["en-logistics-late-parcel"], "title": "A parcel sent to the wrong town"}),
        encoding="utf-8",
    )
    assert a.sync(load(casebank)).added == ("en-new-case",)  # replica A saw the trainer's new case
    reads = iter([stale, load(casebank)])  # B read its content before the save; again under the lease
    report = b.sync(lambda: next(reads))
    assert report.removed == () and report.added == () and "en-new-case" in report.unchanged
    assert b.count() == len(CASES) + 1


class BlockingNgram(CountingNgram):
    """Embeds documents only when allowed to, so a test can search in the middle of a sync."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.allowed = threading.Event()
        self.allowed.set()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.started.set()
        assert self.allowed.wait(120), "the test never let the sync go on"
        return super().embed_documents(texts)


def test_searches_are_not_blocked_by_a_sync(casebank: Path) -> None:
    settings = load_settings()
    embedder = BlockingNgram()
    index = CaseIndex(settings, embedder, library=load(casebank))
    assert index.search("parcel tracking courier", k=1, language="en")[0].case_id == "en-logistics-late-parcel"
    edited = edit_case(casebank, "zh-quality-broken-kettle", title="电水壶漏水还跳闸")
    embedder.started.clear()
    embedder.allowed.clear()
    with ThreadPoolExecutor(max_workers=2) as pool:
        syncing = pool.submit(index.sync, edited)
        assert embedder.started.wait(120)  # the sync is embedding now, holding the lease
        searched = pool.submit(index.search, "快递显示签收了我没收到", k=1)
        hits = searched.result(timeout=120)  # a hang here is the old lock serialising searches
        assert not syncing.done()
        embedder.allowed.set()
        assert syncing.result(timeout=120).updated == ("zh-quality-broken-kettle",)
    assert hits[0].case_id == "zh-logistics-lost-parcel"


def test_a_changed_library_is_synced_in_the_background(casebank: Path) -> None:
    settings = load_settings()
    index = CaseIndex(settings, CountingNgram(), library=load(casebank))
    index.search("parcel", k=1)
    index.use_library(edit_case(casebank, "en-logistics-late-parcel", title="Courier lost my parcel"))
    assert index.search("parcel", k=1)  # answered from the index as it is
    background = index._background
    assert background is not None
    background.join(120)
    assert index._builds.state(index.collection_name).fingerprint is not None
    assert index.sync().changed is False


def test_count_reads_no_records(casebank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = CaseIndex(load_settings(), CountingNgram())
    index.sync(load(casebank))
    monkeypatch.setattr(index._store, "get", lambda *args, **kwargs: pytest.fail("count() fetched the records"))
    assert index.count() == len(CASES)
