"""The commitment checks the LLM judge reports besides its scores (issue 12 item 2, issue 13 item 6).

The rule checks find commitments that break the case by meaning (``simulator.grading.rules``:
an offer the customer turns down, a result the agent's systems cannot produce, an invented
reference or checked fact, a hedge instead of a commitment). The judge reads the same case and
reports them too, under ``commitment_flags``: ``{"rule", "turn", "quote"}`` per agent turn.

* **Which checks.** Those described in ``prompts/judge_commitments.<language>.md`` whose id the
  rule checks know (``rules.RULES``), in the rules' order; the reply schema enumerates exactly
  those ids, so a flag means what the rule's own finding means. A check the rules do not know
  (yet) is not offered.
* **What a flag becomes.** It needs a verified, substantial quote from an agent turn
  (``judge_reply.check_evidence``). Where the rule checks already found that rule on that turn it
  adds nothing; elsewhere it becomes an ``info`` finding, :data:`FLAG_RULE`, asking a mentor to
  review the turn (one per turn). The judge's precision on these has not been measured, so it
  points a mentor at a turn and never costs the trainee anything by itself; its scores already
  weigh the commitment.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import ConfigDict, Field, create_model

from simulator.config import PROMPT_DIR
from simulator.grading.judge_reply import check_evidence
from simulator.grading.rules import RULES
from simulator.i18n import t
from simulator.models import Finding, Language, Transcript

#: The key of the judge's reply that lists the flagged commitments.
COMMITMENTS_KEY = "commitment_flags"
#: Flags one reply may carry.
MAX_FLAGS = 8
#: Rule id of the finding a flag becomes (shown to mentors; hurts no criterion).
FLAG_RULE = "judge_commitment_flag"


_SECTION = re.compile(r"^##\s+(\w+)\s*$")
_ITEM = re.compile(r"^-\s+(\w+):\s+(.+)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@cache
def texts(language: Language) -> dict[str, Any]:
    """The file's ``prompt`` section (text) and its ``labels`` / ``descriptions`` (``{rule: text}``)."""
    raw = _COMMENT.sub("", (PROMPT_DIR / f"judge_commitments.{language}.md").read_text(encoding="utf-8"))
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in raw.splitlines():
        heading = _SECTION.match(line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
            continue
        if current is not None:
            current.append(line)

    def items(name: str) -> dict[str, str]:
        found = (_ITEM.match(line) for line in sections.get(name, []))
        return {match.group(1): match.group(2).strip() for match in found if match}

    return {
        "prompt": "\n".join(sections.get("prompt", [])).strip(),
        "labels": items("labels"),
        "descriptions": items("descriptions"),
    }


def reportable_rules() -> tuple[str, ...]:
    """Ids of the commitment checks the judge may flag: described ones the rule checks know."""
    described = texts("en")["descriptions"]
    return tuple(rule for rule in RULES if rule in described)


def render(language: Language) -> str:
    """The section of the judge's instructions that asks for the flags ("" when none is reportable)."""
    rules = reportable_rules()
    if not rules:
        return ""
    descriptions = texts(language)["descriptions"]
    listed = "\n".join(f"- `{rule}`: {descriptions[rule]}" for rule in rules)
    return str(texts(language)["prompt"]).replace("{rules}", listed)


def schema_fields(rules: tuple[str, ...]) -> dict[str, Any]:
    """The reply-schema field for the flags (``create_model`` form), or none without ``rules``."""
    if not rules:
        return {}
    flag = create_model(
        "CommitmentFlag",
        __config__=ConfigDict(extra="forbid"),
        __doc__="One agent turn whose commitment one of the listed checks describes.",
        # An explicit enum (pydantic writes a one-value Literal as "const"); membership is checked on
        # reading anyway.
        rule=(
            str,
            Field(
                description="Which check: one of the rule ids listed in the instructions.",
                json_schema_extra={"enum": list(rules)},
            ),
        ),
        turn=(int, Field(description="0-based index of the agent turn, as given by its `turn` field.")),
        quote=(
            str,
            Field(
                description=(
                    "Text copied character for character from that agent turn: at least 6 Chinese characters "
                    "or 3 words, or the whole turn when it is shorter."
                )
            ),
        ),
    )
    field_type: Any = list[flag]  # type: ignore[valid-type]
    return {
        "commitment_flags": (
            field_type,
            Field(
                alias=COMMITMENTS_KEY,
                max_length=MAX_FLAGS,
                description="Agent turns whose commitment one of the listed checks describes; empty if none.",
            ),
        )
    }


def reported(
    payload: dict[str, Any], body: dict[str, Any], transcript: Transcript, findings: list[Finding]
) -> list[Finding]:
    """Findings for the flags in one judge reply that neither the rules nor an earlier reply raised."""
    items = payload.get(COMMITMENTS_KEY, body.get(COMMITMENTS_KEY))
    if not isinstance(items, list):
        return []
    allowed = set(reportable_rules())
    labels = texts(transcript.language)["labels"]
    found = {(f.rule, f.turn) for f in findings}
    flagged = {f.turn for f in findings if f.rule == FLAG_RULE}
    result: list[Finding] = []
    for item in items:
        rule = item.get("rule") if isinstance(item, dict) else None
        if not isinstance(rule, str) or rule not in allowed:
            continue
        for evidence in check_evidence([item], transcript).kept:
            if (rule, evidence.turn) in found or evidence.turn in flagged:
                continue
            flagged.add(evidence.turn)
            result.append(
                Finding(
                    rule=FLAG_RULE,
                    severity="info",
                    turn=evidence.turn,
                    quote=evidence.quote,
                    message=t("judge.commitment_flag", transcript.language, label=labels[rule], quote=evidence.quote),
                )
            )
    return result


__all__ = [
    "COMMITMENTS_KEY",
    "FLAG_RULE",
    "render",
    "reportable_rules",
    "reported",
    "schema_fields",
    "texts",
]
