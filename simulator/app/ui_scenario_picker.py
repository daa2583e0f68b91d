"""The practice tab's scenario picker: filters, persona and scenario lists, the scenario card.

The filters' values are fixed (categories, industries, languages, difficulties), so Gradio's own
check of choices holds on any replica. The persona and scenario lists follow the filters: their
choices are whatever the last event of *this* process sent, so they are ``ui_choices`` dropdowns
and the handlers check their values (an unknown pair is dropped from the lists, refused at start).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from simulator.accounts import User
from simulator.app import scenario_choice
from simulator.app.i18n import label, t
from simulator.app.scenario_choice import ScenarioFilters
from simulator.app.services import AppServices
from simulator.app.ui_choices import HandlerCheckedDropdown
from simulator.app.ui_common import UIContext
from simulator.app.views import scenario_card
from simulator.models import LANGUAGES, CaseCategory, Industry, Language

CATEGORIES = [category.value for category in CaseCategory]
DIFFICULTIES = ["easy", "medium", "hard"]
INDUSTRIES = [industry.value for industry in Industry]


def _choices(kind: str, values: Sequence[str], lang: Language) -> list[tuple[str, str]]:
    """(label, value) choices with an "any" first.

    Labels are plain text in ``lang`` (re-sent on a language switch): Gradio 6 submits the label
    of a choice whose label is an I18n marker instead of its value.
    """
    return [(t("any", lang), "any")] + [(label(kind, value, lang), value) for value in values]


def scenario_filters(cat: str, ind: str, language: str, diff: str, everything: bool) -> ScenarioFilters:
    """The filters as the picker's components hold them."""
    return ScenarioFilters(category=cat, industry=ind, language=language, difficulty=diff, show_all=bool(everything))


@dataclass
class ScenarioPicker:
    """The picker's components and what its handlers share."""

    services: AppServices
    lang: gr.State
    category: gr.Dropdown
    industry: gr.Dropdown
    language: gr.Dropdown
    difficulty: gr.Dropdown
    persona: HandlerCheckedDropdown
    case: HandlerCheckedDropdown
    show_all: gr.Checkbox
    draw: gr.Button
    start: gr.Button
    card: gr.Markdown

    @property
    def filters(self) -> list[Any]:
        """The four filter dropdowns, in the order the handlers take them."""
        return [self.category, self.industry, self.language, self.difficulty]

    @property
    def list_outputs(self) -> list[Any]:
        """What a new choice of pair changes."""
        return [self.persona, self.case, self.card]

    @property
    def filter_outputs(self) -> list[Any]:
        """What :meth:`choose` sets: the lists, the card and the relabelled filters."""
        return [*self.list_outputs, *self.filters]

    @property
    def list_inputs(self) -> list[Any]:
        """What :meth:`choose` reads (after the user)."""
        return [*self.filters, self.persona, self.case, self.show_all, self.lang]

    def card_for(self, persona_id: str | None, case_id: str | None, lang: Language) -> str:
        """The scenario card of a pair (what the trainee may see of it); empty parts for unknown ids."""
        library = self.services.content.snapshot().library
        persona = library.personas.get(persona_id or "")
        case = library.cases.get(case_id or "")
        return scenario_card(persona.trainee_view() if persona else None, case.trainee_view() if case else None, lang)

    def lists(self, filters: ScenarioFilters, persona_id: str | None, case_id: str | None, lang: Language) -> dict:
        """The persona and scenario lists for ``filters``, keeping the pair chosen if it is still listed."""
        library = self.services.content.snapshot().library
        personas = scenario_choice.persona_options(library, filters.language, lang)
        persona_id = persona_id if persona_id in [value for _, value in personas] else None
        cases = scenario_choice.case_options(library, filters, persona_id, lang)
        case_id = case_id if case_id in [value for _, value in cases] else None
        return {
            self.persona: gr.update(choices=personas, value=persona_id),
            self.case: gr.update(choices=cases, value=case_id),
            self.card: self.card_for(persona_id, case_id, lang),
        }

    def choose(
        self,
        user: User,
        cat: str,
        ind: str,
        language: str,
        diff: str,
        persona_id: str | None,
        case_id: str | None,
        everything: bool,
        lang: Language,
    ) -> dict:
        """Handler: the lists after a filter or persona changed, the filters relabelled in ``lang``."""
        updates = self.lists(scenario_filters(cat, ind, language, diff, everything), persona_id, case_id, lang)
        for component, kind, values, current in (
            (self.category, "category", CATEGORIES, cat),
            (self.industry, "industry", INDUSTRIES, ind),
            (self.language, "language", list(LANGUAGES), language),
            (self.difficulty, "difficulty", DIFFICULTIES, diff),
        ):
            # Choices are always sent with the value: without it Gradio 6 blanks the dropdown.
            updates[component] = gr.update(choices=_choices(kind, values, lang), value=current or "any")
        return updates

    def reset(self, user: User, lang: Language) -> dict:
        """Every filter at "any" and nothing chosen (the page load)."""
        return self.choose(user, "any", "any", "any", "any", None, None, False, lang)

    def drawn(self, cat: str, ind: str, language: str, diff: str, everything: bool, lang: Language) -> dict:
        """The lists with a random pair passing the filters chosen (``AppError`` when none does)."""
        library = self.services.content.snapshot().library
        filters = scenario_filters(cat, ind, language, diff, everything)
        persona_id, case_id = scenario_choice.draw_card(library, filters)
        return self.lists(filters, persona_id, case_id, lang)

    def show_pair(self, persona_id: str, case_id: str, lang: Language) -> dict:
        """The lists with this pair chosen whatever the filters (a resumed drill may be a "show all" pair)."""
        return self.lists(ScenarioFilters(show_all=True), persona_id, case_id, lang)


def _filter(kind: str, values: Sequence[str], key: str, min_width: int, ctx: UIContext) -> gr.Dropdown:
    # Its choices are re-labelled by ScenarioPicker.choose, always with the value: choices sent
    # without one make Gradio 6 blank the dropdown (and then submit its label).
    dropdown = gr.Dropdown(
        _choices(kind, values, "en"),
        value="any",
        label=ctx.texts(key),
        min_width=min_width,
        elem_id=f"trainee-filter-{kind}",
    )
    return ctx.texts.bind(dropdown, label=key)


def build_scenario_picker(ctx: UIContext) -> ScenarioPicker:
    """Build the picker inside the current column and wire its lists (the trainee role)."""
    tx = ctx.texts
    intro = tx.bind(gr.Markdown(tx("pick_scenario_md")), value="pick_scenario_md")
    del intro
    with gr.Row():
        category = _filter("category", CATEGORIES, "category", 120, ctx)
        industry = _filter("industry", INDUSTRIES, "industry", 120, ctx)
        language = _filter("language", list(LANGUAGES), "language", 110, ctx)
        difficulty = _filter("difficulty", DIFFICULTIES, "difficulty", 110, ctx)
    persona = tx.bind(HandlerCheckedDropdown([], label=tx("persona"), elem_id="trainee-persona"), label="persona")
    case = tx.bind(HandlerCheckedDropdown([], label=tx("scenario"), elem_id="trainee-case"), label="scenario")
    show_all = tx.bind(
        gr.Checkbox(False, label=tx("show_all_pairs"), info=tx("show_all_pairs_info")),
        label="show_all_pairs",
        info="show_all_pairs_info",
    )
    with gr.Row():
        draw = tx.bind(gr.Button(tx("draw_card"), variant="secondary"), value="draw_card")
        start = tx.bind(gr.Button(tx("start_drill"), variant="primary"), value="start_drill")
    # Empty until the page load writes it in the user's language: Gradio draws a Markdown marker
    # in English until the load ends (17 s on a loaded machine).
    card = gr.Markdown("", label="scenario_card", elem_classes="drill-card", elem_id="trainee-card")
    picker = ScenarioPicker(
        ctx.services, ctx.lang, category, industry, language, difficulty, persona, case, show_all, draw, start, card
    )

    def on_case_pick(user: User, persona_id: str | None, case_id: str | None, lang: Language) -> str:
        return picker.card_for(persona_id, case_id, lang)

    on = functools.partial(ctx.on, role="trainee")
    for index, dropdown in enumerate([*picker.filters, show_all]):
        # .input, not .change: only a person's choice refreshes the lists (updates sent by the
        # app itself would otherwise trigger a cascade of refreshes). The first is also the API
        # for "which personas and scenarios can I pick now".
        on(
            dropdown.input,
            picker.choose,
            picker.list_inputs,
            picker.filter_outputs,
            show_progress="hidden",
            api_name="scenario_lists" if index == 0 else None,
            api_visibility="public" if index == 0 else "private",
        )
    on(
        persona.input,
        picker.choose,
        picker.list_inputs,
        picker.filter_outputs,
        show_progress="hidden",
        api_visibility="private",
    )
    on(case.input, on_case_pick, [persona, case, ctx.lang], card, show_progress="hidden", api_visibility="private")
    ctx.on_language("trainee", picker.choose, picker.list_inputs, picker.filter_outputs)
    return picker
