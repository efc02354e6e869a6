"""The parsed form of an agent file: frontmatter fields, a section tree, items.

Every node records where it stood in the original file so that diffs and provenance can cite
``path:line``. Lines are 1-based and count the frontmatter. Text keeps its inline Markdown; the
forms used for matching are derived elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

ItemKind = Literal["bullet", "ordered", "task", "paragraph", "code", "table", "quote", "html"]

PROSE_KINDS: frozenset[ItemKind] = frozenset({"bullet", "ordered", "task", "paragraph"})
"""The kinds of item that state an instruction in words (not code, a table, a quote or HTML)."""

SectionKind = Literal["root", "heading", "pseudo"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem in an input that was worked around, reported as a warning."""

    path: str
    """The input's path as given by the user (``<stdin>`` for standard input)."""
    line: int
    """1-based line in the original file the warning is about (0 when it has no line)."""
    message: str
    """One sentence: what was wrong and what was done about it."""
    kind: str = ""
    """A short stable name for the kind of problem (``invalid-yaml``, ``duplicate-key``, ...), for
    the commands that act on it (``check`` gives each kind a rule code); empty when none applies."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Example:
    """One ``<example>`` block of a description, as Claude Code agent files write them."""

    context: str
    """The ``Context:`` line, without its label; empty when absent."""
    user: str
    """What the user says (the ``user:`` line, unquoted); empty when absent."""
    assistant: str
    """What the assistant answers (the ``assistant:`` line, unquoted); empty when absent."""
    commentary: str
    """The text of the ``<commentary>`` element; empty when absent."""
    text: str
    """The whole block between ``<example>`` and ``</example>``, stripped."""


@dataclass(frozen=True, slots=True)
class Field:
    """One top-level frontmatter key and its value."""

    key: str
    """The key exactly as written."""
    value: object
    """The YAML value: str, int, float, bool, None, or lists and dicts of those."""
    line: int
    """1-based line of the key in the original file."""
    end_line: int
    """1-based last line of the value in the original file."""
    examples: tuple[Example, ...] = ()
    """The ``<example>`` blocks found in a string value (descriptions carry them)."""
    quote: str = ""
    """The quote (``"`` or ``'``) a one-line string value was written in (``parse.quoted_value``;
    ``""`` around nothing is no quoting); empty when unquoted. YAML
    reads ``"*.ts"`` and ``*.ts`` alike; Cursor, which reads a rule's ``globs`` as the rest of the
    line, does not (``diff`` shows such a change)."""
    written: str = ""
    """The key's lines as written in strict YAML, the comment lines above it included, when they
    hold what ``value`` does not (``parse.unkept_yaml``: a comment, or a spelling another YAML
    reader may read otherwise, ``version: 1.10``, ``retries: 010``, ``enabled: yes``); empty
    otherwise. The writer writes them as they are while they read as ``value``, so that written
    again the key says what it said (a key the tool reads to the end of its line aside, and a
    value given since, as for another tool: ``writer.render_frontmatter``)."""
    comments: tuple[str, ...] = ()
    """YAML comments (``# ...``) to write on lines of their own above the key: those of other
    inputs' lines for the key, which ``consolidate`` keeps beside the wording it writes; empty
    for a key as read."""


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of content: a list item, paragraph, code block, table, quote or HTML block."""

    kind: ItemKind
    """What the item is: bullet, ordered, task, paragraph, code, table, quote or html."""
    text: str
    """The item's own Markdown without list marker or task box; children excluded.

    Code blocks hold their content without fences; tables, quotes and HTML their source lines.
    """
    line: int
    """1-based first line in the original file."""
    end_line: int
    """1-based last line in the original file, children included."""
    children: tuple[Item, ...] = ()
    """Nested items (a sub-list, or a code block inside a list item)."""
    label: str | None = None
    """The lead-in label of ``**Label**: text`` or ``Label: text``, without markup or colon."""
    checked: bool | None = None
    """For a task item, whether its box is ticked; None for every other kind."""
    number: int | None = None
    """For an ordered item, the number written in the source; None otherwise."""
    new_list: bool = False
    """For an ordered item, whether it opens a list of its own right after another ordered list
    (``1.`` items, then ``1)`` ones: Markdown numbers the two apart, so the second starts at its
    own number again); False for every other item."""
    info: str | None = None
    """For a code block, the fence's info string (language); None otherwise."""

    def walk(self) -> Iterator[Item]:
        """Yield this item and then every descendant, depth first."""
        stack = [self]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(reversed(item.children))


@dataclass(frozen=True, slots=True)
class Section:
    """A heading, a pseudo-heading or the file's root, and the content under it."""

    title: str | None
    """The heading text with inline Markdown, without ``#``, bold markers or trailing colon.

    None for the root section, which holds what comes before the first heading.
    """
    level: int
    """0 for the root, 1-6 for Markdown headings, parent level + 1 for pseudo-headings."""
    line: int
    """1-based line of the heading in the original file (the root: first body line)."""
    end_line: int
    """1-based last line of the section's content in the original file."""
    kind: SectionKind
    """root, heading (``#`` or setext) or pseudo (``**Label:**``, ``Label:`` over a list)."""
    items: tuple[Item, ...] = ()
    """Top-level items directly under this section, in source order."""
    sections: tuple[Section, ...] = ()
    """Subsections in source order."""

    def walk(self) -> Iterator[Section]:
        """Yield this section and then every subsection, depth first."""
        stack = [self]
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.sections))

    def in_order(self) -> list[Item | Section]:
        """Its items and subsections interleaved by line, as they stood in the source."""
        children: list[Item | Section] = [*self.items, *self.sections]
        children.sort(key=lambda node: node.line)
        return children


@dataclass(frozen=True, slots=True)
class Agent:
    """A parsed agent file."""

    path: str
    """The path the file was read from, as given (``<stdin>`` for standard input)."""
    fields: tuple[Field, ...]
    """Frontmatter keys in source order; empty when the file has no frontmatter."""
    body: Section
    """The root section; headings and pseudo-headings nest under it."""
    has_frontmatter: bool = True
    """Whether the file had a ``---`` frontmatter block."""
    warnings: tuple[Diagnostic, ...] = ()
    """Problems that were worked around while reading, in line order."""

    def field(self, key: str) -> Field | None:
        """Return the field named ``key``, or None."""
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def declared_name(self) -> str | None:
        """The agent's ``name`` field, stripped; None when it has none (or an empty one)."""
        named = self.field("name")
        if named is not None and isinstance(named.value, (str, int, float)) and str(named.value).strip():
            return str(named.value).strip()
        return None

    def items(self) -> Iterator[tuple[Section, Item]]:
        """Yield every item with its section, nested items included, in section order."""
        for section in self.body.walk():
            for top in section.items:
                for item in top.walk():
                    yield section, item
