"""``agentmerge check`` and ``agentmerge fmt`` as a user runs them: output shapes, exit codes, rule
selection on the command line and in the settings, safe fixes, formatting in place."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS, model_shape, run_cli, write

from agentmerge.check import Selection, render_github, selection_from
from agentmerge.config import find_settings
from agentmerge.parse import parse_bytes, quote_shapes

BAD = (
    "---\nname: Code Reviewer\ndescription: Use it when: a diff is ready\n---\n\n"
    "You review code.\n\n- Deploy with {{DEPLOY_COMMAND}}.\n"
)
"""A subagent with three findings: invalid YAML (AM101), a bad name (AM106), a placeholder (AM201)."""

GOOD = "---\nname: reviewer\ndescription: Reviews code changes\n---\n\nYou review code.\n\n- Read the diff first.\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path, ".claude/agents/bad.md", BAD)
    write(tmp_path, ".claude/agents/reviewer.md", GOOD)
    return tmp_path


def test_text_output_is_rufflike_with_exit_1(repo: Path) -> None:
    """One ``path:line:col: CODE message`` line per finding, in path and line order, then a summary."""
    code, out, _ = run_cli("check", ".", cwd=repo)
    assert code == 1
    lines = out.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines[:3]] == [
        [".claude/agents/bad.md:2:7:", "AM106"],
        [".claude/agents/bad.md:3:1:", "AM101"],
        [".claude/agents/bad.md:8:15:", "AM201"],
    ]
    assert "quote it: description: 'Use it when: a diff is ready'" in lines[1]
    assert lines[3:] == ["Found 3 findings.", "1 fixable with agentmerge check --fix."]


def test_clean_files_exit_0(repo: Path) -> None:
    """A file without findings passes, and says how many files were checked."""
    code, out, _ = run_cli("check", ".claude/agents/reviewer.md", cwd=repo)
    assert (code, out) == (0, "All checks passed (1 file).\n")


def test_unreadable_file_exits_2_and_the_others_are_still_checked(repo: Path) -> None:
    """A binary file is an error line (exit 2); findings of the other files are still printed."""
    (repo / ".claude/agents/blob.md").write_bytes(b"\x00\x01\x02" * 100)
    code, out, err = run_cli("check", ".", cwd=repo)
    assert code == 2
    assert "agentmerge: error: .claude/agents/blob.md: is a binary file" in err
    assert "AM106" in out
    assert "Traceback" not in err


def test_json_report(repo: Path) -> None:
    """The JSON report lists every finding with its rule name, counts per code and no errors."""
    code, out, _ = run_cli("check", "--format", "json", ".", cwd=repo)
    report = json.loads(out)
    assert code == 1
    assert report["version"] == 1 and report["files"] == 2
    assert report["summary"] == {"AM101": 1, "AM106": 1, "AM201": 1}
    first = report["findings"][0]
    assert first == {
        "path": ".claude/agents/bad.md",
        "line": 2,
        "column": 7,
        "code": "AM106",
        "rule": "bad-name",
        "message": first["message"],
        "fixable": False,
        "related": [],
    }
    assert report["errors"] == [] and report["fixed"] == 0


def test_github_annotations(repo: Path) -> None:
    """--format github writes one ::error workflow command per finding, file and line as properties."""
    code, out, _ = run_cli("check", "--format", "github", ".", cwd=repo)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("::error title=agentmerge (AM106),file=.claude/agents/bad.md,line=2,col=7::")
    assert len(out.splitlines()) == 3


def test_github_annotation_escapes_its_properties_and_message() -> None:
    """Commas, colons, percent signs and line breaks cannot end a property or the message early."""
    from agentmerge.check import CheckResult, Finding

    finding = Finding("a,b:c.md", 3, 1, "AM201", "50% of\nit")
    (line,) = render_github(CheckResult(("a,b:c.md",), (finding,)))
    assert line == "::error title=agentmerge (AM201),file=a%2Cb%3Ac.md,line=3,col=1::a,b:c.md:3:1: AM201 50%25 of%0Ait"


def test_github_annotation_message_shows_control_characters_escaped() -> None:
    """The job log plays colour codes: the message shows a file name's escaped, while the file
    property keeps the real name the annotation is placed on."""
    from agentmerge.check import CheckResult, Finding

    path = "r\x1b[31m.md"
    (line,) = render_github(CheckResult((path,), (Finding(path, 2, 1, "AM101", "not valid"),)))
    assert line == "::error title=agentmerge (AM101),file=r\x1b[31m.md,line=2,col=1::r\\x1b[31m.md:2:1: AM101 not valid"


def test_select_and_ignore_on_the_command_line(repo: Path) -> None:
    """--select keeps only the chosen codes or prefixes; --ignore drops codes, the more specific winning."""
    out = run_cli("check", "--select", "AM1", ".", cwd=repo).stdout
    assert "AM106" in out and "AM101" in out and "AM201" not in out
    out = run_cli("check", "--select", "AM1", "--ignore", "AM106", ".", cwd=repo).stdout
    assert "AM106" not in out and "AM101" in out
    out = run_cli("check", "--select", "AM106", "--ignore", "AM1", ".", cwd=repo).stdout
    assert "AM106" in out and "AM101" not in out


def test_unknown_selector_is_a_usage_error(repo: Path) -> None:
    """A code that names no rule stops with exit 2 and says how codes look."""
    code, _, err = run_cli("check", "--select", "AM999", ".", cwd=repo)
    assert code == 2
    assert "'AM999' selects no rule (--select)" in err


def test_settings_select_and_ignore(repo: Path) -> None:
    """[tool.agentmerge.check] in pyproject.toml chooses the rules; --select replaces its select."""
    write(repo, "pyproject.toml", '[tool.agentmerge.check]\nignore = ["AM101", "AM2"]\n')
    out = run_cli("check", ".", cwd=repo).stdout
    assert "AM106" in out and "AM101" not in out and "AM201" not in out
    out = run_cli("check", "--select", "AM2", ".", cwd=repo).stdout
    assert "AM201" not in out  # the settings' ignore still holds
    out = run_cli("check", "--select", "AM201", ".", cwd=repo).stdout
    assert "AM201" in out  # a more specific selector wins
    write(repo, ".agentmerge.toml", '[check]\nselect = ["AM201"]\n')
    out = run_cli("check", ".", cwd=repo).stdout
    assert "AM201" in out and "AM106" not in out


def test_settings_are_found_from_a_subfolder_and_checked(repo: Path) -> None:
    """Settings are read from the nearest folder above the current one; a bad code there is an error
    naming the file and line."""
    write(repo, "pyproject.toml", '[tool.agentmerge.check]\nselect = ["AM106"]\n')
    out = run_cli("check", ".", cwd=repo / ".claude").stdout
    assert "AM106" in out and "AM101" not in out
    write(repo, "pyproject.toml", '[tool.agentmerge.check]\n\nignore = ["XX1"]\n')
    code, _, err = run_cli("check", ".", cwd=repo)
    assert code == 2
    assert "agentmerge: error: pyproject.toml:3: 'XX1' selects no rule" in err


def test_opt_in_rule_runs_only_when_named() -> None:
    """AM107 (name against file name) is off by default and under a prefix, on when named."""
    assert not Selection().enabled("AM107")
    assert not Selection(("AM1",)).enabled("AM107")
    assert Selection(("AM107",)).enabled("AM107")
    assert Selection(("AM1", "AM107")).enabled("AM101")


def test_the_matcher_rules_are_opt_in_and_load_nothing_by_default() -> None:
    """AM203 and AM204 run only when named; a default check never imports the matcher."""
    assert not Selection().enabled("AM203") and not Selection(("AM2",)).enabled("AM204")
    assert Selection(extend=("AM203",)).enabled("AM203")
    script = (
        "import sys; from agentmerge.cli import main; code = main(['check', '--exit-zero', sys.argv[1]]); "
        "print(sorted(m for m in sys.modules if m in ('agentmerge.scorer', 'agentmerge.consolidate')))"
    )
    done = subprocess.run([sys.executable, "-c", script, str(SEEDS[2])], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_extend_select_adds_to_the_default_or_the_selection() -> None:
    """--extend-select adds rules (an opt-in one only by its own code), as ruff's does."""
    assert Selection(extend=("AM107",)).enabled("AM107")
    assert Selection(extend=("AM107",)).enabled("AM101")
    assert not Selection(extend=("AM1",)).enabled("AM107")
    assert not Selection(("AM2",), extend=("AM107",)).enabled("AM101")
    assert Selection(("AM2",), extend=("AM107",)).enabled("AM107")
    assert not Selection(extend=("AM107",), ignore=("AM107",)).enabled("AM107")


def test_extend_select_from_the_command_line_and_settings(repo: Path) -> None:
    """The option adds to the settings' extend-select; both add to the default rules."""
    write(repo, "pyproject.toml", '[tool.agentmerge.check]\nextend-select = ["AM107"]\n')
    settings = find_settings(repo)
    selection, notes = selection_from((), (), settings, ("AM2",))
    assert notes == [] and selection.extend == ("AM107", "AM2")
    assert selection.enabled("AM107") and selection.enabled("AM101")


def test_exit_zero(repo: Path) -> None:
    """--exit-zero reports the findings and exits 0, as ruff's does."""
    code, out, _ = run_cli("check", "--exit-zero", ".", cwd=repo)
    assert code == 0 and "AM106" in out


# --------------------------------------------------------------------------------------------
# --fix


def test_fix_quotes_invalid_yaml_and_keeps_the_rest(repo: Path) -> None:
    """--fix rewrites the one key strict YAML rejects, keeps every other byte, and the model."""
    path = repo / ".claude/agents/bad.md"
    before = parse_bytes(path.read_bytes(), "bad.md")
    code, out, _ = run_cli("check", "--fix", ".", cwd=repo)
    assert code == 1  # AM106 and AM201 remain
    assert "AM101" not in out
    assert "Found 2 findings (1 fixed, 2 remaining)." in out
    text = path.read_text(encoding="utf-8")
    assert text == BAD.replace("Use it when: a diff is ready", "'Use it when: a diff is ready'")
    after = parse_bytes(path.read_bytes(), "bad.md")
    assert model_shape(after) == model_shape(before)
    assert after.warnings == ()


def test_a_fix_or_format_past_the_frontmatter_limit_is_not_made_and_says_why(tmp_path: Path) -> None:
    """A 62 KB frontmatter of 5,300 values strict YAML rejects (``k: a: b``): quoted, as --fix and
    fmt write them, it is 71 KiB, past what agentmerge reads. check --fix said the file's own
    frontmatter was 71 KiB and checked nothing; fmt said the same. Now check reports its
    findings and why they are not fixed, fmt says it is the canonical form, and the file stays."""
    keys = "".join(f"k{n}: a: b\n" for n in range(5_300))
    text = f"---\nname: fx\ndescription: Does fx.\n{keys}---\n\n- Do it.\n"
    path = tmp_path / "fx.md"
    path.write_text(text, encoding="utf-8")
    checked = run_cli("check", "--fix", str(path))
    assert checked.exit_code == 1 and "Found 5,301 findings." in checked.stdout
    assert "fixable with agentmerge check --fix" not in checked.stdout
    assert checked.stderr == (
        f"agentmerge: warning: {path}: not fixed: the file would be past what agentmerge reads once fixed: the "
        "frontmatter is 71 KiB, more than agentmerge reads (64 KiB); an agent's settings are a few keys\n"
    )
    formatted = run_cli("fmt", str(path))
    assert formatted.exit_code == 2
    assert formatted.stderr.startswith(
        f"agentmerge: error: {path}: its canonical form would be past what agentmerge reads, as its frontmatter is "
        "71 KiB, more than agentmerge reads (64 KiB); it was left as it was\n"
    )
    assert path.read_text(encoding="utf-8") == text


def test_fix_drops_duplicate_keys_and_leading_blank_lines_with_crlf(tmp_path: Path) -> None:
    """AM108 and AM109 fixes keep the last value (what every reader used) and the CRLF endings."""
    source = "\r\n\r\n---\r\nname: old\r\ndescription: Reviews\r\nname: reviewer\r\n---\r\n\r\n- Read.\r\n"
    write(tmp_path, ".claude/agents/reviewer.md", "")
    path = tmp_path / ".claude/agents/reviewer.md"
    path.write_bytes(source.encode())
    code, out, _ = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert code == 0, out
    assert path.read_bytes() == b"---\r\ndescription: Reviews\r\nname: reviewer\r\n---\r\n\r\n- Read.\r\n"


def test_fix_leaves_clean_files_untouched(repo: Path) -> None:
    """A file with nothing to fix is not rewritten (its modification time stays)."""
    path = repo / ".claude/agents/reviewer.md"
    os.utime(path, (1_000_000, 1_000_000))
    run_cli("check", "--fix", ".", cwd=repo)
    assert path.stat().st_mtime == 1_000_000


def test_fix_of_standard_input_is_refused(repo: Path) -> None:
    """--fix writes files; standard input has none to write."""
    code, _, err = run_cli("check", "--fix", "-", stdin=BAD, cwd=repo)
    assert code == 2 and "--fix" in err


def test_check_reads_standard_input(repo: Path) -> None:
    """- checks standard input; without a path its frontmatter tells the format (name and
    description: a Claude Code subagent), so the format's rules run as for the file on disk."""
    code, out, _ = run_cli("check", "-", stdin=BAD, cwd=repo)
    assert code == 1
    assert "<stdin>:3:1: AM101" in out
    on_disk = run_cli("check", ".claude/agents/bad.md", cwd=repo).stdout
    hint = "1 fixable with agentmerge check --fix.\n"  # standard input is not fixed (below)
    assert out == on_disk.replace(".claude/agents/bad.md", "<stdin>").replace(hint, "")
    assert "AM106" in out


def test_check_of_standard_input_offers_no_fix_it_cannot_make(tmp_path: Path) -> None:
    """A fixable finding in standard input names no --fix (which refuses -); a file's still does,
    and a library note names standard input as the command line gives it (-)."""
    late = "\n" + GOOD + "- Run the tests before approving.\n- Name every file a finding is in.\n"
    write(tmp_path, "late.md", late)
    out = run_cli("check", "-", stdin=late, cwd=tmp_path).stdout
    assert "<stdin>:2:1: AM109" in out and "check --fix" not in out
    other = late.replace("name: reviewer", "name: checker")
    out = run_cli("check", "-", "late.md", stdin=other, cwd=tmp_path).stdout
    assert "1 fixable with agentmerge check --fix." in out
    assert "agentmerge consolidate - late.md merges them" in out


# --------------------------------------------------------------------------------------------
# fmt


def test_fmt_writes_the_canonical_form_in_place(repo: Path) -> None:
    """fmt rewrites a file in the canonical form (strict YAML included), keeping its model, and
    a second fmt changes no byte."""
    path = repo / ".claude/agents/bad.md"
    before = parse_bytes(path.read_bytes(), "bad.md")
    code, _, err = run_cli("fmt", ".claude/agents/bad.md", cwd=repo)
    assert code == 0
    assert "reformatted .claude/agents/bad.md" in err
    assert "frontmatter was not valid YAML; written as strict YAML" in err
    first = path.read_bytes()
    assert model_shape(parse_bytes(first, "bad.md")) == model_shape(before)
    assert parse_bytes(first, "bad.md").warnings == ()
    code, _, err = run_cli("fmt", ".claude/agents/bad.md", cwd=repo)
    assert (code, path.read_bytes()) == (0, first)
    assert "0 files reformatted, 1 left unchanged" in err


@pytest.mark.parametrize(
    ("frontmatter", "reason"),
    [
        (
            "name: deployer\ndescription: Deploys the app\n# Bash left out on purpose: ask first.\n"
            "tools: Read, Grep   # read-only\n# model: opus\n",
            "comments",
        ),
        ("name: t\ndescription: d\nx-anchor: &a foo\nx-ref: *a\n", "anchors and aliases"),
        ("name: t\ndescription: Deploys\ndescription: twice  # the second wins\n", "comments"),
        (
            "name: t\ndescription: d\nversion: 1.10\nretries: 010\nenabled: yes\nsince: 2024-01-02\n",
            "value spellings another YAML reader may read otherwise ('1.10')",
        ),
    ],
)
def test_fmt_keeps_a_frontmatter_whose_comments_or_aliases_the_model_lacks(
    tmp_path: Path, frontmatter: str, reason: str
) -> None:
    """YAML comments (a key left out on purpose, a reason) and anchors with their aliases are no
    part of the model, so writing the fields again would drop them or change a value (``*a`` is
    read as text): the frontmatter block is written as it is, with a note, and the body is still
    formatted; a second run changes nothing and says nothing. A ``#`` inside a value is no comment."""
    path = tmp_path / ".claude/agents/a.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\n{frontmatter}---\n* Deploy carefully.\n", encoding="utf-8")
    code, _, err = run_cli("fmt", ".claude/agents/a.md", cwd=tmp_path)
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == f"---\n{frontmatter}---\n\n- Deploy carefully.\n"
    assert f"a.md:1: frontmatter kept as written: it holds YAML {reason}" in err
    code, _, err = run_cli("fmt", ".claude/agents/a.md", cwd=tmp_path)
    assert code == 0 and "kept as written" not in err and "1 left unchanged" in err
    hashed = tmp_path / ".claude/agents/b.md"
    hashed.write_text("---\nname: b\ndescription: Writes C# and 'issue #4' fixes\n---\n* x\n", encoding="utf-8")
    run_cli("fmt", ".claude/agents/b.md", cwd=tmp_path)
    assert hashed.read_text(encoding="utf-8").startswith("---\nname: b\ndescription: Writes C# and")


def test_fmt_check_and_diff_write_nothing(repo: Path) -> None:
    """--check exits 1 when a file would change and writes nothing; --diff shows the change."""
    path = repo / ".claude/agents/bad.md"
    code, _, err = run_cli("fmt", "--check", ".", cwd=repo)
    assert code == 1
    assert "would reformat .claude/agents/bad.md" in err
    assert path.read_text(encoding="utf-8") == BAD
    code, out, _ = run_cli("fmt", "--diff", ".claude/agents/bad.md", cwd=repo)
    assert code == 0
    assert "-description: Use it when: a diff is ready\n+description: 'Use it when: a diff is ready'\n" in out
    assert path.read_text(encoding="utf-8") == BAD
    run_cli("fmt", ".", cwd=repo)
    assert run_cli("fmt", "--check", ".", cwd=repo).exit_code == 0


def test_fmt_standard_input_to_standard_output(repo: Path) -> None:
    """fmt - prints the canonical form of standard input, and counts it; --check and --diff name
    it <stdin>, as check and parse do."""
    code, out, err = run_cli("fmt", "-", stdin=BAD, cwd=repo)
    assert code == 0
    assert out.startswith("---\nname: Code Reviewer\ndescription: 'Use it when: a diff is ready'\n---\n")
    assert "agentmerge: 1 file reformatted, 0 left unchanged" in err
    code, out, err = run_cli("fmt", "-", stdin=out, cwd=repo)
    assert "agentmerge: 0 files reformatted, 1 left unchanged" in err
    code, _, err = run_cli("fmt", "--check", "-", stdin=BAD, cwd=repo)
    assert code == 1 and "would reformat <stdin>\n" in err
    code, out, _ = run_cli("fmt", "--diff", "-", stdin=BAD, cwd=repo)
    assert out.startswith("--- <stdin> (original)\n+++ <stdin> (formatted)\n")


def test_fmt_of_many_files_in_worker_processes_matches_one_by_one(tmp_path: Path) -> None:
    """Above the parallel threshold the files are formatted by worker processes: the same messages
    in the same order, the same diff, the same exit code and the same bytes written as formatting
    them one by one (--jobs 1), a file that cannot be written back included."""
    from agentmerge.library import PARALLEL_FILES

    trees = [tmp_path / "one", tmp_path / "many"]
    for tree in trees:
        for n in range(PARALLEL_FILES + 12):
            text = (BAD, GOOD, SEEDS[n % len(SEEDS)].read_text(encoding="utf-8"))[n % 3]
            write(tree, f".claude/agents/{n:02d}.md", text)
        (tree / ".claude/agents/30.md").write_bytes(b"---\nname: x\ndescription: y\n---\n\ncaf\x00\n")
    for args in (["fmt", "--diff", "."], ["fmt", "--check", "."], ["fmt", "."]):
        one = run_cli(*args, "--jobs", "1", cwd=trees[0])
        many = run_cli(*args, "--jobs", "2", cwd=trees[1])
        assert (many.exit_code, many.stdout, many.stderr) == (one.exit_code, one.stdout, one.stderr)
        assert one.exit_code == 2
        assert "agentmerge: error: .claude/agents/30.md:6: contains NUL characters" in one.stderr
    assert "reformatted .claude/agents/00.md" in one.stderr
    written = [{p.name: p.read_bytes() for p in (tree / ".claude/agents").iterdir()} for tree in trees]
    assert written[0] == written[1]
    assert written[0]["00.md"] != BAD.encode()


def test_fmt_goes_on_past_a_file_it_cannot_write(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be written is one error line (exit 2); the files after it are still
    formatted."""
    from agentmerge import filesystem
    from agentmerge.errors import OutputError

    write(repo, ".claude/agents/later.md", BAD)
    real = filesystem.write_atomic

    def refuse_bad(path: str, text: str, encoding: str = "utf-8") -> None:
        if path.endswith("bad.md"):
            raise OutputError(path, 0, "cannot be written (Operation not permitted); check the path")
        real(path, text, encoding)

    monkeypatch.setattr(filesystem, "write_atomic", refuse_bad)
    code, _, err = run_cli("fmt", ".", cwd=repo)
    assert code == 2
    assert "agentmerge: error: .claude/agents/bad.md: cannot be written" in err
    assert "reformatted .claude/agents/later.md" in err
    assert (repo / ".claude/agents/bad.md").read_text(encoding="utf-8") == BAD
    assert (repo / ".claude/agents/later.md").read_text(encoding="utf-8") != BAD


@pytest.mark.parametrize(
    ("damage", "found", "replaced"),
    [(b"caf\xe9", "is not valid UTF-8", "the bad bytes"), (b"caf\x00", "contains NUL characters", "them")],
    ids=["latin-1", "nul"],
)
def test_fmt_and_fix_leave_a_file_they_cannot_write_back_as_it_was(
    repo: Path, damage: bytes, found: str, replaced: str
) -> None:
    """A Latin-1 byte or a NUL character would be written back as U+FFFD: fmt refuses the file
    (one error line naming it and the line, exit 2) and check --fix leaves it as it was with a
    warning saying why, though it has a fixable finding (AM101); the other files are still done."""
    path = repo / ".claude/agents/bad.md"
    data = BAD.encode("utf-8").replace(b"You review code.", b"You review " + damage + b" code.")
    path.write_bytes(data)
    for args in (["fmt", "."], ["fmt", "--check", "."], ["fmt", ".claude/agents/bad.md"]):
        code, _, err = run_cli(*args, cwd=repo)
        assert code == 2, args
        assert f"agentmerge: error: .claude/agents/bad.md:6: {found}: writing it again would replace" in err
        assert f"{replaced} with U+FFFD; it was left as it was" in err
        assert path.read_bytes() == data
    code, _, err = run_cli("fmt", "-", stdin=data, cwd=repo)
    assert code == 2 and f"<stdin>:6: {found}" in err
    code, out, err = run_cli("check", "--fix", ".", cwd=repo)
    assert code == 1
    assert f"agentmerge: warning: .claude/agents/bad.md:6: not fixed: the file {found}" in err
    assert path.read_bytes() == data
    assert ".claude/agents/bad.md:3:1: AM101" in out
    path.write_bytes(data.replace(damage, b"cafe"))
    assert run_cli("check", "--fix", ".", cwd=repo).exit_code == 1
    assert b"'Use it when: a diff is ready'" in path.read_bytes()


@pytest.mark.parametrize(
    ("codec", "mark"),
    [("utf-16-le", "\ufeff"), ("utf-16-be", "\ufeff"), ("utf-8", "\ufeff"), ("utf-8", "")],
    ids=["utf-16-le", "utf-16-be", "utf-8-mark", "utf-8"],
)
def test_fix_writes_a_file_back_in_its_own_encoding(repo: Path, codec: str, mark: str) -> None:
    """check --fix keeps a file's encoding, byte order and byte order mark (UTF-16 is read only
    with its mark); fmt writes the canonical form, UTF-8 without a mark."""
    path = repo / ".claude/agents/bad.md"
    path.write_bytes((mark + BAD).encode(codec))
    code, out, _ = run_cli("check", "--fix", ".", cwd=repo)
    assert code == 1 and "AM101" not in out
    fixed = BAD.replace("Use it when: a diff is ready", "'Use it when: a diff is ready'")
    assert path.read_bytes() == (mark + fixed).encode(codec)
    assert run_cli("fmt", ".", cwd=repo).exit_code == 0
    assert path.read_bytes().startswith(b"---\nname: Code Reviewer\n")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_fmt_is_a_fixed_point_on_the_seeds(tmp_path: Path, seed: Path) -> None:
    """Each seed formats to a file with the same model, and formatting that again changes nothing."""
    path = tmp_path / seed.name
    path.write_bytes(seed.read_bytes())
    assert run_cli("fmt", str(path)).exit_code == 0
    once = path.read_bytes()
    assert model_shape(parse_bytes(once, "x.md")) == model_shape(parse_bytes(seed.read_bytes(), "x.md"))
    assert run_cli("fmt", "--check", str(path)).exit_code == 0
    assert path.read_bytes() == once


def test_fmt_keeps_a_quotes_lazy_table_like_lines_as_its_text(tmp_path: Path) -> None:
    """Lines that continue a quote's paragraph without a ``>`` are text; written with one they
    would be a table inside the quote. fmt writes every line of the quote with its ``>`` and
    escapes those lines' pipes, so they read as the same text, and the result is stable. With the
    ``>`` on every line (a table in the quote already) the table stays a table."""
    lazy = "# Notes\n\n> Limits:\n| a | b |\n|---|---|\n| 1 | `x|y` |\n\n- Keep them.\n"
    path, before = tmp_path / "AGENTS.md", tmp_path / "before" / "AGENTS.md"
    before.parent.mkdir()
    for each in (path, before):
        each.write_text(lazy, encoding="utf-8")
    run = run_cli("fmt", str(path))
    assert run.exit_code == 0, run.stderr
    written = path.read_text(encoding="utf-8")
    assert written == (
        "# Notes\n\n> Limits:\n> \\| a \\| b \\|\n> \\|---\\|---\\|\n> \\| 1 \\| `x|y` \\|\n\n- Keep them.\n"
    )
    assert quote_shapes(written) == quote_shapes(lazy) == [("paragraph_open",)]
    assert run_cli("fmt", "--check", str(path)).exit_code == 0
    same = run_cli("diff", str(before), str(path))
    assert same.exit_code == 0 and "no semantic changes" in same.stdout
    table = lazy.replace("\n|", "\n> |").replace("Limits:\n", "Limits:\n>\n")
    path.write_text(table, encoding="utf-8")
    assert run_cli("fmt", "--check", str(path)).exit_code == 0
    assert quote_shapes(table)[0][:2] == ("paragraph_open", "table_open")


# --------------------------------------------------------------------------------------------
# Cursor rules: globs as Cursor reads them

RULE = (
    "---\ndescription: Use it when: editing TypeScript\nglobs: **/*.ts, **/*.tsx\nalwaysApply: false\n---\n\n"
    "- Use strict mode.\n"
)
"""A Cursor rule whose description strict YAML rejects, with globs in Cursor's own, unquoted form."""


def test_fix_and_fmt_never_quote_a_cursor_rules_globs(tmp_path: Path) -> None:
    """Cursor reads ``globs`` as the rest of its line: quoted, the pattern would match no file."""
    write(tmp_path, ".cursor/rules/ts.mdc", RULE)
    path = tmp_path / ".cursor/rules/ts.mdc"
    code, out, _ = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert (code, out.count("AM101")) == (0, 0), out
    fixed = path.read_text(encoding="utf-8")
    assert fixed == RULE.replace("Use it when: editing TypeScript", "'Use it when: editing TypeScript'")
    write(tmp_path, ".cursor/rules/ts.mdc", RULE)
    code, _, err = run_cli("fmt", ".cursor/rules/ts.mdc", cwd=tmp_path)
    assert code == 0, err
    assert "\nglobs: **/*.ts, **/*.tsx\n" in path.read_text(encoding="utf-8")
    assert run_cli("fmt", "--check", ".cursor/rules/ts.mdc", cwd=tmp_path).exit_code == 0


def test_a_quoted_cursor_glob_is_reported_and_unquoted_by_fix_and_fmt(tmp_path: Path) -> None:
    quoted = '---\ndescription: TypeScript\nglobs: "src/**/*.ts"\n---\n\n- Use strict mode.\n'
    write(tmp_path, "rules/ts.mdc", quoted)
    code, out, _ = run_cli("check", "rules/ts.mdc", cwd=tmp_path)
    assert code == 1 and "rules/ts.mdc:3:8: AM113 'globs' is quoted" in out
    code, out, _ = run_cli("check", "--fix", "rules/ts.mdc", cwd=tmp_path)
    assert code == 0 and "(1 fixed, 0 remaining)" in out
    unquoted = quoted.replace('"src/**/*.ts"', "src/**/*.ts")
    assert (tmp_path / "rules/ts.mdc").read_text(encoding="utf-8") == unquoted
    write(tmp_path, "rules/ts.mdc", quoted)
    run_cli("fmt", "rules/ts.mdc", cwd=tmp_path)
    assert (tmp_path / "rules/ts.mdc").read_text(encoding="utf-8") == unquoted


def test_renamed_vscode_tools_are_written_as_named_now_where_they_stand(tmp_path: Path) -> None:
    """--fix writes each old name as VS Code names the tool now and leaves every other byte alone."""
    agent = (
        "---\r\ndescription: Reviews\r\ntools: ['codebase', \"editFiles\", search, runCommands/terminalLastCommand]"
        "\r\nmodel: GPT-4.1\r\n---\r\n\r\nYou review code: codebase first.\r\n"
    )
    prompt = "---\nmode: agent\ntools:\n  - fetch  # the docs\n  - runCommands\n  - mcp/fetch\n---\n\nDo it.\n"
    write(tmp_path, ".github/agents/reviewer.agent.md", agent)
    write(tmp_path, "review.prompt.md", prompt)
    code, out, _ = run_cli("check", "--select", "AM115", ".", cwd=tmp_path)
    assert code == 1 and out.count("AM115") == 5, out
    assert ".github/agents/reviewer.agent.md:3:10: AM115 tools names 'codebase', which VS Code has renamed" in out
    code, out, _ = run_cli("check", "--fix", "--select", "AM115", ".", cwd=tmp_path)
    assert code == 0 and "(5 fixed, 0 remaining)" in out, out
    assert (tmp_path / ".github/agents/reviewer.agent.md").read_bytes().decode() == agent.replace(
        "'codebase', \"editFiles\", search, runCommands/terminalLastCommand",
        "'search/codebase', \"edit/editFiles\", search, read/terminalLastCommand",
    )
    assert (tmp_path / "review.prompt.md").read_text(encoding="utf-8") == prompt.replace(
        "- fetch", "- web/fetch"
    ).replace(
        # The removed set runCommands is the four tools it held, not all of execute (tasks, tests).
        "- runCommands",
        "- execute/runInTerminal\n  - execute/getTerminalOutput\n"
        "  - read/terminalSelection\n  - read/terminalLastCommand",
    )
    # A Claude Code agent names no VS Code tool as VS Code does: AM114 speaks for it, not AM115.
    write(tmp_path, ".claude/agents/reviewer.md", "---\nname: reviewer\ndescription: R\ntools: codebase\n---\n\nGo.\n")
    code, out, _ = run_cli("check", "--select", "AM115", ".claude/agents/reviewer.md", cwd=tmp_path)
    assert code == 0, out


def test_an_old_tool_name_whose_name_now_is_listed_too_is_removed_not_renamed(tmp_path: Path) -> None:
    """--fix never lists one tool twice: an old name goes when the list already gives its name now
    (written so, or by an old name before it), or when it is a repeat, with its separator, or its
    line in a block list."""
    tools = "['codebase', 'search/codebase', \"fetch\", editFiles, fetch]"
    flow = f"---\r\ndescription: R\r\ntools: {tools}\r\n---\r\n\r\nGo.\r\n"
    block = "---\ndescription: R\ntools:\n  - search/codebase\n  - codebase  # old\n  - fetch\n---\n\nGo.\n"
    line = "---\ndescription: R\ntools: search/codebase, codebase\n---\n\nGo.\n"
    write(tmp_path, ".github/agents/flow.agent.md", flow)
    write(tmp_path, ".github/agents/block.agent.md", block)
    write(tmp_path, ".github/agents/line.agent.md", line)
    code, out, _ = run_cli("check", "--select", "AM115", ".github", cwd=tmp_path)
    assert code == 1 and out.count("AM115") == 6, out
    assert "line.agent.md:3:25: AM115 tools names 'codebase', which VS Code has renamed 'search/codebase'; " in out
    assert "the list names it already; remove 'codebase' (fixable with --fix)" in out
    code, out, _ = run_cli("check", "--fix", "--select", "AM115", ".github", cwd=tmp_path)
    assert code == 0 and "(6 fixed, 0 remaining)" in out, out
    agents = tmp_path / ".github/agents"
    fixed_flow = flow.replace(tools, "['search/codebase', \"web/fetch\", edit/editFiles]")
    assert (agents / "flow.agent.md").read_bytes().decode() == fixed_flow
    fixed_block = block.replace("  - codebase  # old\n", "").replace("- fetch", "- web/fetch")
    assert (agents / "block.agent.md").read_text(encoding="utf-8") == fixed_block
    assert (agents / "line.agent.md").read_text(encoding="utf-8") == line.replace(", codebase", "")


def test_the_same_key_in_a_claude_agent_is_still_strict_yaml(tmp_path: Path) -> None:
    """Only the formats whose tool reads a key by line keep it unquoted."""
    write(tmp_path, ".claude/agents/ts.md", "---\nname: ts\ndescription: TypeScript\nglobs: *.ts\n---\n\n- Use it.\n")
    code, out, _ = run_cli("check", "--select", "AM101", ".claude/agents/ts.md", cwd=tmp_path)
    assert code == 1 and "AM101" in out
    run_cli("fmt", ".claude/agents/ts.md", cwd=tmp_path)
    assert "\nglobs: '*.ts'\n" in (tmp_path / ".claude/agents/ts.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("rule_a", "rule_b", "written"),
    [
        (
            "---\ndescription: TypeScript\nglobs: **/*.ts\n---\n\n- Use strict mode.\n",
            "---\ndescription: TypeScript rules\nglobs: **/*.ts\n---\n\n- Enable strict mode.\n",
            "\nglobs: **/*.ts\n",
        ),
        (
            "---\ndescription: TypeScript\nglobs: *.ts\n---\n\n- Use strict mode.\n",
            '---\ndescription: TypeScript\nglobs: ["lib/**", "*.mts"]\n---\n\n- Use strict mode.\n',
            '\nglobs: ["*.ts", "lib/**", "*.mts"]\n',
        ),
    ],
    ids=["unquoted", "a-merged-list-on-its-line"],
)
def test_consolidated_cursor_rules_keep_their_globs_as_cursor_reads_them(
    tmp_path: Path, rule_a: str, rule_b: str, written: str
) -> None:
    write(tmp_path, "a.mdc", rule_a)
    write(tmp_path, "b.mdc", rule_b)
    code, out, err = run_cli("consolidate", "a.mdc", "b.mdc", cwd=tmp_path)
    assert code == 0, err
    assert written in out


def test_a_cursor_rules_list_of_globs_stays_on_its_line(tmp_path: Path) -> None:
    """Cursor reads ``globs`` as the rest of its line: a block list leaves that line empty, so the
    rule would match no file. fmt writes a list there as a flow list, and moves a block list up."""
    flow = '---\ndescription: SQL\nglobs: ["**/*.sql", "migrations/**"]\nalwaysApply: false\n---\n\n- Check it.\n'
    block = "---\ndescription: SQL\nglobs:\n  - '**/*.sql'\n  - migrations/**\nalwaysApply: false\n---\n\n- Check it.\n"
    write(tmp_path, "rules/sql.mdc", flow)
    assert run_cli("fmt", "--check", "rules/sql.mdc", cwd=tmp_path).exit_code == 0
    write(tmp_path, "rules/sql.mdc", block)
    code, _, err = run_cli("fmt", "rules/sql.mdc", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "rules/sql.mdc").read_text(encoding="utf-8") == flow
    write(
        tmp_path, ".claude/agents/sql.md", "---\nname: sql\ndescription: SQL\ntools: [Read, Grep]\n---\n\n- Check it.\n"
    )
    run_cli("fmt", ".claude/agents/sql.md", cwd=tmp_path)
    assert "\ntools:\n- Read\n- Grep\n" in (tmp_path / ".claude/agents/sql.md").read_text(encoding="utf-8")


def test_fmt_keeps_empty_keys_empty(tmp_path: Path) -> None:
    """Cursor writes ``description:`` and ``globs:`` empty in a new rule; it reads ``globs: null``
    as the pattern "null" (the rest of the line), so empty stays empty."""
    rule = "---\ndescription:\nglobs:\nalwaysApply: true\n---\n\n- Use TypeScript.\n"
    write(tmp_path, ".cursor/rules/ts.mdc", rule)
    write(tmp_path, ".claude/agents/a.md", "---\nname: a\ndescription: Reviews\nmodel:\n---\n\n- Read it.\n")
    code, _, err = run_cli("fmt", "--check", ".", cwd=tmp_path)
    assert code == 0, err


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_folder_s_links_out_of_it_are_not_followed(tmp_path: Path) -> None:
    """A folder may be a stranger's checkout: a link in it to a file elsewhere on the machine is not
    read by check, group or consolidate, and fmt does not rewrite that file; a link to a file
    inside the folder is followed, and a file named as an argument is read as it is."""
    outside = tmp_path / "outside.md"
    outside.write_text(
        "---\nname: outside\ndescription: Not in the folder.\n---\n\n* Keep this star.\n", encoding="utf-8"
    )
    folder = tmp_path / "checkout"
    agents = folder / ".claude" / "agents"
    agents.mkdir(parents=True)
    write(folder, ".claude/agents/inner.md", "---\nname: inner\ndescription: In the folder.\n---\n\n- Do x.\n")
    (agents / "evil.md").symlink_to(outside)
    (agents / "alias.md").symlink_to(agents / "inner.md")
    (folder / "AGENTS.md").symlink_to(outside)
    note = "agentmerge: note: checkout: did not follow 2 symbolic links to files outside it"
    before = outside.read_bytes()
    for args in (["fmt", "checkout"], ["check", "checkout"], ["group", "checkout"]):
        code, out, err = run_cli(*args, cwd=tmp_path)
        assert code == 0, (args, err)
        assert note in err
        assert "outside" not in out
    assert outside.read_bytes() == before
    code, _, err = run_cli("fmt", "--check", "checkout/.claude/agents/evil.md", cwd=tmp_path)
    assert (code, err) == (
        1,
        "would reformat checkout/.claude/agents/evil.md\n"
        "agentmerge: 1 file would be reformatted, 0 already formatted\n",
    )


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_named_as_an_argument_is_not_rewritten_outside_the_current_folder(tmp_path: Path) -> None:
    """A pre-commit hook names a checkout's files as arguments: fmt and check --fix read a link to
    a file elsewhere on the machine but do not rewrite that file, and say why on one line (exit
    2); a link to a file inside the current folder is rewritten, and stays a link."""
    outside = tmp_path / "outside.md"
    original = "---\nname: outside\ndescription: Use it when: a diff is ready\n---\n\n* Keep this star.\n"
    outside.write_text(original, encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "evil.md").symlink_to(outside)
    write(repo, "inner.md", original)
    (repo / "alias.md").symlink_to("inner.md")
    real = os.path.realpath(outside)
    refused = f"agentmerge: error: evil.md: leads through a symbolic link to {real}, outside the current folder"
    code, _, err = run_cli("fmt", "evil.md", "alias.md", cwd=repo)
    assert code == 2 and refused in err
    assert "reformatted alias.md" in err and "1 file reformatted, 0 left unchanged, 1 failed" in err
    # check --fix still checks it: its findings are reported, and a warning says why none is fixed.
    code, out, err = run_cli("check", "--fix", "evil.md", cwd=repo)
    assert code == 1 and "evil.md:3:1: AM101" in out
    assert f"agentmerge: warning: evil.md: not fixed: the file leads through a symbolic link to {real}" in err
    # No hint to run --fix again on what it just left as it was (the plain check gives one).
    assert "fixable with agentmerge check --fix" not in out
    assert "1 fixable with agentmerge check --fix." in run_cli("check", "evil.md", cwd=repo).stdout
    assert outside.read_text(encoding="utf-8") == original
    assert (repo / "alias.md").is_symlink()
    assert (repo / "inner.md").read_text(encoding="utf-8").startswith("---\nname: outside\ndescription: 'Use it")
    code, _, _ = run_cli("fmt", "--check", "evil.md", cwd=repo)
    assert code == 1
    # A linked folder on the way leads out as well.
    (repo / "linked").symlink_to(tmp_path)
    code, _, err = run_cli("fmt", "linked/outside.md", cwd=repo)
    assert code == 2 and "linked/outside.md: leads through a symbolic link to" in err
    assert outside.read_text(encoding="utf-8") == original
    # A path named outside the current folder is the user's own, whatever links it goes through.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, err = run_cli("fmt", str(repo / "linked" / "outside.md"), cwd=elsewhere)
    assert code == 0, err
    assert outside.read_text(encoding="utf-8") != original


def test_only_markdown_files_of_the_agent_folders_are_agent_files(tmp_path: Path) -> None:
    """A script kept next to the agents in ``.claude/agents/`` or ``.github/agents/`` is no agent
    file (the tools load Markdown files from there): check reports nothing of it and fmt leaves it
    byte for byte, named or found in a folder; the hooks' pattern leaves it out."""
    from agentmerge.formats import files_regex

    script = "#!/bin/sh\n# Title\n*   star\n    indented\n1) one\n"
    for folder in (".claude/agents", ".github/agents"):
        path = tmp_path / folder / "scripts" / "run.sh"
        path.parent.mkdir(parents=True)
        path.write_text(script, encoding="utf-8")
        assert re.search(files_regex(), f"{folder}/scripts/run.sh") is None
        assert re.search(files_regex(), f"{folder}/scripts/run.md") is not None
    write(tmp_path, ".claude/agents/ok.md", "---\nname: ok\ndescription: Does it.\n---\n\n- Do it.\n")
    (tmp_path / ".git").mkdir()
    code, out, err = run_cli("check", ".", cwd=tmp_path)
    assert code == 0 and "run.sh" not in out + err, out + err
    run_cli("fmt", ".", cwd=tmp_path)
    for folder in (".claude/agents", ".github/agents"):
        assert (tmp_path / folder / "scripts" / "run.sh").read_text(encoding="utf-8") == script


def test_folders_above_the_repository_do_not_make_files_agents(tmp_path: Path) -> None:
    """Globs are read from the repository's root: a checkout kept under a folder named ``agents``
    does not make its README a plugin agent (``**/agents/**/*.md``), so check finds no agent file
    and fmt rewrites nothing; outside any repository every folder counts (``~/.claude/agents``)."""
    repo = tmp_path / "agents" / "project"
    (repo / ".git").mkdir(parents=True)
    write(repo, "README.md", "# Project\n\n* one\n* two\n")
    write(repo, "docs/guide.md", "# Guide\n\nText.\n")
    code, _, err = run_cli("check", ".", cwd=repo)
    assert code == 2 and "holds no agent files" in err
    code, _, err = run_cli("fmt", "--check", ".", cwd=repo)
    assert "would reformat" not in err
    loose = tmp_path / "home" / "agents" / "helper.md"
    write(loose.parent, "helper.md", "---\nname: Helper Bot\ndescription: Helps.\n---\n\n- Help.\n")
    code, out, _ = run_cli("check", str(loose))
    assert "AM106" in out  # read as a plugin agent, whose name rule applies


def test_fmt_diff_is_a_patch_that_applies_and_comes_in_path_order(tmp_path: Path) -> None:
    """``fmt --diff`` marks a last line without a newline as diff does (``\\ No newline at end of
    file``), so ``patch`` applies it and gives the formatted file; files named in any order give
    the same bytes, in path order."""
    write(tmp_path, "a.md", "---\nname: a\ndescription: d\n---\n\n* one\n* two")
    write(tmp_path, "b.md", "---\nname: b\ndescription: d\n---\n\n* three\n")
    forward = run_cli("fmt", "--diff", "a.md", "b.md", cwd=tmp_path)
    backward = run_cli("fmt", "--diff", "b.md", "a.md", cwd=tmp_path)
    assert forward.stdout == backward.stdout and forward.stdout.index("a.md") < forward.stdout.index("b.md")
    assert "-* two\n\\ No newline at end of file\n+- one\n+- two\n" in forward.stdout
    formatted = run_cli("fmt", "-", stdin=(tmp_path / "a.md").read_text(encoding="utf-8")).stdout
    patch = subprocess.run(
        ["patch", "-p0", "--dry-run", "-o", "-"],
        input=forward.stdout.split("--- b.md")[0],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    if patch.returncode == 127 or "not found" in patch.stderr:  # pragma: no cover - no patch on PATH
        return
    assert patch.returncode == 0, patch.stderr
    assert formatted in patch.stdout


def test_fmt_leaves_an_unclosed_frontmatter_as_it_was(tmp_path: Path) -> None:
    """An opening ``---`` never closed (AM110) would be written again as a rule line over keys
    read as prose, and the one-line mend would no longer do: fmt refuses the file, naming the
    line, exit 2, and leaves it byte for byte."""
    text = "---\nname: reviewer\ndescription: Reviews code\n\nYou are a reviewer.\n"
    write(tmp_path, ".claude/agents/u.md", text)
    code, _, err = run_cli("fmt", ".claude/agents/u.md", cwd=tmp_path)
    assert code == 2 and "u.md:1: frontmatter opened with '---' is never closed (AM110)" in err
    assert (tmp_path / ".claude/agents/u.md").read_text(encoding="utf-8") == text


def test_a_skill_file_is_no_agent_though_it_has_name_and_description(tmp_path: Path) -> None:
    """A skill's ``SKILL.md`` has ``name`` and ``description`` as a subagent has, and fields of its
    own (``allowed-tools``, ``license``): check reports nothing of it and fmt leaves it alone."""
    skill = (
        "---\nname: pdf\ndescription: Extract text from PDFs.\nallowed-tools: Read\nlicense: MIT\n---\n# PDF\n\n* x\n"
    )
    write(tmp_path, ".claude/skills/pdf/SKILL.md", skill)
    write(tmp_path, ".claude/agents/a.md", "---\nname: a\ndescription: Does it.\n---\n\n- Do it.\n")
    (tmp_path / ".git").mkdir()
    code, out, err = run_cli("check", ".", cwd=tmp_path)
    assert code == 0 and "SKILL.md" not in out + err, out + err
    run_cli("fmt", ".", cwd=tmp_path)
    assert (tmp_path / ".claude/skills/pdf/SKILL.md").read_text(encoding="utf-8") == skill


def test_fmt_keeps_an_empty_frontmatter(tmp_path: Path) -> None:
    """``---`` then ``---`` is a frontmatter with no keys; fmt wrote the file without it, so that
    check then reported no frontmatter (AM112) instead of the missing keys (AM102)."""
    write(tmp_path, ".claude/agents/e.md", "---\n---\n* x\n")
    code, _, err = run_cli("fmt", ".claude/agents/e.md", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / ".claude/agents/e.md").read_text(encoding="utf-8") == "---\n---\n\n- x\n"
    out = run_cli("check", ".claude/agents/e.md", cwd=tmp_path).stdout
    assert "AM102" in out and "AM112" not in out
