"""Benchmark ``agentmerge consolidate``: the four seeds against the import floor, then growth.

Run: ``.venv/bin/python benchmarks/consolidate.py [--repeat N]``

1. The import floor: a fresh interpreter importing click, python-frontmatter, markdown-it-py and
   rapidfuzz (what any agentmerge command needs). Median wall time over the repeats.
2. ``agentmerge consolidate`` of the four bundled seeds in a fresh interpreter, median over the
   same repeats, run interleaved with the floor so both see the same machine load. The target
   is at most 2 x the floor; the script exits 1 when it is missed.
3. 10, 50 and 200 variants of the one role, made from the seeds by deterministic perturbations
   (shuffled lists, dropped items, reworded items, renamed headings, other list markers): wall
   time and peak memory (max RSS) of one consolidation each, so growth is visible.
4. With ``--mixed-corpus``: ``consolidate --mixed`` of the first 50, 100 and 200 Cursor rules
   (``*.mdc``, by path) of ``../shared/corpus``, files of many roles merged into one, where
   every item is weighed against items of every other input: the largest consolidations a user
   runs. Skipped with a line saying so when the corpus is absent.

Before timing, the package is byte-compiled (``compileall``), as an installed package is: the
floor's libraries load from compiled bytecode too, and a run with PYTHONDONTWRITEBYTECODE set
would otherwise compile agentmerge from source on every start.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import FLOOR, entry, ratios

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
TARGET_RATIO = 2.0
SIZES = (10, 50, 200)
CORPUS = ROOT.parent / "shared" / "corpus"
MIXED_SIZES = (50, 100, 200)

# One consolidation in a fresh interpreter that reports its own wall time and peak memory.
RUNNER = """
import json, os, resource, sys, time
start = time.perf_counter()
from agentmerge.cli import main
sys.stdout = open(os.devnull, "w")
code = main(["consolidate", "--format", "json", *sys.argv[1:]])
elapsed = time.perf_counter() - start
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(json.dumps({"code": code, "seconds": elapsed, "rss_mb": rss_kb / 1024}) + "\\n")
"""

REWORDS = {
    "Implement": "Build",
    "implement": "build",
    "Ensure": "Make sure",
    "ensure": "make sure",
    "database": "DB",
    "Database": "DB",
    "authentication": "auth",
    "documentation": "docs",
    "configuration": "config",
    "Write": "Create",
    "optimize": "tune",
    "comprehensive": "thorough",
    "proper": "correct",
    "Use": "Prefer",
}
"""Word swaps a second author might make; some are in the matcher's synonym table, some not."""

HEADING_PREFIXES = ("Your ", "Key ", "Core ", "")


def perturb(text: str, rng: random.Random) -> str:
    """A deterministic variant of one agent file: same role, another author's hand."""
    lines = text.split("\n")
    out: list[str] = []
    run: list[str] = []
    in_code = False
    in_front = lines[:1] == ["---"]

    def flush() -> None:
        if len(run) > 2 and rng.random() < 0.5:
            rng.shuffle(run)
        out.extend(run)
        run.clear()

    for index, line in enumerate(lines):
        if in_front:
            out.append(line)
            if index > 0 and line == "---":
                in_front = False
            continue
        if line.startswith("```"):
            in_code = not in_code
        item = re.match(r"^(\s*)([-*]|\d+\.)\s+(.*)$", line)
        if item and not in_code and not item.group(1):
            roll = rng.random()
            if roll < 0.1:
                continue  # dropped
            body = item.group(3)
            if roll < 0.45:
                words = body.split(" ")
                body = " ".join(REWORDS.get(w, w) if rng.random() < 0.6 else w for w in words)
            marker = item.group(2)
            if marker in "-*" and rng.random() < 0.3:
                marker = "*" if marker == "-" else "-"
            run.append(f"{marker} {body}")
            continue
        flush()
        heading = re.match(r"^(#{2,6})\s+(.*)$", line)
        if heading and not in_code and rng.random() < 0.3:
            title = re.sub(r"^(Your |Key |Core )", "", heading.group(2))
            line = f"{heading.group(1)} {rng.choice(HEADING_PREFIXES)}{title}"
        out.append(line)
    flush()
    return "\n".join(out)


def make_variants(count: int, directory: Path) -> list[Path]:
    """``count`` perturbed copies of the seeds in ``directory`` (seeded: the same every run)."""
    rng = random.Random(count)
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    paths = []
    for n in range(count):
        path = directory / f"variant-{n:04d}.md"
        path.write_text(perturb(texts[n % len(texts)], rng), encoding="utf-8")
        paths.append(path)
    return paths


def one_run(paths: list[Path], *options: str) -> dict[str, float]:
    command = [sys.executable, "-c", RUNNER, *options, *map(str, paths)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per median (default 15)")
    parser.add_argument("--mixed-corpus", action="store_true", help="also --mixed of 50-200 corpus Cursor rules")
    args = parser.parse_args()

    command = [*entry(), "consolidate", *map(str, SEEDS)]
    floor_median, medians = ratios({"consolidate": command}, args.repeat)
    seeds_median = medians["consolidate"]
    ratio = seeds_median / floor_median
    print(f"import floor ({FLOOR[-1]}): median {floor_median * 1000:.0f} ms over {args.repeat} runs")
    print(
        f"consolidate 4 seeds: median {seeds_median * 1000:.0f} ms = {ratio:.2f} x floor "
        f"(target <= {TARGET_RATIO:.0f} x): {'ok' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print("files  items  seconds  peak MB  (one role, perturbed seeds; one run each, in a fresh interpreter)")
    with tempfile.TemporaryDirectory() as temp:
        for size in SIZES:
            directory = Path(temp) / str(size)
            directory.mkdir()
            paths = make_variants(size, directory)
            result = one_run(paths)
            items = sum(
                1
                for p in paths
                for line in p.read_text(encoding="utf-8").split("\n")
                if re.match(r"^\s*([-*]|\d+\.)\s", line)
            )
            print(f"{size:>5}  {items:>5}  {result['seconds']:>7.2f}  {result['rss_mb']:>7.1f}")
    if args.mixed_corpus:
        mixed_growth()
    return 0 if ratio <= TARGET_RATIO else 1


def mixed_growth() -> None:
    """Step 4: ``consolidate --mixed`` of the corpus's first Cursor rules, by count."""
    rules = sorted(CORPUS.rglob("*.mdc"))
    if len(rules) < max(MIXED_SIZES):
        print(f"--mixed growth skipped: needs {max(MIXED_SIZES)} Cursor rules in {CORPUS} (../shared)")
        return
    print("files  seconds  peak MB  (consolidate --mixed of corpus Cursor rules; one run each)")
    for size in MIXED_SIZES:
        result = one_run(rules[:size], "--mixed")
        print(f"{size:>5}  {result['seconds']:>7.2f}  {result['rss_mb']:>7.1f}")


if __name__ == "__main__":
    sys.exit(main())
