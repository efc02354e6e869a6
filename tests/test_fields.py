"""Frontmatter rules are one definition: diff and consolidate read every list field alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from agentmerge.fields import description_prose, names

BODY = "\nYou review backend code.\n\n## Rules\n\n- Validate input at the boundary\n"


def agent_file(tmp_path: Path, name: str, frontmatter: str) -> str:
    path = tmp_path / name
    path.write_text(f"---\nname: reviewer\ndescription: Reviews code\n{frontmatter}---\n{BODY}", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("tools: Read Write Bash\n", "tools: Read, Write, Bash\n"),
        ("tools: Read, Write, Bash\n", "tools:\n  - Read\n  - Write\n  - Bash\n"),
        ("globs: src/**/*.ts, src/**/*.tsx\n", "globs:\n  - src/**/*.tsx\n  - src/**/*.ts\n"),
    ],
    ids=["spaces-commas", "commas-list", "cursor-globs"],
)
def test_one_list_spelled_two_ways_is_no_change_to_diff_and_no_conflict_to_consolidate(
    tmp_path: Path, old: str, new: str
) -> None:
    """diff sees no change, and consolidate writes each name once and reports no widening."""
    a, b = agent_file(tmp_path, "a.md", old), agent_file(tmp_path, "b.md", new)
    diffed = run_cli("diff", a, b, "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    assert json.loads(diffed.stdout)["frontmatter"] == []
    merged = run_cli("consolidate", a, b, "--format", "json")
    assert merged.exit_code == 0, merged.output
    report = json.loads(merged.stdout)
    assert report["conflicts"] == []
    key = old.split(":")[0]
    (field,) = [f for f in report["fields"] if f["key"] == key]
    assert names(field["value"]) == names(old.split(":", 1)[1].strip())
    assert len(names(field["value"])) == len(set(names(field["value"])))


def test_a_name_added_in_either_spelling_is_a_widening_to_both_commands(tmp_path: Path) -> None:
    """``Read Write`` against ``Read, Write, Bash``: diff reports Bash added, consolidate the widening."""
    a = agent_file(tmp_path, "a.md", "tools: Read Write\n")
    b = agent_file(tmp_path, "b.md", "tools: Read, Write, Bash\n")
    (change,) = json.loads(run_cli("diff", a, b, "--format", "json").stdout)["frontmatter"]
    assert change["added_names"] == ["Bash"] and change["widened"]
    report = json.loads(run_cli("consolidate", a, b, "--format", "json").stdout)
    (conflict,) = report["conflicts"]
    assert conflict["key"] == "tools" and "adds Bash" in conflict["why"]
    assert "widens" in conflict["why"] and "Read, Write" not in conflict["why"].split("adds")[1]


def test_description_prose_keeps_the_text_around_its_examples() -> None:
    """The examples and the label that introduces them go; text before, between and after stays."""
    text = "Use for reviews.\nExamples:\n<example>one</example>\nThen <example>two</example>\nUse proactively."
    assert description_prose(text) == "Use for reviews.\n\nThen\n\nUse proactively."
    assert description_prose("No examples here.  ") == "No examples here."
