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

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from agentmerge import match
from agentmerge.fields import (
    ALWAYS_APPLY_KEY,
    CHANGED_KEYS,
    EVERY_TOOL,
    PROSE_KEYS,
    SET_KEYS,
    TOOL_KEYS,
    ToolReading,
    beyond,
    description_prose,
    example_key,
    names,
    reaches_every_tool,
    read_tools,
    rule_of,
    same_value,
    value_text,
)
from agentmerge.lexicon import CONDITION_WORDS, EXCEPTION_WORDS, PITFALLS_ROLE, PROACTIVE_PHRASES, WALLED_ROLES
from agentmerge.model import PROSE_KINDS, Agent, Diagnostic, Example, Field, Item
from agentmerge.pairing import BodyPairing, ItemUnit, Units, markup, rewordings_unpaired, walled
from agentmerge.parse import spelled_value
from agentmerge.text import (
    CONTRADICTION_OVERLAP,
    choices,
    clip,
    clipped_apart,
    counted,
    destinations,
    first_clause,
    forbids,
    hidden_text,
    item_role,
    limit_change,
    named,
    negated,
    negation_put,
    normalize,
    obligation_change,
    only_put,
    opposed,
    opposite_polarity,
    opposite_sense,
    other_choice,
    override_request,
    prohibition_put,
    quantifier_change,
    section_role,
    table_cells,
    table_row_form,
    terms,
    turned_down,
    unchosen_terms,
    unencrypted,
    unrendered,
    unspaced_class,
    words,
)

ChangeOp = Literal["added", "removed", "reworded", "moved"]
FieldOp = Literal["added", "removed", "changed", "reworded"]
SegmentOp = Literal["equal", "delete", "insert"]

_UNSPACED = unspaced_class()
_TOKEN_RE = re.compile(rf"\s+|[{_UNSPACED}]|(?:(?![{_UNSPACED}])[\w'’])+|[^\w\s]")
"""A redline's tokens: spaces, a character of a script written without spaces (``UNSPACED``),
a word, a mark."""


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
    level: int | None = None
    """For a section change, the heading's level (the number of ``#``); None for a pseudo-heading
    (``**Label:**``), the top of the file and items."""


LineOp = Literal["-", "+", " "]


@dataclass(frozen=True, slots=True)
class BlockLine:
    """One line of a code block, table or HTML block (an ``<example>``) in a line diff of the block."""

    op: LineOp
    """``-`` only in the old block, ``+`` only in the new one, `` `` in both (context)."""
    text: str
    """The line as written (the new side's for a context line), without its line break."""
    old_line: int | None
    """1-based line in the old file; None for an added line."""
    new_line: int | None
    """1-based line in the new file; None for a removed line."""


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
    lines: tuple[BlockLine, ...] = ()
    """For a code block, table or HTML block (an ``<example>``): the lines of the block that
    changed, unified-diff style with a few unchanged lines around each run, numbered as in the
    files; every line for an added or removed block. Empty for other items and for sections."""
    within: Literal["old", "new"] | None = None
    """For a move of words rather than of an item: the side whose item is a longer one that holds
    the other side's item word for word (a list turned into prose: ``new``; a paragraph split
    into a list: ``old``). That longer item is reported on its own, as added, removed or
    reworded. None for every other change."""
    same_section: bool | None = None
    """For a move: whether the item stands in the section it stood in (the section paired, its
    title perhaps reworded: a numbered step reordered), or the section under the parent it stood
    under; False when it moved to another section. None for every other change."""

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
    part: Literal["value", "text", "example", "quoting", "spelling"] = "value"
    """value: the whole value; text: the description without its examples; example: one
    ``<example>`` block of the description, compared as a member of a set; quoting: the same
    value quoted or unquoted, for a key the tool reads as the rest of its line (a Cursor rule's
    ``globs``), old and new as written; spelling: a value this parser reads alike written in a
    spelling that YAML readers of another version read otherwise (``enabled: yes`` and
    ``enabled: true``, ``version: 1.10`` and ``version: 1.1``), old and new as written."""
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
    widened_names: tuple[str, ...] = ()
    """For a set-valued key, the names by which it widens (``_widening_names``): added names
    the old value did not reach, or names a deny list no longer reaches."""
    details: tuple[str, ...] = ()
    """For nested values, one line per difference inside the value (from deepdiff)."""
    old_written: str | None = None
    """The old value as the file writes it, when it is written in a spelling YAML readers of
    another version read otherwise (``retries: 010``: 8 here and to YAML 1.1, 10 to YAML 1.2;
    ``parse.spelled_value``); None otherwise. The reports show it in place of the value read."""
    new_written: str | None = None
    """The new value as the file writes it, likewise."""


AttentionKind = Literal[
    "hidden",
    "injection",
    "link",
    "widened",
    "permissions",
    "destination",
    "model",
    "scope",
    "polarity",
    "contradiction",
    "obligation",
    "number",
    "choice",
    "safety",
]
"""The kinds of Attention, in the order a capped list of them shows them first (``review``'s
Markdown): text a reader does not see and what the agent may now do before the rest."""


@dataclass(frozen=True, slots=True)
class Attention:
    """A change a reviewer must not miss: it widens what the agent may do or changes its model,
    flips an instruction's polarity, or removes a safety instruction."""

    kind: AttentionKind
    """injection (words that ask the model to set aside its other instructions:
    ``text.override_request``), widened (tools, skills, a deny list, ``globs``,
    ``alwaysApply``), model, permissions (permission mode, MCP servers, hooks), destination (a
    host or an e-mail address the old file did not name, or a link that no longer encrypts:
    ``text.destinations``), polarity (an instruction that now says the opposite),
    contradiction (an instruction added or reworded that says the opposite of another the new
    file holds: ``text.opposed``), obligation (one that binds more or less: "must" to
    "should"), number (a number or a bound of one changed: "within 1 hour" to "within 1 day",
    "at most 3" to "at least 3", ``text.limit_change``), choice (one that now picks another
    alternative: tabs for spaces), safety (a
    pitfall or a checklist gate removed), scope (a Cursor rule's ``globs`` now quoted, which the tool reads
    as part of the pattern: the rule applies to no file; an instruction's "only" put in or taken
    out, ``text.only_put``) or hidden (text a reader does not see
    came in: Unicode tag characters, a bidi control or zero-width characters, ``text.hidden_text``;
    in prose or HTML, an HTML comment or HTML set not to show, ``text.unrendered``); ``review`` adds
    link (an agent file that is now a symbolic link: the tool that loads it reads the file it
    leads to, which the review does not) and scope for a file renamed to a path that makes it
    another kind of file, or none (``review._read_otherwise``)."""
    message: str
    """One sentence saying what changed, as every report shows it."""
    line: int | None
    """1-based line of the change in the new file, or in the old one for a removal; None when
    the frontmatter key has no line."""
    key: str | None = None
    """The frontmatter key, for frontmatter changes; None for the body."""


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
    attention: tuple[Attention, ...] = ()
    """The changes a reviewer must not miss (``Attention``): frontmatter first, then the body in
    the order of ``changes``."""

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


def diff_agents(
    old: Agent, new: Agent, *, threshold: float | None = None, budget: match.PairBudget | None = None
) -> DiffResult:
    """Compare two agents and return their semantic differences.

    ``threshold`` is the least similarity (0 to 1) at which two items in paired sections are one
    reworded instruction; it defaults to ``match.ITEM_CUTOFF``. ``budget`` bounds the pairs of
    items weighed in full, shared with other diffs (``match.PairBudget``; one review's files).
    """
    cutoff = match.ITEM_CUTOFF if threshold is None else match.validate_cutoff(threshold)
    pairing = BodyPairing(old.body, new.body, cutoff, budget)
    body = _BodyDiff(pairing, old.fields)
    frontmatter = tuple(
        diff_frontmatter(
            old.fields,
            new.fields,
            new_exists=not _is_empty(new),
            old_exists=not _is_empty(old),
            verbatim=_verbatim_requoted(old, new),
            tool=_tool_reading(old, new),
        )
    )
    changes = body.changes()
    return DiffResult(
        old_path=old.path,
        new_path=new.path,
        frontmatter=frontmatter,
        changes=changes,
        threshold=cutoff,
        warnings=(*old.warnings, *new.warnings, *rewordings_unpaired(pairing, new.path, old.path)),
        attention=(
            *_frontmatter_attention(frontmatter, both_exist=not _is_empty(old) and not _is_empty(new)),
            *body.attention(changes),
        ),
    )


def _hidden_in(new: str, old: str, line: int | None, key: str | None, kind: str | None = None) -> Iterator[Attention]:
    """What ``new`` holds that a reader does not see (``text.hidden_text``; of an item of prose or
    HTML or a heading, of ``kind``, also what the rendered file does not show,
    ``text.unrendered``: an HTML comment; a code block shows its comments as they are) and
    ``old`` did not: an attention of kind hidden each, for a frontmatter ``key``, an item or a
    heading."""

    def hidden(text: str) -> list[tuple[int, str]]:
        if kind is None or kind == "code":
            return hidden_text(text)
        return hidden_text(text) + unrendered(text, html=kind == "html")

    before = {what for _, what in hidden(old)}
    for _, what in hidden(new):
        if what not in before:
            where = f"{key}: " if key else ""
            yield Attention("hidden", f"{where}{what}", line, key)


def _override_in(new: str, old: str, line: int | None, key: str | None) -> Iterator[Attention]:
    """An attention of kind injection when ``new`` asks the model to set aside its other
    instructions (``text.override_request``: "Ignore all previous instructions") and ``old`` did
    not, for a frontmatter ``key``, an item or a heading; a file added with it too."""
    found = override_request(new)
    if found and not override_request(old):
        where = f"{key}: " if key else ""
        message = f'{where}asks the model to set aside its instructions, "{found}": {_quote_around(new, found)}'
        yield Attention("injection", message, line, key)


def _verbatim_requoted(old: Agent, new: Agent) -> tuple[str, ...]:
    """The keys whose value is quoted on one side only, among those both files' formats read as
    the rest of the line (``formats.Format.verbatim_keys``): the quotes are part of the value
    there, whether the value changed besides or not."""
    after = {f.key: f for f in new.fields}
    requoted = [f.key for f in old.fields if f.key in after and bool(f.quote) != bool(after[f.key].quote)]
    if not requoted:
        return ()
    from agentmerge.formats import verbatim_keys  # only then: most diffs never load the format table

    keys = verbatim_keys([old.path, new.path])
    return tuple(key for key in requoted if key in keys)


def _tool_reading(old: Agent, new: Agent) -> ToolReading | None:
    """How both files' tool reads a tool name (``formats.port_reading``), asked only when a tool
    list differs between them: a Copilot agent reads ``Grep`` as its ``search``, and a Claude Code
    agent ported to Copilot reads as the port does."""
    after = {f.key: f.value for f in new.fields if f.key in TOOL_KEYS}
    if not any(f.key in after and not same_value(f.value, after[f.key]) for f in old.fields):
        return None
    from agentmerge.formats import port_reading  # only then: most diffs never load the format table

    return port_reading([old.path, new.path])


def _is_empty(agent: Agent) -> bool:
    """Whether ``agent`` is no file at all: absent (``/dev/null``) or empty, without frontmatter."""
    return not agent.has_frontmatter and not agent.body.items and not agent.body.sections


class _BodyDiff:
    """Lists the changes between two bodies from how they pair."""

    def __init__(self, pairing: BodyPairing, old_fields: tuple[Field, ...] = ()) -> None:
        self.old_fields = old_fields  # read for the hosts and addresses they name
        self.old = pairing.old
        self.new = pairing.new
        self.section_pair = pairing.sections
        self.section_back = {n: o for o, n in self.section_pair.items()}
        self.item_pair, self.item_score = pairing.items, pairing.item_scores
        self.out_of_order = self._out_of_order()
        self.within = self._within()
        self._old_at: dict[tuple[int, str], ItemUnit] | None = None
        self._forbidden: dict[str, list[set[str]]] | None = None
        """The terms of each new instruction that forbids, by each of its terms (``_still_forbidden``)."""
        self.work = match.WorkBudget(match.DIFF_ALIGN_WORK)
        """What the redlines of this diff may still spend on aligning words."""

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

    # -- changes ------------------------------------------------------------------------------

    def changes(self) -> tuple[Change, ...]:
        """Every change, listed section by section in new-file order: a section's own change
        (reworded, moved, added, removed) first, then its items' changes by line.

        A removal is listed where it stood: under the new form of its section, or, when its
        section is gone, just after that section's nearest surviving predecessor.
        """
        anchor = self._anchors()
        found: list[tuple[tuple[float, int, bool, int, float, int], Change]] = []
        for change in (*self._section_changes(), *self._item_changes()):
            group = float(change.context_line) if not change.context_removed else anchor(change.context_line)
            if change.new is not None:
                where = float(change.new.line)
            else:
                assert change.old is not None
                where = anchor(change.old.line)
            # The top of the file comes before a first heading on the line it starts on; in a
            # section, the section's own change comes before its items'.
            titled = change.context is not None
            order = 0 if change.kind == "section" else 1
            key = (group, change.context_line, titled, order, where, change.old.line if change.old else 0)
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
        """Where a removed node goes in new-file order: just after its nearest paired predecessor
        that stayed in place. One that moved elsewhere says nothing of where the removal stood:
        the item after one moved to another section is listed under its own section."""
        # The tops of the files pair too: a removal with nothing paired before it follows the
        # changes at the top of the new file rather than opening the report.
        moved_sections, moved_items = self.out_of_order
        known: list[tuple[int, int]] = []
        for o, n in self.section_pair.items():
            if o not in moved_sections:
                known.append((self.old.sections[o].line, self.new.sections[n].line))
        for i, j in self.item_pair.items():
            if i not in moved_items:
                known.append((self.old.items[i].item.line, self.new.items[j].item.line))
        known.sort()
        return _Anchor(known)

    # -- what moved ----------------------------------------------------------------------------

    def _out_of_order(self) -> tuple[set[int], set[int]]:
        """(old sections, old items) that changed place relative to their neighbours.

        Every paired heading and item stands somewhere in its document; the longest run of pairs
        in the same order on both sides stayed put, as difflib aligns lines. Only units outside it
        moved: a heading inserted, removed, renamed or demoted above unchanged text leaves that
        text where it was. Unchanged units are kept first, then headings, so the move is put on
        what also changed, and on an item that crossed a heading rather than on the heading.
        """
        old, new = self.old, self.new
        pairs: list[tuple[int, int]] = []
        unit_of: dict[tuple[int, int], tuple[str, int]] = {}
        preferred: set[tuple[int, int]] = set()
        favoured: set[tuple[int, int]] = set()
        sizes: dict[tuple[int, int], int] = {}
        for o, n in self.section_pair.items():
            if o == 0:
                continue
            pair = (old.section_position[o], new.section_position[n])
            pairs.append(pair)
            unit_of[pair] = ("section", o)
            favoured.add(pair)
            sizes[pair] = old.section_lines[o] + new.section_lines[n]
            if self._same_title(o, n):
                preferred.add(pair)
        for i, j in self.item_pair.items():
            pair = (old.item_position[i], new.item_position[j])
            pairs.append(pair)
            unit_of[pair] = ("item", i)
            sizes[pair] = old.item_lines[i] + new.item_lines[j]
            if old.items[i].key == new.items[j].key:
                preferred.add(pair)
        # Units weigh by their lines on both sides (the same whichever side is old).
        kept = match.longest_common_order(pairs, preferred, favoured, sizes)
        sections: set[int] = set()
        items: set[int] = set()
        for pair in pairs:
            if pair not in kept:
                kind, number = unit_of[pair]
                (sections if kind == "section" else items).add(number)
        return sections, items

    def _section_moved(self, o: int) -> bool:
        """Whether old section ``o`` is reported as moved: out of order, and not carried along by
        its parent section's own move (a unit moved with its section is that section's move)."""
        if o not in self.out_of_order[0]:
            return False
        parent = self.old.parent[o]
        new_parent = self.new.parent[self.section_pair[o]]
        return not (parent in self.out_of_order[0] and self.section_pair.get(parent) == new_parent)

    def _item_moved(self, i: int) -> bool:
        """Whether old item ``i`` is reported as moved: out of order and not carried along by
        the item or section it stands in; bullets and paragraphs that only changed their order
        within one section are not a change (numbered steps are)."""
        if i not in self.out_of_order[1]:
            return False
        old, new = self.old, self.new
        j = self.item_pair[i]
        parent, new_parent = old.item_parent[i], new.item_parent[j]
        if parent >= 0:
            if parent in self.out_of_order[1] and self.item_pair.get(parent) == new_parent:
                return False
        elif new_parent < 0:
            section = old.items[i].section
            if section in self.out_of_order[0] and self.section_pair.get(section) == new.items[j].section:
                return False
        same_place = self.section_pair.get(old.items[i].section) == new.items[j].section and (
            (parent < 0 and new_parent < 0) or (parent >= 0 and self.item_pair.get(parent) == new_parent)
        )
        steps = old.items[i].item.kind == "ordered" and new.items[j].item.kind == "ordered"
        return not same_place or steps

    def _within(self) -> dict[tuple[str, int], int]:
        """Unpaired items whose text stands word for word inside a longer item of the other side
        that is new text there (unpaired or edited): a list turned into prose, or back.

        Keys are ("old", item) or ("new", item); the value is the number of the longer item on
        the other side. Such an item is not removed (or added): its words are still in the file.
        """
        old, new = self.old, self.new
        paired_new = {j: i for i, j in self.item_pair.items()}
        found: dict[tuple[str, int], int] = {}

        def partner_of_new(j: int) -> ItemUnit | None:
            return old.items[paired_new[j]] if j in paired_new else None

        def partner_of_old(i: int) -> ItemUnit | None:
            return new.items[self.item_pair[i]] if i in self.item_pair else None

        sides = (
            ("old", old, [i for i in range(len(old.items)) if i not in self.item_pair], new, partner_of_new),
            ("new", new, [j for j in range(len(new.items)) if j not in paired_new], old, partner_of_old),
        )
        for name, units, loose, other, partner in sides:
            texts = ((n, units.items[n].item) for n in loose)
            sought = [(n, _Words(item.text)) for n, item in texts if item.kind not in BLOCK_KINDS]
            sought = [(n, said) for n, said in sought if said.size >= WITHIN_MIN_CLAUSE_WORDS]
            if not sought:
                continue
            # A container is new text on its side (an item unpaired or edited there), longer than
            # the shortest text sought: no other can hold one.
            shortest = min(said.size for _, said in sought)
            containers = _Containers()
            for k, u in enumerate(other.items):
                mate = partner(k)
                if u.item.kind in BLOCK_KINDS or (mate is not None and mate.key == u.key):
                    continue
                holder = _Words(u.item.text)
                if holder.size > shortest:
                    containers.add(k, holder, _Words(mate.item.text) if mate else None)
            for n, said in sought:
                for k, holder, before in containers.that_may_hold(said):
                    # The words came into the longer item in this change: its partner lacks them
                    # (a bullet that only grew still holds the words a new short bullet repeats).
                    if holder.size > said.size and holder.holds(said) and not (before and before.holds(said)):
                        found[name, n] = k
                        break
        return found

    # -- changes, continued ---------------------------------------------------------------------

    def _section_changes(self) -> Iterator[Change]:
        old, new = self.old, self.new
        for o in range(len(old.sections)):
            if o == 0:
                continue
            n = self.section_pair.get(o)
            if n is None:
                yield Change("removed", "section", _section_side(old, o), None, **self._context(o, None))  # type: ignore[arg-type]
                continue
            renamed = not self._same_title(o, n)
            old_side, new_side = _section_side(old, o), _section_side(new, n)
            relevelled = old_side.level is not None and new_side.level is not None and old_side.level != new_side.level
            moved = self._section_moved(o)
            if not renamed and not moved and not relevelled:
                continue
            yield Change(
                "moved" if moved else "reworded",
                "section",
                old_side,
                new_side,
                similarity=round(match.similarity(old_side.text, new_side.text), 3) if renamed else 1.0,
                redline=redline(old_side.text, new_side.text, work=self.work) if renamed else (),
                same_section=self._same_section(old.parent[o], new.parent[n]) if moved else None,
                **self._context(o, n),  # type: ignore[arg-type]
            )
        for n in range(1, len(new.sections)):
            if n not in self.section_back:
                yield Change("added", "section", None, _section_side(new, n), **self._context(None, n))  # type: ignore[arg-type]

    def _same_section(self, o: int, n: int) -> bool:
        """Whether old section ``o`` and new section ``n`` are one section (paired, whatever their titles)."""
        return self.section_pair.get(o) == n

    def _same_title(self, o: int, n: int) -> bool:
        return match.title_key(self.old.sections[o].title or "") == match.title_key(self.new.sections[n].title or "")

    def _item_changes(self) -> Iterator[Change]:
        old, new = self.old, self.new
        for i, unit in enumerate(old.items):
            j = self.item_pair.get(i)
            if j is None:
                into = self.within.get(("old", i))
                if into is not None:
                    yield self._within_change(
                        _side(old, i), _side(new, into), unit, unit.section, new.items[into].section, "new"
                    )
                    continue
                context = self._context(unit.section, None)
                yield Change(
                    "removed",
                    "item",
                    _side(old, i),
                    None,
                    item_kind=unit.item.kind,
                    lines=block_lines(unit.item, None),
                    **context,  # type: ignore[arg-type]
                )
                continue
            other = new.items[j]
            reworded = unit.key != other.key
            # A rule struck out says something else in the same words.
            marked = not reworded and markup(unit.item, emphasis=False) != markup(other.item, emphasis=False)
            edited = reworded or marked
            moved = self._item_moved(i)
            if not edited and not moved:
                continue
            a, b = _side(old, i), _side(new, j)
            score = 1.0 if not reworded else round(min(self.item_score[i], 0.999), 3)
            polarity: Literal["negated", "affirmed"] | None = None
            if edited and _flipped(a.text, b.text):
                polarity = "negated" if negated(b.text) else "affirmed"
            elif edited and limit_change(a.text, b.text) is None:  # "no more than 3" is a bound
                polarity = negation_put(a.text, b.text)
            yield Change(
                "moved" if moved else "reworded",
                "item",
                a,
                b,
                similarity=score,
                redline=(
                    redline(unit.item.text, other.item.text, marks=True, work=self.work)
                    if marked
                    else redline(_plain_text(unit.item), _plain_text(other.item), work=self.work)
                    if edited
                    else ()
                ),
                polarity=polarity,
                item_kind=other.item.kind,
                lines=block_lines(unit.item, other.item) if edited else (),
                same_section=self._same_section(unit.section, other.section) if moved else None,
                **self._context(unit.section, other.section),  # type: ignore[arg-type]
            )
        paired_new = set(self.item_pair.values())
        for j, unit in enumerate(new.items):
            if j in paired_new:
                continue
            out_of = self.within.get(("new", j))
            if out_of is not None:
                source = old.items[out_of].section
                yield self._within_change(_side(old, out_of), _side(new, j), unit, source, unit.section, "old")
                continue
            context = self._context(None, unit.section)
            yield Change(
                "added",
                "item",
                None,
                _side(new, j),
                item_kind=unit.item.kind,
                lines=block_lines(None, unit.item),
                **context,  # type: ignore[arg-type]
            )

    def _within_change(
        self, a: Side, b: Side, unit: ItemUnit, old_section: int, new_section: int, longer: Literal["old", "new"]
    ) -> Change:
        """The move of an item's words into (or out of) a longer item of the other side."""
        return Change(
            "moved",
            "item",
            a,
            b,
            similarity=1.0,
            item_kind=unit.item.kind,
            within=longer,
            same_section=self._same_section(old_section, new_section),
            **self._context(old_section, new_section),  # type: ignore[arg-type]
        )

    # -- what a reviewer must not miss -----------------------------------------------------------

    def attention(self, changes: Iterable[Change]) -> Iterator[Attention]:
        """Hidden text that came in (``_hidden_in``), what an edit changed of a rule
        (``_edit_call_out``: its polarity, sense, choice, obligation, numbers, scope) and removed
        safety instructions among ``changes``, in their order, then items whose words stayed but
        whose place under a pitfall title changed (``_pitfall_flips``).

        A removed item is a safety instruction when the matcher's role for it is a pitfall or a
        checklist gate (``text.item_role``): a line warning against something, or a box that
        had to be ticked. When the new side has no instruction left (a deleted file, a body
        emptied) one line counts them instead: listing every gate of a deleted checklist would
        push the other files' call-outs out of a review's capped list.
        """
        emptied = not self.new.items
        removed_safety: list[tuple[str, Side]] = []
        removed = 0
        for change in changes:
            if change.new is not None and change.op != "removed":
                old_text = change.old.text if change.old else ""
                kind = change.item_kind if change.kind == "item" else "heading"  # a title is Markdown too
                yield from _hidden_in(change.new.text, old_text, change.new.line, None, kind)
                yield from _override_in(change.new.text, old_text, change.new.line, None)
                if self.old.items:
                    yield from self._destinations_in(change.new, old_text)
            if change.kind != "item":
                continue
            if change.item_kind == "table" and not emptied:
                yield from _row_prohibitions_removed(change.lines)
            if change.old is not None and change.new is not None:
                found = _edit_call_out(change, change.old, change.new)
                if found is not None:
                    yield found
            elif change.op == "removed" and change.old is not None:
                removed += 1
                role = self._safety_role(change.old)
                if role is not None and emptied:
                    removed_safety.append((role, change.old))
                elif role is not None and not (role == PROHIBITION and self._still_forbidden(change.old.text)):
                    yield _safety_removed(role, change.old)
        if removed == 1 and removed_safety:
            # A body of one instruction emptied: that instruction, said as any removed one is.
            yield _safety_removed(*removed_safety[0])
        elif removed_safety:
            counts = Counter(role for role, _ in removed_safety)
            named = " and ".join(counted(counts[role], SAFETY_ROLES[role]) for role in SAFETY_ROLES if counts[role])
            message = f"all {removed} instructions removed, {named} among them"
            yield Attention("safety", message, removed_safety[0][1].line)
        yield from self._pitfall_flips()
        yield from self._contradictions()
        if not self.old.items:
            yield from self._destinations_of_new()

    def _destinations_in(self, new: Side, old_text: str) -> Iterator[Attention]:
        """A host or an e-mail address (``text.destinations``) that ``new`` names and no item,
        heading or frontmatter value of the old file did: where the agent now fetches from, pushes to or sends to,
        said as a change of the host or address the edited wording named before (``old_text``)
        when that one is gone, with the line that names it (of a code block, its line); and a
        host the wording linked to with encryption and now without (``text.unencrypted``)."""
        for host in sorted(unencrypted(new.text) - unencrypted(old_text)):
            if host in destinations(old_text):
                quote = _quote_around(new.text, host)
                yield Attention("destination", f"link no longer encrypted: {host}: {quote}", new.line)
        came = destinations(new.text) - self._old_destinations
        if not came:
            return
        gone = sorted(destinations(old_text) - destinations(new.text))
        for where in sorted(came):
            what = "address" if "@" in where else "host"
            was = next((w for w in gone if ("@" in w) == (what == "address")), None)
            said = f"{what} changed, {was} -> {where}" if was else f"new {what}: {where}"
            yield Attention("destination", f"{said}: {_quote_around(new.text, where)}", new.line)

    def _destinations_of_new(self) -> Iterator[Attention]:
        """For a file with no instruction before (a new one): one line naming the hosts and
        addresses its items name (``text.destinations``), in their order, at the first one's line."""
        found: dict[str, int] = {}
        for unit in self.new.items:
            for where in sorted(destinations(unit.item.text)):
                found.setdefault(where, unit.item.line)
        if found:
            addresses = sum("@" in where for where in found)
            hosts = len(found) - addresses
            kinds = []
            if hosts:
                kinds.append(counted(hosts, "host"))
            if addresses:
                kinds.append(f"{addresses:,} e-mail {'address' if addresses == 1 else 'addresses'}")
            what = " and ".join(kinds)
            yield Attention("destination", f"names {what}: {named(list(found))}", min(found.values()))

    @functools.cached_property
    def _old_destinations(self) -> frozenset[str]:
        """Every host and address the old file's items, headings and frontmatter values name
        (``text.destinations``)."""
        texts = [unit.item.text for unit in self.old.items]
        texts += [section.title for section in self.old.sections if section.title]
        texts += [str(f.value) for f in self.old_fields]
        return frozenset().union(*map(destinations, texts))

    def _contradictions(self) -> Iterator[Attention]:
        """Pairs of the new file's instructions that say opposite things of one act
        (``text.opposed``: "When deploying, always run the migrations first" and "..., never run
        ..."), one of them added or reworded by the change, that did not already as they were:
        a change that brings in a contradiction, which ``check``'s AM204 would find in the file.
        Pitfalls, checklist entries, triggers, examples and hand-offs (``lexicon.WALLED_ROLES``)
        state what they mirror in opposite words and are not read. By the later item's line;
        the pairs are found through shared terms, reading at most CONTRADICTION_READS postings,
        in a file of at most CONTRADICTION_ITEMS instructions."""
        new, old = self.new, self.old
        back = {j: i for i, j in self.item_pair.items()}
        leaves = [j for j, unit in enumerate(new.items) if unit.item.kind in PROSE_KINDS and not unit.item.children]
        changed = [j for j in leaves if j not in back or old.items[back[j]].key != new.items[j].key]
        if not changed or len(leaves) > CONTRADICTION_ITEMS:
            return iter(())
        postings: dict[str, list[int]] = {}
        term_sets: dict[int, set[str]] = {}
        for j in leaves:
            term_sets[j] = set(terms(new.items[j].item.text))
            for term in sorted(term_sets[j]):
                postings.setdefault(term, []).append(j)
        reads = CONTRADICTION_READS
        seen: set[tuple[int, int]] = set()
        found: list[Attention] = []

        def rarity(term: str) -> tuple[int, str]:
            return len(postings[term]), term

        for j in changed:
            text, own = new.items[j].item.text, term_sets[j]
            picks = choices(text)
            # Two wordings opposed in their terms share most of them (CONTRADICTION_OVERLAP), so
            # one of this one's rarest few is the other's: only their postings are read. Two
            # picks of one choice share every term but the choices': the rarest of those too.
            rarest = sorted(own, key=rarity)
            keys = set(rarest[: len(own) - math.ceil(CONTRADICTION_OVERLAP * len(own)) + 1])
            if picks:
                rest = unchosen_terms(text) & own
                keys |= {min(rest, key=rarity)} if rest else own
            candidates: set[int] = set()
            for term in sorted(keys):
                reads -= len(postings[term])
                candidates.update(postings[term])
            if reads < 0:
                break
            for k in sorted(candidates - {j}):
                pair = (min(j, k), max(j, k))
                if pair in seen:
                    continue
                seen.add(pair)
                other, theirs = new.items[k].item.text, term_sets[k]
                alike = len(own & theirs) >= CONTRADICTION_OVERLAP * len(own | theirs)
                if not (alike or (picks and choices(other))) or opposed(text, other) is None:
                    continue
                if j in back and k in back and opposed(old.items[back[j]].item.text, old.items[back[k]].item.text):
                    continue  # as they were, they said opposite things already
                if walled(new, new.items[j]) or walled(new, new.items[k]):
                    continue
                (first_line, first), (line, second) = sorted(
                    (new.items[n].item.line, new.items[n].item.text) for n in pair
                )
                quote_a, quote_b = clipped_apart(normalize(first), normalize(second), QUOTE_WIDTH)
                found.append(
                    Attention("contradiction", f'contradicts L{first_line}: "{quote_a}" and "{quote_b}"', line)
                )
        return iter(sorted(found, key=lambda a: a.line or 0))

    def _pitfall_flips(self) -> Iterator[Attention]:
        """Items whose words stayed as they were (their polarity too) but that now stand under a
        title that names pitfalls, or no longer do: under "Don't" the same words forbid what they
        asked for under "Do". Whether the item moved, its heading moved or was renamed, by new line."""
        old, new = self.old, self.new
        # Only an item whose titles changed can have come under a pitfall title or left one; the
        # others never ask a title's role (compiling the role patterns costs a diff's start-up).
        retitled: dict[tuple[int, int], bool] = {}
        found = []
        for i, j in self.item_pair.items():
            a, b = old.items[i], new.items[j]
            places = (a.section, b.section)
            if places not in retitled:
                retitled[places] = old.titles(a.section) != new.titles(b.section)
            if not retitled[places] or negated(a.item.text) != negated(b.item.text):
                continue  # under the same titles; or a flip in the words, which the change reports
            forbade, forbids = _under_pitfalls(old, a), _under_pitfalls(new, b)
            if forbade != forbids and not negated(b.item.text):
                verdict = "now forbidden" if forbids else "no longer forbidden"
                where = new.sections[b.section].title or "the top of the file"
                message = f'polarity flipped, {verdict} under "{where}": {_quote(b.item.text)}'
                found.append(Attention("polarity", message, b.item.line))
        return iter(sorted(found, key=lambda a: a.line or 0))

    def _still_forbidden(self, text: str) -> bool:
        """Whether an instruction of the new file forbids what ``text`` did, in all its terms and
        more, with no condition or exception ``text`` did not have: "Never push to main." and
        "Never force-push." joined into "Never push or force-push to main." take nothing away;
        "Never force-push unless asked" would."""
        if self._forbidden is None:
            # Built once, when a removed prohibition is first read.
            self._forbidden = {}
            for unit in self.new.items:
                if unit.item.kind in PROSE_KINDS | {"quote"} and forbids(unit.item.text):
                    own = set(terms(unit.item.text)) | _ESCAPES.intersection(words(unit.item.text))
                    for term in own:
                        self._forbidden.setdefault(term, []).append(own)
        forbidden, wanted = self._forbidden, set(terms(text))
        if not wanted:
            return False
        escapes = _ESCAPES.intersection(words(text))
        rarest = min(wanted, key=lambda term: (len(forbidden.get(term, ())), term))
        return any(wanted <= own and own & _ESCAPES <= escapes for own in forbidden.get(rarest, ()))

    def _safety_role(self, side: Side) -> str | None:
        """The safety role (a SAFETY_ROLES key) of the removed item at ``side``, or None."""
        if self._old_at is None:
            # Built once: a deleted file removes every item, and each is looked up here.
            self._old_at = {}
            for each in self.old.items:
                self._old_at.setdefault((each.item.line, each.item.text), each)
        unit = self._old_at.get((side.line, side.text))
        if unit is None:
            return None
        return _safety_role(self.old, unit)


def _safety_role(units: Units, unit: ItemUnit) -> str | None:
    """The safety role (a SAFETY_ROLES key) of ``unit`` of ``units``, or None: a pitfall or a
    checklist gate by the matcher's roles, else an instruction that forbids (``text.negated``:
    "Never delete production data", under "Safety", "Rules" or any title but one of triggers,
    examples or hand-offs, ``lexicon.WALLED_ROLES``: "Do not use this agent for CSS questions"
    under "When to use" says when to call the agent), in prose or a quote ("> Never store tokens
    in plain text")."""
    titles = units.titles(unit.section)
    role = None
    # ``item_role`` names a pitfall or gate only for a task box or under a title of that role;
    # without either, the matcher's module need not load (it costs the diff's start-up).
    if unit.item.kind == "task" or any(section_role(t) in SAFETY_ROLES.keys() | WALLED_ROLES for t in titles if t):
        role = item_role(titles, unit.item.kind, unit.item.text)
    if role in SAFETY_ROLES:
        return role
    if role in WALLED_ROLES or unit.item.kind not in PROSE_KINDS | {"quote"}:
        return None  # a trigger, an example or a hand-off says what it mirrors in other words
    return PROHIBITION if negated(unit.item.text) else None


CONTRADICTION_ITEMS = 500
"""Most instructions a new file may hold for ``diff`` to read it for a contradiction a change
brought in (every agent file of the corpus holds at most 331): reading one indexes the terms of
every instruction, which a review of forty files of a thousand instructions each paid forty
times (0.6 CPU s of 6.5)."""

CONTRADICTION_READS = 10_000
"""Most postings (an instruction that has one of the rarest terms of an added or reworded one)
``diff`` reads for a contradiction a change brought in. Every agent file of the corpus, diffed
as new (each of its instructions added), reads at most 1,840 (a median of 109); a file of
thousands of instructions in a few dozen words stops there, the call-outs found kept (a review
of forty such files read 500,000 postings each before the rarest terms were the keys: 4 CPU s)."""


def _under_pitfalls(units: Units, unit: ItemUnit) -> bool:
    """Whether ``unit`` stands under a title that names pitfalls (``text.item_role``)."""
    return _safety_role(units, unit) == PITFALLS_ROLE


_ESCAPES = frozenset(CONDITION_WORDS) | frozenset(EXCEPTION_WORDS)
"""Words that open a condition or an exception: a prohibition that gained one forbids less."""

PROHIBITION = "prohibition"
"""The safety role of an instruction that forbids, whatever its title's role (``_safety_role``)."""

SAFETY_ROLES = {PITFALLS_ROLE: "pitfall", "gates": "checklist gate", PROHIBITION: "prohibition"}
"""The roles of instructions whose removal a review calls out, with what one of them is called:
the matcher's pitfalls and checklist gates, and prohibitions."""

BLOCK_KINDS = frozenset({"code", "table", "html"})
"""Item kinds diffed line by line: code blocks, tables and HTML blocks such as ``<example>``."""

WITHIN_MIN_WORDS = 4
"""Fewest words an unpaired item must have to be found anywhere inside a longer item of the other
side; shorter texts stand inside unrelated sentences by chance."""

WITHIN_MIN_CLAUSE_WORDS = 2
"""Fewest words an item must have to be found inside a longer item as a clause of its own
(between sentence or list punctuation): "Port numbers." in "API keys. Port numbers. Flags."."""

_CLAUSE_SPLIT_RE = re.compile(r"\s*[.;:,!?]+(?:\s+|$)|\s+[-\u2013\u2014]\s+")


class _Words:
    """A text's words and clauses, for finding a short item inside a longer one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = words(text)
        self.size = len(self.words)
        self.joined = f" {' '.join(self.words)} "

    @functools.cached_property
    def word_set(self) -> frozenset[str]:
        """The text's words, as a set."""
        return frozenset(self.words)

    @functools.cached_property
    def clauses(self) -> str:
        """The text's clauses (``_clauses``), split only when a short item is looked for."""
        return _clauses(self.text)

    def holds(self, other: _Words) -> bool:
        """Whether ``other`` stands in this text: four words or more in a row say it; fewer
        must stand as clauses of their own."""
        if other.size >= WITHIN_MIN_WORDS:
            return other.joined in self.joined
        return other.clauses in self.clauses


class _Containers:
    """The longer items a short one may stand in, indexed so that finding them stays linear.

    A text of WITHIN_MIN_WORDS words or more stands in a container only where its first words
    do, in a row; a shorter one only where its first clause is a clause of the container. Each
    index gives the containers in the order they were added, so the first that holds an item is
    the one a scan of them all would find.
    """

    def __init__(self) -> None:
        self.items: list[tuple[int, _Words, _Words | None]] = []
        self._runs: dict[tuple[str, ...], list[int]] = {}
        self._clauses: dict[str, list[int]] | None = None

    def add(self, key: int, holder: _Words, before: _Words | None) -> None:
        """Add the container ``holder`` (item ``key``), and its text before the change, if any."""
        index = len(self.items)
        self.items.append((key, holder, before))
        text = holder.words
        runs = (tuple(text[k : k + WITHIN_MIN_WORDS]) for k in range(len(text) - WITHIN_MIN_WORDS + 1))
        for run in dict.fromkeys(runs):
            self._runs.setdefault(run, []).append(index)

    def that_may_hold(self, said: _Words) -> Iterator[tuple[int, _Words, _Words | None]]:
        """The containers that may hold ``said``, in order; ``_Words.holds`` decides."""
        if said.size >= WITHIN_MIN_WORDS:
            found: Iterable[int] = self._runs.get(tuple(said.words[:WITHIN_MIN_WORDS]), ())
        else:
            if self._clauses is None:
                # Split the containers into clauses only once a short item asks.
                self._clauses = {}
                for index, (_, holder, _) in enumerate(self.items):
                    for clause in dict.fromkeys(holder.clauses.split("|")):
                        self._clauses.setdefault(clause, []).append(index)
            found = self._clauses.get(said.clauses.split("|")[1], ())
            # Its words are the container's too, as the longer form requires.
            found = [i for i in found if said.word_set <= self.items[i][1].word_set]
        return (self.items[i] for i in found)


def _clauses(text: str) -> str:
    """A text as its clauses, each in compare form, one ``|`` apart and around: what a short item
    must match whole to be found inside a longer one."""
    parts = (" ".join(words(part)) for part in _CLAUSE_SPLIT_RE.split(normalize(text)))
    return "|" + "|".join(part for part in parts if part) + "|"


QUOTE_WIDTH = 80
"""Characters of an instruction quoted in an attention message before it is cut."""


def _side(units: Units, item: int) -> Side:
    """Where item number ``item`` stands."""
    unit = units.items[item]
    section = units.sections[unit.section]
    return Side(unit.item.line, unit.item.text, section.title, section.line, unit.item.checked)


def _section_side(units: Units, index: int) -> Side:
    """Where section number ``index`` stands: its heading line and title, and its parent."""
    section = units.sections[index]
    parent = units.sections[units.parent[index]] if units.parent[index] >= 0 else section
    level = section.level if section.kind == "heading" else None
    return Side(section.line, section.title or "", parent.title, parent.line, level=level)


def _flipped(old: str, new: str) -> bool:
    """Whether ``new`` turns ``old`` round: one opens forbidding, the other asking
    (``opposite_polarity``), the one asking forbids in no other clause either ("Never share
    credentials" to "Keep credentials to yourself; do not share them" flips nothing), and it
    keeps the words of the clause that forbade ("Never log secrets" to "Log secrets to the
    vault"), not as an alternative it turns down ("Never push to main" to "Open a pull request
    instead of pushing to main" flips nothing). A clause that forbade taken out whole is a
    prohibition taken out (``_edit_reading``)."""
    if not opposite_polarity(old, new):
        return False
    forbidding, asking = (old, new) if negated(old) else (new, old)
    forbidden = set(terms(first_clause(forbidding)))
    if forbids(asking) or not forbidden <= set(terms(asking)):
        return False
    # Not what it now turns down instead: "Never guess" to "Ask when unsure instead of guessing".
    return not forbidden <= set(terms(turned_down(asking)))


def _edit_call_out(change: Change, old: Side, new: Side) -> Attention | None:
    """What a reviewer must not miss of an item edited from ``old`` to ``new`` (``_edit_reading``),
    with the two wordings quoted; None for nothing."""
    found = _edit_reading(change, old.text, new.text)
    if found is None:
        return None
    kind, message = found
    return Attention(kind, f"{message}: {_quotes(old.text, new.text)}", new.line)


def _edit_reading(change: Change, old: str, new: str) -> tuple[AttentionKind, str] | None:
    """The first that holds of an item edited from ``old`` to ``new``: its polarity flipped
    (``change.polarity``), its sense reversed, another choice made, its obligation weakened or
    strengthened, and, of prose, a number or a bound changed (a bound before a sense reversed: "a
    minimum of 2" to "a maximum of 2"), "only" taken out or put in, or a quantifier put in for one
    of another level ("every" to "most"); None for none of these. A version pinned in a code
    block is no rule's bound, and a table's or a block's changed lines are shown by its line
    diff."""
    if change.polarity is not None:
        return "polarity", f"polarity flipped, now {'negative' if change.polarity == 'negated' else 'positive'}"
    bound = limit_change(old, new) if change.item_kind in PROSE_KINDS else None
    if bound and bound[2] and opposite_sense(old, new):
        return "number", f"bound changed, {bound[0]} -> {bound[1]}"  # "minimum of 2" to "maximum of 2"
    if opposite_sense(old, new):
        return "polarity", "sense reversed"
    if change.item_kind in PROSE_KINDS and (put := prohibition_put(old, new)) is not None:
        return "polarity", f"prohibition {'put in' if put else 'taken out'}"
    if choice := other_choice(old, new):
        return "choice", f"choice changed, {choice[0]} -> {choice[1]}"
    if binding := obligation_change(old, new):
        was, now, looser = binding
        return "obligation", f"obligation {'weakened' if looser else 'strengthened'}, {was} -> {now}"
    if change.item_kind not in PROSE_KINDS:
        return None
    if bound:
        return "number", f"{'bound' if bound[2] else 'number'} changed, {bound[0]} -> {bound[1]}"
    if (narrowed := only_put(old, new)) is not None:
        return "scope", 'scope narrowed, "only" put in' if narrowed else 'scope widened, "only" taken out'
    if quantifier := quantifier_change(old, new):
        return "scope", f"scope {'widened' if quantifier[2] else 'narrowed'}, {quantifier[0]} -> {quantifier[1]}"
    return None


def _row_prohibitions_removed(lines: Sequence[BlockLine]) -> Iterator[Attention]:
    """A prohibition a removed table row stated in a cell ("| Force push | Never force-push to
    main. |") that no added row states again, each as a removed prohibition item is. A cell of
    one word ("No" under "Allowed") is the table's answer, not a rule, and is not read."""
    kept = [set(terms(cell)) for line in lines if line.op == "+" for cell in table_cells(line.text) if forbids(cell)]
    for line in lines:
        if line.op != "-" or line.old_line is None:
            continue
        for cell in table_cells(line.text):
            if len(cell.split()) > 1 and forbids(cell) and not any(set(terms(cell)) <= k for k in kept):
                yield Attention("safety", f"prohibition removed: {_quote(cell)}", line.old_line)
                break


def _quote_around(text: str, words: str) -> str:
    """``text`` quoted from the sentence that holds ``words`` (a host, an address, a phrase; in
    any case), of a text of several lines its line, so that the quote shows them; all of it when
    it fits."""
    flat = normalize(next((line for line in text.splitlines() if words.lower() in line.lower()), text))
    at = flat.lower().find(words.lower()) if len(flat) > QUOTE_WIDTH else 0
    sentence = flat.rfind(". ", 0, at) if at > 0 else -1
    start = sentence + 2 if sentence >= 0 else 0
    if at > 0 and at - start > QUOTE_WIDTH // 2:
        start = flat.rfind(" ", 0, at - QUOTE_WIDTH // 4) + 1
    return f'"{chr(0x2026) if start else ""}{clip(flat[start:], QUOTE_WIDTH)}"'


def _safety_removed(role: str, removed: Side) -> Attention:
    """The call-out of a removed checklist gate, pitfall or other safety instruction."""
    return Attention("safety", f"{SAFETY_ROLES[role]} removed: {_quote(removed.text)}", removed.line)


def _quote(text: str) -> str:
    return f'"{clip(normalize(text), QUOTE_WIDTH)}"'


def _quotes(old: str, new: str) -> str:
    """An edit's two wordings quoted, ``"old" -> "new"``, from where they part when they open alike."""
    quote_old, quote_new = clipped_apart(normalize(old), normalize(new), QUOTE_WIDTH)
    return f'"{quote_old}" -> "{quote_new}"'


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


BLOCK_CONTEXT = 3
"""Unchanged lines shown around each run of changed lines inside a block, as ``git diff`` shows."""


def block_lines(old: Item | None, new: Item | None) -> tuple[BlockLine, ...]:
    """The line diff of a code block, table or HTML block: unified-diff style, numbered as in
    the files, with BLOCK_CONTEXT unchanged lines around each run of changes; every line of an
    added or removed block. Empty when neither side is such a block, or when no line differs
    (the change is elsewhere, say a ticked box)."""
    if (old is None or old.kind not in BLOCK_KINDS) and (new is None or new.kind not in BLOCK_KINDS):
        return ()
    a = _numbered_lines(old) if old is not None else []
    b = _numbered_lines(new) if new is not None else []
    if not a or not b:
        return tuple(BlockLine("-", t, n, None) for n, t in a) + tuple(BlockLine("+", t, None, n) for n, t in b)
    kind = (new or old).kind  # type: ignore[union-attr]
    keys_a = [_line_key(kind, t) for _, t in a]
    keys_b = [_line_key(kind, t) for _, t in b]
    matcher = match.aligner(keys_a, keys_b)
    out: list[BlockLine] = []
    for group in matcher.get_grouped_opcodes(BLOCK_CONTEXT):
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                pairs = zip(range(i1, i2), range(j1, j2), strict=True)
                out.extend(BlockLine(" ", b[j][1], a[i][0], b[j][0]) for i, j in pairs)
                continue
            out.extend(BlockLine("-", a[i][1], a[i][0], None) for i in range(i1, i2))
            out.extend(BlockLine("+", b[j][1], None, b[j][0]) for j in range(j1, j2))
    return tuple(out) if any(line.op != " " for line in out) else ()


def _numbered_lines(item: Item) -> list[tuple[int, str]]:
    """The lines of a block item with their 1-based file lines.

    A fenced code block's text starts on the line after its fence, which is shown as the first
    line (its info string is part of the block); an indented one starts on its own line.
    """
    if item.kind not in BLOCK_KINDS:
        return []
    lines = item.text.split("\n") if item.text else []
    if item.kind == "code" and item.end_line - item.line + 1 > len(lines):
        fence = f"```{item.info or ''}"
        return [(item.line, fence), *((item.line + 1 + k, line) for k, line in enumerate(lines))]
    return [(item.line + k, line) for k, line in enumerate(lines)]


def _line_key(kind: str, line: str) -> str:
    """The form two lines of a block are compared in: code keeps its indentation (trailing
    spaces aside); table rows and HTML lines are compared without formatting, as the items are."""
    if kind == "code":
        return line.rstrip()
    return normalize(table_row_form(line)) if kind == "table" else normalize(line)


# --------------------------------------------------------------------------------------------
# Redline


def redline(old: str, new: str, *, marks: bool = False, work: match.WorkBudget | None = None) -> tuple[Segment, ...]:
    """Word-level differences of two texts in normal form (with ``marks``, as written, spacing
    aside: a change of marks alone, ``Never`` to ``**Never**``): runs to keep, delete and insert;
    the words aligned within what ``work`` has left (``match.aligner``).

    Within a run of changes deletions come before insertions, and a space between two changed
    words joins them, so ``[-a b-]{+c d+}`` reads as one replacement rather than four.
    """
    form = (lambda text: " ".join(text.split())) if marks else normalize
    a = _TOKEN_RE.findall(form(old))
    b = _TOKEN_RE.findall(form(new))
    opcodes = match.aligner(a, b, work).get_opcodes()
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
    old: tuple[Field, ...],
    new: tuple[Field, ...],
    *,
    new_exists: bool = True,
    old_exists: bool = True,
    verbatim: Sequence[str] = (),
    tool: ToolReading | None = None,
) -> Iterator[FieldChange]:
    """Compare two frontmatters key by key.

    ``tools`` and other name lists compare as sets whether written as a comma string or a YAML
    list; the description compares as prose (examples aside) and its ``<example>`` blocks are
    paired like items (equal ones first, then similar ones, which are reworded); nested values
    that differ are described by deepdiff, loaded only then. Widening follows
    ``fields.WIDENING_RULES`` and Cursor's ``alwaysApply``: a removed ``tools`` key widens access
    (the agent inherits every tool) unless ``new_exists`` is false, since a deleted file is no
    agent; nothing widens when ``old_exists`` is false, since a new file had nothing to widen.
    The ``verbatim`` keys, which the tool reads as the rest of the line, change when only their
    quotes do (part ``quoting``). ``tool``, when given, is how both files' tool reads a tool name
    (``formats.tool_reading``): names it reads alike are one tool (in a Copilot agent ``Read`` to
    ``read`` is no change, ``Grep`` to ``search`` none either).
    """
    before = {f.key: f for f in old}
    after = {f.key: f for f in new}
    # A key with lines as written may be respelled (spelled_value) with its value the same.
    kept_lines = any(f.written for f in old) or any(f.written for f in new)
    same = {k: f.value for k, f in before.items()} == {k: f.value for k, f in after.items()}
    if same and not verbatim and not kept_lines:
        return
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        if b is None:
            assert a is not None
            yield FieldChange(
                "removed",
                key,
                a.value,
                None,
                a.line,
                None,
                widened=new_exists and _widens(key, a.value, None),
                old_written=spelled_value(a),
            )
        elif a is None:
            gained = tuple(names(b.value)) if key in SET_KEYS else ()
            widened = old_exists and _widens(key, None, b.value)
            yield FieldChange(
                "added",
                key,
                None,
                b.value,
                None,
                b.line,
                added_names=gained,
                widened=widened,
                new_written=spelled_value(b),
            )
        elif key in verbatim and bool(a.quote) != bool(b.quote):
            yield FieldChange(
                "changed", key, _as_written(a), _as_written(b), a.line, b.line, part="quoting", widened=not b.quote
            )
        elif key in SET_KEYS:
            yield from _set_change(a, b, tool if key in TOOL_KEYS else None)
        elif key in PROSE_KEYS and isinstance(a.value, str) and isinstance(b.value, str):
            yield from _description_changes(a, b)
        elif not same_value(a.value, b.value):
            yield FieldChange(
                "changed",
                key,
                a.value,
                b.value,
                a.line,
                b.line,
                details=_details(a.value, b.value),
                widened=_widens(key, a.value, b.value),
                old_written=spelled_value(a),
                new_written=spelled_value(b),
            )
        elif kept_lines and spelled_value(a) != spelled_value(b):
            yield FieldChange("changed", key, _as_spelled(a), _as_spelled(b), a.line, b.line, part="spelling")


def _as_written(f: Field) -> str:
    """A one-line string value as the file writes it, quotes included."""
    return f"{f.quote}{f.value}{f.quote}"


def _as_spelled(f: Field) -> str:
    """A one-line value as the file writes it: its spelling when another YAML reader may read it
    otherwise (``spelled_value``), else as the writer spells it, quotes included."""
    return spelled_value(f) or f"{f.quote}{value_text(f.value)}{f.quote}"


def _rule(key: str) -> str | None:
    """The kind of WIDENING_RULES entry (allow, grant or deny) that ``key`` is under, or None."""
    rule = rule_of(key)
    return None if rule is None else rule.kind


def _widens(key: str, old: object, new: object, read: ToolReading | None = None) -> bool:
    """Whether changing ``key`` from ``old`` to ``new`` (None: absent) lets the agent do more;
    ``read`` is how the tool reads a name (``_set_change``)."""
    if key == ALWAYS_APPLY_KEY:
        return new is True and old is not True
    if _rule(key) == "allow" and old is not None and new is None:
        return not reaches_every_tool(old)
    return bool(_widening_names(key, old, new, read))


def _widening_names(key: str, old: object, new: object, read: ToolReading | None = None) -> tuple[str, ...]:
    """The names that let the agent do more when ``key`` changes from ``old`` to ``new``: those
    an allow list or a grant gains that its old names did not reach (``fields.beyond``: ``Bash``
    to ``Bash(git log:*)`` gains nothing), those a deny list no longer reaches."""
    rule = rule_of(key)
    if rule is None or (rule.kind == "allow" and old is None):
        return ()
    if rule.kind == "deny":
        return beyond(names(old), names(new), rule.what, read)
    return beyond(names(new), names(old), rule.what, read)


def _set_change(a: Field, b: Field, tool: ToolReading | None = None) -> Iterator[FieldChange]:
    """The change of a name set; with ``tool``, names that tool reads alike are one name (a
    removed tool set, the tools it held), and the names listed as added or removed are those
    written of which some tool is new or gone."""
    old_names, new_names = names(a.value), names(b.value)
    was, now = read_tools(old_names, tool), read_tools(new_names, tool)
    if was == now:
        return
    added = sorted({n for n in new_names if not read_tools((n,), tool) <= was})
    removed = sorted({n for n in old_names if not read_tools((n,), tool) <= now})
    yield FieldChange(
        "changed",
        a.key,
        a.value,
        b.value,
        a.line,
        b.line,
        added_names=tuple(added),
        removed_names=tuple(removed),
        widened=_widens(a.key, a.value, b.value, tool),
        widened_names=_widening_names(a.key, a.value, b.value, tool),
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
    # Examples pair like items: equal ones first (in order), then the most alike that tell the
    # same scenario; what is left was removed or added.
    gone = {n: example_key(e) for n, e in enumerate(a.examples)}
    came = {n: example_key(e) for n, e in enumerate(b.examples)}
    pairs: dict[int, tuple[int, float]] = {}
    for i, j in match.pair_exact(gone, came):
        pairs[i] = (j, 1.0)
        del gone[i], came[j]
    scored = sorted(
        (-score, abs(i - j), i, j)
        for i in gone
        for j in came
        if (score := _example_similarity(a.examples[i], b.examples[j])) >= match.ITEM_CUTOFF
    )
    for negative, _, i, j in scored:
        if i in gone and j in came:
            pairs[i] = (j, -negative)
            del gone[i], came[j]
    for i in range(len(a.examples)):
        if i in gone:
            yield FieldChange("removed", a.key, a.examples[i].text, None, a.line, None, part="example")
        elif i in pairs and pairs[i][1] < 1.0:
            j, score = pairs[i]
            old_example, new_example = a.examples[i].text, b.examples[j].text
            yield FieldChange(
                "reworded",
                a.key,
                old_example,
                new_example,
                a.line,
                b.line,
                part="example",
                similarity=round(min(score, 0.999), 3),
                redline=redline(old_example, new_example),
            )
    for j in sorted(came):
        yield FieldChange("added", a.key, None, b.examples[j].text, None, b.line, part="example")


def _example_similarity(a: Example, b: Example) -> float:
    """How alike two ``<example>`` blocks are: their whole texts, and each of their context and
    user turns that either one has, whichever is least alike. The assistant's turn and the
    commentary repeat one pattern in every example of a file ("I will use the X agent"), so two
    different scenarios would look alike by them; the context and the request tell them apart."""
    parts = [(x, y) for x, y in ((a.context, b.context), (a.user, b.user)) if x or y]
    scores = [match.similarity(x, y) if x and y else 0.0 for x, y in parts]
    return min([match.similarity(a.text, b.text), *scores])


def _frontmatter_attention(changes: Iterable[FieldChange], *, both_exist: bool) -> Iterator[Attention]:
    """What a reviewer must see among frontmatter changes: every widening, every change of the
    model, the permission mode or the MCP servers, and hidden text that came in (``_hidden_in``).
    Of the first three nothing when a whole file was added or deleted: there was nothing before
    to widen, or there is no agent after."""
    for fc in changes:
        if isinstance(fc.new, str) and fc.op != "removed":
            # Hidden text counts in a file added with it too.
            yield from _hidden_in(fc.new, fc.old if isinstance(fc.old, str) else "", fc.new_line, fc.key)
            yield from _override_in(fc.new, fc.old if isinstance(fc.old, str) else "", fc.new_line, fc.key)
        if not both_exist:
            continue
        line = fc.new_line if fc.new_line is not None else fc.old_line
        if fc.part == "quoting":
            if fc.widened:
                yield Attention(
                    "widened", f"{fc.key} is no longer quoted: the rule now applies to the files it names", line, fc.key
                )
            else:
                message = (
                    f"{fc.key} is now quoted: the tool reads the quotes as part of the pattern, "
                    "so the rule applies to no file"
                )
                yield Attention("scope", message, line, fc.key)
        elif fc.widened:
            yield Attention("widened", _widening_message(fc), line, fc.key)
        elif fc.part == "text" and (asks := _proactive_put(str(fc.old), str(fc.new))) is not None:
            message = (
                f"{fc.key} now asks for the agent to be used proactively: it may be called without being asked"
                if asks
                else f"{fc.key} no longer asks for the agent to be used proactively"
            )
            yield Attention("scope", message, line, fc.key)
        elif fc.key in CHANGED_KEYS and fc.part == "value":
            unset = "(default)" if fc.key == "model" else "(not set)"
            was = clip(value_text(fc.old), ATTENTION_VALUE_WIDTH) if fc.op != "added" else unset
            now = clip(value_text(fc.new), ATTENTION_VALUE_WIDTH) if fc.op != "removed" else unset
            kind: AttentionKind = "model" if fc.key == "model" else "permissions"
            yield Attention(kind, f"{fc.key} changed: {was} -> {now}", line, fc.key)


def _proactive_put(old: str, new: str) -> bool | None:
    """True when the description ``new`` asks for the agent to be used without being asked for
    (``lexicon.PROACTIVE_PHRASES``: "Use PROACTIVELY after every change") and ``old`` did not,
    False the other way, None otherwise."""
    asks = [_asks_proactively(" ".join(text.split())) for text in (old, new)]
    return None if asks[0] == asks[1] else asks[1]


def _asks_proactively(text: str) -> bool:
    """Whether ``text`` has a phrase of PROACTIVE_PHRASES, one in capitals only as written."""
    return any((phrase in text) if phrase.isupper() else (phrase in text.casefold()) for phrase in PROACTIVE_PHRASES)


def _widening_message(fc: FieldChange) -> str:
    if fc.key == ALWAYS_APPLY_KEY:
        return f"{fc.key} turned on: the rule now applies to every request"
    kind = _rule(fc.key)
    if kind == "allow" and fc.op == "removed":
        return f"{fc.key} widened: the list was removed, so the agent now inherits every tool"
    if kind == "allow" and fc.new is None:
        # ``tools:`` with no value is no list, as a removed key is ("now also " and no name).
        return f"{fc.key} widened: the key has no value, so the agent now inherits every tool"
    if kind == "deny":
        dropped = fc.widened_names or tuple(names(fc.old))
        return f"{fc.key} widened: no longer forbids {named(dropped)}"
    gained = fc.widened_names or tuple(names(fc.new))
    if kind == "allow" and EVERY_TOOL in gained:
        return f"{fc.key} widened: now every tool ({EVERY_TOOL})"
    return f"{fc.key} widened: now also {named(gained)}"


ATTENTION_VALUE_WIDTH = 300
"""Characters of a frontmatter value shown in an attention message before it is cut; a model or
permission mode is never that long, a pasted mapping can be."""


def _prose(description: str) -> str:
    """The description's prose (``fields.description_prose``) on one line, as it is compared and shown."""
    return " ".join(description_prose(description).split())


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
            for line in match.unified_diff(old_text.splitlines(), new_text.splitlines(), old_path, new_path, "")
        )
    elif not same:
        lines = (f"Binary files {old_path} and {new_path} differ",)
    return LineDiff(old_path, new_path, same, lines, reason)
