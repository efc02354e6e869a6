"""Consolidation loses nothing: the loss checker (``losscheck``) over hand-written groups, the
seeds, and every group of same-role agents in ../shared/corpus (by name and by keyword).

Each known way content went missing has a test of its own here, on a hand-written group in
``tests/cases/consolidate/`` that lost it before the fix.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, corpus_files, corpus_params, run_cli
from losscheck import LossReport, consolidate_and_check, findings_text

from agentmerge.model import Item, Section
from agentmerge.parse import parse_text

CASES = ROOT / "tests" / "cases" / "consolidate"


def case_files(name: str) -> list[Path]:
    return sorted(p for p in (CASES / name).iterdir() if p.suffix in (".md", ".mdc"))


def assert_nothing_lost(report: LossReport) -> None:
    assert report.units > 0
    assert not report.findings, "\n".join(findings_text(report))


def merged(paths: list[Path], tmp_path: Path, *options: str) -> tuple[str, dict[str, object]]:
    """The merged file and its report, written by the command line."""
    out, report = tmp_path / "out.md", tmp_path / "out.json"
    run = run_cli("consolidate", *map(str, paths), *options, "-o", str(out), "--report", str(report))
    assert run.exit_code == 0, run.output
    return out.read_text(encoding="utf-8"), json.loads(report.read_text(encoding="utf-8"))


def find_item(section: Section, text: str) -> Item:
    for sub in section.walk():
        for top in sub.items:
            for item in top.walk():
                if text in item.text:
                    return item
    raise AssertionError(f"no item holds {text!r}")


# --------------------------------------------------------------------------------------------
# Hand-written groups and the seeds


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_hand_written_group_loses_nothing(case: str, tmp_path: Path) -> None:
    assert_nothing_lost(consolidate_and_check(case_files(case), tmp_path))


def test_instructions_in_one_frame_are_each_kept(tmp_path: Path) -> None:
    """Two rule lists written to one template ("When reviewing database migrations, check for
    ...") keep every rule: each pair below was one item, its second rule gone."""
    text, _ = merged(case_files("one-frame"), tmp_path)
    written = {line.removeprefix("- ") for line in text.splitlines()}
    for rule in (
        "When reviewing database migrations, check for table locks.",
        "When reviewing database migrations, check for a rollback script.",
        "Before merging a pull request, make sure the changelog is updated.",
        "Before merging a pull request, make sure the version number is bumped.",
        "In every API handler, validate the request body.",
        "In every API handler, log the request id.",
        "Notify the pipeline owner before retrying a failed build.",
        "If the user asks for a refactor, keep the public interface stable.",
        "If the user asks for a refactor, run the full test suite first.",
        "After a security incident, rotate every exposed credential.",
        "After a security incident, write a blameless postmortem.",
        "Check database migrations for table locks.",
        "When a test fails, say why.",
        "When a test fails, say where.",
    ):
        assert rule in written, rule


def test_seeds_lose_nothing(tmp_path: Path) -> None:
    report = consolidate_and_check(SEEDS, tmp_path)
    assert_nothing_lost(report)
    assert report.folded > 20  # the seeds do merge: the check is not passing on four copies


def test_the_checker_finds_a_dropped_child_and_a_changed_code_block(tmp_path: Path) -> None:
    """The checker fails when the written file loses what the report lists."""
    paths = case_files("nested-under-merged-paragraph")
    text, report = merged(paths, tmp_path)
    from losscheck import check

    from agentmerge.parse import read_agent

    inputs = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
    agents = [read_agent(p) for p in paths]
    dropped = text.replace("  - `feat`: a new feature\n", "")
    changed = text.replace("accept CRLF", "accept LF")
    for broken in (dropped, changed):
        found = check(inputs, agents, broken, {**report, "agent": broken})
        assert "agree" in found.findings and ("missing" in found.findings or "code" in found.findings)


# --------------------------------------------------------------------------------------------
# Each known failure


def test_children_of_a_paragraph_that_merged_with_a_list_item_are_written(tmp_path: Path) -> None:
    """The kept wording is a paragraph; the list item folded into it had a sub-list and a code
    block. A paragraph cannot hold them, so the merged item is written as a list item."""
    text, _ = merged(case_files("nested-under-merged-paragraph"), tmp_path)
    item = find_item(parse_text(text, "out.md").body, "following kinds, in lowercase")
    assert item.text.startswith("**Type:**")
    assert item.kind == "bullet"
    assert [c.text for c in item.children] == ["`feat`: a new feature", "`fix`: a bug fix"]
    assert item.children[1].children[0].text == "fix(parser): accept CRLF line endings"


def test_a_paragraph_nested_under_a_label_is_written_as_an_item_of_its_own(tmp_path: Path) -> None:
    """A paragraph kept as the wording of items nested under a label would read back as more of
    the label's text; it is written as a nested list item."""
    text, _ = merged(case_files("paragraph-under-label"), tmp_path)
    label = find_item(parse_text(text, "out.md").body, "**Error handling:**")
    assert label.text == "**Error handling:**"
    (child,) = label.children
    assert child.text.startswith("Raise custom exceptions") and child.kind == "bullet"


def test_a_label_inside_a_workflow_step_is_not_aligned_by_its_role_alone(tmp_path: Path) -> None:
    """ "Before writing the plan, escalate to a human if:" (read as collaboration) sits three
    levels down in one input; the other input's one collaboration section is top-level. They
    share no word and no item, so the conditions stay under their own label."""
    text, _ = merged(case_files("escalation-label"), tmp_path, "--mixed")
    body = parse_text(text, "out.md").body
    (label,) = [s for s in body.walk() if s.title == "Before writing the plan, escalate to a human if"]
    assert label.items[0].text == "The change alters a public API contract"
    (integration,) = [s for s in body.walk() if s.title == "Integration with Other Agents"]
    assert all(i.text.startswith("**With ") for i in integration.items)


def test_a_line_one_file_writes_under_two_of_its_items_stays_under_each(tmp_path: Path) -> None:
    """Two stories of one plan each hold "Owner: backend team" and "Status: Ready": fields of
    each record, not one instruction said twice, so neither story loses them to the other (with
    a second input, the copies were folded and the second story was written bare)."""
    text, _ = merged(case_files("record-fields"), tmp_path)
    body = parse_text(text, "out.md").body
    for story in ("Export invoices as CSV", "Email the export link"):
        item = find_item(body, story)
        assert [c.text for c in item.children] == ["Owner: backend team", "Status: Ready"], text


def test_a_line_under_a_label_two_records_of_one_file_share_stays_under_each(tmp_path: Path) -> None:
    """Two services of one file each hold "**Build files**:" with the same two files under it: the
    labels read alike, but each is a field of its own service. With a second input, the copies
    under the second label were folded into the first and the second service's label was written
    bare (the copies were told apart by their nearest holder's words alone)."""
    text, _ = merged(case_files("record-subfields"), tmp_path)
    body = parse_text(text, "out.md").body
    for service in ("**Billing service**:", "**Search service**:"):
        (label,) = [c for c in find_item(body, service).children if c.text == "**Build files**:"]
        assert [c.text for c in label.children] == ["`Makefile`", "`Dockerfile`"], text


def test_description_keeps_its_text_after_the_first_example_and_every_example(tmp_path: Path) -> None:
    text, _ = merged(case_files("description-examples"), tmp_path)
    description = parse_text(text, "out.md").field("description")
    assert description is not None and isinstance(description.value, str)
    assert "Also use it proactively after any change to a public route." in description.value
    assert description.value.count("<example>") == 3  # one shared example, written once
    for request in ("add a pagination endpoint", "the orders API returns 500s", "document the billing API"):
        assert description.value.count(request) == 1


def test_another_inputs_description_that_says_more_is_kept(tmp_path: Path) -> None:
    """Descriptions say when to use the agent; one that names what the chosen one does not
    ("Designs the architecture of new features") is kept after it, and the report says so."""
    text, report = merged(case_files("escalation-label"), tmp_path, "--mixed")
    description = parse_text(text, "out.md").field("description")
    assert description is not None and isinstance(description.value, str)
    assert "Turns a refined story into an implementation plan." in description.value
    assert "Designs the architecture of new features." in description.value
    fields = report["fields"]
    assert isinstance(fields, list)
    (field,) = [f for f in fields if f["key"] == "description"]
    assert [s.get("kept") for s in field["sources"]] == [True, True]


def test_a_name_one_input_only_lists_is_not_what_the_inputs_are_about(tmp_path: Path) -> None:
    """A name most inputs mention is their subject, which a wording may leave out ("Queue slow
    work" loses nothing in Laravel agents). Mentioned in one input's list of databases only,
    Snowflake was read so, and the description of an agent for Snowflake optimization was folded
    into one that never names it."""
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(
        "---\nname: analyst\ndescription: Expert data analyst for dashboards, forecasting and statistical modeling."
        " Use PROACTIVELY for reporting tasks.\n---\n\nYou are a data analyst.\n\n## Stack\n\n"
        "- Databases: PostgreSQL, MySQL, Snowflake, DuckDB\n- Forecasting: ARIMA, Prophet\n",
        encoding="utf-8",
    )
    b.write_text(
        "---\nname: analyst\ndescription: An expert data analyst specializing in advanced SQL, Snowflake"
        " optimization, and actionable insights.\n---\n\nYou are a data analyst.\n\n## Stack\n\n"
        "- Snowflake Optimization: warehouse sizing, clustering keys, cost control\n",
        encoding="utf-8",
    )
    text, _ = merged([a, b], tmp_path)
    description = parse_text(text, "out.md").field("description")
    assert description is not None and isinstance(description.value, str)
    assert "Snowflake optimization" in description.value, text


def test_descriptions_that_say_different_things_are_both_kept(tmp_path: Path) -> None:
    """A description says when the agent is used: one for frontend pull requests and one for
    backend ones score high as words, but the merged agent must still be picked for both."""
    for first, second in (("frontend", "backend"), ("Django", "Rails")):
        files = []
        for n, word in enumerate((first, second)):
            path = tmp_path / f"{n}-{word}.md"
            path.write_text(
                f"---\nname: reviewer\ndescription: Reviews {word} pull requests for quality.\n---\n\n- Cite lines.\n",
                encoding="utf-8",
            )
            files.append(path)
        code, out, err = run_cli("consolidate", *map(str, files))
        assert code == 0, err
        description = parse_text(out, "out.md").field("description")
        assert description is not None and isinstance(description.value, str)
        assert f"Reviews {first} pull requests" in description.value, description.value
        assert f"Reviews {second} pull requests" in description.value, description.value


def test_globs_and_other_list_fields_merge_as_sets(tmp_path: Path) -> None:
    text, report = merged(case_files("list-fields"), tmp_path)
    fields = {f.key: f.value for f in parse_text(text, "out.mdc").fields}
    assert fields["globs"] == "src/**/*.ts, src/**/*.tsx, tests/**/*.ts, scripts/*.ts"
    assert fields["tags"] == ["typescript", "web", "testing"]
    assert fields["alwaysApply"] is False
    conflicts = report["conflicts"]
    assert isinstance(conflicts, list)
    assert {c["key"] for c in conflicts} == {"globs", "tags"}


def test_code_blocks_merge_only_as_exact_copies(tmp_path: Path) -> None:
    """Indentation and case are meaning in code: a ``return`` inside or after the loop, and
    ``SELECT`` against ``select``, are two blocks; the same block twice is one."""
    text, _ = merged(case_files("code-copies"), tmp_path)
    assert text.count("```python\ndef first_even") == 2
    assert "        return None" in text and "\n    return None" in text
    assert "SELECT id, email FROM users WHERE active" in text
    assert "select id, email from users where active" in text
    assert text.count("def send(to, *, subject, body): ...") == 1


def test_prompt_tags_stay_balanced(tmp_path: Path) -> None:
    """A tag that wraps a part of a prompt (``<output_format>``, which Markdown leaves a paragraph
    for its underscore) is markup: its closing tag never folds into the opening one, and each
    pair is written once, around what it wrapped."""
    text, report = merged(case_files("prompt-tags"), tmp_path)
    for tag in ("role", "knowledge_sources", "output_format"):
        assert text.count(f"<{tag}>") == 1 and text.count(f"</{tag}>") == 1, tag
        assert text.index(f"<{tag}>") < text.index(f"</{tag}>"), tag
    assert text.index("<output_format>") < text.index("Group findings by severity") < text.index("</output_format>")
    kinds = {item["text"]: item["kind"] for section in report["sections"] for item in section["items"]}
    assert kinds.get("</output_format>") == "html"


# --------------------------------------------------------------------------------------------
# The corpus: every group of same-role agents


ROLE_SUFFIXES = (".agent.md", ".chatmode.md", ".prompt.md", ".instructions.md", ".mdc", ".md")

GENERIC_WORDS = frozenset(
    {
        "expert",
        "architect",
        "engineer",
        "pro",
        "developer",
        "specialist",
        "agent",
        "app",
        "team",
        "builder",
        "generator",
        "manager",
        "stack",
        "project",
        "platform",
        "rules",
        "prompt",
        "file",
        "mode",
        "beast",
    }
)
"""Role words too broad to make a keyword group (every third file is an "expert")."""

KEYWORD_GROUP_SIZE = 6
"""Most files of a keyword group, taken round-robin over the collections."""


def role_of(path: Path) -> str:
    """The role part of a corpus file name: ``plugins__x__agents__code-reviewer.md`` is
    ``code-reviewer``, ``agents__CSharpExpert.agent.md`` is ``csharp-expert``."""
    name = path.name
    for suffix in ROLE_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = re.sub(r"-cursorrules.*$", "", name.split("__")[-1])
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "-", name).lower()


def corpus_groups() -> list[tuple[str, list[Path]]]:
    """Files sharing a role name (two or more), then files sharing a role word found in three
    files or more of two collections or more (up to KEYWORD_GROUP_SIZE, spread over the
    collections)."""
    files = corpus_files()
    by_role: dict[str, list[Path]] = defaultdict(list)
    by_word: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        role = role_of(path)
        by_role[role].append(path)
        for word in sorted(set(re.split(r"[-_ ]+", role))):
            if len(word) > 2 and word not in GENERIC_WORDS:
                by_word[word].append(path)
    groups = [(role, sorted(paths)) for role, paths in sorted(by_role.items()) if len(paths) >= 2]
    for word, paths in sorted(by_word.items()):
        collections: dict[str, list[Path]] = defaultdict(list)
        for path in sorted(paths):
            collections[path.parent.name].append(path)
        if len(paths) < 3 or len(collections) < 2:
            continue
        picked: list[Path] = []
        while len(picked) < min(KEYWORD_GROUP_SIZE, len(paths)):
            for name in sorted(collections):
                if collections[name] and len(picked) < KEYWORD_GROUP_SIZE:
                    picked.append(collections[name].pop(0))
        groups.append((f"word-{word}", sorted(picked)))
    return groups


GROUPS = corpus_groups()


@pytest.mark.slow
@pytest.mark.parametrize("group", corpus_params(GROUPS), ids=lambda g: g[0] if g else "no-shared-corpus")
def test_corpus_group_loses_nothing(group: tuple[str, list[Path]], tmp_path: Path) -> None:
    """Every kind of loss but ``headings``, which is a judgement on titles: a heading aligned by
    its role alone ("Report Format" with another input's "Output") shares no word with the title
    it is written under, and the checker, reading no roles, cannot tell that from an unrelated
    placement. The hand-written groups assert it."""
    _, paths = group
    report = consolidate_and_check(paths, tmp_path)
    report.findings.pop("headings", None)
    assert_nothing_lost(report)


def test_mcp_servers_and_other_mappings_merge_entry_by_entry(tmp_path: Path) -> None:
    """Two Copilot agents with an MCP server each: the merged agent kept one input's
    ``mcp-servers`` and dropped the other's server, whose tools that input's instructions name.
    Every input's servers are kept now, a server two inputs define differently is written as most
    of them define it (whole: its ``args`` are never a union), a list in the mapping (the hooks of
    one event) is the union, and the warning names servers rather than dumping JSON."""
    docs = "  docs:\n    type: http\n    url: https://docs.example.com/mcp\n"
    shell = "  shell:\n    type: local\n    command: docker\n    args: [run, shell-image]\n"
    other_shell = "  shell:\n    type: local\n    command: docker\n    args: [run, --rm, other-image]\n"
    db = "  db:\n    type: local\n    command: db-mcp\n"
    head = "---\nname: helper\ndescription: Answers questions about the build.\nmcp-servers:\n"
    files = {
        "a.agent.md": f"{head}{docs}{shell}hooks:\n  Stop: [{{command: a}}]\n---\n- Look up the docs first\n",
        "b.agent.md": f"{head}{shell}{db}hooks:\n  Stop: [{{command: b}}]\n---\n- Run the build in the shell\n",
        "c.agent.md": f"{head}{other_shell}---\n- Report what failed\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out, report = tmp_path / "out.agent.md", tmp_path / "out.json"
    run = run_cli("consolidate", *(str(tmp_path / name) for name in files), "-o", str(out), "--report", str(report))
    assert run.exit_code == 0, run.output
    fields = {f.key: f.value for f in parse_text(out.read_text(encoding="utf-8"), "out.agent.md").fields}
    assert fields["mcp-servers"] == {
        "docs": {"type": "http", "url": "https://docs.example.com/mcp"},
        "shell": {"type": "local", "command": "docker", "args": ["run", "shell-image"]},
        "db": {"type": "local", "command": "db-mcp"},
    }
    assert fields["hooks"] == {"Stop": [{"command": "a"}, {"command": "b"}]}
    conflicts = {c["key"]: c for c in json.loads(report.read_text(encoding="utf-8"))["conflicts"]}
    assert "the inputs give shell different values" in conflicts["mcp-servers"]["why"]
    a, _, c = (str(tmp_path / name) for name in files)
    assert f"the merged agent has mcp-servers db that {a} did not" in run.stderr
    assert f"the merged agent has mcp-servers docs, db that {c} did not" in run.stderr
    assert f"mcp-servers shell in the merged agent is not as {c} wrote it" in run.stderr
    assert "{" not in "".join(line for line in run.stderr.splitlines() if "mcp-servers" in line)
