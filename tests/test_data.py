"""The data files the matcher reads are what their scripts make of the shared material: the
corpus term counts (``benchmarks/corpus_terms.py``) and the pair model with its
leave-one-group-out table (``benchmarks/fit_matcher.py``). Both are skipped without ../shared."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import NO_SHARED, ROOT, SHARED, corpus_files

GOLD = SHARED / "gold"
NO_GOLD = "needs ../shared/gold beside the repository, which is absent here (see the README's Tests section)"


@pytest.mark.skipif(not corpus_files(), reason=NO_SHARED)
def test_the_term_counts_are_the_corpus_counts() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus_terms.py"), str(SHARED / "corpus"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not (GOLD / "seeds.json").is_file(), reason=NO_GOLD)
def test_the_pair_model_is_what_its_fit_writes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fit_matcher.py"), "--gold", str(GOLD), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
