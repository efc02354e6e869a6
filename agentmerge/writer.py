"""Write the canonical agent file: strict YAML frontmatter and normalised Markdown.

The writer is the authority on how a model reads back: ``render_agent`` writes any model so that
parsing the text gives the same model, line numbers aside (``settle`` covers an arrangement it
cannot write as it is), and writing is a fixed point. It asks the parser's own rules
(``parse.is_label_line``) where a line could read as something else.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentmerge.errors import OutputError
from agentmerge.fields import FIRST_KEYS
from agentmerge.model import Agent, Field, Item, Section
from agentmerge.parse import (
    MAX_LINE_CHARS,
    UNDERLINE,
    is_label_line,
    over_limit,
    quoted_value,
    read_key_line,
    written_reads_back,
    yaml_comments,
)

if TYPE_CHECKING:
    from agentmerge.consolidate import Consolidation, MergedItem, MergedSection

# --------------------------------------------------------------------------------------------
# Canonical agent file


def render_agent(
    agent: Agent, *, paths: Sequence[str] | None = None, verbatim_keys: Sequence[str] | None = None
) -> str:
    """Write ``agent`` as a canonical agent file: strict YAML frontmatter, normalised Markdown.

    Frontmatter keys come in a stable order (name, description, then first-seen order); keys that
    the formats of ``paths`` (by default ``agent.path``) all read as the rest of their line
    (``formats.Format.verbatim_keys``), or the ``verbatim_keys`` given instead, are written
    unquoted. The body uses ``#`` headings, ``**Title:**`` pseudo-headings, ``-`` bullets, ordered
    lists numbered on from their first number (``1)`` for one straight after another,
    ``Item.new_list``) and fenced code. Parsing the result gives the same model, line numbers aside.
    """
    parts: list[str] = []
    if agent.fields:
        parts.append(render_frontmatter(agent.fields, verbatim_keys=verbatim_keys, paths=paths or [agent.path]))
    elif agent.has_frontmatter:
        parts.append("---\n---\n")  # an empty frontmatter is one still: a tool looks for its keys
    body = "\n\n".join(_blocks(agent.body))
    if body:
        parts.append(body + "\n")
    return "\n".join(parts)


def render_frontmatter(
    fields: tuple[Field, ...] | list[Field], *, verbatim_keys: Sequence[str] | None = (), paths: Sequence[str] = ()
) -> str:
    """Return the ``---`` block for ``fields`` in strict YAML, keys in the stable order; the
    ``verbatim_keys`` (None: those the formats of ``paths`` share, looked up only when a value
    would be quoted or a list) on one line, unquoted where they can be (``render_field``). A
    key's ``comments`` go on lines of their own above it, and its lines as ``written``, when it
    has them and they still read as its value (``parse.written_reads_back``), as they are; for a
    verbatim key, which the tool reads to the end of the line (a comment and quotes included), or
    a value those lines no longer give, the comments of those lines go above the key too and the
    value is written as for any other."""
    order = {key: n for n, key in enumerate(FIRST_KEYS)}
    ordered = sorted(fields, key=lambda f: order.get(f.key, len(order)))
    lines = ["---"]
    keys = verbatim_keys
    for f in ordered:
        lines.extend(f.comments)
        if f.written:
            if keys is None:
                from agentmerge import formats

                keys = formats.verbatim_keys(paths)
            if f.key not in keys and written_reads_back(f):
                lines.append(_trimmed(f))
                continue
            lines.extend(yaml_comments(f.written))
        written = _yaml_lines(f)
        if ("\n" not in written and quoted_value(written)) or isinstance(f.value, list):
            if keys is None:
                from agentmerge import formats

                keys = formats.verbatim_keys(paths)
            if f.key in keys:
                written = _verbatim_line(f) or written
        lines.append(written)
    lines.append("---")
    return "\n".join(lines) + "\n"


def _trimmed(field: Field) -> str:
    """``field.written`` without spaces and tabs at the ends of its lines, where it still reads as
    the value so (a literal block's own trailing spaces stay): they say nothing, and lines kept
    from an input would keep them only while the input's comment stays with the key (a comment
    after a frontmatter's last key is written after that key's lines and, read again, belongs to
    the key written next), so consolidating the output again changed its bytes."""
    trimmed = "\n".join(line.rstrip(" \t") for line in field.written.split("\n"))
    if trimmed == field.written or not written_reads_back(replace(field, written=trimmed)):
        return field.written
    return trimmed


def render_field(field: Field, *, verbatim: bool = False) -> str:
    """One frontmatter key and its value as strict YAML lines, without a final line break (how
    ``render_frontmatter`` writes each key, and ``check --fix`` a key strict YAML rejects).

    With ``verbatim`` (a key the tool reads as the rest of its line) a one-line string is written
    as it is, unquoted (``globs: **/*.ts``: quoted, Cursor would read the quotes as part of the
    pattern), and a list on the key's own line (``globs: ["*.ts", "lib/**"]``: a block list
    leaves the line empty), whenever the parser reads that line back as the same value.
    """
    return (_verbatim_line(field) if verbatim else None) or _yaml_lines(field)


def _verbatim_line(field: Field) -> str | None:
    """``key: value`` on one line, for a one-line string (as it is) or a list of strings (a flow
    list of double-quoted strings) that the parser reads back from it; else None."""
    value = field.value
    if _holds(value, _YAML_BREAKS):
        return None  # one line only as YAML counts lines
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        import json

        line = f"{field.key}: [{', '.join(json.dumps(v, ensure_ascii=False) for v in value)}]"
    elif isinstance(value, str) and value and "\n" not in value and value == value.strip():
        line = f"{field.key}: {value}"
    else:
        return None
    return line if read_key_line(line, field.key) == value else None


def _yaml_lines(field: Field) -> str:
    import yaml

    dumped = yaml.dump(
        {field.key: field.value},
        Dumper=_dumper(),
        sort_keys=False,
        # A value holding a character YAML takes for a line break is written with escapes
        # (non-ASCII ones too): written as it is, U+0085 read back as a space.
        allow_unicode=not _holds(field.value, _YAML_BREAKS),
        default_flow_style=False,
        width=1_000_000,
    )
    return str(dumped).rstrip("\n")


_YAML_BREAKS = frozenset("\x85\u2028\u2029")
"""Characters YAML 1.1 counts as line breaks besides CR and LF, which PyYAML writes as they are."""


def _holds(value: object, characters: frozenset[str]) -> bool:
    """Whether any string in ``value`` (a YAML value, lists and mappings included) holds one of ``characters``."""
    if isinstance(value, str):
        return not characters.isdisjoint(value)
    if isinstance(value, list):
        return any(_holds(v, characters) for v in value)
    if isinstance(value, dict):
        return any(_holds(k, characters) or _holds(v, characters) for k, v in value.items())
    return False


_DUMPER: type[Any] | None = None


def _dumper() -> type[Any]:
    """A SafeDumper that writes multi-line strings as ``|`` blocks, which read like the source, and
    an empty value as nothing after its key (``globs:``, as Cursor writes it; YAML reads both it
    and ``null`` as empty, a tool that reads the line as written does not)."""
    global _DUMPER
    if _DUMPER is None:
        import yaml

        class Dumper(yaml.SafeDumper):
            pass

        def represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
            style = "|" if "\n" in data and _block_safe(data) else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        def represent_none(dumper: yaml.SafeDumper, data: None) -> yaml.ScalarNode:
            return dumper.represent_scalar("tag:yaml.org,2002:null", "")

        Dumper.add_representer(str, represent_str)
        Dumper.add_representer(type(None), represent_none)
        _DUMPER = Dumper
    return _DUMPER


def _block_safe(text: str) -> bool:
    """Whether a literal block keeps ``text`` exactly (no trailing spaces, no odd characters)."""
    return not any(line != line.rstrip() for line in text.split("\n")) and "\t" not in text


def _blocks(section: Section) -> Iterator[str]:
    """Yield the Markdown blocks of ``section``: its heading, then content in source order."""
    if section.kind == "heading":
        yield _heading_lines(section)
    elif section.kind == "pseudo":
        yield _pseudo_line(section.title or "")
    children = section.in_order()
    run: list[Item] = []
    delimiter = "."
    previous: Item | Section | None = None
    for child in children:
        if isinstance(child, Item) and child.kind in _LIST_KINDS:
            if run and (_LIST_KINDS[run[-1].kind] != _LIST_KINDS[child.kind] or child.new_list):
                yield _list_block(run, delimiter=delimiter)
                delimiter = _next_delimiter(delimiter, run, child)
                run = []
            if not run and isinstance(previous, Item) and _reads_as_label_line(previous):
                # Directly over a list this paragraph would become a pseudo-heading; in the
                # source something the model does not keep (a rule, a comment) stood between.
                yield "---"
            run.append(child)
            previous = child
            continue
        if run:
            yield _list_block(run, delimiter=delimiter)
            run = []
        delimiter = "."
        if isinstance(child, Section):
            yield from _blocks(child)
        else:
            yield _item_block(child)
        previous = child
    if run:
        yield _list_block(run, delimiter=delimiter)


def _reads_as_label_line(item: Item) -> bool:
    """Whether a paragraph would be read as a ``Label:`` pseudo-heading if a list followed it."""
    return item.kind == "paragraph" and is_label_line(item.text)


def _heading_lines(section: Section) -> str:
    """``# Title``; a title of several lines (only setext headings have them) stays setext."""
    title = section.title or ""
    if "\n" in title and section.level <= 2:
        # markdown-it reads a title line holding "|" over "---" as a table's header and rule;
        # a one-character underline is too short for a table rule and still a setext underline.
        length = 1 if "|" in title else 3
        return f"{_guarded(title, True)}\n{('=' if section.level == 1 else '-') * length}"
    marks = "#" * max(1, min(section.level, 6))
    if re.search(r"(?:^|[ \t])#+$", title):
        # A title ending in " #" would lose it as the optional closing sequence: add one.
        return f"{marks} {title} #"
    return f"{marks} {title}"


def _pseudo_line(title: str) -> str:
    """``**Title:**``; ``__Title:__`` when the title itself holds ``**``, which would end the bold early."""
    if "**" in title and "__" not in title:
        return f"__{title}:__"
    return f"**{title}:**"


_LIST_KINDS = {"bullet": "-", "task": "-", "ordered": "1."}


def _list_block(items: list[Item], start: int | None = None, delimiter: str = ".") -> str:
    lines: list[str] = []
    for number, item in enumerate(items, start=_start(items) if start is None else start):
        lines.extend(_list_item_lines(item, number, delimiter))
    return "\n".join(lines)


def _next_delimiter(delimiter: str, run: Sequence[Item], child: Item) -> str:
    """The delimiter of the ordered list ``child`` opens after ``run``: the other one when it is
    a list of its own straight after another (``Item.new_list``), which two lists of one
    delimiter with a blank line between would not be (Markdown reads them as one, numbered on);
    else ``.``."""
    if child.new_list and run and run[-1].kind == "ordered":
        return ")" if delimiter == "." else "."
    return "."


def _start(run: Sequence[Item]) -> int:
    """The number an ordered list starts from, as Markdown renders it: its first item's (``3.``
    after a heading continues the steps of the section before); 1 for other lists."""
    first = run[0] if run else None
    return first.number if first is not None and first.kind == "ordered" and first.number is not None else 1


def _ordered_starts(items: Sequence[Item]) -> list[int]:
    """The start number of each ordered list among ``items`` (``_start``): what a renderer shows
    as the steps' numbers, the one list number a model keeps."""
    return [
        _start([item])
        for previous, item in zip([None, *items], items, strict=False)
        if item.kind == "ordered" and (previous is None or previous.kind != "ordered" or item.new_list)
    ]


def _list_item_lines(item: Item, number: int, delimiter: str = ".") -> list[str]:
    if item.kind == "ordered":
        marker = f"{number}{delimiter}"
    elif item.kind == "task":
        marker = "- [x]" if item.checked else "- [ ]"
    else:
        marker = "-"
    indent = " " * (len(f"{number}. ") if item.kind == "ordered" else 2)
    text_lines = _guarded(item.text, item.kind != "task").split("\n")
    head = f"{marker} "
    held = _held_lines(text_lines)
    if held:
        # The bullet or number is followed by four spaces, so the content starts past the fifth
        # column; a task's box is part of its text, after them (``-    [ ] x``).
        bullet, box = ("-", f"{marker[2:]} ") if item.kind == "task" else (marker, "")
        head, indent = f"{bullet}    {box}", " " * (len(bullet) + 4)
    children = list(item.children)
    # The number the first list of children starts from: its first item's, or, when that item
    # went on the marker's line, the one after it (the rest of the same ordered list).
    start: int | None = None
    on_marker = not (item.text or item.kind == "task" or not children)
    if not on_marker:
        # Trailing spaces stay: two of them are a hard line break.
        lines = [f"{head}{text_lines[0]}" if text_lines[0] else marker]
        lines.extend(_continuation_lines(text_lines, indent, held))
    else:
        # An item without text of its own starts with its first child on the marker's line:
        # ``-`` followed by a blank line would end the item before the child.
        first = children.pop(0)
        first_lines = _child_lines(first, _start([first]))
        lines = [f"{marker} {first_lines[0]}"]
        lines.extend(f"{indent}{line}" if line else "" for line in first_lines[1:])
        if first.kind == "ordered" and children and children[0].kind == "ordered" and not children[0].new_list:
            start = _start([first]) + 1
    if re.match(_RULE, lines[0]):
        # "- --" would be a thematic break; "+" never starts one.
        lines[0] = "+" + lines[0][1:]
    # A sub-list right after a block (an HTML block, a table) would run into it: a blank line first.
    after_block = len(children) < len(item.children) and item.children[0].kind not in _LIST_KINDS
    sub_run: list[Item] = []
    # A first child written on the marker's line is a list of one the next may open apart from.
    sub_delimiter = _next_delimiter(".", item.children[:1], children[0]) if on_marker and children else "."
    for child in children:
        if child.kind in _LIST_KINDS and (
            not sub_run or (_LIST_KINDS[sub_run[-1].kind] == _LIST_KINDS[child.kind] and not child.new_list)
        ):
            sub_run.append(child)
            continue
        if sub_run:
            run_lines = _indented_run(sub_run, indent, start, sub_delimiter)
            lines.extend(["", *run_lines] if after_block and run_lines[0] else run_lines)
            after_block = False
        sub_delimiter = _next_delimiter(sub_delimiter, sub_run, child)
        sub_run, start = [], None
        if child.kind in _LIST_KINDS:
            sub_run.append(child)
        elif child.kind == "paragraph":
            # A paragraph after a sub-list or block: its lines as the item's own text's are.
            text_lines = _guarded(child.text, True).split("\n")
            lines.extend(["", f"{indent}{text_lines[0]}", *_continuation_lines(text_lines, indent, set())])
            after_block = True
        else:
            lines.append("")
            lines.extend(f"{indent}{line}" if line else "" for line in _item_block(child).split("\n"))
            after_block = True
    if sub_run:
        run_lines = _indented_run(sub_run, indent, start, sub_delimiter)
        lines.extend(["", *run_lines] if after_block and run_lines[0] else run_lines)
    return lines


def _continuation_lines(text_lines: list[str], indent: str, held: set[int]) -> list[str]:
    """The lines after the first of a list item's paragraph, under ``indent``.

    Continuation lines that would form a table or a setext underline once indented were lazy in
    the source (neither can be a lazy line); written lazily again they stay text. Lines that keep
    indentation of their own stood deeper than the item's content in the source (a lazy line has
    none left), so they go back there. The ``held`` lines (``_held_lines``) go four columns in.
    """
    lines: list[str] = []
    lazy = any(re.match(_TABLE_RULE, line) or re.match(_EQUALS, line) for line in text_lines[1:])
    for number, (before, line) in enumerate(itertools.pairwise(text_lines)):
        # After a blank line (a new paragraph of the item) a line cannot be lazy; the first
        # line, on the marker's line, is never blank in that sense.
        # A line that starts like a block would end the item if it were lazy.
        deep = not lazy or line[:1] in (" ", "\t") or (number > 0 and not before) or _opens_block(line)
        if number > 0 and not before:
            line = _guarded(line, True)  # a new paragraph of the item, guarded as one
        if number + 1 in held:
            lines.append(f"    {line}")
            continue
        lines.append(f"{indent}{line}" if line and deep else line)
    return lines


def _held_lines(text_lines: list[str]) -> set[int]:
    """The lines of an item's paragraph (by index) that start like a block (``1. x``, ``- y``)
    with no indentation of their own: such a line stood lazily in the source, short of the item's
    content yet four columns in, where no block can start, and is written there again."""
    return {
        n
        for n, (before, line) in enumerate(itertools.pairwise(text_lines), start=1)
        if before and line[:1] not in (" ", "\t") and _opens_block(line)
    }


def _opens_block(line: str) -> bool:
    """Whether ``line`` starts like a block (``_BLOCK_START``) other than a table's delimiter row."""
    return re.match(_BLOCK_START, line) is not None and not re.match(_TABLE_RULE, line)


def _child_lines(item: Item, number: int) -> list[str]:
    if item.kind in _LIST_KINDS:
        return _list_item_lines(item, number)
    return _item_block(item).split("\n")


def _indented_run(run: list[Item], indent: str, start: int | None = None, delimiter: str = ".") -> list[str]:
    if not run:
        return []
    lines = [f"{indent}{line}" if line else "" for line in _list_block(run, start, delimiter).split("\n")]
    if " " not in lines[0].strip() or (start is None and _start(run) != 1):
        # An empty first item cannot interrupt the text above it ("-" would underline it), nor can
        # a numbered list that starts past 1 ("5." would be read as more of that text).
        lines.insert(0, "")
    return lines


def _item_block(item: Item) -> str:
    if item.kind == "code":
        longest = max((len(m) for m in re.findall(r"`{3,}|~{3,}", item.text)), default=0)
        # A backtick fence's info string may not hold a backtick; a tilde fence's may.
        fence = ("~" if "`" in (item.info or "") else "`") * max(3, longest + 1)
        return f"{fence}{item.info or ''}\n{item.text}\n{fence}" if item.text else f"{fence}{item.info or ''}\n{fence}"
    if item.kind == "quote":
        return "\n".join(f"> {line}" if line else ">" for line in item.text.split("\n"))
    if item.kind in _LIST_KINDS:
        return "\n".join(_list_item_lines(item, item.number or 1))
    if item.kind == "paragraph":
        return _guarded(item.text, True)
    return item.text


def _guarded(text: str, lead: bool) -> str:
    """``text`` with a no-break space where Markdown would otherwise read it as something else.

    Markdown trims white space, no-break spaces included, around a paragraph, so text that starts
    like a block (``- x``) or ends in a setext underline or a rule (``a`` over ``-``) can only have
    been a paragraph with one there; written the same way, it reads back as the same text.
    """
    if lead and re.match(_BLOCK_START, text.split("\n", 1)[0]):
        text = "\u00a0" + text
    if "\n" in text:
        last = text.rsplit("\n", 1)[1]
        if re.match(UNDERLINE, last) or re.match(_BLOCK_START, last):
            text += "\u00a0"
    return text


# The writer's patterns are strings compiled on first use (``re`` caches them), so commands that
# never write an agent file, ``diff`` among them, do not compile them at start-up.
_EQUALS = r"^ {0,3}=+[ \t]*$"
"""A setext underline of ``=`` (a ``-`` one would be a thematic break on a lazy line)."""

_TABLE_RULE = r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$|^[ \t]*\|[ \t]*:?-+:?[ \t]*\|"
"""A table's delimiter row (``| --- | :-: |``)."""

_RULE = r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$"
"""A thematic break (``---``, ``* * *``), which wins over a list item."""

_BLOCK_START = r"(?:[-*+]|\d{1,9}[.)]|#{1,6})(?:[ \t]|$)|>|`{3}|~{3}|(?:[-*_][ \t]*){3,}$|<[!?/A-Za-z]"
"""Text at a line's start that Markdown may read as the start of a list, heading, quote, fence,
rule or HTML block (any tag is taken, which costs an invisible space before inline HTML)."""


# --------------------------------------------------------------------------------------------
# Reading back


def settle(agent: Agent) -> Agent:
    """``agent`` as its own file reads back.

    The merge keeps to what the writer can express, but should an arrangement still read back
    otherwise (a paragraph a list would take in, a label a heading would swallow), the model
    the written file parses to is the one to hand on, so the file, the model and a second run
    agree. The bytes written are the same either way: writing is a fixed point.
    """
    from agentmerge.parse import parse_text

    # The body alone is written and read: frontmatter values go through strict YAML unchanged.
    body = render_agent(replace(agent, fields=()))
    if body.startswith("---"):
        back = parse_text(render_agent(agent), agent.path)
    else:
        back = replace(agent, body=parse_text(body, agent.path).body)
    return agent if same_shape(back.body, agent.body) else replace(back, fields=agent.fields)


def same_shape(a: Section, b: Section) -> bool:
    """Whether two sections hold the same content in the same places, line numbers aside."""
    if (a.title, a.level, a.kind, len(a.items), len(a.sections)) != (
        b.title,
        b.level,
        b.kind,
        len(b.items),
        len(b.sections),
    ):
        return False
    order_a = [isinstance(n, Item) for n in a.in_order()]
    order_b = [isinstance(n, Item) for n in b.in_order()]
    if order_a != order_b:
        return False
    if any(not _same_item(x, y) for x, y in zip(a.items, b.items, strict=True)):
        return False
    if _ordered_starts(a.items) != _ordered_starts(b.items):
        return False
    return all(same_shape(x, y) for x, y in zip(a.sections, b.sections, strict=True))


def same_model(a: Agent, b: Agent) -> bool:
    """Whether two agents say the same: the same frontmatter keys and values (in any order) and
    bodies of the same shape (``same_shape``), line numbers aside. What ``fmt`` must keep."""
    keys_a = sorted(f.key for f in a.fields)
    if keys_a != sorted(f.key for f in b.fields):
        return False
    values_b = {f.key: f.value for f in b.fields}
    if any(values_b[f.key] != f.value or type(values_b[f.key]) is not type(f.value) for f in a.fields):
        return False
    return same_shape(a.body, b.body)


def _same_item(a: Item, b: Item) -> bool:
    if (a.kind, a.text, a.checked, a.info, len(a.children)) != (b.kind, b.text, b.checked, b.info, len(b.children)):
        return False
    if _ordered_starts(a.children) != _ordered_starts(b.children):
        return False
    return all(_same_item(x, y) for x, y in zip(a.children, b.children, strict=True))


# --------------------------------------------------------------------------------------------
# The merged agent, with provenance comments when asked


ANNOTATION_UNSAFE = re.compile(r"[\s,<>]")
"""Characters a path may not carry inside a provenance comment (``parse.ANNOTATION_RE``)."""


def render_consolidation(result: Consolidation, *, annotate: bool = False, output: str | None = None) -> str:
    """The merged agent file; with ``annotate``, ``<!-- a.md:17, b.md:12 -->`` comments that say
    where each item and heading came from (the parser ignores them).

    A key is written unquoted as a tool reads it (a Cursor rule's ``globs: **/*.ts``) when the
    format of ``output``, the file it is written to, reads it so; without one, when every
    input's format does. Cursor rules merged into ``merged.md`` get strict YAML, and a subagent
    and a rule merged into ``merged.mdc`` Cursor's form: either file, consolidated again, is
    written again unchanged."""
    agent = _annotated(result) if annotate else result.agent
    if result.target is not None:
        from agentmerge.formats import BY_NAME

        return render_agent(agent, verbatim_keys=BY_NAME[result.target].verbatim_keys)
    return render_agent(agent, paths=result.inputs if output is None else (output,))


def check_readable(text: str, agent: Agent, path: str) -> None:
    """Raise OutputError when agentmerge would refuse to read ``text``, the file written for
    ``agent``, back (``parse.over_limit``), naming the frontmatter field that makes it so.
    Called before anything is written: ``check``, ``diff`` and a second ``consolidate`` read what
    ``consolidate`` writes. ``path`` is where it was to go, empty for standard output."""
    broken = over_limit(text)
    if broken is None:
        return
    which, reason = broken
    written = {field.key: render_field(field) for field in agent.fields}
    if which == "line":
        held = [key for key, lines in written.items() if max(map(len, lines.split("\n"))) > MAX_LINE_CHARS]
        reason += f", in its {held[0]} field" if held else ""
    elif which == "frontmatter" and written:
        largest = max(written, key=lambda key: (len(written[key]), key))
        reason += f"; its {largest} field takes {len(written[largest]) // 1024:,} KiB"
    raise OutputError(path, 0, f"not written: agentmerge would refuse to read the merged agent back, as {reason}")


def _provenance(sources: Any, names: dict[str, str]) -> str:
    places = ", ".join(f"{names.get(s.path, s.path)}:{s.line}" for s in sources)
    return f"<!-- {places} -->"


def _short_names(paths: tuple[str, ...]) -> dict[str, str]:
    """How each input is named in a provenance comment: its file name when that is unique among
    the inputs (``a.md:17``), else its path; characters a comment cannot carry become ``_``."""
    import os

    bases = [os.path.basename(p) or p for p in paths]
    unique = len(set(bases)) == len(bases)
    return {p: ANNOTATION_UNSAFE.sub("_", b if unique else p) for p, b in zip(paths, bases, strict=True)}


def _annotated(result: Consolidation) -> Agent:
    """A copy of the merged agent whose items and headings carry provenance comments.

    List items and paragraphs get a trailing comment; code, tables, quotes and HTML a comment
    block just before them; a section a comment block first under its heading. The merged model
    leaves gaps between line numbers, so the comments slot in without reordering anything.
    """
    return _replace_body(result.agent, _annotated_section(result.body, _short_names(result.inputs)))


def _replace_body(agent: Agent, body: Section) -> Agent:
    return replace(agent, body=body)


def _annotated_section(merged: MergedSection, names: dict[str, str]) -> Section:
    items: list[Item] = []
    section = merged.content
    if merged.sources:
        note = _provenance(merged.sources, names)
        items.append(Item(kind="html", text=note, line=section.line + 1, end_line=section.line + 1))
    outside = [item for child in merged.items[: merged.outside] for item in _annotated_item(child, names)]
    for child in merged.items[merged.outside :]:
        items.extend(_annotated_item(child, names))
    subsections = tuple(_annotated_section(s, names) for s in merged.sections)
    if merged.beside:
        content = replace(section, items=tuple(items), sections=())
        return replace(merged.section, items=tuple(outside), sections=(content, *subsections))
    content = replace(section, items=tuple(items), sections=subsections)
    return replace(merged.section, items=tuple(outside), sections=(content,)) if merged.wrapped else content


def _annotated_item(merged: MergedItem, names: dict[str, str]) -> list[Item]:
    item = merged.item
    children: list[Item] = []
    for child in merged.children:
        children.extend(_annotated_item(child, names))
    comment = _provenance(merged.sources, names)
    if item.kind in ("bullet", "ordered", "task", "paragraph") and item.text.strip():
        return [replace(item, text=f"{item.text} {comment}", children=tuple(children))]
    note = Item(kind="html", text=comment, line=item.line - 1, end_line=item.line - 1)
    return [note, replace(item, children=tuple(children))]
