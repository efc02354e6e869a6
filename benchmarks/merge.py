"""Benchmark of ``agentmerge merge`` against ``git merge-file`` on concurrent edits of real agents.

From every base file (the bundled seeds and, when ``../shared/corpus`` is there, each of its
agent files) it builds pairs of edits that do not overlap in meaning, one pair per kind:

- items:     OURS rewords one item, THEIRS another (chosen at random, seeded by the path);
- append:    OURS and THEIRS each add a different bullet after the last bullet of one list;
- rewrap:    OURS rewraps a paragraph or bullet (8 words or more), THEIRS changes a word in it;
- renumber:  OURS renumbers a numbered list ("1." for every step), THEIRS inserts a step in it
             and renumbers the steps after it;
- neighbours: two neighbouring one-line bullets of a list are taken out of BASE; OURS adds the
             first back, THEIRS the second (two rules added at one place: both kept);
- two-and-one: the same with three bullets, OURS adding the first two, THEIRS the third;
- rename:    OURS renames a section's heading, THEIRS adds a bullet to a list under it;
- move:      OURS moves a section (heading and all it holds) to the end of the file, THEIRS
             rewords one item in it;
- reorder:   OURS swaps two neighbouring one-line bullets of a list, THEIRS rewords a third.

When ``../shared/gold`` is there, it also merges each labelled pair of one instruction in two
files' words where the first is a one-line list item: BASE is its file without it, OURS the file,
THEIRS the file with the other file's wording in its place; and again where the item is
followed by another one-line item, which OURS adds too (BASE without both, THEIRS without the
second). One rule added twice in two wordings should be a conflict; the share that conflicts is
printed for both tools.

Each edit is checked to be what it claims (a rewrap or renumbering leaves the model as it was; a
rewording changes one item) or the case is skipped. A merge is clean and correct when it exits
without conflicts and the result parses to the model of BASE with both edits applied (line
numbers and list numbers aside). agentmerge runs in this process through the library call the
CLI makes; ``git merge-file`` runs as a subprocess. Figures are printed side by side per kind,
with agentmerge's time per merge by input size, and the start-up of the ``merge`` command
against the import floor (as ``tests/bench_diff.py`` measures diff's).

    .venv/bin/python benchmarks/merge.py [--limit N] [--show K] [--repeats N] [--no-startup]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import corpus_files  # noqa: E402
from startup import entry, ratios  # noqa: E402

from agentmerge.match import title_key  # noqa: E402
from agentmerge.merge import merge_texts  # noqa: E402
from agentmerge.model import Agent, Item, Section  # noqa: E402
from agentmerge.pairing import item_key  # noqa: E402
from agentmerge.parse import decode, parse_text  # noqa: E402

SEEDS = sorted((ROOT / "fixtures" / "backend-engineer").glob("*.md"))
KINDS = ("items", "append", "rewrap", "renumber", "neighbours", "two-and-one", "rename", "move", "reorder")
TARGET = 0.95
"""The share of cases agentmerge must merge cleanly and correctly."""
STARTUP_LIMIT = 1.5

_MARKER = re.compile(r"^(?P<lead>[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)")
_WORD = re.compile(r"(?<![\w`*_\[(/.-])([A-Za-z]{5,})(?![\w`*_\])/.-])")
_BLOCK_START = re.compile(r"^(?:[-*+]|\d{1,9}[.)]|#{1,6}|>|`{3}|~{3}|\||<)(?:\s|$)|^(?:[-=_*]\s*){3,}$|^\d+[.)]")

OURS_BULLETS = ("Record each decision and its reason in the project log",)
THEIRS_BULLETS = ("Ask for a second review before merging a risky change",)

Case = tuple[str, str, str, str, str]
"""(base, ours, theirs, expected) texts and a short description of the edit."""


# --------------------------------------------------------------------------------------------
# Building edits


def leaf_items(agent: Agent) -> list[Item]:
    """Items a person would edit as a line of prose: bullets, steps, tasks and paragraphs alone."""
    found = []
    for _, item in agent.items():
        if (
            item.kind in ("bullet", "ordered", "task", "paragraph")
            and not item.children
            and len(item.text.split()) >= 4
        ):
            found.append(item)
    return found


def reword(line: str, adverb: str) -> str | None:
    """``line`` with ``adverb`` put after one of its plain words (not in code, links or markup)."""
    lead = _MARKER.match(line)
    start = lead.end() if lead else 0
    words = list(_WORD.finditer(line, start))
    if not words:
        return None
    word = words[len(words) // 2]
    return line[: word.end()] + f" {adverb}" + line[word.end() :]


def with_lines(lines: list[str], edits: dict[int, list[str]]) -> str:
    """``lines`` with line n (0-based) replaced by ``edits[n]``; -n-1 keys insert after line n."""
    out: list[str] = []
    for n, line in enumerate(lines):
        out.extend(edits.get(n, [line]))
        out.extend(edits.get(-n - 1, []))
    return "\n".join(out) + "\n"


def edit_items(base: str, agent: Agent, rng: random.Random) -> Case | None:
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    items = [i for i in leaf_items(agent) if reword(lines[i.line - 1], "x")]
    if len(items) < 2:
        return None
    a, b = rng.sample(items, 2)
    ours = {a.line - 1: [reword(lines[a.line - 1], "carefully") or ""]}
    theirs = {b.line - 1: [reword(lines[b.line - 1], "consistently") or ""]}
    return base, with_lines(lines, ours), with_lines(lines, theirs), with_lines(lines, {**ours, **theirs}), "two items"


def edit_append(base: str, agent: Agent, rng: random.Random) -> Case | None:
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    lists = []
    for section in agent.body.walk():
        run: list[Item] = []
        for item in [*section.items, None]:
            if item is not None and item.kind == "bullet":
                run.append(item)
                continue
            if len(run) >= 2 and not run[-1].children:
                lists.append(run)
            run = []
    if not lists:
        return None
    run = rng.choice(lists)
    last = run[-1]
    lead = _MARKER.match(lines[last.line - 1])
    if lead is None:
        return None
    loose = any(not line.strip() for line in lines[run[-2].end_line : last.line - 1])
    gap = [""] if loose else []
    ours_line = [*gap, lead.group("lead") + OURS_BULLETS[0]]
    theirs_line = [*gap, lead.group("lead") + THEIRS_BULLETS[0]]
    at = -(last.end_line - 1) - 1
    return (
        base,
        with_lines(lines, {at: ours_line}),
        with_lines(lines, {at: theirs_line}),
        with_lines(lines, {at: [*ours_line, *theirs_line]}),
        "append to one list",
    )


def edit_rewrap(base: str, agent: Agent, rng: random.Random) -> Case | None:
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    items = [i for i in leaf_items(agent) if len(i.text.split()) >= 8 and reword(lines[i.line - 1], "x")]
    if not items:
        return None
    item = rng.choice(items)
    own = lines[item.line - 1 : item.end_line]
    lead = _MARKER.match(own[0])
    first_indent = lead.group("lead") if lead else own[0][: len(own[0]) - len(own[0].lstrip())]
    indent = " " * len(first_indent)
    words = " ".join(line.strip() for line in own)[len(first_indent.strip()) :].split()
    width = max(20, len(" ".join(words)) // 2) if len(own) == 1 else 100_000
    wrapped: list[str] = []
    current: list[str] = []
    for word in words:
        if current and len(" ".join([*current, word])) > width and not _BLOCK_START.match(word):
            wrapped.append(" ".join(current))
            current = []
        current.append(word)
    wrapped.append(" ".join(current))
    rewrapped = [first_indent + wrapped[0], *(indent + line for line in wrapped[1:])]
    ours = {n: [] for n in range(item.line - 1, item.end_line)}
    ours[item.line - 1] = rewrapped
    theirs = {item.line - 1: [reword(lines[item.line - 1], "carefully") or ""]}
    return base, with_lines(lines, ours), with_lines(lines, theirs), with_lines(lines, theirs), "rewrap vs word"


def edit_renumber(base: str, agent: Agent, rng: random.Random) -> Case | None:
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    lists = []
    for section in agent.body.walk():
        run: list[Item] = []
        for item in [*section.items, None]:
            if item is not None and item.kind == "ordered" and _MARKER.match(lines[item.line - 1]):
                run.append(item)
                continue
            if len(run) >= 3:
                lists.append(run)
            run = []
    if not lists:
        return None
    run = rng.choice(lists)
    ours: dict[int, list[str]] = {}
    for item in run:
        line = lines[item.line - 1]
        ours[item.line - 1] = [re.sub(r"^([ \t]*)\d{1,9}([.)])", r"\g<1>1\2", line, count=1)]
    k = rng.randrange(0, len(run) - 1)
    after = run[k]
    lead = _MARKER.match(lines[after.line - 1])
    assert lead is not None
    number = (after.number or 1) + 1
    new_lead = re.sub(r"\d{1,9}", str(number), lead.group("lead"), count=1)
    if len(new_lead) != len(lead.group("lead")):
        return None
    loose = any(not line.strip() for line in lines[run[0].end_line : run[1].line - 1])
    theirs: dict[int, list[str]] = {-(after.end_line - 1) - 1: [*([""] if loose else []), new_lead + THEIRS_BULLETS[0]]}
    for item in run[k + 1 :]:
        line = lines[item.line - 1]
        theirs[item.line - 1] = [re.sub(r"\d{1,9}", str((item.number or 0) + 1), line, count=1)]
    edited = with_lines(lines, theirs)
    return base, with_lines(lines, ours), edited, edited, "renumber vs insert step"


def one_line_bullets(section: Section) -> list[Item]:
    return [i for i in section.items if i.kind == "bullet" and not i.children and i.line == i.end_line]


def edit_neighbours(base: str, agent: Agent, rng: random.Random) -> Case | None:
    """Two neighbouring one-line bullets of a list taken out of BASE; OURS adds the first back,
    THEIRS the second: two rules of one list, added at one place, which a merge keeps both of."""
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    pairs: list[tuple[Item, Item]] = []
    for section in agent.body.walk():
        for a, b in itertools.pairwise(one_line_bullets(section)):
            if b.line == a.line + 1 and item_key(a) != item_key(b):
                pairs.append((a, b))
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    without = with_lines(lines, {a.line - 1: [], b.line - 1: []})
    ours, theirs = with_lines(lines, {b.line - 1: []}), with_lines(lines, {a.line - 1: []})
    return without, ours, theirs, base, "two rules added at one place"


def edit_two_and_one(base: str, agent: Agent, rng: random.Random) -> Case | None:
    """Three neighbouring one-line bullets of a list taken out of BASE; OURS adds the first two
    back, THEIRS the third: three rules of one list, added at one place, which a merge keeps."""
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    runs: list[tuple[Item, Item, Item]] = []
    for section in agent.body.walk():
        bullets = one_line_bullets(section)
        for a, b, c in zip(bullets, bullets[1:], bullets[2:], strict=False):
            if c.line == b.line + 1 == a.line + 2 and len({item_key(a), item_key(b), item_key(c)}) == 3:
                runs.append((a, b, c))
    if not runs:
        return None
    a, b, c = rng.choice(runs)
    without = with_lines(lines, {a.line - 1: [], b.line - 1: [], c.line - 1: []})
    ours, theirs = with_lines(lines, {c.line - 1: []}), with_lines(lines, {a.line - 1: [], b.line - 1: []})
    return without, ours, theirs, base, "two rules and one added at one place"


def _headed(agent: Agent) -> list[Section]:
    """Sections under a Markdown heading (``#`` to ``######``, one line) that hold items of their own."""
    return [s for s in agent.body.walk() if s.title and s.kind == "heading" and s.items]


def edit_rename(base: str, agent: Agent, rng: random.Random) -> Case | None:
    """OURS renames a section's heading (a word added to its title); THEIRS adds a bullet after
    the last one-line bullet of the section's own list: the bullet belongs under the new title."""
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    found = [(s, one_line_bullets(s)) for s in _headed(agent)]
    found = [(s, b) for s, b in found if len(b) >= 2 and re.match(r"^#{1,6}[ \t]+\S", lines[s.line - 1])]
    if not found:
        return None
    section, bullets = rng.choice(found)
    heading = lines[section.line - 1].rstrip()
    ours = {section.line - 1: [heading.rstrip("#").rstrip() + " Checklist"]}
    last = bullets[-1]
    lead = _MARKER.match(lines[last.line - 1])
    if lead is None:
        return None
    theirs = {-(last.line - 1) - 1: [lead.group("lead") + THEIRS_BULLETS[0]]}
    return base, with_lines(lines, ours), with_lines(lines, theirs), with_lines(lines, {**ours, **theirs}), "rename"


def edit_move(base: str, agent: Agent, rng: random.Random) -> Case | None:
    """OURS moves a section that is not the file's last (heading through the line before the next
    heading of its level or above) to the end; THEIRS rewords an item in it."""
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    last_line = max((n for n, line in enumerate(lines, start=1) if line.strip()), default=0)
    leaves = leaf_items(agent)
    found = []
    for section in _headed(agent):
        items = [i for i in section.items if i in leaves and reword(lines[i.line - 1], "x")]
        if items and section.end_line < last_line and re.match(r"^#{1,6}[ \t]+\S", lines[section.line - 1]):
            found.append((section, items))
    if not found:
        return None
    section, items = rng.choice(found)
    item = rng.choice(items)
    block = range(section.line - 1, section.end_line)
    if any(lines[n].startswith(("```", "~~~")) for n in block):
        return None  # a fence inside: the section's end need not be where its text ends
    edited = {item.line - 1: [reword(lines[item.line - 1], "carefully") or ""]}

    def moved(edits: dict[int, list[str]]) -> str:
        kept = [line for n, line in enumerate(lines) if n not in block]
        own = [edits.get(n, [lines[n]])[0] for n in block]
        while kept and not kept[-1].strip():
            kept.pop()
        return "\n".join([*kept, "", *own]).rstrip("\n") + "\n"

    ours = moved({})
    titles = [s.title for s in parse_text(ours).body.walk()]
    if titles.count(section.title) != [s.title for s in agent.body.walk()].count(section.title):
        return None  # it ended inside the file's last block (an unclosed fence), not as a section
    return base, ours, with_lines(lines, edited), moved(edited), "move"


def edit_reorder(base: str, agent: Agent, rng: random.Random) -> Case | None:
    """OURS swaps two neighbouring one-line bullets of a list; THEIRS rewords another bullet of it."""
    lines = base.split("\n")[:-1] if base.endswith("\n") else base.split("\n")
    found = []
    for section in agent.body.walk():
        bullets = one_line_bullets(section)
        for n, (a, b) in enumerate(itertools.pairwise(bullets)):
            others = [c for c in bullets[:n] + bullets[n + 2 :] if reword(lines[c.line - 1], "x")]
            if b.line == a.line + 1 and item_key(a) != item_key(b) and others:
                found.append((a, b, others))
    if not found:
        return None
    a, b, others = rng.choice(found)
    c = rng.choice(others)
    ours = {a.line - 1: [lines[b.line - 1]], b.line - 1: [lines[a.line - 1]]}
    theirs = {c.line - 1: [reword(lines[c.line - 1], "carefully") or ""]}
    return base, with_lines(lines, ours), with_lines(lines, theirs), with_lines(lines, {**ours, **theirs}), "reorder"


BUILDERS: dict[str, Callable[[str, Agent, random.Random], Case | None]] = {
    "items": edit_items,
    "append": edit_append,
    "rewrap": edit_rewrap,
    "renumber": edit_renumber,
    "neighbours": edit_neighbours,
    "two-and-one": edit_two_and_one,
    "rename": edit_rename,
    "move": edit_move,
    "reorder": edit_reorder,
}


def shape(text: str) -> object:
    """The model of ``text`` as a merge must keep it: frontmatter values, sections and items in
    order, each item in the form ``diff`` compares (wrapping, emphasis and list numbers aside)."""
    agent = parse_text(text.replace("\r\n", "\n"))

    def item(node: Item) -> object:
        return (node.kind, item_key(node), tuple(item(c) for c in node.children))

    def section(node: Section) -> object:
        children = sorted([*node.items, *node.sections], key=lambda n: n.line)
        return (
            node.kind,
            node.level,
            title_key(node.title or ""),
            tuple(item(c) if isinstance(c, Item) else section(c) for c in children),
        )

    return (tuple(sorted((f.key, repr(f.value)) for f in agent.fields)), section(agent.body))


def valid(kind: str, case: Case) -> bool:
    """Whether the edits are what they claim: formatting-only edits keep the model, the others
    change it, and the expected text differs from both sides."""
    base, ours, theirs, expected, _ = case
    b, o, t, e = shape(base), shape(ours), shape(theirs), shape(expected)
    if kind in ("rewrap", "renumber"):
        return o == b and t != b and e == t
    return o != b and t != b and e not in (o, t)


def cases(files: list[Path]) -> Iterator[tuple[Path, str, Case]]:
    for path in files:
        try:
            text, _ = decode(path.read_bytes(), str(path))
        except Exception:
            continue
        text = text if text.endswith("\n") else text + "\n"
        agent = parse_text(text, str(path))
        for kind in KINDS:
            rng = random.Random(zlib.crc32(f"{path.name}:{kind}".encode()))
            case = BUILDERS[kind](text, agent, rng)
            if case is not None and valid(kind, case):
                yield path, kind, case


# --------------------------------------------------------------------------------------------
# Running both tools


def git_merge_file(base: str, ours: str, theirs: str, work: Path) -> tuple[bool, str]:
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        (work / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["git", "merge-file", "-p", str(work / "ours"), str(work / "base"), str(work / "theirs")],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0, done.stdout


def agentmerge(base: str, ours: str, theirs: str) -> tuple[bool, str, float]:
    start = time.perf_counter()
    result = merge_texts(base, ours, theirs)
    return result.clean, result.text, time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Growth


def growth(sizes: tuple[int, ...] = (100, 1_000, 5_000)) -> None:
    """Time one merge of a generated agent of N bullets in N/20 sections: OURS adds a bullet and
    rewords one, THEIRS adds a bullet and removes one, so pairing runs over every unit."""
    print("\nagentmerge time per merge by size (generated agents):")
    previous: tuple[int, float] | None = None
    for n in sizes:
        lines = ["---", "name: generated", "---", ""]
        for k in range(n):
            if k % 20 == 0:
                lines += [f"## Section {k // 20}", ""]
            lines.append(f"- Rule {k}: check item {k} of area {k % 97} before step {k % 13}")
            if k % 20 == 19:
                lines.append("")
        base = "\n".join(lines) + "\n"
        ours = base.replace("- Rule 7:", "- Rule 7 (always):").replace(
            "- Rule 3: check", "- Rule 3: check\n- Ours adds a rule here about logging"
        )
        theirs = base.replace("- Rule 11: check item 11 of area 11 before step 11\n", "").replace(
            f"- Rule {n - 2}: check", f"- Rule {n - 2}: check\n- Theirs adds a rule here about tracing"
        )
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = merge_texts(base, ours, theirs)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        slope = ""
        if previous is not None:
            import math

            slope = f"  (grows as N^{math.log(seconds / previous[1]) / math.log(n / previous[0]):.2f})"
        print(f"  {n:6} bullets  {len(base) // 1024:5} KB  {seconds * 1000:8.1f} ms  clean={result.clean}{slope}")
        previous = (n, seconds)


def growth_added(sizes: tuple[int, ...] = (500, 1_000, 2_000, 4_000)) -> None:
    """Time one merge where OURS and THEIRS each add N different numbered steps to one list (a
    long change on both branches): the merge weighs the units both sides added against each
    other, so this shows whether that stays linear."""
    print("\nagentmerge time per merge when both sides add N steps to one list:")
    previous: tuple[int, float] | None = None
    for n in sizes:
        base = "---\nname: generated\n---\n\n# Steps\n\n1. Start from main\n"
        ours = base + "".join(f"{k + 2}. Ours runs check {k} on the branch\n" for k in range(n))
        # Steps unlike OURS': two wordings of one step added at one place are a conflict.
        theirs = base + "".join(f"{k + 2}. Deploy service {k} to staging and watch its logs\n" for k in range(n))
        start = time.perf_counter()
        result = merge_texts(base, ours, theirs)
        seconds = time.perf_counter() - start
        slope = ""
        if previous is not None:
            import math

            slope = f"  (grows as N^{math.log(seconds / previous[1]) / math.log(n / previous[0]):.2f})"
        print(f"  {n:6} steps each  {seconds * 1000:8.1f} ms  clean={result.clean}{slope}")
        previous = (n, seconds)


def restatements(gold_dir: Path, work: Path) -> None:
    """Merge each labelled pair of one instruction in two files' words, added at one place in
    two wordings (the module docstring), and print the share each tool marks as a conflict."""
    from quality import groups

    tally = {"alone": [0, 0, 0], "with a neighbour": [0, 0, 0]}
    for _name, gold_path, folder in groups(gold_dir):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        items = gold["items"]
        texts = {key: items[key] for cluster in gold["item_clusters"] for key in cluster if key in items}
        parsed: dict[str, tuple[list[str], dict[int, Item]]] = {}
        for cluster in gold["item_clusters"]:
            for first, second in itertools.permutations([k for k in cluster if k in texts], 2):
                prefix, line = first.split(":")
                if prefix == second.split(":")[0] or "\n" in texts[second]:
                    continue
                if prefix not in parsed:
                    text, _ = decode((folder / gold["files"][prefix]).read_bytes(), prefix)
                    text = text if text.endswith("\n") else text + "\n"
                    agent = parse_text(text)
                    one_line = {i.line: i for s in agent.body.walk() for i in one_line_bullets(s)}
                    parsed[prefix] = (text.split("\n")[:-1], one_line)
                lines, one_line = parsed[prefix]
                item = one_line.get(int(line))
                lead = _MARKER.match(lines[int(line) - 1]) if item is not None else None
                if lead is None:
                    continue
                n = int(line) - 1
                reworded = [lead.group("lead") + texts[second]]
                triples = [("alone", with_lines(lines, {n: []}), with_lines(lines, {n: reworded}))]
                if int(line) + 1 in one_line:
                    gone = with_lines(lines, {n: [], n + 1: []})
                    triples.append(("with a neighbour", gone, with_lines(lines, {n: reworded, n + 1: []})))
                for label, base, theirs in triples:
                    ours = with_lines(lines, {})
                    row = tally[label]
                    row[0] += 1
                    row[1] += not agentmerge(base, ours, theirs)[0]
                    row[2] += not git_merge_file(base, ours, theirs, work)[0]
    for label, (merges, am_conflicts, git_conflicts) in tally.items():
        if merges:
            print(
                f"one instruction added at one place in two files' words, {label} ({merges} labelled pairs):"
                f" conflicts agentmerge {am_conflicts / merges:.1%}, git merge-file {git_conflicts / merges:.1%}"
            )


# --------------------------------------------------------------------------------------------
# Start-up


def startup(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = SEEDS[0].read_text(encoding="utf-8")
        theirs = Path(folder) / "theirs.md"
        theirs.write_text(base.replace("Design and optimize", "Design, review and optimize"), encoding="utf-8")
        command = [*entry(), "merge", str(SEEDS[0]), str(SEEDS[1]), str(theirs), "-o", str(Path(folder) / "out.md")]
        f, medians = ratios({"merge": command}, repeats)
    m = medians["merge"]
    print(f"\nstart-up: import floor median {f * 1000:.1f} ms, agentmerge merge of two seeds median {m * 1000:.1f} ms")
    print(f"ratio {m / f:.2f} (limit {STARTUP_LIMIT}), {repeats} runs each")


# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use at most N corpus files")
    parser.add_argument("--show", type=int, default=0, help="print up to K failing agentmerge cases per kind")
    parser.add_argument("--repeats", type=int, default=15, help="start-up runs of each command")
    parser.add_argument("--no-startup", action="store_true")
    args = parser.parse_args()
    corpus = corpus_files()
    if not corpus:
        print("../shared/corpus is not there: the seeds only")
    files = [*SEEDS, *(corpus[: args.limit] if args.limit else corpus)]
    tally = {kind: {"cases": 0, "am_clean": 0, "am_ok": 0, "git_clean": 0, "git_ok": 0} for kind in KINDS}
    times: dict[str, list[float]] = {"<4 KB": [], "4-16 KB": [], ">=16 KB": []}
    shown = dict.fromkeys(KINDS, 0)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for path, kind, (base, ours, theirs, expected, _what) in cases(files):
            row = tally[kind]
            row["cases"] += 1
            want = shape(expected)
            clean, text, seconds = agentmerge(base, ours, theirs)
            size = len(base.encode())
            times["<4 KB" if size < 4096 else "4-16 KB" if size < 16384 else ">=16 KB"].append(seconds)
            row["am_clean"] += clean
            good = clean and shape(text) == want
            row["am_ok"] += good
            if not good and shown[kind] < args.show:
                shown[kind] += 1
                print(f"--- {kind}: {path} ({'clean but wrong' if clean else 'conflicts'})")
            g_clean, g_text = git_merge_file(base, ours, theirs, work)
            row["git_clean"] += g_clean
            row["git_ok"] += g_clean and shape(g_text) == want
    print(f"\n{len(files)} base files ({len(SEEDS)} seeds); share of cases merged cleanly and correctly")
    print(f"{'kind':10} {'cases':>6}  {'agentmerge':>10} {'(clean)':>8}  {'git merge-file':>14} {'(clean)':>8}")
    total = dict.fromkeys(("cases", "am_clean", "am_ok", "git_clean", "git_ok"), 0)
    for kind in KINDS:
        row = tally[kind]
        for key in total:
            total[key] += row[key]
        print(_row(kind, row))
    print(_row("all", total))
    gold = ROOT.parent / "shared" / "gold"
    if gold.is_dir():
        print()
        with tempfile.TemporaryDirectory() as folder:
            restatements(gold, Path(folder))
    print("\nagentmerge time per merge (median, max) by base size:")
    for bucket, values in times.items():
        if values:
            print(
                f"  {bucket:8} {len(values):5} merges  {statistics.median(values) * 1000:7.1f} ms"
                f"  {max(values) * 1000:8.1f} ms"
            )
    growth()
    growth_added()
    if not args.no_startup:
        startup(args.repeats)
    share = total["am_ok"] / total["cases"] if total["cases"] else 1.0
    return 0 if share >= TARGET else 1


def _row(kind: str, row: dict[str, int]) -> str:
    n = row["cases"] or 1
    return (
        f"{kind:10} {row['cases']:6}  {row['am_ok'] / n:10.1%} {row['am_clean'] / n:8.1%}"
        f"  {row['git_ok'] / n:14.1%} {row['git_clean'] / n:8.1%}"
    )


if __name__ == "__main__":
    sys.exit(main())
