"""agentmerge git install: the diff driver that makes plain ``git diff`` semantic for agent files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, git, new_repo, run_cli

from agentmerge.formats import DEFAULT_AGENT_GLOBS
from agentmerge.git import ATTRIBUTES_HEADER, MERGE_DRIVER_COMMAND

SEED = (FIXTURES / "backend-engineer" / "000-headings-checklists.md").read_text(encoding="utf-8")
OLD_BULLET = "- Build data processing pipelines"
NEW_BULLET = "- Build and monitor streaming data pipelines"
pytestmark = pytest.mark.usefixtures("isolated_git", "agentmerge_on_path")


def make_repo(tmp_path: Path) -> Path:
    """A repository with one committed agent and an unrelated .gitattributes line."""
    return new_repo(
        tmp_path / "repo", {".claude/agents/backend.md": SEED, ".gitattributes": "*.png binary\n"}, message="agent"
    )


def test_install_twice_configures_once(tmp_path: Path) -> None:
    """The second run changes nothing and says so; .gitattributes has no duplicated lines."""
    repo = make_repo(tmp_path)
    code, first, _ = run_cli("git", "install", cwd=repo)
    assert code == 0
    assert "set diff.agentmerge.command = 'agentmerge diff --'" in first
    assert f"added {len(DEFAULT_AGENT_GLOBS) + 2} lines to" in first  # the comment, and a blank line before it
    attributes = (repo / ".gitattributes").read_text()
    code, second, _ = run_cli("git", "install", cwd=repo)
    assert code == 0
    assert second.startswith("nothing to change")
    assert (repo / ".gitattributes").read_text() == attributes
    lines = [line for line in attributes.splitlines() if line.strip()]
    assert len(lines) == len(set(lines))
    wanted = [f"{g} diff=agentmerge merge=agentmerge" for g in DEFAULT_AGENT_GLOBS]
    assert lines == ["*.png binary", ATTRIBUTES_HEADER, *wanted]
    assert git(repo, "config", "--local", "--get-all", "merge.agentmerge.driver") == f"{MERGE_DRIVER_COMMAND}\n"
    assert git(repo, "config", "--local", "--get-all", "diff.agentmerge.command") == "agentmerge diff --\n"
    assert (
        git(repo, "check-attr", "diff", ".claude/agents/backend.md") == ".claude/agents/backend.md: diff: agentmerge\n"
    )


def test_git_diff_shows_the_reworded_bullet_in_agentmerge_words(tmp_path: Path) -> None:
    """After install, plain ``git diff`` on an edited agent is agentmerge's semantic diff."""
    repo = make_repo(tmp_path)
    run_cli("git", "install", cwd=repo)
    run_cli("git", "install", cwd=repo)
    git(repo, "commit", "-q", "-m", "use agentmerge for agent diffs", ".gitattributes")
    (repo / ".claude/agents/backend.md").write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    shown = git(repo, "diff")
    assert "reworded" in shown
    assert "streaming" in shown and "monitor" in shown
    assert "reworded" in shown and "Build" in shown
    assert f"\n-{OLD_BULLET}" not in shown  # git's own line diff would show the old line removed
    assert "diff --git" not in shown


def test_git_show_and_log_use_the_driver_with_ext_diff(tmp_path: Path) -> None:
    """git show and git log -p run the driver only when asked with --ext-diff, as documented."""
    repo = make_repo(tmp_path)
    run_cli("git", "install", cwd=repo)
    (repo / ".claude/agents/backend.md").write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "reword")
    assert "reworded" in git(repo, "show", "--ext-diff", "--format=", "HEAD")
    assert "reworded" in git(repo, "log", "-p", "--ext-diff", "-1", "--format=")
    assert f"-{OLD_BULLET}" in git(repo, "log", "-p", "-1", "--format=")


def test_git_diff_of_a_renamed_agent_runs_the_driver_with_both_paths(tmp_path: Path) -> None:
    """For a rename git passes nine arguments; the driver diffs old path against new."""
    repo = make_repo(tmp_path)
    run_cli("git", "install", cwd=repo)
    git(repo, "mv", ".claude/agents/backend.md", ".claude/agents/server.md")
    (repo / ".claude/agents/server.md").write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    git(repo, "add", ".claude/agents/server.md")
    shown = git(repo, "diff", "--cached", "-M", "--", ".claude")
    assert "--- .claude/agents/backend.md\n+++ .claude/agents/server.md" in shown
    assert "reworded" in shown


def test_unrelated_files_keep_git_line_diff(tmp_path: Path) -> None:
    """Only agent files go through the driver."""
    repo = make_repo(tmp_path)
    (repo / "notes.md").write_text("one\n", encoding="utf-8")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-q", "-m", "notes")
    run_cli("git", "install", cwd=repo)
    (repo / "notes.md").write_text("two\n", encoding="utf-8")
    assert "-one\n+two" in git(repo, "diff", "notes.md")


def test_uninstall_removes_exactly_what_install_added(tmp_path: Path) -> None:
    """Files and config are as before install, the user's own lines and settings kept."""
    repo = make_repo(tmp_path)
    git(repo, "config", "diff.other.command", "true")
    config_before = (repo / ".git/config").read_text()
    run_cli("git", "install", cwd=repo)
    (repo / ".gitattributes").write_text((repo / ".gitattributes").read_text() + "*.pdf binary\n")
    code, out, _ = run_cli("git", "install", "--uninstall", cwd=repo)
    assert code == 0
    assert "removed diff.agentmerge.command" in out
    assert "removed merge.agentmerge.driver" in out and "removed merge.agentmerge.name" in out
    assert f"removed {len(DEFAULT_AGENT_GLOBS) + 2} lines from" in out  # the block and the blank line before it
    assert (repo / ".gitattributes").read_text() == "*.png binary\n*.pdf binary\n"
    assert (repo / ".git/config").read_text() == config_before
    code, out, _ = run_cli("git", "install", "--uninstall", cwd=repo)
    assert (code, out.strip()) == (0, "nothing to remove: the agentmerge drivers are not installed here")


def test_uninstall_deletes_an_attributes_file_it_created(tmp_path: Path) -> None:
    """Without a .gitattributes before install, uninstall leaves none behind."""
    repo = make_repo(tmp_path)
    git(repo, "rm", "-q", ".gitattributes")
    run_cli("git", "install", cwd=repo)
    assert (repo / ".gitattributes").read_text().startswith(ATTRIBUTES_HEADER)
    run_cli("git", "install", "--uninstall", cwd=repo)
    assert not (repo / ".gitattributes").exists()


def test_install_completes_a_partial_block(tmp_path: Path) -> None:
    """Lines deleted from the block by hand are put back inside it, the others not repeated."""
    repo = make_repo(tmp_path)
    run_cli("git", "install", cwd=repo)
    text = (repo / ".gitattributes").read_text()
    (repo / ".gitattributes").write_text(
        text.replace("AGENTS.md diff=agentmerge merge=agentmerge\n", "") + "*.zip binary\n"
    )
    code, out, _ = run_cli("git", "install", cwd=repo)
    assert code == 0
    assert "added 1 line to" in out
    lines = (repo / ".gitattributes").read_text().splitlines()
    assert lines.count("AGENTS.md diff=agentmerge merge=agentmerge") == 1
    assert lines[-1] == "*.zip binary"


def test_global_install_uses_user_config_and_global_attributes(tmp_path: Path, isolated_git: Path) -> None:
    """--global writes the user's git config and the default global attributes file, from anywhere."""
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    code, out, _ = run_cli("git", "install", "--global", cwd=elsewhere)
    assert code == 0, out
    attributes = isolated_git / ".config" / "git" / "attributes"
    wanted = [f"{g} diff=agentmerge merge=agentmerge" for g in DEFAULT_AGENT_GLOBS]
    assert attributes.read_text().splitlines()[1:] == wanted
    assert git(elsewhere, "config", "--global", "diff.agentmerge.command") == "agentmerge diff --\n"
    code, again, _ = run_cli("git", "install", "--global", cwd=elsewhere)
    assert again.startswith("nothing to change")
    run_cli("git", "install", "--global", "--uninstall", cwd=elsewhere)
    assert not attributes.exists()
    with pytest.raises(subprocess.CalledProcessError):
        git(elsewhere, "config", "--global", "diff.agentmerge.command")


def test_global_install_honours_core_attributes_file(tmp_path: Path, isolated_git: Path) -> None:
    """When core.attributesFile names a file (with ~), that file gets the lines."""
    git(tmp_path, "config", "--global", "core.attributesFile", "~/my-attributes")
    (isolated_git / "my-attributes").write_text("*.psd binary\n")
    run_cli("git", "install", "--global", cwd=tmp_path)
    lines = (isolated_git / "my-attributes").read_text().splitlines()
    assert lines[0] == "*.psd binary" and "AGENTS.md diff=agentmerge merge=agentmerge" in lines
    assert not (isolated_git / ".config" / "git" / "attributes").exists()


def test_global_driver_works_in_any_repository(tmp_path: Path) -> None:
    """After --global, a repository with no set-up of its own shows agentmerge's diff."""
    repo = make_repo(tmp_path)
    run_cli("git", "install", "--global", cwd=tmp_path)
    (repo / ".claude/agents/backend.md").write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    assert "reworded" in git(repo, "diff")
    assert not (repo / ".git" / "config").read_text().count("agentmerge")


def test_local_install_outside_a_repository_is_an_error(tmp_path: Path) -> None:
    """Without --global, install needs a repository: exit 2 and one line."""
    code, _, err = run_cli("git", "install", cwd=tmp_path)
    assert code == 2
    assert err.count("\n") == 1 and "not inside a git working tree; run it in a clone, or with --global" in err


def test_a_new_attributes_file_is_written_like_any_output(tmp_path: Path) -> None:
    """install writes through the one atomic writer: a new .gitattributes gets the permissions the
    umask allows (a temporary file's 0600 would hide it from the rest of a team's tools)."""
    repo = new_repo(tmp_path / "repo", {"AGENTS.md": "- Be brief\n"})
    umask = os.umask(0)
    os.umask(umask)
    code, _, _ = run_cli("git", "install", cwd=repo)
    assert code == 0
    assert ((repo / ".gitattributes").stat().st_mode & 0o777) == 0o666 & ~umask
    assert not [p.name for p in repo.iterdir() if p.name.endswith(".tmp")]


def test_install_brings_an_earlier_diff_only_block_up_to_date(tmp_path: Path) -> None:
    """A block an earlier version wrote (diff= only, its own header) gains merge=, once."""
    repo = make_repo(tmp_path)
    old_header = "# agentmerge: semantic diff for agent files (agentmerge git install)"
    old_block = [old_header, *(f"{g} diff=agentmerge" for g in DEFAULT_AGENT_GLOBS)]
    (repo / ".gitattributes").write_text("\n".join(["*.png binary", *old_block]) + "\n")
    code, out, _ = run_cli("git", "install", cwd=repo)
    assert code == 0 and "for the merge driver" in out
    lines = (repo / ".gitattributes").read_text().splitlines()
    wanted = [f"{g} diff=agentmerge merge=agentmerge" for g in DEFAULT_AGENT_GLOBS]
    assert lines == ["*.png binary", ATTRIBUTES_HEADER, *wanted]
    assert run_cli("git", "install", cwd=repo).stdout.startswith("nothing to change")
    run_cli("git", "install", "--uninstall", cwd=repo)
    assert (repo / ".gitattributes").read_text() == "*.png binary\n"


# --------------------------------------------------------------------------------------------
# Paths git hands the driver


def test_driver_diffs_a_path_starting_with_a_dash(tmp_path: Path) -> None:
    """A file named ``-lead.agent.md`` is a path, not an option: git diff shows its semantic diff
    instead of aborting the whole diff when the driver fails."""
    repo = new_repo(tmp_path / "repo", {"-lead.agent.md": SEED, "AGENTS.md": SEED}, message="agents")
    run_cli("git", "install", cwd=repo)
    for name in ("-lead.agent.md", "AGENTS.md"):
        (repo / name).write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    shown = git(repo, "diff")
    assert "--- -lead.agent.md\n+++ -lead.agent.md" in shown
    assert "--- AGENTS.md\n+++ AGENTS.md" in shown
    assert shown.count("reworded") == 2 * shown.count("1 reworded") == 4


def test_driver_reads_a_file_named_dash_from_the_working_tree(tmp_path: Path) -> None:
    """A file named ``-`` is read from disk, not from standard input."""
    repo = new_repo(tmp_path / "repo", {"-": SEED, ".gitattributes": "- diff=agentmerge\n"}, message="agent")
    run_cli("git", "install", cwd=repo)
    (repo / "-").write_text(SEED.replace(OLD_BULLET, NEW_BULLET), encoding="utf-8")
    shown = git(repo, "diff", "--", "./-")
    assert "--- -\n+++ -" in shown and "1 reworded" in shown


# --------------------------------------------------------------------------------------------
# Uninstall puts back exactly what was there


@pytest.mark.parametrize(
    "before",
    [
        b"*.png binary\r\n*.pdf binary\r\n",
        b"*.png binary\n*.pdf binary",
        b"*.png binary\r\n*.pdf binary",
        b"*.png binary\n\n",
        b"\n",
        b"",
    ],
    ids=["crlf", "no-final-newline", "crlf-no-final-newline", "ends-blank", "one-blank-line", "empty"],
)
def test_uninstall_restores_the_attributes_file_byte_for_byte(tmp_path: Path, before: bytes) -> None:
    """Line endings, the last line with or without its newline, a trailing blank line and an
    empty file are as they were; install writes its lines in the file's own line ending."""
    repo = new_repo(tmp_path / "repo", {".claude/agents/backend.md": SEED}, message="agent")
    (repo / ".gitattributes").write_bytes(before)
    code, _, _ = run_cli("git", "install", cwd=repo)
    assert code == 0
    installed = (repo / ".gitattributes").read_bytes()
    assert installed.startswith(before.rstrip(b"\r\n"))
    assert installed.count(b"\r\n") == (installed.count(b"\n") if b"\r\n" in before else 0)
    assert "reworded" not in git(repo, "diff")  # the attributes are read: nothing changed yet
    assert git(repo, "check-attr", "diff", ".claude/agents/backend.md").endswith(": diff: agentmerge\n")
    code, out, _ = run_cli("git", "install", "--uninstall", cwd=repo)
    assert code == 0, out
    assert (repo / ".gitattributes").read_bytes() == before
    assert "agentmerge" not in (repo / ".git/config").read_text()


def test_install_refuses_an_attributes_file_that_is_a_symbolic_link(tmp_path: Path) -> None:
    """A .gitattributes in a work tree that is a link comes with the clone and could lead to any
    file of the machine (a shell's start-up file); git reads no such file anyway. install and
    uninstall refuse it in one line, exit 2, and change nothing: not the file it leads to, not
    the git config."""
    repo = new_repo(tmp_path / "repo", {".claude/agents/backend.md": SEED}, message="agent")
    victim = tmp_path / "bashrc"
    victim.write_bytes(b"export PS1=x\n")
    (repo / ".gitattributes").symlink_to(victim)
    config = (repo / ".git/config").read_bytes()
    for args in (("git", "install"), ("git", "install", "--uninstall")):
        code, out, err = run_cli(*args, cwd=repo)
        assert code == 2, out
        assert err.count("\n") == 1 and ".gitattributes: is a symbolic link" in err, err
        assert victim.read_bytes() == b"export PS1=x\n"
        assert (repo / ".git/config").read_bytes() == config


def test_uninstall_restores_driver_settings_install_replaced(tmp_path: Path) -> None:
    """An earlier diff.agentmerge.command (a wrapper of the user's own, say) and merge driver name
    come back, and the config file is byte for byte as before."""
    repo = make_repo(tmp_path)
    git(repo, "config", "diff.agentmerge.command", "my-wrapper --semantic")
    git(repo, "config", "merge.agentmerge.name", "")
    config_before = (repo / ".git/config").read_bytes()
    code, out, _ = run_cli("git", "install", cwd=repo)
    assert "(was 'my-wrapper --semantic')" in out
    assert git(repo, "config", "diff.agentmerge.command") == "agentmerge diff --\n"
    assert run_cli("git", "install", cwd=repo).stdout.startswith("nothing to change")
    code, out, _ = run_cli("git", "install", "--uninstall", cwd=repo)
    assert code == 0
    assert "restored diff.agentmerge.command = 'my-wrapper --semantic'" in out
    assert "restored merge.agentmerge.name = ''" in out
    assert (repo / ".git/config").read_bytes() == config_before


def test_an_earlier_version_setting_is_replaced_not_kept(tmp_path: Path) -> None:
    """The command an earlier version set (without ``--``) is install's own: it is brought up to
    date, and uninstall removes it rather than putting it back."""
    repo = make_repo(tmp_path)
    config_before = (repo / ".git/config").read_bytes()
    git(repo, "config", "diff.agentmerge.command", "agentmerge diff")
    run_cli("git", "install", cwd=repo)
    assert git(repo, "config", "diff.agentmerge.command") == "agentmerge diff --\n"
    run_cli("git", "install", "--uninstall", cwd=repo)
    assert (repo / ".git/config").read_bytes() == config_before


def test_uninstall_restores_the_latest_value_the_user_set(tmp_path: Path) -> None:
    """A value set by hand after install, then replaced by a second install, is the one put back."""
    repo = make_repo(tmp_path)
    git(repo, "config", "diff.agentmerge.command", "first-wrapper")
    run_cli("git", "install", cwd=repo)
    git(repo, "config", "diff.agentmerge.command", "second-wrapper")
    run_cli("git", "install", cwd=repo)
    run_cli("git", "install", "--uninstall", cwd=repo)
    assert git(repo, "config", "diff.agentmerge.command") == "second-wrapper\n"
    assert "agentmerge.install" not in git(repo, "config", "--list")


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("gitconfig", [None, b"", b"[user]\n\tname = Someone\n"])
def test_global_uninstall_leaves_the_home_as_install_found_it(
    tmp_path: Path, isolated_git: Path, gitconfig: bytes | None
) -> None:
    """A global config file and the attributes file's folders that install created are removed
    again (an empty ~/.gitconfig and ~/.config/git were left behind); one that was there stays,
    byte for byte, even when empty."""
    if gitconfig is not None:
        (isolated_git / ".gitconfig").write_bytes(gitconfig)
    before = tree(isolated_git)
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    code, out, _ = run_cli("git", "install", "--global", cwd=elsewhere)
    assert code == 0 and (isolated_git / ".config" / "git" / "attributes").exists()
    code, out, _ = run_cli("git", "install", "--global", "--uninstall", cwd=elsewhere)
    assert code == 0, out
    assert tree(isolated_git) == before
    assert ("which install created" in out) == (gitconfig is None)


def test_install_and_uninstall_count_the_lines_they_add_and_remove(tmp_path: Path) -> None:
    """The counts are the lines the file gained and lost: the comment line and the blank line
    before the block included (install said 13 where it wrote 14, then 15 with the blank line)."""
    repo = make_repo(tmp_path)
    attributes = repo / ".gitattributes"
    before = attributes.read_text().count("\n")
    _, out, _ = run_cli("git", "install", cwd=repo)
    added = attributes.read_text().count("\n") - before
    assert f"added {added} lines to" in out and added == len(DEFAULT_AGENT_GLOBS) + 2
    _, out, _ = run_cli("git", "install", "--uninstall", cwd=repo)
    assert f"removed {added} lines from" in out and attributes.read_text().count("\n") == before


def test_uninstall_in_a_clone_leaves_the_committed_attributes_alone(tmp_path: Path) -> None:
    """In a clone of a repository that commits the block, install adds no line and uninstall
    removes none: it deleted the tracked .gitattributes (the block was all it held)."""
    origin = new_repo(tmp_path / "origin", {".claude/agents/backend.md": SEED}, message="agent")
    run_cli("git", "install", cwd=origin)
    git(origin, "add", ".gitattributes")
    git(origin, "commit", "-q", "-m", "attributes")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    committed = (clone / ".gitattributes").read_bytes()
    _, out, _ = run_cli("git", "install", cwd=clone)
    assert "added" not in out
    code, out, _ = run_cli("git", "install", "--uninstall", cwd=clone)
    assert code == 0 and "its agentmerge lines are committed" in out
    assert (clone / ".gitattributes").read_bytes() == committed
    assert git(clone, "status", "--porcelain") == ""
    with pytest.raises(subprocess.CalledProcessError):
        git(clone, "config", "diff.agentmerge.command")
