"""Where consolidate writes: only regular files or new paths, never half a file, no temporary file
left behind, even when the process is stopped by a signal."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEEDS, run_cli

from agentmerge.cli import check_output_path
from agentmerge.errors import OutputError


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def make_socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return path


def make_directory(path: Path) -> Path:
    path.mkdir()
    return path


def link_to(target: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.symlink_to(target)
        return path

    return make


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (make_fifo, "is a FIFO"),
        (make_socket, "is a socket"),
        (make_directory, "is a directory"),
        (link_to("/dev/null"), "is a device path"),
        (link_to("/dev/stdout"), "is a device path"),
    ],
    ids=["fifo", "socket", "directory", "link-to-dev-null", "link-to-dev-stdout"],
)
@pytest.mark.parametrize("option", ["-o", "--report"])
def test_output_onto_a_non_regular_file_is_refused(
    tmp_path: Path, make: Callable[[Path], Path], said: str, option: str
) -> None:
    """A FIFO, socket, directory or device stays what it is; one error line, exit 2, no temp file."""
    target = make(tmp_path / "out")
    before = os.lstat(target)
    code, _, err = run_cli("consolidate", str(SEEDS[0]), option, str(target))
    assert code == 2
    assert err.count("\n") == 1 and said in err and str(target) in err
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("path", ["/dev/stdout", "/dev/null", "/dev/fd/1", "/proc/self/fd/1", "/dev"])
def test_device_paths_are_refused_before_anything_is_written(path: str) -> None:
    """/dev/stdout and friends: to print, leave -o out."""
    with pytest.raises(OutputError, match=r"device path|directory"):
        check_output_path(path)


@pytest.mark.parametrize(
    ("option", "advice"), [("-o", "leave -o out"), ("--report", "--format json prints the report")]
)
def test_a_device_path_says_how_that_option_prints(option: str, advice: str) -> None:
    """The refusal of /dev/stdout says how to print what that option would have written."""
    code, out, err = run_cli("consolidate", str(SEEDS[0]), option, "/dev/stdout")
    assert code == 2 and not out
    assert err.count("\n") == 1 and f"/dev/stdout: is a device path, not a regular file; {advice}" in err


@pytest.mark.parametrize("option", ["-o", "--report"])
def test_a_missing_output_folder_is_refused_before_the_work(tmp_path: Path, option: str) -> None:
    """-o or --report in a folder that does not exist: one error line before the inputs are read
    (a seed whose frontmatter is read leniently would warn first), nothing made."""
    target = tmp_path / "missing" / "merged.md"
    code, out, err = run_cli("consolidate", *map(str, SEEDS), option, str(target))
    assert code == 2 and not out
    said = f"{target}: cannot be written: its folder {target.parent} does not exist; create it"
    assert err == f"agentmerge: error: {said}\n"
    assert list(tmp_path.iterdir()) == []


def test_report_and_output_must_differ(tmp_path: Path) -> None:
    """-o X --report X would lose one of the two; refused, however the second is spelled."""
    out = tmp_path / "merged.md"
    for report in (str(out), str(tmp_path / "." / "merged.md")):
        code, _, err = run_cli("consolidate", *map(str, SEEDS[:2]), "-o", str(out), "--report", report)
        assert code == 2 and "--report" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_link_to_a_regular_file_is_followed_and_kept(tmp_path: Path) -> None:
    """-o through a symbolic link replaces the file it points to; the link stays a link."""
    real = tmp_path / "real.md"
    real.write_text("old\n")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    code, _, _ = run_cli("consolidate", str(SEEDS[0]), "-o", str(link))
    assert code == 0
    assert link.is_symlink() and real.read_text().startswith("---\nname:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "real.md"]


# While the temporary file exists, os.replace waits for the test's signal.
# SIGINT gets Python's own handler back, as in a terminal, even when the suite itself was started
# with SIGINT ignored (in the background), which the child would inherit.
_STALLED_WRITE = """
import os, signal, sys, time
from agentmerge import cli
signal.signal(signal.SIGINT, signal.default_int_handler)
real_replace = os.replace
def stalled(src, dst):
    print("writing", flush=True)
    time.sleep(60)
    real_replace(src, dst)
os.replace = stalled
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 2)])
def test_a_signal_during_the_write_leaves_no_temporary_file(tmp_path: Path, signum: int, code: int) -> None:
    """SIGTERM or Ctrl-C while the output is being written removes the temporary file."""
    out = tmp_path / "merged.md"
    process = subprocess.Popen(
        [sys.executable, "-c", _STALLED_WRITE, "consolidate", *map(str, SEEDS), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "writing\n"
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        process.send_signal(signum)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == code
    assert list(tmp_path.iterdir()) == []


def test_dash_as_the_output_is_standard_output_not_a_file_named_dash(tmp_path: Path) -> None:
    """``-o -`` prints, as ``-`` reads standard input among the inputs; it wrote a file named ``-``."""
    base = SEEDS[0].read_text(encoding="utf-8")
    theirs = tmp_path / "theirs.md"
    theirs.write_text(base.replace("backend", "server", 1), encoding="utf-8")
    consolidated = run_cli("consolidate", str(SEEDS[0]), str(SEEDS[1]), "-o", "-", cwd=tmp_path)
    merged = run_cli("merge", str(SEEDS[0]), str(SEEDS[0]), str(theirs), "-o", "-", cwd=tmp_path)
    assert consolidated.exit_code == 0 and consolidated.stdout.startswith("---")
    assert consolidated.stdout == run_cli("consolidate", str(SEEDS[0]), str(SEEDS[1])).stdout
    assert merged.exit_code == 0 and merged.stdout == theirs.read_text(encoding="utf-8")
    assert not (tmp_path / "-").exists()


def test_standard_output_keeps_the_agents_escape_sequences(tmp_path: Path) -> None:
    """An agent's text printed to standard output (``consolidate`` without ``-o``, ``fmt -``,
    ``fmt --diff``) is the same bytes as the file written with ``-o``: a terminal escape sequence
    in an instruction is the file's content, not styling to strip when the output is no terminal."""
    escape = "- Print \x1b[1mbold\x1b[0m banners.\n"
    one = tmp_path / "one.md"
    two = tmp_path / "two.md"
    one.write_text(f"---\nname: c\ndescription: Prints.\n---\n\n{escape}- Keep it.\n", encoding="utf-8")
    two.write_text(f"---\nname: c\ndescription: Prints.\n---\n\n{escape}- Keep it short.\n", encoding="utf-8")
    printed = run_cli("consolidate", str(one), str(two))
    written = run_cli("consolidate", str(one), str(two), "-o", str(tmp_path / "out.md"))
    assert printed.exit_code == written.exit_code == 0
    assert "\x1b[1mbold" in printed.stdout
    assert printed.stdout == (tmp_path / "out.md").read_text(encoding="utf-8")
    formatted = run_cli("fmt", "-", stdin=one.read_text(encoding="utf-8"))
    assert formatted.exit_code == 0 and formatted.stdout == one.read_text(encoding="utf-8")
    unformatted = tmp_path / "wide.md"
    unformatted.write_text(f"---\nname: c\ndescription: Prints.\n---\n{escape}", encoding="utf-8")
    shown = run_cli("fmt", "--diff", str(unformatted))
    assert "\x1b[1mbold" in shown.stdout


def test_dash_as_the_report_is_refused(tmp_path: Path) -> None:
    result = run_cli("consolidate", str(SEEDS[0]), str(SEEDS[1]), "--report", "-", cwd=tmp_path)
    assert result.exit_code == 2 and not (tmp_path / "-").exists()
    assert result.stderr.count("\n") == 1 and "--format json prints the report" in result.stderr


def test_a_directory_as_the_output_gets_one_piece_of_advice(tmp_path: Path) -> None:
    """It read "is a directory; name a file inside it; write to a regular file or a new path"."""
    result = run_cli("consolidate", str(SEEDS[0]), str(SEEDS[1]), "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"agentmerge: error: {tmp_path}: is a directory; name a file inside it or a new path\n"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file to another owner"
)
def test_a_rewritten_file_keeps_its_owner(tmp_path: Path) -> None:
    """fmt run as root (a CI container over a bind-mounted checkout, a pre-commit hook) replaced a
    user's file with one owned by root, which the user could no longer edit: the file keeps its
    owner and group."""
    path = tmp_path / ".claude" / "agents" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nname: a\ndescription: d\n---\n* one\n", encoding="utf-8")
    os.chown(path, 65534, 65534)
    result = run_cli("fmt", str(path))
    assert result.exit_code == 0, result.stderr
    assert path.read_text(encoding="utf-8").endswith("- one\n")
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def many_tools(path: Path, name: str, prefix: str, count: int) -> Path:
    """An agent of ``count`` tools named ``prefix0``, ``prefix1``...: a block list, each a line."""
    listed = "".join(f"  - {prefix}{n}\n" for n in range(count))
    path.write_text(f"---\nname: {name}\ndescription: Reviews code.\ntools:\n{listed}---\n\nYou review code.\n")
    return path


def test_an_agent_agentmerge_could_not_read_back_is_not_written(tmp_path: Path) -> None:
    """Two agents each under the 64 KiB frontmatter limit merge into one over it: consolidate
    writes nothing (exit 2, one line naming the output and the field), as check, diff and a
    second consolidate would refuse what it wrote."""
    a = many_tools(tmp_path / "a.md", "big", "l", 5_000)
    b = many_tools(tmp_path / "b.md", "big", "r", 5_000)
    assert run_cli("check", str(a)).exit_code == run_cli("check", str(b)).exit_code == 0
    out, report = tmp_path / "out.md", tmp_path / "report.json"
    for args in (["-o", str(out), "--report", str(report)], [], ["--format", "json"]):
        result = run_cli("consolidate", str(a), str(b), *args)
        assert result.exit_code == 2
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if line.startswith("agentmerge: error:")]
        assert errors == result.stderr.splitlines()  # refused before the widening warnings are said
        assert len(errors) == 1
        text = errors[0]
        assert "not written: agentmerge would refuse to read the merged agent back" in text
        assert "as its frontmatter is 76 KiB, more than agentmerge reads (64 KiB); its tools field takes 75 KiB" in text
        named = f"agentmerge: error: {out}: " if args and args[0] == "-o" else "agentmerge: error: not"
        assert errors[0].startswith(named)
    assert not out.exists() and not report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]


def test_by_group_writes_no_group_it_could_not_read_back(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    many_tools(library / "a.md", "big", "l", 5_000)
    many_tools(library / "b.md", "big", "r", 5_000)
    result = run_cli("consolidate", "--by-group", str(library), "-o", str(tmp_path / "merged"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("agentmerge: error: the group big (")
    assert "not written: agentmerge would refuse to read the merged agent back" in result.stderr
    assert not (tmp_path / "merged").exists()


def test_what_consolidate_writes_near_the_limits_is_read_back(tmp_path: Path) -> None:
    """Just under the limit the merged agent is written, and check reads it."""
    a = many_tools(tmp_path / "a.md", "big", "l", 4_000)
    b = many_tools(tmp_path / "b.md", "big", "r", 4_000)
    out = tmp_path / "out.md"
    result = run_cli("consolidate", str(a), str(b), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert 48 * 1024 < len(out.read_bytes()) < 64 * 1024
    assert run_cli("check", str(out)).exit_code == 0
