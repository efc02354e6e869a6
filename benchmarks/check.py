"""Benchmark of ``agentmerge check`` and ``agentmerge fmt``: start-up against the import floor, and
how the cost of checking a library grows with its size.

Start-up: ``check`` of one seed and ``fmt --check`` of one seed, each timed as fresh processes
interleaved with the import floor (the interpreter plus click, python-frontmatter, markdown-it-py
and rapidfuzz), medians and their ratio printed; the limit is 1.5x, as for ``diff``. The slowest
imports of one ``check`` are listed so a heavy module that slipped onto its path shows up.

Growth (with ``../shared/corpus``): ``check`` over the first 100, 300 and all corpus files in one
process with one worker, against the same files only parsed, with the growth exponent of each
(time ~ files^k; 1 is linear), and the peak memory of the same ``check`` as a fresh process with
one worker (``--jobs 1``): what a library costs one process. Then ``fmt --check`` over the same
files as fresh processes, with one worker (``--jobs 1``) and with the default (one per CPU),
interleaved, medians of three rounds: how formatting a library grows and what the workers save.

    .venv/bin/python benchmarks/check.py [--repeats N] [--check] [--no-corpus]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

from startup import ENV, HEAVY, SEEDS, entry, imported_modules, measured, ratios, wall

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
LIMIT = 1.5
"""Most one check may cost, as a multiple of the import floor."""


def startup(repeats: int) -> bool:
    commands = {
        "check": [*entry(), "check", "--exit-zero", str(SEEDS[2])],
        "fmt --check": [*entry(), "fmt", "--check", str(SEEDS[2])],
    }
    floor, medians = ratios(commands, repeats)
    print(f"import floor        median {floor * 1000:7.1f} ms ({repeats} runs)")
    ok = True
    for name in commands:
        median = medians[name]
        print(f"agentmerge {name:<12} {median * 1000:7.1f} ms  ratio {median / floor:.2f} (limit {LIMIT})")
        ok &= median / floor <= LIMIT
    modules = imported_modules(commands["check"])
    heavy = sorted({n for _, n in modules if n.split(".")[0] in HEAVY})
    print("slowest imports of check (cumulative):", ", ".join(f"{n} {us / 1000:.1f} ms" for us, n in modules[:6]))
    print("heavy modules imported:", ", ".join(heavy) or "none")
    return ok and not heavy


def growth() -> None:
    from agentmerge.check import OPT_IN, Selection, check_paths
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
        result = check_paths(chosen, Selection(("ALL",), extend=OPT_IN), jobs=1)
        check = time.perf_counter() - start
        rows.append((n, parse, check, len(result.findings)))
        command = [*entry(), "check", "--select", "ALL", "--extend-select", ",".join(OPT_IN), "--jobs", "1"]
        _, peak = measured([*command, "--exit-zero", *chosen], env=ENV)
        print(
            f"{n:5d} files: parse {parse:6.2f} s, check {check:6.2f} s ({check / parse:.1f}x parsing, "
            f"{check / n * 1000:.1f} ms a file), {len(result.findings)} findings; "
            f"peak {peak / 2**20:.0f} MB as a command with one worker"
        )
    if len(rows) >= 2:
        (n0, p0, c0, _), (n1, p1, c1, _) = rows[0], rows[-1]
        k = math.log(c1 / c0) / math.log(n1 / n0)
        kp = math.log(p1 / p0) / math.log(n1 / n0)
        print(f"growth exponent {n0}->{n1} files: check {k:.2f}, parse {kp:.2f}")
    fmt_growth(files, sizes)


def fmt_growth(files: list[str], sizes: list[int], rounds: int = 3) -> None:
    """``fmt --check`` of the first ``sizes`` files, one worker against the default, fresh processes."""
    timed = []
    for n in sizes:
        command = [*entry(), "fmt", "--check", *files[:n]]
        times: dict[str, list[float]] = {"1": [], "default": []}
        for _ in range(rounds):
            times["1"].append(wall([*command, "--jobs", "1"]))
            times["default"].append(wall(command))
        one, default = (statistics.median(times[k]) for k in ("1", "default"))
        timed.append((n, one, default))
        print(
            f"{n:5d} files: fmt --check {one:6.2f} s with one worker, {default:6.2f} s with "
            f"{os.cpu_count()} CPUs (ratio {default / one:.2f}; {one / n * 1000:.1f} ms a file)"
        )
    if len(timed) >= 2:
        (n0, o0, d0), (n1, o1, d1) = timed[0], timed[-1]
        exponent = math.log(n1 / n0)
        print(
            f"growth exponent {n0}->{n1} files: fmt {math.log(o1 / o0) / exponent:.2f} one worker, "
            f"{math.log(d1 / d0) / exponent:.2f} default"
        )


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
