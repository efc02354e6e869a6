"""``python -m agentmerge``: the same as the ``agentmerge`` command."""

from agentmerge.cli import command

command()
