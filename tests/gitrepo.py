"""Temporary git repositories for the tests of review, the GitHub Action and the diff driver."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

UNSET = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_EXTERNAL_DIFF",
    "GIT_PAGER",
    "PAGER",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
)
"""Variables of the calling environment that would point git, or a workflow step, elsewhere."""


def isolate_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the user's and the system's git configuration out of a test; return its own home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    return home


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a test author and return its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=Test Author", "-c", "user.email=author@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def write(repo: Path, path: str, text: str) -> None:
    """Write ``text`` to ``path`` inside ``repo``, making its folders."""
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def new_repo(repo: Path, files: dict[str, str] | None = None, *, branch: str = "main", message: str = "one") -> Path:
    """A new repository at ``repo`` on ``branch``; ``files`` (path to text), if any, committed."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", branch)
    if files:
        for path, text in files.items():
            write(repo, path, text)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", message)
    return repo
