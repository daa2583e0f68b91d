"""The README's quick start stays exactly two one-line commands, and CI runs the test one."""

from __future__ import annotations

import re

from simulator.config import PROJECT_DIR


def quick_start_commands() -> list[str]:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quick_start_is_two_one_line_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert commands[1].endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT_DIR / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start_commands()[1]
    pattern = re.search(r"grep -E '(.*?)' README.md", ci)
    assert pattern is not None
    assert re.search(pattern.group(1), test_command)
