"""Grading latency and prompt size for a 16-turn transcript (offline grader and LLM judge).

The transcripts are two labelled excellent drills from ``evals/grader`` (English and Chinese),
extended from 12 to 16 turns with two "let me check" exchanges. The LLM judge runs against the
fake OpenAI-compatible server (in this process) with ``--latency-ms`` before it answers, in four
situations: a clean reply, a reply missing two criteria (one retry), a server that rejects
``json_schema`` (fallback to ``function_calling``), and replies that are never JSON (all attempts
spent, criteria unscored). Reference cases are passed explicitly so that the figures are the
judge's alone; retrieval has its own benchmark (``retrieval.py``).

Token counts are estimates (no tokenizer is available offline): CJK characters count one token
each, other characters four to a token.

    .venv/bin/python benchmarks/grading.py --latency-ms 300 --runs 5
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import yaml
from _common import PROJECT_DIR, Report, Stats, ms, parser, scrub_environment, temp_dir

SOURCES = {
    "en": ("evals/grader/dev/en-logistics-wedding-bag.yaml", "en-logistics-wedding-bag-excellent"),
    "zh-CN": ("evals/grader/dev/zh-logistics-delayed-fridge.yaml", "zh-logistics-delayed-fridge-excellent"),
}
HOLD = {
    "en": [
        ("agent", "Let me check that for you, one moment please."),
        ("customer", "Okay, I'll wait."),
        ("agent", "Thanks for waiting, I have the record open now."),
        ("customer", "Go on then."),
    ],
    "zh-CN": [
        ("agent", "我帮您查一下,请稍等。"),
        ("customer", "好,你快点。"),
        ("agent", "让您久等了,我已经调出您的记录了。"),
        ("customer", "嗯,你说。"),
    ],
}
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Rough token count: one per CJK character, one per four other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + max(0, len(text) - cjk) // 4


def sixteen_turns(language: str) -> Any:
    """A 16-turn transcript: a labelled 12-turn drill with two hold exchanges after turn 4."""
    from simulator.models import Transcript

    path, item_id = SOURCES[language]
    data = yaml.safe_load((PROJECT_DIR / path).read_text(encoding="utf-8"))
    item = next(i for i in data["items"] if i["id"] == item_id)
    turns = [{"role": t["role"], "text": t["text"]} for t in item["turns"]]
    turns[4:4] = [{"role": role, "text": text} for role, text in HOLD[language]]
    return Transcript(
        language=language,
        turns=turns[:16],
        id=f"bench-{language}",
        case_id=data["case_id"],
        persona_id=data["persona_id"],
    )


def verdict(transcript: Any, criteria: list[str], *, leave_out: int = 0) -> dict[str, Any]:
    """A well-formed judge reply quoting real agent turns (minus the last ``leave_out`` criteria)."""
    agent = [(i, t.text) for i, t in enumerate(transcript.turns) if t.role == "agent"]
    reply: dict[str, Any] = {"instructions_in_transcript": []}
    for position, criterion in enumerate(criteria[: len(criteria) - leave_out]):
        turn, text = agent[position % len(agent)]
        reply[criterion] = {
            "evidence": [{"turn": turn, "quote": text[: min(len(text), 40)]}],
            "rationale": "The agent's line matches the rubric's level 4 description.",
            "score": 4,
            "better_phrasing": "Name the next step and when the customer will hear back.",
            "source_case_id": transcript.case_id,
        }
    return reply


def request_size(body: dict[str, Any]) -> tuple[int, int, int]:
    """Characters of the messages, characters of the schema/tools, estimated tokens of both."""
    messages = "".join(str(m.get("content") or "") for m in body.get("messages", []))
    extra = json.dumps(body.get("response_format") or body.get("tools") or "", ensure_ascii=False)
    return len(messages), len(extra), estimate_tokens(messages) + estimate_tokens(extra)


def main() -> None:
    """Time the offline grader and the LLM judge; print the tables."""
    args = parser(__doc__.split("\n\n")[0])
    args.add_argument("--latency-ms", type=float, default=300.0, help="judge model latency before it answers")
    args.add_argument("--runs", type=int, default=5, help="judge runs per situation and language")
    args.add_argument("--offline-runs", type=int, default=30, help="offline grader runs per language")
    options = args.parse_args()
    scrub_environment()

    from simulator.config import Settings
    from simulator.content import load_library
    from simulator.errors import GradingFailed
    from simulator.grading import grade
    from simulator.grading.rules import run_rules
    from simulator.testing.fake_openai_script import Latency
    from simulator.testing.fake_openai_server import FakeOpenAIServer

    library = load_library(PROJECT_DIR)
    rubric = library.require_rubric()
    criteria = [c.id for c in rubric.criteria]
    report = Report(
        "grading",
        "Grading latency and prompt size (16-turn transcript)",
        params={
            "judge model latency ms": options.latency_ms,
            "judge runs per situation": options.runs,
            "offline runs": options.offline_runs,
        },
    )
    transcripts = {language: sixteen_turns(language) for language in SOURCES}

    offline = report.table(
        "Offline grader (rules + recogniser + weights), ms per transcript",
        ["language", "turns", "runs", "rule checks mean", "grade() mean", "p50", "p95"],
    )
    with temp_dir("grading") as data_dir:
        settings = Settings(data_dir=data_dir, content_dir=PROJECT_DIR)
        for language, transcript in transcripts.items():
            case = library.case(transcript.case_id)
            grade(transcript, library=library, engine="offline", settings=settings)  # warm lexicons
            rules, totals = [], []
            for _ in range(options.offline_runs):
                started = time.perf_counter()
                run_rules(transcript, rubric, case)
                rules.append(ms(time.perf_counter() - started))
                started = time.perf_counter()
                grade(transcript, library=library, engine="offline", settings=settings)
                totals.append(ms(time.perf_counter() - started))
            r, t = Stats.of(rules), Stats.of(totals)
            offline.add(language, len(transcript.turns), t.n, r.mean, t.mean, t.p50, t.p95)

        judge = report.table(
            f"LLM judge at {options.latency_ms:g} ms model latency (one call per transcript plus retries)",
            [
                "language",
                "situation",
                "calls (rejected)",
                "prompt chars (messages)",
                "schema chars",
                "tokens est. per call",
                "tokens est. total",
                "grade() mean ms",
                "p95 ms",
                "beyond model ms (mean - calls x latency)",
                "scored criteria",
            ],
        )
        with FakeOpenAIServer() as server:
            server.latency = Latency(first_token_s=options.latency_ms / 1000)
            llm_settings = Settings(
                data_dir=data_dir,
                content_dir=PROJECT_DIR,
                llm_base_url=server.base_url,
                llm_api_key="bench",
                llm_model="fake-judge",
                llm_max_retries=0,
            )
            for language, transcript in transcripts.items():
                case = library.case(transcript.case_id)
                similar = sorted(
                    c.id
                    for c in library.cases.values()
                    if c.language == language and c.category == case.category and c.id != case.id
                )[:2]
                situations = {
                    "clean reply": [dict(content=verdict(transcript, criteria))],
                    "two criteria missing -> retry": [
                        dict(content=verdict(transcript, criteria, leave_out=2)),
                        dict(content=verdict(transcript, criteria)),
                    ],
                    "json_schema rejected -> function_calling": [
                        dict(status=400, error_message="response_format json_schema is not supported"),
                        dict(tool_call_args=verdict(transcript, criteria)),
                    ],
                    "never JSON (all attempts spent)": [dict(content="I think the agent did fine.")] * 3,
                }
                for situation, replies in situations.items():
                    times, calls, rejected, scored = [], [], [], []
                    sizes: list[tuple[int, int, int]] = []
                    for run in range(options.runs + 1):
                        server.reset()
                        server.latency = Latency(first_token_s=options.latency_ms / 1000)
                        for reply in replies:
                            server.enqueue(**reply)
                        started = time.perf_counter()
                        try:
                            result = grade(
                                transcript, library=library, engine="llm", settings=llm_settings, references=similar
                            )
                            criteria_scored = sum(1 for c in result.criteria if c.score is not None)
                        except GradingFailed:
                            # a judge that never answers in JSON fails the grading (recorded, redone later)
                            criteria_scored = 0
                        elapsed = time.perf_counter() - started
                        if run == 0:
                            continue  # warm-up: imports, prompt templates, HTTP connection
                        received = [r for r in server._script.received if r.path.endswith("/chat/completions")]
                        times.append(ms(elapsed))
                        calls.append(len(received))
                        rejected.append(sum(1 for reply in replies[: len(received)] if reply.get("status", 200) != 200))
                        scored.append(criteria_scored)
                        sizes.extend(request_size(r.body) for r in received)
                    t = Stats.of(times)
                    per_call = Stats.of([float(s[2]) for s in sizes])
                    judge.add(
                        language,
                        situation,
                        f"{max(calls)} ({max(rejected)})",
                        int(Stats.of([float(s[0]) for s in sizes]).mean),
                        int(Stats.of([float(s[1]) for s in sizes]).mean),
                        int(per_call.mean),
                        int(per_call.mean * max(calls)),
                        t.mean,
                        t.p95,
                        t.mean - max(calls) * options.latency_ms,
                        f"{min(scored)}/{len(criteria)}",
                    )
    report.note(
        "grade() time includes the rule checks, prompt building, the HTTP round trips with the model's "
        "latency, reply validation (quotes checked against the transcript) and aggregation."
    )
    report.finish(options.json)


if __name__ == "__main__":
    main()
