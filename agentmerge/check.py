"""Lint agent files for CI and pre-commit, and format them: ``agentmerge check`` and ``agentmerge fmt``.

``check`` reads each file once into the model and runs a table of rules over it (RULES, one
line of reason each): what the parser had to work around, the file's frontmatter against its
format's documented fields (``formats``), the body (placeholders, empty sections, repeats,
contradictions), and, given several files, the library (two agents of one name, two agents that
say much the same). Each finding has a stable code, grouped by kind as ruff groups its rules:
AM0xx reading, AM1xx frontmatter, AM2xx body, AM3xx library.

``fmt`` writes a file in the canonical form (``writer.render_agent``), and only when parsing the
result gives the same model and writing it again gives the same bytes; otherwise the file is
left as it was and an error says so.

Files are read at one end (``filesystem.read_bytes``) and written at the other
(``filesystem.write_atomic``); the rules themselves are pure functions of the parsed model and
the decoded lines.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agentmerge.errors import AgentMergeError, InputError
from agentmerge.fields import TOOL_KEYS, names, read_tools
from agentmerge.filesystem import STDIN
from agentmerge.formats import (
    FieldRule,
    Format,
    claude_code_tools,
    copilot_mcp_name,
    detect_format,
    removed_set,
    uses_claude_code_tools,
    uses_vscode_tools,
    verbatim_keys,
    vscode_names_now,
    vscode_tools,
    whole_server,
)
from agentmerge.model import Agent, Field, Item, Section
from agentmerge.parse import (
    decode,
    frontmatter_span,
    loads_strictly,
    over_limit,
    parse_text,
    quote_shapes,
    quoted_value,
    rewrite_refusal,
    unix_endings,
    unkept_yaml,
    written_as,
)
from agentmerge.text import (
    clipped_apart,
    counted,
    hidden_text,
    label_only,
    lead_label,
    normalize,
    section_role,
    series,
    terms,
)

if TYPE_CHECKING:
    from agentmerge.config import Settings
    from agentmerge.library import Progress

# --------------------------------------------------------------------------------------------
# The rules


@dataclass(frozen=True, slots=True)
class Rule:
    """One check, with the code findings of it carry."""

    code: str
    """Stable code (``AM101``): the kind in its first digit, never reused for another rule."""
    name: str
    """Short stable name (``invalid-yaml``)."""
    summary: str
    """What it finds, in one line."""
    why: str
    """Why that matters, in one line."""
    fixable: bool = False
    """Whether ``check --fix`` repairs it without changing what the file says."""
    default: bool = True
    """Whether it runs unless selected by name; an opt-in rule runs only when its code is selected."""


RULES: tuple[Rule, ...] = (
    # AM0xx: what reading the file had to work around
    Rule("AM001", "bad-utf8", "the file is not valid UTF-8", "tools read the bad bytes differently or refuse the file"),
    Rule("AM002", "nul-character", "the file contains NUL characters", "most tools stop reading at the first NUL"),
    Rule(
        "AM003",
        "unparsed-lines",
        "lines nested too deeply for Markdown, or link definitions, read as plain text",
        "the structure the author meant is not what a Markdown reader sees",
    ),
    Rule(
        "AM004",
        "hidden-text",
        "text a reader does not see: Unicode tag characters (hidden ASCII), bidi controls that reorder a line, or"
        " zero-width characters that split a word or carry text",
        "the agent's model reads what a reviewer of the file cannot: an instruction can hide in it",
    ),
    # AM1xx: frontmatter
    Rule(
        "AM101",
        "invalid-yaml",
        "the frontmatter is not valid YAML, though a lenient reading recovers it",
        "Claude Code reads it, but YAML tools, linters and other agents' loaders reject the file",
        fixable=True,
    ),
    Rule(
        "AM102",
        "missing-field",
        "a field the format requires is missing or empty",
        "the tool skips the agent or cannot decide when to use it",
    ),
    Rule(
        "AM103",
        "unknown-field",
        "a field the format does not document",
        "tools ignore keys they do not know, so a misspelt key silently does nothing",
    ),
    Rule("AM104", "wrong-type", "a field's value has the wrong type", "the tool ignores or misreads the value"),
    Rule(
        "AM105",
        "value-not-accepted",
        "a value the format does not accept (model, color, permission mode, ...)",
        "the tool falls back to its default or rejects the agent",
    ),
    Rule("AM106", "bad-name", "`name` breaks the format's naming rule", "the tool cannot address the agent by it"),
    Rule(
        "AM107",
        "name-not-file-name",
        "`name` differs from the file name (opt-in: no format requires it)",
        "a reader looking for the agent by its name does not find its file",
        default=False,
    ),
    Rule(
        "AM108",
        "duplicate-key",
        "a frontmatter key is set twice",
        "YAML forbids it; tools keep the last value or refuse the file",
        fixable=True,
    ),
    Rule(
        "AM109",
        "late-frontmatter",
        "blank lines before the opening `---`",
        "most tools read frontmatter only on the first line, so they see none",
        fixable=True,
    ),
    Rule("AM110", "unclosed-frontmatter", "the opening `---` is never closed", "the whole file is read as Markdown"),
    Rule(
        "AM111",
        "frontmatter-not-mapping",
        "the frontmatter is a list or a single value, not keys",
        "the tool finds none of its keys",
    ),
    Rule(
        "AM112",
        "no-frontmatter",
        "no frontmatter where the format requires fields",
        "the tool does not load the file as an agent",
    ),
    Rule(
        "AM113",
        "quoted-verbatim-value",
        "a value its tool reads as the rest of the line is quoted (a Cursor rule's `globs`)",
        "the tool reads the quotes as part of the value: a quoted glob matches no file",
        fixable=True,
    ),
    Rule(
        "AM114",
        "foreign-tool-name",
        "a tool named as another tool names it (GitHub Copilot's `search`, VS Code's `edit/editFiles` in a"
        " Claude Code agent; Claude Code's `mcp__github__get_issue` in a Copilot agent)",
        "the tool knows no tool by that name, so the agent goes without it",
    ),
    Rule(
        "AM115",
        "renamed-tool",
        "a tool named by the name VS Code has since renamed it from (`codebase`, `editFiles`, `runCommands`)"
        " in a Copilot agent, prompt file or chat mode",
        "VS Code still reads it but warns on every use, and a later version may drop the old name",
        fixable=True,
    ),
    # AM2xx: body
    Rule(
        "AM201",
        "placeholder",
        "an unfilled template placeholder ({{NAME}}, [YOUR_...])",
        "the agent is told to follow text that was meant to be replaced",
    ),
    Rule("AM202", "empty-section", "a heading with nothing under it", "a section that was meant to be written"),
    Rule(
        "AM203",
        "repeated-instruction",
        "the same instruction twice in one file (opt-in: the item matcher's verdict)",
        "a repeat costs context and drifts apart when only one copy is edited",
        default=False,
    ),
    Rule(
        "AM204",
        "contradiction",
        "two instructions of one file that say opposite things (opt-in: the item matcher's verdict)",
        "the agent cannot follow both",
        default=False,
    ),
    Rule("AM205", "empty-body", "the body holds no instructions", "the agent has no prompt"),
    Rule(
        "AM206",
        "body-too-long",
        "the body is longer than the format allows",
        "the tool cuts or rejects the prompt",
    ),
    Rule(
        "AM207",
        "instruction-override",
        'words that ask the model to set aside its instructions ("ignore all previous instructions")',
        "the opener of a prompt injection: the agent may drop every rule it was given",
    ),
    # AM3xx: library (several files)
    Rule(
        "AM301",
        "duplicate-name",
        "two agents with the same `name`",
        "the tool loads one of them and hides the other",
    ),
    Rule(
        "AM302",
        "overlapping-agents",
        "two agents share most of their instructions",
        "two agents for one job split its instructions; agentmerge consolidate merges them",
    ),
)
"""Every rule, by code."""

RULE_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}

OPT_IN: tuple[str, ...] = tuple(r.code for r in RULES if not r.default)
"""The rules that run only when their own code is selected."""

WARNING_CODES: dict[str, str] = {
    "bad-utf8": "AM001",
    "nul": "AM002",
    "plain-lines": "AM003",
    "invalid-yaml": "AM101",
    "duplicate-key": "AM108",
    "late-frontmatter": "AM109",
    "unclosed": "AM110",
    "not-mapping": "AM111",
    "instruction-override": "AM207",
}
"""The rule for each kind of problem the parser works around (``model.Diagnostic.kind``). The
parser's ``hidden-text`` warnings are AM004's, which reads their lines again for each column."""

OVERLAP_THRESHOLD = 0.5
"""Least share of instructions two agents have in common (``group.instruction_overlap``) for AM302."""


# --------------------------------------------------------------------------------------------
# Findings and results


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in one file."""

    path: str
    """The file's path as given or found (normalised: no ``./``)."""
    line: int
    """1-based line in the file, frontmatter included (1 when it concerns the whole file)."""
    column: int
    """1-based column on that line."""
    code: str
    """The rule's code (``AM101``)."""
    message: str
    """One sentence: what is wrong and what to do."""
    fixable: bool = False
    """Whether ``check --fix`` repairs it."""
    related: tuple[tuple[str, int], ...] = ()
    """Other places the finding points at, as (path, line): the first copy of a repeat."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found in a set of files."""

    files: tuple[str, ...]
    """The files checked, in order."""
    findings: tuple[Finding, ...]
    """Every finding, by path, line, column and code."""
    errors: tuple[AgentMergeError, ...] = ()
    """Files that could not be read as agent files."""
    fixed: int = 0
    """How many findings ``--fix`` repaired (no longer in ``findings``)."""
    warnings: tuple[str, ...] = ()
    """Notes for the user, one sentence each: a file with fixable findings that ``--fix`` left as
    it was, and why (``parse.rewrite_refusal``)."""
    unfixed: frozenset[str] = frozenset()
    """The files those notes name: ``--fix`` would leave them as they are again."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rules run: ruff's selection, with code prefixes."""

    select: tuple[str, ...] = ()
    """Codes or prefixes (``AM2``, ``ALL``) of the rules to run; empty for the default rules."""
    ignore: tuple[str, ...] = ()
    """Codes or prefixes of rules not to run; a more specific selector wins (``AM2`` with ``AM203``
    ignored runs every body rule but AM203; ``AM203`` selected with ``AM2`` ignored runs AM203)."""
    extend: tuple[str, ...] = ()
    """Codes or prefixes run besides ``select`` (or besides the default rules): ruff's
    ``extend-select``, to add an opt-in rule without listing every other."""

    def enabled(self, code: str) -> bool:
        """Whether the rule ``code`` runs."""
        rule = RULE_BY_CODE[code]
        chosen = _longest(self.select, code)
        if not self.select:
            chosen = 0 if rule.default else None
        elif chosen is not None and not rule.default and chosen < len(code):
            chosen = None  # an opt-in rule runs only when its own code is selected
        extended = _longest(self.extend, code)
        if extended is not None and (rule.default or extended == len(code)):
            chosen = extended if chosen is None else max(chosen, extended)
        if chosen is None:
            return False
        ignored = _longest(self.ignore, code)
        return ignored is None or chosen > ignored

    def codes(self) -> tuple[str, ...]:
        """The codes of every rule that runs."""
        return tuple(r.code for r in RULES if self.enabled(r.code))


def _longest(selectors: Sequence[str], code: str) -> int | None:
    """Length of the longest selector that selects ``code`` (``ALL`` counts 0), or None."""
    found = [0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or code.startswith(s)]
    return max(found) if found else None


def parse_selectors(values: Sequence[str], where: str, line: int = 0) -> tuple[str, ...]:
    """Split comma-separated selectors and check each names at least one rule.

    Raises AgentMergeError naming ``where`` (an option or a settings file) for an unknown one.
    """
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            selector = part.strip().upper()
            if not selector:
                continue
            if selector != "ALL" and not any(code.startswith(selector) for code in RULE_BY_CODE):
                raise AgentMergeError(
                    where if line else "",
                    line,
                    f"{part.strip()!r} selects no rule{'' if line else f' ({where})'}; "
                    "use codes such as AM101 or prefixes such as AM2 or ALL (docs/check.md lists the rules)",
                )
            out.append(selector)
    return tuple(out)


SETTINGS_KEYS = ("select", "extend-select", "ignore")
"""The keys ``[tool.agentmerge.check]`` may hold."""


def selection_from(
    select: Sequence[str], ignore: Sequence[str], settings: Settings | None, extend: Sequence[str] = ()
) -> tuple[Selection, list[str]]:
    """The rules to run from the command line and ``[tool.agentmerge.check]``, and warnings.

    ``--select`` replaces the settings' ``select``; ``--extend-select`` and ``--ignore`` add to the
    settings' ``extend-select`` and ``ignore``.
    """
    table: dict[str, Any] = settings.section("check") if settings is not None and settings.source else {}
    warnings = [
        f"{settings.source}: unknown key {key!r} in [tool.agentmerge.check]; known: {', '.join(SETTINGS_KEYS)}"
        for key in table
        if key not in SETTINGS_KEYS and settings is not None
    ]
    configured: dict[str, tuple[str, ...]] = {}
    for key in SETTINGS_KEYS:
        value = table.get(key, [])
        line = settings.line_of(key) if settings is not None else 0
        source = settings.source if settings is not None else ""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(source, line, f'check.{key} must be a list of rule codes, like ["AM1", "AM203"]')
        configured[key] = parse_selectors(value, source, line or 1)
    chosen = parse_selectors(select, "--select") if select else configured["select"]
    extended = configured["extend-select"] + parse_selectors(extend, "--extend-select")
    return Selection(chosen, configured["ignore"] + parse_selectors(ignore, "--ignore"), extended), warnings


# --------------------------------------------------------------------------------------------
# One file


@dataclass(frozen=True, slots=True)
class FileReport:
    """What checking one file gives: its findings, and what the library rules need of it."""

    path: str
    """The file's path as shown."""
    findings: tuple[Finding, ...]
    """Its findings, in line order."""
    fixed: int = 0
    """How many findings ``--fix`` repaired."""
    name: tuple[str, int] | None = None
    """Its ``name`` and that key's line, when its format names agents by it (AM301)."""
    profile: Any = None
    """Its ``group.Profile`` (AM302), when the library rules run."""


def check_text(text: str, path: str, form: Format | None, selection: Selection) -> list[Finding]:
    """The findings of the rules ``selection`` runs over one decoded file (line endings ``\\n``)."""
    agent = parse_text(text, path)
    return _file_findings(agent, text.split("\n"), form, frozenset(selection.codes()))


def _file_findings(agent: Agent, lines: list[str], form: Format | None, codes: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    for warning in agent.warnings:
        code = WARNING_CODES.get(warning.kind)
        if code is not None:
            found.append(_warning_finding(agent, warning.line, warning.message, code, lines))
    if form is not None and form.fields:
        found.extend(_frontmatter_findings(agent, lines, form))
    found.extend(_body_findings(agent, lines, form, codes))
    if "AM004" in codes:
        found.extend(_hidden_text(agent, lines))
    found = [f for f in found if f.code in codes]
    found.sort(key=lambda f: (f.line, f.column, f.code, f.message))
    return found


def _finding(path: str, line: int, code: str, message: str, column: int = 1, **extra: Any) -> Finding:
    return Finding(os.path.normpath(path) if path != STDIN else path, max(1, line), column, code, message, **extra)


# -- what the parser worked around ---------------------------------------------------------


def _warning_finding(agent: Agent, line: int, message: str, code: str, lines: list[str]) -> Finding:
    rule = RULE_BY_CODE[code]
    if code == "AM101":
        message = _yaml_message(agent, line, message)
    elif code == "AM109":
        message = "frontmatter starts after blank lines; most tools read it only on the first line"
    else:
        message = message[0].upper() + message[1:] if message.startswith(("is ", "contains ")) else message
        if message.startswith(("Is ", "Contains ")):
            message = "the file " + message[0].lower() + message[1:]
    if rule.fixable:
        message += " (fixable with --fix)"
    return _finding(agent.path, line, code, message, fixable=rule.fixable)


def _hidden_text(agent: Agent, lines: list[str]) -> Iterator[Finding]:
    """AM004: each run of text a reader does not see (``text.hidden_text``) on the lines the parser
    warned of (``parse.hidden_warnings``), at its column."""
    for number in sorted({w.line for w in agent.warnings if w.kind == "hidden-text"}):
        for offset, what in hidden_text(lines[number - 1]):
            yield _finding(agent.path, number, "AM004", what, column=offset + 1)


def _yaml_message(agent: Agent, line: int, message: str) -> str:
    """The AM101 message: the problem, the key it is in, and that key written as strict YAML."""
    problem = re.search(r"\((.*)\)", message)
    why = problem.group(1) if problem else "invalid YAML"
    culprit = next((f for f in agent.fields if f.line <= line <= f.end_line), None)
    if culprit is None:
        return f"frontmatter is not valid YAML ({why}); quote the value"
    from agentmerge.writer import render_field

    fixed = render_field(culprit).split("\n", 1)[0]
    if fixed.endswith(("|", "|-", "|+")):
        return f"frontmatter is not valid YAML ({why}) in {culprit.key!r}; write its value as a | block"
    if len(fixed) > 72:
        fixed = fixed[:69] + "..."
    return f"frontmatter is not valid YAML ({why}) in {culprit.key!r}; quote it: {fixed}"


# -- frontmatter ---------------------------------------------------------------------------


def _frontmatter_findings(agent: Agent, lines: list[str], form: Format) -> Iterator[Finding]:
    rules = {rule.key: rule for rule in form.fields}
    required = [rule.key for rule in form.fields if rule.required]
    if not agent.has_frontmatter:
        if required:
            yield _finding(
                agent.path,
                1,
                "AM112",
                f"no frontmatter; a {form.title} needs {_and(required)} in a --- block at the top",
            )
        return
    opening = _opening_line(agent, lines)
    for key in required:
        found = agent.field(key)
        if found is None:
            yield _finding(agent.path, opening, "AM102", f"{key!r} is missing; a {form.title} requires it")
        elif _empty(found.value):
            yield _finding(agent.path, found.line, "AM102", f"{key!r} is empty; a {form.title} requires a value")
    for f in agent.fields:
        if f.key in form.verbatim_keys and f.quote:
            from agentmerge.writer import render_field

            # A value that would read as something else unquoted (``'yes'``, a boolean) is left to the author.
            fixable = not quoted_value(render_field(f, verbatim=True))
            yield _finding(
                agent.path,
                f.line,
                "AM113",
                f"{f.key!r} is quoted: a {form.title} reads it as the rest of the line, quotes included, "
                f"so the pattern matches no file; write it unquoted" + (" (fixable with --fix)" if fixable else ""),
                column=_value_column(lines, f),
                fixable=fixable,
            )
        rule = rules.get(f.key)
        if rule is None:
            if form.closed:
                yield _unknown_field(agent.path, f, form, lines)
            continue
        yield from _field_value(agent, f, rule, form, lines)


def _unknown_field(path: str, f: Field, form: Format, lines: list[str]) -> Finding:
    import difflib

    known = [rule.key for rule in form.fields]
    # 0.9: "colour" and "disallowed_tools" find their key, "mode" does not pass for "model".
    close = [k for k in known if k.casefold() == f.key.casefold()] or difflib.get_close_matches(
        f.key, known, n=1, cutoff=0.9
    )
    hint = f"; did you mean {close[0]!r}?" if close else f" (its fields: {form.source})"
    return _finding(path, f.line, "AM103", f"{f.key!r} is not a {form.title} field{hint}")


_TYPE_WORDS = {
    "string": "a string",
    "names": "a list of names",
    "list": "a list",
    "boolean": "true or false",
    "integer": "a whole number",
    "mapping": "a mapping of keys",
}


def _field_value(agent: Agent, f: Field, rule: FieldRule, form: Format, lines: list[str]) -> Iterator[Finding]:
    if f.value is None:
        return  # an empty optional key (Cursor writes `globs:` so) says nothing
    column = _value_column(lines, f)
    if not any(_has_type(f.value, kind) for kind in rule.types):
        wanted = " or ".join(_TYPE_WORDS[kind] for kind in rule.types)
        yield _finding(
            agent.path, f.line, "AM104", f"{f.key!r} must be {wanted}, not {_describe(f.value)}", column=column
        )
        return
    if rule.allowed and isinstance(f.value, str):
        value = f.value.strip()
        if not rule.accepts(value):
            accepted = _and(rule.allowed, "or")
            if rule.allowed_pattern:
                accepted += " or a full model ID (claude-...)"
            close = [a for a in rule.allowed if a.casefold() == value.casefold()]
            hint = f"; did you mean {close[0]!r}?" if close else ""
            yield _finding(
                agent.path,
                f.line,
                "AM105",
                f"{f.key} {value!r} is not one a {form.title} accepts: {accepted}{hint}",
                column=column,
            )
    if f.key == "name" and isinstance(f.value, str):
        yield from _name_findings(agent, f, form, column)
    if f.key in TOOL_KEYS:
        yield from _foreign_tools(agent, f, form, lines, column)
    if f.key in TOOL_KEYS and uses_vscode_tools(form):
        yield from _renamed_tools(agent, f, form, lines, column)


def _foreign_tools(agent: Agent, f: Field, form: Format, lines: list[str], column: int) -> Iterator[Finding]:
    """AM114 for each name of the tool list ``f`` that ``form``'s tool knows no tool by, with the
    names it calls those tools (``_names_here``)."""
    for name in names(f.value):
        written = _names_here(form, name)
        if written is not None:
            line, at = _name_place(lines, f, name, column)
            those = "that tool" if len(written) == 1 and not whole_server(name) else "those tools"
            calls = f"it calls {those} {', '.join(written)}" if written else "it has no such tool"
            yield _finding(
                agent.path,
                line,
                "AM114",
                f"{f.key} names {name!r}, which a {form.title} does not know; {calls}",
                column=at,
            )


def _names_here(form: Format, name: str) -> tuple[str, ...] | None:
    """What ``form``'s tool calls the tools that ``name``, another tool's name for them, stands
    for (empty when it has none of them); None for a name it reads as it is. A Claude Code agent
    knows no other tool's names (``formats.claude_code_tools``); a file VS Code reads knows
    Claude Code's names of built-in tools as aliases, but an MCP tool only as ``server/tool``
    (``formats.copilot_mcp_name``)."""
    if uses_claude_code_tools(form):
        return claude_code_tools(name)
    mcp = copilot_mcp_name(name) if uses_vscode_tools(form) else None
    return None if mcp is None else (mcp,)


def _renamed_tools(agent: Agent, f: Field, form: Format, lines: list[str], column: int) -> Iterator[Finding]:
    replacements = _replacements(names(f.value))
    for name, add in replacements.items():
        line, at = _name_place(lines, f, name, column)
        now = vscode_names_now(name) or ()
        if removed_set(name) is not None:
            what = f"the tool set {name!r}, which VS Code has removed; its tools are {_quoted(now)}"
        else:
            what = f"{name!r}, which VS Code has renamed {now[0]!r}"
        advice = (
            f"write {_quoted(add)}"
            if add
            else f"the list names {'it' if len(now) == 1 else 'them'} already; remove {name!r}"
        )
        yield _finding(
            agent.path, line, "AM115", f"{f.key} names {what}; {advice} (fixable with --fix)", column=at, fixable=True
        )


def _quoted(found: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in found)


def _replacements(written: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each old name in ``written`` (``formats.vscode_names_now``), the names --fix writes in
    its place: its names now that the list does not give already, as written or through an old
    name before it (none: the entry is removed), so no tool is listed twice."""
    current = {name for name in written if vscode_names_now(name) is None}
    out: dict[str, tuple[str, ...]] = {}
    for name in written:
        now = vscode_names_now(name)
        if now is not None:
            out[name] = tuple(tool for tool in now if tool not in current)
            current.update(now)
    return out


def _entry(name: str, quote: str = "") -> str:
    """The regular expression of ``name`` as a whole tool name in a tools list (not inside
    ``a/name`` or ``name(x)``); with ``quote``, in the quotes it may stand in, captured under
    that group name."""
    bare = rf"(?<![\w/*-]){re.escape(name)}"
    quoted = rf"(?P<{quote}>['\"]?){bare}(?P={quote})" if quote else bare
    return rf"{quoted}(?![\w/*(-])"


def _name_pattern(name: str) -> re.Pattern[str]:
    """Where ``name`` stands as a whole tool name in a tools list (``_entry``)."""
    return re.compile(_entry(name))


def _entry_pattern(name: str) -> re.Pattern[str]:
    """The entry ``name`` in a tools list with its quotes and the separator that goes with it: the
    comma after it, or for the last entry of a list the comma before it."""
    first, last, only = (_entry(name, q) for q in ("q1", "q2", "q3"))
    return re.compile(rf"{first}[ \t]*,[ \t]*|[ \t]*,[ \t]*{last}(?=[ \t]*(?:\]|#|\r?$))|{only}")


def _name_place(lines: list[str], f: Field, name: str, column: int) -> tuple[int, int]:
    """The line and 1-based column of ``name`` in the value of ``f`` (the value's start when not found)."""
    pattern = _name_pattern(name)
    for number in range(f.line, min(f.end_line, len(lines)) + 1):
        text = lines[number - 1]
        start = len(f.key) + 1 if number == f.line else 0
        found = pattern.search(text, start)
        if found:
            return number, found.start() + 1
    return f.line, column


def _name_findings(agent: Agent, f: Field, form: Format, column: int) -> Iterator[Finding]:
    assert isinstance(f.value, str)
    value = f.value.strip()
    if not form.accepts_name(value):
        suggestion = form.name_for(value)
        if suggestion and suggestion != value:
            advice = f"write it {suggestion!r}"
        else:
            advice = f"for example {form.name_example!r}"
        yield _finding(
            agent.path,
            f.line,
            "AM106",
            f"name {value!r} breaks the {form.title} naming rule ({form.name_rule}); {advice}",
            column=column,
        )
    if form.name_pattern and agent.path != "<stdin>":
        stem = _file_stem(agent.path)
        if stem and stem != value:
            yield _finding(
                agent.path, f.line, "AM107", f"name {value!r} differs from the file name {stem!r}", column=column
            )


def _file_stem(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".agent.md", ".chatmode.md", ".prompt.md", ".instructions.md", ".mdc", ".markdown", ".md"):
        if base.lower().endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def _has_type(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "names":
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if kind == "list":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, dict)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the string {_short(str(value))!r}"


def _empty(value: object) -> bool:
    return value is None or (
        isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value)
    )


def _opening_line(agent: Agent, lines: list[str]) -> int:
    span = frontmatter_span("\n".join(lines))
    return span[0] if span else 1


def _value_column(lines: list[str], f: Field) -> int:
    """1-based column where the value of ``f`` starts on its key's line (1 when not found)."""
    if not 0 < f.line <= len(lines):
        return 1
    found = re.match(rf"\s*{re.escape(f.key)}\s*:\s*", lines[f.line - 1])
    return found.end() + 1 if found and found.end() < len(lines[f.line - 1]) else 1


def _and(words: Sequence[str], last: str = "and") -> str:
    return series([repr(w) for w in words], last)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- body ----------------------------------------------------------------------------------

PLACEHOLDER_PATTERNS: tuple[tuple[str, str], ...] = (
    # {{PROJECT_TYPE}}, {{ DEPLOYMENT_AGENT }}: upper case, as template kits write the slots they
    # fill. Lower and mixed case ({{ this }}, {{RoleTitle}}) is template syntax the agent is shown
    # or asked to use (dbt, Jinja, example prompts): on the corpus every such hit was meant.
    ("template variable", r"(?<!\$)\{\{\s*[A-Z][A-Z0-9_]*(?:[ .-][A-Z0-9_]+)*\s*\}\}"),
    # [YOUR_API_KEY], [INSERT PROJECT NAME], [PLACEHOLDER]; not a link's text ([x](url), [x][y]).
    # [TODO] is left out: agents are told to mark gaps with it.
    (
        "bracketed placeholder",
        r"\[(?:YOUR|INSERT|ENTER|REPLACE|FILL[ _-]IN|PLACEHOLDER)(?:[ _-][A-Za-z0-9_ -]{0,40})?\](?![(\[:])",
    ),
    # <YOUR_NAME>, <INSERT-THING>
    ("angle-bracket placeholder", r"<(?:YOUR|INSERT|ENTER|REPLACE)[ _-][A-Za-z0-9_ -]{1,40}>"),
)
"""Unfilled template placeholders (AM201), each with what it is. Code spans are never searched:
they show syntax (``{{VARIABLE_NAME}}`` in "replace `{{REPO_PATH}}`"). Code blocks are searched for
the upper-case template variable only: template kits leave their slots there too (``cd
{{REPO_PATH}}``), while bracketed words in code are code."""

IN_CODE_BLOCKS = ("template variable",)
"""Which PLACEHOLDER_PATTERNS are searched inside code blocks as well."""

_CODE_SPAN = r"(`+)(?:(?!\1).)+?\1"


def _body_findings(agent: Agent, lines: list[str], form: Format | None, codes: frozenset[str]) -> Iterator[Finding]:
    if "AM201" in codes:
        yield from _placeholders(agent, lines)
    for section in agent.body.walk():
        # A level-1 heading over another is a document's title over its first section, or a
        # `# comment` of code written outside a fence (Cursor rules do both); neither is a
        # section left unwritten.
        if section.kind == "heading" and section.level > 1 and not section.items and not section.sections:
            title = _short(section.title or "", 50)
            yield _finding(agent.path, section.line, "AM202", f"section {title!r} is empty; write it or remove it")
    has_items = any(True for _ in agent.items())
    if not has_items and (agent.has_frontmatter or form is not None):
        yield _finding(agent.path, agent.body.line, "AM205", "the body holds no instructions; the agent has no prompt")
    if form is not None and form.body_limit:
        start = agent.body.line
        size = len("\n".join(lines[start - 1 :]).strip())
        if size > form.body_limit:
            yield _finding(
                agent.path,
                start,
                "AM206",
                f"the body has {size:,} characters; a {form.title} may have at most {form.body_limit:,}",
            )
    if "AM203" in codes or "AM204" in codes:
        try:
            yield from repeats_and_contradictions(agent)
        except AgentMergeError as error:  # the scorer's refusal of too many pairs names no file
            raise AgentMergeError(error.path or agent.path, error.line, error.message) from None


def _placeholders(agent: Agent, lines: list[str]) -> Iterator[Finding]:
    code = bytearray(len(lines) + 2)
    for _, item in agent.items():
        if item.kind in ("code", "html"):
            code[item.line : item.end_line + 1] = b"\x01" * (item.end_line + 1 - item.line)
    for number, line in enumerate(lines, start=1):
        if "{{" not in line and "[" not in line and "<" not in line:
            continue
        visible = line if code[number] else re.sub(_CODE_SPAN, lambda m: " " * len(m.group(0)), line)
        for what, pattern in PLACEHOLDER_PATTERNS:
            if code[number] and what not in IN_CODE_BLOCKS:
                continue
            for match in re.finditer(pattern, visible):
                yield _finding(
                    agent.path,
                    number,
                    "AM201",
                    f"unfilled {what} {match.group(0)!r}; replace it with the real text",
                    column=match.start() + 1,
                )


def repeats_and_contradictions(agent: Agent) -> Iterator[Finding]:
    """AM203 and AM204 for one file, by the item matcher's verdict (``consolidate.matching_evidence``).

    A pair of the file's instructions is a repeat when ``consolidate`` would fold the two into one
    (no clustering rule of ``cluster.ITEM_RULES`` keeps them apart: roles, subjects, polarity,
    templates, one shared word, two tools or names, code) and the pair score is at least
    REPEAT_SCORE; an exact copy is a repeat outright. A pair that says opposite things of one act
    (``cluster.contradiction``, the rule ``consolidate`` reports such pairs of two inputs by) is a
    contradiction.
    Either way the pair must pass REPEAT_RULES, which keep out what a file repeats by design.
    """
    from agentmerge.cluster import ITEM_RULES, contradiction
    from agentmerge.consolidate import matching_evidence

    evidence = matching_evidence([agent], repeats=True)
    places = _Places(agent)
    found: list[tuple[int, int, str, str, bool]] = []  # second line, first line, code, message, verbatim
    for n, bag in enumerate(evidence.keys):
        candidate = evidence.candidates[n]
        if len(bag) < 2 or not candidate.repeatable:
            continue
        first = bag[0][1]
        for _, line in bag[1:]:
            if _repeat_veto(places, first, line, candidate.text, candidate.text, candidate.kind) is None:
                message = f"repeats line {first} word for word: {_short(candidate.text, 60)!r}"
                found.append((line, first, "AM203", message, True))
    model = evidence.scorer.model
    thresholds = (model.same_input_threshold, model.same_input_threshold)
    other_choice = next(rule for rule in ITEM_RULES if rule.name == "other choice")
    for (i, j), score in sorted(evidence.scorer.scores(evidence.pairs).items()):
        a, b = evidence.candidates[i], evidence.candidates[j]
        # The rules are asked only of a pair that scores as a repeat (most pairs do not).
        if score >= REPEAT_SCORE and not any(rule.vetoes(a, b, score, thresholds) for rule in ITEM_RULES):
            code, verb = "AM203", "repeats"
        elif contradiction(a, b, score, thresholds) is not None:
            code, verb = "AM204", "contradicts"
        else:
            continue
        (first, text_a), (second, text_b) = sorted(((evidence.keys[i][0][1], a.text), (evidence.keys[j][0][1], b.text)))
        veto = _repeat_veto(places, first, second, text_a, text_b, a.kind)
        # Two words are a whole instruction when they pick one way of doing a thing ("Indent
        # with tabs"), not a value in a list: the short rule keeps out only repeats.
        if veto is not None and not (
            veto == "short" and code == "AM204" and other_choice.vetoes(a, b, score, thresholds)
        ):
            continue
        if text_a.split() == text_b.split():
            message = f"{verb} line {first} word for word: {_short(text_a, 60)!r}"
        else:
            quote_a, quote_b = clipped_apart(text_a, text_b, 50, cut=_short, mark="...")
            message = f"{verb} line {first}: {quote_a!r} and {quote_b!r}"
        found.append((second, first, code, message, text_a == text_b))
    between = Counter(places.lists(first, second) for second, first, *_ in found)
    slots = Counter(
        places.lists(first, second)
        for second, first, code, _, verbatim in found
        if code == "AM203" and verbatim and places.aligned(first, second)
    )
    for second, first, code, message, _ in sorted(found):
        pair = places.lists(first, second)
        if pair is not None and slots[pair] == between[pair] and (between[pair] == 1 or places.few(pair, slots[pair])):
            continue  # "slot": the few items two lists of one template share, each in its place
        yield _finding(agent.path, second, code, message, related=((agent.path, first),))


REPEAT_SCORE = 0.85
"""Least pair score at which two wordings in one file are reported as one instruction (AM203).

Higher than the matcher's ``same_input_threshold`` (at which consolidate folds a restatement
into the kept wording when it merges files): a lint finding asks someone to act, so it must be
right. Read on the corpus: at the matcher's threshold most same-file pairs were two
instructions on one topic; from 0.85 most were one instruction said twice (between 0.8 and 0.85
sat sibling steps on two files and two uses of one product)."""

SPECIFICS_APART = 2
"""Fewest numbers and code spans that only one of two wordings has for the two to set different
things (`objects` → `object_details` against the same with three more tools); one more is a
detail a restatement adds."""

REPEAT_MIN_TERMS = 3
"""Fewest significant terms both wordings need: shorter items are values and names in lists
(``develop``, ``**Registry**: PyPI``), which structured files repeat on purpose."""

PARALLEL_SHARED = 1
"""Least number of lead-in labels, besides their own and with different content under them, two
lists (sections, or the children of two items) share to be parallel: the same template filled
twice (per ecosystem, per endpoint), whose items repeat by design."""


class _Places:
    """Where each item of one file stands: the list it belongs to (a section's items, or the
    children of one item), its place in that list, and what each list says under each lead-in
    label."""

    def __init__(self, agent: Agent) -> None:
        self.home: dict[int, int] = {}
        self.index: dict[int, int] = {}
        self.label: dict[int, str] = {}
        self.labels: list[dict[str, frozenset[str]]] = []
        self.sizes: list[int] = []
        self.depths: list[int] = []
        self.starts: list[int] = []

        self.example: set[int] = set()
        self.subject: dict[int, tuple[int, str]] = {}

        self.titles: dict[int, tuple[str, ...]] = {}

        self.path: dict[int, tuple[int, ...]] = {}
        self.headings: list[tuple[str, ...]] = []
        self.said: list[set[str]] = []
        self.topical: list[bool] = []
        self.captions: set[int] = set()

        self._visit(agent.body, 0, False, (), ())

    def _add(self, items: Sequence[Item], depth: int, example: bool, titles: tuple[str, ...] = ()) -> None:
        """Record where each of ``items`` (one list, and the lists under them) stands."""
        labels: dict[str, frozenset[str]] = {}
        self.labels.append(labels)
        self.sizes.append(len(items))
        self.depths.append(depth)
        self.starts.append(items[0].line if items else 0)
        place = len(self.labels) - 1
        for index, item in enumerate(items):
            shown = item.children[:1] or items[index + 1 : index + 2]
            if shown and shown[0].kind == "code" and label_only(item.text):
                self.captions.add(item.line)
            if item.line not in self.home:
                self.home[item.line] = place
                self.index[item.line] = index
            if example:
                self.example.add(item.line)
            self.titles.setdefault(item.line, titles)
            label = lead_label(item.text)
            if label:
                self.label.setdefault(item.line, label.casefold())
                labels.setdefault(label.casefold(), _body_terms(item.text))
            if item.children:
                if label_only(item.text):
                    for child in item.children:
                        self.subject.setdefault(child.line, (place, normalize(item.text).casefold()))
                self._add(item.children, depth + 1, example, titles)

    def _visit(
        self, section: Section, depth: int, example: bool, titles: tuple[str, ...], path: tuple[int, ...]
    ) -> None:
        """Record ``section``'s headings, what its items say, and its lists (``_add``)."""
        example = example or section_role(section.title) == "examples"
        titles = (*titles, section.title) if section.title else titles
        path = (*path, len(self.headings))
        self.headings.append(_title_terms(section.title or ""))
        head = re.findall(r"[A-Za-z][\w-]*", normalize(section.title or ""))[-1:]
        self.topical.append(bool(head) and section_role(head[0]) in TOPICAL_ROLES)
        self.said.append(set())
        for item in section.items:
            for part in item.walk():
                self.path.setdefault(part.line, path)
                words = set(terms(part.text))
                for n in path:
                    self.said[n].update(words)
        self._add(section.items, depth, example, titles)
        for sub in section.sections:
            self._visit(sub, depth + 1, example, titles, path)

    def cases(self, first: int, second: int) -> bool:
        """Whether the items on these lines sit under two headings that name two cases of one
        thing (CASE_TITLE: ``Step 2`` and ``Step 4``, ``Phase B`` and ``Phase C``,
        ``Complexity=LOW`` and ``Complexity=HIGH``): a procedure written out per case."""
        keys_a = {key for title in self.titles.get(first, ()) for key in _cases(title)}
        keys_b = {key for title in self.titles.get(second, ()) for key in _cases(title)}
        return any(a[0] == b[0] and a[1] != b[1] for a in keys_a for b in keys_b)

    def kinds(self, first: int, second: int) -> bool:
        """Whether the items on these lines sit under two headings that name two kinds of one
        thing (``Serverless Functions`` and ``Edge Functions``, ``Release Process`` and ``Hotfix
        Process``): the two headings where the items' paths part end in the same term, the thing,
        and each has a term of its own, the kind; and one section's items name its own kind,
        which the other's never do. Each section then writes out the same steps for its own
        subject. A heading whose last word names guidance (TOPICAL_ROLES) names a topic, not a
        thing with kinds; headings that share only a first word (``Modern Go Tooling``, ``Modern
        Go Language Features``) name two topics of one subject, whose items do repeat."""
        a, b = self.path.get(first), self.path.get(second)
        if a is None or b is None:
            return False
        parted = next(((x, y) for x, y in zip(a, b, strict=False) if x != y), None)
        if parted is None:
            return False
        x, y = parted
        title_x, title_y = self.headings[x], self.headings[y]
        if not (title_x and title_y) or title_x[-1] != title_y[-1] or self.topical[x] or self.topical[y]:
            return False
        own_x, own_y = set(title_x) - set(title_y), set(title_y) - set(title_x)
        if not (own_x and own_y):
            return False
        return bool(own_x & self.said[x] - self.said[y] or own_y & self.said[y] - self.said[x])

    def subjects(self, first: int, second: int) -> bool:
        """Whether the items on these lines sit under two different bare labels of one list
        (``- PRD:`` and ``- AGENTS.md:``, each over its own steps): one procedure per subject."""
        a, b = self.subject.get(first), self.subject.get(second)
        return a is not None and b is not None and a[0] == b[0] and a[1] != b[1]

    def lists(self, first: int, second: int) -> tuple[int, int] | None:
        """The two lists the items on these lines belong to, when they are two."""
        a, b = self.home.get(first), self.home.get(second)
        return None if a is None or b is None or a == b else (a, b)

    def aligned(self, first: int, second: int) -> bool:
        """Whether the items on these lines hold the same place in two lists filled from one
        template: lists next to each other at the same depth (no list of that depth starts
        between them), of at least two items each, the items at the same index of lists of one
        length, or each the last of its list (a phase's "Updated architecture diagram", a
        branch's "Merge back to develop", a payment mode's last step)."""
        pair = self.lists(first, second)
        if pair is None:
            return False
        a, b = sorted(pair, key=lambda n: self.starts[n])
        if self.depths[a] != self.depths[b] or min(self.sizes[a], self.sizes[b]) < 2:
            return False
        between = [
            n
            for n, depth in enumerate(self.depths)
            if depth == self.depths[a] and self.sizes[n] and self.starts[a] < self.starts[n] < self.starts[b]
        ]
        if between:
            return False
        ia, ib = self.index[first], self.index[second]
        last = ia == self.sizes[self.home[first]] - 1 and ib == self.sizes[self.home[second]] - 1
        return last or (ia == ib and self.sizes[a] == self.sizes[b])

    def few(self, pair: tuple[int, int], shared: int) -> bool:
        """Whether ``shared`` items are fewer than half of each of the two lists."""
        return shared * 2 < min(self.sizes[pair[0]], self.sizes[pair[1]])

    def parallel(self, first: int, second: int) -> bool:
        """Whether the items on these lines sit in two lists filled from one template: lists that
        share a lead-in label (besides the two items' own) with different content under it
        (``**Registry**: npmjs`` in one, ``**Registry**: PyPI`` in the other). Lists whose labels
        carry the same content restate each other, which is a repeat."""
        pair = self.lists(first, second)
        if pair is None:
            return False
        a, b = pair
        own = {self.label.get(first), self.label.get(second)}
        filled = [
            label
            for label in self.labels[a].keys() & self.labels[b].keys()
            if label not in own and not _alike(self.labels[a][label], self.labels[b][label])
        ]
        return len(filled) >= PARALLEL_SHARED


TOPICAL_ROLES = frozenset({"principles", "responsibilities", "intro"})
"""Roles of a heading's last word that name how guidance is presented, not a thing with kinds:
``Security Guidelines`` and ``Testing Guidelines`` are two topics of one file's guidance, and an
instruction under both is said twice (``_Places.kinds`` skips them)."""


CASE_TITLE = r"(?P<word>[A-Za-z][\w-]*)\s*(?:[=:]\s*(?P<value>\S+)|\s+(?P<case>\d+[a-z]?|[A-Za-z])\b)"
"""A heading that names one case of several: a word, then a value after ``=`` or ``:``, or a
number or a single letter (``Complexity=LOW``, ``Mode: fast``, ``Step 2``, ``Phase B``)."""


CASE_INSIDE = r"\b(?P<word>[A-Za-z][\w-]*)\s+(?P<case>\d+[a-z]?|[A-Z])\b(?![-'’.]\w)"
"""A case named later in a heading: a word, then a number or a capital letter (``Multi-line
TextBox - Option A``, ``Setup for Python 3``); a lower-case letter there is an article."""


def _cases(title: str) -> set[tuple[str, str]]:
    """The things and the cases a heading names (CASE_TITLE at its start, CASE_INSIDE anywhere)."""
    from agentmerge.text import normalize

    plain = normalize(title).strip()
    found = {(m.group("word").casefold(), m.group("case").casefold()) for m in re.finditer(CASE_INSIDE, plain)}
    match = re.match(CASE_TITLE, plain)
    if match is not None:
        found.add((match.group("word").casefold(), (match.group("value") or match.group("case")).casefold()))
    return found


def _title_terms(title: str) -> tuple[str, ...]:
    """The terms of a heading that name its topic, in order: filler words (``Core``, ``General``)
    left out."""
    from agentmerge.lexicon import TITLE_FILLER_WORDS
    from agentmerge.text import terms

    return terms(" ".join(w for w in title.split() if w.casefold() not in TITLE_FILLER_WORDS))


def _body_terms(text: str) -> frozenset[str]:
    """The terms of what follows an item's lead-in label."""
    from agentmerge.text import terms

    return frozenset(terms(text.split(":", 1)[-1] if ":" in text else text))


def _alike(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two bodies share at least half their terms (Jaccard), as restatements do."""
    return len(a & b) * 2 >= len(a | b)


REPEAT_RULES: tuple[tuple[str, str], ...] = (
    ("kind", "code (fenced or not), tables, quotes and HTML repeat as examples and markup, not as instructions"),
    (
        "template",
        "a line with slots or markup (`<file>`, `{imagePath}`, `</output>`) is a template, not an instruction",
    ),
    (
        "reference",
        "an entry that opens with a link or an address (after a label or not) points to a page; two pages of a site"
        " are two",
    ),
    ("example", "an example (a section titled as one) shows the instructions at work; it restates them by design"),
    (
        "captions",
        "two lead-ins that end with a colon over a code block (`the following snippet shows ...:`) caption two"
        " examples; worded apart, they differ as their code does",
    ),
    ("subjects", "steps under two bare labels of one list (`- PRD:`, `- AGENTS.md:`) are one procedure per subject"),
    ("cases", "two headings that name two cases of one thing (`Step 2`, `Step 4`; `Phase B`, `Phase C`) repeat steps"),
    (
        "kinds",
        "two headings that name two kinds of one thing (`Serverless Functions`, `Edge Functions`), each section"
        " naming its own kind in its items, write the same steps out per subject",
    ),
    ("short", "an item of one word (`astro.config.mjs`) or fewer than REPEAT_MIN_TERMS terms is a value or a name"),
    ("parallel", "two lists filled from one template repeat their items by design"),
    (
        "slot",
        "the few items two neighbouring lists share (one, or fewer than half of each), each word for word and in"
        " the same place, are slots of a template filled twice (each phase's last step, each branch's merge"
        " target); checked once all pairs are known",
    ),
    (
        "specifics",
        "wordings with SPECIFICS_APART numbers, periods or code spans not in common (`RightToLeft`, `TopDown`) set"
        " different things",
    ),
    ("label", "one label over different content is two fields of a template (`purpose:`, `returns:`)"),
    (
        "topics",
        "two labels that name different things (`With legal-compliance-expert`, `With legal-compliance-teams`)"
        " head two items, however alike the rest",
    ),
)
"""Why a pair the matcher reads as one instruction is still not reported, checked in this order."""


_TEMPLATE_SLOT = r"<[^<>\s][^<>]*>|\{[A-Za-z_][\w.]*\}|\[[^\]\n]+\](?![(\[:])"
"""A slot of a template line or markup: ``<file>``, ``<react@19.x.x>``, ``{imagePath}``,
``</OUTPUT_FORMAT>``, ``[NEEDED/NOT NEEDED]`` (brackets that are not a link's text)."""

_CODE_LIKE = r"\s*(?:def|class|function|const|let|var|import|from|return|public|private|async|await)\s+[\w{(]"
"""An item that opens like a line of code: code written outside a fence, as examples often are."""

_CODE_SHAPE = r"[({\[]\s*$|\{\s+\w+\s*:[^}]*\}"
"""Code outside a fence that opens no differently from prose: a line that ends with an opening
bracket (``returns: v.array(v.object({``), an object literal (``{ name: v.string() }``)."""


_LINK_FIRST = r"\s*(?:(?:\*\*|__)?[^:\n]{1,40}:(?:\*\*|__)?\s+)?(?:\*\*|__)?(?:\[[^\]]+\]\([^)]+\)|<?https?://)"
"""An item that opens with a Markdown link or an address, after a short label or not
(``Source repo: https://...``): an entry of a list of references."""


def _code_like(text: str) -> bool:
    """Whether an item is a line of code written outside a fence (_CODE_LIKE, _CODE_SHAPE); code
    spans are not looked into."""
    return bool(re.match(_CODE_LIKE, text) or re.search(_CODE_SHAPE, re.sub(_CODE_SPAN, "``", text)))


def _repeat_veto(places: _Places, first: int, second: int, a: str, b: str, kind: str) -> str | None:
    """The name of the REPEAT_RULES rule that keeps a pair of one file from being reported, or None."""
    from agentmerge.cluster import specifics
    from agentmerge.text import lead_label, terms

    if kind in ("code", "table", "quote", "html") or _code_like(a) or _code_like(b):
        return "kind"
    if re.search(_TEMPLATE_SLOT, a) or re.search(_TEMPLATE_SLOT, b):
        return "template"
    if re.match(_LINK_FIRST, a) or re.match(_LINK_FIRST, b):
        return "reference"
    if first in places.example or second in places.example:
        return "example"
    if first in places.captions and second in places.captions and a != b:
        return "captions"
    if places.subjects(first, second):
        return "subjects"
    if places.cases(first, second):
        return "cases"
    if places.kinds(first, second):
        return "kinds"
    terms_a, terms_b = set(terms(a)), set(terms(b))
    if min(len(terms_a), len(terms_b)) < REPEAT_MIN_TERMS or " " not in a.strip() or " " not in b.strip():
        return "short"
    if places.parallel(first, second):
        return "parallel"
    pinned_a, pinned_b = specifics(a), specifics(b)
    if pinned_a and pinned_b and len(pinned_a ^ pinned_b) >= SPECIFICS_APART:
        return "specifics"
    label_a, label_b = lead_label(a), lead_label(b)
    same_label = bool(label_a and label_b and label_a.casefold() == label_b.casefold())
    if same_label and a != b and not _alike(_body_terms(a), _body_terms(b)):
        return "label"
    if label_a and label_b:
        named_a, named_b = set(terms(label_a)), set(terms(label_b))
        if named_a and named_b and not (named_a <= named_b or named_b <= named_a):
            return "topics"
    return None


# --------------------------------------------------------------------------------------------
# Safe fixes


def fix_text(text: str, agent: Agent, codes: Sequence[str]) -> tuple[str, int]:
    """``text`` (decoded, original line endings) with the safe fixes of ``codes`` applied, and how
    many findings they repair. Each fix is kept only when the file then says the same
    (``writer.same_model``) and the parser no longer has that problem to work around.

    AM109 drops the blank lines before the frontmatter, AM108 the earlier copies of a key (the
    parser keeps the last), AM101 writes each key strict YAML rejects as the canonical writer
    writes it (a key its format reads by line aside), AM113 unquotes such a key's value, AM115
    writes each tool VS Code has renamed by its name now (or drops it where the list has that
    name already); every other line stays as it was.
    """
    if re.search(r"\r(?!\n)", text):
        return text, 0  # lone CR line endings: lines cannot be matched up safely
    ending = "\r\n" if "\r\n" in text else "\n"
    current = text.replace("\r\n", "\n")
    count = 0
    for code in ("AM109", "AM108", "AM101"):
        kind = _kind_of(code)
        now = parse_text(current, agent.path)
        if code not in codes or not any(w.kind == kind for w in now.warnings):
            continue
        lines = current.split("\n")
        edits = _FIXES[code](now, lines)
        if not edits:
            continue
        out: list[str] = []
        for number, line in enumerate(lines, start=1):
            out.extend(edits.get(number, [line]))
        candidate = "\n".join(out)
        again = parse_text(candidate, agent.path)
        if _says_the_same(agent, again) and not any(w.kind == kind for w in again.warnings):
            count += sum(1 for w in now.warnings if w.kind == kind)
            current = candidate
    if "AM113" in codes:
        current, unquoted = _fix_quoted_verbatim(current, agent.path)
        count += unquoted
    if "AM115" in codes:
        current, renamed = _fix_renamed_tools(current, agent.path)
        count += renamed
    if not count:
        return text, 0
    return (current.replace("\n", ending) if ending != "\n" else current), count


def _fix_quoted_verbatim(text: str, path: str) -> tuple[str, int]:
    """``text`` with each quoted value of a key its format reads as the rest of the line written
    unquoted (AM113), when the file then says the same; and how many were."""
    from agentmerge.writer import render_field

    verbatim = verbatim_keys([path])
    if not verbatim:
        return text, 0
    now = parse_text(text, path)
    lines = text.split("\n")
    rewritten = {f.line: render_field(f, verbatim=True) for f in now.fields if f.key in verbatim and f.quote}
    edits = {line: written for line, written in rewritten.items() if not quoted_value(written)}
    if not edits:
        return text, 0
    candidate = "\n".join(edits.get(n, line) for n, line in enumerate(lines, start=1))
    if not _says_the_same(now, parse_text(candidate, path)):
        return text, 0
    return candidate, len(edits)


def _fix_renamed_tools(text: str, path: str) -> tuple[str, int]:
    """``text`` with each tool VS Code has renamed written by its name now where it stands (a
    removed tool set by its tools), or removed where the list names those already (AM115), when
    VS Code then reads the same tools and the file names no old name; and how many names were
    fixed."""
    form = detect_format(path)
    if form is None or not uses_vscode_tools(form):
        return text, 0
    now = parse_text(text, path)
    lines: list[str | None] = list(text.split("\n"))
    count = sum(_fix_tool_list(f, lines) for f in now.fields if f.key in TOOL_KEYS)
    if not count:
        return text, 0
    candidate = "\n".join(line for line in lines if line is not None)
    again = parse_text(candidate, path)
    if not _says_the_same(_tools_as_read(now), _tools_as_read(again)) or any(
        vscode_names_now(name) for f in again.fields if f.key in TOOL_KEYS for name in names(f.value)
    ):
        return text, 0
    return candidate, count


def _fix_tool_list(f: Field, lines: list[str | None]) -> int:
    """Rename or remove, in ``lines``, the old names of the tools field ``f`` (a line removed is
    set to None): each old name's first entry is written as its ``_replacements`` (one entry a
    name, in its quotes, on lines of their own in a block list), and any other entry of it, or
    one with nothing to write, is removed; how many names were fixed."""
    count = 0
    for name, add in _replacements(names(f.value)).items():
        # The first entry is rewritten, unless there is nothing to write; any other is removed.
        written, entry = not add, _entry_pattern(name)
        fixed = False
        for number in range(f.line, min(f.end_line, len(lines)) + 1):
            line = lines[number - 1]
            if line is None:
                continue
            start = len(f.key) + 1 if number == f.line else 0
            rest, found = line[start:], 0
            if not written:
                rest, found = _write_in_place(name, add, rest, block=number > f.line)
                written = bool(found)
            rest, removed = entry.subn("", rest)
            fixed = fixed or bool(found or removed)
            # A block-list entry, or a flow-list entry alone on its line, goes with its line (and its comment).
            gone = removed and number > f.line and not rest.split("#", 1)[0].strip(" \t\r-")
            lines[number - 1] = None if gone else line[:start] + rest
        count += fixed
    return count


def _write_in_place(name: str, add: Sequence[str], text: str, *, block: bool) -> tuple[str, int]:
    """``text`` (a tools list's line, or its rest after the key) with the first entry ``name``
    written as the names ``add`` in its quotes: a block-list line becomes one line a name (the
    comment stays on the first), a flow list or comma string takes them one after the other."""
    item = re.match(rf"^(?P<lead>[ \t]*-[ \t]+){_entry(name, 'q')}(?P<tail>[ \t]*(?:#.*)?\r?)$", text)
    if block and item:
        lead, quote, tail = item.group("lead"), item.group("q"), item.group("tail")
        end = "\r" if tail.endswith("\r") else ""
        out = [f"{lead}{quote}{add[0]}{quote}{tail}", *(f"{lead}{quote}{tool}{quote}{end}" for tool in add[1:])]
        return "\n".join(out), 1
    pattern = re.compile(_entry(name, "q"))
    return pattern.subn(lambda m: ", ".join(f"{m.group('q')}{tool}{m.group('q')}" for tool in add), text, count=1)


def _tools_as_read(agent: Agent) -> Agent:
    """``agent`` with each tool list written as VS Code reads it: a set of tools, every renamed
    tool by its name now, a removed tool set by its tools."""

    def read(f: Field) -> Field:
        if f.key not in TOOL_KEYS or not isinstance(f.value, (str, list)):
            return f
        return replace(f, value=sorted(read_tools(names(f.value), vscode_tools)))

    return replace(agent, fields=tuple(read(f) for f in agent.fields))


def _says_the_same(a: Agent, b: Agent) -> bool:
    from agentmerge.writer import same_model

    return same_model(a, b)


Edits = dict[int, list[str]]
"""Lines to replace, by 1-based number: each with the lines that stand in its place (none: dropped)."""


def _fix_late_frontmatter(agent: Agent, lines: list[str]) -> Edits:
    span = frontmatter_span("\n".join(lines))
    return {} if span is None else {n: [] for n in range(1, span[0])}


def _fix_duplicate_keys(agent: Agent, lines: list[str]) -> Edits:
    """Drop every earlier copy of a key set twice: from its line to the next key or the closing ``---``."""
    span = frontmatter_span("\n".join(lines))
    if span is None:
        return {}
    opening, closing = span
    kept = {f.key: f.line for f in agent.fields}
    starts = sorted({f.line for f in agent.fields} | {closing})
    edits: Edits = {}
    for warning in agent.warnings:
        if warning.kind != "duplicate-key":
            continue
        key = lines[warning.line - 1].split(":", 1)[0].strip()
        if key not in kept:
            continue
        pattern = rf"{re.escape(key)}[ \t]*:"
        for number in range(opening + 1, kept[key]):
            if re.match(pattern, lines[number - 1]):
                stop = next(s for s in starts if s > number)
                edits.update({n: [] for n in range(number, stop)})
    return edits


def _fix_invalid_yaml(agent: Agent, lines: list[str]) -> Edits:
    from agentmerge.writer import render_field

    verbatim = verbatim_keys([agent.path])
    edits: Edits = {}
    for f in agent.fields:
        if f.key not in verbatim and not _loads_alone(lines[f.line - 1 : f.end_line]):
            edits[f.line] = render_field(f).split("\n")
            edits.update({n: [] for n in range(f.line + 1, f.end_line + 1)})
    return edits


_FIXES = {"AM109": _fix_late_frontmatter, "AM108": _fix_duplicate_keys, "AM101": _fix_invalid_yaml}
"""The safe fix of each fixable rule: the line edits that repair it."""


def _kind_of(code: str) -> str:
    return next(kind for kind, c in WARNING_CODES.items() if c == code)


def _loads_alone(block: list[str]) -> bool:
    """Whether one key's lines load as strict YAML on their own (``parse.loads_strictly``)."""
    return loads_strictly("\n".join(block))


# --------------------------------------------------------------------------------------------
# Many files


def check_file(path: str, codes: tuple[str, ...], fix: bool, library: bool) -> tuple[Any, ...]:
    """Worker: check one file (and fix it with ``fix``); the result as plain values that pickle:
    ("ok", path, findings, fixed, name, profile, unfixed) or ("error", path, line, message);
    ``unfixed`` is the line and the reason a file with fixable findings was not fixed, or None."""
    from agentmerge.filesystem import read_bytes, refuse_link_out, write_atomic

    try:
        data = read_bytes(path)
        # Standard input has no path to tell its format: its frontmatter does (``detect_format("-")``).
        form = detect_format(path, data)
        path = STDIN if path == "-" else path
        text, warnings = decode(data, path, keep_endings=True)
        plain = unix_endings(text)
        agent = parse_text(plain, path, _warnings=warnings)
        fixed = 0
        # A file whose text does not give its bytes back is not written again.
        refusal = rewrite_refusal(warnings) if fix else None
        if fix and refusal is None:
            try:
                refuse_link_out(path)
            except AgentMergeError as error:
                # Its findings are still reported; the link is why they are not fixed.
                refusal = (0, error.message)
        if fix and refusal is None:
            try:
                new, fixed = fix_text(text, agent, codes)
            except InputError as error:
                # A fix would put the file past one of the reader's limits (quoting 5,000 values
                # of a frontmatter near 64 KiB): its findings are still reported, unfixed.
                new, fixed = text, 0
                refusal = (0, f"would be past what agentmerge reads once fixed: {error.message}")
            if fixed:
                mark, encoding = written_as(data)
                write_atomic(path, mark + new, encoding)
                plain = unix_endings(new)
                agent = parse_text(plain, path, _warnings=warnings)
        found = _file_findings(agent, plain.split("\n"), form, frozenset(codes))
    except AgentMergeError as error:
        return ("error", error.path, error.line, error.message)
    unfixed = refusal if refusal is not None and any(f.fixable for f in found) else None
    name = None
    if form is not None and form.name_pattern:
        named = agent.field("name")
        if named is not None and isinstance(named.value, str) and named.value.strip():
            name = (named.value.strip(), named.line)
    profile = None
    if library:
        from agentmerge.group import profile as make_profile

        made = make_profile(agent)
        family = (form.family or form.name) if form is not None else ""
        profile = (family, made.row())
    rows = tuple((f.path, f.line, f.column, f.code, f.message, f.fixable, f.related) for f in found)
    return ("ok", path, rows, fixed, name, profile, unfixed)


def check_paths(
    files: Sequence[str],
    selection: Selection,
    *,
    fix: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Check ``files`` (agent files, already found), fixing them with ``fix``; the library rules
    (AM3xx) run when there are two or more."""
    from agentmerge.library import map_work

    codes = selection.codes()
    library = len(files) > 1 and ("AM302" in codes)
    results = map_work(
        check_file, [(path, codes, fix, library) for path in files], jobs=jobs, progress=progress, what="checking"
    )
    findings: list[Finding] = []
    errors: list[AgentMergeError] = []
    fixed = 0
    notes: list[str] = []
    unfixed_paths: set[str] = set()
    named: list[tuple[str, str, int]] = []
    profiles: list[Any] = []
    for result in results:
        if result[0] == "error":
            errors.append(InputError(os.path.normpath(result[1]), result[2], result[3]))
            continue
        _, path, rows, count, name, profile, unfixed = result
        findings.extend(Finding(*row) for row in rows)
        if unfixed is not None:
            where = f"{os.path.normpath(path)}:{unfixed[0]}" if unfixed[0] else os.path.normpath(path)
            notes.append(f"{where}: not fixed: the file {unfixed[1]}")
            unfixed_paths.add(path)
        fixed += count
        if name is not None:
            named.append((os.path.normpath(path), name[0], name[1]))
        if profile is not None:
            profiles.append(profile)
    if "AM301" in codes:
        findings.extend(_duplicate_names(named))
    if library:
        findings.extend(_overlaps(profiles, notes))
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.code, f.message))
    return CheckResult(tuple(files), tuple(findings), tuple(errors), fixed, tuple(notes), frozenset(unfixed_paths))


def _duplicate_names(named: list[tuple[str, str, int]]) -> Iterator[Finding]:
    first: dict[str, tuple[str, int]] = {}
    for path, name, line in sorted(named):
        key = name.casefold()
        if key in first:
            other, other_line = first[key]
            yield _finding(
                path,
                line,
                "AM301",
                f"name {name!r} is also the name of {other}:{other_line}; the tool loads only one of them",
                related=((other, other_line),),
            )
        else:
            first[key] = (path, line)


def _overlaps(rows: list[Any], notes: list[str]) -> Iterator[Finding]:
    """AM302 over the library's profiles; a note in ``notes`` when pairs were left unmeasured."""
    from agentmerge.group import (
        MIN_SIMILARITY,
        Overlaps,
        candidate_pairs,
        copy_pairs,
        received,
        role_vectors,
        unmeasured_note,
    )
    from agentmerge.group import instruction_weights as weights_of

    ordered = sorted(rows, key=lambda row: row[1][0])
    families = [family for family, _ in ordered]
    pool: dict[str, str] = {}
    profiles = [received(row, pool) for _, row in ordered]
    if len(profiles) < 2:
        return
    vectors = role_vectors(profiles)
    overlaps = Overlaps(profiles, weights_of(profiles))
    pairs, _ = candidate_pairs(vectors, MIN_SIMILARITY)
    # Copies of one agent share their instructions whatever their descriptions say.
    asked = sorted({(i, j) for _, i, j in pairs} | {(i, j) for _, i, j in copy_pairs(profiles)})
    for i, j in asked:
        if families[i] != families[j]:
            continue  # one job for two tools (Format.family) is a port, not one agent too many
        share = overlaps.share(i, j)
        if share is not None and share >= OVERLAP_THRESHOLD:
            a, b = os.path.normpath(profiles[i].path), os.path.normpath(profiles[j].path)
            yield _finding(
                b,
                1,
                "AM302",
                f"shares {share:.0%} of its instructions with {a}; agentmerge consolidate "
                f"{command_argument(a)} {command_argument(b)} merges them",
                related=((a, 1),),
            )
    if overlaps.skipped:
        notes.append(f"AM302 {unmeasured_note(overlaps.skipped)}")


def command_argument(path: str) -> str:
    """``path`` as a shell command line names it for agentmerge: quoted when the shell would split
    or expand it, and with ``./`` before a name that would read as an option; standard input as
    ``-``, as it was given."""
    import shlex

    if path == STDIN:
        return "-"
    return shlex.quote(f"./{path}" if path.startswith("-") else path)


# --------------------------------------------------------------------------------------------
# Reports


def render_text(result: CheckResult) -> Iterator[str]:
    """One line per finding, ``path:line:col: CODE message`` (ruff's shape), then a summary. A
    path or a message quoting the file shows control characters and line breaks escaped."""
    from agentmerge.render import one_line

    for f in result.findings:
        yield one_line(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
    # Standard input cannot be fixed in place (``check --fix -`` is refused), nor can a file --fix
    # just left as it was: no hint for their findings.
    fixable = sum(1 for f in result.findings if f.fixable and f.path != STDIN and f.path not in result.unfixed)
    if result.findings:
        summary = f"Found {counted(len(result.findings), 'finding')}"
        if result.fixed:
            summary += f" ({result.fixed:,} fixed, {len(result.findings):,} remaining)"
        yield summary + "."
        if fixable:
            yield f"{fixable:,} fixable with agentmerge check --fix."
    elif result.fixed:
        yield f"Found {counted(result.fixed, 'finding')} ({result.fixed:,} fixed, 0 remaining)."
    elif result.errors:
        checked = len(result.files) - len(result.errors)
        yield f"No findings in {counted(checked, 'file')}; {len(result.errors):,} could not be checked."
    else:
        yield f"All checks passed ({counted(len(result.files), 'file')})."


def check_to_dict(result: CheckResult) -> dict[str, Any]:
    """The JSON report, version 1: every finding, counts per code, fixes and errors."""
    by_code: dict[str, int] = {}
    for f in result.findings:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    return {
        "version": 1,
        "files": len(result.files),
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "rule": RULE_BY_CODE[f.code].name,
                "message": f.message,
                "fixable": f.fixable,
                "related": [{"path": p, "line": n} for p, n in f.related],
            }
            for f in result.findings
        ],
        "summary": dict(sorted(by_code.items())),
        "fixed": result.fixed,
        "errors": [{"path": e.path, "line": e.line or None, "message": e.message} for e in result.errors],
    }


def render_github(result: CheckResult) -> Iterator[str]:
    """GitHub Actions workflow commands: one ``::error`` annotation per finding, on its file and line.
    The message shows control characters escaped (``render.visible``): the job log would play a
    file name's colour codes; the ``file`` property keeps the real name, which the annotation is on."""
    from agentmerge.render import visible

    for f in result.findings:
        properties = ",".join(
            f"{key}={escape_workflow_property(value)}"
            for key, value in (
                ("title", f"agentmerge ({f.code})"),
                ("file", f.path),
                ("line", str(f.line)),
                ("col", str(f.column)),
            )
        )
        message = visible(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
        yield f"::error {properties}::{escape_workflow_data(message)}"


def escape_workflow_data(text: str) -> str:
    """``text`` as the message of a GitHub Actions workflow command (``::error ...::text``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_workflow_property(text: str) -> str:
    """``text`` as a property value of a GitHub Actions workflow command (``file=``, ``title=``)."""
    return escape_workflow_data(text).replace(":", "%3A").replace(",", "%2C")


# --------------------------------------------------------------------------------------------
# fmt


@dataclass(frozen=True, slots=True)
class Formatted:
    """One file in the canonical form."""

    path: str
    """The file's path as given."""
    text: str
    """The canonical text."""
    changed: bool
    """Whether the canonical bytes differ from the file's."""
    notes: tuple[str, ...] = field(default=())
    """What the user should know (frontmatter that strict YAML rejected is now strict YAML)."""


def format_file(path: str, write: bool, diff: bool) -> tuple[Any, ...]:
    """Worker: one file in the canonical form (``format_bytes``), written in place with ``write``
    when it changes; the result as values that pickle: ("ok", changed, notes, shown) or ("error",
    path, line, message). ``shown`` is the unified diff of a change with ``diff``, the canonical
    text of standard input (``-``, never written: ``format_paths``) without ``write``, else None."""
    from agentmerge.filesystem import read_bytes, refuse_link_out, write_atomic

    try:
        data = read_bytes(path)
        formatted = format_bytes(data, STDIN if path == "-" else path)
        if write and formatted.changed:
            refuse_link_out(path)
            write_atomic(path, formatted.text)
    except AgentMergeError as error:
        return ("error", error.path, error.line, error.message)
    if diff:
        shown = unified_diff(data, formatted.text, STDIN if path == "-" else path) if formatted.changed else None
    else:
        shown = formatted.text if path == "-" and not write else None
    return ("ok", formatted.changed, formatted.notes, shown)


def format_paths(
    files: Sequence[str], *, write: bool, diff: bool, jobs: int | None = None, progress: Progress | None = None
) -> list[Any]:
    """``format_file`` of each of ``files``, in order, in worker processes when there are many
    (``library.map_work``); standard input is read here, as only this process has it."""
    from agentmerge.library import map_work

    arguments = [(path, write and path != "-", diff) for path in files]
    return map_work(format_file, arguments, jobs=1 if "-" in files else jobs, progress=progress, what="formatting")


def format_bytes(data: bytes, path: str) -> Formatted:
    """The canonical form of the file ``data`` (``writer.render_agent``), checked: parsing it gives
    the same model (``writer.same_model``) and writing that again gives the same bytes.

    Raises InputError when either does not hold, or when the file is not valid UTF-8 or holds NUL
    characters (``parse.rewrite_refusal``); the file must then be left as it is.
    """
    from agentmerge.writer import same_model

    text, warnings = decode(data, path)
    refusal = rewrite_refusal(warnings)
    if refusal is not None:
        raise InputError(path, refusal[0], f"{refusal[1]}; it was left as it was")
    agent = parse_text(text, path, _warnings=warnings)
    unclosed = next((w for w in agent.warnings if w.kind == "unclosed"), None)
    if unclosed is not None:
        # Written again, its opening "---" would go as a rule line and the keys read as prose:
        # the one-line mend (a closing "---") would no longer do.
        raise InputError(
            path, unclosed.line, "frontmatter opened with '---' is never closed (AM110); close it, then format"
        )
    kept = _frontmatter_as_written(text, agent)
    written = _canonical(agent, kept)
    notes: list[str] = []
    if kept is not None and written.encode("utf-8") != data:
        notes.append(
            f"{path}:{kept[1]}: frontmatter kept as written: it holds YAML {kept[2]}, which fmt would not keep"
        )
    broken = over_limit(written)
    if broken is not None:
        raise InputError(
            path, 0, f"its canonical form would be past what agentmerge reads, as {broken[1]}; it was left as it was"
        )
    again = parse_text(written, path)
    quotes = any(item.kind == "quote" for _, item in agent.items())
    if not same_model(agent, again) or (quotes and quote_shapes(text) != quote_shapes(written)):
        raise InputError(
            path, 0, "formatting would change what the file says; it was left as it was (please report it)"
        )
    if _canonical(again, _frontmatter_as_written(written, again)) != written:
        raise InputError(path, 0, "formatting is not stable for this file; it was left as it was (please report it)")
    if kept is None:
        notes.extend(
            f"{path}:{w.line}: frontmatter was not valid YAML; written as strict YAML with the values as read"
            for w in agent.warnings
            if w.kind == "invalid-yaml"
        )
    return Formatted(path, written, written.encode("utf-8") != data, tuple(notes))


def _canonical(agent: Agent, kept: tuple[str, int, str] | None) -> str:
    """``agent`` in the canonical form (``writer.render_agent``), its frontmatter block ``kept``
    as written when it is given (``_frontmatter_as_written``)."""
    from agentmerge.writer import render_agent

    if kept is None:
        return render_agent(agent)
    body = render_agent(replace(agent, fields=(), has_frontmatter=False))
    return kept[0] + ("\n" + body if body else "")


def _frontmatter_as_written(text: str, agent: Agent) -> tuple[str, int, str] | None:
    """The frontmatter block of ``text`` (its ``---`` lines included, line endings ``\n``), its
    first line and what it holds that the model does not (``parse.unkept_yaml``), when writing
    the fields again would lose it; None otherwise. Such a block is written as it is."""
    span = frontmatter_span(text) if agent.fields else None
    if span is None:
        return None
    lines = text.split("\n")[span[0] - 1 : span[1]]
    reason = unkept_yaml("\n".join(lines[1:-1]))
    if reason is None:
        return None
    return "\n".join(line.rstrip("\r") for line in lines) + "\n", span[0], reason


def unified_diff(old: bytes, new: str, path: str) -> str:
    """A unified diff of a file's text before and after formatting (``--diff``)."""
    from agentmerge.match import unified_diff as unified

    before = old.decode("utf-8", "replace").splitlines(keepends=True)
    after = new.splitlines(keepends=True)
    lines = unified(before, after, f"{path} (original)", f"{path} (formatted)")
    # A last line without a newline is marked as diff and patch mark it, or the patch is corrupt.
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


__all__ = [
    "RULES",
    "CheckResult",
    "Finding",
    "Formatted",
    "Rule",
    "Selection",
    "check_paths",
    "check_text",
    "format_bytes",
]
