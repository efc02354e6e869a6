"""Start-up of every command against the import floor, in one interleaved set of fresh processes.

Run: ``.venv/bin/python benchmarks/startup.py [--repeats N] [--check]``

The import floor is a fresh interpreter importing what any agentmerge command needs (click,
python-frontmatter, markdown-it-py, rapidfuzz). Each round runs the floor, then every command
once, each in a fresh process, so all of them see the same machine load; the table gives each
command's median wall time and its ratio to the floor's median, against the command's limit:

- ``diff`` of two seeds, ``merge`` of two seeds (THEIRS a one-word edit of BASE), ``check`` of one
  seed, ``fmt --check`` of one seed: 1.5 x;
- ``consolidate`` of the four seeds: 2 x.

Timed runs keep bytecode caching on, as for an installed package; the package is byte-compiled
first. ``--check`` exits 1 when a ratio exceeds its limit. ``diff.py``, ``merge.py``, ``check.py``
and ``consolidate.py`` use the helpers here for their own start-up lines.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
FLOOR = [sys.executable, "-c", "import click, frontmatter, markdown_it, rapidfuzz.fuzz"]
"""The import floor: what any agentmerge command imports before it does anything."""
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The environment of the timed runs: bytecode caching on, as for an installed package (the
dependencies' caches were written at install time; without this agentmerge would recompile its
own modules on every run while the floor would not)."""
HEAVY = ("deepdiff", "numpy", "scipy", "sklearn", "pandas", "orjson", "multiprocessing")
"""Modules that must not load for one small command."""


def entry() -> list[str]:
    """How to run agentmerge: the installed script beside this interpreter, else ``-m``."""
    script = shutil.which("agentmerge", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "agentmerge"]


def wall(command: list[str]) -> float:
    """Wall time of one run of ``command`` in a fresh process, its output discarded."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def imported_modules(command: list[str]) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) for every import of one run of ``command``, slowest first."""
    env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
            if cumulative.isdigit():
                found.append((int(cumulative), name))
    return sorted(found, reverse=True)


def heavy_modules(command: list[str]) -> list[str]:
    """The HEAVY modules one run of ``command`` imports."""
    return sorted({name for _, name in imported_modules(command) if name.split(".")[0] in HEAVY})


def ratios(commands: dict[str, list[str]], repeats: int) -> tuple[float, dict[str, float]]:
    """The floor's median and each command's median, over ``repeats`` interleaved rounds."""
    compileall.compile_dir(str(ROOT / "agentmerge"), quiet=1)
    for command in (FLOOR, *commands.values()):
        wall(command)  # warm the file cache
    floor: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        floor.append(wall(FLOOR))
        for name, command in commands.items():
            times[name].append(wall(command))
    return statistics.median(floor), {name: statistics.median(found) for name, found in times.items()}


def commands(folder: Path) -> dict[str, tuple[list[str], float]]:
    """Every command timed, with its limit; ``folder`` holds the files they write or read."""
    theirs = folder / "theirs.md"
    base = SEEDS[0].read_text(encoding="utf-8")
    theirs.write_text(base.replace("Design and optimize", "Design, review and optimize"), encoding="utf-8")
    run = entry()
    return {
        "diff": ([*run, "diff", str(SEEDS[0]), str(SEEDS[1]), "--no-exit-code"], 1.5),
        "merge": ([*run, "merge", str(SEEDS[0]), str(SEEDS[1]), str(theirs), "-o", str(folder / "m.md")], 1.5),
        "consolidate": ([*run, "consolidate", *map(str, SEEDS), "-o", str(folder / "c.md")], 2.0),
        "check": ([*run, "check", "--exit-zero", str(SEEDS[2])], 1.5),
        "fmt --check": ([*run, "fmt", "--check", str(SEEDS[2])], 1.5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="rounds (default 21)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio exceeds its limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        table = commands(Path(temp))
        floor, medians = ratios({name: command for name, (command, _) in table.items()}, args.repeats)
    print(f"import floor: median {floor * 1000:.1f} ms, {args.repeats} rounds, load average {os.getloadavg()[0]:.2f}")
    print(f"{'command':<14} {'median ms':>9} {'ratio':>6} {'limit':>6}")
    missed = []
    for name, (_, limit) in table.items():
        ratio = medians[name] / floor
        print(f"{name:<14} {medians[name] * 1000:9.1f} {ratio:6.2f} {limit:6.1f}{'' if ratio <= limit else '  over'}")
        if ratio > limit:
            missed.append(name)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
