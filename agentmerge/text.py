"""Text as matching sees it: normal forms, words, terms, polarity, roles, lead-in labels.

Formatting is not meaning: ``normalize`` removes emphasis, code spans, link syntax, escapes and
wrapping; ``terms`` reduces a text to its significant stemmed words (through the word lists of
``lexicon``). Pure functions of strings, cached, with no third-party imports.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

from agentmerge.lexicon import (
    AFFIRMERS,
    BOUND_WORDS,
    CHOICE_GROUPS,
    CHOICES,
    CLAUSE_OPENERS,
    CONDITION_WORDS,
    CONTRACTED_VERBS,
    CONTRASTS,
    DISTINCT_ROLES,
    EMPTY_CONDITIONS,
    ENCRYPTED_SCHEMES,
    EXAMPLE_HOSTS,
    EXAMPLE_SUFFIXES,
    EXCEPTION_WORDS,
    FRAME_WORDS,
    GENERAL_ROLE,
    GUIDANCE_ROLE,
    HEDGES,
    JOINED_PROHIBITIONS,
    NEGATORS,
    OBLIGATION_LEVELS,
    ONLY_WORDS,
    OPPOSITES,
    ORDER_WORDS,
    OVERRIDE_LEADS,
    OVERRIDE_OBJECTS,
    OVERRIDE_SCOPES,
    OVERRIDE_VERBS,
    PITFALLS_ROLE,
    PROHIBITIONS,
    QUANTIFIER_LEVELS,
    ROOT_ROLE,
    SAME_WORDS,
    SCOPE_CHOICES,
    SECTION_ROLES,
    SET_ASIDE_WORDS,
    STOPWORDS,
    SUFFIX_TEXT,
    TERM_SYNONYMS,
    TOOL_DIRECTIVES,
    UNITS,
    UNSAID_WORDS,
)

# --------------------------------------------------------------------------------------------
# Caches of what the inputs say

_T = TypeVar("_T")

_TEXT_CACHES: list[_lru_cache_wrapper[Any]] = []


def text_cache(maxsize: int) -> Callable[[Callable[..., _T]], _lru_cache_wrapper[_T]]:
    """``functools.lru_cache`` for a function of what an input says (its texts, words, titles),
    registered so that ``clear_text_caches`` empties it. Patterns and settings keep plain
    ``lru_cache``: they are the same for every file."""

    def cached(function: Callable[..., _T]) -> _lru_cache_wrapper[_T]:
        wrapper = lru_cache(maxsize=maxsize)(function)
        _TEXT_CACHES.append(wrapper)
        return wrapper

    return cached


def clear_text_caches() -> None:
    """Empty every ``text_cache``. A command that works through many files calls it after each
    (``library.map_work``, ``review``): what one file says is seldom asked of the next, and full
    caches of a thousand files' texts held 290 MB and made each garbage collection walk them."""
    for cache in _TEXT_CACHES:
        cache.cache_clear()


# --------------------------------------------------------------------------------------------
# Normal forms

_WORD_CHAR_RE = re.compile(r"\w")
_TICKS_RE = re.compile(r"`+")
_ESCAPE_RE = re.compile(r"\\[!-/:-@\[-`{-~]")
"""A backslash escape: a backslash before any ASCII punctuation character, as CommonMark reads one."""
_ESCAPE_OR_TICKS_RE = re.compile(f"{_ESCAPE_RE.pattern}|`+")
_HIDDEN_RE = re.compile("[\U000f0000-\U000f00ff]")
_CODE_LITERAL_RE = re.compile(r"[*_~\[\]()!]")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?(?:[+#]+)?")

UNSPACED = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
"""Kana and CJK ideographs, as ranges of code points: scripts written without spaces between
words (a word of theirs is one to four characters). ``words`` reads them two characters at a time,
``diff``'s redline one at a time (``unspaced_class``)."""


TOP_OF_FILE = "(top of file)"
"""How reports name the part of a file before its first heading."""


def series(words: Sequence[str], last: str = "and") -> str:
    """``words`` as a sentence lists them: ``a, b and c`` (``or`` for ``last="or"``)."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def plural(count: int, word: str) -> str:
    """``word`` for one, else with an s ("group", "groups"): every count a message says."""
    return word if count == 1 else f"{word}s"


def counted(count: int, word: str) -> str:
    """``count`` and ``word``, in the plural unless one: "1 group", "3 groups", "1,024 items"."""
    return f"{count:,} {plural(count, word)}"


NAMES_SAID = 12
"""Most names one message lists (``named``); the rest are counted. A stranger's agent may list
thousands of tools, and a warning is one line a reader reads."""


def named(names: Sequence[str], most: int = NAMES_SAID) -> str:
    """``names`` joined by commas, those after the first ``most`` only counted: "a, b and 3 more"."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])} and {len(names) - most:,} more"


def kebab_case(name: str) -> str:
    """``name`` in lower case with each run of other characters than ``a-z`` and ``0-9`` one
    hyphen, none at either end ("Code Reviewer (v2)" as "code-reviewer-v2"): Claude Code's rule
    for a subagent's name, and agentmerge's for a file it names. "" when nothing is left.

    A language named by a letter and ``#`` or ``++`` keeps the sign as its usual spelling ("C#
    Expert" as "csharp-expert", "C++ Pro" as "cpp-pro"): dropped, C# and C++ would both be C. A
    letter's accents are dropped, not the letter ("Révision de code" as "revision-de-code", not
    "r-vision-de-code"); letters of scripts other than Latin are other characters."""
    folded = name.casefold()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    spelled = _KEBAB_SIGN_RE.sub(lambda m: m[1] + ("sharp" if m[2] == "#" else "pp"), folded)
    return _KEBAB_GAP_RE.sub("-", spelled).strip("-")


_KEBAB_GAP_RE = re.compile(r"[^a-z0-9]+")
_KEBAB_SIGN_RE = re.compile(r"(?<![a-z0-9])([a-z])(#|\+\+)(?![a-z0-9#+])")
"""A one-letter language and its sign: c#, f#, c++, g++ (not "issue#12", not "a+++b")."""


EMPHASIS_PASSES = 8
"""Most times emphasis is stripped from one text; each pass removes one level of nesting.

Real texts nest two or three levels (``***bold italic***``); the cap keeps a text of thousands of
nested openers from costing one pass per level."""


_DELIMITER_CELL_RE = re.compile(r":?-+:?")


def table_row_form(line: str) -> str:
    """A table row as rows are compared: its cells without padding, joined by `` | ``, and a
    delimiter row's cells by their alignment alone (``|------|:-----|`` reads as ``| --- | :-- |``
    does): how far the dashes run means nothing in a table, and a formatter that aligns the
    columns rewrites that row on every table it touches."""
    cells = table_cells(line)
    if all(_DELIMITER_CELL_RE.fullmatch(cell) for cell in cells):
        cells = [f"{':' if c[0] == ':' else ''}-{':' if len(c) > 1 and c[-1] == ':' else ''}" for c in cells]
    return " | ".join(cells)


def table_cells(line: str) -> list[str]:
    """The cells of a table row, without padding."""
    return [" ".join(cell.split()) for cell in line.strip().strip("|").split("|")]


def table_form(text: str) -> str:
    """A table as tables are compared: each row's ``table_row_form``, one a line."""
    return "\n".join(map(table_row_form, text.strip().split("\n")))


@text_cache(65536)
def normalize(text: str) -> str:
    """Return ``text`` without formatting: emphasis, backticks, link syntax, escapes, wrapping.

    Case and punctuation are kept, so two texts with the same normal form say the same thing
    the same way; ``**Use** `uv`\\n  always`` and ``__Use__ uv always`` both give ``Use uv always``.
    Every step is linear in the length of the text (up to a logarithm), whatever it holds.
    """
    # Soft line breaks first: emphasis and code spans may run across a re-wrapped line.
    text = _SPACE_RE.sub(" ", text)
    # Escaped characters and code span content are hidden from the link and emphasis rules, then
    # put back as plain text: a code span's ``*`` and ``_`` must not pair with emphasis outside it.
    text = _strip_code_spans(text)
    text = _strip_links(text)
    for _ in range(EMPHASIS_PASSES):
        stripped = _strip_emphasis(text)
        if stripped == text:
            break
        text = stripped
    text = _HIDDEN_RE.sub(lambda m: chr(ord(m.group(0)) - 0xF0000), text)
    return _SPACE_RE.sub(" ", text).strip()


def _strip_code_spans(text: str) -> str:
    """``text`` with its backslash escapes hidden, and each code span's backticks taken off and its
    content made literal (its ``*``, ``_``, ``~``, brackets and parentheses hidden from the link
    and emphasis rules), as CommonMark reads them, from left to right: a backslash before ASCII
    punctuation escapes it, so an escaped backtick opens nothing; a run of backticks opens a span
    that the next run of the same length closes, and inside a span a backslash escapes nothing (a
    span of a Windows drive, ``C:`` and a backslash, ends at its second backtick) and a space at
    each end is padding (``` `` `x` `` ``` holds `` `x` ``); a run that no such run follows is
    text ("Haskell```" shows its three backticks). Linear up to a logarithm: each run looks its
    closer up by bisection among the runs of its length."""
    if "`" not in text:
        return _ESCAPE_RE.sub(_hide, text) if "\\" in text else text
    from bisect import bisect_left

    runs: dict[int, list[int]] = {}  # the start of every run of backticks, by its length
    for run in _TICKS_RE.finditer(text):
        runs.setdefault(run.end() - run.start(), []).append(run.start())
    out: list[str] = []
    done = 0
    found: re.Match[str] | None = _ESCAPE_OR_TICKS_RE.search(text)
    while found is not None:
        at, end = found.span()
        if text[at] == "\\":
            out.append(text[done:at])
            out.append(_hide(found))
            done = end
        else:
            # All of a run, or what follows its escaped first backtick.
            closers = runs.get(end - at, [])
            index = bisect_left(closers, end)
            if index < len(closers):
                close = closers[index]
                content = text[end:close]
                if content[:1] == content[-1:] == " " and content.strip(" "):
                    content = content[1:-1]  # the padding that lets a span start or end with a backtick
                out.append(text[done:at])
                out.append(_CODE_LITERAL_RE.sub(_hide, content))
                done = end = close + (end - at)
        found = _ESCAPE_OR_TICKS_RE.search(text, end)
    out.append(text[done:])
    return "".join(out)


def _hide(found: re.Match[str]) -> str:
    """The last character ``found`` holds (a literal one, or the one a backslash escapes) as a
    private-use character, which no formatting rule reads (``_HIDDEN_RE`` gives it back)."""
    return chr(0xF0000 + ord(found.group(0)[-1]))


def _strip_links(text: str) -> str:
    """``[label](url "title")`` as ``label (url)`` (``label`` alone without a url), images too.

    The same as ``re.sub`` with ``!?\\[([^\\]]*)\\]\\(([^)\\s]*)(?:\\s+"[^"]*")?\\)``, whose retries
    take quadratic time on ``[[[...`` (each ``[`` scans to the same ``]``) and on ``[a](`` repeated
    (each ``](`` scans to the same end of the url). Here every ``[`` before one ``]`` meets the same
    tail, so it is tried once, and the end of a url is looked up once for all ``](`` before it.
    """
    if "](" not in text:
        return text
    out: list[str] = []
    done = 0
    tails: dict[int, int] = {}  # where a url stops -> end of the link, or -1 when no link ends there
    stop = -1
    start = text.find("[")
    while start >= 0:
        close = text.find("]", start)
        if close < 0:
            break
        if not text.startswith("](", close):
            start = text.find("[", close + 1)
            continue
        if stop < close + 2:
            found = _URL_STOP_RE.search(text, close + 2)
            stop = found.start() if found else len(text)
        if stop not in tails:
            tails[stop] = _link_end(text, stop)
        end = tails[stop]
        if end < 0:
            start = text.find("[", close + 1)
            continue
        opening = start - 1 if start > done and text[start - 1] == "!" else start
        label, url = text[start + 1 : close], text[close + 2 : stop]
        out.append(text[done:opening])
        out.append(f"{label} ({url})" if url else label)
        done = end
        start = text.find("[", done)
    out.append(text[done:])
    return "".join(out)


_URL_STOP_RE = re.compile(r"[)\s]")
_LINK_TITLE_RE = re.compile(r"\s+\"[^\"]*\"\)")


def _link_end(text: str, stop: int) -> int:
    """Where a link whose url stops at ``stop`` ends: after ``)`` or after ``"title")``; -1 if it does not."""
    if stop < len(text) and text[stop] == ")":
        return stop + 1
    title = _LINK_TITLE_RE.match(text, stop)
    return title.end() if title else -1


# The delimiters an emphasis opener may be, by its first character, in the order a regular
# expression alternation tries them at one position; each with the pattern of the positions that
# can close it: after a non-space character, and for underscores not before a word character.
_DELIMITERS: dict[str, tuple[tuple[str, str], ...]] = {
    "*": (("**", r"(?<=\S)(?=\*\*)"), ("*", r"(?<=\S)(?=\*)")),
    "~": (("~~", r"(?<=\S)(?=~~)"),),
    "_": (("__", r"(?<=\S)(?=__(?!\w))"), ("_", r"(?<=\S)(?=_(?!\w))")),
}
_MARK_RE = re.compile(r"[*_~](?=\S)")


def _strip_emphasis(text: str) -> str:
    """One pass of emphasis stripping: each ``**x**``, ``*x*``, ``~~x~~``, ``__x__``, ``_x_`` becomes ``x``.

    The same as one ``re.sub`` with the pattern
    ``(\\*\\*|\\*|~~)(?=\\S)(.+?)(?<=\\S)\\1|(?<!\\w)(__|_)(?=\\S)(.+?)(?<=\\S)\\3(?!\\w)``,
    whose lazy search for a closer from every opener takes quadratic time when no closer comes
    (``*a **b *a **b ...``). Here the positions that can close each delimiter are listed once,
    and each opener looks its closer up by bisection.
    """
    # Only a delimiter character before a non-space character can open emphasis.
    marks = [found.start() for found in _MARK_RE.finditer(text)]
    if not marks:
        return text
    from bisect import bisect_left

    size = len(text)
    closers: dict[str, list[int]] = {}
    out: list[str] = []
    append = out.append
    done = 0
    for found in marks:
        if found < done:
            continue
        first = text[found]
        # An underscore opens only where no word character stands before it.
        if first == "_" and found and _WORD_CHAR_RE.match(text, found - 1):
            continue
        for mark, closing in _DELIMITERS[first]:
            width = len(mark)
            after = found + width
            if after >= size or (width == 2 and text[found + 1] != first) or text[after].isspace():
                continue
            candidates = closers.get(mark)
            if candidates is None:
                candidates = closers[mark] = [end.start() for end in re.finditer(closing, text)]
            index = bisect_left(candidates, after + 1)
            if index == len(candidates):
                continue
            close = candidates[index]
            append(text[done:found])
            append(text[after:close])
            done = close + width
            break
    if not out:
        return text
    append(text[done:])
    return "".join(out)


_SENTENCE_RE = re.compile(r"[.!?](?:\s+|$)(?=[A-Z*`\-]|$)")


def sentences_of(plain: str) -> list[str]:
    """The sentences of a text in normal form (``normalize``): split after a full stop, question
    or exclamation mark that ends the text or is followed by a capital, emphasis, a code span or
    a dash; empty pieces left out."""
    return [part for part in _SENTENCE_RE.split(plain) if part.strip()]


_LINE_START_RE = re.compile(r"\n[ \t]*(?=[A-Z0-9*_`\[\-])")


def instruction_lines(text: str) -> list[str]:
    """The lines of ``text`` that each begin as an instruction: split at every line break
    followed by a capital, a digit, emphasis, a code span, a link or a dash, so that a paragraph
    written one instruction per line ("**1** **Names**: ...", then "**2** **Setup**: ...") reads
    as several, while a wrapped sentence ("... with\nthe standard library") stays one."""
    return _LINE_START_RE.split(text)


def words(text: str) -> list[str]:
    """Lower-case word tokens of the normal form of ``text``, letters and digits of any script.

    Kana and CJK ideographs (``UNSPACED``) have no spaces to tell their words apart: each run of
    them, punctuation and spaces within it passed over, gives every pair of neighbouring
    characters ("类型提示" gives "类型", "型提" and "提示"), the usual way to index such text
    without a dictionary. Two wordings share the pairs of the words they share, and a comma put
    in changes no word, as in English.
    """
    if text.isascii():
        return _WORD_RE.findall(normalize(text).casefold())
    # Composed first: a letter written as a base and a combining accent is one letter, not a cut.
    found = marked_words(unicodedata.normalize("NFC", normalize(text).casefold()))
    out: list[str] = []
    run = ""
    for word in found:
        parts = ((False, word),) if max(word) < _FIRST_UNSPACED else _script_runs(word)
        for without_spaces, part in parts:
            if without_spaces:
                run += part
                continue
            out.extend(_pairs(run))
            out.append(part)
            run = ""
    out.extend(_pairs(run))
    return out


_UNSPACED_BOUNDS = tuple(bound for low, high in UNSPACED for bound in (low, high + 1))
"""Where each range of ``UNSPACED`` begins and where it has ended: a code point is in one when
an odd number of these are at or below it."""
_FIRST_UNSPACED = chr(UNSPACED[0][0])
"""The first character of ``UNSPACED``'s ranges: a word of characters all below it (Latin,
Cyrillic, Greek, ...) holds none of them."""


def marked_words(plain: str, pattern: re.Pattern[str] = _WORD_RE) -> list[str]:
    """``pattern``'s words of ``plain`` with the combining marks that follow a word's letters kept
    in it: the vowel signs and viramas of Devanagari and the other Brahmic scripts, Thai's vowels,
    Hebrew's and Arabic's points are marks, which a pattern's letters (``\\w``) leave out, and
    "हिन्दी" would be read as three consonants. A mark between two runs of letters joins them."""
    out: list[str] = []
    end = 0
    for found in pattern.finditer(plain):
        gap = plain[end : found.start()]
        marks = leading_marks(gap)
        if out and gap and marks == len(gap):
            out[-1] += gap + found.group()
        else:
            if out:
                out[-1] += gap[:marks]
            out.append(found.group())
        end = found.end()
    if out:
        out[-1] += plain[end : end + leading_marks(plain[end:])]
    return out


def leading_marks(text: str) -> int:
    """How many combining marks ``text`` opens with."""
    count = 0
    while count < len(text) and unicodedata.category(text[count])[0] == "M":
        count += 1
    return count


def _unspaced(char: str) -> bool:
    """Whether ``char`` is of a script written without spaces (``UNSPACED``)."""
    return bisect.bisect_right(_UNSPACED_BOUNDS, ord(char)) % 2 == 1


def unspaced_class() -> str:
    """``UNSPACED`` as the ranges of a regular expression's character class."""
    return "".join(f"{chr(low)}-{chr(high)}" for low, high in UNSPACED)


def _script_runs(word: str) -> list[tuple[bool, str]]:
    """``word`` cut where it turns from a script written with spaces to one without or back, each
    part with whether it is of the latter (``UNSPACED``)."""
    return [(without_spaces, "".join(chars)) for without_spaces, chars in itertools.groupby(word, key=_unspaced)]


def _pairs(run: str) -> list[str]:
    """The pairs of neighbouring characters of ``run``; a single character alone."""
    if len(run) < 3:
        return [run] if run else []
    return [run[n : n + 2] for n in range(len(run) - 1)]


def clip(text: str, width: int) -> str:
    """``text`` on one line (runs of white space as one space), cut to ``width`` characters with
    an ellipsis: how reports quote an instruction or a value."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def clipped_apart(
    a: str, b: str, width: int, *, cut: Callable[[str, int], str] = clip, mark: str = "\u2026"
) -> tuple[str, str]:
    """Two texts quoted in ``width`` characters each, cut by ``cut``, so that two different texts
    get different quotes: when their quotes would be the same, both start, after ``mark``, at
    the word before the one where the texts part (at most half a quote before it)."""
    a, b = " ".join(a.split()), " ".join(b.split())
    quote_a, quote_b = cut(a, width), cut(b, width)
    if quote_a != quote_b or a == b:
        return quote_a, quote_b
    part = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(a.rfind(" ", 0, max(a.rfind(" ", 0, part), 0)) + 1, part - width // 2)
    rest = width - len(mark)
    return mark + cut(a[start:], rest), mark + cut(b[start:], rest)


@text_cache(65536)
def compare_form(text: str) -> str:
    """The form two items are compared in: the normal form, case-folded."""
    return normalize(text).casefold()


# --------------------------------------------------------------------------------------------
# Polarity


@text_cache(65536)
def negated(text: str) -> bool:
    """Whether ``text`` is a negative instruction: its first clause forbids or names an absence.

    Polarity is read per clause, from how the clause opens (after a lead-in label and words such
    as "always" or "you must"): "Never log secrets", "Don't X", "Avoid X", "No X", "Missing X".
    A negation inside the clause does not flip it: "Test behavior, not implementation", "not
    just X but Y", "X rather than Y", "without manual exports" and "(not between tabs)" all ask
    for something; but a prohibition said of the thing forbidden in the main clause does
    ("Production data must never be deleted", "Deleting it is forbidden"), and one after a frame
    or a hedge ("In every environment, never delete ...", "Try not to merge ..."). A bare
    negating label over a positive body (``**Never Trust Input:** Treat all input as
    untrusted``) reads by its body; a label that is only a prohibition (``**Avoid**: global
    state``) negates it.
    """
    head, plain = _label_and_body(text)
    if head is not None:
        return _clause_negated(head)
    return _clause_forbids(_CLAUSE_RE.split(plain, maxsplit=1)[0])


def _clause_forbids(clause: str) -> bool:
    """Whether ``clause`` forbids or names an absence, as ``negated`` reads a first clause."""
    clause = clause.casefold().replace("\u2019", "'")
    if _negation_cues().isdisjoint(_POLARITY_WORD_RE.findall(clause)):
        return False  # no word a prohibition needs: most texts, read at once
    # Read as written ("In no case, merge ..."), then past a frame and hedges ("In every
    # environment, never delete ...", "Try not to merge ...").
    return any(
        _clause_negated(each) or _forbids_passively(each)
        for each in dict.fromkeys((clause, _without_hedges(_without_frame(clause))))
    )


@lru_cache(maxsize=1)
def _negation_cues() -> frozenset[str]:
    """The words one of which every prohibition ``negated`` reads has: the last word of each of
    PROHIBITIONS ("not" of "do not"), "forbidden" and "prohibited"."""
    return frozenset({*(phrase.split()[-1] for phrase in PROHIBITIONS), "forbidden", "prohibited"})


_SUBORDINATORS = frozenset({*CONDITION_WORDS, "because", "while", "whether", "since"})


def _forbids_passively(clause: str) -> bool:
    """Whether ``clause`` forbids by what it says of the thing forbidden (``_passive_prohibition_re``)
    in its main clause: not in a relative or subordinate clause before it ("Read the list of files
    that must not be changed", "Tell the user when an action is not allowed" ask something)."""
    found = _passive_prohibition_re().search(clause)
    if found is None:
        return False
    before = _POLARITY_WORD_RE.findall(clause[: found.start()])
    return not before or (before[-1] not in ("that", "which", "who") and _SUBORDINATORS.isdisjoint(before))


@lru_cache(maxsize=1)
def _hedges_re() -> re.Pattern[str]:
    """HEDGES as one pattern, "not" allowed inside one ("try not to")."""
    phrases = (r"(?:\s+not)?\s+".join(re.escape(w) for w in hedge.split()) for hedge in HEDGES)
    return re.compile(rf"\b(?:{'|'.join(phrases)})\b", re.IGNORECASE)


def _without_hedges(text: str) -> str:
    """``text`` with its HEDGES taken out, a "not" inside one left in ("Try not to merge" reads
    "not merge")."""
    return _hedges_re().sub(lambda found: " not " if " not " in found.group().lower() else " ", text)


def _hedges_rule(text: str) -> bool:
    """Whether the hedge in ``text`` (HEDGES) bends the rule itself: it opens the first clause
    (after a frame, a lead-in label, who is told and words such as "should"), or it closes the
    text ("as much as possible"); not one inside what the rule describes ("The codebase is
    generally written in Go")."""
    plain = label_body(text) or text
    plain = normalize(plain).casefold()
    plain = _without_frame(plain)
    found = _hedges_re().search(plain)
    if found is None:
        return False
    before = set(_POLARITY_WORD_RE.findall(plain[: found.start()]))
    after = plain[found.end() :].strip(" .!;)")
    return before <= set(CLAUSE_OPENERS) | SUBJECT_WORDS or not after


def _hedge_put(a: str, b: str) -> tuple[str, str, bool] | None:
    """``obligation_change`` of a rule and the same words with a hedge (HEDGES) put in or taken
    out, an "always" it stands for aside: "Never merge on red builds" to "Try not to merge on red
    builds", "Always escalate outages" to "Usually escalate outages" bind less; None otherwise."""
    hedges = [_hedges_re().search(t) for t in (a, b)]
    if bool(hedges[0]) == bool(hedges[1]):
        return None
    hedged = next(t for t, found in zip((a, b), hedges, strict=True) if found)
    if not _hedges_rule(hedged):
        return None  # a hedge in what the rule describes: "Reject PRs that try to disable CI"
    bare = [tuple(w for w in word_forms(_without_hedges(t)) if w not in AFFIRMERS) for t in (a, b)]
    if bare[0] != bare[1]:
        return None
    looser = hedges[1] is not None
    said = " ".join((hedges[1] or hedges[0]).group().lower().split())  # type: ignore[union-attr]
    return _escape_change(said, looser)


def _without_frame(clause: str) -> str:
    """``clause`` without the frame it opens with, to its comma ("In every environment, never
    delete ...", "If tests fail, do not merge"): what follows says the clause's polarity."""
    framed = _polarity_patterns()[0].match(clause) if "," in clause else None
    return clause[framed.end() :] if framed else clause


def _passive_prohibition_re() -> re.Pattern[str]:
    """A prohibition said of the thing forbidden or of who is told, anywhere in a clause
    ("Production data must never be deleted", "The agent must never delete branches", "Backups
    may never be deleted", "Deleting production data is forbidden"),
    or opening with "under no circumstances", "in no case" or "at no time"."""
    return _polarity_patterns()[1]


@lru_cache(maxsize=1)
def _polarity_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns of ``_without_frame`` and ``_passive_prohibition_re``, compiled on first use
    (each command's start-up does not pay for them)."""
    return (
        re.compile(rf"^\W*(?:{'|'.join(sorted(FRAME_WORDS))})\b[^,]*,\s*"),
        re.compile(
            r"\b(?:must|should|shall)(?:\s+not|n't|\s+never)\b|\b(?:may|can)\s+never\s+be\b"
            r"|\b(?:is|are)\s+(?:forbidden|prohibited|not\s+(?:allowed|permitted))\b"
            r"|^\W*(?:under no circumstances|in no case|at no time)\b"
        ),
    )


@text_cache(8192)
def clause_polarities(text: str) -> frozenset[bool]:
    """Whether each clause of ``text`` is negative (``negated`` reads the first, the others by how
    they open): {False, True} for "Avoid X in components; instantiate it once at the root" and
    for "Instantiate X once at the root, never in a component" alike, which say one thing in two
    orders; {False} against {True} for "When deploying, always run X" and "..., never run X"."""
    rest = _CLAUSE_RE.split(_label_and_body(text)[1])[1:]
    return frozenset({negated(text), *(_clause_negated(c.strip().casefold()) for c in rest if c.strip())})


def forbids(text: str) -> bool:
    """Whether a clause of ``text`` forbids (``prohibitions``)."""
    return prohibitions(text) > 0


def first_clause(text: str) -> str:
    """The clause ``negated`` reads ``text``'s polarity by: its lead-in label where that alone
    decides, else the first clause of the rest."""
    head, body = _label_and_body(text)
    return head if head is not None else _CLAUSE_RE.split(body, maxsplit=1)[0]


@text_cache(8192)
def prohibitions(text: str) -> int:
    """How many clauses of ``text`` forbid, each read as ``negated`` reads a first clause ("A
    failed upload must not corrupt the cache" forbids wherever it stands), with a clause joined on
    by "and" or "but" that opens with an order not to (``lexicon.JOINED_PROHIBITIONS``): "Review
    the diff, and never approve your own PR" forbids once, as "Review the diff. Never approve your
    own PR." does; a lead-in label that forbids counts as a clause ("**NEVER use eval** - unsafe").
    What a parenthesis says aside is not read ("(not "Added X" - no exceptions)"), nor a contrast
    ("Test behavior, not implementation", "Sign commits, but not bot commits": an exception to
    what is asked), nor a description ("..., and does not cover the component")."""
    plain = _PARENTHESIS_RE.sub(" ", text) if "(" in text else text
    head, body = _label_and_body(plain)
    rest = (clause.strip() for clause in _CLAUSE_RE.split(body)[1:])
    found = int(negated(plain)) + sum(_clause_forbids(clause) for clause in rest if clause)
    label = lead_label(plain) if head is None else None
    if label is not None and body:
        found += _clause_forbids(normalize(label))  # "**NEVER use eval** - unsafe"
    return found + len(_joined_prohibition_re().findall(body))


_PARENTHESIS_RE = re.compile(r"\([^()]*\)")


@lru_cache(maxsize=1)
def _joined_prohibition_re() -> re.Pattern[str]:
    openers = "|".join(re.escape(p).replace("'", "['\u2019]") for p in JOINED_PROHIBITIONS)
    return re.compile(rf"(?:,\s*|\s)(?:and|but)\s+(?:{openers})\b", re.IGNORECASE)


def prohibition_put(old: str, new: str) -> bool | None:
    """True when ``new`` forbids something (``prohibitions``) and ``old`` forbade nothing, or
    ``new`` adds words to ``old`` and forbids once more; False the other way ("Deploy on
    weekdays. Never deploy on Fridays." to "Deploy on weekdays.", "Never X, and never Y" to
    "Never X"); None otherwise: two prohibitions said as one ("Never X; never Y" to "Never X or
    Y"), or one said as an alternative turned down ("Use X. Do not use Y." to "Use X instead of
    Y"), is no prohibition taken out."""
    was, now = prohibitions(old), prohibitions(new)
    if was == now or _ALTERNATIVE_RE.search(old if now > was else new):
        return None  # or one said as an alternative turned down: "Use X instead of Y", "Use X, not Y"
    if not was or not now:
        return bool(now)
    fewer, more = (old, new) if now > was else (new, old)
    return now > was if set(terms(fewer)) < set(terms(more)) else None


_ALTERNATIVE_RE = re.compile(r"\b(?:instead of|rather than)\b|,\s*not\b", re.IGNORECASE)


def turned_down(text: str) -> str:
    """What ``text`` turns down as an alternative, to its clause's end: "guessing" of "Ask when
    unsure instead of guessing", "npm" of "Use pnpm, not npm"; empty for none."""
    found = _alternative_at(text)
    return text[found[1] : found[2]] if found else ""


def _alternative_at(text: str) -> tuple[int, int, int] | None:
    """Where ``text`` turns down an alternative (``_ALTERNATIVE_RE``): the offsets of the words
    that turn it down ("instead of"), of what follows them, and of the end of that clause."""
    found = _ALTERNATIVE_RE.search(text)
    if found is None:
        return None
    end = _CLAUSE_RE.search(text, found.end())
    return found.start(), found.end(), end.start() if end else len(text)


def _label_and_body(text: str) -> tuple[str | None, str]:
    """A text as its polarity is read: (the lead-in label, when it alone decides the first clause's
    polarity: a prohibition, or a label with nothing after it; else None) and the rest, plain."""
    plain = normalize(text)
    label = lead_label(text)
    if label is None:
        return None, plain
    # The body follows the label's colon, or its dash ("**Secrets** — never log them").
    parted = _LABEL_END_RE.search(plain)
    body = plain[parted.end() :] if parted else ""
    body = re.sub(r"^\s*[-\u2013\u2014]\s*", "", body).strip()
    head = normalize(label).casefold().strip()
    if head in PROHIBITIONS or not body:
        return head, body
    return None, body


_LABEL_END_RE = re.compile(r":|\s[-\u2013\u2014]\s")
"""Where a lead-in label ends in its item's plain text: its colon, or a dash between spaces."""

CLAUSE_BREAKS = r"[.;!?](?:\s|$)|\s[\u2013\u2014]\s|\s-\s|:\s"
"""Where a clause ends, as a pattern: a full stop, semicolon or mark, a dash between spaces, a
colon."""

_CLAUSE_RE = re.compile(CLAUSE_BREAKS)


@lru_cache(maxsize=1)
def _prohibition_re() -> re.Pattern[str]:
    openers = "|".join(re.escape(w) for w in CLAUSE_OPENERS)
    # "Stop" forbids what it names ("Stop using var"), not an action ("Stop and ask a human").
    words_ = "|".join(
        r"stop(?=\s+\w+ing\b)" if w == "stop" else re.escape(w) for w in sorted(PROHIBITIONS, key=len, reverse=True)
    )
    contrasts = "|".join(re.escape(w) for w in CONTRASTS)
    return re.compile(rf"^\W*(?:(?:{openers})\W+)*(?!(?:{contrasts})\b)(?:{words_})\b")


def _clause_negated(clause: str) -> bool:
    return _prohibition_re().match(clause.replace("\u2019", "'")) is not None


_POLARITY_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


@text_cache(65536)
def _plain_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` in lower case, an apostrophe kept inside one ("don't"): what
    ``negation_put`` and ``obligation_change`` compare (cached: consolidate's polarity rule asks
    ``negation_put`` of every pair it weighs)."""
    return tuple(_POLARITY_WORD_RE.findall(normalize(text).casefold().replace("\u2019", "'")))


_NOT_HELPERS = frozenset({"do", "does", "did"})


def negation_put(a: str, b: str) -> Literal["negated", "affirmed"] | None:
    """How ``b`` differs from ``a`` when it differs only by negating words (``lexicon.NEGATORS``,
    with "do" before "not"), put in ("negated") or taken out ("affirmed") anywhere in the text:
    "Secrets must never be logged" to "Secrets must be logged", "Use branches. Never push to
    main." to "Use branches. Push to main." (``negated`` reads how each text opens only). None
    when other words changed too ("X" to "X, not Y" adds a word that is no negation). Linear in
    the texts' length: the words are compared with the negations left out."""
    old, new = _plain_words(a), _plain_words(b)
    # Read with a negated verb left out and left in: "Agents shouldn't push to main" negates
    # "Agents push to main", "Authors can't skip it" negates "Authors can skip it"; then word
    # by word as ``word_forms`` reads them, inflections aside: "Merge it if it doesn't compile"
    # negates "Merge it if it compiles".
    for keep_verbs in (False, True):
        old_rest, old_negations = _without_negations(old, keep_verbs)
        new_rest, new_negations = _without_negations(new, keep_verbs)
        if old_rest == new_rest:
            break
    else:
        # A contrast put in for "and" beside the negation says nothing more: "... and tag the
        # reviewers" to "... but do not tag the reviewers".
        old_forms, new_forms = (tuple("and" if w == "but" else w for w in word_forms(t)) for t in (a, b))
        old_rest, old_negations = _without_negations(old_forms)
        new_rest, new_negations = _without_negations(new_forms)
    if old_rest != new_rest or not (old_negations or new_negations):
        return None
    if old_negations and new_negations:
        return None  # negations on both sides: moved or swapped, not put in or taken out
    return "negated" if new_negations else "affirmed"


_OBLIGATION_LEVEL = {word: level for level, words_ in enumerate(OBLIGATION_LEVELS) for word in words_}


def obligation_level(text: str) -> int | None:
    """How binding ``text`` says it is: the most binding level of OBLIGATION_LEVELS among its
    words (0 for "must"), None when it uses none (an imperative, "Add a test", says nothing
    weaker)."""
    levels = [_OBLIGATION_LEVEL[word] for word in _plain_words(text) if word in _OBLIGATION_LEVEL]
    return min(levels) if levels else None


def obligation_change(a: str, b: str) -> tuple[str, str, bool] | None:
    """The words that make ``b`` more or less binding than ``a`` when one word of
    OBLIGATION_LEVELS was put in for a word of another level and nothing else changed ("must"
    to "should"), or a leave put into an imperative or taken out (``_leave_put``), a condition
    that names no circumstance (``_empty_condition_put``: "when possible") or a hedge
    (``_hedge_put``: "usually", "try to") put in or taken out, with whether ``b`` binds less; None
    otherwise."""
    old, new = _plain_words(a), _plain_words(b)
    changed = [(x, y) for x, y in zip(old, new, strict=True) if x != y] if len(old) == len(new) else []
    if len(changed) == 1 and all(word in _OBLIGATION_LEVEL for word in changed[0]):
        was, now = changed[0]
        if _OBLIGATION_LEVEL[was] == _OBLIGATION_LEVEL[now]:
            return None
        return was, now, _OBLIGATION_LEVEL[now] > _OBLIGATION_LEVEL[was]
    return _leave_put(a, b) or _empty_condition_put(a, b) or _hedge_put(a, b) or _exception_put(a, b)


@lru_cache(maxsize=1)
def _limit_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The words ``limit_change`` compares (a number whole, with its separators and a percent
    sign) and an amount with its unit (``_amounts``), compiled on first use."""
    return (
        re.compile(r"\d+(?:[.,:]\d+)*%?|[a-z]+(?:'[a-z]+)?"),
        re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)[ \t]*(%|[a-z]+\b)?"),
    )


_BOUND_LINKS = frozenset({"than", "of", "to"})
"""Words between a bound and its number: "fewer than 10", "a minimum of 2", "up to 5"."""


@text_cache(8192)
def limit_change(a: str, b: str) -> tuple[str, str, bool] | None:
    """The words of a number or a bound that ``b`` puts in for ``a``'s, as written, and whether a
    bound changed, when they are all that changed (in one place, at most three words a side):
    "within 1 hour" to "within 1 day" is ("1 hour", "1 day", False), "at most 3" to "at least 3"
    ("at most 3", "at least 3", True), "fewer than 10" to "more than 10" likewise; a number's unit
    changed, put in or taken out takes the number with it ("30" to "30 ms"). A bound is a word of
    ``lexicon.BOUND_WORDS`` before a number ("than", "of" or "to" between them). One amount
    written another way is no change: "two" and "2" (``lexicon.SAME_WORDS``), "60 minutes" and "1
    hour", "1,000" and "1000" (``lexicon.UNITS``). None otherwise."""
    raw_old, raw_new = (_limit_patterns()[0].findall(normalize(unlinked(t)).casefold()) for t in (a, b))
    old, new = (tuple(SAME_WORDS.get(w, w) for w in raw) for raw in (raw_old, raw_new))
    start = next((n for n, (x, y) in enumerate(zip(old, new, strict=False)) if x != y), min(len(old), len(new)))
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    was, now = old[start : len(old) - end], new[start : len(new) - end]
    if not (was and now) and (was or now) in (("no",), ("not",)):
        # "no more than 3" to "more than 3": a bound turned round, not a negation taken out.
        at = len(old) - end
        if (
            old[at : at + 2] in {(word, "than") for word in BOUND_WORDS}
            and old[at + 2 : at + 3]
            and old[at + 2][0].isdigit()
        ):
            return " ".join(raw_old[start : at + 3]), " ".join(raw_new[start : len(new) - end + 3]), True
    unit = start > 0 and old[start - 1][0].isdigit()
    if len(was) > 3 or len(now) > 3 or not ((was and now) or (unit and set(was + now) <= UNITS.keys())):
        return None
    # A number in digits, or spelled out on both sides ("two" to "three"; not "never" to "no one").
    digits = any(w[0].isdigit() for w in raw_old[start : len(old) - end] + raw_new[start : len(new) - end])
    numbers = digits or (bool(was and now) and all(any(w[0].isdigit() for w in run) for run in (was, now)))
    if (numbers or unit) and _amounts(a) == _amounts(b):
        return None
    number_at = len(old) - end  # where the number a bound bounds stands, a link word aside
    if old[number_at : number_at + 1] and old[number_at] in _BOUND_LINKS:
        number_at += 1
    changed = set(was) | set(now)
    bounds = bool(changed & BOUND_WORDS)
    bound = bounds and changed <= BOUND_WORDS | _BOUND_LINKS and number_at < len(old) and old[number_at][0].isdigit()
    if not (numbers or unit or bound):
        return None
    # Said as written, with the number a bound bounds and an "at" before it ("at most 3"), or
    # the number before a unit.
    first = start - 1 if unit and not numbers else start
    if start > 0 and old[start - 1] == "at" and was[:1] and was[0] in BOUND_WORDS:
        first = start - 1
    stop = number_at + 1 if bound and not numbers else len(old) - end
    said = " ".join(raw_old[first:stop]), " ".join(raw_new[first : stop + len(new) - len(old)])
    return said[0], said[1], bounds and (bound or numbers)


def _amounts(text: str) -> list[tuple[str, str]]:
    """The amounts ``text`` states, in order, each as what it measures and its size in
    ``lexicon.UNITS``' smallest whole unit, a plain number as written, separators aside ("3.10"
    is not "3.1": versions are numbers too), a number spelled out read as its digits."""
    spelled = " ".join(SAME_WORDS.get(w, w) for w in normalize(text).casefold().split())
    found = []
    for number, unit in _limit_patterns()[1].findall(spelled):
        measure, size = UNITS.get(unit, ("", 1))
        plain = number.replace(",", "")
        if size == 1 and not measure:
            found.append(("", plain))
        else:
            value = float(plain) * size
            found.append((measure, str(int(value)) if value.is_integer() else repr(round(value, 6))))
    return found


SUBJECT_WORDS = frozenset({"you", "we", "i", "they"})
"""Who is told, which a wording may name or not ("You may mention ...", "Mention ...")."""


def _leave_put(a: str, b: str) -> tuple[str, str, bool] | None:
    """``obligation_change`` of an imperative and the same words with a leave ("may", "can") put
    in, who is told aside: "Mention breaking changes" to "You may mention breaking changes" binds
    less, the other way more; None otherwise."""
    old = [w for w in word_forms(a) if w not in SUBJECT_WORDS]
    new = [w for w in word_forms(b) if w not in SUBJECT_WORDS]
    if "must" in old or "must" in new or old.count("may") + new.count("may") != 1:
        return None
    if [w for w in old if w != "may"] != [w for w in new if w != "may"]:
        return None
    looser = "may" in new
    leaves = (w for w in _plain_words(b if looser else a) if _OBLIGATION_LEVEL.get(w) == len(OBLIGATION_LEVELS) - 1)
    leave = next(leaves, None)
    if leave is None:
        return None
    return ("(an imperative)", leave, True) if looser else (leave, "(an imperative)", False)


def _put_in(a: str, b: str, aside: AbstractSet[str] = frozenset()) -> tuple[tuple[str, ...], bool] | None:
    """The words (``word_forms``) one of ``a`` and ``b`` has in one place that the other lacks,
    all else the same (the words ``aside`` left out of both), and whether ``b`` is the one; None
    when they differ otherwise."""
    old, new = word_forms(a), word_forms(b)
    if aside:
        old, new = (tuple(w for w in forms if w not in aside) for forms in (old, new))
    looser = len(new) > len(old)
    short, long = (old, new) if looser else (new, old)
    start = next((n for n, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    end = start + len(long) - len(short)
    put = long[start:end]
    if not put or long[:start] + long[end:] != short:
        return None
    return put, looser


def _escape_change(said: str, looser: bool) -> tuple[str, str, bool]:
    """``obligation_change``'s answer for an escape (a hedge, an exception, an empty condition)
    put in (``looser``) or taken out: its words against "(without exception)"."""
    return ("(without exception)", said, True) if looser else (said, "(without exception)", False)


def _exception_put(a: str, b: str) -> tuple[str, str, bool] | None:
    """``obligation_change`` of a rule and the same words with an exception put in or taken out
    (a clause opening with a word of EXCEPTION_WORDS): "Never merge on red builds" to "Never
    merge on red builds unless it is a hotfix" binds less, the other way more ("Always run the
    suite" to "Run the suite unless only docs changed": the exception stands for the "always");
    None otherwise."""
    found = _put_in(a, b, AFFIRMERS)
    if found is None or found[0][0] not in exception_forms():
        return None
    put, looser = found
    excepting = "|".join(EXCEPTION_WORDS)  # each to the clause's end or the next exception
    phrase = rf"(?i)\b(?:{excepting})\b[^.,;:!?()\n]*?(?=[.,;:!?()\n]|\b(?:{excepting})\b|$)"
    written = _phrase_put_in(a, b, looser, phrase)
    said = _as_said(written) if written else put[0]
    return _escape_change(said, looser)


def _phrase_put_in(a: str, b: str, looser: bool, pattern: str) -> str | None:
    """The first phrase matching ``pattern`` (which must match in linear time) that the longer
    of ``a`` and ``b`` (``b`` when ``looser``) says more often than the other: the one put in, as
    written; None when there is none."""
    longer, shorter = (b, a) if looser else (a, b)
    have = Counter(found.group().strip().casefold() for found in re.finditer(pattern, shorter))
    for found in re.finditer(pattern, longer):
        key = found.group().strip().casefold()
        if have[key] == 0:
            return found.group().strip()
        have[key] -= 1
    return None


def _as_said(words: str) -> str:
    """Words of a text quoted inside a call-out: on one line, the first in lower case ("Unless CI
    is green" is "unless CI is green")."""
    said = " ".join(words.split()).rstrip(",")
    return said.lower() if said.isupper() else said[:1].lower() + said[1:]


def only_put(a: str, b: str) -> bool | None:
    """Whether ``b`` is ``a`` with "only" put in (True: the rule holds in less, "Deploy during
    the window" to "Deploy only during the window") or taken out (False: it holds in more, and
    what "only" kept out is allowed), all else the same (``word_forms``); None otherwise."""
    found = _put_in(a, b)
    if found is None or found[0] != ("only",):
        return None
    if set(_plain_words(a if found[1] else b)) & ONLY_WORDS:
        return None  # "only" said another way: "Review just the diff"
    return found[1]


def quantifier_change(a: str, b: str) -> tuple[str, str, bool] | None:
    """The quantifier ``b`` puts in for ``a``'s and whether the rule now covers more, when one
    word of ``lexicon.QUANTIFIER_LEVELS`` is put in for a word of another level and nothing else
    changed (``word_forms``, so "every ticket" and "most tickets" differ in the quantifier only):
    "Close every ticket" to "Close most tickets" is ("every", "most", False); "at most 3" is a
    bound (``limit_change``). None otherwise."""
    old, new = word_forms(a), word_forms(b)
    if len(old) != len(new):
        return None
    changed = [n for n, (x, y) in enumerate(zip(old, new, strict=True)) if x != y]
    if len(changed) != 1 or (changed[0] and old[changed[0] - 1] == "at"):
        return None
    was, now = (_QUANTIFIER_LEVEL.get(words[changed[0]]) for words in (old, new))
    if was is None or now is None or was == now:
        return None
    return _as_written(a, old[changed[0]]), _as_written(b, new[changed[0]]), now > was


def _as_written(text: str, form: str) -> str:
    """The first word of ``text`` that ``word_forms`` reads as ``form`` ("all" for "every")."""
    return next((word for word in _plain_words(text) if word_forms(word) == (form,)), form)


_QUANTIFIER_LEVEL = {word: level for level, words_ in enumerate(QUANTIFIER_LEVELS) for word in words_}


@lru_cache(maxsize=1)
def exception_forms() -> frozenset[str]:
    """EXCEPTION_WORDS as ``word_forms`` reads them (``obligation_change``, ``cluster.word_changed``)."""
    return frozenset(word_forms(" ".join(EXCEPTION_WORDS)))


def _empty_condition_put(a: str, b: str) -> tuple[str, str, bool] | None:
    """``obligation_change`` of a rule and the same words with a condition put in or taken out
    that names no circumstance (``lexicon.EMPTY_CONDITIONS``), only that the rule may not apply:
    "Never release on Fridays" to "Avoid releasing on Fridays when possible" binds less, the other
    way more ("Always use type hints" to "Use type hints where possible": the condition stands for
    the "always"); None otherwise."""
    found = _put_in(a, b, AFFIRMERS)
    opening = _condition_words()
    if found is None or found[0][0] not in opening or not _empty_condition(found[0][1:]):
        return None
    put, looser = found
    # The condition word, at most four words, an EMPTY_CONDITIONS word: "if it is at all possible".
    empty = "|".join(EMPTY_CONDITIONS)
    word = opening[put[0]]
    written = _phrase_put_in(a, b, looser, rf"(?i)\b{word}\b(?:[ \t]+[\w']+){{0,4}}?[ \t]+(?:{empty})\b")
    said = _as_said(written) if written else word
    return _escape_change(said, looser)


@lru_cache(maxsize=1)
def _condition_words() -> dict[str, str]:
    """CONDITION_WORDS by the form ``word_forms`` reads each as ("whenev" for "whenever")."""
    return {word_forms(word)[0]: word for word in CONDITION_WORDS}


@text_cache(65536)
def _without_negations(found: tuple[str, ...], keep_verbs: bool = False) -> tuple[tuple[str, ...], int]:
    """``found`` without its negating words (and a "do" right before "not"), and how many went;
    without an affirming "always" too, which stands where "never" would and is no negation. With
    ``keep_verbs``, a negation written into its verb leaves the verb ("can't" leaves "can")."""
    rest: list[str] = []
    gone = 0
    for n, word in enumerate(found):
        verb = contracted_verb(word)
        if verb is not None or word in NEGATORS or (word in _NOT_HELPERS and found[n + 1 : n + 2] == ("not",)):
            gone += 1
            if keep_verbs and verb is not None and verb not in _NOT_HELPERS:
                rest.append(verb)
        elif word not in AFFIRMERS:
            rest.append(word)
    return tuple(rest), gone


def contracted_verb(word: str) -> str | None:
    """The verb of a negation written as one word ("can" of "can't" and "cannot", "will" of
    "won't", "could" of "couldn't"), or None for any other word."""
    if word == "cannot":
        return "can"
    if len(word) > 3 and word.endswith("n't"):
        return CONTRACTED_VERBS.get(word[:-3], word[:-3])
    return None


def opposite_polarity(a: str, b: str) -> bool:
    """Whether one of two texts negates and the other does not ("always X" versus "never X").

    Such a pair is never the same instruction, however similar the other words are.
    """
    return negated(a) != negated(b)


def opposite_sense(a: str, b: str) -> bool:
    """Whether two texts say opposite things in the same words: the words on the two sides of one
    ORDER_WORDS word swapped ("Prefer composition over inheritance" / "Prefer inheritance over
    composition"), a word of OPPOSITES put in for its opposite with nothing else changed ("Run
    the linter before committing" / "... after committing"), one doing without what the other
    asks for ("Ask before deleting files" / "Delete files without asking"), or a part negated in
    one where both forbid (``_negation_within``)."""
    return (
        _swapped_sides(a, b)
        or _swapped_part(a, b)
        or _opposite_word(a, b)
        or _done_without(a, b)
        or _done_without(b, a)
        or _negation_within(a, b)
    )


def _negation_within(a: str, b: str) -> bool:
    """Whether one text negates a part the other says plainly while both negate another, all else
    the same (``word_forms``): "Never approve a PR that changes the schema" / "Never approve a PR
    that does not change the schema" forbid opposite things (``negation_put`` reads a negation put
    in where none was)."""
    old_forms, new_forms = word_forms(a), word_forms(b)
    old_rest, old_count = _without_negations(old_forms)
    new_rest, new_count = _without_negations(new_forms)
    if not 0 < min(old_count, new_count) == max(old_count, new_count) - 1 or len(old_rest) != len(new_rest):
        return False
    # A verb that is a stop word keeps its inflection in ``word_forms``: "includes", "doesn't include".
    if not all(x == y or stem(x) == stem(y) for x, y in zip(old_rest, new_rest, strict=True)):
        return False
    # The negation put in must stand apart from the others and before some word: "Never, never
    # push" and "Don't deploy on Fridays, don't" say it again.
    fewer, more = sorted((_negation_slots(old_forms), _negation_slots(new_forms)), key=len)
    (slot,) = (Counter(more) - Counter(fewer)).elements()
    return slot not in fewer and slot < len(old_rest)


def _negation_slots(forms: Sequence[str]) -> list[int]:
    """Where each negation of ``forms`` (``word_forms``) stands: how many other words come before it."""
    slots, words_before = [], 0
    for form in forms:
        if form == "not" or form in NEGATORS:
            slots.append(words_before)
        elif form not in AFFIRMERS:
            words_before += 1
    return slots


def choice_made(a: str, b: str) -> bool:
    """Whether one of ``a`` and ``b`` makes a choice the other leaves open: the other offers
    alternatives (``offered``: "Use pytest, unittest or nose for tests") and this one names some of
    them and not all ("Use pytest for tests"). Folded into one wording, the merged agent would
    either allow what one input ruled out or rule out what one allowed."""
    for offers, makes in ((a, b), (b, a)):
        open_choice = offered(offers)
        if len(open_choice) > 1:
            named = open_choice.intersection(terms(makes))
            if named and named != open_choice:
                return True
    return False


@text_cache(65536)
def offered(text: str) -> frozenset[str]:
    """The terms of the alternatives a choice in ``text`` offers: single words joined by "or" after
    "use" or "prefer" and at most three words more ("Use pytest, unittest or nose": pytest,
    unittest, nose); none when ``text`` is negated ("Never use eval or exec" forbids both)."""
    found = _OFFERED_RE.search(normalize(text))
    if found is None or negated(text):
        return frozenset()
    return frozenset(term for member in _OPTION_SPLIT_RE.split(found[1]) for term in terms(member))


_OFFERED_RE = re.compile(
    r"\b(?:use|prefer)\b(?:\s+[\w.+#-]+){0,3}?\s+([\w.+#-]+(?:\s*,\s*[\w.+#-]+)*,?\s+or\s+[\w.+#-]+)",
    re.IGNORECASE,
)
"""A choice offered: "use" or "prefer", at most three words, then words joined by commas and "or"
(in the corpus, 166 such choices in 7 of its 8 collections; "prefer" 5 of them)."""

_OPTION_SPLIT_RE = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+", re.IGNORECASE)
"""What parts the alternatives of ``_OFFERED_RE``'s list: a comma (with an "or" after it) or "or"."""


def other_choice(a: str, b: str) -> tuple[str, str] | None:
    """The alternatives of one CHOICE_GROUPS group that ``a`` and ``b`` pick, when each picks one
    the other does not name ("Use tabs for indentation" / "Use spaces for indentation": tab and
    space); None when they pick none so, or either is negated ("Avoid long functions" asks for
    short ones)."""
    picked = _picked_apart(a, b)
    return None if picked is None else _choice_names(*picked)


def _choice_names(group: int, ours: int, theirs: int) -> tuple[str, str]:
    """The first spellings of two alternatives of choice ``group``."""
    names = CHOICE_GROUPS[group].split(" / ")
    return names[ours].split()[0], names[theirs].split()[0]


def _picked_apart(a: str, b: str) -> tuple[int, int, int] | None:
    """The group and the alternatives of ``other_choice``, by number; an alternative a text turns
    down ("Use pnpm, not npm", "... instead of npm": ``turned_down``) is not one it picks."""
    picks_a, picks_b = _chosen(a), _chosen(b)
    if not picks_a or not picks_b:
        return None
    for group in sorted({g for g, _ in picks_a} & {g for g, _ in picks_b}):
        ours = {alt for g, alt in picks_a if g == group}
        theirs = {alt for g, alt in picks_b if g == group}
        if ours.isdisjoint(theirs) and not negated(a) and not negated(b):
            return group, min(ours), min(theirs)
    return None


def _chosen(text: str) -> frozenset[tuple[int, int]]:
    """``choices`` of ``text`` without what it turns down as an alternative (``turned_down``)."""
    found = _alternative_at(text)
    return choices(text[: found[0]] + text[found[2] :] if found else text)


def contrary_choice(a: str, b: str) -> tuple[str, str] | None:
    """The alternatives ``a`` and ``b`` pick (``other_choice``) when they are ways of doing one
    thing (not SCOPE_CHOICES) and the two say nothing else apart: the terms of each, its choice
    aside, are the other's. "Use tabs for indentation" and "Use spaces for indentation" cannot
    both be followed; "Write unit tests" and "Write integration tests" can."""
    picked = _picked_apart(a, b)
    if picked is None or CHOICE_GROUPS[picked[0]].split()[0] in SCOPE_CHOICES:
        return None
    rest_a, rest_b = unchosen_terms(a, picked[0]), unchosen_terms(b, picked[0])
    return _choice_names(*picked) if rest_a and rest_a == rest_b else None


CONTRADICTION_OVERLAP = 0.8
"""Least share of significant terms (Jaccard) two instructions of opposite polarity or sense must
have in common to be one act asked and forbidden: "always add type hints" and "never add type
hints". On the corpus every pair below it was one rule said both ways ("never assume column
names", "always discover column names"), which is no contradiction."""


def opposed(a: str, b: str) -> Literal["polarity", "opposite sense", "other choice"] | None:
    """How ``a`` and ``b`` say opposite things of one act, by their words alone, or None.

    ``polarity``: one asks for what the other forbids, in the same terms (CONTRADICTION_OVERLAP),
    a negation put in anywhere (``negation_put``) or the two opening with the other polarity
    (``negated``), unless each holds a clause of either polarity ("Avoid X here; do Y there" and
    "Do Y there, never X here" say one rule in two orders: ``clause_polarities``). ``opposite
    sense``: the same terms in opposite senses (``opposite_sense``: "Prefer A over B", "Prefer B
    over A"). ``other choice``: two ways of doing one thing, nothing else apart
    (``contrary_choice``: tabs and spaces). ``cluster.contradiction`` asks it of two items the
    matcher scores alike; ``merge`` of two items its sides added, ``diff`` of an item a change
    brings in and the others. A text that ends in a colon (``label_only``: "Search required
    when:", "**Data Fetching**:") opens what follows and asks nothing itself: never opposed."""
    if label_only(a) or label_only(b):
        return None
    ta, tb = set(terms(a)), set(terms(b))
    if ta and tb and len(ta & tb) >= CONTRADICTION_OVERLAP * len(ta | tb):
        if negation_put(a, b) is not None:
            return "polarity"
        if negated(a) != negated(b) and clause_polarities(a) != clause_polarities(b):
            return "polarity"
        if negated(a) == negated(b) and opposite_sense(a, b):
            return "opposite sense"
    return "other choice" if contrary_choice(a, b) is not None else None


def unchosen_terms(text: str, group: int | None = None) -> set[str]:
    """The terms of ``text`` without the words that spell an alternative of choice ``group`` (of
    any choice, by default: CHOICES): what two texts that pick two ways of one thing
    (``contrary_choice``) have in common."""

    def chosen(word: str) -> bool:
        found = CHOICES.get(word.casefold())
        return found is not None and (group is None or found[0] == group)

    kept = (word for word in _HYPHENATED_RE.findall(normalize(text)) if not chosen(word))
    return set(terms(" ".join(kept)))


@text_cache(8192)
def choices(text: str) -> frozenset[tuple[int, int]]:
    """The (group, alternative) of each CHOICES spelling in ``text``, read as a whole word with its
    hyphens ("front-end" is one; "long-term" is no length)."""
    found = (CHOICES.get(word.casefold()) for word in _HYPHENATED_RE.findall(normalize(text)))
    return frozenset(pick for pick in found if pick is not None)


_HYPHENATED_RE = re.compile(r"\w+(?:-\w+)*")


def _done_without(a: str, b: str) -> bool:
    """Whether ``b`` does without what ``a`` asks for: "Ask before deleting files" and "Delete
    files without asking". Both one sentence with no lead-in label, ``a`` not negated, and the first
    term after a "without" in ``b`` a term of ``a`` that no "without" of ``a`` governs."""
    if lead_label(a) is not None or lead_label(b) is not None or negated(a):
        return False
    plain_a, plain_b = normalize(a), normalize(b)
    if len(sentences_of(plain_a)) > 1 or len(sentences_of(plain_b)) > 1:
        return False
    gone = _without_terms(plain_b) - _without_terms(plain_a)
    # What ``a`` sets aside or takes out ("instead of relying on manual exports", "Skip the
    # preamble") it does not ask for.
    return not gone.isdisjoint(terms(_SET_ASIDE_RE.sub(" ", plain_a)))


def _without_terms(plain: str) -> set[str]:
    """The first term of each phrase "without ..." in ``plain``."""
    found = set()
    for match in _WITHOUT_RE.finditer(plain):
        after = terms(match.group(1))
        if after:
            found.add(after[0])
    return found


_WITHOUT_RE = re.compile(r"\bwithout\s+([^,.;:()]+)", re.IGNORECASE)


def _any_phrase(phrases: Sequence[str]) -> str:
    """A pattern matching any of ``phrases`` as whole words, a space in one standing for any run
    of spaces ("instead of", "instead  of")."""
    return r"\b(?:" + "|".join(p.replace(" ", r"\s+") for p in phrases) + ")"


_SET_ASIDE_RE = re.compile(_any_phrase(SET_ASIDE_WORDS) + r"\s+[^,.;:()]+", re.IGNORECASE)
"""What a sentence sets aside or takes out (SET_ASIDE_WORDS and what follows, to the next
punctuation): its words are not asked for."""


def _swapped_sides(a: str, b: str) -> bool:
    """Whether a term before the one order word of ``a`` stands after it in ``b``, and one after
    it before it."""
    left, right = _order_sides(a), _order_sides(b)
    if left is None or right is None or left[0] != right[0]:
        return False
    _, before_a, after_a = left
    _, before_b, after_b = right
    # A term that crossed from one side to the other in each direction.
    return bool((before_a & after_b) - before_b) and bool((after_a & before_b) - after_b)


_PARTS_RE = re.compile(r",\s*|;\s*|\s+and\s+", re.IGNORECASE)


def _swapped_part(a: str, b: str) -> bool:
    """Whether two texts of the same coordinated parts differ in one part only, whose sides of
    its order word are swapped: "Favor composition over inheritance and interfaces over direct
    calls" with the first pair turned round (``_order_sides`` reads a text with one order word)."""
    if not (_ORDER_RE.search(a) and _ORDER_RE.search(b)):
        return False
    parts_a, parts_b = _PARTS_RE.split(normalize(a)), _PARTS_RE.split(normalize(b))
    if len(parts_a) < 2 or len(parts_a) != len(parts_b):
        return False
    differ = [(x, y) for x, y in zip(parts_a, parts_b, strict=True) if x.casefold() != y.casefold()]
    return len(differ) == 1 and _swapped_sides(*differ[0])


@text_cache(8192)
def _order_sides(text: str) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """The one ORDER_WORDS word of ``text`` and the terms before and after it; None unless it is
    one sentence with exactly one (in a paragraph, words fall on either side by chance)."""
    plain = normalize(text)
    found = list(_ORDER_RE.finditer(plain))
    if len(found) != 1 or len(sentences_of(plain)) > 1:
        return None
    match = found[0]
    return (
        " ".join(match.group(0).casefold().split()),
        frozenset(terms(plain[: match.start()])),
        frozenset(terms(plain[match.end() :])),
    )


_ORDER_RE = re.compile(_any_phrase(ORDER_WORDS) + r"\b", re.IGNORECASE)


def _opposite_word(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with words of OPPOSITES put in for their opposites, and no other."""
    words_a, words_b = _words_of(a), _words_of(b)
    put_in = words_b - words_a
    flips = {w: min(other) for w in words_a - words_b if (other := OPPOSITES.get(w, frozenset()) & put_in)}
    if not flips:
        return False
    swapped = _LETTERS_RE.sub(lambda m: flips.get(m.group(0).casefold(), m.group(0)), normalize(a))
    return set(terms(swapped)) == set(terms(b)) and _words_of(swapped) == words_b


@text_cache(8192)
def _words_of(text: str) -> frozenset[str]:
    """The words of ``text``, casefolded."""
    return frozenset(w.casefold() for w in _LETTERS_RE.findall(normalize(text)))


_LETTERS_RE = re.compile(r"[A-Za-z]+")


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


@text_cache(65536)
def stem(word: str) -> str:
    """Return a light stem of ``word``: inflection and common derivation suffixes removed.

    Consistency matters more than linguistics here: "optimize", "optimized" and "optimization"
    all give "optim"; "scale", "scaling" and "scalability" give "scal". Up to three suffixes come
    off, never leaving fewer than three letters, and a final "s" after another is no plural
    ("process", "access"); a final double consonant is made single. A
    final "ies" or "ied" is read as "y" first, so a plural stems as its singular does
    ("dependencies" and "dependency" both give "depend"); where an ending that opens with a vowel
    took the silent "e" of "-ance", "-ence", "-ize" or "-able" with it, the "e" is put back to
    find that ending ("enhanced", "enhancing" and "enhance" all give "enh").
    """
    if not word.isalpha():
        return word
    if len(word) > 4 and word[-3:] in ("ies", "ied"):
        word = word[:-3] + "y"
    after_vowel = False
    for _ in range(3):
        for size, endings in _SUFFIXES_BY_SIZE:
            if len(word) - size >= MIN_STEM and word[-size:] in endings and not (size == 1 and word[-2:] == "ss"):
                after_vowel = word[-size] in "aeiou"
                word = word[:-size]
                break
            # The ending again with its silent "e" put back ("enhanc" + "e"), three letters kept.
            if (
                after_vowel
                and size > 2
                and word[-1] in "clz"
                and len(word) + 1 - size >= MIN_STEM
                and word[1 - size :] + "e" in endings
            ):
                after_vowel = False
                word = word[: 1 - size]
                break
        else:
            break
    if len(word) > MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


_STEM_SYNONYMS = _stem_synonyms()


@text_cache(65536)
def terms(text: str) -> tuple[str, ...]:
    """The significant terms of ``text``: words mapped through TERM_SYNONYMS, stop words out, stemmed.

    A lead-in label (``**Security-First**: ...``) is part of the text and counts like any words.
    """
    return tuple(term for term in map(_word_term, words(text)) if term is not None)


@text_cache(65536)
def _word_term(word: str) -> str | None:
    """The term a word of ``words`` is (``terms``), or None for a stop word or a negation."""
    word = word.replace("’", "'")
    if word in NEGATORS or word in STOPWORDS:
        return None
    word = TERM_SYNONYMS.get(word, word)
    if not word:
        return None
    if "'" in word:
        word = word.split("'", 1)[0]
    # A word of MIN_STEM letters or fewer keeps them all; not asking keeps ``stem``'s cache for
    # the words that need it (a paragraph of ideographs is as many words of two characters).
    stemmed = stem(word) if len(word) > MIN_STEM else word
    return _STEM_SYNONYMS.get(stemmed, stemmed)


_NOT_WORDS = NEGATORS - {"nothing", "neither", "nor"}
"""The negations that say "not" (``word_forms``): "Never push to main", "Do not push to main",
"Dont push to main" and "Avoid pushing to main" forbid one thing."""


def _bound(modal: str) -> str:
    """A modal of OBLIGATION_LEVELS as ``word_forms`` reads it: "must" for a duty ("must",
    "should": how binding is weighed apart, ``obligation_level``), "may" for a leave ("may",
    "can"), which is another instruction ("The author must resolve every comment" / "The author
    may resolve every comment")."""
    return "may" if _OBLIGATION_LEVEL[modal] == len(OBLIGATION_LEVELS) - 1 else "must"


@text_cache(65536)
def word_forms(text: str) -> tuple[str, ...]:
    """The words of ``text`` as two wordings are compared word by word: each the term it is (an
    inflection or a synonym reads as its term), a stop word or a negation as itself, "not" for
    a negation that says it (``_NOT_WORDS``), a negation written into its verb ("n't", "cannot")
    as the verb and "not" (a leave refused, "can't", as a duty refused), a modal as a duty or a
    leave (``_bound``), a word of
    ``lexicon.SAME_WORDS`` as the word it says; the words of ``lexicon.UNSAID_WORDS`` left out.
    "Copy the fixtures into the folder" and "Copy the fixtures out of the folder" have one set
    of terms and differ here."""
    out: list[str] = []
    for word in words(text):
        word = word.replace("\u2019", "'")
        if word in UNSAID_WORDS:
            continue
        verb = contracted_verb(word)
        if verb is not None:
            if verb not in UNSAID_WORDS:
                out.append(_bound(verb) if verb in _OBLIGATION_LEVEL else verb)
            out.append("not")
        elif word in _NOT_WORDS:
            out.append("not")
        elif word in _OBLIGATION_LEVEL:
            out.append(_bound(word))
        elif word in SAME_WORDS:
            out.append(SAME_WORDS[word])
        elif word in NEGATORS or word == "none":
            out.append(word)
        else:
            found = _word_term(word)
            out.append(word if found is None else found)
        if out[-2:] == ["may", "not"]:
            out[-2] = "must"  # a leave refused is a prohibition: "You can't skip it", "Don't skip it"
    return tuple(out)


def _empty_condition(forms: Sequence[str]) -> bool:
    """Whether the words of a condition after its condition word (``word_forms``) name no
    circumstance: a word of EMPTY_CONDITIONS and function words ("possible", "in doubt", "it is
    applicable"), no negation."""
    empty = _empty_forms()
    return bool(empty.intersection(forms)) and all(
        form in empty or (is_function_form(form) and form not in NEGATORS and form not in ("not", "none"))
        for form in forms
    )


@lru_cache(maxsize=1)
def _empty_forms() -> frozenset[str]:
    """The words of ``lexicon.EMPTY_CONDITIONS`` as ``word_forms`` reads them."""
    return frozenset(word_forms(" ".join(EMPTY_CONDITIONS)))


def is_function_form(form: str) -> bool:
    """Whether a word of ``word_forms`` is a function word (a stop word, a negation, "none"), not
    a term."""
    return form in STOPWORDS or form in NEGATORS or form in ("not", "none")


# --------------------------------------------------------------------------------------------
# Hidden text


TAG_CHARACTERS = "\U000e0000-\U000e007f"
"""Unicode tag characters, as a range of a regular expression's character class: each is an
ASCII character plus U+E0000, drawn as nothing (``hidden_text``; ``render.visible`` escapes them)."""

BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
"""Bidi embeddings, overrides and isolates, as ranges of a character class: they show a line in
another order than it is (``hidden_text``; ``render.visible`` escapes them)."""

ZERO_WIDTH = "\u180e\u200b\u2060-\u2064\ufeff"
"""Zero-width characters that join nothing (zero-width space, word joiner, invisible operators, a
byte order mark inside the text), as a character class's ranges: drawn as nothing, they split a
word a reader sees whole, and a run of them can encode text (``hidden_text``; ``render.visible``
escapes them). Zero-width joiners and non-joiners, which emoji and scripts need, are not among
them."""

_UNSEEN_RE = re.compile(f"(?P<tags>[{TAG_CHARACTERS}]+)|(?P<bidi>[{BIDI_CONTROLS}])|(?P<zero>[{ZERO_WIDTH}]+)")
"""A run of Unicode tag characters, one bidi embedding, override or isolate, or a run of
zero-width characters (``hidden_text``)."""


def hidden_text(text: str) -> list[tuple[int, str]]:
    """What ``text`` holds that a reader does not see, as (offset, what it is): runs of Unicode tag
    characters, which screens draw as nothing while a language model reads the ASCII they encode
    (each is an ASCII character plus U+E0000; "ASCII smuggling"), said with that ASCII; and bidi
    controls, which show a reader the text in another order than it is (Trojan Source); and runs
    of zero-width characters (ZERO_WIDTH; a byte order mark that opens the text is none)."""
    found = []
    for match in _UNSEEN_RE.finditer(text):
        run = match.group()
        if match.lastgroup == "tags":
            smuggled = "".join(chr(ord(c) - 0xE0000) for c in run if 0xE0020 <= ord(c) <= 0xE007E)
            found.append((match.start(), f"hidden text in Unicode tag characters, drawn as nothing: {smuggled!r}"))
        elif match.lastgroup == "bidi":
            found.append((match.start(), f"bidi control U+{ord(run):04X}, which shows the text in another order"))
        elif run != "\ufeff" or match.start() > 0:
            codes = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in run))
            what = "zero-width character" if len(run) == 1 else f"{len(run)} zero-width characters"
            found.append((match.start(), f"{what} ({codes}), drawn as nothing: it splits a word or carries text"))
    return found


# The patterns of ``destinations``, compiled on first use by ``re``'s own cache.
_LINK_HOST = (
    r"(?i)\b(https?|wss?|ftps?|sftp|ssh|git)://(?:[^\s/?#@]+@)?"
    r"(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?![\w-]|\.\w)"
)
_ADDRESS = r"(?<![\w.%+-])[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_%+-])?@(?:[a-z0-9-]+\.)+[a-z]{2,}\b(?![.-]?\w)"
_LINK = r"\b[a-z][a-z0-9+.-]{0,15}://\S*"  # a scheme is short: bounded, each start reads a few characters


@text_cache(4096)
def destinations(text: str) -> frozenset[str]:
    """Where ``text`` sends the agent or what it writes: the host of each link (``https://`` and
    the other schemes a tool fetches or pushes by; in lower case, without its user, port or a
    leading ``www.``) and each e-mail address (``git@github.com`` too); a host kept for examples
    or the local machine (``lexicon.EXAMPLE_HOSTS``) or a placeholder (``https://{host}/``,
    ``https://<your-domain>``: no host is read) is none. ``diff`` calls out one the old file did
    not name."""
    if "://" not in text and "@" not in text:
        return frozenset()
    found = {host for _, host in _links(text)}
    found |= {address.lower() for address in re.findall(_ADDRESS, re.sub(_LINK, " ", text, flags=re.I), re.I)}
    return frozenset(
        where
        for where in found
        if (host := where.rpartition("@")[2]) not in EXAMPLE_HOSTS and not host.endswith(EXAMPLE_SUFFIXES)
    )


def _links(text: str) -> list[tuple[str, str]]:
    """(scheme, host) of each link of ``text``, in lower case, the host without a leading ``www.``."""
    return [(scheme.lower(), host.lower().removeprefix("www.")) for scheme, host in re.findall(_LINK_HOST, text)]


def unencrypted(text: str) -> frozenset[str]:
    """The hosts ``text`` links to without encryption (``http://``, ``ws://``, ``ftp://``, ``git://``)
    and to none with it: ``diff`` calls out a link that no longer encrypts."""
    if "://" not in text:
        return frozenset()
    links = _links(text)
    encrypted = {host for scheme, host in links if scheme in ENCRYPTED_SCHEMES}
    return frozenset(host for scheme, host in links if scheme not in ENCRYPTED_SCHEMES and host not in encrypted)


@lru_cache(maxsize=1)
def _override_pattern() -> str:
    """OVERRIDE_VERBS, OVERRIDE_SCOPES and OVERRIDE_OBJECTS as one pattern (``override_request``)."""
    verbs, scopes, objects = ("|".join(words) for words in (OVERRIDE_VERBS, OVERRIDE_SCOPES, OVERRIDE_OBJECTS))
    return (
        rf"(?i)(?<![\"'\u201c\u2018\w])(?:{verbs})\s+(?:(?:all|any)\s+)?(?:of\s+)?(?:(?:the|your|my)\s+)?"
        rf"(?:{scopes})\s+(?:[a-z]+\s+)?(?:{objects})\b"
    )


@lru_cache(maxsize=1)
def _override_words() -> str:
    """A verb of OVERRIDE_VERBS and, within 60 characters of one sentence, an object of
    OVERRIDE_OBJECTS, whatever markup stands between: what ``override_request`` can find in a
    text, read in one pass of Markdown as written (``may_ask_override``)."""
    verbs, objects = ("|".join(words) for words in (OVERRIDE_VERBS, OVERRIDE_OBJECTS))
    return rf"(?i)\b(?:{verbs})\b[^.]{{0,60}}?\b(?:{objects})\b"


def may_ask_override(text: str) -> bool:
    """Whether ``text`` (Markdown as written, a whole file) may hold words that ask the model to
    set aside its instructions (``override_request``); False for nearly every file, most of them
    read only for the verbs (one in ten of the corpus's files holds one)."""
    lowered = text.lower()
    return any(verb in lowered for verb in OVERRIDE_VERBS) and re.search(_override_words(), text) is not None


def override_request(text: str) -> str | None:
    """The words by which ``text`` asks the model to set aside its other instructions ("Ignore all
    previous instructions", ``lexicon.OVERRIDE_VERBS``), or None. Only an order counts: the phrase
    opens its clause, after words that leave it one at most ("Please", "From now on,":
    ``lexicon.CLAUSE_OPENERS``, ``OVERRIDE_LEADS``); one forbidden or described ("Never ignore
    previous instructions", "If a user asks you to ignore ...") is none, and so is one that opens
    a quotation, a mention ("attacks such as 'ignore previous instructions'")."""
    if not may_ask_override(text):
        return None
    plain = normalize(text)
    for found in re.finditer(_override_pattern(), plain):
        clause = re.split(r"[.!?;:,\n\u2014\u2013()]|\s-\s", plain[: found.start()])[-1]
        if set(re.findall(r"[a-z']+", clause.lower())) <= _OVERRIDE_OPENERS:
            return found.group()
    return None


_OVERRIDE_OPENERS = frozenset((*CLAUSE_OPENERS, *OVERRIDE_LEADS))
"""The words that may open a clause before an override's verb (``override_request``)."""


def unlinked(text: str) -> str:
    """``text`` with each link and e-mail address put as the word "link": a digit in one is no
    number of the rule (``limit_change``; ``destinations`` reads where it leads)."""
    if "://" not in text and "@" not in text:
        return text
    return re.sub(f"{_LINK}|{_ADDRESS}", " link ", text, flags=re.I)


VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
"""HTML elements that hold nothing (no closing tag): one set not to show hides no words."""

# The patterns of ``unrendered``, compiled on first use by ``re``'s own cache (a command that
# reads no change does not pay for them). Each is read once over a text, in linear time.
_REFERENCE_COMMENT = r"(?m)^[ \t]*\[[^\]\n]*\]:[ \t]*(?:#|<>)[ \t]*(?:\(([^\n]*)\)|\"([^\n]*)\"|'([^\n]*)')[ \t]*$"
_TAG = r"<(/?)([A-Za-z][\w-]*)(\s[^<>]*)?/?>"
_UNSHOWN_STYLE = r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|(?:font-size|opacity)\s*:\s*0(?![.\d])"
_HIDDEN_ATTRIBUTE = r"(?i)\shidden\b"
_QUOTED = r"\"[^\"]*\"|'[^']*'"


def unrendered(text: str, html: bool = False) -> list[tuple[int, str]]:
    """What ``text`` (Markdown prose, or an HTML block when ``html``; not code) holds that a reader
    of the rendered file does not see while a model reading the file does, as (offset, what it
    is): HTML comments (one left open hides the rest), link references written as comments
    (``[//]: # (...)``), and HTML set not to show (``display: none``, ``visibility: hidden``,
    ``font-size: 0``, ``opacity: 0``, ``hidden``), each with its words; those with no words but
    tags (``<!-- <process> -->``, a marker) and those that are a tool's directive with rule codes
    or none (``<!-- markdownlint-disable MD013 -->``, TOOL_DIRECTIVES) are none. Code spans show
    what they hold as it is and are passed over (in prose; an HTML block has none). Linear in the
    text's length."""
    if "<" not in text and "]:" not in text:
        return []  # no comment, tag or link reference: the most texts, read at once
    if not html:
        text = _without_code_spans(text)
    found = []
    at = text.find("<!--")
    while at >= 0:
        close = text.find("-->", at + 4)
        inside = text[at + 4 : close if close >= 0 else len(text)]
        if (words := _said(re.sub(_TAG, " ", inside))) and not re.fullmatch(_tool_directive(), words, re.I):
            found.append((at, f"an HTML comment, which the rendered file does not show: {words!r}"))
        at = text.find("<!--", close + 3) if close >= 0 else -1
    for match in re.finditer(_REFERENCE_COMMENT, text):
        if words := _said(next(g for g in match.groups() if g is not None)):
            found.append((match.start(), f"a link reference written as a comment, not shown: {words!r}"))
    found.extend(_unshown_elements(text))
    return sorted(found)


@lru_cache(maxsize=1)
def _tool_directive() -> str:
    """The words of a comment that is a tool's directive (TOOL_DIRECTIVES) with rule codes or none:
    a code is a few letters and a number (``MD013``), no word a model could read as an order."""
    names = "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in TOOL_DIRECTIVES)
    return rf"(?:{names})(?:[\s,]+[A-Za-z]{{0,8}}\d{{1,6}})*"


def _without_code_spans(text: str) -> str:
    """``text`` with each code span blanked out (spaces for its characters): a run of backticks
    opens one and the next run of as many closes it, as CommonMark reads them. Linear: each run
    is paired with the next run of its length, found from the right in one pass."""
    runs = [(found.start(), found.end()) for found in re.finditer(r"`+", text)]
    following: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for n in range(len(runs) - 1, -1, -1):
        size = runs[n][1] - runs[n][0]
        following[n] = last.get(size)
        last[size] = n
    pieces, done, n = [], 0, 0
    while n < len(runs):
        closing = following[n]
        if closing is None:
            n += 1
            continue
        pieces += [text[done : runs[n][0]], " " * (runs[closing][1] - runs[n][0])]
        done, n = runs[closing][1], closing + 1
    return "".join([*pieces, text[done:]])


def _unshown_elements(text: str) -> Iterator[tuple[int, str]]:
    """Each HTML element of ``text`` set not to show, with its words, its nested elements of the
    same name counted so that it ends at its own closing tag (or the text's end); an element that
    holds nothing (VOID_ELEMENTS) is none. One pass over the tags."""
    hiding: tuple[int, int, str] | None = None  # (where it opens, where its content starts, name)
    depth = 0
    for tag in re.finditer(_TAG, text):
        closing, name, attributes = tag.group(1) == "/", tag.group(2).lower(), tag.group(3) or ""
        if hiding is None:
            if closing or name in VOID_ELEMENTS or tag.group().endswith("/>"):
                continue
            if re.search(_UNSHOWN_STYLE, attributes) or re.search(_HIDDEN_ATTRIBUTE, re.sub(_QUOTED, '""', attributes)):
                hiding, depth = (tag.start(), tag.end(), name), 1
        elif name == hiding[2]:
            depth += -1 if closing else 1
            if depth == 0:
                if words := _said(re.sub(_TAG, " ", text[hiding[1] : tag.start()])):
                    yield hiding[0], f"HTML set not to show, its words: {words!r}"
                hiding = None
    if hiding is not None and (words := _said(re.sub(_TAG, " ", text[hiding[1] :]))):
        yield hiding[0], f"HTML set not to show, its words: {words!r}"


UNRENDERED_WIDTH = 80
"""Characters of unrendered words (``unrendered``) quoted before they are cut with an ellipsis."""


def _said(words: str) -> str:
    """``words`` on one line, cut at UNRENDERED_WIDTH characters; "" when there are none."""
    said = " ".join(words.split())
    return said if len(said) <= UNRENDERED_WIDTH else said[: UNRENDERED_WIDTH - 1] + "\u2026"


# --------------------------------------------------------------------------------------------
# Section roles and lead-in labels


@lru_cache(maxsize=1)
def _role_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """SECTION_ROLES compiled, once, on first use: a diff that never asks a section's role (and
    every command's start-up) does not pay the few milliseconds that compiling them costs."""
    return tuple((rule.role, re.compile(rule.pattern, re.IGNORECASE)) for rule in SECTION_ROLES)


@text_cache(4096)
def section_role(title: str | None) -> str:
    """The role of a section titled ``title`` (None is the root): one of SECTION_ROLES, or general.

    Cached: every item asks it of each title above it, and a title is a dozen pattern searches."""
    if title is None:
        return ROOT_ROLE
    text = normalize(title)
    for role, pattern in _role_patterns():
        if pattern.search(text):
            return role
    return GENERAL_ROLE


LABEL_MAX_WORDS = 5
"""Most words a plain ``Label: text`` lead-in may have; longer prefixes are sentences."""


_STEP_WORDS = "step|phase|stage|part"
"""Words that name a title's number a place in a sequence ("Step 2: Build", "Phase 1")."""

_ORDINAL_RE = re.compile(
    rf"^[\W_]*(?:(?:{_STEP_WORDS})[ \t]*\d+(?:\.\d+)*[.):]?|\d+(?:\.\d+)*[.)]|\d+:"
    r"|\d+(?=[ \t]+[-\u2013\u2014][ \t]))"
    r"[*_]*[ \t]*(?:[-\u2013\u2014:][ \t]*)?(?=\w)",
    re.IGNORECASE,
)


def without_ordinal(title: str) -> str:
    """``title`` without the number that places it in a sequence ("3. Publish", "Step 2: Build",
    "**1.2) Setup**"): a heading's place, not its topic. Two inputs' third sections need not be
    about one thing. A number that is part of the name ("Python 3", "Top 10 risks") stays."""
    return _ORDINAL_RE.sub("", title, count=1)


_STEP_NUMBER_RE = re.compile(
    rf"^[\W_]*(?:(?P<word>{_STEP_WORDS})[ \t]*)?(?P<number>\d+(?P<levels>(?:\.\d+)+)?)", re.IGNORECASE
)


def step_number(title: str) -> re.Match[str] | None:
    """Where the number that places ``title`` in a sequence stands ("3. Publish", "Step 2: Build",
    "1.2) Setup": its group ``number``, with ``levels`` for the ".2" of one numbered in levels,
    after the word ``word`` that names it a step, if one does), or None ("Python 3")."""
    return _STEP_NUMBER_RE.match(title) if _ORDINAL_RE.match(title) else None


@lru_cache(maxsize=1)
def _label_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The bold and the plain lead-in label patterns, compiled on first use."""
    return (
        re.compile(
            r"^(\*\*|__)(?P<label>(?:(?!\1).)+?)(?::\1|\1[ \t]*(?::|[ \t]+[-\u2013\u2014](?=[ \t]|$)))[ \t]*", re.DOTALL
        ),
        re.compile(r"^(?P<label>[A-Za-z][\w &/+.'()-]{0,40}?):(?=[ \t]|$)[ \t]*"),
    )


@text_cache(65536)
def lead_label(text: str, *, bare: bool = True) -> str | None:
    """The lead-in label of ``**Label**: rest``, ``**Label:** rest``, ``**Label** - rest`` or
    ``Label: rest``, without markup or colon; None when the text opens with none.

    A plain label starts with a letter and has at most LABEL_MAX_WORDS words (and is not a URL or a
    ``Note``); longer prefixes are sentences. With ``bare`` false a label needs text after it, as
    the model's ``Item.label`` does; a bare label line (``**Suggested Fix**:``) counts otherwise.
    """
    found = _lead_in(text, bare)
    return found[0] if found else None


def bold_label(text: str) -> str | None:
    """The lead-in label of ``text`` when it is set in bold (``**Label**: rest``), as
    ``lead_label`` reads it; None for a plain ``Label: rest``, which is as often a sentence with a
    colon as a title ("List findings by severity: blocker, major, minor"), or no label."""
    return lead_label(text) if _label_patterns()[0].match(text) else None


def label_body(text: str) -> str:
    """What follows the lead-in label of ``text`` (``lead_label``); "" when it has none."""
    found = _lead_in(text, True)
    return text[found[1] :] if found else ""


def _lead_in(text: str, bare: bool) -> tuple[str | None, int] | None:
    """The lead-in label of ``text`` as ``lead_label`` reads it (None for an empty bold one) and
    where the rest of the text starts; None when the text opens with no label."""
    bold_re, plain_re = _label_patterns()
    bold = bold_re.match(text)
    if bold and (bare or _has_text(text, bold.end())):
        title = bold.group("label").strip()
        return (title[:-1].strip() if title.endswith(":") else title) or None, bold.end()
    plain = plain_re.match(text)
    if plain and (bare or _has_text(text, plain.end())):
        label = plain.group("label").strip()
        if len(label.split()) <= LABEL_MAX_WORDS and not label.lower().startswith(("http", "note")):
            return label, plain.end()
    return None


def _has_text(text: str, at: int) -> bool:
    """Whether text follows a label on its own line (not only on a later one)."""
    return at < len(text) and not text[at].isspace()


def label_only(text: str) -> bool:
    """Whether an item is a bare label (``**Suggested Fix**:``): its content, if any, is elsewhere."""
    return normalize(text).endswith(":")


def item_role(titles: Sequence[str | None], kind: str, text: str) -> str:
    """The role of an item: a task box is a checklist gate; a ``**With <agent>**:`` lead-in is a
    hand-off (``handoff``); else the role named by the nearest of its section ``titles`` (innermost first) that
    names one of ``lexicon.DISTINCT_ROLES``; else plain guidance. The matcher keeps items of
    different roles apart; ``diff`` names a removed pitfall or gate by it."""
    if kind == "task":
        return "gates"
    if is_handoff(text):
        return "handoff"
    for title in titles:
        if title is None:
            continue
        role = section_role(title)
        if role == PITFALLS_ROLE and len(title.split()) > PITFALL_TITLE_WORDS:
            # "Careful review of common logging anti-patterns": a sentence that names pitfalls as
            # its topic heads guidance, not a list of things to avoid.
            continue
        if role in DISTINCT_ROLES:
            return role
    return GUIDANCE_ROLE


def is_handoff(text: str) -> bool:
    """Whether ``text`` is a hand-off: its lead-in label names an agent to work with
    (``**With redis-expert**:``)."""
    return handoff_agent(text) is not None


def handoff_agent(text: str) -> str | None:
    """The agent a hand-off (``is_handoff``) names, case-folded (``redis-expert``); None for any
    other text."""
    label = lead_label(text)
    found = _HANDOFF_RE.match(label.strip()) if label is not None else None
    return found.group(1).casefold() if found is not None else None


_HANDOFF_RE = re.compile(r"(?i)with\s+[`@]?([\w.-]+)")


def roles_agree(role_a: str, text_a: str, role_b: str, text_b: str) -> bool:
    """Whether two items' roles (``item_role``) let them be one instruction: the same role, or a
    pitfall and plain guidance that both forbid (``negated``). A pitfall is walled off from
    guidance because it names the bad practice that a guideline with the same words asks for;
    "Never store tokens in localStorage" under "Never" and "Do not keep tokens in localStorage"
    under "Rules" both forbid it, and say one thing."""
    if role_a == role_b:
        return True
    return {role_a, role_b} == {PITFALLS_ROLE, GUIDANCE_ROLE} and negated(text_a) and negated(text_b)


PITFALL_TITLE_WORDS = 5
"""Most words a title may have to name a list of pitfalls ("Common Mistakes to Avoid"); longer
titles that mention pitfalls are sentences about finding them."""
