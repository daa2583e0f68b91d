"""Structure in agent and customer text, found with regular expressions.

Only form, never meaning: money amounts, dates and times, order and reference ids, phone or card
tails, masked values from exported chat logs (``[数字x]``, ``[ORDER_ID]``, ``***``) and the
grammatical marks of a question (a question mark, a final 吗/呢, an English sentence that opens
with an auxiliary or a wh-word). What a sentence *does* is learned (``simulator.recognition``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.models import Language

_FLAGS = re.IGNORECASE

# Amounts: "¥50", "50元", "50块钱", "$49.99", "20 pounds", "EUR 12".
_AMOUNT: dict[Language, re.Pattern[str]] = {
    "zh-CN": re.compile(
        r"(?:[¥￥]\s*(?P<a1>\d+(?:\.\d+)?))|(?:(?P<a2>\d+(?:\.\d+)?)\s*(?:元|块|RMB|CNY|人民币))", _FLAGS
    ),
    "en": re.compile(
        r"(?:[£$€]\s*(?P<a1>\d+(?:\.\d+)?))|(?:(?P<a2>\d+(?:\.\d+)?)\s*(?:pounds|dollars|euros|bucks|GBP|USD|EUR))"
        r"|(?:(?:GBP|USD|EUR)\s*(?P<a3>\d+(?:\.\d+)?))",
        _FLAGS,
    ),
}

# Dates, times and durations that pin a commitment down: "明天下午三点前", "3个工作日内", "by Friday".
_NUMERAL = "[一二三四五六七八九十两半0-9]"
_TIME: dict[Language, re.Pattern[str]] = {
    "zh-CN": re.compile(
        r"\d|今天|明天|后天|今晚|明早|明晚|当天|下周|本周|这周|月底|周[一二三四五六日天末]|星期[一二三四五六日天]"
        rf"|{_NUMERAL}+\s*(?:个)?(?:小时|分钟|天|个?工作日|周|星期|月|点|号|日)",
        _FLAGS,
    ),
    "en": re.compile(
        r"\d|\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week)|next (?:week|month)"
        r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|end of (?:the )?(?:day|week|month))\b"
        r"|\b(?:one|two|three|four|five|six|seven|ten|twelve|fifteen|twenty|thirty|forty-eight|a couple of)"
        r" (?:minutes?|hours?|days?|weeks?|business days?|working days?)\b",
        _FLAGS,
    ),
}

# Ids the customer or the agent reads out: order numbers, tickets, tracking codes ("PW2039118",
# "#A-204117", "工单号 88120"), at least five digits with an optional letter prefix.
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])#?[A-Za-z]{0,4}-?\d{5,}(?![0-9])")
# A phone or card tail: "尾号3851", "后四位 3851", "ending in 3851", "last four digits 3851".
_TAIL = re.compile(
    r"(?:尾号|后[四六4-6]位(?:是|为)?|末[四六4-6]位(?:是|为)?|ending (?:in|with)"
    r"|last (?:four|4|six|6) (?:digits )?(?:are |is )?)"
    r"\s*[:：]?\s*\d{3,6}",
    _FLAGS,
)
# Masked values in exported logs: "[数字x]", "[ORDER_ID]", "[手机号]", "***", "138****5678", "XXXX".
_MASK = re.compile(r"\[[^\[\]\n]{1,24}\]|【[^【】\n]{1,24}】|\*{3,}|(?<![A-Za-z])[Xx]{4,}(?![A-Za-z])")

# The grammatical marks of a question.
_QUESTION_MARK = re.compile(r"[?？]")
_ZH_FINAL_PARTICLE = re.compile(r"(?:吗|呢|(?<![什怎那这多])么)[\s。.!！~～]*$")
_ZH_INTERROGATIVE = re.compile(
    r"(?<![没不])什么|为什么|怎么|怎样|多少|哪[个里天款位些一儿]|几[号点月天个位次]|是否|能否|能不能|可不可以|可否|有没有|是不是|要不要|对不对|行不行"
)
_EN_QUESTION_OPENING = re.compile(
    r"^\W*(?:what|which|when|where|who|whose|why|how|could|can|would|will|may|might|shall|should|do|did|does"
    r"|is|are|am|have|has|was|were)\b",
    _FLAGS,
)


@dataclass(frozen=True)
class Amount:
    """A money amount found in a text, with the exact words."""

    value: float
    quote: str


def amounts(text: str, language: Language) -> list[Amount]:
    """Every money amount in ``text``."""
    found = []
    for match in _AMOUNT[language].finditer(text):
        number = next((value for value in match.groupdict().values() if value), None)
        if number is not None:
            found.append(Amount(float(number), match.group(0)))
    return found


def names_time(text: str, language: Language) -> bool:
    """True when ``text`` names a number, a date, a time or a duration."""
    return bool(_TIME[language].search(text))


def has_identifier(text: str) -> bool:
    """True when ``text`` contains an order, ticket or tracking id (five digits or more)."""
    return bool(_IDENTIFIER.search(text))


def has_tail(text: str) -> bool:
    """True when ``text`` gives or asks for the last digits of a phone or card, with the digits."""
    return bool(_TAIL.search(text))


def has_mask(text: str) -> bool:
    """True when ``text`` holds a masked value from an exported log."""
    return bool(_MASK.search(text))


def has_digit(text: str) -> bool:
    """True when ``text`` has a digit."""
    return any(char.isdigit() for char in text)


def question_form(sentence: str, language: Language) -> bool:
    """True when ``sentence`` has the grammatical form of a question.

    A question mark anywhere; in Chinese also a final 吗/呢/么 or an interrogative word (什么, 多少,
    哪天, 能不能, …); in English also an opening auxiliary or wh-word ("Could you…", "When…").
    Requests without that form ("Your full name and ZIP code will do") are recognised by
    meaning, not here.
    """
    if _QUESTION_MARK.search(sentence):
        return True
    if language == "zh-CN":
        return bool(_ZH_FINAL_PARTICLE.search(sentence) or _ZH_INTERROGATIVE.search(sentence))
    return bool(_EN_QUESTION_OPENING.search(sentence))


# One Latin-script word with nothing but punctuation around it ("Correct.", "Right!", "Done").
_LONE_WORD = re.compile(r"^[^\w?？]*[A-Za-z][A-Za-z'’-]*[^\w?？]*$")


def lone_word(sentence: str) -> bool:
    """True when ``sentence`` is a single Latin-script word without a question mark ("Correct.").

    Such a word asks only by its form: the recogniser reads "Correct." as ``confirm_need`` (the act of
    checking what the customer wants), but alone it confirms, it does not ask.
    """
    return bool(_LONE_WORD.match(sentence))
