"""check and fmt over every real agent file of ../shared/corpus: check reads every file without an
error or a traceback; fmt keeps each file's model and is a fixed point.

The corpus is not part of the repository; these tests are skipped in a fresh clone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED, corpus_files, corpus_params, model_shape, needs_corpus, run_cli

from agentmerge.check import OPT_IN, format_bytes
from agentmerge.parse import parse_bytes, parse_text

CORPUS = corpus_files()

pytestmark = pytest.mark.slow


@needs_corpus
def test_check_reads_every_corpus_file() -> None:
    """One run over the whole corpus, every rule on (the opt-in ones too): no file is an error, no
    traceback, every finding has a known code and a line inside its file."""
    every = ("--select", "ALL", "--extend-select", ",".join(OPT_IN))
    code, out, err = run_cli("check", *every, "--format", "json", str(SHARED / "corpus"))
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    report = json.loads(out)
    assert report["errors"] == []
    assert report["files"] >= len(CORPUS) - 5  # LICENSE and SOURCES.tsv are not agent files
    lines = {}
    for finding in report["findings"]:
        path = finding["path"]
        if path not in lines:
            lines[path] = Path(path).read_bytes().count(b"\n") + 1
        assert 1 <= finding["line"] <= lines[path], finding


@pytest.mark.parametrize("path", corpus_params(CORPUS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fmt_keeps_the_model_and_is_a_fixed_point(path: Path) -> None:
    """fmt's text parses to the file's model, and formatting that text again changes no byte."""
    data = path.read_bytes()
    formatted = format_bytes(data, path.name)
    assert model_shape(parse_text(formatted.text, path.name)) == model_shape(parse_bytes(data, path.name))
    again = format_bytes(formatted.text.encode("utf-8"), path.name)
    assert not again.changed
    assert again.text == formatted.text
