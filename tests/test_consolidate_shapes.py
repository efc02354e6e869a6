"""The shape of a merged agent: one identity, one output format, numbered lists kept whole, no
heading repeated by the merge.

A hand-written group of three reviewers (``tests/cases/consolidate/reviewers``) has each shape:
three "You are" intros, three output sections under three titles, two numbered workflows that
share no step. The ten code reviewers of the public corpus are checked the same way when
``../shared`` is there.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SHARED, write

from agentmerge import consolidate
from agentmerge.arrange import subtitle
from agentmerge.consolidate import MergedSection
from agentmerge.parse import parse_text, quote_shapes, read_agent
from agentmerge.render import consolidation_to_dict
from agentmerge.writer import render_agent

REVIEWERS = ROOT / "tests" / "cases" / "consolidate" / "reviewers"
SUBTITLES = ROOT / "tests" / "cases" / "consolidate" / "subtitles"
OUTPUT_TITLE = re.compile(r"(?i)\b(output|report)\b.*\bformat\b|^\W*(output|report)\W*$|\bformat\b")


def merged(paths: list[Path]) -> Any:
    return consolidate([read_agent(p) for p in paths])


def identity_paragraphs(text: str) -> list[str]:
    return [line for line in text.split("\n\n") if re.match(r"(?i)^(you are|you're)\b", line.strip())]


def headings(text: str) -> list[str]:
    """Every heading line of a written agent, code fences skipped."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            out.append(line)
    return out


def all_sections(section: MergedSection) -> list[MergedSection]:
    out, stack = [], [section]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.sections)
    return out


def output_sections(section: MergedSection) -> list[MergedSection]:
    return [s for s in all_sections(section) if OUTPUT_TITLE.search(s.section.title or "")]


def numbered_runs_are_whole(section: MergedSection) -> None:
    """In every ordered list, the items one input alone brought stand in one run per input."""
    stack = [section]
    while stack:
        current = stack.pop()
        stack.extend(current.sections)
        ordered = [m for m in current.items if m.item.kind == "ordered"]
        steps = [s for s in current.sections if re.match(r"\W*\d+[.)]", s.section.title or "")]
        for owners in ([{s.path for s in m.sources} for m in ordered], [{s.path for s in x.sources} for x in steps]):
            single = [next(iter(o)) for o in owners if len(o) == 1]
            runs = [path for n, path in enumerate(single) if n == 0 or single[n - 1] != path]
            assert len(runs) == len(set(runs)), (current.section.title, single)


def test_reviewers_merge_into_the_golden_agent(golden: Any) -> None:
    result = merged(sorted(REVIEWERS.glob("*.md")))
    golden(REVIEWERS.parent / "reviewers.merged.md", render_agent(result.agent))


def test_one_identity_one_output_section_whole_lists_no_repeated_heading() -> None:
    result = merged(sorted(REVIEWERS.glob("*.md")))
    text = render_agent(result.agent)
    assert len(identity_paragraphs(text)) == 1
    assert len(output_sections(result.body)) == 1
    assert not [h for h, n in Counter(headings(text)).items() if n > 1]
    numbered_runs_are_whole(result.body)


def test_the_merged_output_section_holds_every_inputs_output_lines_once() -> None:
    result = merged(sorted(REVIEWERS.glob("*.md")))
    (output,) = output_sections(result.body)
    cite = [m for m in output.items if "line" in m.item.text and "finding" in m.item.text]
    assert len(cite) == 1 and len(cite[0].sources) == 3


def test_a_heading_and_its_subtitle_are_one_section(golden: Any) -> None:
    """``## Failure Modes`` over ``**Turning failures into answers ...:**`` and its list is one
    section: it aligns with the other input's ``## Error Handling`` by the items they share, keeps
    its subtitle over the merged list, and lists both of its lines as sources. Before, the heading
    was an empty section of its own and the subtitle's list went under the other title."""
    result = merged(sorted(SUBTITLES.glob("*.md")))
    text = render_agent(result.agent)
    golden(SUBTITLES.parent / "subtitles.merged.md", text)
    (section,) = [s for s in all_sections(result.body) if s.section.title == "Failure Modes"]
    assert [(Path(s.path).name, s.line) for s in section.sources] == [
        ("a-api-builder.md", 8),
        ("a-api-builder.md", 9),
        ("b-api-builder.md", 8),
    ]
    assert section.wrapped and section.content.title == "Turning failures into answers a client can act on"
    assert len(section.items) == 5 and not section.sections
    assert "Error Handling" not in text
    report = {s["title"]: s for s in consolidation_to_dict(result)["sections"]}
    assert report["Failure Modes"]["subtitle"] == "Turning failures into answers a client can act on"
    assert report["Testing"]["subtitle"] is None


def test_one_file_keeps_its_subtitles_as_written() -> None:
    """Consolidating one file writes each subtitle under its heading, where it was."""
    (path,) = sorted(SUBTITLES.glob("a-*.md"))
    text = render_agent(merged([path]).agent)
    assert "## Failure Modes\n\n**Turning failures into answers a client can act on:**\n\n- Wrap" in text
    assert "## Persistence\n\n**Keeping data safe across restarts:**\n\n- Use" in text


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("## S\n**Sub:**\n\n- a\n", "Sub"),
        ("## S\n**Sub:**\n\n- a\n\nA paragraph after the list.\n", "Sub"),
        ("## S\nFirst a paragraph.\n\n**Sub:**\n\n- a\n", None),
        ("## S\n**One:**\n\n- a\n\n**Two:**\n\n- b\n", None),
        ("## S\n### Sub\n\n- a\n", None),
    ],
)
def test_a_subtitle_is_a_headings_opening_and_only_label(body: str, found: str | None) -> None:
    (section,) = parse_text("# T\n\n" + body, "a.md").body.sections[0].sections
    below = subtitle(section)
    assert (below.title if below is not None else None) == found


@pytest.mark.slow
def test_the_corpus_code_reviewers_merge_into_one_agent_of_that_shape() -> None:
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip("needs ../shared/corpus (the public agent corpus), absent in a fresh clone")
    paths = sorted(p for p in corpus.glob("*/*") if "code-review" in p.name)
    assert len(paths) >= 10
    result = merged(paths)
    text = render_agent(result.agent)
    assert len(identity_paragraphs(text)) == 1
    outputs = output_sections(result.body)
    assert len(outputs) == 1, [s.section.title for s in outputs]
    numbered_runs_are_whole(result.body)
    # A heading is written twice only where one input itself repeats it (a template shown filled).
    repeated = {h for h, n in Counter(headings(text)).items() if n > 1}
    for heading in repeated:
        assert any(headings(p.read_text(encoding="utf-8")).count(heading) > 1 for p in paths), heading


def test_a_quotes_lazy_table_like_lines_stay_its_text(tmp_path: Path) -> None:
    """Lines continuing a quote's paragraph without ``>`` are text: the merged agent writes them
    in the quote (with ``>``, pipes escaped) as text, not as a table it never had."""
    body = "# Notes\n\n> Limits:\n| a | b |\n|---|---|\n\n- Keep them.\n"
    paths = []
    for name in ("a.md", "b.md"):
        paths.append(tmp_path / name)
        paths[-1].write_text(f"---\nname: notes\ndescription: Notes\n---\n\n{body}", encoding="utf-8")
    text = render_agent(consolidate([read_agent(str(p)) for p in paths]).agent)
    assert quote_shapes(text) == [("paragraph_open",)]
    assert "> \\| a \\| b \\|\n" in text


def test_lists_keep_their_kind_and_start_at_their_first_number(tmp_path: Path) -> None:
    """One input's steps and another's bullets aligned in one section are two lists, though a
    bullet folded with a step of another section (the kind of a wording written elsewhere made
    the bullets steps 4 and 5); and a numbered list whose first step folded away starts at 1, not
    at the number its second step had ("2. **Zero-Copy**")."""
    write(
        tmp_path,
        "x.md",
        "---\nname: rust-dev\ndescription: Rust developer\n---\n\n## Approach\n\n"
        "- Embrace ownership and borrowing\n- Follow idiomatic Rust practices for clean code\n",
    )
    write(
        tmp_path,
        "y.md",
        "---\nname: rust-pro\ndescription: Rust expert\n---\n\n## Response Approach\n\n"
        "1. Analyze requirements\n2. Design the types\n3. Implement with tests\n\n## Best Practices\n\n"
        "1. **Idiomatic APIs** - Follow Rust API guidelines\n2. **Zero-Copy** - Avoid needless clones\n",
    )
    text = render_agent(merged([tmp_path / "x.md", tmp_path / "y.md"]).agent)
    assert "3. Implement with tests\n\n- Embrace ownership and borrowing\n- Follow idiomatic" in text
    assert "## Best Practices\n\n1. **Zero-Copy**" in text


def test_the_identity_opens_the_body_before_another_inputs_opening_paragraphs(tmp_path: Path) -> None:
    """A Cursor rule of plain paragraphs came first, and "You are ..." third (in a corpus group,
    after a hundred lines of the rule)."""
    write(
        tmp_path,
        "a.mdc",
        '---\ndescription: Flutter rules\nglobs: ["**/*.dart"]\nalwaysApply: false\n---\n\n'
        "Write widgets as small composable classes.\n\nPrefer const constructors.\n",
    )
    write(
        tmp_path,
        "b.md",
        "---\nname: flutter-expert\ndescription: Flutter expert\n---\n\n"
        "You are a Flutter expert who builds fast mobile apps.\n\n## Approach\n\n- Profile before optimizing\n",
    )
    text = render_agent(merged([tmp_path / "a.mdc", tmp_path / "b.md"]).agent)
    body = text.split("\n---\n", 1)[1].lstrip("\n")
    assert body.startswith("You are a Flutter expert who builds fast mobile apps.\n\nWrite widgets"), body
