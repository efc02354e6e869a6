"""Golden diffs: one folder per case under tests/cases/diff with old.md, new.md and the expected
text (expected.txt), Markdown (expected.md) and JSON (expected.json) reports.

After an intended change, ``pytest --regen-golden`` rewrites the expected files; read the changes
to them before committing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentmerge.diff import diff_agents
from agentmerge.parse import parse_bytes
from agentmerge.render import change_description, diff_to_dict, render_diff_markdown, render_diff_text

CASES = sorted(p for p in (Path(__file__).parent / "cases" / "diff").iterdir() if p.is_dir())


def _reports(case: Path) -> tuple[str, str, str]:
    old = parse_bytes((case / "old.md").read_bytes(), "old.md")
    new = parse_bytes((case / "new.md").read_bytes(), "new.md")
    result = diff_agents(old, new)
    text = "\n".join(render_diff_text(result)) + "\n"
    return text, render_diff_markdown(result), json.dumps(diff_to_dict(result), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_diff_matches_the_golden_reports(case: Path, golden: Callable[..., None]) -> None:
    """The text, Markdown and JSON reports of old.md against new.md are exactly the expected files."""
    text, markdown, data = _reports(case)
    golden(case / "expected.txt", text)
    golden(case / "expected.md", markdown)
    golden(case / "expected.json", data, load=json.loads)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_text_and_markdown_reports_agree_on_the_summary(case: Path) -> None:
    """All formats carry the same counts: the text's last line is the Markdown's bold summary."""
    old = parse_bytes((case / "old.md").read_bytes(), "old.md")
    new = parse_bytes((case / "new.md").read_bytes(), "new.md")
    result = diff_agents(old, new)
    summary = list(render_diff_text(result))[-1]
    assert f"**{summary}**" in render_diff_markdown(result)
    assert (summary == "no semantic changes") == result.identical == diff_to_dict(result)["identical"]


def test_the_formatting_only_case_really_differs_in_bytes() -> None:
    """The formatting-only golden case is not two copies of one file."""
    case = Path(__file__).parent / "cases" / "diff" / "formatting-only"
    assert (case / "old.md").read_bytes() != (case / "new.md").read_bytes()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_text_and_markdown_use_the_json_change_words(case: Path) -> None:
    """Each change is described by its JSON op (added, removed, reworded, moved) in every format."""
    old = parse_bytes((case / "old.md").read_bytes(), "old.md")
    new = parse_bytes((case / "new.md").read_bytes(), "new.md")
    result = diff_agents(old, new)
    text = "\n".join(render_diff_text(result))
    markdown = render_diff_markdown(result)
    for change in result.changes:
        assert change_description(change).split()[0] == change.op
        assert f" {change_description(change)}: " in text
        assert f"**{change_description(change).split(' (')[0]}" in markdown
