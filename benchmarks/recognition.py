"""Dialogue-act recognition time per agent turn of three sentences (target: p95 <= 120 ms).

Turns are built from the corpus's dev sentences (train when there is no dev split yet), three
distinct sentences each, so every sentence goes through e5 (caches off: the in-process LRU is
bypassed by never repeating a sentence, the on-disk cache is disabled). A second pass over the
same turns shows the cached cost (a sentence said before: the classifier only). No network.
A turn's sentences go to e5 in one batch call. ``--threads 1`` runs the encoder the way it ran before
2026-12-02 (one OpenMP thread), to compare with the shipped setting on the same machine.

    .venv/bin/python benchmarks/recognition.py --turns 40 [--threads 1]
"""

from __future__ import annotations

import os
import time

from _common import Report, Stats, ms, parser, scrub_environment


def main() -> None:
    """Time ``recognize`` on three-sentence turns, uncached then cached."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--turns", type=int, default=40, help="turns per language")
    args.add_argument("--threads", type=int, default=None, help="e5 OpenMP threads (default: the shipped setting)")
    options = args.parse_args()
    scrub_environment()
    os.environ["DRILL_EMBEDDING_CACHE"] = "off"

    from simulator import e5_model as e5_settings
    from simulator.e5_model import e5_model

    if options.threads is not None:
        e5_settings.E5_THREADS = options.threads
    from simulator.recognition.classifier import shipped_model
    from simulator.recognition.corpus import load_corpus
    from simulator.recognizer import recognize

    started = time.perf_counter()
    e5_model()
    shipped_model()
    load_ms = ms(time.perf_counter() - started)
    corpus = load_corpus(("train", "dev"))
    report = Report(
        "recognition",
        "Dialogue-act recognition: time per agent turn of three sentences",
        params={
            "turns per language": options.turns,
            "sentences per turn": 3,
            "e5 threads": e5_settings.E5_THREADS,
        },
    )
    table = report.table("recognize(turn), ms", ["language", "pass", "turns", "mean", "p50", "p95", "max"])
    for language in ("zh-CN", "en"):
        pool = corpus.select("dev", language) or corpus.select("train", language)
        texts = list(dict.fromkeys(s.text for s in pool))[: options.turns * 3]
        turns = [
            " ".join(texts[i : i + 3]) if language == "en" else "".join(texts[i : i + 3])
            for i in range(0, len(texts) - 2, 3)
        ]
        for label in ("uncached", "cached"):
            times = []
            for turn in turns:
                started = time.perf_counter()
                recognize(turn, language)  # type: ignore[arg-type]
                times.append(ms(time.perf_counter() - started))
            s = Stats.of(times)
            table.add(language, label, s.n, s.mean, s.p50, s.p95, s.max)
    report.note(f"model and encoder load: {load_ms:.0f} ms (once per process)")
    report.finish(options.json)


if __name__ == "__main__":
    main()
