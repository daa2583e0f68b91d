"""Building blocks every drill schema shares: the strict base model, ids, moods and bilingual text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
Difficulty = Literal["easy", "medium", "hard"]
Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$", description="Lower-case id: letters, digits, '-' or '_'."),
]
Mood = Annotated[int, Field(ge=0, le=10, description="0 = calm and content, 10 = furious.")]
NonEmpty = Annotated[str, Field(min_length=1)]


class StrictModel(BaseModel):
    """Base for every schema: unknown keys are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TraineeView(Mapping[str, Any]):
    """The trainee-visible fields of a persona or a case, and nothing else.

    What the trainee side of the app shows about content is built from this view, so a field a
    model does not list in its ``TRAINEE_FIELDS`` (hidden facts, resolutions, policy, recommended
    phrasing, the persona card…) cannot reach a trainee by accident: asking for it raises
    ``AttributeError``. A trainee meets those fields only inside their own graded report.
    """

    def __init__(self, kind: str, values: dict[str, Any]):
        self._kind = kind
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._kind}.{name} is not visible to trainees (see TRAINEE_FIELDS)") from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class LocalizedText(StrictModel):
    """The same text in Chinese and English."""

    zh: NonEmpty = Field(description="Simplified Chinese text.")
    en: NonEmpty = Field(description="English text.")

    def get(self, language: Language) -> str:
        """Return the text for ``language``."""
        return self.zh if language == "zh-CN" else self.en


class LocalizedList(StrictModel):
    """The same list of items in Chinese and English (lists may differ in length)."""

    zh: list[NonEmpty] = Field(min_length=1, description="Items in Simplified Chinese.")
    en: list[NonEmpty] = Field(min_length=1, description="Items in English.")

    def get(self, language: Language) -> list[str]:
        """Return the items for ``language``."""
        return self.zh if language == "zh-CN" else self.en
