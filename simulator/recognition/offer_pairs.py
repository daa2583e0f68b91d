"""Labelled offer–resolution pairs: agent sentences and what of their case each one offers or claims.

Files live in ``simulator/recognition/offers/<split>/<source>.<language>.yaml`` (format in
``docs/commitments.md``). Each entry is one agent sentence, the case it was said in, and the
*targets* of that case it matches: an acceptable resolution (``resolution:<id>``), an offer the
customer refuses (``refused:<id>``), a policy limit (``must_not_promise:<n>``, 1-based) or
something the agent's systems cannot do (``cannot_do:<n>``). Every other target of the case is a
negative pair for the sentence. The pairs choose the similarity thresholds of
``simulator.grading.commitment_matching`` (``drill eval commitments``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import DrillError
from simulator.models import Case, Language

OFFERS_DIR = Path(__file__).with_name("offers")

Split = Literal["train", "dev", "test"]
TargetKind = Literal["resolution", "refused", "must_not_promise", "cannot_do"]
TARGET_KINDS: tuple[TargetKind, ...] = ("resolution", "refused", "must_not_promise", "cannot_do")


class OfferPairsError(DrillError):
    """An offer-pairs file is malformed or names a case or target that does not exist."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfferSentence(_Strict):
    """One labelled agent sentence."""

    case: str = Field(min_length=1, description="Casebank id of the case the sentence was said in.")
    text: str = Field(min_length=1, description="One agent sentence.")
    matches: list[str] = Field(description="Targets it offers, promises or claims; [] for none.")


class OfferPairsFile(_Strict):
    """One file of labelled sentences from one source in one language and split."""

    language: Language
    split: Split
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    sentences: list[OfferSentence] = Field(min_length=1)


@dataclass(frozen=True)
class Target:
    """Something of a case an agent sentence can match: its kind, key and the text compared."""

    kind: TargetKind
    key: str  # "resolution:expedite", "must_not_promise:2"
    text: str


@dataclass(frozen=True)
class OfferPair:
    """One sentence against one target of its case, and whether it matches."""

    case_id: str
    language: Language
    sentence: str
    target: Target
    matches: bool


def case_targets(case: Case) -> list[Target]:
    """Every target of ``case``, in file order, with the text a sentence is compared to."""
    targets = [Target("resolution", f"resolution:{r.id}", r.description) for r in case.acceptable_resolutions]
    targets += [Target("refused", f"refused:{r.id}", r.description) for r in case.customer_refuses]
    targets += [
        Target("must_not_promise", f"must_not_promise:{n}", text)
        for n, text in enumerate(case.policy.must_not_promise, start=1)
    ]
    targets += [
        Target("cannot_do", f"cannot_do:{n}", text) for n, text in enumerate(case.agent_systems.cannot_do, start=1)
    ]
    return targets


def offer_files(split: Split, root: Path = OFFERS_DIR) -> list[Path]:
    """The pair files of ``split``, sorted."""
    return sorted((root / split).glob("*.yaml"))


def _load_file(path: Path) -> OfferPairsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return OfferPairsFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise OfferPairsError(f"{path}: cannot read: {exc}") from exc
    except ValidationError as exc:
        raise OfferPairsError(f"{path}: {exc}") from exc


def load_offer_pairs(split: Split, cases: Mapping[str, Case], root: Path = OFFERS_DIR) -> list[OfferPair]:
    """Every (sentence, target) pair of ``split``; raises ``OfferPairsError`` naming file and entry."""
    pairs: list[OfferPair] = []
    for path in offer_files(split, root):
        data = _load_file(path)
        if data.split != split:
            raise OfferPairsError(f"{path}: says split '{data.split}' but lies in '{split}/'")
        for number, entry in enumerate(data.sentences, start=1):
            where = f"{path}: sentence {number}"
            case = cases.get(entry.case)
            if case is None:
                raise OfferPairsError(f"{where}: unknown case '{entry.case}' (see casebank/)")
            if case.language != data.language:
                raise OfferPairsError(f"{where}: case '{entry.case}' is {case.language}, the file is {data.language}")
            targets = case_targets(case)
            keys = {target.key for target in targets}
            unknown = [key for key in entry.matches if key not in keys]
            if unknown:
                raise OfferPairsError(
                    f"{where}: '{unknown[0]}' is not a target of {entry.case}; targets: {sorted(keys)}"
                )
            for target in targets:
                pairs.append(OfferPair(case.id, data.language, entry.text, target, target.key in entry.matches))
    return pairs


def split_fingerprint(split: Split, root: Path = OFFERS_DIR) -> str:
    """sha256 over the split's files (names and bytes), recorded with every threshold chosen on it."""
    digest = hashlib.sha256()
    for path in offer_files(split, root):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
