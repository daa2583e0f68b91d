"""The LLM customer's system prompt, assembled from Markdown files in ``simulator/prompts/``.

Three templates per language, joined in this order:

- ``customer_rules.<lang>.md``: the global role-play rules (stay a human, one turn at a time,
  reveal facts only when asked, invent nothing, react per the persona's triggers, don't give in
  early, end with a sentinel, write the state line). They follow tau2-bench's user-simulation
  guidelines (scenario-grounded facts, progressive disclosure, named stop sentinels) and the
  lesson of Patient-Ψ that simulated people drift toward being too cooperative and uniform, so the
  rules push against agreeableness and repetition explicitly.
- ``customer_persona.<lang>.md``: who the customer is — the case's identity (name, gender, age,
  relation to the account holder, how they are addressed) followed by the persona's second-person
  portrait, temperament and speech. The case owns identity, the persona owns behaviour.
- ``customer_case.<lang>.md``: the situation, what the customer wants in their own words, hidden
  facts (in a reveal-only-when-asked section), the acceptable resolutions and the offers the
  customer refuses, filled from the Case. The case's policy, agent systems, expected steps and
  recommended phrasing are for the agent and the grader only: the customer does not know them.

Short phrases (channel names, archetype and behaviour descriptions, agent moves) live in
``customer_traits.<lang>.md``. Templates use ``${name}`` placeholders (``string.Template``).
The trainee's words are never put in here: they go to the model as conversation messages.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

from simulator.config import PROMPT_DIR, STOP_ESCALATE, STOP_GAVE_UP, STOP_RESOLVED
from simulator.customer.reply_markers import TRAILER_FORMAT
from simulator.models import Case, DialogueAct, Language, Persona

_ITEM_RE = re.compile(r"^- ([a-z0-9_+-]+): (.+)$")
_SECTION_RE = re.compile(r"^## (\w+)\s*$")

# Formats of list lines, per language (full-width colon in Chinese).
_FACT_LINE = {"en": "- {label}: {value}", "zh-CN": "- {label}：{value}"}
_REACTION_LINE = {"en": "- when the agent {act}: {delta}", "zh-CN": "- 客服{act}：{delta}"}


def prompt_path(stem: str, language: Language, prompt_dir: Path = PROMPT_DIR) -> Path:
    """Path of prompt file ``<stem>.<language>.md``."""
    return prompt_dir / f"{stem}.{language}.md"


@lru_cache(maxsize=32)
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"prompt file {path} is missing; it ships with drill (reinstall?)") from None


@lru_cache(maxsize=8)
def load_traits(language: Language, prompt_dir: Path = PROMPT_DIR) -> dict[str, dict[str, str]]:
    """Phrases of ``customer_traits.<language>.md`` as ``{section: {key: text}}``."""
    path = prompt_path("customer_traits", language, prompt_dir)
    traits: dict[str, dict[str, str]] = {}
    section: dict[str, str] | None = None
    for line in _read(path).splitlines():
        heading = _SECTION_RE.match(line)
        if heading:
            section = traits.setdefault(heading.group(1), {})
            continue
        item = _ITEM_RE.match(line)
        if item and section is not None:
            section[item.group(1)] = item.group(2).strip()
    return traits


def _fill(stem: str, language: Language, values: dict[str, str], prompt_dir: Path) -> str:
    path = prompt_path(stem, language, prompt_dir)
    try:
        return Template(_read(path)).substitute(values).strip()
    except KeyError as exc:
        raise ValueError(f"{path}: unknown placeholder ${{{exc.args[0]}}}") from None
    except ValueError as exc:  # a stray "$" in the template
        raise ValueError(f"{path}: {exc}") from None


def _bullets(items: list[str], none: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else none


def _indented(items: list[str], none: str) -> str:
    # Sub-bullets under a persona bullet, indented so the Markdown nests.
    return "\n".join(f"  - {item}" for item in items) if items else f"  {none}"


def _mood_reactions(persona: Persona, language: Language, traits: dict[str, dict[str, str]]) -> str:
    acts = traits.get("acts", {})
    lines = [
        "  " + _REACTION_LINE[language].format(act=acts.get(act.value, act.value), delta=f"{delta:+d}")
        for act in DialogueAct
        if (delta := persona.temperament.mood_reactions.get(act)) is not None
    ]
    return "\n".join(lines) if lines else f"  {traits['words']['none']}"


def identity_text(case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """Who the customer is, from the case: one sentence in the case's language."""
    traits = load_traits(case.language, prompt_dir)
    customer = case.customer
    return traits["identity"]["sentence"].format(
        name=customer.name,
        gender=traits["genders"][customer.gender.value],
        age=traits["ages"][customer.age_range.value],
        relation=traits["relations"][customer.relation.value],
        address_as=customer.address_as,
    )


def persona_section(persona: Persona, case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The persona part of the system prompt, opened by the case's customer identity."""
    language = case.language
    traits = load_traits(language, prompt_dir)
    none = traits["words"]["none"]
    temperament, speech = persona.temperament, persona.speech
    values = {
        "identity": identity_text(case, prompt_dir),
        "portrait": persona.portrait.get(language),
        "archetype": traits.get("archetypes", {}).get(persona.archetype, persona.archetype),
        "starting_mood": str(temperament.starting_mood),
        "patience": str(temperament.patience),
        "angered_by": _indented(temperament.angered_by.get(language), none),
        "calmed_by": _indented(temperament.calmed_by.get(language), none),
        "mood_reactions": _mood_reactions(persona, language, traits),
        "sentence_length": traits["sentence_length"].get(speech.sentence_length, speech.sentence_length),
        "tone": speech.tone.get(language),
        "habits": _indented(speech.habits.get(language), none),
        "sample_lines": _indented(speech.sample_lines.get(language), none),
        "behaviours": _bullets([traits.get("behaviours", {}).get(b.value, b.value) for b in persona.behaviours], none),
        "satisfied_when": _bullets(persona.satisfied_when.get(language), none),
    }
    return _fill("customer_persona", language, values, prompt_dir)


def case_section(case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The case part of the system prompt (no policy: the customer does not know it)."""
    language = case.language
    traits = load_traits(language, prompt_dir)
    none = traits["words"]["none"]
    values = {
        "channel": traits["channels"].get(case.channel, case.channel),
        "product": case.product,
        "situation": case.situation,
        "opening_line": case.opening_line,
        "customer_wants": case.customer_wants,
        "hidden_facts": "\n".join(
            _FACT_LINE[language].format(label=fact.label, value=fact.value) for fact in case.hidden_facts
        ),
        "acceptable": _bullets([r.description for r in case.acceptable_resolutions], none),
        "refuses": _bullets([r.description for r in case.customer_refuses], none),
    }
    return _fill("customer_case", language, values, prompt_dir)


def rules_section(case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The global role-play rules in the case's language."""
    language = case.language
    traits = load_traits(language, prompt_dir)
    values = {
        "channel": traits["channels"].get(case.channel, case.channel),
        "language_name": traits["words"]["language_name"],
        "stop_resolved": STOP_RESOLVED,
        "stop_gave_up": STOP_GAVE_UP,
        "stop_escalate": STOP_ESCALATE,
        "trailer_format": TRAILER_FORMAT,
    }
    return _fill("customer_rules", language, values, prompt_dir)


def build_system_prompt(persona: Persona, case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The complete system prompt: rules, then persona, then case, in the case's language."""
    parts = [
        rules_section(case, prompt_dir),
        persona_section(persona, case, prompt_dir),
        case_section(case, prompt_dir),
    ]
    return "\n\n---\n\n".join(parts) + "\n"


def stage_direction(case: Case, key: str, prompt_dir: Path = PROMPT_DIR) -> str:
    """A short bracketed stage direction from the traits file's ``stage`` section.

    A drill that starts mid-conversation gets its own start direction, whatever the channel.
    """
    stage = load_traits(case.language, prompt_dir)["stage"]
    if key == "start" and case.start == "mid_conversation":
        return stage["start_mid_conversation"]
    return stage[f"{key}_{case.channel}"]
