"""agentmerge: understand, review and consolidate AI agent definitions.

The public Python API, one call per job (``docs/api.md`` shows them at work)::

    from agentmerge import parse_file, diff_agents, consolidate, write_agent

    old, new = parse_file("old.md"), parse_file("new.md")
    result = diff_agents(old, new)              # DiffResult: .changes, .frontmatter, .identical
    merged = consolidate([old, new])            # Consolidation: .agent, .fields, .body, .conflicts
    text = write_agent(merged.agent)            # the canonical agent file

Reports come from ``diff_report`` and ``consolidation_report`` (JSON-ready dicts, the CLI's
``--format json``) and ``render_diff`` (text or Markdown). Bad input raises ``AgentMergeError``
(``InputError`` for a file that cannot be read) carrying ``path``, ``line`` and ``message``.

Everything beyond the parser loads on first use, so importing agentmerge stays cheap.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.model import Agent, Diagnostic, Example, Field, Item, Section
from agentmerge.parse import parse_bytes, parse_text, read_agent

if TYPE_CHECKING:
    from agentmerge.consolidate import Consolidation
    from agentmerge.diff import DiffResult
    from agentmerge.group import Grouping

__all__ = [
    "Agent",
    "AgentMergeError",
    "Diagnostic",
    "Example",
    "Field",
    "InputError",
    "Item",
    "OutputError",
    "Section",
    "consolidate",
    "consolidation_report",
    "diff_agents",
    "diff_files",
    "diff_report",
    "group_agents",
    "grouping_report",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "read_agent",
    "render_diff",
    "write_agent",
    "write_consolidation",
]

__version__ = "0.1.0"


def parse_file(path: str | Path) -> Agent:
    """Read and parse the agent file at ``path`` (``-`` is standard input)."""
    return read_agent(path)


def diff_agents(old: Agent, new: Agent, *, threshold: float | None = None) -> DiffResult:
    """The semantic differences between two agents (``threshold``: least similarity, 0 to 1, at
    which an edited item is one reworded instruction; default 0.6)."""
    from agentmerge.diff import diff_agents as run

    return run(old, new, threshold=threshold)


def diff_files(old: str | Path, new: str | Path, *, threshold: float | None = None) -> DiffResult:
    """Read two agent files and return their semantic differences."""
    return diff_agents(read_agent(old), read_agent(new), threshold=threshold)


def consolidate(
    agents: Sequence[Agent],
    *,
    threshold: float | None = None,
    prefer: str | None = None,
    target: str | None = None,
    file_name: str | None = None,
) -> Consolidation:
    """Merge variants of one agent into one, with the provenance of every unit.

    ``threshold`` (0 to 1, default the shipped model's) is the least score at which two items are one
    instruction; ``prefer`` names the input (by path) whose wording wins when it has one;
    ``target`` (``formats.TARGETS``: ``claude-code``, ``cursor-rule``, ...) writes the agent for
    that tool, the keys it does not document listed in ``left_out`` instead and tool names it
    calls otherwise written its way (``renamed``: Copilot's ``search`` as Claude Code's Grep and
    Glob). ``file_name`` is the name of the file the agent is to be written to, without its
    ending, as ``consolidate -o`` passes it: the inputs' names tied, the one it is wins; and a
    target that requires a ``name`` no input gives gets it, by that tool's naming rule
    (``named_after``). The result's ``agent`` is the model the written file (``write_agent``)
    reads back as.
    """
    from dataclasses import replace

    from agentmerge.consolidate import consolidate as run
    from agentmerge.writer import settle

    result = run(agents, threshold=threshold, prefer=prefer, target=target, file_name=file_name)
    return replace(result, agent=settle(result.agent))


def write_agent(agent: Agent) -> str:
    """The canonical agent file of ``agent``: strict YAML frontmatter, normalised Markdown."""
    from agentmerge.writer import render_agent

    return render_agent(agent)


def write_consolidation(result: Consolidation, *, annotate: bool = False, output: str | None = None) -> str:
    """The merged agent file; ``annotate`` adds ``<!-- file:line -->`` provenance comments.
    ``output`` is the path it is written to, when known: its format says how a key is written
    that one tool reads unquoted (a Cursor rule's ``globs`` only in a ``.mdc``), as ``consolidate
    -o`` writes it."""
    from agentmerge.writer import render_consolidation

    return render_consolidation(result, annotate=annotate, output=output)


def diff_report(result: DiffResult) -> dict[str, Any]:
    """``result`` as the JSON of ``agentmerge diff --format json`` (version 1)."""
    from agentmerge.render import diff_to_dict

    return diff_to_dict(result)


def consolidation_report(result: Consolidation, *, annotate: bool = False, output: str | None = None) -> dict[str, Any]:
    """``result`` as the JSON of ``agentmerge consolidate --format json`` (version 1); its
    ``agent`` is ``write_consolidation(result, annotate=annotate, output=output)``."""
    from agentmerge.render import consolidation_to_dict

    return consolidation_to_dict(result, annotate=annotate, output=output)


def group_agents(agents: Sequence[Agent], *, min_similarity: float | None = None, min_overlap: float = 0.0) -> Grouping:
    """Group the agents of a library by the job they do, as ``agentmerge group`` does: a
    ``Grouping`` with the groups of two or more and the agents alone (``min_similarity``: 0 to 1,
    default 0.3; ``min_overlap``: least share of instructions in common, default 0)."""
    from agentmerge.group import MIN_SIMILARITY
    from agentmerge.group import group_agents as run

    cutoff = MIN_SIMILARITY if min_similarity is None else min_similarity
    return run(agents, min_similarity=cutoff, min_overlap=min_overlap)


def grouping_report(result: Grouping) -> dict[str, Any]:
    """``result`` as the JSON of ``agentmerge group --format json`` (version 1)."""
    from agentmerge.render import grouping_to_dict

    return grouping_to_dict(result)


def render_diff(result: DiffResult, *, fmt: str = "text") -> str:
    """``result`` as the plain-text report (``fmt="text"``) or Markdown (``fmt="markdown"``)."""
    from agentmerge.render import render_diff_markdown, render_diff_text

    if fmt == "markdown":
        return render_diff_markdown(result)
    if fmt != "text":
        raise ValueError(f"fmt must be text or markdown, not {fmt!r}")
    return "\n".join(render_diff_text(result)) + "\n"


class _Package(types.ModuleType):
    """The package module, which keeps its public functions named like submodules.

    Importing ``agentmerge.consolidate`` (the module) binds it as the package attribute
    ``consolidate``, which would hide the public function of that name from a later
    ``from agentmerge import consolidate``. Internal code imports from the submodules by name
    (``from agentmerge.consolidate import ...``), which this does not change.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


_SHADOWED = frozenset({"consolidate"})
"""Public functions that share their name with a submodule."""

sys.modules[__name__].__class__ = _Package
