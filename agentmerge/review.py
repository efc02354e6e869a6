"""Review agent changes between git revisions: find the changed agent files, diff each, report.

This module is the one place that talks to git and to GitHub. It asks git which files changed
(with git's own rename detection), reads both sides as bytes, hands them to ``parse`` and
``diff``, and turns the results into one report: JSON, plain text, or Markdown sized for a pull
request comment. ``agentmerge git install`` lives here too, since it is git configuration.

Git is run as a subprocess with ``-z`` output everywhere, so paths with spaces, quotes or
non-ASCII characters need no unquoting.

The review report's renderers stay here rather than in ``render``: a review report is git facts
(revisions, statuses, rename scores) around per-file diffs that ``render`` already writes, and
keeping it beside the plumbing keeps ``render`` free of git. They follow render's rules all the
same: plain strings and lines, no colour.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.formats import DEFAULT_AGENT_GLOBS, is_agent_file
from agentmerge.model import Diagnostic

if TYPE_CHECKING:
    from agentmerge.diff import DiffResult

ChangeStatus = Literal["added", "deleted", "modified", "renamed"]

CONFIG_KEYS = ("agent-globs", "exclude-globs", "detect-by-content")
"""The keys ``[tool.agentmerge]`` may hold for review; others are reported and ignored."""

COMMENT_LIMIT = 65536
"""GitHub's limit on the body of an issue or pull request comment, in characters."""

COMMENT_MARKER = "<!-- agentmerge-review -->"
"""Hidden first line of the pull request comment, used to find and update the previous one."""

DRIVER = "agentmerge"
"""Name of the git diff driver: ``diff.agentmerge.command`` and ``diff=agentmerge`` attributes."""

DRIVER_COMMAND = "agentmerge diff"
"""What git runs as the diff driver; it receives git's seven external-diff arguments."""

ATTRIBUTES_HEADER = "# agentmerge: semantic diff for agent files (agentmerge git install)"
"""Comment line that opens the block of attributes ``git install`` writes, and marks it for removal."""

GITHUB_TIMEOUT = 30.0
"""Seconds one request to the GitHub API may take before the comment is given up."""

GITHUB_MAX_PAGES = 30
"""Pages of 100 comments searched for the previous report before a new comment is posted."""

ABSENT = "/dev/null"
"""The path an added file's old side and a deleted file's new side go by, as in git's diffs."""

_ZERO_SHA = "0" * 40

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
    """The recognition rules that picked the files."""

    @property
    def changed(self) -> tuple[FileReview, ...]:
        """The files that changed in meaning, path or existence."""
        return tuple(f for f in self.files if f.changed)


@dataclass(frozen=True, slots=True)
class GitHubContext:
    """What a GitHub Actions run says about the pull request it runs for."""

    api_url: str
    """Base URL of the REST API (``GITHUB_API_URL``), without a trailing slash."""
    repository: str
    """``owner/name`` of the repository (``GITHUB_REPOSITORY``); empty outside Actions."""
    pull_request: int | None
    """Number of the pull request the event is about; None for other events."""
    base: str | None
    """The revision to compare from, from the event (base sha, ``before``, or ``origin/<base_ref>``)."""
    head: str | None
    """The revision to compare to, from the event (head sha or ``after``)."""
    summary_path: str | None
    """The job summary file (``GITHUB_STEP_SUMMARY``) the Markdown report is appended to."""
    output_path: str | None
    """The step output file (``GITHUB_OUTPUT``) where ``changed=N`` is written."""
    token: str = field(default="", repr=False)
    """The token the comment is posted with (``GITHUB_TOKEN``); kept out of ``repr``."""


# --------------------------------------------------------------------------------------------
# Git plumbing


def _git(args: Sequence[str], cwd: str | Path, *, env: Mapping[str, str] | None = None, stdin: bytes = b"") -> bytes:
    """Run git and return its standard output; a failure becomes one AgentMergeError line."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["LC_ALL"] = "C"
    full_env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
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


def repository_root(cwd: str | Path = ".") -> Path:
    """Return the top of the working tree that contains ``cwd``; an error outside a repository."""
    where = str(Path(cwd).resolve())
    if not Path(where).is_dir():
        raise InputError(where, 0, "is not a directory; run agentmerge review inside a git repository")
    try:
        out = _git(["rev-parse", "--show-toplevel"], where)
    except AgentMergeError:
        raise InputError(where, 0, "is not inside a git working tree; run agentmerge review in a clone") from None
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
        if _ref_exists(root, ref):
            return name
    raise AgentMergeError("", 0, "found no default branch (origin/HEAD, main or master); pass --base REV")


def _ref_exists(root: Path, ref: str) -> bool:
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
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
            _git(
                ["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"],
                where,
                env=env,
                stdin=untracked,
            )
        raw = _git([*diff_args, base, *spec], where, env=env)
    return _parse_raw(raw, worktree=True)


def _parse_raw(raw: bytes, *, worktree: bool = False) -> list[FileChange]:
    """Read ``git diff --raw -z --no-abbrev`` output into changes (regular files only)."""
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
        old_blob = old_sha if old_file and old_sha != _ZERO_SHA else None
        new_blob = None if worktree or not new_file or new_sha == _ZERO_SHA else new_sha
        kind = letter[0]
        if kind == "R":
            if not (old_file or new_file):
                continue
            changes.append(FileChange("renamed", paths[1], paths[0], old_blob, new_blob, int(letter[1:] or 0) or None))
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
            changes.append(FileChange("modified", paths[0], paths[0], old_blob, new_blob))
    return changes


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
# Settings


def load_config(root: Path) -> tuple[ReviewConfig, list[Diagnostic]]:
    """Read the review settings from ``.agentmerge.toml`` or pyproject.toml's ``[tool.agentmerge]``.

    ``.agentmerge.toml`` wins when both exist; in it the keys may stand at the top level or under
    ``[tool.agentmerge]``. Unknown keys are reported as warnings (other commands may read their
    own keys from the same table); a malformed file or a wrongly typed value is an error.
    """
    for name, table_only in ((".agentmerge.toml", False), ("pyproject.toml", True)):
        path = root / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        data = _load_toml(text, name)
        table = data.get("tool", {}).get("agentmerge") if isinstance(data.get("tool"), dict) else None
        if table is None and not table_only:
            table = {k: v for k, v in data.items() if k != "tool"}
        if not isinstance(table, dict) or (table_only and not table):
            continue
        return _config_from_table(table, name, text)
    return ReviewConfig(), []


def _load_toml(text: str, name: str) -> dict[str, Any]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise InputError(name, int(found.group(1)) if found else 0, f"is not valid TOML ({message})") from None


def _config_from_table(table: dict[str, Any], name: str, text: str) -> tuple[ReviewConfig, list[Diagnostic]]:
    def line_of(key: str) -> int:
        found = re.search(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", text, re.MULTILINE)
        return text.count("\n", 0, found.start()) + 1 if found else 0

    def globs(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InputError(name, line_of(key), f'{key} must be a list of glob strings, like ["*.agent.md"]')
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


def review(
    cwd: str | Path = ".",
    *,
    base: str | None = None,
    head: str | None = None,
    pathspecs: Sequence[str] = (),
    threshold: float | None = None,
    config: ReviewConfig | None = None,
) -> Review:
    """Review the agent files changed from ``base`` to ``head`` in the repository at ``cwd``.

    ``base`` defaults to the default branch; the comparison starts at its merge base with the
    head, as ``git diff BASE...HEAD`` does, so changes that landed on the base meanwhile are not
    shown. Without ``head`` the new side is HEAD, or the working tree when it is dirty (committed
    and uncommitted changes together, untracked files included).
    """
    from agentmerge.diff import diff_agents
    from agentmerge.parse import parse_bytes, parse_text

    root = repository_root(cwd)
    if config is None:
        config, _ = load_config(root)
    if not _ref_exists(root, "HEAD"):
        raise AgentMergeError("", 0, "the repository has no commits yet; commit once, then review")
    base_rev = base if base else default_base(root)
    base_commit = resolve_commit(root, base_rev, option="--base")
    head_rev = head if head else "HEAD"
    head_commit = resolve_commit(root, head_rev, option="--head")
    start = merge_base(root, base_commit, head_commit, base_rev=base_rev, head_rev=head_rev)
    # A clean working tree is HEAD: name the commit rather than "the working tree".
    new_side = head_commit if head or not working_tree_dirty(root) else None

    changes = changed_files(root, start, new_side, pathspecs, cwd=Path(cwd).resolve())
    blobs = read_blobs(root, [b for c in changes for b in (c.old_blob, c.new_blob) if b])

    def new_bytes(change: FileChange) -> bytes | None:
        if change.status == "deleted":
            return None
        if change.new_blob is not None:
            return blobs.get(change.new_blob)
        target = root / change.path
        if new_side is None and target.is_file() and not target.is_symlink():
            return target.read_bytes()
        return None

    def old_bytes(change: FileChange) -> bytes | None:
        return blobs.get(change.old_blob) if change.old_blob else None

    reviews: list[FileReview] = []
    for change in changes:
        old, new = old_bytes(change), new_bytes(change)
        if not is_agent_file(
            ((change.old_path, old), (change.path, new)),
            globs=config.agent_globs,
            exclude=config.exclude_globs,
            by_content=config.detect_by_content,
        ):
            continue
        # An absent side is an agent with nothing in it, named as git names it.
        old_name = change.old_path or change.path
        try:
            old_agent = parse_bytes(old, old_name) if old is not None else parse_text("", ABSENT)
            new_agent = parse_bytes(new, change.path) if new is not None else parse_text("", ABSENT)
        except AgentMergeError as error:
            reviews.append(
                FileReview(change.status, change.path, change.old_path, None, change.similarity, error.message)
            )
            continue
        reviews.append(
            FileReview(
                status=change.status,
                path=change.path,
                old_path=change.old_path,
                diff=diff_agents(old_agent, new_agent, threshold=threshold),
                similarity=change.similarity,
                # The new side is what the change brings in; the old side's problems are not news.
                warnings=new_agent.warnings,
            )
        )
    reviews.sort(key=lambda r: r.path)
    return Review(
        root=str(root),
        base=start,
        base_rev=base_rev,
        head=new_side,
        head_rev=head_rev,
        files=tuple(reviews),
        config=config,
    )


# --------------------------------------------------------------------------------------------
# Reports


def review_to_dict(report: Review) -> dict[str, Any]:
    """Return the review as JSON-ready data (review JSON, version 1)."""
    from agentmerge.render import diff_to_dict

    return {
        "version": 1,
        "base": report.base,
        "base_rev": report.base_rev,
        "head": report.head,
        "head_rev": report.head_rev if report.head else "working tree",
        "config": report.config.source or None,
        "files": [
            {
                "path": f.path,
                "old_path": f.old_path,
                "status": f.status,
                "similarity": f.similarity,
                "identical": (f.diff.identical if f.diff is not None else None),
                "error": f.problem or None,
                "warnings": [{"line": w.line, "message": w.message} for w in f.warnings],
                "diff": diff_to_dict(f.diff) if f.diff is not None else None,
            }
            for f in report.files
        ],
    }


def render_review_text(report: Review) -> Iterator[str]:
    """Yield the review as plain text: one header per file, then its diff."""
    from agentmerge.render import render_diff_text

    yield f"{_sides(report, code=False)}: {_count(report)}"
    for f in report.files:
        yield ""
        where = f"{f.old_path} -> {f.path}" if f.status == "renamed" else f.path
        extra = f" ({f.similarity}% similar)" if f.similarity else ""
        yield f"{f.status} {where}{extra}"
        if f.diff is None:
            yield f"  not compared: {f.problem}"
        elif f.diff.identical:
            yield "  no change in meaning (formatting only)" if f.status == "modified" else "  content unchanged"
        else:
            yield from render_diff_text(f.diff)


def render_review_markdown(report: Review, *, limit: int = COMMENT_LIMIT) -> str:
    """Return the review as Markdown: a summary table, then one collapsible block per file.

    The text never exceeds ``limit`` characters (GitHub's comment limit by default): blocks that
    do not fit are cut at a line, with open code fences closed, and a note says what was left out.
    """
    head = [f"### agentmerge review: {_count(report)}", "", f"{_sides(report, code=True)}.", ""]
    rows: list[str] = []
    if report.files:
        rows = [
            "| File | Status | Added | Removed | Reworded | Moved | Frontmatter |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for f in report.files:
            if f.diff is None:
                status, counts, keys = f"{f.status} (not compared)", [""] * 4, ""
            else:
                summary = f.diff.summary
                counts = [str(n) for n in (summary.added, summary.removed, summary.reworded, summary.moved)]
                keys = ", ".join(_cell(k) for k in sorted({c.key for c in f.diff.frontmatter}))
                status = "modified (formatting only)" if f.status == "modified" and f.diff.identical else f.status
            rows.append("| " + " | ".join([_file_cell(f), status, *counts, keys]) + " |")
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
            f"\n_The table lists {listed} of {len(report.files)} files; the rest and every file's diff are "
            f"not shown in full, to stay within GitHub's {limit:,}-character limit. "
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
            f"\n_{len(report.files) - shown} of {len(report.files)} files are not shown in full: the report is "
            f"cut to stay within GitHub's {limit:,}-character limit. Run `agentmerge review` locally for all of it._\n"
        )
    return out[:limit]


def _sides(report: Review, *, code: bool) -> str:
    from agentmerge.render import markdown_code

    def q(text: str) -> str:
        return markdown_code(text) if code else text

    base = f"{q(report.base[:10])} (merge base with {q(report.base_rev)})"
    head = f"{q(report.head[:10])} ({q(report.head_rev)})" if report.head else "the working tree"
    return f"Compared {base} with {head}"


def _count(report: Review) -> str:
    n = len(report.files)
    if not n:
        return "no agent files changed"
    return f"{n} agent file{'s' if n != 1 else ''} changed"


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

    where = html.escape(f.path)
    if f.status == "renamed" and f.old_path:
        where = f"{html.escape(f.old_path)} \u2192 {where}"
    return f"<details><summary><code>{where}</code> ({f.status})</summary>"


def _details_body(f: FileReview) -> str:
    from agentmerge.render import markdown_text, render_diff_markdown

    if f.diff is None:
        return f"Not compared: {markdown_text(f.problem)}"
    if f.diff.identical:
        return "No change in meaning (formatting only)." if f.status == "modified" else "Content unchanged."
    text = render_diff_markdown(f.diff).strip("\n")
    # The diff's own heading repeats the paths the <summary> line already shows.
    first, _, rest = text.partition("\n")
    return rest.strip("\n") if first.startswith("#### ") else text


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
    fence = False
    depth = 0
    for line in _details_body(f).split("\n"):
        stripped = line.strip()
        next_fence = fence != stripped.startswith(("```", "~~~"))
        next_depth = depth
        if not next_fence:
            next_depth += stripped.count("<details>") - stripped.count("</details>")
        closers = (4 if next_fence else 0) + max(0, next_depth) * len("\n\n</details>")
        if used + len(line) + 1 + closers > space:
            break
        kept.append(line)
        used += len(line) + 1
        fence, depth = next_fence, next_depth
    body = "\n".join(kept)
    if fence:
        body += "\n```"
    body += "\n\n</details>" * max(0, depth)
    return opening + body + closing


# --------------------------------------------------------------------------------------------
# git install: the diff driver


def install_git_driver(cwd: str | Path = ".", *, scope: Literal["local", "global"] = "local") -> list[str]:
    """Configure git to show agent files with ``agentmerge diff``; return what was changed.

    Sets ``diff.agentmerge.command`` and adds ``<glob> diff=agentmerge`` lines for the default
    agent globs to ``.gitattributes`` (local) or the global attributes file. Running it again
    changes nothing.
    """
    where, config_flag, attributes = _install_target(cwd, scope)
    done: list[str] = []
    current = _git_config_get(where, config_flag, f"diff.{DRIVER}.command")
    if current != DRIVER_COMMAND:
        _git(["config", config_flag, f"diff.{DRIVER}.command", DRIVER_COMMAND], where)
        before = f" (was {current!r})" if current else ""
        done.append(f"set diff.{DRIVER}.command = {DRIVER_COMMAND!r} in the {scope} git config{before}")
    wanted = [f"{glob} diff={DRIVER}" for glob in DEFAULT_AGENT_GLOBS]
    lines = _read_lines(attributes)
    present = {line.strip() for line in lines}
    missing = [line for line in wanted if line not in present]
    if missing:
        if ATTRIBUTES_HEADER in present:
            end = _block_end(lines, lines.index(ATTRIBUTES_HEADER))
            lines[end:end] = missing
        else:
            if lines and lines[-1].strip():
                lines.append("")
            lines.extend([ATTRIBUTES_HEADER, *missing])
        _write_lines(attributes, lines)
        done.append(f"added {len(missing)} line{'s' if len(missing) != 1 else ''} to {attributes}")
    return done


def uninstall_git_driver(cwd: str | Path = ".", *, scope: Literal["local", "global"] = "local") -> list[str]:
    """Remove what ``install_git_driver`` added; return what was changed."""
    where, config_flag, attributes = _install_target(cwd, scope)
    done: list[str] = []
    current = _git_config_get(where, config_flag, f"diff.{DRIVER}.command")
    if current == DRIVER_COMMAND:
        _git(["config", config_flag, "--unset", f"diff.{DRIVER}.command"], where)
        done.append(f"removed diff.{DRIVER}.command from the {scope} git config")
        if not _git_config_section(where, config_flag):
            # Older git leaves an empty ``[diff "agentmerge"]`` header behind; newer git removes
            # it itself and then refuses to remove a section that is not there.
            with contextlib.suppress(AgentMergeError):
                _git(["config", config_flag, "--remove-section", f"diff.{DRIVER}"], where)
    lines = _read_lines(attributes)
    if ATTRIBUTES_HEADER in (line.strip() for line in lines):
        start = [line.strip() for line in lines].index(ATTRIBUTES_HEADER)
        end = _block_end(lines, start)
        removed = end - start
        del lines[start:end]
        if start > 0 and not lines[start - 1].strip():
            del lines[start - 1]  # the blank line install puts before the block
        if any(line.strip() for line in lines):
            _write_lines(attributes, lines)
        else:
            attributes.unlink()
        done.append(f"removed {removed} line{'s' if removed != 1 else ''} from {attributes}")
    return done


def _install_target(cwd: str | Path, scope: str) -> tuple[str, str, Path]:
    """Return where to run git, the ``git config`` scope flag, and the attributes file to edit."""
    if scope == "global":
        where = str(Path(cwd).resolve())
        configured = _git_config_get(where, "--global", "core.attributesFile", path=True)
        if configured:
            return where, "--global", Path(configured)
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return where, "--global", Path(xdg) / "git" / "attributes"
    root = repository_root(cwd)
    return str(root), "--local", root / ".gitattributes"


def _git_config_get(where: str, flag: str, key: str, *, path: bool = False) -> str | None:
    args = ["config", flag, *(["--type=path"] if path else []), "--get", key]
    try:
        value = _git(args, where).decode("utf-8").strip()
    except AgentMergeError:
        return None  # git config exits 1 when the key is unset
    return value or None


def _git_config_section(where: str, flag: str) -> list[str]:
    try:
        out = _git(["config", flag, "--get-regexp", rf"^diff\.{DRIVER}\."], where)
    except AgentMergeError:
        return []
    return out.decode("utf-8").splitlines()


def _block_end(lines: list[str], header: int) -> int:
    """Index just past the attribute lines that follow the header at ``header``."""
    end = header + 1
    while end < len(lines) and lines[end].strip().endswith(f" diff={DRIVER}"):
        end += 1
    return end


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), 0, f"cannot be read ({error}); fix or remove it and retry") from None


def _write_lines(path: Path, lines: list[str]) -> None:
    write_atomically(path, "\n".join(lines) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
            if path.exists():
                os.chmod(temp, path.stat().st_mode & 0o7777)
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    except OSError as error:
        raise OutputError(str(path), 0, f"cannot be written ({error.strerror or error}); check permissions") from None


# --------------------------------------------------------------------------------------------
# GitHub Actions and the pull request comment


def github_context(environ: Mapping[str, str]) -> GitHubContext:
    """Read what GitHub Actions says about this run from its environment and event payload.

    The payload is untrusted data: a revision that is not a string, or a pull request number that
    is not an integer, is an error naming the event file rather than a value passed on.
    """
    payload: dict[str, Any] = {}
    event_path = environ.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            loaded = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(event_path, 0, f"the GitHub event payload cannot be read ({error})") from None
        payload = loaded if isinstance(loaded, dict) else {}
    where = event_path or "GITHUB_EVENT_PATH"
    pull = payload.get("pull_request") if isinstance(payload.get("pull_request"), dict) else None
    base: str | None = None
    head: str | None = None
    number: int | None = None
    if pull is not None:
        number = _event_number(pull.get("number", payload.get("number")), where)
        base = _event_revision(pull.get("base"), "pull_request.base.sha", where)
        head = _event_revision(pull.get("head"), "pull_request.head.sha", where)
    elif payload.get("before") is not None and payload.get("before") != _ZERO_SHA:
        base = _event_revision({"sha": payload.get("before")}, "before", where)
        head = _event_revision({"sha": payload.get("after")}, "after", where)
    if not base and environ.get("GITHUB_BASE_REF"):
        base = f"origin/{environ['GITHUB_BASE_REF']}"
    return GitHubContext(
        api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        repository=environ.get("GITHUB_REPOSITORY", ""),
        pull_request=number,
        base=base or None,
        head=head or None,
        summary_path=environ.get("GITHUB_STEP_SUMMARY") or None,
        output_path=environ.get("GITHUB_OUTPUT") or None,
        token=environ.get("GITHUB_TOKEN", ""),
    )


def _event_revision(side: Any, name: str, event_path: str) -> str | None:
    """The commit id at ``side["sha"]`` of the event payload; None when absent."""
    sha = side.get("sha") if isinstance(side, dict) else None
    if sha is None:
        return None
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-fA-F]{4,64}", sha):
        raise InputError(event_path, 0, f"the event's {name} is {sha!r}, not a commit id; pass base and head inputs")
    return sha


def _event_number(value: Any, event_path: str) -> int | None:
    """The pull request number of the event payload; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(event_path, 0, f"the event's pull request number is {value!r}, not a positive integer")
    return value


def append_to_file(path: str, text: str) -> None:
    """Append ``text`` to a file GitHub Actions reads afterwards (job summary, step outputs)."""
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise OutputError(path, 0, f"cannot be appended to ({error.strerror or error})") from None


ACTIONS_BOT = "github-actions[bot]"
"""The login of comments posted with a workflow's own ``GITHUB_TOKEN``."""

GITHUB_MAX_ANSWER = 16 * 1024 * 1024
"""Most bytes read from one API answer; more is an error rather than memory spent."""

_REPOSITORY_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class GitHubError(AgentMergeError):
    """The GitHub API refused or could not answer a request; ``status`` is its HTTP status, 0 if none."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__("", 0, message)
        self.status = status


def publish_comment(context: GitHubContext, body: str, *, create: bool = True) -> str:
    """Post the report as the pull request's one agentmerge comment, or update the earlier one.

    The earlier comment is one whose body starts with ``COMMENT_MARKER`` and whose author is the
    token's own identity (``token_identity``); a comment anyone else wrote is never edited, even
    when it carries the marker. Returns what happened: ``created``, ``updated``, ``unchanged`` or
    ``skipped`` (nothing to say and no earlier comment, when ``create`` is false).
    """
    if context.pull_request is None or not context.repository:
        raise AgentMergeError("", 0, "not a pull request event; --comment needs a pull_request workflow trigger")
    if not _REPOSITORY_RE.fullmatch(context.repository) or ".." in context.repository:
        raise AgentMergeError("", 0, f"GITHUB_REPOSITORY {context.repository!r} is not owner/name")
    if not context.token:
        raise AgentMergeError("", 0, "no token to comment with; pass the action's token input (GITHUB_TOKEN)")
    github_api_base(context.api_url)
    text = body if body.startswith(COMMENT_MARKER) else f"{COMMENT_MARKER}\n{body}"
    repo = context.repository
    identity = token_identity(context)
    previous: dict[str, Any] | None = None
    for page in range(1, GITHUB_MAX_PAGES + 1):
        route = f"/repos/{repo}/issues/{context.pull_request}/comments"
        batch = _github_request(context, "GET", f"{route}?per_page=100&page={page}")
        if not isinstance(batch, list):
            raise GitHubError(f"GitHub API GET {route} answered with something other than a list of comments")
        previous = next((c for c in batch if _is_own_report(c, identity)), None)
        if previous is not None or len(batch) < 100:
            break
    if previous is not None:
        if previous.get("body") == text:
            return "unchanged"
        _github_request(context, "PATCH", f"/repos/{repo}/issues/comments/{previous['id']}", {"body": text})
        return "updated"
    if not create:
        return "skipped"
    _github_request(context, "POST", f"/repos/{repo}/issues/{context.pull_request}/comments", {"body": text})
    return "created"


def token_identity(context: GitHubContext) -> str:
    """The login that comments posted with the context's token appear under.

    ``GET /user`` names the owner of a personal access token. A workflow's ``GITHUB_TOKEN`` is a
    GitHub App installation token, which that endpoint refuses with 403; its comments appear
    under ``github-actions[bot]``. Another app's installation token cannot learn its own login,
    so it is taken for ``github-actions[bot]`` as well: its earlier comments are then not found
    and a new one is posted, which is noisy but never edits a comment someone else wrote.
    """
    try:
        user = _github_request(context, "GET", "/user")
    except GitHubError as error:
        if error.status == 403:
            return ACTIONS_BOT
        raise
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login:
        raise GitHubError("GitHub API GET /user answered without a login; check GITHUB_API_URL")
    return login


def _is_own_report(comment: Any, identity: str) -> bool:
    """Whether ``comment`` (from the API) is an agentmerge report written by ``identity``."""
    if not isinstance(comment, dict) or isinstance(comment.get("id"), bool) or not isinstance(comment.get("id"), int):
        return False
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    body = comment.get("body")
    return (
        isinstance(login, str)
        and login.casefold() == identity.casefold()
        and isinstance(body, str)
        and body.startswith(COMMENT_MARKER)
    )


def github_api_base(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) of the API at ``url``; an error unless it is a plain http(s) URL."""
    from urllib.parse import urlsplit

    problem = f"GITHUB_API_URL {url!r} is not an http(s) URL like https://api.github.com; fix the workflow's env"
    if any(c.isspace() or not c.isprintable() for c in url):
        raise AgentMergeError("", 0, problem)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AgentMergeError("", 0, problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise AgentMergeError("", 0, problem)
    if parts.query or parts.fragment:
        raise AgentMergeError("", 0, problem)
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def _github_request(context: GitHubContext, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """Send one request to the API and return its decoded JSON answer (None when empty).

    Redirects are followed only within the API's own scheme, host and port, so the token in the
    Authorization header never reaches another host.
    """
    import urllib.error
    import urllib.request

    route = path.split("?")[0]
    origin = github_api_base(context.api_url)

    class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            try:
                same = github_api_base(newurl) == origin
            except AgentMergeError:
                same = False
            if not same:
                raise GitHubError(
                    f"GitHub API {method} {route} redirected to another host; not followed, so the token "
                    "stays with GITHUB_API_URL's host",
                    code,
                )
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    request = urllib.request.Request(
        context.api_url + path,
        method=method,
        data=json.dumps(payload).encode("utf-8") if payload is not None else None,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {context.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "agentmerge-review",
            "Content-Type": "application/json",
        },
    )
    opener = urllib.request.build_opener(SameOriginRedirects())
    try:
        with opener.open(request, timeout=GITHUB_TIMEOUT) as response:
            raw = response.read(GITHUB_MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        hint = " (give the workflow `permissions: pull-requests: write`)" if error.code in (401, 403, 404) else ""
        said = _api_message(error.read(GITHUB_MAX_ANSWER))
        raise GitHubError(
            f"GitHub API {method} {route} failed: {error.code} {_one_line(str(error.reason))}{said}{hint}", error.code
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise GitHubError(f"GitHub API {context.api_url} cannot be reached ({_one_line(str(reason))})") from None
    if len(raw) > GITHUB_MAX_ANSWER:
        raise GitHubError(f"GitHub API {method} {route} answered with more than {GITHUB_MAX_ANSWER:,} bytes")
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GitHubError(
            f"GitHub API {method} {route} answered with something other than JSON; check GITHUB_API_URL"
        ) from None


def _api_message(raw: bytes) -> str:
    """``: <message>`` from an API error answer's JSON, or empty when it has none."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return f": {_one_line(message)}" if isinstance(message, str) and message.strip() else ""


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` from a remote party made safe for one terminal line: no control characters, clipped."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"
