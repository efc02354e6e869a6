"""agentmerge as git's merge driver: a real ``git merge`` in a temporary repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import git, new_repo, run_cli

pytestmark = pytest.mark.usefixtures("isolated_git", "agentmerge_on_path")

AGENT = """---
name: release-manager
description: Prepares releases
tools: Read, Bash
---

# Release Manager

## Rules

- Never release on a Friday
- Keep the changelog in Keep a Changelog form
- Announce the release in the team channel
"""
PATH = ".claude/agents/release-manager.md"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one agent committed on main and the merge driver installed."""
    repo = new_repo(tmp_path / "repo", {PATH: AGENT}, message="agent")
    done = run_cli("git", "install", cwd=repo)
    assert done.exit_code == 0, done.output
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "agentmerge driver")
    return repo


def branch(repo: Path, name: str, text: str) -> None:
    """Commit ``text`` as the agent on a new branch ``name`` made from main."""
    git(repo, "checkout", "-q", "-b", name, "main")
    (repo / PATH).write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", name)


def merge(repo: Path, other: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "merge", "--no-edit", other],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def test_both_branches_add_a_bullet_to_one_list_and_git_merges_cleanly(repo: Path) -> None:
    """Each branch adds a bullet at the end of the same list: git's line merge would conflict,
    with the driver the merge completes and the file holds both bullets, ours first."""
    last = "- Announce the release in the team channel\n"
    branch(repo, "theirs", AGENT.replace(last, last + "- Thank the contributors\n"))
    branch(repo, "ours", AGENT.replace(last, last + "- Tag the release from main only\n"))
    done = merge(repo, "theirs")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (repo / PATH).read_text(encoding="utf-8")
    assert text == AGENT.replace(last, last + "- Tag the release from main only\n- Thank the contributors\n")
    assert git(repo, "status", "--porcelain") == ""
    # git's own line merge of the same three versions stops with a conflict.
    for side in ("main", "ours", "theirs"):
        (repo.parent / side).write_text(git(repo, "show", f"{side}~1:{PATH}" if side == "ours" else f"{side}:{PATH}"))
    plain = subprocess.run(
        ["git", "merge-file", "-p", *(str(repo.parent / side) for side in ("ours", "main", "theirs"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 1


def test_the_same_bullet_reworded_differently_stops_with_markers_around_it(repo: Path) -> None:
    """Both branches reword one bullet: git merge stops, the file has markers around that bullet
    only, and the rest of the file is OURS' as it was."""
    old = "- Keep the changelog in Keep a Changelog form"
    branch(repo, "theirs", AGENT.replace(old, "- Keep the changelog in the release notes"))
    branch(repo, "ours", AGENT.replace(old, "- Keep the changelog up to date in CHANGELOG.md"))
    done = merge(repo, "theirs")
    assert done.returncode == 1
    assert "CONFLICT" in done.stdout
    text = (repo / PATH).read_text(encoding="utf-8")
    marked = "\n".join(
        [
            "<<<<<<< ours",
            "- Keep the changelog up to date in CHANGELOG.md",
            "||||||| base",
            old,
            "=======",
            "- Keep the changelog in the release notes",
            ">>>>>>> theirs",
        ]
    )
    assert text == AGENT.replace(old, marked)
    assert "UU " + PATH in git(repo, "status", "--porcelain")


def test_a_criss_cross_history_stops_with_a_conflict_rather_than_lose_ours(repo: Path) -> None:
    """Each branch resolved the other's rewording its own way, then merged again: git merges the
    two merge bases first and hands the result, markers and all, to the driver as its base, whose
    marker lines read as instructions, and OURS' resolution was replaced without a conflict. With
    ``merge.agentmerge.recursive`` set to git's binary driver, which install sets, the merge stops."""
    assert git(repo, "config", "--local", "merge.agentmerge.recursive") == "binary\n"
    old = "- Keep the changelog in Keep a Changelog form"
    branch(repo, "a", AGENT.replace(old, "- Keep the changelog in CHANGELOG.md (a)"))
    branch(repo, "b", AGENT.replace(old, "- Keep the changelog in CHANGELOG.md (b)"))
    for side, other, kept in (("a", "b", "a"), ("b", "a~1", "b")):
        git(repo, "checkout", "-q", side)
        assert merge(repo, other).returncode == 1
        (repo / PATH).write_text(AGENT.replace(old, f"- Keep the changelog in CHANGELOG.md ({kept})"), encoding="utf-8")
        git(repo, "commit", "-q", "-am", f"{side} keeps its wording")
    for side, rule in (("a", "- Sign the release tag"), ("b", "- Thank the contributors")):
        git(repo, "checkout", "-q", side)
        friday = "- Never release on a Friday\n"
        (repo / PATH).write_text((repo / PATH).read_text(encoding="utf-8").replace(friday, f"{friday}{rule}\n"))
        git(repo, "commit", "-q", "-am", f"{side} adds a rule")
    git(repo, "checkout", "-q", "a")
    done = merge(repo, "b")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CONFLICT" in done.stdout
