"""Pair the sections and items of two agent files (the pairing ``diff`` reports on).

The shape follows difflib: exact alignment first (after normalisation), fuzzy pairing only in
what is left, with named and validated cutoffs. Pairing is one-to-one. Only this module sees
rapidfuzz; ``cluster`` borrows its character ratio.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import sys
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from agentmerge.lexicon import STOPWORDS, TITLE_STOPWORDS
from agentmerge.text import compare_form, text_cache, words

if TYPE_CHECKING:
    import difflib

MAX_ITEMS = 10_000
"""Most items (instructions, nested ones included) the matchers weigh against each other: all the
inputs of one consolidation together, and the two sides of one diff (or of each side of a merge
against its base) together.

The matchers weigh every item against the others that share a distinctive word or term: two
files of 25,000 unrelated bullets took minutes and a gigabyte to consolidate, and seconds to
diff, most of them pairing bullets that share one word of two. No agent has that many
instructions (the corpus's longest has a few hundred). Beyond it ``consolidate`` refuses (more is
a whole library, which ``--by-group`` consolidates group by group; ``check``'s AM203 and AM204
ask the same matcher about one file), and a diff or merge pairs only unchanged instructions,
with a warning: every other one shows as removed and added.
"""


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
default threshold) is enough if they share a word (``share_a_word``: unrelated words can share
half their letters); anywhere else the full threshold applies. Lower allowances report
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


def validate_cutoff(value: float, name: str = "threshold") -> float:
    """Return ``value`` when it is a similarity cutoff in [0, 1]; raise ValueError otherwise."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return float(value)


def similarity(a: str, b: str) -> float:
    """Similarity of two texts in [0, 1], ignoring formatting and case.

    The better of a character-level ratio (small edits inside words) and the same ratio over
    sorted words (the same words in another order). 1.0 only for equal texts or reordered words.
    """
    x, y = compare_form(a), compare_form(b)
    if x == y:
        return 1.0
    return max(ratio(x, y), ratio(sorted_words(x), sorted_words(y))) / 100.0


@text_cache(65536)
def sorted_words(text: str) -> str:
    """``text``'s words sorted, one space apart: rapidfuzz's ``token_sort_ratio`` is ``ratio`` of
    these. Sorting once per text rather than once per pair keeps a long text from being sorted
    again for every text it is compared with."""
    return " ".join(sorted(text.split()))


def length_window(length: int, cutoff: float) -> tuple[int, int]:
    """The lengths a text may have to reach ``cutoff`` (0-1) similarity with a text of ``length``.

    rapidfuzz's ratio is 2 x matches / total length, so it is at most 2 x shorter / (shorter +
    longer): a text far longer or shorter cannot reach the cutoff, whatever it says. The window
    is widened by one character each way against rounding; it only saves scoring, never decides.
    """
    if cutoff <= 0.0:
        return 0, sys.maxsize
    return int(length * cutoff / (2.0 - cutoff)) - 1, int(length * (2.0 - cutoff) / cutoff) + 1


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
    wa = {w for w in words(x) if w not in TITLE_STOPWORDS}
    wb = {w for w in words(y) if w not in TITLE_STOPWORDS}
    contained = 0.0
    if wa and wb:
        contained = 0.9 * len(wa & wb) / min(len(wa), len(wb))
    return max(similarity(x, y), contained)


def pair_exact(
    old: Mapping[int, str],
    new: Mapping[int, str],
    allowed: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int]]:
    """Pair keys of ``old`` and ``new`` whose texts are equal, one-to-one; the pairs by old key.

    A text repeated as often on both sides pairs first with first, second with second. One
    repeated more often on one side pairs each copy of the other side with the nearest copy
    (``_nearest_copies``): of two equal bullets, the one left as it was is the one that stays in
    its place, and the other is the one that was edited. ``allowed(i, j)`` restricts which pairs
    may form (for example only inside paired sections).
    """
    waiting: dict[str, list[int]] = {}
    for j in sorted(new):
        waiting.setdefault(new[j], []).append(j)
    copies: dict[str, list[int]] = {}
    for i in sorted(old):
        copies.setdefault(old[i], []).append(i)
    pairs: list[tuple[int, int]] = []
    for text, mine in copies.items():
        theirs = waiting.get(text)
        if not theirs:
            continue
        if len(mine) != len(theirs) and len(mine) * len(theirs) <= NEAREST_COPIES_LIMIT:
            pairs.extend(_nearest_copies(mine, theirs, allowed))
            continue
        for i in mine:
            for n, j in enumerate(theirs):
                if allowed is None or allowed(i, j):
                    pairs.append((i, j))
                    del theirs[n]
                    break
    return sorted(pairs)


NEAREST_COPIES_LIMIT = 2_500
"""Most pairs of copies of one text ``pair_exact`` weighs by distance (fifty copies a side, a
sort of 2,500 candidates); beyond it (a text repeated hundreds of times, which no agent file
does by intent) copies pair first with first, so the work stays linear in the copies. At ten
copies a side, eleven copies of one bullet across three sections of one title, one of them
edited, paired first with first and the edit was reported at another copy's line."""


def _nearest_copies(
    olds: list[int], news: list[int], allowed: Callable[[int, int], bool] | None
) -> list[tuple[int, int]]:
    """Pairs of the copies ``olds`` and ``news`` of one text, the nearest first (least distance
    between positions, then least sum of them: the same pairs whichever side is old), each copy
    in one pair at most; ``allowed`` as in ``pair_exact``."""
    ranked = sorted(
        ((abs(i - j), i + j, i, j) for i in olds for j in news if allowed is None or allowed(i, j)),
        key=lambda c: (c[0], c[1]),
    )
    pairs: list[tuple[int, int]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, _, i, j in ranked:
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs


def pair_fuzzy(
    old: Mapping[int, str],
    new: Mapping[int, str],
    cutoff: float,
    allowed: Callable[[int, int], bool] | None = None,
    budget: PairBudget | None = None,
) -> list[tuple[int, int, float]]:
    """Pair texts of ``old`` and ``new`` at ``cutoff`` or more similarity, one-to-one.

    The most similar pair is taken first (difflib's "longest match first" in spirit); ties go
    to the pair whose positions are closest, then to the earliest, so the result is stable.
    Every pair is weighed up to FUZZY_PAIR_LIMIT pairs, and within what ``budget`` has left.
    """
    from rapidfuzz import fuzz

    validate_cutoff(cutoff)
    keys = list(new)
    choices = [compare_form(new[j]) for j in keys]
    # Each text in both forms the measure compares, made once rather than once per query.
    reordered_choices = [sorted_words(choice) for choice in choices]
    # Where both texts' words are in order already, the second form scores what the first did.
    in_order = [reordered == choice for reordered, choice in zip(reordered_choices, choices, strict=True)]
    lengths = [len(choice) for choice in choices]
    by_length = sorted((length, n) for n, length in enumerate(lengths))
    everyone = list(range(len(keys)))
    # Few pairs are scored in a plain loop; many in rapidfuzz's C loops, whose module takes
    # longer to import than a small diff takes to run.
    pairs = len(old) * len(keys)
    every = pairs <= FUZZY_PAIR_LIMIT and (budget is None or budget.take(pairs))
    sharing = None if every else _Sharing(choices)
    # rapidfuzz's batch loop is faster than a plain one even for a handful of texts (a few dozen
    # per query share a distinctive word), once its module is loaded.
    bulk = pairs > BULK_PAIRS
    floor = cutoff * 100

    def weigh(i: int, a: str) -> dict[int, float]:
        """The score of each text of ``new`` (by place in ``keys``) at the cutoff or more against ``a``."""
        # The same measure as ``similarity``, scored only against texts of a length that can reach the cutoff.
        query = compare_form(a)
        shortest, longest = length_window(len(query), cutoff)
        if sharing is None:
            start = bisect.bisect_left(by_length, (shortest, -1))
            stop = bisect.bisect_right(by_length, (longest, sys.maxsize))
            indices = everyone if stop - start == len(everyone) else sorted(n for _, n in by_length[start:stop])
        else:
            indices = [n for n in sharing.of(query) if shortest <= lengths[n] <= longest]
        best = {
            indices[k]: score for k, score in _scores(query, [choices[n] for n in indices], fuzz.ratio, floor, bulk)
        }
        reordered = sorted_words(query)
        if reordered == query:
            indices = [n for n in indices if not in_order[n]]
        for k, score in _scores(reordered, [reordered_choices[n] for n in indices], fuzz.ratio, floor, bulk):
            n = indices[k]
            if score > best.get(n, 0.0):
                best[n] = score
        if allowed is not None:
            best = {n: score for n, score in best.items() if allowed(i, keys[n])}
        return best

    def candidates(i: int, best: dict[int, float], above: float, below: float) -> list[_Candidate]:
        """The candidates of old text ``i`` whose scores in ``best`` are in [above, below)."""
        return [(-score / 100.0, abs(i - keys[n]), i, keys[n]) for n, score in best.items() if above <= score < below]

    def later(i: int, a: str, least: float) -> Callable[[], list[_Candidate]]:
        return lambda: candidates(i, weigh(i, a), 0.0, least)

    found: list[tuple[list[_Candidate], Callable[[], list[_Candidate]] | None]] = []
    for i, a in old.items():
        best = weigh(i, a)
        if len(best) <= CANDIDATES_KEPT:
            if best:
                found.append((candidates(i, best, 0.0, math.inf), None))
            continue
        # Only the best few wait for the one-to-one pairing; the rest are weighed again when
        # those are all taken.
        least = sorted(best.values(), reverse=True)[CANDIDATES_KEPT - 1]
        found.append((candidates(i, best, least, math.inf), later(i, a, least)))
    return sorted((i, j, -negative) for negative, i, j in _one_to_one(found))


CANDIDATES_KEPT = 32
"""Most candidates of one text ``pair_fuzzy`` holds for the one-to-one pairing at a time: the
best, and every one tied with the last of them; a text whose held candidates are all taken is
weighed again for the rest. Holding every candidate at the cutoff took most of the time and
memory of weighing two long files of like lines, where each line has hundreds."""

_Candidate = tuple[float, int, int, int]
"""A candidate pair for ``_one_to_one``: negated score, distance, old key, new key."""


def _one_to_one(
    found: Sequence[tuple[list[_Candidate], Callable[[], list[_Candidate]] | None]],
) -> Iterator[tuple[float, int, int]]:
    """The pairs (negated score, old, new) taken best first, each text in one pair at most, from
    each old text's candidates (``_Candidate``); ties go to the closer, then the earlier. Each
    old text's candidates come as those held and, if some were left out (all scored below the
    held ones), how to find the rest.

    The same pairs as going through every candidate in order, but only each old text's best
    candidate whose new text is still free waits in a heap: sorting every candidate at once cost
    more than the scoring for two files of thousands of lines.
    """
    held = [sorted(candidates) for candidates, _ in found]
    rest = [more for _, more in found]
    waiting = [(candidates[0], n, 0) for n, candidates in enumerate(held) if candidates]
    heapq.heapify(waiting)
    used_new: set[int] = set()
    while waiting:
        candidate, n, at = waiting[0]
        if candidate[3] not in used_new:
            heapq.heappop(waiting)
            used_new.add(candidate[3])
            yield candidate[0], candidate[2], candidate[3]
            continue
        candidates = held[n]
        at += 1
        while True:
            while at < len(candidates) and candidates[at][3] in used_new:
                at += 1
            more = rest[n]
            if at < len(candidates) or more is None:
                break
            candidates, at = sorted(more()), 0
            held[n], rest[n] = candidates, None
        if at < len(candidates):
            heapq.heapreplace(waiting, (candidates[at], n, at))
        else:
            heapq.heappop(waiting)


BULK_PAIRS = 20_000
"""Pairs above which ``pair_fuzzy`` scores in rapidfuzz's batch loops instead of one by one."""

FUZZY_PAIR_LIMIT = 1_000_000
"""Most pairs of texts ``pair_fuzzy`` weighs every one of, about 1,000 texts a side.

Beyond it (two unrelated lists of thousands of lines, which an agent file of up to
``filesystem.MAX_FILE_BYTES`` can hold), a text is weighed only against the texts that share one
of its distinctive words (``SHARED_WORD_POSTINGS``): weighing every pair took minutes of CPU for
such files, and two texts of a real agent file that share no distinctive word are not one
reworded instruction. Real agent files have tens of items; the bound never applies to them.
``group``'s instruction overlap bounds its searches the same way, past ``group.OVERLAP_PAIR_VISITS``.
"""


class PairBudget:
    """Pairs of texts ``pair_fuzzy`` may still weigh every one of, over many calls (the files of
    one review): a call that would weigh more than is left pairs by shared distinctive words, as
    past FUZZY_PAIR_LIMIT, and is counted in ``bounded``. Calls take from it in the order made."""

    def __init__(self, pairs: int) -> None:
        self.left = pairs
        self.bounded = 0
        """How many calls were refused their every pair."""

    def take(self, pairs: int) -> bool:
        """Whether ``pairs`` more may be weighed (then they are taken from what is left)."""
        if pairs > self.left:
            self.bounded += 1
            return False
        self.left -= pairs
        return True


SHARED_WORD_POSTINGS = 20
"""Most texts a word may appear in and still open pairs beyond FUZZY_PAIR_LIMIT; commoner words
("the", "use") open none, so the pairs weighed grow with the texts, not with their square."""


class _Sharing:
    """Which texts share a distinctive word with a query (the blocking beyond FUZZY_PAIR_LIMIT)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.postings: dict[str, list[int]] = {}
        for n, text in enumerate(texts):
            for word in dict.fromkeys(text.split()):
                self.postings.setdefault(word, []).append(n)

    def of(self, query: str) -> set[int]:
        """The texts sharing a word of ``query`` that at most SHARED_WORD_POSTINGS texts have."""
        found: set[int] = set()
        for word in query.split():
            posting = self.postings.get(word, ())
            if len(posting) <= SHARED_WORD_POSTINGS:
                found.update(posting)
        return found


def _scores(
    query: str, choices: list[str], scorer: Callable[..., float], cutoff: float, bulk: bool
) -> list[tuple[int, float]]:
    """(index, score) of each choice that ``scorer`` rates at ``cutoff`` (0-100) or more; a choice
    too long to rate exactly against ``query`` (RATIO_EXACT_MOST) is rated by ``ratio``'s bound."""
    if choices and len(query) * max(map(len, choices)) > RATIO_EXACT_MOST:
        rated = ((n, ratio(query, choice, cutoff)) for n, choice in enumerate(choices))
        return [(n, score) for n, score in rated if score >= cutoff]
    if bulk:
        from rapidfuzz import process

        found = process.extract(query, choices, scorer=scorer, score_cutoff=cutoff, limit=None)
        return [(n, score) for _, score, n in found]
    scored = ((n, scorer(query, choice, score_cutoff=cutoff)) for n, choice in enumerate(choices))
    return [(n, score) for n, score in scored if score >= cutoff]  # below the cutoff rapidfuzz answers 0


def pair_in_place(
    old_order: Sequence[int],
    new_order: Sequence[int],
    paired: Mapping[int, int],
    old: Mapping[int, str],
    new: Mapping[int, str],
    cutoff: float,
    restated: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, float]]:
    """Pair the lone unpaired old and new item between the same two paired neighbours.

    ``old_order`` and ``new_order`` are one section's items in source order on each side,
    ``paired`` the pairs already made, ``old`` and ``new`` the texts of the items still free.
    Only neighbours that kept their order count; a gap pairs when it holds exactly one free item
    on each side with a word in common, and they are ``cutoff`` or more similar or, asked only
    then, ``restated(old, new)`` says the new one gives the old one's instruction in other words.
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
            i, j = gone[0], came[0]
            if not share_a_word(old[i], new[j]):
                continue
            score = similarity(old[i], new[j])
            if score >= cutoff or (restated is not None and restated(i, j)):
                found.append((i, j, score))
    return found


_WORD_RE = re.compile(r"\w+")


def share_a_word(a: str, b: str) -> bool:
    """Whether two texts have a word in common (formatting and case aside): a rewording keeps
    some of its words, where two texts of unrelated words can still share half their letters.

    The word must carry meaning (not one of ``lexicon.STOPWORDS``): "Design and optimize
    database schemas" and "Write clean, testable, and maintainable backend code" share only an
    "and". Between texts made only of such words, any word counts. Words of any script count
    (``text.words`` reads only ASCII letters and digits).
    """
    left, right = (set(_WORD_RE.findall(compare_form(text))) for text in (a, b))
    meaningful_left, meaningful_right = left - STOPWORDS, right - STOPWORDS
    if meaningful_left and meaningful_right:
        return not meaningful_left.isdisjoint(meaningful_right)
    return not left.isdisjoint(right)


def longest_common_order(
    pairs: Sequence[tuple[int, int]],
    preferred: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
    favoured: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
    sizes: Mapping[tuple[int, int], int] | None = None,
) -> set[tuple[int, int]]:
    """The largest set of ``pairs`` whose old and new positions are in the same order.

    With ``sizes`` (each pair's size, 1 when absent), the heaviest such set rather than the
    longest: a diff weighs units by their lines, so the text that stays put is the most text, as
    difflib keeps the longest runs of lines.

    The pairs left out are the ones that moved: the reviewer sees the fewest moves that explain
    the new order, as difflib aligns lines. Among orders of the same length, the one keeping most
    ``preferred`` pairs (those otherwise unchanged), weighed by size too, wins, so a move is put
    on a pair that also changed; then the one keeping most ``favoured`` pairs (section headings,
    so that a line that crossed a heading is the move rather than the heading); then the one
    whose pairs travelled least, so the move is put on what went far; then the one standing
    earliest in the two files together (least sum of both positions). Every tier reads a pair
    the same whichever side is old, so the two directions of a diff keep the same pairs; ties
    after that go to the earliest pairs of the old side.

    A weighted longest increasing subsequence over a Fenwick tree: n log n, so a whole
    document's units can be aligned at once.
    """
    ordered = sorted(pairs)
    if not ordered:
        return set()
    ranks = {j: r for r, j in enumerate(sorted(j for _, j in ordered))}
    # Each tier outweighs all lower tiers together: size first (length when no sizes are given),
    # then the size of the preferred pairs, then favoured pairs, then pairs that travelled least
    # (|old position - new position|), then pairs standing early (old position + new position).
    # Each tier reads a pair the same whichever side is old, so the two directions of a diff
    # choose alike.
    count = len(ordered)
    late = max(i + j for i, j in ordered) + 1
    travel = late * (count + 1)
    far = max(abs(i - j) for i, j in ordered) + 1
    size_of = [sizes.get(pair, 1) if sizes else 1 for pair in ordered]
    favour = travel * far * (count + 1)
    prefer = favour * (count + 1)
    big = prefer * (sum(size_of) + 1)
    weight = [
        big * lines
        + (prefer * lines if pair in preferred else 0)
        + (favour if pair in favoured else 0)
        + travel * (far - abs(i - j))
        + (late - i - j)
        for pair, lines in zip(ordered, size_of, strict=True)
        for i, j in (pair,)
    ]
    size = len(ordered)
    # tree[k]: the best (total, -index) ending at a new-side rank in k's range; (0, 1) is "none".
    tree: list[tuple[int, int]] = [(0, 1)] * (size + 1)
    best = [0] * size
    link = [-1] * size
    for n, (_, j) in enumerate(ordered):
        rank = ranks[j]
        found = (0, 1)
        k = rank  # prefix of ranks strictly below this one
        while k > 0:
            if tree[k] > found:
                found = tree[k]
            k -= k & -k
        best[n] = found[0] + weight[n]
        link[n] = -found[1] if found[0] else -1
        entry = (best[n], -n)
        k = rank + 1
        while k <= size:
            if entry > tree[k]:
                tree[k] = entry
            k += k & -k
    end = max(range(size), key=lambda n: (best[n], -n))
    chosen: set[tuple[int, int]] = set()
    while end >= 0:
        chosen.add(ordered[end])
        end = link[end]
    return chosen


def ratio(a: str, b: str, cutoff: float = 0.0) -> float:
    """rapidfuzz's character ratio of two strings, 0 to 100 (0 below ``cutoff``, as rapidfuzz
    answers); the module is imported on first use, once. Past RATIO_EXACT_MOST, a lower bound of
    it read from the texts' pieces (``piece_ratio``)."""
    if len(a) * len(b) > RATIO_EXACT_MOST:
        found = piece_ratio(a, b)
        return found if found >= cutoff else 0.0
    global _FUZZ_RATIO
    if _FUZZ_RATIO is None:
        from rapidfuzz import fuzz

        _FUZZ_RATIO = fuzz.ratio
    return float(_FUZZ_RATIO(a, b, score_cutoff=cutoff))


_FUZZ_RATIO: Callable[..., float] | None = None

RATIO_EXACT_MOST = 25_000_000
"""Largest product of two texts' lengths whose character ratio is computed exactly: rapidfuzz's
ratio takes time growing with that product (a few milliseconds here, 1.8 s for two paragraphs of
85,000 characters, which a hostile file holds by the dozen). Past it the ratio is a lower bound
read from the texts' pieces (``piece_ratio``), in time growing with their sum. Of the public
corpus's 60,000 items the longest that is not a code block is a paragraph of 2,909 characters,
so a pair past the bound there holds a code block, which consolidate merges only as an exact copy
(``cluster``'s copies-only rule)."""

PIECES_MOST = 12_000
"""Most pieces of a text ``piece_ratio`` aligns one by one: the alignment takes memory growing
with the product of the two counts (18 MB at this count each). Longer texts are aligned by runs
of about that many pieces, and past twice that many runs (72 MB) only by their head and tail."""

_PIECE_RE = re.compile(r"\w+|[^\w\s]")
"""A piece of a text: a word (a run of word characters) or one mark."""

PIECE_LONGEST = 16
"""Longest piece ``piece_ratio`` aligns whole: a longer run of word characters (a text without
spaces: Chinese, Japanese) is cut after the characters ``_anchor`` picks, at most 64 apart, so a
character put in or taken out of such a run moves no cut after the next anchor."""


@lru_cache(maxsize=32)
def _pieces(text: str) -> tuple[str, ...]:
    """The pieces of ``text`` ``piece_ratio`` aligns, long runs cut (PIECE_LONGEST)."""
    found = _PIECE_RE.findall(text)
    if all(len(piece) <= PIECE_LONGEST for piece in found):
        return tuple(found)
    cut = _cutter("".join(sorted(c for c in set(text) if _anchor(c))))
    pieces: list[str] = []
    for piece in found:
        if len(piece) > PIECE_LONGEST:
            pieces.extend(cut.findall(piece))
        else:
            pieces.append(piece)
    return tuple(pieces)


def _anchor(character: str) -> bool:
    """Whether a long run is cut after ``character``: one code point in sixteen, spread by a
    multiplicative hash so that no script is cut more often than another."""
    return (ord(character) * 2654435761) % 2**32 >> 28 == 0


@lru_cache(maxsize=32)
def _cutter(anchors: str) -> re.Pattern[str]:
    """A run cut after each of ``anchors``, and after 64 characters without one."""
    if not anchors:
        return re.compile(r".{1,64}", re.DOTALL)
    one = "[" + "".join(re.escape(c) for c in anchors) + "]"
    other = "[^" + "".join(re.escape(c) for c in anchors) + "]"
    return re.compile(f"{other}{{0,63}}{one}|{other}{{1,64}}", re.DOTALL)


def piece_ratio(a: str, b: str) -> float:
    """A lower bound of ``ratio(a, b)``, in time and memory growing with the texts' lengths: the
    characters of the pieces (``_pieces``) the two have in common in order, aligned whole by
    rapidfuzz's alignment of their sequences, count as common characters; spaces and the pieces
    that differ count as different. Pieces past PIECES_MOST are aligned by runs, which end after a
    piece whose checksum the run length divides (the same pieces end a run in both texts, so an
    insertion shifts no run boundary after it); when even the runs are too many, what the two
    share at their head and tail is what counts."""
    from rapidfuzz.distance import Indel

    if a == b:
        return 100.0
    total = len(a) + len(b)
    pieces_a, pieces_b = _runs(list(_pieces(a)), list(_pieces(b)))
    if len(pieces_a) > 2 * PIECES_MOST or len(pieces_b) > 2 * PIECES_MOST:
        return 200.0 * _affixes(a, b) / total
    common = sum(
        len(piece)
        for block in Indel.opcodes(*_as_numbers(pieces_a, pieces_b))
        if block.tag == "equal"
        for piece in pieces_a[block.src_start : block.src_end]
    )
    return 200.0 * common / total


def _runs(a: list[str], b: list[str]) -> tuple[list[str], list[str]]:
    """``a`` and ``b`` as they are when both have at most PIECES_MOST pieces, else joined into runs
    of about that many (``piece_ratio``)."""
    longest = max(len(a), len(b))
    if longest <= PIECES_MOST:
        return a, b
    length = -(-longest // PIECES_MOST)
    return _joined(a, length), _joined(b, length)


def _joined(pieces: list[str], length: int) -> list[str]:
    """``pieces`` joined into runs, each ending after a piece whose CRC-32 ``length`` divides."""
    import zlib

    runs: list[str] = []
    run: list[str] = []
    for piece in pieces:
        run.append(piece)
        if zlib.crc32(piece.encode("utf-8", "surrogatepass")) % length == 0:
            runs.append("".join(run))
            run = []
    if run:
        runs.append("".join(run))
    return runs


def _affixes(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` share at their head and at their tail, not overlapping."""
    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head + tail


CONTAINMENT_CUTOFF = 0.9
"""Least share of the shorter text's words that must stand, in order, in the longer one for an
item that only gained or lost a clause to pair with its old self in place.

A clause appended to a bullet can halve its character similarity ("Run the tests" against "Run
the tests, and attach their log to the pull request"); its words in order say it is the same
instruction, grown. 0.9 lets one word of the old text change as well; below it, a short bullet
pairs with any long one that happens to use its words.
"""

CONTAINMENT_MIN_WORDS = 3
"""Fewest words the shorter text must have to pair by containment: "Be concise" stands inside
too many sentences to say which one it grew into."""

CONTAINMENT_PAIR_LIMIT = 10_000
"""Most candidate pairs of one section weighed for containment; a section with more free items
than that on both sides is left to the other passes (each weighing is a word alignment)."""


def containment(a: str, b: str) -> float:
    """Share, in [0, 1], of the shorter text's words found in the same order in the longer one."""
    x, y = words(a), words(b)
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if not short:
        return 0.0
    blocks = aligner(short, long).get_matching_blocks()
    return sum(block.size for block in blocks) / len(short)


ALIGN_MOST = 1_000_000
"""Most pairs of elements (lines, words) ``aligner`` aligns as difflib does with its heuristic for
popular elements off: every common element counts, in time growing with the product of the
lengths on repetitive text (a paragraph of one line written 20,000 times against a copy one word
longer took minutes to redline and to merge). Past it, what two sequences share at their head and
tail is aligned first, then the middles between if they are within it; longer middles count as
replaced. No agent file's lines or words reach a million pairs."""

ALIGN_WORK = 4_000_000
"""Most comparisons ``aligner``'s difflib-like search is let make (each element of one side costs
as many as the other side has copies of it, once for every block found around it: on repetitive
text, a word and a mark written hundreds of times against the two the other way round, it went
over the same copies for each of hundreds of blocks, 7 s for one item and minutes for a file of
such items). An alignment that may cost more by the copies it holds and the blocks a longest
common subsequence finds, or that does, takes that subsequence's blocks (``_common_blocks``, in
milliseconds). The corpus's alignments make at most 141,745 comparisons and may cost at most
2,275,523 by that reckoning (23,459 copies, 97 blocks of a common subsequence: 553 lines
against 365)."""

ANCHOR_DEPTH = 8
"""How many times over a stretch between anchors is searched for anchors of its own
(``_anchored_blocks``): past it, a stretch too long to align counts as replaced."""

DIFF_ALIGN_WORK = 8_000_000
"""The comparisons all the alignments of one diff may make (``WorkBudget``), about a second: the
corpus's diffs make at most 142,218."""


def aligner(
    a: Sequence[Hashable], b: Sequence[Hashable], work: WorkBudget | None = None
) -> difflib.SequenceMatcher[Hashable]:
    """difflib's ``SequenceMatcher`` of ``a`` and ``b`` without its heuristic for popular elements
    (every common line or word counts), in bounded time (ALIGN_MOST, ALIGN_WORK, and ``work``
    when given: the comparisons left to the redlines of one diff); its opcodes and grouped
    opcodes follow from the bounded matching blocks. difflib is imported when first needed: the
    commands that never align (``consolidate``) do not load it."""
    return _aligner_type()(a, b, work)


class WorkBudget:
    """Comparisons the alignments of one diff may still make (``aligner``): each takes what it
    spends, and one that would spend more than is left takes a longest common subsequence's
    blocks (``_common_blocks``) instead. Many items of repetitive text, each within ALIGN_WORK,
    would otherwise cost that many times over."""

    def __init__(self, comparisons: int) -> None:
        self.left = comparisons


@lru_cache(maxsize=1)
def _aligner_type() -> Callable[
    [Sequence[Hashable], Sequence[Hashable], WorkBudget | None], difflib.SequenceMatcher[Hashable]
]:
    import difflib

    class Aligner(difflib.SequenceMatcher[Hashable]):
        def __init__(self, a: Sequence[Hashable], b: Sequence[Hashable], work: WorkBudget | None) -> None:
            super().__init__(None, a, b, autojunk=False)
            self._sides = a, b
            self._work = work
            self._bounded: list[difflib.Match] | None = None

        def get_matching_blocks(self) -> list[difflib.Match]:
            if self._bounded is None:
                a, b = self._sides
                exact = len(a) * len(b) <= ALIGN_MOST
                if exact:
                    # difflib's positions of each element of b, built by __init__ (untyped in typeshed).
                    self._bounded = _matching_blocks(a, b, self._work, self.b2j)  # type: ignore[attr-defined]
                else:
                    self._bounded = _bounded_blocks(a, b, self._work)
            return self._bounded

    return Aligner


def _bounded_blocks(
    a: Sequence[Hashable], b: Sequence[Hashable], work: WorkBudget | None, depth: int = 0
) -> list[difflib.Match]:
    """The matching blocks of two long sequences: their common head and tail, and between them
    the blocks of the middles (``_matching_blocks``) when their pairs are at most ALIGN_MOST (none
    past it), closed by difflib's block of size 0 (``_as_blocks``). No two blocks touch, as
    difflib promises: the middles open and close on elements that differ, or one is empty."""

    most = min(len(a), len(b))
    head = 0
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    inner: list[tuple[int, int, int]] = []
    if len(middle_a) * len(middle_b) <= ALIGN_MOST:
        inner = [tuple(block) for block in _matching_blocks(middle_a, middle_b, work)]  # type: ignore[misc]
    elif middle_a and middle_b and depth < ANCHOR_DEPTH:
        inner = _anchored_blocks(middle_a, middle_b, WorkBudget(ALIGN_WORK) if work is None else work, depth)
    found = [(0, 0, head), *((i + head, j + head, n) for i, j, n in inner), (len(a) - tail, len(b) - tail, tail)]
    return _as_blocks([block for block in found if block[2]], len(a), len(b))


def _anchored_blocks(
    a: Sequence[Hashable], b: Sequence[Hashable], work: WorkBudget, depth: int
) -> list[tuple[int, int, int]]:
    """The matching blocks of two middles too long to align whole (``_bounded_blocks``), as
    patience diff finds them: the elements that each side holds once, in the longest run of them
    that keeps its order on both sides, are anchors; between two anchors the sides are aligned
    again (``_bounded_blocks``, which finds the anchors of that stretch in turn), within the
    comparisons ``work`` has left, ANCHOR_DEPTH stretches deep at most. A long file with a few
    lines changed all over keeps its unchanged lines; time grows with the lengths, not with their
    product."""
    once_b = _once(b)
    pairs = [(i, once_b[element]) for element, i in _once(a).items() if element in once_b]
    anchors = _increasing(sorted(pairs))
    if not anchors:
        return []
    found: list[tuple[int, int, int]] = []
    low_a = low_b = 0
    for i, j in [*anchors, (len(a), len(b))]:
        if low_a < i and low_b < j:
            gap = _bounded_blocks(a[low_a:i], b[low_b:j], work, depth + 1)
            found.extend((x + low_a, y + low_b, n) for x, y, n in gap if n)
        if i < len(a):
            found.append((i, j, 1))
        low_a, low_b = i + 1, j + 1
    return found


def _once(sequence: Sequence[Hashable]) -> dict[Hashable, int]:
    """The elements ``sequence`` holds exactly once, with their positions."""
    seen: dict[Hashable, int] = {}
    twice: set[Hashable] = set()
    for n, element in enumerate(sequence):
        if element in seen:
            twice.add(element)
        else:
            seen[element] = n
    return {element: n for element, n in seen.items() if element not in twice}


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by their first position) whose second positions
    rise too, the earliest of equals (patience sorting, in time n log n)."""
    tops: list[int] = []  # the least second position ending a run of each length
    ends: list[int] = []  # the index in ``pairs`` of that run's last pair
    before = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tops, j)
        if k == len(tops):
            tops.append(j)
            ends.append(n)
        else:
            tops[k] = j
            ends[k] = n
        before[n] = ends[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    n = ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = before[n]
    return run[::-1]


def unified_diff(
    a: Sequence[str], b: Sequence[str], from_path: str, to_path: str, lineterm: str = "\n"
) -> Iterator[str]:
    """``difflib.unified_diff`` of two files' lines (three lines of context), aligned in bounded
    time (``aligner``): difflib's own alignment takes time of the lengths' product on a file of
    repeated lines, minutes for a file of 30,000."""
    started = False
    for group in aligner(a, b).get_grouped_opcodes(3):
        if not started:
            started = True
            yield f"--- {from_path}{lineterm}"
            yield f"+++ {to_path}{lineterm}"
        first, last = group[0], group[-1]
        yield f"@@ -{_unified_range(first[1], last[2])} +{_unified_range(first[3], last[4])} @@{lineterm}"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def _unified_range(start: int, stop: int) -> str:
    """A hunk's range as a unified diff writes it (difflib's ``_format_range_unified``)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start + 1 if length else start},{length}"


def _matching_blocks(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    work: WorkBudget | None,
    where: Mapping[Hashable, list[int]] | None = None,
) -> list[difflib.Match]:
    """difflib's matching blocks of ``a`` and ``b`` with its heuristic for popular elements off
    (``SequenceMatcher.get_matching_blocks``: the longest block first, then the same on each side
    of it), when they cost at most ALIGN_WORK comparisons and what ``work`` has left; else the
    blocks of a longest common subsequence (``_common_blocks``). ``where`` is the positions of
    each element in ``b`` (difflib's ``b2j``), found here when not given."""
    most = ALIGN_WORK if work is None else min(ALIGN_WORK, work.left)
    if where is None:
        positions: dict[Hashable, list[int]] = {}
        for j, element in enumerate(b):
            positions.setdefault(element, []).append(j)
        where = positions
    nothing: list[int] = []
    copies = sum(len(where.get(x, nothing)) for x in a)
    # Each round of the search goes over the copies once at most, and finds a block or more.
    common: list[difflib.Match] | None = None
    if copies * (min(len(a), len(b)) + 1) > most:
        common = _common_blocks(a, b)
        if copies * len(common) > most:
            return common
    queue = [(0, len(a), 0, len(b))]
    found: list[tuple[int, int, int]] = []
    spent = 0
    while queue:
        low_a, high_a, low_b, high_b = queue.pop()
        i, j, size, cost = _longest_match(a, where, low_a, high_a, low_b, high_b)
        spent += cost
        if spent > most:
            if work is not None:
                work.left -= spent
            return common if common is not None else _common_blocks(a, b)
        if size:
            found.append((i, j, size))
            if low_a < i and low_b < j:
                queue.append((low_a, i, low_b, j))
            if i + size < high_a and j + size < high_b:
                queue.append((i + size, high_a, j + size, high_b))
    if work is not None:
        work.left -= spent
    return _as_blocks(sorted(found), len(a), len(b))


def changed_runs(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[int, list[tuple[range, range]]]:
    """How many elements of ``a`` stand unchanged in ``b``, and each run of changes between them
    (the positions of ``a`` it takes out, those of ``b`` it puts in), by the fewest edits: words
    swapped in place are two runs ("merge main into the branch", "merge the branch into main")."""
    from rapidfuzz.distance import Levenshtein

    same = 0
    runs: list[list[int]] = []
    open_run = False
    for op in Levenshtein.opcodes(*_as_numbers(a, b)):
        if op.tag == "equal":
            same += op.src_end - op.src_start
            open_run = False
        elif open_run:
            runs[-1][1], runs[-1][3] = op.src_end, op.dest_end
        else:
            runs.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
            open_run = True
    return same, [(range(i, j), range(k, m)) for i, j, k, m in runs]


def _as_numbers(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[list[int], list[int]]:
    """``a`` and ``b`` as numbers, one for each element equal to another (as a dictionary tells
    them, and difflib): rapidfuzz compares other elements by their hashes."""
    numbers: dict[Hashable, int] = {}
    return [numbers.setdefault(e, len(numbers)) for e in a], [numbers.setdefault(e, len(numbers)) for e in b]


def _common_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[difflib.Match]:
    """The blocks of a longest common subsequence of ``a`` and ``b`` (rapidfuzz's Indel, in C, in
    time of the lengths' product over 64), as difflib gives blocks; elements compared as equal
    (``_as_numbers``)."""
    from rapidfuzz.distance import Indel

    blocks = Indel.opcodes(*_as_numbers(a, b)).as_matching_blocks()
    return _as_blocks([(block.a, block.b, block.size) for block in blocks if block.size], len(a), len(b))


def _as_blocks(found: list[tuple[int, int, int]], size_a: int, size_b: int) -> list[difflib.Match]:
    """Blocks in order, those that touch made one, closed by the block of size 0 at the ends: the
    form of difflib's ``get_matching_blocks``."""
    import difflib

    blocks: list[difflib.Match] = []
    for i, j, size in found:
        if blocks and blocks[-1].a + blocks[-1].size == i and blocks[-1].b + blocks[-1].size == j:
            blocks[-1] = difflib.Match(blocks[-1].a, blocks[-1].b, blocks[-1].size + size)
        else:
            blocks.append(difflib.Match(i, j, size))
    blocks.append(difflib.Match(size_a, size_b, 0))
    return blocks


def _longest_match(
    a: Sequence[Hashable], where: Mapping[Hashable, list[int]], low_a: int, high_a: int, low_b: int, high_b: int
) -> tuple[int, int, int, int]:
    """The longest block of ``a[low_a:high_a]`` that ``b[low_b:high_b]`` holds (``where``: the
    positions of each element in ``b``), the earliest of equals, as difflib's
    ``find_longest_match`` finds it without junk, and the comparisons it cost."""
    best_i, best_j, best = low_a, low_b, 0
    lengths: dict[int, int] = {}
    cost = 0
    nothing: list[int] = []
    for i in range(low_a, high_a):
        positions = where.get(a[i], nothing)
        cost += len(positions)
        before = lengths.get
        lengths = {}
        for j in positions:
            if j < low_b:
                continue
            if j >= high_b:
                break
            k = lengths[j] = before(j - 1, 0) + 1
            if k > best:
                best_i, best_j, best = i - k + 1, j - k + 1, k
    return best_i, best_j, best, cost


def pair_contained(
    old: Mapping[int, str],
    new: Mapping[int, str],
    cutoff: float = CONTAINMENT_CUTOFF,
    allowed: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, float]]:
    """Pair texts where one holds the other's words in order (a clause gained or lost), one-to-one.

    Scored by ``containment``; at least ``cutoff`` of the shorter text's words, which has
    CONTAINMENT_MIN_WORDS words or more. The best pair is taken first, ties to the closest
    positions, then the earliest. Returns (old, new, similarity) with ``similarity``'s score.
    """
    validate_cutoff(cutoff)
    # Each text as its number of words and its distinct words; too short to pair are left out.
    shapes_old = [(i, len(w), frozenset(w)) for i in sorted(old) if len(w := words(old[i])) >= CONTAINMENT_MIN_WORDS]
    shapes_new = [(j, len(w), frozenset(w)) for j in sorted(new) if len(w := words(new[j])) >= CONTAINMENT_MIN_WORDS]
    found: list[tuple[list[_Candidate], None]] = []
    for i, size_old, words_old in shapes_old:
        candidates: list[_Candidate] = []
        for j, size_new, words_new in shapes_new:
            if size_old == size_new:
                continue  # equal lengths are a rewording, which the similarity passes judge
            # Words in order are words in common: where too few are, no alignment is needed.
            short, long = (words_old, words_new) if size_old < size_new else (words_new, words_old)
            size = min(size_old, size_new)
            if (size - len(short - long)) / size < cutoff or (allowed is not None and not allowed(i, j)):
                continue
            score = containment(old[i], new[j])
            if score >= cutoff:
                candidates.append((-score, abs(i - j), i, j))
        if candidates:
            found.append((candidates, None))
    return sorted((i, j, similarity(old[i], new[j])) for _, i, j in _one_to_one(found))
