"""Reading the LLM judge's reply: lenient JSON extraction, per-criterion validation, quote checks.

Validation is per criterion on purpose (inspect_ai's lesson): a reply whose ``clarity`` score is 7
still carries five usable criteria, and a reply that cannot be used at all leaves criteria
*unscored* with a reason, never at 0.

Quote verification is ``simulator.quotes.verify_agent_quote``: a quote counts only if it is found,
after normalisation (NFKC, punctuation and quotation-mark folding, whitespace, ellipsis joins), in
the *agent* turn it cites, and holds at least 6 CJK characters or 3 words as cited (or is the
whole, shorter turn). The stored quote is always the turn's own whole-clause text, never the
model's version. A quote that is not there, is too short to prove anything ("H"), or cites a
customer turn or a turn that does not exist is dropped and reported in ``dropped_quotes``.

Basis. An entry may say ``"basis": "absence"`` when its level rests on something that did not
happen (no violation, a step never taken); the judge believes it only when the criterion still
cites a verified agent quote (``judge._anchor_absence_claims``). Any other level rests on what the agent did and needs a
verified quote, else the report marks the criterion unsupported (``aggregate.unsupported_criteria``).

Evidence rule (what happens to a score whose evidence was dropped):

* at least one quote verified: the score stands; if some quotes were dropped, the rationale says
  how many;
* no quote verified and the score is 2, 3 or 4: the score stands with a note in the rationale
  that no quote supports it — a middling score moves the total little and is the judge's honest
  "nothing stood out";
* no quote verified and the score is 1 or 5: the criterion is left **unscored** (and retried while
  attempts remain). An extreme score swings the total most and is exactly what a hallucinating
  judge, or one swayed by text in the transcript, produces; the issue's "every score points at
  quoted turns" is enforced where it matters most.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from simulator.i18n import t
from simulator.models import CriterionScore, Evidence, Language, Transcript
from simulator.quotes import locate, verify_agent_quote

#: Scores that need at least one verified quote to stand.
EXTREME_SCORES = frozenset({1, 5})


def message(language: Language, key: str, **values: Any) -> str:
    """A judge message in ``language``."""
    return t(f"judge.{key}", language, **values)


# ---------------------------------------------------------------------------------------------
# JSON extraction


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*(.*?)\s*```\s*$", re.DOTALL)


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in ``text`` (bare, in a code fence, or surrounded by prose), else None."""
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            block if isinstance(block, str) else str(block.get("text", ""))
            for block in content
            if isinstance(block, str | dict)
        )
    return ""


def payload_from(output: Mapping[str, Any]) -> dict[str, Any] | None:
    """The reply's JSON object from a ``structured_model`` output (``raw``/``parsed``), else None.

    Prefers what LangChain parsed; otherwise reads the tool call's arguments or the message text,
    so a reply that put the JSON in the wrong place (text instead of a tool call, or in a code
    fence) is still read.
    """
    parsed = output.get("parsed")
    if isinstance(parsed, BaseModel):
        parsed = parsed.model_dump(by_alias=True)
    if isinstance(parsed, dict) and parsed:
        return parsed
    raw = output.get("raw")
    for call in getattr(raw, "tool_calls", None) or []:
        args = call.get("args")
        if isinstance(args, dict) and args:
            return args
    for call in getattr(raw, "invalid_tool_calls", None) or []:
        found = json_object(str(call.get("args") or ""))
        if found:
            return found
    return json_object(_content_text(getattr(raw, "content", "")))


_ID_KEYS = ("criterion_id", "criterion", "id")


def unwrap(payload: dict[str, Any], criterion_ids: Sequence[str]) -> dict[str, Any]:
    """``payload`` keyed by criterion id, undoing common wrappers models add.

    Handles ``{"JudgeVerdict": {...}}``-style single-key wrappers and a list form
    ``{"criteria": [{"criterion_id": ..., ...}, ...]}``.
    """
    for _ in range(3):
        if any(cid in payload for cid in criterion_ids):
            return payload
        nested = [value for value in payload.values() if isinstance(value, dict)]
        if len(nested) == 1 and len(payload) <= 2:
            payload = nested[0]
            continue
        break
    for value in payload.values():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            by_id: dict[str, Any] = {}
            for item in value:
                key = next((str(item[k]) for k in _ID_KEYS if isinstance(item.get(k), str)), None)
                if key is not None and key in criterion_ids:
                    by_id[key] = item
            if by_id:
                return {**payload, **by_id}
    return payload


# ---------------------------------------------------------------------------------------------
# Quotes


def locate_quote(text: str, quote: str) -> str | None:
    """The exact slice of ``text`` that ``quote`` matches (normalised: see ``simulator.quotes``), else None."""
    span = locate(text, quote)
    return text[span[0] : span[1]] if span else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


@dataclass
class EvidenceCheck:
    """Quotes verified against the transcript, and those dropped."""

    kept: list[Evidence] = field(default_factory=list)
    dropped: list[Evidence] = field(default_factory=list)


def check_evidence(items: Any, transcript: Transcript) -> EvidenceCheck:
    """Verify each ``{turn, quote}`` of ``items`` with :func:`simulator.quotes.verify_agent_quote`.

    Entries without a usable turn index or quote text are ignored; a quote that is not found in its
    turn, is shorter than 6 CJK characters or 3 words (unless it is the whole turn), cites a turn
    that does not exist, or cites a customer or system turn is dropped. A kept quote is the turn's
    own whole-clause text. Duplicates are kept once.
    """
    check = EvidenceCheck()
    if not isinstance(items, list):
        return check
    for item in items:
        if not isinstance(item, dict):
            continue
        turn, quote = _as_int(item.get("turn")), item.get("quote")
        if turn is None or turn < 0 or not isinstance(quote, str) or not quote.strip():
            continue
        verified = verify_agent_quote(transcript, turn, quote, require_substantial=True)
        target, evidence = (
            (check.kept, verified.evidence)
            if verified.evidence is not None
            else (check.dropped, Evidence(turn=turn, quote=quote.strip()))
        )
        if evidence not in target:
            target.append(evidence)
    return check


# ---------------------------------------------------------------------------------------------
# Criteria


@dataclass(frozen=True)
class CriterionReading:
    """One criterion read from a reply: a usable score, or the problem that prevents one."""

    score: CriterionScore | None
    problem: str | None
    dropped: list[Evidence]


def _score(value: Any, language: Language) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, message(language, "no_score")
    number = _as_int(value)
    if number is None:
        return None, message(language, "bad_score", value=str(value)[:20])
    if not 1 <= number <= 5:
        return None, message(language, "out_of_range", value=number)
    return number, None


def _text(entry: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def read_criterion(
    criterion_id: str,
    entry: Any,
    transcript: Transcript,
    *,
    known_case_ids: Iterable[str],
) -> CriterionReading:
    """Validate one criterion's entry of the reply (see the module docstring for the evidence rule)."""
    language = transcript.language
    if entry is None:
        return CriterionReading(None, message(language, "missing"), [])
    if not isinstance(entry, dict):
        return CriterionReading(None, message(language, "not_object"), [])
    evidence = check_evidence(entry.get("evidence"), transcript)
    score, problem = _score(entry.get("score"), language)
    if score is None:
        return CriterionReading(None, problem, evidence.dropped)
    if not evidence.kept and score in EXTREME_SCORES:
        return CriterionReading(None, message(language, "extreme_without_evidence", score=score), evidence.dropped)

    notes = []
    if evidence.dropped:
        notes.append(message(language, "dropped_note", count=len(evidence.dropped)))
    if not evidence.kept:
        notes.append(message(language, "no_evidence_note"))
    rationale = " ".join(part for part in [_text(entry, "rationale"), *notes] if part)
    case_id = _text(entry, "source_case_id")
    source = case_id if case_id in set(known_case_ids) else None
    suggestion = _text(entry, "better_phrasing", "suggestion")
    if suggestion and source is not None and source != transcript.case_id:
        # Another situation's line: marked in code, whatever the prompt obtained from the model.
        suggestion = f"{message(language, 'other_case', case_id=source)} {suggestion}"
    result = CriterionScore(
        id=criterion_id,
        score=score,
        basis="absence" if _text(entry, "basis").lower() == "absence" else "action",
        evidence=evidence.kept,
        rationale=rationale,
        suggestion=suggestion,
        suggestion_case_id=source,
    )
    return CriterionReading(result, None, evidence.dropped)
