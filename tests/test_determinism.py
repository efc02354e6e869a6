"""The same inputs give the same bytes under any PYTHONHASHSEED and in any argument order.

Each command runs in a fresh interpreter per seed, since the hash seed is fixed at start-up: a
float summed over a set of strings, or a tie broken by a set's iteration order, shows up as
different output for different seeds.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED

pytestmark = pytest.mark.slow

SEEDS = ("0", "5", "11")
"""Hash seeds under which the 24 security agents once gave three different consolidations."""

WORDS = [
    "security",
    "audit",
    "review",
    "code",
    "tests",
    "threat",
    "model",
    "secrets",
    "injection",
    "access",
    "control",
    "logging",
    "monitoring",
    "encryption",
    "keys",
    "tokens",
    "session",
    "input",
    "validation",
    "output",
    "encoding",
    "dependencies",
    "supply",
    "chain",
    "scanning",
    "reports",
    "findings",
    "severity",
    "remediation",
    "compliance",
    "policy",
    "network",
    "firewall",
    "container",
    "image",
    "cloud",
    "storage",
    "database",
    "queries",
    "migrations",
    "api",
    "endpoints",
    "authentication",
    "authorization",
    "roles",
    "permissions",
]

TITLES = (
    "Security Review",
    "Code Review",
    "Threat Modeling",
    "Access Control",
    "Secrets Management",
    "Review Process",
    "Security Testing",
    "Compliance Checks",
    "Audit Reports",
    "Core Responsibilities",
    "Security Practices",
    "Review Checklist",
)


def generated_group(folder: Path, count: int = 24) -> list[Path]:
    """``count`` agents of one role whose titles and bullets share words in many combinations."""
    rng = random.Random(20240611)
    paths = []
    for n in range(count):
        lines = [f"---\nname: security-agent-{n}\ndescription: Reviews code for security problems\n---\n"]
        for title in rng.sample(TITLES, 5):
            lines.append(f"## {title}\n")
            lines.extend("- " + " ".join(rng.sample(WORDS, rng.randint(4, 9))).capitalize() for _ in range(4))
            lines.append("")
        path = folder / f"agent-{n:02}.md"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def security_agents() -> list[Path]:
    corpus = SHARED / "corpus"
    return sorted(p for p in corpus.glob("*/*") if "security" in p.name) if corpus.is_dir() else []


def run(args: list[str], seed: str, *, stderr: bool = False) -> bytes:
    """agentmerge's standard output for ``args`` in a fresh interpreter with PYTHONHASHSEED=seed
    (with ``stderr``, followed by its standard error)."""
    env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "agentmerge", *args], capture_output=True, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.stdout + done.stderr if stderr else done.stdout


def commands(paths: list[Path]) -> dict[str, list[str]]:
    files = [str(p) for p in paths]
    return {
        "consolidate md": ["consolidate", "--mixed", *files],
        "consolidate json": ["consolidate", "--mixed", "--format", "json", *files],
        "diff": ["diff", "--format", "json", files[0], files[1]],
        "parse": ["parse", "--format", "json", *files],
    }


def assert_same_under_every_seed(paths: list[Path]) -> None:
    for name, args in commands(paths).items():
        outputs = {seed: run(args, seed) for seed in SEEDS}
        assert len(set(outputs.values())) == 1, f"{name} differs between hash seeds"
        assert outputs[SEEDS[0]]
    files = [str(p) for p in paths]
    # Its warnings too: each input's, and what the merged agent may do that an input could not.
    forward = run(["consolidate", "--mixed", "--format", "json", *files], SEEDS[0], stderr=True)
    backward = run(["consolidate", "--mixed", "--format", "json", *reversed(files)], SEEDS[1], stderr=True)
    assert forward == backward, "consolidate depends on the order of its arguments"


def test_generated_group_is_the_same_under_every_seed(tmp_path: Path) -> None:
    """24 generated agents of one role: consolidate (md, json), diff and parse give the same bytes."""
    assert_same_under_every_seed(generated_group(tmp_path))


SCRIPT_WORDS = (
    *("проверяйте", "тесты", "код", "секреты", "никогда", "не", "храните", "репозиторий", "типы"),
    *("编写", "单元测试", "代码", "密钥", "仓库", "不要", "审查"),
    *("पुरानी", "फ़ाइलें", "न", "हटाएँ", "परीक्षण", "चलाएँ", "कोड"),
)
"""Words of Russian, Chinese and Hindi instructions, which ``text.words`` reads by script: whole
words, pairs of ideographs, vowel signs kept."""


def test_agents_in_other_scripts_are_the_same_under_every_seed(tmp_path: Path) -> None:
    """Twelve agents whose bullets mix Russian, Chinese and Hindi words (every third agent's written
    without spaces, as Chinese is): the same bytes under every hash seed and in either argument
    order."""
    rng = random.Random(20261206)
    paths = []
    for n in range(12):
        space = "" if n % 3 == 1 else " "
        bullets = (space.join(rng.sample(SCRIPT_WORDS, rng.randint(3, 6))) for _ in range(6))
        path = tmp_path / f"agent-{n:02}.md"
        body = "".join(f"- {b}\n" for b in bullets)
        path.write_text(f"---\nname: r\ndescription: d\n---\n\n## Правила 规则 नियम\n\n{body}", encoding="utf-8")
        paths.append(path)
    assert_same_under_every_seed(paths)


@pytest.mark.skipif(len(security_agents()) < 24, reason="needs the 24 security agents of ../shared/corpus")
def test_security_agents_are_the_same_under_every_seed() -> None:
    """The 24 security agents of the corpus: one consolidation, whatever the hash seed."""
    assert_same_under_every_seed(security_agents())
