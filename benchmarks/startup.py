"""Start-up of every command against the import floor, in one interleaved set of fresh processes.

Run: ``.venv/bin/python benchmarks/startup.py [--repeats N] [--check]``

The import floor is a fresh interpreter importing what any agentmerge command needs (click,
python-frontmatter, markdown-it-py, rapidfuzz). Each round runs the floor and every command once,
each in a fresh process, so all of them see the same machine load, in an order that turns by one
place each round (a run right after a short one is faster by about 1%); the table gives each
command's median wall time and the median of its per-round ratio to the floor (with the
quartiles, since a shared machine's timings wander), against the command's limit:

- ``diff`` of two seeds, ``merge`` of two seeds (THEIRS a one-word edit of BASE), ``check`` of one
  seed, ``fmt --check`` of one seed: 1.5 x;
- ``consolidate`` of the four seeds: 2 x;
- ``check`` of one seed with the opt-in matcher rules AM203 and AM204: shown, no limit.

Timed runs keep bytecode caching on, as for an installed package; the package is byte-compiled
first. ``--check`` exits 1 when a ratio exceeds its limit. ``diff.py``, ``merge.py``, ``check.py``,
``consolidate.py`` and ``parse.py`` use the helpers here for their own start-up and memory lines.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
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
    return timed(command)[0]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user and system) of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one run of ``command`` in a fresh process, its
    output discarded; stops the benchmark when it fails (an exit code other than 0 or 2)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if process.returncode not in (0, 2):
        raise SystemExit(f"{command[:3]} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


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


Times = dict[str, list[tuple[float, float]]]
"""(wall, CPU) seconds of each run, by name; the floor's under "floor"."""


def rounds(commands: dict[str, list[str]], repeats: int) -> Times:
    """Wall and CPU times of the floor and of each command over ``repeats`` interleaved rounds."""
    compileall.compile_dir(str(ROOT / "agentmerge"), quiet=1)
    for command in (FLOOR, *commands.values()):
        wall(command)  # warm the file cache
    order = [("floor", FLOOR), *commands.items()]
    times: Times = {name: [] for name, _ in order}
    for round_number in range(repeats):
        # The order turns by one each round: a run right after a short one is about 1% faster
        # than the same run later in the round, so no command may always hold one place.
        turn = round_number % len(order)
        for name, command in order[turn:] + order[:turn]:
            times[name].append(timed(command))
    return times


def ratios(commands: dict[str, list[str]], repeats: int) -> tuple[float, dict[str, float]]:
    """The floor's median wall time and each command's, over ``repeats`` interleaved rounds."""
    times = rounds(commands, repeats)
    medians = {name: statistics.median(w for w, _ in found) for name, found in times.items()}
    return medians.pop("floor"), medians


def round_ratios(times: Times, name: str, cpu: bool = False) -> list[float]:
    """Each round's time of ``name`` over that round's floor (wall, or CPU with ``cpu``)."""
    pick = 1 if cpu else 0
    return [t[pick] / f[pick] for t, f in zip(times[name], times["floor"], strict=True)]


def commands(folder: Path) -> dict[str, tuple[list[str], float | None]]:
    """Every command timed, with its limit (None: shown, not held to one); ``folder`` holds the
    files they write or read."""
    theirs = folder / "theirs.md"
    base = SEEDS[0].read_text(encoding="utf-8")
    theirs.write_text(base.replace("Design and optimize", "Design, review and optimize"), encoding="utf-8")
    run = entry()
    return {
        "diff": ([*run, "diff", str(SEEDS[0]), str(SEEDS[1]), "--no-exit-code"], 1.5),
        "merge": ([*run, "merge", str(SEEDS[0]), str(SEEDS[1]), str(theirs), "-o", str(folder / "m.md")], 1.5),
        "consolidate": ([*run, "consolidate", *map(str, SEEDS), "-o", str(folder / "c.md")], 2.0),
        "check": ([*run, "check", "--exit-zero", str(SEEDS[2])], 1.5),
        "check +AM203": ([*run, "check", "--exit-zero", "--extend-select", "AM203,AM204", str(SEEDS[2])], None),
        "fmt --check": ([*run, "fmt", "--check", str(SEEDS[2])], 1.5),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="rounds (default 21)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio exceeds its limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        table = commands(Path(temp))
        times = rounds({name: command for name, (command, _) in table.items()}, args.repeats)
    floor = statistics.median(w for w, _ in times["floor"])
    print(f"import floor: median {floor * 1000:.1f} ms, {args.repeats} rounds, load average {os.getloadavg()[0]:.2f}")
    print("ratio: the median of each round's time over that round's floor, wall (quartiles) and CPU")
    print(f"{'command':<14} {'median ms':>9} {'wall':>6} {'quartiles':>11} {'CPU':>6} {'limit':>6}")
    missed = []
    for name, (_, limit) in table.items():
        each = round_ratios(times, name)
        ratio = statistics.median(each)
        low, _, high = statistics.quantiles(each, n=4)
        cpu = statistics.median(round_ratios(times, name, cpu=True))
        median = statistics.median(w for w, _ in times[name])
        over = limit is not None and ratio > limit
        shown = "-" if limit is None else f"{limit:.1f}"
        print(
            f"{name:<14} {median * 1000:9.1f} {ratio:6.2f}  {low:4.2f}-{high:4.2f} {cpu:6.2f} {shown:>6}"
            f"{'  over' if over else ''}"
        )
        if over:
            missed.append(name)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
