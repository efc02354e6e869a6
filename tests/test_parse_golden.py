"""Golden outline tests: each input's ``agentmerge parse`` outline and warnings, kept beside it.

Inputs are the four seed fixtures and the small cases in ``tests/cases/parse/`` (one construct
each). The expected text is ``<input name>.outline`` in ``tests/cases/parse/``. After a deliberate
change to the parser or the outline, regenerate with ``pytest --regen-golden`` and review the
diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from agentmerge.parse import parse_bytes
from agentmerge.render import render_outline

CASES = ROOT / "tests" / "cases" / "parse"
INPUTS = sorted(p for p in CASES.iterdir() if p.suffix in (".md", ".mdc"))


def outline_of(path: Path, name: str) -> str:
    """The outline of ``path`` as ``agentmerge parse`` prints it, then one line per warning."""
    agent = parse_bytes(path.read_bytes(), name)
    lines = list(render_outline(agent))
    lines.extend(f"warning: {warning}" for warning in agent.warnings)
    return "\n".join(lines) + "\n"


def test_every_construct_has_a_case() -> None:
    """The case directory holds an input for each construct the parser distinguishes."""
    names = {p.stem for p in INPUTS}
    for needed in (
        "headings-atx",
        "headings-setext",
        "pseudo-bold",
        "pseudo-plain-label",
        "numbered-label",
        "bullet-points",
        "labels",
        "nested-lists",
        "tasks",
        "ordered-numbers",
        "code-fences",
        "tables",
        "quotes",
        "html",
        "annotations",
        "description-examples",
    ):
        assert needed in names


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name)
def test_case_outline_matches_golden(source: Path, golden: Callable[..., None]) -> None:
    """A small case parses to exactly the outline and warnings recorded beside it."""
    golden(CASES / f"{source.name}.outline", outline_of(source, source.name))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_seed_outline_matches_golden(seed: Path, golden: Callable[..., None]) -> None:
    """A seed fixture parses to exactly the outline and warnings recorded for it."""
    golden(CASES / f"seed-{seed.stem}.outline", outline_of(seed, seed.relative_to(ROOT).as_posix()))
