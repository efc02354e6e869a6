"""Invariants of the semantic diff on real agent files.

Formatting-only rewrites of the seeds (and of a sample of ../shared/corpus when it is present)
must diff as identical; one known edit (reword, remove, add or move a bullet, rename a heading,
change ``model``) must be reported as exactly that one change, with the right op, kind and
line, in at least 95% of the generated cases. The rewrites work on the Markdown source and use
the parsed model to know which lines are list items, headings, code or frontmatter, so they
never touch code blocks, tables, HTML or YAML.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SEEDS, corpus_files, needs_corpus

from agentmerge.diff import DiffResult, diff_agents
from agentmerge.model import Agent, Item, Section
from agentmerge.parse import parse_bytes, parse_text

CORPUS_SAMPLE = 40
"""How many corpus files (an even spread, always the same ones) the corpus tests use."""

EDIT_RATE = 0.95
"""Share of generated one-edit cases that must be reported as exactly that edit."""


def corpus_sample(count: int = CORPUS_SAMPLE) -> list[Path]:
    """An even spread of ``count`` corpus files; empty when the corpus is not present."""
    files = [p for p in corpus_files() if p.suffix in (".md", ".mdc")]
    if not files:
        return []
    step = max(1, len(files) // count)
    return files[::step][:count]


def load(path: Path) -> tuple[str, Agent]:
    """The decoded text of ``path`` (line endings ``\\n``) and its parsed model."""
    agent = parse_bytes(path.read_bytes(), str(path))
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return text, agent


# --------------------------------------------------------------------------------------------
# Where things are in the source


def _all_items(agent: Agent) -> list[tuple[Section, Item, bool]]:
    """Every item with its section and whether it is a top-level item of that section."""
    found = []
    for section in agent.body.walk():
        for top in section.items:
            for item in top.walk():
                found.append((section, item, item is top))
    return found


def _protected(text: str, agent: Agent) -> set[int]:
    """0-based lines a formatting rewrite must not touch: frontmatter, code, tables, HTML, quotes."""
    lines = text.split("\n")
    protected: set[int] = set()
    if agent.has_frontmatter or text.startswith("---"):
        closing = next((n for n in range(1, len(lines)) if re.fullmatch(r"-{3,}\s*", lines[n])), -1)
        protected.update(range(0, closing + 1))
    for _, item, _ in _all_items(agent):
        if item.kind in ("code", "table", "html", "quote"):
            protected.update(range(item.line - 1, item.end_line))
    # Fences a lenient reading may not have turned into code items still hold code.
    inside = False
    for n, line in enumerate(lines):
        if re.match(r"\s*(```|~~~)", line):
            protected.add(n)
            inside = not inside
        elif inside:
            protected.add(n)
    return protected


_MARKER_RE = re.compile(r"^(\s*)([-*+])(\s+)")
_NUMBER_RE = re.compile(r"^(\s*)(\d{1,9})([.)])(\s+)")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")


def _outside_code(line: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the parts of ``line`` that are not inline code spans."""
    out, last = [], 0
    for m in _CODE_SPAN_RE.finditer(line):
        out.append(change(line[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(change(line[last:]))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Formatting-only rewrites


Rewrite = Callable[[str, Agent], str]


def bullet_markers(text: str, agent: Agent) -> str:
    """Change every bullet's marker: - to *, * to +, + to -."""
    lines = text.split("\n")
    swap = {"-": "*", "*": "+", "+": "-"}
    for _, item, _ in _all_items(agent):
        if item.kind in ("bullet", "task"):
            n = item.line - 1
            lines[n] = _MARKER_RE.sub(lambda m: f"{m.group(1)}{swap[m.group(2)]}{m.group(3)}", lines[n], count=1)
    return "\n".join(lines)


_STRONG_RE = re.compile(r"(?<![\w*\\])\*\*(?=[^\s*])([^*_`\n]+?)(?<=[^\s*\\])\*\*(?![\w*])")
_EM_RE = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*_`\n]+?)(?<=[^\s*\\])\*(?![\w*])")


def emphasis_style(text: str, agent: Agent) -> str:
    """Write ``**strong**`` as ``__strong__`` and ``*em*`` as ``_em_`` where both mean the same."""
    protected = _protected(text, agent)
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if n in protected or (_MARKER_RE.match(line) and line.lstrip().startswith("* ") and line.count("*") == 1):
            continue

        def swap(part: str) -> str:
            part = _STRONG_RE.sub(r"__\1__", part)
            return _EM_RE.sub(r"_\1_", part)

        marker = _MARKER_RE.match(line)
        head = marker.group(0) if marker else ""
        lines[n] = head + _outside_code(line[len(head) :], swap)
    return "\n".join(lines)


_PLAIN_CODE_RE = re.compile(r"(?<![`\w])`([A-Za-z][A-Za-z0-9]*(?:[ .-][A-Za-z0-9]+)*)`(?![`\w])")


def backticks_removed(text: str, agent: Agent) -> str:
    """Drop backticks around plain words (`uv` to uv)."""
    protected = _protected(text, agent)
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if n not in protected:
            lines[n] = _PLAIN_CODE_RE.sub(r"\1", line)
    return "\n".join(lines)


WRAP_AT = 72
"""Column a rewrapped line is broken before."""


def rewrapped(text: str, agent: Agent) -> str:
    """Break long lines of prose and list items into two, indented as a continuation."""
    protected = _protected(text, agent)
    headings = {s.line - 1 for s in agent.body.walk() if s.kind != "root"}
    lines = text.split("\n")
    out: list[str] = []
    for n, line in enumerate(lines):
        following = lines[n + 1] if n + 1 < len(lines) else ""
        if (
            n in protected
            or n in headings
            or len(line) <= 80
            or line.lstrip().startswith(("#", ">", "<", "|"))
            or re.fullmatch(r"\s*[=-]+\s*", following)
        ):
            out.append(line)
            continue
        marker = _MARKER_RE.match(line) or _NUMBER_RE.match(line)
        indent = " " * len(marker.group(0)) if marker else re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
        cut = _break_point(line, len(marker.group(0)) if marker else len(indent))
        if cut is None:
            out.append(line)
            continue
        out.append(line[:cut].rstrip())
        out.append(indent + line[cut + 1 :].lstrip())
    return "\n".join(out)


def _break_point(line: str, start: int) -> int | None:
    """A space to break ``line`` at: not in code, a link or a tag, not before a block marker."""
    for cut in range(min(WRAP_AT, len(line) - 1), start + 20, -1):
        if line[cut] != " ":
            continue
        head, tail = line[:cut], line[cut + 1 :].lstrip()
        if not tail or head.count("`") % 2 or head.count("[") != head.count("]"):
            continue
        if head.count("(") != head.count(")") or head.count("<") != head.count(">"):
            continue
        if head.endswith("\\") or re.match(r"([-*+=#>|<`~]|\d+[.)])", tail):
            continue
        return cut
    return None


def trailing_spaces(text: str, agent: Agent) -> str:
    """Add a trailing space to every line of the body outside code."""
    protected = _protected(text, agent)
    return "\n".join(
        line + " " if line.strip() and n not in protected else line for n, line in enumerate(text.split("\n"))
    )


def crlf(text: str, agent: Agent) -> str:
    """Windows line endings."""
    return text.replace("\n", "\r\n")


def renumbered(text: str, agent: Agent) -> str:
    """Number every ordered list item 1 (Markdown's lazy numbering)."""
    lines = text.split("\n")
    numbered = {item.line - 1 for _, item, _ in _all_items(agent) if item.kind == "ordered"}
    numbered.update(s.line - 1 for s in agent.body.walk() if s.kind == "pseudo")
    for n in numbered:
        lines[n] = _NUMBER_RE.sub(lambda m: f"{m.group(1)}1{m.group(3)}{m.group(4)}", lines[n], count=1)
    return "\n".join(lines)


_ATX_RE = re.compile(r"^(#{1,2})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def setext_headings(text: str, agent: Agent) -> str:
    """Write level 1 and 2 ``#`` headings as setext headings (underlined with = or -)."""
    lines = text.split("\n")
    targets = {s.line - 1 for s in agent.body.walk() if s.kind == "heading" and s.level <= 2}
    out: list[str] = []
    for n, line in enumerate(lines):
        m = _ATX_RE.match(line) if n in targets else None
        if m is None or re.match(r"([-*+>#<`|=]|\d+[.)])", m.group(2)):
            out.append(line)
            continue
        if out and out[-1].strip():
            out.append("")
        out.append(m.group(2))
        out.append(("=" if len(m.group(1)) == 1 else "-") * max(3, len(m.group(2))))
    return "\n".join(out)


def blank_lines(text: str, agent: Agent) -> str:
    """Double every blank line between blocks of the body."""
    protected = _protected(text, agent)
    lines = text.split("\n")
    out: list[str] = []
    for n, line in enumerate(lines):
        out.append(line)
        following = lines[n + 1] if n + 1 < len(lines) else ""
        if not line.strip() and n not in protected and following[:1].strip():
            out.append("")
    return "\n".join(out)


REWRITES: dict[str, Rewrite] = {
    "bullet markers": bullet_markers,
    "emphasis style": emphasis_style,
    "backticks": backticks_removed,
    "rewrapped": rewrapped,
    "trailing spaces": trailing_spaces,
    "crlf": crlf,
    "renumbered": renumbered,
    "setext headings": setext_headings,
    "blank lines": blank_lines,
}


def all_rewrites(text: str, agent: Agent) -> str:
    """Every rewrite at once (each on the parse of the previous one's output)."""
    for name, rewrite in REWRITES.items():
        if name == "crlf":
            continue
        text = rewrite(text, agent)
        agent = parse_text(text, agent.path)
    return crlf(text, agent)


def rewritten(text: str, agent: Agent, rewrite: str) -> str:
    """``text`` after the named formatting-only rewrite, or after all of them for ``"all"``."""
    return all_rewrites(text, agent) if rewrite == "all" else REWRITES[rewrite](text, agent)


@pytest.mark.parametrize("rewrite", [*REWRITES, "all"])
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_formatting_only_rewrites_of_a_seed_are_identical(path: Path, rewrite: str) -> None:
    """Each formatting-only rewrite (and all of them at once) of a seed diffs as identical."""
    text, agent = load(path)
    changed = rewritten(text, agent, rewrite)
    assert changed != text or rewrite in ("backticks", "setext headings", "renumbered", "emphasis style")
    result = diff_agents(agent, parse_bytes(changed.encode("utf-8"), str(path)))
    assert result.identical, [c for c in result.changes] + [f for f in result.frontmatter]


def test_rewrites_change_the_seeds_bytes() -> None:
    """The rewrites are not no-ops on the seeds: together they touch every seed."""
    for path in SEEDS:
        text, agent = load(path)
        assert all_rewrites(text, agent) != text
    assert any(bullet_markers(*load(p)) != load(p)[0] for p in SEEDS)
    assert any(emphasis_style(*load(p)) != load(p)[0] for p in SEEDS)
    assert any(renumbered(*load(p)) != load(p)[0] for p in SEEDS)
    assert any(setext_headings(*load(p)) != load(p)[0] for p in SEEDS)


@pytest.mark.slow
@needs_corpus
@pytest.mark.parametrize("rewrite", [*REWRITES, "all"])
def test_formatting_only_rewrites_of_corpus_files_are_identical(rewrite: str) -> None:
    """Each formatting-only rewrite of a corpus sample diffs as identical (all files but none)."""
    failures = []
    for path in corpus_sample():
        text, agent = load(path)
        changed = rewritten(text, agent, rewrite)
        result = diff_agents(agent, parse_bytes(changed.encode("utf-8"), str(path)))
        if not result.identical:
            failures.append((path.name, result.changes[:2], result.frontmatter[:2]))
    assert not failures


# --------------------------------------------------------------------------------------------
# One known edit


NEW_BULLET = "Record every new deployment rule in the shared release checklist"
"""Text of the bullet the "add" edit inserts; found in no seed or corpus file."""


@dataclass(frozen=True)
class Expected:
    """The one change an edit must be reported as."""

    op: str
    kind: str
    old_line: int | None
    new_line: int | None = None
    key: str | None = None


def _list_candidates(agent: Agent, text: str) -> list[tuple[Section, Item]]:
    """Single-line top-level list items of four or more words in sections with other items."""
    lines = text.split("\n")
    protected = _protected(text, agent)
    found = []
    for section, item, top in _all_items(agent):
        if not top or item.kind not in ("bullet", "ordered", "task") or item.children or item.line != item.end_line:
            continue
        source = lines[item.line - 1]
        if item.line - 1 in protected or not (_MARKER_RE.match(source) or _NUMBER_RE.match(source)):
            continue
        if len(section.items) < 2 or len(re.findall(r"[A-Za-z]+", item.text)) < 4 or "\n" in item.text:
            continue
        if sum(1 for _, other, _ in _all_items(agent) if other.text == item.text) > 1:
            continue
        found.append((section, item))
    return found


def _prefix(line: str) -> str:
    m = _MARKER_RE.match(line) or _NUMBER_RE.match(line)
    assert m is not None
    return m.group(0)


def _pick_list_item(text: str, agent: Agent, rng: random.Random) -> tuple[Item, list[str]] | None:
    """One list item an edit may change, chosen by ``rng``, with the lines of ``text``."""
    candidates = _list_candidates(agent, text)
    if not candidates:
        return None
    _, item = rng.choice(candidates)
    return item, text.split("\n")


def edit_reword(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    picked = _pick_list_item(text, agent, rng)
    if picked is None:
        return None
    item, lines = picked
    line = lines[item.line - 1]
    words = [m for m in re.finditer(r"\b[A-Za-z]{4,}\b", line) if m.start() > len(_prefix(line))]
    if not words:
        return None
    word = rng.choice(words)
    replacement = "dependable" if word.group(0).lower() != "dependable" else "careful"
    lines[item.line - 1] = line[: word.start()] + replacement + line[word.end() :]
    return "\n".join(lines), Expected("reworded", "item", item.line, item.line)


def edit_remove(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    picked = _pick_list_item(text, agent, rng)
    if picked is None:
        return None
    item, lines = picked
    del lines[item.line - 1]
    return "\n".join(lines), Expected("removed", "item", item.line)


def edit_add(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    picked = _pick_list_item(text, agent, rng)
    if picked is None:
        return None
    item, lines = picked
    prefix = _prefix(lines[item.line - 1])
    lines.insert(item.line, prefix + NEW_BULLET)
    return "\n".join(lines), Expected("added", "item", None, item.line + 1)


def edit_move(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    candidates = _list_candidates(agent, text)
    pairs = [(a, b) for a in candidates for b in candidates if a[0] is not b[0] and a[0].title != b[0].title]
    if not pairs:
        return None
    (_, item), (_, target) = rng.choice(pairs)
    lines = text.split("\n")
    moved = lines[item.line - 1][len(_prefix(lines[item.line - 1])) :]
    lines.insert(target.line, _prefix(lines[target.line - 1]) + moved)
    del lines[item.line - 1 if item.line < target.line else item.line]
    return "\n".join(lines), Expected("moved", "item", item.line)


def edit_rename(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    lines = text.split("\n")
    candidates = []
    for section in agent.body.walk():
        if section.kind != "heading" or not re.match(r"#{1,6}\s+\S", lines[section.line - 1]):
            continue
        if not any(True for s in section.walk() for _ in s.items):
            continue
        candidates.append(section)
    if not candidates:
        return None
    section = rng.choice(candidates)
    hashes = lines[section.line - 1].split()[0]
    lines[section.line - 1] = f"{hashes} Operating Notes For Reviewers"
    return "\n".join(lines), Expected("reworded", "section", section.line)


def edit_model(text: str, agent: Agent, rng: random.Random) -> tuple[str, Expected] | None:
    field = agent.field("model")
    lines = text.split("\n")
    if field is None or field.line != field.end_line or not re.match(r"model:\s*\S", lines[field.line - 1]):
        return None
    value = "opus" if str(field.value) != "opus" else "sonnet"
    lines[field.line - 1] = f"model: {value}"
    return "\n".join(lines), Expected("changed", "frontmatter", field.line, key="model")


EDITS = {
    "reword": edit_reword,
    "remove": edit_remove,
    "add": edit_add,
    "move": edit_move,
    "rename": edit_rename,
    "model": edit_model,
}


def reported_as_expected(result: DiffResult, expected: Expected) -> bool:
    """Whether ``result`` holds exactly the expected change and nothing else."""
    if expected.kind == "frontmatter":
        if result.changes or len(result.frontmatter) != 1:
            return False
        change = result.frontmatter[0]
        return change.op == expected.op and change.key == expected.key and change.old_line == expected.old_line
    if result.frontmatter or len(result.changes) != 1:
        return False
    found = result.changes[0]
    old_line = found.old.line if found.old else None
    new_line = found.new.line if found.new else None
    if expected.new_line is not None and new_line != expected.new_line:
        return False
    return found.op == expected.op and found.kind == expected.kind and old_line == expected.old_line


def edit_cases(paths: list[Path]) -> list[tuple[Path, str, bool]]:
    """Apply each known edit once to each file; say for each case whether it was reported right."""
    outcomes = []
    for path in paths:
        text, agent = load(path)
        for name, edit in EDITS.items():
            rng = random.Random(f"{path.name}:{name}")
            made = edit(text, agent, rng)
            if made is None:
                continue
            changed, expected = made
            result = diff_agents(agent, parse_text(changed, str(path)))
            outcomes.append((path, name, reported_as_expected(result, expected)))
    return outcomes


def test_each_known_edit_of_the_seeds_is_reported_as_exactly_that_change() -> None:
    """Every kind of edit applies to some seed, and at least 95% of the cases come out exact."""
    outcomes = edit_cases(SEEDS)
    assert {name for _, name, _ in outcomes} == set(EDITS)
    rate = sum(ok for _, _, ok in outcomes) / len(outcomes)
    assert rate >= EDIT_RATE, [(p.name, n) for p, n, ok in outcomes if not ok]


@pytest.mark.slow
@needs_corpus
def test_known_edits_of_corpus_files_are_reported_exactly_in_95_percent_of_cases() -> None:
    """Over a corpus sample, one known edit is reported as exactly that change >= 95% of the time."""
    outcomes = edit_cases(corpus_sample())
    assert len(outcomes) >= 100
    rate = sum(ok for _, _, ok in outcomes) / len(outcomes)
    assert rate >= EDIT_RATE, [(p.name, n) for p, n, ok in outcomes if not ok]


def test_the_edit_check_rejects_a_wrong_report() -> None:
    """The checker is strict: a removal reported for a rewording, or an extra change, fails."""
    text, agent = load(SEEDS[0])
    made = edit_reword(text, agent, random.Random(0))
    assert made is not None
    changed, expected = made
    result = diff_agents(agent, parse_text(changed, str(SEEDS[0])))
    assert reported_as_expected(result, expected)
    assert not reported_as_expected(result, Expected("removed", "item", expected.old_line))
    assert not reported_as_expected(result, Expected("reworded", "item", (expected.old_line or 0) + 1))
    both = edit_model(changed, parse_text(changed, "x"), random.Random(0))
    assert both is not None
    assert not reported_as_expected(diff_agents(agent, parse_text(both[0], "x")), expected)


@pytest.mark.slow
@needs_corpus
def test_corpus_files_diffed_with_themselves_are_identical() -> None:
    """Two separate parses of each sampled corpus file diff as identical."""
    for path in corpus_sample(4 * CORPUS_SAMPLE):
        _, agent = load(path)
        again = parse_bytes(path.read_bytes(), str(path))
        assert diff_agents(agent, again).identical, path.name
