"""Offline customer turn time over every shipped persona x case pair of the same language.

Each pair holds a drill of up to eight scripted trainee turns (greeting, apology, fact questions,
confirmation, a ticket number, the case's first acceptable resolution, a closing) through
``Conversation`` + ``OfflineCustomer``; every customer reply is timed from ``send`` until the
reply stream is consumed. No network, no model.

    .venv/bin/python benchmarks/offline_engine.py --seeds 2
"""

from __future__ import annotations

import time
from typing import Any

from _common import PROJECT_DIR, Report, Stats, ms, parser, scrub_environment


def agent_script(case: Any) -> list[str]:
    """Eight plausible trainee turns for ``case``; the seventh offers its first acceptable resolution."""
    keyword = case.acceptable_resolutions[0].keywords[0] if case.acceptable_resolutions[0].keywords else ""
    if case.language == "zh-CN":
        return [
            "您好,我是客服小周,很高兴为您服务。",
            "真的很抱歉让您遇到这种情况,我理解您现在很着急。",
            "方便告诉我您的订单号吗?我马上帮您查。",
            "好的,请问是哪天发生的?涉及多少钱?",
            "我确认一下,您是希望今天就把这件事解决,对吗?",
            "我已经为您登记了工单,工单号GD20261122007,处理进度会短信通知您。",
            f"我这边可以为您办理:{keyword},今天下午5点前给您回电确认。",
            "请问还有其他需要帮忙的吗?感谢您的耐心。",
        ]
    return [
        "Hello, this is Jordan from customer care, happy to help.",
        "I'm really sorry this happened, I understand how frustrating it is.",
        "Could you give me your order number so I can look it up?",
        "Thanks. When did this happen, and what amount is involved?",
        "Just to confirm, you'd like this sorted out today, is that right?",
        "I've logged ticket TK-20261122-007 for you; you'll get updates by text.",
        f"What I can do for you is this: {keyword}. I'll call you back before 5 pm today to confirm.",
        "Is there anything else I can help with? Thank you for your patience.",
    ]


def main() -> None:
    """Run every pair and print turn-time statistics."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--seeds", type=int, default=2, help="drills per pair (different seeds)")
    options = args.parse_args()
    scrub_environment()

    from simulator.content import load_library
    from simulator.conversation import Conversation
    from simulator.customer.offline import OfflineCustomer

    library = load_library(PROJECT_DIR)
    rubric = library.require_rubric()
    pairs = [
        (persona, case)
        for case in sorted(library.cases.values(), key=lambda c: c.id)
        for persona in sorted(library.personas.values(), key=lambda p: p.id)
        if case.language in persona.languages
    ]
    report = Report(
        "offline_engine",
        "Offline customer engine: time per customer turn",
        params={
            "pairs": len(pairs),
            "seeds per pair": options.seeds,
            "scripted trainee turns": 8,
        },
    )
    times: dict[str, list[float]] = {}
    builds: list[float] = []
    outcomes: dict[str, int] = {}
    started_all = time.perf_counter()
    for seed in range(options.seeds):
        for persona, case in pairs:
            started = time.perf_counter()
            engine = OfflineCustomer(persona, case, seed=seed, rubric=rubric)
            conversation = Conversation(engine)
            conversation.start()
            builds.append(ms(time.perf_counter() - started))
            for line in agent_script(case):
                if conversation.ended:
                    break
                started = time.perf_counter()
                conversation.send(line).collect()
                times.setdefault(case.language, []).append(ms(time.perf_counter() - started))
            state = conversation.state
            outcome = (state.outcome if state else None) or "still open"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    wall = time.perf_counter() - started_all

    table = report.table(
        "Customer turn (send -> reply complete), ms", ["language", "turns", "mean", "p50", "p95", "max"]
    )
    everything: list[float] = []
    for language, values in sorted(times.items()):
        s = Stats.of(values)
        table.add(language, s.n, s.mean, s.p50, s.p95, s.max)
        everything.extend(values)
    s = Stats.of(everything)
    table.add("all", s.n, s.mean, s.p50, s.p95, s.max)
    b = Stats.of(builds)
    setup = report.table("Drill set-up (engine + opening line), ms", ["drills", "mean", "p95"])
    setup.add(b.n, b.mean, b.p95)
    report.note(
        f"{len(pairs) * options.seeds} drills in {wall:.1f} s; how they ended: "
        + ", ".join(f"{key} {value}" for key, value in sorted(outcomes.items()))
        + "."
    )
    report.finish(options.json)


if __name__ == "__main__":
    main()
