"""Text as matching sees it: normal forms, words, terms, polarity, roles, lead-in labels.

Formatting is not meaning: ``normalize`` removes emphasis, code spans, link syntax, escapes and
wrapping; ``terms`` reduces a text to its significant stemmed words (through the word lists of
``lexicon``). Pure functions of strings, cached, with no third-party imports.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agentmerge.lexicon import (
    GENERAL_ROLE,
    NEGATORS,
    ROOT_ROLE,
    SECTION_ROLES,
    STOPWORDS,
    SUFFIX_TEXT,
    TERM_SYNONYMS,
)

# --------------------------------------------------------------------------------------------
# Normal forms

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


@lru_cache(maxsize=65536)
def compare_form(text: str) -> str:
    """The form two items are compared in: the normal form, case-folded."""
    return normalize(text).casefold()


# --------------------------------------------------------------------------------------------
# Polarity


def negated(text: str) -> bool:
    """Whether ``text`` reads as a negative instruction: an odd number of negating words."""
    return sum(1 for word in words(text) if word in NEGATORS) % 2 == 1


def opposite_polarity(a: str, b: str) -> bool:
    """Whether one of two texts negates and the other does not ("always X" versus "never X").

    Such a pair is never the same instruction, however similar the other words are.
    """
    return negated(a) != negated(b)


# --------------------------------------------------------------------------------------------
# Terms: stemmed significant words


def _stem_synonyms() -> dict[str, str]:
    """TERM_SYNONYMS by stem, so inflected forms map too ("writing" like "write")."""
    table: dict[str, str] = {}
    for word, target in TERM_SYNONYMS.items():
        if target and word.isalpha() and word not in table:
            table[stem(word)] = stem(target) if target.isalpha() else target
    return table


MIN_STEM = 3
"""Fewest letters a stem keeps."""

# The suffixes grouped by length, longest first: a word ends in at most one suffix of each length.
_SUFFIXES_BY_SIZE = tuple(
    (size, frozenset(s for s in SUFFIX_TEXT.split() if len(s) == size))
    for size in sorted({len(s) for s in SUFFIX_TEXT.split()}, reverse=True)
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
            if len(word) - size >= MIN_STEM and word[-size:] in endings:
                word = word[:-size]
                break
        else:
            break
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou":
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
        if word in NEGATORS or word in STOPWORDS:
            continue
        word = TERM_SYNONYMS.get(word, word)
        if not word:
            continue
        if "'" in word:
            word = word.split("'", 1)[0]
        stemmed = stem(word)
        out.append(_STEM_SYNONYMS.get(stemmed, stemmed))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Section roles and lead-in labels


@lru_cache(maxsize=1)
def _role_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """SECTION_ROLES compiled, once, on first use: a diff that never asks a section's role (and
    every command's start-up) does not pay the few milliseconds that compiling them costs."""
    return tuple((rule.role, re.compile(rule.pattern, re.IGNORECASE)) for rule in SECTION_ROLES)


def section_role(title: str | None) -> str:
    """The role of a section titled ``title`` (None is the root): one of SECTION_ROLES, or general."""
    if title is None:
        return ROOT_ROLE
    text = normalize(title)
    for role, pattern in _role_patterns():
        if pattern.search(text):
            return role
    return GENERAL_ROLE


LABEL_MAX_WORDS = 5
"""Most words a plain ``Label: text`` lead-in may have; longer prefixes are sentences."""


@lru_cache(maxsize=1)
def _label_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The bold and the plain lead-in label patterns, compiled on first use."""
    return (
        re.compile(
            r"^(\*\*|__)(?P<label>(?:(?!\1).)+?)(?::\1|\1[ \t]*(?::|[ \t]+[-\u2013\u2014](?=[ \t]|$)))[ \t]*", re.DOTALL
        ),
        re.compile(r"^(?P<label>[A-Za-z][\w &/+.'()-]{0,40}?):(?=[ \t]|$)[ \t]*"),
    )


@lru_cache(maxsize=65536)
def lead_label(text: str, *, bare: bool = True) -> str | None:
    """The lead-in label of ``**Label**: rest``, ``**Label:** rest``, ``**Label** - rest`` or
    ``Label: rest``, without markup or colon; None when the text opens with none.

    A plain label starts with a letter and has at most LABEL_MAX_WORDS words (and is not a URL or a
    ``Note``); longer prefixes are sentences. With ``bare`` false a label needs text after it, as
    the model's ``Item.label`` does; a bare label line (``**Suggested Fix**:``) counts otherwise.
    """
    bold_re, plain_re = _label_patterns()
    bold = bold_re.match(text)
    if bold and (bare or _has_text(text, bold.end())):
        title = bold.group("label").strip()
        return (title[:-1].strip() if title.endswith(":") else title) or None
    plain = plain_re.match(text)
    if plain and (bare or _has_text(text, plain.end())):
        label = plain.group("label").strip()
        if len(label.split()) <= LABEL_MAX_WORDS and not label.lower().startswith(("http", "note")):
            return label
    return None


def _has_text(text: str, at: int) -> bool:
    """Whether text follows a label on its own line (not only on a later one)."""
    return at < len(text) and not text[at].isspace()


def label_only(text: str) -> bool:
    """Whether an item is a bare label (``**Suggested Fix**:``): its content, if any, is elsewhere."""
    return normalize(text).endswith(":")
