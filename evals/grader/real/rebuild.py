"""Rebuild the real-log transcripts (third-party data, never committed) from public repository snapshots.

Usage (from the checkout)::

    python evals/grader/real/rebuild.py --snapshots /work/.mirror --out "$DRILL_REAL_LOGS_DIR" \
        [--write-hashes] [--only STEM ...] [--labels FOLDER ...]

``--snapshots`` holds one git directory per source repository, laid out as the snapshot tool brings
them: ``<owner>+<name>/repo`` (a bare clone works too: ``git -C <dir> show <commit>:<path>``). Each
label file in ``dev/`` and ``test/`` names the commit read and, per item, the record; this script
reads exactly that commit and converts each record as the file's ``conversion`` field says (``--labels``
reads the label files of other folders instead, e.g. a staged ``test-next/``). A record
path ``<archive>.zip!<member>`` is read from inside a zip file committed at that commit (ConvLab-3's
``data.zip``).

Harper Valley Bank is too large to snapshot (its audio): pass ``--hvb-dir`` with its
``data/transcript/<id>.json`` files at the labelled commit, or those four logs are reported missing.

The converted form is fixed so that anyone gets the same bytes: ``{"id", "language", "turns"}``
written by ``json.dumps(..., ensure_ascii=False, indent=2)`` plus a newline. The SHA-256 of each
file is compared with ``rebuilt_sha256.yaml`` beside this script (``--write-hashes`` rewrites it);
``docs/grader-data.md`` says why that file exists beside the labels' own ``transcript_sha256``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
HASHES_FILE = HERE / "rebuilt_sha256.yaml"
SPLITS = ("dev", "test")

Turn = dict[str, str]
Converter = Callable[[Any, str], list[Turn]]


def star_turns(dialogue: Any, record_id: str) -> list[Turn]:
    """STAR: 'utter' and 'pick_suggestion' events by User (customer) or Wizard (agent), text unchanged."""
    roles = {"User": "customer", "Wizard": "agent"}
    return [
        {"role": roles[event["Agent"]], "text": event["Text"]}
        for event in dialogue["Events"]
        if event["Action"] in ("utter", "pick_suggestion") and event["Agent"] in roles
    ]


def abcd_turns(conversations: Any, record_id: str) -> list[Turn]:
    """ABCD: the 'original' customer and agent messages one per turn, stripped; 'action' lines dropped.

    The first release of the sample (commit 83875b9) calls the same list 'raw', each line carrying two more
    fields (the action's name and values) after speaker and text."""
    conversation = _one(conversations, lambda c: str(c["convo_id"]) == record_id, record_id)
    lines = conversation["original"] if "original" in conversation else conversation["raw"]
    return [{"role": line[0], "text": line[1].strip()} for line in lines if line[0] != "action"]


def convlab_turns(dialogues: Any, record_id: str) -> list[Turn]:
    """ConvLab-3 unified format: user turns are the customer's, system turns the agent's; text unchanged."""
    dialogue = _one(dialogues, lambda d: d["dialogue_id"] == record_id, record_id)
    roles = {"user": "customer", "system": "agent"}
    return [{"role": roles[turn["speaker"]], "text": turn["utterance"]} for turn in dialogue["turns"]]


def woz_turns(dialogues: Any, record_id: str) -> list[Turn]:
    """WOZ 2.0 (neural-belief-tracker): each turn's system_transcript (the wizard's line *before* the user
    spoke, empty on the first turn) then its transcript (the user's); text stripped. The dataset does not
    record a reply to the last user line."""
    dialogue = _one(dialogues, lambda d: str(d["dialogue_idx"]) == record_id, record_id)
    turns: list[Turn] = []
    for turn in sorted(dialogue["dialogue"], key=lambda t: t["turn_idx"]):
        if turn["system_transcript"].strip():
            turns.append({"role": "agent", "text": turn["system_transcript"].strip()})
        turns.append({"role": "customer", "text": turn["transcript"].strip()})
    return turns


def hvb_turns(segments: Any, record_id: str) -> list[Turn]:
    """Harper Valley Bank: each segment's human_transcript; noise-only segments dropped; one speaker's
    consecutive segments joined with a space; caller -> customer."""
    turns: list[Turn] = []
    for segment in sorted(segments, key=lambda s: s["index"]):
        text = segment["human_transcript"].strip()
        if not text or all(word in ("[noise]", "<unk>") for word in text.split()):
            continue
        role = "customer" if segment["speaker_role"] == "caller" else "agent"
        if turns and turns[-1]["role"] == role:
            turns[-1] = {"role": role, "text": f"{turns[-1]['text']} {text}"}
        else:
            turns.append({"role": role, "text": text})
    return turns


# dataset (label file stem without a selection suffix such as '-b') -> (snapshot folder, converter)
SOURCES: dict[str, tuple[str, Converter]] = {
    "star": ("RasaHQ+STAR", star_turns),
    "camrest": ("ConvLab+ConvLab-3", convlab_turns),
    "woz": ("nmrksic+neural-belief-tracker", woz_turns),
    "abcd": ("asappresearch+abcd", abcd_turns),
    "crosswoz": ("ConvLab+ConvLab-3", convlab_turns),
    "multiwoz": ("ConvLab+ConvLab-3", convlab_turns),
    "taskmaster": ("ConvLab+ConvLab-3", convlab_turns),
    "harper-valley-bank": ("", hvb_turns),
}


def source_of(stem: str) -> tuple[str, Converter]:
    """The snapshot folder and converter of a label file: 'star-d' is a further selection of 'star'."""
    if stem in SOURCES:
        return SOURCES[stem]
    dataset, _, selection = stem.rpartition("-")
    if dataset in SOURCES and len(selection) == 1 and selection.isalpha():
        return SOURCES[dataset]
    raise KeyError(f"label file {stem!r}: no source known for it (rebuild.py SOURCES)")


def _one(records: Any, match: Callable[[Any], bool], record_id: str) -> Any:
    found = [record for record in records if match(record)]
    if len(found) != 1:
        raise LookupError(f"record {record_id!r}: {len(found)} matches in the source file, expected 1")
    return found[0]


def parse_record(record: str) -> tuple[str, str]:
    """'dialogues/7.json #7' -> ('dialogues/7.json', '7'); ConvLab's '(original id …)' tail is dropped.

    A path 'x/data.zip!data/dialogues.json' names a file inside a zip committed to the repository."""
    path, _, rest = record.partition(" #")
    if not rest:
        raise ValueError(f"record {record!r} has no ' #<id>' part")
    return path, rest.split(" (", 1)[0].strip()


def serialise(item_id: str, language: str, turns: list[Turn]) -> bytes:
    """The fixed transcript bytes: id, language, turns; two-space JSON, UTF-8, final newline."""
    payload = {"id": item_id, "language": language, "turns": turns}
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class SourceReader:
    """Reads a file at a commit from a snapshot's git directory, or from the HVB folder; cached."""

    def __init__(self, snapshots: Path, hvb_dir: Path | None) -> None:
        self.snapshots = snapshots
        self.hvb_dir = hvb_dir
        self._cache: dict[tuple[str, str, str], Any] = {}

    def load(self, folder: str, commit: str, path: str) -> Any | None:
        key = (folder, commit, path)
        if key not in self._cache:
            self._cache[key] = self._read(folder, commit, path)
        return self._cache[key]

    def _read(self, folder: str, commit: str, path: str) -> Any | None:
        if not folder:
            if self.hvb_dir is None:
                return None
            local = self.hvb_dir / Path(path).name
            return json.loads(local.read_text(encoding="utf-8")) if local.is_file() else None
        # 'data.zip!data/dialogues.json' names a member of a zip file committed to the repository
        path, _, member = path.partition("!")
        git_dir = self.snapshots / folder / "repo"
        if not git_dir.exists():
            git_dir = self.snapshots / folder
        shown = subprocess.run(
            ["git", "-C", str(git_dir), "show", f"{commit}:{path}"], capture_output=True, check=False
        )
        if shown.returncode != 0:
            raise FileNotFoundError(f"{folder} {commit[:10]}:{path}: {shown.stderr.decode().strip()}")
        if member:
            with zipfile.ZipFile(io.BytesIO(shown.stdout)) as archive:
                return json.loads(archive.read(member))
        return json.loads(shown.stdout)


def rebuild(
    snapshots: Path,
    out: Path,
    hvb_dir: Path | None,
    only: set[str] | None = None,
    label_dirs: list[Path] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Write every labelled transcript into ``out`` (or those of the label files named in ``only``, by stem);
    the label files are those in ``dev/`` and ``test/`` beside this script unless ``label_dirs`` names others.
    Return (id -> sha256 written, ids missing)."""
    reader = SourceReader(snapshots, hvb_dir)
    written: dict[str, str] = {}
    missing: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    for label_dir in label_dirs if label_dirs is not None else [HERE / split for split in SPLITS]:
        for label_file in sorted(label_dir.glob("*.yaml")):
            if only is not None and label_file.stem not in only:
                continue
            source = yaml.safe_load(label_file.read_text(encoding="utf-8"))
            folder, convert = source_of(label_file.stem)
            for item in source["items"]:
                path, record_id = parse_record(item["record"])
                data = reader.load(folder, source["commit"], path)
                if data is None:
                    missing.append(item["id"])
                    continue
                blob = serialise(item["id"], item["language"], convert(data, record_id))
                (out / f"{item['id']}.json").write_bytes(blob)
                written[item["id"]] = hashlib.sha256(blob).hexdigest()
    return written, missing


def main(argv: list[str] | None = None) -> int:
    """Rebuild, then compare with (or, with --write-hashes, record) the rebuilt hashes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=Path, required=True, help="folder of <owner>+<name>/repo git snapshots")
    parser.add_argument("--out", type=Path, required=True, help="DRILL_REAL_LOGS_DIR to write <id>.json into")
    parser.add_argument("--hvb-dir", type=Path, help="Harper Valley Bank data/transcript/*.json files")
    parser.add_argument("--write-hashes", action="store_true", help=f"record the hashes in {HASHES_FILE.name}")
    parser.add_argument(
        "--only", nargs="+", metavar="STEM", help="rebuild only these label files (e.g. star-c woz-c), by file stem"
    )
    parser.add_argument(
        "--labels",
        nargs="+",
        type=Path,
        metavar="FOLDER",
        help="read the label files in these folders instead of dev/ and test/ (e.g. a staged test-next/)",
    )
    args = parser.parse_args(argv)
    only = set(args.only) if args.only else None
    written, missing = rebuild(args.snapshots, args.out, args.hvb_dir, only, args.labels)
    recorded: dict[str, str] = yaml.safe_load(HASHES_FILE.read_text(encoding="utf-8")) if HASHES_FILE.is_file() else {}
    if args.write_hashes:
        # merge, so that a partial rebuild (--only, or HVB absent) keeps the other recorded hashes
        recorded = {**recorded, **written}
        header = "# SHA-256 of each transcript as rebuild.py writes it (docs/grader-data.md).\n"
        HASHES_FILE.write_text(header + yaml.safe_dump(dict(sorted(recorded.items()))), encoding="utf-8")
    differ = sorted(i for i, digest in written.items() if recorded.get(i) != digest)
    print(f"{len(written)} transcripts written to {args.out}; {len(missing)} missing: {', '.join(missing) or '-'}")
    if differ:
        print(f"{len(differ)} differ from {HASHES_FILE.name}: {', '.join(differ)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
