"""Scripted trainee lines for ``drill eval personas``: several agent styles per language.

One YAML file per language in ``evals/trainee_scripts/`` (``zh-CN.yaml``, ``en.yaml``). Each
*style* is a short agent script — a good agent, a cold policy-reciting one, a long-winded one, ... —
written with generic lines plus slots filled from the case, so that every persona x case pair of
the language can be played with it:

- ``{fact_label}``: a hidden fact's label; only in a turn with ``each_fact: N``, which expands
  into one turn per fact for the case's first N hidden facts (required facts first).
- ``{resolution}``: the first keyword of the case's first acceptable resolution.
- ``{resolution_text}``: that resolution's description (first letter lower-cased in English,
  final full stop dropped), i.e. a concrete offer.
- ``{unacceptable}``: the first keyword of the case's first unacceptable resolution; a turn using
  it is skipped for a case that has none.
- ``{forbidden}``: the case's first forbidden phrasing.
- ``{own_offer}`` / ``{own_offer_2}``: the case's first / second ``recommended_phrasing`` line of the
  ``solution`` stage — an offer in the case author's own everyday words, not the resolution's
  description; a turn using ``{own_offer_2}`` is skipped for a case with a single solution line.

Each style belongs to a *family*: ``lexicon`` (the first scripts, close to the old keyword
lexicon's formulas), ``paraphrase`` (everyday wording no lexicon lists) or ``gaming`` (trainees
who try to score without helping: keyword salad, polite shells, one-word offers).

Loading is strict (pydantic, unknown keys rejected) and errors come back as ``path:line:col:
message`` problems in one ``ContentError``, like the rest of the content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simulator.config import PROJECT_DIR
from simulator.content_problems import ContentError, ContentProblem
from simulator.content_validation import load_validated
from simulator.content_yaml import display_path
from simulator.models import LANGUAGES, Case, HiddenFact, Language, NonEmpty, Slug, StrictModel

DEFAULT_SCRIPTS_DIR = PROJECT_DIR / "evals" / "trainee_scripts"
SLOTS: frozenset[str] = frozenset(
    {"fact_label", "resolution", "resolution_text", "unacceptable", "forbidden", "own_offer", "own_offer_2"}
)
#: Slots whose turn is skipped when the case has no value for them.
OPTIONAL_SLOTS: tuple[str, ...] = ("unacceptable", "own_offer_2")
_SLOT = re.compile(r"\{(\w*)\}")


class ScriptTurn(StrictModel):
    """One agent line of a style (or, with ``each_fact``, one line per hidden fact)."""

    say: NonEmpty = Field(description="The agent's words; may use the slots listed in the module docstring.")
    each_fact: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Ask for up to this many hidden facts, one turn each, filling {fact_label}; 0: one turn.",
    )

    @model_validator(mode="after")
    def _slots(self) -> ScriptTurn:
        used = set(_SLOT.findall(self.say))
        unknown = sorted(used - SLOTS)
        if unknown:
            raise ValueError(
                f"unknown slot(s) {', '.join('{' + name + '}' for name in unknown)}; "
                f"use {', '.join('{' + name + '}' for name in sorted(SLOTS))}"
            )
        if "fact_label" in used and not self.each_fact:
            raise ValueError("{fact_label} needs each_fact: N (how many hidden facts to ask for)")
        if self.each_fact and "fact_label" not in used:
            raise ValueError("each_fact is set but the line has no {fact_label} slot")
        return self


class ScriptStyle(StrictModel):
    """A kind of trainee, played the same way against every persona and case."""

    id: Slug = Field(description="Style id, e.g. good, cold_policy.")
    family: Literal["lexicon", "paraphrase", "gaming"] = Field(
        description="lexicon: the first scripts' formulas; paraphrase: everyday wording; "
        "gaming: scoring without helping."
    )
    quality: Literal["good", "poor"] = Field(description="Whether a mentor would call this agent good.")
    description: NonEmpty = Field(description="What this agent does, in one sentence.")
    turns: list[ScriptTurn] = Field(min_length=2, description="The agent's lines in order.")


class TraineeScripts(StrictModel):
    """All styles of one language."""

    language: Language = Field(description="Language of the lines.")
    styles: list[ScriptStyle] = Field(min_length=1, description="Agent styles.")

    @field_validator("styles")
    @classmethod
    def _unique_ids(cls, styles: list[ScriptStyle]) -> list[ScriptStyle]:
        ids = [style.id for style in styles]
        duplicates = sorted({style_id for style_id in ids if ids.count(style_id) > 1})
        if duplicates:
            raise ValueError(f"style id(s) used twice: {', '.join(duplicates)}")
        return styles

    def style(self, style_id: str) -> ScriptStyle:
        """The style with ``style_id`` (LookupError listing the valid ids)."""
        for style in self.styles:
            if style.id == style_id:
                return style
        raise LookupError(f"unknown style '{style_id}'; valid: {', '.join(s.id for s in self.styles)}")


@dataclass(frozen=True)
class RenderedLine:
    """One agent line ready to send, with the hidden fact it asks for (if any)."""

    text: str
    fact_key: str | None = None


def load_trainee_scripts(directory: Path = DEFAULT_SCRIPTS_DIR) -> dict[Language, TraineeScripts]:
    """Load ``<language>.yaml`` for every language present in ``directory``.

    Raises ``ContentError`` with ``path:line:col`` problems (missing folder, no file, unknown key,
    a file whose ``language`` does not match its name, ...).
    """
    display = display_path(directory)
    if not directory.is_dir():
        raise ContentError([ContentProblem(display, 1, 1, "trainee scripts folder not found")])
    problems: list[ContentProblem] = []
    loaded: dict[Language, TraineeScripts] = {}
    for language in LANGUAGES:
        path = directory / f"{language}.yaml"
        if not path.exists():
            continue
        validated = load_validated(path, TraineeScripts, "'language' and 'styles'", problems)
        if validated is None:
            continue
        parsed, scripts = validated
        if scripts.language != language:
            line, col = parsed.positions.of_value(("language",))
            problems.append(
                ContentProblem(parsed.display, line, col, f"language is {scripts.language} but the file is {path.name}")
            )
            continue
        loaded[language] = scripts
    if not loaded and not problems:
        names = " or ".join(f"{language}.yaml" for language in LANGUAGES)
        problems.append(ContentProblem(display, 1, 1, f"no trainee scripts: add {names}"))
    if problems:
        raise ContentError(problems)
    return loaded


def ordered_facts(case: Case) -> list[HiddenFact]:
    """The case's hidden facts, required ones first (case order otherwise)."""
    return [fact for fact in case.hidden_facts if fact.required] + [
        fact for fact in case.hidden_facts if not fact.required
    ]


def render_style(style: ScriptStyle, case: Case, *, max_turns: int = 10) -> list[RenderedLine]:
    """The style's lines for ``case``, slots filled, at most ``max_turns`` of them."""
    values = _case_values(case)
    lines: list[RenderedLine] = []
    for turn in style.turns:
        if any("{" + slot + "}" in turn.say and values[slot] is None for slot in OPTIONAL_SLOTS):
            continue
        if turn.each_fact:
            for fact in ordered_facts(case)[: turn.each_fact]:
                lines.append(RenderedLine(_fill(turn.say, {**values, "fact_label": fact.label}), fact.key))
        else:
            lines.append(RenderedLine(_fill(turn.say, values)))
    return lines[:max_turns]


def _case_values(case: Case) -> dict[str, str | None]:
    resolution = case.acceptable_resolutions[0]
    description = resolution.description.strip().rstrip("。.")
    if case.language == "en" and len(description) > 1 and description[1].islower():
        description = description[0].lower() + description[1:]
    # Keywords are optional hints; without them the offer is phrased from the description.
    refused = case.customer_refuses[0] if case.customer_refuses else None
    unacceptable = (refused.keywords[0] if refused.keywords else refused.description) if refused else None
    solutions = [phrase.text for phrase in case.recommended_phrasing if phrase.stage == "solution"]
    return {
        "own_offer": solutions[0] if solutions else description,
        "own_offer_2": solutions[1] if len(solutions) > 1 else None,
        "resolution": resolution.keywords[0] if resolution.keywords else description,
        "resolution_text": description,
        "unacceptable": unacceptable,
        "forbidden": case.forbidden_phrasing[0],
    }


def _fill(template: str, values: dict[str, str | None]) -> str:
    return _SLOT.sub(lambda match: values.get(match.group(1)) or "", template).strip()


def style_ids(scripts: Sequence[TraineeScripts]) -> list[str]:
    """Every style id across ``scripts``, in first-seen order."""
    return list(dict.fromkeys(style.id for script in scripts for style in script.styles))
