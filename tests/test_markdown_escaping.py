"""Markdown reports show text from the files as text: nothing in a pull request can open or close
Markdown or HTML of the report's own (a fold that hides the next file's call-out, a link, an image)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import git, new_repo, run_cli, write
from markdown_it import MarkdownIt

from agentmerge.render import markdown_code, markdown_text
from agentmerge.review import render_review_markdown, review

FOLD = "</summary></details><details><summary>cosmetic only</summary>"
"""Text that, pasted unescaped into the report, folds everything after it out of sight."""

ATTACK = f"{FOLD} <img src=x onerror=alert(1)> [link](https://evil.example) **bold** ~~gone~~ `tick` | &lt; $x$"
"""Every construct a reviewer must see as typed, in one line."""

OLD = f"""---
name: hostile
description: "Reviews code. D-TAG {ATTACK}"
model: sonnet
tools: Read
---
# Title T-TAG {ATTACK}

- Removed R-TAG {ATTACK}
- Check the database schema for W-TAG {ATTACK} always
- Moved M-TAG {ATTACK}

# Second S-TAG {ATTACK}

- Keep this one
"""

NEW = f"""---
name: hostile
description: "Reviews all code. D-TAG {ATTACK} <example>Context: E-TAG {ATTACK} user: hi</example>"
model: "opus V-TAG {ATTACK}"
tools: Read, "B-TAG {FOLD}"
"K-TAG {FOLD}": "A-TAG {ATTACK}"
---
# Renamed Title T-TAG {ATTACK}

- Check the database schema carefully for W-TAG {ATTACK} always
- Added N-TAG {ATTACK} and a very different instruction about deployments
- Long L-TAG {ATTACK} {"and more words that make this item long enough to fold " * 6}

# Second S-TAG {ATTACK}

- Keep this one
- Moved M-TAG {ATTACK}
"""

TOOLS_OLD = "---\nname: tools\ndescription: d\ntools: Read\n---\n- Review code\n"
TOOLS_NEW = "---\nname: tools\ndescription: d\ntools: Read, Bash, Write\n---\n- Review code\n"

HOSTILE_PATH = ".claude/agents/a`<details><summary>|name.md"
"""A file name holding backticks, HTML and a table border (a file name cannot hold '/')."""

ALLOWED_TAGS = {
    "h3", "h4", "p", "strong", "del", "ins", "s", "em", "ul", "li", "code", "blockquote", "details", "summary",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class Structure(HTMLParser):
    """Records the tags of rendered HTML, and for each text outside a <summary>, the <summary> lines
    of the <details> elements it sits in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.open_details: list[str] = []
        self.in_summary = False
        self.summary = ""
        self.texts: list[tuple[str, tuple[str, ...]]] = []
        self.depth_went_negative = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "details":
            self.open_details.append("")
        elif tag == "summary":
            self.in_summary, self.summary = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.depth_went_negative |= not self.open_details
            if self.open_details:
                self.open_details.pop()
        elif tag == "summary":
            self.in_summary = False
            if self.open_details:
                self.open_details[-1] = self.summary

    def handle_data(self, data: str) -> None:
        if self.in_summary:
            self.summary += data
        else:
            self.texts.append((data, tuple(self.open_details)))

    def text(self) -> str:
        return " ".join(" ".join(t for t, _ in self.texts).split())


def structure(markdown: str) -> Structure:
    """Render ``markdown`` as GitHub would (CommonMark, HTML allowed, tables, strikethrough)."""
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    parsed = Structure()
    parsed.feed(html)
    parsed.close()
    return parsed


pytestmark = pytest.mark.usefixtures("isolated_git")


def assert_report_is_safe(markdown: str) -> Structure:
    parsed = structure(markdown)
    assert parsed.tags <= ALLOWED_TAGS, parsed.tags - ALLOWED_TAGS
    assert not parsed.depth_went_negative and parsed.open_details == []
    text = parsed.text()
    # Redlines show prose (inline Markdown read) and values are clipped; the rest shows as written.
    for tag in ("D-TAG", "E-TAG", "W-TAG", "A-TAG"):
        assert f"{tag} {FOLD} <img src=x onerror=alert(1)>" in text, tag
    for tag in ("T-TAG", "M-TAG", "S-TAG", "L-TAG", "V-TAG"):
        assert f"{tag} {ATTACK}" in text, tag
    assert f"B-TAG {FOLD}" in text and f"K-TAG {FOLD}" in text
    return parsed


def test_diff_markdown_shows_hostile_text_in_every_field_as_text(tmp_path: Path) -> None:
    """Keys, values, tools, model, description and its examples, titles, added, removed, reworded,
    moved and folded items: each renders as the text it is, and no tag but the report's own appears."""
    (tmp_path / "old.md").write_text(OLD)
    (tmp_path / "new.md").write_text(NEW)
    done = run_cli("diff", "--format", "markdown", str(tmp_path / "old.md"), str(tmp_path / "new.md"))
    assert done.exit_code == 1, done.output
    parsed = assert_report_is_safe(done.output)
    # The long item folds into the report's one <details>, whose summary is its own text.
    folded = [(t, where) for t, where in parsed.texts if "L-TAG" in t]
    assert folded and all(len(where) == 1 and where[0].startswith("Long L-TAG") for _, where in folded)


def test_review_markdown_keeps_the_next_file_in_sight(tmp_path: Path) -> None:
    """A hostile file name and content fold nothing: the next file's "tools widened" call-out sits in
    the attention list at the top, outside every block, and in that file's own block; the hostile
    base branch name is shown as text."""
    repo = new_repo(tmp_path / "repo", {HOSTILE_PATH: OLD, ".claude/agents/z-tools.md": TOOLS_OLD})
    base = "base`</summary></details><details><summary>x|"  # a branch name holds no spaces
    git(repo, "branch", base)
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, HOSTILE_PATH, NEW)
    write(repo, ".claude/agents/z-tools.md", TOOLS_NEW)
    git(repo, "commit", "-q", "-am", "edit")
    markdown = render_review_markdown(review(repo, base=base))
    parsed = assert_report_is_safe(markdown)
    assert HOSTILE_PATH in parsed.text() and base in parsed.text()
    widened = [where for t, where in parsed.texts if "tools widened: now also Bash, Write" in t]
    assert widened == [(), (".claude/agents/z-tools.md (modified)",)]


@pytest.mark.parametrize("text", [ATTACK, "- list", "# heading", "> quote", "1. one", "=", "\\", "`", "``a``"])
def test_markdown_text_renders_as_itself(text: str) -> None:
    """An escaped text, alone on a line, is one paragraph whose text is the input."""
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown_text(text))
    parsed = Structure()
    parsed.feed(html)
    assert parsed.tags == {"p"} and parsed.text() == text


@pytest.mark.parametrize("text", ["a`b", "``", "` x `", "|", "<b>", "a\nb"])
def test_markdown_code_holds_any_backticks(text: str) -> None:
    """A code span shows its text whatever backticks it holds."""
    html = MarkdownIt("commonmark").render(markdown_code(text))
    parsed = Structure()
    parsed.feed(html)
    assert parsed.tags == {"p", "code"} and parsed.text() == " ".join(text.split())


def test_mentions_and_issue_references_are_broken_with_a_zero_width_space() -> None:
    """A report posted as a comment quotes strangers' text: it notifies no one and links no issue."""
    text = (
        "Ask @octocat or @org/team, see #12 and owner/repo#3 and https://github.com/o/r/issues/4; "
        "mail a@b.com; C# 7; #tag; https://github.com/o/r/blob/main/README.md"
    )
    escaped = markdown_text(text)
    assert "@\u200boctocat" in escaped and "@\u200borg/team" in escaped
    assert "#\u200b12" in escaped and "repo#\u200b3" in escaped and "github\u200b.com/o/r/issues/4" in escaped
    assert "a@b.com" in escaped and "C# 7" in escaped and "#tag" in escaped
    assert "https://github.com/o/r/blob/main/README.md" in escaped
    html = MarkdownIt("commonmark").render(escaped)
    parsed = Structure()
    parsed.feed(html)
    assert parsed.text().replace("\u200b", "") == text


def test_a_diff_report_in_markdown_mentions_no_one(tmp_path: Path) -> None:
    """In redlines and added text alike (a code span, which GitHub never links, may keep it)."""
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text("---\nname: a\ndescription: d\n---\n\n- Keep this\n", encoding="utf-8")
    new.write_text(
        "---\nname: a\ndescription: d @octocat\n---\n\n- Keep this\n- Ask @octocat about #12\n", encoding="utf-8"
    )
    code, out, _ = run_cli("diff", "--format", "markdown", str(old), str(new))
    assert code == 1 and "octocat" in out
    assert not re.search(r"(?<![\w@])@octocat|#12", out.replace("`@octocat`", ""))
