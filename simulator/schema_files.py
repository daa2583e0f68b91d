"""JSON Schemas of the content and transcript models, kept as files for editors.

Every YAML file points its ``yaml-language-server`` comment at one of these files, so editors
autocomplete and validate it. ``python -m simulator.schema_files`` rewrites them after a model
change; a test fails when they drift.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from simulator.config import SCHEMA_DIR
from simulator.models import Case, GradeReport, Persona, Rubric, Transcript
from simulator.programme.models import Curriculum, ProgrammePolicy, QuestionFile

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "persona": Persona,
    "case": Case,
    "rubric": Rubric,
    "transcript": Transcript,
    "grade-report": GradeReport,
    "question": QuestionFile,
    "curriculum": Curriculum,
    "programme": ProgrammePolicy,
}


def schema_for(kind: str) -> dict[str, Any]:
    """Generate the JSON Schema for ``kind`` from its pydantic model."""
    schema = SCHEMA_MODELS[kind].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text(kind: str) -> str:
    """The schema as the exact text stored in ``simulator/schemas/<kind>.schema.json``."""
    return json.dumps(schema_for(kind), ensure_ascii=False, indent=2) + "\n"


def write_schema_files() -> list[str]:
    """Rewrite every schema file; return the names written."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    names = []
    for kind in SCHEMA_MODELS:
        path = SCHEMA_DIR / f"{kind}.schema.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        names.append(path.name)
    return names


if __name__ == "__main__":
    print("\n".join(write_schema_files()))
