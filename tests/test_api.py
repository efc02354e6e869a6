"""The public Python API, used as a program would use it: only names ``agentmerge`` exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS

import agentmerge
from agentmerge import (
    AgentMergeError,
    InputError,
    consolidate,
    consolidation_report,
    diff_agents,
    diff_files,
    diff_report,
    parse_bytes,
    parse_file,
    parse_text,
    render_diff,
    write_agent,
    write_consolidation,
)


def test_parse_diff_consolidate_and_write_the_seeds() -> None:
    """One pass through every job on the bundled seeds, as the API's docstring shows it."""
    old, new = parse_file(SEEDS[0]), parse_file(SEEDS[1])
    result = diff_agents(old, new)
    assert not result.identical and result.changes
    assert diff_files(SEEDS[0], SEEDS[1]) == result
    assert diff_report(result)["summary"]["added"] == result.summary.added
    assert render_diff(result).splitlines()[-1].startswith(f"{result.summary.added} added")
    assert render_diff(result, fmt="markdown").startswith("#### ")
    merged = consolidate([parse_file(p) for p in SEEDS])
    text = write_agent(merged.agent)
    assert text == write_consolidation(merged)
    assert consolidation_report(merged)["agent"] == text
    assert diff_agents(parse_text(text, "merged.md"), merged.agent).identical


def test_the_file_a_consolidation_is_written_to_decides_its_globs_line(tmp_path: Path) -> None:
    """As ``consolidate -o``: Cursor rules written to a ``.md`` get strict YAML, to a ``.mdc``
    Cursor's unquoted globs; without a path, the inputs' formats decide."""
    rule = "---\ndescription: TypeScript\nglobs: **/*.ts\nalwaysApply: false\n---\n\n- {}\n"
    paths = [tmp_path / "a.mdc", tmp_path / "b.mdc"]
    for path, line in zip(paths, ("Use strict mode.", "Avoid any."), strict=True):
        path.write_text(rule.format(line), encoding="utf-8")
    merged = consolidate([parse_file(p) for p in paths])
    printed = write_consolidation(merged)
    assert "\nglobs: **/*.ts\n" in printed and write_consolidation(merged, output="rule.mdc") == printed
    as_markdown = write_consolidation(merged, output="merged.md")
    assert "\nglobs: '**/*.ts'\n" in as_markdown
    assert consolidation_report(merged, output="merged.md")["agent"] == as_markdown


def test_a_subagent_made_of_cursor_rules_is_named_as_its_file_through_the_api() -> None:
    """As ``consolidate --for claude-code -o "SQL Reviewer.md"``: the file's name names the agent
    no input names, and the report says so."""
    rule = "---\ndescription: SQL review\nglobs: **/*.sql\n---\n\n- {}\n"
    agents = [parse_text(rule.format(line), f"{n}.mdc") for n, line in enumerate(("Flag N+1 queries.", "Use indexes."))]
    merged = consolidate(agents, target="claude-code", file_name="SQL Reviewer")
    assert write_agent(merged.agent).startswith("---\nname: sql-reviewer\ndescription: SQL review\n---\n")
    assert consolidation_report(merged)["named_after"] == "SQL Reviewer"
    assert consolidate(agents, target="claude-code").agent.field("name") is None


def test_consolidated_model_is_the_model_its_file_reads_back_as() -> None:
    """The merged model equals what its own file parses to, so the two can be used alike."""
    merged = consolidate([parse_file(p) for p in SEEDS])
    again = parse_text(write_agent(merged.agent), merged.agent.path)
    assert write_agent(again) == write_agent(merged.agent)
    assert diff_agents(again, merged.agent).identical


def test_text_with_any_line_endings_parses_as_its_file_does() -> None:
    """``parse_text`` reads ``\\r\\n`` and a lone ``\\r`` as line endings, as reading the file's bytes
    does: the same model, the same line numbers (a lone ``\\r`` once made its line an item twice)."""
    seed = SEEDS[0].read_text(encoding="utf-8")
    for ending in ("\r\n", "\r"):
        text = seed.replace("\n", ending)
        assert parse_text(text, "a.md") == parse_text(seed, "a.md") == parse_bytes(text.encode(), "a.md")
    lone = parse_text("# Rules\n\n- one\n\rA paragraph.\n", "a.md")
    assert [(item.line, item.text) for _, item in lone.items()] == [(3, "one"), (5, "A paragraph.")]


def test_bad_input_raises_the_error_the_cli_prints(tmp_path: Path) -> None:
    """A missing file is an InputError with its path and no line; the message says what to do."""
    with pytest.raises(InputError) as caught:
        parse_file(tmp_path / "nope.md")
    assert caught.value.line == 0 and caught.value.path.endswith("nope.md")
    assert str(caught.value).endswith("nope.md: no such file; check the path")
    with pytest.raises(AgentMergeError):
        consolidate([])
    with pytest.raises(ValueError, match="fmt"):
        render_diff(diff_agents(parse_file(SEEDS[0]), parse_file(SEEDS[0])), fmt="html")


def test_every_exported_name_exists() -> None:
    """``__all__`` lists only names the package really has."""
    assert all(hasattr(agentmerge, name) for name in agentmerge.__all__)


def test_consolidate_stays_the_function_after_its_module_is_imported() -> None:
    """Importing the module ``agentmerge.consolidate`` first does not hide the function."""
    code = (
        "import agentmerge.consolidate\n"
        "from agentmerge.consolidate import Consolidation\n"
        "from agentmerge import consolidate\n"
        "print(callable(consolidate), type(consolidate).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "function"]


def test_importing_the_package_loads_no_algorithm() -> None:
    """``import agentmerge`` stays cheap: diff, consolidate and the writer load on first use."""
    code = (
        "import sys, agentmerge, json; print(json.dumps(sorted(m for m in sys.modules if m.startswith('agentmerge'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert not loaded & {"agentmerge.diff", "agentmerge.consolidate", "agentmerge.cluster", "agentmerge.writer"}


def test_group_agents_groups_a_library_through_the_api() -> None:
    """``group_agents`` and ``grouping_report`` give what ``agentmerge group --format json`` gives."""
    library = sorted(p for p in (FIXTURES / "library").rglob("*") if p.is_file())
    result = agentmerge.group_agents([agentmerge.parse_file(p) for p in library])
    assert len(result.groups) == 3 and len(result.singletons) == 2
    report = agentmerge.grouping_report(result)
    assert report["version"] == 1
    assert [len(g["members"]) for g in report["groups"]] == [3, 3, 3]
