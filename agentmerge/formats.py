"""Which files are agent files: the formats agentmerge reads, where they live, how they look.

One table for every command: ``review`` picks changed files by it, ``git install`` writes its
globs to ``.gitattributes``, ``consolidate``, ``group``, ``check`` and ``fmt`` walk folders by it,
and ``check`` holds each file to its format's frontmatter fields, taken from the tool's own
documentation (each table cites its page). Globs are gitignore-style and relative to the repository root: a
glob without ``/`` matches a file name in any directory (``AGENTS.md``, ``*.agent.md``); one with
``/`` matches from the root; ``**`` spans directories (git's attribute patterns read the same).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agentmerge.text import kebab_case

FieldType = Literal["string", "names", "list", "boolean", "integer", "mapping"]
"""How a frontmatter value may be written: a string; ``names``, a list of names written as a YAML
list or one string (``Read, Grep``, as ``fields.names`` reads it); a list; true or false; a whole
number; a mapping of keys."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One frontmatter key a format documents: whether it is required, its type, its values."""

    key: str
    """The key exactly as the tool spells it."""
    types: tuple[FieldType, ...]
    """The ways its value may be written (any one of them)."""
    required: bool = False
    """Whether the tool's documentation says a file must have it."""
    allowed: tuple[str, ...] = ()
    """The values the documentation lists; empty when any value of the type is accepted or the
    documentation lists none."""
    allowed_pattern: str = ""
    """A regular expression for further accepted values (Claude Code's full model IDs); empty for none."""

    def accepts(self, value: str) -> bool:
        """Whether ``value`` (stripped) is one the documentation lists, or any when it lists none
        (``check`` AM105)."""
        return (
            not self.allowed
            or value in self.allowed
            or bool(self.allowed_pattern and re.fullmatch(self.allowed_pattern, value))
        )


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of agent file: where it lives, how it is recognised, what its frontmatter holds."""

    name: str
    """A short stable name (``claude-code``, ``cursor-rule``)."""
    title: str
    """What its users call it: one thing, after "a" in messages ("a Cursor rule requires it")."""
    globs: tuple[str, ...]
    """Where files of this format live and how they are named."""
    content_keys: tuple[str, ...] = ()
    """Frontmatter keys that mark a Markdown file of this format wherever it lives; empty when
    only the globs do."""
    fields: tuple[FieldRule, ...] = ()
    """The frontmatter keys its documentation lists; empty when it documents none."""
    closed: bool = False
    """Whether the documentation lists every key the tool reads, so another key is a mistake
    (a misspelling the tool silently ignores)."""
    name_pattern: str = ""
    """The rule ``name`` must follow, as a regular expression; empty when the documentation gives none."""
    name_rule: str = ""
    """The same rule in words, for messages."""
    name_example: str = ""
    """A name that follows the rule, for messages."""
    body_limit: int = 0
    """Most characters the body (the prompt) may have; 0 when the documentation sets no limit."""
    source: str = ""
    """The documentation page the fields were taken from."""
    family: str = ""
    """The formats one tool reads as one kind of file share a family (a plugin's agents are Claude
    Code subagents); the format's own name when empty. Two files of one job are one too many only
    within a family: the same reviewer kept for Claude Code and for Copilot is a port (AM302)."""
    verbatim_keys: tuple[str, ...] = ()
    """Keys the tool reads as the rest of their line, as written, not as YAML: a quoted value keeps
    its quotes, and a value YAML rejects (``globs: **/*.ts``) is the tool's own form. agentmerge
    writes them unquoted and does not call that form invalid YAML."""

    @property
    def suffix(self) -> str:
        """The file name ending the tool reads files of this format by (``.mdc``, ``.agent.md``);
        ``.md`` when only the folder says it (``.claude/agents/``)."""
        for glob in self.globs:
            if glob.startswith("*.") and "/" not in glob:
                return glob[1:]
        return ".md"

    def read_by_name(self, path: str) -> str | None:
        """The name of the file at ``path`` when the tool reads it by that name alone (``AGENTS.md``,
        ``CLAUDE.md``: a glob of the format without wildcards); None otherwise."""
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        return name if any("*" not in g and g.rsplit("/", 1)[-1] == name for g in self.globs) else None

    def documents(self, key: str) -> bool:
        """Whether the tool's documentation lists frontmatter ``key`` (always, when it lists none)."""
        return not self.fields or any(rule.key == key for rule in self.fields)

    def requires(self, key: str) -> bool:
        """Whether the tool's documentation says a file must have frontmatter ``key`` (``check`` AM102)."""
        return any(rule.key == key and rule.required for rule in self.fields)

    def accepts_name(self, name: str) -> bool:
        """Whether ``name`` (stripped) follows the format's naming rule (``check`` AM106)."""
        return not self.name_pattern or re.fullmatch(self.name_pattern, name) is not None

    def counterpart(self, key: str) -> tuple[str, str] | None:
        """The key this format documents for what another tool's ``key`` holds, written in this
        tool's own shape (``SAME_PURPOSE_KEYS``: Claude Code's ``mcpServers`` for Copilot's
        ``mcp-servers``), with what both hold; None when it documents none."""
        other = SAME_PURPOSE_KEYS.get(key)
        return other if other is not None and self.fields and self.documents(other[0]) else None

    def name_for(self, name: str) -> str:
        """``name`` written by the format's naming rule: lower case, each run of other characters
        one hyphen ("Code Reviewer" as "code-reviewer"); ``name`` itself when it follows the rule
        already, and "" when nothing of it is left."""
        return name if self.accepts_name(name.strip()) else kebab_case(name)

    def accepts(self, key: str, value: object) -> bool:
        """Whether the tool takes text ``value`` for ``key`` by the values its documentation lists
        and its naming rule (``check`` AM105, AM106); other values, and keys it does not list,
        are not judged here (True)."""
        if not isinstance(value, str):
            return True
        text = value.strip()
        if key == "name" and not self.accepts_name(text):
            return False
        return all(rule.accepts(text) for rule in self.fields if rule.key == key)


# Claude Code subagents: https://code.claude.com/docs/en/sub-agents#supported-frontmatter-fields
# ("Supported frontmatter fields"). Only name and description are required; name uses lowercase
# letters and hyphens (the page says so; digits are allowed here because the /agents generator
# of Claude Code itself writes names such as "k8s-operator"). model takes an alias or a full
# model ID; color is one of the eight colours /agents offers. The page lists no values for
# effort, so any string passes. initialPrompt is the first user turn when the agent runs as the
# main session (`claude --agent`).
CLAUDE_MODEL_PATTERN = (
    r"(?:(?:[a-z]{2,4}\.)?anthropic\.)?claude-[a-z0-9.-]+(?:@\d{8})?(?:-v\d+(?::\d+)?)?(?:\[1m\])?"
    r"|arn:aws[a-z-]*:bedrock:\S+"
)
"""A full model name as Claude Code's ``--model`` takes it (the subagent page: "the same values as
the --model flag"; https://code.claude.com/docs/en/model-config): ``claude-sonnet-4-5-20250929``,
with ``[1m]`` for the long context window, a Bedrock model ID
(``us.anthropic.claude-sonnet-4-5-20250929-v1:0``) or ARN, a Vertex one
(``claude-opus-4-1@20250805``)."""

CLAUDE_CODE_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("name", ("string",), required=True),
    FieldRule("description", ("string",), required=True),
    FieldRule("tools", ("names",)),
    FieldRule("disallowedTools", ("names",)),
    FieldRule(
        "model",
        ("string",),
        # The aliases of model-config's table ("best", "fable" and "opus[1m]" are its latest), and
        # the subagent's own "inherit".
        allowed=(
            "sonnet",
            "opus",
            "haiku",
            "inherit",
            "default",
            "best",
            "fable",
            "opusplan",
            "sonnet[1m]",
            "opus[1m]",
        ),
        allowed_pattern=CLAUDE_MODEL_PATTERN,
    ),
    FieldRule(
        "permissionMode",
        ("string",),
        allowed=("default", "acceptEdits", "auto", "dontAsk", "bypassPermissions", "plan"),
    ),
    FieldRule("maxTurns", ("integer",)),
    FieldRule("skills", ("names",)),
    FieldRule("mcpServers", ("list", "mapping")),
    FieldRule("hooks", ("mapping",)),
    FieldRule("memory", ("string",), allowed=("user", "project", "local")),
    FieldRule("background", ("boolean",)),
    FieldRule("effort", ("string",)),
    FieldRule("isolation", ("string",), allowed=("worktree",)),
    FieldRule("initialPrompt", ("string",)),
    FieldRule("color", ("string",), allowed=("red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan")),
)
"""Claude Code's subagent frontmatter (the page above)."""

CLAUDE_NAME_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"

# Keys two tools give one purpose in shapes of their own. Copilot's `mcp-servers` and Claude
# Code's `mcpServers` both name the agent's MCP servers, each in its tool's server format
# (Copilot's `type: local`, its per-server `tools` list and `${{ secrets.NAME }}` values are
# not Claude Code's), so a merged agent does not carry one into the other: the note on the
# left-out key says which key the target keeps them under.
SAME_PURPOSE_KEYS: dict[str, tuple[str, str]] = {
    "mcp-servers": ("mcpServers", "MCP servers"),
    "mcpServers": ("mcp-servers", "MCP servers"),
}
"""For a key, the other tool's key with the same purpose and what both hold."""

# GitHub Copilot custom agents: https://docs.github.com/en/copilot/reference/custom-agents-configuration
# (description is the one required property; target is vscode or github-copilot; the prompt may
# hold at most 30,000 characters), with the keys VS Code adds:
# https://code.visualstudio.com/docs/agents/reference/custom-agent-file-reference (argument-hint,
# handoffs, agents, hooks; model may be a list of fallbacks). Neither page gives a rule for name
# (a display name) or lists model names.
COPILOT_AGENT_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("name", ("string",)),
    FieldRule("description", ("string",), required=True),
    FieldRule("target", ("string",), allowed=("vscode", "github-copilot")),
    FieldRule("tools", ("names",)),
    FieldRule("model", ("string", "list")),
    FieldRule("disable-model-invocation", ("boolean",)),
    FieldRule("user-invocable", ("boolean",)),
    FieldRule("infer", ("boolean",)),
    FieldRule("mcp-servers", ("mapping",)),
    FieldRule("metadata", ("mapping",)),
    FieldRule("argument-hint", ("string",)),
    FieldRule("handoffs", ("list",)),
    FieldRule("agents", ("names",)),
    FieldRule("hooks", ("mapping",)),
)
"""GitHub Copilot's and VS Code's custom agent frontmatter (the pages above)."""

# VS Code chat modes (*.chatmode.md), the earlier name of custom agents:
# https://code.visualstudio.com/docs/copilot/chat/chat-modes ("Custom agents were previously known
# as custom chat modes"). VS Code reads them as custom agents without GitHub's cloud-only keys;
# the page marks no key as required.
CHATMODE_FIELDS: tuple[FieldRule, ...] = tuple(
    FieldRule(f.key, f.types, allowed=f.allowed)
    for f in COPILOT_AGENT_FIELDS
    if f.key not in ("target", "infer", "mcp-servers", "metadata")
)
"""VS Code's chat mode frontmatter (the page above)."""

# Path-specific custom instructions (*.instructions.md):
# https://docs.github.com/en/copilot/how-tos/configure-custom-instructions/add-repository-instructions
# (applyTo: comma-separated globs; excludeAgent: code-review or coding-agent), with the name and
# description VS Code shows: https://code.visualstudio.com/docs/copilot/customization/custom-instructions.
# GitHub asks for applyTo, VS Code does not (such a file is attached by hand), so none is required.
INSTRUCTIONS_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("applyTo", ("string",)),
    FieldRule("excludeAgent", ("string",), allowed=("code-review", "coding-agent")),
    FieldRule("name", ("string",)),
    FieldRule("description", ("string",)),
)
"""Copilot's path-specific instruction frontmatter (the pages above)."""

# Prompt files (*.prompt.md): https://code.visualstudio.com/docs/copilot/customization/prompt-files
# (every key optional: description, name, argument-hint, agent, model, tools; agent is ask, edit,
# agent or the name of a custom agent, so any string passes). mode is the earlier name of agent.
PROMPT_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("description", ("string",)),
    FieldRule("name", ("string",)),
    FieldRule("argument-hint", ("string",)),
    FieldRule("agent", ("string",)),
    FieldRule("mode", ("string",)),
    FieldRule("model", ("string", "list")),
    FieldRule("tools", ("names",)),
)
"""VS Code's prompt file frontmatter (the page above)."""

# Cursor rules (*.mdc): https://cursor.com/docs/context/rules (description, globs and alwaysApply,
# all optional; globs is a comma-separated string or a list). Cursor reads `globs` as the rest of
# its line: `globs: **/*.ts` (which strict YAML rejects: a value may not start with `*`) matches,
# and a quoted `globs: "**/*.ts"` matches no file, the quotes being read as part of the pattern
# (tested in Cursor and reported in oven-sh/bun#24853, cosai-oasis/project-codeguard#121; the
# quoting fix of sanity-io/agent-toolkit#15 was withdrawn for that reason).
CURSOR_FIELDS: tuple[FieldRule, ...] = (
    FieldRule("description", ("string",)),
    FieldRule("globs", ("names",)),
    FieldRule("alwaysApply", ("boolean",)),
)
"""Cursor's rule frontmatter (the page above)."""


# Tool names. A GitHub Copilot custom agent reads each of its tool aliases and the names other
# tools give the same tools as one (https://docs.github.com/en/copilot/reference/custom-agents-configuration,
# "Tool aliases"; names it does not know are ignored), so a Claude Code tools list works in a
# Copilot agent as written. Claude Code reads only its own names
# (https://code.claude.com/docs/en/tools-reference; Task, the subagent tool, is now Agent), so in a
# Claude Code agent Copilot's `search` names no tool: what it stands for there is Grep and Glob.
TOOL_ALIASES: dict[str, tuple[str, ...]] = {
    "execute": ("shell", "Bash", "powershell"),
    "read": ("Read", "NotebookRead"),
    "edit": ("Edit", "MultiEdit", "Write", "NotebookEdit"),
    "search": ("Grep", "Glob"),
    "agent": ("custom-agent", "Task"),
    "web": ("WebSearch", "WebFetch"),
    "todo": ("TodoWrite",),
}
"""Copilot's tool aliases, each with the names it reads as that alias (the page above)."""

CLAUDE_CODE_TOOLS: dict[str, tuple[str, ...]] = {
    "execute": ("Bash",),
    "read": ("Read",),
    "edit": ("Edit", "Write", "NotebookEdit"),
    "search": ("Grep", "Glob"),
    "agent": ("Agent",),
    "web": ("WebSearch", "WebFetch"),
    "todo": ("TodoWrite",),
}
"""What Claude Code calls the tools of each Copilot alias (its tools reference, above)."""

_CLAUDE_CODE_NAMES = frozenset(
    {"Bash", "Read", "NotebookRead", "Edit", "MultiEdit", "Write", "NotebookEdit", "Grep", "Glob", "Task", "Agent"}
    | {"WebSearch", "WebFetch", "TodoWrite", "PowerShell"}
)
"""The names of the table that Claude Code reads as its own tools; Task, MultiEdit and NotebookRead,
which its tools reference no longer lists, among them, so a file written for an older version is
left as it is. PowerShell is Claude Code's own tool (on Windows, beside Bash), not Copilot's
``powershell`` alias of ``execute``."""


# VS Code names its built-in tools `set/tool` (https://code.visualstudio.com/docs/agents/reference/tools-reference,
# and the tool sets of the Copilot Chat extension's package.json, microsoft/vscode-copilot-chat),
# and reads a file written before it grouped them by the tool's old name: `codebase` is
# `search/codebase` ("Tool or toolset 'codebase' has been renamed, use 'search/codebase' instead",
# microsoft/vscode-docs#8950). Each tool declares its old names (`legacyToolReferenceFullNames`),
# and a tool answers to its name without the set. Each tool with what Claude Code calls the same
# tool; none where Claude Code has none.
VSCODE_TOOLS: dict[str, tuple[str, ...]] = {
    "read/readFile": ("Read",),
    "read/problems": (),
    "read/getNotebookSummary": (),
    "read/readNotebookCellOutput": (),
    "read/terminalLastCommand": (),
    "read/terminalSelection": (),
    "search/changes": (),
    "search/codebase": ("Grep", "Glob"),
    "search/fileSearch": ("Glob",),
    "search/listDirectory": ("Glob",),
    "search/textSearch": ("Grep",),
    "search/usages": (),
    "edit/createDirectory": (),
    "edit/createFile": ("Write",),
    "edit/editFiles": ("Edit",),
    "edit/editNotebook": ("NotebookEdit",),
    "search/searchResults": (),
    "edit/createJupyterNotebook": (),
    "execute/createAndRunTask": (),
    "execute/getTaskOutput": (),
    "execute/getTerminalOutput": (),
    "execute/runInTerminal": ("Bash",),
    "execute/runNotebookCell": (),
    "execute/runTask": (),
    "execute/runTests": (),
    "execute/testFailure": (),
    "web/fetch": ("WebFetch",),
    "web/githubRepo": (),
    "agent/runSubagent": ("Agent",),
    "todos": ("TodoWrite",),
    "githubTextSearch": (),
    "vscode/askQuestions": (),
    "vscode/extensions": (),
    "vscode/getProjectSetupInfo": (),
    "vscode/installExtension": (),
    "vscode/newWorkspace": (),
    "vscode/openSimpleBrowser": (),
    "vscode/runCommand": (),
    "vscode/vscodeAPI": (),
}
"""VS Code's built-in tools, with Claude Code's names for the same tools (the page above)."""

VSCODE_OLD_SETS: dict[str, tuple[str, ...]] = {
    "runCommands": (
        "execute/runInTerminal",
        "execute/getTerminalOutput",
        "read/terminalSelection",
        "read/terminalLastCommand",
    ),
    "runTasks": ("execute/runTask", "execute/getTaskOutput", "execute/createAndRunTask"),
    "runNotebooks": ("execute/runNotebookCell", "read/getNotebookSummary", "read/readNotebookCellOutput"),
    "new": ("vscode/newWorkspace", "vscode/getProjectSetupInfo", "vscode/installExtension", "vscode/runCommand"),
}
"""Tool sets VS Code has removed, each with the tools it held, named as now (their old names are
``set/tool`` in the tools' ``legacyToolReferenceFullNames``). VS Code reads the old set's name as
those tools, not as the set they joined: ``runCommands`` is four of ``execute``'s tools and two of
``read``'s, and ``execute`` holds more (tasks, tests). A name under one (``runCommands/x``) is its
tool ``x`` wherever the tool is now."""

VSCODE_OLD_NAMES = {
    "search/readFile": "read/readFile",
    "newJupyterNotebook": "edit/createJupyterNotebook",
    "runNotebooks/runCell": "execute/runNotebookCell",
    "new/runVscodeCommand": "vscode/runCommand",
}
"""Old names of VS Code tools that are not the tool's name now under another set (the rest of
their ``legacyToolReferenceFullNames``)."""

_VSCODE_BY_TOOL = {name.rsplit("/", 1)[-1].casefold(): name for name in VSCODE_TOOLS}
_VSCODE_SETS = frozenset({*VSCODE_OLD_SETS, *(name.split("/")[0] for name in VSCODE_TOOLS if "/" in name)})


def vscode_tool(name: str) -> str | None:
    """The name VS Code reads tool ``name`` as now (``search/codebase`` for ``codebase`` and
    for itself; ``read/terminalLastCommand`` for ``runCommands/terminalLastCommand``), or None
    for a name that is none of its built-in tools (a tool set, an MCP tool)."""
    if name in VSCODE_TOOLS:
        return name
    if name in VSCODE_OLD_NAMES:
        return VSCODE_OLD_NAMES[name]
    prefix, slash, tool = name.rpartition("/")
    if slash and prefix not in _VSCODE_SETS:
        return None
    return _VSCODE_BY_TOOL.get(tool.casefold())


def _alias_of(name: str) -> str | None:
    """The Copilot alias whose row of ``TOOL_ALIASES`` holds ``name`` (in any case), or None."""
    folded = name.casefold()
    for alias, others in TOOL_ALIASES.items():
        if folded == alias or any(folded == other.casefold() for other in others):
            return alias
    return None


# GitHub Copilot names an MCP server's tool `server/tool` and every tool of the server `server/*`
# (the custom agents page above); Claude Code names it `mcp__server__tool` and every tool of the
# server `mcp__server`, in a subagent's tools as in permission rules
# (https://code.claude.com/docs/en/mcp). A server name is letters, digits, `_` and `-`: a name
# with a dot before the slash is a VS Code extension's tool (`publisher.extension/tool`).
MCP_TOOL = re.compile(r"([A-Za-z0-9_-]+)/([A-Za-z0-9_.-]+|\*)")
"""A Copilot name of an MCP server's tool (``github/get_issue``) or of all its tools (``github/*``)."""

CLAUDE_MCP_TOOL = re.compile(r"mcp__([A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*)(?:__(\*|[A-Za-z0-9_.-]+))?")
"""Claude Code's name of an MCP server's tool (``mcp__github__get_issue``) or of all its tools
(``mcp__github``, ``mcp__github__*``); the server name holds no ``__``."""


def copilot_mcp_name(name: str) -> str | None:
    """What GitHub Copilot and VS Code call the MCP tool that Claude Code calls ``name``
    (``mcp__github__get_issue``: ``github/get_issue``; ``mcp__github``: ``github/*``); None for
    any other name. A Copilot agent reads Claude Code's names of built-in tools as its aliases
    (``TOOL_ALIASES``), but MCP tools only by its own ``server/tool``."""
    found = CLAUDE_MCP_TOOL.fullmatch(name)
    return None if found is None else f"{found[1]}/{found[2] or '*'}"


def whole_server(name: str) -> bool:
    """Whether ``name`` stands for every tool of an MCP server (``github/*``, ``mcp__github``)."""
    if MCP_TOOL.fullmatch(name):
        return name.endswith("/*")
    found = CLAUDE_MCP_TOOL.fullmatch(name)
    return found is not None and found[2] in (None, "*")


def claude_code_tools(name: str) -> tuple[str, ...] | None:
    """What Claude Code calls the tools that ``name``, another tool's name for them, stands for
    (Copilot's ``search``: Grep and Glob; ``bash``: Bash; VS Code's ``edit/editFiles``: Edit;
    Copilot's ``github/*``, every tool of an MCP server: ``mcp__github``, ``MCP_TOOL``); empty for
    a VS Code tool Claude Code has no counterpart of (``read/problems``); None for a name Claude
    Code reads as it is, and for a name no table holds (``Bash(git:*)``)."""
    if name in _CLAUDE_CODE_NAMES:
        return None
    alias = _alias_of(name)
    if alias is not None:
        return CLAUDE_CODE_TOOLS[alias]
    if name in VSCODE_OLD_SETS:
        return tuple(dict.fromkeys(c for tool in VSCODE_OLD_SETS[name] for c in VSCODE_TOOLS[tool]))
    tool = vscode_tool(name)
    if tool is not None:
        return VSCODE_TOOLS[tool]
    mcp = MCP_TOOL.fullmatch(name)
    if mcp is None or mcp[1] in _VSCODE_SETS:
        return None
    return (f"mcp__{mcp[1]}",) if mcp[2] == "*" else (f"mcp__{mcp[1]}__{mcp[2]}",)


def copilot_tool(name: str) -> str:
    """What a GitHub Copilot custom agent reads tool ``name`` as: its alias (``Grep`` and
    ``Glob`` are both ``search``), a VS Code tool's name now (``codebase`` is
    ``search/codebase``), or the name itself when neither table holds it."""
    return _alias_of(name) or vscode_tool(name) or name


def vscode_reading(name: str) -> str:
    """What VS Code reads tool ``name`` as in a prompt file or chat mode: a tool's name now for
    its name before (``vscode_tool``), else ``name`` (a removed tool set, ``runCommands``, stands
    for several tools, and is compared as written)."""
    return vscode_tool(name) or name


_VSCODE_FILES = frozenset({"copilot-agent", "copilot-chatmode", "copilot-prompt"})


def copilot_tools(name: str) -> tuple[str, ...]:
    """What a GitHub Copilot custom agent reads ``name`` as: ``copilot_tool``, or the tools of a
    tool set VS Code has removed (``runCommands``), each as it reads them."""
    return VSCODE_OLD_SETS.get(name) or (copilot_tool(name),)


def vscode_tools(name: str) -> tuple[str, ...]:
    """What VS Code reads ``name`` as in a prompt file or chat mode: ``vscode_reading``, or the
    tools of a tool set it has removed (``runCommands``)."""
    return VSCODE_OLD_SETS.get(name) or (vscode_reading(name),)


def tool_reading(paths: Sequence[str]) -> Callable[[str], tuple[str, ...]] | None:
    """How the files at ``paths`` all read a tool name when their tool takes other names for its
    tools: ``copilot_tools`` for GitHub Copilot custom agents (Claude Code's names, VS Code's old
    ones), ``vscode_tools`` when some are VS Code prompt files or chat modes; None when one of
    them is neither, and names are read as written."""
    forms = {form.name if form is not None else None for form in map(detect_format, paths)}
    if forms == {"copilot-agent"}:
        return copilot_tools
    return vscode_tools if forms and forms <= _VSCODE_FILES else None


def port_reading(paths: Sequence[str]) -> Callable[[str], tuple[str, ...]] | None:
    """How ``diff`` reads the tool names of the files at ``paths``: as their tool does
    (``tool_reading``); or, when they are a GitHub Copilot custom agent and Claude Code agents (one
    agent ported from one tool to the other), as Copilot reads them all, Claude Code's MCP names
    as Copilot's (``ported_tools``), so that the port's ``Read`` and ``read``, ``mcp__db`` and
    ``db/*`` are one tool; None when names are read as written."""
    reading = tool_reading(paths)
    if reading is not None:
        return reading
    forms = [detect_format(path) for path in paths]
    copilot = [form is not None and form.name == "copilot-agent" for form in forms]
    claude = [form is not None and uses_claude_code_tools(form) for form in forms]
    return ported_tools if any(copilot) and all(a or b for a, b in zip(copilot, claude, strict=True)) else None


def ported_tools(name: str) -> tuple[str, ...]:
    """What a GitHub Copilot custom agent would read ``name`` as, were it written there: its own
    reading (``copilot_tools``) of ``name``, or of Copilot's name for a Claude Code MCP tool
    (``copilot_mcp_name``)."""
    return copilot_tools(copilot_mcp_name(name) or name)


def merged_tool_reading(paths: Sequence[str], target: str | None) -> Callable[[str], tuple[str, ...]] | None:
    """How the agent merged from the files at ``paths`` reads a tool name: as its format does
    (``tool_reading``) when it is written for one (``target``), or, without a target, as every
    input's format does; None when names are read as written."""
    if target is None:
        return tool_reading(paths)
    if target == "copilot-agent":
        return copilot_tools
    return vscode_tools if target in _VSCODE_FILES else None


def uses_vscode_tools(form: Format) -> bool:
    """Whether ``form``'s tool lists are read by VS Code, which tells a tool's old name to be
    written as its name now (``renamed_tool``)."""
    return form.name in _VSCODE_FILES


def renamed_tool(name: str) -> str | None:
    """The name VS Code gives tool ``name`` now when ``name`` is a name it has since renamed
    (``search/codebase`` for ``codebase``); None for a name it reads as it is, a Copilot alias
    (``search``), a name that differs only in case, and a removed tool set (``removed_set``)."""
    if _alias_of(name) is not None:
        return None
    now = vscode_reading(name)
    return None if now.casefold() == name.casefold() else now


def removed_set(name: str) -> tuple[str, ...] | None:
    """The tools, named as now, of ``name`` when it is a tool set VS Code has removed
    (``VSCODE_OLD_SETS``: ``runCommands``); None for any other name."""
    return VSCODE_OLD_SETS.get(name)


def uses_claude_code_tools(form: Format) -> bool:
    """Whether ``form``'s tool lists name Claude Code's tools, where another tool's names mean nothing."""
    return (form.family or form.name) == "claude-code"


def vscode_names_now(name: str) -> tuple[str, ...] | None:
    """What VS Code calls tool ``name`` now when it has renamed it (``renamed_tool``: one name) or
    removed the tool set it names (``removed_set``: the set's tools); None for a name it reads as
    written. ``check`` AM115 and its fix, and ``consolidate --for``, write these."""
    renamed = renamed_tool(name)
    return (renamed,) if renamed is not None else removed_set(name)


def tool_names_in(form: Format, name: str) -> tuple[str, ...]:
    """The names ``form``'s tool lists give the tools that ``name`` stands for: Claude Code's for
    another tool's name (``claude_code_tools``); in a file VS Code reads, Copilot's name of a
    Claude Code MCP tool (``copilot_mcp_name``) or VS Code's names now (``vscode_names_now``);
    else ``name`` itself."""
    if uses_claude_code_tools(form):
        return claude_code_tools(name) or (name,)
    if uses_vscode_tools(form):
        mcp = copilot_mcp_name(name)
        return (mcp,) if mcp is not None else vscode_names_now(name) or (name,)
    return (name,)


FORMATS: tuple[Format, ...] = (
    Format(
        "copilot-instructions",
        "GitHub Copilot path-specific instructions file",
        ("*.instructions.md",),
        fields=INSTRUCTIONS_FIELDS,
        closed=True,
        source="https://docs.github.com/en/copilot/how-tos/configure-custom-instructions/add-repository-instructions",
    ),
    Format(
        "copilot-prompt",
        "VS Code prompt file",
        ("*.prompt.md",),
        fields=PROMPT_FIELDS,
        closed=True,
        source="https://code.visualstudio.com/docs/copilot/customization/prompt-files",
    ),
    Format(
        "copilot-chatmode",
        "GitHub Copilot chat mode",
        ("*.chatmode.md",),
        fields=CHATMODE_FIELDS,
        closed=True,
        source="https://code.visualstudio.com/docs/copilot/chat/chat-modes",
    ),
    Format(
        "copilot-agent",
        "GitHub Copilot custom agent",
        ("*.agent.md", ".github/agents/**/*.md"),
        fields=COPILOT_AGENT_FIELDS,
        closed=True,
        body_limit=30_000,
        source="https://docs.github.com/en/copilot/reference/custom-agents-configuration",
    ),
    # .mdc is Cursor's own extension, so a rule is recognised by it wherever it lives (Cursor
    # reads them from .cursor/rules/; collections keep them elsewhere).
    Format(
        "cursor-rule",
        "Cursor rule",
        ("*.mdc",),
        fields=CURSOR_FIELDS,
        closed=True,
        source="https://cursor.com/docs/context/rules",
        verbatim_keys=("globs",),
    ),
    # Plain instruction files are Markdown that the tool reads whole; none of their pages
    # (https://agents.md, https://code.claude.com/docs/en/memory,
    # https://github.com/google-gemini/gemini-cli/blob/main/docs/cli/gemini-md.md,
    # https://docs.github.com/en/copilot/how-tos/configure-custom-instructions/add-repository-instructions,
    # https://cursor.com/docs/context/rules for the legacy .cursorrules) documents frontmatter, so
    # none is checked.
    Format(
        "instructions",
        "plain instruction file",
        ("AGENTS.md", "CLAUDE.md", "GEMINI.md", ".github/copilot-instructions.md", ".cursorrules"),
    ),
    Format(
        "claude-code",
        "Claude Code subagent",
        (".claude/agents/**/*.md",),
        # Documentation pages often carry a description alone; subagents and skills have both.
        content_keys=("name", "description"),
        fields=CLAUDE_CODE_FIELDS,
        closed=True,
        name_pattern=CLAUDE_NAME_PATTERN,
        name_rule="lowercase letters, digits and hyphens",
        name_example="code-reviewer",
        source="https://code.claude.com/docs/en/sub-agents#supported-frontmatter-fields",
    ),
    # Plugins keep their subagents in an agents/ folder, in Claude Code's format.
    Format(
        "agents-folder",
        "Claude Code plugin agent",
        ("**/agents/**/*.md",),
        fields=CLAUDE_CODE_FIELDS,
        closed=True,
        name_pattern=CLAUDE_NAME_PATTERN,
        name_rule="lowercase letters, digits and hyphens",
        name_example="code-reviewer",
        source="https://code.claude.com/docs/en/plugins-reference#agents",
        family="claude-code",
    ),
)
"""The formats agentmerge recognises, most specific first: a file takes the first format whose
globs match it (``format_of``), so ``.github/agents/x.md`` is a Copilot agent, not a plugin's."""

BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
"""Each format by its stable name."""

TARGETS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.fields and not f.family)
"""The formats ``consolidate --for`` writes: each tool's kind of file whose keys are documented (a
plugin's agent is written as a Claude Code subagent)."""

DEFAULT_AGENT_GLOBS: tuple[str, ...] = tuple(glob for f in FORMATS for glob in f.globs)
"""Every format's globs, in table order: the files ``review`` looks at unless configured otherwise."""

CONTENT_SUFFIXES: tuple[str, ...] = (".md", ".mdc", ".markdown")
"""File name endings whose content is checked for agent frontmatter when no glob matches."""

NOT_AGENT_NAMES: frozenset[str] = frozenset({"skill.md"})
"""File names (case-folded) that are no agent whatever their frontmatter: a skill's ``SKILL.md``
(Claude Code, GitHub Copilot and VS Code read skills from ``.claude/skills/NAME/SKILL.md`` and
the like) has ``name`` and ``description`` too, and other fields (``allowed-tools``, ``license``:
https://code.claude.com/docs/en/skills)."""


def content_may_tell(path: str) -> bool:
    """Whether the content of the file at ``path`` may make it an agent file when no glob does:
    a Markdown ending (CONTENT_SUFFIXES), and not a name of NOT_AGENT_NAMES."""
    lower = path.lower()
    return lower.endswith(CONTENT_SUFFIXES) and lower.rsplit("/", 1)[-1] not in NOT_AGENT_NAMES


CONTENT_SAMPLE = 65536
"""How many leading bytes of a file a folder scan reads first to find its agent frontmatter; a
frontmatter they open and do not close is read on (``unclosed_frontmatter``)."""


FOLDERS = "**/"
"""A glob part: zero or more whole folders (``**/`` where a segment starts, and a glob without
``/``, which matches a file name in any folder)."""

REST = "/**"
"""A glob part: everything inside a folder (a trailing ``/**``, or a trailing ``/``)."""


@functools.lru_cache(maxsize=256)
def glob_parts(pattern: str) -> tuple[str | re.Pattern[str], ...]:
    """A gitignore-style glob as parts over a root-relative path's ``/``-separated segments:
    FOLDERS, REST, or a pattern one whole segment must match (``segment_regex``).

    A glob without ``/`` (other than a trailing one) matches a file name in any folder; otherwise
    it matches from the root. ``**/`` spans zero or more folders, a trailing ``/**`` everything
    inside, ``*`` and ``?`` stay within one segment (``**`` inside a segment is ``*``). Every
    command reads a glob through these parts: ``matches_any`` walks them, ``glob_regex`` writes
    them as one regular expression. A class no regular expression holds (``[z-a]``) raises
    ``re.error``."""
    glob = pattern.strip()
    anchored = "/" in glob.rstrip("/")
    glob = glob.lstrip("/")
    if glob.endswith("/"):
        glob += "**"
    segments = glob.split("/")
    parts: list[str | re.Pattern[str]] = [] if anchored else [FOLDERS]
    for n, segment in enumerate(segments):
        if segment == "**" and len(segments) > 1:
            parts.append(FOLDERS if n < len(segments) - 1 else REST)
        else:
            parts.append(re.compile(segment_regex(segment)))
    return tuple(parts)


_GROUPS = itertools.count()
"""Numbers for the named groups ``segment_regex`` writes (unique in any joined expression)."""


def segment_regex(segment: str) -> str:
    """A regular expression for the glob ``segment`` (no ``/`` in it) that never backtracks much.

    Between two ``*``, the text is matched once, where it first fits, and never tried again
    (a look-ahead and a back-reference, as Python's ``fnmatch`` writes it): ``*a*a*a*a*c*b``
    against a long name of ``a``s is one pass, where the plain ``[^/]*a[^/]*a...`` took minutes.
    The earliest fit is always right, since what stands between two stars has a fixed length."""
    pieces: list[str | None] = []  # None: a star (a run of them is one)
    i = 0
    while i < len(segment):
        if segment[i] == "*":
            if not pieces or pieces[-1] is not None:
                pieces.append(None)
            i += 1
            continue
        piece, i = _glob_piece(segment, i)
        pieces.append(piece)
    out: list[str] = []
    i = 0
    while i < len(pieces) and pieces[i] is not None:
        out.append(str(pieces[i]))
        i += 1
    while i < len(pieces):
        i += 1  # a star
        fixed: list[str] = []
        while i < len(pieces) and pieces[i] is not None:
            fixed.append(str(pieces[i]))
            i += 1
        if i == len(pieces):
            out.append("[^/]*" + "".join(fixed))
        else:
            group = f"g{next(_GROUPS)}"
            out.append(f"(?=(?P<{group}>[^/]*?{''.join(fixed)}))(?P={group})")
    return "".join(out)


def _glob_piece(glob: str, i: int) -> tuple[str, int]:
    """The regular expression for the glob syntax at ``glob[i]`` (no star), and the index after it."""
    if glob[i] == "?":
        return "[^/]", i + 1
    if glob[i] == "[":
        start = i + 2 if glob.startswith(("!", "^"), i + 1) else i + 1
        # A "]" first in the class is one of its characters, as in git.
        close = glob.find("]", start + 1)
        if close != -1:
            # A negated class does not match "/" either, as no wildcard does.
            return ("[^/" if start > i + 1 else "[") + _class_body(glob[start:close]) + "]", close + 1
    if glob[i] == "\\" and i + 1 < len(glob):
        return re.escape(glob[i + 1]), i + 2
    return re.escape(glob[i]), i + 1


def _class_body(chars: str) -> str:
    """A glob's class body as a regular expression's: a backslash, "[", "]", "^", "&", "~" and "|"
    are plain characters in a glob, which a regular expression reads as escapes, nested sets,
    negation and set operations; a "-" first, last or after another "-" is one too (a range is
    ``a-z``)."""
    out = []
    for n, char in enumerate(chars):
        plain = char in "\\[]^&~|" or (char == "-" and (n in (0, len(chars) - 1) or chars[n - 1] == "-"))
        out.append("\\" + char if plain else char)
    return "".join(out)


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """The glob ``pattern`` (``glob_parts``) as one regular expression over root-relative paths,
    for tools that take a pattern (pre-commit's ``files:``); ``matches_any`` is the same test."""
    parts = glob_parts(pattern)
    out = []
    for n, part in enumerate(parts):
        if part is FOLDERS:
            out.append("(?:.*/)?")
        elif part is REST:
            out.append(".*")
        else:
            assert isinstance(part, re.Pattern)
            out.append(part.pattern + ("/" if n < len(parts) - 1 else ""))
    return re.compile("".join(out) + r"\Z")


def files_regex(globs: Sequence[str] = DEFAULT_AGENT_GLOBS) -> str:
    """One regular expression that a root-relative path matches (``re.search``) exactly when it
    matches one of ``globs``: the ``files:`` pattern of the pre-commit hooks."""
    return "^(?:" + "|".join(glob_regex(g).pattern for g in globs) + ")"


def matches_any(path: str, globs: Sequence[str]) -> bool:
    """Whether the root-relative ``path`` matches one of the gitignore-style ``globs``.

    A glob is read (``glob_parts``) only for a path that ends as every path it matches ends
    (``literal_end``), and matched segment by segment, in time that grows with the segments times
    the glob's parts: a glob from a reviewed checkout's settings cannot make it run for minutes."""
    return any(path.endswith(literal_end(g)) and _match_parts(glob_parts(g), path.split("/")) for g in globs)


def _match_parts(parts: Sequence[str | re.Pattern[str]], segments: Sequence[str]) -> bool:
    """Whether ``segments`` match ``parts`` (``glob_parts``): every way at once, one segment at a time."""
    states = _after_folders(parts, {0})
    for segment in segments:
        following: set[int] = set()
        for k in states:
            if k == len(parts):
                continue
            part = parts[k]
            if part is FOLDERS:
                following.add(k)  # one more folder
            elif part is REST:
                following.update((k, k + 1))  # one more segment inside; the path may end here
            elif isinstance(part, re.Pattern) and part.fullmatch(segment):
                following.add(k + 1)
        if not following:
            return False
        states = _after_folders(parts, following)
    return len(parts) in states


def _after_folders(parts: Sequence[str | re.Pattern[str]], states: set[int]) -> set[int]:
    """``states`` and every part a run of FOLDERS (zero folders each) leads on to."""
    out = set(states)
    for k in sorted(states):
        while k < len(parts) and parts[k] is FOLDERS:
            k += 1
            out.add(k)
    return out


@functools.lru_cache(maxsize=256)
def literal_end(pattern: str) -> str:
    """The text every path the glob ``pattern`` matches ends with: what follows its last
    character that may be special (``*``, ``?``, ``[``, ``]``, ``\\``); empty for a folder's glob."""
    glob = pattern.strip().lstrip("/")
    if glob.endswith("/"):
        return ""
    return glob[max(glob.rfind(c) for c in "*?[]\\") + 1 :]


def format_of(path: str) -> Format | None:
    """The format whose globs match the root-relative ``path`` first, or None."""
    return next((f for f in FORMATS if matches_any(path, f.globs)), None)


def verbatim_keys(paths: Sequence[str]) -> tuple[str, ...]:
    """The keys the formats of all the files at ``paths`` read as the rest of their line
    (``Format.verbatim_keys``: a Cursor rule's ``globs``); empty when one has no format (standard
    input has none).

    Asked only when such a key may matter (a frontmatter strict YAML rejects, a value the writer
    would quote or a list it writes, a value whose quoting alone changed in a diff or a merge): a
    path that no format with such keys matches is answered without matching it against every
    format's globs.
    """
    keys: set[str] | None = None
    for path in paths:
        tails = path_tails(path)
        found = None
        if any(matches_any(tail, f.globs) for f in FORMATS if f.verbatim_keys for tail in tails):
            found = detect_format(path)
        own = set(found.verbatim_keys) if found is not None else set()
        keys = own if keys is None else keys & own
    return tuple(sorted(keys or ()))


def path_tails(path: str) -> list[str]:
    """The path from every folder above it up to its repository's root (the nearest folder
    holding ``.git``; every folder when there is none): ``a/b/c.md``, ``b/c.md``, ``c.md``
    (``/``-separated), so that a file is matched against root-relative globs wherever its
    repository root is, and folders above the root (a checkout kept under ``~/agents/``) make no
    Markdown file an agent."""
    import os

    absolute = os.path.abspath(path)
    parts = absolute.split(os.sep)[1:]
    root = _repository_root(os.path.dirname(absolute))
    first = len(root.split(os.sep)) - 1 if root is not None and root != os.sep else 0
    return ["/".join(parts[start:]) for start in range(first, len(parts))]


@functools.lru_cache(maxsize=4096)
def _repository_root(folder: str) -> str | None:
    """The nearest folder at or above the absolute ``folder`` that holds ``.git``; None for none.
    Cached by folder: a library's files share few."""
    import os

    if os.path.exists(os.path.join(folder, ".git")):
        return folder
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository_root(parent)


def detect_format(path: str, data: bytes | None = None) -> Format | None:
    """The format of the file at ``path`` (as given): the first format whose globs match it read
    from any folder above it, else, for a Markdown file whose frontmatter holds a format's content
    keys (``looks_like_agent``), that format; None when neither tells."""
    tails = path_tails(path) if path != "-" else []
    for found in FORMATS:
        if any(matches_any(tail, found.globs) for tail in tails):
            return found
    if data is None or not (path == "-" or content_may_tell(path)):
        return None
    block = _FRONTMATTER_RE.match(data)
    if block is None:
        return None
    return next(
        (f for f in FORMATS if f.content_keys and all(_key_regex(k).search(block.group(1)) for k in f.content_keys)),
        None,
    )


_FRONTMATTER_OPENING = rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n"
"""The line a frontmatter opens with, a byte order mark before it allowed."""

_FRONTMATTER_OPENING_RE = re.compile(_FRONTMATTER_OPENING)
_FRONTMATTER_RE = re.compile(_FRONTMATTER_OPENING + rb"(.*?)^(?:---|\.\.\.)[ \t]*\r?$", re.DOTALL | re.MULTILINE)


@functools.lru_cache(maxsize=16)
def _key_regex(key: str) -> re.Pattern[bytes]:
    return re.compile(rb"^" + re.escape(key.encode()) + rb"[ \t]*:", re.MULTILINE)


def looks_like_agent(data: bytes) -> bool:
    """Whether ``data`` opens with YAML frontmatter holding every content key of some format
    (``name`` and ``description`` for a Claude Code subagent). Files named like agents need none.

    ``data`` is as much of the file as the reader takes: a frontmatter of 64 KiB of characters
    may take more bytes than the first CONTENT_SAMPLE (``unclosed_frontmatter``)."""
    found = _FRONTMATTER_RE.match(data)
    if found is None:
        return False
    block = found.group(1)
    return any(f.content_keys and all(_key_regex(key).search(block) for key in f.content_keys) for f in FORMATS)


def unclosed_frontmatter(data: bytes) -> bool:
    """Whether ``data`` opens a frontmatter that it does not close: the first bytes of a file whose
    frontmatter goes on past them."""
    return _FRONTMATTER_OPENING_RE.match(data) is not None and _FRONTMATTER_RE.match(data) is None


def agent_by_path(
    paths: Iterable[str | None],
    *,
    globs: Sequence[str] = DEFAULT_AGENT_GLOBS,
    exclude: Sequence[str] = (),
    by_content: bool = True,
) -> bool | None:
    """Whether a file is an agent file by its paths (old and new side) alone: False when one is
    excluded, True when one matches ``globs``; else None when its content may tell (``by_content``
    and a Markdown ending: ``agent_by_content``), False when it cannot."""
    known = [path for path in paths if path]
    if any(matches_any(path, exclude) for path in known):
        return False
    if any(matches_any(path, globs) for path in known):
        return True
    if by_content and any(content_may_tell(path) for path in known):
        return None
    return False


def agent_by_content(sides: Iterable[tuple[str | None, bytes | None]]) -> bool:
    """Whether a side (path, bytes) is a Markdown file whose frontmatter looks like an agent's:
    what decides a file ``agent_by_path`` leaves open."""
    return any(
        path is not None and content_may_tell(path) and data is not None and looks_like_agent(data)
        for path, data in sides
    )
