"""The one mood scale every view shows: 0-10 where 10 is furious (the transcript contract's
``state.mood`` and the persona's ``starting_mood``), named in bands and always with a legend."""

from __future__ import annotations

from simulator.i18n import t

#: Highest mood of each named band, calm to furious (the meter's colours follow the same bands).
_BANDS: tuple[tuple[int, str], ...] = ((3, "mood_calm"), (6, "mood_annoyed"), (8, "mood_angry"), (10, "mood_furious"))


def mood_band(mood: int) -> str:
    """The catalogue key naming ``mood``'s band (``mood_calm`` … ``mood_furious``)."""
    for top, key in _BANDS:
        if mood <= top:
            return key
    return _BANDS[-1][1]


def mood_text(mood: int, lang: str) -> str:
    """``mood 7/10 · angry`` in ``lang``."""
    return t("mood_value", lang, mood=mood, band=t(mood_band(mood), lang))


def mood_legend(lang: str) -> str:
    """The scale's legend: ``mood 0-10: 0 = calm, 10 = furious``."""
    return t("mood_legend", lang)
