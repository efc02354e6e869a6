"""text.normalize strips formatting in linear time and gives what the regular expressions it
replaces gave, on every text short enough for them to finish."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmerge.fields import EXAMPLE_BLOCK, description_prose, example_spans, find_examples
from agentmerge.text import normalize

# The regular expressions normalize used before: right on short texts, quadratic on hostile ones.
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_EMPHASIS_RE = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\3(?!\w)")
# A code span as CommonMark reads it: a run of backticks closed by the next run of the same length.
_CODE_RE = re.compile(r"(?<!`)(`+)(?!`)(.*?)(?<!`)\1(?!`)", re.DOTALL)
_HIDDEN_RE = re.compile("[\U000f0000-\U000f00ff]")
_CODE_LITERAL_RE = re.compile(r"[*_~\[\]()!]")
_SPACE_RE = re.compile(r"\s+")


def _unpadded(content: str) -> str:
    """A code span's content without the space at each end that pads it (not one of spaces only)."""
    return content[1:-1] if content[:1] == content[-1:] == " " and content.strip(" ") else content


def regex_normalize(text: str) -> str:
    """Without backslashes (escapes and code spans are read from left to right: the test against
    markdown-it below)."""
    text = _SPACE_RE.sub(" ", text)
    text = _CODE_RE.sub(
        lambda m: _CODE_LITERAL_RE.sub(lambda c: chr(0xF0000 + ord(c.group(0))), _unpadded(m.group(2))), text
    )
    text = _LINK_RE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    previous = None
    while previous != text:
        previous = text
        text = _EMPHASIS_RE.sub(lambda m: m.group(2) if m.group(1) else m.group(4), text)
    text = _HIDDEN_RE.sub(lambda m: chr(ord(m.group(0)) - 0xF0000), text)
    return _SPACE_RE.sub(" ", text).strip()


MARKUP = st.text(alphabet=st.sampled_from(list('*_~`[]()!" a b\n.é')), max_size=30)


@settings(max_examples=3000, deadline=None)
@given(MARKUP)
def test_normalize_agrees_with_the_regular_expressions(text: str) -> None:
    """Emphasis, links and code spans: the same normal form as before."""
    assert normalize(text) == regex_normalize(text)


def rendered_text(text: str) -> str:
    """What CommonMark shows of ``text`` (markdown-it, inline), its white space aside."""
    from markdown_it import MarkdownIt

    shown = "".join(token.content for token in MarkdownIt("commonmark").parseInline(text)[0].children or [])
    return "".join(shown.split())


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("`\\\\$:a ")), max_size=24))
def test_escapes_and_code_spans_read_as_commonmark_reads_them(text: str) -> None:
    """Backslash escapes and code spans, read from left to right: an escaped backtick opens no
    span, a backslash in a span is a backslash (`` `C:\\` `` ends at its second backtick), and any
    ASCII punctuation may be escaped."""
    assert "".join(normalize(text).split()) == rendered_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "**Use** `uv`\n  always",
        "__Use__ uv always",
        "***bold italic***",
        'see [the docs](https://example.com "Docs") and ![logo](logo.png)',
        "snake_case_name and _emph_ and __strong__",
        "`*not emphasis*` but *this*",
        "[a](b [c](d) e](f)",
        "Use ``` fences around code",
        "a `x`` b and ``y ` z``",
        "`[a](b)` is not a link",
    ],
)
def test_normalize_of_real_markup_is_unchanged(text: str) -> None:
    """Constructs agent files use: the same normal form as the regular expressions gave."""
    assert normalize(text) == regex_normalize(text)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (r"\*literal\* and \_also\_", "*literal* and _also_"),
        (r"Open `C:\` first", "Open C:\\ first"),
        (r"a \`not code` b", "a `not code` b"),
        (r"costs \$5\: \<b\>", "costs $5: <b>"),
        ("Call `` foo ``'s method", "Call foo's method"),
        ("Run `` `x` `` now", "Run `x` now"),
    ],
)
def test_escapes_are_read_as_commonmark_reads_them(text: str, plain: str) -> None:
    """A backslash escapes any ASCII punctuation outside a code span and nothing inside one."""
    assert normalize(text) == plain


@pytest.mark.parametrize(
    "text",
    [
        "*a **b " * 20_000,
        "[" * 100_000 + "x" + "]" * 100_000,
        "[a](" * 50_000,
        "_a __b " * 20_000,
        "~~a " * 40_000,
        "*a " * 20_000 + "b* " * 20_000,
        "".join("`" * k + " a " for k in range(1, 450)) * 2,
        "`` ` " * 30_000,
        "\\`` ` " * 30_000,
    ],
    ids=[
        "emphasis",
        "brackets",
        "link-openers",
        "underscores",
        "tildes",
        "nested",
        "backtick-runs",
        "unequal-runs",
        "escaped-runs",
    ],
)
def test_normalize_is_fast_on_hostile_text(text: str) -> None:
    """Texts that took the regular expressions minutes take well under a second."""
    normalize.cache_clear()
    start = time.perf_counter()
    normalize(text)
    assert time.perf_counter() - start < 1.0


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["<example>", "</example>", "<EXAMPLE>", "x", "\n", "Examples:"]), max_size=12))
def test_example_blocks_are_what_the_regular_expression_finds(pieces: list[str]) -> None:
    """The same blocks, and the same description prose around them, as re.finditer/re.split."""
    text = "".join(pieces)
    found = [(m.start(), m.end(), m.start(1), m.end(1)) for m in re.finditer(EXAMPLE_BLOCK, text)]
    assert example_spans(text) == found
    first = re.search(r"(?i)<example>", text)
    if first is not None:
        rest = [part.strip() for part in re.split(EXAMPLE_BLOCK, text[first.start() :])[::2]]
        before = text[: first.start()].rstrip()
        for label in ("examples:", "example:", "for example:"):
            if before.lower().endswith(label):
                before = before[: -len(label)].rstrip()
                break
        assert description_prose(text) == "\n\n".join(part for part in [before, *rest] if part)


def test_a_description_of_unclosed_example_tags_is_read_fast() -> None:
    """50,000 <example> tags without a closing one: no block, the text kept, in well under a second."""
    text = "<example>" * 50_000
    start = time.perf_counter()
    assert find_examples(text) == () and description_prose(text) == text
    assert time.perf_counter() - start < 1.0


# How agentmerge.cluster.capitalised told a sentence's first word before: right, but a search over
# all that came before each word, so quadratic on a long text.
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\"'\u2014\u2013\u2192>-])\s*$")

WORDS = st.text(alphabet=st.sampled_from(list("aZ.-_ :\n'>1")), max_size=30)


@settings(max_examples=3000, deadline=None)
@given(WORDS)
def test_sentence_openings_are_what_the_regular_expression_finds(text: str) -> None:
    """A word opens a sentence where the expression searched over the text before it said so."""
    from agentmerge.cluster import _opens_sentence

    for start in range(len(text) + 1):
        assert _opens_sentence(text, start) == bool(_SENTENCE_START_RE.search(text, 0, start))


@pytest.mark.parametrize(
    "text",
    ["use Word y " * 20_000, "use Word y\n" * 20_000, "a" * 200_000, "a-" * 100_000, "ab.cd" * 40_000 + "_"],
    ids=["words", "lines", "one-word", "hyphens", "dots"],
)
def test_names_are_read_fast_on_hostile_text(text: str) -> None:
    """Texts whose names took minutes (160 s to consolidate a 220 KB paragraph with a copy of it
    one word longer; a dotted name read by one expression backtracked) are read in seconds at
    most: 0.2 to 0.7 s here, 1.5 s once with two test runs sharing two cores, which
    a one-second guard failed."""
    from agentmerge.cluster import capitalised, names, proper_names

    start = time.perf_counter()
    capitalised(text)
    names(text)
    proper_names(text)
    assert time.perf_counter() - start < 10.0


ELEMENTS = st.lists(st.sampled_from("abcx"), max_size=40)


@settings(max_examples=3000, deadline=None)
@given(
    ELEMENTS,
    ELEMENTS,
    st.integers(min_value=0, max_value=60),
    st.sampled_from([0, 5, 40, 10**9]),
    st.sampled_from([None, 0, 20, 10**9]),
)
def test_a_bounded_alignment_is_a_true_one(a: list[str], b: list[str], most: int, work: int, left: int | None) -> None:
    """Whatever the bounds on pairs and on comparisons, of one alignment and of a whole diff's, the
    aligner's blocks are common runs in order holding at least the common head, the opcodes turn
    ``a`` into ``b``, and within the bounds the blocks are difflib's own."""
    import difflib
    from unittest import mock

    from agentmerge import match

    budget = None if left is None else match.WorkBudget(left)
    with mock.patch.object(match, "ALIGN_MOST", most), mock.patch.object(match, "ALIGN_WORK", work):
        aligned = match.aligner(a, b, budget)
        blocks = aligned.get_matching_blocks()
        opcodes = aligned.get_opcodes()
    assert blocks[-1] == (len(a), len(b), 0)
    ends = (0, 0)
    for i, j, n in blocks[:-1]:
        assert n > 0 and i >= ends[0] and j >= ends[1] and a[i : i + n] == b[j : j + n]
        ends = (i + n, j + n)
    head = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    assert sum(n for _, _, n in blocks) >= head
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes:
        rebuilt.extend(a[i1:i2] if tag == "equal" else b[j1:j2])
    assert rebuilt == b
    if len(a) * len(b) <= most and work == 10**9 and left in (None, 10**9):
        assert blocks == difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()


def test_an_alignment_past_its_bounds_tells_elements_apart_by_equality() -> None:
    """Past its bounds the aligner takes a longest common subsequence's blocks from rapidfuzz,
    which compared a one-letter string by its code point and other elements by their hashes: "a"
    and 97 were one element."""
    from agentmerge import match

    assert match.aligner(["a", "b"], [97, "b"], match.WorkBudget(0)).get_opcodes() == [
        ("replace", 0, 1, 0, 1),
        ("equal", 1, 2, 1, 2),
    ]
    assert match.aligner([1.5, ("x", 1)], [hash(1.5), ("x", 1)], match.WorkBudget(0)).get_matching_blocks()[0] == (
        1,
        1,
        1,
    )


@pytest.mark.parametrize("pairs", [330, 3_000])
def test_a_redline_of_words_repeated_hundreds_of_times_is_fast(pairs: int) -> None:
    """A word and a mark written hundreds of times against the two the other way round (within
    ``match.ALIGN_MOST`` pairs at 330): every block found left two stretches to search again
    among hundreds of copies (7 s for 330)."""
    from agentmerge.diff import redline

    old, new = "x " + " ".join(["a\\"] * pairs), "x " + " ".join(["\\a"] * pairs)
    start = time.perf_counter()
    segments = redline(old, new)
    assert time.perf_counter() - start < 2.0
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new


TEXTS = st.text(alphabet=st.sampled_from(list("ab c.\u4e00\u4e01\u3002")), max_size=80)


@settings(max_examples=2000, deadline=None)
@given(TEXTS, TEXTS, st.integers(min_value=1, max_value=8))
def test_the_piece_ratio_is_a_lower_bound_of_the_character_ratio(a: str, b: str, most: int) -> None:
    """Whatever pieces it aligns (one by one, by runs, or only the head and tail when the runs
    are too many), ``piece_ratio`` never says two texts are more alike than their character
    ratio does, and says 100 of two equal texts."""
    from unittest import mock

    from rapidfuzz import fuzz

    from agentmerge import match

    with mock.patch.object(match, "PIECES_MOST", most):
        bound = match.piece_ratio(a, b)
        assert 0.0 <= bound <= fuzz.ratio(a, b) + 1e-9
        assert match.piece_ratio(a, a) == 100.0


def test_long_texts_are_compared_by_their_pieces() -> None:
    """Two texts past RATIO_EXACT_MOST are never handed to rapidfuzz's character ratio (seconds
    each for two long paragraphs), and two commas put in 60,000 characters of ideographs leave
    them near verbatim: a file of such paragraphs still consolidates into one."""
    from unittest import mock

    from agentmerge import match
    from agentmerge.scorer import near_verbatim

    a = "".join(chr(0x4E00 + (n * 7919) % 3000) for n in range(60_000))
    b = a[:20_000] + "\uff0c" + a[20_000:40_000] + "\u3001" + a[40_000:]
    assert len(a) * len(b) > match.RATIO_EXACT_MOST

    def refuse(*_: object, **__: object) -> float:
        raise AssertionError("rapidfuzz's character ratio on long texts")

    with mock.patch.object(match, "_FUZZ_RATIO", refuse):
        assert 99.0 < match.ratio(a, b) < 100.0
        assert match.similarity(a, b) > 0.99
        assert near_verbatim(a, b)
        assert match.ratio(a, b, cutoff=99.99) == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "http://" * 20_000,
        "https://" + "a." * 50_000 + "-",
        "x@" + "a." * 50_000 + "1",
        "x@" + "a-." * 30_000,
        "a+" * 50_000 + "@",
        "https://a@" * 20_000,
        "ignore all of the previous " * 10_000,
    ],
    ids=["scheme-runs", "dotted-host", "dotted-domain", "dashed-domain", "local-part", "user-runs", "overrides"],
)
def test_where_a_text_sends_is_read_fast_on_hostile_text(text: str) -> None:
    """``text.destinations``, ``text.unlinked`` and ``text.override_request`` read each link,
    address and phrase once: a scheme read from every word's start would take 17 s on the dotted
    domain."""
    from agentmerge.text import destinations, override_request, unlinked

    start = time.perf_counter()
    destinations(text)
    unlinked(text)
    override_request(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "".join("`" * k + "a" for k in range(1, 300)) * 2,
        "<!--" * 12_500,
        "<b hidden>x" * 5_000,
        '<div style="display:none">' * 5_000,
        "[//]: # (" + "x" * 50_000,
        "<" + "a " * 25_000,
    ],
    ids=["backtick-runs", "comment-openers", "hidden-tags", "unclosed-hidden", "reference-comment", "tag-opener"],
)
def test_what_a_rendered_file_hides_is_read_fast_on_hostile_text(text: str) -> None:
    """``text.unrendered`` reads each comment, code span and element once: texts that took a
    pattern per position quadratic time (15 s for the backtick runs) take well under a second."""
    from agentmerge.text import unrendered

    start = time.perf_counter()
    unrendered(text)
    unrendered(text, html=True)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("when " * 10_000 + ". x", "when " * 10_000 + ". x when possible"),
        ("unless " * 10_000 + ". x", "unless " * 10_000 + ". x unless asked"),
        ("Never " * 10_000 + "merge", "Never " * 10_000 + "not merge"),
        ("1 " * 20_000 + "hour", "1 " * 20_000 + "day"),
        ("x, and " * 10_000 + "y", "(x, but " * 10_000 + "never y"),
    ],
    ids=["empty-conditions", "exceptions", "negations", "numbers", "joined-clauses"],
)
def test_a_rule_changed_is_read_fast_on_hostile_text(old: str, new: str) -> None:
    """What ``diff`` asks of a reworded rule (its binding, its numbers, its sense) stays linear:
    the quote of an empty condition searched from every "when" to the clause's end took 10 s."""
    from agentmerge.text import limit_change, obligation_change, only_put, opposite_sense, prohibition_put

    start = time.perf_counter()
    prohibition_put(old, new)
    obligation_change(old, new)
    limit_change(old, new)
    only_put(old, new)
    opposite_sense(old, new)
    assert time.perf_counter() - start < 2.0


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=30), max_size=60),
    st.lists(st.integers(min_value=0, max_value=30), max_size=60),
    st.sampled_from([0, 4, 50]),
)
def test_an_alignment_anchored_on_lines_said_once_is_a_true_one(a: list[int], b: list[int], most: int) -> None:
    """Past ALIGN_MOST the middles are aligned on the elements each side holds once, then between
    them: the blocks are still common runs in order, the opcodes still turn ``a`` into ``b``, and
    every anchor, an element both sides hold once, in an order both keep, is in a block."""
    from unittest import mock

    from agentmerge import match

    with mock.patch.object(match, "ALIGN_MOST", most):
        aligned = match.aligner(a, b)
        blocks = aligned.get_matching_blocks()
        opcodes = aligned.get_opcodes()
    ends = (0, 0)
    for i, j, n in blocks[:-1]:
        assert n > 0 and i >= ends[0] and j >= ends[1] and a[i : i + n] == b[j : j + n]
        ends = (i + n, j + n)
    rebuilt: list[int] = []
    for tag, i1, i2, j1, j2 in opcodes:
        rebuilt.extend(a[i1:i2] if tag == "equal" else b[j1:j2])
    assert rebuilt == b
    if a == b:
        assert opcodes in ([], [("equal", 0, len(a), 0, len(b))])


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d"]), max_size=30),
    st.lists(st.sampled_from(["a\n", "b\n", "x\n", "\n", "d"]), max_size=30),
)
def test_a_unified_diff_is_difflibs_within_the_bounds(a: list[str], b: list[str]) -> None:
    """``match.unified_diff`` writes what ``difflib.unified_diff`` writes for files it can align
    whole (fewer than 200 lines a side, where difflib's heuristic for popular lines is off)."""
    import difflib

    from agentmerge import match

    assert list(match.unified_diff(a, b, "old", "new")) == list(difflib.unified_diff(a, b, "old", "new"))
    assert list(match.unified_diff(a, b, "old", "new", "")) == list(
        difflib.unified_diff(a, b, "old", "new", lineterm="")
    )


def test_a_long_file_of_repeated_lines_is_diffed_line_by_line(tmp_path: Path) -> None:
    """``fmt --diff`` of a file of 1,500 sections under six headings, each rewritten in two
    places, shows those lines and no other (difflib took minutes over such a file; a bound on
    its pairs alone would show the whole file replaced), and the diff applies."""
    section = "###### H{k}\n\n**Key points**:\n\n- point {n}\n\n- again\n\n"
    text = "---\nname: x\ndescription: y\n---\n\n" + "".join(section.format(k=n % 6, n=n) for n in range(1_500))
    path = tmp_path / "long.md"
    path.write_text(text, encoding="utf-8")
    done = run_cli("fmt", "--diff", str(path))
    assert done.exit_code == 0, done.stderr
    shown = str(done.stdout).splitlines(keepends=True)
    changed = [line for line in shown if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert sorted(set(changed)) == ["+**Key points:**\n", "-\n", "-**Key points**:\n"]
    assert len(changed) == 3 * 1_500 + 1  # and the blank line that ended the file
    # Apply the hunks: the original's lines, each hunk's "-" lines out and "+" lines in.
    lines, out, at = text.splitlines(keepends=True), [], 0
    for line in shown[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0][1:]) - 1
            out.extend(lines[at:start])
            at = start
        elif line[:1] in " -":
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        elif line[:1] == "+":
            out.append(line[1:])
    out.extend(lines[at:])
    path.write_text(text, encoding="utf-8")
    assert run_cli("fmt", str(path)).exit_code == 0
    assert "".join(out) == path.read_text(encoding="utf-8")
