"""A Chroma index of the case bank, for finding the cases a conversation resembles.

Each case is one document (``simulator.case_documents``: its text recipe is chosen by the
retrieval eval) with filterable metadata; where the collection lives and what it is called is
``simulator.chroma_client``. What a search or a sync answers is in ``simulator.case_index_results``.

The index is built on first use and kept in sync by content hash: :meth:`CaseIndex.sync`
upserts only added or changed cases and deletes removed ones. Replicas sharing one Chroma
server take turns: a sync runs under a lease in the database (``simulator.index_builds``, through
``simulator.index_build_coordinators``), which also records the fingerprint of the content the
last complete sync reached, so a replica whose content matches skips the sync without reading
every record. Searches never wait for a sync: once the collection holds anything, a search reads
it as it is and a needed sync runs in the background (only the very first build, when there is
nothing to search yet, is waited for).

:meth:`CaseIndex.fitting` and :meth:`CaseIndex.fitting_transcript` also say whether anything fits
(:class:`~simulator.case_index_results.Retrieval`, ``no_close_case``): see ``simulator.case_fit``
for the measured rule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import chromadb
from langchain_chroma import Chroma

from simulator.case_documents import DEFAULT_RECIPE, DOCUMENT_RECIPES, case_document, case_metadata, transcript_query
from simulator.case_fit import Fit, judge_fit, threshold_for
from simulator.case_index_results import Hit, Retrieval, SyncReport
from simulator.chroma_client import chroma_location, collection_name, make_chroma_client
from simulator.embedders import Embedder, make_embedder
from simulator.index_build_coordinators import BuildCoordinator, default_builds
from simulator.index_builds import content_fingerprint

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from simulator.config import Settings
    from simulator.content import Library
    from simulator.models import Transcript


def _where(language: str | None, category: str | None, exclude_ids: Sequence[str]) -> dict[str, Any] | None:
    conditions: list[dict[str, Any]] = []
    if language:
        conditions.append({"language": language})
    if category:
        conditions.append({"category": str(category)})
    if exclude_ids:
        conditions.append({"id": {"$nin": list(exclude_ids)}})
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


#: Cases embedded and upserted per Chroma call (below Chroma's max batch size).
ADD_BATCH = 1000
#: How often a replica waiting for another one's sync looks again (a first build takes a minute).
WAIT_POLL_SECONDS = 2.0


class CaseIndex:
    """The case bank in a Chroma collection, searchable by meaning, filterable by metadata.

    Thread-safe and shared by the app: syncs take turns (a lock in this process, a lease in the
    database across replicas on one Chroma server); searches take no lock. Pass ``library`` (a
    library, or a function returning the current one) to let searches build or refresh the index.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        library: Library | Callable[[], Library] | None = None,
        client: chromadb.ClientAPI | None = None,
        recipe: str = DEFAULT_RECIPE,
        builds: BuildCoordinator | None = None,
    ) -> None:
        if recipe not in DOCUMENT_RECIPES:
            raise ValueError(f"unknown document recipe '{recipe}'; choose one of: {', '.join(DOCUMENT_RECIPES)}")
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.recipe = recipe
        self.collection_name = collection_name(self.embedder.name)
        self.location = chroma_location(settings) if client is None else "the given Chroma client"
        self._client = client or make_chroma_client(settings)
        self._builds = builds or default_builds(settings)
        self._library = library
        self._synced = False
        #: One syncing thread per process (the lease orders replicas); searches never take it.
        self._sync_lock = threading.Lock()
        self._background: threading.Thread | None = None
        self._background_lock = threading.Lock()
        self._store = Chroma(
            collection_name=self.collection_name,
            embedding_function=self.embedder,
            client=self._client,
            # The registered drill function is persisted in the collection config so Chroma never
            # falls back to its default (downloading) embedding function, and a reopened
            # collection rebuilds the same embedder.
            collection_configuration={
                "hnsw": {"space": "cosine"},
                "embedding_function": self.embedder.chroma_function(),
            },
            relevance_score_fn=lambda distance: 1.0 - distance,
        )

    # -- maintenance ---------------------------------------------------------------------------

    def stored_hashes(self) -> dict[str, str]:
        """Case id -> content hash of what is in the collection now (reads every record's metadata)."""
        got = self._store.get(include=["metadatas"])
        return {
            doc_id: str((meta or {}).get("content_hash", ""))
            for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True)
        }

    def count(self) -> int:
        """Number of cases in the collection (Chroma's own count: no record is read)."""
        return int(self._store._collection.count())

    def _wanted(self, library: Library) -> dict[str, tuple[str, dict[str, str]]]:
        wanted: dict[str, tuple[str, dict[str, str]]] = {}
        for case_id, case in sorted(library.cases.items()):
            document = case_document(case, self.recipe)
            wanted[case_id] = (document, case_metadata(case, document))
        return wanted

    def _current(self, library: Library | Callable[[], Library] | None) -> Library:
        source = library if library is not None else self._library
        if source is None:
            raise ValueError("CaseIndex.sync needs a library (pass one here or to CaseIndex(...))")
        if library is not None:
            self._library = library
        return source() if callable(source) else source

    def _up_to_date(self, wanted: dict[str, tuple[str, dict[str, str]]]) -> bool:
        """True when the last complete sync reached this content and the collection still holds it all."""
        fingerprint = content_fingerprint((cid, meta["content_hash"]) for cid, (_, meta) in wanted.items())
        state = self._builds.state(self.collection_name)
        return state.fingerprint == fingerprint and state.cases == len(wanted) == self.count()

    def sync(self, library: Library | Callable[[], Library] | None = None, *, wait: bool = True) -> SyncReport:
        """Make the collection match the library's cases; upsert only added or changed cases.

        ``library`` is a library or a function returning the current one (read again once this
        replica holds the lease, so content saved meanwhile on another replica is never
        deleted); with none, the one given at construction (or last synced) is used. While
        another replica syncs, ``wait`` waits for it (then usually finds nothing to do);
        ``wait=False`` returns at once with ``busy`` set.
        """
        wanted = self._wanted(self._current(library))
        if self._up_to_date(wanted):
            self._synced = True
            return SyncReport(unchanged=tuple(wanted))
        with self._sync_lock:
            if self._up_to_date(wanted):  # another thread of this process synced while this one waited
                self._synced = True
                return SyncReport(unchanged=tuple(wanted))
            while not self._builds.claim(self.collection_name):
                if not wait:
                    return SyncReport(busy=True)
                time.sleep(WAIT_POLL_SECONDS)
                if self._up_to_date(wanted):
                    self._synced = True
                    return SyncReport(unchanged=tuple(wanted))
            try:
                report = self._sync_holding_lease(self._wanted(self._current(None)))
            except BaseException:
                self._builds.release(self.collection_name)
                raise
            self._synced = True
            return report

    def _sync_holding_lease(self, wanted: dict[str, tuple[str, dict[str, str]]]) -> SyncReport:
        stored = self.stored_hashes()
        added = tuple(cid for cid in wanted if cid not in stored)
        updated = tuple(cid for cid in wanted if cid in stored and stored[cid] != wanted[cid][1]["content_hash"])
        unchanged = tuple(cid for cid in wanted if cid in stored and cid not in updated)
        removed = tuple(sorted(cid for cid in stored if cid not in wanted))
        collection = self._store._collection
        if removed:
            collection.delete(ids=list(removed))
        to_embed = [*added, *updated]
        # Chroma refuses one call above its max batch size (5,461 on SQLite), so upsert in slices;
        # an upsert (not an add) makes a retried or overlapping batch harmless.
        for start in range(0, len(to_embed), ADD_BATCH):
            batch = to_embed[start : start + ADD_BATCH]
            documents = [wanted[cid][0] for cid in batch]
            collection.upsert(
                ids=batch,
                embeddings=self.embedder.embed_documents(documents),  # type: ignore[arg-type]
                documents=documents,
                metadatas=[wanted[cid][1] for cid in batch],
            )
            self._builds.renew(self.collection_name)
        fingerprint = content_fingerprint((cid, meta["content_hash"]) for cid, (_, meta) in wanted.items())
        self._builds.finish(self.collection_name, fingerprint, len(wanted))
        return SyncReport(added=added, updated=updated, removed=removed, unchanged=unchanged)

    def rebuild(self, library: Library | Callable[[], Library] | None = None) -> SyncReport:
        """Drop the collection and embed every case again."""
        with self._sync_lock:
            self._store.reset_collection()
            self._builds.forget(self.collection_name)
            self._synced = False
        return self.sync(library)

    def drop(self) -> None:
        """Delete the collection (the index is unusable afterwards; used by the eval)."""
        with self._sync_lock:
            self._store.delete_collection()
            self._builds.forget(self.collection_name)

    def use_library(self, library: Library | Callable[[], Library]) -> None:
        """Search ``library`` from now on; a different library object is synced before the next search."""
        if library is not self._library:
            self._library = library
            self._synced = False

    def _ensure_synced(self) -> None:
        """Before a search: build an empty index now; refresh a non-empty one in the background."""
        if self._synced or self._library is None:
            return
        if self.count() == 0:
            # nothing to search until the first build: build it now, unless another replica is
            # building it (then this search finds nothing rather than waiting)
            self.sync(wait=False)
            return
        with self._background_lock:
            if self._background is None or not self._background.is_alive():
                self._background = threading.Thread(target=self._sync_quietly, name="case-index-sync", daemon=True)
                self._background.start()

    def _sync_quietly(self) -> None:
        try:
            self.sync()
        except Exception:  # searches go on with the index as it is; the next search tries again
            log.exception("case index sync failed; searching the index as it is")

    # -- search --------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        k: int = 3,
        language: str | None = None,
        category: str | None = None,
        exclude_ids: Iterable[str] = (),
    ) -> list[Hit]:
        """The ``k`` cases closest to ``query``, best first, optionally filtered.

        Raises ``ValueError`` for an empty query or ``k < 1``.
        """
        if not query or not query.strip():
            raise ValueError("search query is empty")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        where = _where(language, category, tuple(exclude_ids))
        self._ensure_synced()
        available = self.count()
        if available == 0:
            return []
        results = self._store.similarity_search_with_score(query, k=min(k, available), filter=where)
        return [
            Hit(case_id=str(doc.metadata.get("id", doc.id)), score=1.0 - float(distance)) for doc, distance in results
        ]

    def fitting(
        self, query: str, *, k: int = 3, language: str | None = None, exclude_ids: Iterable[str] = ()
    ) -> Retrieval:
        """Like :meth:`search`, with the no-close-case verdict of this embedder's measured threshold."""
        threshold = threshold_for(self.embedder.name)
        depth = max(k, threshold.window + 1) if threshold else k
        hits = self.search(query, k=depth, language=language, exclude_ids=exclude_ids)
        fit = judge_fit([hit.score for hit in hits], threshold)
        kept = () if fit.no_close_case else tuple(hits[:k])
        return Retrieval(hits=kept, nearest=hits[0] if hits else None, fit=fit)

    def fitting_transcript(self, transcript: Transcript, k: int = 3, *, exclude_own_case: bool = True) -> Retrieval:
        """:meth:`fitting` for a conversation (the query of :meth:`similar_to_transcript`)."""
        query = transcript_query(transcript)
        if not query:
            return Retrieval(hits=(), nearest=None, fit=Fit("undecided"))
        exclude = (transcript.case_id,) if exclude_own_case and transcript.case_id else ()
        return self.fitting(query, k=k, language=transcript.language, exclude_ids=exclude)

    def similar_to_transcript(self, transcript: Transcript, k: int = 3, *, exclude_own_case: bool = True) -> list[Hit]:
        """Cases that resemble a conversation, in its language (for the grader's references).

        The query is the transcript's scenario (if any) followed by the customer's turns, where
        the story is told. The transcript's own ``case_id`` is excluded unless
        ``exclude_own_case`` is False. Returns [] when there is nothing to search with.
        """
        query = transcript_query(transcript)
        if not query:
            return []
        exclude = (transcript.case_id,) if exclude_own_case and transcript.case_id else ()
        return self.search(query, k=k, language=transcript.language, exclude_ids=exclude)


_SHARED: dict[tuple[object, ...], CaseIndex] = {}
_SHARED_LOCK = threading.Lock()


def shared_index(settings: Settings, library: Library | None = None) -> CaseIndex:
    """The process-wide index for these settings, so the embedding model loads once per process.

    The grader asks for references on every grade and the app syncs after every trainer save;
    building a new ``CaseIndex`` each time would reload the embedder (seconds) every call.
    A different ``library`` object (content changed) makes the next search sync first.
    """
    key = (
        str(settings.chroma_dir),
        settings.chroma_host,
        settings.chroma_port,
        settings.embedding_model,
        settings.llm_base_url,
    )
    with _SHARED_LOCK:
        index = _SHARED.get(key)
        if index is None:
            index = CaseIndex(settings, library=library)
            _SHARED[key] = index
            return index
    if library is not None:
        index.use_library(library)
    return index
