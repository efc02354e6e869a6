"""Matching quality on every hand-labelled group: the table the README's "Matching quality" shows.

Run: ``.venv/bin/python benchmarks/quality.py [--gold DIR] [--show N] [--threshold T]``

For each labelled group under DIR (default ``../shared/gold``: ``seeds.json`` with its inputs in
``../seeds``, ``dev/NAME.json`` with ``dev/NAME/``) the script runs the installed command exactly
as a user would, ``agentmerge consolidate --format json`` on every input file of the group, and
scores the report with the labels' own scorer (``../tools/score.py``): item precision, recall and
F1, section F1, coverage (share of labelled items kept as units of their own), duplicated, and
``lost`` (items folded into a wording the labels call a different instruction). It skips, with a
message, when the labels are not there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def groups(gold_dir: Path) -> list[tuple[str, Path, Path]]:
    found = []
    if (gold_dir / "seeds.json").is_file():
        found.append(("seeds", gold_dir / "seeds.json", gold_dir.parent / "seeds"))
    for path in sorted((gold_dir / "dev").glob("*.json")):
        found.append((f"dev/{path.stem}", path, path.with_suffix("")))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gold", default=str(ROOT.parent / "shared" / "gold"))
    parser.add_argument("--show", type=int, default=0, help="print this many false and missed merges per group")
    parser.add_argument("--threshold", type=float, help="pass --threshold to consolidate")
    args = parser.parse_args()
    gold_dir = Path(args.gold)
    scorer_path = gold_dir.parent / "tools" / "score.py"
    if not gold_dir.is_dir() or not scorer_path.is_file():
        print(f"no labelled groups at {gold_dir} (or no {scorer_path.name}); nothing to measure")
        return 0
    spec = importlib.util.spec_from_file_location("score", scorer_path)
    assert spec is not None and spec.loader is not None
    score_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score_module)
    command = [sys.executable, "-m", "agentmerge", "consolidate", "--format", "json"]
    if args.threshold is not None:
        command += ["--threshold", str(args.threshold)]
    columns = ("item P", "item R", "item F1", "sect F1", "cover", "dup", "lost", "secs")
    print(f"{'group':16s} " + " ".join(f"{c:>{max(5, len(c))}s}" for c in columns))
    f1s = []
    for name, gold_path, folder in groups(gold_dir):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        files = [str(folder / f) for f in sorted(gold["files"].values())]
        start = time.perf_counter()
        done = subprocess.run([*command, *files], capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            print(f"{name:16s} consolidate failed: {done.stderr.strip()[-200:]}")
            continue
        result = score_module.score(gold, json.loads(done.stdout))
        item, section = result["item"], result["section"]
        f1s.append(item["f1"])
        print(
            f"{name:16s} {item['precision']:7.3f} {item['recall']:7.3f} {item['f1']:8.3f} {section['f1']:8.3f} "
            f"{item['coverage']:6.3f} {len(item['duplicated']):4d} {len(item['lost']):5d} {elapsed:5.1f}"
        )
        if args.show:
            texts = gold["items"]
            for kind in ("false_merges", "missed_merges"):
                for a, b in item[kind][: args.show]:
                    print(f"    {kind[:-7]:6s} {a} {texts[a][:50]!r} ~ {b} {texts[b][:50]!r}")
            for absorbed, kept in item["lost"][: args.show]:
                print(f"    lost   {absorbed} {texts[absorbed][:50]!r} into {kept} {texts[kept][:50]!r}")
    if f1s:
        print(f"{'mean':16s} {'':7s} {'':7s} {sum(f1s) / len(f1s):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
