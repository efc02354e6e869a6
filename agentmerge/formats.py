"""Which files are agent files: the formats agentmerge reads, where they live, how they look.

One table for every command: ``review`` picks changed files by it and ``git install`` writes its
globs to ``.gitattributes``. Globs are gitignore-style and relative to the repository root: a
glob without ``/`` matches a file name in any directory (``AGENTS.md``, ``*.agent.md``); one with
``/`` matches from the root; ``**`` spans directories (git's attribute patterns read the same).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Format:
    """One kind of agent file."""

    name: str
    """A short stable name (``claude-code``, ``cursor-rule``)."""
    title: str
    """What its users call it."""
    globs: tuple[str, ...]
    """Where files of this format live and how they are named."""
    content_keys: tuple[str, ...] = ()
    """Frontmatter keys that mark a Markdown file of this format wherever it lives; empty when
    only the globs do."""


FORMATS: tuple[Format, ...] = (
    Format(
        "claude-code",
        "Claude Code subagent",
        (".claude/agents/**",),
        # Documentation pages often carry a description alone; subagents and skills have both.
        content_keys=("name", "description"),
    ),
    Format("agents-folder", "agent in an agents/ folder (plugin collections)", ("**/agents/**/*.md",)),
    Format("copilot-agent", "GitHub Copilot custom agent", ("*.agent.md", ".github/agents/**")),
    Format("copilot-chatmode", "GitHub Copilot chat mode", ("*.chatmode.md",)),
    Format("cursor-rule", "Cursor rule", (".cursor/rules/**/*.mdc",)),
    Format("instructions", "plain instruction file", ("AGENTS.md", "CLAUDE.md")),
)
"""The formats agentmerge recognises, most specific first."""

DEFAULT_AGENT_GLOBS: tuple[str, ...] = tuple(glob for f in FORMATS for glob in f.globs)
"""Every format's globs, in table order: the files ``review`` looks at unless configured otherwise."""

CONTENT_SUFFIXES: tuple[str, ...] = (".md", ".mdc", ".markdown")
"""File name endings whose content is checked for agent frontmatter when no glob matches."""

CONTENT_SAMPLE = 65536
"""How many leading bytes of a file are searched for agent frontmatter."""


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore-style glob into a regular expression over root-relative paths.

    A glob without ``/`` (other than a trailing one) matches a file name in any directory;
    otherwise it matches from the root. ``**/`` spans zero or more directories, a trailing
    ``/**`` everything inside, ``*`` and ``?`` stay within one path segment.
    """
    glob = pattern.strip()
    anchored = "/" in glob.rstrip("/")
    glob = glob.lstrip("/")
    if glob.endswith("/"):
        glob += "**"
    out: list[str] = [] if anchored else ["(?:.*/)?"]
    i = 0
    while i < len(glob):
        piece, i = _glob_piece(glob, i)
        out.append(piece)
    return re.compile("".join(out) + r"\Z")


def _glob_piece(glob: str, i: int) -> tuple[str, int]:
    """The regular expression for the glob syntax at ``glob[i]``, and the index after it."""
    if glob.startswith("**/", i):
        return "(?:.*/)?", i + 3
    if glob.startswith("/**", i) and i + 3 == len(glob):
        return "/.*", i + 3
    if glob.startswith("**", i):
        return "[^/]*", i + 2
    if glob[i] == "*":
        return "[^/]*", i + 1
    if glob[i] == "?":
        return "[^/]", i + 1
    if glob[i] == "[" and "]" in glob[i + 2 :]:
        close = glob.index("]", i + 2)
        body = glob[i + 1 : close]
        if body.startswith("!"):
            body = "^" + body[1:]
        return "[" + body.replace("\\", "\\\\") + "]", close + 1
    if glob[i] == "\\" and i + 1 < len(glob):
        return re.escape(glob[i + 1]), i + 2
    return re.escape(glob[i]), i + 1


def matches_any(path: str, globs: Sequence[str]) -> bool:
    """Whether the root-relative ``path`` matches one of the gitignore-style ``globs``."""
    return any(glob_regex(g).match(path) for g in globs)


def format_of(path: str) -> Format | None:
    """The format whose globs match the root-relative ``path`` first, or None."""
    return next((f for f in FORMATS if matches_any(path, f.globs)), None)


_FRONTMATTER_RE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$", re.DOTALL | re.MULTILINE
)


@functools.lru_cache(maxsize=16)
def _key_regex(key: str) -> re.Pattern[bytes]:
    return re.compile(rb"^" + re.escape(key.encode()) + rb"[ \t]*:", re.MULTILINE)


def looks_like_agent(data: bytes) -> bool:
    """Whether ``data`` opens with YAML frontmatter holding every content key of some format
    (``name`` and ``description`` for a Claude Code subagent). Files named like agents need none."""
    found = _FRONTMATTER_RE.match(data[:CONTENT_SAMPLE])
    if found is None:
        return False
    block = found.group(1)
    return any(f.content_keys and all(_key_regex(key).search(block) for key in f.content_keys) for f in FORMATS)


def is_agent_file(
    sides: Iterable[tuple[str | None, bytes | None]],
    *,
    globs: Sequence[str] = DEFAULT_AGENT_GLOBS,
    exclude: Sequence[str] = (),
    by_content: bool = True,
) -> bool:
    """Whether a file is an agent file, given each (path, bytes) it has (old and new side).

    An excluded path never is; a path matching ``globs`` always is; otherwise, with
    ``by_content``, a Markdown file whose frontmatter looks like an agent's is.
    """
    known = [(path, data) for path, data in sides if path]
    if any(matches_any(path, exclude) for path, _ in known):
        return False
    if any(matches_any(path, globs) for path, _ in known):
        return True
    return by_content and any(
        path.lower().endswith(CONTENT_SUFFIXES) and data is not None and looks_like_agent(data) for path, data in known
    )
