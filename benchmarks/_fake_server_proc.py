"""Run ``FakeOpenAIServer`` in its own process for the benchmarks (like a real model server).

Prints the base URL on the first line of stdout, then serves until stdin is closed (so it never
outlives the benchmark that started it) or ``--max-seconds`` pass.
"""

from __future__ import annotations

import argparse
import sys
import threading

from simulator.testing.fake_openai_script import Latency, ScriptedReply
from simulator.testing.fake_openai_server import FakeOpenAIServer


def main() -> None:
    """Start the server with the given latency and default reply; stop when stdin closes."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--first-token-ms", type=float, default=300.0)
    args.add_argument("--per-chunk-ms", type=float, default=0.0)
    args.add_argument("--chunk-chars", type=int, default=4)
    args.add_argument("--reply", default="OK")
    args.add_argument("--max-seconds", type=float, default=3600.0)
    options = args.parse_args()
    server = FakeOpenAIServer()
    server.start()
    server.latency = Latency(first_token_s=options.first_token_ms / 1000, per_chunk_s=options.per_chunk_ms / 1000)
    server.default_reply = ScriptedReply(content=options.reply)
    server.chunk_chars = options.chunk_chars
    print(server.base_url, flush=True)
    done = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait(options.max_seconds)
    server.stop()


if __name__ == "__main__":
    main()
