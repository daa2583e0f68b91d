"""Every input cap of drill, in one registry.

Whatever a person, a file or a model hands drill is bounded here: message and comment lengths,
content and upload sizes, the shape of YAML, imported chat logs, turns per drill, the judge's
prompt, sign-in attempts. Code reads a cap with ``LIMIT.value`` at the moment it checks, so a
deployment can raise or lower one through its environment variable without a code change
(``docs/limits.md`` lists them all; ``drill limits`` prints the values in force).

The defaults are product decisions, not fitted numbers: each one's ``why`` says what it is
sized for. A value that is not a positive whole number is refused with the variable's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from simulator.errors import DrillError


class LimitConfigError(DrillError, ValueError):
    """An environment variable meant to override a limit holds something that is not a positive integer."""


@dataclass(frozen=True)
class Limit:
    """One cap: its default, the environment variable that overrides it, its unit and its reason."""

    name: str
    default: int
    env: str
    unit: str
    why: str

    @property
    def value(self) -> int:
        """The cap in force: the environment variable when set, else the default."""
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            number = int(raw.replace("_", ""))
        except ValueError:
            number = 0
        if number <= 0:
            raise LimitConfigError(f"{self.env} must be a positive whole number of {self.unit}, got {raw!r}")
        return number


#: Every limit by name, in the order the documentation lists them.
REGISTRY: dict[str, Limit] = {}


def _limit(name: str, default: int, unit: str, why: str) -> Limit:
    limit = Limit(name, default, f"DRILL_MAX_{name.upper()}", unit, why)
    REGISTRY[name] = limit
    return limit


# -- what people type -------------------------------------------------------------------------

MESSAGE_CHARS = _limit(
    "message_chars",
    2000,
    "characters",
    "One trainee message. A longer one is refused, never cut: a wall of text is not a realistic turn.",
)
DRILL_TURNS = _limit(
    "drill_turns",
    100,
    "turns",
    "Turns (customer and trainee together) in one drill or trainer preview; real calls end far sooner, "
    "and every turn goes back to the model.",
)
DRILL_IDLE_MINUTES = _limit(
    "drill_idle_minutes",
    120,
    "minutes",
    "How long a practice drill may wait for its next message before it is closed as abandoned: kept, shown "
    "as abandoned in every list and gradable on demand, instead of staying 'in progress' forever. Two hours "
    "covers a long interruption in a training day.",
)
LIVE_DRILL_IDLE_MINUTES = _limit(
    "live_drill_idle_minutes",
    15,
    "minutes",
    "How long an open drill stays in one app process's memory without a message. After that the process "
    "drops its copy (the drill stays open in the store, and its next message rebuilds it there or on another "
    "replica), so memory holds only the drills being played now. A quarter hour keeps a trainee who pauses "
    "to think on the fast path; a rebuild costs one read of the drill's turns.",
)
COMMENT_CHARS = _limit("comment_chars", 2000, "characters", "One mentor comment on a turn or a session.")
OVERRIDE_REASON_CHARS = _limit(
    "override_reason_chars", 1000, "characters", "The reason a mentor gives for overriding a score."
)

# -- files ------------------------------------------------------------------------------------

CONTENT_FILE_BYTES = _limit(
    "content_file_bytes",
    200_000,
    "bytes",
    "One persona, case or rubric YAML file (the largest shipped file is about 16 kB). Checked before parsing.",
)
YAML_NODES = _limit(
    "yaml_nodes",
    20_000,
    "nodes",
    "Scalars, lists and mappings in one YAML document, each alias counted as the subtree it repeats "
    "(the largest shipped file has about 600), so no document can expand far beyond its own text.",
)
YAML_DEPTH = _limit("yaml_depth", 40, "levels", "Nesting depth of one YAML document (shipped files nest 5 deep).")
UPLOAD_BYTES = _limit(
    "upload_bytes",
    1_000_000,
    "bytes",
    "Any file sent to the app (Gradio's max_file_size): a YAML file for the editor, a chat log to import.",
)
USERS_FILE_BYTES = _limit("users_file_bytes", 2_000_000, "bytes", "The users file (about 10,000 accounts).")

EXPORT_KEEP_HOURS = _limit(
    "export_keep_hours",
    24,
    "hours",
    "How long an exported report (HTML, Markdown, CSV under the data directory's exports/) is kept after it "
    "was written or last downloaded; older ones are removed when the next export is written and at start. "
    "A day covers a mentor who comes back to the link later in the shift; a report can be exported again.",
)

# -- imported chat logs and the judge ---------------------------------------------------------

TRANSCRIPT_BYTES = _limit(
    "transcript_bytes", 1_000_000, "bytes", "One transcript JSON (an imported chat log), checked before parsing."
)
TRANSCRIPT_TURNS = _limit("transcript_turns", 500, "turns", "Turns in one imported transcript.")
TRANSCRIPT_CHARS = _limit(
    "transcript_chars", 100_000, "characters", "Characters of all turns of one imported transcript together."
)
OVERRIDE_EXPORT_SESSIONS = _limit(
    "override_export_sessions",
    20_000,
    "sessions",
    "Sessions in one file of exported mentor overrides read back for a centre's refit (a year of a busy centre).",
)
ACTS_TEXTS = _limit(
    "acts_texts",
    10_000,
    "texts",
    "Texts one `drill acts` run classifies (arguments and --file lines together); each is also held to "
    "message_chars. About five minutes of the encoder on one core.",
)
JUDGE_PROMPT_CHARS = _limit(
    "judge_prompt_chars",
    60_000,
    "characters",
    "The LLM judge's whole prompt (instructions, rubric, case and transcript). A 16-turn drill needs "
    "8-18k. Set it to fit the judge model's context window: about one token per Chinese character, "
    "about four English characters per token. A longer transcript is refused with this limit's name, "
    "never sent and never reported as a format error.",
)

# -- signing in ---------------------------------------------------------------------------------

LOGIN_FAILURES_PER_USER = _limit(
    "login_failures_per_user",
    5,
    "attempts",
    "Failed sign-ins for one account within the window before that account's sign-in pauses.",
)
LOGIN_FAILURES_PER_ADDRESS = _limit(
    "login_failures_per_address",
    20,
    "attempts",
    "Failed sign-ins from one network address within the window before sign-in from it pauses "
    "(a whole office behind one address shares it).",
)
LOGIN_WINDOW_SECONDS = _limit(
    "login_window_seconds", 900, "seconds", "How long failed sign-ins are remembered, and how long a pause lasts."
)
SIGN_IN_HOURS = _limit(
    "sign_in_hours",
    12,
    "hours",
    "How long a sign-in holds before the person signs in again: a long shift, so nobody is sent to "
    "the sign-in page mid-drill, and a forgotten session on a shared desk does not last into the next day.",
)


def too_long(what: str, length: int, limit: Limit) -> str:
    """One clear sentence for a refused input: what, how big, the cap and how to change it."""
    return (
        f"{what} is {length:,} {limit.unit}; the limit is {limit.value:,} {limit.unit} (set {limit.env} to change it)"
    )


def describe() -> list[dict[str, object]]:
    """Every limit with the value in force, for ``drill limits`` and the docs test."""
    return [
        {"name": limit.name, "value": limit.value, "default": limit.default, "unit": limit.unit, "env": limit.env}
        for limit in REGISTRY.values()
    ]
