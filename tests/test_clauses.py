"""Whole-clause matching of the trainer's literal lists, and brush-offs as forbidden phrasing."""

from __future__ import annotations

import pytest

from simulator.clauses import clause_matcher, clauses
from simulator.config import PROJECT_DIR
from simulator.content import load_library
from simulator.models import DialogueAct, Language, Rubric
from simulator.recognizer import recognize

ZH = clause_matcher(
    ["这是规定", "系统就是这样", "我也没办法", "没办法"],
    leading=["那", "反正", "对不起", "真的"],
    trailing=["啊", "了", "的"],
)
EN = clause_matcher(
    ["that's the policy", "that's just how the system works", "I'm calling about*", "*is this customer service"],
    leading=["well", "sorry", "but"],
    trailing=["sorry", "i'm afraid"],
)


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        ("这是规定。", ["这是规定"]),
        ("没办法，这是规定的。", ["没办法", "这是规定的"]),
        ("那我也没办法了啊！", ["那我也没办法了啊"]),
        ("反正系统就是这样", ["反正系统就是这样"]),
        # a polite explanation that happens to start with the same words is not a brush-off
        ("这是规定的7天时限，不过我可以帮您申请延期。", []),
        ("系统就是这样计算运费的：首重10元，续重每公斤2元。", []),
        ("我们的规定是七天内可以退，我现在就帮您申请。", []),
        ("真的没办法吗？我帮您再查一下。", []),
    ],
)
def test_chinese_brush_offs_match_whole_clauses_only(text: str, quotes: list[str]) -> None:
    assert ZH.quotes(text) == quotes


@pytest.mark.parametrize(
    ("text", "quotes"),
    [
        ("Sorry, that’s the policy.", ["that’s the policy"]),
        ("Well that's just how the system works, I'm afraid.", ["Well that's just how the system works"]),
        ("That's the policy for opened items, but I can offer you an exchange.", []),
        ("THAT'S THE POLICY!", ["THAT'S THE POLICY"]),
        ("Hi, I'm calling about my bill", ["I'm calling about my bill"]),
        ("I'm calling aboutface", []),
        ("Hello, is this customer service?", ["is this customer service"]),
    ],
)
def test_english_phrases_fold_case_quotes_and_fillers(text: str, quotes: list[str]) -> None:
    assert EN.quotes(text) == quotes


def test_clauses_are_verbatim_and_numbers_do_not_split() -> None:
    text = "运费3.5元，6:05前送到。 Paid $1,200.50 today!"
    assert [c.text for c in clauses(text)] == ["运费3.5元", "6:05前送到", "Paid $1,200.50 today"]
    assert all(text[c.start : c.start + len(c.text)] == c.text for c in clauses(text))


def test_a_phrase_made_only_of_fillers_matches_nothing() -> None:
    matcher = clause_matcher(["啊"], trailing=["啊"])
    assert matcher.quotes("啊，好的。") == ["啊"]
    assert clause_matcher(["那"], leading=["那"]).quotes("那这样吧") == []


# ---------------------------------------------------------------------------------------------
# The rubric's brush-offs reach the recogniser as forbidden phrasing


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_library(PROJECT_DIR).require_rubric()


@pytest.mark.parametrize(
    ("language", "text", "quote"),
    [
        ("zh-CN", "不好意思，这是规定。", "这是规定"),
        ("zh-CN", "系统就是这样，我也没办法。", "系统就是这样"),
        ("en", "Sorry, that's our policy.", "that's our policy"),
        ("en", "My hands are tied, I'm afraid.", "My hands are tied"),
    ],
)
def test_brush_offs_are_forbidden_phrasing(rubric: Rubric, language: Language, text: str, quote: str) -> None:
    turn = recognize(text, language, rubric=rubric)
    assert turn.has(DialogueAct.forbidden_phrase)
    assert quote in turn.forbidden
    assert all(q in text for q in turn.forbidden)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-CN", "这是规定的7天时限，不过我可以帮您申请特殊处理。"),
        ("zh-CN", "系统就是这样计算的：超出部分按每GB 3元收取，我帮您申请减免一半。"),
        ("en", "That's the policy for opened items, but I can offer you a fee-free exchange."),
        ("en", "The system won't let me refund before inspection, so I'll flag it as urgent for you."),
    ],
)
def test_polite_explanations_are_not_brush_offs(rubric: Rubric, language: Language, text: str) -> None:
    turn = recognize(text, language, rubric=rubric)
    assert not turn.forbidden
