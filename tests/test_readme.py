"""The README works as written for a newcomer: in a fresh copy of the repository, with no
``../shared`` beside it, its first command installs agentmerge and consolidates the bundled
fixtures, and from the same shell ``agentmerge git install`` makes ``git diff`` semantic.

The copy holds the files git tracks, as a clone would; the command runs in bash exactly as the
README prints it (pip needs a package index, as it does for the test command itself).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SEEDS

from agentmerge.formats import DEFAULT_AGENT_GLOBS

pytestmark = pytest.mark.slow

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    """The README's ``sh`` code blocks, in order."""
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def test_the_readme_opens_with_the_command_that_tries_the_fixtures_and_ends_with_ci() -> None:
    """The first command installs and consolidates the fixtures; .ci/run runs the test command."""
    first = shell_blocks(README)[0].strip()
    assert "pip install" in first and "agentmerge consolidate fixtures/backend-engineer/*.md" in first
    test_command = next(b.strip() for b in shell_blocks(README) if ".venv/bin/pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == test_command


def fresh_copy(target: Path) -> Path:
    """The files git tracks (as they are in the working tree), copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the README test copies the files git tracks")
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_first_command_then_git_install_and_git_diff_work_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = fresh_copy(tmp_path / "clone" / "agentmerge")
    assert not (clone.parent.parent / "shared").exists()
    home = tmp_path / "home"
    home.mkdir()
    repo = tmp_path / "project"
    (repo / ".claude" / "agents").mkdir(parents=True)
    seed = SEEDS[0].read_text(encoding="utf-8")
    (repo / ".claude" / "agents" / "backend.md").write_text(seed, encoding="utf-8")
    script = f"""set -e
{shell_blocks(README)[0].strip()} > "{tmp_path}/merged.md"
cd "{repo}"
git init -q -b main
git add . && git commit -q -m agent
agentmerge git install
sed -i.bak 's/- Build data processing pipelines/- Build and monitor streaming data pipelines/' .claude/agents/backend.md
rm .claude/agents/backend.md.bak
git diff
"""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VIRTUAL_ENV", "PYTHON"))},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.com",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    merged = (tmp_path / "merged.md").read_text(encoding="utf-8")
    assert merged == (FIXTURES / "backend-engineer.merged.md").read_text(encoding="utf-8")
    assert f"added {len(DEFAULT_AGENT_GLOBS) + 1} lines to" in done.stdout  # the globs under a comment line
    assert "reworded (71%): Build {+and monitor streaming+} data [-processing-] pipelines" in done.stdout
    assert "0 added, 0 removed, 1 reworded, 0 moved, 0 frontmatter" in done.stdout
