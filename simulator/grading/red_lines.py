"""Red lines: critical errors that fail a session whatever its total (issue 12, item 1).

The rubric's ``critical_errors`` (per language, trainer-editable) say which red lines exist, what
they are called and why each fails a session. Each is detected in the agent's turns by:

- **its phrases** — a list trainers own, matched literally: confidence 1;
- **meaning**, for ``private_data_request``: the recogniser's score of the act on the sentence, with
  the clauses trainers list as saying a secret is not needed set aside (``private_requests``);
- **the case's policy**, for ``promise_beyond_policy``: ``commitment_checks.promises_beyond_policy``
  (``docs/commitments.md``): amounts over the limit and forbidden promise wording are certain
  (confirmed); every other offer, promise or claim is scored by the learned limit-breach scorer
  (``limit_breach``: closeness to the case's limits, the recogniser's acts, an invented reference),
  confirmed at or above this kind's fail line and flagged for review at or above its review line.
  Without a fitted scorer, a match to a ``must_not_promise`` limit by meaning carries the dev
  precision of its line as confidence and goes to review;
- **learned detectors**, for ``unsafe_advice``, ``other_person_data`` and ``insult_or_threat``: every
  agent sentence scored by its kind's logistic regression (``red_line_detectors``: e5 vector and act
  scores), confirmed at or above the kind's fail line in ``red_line_detectors.json`` and flagged for
  review at or above its review line.

A hit at or above the confidence threshold chosen on dev for its kind and language
(``grader_thresholds.yaml``, precision target there) is *confirmed*: the session fails and compliance
is capped at 1. Below it — or for a kind with no threshold chosen yet — the turn is flagged for a
mentor's review and the score is left alone. ``docs/red-lines.md`` is the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from simulator.grading.commitment_checks import promises_beyond_policy
from simulator.grading.limit_breach import breach_model, certain_breaches, scored_candidates
from simulator.grading.private_requests import request_score
from simulator.grading.red_line_corpus import DETECTED
from simulator.grading.red_line_detectors import detector_hits, fail_line
from simulator.grading.thresholds import LimitBreachModel, red_line_threshold
from simulator.lexicon import keyword_pattern
from simulator.models import CriticalErrorRule, Language, RedLine
from simulator.quotes import verify_agent_quote
from simulator.recognizer import not_request_clauses, ordinary_references

if TYPE_CHECKING:
    from simulator.grading.rules import RuleContext

Source = Literal["recogniser", "phrase_list", "policy", "judge"]


@dataclass(frozen=True)
class RedLineScan:
    """The red lines of one transcript: confirmed (fail the session) and for review."""

    confirmed: list[RedLine] = field(default_factory=list)
    review: list[RedLine] = field(default_factory=list)


def quote_for(ctx: RuleContext, turn: int, text: str) -> str:
    """``text`` as whole-clause evidence of agent turn ``turn`` (the whole turn when it is short)."""
    checked = verify_agent_quote(ctx.transcript, turn, text)
    return checked.evidence.quote if checked.evidence is not None else text


def _hit(ctx: RuleContext, rule: CriticalErrorRule, turn: int, text: str, confidence: float, source: Source) -> RedLine:
    return RedLine(
        kind=rule.kind,
        name=rule.name,
        turn=turn,
        quote=quote_for(ctx, turn, text),
        why=rule.why,
        confidence=round(confidence, 4),
        source=source,
    )


def _phrase_hits(ctx: RuleContext, rule: CriticalErrorRule) -> list[RedLine]:
    pattern = keyword_pattern(rule.phrases, inflect=ctx.language == "en")
    if pattern is None:
        return []
    hits = []
    for turn, recognized in ctx.credited.items():
        for sentence in recognized.sentences:
            if pattern.search(sentence.text):
                hits.append(_hit(ctx, rule, turn, sentence.text, 1.0, "phrase_list"))
    return hits


def _recognised_hits(ctx: RuleContext, rule: CriticalErrorRule) -> list[RedLine]:
    hits = []
    not_requests = not_request_clauses(ctx.rubric, ctx.language)
    references = ordinary_references(ctx.rubric, ctx.language)
    for turn, recognized in ctx.credited.items():
        for sentence in recognized.sentences:
            score = request_score(sentence, not_requests, references)
            if score is not None:
                hits.append(_hit(ctx, rule, turn, sentence.text, score, "recogniser"))
    return hits


def _policy_hits(ctx: RuleContext, rule: CriticalErrorRule) -> list[RedLine]:
    """Structural breaches (certain), and the scorer's hits at or above a line of their language."""
    model = breach_model()
    if model is None:
        hits = []
        for breach in promises_beyond_policy(ctx):
            source: Source = "recogniser" if breach.found_by == "meaning" else "policy"
            hits.append(_hit(ctx, rule, breach.turn, breach.quote, breach.confidence, source))
        return hits
    # With the scorer, meaning matches and forbidden keywords in a sentence that keeps to a limit are
    # the scorer's to judge.
    hits = [_hit(ctx, rule, b.turn, b.quote, b.confidence, "policy") for b in certain_breaches(ctx)]
    return hits + _scored_hits(ctx, rule, model)


def _scored_hits(ctx: RuleContext, rule: CriticalErrorRule, model: LimitBreachModel) -> list[RedLine]:
    lines = [red_line_threshold(rule.kind, ctx.language)]
    review = model.review.get(ctx.language)
    lines.append(review.min_probability if review else None)
    lowest = min((line for line in lines if line is not None), default=None)
    if lowest is None:
        return []
    return [
        _hit(ctx, rule, candidate.turn, candidate.quote, probability, "recogniser")
        for candidate, probability in scored_candidates(ctx, model)
        if probability >= lowest
    ]


def _detected_hits(ctx: RuleContext, rule: CriticalErrorRule) -> list[RedLine]:
    """The learned detector's sentences at or above its review line (the kinds of ``red_line_corpus.DETECTED``)."""
    if rule.kind not in DETECTED:
        return []
    return [
        _hit(ctx, rule, hit.turn, hit.quote, hit.probability, "recogniser") for hit in detector_hits(ctx, rule.kind)
    ]


def scan_red_lines(ctx: RuleContext) -> RedLineScan:
    """Every red line of the rubric (in the transcript's language) found in the agent's turns.

    One hit per red line and turn, the surest kept. Text aimed at the grader is left out first
    (``ctx.credited``), so a note to the grader can neither cross nor hide a red line.
    """
    best: dict[tuple[str, int], RedLine] = {}
    for rule in ctx.rubric.critical_errors.get(ctx.language, []):
        hits = _phrase_hits(ctx, rule)
        if rule.kind == "private_data_request":
            hits += _recognised_hits(ctx, rule)
        elif rule.kind == "promise_beyond_policy":
            hits += _policy_hits(ctx, rule)
        else:
            hits += _detected_hits(ctx, rule)
        for hit in hits:
            key = (hit.kind, hit.turn)
            if key not in best or (hit.confidence or 0.0) > (best[key].confidence or 0.0):
                best[key] = hit
    scan = RedLineScan()
    for hit in sorted(best.values(), key=lambda h: (h.turn, h.kind)):
        (scan.confirmed if confirmed(hit, ctx.language) else scan.review).append(hit)
    return scan


def confirmed(hit: RedLine, language: Language) -> bool:
    """True when ``hit`` fails the session: a listed phrase or the policy, or a recognised hit at or
    above the threshold chosen on dev for its kind and language (``grader_thresholds.yaml``, else the
    learned detector's fail line; none chosen: review only)."""
    if hit.source in ("phrase_list", "policy"):
        return True
    if hit.source == "judge":
        return False  # the judge's precision has not been measured: a mentor decides
    threshold = red_line_threshold(hit.kind, language)
    if threshold is None:
        threshold = fail_line(hit.kind, language)
    return threshold is not None and hit.confidence is not None and hit.confidence >= threshold
