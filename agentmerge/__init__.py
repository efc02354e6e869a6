"""agentmerge: understand, review and consolidate AI agent definitions."""

from agentmerge.model import Agent, Diagnostic, Example, Field, Item, Section
from agentmerge.parse import parse_bytes, parse_text, read_agent

__all__ = [
    "Agent",
    "Diagnostic",
    "Example",
    "Field",
    "Item",
    "Section",
    "parse_bytes",
    "parse_text",
    "read_agent",
]

__version__ = "0.1.0"
