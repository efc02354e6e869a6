"""Running git: the changed files between two revisions, their contents, and the diff driver.

Git is run as a subprocess with ``-z`` output everywhere, so paths with spaces, quotes or
non-ASCII characters need no unquoting, and with ``core.quotepath=off`` and ``LC_ALL=C``. Every
failure becomes one AgentMergeError line. ``agentmerge git install`` (the ``diff=agentmerge``
attributes and ``diff.agentmerge.command``) is git configuration, so it lives here too, as does
reading the arguments git hands an external diff command.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.filesystem import write_atomic
from agentmerge.text import counted

ChangeStatus = Literal["added", "deleted", "modified", "renamed"]

DRIVER = "agentmerge"
"""Name of the git diff and merge drivers: ``diff.agentmerge.*``, ``merge.agentmerge.*`` and the
``diff=agentmerge merge=agentmerge`` attributes."""

DRIVER_COMMAND = "agentmerge diff --"
"""What git runs as the diff driver; it receives git's seven external-diff arguments, after ``--``
so that a path starting with ``-`` is not read as an option."""

_OLD_DRIVER_COMMANDS = {f"diff.{DRIVER}.command": ("agentmerge diff",)}
"""Values earlier versions set for a key; install replaces them and uninstall removes them, as its own."""

MERGE_DRIVER_NAME = "agentmerge: three-way merge of agent files by instruction"
"""What ``merge.agentmerge.name`` says about the merge driver."""

MERGE_DRIVER_COMMAND = "agentmerge merge %O %A %B -o %A --marker-size %L --path %P"
"""What git runs as the merge driver: base, ours (written in place), theirs, marker size, path."""

MERGE_RECURSIVE_DRIVER = "binary"
"""What ``merge.agentmerge.recursive`` names: git's driver for the inner merge of two merge bases."""

ATTRIBUTES_HEADER = "# agentmerge: semantic diff and merge for agent files (agentmerge git install)"
"""Comment line that opens the block of attributes ``git install`` writes, and marks it for removal."""

_OLD_ATTRIBUTES_HEADERS = ("# agentmerge: semantic diff for agent files (agentmerge git install)",)
"""Headers earlier versions wrote; their blocks are upgraded by install and removed by uninstall."""

LITERAL_PATHSPECS = {
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_GLOB_PATHSPECS": "0",
    "GIT_NOGLOB_PATHSPECS": "0",
    "GIT_ICASE_PATHSPECS": "0",
}
"""Environment that makes git read paths as file names, never as patterns or magic, whatever the
caller's environment asks for (git refuses ``GIT_LITERAL_PATHSPECS`` with ``GIT_GLOB_PATHSPECS``)."""

ZERO_SHA = "0" * 40
"""The object id git writes for "no object" (an added file's old side)."""

LINK_MODE = "120000"
"""The mode git gives a symbolic link."""

LINK_TARGET_SHOWN = 200
"""Most characters of a symbolic link's target a report quotes (``review``, the diff driver)."""


GIT_DIFF_ARGS = 7
"""How many arguments git passes an external diff command: path, then file, hex and mode per side."""

GIT_RENAME_DIFF_ARGS = 9
"""For a renamed or copied file git adds two: the new path and its similarity message."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file git reports as changed between the two sides, before it is read."""

    status: ChangeStatus
    """added, deleted, modified or renamed (renames as git's ``-M`` finds them)."""
    path: str
    """Path on the new side, relative to the repository root; for a deleted file, its old path."""
    old_path: str | None
    """Path on the old side; None for an added file."""
    old_blob: str | None
    """Object id of the old content; None when there is no old side or it is not a regular file."""
    new_blob: str | None
    """Object id of the new content; None when it is read from the working tree or absent."""
    similarity: int | None = None
    """For a rename, git's similarity index in percent; None otherwise."""
    old_link: str | None = None
    """When the old side is a symbolic link: the object id of the blob that holds its target."""
    new_link: str | None = None
    """When the new side is a symbolic link: the object id of the blob that holds its target, or
    the empty string for a link in the working tree (its target is read there)."""
    modes: tuple[str, str] | None = None
    """For a regular file whose mode changed (``100644`` to ``100755``: made executable), its old
    and new mode; None otherwise."""


@dataclass(frozen=True, slots=True)
class DiffSides:
    """The two files a diff compares, and how each is named in the report."""

    old_path: str
    """Where the old side is read from (``-`` for standard input)."""
    new_path: str
    """Where the new side is read from."""
    old_name: str
    """The old side's name in the report (git's path, or ``/dev/null`` for none)."""
    new_name: str
    """The new side's name in the report (for a rename, the new path)."""
    external: bool
    """Whether git called ``diff`` as its external diff command (then it always exits 0)."""
    links: tuple[bool, bool] = (False, False)
    """Whether git says the old side, the new side is a symbolic link (its file then holds the
    link's target, never followed)."""
    modes: tuple[str, str] | None = None
    """The old and new mode git gives a regular file whose mode changed (``chmod +x``); else None."""


def diff_sides(args: Sequence[str]) -> DiffSides | None:
    """The sides of ``agentmerge diff ARGS``: OLD and NEW, or git's seven (nine for a rename)
    external-diff arguments ``path old-file old-hex old-mode new-file new-hex new-mode [new-path
    similarity]``; None for any other number of arguments."""
    if len(args) == 2:
        return DiffSides(args[0], args[1], args[0], args[1], external=False)
    if len(args) not in (GIT_DIFF_ARGS, GIT_RENAME_DIFF_ARGS):
        return None
    # git names the new side by its path in the working tree, which may be a file named "-".
    old_path, new_path = (_not_stdin(path) for path in (args[1], args[4]))
    renamed_to = args[GIT_DIFF_ARGS] if len(args) == GIT_RENAME_DIFF_ARGS else args[0]
    return DiffSides(
        old_path,
        new_path,
        "/dev/null" if old_path == os.devnull else args[0],
        "/dev/null" if new_path == os.devnull else renamed_to,
        external=True,
        links=(args[3] == LINK_MODE, args[6] == LINK_MODE),
        modes=(args[3], args[6])
        if args[3] != args[6] and args[3].startswith("100") and args[6].startswith("100")
        else None,
    )


def _not_stdin(path: str) -> str:
    """A path git hands the driver, never taken as ``-`` (standard input)."""
    return os.path.join(".", path) if path == "-" else path


def colour_setting(cwd: str | Path = ".") -> str | None:
    """git's colour setting for diffs where it is run: ``color.diff``, else ``color.ui``, lower
    case; None when neither is set or git cannot be asked."""
    import subprocess

    for key in ("color.diff", "color.ui"):
        try:
            done = subprocess.run(
                ["git", "config", "--get", key], cwd=cwd, capture_output=True, check=False, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        value = done.stdout.decode("utf-8", "replace").strip().lower()
        if done.returncode == 0 and value:
            return value
    return None


# --------------------------------------------------------------------------------------------
# Plumbing


def _git(args: Sequence[str], cwd: str | Path, *, env: Mapping[str, str] | None = None, stdin: bytes = b"") -> bytes:
    """Run git and return its standard output; a failure becomes one AgentMergeError line."""
    # Imported here: ``diff`` reads git's external-diff arguments from this module at start-up.
    import subprocess

    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["LC_ALL"] = "C"
    full_env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-c", "core.fsmonitor=false", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=full_env,
            check=False,
        )
    except FileNotFoundError:
        raise AgentMergeError("", 0, "git is not installed or not on PATH; install git first") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[-1] if message else f"exit code {done.returncode}"
        raise AgentMergeError("", 0, f"git {args[0]} failed: {first.removeprefix('fatal: ')}")
    return done.stdout


def repository_root(cwd: str | Path = ".", *, hint: str = "run agentmerge review in a clone") -> Path:
    """Return the top of the working tree that contains ``cwd``; outside one, an error ending
    with ``hint`` (where to run the command instead)."""
    where = str(Path(cwd).resolve())
    if not Path(where).is_dir():
        raise InputError(where, 0, f"is not a directory; {hint}")
    try:
        out = _git(["rev-parse", "--show-toplevel"], where)
    except AgentMergeError:
        raise InputError(where, 0, f"is not inside a git working tree; {hint}") from None
    return Path(out.decode("utf-8").strip())


def resolve_commit(root: Path, rev: str, *, option: str) -> str:
    """Return the full object id of the commit ``rev`` names; an error naming ``option`` if none."""
    if rev.startswith("-"):
        raise AgentMergeError("", 0, f"{option} {rev!r} is not a revision; name a branch, tag or commit")
    try:
        out = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root)
    except AgentMergeError:
        hint = " (in a shallow clone, fetch more history: actions/checkout with fetch-depth: 0)"
        shallow = _git(["rev-parse", "--is-shallow-repository"], root).strip() == b"true"
        raise AgentMergeError(
            "", 0, f"{option} {rev!r} is not a commit in this repository{hint if shallow else ''}"
        ) from None
    return out.decode("ascii").strip()


def default_base(root: Path) -> str:
    """Return the default branch to review against: origin/HEAD, else main, else master."""
    candidates = {
        "origin/HEAD": "refs/remotes/origin/HEAD",
        "main": "refs/heads/main",
        "master": "refs/heads/master",
        "origin/main": "refs/remotes/origin/main",
        "origin/master": "refs/remotes/origin/master",
    }
    for name, ref in candidates.items():
        if ref_exists(root, ref):
            return name
    raise AgentMergeError("", 0, "found no default branch (origin/HEAD, main or master); pass --base REV")


def ref_exists(root: Path, ref: str) -> bool:
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], root)
    except AgentMergeError:
        return False
    return True


def merge_base(root: Path, base: str, head: str, *, base_rev: str, head_rev: str) -> str:
    """Return the best common ancestor of two commits, as ``git diff BASE...HEAD`` uses it."""
    try:
        return _git(["merge-base", base, head], root).decode("ascii").strip()
    except AgentMergeError:
        raise AgentMergeError(
            "",
            0,
            f"{base_rev} and {head_rev} share no history in this clone; fetch more history "
            "(actions/checkout with fetch-depth: 0) or pass --base",
        ) from None


def working_tree_dirty(root: Path) -> bool:
    """Whether the working tree has uncommitted changes or untracked files."""
    return bool(_git(["status", "--porcelain", "-z", "--untracked-files=normal"], root).strip())


def changed_files(
    root: Path, base: str, head: str | None, pathspecs: Sequence[str] = (), *, cwd: str | Path | None = None
) -> list[FileChange]:
    """Return the files that differ between commit ``base`` and ``head`` (None: the working tree).

    Renames are found by git (``-M``, its default 50% similarity), so a renamed and edited file
    is one change diffed against its old path. Untracked files of the working tree count as added:
    they are entered in a scratch copy of the index as intent-to-add, so git's rename detection
    sees them too, and the real index is never touched. Pathspecs are relative to ``cwd``.
    """
    import shutil
    import tempfile

    where = str(cwd) if cwd is not None else str(root)
    diff_args = ["diff", "--raw", "-z", "-M", "--no-abbrev", "--no-relative", "--no-ext-diff", "--no-textconv"]
    spec = ["--", *pathspecs] if pathspecs else ["--"]
    if head is not None:
        raw = _git([*diff_args, base, head, *spec], where)
        return _parse_raw(raw)
    index = _git(["rev-parse", "--path-format=absolute", "--git-path", "index"], where).decode("utf-8").strip()
    with tempfile.TemporaryDirectory(prefix="agentmerge-") as scratch:
        scratch_index = os.path.join(scratch, "index")
        if os.path.exists(index):
            shutil.copyfile(index, scratch_index)
        env = {"GIT_INDEX_FILE": scratch_index}
        untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", *spec], where, env=env)
        if untracked:
            # File names, not patterns: an untracked file named ":!README" or ":(bogus)x" is
            # added as itself, instead of excluding other files or failing.
            _git(
                ["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"],
                where,
                env={**env, **LITERAL_PATHSPECS},
                stdin=untracked,
            )
        raw = _git([*diff_args, base, *spec], where, env=env)
    return _parse_raw(raw, worktree=True)


def _parse_raw(raw: bytes, *, worktree: bool = False) -> list[FileChange]:
    """Read ``git diff --raw -z --no-abbrev`` output into changes: of regular files and symbolic
    links (``FileChange.old_link``/``new_link``, whose targets are never followed); a folder of
    a submodule is left out."""
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].lstrip(":").split()
        i += 1
        if len(meta) < 5:
            continue
        old_mode, new_mode, old_sha, new_sha, letter = meta[:5]
        paths = [fields[i]]
        i += 1
        if letter[0] in "RC":
            paths.append(fields[i])
            i += 1
        old_file = old_mode.startswith("100")
        new_file = new_mode.startswith("100")
        old_blob = old_sha if old_file and old_sha != ZERO_SHA else None
        new_blob = None if worktree or not new_file or new_sha == ZERO_SHA else new_sha
        kind = letter[0]
        old_link = old_sha if old_mode == LINK_MODE else None
        new_link = ("" if worktree or new_sha == ZERO_SHA else new_sha) if new_mode == LINK_MODE else None
        if old_link is not None or new_link is not None:
            changes.append(_link_change(kind, paths, old_blob, new_blob, old_link, new_link, letter))
            continue
        modes = (old_mode, new_mode) if old_file and new_file and old_mode != new_mode else None
        if kind == "R":
            if not (old_file or new_file):
                continue
            similarity = int(letter[1:] or 0) or None
            changes.append(FileChange("renamed", paths[1], paths[0], old_blob, new_blob, similarity, modes=modes))
        elif kind == "C":
            # Copy detection is not asked for (-C); should a configuration turn it on, a copy is
            # a new file on this side.
            if new_file:
                changes.append(FileChange("added", paths[1], None, None, new_blob))
        elif kind == "A" or (kind == "T" and not old_file):
            if new_file:
                changes.append(FileChange("added", paths[0], None, None, new_blob))
        elif kind == "D" or (kind == "T" and not new_file):
            if old_file:
                changes.append(FileChange("deleted", paths[0], paths[0], old_blob, None))
        elif old_file or new_file:
            changes.append(FileChange("modified", paths[0], paths[0], old_blob, new_blob, modes=modes))
    return changes


def _link_change(
    kind: str,
    paths: list[str],
    old_blob: str | None,
    new_blob: str | None,
    old_link: str | None,
    new_link: str | None,
    letter: str,
) -> FileChange:
    """The change of a path that is a symbolic link on one side or both: added, deleted, renamed,
    or modified (its target changed, or a file became a link or a link a file)."""
    if kind in "RC":
        similarity = (int(letter[1:] or 0) or None) if kind == "R" else None
        status: ChangeStatus = "renamed" if kind == "R" else "added"
        old_path = paths[0] if kind == "R" else None
        return FileChange(status, paths[1], old_path, old_blob, new_blob, similarity, old_link, new_link)
    if kind == "A":
        return FileChange("added", paths[0], None, None, new_blob, None, None, new_link)
    if kind == "D":
        return FileChange("deleted", paths[0], paths[0], old_blob, None, None, old_link, None)
    return FileChange("modified", paths[0], paths[0], old_blob, new_blob, None, old_link, new_link)


def tree_files(root: Path, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The blob id and size of each of ``paths`` (from the repository's root) that is a regular
    file in ``commit``; a symbolic link, a folder or a submodule there is left out, as is a path
    the commit does not have."""
    out = _git(["ls-tree", "-z", "-l", "--full-tree", commit, "--", *paths], root, env=LITERAL_PATHSPECS)
    found: dict[str, tuple[str, int]] = {}
    for entry in out.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        fields = info.split()
        if len(fields) == 4 and fields[0] in (b"100644", b"100755") and fields[3].isdigit():
            found[name.decode("utf-8", "surrogateescape")] = (fields[2].decode("ascii"), int(fields[3]))
    return found


def blob_sizes(root: Path, blobs: Sequence[str]) -> dict[str, int]:
    """The size in bytes of each git blob (``git cat-file --batch-check``), without reading it;
    a missing blob is left out."""
    unique = sorted(set(blobs))
    if not unique:
        return {}
    out = _git(["cat-file", "--batch-check"], root, stdin="".join(f"{b}\n" for b in unique).encode("ascii"))
    sizes: dict[str, int] = {}
    for blob, line in zip(unique, out.decode("ascii", "replace").splitlines(), strict=False):
        fields = line.split()
        if len(fields) == 3 and fields[2].isdigit():
            sizes[blob] = int(fields[2])
    return sizes


def read_blobs(root: Path, blobs: Sequence[str]) -> dict[str, bytes]:
    """Return the content of each git blob, read in one ``git cat-file --batch`` run."""
    unique = sorted(set(blobs))
    if not unique:
        return {}
    out = _git(["cat-file", "--batch"], root, stdin="".join(f"{b}\n" for b in unique).encode("ascii"))
    contents: dict[str, bytes] = {}
    pos = 0
    for blob in unique:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3:  # "<sha> missing": nothing to read for it
            continue
        size = int(header[2])
        contents[blob] = out[pos : pos + size]
        pos += size + 1
    return contents


# --------------------------------------------------------------------------------------------
# git install: the diff driver


def install_git_driver(cwd: str | Path = ".", *, scope: Literal["local", "global"] = "local") -> list[str]:
    """Configure git to diff and merge agent files with agentmerge; return what was changed.

    Sets ``diff.agentmerge.command``, ``merge.agentmerge.name``, ``merge.agentmerge.driver`` and
    ``merge.agentmerge.recursive``
    and adds ``<glob> diff=agentmerge merge=agentmerge`` lines for the default agent globs to
    ``.gitattributes`` (local) or the global attributes file; a block an earlier version wrote
    (``diff=`` only) is brought up to date. Running it again changes nothing.

    What uninstall needs to put things back exactly is recorded in the same git config, under
    ``agentmerge.install``: a value of one of those keys that was there before, and what install
    did to the attributes file (created it, ended its last line, added a blank line). The
    attributes file is edited line by line in its own line endings; a global one that is a
    symbolic link is edited through it, a repository's own is refused (``_install_target``).
    """
    where, config_flag, attributes = _install_target(cwd, scope)
    done: list[str] = []
    config_file = _global_config_file() if scope == "global" else None
    config_created = config_file is not None and not os.path.lexists(config_file)
    for key, value in _driver_config():
        current = _git_config_get(where, config_flag, key, empty=True)
        if current != value:
            saved = _record_key(_previous_slot(key))
            if current is not None and not _is_own_value(key, current):
                _git(["config", config_flag, saved, current], where)  # the user's latest value
            _git(["config", config_flag, key, value], where)
            before = f" (was {current!r})" if current else ""
            done.append(f"set {key} = {value!r} in the {scope} git config{before}")
    if config_created and os.path.lexists(str(config_file)):
        _git(["config", config_flag, _record_key("config"), "created"], where)
    text = _read_text(attributes)
    lines = _split_lines(text or "")
    eol = _line_ending(lines)
    header = _block_header(lines)
    if header >= 0:
        end = _block_end(lines, header)
        block = lines[header + 1 : end]
        if _content(lines[header]) != ATTRIBUTES_HEADER or any(" merge=" not in line for line in block):
            # A block an earlier version wrote: the same globs, without the merge driver.
            lines[header:end] = [
                ATTRIBUTES_HEADER + _ending(lines[header], eol),
                *(_attribute_line(line.split()[0]) + _ending(line, eol) for line in block),
            ]
            _write_text(attributes, "".join(lines))
            count = len(block)
            done.append(f"updated {counted(count, 'line')} of {attributes} for the merge driver")
    from agentmerge.formats import DEFAULT_AGENT_GLOBS  # the format table: install only, not every diff

    present = {_content(line) for line in lines}
    missing = [line for glob in DEFAULT_AGENT_GLOBS if (line := _attribute_line(glob)) not in present]
    if missing:
        if header >= 0:
            end = _block_end(lines, header)
            if not lines[end - 1].endswith("\n"):
                lines[end - 1] += eol
            lines[end:end] = [line + eol for line in missing]
            added = len(missing)
        else:
            record = ["created" if text is None else "existed"]
            folders = _missing_folders(attributes.parent) if text is None else 0
            if folders:
                record.append(f"folders={folders}")
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += eol
                record.append("newline")
            if lines and _content(lines[-1]):
                lines.append(eol)
                record.append("blank")
            lines.extend(line + eol for line in [ATTRIBUTES_HEADER, *missing])
            added = len(missing) + 1 + ("blank" in record)  # the header, and a blank line before it
            _git(["config", config_flag, _record_key("attributes"), " ".join(record)], where)
        _write_text(attributes, "".join(lines))
        done.append(f"added {counted(added, 'line')} to {attributes}")
    return done


def uninstall_git_driver(cwd: str | Path = ".", *, scope: Literal["local", "global"] = "local") -> list[str]:
    """Remove what ``install_git_driver`` added (both drivers) and put back what it replaced: a
    config value it overwrote, the attributes file's bytes as they were (its line endings, its
    last line with or without a newline, an empty file kept, a file it created removed); return
    what was changed. Without install's record, a ``.gitattributes`` the repository commits as it
    stands (a clone of one that commits the block) is left as it is, with a note; any other block
    (an earlier version's install) is removed with the blank line before it, and a file left
    empty is deleted.
    """
    where, config_flag, attributes = _install_target(cwd, scope)
    done: list[str] = []
    config_created = _git_config_get(where, config_flag, _record_key("config")) == "created"
    for key, value in _driver_config():
        current = _git_config_get(where, config_flag, key, empty=True)
        saved = _record_key(_previous_slot(key))
        previous = _git_config_get(where, config_flag, saved, empty=True)
        if current is not None and (current == value or _is_own_value(key, current)):
            if previous is not None:
                _git(["config", config_flag, key, previous], where)
                done.append(f"restored {key} = {previous!r} in the {scope} git config")
            else:
                _git(["config", config_flag, "--unset", key], where)
                done.append(f"removed {key} from the {scope} git config")
                _remove_empty_section(where, config_flag, key.rsplit(".", 1)[0])
        if previous is not None:
            _git(["config", config_flag, "--unset", saved], where)
    record_key = _record_key("attributes")
    recorded = _git_config_get(where, config_flag, record_key, empty=True)
    record = set(recorded.split()) if recorded is not None else None
    text = _read_text(attributes)
    lines = _split_lines(text or "")
    start = _block_header(lines)
    if start >= 0 and record is None and scope == "local" and _committed_as_is(where, attributes):
        # Install wrote nothing here (a fresh clone of a repository that commits the block):
        # deleting those lines would change, or delete, a file the repository tracks.
        done.append(
            f"left {attributes} as it is: its agentmerge lines are committed, not added by install here "
            "(remove them in a commit to turn the drivers off for everyone)"
        )
        start = -1
    if start >= 0:
        end = _block_end(lines, start)
        removed = end - start
        del lines[start:end]
        if (record is None or "blank" in record) and start > 0 and not _content(lines[start - 1]):
            del lines[start - 1]  # the blank line install puts before the block
            start -= 1
            removed += 1
        if record is not None and "newline" in record and start == len(lines) and lines:
            lines[-1] = lines[-1].rstrip("\r\n")  # install ended the last line; take it back
        remaining = "".join(lines)
        created = record is None or "created" in record
        if created and not remaining.strip():
            attributes.unlink()
            _remove_folders(attributes.parent, _recorded_folders(record))
        else:
            _write_text(attributes, remaining)
        done.append(f"removed {counted(removed, 'line')} from {attributes}")
    if recorded is not None:
        _git(["config", config_flag, "--unset", record_key], where)
    if config_created:
        _git(["config", config_flag, "--unset", _record_key("config")], where)
    _remove_empty_section(where, config_flag, RECORD_SECTION)
    config_file = _global_config_file() if scope == "global" else None
    if config_created and config_file is not None and not (_read_text(Path(config_file)) or "").strip():
        os.unlink(config_file)  # install created it; only the section headers git leaves were in it
        done.append(f"removed {config_file}, which install created")
    return done


def _committed_as_is(where: str, path: Path) -> bool:
    """Whether git tracks ``path`` and it is as HEAD has it (no change in the index or the tree)."""
    try:
        _git(["ls-files", "--error-unmatch", "--", str(path)], where, env=LITERAL_PATHSPECS)
        _git(["diff", "--quiet", "HEAD", "--", str(path)], where, env=LITERAL_PATHSPECS)
    except AgentMergeError:
        return False
    return True


def _global_config_file() -> str:
    """The file ``git config --global`` writes: ``GIT_CONFIG_GLOBAL``, else ``~/.gitconfig``
    unless only the XDG one (``$XDG_CONFIG_HOME/git/config``) exists."""
    named = os.environ.get("GIT_CONFIG_GLOBAL")
    if named:
        return os.path.expanduser(named)
    home = os.path.join(os.path.expanduser("~"), ".gitconfig")
    xdg = os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "git", "config"
    )
    return xdg if not os.path.lexists(home) and os.path.lexists(xdg) else home


def _missing_folders(folder: Path) -> int:
    """How many folders, from ``folder`` up, do not exist (the ones writing a file there creates)."""
    count = 0
    while not os.path.lexists(folder) and folder.parent != folder:
        count += 1
        folder = folder.parent
    return count


def _recorded_folders(record: set[str] | None) -> int:
    """The number of folders install created for the attributes file, from its record."""
    for token in record or ():
        count = token.removeprefix("folders=")
        if count != token and count.isdigit():
            return int(count)
    return 0


def _remove_folders(folder: Path, count: int) -> None:
    """Remove ``folder`` and its parents, ``count`` of them, each only while it is empty."""
    for _ in range(count):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


RECORD_SECTION = f"{DRIVER}.install"
"""The git config section where install records what uninstall puts back."""


def _record_key(name: str) -> str:
    return f"{RECORD_SECTION}.{name}"


def _previous_slot(key: str) -> str:
    """The record's name for the value ``key`` had before install (``previous-diff-agentmerge-command``)."""
    return "previous-" + key.replace(".", "-")


def _is_own_value(key: str, value: str) -> bool:
    """Whether ``value`` is what this or an earlier version of install sets ``key`` to."""
    return value == dict(_driver_config()).get(key) or value in _OLD_DRIVER_COMMANDS.get(key, ())


def _remove_empty_section(where: str, flag: str, section: str) -> None:
    """Remove ``section``'s header when no key is left under it (older git leaves an empty
    ``[diff "agentmerge"]`` behind; newer git removes it itself and then refuses to remove a
    section that is not there)."""
    if not _git_config_section(where, flag, section):
        with contextlib.suppress(AgentMergeError):
            _git(["config", flag, "--remove-section", section], where)


def _driver_config() -> tuple[tuple[str, str], ...]:
    """The git config keys install sets, with their values."""
    return (
        (f"diff.{DRIVER}.command", DRIVER_COMMAND),
        (f"merge.{DRIVER}.name", MERGE_DRIVER_NAME),
        (f"merge.{DRIVER}.driver", MERGE_DRIVER_COMMAND),
        # In a criss-cross history git first merges the merge bases with the driver and hands the
        # result, conflict markers and all, to the real merge as its base, whose markers then read
        # as instructions (one side's resolution was lost without a conflict). Git's binary driver
        # for that inner merge makes such a merge stop with a conflict, as git's own text merge does.
        (f"merge.{DRIVER}.recursive", MERGE_RECURSIVE_DRIVER),
    )


def _attribute_line(glob: str) -> str:
    return f"{glob} diff={DRIVER} merge={DRIVER}"


def _block_header(lines: list[str]) -> int:
    """Index of the line that opens install's block (this version's or an earlier one's), or -1."""
    headers = (ATTRIBUTES_HEADER, *_OLD_ATTRIBUTES_HEADERS)
    return next((n for n, line in enumerate(lines) if line.strip() in headers), -1)


def _install_target(cwd: str | Path, scope: str) -> tuple[str, str, Path]:
    """Return where to run git, the ``git config`` scope flag, and the attributes file to edit."""
    if scope == "global":
        where = str(Path(cwd).resolve())
        configured = _git_config_get(where, "--global", "core.attributesFile", path=True)
        if configured:
            return where, "--global", Path(configured)
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return where, "--global", Path(xdg) / "git" / "attributes"
    root = repository_root(cwd, hint="run it in a clone, or with --global for all your repositories")
    attributes = root / ".gitattributes"
    if attributes.is_symlink():
        # Committed by whoever published the repository, it could lead to any file of the
        # machine; git itself reads no .gitattributes of a work tree that is a link.
        raise OutputError(
            str(attributes), 0, "is a symbolic link, which git does not read; nothing was changed: make it a file"
        )
    return str(root), "--local", attributes


def _git_config_get(where: str, flag: str, key: str, *, path: bool = False, empty: bool = False) -> str | None:
    """The value of ``key`` in that config; None when unset. With ``empty``, the value exactly as
    set (an empty one included), else stripped and None when empty."""
    args = ["config", flag, *(["--type=path"] if path else []), "--get", key]
    try:
        value = _git(args, where).decode("utf-8")
    except AgentMergeError:
        return None  # git config exits 1 when the key is unset
    if empty:
        return value.removesuffix("\n")
    return value.strip() or None


def _git_config_section(where: str, flag: str, section: str) -> list[str]:
    """The keys set under ``section`` (``diff.agentmerge``) in that config."""
    try:
        out = _git(["config", flag, "--get-regexp", "^" + section.replace(".", r"\.") + r"\."], where)
    except AgentMergeError:
        return []
    return out.decode("utf-8").splitlines()


def _block_end(lines: list[str], header: int) -> int:
    """Index just past the attribute lines that follow the header at ``header``."""
    end = header + 1
    while end < len(lines) and lines[end].strip().endswith((f" diff={DRIVER}", f" merge={DRIVER}")):
        end += 1
    return end


def _read_text(path: Path) -> str | None:
    """The text of ``path`` as it is (line endings kept); None when there is no such file."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), 0, f"cannot be read ({error}); fix or remove it and retry") from None


def _split_lines(text: str) -> list[str]:
    """``text`` as lines, each with its own ending (``\\n`` or ``\\r\\n``; the last may have none)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _line_ending(lines: list[str]) -> str:
    """The ending a file's lines use: ``\\r\\n`` when its first ended line does, else ``\\n``."""
    ended = next((line for line in lines if line.endswith("\n")), "\n")
    return "\r\n" if ended.endswith("\r\n") else "\n"


def _ending(line: str, default: str) -> str:
    """The ending of ``line``, or ``default`` when it has none."""
    return line[len(line.rstrip("\r\n")) :] or default


def _content(line: str) -> str:
    """A line without its ending and surrounding blanks, as attribute lines are compared."""
    return line.strip()


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(str(path), 0, f"cannot be written ({error.strerror or error}); check permissions") from None
    write_atomic(path, text)
