"""Benchmark of ``agentmerge check`` and ``agentmerge fmt``: start-up against the import floor, and
how the cost of checking a library grows with its size.

Start-up: ``check`` of one seed and ``fmt --check`` of one seed, each timed as fresh processes
interleaved with the import floor (the interpreter plus click, python-frontmatter, markdown-it-py
and rapidfuzz), medians and their ratio printed; the limit is 1.5x, as for ``diff``. The slowest
imports of one ``check`` are listed so a heavy module that slipped onto its path shows up.

Growth (with ``../shared/corpus``): ``check`` over the first 100, 300 and all corpus files in one
process with one worker, against the same files only parsed, with the growth exponent of each
(time ~ files^k; 1 is linear).

    .venv/bin/python benchmarks/check.py [--repeats N] [--check] [--no-corpus]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
CORPUS = ROOT.parent / "shared" / "corpus"
FLOOR = [sys.executable, "-c", "import click, frontmatter, markdown_it, rapidfuzz.fuzz"]
LIMIT = 1.5
"""Most one check may cost, as a multiple of the import floor."""
HEAVY = ("deepdiff", "numpy", "scipy", "sklearn", "pandas", "orjson", "multiprocessing")
"""Modules that must not load for a check of one file."""
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def entry() -> list[str]:
    script = shutil.which("agentmerge", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "agentmerge"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - start


def imported_modules(command: list[str]) -> list[tuple[int, str]]:
    env = dict(ENV, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
            if cumulative.isdigit():
                found.append((int(cumulative), name))
    return sorted(found, reverse=True)


def startup(repeats: int) -> bool:
    commands = {
        "check": [*entry(), "check", "--exit-zero", str(SEEDS[2])],
        "fmt --check": [*entry(), "fmt", "--check", str(SEEDS[2])],
    }
    for command in (FLOOR, *commands.values()):
        wall(command)  # warm the file cache
    times: dict[str, list[float]] = {"floor": [], **{name: [] for name in commands}}
    for _ in range(repeats):
        times["floor"].append(wall(FLOOR))
        for name, command in commands.items():
            times[name].append(wall(command))
    floor = statistics.median(times["floor"])
    print(f"import floor        median {floor * 1000:7.1f} ms ({repeats} runs)")
    ok = True
    for name in commands:
        median = statistics.median(times[name])
        print(f"agentmerge {name:<12} {median * 1000:7.1f} ms  ratio {median / floor:.2f} (limit {LIMIT})")
        ok &= median / floor <= LIMIT
    modules = imported_modules(commands["check"])
    heavy = sorted({n for _, n in modules if n.split(".")[0] in HEAVY})
    print("slowest imports of check (cumulative):", ", ".join(f"{n} {us / 1000:.1f} ms" for us, n in modules[:6]))
    print("heavy modules imported:", ", ".join(heavy) or "none")
    return ok and not heavy


def growth() -> None:
    from agentmerge.check import Selection, check_paths
    from agentmerge.parse import read_agent

    files = sorted(str(p) for p in CORPUS.glob("*/*") if p.is_file() and p.name not in ("LICENSE", "SOURCES.tsv"))
    sizes = [n for n in (100, 300, len(files)) if n <= len(files)]
    rows = []
    for n in sizes:
        chosen = files[:n]
        start = time.perf_counter()
        for path in chosen:
            read_agent(path)
        parse = time.perf_counter() - start
        start = time.perf_counter()
        result = check_paths(chosen, Selection(("ALL",)), jobs=1)
        check = time.perf_counter() - start
        rows.append((n, parse, check, len(result.findings)))
        print(
            f"{n:5d} files: parse {parse:6.2f} s, check {check:6.2f} s ({check / parse:.1f}x parsing, "
            f"{check / n * 1000:.1f} ms a file), {len(result.findings)} findings"
        )
    if len(rows) >= 2:
        (n0, p0, c0, _), (n1, p1, c1, _) = rows[0], rows[-1]
        k = math.log(c1 / c0) / math.log(n1 / n0)
        kp = math.log(p1 / p0) / math.log(n1 / n0)
        print(f"growth exponent {n0}->{n1} files: check {k:.2f}, parse {kp:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a ratio exceeds {LIMIT}")
    parser.add_argument("--no-corpus", action="store_true", help="only the start-up figures")
    args = parser.parse_args()
    ok = startup(args.repeats)
    if not args.no_corpus and CORPUS.is_dir():
        growth()
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
