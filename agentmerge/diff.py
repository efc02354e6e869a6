"""Semantic diff of two agents: which instructions were added, removed, reworded or moved.

A pure function from two models to a result. Sections pair first (by title and by how much of
their content pairs), then items: exactly inside paired sections, exactly anywhere (moves),
fuzzily inside paired sections (rewordings), fuzzily anywhere at a stricter cutoff (moves with
an edit). What is left over was added or removed. Formatting never reaches the comparison:
items are compared in their normal form (see ``text.normalize``).

Order inside a list is meaning only for numbered lists: a numbered step that changed place is
reported as moved, while reordered bullets and paragraphs of one section are not a change.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from agentmerge import match
from agentmerge.fields import PERMISSION_KEYS, PROSE_KEYS, SET_KEYS, description_prose, example_key, names
from agentmerge.lexicon import GENERAL_ROLE, roles_compatible
from agentmerge.model import Agent, Diagnostic, Field, Item, Section
from agentmerge.text import negated, normalize, opposite_polarity, section_role

ChangeOp = Literal["added", "removed", "reworded", "moved"]
FieldOp = Literal["added", "removed", "changed", "reworded"]
SegmentOp = Literal["equal", "delete", "insert"]

_TOKEN_RE = re.compile(r"\s+|[\w'’]+|[^\w\s]")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Segment:
    """One run of a word-level redline."""

    op: SegmentOp
    """equal (in both texts), delete (only in the old text) or insert (only in the new text)."""
    text: str
    """The words of the run with their spacing, in normal form (no Markdown emphasis)."""


@dataclass(frozen=True, slots=True)
class Side:
    """Where one side of a change stands in its file."""

    line: int
    """1-based line in that file, frontmatter included."""
    text: str
    """The item's Markdown text, or the section's title for a section change."""
    section: str | None
    """Title of the enclosing section (for a section change, of its parent); None at top level."""
    section_line: int
    """1-based line of that enclosing section's heading (the root: its first body line)."""
    checked: bool | None = None
    """For a task item, whether its box is ticked; None for everything else."""


@dataclass(frozen=True, slots=True)
class Change:
    """One semantic change to the body of an agent."""

    op: ChangeOp
    """added, removed, reworded, or moved (changed section or place; may also be edited)."""
    kind: Literal["item", "section"]
    """Whether an item (bullet, paragraph, code block, ...) or a section heading changed."""
    old: Side | None
    """Where it stood in the old file; None when added."""
    new: Side | None
    """Where it stands in the new file; None when removed."""
    similarity: float | None = None
    """Similarity of old and new text in [0, 1] (1.0 when unchanged); None when added or removed."""
    redline: tuple[Segment, ...] = ()
    """Word-level differences between the old and new text; empty when the text is unchanged."""
    polarity: Literal["negated", "affirmed"] | None = None
    """For a rewording that flips the instruction: negated (now says never/don't), affirmed
    (no longer does); None when the polarity is the same."""
    item_kind: str | None = None
    """The model's kind of the item (bullet, ordered, task, paragraph, ...); None for sections."""
    context: str | None = None
    """Title of the section the change is listed under: the new file's section when it exists
    there (a removed item's section as renamed), else the old file's; None at top level."""
    context_line: int = 0
    """1-based line of that section's heading, in the new file, or the old one when
    ``context_removed``."""
    context_removed: bool = False
    """Whether the section the change is listed under exists only in the old file."""

    @property
    def edited(self) -> bool:
        """Whether the text differs (a rewording, or a move that also edited the text)."""
        return bool(self.redline)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One change to the frontmatter, by key."""

    op: FieldOp
    """added, removed, changed (a value), or reworded (the description's prose)."""
    key: str
    """The frontmatter key, as written."""
    old: object
    """The old value (an example's text for part ``example``); None when added."""
    new: object
    """The new value (an example's text for part ``example``); None when removed."""
    old_line: int | None
    """1-based line of the key in the old file; None when added."""
    new_line: int | None
    """1-based line of the key in the new file; None when removed."""
    part: Literal["value", "text", "example"] = "value"
    """value: the whole value; text: the description without its examples; example: one
    ``<example>`` block of the description, compared as a member of a set."""
    similarity: float | None = None
    """For a reworded description, similarity of old and new text in [0, 1]."""
    redline: tuple[Segment, ...] = ()
    """For a reworded description, the word-level differences."""
    added_names: tuple[str, ...] = ()
    """For a set-valued key such as ``tools``, the names only the new value has."""
    removed_names: tuple[str, ...] = ()
    """For a set-valued key such as ``tools``, the names only the old value has."""
    widened: bool = False
    """Whether the change grants more tools than before (names added, or the list removed)."""
    details: tuple[str, ...] = ()
    """For nested values, one line per difference inside the value (from deepdiff)."""


@dataclass(frozen=True, slots=True)
class DiffSummary:
    """How many changes of each op a diff holds."""

    added: int
    """Items and sections only in the new file."""
    removed: int
    """Items and sections only in the old file."""
    reworded: int
    """Items reworded in place and sections renamed."""
    moved: int
    """Items and sections that changed place."""
    frontmatter: int
    """Frontmatter changes of any op."""


@dataclass(frozen=True, slots=True)
class DiffResult:
    """The semantic differences between two agents."""

    old_path: str
    """Path of the old file as given (``<stdin>`` for standard input)."""
    new_path: str
    """Path of the new file as given."""
    frontmatter: tuple[FieldChange, ...]
    """Frontmatter changes in key order (old file's order, then keys only the new file has)."""
    changes: tuple[Change, ...]
    """Body changes in the order of the new file, removals where they stood."""
    threshold: float = match.ITEM_CUTOFF
    """The item similarity cutoff the diff was made with."""
    warnings: tuple[Diagnostic, ...] = ()
    """What was worked around while reading the two sides (old side first)."""

    @property
    def identical(self) -> bool:
        """True exactly when there are no body changes and no frontmatter changes."""
        return not self.changes and not self.frontmatter

    @property
    def summary(self) -> DiffSummary:
        """Counts of changes by op, and of frontmatter changes."""
        ops = [c.op for c in self.changes]
        return DiffSummary(
            added=ops.count("added"),
            removed=ops.count("removed"),
            reworded=ops.count("reworded"),
            moved=ops.count("moved"),
            frontmatter=len(self.frontmatter),
        )


# --------------------------------------------------------------------------------------------
# The diff


def diff_agents(old: Agent, new: Agent, *, threshold: float | None = None) -> DiffResult:
    """Compare two agents and return their semantic differences.

    ``threshold`` is the least similarity (0 to 1) at which two items in paired sections are one
    reworded instruction; it defaults to ``match.ITEM_CUTOFF``.
    """
    cutoff = match.ITEM_CUTOFF if threshold is None else match.validate_cutoff(threshold)
    body = _BodyDiff(_Units(old.body), _Units(new.body), cutoff)
    return DiffResult(
        old_path=old.path,
        new_path=new.path,
        frontmatter=tuple(diff_frontmatter(old.fields, new.fields, new_exists=not _is_empty(new))),
        changes=body.changes(),
        threshold=cutoff,
        warnings=(*old.warnings, *new.warnings),
    )


@dataclass(frozen=True, slots=True)
class BodyPairing:
    """How the sections and items of two bodies pair, exactly as ``diff_agents`` pairs them."""

    old: _Units
    """The old body's sections and items, numbered in source order."""
    new: _Units
    """The new body's sections and items, numbered in source order."""
    sections: dict[int, int]
    """Old section number to new section number, one-to-one; the roots (0) always pair."""
    items: dict[int, int]
    """Old item number to new item number, one-to-one (nested items included)."""


def pair_bodies(old: Section, new: Section, *, threshold: float | None = None) -> BodyPairing:
    """Pair the sections and items of two bodies the way ``diff_agents`` does (``merge`` uses it)."""
    cutoff = match.ITEM_CUTOFF if threshold is None else match.validate_cutoff(threshold)
    body = _BodyDiff(_Units(old), _Units(new), cutoff)
    return BodyPairing(body.old, body.new, body.section_pair, body.item_pair)


def _is_empty(agent: Agent) -> bool:
    """Whether ``agent`` is no file at all: absent (``/dev/null``) or empty, without frontmatter."""
    return not agent.has_frontmatter and not agent.body.items and not agent.body.sections


def item_key(item: Item) -> str:
    """The form two items are compared in for exact pairing: formatting removed.

    Code keeps its lines (indentation is meaning there), trailing spaces aside; a task keeps
    its box, so ticking it is a change.
    """
    if item.kind == "code":
        lines = "\n".join(line.rstrip() for line in item.text.split("\n"))
        return f"```{item.info or ''}\n{lines}"
    text = normalize(item.text)
    if item.kind == "task":
        return f"[{'x' if item.checked else ' '}] {text}"
    return text


@dataclass(frozen=True, slots=True)
class _ItemUnit:
    item: Item
    section: int
    key: str


class _Units:
    """The sections and items of one body, numbered in source order."""

    def __init__(self, body: Section) -> None:
        self.sections: list[Section] = []
        self.parent: list[int] = []
        self.items: list[_ItemUnit] = []
        self._add(body, -1)
        self.subtree: list[set[int]] = [set() for _ in self.sections]
        for index in range(len(self.sections)):
            at = index
            while at >= 0:
                self.subtree[at].add(index)
                at = self.parent[at]
        self.items_of: list[list[int]] = [[] for _ in self.sections]
        for n, unit in enumerate(self.items):
            self.items_of[unit.section].append(n)

    def _add(self, section: Section, parent: int) -> None:
        index = len(self.sections)
        self.sections.append(section)
        self.parent.append(parent)
        for top in section.items:
            for item in top.walk():
                self.items.append(_ItemUnit(item, index, item_key(item)))
        for child in section.sections:
            self._add(child, index)

    def ancestors(self, index: int) -> Iterator[int]:
        """The section and its ancestors, up to (not including) the root."""
        while index > 0:
            yield index
            index = self.parent[index]

    def side(self, item: int) -> Side:
        """Where item number ``item`` stands."""
        unit = self.items[item]
        section = self.sections[unit.section]
        return Side(unit.item.line, unit.item.text, section.title, section.line, unit.item.checked)

    def section_side(self, index: int) -> Side:
        """Where section number ``index`` stands: its heading line and title, and its parent."""
        section = self.sections[index]
        parent = self.sections[self.parent[index]] if self.parent[index] >= 0 else section
        return Side(section.line, section.title or "", parent.title, parent.line)


SECTION_PAIR_LIMIT = 40_000
"""Most pairs of sections (old x new) weighed one by one for a rename, about 200 sections a side.

Beyond it (a file of thousands of repeated ``## Step`` headings), only sections that share
content are weighed, and sections that share none pair by equal title in order: the quadratic
weighing would take minutes and gigabytes, and such a file has no renames worth finding by
title alone. Real agent files have tens of sections.
"""


class _BodyDiff:
    """Pairs the sections and items of two bodies and lists the changes."""

    def __init__(self, old: _Units, new: _Units, cutoff: float) -> None:
        self.old = old
        self.new = new
        self.cutoff = cutoff
        self.section_pair = self._pair_sections()
        self.section_back = {n: o for o, n in self.section_pair.items()}
        self.item_pair, self.item_score = self._pair_items()

    def _place_old(self, section: int) -> int:
        """The new section standing for an old one: its partner, else its nearest paired ancestor's.

        A heading that was removed around its content does not make the content move.
        """
        while section not in self.section_pair:
            section = self.old.parent[section]
        return self.section_pair[section]

    def _place_new(self, section: int) -> int:
        """The new section itself when paired, else its nearest paired ancestor."""
        while section not in self.section_back:
            section = self.new.parent[section]
        return section

    # -- sections -----------------------------------------------------------------------------

    def _pair_sections(self) -> dict[int, int]:
        """Pair sections one-to-one by title and by how many of their items pair."""
        old, new = self.old, self.new
        pairs = {0: 0}
        if len(old.sections) == 1 or len(new.sections) == 1:
            return pairs
        votes: dict[tuple[int, int], int] = {}
        # Evidence of which sections hold the same content: items paired one-to-one, equal ones
        # first in order (a line repeated in many sections votes once per section), then
        # similar ones. One-to-one keeps the evidence the same whichever side is old.
        free_old = {n: u.key for n, u in enumerate(old.items)}
        free_new = {n: u.key for n, u in enumerate(new.items)}
        best = dict(match.pair_exact(free_old, free_new))
        for i, j in best.items():
            del free_old[i]
            del free_new[j]
        best.update((i, j) for i, j, _ in match.pair_fuzzy(free_old, free_new, self.cutoff))
        for i, j in best.items():
            for o in old.ancestors(old.items[i].section):
                for n in new.ancestors(new.items[j].section):
                    votes[o, n] = votes.get((o, n), 0) + 1
        sizes_old = [sum(len(old.items_of[s]) for s in old.subtree[o]) for o in range(len(old.sections))]
        sizes_new = [sum(len(new.items_of[s]) for s in new.subtree[n]) for n in range(len(new.sections))]
        every_pair = (len(old.sections) - 1) * (len(new.sections) - 1) <= SECTION_PAIR_LIMIT
        if every_pair:
            weighed = ((o, n) for o in range(1, len(old.sections)) for n in range(1, len(new.sections)))
        else:
            weighed = (pair for pair in sorted(votes) if 0 not in pair)
        candidates: list[tuple[float, int, int, int]] = []
        for o, n in weighed:
            title = match.title_similarity(old.sections[o].title, new.sections[n].title)
            total = sizes_old[o] + sizes_new[n]
            content = 2.0 * votes.get((o, n), 0) / total if total else 0.0
            if title < 1.0 and title < match.SECTION_TITLE_CUTOFF and content < match.SECTION_CONTENT_CUTOFF:
                continue
            # An unchanged title pairs first (content then tells repeated titles apart); else
            # content weighs as much as the title, since a renamed section keeps its items.
            score = title + content + (2.0 if title == 1.0 else 0.0)
            candidates.append((-score, abs(o - n), o, n))
        candidates.sort()
        taken_new: set[int] = set()
        for _, _, o, n in candidates:
            if o in pairs or n in taken_new:
                continue
            pairs[o] = n
            taken_new.add(n)
        if not every_pair:
            # Sections that share no content but keep their title pair in order, first with first.
            free_old = {
                o: match.title_key(section.title)
                for o, section in enumerate(old.sections)
                if o not in pairs and section.title is not None
            }
            free_new = {
                n: match.title_key(section.title)
                for n, section in enumerate(new.sections)
                if n not in taken_new and section.title is not None
            }
            pairs.update(match.pair_exact(free_old, free_new))
        return pairs

    # -- items --------------------------------------------------------------------------------

    def _pair_items(self) -> tuple[dict[int, int], dict[int, float]]:
        """Pair items one-to-one, each pass only among what the earlier ones left: equal text in
        paired sections, equal text anywhere, similar text in paired sections, similar text
        anywhere (near-verbatim across roles), then a lone item replaced in its place at a lower
        cutoff. Returns the pairs and their similarities."""
        old, new = self.old, self.new
        free_old = {n: u.key for n, u in enumerate(old.items)}
        free_new = {n: u.key for n, u in enumerate(new.items)}
        pairs: dict[int, int] = {}
        scores: dict[int, float] = {}

        def same_section(i: int, j: int) -> bool:
            return self.section_pair.get(old.items[i].section) == new.items[j].section

        def take(found: list[tuple[int, int, float]]) -> None:
            for i, j, score in found:
                pairs[i] = j
                scores[i] = score
                del free_old[i]
                del free_new[j]

        # Roles are read only for the items that reach the role-aware pass, so a diff without
        # moved edits never compiles the section-role patterns.
        old_role = functools.cache(functools.partial(_role, old))
        new_role = functools.cache(functools.partial(_role, new))

        def same_role(i: int, j: int) -> bool:
            # An edited line that crossed from, say, a checklist into the practices it checks
            # is a different instruction, not a moved one (docs/matching.md: roles do not merge).
            return roles_compatible(old_role(old.items[i].section), new_role(new.items[j].section))

        take([(i, j, 1.0) for i, j in match.pair_exact(free_old, free_new, same_section)])
        take([(i, j, 1.0) for i, j in match.pair_exact(free_old, free_new)])
        take(match.pair_fuzzy(free_old, free_new, self.cutoff, same_section))
        take(match.pair_fuzzy(free_old, free_new, max(self.cutoff, match.CROSS_ROLE_MOVE_CUTOFF)))
        take(match.pair_fuzzy(free_old, free_new, max(self.cutoff, match.MOVE_CUTOFF), same_role))
        in_place = max(0.0, self.cutoff - match.IN_PLACE_ALLOWANCE)
        for o, n in self.section_pair.items():
            # Only this section's own pairs can be its anchors; handing over every pair of the file
            # made a file of thousands of sections quadratic.
            own = {i: pairs[i] for i in old.items_of[o] if i in pairs}
            take(match.pair_in_place(old.items_of[o], new.items_of[n], own, free_old, free_new, in_place))
        return pairs, scores

    # -- changes ------------------------------------------------------------------------------

    def changes(self) -> tuple[Change, ...]:
        """Every change, listed section by section in new-file order, each section's changes by line.

        A removal is listed where it stood: under the new form of its section, or, when its
        section is gone, just after that section's nearest surviving predecessor.
        """
        anchor = self._anchors()
        found: list[tuple[tuple[float, int, float, int, int], Change]] = []
        for change in (*self._section_changes(), *self._item_changes()):
            group = float(change.context_line) if not change.context_removed else anchor(change.context_line)
            if change.new is not None:
                where = float(change.new.line)
            else:
                assert change.old is not None
                where = anchor(change.old.line)
            order = 0 if change.kind == "section" else 1
            key = (group, change.context_line, where, order, change.old.line if change.old else 0)
            found.append((key, change))
        found.sort(key=lambda entry: entry[0])
        return tuple(change for _, change in found)

    def _context(self, old_section: int | None, new_section: int | None) -> dict[str, object]:
        """The section a change is listed under: the new one when it exists, else the old one."""
        if new_section is None and old_section is not None:
            new_section = self.section_pair.get(old_section)
        if new_section is not None:
            section = self.new.sections[new_section]
            return {"context": section.title, "context_line": section.line, "context_removed": False}
        assert old_section is not None
        section = self.old.sections[old_section]
        return {"context": section.title, "context_line": section.line, "context_removed": True}

    def _anchors(self) -> _Anchor:
        """Where a removed node goes in new-file order: just after its nearest paired predecessor."""
        known: list[tuple[int, int]] = []
        for o, n in self.section_pair.items():
            if o:
                known.append((self.old.sections[o].line, self.new.sections[n].line))
        for i, j in self.item_pair.items():
            known.append((self.old.items[i].item.line, self.new.items[j].item.line))
        known.sort()
        return _Anchor(known)

    def _section_changes(self) -> Iterator[Change]:
        old, new = self.old, self.new
        moved = self._moved_sections()
        for o in range(len(old.sections)):
            if o == 0:
                continue
            n = self.section_pair.get(o)
            if n is None:
                yield Change("removed", "section", old.section_side(o), None, **self._context(o, None))  # type: ignore[arg-type]
                continue
            renamed = not self._same_title(o, n)
            if not renamed and o not in moved:
                continue
            old_side, new_side = old.section_side(o), new.section_side(n)
            yield Change(
                "moved" if o in moved else "reworded",
                "section",
                old_side,
                new_side,
                similarity=round(match.similarity(old_side.text, new_side.text), 3) if renamed else 1.0,
                redline=redline(old_side.text, new_side.text) if renamed else (),
                **self._context(o, n),  # type: ignore[arg-type]
            )
        for n in range(1, len(new.sections)):
            if n not in self.section_back:
                yield Change("added", "section", None, new.section_side(n), **self._context(None, n))  # type: ignore[arg-type]

    def _moved_sections(self) -> set[int]:
        """Old sections whose parent changed, or whose order among their siblings changed."""
        old, new = self.old, self.new
        moved: set[int] = set()
        siblings: dict[int, list[tuple[int, int]]] = {}
        for o, n in self.section_pair.items():
            if o == 0:
                continue
            if self._place_old(old.parent[o]) != self._place_new(new.parent[n]):
                moved.add(o)
            else:
                siblings.setdefault(self._place_old(old.parent[o]), []).append((o, n))
        for group in siblings.values():
            unchanged = {(o, n) for o, n in group if self._same_title(o, n)}
            kept = match.longest_common_order(group, unchanged)
            moved.update(o for o, n in group if (o, n) not in kept)
        return moved

    def _same_title(self, o: int, n: int) -> bool:
        return match.title_key(self.old.sections[o].title or "") == match.title_key(self.new.sections[n].title or "")

    def _item_changes(self) -> Iterator[Change]:
        old, new = self.old, self.new
        reordered = self._reordered_steps()
        for i, unit in enumerate(old.items):
            j = self.item_pair.get(i)
            if j is None:
                context = self._context(unit.section, None)
                yield Change("removed", "item", old.side(i), None, item_kind=unit.item.kind, **context)  # type: ignore[arg-type]
                continue
            other = new.items[j]
            same_place = self.section_pair.get(unit.section) == other.section
            edited = unit.key != other.key
            if same_place and not edited and i not in reordered:
                continue
            a, b = old.side(i), new.side(j)
            score = 1.0 if not edited else round(min(self.item_score[i], 0.999), 3)
            polarity: Literal["negated", "affirmed"] | None = None
            if edited and opposite_polarity(a.text, b.text):
                polarity = "negated" if negated(b.text) else "affirmed"
            yield Change(
                "reworded" if same_place and i not in reordered else "moved",
                "item",
                a,
                b,
                similarity=score,
                redline=redline(_plain_text(unit.item), _plain_text(other.item)) if edited else (),
                polarity=polarity,
                item_kind=other.item.kind,
                **self._context(unit.section, other.section),  # type: ignore[arg-type]
            )
        paired_new = set(self.item_pair.values())
        for j, unit in enumerate(new.items):
            if j not in paired_new:
                context = self._context(None, unit.section)
                yield Change("added", "item", None, new.side(j), item_kind=unit.item.kind, **context)  # type: ignore[arg-type]

    def _reordered_steps(self) -> set[int]:
        """Numbered steps that changed their order within a paired section."""
        old, new = self.old, self.new
        groups: dict[int, list[tuple[int, int]]] = {}
        for i, j in self.item_pair.items():
            a, b = old.items[i], new.items[j]
            same_place = self.section_pair.get(a.section) == b.section
            if a.item.kind == "ordered" and b.item.kind == "ordered" and same_place:
                groups.setdefault(a.section, []).append((i, j))
        moved: set[int] = set()
        for group in groups.values():
            unchanged = {(i, j) for i, j in group if old.items[i].key == new.items[j].key}
            kept = match.longest_common_order(group, unchanged)
            moved.update(i for i, j in group if (i, j) not in kept)
        return moved


def _role(units: _Units, section: int) -> str:
    """The role of a section: from its own title, else from the nearest ancestor that names one."""
    role = section_role(units.sections[section].title)
    while role == GENERAL_ROLE and units.parent[section] > 0:
        section = units.parent[section]
        role = section_role(units.sections[section].title)
    return role


class _Anchor:
    """Maps an old line to a position in the new file for ordering removals."""

    def __init__(self, known: list[tuple[int, int]]) -> None:
        self.known = known

    def __call__(self, old_line: int) -> float:
        import bisect

        at = bisect.bisect_left(self.known, (old_line, -1))
        return self.known[at - 1][1] + 0.5 if at else 0.5


def _plain_text(item: Item) -> str:
    if item.kind == "task":
        return f"[{'x' if item.checked else ' '}] {item.text}"
    return item.text


# --------------------------------------------------------------------------------------------
# Redline


def redline(old: str, new: str) -> tuple[Segment, ...]:
    """Word-level differences of two texts in normal form: runs to keep, delete and insert.

    Within a run of changes deletions come before insertions, and a space between two changed
    words joins them, so ``[-a b-]{+c d+}`` reads as one replacement rather than four.
    """
    a = _TOKEN_RE.findall(normalize(old))
    b = _TOKEN_RE.findall(normalize(new))
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    runs: list[tuple[str, str, str]] = []  # (tag, old text, new text)
    for n, (opcode, i1, i2, j1, j2) in enumerate(opcodes):
        tag: str = opcode
        old_text, new_text = "".join(a[i1:i2]), "".join(b[j1:j2])
        between = 0 < n < len(opcodes) - 1 and opcodes[n - 1][0] != "equal" and opcodes[n + 1][0] != "equal"
        if tag == "equal" and between and not old_text.strip():
            tag = "replace"
        runs.append((tag, old_text, new_text))
    segments: list[Segment] = []
    deleted, inserted = "", ""
    for tag, old_text, new_text in runs:
        if tag == "equal":
            segments.extend(_flush(deleted, inserted))
            deleted, inserted = "", ""
            segments.append(Segment("equal", old_text))
        else:
            deleted += old_text
            inserted += new_text
    segments.extend(_flush(deleted, inserted))
    return tuple(segments)


def _flush(deleted: str, inserted: str) -> list[Segment]:
    out: list[Segment] = []
    if deleted:
        out.append(Segment("delete", deleted))
    if inserted:
        out.append(Segment("insert", inserted))
    return out


# --------------------------------------------------------------------------------------------
# Frontmatter


def diff_frontmatter(
    old: tuple[Field, ...], new: tuple[Field, ...], *, new_exists: bool = True
) -> Iterator[FieldChange]:
    """Compare two frontmatters key by key.

    ``tools`` and other name lists compare as sets whether written as a comma string or a YAML
    list; the description compares as prose (examples aside) and its ``<example>`` blocks as a
    set; nested values that differ are described by deepdiff, loaded only then. A removed
    ``tools`` key widens access (the agent inherits every tool) unless ``new_exists`` is false:
    a deleted file is no agent, so it widens nothing.
    """
    before = {f.key: f for f in old}
    after = {f.key: f for f in new}
    if {k: f.value for k, f in before.items()} == {k: f.value for k, f in after.items()}:
        return
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        if b is None:
            assert a is not None
            yield FieldChange(
                "removed", key, a.value, None, a.line, None, widened=new_exists and key in PERMISSION_KEYS
            )
        elif a is None:
            yield FieldChange("added", key, None, b.value, None, b.line)
        elif key in SET_KEYS:
            yield from _set_change(a, b)
        elif key in PROSE_KEYS and isinstance(a.value, str) and isinstance(b.value, str):
            yield from _description_changes(a, b)
        elif not same_value(a.value, b.value):
            yield FieldChange("changed", key, a.value, b.value, a.line, b.line, details=_details(a.value, b.value))


def _set_change(a: Field, b: Field) -> Iterator[FieldChange]:
    was, now = frozenset(names(a.value)), frozenset(names(b.value))
    if was == now:
        return
    gained = tuple(sorted(now - was))
    yield FieldChange(
        "changed",
        a.key,
        a.value,
        b.value,
        a.line,
        b.line,
        added_names=gained,
        removed_names=tuple(sorted(was - now)),
        widened=a.key in PERMISSION_KEYS and bool(gained),
    )


def _description_changes(a: Field, b: Field) -> Iterator[FieldChange]:
    old_text, new_text = _prose(str(a.value)), _prose(str(b.value))
    if normalize(old_text) != normalize(new_text):
        yield FieldChange(
            "reworded",
            a.key,
            old_text,
            new_text,
            a.line,
            b.line,
            part="text",
            similarity=round(min(match.similarity(old_text, new_text), 0.999), 3),
            redline=redline(old_text, new_text),
        )
    was = {example_key(e): e for e in a.examples}
    now = {example_key(e): e for e in b.examples}
    for key, example in was.items():
        if key not in now:
            yield FieldChange("removed", a.key, example.text, None, a.line, None, part="example")
    for key, example in now.items():
        if key not in was:
            yield FieldChange("added", a.key, None, example.text, None, b.line, part="example")


def _prose(description: str) -> str:
    """The description's prose (``fields.description_prose``) on one line, as it is compared and shown."""
    return " ".join(description_prose(description).split())


def same_value(a: object, b: object) -> bool:
    """Whether two frontmatter values are equal, strings compared with their white space collapsed."""
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    return a == b


def _details(a: object, b: object) -> tuple[str, ...]:
    """One line per difference inside two nested values; empty for scalars."""
    if not isinstance(a, (dict, list)) or not isinstance(b, (dict, list)):
        return ()
    from deepdiff import DeepDiff

    report = DeepDiff(a, b, verbose_level=2).pretty()
    return tuple(line.strip() for line in str(report).splitlines() if line.strip())


# --------------------------------------------------------------------------------------------
# Fallback for inputs that are not agent files


@dataclass(frozen=True, slots=True)
class LineDiff:
    """A plain line diff of two files that cannot both be read as agent files."""

    old_path: str
    """The old side's name as given."""
    new_path: str
    """The new side's name as given."""
    identical: bool
    """Whether the two files have the same bytes."""
    lines: tuple[str, ...]
    """The unified diff's lines, or one ``Binary files ... differ`` line; empty when identical."""
    reason: str
    """Why there is no semantic diff: the problem of the side that is not an agent file."""


BINARY_SAMPLE = 8192
"""Leading bytes searched for a NUL byte, which makes a file binary for the line diff."""


def diff_bytes(
    old: bytes, new: bytes, old_path: str, new_path: str, *, threshold: float | None = None
) -> DiffResult | LineDiff:
    """Diff two files' bytes: semantically when both read as agent files, else line by line.

    A side that is not an agent file (binary, undecodable) is no error here: the answer is a
    LineDiff that says why, as ``git diff`` shows such files.
    """
    from agentmerge.errors import InputError
    from agentmerge.parse import parse_bytes

    try:
        agents = [parse_bytes(old, old_path), parse_bytes(new, new_path)]
    except InputError as error:
        return line_diff(old, new, old_path, new_path, reason=str(error))
    return diff_agents(agents[0], agents[1], threshold=threshold)


def line_diff(old: bytes, new: bytes, old_path: str, new_path: str, *, reason: str = "") -> LineDiff:
    """A plain unified line diff of two files (UTF-16 with a byte order mark decoded), or
    ``Binary files ... differ`` when either holds a NUL byte."""
    same = old == new
    data = (old, new)
    utf16 = [raw.startswith((b"\xff\xfe", b"\xfe\xff")) for raw in data]
    binary = any(b"\x00" in raw[:BINARY_SAMPLE] and not wide for raw, wide in zip(data, utf16, strict=True))
    lines: tuple[str, ...] = ()
    if not same and not binary:
        old_text, new_text = (
            raw.decode("utf-16" if wide else "utf-8", errors="replace").replace("\r\n", "\n")
            for raw, wide in zip(data, utf16, strict=True)
        )
        lines = tuple(
            line.rstrip("\n")
            for line in difflib.unified_diff(
                old_text.splitlines(), new_text.splitlines(), old_path, new_path, lineterm=""
            )
        )
    elif not same:
        lines = (f"Binary files {old_path} and {new_path} differ",)
    return LineDiff(old_path, new_path, same, lines, reason)
