"""What the commands read: regular files, or standard input when the path is ``-``; a FIFO, a
device, a socket or a directory given as an agent file is refused at once with one error line,
never waited on or read without end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from conftest import SEEDS

from agentmerge.filesystem import MAX_FILE_BYTES

SEED = str(SEEDS[0])

TIMEOUT = 30.0
"""Seconds a refusal may take; before reading was limited, a FIFO blocked until killed and
/dev/zero was read until memory ran out."""


def agentmerge(*args: str, stdin: int | IO[bytes] = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """Run the real command in its own process, so a blocked read shows as a timeout."""
    return subprocess.run(
        [sys.executable, "-m", "agentmerge", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def special(kind: str, tmp_path: Path) -> tuple[str, str]:
    """A path of that kind, and what the error line says about it."""
    if kind == "fifo":
        tmp_path.mkdir(exist_ok=True)
        path = tmp_path / "agent.md"
        os.mkfifo(path)
        return str(path), "is a FIFO, not a regular file"
    if kind == "socket":
        path = tmp_path / "agent.md"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
        return str(path), "is a socket, not a regular file"
    if kind == "directory":
        return str(tmp_path), "is a directory"
    return f"/dev/{kind}", "is a device, not a regular file"


COMMANDS = {
    "parse": lambda bad: ["parse", bad],
    "diff-old": lambda bad: ["diff", bad, SEED],
    "diff-new": lambda bad: ["diff", SEED, bad],
    "consolidate": lambda bad: ["consolidate", SEED, bad],
    "merge": lambda bad: ["merge", SEED, bad, SEED],
}


@pytest.mark.parametrize("kind", ["fifo", "zero", "urandom", "socket"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_non_regular_input_is_refused_at_once(tmp_path: Path, command: str, kind: str) -> None:
    """A FIFO nobody writes to, /dev/zero, /dev/urandom or a socket: exit 2, one line naming it."""
    path, said = special(kind, tmp_path)
    done = agentmerge(*COMMANDS[command](path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr and path in done.stderr
    assert "pipe it to - (standard input)" in done.stderr


@pytest.mark.parametrize("command", ["check", "fmt", "group"])
def test_library_commands_refuse_a_fifo_or_device_named_as_a_file(tmp_path: Path, command: str) -> None:
    """check, fmt and group name the file they cannot read and exit 2, without waiting on it."""
    for kind in ("fifo", "zero"):
        path, said = special(kind, tmp_path / kind)
        done = agentmerge(command, path)
        assert done.returncode == 2, done.stderr
        assert f"agentmerge: error: {path}: {said}" in done.stderr
        assert "passed" not in done.stdout


@pytest.mark.parametrize("command", [*sorted(COMMANDS), "check", "fmt", "group"])
def test_a_symbolic_link_that_leads_nowhere_is_named_for_what_it_is(tmp_path: Path, command: str) -> None:
    """A loop of links, or a link to a missing file: every command says which, in one line naming
    the link, exit 2 (the commands that take folders said "no such file or folder", the others
    "cannot be read (Too many levels of symbolic links); check its permissions")."""
    (tmp_path / "a.md").symlink_to("b.md")
    (tmp_path / "b.md").symlink_to("a.md")
    (tmp_path / "gone.md").symlink_to("missing.md")
    for name, said in (("a.md", "is a loop of symbolic links"), ("gone.md", "is a symbolic link to missing.md, which")):
        path = str(tmp_path / name)
        args = COMMANDS[command](path) if command in COMMANDS else [command, path]
        done = agentmerge(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"{path}: {said}" in done.stderr, done.stderr


def test_check_does_not_call_a_run_with_unreadable_files_clean(tmp_path: Path) -> None:
    """A file check could not read is counted in its summary, never "All checks passed"."""
    path, _ = special("fifo", tmp_path)
    done = agentmerge("check", SEED, path)
    assert done.returncode == 2, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "No findings in 1 file; 1 could not be checked."


def test_a_directory_given_to_parse_is_refused(tmp_path: Path) -> None:
    done = agentmerge("parse", str(tmp_path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is a directory" in done.stderr


def test_a_stream_is_read_through_standard_input(tmp_path: Path) -> None:
    """``-`` reads standard input: a pipe is what it is for."""
    with open(SEED, "rb") as handle:
        done = agentmerge("parse", "-", stdin=handle)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<stdin>")


def test_standard_input_without_end_is_cut_at_the_limit() -> None:
    """/dev/zero on standard input is read up to the size limit, then refused."""
    with open("/dev/zero", "rb") as handle:
        done = agentmerge("parse", "-", stdin=handle)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"larger than {MAX_FILE_BYTES // 1024} KiB" in done.stderr
