"""The ``agentmerge`` command line: parse options, call the library once, write, pick the exit code.

Exit codes: 0 success (no semantic difference for ``diff``), 1 differences, 2 usage or input
error. Errors are one line on stderr, ``agentmerge: error: PATH:LINE: message``.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import click

from agentmerge.errors import AgentMergeError, InputError, OutputError
from agentmerge.filesystem import (
    STDIN,
    check_output_path,
    read_bytes,
    refuse_inputs,
    same_file,
    write_atomic,
)
from agentmerge.model import Agent, Diagnostic
from agentmerge.parse import read_agent
from agentmerge.text import counted

if TYPE_CHECKING:
    from agentmerge.git import DiffSides

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


def say(line: str) -> None:
    """Print ``line`` on stderr as one line, control characters and line breaks escaped
    (``render.one_line``): a message may quote a file's name or its frontmatter, which come from
    anyone, and must neither drive the terminal nor forge a line of its own."""
    if not (line.isascii() and line.isprintable()):  # most lines: nothing to escape, no import
        from agentmerge.render import one_line

        line = one_line(line)
    click.echo(line, err=True)


def report_error(error: AgentMergeError | str) -> None:
    """Print one error line on stderr: ``agentmerge: error: PATH:LINE: message``, the line only
    when there is one (``AgentMergeError.__str__`` is the one place that formats it)."""
    say(f"agentmerge: error: {error}")


def report_warnings(warnings: Iterable[Diagnostic]) -> None:
    """Print each warning as one line on stderr, up to WARNINGS_SHOWN of one kind for one file;
    past that, one line says how many more there are and on which lines."""
    first: dict[tuple[str, str], Diagnostic] = {}
    shown: dict[tuple[str, str], int] = {}
    more: dict[tuple[str, str], list[int]] = {}
    for warning in warnings:
        key = (warning.path, warning.kind)
        first.setdefault(key, warning)
        if not warning.kind or shown.get(key, 0) < WARNINGS_SHOWN:
            shown[key] = shown.get(key, 0) + 1
            say(f"agentmerge: warning: {warning}")
        else:
            more.setdefault(key, []).append(warning.line)
    for key, lines in more.items():
        like = first[key]
        say(
            f"agentmerge: warning: {like.path}: {len(lines):,} more like the warning for line {like.line}, "
            f"on lines {min(lines)}-{max(lines)}"
        )


WARNINGS_SHOWN = 5
"""Most warnings of one kind printed for one file: a file with thousands of lines nested too deeply
to parse gets five and a count, not thousands of lines (JSON outputs list every one)."""

MAX_MARKER_SIZE = 1_000
"""Longest conflict markers ``merge`` writes: git's default is 7; a marker a billion characters
long, written for each conflict, ran out of memory."""


class FormatName(click.ParamType):  # type: ignore[type-arg]
    """The name of a format ``consolidate --for`` writes (``formats.TARGETS``), checked when one is
    given: the format table loads only then."""

    name = "format"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from agentmerge.formats import TARGETS

        if value in TARGETS:
            return str(value)
        self.fail(f"{value!r} is not one of {', '.join(map(repr, sorted(TARGETS)))}.", param, ctx)


class Share(click.FloatRange):
    """A number from 0 to 1 (a threshold, a similarity): click's FloatRange lets "nan" through,
    which no comparison refuses, and a command then failed on it as an internal error."""

    def __init__(self) -> None:
        super().__init__(0.0, 1.0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:  # NaN is the one float unequal to itself
            self.fail(f"{value!r} is not a number from 0 to 1.", param, ctx)
        return number


SHARE = Share()


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
        # pull request can be imported at start-up, and moves into the checkout here. A caller that
        # runs the command line in its own process gets its directory back afterwards.
        previous = os.getcwd()
        try:
            os.chdir(directory)
        except OSError as exc:
            raise InputError(directory, 0, f"cannot be entered with -C ({exc.strerror or exc})") from None
        click.get_current_context().call_on_close(lambda: os.chdir(previous))


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


def _output_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``-o -`` is standard output, as ``-`` is standard input among the inputs (not a file named ``-``)."""
    return None if value == "-" else value


def _report_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--report`` names a file (or a folder): ``-`` is refused rather than written as a file named ``-``."""
    if value == "-":
        raise click.BadParameter("names a file; --format json prints the report to standard output")
    return value


# --------------------------------------------------------------------------------------------
# diff

REWORD_THRESHOLD_HELP = (
    "Least similarity (0-1) at which an edited item counts as reworded rather than removed "
    "and added; 0.15 less for the lone item replaced between unchanged neighbours [default: 0.6]."
)
"""``--threshold`` of diff and review, which pair items alike."""

_DIFF_MARK_COLOURS = {"+": "green", "-": "red", "~": "yellow", ">": "cyan", "!": "magenta"}
# Used only when colouring, so left to ``re``'s cache rather than compiled at start-up.
_DIFF_CHANGE = r"^(  )([-+~>!])( )"
_REDLINE_DELETE = r"\[-(.*?)-\]"
_REDLINE_INSERT = r"\{\+(.*?)\+\}"
_BLOCK_LINE = r"^ {4}.{14} {3}\| ([-+]) "


_GIT_NEVER = frozenset({"never", "false", "no", "off", "0"})
"""git's colour settings that turn colour off (``always`` turns it on; ``auto`` and ``true``
colour a terminal or git's pager)."""


def use_colour(choice: str, stream: Any = None, *, under_git: bool = False) -> bool:
    """Whether to colour output: ``--color always|never`` wins, then NO_COLOR, then FORCE_COLOR;
    then, when git runs agentmerge (as its diff driver, or with its pager started), git's own
    decision: ``color.diff`` (else ``color.ui``) ``always`` or ``never``, and otherwise colour
    when git's pager shows the output (``GIT_PAGER_IN_USE``), as git colours its own hunks;
    last, whether standard output is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").strip().lower() not in ("", "0", "false"):
        return True
    pager = os.environ.get("GIT_PAGER_IN_USE", "").strip().lower() not in ("", "0", "false")
    if under_git or pager:
        from agentmerge.git import colour_setting

        setting = colour_setting()
        if setting == "always":
            return True
        if setting in _GIT_NEVER:
            return False
        if pager:
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
    block = re.match(_BLOCK_LINE, line)
    if block is not None:
        return line[: block.start(1)] + click.style(line[block.start(1) :], fg=_DIFF_MARK_COLOURS[block.group(1)])
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
    type=SHARE,
    default=None,
    help=REWORD_THRESHOLD_HELP,
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
    (GIT_EXTERNAL_DIFF="agentmerge diff --" git diff) it diffs the two versions and always exits 0.
    """
    from agentmerge.git import GIT_DIFF_ARGS, diff_sides

    sides = diff_sides(files)
    if sides is None:
        raise click.UsageError(
            f"diff takes two files, OLD and NEW (or git's {GIT_DIFF_ARGS} external-diff arguments); got {len(files)}"
        )
    if sides.old_path == "-" and sides.new_path == "-":
        raise click.UsageError("only one side can be read from standard input (-)")
    if not sides.external:
        code = _run_diff(sides.old_path, sides.new_path, sides.old_name, sides.new_name, fmt, threshold, stat, colour)
    else:
        try:
            _driver_diff(sides, fmt, threshold, stat, colour)
        except BrokenPipeError:
            # git's pager quit (or `git log -p | head`): git stops on its own; a driver that does
            # not exit 0 makes it say "external diff died" instead.
            _reader_gone()
        code = EXIT_OK
    click.get_current_context().exit(EXIT_OK if sides.external or no_exit_code else code)


def _driver_diff(sides: DiffSides, fmt: str, threshold: float | None, stat: bool, colour: str) -> None:
    """``diff`` as git's external diff command: a symbolic link is not compared, nor is a side
    that cannot be read, and neither fails the command, since git aborts the whole diff when its
    external command fails."""
    if any(sides.links):
        _not_compared(sides, _link_problem(sides))
        return
    try:
        _run_diff(sides.old_path, sides.new_path, sides.old_name, sides.new_name, fmt, threshold, stat, colour, True)
        if sides.modes is not None and fmt == "text" and not stat:
            # git shows a mode change apart from the text; the driver takes git's place.
            click.echo(f"mode {sides.modes[0]} -> {sides.modes[1]}")
    except AgentMergeError as error:
        # Said under the file's name in the repository (git's temporary copy means nothing to the
        # reader), and shown as not compared, so the change does not vanish from the diff.
        name = sides.old_name if error.path == sides.old_path else sides.new_name
        report_error(AgentMergeError(name, error.line, error.message))
        _not_compared(sides, error.message)


def _not_compared(sides: DiffSides, problem: str) -> None:
    """The diff of a file git hands the driver that is not compared: its names and why, so the
    change still shows in git's diff."""
    from agentmerge.render import one_line

    click.echo(one_line(f"--- {sides.old_name}") + "\n" + one_line(f"+++ {sides.new_name}"))
    click.echo(one_line(f"  not compared: {problem}"))


def _link_problem(sides: DiffSides) -> str:
    """What a diff driver says of a side that is a symbolic link: git hands over its target as
    the file's text, which the driver quotes and does not follow."""
    from agentmerge.git import LINK_TARGET_SHOWN
    from agentmerge.text import clip

    def target(path: str) -> str:
        try:
            return repr(clip(read_bytes(path).decode("utf-8", "replace"), LINK_TARGET_SHOWN))
        except AgentMergeError:
            return "?"

    old, new = sides.links
    if old and new:
        return f"a symbolic link, now to {target(sides.new_path)} (it led to {target(sides.old_path)}), not followed"
    if new:
        now = "now " if sides.old_name != "/dev/null" else ""
        return f"{now}a symbolic link to {target(sides.new_path)}, not followed"
    return f"was a symbolic link to {target(sides.old_path)}, not followed"


def _run_diff(
    old_path: str,
    new_path: str,
    old_name: str,
    new_name: str,
    fmt: str,
    threshold: float | None,
    stat: bool,
    colour: str,
    under_git: bool = False,
) -> int:
    """Read, diff and print; return EXIT_DIFFERENT when the files differ, else EXIT_OK."""
    from agentmerge import render
    from agentmerge.diff import LineDiff, diff_bytes

    names = [STDIN if path == "-" else name for path, name in ((old_path, old_name), (new_path, new_name))]
    result = diff_bytes(read_bytes(old_path), read_bytes(new_path), names[0], names[1], threshold=threshold)
    coloured = use_colour(colour, under_git=under_git)
    if isinstance(result, LineDiff):
        say(f"agentmerge: warning: {result.reason}; showing a plain line diff")
        if fmt == "json":
            click.echo(render.to_json(render.line_diff_to_dict(result, stat=stat)), nl=False)
        elif stat:
            click.echo(render.render_line_diff_stat(result))
        elif fmt == "markdown":
            click.echo(render.render_line_diff_markdown(result), nl=False)
        else:
            for line in map(render.visible, result.lines):
                click.echo(colour_line_diff_line(line) if coloured else line, color=coloured)
        return EXIT_OK if result.identical else EXIT_DIFFERENT
    # As git's driver both sides bear the file's one name: a problem both have is said once.
    report_warnings(tuple(dict.fromkeys(result.warnings)))
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
@click.option("--threshold", type=SHARE, help=REWORD_THRESHOLD_HELP)
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

    Agent files are found by location and name (.claude/agents/**/*.md, **/agents/**/*.md, *.agent.md,
    *.chatmode.md, .github/agents/**/*.md, *.mdc, *.instructions.md, *.prompt.md,
    AGENTS.md, CLAUDE.md, GEMINI.md, .github/copilot-instructions.md, .cursorrules) and by content
    (frontmatter with name and description); [tool.agentmerge] agent-globs in pyproject.toml or
    .agentmerge.toml replaces the globs, and a file either side's settings pick is reviewed.
    PATHSPEC limits the files looked at, as in git diff.
    Exit 0 when the report was made, 2 on error, and with --exit-code 1 when an agent changed in
    meaning (formatting alone does not count).
    """
    from agentmerge.github import actions_failure, actions_step, github_context
    from agentmerge.review import render_review_json, render_review_markdown, render_review_text, review

    if comment and not github:
        raise click.UsageError("--comment works with --github only")
    context = github_context(os.environ) if github else None
    base_name = head_name = None
    if context is not None:
        # Branch names for the header, when the revisions are the event's commit ids.
        base_name = None if base else context.base_name
        head_name = None if head else context.head_name
        base = base or context.base
        head = head or context.head
    try:
        report = review(
            ".",
            base=base or None,
            head=head or None,
            pathspecs=pathspecs,
            threshold=threshold,
            base_name=base_name,
            head_name=head_name,
        )
    except AgentMergeError as error:
        if context is not None:
            click.echo(actions_failure(context, error))
        raise
    report_warnings(report.config_warnings)
    if report.base_config is not None:
        say("agentmerge: note: the base's settings pick other agent files than the change's; both sets are reviewed")
    for f in report.files:
        report_warnings(f.warnings)

    if fmt == "json":
        for piece in render_review_json(report):
            click.echo(piece, nl=False)
    elif fmt == "markdown":
        click.echo(render_review_markdown(report, limit=max_chars), nl=False)
    else:
        coloured = use_colour(colour)
        for line in render_review_text(report):
            click.echo(colour_diff_line(line) if coloured else line, color=coloured)
    if context is not None:
        for note in actions_step(report, context, max_chars=max_chars, comment=comment):
            say(f"agentmerge: {note}")
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

    Sets diff.agentmerge.command = "agentmerge diff --", merge.agentmerge.name and
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
        say("agentmerge: warning: agentmerge is not on PATH, so git cannot run the drivers yet")


# --------------------------------------------------------------------------------------------
# merge


@cli.command("merge")
@click.argument("base", metavar="BASE")
@click.argument("ours", metavar="OURS")
@click.argument("theirs", metavar="THEIRS")
@click.option(
    "-o",
    "--output",
    metavar="OUT",
    callback=_output_option,
    help="Write the merged file here (atomically) instead of stdout (- for stdout).",
)
@click.option(
    "--marker-size",
    type=click.IntRange(min=1, max=MAX_MARKER_SIZE),
    default=7,
    show_default=True,
    help=f"Length of the conflict markers (git passes %L), at most {MAX_MARKER_SIZE:,}.",
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
    sides changed differently (in the same lines, as git sees them), or one changed and the other
    removed, is marked git-style around that unit alone. Untouched parts of OURS keep their bytes.
    Exit 0 when clean, 1 when conflicts remain (listed on stderr), 2 on error. As git's merge driver:
    agentmerge merge %O %A %B -o %A --marker-size %L --path %P (agentmerge git install sets it up).
    """
    from agentmerge.merge import conflict_lines, line_merge_result, merge_texts

    if [base, ours, theirs].count("-") > 1:
        raise click.UsageError("only one input can be read from standard input (-)")
    for target in (base, theirs):
        if output is not None and same_file(output, target):
            raise OutputError(output, 0, "is BASE or THEIRS; write the merge to OURS or to a new file")
    shown = name or (STDIN if ours == "-" else ours)
    texts, names, encoding = _merge_inputs((base, ours, theirs), name)
    paths = (names[0], names[1], names[2])
    try:
        result = merge_texts(texts[0], texts[1], texts[2], paths=paths, marker_size=marker_size, name=name)
    except AgentMergeError as error:  # a side the parser refuses (a line too long): git's line merge
        say(f"agentmerge: warning: {error}; merged line by line instead")
        result = line_merge_result((texts[0], texts[1], texts[2]), paths, marker_size=marker_size)
    except Exception as error:  # a defect: git must still find OURS, or git's own line merge
        if os.environ.get("AGENTMERGE_DEBUG"):
            raise
        _merge_failed(error, texts, output, ours, marker_size, shown, encoding)
        return
    else:
        report_warnings(result.warnings)
        # Text a reader does not see, in what the merge writes (from either side): said on its line.
        from agentmerge.parse import hidden_warnings

        report_warnings(hidden_warnings(result.text, shown))
        if result.method != "model":
            say(f"agentmerge: warning: {shown}: the structured merge did not check out; merged line by line instead")
    if output is not None:
        write_atomic(output, result.text, encoding)
    if fmt == "json":
        from agentmerge.render import merge_to_dict, to_json

        click.echo(to_json(merge_to_dict(result, name)), nl=False)
    elif output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(result.text.encode(encoding, "surrogateescape"))
        sys.stdout.buffer.flush()
    if result.conflicts:
        count = len(result.conflicts)
        say(f"agentmerge: {shown}: {counted(count, 'conflict')}")
        for line in conflict_lines(result):
            say(f"  {line}")
        click.get_current_context().exit(EXIT_DIFFERENT)


def _merge_inputs(paths: tuple[str, str, str], name: str | None) -> tuple[list[str], list[str], str]:
    """The decoded texts of BASE, OURS and THEIRS with their line endings and byte order marks, how
    each is named in messages (``P (base)`` under git, else its path), and the codec OURS is
    written in, which the result is written in (``parse.written_as``: a UTF-16 file stays UTF-16).
    Bytes that are not UTF-8 are kept (``parse.decode``'s ``keep_bytes``), so the merge writes them
    back as they were; when the result is written in UTF-16, which cannot hold them, they are
    replaced with U+FFFD, and the warning says so."""
    from agentmerge.parse import decode, written_as

    sides = ("base", "ours", "theirs")
    labels = [
        f"{name} ({side})" if name else (STDIN if path == "-" else path)
        for side, path in zip(sides, paths, strict=True)
    ]
    found: list[bytes] = []
    for side, path in zip(sides, paths, strict=True):
        try:
            found.append(read_bytes(path))
        except InputError as error:
            raise _side_error(error, side, path, name) from None
    written = written_as(found[1])[1]
    texts: list[str] = []
    for side, path, label, data in zip(sides, paths, labels, found, strict=True):
        try:
            text, warnings = decode(data, label, keep_endings=True, keep_bytes=written == "utf-8")
        except InputError as error:
            raise _side_error(error, side, path, name) from None
        report_warnings(warnings)
        texts.append(written_as(data)[0] + text)
    return texts, labels, written


def _side_error(error: InputError, side: str, path: str, name: str | None) -> InputError:
    """Under git (``--path`` ``name``), the error of one side's temporary file said of the file git
    merges; else the error as it is."""
    return InputError(name, error.line, f"{side} version ({path}): {error.message}") if name else error


def _merge_failed(
    error: Exception, texts: list[str], output: str | None, ours: str, marker_size: int, shown: str, encoding: str
) -> None:
    """An internal error while merging: say so, and when the output is OURS (git's driver) leave
    git's kind of line merge there, with markers where the sides overlap; else write nothing."""
    from agentmerge.merge import line_merge

    what = f"internal error in merge ({type(error).__name__}: {error})"
    if output is not None and same_file(output, ours):
        try:
            write_atomic(output, line_merge(texts[0], texts[1], texts[2], marker_size=marker_size), encoding)
            what += f"; {output} holds a line-by-line merge with conflict markers"
        except Exception:  # the line merge failed too: OURS stays as it was
            what += f"; {output} was left as it was"
    report_error(f"{shown}: {what}; rerun with AGENTMERGE_DEBUG=1 and report it")
    click.get_current_context().exit(EXIT_ERROR)


# --------------------------------------------------------------------------------------------
# group and the options and status line of the library-wide commands

jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes when there are many files, at most one per CPU [default: one per CPU].",
)
"""The ``--jobs`` option of the commands that read whole libraries."""

STATUS_DELAY = 2.0
"""Seconds a command runs before its status line appears (shorter runs print none)."""


class StatusLine:
    """What a long command is doing, on one line of stderr that is redrawn in place.

    Shown only when stderr is a terminal, and only once the command has run STATUS_DELAY
    seconds; a background thread keeps the elapsed time moving through steps that report no
    progress of their own. Cleared when the command ends, so no trace stays in the terminal.
    """

    def __init__(self, stream: Any = None, *, enabled: bool | None = None, delay: float = STATUS_DELAY) -> None:
        import threading
        import time

        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)()) if enabled is None else enabled
        self.delay = delay
        self.start = time.monotonic()
        self.text = ""
        self.shown = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True) if self.enabled else None

    def __enter__(self) -> StatusLine:
        if self.thread is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def __call__(self, what: str, done: int, total: int) -> None:
        """Report a step: ``what`` with ``done`` of ``total`` (0 of 0: a step without a count)."""
        self.text = f"{what} {done}/{total}" if total else what

    def _run(self) -> None:
        import time

        while not self.stop.wait(0.2):
            elapsed = time.monotonic() - self.start
            if elapsed < self.delay or not self.text:
                continue
            with self.lock:
                self.stream.write(f"\r\x1b[Kagentmerge: {self.text} ({elapsed:.0f} s)")
                self.stream.flush()
                self.shown = True


def report_skipped(found: Any) -> None:
    """Say how many Markdown files of each folder given were not taken as agent files, and how many
    links out of it were not followed."""
    for folder, count in found.skipped:
        say(
            f"agentmerge: note: {folder}: left out {counted(count, 'Markdown file')} with neither an agent "
            "file's name nor name and description frontmatter; name such a file as an argument to include it"
        )
    for folder, count in found.outside:
        say(
            f"agentmerge: note: {folder}: did not follow {counted(count, 'symbolic link')} to files outside it; "
            "name such a file as an argument to read it"
        )


min_similarity_option = click.option(
    "--min-similarity",
    type=SHARE,
    help="Least role similarity (0-1) at which agents, or groups on average, do the same job [default: 0.3].",
)
"""The grouping cutoffs of ``group`` and ``consolidate --by-group``."""
min_overlap_option = click.option(
    "--min-overlap",
    type=SHARE,
    default=0.0,
    help="Also require that two linked agents have at least this share (0-1) of instructions in common [default: 0].",
)


@cli.command("group")
@click.argument("paths", nargs=-1, required=True)
@report_format_option
@min_similarity_option
@min_overlap_option
@jobs_option
def group_command(
    paths: tuple[str, ...], fmt: str, min_similarity: float | None, min_overlap: float, jobs: int | None
) -> None:
    """Group the agents of a library that do the same job.

    PATHS are agent files or folders (walked for agent files by the globs of git install, or by
    name and description frontmatter). Agents are compared by what their instructions,
    descriptions and names say; each group is shown with its members, their mean similarity, the
    share of instructions they have in common, and a suggested name. Agents alone are listed apart.
    """
    from agentmerge import library
    from agentmerge.group import group_profiles, unmeasured_note
    from agentmerge.render import grouping_to_dict, render_grouping_markdown, render_grouping_text, to_json

    found = library.find_agent_files(paths)
    report_skipped(found)
    if not found.files:
        raise InputError(paths[0], 0, "holds no agent files; name agent files or folders that hold them")
    with StatusLine() as status:
        read = library.read_profiles(found.files, jobs=jobs, progress=status)
        status("grouping", 0, 0)
        result = group_profiles(read.profiles, min_similarity=_cutoff(min_similarity), min_overlap=min_overlap)
    result = replace(result, unread=tuple(Diagnostic(e.path, e.line, e.message) for e in read.errors))
    for error in read.errors:
        report_error(error)
    if result.unmeasured:
        say(f"agentmerge: warning: instruction overlap {unmeasured_note(result.unmeasured)}")
    if read.warned:
        say(
            f"agentmerge: warning: {counted(read.warned, 'file')} had problems that were worked around; "
            "agentmerge parse FILE shows them"
        )
    if fmt == "json":
        click.echo(to_json(grouping_to_dict(result)), nl=False)
    elif fmt == "markdown":
        click.echo(render_grouping_markdown(result), nl=False)
    else:
        for line in render_grouping_text(result):
            click.echo(line)
    if read.errors:
        click.get_current_context().exit(EXIT_ERROR)


def _cutoff(min_similarity: float | None) -> float:
    """``--min-similarity`` as given, else grouping's default."""
    from agentmerge.group import MIN_SIMILARITY

    return MIN_SIMILARITY if min_similarity is None else min_similarity


# --------------------------------------------------------------------------------------------
# check and fmt


@cli.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: path:line:col: CODE message; json: the report; github: workflow annotations.",
)
@click.option("--select", multiple=True, metavar="CODES", help="Run only these rules (codes or prefixes: AM101,AM2).")
@click.option(
    "--extend-select", multiple=True, metavar="CODES", help="Run these rules too (an opt-in rule such as AM107)."
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Do not run these rules (codes or prefixes).")
@click.option("--fix", is_flag=True, help="Repair what can be repaired without changing what a file says.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@jobs_option
def check_command(
    paths: tuple[str, ...],
    fmt: str,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fix: bool,
    exit_zero: bool,
    jobs: int | None,
) -> None:
    """Lint agent files: each file against its format's documented frontmatter, then its body
    (placeholders, empty sections; opt-in: repeated or contradicting instructions) and, given several
    files, the library (one name twice, agents that overlap).

    PATHS are agent files or folders (walked for agent files as group and consolidate walk them).
    Rules are chosen with --select, --extend-select and --ignore, or the keys of those names in
    [tool.agentmerge.check] of pyproject.toml or .agentmerge.toml; docs/check.md lists them.
    Exit 0 when clean, 1 on findings, 2 on error.
    """
    from pathlib import Path

    from agentmerge import check, library
    from agentmerge.config import find_settings
    from agentmerge.render import to_json

    if fix and "-" in paths:
        raise click.UsageError("--fix rewrites files; it cannot fix standard input (-)")
    selection, notes = check.selection_from(select, ignore, find_settings(Path.cwd()), extend_select)
    for note in notes:
        say(f"agentmerge: warning: {note}")
    found = library.find_agent_files(paths)
    report_skipped(found)
    if not found.files:
        raise InputError(paths[0], 0, "holds no agent files; name agent files or folders that hold them")
    with StatusLine() as status:
        result = check.check_paths(found.files, selection, fix=fix, jobs=jobs, progress=status)
    for error in result.errors:
        report_error(error)
    for note in result.warnings:
        say(f"agentmerge: warning: {note}")
    if fmt == "json":
        click.echo(to_json(check.check_to_dict(result)), nl=False)
    elif fmt == "github":
        for line in check.render_github(result):
            click.echo(line)
    else:
        for line in check.render_text(result):
            click.echo(line)
    if result.errors:
        click.get_current_context().exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        click.get_current_context().exit(EXIT_DIFFERENT)


@cli.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when a file would change.")
@click.option("--diff", is_flag=True, help="Write nothing; print the change each file would get as a unified diff.")
@jobs_option
def fmt_command(paths: tuple[str, ...], check_only: bool, diff: bool, jobs: int | None) -> None:
    """Rewrite agent files in the canonical form, in place and atomically.

    Strict YAML frontmatter (name and description first), # headings, - bullets, ordered lists
    numbered on from their first number, fenced code. A file is written only when parsing the
    result gives the same model and formatting it again changes nothing; otherwise it is left as
    it was and the exit code is 2. PATHS are agent files or folders; - formats standard input to
    standard output.
    """
    from agentmerge import check, library

    found = library.find_agent_files(paths)
    report_skipped(found)
    if not found.files:
        raise InputError(paths[0], 0, "holds no agent files; name agent files or folders that hold them")
    # In path order, as check reports: the same files named in any order give the same output.
    files = sorted({os.path.normpath(given) if given != "-" else given for given in found.files})
    write = not (check_only or diff)
    with StatusLine() as status:
        results = check.format_paths(files, write=write, diff=diff, jobs=jobs, progress=status)
    changed = unchanged = failed = 0
    for path, result in zip(files, results, strict=True):
        if result[0] == "error":
            report_error(AgentMergeError(*result[1:]))
            failed += 1
            continue
        _, was_changed, notes, shown = result
        for note in notes:
            say(f"agentmerge: note: {note}")
        if path == "-" and write:  # formatted to standard output, whether it changed or not
            click.echo(shown, nl=False, color=True)  # the file's own bytes: escape sequences kept
        if not was_changed:
            unchanged += 1
            continue
        changed += 1
        if diff:
            click.echo(shown, nl=False, color=True)
        if check_only:
            say(f"would reformat {STDIN if path == '-' else path}")
        elif write and path != "-":
            say(f"reformatted {path}")
    would = "would be " if check_only or diff else ""
    say(
        f"agentmerge: {counted(changed, 'file')} {would}reformatted, {unchanged:,} "
        f"{'already formatted' if would else 'left unchanged'}" + (f", {failed:,} failed" if failed else "")
    )
    if failed:
        click.get_current_context().exit(EXIT_ERROR)
    if check_only and changed:
        click.get_current_context().exit(EXIT_DIFFERENT)


# --------------------------------------------------------------------------------------------
# consolidate


@cli.command("consolidate")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    metavar="OUT",
    callback=_output_option,
    help="Write the merged agent (or the JSON) here instead of stdout (- for stdout).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True, help="Output format."
)
@click.option(
    "--report",
    metavar="PATH",
    callback=_report_option,
    help="Also write the JSON report here (with --by-group: a folder, one per group).",
)
@click.option(
    "--threshold",
    type=SHARE,
    help="Least pair score (the matcher's probability that two items give one instruction) at which two items "
    "merge; a wording is folded into the kept one only at the model's floor or above [default: the shipped "
    "model's, see docs/matching.md].",
)
@click.option(
    "--prefer",
    metavar="FILE",
    help="Keep this input's wording and titles whenever it has them, and its frontmatter value where the inputs tie.",
)
@click.option(
    "--for",
    "target_format",
    type=FormatName(),
    metavar="FORMAT",
    help="Write the merged agent as this tool's kind of file: claude-code, cursor-rule, copilot-agent, "
    "copilot-chatmode, copilot-prompt or copilot-instructions. Keys it does not read are left out of the "
    "file, named on stderr and kept in the report (left_out); with --by-group every file takes its ending.",
)
@click.option("--annotate", is_flag=True, help="Add <!-- file:line --> provenance comments (the parser ignores them).")
@click.option("--force", is_flag=True, help="Allow -o or --report to overwrite one of the inputs.")
@click.option(
    "--mixed",
    is_flag=True,
    help="Merge the inputs even when they form more than one group (do not look like one role).",
)
@click.option(
    "--by-group",
    is_flag=True,
    help="Group the inputs by role (as agentmerge group does) and write one merged agent per group of two or "
    "more into the folder -o names, as <name>.md (.mdc, .agent.md, ... when its members share that format; "
    "AGENTS.md, CLAUDE.md, ... when they all have that name).",
)
@click.option(
    "--write-into-input-folder",
    is_flag=True,
    help="With --by-group: allow -o (or --report) to be a folder the inputs are read from; the merged agents "
    "then sit beside the agents they merge and are read with them next time.",
)
@min_similarity_option
@min_overlap_option
@jobs_option
def consolidate_command(
    files: tuple[str, ...],
    output: str | None,
    fmt: str,
    report: str | None,
    threshold: float | None,
    prefer: str | None,
    target_format: str | None,
    annotate: bool,
    force: bool,
    mixed: bool,
    by_group: bool,
    write_into_input_folder: bool,
    min_similarity: float | None,
    min_overlap: float,
    jobs: int | None,
) -> None:
    """Merge FILES (variants of one agent role) into one canonical agent.

    Equivalent sections and items are matched, one wording of each is kept, and every kept line
    records where it came from. Frontmatter disagreements are settled and listed in the report;
    a tool, skill or permission the merged agent gains over an input is named on stderr. A folder
    stands for its agent files. Inputs that do not look like one role (they form more than one
    group) are refused unless --mixed; --by-group writes one agent per group instead, grouped as
    agentmerge group does (--min-similarity and --min-overlap as there).
    Use - to read one input from standard input.
    """
    from agentmerge import library

    if not by_group and (min_similarity is not None or min_overlap):
        raise click.UsageError("--min-similarity and --min-overlap choose the groups of --by-group")

    found = library.find_agent_files(files)
    report_skipped(found)
    if not found.files:
        raise InputError(files[0], 0, "holds no agent files; name the files to consolidate")
    if by_group:
        if prefer is not None or fmt != "md":
            raise click.UsageError("--by-group takes neither --prefer nor --format json; --report DIR adds the JSON")
        _consolidate_by_group(
            found,
            output,
            report,
            threshold,
            target_format,
            annotate,
            force,
            write_into_input_folder,
            jobs,
            (_cutoff(min_similarity), min_overlap),
        )
        return
    _consolidate_one(found.files, output, fmt, report, threshold, prefer, target_format, annotate, force, mixed)


def _consolidate_one(
    files: tuple[str, ...],
    output: str | None,
    fmt: str,
    report: str | None,
    threshold: float | None,
    prefer: str | None,
    target_format: str | None,
    annotate: bool,
    force: bool,
    mixed: bool,
) -> None:
    """consolidate without --by-group: all inputs into one agent."""
    # The merged model is not read back (``writer.settle``, which the public API applies): the
    # command hands on only the file and the report, and writing is a fixed point, so their bytes
    # are the same either way. --by-group (``library.consolidate_groups``) writes the same way.
    from agentmerge.consolidate import check_size, consolidate
    from agentmerge.library import target_hint
    from agentmerge.writer import check_readable, render_consolidation

    if output is not None:
        check_output_path(output, folder=True)
    if report is not None:
        check_output_path(report, printed="--format json prints the report to standard output", folder=True)
    if output is not None and report is not None and (output == report or same_file(output, report)):
        raise OutputError(report, 0, "is also the -o output; give --report a path of its own")
    # Warnings and refusals are printed between status lines, never over one.
    with StatusLine() as status:
        agents = []
        for n, path in enumerate(files):
            agents.append(read_agent(path))
            status("reading", n + 1, len(files))
    # In path order, as the consolidation orders its inputs: the same files in any order say the same.
    for agent in sorted(agents, key=lambda a: a.path):
        report_warnings(agent.warnings)
    for target in (output, report):
        if target is not None and not force:
            refuse_inputs(target, files)
    preferred = _input_named(prefer, files) if prefer else None
    check_size(agents)
    with StatusLine() as status:
        status("comparing the inputs", 0, 0)
        mixed_groups = None if mixed or len(agents) < 2 else _mixed_groups(agents)
        if mixed_groups is None:
            status("consolidating", 0, 0)
            result = consolidate(
                agents, threshold=threshold, prefer=preferred, target=target_format, file_name=_file_name(output, fmt)
            )
    if mixed_groups is not None:
        _refuse_mixed(mixed_groups, len(agents))
    # The agent file -o writes (none with --format json): written for it (a Cursor rule's globs
    # unquoted only in one), and what the notes on its ending read.
    written_to = output if fmt == "md" else None
    text = render_consolidation(result, annotate=annotate, output=written_to)
    check_readable(text, result.agent, output or "")
    _warn_merged(agents, result)
    if target_format is not None:
        reported = fmt == "json" or report is not None
        _warn_for_target(result, text, target_format, written_to, reported)
    else:
        hint = target_hint(files, written_to)
        if hint is not None:
            say(f"agentmerge: note: {hint}")
    report_text = _consolidation_json(result, annotate, written_to) if fmt == "json" or report is not None else ""
    body = report_text if fmt == "json" else text
    if report is not None:
        write_atomic(report, report_text)
    if output is None:
        click.echo(body, nl=False, color=True)  # the same bytes as -o writes, escape sequences kept
        return
    write_atomic(output, body)
    say(
        f"agentmerge: consolidated {counted(len(result.inputs), 'input')} into {output}: "
        f"{counted(result.items_in, 'item')} in (frontmatter fields included), {result.items_out:,} out, "
        f"{counted(result.merged, 'merged cluster')}, {counted(len(result.conflicts), 'frontmatter conflict')} "
        "settled" + (f"; report in {report}" if report else "")
    )


def _file_name(output: str | None, fmt: str) -> str | None:
    """The name of the agent file ``-o`` writes, without its ending (``reviewer.agent.md`` as
    ``reviewer``), as ``--by-group`` names each file after its group; None for standard output
    and for a JSON report."""
    from agentmerge.library import file_stem

    if output is None or output == "-" or fmt != "md":
        return None
    return file_stem(os.path.basename(output)) or None


def _consolidation_json(result: Any, annotate: bool, output: str | None) -> str:
    """The JSON report of a consolidation (``render`` is imported only when one is asked for)."""
    from agentmerge.render import consolidation_to_dict, to_json

    return to_json(consolidation_to_dict(result, annotate=annotate, output=output))


def _warn_merged(agents: list[Agent], result: Any) -> None:
    """Say what the merged agent may do that not every input could (``library.widenings``), and
    which inputs' procedures and answer formats it follows against others, or joined
    (``library.merged_differences``)."""
    from agentmerge.library import merged_differences, widenings

    for line in widenings(agents, result.agent, result.target):
        say(f"agentmerge: warning: widening: {line}")
    for line in merged_differences(result):
        say(f"agentmerge: warning: {line}")


def _mixed_groups(agents: list[Agent]) -> Any:
    """The grouping of ``agents`` when they form more than one group (do not look like one role), else None."""
    from agentmerge.library import one_name, one_scope

    # Most inputs are one role: name and measure the groups only to refuse them. Variants of one
    # named agent, and rules for the same files, are one role whatever their words.
    if one_name(agents) or one_scope(agents):
        return None
    from agentmerge.group import MIXED_SIMILARITY, count_groups, group_agents

    if count_groups(agents, min_similarity=MIXED_SIMILARITY, corpus_background=True) == 1:
        return None
    return group_agents(agents, min_similarity=MIXED_SIMILARITY, corpus_background=True)


def _refuse_mixed(grouping: Any, inputs: int) -> None:
    """Stop, naming the groups, because the inputs do not look like one role (``--mixed`` allows it)."""
    say(
        f"agentmerge: warning: these {inputs:,} inputs do not look like one role: they form {grouping.parts():,} groups"
    )
    for g in grouping.groups:
        say(f"  {g.name}: {', '.join(m.path for m in g.members)}")
    for m in grouping.singletons:
        say(f"  {m.name}: {m.path} (alone)")
    raise AgentMergeError(
        "",
        0,
        "consolidate merges variants of one role; pass --mixed to merge these anyway, "
        "or --by-group -o DIR to write one agent per group",
    )


def _consolidate_by_group(
    found: Any,
    output: str | None,
    report: str | None,
    threshold: float | None,
    target_format: str | None,
    annotate: bool,
    force: bool,
    write_into_input_folder: bool,
    jobs: int | None,
    cutoffs: tuple[float, float],
) -> None:
    """consolidate --by-group: one merged agent per group of two or more, written into a folder;
    ``cutoffs`` are grouping's least similarity and overlap (``group --min-similarity``, ...)."""
    from agentmerge import library
    from agentmerge.group import group_profiles

    if output is None:
        raise click.UsageError("--by-group writes one file per group: name the folder with -o DIR")
    for folder in (output, report):
        if folder is not None:
            _check_group_folder(folder, found, write_into_input_folder)
    with StatusLine() as status:
        read = library.read_profiles(found.files, jobs=jobs, progress=status)
        for error in read.errors:
            report_error(error)
        if read.errors:
            raise AgentMergeError("", 0, f"{counted(len(read.errors), 'input')} could not be read; nothing was written")
        status("grouping", 0, 0)
        grouping = group_profiles(read.profiles, min_similarity=cutoffs[0], min_overlap=cutoffs[1])
        outputs = library.consolidate_groups(
            grouping.groups,
            threshold=threshold,
            report=report is not None,
            annotate=annotate,
            jobs=jobs,
            progress=status,
            target=target_format,
        )
    _write_groups(outputs, output, report, found.files, force, target_format)
    hint = library.groups_hint(outputs) if target_format is None else None
    if hint is not None:
        say(f"agentmerge: note: {hint}")
    if read.warned:
        say(
            f"agentmerge: warning: {counted(read.warned, 'input')} had problems that were worked around; "
            "agentmerge parse FILE shows them"
        )
    alone = len(grouping.singletons)
    say(
        f"agentmerge: {counted(len(outputs), 'group')} consolidated into {output}; "
        f"{counted(alone, 'agent')} alone {'was' if alone == 1 else 'were'} not written"
    )


def _check_group_folder(folder: str, found: Any, write_into_input_folder: bool) -> None:
    """Refuse an output folder that is not a folder, or one the inputs are read from (unless allowed)."""
    from agentmerge.library import reads_from

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OutputError(folder, 0, "is not a folder; --by-group writes one file per group into a folder")
    if reads_from(folder, found) and not write_into_input_folder:
        raise OutputError(
            folder,
            0,
            "is a folder the inputs are read from; the merged agents would sit beside (and be read with) "
            "the agents they merge. Choose another folder, or pass --write-into-input-folder",
        )


def _write_groups(
    outputs: list[Any], output: str, report: str | None, inputs: tuple[str, ...], force: bool, target_format: str | None
) -> None:
    """Write each group's merged agent (and report) atomically, after checking none is an input."""
    planned = []
    for out in outputs:
        target = os.path.join(output, out.file_name)
        json_target = _report_path(report, target) if report is not None else None
        for path in (target, json_target):
            if path is not None:
                if os.path.islink(path):
                    # The file names come from the agents' names: a link planted in the folder
                    # would send a stranger's chosen name to any file of the machine.
                    raise OutputError(
                        path, 0, "is a symbolic link; the groups' files are written as regular files only"
                    )
                check_output_path(path)
                if not force:
                    refuse_inputs(path, inputs)
        planned.append((target, json_target, out))
    for folder in (output, report):
        if folder is not None:
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise OutputError(folder, 0, f"cannot be made a folder ({exc.strerror or exc})") from None
    for target, json_target, out in planned:
        write_atomic(target, out.text)
        if json_target is not None and out.report is not None:
            write_atomic(json_target, out.report)
        items_in, items_out, merged, conflicts = out.summary
        click.echo(
            f"{target}: {counted(len(out.group.members), 'agent')}, {counted(items_in, 'item')} in, {items_out:,} out, "
            f"{counted(merged, 'merged cluster')}, {counted(conflicts, 'frontmatter conflict')} settled"
        )
        for line in out.widenings:
            say(f"agentmerge: warning: {target}: widening: {line}")
        for line in out.orders:
            say(f"agentmerge: warning: {target}: {line}")
        for line in (*out.left_out, *_target_findings(out.text, target_format)):
            say(f"agentmerge: warning: {target}: {line}")


def _target_findings(text: str, target_format: str | None) -> list[str]:
    """What ``check``'s frontmatter rules (AM1xx) and its length rule (AM206) find in a merged
    agent written for ``target_format`` (``consolidate --for``): a required key no input gave, a
    value the tool does not take, a body longer than the tool reads. Empty without a target."""
    if target_format is None:
        return []
    from agentmerge.check import Selection, check_text
    from agentmerge.formats import BY_NAME

    form = BY_NAME[target_format]
    found = check_text(text, f"merged{form.suffix}", form, Selection(select=("AM1", "AM206")))
    return [f"in the merged {form.title}, line {f.line}: {f.message} ({f.code})" for f in found]


def _warn_for_target(result: Any, text: str, target_format: str, output: str | None, reported: bool) -> None:
    """What writing the merged agent for ``target_format`` (``--for``) cost or leaves to do: the
    keys left out (``library.target_notes``), what ``check`` finds in the file for that format,
    and an ``output`` file the tool would not read by its ending (a Cursor rule in ``rules.md``)."""
    from agentmerge.formats import BY_NAME
    from agentmerge.library import target_notes

    for line in (*target_notes(result, reported=reported), *_target_findings(text, target_format)):
        say(f"agentmerge: warning: {line}")
    form = BY_NAME[target_format]
    if output is not None and not output.endswith(form.suffix):
        say(f"agentmerge: warning: {output}: a {form.title} is read from a file ending {form.suffix}")


def _report_path(folder: str, target: str) -> str:
    from agentmerge.library import report_file_name

    return os.path.join(folder, report_file_name(os.path.basename(target)))


def _input_named(prefer: str, files: tuple[str, ...]) -> str:
    """The input path (as given) that ``prefer`` names, by path or by the same file on disk."""
    for path in files:
        if prefer == path or same_file(prefer, path):
            return STDIN if path == "-" else path
    raise OutputError(prefer, 0, "--prefer must name one of the input files")


def run() -> int:
    """The ``agentmerge`` command (and ``python -m agentmerge``): ``main`` in a process of its own,
    with the cycle collector off, and what it leaves frozen before the interpreter's exit.

    A run keeps what it builds (the parsed files, their pairing, the output) until it ends and
    frees the rest as it goes: no command leaves objects only the cycle collector would free
    (``tests/test_entry.py`` holds every command to that), so a collection would only walk what
    the run holds, again. At exit the interpreter collects once more, collector on or off,
    walking every object not frozen; frozen, what the run leaves is still freed as the modules
    holding it are cleared. Consolidating the four seeds so went from 2.03 to 1.93 times the
    import floor, with the same peak memory (docs/benchmarks.md). ``main`` leaves the collector
    alone, as it may run many times in one process (tests, embedding).
    """
    gc.disable()
    try:
        return main()
    finally:
        gc.freeze()


def command() -> NoReturn:
    """The installed ``agentmerge`` script and ``python -m agentmerge``: ``run``, then standard
    output and error flushed and the process ended at once, with ``run``'s exit code.

    Everything a command does is done by then: output files are written and renamed into place,
    scratch folders removed (``with`` blocks), no thread runs and nothing is registered to run at
    exit. What the interpreter would still do is tear the modules down and free each object the
    run holds, which no one waits for: about 5 ms of every command, 3% of consolidating the four
    seeds (docs/benchmarks.md)."""
    code = run()
    if sys.stdout is not None:  # None when the command was started with it closed
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away after the last write; what was written is all it wanted.
            _reader_gone()
        except OSError as error:
            say(f"agentmerge: error: could not write the output ({error.strerror or error})")
            code = EXIT_ERROR
    if sys.stderr is not None:
        with contextlib.suppress(OSError):
            sys.stderr.flush()
    os._exit(code)


_HELP_ERRORS: tuple[type[click.ClickException], ...] = tuple(
    error for error in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if error is not None
)
"""The usage errors whose message is the help itself (click 8.2 on: ``agentmerge`` alone)."""


def usage_error_line(error: click.ClickException) -> str:
    """A usage error as every other error is said: one line, with the command's help to read."""
    # click words some messages over two lines ("No such option: --fomat" / "Did you mean --format?").
    line = "agentmerge: error: " + " ".join(error.format_message().split())
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        line += f" (see '{context.command_path} --help')"
    return line


def _reader_gone() -> None:
    """Standard output's reader went away: send what is still buffered nowhere, so flushing it at
    exit does not fail a second time."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


_OUTPUT_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""The errors of a write that fails for want of room or a working device, not a defect."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; bad input never shows a traceback."""
    try:
        code = cli.main(args=argv, prog_name="agentmerge", standalone_mode=False)
    except click.ClickException as error:
        if isinstance(error, _HELP_ERRORS):  # no command named: the help is the answer
            error.show()
        else:
            say(usage_error_line(error))
        return EXIT_ERROR
    except click.exceptions.Abort:
        say("agentmerge: error: aborted")
        return EXIT_ERROR
    except AgentMergeError as error:
        report_error(error)
        return EXIT_ERROR
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (``agentmerge diff ... | head``); nothing more to say.
        _reader_gone()
        return EXIT_OK
    except RecursionError:
        say("agentmerge: error: input nested too deeply to process")
        return EXIT_ERROR
    except Exception as error:  # a defect, not bad input: say so in one line
        if isinstance(error, OSError) and error.errno in _OUTPUT_FAILURES:
            # Input and output files are read and written with errors of their own: this is
            # standard output or error, on a full disk or a device that failed.
            say(f"agentmerge: error: could not write the output ({os.strerror(error.errno)})")
            return EXIT_ERROR
        if os.environ.get("AGENTMERGE_DEBUG"):
            raise
        say(
            f"agentmerge: error: internal error ({type(error).__name__}: {error}); "
            "rerun with AGENTMERGE_DEBUG=1 and report it"
        )
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK
