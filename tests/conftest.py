"""Paths shared by the tests: the bundled fixtures and, when present, ../shared material."""

from __future__ import annotations

from pathlib import Path

import pytest

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
