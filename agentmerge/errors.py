"""The exceptions agentmerge raises for bad input; the CLI turns them into exit code 2."""

from __future__ import annotations


class AgentMergeError(Exception):
    """Something in the input or the request stops the command; carries where it happened."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(message)
        self.path = path
        """The input's path as given (``<stdin>`` for standard input); empty when none applies."""
        self.line = line
        """1-based line the problem is on; 0 when it concerns the whole file."""
        self.message = message
        """One sentence: what is wrong and what to do."""

    def __str__(self) -> str:
        if not self.path:
            return self.message
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class InputError(AgentMergeError):
    """An input file cannot be read as an agent file (missing, binary, not text)."""


class OutputError(AgentMergeError):
    """An output cannot be written where it was asked for (for example onto an input)."""
