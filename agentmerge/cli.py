"""The ``agentmerge`` command line: parse options, call the library once, write, pick the exit code.

Exit codes: 0 success (no semantic difference for ``diff``), 1 differences, 2 usage or input
error. Errors are one line on stderr, ``agentmerge: error: PATH:LINE: message``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

import click

from agentmerge.errors import AgentMergeError
from agentmerge.model import Agent, Diagnostic
from agentmerge.parse import read_agent

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


def report_error(error: AgentMergeError | str) -> None:
    """Print one error line on stderr."""
    if isinstance(error, AgentMergeError):
        where = f"{error.path}:{error.line or 1}: " if error.path else ""
        text = f"{where}{error.message}"
    else:
        text = error
    click.echo(f"agentmerge: error: {text}", err=True)


def report_warnings(warnings: Iterable[Diagnostic]) -> None:
    """Print each warning as one line on stderr."""
    for warning in warnings:
        click.echo(f"agentmerge: warning: {warning}", err=True)


def dump_json(data: Any) -> str:
    """The JSON text agentmerge prints: indented, UTF-8, stable key order."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class AgentMergeGroup(click.Group):
    """Turns AgentMergeError from any command into its one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AgentMergeError as error:
            report_error(error)
            ctx.exit(EXIT_ERROR)


@click.group(cls=AgentMergeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agentmerge", prog_name="agentmerge")
def cli() -> None:
    """Understand, review and consolidate AI agent definitions."""


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
    from agentmerge.render import agent_to_dict, render_outline

    agents: list[Agent] = []
    failed = False
    for path in files:
        try:
            agent = read_agent(path)
        except AgentMergeError as error:
            report_error(error)
            failed = True
            continue
        report_warnings(agent.warnings)
        agents.append(agent)
        if fmt == "text":
            click.echo("\n".join(render_outline(agent)))
    if fmt == "json":
        click.echo(dump_json({"version": 1, "agents": [agent_to_dict(a) for a in agents]}), nl=False)
    if failed:
        click.get_current_context().exit(EXIT_ERROR)


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
