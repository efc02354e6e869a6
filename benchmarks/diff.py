"""Start-up benchmark of ``agentmerge diff``: wall time against the import floor.

The floor is the interpreter plus the imports every diff needs (click, python-frontmatter,
markdown-it-py, rapidfuzz); the diff of two seeds should cost at most 1.5 times that. Both are
timed as fresh processes, interleaved, several times; the medians and their ratio are printed.
Also lists the slowest imports of one diff (``python -X importtime``) so a heavy module that
slipped onto the import path shows up.

    .venv/bin/python benchmarks/diff.py [--repeats N] [--check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
FLOOR = [sys.executable, "-c", "import click, frontmatter, markdown_it, rapidfuzz.fuzz"]
LIMIT = 1.5
"""Most the diff may cost, as a multiple of the import floor."""
HEAVY = ("deepdiff", "numpy", "scipy", "sklearn", "pandas", "orjson")
"""Modules that must not load for a diff of two seeds."""


def diff_command() -> list[str]:
    script = shutil.which("agentmerge", path=str(Path(sys.executable).parent))
    entry = [script] if script else [sys.executable, "-m", "agentmerge"]
    return [*entry, "diff", str(SEEDS[0]), str(SEEDS[1]), "--no-exit-code"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The environment of the timed runs: bytecode caching on, as for an installed package (the
dependencies' caches were written at install time; without this agentmerge would recompile its
own modules on every run while the floor would not)."""


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - start


def imported_modules() -> list[tuple[int, str]]:
    """(cumulative microseconds, module) for every import of one diff, slowest first."""
    env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(diff_command(), capture_output=True, text=True, env=env, check=False)
    found = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
            if cumulative.isdigit():
                found.append((int(cumulative), name))
    return sorted(found, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the ratio exceeds {LIMIT}")
    args = parser.parse_args()
    command = diff_command()
    wall(FLOOR), wall(command)  # warm the file cache
    floor, diff = [], []
    for _ in range(args.repeats):
        floor.append(wall(FLOOR))
        diff.append(wall(command))
    f, d = statistics.median(floor), statistics.median(diff)
    print(f"import floor   median {f * 1000:7.1f} ms  (min {min(floor) * 1000:.1f}, {args.repeats} runs)")
    print(f"agentmerge diff median {d * 1000:6.1f} ms  (min {min(diff) * 1000:.1f}, {args.repeats} runs)")
    print(f"ratio {d / f:.2f} (limit {LIMIT})")
    modules = imported_modules()
    names = {name for _, name in modules}
    heavy = sorted(m for m in names if m.split(".")[0] in HEAVY or m in HEAVY)
    print("slowest imports (cumulative):", ", ".join(f"{n} {us / 1000:.1f} ms" for us, n in modules[:6]))
    print("heavy modules imported:", ", ".join(heavy) or "none")
    if args.check and (d / f > LIMIT or heavy):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
