"""Cluster the items and sections of N agent files into groups that say the same thing.

Consolidation's clustering. Items are clustered on the pair score (``scorer``): pairs are taken
best first into clusters (average linkage) unless one of the named ITEM_RULES keeps them apart,
and each cluster then folds into its kept wording only what scores as surely the same (the
lossless rule, ``cluster_items``). Identical copies are clustered once, as a bag (``bag_units``).
Section titles are clustered on their own score (``cluster_sections``) to align the sections of
the inputs.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from agentmerge.lexicon import (
    CONDITION_WORDS,
    EMPTY_CONDITIONS,
    FRAME_WORDS,
    NEGATORS,
    PITFALLS_ROLE,
    STOPWORDS,
    WALLED_ROLES,
    WHOLE_SCOPE_WORDS,
    roles_compatible,
)
from agentmerge.match import changed_runs
from agentmerge.scorer import SHORT_TERMS, near_verbatim, rare_in_corpus, term_weight, title_terms
from agentmerge.text import (
    CLAUSE_BREAKS,
    SUBJECT_WORDS,
    bold_label,
    choice_made,
    choices,
    contrary_choice,
    exception_forms,
    handoff_agent,
    instruction_lines,
    is_function_form,
    is_handoff,
    label_body,
    lead_label,
    leading_marks,
    marked_words,
    negated,
    negation_put,
    normalize,
    obligation_level,
    opposed,
    opposite_sense,
    other_choice,
    roles_agree,
    sentences_of,
    table_form,
    terms,
    text_cache,
    without_ordinal,
    word_forms,
    words,
)

SECTION_ALIGN_THRESHOLD = 0.45
"""Least score at which two sections of different inputs are aligned into one section.

The score is the larger of the title similarity and the share of the smaller section's items
with a copy among the other's (see ``section_similarity``); sections of different roles never
align.
"""

ANCHOR_MARGIN = 0.15
"""How far above the item threshold items are clustered to find the anchors of
``section_similarity`` before the sections are aligned. That clustering is settled with a floor
of 1, so an anchor holds copies only (exact or near-verbatim, or the inputs' "You are ..."
identities, one slot): two sections hold the same content when one's items have copies in the
other."""

BLOCK_TERM_PER_INPUT = 2
"""Section titles per input a term may be found in and still open candidate pairs."""

BLOCK_POSTING_FLOOR = 50
"""Section titles a term may always be found in and still open candidate pairs."""


@dataclass(frozen=True, slots=True)
class Unit:
    """An item or a section title, reduced to what bagging and section alignment need."""

    source: int
    """Index of the input it comes from."""
    text: str
    """The Markdown text (an item's own text, or a section's title)."""
    role: str
    """Its role: for an item the matcher's (``text.item_role``), for a section its title's."""
    kind: str = "bullet"
    """The item kind (``heading`` for a section title)."""
    repeatable: bool = True
    """Whether an exact repeat in its own input is the same item; false for items of a template
    the file fills several times (sections with the same title), which repeat by design."""
    scope: str = ""
    """For a nested item, the ``copy_form`` of each item with words of its own it is nested in,
    outermost first, one a line: the same words under "**Frontend changes**:" and under
    "**Backend changes**:" are not copies of one item, nor under two "**Docker Files**:" that
    these two hold."""
    titles: str = ""
    """An item's section titles, outermost first, one a line: the same words under headings that
    pick two alternatives of one choice ("Frontend changes", "Backend changes") are not copies
    of one item either (``text.other_choice``)."""


_VERBATIM_KINDS = frozenset({"code", "table", "html", "quote"})

DIAGRAM_CHARS = 8
"""Box-drawing characters (``┌─┐│``) from which a text is a diagram: a picture drawn in text,
which like code merges only as an exact copy (its words are labels, not an instruction)."""


@text_cache(65536)
def is_diagram(text: str) -> bool:
    """Whether ``text`` is drawn with box-drawing characters (DIAGRAM_CHARS or more)."""
    if "\u2502" not in text and "\u2500" not in text:  # no box without a line (│ or ─)
        return False
    return sum(1 for char in text[:4000] if "\u2500" <= char <= "\u257f") >= DIAGRAM_CHARS


_SAMPLE_RE = re.compile(r'\s*(?:"[^"\n]+"|\u201c[^\u201c\u201d\n]+\u201d)[.!?]?\s*')
"""An item that is one line in quotation marks: a sample request to the agent ("Review this
migration for production impact"), which like a quote merges only as an exact copy (two sample
requests are two examples, however alike their words)."""


def is_sample(text: str) -> bool:
    """Whether ``text`` is one line in quotation marks (``_SAMPLE_RE``)."""
    return _SAMPLE_RE.fullmatch(text) is not None


YOU_ARE = r"you are|you're|you\u2019re"
"""How an identity statement opens ("You are ..."), as a pattern."""

_IDENTITY_RE = re.compile(rf"(?i)^\W*(?:{YOU_ARE}|act as|your role is)\b")
_ADDRESSED_RE = re.compile(rf"(?i)^\W*(?:{YOU_ARE})\b")
"""An identity in the words an agent is addressed in ("You are ..."): of an identity slot's
wordings, the one kept before a ``**Role**:`` label, which one input's layout writes (``_settle_wording``)."""
IDENTITY_LABELS = frozenset({"role", "persona"})
"""Lead-in labels that state who the agent is (``**Role**: Senior cloud architect ...``)."""


@text_cache(65536)
def is_identity(text: str) -> bool:
    """Whether ``text`` is an identity statement: it opens "You are", "Act as" or "Your role is",
    or under a label of IDENTITY_LABELS."""
    label = lead_label(text, bare=False)
    return _IDENTITY_RE.match(text) is not None or (label is not None and label.casefold() in IDENTITY_LABELS)


def is_question(text: str) -> bool:
    """Whether ``text`` ends in a question: a check to make rather than a practice to follow."""
    return normalize(text).rstrip().endswith("?")


class Rule(NamedTuple):
    """One named veto of the clustering: a check and the one-line reason it exists."""

    name: str
    """A short name for the rule, used in tests and when reading a merge."""
    reason: str
    """Why a pair the rule stops is not one instruction."""
    vetoes: Callable[..., bool]
    """The check: true when the rule stops the pair."""


def copy_form(kind: str, text: str) -> str:
    """The form in which two items are exact copies of each other.

    Prose compares in its normal form, case-folded (emphasis, wrapping and escapes aside). Code
    and diagrams compare line by line with only trailing spaces and blank edge lines aside: in
    code, indentation, case and ``*`` are meaning (``return`` inside or after a loop, ``SELECT``
    or ``select`` in a language that cares). Tables compare cell by cell, padding aside, and a
    delimiter row by its alignments (``text.table_row_form``); HTML as written.
    """
    if kind == "code" or is_diagram(text):
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if kind == "table":
        return table_form(text)
    if kind == "html":
        return text.strip()
    return normalize(text).casefold()


def bag_units(units: Sequence[Unit]) -> list[list[int]]:
    """Group units whose texts are the same in ``copy_form`` (and role, kind, repeatability).

    Identical copies are one instruction whatever else happens, so they are clustered once as a
    bag: scoring 200 copies of a bullet pairwise would cost 20,000 comparisons for nothing. A
    bag holds at most one unit per input, except repeatable exact repeats inside one input.
    Bags come in order of their first unit; members in index order.

    A unit without words of its own (a list item that only opens a quote, a code block or a
    sub-list: ``- > text``) is what its children say, so it is a bag alone: two such items are
    not copies of each other, and bagging them would pour one's children into the other.
    """
    keyed: dict[tuple[str, str, str, bool, str], list[int]] = {}
    bags: list[list[int]] = []
    for index, unit in enumerate(units):
        form = copy_form(unit.kind, unit.text)
        if not form.strip():
            bags.append([index])
            continue
        keyed.setdefault((form, unit.role, unit.kind, unit.repeatable, unit.scope), []).append(index)
    for (_, _, _, repeatable, _), copies in keyed.items():
        for members in _under_one_choice(copies, units):
            if repeatable:
                bags.append(members)
                continue
            # Each unit joins the first bag without a unit of its input. The bags holding an
            # input's units are always the first ones, so that bag is the one after them:
            # counted, not searched, which keeps thousands of identical lines linear.
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


def _under_one_choice(members: list[int], units: Sequence[Unit]) -> list[list[int]]:
    """``members`` (copies of one item) in parts whose section titles pick no two alternatives of
    one choice, in order of their first member. Titles are compared by the choices they pick,
    which few lists hold, so thousands of copies cost a few comparisons."""
    picks: dict[frozenset[tuple[int, int]], str] = {}
    for index in members:
        picks.setdefault(choices(units[index].titles), units[index].titles)
    if len(picks) < 2:
        return [members]
    part_of: dict[frozenset[tuple[int, int]], int] = {}
    heads: list[list[str]] = []
    for chosen, titles in picks.items():
        place = next(
            (n for n, head in enumerate(heads) if all(other_choice(titles, t) is None for t in head)), len(heads)
        )
        if place == len(heads):
            heads.append([])
        heads[place].append(titles)
        part_of[chosen] = place
    parts: list[list[int]] = [[] for _ in heads]
    for index in members:
        parts[part_of[choices(units[index].titles)]].append(index)
    return parts


def different_subjects(a: str, b: str) -> bool:
    """Whether two items, labelled or one of them short and unlabelled, name one aspect of two
    different subjects.

    "**Code Quality**: readability ..." and "**Test Quality**: readability ..." share their head
    noun and most of their words, yet one is about the code and the other about its tests. The
    labels share a term, and each label has as many terms that the other item never mentions; or
    one label is the other narrowed to a subject (``_narrowed``: "**Maintainability**" and "**Test
    Maintainability**"), or the label of one is the short other's words narrowed so
    (``_short_narrowed``: "Use pytest for testing" and "**Async Testing**: ...").
    """
    label_a, label_b = lead_label(a), lead_label(b)
    if label_a is None and label_b is not None:
        return _short_narrowed(a, b, label_b)
    if label_b is None and label_a is not None:
        return _short_narrowed(b, a, label_a)
    if label_a is None or label_b is None:
        return False
    if _narrowed(a, label_a, b, label_b) or _narrowed(b, label_b, a, label_a):
        return True
    terms_a, terms_b = set(terms(label_a)), set(terms(label_b))
    shared = len(terms_a & terms_b)
    if not shared:
        return False
    # "Explicit Error Handling" and "Error Handling Framework" agree more than they differ.
    return len(terms_a - set(terms(b))) >= shared and len(terms_b - set(terms(a))) >= shared


def _narrowed(a: str, label_a: str, b: str, label_b: str) -> bool:
    """Whether ``b``'s label is ``a``'s with words put before it that ``b``'s body says again and
    ``a`` never mentions: "**Query Performance**: index every query column, avoid query loops"
    narrows "**Performance**: cache results, batch requests" to the queries. A word put before
    that the body does not repeat is as often a qualifier ("**Explicit Error Handling**") or a
    verb ("**Define service boundaries**") as a subject."""
    head = terms(label_a)
    return _subject_put_before(label_b, b, lambda rest: rest == head, set(terms(a)))


def _short_narrowed(plain: str, labelled: str, label: str) -> bool:
    """Whether the short unlabelled ``plain`` (SHORT_TERMS terms at most) says what ``label`` says
    without the words put before it, words ``labelled``'s body says again: "Use mypy for type
    checking" and "**Strict Type Checking**: mypy in strict mode for type checking" (``_narrowed``
    for an item with no label of its own)."""
    have = set(terms(plain))
    return len(have) <= SHORT_TERMS and _subject_put_before(label, labelled, lambda rest: set(rest) <= have, have)


def _subject_put_before(
    label: str, labelled: str, fits: Callable[[tuple[str, ...]], bool], said: AbstractSet[str]
) -> bool:
    """Whether ``label`` (of the item ``labelled``) is words put before a rest that ``fits`` the
    other item, words that ``labelled``'s body says again and the other item (its terms ``said``)
    never does."""
    named, body = terms(label), set(terms(label_body(labelled)))
    for cut in range(1, len(named)):
        extra = set(named[:cut])
        if fits(named[cut:]) and extra.isdisjoint(said) and extra <= body:
            return True
    return False


def one_word(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` share exactly one term, each has ONE_WORD_TERMS terms or more, and the
    shared term is not the whole label of either (``**Secrets** - hardcoded keys`` is about
    secrets, whatever else its words say)."""
    left, right = set(terms(a)), set(terms(b))
    shared = left & right
    if len(shared) != 1 or min(len(left), len(right)) < ONE_WORD_TERMS:
        return False
    for text in (a, b):
        label = lead_label(text)
        if label is not None and set(terms(label)) <= shared:
            return False
    return True


def little_shared(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are plain instructions of one clause (``plain_clause``) of
    ONE_WORD_TERMS terms or more each, and what they share carries less than SHARED_LEAST of the
    term weight (corpus rarity) of either: most of each says something the other does not
    ("Estimates storage growth for every new event stream", "Estimates support load for all
    customer-facing releases"). Under one lead-in label the bodies are compared so ("**With
    cache-expert**: Sizing the cache cluster for peak traffic" / "**With cache-expert**: Planning
    eviction and warm-up procedures"), and under one hand-off label (``text.is_handoff``) so are
    lists: two tasks handed to one agent ("Provision and tune RabbitMQ clusters with alerting and
    dashboards" / "Set up Kafka topics, partitions, and retention automation") are two hand-offs,
    whatever they list. Under any other one label lists are read when they share a word:
    "**Linting Setup**: strict lint rules in CI, ruff autofix, pre-commit hooks" / "... ruff for
    fast checks, pylint for deeper design warnings" say two things of one subject."""
    key = label_key(a)
    same_label = key is not None and key == label_key(b)
    handoff = same_label and is_handoff(a)
    if same_label:  # as ``_bodies`` does, without reading the labels again
        a, b = label_body(a), label_body(b)
    plain = plain_clause(a) and plain_clause(b)
    if not plain and not same_label:
        return False
    left, right = set(terms(a)), set(terms(b))
    if min(len(left), len(right)) < ONE_WORD_TERMS:
        return False
    shared = _weight(left & right)
    if not plain and not handoff and not shared:
        # Lists under one label with nothing in common give two sides of the labelled topic
        # ("pip-tools, Poetry, or uv" / "Always lock exact versions"), which the labels call one
        # instruction.
        return False
    return shared < SHARED_LEAST * _weight(left) and shared < SHARED_LEAST * _weight(right)


_CONDITIONS = "|".join(CONDITION_WORDS)
"""The words that open a condition, as one alternation of a pattern."""


def one_frame(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` set one frame and say in it things that share less than
    SHARED_LEAST of the term weight of either: "When reviewing database migrations, check for
    table locks" / "..., check for a rollback script", "Read the full log before retrying a
    failed build" / "Notify the pipeline owner before retrying a failed build" are two
    instructions in one frame. A frame is a first clause, to a comma or the end of a clause, that
    opens with a word of ``lexicon.FRAME_WORDS`` (a condition, a scope, a time), or a closing
    condition, from the last word of ``lexicon.CONDITION_WORDS`` on; the frames' terms are the
    same. Between two closing conditions, often a phrase of the instruction, what precedes them
    must share no term ("Scan the whole dependency tree" and "Audit all dependencies" before
    releasing are one; after an opening "Before releasing," they share less than half and stay
    two, the smaller flaw). Items with a lead-in label are left to the label rules
    (``little_shared``)."""
    if lead_label(a) is not None or lead_label(b) is not None:
        return False
    left, right = _framed(a), _framed(b)
    for frame, ours, opening in left:
        for other, theirs, other_opening in right:
            if not _same_frame(frame, other):
                continue
            found_ours, found_theirs = set(terms(ours)), set(terms(theirs))
            if not found_ours or not found_theirs:
                continue
            if not (opening or other_opening):
                # A closing condition is often a phrase of the instruction: what precedes it must
                # share no term ("Scan the whole dependency tree" / "Audit all dependencies" before
                # releasing).
                if found_ours.isdisjoint(found_theirs):
                    return True
                continue
            shared = _weight(found_ours & found_theirs)
            if shared < SHARED_LEAST * _weight(found_ours) and shared < SHARED_LEAST * _weight(found_theirs):
                return True
    return False


_CONDITION_AT_RE = re.compile(rf"\s(?=(?:{_CONDITIONS})\b)", re.IGNORECASE)
"""Where a condition begins inside a clause ("... before retrying a failed build")."""


@text_cache(65536)
def _framed(text: str) -> tuple[tuple[str, str, bool], ...]:
    """The ways ``text`` reads as a frame, what it says in it and whether the frame opens it
    (``one_frame``): its first clause and the rest, and its last condition and what comes before."""
    plain = normalize(text)
    found: list[tuple[str, str, bool]] = []
    opening = _PART_RE.split(plain, maxsplit=1)
    if len(opening) == 2 and opening[0].strip() and opening[1].strip():
        found.append((opening[0].strip(), opening[1].strip(), True))
    closing = _CONDITION_AT_RE.split(plain)
    if len(closing) > 1:
        rest, condition = " ".join(closing[:-1]).strip(), closing[-1].strip()
        if rest and condition:
            found.append((condition, rest, False))
    return tuple(found)


def _same_frame(a: str, b: str) -> bool:
    """Whether clauses ``a`` and ``b`` each open with a word of FRAME_WORDS and have the same terms,
    one or more."""
    first_a, first_b = _WORD_RE.match(a), _WORD_RE.match(b)
    if first_a is None or first_b is None:
        return False
    if first_a.group().casefold() not in FRAME_WORDS or first_b.group().casefold() not in FRAME_WORDS:
        return False
    found = set(terms(a))
    return bool(found) and found == set(terms(b))


def _bodies(a: str, b: str) -> tuple[str, str]:
    """The bodies of ``a`` and ``b`` after a lead-in label both have (the label says nothing apart);
    else ``a`` and ``b``."""
    key = label_key(a)
    if key is not None and key == label_key(b):
        return label_body(a), label_body(b)
    return a, b


SHARED_LEAST = 0.5
"""The share of each item's term weight below which two plain one-clause items share too little
to be one instruction (``little_shared``): the largest, in steps of 0.05, that refuses no
candidate pair the labelled groups call one instruction (0.55 refuses two in the python group);
see docs/matching.md."""


def _weight(found: AbstractSet[str]) -> float:
    """The summed corpus weight of ``found``, in one order on every run."""
    return math.fsum(sorted(term_weight(t) for t in found))


@text_cache(65536)
def plain_clause(text: str) -> bool:
    """Whether ``text`` is a plain instruction of one clause: no lead-in label and no comma of a
    list (a list of examples, which two wordings of one instruction may give differently); a comma
    that opens a contrast ("..., not just model accuracy") makes no list."""
    return _LIST_COMMA_RE.search(normalize(text)) is None and lead_label(text) is None


_LIST_COMMA_RE = re.compile(r",(?!\s+(?:not|but|while|rather|without|never|yet)\b)", re.IGNORECASE)
"""A comma that is not followed by a word opening a contrast."""


def different_tools(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are plain instructions of one clause (no comma: not a list of
    examples, which may differ between two wordings of one instruction) that each name something
    the other does not (``tool_names``). Under one lead-in label the bodies are compared so
    ("**Check first**: Installed Node version" / "**Check first**: Installed Deno version").
    Under two labels, or one, a label may name what the other body does, and only the agents the
    labels name are compared ("**With redis-expert**" / "**With mongodb-expert**": two hand-offs;
    "**With architect**" / "**With technical-seo-specialist**" too, ``text.handoff_agent``).
    """
    if label_key(a) != label_key(b):
        handoffs = handoff_agent(a), handoff_agent(b)
        if None not in handoffs:
            return handoffs[0] != handoffs[1]
        left, right = agent_names(a), agent_names(b)
    else:
        left, right = tool_names(a), tool_names(b)
    return bool(left - right and right - left)


@text_cache(65536)
def agent_names(text: str) -> frozenset[str]:
    """The agent names (lower-case words joined by hyphens: ``mongodb-expert``) in the lead-in label
    of ``text``."""
    label = lead_label(text, bare=False)
    return frozenset(_AGENT_NAME_RE.findall(label)) if label else frozenset()


_AGENT_NAME_RE = re.compile(r"(?<![\w-])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w-])")


def label_key(text: str) -> str | None:
    """The lead-in label of ``text`` as two items under one label share it; None without one."""
    label = lead_label(text, bare=False)
    return None if label is None else " ".join(normalize(label).casefold().split())


@text_cache(65536)
def tool_names(text: str) -> frozenset[str]:
    """What a plain one-clause instruction, or the body after its lead-in label, names
    (``capitalised``: "Use CSS modules" names ``css``); nothing when it is a list (a comma)."""
    body = label_body(text) if lead_label(text, bare=False) is not None else text
    if not plain_clause(body):
        return frozenset()
    return capitalised(normalize(body))


def another_name(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` each name something the other does not (``capitalised``, after any
    lead-in label) and say nothing else apart: every other term of one is a term of the other."""
    left, right = body_names(a), body_names(b)
    if not (left - right and right - left):
        return False
    rest_a = set(terms(a)) - set(terms(" ".join(left)))
    rest_b = set(terms(b)) - set(terms(" ".join(right)))
    return rest_a <= rest_b or rest_b <= rest_a


SWAP_MOST_WORDS = 12
"""Most words of an instruction ``another_word`` reads: a longer one with a few words changed
has room for a rewording, a short one is a template filled twice."""

SWAP_SPAN = 2
"""Most words in a row ``another_word`` takes for one slot of a template: "canary deployments"
for "feature flags" is one slot filled twice; three ("to remove duplication" for "for improved
efficiency") is a rewording as often as not in the corpus's folds."""


def another_word(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one short plain instruction (one clause, at most SWAP_MOST_WORDS
    words) with one run of at most SWAP_SPAN words put in for another in the same place, sharing
    no term with it, and the rest the same with two terms or more: "Document every public API" /
    "Test every public API", "Use canary deployments for risky releases" / "Use feature flags for
    risky releases". Words that are one term (an inflection, a synonym the terms read as one) are
    no change, and so is the rest when both name one product: the product is the instruction and
    the words around it qualify it ("Use Flask-Login for authentication" / "... for session
    management"). An acronym ("API", "CI") is no product. Under one lead-in label the bodies are
    compared so ("**Transactions**: Declarative boundaries" / "**Transactions**: Reactive
    boundaries")."""
    a, b = _bodies(a, b)
    left, right = _plain_words(a), _plain_words(b)
    if not left or not right or _products(a) & _products(b):
        return False
    start, end = _common_ends(left, right)
    ours, theirs = left[start : len(left) - end], right[start : len(right) - end]
    if not ours or not theirs or len(ours) > SWAP_SPAN or len(theirs) > SWAP_SPAN:
        return False
    terms_ours, terms_theirs = set(terms(" ".join(ours))), set(terms(" ".join(theirs)))
    if not terms_ours or not terms_theirs or terms_ours & terms_theirs:
        return False
    return len(set(terms(" ".join(left[:start] + left[len(left) - end :])))) >= 2


def word_changed(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one wording with at most SWAP_SPAN words put in for others in
    one place (and in a second, one function word for another: "Upload the build artifacts to
    S3" / "Download the build artifacts from S3"), or two runs of them swapped (``_swapped``),
    and nothing else changed, word by word as ``text.word_forms`` reads them: "Copy the fixtures
    into the test folder" / "... out of the test folder", "Mark all findings as blocking" /
    "Mark none of the findings as blocking", "When tests fail, stop the review" / "When linting
    fails, stop the review", "Merge main into the feature branch" / "Merge the feature branch
    into main". What changed is what each says apart, stop words too ("into", "all", "one"),
    which the terms leave out, at any length; and so is a negation or a leave put in alone (who
    is told aside) where the polarity rule does not read it ("Report flaky tests" / "We don't
    report flaky tests", "Mention breaking changes" / "You may mention breaking changes"), and an
    exception put in ("Every endpoint must ..." / "Every endpoint except health checks must
    ..."). An inflection, a synonym the terms read as one, an article, "please" or "use" is no
    change. A rewording is not: words put in on one side beside the change (a qualifier, which the
    lossless rule, ``carries``, weighs), words moved as well as changed ("Logging and alerting
    configuration audit" / "Logging configuration and alerting threshold review"), a function
    word put in for words of substance ("... for resource management" / "... unique resource
    management pattern"), or function words for function words but one for one ("on changed
    files" / "over every changed file"). Under one lead-in label the bodies are compared so."""
    a, b = _bodies(a, b)
    left, right = word_forms(a), word_forms(b)
    if not left or not right or left == right:
        return False
    ours, theirs = Counter(left) - Counter(right), Counter(right) - Counter(left)
    if bool(ours) != bool(theirs):
        # Words put in on one side only qualify the instruction, which ``carries`` weighs; but
        # for a negation or a leave put in alone (who is told with it), which turn it round or
        # make it optional ("Report flaky tests" / "We don't report flaky tests", "Mention
        # breaking changes" / "You may mention breaking changes"), where the polarity rule does
        # not read it (``text.negation_put``).
        put_in = set(ours or theirs)
        if put_in & exception_forms():
            return True  # an exception put in: the rule and the rule with an exception are two
        return bool(put_in & _TURNING) and put_in <= _TURNING | SUBJECT_WORDS and negation_put(a, b) is None
    if not ours:
        return _swapped(left, right)
    if max(ours.total(), theirs.total()) > SWAP_SPAN + 1:
        return False  # more words changed than one run and one function word
    if _without(left, ours) != _without(right, theirs):
        return False  # words moved as well as changed: a rewording
    same, runs = changed_runs(left, right)
    if not same or len(runs) > 2:
        return False
    if len(runs) == 2 and not any(_relation_swapped(left, right, taken, put) for taken, put in runs):
        # Changes in two places are a rewording as often as not ("Cite file and line for every
        # finding" / "Give the file and line of each finding"), but for one relation turned
        # round with its act ("Upload the artifacts to S3" / "Download the artifacts from S3").
        return False
    for taken, put in runs:
        if not taken or not put or len(taken) > SWAP_SPAN or len(put) > SWAP_SPAN:
            return False  # words put in beside the change qualify it: a rewording
        said = any(not is_function_form(left[n]) for n in taken), any(not is_function_form(right[n]) for n in put)
        if said[0] != said[1] and len(taken) + len(put) > 2:
            return False  # words of substance for grammar ("for" / "Python's unique"): a rewording
        negation = ("not" in (left[n] for n in taken)) != ("not" in (right[n] for n in put))
        if not said[0] and not said[1] and len(taken) + len(put) > 2 and not negation:
            # Grammar for grammar ("on" / "over every") is a rewording; but for a negation put in
            # ("and tag the guild" / "but do not tag the guild").
            return False
    return True


_COORDINATORS = frozenset({"and", "or", "nor"})

_TURNING = frozenset({"not", "may"})
"""Words of ``text.word_forms`` that turn an instruction round or make it optional: a negation,
a leave."""


def _swapped(left: Sequence[str], right: Sequence[str]) -> bool:
    """Whether ``right`` is ``left`` with two runs of at most SWAP_SPAN words swapped around words
    that stay between them ("main into the branch" / "the branch into main"); a run moved to the
    other end ("Validate every input" / "Every input validated") is no swap, nor two things a
    coordinator lists ("code and tests" / "tests and code")."""
    start, end = _common_ends(left, right)
    ours, theirs = left[start : len(left) - end], right[start : len(right) - end]
    if len(ours) != len(theirs):
        return False
    for first in range(1, min(SWAP_SPAN, len(ours)) + 1):
        # "code and tests" / "tests and code" list two things in either order: no swap.
        for last in range(1, min(SWAP_SPAN, len(ours) - first) + 1):
            middle = ours[first : len(ours) - last]
            if (
                middle
                and not set(middle) <= _COORDINATORS
                and theirs[:last] == ours[len(ours) - last :]
                and theirs[len(theirs) - first :] == ours[:first]
                and theirs[last : len(theirs) - first] == middle
            ):
                return True
    return False


def _relation_swapped(left: Sequence[str], right: Sequence[str], taken: range, put: range) -> bool:
    """Whether a run of ``changed_runs`` puts one function word for another ("to" / "from")."""
    return len(taken) == len(put) == 1 and is_function_form(left[taken[0]]) and is_function_form(right[put[0]])


def _without(found: Sequence[str], taken: Counter[str]) -> list[str]:
    """``found`` in order with the words of ``taken`` left out, each as many times as it counts."""
    left = Counter(taken)
    kept = []
    for word in found:
        if left[word]:
            left[word] -= 1
        else:
            kept.append(word)
    return kept


def _common_ends(left: Sequence[str], right: Sequence[str]) -> tuple[int, int]:
    """How many words ``left`` and ``right`` share at their start, and then at their end."""
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    end = 0
    while end < min(len(left), len(right)) - start and left[-1 - end] == right[-1 - end]:
        end += 1
    return start, end


def _products(text: str) -> frozenset[str]:
    """What ``text`` names (``body_names``) but acronyms in capitals."""
    acronyms = {m.group().casefold() for m in _WORD_RE.finditer(normalize(text)) if m.group().isupper()}
    return body_names(text) - acronyms


@text_cache(65536)
def _plain_words(text: str) -> tuple[str, ...]:
    """The words of a plain one-clause instruction of at most SWAP_MOST_WORDS words; none otherwise."""
    found = tuple(words(text)) if plain_clause(text) else ()
    return found if len(found) <= SWAP_MOST_WORDS else ()


@text_cache(65536)
def body_names(text: str) -> frozenset[str]:
    """What ``text`` names after its lead-in label (``capitalised``)."""
    return capitalised(_after_label(text))


def _after_label(text: str) -> str:
    """The normal form of ``text`` after its lead-in label, if it has one (``text.lead_label``)."""
    return normalize(label_body(text) if lead_label(text) is not None else text)


def capitalised(plain: str) -> frozenset[str]:
    """The words of ``plain`` (normalised text) capitalised inside a sentence, casefolded: the tools,
    products and standards it names ("Style components with Tailwind": ``tailwind``). A word that
    opens a sentence is not read unless a letter after its first is a capital too
    ("RESTful principles": ``restful``), nor is any word of a headline, a text with no lower-case
    word but stop words, where every word is capitalised ("Domain-Driven Design", "Least Privilege
    Access", "Core Web APIs"), but a word with a capital after a lower-case letter ("With
    TestContainers": ``testcontainers``), nor a word in capitals for emphasis (``_emphasis``:
    "NEVER", "EXPLICITLY")."""
    found = list(_WORD_RE.finditer(plain))
    if not any(_initial(m.group()).islower() and m.group().casefold() not in STOPWORDS for m in found):
        return frozenset(m.group().casefold() for m in found if _CAMEL_RE.search(m.group()))
    return frozenset(
        m.group().casefold()
        for m in found
        if _initial(m.group()).isupper()
        and not _emphasis(m.group())
        and (_inner_capital(m.group()) or not _opens_sentence(plain, m.start()))
    )


def _initial(word: str) -> str:
    """The first letter of a word (``_WORD_RE``), after the digits it may open with (of any
    script, as the pattern's)."""
    if not word[:1].isdecimal():
        return word[:1]
    return next((c for c in word if not c.isdecimal()), "")


_CAMEL_RE = re.compile(r"^\d*[A-Z].*[a-z][A-Z]")
"""A capitalised word with a capital after a lower-case letter ("TestContainers", "GraphQL"): a
name even in a headline, where every word is capitalised."""


def _inner_capital(word: str) -> bool:
    """Whether a letter of ``word`` after the first of its part is a capital: "SOLID", "RESTful",
    "GraphQL", but not "Entity-Relationship", whose parts are each a capitalised word."""
    return any(c.isupper() for part in word.split("-") for c in part[1:])


def _emphasis(word: str) -> bool:
    """Whether ``word`` is in capitals for emphasis rather than an acronym: a stop word or negator
    ("MUST", "NOT") or a word of more than ACRONYM_LETTERS letters ("EXPLICITLY", "IMPORTANT")."""
    if not word.isupper():
        return False
    folded = word.casefold()
    return folded in STOPWORDS or folded in NEGATORS or sum(c.isalpha() for c in word) > ACRONYM_LETTERS


ACRONYM_LETTERS = 5
"""Most letters of a word in capitals read as an acronym that names something (``OWASP``, ``HTTPS``);
a longer one is emphasis."""


_WORD_RE = re.compile(r"[^\W\d_](?:[\w.+#-]*[\w+#])?|(?<![\d.])\d+[^\W\d_](?:[\w.+#-]*[\w+#])?")
"""A word: the digits it may open with (``1Password``, ``5XXError``, ``2FA``; not those after a
decimal point: "3.3V" gives "V"), a letter of any script, then letters, digits and the marks of
names (``node.js``, ``c++``, ``c#``, ``gpt-4o``). A number alone is no word. The words that open
with a letter come first in the pattern: tried first at every place, they keep its search as
fast as it was without digits (an optional run of digits in front took it to twice the time)."""
_SENTENCE_OPENERS = frozenset(".!?:;\"'\u2014\u2013\u2192>-")
"""What a word after it (and any spaces) opens a sentence after: an end of sentence, a colon, a
quotation mark, a dash, an arrow."""


def _opens_sentence(plain: str, start: int) -> bool:
    """Whether the word at ``start`` of ``plain`` opens it or a sentence: what comes before it,
    spaces aside, is nothing or one of _SENTENCE_OPENERS. Only the spaces before the word are
    read (a pattern searched over all that comes before each word took time growing with the
    square of a text's length: 4 s for a paragraph of 8,000 lines)."""
    end = start
    while end and plain[end - 1].isspace():
        end -= 1
    return not end or plain[end - 1] in _SENTENCE_OPENERS


ONE_WORD_TERMS = 3
"""Fewest terms each item of a one-word pair has for the pair to be refused (``one_word``)."""


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
    """``text.item_role``: items of two distinct roles, or of a distinct role and guidance,
    merge only as near-verbatim copies."""
    repeatable: bool = True
    """Whether it may merge with a restatement in its own input (false in a template a file
    fills several times, and when only one file is being normalised)."""
    bare_label: bool = False
    """Whether it is only a label (``**Suggested Fix**:``) with nothing nested under it: what it
    introduces follows it (a code block, a table), so only the same label is the same item."""
    lead_in: bool = False
    """Whether it ends in a colon and holds nested items (``Follow these commit message rules:``
    over the rules): it is the title of what it holds."""
    step: bool = False
    """Whether it is a numbered step of a procedure (an ordered item whose section's title names
    a workflow)."""


@text_cache(65536)
def specifics(text: str) -> frozenset[str]:
    """What an instruction pins down that a rewording must keep: the values it states
    (``stated_values``: its numbers and periods) and what it refers to (``references``: its code
    spans and web addresses). "Post updates every 30 minutes" and "Update the status page every
    hour" state two intervals; neither carries the other's, nor "GitHub: https://github.com/a"
    the repository of "GitHub Repository: https://github.com/b"."""
    return stated_values(text) | references(text)


@text_cache(65536)
def stated_values(text: str) -> frozenset[str]:
    """The values an instruction states: its numbers (a number word from two to twelve read as its
    digits, and "one" after "at least", "exactly" and the like) and the periods it states ("every
    hour", "weekly", "30 minutes", each as its unit: ``PERIODS``)."""
    plain = normalize(text)
    found = set(_NUMBER_RE.findall(plain))
    folded = plain.casefold()
    found.update(str(NUMBER_WORDS[word]) for word in _NUMBER_WORD_RE.findall(folded))
    found.update("1" for _ in _ONE_COUNTED_RE.finditer(folded))
    found.update(PERIODS[word] for word in _PERIOD_RE.findall(folded))
    found.update(PERIODS[word] for word in _PERIOD_AFTER_RE.findall(folded))
    return frozenset(found)


@text_cache(65536)
def references(text: str) -> frozenset[str]:
    """What an instruction refers to by its exact spelling: its code spans and web addresses,
    casefolded."""
    found = {span.strip().casefold() for span in _SPAN_RE.findall(text) if span.strip()}
    found.update(address.rstrip(".,;:!?").casefold() for address in _URL_RE.findall(text))
    return frozenset(found)


NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
"""Number words read as numbers by ``specifics``; "one" is left out, as it is more often "a"
("one store", "one place") than a count."""

PERIOD_UNITS = ("minute", "hour", "day", "week", "month", "quarter", "year")
"""The units a period is read in; each counts only after a number or a word that makes it a
period (``_PERIOD_AFTER_RE``: "every hour", "30 minutes", "within a week"); "day-to-day" and
"minute details" state none."""

PERIOD_WORDS = {
    "hourly": "hour",
    "daily": "day",
    "nightly": "day",
    "weekly": "week",
    "biweekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
}
"""Words that state a period on their own, by unit."""

PERIODS = {**{f"{unit}{plural}": unit for unit in PERIOD_UNITS for plural in ("", "s")}, **PERIOD_WORDS}
"""Every word of a period, by the unit ``specifics`` reads it as."""

_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_SPAN_RE = re.compile(r"`+([^`]+)`+")
_URL_RE = re.compile(r"https?://[^\s()<>\[\]`]+")
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b")
_ONE_COUNTED_RE = re.compile(
    r"\b(?:at least|at most|exactly|only|up to|no more than|more than|fewer than|less than)\s+one\b"
)
""""One" as a count: after words that bound a number ("at least one approving review"); alone it
is as often "one of", "one by one" or "one place"."""
_PERIOD_RE = re.compile(r"\b(" + "|".join(PERIOD_WORDS) + r")\b")
_PERIOD_AFTER_RE = re.compile(
    r"(?:\d|\b(?:every|each|per|a|an|one|once|twice|within|" + "|".join(NUMBER_WORDS) + r"))[\s-]+"
    r"(?:(?:business|working|calendar)\s+)?(" + "|".join(f"{unit}s?" for unit in PERIOD_UNITS) + r")\b(?!-)"
)


@text_cache(65536)
def names(text: str) -> frozenset[str]:
    """The words of an instruction written as identifiers, casefolded: ``snake_case``,
    ``camelCase``, ``OpenAPI``, ``line_profiler``, and letters then a digit (``G1GC``, ``EC2``,
    ``OAuth2``, ``p95``): a convention, tool, version or symbol named, for which no other word
    stands. Two wordings that each name something the other does not ("Use snake_case for JSON
    fields", "Use camelCase for JSON fields"; "G1GC or ZGC" and "G1, ZGC or Parallel GC") say
    different things, however alike. So are dotted names, files and extensions: ``package.json``,
    ``.tsx``, ``console.log``, ``Next.js`` ("Adjust the extensions, .ts or .js" and "Read
    tsconfig.json" name different files)."""
    plain = normalize(text)
    found = _IDENTIFIER_RE.findall(plain)
    if "." in plain:
        found.extend(filter(None, map(_dotted_name, _DOTTED_TOKEN_RE.findall(plain))))
    return frozenset(name.casefold() for name in found)


_IDENTIFIER_RE = re.compile(r"\b(?:[A-Za-z]\w*[a-z][A-Z]\w*|_*[A-Za-z]\w*_\w*[A-Za-z0-9]|[A-Za-z]+\d\w*)\b")
_DOTTED_TOKEN_RE = re.compile(r"[\w.-]+")
_DOTTED_HEAD_RE = re.compile(r"[A-Za-z0-9](?:[\w-]*[A-Za-z0-9])?")
_DOTTED_PART_RE = re.compile(r"[a-z][A-Za-z0-9]*")


def _dotted_name(token: str) -> str | None:
    """The dotted name ``token`` (a run of word characters, hyphens and dots) is, without the
    hyphens before it and the dots after it: a file (``package.json``), an extension (``.tsx``), an
    attribute (``console.log``) or a product (``Node.js``), each part after a dot opening in lower
    case; None for any other token. "e.g." is none, as a name before its first dot has two
    characters or more, nor is "sentence.Then". Read part by part: no pattern that could backtrack
    over a long token."""
    name = token.lstrip("-").rstrip(".")
    head, *parts = name.split(".")
    if not parts or (head and (len(head) < 2 or not _DOTTED_HEAD_RE.fullmatch(head))):
        return None
    return name if all(_DOTTED_PART_RE.fullmatch(part) for part in parts) else None


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
        weight = _weight(set(terms(text)))
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
    return a.kind in _VERBATIM_KINDS or is_diagram(a.text) or is_sample(a.text)


ITEM_RULES: tuple[Rule, ...] = (
    Rule(
        "threshold",
        "below the threshold the words do not show one instruction",
        lambda a, b, score, t: score < t[0],
    ),
    # Asked second: it reads no words, and a file of one line written many times in a template
    # meets it for every pair of copies.
    Rule(
        "restatement",
        "two wordings in one input are one instruction only when the score is sure of it, and never in a"
        " template the file fills several times",
        lambda a, b, score, t: bool(a.sources & b.sources) and (score < t[1] or not (a.repeatable and b.repeatable)),
    ),
    Rule(
        "copies only",
        "code, tables, quotes, sample requests in quotation marks, HTML and diagrams merge only as exact"
        " copies (bagged before scoring)",
        lambda a, b, score, t: _verbatim(a) or _verbatim(b),
    ),
    Rule(
        "bare label",
        "a label with its content after it (a code block, a table) is that content's title: only the same"
        " label is the same item",
        lambda a, b, score, t: (a.bare_label or b.bare_label) and set(terms(a.text)) != set(terms(b.text)),
    ),
    Rule(
        "lead-in",
        "an item that ends in a colon over nested items is the title of what it holds: it is the same"
        " item only as another such lead-in with a word of its title in common, or as a near-verbatim"
        ' copy ("**Quality:**" and "**Speed:**" over one practice are two titles)',
        lambda a, b, score, t: (
            (a.lead_in != b.lead_in or (a.lead_in and set(terms(a.text)).isdisjoint(terms(b.text))))
            and not near_verbatim(a.text, b.text)
        ),
    ),
    Rule(
        "one word",
        "two items that each say three things or more and share one word, which neither has for its"
        ' label, are two instructions ("Write a failing test", "Gather logs from the failing service");'
        " not two inputs' identities, which are one slot (scored 1)",
        lambda a, b, score, t: score < 1.0 and one_word(a.text, b.text),
    ),
    Rule(
        "little shared",
        "two plain one-clause instructions that share less than half the weight of the words of each"
        ' ("Estimates storage growth for every new event stream", "Estimates support load for all'
        " partner integrations\") are two instructions; not two inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and little_shared(a.text, b.text),
    ),
    Rule(
        "another name",
        "one wording with another name put in ('Examine the current Django structure', 'Examine the"
        " current FastAPI structure') is a template filled twice: two instructions",
        lambda a, b, score, t: score < 1.0 and another_name(a.text, b.text),
    ),
    Rule(
        "different tools",
        "two plain one-clause instructions, or bodies under one lead-in label, that each name a tool or"
        ' standard the other does not ("Use CSS modules for component styles", "Style components with'
        ' Tailwind utility classes"), or labels that name two agents ("**With redis-expert**", "**With'
        " mongodb-expert**\") are two instructions; not two inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and different_tools(a.text, b.text),
    ),
    Rule(
        "different subjects",
        'one aspect of two subjects ("Code Quality", "Test Quality"), or of everything and of one subject'
        ' ("Maintainability", "Test Maintainability"), is two instructions',
        lambda a, b, score, t: different_subjects(a.text, b.text),
    ),
    Rule(
        "question",
        'a question is a check put to the reader ("**Clarity:** Can a newcomer follow the flow?"),'
        ' not the practice a statement asks for ("Favour plain, readable code"); not two'
        " inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and is_question(a.text) != is_question(b.text),
    ),
    Rule(
        "polarity",
        '"always X" and "never X" are opposites, never one instruction, also past how they open'
        ' ("When deploying, always run X" and "When deploying, never run X": text.negation_put)',
        lambda a, b, score, t: negated(a.text) != negated(b.text) or negation_put(a.text, b.text) is not None,
    ),
    Rule(
        "opposite sense",
        '"Prefer composition over inheritance" and "Prefer inheritance over composition", "Run the linter'
        ' before committing" and "... after committing": the same words in opposite senses (text.opposite_sense)',
        lambda a, b, score, t: opposite_sense(a.text, b.text),
    ),
    Rule(
        "choice made",
        '"Use pytest for tests" makes the choice "Use pytest, unittest or nose for tests" leaves open'
        " (text.choice_made): folded, the merged agent would allow what one input ruled out; not two"
        " inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and choice_made(a.text, b.text),
    ),
    Rule(
        "other choice",
        '"Use tabs for indentation" and "Use spaces for indentation": each picks an alternative of one'
        " choice (lexicon.CHOICE_GROUPS) the other does not name, so two instructions; not two inputs'"
        " identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and other_choice(a.text, b.text) is not None,
    ),
    Rule(
        "another word",
        "one short plain instruction with a word or two put in for others in one place ('Document every"
        " public API', 'Test every public API') is a template filled twice: two instructions; not two"
        " inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and another_word(a.text, b.text),
    ),
    Rule(
        "one frame",
        'two wordings in one frame ("When reviewing database migrations, check for table locks" / "...,'
        ' check for a rollback script") that say in it things sharing less than half the weight of the words of'
        " each are two instructions; not two inputs' identities (scored 1)",
        lambda a, b, score, t: score < 1.0 and one_frame(a.text, b.text),
    ),
    Rule(
        "words changed",
        "one wording with a word or two put in for others in one place, or two runs of words swapped ('Copy the"
        " fixtures into the folder', 'Copy the fixtures out of the folder'; 'Merge main into the branch', 'Merge"
        " the branch into main') says another thing, in the words that changed; not two inputs' identities"
        " (scored 1)",
        lambda a, b, score, t: score < 1.0 and word_changed(a.text, b.text),
    ),
    Rule(
        "walled roles",
        "a checklist entry, a delegation trigger, an example, a hand-off or a pitfall is not the guidance it"
        " mirrors (lexicon.WALLED_ROLES); only a near-verbatim copy crosses, or two prohibitions (text.roles_agree),"
        ' and never into or out of a pitfall: "Use default exports" under "Don\'t" forbids what the same words'
        ' under "Do" ask for',
        lambda a, b, score, t: (
            not roles_agree(a.role, a.text, b.role, b.text)
            and (a.role in WALLED_ROLES or b.role in WALLED_ROLES)
            and (PITFALLS_ROLE in (a.role, b.role) or not near_verbatim(a.text, b.text))
        ),
    ),
    Rule(
        "identity",
        'an identity statement ("You are an expert debugger ...") says who the agent is: it is the same'
        " item only as another one, never a list of skills or a practice",
        lambda a, b, score, t: is_identity(a.text) != is_identity(b.text) and not near_verbatim(a.text, b.text),
    ),
    Rule(
        "step",
        "a numbered step is a step of its procedure: it is the same item only as another step",
        lambda a, b, score, t: a.step != b.step and not near_verbatim(a.text, b.text),
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
    apart: frozenset[tuple[int, int]] = frozenset(),
    one_slot: frozenset[int] = frozenset(),
    parents: Sequence[int] = (),
    rescore: Callable[[int, int], float | None] | None = None,
    subject: Container[str] | None = None,
) -> list[ItemCluster]:
    """Cluster ``candidates`` on their pair ``scores`` (probabilities, keyed (i, j) with i < j).

    ``scores`` holds the candidate pairs, the only ones ranked to join clusters. Where a pair
    outside them is read (two clusters' every pair weighed, a wording measured against the kept
    one) ``rescore`` scores it, once (None: the caller keeps the two apart, as ``apart`` would);
    without it such a pair scores 0. Such a pair meets the same rules as the ranked ones (ITEM_RULES,
    the parents' scopes) and, refused, keeps the clusters apart. Candidate pairs are
    blocked on shared rare words, so two wordings of one instruction can meet only through a
    third item: a short wording may match two longer ones that each spell it out in words of
    their own, and the two longer ones, which share no rare word, still score well together.

    ``apart`` holds pairs (i < j) that never share a cluster: an item and one nested in it (the
    nested one details it; folding one into the other would lose the detail or the summary).
    ``parents`` gives the candidate each one is nested in (-1 for none): two nested in parents
    that say different things (SCOPING_RULES) never share a cluster either, since each parent
    scopes what its items say ("Run the linter on changed files" under "**Frontend changes**:"
    and under "**Backend changes**:" are two instructions). Parents merely worded apart do not
    keep their items apart: "Profile hot paths before optimizing" says the same under
    "**Quality:**" and under "**Speed:**".
    ``one_slot`` holds candidates that are one slot whatever their words (each input's "You are
    ..." identity): one folds into another without every sentence being there (``carries``).
    ``subject`` holds the names a fold may leave out (``Subject``; by default those of the
    candidates' texts).

    Pairs are taken best first (ties by index). Two clusters join when the pair passes
    ITEM_RULES, no pair across them is refused by a rule other than the threshold (or is in
    ``apart``: "Examine the Django structure" and "Examine the FastAPI structure" never meet
    through "Examine the project structure"), the clusters hold no input in common (except through
    a restatement pair), and the average score over all their cross pairs clears ``threshold``
    (average linkage: a chain of look-alikes does not become one cluster). Then each cluster keeps
    one wording (the one most members can fold into, most surely; ``choose_wording`` and
    ``lines`` break ties) and folds into it only members that score at least ``floor`` against
    that wording and whose content it carries (``carries``); the others form clusters of their
    own, in the same way. Every candidate ends in exactly one cluster; clusters come in order of
    their first member.
    """
    thresholds = (threshold, same_input_threshold)
    common = Subject(texts_by_input(candidates)) if subject is None else subject
    ranked = []
    refused = set(apart)
    ranks = scores.items()
    scopes = _Scopes(parents, candidates, thresholds)
    if rescore is not None:

        def refuses(i: int, j: int, score: float, rescored: Mapping[tuple[int, int], float]) -> bool:
            vetoed = _item_vetoes(candidates[i], candidates[j], score, thresholds) not in (None, "threshold")
            return vetoed or scopes.apart(i, j, rescored)

        scores = _Rescored(scores, rescore, refuses, refused)
    for (i, j), score in ranks:
        if (i, j) in apart:
            continue
        rule = _item_vetoes(candidates[i], candidates[j], score, thresholds)
        if rule is None:
            ranked.append((-score, i, j))
        elif rule != "threshold":
            refused.add((i, j))
    ranked = _keep_scopes(ranked, refused, scopes, scores)
    ranked.sort()
    joined = _Joined([set(c.sources) for c in candidates])
    for _, i, j in ranked:
        root_i, root_j = joined.find(i), joined.find(j)
        if root_i == root_j:
            continue
        repeat = bool(candidates[i].sources & candidates[j].sources)
        if not repeat and joined.sources[root_i] & joined.sources[root_j]:
            continue
        left, right = joined.members[root_i], joined.members[root_j]
        if len(left) * len(right) > 1 and not _linked(left, right, scores, refused, threshold):
            continue
        joined.join(root_i, root_j)
    out: list[ItemCluster] = []
    for group in joined.members:
        if group:
            floors = (floor, max(floor, same_input_threshold))
            out.extend(_settle_wording(sorted(group), candidates, scores, floors, lines, preferred, one_slot, common))
    out.sort(key=lambda c: c.members[0])
    return out


def texts_by_input(candidates: Sequence[Candidate]) -> list[list[str]]:
    """Each input's candidate texts, inputs in order (for ``Subject``)."""
    found: dict[int, list[str]] = {}
    for candidate in candidates:
        for source in candidate.sources:
            found.setdefault(source, []).append(candidate.text)
    return [found[source] for source in sorted(found)]


def _linked(
    left: list[int],
    right: list[int],
    scores: Mapping[tuple[int, int], float],
    refused: set[tuple[int, int]],
    threshold: float,
) -> bool:
    """Whether two clusters may join: no pair across them refused, and their average score over
    every such pair at least ``threshold`` (average linkage). A pair read here for the first time
    (``_Rescored``) may join ``refused`` as it is scored, so that is asked again after."""
    cross = [(x, y) if x < y else (y, x) for x in left for y in right]
    if refused and any(pair in refused for pair in cross):
        return False
    total = math.fsum(scores.get(pair, 0.0) for pair in cross)
    return total / (len(left) * len(right)) >= threshold and not any(pair in refused for pair in cross)


class _Rescored(Mapping[tuple[int, int], float]):
    """``scores``, and any other pair scored by ``rescore`` when first asked for; such a pair the
    caller keeps apart (``rescore`` gives None, scored 0) or that ``refuses`` joins ``refused``
    (``cluster_items``). ``refuses`` is handed this mapping rather than holding it: a function
    that held the mapping holding it would be a reference cycle, and every score of the
    consolidation would stay until a full collection."""

    def __init__(
        self,
        scores: Mapping[tuple[int, int], float],
        rescore: Callable[[int, int], float | None],
        refuses: Callable[[int, int, float, Mapping[tuple[int, int], float]], bool],
        refused: set[tuple[int, int]],
    ) -> None:
        self._scores = scores
        self._rescore = rescore
        self._refuses = refuses
        self._refused = refused
        self._more: dict[tuple[int, int], float] = {}

    def __getitem__(self, pair: tuple[int, int]) -> float:
        found = self._scores.get(pair)
        if found is None:
            found = self._more.get(pair)
            if found is None:
                scored = self._rescore(*pair)
                found = self._more[pair] = 0.0 if scored is None else scored
                if scored is None or self._refuses(pair[0], pair[1], found, self):
                    self._refused.add(pair)
        return found

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._scores)

    def __len__(self) -> int:
        return len(self._scores)


SCOPING_RULES = frozenset(
    {
        "another name",
        "another word",
        "words changed",
        "one frame",
        "different tools",
        "different subjects",
        "polarity",
        "opposite sense",
        "other choice",
        "walled roles",
    }
)
"""The ITEM_RULES that find two items saying different things, rather than two wordings too far
apart to tell: two parents they keep apart scope their nested items apart (``cluster_items``)."""

_SCOPING = tuple(rule for rule in ITEM_RULES if rule.name in SCOPING_RULES)


def says_otherwise(a: Candidate, b: Candidate, score: float, thresholds: tuple[float, float]) -> bool:
    """Whether a SCOPING_RULES rule finds ``a`` and ``b`` saying different things."""
    return any(rule.vetoes(a, b, score, thresholds) for rule in _SCOPING)


CONTRADICTION_SCORE = 0.5
"""Least pair score at which two instructions of opposite polarity or sense contradict each other."""

_ANY_CHANGE = frozenset({"words changed", "one frame"})
"""The ITEM_RULES that keep apart two wordings saying different things whatever the difference
is: a contradiction meets them too (``contradiction`` reads the others)."""

_CHOICE_VETOES = frozenset({"other choice", "another word", "threshold", "restatement"})
"""The rules a contradiction between two choices may meet besides ``other choice``."""


def contradiction(a: Candidate, b: Candidate, score: float, thresholds: tuple[float, float]) -> str | None:
    """The way ``a`` and ``b`` contradict each other (``text.opposed``: ``polarity``, ``opposite
    sense`` or ``other choice``), or None. For the first two the rule of that name alone of
    ITEM_RULES keeps them apart, at CONTRADICTION_SCORE or more; for the third the other-choice
    rule does, with no rule besides _CHOICE_VETOES, whatever the score (the words show it, and
    two such lines score low as restatements). Neither holds in a part of a file whose items are
    negative or conditional by their section (pitfalls, checks, triggers, examples, hand-offs),
    where the words are not the instruction; nor for a bare label ("**Data Fetching**:", which
    asks nothing: ``text.opposed``).

    ``check`` reports such a pair in one file (AM204); ``consolidate`` keeps both and reports the
    pairs of two inputs (``Consolidation.contradictions``).
    """
    if a.role in WALLED_ROLES or b.role in WALLED_ROLES:
        return None
    # Below the score only two choices can contradict: most pairs are told at once.
    if score < CONTRADICTION_SCORE and contrary_choice(a.text, b.text) is None:
        return None
    way = opposed(a.text, b.text)
    if way is None or (way != "other choice" and score < CONTRADICTION_SCORE):
        return None
    # Two rules keep apart two wordings a word apart, or saying two things in one frame, whatever
    # the words: opposites too.
    vetoes = [rule.name for rule in ITEM_RULES if rule.name not in _ANY_CHANGE and rule.vetoes(a, b, score, thresholds)]
    if way == "other choice":
        return way if "other choice" in vetoes and set(vetoes) <= _CHOICE_VETOES else None
    return way if vetoes == [way] else None


class _Scopes:
    """Whether two candidates are nested in parents that a SCOPING_RULES rule keeps apart, each
    pair of parents asked once (``cluster_items``)."""

    def __init__(
        self, parents: Sequence[int], candidates: Sequence[Candidate], thresholds: tuple[float, float]
    ) -> None:
        self._parents = parents
        self._candidates = candidates
        self._thresholds = thresholds
        self._asked: dict[tuple[int, int], bool] = {}

    def apart(self, i: int, j: int, scores: Mapping[tuple[int, int], float]) -> bool:
        if not self._parents:
            return False
        first, second = self._parents[i], self._parents[j]
        if first < 0 or second < 0 or first == second:
            return False
        if self._candidates[i].sources & self._candidates[j].sources:
            # One file writes the line under two of its items: a field of each record ("Status:
            # Blocked" under two stories), which folded into one would leave the other without it.
            return True
        pair = (first, second) if first < second else (second, first)
        found = self._asked.get(pair)
        if found is None:
            a, b = self._candidates[pair[0]], self._candidates[pair[1]]
            found = self._asked[pair] = says_otherwise(a, b, scores.get(pair, 0.0), self._thresholds)
        return found


def _keep_scopes(
    ranked: list[tuple[float, int, int]],
    refused: set[tuple[int, int]],
    scopes: _Scopes,
    scores: Mapping[tuple[int, int], float],
) -> list[tuple[float, int, int]]:
    """``ranked`` without the pairs nested in two parents that a SCOPING_RULES rule keeps apart,
    which join ``refused``."""
    kept = []
    for entry in ranked:
        if scopes.apart(entry[1], entry[2], scores):
            refused.add((entry[1], entry[2]))
        else:
            kept.append(entry)
    return kept


def _settle_wording(
    group: list[int],
    candidates: Sequence[Candidate],
    scores: Mapping[tuple[int, int], float],
    floors: tuple[float, float],
    lines: Sequence[int],
    preferred: int,
    one_slot: frozenset[int] = frozenset(),
    subject: Container[str] = frozenset(),
) -> list[ItemCluster]:
    """Split ``group`` so that every member folded into the kept wording scores ``floors[0]``
    against it (``floors[1]`` for a wording of the same input) and carries nothing specific the
    wording lacks (the lossless rule).

    The wording kept is the one most members can fold into, so a cluster whose members each match
    one plain wording is not split because another wording was preferred; between wordings that
    fold as many, in an identity slot (``one_slot``) one that addresses the agent ("You are ..."),
    then the one that leaves the least of their words out (``_left_behind``: "Caching
    strategies (Redis, Memcached)" over "Caching strategies"), then the one they score highest
    against (the surest merge), then ``choose_wording`` (which alone decides when an input is
    ``preferred``). A bare label so chosen gives way to the member it labels (``_labelled_for``)."""
    if len(group) == 1:
        return [ItemCluster((group[0],), group[0], (1.0,))]
    out: list[ItemCluster] = []
    while group:
        folds = {i: _fold(group, i, candidates, scores, floors, one_slot, subject) for i in group}
        if preferred >= 0 and preferred in {min(candidates[i].sources) for i in group}:
            tied = group
        else:
            # Most members folded, then an identity in the words an agent is addressed in, then the
            # least left behind, then the surest.
            rank = {
                i: (
                    len(f.members),
                    i in one_slot and _ADDRESSED_RE.match(candidates[i].text) is not None,
                    -_left_behind(i, f.members, candidates),
                    f.sureness,
                )
                for i, f in folds.items()
            }
            best = max(rank.values())
            tied = [i for i in group if rank[i] == best]
        choice = choose_wording(
            [candidates[i].text for i in tied],
            [min(candidates[i].sources) for i in tied],
            [lines[i] for i in tied],
            preferred,
        )
        kept = tied[choice]
        if preferred < 0:
            kept = _labelled_for(kept, folds, candidates)
        fold = folds[kept]
        members = sorted(fold.members)
        confidence = tuple(1.0 if i == kept else fold.scores[i] for i in members)
        out.append(ItemCluster(tuple(members), kept, confidence))
        group = fold.rest
    return out


def _labelled_for(kept: int, folds: dict[int, _Fold], candidates: Sequence[Candidate]) -> int:
    """The member of ``kept``'s fold whose lead-in label is all ``kept`` says ("Rate limiting" and
    "**Rate limiting**: token bucket, sliding window"), when ``kept`` folds into it (of several,
    the one with the most terms, the first of equals); else ``kept``.
    The labelled wording says the same and what it spells out: kept, it loses nothing, though the
    members that matched only the bare label then stand apart."""
    have = frozenset(terms(candidates[kept].text))
    if not have:
        return kept
    labelled = [
        i
        for i in sorted(folds[kept].members)
        if i != kept and kept in folds[i].members and _label_terms(candidates[i].text) == have
    ]
    return max(labelled, key=lambda i: len(set(terms(candidates[i].text))), default=kept)


def _label_terms(text: str) -> frozenset[str]:
    """The terms of ``text``'s lead-in label; none when it has no label."""
    label = lead_label(text)
    return frozenset(terms(label)) if label is not None else frozenset()


def _left_behind(kept: int, members: list[int], candidates: Sequence[Candidate]) -> float:
    """The term weight (corpus rarity) of the words of each of ``members`` that ``kept``'s wording
    lacks, summed over the members and rounded: what folding them into it leaves out of the merged
    agent (a word that two members use and the wording lacks counts twice)."""
    have = frozenset(terms(candidates[kept].text))
    gone = [term_weight(t) for i in members for t in set(terms(candidates[i].text)) - have]
    return round(math.fsum(sorted(gone)), 3)


class _Fold(NamedTuple):
    """What folds into one wording of a cluster: its members (the wording first), their scores
    against it (rounded as reported), how surely (the rounded sum of the scores) and the rest."""

    members: list[int]
    scores: dict[int, float]
    sureness: float
    rest: list[int]


def _fold(
    group: list[int],
    kept: int,
    candidates: Sequence[Candidate],
    scores: Mapping[tuple[int, int], float],
    floors: tuple[float, float],
    one_slot: frozenset[int] = frozenset(),
    subject: Container[str] = frozenset(),
) -> _Fold:
    """The members of ``group`` that fold into ``kept``'s wording, and the rest: those scoring the
    floor against it whose content it carries (``carries``, ``subject`` aside; of one slot, every
    sentence need not be there)."""
    members, rest = [kept], []
    found: dict[int, float] = {}
    for i in group:
        if i == kept:
            continue
        score = scores.get((i, kept) if i < kept else (kept, i), 0.0)
        least = floors[1] if candidates[i].sources & candidates[kept].sources else floors[0]
        whole = not (i in one_slot and kept in one_slot)
        if score >= least and carries(candidates[kept].text, candidates[i].text, every_sentence=whole, subject=subject):
            members.append(i)
            found[i] = score
        else:
            rest.append(i)
    sureness = round(math.fsum(found.values()), 6)
    return _Fold(members, {i: round(score, 3) for i, score in found.items()}, sureness, rest)


def carries(
    kept: str,
    text: str,
    *,
    every_sentence: bool = True,
    subject: Container[str] = frozenset(),
    values: bool = True,
    identifiers: bool = True,
) -> bool:
    """The lossless rule's test of content: whether the wording ``kept`` carries all that ``text``
    pins down (its numbers, periods, code spans and web addresses, ``specifics``; its code spans
    and web addresses alone when ``values`` is false, ``references``: ``merge`` reads one rule
    with two values as one rule in two minds, "Keep functions under 20 lines" and "... under 25
    lines"), names nothing in place of what
    ``text`` names (``names``) and, unless ``every_sentence`` is false (one slot, such as each
    input's identity), names every identifier ``text`` names but the ``subject``'s
    (``_identifiers_more``; not asked when ``identifiers`` is false: ``one_rule`` reads a wording
    that adds one as the same rule, which ``merge``'s conflict then shows whole), mentions every
    name ``text`` lists (``enumerated_names``) and every tool or
    product it names (``proper_names``, but the ``subject`` the inputs share), has every term of it
    the corpus hardly uses (``_rare_more``; of a text mostly of such words, adds none of them:
    ``_unread_more``), a term of each of its conditions (``conditions``) and
    of each of its prohibitions (``_prohibitions_more``), something of each of its sentences
    (``sentences_kept``), says it holds without bound when ``text`` does or else nothing more
    (``_narrows``), under labels, says nothing wholly apart (``_body_apart``) and names no other
    kind of the thing its label names (``_two_kinds``), and is not about another thing than
    ``text`` is, each repeating a term the other never uses (``_two_subjects``): only then may
    ``text`` fold into it."""
    pinned = specifics if values else references
    if not pinned(text) <= pinned(kept):
        return False
    left, right = names(text), names(kept)
    if left - right and right - left:
        return False
    if not every_sentence:
        return not _commands_more(text, kept)
    return (
        not _body_apart(text, kept)
        and not (identifiers and _identifiers_more(left - right, subject))
        and not _two_kinds(text, kept)
        and not _two_subjects(text, kept)
        and not _lists_more(text, kept)
        and not _names_more(text, kept, subject)
        and not _rare_more(text, kept, subject)
        and not _unread_more(text, kept, subject)
        and not _conditions_more(text, kept)
        and not _prohibitions_more(text, kept)
        and not _picks_one(text, kept)
        and not _narrows(text, kept)
        and not _binds_more(text, kept)
        and sentences_kept(kept, text)
    )


def one_rule(a: str, b: str, subject: AbstractSet[str] = frozenset()) -> bool:
    """Whether two wordings that read as one instruction (the pair score) are one rule, as
    ``merge`` asks of two items its sides added at one place (one rule in two minds: a conflict),
    or two rules, both kept: two of one template, each naming a thing of its own
    ("**Monitoring**: Export service metrics to Prometheus", "**Monitoring**: Ship request
    traces to Jaeger"), or two with no word in common but the names they mention and the terms
    of ``subject`` (what every rule of the file is about: ``merge`` gives its name's terms), two
    things said of one product ("Alerting rules for Grafana", "Grafana dashboards and panels";
    in a file named html-expert, "Build forms in HTML" and "Link HTML documents"). One rule when
    one wording carries the other, as ``consolidate`` folds one into another (``carries``), the
    values they state aside ("Keep functions under 20 lines" and "... under 25 lines"), or when
    the two say the same but for what they pin down and name ("Deploy previews with Netlify"
    and "... with Vercel"). Never one rule when the two say things apart in one frame
    (``one_frame``), as ``consolidate`` keeps them. One wording with words changed
    (``word_changed``) is one rule here: "Block merges on failing CI" and "Allow merges on failing
    CI for hotfixes" are one rule in two minds, and a conflict asks which."""
    if one_frame(a, b):
        return False
    named_a, named_b = _named_terms(a), _named_terms(b)
    terms_a, terms_b = frozenset(terms(a)), frozenset(terms(b))
    if not (terms_a & terms_b) - named_a - named_b - subject:
        return False
    if carries(a, b, values=False, identifiers=False) or carries(b, a, values=False, identifiers=False):
        return True
    frame = terms_a - named_a
    return bool(frame) and frame == terms_b - named_b


def _named_terms(text: str) -> frozenset[str]:
    """The terms of what ``text`` pins down (``specifics``) and names (``names``,
    ``proper_names``): the rest of its terms say what it asks of them."""
    named = specifics(text) | names(text) | proper_names(text)
    return frozenset(term for name in named for term in terms(name))


def _binds_more(text: str, kept: str) -> bool:
    """Whether ``text`` is more binding than ``kept`` says it is ("You must add a test" against
    "You should add a test", ``text.obligation_level``): folded, the merged agent would ask less
    than one input did. Into an imperative ("Add a test") it may fold."""
    ours, theirs = obligation_level(text), obligation_level(kept)
    return ours is not None and theirs is not None and ours < theirs


def _narrows(text: str, kept: str) -> bool:
    """Whether ``text`` says it holds without bound (WHOLE_SCOPE_WORDS) and ``kept`` does not,
    while saying something ``text`` does not: "Use type hints everywhere" folded into "Use type
    hints on public functions" would hold for public functions alone. Into "Use type hints" it
    may fold: that wording bounds nothing. The words are read as written, not as terms: a term
    stands for more words than one ("universally" and "university" are one stem)."""
    if not _whole_scope(text) or _whole_scope(kept):
        return False
    return not frozenset(terms(kept)) <= frozenset(terms(text))


def _whole_scope(text: str) -> bool:
    """Whether ``text`` has a word of WHOLE_SCOPE_WORDS."""
    return any(word.casefold() in WHOLE_SCOPE_WORDS for word in _WORD_RE.findall(text))


_CONDITION_RE = re.compile(rf"\b(?:{_CONDITIONS})\b([^.,;:!?()\n]*)", re.IGNORECASE)
_EMPTY_CONDITION_TERMS = frozenset(term for word in EMPTY_CONDITIONS for term in terms(word))


def _body_apart(text: str, kept: str) -> bool:
    """Whether ``text`` and ``kept`` each say what they say after a lead-in label and the bodies
    share no term: two things said under one heading word ("**Load Balancers**: HAProxy, NGINX"
    and "**Load Balancing**: health checks, sticky sessions"), where the kept body would stand for
    a body it has no word of."""
    if lead_label(text) is None or lead_label(kept) is None:
        return False
    if not (_names_body(text) or _names_body(kept)):
        return False
    body = frozenset(terms(label_body(text)))
    return len(body) >= 2 and body.isdisjoint(terms(label_body(kept)))


def _two_kinds(text: str, kept: str) -> bool:
    """Whether the bold lead-in labels of ``text`` and ``kept`` (``text.bold_label``) name two kinds
    of one thing: they end in the same term and each has a term the other text never uses
    ("**Explicit error handling**" and "**Network error handling**", "**Data retention
    strategy**" and "**Data backup strategy**", "**Analyze service documentation**" and
    "**Analyze module documentation**"). However alike the rest, each says something of its own
    kind the other does not: folded, one would be gone. A label that adds a word to the other's
    ("**Strict input validation**" and "**Input validation**") names no other kind, labels that
    end apart ("**Caching approach**" and "**Caching strategy**") as often say one thing as two,
    and a plain ``Label: rest`` is as often a sentence ("List findings by severity: ..." and
    "Group findings by severity: ...")."""
    label, other = bold_label(text), bold_label(kept)
    if label is None or other is None:
        return False
    ours, theirs = terms(label), terms(other)
    if len(ours) < 2 or len(theirs) < 2 or ours[-1] != theirs[-1]:
        return False
    return not frozenset(ours) <= frozenset(terms(kept)) and not frozenset(theirs) <= frozenset(terms(text))


def _two_subjects(text: str, kept: str) -> bool:
    """Whether each of ``text`` and ``kept`` says a term twice or more that the other never uses:
    what a text repeats is what it is about ("Search the documentation for the latest performance
    guidance and base every performance recommendation on it", and the same of security; an
    expert database administrator's and an expert database architect's account of themselves).
    Two wordings about two things, however alike their frame: folded, one would be gone. A term
    both repeat, or one repeats and the other says once, keeps nothing apart."""
    ours, theirs = terms(text), terms(kept)
    return _repeats_apart(ours, theirs) and _repeats_apart(theirs, ours)


def _repeats_apart(ours: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Whether ``ours`` holds a term twice or more that ``theirs`` does not hold."""
    seen: set[str] = set()
    have = frozenset(theirs)
    for term in ours:
        if term in seen and term not in have:
            return True
        seen.add(term)
    return False


_PART_RE = re.compile(rf"{CLAUSE_BREAKS}|,(?:\s|$)")
"""Where a clause ends (``text.CLAUSE_BREAKS``), or a comma: "No hard-coded ports, no reliance
on shared fixtures" forbids two things."""


def _prohibitions_more(text: str, kept: str) -> bool:
    """Whether a clause of ``text`` forbids something (``text.negated``: "No sleep-based waits",
    "never log tokens") of which ``kept`` has no term: folded into it, the prohibition would be
    gone ("**Deterministic:** isolated tests. No sleep-based waits" into "Write deterministic,
    isolated tests")."""
    have = frozenset(terms(kept))
    for part in _PART_RE.split(_after_label(text)):
        if part.strip() and negated(part):
            found = frozenset(terms(part))
            if found and found.isdisjoint(have):
                return True
    return False


_COMMAND_RE = re.compile(r"\W*(?:always|you must|you should|must|make sure|ensure|only)\b", re.IGNORECASE)
"""How a sentence opens that commands rather than describes ("Always run the tests first")."""

COMMAND_KEPT = 0.5
"""Least share of a command's term weight the kept wording must hold for a text of one slot (each
input's "You are ..." identity, folded whatever else it says) to fold into it."""


def _commands_more(text: str, kept: str) -> bool:
    """Whether a sentence of ``text`` commands (forbids, ``text.negated``, or opens "Always",
    "Must", "Only", ...: ``_COMMAND_RE``) and ``kept`` holds less than COMMAND_KEPT of its term
    weight: "You are a Rust expert. Never approve unsafe code without a SAFETY comment." folded
    into another input's "You are a Rust expert who builds async services" as one slot would
    lose the prohibition. The slot's description of who the agent is may go; a command may not."""
    have = frozenset(terms(kept))
    for line in instruction_lines(text):
        for part in sentences_of(normalize(line)):
            if not (negated(part) or _COMMAND_RE.match(part)):
                continue
            found = frozenset(terms(part))
            total = _weight(found)
            if total and _weight(found & have) < COMMAND_KEPT * total:
                return True
    return False


def condition_clauses(text: str) -> list[frozenset[str]]:
    """The terms of each condition of ``text``: a CONDITION_WORDS word to the end of its clause."""
    return [frozenset(terms(m.group(1))) for m in _CONDITION_RE.finditer(normalize(text))]


@text_cache(8192)
def conditions(text: str) -> tuple[frozenset[str], ...]:
    """The terms of each condition of ``text`` (``condition_clauses``), those that name no
    circumstance aside (EMPTY_CONDITIONS); a condition with no other term is left out ("when
    possible")."""
    found = (condition - _EMPTY_CONDITION_TERMS for condition in condition_clauses(text))
    return tuple(condition for condition in found if condition)


def _conditions_more(text: str, kept: str) -> bool:
    """Whether a condition of ``text`` (``conditions``) has no term in ``kept``: "Write raw SQL only
    when the ORM is too slow" folded into "Use the ORM for queries" would lose when raw SQL may be
    used."""
    found = conditions(text)
    if not found:
        return False
    have = frozenset(terms(kept))
    return any(condition.isdisjoint(have) for condition in found)


ENUMERATION_LEAST = 3
"""Fewest names in a row that ``enumerated_names`` reads as a list of names. Two cost every
labelled group but security recall (item F1 mean 0.682 to 0.663: the labels call many pairs one
instruction where one wording names two things and the other one of them); four gives the same
labelled figures as three and 34 more folds across the corpus by role, three-name lists folded
into wordings that lack a name."""

_CLAUSE_END_RE = re.compile(r"[.:;!?](?:\s|$)")
_LIST_SEPARATOR_RE = re.compile(r"\s*(?:[,;/()]|\band\b|\bor\b)\s*")
_NOT_NAME_RE = re.compile(r"(?:[^\w.+#]|\.(?!\w))+")


@text_cache(8192)
def enumerated_names(text: str) -> frozenset[str]:
    """The names ``text`` lists after any lead-in label, casefolded: runs of ENUMERATION_LEAST or
    more list elements (parted by commas, slashes, parentheses, "and", "or") of at most three
    words, every word capitalised, holding a digit or "&" ("Prometheus, Loki, Tempo, Google
    Cloud Monitoring"; "MLflow, Aim or Weights & Biases"). In prose a list opens after other
    words and closes before them: the name words that end the element before a run and open the
    one after it are its first and last names ("scanners such as Semgrep, Snyk and Trivy before
    merging" lists the three). A clause's first word before more words, capitalised and
    otherwise in lower case, is so by grammar, not as a name, and is not read ("Measure Web
    Performance (LCP, INP, CLS)" lists Web Performance, LCP, INP and CLS; "WCAG AA, WCAG AAA or
    APCA" lists WCAG AA)."""
    listed = _names_body(text)
    if listed:
        return listed
    plain = _after_label(text)
    found: set[str] = set()
    for clause in _CLAUSE_END_RE.split(plain):
        run: list[str] = []
        for n, part in enumerate(_LIST_SEPARATOR_RE.split(clause)):
            words = part.split()
            if n == 0 and len(words) > 1 and words[0][1:].islower():
                words = words[1:]
            if not words:
                continue
            if len(words) <= 3 and all(_name_word(w) for w in words):
                run.extend(_name_of(words))
                continue
            # Prose around the list: its first name words close the run, its last ones open the next.
            head = list(itertools.takewhile(_name_word, words))[:3]
            if run and head:
                run.extend(_name_of(head))
            if len(run) >= ENUMERATION_LEAST:
                found.update(run)
            tail = list(itertools.takewhile(_name_word, reversed(words)))[:3]
            run = _name_of(tail[::-1])
        if len(run) >= ENUMERATION_LEAST:
            found.update(run)
    return frozenset(found)


def _names_body(text: str) -> frozenset[str]:
    """The names a lead-in label's body lists when it is nothing but names, two or more
    ("**API Gateways**: Kong, Ambassador"), casefolded; none otherwise."""
    if lead_label(text) is None:
        return frozenset()
    parts = [part.split() for part in _LIST_SEPARATOR_RE.split(_after_label(text).rstrip(". ")) if part.strip()]
    if len(parts) < 2 or not all(len(words) <= 3 and all(_name_word(w) for w in words) for words in parts):
        return frozenset()
    return frozenset(name for words in parts for name in _name_of(words))


def _name_word(word: str) -> bool:
    """Whether ``word`` may be part of a name (``enumerated_names``): capitalised, holding a digit,
    or "&"."""
    return word == "&" or word[0].isupper() or any(c.isdigit() for c in word)


def _name_of(words: Sequence[str]) -> list[str]:
    """The name ``words`` make (``_name_form``); none when nothing is left (a lone "&")."""
    name = _name_form(" ".join(words))
    return [name] if name else []


def _name_form(text: str) -> str:
    """``text`` case-folded with runs of characters that are no part of a name as one space: the
    form in which a listed name and the wording that may mention it are compared."""
    folded = text.casefold()
    if folded.isascii():
        return _NOT_NAME_RE.sub(" ", folded).strip()
    # A combining mark (a vowel sign, a virama) belongs to the word before it: "न" is no name
    # that "नियम" mentions.
    return _NOT_NAME_RE.sub(_marks_then_space, unicodedata.normalize("NFC", folded)).strip()


def _marks_then_space(gap: re.Match[str]) -> str:
    """A run of characters that are no part of a name as one space, the marks it opens with kept."""
    marks = leading_marks(gap.group())
    return gap.group()[:marks] + (" " if marks < len(gap.group()) else "")


def _lists_more(text: str, kept: str) -> bool:
    """Whether ``text`` lists a name (``enumerated_names``) that ``kept`` never mentions, as a word
    or its plural: "**Gateways**: Kong, Traefik, Envoy" folded into "Use Kong or Traefik as the
    gateway" would lose Envoy."""
    listed = enumerated_names(text)
    if not listed:
        return False
    said = _mentions(kept)
    return any(not _said(name, said) for name in listed)


@text_cache(8192)
def proper_names(text: str) -> frozenset[str]:
    """The tools, products and standards ``text`` names after its lead-in label (``capitalised``:
    "Validate the frames with Pandera" names ``pandera``), a name with lower-case words hyphened
    on as the name alone ("Pandera-based" names ``pandera``), but acronyms, which name a kind of
    thing as often as a product ("API", "URLs", "XSS", "AI-powered"), a name of one letter
    ("I/O-bound" is no name "O-bound"), the first word after symbols that open the text ("✅
    Exception handling"), unless a letter after its first is a capital ("OpenTelemetry export"),
    and what code spans hold (a specific already, ``specifics``)."""
    plain = _after_label(_SPAN_RE.sub(" ", text))
    found_words = list(_WORD_RE.finditer(plain))
    written = {m.group().casefold(): m.group() for m in found_words}
    first = found_words[0].group() if found_words else ""
    opening = None if _inner_capital(first) else first.casefold()
    found = set()
    for name in capitalised(plain) - {opening}:
        word = written.get(name, name)
        head, _, tail = word.partition("-")
        if tail.islower():
            word = head
        letters = "".join(c for c in word if c.isalpha())
        if (
            len(word) < 2
            or (word[0].isdecimal() and len(letters) < 2)  # a value and its unit: "5V", "4K"
            or (len(letters) > 1 and letters.removesuffix("s").isupper())
            or not _name_form(word)
        ):
            continue
        found.add(word.casefold())
    return frozenset(found)


def _picks_one(text: str, kept: str) -> bool:
    """Whether ``text`` is a plain one-clause instruction that lists nothing and names one of the
    names ``kept`` lists (``enumerated_names``, three or more): folded into the list, the pick
    would read as one option of several ("Manage shared state with Pinia" into "State stores such
    as Vuex, Pinia, MobX")."""
    if not plain_clause(text) or enumerated_names(text):
        return False
    listed = enumerated_names(kept)
    if len(listed) < ENUMERATION_LEAST:
        return False
    return len(proper_names(text) & listed) == 1


def _names_more(text: str, kept: str, subject: Container[str]) -> bool:
    """Whether ``text`` names a tool or product (``proper_names``) that ``kept`` never mentions, as
    a word, its plural or its singular: "Profile the endpoints with Pyroscope" folded into "Profile
    the endpoints" would lose Pyroscope. A name in ``subject`` (``Subject``: what most inputs
    are about, as Django in Django agents) need not be there, nor a name ``text`` itself does not
    mention as a word ("GHz" of "2.5GHz", "TableName" of "x.TableName"): a wording is always
    taken to mention its own names."""
    said = _mentions(kept)
    for name in proper_names(text):
        form = _name_form(name)
        # The text's own mention form is read only for a name the kept wording lacks (few).
        if name not in subject and not _said(form, said) and _said(form, _mentions(text)):
            return True
    return False


def _identifiers_more(lacking: frozenset[str], subject: Container[str]) -> bool:
    """Whether a name written as an identifier that the kept wording lacks (``names``, which
    ``carries`` gives: ``line_profiler``, ``cProfile``, ``EC2``) is more than the ``subject``:
    "Profile with cProfile and line_profiler" folded into "Profile with tools like cProfile"
    would lose line_profiler, though the kept wording names nothing else."""
    return any(name not in subject for name in lacking)


def _rare_more(text: str, kept: str, subject: Container[str]) -> bool:
    """Whether ``text`` has a word whose term fewer than three of the corpus's instructions use
    (``scorer.rare_in_corpus``) and ``kept`` lacks: a library, tool or acronym that no other word
    stands for, capitalised or not, first in its sentence or not ("Run the test matrix with nox
    sessions" folded into "Run the test matrix across Python versions" would lose nox). A word of
    ``subject`` need not be there."""
    rare = _rare_words(text)
    if not rare:
        return False
    have = frozenset(terms(kept))
    return any(term not in have and word not in subject for term, word in rare)


UNREAD_SHARE = 0.5
"""Share of a text's terms the corpus hardly uses (``scorer.rare_in_corpus``) at which the rules
that read English words cannot read the text (``_unread_more``). Of the corpus's 55,178 prose
items, 194 (0.35%) reach it, most of them lines of names ("`GetPromptRequest` and
`GetPromptResult`"); 52,203 have under a tenth; a text in Russian or Chinese has every term rare."""


def _unread_more(text: str, kept: str, subject: Container[str]) -> bool:
    """Whether ``text`` is mostly words the corpus hardly uses (UNREAD_SHARE of its terms: written
    in another language than the corpus's English, or a line of names) and ``kept`` has such a
    word ``text`` lacks. The rules that tell a wording that says more from one that says the
    opposite read English words ("never", "unless", "only"); in a text they cannot read, a word
    the kept wording adds may be its "never" ("Никогда не храните секреты в репозитории" against
    "Храните секреты в репозитории"), so such a text folds only into a wording that adds none."""
    found = terms(text)
    if not found or sum(1 for term in found if rare_in_corpus(term)) < UNREAD_SHARE * len(found):
        return False
    return _rare_more(kept, text, subject)


@text_cache(8192)
def _rare_words(text: str) -> tuple[tuple[str, str], ...]:
    """The words of ``text`` whose term the corpus hardly uses, each as (term, casefolded word):
    none for most texts. Only terms of the whole text count (a word read alone can give a term
    the text does not have: "x44px" of "44x44px"). Cached, as a kept wording's members are each
    asked of several wordings; the words' terms are found without ``terms``'s cache, which
    one-word texts would crowd."""
    rare = {term for term in terms(text) if rare_in_corpus(term)}
    if not rare:
        return ()
    found: list[tuple[str, str]] = []
    for word in marked_words(unicodedata.normalize("NFC", normalize(text)), _WORD_RE):
        # One folded word for all its terms: a run of 85,000 ideographs is one word of as many terms.
        folded = word.casefold()
        found.extend((term, folded) for term in terms.__wrapped__(word) if term in rare)
    return tuple(found)


def _said(form: str, said: str) -> bool:
    """Whether the name ``form`` (``_name_form``) is in the padded mention form ``said``
    (``_mentions``) in one of its spellings."""
    return any(f" {spelling} " in said for spelling in _spellings(form))


def _spellings(form: str) -> tuple[str, ...]:
    """A name as it is and with a plural ending put on or taken off: "WebSockets" mentions the
    WebSocket a list names, and "Streams" the Stream."""
    return (form, f"{form}s", f"{form}es", form.removesuffix("s") if len(form) > 3 else form)


SUBJECT_SHARE = 0.5
"""Share of the inputs that must mention a name for ``Subject`` to read it as what the inputs are
about (more than this share, and at least two inputs): a name in most Laravel agents ("Use
Laravel's queues for slow work") is their subject, and an instruction that leaves it out ("Queue
slow work") loses nothing by it."""


class Subject:
    """What the inputs are about: the names more than SUBJECT_SHARE of them mention, and at least
    two, in the texts given for each (``consolidate`` gives what each input says it is about: its
    name, description, headings and opening paragraphs; ``texts_by_input`` gives all its texts),
    which a wording may leave out without losing anything (``carries``). Each name is decided when
    first asked: a merge asks about few."""

    def __init__(self, texts_by_input: Sequence[Sequence[str]]) -> None:
        self._texts = texts_by_input
        self._least = max(2, math.floor(SUBJECT_SHARE * len(texts_by_input)) + 1)
        self._joined: list[str | None] = [None] * len(texts_by_input)
        self._decided: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or len(self._texts) < self._least:
            return False
        if name not in self._decided:
            form, count = _name_form(name), 0
            for n in range(len(self._texts)):
                if count + len(self._texts) - n < self._least:
                    break
                count += _said(form, self._input_mentions(n))
            self._decided[name] = count >= self._least
        return self._decided[name]

    def _input_mentions(self, n: int) -> str:
        """Input ``n``'s texts in mention form (``_mentions``), joined; made when first needed."""
        joined = self._joined[n]
        if joined is None:
            joined = self._joined[n] = "".join(_mentions(text) for text in self._texts[n])
        return joined


@text_cache(8192)
def _mentions(text: str) -> str:
    """``text`` in ``_name_form``, padded: a name is mentioned when " name " is in it. Cached: one
    kept wording is asked of each member of its cluster."""
    return f" {_name_form(normalize(text))} "


def sentences_kept(kept: str, text: str) -> bool:
    """Whether every sentence of ``text`` has at least SENTENCE_KEPT of its term weight among the
    terms of ``kept``; a text of one sentence always has. "Run the suite with pytest before each
    commit. Document every public function." folded into a wording about tests alone would lose
    its second instruction."""
    parts = [part for line in instruction_lines(text) for part in sentences_of(normalize(line))]
    if len(parts) < 2:
        return True
    have = frozenset(terms(kept))
    for part in parts:
        found = frozenset(terms(part))
        total = _weight(found)
        if total and _weight(found & have) < SENTENCE_KEPT * total:
            return False
    return True


SENTENCE_KEPT = 0.15
"""Least share of a sentence's term weight (corpus rarity, ``scorer.term_weight``) the kept wording
must hold for a text of several sentences to fold into it. Chosen by leaving one labelled group
out with the fit's objective (0.10 and 0.15: held out 0.629 with 8 lost; 0.20, 0.25 and 0.35:
0.621 with 7 lost; see docs/matching.md)."""


# --------------------------------------------------------------------------------------------
# Sections: aligning the inputs' sections


class TermWeights:
    """Inverse document frequencies of terms over the texts at hand (section titles, descriptions)."""

    def __init__(self, texts: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for text in texts:
            for term in set(terms(text)):
                counts[term] = counts.get(term, 0) + 1
        total = max(1, len(texts))
        self.total = total
        self.frequency = counts
        # Smoothed IDF: a term in every unit still weighs a little, an unseen term the most.
        self.idf = {term: math.log((total + 1) / (count + 1)) + 1.0 for term, count in counts.items()}
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
    return math.sqrt(math.fsum(v * v for v in vector.values()))


def item_similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two term vectors, 0 to 1 (how alike two descriptions are worded)."""
    dot = math.fsum(w * b[t] for t, w in sorted(a.items()) if t in b)
    if not dot:
        return 0.0
    return round(min(1.0, dot / (_norm(a) * _norm(b))), 6)


SECTION_RULES: tuple[Rule, ...] = (
    Rule("one input", "a section aligns with sections of other inputs only", lambda a, b: a.source == b.source),
    Rule(
        "roles",
        "a checklist, a pitfall list or a trigger list is not the guidance it mirrors (lexicon.SECTION_ROLES)",
        lambda a, b: not roles_compatible(a.role, b.role),
    ),
    Rule(
        "other choice",
        'titles that pick two alternatives of one choice ("Frontend changes", "Backend changes") head two'
        " subjects (text.other_choice)",
        lambda a, b: other_choice(a.text, b.text) is not None,
    ),
)
"""Rules for a pair of sections, checked in this order."""


def cluster_sections(
    units: Sequence[Unit], scores: Mapping[tuple[int, int], float], threshold: float
) -> list[list[int]]:
    """Cluster section titles (``units``) on their pair ``scores`` into aligned sections.

    Pairs are taken best first (ties by index); two clusters join when the pair clears
    ``threshold`` and SECTION_RULES, the clusters share no input and their roles agree, and the
    average score over all their cross pairs also clears ``threshold`` (average linkage).
    Clusters come in order of their first unit.
    """
    ranked = sorted(
        (-score, i, j)
        for (i, j), score in scores.items()
        if score >= threshold and not any(rule.vetoes(units[i], units[j]) for rule in SECTION_RULES)
    )
    joined = _Joined([{u.source} for u in units])
    roles = [{u.role} for u in units]
    for _, i, j in ranked:
        root_i, root_j = joined.find(i), joined.find(j)
        if root_i == root_j or joined.sources[root_i] & joined.sources[root_j]:
            continue
        if not all(roles_compatible(x, y) for x in sorted(roles[root_i]) for y in sorted(roles[root_j])):
            continue
        left, right = joined.members[root_i], joined.members[root_j]
        total = math.fsum(scores.get((x, y) if x < y else (y, x), 0.0) for x in left for y in right)
        if total / (len(left) * len(right)) < threshold:
            continue
        root = joined.join(root_i, root_j)
        roles[root] |= roles[root_i if root == root_j else root_j]
    groups = [sorted(m) for m in joined.members if m]
    groups.sort(key=lambda g: g[0])
    return groups


class _Joined:
    """Clusters joined pair by pair (union-find): each cluster's root, members and inputs."""

    def __init__(self, sources: list[set[int]]) -> None:
        self.parent = list(range(len(sources)))
        self.members = [[i] for i in range(len(sources))]
        """A root's members; empty for a unit that is not a root."""
        self.sources = sources
        """A root's inputs."""

    def find(self, i: int) -> int:
        """The root of the cluster ``i`` is in."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, a: int, b: int) -> int:
        """Join the clusters rooted at ``a`` and ``b`` under the larger one's root (``a`` on a tie),
        moving the other's members and inputs into it; return the root kept."""
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members[b])
        self.members[b] = []
        self.sources[a] |= self.sources[b]
        return a


def bare_title(title: str) -> str:
    """A title's words, lower case, without emphasis, punctuation or sequence number: what names a
    section whose title has no topic terms (``title_overlap``; "**You must:**" is "you must")."""
    return " ".join(words(without_ordinal(title)))


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
    if not left and not right:
        # Titles of filler and stop words only ("You must", "You must not", "Important") name a
        # section by those words: the same words are one title, any others another.
        return 1.0 if bare_title(a) and bare_title(a) == bare_title(b) else 0.0
    if not left or not right:
        return 0.0

    def weight(term: str) -> float:
        return 1.0 if weights is None else weights.idf.get(term, weights.unseen)

    if left - right and right - left:
        # Each title names something the other does not: one head noun of two subjects ("Code
        # Standards" and "Quality Standards", "Security Testing" and "Performance Testing").
        # Such sections align only when their content agrees.
        return 0.0
    if all(term.isdigit() for term in left & right) and left != right:
        # A sequence number in common names no topic: "3. Follow up" (its words all filler) is not
        # "3. Communicate". The number keeps titles apart; it never joins them.
        return 0.0
    # Exact sums in sorted order: summing floats in a set's iteration order made the score, and
    # so the alignment of sections, depend on PYTHONHASHSEED (24 security agents: three outputs).
    shared = math.fsum(weight(t) for t in sorted(left & right))
    return 2 * shared / (math.fsum(weight(t) for t in sorted(left)) + math.fsum(weight(t) for t in sorted(right)))


def section_similarity(title: float, shared: int, smaller: int) -> float:
    """Score of two sections: the larger of title similarity and content agreement.

    Content agreement is ``shared`` (items of the smaller section with a copy, exact or
    near-verbatim, among the other's: ANCHOR_MARGIN) over ``smaller`` (items in the smaller
    section), so a renamed section that kept its bullets still aligns, and two "Guidelines"
    sections with nothing in common still align by title.
    """
    content = shared / smaller if smaller else 0.0
    return max(title, content)
