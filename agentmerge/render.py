"""Turn models and results into text: outlines, JSON-ready dicts, and canonical agent files.

Renderers return strings or yield lines without colour; the CLI adds colour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from agentmerge.model import Agent, Example, Field, Item, Section

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
        yield f"{'#' * max(1, min(section.level, 6))} {section.title}"
    elif section.kind == "pseudo":
        yield _pseudo_line(section.title or "")
    children = _in_source_order(section)
    numbered = _numbered_pseudos(section, children)
    run: list[Item] = []
    for child in children:
        if isinstance(child, Section) and child in numbered:
            child = _as_numbered_item(child)
        if isinstance(child, Item) and child.kind in _LIST_KINDS:
            if run and _LIST_KINDS[run[-1].kind] != _LIST_KINDS[child.kind]:
                yield _list_block(run)
                run = []
            run.append(child)
            continue
        if run:
            yield _list_block(run)
            run = []
        if isinstance(child, Section):
            yield from _blocks(child)
        else:
            yield _item_block(child)
    if run:
        yield _list_block(run)


def _pseudo_line(title: str) -> str:
    """``**Title:**``; ``__Title:__`` when the title itself holds ``**``, which would end the bold early."""
    if "**" in title and "__" not in title:
        return f"__{title}:__"
    return f"**{title}:**"


def _numbered_pseudos(section: Section, children: list[Item | Section]) -> list[Section]:
    """Subsections to write as numbered ``1. **Title:**`` items over a sub-list.

    The parser reads such an item as a pseudo-heading but leaves the list's other items in the
    enclosing section, and it nests it under an enclosing pseudo-heading, which a ``**Title:**``
    paragraph cannot do. So a pseudo-heading whose content fits in a list item is written in the
    numbered form when it stands among ordered items or under a pseudo-heading; every such
    pseudo-heading of an unbroken run goes the same way, so the list stays one list.
    """
    numbered: list[Section] = []
    group: list[Section] = []
    with_items = section.kind == "pseudo"
    for child in [*children, None]:
        if isinstance(child, Section) and _fits_list_item(child):
            group.append(child)
            continue
        if isinstance(child, Item) and child.kind == "ordered":
            with_items = True
            continue
        if with_items:
            numbered.extend(group)
        group = []
        with_items = section.kind == "pseudo"
    return numbered


def _fits_list_item(section: Section) -> bool:
    """Whether a pseudo-heading's content can be the children of a numbered item."""
    return (
        section.kind == "pseudo"
        and not section.sections
        and any(item.kind in _LIST_KINDS for item in section.items)
        and all(item.kind != "paragraph" for item in section.items)
    )


def _as_numbered_item(section: Section) -> Item:
    return Item(
        kind="ordered",
        text=_pseudo_line(section.title or ""),
        line=section.line,
        end_line=section.end_line,
        children=section.items,
    )


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
        text_lines = item.text.split("\n")
        lines = [f"{marker} {text_lines[0]}" if text_lines[0] else marker]
        # Continuation lines that would form a table once indented were lazy in the source
        # (a table cannot start on a lazy line); written lazily again they stay text.
        follow = "" if any(_TABLE_RULE_RE.match(line) for line in text_lines[1:]) else indent
        lines.extend(f"{follow}{line}" if line else "" for line in text_lines[1:])
    else:
        # An item without text of its own starts with its first child on the marker's line:
        # ``-`` followed by a blank line would end the item before the child.
        first = children.pop(0)
        first_lines = _child_lines(first, 1)
        lines = [f"{marker} {first_lines[0]}"]
        lines.extend(f"{indent}{line}" if line else "" for line in first_lines[1:])
    sub_run: list[Item] = []
    for child in children:
        if child.kind in _LIST_KINDS and (not sub_run or _LIST_KINDS[sub_run[-1].kind] == _LIST_KINDS[child.kind]):
            sub_run.append(child)
            continue
        lines.extend(_indented_run(sub_run, indent))
        sub_run = []
        if child.kind in _LIST_KINDS:
            sub_run.append(child)
        else:
            lines.append("")
            lines.extend(f"{indent}{line}" if line else "" for line in _item_block(child).split("\n"))
    lines.extend(_indented_run(sub_run, indent))
    return lines


def _child_lines(item: Item, number: int) -> list[str]:
    if item.kind in _LIST_KINDS:
        return _list_item_lines(item, number)
    return _item_block(item).split("\n")


def _indented_run(run: list[Item], indent: str) -> list[str]:
    if not run:
        return []
    return [f"{indent}{line}" if line else "" for line in _list_block(run).split("\n")]


def _item_block(item: Item) -> str:
    if item.kind == "code":
        longest = max((len(m) for m in re.findall(r"`{3,}|~{3,}", item.text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{item.info or ''}\n{item.text}\n{fence}" if item.text else f"{fence}{item.info or ''}\n{fence}"
    if item.kind == "quote":
        return "\n".join(f"> {line}".rstrip() for line in item.text.split("\n"))
    if item.kind in _LIST_KINDS:
        return "\n".join(_list_item_lines(item, item.number or 1))
    if item.kind == "paragraph" and _BLOCK_START_RE.match(item.text):
        # Markdown trims a paragraph's leading white space, no-break spaces included, so text
        # such as "- x" can only have been a paragraph behind one; written so, it stays one.
        return "\u00a0" + item.text
    return item.text


_TABLE_RULE_RE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$|^[ \t]*\|[ \t]*:?-+:?[ \t]*\|"
)
"""A table's delimiter row (``| --- | :-: |``)."""

_BLOCK_START_RE = re.compile(r"(?:[-*+]|\d{1,9}[.)]|#{1,6})(?:[ \t]|$)|>|`{3}|~{3}|(?:[-*_][ \t]*){3,}$")
"""Text at a line's start that Markdown reads as the start of a list, heading, quote, fence or rule."""


# --------------------------------------------------------------------------------------------
# Diff results


# --------------------------------------------------------------------------------------------
# Consolidation results
