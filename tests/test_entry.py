"""The command's entry point: what the installed ``agentmerge`` script and ``python -m`` run."""

from __future__ import annotations

import gc
import sys
from importlib.metadata import entry_points

import pytest

from agentmerge import cli


def test_the_installed_command_runs_cli_run() -> None:
    (script,) = entry_points(group="console_scripts", name="agentmerge")
    assert script.value == "agentmerge.cli:run"


def test_run_freezes_what_is_loaded_then_returns_mains_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(sys, "argv", ["agentmerge", "diff", "no-such-file.md", "no-such-file.md"])
    assert cli.run() == 2
    assert frozen == [True]


def test_main_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` may run many times in one process: freezing there would keep every run's garbage."""
    monkeypatch.setattr(gc, "freeze", lambda: pytest.fail("main froze the collector"))
    assert cli.main(["diff", "no-such-file.md", "no-such-file.md"]) == 2
