"""Turn models and results into text: outlines, JSON-ready dicts, and canonical agent files.

Renderers return strings or yield lines without colour; the CLI adds colour.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from agentmerge.model import Agent, Example, Field, Item, Section

if TYPE_CHECKING:
    # Result types only: rendering reads them and never runs the diff.
    from agentmerge.consolidate import Consolidation, MergedItem, MergedSection
    from agentmerge.diff import Change, DiffResult, FieldChange, Segment, Side

FIRST_KEYS = ("name", "description")
"""Frontmatter keys written first, in this order; the rest keep their first-seen order."""

OUTLINE_WIDTH = 100
"""Characters of an item's text shown on one outline line before it is cut with an ellipsis."""


# --------------------------------------------------------------------------------------------
# JSON-ready dicts


def agent_to_dict(agent: Agent) -> dict[str, Any]:
    """Return the model of ``agent`` as plain dicts and lists, ready for ``json.dumps``."""
    return {
        "path": agent.path,
        "has_frontmatter": agent.has_frontmatter,
        "fields": [field_to_dict(f) for f in agent.fields],
        "body": section_to_dict(agent.body),
        "warnings": [{"line": w.line, "message": w.message} for w in agent.warnings],
    }


def field_to_dict(field: Field) -> dict[str, Any]:
    return {
        "key": field.key,
        "value": field.value,
        "line": field.line,
        "end_line": field.end_line,
        "examples": [example_to_dict(e) for e in field.examples],
    }


def example_to_dict(example: Example) -> dict[str, str]:
    return {
        "context": example.context,
        "user": example.user,
        "assistant": example.assistant,
        "commentary": example.commentary,
        "text": example.text,
    }


def section_to_dict(section: Section) -> dict[str, Any]:
    return {
        "title": section.title,
        "level": section.level,
        "kind": section.kind,
        "line": section.line,
        "end_line": section.end_line,
        "items": [item_to_dict(i) for i in section.items],
        "sections": [section_to_dict(s) for s in section.sections],
    }


def item_to_dict(item: Item) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "text": item.text,
        "line": item.line,
        "end_line": item.end_line,
        "label": item.label,
        "checked": item.checked,
        "number": item.number,
        "info": item.info,
        "children": [item_to_dict(c) for c in item.children],
    }


# --------------------------------------------------------------------------------------------
# Outline (the debugging view of ``agentmerge parse``)


def render_outline(agent: Agent) -> Iterator[str]:
    """Yield an indented outline of ``agent`` with each node's line number."""
    yield agent.path
    if agent.fields:
        yield "  frontmatter"
        for f in agent.fields:
            extra = f"  ({len(f.examples)} examples)" if f.examples else ""
            yield f"{f.line:>5}    {f.key}: {_short(_value_text(f.value))}{extra}"
    elif not agent.has_frontmatter:
        yield "  (no frontmatter)"
    yield "  body"
    yield from _outline_section(agent.body, 2)


def _outline_section(section: Section, depth: int) -> Iterator[str]:
    indent = "  " * depth
    if section.kind == "heading":
        yield f"{section.line:>5}{indent}{'#' * section.level} {section.title}"
    elif section.kind == "pseudo":
        yield f"{section.line:>5}{indent}**{section.title}:**"
    inner = depth if section.kind == "root" else depth + 1
    for child in _in_source_order(section):
        if isinstance(child, Section):
            yield from _outline_section(child, inner)
        else:
            yield from _outline_item(child, inner)


def _outline_item(item: Item, depth: int) -> Iterator[str]:
    indent = "  " * depth
    label = f"[{item.label}] " if item.label else ""
    yield f"{item.line:>5}{indent}{_OUTLINE_MARK[item.kind](item)} {label}{_short(item.text)}"
    for child in item.children:
        yield from _outline_item(child, depth + 1)


_OUTLINE_MARK: dict[str, Callable[[Item], str]] = {
    "bullet": lambda item: "-",
    "ordered": lambda item: f"{item.number if item.number is not None else '#'}.",
    "task": lambda item: "- [x]" if item.checked else "- [ ]",
    "paragraph": lambda item: "\u00b6",
    "code": lambda item: f"```{item.info or ''}",
    "table": lambda item: "|table|",
    "quote": lambda item: ">",
    "html": lambda item: "<html>",
}


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= OUTLINE_WIDTH else flat[: OUTLINE_WIDTH - 1] + "\u2026"


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)


def _in_source_order(section: Section) -> list[Item | Section]:
    """Items and subsections of ``section`` interleaved by line, as they stood in the source."""
    children: list[Item | Section] = [*section.items, *section.sections]
    children.sort(key=lambda node: node.line)
    return children


# --------------------------------------------------------------------------------------------
# Canonical agent file


def render_agent(agent: Agent) -> str:
    """Write ``agent`` as a canonical agent file: strict YAML frontmatter, normalised Markdown.

    Frontmatter keys come in a stable order (name, description, then first-seen order). The body
    uses ``#`` headings, ``**Title:**`` pseudo-headings, ``-`` bullets, ordered lists numbered from
    1 and fenced code. Parsing the result gives the same model, line numbers aside.
    """
    parts: list[str] = []
    if agent.fields:
        parts.append(render_frontmatter(agent.fields))
    body = "\n\n".join(_blocks(agent.body))
    if body:
        parts.append(body + "\n")
    return "\n".join(parts)


def render_frontmatter(fields: tuple[Field, ...] | list[Field]) -> str:
    """Return the ``---`` block for ``fields`` in strict YAML, keys in the stable order."""
    import yaml

    order = {key: n for n, key in enumerate(FIRST_KEYS)}
    ordered = sorted(fields, key=lambda f: order.get(f.key, len(order)))
    lines = ["---"]
    for f in ordered:
        dumped = yaml.dump(
            {f.key: f.value},
            Dumper=_dumper(),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1_000_000,
        )
        lines.append(dumped.rstrip("\n"))
    lines.append("---")
    return "\n".join(lines) + "\n"


_DUMPER: type[Any] | None = None


def _dumper() -> type[Any]:
    """A SafeDumper that writes multi-line strings as ``|`` blocks, which read like the source."""
    global _DUMPER
    if _DUMPER is None:
        import yaml

        class Dumper(yaml.SafeDumper):
            pass

        def represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
            style = "|" if "\n" in data and _block_safe(data) else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        Dumper.add_representer(str, represent_str)
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
    children = _in_source_order(section)
    run: list[Item] = []
    previous: Item | Section | None = None
    for child in children:
        if isinstance(child, Item) and child.kind in _LIST_KINDS:
            if run and _LIST_KINDS[run[-1].kind] != _LIST_KINDS[child.kind]:
                yield _list_block(run)
                run = []
            if not run and isinstance(previous, Item) and _reads_as_label_line(previous):
                # Directly over a list this paragraph would become a pseudo-heading; in the
                # source something the model does not keep (a rule, a comment) stood between.
                yield "---"
            run.append(child)
            previous = child
            continue
        if run:
            yield _list_block(run)
            run = []
        if isinstance(child, Section):
            yield from _blocks(child)
        else:
            yield _item_block(child)
        previous = child
    if run:
        yield _list_block(run)


def _reads_as_label_line(item: Item) -> bool:
    """Whether a paragraph would be read as a ``Label:`` pseudo-heading if a list followed it."""
    from agentmerge.parse import is_label_line

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


def _list_block(items: list[Item]) -> str:
    lines: list[str] = []
    for number, item in enumerate(items, start=1):
        lines.extend(_list_item_lines(item, number))
    return "\n".join(lines)


def _list_item_lines(item: Item, number: int) -> list[str]:
    if item.kind == "ordered":
        marker = f"{number}."
    elif item.kind == "task":
        marker = "- [x]" if item.checked else "- [ ]"
    else:
        marker = "-"
    indent = " " * (len(f"{number}. ") if item.kind == "ordered" else 2)
    children = list(item.children)
    if item.text or item.kind == "task" or not children:
        # Trailing spaces stay: two of them are a hard line break.
        text_lines = _guarded(item.text, item.kind != "task").split("\n")
        lines = [f"{marker} {text_lines[0]}" if text_lines[0] else marker]
        # Continuation lines that would form a table or a setext underline once indented were
        # lazy in the source (neither can be a lazy line); written lazily again they stay text.
        # Lines that keep indentation of their own stood deeper than the item's content in the
        # source (a lazy line has none left), so they go back there.
        lazy = any(re.match(_TABLE_RULE, line) or re.match(_EQUALS, line) for line in text_lines[1:])
        for number, (before, line) in enumerate(itertools.pairwise(text_lines)):
            # After a blank line (a new paragraph of the item) a line cannot be lazy; the first
            # line, on the marker's line, is never blank in that sense.
            # A line that starts like a block would end the item if it were lazy.
            deep = (
                not lazy
                or line[:1] in (" ", "\t")
                or (number > 0 and not before)
                or (re.match(_BLOCK_START, line) is not None and not re.match(_TABLE_RULE, line))
            )
            if number > 0 and not before:
                line = _guarded(line, True)  # a new paragraph of the item, guarded as one
            lines.append(f"{indent}{line}" if line and deep else line)
    else:
        # An item without text of its own starts with its first child on the marker's line:
        # ``-`` followed by a blank line would end the item before the child.
        first = children.pop(0)
        first_lines = _child_lines(first, 1)
        lines = [f"{marker} {first_lines[0]}"]
        lines.extend(f"{indent}{line}" if line else "" for line in first_lines[1:])
    if re.match(_RULE, lines[0]):
        # "- --" would be a thematic break; "+" never starts one.
        lines[0] = "+" + lines[0][1:]
    # A sub-list right after a block (an HTML block, a table) would run into it: a blank line first.
    after_block = len(children) < len(item.children) and item.children[0].kind not in _LIST_KINDS
    sub_run: list[Item] = []
    for child in children:
        if child.kind in _LIST_KINDS and (not sub_run or _LIST_KINDS[sub_run[-1].kind] == _LIST_KINDS[child.kind]):
            sub_run.append(child)
            continue
        if sub_run:
            lines.extend(["", *_indented_run(sub_run, indent)] if after_block else _indented_run(sub_run, indent))
            after_block = False
        sub_run = []
        if child.kind in _LIST_KINDS:
            sub_run.append(child)
        else:
            lines.append("")
            lines.extend(f"{indent}{line}" if line else "" for line in _item_block(child).split("\n"))
            after_block = True
    if sub_run:
        lines.extend(["", *_indented_run(sub_run, indent)] if after_block else _indented_run(sub_run, indent))
    return lines


def _child_lines(item: Item, number: int) -> list[str]:
    if item.kind in _LIST_KINDS:
        return _list_item_lines(item, number)
    return _item_block(item).split("\n")


def _indented_run(run: list[Item], indent: str) -> list[str]:
    if not run:
        return []
    lines = [f"{indent}{line}" if line else "" for line in _list_block(run).split("\n")]
    if " " not in lines[0].strip():
        # An empty first item cannot interrupt the text above it ("-" would underline it).
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
        if re.match(_UNDERLINE, last) or re.match(_BLOCK_START, last):
            text += "\u00a0"
    return text


# The writer's patterns are strings compiled on first use (``re`` caches them), so commands that
# never write an agent file, ``diff`` among them, do not compile them at start-up.
_UNDERLINE = r"^ {0,3}(?:=+|-+)[ \t]*$"
"""A setext heading's underline."""

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
# Diff results

DIFF_VALUE_WIDTH = 160
"""Characters of a frontmatter value or example shown on one diff line before it is cut."""

MARKDOWN_OPEN_CHANGES = 8
"""Changes of one section shown openly in a Markdown report; the rest fold into ``<details>``."""

MARKDOWN_OPEN_TEXT = 300
"""Characters of one change's text shown openly in a Markdown report; longer text folds away."""

_DIFF_MARK = {"added": "+", "removed": "-", "reworded": "~", "moved": ">", "changed": "~"}
_TOP = "(top of file)"


def diff_to_dict(result: DiffResult) -> dict[str, Any]:
    """Return ``result`` as the JSON of ``agentmerge diff --format json`` (version 1)."""
    summary = result.summary
    return {
        "version": 1,
        "old": {"path": result.old_path},
        "new": {"path": result.new_path},
        "identical": result.identical,
        "summary": {
            "added": summary.added,
            "removed": summary.removed,
            "reworded": summary.reworded,
            "moved": summary.moved,
            "frontmatter": summary.frontmatter,
        },
        "threshold": result.threshold,
        "frontmatter": [_field_change_to_dict(c) for c in result.frontmatter],
        "changes": [_change_to_dict(c) for c in result.changes],
    }


def _field_change_to_dict(change: FieldChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "op": change.op,
        "key": change.key,
        "old": change.old,
        "new": change.new,
        "old_line": change.old_line,
        "new_line": change.new_line,
        "part": change.part,
    }
    if change.similarity is not None:
        data["similarity"] = change.similarity
        data["redline"] = [{"op": s.op, "text": s.text} for s in change.redline]
    if change.added_names or change.removed_names:
        data["added_names"] = list(change.added_names)
        data["removed_names"] = list(change.removed_names)
    data["widened"] = change.widened
    if change.details:
        data["details"] = list(change.details)
    return data


def _change_to_dict(change: Change) -> dict[str, Any]:
    def side(s: Side | None) -> dict[str, Any] | None:
        if s is None:
            return None
        side = {"line": s.line, "text": s.text, "section": s.section, "section_line": s.section_line}
        if s.checked is not None:
            side["checked"] = s.checked
        return side

    return {
        "op": change.op,
        "kind": change.kind,
        "old": side(change.old),
        "new": side(change.new),
        "similarity": change.similarity,
        "redline": [{"op": s.op, "text": s.text} for s in change.redline],
        "polarity": change.polarity,
        "item_kind": change.item_kind,
    }


def render_diff_summary(result: DiffResult) -> str:
    """One line of counts: ``2 added, 1 removed, 3 reworded, 0 moved, 1 frontmatter``."""
    if result.identical:
        return "no semantic changes"
    s = result.summary
    return f"{s.added} added, {s.removed} removed, {s.reworded} reworded, {s.moved} moved, {s.frontmatter} frontmatter"


def render_diff_stat(result: DiffResult) -> str:
    """The ``--stat`` line: both paths and the counts."""
    return f"{result.old_path} -> {result.new_path}: {render_diff_summary(result)}"


def render_diff_text(result: DiffResult) -> Iterator[str]:
    """Yield the plain-text report: a header, frontmatter, then changes grouped by section.

    Each change line starts with a mark (``+`` added, ``-`` removed, ``~`` reworded or changed,
    ``>`` moved, ``!`` a call-out: model change, wider tools), then old and new line numbers.
    Redlines read ``[-deleted-]{+inserted+}``. Colour is the CLI's business.
    """
    yield f"--- {result.old_path}"
    yield f"+++ {result.new_path}"
    if result.frontmatter:
        yield "@@ frontmatter @@"
        for fc in result.frontmatter:
            yield from _field_change_lines(fc)
    group: tuple[bool, int] | None = None
    for change in result.changes:
        key, title = _change_group(change)
        if key != group:
            group = key
            yield f"@@ {title} @@"
        yield _change_line(change)
    yield render_diff_summary(result)


def _lines_column(old: int | None, new: int | None) -> str:
    return f"{old if old is not None else '':>5} -> {new if new is not None else '':<5}"


def _field_change_lines(fc: FieldChange) -> Iterator[str]:
    where = _lines_column(fc.old_line, fc.new_line)
    mark = _DIFF_MARK[fc.op]
    if fc.part == "example":
        text = fc.new if fc.op == "added" else fc.old
        yield f"  {mark} {where} {fc.key} example {fc.op}: {_clip(str(text))}"
        return
    if fc.part == "text":
        yield f"  {mark} {where} {fc.key} reworded ({_percent(fc.similarity)}): {redline_text(fc.redline)}"
        return
    if fc.op == "added":
        yield f"  {mark} {where} {fc.key} added: {_clip(_value_text(fc.new))}"
    elif fc.op == "removed":
        yield f"  {mark} {where} {fc.key} removed: {_clip(_value_text(fc.old))}"
    elif fc.added_names or fc.removed_names:
        names = [f"+{n}" for n in fc.added_names] + [f"-{n}" for n in fc.removed_names]
        yield f"  {mark} {where} {fc.key} changed: {' '.join(names)}"
    else:
        yield f"  {mark} {where} {fc.key} changed: {_clip(_value_text(fc.old))} -> {_clip(_value_text(fc.new))}"
        for detail in fc.details:
            yield f"      {detail}"
    callout = diff_callout(fc)
    if callout:
        yield f"  ! {callout}"


def diff_callout(fc: FieldChange) -> str | None:
    """The warning a reviewer must not miss for this frontmatter change, if any."""
    if fc.key == "model" and fc.op != "added":
        return f"model changed: {_value_text(fc.old)} -> {_value_text(fc.new) if fc.op == 'changed' else '(default)'}"
    if fc.widened and fc.op == "removed":
        return f"{fc.key} widened: the list was removed, so the agent now inherits every tool"
    if fc.widened:
        return f"{fc.key} widened: now also {', '.join(fc.added_names)}"
    return None


def _change_group(change: Change) -> tuple[tuple[bool, int], str]:
    """The section a change is listed under, as a key and a heading."""
    title = change.context or _TOP
    if change.context_removed:
        title += " (removed section)"
    elif change.kind == "section" and change.old and change.new and change.old.text != change.new.text:
        title += f" (was: {change.old.text})"
    return (change.context_removed, change.context_line), title


def _change_line(change: Change) -> str:
    where = _lines_column(change.old.line if change.old else None, change.new.line if change.new else None)
    mark = _DIFF_MARK[change.op]
    what = "section " if change.kind == "section" else ""
    return f"  {mark} {where} {what}{change_description(change)}: {change_text(change, redline_text)}"


def change_description(change: Change) -> str:
    """The op with what qualifies it: ``reworded (87%)``, ``moved from "Setup" (92%)``."""
    notes: list[str] = []
    if change.similarity is not None and change.edited:
        notes.append(_percent(change.similarity))
    if change.polarity is not None:
        notes.append("polarity flipped: now " + ("negative" if change.polarity == "negated" else "positive"))
    ticks = (change.old.checked, change.new.checked) if change.old and change.new else (None, None)
    if None not in ticks and ticks[0] != ticks[1]:
        notes.append("ticked" if ticks[1] else "unticked")
    op: str = change.op
    if change.op == "reworded" and change.kind == "section":
        op = "renamed"
    if change.op == "moved" and change.kind == "item" and change.old and change.new:
        if change.old.section_line and change.old.section != change.new.section:
            op = f'moved from "{change.old.section or _TOP}"'
        elif change.old.section == change.new.section:
            op = "moved within the section"
    elif change.op == "moved" and change.kind == "section" and change.old and change.new:
        op = f'moved from under "{change.old.section or _TOP}"'
        if change.old.section == change.new.section:
            op = "moved among its siblings"
    return f"{op} ({', '.join(notes)})" if notes else op


def change_text(change: Change, show_redline: Callable[[tuple[Segment, ...]], str]) -> str:
    """The text shown for a change: the redline when edited, else the one side's text."""
    if change.edited:
        return show_redline(change.redline)
    side = change.new or change.old
    assert side is not None
    return " ".join(side.text.split())


def redline_text(segments: tuple[Segment, ...]) -> str:
    """A redline as plain text: ``keep [-deleted-]{+inserted+} keep``."""
    return _redline(segments, ("[-", "-]"), ("{+", "+}"))


def redline_markdown(segments: tuple[Segment, ...]) -> str:
    """A redline as Markdown: ``keep ~~deleted~~ **inserted** keep``."""
    return _redline(segments, ("~~", "~~"), ("**", "**"))


def _redline(segments: tuple[Segment, ...], delete: tuple[str, str], insert: tuple[str, str]) -> str:
    out: list[str] = []
    for segment in segments:
        text = re.sub(r"\s+", " ", segment.text)
        if segment.op == "equal":
            out.append(text)
            continue
        marks = delete if segment.op == "delete" else insert
        lead = " " if text[:1] == " " else ""
        trail = " " if text[-1:] == " " else ""
        out.append(f"{lead}{marks[0]}{text.strip()}{marks[1]}{trail}" if text.strip() else text)
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _percent(value: float | None) -> str:
    return "?" if value is None else f"{int(value * 100)}%"


def _clip(text: str, width: int = DIFF_VALUE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def render_diff_markdown(result: DiffResult) -> str:
    """Return a Markdown report of one file's diff, for a pull-request comment.

    A heading with both paths, a summary line, call-outs (model change, wider tools), then the
    frontmatter and each section's changes as a list; redlines read ``~~deleted~~ **inserted**``,
    and long texts and long lists fold into ``<details>``.
    """
    old, new = result.old_path, result.new_path
    title = f"`{new}`" if old == new else f"`{old}` \u2192 `{new}`"
    lines = [f"#### {title}", "", f"**{render_diff_summary(result)}**", ""]
    callouts = [c for c in (diff_callout(fc) for fc in result.frontmatter) if c]
    for callout in callouts:
        lines.append(f"> \u26a0\ufe0f **{callout}**")
        lines.append(">")
    if callouts:
        lines[-1] = ""
    if result.frontmatter:
        lines.append("**Frontmatter**")
        lines.append("")
        lines.extend(_markdown_field_change(fc) for fc in result.frontmatter)
        lines.append("")
    groups: list[tuple[str, list[Change]]] = []
    group: tuple[bool, int] | None = None
    for change in result.changes:
        key, heading = _change_group(change)
        if key != group:
            group = key
            groups.append((heading, []))
        groups[-1][1].append(change)
    for heading, changes in groups:
        lines.append(f"**{_md_inline(heading)}**")
        lines.append("")
        shown = changes if len(changes) <= MARKDOWN_OPEN_CHANGES + 2 else changes[:MARKDOWN_OPEN_CHANGES]
        lines.extend(_markdown_change(c) for c in shown)
        rest = changes[len(shown) :]
        if rest:
            lines.append("")
            lines.append(f"<details><summary>{len(rest)} more changes in this section</summary>")
            lines.append("")
            lines.extend(_markdown_change(c) for c in rest)
            lines.append("")
            lines.append("</details>")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _markdown_field_change(fc: FieldChange) -> str:
    where = _md_lines(fc.old_line, fc.new_line)
    if fc.part == "example":
        text = str(fc.new if fc.op == "added" else fc.old)
        return f"- `{fc.key}` example **{fc.op}** ({where}): {_md_fold(_md_inline(' '.join(text.split())))}"
    if fc.part == "text":
        redlined = _md_fold(redline_markdown(fc.redline))
        return f"- `{fc.key}` **reworded** ({_percent(fc.similarity)}, {where}): {redlined}"
    if fc.op == "added":
        return f"- `{fc.key}` **added** ({where}): {_md_code(_value_text(fc.new))}"
    if fc.op == "removed":
        return f"- `{fc.key}` **removed** ({where}): {_md_code(_value_text(fc.old))}"
    if fc.added_names or fc.removed_names:
        parts = [f"adds {', '.join(_md_code(n) for n in fc.added_names)}"] if fc.added_names else []
        if fc.removed_names:
            parts.append(f"drops {', '.join(_md_code(n) for n in fc.removed_names)}")
        return f"- `{fc.key}` **changed** ({where}): {'; '.join(parts)}"
    return f"- `{fc.key}` **changed** ({where}): {_md_code(_value_text(fc.old))} \u2192 {_md_code(_value_text(fc.new))}"


def _markdown_change(change: Change) -> str:
    where = _md_lines(change.old.line if change.old else None, change.new.line if change.new else None)
    what = "section " if change.kind == "section" else ""
    text = change_text(change, redline_markdown) if change.edited else _md_inline(change_text(change, redline_text))
    return f"- {what}**{_md_inline(change_description(change))}** ({where}): {_md_fold(text)}"


def _md_lines(old: int | None, new: int | None) -> str:
    if old is not None and new is not None:
        return f"L{old} \u2192 L{new}"
    return f"L{old}" if old is not None else f"L{new}"


def _md_fold(text: str) -> str:
    """Long text folds into ``<details>`` behind its first words."""
    if len(text) <= MARKDOWN_OPEN_TEXT:
        return text
    plain = " ".join(re.sub(r"~~.*?~~", " ", text).replace("**", "").split())  # the new wording
    cut = plain.rfind(" ", 0, MARKDOWN_OPEN_TEXT // 2)
    head = plain[: cut if cut > 0 else MARKDOWN_OPEN_TEXT // 2]
    return f"<details><summary>{_html_escape(head)} \u2026</summary>\n\n  {text}\n\n  </details>"


def _md_inline(text: str) -> str:
    """Text safe on one Markdown list line: no line breaks, no HTML taken literally."""
    return " ".join(text.replace("<", "&lt;").split())


def _md_code(text: str) -> str:
    flat = _clip(text)
    fence = "``" if "`" in flat else "`"
    return f"{fence}{flat}{fence}"


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------------------------
# Consolidation results


ANNOTATION_UNSAFE = re.compile(r"[\s,<>]")
"""Characters a path may not carry inside a provenance comment (``parse.ANNOTATION_RE``)."""


def render_consolidation(result: Consolidation, *, annotate: bool = False) -> str:
    """The merged agent file; with ``annotate``, ``<!-- a.md:17, b.md:12 -->`` comments that say
    where each item and heading came from (the parser ignores them)."""
    return render_agent(_annotated(result) if annotate else result.agent)


def consolidation_to_dict(result: Consolidation, *, annotate: bool = False) -> dict[str, Any]:
    """The consolidate report, JSON version 1 (DESIGN.md); ``agent`` is exactly the file written."""
    root = result.body
    top = {
        "title": None,
        "document_title": root.content.title if root.wrapped else None,
        "role": root.role,
        "sources": [_section_source(s) for s in root.sources],
        "items": [merged_item_to_dict(i) for i in root.items],
        "sections": [],
    }
    return {
        "version": 1,
        "inputs": [{"path": path} for path in result.inputs],
        "agent": render_consolidation(result, annotate=annotate),
        "threshold": result.threshold,
        "summary": {
            "inputs": len(result.inputs),
            "items_in": result.items_in,
            "items_out": result.items_out,
            "merged": result.merged,
            "conflicts": len(result.conflicts),
        },
        "fields": [
            {
                "key": f.field.key,
                "value": f.field.value,
                "sources": [_item_source(s) for s in f.sources],
                "conflict": f.conflict,
            }
            for f in result.fields
        ],
        "sections": [top, *(merged_section_to_dict(s) for s in root.sections)],
        "conflicts": [
            {"key": c.key, "values": {text: list(paths) for text, paths in c.values}, "chosen": c.chosen, "why": c.why}
            for c in result.conflicts
        ],
    }


def merged_section_to_dict(merged: MergedSection) -> dict[str, Any]:
    return {
        "title": merged.section.title,
        "role": merged.role,
        "sources": [_section_source(s) for s in merged.sources],
        "items": [merged_item_to_dict(i) for i in merged.items],
        "sections": [merged_section_to_dict(s) for s in merged.sections],
    }


def merged_item_to_dict(merged: MergedItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": merged.item.text,
        "kind": merged.item.kind,
        "support": merged.support,
        "sources": [_item_source(s) for s in merged.sources],
    }
    if merged.children:
        data["children"] = [merged_item_to_dict(c) for c in merged.children]
    return data


def _item_source(source: Any) -> dict[str, Any]:
    return {"path": source.path, "line": source.line, "text": source.text, "similarity": source.similarity}


def _section_source(source: Any) -> dict[str, Any]:
    return {"path": source.path, "line": source.line, "title": source.title}


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
    from dataclasses import replace

    return replace(agent, body=body)


def _annotated_section(merged: MergedSection, names: dict[str, str]) -> Section:
    from dataclasses import replace

    items: list[Item] = []
    section = merged.content
    if merged.sources:
        note = _provenance(merged.sources, names)
        items.append(Item(kind="html", text=note, line=section.line + 1, end_line=section.line + 1))
    for child in merged.items:
        items.extend(_annotated_item(child, names))
    subsections = tuple(_annotated_section(s, names) for s in merged.sections)
    content = replace(section, items=tuple(items), sections=subsections)
    return replace(merged.section, sections=(content,)) if merged.wrapped else content


def _annotated_item(merged: MergedItem, names: dict[str, str]) -> list[Item]:
    from dataclasses import replace

    item = merged.item
    children: list[Item] = []
    for child in merged.children:
        children.extend(_annotated_item(child, names))
    comment = _provenance(merged.sources, names)
    if item.kind in ("bullet", "ordered", "task", "paragraph") and item.text.strip():
        return [replace(item, text=f"{item.text} {comment}", children=tuple(children))]
    note = Item(kind="html", text=comment, line=item.line - 1, end_line=item.line - 1)
    return [note, replace(item, children=tuple(children))]
