"""The Trainee tab: practice (scenario picker, chat, scorecard) and progress ("My sessions").

The two sub-tabs live in ``ui_practice`` (with ``ui_scenario_picker``) and ``ui_progress``.
"""

from __future__ import annotations

import gradio as gr

from simulator.app.ui_common import UIContext
from simulator.app.ui_practice import build_practice_tab
from simulator.app.ui_progress import build_progress_tab


def build_trainee_tab(ctx: UIContext) -> gr.Tab:
    """Build the Trainee tab inside the current Blocks; return the tab."""
    tx = ctx.texts
    # Every component, States included, is created inside the tab: a stray child of gr.Tabs
    # shifts Gradio 6's tab labels onto the wrong tabs.
    with gr.Tab(tx("tab_trainee"), id="trainee", elem_id="tab-trainee") as tab:
        tx.bind(tab, label="tab_trainee")
        with gr.Tabs():
            picker = build_practice_tab(ctx)
            build_progress_tab(ctx)
    ctx.on(
        tab.select,
        picker.choose,
        picker.list_inputs,
        picker.filter_outputs,
        role="trainee",
        api_visibility="private",
        show_progress="hidden",
    )
    return tab
