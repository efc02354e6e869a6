"""Pair and cluster equivalent sections and items across agent files.

The shape follows difflib: exact alignment first (after normalisation), fuzzy pairing only in
what is left, with named and validated cutoffs. Only this module sees rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

# --------------------------------------------------------------------------------------------
# Normalisation: the forms used for matching. Formatting is not meaning.

_LINK_RE = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_EMPHASIS_RE = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
_CODE_RE = re.compile(r"`+([^`]*)`+")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_HIDDEN_RE = re.compile("[\U000f0000-\U000f00ff]")
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
    text = _CODE_RE.sub(r"\1", text)
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


def _similarity_bound(a: str, b: str) -> float:
    """An upper bound of ``similarity`` from the lengths alone (Indel ratio bound)."""
    la, lb = len(compare_form(a)), len(compare_form(b))
    return 1.0 if la + lb == 0 else 2.0 * min(la, lb) / (la + lb)


def title_similarity(a: str | None, b: str | None) -> float:
    """Similarity of two section titles in [0, 1]; 1.0 when their normal forms are equal.

    Significant words contained in the other title count as agreement, so a title that only
    adds "Your", "Core" or "Key" to the other stays close to it.
    """
    if a is None or b is None:
        return 1.0 if a is b else 0.0
    x, y = compare_form(a).rstrip(":").strip(), compare_form(b).rstrip(":").strip()
    if x == y:
        return 1.0
    wa = {w for w in words(a) if w not in _TITLE_STOPWORDS}
    wb = {w for w in words(b) if w not in _TITLE_STOPWORDS}
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
    validate_cutoff(cutoff)
    candidates: list[tuple[float, int, int, int]] = []
    for i, a in old.items():
        for j, b in new.items():
            if allowed is not None and not allowed(i, j):
                continue
            if _similarity_bound(a, b) < cutoff:
                continue
            score = similarity(a, b)
            if score >= cutoff:
                candidates.append((-score, abs(i - j), i, j))
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


def best_matches(old: Mapping[int, str], new: Mapping[int, str], cutoff: float) -> dict[int, int]:
    """For each key of ``old``, the key of its equal or most similar text in ``new`` (not 1-to-1).

    Used as evidence for pairing sections: how many of one section's items have their best
    match in the other section.
    """
    from rapidfuzz import fuzz, process

    by_text: dict[str, int] = {}
    for j in sorted(new, reverse=True):
        by_text[new[j]] = j
    keys = list(new)
    choices = [compare_form(new[j]) for j in keys]
    found: dict[int, int] = {}
    for i, text in old.items():
        if text in by_text:
            found[i] = by_text[text]
            continue
        if not choices:
            continue
        best = process.extractOne(compare_form(text), choices, scorer=fuzz.ratio, score_cutoff=cutoff * 100)
        if best is not None:
            found[i] = keys[best[2]]
    return found


def longest_common_order(pairs: Sequence[tuple[int, int]]) -> set[tuple[int, int]]:
    """The largest set of ``pairs`` whose old and new positions are in the same order.

    The pairs left out are the ones that moved: the reviewer sees the fewest moves that explain
    the new order.
    """
    ordered = sorted(pairs)
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
