"""``evals/grader/manifest.yaml``: the frozen test split's hash and the history of the splits.

The manifest is what makes "frozen" checkable: ``load_grader_set`` recomputes the hash of
``test/`` on every load and refuses a set whose test files changed. The history records each
retirement (a test split that was consulted while tuning moves to ``dev/``), so a figure can
always be traced to the data that produced it. Format and rules: ``docs/grader-data.md``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from simulator.content_problems import ContentProblem
from simulator.content_validation import problems_from_validation
from simulator.content_yaml import ParsedFile, parse_yaml
from simulator.models import NonEmpty, StrictModel

SHA256_PATTERN = r"^[0-9a-f]{64}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class FrozenSplit(StrictModel):
    """The held-out split as it was frozen."""

    sha256: str = Field(pattern=SHA256_PATTERN, description="split_sha256() of test/ when it was frozen.")
    frozen_on: str = Field(pattern=DATE_PATTERN, description="Date the split was frozen (YYYY-MM-DD).")
    items: int = Field(ge=1, description="Number of labelled transcripts in it.")
    note: NonEmpty = Field(description="Where the material came from and who labelled it.")


class HistoryEntry(StrictModel):
    """One change to the splits."""

    date: str = Field(pattern=DATE_PATTERN, description="YYYY-MM-DD.")
    change: NonEmpty = Field(description="What moved where, and why.")


class RealLogs(StrictModel):
    """Where the real-log part lives."""

    labels: NonEmpty = Field(description="Folder of real-log label files, relative to the set folder.")
    transcripts: NonEmpty = Field(description="Where the transcripts are kept (they are not in this repository).")


class GraderManifest(StrictModel):
    """The whole manifest."""

    test: FrozenSplit = Field(description="The synthetic test split (test/).")
    real_test: FrozenSplit | None = Field(
        description=(
            "The real-log test split (real/test/); null while none is frozen (a retired split awaiting its "
            "successor), and real/test/ must then hold no label files."
        )
    )
    real_logs: RealLogs
    history: list[HistoryEntry] = Field(min_length=1)


def frozen_split_problem(
    parsed: ParsedFile, key: str, recorded: str, actual: str, folder: str
) -> ContentProblem | None:
    """A problem when a frozen split's files no longer hash to ``recorded``; ``None`` when they do."""
    if recorded == actual:
        return None
    line, col = parsed.positions.of_value((key, "sha256"))
    return ContentProblem(
        parsed.display,
        line,
        col,
        f"the {folder} split is frozen (recorded sha256 {recorded[:12]}…) but its files now hash to {actual[:12]}…; "
        f"a frozen split is never edited: restore {folder} from git, or retire it to dev/ and write a new split "
        "with a new manifest entry (docs/grader-data.md)",
    )


def load_manifest(path: Path, problems: list[ContentProblem]) -> tuple[GraderManifest, ParsedFile] | None:
    """Parse and validate ``path``; on failure append ``path:line:col`` problems and return ``None``."""
    parsed = parse_yaml(path, problems)
    if parsed is None:
        return None
    if not isinstance(parsed.data, dict):
        problems.append(
            ContentProblem(parsed.display, 1, 1, "expected a mapping with 'test', 'real_test', 'real_logs', 'history'")
        )
        return None
    try:
        return GraderManifest.model_validate(parsed.data), parsed
    except ValidationError as exc:
        problems.extend(problems_from_validation(parsed, GraderManifest, exc))
        return None
