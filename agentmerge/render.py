"""Turn models and results into reports: outlines, JSON-ready dicts, text and Markdown diffs.

Renderers return strings or yield lines without colour; the CLI adds colour. The agent file
itself is the writer's (``writer.render_agent``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from agentmerge.fields import value_text
from agentmerge.model import Agent, Diagnostic, Example, Field, Item, Section
from agentmerge.text import BIDI_CONTROLS, TAG_CHARACTERS, TOP_OF_FILE, ZERO_WIDTH, clip, counted

if TYPE_CHECKING:
    # Result types only: rendering reads them and never runs the algorithms.
    from agentmerge.consolidate import Consolidation, MergedItem, MergedSection
    from agentmerge.diff import Attention, BlockLine, Change, DiffResult, FieldChange, LineDiff, Segment, Side
    from agentmerge.group import Group, Grouping
    from agentmerge.merge import ConflictSide, MergeResult

OUTLINE_WIDTH = 100
"""Characters of an item's text shown on one outline line before it is cut with an ellipsis."""

_INVISIBLE_RE = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029{ZERO_WIDTH}{BIDI_CONTROLS}{TAG_CHARACTERS}]"
)
"""Characters a report shows escaped: C0 and C1 controls but tab and line feed (ESC opens the
terminal's CSI and OSC sequences), the marks that reorder or hide text around them (bidi
embeddings, overrides and isolates, line and paragraph separators), the zero-width characters
that join nothing (zero-width space, word joiner, invisible operators, a byte order mark inside
the text), and Unicode tag characters, which screens draw as nothing while a language model
reads the ASCII they encode (``check`` AM004 decodes them). Zero-width joiners and variation
selectors, which emoji and scripts need, are left as they are."""


def visible(text: str) -> str:
    """``text`` with every control character and bidi mark written as an escape (``\\x1b``,
    ``\\u202e``), so a file cannot move the cursor, retitle the terminal or reorder what a reviewer
    reads. Text and Markdown reports pass file text through it; JSON keeps the real characters
    (as JSON escapes) and agent files keep their bytes."""
    if _INVISIBLE_RE.search(text) is None:
        return text
    return _INVISIBLE_RE.sub(_escape_invisible, text)


def one_line(text: str) -> str:
    """``visible`` for a line of its own (a message, a finding): line breaks show as ``\\n`` too,
    so a file's name or text cannot start a line that looks like the tool's."""
    return visible(text).replace("\n", "\\n")


def _escape_invisible(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible_lines(render: Callable[..., Iterator[str]]) -> Callable[..., Iterator[str]]:
    """Make a line renderer yield its lines through ``one_line``: a line break inside one (a file
    named ``a.md\\n+ added: ...`` in a pull request) shows as ``\\n`` rather than starting a line
    that looks like the report's."""
    import functools

    @functools.wraps(render)
    def lines(*args: Any, **kwargs: Any) -> Iterator[str]:
        for line in render(*args, **kwargs):
            yield one_line(line)

    return lines


# --------------------------------------------------------------------------------------------
# JSON-ready dicts


def to_json(data: Any) -> str:
    """The JSON text agentmerge prints: indented, UTF-8, stable key order, a final line break.

    A bad byte kept in a text (``parse.decode``'s ``keep_bytes``) shows as U+FFFD
    (``parse.readable``): JSON is UTF-8 text and cannot hold it.
    """
    import json

    from agentmerge.parse import readable

    return readable(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def render_agents_json(agents: Iterable[Agent]) -> Iterator[str]:
    """The parse report (``{"version": 1, "agents": [...]}``) in pieces, one per agent as it comes
    (``json_pieces``): memory stays flat in the number of files, each agent written as soon as it
    is read."""
    return json_pieces({"version": 1}, "agents", (agent_to_dict(agent) for agent in agents))


def json_pieces(head: dict[str, Any], key: str, entries: Iterable[Any]) -> Iterator[str]:
    """``to_json({**head, key: [*entries]})`` in pieces, one per entry as it comes, never held whole.

    ``key`` is the document's last key. JSON strings hold no raw line breaks, so indenting each line
    of an entry's own dump by two levels places it inside the list.
    """
    whole = to_json({**head, key: []})
    opening = whole[: whole.rindex("[]")] + "[\n    "
    printed = False
    for entry in entries:
        yield (",\n    " if printed else opening) + to_json(entry).rstrip("\n").replace("\n", "\n    ")
        printed = True
    yield "\n  ]\n}\n" if printed else whole


def agent_to_dict(agent: Agent) -> dict[str, Any]:
    """Return the model of ``agent`` as plain dicts and lists, ready for ``json.dumps``."""
    return {
        "path": agent.path,
        "has_frontmatter": agent.has_frontmatter,
        "fields": [field_to_dict(f) for f in agent.fields],
        "body": section_to_dict(agent.body),
        "warnings": warnings_to_list(agent.warnings),
    }


def warnings_to_list(warnings: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    """A file's warnings as the parse and review reports write them: the line and the message."""
    return [{"line": w.line, "message": w.message} for w in warnings]


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


@visible_lines
def render_outline(agent: Agent) -> Iterator[str]:
    """Yield an indented outline of ``agent`` with each node's line number."""
    yield agent.path
    if agent.fields:
        yield "  frontmatter"
        for f in agent.fields:
            extra = f"  ({counted(len(f.examples), 'example')})" if f.examples else ""
            yield f"{f.line:>5}    {f.key}: {_short(value_text(f.value))}{extra}"
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
    for child in section.in_order():
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


# --------------------------------------------------------------------------------------------
# Diff results

DIFF_VALUE_WIDTH = 160
"""Characters of a frontmatter value or example shown on one diff line before it is cut."""

MARKDOWN_OPEN_CHANGES = 8
"""Changes of one section shown openly in a Markdown report; the rest fold into ``<details>``."""

MARKDOWN_OPEN_TEXT = 300
"""Characters of one change's text shown openly in a Markdown report; longer text folds away."""

_DIFF_MARK = {"added": "+", "removed": "-", "reworded": "~", "moved": ">", "changed": "~"}


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
        "attention": [attention_to_dict(a) for a in result.attention],
        "frontmatter": [_field_change_to_dict(c) for c in result.frontmatter],
        "changes": [_change_to_dict(c) for c in result.changes],
    }


def attention_to_dict(attention: Attention) -> dict[str, Any]:
    """One entry of the diff JSON's ``attention`` list."""
    return {"kind": attention.kind, "message": attention.message, "line": attention.line, "key": attention.key}


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
    if change.old_written is not None:
        data["old_written"] = change.old_written
    if change.new_written is not None:
        data["new_written"] = change.new_written
    return data


def _change_to_dict(change: Change) -> dict[str, Any]:
    def side(s: Side | None) -> dict[str, Any] | None:
        if s is None:
            return None
        side: dict[str, Any] = {"line": s.line, "text": s.text, "section": s.section, "section_line": s.section_line}
        if s.checked is not None:
            side["checked"] = s.checked
        if s.level is not None:
            side["level"] = s.level
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
        "lines": [
            {"op": line.op, "text": line.text, "old_line": line.old_line, "new_line": line.new_line}
            for line in change.lines
        ],
        "within": change.within,
        "same_section": change.same_section,
    }


def render_diff_summary(result: DiffResult) -> str:
    """One line of counts: ``2 added, 1 removed, 3 reworded, 0 moved, 1 frontmatter``."""
    if result.identical:
        return "no semantic changes"
    s = result.summary
    return f"{s.added} added, {s.removed} removed, {s.reworded} reworded, {s.moved} moved, {s.frontmatter} frontmatter"


def render_diff_stat(result: DiffResult) -> str:
    """The ``--stat`` line: both paths and the counts."""
    return one_line(f"{result.old_path} -> {result.new_path}: {render_diff_summary(result)}")


def diff_stat_to_dict(result: DiffResult) -> dict[str, Any]:
    """The ``--stat`` JSON: the diff report's version, sides, ``identical`` and summary only."""
    data = diff_to_dict(result)
    return {key: data[key] for key in ("version", "old", "new", "identical", "summary")}


def render_diff_stat_markdown(result: DiffResult) -> str:
    """The ``--stat`` line in Markdown: the counts in bold."""
    return f"**{render_diff_summary(result)}**"


@visible_lines
def render_diff_text(result: DiffResult) -> Iterator[str]:
    """Yield the plain-text report: a header, frontmatter, then changes grouped by section.

    Each change line starts with a mark (``+`` added, ``-`` removed, ``~`` reworded or changed,
    ``>`` moved, ``!`` a call-out: model change, wider tools), then old and new line numbers.
    Redlines read ``[-deleted-]{+inserted+}``. Colour is the CLI's business.
    """
    yield f"--- {result.old_path}"
    yield f"+++ {result.new_path}"
    for attention in result.attention:
        yield f"  ! {attention_line(attention)}"
    if result.frontmatter:
        yield "@@ frontmatter @@"
        for fc in result.frontmatter:
            yield from _field_change_lines(fc)
    group: tuple[bool, int, bool] | None = None
    for change in result.changes:
        key, title = _change_group(change)
        if key != group:
            group = key
            yield f"@@ {title} @@"
        yield from _change_lines(change)
    yield render_diff_summary(result)


def attention_line(attention: Attention) -> str:
    """An attention entry on one line: its message, with the line it is about."""
    return f"L{attention.line}: {attention.message}" if attention.line is not None else attention.message


def _lines_column(old: int | None, new: int | None) -> str:
    return f"{old if old is not None else '':>5} -> {new if new is not None else '':<5}"


def _shown(value: object, written: str | None) -> str:
    """A frontmatter value as a report shows it: as the file writes it when that spelling reads
    otherwise to another YAML reader (``FieldChange.old_written``), else as the writer would."""
    return written if written is not None else value_text(value)


def _field_change_lines(fc: FieldChange) -> Iterator[str]:
    where = _lines_column(fc.old_line, fc.new_line)
    mark = _DIFF_MARK[fc.op]
    if fc.part == "example" and fc.op == "reworded":
        yield f"  {mark} {where} {fc.key} example reworded ({_percent(fc.similarity)}): {redline_text(fc.redline)}"
        return
    if fc.part == "example":
        text = fc.new if fc.op == "added" else fc.old
        yield f"  {mark} {where} {fc.key} example {fc.op}: {_clip(str(text))}"
        return
    if fc.part == "text":
        yield f"  {mark} {where} {fc.key} reworded ({_percent(fc.similarity)}): {redline_text(fc.redline)}"
        return
    old, new = _shown(fc.old, fc.old_written), _shown(fc.new, fc.new_written)
    if fc.op == "added":
        yield f"  {mark} {where} {fc.key} added: {_clip(new)}"
    elif fc.op == "removed":
        yield f"  {mark} {where} {fc.key} removed: {_clip(old)}"
    elif fc.added_names or fc.removed_names:
        names = [f"+{n}" for n in fc.added_names] + [f"-{n}" for n in fc.removed_names]
        yield f"  {mark} {where} {fc.key} changed: {' '.join(names)}"
    else:
        yield f"  {mark} {where} {fc.key} changed: {_clip(old)} -> {_clip(new)}"
        for detail in fc.details:
            yield f"      {detail}"


def _change_group(change: Change) -> tuple[tuple[bool, int, bool], str]:
    """The section a change is listed under, as a key and a heading. The top of a file starts
    on its first line, which is a heading's when nothing stands above it: the two are told apart."""
    title = change.context or TOP_OF_FILE
    if change.context_removed:
        title += " (removed section)"
    elif change.kind == "section" and change.old and change.new and change.old.text != change.new.text:
        title += f" (was: {change.old.text})"
    return (change.context_removed, change.context_line, change.context is None), title


def _change_lines(change: Change) -> Iterator[str]:
    """A change's line, and for a code block, table or HTML block the lines of the block that
    changed, each under the change's own line numbers: ``    11 -> 12    | + text``."""
    where = _lines_column(change.old.line if change.old else None, change.new.line if change.new else None)
    mark = _DIFF_MARK[change.op]
    what = "section " if change.kind == "section" else ""
    text = block_title(change) if change.lines else change_text(change, redline_text)
    yield f"  {mark} {where} {what}{change_description(change)}: {text}"
    yield from block_line_text(change.lines)


def block_line_text(lines: tuple[BlockLine, ...]) -> Iterator[str]:
    """A block's line diff in the text report, a ``...`` line where unchanged lines are left out."""
    for n, line in enumerate(lines):
        if n and _gap(lines[n - 1], line):
            yield f"    {'':>5}    {'':<5}   |   ..."
        yield f"    {_lines_column(line.old_line, line.new_line)}   | {line.op} {line.text}".rstrip()


def _gap(before: BlockLine, after: BlockLine) -> bool:
    """Whether unchanged lines were left out between two lines of a block's line diff."""
    for a, b in ((before.old_line, after.old_line), (before.new_line, after.new_line)):
        if a is not None and b is not None:
            return b - a > 1
    return False


def block_title(change: Change) -> str:
    """What a block change's line says before its lines: the kind of block and how it opens."""
    side = change.new or change.old
    assert side is not None
    kind = change.item_kind or ""
    first = side.text.split("\n", 1)[0].strip()
    if kind == "code":
        # The new side's fence first: a language added to a bare fence names the block.
        fences = [line.text for line in change.lines if line.op != "-" and line.text.startswith("```")]
        fences += [line.text for line in change.lines if line.op == "-" and line.text.startswith("```")]
        language = fences[0][3:].strip() if fences else ""
        return f"code block{' (' + language + ')' if language else ''}, {_count_lines(change)}"
    if kind == "table":
        return f"table {_clip(first, OUTLINE_WIDTH)}, {_count_lines(change)}"
    return f"{_clip(first, OUTLINE_WIDTH)}, {_count_lines(change)}"


def _count_lines(change: Change) -> str:
    added = sum(1 for line in change.lines if line.op == "+")
    removed = sum(1 for line in change.lines if line.op == "-")
    return f"{counted(added, 'line')} added, {removed:,} removed"


def change_description(change: Change) -> str:
    """The op with what qualifies it: ``reworded (87%)``, ``moved from "Setup" (92%)``."""
    notes: list[str] = []
    if change.similarity is not None and change.edited:
        notes.append(_percent(change.similarity))
    if change.polarity is not None:
        notes.append("polarity flipped: now " + ("negative" if change.polarity == "negated" else "positive"))
    levels = (change.old.level, change.new.level) if change.old and change.new else (None, None)
    if None not in levels and levels[0] != levels[1]:
        notes.append(f"heading {'#' * (levels[0] or 0)} -> {'#' * (levels[1] or 0)}")
    ticks = (change.old.checked, change.new.checked) if change.old and change.new else (None, None)
    if None not in ticks and ticks[0] != ticks[1]:
        notes.append("ticked" if ticks[1] else "unticked")
    # The op is the JSON's word (added, removed, reworded, moved); only where it comes from is added.
    op: str = change.op
    if change.within is not None and change.old and change.new:
        longer = change.new if change.within == "new" else change.old
        op = f"moved {'into' if change.within == 'new' else 'out of'} L{longer.line}"
    elif change.op == "moved" and change.kind == "item" and change.old and change.new:
        # Whether the section is the same is the pairing's word, not the titles': a step reordered
        # in a renamed section moved within it, and one carried between two "## Examples" did not.
        op = "moved within the section" if change.same_section else f'moved from "{change.old.section or TOP_OF_FILE}"'
        if not change.same_section and change.old.section == change.new.section:
            op += f" at L{change.old.section_line}"  # another section of the same title
    elif change.op == "moved" and change.kind == "section" and change.old and change.new:
        parent = change.old.section or TOP_OF_FILE
        op = "moved among its siblings" if change.same_section else f'moved from under "{parent}"'

    return f"{op} ({', '.join(notes)})" if notes else op


def change_text(change: Change, show_redline: Callable[[tuple[Segment, ...]], str]) -> str:
    """The text shown for a change: the redline when edited, else the one side's text (for
    words moved into or out of a longer item, the shorter item's)."""
    if change.edited:
        return show_redline(change.redline)
    side = change.new or change.old
    if change.within == "new":
        side = change.old
    assert side is not None
    return " ".join(side.text.split()) or NO_TEXT


NO_TEXT = "(a list item with no text of its own: it only opens a quote, code block or list)"
"""What a change shows for an item without words (``- > quoted``): its content is its children."""


def redline_text(segments: tuple[Segment, ...]) -> str:
    """A redline as plain text: ``keep [-deleted-]{+inserted+} keep``."""
    return _redline(segments, ("[-", "-]"), ("{+", "+}"))


def redline_markdown(segments: tuple[Segment, ...]) -> str:
    """A redline as Markdown: ``keep <del>deleted</del><ins>inserted</ins> keep``, the texts
    escaped. HTML tags, not ``~~`` and ``**``: those mark nothing when they stand between a
    letter and a punctuation mark (``inputs~~,~~**;**`` renders as written, and strikes the
    words up to the next ``~~``), and GitHub reads both tags."""
    return _redline(segments, ("<del>", "</del>"), ("<ins>", "</ins>"), escape=markdown_text)


def _redline(
    segments: tuple[Segment, ...],
    delete: tuple[str, str],
    insert: tuple[str, str],
    escape: Callable[..., str] | None = None,
) -> str:
    out: list[str] = []
    for segment in segments:
        text = re.sub(r"\s+", " ", segment.text)
        if escape is not None and text.strip():
            lead = " " if text[:1] == " " else ""
            trail = " " if text[-1:] == " " else ""
            # Only the first piece can stand at the start of a line (a folded redline does).
            text = f"{lead}{escape(text, line_start=not out)}{trail}"
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
    return clip(text, width)


def render_diff_markdown(result: DiffResult) -> str:
    """Return a Markdown report of one file's diff, for a pull-request comment.

    A heading with both paths, a summary line, call-outs (model change, wider tools), then the
    frontmatter and each section's changes as a list; redlines read
    ``<del>deleted</del><ins>inserted</ins>``, and long texts and long lists fold into
    ``<details>``. Every piece of text from the files (paths, titles, wordings, keys, values) is
    escaped, so it reads as text and cannot open or close Markdown or HTML of the report's own.
    """
    old, new = result.old_path, result.new_path
    title = markdown_code(new) if old == new else f"{markdown_code(old)} \u2192 {markdown_code(new)}"
    lines = [f"#### {title}", "", f"**{render_diff_summary(result)}**", ""]
    for attention in result.attention:
        lines.append(f"> \u26a0\ufe0f **{markdown_text(attention_line(attention))}**")
        lines.append(">")
    if result.attention:
        lines[-1] = ""
    if result.frontmatter:
        lines.append("**Frontmatter**")
        lines.append("")
        lines.extend(_markdown_field_change(fc) for fc in result.frontmatter)
        lines.append("")
    groups: list[tuple[str, list[Change]]] = []
    group: tuple[bool, int, bool] | None = None
    for change in result.changes:
        key, heading = _change_group(change)
        if key != group:
            group = key
            groups.append((heading, []))
        groups[-1][1].append(change)
    for heading, changes in groups:
        lines.append(f"**{markdown_text(heading)}**")
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
    key = markdown_code(fc.key)
    if fc.part == "example" and fc.op == "reworded":
        redlined = _md_fold(redline_markdown(fc.redline), _new_wording(fc.redline))
        return f"- {key} example **reworded** ({_percent(fc.similarity)}, {where}): {redlined}"
    if fc.part == "example":
        text = str(fc.new if fc.op == "added" else fc.old)
        return f"- {key} example **{fc.op}** ({where}): {_md_fold(markdown_text(text), text)}"
    if fc.part == "text":
        redlined = _md_fold(redline_markdown(fc.redline), _new_wording(fc.redline))
        return f"- {key} **reworded** ({_percent(fc.similarity)}, {where}): {redlined}"
    if fc.op == "added":
        return f"- {key} **added** ({where}): {_md_value(_shown(fc.new, fc.new_written))}"
    if fc.op == "removed":
        return f"- {key} **removed** ({where}): {_md_value(_shown(fc.old, fc.old_written))}"
    if fc.added_names or fc.removed_names:
        parts = [f"adds {', '.join(_md_value(n) for n in fc.added_names)}"] if fc.added_names else []
        if fc.removed_names:
            parts.append(f"drops {', '.join(_md_value(n) for n in fc.removed_names)}")
        return f"- {key} **changed** ({where}): {'; '.join(parts)}"
    old, new = _md_value(_shown(fc.old, fc.old_written)), _md_value(_shown(fc.new, fc.new_written))
    return f"- {key} **changed** ({where}): {old} \u2192 {new}"


def _markdown_change(change: Change) -> str:
    where = _md_lines(change.old.line if change.old else None, change.new.line if change.new else None)
    what = "section " if change.kind == "section" else ""
    if change.lines:
        title = markdown_text(block_title(change))
        head = f"- {what}**{markdown_text(change_description(change))}** ({where}): {title}"
        return head + "\n\n" + _indent(block_line_markdown(change.lines), "  ")
    if change.edited:
        text = _md_fold(redline_markdown(change.redline), _new_wording(change.redline))
    else:
        plain = change_text(change, redline_text)
        text = _md_fold(markdown_text(plain), plain)
    return f"- {what}**{markdown_text(change_description(change))}** ({where}): {text}"


MARKDOWN_OPEN_LINES = 30
"""Lines of a block's line diff shown openly in a Markdown report; longer ones fold into ``<details>``."""


def block_line_markdown(lines: tuple[BlockLine, ...]) -> str:
    """A block's line diff as a ``diff`` code fence, one ``@@ -old +new @@`` hunk header (the
    file's line numbers) per run of shown lines; the fence is longer than any backtick run in
    the lines, so none of them can close it. Long diffs fold into ``<details>``."""
    hunks: list[list[BlockLine]] = []
    for n, line in enumerate(lines):
        if not n or _gap(lines[n - 1], line):
            hunks.append([])
        hunks[-1].append(line)
    body: list[str] = []
    for hunk in hunks:
        olds = [line.old_line for line in hunk if line.old_line is not None]
        news = [line.new_line for line in hunk if line.new_line is not None]
        old_range = f"{olds[0]},{len(olds)}" if olds else "0,0"
        new_range = f"{news[0]},{len(news)}" if news else "0,0"
        body.append(f"@@ -{old_range} +{new_range} @@")
        body.extend(f"{line.op}{line.text}" for line in hunk)
    text = "\n".join(body)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    block = f"{fence}diff\n{text}\n{fence}"
    if len(lines) <= MARKDOWN_OPEN_LINES:
        return block
    return f"<details><summary>{len(lines):,} lines</summary>\n\n{block}\n\n</details>"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _md_lines(old: int | None, new: int | None) -> str:
    if old is not None and new is not None:
        return f"L{old} \u2192 L{new}"
    return f"L{old}" if old is not None else f"L{new}"


def _new_wording(segments: tuple[Segment, ...]) -> str:
    """The new side of a redline as plain text."""
    return "".join(s.text for s in segments if s.op != "delete")


def _md_fold(markdown: str, plain: str) -> str:
    """Long ``markdown`` folds into ``<details>`` behind the first words of ``plain``, its text."""
    if len(markdown) <= MARKDOWN_OPEN_TEXT:
        return markdown
    flat = " ".join(plain.split())
    cut = flat.rfind(" ", 0, MARKDOWN_OPEN_TEXT // 2)
    head = flat[: cut if cut > 0 else MARKDOWN_OPEN_TEXT // 2]
    # The fold stands inside a list item's line, where the summary is read as Markdown, not raw HTML.
    return f"<details><summary>{markdown_text(head, line_start=False)} \u2026</summary>\n\n  {markdown}\n\n  </details>"


def _md_value(text: str) -> str:
    """A frontmatter value as inline code, clipped to one line."""
    return markdown_code(_clip(text))


MARKDOWN_ESCAPED = frozenset("\\`*_~[]<|&$")
"""ASCII punctuation escaped with a backslash anywhere in Markdown text: what can open or close
emphasis, code, links, HTML, entities, table cells or math in GitHub's Markdown. ``(``, ``>`` and
``!`` act only after a ``]`` or ``<``, which are escaped, or at the start of a line."""

_LINE_START_MARK = r"^(?:[-+=>#]|\d{1,9}[.)])"


_GITHUB_REFERENCE = (
    r"(?<![\w@])@(?=[A-Za-z0-9])|#(?=\d)|(?i:github)(?=\.com/[^/\s]+/[^/\s]+/(?:issues|pull|discussions)/\d)"
)
"""What GitHub reads as a mention or an issue reference, up to where a zero-width space breaks it:
an ``@`` (``@octocat``, ``@org/team``; not the one in ``a@b.com``), a ``#`` (``#12``,
``owner/repo#12``) and the ``github`` of a link to an issue, pull request or discussion (which,
linked, would put a back-reference on it)."""


def markdown_text(text: str, *, line_start: bool = True) -> str:
    """``text`` from a file, as Markdown text on one line that renders as that text.

    Line breaks become spaces; each character that could start Markdown or HTML is escaped with a
    backslash (CommonMark allows it before any ASCII punctuation), and with ``line_start`` so is a
    leading list, quote, heading or setext mark, since a folded text starts a line of its own.
    A zero-width space follows each ``@`` and ``#`` GitHub would read as a mention or an issue
    reference, and the ``github`` of a link to an issue (``_GITHUB_REFERENCE``): a report posted
    as a pull request comment quotes a stranger's text, and must not notify the people it names
    or put a reference on the issues it cites.
    """
    flat = visible(" ".join(text.split()))
    escaped = "".join(f"\\{c}" if c in MARKDOWN_ESCAPED else c for c in flat)
    mark = re.match(_LINE_START_MARK, escaped) if line_start else None
    if mark:
        escaped = escaped[: mark.end() - 1] + "\\" + escaped[mark.end() - 1 :]
    return re.sub(_GITHUB_REFERENCE, lambda found: found.group() + "\u200b", escaped)


def markdown_code(text: str, *, table: bool = False) -> str:
    """``text`` as one inline code span, whatever backticks it holds; ``table`` escapes ``|``,
    which GitHub reads as a cell border even inside code."""
    flat = visible(" ".join(text.split()))
    if not flat:
        return "(empty)"
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat[0] == "`" or flat[-1] == "`" else ""
    if table:
        flat = flat.replace("|", "\\|")
    return f"{fence}{pad}{flat}{pad}{fence}"


# --------------------------------------------------------------------------------------------
# Line diffs (files that are not agent files)


def line_diff_to_dict(result: LineDiff, *, stat: bool = False) -> dict[str, Any]:
    """A line diff in the diff report's shape, marked ``"fallback": "lines"`` (without the lines
    for ``--stat``)."""
    return {
        "version": 1,
        "old": {"path": result.old_path},
        "new": {"path": result.new_path},
        "identical": result.identical,
        "fallback": "lines",
        "lines": [] if stat else list(result.lines),
    }


def render_line_diff_stat(result: LineDiff) -> str:
    """The ``--stat`` line of a line diff."""
    said = "no changes" if result.identical else "not agent files; lines differ"
    return one_line(f"{result.old_path} -> {result.new_path}: {said}")


def render_line_diff_markdown(result: LineDiff) -> str:
    """A line diff as Markdown: a heading and the lines in a ``diff`` fence longer than any
    backtick run in them, so none of them can close it."""
    body = visible("\n".join(result.lines))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
    heading = f"#### {markdown_code(result.new_path)}\n\nNot an agent file; plain line diff:\n\n"
    return f"{heading}{fence}diff\n{body}\n{fence}\n"


# --------------------------------------------------------------------------------------------
# Consolidation results


def consolidation_to_dict(
    result: Consolidation, *, annotate: bool = False, output: str | None = None
) -> dict[str, Any]:
    """The consolidate report, JSON version 1 (docs/json.md); ``agent`` is exactly the file written
    (to ``output``, when one is: ``writer.render_consolidation``)."""
    from agentmerge.writer import render_consolidation  # only consolidate needs the writer

    root = result.body
    # A key left out for the --for format (after the written ones) has no source written in full.
    written = len(result.fields)
    fields = [
        {
            "key": f.field.key,
            "value": f.field.value,
            "sources": [_item_source(s, kept=n < f.kept and k < written) for n, s in enumerate(f.sources)],
            "conflict": f.conflict,
        }
        for k, f in enumerate((*result.fields, *result.left_out))
    ]
    top = {
        "title": None,
        "document_title": root.content.title if root.wrapped else None,
        "role": root.role,
        "sources": [_section_source(s) for s in root.sources],
        "items": [merged_item_to_dict(i) for i in root.items],
        "sections": [],
    }
    report: dict[str, Any] = {
        "version": 1,
        "inputs": [{"path": path} for path in result.inputs],
        "agent": render_consolidation(result, annotate=annotate, output=output),
        "threshold": result.threshold,
        "summary": {
            "inputs": len(result.inputs),
            "items_in": result.items_in,
            "items_out": result.items_out,
            "merged": result.merged,
            "conflicts": len(result.conflicts),
            "contradictions": len(result.contradictions),
        },
        "fields": fields[:written],
        "sections": [top, *(merged_section_to_dict(s) for s in root.sections)],
        "conflicts": [
            {"key": c.key, "values": {text: list(paths) for text, paths in c.values}, "chosen": c.chosen, "why": c.why}
            for c in result.conflicts
        ],
        "contradictions": [
            {
                "rule": c.rule,
                "score": c.first.similarity,
                "items": [{"path": s.path, "line": s.line, "text": s.text} for s in (c.first, c.second)],
            }
            for c in result.contradictions
        ],
    }
    if result.target is not None:
        # Written for one tool (--for): the keys it does not read, accounted for but not written.
        report["for"] = result.target
        report["left_out"] = fields[written:]
        report["renamed"] = [{"key": r.key, "name": r.name, "written": list(r.written)} for r in result.renamed]
        report["named_after"] = result.named_after
    return report


def merged_section_to_dict(merged: MergedSection) -> dict[str, Any]:
    return {
        "title": merged.section.title,
        "subtitle": merged.content.title if merged.wrapped else None,
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
        "sources": [_item_source(s, kept=n == 0) for n, s in enumerate(merged.sources)],
    }
    if merged.children:
        data["children"] = [merged_item_to_dict(c) for c in merged.children]
    return data


def _item_source(source: Any, *, kept: bool = False) -> dict[str, Any]:
    """One input item of a merged item; the kept wording (listed first) says so with ``kept``."""
    data = {"path": source.path, "line": source.line, "text": source.text, "similarity": source.similarity}
    if kept:
        data["kept"] = True
    return data


def _section_source(source: Any) -> dict[str, Any]:
    return {"path": source.path, "line": source.line, "title": source.title}


# --------------------------------------------------------------------------------------------
# Merge results


def merge_to_dict(result: MergeResult, path: str | None = None) -> dict[str, Any]:
    """The JSON form of a merge (version 1): what was taken from each side, each conflict with
    its lines in the merged text, and the merged text itself."""

    def side(s: ConflictSide) -> dict[str, Any] | None:
        return {"line": s.line, "text": s.text} if s.line or s.text else None

    taken = [{"op": t.op, "kind": t.kind, "text": t.text, "line": t.line} for t in result.taken]
    return {
        "version": 1,
        "path": path or result.ours_path,
        "base": {"path": result.base_path},
        "ours": {"path": result.ours_path},
        "theirs": {"path": result.theirs_path},
        "clean": result.clean,
        "method": result.method,
        "summary": {
            "ours": sum(1 for t in result.taken if t.side == "ours"),
            "theirs": sum(1 for t in result.taken if t.side == "theirs"),
            "conflicts": len(result.conflicts),
        },
        "taken": {
            "ours": [entry for entry, t in zip(taken, result.taken, strict=True) if t.side == "ours"],
            "theirs": [entry for entry, t in zip(taken, result.taken, strict=True) if t.side == "theirs"],
        },
        "conflicts": [
            {
                "kind": c.kind,
                "label": c.label,
                "why": c.why,
                "lines": [c.start, c.end],
                "ours": side(c.ours),
                "base": side(c.base),
                "theirs": side(c.theirs),
            }
            for c in result.conflicts
        ],
        "merged": result.text,
    }


# --------------------------------------------------------------------------------------------
# Groups (agentmerge group)


def grouping_to_dict(result: Grouping) -> dict[str, Any]:
    """The JSON report of ``agentmerge group``, version 1."""
    return {
        "version": 1,
        "groups": [
            {
                "name": g.name,
                "members": [{"path": m.path, "name": m.name} for m in g.members],
                "overlap": g.overlap,
                "similarity": g.similarity,
                "typical": g.typical,
                "terms": list(g.terms),
            }
            for g in result.groups
        ],
        "singletons": [{"path": m.path, "name": m.name} for m in result.singletons],
        "min_similarity": result.min_similarity,
        "min_overlap": result.min_overlap,
        "errors": [{"path": d.path, "line": d.line, "message": d.message} for d in result.unread],
    }


def grouping_summary(result: Grouping) -> str:
    """One sentence: how many groups, agents in them, and agents alone."""
    grouped = sum(len(g.members) for g in result.groups)
    total = grouped + len(result.singletons)
    unread = f"; {counted(len(result.unread), 'file')} could not be read" if result.unread else ""
    return (
        f"{counted(len(result.groups), 'group')} of agents doing the same job "
        f"({counted(grouped, 'agent')}), {counted(len(result.singletons), 'agent')} alone; "
        f"{counted(total, 'agent')} in all{unread}"
    )


def _share(value: float) -> str:
    return f"{round(value * 100)}%"


def _group_line(g: Group) -> str:
    return (
        f"{g.name}: {len(g.members):,} agents, similarity {_share(g.similarity)}, "
        f"instructions in common {_share(g.overlap)}"
    )


@visible_lines
def render_grouping_text(result: Grouping) -> Iterator[str]:
    """The plain-text report of ``agentmerge group``: each group with its members, then the agents alone."""
    for g in result.groups:
        yield _group_line(g)
        for m in g.members:
            yield f"  {m.path}  ({m.name}){'  typical' if m.path == g.typical else ''}"
        yield ""
    if result.singletons:
        yield "alone:"
        for m in result.singletons:
            yield f"  {m.path}  ({m.name})"
        yield ""
    yield grouping_summary(result)


def render_grouping_markdown(result: Grouping) -> str:
    """The Markdown report of ``agentmerge group``."""
    lines = ["# Agent groups", "", f"{grouping_summary(result)}.", ""]
    for g in result.groups:
        lines.append(f"## {markdown_text(g.name, line_start=False)} ({len(g.members):,} agents)")
        lines.append("")
        lines.append(
            f"Similarity {_share(g.similarity)}; {_share(g.overlap)} of instructions in common with the "
            "typical member (marked).\n"
        )
        for m in g.members:
            mark = " (typical)" if m.path == g.typical else ""
            lines.append(f"- {markdown_code(m.path)}: {markdown_text(m.name, line_start=False)}{mark}")
        lines.append("")
    if result.singletons:
        lines.append(f"## Alone ({len(result.singletons):,})")
        lines.append("")
        lines.extend(f"- {markdown_code(m.path)}: {markdown_text(m.name, line_start=False)}" for m in result.singletons)
        lines.append("")
    if result.unread:
        lines.append(f"## Not read ({len(result.unread):,})")
        lines.append("")
        for d in result.unread:
            where = f" line {d.line}" if d.line else ""
            lines.append(f"- {markdown_code(d.path)}{where}: {markdown_text(d.message, line_start=False)}")
        lines.append("")
    return "\n".join(lines)
