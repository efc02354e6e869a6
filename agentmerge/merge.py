"""Three-way merge of agent files: two edits of one base, joined on the model.

BASE is paired with OURS and with THEIRS exactly as ``diff`` pairs two files (sections, items,
frontmatter keys), so a formatting-only edit (rewrap, marker style, CRLF, renumbering, emphasis
style) is no change on either side. The result is OURS with THEIRS' changes spliced in by source
lines: a unit that THEIRS did not change keeps OURS' bytes, its line endings and list markers
included. An item whose marks changed (bold, a code span, strikethrough, a link's target:
``markup``) changed, though its normal form is the same. Units new in THEIRS are written in
OURS' list style (marker, indentation, numbering).

A unit both sides changed differently, or that one side changed and the other removed, is a
conflict marked git-style around that unit alone (an item's own lines, a heading, a frontmatter
key), unless it is an item with no items under it, or a frontmatter value, whose lines the two
sides changed apart: that merges line by line, as git merges a file (``diff3``). Two items the
sides added at one place that say opposite things, or that ``diff`` reads as one instruction
reworded, are a conflict too (``_clashes``). List-valued frontmatter keys (``tools``,
``skills``) merge as sets.

Every clean result is checked before it is returned: it must parse to exactly the units the
merge decided on. When it does not (a splice Markdown reads differently in its new place), the
merge falls back to a line-level three-way merge, checked the same way, and failing that marks
the whole file as one conflict. Nothing is dropped silently.

Pure: texts in, a ``MergeResult`` out; no I/O.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from agentmerge import match
from agentmerge.fields import SET_KEYS, TOOL_KEYS, ToolReading, is_name_set, names, read_tools, same_value
from agentmerge.model import PROSE_KINDS, Agent, Diagnostic, Field, Item, Section
from agentmerge.pairing import BodyPairing, item_key, item_view, markup, pair_bodies, rewordings_unpaired, walled
from agentmerge.parse import (
    frontmatter_span,
    over_limit,
    parse_body,
    parse_text,
    readable,
    spelled_value,
    unix_endings,
)
from agentmerge.text import TOP_OF_FILE, opposed, terms

if TYPE_CHECKING:
    from agentmerge.scorer import ItemView

MARKER_SIZE = 7
"""Default length of conflict markers, git's (``merge.conflictStyle`` markers ``<<<<<<<``)."""

SideName = Literal["ours", "theirs"]
TakenOp = Literal["added", "removed", "reworded", "moved", "changed"]
UnitKind = Literal["item", "section", "field", "file"]
Ref = tuple[str, int]
"""A unit of one side: ``("s", n)`` its section number n, ``("i", n)`` its item number n (as
``diff`` numbers them, in source order; section 0 is the root), ``("f", n)`` its n-th field."""

ROOT: Ref = ("s", 0)

_MARKER_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|(?P<number>\d{1,9})(?P<delim>[.)]))(?P<space>[ \t]+|$)")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Taken:
    """One change of one side that the merge applied."""

    side: SideName
    """Which side the change came from: ours or theirs."""
    op: TakenOp
    """added, removed, reworded, moved (items and sections), or changed (a frontmatter value)."""
    kind: UnitKind
    """item, section or field."""
    text: str
    """The item's text, the section's title, or the frontmatter key."""
    line: int
    """1-based line of the unit in that side's file (in BASE for a removal)."""


@dataclass(frozen=True, slots=True)
class ConflictSide:
    """One side's version of a conflicting unit (or of the lines of one both sides changed, when
    its other lines merged: ``_Merger._lines_merged``)."""

    line: int
    """1-based first line of the unit in that side's file; 0 when the side does not have it."""
    text: str
    """The unit's source lines on that side, joined with ``\\n``; empty when it does not have it."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """A unit that the two sides changed in ways that cannot both apply."""

    kind: UnitKind
    """item, section (its heading), field (a frontmatter key) or file (the whole file)."""
    label: str
    """The item's text, the section's title or the key, from whichever side has it (ours first)."""
    why: str
    """What happened: "changed on both sides", "changed in ours, removed in theirs", ..."""
    start: int
    """1-based line of the ``<<<<<<<`` marker in the merged text."""
    end: int
    """1-based line of the ``>>>>>>>`` marker in the merged text."""
    ours: ConflictSide
    """The unit as OURS has it."""
    base: ConflictSide
    """The unit as BASE has it."""
    theirs: ConflictSide
    """The unit as THEIRS has it."""


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged file and what went into it."""

    base_path: str
    """Path of BASE as given."""
    ours_path: str
    """Path of OURS as given."""
    theirs_path: str
    """Path of THEIRS as given."""
    text: str
    """The merged file: OURS' line endings, with conflict markers when there are conflicts."""
    conflicts: tuple[Conflict, ...]
    """Units changed incompatibly, in the order of the merged text."""
    taken: tuple[Taken, ...]
    """Changes of either side the merge applied, in the order it met them: the frontmatter, then
    the body in OURS' order (empty after a fallback)."""
    method: Literal["model", "lines", "file"] = "model"
    """How the result was made: on the model; by a line-level three-way merge (the model's
    result did not check out); or one conflict over the whole file."""
    warnings: tuple[Diagnostic, ...] = ()
    """What the merge worked around: sides too large to look for reworded items in
    (``pairing.rewordings_unpaired``)."""

    @property
    def clean(self) -> bool:
        """Whether the merge has no conflicts."""
        return not self.conflicts


# --------------------------------------------------------------------------------------------
# Lines


@dataclass(slots=True)
class _Line:
    """One line of the merged output before it is joined."""

    text: str | None
    """The line without its ending; None for a soft separator: a blank line unless the line
    before or after it is blank already."""
    ending: str | None = None
    """The line's own ending when it comes from OURS; None for OURS' usual ending."""
    conflict: int = -1
    """The conflict the line belongs to (-1: none)."""
    part: str = ""
    """Within a conflict: marker, ours, base or theirs."""


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """The lines of ``text`` without their endings, and each line's ending (empty for a last line
    without one). ``\\r\\n``, ``\\r`` and ``\\n`` all end a line, as the parser counts them."""
    parts = re.split(r"(\r\n|\r|\n)", text)
    lines = parts[0::2]
    endings = [*parts[1::2], ""]
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()
        endings.pop()
    elif text == "":
        return [], []
    return lines, endings


@dataclass(slots=True)
class _Piece:
    """A run of output lines inside one container: a child unit, an insertion, or OURS' lines
    between children."""

    lines: list[_Line]
    """The lines."""
    list_kind: str | None = None
    """bullet or ordered for a list item (its list), None for anything else."""
    ours_number: int | None = None
    """For an ordered item of OURS, the number OURS wrote; None for insertions and the rest."""


def _renumber(pieces: list[_Piece]) -> None:
    """Number the steps of each numbered list again where OURS numbered them one after another
    (1, 2, 3) and steps were added, removed or moved; a list OURS numbers "1." throughout, or
    in an order of its own, keeps its numbers."""
    run: list[_Piece] = []
    for piece in [*pieces, _Piece([_Line("end")])]:
        if piece.list_kind == "ordered":
            run.append(piece)
            continue
        if piece.list_kind is None and all(line.text is None or _blank(line) for line in piece.lines):
            continue
        numbers = [p.ours_number for p in run if p.ours_number is not None]
        sequential = len(numbers) >= 2 and all(b == a + 1 for a, b in itertools.pairwise(numbers))
        run = [p for p in run if p.lines]  # a step that went away leaves its number to the next
        firsts = [next((line for line in p.lines if line.text is not None), None) for p in run]
        if sequential and firsts and all(f is not None and f.conflict < 0 for f in firsts):
            value = numbers[0]
            for p, first in zip(run, firsts, strict=True):
                assert first is not None and first.text is not None
                found = _MARKER_RE.match(first.text)
                if found is not None and found.group("number") and int(found.group("number")) != value:
                    prefix = f"{found.group('indent')}{value}{found.group('delim')}{found.group('space') or ' '}"
                    column = found.end() if found.group("space") else found.end() + 1
                    p.lines = _moved_lines(p.lines, first, column, prefix)
                value += 1
        run = []


def _usual_ending(endings: list[str]) -> str:
    counts = Counter(e for e in endings if e)
    if not counts:
        return "\n"
    return max(sorted(counts), key=lambda e: counts[e])


def _blank(line: _Line) -> bool:
    return line.text is not None and not line.text.strip()


# --------------------------------------------------------------------------------------------
# One side: its lines and its tree of units


class _Side:
    """A file's lines and its units as a tree (sections over items over nested items)."""

    def __init__(self, name: str, agent: Agent, text: str, units: BodyPairing | None, *, old: bool) -> None:
        self.name = name
        self.agent = agent
        self.lines, self.endings = split_lines(text)
        assert units is not None
        self.units = units.old if old else units.new
        self.fields = {f.key: f for f in agent.fields}
        span = frontmatter_span(_normal(text)) if agent.has_frontmatter else None
        self.frontmatter = span
        body_start = span[1] + 1 if span else 1
        self.body_region = (body_start, max(len(self.lines), body_start - 1))
        items = self.units.items
        index = {id(unit.item): n for n, unit in enumerate(items)}
        self.item_parent = [-1] * len(items)
        self.item_kids: list[list[Ref]] = [[] for _ in items]
        for n, unit in enumerate(items):
            for child in unit.item.children:
                self.item_kids[n].append(("i", index[id(child)]))
                self.item_parent[index[id(child)]] = n
        sections = self.units.sections
        subsections: list[list[int]] = [[] for _ in sections]
        for c in range(1, len(sections)):
            subsections[self.units.parent[c]].append(c)
        self.section_kids: list[list[Ref]] = []
        for s, section in enumerate(sections):
            kids: list[tuple[int, Ref]] = [(item.line, ("i", index[id(item)])) for item in section.items]
            kids.extend((sections[c].line, ("s", c)) for c in subsections[s])
            kids.sort()
            self.section_kids.append([ref for _, ref in kids])
        # An item whose text goes on after its children cannot be split into its own lines and
        # its children's: it is merged as one unit.
        self.atomic = {n for n, unit in enumerate(items) if unit.item.children and self._interleaved(unit.item)}
        self.position: dict[Ref, int] = {}
        """Each unit's place among its parent's children (units inside an atomic item have none)."""
        parents: list[Ref] = [("s", s) for s in range(len(self.section_kids))]
        parents += [("i", n) for n in range(len(items))]
        for parent in parents:
            for n, kid in enumerate(self.kids(parent)):
                self.position[kid] = n

    def _interleaved(self, item: Item) -> bool:
        last = max(child.end_line for child in item.children)
        return any(self.lines[n - 1].strip() for n in range(last + 1, item.end_line + 1))

    # -- units ----------------------------------------------------------------------------------

    def item(self, ref: Ref) -> Item:
        return self.units.items[ref[1]].item

    def section(self, ref: Ref) -> Section:
        return self.units.sections[ref[1]]

    def kids(self, ref: Ref) -> list[Ref]:
        if ref[0] == "s":
            return self.section_kids[ref[1]]
        return [] if ref[1] in self.atomic else self.item_kids[ref[1]]

    def parent(self, ref: Ref) -> Ref | None:
        if ref[0] == "i":
            up = self.item_parent[ref[1]]
            return ("i", up) if up >= 0 else ("s", self.units.items[ref[1]].section)
        return ("s", self.units.parent[ref[1]]) if ref[1] > 0 else None

    def region(self, ref: Ref) -> tuple[int, int]:
        """First and last line (1-based) of the unit, children included."""
        if ref == ROOT:
            return self.body_region
        node = self.item(ref) if ref[0] == "i" else self.section(ref)
        return node.line, node.end_line

    def head(self, ref: Ref) -> tuple[int, int]:
        """First and last line of the unit's own part: a heading, an item's text (no children)."""
        start, end = self.region(ref)
        if ref == ROOT:
            return start, start - 1
        kids = self.kids(ref)
        if kids:
            end = self.region(kids[0])[0] - 1
            while end > start and not self.lines[end - 1].strip():
                end -= 1
        return start, end

    def own_key(self, ref: Ref) -> object:
        """What the unit's own part says, formatting aside (an atomic item: with its children)."""
        if ref[0] == "s":
            if ref == ROOT:
                return None
            section = self.section(ref)
            return (section.kind == "heading", section.level if section.kind == "heading" else 0, _title(section))
        key = (self.units.items[ref[1]].key, markup(self.units.items[ref[1]].item))
        if ref[1] in self.atomic:
            return (key, tuple(self.signature(kid) for kid in self.item_kids[ref[1]]))
        return key

    def signature(self, ref: Ref) -> object:
        """What the unit and everything under it says, formatting aside."""
        return (self.own_key(ref), tuple(self.signature(kid) for kid in self.kids(ref)))

    def label(self, ref: Ref) -> str:
        if ref == ROOT:
            return TOP_OF_FILE
        if ref[0] == "s":
            return self.section(ref).title or ""
        return self.item(ref).text

    def list_kind(self, ref: Ref) -> str | None:
        """The list a unit belongs to: bullet (tasks too), ordered, or None for other units."""
        if ref[0] != "i":
            return None
        kind = self.item(ref).kind
        if kind in ("bullet", "task"):
            return "bullet"
        return "ordered" if kind == "ordered" else None

    def keys_under(self, ref: Ref) -> Iterator[tuple[str, object]]:
        """The (kind, key) of the unit and of every unit under it, as verification counts them."""
        if ref[0] == "s":
            if ref != ROOT:
                yield "s", _title(self.section(ref))
            for kid in self.section_kids[ref[1]]:
                yield from self.keys_under(kid)
        else:
            for item in self.item(ref).walk():
                yield "i", item_key(item)

    def source(self, start: int, end: int) -> list[_Line]:
        """Lines ``start``..``end`` (1-based, inclusive) as output lines; OURS keeps its endings."""
        own = self.name == "ours"
        return [_Line(self.lines[n - 1], self.endings[n - 1] if own else None) for n in range(start, end + 1)]

    def text_of(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])

    def content_indent(self, ref: Ref) -> int:
        """Column where the content of a container starts (inside a list item: after its marker)."""
        if ref == ROOT:
            return 0
        line = self.lines[self.region(ref)[0] - 1]
        found = _MARKER_RE.match(line)
        if found is None:
            return 0 if ref[0] == "s" else len(line) - len(line.lstrip(" "))
        return found.end() if found.group("space") else found.end() + 1


def _written(side: _Side, ref: Ref) -> list[str]:
    """The non-blank lines of a unit as its side wrote them, without trailing spaces."""
    start, end = side.region(ref)
    return [line.rstrip() for line in side.lines[start - 1 : end] if line.strip()]


def _title(section: Section) -> str:
    return match.title_key(section.title or "")


def _normal(text: str) -> str:
    """``text`` as the parser reads it: line endings made ``\\n``, and bad bytes the decoding kept
    (``parse.readable``) read as U+FFFD; the merge writes them back as they were."""
    return readable(unix_endings(text))


# --------------------------------------------------------------------------------------------
# The merge


def merge_texts(
    base: str,
    ours: str,
    theirs: str,
    *,
    paths: tuple[str, str, str] = ("base", "ours", "theirs"),
    marker_size: int = MARKER_SIZE,
    threshold: float | None = None,
    name: str | None = None,
) -> MergeResult:
    """Merge the edits BASE -> OURS and BASE -> THEIRS of one agent file.

    The texts are decoded (``parse.decode(..., keep_endings=True)``, with ``keep_bytes`` where a
    file is not all UTF-8: its bad bytes are read as U+FFFD, ``parse.readable``, and written back
    as they were); OURS' line endings and byte order mark are kept in the result. ``paths`` name
    the three inputs in the result and in messages;
    ``threshold`` is ``diff``'s item similarity cutoff. ``name`` is the file's path in its
    repository when ``paths`` are only labels (git's merge driver gets three temporary files): its
    format decides how the tool reads the frontmatter (a Cursor rule's quoted ``globs``, a
    Copilot agent's tool names).
    """
    if marker_size < 1:
        raise ValueError(f"marker size must be at least 1, got {marker_size}")
    bom = ours.startswith("\ufeff")
    texts = (base.removeprefix("\ufeff"), ours.removeprefix("\ufeff"), theirs.removeprefix("\ufeff"))
    agents = [parse_text(_normal(text), path) for text, path in zip(texts, paths, strict=True)]
    result = _Merger(agents, texts, paths, marker_size, threshold, name).run()
    if result.clean and texts[1] == texts[0]:
        # OURS changed nothing: the merge is THEIRS as written, its formatting included.
        result = replace(result, text=texts[2])
    return replace(result, text="\ufeff" + result.text) if bom else result


@dataclass
class _Known:
    """What the placing of THEIRS' units in one OURS container has found out, kept for the next
    unit: each slot's place, the first OURS child of each list kind, each ordered run's start and
    shared number."""

    slots: dict[tuple[int, bool, bool, str | None], int] = field(default_factory=dict)
    firsts: dict[str, Ref | None] = field(default_factory=dict)
    runs: dict[int, tuple[int, bool, int | None]] = field(default_factory=dict)


class _Merger:
    """The state of one merge: the three sides, their pairings, and what has been decided."""

    def __init__(
        self,
        agents: list[Agent],
        texts: tuple[str, str, str],
        paths: tuple[str, str, str],
        marker_size: int,
        threshold: float | None,
        name: str | None = None,
    ) -> None:
        self.paths = paths
        self.format_paths = (name,) if name else paths
        """The paths whose format says how the tool reads the frontmatter."""
        self.texts = texts
        self.marker_size = marker_size
        bo = pair_bodies(agents[0].body, agents[1].body, threshold=threshold)
        bt = pair_bodies(agents[0].body, agents[2].body, threshold=threshold)
        self.cutoff = bo.cutoff
        """``diff``'s item similarity cutoff (``threshold``, else ``match.ITEM_CUTOFF``)."""
        self.warnings = (
            *rewordings_unpaired(bo, paths[1], paths[0]),
            *rewordings_unpaired(bt, paths[2], paths[0]),
        )
        self.base = _Side("base", agents[0], texts[0], bo, old=True)
        self.ours = _Side("ours", agents[1], texts[1], bo, old=False)
        self.theirs = _Side("theirs", agents[2], texts[2], bt, old=False)
        self.nl = _usual_ending(self.ours.endings)
        self.b2o = _maps(bo)
        self.b2t = _maps(bt)
        self.o2b = {v: k for k, v in self.b2o.items()}
        self.t2b = {v: k for k, v in self.b2t.items()}
        self._pair_moves_both_made(self.ours, self.b2o, self.o2b, self.theirs, self.b2t, self.t2b)
        self._pair_moves_both_made(self.theirs, self.b2t, self.t2b, self.ours, self.b2o, self.o2b)
        self.reparented_o: set[Ref] = set()
        """Base units OURS put under another parent (``_moved`` finds them)."""
        self.reparented_t: set[Ref] = set()
        """Base units THEIRS put under another parent."""
        self.moved_o = self._moved(self.ours, self.b2o, self.o2b, self.reparented_o)
        self.moved_t = self._moved(self.theirs, self.b2t, self.t2b, self.reparented_t)
        self.conflicts: list[tuple[UnitKind, str, str, ConflictSide, ConflictSide, ConflictSide]] = []
        self.taken: list[Taken] = []
        self.expected: Counter[tuple[str, object]] = Counter()
        self.placed_new: dict[Ref, Ref] = {}
        """THEIRS units added on both sides: theirs unit -> the OURS unit standing for it."""
        self._plans: dict[tuple[Ref, Ref, Ref], dict[Ref, int] | None] = {}
        """``_step_plan`` by container, worked out once."""
        self.restatements = 0
        """Places whose additions the pair score has weighed so far (RESTATEMENT_PLACES)."""
        self.rule_readings = 0
        """Pairs ``_one_rule`` has read in this merge (RULE_READINGS)."""
        self.far_clashes = self._far_clashes()
        """OURS items added that say the opposite of an item THEIRS added (``_far_clashes``)."""

    # -- placement ----------------------------------------------------------------------------

    def _pair_moves_both_made(
        self,
        mover: _Side,
        b2m: dict[Ref, Ref],
        m2b: dict[Ref, Ref],
        other: _Side,
        b2x: dict[Ref, Ref],
        x2b: dict[Ref, Ref],
    ) -> None:
        """Pair a base item that ``mover`` put under another parent, and that ``other``'s diff
        reads as removed, with the item ``other`` added under that same parent in words ``diff``
        reads as one instruction reworded (its item cutoff): ``other`` moved it there too, and
        reworded it.

        Across sections of two roles ``diff`` pairs a moved item only when near verbatim: "Use
        of struct types over bare maps" moved from a checklist to "Approach" and reworded "Prefer
        struct types over bare maps" is a removal and an addition there. Both sides putting it
        under one parent is the evidence the context gives in place; without it the merge kept
        the new wording and conflicted over a removal no side made."""
        base = self.base
        wanted: dict[Ref, list[Ref]] = {}
        for b, m in b2m.items():
            if b[0] != "i" or b in b2x:
                continue
            parent = mover.parent(m)
            target = m2b.get(parent) if parent is not None else None
            if target is not None and target != base.parent(b) and target in b2x:
                wanted.setdefault(b2x[target], []).append(b)
        if not wanted:
            return
        found: list[tuple[float, int, int, Ref, Ref]] = []
        for parent, gone in wanted.items():
            added = [x for x in other.kids(parent) if x[0] == "i" and x not in x2b]
            for b in gone:
                old_text = base.item(b).text
                for x in added:
                    if other.item(x).kind == base.item(b).kind:
                        score = match.similarity(old_text, other.item(x).text)
                        if score >= self.cutoff:
                            found.append((-score, b[1], x[1], b, x))
        for _, _, _, b, x in sorted(found):
            if b not in b2x and x not in x2b:
                b2x[b], x2b[x] = x, b

    def _moved(self, side: _Side, forward: dict[Ref, Ref], back: dict[Ref, Ref], reparented: set[Ref]) -> set[Ref]:
        """Base units that ``side`` put under another parent (also added to ``reparented``) or in
        another order among siblings."""
        moved: set[Ref] = set()
        groups: dict[Ref, list[tuple[int, int]]] = {}
        refs: dict[tuple[Ref, int], Ref] = {}
        for b, x in forward.items():
            if b == ROOT:
                continue
            parent_b = self.base.parent(b)
            parent_x = side.parent(x)
            assert parent_b is not None and parent_x is not None
            if back.get(parent_x) != parent_b:
                moved.add(b)
                reparented.add(b)
                continue
            if b not in self.base.position or x not in side.position:
                continue  # inside an atomic item
            pos = (self.base.position[b], side.position[x])
            groups.setdefault(parent_b, []).append(pos)
            refs[parent_b, pos[0]] = b
        for parent, group in groups.items():
            same = {
                (i, j) for i, j in group if self.base.own_key(refs[parent, i]) == side.own_key(forward[refs[parent, i]])
            }
            kept = match.longest_common_order(group, same)
            moved.update(refs[parent, i] for i, j in group if (i, j) not in kept)
        return moved

    def _moved_apart(self, b: Ref) -> bool:
        """Whether both sides put base unit ``b`` under another parent, and not the same one."""
        if b not in self.reparented_o or b not in self.reparented_t:
            return False
        return _parent_in_base(self.ours, self.b2o[b], self.o2b) != _parent_in_base(self.theirs, self.b2t[b], self.t2b)

    def _rendered_in_ours(self, t: Ref | None) -> bool:
        """Whether THEIRS' container ``t`` has a place in the result (so units can move into it)."""
        while t is not None:
            b = self.t2b.get(t)
            if b is not None:
                return b in self.b2o
            t = self.theirs.parent(t)
        return True

    def _goes_away(self, b: Ref) -> bool:
        """Whether THEIRS moved base unit ``b`` (and OURS did not), to a place the result has."""
        if b not in self.moved_t or b in self.moved_o:
            return False
        return self._rendered_in_ours(self.theirs.parent(self.b2t[b]))

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> MergeResult:
        """Merge, check the result, and fall back to a line merge when it does not check out, or
        when agentmerge would refuse to read it (``parse.over_limit``: two sides' additions to one
        tools list can pass the frontmatter limit each side is under); git's line merge then
        marks what both sides added there."""
        frontmatter = self._frontmatter()
        body = self._ours_unit(ROOT, ROOT, ROOT)
        lines = [*frontmatter, *body]
        text, spans = self._join(lines, "markers")
        conflicts = self._conflicts(spans)
        broken = over_limit(text)
        if broken is not None:
            said = f"the structured merge would be refused when read back, as {broken[1]}"
            self.warnings = (*self.warnings, Diagnostic(self.paths[1], 0, said))
        elif self._checks(body):
            return MergeResult(*self.paths, text, conflicts, tuple(self.taken), "model", self.warnings)
        return self._fallback()

    # -- body: OURS' units --------------------------------------------------------------------

    def _ours_unit(self, o: Ref, b: Ref | None, t: Ref | None) -> list[_Line]:
        """OURS' unit ``o`` with THEIRS' changes: ``b`` and ``t`` are its base and theirs forms."""
        ours, base, theirs = self.ours, self.base, self.theirs
        if b is not None and t is not None and self._orders_clash(o, b, t):
            return self._conflict_lines(o, b, t, "steps put in different orders on both sides", head_only=False)
        if b is not None and t is not None and o[0] == "i" and self._split_otherwise(o, b, t):
            return self._whole_unit(o, b, t)
        head_start, head_end = ours.head(o)
        kids = ours.kids(o)
        out: list[_Line] = []
        own = "ours"
        if b is not None and t is not None:
            ko, kb, kt = ours.own_key(o), base.own_key(b), theirs.own_key(t)
            if kt != kb and kt != ko:
                own = "theirs" if ko == kb else "conflict"
        elif b is None and t is None:
            self._take("ours", "added", o)
        if b is not None and t is not None and ours.own_key(o) != base.own_key(b) and own != "conflict":
            self._take("ours", "reworded", o)
        if own == "ours":
            out.extend(ours.source(head_start, head_end))
            self._expect_head(ours, o)
        elif own == "theirs":
            assert t is not None
            start, end = theirs.head(t)
            style, indent = self._style_of(ours, o)
            number = ours.item(o).number if o[0] == "i" else None
            out.extend(_restyle(theirs.source(start, end), indent, style, number))
            self._expect_head(theirs, t)
            self._take("theirs", "reworded", t)
        else:
            assert b is not None and t is not None
            before = len(self.conflicts)
            merged = None if kids or o[0] == "s" else self._lines_merged(o, b, t)
            if merged is None:
                out.extend(self._conflict_lines(o, b, t, "changed on both sides", head_only=bool(kids)))
            else:
                out.extend(merged)
                if len(self.conflicts) == before:
                    self._take("ours", "reworded", o)
                    self._take("theirs", "reworded", t)
        if o[0] == "s" or o[1] not in ours.atomic:
            region_end = ours.region(o)[1]
            out.extend(self._container(o, t, head_end + 1, region_end))
        return out

    def _split_otherwise(self, o: Ref, b: Ref, t: Ref) -> bool:
        """Whether item ``o`` (``b``, ``t``) is one unit with its children on one side (text after
        them: ``_Side.atomic``) and its own text and its children's on another: a heading indented
        into a list item makes it so. Such versions cannot be merged part by part."""
        return len({o[1] in self.ours.atomic, b[1] in self.base.atomic, t[1] in self.theirs.atomic}) > 1

    def _whole_unit(self, o: Ref, b: Ref, t: Ref) -> list[_Line]:
        """Item ``o`` that the sides split into parts otherwise (``_split_otherwise``), merged whole:
        the side that changed anything in it, children included, or a conflict when both did (taken
        part by part, one side's edit of a child was dropped, or a child written twice)."""
        ours, base, theirs = self.ours, self.base, self.theirs
        # What each version says, the items under it included, formatting aside.
        said_o, said_b, said_t = (
            tuple((item_key(item), markup(item)) for item in side.item(ref).walk())
            for side, ref in ((ours, o), (base, b), (theirs, t))
        )
        if said_t == said_b:
            if said_o != said_b:
                self._take("ours", "reworded", o)
            side, ref = ours, o
            lines = ours.source(*ours.region(o))
        elif said_o == said_b:
            self._take("theirs", "reworded", t)
            side, ref = theirs, t
            style, indent = self._style_of(ours, o)
            lines = _restyle(theirs.source(*theirs.region(t)), indent, style, ours.item(o).number)
        else:
            return self._conflict_lines(o, b, t, "changed on both sides", head_only=False)
        for key in side.keys_under(ref):
            self.expected[key] += 1
        return lines

    def _orders_clash(self, o: Ref, b: Ref, t: Ref) -> bool:
        """Whether the two sides put the numbered steps container ``b`` holds in orders no one list
        can follow (``_step_plan``)."""
        return self._step_plan(o, b, t) is None

    def _step_plan(self, o: Ref, b: Ref, t: Ref) -> dict[Ref, int] | None:
        """Where each numbered step of OURS container ``o`` (base ``b``, theirs ``t``) goes when
        both sides changed the steps' order: OURS' step -> the OURS slot it takes. Empty when
        at most one side did (its moves are applied one by one); None when no one list can
        follow both.

        Each pair of steps both sides keep is put as the side that changed its order put it (as
        BASE had it when neither did). When those orders go round in a circle (OURS puts
        "Compare" before "Run", THEIRS "Run" before "Read", and both keep "Read" before
        "Compare"), taking either side's order would drop the other's change. Otherwise every
        pair has its order, so the steps have one order, whichever side is OURS: OURS swapped
        the first two steps and THEIRS the last two, and the merge swaps both. A step either
        side added among the steps has no place in that order, and is no order either can have
        meant: that too is None."""
        key = (o, b, t)
        if key in self._plans:
            return self._plans[key]
        plan: dict[Ref, int] | None = {}
        ours, base, theirs = self.ours, self.base, self.theirs
        steps = [k for k in base.kids(b) if base.list_kind(k) == "ordered"]
        if 2 <= len(steps) <= MAX_ORDERED_STEPS:
            kids_o, kids_t = ours.kids(o), theirs.kids(t)
            place_o = {self.o2b[k]: n for n, k in enumerate(kids_o) if k in self.o2b}
            place_t = {self.t2b[k]: n for n, k in enumerate(kids_t) if k in self.t2b}
            steps = [k for k in steps if k in place_o and k in place_t]
            before: dict[Ref, set[Ref]] = {k: set() for k in steps}
            changed_o = changed_t = False
            for i, x in enumerate(steps):
                for y in steps[i + 1 :]:  # x stood before y in BASE
                    o_keeps, t_keeps = place_o[x] < place_o[y], place_t[x] < place_t[y]
                    changed_o, changed_t = changed_o or not o_keeps, changed_t or not t_keeps
                    first, second = (x, y) if o_keeps and t_keeps else (y, x)
                    before[first].add(second)
            if changed_o and changed_t:
                order = _sorted_before(before, place_o)
                added = self._added_among(kids_o, [place_o[k] for k in steps], self.o2b) or self._added_among(
                    kids_t, [place_t[k] for k in steps], self.t2b
                )
                if order is None or added:
                    plan = None
                else:
                    slots = sorted(place_o[k] for k in steps)
                    plan = {self.b2o[k]: slot for k, slot in zip(order, slots, strict=True)}
        self._plans[key] = plan
        return plan

    @staticmethod
    def _added_among(kids: list[Ref], places: list[int], back: dict[Ref, Ref]) -> bool:
        """Whether a unit the side added stands among its steps at ``places``."""
        return any(kids[n] not in back for n in range(min(places), max(places) + 1))

    def _expect_head(self, side: _Side, ref: Ref) -> None:
        if ref == ROOT:
            return
        if ref[0] == "s":
            self.expected["s", _title(side.section(ref))] += 1
        elif ref[1] in side.atomic or not side.kids(ref):
            for item in side.item(ref).walk():
                self.expected["i", item_key(item)] += 1
        else:
            self.expected["i", side.units.items[ref[1]].key] += 1

    def _removed_in_theirs(self, o: Ref, b: Ref) -> list[_Line]:
        """OURS' unit ``o`` whose base form ``b`` THEIRS removed: gone, unless OURS changed it."""
        ours, base = self.ours, self.base
        kids = ours.kids(o)
        if not kids or (o[0] == "i" and o[1] in ours.atomic):
            if ours.signature(o) != base.signature(b):
                return self._conflict_lines(o, b, None, "changed in ours, removed in theirs", head_only=False)
            if b in self.reparented_o:
                return self._conflict_lines(o, b, None, "moved in ours, removed in theirs", head_only=False)
            self._take("theirs", "removed", b)
            return []
        # OURS left the whole unit as it was (blank lines aside): it goes, before its children are
        # merged, which would report their conflicts with THEIRS' removal for lines that go too.
        if ours.own_key(o) == base.own_key(b) and _written(ours, o) == _written(base, b):
            self._take("theirs", "removed", b)
            return []
        head_end = ours.head(o)[1]
        rest = self._container(o, None, head_end + 1, ours.region(o)[1])
        # What is left is content OURS keeps, unless nothing is: lines that are no unit (a rule, a
        # comment) stay in the output otherwise.
        if ours.own_key(o) == base.own_key(b) and not any(line.text and line.text.strip() for line in rest):
            self._take("theirs", "removed", b)
            return []
        why = (
            "changed in ours, removed in theirs"
            if ours.own_key(o) != base.own_key(b)
            else ("removed in theirs, but ours keeps content under it")
        )
        return [*self._conflict_lines(o, b, None, why, head_only=True), *rest]

    def _container(self, o: Ref, t: Ref | None, start: int, end: int) -> list[_Line]:
        """OURS' lines ``start``..``end`` of container ``o``: its children merged with THEIRS'
        (``t``, None when THEIRS removed the container), insertions placed by their neighbours."""
        ours, theirs = self.ours, self.theirs
        kids_o = ours.kids(o)
        kids_t = theirs.kids(t) if t is not None else []
        # Units both sides added: paired by what they say, merged as one; an item both sides
        # added in words that differ by a typo or punctuation (a near-verbatim copy, the matcher's
        # verdict) is one item too, in OURS' words.
        new_o = {n: ours.own_key(k) for n, k in enumerate(kids_o) if k not in self.o2b}
        new_t = {n: theirs.own_key(k) for n, k in enumerate(kids_t) if k not in self.t2b}
        paired = _pair_equal(new_o, new_t)
        taken_o, taken_t = {i for i, _ in paired}, {j for _, j in paired}
        paired += _pair_copies(
            [(n, kids_o[n]) for n in new_o if n not in taken_o],
            [(n, kids_t[n]) for n in new_t if n not in taken_t],
            ours,
            theirs,
        )
        both = {kids_o[i]: kids_t[j] for i, j in paired}
        clashes = self._clashes(kids_o, kids_t, both)
        clashes.update((kid, self.far_clashes[kid]) for kid in kids_o if kid in self.far_clashes)
        for mine, their in (*both.items(), *((o, t) for o, (t, _) in clashes.items())):
            self.placed_new[their] = mine

        # Steps both sides reordered go in the order that keeps both sides' changes, each merged
        # where it stands in OURS and then put in its slot there (``_step_plan``).
        container = self.o2b.get(o)
        plan = self._step_plan(o, container, t) if container is not None and t is not None else None
        slots = plan or {}
        outputs: list[list[_Line] | None] = []
        for kid in kids_o:
            b = self.o2b.get(kid)
            if kid in slots:
                assert b is not None
                if b in self.moved_o:
                    self._take("ours", "moved", kid)
                if b in self.moved_t:
                    self._take("theirs", "moved", self.b2t[b])
                outputs.append(self._ours_unit(kid, b, self.b2t[b]))
                continue
            if kid in clashes:
                their, why = clashes[kid]
                outputs.append(self._conflict_lines(kid, None, their, why, head_only=False))
                continue
            if b is None:
                outputs.append(self._ours_unit(kid, None, both.get(kid)))
                continue
            tk = self.b2t.get(b)
            if tk is None:
                outputs.append(self._removed_in_theirs(kid, b) or None)
            elif self._goes_away(b):
                outputs.append(None)
            elif self._moved_apart(b):
                places = (
                    f"ours under {self._section_of(self.ours, kid)}, theirs under {self._section_of(self.theirs, tk)}"
                )
                why = f"moved to different places on both sides ({places})"
                outputs.append(self._conflict_lines(kid, b, tk, why, head_only=False))
            else:
                if b in self.moved_o and b not in self.moved_t:
                    self._take("ours", "moved", kid)
                outputs.append(self._ours_unit(kid, b, tk))

        position = {kid: n for n, kid in enumerate(kids_o)}
        if slots:
            placed = list(outputs)
            for kid, slot in slots.items():
                placed[slot] = outputs[position[kid]]
            outputs = placed
            position.update(slots)
        inserts = self._insertions(o, kids_o, kids_t, outputs, position)
        return self._emit(o, kids_o, outputs, inserts, start, end)

    @staticmethod
    def _section_of(side: _Side, ref: Ref) -> str:
        """The title of the section ``side`` puts unit ``ref`` in, quoted, as a conflict names it."""
        parent = side.parent(ref)
        while parent is not None and parent[0] == "i":
            parent = side.parent(parent)
        return f"'{side.label(parent or ROOT)}'"

    def _far_clashes(self) -> dict[Ref, tuple[Ref, str]]:
        """Items the two sides added, anywhere, that say opposite things of one act
        (``text.opposed``: "When deploying, always run the migrations first" under "Deploy" and
        "..., never run ..." under "Database"): kept both, the merged agent would ask for a thing
        and forbid it, and the merge would pass as clean. Each such pair is one conflict at OURS'
        item, THEIRS' on its side and not added where THEIRS put it: OURS' item -> THEIRS' item
        and why. Only prose items in containers all three sides have, outside pitfalls, checks,
        triggers, examples and hand-offs (``lexicon.WALLED_ROLES``, where words are not the
        instruction), neither also added by the other side; at most FAR_CLASH_PAIRS pairs are
        read (sides that each add hundreds of items: their pairs at one place are still
        ``_clashes``')."""
        ours, theirs = self.ours, self.theirs

        def added(side: _Side, to_base: dict[Ref, Ref], other: dict[Ref, Ref]) -> list[Ref]:
            found = []
            for n, unit in enumerate(side.units.items):
                ref, item = ("i", n), unit.item
                parent = side.parent(ref)
                if ref in to_base or side.kids(ref) or ref not in side.position or item.kind not in PROSE_KINDS:
                    continue
                if parent is not None and to_base.get(parent) in other:
                    found.append(ref)
            return found

        mine, yours = added(ours, self.o2b, self.b2t), added(theirs, self.t2b, self.b2o)
        if not mine or not yours or len(mine) * len(yours) > FAR_CLASH_PAIRS:
            return {}
        keys_o, keys_t = {ours.own_key(o) for o in mine}, {theirs.own_key(t) for t in yours}
        mine = [o for o in mine if ours.own_key(o) not in keys_t]
        yours = [t for t in yours if theirs.own_key(t) not in keys_o]
        clashes: dict[Ref, tuple[Ref, str]] = {}
        for o in mine:
            for t in yours:
                if t in self.placed_new or opposed(ours.item(o).text, theirs.item(t).text) is None:
                    continue
                # Asked only of a pair found opposed: reading roles compiles their patterns.
                if walled(ours.units, ours.units.items[o[1]]) or walled(theirs.units, theirs.units.items[t[1]]):
                    continue
                why = "added on both sides, saying opposite things"
                if self.o2b[ours.parent(o) or ROOT] != self.t2b[theirs.parent(t) or ROOT]:
                    why += f" (theirs under {self._section_of(theirs, t)})"
                clashes[o] = (t, why)
                self.placed_new[t] = o
                break
        return clashes

    def _clashes(self, kids_o: list[Ref], kids_t: list[Ref], both: dict[Ref, Ref]) -> dict[Ref, tuple[Ref, str]]:
        """Items (with no items under them) that the two sides added at one place, after the same
        unit of BASE (an item both added is no place), that give one instruction in other words
        (by the pair score among their neighbours: ``_restatements``), or, one each, that say
        opposite things of one act
        (``text.opposed``, as ``_far_clashes`` reads items added anywhere, when it does): OURS'
        item -> THEIRS' item and why they conflict. Both kept, they would be one rule in two
        minds ("Keep functions under 20 lines" and "... under 25 lines"), which git marks as a
        conflict; an empty BASE (both sides added the file) makes every such pair one."""
        ours, theirs = self.ours, self.theirs

        def places(side: _Side, kids: list[Ref], to_base: dict[Ref, Ref], paired: set[Ref]) -> dict[object, list[Ref]]:
            # Keyed by the BASE unit before them: an item both sides added is no place of its own,
            # since the sides may have put their other additions either side of it (a criss-cross
            # history does), and two wordings of one rule would then both stay.
            found: dict[object, list[Ref]] = {}
            after: object = None
            for kid in kids:
                if kid in to_base:
                    after = to_base[kid]
                elif kid not in paired and kid[0] == "i" and not side.kids(kid) and kid not in far:
                    found.setdefault(after, []).append(kid)
            return found

        far = {*self.far_clashes, *(t for t, _ in self.far_clashes.values())}

        mine = places(ours, kids_o, self.o2b, set(both))
        theirs_at = places(theirs, kids_t, self.t2b, set(both.values()))
        clashes: dict[Ref, tuple[Ref, str]] = {}
        for place, added_o in mine.items():
            added_t = theirs_at.get(place, [])
            if not added_t:
                continue
            texts_o = {n: ours.item(o).text for n, o in enumerate(added_o)}
            texts_t = {n: theirs.item(t).text for n, t in enumerate(added_t)}
            if len(added_o) == len(added_t) == 1 and opposed(texts_o[0], texts_t[0]) is not None:
                pairs = [(0, 0)]
            else:
                pairs = self._restatements(kids_o, added_o, texts_o, kids_t, added_t, texts_t)
            for i, j in pairs:
                opposite = opposed(texts_o[i], texts_t[j]) is not None
                why = (
                    "added on both sides, saying opposite things"
                    if opposite
                    else "added on both sides in different words"
                )
                clashes[added_o[i]] = (added_t[j], why)
        return clashes

    def _restatements(
        self,
        kids_o: list[Ref],
        added_o: list[Ref],
        texts_o: dict[int, str],
        kids_t: list[Ref],
        added_t: list[Ref],
        texts_t: dict[int, str],
    ) -> list[tuple[int, int]]:
        """The pairs (i, j) of OURS' item ``added_o[i]`` (text ``texts_o[i]``) and THEIRS'
        ``added_t[j]``, items the sides added at one place, that give one instruction in two
        wordings, each item in one pair at most, in order: by the pair score at the floor
        ``consolidate`` folds by, the items read among up to RESTATEMENT_NEIGHBOURS items either
        side of the additions in each side's list (``scorer.restated_pairs``: two bullets written
        to the list's template are told apart as siblings). Past RESTATEMENT_PLACES such places in one merge, or past
        RESTATEMENT_ITEMS additions at one place, they pair as ``diff`` pairs rewordings: one
        each by its reading of an item reworded in place (a word in common and the similarity
        cutoff less ``match.IN_PLACE_ALLOWANCE``), more by ``match.pair_fuzzy`` at the cutoff.
        Either way a pair of prose items is one instruction only when it is one rule, not two
        rules of one template (``cluster.one_rule``: one wording carries the other). Code,
        tables, quotes and HTML, which ``consolidate`` merges only as copies, are two versions of
        one block by their characters (``match.pair_fuzzy``), never by the score."""
        words_o = [n for n, o in enumerate(added_o) if self.ours.item(o).kind in PROSE_KINDS]
        words_t = [n for n, t in enumerate(added_t) if self.theirs.item(t).kind in PROSE_KINDS]
        blocks_o = {n: texts_o[n] for n in sorted(texts_o.keys() - set(words_o))}
        blocks_t = {n: texts_t[n] for n in sorted(texts_t.keys() - set(words_t))}
        pairs: list[tuple[int, int]] = []
        if blocks_o and blocks_t:
            pairs = [(i, j) for i, j, _ in match.pair_fuzzy(blocks_o, blocks_t, self.cutoff)]
        if not words_o or not words_t:
            return sorted(pairs)
        if self.restatements >= RESTATEMENT_PLACES or len(words_o) + len(words_t) > RESTATEMENT_ITEMS:
            if len(words_o) == len(words_t) == 1:
                a, b = texts_o[words_o[0]], texts_t[words_t[0]]
                near = match.similarity(a, b) >= self.cutoff - match.IN_PLACE_ALLOWANCE and match.share_a_word(a, b)
                return sorted([*pairs, (words_o[0], words_t[0])] if near and self._one_rule(a, b) else pairs)
            fuzzy = match.pair_fuzzy({n: texts_o[n] for n in words_o}, {n: texts_t[n] for n in words_t}, self.cutoff)
            return sorted([*pairs, *((i, j) for i, j, _ in fuzzy if self._one_rule(texts_o[i], texts_t[j]))])
        self.restatements += 1
        # Imported here: a merge with no such pair never loads the pair score.
        from agentmerge.scorer import restated_pairs

        views: list[ItemView] = []
        at: tuple[dict[int, int], dict[int, int]] = ({}, {})
        sides = ((self.ours, kids_o, added_o, words_o), (self.theirs, kids_t, added_t, words_t))
        for source, (side, kids, added, words) in enumerate(sides):
            number = {added[n]: n for n in words}
            first, last = side.position[added[0]], side.position[added[-1]]
            for kid in kids[max(0, first - RESTATEMENT_NEIGHBOURS) : last + RESTATEMENT_NEIGHBOURS + 1]:
                if kid in number:
                    at[source][len(views)] = number[kid]
                if kid[0] == "i":
                    views.append(item_view(side.units, kid[1], source))
        found = restated_pairs(
            views, list(at[0]), list(at[1]), accept=lambda i, j: self._one_rule(views[i].text, views[j].text)
        )
        return sorted([*pairs, *((at[0][i], at[1][j]) for i, j in found)])

    def _one_rule(self, a: str, b: str) -> bool:
        """Whether two additions read as one instruction are one rule (``cluster.one_rule``, with
        the agent's subject), loaded with the pair score, only for such a pair. Past RULE_READINGS
        pairs in one merge, each is one rule, as by the pair score alone: a conflict asks."""
        self.rule_readings += 1
        if self.rule_readings > RULE_READINGS:
            return True
        from agentmerge.cluster import one_rule

        return one_rule(a, b, self.subject)

    @functools.cached_property
    def subject(self) -> frozenset[str]:
        """The terms of the agent's name on the three sides (``name: html-expert``): what every
        rule of the file is about, which two rules share without being one (``cluster.one_rule``)."""
        found: set[str] = set()
        for side in (self.base, self.ours, self.theirs):
            field = side.fields.get("name")
            if field is not None and isinstance(field.value, str):
                found.update(terms(field.value))
        return frozenset(found)

    def _insertions(
        self,
        o: Ref,
        kids_o: list[Ref],
        kids_t: list[Ref],
        outputs: list[list[_Line] | None],
        position: dict[Ref, int],
    ) -> dict[int, list[tuple[Ref | None, list[_Line]]]]:
        """THEIRS' units to add to container ``o``, by the OURS child they follow (-1: first);
        ``position`` is the slot each OURS child's lines went to."""
        theirs = self.theirs
        inserts: dict[int, list[tuple[Ref | None, list[_Line]]]] = {}
        # What each THEIRS unit's place and style is read from, found once per container: a side
        # that adds thousands of units to one list asks the same questions of OURS thousands of times.
        known = _Known()
        slot = -1
        for tk in kids_t:
            b = self.t2b.get(tk)
            placed: Ref | None = None
            block: list[_Line] | None = None
            if b is None:
                placed = self.placed_new.get(tk)
                if placed is None:
                    block = self._theirs_unit(tk)
                    self._take("theirs", "added", tk)
            else:
                ok = self.b2o.get(b)
                if ok is not None and ok in position and outputs[position[ok]] is not None:
                    placed = ok
                elif ok is not None and b in self.moved_t and b not in self.moved_o:
                    block = self._ours_unit(ok, b, tk)
                    self._take("theirs", "moved", tk)
                elif ok is None and theirs.signature(tk) != self.base.signature(b):
                    block = self._conflict_lines(None, b, tk, "removed in ours, changed in theirs", head_only=False)
                elif ok is None and b in self.reparented_t:
                    block = self._conflict_lines(None, b, tk, "removed in ours, moved in theirs", head_only=False)
                elif ok is None:
                    self._take("ours", "removed", b)
            if placed is not None and placed in position:
                slot = position[placed]
            elif block is not None:
                where = self._slot(kids_o, outputs, slot, tk, known)
                inserts.setdefault(where, []).append((tk, self._fit(block, o, tk, kids_o, where, known)))
        return inserts

    def _slot(self, kids_o: list[Ref], outputs: list[list[_Line] | None], slot: int, tk: Ref, known: _Known) -> int:
        """Where a THEIRS unit following OURS child ``slot`` goes: after OURS' own additions
        there (ours first; an item never past a subsection, which would take it in, and a list
        item never past an addition that ends its list, such as a paragraph after it), and a
        heading after every item of the container (a heading takes in the items after it)."""
        is_item = tk[0] == "i"
        heading = not is_item and self.theirs.section(tk).kind == "heading"
        kind = self.theirs.list_kind(tk) if is_item else None
        key = (slot, is_item, heading, kind)
        found = known.slots.get(key)
        if found is None:
            found = known.slots[key] = self._slot_after(kids_o, outputs, slot, is_item, heading, kind)
        return found

    def _slot_after(
        self,
        kids_o: list[Ref],
        outputs: list[list[_Line] | None],
        slot: int,
        is_item: bool,
        heading: bool,
        kind: str | None,
    ) -> int:
        where = slot
        while where + 1 < len(kids_o):
            nxt = kids_o[where + 1]
            if nxt in self.o2b or outputs[where + 1] is None or (is_item and nxt[0] == "s"):
                break
            if kind is not None and where >= 0 and self.ours.list_kind(nxt) != kind:
                break  # past it, the item would start a list of its own
            where += 1
        if heading:
            for n in range(where + 1, len(kids_o)):
                if kids_o[n][0] == "i" and outputs[n] is not None:
                    where = n
        return where

    def _fit(self, block: list[_Line], o: Ref, tk: Ref, kids_o: list[Ref], where: int, known: _Known) -> list[_Line]:
        """A THEIRS unit's lines in OURS' style at their place: list marker, indentation, number."""
        ours = self.ours
        indent = ours.content_indent(o)
        if tk[0] == "s":
            return block
        kind = self.theirs.list_kind(tk)
        if kind is not None:
            near = [kids_o[n] for n in (where, where + 1) if 0 <= n < len(kids_o)]
            model = next((kid for kid in near if ours.list_kind(kid) == kind), None)
            if model is None:
                if kind not in known.firsts:
                    known.firsts[kind] = next((kid for kid in kids_o if ours.list_kind(kid) == kind), None)
                model = known.firsts[kind]
            if model is not None:
                style, _ = self._style_of(ours, model)
                return _restyle(block, indent, style, self._number_after(kids_o, where, model, known))
        return _restyle(block, indent, None)

    def _number_after(self, kids_o: list[Ref], where: int, model: Ref, known: _Known) -> int | None:
        """The number an ordered item inserted after OURS child ``where`` takes in OURS' style:
        the same as every step when the list writes them all alike ("1."), else the next one."""
        ours = self.ours
        if ours.list_kind(model) != "ordered":
            return None
        at = where if 0 <= where < len(kids_o) and ours.list_kind(kids_o[where]) == "ordered" else where + 1
        if at not in known.runs:
            first = last = at
            while first > 0 and ours.list_kind(kids_o[first - 1]) == "ordered":
                first -= 1
            while last + 1 < len(kids_o) and ours.list_kind(kids_o[last + 1]) == "ordered":
                last += 1
            numbers = [ours.item(kids_o[n]).number for n in range(first, min(last, len(kids_o) - 1) + 1)]
            known.runs[at] = (first, len(numbers) > 1 and len(set(numbers)) == 1, numbers[0] if numbers else None)
        first, alike, number = known.runs[at]
        if alike:
            return number
        if where >= first and 0 <= where < len(kids_o) and ours.list_kind(kids_o[where]) == "ordered":
            previous = ours.item(kids_o[where]).number
            return previous + 1 if previous is not None else None
        return ours.item(model).number

    def _emit(
        self,
        o: Ref,
        kids_o: list[Ref],
        outputs: list[list[_Line] | None],
        inserts: dict[int, list[tuple[Ref | None, list[_Line]]]],
        start: int,
        end: int,
    ) -> list[_Line]:
        """Walk OURS' lines of a container, putting each child's merged lines in its place."""
        ours = self.ours
        pieces: list[_Piece] = []
        cursor = start
        previous_kind: str | None = None
        dropped = False
        # A list item added under an item's text needs no blank line around it.
        in_item = o[0] == "i"

        def last_blank() -> bool:
            last = next((piece.lines[-1] for piece in reversed(pieces) if piece.lines), None)
            return last is None or _blank(last)

        def gap(until: int) -> None:
            nonlocal cursor
            lines = ours.source(cursor, until - 1)
            if dropped and all(_blank(line) for line in lines) and last_blank():
                lines = []
            pieces.append(_Piece(lines))
            cursor = max(cursor, until)

        def put(after: int, next_kind: str | None) -> None:
            nonlocal previous_kind
            blocks = inserts.get(after)
            if blocks:
                previous_kind = self._put_all(pieces, blocks, (previous_kind, next_kind), kids_o, in_item=in_item)

        if not kids_o:
            gap(end + 1)
            if inserts.get(-1):
                while pieces and pieces[-1].lines and all(_blank(line) for line in pieces[-1].lines):
                    pieces.pop()
                put(-1, None)
            return [line for piece in pieces for line in piece.lines]
        before = [-1]  # the places whose insertions go before the next child (-1: the first's)
        for n, kid in enumerate(kids_o):
            kid_start, kid_end = ours.region(kid)
            kind = ours.list_kind(kid)
            gap(kid_start)
            for after in before:
                put(after, kind)
            result = outputs[n]
            dropped = result is None
            pieces.extend(self._pieces(kid, result))
            if result is not None:
                previous_kind = kind
            cursor = kid_end + 1
            following = ours.list_kind(kids_o[n + 1]) if n + 1 < len(kids_o) else None
            # List items that open the next child's list go after the gap to it, as its first items.
            before = [n] if self._opens(inserts.get(n), kind, following) else []
            if not before:
                put(n, following)
        gap(end + 1)
        _renumber(pieces)
        out = [line for piece in pieces for line in piece.lines]
        if dropped and end >= start and ours.lines[end - 1].strip():
            while out and (_blank(out[-1]) or out[-1].text is None):
                out.pop()
        return out

    def _pieces(self, kid: Ref, result: list[_Line] | None) -> list[_Piece]:
        """OURS child ``kid``'s merged lines as a piece of its container, none when the merge
        dropped it; a numbered item dropped is an empty piece, as its number still tells how
        OURS numbers."""
        kind = self.ours.list_kind(kid)
        number = self.ours.item(kid).number if kind == "ordered" else None
        if result is None:
            return [_Piece([], "ordered", number)] if kind == "ordered" else []
        return [_Piece(result, kind, number)]

    def _opens(
        self, blocks: list[tuple[Ref | None, list[_Line]]] | None, kind: str | None, following: str | None
    ) -> bool:
        """Whether the units inserted after an OURS child of list kind ``kind`` (None: no list
        item) open the list of kind ``following`` that the next child is in: each is a THEIRS
        list item of that kind, and the child is not. They go after the blank line between the
        two, not before it, or they would be a list of their own."""
        if not blocks or following is None or kind == following:
            return False
        return all(tk is not None and self.theirs.list_kind(tk) == following for tk, _ in blocks)

    def _put_all(
        self,
        pieces: list[_Piece],
        blocks: list[tuple[Ref | None, list[_Line]]],
        around: tuple[str | None, str | None],
        kids_o: list[Ref],
        *,
        in_item: bool,
    ) -> str | None:
        """``_put`` each of the units inserted at one place, in order; return the last one's list
        kind. What follows a unit is the next one put there, and after the last OURS' next child."""
        previous_kind, next_kind = around
        kinds = [self.theirs.list_kind(tk) if tk is not None else None for tk, _ in blocks[1:]]
        for (tk, block), following in zip(blocks, [*kinds, next_kind], strict=True):
            tight = self._tight(kids_o)
            previous_kind = self._put(pieces, tk, block, (previous_kind, following), tight=tight, in_item=in_item)
        return previous_kind

    def _put(
        self,
        pieces: list[_Piece],
        tk: Ref | None,
        block: list[_Line],
        around: tuple[str | None, str | None],
        *,
        tight: bool,
        in_item: bool,
    ) -> str | None:
        """Add an inserted unit's lines, with a blank line on either side unless it is a list item
        that joins the tight list of its neighbours (``around``: their list kinds) or goes under an
        item's text; return its list kind."""
        kind = self.theirs.list_kind(tk) if tk is not None else None
        for side, at in ((around[0], "before"), (around[1], "after")):
            joins = kind is not None and (in_item or (tight and kind == side))
            if at == "after":
                pieces.append(_Piece(block, kind))
            if not joins:
                pieces.append(_Piece([_Line(None)]))
        return kind

    def _tight(self, kids: list[Ref]) -> bool:
        """Whether OURS' list items in this container follow each other without blank lines."""
        ours = self.ours
        for a, b in itertools.pairwise(kids):
            if ours.list_kind(a) and ours.list_kind(a) == ours.list_kind(b):
                gap = ours.lines[ours.region(a)[1] : ours.region(b)[0] - 1]
                return not any(not line.strip() for line in gap)
        return True

    # -- body: THEIRS' new units --------------------------------------------------------------

    def _theirs_unit(self, t: Ref) -> list[_Line]:
        """A unit only THEIRS has, with any units moved into it from OURS in their place."""
        theirs = self.theirs
        start, end = theirs.region(t)
        inner = [kid for kid in self._descendants(t) if kid in self.t2b]
        if not inner:
            for key in theirs.keys_under(t):
                self.expected[key] += 1
            return theirs.source(start, end)
        head_start, head_end = theirs.head(t)
        out = theirs.source(head_start, head_end)
        self._expect_head(theirs, t)
        cursor = head_end + 1
        for kid in theirs.kids(t):
            kid_start, kid_end = theirs.region(kid)
            out.extend(theirs.source(cursor, kid_start - 1))
            cursor = kid_end + 1
            b = self.t2b.get(kid)
            if b is None:
                out.extend(self._theirs_unit(kid))
                continue
            ok = self.b2o.get(b)
            if ok is not None and b not in self.moved_o:
                self._take("theirs", "moved", kid)
                style, indent = self._style_of(theirs, kid)
                out.extend(_restyle(self._ours_unit(ok, b, kid), indent, style))
            elif ok is None and theirs.signature(kid) != self.base.signature(b):
                out.extend(self._conflict_lines(None, b, kid, "removed in ours, changed in theirs", head_only=False))
            elif ok is None and b in self.reparented_t:
                out.extend(self._conflict_lines(None, b, kid, "removed in ours, moved in theirs", head_only=False))
        out.extend(theirs.source(cursor, end))
        return out

    def _descendants(self, ref: Ref) -> Iterator[Ref]:
        for kid in self.theirs.kids(ref):
            yield kid
            yield from self._descendants(kid)

    # -- re-indenting -------------------------------------------------------------------------

    def _style_of(self, side: _Side, ref: Ref) -> tuple[str | None, int]:
        """The first line of a list item (its marker is the style) and the column a unit starts at."""
        line = side.lines[side.region(ref)[0] - 1]
        return (line if side.list_kind(ref) else None), len(line) - len(line.lstrip(" "))

    # -- conflicts ----------------------------------------------------------------------------

    def _lines_merged(self, o: Ref, b: Ref, t: Ref) -> list[_Line] | None:
        """Item ``o`` with no items under it, which both sides changed, merged line by line as git
        merges a file (``diff3``), when the two changed different lines of it (a code block whose
        first lines one side changed and last lines the other). Where they changed the same lines
        (or lines next to each other), git's conflict is marked around those lines alone, each
        such run one conflict, not around the whole item: a code block of fifty lines two edits
        apart was written three times over. None when the result (conflicts taken as OURS
        wrote them) does not read as one such item, or every line is in conflict."""
        (os_, oe), (bs, be), (ts, te) = self.ours.head(o), self.base.head(b), self.theirs.head(t)
        old, mine, their = self.base.lines[bs - 1 : be], self.ours.lines[os_ - 1 : oe], self.theirs.lines[ts - 1 : te]
        runs = diff3_runs(old, mine, their)
        if all(what == "conflict" for what, *_ in runs):
            return None
        # Each run's lines as the side it takes wrote them (a conflict as OURS did).
        taken = [their[k:ko] if what == "theirs" else mine[j:jo] for what, _, (j, jo), (k, ko) in runs]
        resolved = [line for lines in taken for line in lines]
        # Read by itself, out of the indentation of the item it is nested in: a parse of the unit
        # alone, not of the file, so a file of many such units costs no more than reading it. The
        # check of the whole result (``_checks``) still decides.
        parent = self.ours.item_parent[o[1]]
        indent = self.ours.content_indent(("i", parent)) if parent >= 0 else 0
        alone = "\n".join(line[min(indent, len(line) - len(line.lstrip(" "))) :] for line in resolved)
        root = parse_body(_normal(alone), self.paths[1])
        found = [item for section in root.walk() for item in section.items]
        if len(found) != 1 or found[0].children or found[0].kind != self.ours.item(o).kind:
            return None
        self.expected["i", item_key(found[0])] += 1
        out: list[_Line] = []
        for (what, (i, n), (j, jo), (k, ko)), lines in zip(runs, taken, strict=True):
            if what != "conflict":
                out.extend(_Line(line) for line in lines)
                continue
            sides = (
                ConflictSide(os_ + j if jo > j else 0, "\n".join(mine[j:jo])),
                ConflictSide(bs + i if n > i else 0, "\n".join(old[i:n])),
                ConflictSide(ts + k if ko > k else 0, "\n".join(their[k:ko])),
            )
            ours_lines, base_lines, theirs_lines = (
                [_Line(line) for line in part] for part in (mine[j:jo], old[i:n], their[k:ko])
            )
            label = self.ours.label(o)
            out.extend(
                self._markers("item", label, "changed on both sides", ours_lines, base_lines, theirs_lines, sides)
            )
        return out

    def _conflict_lines(self, o: Ref | None, b: Ref | None, t: Ref | None, why: str, *, head_only: bool) -> list[_Line]:
        """Markers around one unit: OURS' lines, BASE's, THEIRS'."""

        def part(side: _Side, ref: Ref | None) -> tuple[list[_Line], ConflictSide]:
            if ref is None:
                return [], ConflictSide(0, "")
            start, end = side.head(ref) if head_only else side.region(ref)
            return side.source(start, end), ConflictSide(start, side.text_of(start, end))

        ours_lines, ours_side = part(self.ours, o)
        base_lines, base_side = part(self.base, b)
        theirs_lines, theirs_side = part(self.theirs, t)
        if o is not None:
            if head_only:
                self._expect_head(self.ours, o)
            else:
                for key in self.ours.keys_under(o):
                    self.expected[key] += 1
        label_side, label_ref = next(
            (side, ref) for side, ref in ((self.ours, o), (self.theirs, t), (self.base, b)) if ref is not None
        )
        kind: UnitKind = "section" if label_ref[0] == "s" else "item"
        return self._markers(
            kind,
            label_side.label(label_ref),
            why,
            ours_lines,
            base_lines,
            theirs_lines,
            (ours_side, base_side, theirs_side),
        )

    def _markers(
        self,
        kind: UnitKind,
        label: str,
        why: str,
        ours_lines: list[_Line],
        base_lines: list[_Line],
        theirs_lines: list[_Line],
        sides: tuple[ConflictSide, ConflictSide, ConflictSide],
    ) -> list[_Line]:
        number = len(self.conflicts)
        self.conflicts.append((kind, label, why, *sides))
        size = self.marker_size

        def tagged(lines: list[_Line], part: str) -> list[_Line]:
            return [_Line(line.text, line.ending, number, part) for line in lines]

        return [
            _Line("<" * size + " ours", None, number, "open"),
            *tagged(ours_lines, "ours"),
            _Line("|" * size + " base", None, number, "marker"),
            *tagged(base_lines, "base"),
            _Line("=" * size, None, number, "marker"),
            *tagged(theirs_lines, "theirs"),
            _Line(">" * size + " theirs", None, number, "close"),
        ]

    def _conflicts(self, spans: dict[int, tuple[int, int]]) -> tuple[Conflict, ...]:
        found = [
            Conflict(kind, label, why, *spans[n], ours, base, theirs)
            for n, (kind, label, why, ours, base, theirs) in enumerate(self.conflicts)
        ]
        found.sort(key=lambda c: c.start)
        return tuple(found)

    # -- taken --------------------------------------------------------------------------------

    def _take(self, side: SideName, op: TakenOp, ref: Ref) -> None:
        source = {"ours": self.ours, "theirs": self.theirs}[side] if op != "removed" else self.base
        kind: UnitKind = "section" if ref[0] == "s" else "item"
        if ref == ROOT:
            return
        self.taken.append(Taken(side, op, kind, source.label(ref), source.region(ref)[0]))

    # -- frontmatter --------------------------------------------------------------------------

    def _frontmatter(self) -> list[_Line]:
        """OURS' frontmatter with THEIRS' key changes, or THEIRS' new frontmatter."""
        ours, base, theirs = self.ours, self.base, self.theirs
        if ours.frontmatter is None:
            if theirs.frontmatter is not None and base.frontmatter is None:
                start, end = theirs.frontmatter
                self.taken.append(Taken("theirs", "added", "field", "(frontmatter)", start))
                return [*theirs.source(start, end), _Line(None)]
            if theirs.frontmatter is not None and base.frontmatter is not None:
                same = {k: f.value for k, f in theirs.fields.items()} == {k: f.value for k, f in base.fields.items()}
                if not same:
                    b_start, b_end = base.frontmatter
                    t_start, t_end = theirs.frontmatter
                    return self._markers(
                        "field",
                        "(frontmatter)",
                        "removed in ours, changed in theirs",
                        [],
                        base.source(b_start, b_end),
                        theirs.source(t_start, t_end),
                        (
                            ConflictSide(0, ""),
                            ConflictSide(b_start, base.text_of(b_start, b_end)),
                            ConflictSide(t_start, theirs.text_of(t_start, t_end)),
                        ),
                    )
            return []
        open_line, close_line = ours.frontmatter
        out = ours.source(1, open_line)
        keys_o = list(ours.fields)
        cursor = open_line + 1
        outputs: dict[str, list[_Line]] = {}
        for key in keys_o:
            outputs[key] = self._field(key)
        inserts: dict[str, list[list[_Line]]] = {}
        previous = ""
        for key, t_field in theirs.fields.items():
            if key in ours.fields:
                previous = key
                continue
            b_field = base.fields.get(key)
            block: list[_Line] = []
            if b_field is None:
                block = theirs.source(t_field.line, t_field.end_line)
                self.taken.append(Taken("theirs", "added", "field", key, t_field.line))
            elif not self._same(key, b_field, t_field):
                block = self._field_conflict(key, None, b_field, t_field, "removed in ours, changed in theirs")
            else:
                self.taken.append(Taken("ours", "removed", "field", key, b_field.line))
            if block:
                inserts.setdefault(previous, []).append(block)
        for block in inserts.get("", []):
            out.extend(block)
        for key in keys_o:
            f = ours.fields[key]
            out.extend(ours.source(cursor, f.line - 1))
            out.extend(outputs[key])
            cursor = f.end_line + 1
            for block in inserts.get(key, []):
                out.extend(block)
        out.extend(ours.source(cursor, close_line))
        return out

    def _field(self, key: str) -> list[_Line]:
        ours, base, theirs = self.ours, self.base, self.theirs
        o = ours.fields[key]
        b, t = base.fields.get(key), theirs.fields.get(key)
        mine = ours.source(o.line, o.end_line)
        if b is None:
            if t is None or self._same(key, o, t):
                self.taken.append(Taken("ours", "added", "field", key, o.line))
                return mine
            if _name_sets(key, o.value, t.value):
                return self._set_field(o, None, t)
            return self._field_conflict(key, o, None, t, "added differently on both sides")
        if t is None:
            if self._same(key, o, b):
                self.taken.append(Taken("theirs", "removed", "field", key, b.line))
                return []
            return self._field_conflict(key, o, b, None, "changed in ours, removed in theirs")
        ours_changed = not self._same(key, o, b)
        theirs_changed = not self._same(key, t, b)
        if ours_changed:
            self.taken.append(Taken("ours", "changed", "field", key, o.line))
        if not theirs_changed or self._same(key, o, t):
            return mine
        # Ours wrote its names otherwise (a tool by its name now), or only wrote them another way
        # (a block list for a comma string): theirs' change is written in ours' words and style.
        rewritten = names(o.value) != names(b.value) or ours.text_of(o.line, o.end_line) != base.text_of(
            b.line, b.end_line
        )
        if not ours_changed and not (_name_sets(key, o.value, b.value, t.value) and rewritten):
            self.taken.append(Taken("theirs", "changed", "field", key, t.line))
            return self.theirs.source(t.line, t.end_line)
        # Both changed a list of names, or ours only wrote them otherwise: theirs' additions and
        # removals in ours' words.
        if _name_sets(key, o.value, b.value, t.value):
            return self._set_field(o, b, t)
        merged = self._field_lines_merged(key, o, b, t) or self._entries_merged(key, o, b, t)
        if merged is not None:
            self.taken.append(Taken("theirs", "changed", "field", key, t.line))
            return merged
        return self._field_conflict(key, o, b, t, "changed on both sides")

    def _field_lines_merged(self, key: str, o: Field, b: Field, t: Field) -> list[_Line] | None:
        """A value of several lines (a folded ``description: >``, an ``mcp-servers`` block) whose
        lines the two sides changed apart, merged line by line as git merges a file (``diff3``),
        when the result reads as the key alone; None when they changed the same lines."""
        if o.line == o.end_line or b.line == b.end_line or t.line == t.end_line:
            return None
        ours, base, theirs = self.ours, self.base, self.theirs
        chunks = diff3(
            base.lines[b.line - 1 : b.end_line],
            ours.lines[o.line - 1 : o.end_line],
            theirs.lines[t.line - 1 : t.end_line],
        )
        lines: list[str] = []
        for chunk in chunks:
            if isinstance(chunk, tuple):
                return None
            lines.extend(chunk)
        alone = parse_text(_normal("---\n" + "\n".join(lines) + "\n---\n"), self.paths[1])
        if alone.warnings or [f.key for f in alone.fields] != [key]:
            return None
        return [_Line(line) for line in lines]

    def _entries_merged(self, key: str, o: Field, b: Field, t: Field) -> list[_Line] | None:
        """A mapping (``mcp-servers``, ``hooks``) whose entries the two sides changed apart (each
        added a server), merged entry by entry, OURS' entries first, and written as block YAML;
        None when it is no mapping on some side, both changed one entry differently, or what is
        written would not read back as that mapping alone."""
        if not (isinstance(o.value, dict) and isinstance(b.value, dict) and isinstance(t.value, dict)):
            return None
        ours, base, theirs = o.value, b.value, t.value
        merged: dict[str, object] = {}
        for name in dict.fromkeys([*ours, *theirs]):
            mine, before, other = ours.get(name, _ABSENT), base.get(name, _ABSENT), theirs.get(name, _ABSENT)
            if mine == other or other == before:
                value = mine
            elif mine == before:
                value = other
            else:
                return None
            if value is not _ABSENT:
                merged[name] = value
        import yaml

        written = yaml.safe_dump({key: merged}, sort_keys=False, allow_unicode=True, width=1_000_000)
        alone = parse_text(_normal(f"---\n{written}---\n"), self.paths[1])
        if alone.warnings or [(f.key, f.value) for f in alone.fields] != [(key, merged)]:
            return None
        return [_Line(line) for line in written.rstrip("\n").split("\n")]

    def _same(self, key: str, a: Field, b: Field) -> bool:
        """Whether two values of ``key`` say the same to the tool (``_same_field``) and to every
        YAML reader (the same spelling where one reads otherwise: ``version: 1.10`` is not
        ``1.1``, ``parse.spelled_value``, as ``diff`` tells them apart); for a key it reads as the
        rest of the line (a Cursor rule's ``globs``), only when both or neither are quoted, as it
        reads the quotes as part of the value."""
        if not _same_field(key, a.value, b.value, self._reading(key)) or spelled_value(a) != spelled_value(b):
            return False
        if bool(a.quote) == bool(b.quote):
            return True
        from agentmerge.formats import verbatim_keys  # only then: most merges never load the format table

        return key not in verbatim_keys(self.format_paths)

    def _reading(self, key: str) -> ToolReading | None:
        """How the tool reads a name of ``key``: for tools, as the file's format reads them
        (``formats.tool_reading``: ``codebase`` and ``search/codebase`` are one tool to VS Code);
        None when names are read as written."""
        return self._tools_read if key in TOOL_KEYS else None

    @functools.cached_property
    def _tools_read(self) -> ToolReading | None:
        from agentmerge.formats import tool_reading  # only then: most merges never load the format table

        return tool_reading(self.format_paths)

    def _set_field(self, o: Field, b: Field | None, t: Field) -> list[_Line]:
        """A list-valued key both sides changed: additions and removals of both, OURS' order first."""
        read = self._reading(o.key)
        before = read_tools(names(b.value), read) if b is not None else frozenset()
        mine, theirs = names(o.value), names(t.value)
        removed = before - read_tools(theirs, read)
        if any(read_tools((name,), read) & removed and not read_tools((name,), read) <= removed for name in mine):
            # A name of ours stands for tools theirs removed and tools it kept (a removed VS Code
            # tool set): keeping it would grant one again, dropping it would lose the other.
            return self._field_conflict(o.key, o, b, t, "changed on both sides")
        merged = [name for name in mine if not read_tools((name,), read) <= removed]
        kept = read_tools(merged, read)
        merged += [name for name in theirs if not read_tools((name,), read) <= before | kept]
        if not merged and mine and theirs:
            # Each side removed what the other kept: neither asked for an empty list, and for
            # tools an empty list is no list, which grants every tool.
            return self._field_conflict(o.key, o, b, t, "each side removed what the other kept; nothing would be left")
        self.taken.append(Taken("theirs", "changed", "field", o.key, t.line))
        lines = _write_names(self.ours.lines[o.line - 1 : o.end_line], o.key, o.value, merged)
        if lines is None:
            return self._field_conflict(o.key, o, b, t, "changed on both sides")
        return [_Line(line) for line in lines]

    def _field_conflict(self, key: str, o: Field | None, b: Field | None, t: Field | None, why: str) -> list[_Line]:
        def part(side: _Side, f: Field | None) -> tuple[list[_Line], ConflictSide]:
            if f is None:
                return [], ConflictSide(0, "")
            return side.source(f.line, f.end_line), ConflictSide(f.line, side.text_of(f.line, f.end_line))

        (ol, os_), (bl, bs), (tl, ts) = part(self.ours, o), part(self.base, b), part(self.theirs, t)
        return self._markers("field", key, why, ol, bl, tl, (os_, bs, ts))

    # -- output -------------------------------------------------------------------------------

    def _join(self, lines: list[_Line], mode: Literal["markers", "ours"]) -> tuple[str, dict[int, tuple[int, int]]]:
        """The text of ``lines`` (conflicts with markers, or OURS' side only) and each conflict's
        first and last line in it."""
        kept: list[_Line] = []
        for line in lines:
            if line.conflict >= 0 and mode == "ours" and line.part != "ours":
                continue
            if line.text is None:
                if kept and kept[-1].text is None:
                    continue
                kept.append(line)
                continue
            kept.append(line)
        resolved: list[_Line] = []
        for n, line in enumerate(kept):
            if line.text is None:
                before = resolved[-1] if resolved else None
                after = kept[n + 1] if n + 1 < len(kept) else None
                if before is None or after is None or _blank(before) or after.text is None or _blank(after):
                    continue
                resolved.append(_Line(""))
                continue
            resolved.append(line)
        parts: list[str] = []
        spans: dict[int, tuple[int, int]] = {}
        for n, line in enumerate(resolved):
            assert line.text is not None
            ending = line.ending if line.ending is not None else self.nl
            if ending == "" and n + 1 < len(resolved):
                ending = self.nl
            parts.append(line.text + ending)
            if line.part == "open":
                spans[line.conflict] = (n + 1, n + 1)
            elif line.part == "close":
                spans[line.conflict] = (spans[line.conflict][0], n + 1)
        return "".join(parts), spans

    def _checks(self, body: list[_Line]) -> bool:
        """Whether the merged body, conflicts resolved to OURS' side, holds exactly the decided
        units. (The frontmatter is spliced key by key and needs no second reading.)"""
        text, _ = self._join(body, "ours")
        root = parse_body(_normal(text), self.paths[1])
        found: Counter[tuple[str, object]] = Counter()
        for section in root.walk():
            if section.kind != "root":
                found["s", _title(section)] += 1
            for top in section.items:
                for item in top.walk():
                    found["i", item_key(item)] += 1
        return found == self.expected

    def _fallback(self) -> MergeResult:
        """A line-level three-way merge when the model's result does not check out."""
        base, ours, theirs = (split_lines(text)[0] for text in self.texts)
        chunks = diff3(base, ours, theirs)
        lines: list[_Line] = []
        self.conflicts = []
        for chunk in chunks:
            if isinstance(chunk, list):
                lines.extend(_Line(text) for text in chunk)
                continue
            mine, old, their = chunk
            lines.extend(
                self._markers(
                    "file",
                    "(lines)",
                    "changed on both sides (line merge)",
                    [_Line(x) for x in mine],
                    [_Line(x) for x in old],
                    [_Line(x) for x in their],
                    (
                        ConflictSide(0, "\n".join(mine)),
                        ConflictSide(0, "\n".join(old)),
                        ConflictSide(0, "\n".join(their)),
                    ),
                )
            )
        text, spans = self._join(lines, "markers")
        if not self.texts[1].endswith(("\n", "\r")) and text.endswith(self.nl):
            text = text[: -len(self.nl)]
        return MergeResult(*self.paths, text, self._conflicts(spans), (), "lines", self.warnings)


# --------------------------------------------------------------------------------------------
# Helpers


def _maps(pairing: BodyPairing) -> dict[Ref, Ref]:
    found: dict[Ref, Ref] = {("s", o): ("s", n) for o, n in pairing.sections.items()}
    found.update((("i", o), ("i", n)) for o, n in pairing.items.items())
    return found


def _pair_equal(old: dict[int, object], new: dict[int, object]) -> list[tuple[int, int]]:
    """Pair equal keys one-to-one, first with first (``match.pair_exact`` over any keys)."""
    waiting: dict[object, list[int]] = {}
    for j in sorted(new):
        waiting.setdefault(new[j], []).append(j)
    pairs: list[tuple[int, int]] = []
    for i in sorted(old):
        candidates = waiting.get(old[i])
        if candidates:
            pairs.append((i, candidates.pop(0)))
    return pairs


def _pair_copies(
    ours: list[tuple[int, Ref]], theirs: list[tuple[int, Ref]], side_o: _Side, side_t: _Side
) -> list[tuple[int, int]]:
    """Pair items (with no children of their own) that are near-verbatim copies, one-to-one, in order."""
    if not ours or not theirs:
        return []
    # The matcher's module, only when both sides added items.
    from agentmerge.scorer import near_verbatim, verbatim_terms

    # Prose copies have the same terms: each OURS item is weighed only against THEIRS items with
    # its terms (in THEIRS' order), not against every item both sides added.
    waiting: dict[frozenset[str], list[tuple[int, Ref]]] = {}
    for j, t in theirs:
        if t[0] == "i" and not side_t.kids(t):
            waiting.setdefault(verbatim_terms(side_t.item(t).text), []).append((j, t))
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for i, o in ours:
        if o[0] != "i" or side_o.kids(o):
            continue
        text = side_o.item(o).text
        for j, t in waiting.get(verbatim_terms(text), ()):
            if (
                j not in used
                and near_verbatim(text, side_t.item(t).text)
                and opposed(text, side_t.item(t).text) is None
            ):
                pairs.append((i, j))
                used.add(j)
                break
    return pairs


def _sorted_before(before: dict[Ref, set[Ref]], place: dict[Ref, int]) -> list[Ref] | None:
    """The units of ``before`` (unit -> the units that come after it) in an order that keeps
    every "comes before", ties by ``place``; None when they go round in a circle."""
    waiting = dict.fromkeys(before, 0)
    for successors in before.values():
        for unit in successors:
            waiting[unit] += 1
    ready = [(place[unit], unit) for unit, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[Ref] = []
    while ready:
        _, unit = heapq.heappop(ready)
        order.append(unit)
        for successor in before[unit]:
            waiting[successor] -= 1
            if waiting[successor] == 0:
                heapq.heappush(ready, (place[successor], successor))
    return order if len(order) == len(before) else None


MAX_ORDERED_STEPS = 200
"""Most numbered steps of one list whose orders on the two sides are weighed pair by pair."""


def _parent_in_base(side: _Side, x: Ref, back: dict[Ref, Ref]) -> Ref | None:
    """The base unit standing for the parent ``side`` puts its unit ``x`` under; None for a
    parent that side added (or the root's none)."""
    parent = side.parent(x)
    return back.get(parent) if parent is not None else None


RESTATEMENT_NEIGHBOURS = 2
"""How many items either side of the items the sides added at one place the pair score reads
them among (``_Merger._restatements``). On the 943 merges of two neighbouring corpus bullets
and 243 pairs of one instruction in two files' words (the labelled groups, each added to the
list of one of its files), reading each pair alone conflicts 15% of the first and 82% of the
second; among one neighbour a side, 7% and 74%; among 2, 6% and 73%; among 5 to the whole list,
6% and 72%. Two, not five: the pair score measures every pair of the items it reads, and where
each side added a 3,000-character bullet at each of 80 places, five a side took 4 CPU s more
than reading the pairs by their characters alone, two 1 s."""


RULE_READINGS = 20_000
"""Most pairs of additions one merge reads as one rule or two (``_Merger._one_rule``: about 0.1
ms each, 2 s in all); past them a pair the pair score reads as one instruction is one, a
conflict, as before the rule read them. A place holds 900 such pairs at most (RESTATEMENT_ITEMS),
and a merge RESTATEMENT_PLACES places."""


RESTATEMENT_ITEMS = 60
"""Most items the two sides added at one place, together, that a merge pairs by the pair score
(``_Merger._restatements``: every pair of them is scored, 900 at most); past it (two branches
that each appended dozens of steps to one list) they pair as ``diff`` pairs rewordings."""

RESTATEMENT_PLACES = 1_000
"""Most places with additions on both sides that one merge weighs by the pair score
(``_Merger._restatements``), a millisecond or two each; past them (two branches that each added
a bullet after every bullet of a long list) they pair as ``diff`` pairs rewordings."""

FAR_CLASH_PAIRS = 10_000
"""Most pairs of items added by the two sides that a merge reads for a contradiction across
places (``_Merger._far_clashes``): a hundred additions a side. Each pair is a comparison of
words; past it (two branches that each rewrote an agent) additions are read per place only."""


def _restyle(lines: list[_Line], indent: int, style: str | None, number: int | None = None) -> list[_Line]:
    """One unit's lines placed at column ``indent``; a list item takes the marker of ``style``
    (the first line of a sibling item), numbered ``number`` when ordered, and its continuation
    lines follow the new content column. Conflict lines stay as they are."""
    first = next((line for line in lines if line.text is not None and line.conflict < 0), None)
    if first is None or first.text is None:
        return lines
    found = _MARKER_RE.match(first.text)
    model = _MARKER_RE.match(style) if style is not None else None
    if found is not None and model is not None:
        marker = model.group("marker")
        if bool(model.group("delim")) != bool(found.group("delim")):
            marker = found.group("marker")
        elif model.group("delim"):
            marker = f"{number if number is not None else found.group('number')}{model.group('delim')}"
        prefix = f"{model.group('indent')}{marker}{model.group('space') or ' '}"
        column = found.end() if found.group("space") else found.end() + 1
        return _moved_lines(lines, first, column, prefix)
    column = len(first.text) - len(first.text.lstrip(" "))
    if column == indent:
        return lines
    return _moved_lines(lines, first, column, " " * indent + first.text[column:column], shift_first=True)


def _moved_lines(
    lines: list[_Line], first: _Line, column: int, prefix: str, *, shift_first: bool = False
) -> list[_Line]:
    """``lines`` with ``first`` starting with ``prefix`` instead of its first ``column`` characters
    and every other line indented past ``column`` moved to ``len(prefix)``; lazy lines stay."""
    out: list[_Line] = []
    width = " " * len(prefix)
    for line in lines:
        text = line.text
        if text is None or line.conflict >= 0:
            out.append(line)
        elif line is first:
            out.append(_Line(prefix + text[column:], line.ending))
        elif not text.strip():
            out.append(_Line("", line.ending))
        elif len(text) - len(text.lstrip(" ")) >= column:
            out.append(_Line(width + text[column:], line.ending))
        else:
            out.append(line)
    return out


_ABSENT = object()
"""An entry a side's mapping does not have (``_entries_merged``): unlike None, no YAML value."""


def _name_sets(key: str, *values: object) -> bool:
    """Whether ``key`` holds names and every value is a name string or list (or empty)."""
    return key in SET_KEYS and all(value is None or is_name_set(key, value) for value in values)


def _same_field(key: str, a: object, b: object, reading: ToolReading | None = None) -> bool:
    """Whether two values of ``key`` say the same: name sets as sets (of the tools ``reading``
    reads the names as, when given), strings spacing aside."""
    if _name_sets(key, a, b):
        return read_tools(names(a), reading) == read_tools(names(b), reading)
    return same_value(a, b)


def _write_names(lines: list[str], key: str, value: object, merged: list[str]) -> list[str] | None:
    """``key: merged`` written as OURS wrote the key (comma string, flow or block list); None
    when the result would not read back as those names."""
    import yaml

    first = lines[0]
    lead = first[: first.index(":") + 1] if ":" in first else f"{key}:"
    if isinstance(value, list):
        items = [line for line in lines[1:] if line.strip().startswith("-")]
        # Names in quotes stay in the quotes ours wrote them in (the first one's).
        quoted = re.search(r"""(?:^\s*-\s*|[\[,]\s*)(['"])""", "\n".join(items) if items else first[len(lead) :])
        mark = quoted.group(1) if quoted else ""
        written_names = [f"{mark}{name}{mark}" if mark and mark not in name else name for name in merged]
        if items:
            prefix = items[0][: items[0].index("-") + 1] + " "
            written = [lead, *(prefix + name for name in written_names)]
        else:
            written = [f"{lead} [{', '.join(written_names)}]"]
    elif isinstance(value, str) and "," not in value and " " in value.strip():
        written = [f"{lead} {' '.join(merged)}"]
    else:
        written = [f"{lead} {', '.join(merged)}"]
    try:
        loaded = yaml.safe_load("\n".join(written))
    except yaml.YAMLError:
        return None
    if not isinstance(loaded, dict) or len(loaded) != 1 or set(names(next(iter(loaded.values())))) != set(merged):
        return None
    return written


# --------------------------------------------------------------------------------------------
# Line-level three-way merge (the fallback)

Chunk = list[str] | tuple[list[str], list[str], list[str]]


Run = tuple[Literal["ours", "theirs", "conflict"], tuple[int, int], tuple[int, int], tuple[int, int]]
"""One run of ``diff3_runs``: whose lines it takes (or a conflict), and the half-open line ranges
it spans in BASE, OURS and THEIRS."""


def diff3_runs(base: list[str], ours: list[str], theirs: list[str]) -> list[Run]:
    """A line-level three-way merge, as ``diff3 -m`` makes it, as runs: stable runs and one-sided
    changes take a side's lines, runs both sides changed differently are conflicts."""

    def matches(other: list[str]) -> dict[int, int]:
        found: dict[int, int] = {}
        for block in match.aligner(base, other).get_matching_blocks():
            for k in range(block.size):
                found[block.a + k] = block.b + k
        return found

    to_ours, to_theirs = matches(ours), matches(theirs)
    runs: list[Run] = []
    i = j = k = 0
    while True:
        # The next base line both sides keep, in order.
        n = i
        while n < len(base) and not (n in to_ours and n in to_theirs and to_ours[n] >= j and to_theirs[n] >= k):
            n += 1
        if n < len(base):
            jo, ko = to_ours[n], to_theirs[n]
        else:
            jo, ko = len(ours), len(theirs)
        old, mine, their = base[i:n], ours[j:jo], theirs[k:ko]
        if old or mine or their:
            what: Literal["ours", "theirs", "conflict"]
            if mine == old:
                what = "theirs"
            elif their == old or mine == their:
                what = "ours"
            else:
                what = "conflict"
            runs.append((what, (i, n), (j, jo), (k, ko)))
        if n >= len(base):
            break
        runs.append(("ours", (n, n + 1), (jo, jo + 1), (ko, ko + 1)))
        i, j, k = n + 1, jo + 1, ko + 1
    return runs


def diff3(base: list[str], ours: list[str], theirs: list[str]) -> list[Chunk]:
    """``diff3_runs`` as lines: a side's lines for each run it takes, (ours, base, theirs) for
    each conflict."""
    chunks: list[Chunk] = []
    for what, (i, n), (j, jo), (k, ko) in diff3_runs(base, ours, theirs):
        if what == "conflict":
            chunks.append((ours[j:jo], base[i:n], theirs[k:ko]))
        else:
            chunks.append(ours[j:jo] if what == "ours" else theirs[k:ko])
    return chunks


def conflict_lines(result: MergeResult) -> Iterable[str]:
    """One line per conflict for a terminal: where it is in the merged text and what it is."""
    for conflict in result.conflicts:
        label = " ".join(conflict.label.split())
        if len(label) > 60:
            label = label[:59] + "…"
        yield f"lines {conflict.start}-{conflict.end}: {conflict.kind} {label!r}: {conflict.why}"


def line_merge(base: str, ours: str, theirs: str, *, marker_size: int = MARKER_SIZE) -> str:
    """The line-level three-way merge of three texts, with git-style markers where both sides
    changed the same lines; OURS' usual line ending. What git's own merge would leave."""
    return line_merge_result((base, ours, theirs), ("base", "ours", "theirs"), marker_size=marker_size).text


def line_merge_result(
    texts: tuple[str, str, str], paths: tuple[str, str, str], *, marker_size: int = MARKER_SIZE
) -> MergeResult:
    """``line_merge`` as a result: one ``file`` conflict for each place both sides changed the
    same lines (for inputs the model cannot read, such as a line longer than the parser takes)."""
    base, ours, theirs = texts
    ours_lines, endings = split_lines(ours)
    out: list[str] = []
    conflicts: list[Conflict] = []
    for chunk in diff3(split_lines(base)[0], ours_lines, split_lines(theirs)[0]):
        if isinstance(chunk, list):
            out.extend(chunk)
            continue
        mine, old, their = chunk
        start = len(out) + 1
        out.extend(["<" * marker_size + " ours", *mine, "|" * marker_size + " base", *old])
        out.extend(["=" * marker_size, *their, ">" * marker_size + " theirs"])
        sides = (ConflictSide(0, "\n".join(mine)), ConflictSide(0, "\n".join(old)), ConflictSide(0, "\n".join(their)))
        conflicts.append(Conflict("file", "(lines)", "changed on both sides (line merge)", start, len(out), *sides))
    nl = _usual_ending(endings)
    text = nl.join(out) + (nl if out and (not endings or endings[-1]) else "")
    return MergeResult(*paths, text, tuple(conflicts), (), "lines")
