"""Settings: the ``[tool.agentmerge]`` table of ``pyproject.toml``, or ``.agentmerge.toml``.

One reader for every command: ``review`` takes its keys (``agent-globs``, ...) from the table, and
a command with settings of its own reads them from a sub-table named after it
(``[tool.agentmerge.check]``), which ``review`` leaves alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmerge.errors import InputError

SETTINGS_FILES = (".agentmerge.toml", "pyproject.toml")
"""Where settings are read from, first found wins; in ``pyproject.toml`` only ``[tool.agentmerge]``
counts, in ``.agentmerge.toml`` the keys may also stand at the top level."""

MAX_SETTINGS_BYTES = 256 * 1024
"""Largest settings file read. ``review`` reads the settings of the checkout it reviews, which
anyone may send: TOML is read at about a megabyte a second here, so a file of GitHub's 100 MB
limit would take minutes. Real ``pyproject.toml`` files are a few kilobytes."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The agentmerge table of one settings file, or nothing."""

    table: dict[str, Any] = field(default_factory=dict)
    """The keys and values of the table; empty when no settings file holds one."""
    source: str = ""
    """The settings file's name (``pyproject.toml``), as messages name it; empty for none."""
    text: str = ""
    """The file's text, to find the line a key stands on."""
    folder: str = ""
    """The folder the settings file is in; empty for none."""

    def line_of(self, key: str) -> int:
        """The 1-based line on which ``key`` is set in the file, or 0 when it cannot be found."""
        found = re.search(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=", self.text, re.MULTILINE)
        return self.text.count("\n", 0, found.start()) + 1 if found else 0

    def section(self, name: str) -> dict[str, Any]:
        """The sub-table ``name`` (``[tool.agentmerge.check]``); empty when absent.

        Raises InputError when ``name`` is set to something other than a table.
        """
        value = self.table.get(name, {})
        if not isinstance(value, dict):
            raise InputError(self.source, self.line_of(name), f"{name} must be a table, like [tool.agentmerge.{name}]")
        return value


def read_settings(folder: Path, *, links: bool = True, within: Path | None = None) -> Settings:
    """The settings in ``folder``: ``.agentmerge.toml`` wins over ``pyproject.toml``'s
    ``[tool.agentmerge]``; a ``pyproject.toml`` without that table does not count.

    With ``links`` false a settings file that is a symbolic link is not read: ``review`` reads the
    settings of a checkout anyone may send, whose link could name any file of the machine. With
    ``within``, a settings file that leads out of that folder through a link is an error (``check``
    in a pull request's checkout: the file it leads to is not the repository's, and its values
    would reach the job's log).
    Raises InputError, with the line, for a file that is not valid TOML.
    """

    def read(name: str) -> bytes | None:
        path = folder / name
        if not path.is_file() or (not links and path.is_symlink()):
            return None
        if within is not None and path.is_symlink():
            real = path.resolve()
            if not real.is_relative_to(within):
                raise InputError(
                    str(path), 0, f"leads through a symbolic link to {real}, outside the repository; not read"
                )
        with path.open("rb") as stream:
            return stream.read(MAX_SETTINGS_BYTES + 1)

    return settings_from(read, str(folder))


def settings_from(read: Callable[[str], bytes | None], folder: str = "") -> Settings:
    """The settings of the first of SETTINGS_FILES that ``read`` gives bytes for (None: there is no
    such file), read as ``read_settings`` reads a folder's; ``read`` need give no more than
    MAX_SETTINGS_BYTES and one byte.

    Raises InputError, with the line, for a file that is not valid TOML or is too large.
    """
    for name in SETTINGS_FILES:
        raw = read(name)
        if raw is None:
            continue
        if len(raw) > MAX_SETTINGS_BYTES:
            raise too_large_settings(name)
        text = raw.decode("utf-8", "replace")
        if name == "pyproject.toml" and not names_agentmerge(text):
            continue
        data = _load_toml(text, name)
        tool = data.get("tool")
        table = tool.get("agentmerge") if isinstance(tool, dict) else None
        if table is None and name != "pyproject.toml":
            table = {k: v for k, v in data.items() if k != "tool"}
        if not isinstance(table, dict) or (name == "pyproject.toml" and not table):
            continue
        return Settings(table, name, text, folder)
    return Settings()


def too_large_settings(name: str) -> InputError:
    """The error for a settings file over MAX_SETTINGS_BYTES."""
    return InputError(name, 0, f"is over {MAX_SETTINGS_BYTES // 1024} KiB, more than a settings file holds")


_HEADER_RE = re.compile(r"[ \t]*\[\[?([^\]\n]*)\]?")  # a header without its "]" is a TOML error to report
_KEY_RE = re.compile(r"[ \t]*([\w.\-\"' \t]+?)[ \t]*=")


def names_agentmerge(text: str) -> bool:
    """Whether a ``pyproject.toml`` may hold ``[tool.agentmerge]``, in any TOML spelling (a table, a
    dotted key, an inline table under ``tool``), read without parsing: most projects' files never
    set it, and parsing costs every command's start-up the import of tomllib. Errs towards yes:
    a multi-line string, which could hide a line that looks like a header, means parse."""
    if "agentmerge" not in text:
        return False
    if '"""' in text or "'''" in text:
        return True
    table = ""
    for line in text.splitlines():
        header = _HEADER_RE.match(line)
        if header:
            key = table = _bare_key(header.group(1))
        elif found := _KEY_RE.match(line):
            key = f"{table}.{_bare_key(found.group(1))}" if table else _bare_key(found.group(1))
            if key == "tool" and "agentmerge" in line:
                return True  # tool = { agentmerge = { ... } }
        else:
            continue
        if key == "tool.agentmerge" or key.startswith("tool.agentmerge."):
            return True
    return False


def _bare_key(text: str) -> str:
    """A TOML key as dotted names: white space and quotes removed."""
    return re.sub(r"[\s\"']", "", text)


def find_settings(start: Path) -> Settings:
    """The settings of the nearest folder at or above ``start`` that has any (as ruff and black look
    for their ``pyproject.toml``), stopping at a repository's root (a folder holding ``.git``). A
    settings file in a repository that is a symbolic link out of it is an error."""
    resolved = start.resolve()
    chain: list[Path] = []
    for folder in (resolved, *resolved.parents):
        chain.append(folder)
        if (folder / ".git").exists():
            break
    root = chain[-1] if (chain[-1] / ".git").exists() else None
    found = Settings()
    for folder in chain:
        found = read_settings(folder, within=root)
        if found.source:
            break
    return found


def _load_toml(text: str, name: str) -> dict[str, Any]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise InputError(name, 0, "is not valid TOML (values nested too deeply to read)") from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise InputError(name, int(found.group(1)) if found else 0, f"is not valid TOML ({message})") from None
