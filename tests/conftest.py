"""Paths shared by the tests: the bundled fixtures and, when present, ../shared material."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentmerge.model import Agent, Item, Section

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = sorted((FIXTURES / "backend-engineer").glob("*.md"))
SHARED = ROOT.parent / "shared"
"""The project's shared material (corpus, gold labels); absent in a fresh clone."""


def corpus_files() -> list[Path]:
    """Every agent file of ../shared/corpus, or an empty list when it is not there."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        return []
    return sorted(p for p in corpus.glob("*/*") if p.is_file() and p.name not in ("LICENSE", "SOURCES.tsv"))


@pytest.fixture
def seeds() -> list[Path]:
    """The four backend-engineer variants bundled in fixtures/."""
    assert len(SEEDS) == 4
    return SEEDS


def item_shape(item: Item) -> tuple[Any, ...]:
    """An item without its line numbers (ordered items without their written number)."""
    return (item.kind, item.text, item.label, item.checked, item.info, tuple(item_shape(c) for c in item.children))


def section_shape(section: Section) -> tuple[Any, ...]:
    """A section without line numbers, with the order in which its items and subsections stood."""
    return (
        section.title,
        section.level,
        section.kind,
        tuple(item_shape(i) for i in section.items),
        tuple(section_shape(s) for s in section.sections),
        tuple(type(n).__name__ for n in sorted([*section.items, *section.sections], key=lambda n: n.line)),
    )


def model_shape(agent: Agent) -> tuple[Any, ...]:
    """An agent's model without line numbers, path or key order (the writer puts name and
    description first): what "the same model" means in round-trip and consolidation tests."""
    return (tuple(sorted((f.key, json.dumps(f.value)) for f in agent.fields)), section_shape(agent.body))
