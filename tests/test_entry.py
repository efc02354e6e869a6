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


def test_run_makes_full_collections_wait_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's parsed files live until it ends: walking them in every full collection cost a
    diff of two 25,000-bullet files 16 walks of everything (docs/benchmarks.md)."""
    monkeypatch.setattr(gc, "freeze", lambda: None)
    set_to: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *values: set_to.append(values))
    monkeypatch.setattr(sys, "argv", ["agentmerge", "diff", "no-such-file.md", "no-such-file.md"])
    young, middle, _ = gc.get_threshold()
    assert cli.run() == 2
    assert set_to == [(young, middle, cli.FULL_COLLECTION_AFTER)]
    assert cli.FULL_COLLECTION_AFTER > 10


def test_main_leaves_the_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` may run many times in one process: freezing there would keep every run's garbage."""
    monkeypatch.setattr(gc, "freeze", lambda: pytest.fail("main froze the collector"))
    monkeypatch.setattr(gc, "set_threshold", lambda *_: pytest.fail("main changed the collector's thresholds"))
    assert cli.main(["diff", "no-such-file.md", "no-such-file.md"]) == 2
