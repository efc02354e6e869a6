"""The ``agentmerge diff`` command: exit codes, stdin, git's seven arguments, colour, formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SEEDS, run_cli
from markdown_it import MarkdownIt

from agentmerge.cli import main

OLD = SEEDS[0]
"""000-headings-checklists.md"""
NEW = SEEDS[1]
"""002-plain-labels.md"""
ANSI = "\x1b["


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """Seed 000 with one bullet reworded: "Build data processing pipelines" gains "streaming"."""
    text = OLD.read_text(encoding="utf-8").replace(
        "- Build data processing pipelines", "- Build streaming data processing pipelines"
    )
    path = tmp_path / "edited.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_diffed_with_itself_exits_0_and_is_identical() -> None:
    """Same file on both sides: exit 0, JSON identical true, no changes."""
    result = run_cli("diff", str(OLD), str(OLD), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["identical"] is True and data["changes"] == [] and data["frontmatter"] == []


def test_different_files_exit_1_and_no_exit_code_makes_it_0(edited: Path) -> None:
    """A semantic change exits 1; --no-exit-code exits 0 with the same report."""
    changed = run_cli("diff", str(OLD), str(edited))
    assert changed.exit_code == 1
    assert "reworded" in changed.stdout
    quiet = run_cli("diff", str(OLD), str(edited), "--no-exit-code")
    assert quiet.exit_code == 0
    assert quiet.stdout == changed.stdout


def test_the_text_report_shows_the_reworded_bullet_with_lines_similarity_and_redline(edited: Path) -> None:
    """One reworded bullet: old and new line, similarity in percent, ``{+streaming+}`` redline."""
    result = run_cli("diff", str(OLD), str(edited))
    lines = result.stdout.splitlines()
    assert lines[0] == f"--- {OLD}" and lines[1] == f"+++ {edited}"
    change = [line for line in lines if line.startswith("  ~")]
    assert len(change) == 1
    assert "19 -> 19" in change[0] and "reworded (" in change[0] and "{+streaming+}" in change[0]
    assert "@@ Responsibilities @@" in lines
    assert lines[-1] == "0 added, 0 removed, 1 reworded, 0 moved, 0 frontmatter"


def test_json_follows_the_version_1_contract(edited: Path) -> None:
    """Top-level keys, summary counts and one change shaped as DESIGN.md's diff JSON v1."""
    data = json.loads(run_cli("diff", str(OLD), str(edited), "--format", "json").stdout)
    assert {"version", "old", "new", "identical", "summary", "frontmatter", "changes"} <= set(data)
    assert data["version"] == 1 and data["old"] == {"path": str(OLD)} and data["new"] == {"path": str(edited)}
    assert data["summary"] == {"added": 0, "removed": 0, "reworded": 1, "moved": 0, "frontmatter": 0}
    (change,) = data["changes"]
    assert change["op"] == "reworded" and change["kind"] == "item"
    assert change["old"] == {
        "line": 19,
        "text": "Build data processing pipelines",
        "section": "Responsibilities",
        "section_line": 15,
    }
    assert change["new"]["text"] == "Build streaming data processing pipelines"
    assert 0.6 < change["similarity"] < 1


def test_missing_file_is_a_one_line_error_with_exit_2() -> None:
    """A path that does not exist: exit 2 and ``agentmerge: error: PATH...`` on one line."""
    result = run_cli("diff", str(OLD), "no/such/file.md")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["agentmerge: error: no/such/file.md: no such file; check the path"]
    assert "Traceback" not in result.output


def test_wrong_number_of_arguments_is_a_usage_error() -> None:
    """One or three files is neither OLD NEW nor git's seven arguments: exit 2."""
    assert run_cli("diff", str(OLD)).exit_code == 2
    assert run_cli("diff", str(OLD), str(OLD), str(OLD)).exit_code == 2


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_threshold_outside_0_to_1_is_refused(value: str) -> None:
    """--threshold is a float in [0, 1]; anything else exits 2 before reading a file."""
    assert run_cli("diff", str(OLD), str(OLD), "--threshold", value).exit_code == 2


def test_threshold_sets_how_far_a_rewording_may_go(tmp_path: Path) -> None:
    """A heavy rewording in place (0.51 similar) is reworded at the default threshold (in place
    0.15 less is enough) and a removal plus an addition at --threshold 0.9."""
    heavy = tmp_path / "heavy.md"
    heavy.write_text(
        OLD.read_text(encoding="utf-8").replace("- Build data processing pipelines", "- Build batch ETL jobs"),
        encoding="utf-8",
    )
    default = json.loads(run_cli("diff", str(OLD), str(heavy), "--format", "json").stdout)
    assert default["summary"]["reworded"] == 1 and default["summary"]["added"] == 0
    assert 0.45 <= default["changes"][0]["similarity"] < 0.6
    strict = json.loads(run_cli("diff", str(OLD), str(heavy), "--format", "json", "--threshold", "0.9").stdout)
    assert strict["summary"]["reworded"] == 0
    assert strict["summary"]["added"] == 1 and strict["summary"]["removed"] == 1


def test_stdin_is_read_for_a_dash(edited: Path) -> None:
    """``-`` reads one side from standard input and names it <stdin>."""
    result = run_cli("diff", "-", str(edited), "--format", "json", stdin=OLD.read_bytes())
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["old"] == {"path": "<stdin>"} and data["summary"]["reworded"] == 1


def test_both_sides_from_stdin_is_refused() -> None:
    assert run_cli("diff", "-", "-", stdin=b"x").exit_code == 2


def test_git_seven_arguments_diff_old_against_new_name_the_path_and_exit_0(edited: Path) -> None:
    """git's external-diff call: path old-file hex mode new-file hex mode; always exit 0."""
    args = [".claude/agents/backend.md", str(OLD), "a" * 40, "100644", str(edited), "b" * 40, "100644"]
    result = run_cli("diff", *args)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == ["--- .claude/agents/backend.md", "+++ .claude/agents/backend.md"]
    assert "{+streaming+}" in result.stdout


def test_git_mode_change_is_named_after_the_diff() -> None:
    """git hands the driver a file made executable with its modes: the driver, in git's place,
    says the mode changed (it said "no semantic changes" and nothing else); a new file, whose
    old side git gives as ``/dev/null . .``, has no mode change to name."""
    args = [".claude/agents/backend.md", str(OLD), "a" * 40, "100644", str(OLD), "a" * 40, "100755"]
    result = run_cli("diff", *args)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:] == ["no semantic changes", "mode 100644 -> 100755"]
    assert "mode" not in run_cli("diff", *args, "--stat").stdout
    new = run_cli("diff", "agent.md", os.devnull, ".", ".", str(OLD), "a" * 40, "100755").stdout
    assert "mode" not in new.splitlines()[-1]


def test_git_dev_null_side_shows_every_item_added() -> None:
    """A new file (old side /dev/null): every frontmatter key, section and item is added."""
    args = ["agent.md", os.devnull, "0" * 40, "100644", str(OLD), "a" * 40, "100644"]
    result = run_cli("diff", *args, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["old"] == {"path": "/dev/null"}
    assert {c["op"] for c in data["changes"]} == {"added"}
    assert {f["op"] for f in data["frontmatter"]} == {"added"}
    assert data["summary"]["added"] == len(data["changes"]) > 40


WITH_TOOLS = "---\nname: reviewer\ntools: Read, Grep\n---\n\n# Reviewer\n\n- Check every query.\n"


def test_git_dev_null_new_side_removes_everything_without_a_widening_callout(tmp_path: Path) -> None:
    """A deleted file (new side /dev/null) drops its ``tools`` key, but no agent inherits them."""
    agent = tmp_path / "agent.md"
    agent.write_text(WITH_TOOLS, encoding="utf-8")
    result = run_cli("diff", "agent.md", str(agent), "a" * 40, "100644", os.devnull, "0" * 40, "100644")
    assert result.exit_code == 0
    assert "tools" in result.stdout and "widened" not in result.stdout


def test_a_real_file_dropping_tools_keeps_the_widening_callout(tmp_path: Path) -> None:
    """The same ``tools`` removal in a file that still exists is called out as a widening."""
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(WITH_TOOLS, encoding="utf-8")
    new.write_text(WITH_TOOLS.replace("tools: Read, Grep\n", ""), encoding="utf-8")
    result = run_cli("diff", str(old), str(new))
    assert "tools widened: the list was removed, so the agent now inherits every tool" in result.stdout


def test_tools_left_without_a_value_is_the_same_widening_named_so(tmp_path: Path) -> None:
    """``tools:`` with no value is no list, as a removed key is: the call-out said "tools widened:
    now also " and named nothing."""
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(WITH_TOOLS, encoding="utf-8")
    new.write_text(WITH_TOOLS.replace("tools: Read, Grep\n", "tools:\n"), encoding="utf-8")
    result = run_cli("diff", str(old), str(new))
    assert "tools widened: the key has no value, so the agent now inherits every tool" in result.stdout
    assert "now also" not in result.stdout


def test_git_mode_exits_0_even_when_a_file_is_missing() -> None:
    """git aborts on a failing external diff, so the error is reported, under the file's path in
    the repository, and the exit is 0."""
    args = ["agent.md", "missing.md", "0" * 40, "100644", str(OLD), "a" * 40, "100644"]
    result = run_cli("diff", *args)
    assert result.exit_code == 0
    assert result.stderr.startswith("agentmerge: error: agent.md: no such file")


def test_git_mode_shows_a_side_too_large_to_read_as_not_compared(tmp_path: Path) -> None:
    """A file past 512 KiB vanished from git diff: nothing on stdout, and an error naming git's
    temporary copy. It is listed, not compared, under its path in the repository."""
    large = tmp_path / "git-blob-x" / "agent.md"
    large.parent.mkdir()
    large.write_text("- " + "word " * 120_000 + "\n", encoding="utf-8")
    result = run_cli("diff", ".claude/agents/agent.md", str(OLD), "a" * 40, "100644", str(large), "b" * 40, "100644")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == ["--- .claude/agents/agent.md", "+++ .claude/agents/agent.md"]
    assert "not compared: is larger than 512 KiB" in result.stdout
    assert result.stderr.startswith("agentmerge: error: .claude/agents/agent.md: is larger than 512 KiB")
    assert "git-blob-x" not in result.stderr


def test_git_mode_exits_0_when_the_reader_goes_away(tmp_path: Path) -> None:
    """git's pager quitting early (or `git log -p | head`) closed the pipe and the driver exited 1,
    so git stopped with "external diff died"; as a driver it exits 0."""
    import subprocess
    import sys

    old, new = tmp_path / "old.md", tmp_path / "new.md"
    bullets = [f"- Step {n} checks one more thing about the change" for n in range(2000)]
    old.write_text("# A\n\n" + "\n".join(bullets) + "\n", encoding="utf-8")
    new.write_text("# A\n\n" + "\n".join(b + " again" for b in bullets) + "\n", encoding="utf-8")
    args = ["agent.md", str(old), "a" * 40, "100644", str(new), "b" * 40, "100644"]
    for external in (True, False):
        command = [sys.executable, "-m", "agentmerge", "diff", *(args if external else [str(old), str(new)])]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None
        process.stdout.close()  # no reader: the first write fails
        _, err = process.communicate(timeout=120)
        assert (process.returncode, err) == (0 if external else 1, b"")


def test_a_binary_side_falls_back_to_a_plain_diff(tmp_path: Path) -> None:
    """A binary input is not an agent file: a warning, "Binary files ... differ", exit 1."""
    binary = tmp_path / "image.md"
    binary.write_bytes(bytes(range(256)) * 4)
    result = run_cli("diff", str(OLD), str(binary))
    assert result.exit_code == 1
    assert "showing a plain line diff" in result.stderr
    assert result.stdout.strip() == f"Binary files {OLD} and {binary} differ"


def test_a_side_that_is_not_valid_utf16_falls_back_to_a_line_diff(tmp_path: Path) -> None:
    """Text that cannot be decoded as an agent file gives a unified line diff, not an error."""
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\xff\xfeA\x00B")
    result = run_cli("diff", str(broken), str(OLD))
    assert result.exit_code == 1
    assert "warning" in result.stderr
    assert any(line.startswith("+++ ") for line in result.stdout.splitlines())


def test_stat_prints_counts_only(edited: Path) -> None:
    """--stat: one line with both paths and the counts."""
    result = run_cli("diff", str(OLD), str(edited), "--stat")
    assert result.stdout == f"{OLD} -> {edited}: 0 added, 0 removed, 1 reworded, 0 moved, 0 frontmatter\n"
    data = json.loads(run_cli("diff", str(OLD), str(edited), "--stat", "--format", "json").stdout)
    assert "changes" not in data and data["summary"]["reworded"] == 1


def test_markdown_redline_marks_deletions_and_insertions_with_tags(edited: Path) -> None:
    """--format markdown: a heading with the paths, the summary, ``<ins>streaming</ins>`` as insertion."""
    result = run_cli("diff", str(OLD), str(edited), "--format", "markdown")
    assert result.stdout.startswith(f"#### `{OLD}` \u2192 `{edited}`\n")
    assert "<ins>streaming</ins>" in result.stdout
    assert "{+" not in result.stdout and ANSI not in result.stdout


def test_a_markdown_redline_next_to_punctuation_marks_exactly_what_changed(tmp_path: Path) -> None:
    """``~~`` and ``**`` between a letter and a punctuation mark open nothing: "inputs~~,~~**;**"
    rendered with its marks as written and struck out the words after it, up to the next "~~".
    Rendered, each deletion and insertion is now exactly the words that changed."""
    front = "---\nname: a\ndescription: d\n---\n\n- {}\n"
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(front.format("Check the inputs, escape the outputs, log the errors"), encoding="utf-8")
    new.write_text(front.format("Check the inputs; escape the outputs; log the errors"), encoding="utf-8")
    html = (
        MarkdownIt("commonmark")
        .enable("strikethrough")
        .render(run_cli("diff", str(old), str(new), "--format", "markdown").stdout)
    )
    assert "inputs<del>,</del><ins>;</ins> escape the outputs<del>,</del><ins>;</ins> log" in html
    assert "~~" not in html and "**" not in html


def test_no_colour_codes_unless_asked(edited: Path) -> None:
    """Output that is not a terminal carries no ANSI codes by default or with --color never."""
    assert ANSI not in run_cli("diff", str(OLD), str(edited)).stdout
    assert ANSI not in run_cli("diff", str(OLD), str(edited), "--color", "never", env={"FORCE_COLOR": "1"}).stdout


def test_color_always_and_force_color_colour_the_report(edited: Path) -> None:
    """--color always, or FORCE_COLOR with auto, colours marks and redlines."""
    always = run_cli("diff", str(OLD), str(edited), "--color", "always").stdout
    assert ANSI in always
    assert "\x1b[32m{+streaming+}" in always
    assert ANSI in run_cli("diff", str(OLD), str(edited), env={"FORCE_COLOR": "1"}).stdout


def test_no_color_wins_over_force_color_in_auto_mode(edited: Path) -> None:
    """NO_COLOR switches colour off even when FORCE_COLOR is set; --color always still wins."""
    env = {"NO_COLOR": "1", "FORCE_COLOR": "1"}
    assert ANSI not in run_cli("diff", str(OLD), str(edited), env=env).stdout
    assert ANSI in run_cli("diff", str(OLD), str(edited), "--color", "always", env=env).stdout


def test_main_returns_the_exit_code(edited: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The console entry returns 1 for a difference and 0 for none."""
    assert main(["diff", str(OLD), str(edited)]) == 1
    assert main(["diff", str(OLD), str(OLD)]) == 0
    assert "no semantic changes" in capsys.readouterr().out


def test_git_mode_does_not_compare_a_symbolic_link(tmp_path: Path) -> None:
    """git hands the driver a link's target as its file's text (mode 120000): that path was
    parsed as an instruction ("added: /etc/passwd"). It is named as a link, not compared."""
    target = tmp_path / "link-text"
    target.write_text("/etc/passwd", encoding="utf-8")
    added = run_cli("diff", "agent.md", os.devnull, ".", ".", str(target), "a" * 40, "120000")
    assert added.exit_code == 0 and added.stderr == ""
    assert (
        added.stdout == "--- /dev/null\n+++ agent.md\n  not compared: a symbolic link to '/etc/passwd', not followed\n"
    )
    turned = run_cli("diff", "agent.md", str(OLD), "b" * 40, "100644", str(target), "a" * 40, "120000")
    assert "not compared: now a symbolic link to '/etc/passwd', not followed" in turned.stdout


def test_git_mode_says_a_problem_both_sides_have_once(tmp_path: Path) -> None:
    """Both sides bear the file's one name under git, so the same warning came twice."""
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    head = "---\nname: x\ndescription: Use it when: ready\n---\n\n- One.\n"
    old.write_text(head, encoding="utf-8")
    new.write_text(head + "- Two.\n", encoding="utf-8")
    result = run_cli("diff", "agent.md", str(old), "a" * 40, "100644", str(new), "b" * 40, "100644")
    assert result.stderr.count("agentmerge: warning: agent.md:3: frontmatter is not valid YAML") == 1


def test_a_lead_in_re_wrapped_over_two_lines_is_no_change(tmp_path: Path) -> None:
    """Re-wrapping a lead-in over its list (as a formatter with a line width does) read as its
    section removed and a paragraph added; it is formatting, and exits 0."""
    lead = "When you review a pull request, check each of the following:"
    body = "---\nname: rev\ndescription: Reviews code.\n---\n\n{}\n\n- Tests cover the change.\n- Names fit.\n"
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(body.format(lead), encoding="utf-8")
    new.write_text(body.format(lead.replace(" the following", "\nthe following")), encoding="utf-8")
    result = run_cli("diff", str(old), str(new))
    assert result.exit_code == 0, result.output
    assert "no semantic changes" in result.stdout


TABLE = "---\nname: t\ndescription: Tools.\n---\n\n## Tools\n\n{}\n"


@pytest.mark.parametrize(
    "rule",
    ["| ------ | ----- |", "|---|---|", "| :-- | --- |"],
    ids=["aligned", "short", "left-aligned"],
)
def test_a_table_realigned_is_no_change_and_an_alignment_or_a_cell_is_one(tmp_path: Path, rule: str) -> None:
    """How far a table's delimiter row runs is formatting, as its cells' padding is: a formatter
    that aligns the columns rewrites that row ("| ------ |" for "|------|"), and it was reported as
    the table reworded, with no line shown changed. An alignment (":--") is a change: it moves
    the column on the page."""
    old = tmp_path / "old.md"
    old.write_text(TABLE.format("| Tool | Use |\n|------|-----|\n| ruff | lint |"), encoding="utf-8")
    new = tmp_path / "new.md"
    new.write_text(TABLE.format(f"| Tool   | Use   |\n{rule}\n| ruff   | lint  |"), encoding="utf-8")
    result = run_cli("diff", str(old), str(new), "--format", "json")
    data = json.loads(result.stdout)
    if rule.startswith("| :"):
        assert result.exit_code == 1 and [c["op"] for c in data["changes"]] == ["reworded"]
        assert [line["op"] for line in data["changes"][0]["lines"] if line["op"] != " "] == ["-", "+"]
    else:
        assert (result.exit_code, data["identical"]) == (0, True), data
    cell = tmp_path / "cell.md"
    cell.write_text(TABLE.format(f"| Tool | Use |\n{rule}\n| ruff | format |"), encoding="utf-8")
    assert run_cli("diff", str(old), str(cell)).exit_code == 1
