"""Benchmark: ``agentmerge review`` on a branch that edits, renames and deletes many agents.

Run from the repository root::

    .venv/bin/python benchmarks/review.py [--sizes 100 300 1000]

For each size a temporary repository is built with that many agent files under
``.claude/agents/`` (files of ``../shared/corpus`` when it is there, generated agents otherwise),
committed on ``main``; a ``feature`` branch then rewords one bullet and adds one in half of them,
renames a tenth with an edit, and deletes a tenth. ``agentmerge review --format json`` runs as a
subprocess (interpreter start and imports included); its wall time, peak resident memory, the
number of files reported and the time per file are printed. The corpus text is only copied into
the temporary repository, never into the project.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
AGENTMERGE = Path(sys.executable).parent / "agentmerge"


def sources(count: int, generated: bool) -> list[tuple[str, str]]:
    """``count`` (relative path, text) pairs: corpus files when present, generated agents otherwise."""
    if CORPUS.is_dir() and not generated:
        files = sorted(p for p in CORPUS.glob("*/*") if p.is_file() and p.name not in ("LICENSE", "SOURCES.tsv"))
        picked = files[:count]
        return [(f"{p.parent.name}/{p.name}", p.read_text(encoding="utf-8", errors="replace")) for p in picked]
    out = []
    for n in range(count):
        bullets = "".join(f"- Check the {k}th rule of role {n} before the review\n" for k in range(25))
        out.append(
            (f"generated/agent-{n:04}.md", f"---\nname: agent-{n}\ndescription: Role {n}\n---\n## Rules\n{bullets}")
        )
    return out


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args], cwd=repo, check=True)


def build(repo: Path, count: int, generated: bool) -> None:
    """A repository whose feature branch edits half, renames a tenth and deletes a tenth of ``count`` agents."""
    git(repo, "init", "-q", "-b", "main")
    paths = []
    for rel, text in sources(count, generated):
        target = repo / ".claude" / "agents" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        paths.append(target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "agents")
    git(repo, "checkout", "-q", "-b", "feature")
    for i, path in enumerate(paths):
        kind = i % 10
        if kind < 5 or kind == 5:
            lines = path.read_text(encoding="utf-8").split("\n")
            for j, line in enumerate(lines):
                if line.lstrip().startswith("- ") and len(line) > 30:
                    lines[j] = line.replace(" the ", " every ", 1) + " carefully"
                    break
            lines.append(f"- Added instruction {i} for the review")
            path.write_text("\n".join(lines), encoding="utf-8")
        if kind == 5:
            path.rename(path.with_name(f"renamed-{path.name}"))
        elif kind == 6:
            path.unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "edit agents")


def measure(repo: Path) -> tuple[float, float, int]:
    """Run the review once; return wall seconds, peak child memory in MB, files reported."""
    env = dict(os.environ, HOME=str(repo.parent), GIT_CONFIG_NOSYSTEM="1")
    start = time.perf_counter()
    done = subprocess.run(
        [str(AGENTMERGE), "review", "--base", "main", "--head", "feature", "--format", "json"],
        cwd=repo,
        env=env,
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, len(json.loads(done.stdout)["files"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--generated", action="store_true", help="Use generated agents even when the corpus is there.")
    args = parser.parse_args()
    print(f"{'agents':>7} {'reported':>9} {'seconds':>8} {'ms/file':>8} {'peak MB':>8}")
    for size in args.sizes:
        scratch = Path(tempfile.mkdtemp(prefix="agentmerge-bench-"))
        try:
            repo = scratch / "repo"
            repo.mkdir()
            build(repo, size, args.generated)
            wall, peak, reported = measure(repo)
            per_file = 1000 * wall / reported if reported else 0.0
            print(f"{size:>7} {reported:>9} {wall:>8.2f} {per_file:>8.1f} {peak:>8.0f}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
