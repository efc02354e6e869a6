"""Review agent changes between git revisions: find the changed agent files, diff each, report.

It asks git (``agentmerge.git``) which files changed, with git's own rename detection, picks the
agent files by the format table (``formats``) and the repository's settings, reads both sides as
bytes, hands them to ``parse`` and ``diff``, and turns the results into one report: JSON, plain
text, or Markdown sized for a pull request comment.

The review report's renderers stay here rather than in ``render``: a review report is git facts
(revisions, statuses, rename scores) around per-file diffs that ``render`` already writes. They
follow render's rules all the same: plain strings and lines, no colour.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, get_args

from agentmerge.config import (
    MAX_SETTINGS_BYTES,
    SETTINGS_FILES,
    Settings,
    read_settings,
    settings_from,
    too_large_settings,
)
from agentmerge.errors import AgentMergeError, InputError
from agentmerge.filesystem import MAX_FILE_BYTES, read_bytes, too_large
from agentmerge.formats import DEFAULT_AGENT_GLOBS, agent_by_content, agent_by_path, detect_format, glob_parts
from agentmerge.git import (
    LINK_TARGET_SHOWN,
    ChangeStatus,
    FileChange,
    blob_sizes,
    changed_files,
    default_base,
    merge_base,
    read_blobs,
    ref_exists,
    repository_root,
    resolve_commit,
    tree_files,
    working_tree_dirty,
)
from agentmerge.model import Agent, Diagnostic
from agentmerge.text import clear_text_caches, compare_form, counted

if TYPE_CHECKING:
    from agentmerge.diff import Attention, DiffResult
    from agentmerge.match import PairBudget

CONFIG_KEYS = ("agent-globs", "exclude-globs", "detect-by-content")
"""The keys ``[tool.agentmerge]`` may hold for review; others are reported and ignored."""

COMMENT_LIMIT = 65536
"""GitHub's limit on the body of an issue or pull request comment, in characters."""

ABSENT = "/dev/null"
"""The path an added file's old side and a deleted file's new side go by, as in git's diffs."""

MAX_REVIEW_FILES = 3_000
"""Most agent files one review reads: as many as GitHub lists of one pull request.

A pull request comes from anyone. Twenty thousand small agent files took 8.8 s and 400 MB to
review; a change with more than this is refused at once (exit 2), and can be reviewed in parts
with PATHSPEC."""

MAX_REVIEW_BYTES = 16 * 1024 * 1024
"""Most bytes of agent files (both sides together) one review reads: twice the public corpus of a
thousand agents, and enough for a change that reformats all of them (14 MB). Parsing costs about
a second a megabyte, and the parsed files stay in memory until the report is written."""

MAX_REVIEW_ITEMS = 150_000
"""Most instructions (items, both sides of every file together) one review pairs: two and a half
times the public corpus's 60,000. Pairing two files costs with their items; four pairs of
files of 25,000 unrelated bullets each took 20 s and 300 MB to review."""

REVIEW_FUZZY_PAIRS = 2_000_000
"""Most pairs of instructions one review weighs every one of, over all its files (about two CPU
seconds at worst). A file's reworded items are looked for among every instruction of the other
side (``match.pair_fuzzy``), a cost with the product of the two sides: forty files of a thousand
bullets from a few dozen words, within MAX_REVIEW_ITEMS, took 32 s (6 s bounded, most of it
parsing and the report). Files past it, in path order, pair by shared rare words, as ``diff``
does past ``match.FUZZY_PAIR_LIMIT``, each with a warning. The corpus with a third of its long
bullets edited weighs 0.6 million pairs; with every file replaced by another agent, 14.5
million, and bounded, 29 of its 3,820 rewordings go unfound."""

READ_AT_ONCE = 8 * 1024 * 1024
"""Bytes of blobs read from git in one go: a change's files are read in batches of about this
size, each dropped once its files are reviewed, rather than all at once."""


# --------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    """Which files count as agent files, from ``[tool.agentmerge]`` or the defaults."""

    agent_globs: tuple[str, ...] = DEFAULT_AGENT_GLOBS
    """Location and name globs that mark agent files, gitignore style, from the repository root."""
    exclude_globs: tuple[str, ...] = ()
    """Globs of files never reviewed, even when another rule says they are agent files."""
    detect_by_content: bool = True
    """Whether a Markdown file with ``name`` and ``description`` frontmatter keys counts as well."""
    source: str = ""
    """The file the settings came from, relative to the repository root; empty for the defaults."""


@dataclass(frozen=True, slots=True)
class FileReview:
    """The semantic diff of one changed agent file."""

    status: ChangeStatus
    """added, deleted, modified or renamed."""
    path: str
    """Path on the new side, relative to the repository root; for a deleted file, its old path."""
    old_path: str | None
    """Path on the old side (the same as ``path`` unless renamed); None for an added file."""
    diff: DiffResult | None
    """The diff of the old side against the new, an absent side read as an empty agent; None
    when a side could not be read as an agent file (``problem`` says why)."""
    similarity: int | None = None
    """For a rename, git's similarity index in percent; None otherwise."""
    problem: str = ""
    """Why there is no diff (for example a binary file); empty when there is one."""
    warnings: tuple[Diagnostic, ...] = ()
    """What was worked around while parsing the new side."""
    attention: tuple[Attention, ...] = ()
    """Call-outs about the file itself, where there is no diff to hold them: an agent file that is
    now a symbolic link (kind link)."""
    modes: tuple[str, str] | None = None
    """Its old and new git mode when they differ (``100644`` to ``100755``: made executable)."""
    same_content: bool = False
    """Whether both sides hold the same bytes: the change is of its path or mode alone."""

    @property
    def unchanged(self) -> str:
        """For a modified file unchanged in meaning, what did change: "formatting", "mode" or
        "formatting and mode"; empty for any other file."""
        if self.status != "modified" or self.diff is None or not self.diff.identical:
            return ""
        if self.same_content:
            return "mode"
        return "formatting and mode" if self.modes else "formatting"

    @property
    def changed(self) -> bool:
        """Whether the file changed in meaning or place: formatting-only edits are not changes."""
        if self.status != "modified" or self.diff is None:
            return True
        return not self.diff.identical


@dataclass(frozen=True, slots=True)
class Review:
    """The agent files changed between two sides of a repository, each with its diff."""

    root: str
    """Absolute path of the repository's working tree."""
    base: str
    """Full object id of the commit the changes are measured from (a merge base)."""
    base_rev: str
    """The base as the user named it (``main``, ``origin/HEAD``, a sha)."""
    head: str | None
    """Full object id of the new commit; None when the new side is the working tree."""
    head_rev: str
    """The head as the user named it; ``HEAD`` when the working tree is compared."""
    files: tuple[FileReview, ...]
    """The changed agent files, sorted by path."""
    config: ReviewConfig = field(default_factory=ReviewConfig)
    """The recognition rules of the new side's settings, which picked the files together with
    ``base_config``."""
    base_config: ReviewConfig | None = None
    """The recognition rules of the base's settings, when they differ from the new side's: a file
    either makes an agent file is reviewed, so a change cannot hide a file from its own review."""

    config_warnings: tuple[Diagnostic, ...] = ()
    """What was wrong in the settings file and ignored (unknown keys), when review read it."""
    base_name: str = ""
    """What the report calls the base: a branch name (the pull request's base branch in GitHub
    Actions), else the base as the user named it."""
    head_name: str = ""
    """What the report calls the head: a branch name, else the head as the user named it."""

    @property
    def changed(self) -> tuple[FileReview, ...]:
        """The files that changed in meaning, path or existence."""
        return tuple(f for f in self.files if f.changed)


# --------------------------------------------------------------------------------------------
# Settings


def load_config(root: Path, *, links: bool = True) -> tuple[ReviewConfig, list[Diagnostic]]:
    """Read the review settings from ``.agentmerge.toml`` or pyproject.toml's ``[tool.agentmerge]``
    in the folder ``root`` (``config.read_settings``, which ``links`` goes to).

    ``.agentmerge.toml`` wins when both exist; in it the keys may stand at the top level or under
    ``[tool.agentmerge]``. Unknown keys are reported as warnings (other commands read their own
    keys from sub-tables of the same table); a malformed file or a wrongly typed value is an error.
    """
    return _config(read_settings(root, links=links))


def _config(settings: Settings) -> tuple[ReviewConfig, list[Diagnostic]]:
    return _config_from_table(settings) if settings.source else (ReviewConfig(), [])


def _worktree_config(root: Path) -> tuple[ReviewConfig, list[Diagnostic]]:
    """The settings of the working tree under review; a settings file there that is a symbolic
    link is not followed (it could name any file of the machine) but reported."""
    config, warnings = load_config(root, links=False)
    links = [
        Diagnostic(name, 0, "is a symbolic link, which review does not follow; its settings are not read")
        for name in SETTINGS_FILES
        if (root / name).is_symlink()
    ]
    return config, [*links, *warnings]


def _commit_config(root: Path, commit: str) -> tuple[ReviewConfig, list[Diagnostic]]:
    """The settings of ``commit``, read from git: only a regular file counts, as in a checkout
    that does not follow links."""
    found = tree_files(root, commit, SETTINGS_FILES)
    blobs = read_blobs(root, [blob for blob, size in found.values() if size <= MAX_SETTINGS_BYTES])

    def read(name: str) -> bytes | None:
        if name not in found:
            return None
        blob, size = found[name]
        if size > MAX_SETTINGS_BYTES:  # not read
            raise too_large_settings(name)
        return blobs.get(blob)

    return _config(settings_from(read))


def _base_config(root: Path, commit: str) -> tuple[ReviewConfig | None, list[Diagnostic]]:
    """The settings of the base ``commit``; settings there that cannot be read are reported and
    left out, since the change under review may be what mends them."""
    try:
        return _commit_config(root, commit)[0], []
    except InputError as error:
        note = f"in the base commit {commit[:12]}: {error.message}; only the new side's settings apply"
        return None, [Diagnostic(error.path, error.line, note)]


def _config_from_table(settings: Settings) -> tuple[ReviewConfig, list[Diagnostic]]:
    table, name, line_of = settings.table, settings.source, settings.line_of

    def globs(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(name, line_of(key), f'{key} must be a list of glob strings, like ["*.agent.md"]')
        for glob in value:
            try:
                glob_parts(glob)  # what matching reads; a class no regular expression holds raises
            except re.error as error:
                raise InputError(
                    name, line_of(key), f"{key}: {glob!r} is not a glob agentmerge can read ({error.msg})"
                ) from None
        return tuple(value)

    warnings = [
        Diagnostic(
            name, line_of(key), f"unknown key {key!r} in the agentmerge settings; known: {', '.join(CONFIG_KEYS)}"
        )
        for key in table
        if key not in CONFIG_KEYS and not isinstance(table[key], dict)
    ]
    detect = table.get("detect-by-content", True)
    if not isinstance(detect, bool):
        raise InputError(name, line_of("detect-by-content"), "detect-by-content must be true or false")
    config = ReviewConfig(
        agent_globs=globs("agent-globs", DEFAULT_AGENT_GLOBS),
        exclude_globs=globs("exclude-globs", ()),
        detect_by_content=detect,
        source=name,
    )
    return config, warnings


# --------------------------------------------------------------------------------------------
# The review


def _blobs(changes: Sequence[FileChange]) -> list[str]:
    """The blob ids of both sides of ``changes``."""
    return [b for c in changes for b in (c.old_blob, c.new_blob) if b]


class _Wanted(NamedTuple):
    """A changed file that may be an agent file, and what reading it costs."""

    change: FileChange
    named: bool | None
    """Whether its paths make it an agent file (None: its content may)."""
    size: int
    """Bytes of its two sides that would be read (``_Sides.size``)."""


class _Sides:
    """The old and new bytes of changed files: blobs read from git a batch at a time, none larger
    than an agent file can be (a pull request's data files and images are never loaded)."""

    def __init__(self, root: Path, changes: Sequence[FileChange], worktree: bool) -> None:
        self.root = root
        self.worktree = worktree
        self.sizes = blob_sizes(root, _blobs(changes))
        self.blobs: dict[str, bytes] = {}

    def load(self, changes: Sequence[FileChange]) -> None:
        """Read the blobs of ``changes`` (and forget those read before)."""
        self.blobs = {}  # dropped before the next batch is read
        self.blobs = read_blobs(self.root, [b for b in _blobs(changes) if self.sizes.get(b, 0) <= MAX_FILE_BYTES])

    def size(self, change: FileChange) -> int:
        """Bytes of both sides of ``change`` that would be read, as git or the working tree has
        them, before reading: a side larger than an agent file can be is never read."""
        found = [self.sizes.get(b, 0) for b in (change.old_blob, change.new_blob) if b]
        if change.new_blob is None and change.status != "deleted" and self.worktree:
            with contextlib.suppress(OSError):  # gone: it is reported as it is read
                found.append((self.root / change.path).lstat().st_size)
        return sum(size for size in found if size <= MAX_FILE_BYTES)

    def batches(self, wanted: Sequence[_Wanted]) -> Iterator[list[_Wanted]]:
        """``wanted`` in order, in runs of about READ_AT_ONCE bytes, each run's blobs loaded
        before it is given."""
        batch: list[_Wanted] = []
        held = 0
        for found in wanted:
            if batch and held + found.size > READ_AT_ONCE:
                self.load([w.change for w in batch])
                yield batch
                batch, held = [], 0
            batch.append(found)
            held += found.size
        if batch:
            self.load([w.change for w in batch])
            yield batch
        self.blobs = {}

    def old(self, change: FileChange) -> bytes | None:
        return self._blob(change.old_blob) if change.old_blob else None

    def new(self, change: FileChange) -> bytes | None:
        if change.status == "deleted":
            return None
        if change.new_blob is not None:
            return self._blob(change.new_blob)
        target = self.root / change.path
        if self.worktree and target.is_file() and not target.is_symlink():
            return read_bytes(target)
        return None

    def _blob(self, blob: str) -> bytes | None:
        """The blob's bytes; InputError when it is larger than MAX_FILE_BYTES (it was not read)."""
        if self.sizes.get(blob, 0) > MAX_FILE_BYTES:
            raise InputError("", 0, too_large())
        return self.blobs.get(blob)


class _Budget:
    """What one review has taken on, against MAX_REVIEW_FILES, MAX_REVIEW_BYTES and MAX_REVIEW_ITEMS."""

    def __init__(self) -> None:
        self.files = self.size = self.items = 0

    def check_named(self, files: int, size: int) -> None:
        """Refuse at once a change whose files named as agents are more than a review reads."""
        if _past_limits(files, size, 0):
            raise _too_much(f"{files:,} agent files ({size / 1e6:.1f} MB), more")

    def spend(self, *, files: int = 0, size: int = 0, items: int = 0) -> None:
        """Count what a file brings; AgentMergeError once the review holds more than it reads."""
        self.files += files
        self.size += size
        self.items += items
        if _past_limits(self.files, self.size, self.items):
            raise _too_much("more agent files")


def _past_limits(files: int, size: int, items: int) -> bool:
    return files > MAX_REVIEW_FILES or size > MAX_REVIEW_BYTES or items > MAX_REVIEW_ITEMS


def _too_much(found: str) -> AgentMergeError:
    return AgentMergeError(
        "",
        0,
        f"this change holds {found} than one review reads (at most {MAX_REVIEW_FILES:,} files, "
        f"{MAX_REVIEW_BYTES / 2**20:g} MiB and {MAX_REVIEW_ITEMS:,} instructions in all): review it in parts, "
        "naming folders or files as PATHSPEC",
    )


class _Read(NamedTuple):
    """A changed agent file, both sides parsed (an absent side as an empty agent)."""

    change: FileChange
    old: Agent
    new: Agent
    paired_by: str = ""
    """For a deletion and an addition read as one renamed file (``_renames_git_missed``), what
    they share: ``name 'code-reviewer'``."""
    same_content: bool = False
    """Whether both sides hold the same bytes."""


def _read_file(
    change: FileChange, named: bool | None, sides: _Sides, budget: _Budget, rules: Sequence[ReviewConfig]
) -> _Read | FileReview | None:
    """One changed file parsed and counted in ``budget``; a FileReview with the problem when it
    cannot be read; None when it is no agent file. ``named``: whether its paths make it one
    (None: its content may). A file renamed into an agent file from one that was none is read
    against an empty old side, as added, and one renamed out of agent files against an empty new
    side (``_agent_sides``): a tool loads the one and no longer the other."""
    from agentmerge.parse import parse_bytes, parse_text

    try:
        old, new = sides.old(change), sides.new(change)
    except InputError as error:
        # Too large for an agent file: one named as one is reported, any other is none.
        return (
            FileReview(change.status, change.path, change.old_path, None, change.similarity, error.message)
            if named
            else None
        )
    if not named and not agent_by_content(((change.old_path, old), (change.path, new))):
        return None
    budget.spend(files=1, size=len(old or b"") + len(new or b""))
    was_agent, is_agent = _agent_sides(change, old, new, rules)
    old = old if was_agent else None
    new = new if is_agent else None
    # An absent side is an agent with nothing in it, named as git names it.
    old_name = change.old_path or change.path
    both = old is not None and new is not None
    try:
        old_agent = parse_bytes(old, old_name) if old is not None else parse_text("", ABSENT)
    except AgentMergeError as error:
        return _unreadable(change, error, "old" if both else "")
    try:
        new_agent = parse_bytes(new, change.path) if new is not None else parse_text("", ABSENT)
    except AgentMergeError as error:
        return _unreadable(change, error, "new" if both else "")
    budget.spend(items=sum(1 for _ in old_agent.items()) + sum(1 for _ in new_agent.items()))
    return _Read(change, old_agent, new_agent, same_content=both and old == new)


def _agent_sides(
    change: FileChange, old: bytes | None, new: bytes | None, rules: Sequence[ReviewConfig]
) -> tuple[bool, bool]:
    """Whether each side of a rename is an agent file, by its own path or content: a rename
    pairs a file with its old path whatever each is, and a notes file moved into
    ``.cursor/rules/`` is an agent only on the new side. Any other change: both sides are."""
    if change.status != "renamed" or not change.old_path:
        return True, True

    def agent(path: str, data: bytes | None) -> bool:
        named = _named_paths((path,), rules)
        return named is True or (named is None and agent_by_content(((path, data),)))

    was, now = agent(change.old_path, old), agent(change.path, new)
    return (was, now) if was or now else (True, True)


def _unreadable(change: FileChange, error: AgentMergeError, side: str) -> FileReview:
    """The review of a file a side of which the parser refuses: why, at which line, and of which
    ``side`` when both are there (they share a path unless renamed)."""
    where = f"line {error.line}" + (f" of the {side} side" if side else "") if error.line else ""
    problem = f"{where}: {error.message}" if where else error.message
    return FileReview(change.status, change.path, change.old_path, None, change.similarity, problem)


def _link(change: FileChange) -> bool:
    """Whether the change leaves a symbolic link where an agent file may be read, or deletes one.
    (A link that became a file is read as that file, against an empty old side.)"""
    return change.new_link is not None or (change.old_link is not None and change.status == "deleted")


def _link_reviews(root: Path, links: Sequence[FileChange]) -> list[FileReview]:
    """A review of each symbolic link among the changed agent files: not followed (it may lead to
    any file of the machine that reads it, ``/etc/passwd`` or a file outside the checkout), its
    target quoted so the reviewer sees where it leads. Targets are read in one git run."""
    from agentmerge.diff import Attention
    from agentmerge.text import clip

    targets = read_blobs(root, [b for c in links for b in (c.old_link, c.new_link) if b]) if links else {}

    def target(blob: str | None, path: str) -> str:
        if blob:
            text = targets.get(blob, b"").decode("utf-8", "replace")
        else:
            try:
                text = os.readlink(root / path)
            except OSError:
                text = "?"
        return repr(clip(text, LINK_TARGET_SHOWN))

    reviews = []
    for change in links:
        if change.new_link is None:
            problem = f"a symbolic link to {target(change.old_link, change.path)}, deleted"
            reviews.append(FileReview(change.status, change.path, change.old_path, None, change.similarity, problem))
            continue
        leads = target(change.new_link, change.path)
        if change.old_link is not None:
            was = target(change.old_link, change.old_path or change.path)
            problem = f"a symbolic link, now to {leads} (it led to {was}), which is not followed"
        elif change.status == "modified":
            problem = f"now a symbolic link to {leads} (it was a file), which is not followed"
        else:
            problem = f"a symbolic link to {leads}, which is not followed"
        # What loads the agent reads the file the link leads to: the reviewer must see where.
        call_out = Attention("link", f"symbolic link to {leads}: the agent is read from that file", None)
        reviews.append(
            FileReview(
                change.status, change.path, change.old_path, None, change.similarity, problem, attention=(call_out,)
            )
        )
    return reviews


def _review_file(read: _Read, root: Path, threshold: float | None, pairs: PairBudget) -> FileReview:
    """The review of one changed agent file: the diff of its two sides, weighing pairs of
    instructions within what ``pairs`` has left."""
    from agentmerge.diff import diff_agents

    change = read.change
    bounded = pairs.bounded
    diff = diff_agents(read.old, read.new, threshold=threshold, budget=pairs)
    # The new side is what the change brings in; the old side's problems are not news.
    warnings = read.new.warnings
    if read.paired_by:
        message = (
            f"git reports {change.old_path} deleted and {change.path} added; they are one agent "
            f"({read.paired_by}), compared as a rename"
        )
        warnings = (Diagnostic(change.path, 0, message, "rename"), *warnings)
    if pairs.bounded > bounded:
        message = (
            f"reworded instructions were looked for among those sharing a rare word only: this review "
            f"had weighed its {REVIEW_FUZZY_PAIRS:,} pairs of instructions in full; review the file alone "
            "(PATHSPEC) for every pair"
        )
        warnings = (*warnings, Diagnostic(change.path, 0, message, "review-budget"))
    return FileReview(
        status=change.status,
        path=change.path,
        old_path=change.old_path,
        diff=diff,
        similarity=change.similarity,
        warnings=warnings,
        attention=tuple(_read_otherwise(change, root)),
        modes=change.modes,
        same_content=read.same_content,
    )


def _read_otherwise(change: FileChange, root: Path) -> Iterator[Attention]:
    """A call-out for a file renamed to a path that makes it another kind of file, or none
    (``formats.detect_format`` by path under the repository ``root``): moved into
    ``.claude/agents/``, a file Claude Code did not load is now a subagent, whatever its content
    and however little it changed; moved out, it no longer is one."""
    from agentmerge.diff import Attention

    if change.status != "renamed" or not change.old_path:
        return
    was, now = detect_format(str(root / change.old_path)), detect_format(str(root / change.path))
    if (was and was.name) == (now and now.name):
        return
    if was is None:
        assert now is not None
        message = f"moved here from {change.old_path}: its path now makes it a {now.title}, which it was not"
    elif now is None:
        message = f"moved here from {change.old_path}: its path no longer makes it a {was.title}"
    else:
        message = f"moved here from {change.old_path}: its path now makes it a {now.title}, no longer a {was.title}"
    yield Attention("scope", message, None)


def _renames_git_missed(found: list[_Read | FileReview]) -> list[_Read | FileReview]:
    """``found`` with each deleted agent file and added one that are the same agent read as one
    renamed file: git finds a rename by shared lines (half of them), which a formatting pass in
    the same commit takes away, and the review then said every instruction was removed and every
    one added. The same agent is the same ``name``, held by one deleted and one added file alone;
    of the files left unpaired, the same ``description`` held likewise (a Cursor rule has no
    name, and a rename often renames the agent too); of those still left, the same instructions
    (``_instructions``): at least RENAME_SHARED of the larger file's, the one deleted file and the
    one added file that share so much with each other alone (a rename that gives the agent a new
    name and description both)."""
    renamed: dict[str, _Read] = {}

    def unpaired(status: str) -> list[_Read]:
        return [r for r in found if isinstance(r, _Read) and r.change.status == status and r.change.path not in renamed]

    def pair(old: _Read, new: _Read, what: str) -> None:
        change = replace(new.change, status="renamed", old_path=old.change.path, old_blob=old.change.old_blob)
        renamed[old.change.path] = renamed[new.change.path] = _Read(change, old.old, new.new, what)

    for kind in ("name", "description"):
        gone: dict[str, list[_Read]] = {}
        came: dict[str, list[_Read]] = {}
        for read in unpaired("deleted"):
            if (key := _identity(read.old, kind)) is not None:
                gone.setdefault(key, []).append(read)
        for read in unpaired("added"):
            if (key := _identity(read.new, kind)) is not None:
                came.setdefault(key, []).append(read)
        for key, olds in gone.items():
            news = came.get(key, [])
            if len(olds) == 1 and len(news) == 1:
                pair(olds[0], news[0], f"name {key!r}" if kind == "name" else "the same description")
    deleted = [(read, _instructions(read.old)) for read in unpaired("deleted")]
    added = [(read, _instructions(read.new)) for read in unpaired("added")]
    close = [
        (old, new, len(was & now), max(len(was), len(now)))
        for old, was in deleted
        for new, now in added
        if was and now and len(was & now) >= RENAME_SHARED * max(len(was), len(now))
    ]
    for old, new, shared, of in close:
        if sum(1 for o, *_ in close if o is old) == 1 and sum(1 for _, n, *_ in close if n is new) == 1:
            pair(old, new, f"{shared} of {of} instructions the same")
    kept: list[_Read | FileReview] = []
    for entry in found:
        if isinstance(entry, _Read) and entry.change.path in renamed:
            if entry.change.status == "added":
                kept.append(renamed[entry.change.path])
        else:
            kept.append(entry)
    return kept


RENAME_SHARED = 0.5
"""Share of the larger file's instructions that a deleted agent file and an added one must have
the same, as written apart from formatting, to be one agent renamed: git's own rename test asks
half of the lines."""


def _instructions(agent: Agent) -> frozenset[str]:
    """The distinct instructions of ``agent`` as they compare (``text.compare_form``: formatting,
    case and markup aside)."""
    return frozenset(form for _, item in agent.items() if (form := compare_form(item.text)))


def _identity(agent: Agent, kind: str) -> str | None:
    """What names an agent across a rename: its ``name`` (``Agent.declared_name``) or its
    ``description``, as ``kind`` says; None when it has none."""
    if kind == "name":
        return agent.declared_name()
    found = agent.field("description")
    if found is not None and isinstance(found.value, str) and found.value.strip():
        return found.value.strip()
    return None


def _named(change: FileChange, rules: Sequence[ReviewConfig]) -> bool | None:
    """Whether the paths of ``change`` make it an agent file under any of ``rules`` (None: its
    content may; False: none reads it)."""
    return _named_paths((change.old_path, change.path), rules)


def _named_paths(paths: Sequence[str | None], rules: Sequence[ReviewConfig]) -> bool | None:
    """Whether ``paths`` (of one file's sides) make it an agent file under any of ``rules``, as
    ``_named`` tells."""
    found = [
        agent_by_path(
            paths,
            globs=config.agent_globs,
            exclude=config.exclude_globs,
            by_content=config.detect_by_content,
        )
        for config in rules
    ]
    return True if True in found else None if None in found else False


def _refuse_revision_as_path(root: Path, cwd: Path, spec: str) -> None:
    """Stop when PATHSPEC ``spec`` is no path here but names a commit or a range of them:
    ``review main HEAD`` or ``review main...feature`` means revisions, and read as paths they
    would match nothing and report no change at all."""
    if spec.startswith(("-", ":")) or any(c in spec for c in "*?[") or os.path.lexists(cwd / spec):
        return
    if ref_exists(root, spec):
        raise AgentMergeError(
            "", 0, f"{spec!r} names a revision, not a path; compare revisions with --base {spec} (and --head REV)"
        )
    # git's A..B and A...B, either side empty for HEAD: review reads both as A...B, from the
    # merge base, which is what a pull request shows.
    start, dots, end = spec.partition("...") if "..." in spec else spec.partition("..")
    if dots and all(ref_exists(root, side or "HEAD") for side in (start, end)):
        options = f"--base {start or 'HEAD'}" + (f" --head {end}" if end else "")
        raise AgentMergeError(
            "", 0, f"{spec!r} is a range of revisions, not a path; review it with {options} (from their merge base)"
        )


def review(
    cwd: str | Path = ".",
    *,
    base: str | None = None,
    head: str | None = None,
    pathspecs: Sequence[str] = (),
    threshold: float | None = None,
    config: ReviewConfig | None = None,
    base_name: str | None = None,
    head_name: str | None = None,
) -> Review:
    """Review the agent files changed from ``base`` to ``head`` in the repository at ``cwd``.

    ``base`` defaults to the default branch; the comparison starts at its merge base with the
    head, as ``git diff BASE...HEAD`` does, so changes that landed on the base meanwhile are not
    shown. Without ``head`` the new side is HEAD, or the working tree when it is dirty (committed
    and uncommitted changes together, untracked files included). ``base_name`` and ``head_name``
    are what the report calls the two sides (branch names), when the revisions are commit ids.
    """
    from agentmerge.match import PairBudget

    root = repository_root(cwd)
    if not ref_exists(root, "HEAD"):
        raise AgentMergeError("", 0, "the repository has no commits yet; commit once, then review")
    for spec in pathspecs:
        _refuse_revision_as_path(root, Path(cwd), spec)
    base_rev = base if base else default_base(root)
    base_commit = resolve_commit(root, base_rev, option="--base")
    head_rev = head if head else "HEAD"
    head_commit = resolve_commit(root, head_rev, option="--head")
    start = merge_base(root, base_commit, head_commit, base_rev=base_rev, head_rev=head_rev)
    # A clean working tree is HEAD: name the commit rather than "the working tree".
    new_side = head_commit if head or not working_tree_dirty(root) else None
    # The settings of both sides pick the files: a change can widen what its review reads, never
    # narrow it (a pull request's settings could otherwise exclude its own agent files).
    config_warnings: list[Diagnostic] = []
    base_config: ReviewConfig | None = None
    if config is None:
        config, config_warnings = _commit_config(root, new_side) if new_side else _worktree_config(root)
        base_config, base_warnings = _base_config(root, start)
        config_warnings += base_warnings
    rules = [config] if base_config in (None, config) else [config, base_config]

    changes = changed_files(root, start, new_side, pathspecs, cwd=Path(cwd).resolve())
    # Only a file its paths make an agent file, or whose content may, is read at all. A symbolic
    # link has no content of its own to tell: it is one only by its paths, and never followed.
    decided = [(change, _named(change, rules)) for change in changes]
    links = [change for change, named in decided if named and _link(change)]
    maybe = [(change, named) for change, named in decided if named is not False and not _link(change)]
    sides = _Sides(root, [change for change, _ in maybe], new_side is None)
    wanted = [_Wanted(change, named, sides.size(change)) for change, named in maybe]
    # Files their paths make agents are counted before anything is read; all are read and counted
    # before any is diffed (what costs most), so a change a review does not take costs little.
    named = [w for w in wanted if w.named]
    budget = _Budget()
    budget.check_named(len(named) + len(links), sum(w.size for w in named))
    found: list[_Read | FileReview] = [
        read
        for batch in sides.batches(wanted)
        for w in batch
        if (read := _read_file(w.change, w.named, sides, budget, rules)) is not None
    ]
    found = _renames_git_missed(found)
    found.extend(_link_reviews(root, links))
    # Files are diffed in path order, which is the order they take from the pair budget.
    found.sort(key=lambda read: read.change.path if isinstance(read, _Read) else read.path)
    pairs = PairBudget(REVIEW_FUZZY_PAIRS)
    reviews = []
    for read in found:
        if isinstance(read, _Read):
            reviews.append(_review_file(read, root, threshold, pairs))
            clear_text_caches()  # what one file says is seldom asked of the next
        else:
            reviews.append(read)
    return Review(
        root=str(root),
        base=start,
        base_rev=base_rev,
        head=new_side,
        head_rev=head_rev,
        files=tuple(reviews),
        config=config,
        base_config=None if len(rules) == 1 else base_config,
        config_warnings=tuple(config_warnings),
        base_name=base_name or base_rev,
        head_name=head_name or head_rev,
    )


# --------------------------------------------------------------------------------------------
# Reports


def review_to_dict(report: Review) -> dict[str, Any]:
    """Return the review as JSON-ready data (review JSON, version 1)."""
    return {**_review_header(report), "files": [_file_to_dict(f) for f in report.files]}


def render_review_json(report: Review) -> Iterator[str]:
    """The review JSON in pieces, one per file: exactly ``to_json(review_to_dict(report))``, never
    held whole (a review of a thousand added agents is 50 MB of JSON; ``render.json_pieces``)."""
    from agentmerge.render import json_pieces

    return json_pieces(_review_header(report), "files", map(_file_to_dict, report.files))


def _review_header(report: Review) -> dict[str, Any]:
    """The review JSON's keys before ``files``."""
    return {
        "version": 1,
        "base": report.base,
        "base_rev": report.base_rev,
        "head": report.head,
        "head_rev": report.head_rev if report.head else "working tree",
        "base_name": report.base_name or report.base_rev,
        "head_name": (report.head_name or report.head_rev) if report.head else "working tree",
        "config": report.config.source or None,
        "base_config": (report.base_config.source or "defaults") if report.base_config else None,
    }


def _file_to_dict(f: FileReview) -> dict[str, Any]:
    from agentmerge.render import attention_to_dict, diff_to_dict, warnings_to_list

    return {
        "path": f.path,
        "old_path": f.old_path,
        "status": f.status,
        "similarity": f.similarity,
        "identical": (f.diff.identical if f.diff is not None else None),
        "modes": {"old": f.modes[0], "new": f.modes[1]} if f.modes else None,
        "error": f.problem or None,
        "warnings": warnings_to_list(f.warnings),
        "attention": [attention_to_dict(a) for a in f.attention],
        "diff": diff_to_dict(f.diff) if f.diff is not None else None,
    }


def render_review_text(report: Review) -> Iterator[str]:
    """Yield the review as plain text: a header, what needs attention, then each file's diff;
    control characters from the repository (in paths, branch names, problems) shown escaped, and
    a line break in one as ``\\n``, so a file's name cannot start a line of its own."""
    from agentmerge.render import one_line

    for line in _review_lines(report):
        yield one_line(line)


def _review_lines(report: Review) -> Iterator[str]:
    from agentmerge.render import attention_line, render_diff_text

    yield f"{_sides(report, code=False)}: {_count(report)}"
    for f, attention in attention_of(report):
        yield f"  ! {f.path}:{'' if attention.line is not None else ' '}{attention_line(attention)}"
    for f in report.files:
        yield ""
        where = f"{f.old_path} -> {f.path}" if f.status == "renamed" else f.path
        extra = f" ({f.similarity}% similar)" if f.similarity else ""
        yield f"{f.status} {where}{extra}"
        if f.diff is None:
            yield f"  not compared: {f.problem}"
        elif f.diff.identical:
            yield f"  {_unchanged_note(f)}"
        else:
            if f.modes:
                yield f"  mode {f.modes[0]} -> {f.modes[1]}"
            yield from render_diff_text(f.diff)


def render_review_markdown(report: Review, *, limit: int = COMMENT_LIMIT) -> str:
    """Return the review as Markdown: a summary table, then one collapsible block per file.

    The text never exceeds ``limit`` characters (GitHub's comment limit by default): blocks that
    do not fit are cut at a line, with open code fences closed, and a note says what was left out.
    """
    head = [f"### agentmerge review: {_count(report)}", "", f"{_sides(report, code=True)}.", ""]
    head.extend(_attention_markdown(report, limit // 4))
    rows: list[str] = []
    if report.files:
        rows = [
            "| File | Status | Added | Removed | Reworded | Moved | Frontmatter | \u26a0 Attention |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
        ]
        for f in report.files:
            if f.diff is None:
                status, counts, keys = f"{f.status} (not compared)", [""] * 4, ""
                attention = f"\u26a0 {len(f.attention)}" if f.attention else ""
            else:
                summary = f.diff.summary
                counts = [str(n) for n in (summary.added, summary.removed, summary.reworded, summary.moved)]
                keys = ", ".join(_cell(k) for k in sorted({c.key for c in f.diff.frontmatter}))
                status = f"modified ({f.unchanged} only)" if f.unchanged else f.status
                called = len(f.attention) + len(f.diff.attention)
                attention = f"\u26a0 {called}" if called else ""
            rows.append("| " + " | ".join([_file_cell(f), status, *counts, keys, attention]) + " |")
    # Room kept for the closing note, which is short; the table and the blocks share the rest.
    budget = limit - 400
    out = "\n".join(head) + "\n"
    listed = 0
    for row in rows:
        if len(out) + len(row) + 1 > budget:
            break
        out += row + "\n"
        listed += 1
    listed = max(0, listed - 2)  # the header rows
    if listed < len(report.files):
        out += (
            f"\n_The table lists {listed:,} of {counted(len(report.files), 'file')}; the rest and every file's "
            f"diff are not shown in full, {_within(limit)}. "
            "Run `agentmerge review` locally for all of it._\n"
        )
        return out[:limit]
    shown = 0
    for f in report.files:
        block = _details(f)
        room = budget - len(out)
        if len(block) <= room:
            out += block
            shown += 1
            continue
        cut = _cut_details(f, block, room)
        if cut:
            out += cut
        break
    if shown < len(report.files):
        out += (
            f"\n_{len(report.files) - shown:,} of {counted(len(report.files), 'file')} "
            f"{'is' if len(report.files) - shown == 1 else 'are'} not shown in full: the report is "
            f"cut {_within(limit)}. Run `agentmerge review` locally for all of it._\n"
        )
    return out[:limit]


def attention_of(report: Review) -> Iterator[tuple[FileReview, Attention]]:
    """Every change of the review that needs a reviewer's attention, file by file."""
    for f in report.files:
        yield from ((f, attention) for attention in f.attention)
        if f.diff is not None:
            for attention in f.diff.attention:
                yield f, attention


ATTENTION_SHOWN = 50
"""Most attention entries listed at the top of a Markdown review; a note counts the rest."""


def _within(limit: int) -> str:
    """What the Markdown report was cut to: ``limit`` is ``--max-chars``, which may be far below
    GitHub's comment limit (the note called a 2,000-character cut "GitHub's 2,000-character
    limit")."""
    return f"to stay within {limit:,} characters (`--max-chars`; a GitHub comment holds {COMMENT_LIMIT:,})"


def _attention_markdown(report: Review, room: int) -> list[str]:
    """The "needs attention" list of a Markdown review: every widening, model or permission
    change, polarity flip and removed safety instruction, each with its file and line, outside
    any collapsed block; at most ``room`` characters (and ATTENTION_SHOWN entries). The kinds
    come in the order of ``diff.AttentionKind``, file and line order within each: many call-outs
    of one kind in one file cannot push text a reader does not see, or a widening, past the cap."""
    from agentmerge.diff import AttentionKind
    from agentmerge.render import markdown_code, markdown_text

    first = get_args(AttentionKind)
    found = sorted(attention_of(report), key=lambda entry: first.index(entry[1].kind))
    if not found:
        return []
    lines = [f"**\u26a0 Needs attention ({len(found):,})**", ""]
    used = sum(len(line) + 1 for line in lines)
    shown = 0
    for f, attention in found:
        where = f" L{attention.line}" if attention.line is not None else ""
        line = f"- {markdown_code(f.path)}{where}: {markdown_text(attention.message, line_start=False)}"
        if shown == ATTENTION_SHOWN or used + len(line) + 1 > room:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    if shown < len(found):
        lines.append(f"- _and {len(found) - shown:,} more in the files below_")
    lines.append("")
    return lines


_COMMIT_RE = re.compile(r"[0-9a-fA-F]{7,64}")


def _sides(report: Review, *, code: bool) -> str:
    """The report's header sentence: the head's name (a branch, not a commit id, when it has one)
    and the base's, with the commits compared."""
    from agentmerge.render import markdown_code

    def q(text: str) -> str:
        return markdown_code(text) if code else text

    def named(name: str) -> bool:
        return bool(name) and not _COMMIT_RE.fullmatch(name)

    base_name = report.base_name or report.base_rev
    base = f"{q(base_name)} (merge base {q(report.base[:10])})" if named(base_name) else q(report.base[:10])
    if report.head is None:
        return f"Changes in the working tree since {base}"
    head_name = report.head_name or report.head_rev
    head = f"{q(head_name)} ({q(report.head[:10])})" if named(head_name) else q(report.head[:10])
    return f"Changes on {head} since {base}"


def _count(report: Review) -> str:
    """How many agent files changed, as --exit-code and the Action's ``changed`` count them, and
    how many only in formatting or mode."""
    n = len(report.files)
    if not n:
        return "no agent files changed"
    changed = len(report.changed)
    mode = sum(1 for f in report.files if f.unchanged == "mode")
    rest = [
        f"{n - changed - mode:,} only in formatting" if n - changed > mode else "",
        f"{mode:,} only in mode" if mode else "",
    ]
    unchanged = ", ".join(part for part in rest if part)
    if not changed:
        return f"no agent files changed in meaning, {unchanged}"
    return f"{counted(changed, 'agent file')} changed" + (f", {unchanged}" if unchanged else "")


def _unchanged_note(f: FileReview) -> str:
    """What a file with no change in meaning says of itself: "no change in meaning (formatting
    only)" when its formatting changed (``FileReview.unchanged``; a renamed file whose bytes differ
    too), else "content unchanged" (a rename, a mode change); a changed mode follows ("mode 100644
    -> 100755")."""
    mode = f"mode {f.modes[0]} -> {f.modes[1]}" if f.modes else ""
    if f.unchanged.startswith("formatting") or (f.status == "renamed" and not f.same_content):
        return f"no change in meaning (formatting only{'; ' + mode if mode else ''})"
    return "content unchanged" + (f"; {mode}" if mode else "")


def _cell(text: str) -> str:
    """``text`` as inline code in a table cell."""
    from agentmerge.render import markdown_code

    return markdown_code(text, table=True)


def _file_cell(f: FileReview) -> str:
    if f.status == "renamed" and f.old_path:
        return f"{_cell(f.path)} (was {_cell(f.old_path)})"
    return _cell(f.path)


def _summary_line(f: FileReview) -> str:
    import html

    from agentmerge.render import one_line

    where = html.escape(one_line(f.path))
    if f.status == "renamed" and f.old_path:
        where = f"{html.escape(one_line(f.old_path))} \u2192 {where}"
    return f"<details><summary><code>{where}</code> ({f.status})</summary>"


def _details_body(f: FileReview) -> str:
    from agentmerge.render import markdown_text, render_diff_markdown

    # The file's warnings open its block: a reader of the comment never sees the command's log.
    warned = "".join(f"\u26a0 {f'line {w.line}: ' if w.line else ''}{markdown_text(w.message)}\n\n" for w in f.warnings)
    if f.diff is None:
        return f"{warned}Not compared: {markdown_text(f.problem)}"
    if f.diff.identical:
        note = _unchanged_note(f)
        return f"{warned}{note[0].upper()}{note[1:]}."
    text = render_diff_markdown(f.diff).strip("\n")
    # The diff's own heading repeats the paths the <summary> line already shows.
    first, _, rest = text.partition("\n")
    # A mode changed with the content is said too (an agent file made executable).
    mode = f"Mode {f.modes[0]} -> {f.modes[1]}.\n\n" if f.modes else ""
    return warned + mode + (rest.strip("\n") if first.startswith("#### ") else text)


def _details(f: FileReview) -> str:
    return f"\n{_summary_line(f)}\n\n{_details_body(f)}\n\n</details>\n"


def _cut_details(f: FileReview, block: str, room: int) -> str:
    """Return the block of ``f`` cut at a line to fit ``room`` characters, or empty when too little fits.

    Code fences and ``<details>`` elements left open by the cut are closed, so what follows the
    block still renders as intended.
    """
    opening = f"\n{_summary_line(f)}\n\n"
    closing = "\n\n_(cut here to fit the comment size limit)_\n\n</details>\n"
    space = room - len(opening) - len(closing)
    if space < 200:
        return ""
    kept: list[str] = []
    used = 0
    fence = ""  # the open code fence's run of backticks or tildes; empty outside a fence
    indent = ""  # what stands before the open fence on its line: its closing goes there too
    depth = 0
    for line in _details_body(f).split("\n"):
        stripped = line.strip()
        run = re.match(r"`{3,}|~{3,}", stripped)
        next_fence, next_indent = fence, indent
        if not fence and run:
            next_fence, next_indent = run.group(0), line[: len(line) - len(line.lstrip())]
        elif (
            fence
            and run
            and stripped == run.group(0)
            and run.group(0)[0] == fence[0]
            and len(run.group(0)) >= len(fence)
        ):
            next_fence = ""  # a closing fence: the same character, at least as long, nothing after it
        next_depth = depth
        if not next_fence and not fence:
            next_depth += stripped.count("<details>") - stripped.count("</details>")
        closers = (len(next_indent) + len(next_fence) + 1) + max(0, next_depth) * len("\n\n</details>")
        if used + len(line) + 1 + closers > space:
            break
        kept.append(line)
        used += len(line) + 1
        fence, indent, depth = next_fence, next_indent, next_depth
    body = "\n".join(kept)
    if fence:
        # At the fence's own indentation: at the margin, a fence opened inside a list item would
        # end the item and open a code block that ran to the end of the comment.
        body += "\n" + indent + fence
    body += "\n\n</details>" * max(0, depth)
    return opening + body + closing
