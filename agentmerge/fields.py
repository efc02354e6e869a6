"""Frontmatter rules: which keys hold names, prose or permissions, and how their values read.

One definition for every command: ``parse`` reads descriptions and their ``<example>`` blocks
with these rules, ``diff`` compares by them, ``consolidate`` merges by them and the writer orders
keys by them. A rule written twice drifts: ``tools: Read Write Bash`` once read as three names in
one command and as one name in another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

from agentmerge.model import Example
from agentmerge.text import compare_form

SET_KEYS = frozenset(
    {
        "tools",
        "allowed-tools",
        "allowed_tools",
        "allowedTools",
        "disallowed-tools",
        "disallowed_tools",
        "disallowedTools",
        "skills",
        "globs",
    }
)
"""Keys whose value is a set of names (``names`` reads them): compared and merged as sets.

Claude Code's ``tools`` and ``skills``, the ``allowed-tools`` of skills and commands in their
spellings, the tools an agent may not use, and the file ``globs`` of a Cursor rule.
"""


@dataclass(frozen=True, slots=True)
class WideningRule:
    """How one set-valued frontmatter key limits what an agent may do."""

    keys: tuple[str, ...]
    """The spellings of the key."""
    what: str
    """What one name of the list is, for the sentence ("tool", "skill")."""
    kind: str
    """allow: the names are all the agent may use, and no key means every tool;
    grant: the names are added to the agent (or the files it applies to), and no key means none;
    deny: the names are forbidden, and no key forbids nothing."""


WIDENING_RULES: tuple[WideningRule, ...] = (
    # A name an allow list gains, or the list dropped: the agent may use a tool it could not.
    WideningRule(("tools", "allowed-tools", "allowed_tools", "allowedTools"), "tool", "allow"),
    # A skill is loaded into the agent: one it did not have is behaviour it did not have.
    WideningRule(("skills",), "skill", "grant"),
    # A name a deny list loses: the agent may use what it was forbidden.
    WideningRule(("disallowed-tools", "disallowed_tools", "disallowedTools"), "tool", "deny"),
    # A Cursor rule's globs: a pattern gained attaches the rule to files it did not reach.
    WideningRule(("globs",), "file pattern", "grant"),
)
"""Which set-valued keys widen what an agent may do, and how (``diff`` and ``consolidate`` alike)."""

EVERY_FILE = frozenset({"*", "**", "**/*", "**/*.*"})
"""File patterns that reach every file: patterns that held one can reach no file more."""

EVERY_TOOL = "*"
"""The tool name that reaches every tool: GitHub Copilot's ``tools: ["*"]``, which its custom
agents read as leaving the key out. A list that holds it can reach no tool more."""

TOOL_KEYS = frozenset(key for rule in WIDENING_RULES if rule.what == "tool" for key in rule.keys)
"""Keys whose names are tools (allowed or forbidden), in every spelling."""

ALWAYS_APPLY_KEY = "alwaysApply"
"""Cursor's key that puts a rule into every request; turning it on widens the rule to everything."""

CHANGED_KEYS = ("model", "permissionMode", "permission-mode", "mcp-servers", "mcpServers", "hooks")
"""Keys whose every change is called out: which model runs the agent, what it may do unasked,
which MCP servers (and so which tools) it gets, which shell commands run around its tool calls
(``hooks``, of Claude Code subagents and Copilot agents)."""

PROSE_KEYS = frozenset({"description"})
"""Keys whose value is prose, compared and chosen like an item, with its ``<example>`` blocks
apart (``description_prose``, ``find_examples``)."""

FIRST_KEYS = ("name", "description")
"""Keys written first, in this order; the other keys keep their first-seen order."""

EXAMPLE_LINE_WORDS = frozenset({"user", "assistant", "context", "commentary", "example", "examples", "note"})
"""Words that open lines inside ``<example>`` prose. When strict YAML fails and keys are read line
by line, such a line after a free-text value continues it rather than starting a key, so a
description with real line breaks does not grow ``user:`` keys."""

EXAMPLE_BLOCK = r"(?si)<example>(.*?)</example>"
"""An ``<example>`` block of a description; a string compiled on first use (``re`` caches it),
since few commands meet one."""

_EXAMPLE_PART = {
    "context": r"(?im)^[ \t]*Context:[ \t]*(.*)$",
    "user": r"(?im)^[ \t]*user:[ \t]*(.*)$",
    "assistant": r"(?im)^[ \t]*assistant:[ \t]*(.*)$",
}
_COMMENTARY = r"(?si)<commentary>(.*?)</commentary>"
_EXAMPLES_LABELS = ("examples:", "example:", "for example:")


ToolReading = Callable[[str], tuple[str, ...]]
"""How a file's tool reads a name in its tools list: the tools the name stands for, each by one
name (``formats.tool_reading``; one tool for most names, the tools it held for a removed VS Code
tool set)."""


def read_tools(found: Iterable[str], reading: ToolReading | None) -> frozenset[str]:
    """The tools the names ``found`` give as ``reading`` reads them; the names as written without one."""
    if reading is None:
        return frozenset(found)
    return frozenset(tool for name in found for tool in reading(name))


def reaches_every_tool(value: object) -> bool:
    """Whether the tool list ``value`` (as ``names`` reads it) holds EVERY_TOOL."""
    return EVERY_TOOL in names(value)


def rule_of(key: str) -> WideningRule | None:
    """The WIDENING_RULES entry ``key`` is under, or None."""
    return next((rule for rule in WIDENING_RULES if key in rule.keys), None)


def beyond(found: Iterable[str], held: Iterable[str], what: str, reading: ToolReading | None = None) -> tuple[str, ...]:
    """The names of ``found`` that reach something the names ``held`` do not, in order.

    ``what`` is the WideningRule's kind of name. A held name reaches what it is, as ``reading``
    reads it (``read_tools``), and what it contains: a tool with no specifier reaches every use
    of it (``Bash`` reaches ``Bash(git log:*)``), a command prefix the longer commands
    (``Bash(git:*)`` reaches ``Bash(git log:*)``), a tool set or server its tools (``search``
    and ``search/*`` reach ``search/codebase``, ``mcp__github`` reaches
    ``mcp__github__create_issue``) and EVERY_TOOL every tool; a file pattern that reaches every
    file reaches all, and ``**/`` before a last part reaches every pattern ending in that part
    (``**/*.ts`` reaches ``src/**/*.ts``). So a narrower name is no widening, and a wider one is.
    """
    reached = read_tools(held, reading)
    wider = _WIDER.get(what)
    sizes = frozenset(map(len, reached))

    def reached_by_held(tool: str) -> bool:
        return tool in reached or (wider is not None and not reached.isdisjoint(wider(tool, sizes)))

    return tuple(name for name in found if not all(map(reached_by_held, read_tools((name,), reading))))


_USE_RE = re.compile(r"(?P<tool>[^()\s]+)\((?P<spec>.*)\)")
"""A tool with a specifier, Claude Code's ``Bash(git log:*)``."""


def _wider_tools(name: str, sizes: Container[int]) -> Iterator[str]:
    """The tool names that reach all that ``name`` does (``beyond``), ``name`` aside, of the
    lengths in ``sizes`` (the held names' lengths: a longer list's names are looked up, never
    compared with each name in turn). EVERY_TOOL reaches every tool; a tool with no specifier
    every use of it and a command prefix the longer commands (``Bash`` and ``Bash(git:*)`` reach
    ``Bash(git log:*)``); a tool set or server its tools (``search`` and ``search/*`` reach
    ``search/codebase``, ``mcp__github`` and ``mcp__github__*`` reach ``mcp__github__create_issue``)."""
    yield EVERY_TOOL
    use = _USE_RE.fullmatch(name)
    if use is not None:
        tool, spec = use["tool"], use["spec"]
        yield tool
        # A prefix ends where a word of the command does: "git" reaches "git log", not "gitk".
        for end in (*_starts(spec, (" ", ":")), len(spec)):
            if len(tool) + end + 4 in sizes:
                yield f"{tool}({spec[:end]}:*)"
        return
    for end in _starts(name, ("/", "__")):
        cut = end + (1 if name[end] == "/" else 2)
        if cut + 1 in sizes:
            yield name[:cut] + "*"
    server_end = name.find("__", len("mcp__")) if name.startswith("mcp__") else -1
    while server_end >= 0 and _names_server(name[:server_end]):
        if server_end in sizes:
            yield name[:server_end]
        server_end = name.find("__", server_end + 1)
    set_end = name.find("/")
    # A server's name reaches its tools alone, not a tool set's: "mcp__x" does not reach "mcp__x/y".
    if set_end in sizes and not _names_server(name[:set_end]):
        yield name[:set_end]


def _names_server(name: str) -> bool:
    """Whether ``name`` is Claude Code's name for an MCP server's every tool (``mcp__github``)."""
    return name.startswith("mcp__") and name.count("__") == 1


def _starts(text: str, separators: tuple[str, ...]) -> Iterator[int]:
    """Where each of ``separators`` starts in ``text``, each in turn (overlapping ones too)."""
    for separator in separators:
        at = text.find(separator)
        while at >= 0:
            yield at
            at = text.find(separator, at + 1)


def _wider_patterns(name: str, sizes: Container[int]) -> Iterator[str]:
    """The file patterns that reach every file ``name`` does (``beyond``), ``name`` aside: those
    that reach every file, and ``**/`` before the last part of ``name`` (``**/*.ts`` reaches
    ``src/**/*.ts`` and ``*.ts``). ``sizes`` as for ``_wider_tools``."""
    yield from EVERY_FILE
    last = name.rsplit("/", 1)[-1]
    if last and len(last) + 3 in sizes:
        yield "**/" + last


_WIDER: dict[str, Callable[[str, Container[int]], Iterator[str]]] = {
    "tool": _wider_tools,
    "file pattern": _wider_patterns,
}


def names(value: object) -> tuple[str, ...]:
    """The names in a set-valued key, in first-seen order without repeats.

    A YAML list gives one name per entry. A string is split at commas (and line breaks) when it
    has any, or when a name may hold spaces (``Bash(git log:*)``); otherwise at spaces, so
    ``Read, Write, Bash``, ``Read Write Bash`` and ``[Read, Write, Bash]`` are the same three.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        separated = "," in value or "\n" in value or "(" in value
        parts = re.split(r"[,\n]" if separated else r"\s+", value)
    elif isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        parts = [str(value)]
    cleaned = (p.strip().strip("'\"").strip() for p in parts)
    return tuple(dict.fromkeys(p for p in cleaned if p))


def is_name_set(key: str, value: object) -> bool:
    """Whether ``key`` holds names and ``value`` is written as a name string or a list."""
    return key in SET_KEYS and isinstance(value, (str, list))


def merges_as_list(values: Iterable[object]) -> bool:
    """Whether a key whose values (one per input that sets it) are all YAML lists merges as their
    union: ``tags``, Copilot's ``agents`` and ``handoffs``, a ``model`` list. What one input lists
    is kept; voting for one input's list would drop the others' entries."""
    found = list(values)
    return bool(found) and all(isinstance(value, list) for value in found)


def list_union(values: Iterable[list[object]]) -> list[object]:
    """The entries of every list, each once (equal as JSON), in first-seen order."""
    union: dict[str, object] = {}
    for value in values:
        for entry in value:
            union.setdefault(json.dumps(entry, sort_keys=True, ensure_ascii=False), entry)
    return list(union.values())


def merges_as_mapping(values: Iterable[object]) -> bool:
    """Whether a key whose values (one per input that sets it) are all YAML mappings merges entry by
    entry (``mapping_union``): Copilot's ``mcp-servers``, Claude Code's ``mcpServers`` and
    ``hooks``, a ``metadata`` table. Voting for one input's mapping would drop the MCP servers,
    hooks or entries of the others, and the instructions that use them would lose their tools."""
    found = list(values)
    return bool(found) and all(isinstance(value, dict) for value in found)


def mapping_union(values: Sequence[dict[str, object]]) -> tuple[dict[str, object], list[str]]:
    """Every entry of every mapping, in first-seen order, and the names of the entries they give
    different values. An entry that is a list wherever it is set is the union of the lists
    (``list_union``: the hooks of one event); any other is the value most mappings give it, the
    first given of a tie, kept whole: one MCP server's ``command`` and ``args`` belong together,
    and the union of two ``args`` lists would be a command line neither input wrote."""
    merged: dict[str, object] = {}
    differ: list[str] = []
    for key in dict.fromkeys(key for value in values for key in value):
        found = [value[key] for value in values if key in value]
        if merges_as_list(found):
            merged[key] = list_union(found)  # type: ignore[arg-type]
            continue
        texts = [json.dumps(v, sort_keys=True, ensure_ascii=False) for v in found]
        most = max(texts.count(text) for text in texts)
        merged[key] = next(v for v, text in zip(found, texts, strict=True) if texts.count(text) == most)
        if len(set(texts)) > 1:
            differ.append(str(key))
    return merged, differ


def same_value(a: object, b: object) -> bool:
    """Whether two frontmatter values are equal, strings compared with their white space collapsed."""
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    return a == b


def value_text(value: object) -> str:
    """A field value as one text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def ordered_keys(keys: Iterable[str]) -> list[str]:
    """``keys`` in the order they are written: FIRST_KEYS first, the rest as given."""
    return sorted(keys, key=lambda key: FIRST_KEYS.index(key) if key in FIRST_KEYS else len(FIRST_KEYS))


def read_prose(key: str, value: object) -> object:
    """A prose value as the agent means it: a description written on one line with literal
    ``\\n`` escapes (as Claude Code's generator writes them) gets its line breaks back."""
    if key in PROSE_KEYS and isinstance(value, str) and "\\n" in value:
        return value.replace("\\n", "\n")
    return value


def description_prose(text: str) -> str:
    """A description without its ``<example>`` blocks and the ``Examples:`` label before them.

    Text between and after the blocks is kept, each run as a paragraph, so nothing the
    author wrote outside the examples is lost.
    """
    first = re.search(r"(?i)<example>", text)
    if first is None:
        return text.rstrip()
    before = text[: first.start()].rstrip()
    for label in _EXAMPLES_LABELS:
        if before.lower().endswith(label):
            before = before[: -len(label)].rstrip()
            break
    tail = text[first.start() :]
    cuts = [0, *(bound for start, end, _, _ in example_spans(tail) for bound in (start, end)), len(tail)]
    rest = [tail[cuts[n] : cuts[n + 1]].strip() for n in range(0, len(cuts), 2)]
    return "\n\n".join(part for part in [before, *rest] if part)


def example_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(start, end, content start, content end) of each ``<example>`` block in ``text``.

    What ``re.finditer(EXAMPLE_BLOCK, text)`` finds, in linear time: the regular expression looks
    for a closing tag from every opening tag again, which takes quadratic time when a description
    holds thousands of ``<example>`` tags and no ``</example>``. Here the closing tags are listed
    once and each opening tag looks its own up by bisection.
    """
    import bisect

    closes = [found.start() for found in re.finditer(r"(?i)</example>", text)]
    spans: list[tuple[int, int, int, int]] = []
    position = 0
    for opening in re.finditer(r"(?i)<example>", text):
        if opening.start() < position:
            continue
        index = bisect.bisect_left(closes, opening.end())
        if index == len(closes):
            break
        close = closes[index]
        position = close + len("</example>")
        spans.append((opening.start(), position, opening.end(), close))
    return spans


def find_examples(text: str) -> tuple[Example, ...]:
    """The ``<example>`` blocks of a description, each split into its parts."""
    if "<example>" not in text.lower():
        return ()
    return tuple(_examples(text))


def _examples(text: str) -> Iterator[Example]:
    for _, _, start, end in example_spans(text):
        block = text[start:end].strip()
        parts = {}
        for name, pattern in _EXAMPLE_PART.items():
            found = re.search(pattern, block)
            parts[name] = _unquote(found.group(1)) if found else ""
        commentary = re.search(_COMMENTARY, block)
        yield Example(
            context=parts["context"],
            user=parts["user"],
            assistant=parts["assistant"],
            commentary=commentary.group(1).strip() if commentary else "",
            text=block,
        )


def example_key(example: Example) -> str:
    """The form two examples are compared in: one example, however it is formatted."""
    return compare_form(example.text)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
