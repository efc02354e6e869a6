"""How often ``diff`` calls a bullet rewritten in its place one rewording, on hand-labelled pairs.

Run: ``.venv/bin/python benchmarks/diff_paraphrase.py [--gold DIR] [--negatives N]``

For each labelled group under DIR (default ``../shared/gold``, as ``benchmarks/quality.py``
reads it), every pair of list items of two different files that the labels call one instruction
becomes an edit: the first file with the first bullet's text replaced, in its place, by the
second's. A reviewer wants each such edit reported as one rewording. As a control, N pairs per
group that the labels call different instructions (drawn with a fixed seed) make the same kind
of edit, which should stay a removal and an addition.

Each edit is diffed three ways: with character similarity alone (the pair score switched off),
with the shipped pair model, and with the model fitted on the other groups only (the honest
figure for files the model never saw; ``benchmarks/fit_matcher.py`` fits it). The table gives
the share of edits reported as exactly one rewording. It skips, with a message, when the labels
are not there.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agentmerge import scorer
from agentmerge.diff import diff_agents
from agentmerge.pairing import BodyPairing
from agentmerge.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent
_BULLET_RE = re.compile(r"^(\s*(?:[-*+]|\d{1,3}[.)])\s+)(\S.*)$")
"""A list item's first line: its marker (kept by the edit) and its text."""


def edits(gold: dict, folder: Path, negatives: int) -> Iterator[tuple[bool, str, str]]:  # type: ignore[type-arg]
    """(same instruction, old text, new text) for every edit of one labelled group."""
    lines = {prefix: (folder / name).read_text(encoding="utf-8").split("\n") for prefix, name in gold["files"].items()}

    def bullet(key: str) -> tuple[str, int, re.Match[str]] | None:
        prefix, number = key.split(":")
        found = _BULLET_RE.match(lines[prefix][int(number) - 1])
        return (prefix, int(number), found) if found else None

    def edit(a: str, b: str) -> tuple[str, str] | None:
        old, new = bullet(a), bullet(b)
        if old is None or new is None or old[0] == new[0]:
            return None
        text = list(lines[old[0]])
        text[old[1] - 1] = old[2].group(1) + new[2].group(2)
        return "\n".join(lines[old[0]]), "\n".join(text)

    same = {frozenset(p) for c in gold["item_clusters"] for p in itertools.combinations(c, 2)}
    either = {frozenset(p) for p in gold["item_either"]}
    for cluster in gold["item_clusters"]:
        for a, b in itertools.permutations(cluster, 2):
            made = edit(a, b)
            if made:
                yield True, *made
    keys = sorted(gold["items"])
    rng = random.Random(2026)
    drawn = 0
    while drawn < negatives:
        a, b = rng.sample(keys, 2)
        if frozenset((a, b)) in same or frozenset((a, b)) in either:
            continue
        made = edit(a, b)
        if made:
            drawn += 1
            yield False, *made


def one_rewording(old: str, new: str) -> bool:
    """Whether diff reports the edit as exactly one reworded item."""
    changes = diff_agents(parse_text(old, "old.md"), parse_text(new, "new.md")).changes
    return [c.op for c in changes] == ["reworded"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gold", default=str(ROOT.parent / "shared" / "gold"))
    parser.add_argument("--negatives", type=int, default=150, help="control edits per group")
    args = parser.parse_args()
    gold_dir = Path(args.gold)
    if not (gold_dir / "seeds.json").is_file() and not (gold_dir / "dev").is_dir():
        print(f"no labelled groups at {gold_dir}; nothing to measure")
        return 0
    import fit_matcher

    groups = fit_matcher.load_groups(gold_dir)
    shipped = scorer.default_model()
    held_out = {}
    for held in groups:
        weights = fit_matcher.fit(*fit_matcher.training([g for g in groups if g is not held]))
        held_out[held.name] = dataclasses.replace(shipped, weights=tuple(weights))
    folders = {"seeds": (gold_dir / "seeds.json", gold_dir.parent / "seeds")}
    folders.update({p.stem: (p, p.with_suffix("")) for p in sorted((gold_dir / "dev").glob("*.json"))})
    print("share of in-place edits diff reports as one rewording")
    left, right = "same instruction: chars / model / held out", "different: same three"
    print(f"{'group':12s} {'edits':>6s} {left:>44s}   {'edits':>6s} {right:>24s}")
    totals = {kind: [0, 0, 0, 0] for kind in (True, False)}
    for group in groups:
        gold_path, folder = folders[group.name]
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        counts = {kind: [0, 0, 0, 0] for kind in (True, False)}
        for same, old, new in edits(gold, folder, args.negatives):
            row = counts[same]
            row[0] += 1
            with mock.patch.object(BodyPairing, "_restated", lambda self, i, j: False):
                row[1] += one_rewording(old, new)
            row[2] += one_rewording(old, new)
            with mock.patch.object(scorer, "default_model", functools.partial(held_out.__getitem__, group.name)):
                row[3] += one_rewording(old, new)
        for kind in (True, False):
            totals[kind] = [t + c for t, c in zip(totals[kind], counts[kind], strict=True)]
        print(_row(group.name, counts))
    print(_row("all", totals))
    return 0


def _row(name: str, counts: dict[bool, list[int]]) -> str:
    cells = []
    for kind in (True, False):
        n, *found = counts[kind]
        shares = " / ".join(f"{x / n:6.1%}" if n else "     -" for x in found)
        cells.append(f"{n:6d} {shares:>{44 if kind else 24}s}")
    return f"{name:12s} " + "   ".join(cells)


if __name__ == "__main__":
    raise SystemExit(main())
