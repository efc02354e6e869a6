"""Cluster the sections and items of N agent files into groups that say the same thing.

Consolidation's matcher. Units (items, or section titles) are scored pairwise on IDF-weighted
terms, only where they share a distinctive term (``candidate_pairs``); pairs are then taken best
first into clusters, unless one of the named rules vetoes them (``PAIR_RULES`` for a pair,
``JOIN_RULES`` for two clusters). Identical copies are clustered once, as a bag (``bag_units``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from agentmerge.lexicon import GENERIC_TERMS, TERM_SYNONYMS, TITLE_FILLER_WORDS, WALLED_ROLES, roles_compatible
from agentmerge.match import ratio
from agentmerge.scorer import term_weight
from agentmerge.text import label_only, lead_label, negated, normalize, stem, terms

CLUSTER_THRESHOLD = 0.5
"""Least combined score at which two items of different inputs are one instruction.

The default of ``consolidate --threshold``. The score is the weighted term overlap of the two
texts (see ``item_similarity``) plus SECTION_BONUS when their sections were aligned. On the
hand-labelled seed group the pairwise F1 stays within 0.89-0.90 from 0.45 to 0.55, so the
default sits mid-plateau rather than on a peak: at 0.4 precision falls to 0.86 (items that only
share their topic fold), at 0.6 recall falls to 0.66 (rewordings an editor would merge stay
apart).
"""

SECTION_BONUS = 0.25
"""Share of the distance to 1 added to an item pair's score when both sit in aligned sections.

A pair at 0.4 scores 0.55 in aligned sections; a pair at 1.0 stays at 1.0, so a threshold of 1
still means the same terms.

The structure is where precision comes from: two bullets under "Responsibilities" in two files
that share half their weighted words are one duty, while the same overlap between a bullet in a
principles list and one in an unrelated section is usually a coincidence of topic.
"""

NEAR_VERBATIM = 0.9
"""Least character similarity (rapidfuzz ratio of lower-cased normal forms, 0-1) at which two
items of the same input are a repeat and merge (prose must also have the same significant
terms); any lower and both are kept, because an author who writes a point twice in different
words usually means two things. Code, tables, quotes and HTML of different inputs merge only
this close too."""

SECTION_ALIGN_THRESHOLD = 0.45
"""Least score at which two sections of different inputs are aligned into one section.

The score is the larger of the title similarity and the share of the smaller section's items
that already cluster with the other's (see ``section_similarity``); sections of different roles
never align.
"""

VERBATIM_CODE_SCORE = 0.6
"""Least term score two code blocks (tables, quotes, HTML) need before their characters are
compared for a near-verbatim copy; a copy with a typo fixed still shares most terms."""

ANCHOR_MARGIN = 0.15
"""How far above CLUSTER_THRESHOLD an item pair must score, without any section bonus, to count
as evidence that two sections hold the same content before the sections are aligned."""

CROSS_SECTION_MARGIN = 0.1
"""How far above the threshold two items must score when their sections were not aligned.

Across sections nothing vouches for a pair but its words (diff asks more of a move too, see
MOVE_CUTOFF): a line in a traits list and one in a report template, or in an unrelated list,
that share a topic word are still two instructions. Within aligned sections the threshold alone
applies. Measured on four same-role groups of real agents by other authors: at 0.15 pairs that
an editor would merge ("Provide unit tests with pytest" / "Include tests with pytest") fell
apart; at 0.05 a few more rewordings merged across sections, and so did pairs that only share
a topic ("Documentation completeness" / "Documentation and API specification completeness").
Precision on unseen files comes first; the seeds score the same from 0.05 to 0.15.
"""

SAME_ROLE_SHARE = 1 / 3
"""Share of CROSS_SECTION_MARGIN asked of two items whose unaligned sections have the same role.

Two "Core Competencies" and "Responsibilities" lists that did not align (a third input had
both, and took the alignment) still play one part; at the full margin such pairs fell apart on
the seeds (item recall 0.83 to 0.76). Between roles (a general section and a workflow) the full
margin applies."""

SHORT_ITEM_TERMS = 3
"""Distinct significant terms below which an item is short: a label whose content sits in a code
block or sub-list (``**Suggested Fix**:``), or a bullet of one or two words. A short item joins
another only when both have the same terms; one or two shared words say nothing more of it."""

BLOCK_TERM_PER_INPUT = 2
"""Units per input a term may be found in and still open candidate pairs (see BLOCK_POSTING_FLOOR)."""

BLOCK_POSTING_FLOOR = 50
"""Units a term may always be found in and still open candidate pairs, however few the inputs."""

PAIR_FLOOR = 0.15
"""Pair scores below this are not kept: no threshold in use comes near, and in the average
linkage such a pair weighs as good as nothing. Keeps memory in proportion to real candidates."""

BLOCK_TERMS = 4
"""How many of a unit's heaviest distinctive terms open candidate pairs (see ``candidate_pairs``)."""

LINKAGE_SAMPLE = 12
"""Members per cluster that the average-linkage check looks at (the first ones, by index); keeps
joining two large clusters cheap while a chain of look-alikes is still caught."""

COMMON_TERM_SHARE = 0.5
"""Terms found in more than this share of the inputs' units are left out of candidate blocking
(they still count in the score): pairs that only share such a word cannot reach the threshold."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One item or section offered to the N-way clustering, reduced to what matching needs."""

    source: int
    """Index of the input it comes from; a cluster holds at most one unit per input."""
    text: str
    """The Markdown text compared (an item's own text, or a section's title)."""
    role: str
    """The role of its section (SECTION_ROLES); units of incompatible roles never cluster."""
    group: int
    """The aligned section it sits in, or -1 when not yet known; same group earns SECTION_BONUS."""
    kind: str = "bullet"
    """The item kind; code, tables, quotes and HTML only cluster when near-verbatim."""
    repeatable: bool = True
    """Whether it may merge with a near-verbatim repeat of its own input; false for items of a
    template the file fills several times (sections with the same title), which repeat by design."""


_VERBATIM_KINDS = frozenset({"code", "table", "html", "quote"})

DIAGRAM_CHARS = 8
"""Box-drawing characters (``┌─┐│``) from which a text is a diagram: a picture drawn in text,
which like code merges only as a near-verbatim copy (its words are labels, not an instruction)."""


@lru_cache(maxsize=65536)
def is_diagram(text: str) -> bool:
    """Whether ``text`` is drawn with box-drawing characters (DIAGRAM_CHARS or more)."""
    if "\u2502" not in text and "\u2500" not in text:  # no box without a line (│ or ─)
        return False
    return sum(1 for char in text[:4000] if "\u2500" <= char <= "\u257f") >= DIAGRAM_CHARS


GENERIC_WEIGHT = 0.35
"""Weight factor of GENERIC_TERMS: a shared "implement" or "write" says little about whether two
instructions are the same, and a handful of inputs is too few for IDF to learn that by itself."""

_GENERIC_STEMS = frozenset(stem(TERM_SYNONYMS.get(w, w)) for w in GENERIC_TERMS.split())


class TermWeights:
    """Inverse document frequencies of terms, computed over the units being clustered."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for text in texts:
            for term in set(terms(text)):
                counts[term] = counts.get(term, 0) + 1
        total = max(1, len(texts))
        self.total = total
        self.frequency = counts
        # Smoothed IDF: a term in every unit still weighs a little, an unseen term the most.
        self.idf = {
            term: (math.log((total + 1) / (count + 1)) + 1.0) * (GENERIC_WEIGHT if term in _GENERIC_STEMS else 1.0)
            for term, count in counts.items()
        }
        self.unseen = math.log(total + 1) + 1.0
        self._vectors: dict[str, dict[str, float]] = {}

    def vector(self, text: str) -> dict[str, float]:
        """IDF-weighted term counts of ``text`` (computed once per text; do not modify)."""
        cached = self._vectors.get(text)
        if cached is not None:
            return cached
        vector: dict[str, float] = {}
        for term in terms(text):
            vector[term] = vector.get(term, 0.0) + self.idf.get(term, self.unseen)
        self._vectors[text] = vector
        return vector


def _norm(vector: Mapping[str, float]) -> float:
    total: float = sum(v * v for v in vector.values())
    return math.sqrt(total)


CONTAINMENT_MIN_TERMS = 3
"""Distinct terms a text needs for its containment in another to count in full; below that the
cosine stands in for the missing share ("Current code" is not every bullet about code)."""


def item_similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Similarity of two IDF-weighted term vectors, 0 to 1.

    The mean of the cosine and of the weighted containment of the smaller text in the larger
    (shared weight over the smaller one's weight). Containment lets a terse bullet match the
    paragraph that elaborates it ("Use connection pooling" inside a longer database bullet);
    the cosine keeps two long texts that share one phrase apart.
    """
    return _similarity(a, b, (_norm(a), sum(a.values())), (_norm(b), sum(b.values())))


def _similarity(
    a: Mapping[str, float], b: Mapping[str, float], stats_a: tuple[float, float], stats_b: tuple[float, float]
) -> float:
    """``item_similarity`` with each vector's norm and total weight already known."""
    if len(a) > len(b):
        a, b = b, a
    shared = 0.0
    dot = 0.0
    for term, weight in a.items():
        other = b.get(term)
        if other is not None:
            dot += weight * other
            shared += min(weight, other)
    if not dot:
        return 0.0
    cosine = dot / (stats_a[0] * stats_b[0])
    smaller = min(stats_a[1], stats_b[1])
    containment = shared / smaller if smaller else 0.0
    # A text of one or two terms is "contained" in almost anything that names its topic, so
    # for short texts containment gives way to the cosine.
    share = min(1.0, len(a) / CONTAINMENT_MIN_TERMS)
    containment = share * containment + (1.0 - share) * cosine
    # Rounded so that equal term vectors score exactly 1 and ties do not hang on float noise.
    return round(min(1.0, (cosine + containment) / 2), 6)


def candidate_pairs(
    vectors: Sequence[Mapping[str, float]], weights: TermWeights, inputs: int | None = None
) -> dict[tuple[int, int], float]:
    """Score the pairs of units worth scoring (blocking by distinctive terms).

    Returns {(i, j): item_similarity} for i < j with a score of at least PAIR_FLOOR. A pair is
    scored when one unit's BLOCK_TERMS heaviest terms include a term of the other; terms found
    in more than COMMON_TERM_SHARE of the units never open a pair, nor (given the number of
    ``inputs``) terms in more than BLOCK_TERM_PER_INPUT units per input, at least
    BLOCK_POSTING_FLOOR: such a word names a topic that runs through each file, not one
    instruction. Two texts that share only common words
    cannot reach a threshold anyway, and the work grows with the number of units that share
    distinctive words, not with the square of all units.
    """
    limit = max(2, int(weights.total * COMMON_TERM_SHARE))
    if inputs is not None:
        limit = min(limit, max(BLOCK_POSTING_FLOOR, BLOCK_TERM_PER_INPUT * inputs))
    postings: dict[str, list[int]] = {}
    for index, vector in enumerate(vectors):
        for term in vector:
            postings.setdefault(term, []).append(index)
    scores: dict[tuple[int, int], float] = {}
    stats = [(_norm(v), sum(v.values())) for v in vectors]
    for i, vector in enumerate(vectors):
        distinctive = [t for t in vector if weights.frequency.get(t, 0) <= limit]
        if not distinctive:
            # Nothing but common words: the heaviest of them still finds the unit's copies.
            distinctive = sorted(vector, key=lambda t: (-vector[t], t))[:1]
        distinctive.sort(key=lambda t: (-vector[t], t))
        partners: set[int] = set()
        for term in distinctive[:BLOCK_TERMS]:
            partners.update(postings[term])
        for j in partners:
            if j == i:
                continue
            pair = (i, j) if i < j else (j, i)
            if pair in scores:
                continue
            score = _similarity(vectors[i], vectors[j], stats[i], stats[j])
            if score >= PAIR_FLOOR:
                scores[pair] = score
    return scores


class Rule(NamedTuple):
    """One named veto of the clustering: a check and the one-line reason it exists."""

    name: str
    """A short name for the rule, used in tests and when reading a merge."""
    reason: str
    """Why a pair or two clusters the rule stops are not one instruction."""
    vetoes: Callable[..., bool]
    """The check: true when the rule stops the pair (or the join)."""


@dataclass(frozen=True, slots=True)
class Pair:
    """A candidate pair of units as the pair rules see it."""

    a: Unit
    """The unit of the lower index."""
    b: Unit
    """The unit of the higher index."""
    base: float
    """Their term score (``item_similarity``), without any section bonus."""
    repeat: bool
    """Whether they share an input (a repeat inside one file)."""
    verbatim_kind: bool
    """Whether either is code, a table, a quote, HTML or a diagram: merged only as a copy."""
    aligned: bool
    """Whether both sit in one aligned section."""
    threshold: float
    """The clustering threshold in use."""
    cross: float
    """The margin asked above the threshold across sections that did not align."""
    repeats: bool
    """Whether repeats inside one input may merge at all."""

    @property
    def items(self) -> bool:
        """Whether both units are items, not section titles."""
        return self.a.kind != "heading" and self.b.kind != "heading"


def _unaligned(pair: Pair) -> bool:
    if pair.aligned or min(pair.a.group, pair.b.group) < 0 or same_label(pair.a.text, pair.b.text):
        return False
    margin = pair.cross if pair.a.role != pair.b.role else pair.cross * SAME_ROLE_SHARE
    return pair.base < pair.threshold + margin


COPY_RULES: tuple[Rule, ...] = (
    Rule(
        "repeat",
        "two units of one input merge only where repeats may (not in one input alone, not in a template)",
        lambda p: p.repeat and not (p.repeats and p.a.repeatable and p.b.repeatable),
    ),
    Rule(
        "copy score",
        "near-verbatim prose has the same terms (score 1); copied code shares most of them",
        lambda p: p.base < (VERBATIM_CODE_SCORE if p.verbatim_kind else 1.0),
    ),
    Rule(
        "copy kind",
        "code merges only with code, a table only with a table",
        lambda p: p.verbatim_kind and p.a.kind != p.b.kind,
    ),
    Rule(
        "near verbatim",
        "a repeat, or a copy of code, a table or a diagram, is the same characters give or take a typo",
        lambda p: not near_verbatim(p.a.text, p.b.text, prose=not p.verbatim_kind),
    ),
)
"""Rules for a pair that shares an input, or holds code, a table, a quote, HTML or a diagram:
such a pair merges only as a near-verbatim copy, checked in this order."""

PAIR_RULES: tuple[Rule, ...] = (
    Rule(
        "short item",
        "a bare label or a one- or two-term item says too little to be matched on shared words",
        lambda p: p.items and short_mismatch(p.a.text, p.b.text),
    ),
    Rule(
        "different subjects",
        "one aspect of two subjects (code quality, test quality) is two instructions",
        lambda p: p.items and different_subjects(p.a.text, p.b.text),
    ),
    Rule(
        "unaligned sections",
        "across sections that did not align only the words vouch for a pair, so they must say more",
        lambda p: p.items and _unaligned(p),
    ),
)
"""Rules for a pair of prose units whose score reached the threshold, checked in this order."""


class _Clusters:
    """Union of units into clusters that keep the JOIN_RULES: one unit per input, one role family,
    one polarity."""

    def __init__(self, units: Sequence[Unit], negative: Sequence[bool], sources: Sequence[frozenset[int]]) -> None:
        self.parent = list(range(len(units)))
        self.sources = [set(s) for s in sources]
        self.roles = [{u.role} for u in units]
        self.negative = list(negative)
        self.members = [[i] for i in range(len(units))]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def can_join(self, a: int, b: int, repeat: bool) -> bool:
        return not any(rule.vetoes(self, a, b, repeat) for rule in JOIN_RULES)

    def join(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.sources[a] |= self.sources[b]
        self.roles[a] |= self.roles[b]
        self.members[a].extend(self.members[b])
        self.members[b] = []


JOIN_RULES: tuple[Rule, ...] = (
    Rule(
        "bare label",
        "a label with its content after it (a code block, a table) is that content's title: only the same"
        " label is the same item",
        lambda a, b, score, t: (a.bare_label or b.bare_label) and set(terms(a.text)) != set(terms(b.text)),
    ),
    Rule(
        "polarity",
        '"always X" and "never X" are opposites, never one instruction',
        lambda c, a, b, repeat: c.negative[a] != c.negative[b],
    ),
    Rule(
        "one per input",
        "a cluster holds one wording per input; only a near-verbatim repeat brings a second",
        lambda c, a, b, repeat: not repeat and bool(c.sources[a] & c.sources[b]),
    ),
    Rule(
        "roles",
        "a checklist entry, a pitfall or a trigger is not the practice it mirrors (lexicon.SECTION_ROLES)",
        lambda c, a, b, repeat: not all(roles_compatible(x, y) for x in c.roles[a] for y in c.roles[b]),
    ),
)
"""Rules for joining two clusters (arguments: the clusters, their roots, whether the pair is a
repeat), checked in this order."""


def same_label(a: str, b: str) -> bool:
    """Whether two items open with the same lead-in label of two or more terms
    (``**Dependency Security**:``): the label names the instruction, wherever it sits."""
    label_a, label_b = lead_label(a), lead_label(b)
    if label_a is None or label_b is None:
        return False
    terms_a = set(terms(label_a))
    return len(terms_a) >= 2 and terms_a == set(terms(label_b))


def different_subjects(a: str, b: str) -> bool:
    """Whether two labelled items name one aspect of two different subjects.

    "**Code Quality**: readability ..." and "**Test Quality**: readability ..." share their head
    noun and most of their words, yet one is about the code and the other about its tests. The
    labels share a term, and each label has as many terms that the other item never mentions.
    """
    label_a, label_b = lead_label(a), lead_label(b)
    if label_a is None or label_b is None:
        return False
    terms_a, terms_b = set(terms(label_a)), set(terms(label_b))
    shared = len(terms_a & terms_b)
    if not shared:
        return False
    # "Explicit Error Handling" and "Error Handling Framework" agree more than they differ.
    return len(terms_a - set(terms(b))) >= shared and len(terms_b - set(terms(a))) >= shared


def short_mismatch(a: str, b: str) -> bool:
    """Whether a short item (SHORT_ITEM_TERMS) and another cannot be one instruction.

    A bare label must have the same terms as the other text; any other short item must have all
    its terms in it ("Use connection pooling" in "Implement database connection pooling").
    """
    left, right = set(terms(a)), set(terms(b))
    if left == right:
        return False
    if label_only(a) or label_only(b):
        return True
    if len(left) > len(right):
        left, right = right, left
    return len(left) < SHORT_ITEM_TERMS and not left <= right


def bag_units(units: Sequence[Unit]) -> list[list[int]]:
    """Group units whose texts are the same after normalisation (and role, kind, repeatability).

    Identical copies are one instruction whatever else happens, so they are clustered once as a
    bag: scoring 200 copies of a bullet pairwise would cost 20,000 comparisons for nothing. A
    bag holds at most one unit per input, except repeatable exact repeats inside one input.
    Bags come in order of their first unit; members in index order.
    """
    keyed: dict[tuple[str, str, str, bool], list[int]] = {}
    for index, unit in enumerate(units):
        key = (normalize(unit.text).casefold(), unit.role, unit.kind, unit.repeatable)
        keyed.setdefault(key, []).append(index)
    bags: list[list[int]] = []
    for (_, _, _, repeatable), members in keyed.items():
        if repeatable:
            bags.append(members)
            continue
        # Each unit joins the first bag without a unit of its input. The bags holding an input's
        # units are always the first ones, so that bag is the one after them: counted, not
        # searched, which keeps thousands of identical lines linear.
        split: list[list[int]] = []
        taken: dict[int, int] = {}
        for index in members:
            source = units[index].source
            place = taken.get(source, 0)
            if place == len(split):
                split.append([])
            split[place].append(index)
            taken[source] = place + 1
        bags.extend(split)
    bags.sort(key=lambda bag: bag[0])
    return bags


def cluster_units(
    units: Sequence[Unit],
    scores: Mapping[tuple[int, int], float],
    *,
    threshold: float = CLUSTER_THRESHOLD,
    bonus: float = SECTION_BONUS,
    repeats: bool = True,
    sources: Sequence[frozenset[int]] | None = None,
    cross: float = CROSS_SECTION_MARGIN,
) -> list[list[int]]:
    """Cluster ``units`` given the pair scores from ``candidate_pairs``; return lists of indices.

    Pairs are taken best first (ties by index, so the result does not depend on dict order).
    Two clusters join when the pair scores at least ``threshold`` (plus ``bonus`` if both units
    share an aligned section) and the clusters have no input in common, compatible roles and the
    same polarity (JOIN_RULES), and when the average score over all their cross pairs also clears
    the threshold (average linkage: a chain of look-alikes does not become one cluster). Units of
    the same input join only as near-verbatim repeats (never when ``repeats`` is false); code,
    tables, quotes and HTML only as near-verbatim copies (COPY_RULES); prose pairs must pass
    PAIR_RULES. Every unit ends in exactly one cluster; clusters come in order of their first unit.
    ``sources`` gives each unit's inputs when one unit stands for a bag of identical copies
    (``bag_units``); by default a unit's own source.
    """
    negative = [negated(u.text) for u in units]
    if sources is None:
        sources = [frozenset({u.source}) for u in units]
    clusters = _Clusters(units, negative, sources)
    ranked: list[tuple[float, int, int, bool]] = []
    for (i, j), base in scores.items():
        a, b = units[i], units[j]
        verbatim_kind = (
            a.kind in _VERBATIM_KINDS or b.kind in _VERBATIM_KINDS or is_diagram(a.text) or is_diagram(b.text)
        )
        repeat = bool(sources[i] & sources[j])
        aligned = a.group >= 0 and a.group == b.group
        score = base + (bonus * (1.0 - base) if aligned else 0.0)
        if not (repeat or verbatim_kind) and score < threshold:
            continue
        pair = Pair(a, b, base, repeat, verbatim_kind, aligned, threshold, cross, repeats)
        if repeat or verbatim_kind:
            if not any(rule.vetoes(pair) for rule in COPY_RULES):
                ranked.append((1.0 + bonus, i, j, repeat))
        elif not any(rule.vetoes(pair) for rule in PAIR_RULES):
            ranked.append((score, i, j, False))
    # Equal scores (the same terms) go to the pair whose wording is closest, so that a verbatim
    # copy is not beaten to its partner by a rewording that only adds stop words.
    ranked.sort(
        key=lambda entry: (-entry[0], -_closeness(units[entry[1]].text, units[entry[2]].text), entry[1], entry[2])
    )
    pair_score = {(i, j): score for score, i, j, _ in ranked}
    for _, i, j, repeat in ranked:
        root_i, root_j = clusters.find(i), clusters.find(j)
        if root_i == root_j or not clusters.can_join(root_i, root_j, repeat):
            continue
        left, right = clusters.members[root_i], clusters.members[root_j]
        if len(left) * len(right) > 1:
            total = 0.0
            sample_left, sample_right = sorted(left)[:LINKAGE_SAMPLE], sorted(right)[:LINKAGE_SAMPLE]
            for x in sample_left:
                for y in sample_right:
                    total += pair_score.get((x, y) if x < y else (y, x), 0.0)
            if total / (len(sample_left) * len(sample_right)) < threshold:
                continue
        clusters.join(root_i, root_j)
    groups = [sorted(m) for m in clusters.members if m]
    groups.sort(key=lambda g: g[0])
    return groups


def title_terms(title: str | None) -> frozenset[str]:
    """The terms of a section title that name its topic (``terms`` without "core", "key", ...)."""
    return frozenset(t for t in terms(title or "") if t not in _TITLE_FILLER)


def title_overlap(a: str | None, b: str | None, weights: TermWeights | None = None) -> float:
    """Similarity of two section titles, 0 to 1: the weighted Dice overlap of their terms.

    Words such as "your", "core", "key" and "main" are left out, so "Responsibilities",
    "Your Core Responsibilities:" and "Core Responsibilities" are the same title. With
    ``weights`` (IDF over the inputs' titles) a word every title has ("review" among code
    reviewers) counts for little. Titles that each add a term of their own score 0.
    """
    if a is None or b is None:
        return 1.0 if a is b else 0.0
    left, right = title_terms(a), title_terms(b)
    if not left or not right:
        return 0.0

    def weight(term: str) -> float:
        return 1.0 if weights is None else weights.idf.get(term, weights.unseen)

    if left - right and right - left:
        # Each title names something the other does not: one head noun of two subjects ("Code
        # Standards" and "Quality Standards", "Security Testing" and "Performance Testing").
        # Such sections align only when their content agrees.
        return 0.0
    shared = sum(weight(t) for t in left & right)
    return 2 * shared / (sum(weight(t) for t in left) + sum(weight(t) for t in right))


_TITLE_FILLER = frozenset(stem(w) for w in TITLE_FILLER_WORDS)


def section_similarity(title: float, shared: int, smaller: int) -> float:
    """Score of two sections: the larger of title similarity and content agreement.

    Content agreement is ``shared`` (items of the smaller section already clustered with items of
    the other) over ``smaller`` (items in the smaller section), so a renamed section that kept its
    bullets still aligns, and two "Guidelines" sections with nothing in common still align by title.
    """
    content = shared / smaller if smaller else 0.0
    return max(title, content)


def _closeness(a: str, b: str) -> float:
    """Character similarity of two texts' lower-cased normal forms, 0 to 100 (rapidfuzz ratio)."""
    return ratio(normalize(a).casefold(), normalize(b).casefold())


def near_verbatim(a: str, b: str, *, prose: bool = True) -> bool:
    """Whether two texts are the same words give or take a typo or punctuation (NEAR_VERBATIM).

    For prose the significant terms must also be the same: "Write unit tests" and "Review unit
    tests" differ in few characters but are two instructions. Code and tables (``prose`` false)
    are compared on characters only.
    """
    left, right = normalize(a).casefold(), normalize(b).casefold()
    if left == right:
        return True
    if prose and set(terms(a)) != set(terms(b)):
        return False
    return ratio(left, right) >= NEAR_VERBATIM * 100


# --------------------------------------------------------------------------------------------
# Items: clustering on the pair score


@dataclass(frozen=True, slots=True)
class ItemCluster:
    """Items that give one instruction, and the wording kept for it."""

    members: tuple[int, ...]
    """Indices of the items, ascending."""
    kept: int
    """The member whose wording is kept."""
    confidence: tuple[float, ...]
    """For each member (in ``members`` order), the pair score of its wording against the kept
    one: 1.0 for the kept wording and its exact copies."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A unit offered to the item clustering: one item, or a bag of its exact copies."""

    sources: frozenset[int]
    """The inputs its copies come from."""
    text: str
    """Its Markdown text."""
    kind: str
    """The item kind; code, tables, quotes, HTML and diagrams merge only as exact copies."""
    role: str
    """``scorer.item_role``: items of two distinct roles, or of a distinct role and guidance,
    merge only as near-verbatim copies."""
    repeatable: bool = True
    """Whether it may merge with a restatement in its own input (false in a template a file
    fills several times, and when only one file is being normalised)."""
    bare_label: bool = False
    """Whether it is only a label (``**Suggested Fix**:``) with nothing nested under it: what it
    introduces follows it (a code block, a table), so only the same label is the same item."""


def specifics(text: str) -> frozenset[str]:
    """What an instruction pins down that a rewording must keep: its numbers and code spans."""
    plain = normalize(text)
    found = set(_NUMBER_RE.findall(plain))
    found.update(span.strip().casefold() for span in _SPAN_RE.findall(text) if span.strip())
    return frozenset(found)


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_SPAN_RE = re.compile(r"`+([^`]+)`+")


def choose_wording(texts: Sequence[str], sources: Sequence[int], lines: Sequence[int], preferred: int = -1) -> int:
    """Index of the wording to keep among ``texts``: the preferred input's when it has one, else
    the one that carries most of the group's specifics (numbers, code spans), then the most
    specific words (most distinct terms, weighted by corpus rarity), then the first input's."""
    if preferred >= 0 and preferred in sources:
        return list(sources).index(preferred)
    carried = [specifics(t) for t in texts]
    union = frozenset().union(*carried)
    best, best_key = 0, None
    for n, text in enumerate(texts):
        weight = math.fsum(sorted(term_weight(t) for t in set(terms(text))))
        key = (-len(carried[n] & union), -round(weight, 6), sources[n], lines[n])
        if best_key is None or key < best_key:
            best, best_key = n, key
    return best


def _item_vetoes(a: Candidate, b: Candidate, score: float, thresholds: tuple[float, float]) -> str | None:
    """The name of the ITEM_RULES rule that keeps ``a`` and ``b`` apart, or None."""
    for rule in ITEM_RULES:
        if rule.vetoes(a, b, score, thresholds):
            return rule.name
    return None


def _verbatim(a: Candidate) -> bool:
    return a.kind in _VERBATIM_KINDS or is_diagram(a.text)


ITEM_RULES: tuple[Rule, ...] = (
    Rule(
        "threshold",
        "below the threshold the words do not show one instruction",
        lambda a, b, score, t: score < t[0],
    ),
    Rule(
        "copies only",
        "code, tables, quotes, HTML and diagrams merge only as exact copies (bagged before scoring)",
        lambda a, b, score, t: _verbatim(a) or _verbatim(b),
    ),
    Rule(
        "bare label",
        "a label with its content after it (a code block, a table) is that content's title: only the same"
        " label is the same item",
        lambda a, b, score, t: (a.bare_label or b.bare_label) and set(terms(a.text)) != set(terms(b.text)),
    ),
    Rule(
        "polarity",
        '"always X" and "never X" are opposites, never one instruction',
        lambda a, b, score, t: negated(a.text) != negated(b.text),
    ),
    Rule(
        "walled roles",
        "a checklist entry, a delegation trigger, an example or a hand-off is not the guidance it mirrors"
        " (lexicon.WALLED_ROLES); only a near-verbatim copy crosses",
        lambda a, b, score, t: (
            a.role != b.role
            and (a.role in WALLED_ROLES or b.role in WALLED_ROLES)
            and not near_verbatim(a.text, b.text)
        ),
    ),
    Rule(
        "restatement",
        "two wordings in one input are one instruction only when the score is sure of it, and never in a"
        " template the file fills several times",
        lambda a, b, score, t: bool(a.sources & b.sources) and (score < t[1] or not (a.repeatable and b.repeatable)),
    ),
)
"""Rules for a candidate pair of items (arguments: the two candidates, their score, the
thresholds across inputs and within one), checked in this order."""


def cluster_items(
    candidates: Sequence[Candidate],
    scores: Mapping[tuple[int, int], float],
    *,
    threshold: float,
    same_input_threshold: float,
    floor: float,
    lines: Sequence[int],
    preferred: int = -1,
) -> list[ItemCluster]:
    """Cluster ``candidates`` on their pair ``scores`` (probabilities, keyed (i, j) with i < j).

    Pairs are taken best first (ties by index). Two clusters join when the pair passes
    ITEM_RULES, the clusters hold no input in common (except through a restatement pair), and
    the average score over all their cross pairs clears ``threshold`` (average linkage: a chain
    of look-alikes does not become one cluster). Then each cluster keeps one wording
    (``choose_wording``; ``lines`` break ties) and folds into it only members that score at least
    ``floor`` against that wording and carry no number or code span it lacks; the others form
    clusters of their own, in the same way. Every candidate ends in exactly one cluster; clusters
    come in order of their first member.
    """
    thresholds = (threshold, same_input_threshold)
    ranked = sorted(
        (-score, i, j)
        for (i, j), score in scores.items()
        if _item_vetoes(candidates[i], candidates[j], score, thresholds) is None
    )
    parent = list(range(len(candidates)))
    members = [[i] for i in range(len(candidates))]
    sources = [set(c.sources) for c in candidates]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, i, j in ranked:
        root_i, root_j = find(i), find(j)
        if root_i == root_j:
            continue
        repeat = bool(candidates[i].sources & candidates[j].sources)
        if not repeat and sources[root_i] & sources[root_j]:
            continue
        left, right = members[root_i], members[root_j]
        if len(left) * len(right) > 1:
            total = math.fsum(scores.get((x, y) if x < y else (y, x), 0.0) for x in left for y in right)
            if total / (len(left) * len(right)) < threshold:
                continue
        if len(left) < len(right):
            root_i, root_j = root_j, root_i
        parent[root_j] = root_i
        members[root_i].extend(members[root_j])
        members[root_j] = []
        sources[root_i] |= sources[root_j]
    out: list[ItemCluster] = []
    for group in members:
        if group:
            out.extend(_settle_wording(sorted(group), candidates, scores, floor, lines, preferred))
    out.sort(key=lambda c: c.members[0])
    return out


def _settle_wording(
    group: list[int],
    candidates: Sequence[Candidate],
    scores: Mapping[tuple[int, int], float],
    floor: float,
    lines: Sequence[int],
    preferred: int,
) -> list[ItemCluster]:
    """Split ``group`` so that every member folded into the kept wording scores ``floor`` against
    it and carries nothing specific the wording lacks (the lossless rule)."""
    out: list[ItemCluster] = []
    while group:
        choice = choose_wording(
            [candidates[i].text for i in group],
            [min(candidates[i].sources) for i in group],
            [lines[i] for i in group],
            preferred,
        )
        kept = group[choice]
        kept_specifics = specifics(candidates[kept].text)
        folded, rest = [kept], []
        for i in group:
            if i == kept:
                continue
            score = scores.get((i, kept) if i < kept else (kept, i), 0.0)
            if score >= floor and specifics(candidates[i].text) <= kept_specifics:
                folded.append(i)
            else:
                rest.append(i)
        folded.sort()
        confidence = tuple(
            1.0 if i == kept else round(scores.get((i, kept) if i < kept else (kept, i), 0.0), 3) for i in folded
        )
        out.append(ItemCluster(tuple(folded), kept, confidence))
        group = rest
    return out
