"""Pair and cluster equivalent sections and items across agent files.

The shape follows difflib: exact alignment first (after normalisation), fuzzy pairing only in
what is left, with named and validated cutoffs. Only this module sees rapidfuzz.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

# --------------------------------------------------------------------------------------------
# Normalisation: the forms used for matching. Formatting is not meaning.

_LINK_RE = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_EMPHASIS_RE = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
_CODE_RE = re.compile(r"`+([^`]*)`+")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_HIDDEN_RE = re.compile("[\U000f0000-\U000f00ff]")
_CODE_LITERAL_RE = re.compile(r"[*_~\[\]()!]")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?(?:[+#]+)?")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Return ``text`` without formatting: emphasis, backticks, link syntax, escapes, wrapping.

    Case and punctuation are kept, so two texts with the same normal form say the same thing
    the same way; ``**Use** `uv`\\n  always`` and ``__Use__ uv always`` both give ``Use uv always``.
    """
    # Soft line breaks first: emphasis and code spans may run across a re-wrapped line.
    text = _SPACE_RE.sub(" ", text)
    # Escaped characters are hidden from the emphasis and code rules, then put back as plain text.
    text = _ESCAPE_RE.sub(lambda m: chr(0xF0000 + ord(m.group(1))), text)
    text = _LINK_RE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    # Code span content is literal: its ``*`` and ``_`` must not pair with emphasis outside it.
    text = _CODE_RE.sub(lambda m: _CODE_LITERAL_RE.sub(lambda c: chr(0xF0000 + ord(c.group(0))), m.group(1)), text)
    previous = None
    while previous != text:
        previous = text
        text = _EMPHASIS_RE.sub(lambda m: m.group(2) if m.group(1) else m.group(4), text)
    text = _HIDDEN_RE.sub(lambda m: chr(ord(m.group(0)) - 0xF0000), text)
    return _SPACE_RE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Lower-case word tokens of the normal form of ``text``."""
    return _WORD_RE.findall(normalize(text).casefold())


_NEGATORS = frozenset(
    {
        "never",
        "not",
        "no",
        "don't",
        "dont",
        "doesn't",
        "mustn't",
        "shouldn't",
        "can't",
        "cannot",
        "won't",
        "avoid",
        "avoiding",
        "nothing",
        "neither",
        "nor",
        "without",
    }
)
"""Words that flip an instruction: "always use X" and "never use X" are opposites, not rewordings."""


def negated(text: str) -> bool:
    """Whether ``text`` reads as a negative instruction: an odd number of negating words."""
    return sum(1 for word in words(text) if word in _NEGATORS) % 2 == 1


def opposite_polarity(a: str, b: str) -> bool:
    """Whether one of two texts negates and the other does not ("always X" versus "never X").

    Such a pair is never the same instruction, however similar the other words are.
    """
    return negated(a) != negated(b)


# --------------------------------------------------------------------------------------------
# Two-file pairing (diff)

ITEM_CUTOFF = 0.6
"""Least similarity at which two items in paired sections are one reworded instruction.

The default of ``--threshold``. Lower values pair more loosely reworded bullets (and risk
calling two different instructions one); higher values report more rewordings as a removal
plus an addition. 0.6 keeps a one- or two-word edit of a short bullet paired while two bullets
that only share their topic words stay apart.
"""

MOVE_CUTOFF = 0.75
"""Least similarity at which an item in another section is the same instruction, moved.

Higher than ITEM_CUTOFF: across sections the context no longer vouches for the pairing, so a
fuzzy pair must say more alike before it reads as a move rather than a removal and an addition.
When ``--threshold`` is higher than this, the threshold applies across sections too.
"""

IN_PLACE_ALLOWANCE = 0.15
"""How much less similar than ``--threshold`` a rewording may be when it kept its place.

When exactly one item went and exactly one came between the same two unchanged neighbours of a
section, the place itself says they are one instruction rewritten, so 0.45 similarity (at the
default threshold) is enough; anywhere else the full threshold applies. Lower allowances report
heavy rewordings as a removal plus an addition; higher ones pair a bullet with an unrelated
replacement that happened to take its place (at 0.25, two seeds' different bullets that share
only "and" paired up).
"""

CROSS_ROLE_MOVE_CUTOFF = 0.9
"""Least similarity at which an item is moved, edited, between sections of different roles.

A checklist entry and the practice it checks, or a pitfall and the rule it warns about, share
most words and are still different instructions (see ``roles_compatible``); between such
sections only a near-verbatim copy counts as the same line moved.
"""

SECTION_TITLE_CUTOFF = 0.8
"""Least title similarity at which two sections pair on their titles alone.

Titles are compared on their significant words, so "Responsibilities" and "Your Core
Responsibilities:" agree; below the cutoff the section's content must agree instead.
"""

SECTION_CONTENT_CUTOFF = 0.5
"""Least share of two sections' items that must pair for the sections to pair (a rename).

Measured as 2 x pairs / (items in one + items in the other), the Dice coefficient; one half
means that most of what was there is still there under the new title.
"""

_TITLE_STOPWORDS = frozenset({"a", "an", "and", "the", "your", "my", "our", "of", "for", "to", "in", "on", "with"})


def validate_cutoff(value: float, name: str = "threshold") -> float:
    """Return ``value`` when it is a similarity cutoff in [0, 1]; raise ValueError otherwise."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return float(value)


@lru_cache(maxsize=65536)
def compare_form(text: str) -> str:
    """The form two items are compared in: the normal form, case-folded."""
    return normalize(text).casefold()


def similarity(a: str, b: str) -> float:
    """Similarity of two texts in [0, 1], ignoring formatting and case.

    The better of a character-level ratio (small edits inside words) and the same ratio over
    sorted words (the same words in another order). 1.0 only for equal texts or reordered words.
    """
    from rapidfuzz import fuzz

    x, y = compare_form(a), compare_form(b)
    if x == y:
        return 1.0
    return max(fuzz.ratio(x, y), fuzz.token_sort_ratio(x, y)) / 100.0


_TITLE_NUMBER_RE = re.compile(r"^(?:(?:step|phase|part|section)\s+)?\d+(?:\.\d+)*[.):]?\s+", re.IGNORECASE)


def title_key(title: str) -> str:
    """The form two section titles are compared in: normal form, case-folded, without a trailing
    colon or a leading number ("2. Goals" and "3. Goals:" are one title, renumbered)."""
    key = compare_form(title).rstrip(":").strip()
    return _TITLE_NUMBER_RE.sub("", key) or key


def title_similarity(a: str | None, b: str | None) -> float:
    """Similarity of two section titles in [0, 1]; 1.0 when their title keys are equal.

    Significant words contained in the other title count as agreement, so a title that only
    adds "Your", "Core" or "Key" to the other stays close to it.
    """
    if a is None or b is None:
        return 1.0 if a is b else 0.0
    x, y = title_key(a), title_key(b)
    if x == y:
        return 1.0
    wa = {w for w in words(x) if w not in _TITLE_STOPWORDS}
    wb = {w for w in words(y) if w not in _TITLE_STOPWORDS}
    contained = 0.0
    if wa and wb:
        contained = 0.9 * len(wa & wb) / min(len(wa), len(wb))
    return max(similarity(x, y), contained)


def pair_exact(
    old: Mapping[int, str],
    new: Mapping[int, str],
    allowed: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """Pair keys of ``old`` and ``new`` whose texts are equal, one-to-one, in order.

    Repeated texts pair first with first, second with second. ``allowed(i, j)`` restricts
    which pairs may form (for example only inside paired sections).
    """
    waiting: dict[str, list[int]] = {}
    for j in sorted(new):
        waiting.setdefault(new[j], []).append(j)
    pairs: list[tuple[int, int]] = []
    for i in sorted(old):
        candidates = waiting.get(old[i])
        if not candidates:
            continue
        for n, j in enumerate(candidates):
            if allowed is None or allowed(i, j):
                pairs.append((i, j))
                del candidates[n]
                break
    return pairs


def pair_fuzzy(
    old: Mapping[int, str],
    new: Mapping[int, str],
    cutoff: float,
    allowed: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, float]]:
    """Pair texts of ``old`` and ``new`` at ``cutoff`` or more similarity, one-to-one.

    The most similar pair is taken first (difflib's "longest match first" in spirit); ties go
    to the pair whose positions are closest, then to the earliest, so the result is stable.
    """
    from rapidfuzz import fuzz

    validate_cutoff(cutoff)
    keys = list(new)
    choices = [compare_form(new[j]) for j in keys]
    candidates: list[tuple[float, int, int, int]] = []
    # Few pairs are scored in a plain loop; many in rapidfuzz's C loops, whose module takes
    # longer to import than a small diff takes to run.
    bulk = len(old) * len(keys) > BULK_PAIRS
    for i, a in old.items():
        # The same measure as ``similarity``.
        query = compare_form(a)
        best: dict[int, float] = {}
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            for n, score in _scores(query, choices, scorer, cutoff * 100, bulk):
                best[n] = max(best.get(n, 0.0), score)
        for n, score in best.items():
            j = keys[n]
            if allowed is None or allowed(i, j):
                candidates.append((-score / 100.0, abs(i - j), i, j))
    candidates.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for negative, _, i, j in candidates:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((i, j, -negative))
    pairs.sort()
    return pairs


ORDER_QUADRATIC_LIMIT = 2000
"""Most pairs for which ``longest_common_order`` weighs unchanged pairs (a quadratic search);
beyond it, any one of the longest orders is taken (n log n)."""


BULK_PAIRS = 20_000
"""Pairs above which ``pair_fuzzy`` scores in rapidfuzz's batch loops instead of one by one."""


def _scores(
    query: str, choices: list[str], scorer: Callable[..., float], cutoff: float, bulk: bool
) -> Iterator[tuple[int, float]]:
    """(index, score) of each choice that ``scorer`` rates at ``cutoff`` (0-100) or more."""
    if bulk:
        from rapidfuzz import process

        for _, score, n in process.extract(query, choices, scorer=scorer, score_cutoff=cutoff, limit=None):
            yield n, score
        return
    for n, choice in enumerate(choices):
        score = scorer(query, choice, score_cutoff=cutoff)
        if score >= cutoff:  # below the cutoff rapidfuzz answers 0
            yield n, score


def pair_in_place(
    old_order: Sequence[int],
    new_order: Sequence[int],
    paired: Mapping[int, int],
    old: Mapping[int, str],
    new: Mapping[int, str],
    cutoff: float,
) -> list[tuple[int, int, float]]:
    """Pair the lone unpaired old and new item between the same two paired neighbours.

    ``old_order`` and ``new_order`` are one section's items in source order on each side,
    ``paired`` the pairs already made, ``old`` and ``new`` the texts of the items still free.
    Only neighbours that kept their order count; a gap pairs when it holds exactly one free item
    on each side, ``cutoff`` or more similar.
    """
    validate_cutoff(cutoff)
    where_old = {i: n for n, i in enumerate(old_order)}
    where_new = {j: n for n, j in enumerate(new_order)}
    positions = sorted((where_old[i], where_new[j]) for i, j in paired.items() if i in where_old and j in where_new)
    # Neighbours are the pairs that cross no other pair: whichever side is called old, the same
    # ones (choosing among crossing pairs would make the result depend on the direction).
    before = [-1] * len(positions)
    for n in range(1, len(positions)):
        before[n] = max(before[n - 1], positions[n - 1][1])
    after = [len(new_order)] * len(positions)
    for n in range(len(positions) - 2, -1, -1):
        after[n] = min(after[n + 1], positions[n + 1][1])
    anchors = [pos for n, pos in enumerate(positions) if before[n] < pos[1] < after[n]]
    bounds = [(-1, -1), *anchors, (len(old_order), len(new_order))]
    found: list[tuple[int, int, float]] = []
    for (a_old, a_new), (b_old, b_new) in pairwise(bounds):
        gone = [i for i in old_order[a_old + 1 : b_old] if i in old]
        came = [j for j in new_order[a_new + 1 : b_new] if j in new]
        if len(gone) == 1 and len(came) == 1:
            score = similarity(old[gone[0]], new[came[0]])
            if score >= cutoff:
                found.append((gone[0], came[0], score))
    return found


def longest_common_order(
    pairs: Sequence[tuple[int, int]], preferred: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset()
) -> set[tuple[int, int]]:
    """The largest set of ``pairs`` whose old and new positions are in the same order.

    The pairs left out are the ones that moved: the reviewer sees the fewest moves that explain
    the new order. Among orders of the same length, the one keeping most ``preferred`` pairs
    (those otherwise unchanged) wins, so a move is put on a pair that also changed.
    """
    ordered = sorted(pairs)
    if preferred and len(ordered) <= ORDER_QUADRATIC_LIMIT:
        # Each pair outweighs all preferences together: length first, then preferred pairs.
        weight = [len(ordered) + 1 + (1 if pair in preferred else 0) for pair in ordered]
        best = list(weight)
        link = [-1] * len(ordered)
        for b in range(len(ordered)):
            for a in range(b):
                if ordered[a][1] < ordered[b][1] and best[a] + weight[b] > best[b]:
                    best[b], link[b] = best[a] + weight[b], a
        end = max(range(len(ordered)), key=lambda n: (best[n], -n), default=-1)
        chosen: set[tuple[int, int]] = set()
        while end >= 0:
            chosen.add(ordered[end])
            end = link[end]
        return chosen
    # Longest strictly increasing subsequence of the new positions, with back links.
    tails: list[int] = []
    tail_index: list[int] = []
    back: list[int] = [-1] * len(ordered)
    for n, (_, j) in enumerate(ordered):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < j:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(tails):
            tails.append(j)
            tail_index.append(n)
        else:
            tails[lo] = j
            tail_index[lo] = n
        back[n] = tail_index[lo - 1] if lo > 0 else -1
    kept: set[tuple[int, int]] = set()
    n = tail_index[-1] if tail_index else -1
    while n >= 0:
        kept.add(ordered[n])
        n = back[n]
    return kept


# --------------------------------------------------------------------------------------------
# N-way clustering (consolidate)


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

_STOPWORD_TEXT = (
    "a an the and or but of to for in on at by with from as into onto over under via per "
    "is are was were be been being am this that these those it its it's you your yours you're "
    "we our us i my me they their them he she his her will shall should must can could would "
    "may might do does did done have has had also just only then than so if while both each "
    "every all any some such like well more most very what which who whom how when where why "
    "there here up out about other others etc e g i.e eg ie using use used uses "
    "ensure ensuring proper properly appropriate appropriately effective effectively needed "
    "necessary include includes including always whether within across new existing"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words that carry no instruction of their own in agent definitions; left out of term vectors.

Negating words are left out of the vectors too: polarity is checked on its own (``negated``), so
"never X" and "always X" are kept apart by rule rather than by a small difference in score.
"""

TERM_SYNONYMS: dict[str, str] = {
    # abbreviations common in agent definitions
    "db": "database",
    "dbs": "database",
    "auth": "authentication",
    "authn": "authentication",
    "authz": "authorization",
    "perf": "performance",
    "docs": "documentation",
    "doc": "documentation",
    "config": "configuration",
    "configs": "configuration",
    "env": "environment",
    "envs": "environment",
    "repo": "repository",
    "repos": "repository",
    "k8s": "kubernetes",
    "async": "asynchronous",
    "sync": "synchronous",
    "spec": "specification",
    "specs": "specification",
    "impl": "implementation",
    "dev": "development",
    "prod": "production",
    "ts": "typescript",
    "js": "javascript",
    "py": "python",
    "infra": "infrastructure",
    "deps": "dependency",
    "perms": "permission",
    "pr": "pull-request",
    "prs": "pull-request",
    "mr": "pull-request",
    "restful": "rest",
    "apis": "api",
    "e2e": "end-to-end",
    "ci": "continuous-integration",
    "cicd": "continuous-integration",
    "llm": "model",
    "llms": "model",
    "ux": "user-experience",
    "a11y": "accessibility",
    "i18n": "internationalization",
    # near-synonyms agent authors use for the same instruction
    "third": "external",
    "party": "",
    "build": "create",
    "develop": "create",
    "write": "create",
    "construct": "create",
    "architect": "design",
    "exception": "error",
    "exceptions": "error",
    "failure": "error",
    "failures": "error",
    "observability": "monitoring",
    "telemetry": "monitoring",
    "vulnerability": "vulnerable",
    "vulnerabilities": "vulnerable",
    "flaw": "vulnerable",
    "flaws": "vulnerable",
    "defect": "bug",
    "defects": "bug",
    "speed": "performance",
    "fast": "performance",
    "latency": "performance",
    "credentials": "secret",
    "credential": "secret",
    "secrets": "secret",
    "verify": "check",
    "confirm": "check",
}
"""Abbreviations and near-synonyms mapped to one term before stemming ("" drops the word).

Kept small and general: words that agent definitions of every role use interchangeably
("db"/"database", "build"/"write"/"develop"/"create", "exception"/"error", "third-party"/
"external"). Role-specific vocabulary is left to the IDF weights.
"""


def _stem_synonyms() -> dict[str, str]:
    """TERM_SYNONYMS by stem, so inflected forms map too ("writing" like "write")."""
    table: dict[str, str] = {}
    for word, target in TERM_SYNONYMS.items():
        if target and word.isalpha() and word not in table:
            table[stem(word)] = stem(target) if target.isalpha() else target
    return table


_SUFFIX_TEXT = (
    "izations ization isations isation ational ations ation ments ment ities ity ness ings "
    "ing ized izes ize ised ises ise ables able abilities ability ibility ible ically ical ally "
    "ances ance ences ence ancy ency ants ant ents ent ates ated ating ate ies ied ers er ed ly "
    "es s e y"
)
_SUFFIXES = tuple(sorted(_SUFFIX_TEXT.split(), key=len, reverse=True))

_MIN_STEM = 3

# The suffixes grouped by length, longest first: a word ends in at most one suffix of each length.
_SUFFIXES_BY_SIZE = tuple(
    (size, frozenset(s for s in _SUFFIXES if len(s) == size))
    for size in sorted({len(s) for s in _SUFFIXES}, reverse=True)
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return a light stem of ``word``: inflection and common derivation suffixes removed.

    Consistency matters more than linguistics here: "optimize", "optimized" and "optimization"
    all give "optim"; "scale", "scaling" and "scalability" give "scal". Up to three suffixes come
    off, never leaving fewer than three letters; a final double consonant is made single.
    """
    if not word.isalpha():
        return word
    for _ in range(3):
        for size, endings in _SUFFIXES_BY_SIZE:
            if len(word) - size >= _MIN_STEM and word[-size:] in endings:
                word = word[:-size]
                break
        else:
            break
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


_STEM_SYNONYMS = _stem_synonyms()


@lru_cache(maxsize=65536)
def terms(text: str) -> tuple[str, ...]:
    """The significant terms of ``text``: words mapped through TERM_SYNONYMS, stop words out, stemmed.

    A lead-in label (``**Security-First**: ...``) is part of the text and counts like any words.
    """
    out: list[str] = []
    for word in words(text):
        word = word.replace("’", "'")
        if word in _NEGATORS or word in _STOPWORDS:
            continue
        word = TERM_SYNONYMS.get(word, word)
        if not word:
            continue
        if "'" in word:
            word = word.split("'", 1)[0]
        stemmed = stem(word)
        out.append(_STEM_SYNONYMS.get(stemmed, stemmed))
    return tuple(out)


def _closeness(a: str, b: str) -> float:
    """Character similarity of two texts' lower-cased normal forms, 0 to 100 (rapidfuzz ratio)."""
    return _ratio(normalize(a).casefold(), normalize(b).casefold())


def _ratio(a: str, b: str) -> float:
    """rapidfuzz's ratio, 0 to 100; the module is imported on first use, once."""
    global _FUZZ_RATIO
    if _FUZZ_RATIO is None:
        from rapidfuzz import fuzz

        _FUZZ_RATIO = fuzz.ratio
    return float(_FUZZ_RATIO(a, b))


_FUZZ_RATIO: Callable[[str, str], float] | None = None


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
    return _ratio(left, right) >= NEAR_VERBATIM * 100


# Section roles. A section's role is read from its title; items of sections whose roles differ
# never merge, even on the same topic: a Definition-of-Done checkbox, a pitfall or a delegation
# trigger is a different instruction from the practice it mirrors. The first pattern that
# matches wins, so the narrow roles come before the broad ones.
SECTION_ROLES: tuple[tuple[str, str], ...] = (
    ("examples", r"\bexamples?\b|\bsample (?:usage|prompts?)\b"),
    (
        "gates",
        r"definition of done|\bdone\b|acceptance|checklist|quality gates?|exit criteria|"
        r"success criteria|before (?:completing|finishing|submitting|merging)|\bverification\b",
    ),
    (
        "pitfalls",
        r"pitfall|anti-?patterns?|\bavoid|mistakes?|don'?ts|gotchas?|red flags?|"
        r"what not to|common (?:errors|issues|problems)|\bnever\b",
    ),
    (
        "triggers",
        r"when to (?:use|invoke|call)|delegat|triggers?|use this agent|should (?:use|invoke)|use cases?|"
        r"when (?:the )?(?:main )?agent",
    ),
    (
        "collaboration",
        r"collaborat|coordinat|hand-?offs?|working with|interactions?|"
        r"escalat|\bteam\b|other agents|integration with|with agents|handoffs?|reporting to",
    ),
    ("inputs", r"\binputs?\b|prerequisites?|what you need|context needed|required (?:information|context)"),
    (
        "outputs",
        r"\boutputs?\b|deliverables?|\bproduce\b|\breport(?:ing)? format|response format|"
        r"output format|\breturns?\b|(?:response|report|output) structure",
    ),
    (
        "workflow",
        r"workflow|process\b|approach|\bsteps?\b|methodology|procedure|how you work|"
        r"when (?:writing|working|building|reviewing|implementing|given|invoked|called)|phases?\b|\bplan\b|"
        r"you will\b|follow these steps",
    ),
    (
        "principles",
        r"principles?|guidelines?|standards?|best practices|\brules\b|conventions|"
        r"patterns?\b|philosophy|\bvalues\b|polic(?:y|ies)|constraints|\bquality\b|requirements|\bstyle\b|"
        r"\btone\b|traits|behaviou?r|mindset",
    ),
    (
        "responsibilities",
        r"responsibilit|competenc|expertise|\bskills?\b|capabilit|focus areas?|"
        r"specialt|specializ|duties|what you do|\bscope\b|knowledge|proficien|areas of",
    ),
    (
        "intro",
        r"\brole\b|identity|persona|overview|\babout\b|purpose|mission|introduction|"
        r"who you are",
    ),
)
"""Each role and the pattern (case-insensitive) a section title of that role matches."""


@lru_cache(maxsize=1)
def _role_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """SECTION_ROLES compiled, once, on first use: a diff that never asks a section's role (and
    every command's start-up) does not pay the few milliseconds that compiling them costs."""
    return tuple((role, re.compile(pattern, re.IGNORECASE)) for role, pattern in SECTION_ROLES)


ROOT_ROLE = "intro"
"""The role of the text before the first heading (and of a document title's own text)."""

GENERAL_ROLE = "general"
"""The role of a section whose title names none of SECTION_ROLES; it aligns by content."""

SINGLE_ROLES = frozenset(
    {"workflow", "gates", "pitfalls", "triggers", "inputs", "outputs", "collaboration", "examples"}
)
"""Roles an agent file usually has one section of; when two inputs each have exactly one, those
sections align whatever their titles ("Approach" and "When writing code, you will")."""

_OPEN_ROLES = frozenset({"intro", "responsibilities", "principles", "workflow", GENERAL_ROLE})
"""Roles whose sections are plain guidance; a general section may join any one of them."""


def section_role(title: str | None) -> str:
    """The role of a section titled ``title`` (None is the root): one of SECTION_ROLES, or general."""
    if title is None:
        return ROOT_ROLE
    text = normalize(title)
    for role, pattern in _role_patterns():
        if pattern.search(text):
            return role
    return GENERAL_ROLE


def roles_compatible(a: str, b: str) -> bool:
    """Whether items of sections with roles ``a`` and ``b`` may be one instruction."""
    if a == b:
        return True
    return GENERAL_ROLE in (a, b) and a in _OPEN_ROLES and b in _OPEN_ROLES


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

GENERIC_TERMS = (
    "implement create write build develop design add make keep provide handle follow consider apply "
    "support work need set get run do ensure focus help task code"
)
"""Verbs and nouns that most instructions in agent definitions of every role use."""

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


class _Clusters:
    """Union of units into clusters that keep the constraints: one unit per input, one role family,
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
        if self.negative[a] != self.negative[b]:
            return False
        if not repeat and self.sources[a] & self.sources[b]:
            return False
        return all(roles_compatible(x, y) for x in self.roles[a] for y in self.roles[b])

    def join(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.sources[a] |= self.sources[b]
        self.roles[a] |= self.roles[b]
        self.members[a].extend(self.members[b])
        self.members[b] = []


@lru_cache(maxsize=1)
def _label_patterns() -> tuple[re.Pattern[str], ...]:
    """The lead-in label patterns, compiled on first use (diff never needs them)."""
    return (
        re.compile(r"^\s*(?:\*\*|__)([^*_:\n]{1,60}?)(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*(?::|\s[-\u2013\u2014]\s))"),
        re.compile(r"^\s*([A-Za-z][\w &/-]{0,40}?):\s"),
    )


@lru_cache(maxsize=65536)
def lead_label(text: str) -> str | None:
    """The lead-in label of an item (``**Test Quality**: ...``, ``Quality Assessment: ...``), or None."""
    for pattern in _label_patterns():
        found = pattern.match(text)
        if found:
            return found.group(1)
    return None


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


def label_only(text: str) -> bool:
    """Whether an item is a bare label (``**Suggested Fix**:``): its content, if any, is elsewhere."""
    return normalize(text).endswith(":")


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
        split: list[list[int]] = []
        for index in members:
            for bag in split:
                if all(units[other].source != units[index].source for other in bag):
                    bag.append(index)
                    break
            else:
                split.append([index])
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
    same polarity, and when the average score over all their cross pairs also clears the
    threshold (average linkage: a chain of look-alikes does not become one cluster). Units of the
    same input join only as near-verbatim repeats (never when ``repeats`` is false); code,
    tables, quotes and HTML only as near-verbatim copies. Every unit ends in exactly one cluster;
    clusters come in order of their first unit. ``sources`` gives each unit's inputs when one
    unit stands for a bag of identical copies (``bag_units``); by default a unit's own source.
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
        if repeat and not (repeats and a.repeatable and b.repeatable):
            continue
        if repeat or verbatim_kind:
            # Near-verbatim prose has the same terms (score 1); copied code shares most of them.
            if base < (VERBATIM_CODE_SCORE if verbatim_kind else 1.0):
                continue
            if (verbatim_kind and a.kind != b.kind) or not near_verbatim(a.text, b.text, prose=not verbatim_kind):
                continue
            ranked.append((1.0 + bonus, i, j, repeat))
            continue
        aligned = a.group >= 0 and a.group == b.group
        score = base + (bonus * (1.0 - base) if aligned else 0.0)
        if score < threshold:
            continue
        if a.kind != "heading" and b.kind != "heading":
            # Items, not section titles: a short item or two subjects under one head noun are
            # not one instruction however the words score.
            if short_mismatch(a.text, b.text) or different_subjects(a.text, b.text):
                continue
            if not aligned and min(a.group, b.group) >= 0 and not same_label(a.text, b.text):
                # Sections of one role that did not align (two "expertise" lists, one input with
                # both) are likelier the same slot than sections of two roles.
                margin = cross if a.role != b.role else cross * SAME_ROLE_SHARE
                if base < threshold + margin:
                    continue
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


_TITLE_FILLER = frozenset(
    stem(w)
    for w in ("core", "key", "main", "primary", "additional", "follow", "these", "general", "important", "expected")
)


def section_similarity(title: float, shared: int, smaller: int) -> float:
    """Score of two sections: the larger of title similarity and content agreement.

    Content agreement is ``shared`` (items of the smaller section already clustered with items of
    the other) over ``smaller`` (items in the smaller section), so a renamed section that kept its
    bullets still aligns, and two "Guidelines" sections with nothing in common still align by title.
    """
    content = shared / smaller if smaller else 0.0
    return max(title, content)
