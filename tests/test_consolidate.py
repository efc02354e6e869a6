"""agentmerge consolidate: provenance, canonical output, frontmatter policy and the command line."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, SEEDS, input_units, report_units, run_cli
from conftest import model_shape as shape

from agentmerge import consolidate
from agentmerge.consolidate import Consolidation
from agentmerge.diff import diff_agents
from agentmerge.model import Agent
from agentmerge.parse import parse_text, read_agent
from agentmerge.render import consolidation_to_dict
from agentmerge.writer import render_agent, render_consolidation

MERGED = FIXTURES / "backend-engineer.merged.md"


def seeds() -> list[Agent]:
    return [read_agent(p) for p in SEEDS]


def merged_text(agents: list[Agent], **options: Any) -> str:
    return render_consolidation(consolidate(agents, **options))


def merged_bullets(tmp_path: Path, bullets: list[str], *options: str) -> list[str]:
    """Consolidate one-bullet agents (one per bullet, in order, ``0.md``, ``1.md``, ...) through the
    CLI with ``options`` (``{0}`` stands for the first file's path) and return the merged body's
    lines."""
    paths = []
    for n, bullet in enumerate(bullets):
        path = tmp_path / f"{n}.md"
        path.write_text(f"---\nname: worker\ndescription: Work.\n---\n\n- {bullet}\n", encoding="utf-8")
        paths.append(str(path))
    code, out, err = run_cli("consolidate", *(option.format(paths[0]) for option in options), *paths)
    assert code == 0, err
    return out.split("---\n", 2)[2].strip().splitlines()


def test_merged_frontmatter_keys_after_name_and_description_keep_first_seen_order() -> None:
    """Keys come as name, description, then in the order the inputs first show them."""
    a = parse_text("---\nmodel: x\nname: n\ncolor: red\n---\nBody.\n", "a.md")
    b = parse_text("---\ndescription: d\ntools: Read\nname: n\n---\nBody.\n", "b.md")
    keys = [f.key for f in consolidate([a, b]).agent.fields]
    assert keys == ["name", "description", "model", "color", "tools"]


# --------------------------------------------------------------------------------------------
# Provenance


def test_every_seed_item_and_heading_is_in_exactly_one_sources_list() -> None:
    agents = seeds()
    report = consolidation_to_dict(consolidate(agents))
    items, headings = report_units(report)
    want_items: set[tuple[str, int]] = set()
    want_headings: set[tuple[str, int]] = set()
    for agent in agents:
        i, h = input_units(agent)
        want_items |= i
        want_headings |= h
    assert sorted(items) == sorted(want_items)
    assert sorted(headings) == sorted(want_headings)


def test_sources_appear_on_merged_units_only() -> None:
    """`sources` sits on fields, sections and items (nested items too), nowhere else in the report."""
    report = consolidation_to_dict(consolidate(seeds()))
    units = ("fields", "sections", "items", "children")
    found: list[str] = []

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            if "sources" in node:
                found.append(key)
            for child_key, child in node.items():
                if child_key != "sources":
                    walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)

    walk(report, "")
    assert found
    assert set(found) <= set(units)


def test_kept_wording_is_listed_first_with_similarity_one() -> None:
    report = consolidation_to_dict(consolidate(seeds()))
    for section in report["sections"]:
        for item in section["items"]:
            assert item["sources"][0]["similarity"] == 1.0
            assert item["support"] == len({s["path"] for s in item["sources"]})


def test_json_agent_field_is_exactly_the_markdown_output() -> None:
    result = consolidate(seeds())
    assert consolidation_to_dict(result)["agent"] == render_consolidation(result)
    assert render_consolidation(result) == render_agent(result.agent)


# --------------------------------------------------------------------------------------------
# Canonical output


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_argument_order_does_not_change_a_byte(order: tuple[int, ...]) -> None:
    agents = seeds()
    assert merged_text([agents[i] for i in order]) == merged_text(agents)


def test_consolidating_the_output_again_changes_nothing() -> None:
    first = merged_text(seeds())
    again = merged_text([parse_text(first, "merged.md")])
    assert again == first


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_one_input_comes_back_as_the_same_model(path: Path) -> None:
    agent = read_agent(path)
    result = consolidate([agent])
    assert shape(result.agent) == shape(agent)
    assert shape(parse_text(render_consolidation(result), "again.md")) == shape(agent)


def test_merged_model_reads_back_from_its_own_file() -> None:
    result = consolidate(seeds())
    assert shape(parse_text(render_consolidation(result), "merged.md")) == shape(result.agent)


def test_annotations_do_not_change_the_model() -> None:
    result = consolidate(seeds())
    annotated = render_consolidation(result, annotate=True)
    assert "<!-- " in annotated and ":17" in annotated
    assert shape(parse_text(annotated, "annotated.md")) == shape(result.agent)


def test_bundled_merged_seeds_are_what_the_tool_writes(golden: Callable[..., None]) -> None:
    """fixtures/backend-engineer.merged.md is the seeds' consolidation (a golden file)."""
    golden(MERGED, merged_text(seeds()))


def test_merged_frontmatter_is_strict_yaml_with_name_and_description_first() -> None:
    import yaml

    text = merged_text(seeds())
    front = text.split("---\n")[1]
    data = yaml.safe_load(front)
    assert list(data)[:2] == ["name", "description"]
    assert data["description"].count("<example>") == 3


# --------------------------------------------------------------------------------------------
# Matching rules


def agent(text: str, path: str) -> Agent:
    return parse_text(text, path)


def clusters(result: Consolidation) -> list[set[str]]:
    """The texts of the sources of each merged item."""
    out = []
    for section in consolidation_to_dict(result)["sections"]:
        stack = [section]
        while stack:
            current = stack.pop()
            out.extend({s["text"] for s in item["sources"]} for item in current["items"])
            stack.extend(current["sections"])
    return out


def section_titles(result: Consolidation) -> list[str]:
    """The titles of the merged agent's sections, in order (the untitled top aside)."""
    return [section["title"] for section in consolidation_to_dict(result)["sections"] if section["title"]]


def test_rewordings_under_matching_sections_merge() -> None:
    a = agent("## Responsibilities\n\n- Design and optimize database schemas\n- Write docs\n", "a.md")
    b = agent("## Core Responsibilities\n\n- Database schema design and optimization\n", "b.md")
    found = clusters(consolidate([a, b]))
    assert {"Design and optimize database schemas", "Database schema design and optimization"} in found


def test_a_renamed_section_that_kept_its_bullets_aligns_by_them() -> None:
    """Sections whose titles share no word align when one's items have copies in the other, here
    near-verbatim ones (the anchors, copies only); the same sections with the items reworded stay
    two sections."""
    rules = "- Return errors as a JSON object with a code and a message\n- Version every public endpoint under /v1\n"
    a = agent(f"## Rules\n\n{rules}- Paginate list endpoints with opaque cursors\n", "a.md")
    copies = rules.replace("a code and", "a code, and").replace("under /v1", "under /v1.")
    b = agent(f"## House Style\n\n{copies}- Log every request with its trace id\n", "b.md")
    assert section_titles(consolidate([a, b])) == ["Rules"]
    reworded = rules.replace("Return errors as a JSON object", "Send failures back as structured JSON").replace(
        "Version every public endpoint under", "Prefix the routes of public endpoints with"
    )
    c = agent(f"## House Style\n\n{reworded}- Log every request with its trace id\n", "c.md")
    assert section_titles(consolidate([a, c])) == ["Rules", "House Style"]


def test_opposite_polarity_never_merges() -> None:
    a = agent("## Rules\n\n- Always use mocks in integration tests\n", "a.md")
    b = agent("## Rules\n\n- Never use mocks in integration tests\n", "b.md")
    assert all(len(c) == 1 for c in clusters(consolidate([a, b])))


def test_definition_of_done_checkbox_stays_apart_from_the_practice() -> None:
    a = agent("## Definition of Done\n\n- [ ] Rate limiting configured on public endpoints\n", "a.md")
    b = agent("## Guidelines\n\n- Configure rate limiting on public endpoints\n", "b.md")
    assert all(len(c) == 1 for c in clusters(consolidate([a, b])))


def test_pitfall_stays_apart_from_the_guideline_it_mirrors() -> None:
    a = agent("## Common Pitfalls\n\n- Hardcoding credentials in configuration files\n", "a.md")
    b = agent("## Guidelines\n\n- Keep credentials out of configuration files\n", "b.md")
    assert all(len(c) == 1 for c in clusters(consolidate([a, b])))


def test_two_items_of_one_input_never_share_a_cluster_unless_near_verbatim() -> None:
    a = agent("## Rules\n\n- Write unit tests for services\n- Write unit tests for services.\n", "a.md")
    b = agent("## Rules\n\n- Write unit tests for the services\n- Write integration tests for services\n", "b.md")
    for cluster in consolidate([a, b]).body.sections[0].items:
        paths = [s.path for s in cluster.sources]
        repeats = [s.text for s in cluster.sources if s.path == "a.md"]
        assert paths.count("b.md") <= 1
        if len(repeats) > 1:
            assert {t.rstrip(".") for t in repeats} == {"Write unit tests for services"}


def all_clusters(result: Consolidation) -> list[set[str]]:
    """The texts of the sources of each merged item, nested items included."""
    out = []
    stack: list[dict[str, Any]] = list(consolidation_to_dict(result)["sections"])
    while stack:
        current = stack.pop()
        for item in current.get("items", []) + current.get("children", []):
            out.append({s["text"] for s in item["sources"]})
            stack.append(item)
        stack.extend(current.get("sections", []))
    return out


def test_item_nested_under_a_label_merges_with_the_same_item_at_top_level() -> None:
    a = agent(
        "## Skills\n\n- **Testing:**\n  - Write unit tests with pytest fixtures for every service\n"
        "- Document public interfaces\n",
        "a.md",
    )
    b = agent("## Skills\n\n- Write unit tests with pytest fixtures for each service\n", "b.md")
    result = consolidate([a, b])
    assert {
        "Write unit tests with pytest fixtures for every service",
        "Write unit tests with pytest fixtures for each service",
    } in all_clusters(result)
    text = render_agent(result.agent)
    # The label keeps what it held: the merged item stays nested under it.
    assert "- **Testing:**\n  - Write unit tests with pytest fixtures for " in text
    assert render_agent(consolidate([parse_text(text, "out.md")]).agent) == text
    assert render_agent(consolidate([b, a]).agent) == text


def test_list_items_that_only_open_a_quote_or_code_block_keep_their_own_children() -> None:
    # ``- >5 duplicates`` opens a quote: the item has no words of its own. Two such items are
    # not copies of each other; bagging them once moved one's quote under the other's section.
    a = agent(
        "## Duplicates\n\n- 1-2 duplicate links: -5 points\n- >5 duplicates: -25 points\n\n"
        "## Missing files\n\n- 1 missing file: -5 points\n- >10 missing files: -25 points\n",
        "a.md",
    )
    b = agent("## Duplicates\n\n- 1-2 duplicate links: -5 points\n- ```\n  dedupe --all\n  ```\n", "b.md")
    for inputs in ([a, b], [a]):
        sections = consolidate(inputs).agent.body.sections
        quotes = {s.title: [c.text for item in s.items for c in item.children] for s in sections}
        assert quotes["Missing files"] == ["10 missing files: -25 points"]
        assert quotes["Duplicates"][0] == "5 duplicates: -25 points"
        assert len(quotes["Duplicates"]) == len(inputs)


def test_a_merged_step_stays_in_the_list_its_kept_wording_was_written_in() -> None:
    # One member nested, one in the section: the item goes where the kept wording stood, not to
    # the section, where the step read as one of another list.
    a = agent(
        "## Planning\n\n- Keep every plan apart from the others\n"
        "  - Every new task gets a fresh plan ID and a plan file of its own\n"
        "  - Resume only with an explicit plan ID\n- Write the plan file as the format guide says\n",
        "a.md",
    )
    b = agent(
        "## Planning\n\n- Check the plan file for circular dependencies\n- Every new task gets a fresh plan ID\n",
        "b.md",
    )
    for inputs in ([a, b], [b, a]):
        text = render_agent(consolidate(inputs).agent)
        assert (
            "- Keep every plan apart from the others\n"
            "  - Every new task gets a fresh plan ID and a plan file of its own\n"
            "  - Resume only with an explicit plan ID\n"
        ) in text, text
        assert text.count("fresh plan ID") == 1


def test_a_merged_step_goes_where_its_kept_wording_stood_against_the_majority() -> None:
    # Two inputs list "Capture error messages" at the top, one (the most specific wording) in its
    # bug report's fields: the merged item stays among those fields, in that input's order.
    a = agent(
        "## Triage\n\n- Keep each bug report complete\n  - Steps to reproduce\n"
        "  - Error messages and stack traces, verbatim\n  - Environment details\n- Reproduce first\n",
        "a.md",
    )
    b = agent("## Triage\n\n- Error messages and stack traces\n- Bisect the history\n", "b.md")
    c = agent("## Triage\n\n- Error messages and stack traces\n- Read the logs\n", "c.md")
    text = render_agent(consolidate([a, b, c]).agent)
    assert (
        "  - Steps to reproduce\n  - Error messages and stack traces, verbatim\n  - Environment details\n"
    ) in text, text
    assert text.count("Error messages and stack traces") == 1, text


def test_an_item_with_no_words_of_its_own_goes_with_the_step_it_holds() -> None:
    # ``- 3. Write ...`` is a bullet that only opens a numbered step: the step is its content.
    # Matched apart from it, the bullet stood empty (``-``) once its step merged elsewhere.
    a = agent("## Rules\n\n- Write unit tests for services\n- Monitor structured logging\n", "a.md")
    b = agent("## Rules\n\n- Document the API\n- 3. Write unit tests for services\n", "b.md")
    for inputs in ([a, b], [b, a]):
        result = consolidate(inputs)
        lines = render_agent(result.agent).splitlines()
        assert lines.count("- Write unit tests for services") == 1
        assert "-" not in lines
        merged = next(m for m in result.body.sections[0].items if m.item.text == "Write unit tests for services")
        assert sorted((s.path, s.text) for s in merged.sources) == [
            ("a.md", "Write unit tests for services"),
            ("b.md", ""),
            ("b.md", "Write unit tests for services"),
        ]


def test_an_item_with_no_words_of_its_own_does_not_scope_what_it_holds() -> None:
    # Each input says "Write unit tests for services" once, b's under a checklist item that a's
    # intro restates. The bullet that only opens a's step scopes nothing, so the step is free to
    # merge with b's: it once read as a parent saying something else, and the line came out twice.
    a = agent(
        "Implement input validation on endpoints.\n\n## Responsibilities\n\n"
        "- Write unit tests for services\n- 3. Write unit tests for services\n",
        "a.md",
    )
    b = agent(
        "Intro.\n\n## Responsibilities\n\n- [ ] Implement input validation on endpoints\n"
        "  - Write unit tests for services\n",
        "b.md",
    )
    for inputs in ([a, b], [b, a]):
        text = render_agent(consolidate(inputs).agent)
        assert text.count("Write unit tests for services") == 1, text
        assert text.count("## Responsibilities") == 1, text


def test_a_step_alone_under_an_item_with_no_words_is_written_as_it_was() -> None:
    a = agent("## Rules\n\n- Write unit tests for services\n- > Quote the error message\n", "a.md")
    b = agent("## Rules\n\n- Write unit tests for services\n- 3. Monitor structured logging\n", "b.md")
    text = render_agent(consolidate([a, b]).agent)
    assert "- > Quote the error message\n" in text
    # A step that opens its item has no text before it to interrupt: it keeps its number.
    assert "- 3. Monitor structured logging\n" in text
    assert render_agent(consolidate([b]).agent) == render_agent(b)


def test_items_that_only_open_a_quote_are_not_copies_of_each_other_for_the_score() -> None:
    # Items without words of their own are scored by their children's words; that they share the
    # empty text once made the pair a verbatim copy (score 1), so the quotes of three sections
    # that share "points" and "grade ceiling" were poured into the first section.
    a = agent(
        "## Stale Links\n\n- 1-4 stale links on a page: -3 points\n"
        "- >6 stale links: -20 points (E grade ceiling)\n\n"
        "## Samples\n\n- 1-2 absent code samples: -3 points\n"
        "- >8 absent code samples: -20 points (E grade ceiling)\n\n"
        "## Ceilings\n\n- >6 stale links on any page: **B ceiling**\n"
        "- Stub pages marked finished: **C ceiling**\n",
        "a.md",
    )
    b = agent(
        "## Grading\n\n- Deduct points for stale links\n- Deduct points for absent code samples\n"
        "- Cap the grade when stub pages are marked finished\n",
        "b.md",
    )
    sections = consolidate([a, b]).agent.body.sections
    quotes = {s.title: [c.text for item in s.items for c in item.children] for s in sections}
    assert quotes["Stale Links"] == ["6 stale links: -20 points (E grade ceiling)"]
    assert quotes["Samples"] == ["8 absent code samples: -20 points (E grade ceiling)"]
    assert quotes["Ceilings"] == ["6 stale links on any page: **B ceiling**"]


def test_a_heading_whose_content_all_went_elsewhere_is_not_left_empty() -> None:
    # "Remote State" holds only a label over two bullets; the two other inputs have the bullets
    # directly under "State Management", where they go. The heading had content in its input,
    # so it folds into the section its content went to instead of standing empty.
    a = agent(
        "## State Management\n\n### Remote State\n\n**Secure state patterns:**\n\n"
        "- S3 with DynamoDB locking for AWS state\n- Azure Storage with blob leases for Azure state\n\n"
        "### State Operations\n\n- Inspect resources with terraform state list\n",
        "a.md",
    )
    b = agent(
        "## State Management\n\n- S3 with DynamoDB locking for AWS state\n"
        "- Azure Storage with blob leases for Azure state\n- Back up the state before every migration\n",
        "b.md",
    )
    c = agent(
        "## State Management\n\n- S3 with DynamoDB locking for AWS state\n"
        "- Azure Storage with blob leases for Azure state\n- Keep state files out of git\n",
        "c.md",
    )
    result = consolidate([a, b, c])
    state = result.body.sections[0]
    assert [s.section.title for s in state.sections] == ["State Operations"]
    assert {(s.path, s.title) for s in state.sources} >= {("a.md", "Remote State"), ("a.md", "Secure state patterns")}
    # A heading that was empty in its input stays as the author left it.
    empty = agent("## Plan\n\n### Later\n\n### Now\n\n- Ship the fix\n", "d.md")
    kept = consolidate([empty, agent("## Plan\n\n- Ship the fix\n", "e.md")])
    assert "### Later" in render_agent(kept.agent)


def test_items_nested_under_differently_worded_labels_merge() -> None:
    a = agent("## Practices\n\n- **Quality:**\n  - Profile hot paths with cProfile before optimizing code\n", "a.md")
    b = agent("## Practices\n\n- **Speed:**\n  - Profile the hot paths with cProfile before optimizing code\n", "b.md")
    result = consolidate([a, b])
    found = all_clusters(result)
    assert {
        "Profile hot paths with cProfile before optimizing code",
        "Profile the hot paths with cProfile before optimizing code",
    } in found
    assert {"**Quality:**"} in found and {"**Speed:**"} in found
    assert sum(len(c) for c in found) == 4


def test_items_nested_in_parents_that_say_different_things_stay_apart() -> None:
    """A parent scopes what its items say: the same words under "Frontend changes" and under
    "Backend changes" are two instructions (the parents pick two alternatives of one choice), and
    each stays under its own parent, even as exact copies."""
    a = agent(
        "## Checks\n\n- **Frontend changes**:\n  - Run the linter on changed files\n"
        "  - Check bundle size against the budget\n",
        "a.md",
    )
    b = agent(
        "## Checks\n\n- **Backend changes**:\n  - Run the linter on changed files\n"
        "  - Check query plans for full scans\n",
        "b.md",
    )
    result = consolidate([a, b])
    found = all_clusters(result)
    assert {"Run the linter on changed files"} in found
    assert sum(1 for c in found if c == {"Run the linter on changed files"}) == 2
    text = render_agent(result.agent)
    frontend, backend = text.index("**Frontend changes**"), text.index("**Backend changes**")
    linter = [n for n in range(len(text)) if text.startswith("Run the linter", n)]
    assert len(linter) == 2 and linter[0] < backend < linter[1] and frontend < linter[0]


def test_sections_whose_titles_pick_two_alternatives_neither_align_nor_share_items() -> None:
    """Headings scope their items as parent items do: "Frontend changes" and "Backend changes"
    are two subjects, so their sections stay two and each keeps its own copy of a shared line."""
    a = agent("## Frontend changes\n\n- Run the linter on changed files\n- Check bundle size\n", "a.md")
    b = agent("## Backend changes\n\n- Run the linter on changed files\n- Check query plans\n", "b.md")
    text = render_agent(consolidate([a, b]).agent)
    frontend, backend = text.index("## Frontend changes"), text.index("## Backend changes")
    assert text.count("Run the linter on changed files") == 2
    assert frontend < text.index("Check bundle size") < backend < text.index("Check query plans")
    # Titles that pick no choice, or the same one, align as before.
    c = agent("## Frontend review\n\n- Run the linter on changed files\n", "c.md")
    text = render_agent(consolidate([a, c]).agent)
    assert text.count("Run the linter on changed files") == 1


def test_a_document_title_is_written_when_half_the_inputs_open_with_one() -> None:
    """A title one input gives of several names that input, not the merged agent: of the seeds only
    000 opens with "# Backend Engineer Agent", so the merged agent has no title, the title is still
    the root's source, and the sections keep the level they had under it. Two inputs of two with
    titles keep one; one of two does too (half)."""
    result = consolidate(seeds())
    text = render_agent(result.agent)
    assert not [line for line in text.splitlines() if line.startswith("# ")]
    assert "\n## Responsibilities\n" in text
    root = consolidation_to_dict(result)["sections"][0]
    assert root["document_title"] is None
    assert ("000-headings-checklists.md", "Backend Engineer Agent") in [
        (Path(s["path"]).name, s["title"]) for s in root["sources"]
    ]
    titled = "# {t}\n\n## Steps\n\n- Run the tests before every commit.\n"
    plain = "## Steps\n\n- Run the tests before every commit.\n"
    both = consolidate(
        [parse_text(titled.format(t="Test Runner"), "a.md"), parse_text(titled.format(t="Tester"), "b.md")]
    )
    assert render_agent(both.agent).startswith("# Test Runner\n")
    half = consolidate([parse_text(titled.format(t="Tester"), "a.md"), parse_text(plain, "b.md")])
    assert render_agent(half.agent).startswith("# Tester\n")
    # Two titles of four inputs that differ: either names its own input, not the merged agent.
    mixed = [titled.format(t="Debugger"), titled.format(t="Debug Mode Instructions"), plain, plain]
    split = consolidate([parse_text(text, f"{n}.md") for n, text in enumerate(mixed)])
    assert render_agent(split.agent).startswith("## Steps\n")
    shared = [titled.format(t="Debugger"), titled.format(t="Debugger"), plain, plain]
    assert render_agent(consolidate([parse_text(t, f"{n}.md") for n, t in enumerate(shared)]).agent).startswith(
        "# Debugger\n"
    )


def test_threshold_one_merges_only_exact_copies() -> None:
    """The threshold is the pair score (a probability): at 1 only copies (formatting aside) merge."""
    a = agent("## Rules\n\n- Design and optimize database schemas\n- Write **docs**\n", "a.md")
    b = agent("## Rules\n\n- Design database schemas\n- Write docs\n", "b.md")
    found = clusters(consolidate([a, b], threshold=1.0))
    assert {"Write **docs**", "Write docs"} in found
    assert {"Design and optimize database schemas"} in found and {"Design database schemas"} in found


def test_prefer_keeps_that_inputs_wording() -> None:
    a = agent("## Rules\n\n- Design and optimize database schemas\n", "a.md")
    b = agent("## Rules\n\n- Database schema design and optimization, with indexes\n", "b.md")
    kept = consolidate([a, b], prefer="a.md").body.sections[0].items[0]
    assert kept.item.text == "Design and optimize database schemas"
    kept = consolidate([a, b], prefer="b.md").body.sections[0].items[0]
    assert kept.item.text.startswith("Database schema design")


# --------------------------------------------------------------------------------------------
# Frontmatter policy


def fm(text: str, path: str) -> Agent:
    return parse_text(f"---\n{text}---\n\nBody text for {path}.\n", path)


def test_tools_merge_as_a_set_and_widening_is_reported() -> None:
    a = fm("name: x\ntools: Read, Grep\n", "a.md")
    b = fm("name: x\ntools: Read, Bash\n", "b.md")
    result = consolidate([a, b])
    tools = next(f for f in result.fields if f.field.key == "tools")
    assert tools.field.value == "Read, Grep, Bash"
    assert tools.conflict
    conflict = next(c for c in result.conflicts if c.key == "tools")
    assert "widens a.md (adds Bash)" in conflict.why and "widens b.md (adds Grep)" in conflict.why


def test_missing_tools_key_is_reported_as_narrowed() -> None:
    a = fm("name: x\ntools: Read\n", "a.md")
    b = fm("name: x\n", "b.md")
    conflict = next(c for c in consolidate([a, b]).conflicts if c.key == "tools")
    assert "narrows b.md" in conflict.why


def test_disagreeing_model_takes_the_majority_and_is_reported() -> None:
    agents = [fm("name: x\nmodel: inherit\n", "a.md"), fm("name: x\nmodel: sonnet\n", "b.md")]
    agents.append(fm("name: x\nmodel: inherit\n", "c.md"))
    result = consolidate(agents)
    assert result.agent.field("model") is not None
    assert result.agent.field("model").value == "inherit"  # type: ignore[union-attr]
    conflict = next(c for c in result.conflicts if c.key == "model")
    assert dict(conflict.values) == {"inherit": ("a.md", "c.md"), "sonnet": ("b.md",)}
    assert conflict.chosen == "inherit" and "2 of 3" in conflict.why


def test_tied_model_goes_to_the_first_input_by_path_or_to_prefer() -> None:
    agents = [fm("name: x\nmodel: sonnet\n", "b.md"), fm("name: x\nmodel: opus\n", "a.md")]
    assert consolidate(agents).agent.field("model").value == "opus"  # type: ignore[union-attr]
    assert consolidate(agents, prefer="b.md").agent.field("model").value == "sonnet"  # type: ignore[union-attr]


def test_description_keeps_every_distinct_example() -> None:
    one = "Use for APIs.\\n\\nExamples:\\n<example>\\nuser: add an endpoint\\n</example>"
    two = "Use for backend APIs and databases.\\n\\n<example>\\nuser: speed up a query\\n</example>"
    a = fm(f'name: x\ndescription: "{one}"\n', "a.md")
    b = fm(f'name: x\ndescription: "{two}"\n', "b.md")
    value = consolidate([a, b]).agent.field("description").value  # type: ignore[union-attr]
    assert isinstance(value, str)
    assert value.startswith("Use for backend APIs and databases.")
    assert "add an endpoint" in value and "speed up a query" in value
    assert value.count("<example>") == 2


# --------------------------------------------------------------------------------------------
# Command line


def test_the_summary_says_one_of_a_kind_in_the_singular(tmp_path: Path) -> None:
    out = tmp_path / "merged.md"
    result = run_cli("consolidate", str(SEEDS[0]), "-o", str(out))
    assert result.exit_code == 0, result.output
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith(f"agentmerge: consolidated 1 input into {out}: ")
    assert summary.endswith(", 0 merged clusters, 0 frontmatter conflicts settled")


def test_the_summary_writes_counts_past_a_thousand_with_separators(tmp_path: Path) -> None:
    """Every count the summary says is written as `counted` writes it ("1,203 items"), the
    items out too."""
    letters = "bcdfghjklmnpqrstvwz"
    words = [a + b + c + "o" for a in letters for b in "aeiu" for c in letters][:4_400]
    items = "".join(f"- {' '.join(words[4 * n : 4 * n + 4])}.\n" for n in range(1_100))
    source = tmp_path / "many.md"
    source.write_text(f"---\nname: many\ndescription: Many rules.\n---\n\n{items}", encoding="utf-8")
    result = run_cli("consolidate", str(source), "-o", str(tmp_path / "merged.md"))
    assert result.exit_code == 0, result.output
    summary = result.stderr.splitlines()[-1]
    assert "1,102 items in (frontmatter fields included), 1,102 out, 0 merged clusters" in summary


def test_cli_writes_atomically_with_a_summary_and_report(tmp_path: Path) -> None:
    out = tmp_path / "merged.md"
    report = tmp_path / "merged.json"
    result = run_cli("consolidate", *map(str, SEEDS), "-o", str(out), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "4 inputs" in result.stderr and "merged clusters" in result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["agent"] == out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["merged.json", "merged.md"] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["merged.json", "merged.md"]


def test_cli_refuses_to_overwrite_an_input_without_force(tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    b = tmp_path / "b.md"
    a.write_text("## Rules\n\n- Write tests\n", encoding="utf-8")
    b.write_text("## Rules\n\n- Write docs\n", encoding="utf-8")
    refused = run_cli("consolidate", str(a), str(b), "-o", str(a))
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "is one of the inputs" in refused.stderr
    assert a.read_text(encoding="utf-8") == "## Rules\n\n- Write tests\n"
    forced = run_cli("consolidate", str(a), str(b), "-o", str(a), "--force")
    assert forced.exit_code == 0
    assert "Write docs" in a.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [["--threshold", "1.5"], ["--prefer", "nowhere.md"], ["missing.md"]],
    ids=["threshold-out-of-range", "prefer-not-an-input", "missing-input"],
)
def test_cli_bad_requests_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("- Write tests\n", encoding="utf-8")
    result = run_cli("consolidate", str(a), *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_json_format_prints_the_report() -> None:
    result = run_cli("consolidate", "--format", "json", *map(str, SEEDS))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["inputs"] == [{"path": str(p)} for p in sorted(SEEDS, key=str)]
    assert data["sections"][0]["title"] in (None, "Backend Engineer Agent")


def test_cli_reads_one_input_from_stdin(tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("## Rules\n\n- Write unit tests for services\n", encoding="utf-8")
    # The two inputs share no instruction, so they do not look like one role: --mixed says it is meant.
    result = run_cli(
        "consolidate", str(a), "-", "--format", "json", "--mixed", stdin="## Rules\n\n- Document every endpoint\n"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {p["path"] for p in data["inputs"]} == {str(a), "<stdin>"}
    assert "Document every endpoint" in data["agent"] and "Write unit tests" in data["agent"]


def test_cli_annotate_writes_provenance_the_parser_ignores(tmp_path: Path) -> None:
    out = tmp_path / "merged.md"
    result = run_cli("consolidate", *map(str, SEEDS), "--annotate", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "<!-- 004-escaped-examples.md:10, 000-headings-checklists.md:17, 002-plain-labels.md:10, " in text
    assert shape(parse_text(text, "a.md")) == shape(parse_text(merged_text(seeds()), "b.md"))


def test_cli_refuses_a_report_onto_an_input(tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("- Write tests\n", encoding="utf-8")
    result = run_cli("consolidate", str(a), "--report", str(a))
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert a.read_text(encoding="utf-8") == "- Write tests\n"


def test_cli_prefer_accepts_another_spelling_of_the_same_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text("## Rules\n\n- Design and optimize database schemas\n", encoding="utf-8")
    Path("b.md").write_text("## Rules\n\n- Database schema design and optimization, with indexes\n", encoding="utf-8")
    result = run_cli("consolidate", "a.md", "b.md", "--prefer", "./a.md")
    assert result.exit_code == 0, result.output
    assert "- Design and optimize database schemas" in result.stdout
    assert "with indexes" not in result.stdout


def test_cli_unwritable_output_is_one_line_exit_2(tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("- Write tests\n", encoding="utf-8")
    result = run_cli("consolidate", str(a), "-o", str(tmp_path / "missing" / "out.md"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot be written" in result.stderr


def test_default_threshold_is_the_shipped_models(tmp_path: Path) -> None:
    """Without --threshold the report states the threshold the shipped pair model was fitted with."""
    from agentmerge.scorer import default_model

    a = tmp_path / "a.md"
    a.write_text("- Write tests\n", encoding="utf-8")
    result = run_cli("consolidate", "--format", "json", str(a))
    assert json.loads(result.stdout)["threshold"] == default_model().threshold
    assert "[default: the shipped model's" in " ".join(run_cli("consolidate", "--help").output.split())


def test_section_order_keeps_every_order_the_inputs_agree_on() -> None:
    a = agent("## Setup\n\n- Install the toolchain\n\n## Testing\n\n- Run pytest\n\n## Release\n\n- Tag it\n", "a.md")
    b = agent("## Setup\n\n- Install the toolchain\n\n## Review\n\n- Ask a peer\n\n## Release\n\n- Tag it\n", "b.md")
    c = agent("## Review\n\n- Ask a peer\n\n## Testing\n\n- Run pytest\n", "c.md")
    titles = [s.section.title for s in consolidate([a, b, c]).body.sections]
    assert titles.index("Setup") < titles.index("Testing") < titles.index("Release")
    assert titles.index("Setup") < titles.index("Review") < titles.index("Release")
    assert titles.index("Review") < titles.index("Testing")


def test_long_lists_sharing_topic_words_stay_fast() -> None:
    """3,000 copies of one bullet against 3,000 bullets that share topic words: blocking keeps
    the pairs scored in proportion to real candidates (this took minutes before)."""
    import time

    same = agent("\n".join("- same bullet" for _ in range(3000)) + "\n", "same.md")
    topics = agent("\n".join(f"- bullet number {n} about topic {n % 7}" for n in range(3000)) + "\n", "topics.md")
    start = time.perf_counter()
    result = consolidate([same, topics])
    assert time.perf_counter() - start < 20
    assert result.items_in == 6000
    assert sum(len(m.sources) for m in result.body.items) == 6000


def test_many_sections_sharing_a_title_word_stay_fast() -> None:
    """2,000 headings per file that all say "Section": the shared word opens no pairs by itself."""
    import time

    one = agent("\n".join(f"## Section {n}\n\n- item {n}\n" for n in range(2000)), "one.md")
    two = agent("\n".join(f"## Section {n} again\n\n- item {n} again\n" for n in range(2000)), "two.md")
    start = time.perf_counter()
    result = consolidate([one, two])
    assert time.perf_counter() - start < 20
    assert len(result.body.sections) == 2000
    assert all(len(s.sources) == 2 for s in result.body.sections)


def test_more_items_than_the_matcher_weighs_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs with more than MAX_ITEMS items together are refused before any pair is weighed
    (two files of 25,000 unrelated bullets took minutes and a gigabyte), and so is AM203 on one
    such file; at the limit they are consolidated."""
    import sys

    from agentmerge.check import Selection, check_paths
    from agentmerge.errors import AgentMergeError

    module = sys.modules["agentmerge.consolidate"]
    agents = [read_agent(str(p)) for p in SEEDS]
    count = sum(1 for agent in agents for _ in agent.items())
    monkeypatch.setattr(module, "MAX_ITEMS", count)
    consolidate(agents)
    monkeypatch.setattr(module, "MAX_ITEMS", count - 1)
    with pytest.raises(AgentMergeError, match=f"the 4 inputs hold {count:,} instructions"):
        consolidate(agents)
    monkeypatch.setattr(module, "MAX_ITEMS", 3)
    result = check_paths([str(SEEDS[0])], Selection(extend=("AM203",)), jobs=1)
    assert [e.message for e in result.errors] and "more than the 3 the item matcher" in result.errors[0].message


def test_more_pairs_than_the_scorer_measures_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_PAIRS measured pairs the scorer stops with an error, in consolidate and in AM203,
    which names the file."""
    import agentmerge.scorer
    from agentmerge.check import Selection, check_paths
    from agentmerge.errors import AgentMergeError

    agents = [read_agent(str(p)) for p in SEEDS]
    monkeypatch.setattr(agentmerge.scorer, "MAX_PAIRS", 100)
    with pytest.raises(AgentMergeError, match=r"share so many words that weighing them .* more than 100 pairs"):
        consolidate(agents)
    result = check_paths([str(SEEDS[0])], Selection(extend=("AM203",)), jobs=1)
    assert [(e.path, "more than 100 pairs" in e.message) for e in result.errors] == [(str(SEEDS[0]), True)]


@pytest.mark.slow
def test_thousands_of_items_of_a_few_words_are_refused_in_seconds(tmp_path: Path) -> None:
    """Two files of 4,000 bullets, each drawn from 36 words: every term is in a thousand items, so
    blocking pairs every item with most others (12.3 million pairs, 69 s and 1.8 GB before). Refused
    with one error line, fast; no output file."""
    import random
    import time

    words = [f"word{n}" for n in range(36)]
    for name, seed in (("a.md", 1), ("b.md", 2)):
        pick = random.Random(seed)
        lines = (" ".join(pick.choices(words, k=pick.randint(4, 14))) for _ in range(4000))
        (tmp_path / name).write_text("".join(f"- {line}\n" for line in lines), encoding="utf-8")
    start = time.perf_counter()
    code, out, err = run_cli(
        "consolidate", str(tmp_path / "a.md"), str(tmp_path / "b.md"), "-o", str(tmp_path / "m.md")
    )
    assert time.perf_counter() - start < 30
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "share so many words" in err
    assert not (tmp_path / "m.md").exists()


def test_the_command_refuses_too_many_items_before_comparing_the_inputs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The size is checked before the inputs are grouped to see whether they are one role (which
    weighs instructions too): exit 2 with one error line, no output file."""
    import sys

    import agentmerge.group
    from agentmerge.cli import main

    def grouped(*args: object, **kwargs: object) -> None:
        raise AssertionError("the inputs were grouped before their size was checked")

    monkeypatch.setattr(sys.modules["agentmerge.consolidate"], "MAX_ITEMS", 10)
    monkeypatch.setattr(agentmerge.group, "group_agents", grouped)
    monkeypatch.setattr(agentmerge.group, "count_groups", grouped)
    out = tmp_path / "merged.md"
    assert main(["consolidate", *map(str, SEEDS), "-o", str(out)]) == 2
    assert "instructions, more than the 10 the item matcher" in capsys.readouterr().err
    assert not out.exists()


def test_two_inputs_one_examples_section_each_keep_both_when_they_show_different_things() -> None:
    # "Examples" titles sections of sample requests, sample reports and code alike; one such
    # section per input is no sign that two inputs' are the same section. Aligned by role alone,
    # the sample report's lead-in went under the sample requests' heading and its heading was lost.
    a = agent(
        "## Review Steps\n\n1. Read the diff\n2. Report findings\n\n"
        "## Example Output\n\nA report for a small change:\n\n```markdown\n## Summary\nTwo findings.\n```\n",
        "a.md",
    )
    b = agent(
        "## Review Steps\n\n1. Read the diff\n2. Run the linters\n\n"
        '## Example Interactions\n\n- "Review this pull request for security issues"\n'
        '- "Check this migration for data loss"\n',
        "b.md",
    )
    text = render_agent(consolidate([a, b]).agent)
    assert "## Example Output\n\nA report for a small change:" in text
    assert "## Example Interactions\n\n" in text


@pytest.mark.parametrize("opening", ["- 1. Run the tests", "- ```sh\n  npm test\n  ```", "- > Ask first."])
def test_an_item_with_no_text_of_its_own_keeps_its_place(opening: str) -> None:
    """Such an item shares its line with its first child; it was ordered as that child, found in
    no input's order and written after the subsection, which then took it in."""
    text = f"- Read the diff\n{opening}\n- Write the summary\n\n## Later\n\n- Close the issue\n"
    agent = parse_text(text, "a.md")
    result = consolidate([agent])
    assert render_consolidation(result) == text
    assert diff_agents(agent, result.agent).identical


def test_a_paragraph_after_an_items_sub_list_stays_a_paragraph_after_it() -> None:
    """A closing paragraph under a step (after its sub-list or code block) is written there as a
    paragraph, from one input and from two; it used to come first, or turn into one more bullet."""
    a = parse_text(
        "1. Run the checks:\n   - unit tests\n   - lint\n\n   Stop at the first failure.\n"
        "2. Build the package:\n\n   ```sh\n   make dist\n   ```\n\n   Upload only what this step built.\n",
        "a.md",
    )
    b = parse_text(render_agent(a).replace("- lint", "- lint and type checks"), "b.md")
    assert render_consolidation(consolidate([a])) == render_agent(a)
    text = render_agent(consolidate([a, b]).agent)
    assert "   - lint and type checks\n\n   Stop at the first failure.\n2. Build" in text
    assert "   ```\n\n   Upload only what this step built.\n" in text


RELEASE_STEPS = """---
name: release-helper
description: Helps cut a release of a Python package.
---

## Release checklist

### 1. Prepare

- Update the changelog with every user-facing change.
- Bump the version in pyproject.toml.

### 2. Verify

- Build the wheel and the sdist and install each in a clean venv.

### 3. Publish

- Tag the release commit.
- Upload to PyPI with twine.
"""

RELEASE_AREAS = """---
name: release-helper
description: Cuts releases of Python packages.
---

## Release checklist

### 1. Security

- Scan the dependencies for known vulnerabilities before tagging.

### 2. Testing

- Run the test suite on every supported Python version.

### 3. Documentation

- Check that the README renders on PyPI.
"""


def test_numbered_headings_align_by_topic_not_by_number(tmp_path: Path) -> None:
    """Two inputs' "### 3." sections are about different things: the shared number is no evidence
    that they match, so "3. Documentation" keeps its own section and its instruction is not folded
    into "Upload to PyPI with twine." (the two share only the word PyPI)."""
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(RELEASE_STEPS, encoding="utf-8")
    b.write_text(RELEASE_AREAS, encoding="utf-8")
    code, out, err = run_cli("consolidate", "--format", "json", str(a), str(b))
    assert code == 0, err
    report = json.loads(out)
    assert "- Check that the README renders on PyPI.\n" in report["agent"]
    sections = next(s for s in report["sections"] if s["title"] == "Release checklist")["sections"]
    # Each its own section, numbered in turn as one input's steps after the other's.
    assert [s["title"] for s in sections] == [
        "1. Prepare",
        "2. Verify",
        "3. Publish",
        "4. Security",
        "5. Testing",
        "6. Documentation",
    ]
    assert [s["sources"][0]["title"] for s in sections][3:] == ["1. Security", "2. Testing", "3. Documentation"]
    assert all(len(s["sources"]) == 1 for s in sections)


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("3. Publish", "Publish"),
        ("**2. Style & Good Habits**", "Style & Good Habits**"),
        ("Step 2: Build", "Build"),
        ("**Step 1:** Analyze", "Analyze"),
        ("Phase 1 - Plan", "Plan"),
        ("1.2) Setup", "Setup"),
        ("Python 3 features", "Python 3 features"),
        ("Top 10 risks", "Top 10 risks"),
        ("2024 Roadmap", "2024 Roadmap"),
        ("Step 3", "Step 3"),
        ("1 - Build", "Build"),
        ("2 \u2014 Test", "Test"),
        ("3 things to avoid", "3 things to avoid"),
    ],
)
def test_a_title_s_sequence_number_is_not_its_topic(title: str, topic: str) -> None:
    """The pair score's title feature compares topics; section alignment keeps the number."""
    from agentmerge.scorer import title_overlap
    from agentmerge.text import without_ordinal

    assert without_ordinal(title) == topic
    assert title_overlap(title, topic.replace("**", "")) == 1.0


def test_wordings_that_name_different_things_are_not_folded(tmp_path: Path) -> None:
    """ "Use snake_case for JSON field names." and "Use camelCase for JSON field names." score as
    one instruction (they differ in one word) but each names a convention the other does not:
    both stay, and a wording that names nothing still folds into one that names something."""
    from agentmerge.cluster import carries, names

    assert names("Use snake_case, camelCase and OpenAPI; plain Words stay") == {"snake_case", "camelcase", "openapi"}
    assert not carries("Use snake_case for JSON field names.", "Use camelCase for JSON field names.")
    assert carries("Profile with line_profiler before optimising.", "Profile before optimising.")
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(
        "---\nname: api\ndescription: APIs.\n---\n\n- Use snake_case for JSON field names.\n", encoding="utf-8"
    )
    b.write_text("---\nname: api\ndescription: APIs.\n---\n\n- Use camelCase for JSON field names.\n", encoding="utf-8")
    code, out, err = run_cli("consolidate", str(a), str(b))
    assert code == 0, err
    assert "- Use snake_case for JSON field names.\n" in out and "- Use camelCase for JSON field names.\n" in out


def test_names_with_a_digit_are_names(tmp_path: Path) -> None:
    """A word of letters then a digit (a product, version or setting: ``G1GC``, ``EC2``, ``p95``)
    is a name, as an identifier is: a wording naming ``G1`` and Parallel GC does not fold into one
    naming ``G1GC`` and ZGC, while a wording naming none of them still folds into either."""
    from agentmerge.cluster import carries, names

    assert names("Run it on EC2 behind OAuth2; watch p95, not v1 or 2FA") == {"ec2", "oauth2", "p95", "v1"}
    kept = "**Garbage collection**: pick G1GC or ZGC by heap size and pause goals"
    assert not carries(kept, "Garbage collection tuning (G1, ZGC, Parallel GC) by heap size")
    assert carries(kept, "Tune garbage collection by heap size and pause goals")
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(f"---\nname: jvm\ndescription: JVM tuning.\n---\n\n- {kept}\n", encoding="utf-8")
    folded = "Garbage collection tuning (G1, ZGC, Parallel GC) by heap size"
    b.write_text(f"---\nname: jvm\ndescription: JVM tuning.\n---\n\n- {folded}\n", encoding="utf-8")
    code, out, err = run_cli("consolidate", str(a), str(b))
    assert code == 0, err
    assert f"- {kept}\n" in out and f"- {folded}\n" in out


NAMED_TEMPLATE = """---
name: web-api
description: Builds web APIs.
---

## Architecture Patterns

- Service objects for business logic
- Form objects for complex validations
- SOLID principles
- Repository pattern for data access

## Build

- Run the type checker on every change.
- Commit the lock files: package-lock.json and yarn.lock
- Lint before each commit.
"""


def test_files_and_names_that_open_a_sentence_are_names(tmp_path: Path) -> None:
    """A dotted name (a file, an extension, an attribute) is a name as an identifier is, and so is
    a word with a capital after its first letter where it opens a sentence or follows a label
    ("SOLID", "RESTful", "OpenTelemetry"), and a camel-case word in a headline ("TestContainers"):
    two parallel lists that differ in such a word keep both lines. A compound of capitalised words
    is no name for its hyphen."""
    from agentmerge.cluster import another_name, capitalised, carries, names

    assert names("Read tsconfig.json, add .tsx files, e.g. with console.log; i.e. U.S. style") == {
        "tsconfig.json",
        ".tsx",
        "console.log",
    }
    kept = "Commit the lock files: package-lock.json and yarn.lock"
    assert not carries(kept, "Commit package-lock.json and pnpm-lock.yaml")
    assert carries(kept, "Commit the lock files")
    assert another_name("SOLID principles", "RESTful principles")
    assert capitalised("Cause-Effect charts for incident reviews") == frozenset()
    assert capitalised("With TestContainers") == {"testcontainers"}  # a headline, but for it
    assert capitalised("Core Web APIs") == frozenset()
    assert not carries("Put integration tests in a separate package", "**Integration Testing**: With TestContainers")
    assert not carries("**Fan-out**: Send to every collector", "**Fan-out**: OpenTelemetry shipping to each collector")
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text(NAMED_TEMPLATE, encoding="utf-8")
    b.write_text(
        NAMED_TEMPLATE.replace("web-api", "web-service")
        .replace("SOLID principles", "RESTful principles")
        .replace("and yarn.lock", "and pnpm-lock.yaml"),
        encoding="utf-8",
    )
    code, out, err = run_cli("consolidate", str(a), str(b))
    assert code == 0, err
    for line in ("SOLID principles", "RESTful principles", "and yarn.lock", "and pnpm-lock.yaml"):
        assert line in out


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        ("**API gateways**: Kong, Traefik, Envoy", {"kong", "traefik", "envoy"}),
        ("Measure Web Performance (LCP, INP, CLS).", {"web performance", "lcp", "inp", "cls"}),
        ("Runtimes: Node.js, Deno and Bun.", {"node.js", "deno", "bun"}),
        ("Tracking: MLflow, Aim or Weights & Biases", {"mlflow", "aim", "weights biases"}),
        ("Contrast: WCAG AA, WCAG AAA or APCA (4.5:1)", {"wcag aa", "wcag aaa", "apca", "4.5 1"}),
        ("Use Kong or Traefik as the gateway", set()),
        ("Lint with ruff, mypy and pytest", set()),
        ("Kong, Traefik and Envoy are all gateways we run", {"kong", "traefik", "envoy"}),
        ("Run scanners such as Semgrep, Snyk and Trivy before merging", {"semgrep", "snyk", "trivy"}),
        ("Compare Kong with Traefik before choosing", set()),
        ("Gateways: Kong, &, Traefik, Envoy", {"kong", "traefik", "envoy"}),
    ],
)
def test_enumerated_names(text: str, listed: set[str]) -> None:
    """Three or more capitalised names in a row are a list of names, in prose too (the words before
    the first name and after the last are not part of it); a clause's first word is not one of
    them, and fewer names, or words in lower case, are no list."""
    from agentmerge.cluster import enumerated_names

    assert enumerated_names(text) == listed


def test_a_list_of_names_folds_only_into_a_wording_that_mentions_them_all(tmp_path: Path) -> None:
    """Two lists of gateways that each name one the other does not stay two items (folding either
    would drop a gateway); a wording naming only two of them folds into a list that has both."""
    from agentmerge.cluster import carries

    assert not carries("Use Kong or Traefik as the gateway", "**API gateways**: Kong, Traefik, Envoy")
    assert carries("**API gateways**: Kong, Traefik, Envoy", "Use Kong or Traefik as the gateway")
    assert carries("**Effects**: futures, streams and resources", "Effects: Future, Stream, Resource")
    listed = ["Kong, Traefik, Envoy", "Kong, Traefik, Tyk", "Kong or Traefik"]
    assert merged_bullets(tmp_path, [f"**API gateways**: {names}" for names in listed]) == [
        "- **API gateways**: Kong, Traefik, Envoy",
        "- **API gateways**: Kong, Traefik, Tyk",
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Profile slow endpoints with Pyroscope before optimizing", {"pyroscope"}),
        ("**Profiling**: use Pyroscope and Parca in staging", {"pyroscope", "parca"}),
        ("Write idiomatic code and use Python-specific features", {"python"}),
        ("Keep models in Flask-SQLAlchemy classes", {"flask-sqlalchemy"}),
        ("Serve the app with Next.js on the edge", {"next.js"}),
        ("Return JSON from every API and cache the URLs", set()),
        ("Build AI-powered search for I/O-bound services", set()),
        ("Profile slow endpoints before optimizing", set()),
        ("\u2705 Exception handling in the main process", set()),
        ("Send uploads to Pyroscope with `RetryPolicy` set", {"pyroscope"}),
    ],
)
def test_proper_names(text: str, named: set[str]) -> None:
    """A word capitalised inside a sentence names a tool or product (with a lower-case word
    hyphened on, the name alone); an acronym, which names a kind of thing as often as a product,
    a name of one letter, the first word after symbols that open the text and a code span's
    contents do not count."""
    from agentmerge.cluster import proper_names

    assert proper_names(text) == named


def test_a_named_tool_folds_only_into_a_wording_that_mentions_it(tmp_path: Path) -> None:
    """A wording that names a tool the kept wording does not mention stays an item of its own, even
    where the plain wording is the preferred one; the plain wording still folds into the named one,
    and a name most inputs mention (what they are about) may be left out."""
    from agentmerge.cluster import Subject, carries

    named, plain = (
        "Profile slow endpoints with Pyroscope before optimizing them",
        "Profile slow endpoints before optimizing them",
    )
    assert not carries(plain, named)
    assert carries(named, plain)
    assert carries("Profile the slow endpoints with pyroscopes before optimizing", named)
    assert carries(plain, named, subject=frozenset({"pyroscope"}))
    assert merged_bullets(tmp_path, [plain, named]) == [f"- {named}"]
    assert merged_bullets(tmp_path, [plain, named], "--prefer", "{0}") == [f"- {plain}", f"- {named}"]

    about_django = Subject([["Keep Django settings in one module"], ["Use the Django ORM"], ["Cache the views"]])
    assert "django" in about_django and "redis" not in about_django
    assert "redis" in Subject([["Cache hot keys in Redis"], ["Keep sessions in Redis"]])
    assert "redis" not in Subject([["Cache hot keys in Redis"], ["Cache the views"]])
    assert "redis" not in Subject([["Cache hot keys in Redis"]])


TEMPLATE_AGENT = """---
name: team-designer
description: Designs teams of agents for a project
---

## Agent archetypes

**Planner:**
- Tools: read-only search and code lookups
- Focus: break requirements into small tasks
- Hand-off: to the builder agent

**Builder:**
- Tools: full editing and test runs
- Focus: write and refactor code in small tasks
- Hand-off: to the reviewer agent

**Reviewer:**
- Tools: read-only diff views
- Focus: check changes against the plan
- Hand-off: back to the builder agent

## Principles

- Give each agent one clear goal
"""


def test_the_fields_of_a_template_a_file_fills_for_several_things_never_merge(tmp_path: Path) -> None:
    """Three sections of one file whose items open with the same labels ("Tools:", "Focus:") fill
    one template for three things: each line says what its thing has, so none folds into another
    (the planner's hand-off is not the builder's), nor into another input's guidance; plain
    guidance still merges."""
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text(TEMPLATE_AGENT, encoding="utf-8")
    second.write_text(
        "---\nname: team-designer\ndescription: Designs teams of agents for a project\n---\n\n## Principles\n\n"
        "- Give every agent a single clear goal\n- Keep each agent focused on small tasks and one tool set\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("consolidate", str(first), str(second))
    assert code == 0, err
    bullets = [line for line in out.splitlines() if line.startswith("- ")]
    fields = [line for line in TEMPLATE_AGENT.splitlines() if line.startswith("- ") and ":" in line]
    assert [line for line in bullets if line in fields] == fields
    assert "- Keep each agent focused on small tasks and one tool set" in bullets
    assert len(bullets) == len(fields) + 2  # the two goal wordings are one


def test_a_word_the_corpus_hardly_uses_folds_only_into_a_wording_that_has_it(tmp_path: Path) -> None:
    """A word fewer than three of the corpus's instructions use is a library, tool or acronym more
    often than not, and no other word stands for it: capitalised or not, first in its sentence or
    not, a wording with it does not fold into one without it. The plain wording still folds into
    the one that has it, and a word most inputs mention (what they are about) may be left out."""
    from agentmerge.cluster import Subject, carries, proper_names
    from agentmerge.scorer import rare_in_corpus
    from agentmerge.text import terms

    assert all(rare_in_corpus(term) for term in terms("nox msgspec freezegun"))
    assert not any(rare_in_corpus(term) for term in terms("run the test matrix"))
    tool, other = "Run the test matrix with nox sessions", "Run the test matrix across Python versions"
    assert not proper_names(tool)  # lower case: no capitalised name to go by
    assert not carries(other, tool)
    assert carries("Run the nox sessions for the test matrix", tool)
    assert carries(
        "Run the test matrix", "Run the test matrix with nox", subject=Subject([["Use nox"], ["nox runs it"]])
    )
    assert not carries("Serialize with typed structs", "**Serialization**: Msgspec structs on hot paths")
    assert merged_bullets(tmp_path, [other, tool]) == [f"- {other}", f"- {tool}"]
    plain = "Run the test matrix"
    assert merged_bullets(tmp_path, [plain, tool]) == [f"- {tool}"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Run the suite before merging", [{"merg"}]),
        ("Use raw SQL only when the ORM is too slow, and log it", [{"orm", "too", "slow"}]),
        ("Deploy to staging first. Roll back if the health check fails.", [{"health", "check", "fail"}]),
        ("Use type hints when possible", []),
        ("When in doubt, ask the user", []),
        ("Write tests for every change", []),
    ],
)
def test_conditions(text: str, found: list[set[str]]) -> None:
    """A condition runs from its opening word ("when", "if", "before", ...) to the end of its
    clause; one that names no circumstance ("when possible", "when in doubt") is none."""
    from agentmerge.cluster import conditions

    assert [set(condition) for condition in conditions(text)] == found


def test_a_condition_folds_only_into_a_wording_that_says_something_of_it(tmp_path: Path) -> None:
    """A wording with a condition ("before merging") does not fold into one that says nothing of
    it, even where that one is preferred; the plain wording folds into the conditioned one, and
    an empty condition ("when possible") asks nothing."""
    from agentmerge.cluster import carries

    plain, conditioned = "Run the migration suite", "Run the migration suite before merging"
    assert not carries(plain, conditioned)
    assert carries(conditioned, plain)
    assert carries("Run the migration suite before each merge", conditioned)
    assert carries(plain, "Run the migration suite when possible")
    assert merged_bullets(tmp_path, [plain, conditioned]) == [f"- {conditioned}"]
    assert merged_bullets(tmp_path, [plain, conditioned], "--prefer", "{0}") == [f"- {plain}", f"- {conditioned}"]


def test_a_rule_said_to_hold_everywhere_does_not_fold_into_a_narrower_one(tmp_path: Path) -> None:
    """ "Use type hints everywhere" folded into "Use type hints on public functions" would hold for
    public functions alone: it stays an item of its own, from the command line as in ``carries``.
    The narrower rule folds into it (everywhere takes public functions in), as into any wording
    that says it holds without bound; a plain "Use type hints" bounds nothing and takes it in."""
    from agentmerge.cluster import _whole_scope, carries

    assert _whole_scope("Never log tokens Anywhere.") and not _whole_scope("Follow the university style guide")
    everywhere, public = "Use type hints everywhere", "Use type hints on public functions"
    assert not carries(public, everywhere)
    assert carries(everywhere, public)
    assert carries("Use type hints", everywhere)
    assert not carries("Never log tokens in production", "Never log tokens anywhere")
    assert merged_bullets(tmp_path, [public, everywhere]) == [f"- {everywhere}"]
    assert merged_bullets(tmp_path, [public, everywhere], "--prefer", "{0}") == [f"- {public}", f"- {everywhere}"]


def test_identities_listing_different_names_are_still_one_slot(tmp_path: Path) -> None:
    """Each input's "You are ..." is one slot whatever else it says: two identities that list
    different frameworks give one identity paragraph, as two that differ in any other words do."""
    paths = []
    for n, listed in enumerate(("Flask and FastAPI", "Celery and Redis")):
        path = tmp_path / f"{n}.md"
        path.write_text(
            f"---\nname: py\ndescription: Python work.\n---\n\nYou are an expert in Python, Django, {listed}.\n\n"
            "- Write tests first\n",
            encoding="utf-8",
        )
        paths.append(str(path))
    code, out, err = run_cli("consolidate", *paths)
    assert code == 0, err
    assert out.count("You are an expert") == 1


def test_an_identity_under_a_role_label_is_the_same_slot_and_the_addressed_wording_is_kept(tmp_path: Path) -> None:
    """An input that says who the agent is under a ``**Role**:`` label and one that opens "You
    are ..." wrote two identity paragraphs, with no warning: the label was not read as an
    identity there, though the matcher reads it so. They are one slot, and the wording kept is
    the one that addresses the agent, though the label's says more."""
    paths = []
    for n, opening in enumerate(
        (
            "You are a Go engineer who writes concurrent services.",
            "**Role**: Principal Go engineer for concurrent services, gRPC APIs and profiling with pprof.",
        )
    ):
        path = tmp_path / f"{n}.md"
        path.write_text(
            f"---\nname: go\ndescription: Go work.\n---\n\n{opening}\n\n## Rules\n\n- Handle every error\n",
            encoding="utf-8",
        )
        paths.append(str(path))
    for order in (paths, paths[::-1]):
        code, out, err = run_cli("consolidate", *order)
        assert code == 0, err
        body = out.split("---\n", 2)[2]
        assert body.count("You are a Go engineer") == 1 and "**Role**" not in body, body


def test_two_identities_written_apart_are_named_when_one_is_under_a_role_label(tmp_path: Path) -> None:
    """An identity with a command another input's lacks is written beside it, and a warning
    names both inputs; one under a ``**Role**:`` label was written with no warning."""
    openings = (
        "You are a Rust expert. Never approve unsafe code without a SAFETY comment.",
        "**Role**: Rust expert. Always run cargo clippy with deny warnings before every commit.",
    )
    paths = []
    for n, opening in enumerate(openings):
        path = tmp_path / f"{n}.md"
        path.write_text(f"---\nname: rust\ndescription: Rust work.\n---\n\n{opening}\n\n- Run the tests\n", "utf-8")
        paths.append(str(path))
    code, out, err = run_cli("consolidate", *paths)
    assert code == 0, err
    assert all(opening in out for opening in openings), out
    assert "identity: the merged agent says who it is in the words of" in err, err


def test_a_label_over_names_alone_lists_two_names_and_keeps_its_own_body() -> None:
    """A label's body that is nothing but names lists them, two as well as three: "**Feature
    Flags**: LaunchDarkly, Unleash" does not fold into a wording without Unleash. Under a label,
    a body of names and a body with no word of it say two things ("**API Gateways**: Kong,
    Ambassador" is products, "**Gateway API**: newer ingress model, route matching" a
    Kubernetes interface): neither folds into the other. A wording that names them all still
    takes the list."""
    from agentmerge.cluster import carries, enumerated_names

    assert enumerated_names("**Feature Flags**: LaunchDarkly, Unleash") == {"launchdarkly", "unleash"}
    assert enumerated_names("**Checks**: lint rules, type checks") == frozenset()
    flags = "**Feature flags**: Flagsmith, LaunchDarkly, GrowthBook integration"
    assert not carries(flags, "**Feature Flags**: LaunchDarkly, Unleash")
    assert carries("**Flags**: LaunchDarkly, Unleash and Flagsmith", "**Feature Flags**: LaunchDarkly, Unleash")
    gateways = "**API Gateways**: Kong, Ambassador"
    interface = "**Gateway API**: Newer ingress model, route matching, header rewrites"
    assert not carries(interface, gateways) and not carries(gateways, interface)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "**Network error handling**: Return clear messages when a connection drops, and retry idempotent calls",
            "**Explicit error handling**: Fail fast with descriptive errors and log what failed",
        ),
        (
            "**Analyze service documentation**: Read every service README to learn how the services fit together",
            "**Analyze module documentation**: Read every module README to learn how the modules fit together",
        ),
        (
            "**Data retention strategy**: Keep personal records for no longer than the contract requires",
            "**Data backup strategy**: Keep encrypted copies of every database in a second region",
        ),
    ],
)
def test_labels_naming_two_kinds_of_one_thing_are_two_instructions(tmp_path: Path, first: str, second: str) -> None:
    """Two bold labels that end in the same term, each with a term the other text never uses,
    name two kinds of one thing ("Network error handling", "Explicit error handling"): however
    alike the rest, neither folds into the other, as either would be gone. A label that only
    adds a word to the other's still folds, and so does a plain label, as often a sentence with
    a colon."""
    from agentmerge.cluster import carries

    assert not carries(first, second) and not carries(second, first)
    assert merged_bullets(tmp_path, [first, second]) == [f"- {first}", f"- {second}"]
    strict = "**Strict input validation**: Validate every request body"
    assert carries(strict, "**Input validation**: Validate requests")
    listed, grouped = "List findings by severity: blocker, major.", "Group findings by severity: blocker, major."
    assert carries(listed, grouped) and carries(grouped, listed)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "Always search the official documentation first for the latest performance guidance, and base every "
            "performance recommendation on what it says",
            "Always search the official documentation first for the latest security guidance, and base every "
            "security recommendation on what it says",
        ),
        (
            "Expert database administrator with deep knowledge of backups, replication and database upgrades; "
            "masters administrator tooling",
            "Expert database architect with deep knowledge of schema design, replication and database modeling; "
            "masters architect tooling",
        ),
        (
            "I'm latency-focused and evidence-driven: I approach backend performance through profiling, and I "
            "measure latency before and after every change",
            "I'm reliability-focused and evidence-driven: I approach backend operations through incident reviews, "
            "and I measure reliability before and after every change",
        ),
    ],
)
def test_two_wordings_each_repeating_what_the_other_never_says_are_two(tmp_path: Path, first: str, second: str) -> None:
    """What a text says twice is what it is about: when each of two wordings repeats a term the
    other never uses (performance and security guidance, an administrator and an architect), they
    are about two things however alike their frame, and neither folds into the other. A term
    repeated by one wording alone, or by both, does not keep them apart."""
    from agentmerge.cluster import carries

    assert not carries(first, second) and not carries(second, first)
    assert merged_bullets(tmp_path, [first, second]) == [f"- {first}", f"- {second}"]
    tests = "Write tests for every change, and run the tests before you push"
    assert carries(tests, "Write tests for every change")
    assert carries(tests, "Write tests for every change and run them before each push to the tests branch")


def test_every_wording_carries_itself() -> None:
    """The lossless rule lets a wording fold into itself: every item of every fixture (the seeds,
    the library and the golden cases) carries its own text, so a copy that differs only by a
    full stop or a capital folds into it rather than being written twice."""
    from agentmerge.cluster import carries

    paths = sorted(FIXTURES.rglob("*.md")) + sorted((Path(__file__).parent / "cases").rglob("*.md"))
    texts = {item.text for path in paths for _, item in read_agent(path).items()}
    assert len(texts) > 300
    assert [t for t in sorted(texts) if not carries(t, t)] == []


def test_a_name_that_opens_with_digits_is_read_whole(tmp_path: Path) -> None:
    """A name such as 1Password or 5XXError is one word: read from its first letter on, it was a
    name ("password") its own text never mentions, so the text did not carry itself and two
    copies of one line, one with a full stop, were both kept. A value and its unit ("5V",
    "3.3V") names nothing, and a name a text does not mention as a word of its own ("GHz" of
    "2.5GHz") is not asked of the wording it folds into."""
    from agentmerge.cluster import carries, proper_names

    line = "Store the deploy keys in 1Password, never in the repository"
    assert proper_names(line) == {"1password"}
    assert proper_names("Alert on 5XXError spikes from the API gateway") == {"5xxerror"}
    assert proper_names("Store the deploy keys in \u0661Password") == {"\u0661password"}  # an Arabic-Indic one
    assert proper_names("Run the board at 3.3V, not 5V, with C# tools") == {"c#"}
    assert carries(line, line + ".") and carries(line + ".", line)
    assert carries("Use 2.5GHz radios", "Use 2.5GHz radios.")
    assert not carries("Store the deploy keys in a password manager", line)
    assert merged_bullets(tmp_path, [line, line + "."]) == [f"- {line}"]


def test_a_prohibition_the_kept_wording_says_nothing_of_does_not_fold() -> None:
    """A clause that forbids ("No sleep-based waits", "never inline") of which the kept wording
    has no word would be gone once folded: the wording does not carry it. A prohibition the kept
    wording states in its words still folds."""
    from agentmerge.cluster import carries

    kept = "**Deterministic and Reliable Tests**: isolate tests and manage asynchronous operations carefully"
    assert not carries(kept, "**Deterministic:** isolated tests, no sleep-based waits, no order-dependent runs")
    assert not carries(
        "**Safety**: Private settings, key storage, cache file safety",
        "**Settings Safety:** Keep private settings in the key store, never inline",
    )
    assert carries("Never hardcode secrets in source files or logs", "Never hardcode secrets")


def merged_two(first: str, second: str) -> tuple[Consolidation, str]:
    """Two agents' texts (as a.md and b.md) consolidated, and the merged file, which reads back as
    the merged model."""
    result = consolidate([parse_text(first, "a.md"), parse_text(second, "b.md")])
    text = render_agent(result.agent)
    assert shape(parse_text(text, "merged.md")) == shape(result.agent)
    return result, text


def test_a_subtitle_scopes_only_the_items_of_inputs_that_had_it() -> None:
    """ "**Every change must include:**" opened one input's list; written over the merged list it
    would ask for another input's deliverables in every change. The other input's items stand
    before it, also with provenance annotations, and the file reads back as the model."""
    scoped = (
        "---\nname: k8s\ndescription: Kubernetes SRE.\n---\n\n## Output Format Standards\n\n"
        "Every change must include:\n\n1. **Plan**: Change summary, risk assessment\n2. **Rollback**: Rollback steps\n"
    )
    listed = (
        "---\nname: k8s\ndescription: Kubernetes expert.\n---\n\n## Output\n\n"
        "- Kubernetes manifests with clear documentation\n- Training materials on best practices\n"
    )
    result, text = merged_two(scoped, listed)
    head, _, under = text.partition("**Every change must include:**")
    assert "- Training materials on best practices" in head and "Training materials" not in under
    assert "**Plan**" in under and "**Rollback**" in under
    annotated = render_consolidation(result, annotate=True)
    assert annotated.index("Training materials") < annotated.index("**Every change must include:**")


def test_a_subtitle_is_kept_when_its_section_gains_subsections() -> None:
    """ "Define for all containers:" opened one input's list; merged with another input's section
    that holds a subsection, the subtitle was dropped, and with it "for all containers". It is
    written over its list, the subsection after it, and the file reads back so."""
    subtitled = (
        "---\nname: k8s\ndescription: Kubernetes SRE.\n---\n\n## Resource Management\n\n"
        "Define for all containers:\n- **Requests**: Guaranteed minimum for scheduling\n"
        "- **Limits**: Hard maximum against exhaustion\n"
    )
    nested = (
        "---\nname: k8s\ndescription: Kubernetes expert.\n---\n\n## Resource Management\n\n"
        "### Capacity Planning\n\n- **QoS Classes**: Guaranteed, Burstable, BestEffort\n"
    )
    result, text = merged_two(subtitled, nested)
    assert "**Define for all containers:**\n\n- **Requests**" in text
    assert text.index("**Define for all containers:**") < text.index("### Capacity Planning")
    annotated = render_consolidation(result, annotate=True)
    assert annotated.index("**Define for all containers:**") < annotated.index("### Capacity Planning")


def test_a_subtitle_with_nothing_under_it_is_kept() -> None:
    """A label line alone under its heading ("**Open questions:**" before the next heading) is
    the heading's subtitle with no list: it was dropped from the merged file, one file alone
    included. It is written where it stood, after any other input's items, and reads back so."""
    alone = "---\nname: a\ndescription: d\n---\n\n## Scope\n\n**Open questions:**\n\n## Tests\n\n- Test each change\n"
    result = consolidate([parse_text(alone, "a.md")])
    assert render_agent(result.agent) == alone
    listed = "---\nname: a\ndescription: d\n---\n\n## Scope\n\n- Review the plan\n\n## Tests\n\n- Test each change\n"
    _, text = merged_two(alone, listed)
    assert "**Open questions:**" in text


def test_one_inputs_steps_and_anothers_practices_keep_their_list_kinds() -> None:
    """Numbered steps of one input and bulleted practices of another in one merged section: the
    practices are not numbered on as more steps, nor do the steps lose their numbers; they are two
    lists, and the file reads back as the model."""
    steps = (
        "---\nname: a\ndescription: d\n---\n\n## Approach\n\n1. Gather requirements\n2. Design the schema\n3. Ship\n"
    )
    practices = "---\nname: a\ndescription: d\n---\n\n## Approach\n\n- Prefer small releases\n- Write tests first\n"
    _, text = merged_two(steps, practices)
    assert "1. Gather requirements\n2. Design the schema\n3. Ship\n" in text
    assert "- Prefer small releases\n- Write tests first\n" in text


@pytest.mark.parametrize(
    ("title", "write", "review", "other", "copy"),
    [
        (
            "Правила",
            "Пишите модульные тесты для нового кода",
            "Проверяйте модульные тесты для нового кода",
            "Никогда не храните секреты в репозитории",
            "Используйте аннотации типов везде",
        ),
        (
            "审查规则",
            "为新代码编写单元测试",
            "审查新代码的单元测试",
            "永远不要在仓库中存储密钥",
            "在所有函数中使用类型提示",
        ),
    ],
)
def test_variants_written_in_another_script_share_their_sections_and_keep_every_instruction(
    title: str, write: str, review: str, other: str, copy: str
) -> None:
    """Two variants in Russian, then in Chinese, with one section title and no instruction in
    common: one section (the title's words were no words at all, and it was written twice), and
    two instructions that differ in one word (write the tests, review them) both kept; with one
    instruction in common, it is written once."""
    first = f"---\nname: reviewer\ndescription: d\n---\n\n## {title}\n\n- {write}\n"
    second = f"---\nname: reviewer\ndescription: d\n---\n\n## {title}\n\n- {review}\n- {other}\n"
    body = merged_two(first, second)[1].split("---\n", 2)[2]
    assert body.count(f"## {title}") == 1
    assert f"- {write}\n" in body and f"- {review}\n" in body and f"- {other}\n" in body
    body = merged_two(f"{first}- {copy}\n", f"{second}- {copy}.\n")[1]
    assert body.count(copy) == 1 and f"- {write}\n" in body and f"- {review}\n" in body


def test_an_instruction_in_another_script_and_its_opposite_are_both_kept() -> None:
    """ "Store the secrets in the repository" and "Never store the secrets in the repository",
    in Russian, then in Chinese: the second has every word of the first and one more, which the
    English rules of negation cannot read; the first was folded into it and lost. In Hindi,
    "delete the old files" and "do not delete the old files": a word was cut at each vowel sign,
    the "not" was a consonant the other wording had, and the two were near-verbatim copies."""
    for title, plain, never in [
        ("Правила", "Храните секреты в репозитории", "Никогда не храните секреты в репозитории"),
        ("规则", "在仓库中存储密钥", "不要在仓库中存储密钥"),
        ("नियम", "पुरानी फ़ाइलें हटाएँ", "पुरानी फ़ाइलें न हटाएँ"),
    ]:
        first = f"---\nname: r\ndescription: d\n---\n\n## {title}\n\n- {plain}\n- Run the tests\n"
        second = f"---\nname: r\ndescription: d\n---\n\n## {title}\n\n- {never}\n- Run the tests\n"
        body = merged_two(first, second)[1]
        assert f"- {plain}\n" in body and f"- {never}\n" in body


def _merged_frontmatter(tmp_path: Path, inputs: dict[str, str], output: str, *options: str) -> str:
    """Consolidate ``inputs`` (file name: text, written in ``tmp_path``) into ``output`` there,
    with ``options``, from the command line; the written file's frontmatter, ``---`` lines
    included."""
    for name, text in inputs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = run_cli("consolidate", *(str(tmp_path / name) for name in inputs), "-o", str(tmp_path / output), *options)
    assert done.exit_code == 0, done.stderr
    written = (tmp_path / output).read_text(encoding="utf-8")
    return written[: written.index("\n---\n", 3) + 5]


def test_frontmatter_comments_and_spellings_survive_consolidation(tmp_path: Path) -> None:
    """A YAML comment, and a value another YAML reader may read otherwise (``version: 1.10``,
    ``retries: 010``, ``enabled: yes``), are in no value: consolidating one file keeps the key's
    lines as written, consolidating several keeps every input's comments above the key, and
    the output consolidated again is the same bytes."""
    one = (
        "---\nname: t\ndescription: A test agent.\n# owner: platform team\nversion: 1.10\nretries: 010\n"
        "enabled: yes\n---\n\nYou review code.\n\n- Check the tests.\n"
    )
    assert _merged_frontmatter(tmp_path, {"one.md": one}, "one-merged.md") == one[: one.index("\n---\n", 3) + 5]
    a = (
        '---\n# version: 2026-01-20a\nname: "Dotnet Expert"\ndescription: Helps with .NET code.\n'
        "tools:\n  # tools that read and edit files\n  - read\n  - edit\n---\n\nYou write C# code.\n"
    )
    b = (
        '---\n# version: 2025-11-02b\nname: "Dotnet Expert"\ndescription: Helps with .NET code.\n'
        "tools:\n  - read\n  - search  # the workspace search\n---\n\nYou write C# code.\n"
    )
    assert _merged_frontmatter(tmp_path, {"a.agent.md": a, "b.agent.md": b}, "merged.agent.md") == (
        '---\n# version: 2025-11-02b\n# version: 2026-01-20a\nname: "Dotnet Expert"\n'
        "description: Helps with .NET code.\n# tools that read and edit files\n# the workspace search\n"
        "tools:\n- read\n- edit\n- search\n---\n"
    )
    merged = tmp_path / "merged.agent.md"
    assert read_agent(str(merged)).warnings == ()
    again = run_cli("consolidate", str(merged))
    assert again.exit_code == 0 and again.stdout == merged.read_text(encoding="utf-8")


def test_a_settled_value_is_reported_as_the_inputs_write_it() -> None:
    """``version: 1.10`` reads as 1.1: the report of the settled key said two inputs had "1.1" and
    that "1.1" was chosen, while the merged file writes "1.10". It names each value as written,
    the chosen one as the merged file writes it; the vote is still by value, and two spellings of
    one value are settled as two values are."""
    agent = "---\nname: a\ndescription: An agent.\nversion: {}\n---\n\n- Check the tests.\n"
    inputs = [parse_text(agent.format(v), f"{n}.md") for n, v in enumerate(["1.10", "1.2", "1.1"])]
    result = consolidate(inputs)
    (conflict,) = result.conflicts
    assert conflict.values == (("1.10", ("0.md",)), ("1.2", ("1.md",)), ("1.1", ("2.md",)))
    assert conflict.chosen == "1.10" and conflict.why.endswith("; 1.md had another value; 2.md wrote it otherwise")
    assert "version: 1.10\n" in render_agent(result.agent)
    # Two spellings of one value (one to this parser, two to a YAML 1.2 reader) are settled too.
    flags = "---\nname: a\ndescription: An agent.\nenabled: {}\n---\n\n- Check the tests.\n"
    result = consolidate([parse_text(flags.format(v), f"{n}.md") for n, v in enumerate(["true", "yes"])])
    (conflict,) = result.conflicts
    assert conflict.values == (("true", ("0.md",)), ("yes", ("1.md",)))
    assert conflict.chosen == "true" and conflict.why.endswith("; 1.md wrote it otherwise")
    assert "enabled: true\n" in render_agent(result.agent)  # as the report says, the first input's spelling


def test_a_key_the_tool_reads_to_the_end_of_its_line_is_written_for_it_with_its_comment_above(tmp_path: Path) -> None:
    """A Cursor rule reads ``globs`` to the end of the line, quotes and comment included: a
    quoted, commented ``globs`` of a file YAML reads, merged into a rule, is written unquoted with
    its comment on the line above, not as it was written (the rule would match no file)."""
    agent = (
        '---\nname: ts-rules\ndescription: TypeScript rules.\nglobs: "src/**/*.ts"  # the app code\n---\n\n'
        "- Use strict mode.\n"
    )
    assert _merged_frontmatter(tmp_path, {"ts.md": agent}, "ts.mdc", "--for", "cursor-rule") == (
        "---\ndescription: TypeScript rules.\n# the app code\nglobs: src/**/*.ts\n---\n"
    )


def test_lines_kept_from_an_input_give_way_to_a_value_written_for_another_tool(tmp_path: Path) -> None:
    """A Copilot agent's commented ``tools`` list merged ``--for claude-code`` is written by
    Claude Code's names, its comments above the key: the input's lines as written name the tools
    as Copilot does, and written as they are they would give the subagent tools it does not know."""
    agent = (
        "---\nname: ops-helper\ndescription: Helps run the service.\ntools:\n  # reading and running\n"
        "  - read\n  - shell\n---\n\nYou keep the service running.\n"
    )
    assert _merged_frontmatter(tmp_path, {"ops.agent.md": agent}, "ops-helper.md", "--for", "claude-code") == (
        "---\nname: ops-helper\ndescription: Helps run the service.\n# reading and running\n"
        "tools:\n- Read\n- Bash\n---\n"
    )


def test_a_comment_after_the_last_key_keeps_a_consolidation_a_fixed_point() -> None:
    """A comment after an input's last key goes with that key's lines; in the merged agent another
    input's key follows them, and read again the comment is that key's. The kept lines' trailing
    blanks (a tab after the description) went with the first writing only, so consolidating the
    output again changed its bytes."""
    body = "\n\n- Check the layers\n"
    a = parse_text("---\nname: arch  # note\ndescription: Reviews designs\t\n# a comment\n---" + body, "a.md")
    b = parse_text("---\nname: arch\ndescription: Reviews designs\nmodel: opus\n---" + body, "b.md")
    once = render_consolidation(consolidate([a, b]))
    again = render_consolidation(consolidate([parse_text(once, "merged.md")]))
    assert "description: Reviews designs\n# a comment\nmodel: opus\n" in once
    assert again == once


def _template_file(name: str, fills: int) -> str:
    """An agent whose one template ("## Example" over the same 25 bullets) is filled ``fills`` times."""
    bullets = "".join(f"- item {k} same words\n" for k in range(25))
    return f"---\nname: {name}\ndescription: y\n---\n\n" + "".join(f"## Example\n\n{bullets}\n" for _ in range(fills))


def test_items_that_never_merge_are_never_weighed_against_each_other(tmp_path: Path) -> None:
    """The items of a template two inputs fill many times, and every item of one input consolidated
    alone, are restatements the clustering refuses whatever their score (``ITEM_RULES``'
    "restatement"): no pair of them is weighed, so such files cost time in their length, not in its
    square (40 fills of 25 bullets made 39,000 pairs; a 170 KB file took minutes). Every item is
    still written, each fill's under its own heading."""
    from agentmerge.consolidate import matching_evidence

    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text(_template_file("a", 40), encoding="utf-8")
    second.write_text(_template_file("b", 40), encoding="utf-8")
    agents = [read_agent(str(first)), read_agent(str(second))]
    evidence = matching_evidence(agents)
    assert not any(
        evidence.candidates[i].sources & evidence.candidates[j].sources
        and not (evidence.candidates[i].repeatable and evidence.candidates[j].repeatable)
        for i, j in evidence.pairs
    )
    assert matching_evidence(agents[:1]).pairs == ()
    for paths in ([first, second], [first]):
        code, out, err = run_cli("consolidate", *map(str, paths))
        assert code == 0, err
        assert out.count("## Example") == 40
        assert out.count("- item 7 same words\n") == 40
