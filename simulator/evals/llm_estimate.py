"""What an eval against a real model will take, before it starts: calls, tokens and money.

Built from the very prompts drill sends (the customer's system prompt and note, the scripted
trainee lines; the judge's whole prompt), with tokens estimated from characters
(``simulator.llm_cost.estimate_tokens``, which errs high). It is an upper estimate: a customer that
ends the conversation early makes fewer calls, and a judge retry or a reference case retrieved for
a case-less log adds a little.

Replies cannot be measured before they are written, so two lengths are assumed:

- a customer reply is as long as the persona's longest sample line in that language (the prompt
  asks for the persona's sentence length, and the sample lines show it);
- a judge verdict takes :data:`JUDGE_REPLY_TOKENS_PER_CRITERION` tokens per criterion (two short
  quotes, a rationale of up to three sentences, a basis, a score and a better line, in JSON; a
  Chinese verdict runs near that, an English one below it).
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.content import Library
from simulator.customer.llm_prompt import EXAMPLE_STEP, build_system_prompt, state_note
from simulator.evals.grader_set import LabelledTranscript
from simulator.evals.personas_eval import Pairing
from simulator.evals.trainee_scripts import render_style
from simulator.grading.judge import prompt_text
from simulator.grading.judge_prompt import build_prompt
from simulator.grading.rules import run_rules
from simulator.llm_cost import CallEstimate, estimate_tokens

#: The assumed size of the judge's reply per rubric criterion, in tokens (see the docstring).
JUDGE_REPLY_TOKENS_PER_CRITERION = 250


def personas_calls(pairings: Sequence[Pairing], *, model: str, max_turns: int) -> list[CallEstimate]:
    """One call per scripted trainee line of each conversation, the history growing turn by turn."""
    calls: list[CallEstimate] = []
    for pairing in pairings:
        case, persona = pairing.case, pairing.persona
        system = estimate_tokens(build_system_prompt(persona, case))
        note = estimate_tokens(state_note(EXAMPLE_STEP, case))
        reply = max(estimate_tokens(line) for line in persona.speech.sample_lines.get(case.language))
        history = estimate_tokens(case.opening_line)
        for line in render_style(pairing.style, case, max_turns=max_turns):
            said = estimate_tokens(line.text)
            calls.append(CallEstimate(model, system + history + note + said, reply))
            history += said + reply
    return calls


def grader_calls(items: Sequence[LabelledTranscript], library: Library, *, model: str) -> list[CallEstimate]:
    """Two judge calls per item (as written, and with an injected note to the grader)."""
    rubric = library.require_rubric()
    reply = JUDGE_REPLY_TOKENS_PER_CRITERION * len(rubric.criteria)
    calls: list[CallEstimate] = []
    for labelled in items:
        transcript = labelled.transcript()
        case = library.cases.get(transcript.case_id or "")
        findings = run_rules(transcript, rubric, case)
        prompt = build_prompt(transcript, rubric=rubric, case=case, findings=findings, references=[])
        tokens = estimate_tokens(prompt_text(prompt))
        calls += [CallEstimate(model, tokens, reply), CallEstimate(model, tokens, reply)]
    return calls
