"""Hostile inputs through ``agentmerge parse``: exit 0 or one error line naming the file, fast, small.

Each input is generated in a temporary directory and run in a subprocess in both output formats,
so that exit code, stderr and peak memory are those of the real command. The time and memory
bounds are generous guards against blow-ups (an alias bomb, quadratic folding), not benchmarks.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TIME_LIMIT = 60.0
"""Seconds one ``agentmerge parse`` run may take on any hostile input.

A guard against blow-ups, not a benchmark: the largest input here that parses in linear time
(100,000 bullets) took 11 to 24 s on a 2-core machine under load from other work, while a
quadratic step on it would take hours."""

MEMORY_LIMIT = 1 << 30
"""Peak resident memory one run may use, in bytes (1 GiB)."""


def alias_bomb() -> bytes:
    """Billion laughs: nine levels of nine aliases each (10^9 strings if expanded)."""
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
        previous = name
    return ("\n".join([*lines, "---", "Body", ""])).encode()


HOSTILE: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "dashes-only": lambda: b"---\n",
    "unterminated-frontmatter": lambda: b"---\nname: x\ndescription: y\n\nBody\n",
    "binary": lambda: bytes(range(256)) * 40,
    "invalid-utf8": lambda: b"---\nname: x\n---\n\nline five\nbad \xff\xfe here\n",
    "utf16-bom": lambda: codecs.BOM_UTF16_LE + "---\nname: x\n---\n\n# Title\n".encode("utf-16-le"),
    "utf8-bom": lambda: codecs.BOM_UTF8 + b"---\nname: x\n---\n\n# Title\n",
    "nul-bytes": lambda: b"---\nname: x\n---\n\nhello\x00world\n- item\n",
    "alias-bomb": alias_bomb,
    "frontmatter-list": lambda: b"---\n- a\n- b\n---\nBody\n",
    "frontmatter-scalar": lambda: b"---\n42\n---\nBody\n",
    "python-tag": lambda: b"---\nname: x\nevil: !!python/object/apply:os.system ['echo pwned']\n---\nBody\n",
    "duplicate-keys": lambda: b"---\nname: a\nname: b\n---\nBody\n",
    "deep-list": lambda: "".join("  " * n + "- x\n" for n in range(600)).encode(),
    "deep-quote": lambda: (">" * 5000 + " deep\n").encode(),
    "many-headings": lambda: "".join(f"## H{n}\n\n" for n in range(20000)).encode(),
    "unclosed-fence": lambda: b"# T\n\n```python\nprint(1)\n\n- not a list\n",
    "long-line": lambda: b"# T\n\n" + b"word " * 19_000 + b"\n",
    "over-long-line": lambda: b"# T\n\n" + b"word " * 21_000 + b"\n",
    "oversized": lambda: b"# T\n\n" + b"- word word word word word word word\n" * 15_000,
    "huge-frontmatter": lambda: ("---\n" + "".join(f"k{n}: v\n" for n in range(10_000)) + "---\nBody\n").encode(),
    "commented-frontmatter": lambda: ("---\n" + "".join(f"k{n}: v # #{n}\n" for n in range(3_800)) + "---\n").encode(),
    "sparse-tables": lambda: ("|" + "a|" * 200 + "\n" + "|-" * 200 + "|\n" + "x\n" * 330 + "\n").encode() * 20,
    "many-bullets": lambda: "".join(f"- item {n}\n" for n in range(40_000)).encode(),
    "crlf": lambda: b"---\r\nname: x\r\n---\r\n\r\n# Title\r\n\r\n- one\r\n- two\r\n",
    "bare-cr": lambda: b"---\rname: x\r---\r\r# Title\r\r- one\r- two\r",
    "tabs": lambda: b"---\nname: x\n---\n\n# Title\n\n-\tone\n\t- nested\n-\ttwo\n",
}

REFUSED = {
    "binary": "is a binary file",
    "over-long-line": "characters long, more than agentmerge reads",
    "oversized": "is larger than 512 KiB",
    "huge-frontmatter": "the frontmatter is 86 KiB, more than agentmerge reads (64 KiB)",
}
"""Inputs that are not agent files at all, or beyond the documented limits, with what the one error
line says; every other hostile input must parse (exit 0)."""


def run_parse(path: Path, fmt: str) -> tuple[int, str, str, float, int]:
    """Run ``agentmerge parse`` on ``path``; return exit code, stdout, stderr, seconds, peak RSS bytes."""
    return run_measured(path, "parse", "--format", fmt, str(path))


def run_measured(path: Path, *args: str) -> tuple[int, str, str, float, int]:
    """Run ``agentmerge ARGS`` in a process of its own, its output kept in files beside ``path``
    (a pipe left unread could fill and stall it); return exit code, stdout, stderr, seconds and
    peak RSS bytes."""
    out_path, err_path = path.with_suffix(".out"), path.with_suffix(".err")
    start = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "agentmerge", *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    code = os.waitstatus_to_exitcode(status)
    return code, out_path.read_text(encoding="utf-8"), err_path.read_text(encoding="utf-8"), elapsed, peak


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_exits_cleanly(tmp_path: Path, name: str, fmt: str) -> None:
    """Exit 0 (warnings one line each) or exit 2 with one error line naming the file; bounded time and memory."""
    path = tmp_path / f"{name}.md"
    path.write_bytes(HOSTILE[name]())
    code, out, err, elapsed, peak = run_parse(path, fmt)
    assert "Traceback" not in err
    lines = err.splitlines()
    if name in REFUSED:
        assert code == 2
        assert len(lines) == 1
        assert lines[0].startswith(f"agentmerge: error: {path}:") and REFUSED[name] in lines[0]
        assert out == "" or json.loads(out)["agents"] == []
    else:
        assert code == 0, err
        assert all(line.startswith(f"agentmerge: warning: {path}:") for line in lines)
        if fmt == "json":
            assert [a["path"] for a in json.loads(out)["agents"]] == [str(path)]
        else:
            assert out.startswith(f"{path}\n")
    assert elapsed < TIME_LIMIT
    assert peak < MEMORY_LIMIT


def parsed(tmp_path: Path, name: str) -> dict[str, object]:
    path = tmp_path / f"{name}.md"
    path.write_bytes(HOSTILE[name]())
    code, out, err, _, _ = run_parse(path, "json")
    assert code == 0, err
    agent: dict[str, object] = json.loads(out)["agents"][0]
    return agent


def body_lines(agent: dict[str, object]) -> list[tuple[str, int]]:
    """(title or item text, line) of every section and item, depth first."""
    found: list[tuple[str, int]] = []

    def items(entries: list[dict[str, object]]) -> None:
        for item in entries:
            found.append((str(item["text"]), int(item["line"])))  # type: ignore[call-overload]
            items(item["children"])  # type: ignore[arg-type]

    def sections(section: dict[str, object]) -> None:
        if section["title"] is not None:
            found.append((str(section["title"]), int(section["line"])))  # type: ignore[call-overload]
        items(section["items"])  # type: ignore[arg-type]
        for sub in section["sections"]:  # type: ignore[attr-defined]
            sections(sub)

    sections(agent["body"])  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("name", ["crlf", "bare-cr"])
def test_line_endings_keep_line_numbers(tmp_path: Path, name: str) -> None:
    """CRLF and bare CR files report the same 1-based lines as the LF file would."""
    agent = parsed(tmp_path, name)
    assert [(f["key"], f["line"]) for f in agent["fields"]] == [("name", 2)]  # type: ignore[attr-defined]
    assert body_lines(agent) == [("Title", 5), ("one", 7), ("two", 8)]


def test_tabs_keep_nesting_and_line_numbers(tmp_path: Path) -> None:
    """Tab-indented list items nest as spaces would and keep their lines."""
    assert body_lines(parsed(tmp_path, "tabs")) == [("Title", 5), ("one", 7), ("nested", 8), ("two", 9)]


@pytest.mark.parametrize("name", ["utf8-bom", "utf16-bom"])
def test_byte_order_marks_do_not_shift_lines(tmp_path: Path, name: str) -> None:
    """A UTF-8 or UTF-16 byte order mark is dropped; the frontmatter is still found on line 1."""
    agent = parsed(tmp_path, name)
    assert [(f["key"], f["value"], f["line"]) for f in agent["fields"]] == [("name", "x", 2)]  # type: ignore[attr-defined]
    assert body_lines(agent) == [("Title", 5)]


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_is_refused_not_read_as_utf16(tmp_path: Path, encoding: str) -> None:
    """UTF-32's little-endian mark opens with UTF-16's, so the file read as UTF-16 was a text of
    NULs with exit 0. Either mark is now a one-line error naming the file, exit 2."""
    from conftest import run_cli

    data = "---\nname: e\ndescription: d\n---\n- a\n".encode(encoding)
    if encoding == "utf-32-be":
        data = codecs.BOM_UTF32_BE + data
    path = tmp_path / "u32.md"
    path.write_bytes(data)
    result = run_cli("parse", str(path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "u32.md: starts with a UTF-32 mark; save it as UTF-8" in result.stderr


def test_nul_bytes_are_replaced_and_warned_on_their_line(tmp_path: Path) -> None:
    """NUL becomes U+FFFD, the warning names line 5, and later lines keep their numbers."""
    agent = parsed(tmp_path, "nul-bytes")
    assert body_lines(agent) == [("hello\ufffdworld", 5), ("item", 6)]
    assert agent["warnings"] == [{"line": 5, "message": "contains NUL characters; they were replaced with U+FFFD"}]


def test_invalid_utf8_is_replaced_and_warned_on_its_line(tmp_path: Path) -> None:
    """Undecodable bytes become U+FFFD and the warning names the first bad line."""
    agent = parsed(tmp_path, "invalid-utf8")
    assert body_lines(agent) == [("line five\nbad \ufffd\ufffd here", 5)]
    assert agent["warnings"] == [{"line": 6, "message": "is not valid UTF-8; bad bytes were replaced with U+FFFD"}]


def test_alias_bomb_is_not_expanded(tmp_path: Path) -> None:
    """The alias bomb's keys are kept as short raw text, never as expanded lists."""
    agent = parsed(tmp_path, "alias-bomb")
    values = {f["key"]: f["value"] for f in agent["fields"]}  # type: ignore[attr-defined]
    assert values["i"] == "&i [" + ",".join(["*h"] * 9) + "]"
    assert "aliases" in agent["warnings"][0]["message"]  # type: ignore[index]


def test_deep_nesting_keeps_every_line(tmp_path: Path) -> None:
    """Lines nested past the parser's depth limit are kept as a paragraph with a warning, not dropped."""
    agent = parsed(tmp_path, "deep-list")
    texts = body_lines(agent)
    assert texts[0] == ("x", 1)
    assert sum(text.count("x") for text, _ in texts) == 600
    assert "nested too deeply" in agent["warnings"][0]["message"]  # type: ignore[index]


def test_a_flood_of_one_warning_prints_five_and_a_count(tmp_path: Path) -> None:
    """Hundreds of blocks nested too deeply give five warning lines and one that counts the rest,
    naming their lines; the JSON output still lists every one."""
    path = tmp_path / "flood.md"
    path.write_text("\n\n".join(["- " * 60 + "x"] * 300) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "agentmerge", "parse", str(path)], capture_output=True, text=True, check=False
    )
    warnings = [line for line in run.stderr.splitlines() if line.startswith("agentmerge: warning:")]
    assert run.returncode == 0
    assert len(warnings) == 6
    assert all("nested too deeply" in line for line in warnings[:5])
    assert warnings[5] == f"agentmerge: warning: {path}: 295 more like the warning for line 1, on lines 11-599"
    listed = subprocess.run(
        [sys.executable, "-m", "agentmerge", "parse", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert len(json.loads(listed.stdout)["agents"][0]["warnings"]) == 300


def test_unclosed_fence_runs_to_the_end_of_the_file(tmp_path: Path) -> None:
    """An unclosed code fence holds the rest of the file, as CommonMark says."""
    assert body_lines(parsed(tmp_path, "unclosed-fence")) == [("T", 1), ("print(1)\n\n- not a list", 3)]


def test_sparse_tables_are_read_as_paragraphs(tmp_path: Path) -> None:
    """Tables that markdown-it would complete into hundreds of thousands of cells are kept as text."""
    agent = parsed(tmp_path, "sparse-tables")
    assert "are read as plain paragraphs" in agent["warnings"][0]["message"]  # type: ignore[index]
    texts = body_lines(agent)
    assert len(texts) == 20 and all(text.startswith("|a|a|") for text, _ in texts)


def test_a_long_paragraph_of_one_line_repeated_is_compared_in_bounded_time(tmp_path: Path) -> None:
    """A 215 KB paragraph of one line written 20,000 times, against a copy one word longer: every
    command that compares the two answers well within the limit. Aligning its words or lines
    exactly took minutes (diff and merge), and reading its names a search over all the text
    before each word (consolidate: 160 s)."""
    head = "---\nname: hostile\ndescription: One line many times.\n---\n\n"
    base, ours, theirs = tmp_path / "base.md", tmp_path / "ours.md", tmp_path / "theirs.md"
    base.write_text(head + "use Word y\n" * 20_000, encoding="utf-8")
    ours.write_text(head + "use Word y\n" * 20_000 + "end\n", encoding="utf-8")
    theirs.write_text(head + "use Word y\n" * 20_000 + "end two\n", encoding="utf-8")
    for command, expected in (
        (["diff", str(base), str(ours)], 1),
        (["consolidate", str(base), str(ours)], 0),
        (["merge", str(base), str(ours), str(theirs)], 1),
    ):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "agentmerge", *command], capture_output=True, text=True)
        assert done.returncode == expected, done.stderr
        assert "Traceback" not in done.stderr
        assert time.perf_counter() - start < TIME_LIMIT / 2, command[0]


def test_long_paragraphs_without_spaces_are_compared_by_their_pieces(tmp_path: Path) -> None:
    """Two files of two 40,000-character paragraphs of ideographs, a hundred commas put in each in
    the second: each edited paragraph is still near verbatim and folds into its twin,
    and diff reports two rewordings. The exact character ratio took seconds a pair (two files
    of 85,000-character paragraphs: 14 CPU s to consolidate); ``match.piece_ratio`` bounds it."""
    pick = random.Random(5)
    paragraphs = [[chr(0x4E00 + pick.randrange(3_000)) for _ in range(40_000)] for _ in range(2)]
    head = "---\nname: hostile\ndescription: Long paragraphs.\n---\n"
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(head + "".join("\n" + "".join(p) + "\n" for p in paragraphs), encoding="utf-8")
    for chars in paragraphs:
        for _ in range(100):
            chars.insert(pick.randrange(1, len(chars)), "\uff0c")
    new.write_text(head + "".join("\n" + "".join(p) + "\n" for p in paragraphs), encoding="utf-8")
    merged = subprocess.run(
        [sys.executable, "-m", "agentmerge", "consolidate", str(old), str(new)], capture_output=True, text=True
    )
    assert merged.returncode == 0, merged.stderr
    assert [len(line) for line in merged.stdout.splitlines() if len(line) > 1_000] == [40_100, 40_100]
    diffed = subprocess.run(
        [sys.executable, "-m", "agentmerge", "diff", str(old), str(new)], capture_output=True, text=True
    )
    assert diffed.returncode == 1, diffed.stderr
    assert diffed.stdout.count("reworded (9") == 2 and "removed:" not in diffed.stdout


def test_a_long_paragraph_of_ideographs_and_its_edit_are_both_kept_in_bounded_memory(tmp_path: Path) -> None:
    """One paragraph of 40,000 ideographs and a copy with a hundred of them changed: the edit
    changes its words (pairs of characters), so it is no copy and both are kept. Each pair of
    the paragraph is a word the corpus hardly uses, and the lossless rule listed them with the
    whole run they come from, folded anew for each: 40,000 copies of 40,000 characters."""
    pick = random.Random(7)
    chars = [chr(0x4E00 + pick.randrange(3_000)) for _ in range(40_000)]
    head = "---\nname: hostile\ndescription: Long paragraphs.\n---\n\n"
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(head + "".join(chars) + "\n", encoding="utf-8")
    for _ in range(100):
        chars[pick.randrange(len(chars))] = chr(0x4E00 + pick.randrange(3_000))
    new.write_text(head + "".join(chars) + "\n", encoding="utf-8")
    out = tmp_path / "merged.md"
    code, _, err, elapsed, peak = run_measured(out, "consolidate", "-o", str(out), str(old), str(new))
    assert code == 0, err
    assert peak < MEMORY_LIMIT
    assert elapsed < TIME_LIMIT / 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [len(line) for line in lines if len(line) > 1_000] == [40_000, 40_000]


@pytest.mark.parametrize("shared", [False, True], ids=["distinct-words", "shared-words"])
def test_libraries_of_two_huge_agents_are_grouped_and_checked_in_bounded_time(tmp_path: Path, shared: bool) -> None:
    """Two agent files of 28,000 bullets each: ``group`` and ``check`` (whose AM302 asks the same
    instruction overlap) answer well within the limit. Bullets of two made-up words each took
    about 40 s (every instruction looked up in a list of the other file's); bullets of a word of
    their own and two of 24 shared words about 100 s (every instruction's closest partner searched
    among the thousands that share a word with it)."""
    pick = random.Random(7)
    vocabulary = [f"v{n}" for n in range(24)] if shared else [f"w{n}" for n in range(3_000)]
    paths = []
    for name in ("one", "two"):
        lines = [pick.choices(vocabulary, k=2) for _ in range(28_000)]
        if shared:
            lines = [[f"{name[0]}{n}", *words] for n, words in enumerate(lines)]
        bullets = "".join(f"- {' '.join(words)}\n" for words in lines)
        path = tmp_path / f"{name}.md"
        path.write_text(f"---\nname: {name}\ndescription: Many bullets.\n---\n\n{bullets}", encoding="utf-8")
        paths.append(str(path))
    for command in (["group", "-j", "1", *paths], ["check", "--select", "AM302", "-j", "1", *paths]):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "agentmerge", *command], capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        assert time.perf_counter() - start < TIME_LIMIT / 2, command[0]


def test_a_library_of_agents_sharing_few_words_is_checked_in_bounded_time(tmp_path: Path) -> None:
    """Forty agents of a thousand bullets each, every bullet four to fourteen of 36 words (1.5 MB
    in all): ``check`` (AM302) and ``group --min-overlap`` answer well within the limit. Every
    pair of agents is a candidate, and each instruction's closest partner was searched among all
    the other agent's, which share its words: over two minutes for ``check``, three for ``group``."""
    pick = random.Random(11)
    vocabulary = [f"f{n}" for n in range(36)]
    for n in range(40):
        bullets = "".join(f"- {' '.join(pick.choices(vocabulary, k=pick.randint(4, 14)))}\n" for _ in range(1_000))
        (tmp_path / f"a{n}.md").write_text(f"---\nname: a{n}\ndescription: Many bullets.\n---\n\n{bullets}")
    for command in (
        ["check", "--select", "AM302", "-j", "1", str(tmp_path)],
        ["group", "--min-overlap", "0.5", "-j", "1", str(tmp_path)],
    ):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "agentmerge", *command], capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        assert time.perf_counter() - start < TIME_LIMIT / 2, command[0]
