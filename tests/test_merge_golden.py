"""Golden merges: one folder per case under tests/cases/merge with base.md, ours.md, theirs.md and
the expected merged bytes (expected.md), JSON report (expected.json) and exit code (the JSON's
``clean``).

After an intended change, ``pytest --regen-golden`` rewrites the expected files; read the changes
to them before committing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

CASES = sorted(p for p in (Path(__file__).parent / "cases" / "merge").iterdir() if p.is_dir())


def _merge(case: Path, *options: str) -> tuple[int, bytes, str]:
    sides = [str(case / f"{side}.md") for side in ("base", "ours", "theirs")]
    done = run_cli("merge", *sides, "--path", f"{case.name}.md", *options)
    return done.exit_code, done.stdout_bytes, done.stderr


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_merge_matches_the_golden_files(case: Path, golden: Callable[..., None]) -> None:
    """The merged bytes and the JSON report are exactly the expected files; the exit code is 0
    for a clean merge and 1 with conflicts."""
    code, merged, _ = _merge(case)
    json_code, report, _ = _merge(case, "--format", "json")
    golden(case / "expected.md", merged)
    golden(case / "expected.json", report.decode("utf-8"), load=json.loads)
    data = json.loads(report)
    assert data["merged"].encode("utf-8") == merged
    assert code == json_code == (0 if data["clean"] else 1)


def test_the_cases_cover_clean_merges_and_conflicts() -> None:
    """The golden set holds both clean merges and conflicting ones."""
    outcomes = {json.loads((case / "expected.json").read_text(encoding="utf-8"))["clean"] for case in CASES}
    assert outcomes == {True, False}
