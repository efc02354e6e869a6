"""Whole libraries of agent files: finding them in folders, reading many at once, consolidating
them group by group, saying what a merge widens, and whether inputs are variants of one agent.

This is the orchestration above ``group`` and ``consolidate``: it reads files (in worker
processes when there are many), calls the pure functions, and hands plain results to the CLI,
which writes them. Which files are agent files is the rule of ``formats`` (its globs and its
frontmatter check), applied here to folders.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from agentmerge.errors import AgentMergeError, InputError
from agentmerge.fields import ALWAYS_APPLY_KEY, CHANGED_KEYS, WIDENING_RULES, ToolReading, WideningRule, beyond
from agentmerge.fields import names as listed_names
from agentmerge.filesystem import MAX_FILE_BYTES, broken_link, inside
from agentmerge.model import Agent, Field
from agentmerge.parse import read_agent
from agentmerge.text import clear_text_caches, counted, named, series

if TYPE_CHECKING:
    # Grouping loads on first use: check and fmt walk folders with this module and need none of it.
    from agentmerge.arrange import MergedItem, MergedSection
    from agentmerge.consolidate import Consolidation
    from agentmerge.formats import Format
    from agentmerge.group import Group, Profile

    Step: TypeAlias = MergedItem | MergedSection
    """One step of a procedure: an item of a numbered list, or a section whose title is numbered."""

PARALLEL_FILES = 48
"""Files from which reading and consolidating run in worker processes (one per CPU); below it
starting the workers costs more than it saves."""

SKIPPED_FOLDERS = frozenset({".git", "node_modules"})
"""Folders never walked into when a folder is given: version control data and installed packages."""

Progress = Callable[[str, int, int], None]
"""Called as ``progress(what, done, total)`` while a long step runs."""


# --------------------------------------------------------------------------------------------
# Finding agent files


@dataclass(frozen=True, slots=True)
class Library:
    """The agent files named on the command line, folders expanded."""

    files: tuple[str, ...]
    """Agent files: those given as files (always taken), then those found in folders, sorted."""
    folders: tuple[str, ...]
    """The folders given, as given."""
    skipped: tuple[tuple[str, int], ...] = ()
    """Per folder, how many Markdown files in it were not taken as agent files."""
    outside: tuple[tuple[str, int], ...] = ()
    """Per folder, how many symbolic links in it lead out of it and were not followed."""


def find_agent_files(paths: Sequence[str]) -> Library:
    """Expand ``paths``: a file is taken as it is; a folder is walked for agent files.

    In a folder, a file is an agent file when its path, read from any folder above it, matches
    one of the agent globs of ``formats`` (``.claude/agents/**/*.md``, ``*.agent.md``, ``.cursor/rules/**/*.mdc``,
    ...), or when it is a Markdown file whose frontmatter has ``name`` and ``description``. Each
    path appears once, files found in folders sorted by path. A path that does not exist is an
    InputError.
    """
    files: dict[str, None] = {}
    seen: set[str] = set()  # real paths: a file named twice, or in two spellings, is read once
    folders: list[str] = []
    skipped: list[tuple[str, int]] = []
    outside: list[tuple[str, int]] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            if path != "-" and not os.path.exists(path):
                raise InputError(path, 0, broken_link(path) or "no such file or folder; check the path")
            _add(files, seen, path)
            continue
        # The format table is read only for folders: files named one by one are taken as they are.
        from agentmerge.formats import DEFAULT_AGENT_GLOBS, content_may_tell, looks_like_agent, matches_any, path_tails

        folders.append(path)
        found: list[str] = []
        passed = 0
        links: list[str] = []
        for candidate in _walk(path, links):
            named = any(matches_any(tail, DEFAULT_AGENT_GLOBS) for tail in path_tails(candidate))
            if named:
                found.append(candidate)
            elif content_may_tell(candidate):
                if looks_like_agent(_head(candidate)):
                    found.append(candidate)
                else:
                    passed += 1
        for candidate in sorted(found):
            _add(files, seen, candidate)
        if passed:
            skipped.append((path, passed))
        if links:
            outside.append((path, len(links)))
    return Library(tuple(files), tuple(folders), tuple(skipped), tuple(outside))


def _add(files: dict[str, None], seen: set[str], path: str) -> None:
    real = path if path == "-" else os.path.realpath(path)
    if real not in seen:
        seen.add(real)
        files[path] = None


def _walk(folder: str, outside: list[str]) -> Iterator[str]:
    """The files in ``folder`` and its subfolders (not SKIPPED_FOLDERS), sorted. A symbolic link
    is followed only to a file inside ``folder``; one that leads out of it goes to ``outside``: a
    folder's content may come from anyone (a pull request's checkout), and a link could make a
    command read, or ``fmt`` rewrite, any file of the machine. Linked folders are not walked."""
    top = os.path.realpath(folder)
    for root, dirs, names in os.walk(folder, onerror=_unreadable_folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = os.path.join(root, name)
            if os.path.islink(path) and not inside(os.path.realpath(path), top):
                outside.append(path)
            elif os.path.isfile(path):
                yield path


def _unreadable_folder(error: OSError) -> None:
    """``os.walk``'s report of a folder it cannot list: an error naming the folder, as for a file
    (the folder's agents were left out without a word, and the command succeeded)."""
    raise InputError(str(error.filename), 0, f"cannot be read ({error.strerror}); check its permissions")


def _head(path: str) -> bytes:
    """The first bytes of the file at ``path``, enough to tell its frontmatter: CONTENT_SAMPLE,
    or up to MAX_FILE_BYTES when they open a frontmatter they do not close. The reader takes a
    frontmatter of 64 KiB of characters, which may be more bytes than the sample; such an agent
    was left out of its folder, as a file that is not one."""
    from agentmerge.formats import CONTENT_SAMPLE, unclosed_frontmatter

    try:
        with open(path, "rb") as stream:
            data = stream.read(CONTENT_SAMPLE)
            if len(data) == CONTENT_SAMPLE and unclosed_frontmatter(data):
                data += stream.read(MAX_FILE_BYTES - CONTENT_SAMPLE)
            return data
    except OSError:
        return b""


def input_folders(library: Library) -> list[str]:
    """Every folder the library is read from: the folders given and the folder of each file."""
    found = {os.path.realpath(folder) for folder in library.folders}
    found.update(os.path.realpath(os.path.dirname(os.path.abspath(f))) for f in library.files if f != "-")
    return sorted(found)


def reads_from(folder: str, library: Library) -> bool:
    """Whether writing into ``folder`` would write into a folder the library is read from (a
    folder given, one inside it, or the folder of an input file)."""
    target = os.path.realpath(folder)
    given = [os.path.realpath(f) for f in library.folders]
    if any(target == g or target.startswith(g.rstrip(os.sep) + os.sep) for g in given):
        return True
    return target in input_folders(library)


# --------------------------------------------------------------------------------------------
# Reading many files


@dataclass(frozen=True, slots=True)
class Profiles:
    """The profiles of a library's agent files, and what went wrong reading them."""

    profiles: tuple[Profile, ...]
    """One per file that could be read, in the order given."""
    errors: tuple[AgentMergeError, ...] = ()
    """Files that could not be read as agent files."""
    warned: int = 0
    """How many files had problems that were worked around (lenient frontmatter, ...)."""


def read_profiles(paths: Sequence[str], *, jobs: int | None = None, progress: Progress | None = None) -> Profiles:
    """Read, parse and profile every file of ``paths`` (in worker processes when there are many).

    Each profile is taken in as it comes (``group.received``), its terms shared with every other
    profile's: a library's profiles hold one string per term, and none waits for the last file."""
    from agentmerge.group import received

    pool: dict[str, str] = {}

    def take(result: tuple[Any, ...]) -> tuple[Any, ...]:
        return (result[0], received(result[1], pool), result[2]) if result[0] == "ok" else result

    results = _map(_profile_file, [(p,) for p in paths], jobs=jobs, progress=progress, what="reading", then=take)
    profiles: list[Profile] = []
    errors: list[AgentMergeError] = []
    warned = 0
    for result in results:
        if result[0] == "error":
            errors.append(InputError(result[1], result[2], result[3]))
            continue
        _, made, warnings = result
        profiles.append(made)
        warned += bool(warnings)
    return Profiles(tuple(profiles), tuple(errors), warned)


def _profile_file(path: str) -> tuple[Any, ...]:
    """Worker: one file's profile as plain tuples (cheap to send between processes)."""
    try:
        agent = read_agent(path)
    except AgentMergeError as error:
        return ("error", error.path, error.line, error.message)
    from agentmerge.group import profile

    found = profile(agent)
    return ("ok", found.row(), len(agent.warnings))


def _map(
    work: Callable[..., Any],
    arguments: Sequence[tuple[Any, ...]],
    *,
    jobs: int | None,
    progress: Progress | None,
    what: str,
    sizes: Sequence[int] | None = None,
    then: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """``[work(*a) for a in arguments]``, in worker processes when there are PARALLEL_FILES or
    more files (``sizes``: files per argument, one each by default); results in argument order.
    With ``then``, each result is ``then(result)``, applied in this process as the result comes:
    what a worker sent is freed at once, not held until the last file is read. The text caches
    are emptied after each argument's work (``_star``), so one file's texts are held at a time.

    ``jobs`` workers, at most one per CPU and one per argument: the work is all computing, so a
    worker more than the CPUs only adds its memory (``-j 100`` on two CPUs took 1.45 GB and 3.4
    times as long)."""
    total = len(arguments)
    files = sum(sizes) if sizes is not None else total
    cpus = cpu_count()
    workers = min(jobs or cpus, cpus, total)
    results: list[Any] = []
    if workers < 2 or files < PARALLEL_FILES:
        for n, argument in enumerate(arguments):
            result = _star((work, argument))
            results.append(then(result) if then is not None else result)
            if progress is not None:
                progress(what, n + 1, total)
        return results
    import multiprocessing

    # Small chunks keep the order of results cheap to restore and progress moving.
    chunk = max(1, min(32, total // (workers * 8)))
    with multiprocessing.get_context().Pool(workers, initializer=_leave_interrupts) as pool:
        try:
            for n, result in enumerate(pool.imap(_star, [(work, a) for a in arguments], chunksize=chunk)):
                results.append(then(result) if then is not None else result)
                if progress is not None:
                    progress(what, n + 1, total)
        except BaseException:
            # Ctrl-C (or an error) in the parent: stop the workers and wait for them, so that no
            # process is left behind and the command ends with its one line.
            pool.terminate()
            pool.join()
            raise
        # Wait for the workers and the pool's own threads to end here rather than after the
        # command has moved on (leaving the block terminates them without waiting).
        pool.close()
        pool.join()
    return results


def _leave_interrupts() -> None:
    """A worker's start: Ctrl-C, which a terminal sends to every process of the command, is left
    to the parent, which stops the workers. A worker that took it died with a traceback of its
    own, and the parent could wait forever for the result it would never send."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def map_work(
    work: Callable[..., Any],
    arguments: Sequence[tuple[Any, ...]],
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    what: str = "working",
) -> list[Any]:
    """``[work(*a) for a in arguments]``, one argument tuple per file, in worker processes when there
    are PARALLEL_FILES or more; results in argument order. ``work`` must be a module-level function
    whose arguments and result pickle (plain values), as the workers need."""
    return _map(work, arguments, jobs=jobs, progress=progress, what=what)


def _star(job: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    """``work(*argument)``, the text caches emptied after it (``text.clear_text_caches``): the next
    file asks of other texts, and a thousand files' worth held hundreds of megabytes."""
    work, argument = job
    try:
        return work(*argument)
    finally:
        clear_text_caches()


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# Consolidating group by group


@dataclass(frozen=True, slots=True)
class GroupOutput:
    """One group consolidated: the merged agent's file, its report, what the merge widened."""

    group: Group
    """The group that was consolidated."""
    file_name: str
    """``<name><ending>``: the group's name, made unique among the groups of this run, and the file
    name ending of its members' format (``.mdc``, ``.agent.md``; ``.md`` by default:
    ``file_names``)."""
    text: str
    """The merged agent file."""
    report: str | None
    """The JSON report (as ``consolidate --format json`` writes it), when asked for."""
    widenings: tuple[str, ...]
    """One sentence per widening (see ``widenings``)."""
    summary: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Items in, items out, merged clusters, frontmatter conflicts settled."""
    warnings: tuple[str, ...] = field(default=())
    """Problems worked around while reading the members."""
    left_out: tuple[str, ...] = field(default=())
    """The keys writing it for the ``--for`` format left out, one sentence each (``target_notes``)."""
    orders: tuple[str, ...] = field(default=())
    """The procedures and answer formats it took from some inputs against others, or joined
    (``merged_differences``)."""


def file_names(groups: Sequence[Group], *, target: str | None = None) -> list[str]:
    """``<name><ending>`` for each group, the names unique (``-2``, ``-3``, ... added in group
    order): the ending is the ``target`` format's, else the one the members' shared format is read
    by (``shared_format``; ``.md`` when they share none); the name is the group's, or the members'
    own when their tool reads them by it (``read_by_name``)."""
    from agentmerge.formats import BY_NAME

    used: set[str] = set()
    names: list[str] = []
    for g in groups:
        paths = [m.path for m in g.members]
        form = BY_NAME[target] if target is not None else shared_format(paths)
        kept = read_by_name(paths, form) if target is None else None
        base, ending = (kept[: -len(".md")], ".md") if kept is not None else (g.name, form.suffix if form else ".md")
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.casefold())
        names.append(name + ending)
    return names


def shared_format(paths: Sequence[str]) -> Format | None:
    """The format every file at ``paths`` has (``formats.detect_format``); None when they differ.
    Its ending names a merged agent of them (a Cursor rule is read only as ``.mdc``, a Copilot
    agent as ``.agent.md``: ``formats.Format.suffix``)."""
    from agentmerge.formats import detect_format

    found = {detect_format(p) for p in paths}
    return found.pop() if len(found) == 1 else None


def read_by_name(paths: Sequence[str], form: Format | None) -> str | None:
    """The file name every file at ``paths`` (of format ``form``) has, when the tool reads such a
    file by that name alone (``AGENTS.md``, ``CLAUDE.md``, ``GEMINI.md``,
    ``copilot-instructions.md``: ``formats.Format.read_by_name``) and it ends in ``.md``: the
    merged file keeps it, since under a group's name the tool would not read it. None otherwise."""
    if form is None:
        return None
    found = {form.read_by_name(path) for path in paths}
    kept = found.pop() if len(found) == 1 else None
    return kept if kept is not None and kept.endswith(".md") and len(kept) > len(".md") else None


def tools_of(paths: Sequence[str]) -> dict[str, list[str]]:
    """The files at ``paths`` by the tool that reads them (a ``formats.TARGETS`` name, which
    ``consolidate --for`` takes), in path order; files no such tool reads are left out.

    A file's tool is its format's (``formats.detect_format``: by where it lives and its ending,
    else by its frontmatter keys), one per family (a plugin's agents are Claude Code subagents);
    plain instruction files, which have no frontmatter keys, and standard input name none."""
    kinds: dict[str, list[str]] = {}
    for path in paths:
        found = None if path == "-" else _tool_of(path, _head(path))
        if found is not None:
            kinds.setdefault(found, []).append(path)
    return kinds


def _tool_of(path: str, data: bytes | None) -> str | None:
    from agentmerge.formats import TARGETS, detect_format

    form = detect_format(path, data)
    name = None if form is None else form.family or form.name
    return name if name in TARGETS else None


def target_hint(paths: Sequence[str], output: str | None = None) -> str | None:
    """Without ``consolidate --for``: a sentence suggesting it when the inputs at ``paths`` are
    files of more than one tool (``tools_of``: the merged agent keeps every key, and no one tool
    reads them all), or when the ``output`` file's name says a tool the inputs are not written for
    (a Cursor rule in ``merged.mdc`` from Claude Code subagents). None when neither holds."""
    from agentmerge.formats import BY_NAME

    kinds = tools_of(paths)
    wanted = _tool_of(output, None) if output is not None else None
    if len(kinds) < 2 and (wanted is None or set(kinds) <= {wanted}):
        return None
    listed = ", ".join(f"{BY_NAME[k].title} ({len(v):,})" for k, v in sorted(kinds.items()))
    if wanted is not None:
        said = f"the inputs are {listed}; " if kinds else ""
        return f"{said}{output} is a {BY_NAME[wanted].title} by its name: --for {wanted} writes only the keys it reads"
    names = " or ".join(f"--for {k}" for k in sorted(kinds))
    return (
        f"the inputs are files of {len(kinds)} tools: {listed}; the merged agent keeps every input's keys, "
        f"which no one tool reads whole: {names} writes one tool's file"
    )


def groups_hint(outputs: Sequence[GroupOutput]) -> str | None:
    """Without ``consolidate --by-group --for``: a sentence naming the merged agents whose groups
    hold files of more than one tool (``tools_of``), which keep every key; None when none do."""
    mixed: list[str] = []
    kinds: set[str] = set()
    for out in outputs:
        found = tools_of([m.path for m in out.group.members])
        if len(found) > 1:
            mixed.append(out.file_name)
            kinds.update(found)
    if not mixed:
        return None
    names = " or ".join(f"--for {k}" for k in sorted(kinds))
    join, keep = ("joins", "keeps") if len(mixed) == 1 else ("join", "keep")
    return (
        f"{counted(len(mixed), 'merged agent')} {join} files of several tools ({', '.join(mixed)}) and {keep} every "
        f"input's keys, which no one tool reads whole: {names} writes every group as one tool's file"
    )


def file_stem(file_name: str) -> str:
    """A file's name without its ending, everything from its first dot on (``reviewer.agent.md``
    as ``reviewer``): what a merged agent written to it is named after (``consolidate``'s
    ``file_name``), and its JSON report's name beside it."""
    return file_name.split(".", 1)[0]


def report_file_name(file_name: str) -> str:
    """The JSON report's name beside the merged agent ``file_name``: its name and ``.json`` (group
    names hold no dot: ``group.safe_name``)."""
    return file_stem(file_name) + ".json"


def consolidate_groups(
    groups: Sequence[Group],
    *,
    threshold: float | None = None,
    report: bool = False,
    annotate: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    target: str | None = None,
) -> list[GroupOutput]:
    """Consolidate each group's members into one agent (in worker processes when there are many);
    ``target`` writes every one for that format, named with its ending (``consolidate --for``)."""
    names = file_names(groups, target=target)
    # Each agent is called as its file is named when its inputs' names tie (``consolidate``'s file_name).
    arguments = [
        (tuple(m.path for m in g.members), threshold, report, annotate, target, name)
        for g, name in zip(groups, names, strict=True)
    ]
    results = _map(
        _consolidate_paths,
        arguments,
        jobs=jobs,
        progress=progress,
        what="consolidating",
        sizes=[len(g.members) for g in groups],
    )
    outputs: list[GroupOutput] = []
    for g, name, result in zip(groups, names, results, strict=True):
        if result[0] == "error":
            # An error of the group as a whole (too many instructions) names no file: name the group.
            paths = [m.path for m in g.members]
            files = named(paths, 3)
            said = result[3] if result[1] else f"the group {g.name} ({files}): {result[3]}"
            raise AgentMergeError(result[1], result[2], said)
        _, text, json_text, widened, summary, warnings, notes, orders = result
        outputs.append(GroupOutput(g, name, text, json_text, widened, summary, warnings, notes, orders))
    return outputs


def _consolidate_paths(
    paths: tuple[str, ...], threshold: float | None, report: bool, annotate: bool, target: str | None, name: str
) -> tuple[Any, ...]:
    """Worker: consolidate the files at ``paths`` into the file ``name``; the results as plain values."""
    from agentmerge.consolidate import consolidate
    from agentmerge.render import consolidation_to_dict, to_json
    from agentmerge.writer import check_readable, render_consolidation

    try:
        agents = [read_agent(p) for p in paths]
        result = consolidate(agents, threshold=threshold, target=target, file_name=file_stem(name))
        text = render_consolidation(result, annotate=annotate, output=name)
        check_readable(text, result.agent, "")
    except AgentMergeError as error:
        return ("error", error.path, error.line, error.message)
    json_text = None
    if report:
        json_text = to_json(consolidation_to_dict(result, annotate=annotate, output=name))
    summary = (result.items_in, result.items_out, result.merged, len(result.conflicts))
    warnings = tuple(str(w) for a in agents for w in a.warnings)
    return (
        "ok",
        text,
        json_text,
        tuple(widenings(agents, result.agent, result.target)),
        summary,
        warnings,
        tuple(target_notes(result, reported=report)),
        tuple(merged_differences(result)),
    )


def merged_differences(result: Consolidation) -> list[str]:
    """What the merged agent took from some inputs against others, or joined, that it can follow
    only one way: procedures (``order_differences``), answer formats (``format_differences``),
    who the agent is (``identity_differences``) and instructions that contradict each other
    (``contradiction_notes``)."""
    body = result.body
    return [
        *order_differences(body),
        *format_differences(body),
        *identity_differences(body),
        *contradiction_notes(result),
    ]


def contradiction_notes(result: Consolidation) -> list[str]:
    """One sentence per pair of instructions of two inputs that say opposite things of one act
    (``Consolidation.contradictions``): the merged agent holds both, since neither may be dropped,
    and its owner keeps the one they mean."""
    from agentmerge.text import clip, clipped_apart, normalize

    lines = []
    for c in result.contradictions:
        first, second = clipped_apart(normalize(c.first.text), normalize(c.second.text), STEP_WIDTH, cut=clip)
        lines.append(
            f'contradiction: {c.first.path}:{c.first.line} says "{first}" and {c.second.path}:{c.second.line} '
            f'"{second}"; the merged agent holds both: keep the one you mean'
        )
    return lines


def identity_differences(body: MergedSection) -> list[str]:
    """One sentence when the merged agent states who it is ("You are ...", ``**Role**: ...``:
    ``cluster.is_identity``) in the words of two inputs or more: each input's identity is one
    slot, folded into one wording whatever else it says, except where a command of one ("Never
    approve unsafe code without a SAFETY comment") would be lost; then both are written, and an
    agent is one role."""
    from agentmerge.cluster import is_identity
    from agentmerge.text import normalize

    paths = dict.fromkeys(
        item.sources[0].path
        for section in (body, *body.sections)
        for item in section.items
        if item.item.kind == "paragraph" and item.sources and is_identity(normalize(item.item.text))
    )
    if len(paths) < 2:
        return []
    return [f"identity: the merged agent says who it is in the words of {series(list(paths))}: an agent is one role"]


def format_differences(body: MergedSection) -> list[str]:
    """One sentence per section of role outputs (or one inside it) that holds the templates of
    two inputs or more (code blocks, tables, HTML blocks, each by its kept wording's input): each
    input asks for its answer in its own format, and an agent answers in one. 3 of the corpus's
    182 role groups hold such a section."""
    from agentmerge.lexicon import OUTPUTS_ROLE

    lines: list[str] = []
    # Depth first, in order, without recursion through a closure (a function that holds itself
    # is a reference cycle: commands leave none for the collector, tests/test_entry.py).
    stack = [(body, False)]
    while stack:
        section, in_outputs = stack.pop()
        in_outputs = in_outputs or section.role == OUTPUTS_ROLE
        if in_outputs:
            paths = dict.fromkeys(
                item.sources[0].path for item in section.items if item.item.kind in TEMPLATE_KINDS and item.sources
            )
            if len(paths) > 1:
                lines.append(
                    f'format: under "{_title_of(section)}" the merged agent holds the answer templates of '
                    f"{series(list(paths))}: each input asks for its own format, and an agent answers in one"
                )
        stack.extend((sub, in_outputs) for sub in reversed(section.sections))
    return lines


TEMPLATE_KINDS = frozenset({"code", "table", "html"})
"""The kinds of item an output section's template is written in."""


def order_differences(body: MergedSection) -> list[str]:
    """One sentence per input and procedure (a numbered list, or headings numbered as steps, "### 1:
    Build", in a section of role workflow or one inside it) whose steps the merged agent puts in
    another order than that input did ("Write a failing test" before "Implement the change", where
    the input implements first), joins end to end, or interleaves: the inputs describe two
    procedures, and the merged one follows only one of them. Bullets and numbered lists of other
    sections ("Best Practices" 1 to 10) are not read: their order says nothing."""
    from agentmerge.text import clip, normalize

    lines: list[str] = []
    for section, steps in _step_runs(body, in_procedure=False):
        title = _title_of(section)
        for path, first, second in _inversions(steps):
            lines.append(
                f'order: under "{title}" the merged steps put "{clip(normalize(_step_text(first)), STEP_WIDTH)}" '
                f'before "{clip(normalize(_step_text(second)), STEP_WIDTH)}"; {path} had them the other way round'
            )
        joined = _joined_procedures(steps)
        if joined:
            parts = ", ".join(f"{path}'s ({_numbers(numbers)})" for path, numbers in joined)
            lines.append(
                f'order: under "{title}" the merged steps are {len(joined)} procedures that share no step, one '
                f"after another: {parts}; the merged agent follows them all in turn"
            )
        shared, unordered = _interleaved_procedures(steps)
        if unordered:
            parts = ", ".join(f"{path}'s ({_numbers(numbers)})" for path, numbers in unordered)
            inputs = len({source.path for step in steps for source in step.sources})
            lines.append(
                f'order: under "{title}" the merged steps join {inputs} procedures that share '
                f"{_numbers(shared)}; the steps each has alone are put in an order no input gives against the others': "
                f"{parts}; the merged agent follows them all"
            )
    return lines


def _interleaved_procedures(steps: Sequence[Step]) -> tuple[list[int], list[tuple[str, list[int]]]]:
    """The merged numbers (1-based) of the steps ``steps`` shares between inputs, and the inputs
    whose own steps it orders against another input's own steps with no input to say how, each
    with the merged numbers of those steps: two steps of one input and one of another between the
    same two shared steps (or before the first, or after the last), which no input orders against
    each other. Empty when the inputs share no step (``_joined_procedures``) or every input's own
    steps have their stretch to themselves: a step one input adds between two it shares with
    another is put where that input has it."""
    owners = [tuple(dict.fromkeys(source.path for source in step.sources)) for step in steps]
    shared = [n for n, paths in enumerate(owners, 1) if len(paths) > 1]
    if not shared:
        return [], []
    unordered: dict[str, list[int]] = {}
    stretch: dict[str, list[int]] = {}
    for n, paths in enumerate([*owners, ()], 1):
        if len(paths) == 1:
            stretch.setdefault(paths[0], []).append(n)
            continue
        if len(stretch) > 1:
            for path, numbers in stretch.items():
                unordered.setdefault(path, []).extend(numbers)
        stretch = {}
    return shared, list(unordered.items())


def _joined_procedures(steps: Sequence[Step]) -> list[tuple[str, list[int]]]:
    """The inputs whose numbered steps ``steps`` joins end to end, each with the merged numbers
    of its steps (1-based), when two inputs or more give two steps each or more and no step of one
    input merged with a step of another: three workflows of ten, five and four steps written as
    one of nineteen. Empty otherwise (one procedure whose steps the inputs share)."""
    numbers: dict[str, list[int]] = {}
    for n, step in enumerate(steps, 1):
        paths = dict.fromkeys(source.path for source in step.sources)
        if len(paths) > 1:
            return []
        for path in paths:
            numbers.setdefault(path, []).append(n)
    procedures = [(path, steps_of) for path, steps_of in numbers.items() if len(steps_of) > 1]
    return procedures if len(procedures) > 1 else []


def _numbers(numbers: list[int]) -> str:
    """``step 4``, ``steps 1-10`` for a run of consecutive numbers, ``steps 1, 4-9`` for runs."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return "steps " + ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _title_of(section: MergedSection) -> str:
    """A merged section's title as a warning quotes it."""
    return section.section.title or "the top of the file"


STEP_WIDTH = 60
"""Characters of a step quoted in an ``order_differences`` sentence before it is cut."""


def _step_runs(section: MergedSection, *, in_procedure: bool) -> Iterator[tuple[MergedSection, Sequence[Step]]]:
    """The procedures in ``section`` and below it, with the section each stands in: the numbered
    items of each list (``_item_runs``) in the sections of role workflow and those inside one,
    and each series of subsections titled as steps (``arrange.step_series``) there, or anywhere
    when its titles call them steps ("Step 1: Scope", "Phase 2: Build")."""
    from agentmerge.arrange import step_series
    from agentmerge.lexicon import WORKFLOW_ROLE
    from agentmerge.text import step_number

    for where, run in _item_runs(section, in_procedure=in_procedure):
        yield where, [m for m in run if m.item.kind == "ordered"]
    stack = [(section, in_procedure)]
    while stack:
        where, inside = stack.pop()
        inside = inside or where.role == WORKFLOW_ROLE
        for members in step_series([(sub.section.title, sub.sources) for sub in where.sections]):
            steps = [where.sections[n] for n in members]
            named = step_number(steps[0].section.title or "")
            if inside or (named is not None and named["word"]):
                yield where, steps
        stack.extend((sub, inside) for sub in reversed(where.sections))


def _step_text(step: Step) -> str:
    """A step as an ``order_differences`` sentence quotes it: an item's text, a section's title."""
    from agentmerge.arrange import MergedItem

    return step.item.text if isinstance(step, MergedItem) else step.section.title or ""


def _item_runs(section: MergedSection, *, in_procedure: bool) -> Iterator[tuple[MergedSection, Sequence[MergedItem]]]:
    """Each list of merged items in ``section`` and below it (nested lists too), with its section,
    in the sections of role workflow and those inside one."""
    from agentmerge.lexicon import WORKFLOW_ROLE

    in_procedure = in_procedure or section.role == WORKFLOW_ROLE
    if in_procedure:
        yield section, section.items
        nested = list(section.items)
        while nested:
            item = nested.pop(0)
            if item.children:
                yield section, item.children
                nested.extend(item.children)
    for sub in section.sections:
        yield from _item_runs(sub, in_procedure=in_procedure)


def _inversions(steps: Sequence[Step]) -> Iterator[tuple[str, Step, Step]]:
    """For each input with two of ``steps`` in the other order, its path and the first such pair
    of neighbours (in the input's own subsequence), in merged order. A step that holds two items
    of one input (a restatement elsewhere in the file folded in) has no one place in it: it is
    not weighed for that input."""
    paths = sorted({source.path for step in steps for source in step.sources})
    for path in paths:
        placed = [
            (lines[0], step)
            for step in steps
            if len(lines := [source.line for source in step.sources if source.path == path]) == 1
        ]
        for (line_a, a), (line_b, b) in itertools.pairwise(placed):
            if line_b < line_a:
                yield path, a, b
                break


def target_notes(result: Consolidation, *, reported: bool = True) -> list[str]:
    """One sentence per key that writing ``result`` for its target format (``consolidate --for``)
    left out, with the inputs that had it, and where the JSON report lists it when one is written
    (``reported``). Empty without a target. (What ``check``'s rules find in the file for that
    format, the CLI adds: ``check`` sits above this module.)"""
    from agentmerge.formats import BY_NAME, whole_server

    if result.target is None:
        return []
    form = BY_NAME[result.target]
    title = form.title

    def listed(where: str) -> str:
        return f" (the report lists it under {where})" if reported else ""

    notes = []
    if result.named_after is not None:
        name = result.agent.field("name")
        notes.append(
            f"name: no input names the agent, which a {title} requires; it is named "
            f"{name.value if name else ''!r}, as its file is{' (named_after in the report)' if reported else ''}"
        )
    notes += [
        f"{f.field.key} ({', '.join(dict.fromkeys(s.path for s in f.sources))}) is left out: "
        f"{_unread(form, f.field.key)}{listed('left_out')}"
        for f in result.left_out
    ]
    notes.extend(
        f"name: {r.name!r} is written as {r.written[0]!r}, as a {title} must be named{listed('renamed')}"
        if r.key == "name"
        else f"{r.key}: {r.name} (every tool) is written as no {r.key} key, which a {title} reads as every "
        f"tool{listed('renamed')}"
        if not r.written
        else f"{r.key}: {r.name} is written as {', '.join(r.written)}, what a {title} calls "
        f"{'that tool' if len(r.written) == 1 and not whole_server(r.name) else 'those tools'}{listed('renamed')}"
        for r in result.renamed
    )
    return notes


def _unread(form: Format, key: str) -> str:
    """Why ``form``'s file leaves ``key`` out: the tool does not read it, or reads what it holds
    under another key in its own shape (``Format.counterpart``), which is to be written by hand."""
    other = form.counterpart(key)
    if other is None:
        return f"a {form.title} does not read it"
    return f"a {form.title} reads {other[1]} as {other[0]}, in its own format: write them there by hand"


# --------------------------------------------------------------------------------------------
# Widening


def widenings(inputs: Sequence[Agent], merged: Agent, target: str | None = None) -> list[str]:
    """Sentences naming what ``merged`` may do that not every input could: a tool or skill some
    input lacked, a name a deny list lost, a dropped ``tools`` list (every tool inherited), a rule
    put into every request (``alwaysApply``) that an input was not, and any change of ``model``,
    permission mode or MCP servers. Names are read as ``diff`` reads them; an
    input's tool names as the ``target`` format writes them (``consolidate --for``: Copilot's
    ``search`` is Claude Code's Grep and Glob, no widening). Inputs are named in path order, as
    the consolidation orders them, whatever order they were given in."""
    inputs = sorted(inputs, key=lambda agent: agent.path)
    read = _read_by(target)
    lines: list[str] = []
    for rule in WIDENING_RULES:
        for key in rule.keys:
            if read(key) and (merged.field(key) is not None or any(a.field(key) is not None for a in inputs)):
                lines.extend(_widened(rule, key, inputs, merged, target))
    if read(ALWAYS_APPLY_KEY) and _always_applies(merged):
        # Cursor puts such a rule into every request, whatever its globs.
        narrower = [a.path for a in inputs if not _always_applies(a) and _reads_key(a.path, ALWAYS_APPLY_KEY)]
        if narrower:
            lines.append(
                f"the merged rule applies to every request ({ALWAYS_APPLY_KEY}); {', '.join(narrower)} did not"
            )
    lines.extend(_changed(inputs, merged, read))
    return lines


def _always_applies(agent: Agent) -> bool:
    """Whether ``agent`` is a rule its tool puts into every request (``alwaysApply: true``)."""
    found = agent.field(ALWAYS_APPLY_KEY)
    return found is not None and found.value is True


def _read_by(target: str | None) -> Callable[[str], bool]:
    """Whether the ``target`` format reads a key: a key it does not read is left out of the merged
    agent (``target_notes`` says so), and grants it nothing. Every key without a target."""
    if target is None:
        return lambda key: True
    from agentmerge.formats import BY_NAME

    return BY_NAME[target].documents


def _names_for(key: str, value: object, target: str | None) -> frozenset[str]:
    """The names of ``value`` as the ``target`` format writes them (its own names for a tool)."""
    from agentmerge.fields import TOOL_KEYS, names

    found = names(value)
    if target is None or key not in TOOL_KEYS:
        return frozenset(found)
    from agentmerge.formats import BY_NAME, tool_names_in

    return frozenset(n for name in found for n in tool_names_in(BY_NAME[target], name))


def _merged_reading(inputs: Sequence[Agent], target: str | None) -> ToolReading | None:
    """How the agent merged from ``inputs`` for ``target`` reads a tool name
    (``formats.merged_tool_reading``; None: as written, when it takes no other tool's names)."""
    from agentmerge.formats import merged_tool_reading

    return merged_tool_reading([a.path for a in inputs], target)


def _widened(rule: WideningRule, key: str, inputs: Sequence[Agent], merged: Agent, target: str | None) -> Iterator[str]:
    from agentmerge.fields import TOOL_KEYS, names, reaches_every_tool

    now = merged.field(key)
    gained: dict[str, list[str]] = {}
    for agent in inputs:
        mine = agent.field(key)
        if rule.kind == "allow" and (mine is None or reaches_every_tool(mine.value)):
            continue  # no allow list, or one of every tool: the input could already use every tool
        if mine is None and not _reads_key(agent.path, key):
            continue  # its tool never reads the key (a subagent's globs): the input gives no bound
        if rule.what == "file pattern" and _always_applies(agent):
            continue  # a rule in every request already reached every file
        if rule.kind == "allow" and now is None:
            assert mine is not None
            yield (
                f"the merged agent has no {key} list, so it may use every tool; "
                f"{agent.path} allowed only {named(sorted(names(mine.value)))}"
            )
            continue
        had = _names_for(key, mine.value, target) if mine is not None else frozenset()
        has = frozenset(names(now.value)) if now is not None else frozenset()
        source, against = (had, has) if rule.kind == "deny" else (has, had)
        extra = sorted(source - against)
        if extra:
            # Two spellings of one tool (Copilot's search and Grep) are no widening, and neither
            # is a name a wider one reaches (Bash(git log:*) under Bash).
            spell = _merged_reading(inputs, target) if key in TOOL_KEYS else None
            extra = list(beyond(extra, against, rule.what, spell))
        for name in extra:
            gained.setdefault(name, []).append(agent.path)
    by_inputs: dict[tuple[str, ...], list[str]] = {}
    for name, paths in gained.items():
        by_inputs.setdefault(tuple(paths), []).append(name)
    for lacking, listed in by_inputs.items():
        what = f"{rule.what if len(listed) == 1 else rule.what + 's'} {named(listed)} ({key})"
        if rule.kind == "deny":
            yield f"the merged agent no longer forbids {what}, which {', '.join(lacking)} forbade"
        else:
            yield f"the merged agent has {what} that {', '.join(lacking)} did not"


def _reads_key(path: str, key: str) -> bool:
    """Whether the tool that reads the file at ``path`` documents ``key`` (yes when the path tells
    no format)."""
    from agentmerge.formats import detect_format

    form = detect_format(path)
    return form is None or form.documents(key)


def _changed(inputs: Sequence[Agent], merged: Agent, read: Callable[[str], bool]) -> Iterator[str]:
    for key in filter(read, CHANGED_KEYS):
        now = merged.field(key)
        if now is not None and isinstance(now.value, dict):
            tables = [(a.path, a.field(key)) for a in inputs]
            if all(f is None or isinstance(f.value, dict) for _, f in tables):
                yield from _entries_changed(key, [(p, f.value if f else {}) for p, f in tables], now.value)
                continue
        chosen = _value(now)
        others: dict[str, list[str]] = {}
        for agent in inputs:
            mine = _value(agent.field(key))
            if mine != chosen:
                others.setdefault(mine, []).append(agent.path)
        if others:
            was = "; ".join(f"{', '.join(paths)} had {text}" for text, paths in others.items())
            yield f"{key} is {chosen} in the merged agent; {was}"


def _entries_changed(key: str, tables: Sequence[tuple[str, object]], now: dict[str, object]) -> Iterator[str]:
    """What a mapping of named entries (MCP servers) in the merged agent gives each input it did not
    have, and which entries are not as an input wrote them, by entry names rather than as JSON."""
    gained: dict[tuple[str, ...], list[str]] = {}
    other: dict[str, list[str]] = {}
    for path, had in tables:
        assert isinstance(had, dict)
        extra = tuple(str(name) for name in now if name not in had)
        if extra:
            gained.setdefault(extra, []).append(path)
        for name, value in had.items():
            if name in now and now[name] != value:
                other.setdefault(str(name), []).append(path)
    for extra, paths in gained.items():
        yield f"the merged agent has {key} {named(extra)} that {', '.join(paths)} did not"
    for name, paths in other.items():
        yield f"{key} {name} in the merged agent is not as {', '.join(paths)} wrote it"


def _value(found: Field | None) -> str:
    if found is None:
        return "(not set)"
    if isinstance(found.value, str):
        return found.value
    return json.dumps(found.value, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------------------------
# Variants of one agent


def one_name(agents: Sequence[Agent]) -> bool:
    """Whether ``agents`` are two or more variants of one named agent: each has a ``name`` field
    written as a name (words, digits, ``-``, ``_``, ``.``, ``:`` and spaces: not a template's
    ``<resourcename>``), and the names are the same but for case and surrounding space
    ("backend-engineer" four times). Of the other 66 names that two or three corpus files share
    ("python-expert", "data-engineer", "code-reviewer"), each names one job."""
    found = set()
    for agent in agents:
        field = agent.field("name")
        value = field.value.strip() if field is not None and isinstance(field.value, str) else ""
        if not _PLAIN_NAME.fullmatch(value):
            return False
        found.add(value.casefold())
    return len(agents) >= 2 and len(found) == 1


_PLAIN_NAME = re.compile(r"\w[\w .:-]*")
"""A name as written by hand: a placeholder (``<name>``, ``{{name}}``, ``[NAME]``) is none."""


def one_scope(agents: Sequence[Agent]) -> bool:
    """Whether ``agents`` are two or more rules for the same files: each has the same ``globs``
    (as a set of patterns, quotes aside), and one of them names some files rather than every file
    (``**/*``, which most Cursor rules give whatever their job). Two rules attached to the same
    ``**/*.go`` files do one job, however differently they are worded."""
    scopes = set()
    for agent in agents:
        field = agent.field("globs")
        patterns = frozenset(listed_names(field.value)) if field is not None else frozenset()
        if not patterns:
            return False
        scopes.add(patterns)
    if len(agents) < 2 or len(scopes) != 1:
        return False
    return any(_CATCH_ALL.fullmatch(pattern) is None for pattern in scopes.pop())


_CATCH_ALL = re.compile(r"[*/.]*")
"""A glob made of wildcards, slashes and dots alone: it names every file (``**/*``, ``*``, ``**/*.*``)."""
