"""Benchmark ``agentmerge group`` and ``consolidate --by-group`` on growing libraries.

Run: ``.venv/bin/python benchmarks/group.py [--sizes 1000 3000 10000] [--jobs N]`` (needs
``../shared/corpus``).

1. Libraries of 1,000, 3,000 and 10,000 agent files built from the public corpus: each corpus
   file once, then perturbed copies of it (shuffled lists, dropped and reworded items, renamed
   headings, other list markers; ``benchmarks/consolidate.py``'s ``perturb``, seeded), in the corpus's
   collection folders.
2. For each size, in fresh interpreters and interleaved so both see the same machine load:
   the baseline, one process reading and parsing every file (``agentmerge.parse.read_agent``),
   then ``agentmerge group --format json`` on the folder. Reported: wall time, CPU time (all
   processes), peak memory of the main process and of the largest worker, the ratio of group's
   wall time to the baseline's, and the exponent of a least-squares fit of wall time against size.
3. ``consolidate --by-group`` over the first 1,000 corpus files (sorted by path) against the
   baseline of parsing those files; then one role: 50 perturbed variants of the four seeds
   (``benchmarks/consolidate.py``'s ``make_variants``), plain ``consolidate`` and ``--by-group``.

Figures depend on the machine and on what else runs on it; the ratios to the baseline measured
in the same run are what compares across machines.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT / "benchmarks"))

from consolidate import make_variants, perturb  # noqa: E402

# One command in a fresh interpreter that reports its own wall time, CPU time and peak memory.
RUNNER = """
import json, os, resource, sys, time
start = time.perf_counter()
sys.stdout = open(os.devnull, "w")
if sys.argv[1] == "parse":
    from agentmerge.parse import read_agent
    for path in open(sys.argv[2], encoding="utf-8").read().splitlines():
        read_agent(path)
    code = 0
else:
    from agentmerge.cli import main
    code = main(sys.argv[1:])
elapsed = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(json.dumps({
    "code": code, "seconds": elapsed,
    "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
    "rss_mb": me.ru_maxrss / 1024, "worker_rss_mb": kids.ru_maxrss / 1024,
}) + "\\n")
"""


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".md", ".mdc"))


def build_library(size: int, folder: Path, sources: list[Path]) -> list[Path]:
    """``size`` agent files: each corpus file once, then perturbed copies, in collection folders."""
    rng = random.Random(size)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sources]
    paths = []
    for n in range(size):
        source = sources[n % len(sources)]
        copy = n // len(sources)
        target = folder / source.parent.name / (source.name if not copy else source.name.replace(".", f".v{copy}.", 1))
        target.parent.mkdir(parents=True, exist_ok=True)
        text = texts[n % len(sources)]
        target.write_text(perturb(text, rng) if copy else text, encoding="utf-8")
        paths.append(target)
    return paths


def run(arguments: list[str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", RUNNER, *arguments], capture_output=True, text=True, check=False)
    result: dict[str, float] = json.loads(done.stderr.strip().splitlines()[-1])
    if result["code"] not in (0, 2):
        raise SystemExit(f"agentmerge {' '.join(arguments[:3])} ... failed: {done.stderr[-2000:]}")
    return result


def baseline(paths: list[Path], folder: Path) -> dict[str, float]:
    listing = folder / "files.txt"
    listing.write_text("\n".join(map(str, paths)), encoding="utf-8")
    return run(["parse", str(listing)])


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size), least squares: 1 is linear growth, 2 quadratic."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)


def row(label: str, result: dict[str, float], base: dict[str, float] | None = None) -> str:
    ratio = f"{result['seconds'] / base['seconds']:6.2f}" if base else "     -"
    return (
        f"{label:<34} {result['seconds']:8.1f} {result['cpu']:8.1f} {result['rss_mb']:8.0f} "
        f"{result['worker_rss_mb']:8.0f} {ratio}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per CPU)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"needs the public corpus at {CORPUS}", file=sys.stderr)
        return 2
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    sources = corpus_files()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(sources)} corpus files; {os.cpu_count()} CPUs; load average {load:.1f} at start")
    print(f"{'':<34} {'wall s':>8} {'cpu s':>8} {'main MB':>8} {'worker MB':>8} {'ratio':>6}")
    walls: list[float] = []
    cpus: list[float] = []
    with tempfile.TemporaryDirectory() as temp:
        for size in args.sizes:
            folder = Path(temp) / f"library-{size}"
            paths = build_library(size, folder, sources)
            base = baseline(paths, Path(temp))
            result = run(["group", "--format", "json", *jobs, str(folder)])
            walls.append(result["seconds"])
            cpus.append(result["cpu"])
            print(row(f"parse {size} files (baseline)", base))
            print(row(f"group {size} files", result, base))
        if len(args.sizes) > 1:
            print(
                f"group: wall time grows as size^{fitted_exponent(args.sizes, walls):.2f}, "
                f"CPU time as size^{fitted_exponent(args.sizes, cpus):.2f} (least-squares fits)"
            )

        first = sources[:1000]
        base = baseline(first, Path(temp))
        out = Path(temp) / "by-group"
        result = run(["consolidate", "--by-group", *jobs, "-o", str(out), *map(str, first)])
        print(row(f"parse {len(first)} corpus files (baseline)", base))
        print(row(f"consolidate --by-group {len(first)} files", result, base))
        print(f"  {len(list(out.iterdir()))} merged agents written")

        variants = Path(temp) / "variants"
        variants.mkdir()
        paths = make_variants(50, variants)
        base = baseline(paths, Path(temp))
        print(row("parse 50 variants (baseline)", base))
        print(row("consolidate 50 variants", run(["consolidate", *jobs, str(variants)]), base))
        grouped = run(["consolidate", "--by-group", *jobs, "-o", str(Path(temp) / "v50"), str(variants)])
        print(row("consolidate --by-group 50 variants", grouped, base))
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.1f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
