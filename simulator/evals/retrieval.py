"""Retrieval eval: how well each embedder finds the right case for a paraphrased situation.

The labelled set (``evals/retrieval.yaml``) holds queries phrased the way a customer or a
mentor would describe a situation, each with the ids of the relevant cases. For every
embedder (and document recipe) a fresh in-memory index of the whole case bank is built, each
query is searched within its language, and MRR and recall@k are reported per language, with
build time and query latency. The metric functions are pure and handle empty input.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

import chromadb
import yaml
from chromadb.config import Settings as ChromaSettings
from pydantic import Field, ValidationError

from simulator.case_documents import DEFAULT_RECIPE
from simulator.case_fit import THRESHOLDS_FILE, FitThreshold, ThresholdFile, load_thresholds, margin, threshold_for
from simulator.casebank_index import CaseIndex
from simulator.config import PROJECT_DIR, Settings, load_settings
from simulator.content import Library
from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import problems_from_validation
from simulator.content_yaml import parse_yaml
from simulator.embedders import make_embedder
from simulator.models import Language, NonEmpty, Slug, StrictModel

DEFAULT_EVAL_FILE = PROJECT_DIR / "evals" / "retrieval.yaml"
KS: tuple[int, ...] = (1, 3, 5)
#: Margin windows compared when choosing the no-close-case rule (see ``simulator.case_fit``).
FIT_WINDOWS: tuple[int, ...] = (1, 3, 5, 10)


# ---------------------------------------------------------------------------------------------
# The labelled set


class RetrievalQuery(StrictModel):
    """One labelled query."""

    query: NonEmpty = Field(description="What a customer or mentor would say or type.")
    language: Language = Field(description="Language of the query; search is restricted to it.")
    relevant: list[Slug] = Field(
        description="Ids of the cases this query is about; empty when no case in the bank fits (no close case)."
    )
    voice: Literal["customer", "mentor"] = Field(
        default="customer", description="Who would phrase it this way (for reading the results)."
    )
    split: Literal["dev"] = Field(
        default="dev",
        description="Every query is dev: the embedder, the recipe and the no-close-case threshold are chosen on it.",
    )


class RetrievalSet(StrictModel):
    """The labelled retrieval set (``evals/retrieval.yaml``)."""

    queries: list[RetrievalQuery] = Field(min_length=1, description="Labelled queries.")


def load_retrieval_set(path: Path = DEFAULT_EVAL_FILE) -> RetrievalSet:
    """Load and validate the labelled set; raise ``ContentError`` with ``path:line:col`` problems."""
    problems: list[ContentProblem] = []
    parsed = parse_yaml(path, problems)
    if parsed is None:
        raise ContentError(problems)
    if not isinstance(parsed.data, dict):
        raise ContentError([ContentProblem(parsed.display, 1, 1, "expected a mapping with a 'queries' list")])
    try:
        return RetrievalSet.model_validate(parsed.data)
    except ValidationError as exc:
        raise ContentError(problems_from_validation(parsed, RetrievalSet, exc)) from None


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


def choose_threshold(close: Sequence[float], no_close: Sequence[float]) -> dict[str, float] | None:
    """The margin threshold that best separates close from no-close queries (``margin >= t`` is close).

    Maximises balanced accuracy (the mean of the share of close queries kept and the share of
    no-close queries caught); on a tie, catches more no-close queries (borrowing another case's facts
    is the worse error), then keeps the lower threshold. The threshold sits halfway between the two
    observed margins it separates. Returns None when either list is empty.
    """
    if not close or not no_close:
        return None
    values = sorted({*close, *no_close})
    candidates = [values[0] - 1e-6] + [(low + high) / 2 for low, high in zip(values, values[1:], strict=False)]
    candidates.append(values[-1] + 1e-6)
    best: dict[str, float] | None = None
    for threshold in candidates:
        kept = sum(1 for value in close if value >= threshold) / len(close)
        caught = sum(1 for value in no_close if value < threshold) / len(no_close)
        balanced = (kept + caught) / 2
        key = (balanced, caught, -threshold)
        if best is None or key > (best["balanced_accuracy"], best["no_close_caught"], -best["threshold"]):
            best = {
                "threshold": threshold,
                "close_kept": kept,
                "no_close_caught": caught,
                "balanced_accuracy": balanced,
            }
    return best


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
    depth = max(*ks, max(FIT_WINDOWS) + 1)
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
            scores: list[list[float]] = []
            latencies: list[float] = []
            cpu_started = time.process_time()
            for item in items:
                started = time.perf_counter()
                hits = index.search(item.query, k=depth, language=item.language)
                latencies.append((time.perf_counter() - started) * 1000)
                rankings.append(([hit.case_id for hit in hits], item.relevant, item))
                scores.append([hit.score for hit in hits])
            query_cpu_ms = (time.process_time() - cpu_started) * 1000 / len(items) if items else None
            index.drop()
            # Ranking metrics are over the queries that have a relevant case; the others measure the
            # no-close-case rule (fit, below).
            metrics: dict[str, dict[str, Any]] = {
                language: summarise([(r, rel) for r, rel, item in rankings if item.language == language and rel], ks)
                for language in languages
            }
            metrics["all"] = summarise([(r, rel) for r, rel, _ in rankings if rel], ks)
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
                    "fit": measure_fit(rankings, scores, languages),
                    "misses": [
                        {"query": item.query, "language": item.language, "relevant": rel, "top": ranked[:3]}
                        for ranked, rel, item in rankings
                        if rel and recall_at_k(ranked, rel, 3) == 0.0
                    ],
                }
            )
    return {
        "cases": len(library.cases),
        "queries": {language: sum(1 for item in items if item.language == language) for language in languages},
        "runs": runs,
    }


def measure_fit(
    rankings: Sequence[tuple[Sequence[str], Sequence[str], RetrievalQuery]],
    scores: Sequence[Sequence[float]],
    languages: Sequence[str],
) -> dict[str, Any]:
    """Choose the no-close-case rule on the dev queries: for each margin window, the best threshold.

    Returns ``{"windows": {window: choice}, "chosen": {window, threshold, ...} | None, "by_language":
    {...}, "errors": [...]}``: the chosen window is the one with the best balanced accuracy (ties:
    the smaller window). ``errors`` lists the dev queries the chosen rule gets wrong.
    """
    dev = [(rel, item, row) for (_, rel, item), row in zip(rankings, scores, strict=True) if item.split == "dev"]
    windows: dict[int, dict[str, float] | None] = {}
    for window in FIT_WINDOWS:
        close = [m for rel, _, row in dev if rel and (m := margin(row, window)) is not None]
        no_close = [m for rel, _, row in dev if not rel and (m := margin(row, window)) is not None]
        windows[window] = choose_threshold(close, no_close)
    scored = [(window, choice) for window, choice in windows.items() if choice is not None]
    if not scored:
        return {"windows": windows, "chosen": None, "by_language": {}, "errors": []}
    window, choice = max(scored, key=lambda pair: (pair[1]["balanced_accuracy"], -pair[0]))
    chosen = {"window": window, **choice, "close_queries": 0, "no_close_queries": 0}
    chosen["close_queries"] = sum(1 for rel, _, _ in dev if rel)
    chosen["no_close_queries"] = sum(1 for rel, _, _ in dev if not rel)
    by_language: dict[str, dict[str, float | None]] = {}
    errors: list[dict[str, Any]] = []
    for language in languages:
        rows = [(rel, row) for rel, item, row in dev if item.language == language]
        close_margins = [margin(row, window) for rel, row in rows if rel]
        other_margins = [margin(row, window) for rel, row in rows if not rel]
        by_language[language] = {
            "close_kept": mean([1.0 if m is not None and m >= choice["threshold"] else 0.0 for m in close_margins]),
            "no_close_caught": mean([1.0 if m is not None and m < choice["threshold"] else 0.0 for m in other_margins]),
        }
    for rel, item, row in dev:
        value = margin(row, window)
        if value is None:
            continue
        if bool(rel) != (value >= choice["threshold"]):
            errors.append({"query": item.query, "language": item.language, "relevant": list(rel), "margin": value})
    return {"windows": windows, "chosen": chosen, "by_language": by_language, "errors": errors}


_THRESHOLDS_HEADER = """\
# When the case index says "no close case" (simulator/case_fit.py), per embedder.
# Written by `drill eval retrieval --write-threshold` from the dev queries of evals/retrieval.yaml
# (queries with relevant: [] are situations the bank does not cover). Margin = top score minus the
# mean of the next `window` scores; below `margin` there is no close case. Do not edit by hand:
# measure again after changing the case bank, the embedder or the queries.
"""


def write_thresholds(result: dict[str, Any], eval_file: Path, path: Path = THRESHOLDS_FILE) -> list[str]:
    """Record each run's chosen no-close-case rule in ``path`` (other embedders' entries are kept).

    Returns the embedder names written. The entry carries its provenance: the split, the eval
    file's hash, the number of cases and queries, the shares kept and caught, the date.
    """
    current = load_thresholds(path).thresholds if path.exists() else {}
    digest = hashlib.sha256(eval_file.read_bytes()).hexdigest()
    written = []
    for run in result["runs"]:
        chosen = (run.get("fit") or {}).get("chosen")
        if not chosen:
            continue
        current[run["embedder"]] = FitThreshold(
            window=chosen["window"],
            margin=round(chosen["threshold"], 5),
            chosen_on="dev",
            eval_file_sha256=digest,
            cases=result["cases"],
            close_queries=chosen["close_queries"],
            no_close_queries=chosen["no_close_queries"],
            close_kept=round(chosen["close_kept"], 4),
            no_close_caught=round(chosen["no_close_caught"], 4),
            measured=date.today().isoformat(),
        )
        written.append(run["embedder"])
    data = ThresholdFile(thresholds=dict(sorted(current.items()))).model_dump(mode="json")
    path.write_text(_THRESHOLDS_HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    threshold_for.cache_clear()
    return written


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
    fit_lines = []
    for run in result["runs"]:
        chosen = (run.get("fit") or {}).get("chosen")
        if chosen:
            fit_lines.append(
                f"{run['embedder']}: no close case when top score - mean of next {chosen['window']} < "
                f"{chosen['threshold']:.4f} (dev: {chosen['close_kept']:.1%} of {chosen['close_queries']} close "
                f"queries kept, {chosen['no_close_caught']:.1%} of {chosen['no_close_queries']} no-close caught)"
            )
    return "\n".join([f"{result['cases']} cases; queries: {counts}", *lines, *fit_lines])
