"""The loss checker: does a consolidation keep every unit of every input?

Independent of the consolidation's own code: inputs and output are read with markdown-it-py
directly (not ``agentmerge.parse``), cut into normalised units (paragraphs, list items at every
depth, code blocks, tables, quotes, HTML blocks, headings) and compared; the written frontmatter
is read with a strict YAML load. Only the provenance is checked against ``agentmerge.parse`` of
the inputs, since the report cites the parser's items by line.

An input unit is kept when the output holds it (after normalisation: inline markup, wrapping,
list markers and no-break spaces aside), or when the report lists it as folded into an output
unit that the output holds. Findings, each a list of one-line messages:

- ``missing``: an input unit neither in the output nor folded into something that is;
- ``code``: an input code block (or table, quote, HTML block) neither in the output nor folded
  into an equal one (they merge only as exact copies);
- ``low``: a unit folded at a reported similarity below ``LEAST_SIMILARITY``;
- ``headings``: a heading folded under a title that shares no word with it, in a section where
  none of its items merged with another input's (placed under an unrelated title);
- ``fields``: a frontmatter value that changed type, a name dropped from a set, an
  ``<example>`` block or the kept description's text missing, a strict YAML load failing (in a
  merge of Cursor rules, ``globs`` is read as Cursor reads it: the rest of its line);
- ``agree``: the JSON report and the written file disagree (an item listed and not written,
  written and not listed, or nested elsewhere), or ``agent`` is not the file written;
- ``provenance``: an input item, field or heading of ``agentmerge.parse`` that is not in exactly
  one ``sources`` list, or listed with another text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from agentmerge.model import Agent
from agentmerge.parse import LONE_TAG_RE

LEAST_SIMILARITY = 0.35
"""No source may be folded at a reported similarity below this (the model's floor is higher)."""

VERBATIM = ("code", "table", "quote", "html")
"""Unit kinds that merge only as exact copies."""

_MD = MarkdownIt("commonmark").enable("table")


# --------------------------------------------------------------------------------------------
# Units


@dataclass(frozen=True)
class Unit:
    """One block of a file, normalised."""

    kind: str
    """text (a paragraph, or a list item's own text: its paragraphs before any sub-list or block),
    heading, code, table, quote or html."""
    key: str
    """The normalised content."""
    line: int
    """1-based line of the block that owns it in its file (a list item's text: the item's line)."""
    parent: str | None
    """The key of the list item it is nested in, if any."""

    @property
    def match(self) -> tuple[str, str]:
        """What two units are compared by: a heading and a pseudo-heading (a bold paragraph) alike."""
        return ("text" if self.kind == "heading" else self.kind, self.key)


def normal_text(text: str) -> str:
    """Words as read: white space (no-break spaces included) collapsed, a closing colon dropped."""
    return " ".join(text.replace("\u00a0", " ").split()).rstrip(":").rstrip()


def normal_code(text: str) -> str:
    """A code block's text without trailing spaces and blank edge lines; nothing else changes."""
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _inline(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def split_frontmatter(text: str) -> tuple[str | None, str]:
    """(frontmatter YAML or None, the text with the frontmatter lines blanked, so lines still count)."""
    lines = text.split("\n")
    if not re.fullmatch(r"-{3,}\s*", lines[0]):
        return None, text
    for end in range(1, len(lines)):
        if re.fullmatch(r"-{3,}\s*|\.\.\.\s*", lines[end]):
            return "\n".join(lines[1:end]), "\n".join(["" for _ in lines[: end + 1]] + lines[end + 1 :])
    return None, text


@dataclass
class _Open:
    line: int
    level: int
    parent: _Open | None
    parts: list[str] = field(default_factory=list)
    key: str = ""
    blocks: bool = False
    """Whether a sub-list or block has come in the item: a paragraph after one is its own unit."""


_ITEM_BLOCKS = frozenset(
    {"bullet_list_open", "ordered_list_open", "fence", "code_block", "html_block", "table_open", "blockquote_open"}
)


_PROVENANCE = re.compile(r"<!--\s*[^\s<>,]+:\d+(?:\s*,\s*[^\s<>,]+:\d+)*\s*-->")
"""A provenance comment (``consolidate --annotate``), which the parser drops."""


def units(text: str) -> list[Unit]:
    """Every unit of the body of ``text`` (a whole agent file), in document order of closing."""
    _, body = split_frontmatter(text.replace("\r\n", "\n").replace("\r", "\n"))
    tokens = _MD.parse(body)
    found: list[tuple[str, str, int, _Open | None]] = []
    stack: list[_Open] = []
    n = 0
    while n < len(tokens):
        token = tokens[n]
        line = token.map[0] + 1 if token.map else 0
        top = stack[-1] if stack else None
        if top is not None and token.level == top.level + 1 and token.type in _ITEM_BLOCKS:
            top.blocks = top.blocks or not _PROVENANCE.fullmatch(token.content.strip())
        if token.type == "list_item_open":
            stack.append(_Open(line, token.level, top))
        elif token.type == "list_item_close":
            item = stack.pop()
            # A task box is the item's kind, not its words (the report lists the text without it).
            item.key = re.sub(r"^\[[ xX]\](?: |$)", "", normal_text(" ".join(item.parts)))
            found.append(("text", item.key, item.line, item.parent))
        elif token.type == "heading_open":
            found.append(("heading", normal_text(_inline(tokens[n + 1])), line, top))
            n += 2
        elif token.type == "paragraph_open" and top is None and LONE_TAG_RE.fullmatch(tokens[n + 1].content.strip()):
            found.append(("html", tokens[n + 1].content.strip(), line, top))
            n += 2
        elif token.type == "paragraph_open":
            content = _inline(tokens[n + 1])
            if top is not None and token.level == top.level + 1 and not top.blocks:
                top.parts.append(content)
            else:
                found.append(("text", normal_text(content), line, top))
            n += 2
        elif token.type in ("fence", "code_block"):
            found.append(("code", normal_code(token.content), line, top))
        elif token.type == "html_block":
            found.append(("html", token.content.strip(), line, top))
        elif token.type in ("table_open", "blockquote_open"):
            end = _closing(tokens, n)
            kind = "table" if token.type == "table_open" else "quote"
            found.append((kind, _block_key(tokens[n:end]), line, top))
            n = end
        n += 1
    return [Unit(kind, key, line, None if parent is None else parent.key) for kind, key, line, parent in found]


def blocks_in_order(text: str) -> list[str]:
    """The body's paragraphs, list items' texts, headings, code and HTML blocks, each normalised,
    in the order they are read (a list item's paragraphs each in their place), list markers and
    task boxes aside. A line of a paragraph that opens with a typographic bullet (``•``, ``◦``,
    ``▪``, ``–``) starts a block of its own, as the point of a list its author meant."""
    _, body = split_frontmatter(text.replace("\r\n", "\n").replace("\r", "\n"))
    found: list[str] = []
    for token in _MD.parse(body):
        if token.type == "inline" and token.level == 1 and LONE_TAG_RE.fullmatch(token.content.strip()):
            found.append("html: " + token.content.strip())
        elif token.type == "inline":
            for part in _points(token):
                words = re.sub(r"^\[[ xX]\](?: |$)", "", normal_text(part))
                if words:
                    found.append(words)
        elif token.type in ("fence", "code_block"):
            found.append("code: " + normal_code(token.content))
        elif token.type == "html_block" and not _PROVENANCE.fullmatch(token.content.strip()):
            found.append("html: " + token.content.strip())
    return found


def _points(token: Token) -> list[str]:
    """The inline text of ``token`` cut before each line that opens with a typographic bullet."""
    parts = [""]
    broken = True
    for child in token.children or ():
        if child.type in ("softbreak", "hardbreak"):
            parts[-1] += " "
            broken = True
            continue
        content = child.content if child.type in ("text", "code_inline", "html_inline", "image") else ""
        if broken and child.type == "text" and _POINT.match(content):
            parts.append(_POINT.sub("", content, count=1))
        else:
            parts[-1] += content
        broken = False
    return parts


_POINT = re.compile(r"[\u2022\u25e6\u25aa\u2013][ \t]+(?=\S)")


def _closing(tokens: list[Token], index: int) -> int:
    opening = tokens[index].type
    closing = opening.replace("_open", "_close")
    depth = 0
    for n in range(index, len(tokens)):
        if tokens[n].type == opening:
            depth += 1
        elif tokens[n].type == closing:
            depth -= 1
            if depth == 0:
                return n
    return len(tokens) - 1


def _block_key(tokens: Sequence[Token]) -> str:
    """A table or quote as its rows (cells joined by ``|``) or its lines of text."""
    rows: list[list[str]] = []
    for token in tokens:
        if token.type in ("tr_open", "paragraph_open", "heading_open", "list_item_open"):
            rows.append([])
        elif token.type == "inline":
            if not rows:
                rows.append([])
            rows[-1].append(normal_text(_inline(token)))
        elif token.type in ("fence", "code_block"):
            rows.append([normal_code(token.content)])
    return "\n".join(" | ".join(row) for row in rows if row)


def fragment_units(text: str, kind: str) -> list[Unit]:
    """The units of one model item's text, as its kind writes it."""
    if kind == "code":
        return [Unit("code", normal_code(text), 0, None)]
    if kind == "html":
        return [Unit("html", text.strip(), 0, None)]
    if kind == "quote":
        return [Unit("quote", _block_key(_MD.parse(text)), 0, None)]
    if kind == "table":
        return [u for u in units(text) if u.kind == "table"] or [Unit("table", normal_text(text), 0, None)]
    # The item's own text is inline Markdown, whatever it looks like at a line's start.
    return [Unit("text", normal_text(_inline(_MD.parseInline(text)[0])), 0, None)]


# --------------------------------------------------------------------------------------------
# The report


@dataclass
class Place:
    """Where the report lists one input unit: the merged unit and how it got there."""

    node: dict[str, Any]
    """The report's item (or section) that lists it."""
    kind: str
    """item or section."""
    similarity: float
    """The reported similarity (1.0 for the kept wording and for sections)."""
    kept: bool
    """Whether it is the kept wording (the first source)."""
    depth: int = 0
    """For a section: 0 for the root (and its document title), 1 for a top-level section, ..."""


def report_places(
    report: dict[str, Any],
) -> tuple[dict[tuple[str, int], list[Place]], list[tuple[dict[str, Any], int]]]:
    """Every (path, line) the report lists, with where, and every item with its depth."""
    places: dict[tuple[str, int], list[Place]] = {}
    items: list[tuple[dict[str, Any], int]] = []

    def item(node: dict[str, Any], depth: int) -> None:
        items.append((node, depth))
        for n, source in enumerate(node["sources"]):
            places.setdefault((source["path"], source["line"]), []).append(
                Place(node, "item", float(source["similarity"]), n == 0)
            )
        for child in node.get("children", []):
            item(child, depth + 1)

    def section(node: dict[str, Any], depth: int) -> None:
        for source in node["sources"]:
            places.setdefault((source["path"], source["line"]), []).append(Place(node, "section", 1.0, False, depth))
        for child in node["items"]:
            item(child, 0)
        for child in node["sections"]:
            section(child, depth + 1)

    root, *top = report["sections"]
    section(root, 0)
    for node in top:
        section(node, 1)
    for f in report["fields"]:
        for n, source in enumerate(f["sources"]):
            places.setdefault((source["path"], source["line"]), []).append(
                Place(f, "field", float(source["similarity"]), n == 0)
            )
    return places, items


# --------------------------------------------------------------------------------------------
# The check


@dataclass
class LossReport:
    """What the checker found for one consolidation."""

    units: int = 0
    """Input units checked (body units and frontmatter fields)."""
    code: int = 0
    """Input code blocks, tables, quotes and HTML blocks among them."""
    verbatim: int = 0
    """Input units found as they are in the output."""
    folded: int = 0
    """Input units folded into an output unit (listed in its sources)."""
    findings: dict[str, list[str]] = field(default_factory=dict)
    """Problems by kind (see the module docstring); empty when nothing was lost."""

    def add(self, kind: str, message: str) -> None:
        self.findings.setdefault(kind, []).append(message)

    def merge(self, other: LossReport) -> None:
        self.units += other.units
        self.code += other.code
        self.verbatim += other.verbatim
        self.folded += other.folded
        for kind, messages in other.findings.items():
            self.findings.setdefault(kind, []).extend(messages)

    def summary(self) -> str:
        counts = ", ".join(f"{kind} {len(found)}" for kind, found in sorted(self.findings.items())) or "nothing lost"
        return f"{self.units} units ({self.code} verbatim-only), {self.folded} folded: {counts}"


def check(
    inputs: Sequence[tuple[str, str]], agents: Sequence[Agent], written: str, report: dict[str, Any]
) -> LossReport:
    """Check one consolidation: ``inputs`` as (path, text), ``agents`` as ``agentmerge.parse``
    reads them (for the provenance), the file written and its JSON report."""
    out = LossReport()
    if report["agent"] != written:
        out.add("agree", "the report's agent is not the file written")
    places, items = report_places(report)
    _check_provenance(agents, places, out)
    written_units = units(written)
    _check_agreement(written_units, report, items, out)
    present = Counter(u.match for u in written_units)
    depths: dict[tuple[str, int], int] = {}
    for agent in agents:
        depths.update(heading_depths(agent))
    for path, text in inputs:
        for unit in units(text):
            if unit.key:
                _check_unit(path, unit, present, places, depths, out)
    _check_fields(inputs, agents, written, report, out)
    return out


def _check_unit(
    path: str,
    unit: Unit,
    present: Counter[tuple[str, str]],
    places: dict[tuple[str, int], list[Place]],
    depths: dict[tuple[str, int], int],
    out: LossReport,
) -> None:
    out.units += 1
    verbatim = unit.kind in VERBATIM
    out.code += verbatim
    if present[unit.match]:
        out.verbatim += 1
        return
    where = f"{path}:{unit.line}"
    listed = [p for p in places.get((path, unit.line), []) if p.kind in ("item", "section")]
    # A list item and the block it opens with share a line: the place of the same kind first.
    listed.sort(
        key=lambda p: (p.kind == "section") != (unit.kind == "heading") or (p.node.get("kind") in VERBATIM) != verbatim
    )
    if not listed:
        out.add(
            "code" if verbatim else "missing",
            f"{where}: {unit.kind} not in the output nor in any sources: {_short(unit.key)}",
        )
        return
    place = listed[0]
    if place.kind == "section":
        _check_heading(path, unit, place, present, depths, out)
        return
    kept = fragment_units(place.node["text"], place.node["kind"])
    if not all(present[k.match] for k in kept if k.key):
        out.add(
            "code" if verbatim else "missing",
            f"{where}: {unit.kind} folded into an item not in the output: {_short(unit.key)}",
        )
        return
    out.folded += 1
    if verbatim and not any(k.match == unit.match for k in kept):
        out.add("code", f"{where}: {unit.kind} folded into a different one at {place.similarity}: {_short(unit.key)}")
    if place.similarity < LEAST_SIMILARITY:
        out.add("low", f"{where}: folded at {place.similarity}: {_short(unit.key)} -> {_short(kept[0].key)}")


def _check_heading(
    path: str,
    unit: Unit,
    place: Place,
    present: Counter[tuple[str, str]],
    depths: dict[tuple[str, int], int],
    out: LossReport,
) -> None:
    """A heading folded into a merged section: the section is written, and its title is related.

    Related means: the document title (one per agent, like its name); or a title sharing a word;
    or a section where an item of this input merged with another input's; or two top-level
    sections (each input's one workflow, one pitfall list, ... align whatever their titles).
    """
    where = f"{path}:{unit.line}"
    out.folded += 1
    if place.depth == 0:
        return  # the document title, or the intro: one per agent, like its name
    title = place.node["title"]
    if not present[("text", normal_text(_heading_words(title)))]:
        out.add("missing", f"{where}: heading {_short(unit.key)!r} folded into a section not in the output")
        return
    if _related(unit.key, normal_text(_heading_words(title))):
        return
    if _content_agrees(path, place.node) or (place.depth == 1 and depths.get((path, unit.line)) == 1):
        return
    out.add("headings", f"{where}: heading {_short(unit.key)!r} placed under {_short(title)!r}")


def heading_depths(agent: Agent) -> dict[tuple[str, int], int]:
    """(path, line) of each heading of ``agent`` to its depth: 1 for a top-level section (under
    the root, or under a document title: a lone ``#`` heading holding the whole body)."""
    root = agent.body
    depths: dict[tuple[str, int], int] = {}
    titled = not root.items and len(root.sections) == 1 and root.sections[0].kind == "heading"
    titled = titled and root.sections[0].level == 1
    stack = [(s, 0 if titled else 1) for s in root.sections]
    while stack:
        section, depth = stack.pop()
        depths[(agent.path, section.line)] = depth
        stack.extend((s, depth + 1) for s in section.sections)
    return depths


def _heading_words(title: str) -> str:
    """A section title's words, read as the heading it is written as."""
    return _inline(_MD.parseInline(title)[0])


_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "with",
        "your",
        "our",
        "you",
        "is",
        "are",
        "be",
        "by",
        "or",
        "as",
        "at",
        "from",
    }
)


def _words(text: str) -> set[str]:
    found = re.findall(r"[a-z0-9]+[#+]*", text.lower())
    return {w for w in found if (len(w) > 2 or w[-1] in "#+") and w not in _STOP and not w.isdigit()}


def _same_word(x: str, y: str) -> bool:
    """The same word, or one the start of the other ("test", "testing"), or the same first five
    letters ("deploy", "deployment")."""
    return x[:5] == y[:5] or x.startswith(y) or y.startswith(x)


def _related(a: str, b: str) -> bool:
    """Whether two titles share a word (``_same_word``)."""
    return any(_same_word(x, y) for x in _words(a) for y in _words(b))


def _content_agrees(path: str, section: dict[str, Any]) -> bool:
    """Whether some item of ``section`` folds a wording of ``path`` with another input's."""
    stack = list(section["items"])
    while stack:
        node = stack.pop()
        paths = {s["path"] for s in node["sources"]}
        if path in paths and len(paths) > 1:
            return True
        stack.extend(node.get("children", []))
    return False


def _check_provenance(agents: Sequence[Agent], places: dict[tuple[str, int], list[Place]], out: LossReport) -> None:
    """Every item, field and heading ``agentmerge.parse`` reads is in exactly one sources list,
    with its own text (a list item and the quote it opens share a line: texts tell them apart)."""
    for agent in agents:
        wanted: dict[int, Counter[str]] = {}
        for _, item in agent.items():
            wanted.setdefault(item.line, Counter())[item.text] += 1
        for line, texts in wanted.items():
            listed = Counter(
                s["text"]
                for p in places.get((agent.path, line), [])
                if p.kind == "item"
                for s in p.node["sources"]
                if (s["path"], s["line"]) == (agent.path, line)
            )
            if listed != texts:
                out.add("provenance", f"{agent.path}:{line}: items {dict(texts)} listed as {dict(listed)}")
        for f in agent.fields:
            found = [p for p in places.get((agent.path, f.line), []) if p.kind == "field"]
            if len(found) != 1:
                out.add("provenance", f"{agent.path}:{f.line}: field {f.key} in {len(found)} sources lists")
        for section in agent.body.walk():
            if section.kind == "root":
                continue
            found = [p for p in places.get((agent.path, section.line), []) if p.kind == "section"]
            if len(found) != 1:
                out.add("provenance", f"{agent.path}:{section.line}: heading in {len(found)} sections' sources")
    items = sum(1 for agent in agents for _ in agent.items())
    listed = sum(1 for ps in places.values() for p in ps if p.kind == "item")
    if listed != items:
        out.add("provenance", f"the report lists {listed} item sources for {items} input items")


def _check_agreement(
    written: list[Unit], report: dict[str, Any], items: list[tuple[dict[str, Any], int]], out: LossReport
) -> None:
    """Every item and title the report lists is in the written file, nested as listed, and vice versa."""
    listed: Counter[tuple[str, str]] = Counter()
    nesting: Counter[tuple[str, str]] = Counter()
    for node, _ in items:
        keys = fragment_units(node["text"], node["kind"])
        listed.update(k.match for k in keys if k.key)
        for child in node.get("children", []):
            for k in fragment_units(child["text"], child["kind"]):
                if k.key and keys[0].key:
                    nesting[(keys[0].key, k.match[1])] += 1
    stack = list(report["sections"])
    while stack:
        section = stack.pop()
        stack.extend(section["sections"])
        title = section["title"] if section["title"] is not None else section.get("document_title")
        for written_title in (title, section.get("subtitle")):
            if written_title is not None:
                listed[("text", normal_text(_heading_words(written_title)))] += 1
    found = Counter(u.match for u in written if u.key)
    for key, count in (listed - found).items():
        out.add("agree", f"listed in the report, not in the file ({count}x): {key[0]} {_short(key[1])}")
    for key, count in (found - listed).items():
        out.add("agree", f"in the file, not in the report ({count}x): {key[0]} {_short(key[1])}")
    written_nesting = Counter((u.parent, u.key) for u in written if u.parent and u.key)
    for parent, child in nesting - written_nesting:
        out.add("agree", f"listed under {_short(parent)!r} but not written there: {_short(child)}")


# --------------------------------------------------------------------------------------------
# Frontmatter


NAME_KEYS = frozenset({"tools", "skills", "globs", "allowed-tools", "allowed_tools", "allowedTools"})
NAME_KEYS |= {"disallowed-tools", "disallowed_tools", "disallowedTools"}
"""Keys that hold sets of names (a YAML list, or a string split at commas or spaces)."""

_EXAMPLE = re.compile(r"(?si)<example>(.*?)</example>")
_EXAMPLES_LABEL = re.compile(r"(?i)(?:for example|examples?):$")


def _names(value: object) -> set[str]:
    if isinstance(value, list):
        return {str(v).strip() for v in value}
    if isinstance(value, str):
        parts = value.split(",") if "," in value else value.split()
        return {p.strip().strip("'\"").strip() for p in parts if p.strip()}
    return {json.dumps(value)}


def _check_fields(
    inputs: Sequence[tuple[str, str]], agents: Sequence[Agent], written: str, report: dict[str, Any], out: LossReport
) -> None:
    yaml_text, _ = split_frontmatter(written)
    if yaml_text is None:
        if any(a.fields for a in agents):
            out.add("fields", "the inputs have frontmatter and the output has none")
        return
    # Cursor reads a rule's globs as the rest of its line (unquoted: quoted, it matches no file),
    # so in a merge of Cursor rules that line is read as Cursor reads it, the rest as strict YAML.
    line_keys = ("globs",) if inputs and all(path.endswith(".mdc") for path, _ in inputs) else ()
    as_written: dict[str, str] = {}
    strict_lines = []
    for line in yaml_text.split("\n"):
        key, colon, rest = line.partition(":")
        if colon and key in line_keys and rest.strip():
            as_written[key] = rest.strip()
            line = f"{key}: ''"
        strict_lines.append(line)
    try:
        loaded = yaml.safe_load("\n".join(strict_lines)) or {}
    except yaml.YAMLError as error:
        out.add("fields", f"the output's frontmatter is not strict YAML: {error}")
        return
    if isinstance(loaded, dict):
        for key, value in as_written.items():
            try:
                loaded[key] = yaml.safe_load(f"{key}: {value}")[key]
            except yaml.YAMLError:
                loaded[key] = value
    if not isinstance(loaded, dict):
        out.add("fields", "the output's frontmatter is not a mapping")
        return
    by_key: dict[str, list[tuple[str, object]]] = {}
    for agent in agents:
        seen: set[str] = set()
        for f in agent.fields:
            if f.key not in seen:
                seen.add(f.key)
                by_key.setdefault(f.key, []).append((agent.path, f.value))
    for key, values in by_key.items():
        out.units += 1
        if key not in loaded:
            out.add("fields", f"{key}: in {values[0][0]}, not in the output")
        else:
            _check_field(key, loaded[key], values, report, out)


def _check_field(
    key: str, value: object, values: list[tuple[str, object]], report: dict[str, Any], out: LossReport
) -> None:
    """One key of the output against the inputs' values: the type of one of them, nothing dropped."""
    if type(value) not in {type(v) for _, v in values}:
        out.add("fields", f"{key}: the output's {type(value).__name__} is no input's type")
    if key == "description" and isinstance(value, str):
        _check_description(key, value, values, report, out)
    elif key in NAME_KEYS and isinstance(value, (str, list)):
        union = set().union(*(_names(v) for _, v in values if isinstance(v, (str, list))))
        if not union <= _names(value):
            out.add("fields", f"{key}: names dropped: {sorted(union - _names(value))}")
    elif all(isinstance(v, list) for _, v in values):
        have = {json.dumps(entry, sort_keys=True) for entry in value} if isinstance(value, list) else set()
        lost = {json.dumps(e, sort_keys=True) for _, v in values if isinstance(v, list) for e in v} - have
        if lost:
            out.add("fields", f"{key}: list entries dropped: {sorted(lost)[:5]}")
    elif len({json.dumps(v, sort_keys=True, default=str) for _, v in values}) > 1 and key not in {
        c["key"] for c in report["conflicts"]
    }:
        out.add("fields", f"{key}: the inputs disagree and no conflict is reported")


def _check_description(
    key: str, value: str, values: list[tuple[str, object]], report: dict[str, Any], out: LossReport
) -> None:
    have = " ".join(value.split())
    for path, v in values:
        if not isinstance(v, str):
            continue
        for example in _EXAMPLE.findall(v):
            if " ".join(example.split()) not in have:
                out.add("fields", f"{path}: description example missing: {_short(example.strip())}")
    sources = next(f["sources"] for f in report["fields"] if f["key"] == key)
    kept = next((v for p, v in values if p == sources[0]["path"]), None)
    if isinstance(kept, str):
        for part in _EXAMPLE.split(kept)[::2]:
            words = _EXAMPLES_LABEL.sub("", " ".join(part.split())).strip()
            if words and words not in have:
                out.add("fields", f"{sources[0]['path']}: the kept description's text is missing: {_short(words)}")
    for source in sources:
        if not source.get("kept") and source["similarity"] < LEAST_SIMILARITY:
            out.add("low", f"{source['path']}:{source['line']}: description folded at {source['similarity']}")


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------------------------
# Running it as a user does


def consolidate_and_check(paths: Sequence[Path], out_dir: Path) -> LossReport:
    """Consolidate ``paths`` from the command line (``-o`` and ``--report``) and check the result."""
    from conftest import run_cli

    from agentmerge.parse import read_agent

    output, report_path = out_dir / "merged.md", out_dir / "merged.json"
    args = [str(p) for p in paths]
    run = run_cli("consolidate", *args, "--mixed", "-o", str(output), "--report", str(report_path))
    assert run.exit_code == 0, run.stderr
    written = output.read_text(encoding="utf-8")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    inputs = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
    agents = [read_agent(p) for p in paths]
    return check(inputs, agents, written, report)


def findings_text(report: LossReport, limit: int = 15) -> Iterator[str]:
    for kind, messages in sorted(report.findings.items()):
        for message in messages[:limit]:
            yield f"[{kind}] {message}"
