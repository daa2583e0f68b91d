"""Pydantic schemas for everything drill reads or writes.

Content (personas, cases, rubric) is authored by trainers as YAML and validated here with
unknown keys rejected; transcripts and grade reports are the JSON contracts of DESIGN.md.
Every field carries a description so that the generated JSON Schema documents itself for
editors (see ``simulator/schemas/``).

One module per contract: ``base`` (the strict base model and shared field types), ``acts`` (the
dialogue-act vocabulary), ``identity`` (who the customer is), ``persona``, ``case``, ``rubric``,
``transcript`` and ``grade_report``. Callers import from ``simulator.models``; the names below
are the package's public surface.
"""

from __future__ import annotations

from simulator.models.acts import (
    LEARNED_ACTS,
    STRUCTURAL_ACTS,
    DialogueAct,
)
from simulator.models.base import (
    LANGUAGES,
    Difficulty,
    Language,
    LocalizedList,
    LocalizedText,
    Mood,
    NonEmpty,
    Slug,
    StrictModel,
    TraineeView,
)
from simulator.models.case import (
    CHANNELS,
    AgentSystems,
    Case,
    CaseCategory,
    Channel,
    FactKind,
    HiddenFact,
    Industry,
    PhraseStage,
    PolicyLimits,
    RecommendedPhrase,
    Resolution,
    Start,
)
from simulator.models.grade_report import (
    CriterionScore,
    Evidence,
    Finding,
    GradeReport,
    GraderInfo,
    RedLine,
    TurnAnnotation,
)
from simulator.models.identity import (
    AgeRange,
    CustomerIdentity,
    Gender,
    Relation,
)
from simulator.models.persona import (
    Archetype,
    Behaviour,
    OpeningPrefixes,
    Persona,
    PersonaFits,
    ScriptLines,
    SpeechStyle,
    Temperament,
)
from simulator.models.rubric import (
    ClauseFillers,
    ClausePhrase,
    ContentCues,
    Criterion,
    CriticalErrorKind,
    CriticalErrorRule,
    GenderedWords,
    LanguageRules,
    Rubric,
)
from simulator.models.transcript import (
    CustomerState,
    Outcome,
    Transcript,
    Turn,
)

__all__ = [
    "AgeRange",
    "AgentSystems",
    "Archetype",
    "Behaviour",
    "CHANNELS",
    "Case",
    "CaseCategory",
    "Channel",
    "ClauseFillers",
    "ClausePhrase",
    "ContentCues",
    "Criterion",
    "CriterionScore",
    "CriticalErrorKind",
    "CriticalErrorRule",
    "CustomerIdentity",
    "CustomerState",
    "DialogueAct",
    "Difficulty",
    "Evidence",
    "FactKind",
    "Finding",
    "Gender",
    "GenderedWords",
    "GradeReport",
    "GraderInfo",
    "HiddenFact",
    "Industry",
    "LANGUAGES",
    "LEARNED_ACTS",
    "Language",
    "LanguageRules",
    "LocalizedList",
    "LocalizedText",
    "Mood",
    "NonEmpty",
    "OpeningPrefixes",
    "Outcome",
    "Persona",
    "PersonaFits",
    "PhraseStage",
    "PolicyLimits",
    "RecommendedPhrase",
    "RedLine",
    "Relation",
    "Resolution",
    "Rubric",
    "STRUCTURAL_ACTS",
    "ScriptLines",
    "Slug",
    "SpeechStyle",
    "Start",
    "StrictModel",
    "Temperament",
    "TraineeView",
    "Transcript",
    "Turn",
    "TurnAnnotation",
]
