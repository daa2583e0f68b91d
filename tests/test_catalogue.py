"""The message catalogue: every key in every language, the same placeholders, and no key the code
names that the catalogue does not have."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from simulator.i18n import (
    CATALOGUE_DIR,
    CATALOGUE_LANGUAGES,
    CatalogueError,
    _read_language,
    catalogue,
    placeholders,
    render,
)

SOURCE = Path(__file__).parents[1] / "simulator"
_CHECK_KEY = re.compile(r"check\.[a-z_]+\.[a-z_]+")
#: Callables whose first argument is a catalogue key (or, for ``label``, a vocabulary kind).
KEY_CALLS = {
    "t", "tx", "static_text", "render", "AppError", "ProgrammeError", "NotAllowed", "SessionNotFound", "AccessDenied",
    "CatalogueValueError", "keyed_problem", "_issue", "over_limit", "YamlLimitError",
}  # fmt: skip


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _keys_named_in_code() -> tuple[set[str], set[str], set[str]]:
    """(exact keys, f-string key prefixes, label kinds) named by the code."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    kinds: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name, first = _called_name(node), node.args[0]
            if name in KEY_CALLS:
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    exact.add(first.value)
                elif isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
                    prefixes.add(str(first.values[0].value))
            elif isinstance(node.func, ast.Name) and name == "label" and isinstance(first, ast.Constant):
                kinds.add(str(first.value))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            # a key handed to a message as a value, rendered in the reader's language (``why_key=...``)
            if isinstance(node, ast.Call) and _called_name(node) in KEY_CALLS:
                for keyword in node.keywords:
                    value = keyword.value
                    if (keyword.arg or "").endswith("_key") and isinstance(value, ast.Constant):
                        exact.add(str(value.value))
            # and the content checks' keys kept in tables (``_OPENING_RULES``)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _CHECK_KEY.fullmatch(node.value):
                exact.add(node.value)
    return exact, prefixes, kinds


def test_every_key_exists_in_every_language_with_the_same_placeholders() -> None:
    english = catalogue("en")
    assert len(english) > 400
    for language in CATALOGUE_LANGUAGES:
        strings = catalogue(language)
        assert sorted(set(english) ^ set(strings)) == [], f"keys in one language only ({language})"
        for key, text in strings.items():
            assert text.strip(), f"{language}: {key} is empty"
            assert placeholders(text) == placeholders(english[key]), f"{language}: {key} placeholders differ"


def test_every_key_the_code_names_exists() -> None:
    exact, prefixes, kinds = _keys_named_in_code()
    keys = set(catalogue("en"))
    assert len(exact) > 250, "the scan finds the code's keys"
    assert sorted(exact - keys) == []
    assert sorted(p for p in prefixes if not any(key.startswith(p) for key in keys)) == []
    assert sorted(k for k in kinds if not any(key.startswith(f"{k}.") for key in keys)) == []


def test_a_key_defined_twice_in_one_language_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / "en").mkdir(exist_ok=True)
        (tmp_path / "en" / name).write_text("same_key: text\n", encoding="utf-8")
    monkeypatch.setattr("simulator.i18n.CATALOGUE_DIR", tmp_path)
    with pytest.raises(CatalogueError, match="same_key"):
        _read_language("en")
    assert tmp_path != CATALOGUE_DIR


def test_a_catalogue_file_must_map_keys_to_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "bad.yaml").write_text("key:\n  nested: text\n", encoding="utf-8")
    monkeypatch.setattr("simulator.i18n.CATALOGUE_DIR", tmp_path)
    with pytest.raises(CatalogueError, match="bad.yaml"):
        _read_language("en")


def test_every_rule_check_has_a_display_name_in_every_language() -> None:
    # A finding is shown by its rule's name, never its id (``missing_closing`` on a trainee's screen).
    from simulator.grading.rules import RULES

    for language in CATALOGUE_LANGUAGES:
        strings = catalogue(language)
        assert sorted(rule for rule in RULES if f"rule.{rule}" not in strings) == [], language


def test_every_limit_unit_has_a_name_in_every_language() -> None:
    # a YAML limit message names its unit through ``limit.unit.<unit>`` (``safe_yaml.over_limit``)
    from simulator.limits import REGISTRY

    for language in CATALOGUE_LANGUAGES:
        strings = catalogue(language)
        named = {key.removeprefix("limit.unit.") for key in strings if key.startswith("limit.unit.")}
        assert sorted({limit.unit for limit in REGISTRY.values()} - named) == [], language


def test_a_list_of_keys_is_rendered_part_by_part_in_the_readers_language() -> None:
    values = {"id": "p", "name": "李明", "conflicts_keys": "check.fit.gender check.fit.relation"}
    values |= {"gender": "male", "fit_genders": "female"}
    values |= {"relation": "family_member", "fit_relations": "account_holder"}
    assert "gender 'male' (fits: female); relation 'family_member'" in render("check.persona_misfit", "en", values)
    assert "gender 是 'male'(适配:female);relation 是" in render("check.persona_misfit", "zh-CN", values)


def test_every_call_fills_the_placeholders_of_its_key() -> None:
    # ``t("exported", lang, name=...)`` where the text also says {folder} raised KeyError on screen.
    english = catalogue("en")
    missing: list[str] = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and _called_name(node) in {"t", "render"} and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and first.value in english):
                continue
            if any(keyword.arg is None for keyword in node.keywords) or len(node.args) > 2:
                continue  # values passed as **mapping or a dict: not checkable here
            given = {keyword.arg for keyword in node.keywords}
            wanted = placeholders(english[str(first.value)])
            if wanted - given:
                missing.append(f"{path.name}:{node.lineno} {first.value}: {sorted(wanted - given)}")
    assert missing == []


def test_the_browser_gets_gradios_missing_status_key_in_both_languages() -> None:
    """Gradio announces 'common.complete' to screen readers and ships no text for it."""
    from simulator.app.i18n import translations

    assert translations("en")["common.complete"] == "Done"
    assert translations("zh-CN")["common.complete"] == "完成"
