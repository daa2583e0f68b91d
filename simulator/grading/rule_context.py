"""The rule checks' shared vocabulary: each rule's severity (``RULES``) and the context every check reads.

``RuleContext`` holds the transcript, the rubric, the case if known, and each agent turn recognised
once by ``simulator.recognizer``; the checks themselves live in ``simulator.grading.rules`` (what
is said) and ``simulator.grading.conversation_checks`` (how the conversation runs). What each rule
finds is documented in ``simulator.grading.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from simulator.grading import signals
from simulator.i18n import t
from simulator.models import Case, DialogueAct, Finding, Language, Rubric, Transcript
from simulator.recognizer import RecognizedTurn, recognize

if TYPE_CHECKING:
    from simulator.grading.red_lines import RedLineScan

Severity = Literal["info", "warning", "violation"]


@dataclass(frozen=True)
class RuleSpec:
    """One rule, its severity, and whether its quote is the fault itself.

    ``quote_at_fault`` is False for findings of an *absence* (no greeting, no closing, a question not
    answered, a turn too long): their quote only says where to look, so the quoted sentence can still
    earn credit for what it does well (``Measure.creditable``).
    """

    id: str
    severity: Severity
    quote_at_fault: bool = True


RULES: dict[str, RuleSpec] = {
    spec.id: spec
    for spec in (
        RuleSpec("forbidden_phrase", "violation"),
        RuleSpec("private_data_request", "violation"),
        RuleSpec("over_promise", "violation"),
        RuleSpec("grader_instruction", "violation"),
        RuleSpec("rating_request", "warning"),
        RuleSpec("unacceptable_offer", "warning"),
        RuleSpec("claim_beyond_systems", "violation"),
        RuleSpec("invented_detail", "warning"),
        RuleSpec("vague_commitment", "warning"),
        RuleSpec("missing_greeting", "warning", quote_at_fault=False),
        RuleSpec("missing_self_intro", "warning", quote_at_fault=False),
        RuleSpec("missing_closing", "warning", quote_at_fault=False),
        RuleSpec("jargon", "warning"),
        RuleSpec("long_turn", "warning", quote_at_fault=False),
        RuleSpec("unanswered_question", "warning", quote_at_fault=False),
        RuleSpec("critical_error", "violation"),
        RuleSpec("unfilled_placeholder", "warning"),
        RuleSpec("repeated_reply", "warning"),
        RuleSpec("red_line_review", "info"),
        RuleSpec("reference_retrieval_failed", "info"),
        RuleSpec("unknown_reference", "info"),
    )
}

# Acts that show an agent turn engages with what the customer asked.
SUBSTANTIVE_ACTS: frozenset[DialogueAct] = frozenset(
    {
        DialogueAct.ask_fact,
        DialogueAct.confirm_need,
        DialogueAct.offer_solution,
        DialogueAct.explain_policy,
        DialogueAct.give_proof,
        DialogueAct.promise,
        DialogueAct.refusal,
        DialogueAct.escalate,
        DialogueAct.private_data_request,  # engages with the matter, however wrongly (its own rule)
    }
)


# Sentences doing only these are courtesy: they never answer a question, however close in meaning.
COURTESY_ACTS: frozenset[DialogueAct] = frozenset(
    {
        DialogueAct.greeting,
        DialogueAct.self_intro,
        DialogueAct.apology,
        DialogueAct.empathy,
        DialogueAct.hold,
        DialogueAct.closing,
        DialogueAct.small_talk,
        DialogueAct.ask_repeat,
        DialogueAct.rating_request,
        DialogueAct.grader_note,
    }
)


@dataclass(frozen=True)
class RuleContext:
    """Everything the rule checks (and the offline grader) read, with each agent turn recognised once."""

    transcript: Transcript
    rubric: Rubric
    case: Case | None = None

    @property
    def language(self) -> Language:
        """The transcript's language."""
        return self.transcript.language

    @cached_property
    def recognized(self) -> dict[int, RecognizedTurn]:
        """Agent turn index -> what the recogniser found in it."""
        return {
            index: recognize(self.transcript.turns[index].text, self.language, case=self.case, rubric=self.rubric)
            for index in self.transcript.agent_turn_indices()
        }

    @cached_property
    def credited(self) -> dict[int, RecognizedTurn]:
        """Like ``recognized`` but with grader-directed sentences removed first.

        Checks that fire on an *absence* (no greeting, no closing, a question not addressed) read
        this, so text aimed at the grader can never make a finding go away.
        """
        credited = {}
        for index, recognized in self.recognized.items():
            text = self.transcript.turns[index].text
            asked = signals.asked_before(self.transcript.turns, index, self.language)
            clean = signals.without_grader_instructions(text, self.language, asked)
            same = clean == text
            credited[index] = (
                recognized if same else recognize(clean, self.language, case=self.case, rubric=self.rubric)
            )
        return credited

    def spoken(self, index: int) -> str:
        """What agent turn ``index`` says to the customer: its text without grader-directed parts.

        Findings quote from this, so a note to the grader never becomes the quote of another
        finding (every piece of it is still verbatim in the turn). Falls back to the full text
        when nothing else is left.
        """
        return self.credited[index].text or self.transcript.turns[index].text

    @cached_property
    def red_lines(self) -> RedLineScan:
        """The rubric's red lines found in the agent's turns (``simulator.grading.red_lines``)."""
        from simulator.grading.red_lines import scan_red_lines

        return scan_red_lines(self)

    @cached_property
    def bursts(self) -> list[list[int]]:
        """Runs of consecutive agent turns (one reply may be sent as several chat messages)."""
        runs: list[list[int]] = []
        previous = -2
        for index in self.transcript.agent_turn_indices():
            if index == previous + 1 and runs:
                runs[-1].append(index)
            else:
                runs.append([index])
            previous = index
        return runs

    @property
    def long_turn_chars(self) -> int | None:
        """The rubric's long-turn limit for this language (None when the rubric has no rules for it)."""
        rules = self.rubric.rules.get(self.language)
        return rules.long_turn_chars if rules else None

    def message(self, key: str, **values: object) -> str:
        """A finding message in the transcript's language."""
        return t(f"finding.{key}", self.language, **values)

    def finding(self, rule: str, turn: int | None, quote: str | None, **values: object) -> Finding:
        """A finding of ``rule`` with its message; ``quote`` must be verbatim in ``turn``."""
        return Finding(
            rule=rule,
            severity=RULES[rule].severity,
            turn=turn,
            quote=quote or None,
            message=self.message(rule, quote=quote or "", **values),
        )


Rule = Callable[[RuleContext], list[Finding]]
