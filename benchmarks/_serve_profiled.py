"""Run the drill app like ``drill serve`` does, optionally profiled or with a what-if patch.

Usage: ``_serve_profiled.py PORT OUTPUT`` with the environment of ``drill serve``. OUTPUT is where
the sampling profiler writes the busiest functions of all server threads on exit, or ``-`` for no
profiling; sampling begins when the process receives SIGUSR1. With ``BENCH_COALESCE_MS`` set, the
app's reply streaming is patched (in this process only, no file is changed) to send at most one
chat update per that many milliseconds (the first visible text and the final state always go out
at once): a what-if for the benchmarks' suggestion.
Serves until SIGINT.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _sampler import Sampler

from simulator.app import trainee
from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings


def coalescing_stream_reply(interval_s: float) -> Any:
    """A drop-in for ``trainee._stream_reply`` that sends the latest text, at most every ``interval_s``.

    A thread reads the model's stream into a buffer; each time Gradio asks for the next update it
    gets everything that arrived since the last one. When the server is busy, intermediate states
    are skipped instead of queued, so the number of updates per reply falls as load rises.
    """

    def _stream_reply(services: Any, live: Any, stream: Any) -> Iterator[Any]:
        yield trainee._view(live, partial="")
        state: dict[str, Any] = {"text": "", "done": False, "error": None}
        changed = threading.Condition()

        def pump() -> None:
            try:
                for delta in stream:
                    with changed:
                        state["text"] += delta
                        changed.notify()
            except Exception as exc:  # handed over to the generator, which raises it
                with changed:
                    state["error"] = exc
            finally:
                with changed:
                    state["done"] = True
                    changed.notify()

        threading.Thread(target=pump, name="bench-reply-pump", daemon=True).start()
        shown, last = "", 0.0
        while True:
            with changed:
                changed.wait_for(lambda seen=shown: state["done"] or state["text"] != seen)
            wait = interval_s - (time.perf_counter() - last)
            if shown and wait > 0 and not state["done"]:
                time.sleep(wait)  # let more text gather; the first text goes out at once
            with changed:
                text, done, error = state["text"], state["done"], state["error"]
            if error is not None:
                if isinstance(error, trainee.CustomerUnavailable):
                    raise trainee.AppError("customer_unavailable", detail=str(error)) from error
                raise error
            if done:
                break
            if text != shown:
                shown, last = text, time.perf_counter()
                yield trainee._view(live, partial=shown)
        trainee._persist(services, live)
        yield trainee._view(live)

    return _stream_reply


def main() -> None:
    """Launch, optionally sample, serve until interrupted, write the profile."""
    port, output = int(sys.argv[1]), sys.argv[2]
    coalesce = os.environ.get("BENCH_COALESCE_MS")
    if coalesce:
        trainee._stream_reply = coalescing_stream_reply(float(coalesce) / 1000)
    services = AppServices(load_settings())
    services.library()
    demo, url = launch_app(services, host="127.0.0.1", port=port, block=False, quiet=True)
    print(f"drill is running at {url}" + (f" (what-if: updates coalesced to {coalesce} ms)" if coalesce else ""),
          flush=True)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    sampler = Sampler() if output != "-" else None
    if sampler is not None:
        # Sampling starts on SIGUSR1, so that start-up and set-up are left out of the profile.
        signal.signal(signal.SIGUSR1, lambda *_: sampler.start())
    done.wait()
    if sampler is not None and sampler.started:
        sampler.stop()
        sampler.write(Path(output))
    demo.close()


if __name__ == "__main__":
    main()
