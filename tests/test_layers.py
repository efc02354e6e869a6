"""The package's import graph keeps to one declared layer order: data flows one way.

Each module may import only modules of a lower layer, anywhere in its code (inside functions
and ``TYPE_CHECKING`` blocks included): a lazy or type-only import is still a dependency.
``docs/design.md`` explains the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

from agentmerge import _SHADOWED as SHADOWED

PACKAGE = ROOT / "agentmerge"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "model"),  # what every stage speaks: the model and the errors
    ("lexicon",),  # word lists and section roles, as data
    ("text",),  # normal forms, terms, polarity, labels
    ("fields", "formats", "filesystem", "config"),  # frontmatter rules; which files are agents; files; settings
    ("parse",),  # read: bytes to model
    ("match",),  # pair two files' sections and items
    ("scorer",),  # the learned pair score
    ("pairing",),  # two bodies' sections and items paired one-to-one (asks the pair score of a lone pair)
    ("cluster",),  # cluster N files' sections and items
    ("diff", "arrange", "group"),  # the diff; the merged body's places and order; groups of agents
    ("consolidate", "merge"),  # the consolidation; the three-way merge
    ("writer",),  # the canonical agent file
    ("render",),  # reports: text, Markdown, JSON
    ("git", "library"),  # running git, the changed files, the diff driver; whole libraries: folders, workers
    ("review", "check"),  # the review report; lint and canonical formatting of agent files
    ("github",),  # the Actions step and the comment API
    ("__init__",),  # the public Python API
    ("cli",),  # options, one library call, output, exit code
    ("__main__",),  # python -m agentmerge
)
"""The layers, lowest first. A module imports only modules of layers below its own."""

ALGORITHMS = ("match", "pairing", "cluster", "diff", "arrange", "consolidate", "merge", "group")
OUTPUT = ("writer", "render", "cli")

LAYER_OF = {name: n for n, names in enumerate(LAYERS) for name in names}


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, by module name (``__init__`` for the package root)."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "agentmerge":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "agentmerge":
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                # ``from agentmerge import match`` names a submodule; anything else is the API,
                # ``consolidate`` included (the API's function of that name).
                found.update(a.name if a.name in modules - SHADOWED else "__init__" for a in node.names)
    found.discard(path.stem)
    return found


MODULES = sorted(PACKAGE.glob("*.py"))


def test_every_module_has_a_layer() -> None:
    """A new module is placed in LAYERS before it is used."""
    assert sorted(p.stem for p in MODULES) == sorted(LAYER_OF)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_module_imports_only_lower_layers(path: Path) -> None:
    """No import reaches a module of the same or a higher layer, so there is no cycle."""
    layer = LAYER_OF[path.stem]
    upward = sorted(name for name in imports_of(path) if LAYER_OF[name] >= layer)
    assert not upward, f"{path.stem} (layer {layer}) imports {upward}"


def test_the_named_rules_hold() -> None:
    """model imports nothing of the package; algorithms never import writer, render or cli;
    nothing but ``__main__`` imports cli."""
    graph = {p.stem: imports_of(p) for p in MODULES}
    assert graph["model"] == set()
    for name in ALGORITHMS:
        assert not graph[name] & set(OUTPUT), name
    assert [name for name, found in graph.items() if "cli" in found] == ["__main__"]


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Plain, from-, lazy and type-only imports all count (the check itself can fail)."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import agentmerge.render\n"
        "from agentmerge import match, parse_file\n"
        "if TYPE_CHECKING:\n    from agentmerge.consolidate import Consolidation\n"
        "def f():\n    from agentmerge.writer import render_agent\n",
        encoding="utf-8",
    )
    assert imports_of(source) == {"render", "match", "__init__", "consolidate", "writer"}
