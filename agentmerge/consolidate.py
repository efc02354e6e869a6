"""One canonical agent from N variants of the same role: every instruction once, nothing lost.

A pure function from models to a result. The steps, each deterministic:

1. Inputs are put in a canonical order (by path), so argument order never matters.
2. Sections are flattened per input (``arrange.flatten``); a document title (one ``#`` heading
   that opens the body and holds everything) counts as the root. Every item gets a role
   (``text.item_role``): a checklist entry, trigger, example or hand-off is kept apart from
   guidance.
3. Identical copies become one bag (``cluster.bag_units``). The pair score (``scorer``) rates
   every candidate pair of bags, blocked on shared rare terms: the probability that the two
   give the same instruction.
4. Items cluster on that score (``cluster.cluster_items``): best pairs first, average linkage,
   the named ITEM_RULES (polarity, walled roles, bare labels, restatements in one input), and
   the lossless fold: a wording is folded into the kept one only when it scores the model's
   floor against it and carries no number or code span the kept one lacks, nor a name written as
   an identifier where the kept one names another (``cluster.carries``).
5. Sections of different inputs align by title or by the share of their items that cluster
   with each other's at a higher score (``cluster.section_similarity``); ``arrange`` builds the
   merged body: each cluster goes to the section holding most of its members, nests under the
   cluster most of its members were nested under, and takes its place by the order the inputs
   agree on.
6. Frontmatter: agreeing values kept, name lists (``fields.SET_KEYS``) merged as sets with
   widening reported, other disagreeing values decided by vote; the description is chosen like
   an item and keeps every distinct ``<example>`` block.

One input alone is only normalised. No file is read or written here: the writer writes the
result (``writer.render_consolidation``) and the public ``agentmerge.consolidate`` hands on the
model as that file reads back (``writer.settle``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from agentmerge.arrange import (
    LINE_STEP,
    InputItem,
    Inputs,
    MergedItem,
    MergedSection,
    SectionSource,
    Source,
    arrange,
    flatten,
    walk_merged,
    wordless,
)
from agentmerge.cluster import (
    ANCHOR_MARGIN,
    BLOCK_POSTING_FLOOR,
    BLOCK_TERM_PER_INPUT,
    SECTION_ALIGN_THRESHOLD,
    Candidate,
    ItemCluster,
    Subject,
    TermWeights,
    Unit,
    bag_units,
    bare_title,
    carries,
    choose_wording,
    cluster_items,
    cluster_sections,
    contradiction,
    copy_form,
    is_identity,
    label_key,
    says_otherwise,
    section_similarity,
    specifics,
    title_overlap,
)
from agentmerge.errors import AgentMergeError
from agentmerge.fields import (
    EVERY_TOOL,
    PROSE_KEYS,
    TOOL_KEYS,
    ToolReading,
    beyond,
    description_prose,
    example_key,
    is_name_set,
    list_union,
    mapping_union,
    merges_as_list,
    merges_as_mapping,
    names,
    ordered_keys,
    reaches_every_tool,
    read_tools,
    rule_of,
    value_text,
)
from agentmerge.lexicon import (
    DISTINCT_ROLES,
    GENERAL_ROLE,
    GUIDANCE_ROLE,
    ROLE_TITLE_WORDS,
    ROOT_ROLE,
    SINGLE_ROLES,
    WORKFLOW_ROLE,
    roles_compatible,
)
from agentmerge.match import MAX_ITEMS
from agentmerge.model import Agent, Field, Item, Section
from agentmerge.parse import spelled_value, yaml_comments
from agentmerge.scorer import ItemView, Model, PairScorer, default_model, near_verbatim
from agentmerge.text import (
    compare_form,
    counted,
    is_handoff,
    item_role,
    kebab_case,
    label_only,
    normalize,
    other_choice,
    section_role,
    terms,
)

if TYPE_CHECKING:
    from agentmerge.formats import Format

__all__ = [
    "OUTPUT_PATH",
    "Conflict",
    "Consolidation",
    "MatchingEvidence",
    "MergedField",
    "MergedItem",
    "MergedSection",
    "SectionSource",
    "Source",
    "consolidate",
    "matching_evidence",
]

OUTPUT_PATH = "<consolidated>"
"""The path given to the merged agent model."""

# --------------------------------------------------------------------------------------------
# Results (the merged body's own types, MergedItem and MergedSection, are arrange's)


@dataclass(frozen=True, slots=True)
class MergedField:
    """One frontmatter key of the merged agent and the input fields it stands for."""

    field: Field
    """The key and value as written to the output."""
    sources: tuple[Source, ...]
    """Every input field with this key: those written in full first (``kept``), then the others in
    input order."""
    conflict: bool
    """Whether the inputs disagreed and a rule settled the value (see ``conflicts``)."""
    kept: int = 1
    """How many of ``sources`` (the first ones) are written in full: the input whose value is
    written (none when the value is no input's as it stands: a list merged from several, a name
    written by the format's naming rule); for the description, the chosen prose and every other
    input's prose that says something it does not."""


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
    """The merged agent model as arranged; ``writer.render_agent`` writes it as the output file.

    ``writer.settle`` gives the model that file reads back as; the public ``agentmerge.consolidate``
    returns that one."""
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
    target: str | None = None
    """The format the merged agent is written for (``consolidate --for``; ``formats.TARGETS``);
    None keeps every input's keys."""
    left_out: tuple[MergedField, ...] = ()
    """Merged keys the target format does not document, so not written (their inputs are still
    accounted for here); empty without a target."""
    renamed: tuple[RenamedTool, ...] = ()
    """Tool names written under the target format's names for the same tools (Copilot's
    ``search`` as Claude Code's Grep and Glob), and a ``name`` written by its naming rule; empty
    without a target."""
    contradictions: tuple[Contradiction, ...] = ()
    """Instructions of two inputs that say opposite things of one act, both written to the merged
    agent (opposite polarity never folds), in path and line order."""
    named_after: str | None = None
    """The name of the file written (``file_name``) that the agent's ``name`` was made from, by the
    target format's naming rule: the format requires a name and no input gives one. None
    otherwise; such a ``name`` has no sources."""


class Contradiction(NamedTuple):
    """Two instructions of two inputs that say opposite things of one act ("When deploying,
    always run the migrations first" and "..., never run ..."): both are written, and an agent
    can follow only one (``cluster.contradiction``)."""

    rule: str
    """The rule that tells them apart: ``polarity``, ``opposite sense`` or ``other choice``."""
    first: Source
    """One instruction (the earlier in path and line order), its similarity the pair score."""
    second: Source
    """The other."""


class RenamedTool(NamedTuple):
    """A tool name another tool gives, written as the target format names those tools; or the
    agent's ``name``, written by the target format's naming rule."""

    key: str
    """The frontmatter key (``tools``, ``disallowedTools``; ``name``)."""
    name: str
    """The name as the inputs wrote it (``search``; ``Code Reviewer``)."""
    written: tuple[str, ...]
    """The target format's names for those tools (``Grep``, ``Glob``; ``code-reviewer``); none
    for Copilot's ``*`` (every tool), whose list is written as no key."""


# --------------------------------------------------------------------------------------------
# Entry point


def consolidate(
    agents: Sequence[Agent],
    *,
    threshold: float | None = None,
    prefer: str | None = None,
    model: Model | None = None,
    target: str | None = None,
    file_name: str | None = None,
) -> Consolidation:
    """Merge ``agents`` (variants of one role) into one agent with full provenance.

    ``threshold`` (0 to 1, default the model's) is the least pair score (the matcher's
    probability that two items give one instruction) at which two items merge. ``prefer`` is the
    path of one input whose wording, section titles and frontmatter values win whenever it has
    them. ``model`` replaces the shipped pair model (``scorer.default_model``). ``target`` (one of
    ``formats.TARGETS``) writes the agent for that tool: keys it does not document are left out
    of the agent and listed in ``left_out``. ``file_name`` (the name of the file the agent is
    written to, without its ending: ``-o``'s, or the group's with ``--by-group``) settles a tie
    among the inputs' ``name`` values: the one that is ``file_name`` in kebab case wins, so the
    agent is called as its file is; and where the target requires a ``name`` that no input gives
    (a Claude Code subagent made of Cursor rules), it is ``file_name`` by the target's naming rule
    (``named_after``).
    """
    if not agents:
        raise AgentMergeError("", 0, "consolidate needs at least one input file")
    model = model or default_model()
    cutoff = model.threshold if threshold is None else threshold
    if not 0.0 <= cutoff <= 1.0:
        raise AgentMergeError("", 0, f"threshold {cutoff} is outside 0 to 1; pick a value such as 0.5")
    ordered = sorted(agents, key=lambda a: a.path)
    paths = [a.path for a in ordered]
    preferred = -1
    if prefer is not None:
        if prefer not in paths:
            raise AgentMergeError(prefer, 0, "--prefer must name one of the input files")
        preferred = paths.index(prefer)
    if target is not None:
        # The format table is loaded only for a target: a plain consolidation never needs it.
        from agentmerge.formats import TARGETS

        if target not in TARGETS:
            raise AgentMergeError("", 0, f"--for takes one of {', '.join(TARGETS)}, not {target!r}")
    result = _Consolidator(ordered, cutoff, preferred, model, target, file_name).run()
    return result if target is None else _written_for(result, target, file_name)


def _written_for(result: Consolidation, target: str, file_name: str | None = None) -> Consolidation:
    """``result`` with only the keys the ``target`` format documents in its agent; the others
    move to ``left_out``, their conflicts with them. A format that requires a ``name`` no input
    gives (a Claude Code subagent made of Cursor rules) gets ``file_name`` by its naming rule."""
    from agentmerge.formats import BY_NAME

    form = BY_NAME[target]
    written = tuple(f for f in result.fields if form.documents(f.field.key))
    named_after = None
    if file_name and form.requires("name") and not any(f.field.key == "name" for f in result.fields):
        name = form.name_for(file_name)
        if name:
            line = max((f.field.end_line for f in result.fields), default=0) + LINE_STEP
            written = (MergedField(Field("name", name, line, line), (), False, kept=0), *written)
            named_after = file_name
    left_out = tuple(f for f in result.fields if not form.documents(f.field.key))
    renamed: list[RenamedTool] = []
    every = tuple(f for f in written if _every_tool_unnamed(f, form))
    unwritten = {f.field.key for f in every}
    renamed.extend(RenamedTool(f.field.key, EVERY_TOOL, ()) for f in every)
    written = tuple(
        _name_renamed(_tools_renamed(f, form, renamed), form, renamed) for f in written if f.field.key not in unwritten
    )
    # A frontmatter whose every key is left out is not written; one that had no keys stays as it was.
    agent = replace(
        result.agent,
        fields=tuple(f.field for f in written),
        has_frontmatter=bool(written) or (result.agent.has_frontmatter and not result.fields),
    )
    return replace(
        result,
        agent=agent,
        fields=written,
        conflicts=tuple(c for c in result.conflicts if form.documents(c.key) and c.key not in unwritten),
        items_out=result.items_out - len(left_out) - len(every) + (named_after is not None),
        merged=result.merged - sum(1 for f in (*left_out, *every) if len(f.sources) > 1),
        target=target,
        left_out=left_out,
        renamed=tuple(renamed),
        named_after=named_after,
    )


def _name_renamed(merged: MergedField, form: Format, renamed: list[RenamedTool]) -> MergedField:
    """``merged`` with a ``name`` the format's naming rule refuses written by that rule
    (``Format.name_for``: a Copilot agent's "Code Reviewer" as a Claude Code subagent's
    "code-reviewer", which the tool can address), the rename added to ``renamed``."""
    value = merged.field.value
    if merged.field.key != "name" or not isinstance(value, str):
        return merged
    written = form.name_for(value)
    if written in (value, ""):
        return merged  # it follows the rule; or nothing of it does: written as it is, and check names it
    renamed.append(RenamedTool("name", value, (written,)))
    return replace(merged, field=replace(merged.field, value=written, quote=""))


def _every_tool_unnamed(merged: MergedField, form: Format) -> bool:
    """Whether ``merged`` is an allow list that holds Copilot's EVERY_TOOL, for a format whose
    tool lists name Claude Code's tools, where no name means every tool: there the list is
    written as no key, which such a file reads as every tool (``*`` kept would be a tool of no
    such name, and the list would allow only the rest)."""
    from agentmerge.formats import uses_claude_code_tools

    rule = rule_of(merged.field.key)
    return (
        rule is not None
        and rule.kind == "allow"
        and uses_claude_code_tools(form)
        and reaches_every_tool(merged.field.value)
    )


def _tools_renamed(merged: MergedField, form: Format, renamed: list[RenamedTool]) -> MergedField:
    """``merged`` with each tool name written as ``form`` names those tools (``formats.tool_names_in``:
    Copilot's ``search`` as Claude Code's Grep and Glob), each rename added to ``renamed``; a list
    stays a list and a string a comma-separated string."""
    from agentmerge.formats import tool_names_in

    key, value = merged.field.key, merged.field.value
    if key not in TOOL_KEYS or value is None:
        return merged
    out: dict[str, None] = {}
    before = len(renamed)
    for name in names(value):
        written = tool_names_in(form, name)
        if written != (name,):
            renamed.append(RenamedTool(key, name, written))
        out.update(dict.fromkeys(written))
    if len(renamed) == before:
        return merged
    new_value: object = list(out) if isinstance(value, list) else ", ".join(out)
    return replace(merged, field=replace(merged.field, value=new_value, quote=""))


@dataclass(frozen=True, slots=True)
class MatchingEvidence:
    """What the item matcher sees of a set of inputs: for fitting and checking the pair model."""

    keys: tuple[tuple[tuple[str, int], ...], ...]
    """For each candidate (a bag of exact copies), the (path, line) of every item in it."""
    candidates: tuple[Candidate, ...]
    """The candidates, as the clustering sees them."""
    lines: tuple[int, ...]
    """Each candidate's first line (ties in the choice of wording)."""
    scorer: PairScorer
    """The pair scorer over the candidates."""
    pairs: tuple[tuple[int, int], ...]
    """The candidate pairs it scores."""
    identity: tuple[int, ...] = ()
    """The candidates holding each input's "You are ..." paragraph: one slot, merged whatever they say."""
    parents: tuple[int, ...] = ()
    """The candidate each candidate is nested in (-1 for none): ``cluster_items``'s ``parents``."""


def check_size(agents: Sequence[Agent]) -> None:
    """Raise AgentMergeError when ``agents`` hold more than MAX_ITEMS items together."""
    count = sum(1 for agent in agents for _ in agent.items())
    if count > MAX_ITEMS:
        raise AgentMergeError(
            agents[0].path if len(agents) == 1 else "",
            0,
            f"{'holds' if len(agents) == 1 else f'the {len(agents)} inputs hold'} {count:,} instructions, more than "
            f"the {MAX_ITEMS:,} the item matcher weighs against each other (no agent role has that many)",
        )


def matching_evidence(
    agents: Sequence[Agent], *, model: Model | None = None, repeats: bool | None = None
) -> MatchingEvidence:
    """The candidates and pair scorer ``consolidate`` would use for ``agents``.

    ``repeats`` says whether restatements inside one input may be one instruction; by default, as
    ``consolidate`` decides, only when there are two inputs or more (one input is only
    normalised). ``check`` asks for them in a single file, to find its repeats.
    """
    ordered = sorted(agents, key=lambda a: a.path)
    work = _Consolidator(ordered, 0.0, -1, model or default_model())
    if repeats is not None:
        work.repeats = repeats
    bags, candidates, scorer = work.candidates()
    keys = tuple(tuple((work.agents[work.items[i].source].path, work.items[i].item.line) for i in bag) for bag in bags)
    lines = tuple(work.items[bag[0]].item.line for bag in bags)
    identity = tuple(work.identities(bags)) if work.repeats else ()
    pairs = tuple(scorer.candidates())
    return MatchingEvidence(keys, tuple(candidates), lines, scorer, pairs, identity, tuple(work.parent_bags(bags)))


# --------------------------------------------------------------------------------------------
# The work


def _place(source: Source) -> tuple[str, int]:
    return source.path, source.line


def _prose_candidate(prose: str, source: int) -> Candidate:
    """A description's prose as the clustering's rules read an item of input ``source``."""
    return Candidate(frozenset({source}), prose, "paragraph", GUIDANCE_ROLE)


def _lead_in(item: Item) -> bool:
    """Whether ``item`` ends in a colon and holds nested items: the title of what it holds."""
    return bool(item.children) and compare_form(item.text).endswith(":")


TEMPLATE_SECTIONS = 3
"""Sections of one input a lead-in label must open items in for ``_template_fields`` to read it
as a field of a template filled for several things ("Tools:" under three agents described)."""


class _Consolidator:
    """One consolidation's working state: the inputs flattened, their alignment and clusters."""

    def __init__(
        self,
        agents: list[Agent],
        threshold: float,
        preferred: int,
        model: Model,
        target: str | None = None,
        file_name: str | None = None,
    ) -> None:
        self.agents = agents
        self.target = target
        self.file_name = file_name
        self.threshold = threshold
        self.model = model
        self.preferred = preferred
        # One input is only normalised: even its exact repeats stay, so the file comes back as it was.
        self.repeats = len(agents) > 1
        check_size(agents)
        self.inputs: Inputs = flatten(agents)
        self.sections = self.inputs.sections
        self.items = self.inputs.items
        self.holders = [self._holder(n) for n in range(len(self.items))]
        """For each item, the item it is nested in that has words of its own (-1 for none): an
        item with none (``wordless``) neither scopes what it holds nor is matched apart from it."""
        self._scopes: dict[int, str] = {}
        """``_scope`` by holder: the items one item holds share its chain."""
        self.group_count = 1
        """How many aligned section groups there are, the roots' group 0 included."""
        self.subject: Container[str] = frozenset()
        """The names most inputs mention (``cluster.Subject``), set by ``run``: a fold may leave
        them out."""
        self._title_chains: dict[tuple[int, bool], str] = {}

    @staticmethod
    def _expand(bags: list[list[int]], groups: list[list[int]]) -> list[list[int]]:
        """Clusters of bags as clusters of items, each sorted, in order of their first item."""
        out = [sorted(i for bag in group for i in bags[bag]) for group in groups]
        out.sort(key=lambda cluster: cluster[0])
        return out

    def _templated_items(self, over: list[list[Section | None]]) -> set[int]:
        """Items inside a template a file fills more than once (two "Example" or "1. [Issue]"
        sections): they repeat by design and are not merged with each other. ``over``: the
        sections each item sits in (``_over``)."""
        titles = Counter((e.source, _title_key(e.section)) for e in self.sections)
        titles.update((e.source, _title_key(e.subtitle)) for e in self.sections if e.subtitle is not None)
        return {
            index
            for index, entry in enumerate(self.items)
            if any(s is not None and titles[(entry.source, _title_key(s))] > 1 for s in over[index])
        }

    def _template_fields(self) -> set[int]:
        """Items that fill a field of a template a file writes out for several things: a lead-in
        label that opens items in TEMPLATE_SECTIONS sections of one input or more is a field,
        and a section with two fields or more is one thing described ("**Planner:**",
        "**Builder:**" and "**Reviewer:**" each over "Tools: ...", "Focus: ...", "Hand-off:
        ..."). Its fields say what that thing has, not an instruction: like the items of a
        template filled under one title twice (``_templated_items``) they are examples, which
        never merge with each other in their file and cross to another input's guidance only as
        copies. Two sections alone that share labels are as often one list written twice, which
        merges as before."""
        keys = [label_key(entry.item.text) for entry in self.items]
        homes: dict[tuple[int, str], set[int]] = {}
        for entry, key in zip(self.items, keys, strict=True):
            if key is not None:
                homes.setdefault((entry.source, key), set()).add(entry.home)
        fields = {place for place, found in homes.items() if len(found) >= TEMPLATE_SECTIONS}
        per_section = Counter(home for place in fields for home in homes[place])
        return {
            n
            for n, (entry, key) in enumerate(zip(self.items, keys, strict=True))
            if (entry.source, key) in fields and per_section[entry.home] >= 2
        }

    def _over(self, entry: InputItem) -> list[Section | None]:
        """The sections ``entry`` sits in, innermost first (None for a root)."""
        home = self.sections[entry.home]
        found = home.over(entry.item.line)
        walk = home.parent
        while walk >= 0:
            node = self.sections[walk]
            found.append(node.section)
            walk = node.parent
        return found

    def _step(self, index: int, over: list[Section | None]) -> bool:
        """Whether item ``index`` is a numbered step of a procedure: an ordered item whose innermost
        titled section names a workflow."""
        if self.items[index].item.kind != "ordered":
            return False
        title = next((s.title for s in over if s is not None and s.title), None)
        return title is not None and section_role(title) == WORKFLOW_ROLE

    @staticmethod
    def _item_role(entry: InputItem, over: list[Section | None], templated: bool) -> str:
        """The item's role for the matcher (``text.item_role``, from the sections it sits in,
        ``over``); in a template, an example."""
        if templated:
            return "examples"
        return item_role([None if s is None else s.title for s in over], entry.item.kind, entry.item.text)

    # -- clustering ----------------------------------------------------------------------------

    def candidates(self) -> tuple[list[list[int]], list[Candidate], PairScorer]:
        """The items as bags of exact copies, each bag as a clustering candidate, and the scorer."""
        over = [self._over(e) for e in self.items]
        templated = self._templated_items(over) | self._template_fields()
        # A template the file fills more than once is an example of output, whatever its titles.
        roles = [self._item_role(e, over[n], n in templated) for n, e in enumerate(self.items)]
        units = [
            Unit(
                e.source,
                e.item.text,
                role,
                e.item.kind,
                self.repeats and n not in templated,
                self._scope(n),
                self._titles(e),
            )
            for n, (e, role) in enumerate(zip(self.items, roles, strict=True))
        ]
        # Identical copies are clustered once, as bags; scores are computed between bags.
        bags = bag_units(units)
        candidates = [
            Candidate(
                frozenset(units[i].source for i in bag),
                units[bag[0]].text,
                units[bag[0]].kind,
                roles[bag[0]],
                units[bag[0]].repeatable,
                label_only(units[bag[0]].text) and not self.items[bag[0]].item.children,
                _lead_in(self.items[bag[0]].item),
                self._step(bag[0], over[bag[0]]),
            )
            for bag in bags
        ]
        # Items of a template in the same inputs, and all items of one input consolidated alone
        # (its repeats stay), are restatements that never merge (ITEM_RULES' "restatement"):
        # weighing them against each other grew with their number squared.
        groups: dict[frozenset[int], int] = {}
        twins = [-1 if c.repeatable else groups.setdefault(c.sources, len(groups)) for c in candidates]
        return bags, candidates, PairScorer(self._views(bags, roles), self.model, twins)

    def _says_otherwise(self, chosen: str, other: str, score: float) -> bool:
        """Whether a rule about meaning keeps description ``other`` apart from the ``chosen`` one:
        "Reviews frontend pull requests" and "Reviews backend pull requests" each say when the
        agent is used, and both are kept."""
        thresholds = (self.model.threshold, self.model.same_input_threshold)
        return says_otherwise(_prose_candidate(chosen, 0), _prose_candidate(other, 1), score, thresholds)

    def _holder(self, index: int) -> int:
        """The item ``index`` is nested in, past any with no words of its own (-1 for none)."""
        walk = self.items[index].parent
        while walk >= 0 and wordless(self.items[walk].item):
            walk = self.items[walk].parent
        return walk

    def _scope(self, index: int) -> str:
        """What scopes item ``index`` (``Unit.scope``): the copy forms of the items it is nested in,
        outermost first, one a line ("" for none). The whole chain, not the nearest holder alone: a
        line one file writes under "**Docker Files**:" in its frontend's tree and in its backend's
        is a field of each, though the two holders read alike."""
        holder = self.holders[index]
        if holder < 0:
            return ""
        found = self._scopes.get(holder)
        if found is None:
            parent = self.items[holder].item
            outer = self._scope(holder)  # as deep as the parser nests lists (parse.MAX_NESTING)
            own = copy_form(parent.kind, parent.text)
            found = self._scopes[holder] = f"{outer}\n{own}" if outer else own
        return found

    def _titles(self, entry: InputItem) -> str:
        """The titles of the sections ``entry`` sits in, outermost first, one a line."""
        key = (entry.home, self.sections[entry.home].under_subtitle(entry.item.line))
        found = self._title_chains.get(key)
        if found is None:
            titles = [s.title for s in reversed(self._over(entry)) if s is not None and s.title]
            found = self._title_chains[key] = "\n".join(titles)
        return found

    def _sections_apart(self, bags: list[list[int]]) -> Callable[[int, int], bool]:
        """Whether two bags sit in sections whose titles pick two alternatives of one choice
        ("Frontend changes", "Backend changes"): each heading scopes what its items say. Each
        pair of titles is asked once."""
        titles = [self._titles(self.items[bag[0]]) for bag in bags]
        asked: dict[tuple[str, str], bool] = {}

        def apart(i: int, j: int) -> bool:
            key = (titles[i], titles[j])
            if key[0] == key[1]:
                return False
            found = asked.get(key)
            if found is None:
                found = asked[key] = other_choice(*key) is not None
            return found

        return apart

    def parent_bags(self, bags: list[list[int]]) -> list[int]:
        """For each bag, the bag its items are nested in (-1 for none); one per bag, since a bag's
        copies share their holders' words (``Unit.scope``)."""
        bag_of = {i: n for n, bag in enumerate(bags) for i in bag}
        return [bag_of.get(self.holders[bag[0]], -1) for bag in bags]

    def _about(self) -> list[list[str]]:
        """What each input says it is about: its name, description, headings' titles and the
        paragraphs before its first heading (``Subject``'s texts)."""
        about: list[list[str]] = [[] for _ in self.agents]
        for n, agent in enumerate(self.agents):
            for f in agent.fields:
                if f.key in ("name", "description") and isinstance(f.value, str):
                    about[n].append(f.value)
        for section in self.sections:
            if section.section is not None and section.section.title:
                about[section.source].append(section.section.title)
        for item in self.items:
            if self.sections[item.home].section is None and item.parent < 0 and item.item.kind == "paragraph":
                about[item.source].append(item.item.text)
        return about

    def identities(self, bags: list[list[int]]) -> list[int]:
        """The bags holding each input's identity statement (``cluster.is_identity``: "You are
        ...", "Act as ...", ``**Role**: ...``): its first such paragraph before the first heading
        (or in a top-level intro section such as "Role")."""
        found: dict[int, int] = {}
        for n, bag in enumerate(bags):
            for i in bag:
                entry = self.items[i]
                if entry.source in found or entry.item.kind != "paragraph" or entry.parent >= 0:
                    continue
                home = self.sections[entry.home]
                top = home.section is None or (home.role == ROOT_ROLE and self.sections[home.parent].section is None)
                if top and is_identity(normalize(entry.item.text)):
                    found[entry.source] = n
        return sorted(set(found.values()))

    def run(self) -> Consolidation:
        """Score, cluster, align and build the merged agent (the steps in the module docstring)."""
        bags, candidates, scorer = self.candidates()
        scores = scorer.scores()
        self.subject = Subject(self._about())
        identity: list[int] = []
        if self.repeats:
            # An agent says who it is once: every input's "You are ..." is one slot, like its
            # description, whatever the words (the kept wording is still the most specific).
            identity = self.identities(bags)
            for n, a in enumerate(identity):
                for b in identity[n + 1 :]:
                    scores[(a, b)] = 1.0
        lines = [self.items[bag[0]].item.line for bag in bags]
        threshold = self.threshold
        # Restatements within one input fold only at the model's stricter threshold.
        thresholds = (threshold, max(threshold, self.model.same_input_threshold))
        sections_apart = self._sections_apart(bags)

        def rescore(i: int, j: int) -> float | None:
            return None if sections_apart(i, j) else scorer.score(i, j)

        settle = {
            "same_input_threshold": thresholds[1],
            "lines": lines,
            "apart": self._nested_pairs(bags) | {pair for pair in scores if sections_apart(*pair)},
            "parents": self.parent_bags(bags),
            "rescore": rescore,
            "subject": self.subject,
        }
        # Settled with a floor of 1, an anchor holds copies only (ANCHOR_MARGIN), so the pairs that
        # score 1 are the only ones ranked; a pair across two clusters is still read (``rescore``).
        copies = {pair: score for pair, score in scores.items() if score >= 1.0}
        anchors = cluster_items(
            candidates,
            copies,
            threshold=min(1.0, threshold + ANCHOR_MARGIN),
            floor=1.0,
            **settle,  # type: ignore[arg-type]
        )
        self._align_sections([sorted(i for n in c.members for i in bags[n]) for c in anchors])
        found = cluster_items(
            candidates,
            scores,
            threshold=threshold,
            floor=max(threshold, self.model.floor),
            preferred=self.preferred,
            one_slot=frozenset(identity),
            **settle,  # type: ignore[arg-type]
        )
        clusters = self._with_holders(self._expand_clusters(bags, found))
        contradictions = self._contradictions(bags, candidates, scores, thresholds, frozenset(identity))
        opening = frozenset(i for n in identity for i in bags[n])
        body = arrange(self.inputs, clusters, groups=self.group_count, preferred=self.preferred, opening=opening)
        fields, conflicts = self._merge_fields(body.section.end_line)
        agent = Agent(
            path=OUTPUT_PATH,
            fields=tuple(f.field for f in fields),
            body=body.section,
            has_frontmatter=any(a.has_frontmatter for a in self.agents) or bool(fields),
        )
        items_in = len(self.items) + sum(len(a.fields) for a in self.agents)
        merged_items = list(walk_merged(body))
        items_out = len(merged_items) + len(fields)
        merged = sum(1 for m in merged_items if len(m.sources) > 1) + sum(1 for f in fields if len(f.sources) > 1)
        return Consolidation(
            inputs=tuple(a.path for a in self.agents),
            agent=agent,
            fields=tuple(fields),
            body=body,
            conflicts=tuple(conflicts),
            threshold=threshold,
            items_in=items_in,
            items_out=items_out,
            merged=merged,
            contradictions=contradictions,
        )

    def _contradictions(
        self,
        bags: list[list[int]],
        candidates: list[Candidate],
        scores: dict[tuple[int, int], float],
        thresholds: tuple[float, float],
        identity: frozenset[int],
    ) -> tuple[Contradiction, ...]:
        """The candidate pairs of two inputs that say opposite things of one act
        (``cluster.contradiction``); a pair within one input is that file's own (``check`` AM204)."""
        found: list[Contradiction] = []
        for (i, j), score in scores.items():
            a, b = candidates[i], candidates[j]
            if (a.sources == b.sources and len(a.sources) == 1) or (i in identity and j in identity):
                continue
            rule = contradiction(a, b, score, thresholds)
            if rule is None:
                continue
            first, second = sorted((self._source(bags[i][0], score), self._source(bags[j][0], score)), key=_place)
            found.append(Contradiction(rule, first, second))
        return tuple(sorted(found, key=lambda c: (_place(c.first), _place(c.second))))

    def _source(self, index: int, similarity: float) -> Source:
        entry = self.items[index]
        return Source(self.agents[entry.source].path, entry.item.line, entry.item.text, similarity)

    def _views(self, bags: list[list[int]], roles: list[str]) -> list[ItemView]:
        """What the pair score reads of each bag's first item: words, section title, role, nesting."""
        bag_of = {i: n for n, bag in enumerate(bags) for i in bag}
        views: list[ItemView] = []
        for bag in bags:
            entry = self.items[bag[0]]
            depth, walk = 0, entry.parent
            while walk >= 0:
                depth, walk = depth + 1, self.items[walk].parent
            home = self.sections[entry.home]
            under = home.under_subtitle(entry.item.line)
            innermost = home.over(entry.item.line)[0]
            views.append(
                ItemView(
                    source=entry.source,
                    text=entry.item.text,
                    kind=entry.item.kind,
                    title=None if innermost is None else innermost.title,
                    role=roles[bag[0]],
                    depth=depth,
                    parent=bag_of.get(self.holders[bag[0]], -1),
                    # Under a subtitle and after its list are two places of one section.
                    place=entry.parent if entry.parent >= 0 else -1 - 2 * entry.home - under,
                    # An item with no words is matched through its first child, not as well.
                    children_text="" if wordless(entry.item) else " ".join(c.text for c in entry.item.children),
                )
            )
        return views

    def _nested_pairs(self, bags: list[list[int]]) -> frozenset[tuple[int, int]]:
        """Pairs of bags (smaller index first) where an item of one is nested in an item of the
        other and says something else (a near-verbatim repeat of its parent may fold into it)."""
        bag_of = {i: n for n, bag in enumerate(bags) for i in bag}
        pairs: set[tuple[int, int]] = set()
        for index, entry in enumerate(self.items):
            walk = entry.parent
            while walk >= 0:
                a, b = bag_of[index], bag_of[walk]
                if a != b and not near_verbatim(entry.item.text, self.items[walk].item.text):
                    pairs.add((a, b) if a < b else (b, a))
                walk = self.items[walk].parent
        return frozenset(pairs)

    @staticmethod
    def _expand_clusters(bags: list[list[int]], found: list[ItemCluster]) -> list[ItemCluster]:
        """Clusters of bags as clusters of items: a copy scores what its bag's first item scored."""
        out: list[ItemCluster] = []
        for cluster in found:
            confidence = {}
            for n, score in zip(cluster.members, cluster.confidence, strict=True):
                for i in bags[n]:
                    confidence[i] = score
            members = tuple(sorted(confidence))
            out.append(ItemCluster(members, bags[cluster.kept][0], tuple(confidence[i] for i in members)))
        out.sort(key=lambda c: c.members[0])
        return out

    def _with_holders(self, clusters: list[ItemCluster]) -> list[ItemCluster]:
        """Each item with no words of its own (``wordless``) moved into its first child's cluster
        when that child merged with others, at the child's confidence: it says what the child
        says, and would otherwise stand empty. A child alone stays under it, written as it was."""
        members = [dict(zip(c.members, c.confidence, strict=True)) for c in clusters]
        cluster_of = {i: n for n, c in enumerate(clusters) for i in c.members}
        # Innermost first: ``- - 1. step`` joins its child once that child has joined the step.
        for index in reversed(range(len(self.items))):
            home = cluster_of[index]
            if not wordless(self.items[index].item) or len(members[home]) > 1:
                continue
            child = self.inputs.nested[index][0]
            target = cluster_of[child]
            if len(members[target]) == 1:
                continue
            members[target][index] = members[target][child]
            cluster_of[index] = target
            members[home] = {}
        out = [
            ItemCluster(tuple(sorted(m)), clusters[n].kept, tuple(m[i] for i in sorted(m)))
            for n, m in enumerate(members)
            if m
        ]
        out.sort(key=lambda c: c.members[0])
        return out

    # -- aligning sections ---------------------------------------------------------------------

    def _align_sections(self, anchors: list[list[int]]) -> None:
        """Group the input sections into aligned sections; the roots form group 0."""
        candidates = [i for i, s in enumerate(self.sections) if s.section is not None]
        units = [
            Unit(self.sections[i].source, _title(self.sections[i].section), self._aligning_role(i), "heading")
            for i in candidates
        ]
        shared = self._shared_anchors(anchors)
        role_count = Counter((self.sections[i].source, self.sections[i].role) for i in candidates)
        pairs = self._section_pairs(units, candidates, shared, role_count)
        scores = self._section_scores(units, candidates, pairs, shared, role_count)
        groups = cluster_sections(units, scores, SECTION_ALIGN_THRESHOLD)
        for number, group in enumerate(groups, start=1):
            for n in group:
                self.sections[candidates[n]].group = number
        self.group_count = len(groups) + 1

    def _aligning_role(self, index: int) -> str:
        """The role section ``index`` aligns by: its title's, or, when that names no distinct role
        (``lexicon.DISTINCT_ROLES``), the nearest enclosing section's distinct role, as its items
        take it (``text.item_role``). "3. Style & Conventions" inside a review checklist is a
        part of the checklist, not another input's "Conventions" guidance."""
        entry = self.sections[index]
        while entry.role not in DISTINCT_ROLES and entry.parent >= 0:
            entry = self.sections[entry.parent]
        return entry.role if entry.role in DISTINCT_ROLES else self.sections[index].role

    def _shared_anchors(self, anchors: list[list[int]]) -> Counter[tuple[int, int]]:
        """For each pair of sections (by index, smaller first), how many anchor clusters join them."""
        shared: Counter[tuple[int, int]] = Counter()
        for cluster in anchors:
            homes = sorted({self.items[i].home for i in cluster})
            for n, a in enumerate(homes):
                for b in homes[n + 1 :]:
                    shared[(a, b)] += 1
        return shared

    def _section_pairs(
        self,
        units: list[Unit],
        candidates: list[int],
        shared: Counter[tuple[int, int]],
        role_count: Counter[tuple[int, str]],
    ) -> set[tuple[int, int]]:
        """The pairs of section titles worth scoring: a shared title term, the one section of a
        single role in each input, or items that already anchor to each other."""
        title_terms: dict[str, list[int]] = {}
        for n, unit in enumerate(units):
            found = set(terms(unit.text)) or {f"={bare_title(unit.text)}"}  # "You must" has no terms
            for term in found:
                title_terms.setdefault(term, []).append(n)
        # As for items, a title word that runs through every file ("Section 1", "Section 2", ...)
        # does not open pairs on its own.
        limit = max(BLOCK_POSTING_FLOOR, BLOCK_TERM_PER_INPUT * len(self.agents))
        blocks = [indices for indices in title_terms.values() if len(indices) <= limit]
        by_role: dict[str, list[int]] = {}
        for n, index in enumerate(candidates):
            entry = self.sections[index]
            if entry.role in SINGLE_ROLES and role_count[(entry.source, entry.role)] == 1:
                by_role.setdefault(entry.role, []).append(n)
        blocks.extend(by_role.values())
        pairs: set[tuple[int, int]] = set()
        for indices in blocks:
            for k, a in enumerate(indices):
                for b in indices[k + 1 :]:
                    pairs.add((a, b))
        position = {index: n for n, index in enumerate(candidates)}
        for a, b in shared:
            if a in position and b in position:
                pairs.add((min(position[a], position[b]), max(position[a], position[b])))
        return pairs

    def _section_scores(
        self,
        units: list[Unit],
        candidates: list[int],
        pairs: set[tuple[int, int]],
        shared: Counter[tuple[int, int]],
        role_count: Counter[tuple[int, str]],
    ) -> dict[tuple[int, int], float]:
        """Score each pair of sections (``cluster.section_similarity``); pairs of one input, or of
        roles that never align, are left out."""
        sizes = Counter(e.home for e in self.items)
        title_weights = TermWeights([unit.text for unit in units])
        title_cache: dict[tuple[str, str], float] = {}
        scores: dict[tuple[int, int], float] = {}
        for a, b in pairs:
            left, right = units[a], units[b]
            if left.source == right.source or not roles_compatible(left.role, right.role):
                continue
            if left.role != right.role and GENERAL_ROLE not in (left.role, right.role):
                continue
            i, j = candidates[a], candidates[b]
            common = shared.get((min(i, j), max(i, j)), 0)
            smaller = min(sizes.get(i, 0), sizes.get(j, 0))
            title_key = (left.text, right.text) if left.text <= right.text else (right.text, left.text)
            title = title_cache.get(title_key, -1.0)
            if title < 0:
                title = title_cache[title_key] = title_overlap(left.text, right.text, title_weights)
            score = section_similarity(title, common, smaller)
            if (
                self._only_of_role(i, role_count)
                and self._only_of_role(j, role_count)
                and self.sections[i].role == self.sections[j].role
                and self._hands_off(i) == self._hands_off(j)
            ):
                # The one workflow (pitfall list, ...) of each input: the same section, whatever its title.
                score = max(score, SECTION_ALIGN_THRESHOLD)
            if score > 0:
                scores[(a, b)] = score
        return scores

    def _only_of_role(self, index: int, role_count: Counter[tuple[int, str]]) -> bool:
        """Whether section ``index`` is its input's one section of a single role (its workflow,
        its pitfall list, ...) under a title that names it, which aligns with another input's
        whatever the titles.

        A title of more than ROLE_TITLE_WORDS words is a sentence that mentions a role, not a
        name for the input's section of it: "Before writing the plan, escalate to a human if",
        a condition inside a workflow step, aligned by role alone with another input's
        "Integration with Other Agents" and its heading disappeared into that one. Nor does a
        section whose heading names another topic, its role read from the subtitle that opens
        it: "**Variable and Output Ordering:**" under "Code Formatting" was made another input's
        "Output".
        """
        entry = self.sections[index]
        if entry.role not in SINGLE_ROLES or role_count[(entry.source, entry.role)] != 1:
            return False
        if entry.subtitle is not None and section_role(_title(entry.section)) != entry.role:
            return False  # the role is its subtitle's, not the section's ("Code Formatting" > "**Output Ordering:**")
        return len(_title(entry.section).split()) <= ROLE_TITLE_WORDS

    def _hands_off(self, index: int) -> bool:
        """Whether most items directly in section ``index`` hand off to another agent ("**With
        architect**: ..."): such a list and a list of when to ask a human ("Escalate to Human
        When") both read as collaboration, and are not one section for it."""
        return self._handing_off.get(index, False)

    @functools.cached_property
    def _handing_off(self) -> dict[int, bool]:
        """``_hands_off`` of every section that holds items, read once."""
        counts: dict[int, list[int]] = {}
        for e in self.items:
            if e.parent < 0:
                count = counts.setdefault(e.home, [0, 0])
                count[0] += is_handoff(e.item.text)
                count[1] += 1
        return {home: 2 * handoffs > total for home, (handoffs, total) in counts.items()}

    def _merge_fields(self, line: int) -> tuple[list[MergedField], list[Conflict]]:
        """The merged frontmatter, keys numbered on from ``line`` (the body's last line)."""
        # Each input's fields by key (the first of a repeated key, as Agent.field finds it), so a
        # frontmatter of thousands of keys is not searched once per key.
        by_key: list[dict[str, Field]] = []
        for agent in self.agents:
            table: dict[str, Field] = {}
            for f in agent.fields:
                table.setdefault(f.key, f)
            by_key.append(table)
        # The order the file is written in: name, description, then first seen.
        keys = ordered_keys(dict.fromkeys(key for table in by_key for key in table))
        fields: list[MergedField] = []
        conflicts: list[Conflict] = []
        for key in keys:
            found = [(n, table[key]) for n, table in enumerate(by_key) if key in table]
            if key in PROSE_KEYS and all(isinstance(f.value, str) for _, f in found):
                value, sources, kept = self._description(found)
                conflict = None
            else:
                if all(is_name_set(key, f.value) for _, f in found):
                    value, conflict = self._set_field(key, found)
                elif merges_as_list(f.value for _, f in found):
                    value, conflict = self._list_field(key, found)
                elif merges_as_mapping(f.value for _, f in found):
                    value, conflict = self._mapping_field(key, found)
                else:
                    value, conflict = self._scalar_field(key, found)
                sources, kept = _kept_first(
                    tuple(Source(self.agents[n].path, f.line, value_text(f.value), 1.0) for n, f in found), value
                )
            line += LINE_STEP
            merged = _with_inputs_lines(Field(key, value, line, line), [f for _, f in found])
            fields.append(MergedField(merged, sources, conflict is not None, kept))
            if conflict is not None:
                conflicts.append(conflict)
        return fields, conflicts

    def _description(self, found: list[tuple[int, Field]]) -> tuple[object, tuple[Source, ...], int]:
        """The description: the prose chosen like an item, then every other input's prose that
        says something it does not, then every distinct ``<example>`` block of every input.

        Another input's prose folds into the chosen one only as an item folds into its kept
        wording (the lossless rule): when it is a copy of prose already kept, or when it scores
        the fold floor against the chosen prose (the matcher's pair score) and the chosen prose
        carries its content (``cluster.carries``). Otherwise it is kept, as a paragraph of its own: a
        description says when to use the agent, and a trigger only one input names is an
        instruction. Returns the value, the sources (kept prose first) and how many are kept.
        """
        proses = [description_prose(str(f.value)) for _, f in found]
        choice = choose_wording(proses, [n for n, _ in found], [f.line for _, f in found], self.preferred)
        chosen = found[choice][1]
        examples: list[str] = []
        seen: set[str] = set()
        owners: set[int] = set()
        for n, f in found:
            for example in f.examples:
                key = example_key(example)
                if key not in seen:
                    seen.add(key)
                    examples.append(example.text)
                    owners.add(n)
        views = [
            ItemView(n, prose, "paragraph", None, GUIDANCE_ROLE) for (n, _), prose in zip(found, proses, strict=True)
        ]
        scorer = PairScorer(views, self.model)
        floor = max(self.threshold, self.model.floor)
        similarity = [1.0] * len(found)
        kept, folded = [choice], []
        forms = {compare_form(proses[choice])}
        for k in range(len(found)):
            if k == choice:
                continue
            # A copy of prose already kept, or only examples (no words that say anything).
            if compare_form(proses[k]) in forms or not (terms(proses[k]) or specifics(proses[k])):
                folded.append(k)
                continue
            pair = (k, choice) if k < choice else (choice, k)
            similarity[k] = round(scorer.scores([pair])[pair], 3)
            if (
                similarity[k] >= floor
                and carries(proses[choice], proses[k], subject=self.subject)
                and not self._says_otherwise(proses[choice], proses[k], similarity[k])
            ):
                folded.append(k)
                continue
            similarity[k] = 1.0  # written in full, as the chosen prose is
            kept.append(k)
            forms.add(compare_form(proses[k]))
        merged_sources = tuple(
            Source(
                self.agents[found[k][0]].path,
                found[k][1].line,
                value_text(found[k][1].value),
                similarity[k],
            )
            for k in kept + folded
        )
        if len(kept) == 1 and (not examples or owners == {found[choice][0]}):
            return chosen.value, merged_sources, 1
        prose = "\n\n".join(proses[k] for k in kept if proses[k])
        if not examples:
            return prose, merged_sources, len(kept)
        blocks = "\n".join(f"<example>\n{text}\n</example>" for text in examples)
        return f"{prose}\n\nExamples:\n{blocks}", merged_sources, len(kept)

    def _vote(self, key: str, found: list[tuple[int, Field]]) -> tuple[str, list[str], str]:
        """The value text most inputs share; ties go to ``prefer``, else to the first input in
        path order that has a tied value. With a target, only the values its tool takes count
        (``Format.accepts``: a Claude Code subagent's ``name`` and ``model``) when some input gives
        one. Returns (chosen text, value texts in order, why)."""
        texts = [value_text(f.value) for _, f in found]
        votes = Counter(texts)
        unfit = ""
        if self.target is not None:
            from agentmerge.formats import BY_NAME

            form = BY_NAME[self.target]
            refused = {value_text(f.value) for _, f in found if not form.accepts(key, f.value)}
            if refused and len(refused) < len(votes):
                votes = Counter(t for t in texts if t not in refused)
                unfit = f"a {form.title} does not take {', '.join(sorted(map(repr, refused)))}; "
        best = max(votes.values())
        tied = [t for t in dict.fromkeys(texts) if votes[t] == best]
        if len(tied) == 1:
            why = f"{unfit}{best} of {len(found)} inputs that set {key} agree on it"
            return tied[0], texts, why
        if self.preferred >= 0 and any(n == self.preferred for n, _ in found):
            pick = texts[[n for n, _ in found].index(self.preferred)]
            if pick in tied:
                why = f"{unfit}tie of {best} inputs each; --prefer {self.agents[self.preferred].path} decides"
                return pick, texts, why
        if key == "name" and self.file_name and kebab_case(self.file_name):
            named = [t for t in tied if kebab_case(t) == kebab_case(self.file_name)]
            if named:
                why = (
                    f"{unfit}tie of {counted(best, 'input')} each; "
                    f"the one the file is named after ({self.file_name}) decides"
                )
                return named[0], texts, why
        why = f"{unfit}tie of {counted(best, 'input')} each; the first input in path order with a tied value decides"
        return tied[0], texts, why

    def _scalar_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        chosen, texts, why = self._vote(key, found)
        value = next(f.value for (_, f), t in zip(found, texts, strict=True) if t == chosen)
        # Reported as the inputs write them: "1.10" is written, not the 1.1 it reads as
        # (``spelled_value``), and the merged key is written as the first input with its value wrote it.
        shown = [spelled_value(f) or t for (_, f), t in zip(found, texts, strict=True)]
        if len(set(shown)) == 1:
            return value, None
        chosen_shown = shown[texts.index(chosen)]
        others = [self.agents[n].path for (n, _), t in zip(found, texts, strict=True) if t != chosen]
        respelled = [
            self.agents[n].path
            for (n, _), t, s in zip(found, texts, shown, strict=True)
            if t == chosen and s != chosen_shown
        ]
        if others:
            why = f"{why}; {', '.join(others)} had another value"
        if respelled:
            # One value to this parser, two to a YAML reader of another version ("yes" and "true").
            why = f"{why}; {', '.join(respelled)} wrote it otherwise"
        values = self._who_wrote(found, shown)
        return value, Conflict(key, tuple((t, tuple(ps)) for t, ps in values.items()), chosen_shown, why)

    def _who_wrote(self, found: list[tuple[int, Field]], texts: list[str]) -> dict[str, list[str]]:
        """Each value's text (``texts``, one per entry of ``found``) and the inputs that wrote it,
        in first-seen order: what a Conflict lists."""
        values: dict[str, list[str]] = {}
        for (n, _), text in zip(found, texts, strict=True):
            values.setdefault(text, []).append(self.agents[n].path)
        return values

    def _list_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        """A list every input writes as a list: the union of the entries, in first-seen order."""
        value = list_union(f.value for _, f in found if isinstance(f.value, list))
        texts = [value_text(f.value) for _, f in found]
        if len(set(texts)) == 1:
            return found[0][1].value, None
        values = self._who_wrote(found, texts)
        why = "merged as a list (every entry of every input's list, once each, in first-seen order)"
        return value, Conflict(key, tuple((t, tuple(ps)) for t, ps in values.items()), value_text(value), why)

    def _mapping_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        """A mapping every input writes as one (MCP servers, hooks): every input's entries, by name."""
        value, differ = mapping_union([f.value for _, f in found])  # type: ignore[misc]
        texts = [value_text(f.value) for _, f in found]
        if len(set(texts)) == 1:
            return found[0][1].value, None
        values = self._who_wrote(found, texts)
        why = "merged entry by entry (every entry of every input's mapping, once each, in first-seen order)"
        if differ:
            why += f"; the inputs give {', '.join(differ)} different values: the one most give is kept (first of a tie)"
        return value, Conflict(key, tuple((t, tuple(ps)) for t, ps in values.items()), value_text(value), why)

    def _tool_reading(self) -> ToolReading | None:
        """How the merged agent reads a tool name (``formats.merged_tool_reading``): names two
        spellings of one tool take one place in a merged tools list, and neither widens."""
        from agentmerge.formats import merged_tool_reading

        return merged_tool_reading([a.path for a in self.agents], self.target)

    def _set_field(self, key: str, found: list[tuple[int, Field]]) -> tuple[object, Conflict | None]:
        """Union of the names, in first-seen order, a tool's second spelling (``_tool_reading``)
        left out; any input that gains a name is reported."""
        if len({value_text(f.value) for _, f in found}) == 1 and len(found) == len(self.agents):
            return found[0][1].value, None  # every input agrees: kept exactly as written
        sets = [(n, names(f.value)) for n, f in found]
        read = self._tool_reading() if key in TOOL_KEYS else None
        # Each tool as the first input that lists it names it: a name another input already gave
        # (every tool of it) under another spelling is left out, one input's own names never.
        written: list[str] = []
        listed: set[str] = set()
        seen: set[str] = set()
        for _, found_names in sets:
            new = [name for name in found_names if not read_tools((name,), read) <= seen and name not in listed]
            written.extend(new)
            listed.update(new)
            seen |= read_tools(new, read)
        as_list = sum(1 for _, f in found if isinstance(f.value, list))
        value: object = written if as_list * 2 >= len(found) else ", ".join(written)
        rule = rule_of(key)
        what, kind = (rule.what, rule.kind) if rule is not None else ("name", "grant")
        gains = [(self.agents[n].path, beyond(written, found_names, what, read)) for n, found_names in sets]
        gains = [(p, extra) for p, extra in gains if extra]
        absent = [a.path for a in self.agents if a.field(key) is None]
        widened: list[tuple[str, Sequence[str]]] = []
        narrowed: list[str] = []
        forbids: list[tuple[str, Sequence[str]]] = []
        if kind == "allow":
            # An input with no list may use every tool: the union narrows it unless it holds EVERY_TOOL.
            widened, narrowed = [*gains], ([] if reaches_every_tool(written) else absent)
        elif kind == "deny":
            # The union forbids each input more than it did: a narrowing, said as such.
            forbids = [*gains, *((p, written) for p in absent)]
        else:
            # No skills key means no skills: the merged list widens that input by all of it.
            widened = [*gains, *((p, written) for p in absent)]
        if not widened and not narrowed and not forbids:
            return value, None
        values = self._who_wrote(found, [value_text(f.value) for _, f in found])
        if absent:
            values.setdefault("(absent)", []).extend(absent)
        parts = ["merged as a set (union of every input's names)"]
        parts.extend(f"widens {p} (adds {', '.join(extra)})" for p, extra in widened)
        parts.extend(f"narrows {p} (also forbids {', '.join(extra)})" for p, extra in forbids)
        if narrowed:
            parts.append(f"narrows {', '.join(narrowed)} (no {key} key inherits every tool)")
        return value, Conflict(
            key, tuple((t, tuple(ps)) for t, ps in values.items()), value_text(value), "; ".join(parts)
        )


# --------------------------------------------------------------------------------------------
# Helpers


def _with_inputs_lines(merged: Field, found: Sequence[Field]) -> Field:
    """The merged key ``merged`` with what the inputs' lines for it hold beyond their values
    (``Field.written``): the lines as written of the first input whose value it is (the same
    text, ``value_text``, and type: ``1`` is not ``true``), and, above the key, every YAML comment
    of the other inputs' lines that those lines do not hold. A comment, or a value's spelling
    (``version: 1.10``), is never dropped by merging."""
    if not any(f.written for f in found):
        return merged
    text = value_text(merged.value)
    same = next((f for f in found if type(f.value) is type(merged.value) and value_text(f.value) == text), None)
    written = same.written if same is not None else ""
    held = set(yaml_comments(written))
    comments: list[str] = []
    for f in found:
        if f.written and f is not same:
            for comment in yaml_comments(f.written):
                if comment not in held:
                    held.add(comment)
                    comments.append(comment)
    return replace(merged, written=written, comments=tuple(comments))


def _kept_first(sources: tuple[Source, ...], value: object) -> tuple[tuple[Source, ...], int]:
    """A field's ``sources`` with the input whose value is written first, the rest in input order,
    and how many are kept (1; 0 when no input's value is written as it stands)."""
    written = value_text(value)
    for n, source in enumerate(sources):
        if source.text == written:
            return (source, *sources[:n], *sources[n + 1 :]), 1
    return sources, 0


def _title(section: Section | None) -> str:
    return "" if section is None or section.title is None else section.title


def _title_key(section: Section | None) -> str:
    return normalize(_title(section)).casefold()
