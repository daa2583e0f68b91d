"""The benchmarks' pure helpers (statistics, tables, the Gradio diff reader, case synthesis).

The benchmarks themselves print figures and are never run here: these tests only pin down the
arithmetic and parsing the figures rest on.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH_DIR))

import _common  # noqa: E402
import _gradio_wire  # noqa: E402


def test_percentile_interpolates_and_handles_empty_input() -> None:
    assert _common.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert _common.percentile([10], 95) == 10
    assert _common.percentile([0, 100], 95) == pytest.approx(95)
    assert math.isnan(_common.percentile([], 50))


def test_stats_summarise_a_sample() -> None:
    stats = _common.Stats.of([4.0, 1.0, 3.0, 2.0])
    assert (stats.n, stats.mean, stats.p50, stats.max) == (4, 2.5, 2.5, 4.0)
    assert _common.Stats.of([]).n == 0 and math.isnan(_common.Stats.of([]).mean)


def test_table_renders_markdown_with_escaped_cells_and_dashes_for_nan() -> None:
    table = _common.Table("T", ["path", "ms"])
    table.add("a|b", float("nan"))
    table.add("c", 1234.56)
    text = table.markdown()
    assert "| a\\|b | - |" in text
    assert "| c | 1,234.6 |" in text
    assert text.splitlines()[3] == "|---|---:|"


def test_gradio_diffs_apply_like_the_js_client() -> None:
    chat = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    chat = _gradio_wire._apply(chat, [["add", [1], {"role": "assistant", "content": [{"type": "text", "text": "…"}]}]])
    assert not _gradio_wire.customer_text_streaming(chat)  # the placeholder is not customer text
    chat = _gradio_wire._apply(chat, [["replace", [1, "content", 0, "text"], "Ok"]])
    chat = _gradio_wire._apply(chat, [["append", [1, "content", 0, "text"], "ay"]])
    assert chat[1]["content"][0]["text"] == "Okay"
    assert _gradio_wire.customer_text_streaming(chat)
    assert _gradio_wire._apply("old", [["replace", [], "new"]]) == "new"


def test_state_inputs_are_sent_as_none() -> None:
    config = {
        "components": [{"id": 1, "type": "state"}, {"id": 2, "type": "textbox", "props": {"elem_id": "msg"}}],
        "dependencies": [
            {"id": 7, "api_name": "send_message", "inputs": [1, 2, 1], "outputs": [2], "targets": [[3, "click"]]},
            {"id": 9, "api_name": None, "inputs": [], "outputs": [], "targets": [[0, "load"]]},
        ],
    }
    app = _gradio_wire.GradioApp("http://127.0.0.1:1/", config)
    assert app.data("send_message", ["hello"]) == [None, "hello", None]
    assert app.endpoints["send_message"].fn_index == 7
    assert [e.fn_index for e in app.load_events] == [9]
    assert app.component_id("msg") == 2
    assert app.api == "http://127.0.0.1:1/gradio_api/"


def test_server_side_change_listeners_of_states_are_found() -> None:
    config = {
        "components": [{"id": 1, "type": "state"}, {"id": 2, "type": "textbox"}, {"id": 4, "type": "state"}],
        "dependencies": [
            {"id": 3, "inputs": [1], "outputs": [2], "targets": [[1, "change"]], "backend_fn": True},
            {"id": 5, "inputs": [], "outputs": [2], "targets": [[4, "change"]], "backend_fn": False},
            {"id": 6, "inputs": [2], "outputs": [2], "targets": [[2, "change"]], "backend_fn": True},
        ],
    }
    app = _gradio_wire.GradioApp("http://127.0.0.1:1/", config)
    # the JS-only listener (5) runs in the browser alone; a textbox's change (6) is not a state's
    assert {state: [e.fn_index for e in found] for state, found in app.state_listeners.items()} == {1: [3]}


def test_token_estimate_counts_cjk_characters_singly() -> None:
    from grading import estimate_tokens

    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("你好 abcd") == 3


def test_synthesised_cases_are_distinct_and_keep_the_originals() -> None:
    from retrieval import synthesise

    from simulator.case_documents import case_document
    from simulator.config import PROJECT_DIR
    from simulator.content import load_library

    shipped = sorted(load_library(PROJECT_DIR).cases.values(), key=lambda c: c.id)[:5]
    cases = synthesise(shipped, 17)
    assert len(cases) == 17
    assert all(case.id in cases for case in shipped)
    assert len({case_document(case) for case in cases.values()}) == 17
    assert all(case.id == key for key, case in cases.items())


def test_think_times_are_seeded_and_spread_around_the_mean() -> None:
    from concurrent_trainees import think_times

    pauses = think_times(50, 5, 4.0)
    assert len(pauses) == 50 and all(len(own) == 5 for own in pauses)
    flat = [pause for own in pauses for pause in own]
    assert min(flat) >= 2.0 and max(flat) <= 6.0 and abs(sum(flat) / len(flat) - 4.0) < 0.3
    assert think_times(50, 5, 4.0) == pauses  # the same seed, the same run
    assert {pause for own in think_times(3, 2, 0.0) for pause in own} == {0.0}  # the stress test: no pauses
