"""Which agents of a library do the same job: groups by what their instructions and descriptions say.

A pure function from parsed agents (or their profiles) to a ``Grouping``. The steps, each
deterministic and independent of the order the agents come in:

1. Each agent is reduced to a ``Profile``: its name, the terms (``text.terms``) of its
   instructions, section titles, description and name, and the terms of each instruction.
2. Each profile becomes a role vector: the shares of its instructions, description and name,
   times a smoothed inverse document frequency over the library, raised to ROLE_SHARPEN and
   normalised. Raising the weights makes the few terms an agent is *about* ("python", "review")
   outweigh the many terms it shares with every sibling of its collection's template.
3. Candidate pairs come from shared heavy terms: each agent's BLOCK_TERMS heaviest terms are
   looked up in an inverted index that keeps, per term, the BLOCK_PARTNERS agents it weighs most
   in. Work grows with the number of agents times a constant, never with its square.
4. Copies of one agent (``copy_pairs``: most of both agents' instructions the same) are joined
   first, whatever their descriptions say. Then candidates are scored by the cosine of their
   role vectors and clustered best pair first with average linkage (the mean similarity of
   every member of one cluster to every member of the other must reach the cutoff), so a chain
   of look-alikes does not become one group.
5. Each group gets a suggested name, the mean pairwise similarity of its members and the share of
   instructions its linked members have in common (``instruction_overlap``).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agentmerge import cluster, match, text
from agentmerge.model import Agent, Diagnostic
from agentmerge.scorer import corpus_weights

MIN_SIMILARITY = 0.3
"""Least role similarity (0-1) at which two agents, or two groups on average, do the same job.

The default of ``group --min-similarity``. Measured on the public corpus: pairs of the three
hand-labelled same-role sets (four files from four collections each: Python, code review,
security) score 0.14-0.97, median 0.58; one collection's template for two roles (a Python and a
Go "pro", a Fastify and a Spring Boot "expert") 0.00-0.09. At 0.25 the backend architects
absorbed the UI designers; at 0.35 a Cursor pull-request rule left the code reviewers.
"""

MIXED_SIMILARITY = 0.2
"""The cutoff ``consolidate`` groups its inputs at before it refuses them as more than one role.

Looser than MIN_SIMILARITY: the refusal guards against merging agents that have nothing to do
with each other, not against merging two authors' takes on one role. The inputs' terms are
weighed against the public corpus (``role_vectors``'s ``corpus_background``). So weighed, 400
random pairs of corpus agents that ``group`` puts in different groups score 0.003 (median),
0.085 (95th percentile), 5 of them 0.2 or more; the labelled same-role sets of four files from
four collections score 0.22-0.95 among themselves, the four seeds 0.74-0.87. Of the 183 groups
of up to 12 agents ``group`` finds in the corpus, 3 are refused (weighed by the inputs alone,
67 were: two or three files cannot tell their common topic from words every agent uses).
"""

ROLE_SHARPEN = 2.0
"""Power the role weights are raised to before normalising (see the module docstring, step 2).

At 1 (plain TF-IDF cosine) a Python and a Go agent of one collection score as high as two Python
agents of two collections (0.36 against 0.39), because the template's many shared words add up;
at 2 they score 0.04 against 0.56.
"""

BODY_SHARE = 1.0
"""Weight of the instructions and section titles in a role vector, spread over their term counts."""

DESCRIPTION_SHARE = 0.5
"""Weight of the description, spread over its term counts: one sentence that says what the agent
is for weighs half as much as all its instructions, however long either is."""

NAME_SHARE = 0.05
"""Weight of the name's terms that the text also uses. Small: a name is a few words, and sharing a
collection's naming scheme ("python-pro", "golang-pro") is not sharing a job. At 0.3 the name
outweighed the whole text of a long agent (a Python and a TypeScript "pro" scored 0.48)."""

ROLE_TERMS = 48
"""Heaviest terms kept in a role vector; after sharpening the rest hold almost none of its weight."""

BLOCK_TERMS = 4
"""How many of an agent's heaviest terms it is looked up by (see the module docstring, step 3)."""

BLOCK_PARTNERS = 20
"""How many agents, those a term weighs most in, each heavy term offers as candidates."""

EXHAUSTIVE_AGENTS = 64
"""Most agents for which every pair is scored without blocking (2,016 cosines at most)."""

BLOCK_SHARE = 0.2
"""Share of the cutoff that the blocking terms alone must reach before a pair is scored in full."""

OVERLAP_PAIRS = 6
"""Most members per group whose instruction overlap with the group's typical member is measured
(spread evenly over the members in path order); bounds the cost of the figure for large groups."""

GROUP_TERMS = 5
"""How many of a group's heaviest terms are reported with it."""

COPY_SHARE = 0.9
"""Least share of two agents' instructions that are the same instruction (the same terms, in any
order or markup) for the two to be copies of one agent, which do the same job whatever their
descriptions say (``copy_pairs``). Role vectors weigh an agent's description heavily (a sentence
that says what it is for); five copies of one agent with their descriptions reworded scored
0.04-0.13 and were five agents alone. On the public corpus no two agents that ``group`` puts
apart share more than 85% (two Cursor rules for two stacks built on one template); 111 pairs
share 90% or more, all in one group already."""

COPY_LEAST = 5
"""Fewest instructions two copies must have in common: two one-line rules that say the same
thing ("Use TypeScript") are not yet one agent."""

COPY_POSTINGS = 64
"""Most agents an instruction may open copy candidates among (``copy_pairs``): a library of
thousands of near-copies must not cost the square of its size. Agents whose instructions are all
the same are found apart from this bound, by their whole set of instructions."""

SKIPPED_KINDS = frozenset({"code", "html"})
"""Item kinds that are not instructions in words: code blocks and raw HTML."""

AGENT_SUFFIXES = (".agent.md", ".chatmode.md", ".mdc", ".markdown", ".md")
"""File name endings taken off a file name to name an agent that has no ``name`` field."""

_NAME_SPLIT = re.compile(r"[-_.\s/]+")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class Profile:
    """What grouping needs of one agent: a small, picklable summary of its parsed model."""

    path: str
    """The agent's path as given."""
    name: str
    """Its ``name`` field, or its file name without the agent suffix when it has none."""
    terms: tuple[str, ...]
    """Its terms, sorted."""
    weights: tuple[float, ...]
    """Each of ``terms``' weight before IDF (shares of the instructions, description and name).
    Two tuples rather than one of (term, weight) pairs: a pair is a tuple of its own, and a
    library of 3,000 files held 700,000 of them."""
    instructions: tuple[tuple[str, ...], ...]
    """The terms of each instruction (items that are not code or HTML), in source order."""
    declared: bool = True
    """Whether ``name`` is the agent's ``name`` field (not its file name)."""

    def row(self) -> tuple[Any, ...]:
        """The profile as a plain tuple, as a worker process sends it (``received``)."""
        return (self.path, self.name, self.terms, self.weights, self.instructions, self.declared)


def received(row: Sequence[Any], pool: dict[str, str]) -> Profile:
    """The profile a worker sent as ``Profile.row``, each of its terms the one object ``pool``
    holds for that term (added when new). Each batch a worker sends brings its own copy of every
    term it uses: without a pool a library of 3,000 files held 285,000 strings for 11,700 terms."""
    path, name, terms, weights, instructions, declared = row
    shared = pool.setdefault
    return Profile(
        path,
        name,
        tuple([shared(t, t) for t in terms]),
        weights,
        tuple([tuple([shared(t, t) for t in instruction]) for instruction in instructions]),
        declared,
    )


@dataclass(frozen=True, slots=True)
class Member:
    """One agent of a group (or a singleton)."""

    path: str
    """The agent's path as given."""
    name: str
    """Its ``name`` field, or its file name without the agent suffix."""


@dataclass(frozen=True, slots=True)
class Group:
    """Agents that do the same job."""

    name: str
    """Suggested name: the member name most members share, else the one closest to the group's terms."""
    members: tuple[Member, ...]
    """Two or more members, by path."""
    similarity: float
    """Mean role similarity over all member pairs, 0 to 1."""
    overlap: float
    """Mean share of instructions in common (``instruction_overlap``) between the typical member and
    the others (at most OVERLAP_PAIRS of them), 0 to 1."""
    typical: str
    """Path of the member closest to the group as a whole (its role vector nearest the group's)."""
    terms: tuple[str, ...]
    """The terms that weigh most in the group as a whole (stems), heaviest first: why it is a group."""


@dataclass(frozen=True, slots=True)
class Grouping:
    """A library split into groups of agents that do the same job, and the agents alone."""

    groups: tuple[Group, ...]
    """Groups of two or more, largest first, then by name and first path."""
    singletons: tuple[Member, ...]
    """Agents that share their job with no other, by path."""
    min_similarity: float
    """The role similarity cutoff used."""
    min_overlap: float
    """The least instruction overlap two linked members needed (0: not asked for)."""
    pairs_scored: int
    """How many candidate pairs were scored in full (the blocking's work; grows with the agents)."""
    unmeasured: int = 0
    """How many pairs of agents had their instruction overlap left unmeasured, past the budget of
    work ``Overlaps`` holds to: only agents of many thousands of instructions that share their
    words reach it. A group's overlap figure is then the mean of the pairs measured."""
    unread: tuple[Diagnostic, ...] = ()
    """The files given that could not be read as agents (and so are in no group), each with why:
    a report that leaves them out would look like the whole library."""

    def parts(self) -> int:
        """How many groups the agents form, singletons counting as groups of one."""
        return len(self.groups) + len(self.singletons)


# --------------------------------------------------------------------------------------------
# Profiles


def profile(agent: Agent) -> Profile:
    """Reduce ``agent`` to what grouping compares: the terms of its instructions, titles,
    description and name, mixed in fixed shares (BODY_SHARE, DESCRIPTION_SHARE, NAME_SHARE)."""
    body: dict[str, float] = {}
    instructions: list[tuple[str, ...]] = []
    for _, item in agent.items():
        if item.kind in SKIPPED_KINDS:
            continue
        found = text.terms(item.text)
        if found:
            instructions.append(found)
            _count(body, found)
    for section in agent.body.walk():
        if section.title:
            _count(body, text.terms(section.title))
    described: dict[str, float] = {}
    field = agent.field("description")
    if field is not None and field.value:
        _count(described, text.terms(_text(field.value)))
    name = agent_name(agent)
    named = dict.fromkeys(text.terms(_NAME_SPLIT.sub(" ", name)), 1.0)
    # A name term the text never uses ("se-", "pro", a plugin's name) says little of the job.
    used = {t: 1.0 for t in named if t in body or t in described} or named
    role: dict[str, float] = {}
    for counts, share in ((body, BODY_SHARE), (described, DESCRIPTION_SHARE), (used, NAME_SHARE)):
        total = sum(counts.values())
        for term, count in counts.items():
            role[term] = role.get(term, 0.0) + share * count / total
    ordered = sorted(role)
    return Profile(
        agent.path,
        name,
        tuple(ordered),
        tuple([role[term] for term in ordered]),
        tuple(instructions),
        agent.declared_name() is not None,
    )


def agent_name(agent: Agent) -> str:
    """The agent's ``name`` field, or its file name without the agent suffix when it has none."""
    declared = agent.declared_name()
    if declared is not None:
        return declared
    base = os.path.basename(agent.path)
    for suffix in AGENT_SUFFIXES:
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def _count(counts: dict[str, float], terms: Iterable[str]) -> None:
    for term in terms:
        counts[term] = counts.get(term, 0.0) + 1.0


# --------------------------------------------------------------------------------------------
# Entry points


def group_agents(
    agents: Sequence[Agent],
    *,
    min_similarity: float = MIN_SIMILARITY,
    min_overlap: float = 0.0,
    corpus_background: bool = False,
) -> Grouping:
    """Group ``agents`` by the job they do; see ``group_profiles``."""
    return group_profiles(
        [profile(a) for a in agents],
        min_similarity=min_similarity,
        min_overlap=min_overlap,
        corpus_background=corpus_background,
    )


def group_profiles(
    profiles: Sequence[Profile],
    *,
    min_similarity: float = MIN_SIMILARITY,
    min_overlap: float = 0.0,
    corpus_background: bool = False,
) -> Grouping:
    """Group the agents that ``profiles`` describe by the job they do.

    Two agents (or, on average, two groups) join when their role similarity reaches
    ``min_similarity``, and, when ``min_overlap`` is above 0, when the two agents that link them
    have at least that share of instructions in common. Profiles with the same path are one agent.
    ``corpus_background`` weighs terms as ``role_vectors`` says. The result does not depend on the
    order of ``profiles``.
    """
    ordered = _by_path(profiles, min_similarity, min_overlap)
    vectors = role_vectors(ordered, corpus_background=corpus_background)
    overlaps = Overlaps(ordered, instruction_weights(ordered))
    clusters, scored = _link(ordered, vectors, overlaps, min_similarity, min_overlap)
    groups: list[Group] = []
    singletons: list[Member] = []
    for root in clusters.roots():
        members = clusters.members[root]
        if len(members) == 1:
            singletons.append(Member(ordered[root].path, ordered[root].name))
            continue
        groups.append(_group(ordered, vectors, overlaps, clusters, root))
    groups.sort(key=lambda g: (-len(g.members), g.name, g.members[0].path))
    named = _named_apart(groups)
    return Grouping(tuple(named), tuple(singletons), min_similarity, min_overlap, scored, overlaps.skipped)


def _named_apart(groups: Sequence[Group]) -> list[Group]:
    """``groups`` with a name each: a name another group (earlier in order) already has takes the
    first free ``-2``, ``-3``, ... (two "python-expert" groups are "python-expert" and
    "python-expert-2"), so a report names each group once and ``consolidate --by-group`` writes
    each to the file of its name."""
    taken = {g.name for g in groups}
    seen: set[str] = set()
    named: list[Group] = []
    for g in groups:
        name = g.name
        if name in seen:
            number = 2
            while f"{name}-{number}" in taken:
                number += 1
            name = f"{name}-{number}"
            taken.add(name)
            g = replace(g, name=name)
        seen.add(name)
        named.append(g)
    return named


def count_groups(
    agents: Sequence[Agent], *, min_similarity: float = MIN_SIMILARITY, corpus_background: bool = False
) -> int:
    """How many groups ``agents`` form, an agent alone counting as one: ``group_agents(...).parts()``.

    The groups are found as ``group_agents`` finds them but neither named nor measured (their
    instruction overlap asks the item matcher): ``consolidate`` only asks whether its inputs are
    one role, and names the groups only when they are not.
    """
    ordered = _by_path([profile(a) for a in agents], min_similarity, 0.0)
    vectors = role_vectors(ordered, corpus_background=corpus_background)
    clusters, _ = _link(ordered, vectors, None, min_similarity, 0.0)
    return len(clusters.roots())


def _by_path(profiles: Sequence[Profile], min_similarity: float, min_overlap: float) -> list[Profile]:
    """The profiles by path, one per path, once the cutoffs are checked."""
    for value, name in ((min_similarity, "min-similarity"), (min_overlap, "min-overlap")):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    unique = {p.path: p for p in sorted(profiles, key=lambda p: p.path, reverse=True)}
    return sorted(unique.values(), key=lambda p: p.path)


def _link(
    ordered: Sequence[Profile],
    vectors: Sequence[Mapping[str, float]],
    overlaps: Overlaps | None,
    min_similarity: float,
    min_overlap: float,
) -> tuple[_Clusters, int]:
    """The agents clustered (see the module docstring, step 4), and how many pairs were scored.
    Copies (``copy_pairs``) are one cluster before any pair is asked."""
    pairs, scored = candidate_pairs(vectors, min_similarity)
    clusters = _Clusters(vectors)
    for _, i, j in copy_pairs(ordered):
        clusters.join(i, j)
    for score, i, j in pairs:
        if min_overlap > 0:
            # A pair whose overlap is past the budget (None) cannot show that it reaches the minimum.
            share = overlaps.share(i, j) if overlaps is not None else None
            if share is None or share < min_overlap:
                continue
        clusters.join_if_close(i, j, score, min_similarity)
    return clusters, scored


# --------------------------------------------------------------------------------------------
# Role vectors and candidate pairs


def role_vectors(profiles: Sequence[Profile], *, corpus_background: bool = False) -> list[dict[str, float]]:
    """Each profile's role vector: sharpened TF-IDF weights, unit length, ROLE_TERMS heaviest kept.

    The IDF is smoothed (``ln((n + 1) / (df + 1)) + 1``) so that a handful of agents that all say
    "python" still weigh it: with plain ``ln(n / df)`` a word every input shares weighs nothing,
    and four Python agents would look unrelated to each other.

    With ``corpus_background`` the public corpus's document counts (``scorer.corpus_weights``:
    59,080 instructions) are added to the profiles' own, as if the profiles sat in that library.
    Two or three inputs cannot tell a word of their common topic ("fastapi") from a word every
    agent uses ("code"), since both are in all of them; the corpus can. ``consolidate`` asks it
    of its inputs (MIXED_SIMILARITY); ``group`` weighs a library by itself.
    """
    frequency: dict[str, int] = {}
    for p in profiles:
        for term in p.terms:
            frequency[term] = frequency.get(term, 0) + 1
    total = len(profiles)
    if corpus_background:
        counts, documents = corpus_weights()
        idf = {term: _idf(total + documents, count + counts.get(term, 0)) for term, count in frequency.items()}
    else:
        idf = {term: _idf(total, count) for term, count in frequency.items()}
    vectors: list[dict[str, float]] = []
    for p in profiles:
        weights = [(term, (count * idf[term]) ** ROLE_SHARPEN) for term, count in zip(p.terms, p.weights, strict=True)]
        norm = math.sqrt(math.fsum(w * w for _, w in weights)) or 1.0
        # A stable sort from term order: equal weights stay in alphabetical order.
        weights.sort(key=_negative_weight)
        vectors.append({term: weight / norm for term, weight in weights[:ROLE_TERMS]})
    return vectors


def _negative_weight(entry: tuple[str, float]) -> float:
    return -entry[1]


def _idf(total: int, frequency: int) -> float:
    return math.log((total + 1) / (frequency + 1)) + 1.0


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Dot product of two role vectors (their cosine, as both have unit length before truncation)."""
    # fsum is exact, so the order in which the set of shared terms is visited cannot matter.
    return math.fsum(a[term] * b[term] for term in a.keys() & b.keys())


def candidate_pairs(vectors: Sequence[Mapping[str, float]], cutoff: float) -> tuple[list[tuple[float, int, int]], int]:
    """Pairs (score, i, j), i < j, whose role similarity reaches ``cutoff``, best first, and how
    many pairs were scored to find them.

    Up to EXHAUSTIVE_AGENTS agents every pair is scored (a handful of files to consolidate must
    not be split by blocking). Beyond that only pairs found through a shared heavy term are scored
    (see the module docstring, step 3): each agent meets at most BLOCK_TERMS x BLOCK_PARTNERS
    others, and a pair is scored in full only when the weight of its shared blocking terms alone
    reaches BLOCK_SHARE of the cutoff.
    """
    if len(vectors) <= EXHAUSTIVE_AGENTS:
        every = [(round(cosine(vectors[i], vectors[j]), 6), i, j) for j in range(len(vectors)) for i in range(j)]
        kept = [pair for pair in every if pair[0] >= cutoff]
        return sorted(kept, key=lambda p: (-p[0], p[1], p[2])), len(every)
    postings: dict[str, list[tuple[float, int]]] = {}
    keys: list[list[tuple[str, float]]] = []
    for index, vector in enumerate(vectors):
        heavy = list(vector.items())[:BLOCK_TERMS]  # vectors are built heaviest first
        keys.append(heavy)
        for term, weight in heavy:
            postings.setdefault(term, []).append((-weight, index))
    for entries in postings.values():
        entries.sort()
        del entries[BLOCK_PARTNERS:]
    found: dict[tuple[int, int], float] = {}
    scored = 0
    for i, heavy in enumerate(keys):
        partial: dict[int, float] = {}
        for term, weight in heavy:
            for other_weight, j in postings[term]:
                if j != i:
                    partial[j] = partial.get(j, 0.0) - weight * other_weight
        for j in sorted(partial):
            pair = (i, j) if i < j else (j, i)
            if partial[j] < BLOCK_SHARE * cutoff or pair in found:
                continue
            score = round(cosine(vectors[i], vectors[j]), 6)
            scored += 1
            if score >= cutoff:
                found[pair] = score
    return sorted(((score, i, j) for (i, j), score in found.items()), key=lambda p: (-p[0], p[1], p[2])), scored


def copy_pairs(profiles: Sequence[Profile]) -> list[tuple[float, int, int]]:
    """Pairs (share, i, j), i < j, of agents that are copies of one agent: COPY_SHARE or more of
    both agents' instructions, and COPY_LEAST or more, are the same instruction (the same terms).

    The share is 2 x common / (a's + b's), an instruction said twice counting twice. Agents whose
    instructions are all the same pair with the first of them (one dictionary lookup each); the
    others by prefix filtering: with the instructions of the library ordered rarest first, two
    agents that share COPY_SHARE of theirs share one of each one's first n - ceil(n x COPY_SHARE /
    (2 - COPY_SHARE)) + 1 (n its instruction count), so only agents that meet there are compared,
    among at most COPY_POSTINGS agents per instruction.
    """
    bags = [Counter(tuple(sorted(set(terms))) for terms in p.instructions) for p in profiles]
    spread = Counter(key for bag in bags for key in bag)
    rank = {key: n for n, key in enumerate(sorted(spread, key=lambda key: (spread[key], key)))}
    need = COPY_SHARE / (2.0 - COPY_SHARE)
    pairs: list[tuple[float, int, int]] = []
    first_with: dict[tuple[tuple[int, int], ...], int] = {}
    postings: dict[tuple[int, int], list[int]] = {}
    # An instruction said k times is k tokens (its rank, 0..k-1): what two agents have in common,
    # repeats included, is the intersection of their token sets.
    token_sets: dict[int, frozenset[tuple[int, int]]] = {}
    for i, bag in enumerate(bags):
        tokens = tuple(sorted((rank[key], n) for key, count in bag.items() for n in range(count)))
        if len(tokens) < COPY_LEAST:
            continue
        token_sets[i] = frozenset(tokens)
        same = first_with.setdefault(tokens, i)
        if same != i:
            pairs.append((1.0, same, i))
            continue
        met: set[int] = set()
        for token in tokens[: len(tokens) - math.ceil(len(tokens) * need - 1e-9) + 1]:
            found = postings.setdefault(token, [])
            met.update(found)
            if len(found) < COPY_POSTINGS:
                found.append(i)
        for j in sorted(met):
            common = len(token_sets[j] & token_sets[i])
            share = 2.0 * common / (len(token_sets[j]) + len(tokens))
            if share >= COPY_SHARE and common >= COPY_LEAST:
                pairs.append((round(share, 6), j, i))
    return sorted(pairs, key=lambda p: (p[1], p[2]))


class _Clusters:
    """Average-linkage clusters over unit vectors, kept as the sum of their members' vectors.

    The mean similarity of every member of one cluster to every member of another is the dot
    product of the two sums divided by the product of their sizes, so the linkage is exact at
    the cost of one sparse dot product per attempted join.
    """

    def __init__(self, vectors: Sequence[Mapping[str, float]]) -> None:
        self.parent = list(range(len(vectors)))
        self.sums = [dict(v) for v in vectors]
        self.self_dot = [math.fsum(w * w for w in v.values()) for v in vectors]
        self.members = [[i] for i in range(len(vectors))]
        self.version = [0] * len(vectors)
        # Joins refused between two clusters, with both versions then: asked again only once
        # either cluster has grown (many candidate pairs connect the same two clusters).
        self.refused: dict[tuple[int, int], tuple[int, int]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join_if_close(self, i: int, j: int, score: float, cutoff: float) -> bool:
        """Join the clusters of ``i`` and ``j`` when their mean cross similarity reaches ``cutoff``."""
        a, b = self.find(i), self.find(j)
        if a == b:
            return False
        size = len(self.members[a]) * len(self.members[b])
        if size > 1:
            key, versions = (min(a, b), max(a, b)), (self.version[min(a, b)], self.version[max(a, b)])
            if self.refused.get(key) == versions:
                return False
            if cosine(self.sums[a], self.sums[b]) / size < cutoff:
                self.refused[key] = versions
                return False
        self._merge(a, b)
        return True

    def join(self, i: int, j: int) -> None:
        """Join the clusters of ``i`` and ``j`` whatever their similarity (copies of one agent)."""
        a, b = self.find(i), self.find(j)
        if a != b:
            self._merge(a, b)

    def _merge(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        for term, weight in self.sums[b].items():
            self.sums[a][term] = self.sums[a].get(term, 0.0) + weight
        self.self_dot[a] += self.self_dot[b]
        self.members[a].extend(self.members[b])
        self.sums[b], self.members[b] = {}, []
        self.version[a] += 1

    def roots(self) -> list[int]:
        return [i for i in range(len(self.parent)) if self.parent[i] == i]

    def mean_similarity(self, root: int) -> float:
        """Mean role similarity over all member pairs of the cluster at ``root``."""
        n = len(self.members[root])
        if n < 2:
            return 1.0
        total = math.fsum(w * w for w in self.sums[root].values())
        return max(0.0, min(1.0, (total - self.self_dot[root]) / (n * (n - 1))))


def _group(
    profiles: Sequence[Profile],
    vectors: Sequence[Mapping[str, float]],
    overlaps: Overlaps,
    clusters: _Clusters,
    root: int,
) -> Group:
    members = sorted(clusters.members[root])
    centre = clusters.sums[root]
    typical = max(members, key=lambda n: (round(cosine(vectors[n], centre), 9), -n))
    others = [n for n in members if n != typical]
    if len(others) > OVERLAP_PAIRS:
        step = (len(others) - 1) / (OVERLAP_PAIRS - 1)
        others = [others[round(k * step)] for k in range(OVERLAP_PAIRS)]
    shares = [overlaps.share(typical, n) for n in others]
    measured = [share for share in shares if share is not None]
    heavy = sorted(centre.items(), key=lambda tw: (-tw[1], tw[0]))
    return Group(
        name=suggested_name([profiles[n].name for n in members], [profiles[n].declared for n in members]),
        members=tuple(Member(profiles[n].path, profiles[n].name) for n in members),
        similarity=round(clusters.mean_similarity(root), 3),
        overlap=round(math.fsum(measured) / len(measured), 3) if profiles[typical].instructions and measured else 0.0,
        terms=tuple(term for term, _ in heavy[:GROUP_TERMS]),
        typical=profiles[typical].path,
    )


def suggested_name(names: Sequence[str], declared: Sequence[bool] | None = None) -> str:
    """The name for a group of agents called ``names``: the member name (in kebab case) made most
    of terms that two thirds of the members' names have (a term found in fewer counts against
    it), then the one most members have, then the shortest, then the first in alphabetical
    order. For "python-pro", "python-expert", "Python Expert" and "se-python" that is
    "python-expert": a collection's prefix or suffix ("se-", "-pro") is shared by few and loses.

    Where ``declared`` says which names are ``name`` fields, one of those is chosen when there is
    one: a file name ("rules-react", "r1") is a collection's naming scheme, not a job; every name
    still counts towards the shared terms."""
    keys = [safe_name(name) for name in names]
    chosen = {key for key, said in zip(keys, declared or [False] * len(keys), strict=True) if said}
    found = {key: frozenset(text.terms(key.replace("-", " "))) for key in keys}
    share: dict[str, int] = {}
    for key in keys:
        for term in found[key]:
            share[term] = share.get(term, 0) + 1
    votes: dict[str, int] = {}
    for key in keys:
        votes[key] = votes.get(key, 0) + 1

    def rank(key: str) -> tuple[int, int, int, str]:
        # A term two thirds of the names have counts for the name, one fewer have against it.
        score = sum(3 * share[t] - 2 * len(keys) for t in found[key])
        return (-score, -votes[key], len(key), key)

    return min(chosen or votes, key=rank)


def safe_name(name: str) -> str:
    """``name`` in kebab case with only ``a-z``, ``0-9`` and ``-``: usable as a file name anywhere."""
    return text.kebab_case(name)[:80].strip("-") or "agent"


# --------------------------------------------------------------------------------------------
# Instruction overlap: the one place grouping asks the item matcher


def instruction_weights(profiles: Sequence[Profile]) -> dict[str, float]:
    """Smoothed inverse document frequencies of instruction terms over the library (an agent is
    a document), so that an instruction every agent gives ("write tests") counts for little."""
    frequency: dict[str, int] = {}
    for p in profiles:
        for term in {t for instruction in p.instructions for t in instruction}:
            frequency[term] = frequency.get(term, 0) + 1
    total = len(profiles)
    return {term: _idf(total, count) for term, count in frequency.items()}


def instruction_overlap(a: Profile, b: Profile, weights: Mapping[str, float]) -> float:
    """The share of two agents' instructions that have a counterpart in the other, 0 to 1.

    Two instructions are counterparts when their weighted term cosine reaches COUNTERPART_COSINE
    (a library-scale stand-in for consolidate's pair score, which needs each item's words and
    place, not only its terms); instructions with the same terms are counterparts without asking. The share
    is (a's instructions with a counterpart + b's) / (a's + b's). Each instruction asks the
    matcher about one partner only: the other agent's instruction closest to it by weighted cosine,
    when that cosine reaches OVERLAP_COSINE_FLOOR.
    """
    if not a.instructions or not b.instructions:
        return 0.0
    plans = _plans(_term_counts(a.instructions), _term_counts(b.instructions))
    return _overlap(_ItemIndex(a.instructions, weights), _ItemIndex(b.instructions, weights), plans)


def _term_counts(instructions: Sequence[tuple[str, ...]]) -> dict[str, int]:
    """How many of ``instructions`` hold each term: the postings an index of them has per term."""
    counts: dict[str, int] = {}
    for terms in instructions:
        for term in set(terms):
            counts[term] = counts.get(term, 0) + 1
    return counts


def _plans(left: Mapping[str, int], right: Mapping[str, int]) -> tuple[tuple[bool, int], tuple[bool, int]]:
    """For each side of a pair of agents (``left`` and ``right``: how many of each agent's
    instructions hold each term), whether its closest-partner searches are bounded, and how many
    postings they visit at most.

    An instruction's search visits the postings of its terms in the other agent; when one side's
    searches would visit more than OVERLAP_PAIR_VISITS, they go only through terms at most
    ``match.SHARED_WORD_POSTINGS`` of the other's instructions have, so that agents of thousands
    of instructions drawn from a few words cost in proportion to their size, not its square."""
    plans = []
    for this, other in ((left, right), (right, left)):
        found = [(count, other.get(term, 0)) for term, count in this.items()]
        every = sum(count * postings for count, postings in found)
        if every <= OVERLAP_PAIR_VISITS:
            plans.append((False, every))
        else:
            shared = match.SHARED_WORD_POSTINGS
            plans.append((True, sum(count * postings for count, postings in found if postings <= shared)))
    return plans[0], plans[1]


def _overlap(left: _ItemIndex, right: _ItemIndex, plans: tuple[tuple[bool, int], tuple[bool, int]]) -> float:
    """``instruction_overlap`` of two indexed agents, searched as ``plans`` (``_plans``) says."""
    matched_left = [key in right.key_set for key in left.keys]
    matched_right = [key in left.key_set for key in right.keys]
    sides = ((left, right, matched_left, False), (right, left, matched_right, True))
    asked: dict[tuple[int, int], bool] = {}
    for (this, other, matched, flip), (bounded, _) in zip(sides, plans, strict=True):
        for n, partner in this.closest(other, matched, bounded):
            pair = (partner, n) if flip else (n, partner)
            if pair not in asked:
                x, y = left.vectors[pair[0]], right.vectors[pair[1]]
                asked[pair] = cluster.item_similarity(x, y) >= COUNTERPART_COSINE
            if asked[pair]:
                matched_left[pair[0]] = matched_right[pair[1]] = True
    return (sum(matched_left) + sum(matched_right)) / (len(left.keys) + len(right.keys))


OVERLAP_COSINE_FLOOR = 0.2
"""Least weighted cosine at which an instruction's closest partner is compared at all."""

COUNTERPART_COSINE = 0.5
"""Least weighted term cosine at which two instructions of two agents count as one instruction
for the overlap figure. A rough measure of shared topics, not of merged instructions: on the
hand-labelled groups a third of the item pairs at 0.5 or more are labelled the same instruction,
and they hold two fifths of the same-instruction pairs (``benchmarks/fit_matcher.py`` data)."""

OVERLAP_PAIR_VISITS = 200_000
"""Most postings one side of one pair's closest-partner searches visits through every term (the
corpus's costliest pair visits 17,830 on both sides); past it, only terms few of the other
agent's instructions have are searched through (``_plans``)."""

OVERLAP_VISITS_PER_AGENT = 100_000
"""Postings all the overlap measures of one run (``check``'s AM302, ``group``'s figures and
``--min-overlap``) may visit together, per agent of the library (about 50 ms of work each).
AM302 over the corpus costs 7.5 million (index builds counted) for its 1,053 agents (7,100
each); over the 10,000 files of ``benchmarks/group.py``'s largest library, perturbed copies of
the corpus that each meet dozens of their copies, 497 million (50,000 each). Forty agents of a thousand instructions
drawn from a few dozen words asked for 3.5 billion (``check`` ran for many minutes on their
1.5 MB), forty of 25,000 two-word bullets for 1.3 billion (over eight minutes on 13 MB)."""

OVERLAP_VISITS_LEAST = 2_000_000
"""The budget of a library of fewer than 20 agents (about a second of work)."""

OVERLAP_INDEXED = 100_000
"""Most instructions whose agents' indexes ``Overlaps`` keeps at once, the most recently asked
(pairs come sorted, so one agent is asked of many pairs in a row): an index holds a vector per
instruction and its postings (about 110 MB for this many, traced at 3,000 files; 230 MB before
``_ItemIndex`` was kept small), and forty agents of 25,000 instructions held 900 MB."""


def unmeasured_note(pairs: int) -> str:
    """Why ``pairs`` pairs of agents have no instruction overlap figure (``Overlaps``' budget)."""
    return (
        f"left {pairs:,} {text.plural(pairs, 'pair')} of agents unmeasured: their instructions share words so "
        "widely that measuring them would take minutes (thousands of instructions each); name fewer files at a time"
    )


class Overlaps:
    """The instruction overlap (``instruction_overlap``) of pairs of one library's agents within
    one budget of work for the library (OVERLAP_VISITS_PER_AGENT): a pair past it is left
    unmeasured (``share`` gives None) and counted in ``skipped``. The work of a pair is the
    postings its searches visit (``_plans``, read from term counts before any index is built)
    and the terms of each index it builds; the most recently asked indexes are kept
    (OVERLAP_INDEXED), since pairs come sorted and one agent is asked of many in a row."""

    def __init__(self, profiles: Sequence[Profile], weights: Mapping[str, float]) -> None:
        self.profiles = profiles
        self.weights = weights
        self.left = max(OVERLAP_VISITS_LEAST, OVERLAP_VISITS_PER_AGENT * len(profiles))
        self.skipped = 0
        self._counts: dict[int, dict[str, int]] = {}
        self._indexes: dict[int, _ItemIndex] = {}
        self._held = 0

    def share(self, i: int, j: int) -> float | None:
        """The overlap of agents ``i`` and ``j``; None when the budget cannot pay for it."""
        if not self.profiles[i].instructions or not self.profiles[j].instructions:
            return 0.0
        plans = _plans(self._term_counts(i), self._term_counts(j))
        cost = plans[0][1] + plans[1][1]
        cost += sum(self._size(n) for n in {i, j} if n not in self._indexes)
        if cost > self.left:
            self.skipped += 1
            return None
        self.left -= cost
        return _overlap(self._index(i), self._index(j), plans)

    def _term_counts(self, n: int) -> dict[str, int]:
        counts = self._counts.get(n)
        if counts is None:
            counts = self._counts[n] = _term_counts(self.profiles[n].instructions)
        return counts

    def _size(self, n: int) -> int:
        return sum(self._term_counts(n).values())

    def _index(self, n: int) -> _ItemIndex:
        index = self._indexes.pop(n, None)
        if index is None:
            index = _ItemIndex(self.profiles[n].instructions, self.weights)
            self._held += len(index.keys)
            while self._indexes and self._held > OVERLAP_INDEXED:
                oldest = next(iter(self._indexes))  # the least recently asked
                self._held -= len(self._indexes.pop(oldest).keys)
        self._indexes[n] = index
        return index


class _ItemIndex:
    """One agent's instructions as weighted term vectors, with an inverted index over their terms.

    Kept small, as ``Overlaps`` holds many (OVERLAP_INDEXED): an instruction's key is its
    distinct terms sorted (a tuple, a fraction of a frozenset's memory), a term's postings are
    the numbers of the instructions that have it (its weight there is in their vectors), and a
    weight is the library's own float (``weights``) unless the instruction says the term twice."""

    def __init__(self, instructions: Sequence[tuple[str, ...]], weights: Mapping[str, float]) -> None:
        self.keys = [tuple(sorted(set(terms))) for terms in instructions]
        self.key_set = frozenset(self.keys)
        self.vectors: list[dict[str, float]] = []
        self.norms: list[float] = []
        self.postings: dict[str, list[int]] = {}
        for n, terms in enumerate(instructions):
            vector: dict[str, float] = {}
            for term in terms:
                weight = weights.get(term, 1.0)
                found = vector.get(term)
                vector[term] = weight if found is None else found + weight
            self.vectors.append(vector)
            self.norms.append(math.sqrt(sum(w * w for w in vector.values())))
            for term in vector:
                self.postings.setdefault(term, []).append(n)

    def closest(self, other: _ItemIndex, skip: Sequence[bool], bounded: bool) -> Iterator[tuple[int, int]]:
        """(n, m) for each instruction n here not in ``skip``: m is the instruction of ``other``
        with the highest weighted cosine to n (ties to the first), when it reaches
        OVERLAP_COSINE_FLOOR. Dot products are summed through the inverted index, so only
        instructions that share a term are ever looked at; ``bounded``, only through terms at
        most ``match.SHARED_WORD_POSTINGS`` instructions of ``other`` have (the item matcher's
        bound)."""
        theirs = other.vectors
        for n, vector in enumerate(self.vectors):
            if skip[n]:
                continue
            dots: dict[int, float] = {}
            for term, weight in vector.items():
                postings = other.postings.get(term, ())
                if bounded and len(postings) > match.SHARED_WORD_POSTINGS:
                    continue
                for m in postings:
                    dots[m] = dots.get(m, 0.0) + weight * theirs[m][term]
            best, best_score = -1, OVERLAP_COSINE_FLOOR
            for m in sorted(dots):
                score = dots[m] / (self.norms[n] * other.norms[m])
                if score > best_score or (best < 0 and score == best_score):
                    best, best_score = m, score
            if best >= 0:
                yield n, best
