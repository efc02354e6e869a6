"""What ``diff_agents`` reports for small hand-written agents, one behaviour per test."""

from __future__ import annotations

import sys

import pytest
from conftest import SEEDS

from agentmerge.diff import Change, DiffResult, diff_agents, redline
from agentmerge.fields import names
from agentmerge.match import (
    CROSS_ROLE_MOVE_CUTOFF,
    IN_PLACE_ALLOWANCE,
    ITEM_CUTOFF,
    MOVE_CUTOFF,
    pair_exact,
    pair_fuzzy,
    similarity,
    validate_cutoff,
)
from agentmerge.parse import parse_text, read_agent

BASE = """\
---
name: reviewer
description: Reviews pull requests for security problems.
tools: Read, Grep
model: sonnet
---

# Reviewer

You review pull requests.

## Rules

- Always run the test suite before approving a change
- Check every new dependency for known vulnerabilities
- Keep review comments short and specific

## Steps

1. Read the description of the pull request
2. Read the diff file by file
3. Write the summary comment

## Output

- A list of findings ordered by severity
"""


def diff(old: str, new: str, **kwargs: float) -> DiffResult:
    return diff_agents(parse_text(old, "old.md"), parse_text(new, "new.md"), **kwargs)  # type: ignore[arg-type]


def only(result: DiffResult) -> Change:
    assert not result.frontmatter, result.frontmatter
    assert len(result.changes) == 1, result.changes
    return result.changes[0]


def test_an_agent_diffed_with_itself_is_identical() -> None:
    result = diff(BASE, BASE)
    assert result.identical and result.changes == () and result.frontmatter == ()
    assert result.summary.added == result.summary.removed == result.summary.frontmatter == 0


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_each_seed_diffed_with_itself_is_identical(path: object) -> None:
    agent = read_agent(str(path))
    assert diff_agents(agent, agent).identical


def test_reworded_bullet_has_similarity_redline_and_both_lines() -> None:
    new = BASE.replace("Keep review comments short and specific", "Keep review comments short, kind and specific")
    change = only(diff(BASE, new))
    assert (change.op, change.kind, change.item_kind) == ("reworded", "item", "bullet")
    assert change.old is not None and change.new is not None
    assert change.old.line == change.new.line == 16 and change.old.section == "Rules"
    assert change.similarity is not None and 0.8 < change.similarity < 1
    assert [(s.op, s.text) for s in change.redline if s.op != "equal"] == [("insert", ", kind")]


def test_opposite_polarity_is_a_rewording_that_names_the_flip() -> None:
    """ "Always run" becoming "Never run" is reported, as reworded, with the polarity named."""
    new = BASE.replace("Always run the test suite", "Never run the test suite")
    change = only(diff(BASE, new))
    assert change.op == "reworded" and change.polarity == "negated"
    back = only(diff(new, BASE))
    assert back.polarity == "affirmed"


def test_removed_and_added_bullets() -> None:
    new = BASE.replace("- Check every new dependency for known vulnerabilities\n", "")
    change = only(diff(BASE, new))
    assert change.op == "removed" and change.old is not None and change.old.line == 15 and change.new is None
    change = only(diff(new, BASE))
    assert change.op == "added" and change.new is not None and change.new.line == 15 and change.old is None


def test_bullet_moved_to_another_section_is_one_move() -> None:
    line = "- Keep review comments short and specific\n"
    new = BASE.replace(line, "").replace(
        "- A list of findings ordered by severity\n", "- A list of findings ordered by severity\n" + line
    )
    change = only(diff(BASE, new))
    assert change.op == "moved" and change.similarity == 1.0 and not change.edited
    assert change.old is not None and change.new is not None
    assert (change.old.section, change.new.section) == ("Rules", "Output")


def test_moved_and_edited_bullet_has_similarity_below_one() -> None:
    line = "- Keep review comments short and specific\n"
    edited = "- Keep review comments short and very specific\n"
    new = BASE.replace(line, "").replace(
        "- A list of findings ordered by severity\n", "- A list of findings ordered by severity\n" + edited
    )
    change = only(diff(BASE, new))
    assert change.op == "moved" and change.similarity is not None and MOVE_CUTOFF <= change.similarity < 1


def test_reordered_bullets_are_not_a_change_but_reordered_steps_are() -> None:
    """Bullet order carries no meaning; the order of numbered steps does."""
    first = "- Always run the test suite before approving a change\n"
    second = "- Check every new dependency for known vulnerabilities\n"
    bullets = BASE.replace(first + second, second + first)
    assert diff(BASE, bullets).identical
    steps = BASE.replace(
        "1. Read the description of the pull request\n2. Read the diff file by file\n",
        "1. Read the diff file by file\n2. Read the description of the pull request\n",
    )
    change = only(diff(BASE, steps))
    assert change.op == "moved" and change.kind == "item" and change.item_kind == "ordered"
    assert change.old is not None and change.new is not None and change.old.section == change.new.section == "Steps"


def test_renamed_heading_is_a_reworded_section() -> None:
    change = only(diff(BASE, BASE.replace("## Rules", "## Review Principles")))
    assert (change.op, change.kind) == ("reworded", "section")
    assert change.old is not None and change.old.text == "Rules" and change.old.line == 12


def test_section_moved_with_its_items_is_one_section_move() -> None:
    """Swapping two sections reports one section move and none of the items inside it."""
    rules = BASE[BASE.index("## Rules") : BASE.index("## Steps")]
    new = BASE.replace(rules, "").replace("## Output", rules + "## Output")
    change = only(diff(BASE, new))
    assert (change.op, change.kind) == ("moved", "section")
    assert change.old is not None and change.old.text in ("Rules", "Steps")


def test_removed_section_reports_the_section_and_its_items() -> None:
    output = BASE[BASE.index("## Output") :]
    result = diff(BASE, BASE.replace(output, ""))
    assert [(c.op, c.kind) for c in result.changes] == [("removed", "section"), ("removed", "item")]
    assert all(c.context == "Output" and c.context_removed for c in result.changes)


def test_empty_side_adds_everything() -> None:
    """An empty old side (a new file) reports every field, section and item as added."""
    result = diff("", BASE)
    assert {c.op for c in result.changes} == {"added"} and {f.op for f in result.frontmatter} == {"added"}
    assert result.summary.added == 4 + 8  # sections, items
    assert [f.key for f in result.frontmatter] == ["name", "description", "tools", "model"]


def test_tools_compare_as_a_set_whatever_their_spelling() -> None:
    """``Read, Grep`` equals the YAML list [Grep, Read]; adding Bash widens."""
    listed = BASE.replace("tools: Read, Grep", "tools:\n  - Grep\n  - Read")
    assert diff(BASE, listed).identical
    wider = diff(BASE, BASE.replace("tools: Read, Grep", "tools: Read, Grep, Bash"))
    (change,) = wider.frontmatter
    assert change.op == "changed" and change.added_names == ("Bash",) and change.widened
    narrower = diff(BASE, BASE.replace("tools: Read, Grep", "tools: Read"))
    assert narrower.frontmatter[0].removed_names == ("Grep",) and not narrower.frontmatter[0].widened


def test_dropping_the_tools_key_widens_to_every_tool() -> None:
    (change,) = diff(BASE, BASE.replace("tools: Read, Grep\n", "")).frontmatter
    assert change.op == "removed" and change.widened


def test_dropping_the_whole_frontmatter_still_widens_to_every_tool() -> None:
    """A file that keeps its body but loses its ``---`` block inherits every tool too."""
    body = BASE.split("---\n", 2)[2]
    tools = [f for f in diff(BASE, body).frontmatter if f.key == "tools"]
    assert [(f.op, f.widened) for f in tools] == [("removed", True)]


def test_a_deleted_file_widens_nothing() -> None:
    """An empty new side (the file deleted) removes every key, ``tools`` without a widening."""
    result = diff(BASE, "")
    assert {f.op for f in result.frontmatter} == {"removed"} and "tools" in {f.key for f in result.frontmatter}
    assert not any(f.widened for f in result.frontmatter)


def test_model_change_is_a_changed_key_with_lines() -> None:
    (change,) = diff(BASE, BASE.replace("model: sonnet", "model: opus")).frontmatter
    assert (change.op, change.key, change.old, change.new) == ("changed", "model", "sonnet", "opus")
    assert change.old_line == change.new_line == 5


def test_description_is_diffed_as_prose_and_its_examples_as_a_set() -> None:
    one = "<example>Context: a PR\\nuser: review it\\nassistant: on it</example>"
    two = "<example>Context: a hotfix\\nuser: check it\\nassistant: checking</example>"
    old = BASE.replace("Reviews pull requests for security problems.", f"Reviews pull requests. {one} {two}")
    swapped = BASE.replace("Reviews pull requests for security problems.", f"Reviews pull requests. {two} {one}")
    assert diff(old, swapped).identical
    reworded = BASE.replace("Reviews pull requests for security problems.", f"Reviews every pull request. {one}")
    changes = diff(old, reworded).frontmatter
    assert [(c.op, c.part) for c in changes] == [("reworded", "text"), ("removed", "example")]
    assert changes[0].similarity is not None and 0 < changes[0].similarity < 1
    assert "a hotfix" in str(changes[1].old)


def test_nested_values_are_described_by_deepdiff_loaded_only_when_needed() -> None:
    """deepdiff is not imported for equal frontmatters nor for scalar changes, only nested ones."""
    sys.modules.pop("deepdiff", None)
    diff(BASE, BASE)
    diff(BASE, BASE.replace("model: sonnet", "model: opus"))
    assert "deepdiff" not in sys.modules
    hooks = BASE.replace("model: sonnet", "model: sonnet\nhooks:\n  pre: [lint]")
    (change,) = diff(hooks, hooks.replace("[lint]", "[lint, test]")).frontmatter
    assert change.op == "changed" and change.details and "deepdiff" in sys.modules


def test_names_reads_comma_strings_lists_and_spaces() -> None:
    assert names("Read, Grep") == names(["Read", "Grep"]) == names("Read Grep") == ("Read", "Grep")
    assert names("Grep Read Grep") == ("Grep", "Read")
    assert names(None) == ()
    assert names("Bash(git log:*)") == ("Bash(git log:*)",)


def test_redline_joins_a_replacement_into_one_run() -> None:
    segments = redline("use the old fast way", "use the new slow way")
    assert [(s.op, s.text) for s in segments] == [
        ("equal", "use the "),
        ("delete", "old fast"),
        ("insert", "new slow"),
        ("equal", " way"),
    ]


def test_pair_exact_pairs_repeats_in_order() -> None:
    assert pair_exact({0: "a", 1: "b", 2: "a"}, {5: "a", 6: "a"}) == [(0, 5), (2, 6)]


def test_pair_fuzzy_is_one_to_one_and_best_first() -> None:
    pairs = pair_fuzzy({0: "run the unit tests", 1: "run the tests"}, {0: "run the unit tests now"}, 0.6)
    assert [(i, j) for i, j, _ in pairs] == [(0, 0)]


@pytest.mark.parametrize("value", [-0.01, 1.01])
def test_cutoffs_outside_0_to_1_are_refused(value: float) -> None:
    with pytest.raises(ValueError):
        validate_cutoff(value)
    with pytest.raises(ValueError):
        diff(BASE, BASE, threshold=value)


def test_renumbered_headings_are_not_a_rename() -> None:
    """ "## 2. Goals" becoming "## 3. Goals" is numbering, not a new title."""
    old = "## 1. Scope\n\n- Only backend code\n\n## 2. Goals\n\n- Fast reviews\n"
    new = "## 1. Scope\n\n- Only backend code\n\n## 3. Goals\n\n- Fast reviews\n"
    assert diff(old, new).identical


def test_repeated_titles_pair_by_their_content() -> None:
    """Three "Example" sections with one removed: the removed one is named, the others stay."""
    block = "### Example\n\n- {0} first line of the example\n- {0} second line of the example\n\n"
    old = "## Examples\n\n" + "".join(block.format(word) for word in ("alpha", "beta", "gamma"))
    new = "## Examples\n\n" + "".join(block.format(word) for word in ("alpha", "gamma"))
    result = diff(old, new)
    assert [(c.op, c.kind) for c in result.changes] == [
        ("removed", "section"),
        ("removed", "item"),
        ("removed", "item"),
    ]
    assert all(c.old is not None and c.old.line >= 8 for c in result.changes)
    assert all(c.old is not None and "beta" in c.old.text for c in result.changes if c.kind == "item")


def test_an_edited_line_crossing_into_a_checklist_is_not_a_move() -> None:
    """Between sections of different roles (rules, done-checklist) only a near-verbatim copy moves."""
    old = (
        "## Rules\n\n- Run the full test suite before approving a change\n- Keep diffs small\n\n"
        "## Definition of Done\n\n- [ ] Docs updated\n"
    )
    edited = "Run the test suite before you approve the change"
    assert (
        MOVE_CUTOFF <= similarity("Run the full test suite before approving a change", edited) < CROSS_ROLE_MOVE_CUTOFF
    )
    new = old.replace("- Run the full test suite before approving a change\n", "").replace(
        "- [ ] Docs updated\n", f"- [ ] Docs updated\n- [ ] {edited}\n"
    )
    assert sorted(c.op for c in diff(old, new).changes) == ["added", "removed"]
    same_role = old.replace("## Definition of Done\n\n- [ ] Docs updated\n", "## Principles\n\n- Docs are updated\n")
    moved = same_role.replace("- Run the full test suite before approving a change\n", "").replace(
        "- Docs are updated\n", f"- Docs are updated\n- {edited}\n"
    )
    assert [c.op for c in diff(same_role, moved).changes] == ["moved"]


def test_ticking_a_task_box_is_a_change_that_says_so() -> None:
    """ "- [ ] x" becoming "- [x] x" is reported (as reworded) and the report says "ticked"."""
    from agentmerge.render import change_description, diff_to_dict

    result = diff(
        "## Done\n\n- [ ] Tests pass\n- [ ] Docs updated\n", "## Done\n\n- [x] Tests pass\n- [ ] Docs updated\n"
    )
    change = only(result)
    assert change.op == "reworded" and change.old is not None and change.new is not None
    assert (change.old.checked, change.new.checked) == (False, True)
    assert "ticked" in change_description(change)
    assert diff_to_dict(result)["changes"][0]["new"]["checked"] is True


def test_a_heavy_rewording_in_place_is_one_rewording() -> None:
    """The lone bullet replaced between unchanged neighbours pairs at a lower similarity."""
    new = BASE.replace(
        "Check every new dependency for known vulnerabilities", "Scan every added package for security issues"
    )
    score = similarity(
        "Check every new dependency for known vulnerabilities", "Scan every added package for security issues"
    )
    assert ITEM_CUTOFF - IN_PLACE_ALLOWANCE <= score < ITEM_CUTOFF
    change = only(diff(BASE, new))
    assert change.op == "reworded" and change.old is not None and change.old.line == 15


def test_an_unrelated_replacement_in_place_stays_a_removal_and_an_addition() -> None:
    new = BASE.replace("Check every new dependency for known vulnerabilities", "Go home early on Fridays")
    assert sorted(c.op for c in diff(BASE, new).changes) == ["added", "removed"]


def test_two_replacements_between_the_same_neighbours_are_not_guessed() -> None:
    """With two bullets gone and two come in one gap, only similarity pairs them."""
    new = BASE.replace(
        "Check every new dependency for known vulnerabilities", "Scan every added package for security issues"
    ).replace("Keep review comments short and specific", "Prefer questions over orders")
    ops = sorted(c.op for c in diff(BASE, new).changes)
    assert ops == ["added", "added", "removed", "removed"]
