"""The command's entry point: what the installed ``agentmerge`` script and ``python -m`` run."""

from __future__ import annotations

import gc
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import git, write

from agentmerge import cli


def test_the_installed_command_runs_cli_command() -> None:
    (script,) = entry_points(group="console_scripts", name="agentmerge")
    assert script.value == "agentmerge.cli:command"


def _process(
    args: list[str], code: str = "from agentmerge.cli import command; command()"
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=False)


def test_the_command_ends_with_all_written_and_the_code_run_gives(seeds: list[Path]) -> None:
    """``command`` ends the process without tearing the interpreter down: what it wrote is all
    there, byte for byte what ``run`` under ``sys.exit`` gives, with the same exit code, warnings
    and errors included."""
    by_run = "import sys; from agentmerge.cli import run; sys.exit(run())"
    for args in (
        ["consolidate", *map(str, seeds)],
        ["diff", str(seeds[0]), str(seeds[1])],
        ["diff", "no-such-file.md", str(seeds[1])],
    ):
        ended, returned = _process(args), _process(args, by_run)
        assert (ended.stdout, ended.stderr, ended.returncode) == (returned.stdout, returned.stderr, returned.returncode)
        assert ended.stdout or ended.returncode == 2


def test_the_command_says_nothing_when_its_reader_goes_away(seeds: list[Path]) -> None:
    """A reader that takes the first line of a report longer than a pipe holds and leaves
    (``agentmerge consolidate --format json ... | head -1``) gets no complaint about the pipe on
    standard error, and the command ends 0."""
    args = ["consolidate", "--format", "json", *map(str, seeds)]
    process = subprocess.Popen(
        [sys.executable, "-c", "from agentmerge.cli import command; command()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait() == 0
    assert b"BrokenPipe" not in errors and b"Exception ignored" not in errors


def test_run_turns_the_cycle_collector_off_and_freezes_what_it_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))

    def main() -> int:
        calls.append("main")
        return 3

    monkeypatch.setattr(cli, "main", main)
    assert cli.run() == 3
    assert calls == ["disable", "main", "freeze"]


def test_run_freezes_what_it_leaves_when_main_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "disable", lambda: None)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))

    def interrupted() -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.run()
    assert frozen == [True]


def test_main_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` may run many times in one process: the collector is the embedding program's."""
    monkeypatch.setattr(gc, "disable", lambda: pytest.fail("main turned the collector off"))
    monkeypatch.setattr(gc, "freeze", lambda: pytest.fail("main froze the collector"))
    monkeypatch.setattr(gc, "set_threshold", lambda *_: pytest.fail("main changed the collector's thresholds"))
    assert cli.main(["diff", "no-such-file.md", "no-such-file.md"]) == 2


def _commands(seeds: list[Path], tmp_path: Path) -> dict[str, list[str]]:
    """A command line of every command that reads agent files, on the seeds."""
    first, second, third, fourth = (str(path) for path in seeds)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, ".claude/agents/backend.md", Path(first).read_text(encoding="utf-8"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    write(repo, ".claude/agents/backend.md", Path(second).read_text(encoding="utf-8"))
    git(repo, "commit", "-qam", "second")
    return {
        "parse": ["parse", first],
        "diff": ["diff", first, second],
        "merge": ["merge", first, first, third, "-o", str(tmp_path / "merged.md")],
        "consolidate": ["consolidate", first, second, third, fourth],
        "consolidate --by-group": ["consolidate", "--by-group", "-o", str(tmp_path / "groups"), *map(str, seeds)],
        "check": ["check", "--select", "AM203,AM204", first, second],
        "fmt": ["fmt", "--diff", first],
        "group": ["group", first, second, third, fourth],
        "review": ["-C", str(repo), "review", "--base", "HEAD~1"],
    }


@pytest.mark.parametrize(
    "command", ["parse", "diff", "merge", "consolidate", "consolidate --by-group", "check", "fmt", "group", "review"]
)
def test_no_command_leaves_work_for_the_cycle_collector(
    command: str, seeds: list[Path], tmp_path: Path, isolated_git: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``run`` turning the collector off rests on: a command frees what it no longer needs
    as it goes (no reference cycles), so a run with the collector off holds no more than one
    with it on, whatever its inputs (a cycle around the pair scorer once kept every candidate
    pair of a consolidation until a collection)."""
    args = _commands(seeds, tmp_path)[command]
    assert cli.main(args) in (0, 1)  # loads what the command loads on first use
    capsys.readouterr()
    gc.collect()
    gc.disable()
    try:
        code = cli.main(args)
        left = gc.collect()
    finally:
        gc.enable()
    assert code in (0, 1)
    assert left == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device that is always full")
def test_output_to_a_full_device_is_one_line_and_exit_2(seeds: list[Path]) -> None:
    """Standard output on a full disk was reported as an internal error to report."""
    with open("/dev/full", "wb") as full:
        ended = subprocess.run(
            [sys.executable, "-m", "agentmerge", "diff", str(seeds[0]), str(seeds[1])],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert ended.returncode == 2
    assert ended.stderr.decode().splitlines() == [
        "agentmerge: error: could not write the output (No space left on device)"
    ]


def test_the_command_runs_with_its_standard_streams_closed(seeds: list[Path], tmp_path: Path) -> None:
    """Started with standard output or error closed (``>&-``, ``2>&-``), Python gives ``None`` for
    the stream: flushing it at the end failed with a traceback and exit 1 after the work was done."""
    out = tmp_path / "merged.md"
    args = [sys.executable, "-m", "agentmerge", "consolidate", "-o", str(out), *map(str, seeds)]
    for closed in ({"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}, {"stdout": subprocess.PIPE}):
        out.unlink(missing_ok=True)
        ended = subprocess.run(
            ["sh", "-c", '"$@" >&- ' if "stderr" in closed else '"$@" 2>&-', "sh", *args],
            **closed,
            check=False,
        )
        assert ended.returncode == 0, ended
        assert out.read_text(encoding="utf-8").startswith("---\n")
