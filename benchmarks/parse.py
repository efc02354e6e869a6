"""Benchmark: ``agentmerge parse --format json`` against bare markdown-it-py on the same files.

Run from the repository root with the corpus present beside it (``../shared/corpus``)::

    .venv/bin/python benchmarks/parse.py [--files 400] [--repeats 5]

Both sides run as whole subprocesses (interpreter start and imports included), several times;
the median wall time of each, their ratio and each side's peak resident memory are printed.
The target is a ratio of at most 2.5: reading frontmatter, folding sections and writing JSON
should cost little beside the Markdown parsing itself.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from startup import measured

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

BASELINE = """
import sys
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table")
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        md.parse(handle.read())
"""


def corpus_sample(count: int) -> list[str]:
    """``count`` corpus files spread evenly over the sorted corpus (every collection is sampled)."""
    files = sorted(str(p) for p in CORPUS.glob("*/*") if p.is_file() and p.name not in ("LICENSE", "SOURCES.tsv"))
    if len(files) <= count:
        return files
    step = len(files) / count
    return [files[int(n * step)] for n in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=400, help="how many corpus files to parse")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each side; the median is reported")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}; nothing to measure", file=sys.stderr)
        return 2
    files = corpus_sample(args.files)
    size = sum(Path(f).stat().st_size for f in files)
    sides = {
        "markdown-it-py": [sys.executable, "-c", BASELINE, *files],
        "agentmerge parse --format json": [sys.executable, "-m", "agentmerge", "parse", "--format", "json", *files],
    }
    for command in sides.values():
        measured(command)  # warm the file cache and the byte-code cache
    # The sides alternate, so that a change in the machine's load touches both alike.
    times: dict[str, list[float]] = {name: [] for name in sides}
    peaks: dict[str, list[int]] = {name: [] for name in sides}
    for _ in range(args.repeats):
        for name, command in sides.items():
            elapsed, peak = measured(command)
            times[name].append(elapsed)
            peaks[name].append(peak)
    results = {name: (statistics.median(times[name]), max(peaks[name])) for name in sides}
    print(f"{len(files)} files, {size / 1e6:.1f} MB, median of {args.repeats} runs")
    for name, (elapsed, peak) in results.items():
        print(f"  {name:<32} {elapsed:6.3f} s   peak RSS {peak / 2**20:6.1f} MiB")
    base = results["markdown-it-py"][0]
    ours = results["agentmerge parse --format json"][0]
    print(f"  ratio {ours / base:.2f} (target <= 2.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
