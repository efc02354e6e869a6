"""Frontmatter rules are one definition: diff and consolidate read every list field alike."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmerge.fields import EVERY_FILE, EVERY_TOOL, beyond, description_prose, mapping_union, names

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


def widened(old: str, new: str) -> list[str]:
    """The widening call-outs of ``diff OLD NEW`` (which must differ)."""
    result = run_cli("diff", old, new, "--format", "json")
    assert result.exit_code == 1, result.output
    return [a["message"] for a in json.loads(result.stdout)["attention"] if a["kind"] == "widened"]


@pytest.mark.parametrize(
    ("wide", "narrow", "what"),
    [
        ("Bash", "Bash(git log:*)", "tool"),
        ("Bash(git:*)", "Bash(git log:*)", "tool"),
        ("search", "search/codebase", "tool"),
        ("github/*", "github/create_issue", "tool"),
        ("mcp__github", "mcp__github__create_issue", "tool"),
        ("mcp__github__*", "mcp__github__create_issue", "tool"),
        ("*", "read", "tool"),
        ("*", "Bash(git log:*)", "tool"),
        ("**/*.ts", "src/**/*.ts", "file pattern"),
        ("**/*.ts", "*.ts", "file pattern"),
        ("**/*", "app/**/*.rb", "file pattern"),
    ],
)
def test_a_name_a_wider_one_reaches_is_beyond_nothing(wide: str, narrow: str, what: str) -> None:
    """The narrower name gains nothing over the wider one; the wider one gains over the narrower."""
    assert beyond([narrow], [wide], what) == ()
    assert beyond([wide], [narrow], what) == (wide,)


@pytest.mark.parametrize(
    ("held", "name", "what"),
    [
        ("Bash(git:*)", "Bash(gitk:*)", "tool"),
        ("Bash(git log:*)", "Bash", "tool"),
        ("Bash(git log)", "Bash(git log --all)", "tool"),
        ("Read", "ReadMe", "tool"),
        ("search/codebase", "search/usages", "tool"),
        ("mcp__github", "mcp__githubx__create", "tool"),
        ("github", "github_x/create", "tool"),
        ("*.ts", "src/*.ts", "file pattern"),
        ("**/*.ts", "src/**/*.tsx", "file pattern"),
        ("src/**/*.ts", "**/*.ts", "file pattern"),
        ("docs", "docs/intro", "skill"),
    ],
)
def test_a_name_no_held_name_reaches_is_beyond_them(held: str, name: str, what: str) -> None:
    """Containment is claimed only where it is certain: a prefix that ends mid-word, a pattern whose
    ``*`` may or may not cross folders, a skill that merely shares a prefix all still widen."""
    assert beyond([name], [held], what) == (name,)


def _reaches(held: str, name: str, what: str) -> bool:
    """Whether ``held`` reaches all ``name`` does, read off each name on its own: the rule
    ``beyond`` looks up rather than compares pair by pair (``Bash(git:*)`` reaches ``Bash(git
    log:*)``, ``github/*`` and ``github`` reach ``github/create_issue``, ...)."""
    if held == name:
        return True
    if what == "file pattern":
        last = held[3:] if held.startswith("**/") else ""
        return held in EVERY_FILE or (bool(last) and "/" not in last and (name == last or name.endswith("/" + last)))
    if held == EVERY_TOOL:
        return True
    use, prefix = re.fullmatch(r"([^()\s]+)\((.*)\)", name), re.fullmatch(r"([^()\s]+)\((.*)\)", held)
    if use is not None:
        if held == use[1]:
            return True
        if prefix is None or prefix[1] != use[1] or not prefix[2].endswith(":*"):
            return False
        stem = prefix[2][:-2]
        return use[2].startswith(stem) and use[2][len(stem) : len(stem) + 1] in ("", " ", ":")
    for separator in ("/", "__"):
        if held.endswith(separator + "*"):
            return name.startswith(held[:-1])
    if held.startswith("mcp__") and held.count("__") == 1:
        return name.startswith(held + "__")
    return "/" not in held and name.startswith(held + "/")


_TOOL_NAME = st.lists(
    st.sampled_from(["mcp__", "gh", "git", "log", "x", "/", "__", "_", "*", ":", " ", "(", ")", ":*)", "Bash("]),
    min_size=1,
    max_size=6,
).map("".join)


def _cut_short(name: str) -> list[str]:
    """Names that may reach ``name``: each of its beginnings, as it is and with ``*`` or ``:*)``
    after it."""
    starts = [name[:end] for end in range(1, len(name) + 1)]
    return [*starts, *(start + "*" for start in starts), *(start + ":*)" for start in starts), "**/" + name]


@settings(max_examples=500)
@given(st.data(), st.sampled_from(["tool", "file pattern"]))
def test_beyond_is_the_names_no_held_name_reaches(data: st.DataObject, what: str) -> None:
    """``beyond`` looks the names that could reach each found name up among the held ones; it
    gives what comparing every held name with every found one gives, on names made of the parts
    the rule reads (separators, wildcards, command prefixes, servers) and on the beginnings of
    the found names, which may reach them."""
    found = data.draw(st.lists(_TOOL_NAME, min_size=1, max_size=4))
    near = sorted({short for name in found for short in _cut_short(name)})
    held = data.draw(st.lists(st.one_of(_TOOL_NAME, st.sampled_from(near)), max_size=8))
    expected = tuple(name for name in found if not any(_reaches(h, name, what) for h in held))
    assert beyond(found, held, what) == expected


def test_long_tool_lists_are_compared_in_a_moment(tmp_path: Path) -> None:
    """Two agents of 9,000 tools each, none in common: ``diff`` took 103 s and ``consolidate``
    213 s, each name compared with every name of the other list; both now look names up. A
    stranger's file may be that long (its frontmatter stays under the 64 KiB limit). Merged, the
    18,000 names make a line longer than agentmerge reads, so ``consolidate`` refuses to write it
    once it has done the work; two lists of 4,500 are merged and written."""
    for name, prefix, count in (("a.md", "t", 9_000), ("b.md", "u", 9_000), ("c.md", "t", 4_500), ("d.md", "u", 4_500)):
        tools = ", ".join(f"{prefix}{n}" for n in range(count))
        (tmp_path / name).write_text(f"---\nname: x\ndescription: Does x.\ntools: {tools}\n---\n\n- Do x.\n")
    refused, diffed = ("consolidate", "a.md", "b.md", "-o", "x.md"), ("diff", "a.md", "b.md")
    runs = {
        diffed: (0, 1),
        refused: (2,),
        ("consolidate", "c.md", "d.md", "-o", "y.md"): (0,),
    }
    done = {}
    for command, codes in runs.items():
        done[command] = subprocess.run(
            [sys.executable, "-m", "agentmerge", *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done[command].returncode in codes, done[command].stderr
    assert "line 4 is 123,785 characters long, more than agentmerge reads (100,000), in its tools" in (
        done[refused].stderr
    )
    # The line a reviewer must not miss names twelve tools and counts the rest; the change lists all.
    shown = ", ".join(f"u{n}" for n in range(12))
    assert f"! L4: tools widened: now also {shown} and 8,988 more\n" in done[diffed].stdout
    assert done[diffed].stdout.count(" +u") == 9_000
    assert not (tmp_path / "x.md").exists()
    (tools_line,) = [line for line in (tmp_path / "y.md").read_text(encoding="utf-8").splitlines() if "tools:" in line]
    assert len(names(tools_line.split(":", 1)[1])) == 9_000


def test_a_narrower_tool_or_pattern_is_no_widening_to_any_command(tmp_path: Path) -> None:
    """``Bash`` to ``Bash(git log:*)`` narrows the agent, and ``**/*.ts`` to ``src/**/*.ts`` the
    rule: diff calls neither a widening (it said "now also Bash(git log:*)"), the way back is one.
    A deny list the other way round: ``Bash(rm:*)`` to ``Bash`` forbids more, no widening, and
    consolidate says a merged deny list narrows the inputs (it said "widens")."""
    wide = agent_file(tmp_path, "wide.md", "tools: Bash, Read\n")
    narrow = agent_file(tmp_path, "narrow.md", "tools: Bash(git log:*), Read\n")

    assert widened(wide, narrow) == []
    assert widened(narrow, wide) == ["tools widened: now also Bash"]
    rule = "---\ndescription: TypeScript\nglobs: {}\n---\n\n- Use strict mode.\n"
    every, some = tmp_path / "every.mdc", tmp_path / "some.mdc"
    every.write_text(rule.format("**/*.ts"), encoding="utf-8")
    some.write_text(rule.format("src/**/*.ts"), encoding="utf-8")
    assert widened(str(every), str(some)) == []
    assert widened(str(some), str(every)) == ["globs widened: now also **/*.ts"]
    some_denied = agent_file(tmp_path, "some-denied.md", "disallowed-tools: Bash(rm:*)\n")
    all_denied = agent_file(tmp_path, "all-denied.md", "disallowed-tools: Bash\n")
    assert widened(some_denied, all_denied) == []
    assert widened(all_denied, some_denied) == ["disallowed-tools widened: no longer forbids Bash"]

    merged = run_cli("consolidate", wide, narrow, "--format", "json")
    (conflict,) = json.loads(merged.stdout)["conflicts"]
    assert conflict["why"].endswith(f"widens {narrow} (adds Bash)"), conflict
    assert f"tool Bash (tools) that {narrow} did not" in merged.stderr and wide not in merged.stderr
    denied = json.loads(run_cli("consolidate", some_denied, all_denied, "--format", "json").stdout)
    (conflict,) = [c for c in denied["conflicts"] if c["key"] == "disallowed-tools"]
    assert "widens" not in conflict["why"], conflict
    assert f"narrows {some_denied} (also forbids Bash)" in conflict["why"]


def test_description_prose_keeps_the_text_around_its_examples() -> None:
    """The examples and the label that introduces them go; text before, between and after stays."""
    text = "Use for reviews.\nExamples:\n<example>one</example>\nThen <example>two</example>\nUse proactively."
    assert description_prose(text) == "Use for reviews.\n\nThen\n\nUse proactively."
    assert description_prose("No examples here.  ") == "No examples here."


def test_copilots_every_tool_is_the_widest_tools_list_to_every_command(tmp_path: Path) -> None:
    """Copilot reads ``tools: ["*"]`` as every tool, as it reads no ``tools`` key: going from it
    to a list of names narrows the agent (diff said "tools widened: now also read, search"),
    dropping the key changes nothing (it said the agent "now inherits every tool"), the way
    back to it is said as every tool, and a merge that holds it narrows no input without a list."""
    every = agent_file(tmp_path, "every.agent.md", 'tools: ["*"]\n')
    some = agent_file(tmp_path, "some.agent.md", "tools: [read, search]\n")
    unset = agent_file(tmp_path, "unset.agent.md", "")

    assert widened(every, some) == []
    assert widened(every, unset) == []
    assert widened(some, every) == ["tools widened: now every tool (*)"]
    assert widened(some, unset) == ["tools widened: the list was removed, so the agent now inherits every tool"]

    merged = run_cli("consolidate", every, some, unset, "--format", "json")
    (conflict,) = json.loads(merged.stdout)["conflicts"]
    assert conflict["why"].endswith(f"widens {some} (adds *)"), conflict
    assert "narrows" not in conflict["why"] and every not in merged.stderr


_ENTRY = st.one_of(
    st.integers(0, 3),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from("xy"), st.integers(0, 2)),
)


@given(st.lists(st.dictionaries(st.sampled_from("abcd"), _ENTRY, max_size=4), min_size=1, max_size=4))
def test_a_mapping_union_keeps_every_entry_of_every_input(tables: list[dict[str, object]]) -> None:
    """Every name of every input is in the union; a name every input gives one value keeps it, a
    name given lists holds every entry of each, and any other holds one input's value whole."""
    merged, differ = mapping_union(tables)
    assert list(merged) == list(dict.fromkeys(key for table in tables for key in table))
    for key, value in merged.items():
        given_values = [table[key] for table in tables if key in table]
        if all(isinstance(v, list) for v in given_values):
            assert isinstance(value, list)
            assert all(entry in value for v in given_values for entry in v)  # type: ignore[union-attr]
            assert key not in differ
        else:
            assert value in given_values
            assert (key in differ) == (len({json.dumps(v, sort_keys=True) for v in given_values}) > 1)
