"""How the sections and items of two bodies pair: the alignment ``diff`` reports and ``merge`` splices by.

Sections pair first (by title and by how much of their content pairs), then items: exactly inside
paired sections, exactly anywhere (moves), fuzzily inside paired sections (rewordings), fuzzily
anywhere at a stricter cutoff (moves with an edit), then a lone item replaced in its place.
Formatting never reaches the comparison: items are compared in their normal form (``item_key``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from agentmerge import match
from agentmerge.lexicon import GENERAL_ROLE, roles_compatible
from agentmerge.model import Diagnostic, Item, Section
from agentmerge.text import item_role, normalize, section_role, table_form, text_cache

if TYPE_CHECKING:
    from agentmerge.scorer import ItemView


def item_key(item: Item) -> str:
    """The form two items are compared in for exact pairing: formatting removed.

    Code keeps its lines (indentation is meaning there), trailing spaces aside; a task keeps
    its box, so ticking it is a change.
    """
    if item.kind == "code":
        lines = "\n".join(line.rstrip() for line in item.text.split("\n"))
        return f"```{item.info or ''}\n{lines}"
    if item.kind == "table":
        return normalize(table_form(item.text))
    text = normalize(item.text)
    if item.kind == "task":
        return f"[{'x' if item.checked else ' '}] {text}"
    return text


_MARKUP_CHARACTERS = frozenset("*_`~[<")
"""Characters without which an item's text holds no emphasis, code span, strikethrough or link."""


@functools.lru_cache(maxsize=1)
def _inline_parser() -> Any:
    """markdown-it's inline parser with strikethrough, made when an item first holds a mark."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("strikethrough")


@text_cache(4096)
def _markup_of(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for block in _inline_parser().parseInline(text):
        for token in block.children or ():
            if token.type in ("text", "html_inline"):
                continue
            if token.type == "code_inline":
                out.append(f"`{' '.join(token.content.split())}`")
            elif token.type == "link_open":
                out.append(f"[{token.attrGet('href')}")
            elif token.type.endswith(("_open", "_close")):
                out.append(token.type)
    return tuple(out)


_MEANING_MARKS = ("s_",)
"""The marks that change what a line says, not how it stands out: a struck-out rule (``~~Never
X~~`` reads as withdrawn). Where a link points is in the normal form already."""


def markup(item: Item, *, emphasis: bool = True) -> str:
    """What an item's Markdown marks besides its words, in a form its style does not change: where
    emphasis, strikethrough, code spans and links open and close, and the links' targets; without
    ``emphasis``, strikethrough alone (MEANING_MARKS). The normal form (``item_key``) leaves
    the marks out: ``diff`` reported a rule struck out as no change, and ``merge`` lost THEIRS'
    bold or code span whenever OURS changed anything. ``*x*`` and ``_x_``, or a rewrap, read
    the same; for ``diff`` bold and code spans are emphasis, as its formatting-only rewrites
    say (a plain word in backticks)."""
    if item.kind in ("code", "table", "html") or _MARKUP_CHARACTERS.isdisjoint(item.text):
        return ""
    if not emphasis and "~~" not in item.text:
        return ""  # no strikethrough without "~~": the text need not be parsed for marks
    found = _markup_of(item.text)
    if not emphasis:
        found = tuple(mark for mark in found if mark.startswith(_MEANING_MARKS))
    return " ".join(found)


class ItemUnit(NamedTuple):
    """One item of a body: the item, the number of its section, and its comparison key."""

    item: Item
    section: int
    key: str


class Units:
    """The sections and items of one body, numbered in source order."""

    def __init__(self, body: Section) -> None:
        self.sections: list[Section] = []
        self.parent: list[int] = []
        self.items: list[ItemUnit] = []
        self.item_parent: list[int] = []
        """For each item, the number of the item it is nested in; -1 for a section's own item."""
        self._add(body, -1)
        # Document order: every heading and item by its line (a heading before an item on the
        # same line), which is the order a reader meets them in.
        units = [(s.line, 0, n) for n, s in enumerate(self.sections) if n]
        units += [(u.item.line, 1, n) for n, u in enumerate(self.items)]
        units.sort()
        self.section_position: dict[int, int] = {}
        self.item_position: dict[int, int] = {}
        self.section_lines: dict[int, int] = {}
        self.item_lines: dict[int, int] = {}
        """How many lines of the file each unit stands for: from its first line to the next
        unit's (blank lines included), as difflib counts the lines a move takes along."""
        last = max((s.end_line for s in self.sections), default=0)
        for position, (line, kind, n) in enumerate(units):
            (self.section_position if kind == 0 else self.item_position)[n] = position
            following = units[position + 1][0] if position + 1 < len(units) else last + 1
            (self.section_lines if kind == 0 else self.item_lines)[n] = max(1, following - line)
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
            self._add_item(top, index, -1)
        for child in section.sections:
            self._add(child, index)

    def _add_item(self, item: Item, section: int, parent: int) -> None:
        # Depth first, as ``Item.walk`` goes: an item, then its children.
        number = len(self.items)
        self.items.append(ItemUnit(item, section, item_key(item)))
        self.item_parent.append(parent)
        for child in item.children:
            self._add_item(child, section, number)

    def ancestors(self, index: int) -> Iterator[int]:
        """The section and its ancestors, up to (not including) the root."""
        while index > 0:
            yield index
            index = self.parent[index]

    def titles(self, section: int) -> list[str | None]:
        """The titles of a section and its ancestors, innermost first (the root's None last)."""
        found: list[str | None] = []
        while section >= 0:
            found.append(self.sections[section].title)
            section = self.parent[section]
        return found


def walled(units: Units, unit: ItemUnit) -> bool:
    """Whether ``unit`` of ``units`` has a role whose words are not the instruction
    (``lexicon.WALLED_ROLES``: a pitfall, a checklist entry, a trigger, an example, a hand-off).
    Reading roles compiles their patterns, which a diff's or a merge's start-up does without: ask
    it of few items."""
    from agentmerge.lexicon import WALLED_ROLES

    return item_role(units.titles(unit.section), unit.item.kind, unit.item.text) in WALLED_ROLES


def item_view(units: Units, number: int, source: int) -> ItemView:
    """Item ``number`` of ``units`` as the pair score reads it (``scorer.ItemView``), from input
    ``source``: its words, kind, section title and role. Reading roles compiles their patterns,
    and the pair score loads its model: ask it of few items."""
    # Imported here: a diff or merge that never weighs a rewording by the pair score never loads it.
    from agentmerge.scorer import ItemView

    unit = units.items[number]
    titles = units.titles(unit.section)
    role = item_role(titles, unit.item.kind, unit.item.text)
    return ItemView(source, unit.item.text, unit.item.kind, titles[0], role)


def role_of(units: Units, section: int) -> str:
    """The role of section number ``section``: from its own title, else from the nearest ancestor that names one."""
    role = section_role(units.sections[section].title)
    while role == GENERAL_ROLE and units.parent[section] > 0:
        section = units.parent[section]
        role = section_role(units.sections[section].title)
    return role


SECTION_PAIR_LIMIT = 40_000
"""Most pairs of sections (old x new) weighed one by one for a rename, about 200 sections a side.

Beyond it (a file of thousands of repeated ``## Step`` headings), only sections that share
content are weighed, and sections that share none pair by equal title in order: the quadratic
weighing would take minutes and gigabytes, and such a file has no renames worth finding by
title alone. Real agent files have tens of sections.
"""


PARENT_TITLE_WEIGHT = 0.25
"""What a parent of the same title adds to a section pair's score: a tie-break between sections
of one title whose content votes tie (a title counts 1 and content up to 1), never more."""


class BodyPairing:
    """How the sections and items of two bodies pair, one-to-one, exactly as ``diff_agents`` pairs them."""

    def __init__(self, old: Section, new: Section, cutoff: float, budget: match.PairBudget | None = None) -> None:
        self.budget = budget
        """What ``match.pair_fuzzy`` may weigh in full, shared with other pairings (None: no bound
        beyond its own)."""
        self.old = Units(old)
        """The old body's sections and items, numbered in source order."""
        self.new = Units(new)
        """The new body's sections and items, numbered in source order."""
        self.cutoff = cutoff
        self.reworded = len(self.old.items) + len(self.new.items) <= match.MAX_ITEMS
        """Whether reworded items are looked for: not beyond ``match.MAX_ITEMS`` items on the two
        sides together, where only unchanged ones pair (``diff`` says so in a warning)."""
        self.sections = self._pair_sections()
        """Old section number to new section number; the roots (0) always pair."""
        self.items, self.item_scores = self._pair_items()
        """Old item number to new item number (nested items included), and each pair's similarity."""

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
        if self.reworded:
            best.update((i, j) for i, j, _ in match.pair_fuzzy(free_old, free_new, self.cutoff, budget=self.budget))
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
        up_old, up_new = _parent_titles(old), _parent_titles(new)
        candidates: list[tuple[float, int, int, int]] = []
        for o, n in weighed:
            title = match.title_similarity(old.sections[o].title, new.sections[n].title)
            total = sizes_old[o] + sizes_new[n]
            content = 2.0 * votes.get((o, n), 0) / total if total else 0.0
            if title < 1.0 and title < match.SECTION_TITLE_CUTOFF and content < match.SECTION_CONTENT_CUTOFF:
                continue
            # An unchanged title pairs first (content then tells repeated titles apart); else
            # content weighs as much as the title, since a renamed section keeps its items. Of
            # two subsections of one title ("### Examples" under "## Python" and under "## Go")
            # whose content ties (a bullet both hold votes for the first), the one under a parent
            # of the same title is the same one, whatever the order the parents now stand in.
            alike = PARENT_TITLE_WEIGHT if up_old[o] is not None and up_old[o] == up_new[n] else 0.0
            score = title + content + (2.0 if title == 1.0 else 0.0) + alike
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

        # Asked for every pair scored (hundreds of thousands for two files of thousands of lines).
        target = [self.sections.get(unit.section) for unit in old.items]
        home = [unit.section for unit in new.items]

        def same_section(i: int, j: int) -> bool:
            return target[i] == home[j]

        def take(found: list[tuple[int, int, float]]) -> None:
            for i, j, score in found:
                pairs[i] = j
                scores[i] = score
                del free_old[i]
                del free_new[j]

        # Roles are read only for the items that reach the role-aware pass, so a diff without
        # moved edits never compiles the section-role patterns.
        old_role = functools.cache(functools.partial(role_of, old))
        new_role = functools.cache(functools.partial(role_of, new))

        def same_kind(i: int, j: int) -> bool:
            return old.items[i].item.kind == new.items[j].item.kind

        def same_role(i: int, j: int) -> bool:
            # An edited line that crossed from, say, a checklist into the practices it checks
            # is a different instruction, not a moved one (docs/matching.md: roles do not merge).
            return roles_compatible(old_role(old.items[i].section), new_role(new.items[j].section))

        take([(i, j, 1.0) for i, j in match.pair_exact(free_old, free_new, same_section)])
        take([(i, j, 1.0) for i, j in match.pair_exact(free_old, free_new)])
        if not self.reworded:
            return pairs, scores
        # Where every free item stands in one section pair the predicate holds for every pair: it is
        # not asked (hundreds of thousands of calls for two lists of thousands of bullets).
        within = same_section if _across(free_old, free_new, target, home) else None
        take(match.pair_fuzzy(free_old, free_new, self.cutoff, within, self.budget))
        # An item that only gained or lost a clause stays in its section, however much shorter
        # the old text is: pair it there before any look across sections (where a bullet that
        # grew once paired with a different one far away).
        for o, n in self.sections.items():
            gone = {i: free_old[i] for i in old.items_of[o] if i in free_old}
            came = {j: free_new[j] for j in new.items_of[n] if j in free_new}
            if gone and came and len(gone) * len(came) <= match.CONTAINMENT_PAIR_LIMIT:
                # A bullet that grew stays a bullet; bullets written into a paragraph are a list
                # turned into prose (``_within``), not one of them reworded.
                take(match.pair_contained(gone, came, allowed=same_kind))
        # The passes across sections: skipped when every free item on both sides stands in one
        # section pair (a file without headings), where they could only weigh again what the
        # passes above weighed and left (two lists of thousands of bullets: a fifth of the diff).
        if _across(free_old, free_new, target, home):
            across = max(self.cutoff, match.CROSS_ROLE_MOVE_CUTOFF)
            take(match.pair_fuzzy(free_old, free_new, across, None, self.budget))
            take(match.pair_fuzzy(free_old, free_new, max(self.cutoff, match.MOVE_CUTOFF), same_role, self.budget))
        in_place = max(0.0, self.cutoff - match.IN_PLACE_ALLOWANCE)
        for o, n in self.sections.items():
            # Only this section's own pairs can be its anchors; handing over every pair of the file
            # made a file of thousands of sections quadratic.
            own = {i: pairs[i] for i in old.items_of[o] if i in pairs}
            take(
                match.pair_in_place(old.items_of[o], new.items_of[n], own, free_old, free_new, in_place, self._restated)
            )
        return pairs, scores

    def _restated(self, i: int, j: int) -> bool:
        """Whether new item ``j``, put in old item ``i``'s place, gives its instruction in other
        words: the pair score ``consolidate`` matches by (``scorer.restates``)."""
        # Imported here: a diff whose replacements keep enough of their wording never loads the model.
        from agentmerge.scorer import restates

        return restates(item_view(self.old, i, 0), item_view(self.new, j, 1))


def _parent_titles(units: Units) -> list[str | None]:
    """For each section, the title (``match.title_key``) of the section it stands in; None for
    the root and the sections directly in it."""
    keys = [match.title_key(section.title or "") for section in units.sections]
    return [keys[up] if up > 0 else None for up in units.parent]


def _across(
    free_old: Iterable[int], free_new: Iterable[int], target: Sequence[int | None], home: Sequence[int]
) -> bool:
    """Whether a free old item and a free new item stand in sections that do not pair (``target``:
    the new section each old item's section pairs with; ``home``: each new item's section)."""
    homes = {home[j] for j in free_new}
    if not homes:
        return False
    return len(homes) > 1 or any(target[i] not in homes for i in free_old)


def rewordings_unpaired(pairing: BodyPairing, path: str, other: str) -> tuple[Diagnostic, ...]:
    """A warning naming ``path`` (paired against ``other``) when ``pairing`` looked for no
    reworded items (``BodyPairing.reworded``); else none."""
    if pairing.reworded:
        return ()
    count = len(pairing.old.items) + len(pairing.new.items)
    message = (
        f"holds, with {other}, {count:,} instructions, more than the {match.MAX_ITEMS:,} among which "
        "reworded ones are looked for: only unchanged instructions are paired; every other one "
        "shows as removed and added"
    )
    return (Diagnostic(path, 0, message, "too-many-items"),)


def pair_bodies(old: Section, new: Section, *, threshold: float | None = None) -> BodyPairing:
    """Pair the sections and items of two bodies; ``threshold`` as ``diff_agents`` takes it."""
    cutoff = match.ITEM_CUTOFF if threshold is None else match.validate_cutoff(threshold)
    return BodyPairing(old, new, cutoff)
