"""The LLM customer's system prompt and per-turn note, from Markdown files in ``simulator/prompts/``.

The system prompt is three templates per language, in this order (a small model follows best
what it reads first and last):

- ``customer_persona.<lang>.md``: who the customer is — the case's identity (name, gender, age,
  relation to the account holder, how they are addressed), then the persona's second-person
  portrait, type, way of talking, triggers and behaviours. The case owns identity, the persona
  owns behaviour. Mood numbers are not here: the state is kept by code and comes with each turn.
- ``customer_case.<lang>.md``: what happened (the situation), the opening line, what the customer
  wants *in its own words* (``customer_wants``: vague where a real customer would be), the offers
  it turns down, and the hidden facts in a say-only-when-asked section. The acceptable
  resolutions, amounts, policy and the agent's systems are for the judge and the state machine
  only: a customer told the company's answer key would ask for exactly that and coach the agent.
- ``customer_rules.<lang>.md``: how to play it — stay a human customer, never coach the agent,
  how hard to be (scaled by the persona's difficulty, against the drift to agreeableness that
  Patient-Ψ and τ²-bench describe), be wary of private-data requests, read the hidden note, end
  only when the note allows it — and, last, the output rules with an example built from the case.

:func:`state_note` renders the short note that comes with each agent message ("turn 5 · no
progress for 3 of the last 4 turns · you feel 6/10 · ..."), from the state machine's step.

Short phrases live in ``customer_traits.<lang>.md``. Templates use ``${name}`` placeholders
(``string.Template``). The trainee's words are never put in here: they go to the model as
conversation messages. ``docs/llm.md`` documents the token budget every persona × case prompt
must stay under (a test checks it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

from simulator.config import PROMPT_DIR, STOP_ESCALATE, STOP_GAVE_UP, STOP_RESOLVED
from simulator.customer.state import StateStep
from simulator.models import Case, Language, Persona

_ITEM_RE = re.compile(r"^- ([a-z0-9_+-]+): (.+)$")
_SECTION_RE = re.compile(r"^## (\w+)\s*$")

#: No persona × case system prompt may pass this many tokens, estimated from characters with
#: ``llm_cost.estimate_tokens`` (which overestimates: see docs/llm.md for the measured figures).
#: It leaves 5k of an 8k-token context (the smallest a local 7B model is usually served with) for
#: a 30-turn conversation and the reply.
SYSTEM_PROMPT_TOKEN_BUDGET = 3000

# Formats of list lines, per language (full-width colon in Chinese).
_FACT_LINE = {"en": "- {label}: {value}", "zh-CN": "- {label}：{value}"}
# The note's brackets and separators, per language.
_NOTE_FRAME = {"en": ("[", " · ", "]"), "zh-CN": ("【", " · ", "】")}
_LIST_SEPARATOR = {"en": ", ", "zh-CN": "、"}
_STOPS = {"stop_resolved": STOP_RESOLVED, "stop_gave_up": STOP_GAVE_UP, "stop_escalate": STOP_ESCALATE}


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
    behaviours = [traits.get("behaviours", {}).get(b.value, b.value) for b in persona.behaviours]
    values = {
        "identity": identity_text(case, prompt_dir),
        "portrait": persona.portrait.get(language),
        "archetype": traits.get("archetypes", {}).get(persona.archetype, ""),
        "sentence_length": traits["sentence_length"].get(speech.sentence_length, speech.sentence_length),
        "tone": speech.tone.get(language).rstrip("。."),
        "habits": _bullets(speech.habits.get(language), none),
        "sample_lines": _bullets(speech.sample_lines.get(language), none),
        "angered_by": _bullets(temperament.angered_by.get(language), none),
        "calmed_by": _bullets(temperament.calmed_by.get(language), none),
        "behaviours": "\n".join(behaviours),
    }
    return _fill("customer_persona", language, values, prompt_dir)


def opening_text(case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """How the conversation began, with the case's opening line, for the channel and the start."""
    openings = load_traits(case.language, prompt_dir)["opening"]
    key = "mid_conversation" if case.start == "mid_conversation" else case.channel
    return openings[key].format(line=case.opening_line)


def case_section(case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The case part of the system prompt: what the customer lived, wants, refuses and knows.

    No acceptable resolutions, amounts, policy or agent systems: the customer does not know them.
    """
    language = case.language
    traits = load_traits(language, prompt_dir)
    none = traits["words"]["none"]
    values = {
        "situation": case.situation,
        "opening": opening_text(case, prompt_dir),
        "customer_wants": case.customer_wants,
        "hidden_facts": "\n".join(
            _FACT_LINE[language].format(label=fact.label, value=fact.value) for fact in case.hidden_facts
        ),
        "refuses": _bullets([r.description for r in case.customer_refuses], none),
    }
    return _fill("customer_case", language, values, prompt_dir)


def rules_section(persona: Persona, case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """How to play it and the output rules (last, with an example from the case's first fact)."""
    language = case.language
    traits = load_traits(language, prompt_dir)
    example = case.hidden_facts[0]
    values = {
        **_STOPS,
        "difficulty": traits["difficulty"][persona.difficulty],
        "note_example": state_note(EXAMPLE_STEP, case, prompt_dir),
        "channel": traits["channels"].get(case.channel, case.channel),
        "language_name": traits["words"]["language_name"],
        "length": traits["length"][persona.speech.sentence_length],
        "example_label": example.label,
        "example_value": example.value,
        "example_ending": traits["example"]["ending"],
    }
    return _fill("customer_rules", language, values, prompt_dir)


def build_system_prompt(persona: Persona, case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The complete system prompt: persona, then case, then the rules, in the case's language."""
    parts = [
        persona_section(persona, case, prompt_dir),
        case_section(case, prompt_dir),
        rules_section(persona, case, prompt_dir),
    ]
    return "\n\n".join(parts) + "\n"


#: The step the rules' example note is drawn from: a third turn that is going nowhere.
EXAMPLE_STEP = StateStep(
    agent_turns=3,
    mood=7,
    patience=6,
    stalled=2,
    progress=(True, False, False),
    revealed=(),
    asked=(),
    offer=None,
    refused_offer=None,
    goal_met=False,
    imposed=None,
    allowed=frozenset(),
)


def _facts(case: Case, keys: tuple[str, ...], language: Language) -> str:
    labels = {fact.key: fact.label for fact in case.hidden_facts}
    return _LIST_SEPARATOR[language].join(labels.get(key, key) for key in keys)


def state_note(step: StateStep, case: Case, prompt_dir: Path = PROMPT_DIR) -> str:
    """The hidden note sent with an agent message: where the talk stands, how the customer feels,
    what was told and offered, and which endings the state allows (one line, in brackets)."""
    language = case.language
    phrases = load_traits(language, prompt_dir)["note"]
    opening, separator, closing = _NOTE_FRAME[language]
    items = [phrases["label"], phrases["turn"].format(n=step.agent_turns)]
    stalled, looked = step.recent_stalls
    if stalled:
        items.append(phrases["stalled"].format(stalled=stalled, looked=looked))
        left = step.patience - step.stalled
        if 0 < left <= step.patience // 2 and step.imposed is None:
            items.append(phrases["patience"].format(left=left))
    elif step.progress:
        items.append(phrases["moving"])
    items.append(phrases["mood"].format(mood=step.mood))
    told = tuple(key for key in step.revealed if key not in step.asked)
    if told:
        items.append(phrases["told"].format(facts=_facts(case, told, language)))
    if step.asked:
        items.append(phrases["asked"].format(facts=_facts(case, step.asked, language)))
    if step.offer:
        items.append(phrases["offer"].format(offer=step.offer))
    if step.refused_offer:
        items.append(phrases["refused"].format(offer=step.refused_offer))
    for move in step.moves:
        if move.category == "choose" and move.value("choice"):
            items.append(phrases["choose"].format(choice=move.value("choice")))
        elif move.category == "ask_offer_detail":
            items.append(phrases["needs_detail"])
    if step.wants_more:
        items.append(phrases["wants_more"])
    items.extend(_endings(step, phrases))
    return opening + separator.join(items) + closing


def _endings(step: StateStep, phrases: dict[str, str]) -> list[str]:
    if step.imposed is not None:
        return [phrases[f"imposed_{step.imposed}"].format(**_STOPS)]
    allowed = [
        phrases[f"end_{outcome}"].format(**_STOPS)
        for outcome in ("resolved", "gave_up", "escalated")
        if outcome in step.allowed
    ]
    return allowed or [phrases["end_none"]]


def stage_direction(case: Case, key: str, prompt_dir: Path = PROMPT_DIR) -> str:
    """A short bracketed stage direction from the traits file's ``stage`` section.

    A drill that starts mid-conversation gets its own start direction, whatever the channel.
    """
    stage = load_traits(case.language, prompt_dir)["stage"]
    if key == "start" and case.start == "mid_conversation":
        return stage["start_mid_conversation"]
    return stage[f"{key}_{case.channel}"]
