"""The canonical agent writer: parse, write, parse gives the same model, and writing is stable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SEEDS
from conftest import model_shape as shape

from agentmerge.model import Agent
from agentmerge.parse import parse_bytes, parse_text
from agentmerge.writer import render_agent

CASES = sorted(p for p in (ROOT / "tests" / "cases" / "parse").iterdir() if p.suffix in (".md", ".mdc"))


def assert_round_trip(agent: Agent) -> str:
    """Assert that writing ``agent`` and parsing it again keeps its model, and that writing is stable."""
    written = render_agent(agent)
    again = parse_text(written, agent.path)  # the same format: a Cursor rule keeps its globs unquoted
    assert shape(again) == shape(agent)
    assert render_agent(again) == written
    return written


@pytest.mark.parametrize("text", [">[1]:1", "> [a]: /url\n> more\n", "- > [1]: x\n"])
def test_a_quote_of_a_link_definition_is_held_once(text: str) -> None:
    """A block quote holding a link definition (no paragraph inside) is one quote: its line is not
    also a line the parser lost, which made a second item of it and wrote it twice."""
    agent = parse_text(text, "quote.md")
    assert agent.warnings == ()
    assert [item.text for _, item in agent.items() if item.kind == "paragraph"] == []
    assert_round_trip(agent)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_round_trips(seed: Path) -> None:
    """Every seed survives parse, write, parse unchanged, and its written form is a fixed point."""
    assert_round_trip(parse_bytes(seed.read_bytes(), seed.name))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_round_trips(case: Path) -> None:
    """Every small construct case survives parse, write, parse unchanged."""
    assert_round_trip(parse_bytes(case.read_bytes(), case.name))


def test_frontmatter_is_strict_yaml_in_stable_key_order() -> None:
    """Written frontmatter loads with a strict YAML loader, name and description first."""
    agent = parse_text("---\nmodel: opus\ndescription: Use: this\ntools: [Read]\nname: x\n---\nBody\n", "a.md")
    written = assert_round_trip(agent)
    block = written.split("---\n")[1]
    assert list(yaml.safe_load(block)) == ["name", "description", "model", "tools"]
    assert yaml.safe_load(block)["description"] == "Use: this"


def test_multiline_description_is_written_as_literal_block() -> None:
    """A description with line breaks is written as a ``|`` block that reads like the source."""
    agent = parse_text("---\nname: x\ndescription: a\\nb\\n<example>user: hi</example>\n---\n", "a.md")
    written = assert_round_trip(agent)
    assert "description: |-\n  a\n  b\n" in written


def test_numbered_label_item_stays_an_item_in_its_list() -> None:
    """``1. **Label:**`` over a sub-list is an item like its neighbours, written back in place."""
    source = "## Rules\n\n1. First\n2. **Escalate:**\n   - data loss\n3. Last\n"
    agent = parse_text(source, "a.md")
    rules = agent.body.sections[0]
    assert [i.text for i in rules.items] == ["First", "**Escalate:**", "Last"]
    assert [c.text for c in rules.items[1].children] == ["data loss"]
    written = assert_round_trip(agent)
    assert "2. **Escalate:**\n   - data loss\n3. Last" in written


def test_typographic_bullets_are_written_as_list_items() -> None:
    """``•`` points of a paragraph are written as ``-`` items and read back as the same items."""
    agent = parse_text("Habits:\n• Ask first.\n• Keep it small.\n", "a.md")
    assert [i.text for i in agent.body.sections[0].items] == ["Ask first.", "Keep it small."]
    written = assert_round_trip(agent)
    assert "- Ask first.\n- Keep it small." in written


def test_pseudo_heading_title_with_bold_inside_is_written_with_underscores() -> None:
    """A ``Label:`` title holding ``**`` is written ``__Title:__`` so the bold does not end early."""
    agent = parse_text("Use **flushSync** when:\n- you must\n", "a.md")
    assert agent.body.sections[0].title == "Use **flushSync** when"
    written = assert_round_trip(agent)
    assert "__Use **flushSync** when:__" in written


def test_item_without_text_keeps_its_first_child_on_the_marker_line() -> None:
    """``- > quote`` is written back on one line: a marker alone before a blank line would end the item."""
    agent = parse_text("- > 90: proceed\n- plain\n", "a.md")
    first = agent.body.items[0]
    assert (first.text, first.children[0].kind, first.children[0].text) == ("", "quote", "90: proceed")
    assert assert_round_trip(agent).startswith("- > 90: proceed\n")


@pytest.mark.parametrize(
    "text",
    [
        "1. Run the checks:\n   - unit tests\n\n   Stop at the first failure.\n2. Next.\n",
        "- Build it:\n\n  ```sh\n  make dist\n  ```\n\n  Upload only what it built.\n",
        "- Compare:\n\n  > quoted\n\n  Then decide.\n",
        # Lazy lines of that paragraph that look like a table stay lazy, so they stay its text.
        "- Compare:\n\n  > quoted\n\n  Then decide:\n| a | b |\n|---|---|\n",
    ],
)
def test_a_paragraph_after_an_items_sub_list_or_block_stays_after_it(text: str) -> None:
    """The paragraph is the item's last child, on its own line, and is written back after the
    block it follows (it was folded into the item's opening text and written before the block)."""
    agent = parse_text(text, "a.md")
    last = agent.body.items[0].children[-1]
    assert last.kind == "paragraph"
    assert last.line == text.count("\n", 0, text.index(last.text)) + 1
    assert last.text not in agent.body.items[0].text
    assert assert_round_trip(agent) == text


def test_quote_in_a_list_item_has_no_marker_in_its_text() -> None:
    """A block quote opening a nested list item holds only its own text, not ``- >``."""
    agent = parse_text("- parent\n  - >100K users\n", "a.md")
    assert agent.body.items[0].children[0].children[0].text == "100K users"
    assert_round_trip(agent)


def test_table_in_a_list_item_loses_the_list_indentation() -> None:
    """Table rows inside a list item are stored without the item's indentation."""
    agent = parse_text("1. Route:\n\n   | a | b |\n   |---|---|\n   | 1 | 2 |\n", "a.md")
    table = agent.body.items[0].children[0]
    assert table.text == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert_round_trip(agent)


def test_lazy_table_like_lines_in_an_item_stay_text() -> None:
    """Unindented table-like lines continuing a list item's text are written lazily again, not as a table."""
    agent = parse_text("- Types:\na | b\n|---|---|\n| 1 | 2 |\n", "a.md")
    assert agent.body.items[0].children == ()
    assert assert_round_trip(agent).startswith("- Types:\na | b\n")


def test_paragraph_that_looks_like_a_list_item_stays_a_paragraph() -> None:
    """A paragraph whose text starts with ``- `` (behind a no-break space) is not turned into a list."""
    agent = parse_text("\u00a0- **Name**: x\n", "a.md")
    assert agent.body.items[0].kind == "paragraph"
    assert_round_trip(agent)


def test_hard_line_break_spaces_are_kept() -> None:
    """Trailing spaces ending an item's first line (a hard break) survive the round trip."""
    agent = parse_text("- first line  \n  second line\n", "a.md")
    assert agent.body.items[0].text == "first line  \nsecond line"
    assert_round_trip(agent)


@pytest.mark.parametrize(
    "blanks",
    [" ", "\t", " \t", "  \t"],
    ids=["space", "tab", "space-tab", "spaces-tab"],
)
@pytest.mark.parametrize(
    "template",
    [
        "Keep the tests fast.{0}\nRun them before each commit.\n",
        "- Keep the tests fast.{0}\n  Run them before each commit.\n",
        "1. Keep the tests fast.{0}\n   Run them before each commit.\n",
        "> Keep the tests fast.{0}\n> Run them before each commit.\n",
        "Keep the tests fast.{0}\nRun them before each commit.\n=====\n",
    ],
    ids=["paragraph", "bullet", "step", "quote", "setext-title"],
)
def test_blanks_before_a_soft_break_are_nothing(template: str, blanks: str) -> None:
    """Spaces or tabs that end a line inside a paragraph, an item, a quote or a title, and are not
    a hard break (two spaces or more), are nothing: the model holds none, and ``fmt`` writes the
    file as it writes the one without them."""
    plain = parse_text(template.format(""), "a.md")
    agent = parse_text(template.format(blanks), "a.md")
    assert shape(agent) == shape(plain)
    assert assert_round_trip(agent) == render_agent(plain)


def test_a_hard_break_of_more_than_two_spaces_is_two() -> None:
    """A hard break is two spaces or more: the model holds two, so three and two write alike."""
    agent = parse_text("First line   \nsecond line\n", "a.md")
    assert agent.body.items[0].text == "First line  \nsecond line"
    assert render_agent(agent) == render_agent(parse_text("First line  \nsecond line\n", "a.md"))


def test_blanks_ending_a_line_of_code_in_a_quote_are_kept() -> None:
    """A quote that holds a fence keeps its lines as written: blanks in code are the code's."""
    agent = parse_text("> ```\n> line one \n> ```\n", "a.md")
    assert "line one \n" in agent.body.items[0].text
    assert_round_trip(agent)


def test_body_is_normalised() -> None:
    """Setext headings become ``#``, ``*`` bullets ``-``; an ordered list keeps the number it
    starts from, as Markdown renders it (``3.`` under a heading continues the steps above), and
    numbers on from there whatever its later markers say."""
    written = render_agent(parse_text("Title\n=====\n\n* a\n* b\n\n3. c\n3. d\n", "a.md"))
    assert written == "# Title\n\n- a\n- b\n\n3. c\n4. d\n"
    assert render_agent(parse_text("1. a\n1. b\n1. c\n", "a.md")) == "1. a\n2. b\n3. c\n"


def test_steps_numbered_across_headings_keep_their_numbers() -> None:
    """Steps numbered on across phase headings keep their numbers, and a model whose list starts
    elsewhere is not the same model (fmt keeps it)."""
    from agentmerge.writer import same_model

    text = "## Phase 1\n\n1. Gather context\n2. Reproduce the bug\n\n## Phase 2\n\n3. Find the root cause\n"
    agent = parse_text(text, "a.md")
    assert render_agent(agent) == text
    restarted = parse_text(text.replace("3. Find", "1. Find"), "a.md")
    assert not same_model(agent, restarted)
    assert same_model(agent, parse_text(text.replace("2. Reproduce", "1. Reproduce"), "a.md"))


def test_label_line_kept_apart_from_a_following_list_by_a_rule() -> None:
    """A ``Label:`` paragraph that a rule kept from its list is written with a rule, staying a paragraph."""
    agent = parse_text("Steps:\n\n---\n\n- one\n", "a.md")
    assert agent.body.items[0].kind == "paragraph"
    written = assert_round_trip(agent)
    assert written == "Steps:\n\n---\n\n- one\n"


def test_label_line_over_a_list_stays_a_pseudo_heading_without_a_rule() -> None:
    """A ``Label:`` paragraph directly over its list is a pseudo-heading and is written as one."""
    written = assert_round_trip(parse_text("Steps:\n- one\n", "a.md"))
    assert written == "**Steps:**\n\n- one\n"


def test_a_label_line_wrapped_over_two_lines_is_the_same_pseudo_heading() -> None:
    """A lead-in re-wrapped to fit a width is one sentence still: the same pseudo-heading over the
    same list, where it was a paragraph and the list left its section; so is one bold span broken
    over lines. Lines that are not one sentence broken (a bold title over a lead-in, a sentence
    ending at the break, a plain line going on in capitals) stay a paragraph."""
    one = parse_text("When you review a pull request, check each of the following:\n\n- Tests\n", "a.md")
    two = parse_text("When you review a pull request, check each of\nthe following:\n\n- Tests\n", "a.md")
    (section,) = two.body.sections
    assert (section.kind, section.title) == ("pseudo", "When you review a pull request, check each of the following")
    assert [s.title for s in one.body.sections] == [section.title]
    assert [i.text for i in section.items] == ["Tests"]
    assert assert_round_trip(two) == "**When you review a pull request, check each of the following:**\n\n- Tests\n"
    bold = parse_text("**Streaming solutions with\nAWS Kinesis and other services:**\n\n- Shards\n", "a.md")
    assert [(s.kind, s.title) for s in bold.body.sections] == [
        ("pseudo", "Streaming solutions with AWS Kinesis and other services")
    ]
    for text in (
        "**Code structure**\nWhen asked for a backend, do this:\n\n- Tests\n",
        "Be brief.\nCheck these:\n\n- Tests\n",
        "Review the change\nCheck these:\n\n- Tests\n",
    ):
        agent = parse_text(text, "a.md")
        assert not agent.body.sections and agent.body.items[0].kind == "paragraph", text


def test_a_wrapped_label_line_kept_apart_from_its_list_by_a_rule_keeps_the_rule() -> None:
    """The writer guards a wrapped ``Label:`` paragraph as it does a one-line one (``is_label_line``)."""
    text = "Check each of\nthe following:\n\n---\n\n- one\n"
    agent = parse_text(text, "a.md")
    assert agent.body.items[0].kind == "paragraph"
    assert assert_round_trip(agent) == text


def test_bullet_that_would_be_a_rule_gets_another_marker() -> None:
    """``* --`` is a bullet; written ``- --`` it would be a thematic break, so ``+`` is used."""
    agent = parse_text("* --\n", "a.md")
    assert assert_round_trip(agent) == "+ --\n"


def test_heading_title_ending_in_hash_keeps_it() -> None:
    """A title ending in `` #`` gets a closing sequence so the ``#`` stays part of the title."""
    agent = parse_text("## C # #\n", "a.md")
    assert agent.body.sections[0].title == "C #"
    assert assert_round_trip(agent) == "## C # #\n"


def test_code_info_with_backtick_uses_a_tilde_fence() -> None:
    """An info string holding a backtick can only follow a tilde fence."""
    agent = parse_text("~~~ a`b\ncode\n~~~\n", "a.md")
    assert agent.body.items[0].info == "a`b"
    assert assert_round_trip(agent).startswith("~~~a`b\n")


def test_empty_sub_list_item_after_text_does_not_underline_it() -> None:
    """An empty first sub-item is written after a blank line; ``-`` under text would make a heading."""
    agent = parse_text("1. text\n\n   -\n   - two\n", "a.md")
    assert [c.text for c in agent.body.items[0].children] == ["", "two"]
    assert_round_trip(agent)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("4. Four\n\n\t5. Five\n", "4. Four\n\n   5. Five\n"),
        ("- Parent\n  - a\n\n  3. b\n", "- Parent\n  - a\n\n  3. b\n"),
        ("- Parent\n  1. a\n", "- Parent\n  1. a\n"),
    ],
)
def test_a_sub_list_numbered_past_one_is_written_apart_from_the_text_above_it(text: str, written: str) -> None:
    """A numbered list that starts past 1 cannot interrupt a paragraph: written right under its
    parent's text, ``5.`` read back as more of that text. A blank line goes before it; a list that
    starts at 1 stays tight."""
    assert assert_round_trip(parse_text(text, "a.md")) == written


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("- 3. a\n  4. b\n", "- 3. a\n  4. b\n"),
        ("- 3. a\n  7. b\n", "- 3. a\n  4. b\n"),
        ("- 0.\n", "- 0.\n"),
        ("- - a\n  1. b\n", "- - a\n  1. b\n"),
    ],
)
def test_a_numbered_list_on_a_bullets_marker_line_keeps_its_first_number(text: str, written: str) -> None:
    """``- 3. a`` is a bullet holding a list that starts at 3: written ``- 1. a``, it started at 1."""
    agent = parse_text(text, "a.md")
    assert assert_round_trip(agent) == written


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("   - \n     code\n    - a\n", "-    code\n    - a\u00a0\n"),
        ("   1. x\n     1. y\n", "1.    x\n    1. y\u00a0\n"),
        ("- parent\n     - child\n      - a\n", "- parent\n  -    child\n      - a\u00a0\n"),
        ("   - [x] x\n    - a\n", "-    [x] x\n    - a\u00a0\n"),
    ],
)
def test_a_lazy_line_that_starts_like_a_block_stays_in_its_paragraph(text: str, written: str) -> None:
    """``- a`` four columns in but short of the item's content continues its paragraph; written at
    the content's column it would open a list, so the content moves past the fifth column."""
    agent = parse_text(text, "a.md")
    assert any(line[:1] in "-1" for i in agent.body.items[0].walk() for line in i.text.split("\n")[1:])
    assert assert_round_trip(agent) == written


def test_annotation_removal_never_leaves_a_setext_underline() -> None:
    """``a`` over ``=== <!-- x.md:1 -->`` keeps its comment: removed, ``===`` would underline ``a``."""
    agent = parse_text("a\n=== <!-- x.md:1 -->\n", "a.md")
    assert agent.body.items[0].text == "a\n=== <!-- x.md:1 -->"
    assert_round_trip(agent)
    agent = parse_text("Do it. <!-- x.md:1, y.md:2 --> <!-- z.md:3 -->\n", "a.md")
    assert agent.body.items[0].text == "Do it."


def test_long_label_line_over_a_list_is_written_without_a_rule() -> None:
    """A ``...:`` paragraph too long to be a pseudo-heading needs no rule before its list."""
    text = "When you review code, you will check every one of the following points before approving:\n- a\n"
    agent = parse_text(text, "a.md")
    assert agent.body.items[0].kind == "paragraph"
    assert assert_round_trip(agent) == text.replace(":\n-", ":\n\n-")


def test_multi_line_setext_title_with_pipe_is_not_written_as_a_table() -> None:
    """A setext title whose line holds "|" keeps a one-character underline, so no table appears."""
    agent = parse_text("1\n1|\n-\n", "pipe.md")
    written = render_agent(agent)
    again = parse_text(written, "pipe.md")
    assert [s.title for s in again.body.sections] == ["1\n1|"]
    assert render_agent(again) == written


@pytest.mark.parametrize("escape", ["\\N", "\\L", "\\P"])
def test_a_value_holding_a_yaml_line_break_character_round_trips(escape: str) -> None:
    """U+0085, U+2028 and U+2029 are line breaks to YAML: written as they are, U+0085 read back
    as a space and fmt refused the file. They are written escaped."""
    agent = parse_text(f'---\nname: a\ndescription: "one{escape}two"\nglobs: "x{escape}y"\n---\n\n- Use it.\n', "r.mdc")
    written = assert_round_trip(agent)
    assert escape in written


def _ordered_lists(markdown: str) -> list[tuple[str | None, list[str]]]:
    """Each ordered list markdown-it reads in ``markdown``: its start attribute and its items' texts."""
    from markdown_it import MarkdownIt

    found: list[tuple[str | None, list[str]]] = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "ordered_list_open":
            start = token.attrGet("start")
            found.append((None if start is None else str(start), []))
        elif token.type == "inline" and found and token.level >= 3:
            found[-1][1].append(token.content)
    return found


@pytest.mark.parametrize(
    "body",
    [
        "1. Install\n2. Build\n\n1) Deploy\n2) Verify\n",
        "1) Install\n2) Build\n\n1. Deploy\n2. Verify\n\n1) Roll back\n",
        "1. Install\n2. Build\n\n---\n\n1. Deploy\n",
        "- Steps:\n  1. Install\n  2. Build\n\n  1) Deploy\n",
        "- 1. Install\n\n  1) Deploy\n  2) Verify\n",
    ],
    ids=["dot-paren", "three", "rule", "nested", "nested-first"],
)
def test_an_ordered_list_straight_after_another_stays_a_list_of_its_own(body: str) -> None:
    """Two ordered lists one after another (``1.`` items, then ``1)`` ones, or apart by a rule the
    model does not keep) are numbered apart; fmt wrote them as one list, the second's steps
    numbered on from the first's, and called the file's meaning unchanged. The lists and their
    numbers are read back as written, and the form is a fixed point."""
    agent = parse_text(f"---\nname: steps\ndescription: d\n---\n\n{body}", "s.md")
    written = render_agent(agent)
    assert written == render_agent(parse_text(written, "s.md"))
    source_lists = _ordered_lists(body)
    assert [items for _, items in _ordered_lists(written)] == [items for _, items in source_lists], written
    assert [start or "1" for start, _ in _ordered_lists(written)] == [start or "1" for start, _ in source_lists]
