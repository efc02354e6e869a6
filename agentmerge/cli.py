"""The ``agentmerge`` command line: parse options, call the library once, write, pick the exit code.

Exit codes: 0 success (no semantic difference for ``diff``), 1 differences, 2 usage or input
error. Errors are one line on stderr, ``agentmerge: error: PATH:LINE: message``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import click

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.filesystem import STDIN, check_output_path, read_bytes, refuse_inputs, same_file, write_atomic
from agentmerge.model import Agent, Diagnostic
from agentmerge.parse import read_agent

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


def report_error(error: AgentMergeError | str) -> None:
    """Print one error line on stderr: ``agentmerge: error: PATH:LINE: message``, the line only
    when there is one (``AgentMergeError.__str__`` is the one place that formats it)."""
    click.echo(f"agentmerge: error: {error}", err=True)


def report_warnings(warnings: Iterable[Diagnostic]) -> None:
    """Print each warning as one line on stderr."""
    for warning in warnings:
        click.echo(f"agentmerge: warning: {warning}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agentmerge", prog_name="agentmerge")
@click.option(
    "-C",
    "directory",
    metavar="DIR",
    help="Run as if agentmerge was started in DIR (like git -C); paths are then relative to DIR.",
)
def cli(directory: str | None) -> None:
    """Understand, review and consolidate AI agent definitions."""
    if directory is not None:
        # The GitHub Action starts agentmerge outside the checkout it reviews, so no module in the
        # pull request can be imported at start-up, and moves into the checkout here.
        try:
            os.chdir(directory)
        except OSError as exc:
            raise InputError(directory, 0, f"cannot be entered with -C ({exc.strerror or exc})") from None


@cli.command("parse")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
def parse_command(files: tuple[str, ...], fmt: str) -> None:
    """Print the parsed structure of each FILE (outline with line numbers, or JSON).

    A file that cannot be read is reported on stderr and the others are still printed; the exit
    code is then 2. Use - to read standard input.
    """
    from agentmerge.render import render_agents_json, render_outline

    failed: list[AgentMergeError] = []

    def readable() -> Iterator[Agent]:
        # A file that cannot be read is reported where it stands; the others are still printed.
        for path in files:
            try:
                agent = read_agent(path)
            except AgentMergeError as error:
                report_error(error)
                failed.append(error)
                continue
            report_warnings(agent.warnings)
            yield agent

    if fmt == "text":
        for agent in readable():
            click.echo("\n".join(render_outline(agent)))
    else:
        for piece in render_agents_json(readable()):
            click.echo(piece, nl=False)
    if failed:
        click.get_current_context().exit(EXIT_ERROR)


# --------------------------------------------------------------------------------------------
# diff

_DIFF_MARK_COLOURS = {"+": "green", "-": "red", "~": "yellow", ">": "cyan", "!": "magenta"}
# Used only when colouring, so left to ``re``'s cache rather than compiled at start-up.
_DIFF_CHANGE = r"^(  )([-+~>!])( )"
_REDLINE_DELETE = r"\[-(.*?)-\]"
_REDLINE_INSERT = r"\{\+(.*?)\+\}"


def use_colour(choice: str, stream: Any = None) -> bool:
    """Whether to colour output: ``--color always|never`` wins, then NO_COLOR, then FORCE_COLOR,
    then whether standard output is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").strip().lower() not in ("", "0", "false"):
        return True
    stream = stream if stream is not None else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


colour_option = click.option(
    "--color",
    "--colour",
    "colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report; auto colours a terminal unless NO_COLOR is set (FORCE_COLOR forces it).",
)
"""The ``--color``/``--colour`` option of every command that prints a coloured report."""

report_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
"""The ``--format`` option of the commands that report changes (diff and review)."""


def colour_diff_line(line: str) -> str:
    """Colour one line of the plain-text diff report by its mark and its redline runs."""
    if line.startswith(("--- ", "+++ ")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    match = re.match(_DIFF_CHANGE, line)
    if match is None:
        return line
    mark = match.group(2)
    rest = line[match.end() :]
    rest = re.sub(_REDLINE_DELETE, lambda m: click.style(m.group(0), fg="red"), rest)
    rest = re.sub(_REDLINE_INSERT, lambda m: click.style(m.group(0), fg="green"), rest)
    return f"  {click.style(mark, fg=_DIFF_MARK_COLOURS[mark], bold=True)} {rest}"


def colour_line_diff_line(line: str) -> str:
    """Colour one line of a plain unified line diff."""
    if line.startswith(("--- ", "+++ ")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


@cli.command("diff")
@click.argument("files", nargs=-1, metavar="OLD NEW")
@report_format_option
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Least similarity (0-1) at which an edited item counts as reworded rather than removed "
    "and added; 0.15 less for the lone item replaced between unchanged neighbours [default: 0.6].",
)
@click.option("--stat", is_flag=True, help="Print the counts of changes only.")
@click.option("--no-exit-code", is_flag=True, help="Exit 0 even when the files differ.")
@colour_option
def diff_command(
    files: tuple[str, ...], fmt: str, threshold: float | None, stat: bool, no_exit_code: bool, colour: str
) -> None:
    """Show the semantic differences between two agent files, OLD and NEW.

    Added, removed, reworded (with similarity and a word-level redline) and moved instructions,
    renamed or moved sections, and frontmatter changes by key. Formatting is not a change.
    Exit code 0 when there is no semantic difference, 1 when there is, 2 on bad input.
    Use - for standard input. With git's seven external-diff arguments
    (GIT_EXTERNAL_DIFF="agentmerge diff" git diff) it diffs the two versions and always exits 0.
    """
    from agentmerge.git import GIT_DIFF_ARGS, diff_sides

    sides = diff_sides(files)
    if sides is None:
        raise click.UsageError(
            f"diff takes two files, OLD and NEW (or git's {GIT_DIFF_ARGS} external-diff arguments); got {len(files)}"
        )
    if sides.old_path == "-" and sides.new_path == "-":
        raise click.UsageError("only one side can be read from standard input (-)")
    try:
        code = _run_diff(sides.old_path, sides.new_path, sides.old_name, sides.new_name, fmt, threshold, stat, colour)
    except AgentMergeError as error:
        if not sides.external:
            raise
        # git aborts the whole diff when its external command fails; report and go on.
        report_error(error)
        code = EXIT_OK
    click.get_current_context().exit(EXIT_OK if sides.external or no_exit_code else code)


def _run_diff(
    old_path: str,
    new_path: str,
    old_name: str,
    new_name: str,
    fmt: str,
    threshold: float | None,
    stat: bool,
    colour: str,
) -> int:
    """Read, diff and print; return EXIT_DIFFERENT when the files differ, else EXIT_OK."""
    from agentmerge import render
    from agentmerge.diff import LineDiff, diff_bytes

    names = [STDIN if path == "-" else name for path, name in ((old_path, old_name), (new_path, new_name))]
    result = diff_bytes(read_bytes(old_path), read_bytes(new_path), names[0], names[1], threshold=threshold)
    coloured = use_colour(colour)
    if isinstance(result, LineDiff):
        click.echo(f"agentmerge: warning: {result.reason}; showing a plain line diff", err=True)
        if fmt == "json":
            click.echo(render.to_json(render.line_diff_to_dict(result, stat=stat)), nl=False)
        elif stat:
            click.echo(render.render_line_diff_stat(result))
        elif fmt == "markdown":
            click.echo(render.render_line_diff_markdown(result), nl=False)
        else:
            for line in result.lines:
                click.echo(colour_line_diff_line(line) if coloured else line, color=coloured)
        return EXIT_OK if result.identical else EXIT_DIFFERENT
    report_warnings(result.warnings)
    if fmt == "json":
        data = render.diff_stat_to_dict(result) if stat else render.diff_to_dict(result)
        click.echo(render.to_json(data), nl=False)
    elif stat:
        click.echo(render.render_diff_stat(result) if fmt == "text" else render.render_diff_stat_markdown(result))
    elif fmt == "markdown":
        click.echo(render.render_diff_markdown(result), nl=False)
    else:
        for line in render.render_diff_text(result):
            click.echo(colour_diff_line(line) if coloured else line, color=coloured)
    return EXIT_OK if result.identical else EXIT_DIFFERENT


# --------------------------------------------------------------------------------------------
# review and git install (agentmerge.review is imported inside the commands: it is not on the
# path of the other commands, which stay fast to start)


@cli.command("review")
@click.argument("pathspecs", nargs=-1)
@click.option(
    "--base",
    metavar="REV",
    help="Compare from the merge base of REV and the head, like git diff REV...HEAD "
    "[default: the default branch: origin/HEAD, main or master].",
)
@click.option(
    "--head",
    metavar="REV",
    help="Compare to this commit [default: HEAD, or the working tree with untracked files when it is dirty].",
)
@report_format_option
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), help="Similarity cutoff for reworded items.")
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when an agent file changed (formatting-only edits do not count)."
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=2000),
    default=65536,
    show_default=True,
    help="Markdown: cut the report to this many characters (GitHub's comment limit).",
)
@click.option(
    "--github",
    is_flag=True,
    help="Run as a GitHub Actions step: take base and head from the event, append the Markdown "
    "report to $GITHUB_STEP_SUMMARY and write changed=N to $GITHUB_OUTPUT.",
)
@click.option(
    "--comment",
    is_flag=True,
    help="With --github: post the Markdown report as one pull request comment, or update the earlier one "
    "(token from $GITHUB_TOKEN).",
)
@colour_option
def review_command(
    pathspecs: tuple[str, ...],
    base: str | None,
    head: str | None,
    fmt: str,
    threshold: float | None,
    exit_code: bool,
    max_chars: int,
    github: bool,
    comment: bool,
    colour: str,
) -> None:
    """Report the semantic diff of every agent file changed in a git repository.

    Agent files are found by location and name (.claude/agents/**, **/agents/**/*.md, *.agent.md,
    *.chatmode.md, .github/agents/**, .cursor/rules/**/*.mdc, AGENTS.md, CLAUDE.md) and by content
    (frontmatter with name and description); [tool.agentmerge] agent-globs in pyproject.toml or
    .agentmerge.toml replaces the globs. PATHSPEC limits the files looked at, as in git diff.
    Exit 0 when the report was made, 2 on error, and with --exit-code 1 when anything changed.
    """
    from agentmerge.github import actions_step, github_context
    from agentmerge.render import to_json
    from agentmerge.review import render_review_markdown, render_review_text, review, review_to_dict

    if comment and not github:
        raise click.UsageError("--comment works with --github only")
    context = github_context(os.environ) if github else None
    if context is not None:
        base = base or context.base
        head = head or context.head
    report = review(".", base=base or None, head=head or None, pathspecs=pathspecs, threshold=threshold)
    report_warnings(report.config_warnings)
    for f in report.files:
        report_warnings(f.warnings)

    if fmt == "json":
        click.echo(to_json(review_to_dict(report)), nl=False)
    elif fmt == "markdown":
        click.echo(render_review_markdown(report, limit=max_chars), nl=False)
    else:
        coloured = use_colour(colour)
        for line in render_review_text(report):
            click.echo(colour_diff_line(line) if coloured else line, color=coloured)
    if context is not None:
        for note in actions_step(report, context, max_chars=max_chars, comment=comment):
            click.echo(f"agentmerge: {note}", err=True)
    if exit_code and report.changed:
        click.get_current_context().exit(EXIT_DIFFERENT)


@cli.group("git")
def git_group() -> None:
    """Set git up to use agentmerge."""


@git_group.command("install")
@click.option(
    "--global",
    "global_",
    is_flag=True,
    help="Configure your user git config and global attributes file instead of this repository.",
)
@click.option("--uninstall", is_flag=True, help="Remove exactly what install added.")
def git_install_command(global_: bool, uninstall: bool) -> None:
    """Make git diff show agent files as agentmerge's semantic diff, and git merge them by instruction.

    Sets diff.agentmerge.command = "agentmerge diff", merge.agentmerge.name and
    merge.agentmerge.driver = "agentmerge merge %O %A %B -o %A --marker-size %L --path %P", and
    adds "<glob> diff=agentmerge merge=agentmerge" lines for the default agent globs to
    .gitattributes (with --global: the global git config and the file core.attributesFile names,
    ~/.config/git/attributes by default). Running it twice changes nothing. git diff uses the
    driver by itself; git log -p and git show need --ext-diff.
    """
    import shutil

    from agentmerge.git import install_git_driver, uninstall_git_driver

    scope: Literal["local", "global"] = "global" if global_ else "local"
    if uninstall:
        done = uninstall_git_driver(".", scope=scope)
        for line in done or ["nothing to remove: the agentmerge drivers are not installed here"]:
            click.echo(line)
        return
    done = install_git_driver(".", scope=scope)
    for line in done or ["nothing to change: the agentmerge drivers are already installed"]:
        click.echo(line)
    click.echo(
        "git diff now shows agent files with agentmerge (git log -p and git show need --ext-diff); "
        "git merge merges them with agentmerge merge"
    )
    if shutil.which("agentmerge") is None:
        click.echo("agentmerge: warning: agentmerge is not on PATH, so git cannot run the drivers yet", err=True)


# --------------------------------------------------------------------------------------------
# merge


@cli.command("merge")
@click.argument("base", metavar="BASE")
@click.argument("ours", metavar="OURS")
@click.argument("theirs", metavar="THEIRS")
@click.option("-o", "--output", metavar="OUT", help="Write the merged file here (atomically) instead of stdout.")
@click.option(
    "--marker-size",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Length of the conflict markers (git passes %L).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: the merged file; json: what was taken from each side, the conflicts and the merged file.",
)
@click.option("--path", "name", metavar="P", help="The file's name in messages (git passes %P).")
def merge_command(
    base: str, ours: str, theirs: str, output: str | None, marker_size: int, fmt: str, name: str | None
) -> None:
    """Merge two edits of one agent file, OURS and THEIRS, made from their common ancestor BASE.

    Changes made on one side apply; items both sides added are both kept (ours first);
    formatting-only edits (rewrap, list markers, CRLF, renumbering) never conflict. A unit both
    sides changed differently, or one changed and the other removed, is marked git-style around
    that unit alone. Untouched parts of OURS keep their bytes. Exit 0 when clean, 1 when
    conflicts remain (listed on stderr), 2 on error. As git's merge driver:
    agentmerge merge %O %A %B -o %A --marker-size %L --path %P (agentmerge git install sets it up).
    """
    from agentmerge.merge import conflict_lines, merge_texts

    if [base, ours, theirs].count("-") > 1:
        raise click.UsageError("only one input can be read from standard input (-)")
    for target in (base, theirs):
        if output is not None and same_file(output, target):
            raise OutputError(output, 0, "is BASE or THEIRS; write the merge to OURS or to a new file")
    shown = name or (STDIN if ours == "-" else ours)
    texts, names = _merge_inputs((base, ours, theirs), name)
    try:
        result = merge_texts(
            texts[0], texts[1], texts[2], paths=(names[0], names[1], names[2]), marker_size=marker_size
        )
    except Exception as error:  # a defect: git must still find OURS, or git's own line merge
        if os.environ.get("AGENTMERGE_DEBUG"):
            raise
        _merge_failed(error, texts, output, ours, marker_size, shown)
        return
    if result.method != "model":
        click.echo(
            f"agentmerge: warning: {shown}: the structured merge did not check out; merged line by line instead",
            err=True,
        )
    if output is not None:
        write_atomic(output, result.text)
    if fmt == "json":
        from agentmerge.render import merge_to_dict, to_json

        click.echo(to_json(merge_to_dict(result, name)), nl=False)
    elif output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(result.text.encode("utf-8"))
        sys.stdout.buffer.flush()
    if result.conflicts:
        count = len(result.conflicts)
        click.echo(f"agentmerge: {shown}: {count} conflict{'s' if count != 1 else ''}", err=True)
        for line in conflict_lines(result):
            click.echo(f"  {line}", err=True)
        click.get_current_context().exit(EXIT_DIFFERENT)


def _merge_inputs(paths: tuple[str, str, str], name: str | None) -> tuple[list[str], list[str]]:
    """The decoded texts of BASE, OURS and THEIRS with their line endings (and OURS' byte order
    mark), and how each is named in messages: ``P (base)`` under git, else its path."""
    import codecs

    from agentmerge.parse import decode

    texts: list[str] = []
    names: list[str] = []
    for side, path in zip(("base", "ours", "theirs"), paths, strict=True):
        label = f"{name} ({side})" if name else (STDIN if path == "-" else path)
        try:
            data = read_bytes(path)
            text, warnings = decode(data, label, keep_endings=True)
        except InputError as error:
            if not name:
                raise
            raise InputError(name, error.line, f"{side} version ({path}): {error.message}") from None
        report_warnings(warnings)
        texts.append("\ufeff" + text if data.startswith(codecs.BOM_UTF8) else text)
        names.append(label)
    return texts, names


def _merge_failed(
    error: Exception, texts: list[str], output: str | None, ours: str, marker_size: int, shown: str
) -> None:
    """An internal error while merging: say so, and when the output is OURS (git's driver) leave
    git's kind of line merge there, with markers where the sides overlap; else write nothing."""
    from agentmerge.merge import line_merge

    what = f"internal error in merge ({type(error).__name__}: {error})"
    if output is not None and same_file(output, ours):
        try:
            write_atomic(output, line_merge(texts[0], texts[1], texts[2], marker_size=marker_size))
            what += f"; {output} holds a line-by-line merge with conflict markers"
        except Exception:  # the line merge failed too: OURS stays as it was
            what += f"; {output} was left as it was"
    report_error(f"{shown}: {what}; rerun with AGENTMERGE_DEBUG=1 and report it")
    click.get_current_context().exit(EXIT_ERROR)


# --------------------------------------------------------------------------------------------
# consolidate


@cli.command("consolidate")
@click.argument("files", nargs=-1, required=True)
@click.option("-o", "--output", metavar="OUT", help="Write the merged agent (or the JSON) here instead of stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True, help="Output format."
)
@click.option("--report", metavar="PATH", help="Also write the JSON report here (beside a Markdown output).")
@click.option(
    "--threshold", type=click.FloatRange(0.0, 1.0), help="Least score at which two items merge [default: 0.5]."
)
@click.option("--prefer", metavar="FILE", help="Keep this input's wording, titles and values whenever it has them.")
@click.option("--annotate", is_flag=True, help="Add <!-- file:line --> provenance comments (the parser ignores them).")
@click.option("--force", is_flag=True, help="Allow -o or --report to overwrite one of the inputs.")
def consolidate_command(
    files: tuple[str, ...],
    output: str | None,
    fmt: str,
    report: str | None,
    threshold: float | None,
    prefer: str | None,
    annotate: bool,
    force: bool,
) -> None:
    """Merge FILES (variants of one agent role) into one canonical agent.

    Equivalent sections and items are matched, one wording of each is kept, and every kept line
    records where it came from. Frontmatter disagreements are settled and listed in the report.
    Use - to read one input from standard input.
    """
    from agentmerge import consolidate
    from agentmerge.render import consolidation_to_dict, to_json
    from agentmerge.writer import render_consolidation

    for target in (output, report):
        if target is not None:
            check_output_path(target)
    if output is not None and report is not None and (output == report or same_file(output, report)):
        raise OutputError(report, 0, "is also the -o output; give --report a path of its own")
    agents = [read_agent(path) for path in files]
    for agent in agents:
        report_warnings(agent.warnings)
    for target in (output, report):
        if target is not None and not force:
            refuse_inputs(target, files)
    result = consolidate(agents, threshold=threshold, prefer=_input_named(prefer, files) if prefer else None)
    text = render_consolidation(result, annotate=annotate)
    body = to_json(consolidation_to_dict(result, annotate=annotate)) if fmt == "json" else text
    if report is not None:
        write_atomic(report, to_json(consolidation_to_dict(result, annotate=annotate)))
    if output is None:
        click.echo(body, nl=False)
        return
    write_atomic(output, body)
    click.echo(
        f"agentmerge: consolidated {len(result.inputs)} inputs into {output}: {result.items_in} items in "
        f"(frontmatter fields included), {result.items_out} out, {result.merged} merged clusters, "
        f"{len(result.conflicts)} frontmatter conflicts settled" + (f"; report in {report}" if report else ""),
        err=True,
    )


def _input_named(prefer: str, files: tuple[str, ...]) -> str:
    """The input path (as given) that ``prefer`` names, by path or by the same file on disk."""
    for path in files:
        if prefer == path or same_file(prefer, path):
            return STDIN if path == "-" else path
    raise OutputError(prefer, 0, "--prefer must name one of the input files")


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; bad input never shows a traceback."""
    try:
        code = cli.main(args=argv, prog_name="agentmerge", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("agentmerge: error: aborted", err=True)
        return EXIT_ERROR
    except AgentMergeError as error:
        report_error(error)
        return EXIT_ERROR
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (``agentmerge diff ... | head``); nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except RecursionError:
        click.echo("agentmerge: error: input nested too deeply to process", err=True)
        return EXIT_ERROR
    except Exception as error:  # a defect, not bad input: say so in one line
        if os.environ.get("AGENTMERGE_DEBUG"):
            raise
        click.echo(
            f"agentmerge: error: internal error ({type(error).__name__}: {error}); "
            "rerun with AGENTMERGE_DEBUG=1 and report it",
            err=True,
        )
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK
