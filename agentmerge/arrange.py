"""Build the merged body from clusters: where each merged unit goes and in what order.

Consolidation's second half. ``consolidate`` flattens the inputs (``Inputs``), aligns their
sections into groups and clusters their items; ``arrange`` turns that into the merged section
tree: each cluster keeps one wording (``choose_wording``), goes to the section holding most of
its members, nests under the cluster most of its members were nested under, and takes its place
by the order the inputs agree on (``consensus_order``). The result keeps to what the writer can
express (``readable_order``); line numbers are synthetic, LINE_STEP apart.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from agentmerge.cluster import ItemCluster
from agentmerge.lexicon import DISTINCT_ROLES, ROOT_ROLE
from agentmerge.model import Agent, Item, Section
from agentmerge.scorer import title_terms
from agentmerge.text import label_only, normalize, section_role, step_number

_Key = TypeVar("_Key", int, str)

ORDER_PAIR_BUDGET = 200_000
"""Most ordered pairs the consensus order of one section counts (see ``consensus_order``)."""

LINE_STEP = 10
"""Gap between the synthetic line numbers of the merged model's nodes (room for annotations)."""

# --------------------------------------------------------------------------------------------
# The merged body


@dataclass(frozen=True, slots=True)
class Source:
    """One input item (or frontmatter field) folded into a merged unit."""

    path: str
    """The input's path as given."""
    line: int
    """1-based line of the item (or key) in that input, frontmatter included."""
    text: str
    """The item's Markdown text as written there (a field: its value as text)."""
    similarity: float
    """Similarity of this wording to the kept one, 0 to 1 (1.0 for the kept wording itself)."""


@dataclass(frozen=True, slots=True)
class SectionSource:
    """One input heading or pseudo-heading folded into a merged section."""

    path: str
    """The input's path as given."""
    line: int
    """1-based line of the heading in that input."""
    title: str
    """The heading's title as written there."""


@dataclass(frozen=True, slots=True)
class MergedItem:
    """One instruction of the merged agent and the input items it stands for."""

    item: Item
    """The item as written to the output, children included (synthetic line numbers)."""
    support: int
    """How many inputs carry this instruction."""
    sources: tuple[Source, ...]
    """Every input item folded into this one, kept wording first, then in input order."""
    children: tuple[MergedItem, ...] = ()
    """The merged nested items, in output order (``item.children`` holds their items)."""


@dataclass(frozen=True, slots=True)
class MergedSection:
    """One section of the merged agent and the input headings it stands for."""

    section: Section
    """The section as written to the output, content included (synthetic line numbers)."""
    role: str
    """The role read from its titles (``lexicon.SECTION_ROLES``), e.g. responsibilities, pitfalls."""
    sources: tuple[SectionSource, ...]
    """Every input heading folded into this section, in input order (empty for a root without)."""
    items: tuple[MergedItem, ...] = ()
    """Its merged items in output order."""
    sections: tuple[MergedSection, ...] = ()
    """Its merged subsections in output order."""
    wrapped: bool = False
    """Whether its content sits in one section inside it (``section.sections[0]``): for the root,
    a document title (a ``#`` heading holding the whole body); for a heading, its subtitle (a
    pseudo-heading holding its items, ``subtitle``)."""
    outside: int = 0
    """How many of ``items``, the first, stand before its subtitle, in the heading's own section:
    items of inputs whose section had no such subtitle, which it would otherwise scope
    ("**Every change must include:**" over another input's list of deliverables)."""
    beside: bool = False
    """Whether its subsections stand beside its subtitle, after it in the heading's section,
    rather than in it (a subtitle over a list, then a ``###`` heading)."""

    @property
    def content(self) -> Section:
        """The section that holds ``items`` and ``sections`` (the document title or the subtitle
        when wrapped)."""
        return self.section.sections[0] if self.wrapped else self.section


# --------------------------------------------------------------------------------------------
# The inputs, flattened


@dataclass(slots=True)
class InputSection:
    """One input section while clustering: where it sits and what it holds."""

    source: int
    """Index of its input in canonical order."""
    section: Section | None
    """The parsed section; None for the root (whose content is ``children``)."""
    parent: int
    """Index of the enclosing InputSection; -1 for the root."""
    role: str
    """Its role (``text.section_role``)."""
    children: list[Item | Section]
    """Its items and subsections in source order (for a root under a document title: the title's)."""
    headings: list[Section]
    """The headings it accounts for in provenance: itself (and its subtitle), or a root's
    document title."""
    group: int = 0
    """The aligned section it belongs to; 0 is the roots' group, -1 until aligned."""
    subtitle: Section | None = None
    """The pseudo-heading that opens it and holds its list (``subtitle``): one section with it."""

    def under_subtitle(self, line: int) -> bool:
        """Whether its item at ``line`` sits under its subtitle (not after the subtitle's list)."""
        return self.subtitle is not None and self.subtitle.line <= line <= self.subtitle.end_line

    def over(self, line: int) -> list[Section | None]:
        """The sections over its item at ``line``, innermost first: the subtitle when the item
        sits under it, then itself (None for a root)."""
        if self.section is None:
            return [None]
        return [self.subtitle, self.section] if self.under_subtitle(line) else [self.section]


@dataclass(slots=True)
class _Draft:
    """A merged section while it is built, before lines are given out."""

    title: str | None
    """The chosen title; None for the root without a document title."""
    kind: str
    """root, heading or pseudo."""
    level: int
    """Heading level as written (pseudo-headings: parent level + 1)."""
    role: str
    """The role of its member sections."""
    sources: tuple[SectionSource, ...]
    """Every input heading folded into it."""
    children: list[MergedItem | _Draft] = field(default_factory=list)
    """Merged items and subsections in output order."""
    subtitle: str | None = None
    """The subtitle written under the title, holding the content (``subtitle``); None for none."""
    subtitle_paths: frozenset[str] = frozenset()
    """The inputs whose section had that subtitle: their items stand under it, the others' before
    it."""


@dataclass(slots=True)
class InputItem:
    """One input item while clustering, nested items included."""

    source: int
    """Index of its input in canonical order."""
    item: Item
    """The parsed item, children included."""
    home: int
    """Index of its InputSection."""
    position: float
    """Its place among its siblings (in its section, or under its parent item), 0 (first) to 1 (last)."""
    parent: int = -1
    """Index of the InputItem it is nested under; -1 for an item directly in its section."""


@dataclass(slots=True)
class Inputs:
    """Every input's sections (roots first) and items (nested ones after their parent), in input
    order, as the clustering and the arrangement address them: by index."""

    paths: list[str]
    """The inputs' paths in canonical order."""
    sections: list[InputSection] = field(default_factory=list)
    """Every input section; each input's root comes first."""
    items: list[InputItem] = field(default_factory=list)
    """Every input item, each followed by the items nested under it."""
    nested: list[list[int]] = field(default_factory=list)
    """For each item, the items nested directly under it."""
    section_of: dict[tuple[int, int], int] = field(default_factory=dict)
    """Index of a section by (input, line of its heading)."""
    item_index: dict[tuple[int, int], int] = field(default_factory=dict)
    """Index of an item by (input, line)."""


def flatten(agents: Sequence[Agent]) -> Inputs:
    """Collect every input's sections (roots first) and items, in input order."""
    inputs = Inputs([a.path for a in agents])
    for source, agent in enumerate(agents):
        root = agent.body
        headings: list[Section] = []
        children: list[Item | Section] = [*root.items, *root.sections]
        title = document_title(root)
        if title is not None:
            headings.append(title)
            children = [*title.items, *title.sections]
        children.sort(key=lambda node: node.line)
        index = len(inputs.sections)
        inputs.sections.append(InputSection(source, None, -1, ROOT_ROLE, children, headings, group=0))
        _walk(inputs, source, index, children)
    # An item with no text of its own shares its line with its first child (``- 1. step``,
    # ``- > quote``): the line names the outer item, which comes first.
    for n, entry in enumerate(inputs.items):
        inputs.item_index.setdefault((entry.source, entry.item.line), n)
    return inputs


def wordless(item: Item) -> bool:
    """Whether ``item`` has no text of its own, only what it holds (``- 1. step``, ``- > quote``):
    its first child says what it says, so the two are one unit to match and to write."""
    return not item.text.strip() and bool(item.children)


def _walk(inputs: Inputs, source: int, index: int, children: list[Item | Section]) -> None:
    entries = [c for c in children if isinstance(c, Item)]
    _add_items(inputs, source, index, entries, -1)
    for child in children:
        if isinstance(child, Section):
            below = subtitle(child)
            heads = [child] if below is None else [child, below]
            # A subtitle holds the heading's list; the heading's own items follow that list.
            nested: list[Item | Section] = (
                [*child.items, *child.sections] if below is None else [*below.items, *below.sections, *child.items]
            )
            nested.sort(key=lambda node: node.line)
            sub = len(inputs.sections)
            for head in heads:
                inputs.section_of[(source, head.line)] = sub
            role = _section_role(child)
            if below is not None and role not in DISTINCT_ROLES and _section_role(below) in DISTINCT_ROLES:
                # As its items take the nearest distinct role: the subtitle's, when it names one.
                role = _section_role(below)
            inputs.sections.append(InputSection(source, child, index, role, nested, heads, group=-1, subtitle=below))
            _walk(inputs, source, sub, nested)


def subtitle(section: Section) -> Section | None:
    """The pseudo-heading that is a heading's subtitle: its first content, and its only
    subsection ("### Caching" then "**Keeping hot reads fast:**" over the list).
    The two lines name one section; merged, it keeps both and is aligned and titled as one."""
    if section.kind != "heading" or len(section.sections) != 1:
        return None
    below = section.sections[0]
    if below.kind != "pseudo" or any(item.line < below.line for item in section.items):
        return None
    return below


def _section_role(section: Section) -> str:
    """A section's role: its title's (``text.section_role``), or, for a title that names no
    distinct role over a list of task boxes only, a checklist ("## Before approving" over
    ``- [ ]`` items is the input's checklist, as its items are checklist gates)."""
    role = section_role(section.title)
    if role not in DISTINCT_ROLES and section.items and all(item.kind == "task" for item in section.items):
        return "gates"
    return role


def _add_items(inputs: Inputs, source: int, home: int, entries: Sequence[Item], parent: int) -> None:
    """Add items and, after each, everything nested under it: a nested item is matched
    against every input's items like any other, not only inside its parent's cluster."""
    for n, entry in enumerate(entries):
        position = n / (len(entries) - 1) if len(entries) > 1 else 0.0
        index = len(inputs.items)
        inputs.items.append(InputItem(source, entry, home, position, parent))
        inputs.nested.append([])
        if parent >= 0:
            inputs.nested[parent].append(index)
        _add_items(inputs, source, home, entry.children, index)


def document_title(root: Section) -> Section | None:
    """The single ``#`` heading that opens a body and holds all of it, if there is one."""
    if root.items or len(root.sections) != 1:
        return None
    only = root.sections[0]
    if only.kind == "heading" and only.level == 1:
        return only
    return None


# --------------------------------------------------------------------------------------------
# Arranging


def arrange(
    inputs: Inputs,
    clusters: Sequence[ItemCluster],
    *,
    groups: int,
    preferred: int = -1,
    opening: frozenset[int] = frozenset(),
) -> MergedSection:
    """The merged root section holding every cluster, in the order and places the inputs agree on.

    ``clusters`` hold item indices of ``inputs`` and the kept wording of each; ``groups`` is how
    many aligned section groups ``inputs.sections`` were given (group 0 holds the roots);
    ``preferred`` is the index of an input whose titles win. A cluster holding an item of
    ``opening`` (the inputs' "You are ..." paragraphs) opens the root, before what other inputs
    say there (a Cursor rule's paragraphs before the merged agent says who it is).
    """
    return _Arranger(inputs, clusters, groups, preferred, opening).build()


class _Arranger:
    """One arrangement's working state: where each group and cluster goes."""

    def __init__(
        self, inputs: Inputs, found: Sequence[ItemCluster], groups: int, preferred: int, opening: frozenset[int]
    ) -> None:
        self.paths = inputs.paths
        self.opening = opening
        self.sections = inputs.sections
        self.items = inputs.items
        self.nested = inputs.nested
        self.item_index = inputs.item_index
        self.section_of = inputs.section_of
        self.group_count = groups
        self.preferred = preferred
        self.found = list(found)
        self.clusters = [list(c.members) for c in found]
        clusters = self.clusters
        self.line = 0
        self.parent = self._group_parents()
        # Each item cluster: its kept wording and its home group.
        self.cluster_of = {i: number for number, cluster in enumerate(clusters) for i in cluster}
        self.under = self._nesting(clusters)
        self.children_of: dict[int, list[int]] = {}
        for number, above in enumerate(self.under):
            if above >= 0:
                self.children_of.setdefault(above, []).append(number)
        self.kept, self.home = self._homes()
        self.target = self._fold_empty_groups()
        self.doc_title = self._document_title()
        # Under a document title the inputs' sections start a level down; they keep that level
        # when the title is left out, so the merged headings read as the inputs wrote them.
        self.titled = any(e.section is None and e.headings for e in self.sections)
        # Who belongs where, listed once: looking it up by scanning every section for every group
        # made a file of thousands of sections quadratic. Lists keep the order of the scans.
        self.own: dict[int, list[InputSection]] = {}
        self.folded: dict[int, list[InputSection]] = {}
        for entry in self.sections:
            self.own.setdefault(entry.group, []).append(entry)
            if entry.group != 0:
                resolved = self._resolve(entry.group)
                if resolved != entry.group:
                    self.folded.setdefault(resolved, []).append(entry)
        self.child_groups: dict[int, list[int]] = {}
        for g in range(1, self.group_count):
            if self.target[g] == g:
                self.child_groups.setdefault(self.parent[g], []).append(g)
        self.clusters_at: dict[int, list[int]] = {}
        for n, h in enumerate(self.home):
            self.clusters_at.setdefault(h, []).append(n)

    def build(self) -> MergedSection:
        return self._freeze(self._merged_section(0, parent_level=0))

    def _next_line(self) -> int:
        self.line += LINE_STEP
        return self.line

    def _group_parents(self) -> list[int]:
        """For each group, the group its sections sit in by plurality; a cycle falls back to the root."""
        groups = self.group_count
        members: list[list[int]] = [[] for _ in range(groups)]
        for index, entry in enumerate(self.sections):
            members[entry.group].append(index)
        parent = [0] * groups
        for group in range(1, groups):
            votes = Counter(self.sections[self.sections[m].parent].group for m in members[group])
            parent[group] = _plurality(votes, self.sections[self.sections[members[group][0]].parent].group)
        for group in range(1, groups):
            seen = {group}
            walk = parent[group]
            while walk != 0:
                if walk in seen:
                    parent[group] = 0
                    break
                seen.add(walk)
                walk = parent[walk]
        return parent

    def _homes(self) -> tuple[list[int], list[int]]:
        """For each cluster, the index of its kept wording and the group it goes to (-1 when it
        is nested under another cluster, which decides where it goes)."""
        home: list[int] = []
        kept: list[int] = []
        for number, cluster in enumerate(self.clusters):
            kept.append(self.found[number].kept)
            votes = Counter(self.sections[self.items[i].home].group for i in cluster)
            home.append(
                -1 if self.under[number] >= 0 else _plurality(votes, self.sections[self.items[kept[-1]].home].group)
            )
        return kept, home

    def _fold_empty_groups(self) -> list[int]:
        """For each group, the group it is written as: itself, or, when it is left with no content
        though it held some in an input, the group most of its items went to (or its parent)."""
        groups, parent, home = self.group_count, self.parent, self.home
        top = list(range(len(self.clusters)))
        for number in top:
            while self.under[top[number]] >= 0:
                top[number] = self.under[top[number]]
        content = [0] * groups
        for group in home:
            if group >= 0:
                content[group] += 1
        target = list(range(groups))
        depth = [0] * groups
        for group in range(groups):
            walk = group
            while walk != 0:
                depth[group] += 1
                walk = parent[walk]
        went_to: list[Counter[int]] = [Counter() for _ in range(groups)]
        for index, in_item in enumerate(self.items):
            went_to[self.sections[in_item.home].group][home[top[self.cluster_of[index]]]] += 1
        held = [False] * groups  # whether a section of the group held anything in its input
        for entry in self.sections:
            held[entry.group] = held[entry.group] or bool(entry.children)
        for group in sorted(range(1, groups), key=lambda g: -depth[g]):
            went = went_to[group]
            went.pop(group, None)
            # A group whose items went somewhere held them, so ``held`` says all there is to know.
            if content[group] or not held[group]:
                # Kept: it has content, or it was empty in the inputs too.
                content[parent[group]] += 1
                continue
            target[group] = _plurality(went, parent[group])
            # What a folded subsection held was its parent's content too: a heading whose only
            # content was a label over items that went elsewhere is left with nothing either.
            went_to[parent[group]].update(went)
        return target

    def _nesting(self, clusters: list[list[int]]) -> list[int]:
        """For each cluster, the cluster it is nested under, or -1 for one that sits in a section.

        A cluster is nested where its kept wording was: under the cluster of the item that wording
        was nested in (past items of its own cluster), or in a section. The wording was written
        in that place and may lean on it (a step of one input's numbered procedure stays in the
        procedure, though other inputs list it at the top). A cluster never ends up under itself
        or under one of its own descendants.
        """
        under: list[int] = []
        for number in range(len(clusters)):
            parent = self.items[self.found[number].kept].parent
            while parent >= 0 and self.cluster_of[parent] == number:
                parent = self.items[parent].parent
            under.append(self.cluster_of[parent] if parent >= 0 else -1)
        # A bare label ("**Automation:**") means only what it holds: nested items that would go to
        # a section stay under it (otherwise it could stand empty, or half its list).
        for number, cluster in enumerate(clusters):
            if not label_only(self.items[cluster[0]].item.text):
                continue
            for i in cluster:
                for child in self.nested[i]:
                    moved = self.cluster_of[child]
                    if moved != number and under[moved] < 0:
                        under[moved] = number
        for number in range(len(clusters)):
            seen = {number}
            walk = under[number]
            while walk >= 0:
                if walk in seen:
                    under[number] = -1
                    break
                seen.add(walk)
                walk = under[walk]
        return under

    def _freeze(self, draft: _Draft) -> MergedSection:
        """Give every node its synthetic line, in output order, and build the final section."""
        line = self._next_line()
        items: list[MergedItem] = []
        sections: list[MergedSection] = []
        outside = 0
        if draft.subtitle is not None:
            # The subtitle scopes its own inputs' items: the others' stand before it, and
            # subsections after its list.
            def scoped(child: MergedItem | _Draft) -> bool:
                return isinstance(child, MergedItem) and any(s.path in draft.subtitle_paths for s in child.sources)

            # A subtitle with nothing under it in its input is written all the same, after the
            # other inputs' items: its words are the input's.
            under = [c for c in draft.children if scoped(c)]
            before = [c for c in draft.children if isinstance(c, MergedItem) and not scoped(c)]
            outside = len(before)
            draft.children = before + under + [c for c in draft.children if isinstance(c, _Draft)]
        for child in draft.children:
            if isinstance(child, _Draft):
                sections.append(self._freeze(child))
            else:
                items.append(self._number(child))
        section = Section(
            title=draft.title,
            level=draft.level,
            line=line,
            end_line=self.line,
            kind=draft.kind,  # type: ignore[arg-type]
            items=tuple(m.item for m in items),
            sections=tuple(s.section for s in sections),
        )
        wrapped = draft.kind == "root" and draft.title is not None
        if wrapped:
            # The document title heads the file and holds everything, as in the inputs that had one.
            title = replace(section, kind="heading", level=1, line=line + 1)
            section = Section(title=None, level=0, line=line, end_line=self.line, kind="root", sections=(title,))
        elif draft.subtitle is not None:
            # The subtitle holds its inputs' items, as in the input it came from; other inputs'
            # items stand before it (``outside``), subsections after its list (``beside``).
            if outside < len(items):
                first = items[outside].item.line - 1 if outside else line + 1
            else:
                first = items[-1].item.end_line + 1 if items else line + 1
            below = replace(
                section,
                title=draft.subtitle,
                kind="pseudo",
                level=draft.level + 1,
                line=first,
                items=section.items[outside:],
                sections=(),
            )
            section = replace(section, items=section.items[:outside], sections=(below, *section.sections))
            wrapped = True
        beside = wrapped and draft.kind != "root" and bool(sections)
        return MergedSection(
            section, draft.role, draft.sources, tuple(items), tuple(sections), wrapped, outside, beside
        )

    def _number(self, merged: MergedItem) -> MergedItem:
        line = self._next_line()
        children = tuple(self._number(c) for c in merged.children)
        item = replace(merged.item, line=line, end_line=self.line, children=tuple(c.item for c in children))
        return replace(merged, item=item, children=children)

    def _resolve(self, group: int) -> int:
        while self.target[group] != group:
            group = self.target[group]
        return group

    def _document_title(self) -> str | None:
        """The title most inputs that open with one share, when at least half the inputs open with
        one, and when some do not, more than half of those that do share it. A title one input in
        five gives names that input (a message-queue server builder's title over five Java
        experts), not the merged agent, as does one of two different titles of four inputs
        ("Debugger", "Debug Mode Instructions"); unwritten, it is still the root's source."""
        roots = [e for e in self.sections if e.section is None]
        titles = [e.headings[0].title or "" for e in roots if e.headings]
        if not titles or 2 * len(titles) < len(roots):
            return None
        counts = Counter(titles)
        chosen = _plurality(counts, titles[0])
        return chosen if len(titles) == len(roots) or 2 * counts[chosen] > len(titles) else None

    def _merged_section(self, group: int, parent_level: int, ceiling: int = 6) -> _Draft:
        """Build the merged section of ``group`` under a parent at ``parent_level``.

        A heading takes the level most of its members have, kept deeper than its parent and no
        deeper than the heading before it (``ceiling``): a deeper heading after a sibling would
        read back as that sibling's subsection.
        """
        own = self.own.get(group, [])
        folded = self.folded.get(group, [])
        headings = sorted(
            ((e.source, h) for e in own + folded for h in e.headings), key=lambda pair: (pair[0], pair[1].line)
        )
        sources = tuple(SectionSource(self.paths[s], h.line, h.title or "") for s, h in headings)
        child_groups = self.child_groups.get(group, [])
        item_clusters = self.clusters_at.get(group, [])
        order = self._order(group, own, item_clusters, child_groups)
        style = self._list_style(item_clusters, own)
        if style == MIXED_LISTS:
            order, style = self._lists_by_kind(order), None
        title: str | None
        if group == 0:
            title, kind, level, role = self.doc_title, "root", 0, ROOT_ROLE
            inner = 1 if self.titled else 0
        else:
            heads = [e.section for e in own if e.section is not None]
            title = self._section_title(heads, [e.source for e in own])
            role = own[0].role
            kind = "pseudo" if all(s.kind == "pseudo" for s in heads) else "heading"
            # A label over subsections exists only as a numbered label item; one that gains
            # subsections by merging, or a paragraph after its list, becomes a heading.
            gained = bool(child_groups) and not any(s.sections for s in heads)
            if kind == "pseudo" and (gained or self._breaks_pseudo(order, style)):
                kind = "heading"
            if kind == "heading":
                levels = Counter(s.level for s in heads if s.kind == "heading")
                wanted = min(levels, key=lambda n: (-levels[n], n)) if levels else parent_level + 1
                level = min(6, max(parent_level + 1, min(wanted, ceiling)))
            else:
                level = parent_level + 1
            inner = level
        subtitle, subtitle_paths = self._subtitle(own, title) if group else (None, frozenset[str]())
        draft = _Draft(title, kind, level, role, sources, subtitle=subtitle, subtitle_paths=subtitle_paths)
        seen_heading = False
        ceiling = 6
        for key in order:
            if key[0] == "item":
                draft.children.append(self._merged_item(self.clusters[key[1]], key[1], style))
                continue
            child = self._merged_section(key[1], inner, ceiling)
            if child.kind == "pseudo" and seen_heading:
                # A label after a heading would read back as part of that heading's section.
                child.kind, child.level = "heading", min(6, inner + 1)
            if child.kind == "heading":
                seen_heading = True
                ceiling = child.level
            draft.children.append(child)
        members = [i for n in item_clusters for i in self.clusters[n]]
        inputs = {e.source for e in own} | {self.items[i].source for i in members}
        moved_in = any(self.sections[self.items[i].home].group != group for i in members)
        if len(inputs) > 1 or moved_in:
            # One input's own order already reads back as it is; a merged order may not.
            draft.children = readable_order(draft.children)
        _number_steps(draft)
        return draft

    def _subtitle(self, own: list[InputSection], title: str | None) -> tuple[str | None, frozenset[str]]:
        """The subtitle written under the merged section's ``title``: that of the member the title
        comes from, else the first member's that has one (the preferred input's first); None when
        no member has one. With it, the paths of the inputs whose member has that subtitle."""
        found = [
            ((e.section is None or e.section.title != title, e.source != self.preferred, e.source), e.subtitle.title)
            for e in own
            if e.subtitle is not None
        ]
        if not found:
            return None, frozenset()
        chosen = min(found)[1]
        paths = frozenset(self.paths[e.source] for e in own if e.subtitle is not None and e.subtitle.title == chosen)
        return chosen, paths

    def _breaks_pseudo(self, order: list[tuple[str, int]], style: str | None) -> bool:
        """Whether a pseudo-section's content would not read back under its label: a paragraph
        after a list ends a pseudo-section when the file is parsed again."""
        had_list = False
        for key in order:
            if key[0] != "item":
                continue
            kind = self._written_kind(key[1], style)
            if kind in ("bullet", "ordered", "task"):
                had_list = True
            elif kind == "paragraph" and had_list:
                return True
        return False

    def _list_style(self, item_clusters: list[int], own: list[InputSection]) -> str | None:
        """The list marker a merged section uses when its items come from several inputs.

        Bullets and numbered items mixed in one list would print as alternating lists. A cluster
        whose wordings are numbered in one input and bulleted in another takes the kind most of
        the section's items had (bullets on a tie); when the section holds numbered items no
        input bulleted and bulleted items no input numbered (one input's steps, another's
        practices), each keeps its kind and they are written as two lists (MIXED_LISTS): numbered,
        practices would read as steps; bulleted, steps would lose their order. One input's section
        keeps its own kinds.
        """
        if len({e.source for e in own}) < 2:
            return None
        # Only the members written in this section count: a step of another section folded into
        # a bullet here does not make the bullet a step (nor the section's other bullets steps).
        here = {id(e) for e in own}
        members = [
            [i for i in self.clusters[n] if id(self.sections[self.items[i].home]) in here] for n in item_clusters
        ]
        kinds = [{self.items[i].item.kind for i in cluster} & {"bullet", "ordered"} for cluster in members]
        if {"ordered"} in kinds and {"bullet"} in kinds and {"bullet", "ordered"} not in kinds:
            return MIXED_LISTS
        votes = Counter(
            self.items[i].item.kind
            for cluster in members
            for i in cluster
            if self.items[i].item.kind in ("bullet", "ordered")
        )
        if not votes:
            return None
        return "ordered" if votes["ordered"] > votes["bullet"] else "bullet"

    def _lists_by_kind(self, order: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """``order`` with its list items grouped by kind, each kind in its own order, the kind that
        comes first first, in the places list items had: numbered and bulleted items written
        apart as two lists, not alternating ones."""
        kinds = {
            n: kind
            for n, key in enumerate(order)
            if key[0] == "item" and (kind := self._written_kind(key[1], None)) in ("bullet", "ordered")
        }
        if not kinds:
            return order
        first = next(iter(kinds.values()))
        grouped = sorted(kinds, key=lambda n: kinds[n] != first)
        out = list(order)
        for n, taken in zip(kinds, grouped, strict=True):
            out[n] = order[taken]
        return out

    def _written_kind(self, number: int, style: str | None, *, after_sibling: bool = False) -> str:
        """The kind cluster ``number`` is written as: its kept wording's, in the section's list
        ``style``. A paragraph that holds nested items is written as a list item (Markdown nests
        items only in list items), and so is one nested in an item as its first child, which
        would read back as more of that item's text; after a sibling (``after_sibling``) a nested
        paragraph stays a paragraph."""
        kind = self.items[self.kept[number]].item.kind
        nested_first = self.under[number] >= 0 and not after_sibling
        if kind == "paragraph" and (self.children_of.get(number) or nested_first):
            kind = next(
                (k for k in (self.items[i].item.kind for i in self.clusters[number]) if k in ("bullet", "ordered")),
                "bullet",
            )
        if style is not None and kind in ("bullet", "ordered"):
            return style
        return kind

    def _order(
        self, group: int, own: list[InputSection], item_clusters: list[int], child_groups: list[int]
    ) -> list[tuple[str, int]]:
        """Order a merged section's children by what the inputs agree on (``consensus_order``)."""
        wanted: set[tuple[str, int]] = {("item", n) for n in item_clusters} | {("section", g) for g in child_groups}
        sequences: list[list[tuple[str, int]]] = []
        for entry in sorted(own, key=lambda e: e.source):
            sequence: list[tuple[str, int]] = []
            placed: set[tuple[str, int]] = set()
            for child in entry.children:
                key: tuple[str, int]
                if isinstance(child, Item):
                    index = self.item_index[(entry.source, child.line)]
                    key = ("item", self.cluster_of[index])
                else:
                    sub = self.sections[self.section_of[(entry.source, child.line)]]
                    key = ("section", self._resolve(sub.group))
                if key in wanted and key not in placed:
                    sequence.append(key)
                    placed.add(key)
            sequences.append(sequence)
        fallback: dict[tuple[str, int], tuple[float, int, int]] = {}
        for key in sorted(wanted):
            if key[0] == "item":
                cluster = self.clusters[key[1]]
                spot = sum(self.items[i].position for i in cluster) / len(cluster)
                first = min((self.items[i].source, self.items[i].item.line) for i in cluster)
            else:
                heads = self.own.get(key[1], [])
                spot = 0.5
                first = min((e.source, e.headings[0].line if e.headings else 0) for e in heads)
            fallback[key] = (spot, first[0], first[1])
        order = consensus_order(sorted(wanted, key=lambda k: (fallback[k], k)), sequences, fallback)
        if group != 0 or not self.opening:
            return order
        opens = [k for k in order if k[0] == "item" and not self.opening.isdisjoint(self.clusters[k[1]])]
        return opens + [k for k in order if k not in opens]

    def _section_title(self, heads: Sequence[Section], sources: Sequence[int]) -> str:
        """The title most member sections share (after normalisation); ties go to the broadest
        (a title whose terms every other title has: "Guidelines" over "Performance Guidelines",
        which would misname the other input's items), then to the shortest (the plainest name),
        then to the first input's; ``prefer`` wins when it has one."""
        if self.preferred >= 0 and self.preferred in sources:
            return heads[list(sources).index(self.preferred)].title or ""
        votes = Counter(normalize(h.title or "").casefold() for h in heads)
        best = max(votes.values())
        winners = [h for h in heads if votes[normalize(h.title or "").casefold()] == best]
        named = [title_terms(h.title) for h in heads]

        def narrower(head: Section) -> bool:
            own = title_terms(head.title)
            return not own or any(not own <= other for other in named)

        winners.sort(
            key=lambda h: (
                narrower(h),
                len(normalize(h.title or "")),
                len(h.title or ""),
                sources[heads.index(h)],
                h.line,
            )
        )
        return winners[0].title or ""

    def _merged_item(
        self, cluster: list[int], number: int, style: str | None, *, after_sibling: bool = False
    ) -> MergedItem:
        kept_index = self.kept[number]
        members = [self.items[i].item for i in cluster]
        sources = [self.items[i].source for i in cluster]
        choice = cluster.index(kept_index)
        kept = members[choice]
        confidence = dict(zip(self.found[number].members, self.found[number].confidence, strict=True))
        order = [
            choice,
            *sorted((n for n in range(len(members)) if n != choice), key=lambda n: (sources[n], members[n].line)),
        ]
        merged_sources = tuple(
            Source(
                self.paths[sources[n]],
                members[n].line,
                members[n].text,
                1.0 if n == choice else confidence[cluster[n]],
            )
            for n in order
        )
        children = [
            self._merged_item(self.clusters[n], n, None, after_sibling=k > 0)
            for k, n in enumerate(self._child_order(number))
        ]
        kind = self._written_kind(number, style, after_sibling=after_sibling)
        item = replace(
            kept,
            kind=kind,  # type: ignore[arg-type]
            line=0,
            end_line=0,
            children=tuple(c.item for c in children),
            # A nested list starts at 1: one that starts at another number cannot interrupt its
            # parent's text in Markdown and would be read back as more of that text. A parent
            # with no text (``- 3. step``) has none to interrupt: its first child keeps its number.
            # The number its input's list starts at: the writer numbers a list on from its first
            # item, and a step kept after the first step of its list folded away began at "2.".
            number=self._list_start(kept_index)
            if kind == "ordered" and self._numbered_in_place(number, after_sibling)
            else None,
        )
        return MergedItem(item, len(set(sources)), merged_sources, tuple(children))

    def _list_start(self, index: int) -> int | None:
        """The number that input item ``index``'s numbered list starts at (its first step's)."""
        entry = self.items[index]
        siblings = self.items[entry.parent].item.children if entry.parent >= 0 else self.sections[entry.home].children
        start: int | None = None
        for child in siblings:
            if not isinstance(child, Item) or child.kind != "ordered":
                start = None
                continue
            if start is None:
                start = child.number
            if child is entry.item:
                return start
        return entry.item.number

    def _numbered_in_place(self, number: int, after_sibling: bool) -> bool:
        """Whether cluster ``number``, written as a numbered item, may keep its own number: in a
        section, or as the first child of an item with no text of its own."""
        above = self.under[number]
        return above < 0 or (not after_sibling and wordless(self.items[self.kept[above]].item))

    def _child_order(self, number: int) -> list[int]:
        """The clusters nested under cluster ``number``, in the order its members agree on."""
        wanted = self.children_of.get(number, [])
        if not wanted:
            return []
        inside = set(wanted)
        sequences: list[list[tuple[str, int]]] = []
        for i in self.clusters[number]:
            sequence: list[tuple[str, int]] = []
            for child in self.nested[i]:
                key = ("item", self.cluster_of[child])
                if key[1] in inside and key not in sequence:
                    sequence.append(key)
            sequences.append(sequence)
        fallback: dict[tuple[str, int], tuple[float, int, int]] = {}
        for n in wanted:
            cluster = self.clusters[n]
            spot = sum(self.items[i].position for i in cluster) / len(cluster)
            first = min((self.items[i].source, self.items[i].item.line) for i in cluster)
            fallback[("item", n)] = (spot, first[0], first[1])
        keys = sorted(fallback, key=lambda k: fallback[k])
        return [key[1] for key in consensus_order(keys, sequences, fallback)]

    # -- frontmatter ---------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Order


def _plurality(votes: Counter[_Key], default: _Key) -> _Key:
    """The most common key; ``default`` when it is among the tied, else the smallest tied key."""
    if not votes:
        return default
    best = max(votes.values())
    tied = [key for key, count in votes.items() if count == best]
    if default in tied:
        return default
    return min(tied)


_OrderKey = tuple[str, int]
"""A child of a merged section: ("item", cluster number) or ("section", group number)."""


def consensus_order(
    keys: list[tuple[str, int]],
    sequences: Sequence[Sequence[tuple[str, int]]],
    fallback: dict[tuple[str, int], tuple[float, int, int]],
) -> list[tuple[str, int]]:
    """Order ``keys`` as the inputs agree.

    Repeatedly take a key that no remaining key precedes in more inputs than follow it (nothing
    the inputs put before it is left), preferring the one that comes before most of the rest (a
    Copeland count); when every key has such a predecessor (the inputs disagree in a cycle), the
    best Copeland count goes first. Keys no input ranks against each other go by first input, then
    by ``fallback`` (mean relative position, first input, line): what two inputs add between the
    same neighbours is written as two runs, each in its own order, never interleaved (two numbered
    lists stay two lists). One input's order is reproduced exactly.

    The count looks at every pair in every input, which grows with the square of a section's
    length; past ORDER_PAIR_BUDGET pairs the ``fallback`` order alone is used (still exact for
    one input, and proportional interleaving for several).
    """
    if sum(len(s) * (len(s) - 1) // 2 for s in sequences) > ORDER_PAIR_BUDGET:
        return sorted(keys, key=lambda key: (fallback[key], key))
    score, beaten, against = _margins(keys, sequences)

    def rank(key: tuple[str, int]) -> tuple[bool, int, tuple[int, float, int], tuple[str, int]]:
        spot, source, line = fallback[key]
        return (beaten[key] > 0, -score[key], (source, spot, line), key)

    # What follows each key directly in some input: a run is continued while it can be.
    successors: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for sequence in sequences:
        for a, b in itertools.pairwise(sequence):
            successors.setdefault(a, []).append(b)
    heap = [rank(key) for key in keys]
    heapq.heapify(heap)
    taken: set[tuple[str, int]] = set()
    out: list[tuple[str, int]] = []
    following: tuple[str, int] | None = None
    while heap or following is not None:
        if following is not None:
            key, following = following, None
        else:
            entry = heapq.heappop(heap)
            key = entry[3]
            if key in taken or entry != rank(key):
                continue  # taken already, or an outdated rank
        taken.add(key)
        out.append(key)
        for other, margin in against.get(key, ()):
            if other not in taken:
                # ``other`` no longer counts its relation to ``key``: ``margin`` is key's side of
                # the pair (positive when key came first), which ``other`` holds negated.
                score[other] += margin
                if margin > 0:
                    beaten[other] -= 1
                heapq.heappush(heap, rank(other))
        # Continue the run of the input this key came from: its next key goes next when nothing
        # left precedes it, so two inputs' additions between shared neighbours do not interleave.
        free = [k for k in successors.get(key, ()) if k not in taken and not beaten[k]]
        if free:
            following = min(free, key=rank)
    return out


def _margins(
    keys: list[_OrderKey], sequences: Sequence[Sequence[_OrderKey]]
) -> tuple[dict[_OrderKey, int], dict[_OrderKey, int], dict[_OrderKey, list[tuple[_OrderKey, int]]]]:
    """For ``consensus_order``: each key's Copeland count (inputs it precedes others in, net), how
    many keys beat it, and for each key the keys it is ranked against with the net margin."""
    before: dict[tuple[_OrderKey, _OrderKey], int] = {}
    for sequence in sequences:
        for n, a in enumerate(sequence):
            for b in sequence[n + 1 :]:
                before[(a, b)] = before.get((a, b), 0) + 1
    # Net margins per pair, kept up to date as keys are taken: only the keys some input ranks
    # against the taken one change, so the work follows the pairs, not n^2.
    margins: dict[tuple[_OrderKey, _OrderKey], int] = {}
    for (a, b), count in before.items():
        pair, sign = ((a, b), 1) if a < b else ((b, a), -1)
        margins[pair] = margins.get(pair, 0) + sign * count
    score = dict.fromkeys(keys, 0)
    beaten = dict.fromkeys(keys, 0)
    against: dict[_OrderKey, list[tuple[_OrderKey, int]]] = {}
    for (a, b), margin in margins.items():
        if not margin:
            continue
        score[a] += margin
        score[b] -= margin
        beaten[b if margin > 0 else a] += 1
        against.setdefault(a, []).append((b, margin))
        against.setdefault(b, []).append((a, -margin))
    return score, beaten, against


MIXED_LISTS = "mixed"
"""``_list_style``'s answer for a section whose numbered and bulleted items come from different
inputs: each keeps its kind, written as two lists."""


def readable_order(children: list[MergedItem | _Draft]) -> list[MergedItem | _Draft]:
    """Move items that would read back as part of the subsection before them ahead of it.

    Parsing folds what follows a heading into that heading's section, and what follows a label
    into the label's section, until a paragraph after the label's list closes the label; from
    then on content is the parent's again. Items that would be swallowed keep their relative
    order, placed before the first subsection.
    """
    first = next((n for n, c in enumerate(children) if isinstance(c, _Draft)), len(children))
    head = list(children[:first])
    tail: list[MergedItem | _Draft] = []
    open_label: _Draft | None = None
    after_heading = False
    for child in children[first:]:
        if isinstance(child, _Draft):
            tail.append(child)
            after_heading = child.kind != "pseudo"
            open_label = child if child.kind == "pseudo" else None
        elif after_heading:
            head.append(child)
        elif open_label is None:
            tail.append(child)
        elif child.item.kind == "paragraph" and any(
            isinstance(c, MergedItem) and c.item.kind in ("bullet", "ordered", "task") for c in open_label.children
        ):
            tail.append(child)
            open_label = None
        else:
            head.append(child)
    return head + tail


def _number_steps(draft: _Draft) -> None:
    """Number the subsections of ``draft`` that are steps of one series (``step_series``) one after
    another in the merged order, from the lowest number they had: two procedures' "1:" would
    otherwise stand one after the other (an ordered list's items are numbered so when written)."""
    subsections = [child for child in draft.children if isinstance(child, _Draft)]
    for series in step_series([(child.title, child.sources) for child in subsections]):
        found = [(subsections[n], step_number(subsections[n].title or "")) for n in series]
        first = min(int(number["number"]) for _, number in found if number is not None)
        for count, (child, number) in enumerate(found, first):
            if number is not None:
                title = number.string
                child.title = f"{title[: number.start('number')]}{count}{title[number.end('number') :]}"


def step_series(sections: Sequence[tuple[str | None, Sequence[SectionSource]]]) -> list[list[int]]:
    """Which of a merged section's subsections (each its title and the input headings it stands
    for) are steps of one series, by index in order, a list a series: those titled with a number
    that places them in a sequence ("### 1: Build", "### Step 2: Test"; ``text.step_number``), a
    series apiece for the word that names them ("Step", "Phase") and for plain numbers, when two
    inputs or more number them so and each input's own numbers count 1, 2, 3 (or from 0) in its
    order. Numbers that name rather than count ("400: Bad Request", "2026: Go public"), one
    input's gaps and restarts, a step numbered in levels ("Step 1.5"), and a subsection whose
    title lost the number its input gave it (a plainer title of another input's chosen) leave
    their series as written: renumbered, or read as a procedure, it would say what no input did.
    ``_number_steps`` numbers a series in turn; ``library.order_differences`` reads it as one
    procedure."""
    counted: dict[str, dict[str, list[tuple[int, int]]]] = {}  # word -> input -> (line, number)
    spoilt: set[str] = set()
    carried: list[set[str]] = []  # the series each subsection's headings are numbered in
    for _, sources in sections:
        words: set[str] = set()
        for source in sources:
            written = step_number(source.title)
            if written is None:
                continue
            word = _series_word(written)
            words.add(word)
            if written["levels"]:
                spoilt.add(word)
            else:
                counted.setdefault(word, {}).setdefault(source.path, []).append((source.line, int(written["number"])))
        carried.append(words)
    found: list[list[int]] = []
    for word, by_input in sorted(counted.items()):
        members = [n for n, words in enumerate(carried) if word in words]
        titled = [step_number(sections[n][0] or "") for n in members]
        if (
            word not in spoilt
            and len(by_input) >= 2
            and len(members) >= 2
            and all(t is not None and _series_word(t) == word for t in titled)
            and all(map(_counts, by_input.values()))
        ):
            found.append(members)
    return found


def _series_word(number: re.Match[str]) -> str:
    """The series of a step's number (``text.step_number``): the word that names it, casefolded
    ("step" for "Step 2: Build"), or "" for a plain number."""
    return (number["word"] or "").casefold()


def _counts(numbers: list[tuple[int, int]]) -> bool:
    """Whether an input's step numbers, by line, count 1, 2, 3 (or 0, 1, 2) without a gap."""
    written = [number for _, number in sorted(numbers)]
    return written[0] in (0, 1) and written == list(range(written[0], written[0] + len(written)))


def walk_merged(section: MergedSection) -> Iterable[MergedItem]:
    for item in section.items:
        yield from _walk_item(item)
    for sub in section.sections:
        yield from walk_merged(sub)


def _walk_item(item: MergedItem) -> Iterable[MergedItem]:
    yield item
    for child in item.children:
        yield from _walk_item(child)
