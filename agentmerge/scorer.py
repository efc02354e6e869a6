"""The pair score: how likely two items of agent files give the same instruction.

An editor merging agents weighs several kinds of evidence at once: shared distinctive words,
near-identical wording, a lead-in label that names the other item's topic, whether each item is
the other's closest counterpart in its file, whether the items play the same part (a checklist
entry is not the practice it checks), whether they sit in one file, how long they are. No single
number carries that, so the score is a logistic model over those pieces of evidence (FEATURES),
and its weights are learned from hand-labelled groups of real agents
(``benchmarks/fit_matcher.py`` writes them to ``data/matcher.json``; its docstring has the
command that reproduces them).

Term weights come from a public corpus of about a thousand agent files, as document counts per
term (``data/terms.json``, written by ``benchmarks/corpus_terms.py``): a word most instructions
use ("implement", "code") weighs little, a rare one much, however few files are being merged.

The score is a probability in [0, 1]. ``cluster`` merges on it and ``consolidate`` reports it as
the similarity of each folded wording to the kept one.
"""

from __future__ import annotations

import json
import math
import operator
import re
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentmerge.errors import AgentMergeError
from agentmerge.lexicon import SECURE_VARIANTS, TITLE_FILLER_WORDS
from agentmerge.match import ratio
from agentmerge.text import (
    compare_form,
    label_body,
    lead_label,
    normalize,
    obligation_level,
    roles_agree,
    sentences_of,
    stem,
    terms,
    text_cache,
    without_ordinal,
    word_forms,
)

FEATURES: tuple[str, ...] = (
    "bias",
    "term_cosine",
    "term_containment",
    "characters",
    "term_jaccard",
    "shared_weight",
    "fewer_terms",
    "more_terms",
    "length_ratio",
    "most_sentences",
    "same_input",
    "title_overlap",
    "role_mismatch",
    "paragraph",
    "nested_one",
    "nested_both",
    "parent_and_child",
    "siblings",
    "best_for_first",
    "best_for_second",
    "margin",
    "same_label",
    "both_labelled",
    "label_covered_most",
    "label_covered_least",
    "head_overlap",
    "topic_cosine",
    "labels_differ",
    "label_narrower",
    "short_contained",
    "numbers_differ",
    "body_cosine",
)
"""The evidence the model weighs for a pair, in the order of its weights.

- term_cosine, term_containment, term_jaccard, shared_weight: overlap of the two texts'
  significant terms, weighted by corpus rarity (containment: the smaller text's weight found in
  the larger; shared_weight: log of the shared weight).
- characters: rapidfuzz's character ratio of the normal forms (typos, inflections, compounds).
- fewer_terms, more_terms, length_ratio, most_sentences: sizes; a bundle of several sentences
  rarely is one instruction of another file.
- same_input: both from one file (a restatement there must be close to count).
- title_overlap: overlap of the titles of the sections the items sit in.
- role_mismatch: one is a checklist entry, pitfall, trigger, hand-off, example, input or output
  and the other is not of that role (``lexicon.DISTINCT_ROLES``).
- paragraph, nested_one, nested_both, parent_and_child, siblings: what kind of unit each is and
  how they stand to each other in one file.
- best_for_first, best_for_second, margin: whether each is the other's closest counterpart in
  its file, and by how much the pair beats the next best (closeness by term_cosine and
  characters together).
- same_label, both_labelled, label_covered_most, label_covered_least: lead-in labels
  (``**Input Validation**: ...``) and how much of one item's label the other item's terms cover.
- head_overlap: agreement of the first terms (the topic an item opens with).
- topic_cosine: term cosine of the two topics: an item's lead-in label, else its first clause.
- labels_differ: both labelled, the labels share a term and are not the same terms ("Code
  Quality" and "Test Quality", "Maintainability" and "Test Maintainability": one subject and
  another, or a subject and a narrower one).
- label_narrower: one label is the other's plus a qualifier the other item never mentions
  ("Maintainability" and "Test Maintainability", "Documentation" and "Documentation
  Generation"): a narrower subject, usually another instruction.
- short_contained: containment of a short item (SHORT_TERMS or fewer) in the other: a generic
  "Use mypy for type checking" is found whole in "mypy in strict mode for type checking", which
  is narrower.
- numbers_differ: both carry numbers and they are not the same numbers.
- body_cosine: both labelled, the term cosine of what follows the labels ("**Testing**: pytest
  and hypothesis" and "**Testing**: coverage over 90%, fixtures"): one topic, and what each says
  of it.
"""

LABEL_TERMS_MAX = 3
"""Fewest terms an item with children must have to be matched on its own words; a bare label
(``1. **Context Intake**``) is matched on its words and its children's, which say what it means."""

SHORT_TERMS = 3
"""Most distinct terms of a short item (see short_contained in FEATURES)."""

HEAD_TERMS = 3
"""How many opening terms (of the lead-in label when there is one) make an item's head."""

CLOSENESS_FLOOR = 0.05
"""Least closeness (half term cosine, half character ratio) a candidate pair must have to be
scored at all: below it no labelled pair of the development groups was the same instruction."""

PARTNERS = 4
"""How many of an item's closest candidates in each input it is scored against: a candidate pair
is scored when either item has the other among its PARTNERS closest there (ties included).
Chosen against 8 on the labelled groups: the pairs ranked fifth to eighth score at most 0.21,
below the 0.3 cutoff fitted on all groups, and hold 2 of the 272 labelled same-instruction
pairs; every group scores the same and leaving one group out gives 0.625 against 0.624, with a
third fewer pairs to score (2,200 to 1,481 on the seeds). Without the bound, a large merge of
items that share a word or two scores every such pair."""

BLOCK_TERMS = 6
"""How many of an item's rarest terms open candidate pairs with the items that share one."""

BLOCK_SHARE = 0.2
"""Terms found in more than this share of the items being scored do not open candidate pairs on
their own (a word that runs through every file names a topic, not one instruction); every item
keeps at least its rarest term, so copies still find each other."""

BLOCK_PER_INPUT = 3
"""Nor do terms found in more than this many items per input (at least BLOCK_FLOOR items): in a
large merge a topic word recurs in every file, and pairing on it would grow with the square of
the items."""

BLOCK_FLOOR = 60
"""Items a term may always be found in and still open candidate pairs; and the number of items
up to which every pair is measured, blocking or not (about 1,800 pairs, a few milliseconds)."""

MAX_PAIRS = 2_000_000
"""Most pairs of items one scorer measures: the blocked candidates and the sweeps over a whole
input (``_best_in_input``) together. Blocking keeps the pairs near-linear in the items on agent
files, but thousands of items written from a few dozen words (every term in hundreds of items)
pair every item with most others: two such files of 4,000 items each measured 12.3 million
pairs, 69 seconds and 1.8 GB. More than this many is refused (exit 2) rather than weighed. The most any
consolidation of real files measured is 1.5 million, by 200 unrelated Cursor rules of the
corpus merged with ``--mixed`` (25 seconds); a role's variants measure a few thousand."""


NEAR_VERBATIM = 0.9
"""Least character similarity (rapidfuzz ratio of lower-cased normal forms, 0-1) at which two
texts with the same significant terms are a near-verbatim copy: such a copy crosses the role
walls (a checklist entry that repeats a guideline word for word is that guideline)."""


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item as the pair score reads it: its words and where it stands."""

    source: int
    """Index of the input file it comes from."""
    text: str
    """The item's own Markdown text (children excluded)."""
    kind: str
    """The item kind (``model.ItemKind``)."""
    title: str | None
    """The title of the section it sits in (None before the first heading)."""
    role: str
    """Its role: one of ``lexicon.DISTINCT_ROLES``, or ``lexicon.GUIDANCE_ROLE``."""
    depth: int = 0
    """0 for an item directly in a section, 1 for an item nested in another, and so on."""
    parent: int = -1
    """Index (among the views being scored) of the item it is nested in; -1 when none."""
    place: int = -1
    """Identifies the list it belongs to (a section or a parent item): siblings share it."""
    children_text: str = ""
    """Its children's text, joined; used to match a bare label by what it holds."""


@dataclass(frozen=True, slots=True)
class Model:
    """A fitted pair model: weights per feature and the cutoffs chosen with them."""

    weights: tuple[float, ...]
    """One weight per name of FEATURES, in that order."""
    threshold: float
    """Least probability at which two items of different inputs merge."""
    same_input_threshold: float
    """Least probability at which two items of one input merge (a restatement)."""
    floor: float
    """Least probability of a folded wording against the kept one; below it the item stays."""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    """How the weights were fitted (groups, command, leave-one-group-out scores)."""


DATA = Path(__file__).with_name("data")
"""The model and the corpus term counts, installed with the package as plain files (read directly:
importlib.resources would add its own imports to every start)."""


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The model shipped with agentmerge (``data/matcher.json``)."""
    data = json.loads((DATA / "matcher.json").read_text(encoding="utf-8"))
    return model_from_dict(data)


def model_from_dict(data: Mapping[str, Any]) -> Model:
    """A Model from its JSON form; the feature names must be FEATURES, in order."""
    names = tuple(data["features"])
    if names != FEATURES:
        raise ValueError("the matcher model was fitted on other features; refit it with benchmarks/fit_matcher.py")
    return Model(
        weights=tuple(float(w) for w in data["weights"]),
        threshold=float(data["threshold"]),
        same_input_threshold=float(data["same_input_threshold"]),
        floor=float(data["floor"]),
        provenance=dict(data.get("provenance", {})),
    )


@lru_cache(maxsize=1)
def corpus_weights() -> tuple[Mapping[str, int], int]:
    """Document counts per term over the public corpus, and the number of documents."""
    data = json.loads((DATA / "terms.json").read_text(encoding="utf-8"))
    return data["terms"], int(data["documents"])


def rare_in_corpus(term: str) -> bool:
    """Whether fewer than three of the corpus's instructions use ``term`` (the counts leave such a
    term out: ``benchmarks/corpus_terms.py``'s ``MIN_DOCUMENTS``): a library, tool or acronym
    ("nox", "msgspec", "freezegun") more often than a word."""
    return term not in corpus_weights()[0]


@text_cache(65536)
def term_weight(term: str) -> float:
    """The weight of ``term``: its smoothed inverse document frequency in the corpus (cached: an
    item's profile asks it of every word, and a consolidation of many items of a few thousand)."""
    counts, documents = corpus_weights()
    return math.log((documents + 1) / (counts.get(term, 0) + 1)) + 1.0


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_TOPIC_END_RE = re.compile(r"[,:;(.!?]|\s[-\u2013\u2014]\s")


@dataclass(slots=True)
class _Profile:
    """What the features need of one item, computed once."""

    vector: dict[str, float]
    size: int
    """How many distinct terms ``vector`` holds."""
    log_size: float
    """``log1p(size)``, once per item rather than once per pair."""
    norm: float
    total: float
    compare: str
    label_terms: frozenset[str]
    head: frozenset[str]
    topic: dict[str, float]
    topic_norm: float
    numbers: frozenset[str]
    sentences: int
    log_sentences: float
    """``log(sentences)``: the larger of two is the log of the larger count, as log only grows."""
    body: dict[str, float]
    """Term weights of what follows the lead-in label; empty for an item without one."""
    body_norm: float


def _profile(view: ItemView) -> _Profile:
    text = view.text
    found = terms(text)
    if view.children_text and len(set(found)) < LABEL_TERMS_MAX:
        text = f"{text} {view.children_text}"
        found = terms(text)
    vector: dict[str, float] = {}
    for term in found:
        vector[term] = vector.get(term, 0.0) + term_weight(term)
    label = lead_label(view.text)
    label_terms = frozenset(terms(label)) if label else frozenset()
    head = frozenset(terms(label)[:HEAD_TERMS] if label else found[:HEAD_TERMS])
    plain = normalize(view.text)
    sentences = max(1, len(sentences_of(plain)))
    topic: dict[str, float] = {}
    for term in terms(label) if label else terms(_TOPIC_END_RE.split(plain, maxsplit=1)[0]):
        topic[term] = topic.get(term, 0.0) + term_weight(term)
    body: dict[str, float] = {}
    for term in terms(label_body(view.text)) if label else ():
        body[term] = body.get(term, 0.0) + term_weight(term)
    return _Profile(
        vector=vector,
        size=len(vector),
        log_size=math.log1p(len(vector)),
        norm=math.sqrt(math.fsum(w * w for w in vector.values())),
        total=math.fsum(vector.values()),
        compare=compare_form(text),
        label_terms=label_terms,
        head=head,
        topic=topic,
        topic_norm=math.sqrt(math.fsum(w * w for w in topic.values())),
        numbers=frozenset(_NUMBER_RE.findall(plain)),
        sentences=sentences,
        log_sentences=math.log(sentences),
        body=body,
        body_norm=math.sqrt(math.fsum(w * w for w in body.values())),
    )


def _overlap(a: _Profile, b: _Profile) -> tuple[float, float, float, float]:
    """Term cosine, containment, Jaccard and shared weight of two profiles."""
    small, large = (a, b) if a.size <= b.size else (b, a)
    weight_in_large = large.vector.get
    dot = shared = 0.0
    common = 0
    # Dictionaries keep the order terms were found in, so the sums below are the same on every run.
    # This runs for every candidate pair: the lower weight is picked inline rather than by min().
    for term, weight in small.vector.items():
        other = weight_in_large(term)
        if other is not None:
            dot += weight * other
            shared += weight if weight <= other else other
            common += 1
    if not common:
        return 0.0, 0.0, 0.0, 0.0
    cosine = dot / (a.norm * b.norm)
    containment = shared / min(a.total, b.total)
    union = a.size + b.size - common
    return min(1.0, cosine), min(1.0, containment), common / union, shared


def _measure(a: _Profile, b: _Profile) -> tuple[float, float, float, float, float, float]:
    """Term overlap (cosine, containment, Jaccard, shared weight), character ratio and closeness
    (the mean of cosine and characters) of two profiles."""
    cosine, containment, jaccard, shared = _overlap(a, b)
    characters = ratio(a.compare, b.compare) / 100.0
    return cosine, containment, jaccard, shared, characters, (cosine + characters) / 2


_TITLE_FILLER = frozenset(stem(w) for w in TITLE_FILLER_WORDS)


@text_cache(4096)
def title_terms(title: str | None) -> frozenset[str]:
    """The terms of a section title (``terms`` without "core", "key", ...), its sequence number
    included: section alignment reads "3. Tests" and "Testing" as two titles, each with a term of
    its own, which align only when their content agrees (a numbered section belongs to a sequence)."""
    return frozenset(t for t in terms(title or "") if t not in _TITLE_FILLER)


def title_overlap(a: str | None, b: str | None) -> float:
    """Dice overlap of two section titles' topic terms, a sequence number left out (the third
    sections of two inputs need not be about one thing: ``text.without_ordinal``); 1.0 for two
    untitled (root) sections."""
    if a is None or b is None:
        return 1.0 if a is b else 0.0
    left, right = title_terms(without_ordinal(a)), title_terms(without_ordinal(b))
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


def _cosine(a: Mapping[str, float], norm_a: float, b: Mapping[str, float], norm_b: float) -> float:
    if not norm_a or not norm_b:
        return 0.0
    dot = 0.0
    # In a's order, as _overlap sums: the same pair gives the same float on every run.
    for term, weight in a.items():
        other = b.get(term)
        if other is not None:
            dot += weight * other
    return min(1.0, dot / (norm_a * norm_b))


def _narrower(small: _Profile, big: _Profile) -> bool:
    """Whether ``big``'s label is ``small``'s plus terms ``small`` never mentions."""
    if not small.label_terms or not small.label_terms < big.label_terms:
        return False
    return not (big.label_terms - small.label_terms) & small.vector.keys()


def _covered(label: frozenset[str], other: dict[str, float]) -> float:
    """The share of ``label``'s terms that ``other`` holds."""
    return len(label & other.keys()) / len(label)


class PairScorer:
    """Scores candidate pairs among ``views`` with ``model`` (the shipped one by default)."""

    def __init__(self, views: Sequence[ItemView], model: Model | None = None, twins: Sequence[int] = ()) -> None:
        self.views = list(views)
        self.twins = list(twins) or [-1] * len(self.views)
        """For each view, a number it shares with the views no pair of which may ever merge
        whatever its score (``candidates`` weighs none of those pairs: the items of a template
        one file fills many times, each a restatement of the others); -1 for none."""
        self.model = model or default_model()
        if len(self.model.weights) != len(FEATURES):
            raise ValueError(f"the model has {len(self.model.weights)} weights for {len(FEATURES)} features")
        self.profiles = [_profile(v) for v in self.views]
        self._closeness: dict[tuple[int, int], int] = {}
        """Where each measured pair's six measures (``_measure``) start in ``_measures``."""
        self._measures = array("d")
        """The measures of the pairs in ``_closeness``, six doubles a pair: a million pairs of a
        large merge are kept, and a tuple of six floats takes five times the memory."""
        self._best: dict[tuple[int, int], tuple[float, float]] = {}
        self._titles: dict[tuple[str | None, str | None], float] = {}
        """``title_overlap`` by pair of titles: a few dozen titles stand for thousands of pairs."""
        self._candidates: frozenset[tuple[int, int]] = frozenset()
        """The pairs ``candidates`` kept (the ranks in ``_best`` are among them)."""
        self._whole: dict[tuple[int, int], tuple[float, float]] = {}
        """``_best_in_input`` by item and input."""
        self._inputs: dict[int, list[int]] = {}
        """The items of each input, in order."""
        self._measured = 0
        """Pairs measured so far (MAX_PAIRS)."""

    # -- candidates -----------------------------------------------------------------------------

    def candidates(self) -> list[tuple[int, int]]:
        """The pairs worth scoring, (i, j) with i < j, in order.

        Items are blocked on their BLOCK_TERMS rarest terms; a term found in more than
        BLOCK_SHARE of the items opens no pair unless it is an item's rarest, so the work grows
        with the items that share distinctive words, not with the square of all items. Of the
        blocked pairs at CLOSENESS_FLOOR or more, those where neither item is among the other's
        PARTNERS closest in its input are left out.

        Up to BLOCK_FLOOR items every pair is measured. The margin by which a pair stands above
        each item's next best counterpart (a feature) needs that next best measured: in a large
        merge blocking finds it, while two short files (two Cursor rules of eight lines) would
        leave most items without one, and every pair of them would look like each other's only
        match.
        """
        count, twins = len(self.profiles), self.twins
        if count <= BLOCK_FLOOR:
            pairs = {(i, j) for i in range(count) for j in range(i + 1, count) if twins[i] < 0 or twins[i] != twins[j]}
        else:
            pairs = self._blocked_pairs()
        self._spend(len(pairs))
        # This runs for every blocked pair: measured here without _close's calls, and kept in the
        # table only when the pair is kept (most blocked pairs of a long file are not). Until
        # then the six measures of each pair wait in an array of their own.
        profiles, index, stored = self.profiles, self._closeness, self._stored
        ordered = sorted(pairs)
        del pairs
        near: list[tuple[int, int]] = []
        closeness: list[float] = []
        measures = array("d")
        for pair in ordered:
            found = stored(pair) if pair in index else _measure(profiles[pair[0]], profiles[pair[1]])
            if found[5] >= CLOSENESS_FLOOR:
                near.append(pair)
                closeness.append(found[5])
                measures.extend(found)
        del ordered
        reach = self._rank_closeness(near, closeness)
        sources = [view.source for view in self.views]
        kept = []
        for n, pair in enumerate(near):
            i, j = pair
            if closeness[n] >= reach[(i, sources[j])] or closeness[n] >= reach[(j, sources[i])]:
                if pair not in self._closeness:
                    self._closeness[pair] = len(self._measures)
                    self._measures.extend(measures[6 * n : 6 * n + 6])
                kept.append(pair)
        self._candidates = frozenset(kept)
        return kept

    def _blocked_pairs(self) -> set[tuple[int, int]]:
        """The pairs of items that share one of their BLOCK_TERMS rarest terms (``candidates``)."""
        postings: dict[str, list[int]] = {}
        for index, profile in enumerate(self.profiles):
            for term in profile.vector:
                postings.setdefault(term, []).append(index)
        inputs = len({view.source for view in self.views})
        limit = min(max(2, int(len(self.profiles) * BLOCK_SHARE)), max(BLOCK_FLOOR, BLOCK_PER_INPUT * inputs))
        pairs: set[tuple[int, int]] = set()
        twins = self.twins
        for i, profile in enumerate(self.profiles):
            ranked = sorted(profile.vector, key=lambda t: (len(postings[t]), t))
            chosen = [t for t in ranked[:BLOCK_TERMS] if len(postings[t]) <= limit] or ranked[:1]
            twin = twins[i]
            for term in chosen:
                for j in postings[term]:
                    if j != i and (twin < 0 or twins[j] != twin):
                        pairs.add((i, j) if i < j else (j, i))
            if self._measured + len(pairs) > MAX_PAIRS:
                self._spend(len(pairs))  # refused here, before the set grows further
        return pairs

    def _spend(self, pairs: int) -> None:
        """Count ``pairs`` more measured; past MAX_PAIRS, stop with an error."""
        self._measured += pairs
        if self._measured > MAX_PAIRS:
            raise AgentMergeError(
                "",
                0,
                f"{len(self.views):,} instructions that share so many words that weighing them against each other "
                f"would take more than {MAX_PAIRS:,} pairs (minutes of work); give fewer or smaller inputs",
            )

    def _close(self, i: int, j: int) -> tuple[float, float, float, float, float, float]:
        """``_measure`` of items ``i`` and ``j``, computed once per pair."""
        key = (i, j) if i < j else (j, i)
        if key in self._closeness:
            return self._stored(key)
        self._spend(1)
        found = _measure(self.profiles[key[0]], self.profiles[key[1]])
        self._closeness[key] = len(self._measures)
        self._measures.extend(found)
        return found

    def _stored(self, pair: tuple[int, int]) -> tuple[float, float, float, float, float, float]:
        """The measures of ``pair`` (i < j), which were kept (``pair in self._closeness``)."""
        at, m = self._closeness[pair], self._measures
        return m[at], m[at + 1], m[at + 2], m[at + 3], m[at + 4], m[at + 5]

    def _rank(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], float]:
        """``_rank_closeness`` of ``pairs``, measuring each (once)."""
        close = self._close
        return self._rank_closeness(pairs, [close(i, j)[5] for i, j in pairs])

    def _rank_closeness(
        self, pairs: Sequence[tuple[int, int]], closeness: Sequence[float]
    ) -> dict[tuple[int, int], float]:
        """For each item and each input, its best and second-best closeness among ``pairs`` there
        (kept for the features); returned, the closeness of its PARTNERS-th closest (0 if fewer).
        ``closeness`` is each pair's, in the same order.

        The two best of every item stand among the pairs candidates() keeps, so ranking those
        again gives the same two.
        """
        sources = [view.source for view in self.views]
        found: dict[tuple[int, int], list[float]] = {}
        for (i, j), value in zip(pairs, closeness, strict=True):
            for key in ((i, sources[j]), (j, sources[i])):
                values = found.get(key)
                if values is None:
                    found[key] = [value]
                else:
                    values.append(value)
        self._best = {}
        reach: dict[tuple[int, int], float] = {}
        for key, values in found.items():
            values.sort(reverse=True)
            self._best[key] = (values[0], values[1] if len(values) > 1 else 0.0)
            reach[key] = values[PARTNERS - 1] if len(values) >= PARTNERS else 0.0
        return reach

    # -- scores ---------------------------------------------------------------------------------

    def scores(self, pairs: Sequence[tuple[int, int]] | None = None) -> dict[tuple[int, int], float]:
        """The probability for each pair (the candidates by default), keyed (i, j) with i < j; a
        near-verbatim copy (``near_verbatim``) scores 1, as an exact one does."""
        if pairs is None:
            chosen = self.candidates()  # ranks them too
        else:
            chosen = sorted((min(p), max(p)) for p in pairs)
            self._rank(chosen)
        score = self.score
        # Keyed by the pairs themselves: the tuples the candidates are kept by, not a copy of each.
        return {pair: score(*pair) for pair in chosen}

    def score(self, i: int, j: int) -> float:
        """The probability that items ``i`` (< ``j``) and ``j`` give the same instruction, 1 for
        a near-verbatim copy (``near_verbatim``). A pair outside the candidates (``cluster_items``
        asks for one where two clusters' every pair is weighed) is measured after them."""
        if near_verbatim(self.views[i].text, self.views[j].text):
            return 1.0
        return self.probability(i, j)

    def _best_in_input(self, i: int, source: int) -> tuple[float, float]:
        """Item ``i``'s best and second-best closeness over every item of input ``source``."""
        key = (i, source)
        found = self._whole.get(key)
        if found is None:
            if not self._inputs:
                for k, view in enumerate(self.views):
                    self._inputs.setdefault(view.source, []).append(k)
            # Measured here and not kept: the table holds the pairs that are scored.
            self._spend(len(self._inputs[source]))
            profiles, index, stored = self.profiles, self._closeness, self._stored
            pairs = [(i, k) if i < k else (k, i) for k in self._inputs[source] if k != i]
            values = [
                (stored(pair) if pair in index else _measure(profiles[pair[0]], profiles[pair[1]]))[5] for pair in pairs
            ]
            values.sort(reverse=True)
            values += [0.0, 0.0]
            found = self._whole[key] = (values[0], values[1])
        return found

    def feature_rows(self, pairs: Sequence[tuple[int, int]]) -> list[list[float]]:
        """The FEATURES values of each pair, as the scores of ``pairs`` would read them (fitting)."""
        self._rank(pairs)
        return [self.features(i, j) for i, j in pairs]

    def probability(self, i: int, j: int) -> float:
        """The model's probability that items ``i`` and ``j`` give the same instruction."""
        total = sum(map(operator.mul, self.model.weights, self.features(i, j)))
        if total < -35.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-total))

    def features(self, i: int, j: int) -> list[float]:
        """The values of FEATURES for the pair (i, j), in order."""
        a, b = self.views[i], self.views[j]
        pa, pb = self.profiles[i], self.profiles[j]
        cosine, containment, jaccard, shared, characters, closeness = self._close(i, j)
        small, large = (pa, pb) if pa.size <= pb.size else (pb, pa)
        if self._candidates and (i, j) not in self._candidates:
            # Blocking left the pair out: whether each is the other's closest, and by how much,
            # is read over the other's whole input, not over candidates that never met it.
            first, second = self._best_in_input(i, b.source), self._best_in_input(j, a.source)
        else:
            first = self._best.get((i, b.source), (closeness, 0.0))
            second = self._best.get((j, a.source), (closeness, 0.0))
        # How far the pair stands above each item's next best counterpart in the other file.
        margin = min(
            closeness - (first[1] if closeness >= first[0] else first[0]),
            closeness - (second[1] if closeness >= second[0] else second[0]),
        )
        # Every label feature but the coverage of a lone label needs both items labelled; most
        # pairs are not, and this runs for every candidate pair.
        label_a, label_b = pa.label_terms, pb.label_terms
        same_label = labels_differ = narrower = False
        covered_least = 0.0
        if label_a and label_b:
            covered_a, covered_b = _covered(label_a, pb.vector), _covered(label_b, pa.vector)
            covered_most, covered_least = max(covered_a, covered_b), min(covered_a, covered_b)
            same_label = label_a == label_b
            labels_differ = not same_label and not label_a.isdisjoint(label_b)
            narrower = _narrower(pa, pb) or _narrower(pb, pa)
        elif label_a or label_b:
            covered_most = _covered(label_a, pb.vector) if label_a else _covered(label_b, pa.vector)
        else:
            covered_most = 0.0
        heads = min(len(pa.head), len(pb.head))
        titles = self._titles.get((a.title, b.title))
        if titles is None:
            titles = self._titles[(a.title, b.title)] = title_overlap(a.title, b.title)
        # Flags as 1.0 or 0.0 by a conditional rather than float(): a call per flag costs more.
        return [
            1.0,
            cosine,
            containment,
            characters,
            jaccard,
            math.log1p(shared),
            small.log_size,
            large.log_size,
            abs(pa.log_size - pb.log_size),
            max(pa.log_sentences, pb.log_sentences),
            1.0 if a.source == b.source else 0.0,
            titles,
            0.0 if a.role == b.role or roles_agree(a.role, a.text, b.role, b.text) else 1.0,
            1.0 if a.kind == "paragraph" or b.kind == "paragraph" else 0.0,
            1.0 if a.depth > 0 or b.depth > 0 else 0.0,
            1.0 if a.depth > 0 and b.depth > 0 else 0.0,
            1.0 if a.parent == j or b.parent == i else 0.0,
            1.0 if a.source == b.source and a.place == b.place else 0.0,
            1.0 if closeness >= first[0] else 0.0,
            1.0 if closeness >= second[0] else 0.0,
            margin,
            1.0 if same_label else 0.0,
            1.0 if label_a and label_b else 0.0,
            covered_most,
            covered_least,
            len(pa.head & pb.head) / heads if heads else 0.0,
            _cosine(pa.topic, pa.topic_norm, pb.topic, pb.topic_norm),
            1.0 if labels_differ else 0.0,
            1.0 if narrower else 0.0,
            containment if small.size <= SHORT_TERMS else 0.0,
            1.0 if pa.numbers and pb.numbers and pa.numbers != pb.numbers else 0.0,
            _cosine(pa.body, pa.body_norm, pb.body, pb.body_norm) if pa.body and pb.body else 0.0,
        ]


def near_verbatim(a: str, b: str, *, prose: bool = True) -> bool:
    """Whether two texts are the same words give or take a typo or punctuation (NEAR_VERBATIM).

    For prose the significant terms must also be the same: "Write unit tests" and "Review unit
    tests" differ in few characters but are two instructions; and so must the words, in order, as
    ``text.word_forms`` reads them: stop words are no terms, yet "Copy the fixtures into the
    folder" and "... out of the folder", "say why" and "say where" say two things, and "Merge
    main into the branch" and "Merge the branch into main" have one set of words. An article put
    in or left out makes no other instruction. Code and tables (``prose`` false)
    are compared on characters only. A text without words of its own (a list item that only
    opens a quote or a sub-list: ``- >5 duplicates``) is a copy of nothing: what it holds decides.
    """
    (left, left_terms), (right, right_terms) = _verbatim_form(a), _verbatim_form(b)
    if not left.strip() or not right.strip():
        return False
    if prose and (left_terms != right_terms or word_forms(a) != word_forms(b)):
        return False
    return left == right or ratio(left, right, NEAR_VERBATIM * 100) >= NEAR_VERBATIM * 100


def verbatim_terms(text: str) -> frozenset[str]:
    """The terms ``near_verbatim`` compares: two prose texts are near-verbatim copies only when
    these are equal, so copies can be looked up by them rather than sought pair by pair."""
    return _verbatim_form(text)[1]


@text_cache(8192)
def _verbatim_form(text: str) -> tuple[str, frozenset[str]]:
    """``text`` normalised and case-folded, and its terms with what tells two near-alike texts
    apart though no term does (``_marks``): made once per text, not once per pair."""
    plain = normalize(text)
    return plain.casefold(), frozenset(terms(text)) | _marks(plain)


_WORD_RE = re.compile(r"[a-z0-9]+")
_OPERATOR_RE = re.compile(r"[=<>]+|!=+")


def _marks(plain: str) -> frozenset[str]:
    """What two texts that are otherwise one typo apart must share to be copies, past their
    terms: the secure variant of a protocol they name (``lexicon.SECURE_VARIANTS``: "http" and
    "https" are two protocols, the stem of both is "http"; "tokens" and "token", "APIs" and
    "API" are one word), how binding each says it is (``obligation_level``: "may" and "must" are
    stop words), and the comparison operators it writes ("==" and "===", "<" and "<=", which are
    punctuation to the terms). Read whatever the case: "NEVER LOG TOKENS" and "Never log tokens"
    are copies, "Use HTTPS" and "use https" too."""
    marks = {f"^{word}" for word in _WORD_RE.findall(plain.casefold()) if word in SECURE_VARIANTS}
    level = obligation_level(plain)
    if level is not None:
        marks.add(f"~{level}")
    marks.update(f"={op}" for op in _OPERATOR_RE.findall(plain))
    return frozenset(marks)


def restates(old: ItemView, new: ItemView, model: Model | None = None) -> bool:
    """Whether ``new`` gives the instruction ``old`` gave, as surely as ``consolidate`` must be
    to fold one wording into another (the model's floor).

    ``diff`` asks it of a lone item replaced in its place whose words changed too much for
    the character similarity to call it a rewording ("Rate limiting" / "**Rate limits**:
    per-client quotas, burst handling"). The two items are scored by themselves, each the
    other's only counterpart; pass them as sources 0 and 1.
    """
    model = model or default_model()
    return PairScorer([old, new], model).scores([(0, 1)])[(0, 1)] >= model.floor


def restated_pairs(
    views: Sequence[ItemView],
    firsts: Sequence[int],
    seconds: Sequence[int],
    model: Model | None = None,
    accept: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """The pairs (i, j) of ``firsts`` x ``seconds`` (indices into ``views``, each i of an input
    before each j's) that give one instruction, as surely as ``consolidate`` must be to fold one
    wording into another (the model's floor) and, when ``accept`` is given, for which
    ``accept(i, j)`` holds too, in order; taken surest first, each item in one pair at most. Each
    pair is weighed as ``consolidate`` weighs it: among the other items of its inputs. Two items
    written to one list's template ("**With X**: ...", "**With Y**: ...") look alike alone;
    beside their siblings each stands as close to a sibling as to the other, and scores low.
    Every pair of ``firsts`` x ``seconds`` is scored: keep them few.

    ``merge`` asks it of the items its two sides added at one place, among their neighbours.
    """
    model = model or default_model()
    scorer = PairScorer(views, model)
    scorer.candidates()
    scored = sorted((-scorer.score(i, j), i, j) for i in firsts for j in seconds)
    taken: set[int] = set()
    found = []
    for score, i, j in scored:
        if -score < model.floor:
            break  # surest first: the rest are below the floor too
        if i not in taken and j not in taken and (accept is None or accept(i, j)):
            taken.update((i, j))
            found.append((i, j))
    return sorted(found)
