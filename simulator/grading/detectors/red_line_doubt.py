"""Signals of a doubtful red line: a sentence a red-line reader flagged below the line that fails a session.

A red line is confirmed (the session fails, compliance is capped at 1) only at the confidence chosen on
dev for precision (``docs/red-lines.md``); below it, down to the reader's review line, the sentence is a
``red_line_review`` finding for a mentor and, before this signal, cost nothing. The mentors do punish
most of those transcripts: on synthetic dev (2026-12-03, 1,014 scored transcripts) 81 of the 177 that
the mentor put at compliance 1 with no red line confirmed had such a flag, against 43 of the 466 at
compliance 4 or 5; the most over-scored mediocre and poor agents were a sneer or a threat at the
customer, a promise beyond the case's limits, another person's data read out or unsafe advice, and
the mentors took them off standard phrasing and adaptability as well as compliance.

The value is a count, weighed by the fit like any penalty (never a score cap): a flag is a doubt, and
how much a doubt costs is what the labelled data says. It names no ``rule``: ``red_line_review`` is an
``info`` finding, and an info finding moves no criterion's per-turn "hurt" note (a doubt is the mentor's to
confirm); the signal's quotes still show on the scorecard as lost points.
"""

from __future__ import annotations

from simulator.grading.measure import Measure, SignalResult
from simulator.grading.registry import register_signal
from simulator.models import PhraseStage


@register_signal("red_line_doubt", kind="penalty")
def measure_red_line_doubt(m: Measure) -> SignalResult:
    """``red_line_review`` findings: each agent sentence a red-line reader flagged for a mentor's review."""
    return m.finding_signal("red_line_review", PhraseStage.solution)
