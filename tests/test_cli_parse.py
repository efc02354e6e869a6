"""``agentmerge parse`` through the command's entry point: formats, several files, missing files, stdin."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, run_cli

from agentmerge.parse import read_agent
from agentmerge.render import agent_to_dict, to_json


def test_text_outline_lists_fields_and_sections_with_lines() -> None:
    """The text format prints the path, frontmatter keys and sections, each with its line."""
    code, out, err = run_cli("parse", str(SEEDS[0]))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == str(SEEDS[0])
    assert lines[1] == "  frontmatter"
    assert lines[2].split() == ["2", "name:", "backend-engineer"]
    assert "  body" in lines


def test_json_is_the_model_with_version() -> None:
    """The JSON format is ``{"version": 1, "agents": [...]}`` with one entry per file, as to_json writes it."""
    code, out, _ = run_cli("parse", "--format", "json", *map(str, SEEDS))
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 1
    assert [a["path"] for a in data["agents"]] == [str(p) for p in SEEDS]
    expected = {"version": 1, "agents": [agent_to_dict(read_agent(p)) for p in SEEDS]}
    assert out == to_json(expected)


def test_json_item_carries_kind_text_lines_and_label() -> None:
    """Items in JSON carry kind, text, line, end_line, label, checked, number, info and children."""
    code, out, _ = run_cli("parse", "--format", "json", str(SEEDS[0]))
    assert code == 0
    body = json.loads(out)["agents"][0]["body"]
    items = [i for s in body["sections"] for i in s["items"]] + body["items"]
    assert items
    assert set(items[0]) == {"kind", "text", "line", "end_line", "label", "checked", "number", "info", "children"}


def test_missing_file_is_reported_once_and_others_still_printed(tmp_path: Path) -> None:
    """With one missing file among others, the others print, one error line names it, exit code 2."""
    missing = tmp_path / "missing.md"
    code, out, err = run_cli("parse", str(SEEDS[0]), str(missing), str(SEEDS[1]))
    assert code == 2
    assert out.count("  body") == 2
    assert err.splitlines() == [f"agentmerge: error: {missing}: no such file; check the path"]


def test_missing_file_in_json_mode_still_gives_valid_json(tmp_path: Path) -> None:
    """In JSON mode the readable files form one valid document and the exit code is 2."""
    missing = tmp_path / "missing.md"
    code, out, err = run_cli("parse", "--format", "json", str(missing), str(SEEDS[2]))
    assert code == 2
    assert [a["path"] for a in json.loads(out)["agents"]] == [str(SEEDS[2])]
    assert len(err.splitlines()) == 1


def test_only_missing_files_give_empty_agents(tmp_path: Path) -> None:
    """When no file can be read the JSON still parses, with an empty agents list."""
    code, out, _ = run_cli("parse", "--format", "json", str(tmp_path / "a.md"), str(tmp_path / "b.md"))
    assert code == 2
    assert json.loads(out) == {"version": 1, "agents": []}


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    """A directory given as a file is one error line and exit code 2."""
    code, _, err = run_cli("parse", str(tmp_path))
    assert code == 2
    assert err == f"agentmerge: error: {tmp_path}: is a directory, not an agent file\n"


def test_stdin_is_read_with_dash() -> None:
    """``-`` reads one agent from standard input, reported as <stdin>."""
    code, out, _ = run_cli("parse", "--format", "json", "-", stdin=b"---\nname: piped\n---\n# Title\n- item\n")
    assert code == 0
    agent = json.loads(out)["agents"][0]
    assert agent["path"] == "<stdin>"
    assert agent["fields"][0]["value"] == "piped"
    assert agent["body"]["sections"][0]["title"] == "Title"
    assert agent["body"]["sections"][0]["items"][0]["line"] == 5


def test_warnings_go_to_stderr_one_line_each() -> None:
    """Recovered frontmatter is reported on stderr with path and line; stdout stays the outline."""
    code, out, err = run_cli("parse", "-", stdin=b"---\nglobs: *.ts\n---\n- rule\n")
    assert code == 0
    assert err == (
        "agentmerge: warning: <stdin>:2: frontmatter is not valid YAML (a value starts with '*'); "
        "keys were read leniently\n"
    )
    assert out.splitlines()[0] == "<stdin>"


def test_binary_input_is_refused_with_one_line(tmp_path: Path) -> None:
    """A binary file gives one error line naming it and exit code 2."""
    path = tmp_path / "image.md"
    path.write_bytes(bytes(range(256)) * 10)
    code, out, err = run_cli("parse", str(path))
    assert code == 2 and out == ""
    assert err == f"agentmerge: error: {path}: is a binary file, not a Markdown agent file\n"


def test_no_files_is_a_usage_error() -> None:
    """``agentmerge parse`` without files is a usage error (exit code 2)."""
    code, _, err = run_cli("parse")
    assert code == 2
    assert "FILES" in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["diff", "a.md"], "diff takes two files"),
        (["diff", "--fomat", "json", "a.md", "b.md"], "No such option '--fomat'"),
        (["consolidate", "--for", "nope", "a.md"], "Invalid value for '--for'"),
        (["merge", "a.md"], "Missing argument 'OURS'"),
        (["bogus"], "No such command 'bogus'"),
    ],
)
def test_a_usage_error_is_one_error_line_naming_the_help_to_read(args: list[str], said: str) -> None:
    """Usage errors are said as every other error is (README: one line on stderr), not as click's
    four lines of usage, hint, blank line and error."""
    result = run_cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("agentmerge: error: ")
    assert said in result.stderr and "--help')" in result.stderr


def test_agentmerge_alone_shows_the_help() -> None:
    result = run_cli()
    assert result.exit_code == 2 and "Commands:" in result.stdout + result.stderr


def test_the_outline_in_docs_parse_md_is_how_the_command_opens() -> None:
    """docs/parse.md shows the first lines of a fixture's outline; they drifted once (text cut
    at 80 and 90 characters where the command cuts at 100, lines left out unmarked)."""
    doc = (ROOT / "docs" / "parse.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(fixtures/backend-engineer/002-plain-labels\.md\n.*?)```", doc, re.DOTALL)
    assert shown is not None
    result = run_cli("parse", "fixtures/backend-engineer/002-plain-labels.md", cwd=ROOT)
    assert result.stdout.startswith(shown.group(1))


def test_a_bad_format_name_is_refused_as_click_refuses_a_choice() -> None:
    """Quoted and sorted, as `--format`'s refusal lists its choices (it listed them bare, in table
    order)."""
    said = run_cli("consolidate", "--for", "nope", "a.md").stderr
    assert "'nope' is not one of 'claude-code', 'copilot-agent', 'copilot-chatmode'" in said
