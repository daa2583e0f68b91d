"""Retrieval eval: how well each embedder finds the right case for a paraphrased situation.

The labelled set (``evals/retrieval.yaml``) holds queries phrased the way a customer or a
mentor would describe a situation, each with the ids of the relevant cases. For every
embedder (and document recipe) a fresh in-memory index of the whole case bank is built, each
query is searched within its language, and MRR and recall@k are reported per language, with
build time and query latency. The metric functions are pure and handle empty input.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import chromadb
from chromadb.config import Settings as ChromaSettings
from pydantic import Field, ValidationError

from simulator.casebank_index import DEFAULT_RECIPE, CaseIndex
from simulator.config import PROJECT_DIR, Settings, load_settings
from simulator.content import ContentError, ContentProblem, Library, _parse_yaml, _problems_from_validation
from simulator.embedders import make_embedder
from simulator.models import Language, NonEmpty, Slug, StrictModel

DEFAULT_EVAL_FILE = PROJECT_DIR / "evals" / "retrieval.yaml"
KS: tuple[int, ...] = (1, 3, 5)


# ---------------------------------------------------------------------------------------------
# The labelled set


class RetrievalQuery(StrictModel):
    """One labelled query."""

    query: NonEmpty = Field(description="What a customer or mentor would say or type.")
    language: Language = Field(description="Language of the query; search is restricted to it.")
    relevant: list[Slug] = Field(min_length=1, description="Ids of the cases this query is about.")
    voice: Literal["customer", "mentor"] = Field(
        default="customer", description="Who would phrase it this way (for reading the results)."
    )


class RetrievalSet(StrictModel):
    """The labelled retrieval set (``evals/retrieval.yaml``)."""

    queries: list[RetrievalQuery] = Field(min_length=1, description="Labelled queries.")


def load_retrieval_set(path: Path = DEFAULT_EVAL_FILE) -> RetrievalSet:
    """Load and validate the labelled set; raise ``ContentError`` with ``path:line:col`` problems."""
    problems: list[ContentProblem] = []
    parsed = _parse_yaml(path, problems)
    if parsed is None:
        raise ContentError(problems)
    if not isinstance(parsed.data, dict):
        raise ContentError([ContentProblem(parsed.display, 1, 1, "expected a mapping with a 'queries' list")])
    try:
        return RetrievalSet.model_validate(parsed.data)
    except ValidationError as exc:
        raise ContentError(_problems_from_validation(parsed, RetrievalSet, exc)) from None


def unknown_case_ids(queries: Iterable[RetrievalQuery], library: Library) -> list[str]:
    """Problems for labels that name a missing case or a case in another language."""
    problems = []
    for index, item in enumerate(queries):
        for case_id in item.relevant:
            case = library.cases.get(case_id)
            if case is None:
                problems.append(f"query {index} ({item.query[:30]}...): unknown case id '{case_id}'")
            elif case.language != item.language:
                problems.append(
                    f"query {index} ({item.query[:30]}...): case '{case_id}' is {case.language}, "
                    f"query is {item.language}"
                )
    return problems


# ---------------------------------------------------------------------------------------------
# Metrics (pure)


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str]) -> float:
    """1/rank of the first relevant id in ``ranked`` (1-based); 0.0 if none is there."""
    wanted = set(relevant)
    for position, item in enumerate(ranked, start=1):
        if item in wanted:
            return 1.0 / position
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant ids found in the top ``k``; 0.0 when nothing is relevant."""
    wanted = set(relevant)
    if not wanted or k < 1:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None for no values (an empty eval is not a score of 0)."""
    return sum(values) / len(values) if values else None


def summarise(rankings: Sequence[tuple[Sequence[str], Sequence[str]]], ks: Sequence[int] = KS) -> dict[str, Any]:
    """MRR and recall@k over ``(ranked ids, relevant ids)`` pairs; metrics are None when empty."""
    summary: dict[str, Any] = {"n": len(rankings), "mrr": mean([reciprocal_rank(r, rel) for r, rel in rankings])}
    for k in ks:
        summary[f"recall@{k}"] = mean([recall_at_k(r, rel, k) for r, rel in rankings])
    return summary


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (``fraction`` in 0..1), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


# ---------------------------------------------------------------------------------------------
# Running it


def _eval_client() -> chromadb.ClientAPI:
    # In memory: the eval never touches the user's index.
    return chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))


def evaluate_retrieval(
    library: Library,
    queries: Sequence[RetrievalQuery] | RetrievalSet,
    embedder_names: Sequence[str],
    *,
    recipes: Sequence[str] = (DEFAULT_RECIPE,),
    settings: Settings | None = None,
    ks: Sequence[int] = KS,
) -> dict[str, Any]:
    """Build an index per embedder and recipe, search every query, and report the metrics.

    Returns ``{"queries": {language: count}, "cases": n, "runs": [...]}``; each run has
    ``embedder``, ``recipe``, ``build_seconds`` and ``build_cpu_seconds`` (whole bank),
    ``query_ms_mean``, ``query_ms_p95`` and ``query_cpu_ms_mean`` (per search),
    ``metrics`` (per language and ``all``: ``n``, ``mrr``, ``recall@k``) and ``misses`` (queries
    whose relevant case is not in the top 3, with what came back).
    """
    items = list(queries.queries if isinstance(queries, RetrievalSet) else queries)
    settings = settings or load_settings()
    depth = max(ks)
    languages = sorted({item.language for item in items})
    runs = []
    client = _eval_client()
    for name in embedder_names:
        embedder = make_embedder(settings, name)
        for recipe in recipes:
            index = CaseIndex(settings, embedder, client=client, recipe=recipe)
            # CPU time next to wall time: on a shared machine wall time mostly measures the neighbours.
            started, cpu_started = time.perf_counter(), time.process_time()
            index.rebuild(library)
            build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            rankings: list[tuple[list[str], list[str], RetrievalQuery]] = []
            latencies: list[float] = []
            cpu_started = time.process_time()
            for item in items:
                started = time.perf_counter()
                hits = index.search(item.query, k=depth, language=item.language)
                latencies.append((time.perf_counter() - started) * 1000)
                rankings.append(([hit.case_id for hit in hits], item.relevant, item))
            query_cpu_ms = (time.process_time() - cpu_started) * 1000 / len(items) if items else None
            index.drop()
            metrics: dict[str, dict[str, Any]] = {
                language: summarise([(r, rel) for r, rel, item in rankings if item.language == language], ks)
                for language in languages
            }
            metrics["all"] = summarise([(r, rel) for r, rel, _ in rankings], ks)
            runs.append(
                {
                    "embedder": embedder.name,
                    "recipe": recipe,
                    "build_seconds": round(build_seconds, 3),
                    "build_cpu_seconds": round(build_cpu, 3),
                    "query_cpu_ms_mean": round(query_cpu_ms, 2) if query_cpu_ms is not None else None,
                    "query_ms_mean": round(statistics.fmean(latencies), 2) if latencies else None,
                    "query_ms_p95": round(p95, 2) if (p95 := percentile(latencies, 0.95)) is not None else None,
                    "metrics": metrics,
                    "misses": [
                        {"query": item.query, "language": item.language, "relevant": rel, "top": ranked[:3]}
                        for ranked, rel, item in rankings
                        if recall_at_k(ranked, rel, 3) == 0.0
                    ],
                }
            )
    return {
        "cases": len(library.cases),
        "queries": {language: sum(1 for item in items if item.language == language) for language in languages},
        "runs": runs,
    }


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of a result from :func:`evaluate_retrieval`."""
    languages = list(result["queries"])
    header = ["embedder", "recipe"]
    for language in [*languages, "all"]:
        header += [f"MRR {language}", f"R@1 {language}", f"R@3 {language}", f"R@5 {language}"]
    header += ["build s (cpu)", "query ms (cpu)"]
    rows = [header]

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    for run in result["runs"]:
        row = [run["embedder"], run["recipe"]]
        for language in [*languages, "all"]:
            m = run["metrics"][language]
            row += [fmt(m["mrr"]), fmt(m.get("recall@1")), fmt(m.get("recall@3")), fmt(m.get("recall@5"))]
        latency, latency_cpu = run["query_ms_mean"], run.get("query_cpu_ms_mean")
        row += [
            f"{run['build_seconds']:.1f} ({run.get('build_cpu_seconds', 0):.1f})",
            "n/a" if latency is None else f"{latency:.1f} ({latency_cpu or 0:.1f})",
        ]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    counts = ", ".join(f"{n} {language}" for language, n in result["queries"].items())
    return "\n".join([f"{result['cases']} cases; queries: {counts}", *lines])
