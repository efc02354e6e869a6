"""check and fmt over every real agent file of ../shared/corpus: check reads every file without an
error or a traceback; fmt keeps each file's model and is a fixed point.

The corpus is not part of the repository; these tests are skipped in a fresh clone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED, corpus_files, corpus_params, model_shape, needs_corpus, run_cli

from agentmerge.check import OPT_IN, fix_text, format_bytes
from agentmerge.fields import TOOL_KEYS, names, read_tools
from agentmerge.formats import removed_set, renamed_tool, vscode_tools
from agentmerge.model import Agent
from agentmerge.parse import decode, parse_bytes, parse_text

CORPUS = corpus_files()

pytestmark = pytest.mark.slow


@needs_corpus
def test_check_reads_every_corpus_file() -> None:
    """One run over the whole corpus, every rule on (the opt-in ones too): no file is an error, no
    traceback, every finding has a known code and a line inside its file."""
    every = ("--select", "ALL", "--extend-select", ",".join(OPT_IN))
    code, out, err = run_cli("check", *every, "--format", "json", str(SHARED / "corpus"))
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    report = json.loads(out)
    assert report["errors"] == []
    assert report["files"] >= len(CORPUS) - 5  # LICENSE and SOURCES.tsv are not agent files
    lines = {}
    for finding in report["findings"]:
        path = finding["path"]
        if path not in lines:
            lines[path] = Path(path).read_bytes().count(b"\n") + 1
        assert 1 <= finding["line"] <= lines[path], finding


@pytest.mark.parametrize("path", corpus_params(CORPUS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fmt_keeps_the_model_and_is_a_fixed_point(path: Path) -> None:
    """fmt's text parses to the file's model, and formatting that text again changes no byte."""
    data = path.read_bytes()
    formatted = format_bytes(data, path.name)
    assert model_shape(parse_text(formatted.text, path.name)) == model_shape(parse_bytes(data, path.name))
    again = format_bytes(formatted.text.encode("utf-8"), path.name)
    assert not again.changed
    assert again.text == formatted.text


def _tools_as_vscode_reads(agent: Agent) -> tuple[object, ...]:
    """Each field of ``agent``; a tools list as the set of tools VS Code reads from it."""
    return tuple(
        sorted(
            (f.key, sorted(read_tools(names(f.value), vscode_tools)) if f.key in TOOL_KEYS else f.value)
            for f in agent.fields
        ),
    )


def _repeats(agent: Agent) -> int:
    """How many entries of ``agent``'s tools lists name a tool an earlier entry names."""
    lists = [f.value for f in agent.fields if f.key in TOOL_KEYS and isinstance(f.value, list)]
    return sum(len(value) - len(set(value)) for value in lists)


RENAMED = [p for p in CORPUS if p.name.endswith((".agent.md", ".prompt.md", ".chatmode.md"))]


@pytest.mark.parametrize("path", corpus_params(RENAMED), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixing_renamed_tools_changes_only_their_names(path: Path) -> None:
    """AM115's fix on every Copilot file of the corpus: no renamed tool is left, VS Code reads the
    same tools, every other field and the whole body are as they were, no tool is listed twice
    that was not before, and fixing again changes nothing."""
    text, _ = decode(path.read_bytes(), path.name, keep_endings=True)
    before = parse_text(text, path.name)
    fixed, count = fix_text(text, before, ["AM115"])
    after = parse_text(fixed, path.name)
    left = [n for f in after.fields if f.key in TOOL_KEYS for n in names(f.value) if renamed_tool(n) or removed_set(n)]
    assert left == []
    assert _tools_as_vscode_reads(after) == _tools_as_vscode_reads(before)
    assert model_shape(after)[1] == model_shape(before)[1]
    assert _repeats(after) <= _repeats(before)
    assert (count == 0) == (fixed == text)
    assert fix_text(fixed, after, ["AM115"]) == (fixed, 0)
