"""Every real agent file of ../shared/corpus parses without refusal and round-trips.

The corpus is not part of the repository; these tests are skipped in a fresh clone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_files, corpus_params, needs_corpus
from losscheck import blocks_in_order
from test_render_agent import assert_round_trip

from agentmerge.parse import read_agent
from agentmerge.writer import render_agent

CORPUS = corpus_files()

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", corpus_params(CORPUS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_parses_and_round_trips(path: Path) -> None:
    """The file parses (no exception, no refusal), its lines are in range, and it round-trips."""
    agent = read_agent(path)
    last = path.read_bytes().count(b"\n") + 1
    for section in agent.body.walk():
        assert 1 <= section.line <= section.end_line <= last
    for _, item in agent.items():
        assert 1 <= item.line <= item.end_line <= last
    assert_round_trip(agent)


@pytest.mark.parametrize("path", corpus_params(CORPUS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_keeps_every_block_in_its_place_when_formatted(path: Path) -> None:
    """``fmt`` writes every paragraph, item text, heading and code block of the file in the order
    it was read (eight corpus files had a list item's closing paragraph moved above its code)."""
    data = path.read_bytes()
    formatted = render_agent(read_agent(path))
    assert blocks_in_order(formatted) == blocks_in_order(data.decode("utf-8", "replace"))


@needs_corpus
def test_corpus_is_large_enough_to_mean_something() -> None:
    """The corpus, when present, holds hundreds of files from several collections."""
    assert len(CORPUS) > 500
    assert len({p.parent.name for p in CORPUS}) > 3
