"""Checks across fields and files that the schema alone cannot make: coherent pairings.

The case owns the customer's identity, the persona owns temperament and speech; these checks keep
the two from contradicting each other, and keep opening lines true to how the conversation starts:

- a case's suggested personas must speak its language and fit its customer (``Persona.fits``);
- ``customer.address_as`` uses the customer's name and an honorific of their gender, and no case
  text addresses the customer by their surname with the other gender's honorific;
- the case's opening line and each persona opening prefix fit their channel and start (no "喂"
  in a chat, no "是客服吗" on an outbound call, no greeting mid-conversation);
- a persona's text names nobody, speaks to the customer in the second person and carries no
  gendered self-description that its ``fits.genders`` does not allow;
- no forbidden promise keyword of a case occurs in its own acceptable resolutions or ``may_offer``
  lines (matched as the grader matches keywords): "guarantee" inside "Buyer Guarantee claim" would
  read the right offer as a red line, so the keyword must name the promise itself;
- Chinese text uses full-width punctuation (a warning, not an error).

The literal lists (opening cues, gendered words, self-naming words) belong to trainers: they live
in the rubric under ``rules.<language>.content_checks``. Each function takes an ``at(path)``
callback giving the 1-based line and column of a value, so the loader and the trainer's editor
report the same problems at the same places.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from simulator.clauses import ClauseMatcher, clause_matcher
from simulator.i18n import render
from simulator.lexicon import keyword_pattern
from simulator.models import (
    CHANNELS,
    LANGUAGES,
    Case,
    Gender,
    GenderedWords,
    Language,
    LanguageRules,
    Persona,
    Rubric,
)

Severity = Literal["error", "warning"]
Path = tuple[str, ...]
At = Callable[[Path], tuple[int, int]]


@dataclass(frozen=True)
class Issue:
    """A problem found in one item, at a path inside it; the loader turns it into a ContentProblem.

    Its message is catalogue ``key`` with ``values`` (``validation.yaml``), so the trainer reads it
    in the UI language; ``message`` is the English text.
    """

    path: Path
    key: str
    values: tuple[tuple[str, str], ...] = ()
    severity: Severity = "error"

    @property
    def message(self) -> str:
        """The message in English (what the CLI prints)."""
        return render(self.key, "en", dict(self.values))


def _issue(key: str, path: Path, /, *, severity: Severity = "error", **values: object) -> Issue:
    return Issue(path, key, tuple((name, str(value)) for name, value in values.items()), severity)


# ---------------------------------------------------------------------------------------------
# The trainer-owned lists, compiled


Gendered = dict[Gender, re.Pattern[str] | None]


def _first_words(patterns: Gendered, text: str) -> dict[Gender, str]:
    """The first word of each gender that ``text`` contains."""
    found = {}
    for gender, pattern in patterns.items():
        match = pattern.search(text) if pattern else None
        if match:
            found[gender] = match.group(0)
    return found


@dataclass(frozen=True)
class _Cues:
    phone_only: ClauseMatcher
    customer_initiated: ClauseMatcher
    greeting: ClauseMatcher
    self_naming: re.Pattern[str] | None
    honorifics: Gendered
    self_descriptions: Gendered


def _gendered(words: GenderedWords) -> Gendered:
    return {Gender.female: keyword_pattern(words.female), Gender.male: keyword_pattern(words.male)}


def _cues(rules: LanguageRules | None) -> _Cues:
    if rules is None:
        empty = clause_matcher([])
        none: Gendered = {Gender.female: None, Gender.male: None}
        return _Cues(empty, empty, empty, None, none, none)
    lists, fillers = rules.content_checks, rules.clause_fillers

    def matcher(phrases: list[str]) -> ClauseMatcher:
        return clause_matcher(phrases, fillers.leading, fillers.trailing)

    return _Cues(
        phone_only=matcher(lists.phone_only),
        customer_initiated=matcher(lists.customer_initiated),
        greeting=matcher(lists.greeting),
        self_naming=keyword_pattern(lists.self_naming),
        honorifics=_gendered(lists.honorifics),
        self_descriptions=_gendered(lists.self_descriptions),
    )


def _rules(rubric: Rubric | None, language: Language) -> LanguageRules | None:
    return rubric.rules.get(language) if rubric is not None else None


# ---------------------------------------------------------------------------------------------
# Openings

# What may not be said when a conversation starts this way: (cue list, catalogue key of why).
_OPENING_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "phone": (),
    "chat": (("phone_only", "check.why.phone_only"),),
    "outbound_call": (("customer_initiated", "check.why.customer_initiated_outbound"),),
    "mid_conversation": (
        ("greeting", "check.why.greeting_mid_conversation"),
        ("customer_initiated", "check.why.customer_initiated_mid_conversation"),
    ),
}


def _opening_issues(text: str, context: str, cues: _Cues, path: Path, what_key: str, fix_key: str) -> list[Issue]:
    issues = []
    for list_name, why_key in _OPENING_RULES[context]:
        matcher: ClauseMatcher = getattr(cues, list_name)
        for quote, _ in matcher.find(text)[:1]:
            issues.append(
                _issue(
                    "check.opening",
                    path,
                    what_key=what_key,
                    quote=quote,
                    why_key=why_key,
                    context=context,
                    fix_key=fix_key,
                )
            )
    return issues


# ---------------------------------------------------------------------------------------------
# Persona


def _strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string inside plain data, with its path (keys and list indexes as strings)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, (*path, str(key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, (*path, str(index)))


def _persona_language(path: Path) -> Language | None:
    """The language of a persona string from its path (``…/zh/…``, ``offline_script/en/…``)."""
    for part in path:
        if part in ("zh", "zh-CN"):
            return "zh-CN"
        if part == "en":
            return "en"
    return None


_SECOND_PERSON = {"zh-CN": re.compile("你"), "en": re.compile(r"\byou(?:r|rs|rself)?\b", re.IGNORECASE)}


def persona_issues(persona: Persona, rubric: Rubric | None) -> list[Issue]:
    """Problems of one persona: names, gendered words outside its fits, openings, third-person portrait."""
    issues: list[Issue] = []
    cues: dict[Language, _Cues] = {language: _cues(_rules(rubric, language)) for language in LANGUAGES}
    for language in LANGUAGES:
        portrait = persona.portrait.get(language)
        if not _SECOND_PERSON[language].search(portrait):
            key = "zh" if language == "zh-CN" else "en"
            example = "你…" if language == "zh-CN" else "You…"
            issues.append(_issue("check.portrait_second_person", ("portrait", key), example=example))
    for path, text in _strings(persona.model_dump(mode="json", exclude={"id", "archetype", "difficulty"})):
        text_language = _persona_language(path)
        if text_language is None:
            continue
        found = cues[text_language]
        naming = found.self_naming.search(text) if found.self_naming else None
        if naming:
            issues.append(_issue("check.names_customer", path, word=naming.group(0)))
        for gender, word in _first_words(found.self_descriptions, text).items():
            if any(fit != gender for fit in persona.fits.genders):
                genders = ", ".join(persona.fits.genders)
                issues.append(_issue("check.gender_word", path, word=word, gender=gender, genders=genders))
    for language, lines in persona.offline_script.items():
        for context in CHANNELS + ("mid_conversation",):
            for index, text in enumerate(getattr(lines.opening_prefix, context)):
                path = ("offline_script", language, "opening_prefix", context, str(index))
                issues.extend(
                    _opening_issues(text, context, cues[language], path, "check.what.prefix", "check.fix.prefix")
                )
    return issues


# ---------------------------------------------------------------------------------------------
# Case


def _surname_forms(name: str, language: Language) -> list[str]:
    """Parts of the name an address may use: the surname in Chinese, any name in English."""
    if language == "zh-CN":
        return [name[0]] if name else []
    return [part.strip(".,") for part in name.split() if part.strip(".,")]


def _address_issues(case: Case, cues: _Cues) -> list[Issue]:
    customer = case.customer
    issues = []
    forms = _surname_forms(customer.name, case.language)
    if not any(form.lower() in customer.address_as.lower() for form in forms):
        issues.append(
            _issue("check.address_no_name", ("customer", "address_as"), address=customer.address_as, name=customer.name)
        )
    words = _first_words(cues.honorifics, customer.address_as)
    for gender, word in words.items():
        if customer.gender == Gender.unspecified:
            issues.append(
                _issue(
                    "check.address_gender_unspecified",
                    ("customer", "address_as"),
                    address=customer.address_as,
                    word=word,
                    gender=gender,
                )  # fmt: skip
            )
        elif gender != customer.gender:
            issues.append(
                _issue(
                    "check.address_gender_mismatch",
                    ("customer", "address_as"),
                    address=customer.address_as,
                    word=word,
                    gender=gender,
                    customer_gender=customer.gender,
                )  # fmt: skip
            )
    return issues


def _honorific_pattern(case: Case, cues: _Cues, gender: Gender) -> re.Pattern[str] | None:
    """The customer's surname with an honorific of ``gender`` (周先生, Mr. Walsh)."""
    pattern = cues.honorifics.get(gender)
    if pattern is None or not case.customer.name:
        return None
    if case.language == "zh-CN":
        return re.compile(re.escape(case.customer.name[0]) + f"(?:{pattern.pattern})", pattern.flags)
    surname = re.escape(case.customer.name.split()[-1])
    return re.compile(rf"(?:{pattern.pattern})\.?\s+{surname}\b", pattern.flags)


#: How each field ``PersonaFits.conflicts`` names is worded in the misfit message.
_FIT_CONFLICT_KEYS = {
    "gender": "check.fit.gender",
    "age_range": "check.fit.age_range",
    "relation": "check.fit.relation",
}
_ADDRESSING_FIELDS = ("brief", "situation", "opening_line", "customer_wants", "recommended_phrasing", "expected_steps")


def _misaddressed(case: Case, cues: _Cues) -> list[Issue]:
    """Case texts that address the customer by surname with the other gender's honorific."""
    if case.customer.gender == Gender.unspecified:
        return []
    other = Gender.male if case.customer.gender == Gender.female else Gender.female
    pattern = _honorific_pattern(case, cues, other)
    if pattern is None:
        return []
    data = case.model_dump(mode="json", include=set(_ADDRESSING_FIELDS))
    issues = []
    for path, text in _strings(data):
        match = pattern.search(text)
        if match:
            issues.append(
                _issue(
                    "check.misaddressed",
                    path,
                    match=match.group(0),
                    other=other,
                    gender=case.customer.gender,
                    address=case.customer.address_as,
                )  # fmt: skip
            )
    return issues


def case_issues(case: Case, personas: dict[str, Persona], rubric: Rubric | None) -> list[Issue]:
    """Problems of one case against itself and the personas it suggests (unknown ids excluded)."""
    cues = _cues(_rules(rubric, case.language))
    issues = _address_issues(case, cues) + _misaddressed(case, cues) + keyword_in_own_lines(case)
    context = "mid_conversation" if case.start == "mid_conversation" else case.channel
    at, what, fix = ("opening_line",), "check.what.opening_line", "check.fix.opening_line"
    issues += _opening_issues(case.opening_line, context, cues, at, what, fix)
    if case.start == "mid_conversation" and case.channel == "chat":
        issues += _opening_issues(case.opening_line, "chat", cues, at, what, fix)
    for index, persona_id in enumerate(case.personas):
        persona = personas.get(persona_id)
        if persona is None or case.language not in persona.languages:
            continue  # reported by the reference check
        conflicts = persona.fits.conflicts(case.customer)
        if conflicts:
            fits = persona.fits
            issues.append(
                _issue(
                    "check.persona_misfit",
                    ("personas", str(index)),
                    id=persona_id,
                    name=case.customer.name,
                    # each conflict is worded in the reader's language (check.fit.<field>)
                    conflicts_keys=" ".join(_FIT_CONFLICT_KEYS[field] for field in conflicts),
                    gender=case.customer.gender,
                    fit_genders=", ".join(fits.genders),
                    age_range=case.customer.age_range,
                    fit_age_ranges=", ".join(fits.age_ranges),
                    relation=case.customer.relation,
                    fit_relations=", ".join(fits.relations),
                )  # fmt: skip
            )
    return issues


def keyword_in_own_lines(case: Case) -> list[Issue]:
    """A forbidden promise keyword that the case's own acceptable lines contain, once per keyword and line.

    Matched with English endings and loose Chinese spacing, the widest way the grader reads a
    keyword, so an agent who says the case's own acceptable words is never read as breaking it.
    """
    lines = [
        (("acceptable_resolutions", str(index), "description"), res.description)
        for index, res in enumerate(case.acceptable_resolutions)
    ] + [(("policy", "may_offer", str(index)), text) for index, text in enumerate(case.policy.may_offer)]
    issues = []
    for index, keyword in enumerate(case.policy.forbidden_promise_keywords):
        pattern = keyword_pattern([keyword], inflect=case.language == "en", loose=True)
        for path, text in lines:
            found = pattern.search(text) if pattern is not None else None
            if found is not None:
                issues.append(
                    _issue(
                        "check.keyword_in_own_line",
                        ("policy", "forbidden_promise_keywords", str(index)),
                        severity="warning",
                        keyword=keyword,
                        match=found.group(0),
                        line=".".join(path),
                        text=_snippet(text, found.start(), found.end()),
                    )
                )
    return issues


def _snippet(text: str, start: int, end: int, around: int = 30) -> str:
    left, right = max(0, start - around), min(len(text), end + around)
    return ("…" if left else "") + " ".join(text[left:right].split()) + ("…" if right < len(text) else "")


# ---------------------------------------------------------------------------------------------
# Chinese punctuation

_CJK = re.compile(r"[\u201c\u201d\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_HALF_TO_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）", ".": "。", '"': "“”"}
_HALF = re.compile(r"[,?!:;().\"]")
_SNIPPET = 8


def _half_width_in_chinese(text: str) -> list[tuple[int, str]]:
    """(index, char) of half-width punctuation touching a Chinese character."""
    found = []
    for match in _HALF.finditer(text):
        index, char = match.start(), match.group(0)
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if char == ".":
            # "3.2米" and "e.g." are fine; "好." and "好......" are not
            touching = bool(before) and bool(_CJK.match(before)) and (not after or after in ". " or _CJK.match(after))
        else:
            touching = bool(before and _CJK.match(before)) or bool(after and _CJK.match(after))
        if touching:
            found.append((index, char))
    return found


def punctuation_issues(data: Any) -> list[Issue]:
    """Warnings for half-width punctuation in Chinese text, one per string value."""
    issues = []
    for path, text in _strings(data):
        found = _half_width_in_chinese(text)
        if not found:
            continue
        chars = list(dict.fromkeys(char for _, char in found))
        index = found[0][0]
        start, end = max(0, index - _SNIPPET), min(len(text), index + _SNIPPET + 1)
        snippet = ("…" if start else "") + text[start:end].replace("\n", " ") + ("…" if end < len(text) else "")
        wanted = " ".join(f"'{c}'→'{_HALF_TO_FULL[c]}'" for c in chars)
        issues.append(_issue("check.half_width", path, severity="warning", wanted=wanted, snippet=snippet))
    return issues


def located(issues: list[Issue], at: At) -> list[tuple[int, int, Issue]]:
    """Each issue with the line and column of its path."""
    return [(*at(issue.path), issue) for issue in issues]
