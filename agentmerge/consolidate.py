"""One canonical agent from N variants of the same role: every instruction once, nothing lost.

A pure function from models to a result. The steps, each deterministic:

1. Inputs are put in a canonical order (by path), so argument order never matters.
2. Sections are flattened per input; a document title (one ``#`` heading that opens the body and
   holds everything) counts as the root. Every section gets a role from its title.
3. Identical copies become one bag (``match.bag_units``); bags are scored pairwise on
   IDF-weighted terms, only where they share a distinctive term (``match.candidate_pairs``).
   Pairs that score well without any help are anchors; sections of different inputs align by
   title or by the share of their items that anchor to each other (``match.section_similarity``).
4. Items cluster again, now with a bonus for sitting in aligned sections; at most one item per
   input in a cluster, except near-verbatim repeats; roles and polarity are kept apart. Nested
   items are candidates like any other, with the role and section of the item they sit under;
   a cluster nests under the cluster most of its members were nested under (``_nesting``).
5. Each cluster keeps one wording (the preferred input's when ``prefer`` names one, else the most
   specific: most distinct weighted terms), goes to the section holding most of its members, and
   takes its place by the order the inputs agree on (``_consensus_order``).
6. Frontmatter: agreeing values kept, tool and skill lists merged as sets with widening reported,
   other disagreeing values decided by vote; the description is chosen like an item and keeps
   every distinct ``<example>`` block.
7. The merged model is written and read back once (``_settle``), so the file, the model and a
   second consolidation of the file always agree. One input alone is only normalised.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from agentmerge import match
from agentmerge.errors import AgentMergeError
from agentmerge.model import Agent, Field, Item, Section

_Key = TypeVar("_Key", int, str)

OUTPUT_PATH = "<consolidated>"
"""The path given to the merged agent model."""

SET_KEYS = frozenset({"tools", "allowed-tools", "allowed_tools", "allowedTools", "skills", "disallowed-tools"})
"""Frontmatter keys whose value is a set of names (comma string or YAML list); merged as a union."""

PERMISSION_KEYS = frozenset({"tools", "allowed-tools", "allowed_tools", "allowedTools"})
"""Set keys that grant tools: an input without the key inherits every tool, so a list narrows it."""

FIRST_KEYS = ("name", "description")
"""Frontmatter keys that come first in the merged agent, as the agent writer orders them."""

ORDER_PAIR_BUDGET = 200_000
"""Most ordered pairs the consensus order of one section counts (see ``_consensus_order``)."""

LINE_STEP = 10
"""Gap between the synthetic line numbers of the merged model's nodes (room for annotations)."""


# --------------------------------------------------------------------------------------------
# Results


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
    """The role read from its titles (``match.SECTION_ROLES``), e.g. responsibilities, pitfalls."""
    sources: tuple[SectionSource, ...]
    """Every input heading folded into this section, in input order (empty for a root without)."""
    items: tuple[MergedItem, ...] = ()
    """Its merged items in output order."""
    sections: tuple[MergedSection, ...] = ()
    """Its merged subsections in output order."""
    wrapped: bool = False
    """For the root: whether its content sits under a document title (``section.sections[0]``, a
    ``#`` heading holding the whole body) rather than directly in the root."""

    @property
    def content(self) -> Section:
        """The section that holds ``items`` and ``sections`` (the document title when wrapped)."""
        return self.section.sections[0] if self.wrapped else self.section


@dataclass(frozen=True, slots=True)
class MergedField:
    """One frontmatter key of the merged agent and the input fields it stands for."""

    field: Field
    """The key and value as written to the output."""
    sources: tuple[Source, ...]
    """Every input field with this key, in input order."""
    conflict: bool
    """Whether the inputs disagreed and a rule settled the value (see ``conflicts``)."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """A frontmatter disagreement and how it was settled."""

    key: str
    """The frontmatter key."""
    values: tuple[tuple[str, tuple[str, ...]], ...]
    """Each distinct value (as text; ``(absent)`` for inputs without the key) and the inputs with it."""
    chosen: str
    """The value written, as text."""
    why: str
    """One sentence: the rule that chose it and what it changes for the other inputs."""


@dataclass(frozen=True, slots=True)
class Consolidation:
    """The merged agent with the provenance of every unit and the conflicts settled."""

    inputs: tuple[str, ...]
    """The inputs' paths in canonical (sorted) order."""
    agent: Agent
    """The merged agent model; ``render.render_agent`` writes it as the output file."""
    fields: tuple[MergedField, ...]
    """Merged frontmatter keys, in output order."""
    body: MergedSection
    """The merged root section (title None) with the whole merged body under it."""
    conflicts: tuple[Conflict, ...]
    """Frontmatter disagreements that were settled, in key order."""
    threshold: float
    """The item clustering threshold used."""
    items_in: int
    """How many input items (all depths) and frontmatter fields went in."""
    items_out: int
    """How many merged items and fields came out."""
    merged: int
    """How many merged units fold two or more input units."""


# --------------------------------------------------------------------------------------------
# Entry point


def consolidate(agents: Sequence[Agent], *, threshold: float | None = None, prefer: str | None = None) -> Consolidation:
    """Merge ``agents`` (variants of one role) into one agent with full provenance.

    ``threshold`` (0 to 1, default ``match.CLUSTER_THRESHOLD``) is the least score at which two
    items are one instruction. ``prefer`` is the path of one input whose wording, section titles
    and frontmatter values win whenever it has them.
    """
    if not agents:
        raise AgentMergeError("", 0, "consolidate needs at least one input file")
    cutoff = match.CLUSTER_THRESHOLD if threshold is None else threshold
    if not 0.0 <= cutoff <= 1.0:
        raise AgentMergeError("", 0, f"threshold {cutoff} is outside 0 to 1; pick a value such as 0.5")
    ordered = sorted(agents, key=lambda a: a.path)
    paths = [a.path for a in ordered]
    preferred = -1
    if prefer is not None:
        if prefer not in paths:
            raise AgentMergeError(prefer, 0, "--prefer must name one of the input files")
        preferred = paths.index(prefer)
    return _Consolidator(ordered, cutoff, preferred).run()


# --------------------------------------------------------------------------------------------
# The work


@dataclass(slots=True)
class _InSection:
    """One input section while clustering: where it sits and what it holds."""

    source: int
    """Index of its input in canonical order."""
    section: Section | None
    """The parsed section; None for the root (whose content is ``children``)."""
    parent: int
    """Index of the enclosing _InSection; -1 for the root."""
    role: str
    """Its role (``match.section_role``)."""
    children: list[Item | Section]
    """Its items and subsections in source order (for a root under a document title: the title's)."""
    headings: list[Section]
    """The headings it accounts for in provenance: itself, or a root's document title."""
    group: int = 0
    """The aligned section it belongs to; 0 is the roots' group, -1 until aligned."""


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


@dataclass(slots=True)
class _InItem:
    """One input item while clustering, nested items included."""

    source: int
    """Index of its input in canonical order."""
    item: Item
    """The parsed item, children included."""
    home: int
    """Index of its _InSection."""
    position: float
    """Its place among its siblings (in its section, or under its parent item), 0 (first) to 1 (last)."""
    parent: int = -1
    """Index of the _InItem it is nested under; -1 for an item directly in its section."""


class _Consolidator:
    """One consolidation's working state: the inputs flattened, their alignment and clusters."""

    def __init__(self, agents: list[Agent], threshold: float, preferred: int) -> None:
        self.agents = agents
        self.threshold = threshold
        self.preferred = preferred
        # One input is only normalised: even its exact repeats stay, so the file comes back as it was.
        self.repeats = len(agents) > 1
        self.sections: list[_InSection] = []
        self.items: list[_InItem] = []
        self.nested: list[list[int]] = []
        self.section_of: dict[tuple[int, int], int] = {}
        self.line = 0

    # -- reading the inputs -------------------------------------------------------------------

    def _flatten(self) -> None:
        """Collect every input's sections (roots first) and top-level items, in input order."""
        for source, agent in enumerate(self.agents):
            root = agent.body
            headings: list[Section] = []
            children: list[Item | Section] = [*root.items, *root.sections]
            title = _document_title(root)
            if title is not None:
                headings.append(title)
                children = [*title.items, *title.sections]
            children.sort(key=lambda node: node.line)
            index = len(self.sections)
            self.sections.append(_InSection(source, None, -1, match.ROOT_ROLE, children, headings, group=0))
            self._walk(source, index, children)
        self.item_index = {(e.source, e.item.line): n for n, e in enumerate(self.items)}

    def _walk(self, source: int, index: int, children: list[Item | Section]) -> None:
        entries = [c for c in children if isinstance(c, Item)]
        self._add_items(source, index, entries, -1)
        for child in children:
            if isinstance(child, Section):
                nested: list[Item | Section] = [*child.items, *child.sections]
                nested.sort(key=lambda node: node.line)
                sub = len(self.sections)
                self.section_of[(source, child.line)] = sub
                self.sections.append(
                    _InSection(source, child, index, match.section_role(child.title), nested, [child], group=-1)
                )
                self._walk(source, sub, nested)

    def _add_items(self, source: int, home: int, entries: Sequence[Item], parent: int) -> None:
        """Add items and, after each, everything nested under it: a nested item is matched
        against every input's items like any other, not only inside its parent's cluster."""
        for n, entry in enumerate(entries):
            position = n / (len(entries) - 1) if len(entries) > 1 else 0.0
            index = len(self.items)
            self.items.append(_InItem(source, entry, home, position, parent))
            self.nested.append([])
            if parent >= 0:
                self.nested[parent].append(index)
            self._add_items(source, home, entry.children, index)

    @staticmethod
    def _expand(bags: list[list[int]], groups: list[list[int]]) -> list[list[int]]:
        """Clusters of bags as clusters of items, each sorted, in order of their first item."""
        out = [sorted(i for bag in group for i in bags[bag]) for group in groups]
        out.sort(key=lambda cluster: cluster[0])
        return out

    def _templated_sections(self) -> set[int]:
        """Sections inside a template a file fills more than once (two "Example" or "1. [Issue]"
        sections): their items repeat by design and are not merged with each other."""
        titles = Counter((e.source, _title_key(e.section)) for e in self.sections)
        templated: set[int] = set()
        for index in range(len(self.sections)):
            walk = index
            while walk >= 0:
                node = self.sections[walk]
                if node.section is not None and titles[(node.source, _title_key(node.section))] > 1:
                    templated.add(index)
                    break
                walk = node.parent
        return templated

    def _bonus_group(self, entry: _InItem) -> int:
        """The aligned section an item counts as for SECTION_BONUS: a top-level intro section
        ("Role", "Overview") is the same slot as the text before the first heading."""
        section = self.sections[entry.home]
        if section.role == match.ROOT_ROLE and section.parent >= 0 and self.sections[section.parent].section is None:
            return 0
        return section.group

    def _item_role(self, entry: _InItem) -> str:
        if entry.item.kind == "task":
            return "gates"
        return self.sections[entry.home].role

    # -- clustering ----------------------------------------------------------------------------

    def run(self) -> Consolidation:
        """Align, cluster and build the merged agent (the steps in the module docstring)."""
        self._flatten()
        all_texts = [entry.item.text for entry in self.items]
        all_texts.extend(f.value for a in self.agents for f in a.fields if isinstance(f.value, str))
        self.weights = match.TermWeights(all_texts)
        templated = self._templated_sections()
        # A template the file fills more than once is an example of output, whatever its titles.
        units = [
            match.Unit(
                e.source,
                e.item.text,
                "examples" if e.home in templated else self._item_role(e),
                -1,
                e.item.kind,
                self.repeats and e.home not in templated,
            )
            for e in self.items
        ]
        # Identical copies are clustered once, as bags; scores are computed between bags.
        bags = match.bag_units(units)
        heads = [units[bag[0]] for bag in bags]
        bag_sources = [frozenset(units[i].source for i in bag) for bag in bags]
        scores = match.candidate_pairs(
            [self.weights.vector(u.text) for u in heads], self.weights, inputs=len(self.agents)
        )
        anchors = self._expand(
            bags,
            match.cluster_units(
                heads,
                scores,
                threshold=min(1.0, self.threshold + match.ANCHOR_MARGIN),
                bonus=0.0,
                sources=bag_sources,
            ),
        )
        self._align_sections(anchors)
        heads = [replace(u, group=self._bonus_group(self.items[bag[0]])) for u, bag in zip(heads, bags, strict=True)]
        clusters = self._expand(bags, match.cluster_units(heads, scores, threshold=self.threshold, sources=bag_sources))
        body = self._build_body(clusters)
        fields, conflicts = self._merge_fields()
        agent = _settle(
            Agent(
                path=OUTPUT_PATH,
                fields=tuple(f.field for f in fields),
                body=body.section,
                has_frontmatter=any(a.has_frontmatter for a in self.agents) or bool(fields),
            )
        )
        items_in = len(self.items) + sum(len(a.fields) for a in self.agents)
        merged_items = list(_walk_merged(body))
        items_out = len(merged_items) + len(fields)
        merged = sum(1 for m in merged_items if len(m.sources) > 1) + sum(1 for f in fields if len(f.sources) > 1)
        return Consolidation(
            inputs=tuple(a.path for a in self.agents),
            agent=agent,
            fields=tuple(fields),
            body=body,
            conflicts=tuple(conflicts),
            threshold=self.threshold,
            items_in=items_in,
            items_out=items_out,
            merged=merged,
        )

    def _align_sections(self, anchors: list[list[int]]) -> None:
        """Group the input sections into aligned sections; the roots form group 0."""
        candidates = [i for i, s in enumerate(self.sections) if s.section is not None]
        sizes = Counter(e.home for e in self.items)
        shared: Counter[tuple[int, int]] = Counter()
        for cluster in anchors:
            homes = sorted({self.items[i].home for i in cluster})
            for n, a in enumerate(homes):
                for b in homes[n + 1 :]:
                    shared[(a, b)] += 1
        position = {index: n for n, index in enumerate(candidates)}
        units = [
            match.Unit(self.sections[i].source, _title(self.sections[i].section), self.sections[i].role, -1, "heading")
            for i in candidates
        ]
        role_count = Counter((self.sections[i].source, self.sections[i].role) for i in candidates)
        title_weights = match.TermWeights([unit.text for unit in units])
        title_cache: dict[tuple[str, str], float] = {}
        title_terms: dict[str, list[int]] = {}
        for n, unit in enumerate(units):
            for term in set(match.terms(unit.text)):
                title_terms.setdefault(term, []).append(n)
        # As for items, a title word that runs through every file ("Section 1", "Section 2", ...)
        # does not open pairs on its own.
        limit = max(match.BLOCK_POSTING_FLOOR, match.BLOCK_TERM_PER_INPUT * len(self.agents))
        pairs: set[tuple[int, int]] = set()
        for indices in title_terms.values():
            if len(indices) > limit:
                continue
            for k, a in enumerate(indices):
                for b in indices[k + 1 :]:
                    pairs.add((a, b))
        by_role: dict[str, list[int]] = {}
        for n, unit in enumerate(units):
            if unit.role in match.SINGLE_ROLES and role_count[(unit.source, unit.role)] == 1:
                by_role.setdefault(unit.role, []).append(n)
        for indices in by_role.values():
            for k, a in enumerate(indices):
                for b in indices[k + 1 :]:
                    pairs.add((a, b))
        for a, b in shared:
            if a in position and b in position:
                pairs.add((min(position[a], position[b]), max(position[a], position[b])))
        scores: dict[tuple[int, int], float] = {}
        for a, b in pairs:
            left, right = units[a], units[b]
            if left.source == right.source or not match.roles_compatible(left.role, right.role):
                continue
            if left.role != right.role and match.GENERAL_ROLE not in (left.role, right.role):
                continue
            i, j = candidates[a], candidates[b]
            common = shared.get((min(i, j), max(i, j)), 0)
            smaller = min(sizes.get(i, 0), sizes.get(j, 0))
            title_key = (left.text, right.text) if left.text <= right.text else (right.text, left.text)
            title = title_cache.get(title_key, -1.0)
            if title < 0:
                title = title_cache[title_key] = match.title_overlap(left.text, right.text, title_weights)
            score = match.section_similarity(title, common, smaller)
            if (
                left.role == right.role
                and left.role in match.SINGLE_ROLES
                and role_count[(left.source, left.role)] == 1
                and role_count[(right.source, right.role)] == 1
            ):
                # The one workflow (pitfall list, ...) of each input: the same section, whatever its title.
                score = max(score, match.SECTION_ALIGN_THRESHOLD)
            if score > 0:
                scores[(a, b)] = score
        groups = match.cluster_units(units, scores, threshold=match.SECTION_ALIGN_THRESHOLD, bonus=0.0, repeats=False)
        for number, group in enumerate(groups, start=1):
            for n in group:
                self.sections[candidates[n]].group = number
        self.group_count = len(groups) + 1

    # -- building the merged body --------------------------------------------------------------

    def _next_line(self) -> int:
        self.line += LINE_STEP
        return self.line

    def _build_body(self, clusters: list[list[int]]) -> MergedSection:
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
        # Each item cluster: its kept wording and its home group.
        self.cluster_of: dict[int, int] = {}
        for number, cluster in enumerate(clusters):
            for i in cluster:
                self.cluster_of[i] = number
        self.under = self._nesting(clusters)
        self.children_of: dict[int, list[int]] = {}
        for number, above in enumerate(self.under):
            if above >= 0:
                self.children_of.setdefault(above, []).append(number)
        home: list[int] = []
        kept: list[int] = []
        for number, cluster in enumerate(clusters):
            choice = self._choose([self.items[i].item for i in cluster], [self.items[i].source for i in cluster])
            kept.append(cluster[choice])
            votes = Counter(self.sections[self.items[i].home].group for i in cluster)
            # A cluster nested under another goes where that one goes; -1 keeps it out of sections.
            home.append(
                -1
                if self.under[number] >= 0
                else _plurality(votes, self.sections[self.items[cluster[choice]].home].group)
            )
        self.clusters, self.home, self.kept = clusters, home, kept
        top = list(range(len(clusters)))
        for number in top:
            while self.under[top[number]] >= 0:
                top[number] = self.under[top[number]]
        # Groups left with no content fold into where their items went (or their parent).
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
        for group in sorted(range(1, groups), key=lambda g: -depth[g]):
            went = went_to[group]
            went.pop(group, None)
            if content[group] or not went:
                # Kept: it has content, or it was empty in the inputs too.
                content[parent[group]] += 1
                continue
            target[group] = _plurality(went, parent[group])
        self.parent, self.target = parent, target
        self.doc_title = self._document_title()
        return self._freeze(self._merged_section(0, parent_level=0))

    def _nesting(self, clusters: list[list[int]]) -> list[int]:
        """For each cluster, the cluster it is nested under, or -1 for one that sits in a section.

        Members vote with the cluster of the item they are nested under (-1 for an item directly
        in a section); ties keep the cluster in a section, where every input can find it. A
        cluster never ends up under itself or under one of its own descendants.
        """
        under: list[int] = []
        for number, cluster in enumerate(clusters):
            votes = Counter(-1 if self.items[i].parent < 0 else self.cluster_of[self.items[i].parent] for i in cluster)
            votes.pop(number, None)
            under.append(_plurality(votes, -1) if votes else -1)
        # A bare label ("**Automation:**") means only what it holds: nested items that would go to
        # a section by the vote stay under it (otherwise it could stand empty, or half its list).
        for number, cluster in enumerate(clusters):
            if not match.label_only(self.items[cluster[0]].item.text):
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
        return MergedSection(section, draft.role, draft.sources, tuple(items), tuple(sections), wrapped)

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
        titles = [e.headings[0].title or "" for e in self.sections if e.section is None and e.headings]
        if not titles:
            return None
        return _plurality(Counter(titles), titles[0])

    def _merged_section(self, group: int, parent_level: int, ceiling: int = 6) -> _Draft:
        """Build the merged section of ``group`` under a parent at ``parent_level``.

        A heading takes the level most of its members have, kept deeper than its parent and no
        deeper than the heading before it (``ceiling``): a deeper heading after a sibling would
        read back as that sibling's subsection.
        """
        own = [e for e in self.sections if e.group == group]
        folded = [e for e in self.sections if e.group != group and e.group != 0 and self._resolve(e.group) == group]
        headings = sorted(
            ((e.source, h) for e in own + folded for h in e.headings), key=lambda pair: (pair[0], pair[1].line)
        )
        sources = tuple(SectionSource(self.agents[s].path, h.line, h.title or "") for s, h in headings)
        child_groups = [g for g in range(1, self.group_count) if self.parent[g] == group and self.target[g] == g]
        item_clusters = [n for n, h in enumerate(self.home) if h == group]
        order = self._order(group, own, item_clusters, child_groups)
        style = self._list_style(item_clusters, own)
        title: str | None
        if group == 0:
            title, kind, level, role = self.doc_title, "root", 0, match.ROOT_ROLE
            inner = 1 if self.doc_title is not None else 0
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
        draft = _Draft(title, kind, level, role, sources)
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
            draft.children = _readable_order(draft.children)
        return draft

    def _breaks_pseudo(self, order: list[tuple[str, int]], style: str | None) -> bool:
        """Whether a pseudo-section's content would not read back under its label: a paragraph
        after a list ends a pseudo-section when the file is parsed again."""
        had_list = False
        for key in order:
            if key[0] != "item":
                continue
            kind = self._output_kind(self.items[self.kept[key[1]]].item, style)
            if kind in ("bullet", "ordered", "task"):
                had_list = True
            elif kind == "paragraph" and had_list:
                return True
        return False

    def _list_style(self, item_clusters: list[int], own: list[_InSection]) -> str | None:
        """The list marker a merged section uses when its items come from several inputs.

        Bullets and numbered items mixed in one list would print as alternating lists; the kind
        most input items had wins (bullets on a tie). One input's section keeps its own kinds.
        """
        if len({e.source for e in own}) < 2:
            return None
        votes = Counter(
            self.items[i].item.kind
            for n in item_clusters
            for i in self.clusters[n]
            if self.items[i].item.kind in ("bullet", "ordered")
        )
        if not votes:
            return None
        return "ordered" if votes["ordered"] > votes["bullet"] else "bullet"

    @staticmethod
    def _output_kind(item: Item, style: str | None) -> str:
        if style is not None and item.kind in ("bullet", "ordered"):
            return style
        return item.kind

    def _order(
        self, group: int, own: list[_InSection], item_clusters: list[int], child_groups: list[int]
    ) -> list[tuple[str, int]]:
        """Order a merged section's children by what the inputs agree on (``_consensus_order``)."""
        wanted: set[tuple[str, int]] = {("item", n) for n in item_clusters} | {("section", g) for g in child_groups}
        sequences: list[list[tuple[str, int]]] = []
        for entry in sorted(own, key=lambda e: e.source):
            sequence: list[tuple[str, int]] = []
            for child in entry.children:
                key: tuple[str, int]
                if isinstance(child, Item):
                    index = self.item_index[(entry.source, child.line)]
                    key = ("item", self.cluster_of[index])
                else:
                    sub = self.sections[self.section_of[(entry.source, child.line)]]
                    key = ("section", self._resolve(sub.group))
                if key in wanted and key not in sequence:
                    sequence.append(key)
            sequences.append(sequence)
        fallback: dict[tuple[str, int], tuple[float, int, int]] = {}
        for key in wanted:
            if key[0] == "item":
                cluster = self.clusters[key[1]]
                spot = sum(self.items[i].position for i in cluster) / len(cluster)
                first = min((self.items[i].source, self.items[i].item.line) for i in cluster)
            else:
                heads = [e for e in self.sections if e.group == key[1]]
                spot = 0.5
                first = min((e.source, e.headings[0].line if e.headings else 0) for e in heads)
            fallback[key] = (spot, first[0], first[1])
        return _consensus_order(sorted(wanted, key=lambda k: fallback[k]), sequences, fallback)

    def _choose(self, candidates: Sequence[Item], sources: Sequence[int]) -> int:
        """Index of the kept wording: the preferred input's, else the most specific, else the first."""
        if self.preferred >= 0 and self.preferred in sources:
            return list(sources).index(self.preferred)
        best, best_key = 0, None
        for n, item in enumerate(candidates):
            distinct = set(match.terms(item.text))
            weight = sum(self.weights.idf.get(t, self.weights.unseen) for t in distinct)
            key = (-round(weight, 6), sources[n], item.line)
            if best_key is None or key < best_key:
                best, best_key = n, key
        return best

    def _section_title(self, heads: Sequence[Section], sources: Sequence[int]) -> str:
        """The title most member sections share (after normalisation); ties go to the broadest
        (a title whose terms every other title has: "Guidelines" over "Performance Guidelines",
        which would misname the other input's items), then to the shortest (the plainest name),
        then to the first input's; ``prefer`` wins when it has one."""
        if self.preferred >= 0 and self.preferred in sources:
            return heads[list(sources).index(self.preferred)].title or ""
        votes = Counter(match.normalize(h.title or "").casefold() for h in heads)
        best = max(votes.values())
        winners = [h for h in heads if votes[match.normalize(h.title or "").casefold()] == best]
        named = [match.title_terms(h.title) for h in heads]

        def narrower(head: Section) -> bool:
            own = match.title_terms(head.title)
            return not own or any(not own <= other for other in named)

        winners.sort(
            key=lambda h: (
                narrower(h),
                len(match.normalize(h.title or "")),
                len(h.title or ""),
                sources[heads.index(h)],
                h.line,
            )
        )
        return winners[0].title or ""

    def _merged_item(self, cluster: list[int], number: int, style: str | None) -> MergedItem:
        kept_index = self.kept[number]
        members = [self.items[i].item for i in cluster]
        sources = [self.items[i].source for i in cluster]
        choice = cluster.index(kept_index)
        kept = members[choice]
        kept_vector = self.weights.vector(kept.text)
        order = [
            choice,
            *sorted((n for n in range(len(members)) if n != choice), key=lambda n: (sources[n], members[n].line)),
        ]
        merged_sources = tuple(
            Source(
                self.agents[sources[n]].path,
                members[n].line,
                members[n].text,
                1.0
                if n == choice
                else round(match.item_similarity(self.weights.vector(members[n].text), kept_vector), 3),
            )
            for n in order
        )
        children = [self._merged_item(self.clusters[n], n, None) for n in self._child_order(number)]
        kind = self._output_kind(kept, style)
        item = replace(
            kept,
            kind=kind,  # type: ignore[arg-type]
            line=0,
            end_line=0,
            children=tuple(c.item for c in children),
            number=None if kind != "ordered" else kept.number,
        )
        return MergedItem(item, len(set(sources)), merged_sources, tuple(children))

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
        return [key[1] for key in _consensus_order(keys, sequences, fallback)]

    # -- frontmatter ---------------------------------------------------------------------------

    def _merge_fields(self) -> tuple[list[MergedField], list[Conflict]]:
        keys: list[str] = []
        for agent in self.agents:
            for f in agent.fields:
                if f.key not in keys:
                    keys.append(f.key)
        # The order the file is written in: name, description, then first seen.
        keys.sort(key=lambda key: FIRST_KEYS.index(key) if key in FIRST_KEYS else len(FIRST_KEYS))
        fields: list[MergedField] = []
        conflicts: list[Conflict] = []
        for key in keys:
            present = [(n, a.field(key)) for n, a in enumerate(self.agents) if a.field(key) is not None]
            found = [(n, f) for n, f in present if f is not None]
            sources = tuple(Source(self.agents[n].path, f.line, _value_text(f.value), 1.0) for n, f in found)
            if key == "description" and all(isinstance(f.value, str) for _, f in found):
                value, sources = self._description(found)
                conflict = None
            elif key in SET_KEYS and all(isinstance(f.value, (str, list)) for _, f in found):
                value, conflict = self._set_field(key, found)
            else:
                value, conflict = self._scalar_field(key, found)
            line = self._next_line()
            fields.append(MergedField(Field(key, value, line, line), sources, conflict is not None))
            if conflict is not None:
                conflicts.append(conflict)
        return fields, conflicts

    def _description(self, found: list[tuple[int, Field]]) -> tuple[object, tuple[Source, ...]]:
        """The description chosen like an item, with every distinct ``<example>`` block kept."""
        proses = [_prose(str(f.value)) for _, f in found]
        sources = [n for n, _ in found]
        fake = [
            Item(kind="paragraph", text=p, line=f.line, end_line=f.line)
            for p, (_, f) in zip(proses, found, strict=True)
        ]
        choice = self._choose(fake, sources)
        chosen = found[choice][1]
        examples: list[str] = []
        seen: set[str] = set()
        owners: set[int] = set()
        for n, f in found:
            for example in f.examples:
                key = " ".join(match.words(example.text))
                if key not in seen:
                    seen.add(key)
                    examples.append(example.text)
                    owners.add(n)
        kept_vector = self.weights.vector(proses[choice])
        order = [choice, *(k for k in range(len(found)) if k != choice)]
        merged_sources = tuple(
            Source(
                self.agents[found[k][0]].path,
                found[k][1].line,
                _value_text(found[k][1].value),
                1.0 if k == choice else round(match.item_similarity(self.weights.vector(proses[k]), kept_vector), 3),
            )
            for k in order
        )
        if not examples or owners == {found[choice][0]}:
            return chosen.value, merged_sources
        blocks = "\n".join(f"<example>\n{text}\n</example>" for text in examples)
        return f"{proses[choice]}\n\nExamples:\n{blocks}", merged_sources

    def _vote(self, key: str, found: list[tuple[int, Field]]) -> tuple[str, list[str], str]:
        """The value text most inputs share; ties go to ``prefer``, else to the first input in
        path order that has a tied value. Returns (chosen text, value texts in order, why)."""
        texts = [_value_text(f.value) for _, f in found]
        votes = Counter(texts)
        best = max(votes.values())
        tied = [t for t in dict.fromkeys(texts) if votes[t] == best]
        if len(tied) == 1:
            why = f"{best} of {len(found)} inputs that set {key} agree on it"
            return tied[0], texts, why
        if self.preferred >= 0 and any(n == self.preferred for n, _ in found):
            pick = texts[[n for n, _ in found].index(self.preferred)]
            if pick in tied:
                return pick, texts, f"tie of {best} inputs each; --prefer {self.agents[self.preferred].path} decides"
        return tied[0], texts, f"tie of {best} input(s) each; the first input in path order with a tied value decides"

    def _scalar_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        chosen, texts, why = self._vote(key, found)
        value = next(f.value for (_, f), t in zip(found, texts, strict=True) if t == chosen)
        if len(set(texts)) == 1:
            return value, None
        values: dict[str, list[str]] = {}
        for (n, _), text in zip(found, texts, strict=True):
            values.setdefault(text, []).append(self.agents[n].path)
        others = [p for t, ps in values.items() if t != chosen for p in ps]
        why = f"{why}; {', '.join(others)} had another value"
        return value, Conflict(key, tuple((t, tuple(ps)) for t, ps in values.items()), chosen, why)

    def _set_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        """Union of the names, in first-seen order; any input that gains a name is reported."""
        if len({_value_text(f.value) for _, f in found}) == 1 and len(found) == len(self.agents):
            return found[0][1].value, None  # every input agrees: kept exactly as written
        sets = [(n, _names(f.value)) for n, f in found]
        union: list[str] = []
        for _, names in sets:
            for name in names:
                if name not in union:
                    union.append(name)
        as_list = sum(1 for _, f in found if isinstance(f.value, list))
        value: object = list(union) if as_list * 2 >= len(found) else ", ".join(union)
        widened = [(self.agents[n].path, [x for x in union if x not in names]) for n, names in sets]
        widened = [(p, extra) for p, extra in widened if extra]
        narrowed = []
        if key in PERMISSION_KEYS:
            narrowed = [a.path for a in self.agents if a.field(key) is None]
        else:
            # No skills key means no skills: the merged list widens that input by all of it.
            widened.extend((a.path, list(union)) for a in self.agents if a.field(key) is None)
        if not widened and not narrowed:
            return value, None
        values: dict[str, list[str]] = {}
        for n, f in found:
            values.setdefault(_value_text(f.value), []).append(self.agents[n].path)
        absent = [a.path for a in self.agents if a.field(key) is None]
        if absent:
            values.setdefault("(absent)", []).extend(absent)
        parts = ["merged as a set (union of every input's names)"]
        parts.extend(f"widens {p} (adds {', '.join(extra)})" for p, extra in widened)
        if narrowed:
            parts.append(f"narrows {', '.join(narrowed)} (no {key} key inherits every tool)")
        return value, Conflict(
            key, tuple((t, tuple(ps)) for t, ps in values.items()), _value_text(value), "; ".join(parts)
        )


# --------------------------------------------------------------------------------------------
# Helpers


def _document_title(root: Section) -> Section | None:
    """The single ``#`` heading that opens a body and holds all of it, if there is one."""
    if root.items or len(root.sections) != 1:
        return None
    only = root.sections[0]
    if only.kind == "heading" and only.level == 1:
        return only
    return None


def _settle(agent: Agent) -> Agent:
    """The merged model as its own file reads back.

    The agent writer is the authority on how a model reads back from Markdown. The merge keeps
    to what the writer can express (see ``_readable_order``), but should a merged arrangement
    still read back otherwise, the model that the written file parses to is the result, so the
    output, the model and a second consolidation always agree.
    """
    from agentmerge.parse import parse_text
    from agentmerge.render import render_agent

    # The body alone is written and read: frontmatter values go through strict YAML unchanged.
    body = render_agent(replace(agent, fields=()))
    if body.startswith("---"):
        back = parse_text(render_agent(agent), OUTPUT_PATH)
    else:
        back = replace(agent, body=parse_text(body, OUTPUT_PATH).body)
    return agent if _same_shape(back.body, agent.body) else replace(back, fields=agent.fields)


def _same_shape(a: Section, b: Section) -> bool:
    """Whether two sections hold the same content in the same places, line numbers aside."""
    if (a.title, a.level, a.kind, len(a.items), len(a.sections)) != (
        b.title,
        b.level,
        b.kind,
        len(b.items),
        len(b.sections),
    ):
        return False
    order_a = [isinstance(n, Item) for n in _in_order(a)]
    order_b = [isinstance(n, Item) for n in _in_order(b)]
    if order_a != order_b:
        return False
    if any(not _same_item(x, y) for x, y in zip(a.items, b.items, strict=True)):
        return False
    return all(_same_shape(x, y) for x, y in zip(a.sections, b.sections, strict=True))


def _in_order(section: Section) -> list[Item | Section]:
    children: list[Item | Section] = [*section.items, *section.sections]
    children.sort(key=lambda node: node.line)
    return children


def _same_item(a: Item, b: Item) -> bool:
    if (a.kind, a.text, a.checked, a.info, len(a.children)) != (b.kind, b.text, b.checked, b.info, len(b.children)):
        return False
    return all(_same_item(x, y) for x, y in zip(a.children, b.children, strict=True))


def _title(section: Section | None) -> str:
    return "" if section is None or section.title is None else section.title


def _title_key(section: Section | None) -> str:
    return match.normalize(_title(section)).casefold()


def _plurality(votes: Counter[_Key], default: _Key) -> _Key:
    """The most common key; ``default`` when it is among the tied, else the smallest tied key."""
    if not votes:
        return default
    best = max(votes.values())
    tied = [key for key, count in votes.items() if count == best]
    if default in tied:
        return default
    return min(tied)


def _consensus_order(
    keys: list[tuple[str, int]],
    sequences: Sequence[Sequence[tuple[str, int]]],
    fallback: dict[tuple[str, int], tuple[float, int, int]],
) -> list[tuple[str, int]]:
    """Order ``keys`` as the inputs agree.

    Repeatedly take a key that no remaining key precedes in more inputs than follow it (nothing
    the inputs put before it is left), preferring the one that comes before most of the rest (a
    Copeland count); when every key has such a predecessor (the inputs disagree in a cycle), the
    best Copeland count goes first. Keys no input ranks against each other keep their
    ``fallback`` order (mean relative position, then first input, then line). One input's order
    is reproduced exactly.

    The count looks at every pair in every input, which grows with the square of a section's
    length; past ORDER_PAIR_BUDGET pairs the ``fallback`` order alone is used (still exact for
    one input, and proportional interleaving for several).
    """
    if sum(len(s) * (len(s) - 1) // 2 for s in sequences) > ORDER_PAIR_BUDGET:
        return sorted(keys, key=lambda key: (fallback[key], key))
    before: dict[tuple[tuple[str, int], tuple[str, int]], int] = {}
    for sequence in sequences:
        for n, a in enumerate(sequence):
            for b in sequence[n + 1 :]:
                before[(a, b)] = before.get((a, b), 0) + 1
    # Net margins per pair, kept up to date as keys are taken: only the keys some input ranks
    # against the taken one change, so the work follows the pairs, not n^2.
    margins: dict[tuple[tuple[str, int], tuple[str, int]], int] = {}
    for (a, b), count in before.items():
        pair, sign = ((a, b), 1) if a < b else ((b, a), -1)
        margins[pair] = margins.get(pair, 0) + sign * count
    score = dict.fromkeys(keys, 0)
    beaten = dict.fromkeys(keys, 0)
    against: dict[tuple[str, int], list[tuple[tuple[str, int], int]]] = {}
    for (a, b), margin in margins.items():
        if not margin:
            continue
        score[a] += margin
        score[b] -= margin
        beaten[b if margin > 0 else a] += 1
        against.setdefault(a, []).append((b, margin))
        against.setdefault(b, []).append((a, -margin))

    def rank(key: tuple[str, int]) -> tuple[bool, int, tuple[float, int, int], tuple[str, int]]:
        return (beaten[key] > 0, -score[key], fallback[key], key)

    heap = [rank(key) for key in keys]
    heapq.heapify(heap)
    taken: set[tuple[str, int]] = set()
    out: list[tuple[str, int]] = []
    while heap:
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
    return out


def _prose(description: str) -> str:
    """A description without its ``<example>`` blocks and the ``Examples:`` label before them."""
    cut = description.lower().find("<example>")
    text = description if cut < 0 else description[:cut]
    text = text.rstrip()
    for label in ("examples:", "example:", "for example:"):
        if text.lower().endswith(label):
            text = text[: -len(label)].rstrip()
    return text


def _names(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _value_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _readable_order(children: list[MergedItem | _Draft]) -> list[MergedItem | _Draft]:
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


def _walk_merged(section: MergedSection) -> Iterable[MergedItem]:
    for item in section.items:
        yield from _walk_item(item)
    for sub in section.sections:
        yield from _walk_merged(sub)


def _walk_item(item: MergedItem) -> Iterable[MergedItem]:
    yield item
    for child in item.children:
        yield from _walk_item(child)
