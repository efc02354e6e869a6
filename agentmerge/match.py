"""Pair and cluster equivalent sections and items across agent files.

The shape follows difflib: exact alignment first (after normalisation), fuzzy pairing only in
what is left, with named and validated cutoffs. Only this module sees rapidfuzz.
"""

from __future__ import annotations

import re
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


# --------------------------------------------------------------------------------------------
# N-way clustering (consolidate)
