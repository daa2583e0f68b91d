"""Drop train lines that are near-duplicates of a held-out sentence, so dev and test judge phrasing
the classifier was not fitted on.

Near-duplicate: the character-bigram Jaccard similarity of the two sentences (lower-cased, letters
and digits only; a one-character sentence is its own single "bigram") is at least the line given
(docs/acts.md: 0.6). Both languages are compared within their own language only.

Run ``python -m simulator.recognition.decontaminate --against dev [--against test] [--write]``:
without ``--write`` it lists what it would drop; with it, it removes those entries from the train
files and adds a dated comment with the count at the head of every file it changed.
"""

from __future__ import annotations

import argparse
import datetime
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.recognition.corpus import CORPUS_DIR, LabelledSentence, Split, load_corpus

#: The line docs/acts.md states for every decontamination so far.
DOCUMENTED_LINE = 0.6


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of ``text`` with case, spaces and punctuation removed."""
    kept = "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] in "LN")
    if len(kept) < 2:
        return frozenset([kept]) if kept else frozenset()
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1))


@dataclass(frozen=True)
class NearDuplicate:
    """A train sentence, the held-out sentence it is closest to, and their Jaccard similarity."""

    train: LabelledSentence
    held_out: LabelledSentence
    similarity: float


def near_duplicates(
    train: Sequence[LabelledSentence], held_out: Sequence[LabelledSentence], line: float
) -> list[NearDuplicate]:
    """Every train sentence whose bigram Jaccard with some held-out sentence of its language is ≥ ``line``."""
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    held_grams = [bigrams(s.text) for s in held_out]
    for position, (sentence, grams) in enumerate(zip(held_out, held_grams, strict=True)):
        for gram in grams:
            index[(sentence.language, gram)].append(position)
    found = []
    for sentence in train:
        grams = bigrams(sentence.text)
        if not grams:
            continue
        shared: dict[int, int] = defaultdict(int)
        for gram in grams:
            for position in index.get((sentence.language, gram), ()):
                shared[position] += 1
        best, best_position = 0.0, -1
        for position, count in shared.items():
            similarity = count / (len(grams) + len(held_grams[position]) - count)
            if similarity > best:
                best, best_position = similarity, position
        if best >= line:
            found.append(NearDuplicate(sentence, held_out[best_position], round(best, 3)))
    return found


def drop_lines(
    duplicates: Sequence[NearDuplicate], against: Sequence[str], line: float, corpus_dir: Path = CORPUS_DIR
) -> dict[Path, int]:
    """Remove the duplicates' entries from their train files (flow or block entries) and note the count."""
    by_file: dict[Path, set[int]] = defaultdict(set)
    for duplicate in duplicates:
        display, line_number = duplicate.train.where.rsplit(":", 1)
        path = corpus_dir / "train" / Path(display).name
        by_file[path].add(int(line_number))
    today = datetime.date.today().isoformat()
    counts = {}
    for path, numbers in by_file.items():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        dropped = {position for number in numbers for position in _entry_lines(lines, number, path)}
        kept = [text for position, text in enumerate(lines, 1) if position not in dropped]
        note = (
            f"# {today}: {len(numbers)} lines removed: each was a near-duplicate (character-bigram Jaccard >= "
            f"{line:g})\n# of a sentence of the {' or '.join(against)} split "
            "(simulator/recognition/decontaminate.py).\n"
        )
        path.write_text(note + "".join(kept), encoding="utf-8")
        counts[path] = len(numbers)
    return counts


def _entry_lines(lines: Sequence[str], number: int, path: Path) -> range:
    """The 1-based lines of the list entry starting at ``number``: a flow entry or a block entry
    (``- text: ...`` and the keys indented under it), at whatever indentation the list uses."""
    first = lines[number - 1]
    dash = len(first) - len(first.lstrip(" "))
    if not first.lstrip(" ").startswith("- "):
        raise SystemExit(f"{path}:{number}: no list entry starts here; remove it by hand")
    end = number
    while end < len(lines):
        following = lines[end]
        indent = len(following) - len(following.lstrip(" "))
        if not following.strip() or indent <= dash or following.lstrip().startswith("#"):
            break
        end += 1
    return range(number, end + 1)


def describe(duplicate: NearDuplicate) -> str:
    """One printed line: similarity, the train line and what it is close to (never a test sentence)."""
    train, held = duplicate.train, duplicate.held_out
    # Whoever decontaminates before a first scoring must not read the test split's sentences.
    shown = "(test sentence not shown)" if held.split == "test" else repr(held.text)
    return f"{duplicate.similarity:.2f}  {train.where}  {train.text!r}  ~  {shown}"


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: list (or with ``--write`` drop) train lines too close to the held-out splits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", choices=["dev", "test"], required=True)
    parser.add_argument(
        "--line", type=float, default=DOCUMENTED_LINE, help="Jaccard at or above which a line is dropped"
    )
    parser.add_argument("--write", action="store_true", help="remove the lines from the train files")
    args = parser.parse_args(argv)
    against: list[Split] = args.against
    corpus = load_corpus(("train", *against))
    held_out = [s for split in against for s in corpus.select(split)]
    duplicates = near_duplicates(corpus.select("train"), held_out, args.line)
    for duplicate in duplicates:
        print(describe(duplicate))
    print(f"{len(duplicates)} train lines at Jaccard >= {args.line:g} with a {'/'.join(against)} sentence")
    if args.write and duplicates:
        for path, count in sorted(drop_lines(duplicates, against, args.line).items()):
            print(f"  {path.name}: {count} removed")


if __name__ == "__main__":
    main()
