"""Start-up benchmark of ``agentmerge diff``: wall time against the import floor.

The floor is the interpreter plus the imports every diff needs (click, python-frontmatter,
markdown-it-py, rapidfuzz); the diff of two seeds should cost at most 1.5 times that. Both are
timed as fresh processes, interleaved, several times; the medians and their ratio are printed.
Also lists the slowest imports of one diff (``python -X importtime``) so a heavy module that
slipped onto the import path shows up. ``startup.py`` times every command in one set.

    .venv/bin/python benchmarks/diff.py [--repeats N] [--check]
"""

from __future__ import annotations

import argparse
import sys

from startup import HEAVY, SEEDS, entry, imported_modules, ratios

LIMIT = 1.5
"""Most the diff may cost, as a multiple of the import floor."""


def diff_command() -> list[str]:
    return [*entry(), "diff", str(SEEDS[0]), str(SEEDS[1]), "--no-exit-code"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio exceeds {LIMIT}")
    args = parser.parse_args()
    command = diff_command()
    floor, medians = ratios({"diff": command}, args.repeats)
    ratio = medians["diff"] / floor
    print(f"import floor   median {floor * 1000:7.1f} ms  ({args.repeats} runs)")
    print(f"agentmerge diff median {medians['diff'] * 1000:6.1f} ms  ({args.repeats} runs)")
    print(f"ratio {ratio:.2f} (limit {LIMIT})")
    modules = imported_modules(command)
    heavy = sorted({name for _, name in modules if name.split(".")[0] in HEAVY})
    print("slowest imports (cumulative):", ", ".join(f"{n} {us / 1000:.1f} ms" for us, n in modules[:6]))
    print("heavy modules imported:", ", ".join(heavy) or "none")
    if args.check and (ratio > LIMIT or heavy):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
