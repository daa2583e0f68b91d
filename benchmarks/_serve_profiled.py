"""Run the drill app like ``drill serve`` does, with a sampling profiler on its threads.

Usage: ``_serve_profiled.py PORT OUTPUT`` with the environment of ``drill serve``. OUTPUT is where
the sampling profiler writes the busiest functions of all server threads on exit, or ``-`` for no
profiling; sampling begins when the process receives SIGUSR1. Serves until SIGINT.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from _sampler import Sampler

from simulator.app.services import AppServices
from simulator.app.ui import launch_app
from simulator.config import load_settings


def main() -> None:
    """Launch, optionally sample, serve until interrupted, write the profile."""
    port, output = int(sys.argv[1]), sys.argv[2]
    services = AppServices(load_settings())
    services.library()
    demo, url = launch_app(services, host="127.0.0.1", port=port, block=False, quiet=True)
    print(f"drill is running at {url}", flush=True)
    # Do what `drill serve` does after start-up (build the case index in the background), so that
    # both launchers leave the app in the same state.
    from simulator.cli import serve_command

    warm = getattr(serve_command, "_warm_index", None)
    if warm is not None:
        threading.Thread(target=warm, args=(services,), name="index-warmup", daemon=True).start()
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
