"""How far a reviewer can trust ``agentmerge diff`` on revisions of real agent files.

The corpus (``../shared/corpus``) has no git history, so revision pairs are made by editing each
file the ways real revisions do: a heading inserted, removed, renamed or demoted above unchanged
text, a section moved, a clause appended to a bullet, a list turned into prose, a line added
inside a code block. Each pair is diffed and the report is checked against difflib's line
alignment of the two texts (what ``git diff`` would show), and against the one change the edit
is:

- phantom moves: "moved" changes whose old and new lines difflib aligns to each other, that is
  text that did not move (target 0);
- missed changes: lines with words that difflib finds deleted or inserted and that no reported
  change covers (an item's own lines, a heading, a frontmatter key, a block's line diff)
  (target 0). Lines without a letter or digit (a ``---`` rule between sections, a blank line)
  carry no instruction and are not counted; a rule that travelled with a moved section is
  neither a move nor a missed change;
- false removals: removed items whose words still stand, word for word, in the new file;
- exact: the report is exactly the change the edit makes (one added heading, one moved section,
  one reworded bullet, ...).

    .venv/bin/python benchmarks/diff_revisions.py [--files N] [--seeds-only]

Run it from a checkout of another version (``PYTHONPATH=../other .venv/bin/python ...``) to
compare versions on the same pairs; fields a version does not have are read as absent.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agentmerge.diff import DiffResult, diff_agents
from agentmerge.model import Agent, Item, Section
from agentmerge.parse import parse_text
from agentmerge.text import words

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
CORPUS = ROOT.parent / "shared" / "corpus"

CLAUSE = ", and record the outcome in the team log"
"""What the clause-appended edit adds to a bullet; found in no corpus file."""
NEW_HEADING = "Operating Notes For Reviewers"
"""The title an inserted or renamed heading gets."""
CODE_LINE = "echo 'checked by the revision benchmark'"
"""The line the code edit adds inside a block."""

_MARKER_RE = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])\s+(?!\[[ xX]\])")
_HEADING_RE = re.compile(r"^(#{1,6})\s+\S")
_WORDY_RE = re.compile(r"[^\W_]")
"""A letter or digit: a line without one carries no instruction."""


# --------------------------------------------------------------------------------------------
# The edits


@dataclass
class Edit:
    """One revision made from a file: the new text and what an exact report holds."""

    text: str
    expect: Callable[[DiffResult], bool]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _headings(agent: Agent, lines: list[str]) -> list[Section]:
    """ATX headings written as ``#`` lines, with content, outside code."""
    found = []
    for section in agent.body.walk():
        if section.kind != "heading" or not _HEADING_RE.match(lines[section.line - 1]):
            continue
        if any(True for s in section.walk() for _ in s.items):
            found.append(section)
    return found


def _ops(result: DiffResult) -> list[tuple[str, str]]:
    return [(c.op, c.kind) for c in result.changes]


def edit_heading_inserted(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    """A new heading above the second half of a section's list: the text below it is unchanged."""
    lines = _lines(text)
    choices = []
    for section in agent.body.walk():
        tops = [i for i in section.items if i.kind in ("bullet", "ordered") and _MARKER_RE.match(lines[i.line - 1])]
        if section.kind == "heading" and len(tops) >= 3 and _HEADING_RE.match(lines[section.line - 1]):
            choices.append((section, tops))
    if not choices:
        return None
    section, tops = rng.choice(choices)
    at = tops[len(tops) // 2].line - 1
    if _MARKER_RE.match(lines[at]).group(1):  # type: ignore[union-attr]
        return None
    level = min(6, section.level + 1)
    lines[at:at] = ["", f"{'#' * level} {NEW_HEADING}", ""]
    return Edit("\n".join(lines), lambda r: _ops(r) == [("added", "section")] and not r.frontmatter)


def edit_heading_removed(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    lines = _lines(text)
    choices = [s for s in _headings(agent, lines) if s.items]
    if not choices:
        return None
    section = rng.choice(choices)
    del lines[section.line - 1]
    return Edit("\n".join(lines), lambda r: _ops(r) == [("removed", "section")] and not r.frontmatter)


def edit_heading_renamed(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    lines = _lines(text)
    choices = _headings(agent, lines)
    if not choices:
        return None
    section = rng.choice(choices)
    lines[section.line - 1] = f"{'#' * section.level} {NEW_HEADING}"
    return Edit("\n".join(lines), lambda r: _ops(r) == [("reworded", "section")] and not r.frontmatter)


def edit_heading_demoted(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    lines = _lines(text)
    choices = [s for s in _headings(agent, lines) if s.level < 6]
    if not choices:
        return None
    section = rng.choice(choices)
    lines[section.line - 1] = "#" + lines[section.line - 1]
    return Edit("\n".join(lines), lambda r: _ops(r) == [("reworded", "section")] and not r.frontmatter)


def _section_span(section: Section, lines: list[str]) -> tuple[int, int]:
    """0-based [start, stop) of a heading section's lines, subsections included."""
    start = section.line - 1
    stop = start + 1
    inside = False
    while stop < len(lines):
        line = lines[stop]
        if re.match(r"\s*(```|~~~)", line):
            inside = not inside
        elif not inside:
            found = _HEADING_RE.match(line)
            if found and len(found.group(1)) <= section.level:
                break
        stop += 1
    return start, stop


def edit_section_moved(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    """A section (with its subsections) swapped with the sibling before it."""
    lines = _lines(text)
    choices = []
    for parent in agent.body.walk():
        kids = [s for s in parent.sections if s.kind == "heading" and _HEADING_RE.match(lines[s.line - 1])]
        for before, after in itertools.pairwise(kids):
            if before.level == after.level and any(True for s in after.walk() for _ in s.items):
                choices.append((before, after))
    if not choices:
        return None
    before, after = rng.choice(choices)
    a0, a1 = _section_span(before, lines)
    b0, b1 = _section_span(after, lines)
    if a1 != b0:
        return None
    block_a, block_b = lines[a0:a1], lines[b0:b1]
    if block_b and block_b[-1].strip():
        block_b = [*block_b, ""]
    new = lines[:a0] + block_b + block_a + lines[b1:]
    return Edit("\n".join(new), lambda r: _ops(r) == [("moved", "section")] and not r.frontmatter)


def _single_line_bullets(agent: Agent, lines: list[str]) -> list[Item]:
    found = []
    for section in agent.body.walk():
        for item in section.items:
            if item.kind not in ("bullet", "ordered") or item.children or item.line != item.end_line:
                continue
            if _MARKER_RE.match(lines[item.line - 1]) and len(words(item.text)) >= 4:
                found.append(item)
    return found


def edit_clause_appended(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    lines = _lines(text)
    choices = _single_line_bullets(agent, lines)
    if not choices:
        return None
    item = rng.choice(choices)
    lines[item.line - 1] = lines[item.line - 1].rstrip().rstrip(".") + CLAUSE
    return Edit("\n".join(lines), lambda r: _ops(r) == [("reworded", "item")] and not r.frontmatter)


def edit_list_to_prose(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    """Three or more consecutive one-line bullets of a section written as one paragraph."""
    lines = _lines(text)
    runs: list[list[Item]] = []
    for section in agent.body.walk():
        run: list[Item] = []
        for item in section.items:
            ok = (
                item.kind == "bullet"
                and not item.children
                and item.line == item.end_line
                and (not run or item.line == run[-1].line + 1)
                and _MARKER_RE.match(lines[item.line - 1]) is not None
                and not _MARKER_RE.match(lines[item.line - 1]).group(1)  # type: ignore[union-attr]
            )
            if ok:
                run.append(item)
                continue
            if len(run) >= 3:
                runs.append(run)
            run = [item] if ok else []
        if len(run) >= 3:
            runs.append(run)
    if not runs:
        return None
    run = rng.choice(runs)
    sentences = [_MARKER_RE.sub("", lines[i.line - 1]).strip().rstrip(".") + "." for i in run]
    start, stop = run[0].line - 1, run[-1].line
    new = [*lines[:start], " ".join(sentences), *lines[stop:]]
    if start > 0 and lines[start - 1].strip():
        new.insert(start, "")

    def exact(r: DiffResult) -> bool:
        """Nothing removed, each bullet's words moved into the paragraph (a ``Label:`` line over the
        list may become a paragraph of its own, which is a real change)."""
        ops = _ops(r)
        return not r.frontmatter and ("removed", "item") not in ops and ops.count(("moved", "item")) == len(run)

    return Edit("\n".join(new), exact)


def edit_code_line(text: str, agent: Agent, rng: random.Random) -> Edit | None:
    lines = _lines(text)
    choices = []
    for _, item in agent.items():
        if item.kind == "code" and item.text.count("\n") >= 1 and re.match(r"\s*(```|~~~)", lines[item.line - 1]):
            choices.append(item)
    if not choices:
        return None
    item = rng.choice(choices)
    indent = re.match(r"\s*", lines[item.line - 1]).group(0)  # type: ignore[union-attr]
    lines.insert(item.line + 1, indent + CODE_LINE)

    def exact(r: DiffResult) -> bool:
        if r.frontmatter or _ops(r) != [("reworded", "item")]:
            return False
        shown = getattr(r.changes[0], "lines", ())
        return [line.op for line in shown].count("+") == 1 and not any(line.op == "-" for line in shown)

    return Edit("\n".join(lines), exact)


EDITS: dict[str, Callable[[str, Agent, random.Random], Edit | None]] = {
    "heading inserted": edit_heading_inserted,
    "heading removed": edit_heading_removed,
    "heading renamed": edit_heading_renamed,
    "heading demoted": edit_heading_demoted,
    "section moved": edit_section_moved,
    "clause appended": edit_clause_appended,
    "list to prose": edit_list_to_prose,
    "code line added": edit_code_line,
}


# --------------------------------------------------------------------------------------------
# Checking a report against difflib


@dataclass
class Tally:
    cases: int = 0
    exact: int = 0
    phantom_moves: int = 0
    missed_lines: int = 0
    missed_cases: int = 0
    false_removals: int = 0
    moves: int = 0
    examples: list[str] = field(default_factory=list)


def _own_spans(agent: Agent) -> dict[int, int]:
    """Each item's first line to the last line of its own text (children excluded)."""
    spans = {}
    for _, item in agent.items():
        end = min((c.line for c in item.children), default=item.end_line + 1) - 1 if item.children else item.end_line
        spans[item.line] = max(item.line, end)
    return spans


def _alignment(a: list[str], b: list[str]) -> tuple[dict[int, int], set[int], set[int]]:
    """difflib's line alignment: old line -> new line for equal runs, and the lines with words
    deleted and inserted (1-based)."""
    aligned: dict[int, int] = {}
    deleted: set[int] = set()
    inserted: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            aligned.update((i + 1, j + 1) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            deleted.update(i + 1 for i in range(i1, i2) if _WORDY_RE.search(a[i]))
            inserted.update(j + 1 for j in range(j1, j2) if _WORDY_RE.search(b[j]))
    return aligned, deleted, inserted


def _covered(old: Agent, new: Agent, result: DiffResult) -> tuple[set[int], set[int]]:
    """The old and new lines some reported change covers: an item's own lines, a heading (a
    moved section's whole text), a block's line diff, a frontmatter key's lines."""
    spans_old, spans_new = _own_spans(old), _own_spans(new)
    sections_old = {s.line: s.end_line for s in old.body.walk()}
    sections_new = {s.line: s.end_line for s in new.body.walk()}
    covered_old: set[int] = set()
    covered_new: set[int] = set()
    for change in result.changes:
        sides = ((change.old, spans_old, sections_old, covered_old), (change.new, spans_new, sections_new, covered_new))
        for side, spans, sections, covered in sides:
            if side is None:
                continue
            if change.kind == "item":
                end = spans.get(side.line, side.line)
            else:
                # A section's move carries its whole text along.
                end = sections.get(side.line, side.line) if change.op == "moved" else side.line
            covered.update(range(side.line, end + 1))
        for line in getattr(change, "lines", ()):
            if line.old_line:
                covered_old.add(line.old_line)
            if line.new_line:
                covered_new.add(line.new_line)
    fields_old = {f.line: f.end_line for f in old.fields}
    fields_new = {f.line: f.end_line for f in new.fields}
    for fc in result.frontmatter:
        if fc.old_line:
            covered_old.update(range(fc.old_line, fields_old.get(fc.old_line, fc.old_line) + 1))
        if fc.new_line:
            covered_new.update(range(fc.new_line, fields_new.get(fc.new_line, fc.new_line) + 1))
    return covered_old, covered_new


def check(old: Agent, new: Agent, old_text: str, new_text: str, result: DiffResult, tally: Tally, name: str) -> None:
    a, b = old_text.split("\n"), new_text.split("\n")
    aligned, deleted, inserted = _alignment(a, b)
    for change in result.changes:
        if change.op == "moved":
            tally.moves += 1
            if change.old and change.new and aligned.get(change.old.line) == change.new.line:
                tally.phantom_moves += 1
                tally.examples.append(f"phantom move ({name}): {old.path}:{change.old.line}")
        if change.op == "removed" and change.kind == "item" and change.old:
            said = " ".join(words(change.old.text))
            if len(said.split()) >= 4 and f" {said} " in f" {' '.join(words(new_text))} ":
                tally.false_removals += 1
    covered_old, covered_new = _covered(old, new, result)
    # difflib pairs repeated lines (a closing fence, a "---") with whichever copy comes first; a
    # changed line that reads like a covered one is taken as covered.
    texts_old = {a[n - 1].strip() for n in covered_old if 0 < n <= len(a)}
    texts_new = {b[n - 1].strip() for n in covered_new if 0 < n <= len(b)}
    deleted = {n for n in deleted if a[n - 1].strip() not in texts_old}
    inserted = {n for n in inserted if b[n - 1].strip() not in texts_new}
    missed = len(deleted - covered_old) + len(inserted - covered_new)
    if missed:
        tally.missed_cases += 1
        tally.missed_lines += missed
        first = sorted(deleted - covered_old)[:1] or sorted(inserted - covered_new)[:1]
        tally.examples.append(f"missed ({name}): {old.path} line {first}")


def files(count: int, seeds_only: bool) -> list[Path]:
    if seeds_only or not CORPUS.is_dir():
        return list(SEEDS)
    corpus = sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".md", ".mdc"))
    step = max(1, len(corpus) // count) if count else 1
    return list(SEEDS) + corpus[::step][: count or None]


def run(paths: list[Path]) -> Iterator[tuple[str, Tally]]:
    tallies: dict[str, Tally] = {name: Tally() for name in EDITS}
    for path in paths:
        text = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
        try:
            old = parse_text(text, str(path))
        except Exception:  # a file the parser refuses is no revision pair
            continue
        for name, edit in EDITS.items():
            made = edit(text, old, random.Random(f"{path.name}:{name}"))
            if made is None or made.text == text:
                continue
            new = parse_text(made.text, str(path))
            result = diff_agents(old, new)
            tally = tallies[name]
            tally.cases += 1
            exact = made.expect(result)
            tally.exact += exact
            if not exact:
                tally.examples.append(f"inexact ({name}): {path} {[(c.op, c.kind) for c in result.changes][:6]}")
            check(old, new, text, made.text, result, tally, name)
    yield from tallies.items()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="corpus files, an even spread (0: all)")
    parser.add_argument("--seeds-only", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print this many examples of each problem")
    args = parser.parse_args()
    paths = files(args.files, args.seeds_only)
    start = time.perf_counter()
    total = Tally()
    print(f"{'edit':<18} {'cases':>6} {'exact':>7} {'moves':>6} {'phantom':>8} {'missed':>7} {'false rm':>9}")
    shown: Counter[str] = Counter()
    for name, t in run(paths):
        rate = f"{100 * t.exact / t.cases:.1f}%" if t.cases else "-"
        counts = f"{t.moves:>6} {t.phantom_moves:>8} {t.missed_cases:>7} {t.false_removals:>9}"
        print(f"{name:<18} {t.cases:>6} {rate:>7} {counts}")
        for example in t.examples:
            kind = example.split(" (")[0]
            if shown[kind, name] < args.show:  # type: ignore[index]
                print("   ", example)
                shown[kind, name] += 1  # type: ignore[index]
        for attribute in ("cases", "exact", "phantom_moves", "missed_lines", "missed_cases", "false_removals", "moves"):
            setattr(total, attribute, getattr(total, attribute) + getattr(t, attribute))
    rate = f"{100 * total.exact / total.cases:.1f}%" if total.cases else "-"
    print(
        f"{'all':<18} {total.cases:>6} {rate:>7} {total.moves:>6} {total.phantom_moves:>8} "
        f"{total.missed_cases:>7} {total.false_removals:>9}"
    )
    print(f"{len(paths)} files, {total.missed_lines} missed lines, {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
