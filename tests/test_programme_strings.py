"""Every message key the programme raises exists in both languages and reads differently in each."""

from __future__ import annotations

import re
from pathlib import Path

from simulator.app.i18n import keys, t

PROGRAMME = Path(__file__).parents[1] / "simulator" / "programme"


def test_every_programme_error_key_is_translated() -> None:
    source = "\n".join(path.read_text("utf-8") for path in PROGRAMME.glob("*.py"))
    used = set(re.findall(r"""(?:ProgrammeError|NotAllowed)\(\s*["']([a-z_]+)["']""", source))
    assert used, "the scan found the programme's errors"
    missing = sorted(key for key in used if key not in keys())
    assert not missing
    for key in used:
        assert t(key, "en") != t(key, "zh-CN"), key
