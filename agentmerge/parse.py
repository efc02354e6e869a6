"""Read agent files into the model: frontmatter fields, a section tree and items.

Only this module sees YAML and markdown-it tokens. Frontmatter is split with python-frontmatter's
delimiter rule and loaded with a safe YAML loader that refuses aliases; when strict YAML rejects
it the way real agent files do (unquoted ``: `` in a description, a value starting with ``*``,
literal ``\\n`` with ``<example>`` blocks) the keys are recovered line by line and a warning says
so. The body is parsed with markdown-it-py, whose tokens carry source line maps, and folded into
sections at headings and pseudo-headings.
"""

from __future__ import annotations

import bisect
import codecs
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from agentmerge.errors import InputError
from agentmerge.fields import EXAMPLE_LINE_WORDS, find_examples, read_prose, value_text
from agentmerge.filesystem import MAX_FILE_BYTES, STDIN, read_bytes, too_large
from agentmerge.model import Agent, Diagnostic, Field, Item, ItemKind, Section
from agentmerge.text import hidden_text, lead_label, may_ask_override, override_request

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from markdown_it import MarkdownIt


REWRITE_UNSAFE = {"bad-utf8": ("is not valid UTF-8", "the bad bytes"), "nul": ("contains NUL characters", "them")}
"""The ``decode`` warnings (kind: what the file is found to be, what is replaced) after which the
text no longer gives the file's bytes back, bad bytes or NUL characters being replaced. A command
that writes a file again from its text leaves such a file as it was (``fmt``, ``check --fix``:
``rewrite_refusal``), or decodes it with ``keep_bytes`` (``merge``)."""

MAX_NESTING = 40
"""Deepest block nesting markdown-it follows; deeper lines are kept as plain paragraphs.

markdown-it recurses once per level, so an unbounded depth (a 5,000-deep quote) would exhaust
Python's stack. Real agent files nest three or four levels.
"""

PSEUDO_TITLE_MAX = 80
"""Longest plain ``Label:`` line still read as a pseudo-heading over a list, in characters
without emphasis or code markers; a longer line is an instruction that happens to end in ``:``."""

PSEUDO_TITLE_WORDS = 12
"""Most words a bold line without a colon may have to be a pseudo-heading (more is a sentence)."""

SENTENCE_END = (".", "!", "?")
"""Punctuation that ends a sentence: a bold line ending in one is an instruction, not a title."""

BINARY_SAMPLE = 8192
"""How many leading bytes are examined to tell a binary file from text."""

_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
"""Control bytes that plain text does not hold (tab, newlines, form feed and carriage return
aside): a sample more than a tenth of them is binary."""

MAX_FRONTMATTER_BYTES = 64 * 1024
"""Largest frontmatter read, in characters (64 KiB); a larger one is refused (exit 2).

Real frontmatter is a few keys and a description, under 2 KB; PyYAML builds a Python object per
key and value, so 100,000 keys would take it many seconds to load and every command more to use.
"""

MAX_LINE_CHARS = 100_000
"""Longest line read, in characters; a file with a longer line is refused (exit 2).

Real lines stay under 2,000 characters. Long lines cost little by themselves, but a table row
is split cell by cell, and a line this long is no instruction anyone reads.
"""

MAX_TABLE_CELLS = 20_000
"""Most table cells a file may hold before its tables are read as plain paragraphs, with a warning.

markdown-it-py completes every row of a table to the header's width, three tokens a cell: a
header of 200 columns over 300 one-character rows (1.5 KB) costs 200,000 tokens and two seconds,
and such tables repeat. Counted before parsing, from each delimiter row's columns times the rows
that follow it, which can only overestimate.
"""

# An HTML comment that only lists sources (``<!-- a.md:17, b.md:12 -->``), as written by
# ``consolidate --annotate``; the parser drops it so annotated output parses like plain output.
ANNOTATION_RE = re.compile(r"(?:[ \t]*(?:(?<=\s)|^)<!--\s*[^\s<>,]+:\d+(?:\s*,\s*[^\s<>,]+:\d+)*\s*-->)+[ \t]*$")

LONE_TAG_RE = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s[^<>\n]*)?/?>")
"""A paragraph that is one opening or closing tag and nothing else: markup, as an HTML block is.
Markdown reads a tag as HTML only when its name has letters, digits and hyphens; the tags that
agent prompts wrap their parts in (``<output_format>``, ``</knowledge_sources>``) have
underscores, so Markdown leaves them paragraphs, which would match as instructions ("</rules>"
folded into "<rules>")."""

_BOLD_ONLY_RE = re.compile(r"^(\*\*|__)(?P<title>(?:(?!\1).)+?)\1[ \t]*(?P<colon>:?)[ \t]*$")
_TASK_RE = re.compile(r"^\[([ xX])\](?:[ \t]+|$|(?=\n))")
_POINT_RE = re.compile(r"^[\u2022\u25e6\u25aa\u2013][ \t]+(?=\S)")
"""A line that opens with a typographic bullet (``•``, ``◦``, ``▪``, ``–``) and text: CommonMark
reads it as a continuation of the paragraph above, its author as one more point of a list."""
_STRUCTURE_ONLY_RE = re.compile(r"^(?:[ \t>]|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))*$")

# Patterns of rarer constructs (lenient frontmatter, ``<example>`` blocks, quotes, setext
# underlines after an annotation) stay strings, compiled on first use by ``re``'s cache, so a
# command that never meets them does not compile them at start-up.
UNDERLINE = r"^ {0,3}(?:=+|-+)[ \t]*$"
"""A setext heading's underline (also what the writer guards text against ending in)."""
_KEY = r"^(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]|$)"
_QUOTE_MARK = r"^[ \t]*> ?"
_LIST_MARKERS = r"^(?:[ \t]*(?:[-*+]|\d{1,9}[.)])(?=[ \t]))*"


# --------------------------------------------------------------------------------------------
# Reading and decoding


def read_agent(path: str | Path) -> Agent:
    """Read and parse the agent file at ``path``; ``-`` reads standard input."""
    name = str(path)
    return parse_bytes(read_bytes(name), STDIN if name == "-" else name)


def parse_bytes(data: bytes, path: str = STDIN) -> Agent:
    """Decode ``data`` (UTF-8, UTF-16 with BOM, or damaged UTF-8) and parse it.

    Raises InputError for more than MAX_FILE_BYTES, binary data, or a line over MAX_LINE_CHARS.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(path, 0, too_large())
    text, warnings = decode(data, path)
    return parse_text(text, path, _warnings=warnings)


def decode(
    data: bytes, path: str, *, keep_endings: bool = False, keep_bytes: bool = False
) -> tuple[str, list[Diagnostic]]:
    """Return the text of ``data`` with line endings made ``\\n`` and warnings for repairs.

    ``keep_endings`` leaves ``\\r\\n`` and ``\\r`` as they are, for a caller that writes the text back
    (``merge`` keeps OURS' line endings); the lines are the same lines either way.

    Raises InputError for binary data. Invalid UTF-8 is decoded with U+FFFD replacements and a
    warning naming the first bad line; NUL characters become U+FFFD, as CommonMark prescribes.
    ``keep_bytes`` keeps both as they are instead, for a caller that writes the text back
    (``merge``): a bad byte decodes as a lone surrogate (``surrogateescape``), which
    ``filesystem.write_atomic`` writes as the byte it was. Either way the warning is of a kind in
    REWRITE_UNSAFE.
    """
    warnings: list[Diagnostic] = []
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        # UTF-32's little-endian mark opens with UTF-16's: read as UTF-16 it is text of NULs.
        raise InputError(path, 0, "starts with a UTF-32 mark; save it as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, 0, "starts with a UTF-16 mark but is not valid UTF-16; save it as UTF-8") from None
    else:
        sample = data[:BINARY_SAMPLE]
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        # Random data holds a control byte in only about one byte of ten, but bytes UTF-8 refuses
        # in about two of five; Latin-1 text dense with accents, in one of four at most.
        undecodable = sample.decode("utf-8", "replace").count("\ufffd") - sample.count(b"\xef\xbf\xbd")
        if sample and (controls > len(sample) // 10 or undecodable > len(sample) // 3):
            raise InputError(path, 0, "is a binary file, not a Markdown agent file")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            text = data.decode("utf-8", errors="surrogateescape" if keep_bytes else "replace")
            done = "the bad bytes are kept as they are" if keep_bytes else "bad bytes were replaced with U+FFFD"
            warnings.append(Diagnostic(path, line, f"{REWRITE_UNSAFE['bad-utf8'][0]}; {done}", "bad-utf8"))
    if text.startswith("\ufeff"):
        text = text[1:]
    if not keep_endings:
        text = unix_endings(text)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        if not keep_bytes:
            text = text.replace("\x00", "\ufffd")
        done = "they are kept as they are" if keep_bytes else "they were replaced with U+FFFD"
        warnings.append(Diagnostic(path, line, f"{REWRITE_UNSAFE['nul'][0]}; {done}", "nul"))
    return text, warnings


def written_as(data: bytes) -> tuple[str, str]:
    """How a command that writes a file back from its text keeps the file's encoding: the byte
    order mark to put before the text (``decode`` drops it) and the codec to write with. UTF-16 is
    written back as UTF-16 in its byte order and UTF-8 with a mark keeps its mark; ``fmt`` alone
    writes the canonical form (UTF-8, no mark). Everything else is UTF-8."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return "\ufeff", "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "\ufeff", "utf-16-be"
    return ("\ufeff" if data.startswith(codecs.BOM_UTF8) else ""), "utf-8"


_KEPT_BYTE_RE = re.compile("[\x00\ud800-\udfff]")


def readable(text: str) -> str:
    """``text`` with what ``decode`` kept with ``keep_bytes`` (bad bytes as lone surrogates, NUL
    characters) as U+FFFD, one character for one, so lines and columns stay where they are in the
    kept text: what the parser and the reports read, while writing the kept text back gives the
    bytes. (Decoding without ``keep_bytes`` may read a broken sequence of bytes as one U+FFFD.)"""
    return _KEPT_BYTE_RE.sub("\ufffd", text)


def rewrite_refusal(warnings: Sequence[Diagnostic]) -> tuple[int, str] | None:
    """Why a command that writes a file again from its text must leave it as it was: the line and
    the finding (REWRITE_UNSAFE) of the first such warning in ``warnings``; None when none is."""
    found = next((w for w in warnings if w.kind in REWRITE_UNSAFE), None)
    if found is None:
        return None
    what, replaced = REWRITE_UNSAFE[found.kind]
    return found.line, f"{what}: writing it again would replace {replaced} with U+FFFD"


# --------------------------------------------------------------------------------------------
# The whole file


def unix_endings(text: str) -> str:
    """``text`` with every line ending (``\\r\\n``, a lone ``\\r``) made ``\\n``: Markdown reads each
    as the end of a line, and line numbers count ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_text(text: str, path: str = STDIN, *, _warnings: list[Diagnostic] | None = None) -> Agent:
    """Parse the decoded text of an agent file; its line endings are made ``\\n`` (``unix_endings``)."""
    text = unix_endings(text)
    _check_line_lengths(text, path)
    warnings = list(_warnings or ())
    fields: tuple[Field, ...] = ()
    has_frontmatter = False
    body_text, body_first_line = text, 1

    split = _split_frontmatter(text, path, warnings)
    if split is not None:
        fm_text, fm_first_line, body_text, body_first_line = split
        too_large = _frontmatter_over(fm_text)
        if too_large:
            raise InputError(path, fm_first_line, f"the frontmatter is {too_large}; an agent's settings are a few keys")
        loaded = _load_frontmatter(fm_text, fm_first_line, path, warnings)
        if loaded is None:
            body_text, body_first_line = text, 1
        else:
            fields, has_frontmatter = loaded, True

    body = _parse_body(body_text, body_first_line, path, warnings)
    warnings.extend(hidden_warnings(text, path))
    if may_ask_override(text):
        warnings.extend(override_warnings(Agent(path=path, fields=fields, body=body)))
    warnings.sort(key=lambda w: w.line)
    return Agent(path=path, fields=fields, body=body, has_frontmatter=has_frontmatter, warnings=tuple(warnings))


def hidden_warnings(text: str, path: str) -> list[Diagnostic]:
    """A warning for each run of text a reader does not see (``text.hidden_text``), on its line of
    ``text``: every command that reads the file says so, ``consolidate`` before it carries it into
    a file of its own, ``merge`` of what it writes. ``check`` reports it as AM004, with its column."""
    return [
        Diagnostic(
            path, text.count("\n", 0, offset) + 1, f"{what}: a reader does not see what the model reads", "hidden-text"
        )
        for offset, what in hidden_text(text)
    ]


def override_warnings(agent: Agent) -> list[Diagnostic]:
    """A warning for each heading, instruction or description of ``agent`` that asks the model to
    set aside its other instructions (``text.override_request``: "Ignore all previous
    instructions"), at its line: every command that reads the file says so, ``consolidate``
    before it carries it into a file of its own. ``check`` reports it as AM207."""
    description = agent.field("description")
    texts = [(description.line, description.value)] if description and isinstance(description.value, str) else []
    texts += [(section.line, section.title) for section in agent.body.walk() if section.title]
    texts += [(item.line, item.text) for _, item in agent.items()]
    return [
        Diagnostic(agent.path, line, f'"{found}" asks the model to set aside its instructions', "instruction-override")
        for line, text in texts
        if (found := override_request(text))
    ]


def frontmatter_span(text: str) -> tuple[int, int] | None:
    """The 1-based lines of the opening and closing ``---`` of ``text``'s frontmatter, or None.

    ``text`` is decoded with line endings made ``\\n``; the delimiters are found as
    ``_split_frontmatter`` finds them, leading blank lines tolerated.
    """
    from frontmatter.default_handlers import YAMLHandler

    boundary = YAMLHandler.FM_BOUNDARY
    stripped = text.lstrip("\n \t")
    start = len(text) - len(stripped) if stripped.startswith("---") else 0
    opening = boundary.match(text, start)
    closing = boundary.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        return None
    return text[: opening.start()].count("\n") + 1, text[: closing.start()].count("\n") + 1


def unkept_yaml(fm_text: str) -> str | None:
    """What of frontmatter ``fm_text`` the model does not hold, so that writing the fields again
    would lose it: "comments" (``# model: opus`` left out on purpose), "anchors and aliases"
    (``&a`` and ``*a``, which the parser refuses to expand) or values in a spelling that writing
    them again would change (``retries: 010``, ``enabled: yes``: ``respelled_value``); None when
    there is none of these (``yaml_comments`` says where YAML reads a comment)."""
    scan = _scan_yaml(fm_text)
    if scan.anchors:
        return "anchors and aliases"
    if _comment_starts(fm_text, scan.spans):
        return "comments"
    if scan.respelled:
        return f"value spellings another YAML reader may read otherwise ('{scan.respelled[0][1]}')"
    return None


def yaml_comments(text: str) -> tuple[str, ...]:
    """The comments of YAML ``text``, each from its ``#`` to the end of its line, in order.

    A ``#`` is a comment where YAML reads one, outside every scalar; for text that YAML cannot
    scan, any ``#`` opening a line or after a space counts."""
    starts = _comment_starts(text, _scan_yaml(text).spans)
    return tuple(text[at:].split("\n", 1)[0].rstrip() for at in starts)


_HASH_RE = re.compile(r"(?:^|(?<=\s))#", re.MULTILINE)


def _comment_starts(text: str, spans: list[tuple[int, int]] | None) -> list[int]:
    """Where the comments of YAML ``text`` start, given its scalars' ``spans`` (None: unscannable)."""
    hashes = [m.start() for m in _HASH_RE.finditer(text)]
    if spans is not None:
        # The scanner gives the scalars in text order: the one a '#' may sit in is the last to open before it.
        opens = [start for start, _ in spans]
        hashes = [at for at in hashes if (k := bisect.bisect_right(opens, at) - 1) < 0 or at >= spans[k][1]]
    starts: list[int] = []
    end = -1  # where the last comment's line ends: a '#' before it ('# see #12') is its text
    for at in hashes:
        if at > end:
            starts.append(at)
            line_end = text.find("\n", at)
            end = len(text) if line_end < 0 else line_end
    return starts


class _Scan(NamedTuple):
    """What a scan of YAML text finds that the model does not hold (``_scan_yaml``)."""

    spans: list[tuple[int, int]] | None
    """Where its scalars start and end; None when YAML cannot scan the text."""
    anchors: list[int]
    """Where its anchors and aliases are (those found before a scan error too)."""
    respelled: list[tuple[int, str]]
    """Where its plain values that writing again would respell are, and those values (none when
    the scan fails)."""


def _scan_yaml(text: str) -> _Scan:
    """Scan YAML ``text`` once for what ``_Scan`` holds."""
    import yaml

    spans: list[tuple[int, int]] = []
    anchors: list[int] = []
    respelled: list[tuple[int, str]] = []
    try:
        for token in yaml.scan(text, Loader=_strict_loader_class()):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                anchors.append(token.start_mark.index)
            elif isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
                if token.plain and respelled_value(token.value):
                    respelled.append((token.start_mark.index, token.value))
    except yaml.YAMLError:
        return _Scan(None, anchors, [])
    return _Scan(spans, anchors, respelled)


def spelled_value(field: Field) -> str | None:
    """The value of a one-line key as written, its comment left out, when writing it again would
    spell it otherwise (``version: 1.10``, ``enabled: yes``: ``respelled_value``); None for every
    other key. Read from the key's lines as written (``Field.written``)."""
    for line in field.written.split("\n"):
        if re.match(rf"{re.escape(field.key)}[ \t]*:", line):
            starts = _comment_starts(line, _scan_yaml(line).spans)
            plain = line[: starts[0] if starts else len(line)].split(":", 1)[1].strip()
            return plain if plain and respelled_value(plain) else None
    return None


def written_reads_back(field: Field) -> bool:
    """Whether ``field.written``, read as the parser reads a frontmatter, gives ``field``'s key
    and value (type included): lines kept from an input stop being the field's when a later step
    gives it another value (a tool list renamed for the format the merged agent is written for)."""
    if not field.written:
        return False
    found = [f for f in _load_frontmatter(field.written, 1, "", []) or () if f.key == field.key]
    return (
        len(found) == 1
        and type(found[0].value) is type(field.value)
        and value_text(found[0].value) == value_text(field.value)
    )


def respelled_value(plain: str) -> bool:
    """Whether the unquoted YAML scalar ``plain`` reads as a number, a truth value or a date that
    is written back in another spelling: ``010`` as 8 (YAML 1.1 octal; YAML 1.2 readers, as
    JavaScript tools are, read 10), ``yes`` and ``on`` as true (strings to YAML 1.2), ``1.10``
    as 1.1 (a version number), ``2024-01-02`` in quotes (a date to some readers, a string to
    others). Such a value is kept as written: a canonical spelling would change what another
    tool reads. ``true``, ``42``, ``0.5`` and words are written back as they are, and ``True``
    as true, which every reader takes for the same."""
    if not plain or plain[0] not in "0123456789+-.tTfFyYnNoO~":
        return False  # every YAML 1.1 number, truth value and date starts so
    if _CANONICAL_RE.fullmatch(plain):
        return False  # the common spellings, written back as they are, without asking YAML
    if len(plain) > MAX_NUMBER_DIGITS:
        return True  # a number too long to write again (Python's limit on integer digits)
    import yaml

    try:
        value = yaml.load(plain, Loader=_strict_loader_class())
    except yaml.YAMLError:
        return False
    if value is None or isinstance(value, str) or (isinstance(value, bool) and plain.lower() == str(value).lower()):
        return False  # True and FALSE are truth values to every YAML reader
    if isinstance(value, (datetime.date, datetime.datetime)):
        return True
    written = yaml.safe_dump([value], default_flow_style=True, width=1_000_000).strip()
    return written != f"[{plain}]"


_CANONICAL_RE = re.compile(r"-?(?:0|[1-9][0-9]*)|true|false|null|~")
"""Plain scalars YAML writes back as they are: integers in decimal, truth values and null in
lower case (``respelled_value`` need not load them)."""


def _check_line_lengths(text: str, path: str) -> None:
    """Refuse a text with a line longer than MAX_LINE_CHARS, naming the first such line."""
    long = _long_line(text)
    if long is not None:
        number, length = long
        limit = f"more than agentmerge reads ({MAX_LINE_CHARS:,})"
        raise InputError(path, number, f"the line is {length:,} characters long, {limit}; wrap it")


def _long_line(text: str) -> tuple[int, int] | None:
    """The first line of ``text`` longer than MAX_LINE_CHARS, as (line number, length), or None."""
    if len(text) <= MAX_LINE_CHARS:
        return None
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            return number, len(line)
    return None


def over_limit(text: str) -> tuple[str, str] | None:
    """The first of the reader's limits that ``text`` breaks, as (which: "file", "line" or
    "frontmatter"; what is over it), or None when ``parse_bytes`` takes it: its UTF-8 bytes
    (MAX_FILE_BYTES), a line (MAX_LINE_CHARS), the frontmatter (MAX_FRONTMATTER_BYTES). Nothing
    is parsed.

    What agentmerge writes is held to it before it is written (``writer.check_readable``): a
    merged agent that ``check``, ``diff`` or a second ``consolidate`` would refuse is no output."""
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > MAX_FILE_BYTES:
        return "file", f"it is {size // 1024:,} KiB, more than agentmerge reads ({MAX_FILE_BYTES // 1024} KiB)"
    long = _long_line(text)
    if long is not None:
        number, length = long
        return "line", f"line {number:,} is {length:,} characters long, more than agentmerge reads ({MAX_LINE_CHARS:,})"
    split = _split_frontmatter(text, STDIN, [])
    too_large = _frontmatter_over(split[0]) if split is not None else ""
    return ("frontmatter", f"its frontmatter is {too_large}") if too_large else None


def _frontmatter_over(fm_text: str) -> str:
    """How far a frontmatter's text is over MAX_FRONTMATTER_BYTES, in words ("68 KiB, more than
    agentmerge reads (64 KiB)"); empty when it is not."""
    if len(fm_text) <= MAX_FRONTMATTER_BYTES:
        return ""
    return f"{len(fm_text) // 1024:,} KiB, more than agentmerge reads ({MAX_FRONTMATTER_BYTES // 1024} KiB)"


def _split_frontmatter(text: str, path: str, warnings: list[Diagnostic]) -> tuple[str, int, str, int] | None:
    """Split off the frontmatter: (yaml text, its first line, body text, body's first line).

    Uses python-frontmatter's delimiter rule (a line of three or more dashes). Returns None when
    the file has no frontmatter. Leading blank lines before ``---`` are tolerated with a warning;
    an opening ``---`` that is never closed makes the whole file body, with a warning.
    """
    from frontmatter.default_handlers import YAMLHandler

    boundary = YAMLHandler.FM_BOUNDARY
    start = 0
    stripped = text.lstrip("\n \t")
    if stripped is not text and stripped.startswith("---"):
        start = len(text) - len(stripped)
        if boundary.match(text, start):
            line = text[:start].count("\n") + 1
            warnings.append(
                Diagnostic(
                    path, line, "frontmatter starts after blank lines; read as frontmatter anyway", "late-frontmatter"
                )
            )
    opening = boundary.match(text, start)
    if opening is None:
        return None
    closing = boundary.search(text, opening.end())
    if closing is None:
        line = text[:start].count("\n") + 1
        warnings.append(
            Diagnostic(
                path,
                line,
                "frontmatter opened with '---' is never closed; the file is read as Markdown only",
                "unclosed",
            )
        )
        return None
    fm_text = text[opening.end() : closing.start()]
    fm_first_line = text[: opening.end()].count("\n") + 1
    body_first_line = text[: closing.end()].count("\n") + 1
    return fm_text, fm_first_line, text[closing.end() :], body_first_line


# --------------------------------------------------------------------------------------------
# Frontmatter


class _Refused(Exception):
    """A YAML construct the strict loader will not build (aliases)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _strict_loader_class() -> type[Any]:
    """libyaml's safe loader when PyYAML was built with it, else the pure-Python one.

    libyaml reads a large frontmatter twenty times faster (100,000 keys: 3 s instead of 60 s).
    Neither can refuse an alias while composing from outside, so ``_refuse_aliases`` looks for
    them first.
    """
    import yaml

    loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


_STRICT_LOADER: type[Any] | None = None


def _refuse_aliases(fm_text: str, loader: type[Any]) -> None:
    """Raise _Refused at the first YAML alias, so an alias bomb cannot expand in later steps.

    Aliases need a ``*``, so text without one is not scanned. Errors before the first alias are
    raised as the loader would raise them.
    """
    if "*" not in fm_text:
        return
    import yaml

    for event in yaml.parse(fm_text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark.line if event.start_mark else 0, "YAML aliases are not supported")


MAX_YAML_DEPTH = 32
"""Deepest nesting of lists and mappings a frontmatter may have. Agents' frontmatter nests two or
three levels (hooks, MCP servers); reading a value walks it once per level, so a deeper one (a
900-deep list of lists is valid YAML) is refused rather than exhausting Python's stack."""

MAX_NUMBER_DIGITS = 1000
"""Most characters of a YAML number. Python refuses to write an integer of over 4,300 decimal
digits as text, which every output does; a thousand characters of hexadecimal make 1,205."""

_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _refuse_unreadable(node: Any) -> None:
    """Raise _Refused at the first node of ``node``'s tree nested deeper than MAX_YAML_DEPTH, or
    at a number longer than MAX_NUMBER_DIGITS. The tree is walked with a stack, not recursion."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        line = current.start_mark.line if current.start_mark else 0
        value = current.value
        if isinstance(value, str):
            if current.tag in _NUMBER_TAGS and len(value) > MAX_NUMBER_DIGITS:
                raise _Refused(line, f"a number of more than {MAX_NUMBER_DIGITS:,} digits")
            continue
        if depth > MAX_YAML_DEPTH:
            raise _Refused(line, f"nested more than {MAX_YAML_DEPTH} levels deep")
        for child in value:
            if isinstance(child, tuple):
                stack.extend((part, depth + 1) for part in child)
            else:
                stack.append((child, depth + 1))


def _unbuilt_line(node: Any) -> int:
    """The line of the first scalar of ``node``'s tree that the safe loader cannot build (an
    impossible date, ``!!int x``); the tree's first line when each builds alone."""
    loader = _strict_loader_class()("")
    try:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current.value, str):
                try:
                    loader.construct_object(current)
                except (ValueError, KeyError, AttributeError, TypeError):
                    return int(current.start_mark.line) if current.start_mark else 0
                continue
            for child in reversed(current.value):
                stack.extend(reversed(child) if isinstance(child, tuple) else (child,))
    finally:
        loader.dispose()
    return int(node.start_mark.line) if node.start_mark else 0


def loads_strictly(fm_text: str) -> bool:
    """Whether ``fm_text`` reads as strict YAML, as a frontmatter is read (``_strict_load``: no
    alias, no nesting past MAX_YAML_DEPTH, no number past MAX_NUMBER_DIGITS)."""
    import yaml

    try:
        _strict_load(fm_text)
    except (yaml.YAMLError, _Refused, RecursionError):
        return False
    return True


def _strict_load(fm_text: str) -> tuple[Any, list[tuple[str, Any, int, int, bool]]]:
    """Load YAML strictly; return the data and, for a mapping, (key, value, line, end, respelled)
    per key, ``respelled`` telling whether the value holds a plain scalar that writing it again
    would spell otherwise (``respelled_value``).

    Lines are 0-based within ``fm_text``. Raises yaml.YAMLError, _Refused or RecursionError.
    """
    global _STRICT_LOADER
    if _STRICT_LOADER is None:
        _STRICT_LOADER = _strict_loader_class()
    _refuse_aliases(fm_text, _STRICT_LOADER)
    loader = _STRICT_LOADER(fm_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        _refuse_unreadable(node)
        try:
            data = loader.construct_document(node)
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            # PyYAML raises these, not YAMLError, for a tagged or dated value it cannot build.
            detail = str(exc).split("\n", 1)[0][:80] or type(exc).__name__
            raise _Refused(_unbuilt_line(node), f"a value YAML cannot read: {detail}") from None
    finally:
        loader.dispose()
    entries: list[tuple[str, Any, int, int, bool]] = []
    if isinstance(data, dict):
        keys = [loader.construct_object(key_node, deep=True) for key_node, _ in node.value]
        # A key YAML reads as another type ("null", "true", ".nan") keeps its spelling, not
        # Python's ("None", "True", "nan"), which a rewrite would put in its place.
        names = [
            key_node.value if isinstance(key_node.value, str) else str(key)
            for (key_node, _), key in zip(node.value, keys, strict=True)
        ]
        # YAML's 1, 1.0 and true are three keys but one in a Python dict (1 == 1.0 == True), which
        # holds the last one's value: where the dict holds fewer keys than were written (those, or
        # a key written twice), each key's value is built from its own node.
        own_values = len(data) < len(node.value)
        for (key_node, value_node), key, name in zip(node.value, keys, names, strict=True):
            end = value_node.end_mark.line
            if value_node.end_mark.column == 0 and end > key_node.start_mark.line:
                end -= 1
            value = loader.construct_object(value_node, deep=True) if own_values else data.get(key)
            respelled = any(respelled_value(plain) for plain in _plain_spellings(value_node))
            entries.append((name, value, key_node.start_mark.line, end, respelled))
    return data, entries


def _plain_spellings(node: Any) -> Iterator[str]:
    """The plain (unquoted) scalars in YAML ``node`` that YAML reads as something other than a
    string (``10``, ``yes``, ``2024-01-02``): the values whose spelling writing could change."""
    import yaml

    stack = [node]
    while stack:
        found = stack.pop()
        if isinstance(found, yaml.ScalarNode):
            # Plain style is None to PyYAML's own loader and "" to libyaml's.
            if not found.style and found.tag != "tag:yaml.org,2002:str":
                yield found.value
        elif isinstance(found, yaml.SequenceNode):
            stack.extend(found.value)
        elif isinstance(found, yaml.MappingNode):
            stack.extend(value for _, value in found.value)


def _load_frontmatter(fm_text: str, first_line: int, path: str, warnings: list[Diagnostic]) -> tuple[Field, ...] | None:
    """Return the frontmatter's fields, or None when it is not a mapping (then it is body)."""
    import yaml

    try:
        data, entries = _strict_load(fm_text)
    except (yaml.YAMLError, _Refused, RecursionError) as exc:
        read = _with_verbatim_keys(fm_text, first_line, path, warnings)
        if isinstance(read, tuple):
            return read
        line, problem = _yaml_problem(read or exc)
        warnings.append(
            Diagnostic(
                path,
                first_line + line,
                f"frontmatter is not valid YAML ({problem}); keys were read leniently",
                "invalid-yaml",
            )
        )
        return tuple(_lenient_fields(fm_text, first_line, path, warnings))
    if data is None:
        return ()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        warnings.append(
            Diagnostic(
                path, first_line, f"frontmatter is {kind}, not a mapping of keys; it is read as Markdown", "not-mapping"
            )
        )
        return None
    # A repeated key moves to where it was last written, with its last value.
    fields: dict[str, Field] = {}
    seen: dict[str, int] = {}
    lines = fm_text.split("\n")
    written = _written_lines(fm_text, lines, entries) if "#" in fm_text or any(e[4] for e in entries) else {}
    for key, value, line, end, _ in entries:
        if key in seen:
            warnings.append(
                Diagnostic(
                    path,
                    first_line + line,
                    f"duplicate frontmatter key '{key}' (first on line {seen[key]}); the last value is used",
                    "duplicate-key",
                )
            )
            del fields[key]
        seen[key] = first_line + line
        quote = _quote_of(lines[line]) if end == line else ""
        fields[key] = _make_field(key, value, first_line + line, first_line + end, quote, written.get(line, ""))
    return tuple(fields.values())


def _written_lines(fm_text: str, lines: list[str], entries: list[tuple[str, Any, int, int, bool]]) -> dict[int, str]:
    """The lines of each key that hold what its value does not (``Field.written``: a comment, an
    anchor, a respelled value; ``unkept_yaml``), by the key's line: from the line after the key
    before it (the comment lines above it are its own; those after the last key go with that key)
    to the end of its value, blank lines at either end left out. One scan of the whole text;
    ``lines`` is it split at line breaks."""
    scan = _scan_yaml(fm_text)
    marks = [*_comment_starts(fm_text, scan.spans), *scan.anchors, *(at for at, _ in scan.respelled)]
    line_starts = [0, *(m.end() for m in re.finditer("\n", fm_text))]
    marked = {bisect.bisect_right(line_starts, at) - 1 for at in marks}
    found: dict[int, str] = {}
    start = 0
    for n, (_, _, line, end, _) in enumerate(entries):
        stop = len(lines) if n == len(entries) - 1 else end + 1
        # Kept only for a key at the margin: beside keys written there, an indented one would not read.
        if not lines[line][:1].isspace() and any(k in marked for k in range(start, stop)):
            found[line] = "\n".join(lines[start:stop]).strip("\n").rstrip()
        start = end + 1
    return found


def _with_verbatim_keys(
    fm_text: str, first_line: int, path: str, warnings: list[Diagnostic]
) -> tuple[Field, ...] | BaseException | None:
    """The fields of a frontmatter that strict YAML rejects only in keys its format reads as the
    rest of their line (``formats.Format.verbatim_keys``: Cursor's ``globs: **/*.ts``), which is
    that tool's own form and no error. When the other keys have problems too, the first of those
    (what to report); None when the format has no such keys or the frontmatter none of them.

    The other keys are read as strict YAML; each such key's line is read as it is read alone.
    """
    import yaml

    from agentmerge.formats import verbatim_keys

    keys = verbatim_keys([path])
    if not keys:
        return None
    lines = fm_text.split("\n")
    own: dict[int, str] = {}
    for index, line in enumerate(lines):
        match = re.match(_KEY, line)
        if match is not None and match.group("key") in keys and line.split(":", 1)[1].strip():
            own[index] = match.group("key")
    if not own:
        return None
    blanked = "\n".join(f"{own[n]}: ''" if n in own else line for n, line in enumerate(lines))
    try:
        _strict_load(blanked)
    except (yaml.YAMLError, _Refused, RecursionError) as exc:
        return exc
    fields = _load_frontmatter(blanked, first_line, path, warnings)
    if fields is None:
        return None
    read = {first_line + n: lines[n] for n in own}
    return tuple(
        _make_field(f.key, _lenient_value([read[f.line]], f.key), f.line, f.end_line, _quote_of(read[f.line]))
        if f.line in read
        else f
        for f in fields
    )


def _yaml_problem(exc: BaseException) -> tuple[int, str]:
    """Return (0-based line, short description) for a YAML failure."""
    if isinstance(exc, _Refused):
        return exc.line, exc.problem
    if isinstance(exc, RecursionError):
        return 0, "nested too deeply"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    problem = str(problem).replace("\n", " ")
    if "mapping values are not allowed" in problem:
        problem = "unquoted ': ' inside a value"
    elif "expected alphabetic or numeric character" in problem or "found undefined alias" in problem:
        problem = "a value starts with '*'"
    elif "could not determine a constructor" in problem:
        problem = "a tag that safe loading does not construct"
    return (mark.line if mark is not None else 0), problem


def _lenient_fields(fm_text: str, first_line: int, path: str, warnings: list[Diagnostic]) -> list[Field]:
    """Recover top-level keys from YAML that strict loading rejects.

    A key is a line at column 0 that looks like ``key:``; every other line continues the value
    above it. Lines inside an open ``<example>`` block, and prose keys such as ``user:`` or
    ``Examples:`` after a free-text value, continue the value too. Each value is then loaded as
    YAML on its own when that works (lists, quoted strings), else kept as the raw text.
    """
    lines = fm_text.split("\n")
    starts: list[tuple[int, str]] = []
    open_examples = 0
    for index, line in enumerate(lines):
        match = re.match(_KEY, line)
        is_key = match is not None and open_examples <= 0
        if is_key and starts and match is not None:
            key = match.group("key")
            if key.lower() in EXAMPLE_LINE_WORDS or key[0].isupper():
                is_key = False
        if is_key and match is not None:
            starts.append((index, match.group("key")))
            open_examples = 0
        lower = line.lower()
        open_examples += lower.count("<example>") - lower.count("</example>")
    fields: dict[str, Field] = {}
    for n, (index, key) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        while stop - 1 > index and not lines[stop - 1].strip():
            stop -= 1
        key_line = first_line + index
        if key in fields:
            message = f"duplicate frontmatter key '{key}' (first on line {fields[key].line}); the last value is used"
            warnings.append(Diagnostic(path, key_line, message, "duplicate-key"))
            del fields[key]
        quote = _quote_of(lines[index]) if stop - index == 1 else ""
        fields[key] = _make_field(key, _lenient_value(lines[index:stop], key), key_line, first_line + stop - 1, quote)
    return list(fields.values())


def read_key_line(line: str, key: str) -> Any:
    """The value of the one-line frontmatter entry ``line`` (``key: value``), as the parser reads it."""
    return _plain(_lenient_value([line], key))


def quoted_value(line: str) -> bool:
    """Whether the value of the one-line frontmatter entry ``line`` is written in quotes
    (``globs: "*.ts"``; an empty ``""`` is no value to quote)."""
    raw = line.split(":", 1)[1].strip() if ":" in line else ""
    return len(raw) > 2 and raw[0] == raw[-1] and raw[0] in "'\""


def _lenient_value(block: list[str], key: str) -> Any:
    """Load one key's lines as YAML when possible, else return the raw text."""
    import yaml

    snippet = "\n".join(block)
    try:
        data, _ = _strict_load(snippet)
    except (yaml.YAMLError, _Refused, RecursionError):
        data = None
    if isinstance(data, dict) and len(data) == 1 and str(next(iter(data))) == key:
        return next(iter(data.values()))
    first = block[0].split(":", 1)[1].strip()
    rest = [line.strip() for line in block[1:]]
    raw = "\n".join([first, *rest]).strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        raw = raw[1:-1]
    return raw


def _make_field(key: str, value: Any, line: int, end_line: int, quote: str = "", written: str = "") -> Field:
    value = read_prose(key, _plain(value))
    examples = find_examples(value) if isinstance(value, str) else ()
    quote = quote if isinstance(value, str) else ""
    return Field(key, value, line, max(line, end_line), examples, quote, written)


def _quote_of(line: str) -> str:
    """The quote the value of the one-line entry ``line`` is written in; empty when unquoted."""
    return line.split(":", 1)[1].strip()[0] if quoted_value(line) else ""


def _plain(value: Any) -> Any:
    """Make a YAML value JSON-friendly: dates to ISO strings, sets to sorted lists."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


# --------------------------------------------------------------------------------------------
# Body


_MD: dict[bool, MarkdownIt] = {}


def _markdown(tables: bool = True) -> MarkdownIt:
    """The block parser, with or without the table rule."""
    if tables not in _MD:
        from markdown_it import MarkdownIt

        # Only block structure is read (inline tokens' ``content``), so inline parsing, which
        # costs a third of markdown-it's time on agent files, is switched off.
        md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).disable(["inline", "text_join"])
        _MD[tables] = md.enable("table") if tables else md
    return _MD[tables]


def quote_shapes(text: str) -> list[tuple[str, ...]]:
    """The kinds of the blocks inside each block quote of the body of ``text`` (paragraph, table,
    list, code, ...), in order: what writing a quote's lines again must keep. A quote's text is
    its lines without their ``>``, so a line that continued its paragraph lazily (no ``>``) is
    written with one, where a line that looks like a table row opens a table in the quote."""
    span = frontmatter_span(text)
    if span is not None:
        text = "\n".join(text.split("\n")[span[1] :])
    shapes: list[tuple[str, ...]] = []
    open_quotes: list[list[str]] = []
    for token in _markdown().parse(text):
        if token.type == "blockquote_open":
            open_quotes.append([])
        elif token.type == "blockquote_close":
            shapes.append(tuple(open_quotes.pop()))
        elif open_quotes and (token.nesting == 1 or token.type in ("fence", "code_block", "html_block", "hr")):
            kind = "code" if token.type in ("fence", "code_block") else token.type
            for shape in open_quotes:
                shape.append(kind)
    return shapes


_TABLE_DELIMITER_RE = re.compile(r"^[ \t>]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)


def table_cells(lines: list[str]) -> tuple[int, int]:
    """An upper bound on the table cells markdown-it would build from ``lines``, and the 0-based
    line of the first table: each delimiter row's columns times the non-blank lines around it
    (its header, itself and the rows up to the next blank line)."""
    if not any("|" in line and "-" in line for line in lines):
        return 0, 0
    # rows[n]: how many non-blank lines start at line n.
    rows = [0] * (len(lines) + 1)
    for n in range(len(lines) - 1, -1, -1):
        rows[n] = rows[n + 1] + 1 if lines[n].strip() else 0
    cells = 0
    first = -1
    for n, line in enumerate(lines):
        if n and "|" in line and "-" in line and _TABLE_DELIMITER_RE.match(line):
            cells += (line.count("|") + 1) * (rows[n] + 1)
            first = n - 1 if first < 0 else first
    return cells, max(first, 0)


@dataclass
class _Open:
    """A section while its content is being collected."""

    title: str | None
    level: int
    line: int
    kind: str
    items: list[Item] = field(default_factory=list)
    sections: list[_Open] = field(default_factory=list)
    had_list: bool = False
    head_end: int = 0
    """Last line of the heading itself: a setext heading's underline (``Title`` over ``---``)."""

    def freeze(self) -> Section:
        sections = tuple(s.freeze() for s in self.sections)
        end = max([self.line, self.head_end, *(i.end_line for i in self.items), *(s.end_line for s in sections)])
        return Section(
            title=self.title,
            level=self.level,
            line=self.line,
            end_line=end,
            kind=self.kind,  # type: ignore[arg-type]
            items=tuple(self.items),
            sections=sections,
        )


class _BodyParser:
    """Folds markdown-it's flat token stream into a section tree of items."""

    def __init__(self, text: str, first_line: int, path: str, warnings: list[Diagnostic]) -> None:
        self.lines = text.split("\n")
        self.offset = first_line
        self.path = path
        self.warnings = warnings
        cells, first_table = table_cells(self.lines)
        if cells > MAX_TABLE_CELLS:
            warnings.append(
                Diagnostic(
                    path,
                    first_line + first_table,
                    f"the tables would hold about {cells:,} cells, more than agentmerge builds "
                    f"({MAX_TABLE_CELLS:,}); they are read as plain paragraphs",
                )
            )
        self.tokens = _markdown(tables=cells <= MAX_TABLE_CELLS).parse(text)
        self.root = _Open(title=None, level=0, line=first_line + _first_content(self.lines), kind="root")
        self.stack = [self.root]
        self.lost = self._lost_runs()

    # -- helpers --------------------------------------------------------------------------

    def _line(self, index: int) -> int:
        return self.offset + index

    def _end_line(self, start: int, stop: int) -> int:
        """File line of the last non-blank line in body lines [start, stop)."""
        last = stop - 1
        while last > start and not self.lines[last].strip():
            last -= 1
        return self.offset + last

    def _lost_runs(self) -> list[tuple[int, int]]:
        """Runs of body lines with text that no token covers (nesting past MAX_NESTING, link
        definitions); they are kept as plain paragraphs so nothing is silently dropped."""
        covered = bytearray(len(self.lines) + 1)
        for token in self.tokens:
            if token.map and token.type in _HELD_TYPES:
                start, stop = token.map
                covered[start:stop] = b"\x01" * (stop - start)
        runs: list[tuple[int, int]] = []
        start = -1
        for index, line in enumerate(self.lines):
            lost = not covered[index] and not _STRUCTURE_ONLY_RE.match(line)
            if lost and start < 0:
                start = index
            elif not lost and start >= 0:
                runs.append((start, index))
                start = -1
        if start >= 0:
            runs.append((start, len(self.lines)))
        return runs

    def _flush_lost(self, before: int) -> None:
        while self.lost and self.lost[0][0] < before:
            start, stop = self.lost.pop(0)
            text = "\n".join(_strip_structure(line) for line in self.lines[start:stop]).strip()
            line = self._line(start)
            self.warnings.append(
                Diagnostic(
                    self.path,
                    line,
                    f"lines {line}-{self._line(stop - 1)} are nested too deeply for Markdown parsing "
                    "or are link definitions; kept as a plain paragraph",
                    "plain-lines",
                )
            )
            self.stack[-1].items.append(Item(kind="paragraph", text=text, line=line, end_line=self._line(stop - 1)))

    def _close(self, index: int) -> int:
        """Index of the closing token that matches the opening token at ``index``."""
        level = self.tokens[index].level
        index += 1
        while self.tokens[index].level != level:
            index += 1
        return index

    def _open_section(self, title: str, kind: str, level: int, line: int, head_end: int = 0) -> None:
        stack = self.stack
        if kind == "heading":
            while len(stack) > 1 and (stack[-1].kind == "pseudo" or stack[-1].level >= level):
                stack.pop()
        else:
            while len(stack) > 1 and stack[-1].kind == "pseudo":
                stack.pop()
            level = stack[-1].level + 1
        section = _Open(title=title, level=level, line=line, kind=kind, head_end=head_end)
        stack[-1].sections.append(section)
        stack.append(section)

    # -- the walk ---------------------------------------------------------------------------

    def parse(self) -> Section:
        tokens = self.tokens
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.map:
                self._flush_lost(token.map[0])
            kind = token.type
            if kind == "heading_open":
                title = _inline_text(tokens[index + 1].content).strip()
                line, head_end = (self._line(token.map[0]), self._line(token.map[1] - 1)) if token.map else (0, 0)
                self._open_section(title, "heading", int(token.tag[1]), line, head_end)
                index = self._close(index) + 1
            elif kind == "paragraph_open":
                self._paragraph(index)
                index = self._close(index) + 1
            elif kind in ("bullet_list_open", "ordered_list_open"):
                stop = self._close(index)
                self.stack[-1].had_list = True
                self._list(index, stop, self.stack[-1].items)
                index = stop + 1
            else:
                index = self._block(index, self.stack[-1].items)
        self._flush_lost(len(self.lines) + 1)
        return self.root.freeze()

    def _paragraph(self, index: int) -> None:
        token = self.tokens[index]
        assert token.map is not None
        content = _inline_text(self.tokens[index + 1].content)
        if not content:
            # Only no-break or other Unicode spaces: Markdown trims them away, nothing is said.
            return
        lead, points = self._points(content, token.map[0])
        following = self.tokens[index + 3] if index + 3 < len(self.tokens) else None
        before_list = bool(points) or (following is not None and following.type in _LIST_OPEN)
        title = _pseudo_title(lead, before_list) if lead else None
        if title is not None:
            self._open_section(title, "pseudo", 0, self._line(token.map[0]))
        elif lead:
            if self.stack[-1].kind == "pseudo" and self.stack[-1].had_list:
                # A paragraph after a pseudo-heading's list is no longer under that label.
                self.stack.pop()
            stop = token.map[0] + lead.count("\n") + 1 if points else token.map[1]
            end = self._end_line(token.map[0], stop)
            line = self._line(token.map[0])
            if LONE_TAG_RE.fullmatch(lead):
                item = Item(kind="html", text=lead, line=line, end_line=end)
            else:
                item = Item(kind="paragraph", text=lead, line=line, end_line=end, label=_label(lead))
            self.stack[-1].items.append(item)
        if points:
            self.stack[-1].had_list = True
            self.stack[-1].items.extend(points)

    def _points(self, content: str, first: int) -> tuple[str, list[Item]]:
        """Split a paragraph's text at lines that open with a typographic bullet (``•``).

        Returns the text before the first such line and one bullet item per point, each on its
        own source line (``first`` is the paragraph's first body line, 0-based); lines after a
        point continue it, as a lazy line continues a list item.
        """
        lines = content.split("\n")
        starts = [n for n, line in enumerate(lines) if _POINT_RE.match(line)]
        if not starts:
            return content, []
        points: list[Item] = []
        for k, start in enumerate(starts):
            stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
            text = "\n".join([_POINT_RE.sub("", lines[start], count=1), *lines[start + 1 : stop]]).strip()
            line = self._line(first + start)
            points.append(
                Item(kind="bullet", text=text, line=line, end_line=self._line(first + stop - 1), label=_label(text))
            )
        return "\n".join(lines[: starts[0]]).strip(), points

    def _block(self, index: int, into: list[Item]) -> int:
        """Turn a non-list, non-paragraph block at ``index`` into an item; return the next index."""
        token = self.tokens[index]
        kind = token.type
        item: Item | None = None
        stop = index
        if kind in ("fence", "code_block") and token.map:
            info = token.info.strip() or None
            end = self._end_line(token.map[0], token.map[1])
            item = Item(
                kind="code", text=token.content.rstrip("\n"), line=self._line(token.map[0]), end_line=end, info=info
            )
        elif kind == "html_block" and token.map:
            text = token.content.strip()
            if text and not ANNOTATION_RE.fullmatch(text):
                end = self._end_line(token.map[0], token.map[1])
                item = Item(kind="html", text=text, line=self._line(token.map[0]), end_line=end)
        elif kind in ("table_open", "blockquote_open") and token.map:
            stop = self._close(index)
            start, end_index = token.map
            source = self.lines[start:end_index]
            if kind == "blockquote_open":
                text = _quote_text(source)
            else:
                # Cells are trimmed by the table rule, so the indentation a list gave the rows is noise.
                text = "\n".join(line.strip(" \t") for line in source).strip(" \t\n")
            item_kind: ItemKind = "table" if kind == "table_open" else "quote"
            item = Item(kind=item_kind, text=text, line=self._line(start), end_line=self._end_line(start, end_index))
        elif token.nesting == 1:
            stop = self._close(index)
        if item is not None:
            into.append(item)
        return stop + 1

    def _list(self, index: int, stop: int, into: list[Item]) -> None:
        """Add the items of the list tokens[index:stop+1] to ``into``.

        Every list item is an item, a numbered ``**Label:**`` over a sub-list included: its label
        names the steps under it, which stay its children.
        """
        ordered = self.tokens[index].type == "ordered_list_open"
        # Straight after another ordered list (nothing the model keeps between), this one is
        # numbered apart: its first item says so.
        new_list = ordered and bool(into) and into[-1].kind == "ordered"
        position = index + 1
        while position < stop:
            close = self._close(position)
            into.append(self._list_item(position, close, ordered, new_list=new_list))
            new_list = False
            position = close + 1

    def _list_item(self, index: int, close: int, ordered: bool, *, new_list: bool = False) -> Item:
        """Build the item for list_item tokens[index:close+1]."""
        tokens = self.tokens
        opening = tokens[index]
        assert opening.map is not None
        texts: list[str] = []
        children: list[Item] = []
        position = index + 1
        while position < close:
            token = tokens[position]
            if token.type in ("paragraph_open", "heading_open"):
                content = _inline_text(tokens[position + 1].content)
                if content and token.type == "paragraph_open" and token.map:
                    content, points = self._points(content, token.map[0])
                    if children and content:
                        # After a sub-list or a block the paragraph is read there, so it is an
                        # item of its own in that place, not more of the item's opening text.
                        stop = token.map[0] + content.count("\n") + 1 if points else token.map[1]
                        line, end = self._line(token.map[0]), self._end_line(token.map[0], stop)
                        paragraph = Item(kind="paragraph", text=content, line=line, end_line=end, label=_label(content))
                        children.append(paragraph)
                        content = ""
                    children.extend(points)
                if content:  # an empty heading (``#``) inside an item adds no text
                    texts.append(content)
                position = self._close(position) + 1
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                sub_stop = self._close(position)
                self._list(position, sub_stop, children)
                position = sub_stop + 1
            else:
                position = self._block(position, children)
        text = "\n\n".join(texts)
        kind: ItemKind = "ordered" if ordered else "bullet"
        checked: bool | None = None
        number: int | None = None
        task = _TASK_RE.match(text)
        if task and not ordered:
            kind, checked, text = "task", task.group(1) != " ", text[task.end() :]
        if ordered:
            number = int(opening.info) if opening.info.isdigit() else None
        item = Item(
            kind=kind,
            text=text,
            line=self._line(opening.map[0]),
            end_line=self._end_line(opening.map[0], opening.map[1]),
            children=tuple(children),
            label=_label(text),
            checked=checked,
            number=number,
            new_list=new_list,
        )
        return item


_LIST_OPEN = ("bullet_list_open", "ordered_list_open")

_HELD_TYPES = frozenset(
    {"inline", "fence", "code_block", "html_block", "hr", "table_open", "heading_open", "blockquote_open"}
)
"""Tokens whose lines the model holds: the leaf blocks, and tables and block quotes, which are
items of their lines (``_lost_runs`` keeps any other line with text as a plain paragraph). A
quote of a link definition alone (``> [1]: /url``) has no leaf inside; its line is the quote's."""


def parse_body(text: str, path: str = STDIN) -> Section:
    """Parse Markdown without frontmatter into its section tree (``merge`` checks its result so)."""
    return _parse_body(text, 1, path, [])


def _parse_body(text: str, first_line: int, path: str, warnings: list[Diagnostic]) -> Section:
    return _BodyParser(text, first_line, path, warnings).parse()


def _first_content(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if line.strip():
            return index
    return 0


def _strip_structure(line: str) -> str:
    match = _STRUCTURE_ONLY_RE.match(line)
    if match:
        return ""
    stripped = line.lstrip(" \t>")
    return stripped


def _quote_text(source: list[str]) -> str:
    """The text of a block quote from its source lines, without ``>`` marks or list markers.

    A quote that opens a list item (``- > text``) starts on the marker's line, so the first line
    loses the markers before its ``>``; continuation lines lose their indentation and one ``>``.
    """
    lines = [re.sub(_QUOTE_MARK, "", re.sub(_LIST_MARKERS, "", source[0], count=1), count=1)]
    lines.extend(_quote_line(line) for line in source[1:])
    text = "\n".join(lines).strip()
    # One block of text: its line ends read as a paragraph's. A blank line or a fence may open
    # code, whose blanks are its own.
    if "\n\n" in text or "```" in text or "~~~" in text:
        return text
    return _line_ends(text)


def _quote_line(line: str) -> str:
    """A continuation line of a block quote without its ``>``.

    A line without one continued the quote's paragraph lazily. The quote is written with a ``>``
    on every line, and there a line that looks like a table row would open a table: its pipes
    (outside code spans) are escaped, which reads the same."""
    marked = re.match(_QUOTE_MARK, line)
    if marked:
        return line[marked.end() :]
    if "|" not in line:
        return line
    return _PIPE_OR_CODE_RE.sub(lambda m: m.group(0) if m.group(1) else "\\|", line)


_PIPE_OR_CODE_RE = re.compile(r"(`+).*?\1|(?<!\\)\|")


def _inline_text(content: str) -> str:
    """The text of a paragraph or heading as the model holds it (an inline token's ``content``):
    without trailing provenance annotations (``_strip_annotation``), its line ends as Markdown
    reads them (``_line_ends``)."""
    return _line_ends(_strip_annotation(content))


def _line_ends(text: str) -> str:
    """``text`` with the blanks that end its lines as Markdown reads them: spaces or tabs before a
    line break are nothing (a soft break) unless two spaces or more end the line (a hard break),
    which are two. Blanks nobody sees say nothing, and ``fmt`` writes two files that differ only
    there alike."""
    if " \n" not in text and "\t\n" not in text:
        return text
    lines = text.split("\n")
    for n, line in enumerate(lines[:-1]):
        kept = line.rstrip(" \t")
        if len(kept) < len(line):
            lines[n] = kept + "  " if line.endswith("  ") else kept
    return "\n".join(lines)


def _strip_annotation(text: str) -> str:
    """``text`` without trailing provenance annotations, unless that would leave a line that
    reads as a setext underline (``text`` then ``---``), which would change what the text is."""
    if "<!--" not in text:
        return text
    stripped = ANNOTATION_RE.sub("", text).rstrip()
    if "\n" in stripped and re.match(UNDERLINE, stripped.rsplit("\n", 1)[1]):
        return text
    return stripped


def _pseudo_title(content: str, before_list: bool) -> str | None:
    """The title if a paragraph is a pseudo-heading, else None.

    A pseudo-heading is a paragraph that is only bold text and reads as a label
    (``**Core Competencies:**``, see ``_bold_label_title``), or a line ending in ``:`` that
    directly introduces a list (``Your Responsibilities:``) and is short enough to be read at a
    glance (``is_label_line``). Either may be wrapped over several lines, as one sentence
    (``_wrapped``) or one bold span: re-wrapping a file to a width leaves its pseudo-headings as
    they were.
    """
    content = content.strip()
    if "\n" in content:
        flat = " ".join(content.split())
        if not (_wrapped(content) or _BOLD_ONLY_RE.match(flat)):
            return None  # not one sentence, nor one bold span broken over lines
        content = flat
    bold = _BOLD_ONLY_RE.match(content)
    if bold:
        return _bold_label_title(bold)
    if before_list and is_label_line(content):
        return content[:-1].strip() or None
    return None


def is_label_line(text: str) -> bool:
    """Whether a paragraph's text is a ``Label:`` line, a pseudo-heading when a list follows it:
    it ends in ``:`` and has at most PSEUDO_TITLE_MAX characters without emphasis or code marks,
    on one line or wrapped over several (``_wrapped``), so re-wrapping a lead-in keeps it one."""
    text = text.strip()
    if not text.endswith(":") or ("\n" in text and not _wrapped(text)):
        return False
    return len(re.sub(r"[*_`]+", "", " ".join(text.split()))) <= PSEUDO_TITLE_MAX


_GOES_ON_RE = re.compile(r"[ \t]*[a-z0-9`(]")
"""A line that carries on the sentence of the line before it (lower case, a number, code)."""


def _wrapped(text: str) -> bool:
    """Whether the lines of ``text`` are one sentence broken to fit a width: no line but the last
    ends in sentence punctuation or a colon, and every line after the first carries on in lower
    case. ``**Code structure**`` over ``When asked to ...:`` is two lines, a title and a lead-in."""
    lines = text.split("\n")
    return not any(line.rstrip().endswith((*SENTENCE_END, ":")) for line in lines[:-1]) and all(
        _GOES_ON_RE.match(line) for line in lines[1:]
    )


def _bold_label_title(bold: re.Match[str]) -> str | None:
    """The title of a bold-only line that reads as a label, else None.

    A heading is a short label, not a sentence set in bold for emphasis: the line ends in ``:``
    (inside or outside the bold), or it has at most PSEUDO_TITLE_WORDS words and does not end in
    sentence punctuation. ``**Deliver every review with file:line references.**`` stays a
    paragraph.
    """
    title = bold.group("title").strip()
    if not (
        bold.group("colon")
        or title.endswith(":")
        or (len(title.split()) <= PSEUDO_TITLE_WORDS and not title.endswith(SENTENCE_END))
    ):
        return None
    return _without_colon(title) or None


def _without_colon(title: str) -> str:
    """``title`` stripped, without one trailing colon (a second one belongs to the title)."""
    title = title.strip()
    return title[:-1].strip() if title.endswith(":") else title


def _label(text: str) -> str | None:
    """The lead-in label of ``**Label**: rest``, ``**Label:** rest`` or ``Label: rest`` (``text.lead_label``)."""
    return lead_label(text, bare=False)
