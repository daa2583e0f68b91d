"""A problem in a content file at its ``path:line:col``, with its message in any language."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from simulator.content_checks import Issue, Severity
from simulator.i18n import render, t
from simulator.safe_yaml import YamlLimitError

#: A 1-based line and column in a file.
Position = tuple[int, int]


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One problem in one content file, at a 1-based line and column.

    An ``error`` stops the file from loading; a ``warning`` (e.g. half-width punctuation in
    Chinese text) is printed with a ``warning:`` prefix and loads anyway.
    """

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"
    #: Catalogue key and values of the message, when it has one (``text`` renders it per language).
    key: str = field(default="", compare=False)
    values: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning."""
        return self.severity == "error"

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the English ``message`` when it has no catalogue key)."""
        if not self.key:
            return self.message
        return render(self.key, lang, shown_values(dict(self.values), lang))

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


def errors_only(problems: Iterable[ContentProblem]) -> list[ContentProblem]:
    """The problems that are errors (warnings dropped)."""
    return [problem for problem in problems if problem.is_error]


class ContentError(Exception):
    """Raised when content does not load; carries every problem found."""

    def __init__(self, problems: Sequence[ContentProblem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def shown_values(values: dict[str, str], lang: str) -> dict[str, str]:
    """``values`` ready for a message in ``lang`` (the offending input worded as " (got …)")."""
    # ``got`` holds the offending input (or nothing); it is shown as " (got 12)" in ``lang``.
    if "got" in values:
        values["got"] = t("validation.got", lang, value=values["got"]) if values["got"] else ""
    return values


def keyed_problem(key: str, display: str, line: int, col: int, /, **values: object) -> ContentProblem:
    """A problem whose message is catalogue ``key`` (English in ``message``, any language by ``text``)."""
    shown = tuple((name, str(value)) for name, value in values.items())
    return ContentProblem(display, line, col, render(key, "en", dict(shown)), key=key, values=shown)


def limit_problem(display: str, error: YamlLimitError) -> ContentProblem:
    """A YAML text over a limit as a problem at its line:col, its message in any language (``text``)."""
    return ContentProblem(display, error.line, error.col, error.reason, key=error.key, values=error.values)


def issue_problems(
    display: str, issues: Iterable[Issue], at: Callable[[tuple[str, ...]], Position]
) -> list[ContentProblem]:
    """Turn content-check issues into problems located in the file."""
    return [
        ContentProblem(display, *at(issue.path), issue.message, issue.severity, key=issue.key, values=issue.values)
        for issue in issues
    ]
