"""Consolidation invariants on real agent files from ../shared/corpus (skipped without it).

Groups are agents of one role from different collections (found by name) and random mixes; each
group must keep every input item and heading exactly once, give the same bytes in any argument
order, and come back unchanged when its output is consolidated again.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import corpus_files, corpus_params, input_units, report_units
from conftest import model_shape as shape

from agentmerge import consolidate
from agentmerge.parse import parse_text, read_agent
from agentmerge.render import consolidation_to_dict
from agentmerge.writer import render_consolidation

ROLES = ("code-reviewer", "backend", "frontend", "python", "security", "devops", "test", "docs", "data")


def groups() -> list[list[Path]]:
    files = corpus_files()
    if not files:
        return []
    out: list[list[Path]] = []
    for role in ROLES:
        named = [p for p in files if role in p.name]
        by_collection: dict[str, Path] = {}
        for path in named:
            by_collection.setdefault(path.parent.name, path)
        if len(by_collection) >= 2:
            out.append(sorted(by_collection.values())[:4])
    rng = random.Random(2026)
    out.extend(rng.sample(files, rng.randint(2, 4)) for _ in range(8))
    return out


GROUPS = groups()


@pytest.mark.slow
@pytest.mark.parametrize(
    "paths", corpus_params(GROUPS), ids=lambda g: "+".join(p.stem[:18] for p in g) if g else "no-shared-corpus"
)
def test_corpus_group_keeps_everything_once_and_is_stable(paths: list[Path]) -> None:
    agents = [read_agent(p) for p in paths]
    result = consolidate(agents)
    items, headings = report_units(consolidation_to_dict(result))
    want_items: list[tuple[str, int]] = []
    want_headings: list[tuple[str, int]] = []
    for agent in agents:
        i, h = input_units(agent)
        want_items.extend(i)
        want_headings.extend(h)
    assert sorted(items) == sorted(want_items)
    assert sorted(headings) == sorted(want_headings)
    text = render_consolidation(result)
    assert render_consolidation(consolidate(list(reversed(agents)))) == text
    again = consolidate([parse_text(text, "merged.md")])
    assert render_consolidation(again) == text
    assert shape(again.agent) == shape(result.agent)
