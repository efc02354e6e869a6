"""Frontmatter reading: strict YAML first, the lenient loader for what real agent files contain."""

from __future__ import annotations

from pathlib import Path

from conftest import SEEDS, run_cli

from agentmerge.model import Agent
from agentmerge.parse import parse_text, read_agent, respelled_value, yaml_comments
from agentmerge.writer import render_agent


def values(agent: Agent) -> dict[str, object]:
    return {f.key: f.value for f in agent.fields}


def messages(agent: Agent) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in agent.warnings]


def test_valid_yaml_is_read_strictly_without_warnings() -> None:
    """Valid frontmatter keeps key order, types and each key's line, and warns about nothing."""
    agent = parse_text("---\nname: a\ntools: [Read, Grep]\ntemperature: 0.2\nmodel: opus\n---\nBody\n", "a.md")
    assert [(f.key, f.line) for f in agent.fields] == [("name", 2), ("tools", 3), ("temperature", 4), ("model", 5)]
    assert values(agent)["tools"] == ["Read", "Grep"]
    assert values(agent)["temperature"] == 0.2
    assert agent.warnings == ()


def test_block_value_records_its_last_line() -> None:
    """A multi-line value's end_line is its last line, not the next key's."""
    agent = parse_text("---\nname: a\ndescription: |\n  one\n  two\nmodel: opus\n---\n", "a.md")
    description = agent.field("description")
    assert description is not None
    assert (description.line, description.end_line) == (3, 5)
    assert description.value == "one\ntwo\n"


def test_seed_004_escaped_description_is_recovered_with_examples() -> None:
    """Seed 004's invalid one-line description is unescaped and its <example> blocks structured."""
    agent = read_agent(next(p for p in SEEDS if p.name.startswith("004")))
    assert values(agent)["name"] == "backend-engineer"
    assert values(agent)["model"] == "inherit"
    description = agent.field("description")
    assert description is not None and isinstance(description.value, str)
    assert "\\n" not in description.value
    assert "\n" in description.value
    assert len(description.examples) >= 2
    assert all(e.user and e.assistant for e in description.examples)
    assert any("keys were read leniently" in message for _, message in messages(agent))


def test_examples_are_split_into_context_user_assistant_commentary() -> None:
    """Each <example> block yields its parts, quotes removed, and its whole text."""
    text = (
        "---\nname: x\ndescription: Use it. Examples:\\n<example>\\nContext: a user needs help\\n"
        'user: "Do it"\\nassistant: I will\\n<commentary>Because.</commentary>\\n</example>\n---\n'
    )
    example = parse_text(text, "x.md").fields[1].examples[0]
    assert example.context == "a user needs help"
    assert example.user == "Do it"
    assert example.assistant == "I will"
    assert example.commentary == "Because."
    assert example.text.startswith("Context:") and example.text.endswith("</commentary>")


def test_description_starting_with_double_star_is_kept_verbatim() -> None:
    """``description: **Expert** ...`` (an alias mark to YAML) is kept as text, with a warning."""
    agent = parse_text("---\nname: s\ndescription: **Expert** reviewer\ntools: Read\n---\n", "s.md")
    assert values(agent) == {"name": "s", "description": "**Expert** reviewer", "tools": "Read"}
    assert messages(agent) == [(3, "frontmatter is not valid YAML (a value starts with '*'); keys were read leniently")]


def test_description_starting_with_single_star_is_kept_verbatim() -> None:
    """``description: *Use* this`` is kept as text, not dropped or read as an alias."""
    agent = parse_text("---\ndescription: *Use* this agent\n---\n", "s.md")
    assert values(agent) == {"description": "*Use* this agent"}
    assert agent.warnings


def test_cursor_globs_pattern_is_kept_and_other_keys_keep_their_types() -> None:
    """Cursor's ``globs: *.ts`` stays the string ``*.ts``; ``alwaysApply: false`` stays a bool.

    Cursor reads ``globs`` as the rest of its line, so in a rule that form is no problem to warn
    of; the same line in a file of another format is invalid YAML read leniently."""
    text = "---\ndescription: TS rules\nglobs: *.ts\nalwaysApply: false\n---\n- rule\n"
    agent = parse_text(text, "r.mdc")
    assert values(agent) == {"description": "TS rules", "globs": "*.ts", "alwaysApply": False}
    assert [(f.key, f.line) for f in agent.fields] == [("description", 2), ("globs", 3), ("alwaysApply", 4)]
    assert messages(agent) == []
    elsewhere = parse_text(text, "r.md")
    assert values(elsewhere) == values(agent)
    assert [line for line, _ in messages(elsewhere)] == [3]


def test_a_cursor_rule_with_another_yaml_problem_is_warned_of_at_that_line() -> None:
    text = "---\nglobs: **/*.ts\ndescription: Use it when: editing TypeScript\n---\n- rule\n"
    agent = parse_text(text, "rules/ts.mdc")
    assert values(agent) == {"globs": "**/*.ts", "description": "Use it when: editing TypeScript"}
    assert messages(agent) == [
        (3, "frontmatter is not valid YAML (unquoted ': ' inside a value); keys were read leniently")
    ]


def test_unquoted_colon_in_description_is_recovered() -> None:
    """``description: Use this: it helps`` is read as one string, with a warning on its line."""
    agent = parse_text("---\nname: a\ndescription: Use this: it helps\nmodel: opus\n---\n", "a.md")
    assert values(agent) == {"name": "a", "description": "Use this: it helps", "model": "opus"}
    assert messages(agent) == [
        (3, "frontmatter is not valid YAML (unquoted ': ' inside a value); keys were read leniently")
    ]


def test_prose_lines_in_a_multiline_description_do_not_become_keys() -> None:
    """Real line breaks with ``Examples:``, ``user:``, ``assistant:``, ``Context:`` continue the value."""
    text = (
        "---\nname: reviewer\ndescription: Review pull requests: read the diff\n  and comment.\n"
        "Examples:\nuser: Please review\nassistant: I will use the reviewer\nContext: a review\nmodel: opus\n---\n"
    )
    agent = parse_text(text, "r.md")
    assert [f.key for f in agent.fields] == ["name", "description", "model"]
    description = agent.field("description")
    assert description is not None and isinstance(description.value, str)
    assert "user: Please review" in description.value
    assert "Context: a review" in description.value
    assert (description.line, description.end_line) == (3, 8)


def test_lines_inside_an_open_example_block_do_not_become_keys() -> None:
    """Inside ``<example>`` ... ``</example>``, even a lower-case ``key:`` line continues the value."""
    text = "---\nname: a\ndescription: Use: it\n<example>\nnotes: inside\n</example>\nmodel: opus\n---\n"
    agent = parse_text(text, "a.md")
    assert [f.key for f in agent.fields] == ["name", "description", "model"]


def test_frontmatter_that_is_a_list_is_read_as_markdown_with_a_warning() -> None:
    """A list between the ``---`` lines is not a mapping: no fields, body from line 1, a warning."""
    agent = parse_text("---\n- one\n- two\n---\nBody\n", "l.md")
    assert agent.fields == () and not agent.has_frontmatter
    assert [item.text for item in agent.body.items][:2] == ["one", "two"]
    assert messages(agent) == [(1, "frontmatter is a list, not a mapping of keys; it is read as Markdown")]


def test_frontmatter_that_is_a_scalar_is_read_as_markdown_with_a_warning() -> None:
    """A single value between the ``---`` lines gives no fields and a warning naming line 1."""
    agent = parse_text("---\njust words\n---\n", "s.md")
    assert agent.fields == () and not agent.has_frontmatter
    assert messages(agent) == [(1, "frontmatter is a single value, not a mapping of keys; it is read as Markdown")]


def test_missing_frontmatter_is_not_a_problem() -> None:
    """A file without ``---`` (AGENTS.md) has no fields, no warning, and a body from line 1."""
    agent = parse_text("# AGENTS.md\n\n- rule\n", "AGENTS.md")
    assert agent.fields == () and not agent.has_frontmatter and agent.warnings == ()
    assert agent.body.sections[0].line == 1


def test_unterminated_frontmatter_keeps_every_line_as_markdown() -> None:
    """An opening ``---`` never closed: the whole file is body (nothing lost) and a warning says so."""
    agent = parse_text("---\nname: open\n\n# Heading\n", "u.md")
    assert agent.fields == () and not agent.has_frontmatter
    assert agent.body.items[0].text == "name: open"
    assert agent.body.sections[0].title == "Heading"
    assert messages(agent) == [(1, "frontmatter opened with '---' is never closed; the file is read as Markdown only")]


def test_frontmatter_after_leading_blank_lines_is_read_with_a_warning() -> None:
    """Blank lines before ``---`` do not hide the frontmatter; lines stay those of the file."""
    agent = parse_text("\n\n---\nname: late\n---\n\nBody\n", "b.md")
    assert [(f.key, f.value, f.line) for f in agent.fields] == [("name", "late", 4)]
    assert agent.body.items[0].line == 7
    assert messages(agent) == [(3, "frontmatter starts after blank lines; read as frontmatter anyway")]


def test_duplicate_keys_keep_the_last_value_and_warn() -> None:
    """A key given twice keeps the later value and line; the warning names both lines."""
    agent = parse_text("---\nname: first\nmodel: opus\nname: second\n---\n", "d.md")
    assert values(agent) == {"model": "opus", "name": "second"}
    assert agent.field("name") is not None and agent.field("name").line == 4  # type: ignore[union-attr]
    assert messages(agent) == [(4, "duplicate frontmatter key 'name' (first on line 2); the last value is used")]


def test_keys_that_are_one_python_key_keep_their_own_values() -> None:
    """YAML's ``1``, ``1.0`` and ``true`` are three keys, and one in a Python dict (1 == 1.0 ==
    True), which held the last key's value for all three: ``fmt`` wrote it under each key and the
    others' values were gone, with no warning."""
    agent = parse_text("---\nname: n\n1: first\n1.0: second\ntrue: third\n---\n", "k.md")
    assert values(agent) == {"name": "n", "1": "first", "1.0": "second", "true": "third"}
    assert messages(agent) == []
    again = parse_text(render_agent(agent), "k.md")
    assert values(again) == values(agent)
    # With a key also written twice (``"1"`` and ``1`` are one name), the later keeps its value.
    twice = parse_text("---\nname: n\n'1': a\n1: b\n1.0: c\n---\n", "k.md")
    assert values(twice) == {"name": "n", "1": "b", "1.0": "c"}


def test_alias_is_refused_and_keys_read_as_text() -> None:
    """YAML aliases are never expanded: the lenient loader keeps the raw text and warns."""
    agent = parse_text("---\nbase: &b hello\nother: *b\n---\n", "a.md")
    assert values(agent) == {"base": "hello", "other": "*b"}
    assert any("aliases" in message or "'*'" in message for _, message in messages(agent))


def test_python_tag_is_not_constructed() -> None:
    """A ``!!python/object`` tag builds no object: the value stays text and a warning says why."""
    agent = parse_text("---\nname: x\nevil: !!python/object/apply:os.system ['echo hi']\n---\n", "t.md")
    assert values(agent)["name"] == "x"
    assert isinstance(values(agent)["evil"], str)
    assert any("tag" in message for _, message in messages(agent))


def test_empty_frontmatter_has_no_fields_but_counts_as_frontmatter() -> None:
    """``---`` directly followed by ``---`` is an empty frontmatter block, not body text."""
    agent = parse_text("---\n---\nBody\n", "e.md")
    assert agent.fields == () and agent.has_frontmatter
    assert agent.body.items[0].line == 3


def test_the_quote_a_one_line_value_was_written_in_is_recorded() -> None:
    text = '---\ndescription: \'Rules\'\nglobs: "**/*.ts"\nalwaysApply: false\ntags: ["a"]\nnotes: |\n  x\n---\n'
    agent = parse_text(text, "rules/r.mdc")
    assert {f.key: f.quote for f in agent.fields} == {
        "description": "'",
        "globs": '"',
        "alwaysApply": "",
        "tags": "",
        "notes": "",
    }
    lenient = parse_text("---\ndescription: a: b\nglobs: '*.ts'\n---\n\n- Use it.\n", "rules/r.mdc")
    assert [(f.key, f.quote) for f in lenient.fields] == [("description", ""), ("globs", "'")]


def test_values_safe_yaml_cannot_build_are_read_as_text_with_a_warning_at_their_line() -> None:
    """An impossible date, a bad tagged scalar, a number too long to write as text and a value
    nested hundreds of levels deep are valid YAML syntax that the safe loader cannot turn into
    values (PyYAML raises ValueError or KeyError, not YAMLError; nesting exhausts the stack): each
    is a warning naming its line, and the keys are read leniently, never an internal error."""
    cases = {
        "created: 2024-13-45": "month must be in 1..12",
        "flag: !!bool maybe": "a value YAML cannot read",
        "count: !!int x": "a value YAML cannot read",
        "n: 0b" + "1" * 5000: "a number of more than 1,000 digits",
        # Hexadecimal under 4,000 characters, but over 4,300 digits in decimal: Python would not write it.
        "n: 0x" + "f" * 3600: "a number of more than 1,000 digits",
        "n: " + "[" * 900 + "]" * 900: "nested more than 32 levels deep",
    }
    for line, problem in cases.items():
        agent = parse_text(f"---\nname: a\ndescription: b\n{line}\n---\n- hi\n", "a.md")
        assert values(agent)["name"] == "a"
        [(at, message)] = messages(agent)
        assert at == 4 and problem in message and "keys were read leniently" in message, (line, message)


def test_a_fix_of_frontmatter_reads_each_key_as_the_frontmatter_is_read(tmp_path: Path) -> None:
    """``check --fix`` asks of each key whether it loads as strict YAML alone, as a frontmatter is
    read: a number too long to write, or a value nested hundreds of levels, is quoted (AM101),
    never an internal error; the other commands warn of it and go on."""
    for value in ("9" * 4301, "0x" + "f" * 3600, "[" * 500 + "]" * 500):
        path = tmp_path / "a.md"
        path.write_text(f"---\nname: a\ndescription: b\nx: {value}\n---\n- one\n", encoding="utf-8")
        done = run_cli("check", "--fix", "--select", "AM101", str(path))
        assert done.exit_code == 0 and "internal error" not in done.stderr, done.stderr
        assert path.read_text(encoding="utf-8").startswith(f"---\nname: a\ndescription: b\nx: '{value[:20]}")
        path.write_text(f"---\nname: a\ndescription: b\nx: {value}\n---\n- one\n", encoding="utf-8")
        for command in (["fmt", "--check"], ["fmt", "--diff"], ["parse"], ["diff", str(path)]):
            done = run_cli(*command, str(path))
            assert done.exit_code in (0, 1) and "internal error" not in done.stderr, (command, done.stderr)


def test_nesting_at_the_limit_is_read_as_yaml() -> None:
    """Frontmatter nested 32 levels is still strict YAML."""
    agent = parse_text("---\nname: a\nn: " + "[" * 32 + "1" + "]" * 32 + "\n---\n", "a.md")
    assert agent.warnings == ()


def test_keys_yaml_reads_as_other_types_keep_their_spelling() -> None:
    """``null:``, ``true:`` and ``.nan:`` are keys YAML reads as a null, a boolean and a float: the
    model names them as written, not as Python prints them ("None", "True", "nan"), which fmt
    would then have written in their place."""
    agent = parse_text("---\nname: k\nnull: nothing\ntrue: yes\n.nan: z\n---\n", "a.md")
    assert [f.key for f in agent.fields] == ["name", "null", "true", ".nan"]


def test_values_written_back_in_another_spelling_are_told_from_those_written_back_alike() -> None:
    """``respelled_value`` (what keeps a frontmatter as written in ``fmt``): a number, truth value
    or date whose canonical spelling differs from the source is one; a word, a canonical number
    or a truth value in any case every reader takes alike is not."""
    respelled = ["1.10", "010", "yes", "on", "No", "0x1F", "1_000", ".5", "+1", "2024-01-02", "2024-01-02 10:00:00"]
    alike = ["true", "True", "FALSE", "42", "-1", "0.5", "1e3", "null", "~", ".inf", "opus", "NaN", "y", ""]
    assert [v for v in respelled if not respelled_value(v)] == []
    assert [v for v in alike if respelled_value(v)] == []


def test_over_limit_names_the_limit_the_reader_would_refuse() -> None:
    """``over_limit`` is what ``parse_text`` refuses: each limit, and nothing under them."""
    import pytest

    from agentmerge.errors import InputError
    from agentmerge.parse import MAX_FRONTMATTER_BYTES, MAX_LINE_CHARS, over_limit

    cases = {
        "---\nname: a\n---\n\nBody.\n": None,
        "# T\n\n" + "w" * MAX_LINE_CHARS + "\n": None,
        "# T\n\n" + "w" * (MAX_LINE_CHARS + 1) + "\n": ("line", "line 3 is 100,001 characters long"),
        f"---\nd: {'v' * MAX_FRONTMATTER_BYTES}\n---\n\nB.\n": ("frontmatter", "its frontmatter is 64 KiB, more"),
        "# T\n\n" + "- some words\n" * 50_000: ("file", "it is 634 KiB, more than agentmerge reads (512 KiB)"),
    }
    for text, expected in cases.items():
        found = over_limit(text)
        if expected is None:
            assert found is None
            parse_text(text, "a.md")
            continue
        assert found is not None and found[0] == expected[0] and found[1].startswith(expected[1]), found
        if expected[0] != "file":  # the size of the bytes is read_agent's limit, before the text
            with pytest.raises(InputError):
                parse_text(text, "a.md")


def test_a_key_whose_lines_hold_more_than_its_value_keeps_them_as_written() -> None:
    """A comment (above the key, inside its value or after it) or a value another YAML reader may
    read otherwise is not in the value: the key's lines as written are (``Field.written``), the
    comment lines above it and those after the last key included. A key without either has none."""
    text = (
        "---\n# version: 2\nname: a\ndescription: b\n\ntools:\n  # read only\n  - read\n  - grep  # search\n"
        "version: 1.10\nretries: 010\nenabled: yes\nsince: 2024-01-02\nmodel: opus\nturns: 10\n# end\n---\n"
    )
    agent = parse_text(text, "a.md")
    assert {f.key: f.written for f in agent.fields} == {
        "name": "# version: 2\nname: a",
        "description": "",
        "tools": "tools:\n  # read only\n  - read\n  - grep  # search",
        "version": "version: 1.10",
        "retries": "retries: 010",
        "enabled": "enabled: yes",
        "since": "since: 2024-01-02",
        "model": "",
        "turns": "turns: 10\n# end",
    }
    assert values(agent)["version"] == 1.1 and values(agent)["retries"] == 8
    plain = parse_text("---\nname: a\ndescription: 'C# and F#: the # is no comment'\nturns: 10\n---\n", "a.md")
    assert [f.written for f in plain.fields] == ["", "", ""]
    # Without a comment anywhere, a respelled value alone is found (in a list too).
    spelled = parse_text("---\nname: a\nenabled: yes\nturns: 10\nlevels: [1, 010]\n---\n", "a.md")
    assert [f.written for f in spelled.fields] == ["", "enabled: yes", "", "levels: [1, 010]"]


def test_a_hash_inside_a_comment_is_part_of_it() -> None:
    """A comment runs to the end of its line: a ``#`` in it opens no second comment, so the key's
    comment is written once above it however often the file is written again."""
    assert yaml_comments("model: opus  # see #12 # and #13\n# # twice\n") == ("# see #12 # and #13", "# # twice")
    text = "---\ndescription: Rules\nglobs: # #\nalwaysApply: false\n---\n\n- Use it.\n"
    written = render_agent(parse_text(text, "rules/r.mdc"))
    assert written.startswith("---\ndescription: Rules\n# #\nglobs:\n")
    assert render_agent(parse_text(written, "rules/r.mdc")) == written
