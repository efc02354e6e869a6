"""The pre-commit hooks: their ``files:`` pattern is the format table's, and a repository that uses
them gets the exit codes a user expects (pre-commit installs this repository as it stands)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, git, new_repo

from agentmerge.formats import DEFAULT_AGENT_GLOBS, files_regex, glob_regex

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))

GOOD = "---\nname: reviewer\ndescription: Reviews code changes\n---\n\nYou review code.\n\n- Read the diff first.\n"
BAD = (
    "---\nname: reviewer\ndescription: Use it when: a diff is ready\n---\n\n"
    "You review code.\n\n* Read the diff first.\n"
)
"""Invalid YAML (a check finding) and a ``*`` bullet (not the canonical form)."""

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def test_hooks_are_check_and_fmt_over_the_format_globs() -> None:
    """Both hooks run the installed command on the files the format table names, and no others."""
    assert [h["id"] for h in HOOKS] == ["agentmerge-check", "agentmerge-fmt"]
    assert [h["entry"] for h in HOOKS] == ["agentmerge check", "agentmerge fmt"]
    for hook in HOOKS:
        assert hook["files"] == files_regex(), "regenerate files: from agentmerge.formats.files_regex()"
        assert hook["language"] == "python"
    assert HOOKS[0]["require_serial"] is True  # one run sees every file: the library rules need them


@pytest.mark.parametrize(
    "path",
    [".claude/agents/a.md", "x/y.agent.md", "AGENTS.md", "a/CLAUDE.md", "p/q.prompt.md", "r.mdc", "README.md", "x.md"],
)
def test_files_pattern_agrees_with_the_globs(path: str) -> None:
    """pre-commit's re.search over the pattern picks a path exactly when a format glob matches it."""
    import re

    expected = any(glob_regex(g).match(path) for g in DEFAULT_AGENT_GLOBS)
    assert (re.search(files_regex(), path) is not None) is expected


needs_pre_commit = pytest.mark.skipif(
    not PRE_COMMIT.exists() or not (ROOT / ".git").exists() or shutil.which("git") is None,
    reason="needs pre-commit (the test extra), git, and this repository as a git checkout",
)


def hook_repository(target: Path) -> tuple[Path, str]:
    """This repository's working tree (tracked and new files, as git lists them) committed into a
    repository of its own at ``target``, and that commit: what pre-commit installs the hooks from,
    so the test covers uncommitted work too."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, "init", "-q")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "hooks")
    return target, git(target, "rev-parse", "HEAD").strip()


def run_hook(repo: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run HOOK --files FILES`` in ``repo``, with a pre-commit home of its own."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    env.pop("GIT_DIR", None)
    return subprocess.run(
        [str(PRE_COMMIT), "run", hook, "--files", *files],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
@needs_pre_commit
def test_hooks_in_a_repository(tmp_path: Path) -> None:
    """check passes the good agent and fails the bad one; fmt leaves the good one, rewrites the bad
    one (pre-commit then fails, as for black), and passes on the second run."""
    hooks, rev = hook_repository(tmp_path / "hooks")
    config = f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: agentmerge-check\n  - id: agentmerge-fmt\n"
    repo = new_repo(
        tmp_path / "project",
        {".claude/agents/good.md": GOOD, ".claude/agents/bad.md": BAD, ".pre-commit-config.yaml": config},
    )
    good, bad = ".claude/agents/good.md", ".claude/agents/bad.md"

    done = run_hook(repo, "agentmerge-check", good)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_hook(repo, "agentmerge-check", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "bad.md:3:1: AM101" in done.stdout

    done = run_hook(repo, "agentmerge-fmt", good)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / good).read_text(encoding="utf-8") == GOOD
    done = run_hook(repo, "agentmerge-fmt", bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "files were modified by this hook" in done.stdout
    assert (repo / bad).read_text(encoding="utf-8") == GOOD.replace(
        "description: Reviews code changes", "description: 'Use it when: a diff is ready'"
    )
    done = run_hook(repo, "agentmerge-fmt", bad)
    assert done.returncode == 0, done.stdout + done.stderr
