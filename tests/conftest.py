"""What the tests share: paths, the CLI runner, isolated git repositories, golden files, the
consolidate report's provenance, and the ../shared material when it is present.

Property tests (hypothesis) draw the same examples on every run, a seed per test, and have no
time limit per example, so a run fails only for a change in the code or the tests:
``pytest --hypothesis-profile=explore`` draws new examples each run to look for more failures.

Markers: ``slow`` marks corpus and hostile-input tests (``pytest -m "not slow"`` skips them; the
test command runs them). ``pytest --regen-golden`` rewrites every golden file from the current
output instead of comparing; read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import settings

from agentmerge.cli import main
from agentmerge.model import Agent, Item, Section

settings.register_profile("repeatable", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile("repeatable")  # pytest --hypothesis-profile=explore loads the other after this

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = sorted((FIXTURES / "backend-engineer").glob("*.md"))
SHARED = ROOT.parent / "shared"
"""The project's shared material (corpus, gold labels); absent in a fresh clone."""

NO_SHARED = "needs ../shared/corpus beside the repository, which is absent here (see the README's Tests section)"
"""Why the tests of the shared corpus are skipped in a fresh clone; pytest's summary counts them."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite every golden file (parse outlines, diff reports, the merged seeds) from the current output",
    )


# --------------------------------------------------------------------------------------------
# The shared corpus


def corpus_files() -> list[Path]:
    """Every agent file of ../shared/corpus, or an empty list when it is not there."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        return []
    return sorted(p for p in corpus.glob("*/*") if p.is_file() and p.name not in ("LICENSE", "SOURCES.tsv"))


needs_corpus = pytest.mark.skipif(not corpus_files(), reason=NO_SHARED)
"""Skips a test of the shared corpus when it is absent, saying so."""


def corpus_params(values: list[Any]) -> list[Any]:
    """Parameters for a test over corpus files: ``values``, or one skipped case saying why, so a
    fresh clone's summary counts the skip instead of quietly collecting nothing."""
    return values or [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED), id="no-shared-corpus")]


# --------------------------------------------------------------------------------------------
# Fixtures and the model


@pytest.fixture
def seeds() -> list[Path]:
    """The four backend-engineer variants bundled in fixtures/."""
    assert len(SEEDS) == 4
    return SEEDS


def item_shape(item: Item) -> tuple[Any, ...]:
    """An item without its line numbers (ordered items without their written number)."""
    return (item.kind, item.text, item.label, item.checked, item.info, tuple(item_shape(c) for c in item.children))


def section_shape(section: Section) -> tuple[Any, ...]:
    """A section without line numbers, with the order in which its items and subsections stood."""
    return (
        section.title,
        section.level,
        section.kind,
        tuple(item_shape(i) for i in section.items),
        tuple(section_shape(s) for s in section.sections),
        tuple(type(n).__name__ for n in sorted([*section.items, *section.sections], key=lambda n: n.line)),
    )


def model_shape(agent: Agent) -> tuple[Any, ...]:
    """An agent's model without line numbers, path or key order (the writer puts name and
    description first): what "the same model" means in round-trip and consolidation tests."""
    return (tuple(sorted((f.key, json.dumps(f.value)) for f in agent.fields)), section_shape(agent.body))


# --------------------------------------------------------------------------------------------
# The consolidate report


def input_units(agent: Agent) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """(items and fields, headings) of one input as (path, line) pairs."""
    items = {(agent.path, item.line) for _, item in agent.items()}
    items |= {(agent.path, f.line) for f in agent.fields}
    headings = {(agent.path, s.line) for s in agent.body.walk() if s.kind != "root"}
    return items, headings


def report_units(report: dict[str, Any]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Every (path, line) in item and field sources, and in section sources, of a consolidate
    JSON report: what "every input unit is in exactly one sources list" is checked on."""
    items = [(s["path"], s["line"]) for f in report["fields"] for s in f["sources"]]
    headings: list[tuple[str, int]] = []
    stack: list[tuple[str, dict[str, Any]]] = [("section", s) for s in report["sections"]]
    while stack:
        kind, node = stack.pop()
        if kind == "section":
            headings.extend((s["path"], s["line"]) for s in node["sources"])
            stack.extend(("item", i) for i in node["items"])
            stack.extend(("section", s) for s in node["sections"])
        else:
            items.extend((s["path"], s["line"]) for s in node["sources"])
            stack.extend(("item", c) for c in node.get("children", []))
    return items, headings


# --------------------------------------------------------------------------------------------
# The command line


@dataclass(frozen=True)
class CliRun:
    """What one run of the command printed and returned; unpacks as (exit_code, stdout, stderr)."""

    exit_code: int
    stdout_bytes: bytes
    stderr: str

    @property
    def stdout(self) -> str:
        """Standard output as text."""
        return self.stdout_bytes.decode("utf-8", "replace")

    @property
    def output(self) -> str:
        """Standard output, then standard error."""
        return self.stdout + self.stderr

    def __iter__(self) -> Iterator[Any]:
        return iter((self.exit_code, self.stdout, self.stderr))


def run_cli(
    *args: str, stdin: bytes | str | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> CliRun:
    """Run ``agentmerge ARGS`` through its real entry point (``cli.main``, which picks the exit
    code and prints errors) in this process, with click's captured streams, in ``cwd`` if given."""
    before = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with CliRunner().isolation(input=stdin, env=dict(env) if env else None) as (out, err, _):
            code = main(list(args))
            stdout, stderr = out.getvalue(), err.getvalue()
    finally:
        os.chdir(before)
    return CliRun(code, stdout, stderr.decode("utf-8", "replace"))


# --------------------------------------------------------------------------------------------
# Golden files


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[..., None]:
    """A check of ``actual`` (text, or bytes compared as bytes) against the golden file at
    ``path``; with ``--regen-golden`` (or AGENTMERGE_REGEN=1 in the environment) the file is
    written first. ``load`` compares parsed data (``json.loads``) rather than text."""
    regen = bool(request.config.getoption("--regen-golden")) or os.environ.get("AGENTMERGE_REGEN") == "1"

    def check(path: Path, actual: str | bytes, load: Callable[[str], Any] | None = None) -> None:
        if regen:
            if isinstance(actual, bytes):
                path.write_bytes(actual)
            else:
                path.write_text(actual, encoding="utf-8")
        assert path.is_file(), f"no golden file {path}; run pytest --regen-golden to create it"
        hint = f"{path} differs; if the change is meant, run pytest --regen-golden"
        if isinstance(actual, bytes):
            assert actual == path.read_bytes(), hint
        elif load is None:
            assert actual == path.read_text(encoding="utf-8"), hint
        else:
            assert load(actual) == load(path.read_text(encoding="utf-8")), hint

    return check


# --------------------------------------------------------------------------------------------
# Git repositories


GIT_UNSET = (
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

BIN = str(Path(sys.executable).parent)
"""The virtual environment's bin directory, where the ``agentmerge`` script git runs lives."""


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the user's and the system's git configuration out of a test: a home of its own (so
    ``--global`` never touches the user's) and no system config. Returns the home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in GIT_UNSET:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def agentmerge_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put this environment's ``agentmerge`` script first on PATH, where git finds its driver."""
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))


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
