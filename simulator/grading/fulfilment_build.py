"""Derive labelled request–reply pairs for the request-fulfilment signal from public template data.

Source: ConvLab-3's template NLG files (Apache-2.0), which hold user and system utterances of
MultiWOZ (English, MIT) and CrossWOZ (Chinese, Apache-2.0) grouped by their annotated dialogue
acts, slots replaced by placeholders. A *request* is a user utterance whose acts request slots
("May I have the address and phone?"); a *reply* is one or more system utterances whose acts
inform slots. A pair is labelled ``gives`` when the reply informs every requested slot of the
request's domain; partial, other-slot and non-informing replies are the negatives. Placeholders
are filled from ``fulfilment_pairs/fill_values.yaml``.

No CamRest676, WOZ 2.0 or STAR material is read. Templates matching any utterance of the real dev
logs of MultiWOZ or CrossWOZ (``evals/grader/real/dev``, ids only) are dropped. Splits are by
request template (hash), so no request wording is in both train and dev. Run::

    python -m simulator.grading.fulfilment_build --convlab /work/.mirror/ConvLab+ConvLab-3/repo
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.grading.fulfilment import PAIRS_DIR

TEMPLATE_FILES = {
    "en": (
        "convlab/nlg/template/multiwoz/auto_user_template_nlg.json",
        "convlab/nlg/template/multiwoz/auto_system_template_nlg.json",
    ),
    "zh-CN": (
        "convlab/nlg/template/crosswoz/auto_user_template_nlg.json",
        "convlab/nlg/template/crosswoz/auto_system_template_nlg.json",
    ),
}
REAL_DEV_FILES = {"en": "multiwoz.yaml", "zh-CN": "crosswoz.yaml"}
# MultiWOZ system acts whose slots are told to the user (the others ask, offer to book or close).
EN_TELLING = ("Inform", "Recommend", "Select", "Book", "OfferBooked")
# The slots a domain-less MultiWOZ booking reply tells in the sense a request for them means.
EN_BOOKING_SLOTS = frozenset({"ref"})
EN_PLACEHOLDER = re.compile(r"#[A-Z]+-[A-Z]+-([A-Z]+)#")
ZH_PLACEHOLDER = re.compile(r"\[[^\]+]+\+[^\]+]+\+([^\]+]+)(?:\+[^\]]*)?\]")


@dataclass(frozen=True)
class Template:
    """One utterance template and the (domain, slot) pairs its acts request or tell."""

    text: str
    domain: str
    slots: frozenset[str]


def _git_show(repo: Path, path: str) -> Any:
    raw = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], check=True, capture_output=True).stdout
    return json.loads(raw)


def _commit(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _en_templates(data: dict[str, dict[str, list[str]]], acts: Iterable[str]) -> list[Template]:
    found: list[Template] = []
    wanted = tuple(acts)
    for key, combos in data.items():
        domain, _, act = key.partition("-")
        if act not in wanted:
            continue
        for combo, texts in combos.items():
            slots = frozenset(slot.lower() for slot in combo.split(";") if slot and slot != "none")
            found.extend(Template(" ".join(text.split()), domain.lower(), slots) for text in texts)
    return found


def _zh_templates(data: dict[str, list[str]], intents: tuple[str, ...], only: bool = False) -> list[Template]:
    """Templates by the slots their ``intents`` carry; ``only``: keys with no act of another intent."""
    found: list[Template] = []
    for key, texts in data.items():
        slots: set[str] = set()
        domains: set[str] = set()
        if only and any(act.split("+")[0] not in intents for act in key.split("*") if act):
            continue
        for act in key.split("*"):
            parts = act.split("+")
            if len(parts) >= 3 and parts[0] in intents:
                domains.add(parts[1])
                slots.add(parts[2])
        domain = next(iter(domains)) if len(domains) == 1 else ""
        found.extend(
            Template(" ".join(text.split()), domain, frozenset(slots)) for text in texts if domain or not slots
        )
    return found


def _fill(text: str, language: str, values: dict[str, list[str]], rng: random.Random) -> str:
    pattern = EN_PLACEHOLDER if language == "en" else ZH_PLACEHOLDER

    def value(match: re.Match[str]) -> str:
        # CrossWOZ numbers the items of a list slot ("周边餐馆2"); the values are listed once per slot.
        slot = match.group(1).lower() if language == "en" else match.group(1).rstrip("0123456789")
        return rng.choice(values.get(slot) or values["default"])

    filled = pattern.sub(value, text)
    if language == "en":
        filled = re.sub(r" ([?.!,;:])", r"\1", filled).replace(" ' ", "'").replace(" n't", "n't")
    return filled


def _matcher(template: str, language: str) -> re.Pattern[str]:
    pattern = EN_PLACEHOLDER if language == "en" else ZH_PLACEHOLDER
    pieces = pattern.split(template)[::2]
    return re.compile(".+?".join(re.escape(_norm(piece)) for piece in pieces))


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _dev_utterances(language: str, real_dev: Path, logs: Path) -> list[str]:
    """Utterances of the real dev logs of the template's dataset (read by id only)."""
    items = yaml.safe_load((real_dev / REAL_DEV_FILES[language]).read_text(encoding="utf-8"))["items"]
    said: list[str] = []
    for item in items:
        path = logs / f"{item['id']}.json"
        if path.exists():
            said.extend(_norm(turn["text"]) for turn in json.loads(path.read_text(encoding="utf-8"))["turns"])
    return said


def _clean(templates: list[Template], language: str, dev_said: list[str]) -> list[Template]:
    everything = "\n".join(dev_said)
    pattern = EN_PLACEHOLDER if language == "en" else ZH_PLACEHOLDER
    kept: list[Template] = []
    for template in templates:
        longest = max((_norm(piece) for piece in pattern.split(template.text)[::2]), key=len)
        if longest and longest not in everything:
            kept.append(template)  # the cheap test first: its longest fixed piece is in no dev utterance
            continue
        matcher = _matcher(template.text, language)
        if not any(matcher.fullmatch(utterance) for utterance in dev_said):
            kept.append(template)
    return kept


def _split(text: str, dev_share: float) -> str:
    bucket = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "dev" if bucket < dev_share else "train"


def _tellers(templates: list[Template], domain: str, slot: str, language: str) -> list[Template]:
    """Replies that tell ``slot`` of ``domain``; MultiWOZ's domain-less booking replies only for the reference.

    A booking reply's "time", "day" or "people" is the reservation's, not the venue's or the train's
    (a table "at 09:15" does not tell a train's travel time), so those count only as their own domain's.
    """
    same = [
        t
        for t in templates
        if slot in t.slots
        and (t.domain == domain or (language == "en" and t.domain == "booking" and slot in EN_BOOKING_SLOTS))
    ]
    return [t for t in same if len(t.slots) <= 3]


def build_pairs(
    convlab: Path, real_dev: Path, logs: Path, per_language: int, dev_share: float, seed: int
) -> dict[str, list[dict[str, Any]]]:
    """Labelled pairs by split: ``{"train": [...], "dev": [...]}``, each ``{language, request, reply, gives, kind}``."""
    fill_values = yaml.safe_load((PAIRS_DIR / "fill_values.yaml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out: dict[str, list[dict[str, Any]]] = {"train": [], "dev": []}
    for language, (user_file, system_file) in TEMPLATE_FILES.items():
        users, systems = _git_show(convlab, user_file), _git_show(convlab, system_file)
        if language == "en":
            requests = _en_templates(users, ["Request"])
            statements = _en_templates(users, ["Inform", "thank", "bye", "greet"])
            tellers = _en_templates(systems, EN_TELLING)
            silent = _en_templates(systems, ["reqmore", "Request", "welcome"]) + [
                t for t in _en_templates(systems, ["Inform"]) if t.domain == "booking" and not t.slots
            ]
        else:
            requests = [t for t in _zh_templates(users, ("Request",)) if t.slots]
            statements = [t for t in _zh_templates(users, ("Request",)) if not t.slots]
            tellers = [t for t in _zh_templates(systems, ("Inform", "Recommend")) if t.slots]
            silent = _zh_templates(systems, ("General",), only=True)
        dev_said = _dev_utterances(language, real_dev, logs)
        requests, statements, tellers, silent = (
            _clean(group, language, dev_said) for group in (requests, statements, tellers, silent)
        )
        values = fill_values[language]
        rng.shuffle(requests)
        rng.shuffle(statements)
        made = 0
        for request in requests:
            if made >= per_language:
                break
            wanted = sorted(request.slots)
            covering = [_tellers(tellers, request.domain, slot, language) for slot in wanted]
            if not wanted or any(not options for options in covering):
                continue
            split = _split(request.text, dev_share)
            asked = _fill(request.text, language, values, rng)

            def add(
                parts: list[Template],
                gives: bool,
                kind: str,
                at: str = split,
                asked: str = asked,
                lang: str = language,
                fill: dict[str, list[str]] = values,
            ) -> None:
                reply = " ".join(_fill(part.text, lang, fill, rng) for part in parts)
                out[at].append({"language": lang, "request": asked, "reply": reply, "gives": gives, "kind": kind})

            full = [rng.choice(options) for options in covering]
            add(list(dict.fromkeys(full)), True, "complete")
            whole = [t for t in tellers if request.slots <= t.slots and t.domain == request.domain]
            if whole:
                add([rng.choice(whole)], True, "complete_one")
            if len(wanted) >= 2:
                dropped = rng.randrange(len(wanted))
                rest = [
                    rng.choice([t for t in covering[i] if wanted[dropped] not in t.slots] or covering[i])
                    for i in range(len(wanted))
                    if i != dropped
                ]
                if all(wanted[dropped] not in t.slots for t in rest):
                    add(list(dict.fromkeys(rest)), False, "partial")
            other = [t for t in tellers if t.domain == request.domain and t.slots and not (t.slots & request.slots)]
            if other:
                add([rng.choice(other)], False, "other_slots")
            if silent:
                add([rng.choice(silent)], False, "no_information")
            made += 1
        for statement in statements[: per_language // 2]:
            split = _split(statement.text, dev_share)
            text = _fill(statement.text, language, values, rng)
            out[split].append(
                {"language": language, "request": text, "reply": "", "gives": False, "kind": "not_a_request"}
            )
    return out


def main() -> None:
    """Write ``fulfilment_pairs/{train,dev}.yaml`` from a ConvLab-3 snapshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--convlab", type=Path, required=True, help="git directory of a ConvLab-3 snapshot")
    parser.add_argument("--real-dev", type=Path, default=Path(__file__).resolve().parents[2] / "evals/grader/real/dev")
    parser.add_argument(
        "--logs", type=Path, default=Path(os.environ.get("DRILL_REAL_LOGS_DIR", "../shared/grader_real"))
    )
    parser.add_argument("--per-language", type=int, default=700)
    parser.add_argument("--dev-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pairs = build_pairs(args.convlab, args.real_dev, args.logs, args.per_language, args.dev_share, args.seed)
    commit = _commit(args.convlab)
    for split, rows in pairs.items():
        header = {
            "split": split,
            "source": f"ConvLab/ConvLab-3 {commit} template NLG files (MultiWOZ, CrossWOZ); see SOURCES.md",
            "built_by": "python -m simulator.grading.fulfilment_build",
            "pairs": rows,
        }
        (PAIRS_DIR / f"{split}.yaml").write_text(
            yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
        )
        print(
            split,
            len(rows),
            {kind: sum(1 for r in rows if r["kind"] == kind) for kind in sorted({r["kind"] for r in rows})},
        )


if __name__ == "__main__":
    main()
